#!/usr/bin/env python3
"""check_inspect.py VAR_EXE GOLDEN_DIR... — `var inspect --tensors` on both
checkpoints of each golden set must report the configuration, element and
parameter counts, and tensor list (name, shape, dtype, in order) that the set's
manifest.json states.  Standard library only.  Exit status 1 on any mismatch."""
import json
import os
import re
import subprocess
import sys

VAE_BUFFERS = ("ema_vocab_hit_SV",)
VAR_BUFFERS = ("lvl_1L", "attn_bias_for_masking", "zero_k_bias")
ROW = re.compile(r"^(\S+)\s+(\[[^\]]*\])\s+(\S+)$")


def inspect(exe, path):
    # A cross build's var.exe runs through meson's exe wrapper (Wine).
    wrapper = os.environ.get("MESON_EXE_WRAPPER", "").split()
    out = subprocess.run(wrapper + [exe, "inspect", path, "--tensors"], check=True, capture_output=True,
                         text=True).stdout
    head, _, table = out.partition("\n\n")
    fields = dict(line.split(": ", 1) for line in head.splitlines())
    rows = []
    for line in table.splitlines()[1:]:
        m = ROW.match(line)
        if not m:
            raise ValueError(f"unparsable tensor row: {line!r}")
        rows.append((m.group(1), [int(x) for x in m.group(2)[1:-1].split(",") if x.strip()], m.group(3)))
    return fields, rows


def numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def expected(manifest, which):
    cfg, ck = manifest["config"], manifest["checkpoints"][which]
    tensors = [(t["name"], t["shape"], t["dtype"]) for t in ck["tensors"]]
    buffers = VAE_BUFFERS if which == "vae" else VAR_BUFFERS
    params = sum(numel(s) for n, s, _ in tensors if not n.endswith(buffers))
    common = {"format": "pytorch zip (.pth)", "tensors": str(len(tensors)), "elements": str(ck["num_elements"]),
              "parameters": str(params)}
    if which == "vae":
        v = cfg["vae"]
        return tensors, dict(common, **{
            "model": "VQ-VAE", "vocab_size": str(v["vocab_size"]), "z_channels": str(v["z_channels"]),
            "ch": str(v["ch"]), "ch_mult": ",".join(map(str, v["ddconfig"]["ch_mult"])),
            "num_res_blocks": str(v["ddconfig"]["num_res_blocks"]), "share_quant_resi": str(v["share_quant_resi"]),
            "downsample": str(cfg["downsample"])})
    v, d = cfg["var"], cfg["derived"]
    return tensors, dict(common, **{
        "model": "VAR transformer", "depth": str(v["depth"]), "width": str(v["embed_dim"]),
        "heads": str(v["num_heads"]), "head_dim": str(d["head_dim"]), "mlp_hidden": str(d["mlp_hidden"]),
        "vocab_size": str(d["V"]), "z_channels": str(d["Cvae"]), "num_classes": str(v["num_classes"]),
        "shared_aln": "yes" if v["shared_aln"] else "no", "patch_nums": ",".join(map(str, cfg["patch_nums"])),
        "tokens": str(cfg["L"]), "image_size": f"{cfg['image_size']} (with a /16 VQ-VAE as released; {cfg['image_size'] // 16} x the VQ-VAE's downsampling in general)"})


def main():
    exe, sets = sys.argv[1], sys.argv[2:]
    failures = checked = 0
    for d in sets:
        with open(os.path.join(d, "manifest.json")) as f:
            manifest = json.load(f)
        for which in ("vae", "var"):
            path = os.path.join(d, manifest["checkpoints"][which]["file"])
            tensors, want = expected(manifest, which)
            fields, rows = inspect(exe, path)
            before = failures
            for key, value in want.items():
                checked += 1
                if fields.get(key) != value:
                    failures += 1
                    print(f"FAIL {path}: {key}: {fields.get(key)!r}, manifest {value!r}")
            checked += 1
            if rows != tensors:
                failures += 1
                bad = next((i for i, (a, b) in enumerate(zip(rows, tensors)) if a != b), min(len(rows), len(tensors)))
                print(f"FAIL {path}: tensor list differs at row {bad} ({len(rows)} rows, manifest {len(tensors)})")
            print(f"{'FAIL' if failures > before else 'ok  '} {path}: {len(want)} fields, {len(rows)} tensors")
    print(f"check_inspect: {checked - failures} of {checked} checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())

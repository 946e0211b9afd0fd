#!/usr/bin/python3
"""Writes the fuzzer's seed corpus into fuzz/corpus/ (run with a Python that has
torch and numpy, e.g. Debian's /usr/bin/python3; the files are committed, so
this only needs re-running to change them).

Seeds are small on purpose (a few KB each): libFuzzer mutates better and runs
faster on small inputs.  They cover each reader path: torch zip checkpoints
(float32/float16/bfloat16/int64 tensors, a storage shared by two views at an
offset, VAR-transformer- and VQ-VAE-shaped key sets so that configuration
derivation runs), the same as safetensors, bare data.pkl pickles, bare JSON
headers, and a few hostile pickles."""
import io
import json
import os
import struct
import zipfile
from collections import OrderedDict

import numpy as np
import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")


def save_pth(name, sd):
    buf = io.BytesIO()
    torch.save(sd, buf)
    data = buf.getvalue()
    with open(os.path.join(OUT, name + ".pth"), "wb") as f:
        f.write(data)
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        pkl = [n for n in z.namelist() if n.endswith("/data.pkl")][0]
        with open(os.path.join(OUT, name + ".pkl"), "wb") as f:
            f.write(z.read(pkl))


ST_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16", torch.int64: "I64",
             torch.int32: "I32", torch.uint8: "U8"}


def save_safetensors(name, sd):
    header, blobs, off = {}, [], 0
    for k, t in sd.items():
        t = t.contiguous()
        raw = t.view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 else t.numpy().tobytes()
        header[k] = {"dtype": ST_DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    header["__metadata__"] = {"format": "pt"}
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(os.path.join(OUT, name + ".safetensors"), "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))
    with open(os.path.join(OUT, name + ".json"), "wb") as f:
        f.write(h.rstrip())


def main():
    os.makedirs(OUT, exist_ok=True)
    g = torch.Generator().manual_seed(1)
    base = torch.arange(12, dtype=torch.float32)
    dtypes = OrderedDict([
        ("f32", torch.randn(2, 3, generator=g)),
        ("f16", torch.tensor([1.0, -2.5, 65504.0, 6e-8], dtype=torch.float16)),
        ("bf16", torch.tensor([1.0, -3.0, 1e30], dtype=torch.bfloat16)),
        ("i64", torch.tensor([[0, 1], [2, -3]], dtype=torch.int64)),
        ("scalar", torch.tensor(5.0)),
        ("empty", torch.zeros(0, 4)),
        ("view_a", base[2:6]),          # shares one storage, offset 2
        ("view_b", base[6:12].view(2, 3)),
    ])
    save_pth("dtypes", dtypes)
    save_safetensors("dtypes", OrderedDict((k, v.clone()) for k, v in dtypes.items()))

    # A VAR transformer in miniature: depth 1, C 4, 2 heads, V 8, Cv 2, 2 classes, patch_nums (1, 2, 3, 4)
    # (4 scales, so that deriving the schedule searches).
    C, V, Cv, L = 4, 8, 2, 30
    tf = OrderedDict([
        ("pos_start", torch.randn(1, 1, C, generator=g)), ("pos_1LC", torch.randn(1, L, C, generator=g)),
        ("lvl_1L", torch.zeros(1, L, dtype=torch.int64)), ("attn_bias_for_masking", torch.zeros(1, 1, 1, 1)),
        ("word_embed.weight", torch.randn(C, Cv, generator=g)), ("word_embed.bias", torch.zeros(C)),
        ("class_emb.weight", torch.randn(3, C, generator=g)), ("lvl_embed.weight", torch.randn(4, C, generator=g)),
        ("blocks.0.attn.scale_mul_1H11", torch.zeros(1, 2, 1, 1)), ("blocks.0.attn.q_bias", torch.zeros(C)),
        ("blocks.0.attn.v_bias", torch.zeros(C)), ("blocks.0.attn.zero_k_bias", torch.zeros(C)),
        ("blocks.0.attn.mat_qkv.weight", torch.randn(3 * C, C, generator=g)),
        ("blocks.0.ffn.fc1.weight", torch.randn(4 * C, C, generator=g)),
        ("head.weight", torch.randn(V, C, generator=g)), ("head.bias", torch.zeros(V)),
    ])
    save_pth("var_mini", tf)
    save_safetensors("var_mini", tf)

    vae = OrderedDict([
        ("encoder.conv_in.weight", torch.randn(32, 3, 1, 1, generator=g)),
        ("encoder.down.0.block.0.conv1.weight", torch.randn(32, 1, 1, 1, generator=g)),
        ("encoder.down.0.block.1.conv1.weight", torch.randn(32, 1, 1, 1, generator=g)),
        ("encoder.down.1.block.0.conv1.weight", torch.randn(64, 1, 1, 1, generator=g)),
        ("encoder.down.1.attn.0.qkv.weight", torch.randn(3, 1, 1, 1, generator=g)),
        ("quantize.embedding.weight", torch.randn(4, 2, generator=g)),
        ("quantize.ema_vocab_hit_SV", torch.zeros(2, 4)),
        ("quantize.quant_resi.qresi_ls.0.weight", torch.randn(2, 2, 1, 1, generator=g)),
        ("quantize.quant_resi.qresi_ls.1.weight", torch.randn(2, 2, 1, 1, generator=g)),
    ])
    save_pth("vae_mini", vae)
    save_safetensors("vae_mini", vae.copy())

    # torch >= 1.12 may add a byteorder entry (torch 1.13 here does not write one): add it by hand.
    with zipfile.ZipFile(os.path.join(OUT, "dtypes.pth")) as z:
        items = [(i, z.read(i.filename)) for i in z.infolist()]
    with zipfile.ZipFile(os.path.join(OUT, "byteorder.pth"), "w", zipfile.ZIP_STORED) as z:
        for info, data in items:
            z.writestr(info, data)
        z.writestr("archive/byteorder", b"little")

    hostile = {
        "os_system.pkl": b"\x80\x02cos\nsystem\nX\x02\x00\x00\x00idR.",
        "newobj.pkl": b"\x80\x02ccollections\nOrderedDict\n)\x81.",
        "wrapper.pkl": b"\x80\x02}X\x05\x00\x00\x00model}s.",
        "marks.pkl": b"\x80\x02" + b"(" * 64 + b"t" * 64 + b".",
        "memo.pkl": b"\x80\x02}r\xff\xff\xff\x7fj\xff\xff\xff\x7f.",
    }
    for name, data in hostile.items():
        with open(os.path.join(OUT, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()

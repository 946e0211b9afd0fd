#!/usr/bin/python3
"""Compare one 256-px d16 generation of the original PyTorch VAR with libvar's.

The upstream code is *not* part of libvar: pass a checkout of
https://github.com/FoundationVision/VAR (the folder holding dist.py and models/)
with --upstream.  The script builds the d16 transformer and the released VQ-VAE
with random weights (upstream's build_vae_var; the VQ-VAE, which upstream leaves
uninitialised, gets PyTorch's default bounds), saves both state dicts, times
autoregressive_infer_cfg (B = 1 with classifier-free guidance) with the same
thread count, then runs `var-bench gen` on the very same checkpoint files and
prints the ratio of the two timings, measured one after the other in this run.

    /usr/bin/python3 tools/bench/bench_gen_torch.py --upstream /path/to/VAR \
        --var-bench build/tools/var-bench --threads 2

Needs torch (1.13 or later) and numpy; huggingface_hub is stubbed if absent.
"""
import argparse
import math
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
import types


def stub_missing_modules():
    # models/var.py imports huggingface_hub only for the unused VARHF wrapper (docs/algorithm.md §9)
    try:
        import huggingface_hub  # noqa: F401
    except ImportError:
        hub = types.ModuleType('huggingface_hub')

        class PyTorchModelHubMixin:
            def __init_subclass__(cls, **kwargs):
                super().__init_subclass__()

        hub.PyTorchModelHubMixin = PyTorchModelHubMixin
        sys.modules['huggingface_hub'] = hub


def init_vae(vae, torch):
    """PyTorch's default bounds (build_vae_var disables reset_parameters)."""
    nn = torch.nn
    g = torch.Generator().manual_seed(2)
    with torch.no_grad():
        for m in vae.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                bound = 1.0 / math.sqrt(m.weight[0].numel())
                m.weight.uniform_(-bound, bound, generator=g)
                if m.bias is not None:
                    m.bias.uniform_(-bound, bound, generator=g)
            elif isinstance(m, nn.GroupNorm):
                m.weight.fill_(1.0)
                m.bias.zero_()
            elif isinstance(m, nn.Embedding):
                m.weight.uniform_(-1.0 / m.num_embeddings, 1.0 / m.num_embeddings, generator=g)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--upstream', required=True, help='checkout of FoundationVision/VAR (dist.py, models/)')
    ap.add_argument('--var-bench', default='build/tools/var-bench', help='the var-bench program')
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--depth', type=int, default=16)
    ap.add_argument('--runs', type=int, default=2, help='generations per side (the first warms up)')
    ap.add_argument('--cfg', type=float, default=1.5)
    ap.add_argument('--top-k', type=int, default=900)
    ap.add_argument('--top-p', type=float, default=0.96)
    ap.add_argument('--label', type=int, default=207)
    ap.add_argument('--seed', type=int, default=0)
    ap.add_argument('--dir', help='where the checkpoints go (default: a temporary folder, removed afterwards)')
    ap.add_argument('--tf-only', action='store_true', help='libvar side: transformer loop only (no VQ-VAE)')
    a = ap.parse_args()

    import torch
    torch.set_num_threads(a.threads)
    stub_missing_modules()
    sys.path.insert(0, os.path.abspath(a.upstream))
    from models import build_vae_var

    tmp = None if a.dir else tempfile.TemporaryDirectory(prefix='var-bench-torch-')
    folder = a.dir or tmp.name
    os.makedirs(folder, exist_ok=True)
    var_path = os.path.join(folder, 'var_d%d.pth' % a.depth)
    vae_path = os.path.join(folder, 'vae_ch160v4096z32.pth')

    torch.manual_seed(1)
    t = time.perf_counter()
    vae, var = build_vae_var(device='cpu', patch_nums=(1, 2, 3, 4, 5, 6, 8, 10, 13, 16), V=4096, Cvae=32, ch=160,
                             share_quant_resi=4, num_classes=1000, depth=a.depth, shared_aln=False, attn_l2_norm=True,
                             flash_if_available=False, fused_if_available=False)
    init_vae(vae, torch)
    vae.eval()
    var.eval()
    print('built d%d + VQ-VAE with random weights (%.1f s); saving to %s' % (a.depth, time.perf_counter() - t, folder))
    torch.save(var.state_dict(), var_path)
    torch.save(vae.state_dict(), vae_path)

    # PyTorch load time: what a user pays before generating (read + load_state_dict into built modules)
    t = time.perf_counter()
    var.load_state_dict(torch.load(var_path, map_location='cpu'), strict=True)
    torch.nn.Module.load_state_dict(vae, torch.load(vae_path, map_location='cpu'), strict=True)
    torch_load = time.perf_counter() - t

    # split the time at the decoder call
    marks = {}
    fhat_to_img = vae.fhat_to_img

    def timed_fhat_to_img(f_hat):
        marks['decode_start'] = time.perf_counter()
        return fhat_to_img(f_hat)
    vae.fhat_to_img = timed_fhat_to_img

    torch_tf, torch_dec = [], []
    label = torch.tensor([a.label])
    with torch.inference_mode():
        for r in range(a.runs):
            t0 = time.perf_counter()
            var.autoregressive_infer_cfg(B=1, label_B=label, g_seed=a.seed, cfg=a.cfg, top_k=a.top_k, top_p=a.top_p,
                                         more_smooth=False)
            t1 = time.perf_counter()
            torch_tf.append(marks['decode_start'] - t0)
            torch_dec.append(t1 - marks['decode_start'])
            print('PyTorch run %d: transformer %.3f s, decode %.3f s' % (r, torch_tf[-1], torch_dec[-1]), flush=True)
    torch_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0
    del var, vae

    cmd = [a.var_bench, 'gen', '--var', var_path, '--threads', str(a.threads), '--runs', str(a.runs),
           '--cfg', str(a.cfg), '--top-k', str(a.top_k), '--top-p', str(a.top_p), '--label', str(a.label),
           '--seed', str(a.seed)]
    cmd += ['--tf-only'] if a.tf_only else ['--vae', vae_path]
    print('running', ' '.join(cmd), flush=True)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    print(out)
    m = re.search(r'^RESULT (.*)$', out, re.M)
    if not m:
        sys.exit('var-bench printed no RESULT line')
    res = dict(kv.split('=') for kv in m.group(1).split())
    lib_tf, lib_dec = float(res['tf_s']), float(res['decode_s'])

    # warm runs: the best of the runs after the first (or the only one)
    pt_tf = min(torch_tf[1:] or torch_tf)
    pt_dec = min(torch_dec[1:] or torch_dec)
    print('threads %d, d%d, B=1 with CFG, cfg %g, top_k %d, top_p %g' % (a.threads, a.depth, a.cfg, a.top_k, a.top_p))
    print('  transformer: PyTorch %.3f s, libvar %.3f s -> libvar %.2fx faster' % (pt_tf, lib_tf, pt_tf / lib_tf))
    if not a.tf_only:
        print("  decode:      PyTorch %.3f s, libvar %.3f s -> libvar %.2fx faster"
              % (pt_dec, lib_dec, pt_dec / lib_dec))
        print('  total:       PyTorch %.3f s, libvar %.3f s -> libvar %.2fx faster'
              % (pt_tf + pt_dec, lib_tf + lib_dec, (pt_tf + pt_dec) / (lib_tf + lib_dec)))
    print('  load:        PyTorch %.3f s (torch.load + load_state_dict), libvar %.3f s (transformer) + %.3f s (VQ-VAE)'
          % (torch_load, float(res['load_tf_s']), float(res['load_vae_s'])))
    print('  peak RSS:    PyTorch %.0f MiB, libvar %.0f MiB (checkpoint files %.0f MiB, mapped)'
          % (torch_rss, float(res['peak_rss_mib']), float(res['weights_mib'])))
    print('  libvar transformer vs its FLOP floor: %.2fx (wall), %.2fx (CPU time)'
          % (float(res['floor_ratio']), float(res['cpu_floor_ratio'])))
    if tmp:
        tmp.cleanup()


if __name__ == '__main__':
    main()

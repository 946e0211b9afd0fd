#!/usr/bin/python3
"""Time the VQ-VAE in PyTorch and in libvar on the same weights, in one session.

The PyTorch side is a minimal re-implementation of the released multi-scale
VQ-VAE written from `docs/algorithm.md` (§2, §3: ResnetBlock, AttnBlock,
Downsample, Upsample, encoder, decoder, the residual quantiser with its phi
convolutions), *not* upstream's code; it loads the very checkpoint that libvar
loads (safetensors or a torch .pth state dict) with strict key and shape checks.

With --var-bench (the default when build/tools/var-bench exists) the script
alternates: one `var-bench vae` process (its own best-of-N), then the same
number of PyTorch rounds, --rounds times, and prints both timings and their
ratio with the load average of the machine.  Each side reports its warm time as
the best of its rounds after the first; the ratio is taken from the best of
each side and, for noise, also round by round (runs of the two sides next to
each other in time).

    /usr/bin/python3 tools/bench/bench_vae_torch.py --threads 2 --rounds 3

Without --vae a checkpoint of the released layout with random weights is
written by `var-bench vae --keep` first.  --check also runs var-bench with
--dump and compares: the tokens of PyTorch's encode with libvar's (the share
that agree) and PyTorch's decode of libvar's tokens with libvar's image.

Needs torch (1.13 or later, Debian's python3-torch) and numpy.
"""
import argparse
import json
import os
import re
import resource
import shutil
import struct
import subprocess
import sys
import tempfile
import time

import numpy as np

PN_256 = (1, 2, 3, 4, 5, 6, 8, 10, 13, 16)
PN_512 = (1, 2, 3, 4, 6, 9, 13, 18, 24, 32)


# ---- checkpoint ---------------------------------------------------------------

def read_safetensors(path):
    """name -> numpy float32 array (F32, F16 and BF16 tensors)."""
    with open(path, 'rb') as f:
        n = struct.unpack('<Q', f.read(8))[0]
        header = json.loads(f.read(n))
        base = 8 + n
        out = {}
        for name, t in header.items():
            if name == '__metadata__':
                continue
            a, b = t['data_offsets']
            f.seek(base + a)
            raw = f.read(b - a)
            if t['dtype'] == 'F32':
                arr = np.frombuffer(raw, dtype='<f4')
            elif t['dtype'] == 'F16':
                arr = np.frombuffer(raw, dtype='<f2').astype(np.float32)
            elif t['dtype'] == 'BF16':
                arr = (np.frombuffer(raw, dtype='<u2').astype(np.uint32) << 16).view(np.float32)
            else:
                raise ValueError('%s: dtype %s not supported' % (name, t['dtype']))
            out[name] = arr.reshape(t['shape']).copy()
    return out


def load_state_dict(path, torch):
    if path.endswith('.safetensors'):
        return {k: torch.from_numpy(v) for k, v in read_safetensors(path).items()}
    sd = torch.load(path, map_location='cpu')
    return {k: v.float() for k, v in sd.items()}


# ---- the model (docs/algorithm.md §2-§3) --------------------------------------------------
# The PyTorch VQ-VAE is the one the demo model is trained with (tools/train/var_model.py, written from
# the specification docs/algorithm.md summarises, not upstream's code): one implementation of the reference in the project.

def build_model(torch, sd, pn):
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'train'))
    import var_model

    ch = sd['encoder.conv_in.weight'].shape[0]
    cv = sd['quant_conv.weight'].shape[0]
    vocab = sd['quantize.embedding.weight'].shape[0]
    n_levels = 1 + max(int(k.split('.')[2]) for k in sd if k.startswith('encoder.down.'))
    mult = [sd['encoder.down.%d.block.0.conv1.weight' % i].shape[0] // ch for i in range(n_levels)]
    n_res = 1 + max(int(k.split('.')[4]) for k in sd if k.startswith('encoder.down.0.block.'))
    n_phi = 1 + max(int(k.split('.')[3]) for k in sd if k.startswith('quantize.quant_resi.qresi_ls.'))
    if n_phi != 4:
        raise ValueError('%d phi convolutions; the released layout (and var_model.py) has 4' % n_phi)
    m = var_model.VQVAE(vocab=vocab, cv=cv, ch=ch, ch_mult=tuple(mult), num_res_blocks=n_res, patch_nums=pn)
    sd = dict(sd)
    sd.setdefault('quantize.ema_vocab_hit_SV', m.quantize.ema_vocab_hit_SV)   # statistics only (docs/algorithm.md §7.2)
    want = m.state_dict()
    missing, extra = sorted(set(want) - set(sd)), sorted(set(sd) - set(want))
    if missing or extra:
        raise ValueError('checkpoint does not fit: missing %s, unexpected %s' % (missing[:5], extra[:5]))
    for k, v in sd.items():
        if tuple(v.shape) != tuple(want[k].shape):
            raise ValueError('%s: shape %s, expected %s' % (k, tuple(v.shape), tuple(want[k].shape)))
    m.load_state_dict(sd, strict=True)
    m.eval()

    def img_to_tokens(img):
        return torch.cat(m.img_to_tokens(img), dim=1)

    def tokens_to_img(tokens):
        o, per_scale = 0, []
        for p in pn:
            per_scale.append(tokens[:, o:o + p * p])
            o += p * p
        return m.tokens_to_img(per_scale)

    return img_to_tokens, tokens_to_img, dict(ch=ch, mult=mult, n_res=n_res, cv=cv, vocab=vocab, n_phi=n_phi)


def make_image(side):
    """The same pattern as var-bench vae's make_image (in double, then float32)."""
    x = np.arange(side, dtype=np.float64)[None, None, :]
    y = np.arange(side, dtype=np.float64)[None, :, None]
    c = np.arange(3, dtype=np.float64)[:, None, None]
    v = (0.6 * np.sin(0.05 * x * (c + 1) + 0.03 * y) * np.cos(0.04 * y - 0.7 * c)
         + 0.3 * np.sin(0.9 * x + 1.3 * y + c) * np.sin(0.11 * x * y / side))
    return np.clip(v, -1, 1).astype(np.float32)


def rss_mib():
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1]) / 1024.0
    return 0.0


def run_var_bench(a, vae_path, runs, dump=None):
    cmd = [a.var_bench, 'vae', '--vae', vae_path, '--threads', str(a.threads), '--runs', str(runs),
           '--size', str(a.size)]
    if dump:
        cmd += ['--dump', dump]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    m = re.search(r'^RESULT (.*)$', out, re.M)
    if not m:
        sys.exit('var-bench printed no RESULT line:\n' + out)
    return out, dict(kv.split('=', 1) for kv in m.group(1).split())


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    default_bench = os.path.join(here, '..', '..', 'build', 'tools', 'var-bench')
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--vae', help='checkpoint (.safetensors or .pth); default: random weights via var-bench')
    ap.add_argument('--var-bench', default=default_bench if os.path.exists(default_bench) else None,
                    help='the var-bench program (default build/tools/var-bench); "none" for PyTorch only')
    ap.add_argument('--threads', type=int, default=os.cpu_count())
    ap.add_argument('--size', type=int, default=256, choices=(256, 512))
    ap.add_argument('--runs', type=int, default=3, help='encode+decode runs per side and round (3)')
    ap.add_argument('--rounds', type=int, default=2, help='alternations libvar / PyTorch (2)')
    ap.add_argument('--check', action='store_true', help='compare tokens and images with libvar')
    a = ap.parse_args()
    if a.var_bench == 'none':
        a.var_bench = None
    if not a.vae and not a.var_bench:
        sys.exit('without --vae the random checkpoint comes from var-bench: give --var-bench')

    import torch
    torch.set_num_threads(a.threads)
    pn = PN_256 if a.size == 256 else PN_512
    tmp = tempfile.mkdtemp(prefix='var-bench-vae-')
    try:
        vae_path = a.vae
        if not vae_path:
            subprocess.run([a.var_bench, 'vae', '--runs', '1', '--decode-only', '--dir', tmp, '--keep'], check=True,
                           capture_output=True)
            vae_path = os.path.join(tmp, 'vae_ch160v4096z32.safetensors')
        rss0 = rss_mib()
        t = time.perf_counter()
        img_to_tokens, tokens_to_img, cfg = build_model(torch, load_state_dict(vae_path, torch), pn)
        t_load = time.perf_counter() - t
        print('PyTorch %s, %d threads (%s); VQ-VAE %s; load %.2f s; RSS after load %.0f MiB (%.0f before)'
              % (torch.__version__, torch.get_num_threads(),
                 'oneDNN' if torch.backends.mkldnn.is_available() else 'no oneDNN', cfg, t_load, rss_mib(), rss0),
              flush=True)
        img = torch.from_numpy(make_image(a.size))[None]
        L = sum(p * p for p in pn)

        def torch_round():
            enc, dec = [], []
            with torch.inference_mode():
                for _ in range(a.runs):
                    t0 = time.perf_counter()
                    tok = img_to_tokens(img)
                    t1 = time.perf_counter()
                    tokens_to_img(tok)
                    t2 = time.perf_counter()
                    enc.append(t1 - t0)
                    dec.append(t2 - t1)
            return enc, dec

        rows = []
        for r in range(a.rounds):
            lib = None
            if a.var_bench:
                l0 = os.getloadavg()[0]
                _, res = run_var_bench(a, vae_path, a.runs)
                lib = (float(res['cold_encode_s']), float(res['encode_s']), float(res['cold_decode_s']),
                       float(res['decode_s']), res, l0)
                print('round %d libvar:  encode %.3f s (cold %.3f), decode %.3f s (cold %.3f); %.1f GFLOP/s decode, '
                      '%.2fx the FLOP floor at SGEMM %.1f GFLOP/s; load %.2f'
                      % (r, lib[1], lib[0], lib[3], lib[2], float(res['decode_gflops']),
                         float(res['decode_floor_ratio']), float(res['sgemm_gflops']), os.getloadavg()[0]),
                      flush=True)
            l0 = os.getloadavg()[0]
            enc, dec = torch_round()
            pt = (enc[0], min(enc[1:] or enc), dec[0], min(dec[1:] or dec), l0)
            print('round %d PyTorch: encode %.3f s (cold %.3f), decode %.3f s (cold %.3f); runs: encode %s, decode %s;'
                  ' load %.2f' % (r, pt[1], pt[0], pt[3], pt[2], ' '.join('%.3f' % x for x in enc),
                                  ' '.join('%.3f' % x for x in dec), os.getloadavg()[0]), flush=True)
            rows.append((lib, pt))
        torch_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0

        pt_enc, pt_dec = min(p[1] for _, p in rows), min(p[3] for _, p in rows)
        print('\nVQ-VAE %d px, %d threads, best of %d rounds x %d runs (first run of each round = cold, not counted)'
              % (a.size, a.threads, a.rounds, a.runs))
        if a.var_bench:
            best = min((l for l, _ in rows), key=lambda l: l[3])
            lib_enc, lib_dec = min(l[1] for l, _ in rows), min(l[3] for l, _ in rows)
            per_round_dec = ['%.2f' % (p[3] / l[3]) for l, p in rows]
            per_round_enc = ['%.2f' % (p[1] / l[1]) for l, p in rows]
            res = best[4]
            print('  encode: PyTorch %.3f s, libvar %.3f s -> libvar %.2fx faster (round by round: %s)'
                  % (pt_enc, lib_enc, pt_enc / lib_enc, ' '.join(per_round_enc)))
            print('  decode: PyTorch %.3f s, libvar %.3f s -> libvar %.2fx faster (round by round: %s)'
                  % (pt_dec, lib_dec, pt_dec / lib_dec, ' '.join(per_round_dec)))
            print('  libvar decode %.1f GFLOP/s = %.2fx the FLOP floor at SGEMM %.1f GFLOP/s (%s, %s); encode %.2fx'
                  % (float(res['decode_gflops']), float(res['decode_floor_ratio']), float(res['sgemm_gflops']),
                     res['gemm'], res['conv'], float(res['encode_floor_ratio'])))
            print('  peak RSS: PyTorch %.0f MiB (process incl. torch itself; %.0f MiB after loading), libvar %.0f MiB '
                  '(checkpoint %.0f MiB mapped)' % (torch_peak, rss0, float(res['peak_rss_mib']),
                                                    float(res['weights_mib'])))
            print('  load average (1 min) at the rounds: ' +
                  ' '.join('%.2f/%.2f' % (l[5], p[4]) for l, p in rows) + ' (libvar/PyTorch)')
            print('RESULT threads=%d torch_encode_s=%.4f torch_decode_s=%.4f var_encode_s=%.4f var_decode_s=%.4f '
                  'encode_speedup=%.3f decode_speedup=%.3f decode_floor_ratio=%s sgemm_gflops=%s torch_peak_rss_mib=%.1f '
                  'var_peak_rss_mib=%s load=%.2f' % (a.threads, pt_enc, pt_dec, lib_enc, lib_dec, pt_enc / lib_enc,
                                                     pt_dec / lib_dec, res['decode_floor_ratio'], res['sgemm_gflops'],
                                                     torch_peak, res['peak_rss_mib'], os.getloadavg()[0]))
        else:
            print('  encode: PyTorch %.3f s; decode: PyTorch %.3f s; peak RSS %.0f MiB' % (pt_enc, pt_dec, torch_peak))

        if a.check and a.var_bench:
            dump = os.path.join(tmp, 'dump')
            os.makedirs(dump)
            run_var_bench(a, vae_path, 1, dump)
            lib_img = np.fromfile(os.path.join(dump, 'image.f32'), dtype=np.float32)
            lib_tok = np.fromfile(os.path.join(dump, 'tokens.i32'), dtype=np.int32)
            lib_dec = np.fromfile(os.path.join(dump, 'decoded.f32'), dtype=np.float32)
            with torch.inference_mode():
                tok = img_to_tokens(torch.from_numpy(lib_img.reshape(1, 3, a.size, a.size)))
                dec = tokens_to_img(torch.from_numpy(lib_tok.astype(np.int64))[None])
            agree = (tok.numpy().ravel() == lib_tok).mean()
            diff = np.abs(dec.numpy().ravel() - lib_dec)
            print('check: input images equal: %s; tokens agree at %.1f%% of %d positions (near-ties may flip and '
                  'cascade to finer scales); decode of libvar\'s tokens: max |diff| %.2e, mean %.2e'
                  % (np.array_equal(lib_img, make_image(a.size).ravel()), 100 * agree, L, diff.max(), diff.mean()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()

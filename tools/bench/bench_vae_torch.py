#!/usr/bin/python3
"""Time the VQ-VAE in PyTorch and in libvar on the same weights, in one session.

The PyTorch side is a minimal re-implementation of the released multi-scale
VQ-VAE written from docs/var-spec.md (§2, §3: ResnetBlock, AttnBlock,
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


# ---- the model (var-spec §2-§3) --------------------------------------------------

def build_model(torch, sd):
    nn = torch.nn
    F = torch.nn.functional

    def norm(c):
        return nn.GroupNorm(32, c, eps=1e-6, affine=True)

    class ResnetBlock(nn.Module):
        def __init__(self, ci, co):
            super().__init__()
            self.norm1, self.conv1 = norm(ci), nn.Conv2d(ci, co, 3, 1, 1)
            self.norm2, self.conv2 = norm(co), nn.Conv2d(co, co, 3, 1, 1)
            self.nin_shortcut = nn.Conv2d(ci, co, 1) if ci != co else None

        def forward(self, x):
            h = self.conv1(F.silu(self.norm1(x)))
            h = self.conv2(F.silu(self.norm2(h)))
            return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h

    class AttnBlock(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.c = c
            self.norm, self.qkv, self.proj_out = norm(c), nn.Conv2d(c, 3 * c, 1), nn.Conv2d(c, c, 1)

        def forward(self, x):
            B, C, H, W = x.shape
            q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).unbind(1)
            a = torch.bmm(q.transpose(1, 2), k).mul_(C ** -0.5).softmax(dim=2)   # [B, N(i), N(j)]
            o = torch.bmm(v, a.transpose(1, 2)).reshape(B, C, H, W)              # o[c, i] = sum_j v[c, j] a[i, j]
            return x + self.proj_out(o)

    class Resample(nn.Module):
        def __init__(self, c, up):
            super().__init__()
            self.up = up
            self.conv = nn.Conv2d(c, c, 3, 1, 1) if up else nn.Conv2d(c, c, 3, 2, 0)

        def forward(self, x):
            if self.up:
                return self.conv(F.interpolate(x, scale_factor=2.0, mode='nearest'))
            return self.conv(F.pad(x, (0, 1, 0, 1)))

    class Level(nn.Module):
        def __init__(self, ci, co, n_blocks, attn, resample, up):
            super().__init__()
            self.block = nn.ModuleList([ResnetBlock(ci if j == 0 else co, co) for j in range(n_blocks)])
            self.attn = nn.ModuleList([AttnBlock(co) for _ in range(n_blocks)]) if attn else nn.ModuleList()
            self.resample = ('upsample' if up else 'downsample') if resample else None
            if resample:
                setattr(self, self.resample, Resample(co, up))

        def forward(self, x):
            for j, b in enumerate(self.block):
                x = b(x)
                if len(self.attn):
                    x = self.attn[j](x)
            return getattr(self, self.resample)(x) if self.resample else x

    class Mid(nn.Module):
        def __init__(self, c):
            super().__init__()
            self.block_1, self.attn_1, self.block_2 = ResnetBlock(c, c), AttnBlock(c), ResnetBlock(c, c)

        def forward(self, x):
            return self.block_2(self.attn_1(self.block_1(x)))

    # configuration from the shapes (var-spec §7.2)
    ch = sd['encoder.conv_in.weight'].shape[0]
    cv = sd['quant_conv.weight'].shape[0]
    vocab = sd['quantize.embedding.weight'].shape[0]
    n_levels = 1 + max(int(k.split('.')[2]) for k in sd if k.startswith('encoder.down.'))
    mult = [sd['encoder.down.%d.block.0.conv1.weight' % i].shape[0] // ch for i in range(n_levels)]
    n_res = 1 + max(int(k.split('.')[4]) for k in sd if k.startswith('encoder.down.0.block.'))
    n_phi = 1 + max(int(k.split('.')[3]) for k in sd if k.startswith('quantize.quant_resi.qresi_ls.'))

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv_in = nn.Conv2d(3, ch, 3, 1, 1)
            self.down = nn.ModuleList()
            c = ch
            for i in range(n_levels):
                self.down.append(Level(c, ch * mult[i], n_res, i == n_levels - 1, i < n_levels - 1, False))
                c = ch * mult[i]
            self.mid = Mid(c)
            self.norm_out, self.conv_out = norm(c), nn.Conv2d(c, cv, 3, 1, 1)

        def forward(self, x):
            x = self.conv_in(x)
            for lv in self.down:
                x = lv(x)
            return self.conv_out(F.silu(self.norm_out(self.mid(x))))

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            c = ch * mult[-1]
            self.conv_in = nn.Conv2d(cv, c, 3, 1, 1)
            self.mid = Mid(c)
            levels = [None] * n_levels
            for i in reversed(range(n_levels)):
                levels[i] = Level(c, ch * mult[i], n_res + 1, i == n_levels - 1, i > 0, True)
                c = ch * mult[i]
            self.up = nn.ModuleList(levels)
            self.norm_out, self.conv_out = norm(c), nn.Conv2d(c, 3, 3, 1, 1)

        def forward(self, x):
            x = self.mid(self.conv_in(x))
            for lv in reversed(self.up):
                x = lv(x)
            return self.conv_out(F.silu(self.norm_out(x)))

    class QuantResi(nn.Module):
        def __init__(self):
            super().__init__()
            self.qresi_ls = nn.ModuleList([nn.Conv2d(cv, cv, 3, 1, 1) for _ in range(n_phi)])

    class Quantize(nn.Module):
        def __init__(self):
            super().__init__()
            self.embedding = nn.Embedding(vocab, cv)
            self.quant_resi = QuantResi()

    class VQVAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder, self.decoder = Encoder(), Decoder()
            self.quantize = Quantize()
            self.quant_conv, self.post_quant_conv = nn.Conv2d(cv, cv, 3, 1, 1), nn.Conv2d(cv, cv, 3, 1, 1)

        def phi_index(self, si, S):
            """var-spec §3.5: nearest tick of linspace(1/(3K), 1-1/(3K), K) to si/(S-1), first on ties."""
            K = n_phi
            start, stop = (1 / (3 * K), 1 - 1 / (3 * K)) if K == 4 else (1 / (2 * K), 1 - 1 / (2 * K))
            ticks = np.linspace(start, stop, K)
            return int(np.argmin(np.abs(ticks - si / (S - 1))))

        def phi(self, h, si, S):
            conv = self.quantize.quant_resi.qresi_ls[self.phi_index(si, S)]
            return h.mul(0.5) + conv(h).mul_(0.5)

        def img_to_tokens(self, img, pn):
            f = self.quant_conv(self.encoder(img))
            B, C, H, W = f.shape
            E = self.quantize.embedding.weight
            e_sq = E.square().sum(dim=1)
            f_rest, f_hat, tokens = f.clone(), torch.zeros_like(f), []
            for si, p in enumerate(pn):
                last = si == len(pn) - 1
                z = f_rest if last else F.interpolate(f_rest, size=(p, p), mode='area')
                z = z.permute(0, 2, 3, 1).reshape(-1, C)
                d = (z.square().sum(dim=1, keepdim=True) + e_sq).addmm_(z, E.T, alpha=-2, beta=1)   # ‖z‖²+‖e‖²−2z·e
                idx = d.argmin(dim=1)
                tokens.append(idx.view(B, p * p))
                h = E[idx].view(B, p, p, C).permute(0, 3, 1, 2)
                if not last:
                    h = F.interpolate(h, size=(H, W), mode='bicubic')
                q = self.phi(h, si, len(pn))
                f_hat.add_(q)
                f_rest.sub_(q)
            return torch.cat(tokens, dim=1)

        def tokens_to_img(self, tokens, pn):
            E = self.quantize.embedding.weight
            B, H = tokens.shape[0], pn[-1]
            f_hat, o = torch.zeros(B, E.shape[1], H, H), 0
            for si, p in enumerate(pn):
                h = E[tokens[:, o:o + p * p]].view(B, p, p, -1).permute(0, 3, 1, 2)
                o += p * p
                if si < len(pn) - 1:
                    h = F.interpolate(h, size=(H, H), mode='bicubic')
                f_hat.add_(self.phi(h, si, len(pn)))
            return self.decoder(self.post_quant_conv(f_hat)).clamp_(-1, 1).add_(1).mul_(0.5)

    m = VQVAE()
    want = dict(m.state_dict())
    sd = dict(sd)
    sd.pop('quantize.ema_vocab_hit_SV', None)   # a statistics buffer, unused at inference (var-spec §7.2)
    missing, extra = sorted(set(want) - set(sd)), sorted(set(sd) - set(want))
    if missing or extra:
        raise ValueError('checkpoint does not fit: missing %s, unexpected %s' % (missing[:5], extra[:5]))
    for k, v in sd.items():
        if tuple(v.shape) != tuple(want[k].shape):
            raise ValueError('%s: shape %s, expected %s' % (k, tuple(v.shape), tuple(want[k].shape)))
    m.load_state_dict(sd, strict=True)
    return m.eval(), dict(ch=ch, mult=mult, n_res=n_res, cv=cv, vocab=vocab, n_phi=n_phi)


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
        model, cfg = build_model(torch, load_state_dict(vae_path, torch))
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
                    tok = model.img_to_tokens(img, pn)
                    t1 = time.perf_counter()
                    model.tokens_to_img(tok, pn)
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
                tok = model.img_to_tokens(torch.from_numpy(lib_img.reshape(1, 3, a.size, a.size)), pn)
                dec = model.tokens_to_img(torch.from_numpy(lib_tok.astype(np.int64))[None], pn)
            agree = (tok.numpy().ravel() == lib_tok).mean()
            diff = np.abs(dec.numpy().ravel() - lib_dec)
            print('check: input images equal: %s; tokens agree at %.1f%% of %d positions (near-ties may flip and '
                  'cascade to finer scales); decode of libvar\'s tokens: max |diff| %.2e, mean %.2e'
                  % (np.array_equal(lib_img, make_image(a.size).ravel()), 100 * agree, L, diff.max(), diff.mean()))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == '__main__':
    main()

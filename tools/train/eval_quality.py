"""eval_quality.py — measures what the shipped demo model learned, through the C library.

In-painting: held-out images of the procedural family (seeds from data.EVAL_SEED_BASE, never seen in
training), each with one hole (a rectangle or an ellipse, 8, 12 or 16 px across, placed at random
inside the 32x32 image).  The hole is filled three ways and scored by PSNR over the hole's pixels
(RGB, 8-bit values scaled to [0, 1]):
  * C in-paint  — `build/tools/var inpaint` with models/demo (unconditional, the whole image as context),
                  given the image with the hole flattened to the mean colour, so nothing of the hidden
                  content can reach the model whatever --fill is (the library's default, --fill smooth,
                  replaces the masked pixels by a harmonic fill of their surroundings before encoding);
  * mean fill   — the mean colour of the known pixels;
  * diffusion   — harmonic (Laplace) fill: Jacobi iterations of the 4-neighbour average with the known
                  pixels fixed, started from the mean colour, run to convergence.
Out-painting (--task outpaint): the unknown area is instead a 6, 8 or 10 px band along one random side,
given to `var outpaint` as transparent pixels (no margins: it fills them); the same baselines
(the harmonic fill becomes a harmonic extension) and scores.
Class dependence: `var generate --class c` for every class and several seeds; each image is assigned
to a class by a k-nearest-neighbour classifier on colour-invariant pattern features (oriented power
spectrum statistics) fitted on training images.  Reported: its accuracy on generated images vs chance
(1/6) and vs its accuracy on real held-out images.

No torch needed: numpy, PIL and the C command only.
Usage: python3 eval_quality.py --var build/tools/var --model-dir models/demo [--per-class 20] [--json OUT]
"""
import argparse
import json
import os
import subprocess
import tempfile

import numpy as np
from PIL import Image

import data

S = data.SIZE


# ---- masks and baselines -------------------------------------------------------------------------

def make_hole(rng):
    size = int(rng.choice([8, 12, 16]))
    kind = 'rect' if rng.random() < 0.5 else 'ellipse'
    y0, x0 = rng.integers(2, S - size - 1, 2)
    return data.hole_mask(kind, size, y0, x0), kind, size


def make_band(rng):
    """Out-painting: a band of 6, 8 or 10 px along one random side is unknown."""
    size = int(rng.choice([6, 8, 10]))
    side = ['left', 'top', 'right', 'bottom'][int(rng.integers(0, 4))]
    m = np.zeros((S, S), bool)
    if side == 'left':
        m[:, :size] = True
    elif side == 'right':
        m[:, S - size:] = True
    elif side == 'top':
        m[:size] = True
    else:
        m[S - size:] = True
    return m, side, size


def mean_fill(img, m):
    out = img.copy()
    out[m] = img[~m].mean(0)
    return out


def diffusion_fill(img, m, iters=3000):
    out = mean_fill(img, m)
    for _ in range(iters):
        p = np.pad(out, ((1, 1), (1, 1), (0, 0)), mode='edge')
        avg = (p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:]) / 4
        nxt = np.where(m[..., None], avg, img)
        if np.abs(nxt - out).max() < 1e-6:
            out = nxt
            break
        out = nxt
    return out


def psnr(a, b, m):
    mse = ((a[m] - b[m]) ** 2).mean()
    return 10 * np.log10(1.0 / max(mse, 1e-10))


def to_u8(img):
    return (np.clip(img, 0, 1) * 255 + 0.5).astype(np.uint8)


def c_outpaint(var, model_dir, img_u8, m, seed, tmp, extra):
    """`var outpaint` without margins fills the transparent pixels: the band is given as alpha 0."""
    src, out = (os.path.join(tmp, n) for n in ('in.png', 'out.png'))
    rgba = np.dstack([img_u8, np.where(m, 0, 255).astype(np.uint8)])
    rgba[m, :3] = 0
    Image.fromarray(rgba, 'RGBA').save(src)
    cmd = [var, 'outpaint', src, '--model-dir', model_dir, '--seed', str(seed), '--out', out, '-q'] + extra
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return np.asarray(Image.open(out).convert('RGB'), dtype=np.float64) / 255


def c_inpaint(var, model_dir, img_u8, m, seed, tmp, extra):
    src, msk, out = (os.path.join(tmp, n) for n in ('in.png', 'mask.png', 'out.png'))
    Image.fromarray(img_u8).save(src)
    Image.fromarray((m * 255).astype(np.uint8)).save(msk)
    cmd = [var, 'inpaint', src, '--mask', msk, '--model-dir', model_dir, '--seed', str(seed), '--out', out,
           '--margin', str(S), '-q'] + extra
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    return np.asarray(Image.open(out).convert('RGB'), dtype=np.float64) / 255


# ---- class features ------------------------------------------------------------------------------

def features(img):
    """Colour-invariant pattern statistics of one H x W x 3 image in [0,1]."""
    g = img @ np.array([0.299, 0.587, 0.114])
    g = g - g.mean()
    sd = g.std()
    g = g / (sd + 1e-3)
    P = np.abs(np.fft.fftshift(np.fft.fft2(g * np.outer(np.hanning(S), np.hanning(S))))) ** 2
    y, x = np.mgrid[0:S, 0:S] - S // 2
    r = np.hypot(y, x)
    th = np.mod(np.arctan2(y, x), np.pi)
    P = P / P.sum()
    radial = np.array([P[(r >= a) & (r < b)].sum() for a, b in [(0, 1), (1, 2), (2, 3), (3, 4), (4, 6), (6, 9), (9, 16)]])
    band = (r >= 1.5) & (r < 12)
    ang = np.array([P[band & (th >= k * np.pi / 12) & (th < (k + 1) * np.pi / 12)].sum() for k in range(12)])
    ang = np.sort(ang / (ang.sum() + 1e-12))[::-1]
    # spatial: share of intermediate grey levels (gradients have many), edge density
    lo, hi = np.percentile(g, 5), np.percentile(g, 95)
    mid = ((g > lo + 0.25 * (hi - lo)) & (g < hi - 0.25 * (hi - lo))).mean()
    gy, gx = np.gradient(g)
    edge = (np.hypot(gy, gx) > 0.5).mean()
    return np.concatenate([radial, ang[:6], [mid, edge, np.log(sd + 1e-3)]])


class KNN:
    def __init__(self, X, y, k=7):
        self.mu, self.sd = X.mean(0), X.std(0) + 1e-9
        self.X, self.y, self.k = (X - self.mu) / self.sd, y, k

    def predict(self, X):
        Z = (X - self.mu) / self.sd
        d = ((Z[:, None, :] - self.X[None]) ** 2).sum(-1)
        nn = np.argsort(d, 1)[:, :self.k]
        votes = self.y[nn]
        return np.array([np.bincount(v, minlength=len(data.CLASSES)).argmax() for v in votes])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--var', default='build/tools/var')
    ap.add_argument('--model-dir', default='models/demo')
    ap.add_argument('--task', choices=('inpaint', 'outpaint'), default='inpaint',
                    help='outpaint: the unknown area is a 6-10 px band along one side, filled by `var outpaint`')
    ap.add_argument('--per-class', type=int, default=20, help='held-out in-paint images per class')
    ap.add_argument('--gen-per-class', type=int, default=20)
    ap.add_argument('--top-k', default='0', help='in-paint sampling: top-k (0 = all)')
    ap.add_argument('--top-p', default='0', help='in-paint sampling: top-p (0 = off)')
    ap.add_argument('--prefill', choices=('mean', 'diffusion'), default='mean',
                    help='what the C in-paint gets inside the hole')
    ap.add_argument('--grow', help='var inpaint --grow PX (default: the library\'s)')
    ap.add_argument('--fill', choices=('smooth', 'original'), default='smooth', help='var inpaint --fill')
    ap.add_argument('--strength', default='1', help='var inpaint --strength')
    ap.add_argument('--blend', choices=('seamless', 'paste'), default='seamless', help='var inpaint --blend')
    ap.add_argument('--with-class', action='store_true',
                    help='class-conditional in-paint with the true class (default: unconditional)')
    ap.add_argument('--cfg', default='1.5', help='guidance for --with-class')
    ap.add_argument('--validation', type=int, choices=(0, 1), default=0,
                    help='1: a disjoint set of held-out images and holes, for choosing settings '
                         '(--strength, --top-k) without looking at the reported set')
    ap.add_argument('--no-class', action='store_true', help='skip the class-dependence measurement')
    ap.add_argument('--json')
    ap.add_argument('--save-examples', help='write a contact sheet PNG of a few in-paint cases here')
    args = ap.parse_args()
    nc = len(data.CLASSES)
    res = {'inpaint': [], 'settings': vars(args)}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rng = np.random.default_rng(12345 + args.validation + (100 if args.task == 'outpaint' else 0))
        for c in range(nc):
            for i in range(args.per_class):
                seed = data.EVAL_SEED_BASE + 1000 * c + i + 500 * args.validation
                img = to_u8(data.render(c, seed).transpose(1, 2, 0))
                x = img.astype(np.float64) / 255
                m, kind, size = make_band(rng) if args.task == 'outpaint' else make_hole(rng)
                out_m = to_u8(mean_fill(x, m)).astype(np.float64) / 255
                out_d = to_u8(diffusion_fill(x, m)).astype(np.float64) / 255
                # the model must not see what was in the hole (the coarse scales it keeps would carry
                # it), so it gets the image with the hole pre-filled by one of the baselines
                run_c = c_outpaint if args.task == 'outpaint' else c_inpaint
                out_c = run_c(args.var, args.model_dir, to_u8(out_d if args.prefill == 'diffusion' else out_m),
                                  m, i, tmp, ['--top-k', args.top_k, '--top-p', args.top_p, '--fill', args.fill,
                                              '--strength', args.strength, '--blend', args.blend] +
                                  (['--grow', args.grow] if args.grow else []) +
                                  (['--class', str(c), '--cfg', args.cfg] if args.with_class else []))
                res['inpaint'].append(dict(cls=c, seed=seed, kind=kind, size=size, npix=int(m.sum()), c=psnr(out_c, x, m),
                                           mean=psnr(out_m, x, m), diffusion=psnr(out_d, x, m)))
                if i < 2 and args.save_examples:
                    hole = x.copy()
                    hole[m] = 0.5
                    rows.append(np.concatenate([x, hole, out_m, out_d, out_c], 1))
        if rows and args.save_examples:
            sheet = np.concatenate(rows, 0)
            Image.fromarray(to_u8(sheet)).resize((sheet.shape[1] * 3, sheet.shape[0] * 3), Image.NEAREST) \
                .save(args.save_examples)

        if not args.no_class:
            # class dependence
            tl, ts = np.arange(1800) % nc, np.arange(1800)          # training seeds (as the models saw)
            Xtr = np.stack([features(data.render(l, s).transpose(1, 2, 0)) for l, s in zip(tl, ts)])
            knn = KNN(Xtr, tl)
            hl = np.arange(600) % nc
            Xho = np.stack([features(data.render(l, data.EVAL_SEED_BASE + 50000 + s).transpose(1, 2, 0))
                            for s, l in enumerate(hl)])
            real_acc = float((knn.predict(Xho) == hl).mean())
            gen_lab, gen_feat = [], []
            for c in range(nc):
                for s in range(args.gen_per_class):
                    out = os.path.join(tmp, 'gen.png')
                    subprocess.run([args.var, 'generate', '--class', str(c), '--seed', str(s), '--model-dir',
                                    args.model_dir, '--out', out, '-q'], check=True, stdout=subprocess.DEVNULL)
                    g = np.asarray(Image.open(out).convert('RGB'), dtype=np.float64) / 255
                    gen_lab.append(c)
                    gen_feat.append(features(g))
            pred = knn.predict(np.stack(gen_feat))
            gen_lab = np.array(gen_lab)
            conf = np.zeros((nc, nc), int)
            for a, b in zip(gen_lab, pred):
                conf[a, b] += 1
            res['class'] = dict(real_heldout_accuracy=real_acc, generated_accuracy=float((pred == gen_lab).mean()),
                                chance=1 / nc, confusion_rows_true_cols_pred=conf.tolist(), classes=data.CLASSES)

    ip = res['inpaint']
    summ = {k: float(np.mean([r[k] for r in ip])) for k in ('c', 'mean', 'diffusion')}
    # the same scores pooled: PSNR of the mean squared error over every hole pixel of every image
    # (the mean of per-image PSNRs above weighs a near-perfect smooth hole as much as a textured one)
    summ['pooled'] = {k: float(10 * np.log10(1 / np.average([10 ** (-r[k] / 10) for r in ip],
                                                            weights=[r['npix'] for r in ip])))
                      for k in ('c', 'mean', 'diffusion')}
    summ['c_beats_diffusion_fraction'] = float(np.mean([r['c'] > r['diffusion'] for r in ip]))
    # paired differences (the same image and hole): mean +- standard error, median; for the pooled score a
    # bootstrap 95 % interval over images
    boot = np.random.default_rng(7).integers(0, len(ip), (2000, len(ip)))
    w = np.array([r['npix'] for r in ip], float)
    for base in ('mean', 'diffusion'):
        d = np.array([r['c'] - r[base] for r in ip])
        mse_c = np.array([10 ** (-r['c'] / 10) for r in ip])
        mse_b = np.array([10 ** (-r[base] / 10) for r in ip])
        pooled_d = 10 * np.log10((mse_b[boot] * w[boot]).sum(1) / (mse_c[boot] * w[boot]).sum(1))
        summ['c_minus_' + base] = dict(mean=float(d.mean()), se=float(d.std(ddof=1) / np.sqrt(len(d))),
                                       median=float(np.median(d)),
                                       pooled=summ['pooled']['c'] - summ['pooled'][base],
                                       pooled_ci95=[float(np.percentile(pooled_d, 2.5)),
                                                    float(np.percentile(pooled_d, 97.5))])
    summ['per_class'] = {data.CLASSES[c]: {k: float(np.mean([r[k] for r in ip if r['cls'] == c]))
                                            for k in ('c', 'mean', 'diffusion')} for c in range(nc)}
    summ['per_size'] = {s: {k: float(np.mean([r[k] for r in ip if r['size'] == s])) for k in ('c', 'mean', 'diffusion')}
                        for s in sorted({r['size'] for r in ip})}
    res['summary'] = summ
    print(json.dumps(summ, indent=1))
    if 'class' in res:
        cl = res['class']
        print('class dependence: generated accuracy %.3f, real held-out accuracy %.3f, chance %.3f'
              % (cl['generated_accuracy'], cl['real_heldout_accuracy'], cl['chance']))
        print('confusion (rows: requested class, columns: classified as):')
        for name, row in zip(data.CLASSES, cl['confusion_rows_true_cols_pred']):
            print('  %-13s %s' % (name, ' '.join('%3d' % v for v in row)))
    if args.json:
        json.dump(res, open(args.json, 'w'), indent=1)


if __name__ == '__main__':
    main()

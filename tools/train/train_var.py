"""train_var.py — trains the demo VAR transformer on tokens of the trained demo VQ-VAE.

Teacher forcing exactly as in docs/algorithm.md §4.5: the VQ-VAE turns each image into its multi-scale
token pyramid; the input of scale s+1 is the area-downsampled running f_hat of scales 0..s; the loss
is the cross-entropy of all L = 130 tokens (every scale weighted per token).  Labels are replaced by
the unconditional class (index num_classes) with probability 0.1 so classifier-free guidance works.
Images are generated fresh for every batch (seeds from 10**7 upwards, disjoint from the evaluation's).

Usage: python3 train_var.py --vae DIR/vae_demo.pth --out DIR [--minutes 25] [--threads 2]
Writes DIR/var_demo.pth (bare state dict) and DIR/var_log.json.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import data
from var_model import VQVAE, VAR
from config import VAE_CFG, VAR_CFG, PATCH_NUMS

TRAIN_SEED_BASE = 10 ** 7
# scales kept whole in in-paint-aware samples: strengths 1, 0.75, 0.5 and 0.25 on the 8-scale schedule
KEEP_CHOICES = (0, 2, 4, 6)


def load_vae(path):
    vae = VQVAE(patch_nums=PATCH_NUMS, **VAE_CFG)
    sd = {k: v.float() for k, v in torch.load(path).items()}
    vae.load_state_dict(sd, strict=True)
    return vae.eval()


def batch_tokens(vae, labels, seeds):
    x = torch.from_numpy(data.make_batch(labels, seeds)) * 2 - 1
    with torch.no_grad():
        toks = vae.img_to_tokens(x)
        x_in = vae.quantize.var_input(toks, vae.latent)
    return torch.cat(toks, 1), x_in


# ---- in-paint-aware samples (--inpaint-frac) ------------------------------------------------------
#
# Teacher forcing only ever shows the transformer coarse scales that belong to the image it must
# continue.  An in-paint shows it something else inside the hole: the tokens of the input with the hole
# replaced by a smooth fill (libvar's VAR_FILL_SMOOTH) on the scales an edit keeps whole (strength < 1)
# or whose cells are mostly outside the mask.  Seeing a flat patch at the coarse scales, a model trained
# only on real pyramids continues it flat.  These samples reproduce what var_inpaint gives the model --
# same fill, same keep flags (bilinear > 0.5, 1x1 kept, the first K scales kept whole) -- and ask for the
# tokens that lead from there to the true image: at every regenerated position, the quantiser's choice
# for the true image's features minus the f_hat built so far.

def smooth_fill(x, m, iters=400):
    """Harmonic fill of x (B x 3 x H x W) where m (B x 1 x H x W, bool); the rest unchanged."""
    known = (~m).float()
    mean = (x * known).sum((2, 3), keepdim=True) / known.sum((2, 3), keepdim=True).clamp(min=1)
    y = torch.where(m, mean.expand_as(x), x)
    k = torch.tensor([[0, 0.25, 0], [0.25, 0, 0.25], [0, 0.25, 0]]).view(1, 1, 3, 3).repeat(3, 1, 1, 1)
    for _ in range(iters):
        avg = F.conv2d(F.pad(y, (1, 1, 1, 1), mode='replicate'), k, groups=3)
        y = torch.where(m, avg, x)
    return y


@torch.no_grad()
def inpaint_material(vae, labels, seeds, rng):
    """For each image: its true encoder features, the tokens of its hole-filled version, the keep mask."""
    x = torch.from_numpy(data.make_batch(labels, seeds))
    holes = random_holes(rng, len(x), x.shape[-1])
    m = torch.from_numpy(holes)[:, None]
    # what var_inpaint encodes: the image with the hole smoothly filled, rounded to 8 bits like a PNG
    filled = torch.round(smooth_fill(x, m) * 255) / 255
    f_true = vae.encode_f(x * 2 - 1)
    tok_fill = torch.cat(vae.img_to_tokens(filled * 2 - 1), 1)
    cell = x.shape[-1] // PATCH_NUMS[-1]
    return f_true, tok_fill, keep_masks(holes, cell, max(1, cell // 4))


def random_holes(rng, n, size):
    """Holes of eval_quality's kinds (squares and ellipses, here 6-18 px), from a training RNG:
    n x size x size bool."""
    out = np.zeros((n, size, size), bool)
    for i in range(n):
        d = int(rng.integers(6, 19))
        y0, x0 = rng.integers(1, size - d, 2)
        out[i] = data.hole_mask('rect' if rng.random() < 0.5 else 'ellipse', d, y0, x0, size)
    return out


def keep_masks(holes, cell, grow):
    """Finest-grid keep masks (1 = keep): a cell is regenerated when a masked pixel lies within its span
    grown by `grow` px (var_window_keep_mask at scale 1)."""
    n, size, _ = holes.shape
    h = size // cell
    keep = np.ones((n, h, h), np.float32)
    for cy in range(h):
        for cx in range(h):
            y0, y1 = max(0, cy * cell - grow), min(size, (cy + 1) * cell + grow)
            x0, x1 = max(0, cx * cell - grow), min(size, (cx + 1) * cell + grow)
            keep[:, cy, cx] = ~holes[:, y0:y1, x0:x1].any((1, 2))
    return torch.from_numpy(keep)


@torch.no_grad()
def inpaint_sample_tokens(vae, f_true, tok_fill, keep, K):
    """Token pyramid (B x L) an ideal in-paint would end with: kept positions from tok_fill (the filled
    input's tokens), regenerated ones quantising the true features' residual."""
    q = vae.quantize
    B, C, H, _ = f_true.shape
    f_hat = torch.zeros_like(f_true)
    out, at = [], 0
    for si, pn in enumerate(PATCH_NUMS):
        flags = F.interpolate(keep[:, None], size=(pn, pn), mode='bilinear', align_corners=False)[:, 0] > 0.5
        if pn * pn <= 3 or si < K:
            flags[:] = True
        rest = f_true - f_hat
        z = rest if si == len(PATCH_NUMS) - 1 else F.interpolate(rest, size=(pn, pn), mode='area')
        idx = q.nearest(z.permute(0, 2, 3, 1).reshape(-1, C)).view(B, pn * pn)
        idx = torch.where(flags.view(B, -1), tok_fill[:, at:at + pn * pn], idx)
        e = q.embedding(idx).view(B, pn, pn, C).permute(0, 3, 1, 2)
        f_hat = f_hat + q.phi(si, q.up(si, e, H))
        out.append(idx)
        at += pn * pn
    return torch.cat(out, 1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vae', required=True)
    ap.add_argument('--out', required=True)
    ap.add_argument('--minutes', type=float, default=22.0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=32)
    ap.add_argument('--lr', type=float, default=1e-3)
    ap.add_argument('--max-steps', type=int, default=10 ** 9)
    ap.add_argument('--log-every', type=int, default=25)
    ap.add_argument('--init', help='continue from this var_demo.pth (a second stage with its own schedule)')
    ap.add_argument('--seed-base', type=int, default=TRAIN_SEED_BASE)
    ap.add_argument('--warmup', type=int, default=150)
    ap.add_argument('--pool', type=int, default=6000,
                    help='distinct training images; encoding them is a large part of the cost on 2 cores')
    ap.add_argument('--inpaint-frac', type=float, default=0.0,
                    help='share of each batch that are in-paint-aware samples (see inpaint_sample_tokens)')
    ap.add_argument('--keep-choices', default=','.join(map(str, KEEP_CHOICES)),
                    help='in-paint-aware samples: K (coarse scales kept whole) is drawn from these, '
                         'repeats weigh a choice more')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    vae = load_vae(args.vae)
    for p in vae.parameters():
        p.requires_grad_(False)
    var = VAR(patch_nums=PATCH_NUMS, **VAR_CFG)
    if args.init:
        var.load_state_dict(torch.load(args.init))
    ncls = VAR_CFG['num_classes']
    decay = [p for n, p in var.named_parameters() if p.ndim >= 2 and 'pos' not in n and 'emb' not in n]
    other = [p for n, p in var.named_parameters() if not (p.ndim >= 2 and 'pos' not in n and 'emb' not in n)]
    opt = torch.optim.AdamW([dict(params=decay, weight_decay=0.05), dict(params=other, weight_decay=0.0)],
                            lr=args.lr, betas=(0.9, 0.95))
    # a fixed held-out batch (evaluation seeds) to watch the teacher-forced loss without label dropout
    hl = np.arange(120) % ncls
    h_tok, h_in = batch_tokens(vae, hl, data.EVAL_SEED_BASE + 50000 + np.arange(120))
    h_lab = torch.from_numpy(hl)

    budget = args.minutes * 60
    t0 = time.time()
    step, seed, log, ema = 0, args.seed_base, [], None
    pool_tok, pool_lab, pool_ip = [], [], []
    hole_rng = np.random.default_rng(args.seed_base + 1)
    keep_choices = [int(k) for k in args.keep_choices.split(',')]
    begins = np.cumsum([0] + [p * p for p in PATCH_NUMS])
    while step < args.max_steps:
        el = time.time() - t0
        if el > budget:
            break
        frac = el / budget
        lr = args.lr * min(1.0, (step + 1) / args.warmup) * (0.05 + 0.95 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g['lr'] = lr
        if seed - args.seed_base < args.pool:
            # first pass: encode fresh images and keep their tokens
            labels = np.random.default_rng(seed).integers(0, ncls, args.batch)
            tok, x_in = batch_tokens(vae, labels, range(seed, seed + args.batch))
            if args.inpaint_frac > 0:
                pool_ip.append(inpaint_material(vae, labels, range(seed, seed + args.batch), hole_rng))
            seed += args.batch
            pool_tok.append(tok)
            pool_lab.append(labels)
            if seed - args.seed_base >= args.pool:
                pool_tok, pool_lab = torch.cat(pool_tok), np.concatenate(pool_lab)
                if args.inpaint_frac > 0:
                    pool_ip = [torch.cat(parts) for parts in zip(*pool_ip)]
        else:
            # later passes: random batches of the stored token pyramids
            pick = torch.randint(len(pool_lab), (args.batch,))
            tok, labels = pool_tok[pick], pool_lab[pick.numpy()]
            n_ip = int(round(args.inpaint_frac * args.batch))
            if n_ip:
                f_true, tok_fill, keep = (t[pick[:n_ip]] for t in pool_ip)
                K = int(hole_rng.choice(keep_choices))
                tok = tok.clone()
                tok[:n_ip] = inpaint_sample_tokens(vae, f_true, tok_fill, keep, K)
            with torch.no_grad():
                x_in = vae.quantize.var_input(list(torch.split(tok, [p * p for p in PATCH_NUMS], 1)), vae.latent)
        var.train()
        logits = var(torch.from_numpy(labels), x_in, drop=True)
        loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tok.reshape(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(var.parameters(), 2.0)
        opt.step()
        step += 1
        cur = dict(step=step, t=round(time.time() - t0, 1), lr=lr, loss=loss.item())
        ema = cur if ema is None else dict(cur, loss=0.95 * ema['loss'] + 0.05 * cur['loss'])
        if step % args.log_every == 0:
            rec = dict(ema)
            rec.update(heldout(var, h_lab, h_in, h_tok, begins))
            print(json.dumps({k: (round(v, 4) if isinstance(v, float) else v) for k, v in rec.items()}), flush=True)
            log.append(rec)
        if step % 300 == 0:
            torch.save(var.state_dict(), f'{args.out}/var_demo.pth')
    torch.save(var.state_dict(), f'{args.out}/var_demo.pth')
    final = heldout(var, h_lab, h_in, h_tok, begins)
    json.dump(dict(steps=step, distinct_images=seed - args.seed_base, samples=step * args.batch, seconds=time.time() - t0, final_train_loss=ema['loss'],
                   final_heldout=final, log=log, args=vars(args)), open(f'{args.out}/var_log.json', 'w'), indent=1)
    print('done', step, 'steps', round(time.time() - t0), 's', json.dumps(final), flush=True)


@torch.no_grad()
def heldout(var, lab, x_in, tok, begins):
    var.eval()
    logits = var(lab, x_in, drop=False)
    ce = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), tok.reshape(-1), reduction='none').view(tok.shape)
    acc = (logits.argmax(-1) == tok).float()
    out = dict(ho_loss=ce.mean().item(), ho_acc=acc.mean().item())
    out['ho_loss_per_scale'] = [round(ce[:, begins[i]:begins[i + 1]].mean().item(), 3) for i in range(len(begins) - 1)]
    return out


if __name__ == '__main__':
    main()

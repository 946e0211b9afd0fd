"""train_vae.py — trains the demo multi-scale VQ-VAE on the procedural family (data.py).

Loss: L1 + MSE reconstruction on [-1, 1] images, plus the multi-scale VQ loss (codebook + 0.25 x
commitment, averaged over scales, straight-through estimator).  Codes unused for `--restart-every`
steps are re-seeded from recent encoder residuals so the small codebook stays in use.
Fresh images every step (seeds counting up from 0), so there is no over-fitting to a fixed set.
Whole 32x32 images with the real schedule throughout (the shipped model).  --crop-frac F spends the
first share F of the time on random 16x16 crops (config.CROP) quantised with the 4x4-latent schedule
(1,2,3,4), 4x cheaper per step; the first demo model was trained that way (F = 0.75) and put most of
its detail into the finest scale, which the transformer then could not predict.

Usage: python3 train_vae.py --out DIR [--minutes 16] [--threads 2]
Writes DIR/vae_demo.pth (released layout: bare state dict) and DIR/vae_log.json.
"""
import argparse
import json
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

import data
from var_model import VQVAE
from config import VAE_CFG, PATCH_NUMS, CROP, CROP_PATCH_NUMS
from var_model import phi_index_table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--minutes', type=float, default=13.0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--restart-every', type=int, default=40)
    ap.add_argument('--max-steps', type=int, default=10 ** 9)
    ap.add_argument('--crop-frac', type=float, default=0.0, help='share of the time budget spent on crops (0: none)')
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)

    vae = VQVAE(patch_nums=PATCH_NUMS, **VAE_CFG)
    q = vae.quantize
    opt = torch.optim.AdamW(vae.parameters(), lr=args.lr, betas=(0.9, 0.95), weight_decay=0.0)
    budget = args.minutes * 60
    t0 = time.time()
    step, seed = 0, 0
    hits = torch.zeros(q.vocab)
    log = []
    ema = None
    while step < args.max_steps:
        el = time.time() - t0
        if el > budget:
            break
        # warm-up, then cosine decay over the time budget
        frac = el / budget
        lr = args.lr * min(1.0, (step + 1) / 100) * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * frac)))
        for g in opt.param_groups:
            g['lr'] = lr
        labels = np.arange(seed, seed + args.batch) % len(data.CLASSES)
        x = torch.from_numpy(data.make_batch(labels, range(seed, seed + args.batch))) * 2 - 1
        seed += args.batch
        cropping = frac < args.crop_frac
        set_schedule(q, CROP_PATCH_NUMS if cropping else PATCH_NUMS)
        if cropping:
            oy, ox = np.random.default_rng(seed).integers(0, x.shape[-1] - CROP + 1, 2)
            x = x[:, :, oy:oy + CROP, ox:ox + CROP].contiguous()
        rec, vq_loss, _, h, f = vae(x)
        l1 = (rec - x).abs().mean()
        mse = F.mse_loss(rec, x)
        loss = l1 + mse + vq_loss
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        hits += h
        step += 1
        if step % args.restart_every == 0 or step == 5:
            restart_dead_codes(vae, f.detach(), hits)
            used = int((hits > 0).sum())
            hits.zero_()
        else:
            used = None
        with torch.no_grad():
            psnr = -10 * math.log10(max(F.mse_loss((rec.clamp(-1, 1) + 1) / 2, (x + 1) / 2).item(), 1e-12))
        cur = dict(step=step, t=round(time.time() - t0, 1), crop=int(cropping), lr=lr, l1=l1.item(), mse=mse.item(),
                   vq=vq_loss.item(), psnr=psnr)
        ema = cur if ema is None else {k: (0.95 * ema[k] + 0.05 * v if k in ('l1', 'mse', 'vq', 'psnr') else v)
                                       for k, v in cur.items()}
        if used is not None:
            ema['codes_used'] = used
        if step % 20 == 0:
            print(json.dumps({k: (round(v, 5) if isinstance(v, float) else v) for k, v in ema.items()}), flush=True)
            log.append(dict(ema))
        if step % 500 == 0:
            torch.save(vae.state_dict(), f'{args.out}/vae_demo.pth')
    set_schedule(q, PATCH_NUMS)
    torch.save(vae.state_dict(), f'{args.out}/vae_demo.pth')
    json.dump(dict(steps=step, images=seed, seconds=time.time() - t0, final=ema, log=log, args=vars(args)),
              open(f'{args.out}/vae_log.json', 'w'), indent=1)
    print('done', step, 'steps', round(time.time() - t0), 's', flush=True)


def set_schedule(q, patch_nums):
    q.patch_nums = tuple(patch_nums)
    q.phi_idx = phi_index_table(len(patch_nums), len(q.quant_resi.qresi_ls))


@torch.no_grad()
def restart_dead_codes(vae, f, hits):
    """Re-seed unused codes with residual vectors the quantiser actually meets (all scales)."""
    q = vae.quantize
    dead = (hits == 0).nonzero().flatten()
    if len(dead) == 0:
        return
    B, C, H, W = f.shape
    f_rest = f.clone()
    pool = []
    for si, pn in enumerate(q.patch_nums):
        z = f_rest if si == len(q.patch_nums) - 1 else F.interpolate(f_rest, size=(pn, pn), mode='area')
        zf = z.permute(0, 2, 3, 1).reshape(-1, C)
        pool.append(zf)
        idx = q.nearest(zf)
        e = q.embedding(idx).reshape(B, pn, pn, C).permute(0, 3, 1, 2)
        f_rest = f_rest - q.phi(si, q.up(si, e, H))
    pool = torch.cat(pool)
    pick = pool[torch.randint(len(pool), (len(dead),))]
    q.embedding.weight.data[dead] = pick + 0.01 * pick.std() * torch.randn_like(pick)


if __name__ == '__main__':
    main()

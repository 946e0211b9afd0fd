"""train_var.py — trains the demo VAR transformer on tokens of the trained demo VQ-VAE.

Teacher forcing exactly as in var-spec.md §4.5: the VQ-VAE turns each image into its multi-scale
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
    pool_tok, pool_lab = [], []
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
            seed += args.batch
            pool_tok.append(tok)
            pool_lab.append(labels)
            if seed - args.seed_base >= args.pool:
                pool_tok, pool_lab = torch.cat(pool_tok), np.concatenate(pool_lab)
        else:
            # later passes: random batches of the stored token pyramids
            pick = torch.randint(len(pool_lab), (args.batch,))
            tok, labels = pool_tok[pick], pool_lab[pick.numpy()]
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

"""export_demo.py — ships the trained demo pair and the parity references for the C library.

1. Writes models/demo/vae_demo.pth and var_demo.pth: the trained state dicts with every float tensor
   stored as float16 (the C loader widens F16 to float32; this halves the files to ~4 MB) and
   everything else exactly as torch.save(model.state_dict()) writes the released checkpoints.
2. Writes tests/data/demo/: a golden set in the format of tests/data/golden (manifest.json + .npy,
   see docs golden.md) made by *this* PyTorch code on the shipped (float16-rounded) weights, for two
   held-out images: every vae_* and tf_* array the golden stages compare.  Tolerances follow the
   golden sets' rule: atol = roundup_1_2_5(max(30 x |float32 - float64|, 1e-6 x max|value|)).

Usage: python3 export_demo.py --vae VAE.pth --var VAR.pth --repo REPO_ROOT
"""
import argparse
import hashlib
import json
import math
import os

import numpy as np
import torch
import torch.nn.functional as F

import data
from config import VAE_CFG, VAR_CFG, PATCH_NUMS, IMAGE_SIZE
from var_model import VQVAE, VAR

EXPORT_DTYPE = torch.float16
REF_SEEDS = [data.EVAL_SEED_BASE + 777, data.EVAL_SEED_BASE + 778]
REF_CLASSES = [0, 3]            # stripes, rings
TF_LABELS = [3, VAR_CFG['num_classes']]   # one conditional, one unconditional row
EXAMPLE = (0, data.EVAL_SEED_BASE + 4242, (10, 10, 12))   # stripes; 12x12 hole at (y, x) = (10, 10)


def shipped_state(path):
    sd = torch.load(path)
    return {k: (v.to(EXPORT_DTYPE) if v.is_floating_point() else v) for k, v in sd.items()}


def as_float(sd, dtype):
    return {k: (v.to(dtype) if v.is_floating_point() else v) for k, v in sd.items()}


@torch.no_grad()
def vae_arrays(vae, x):
    """Every vae_* array of golden.md for images x (B,3,H,W) in [-1,1], in the model's dtype."""
    q = vae.quantize
    enc_out = vae.encoder(x)
    f = vae.quant_conv(enc_out)
    B, C, H, W = f.shape
    S = len(q.patch_nums)
    f_rest, f_hat = f.clone(), torch.zeros_like(f)
    toks, margins, scales = [], [], []
    E = q.embedding.weight
    for si, pn in enumerate(q.patch_nums):
        z = f_rest if si == S - 1 else F.interpolate(f_rest, size=(pn, pn), mode='area')
        zf = z.permute(0, 2, 3, 1).reshape(-1, C)
        d = (zf * zf).sum(1, keepdim=True) + (E * E).sum(1)[None] - 2 * zf @ E.t()
        two = d.topk(2, dim=1, largest=False).values
        idx = d.argmin(1)
        e = E[idx].reshape(B, pn, pn, C).permute(0, 3, 1, 2)
        h = q.phi(si, q.up(si, e, H))
        f_hat = f_hat + h
        f_rest = f_rest - h
        toks.append(idx.reshape(B, -1))
        margins.append((two[:, 1] - two[:, 0]).reshape(B, -1))
        scales.append(f_hat.clone())
    dec_in = vae.post_quant_conv(f_hat)
    raw = vae.decoder(dec_in)
    return dict(vae_input=x, vae_enc_out=enc_out, vae_f=f, vae_tokens=torch.cat(toks, 1),
                vae_token_dist_margin=torch.cat(margins, 1), vae_fhat_scales=torch.stack(scales),
                vae_fhat=f_hat, vae_dec_in=dec_in, vae_decoded_raw=raw, vae_decoded=raw.clamp(-1, 1))


@torch.no_grad()
def tf_arrays(var, vae, tokens, labels):
    """Teacher-forced transformer arrays (golden.md tf_*), no label dropout."""
    split = list(torch.split(tokens, [p * p for p in PATCH_NUMS], 1))
    x_in = vae.quantize.var_input(split, vae.latent).to(var.pos_1LC.dtype)
    cond = var.class_emb(labels)
    x = torch.cat([cond[:, None] + var.pos_start, var.word_embed(x_in)], 1) + var.pos_1LC + var.lvl_embed(var.lvl_1L)
    out = dict(tf_labels=labels, tf_x_wo_first_l=x_in, tf_x_embed=x,
               tf_ada_block0=var.blocks[0].ada_lin(cond).view(len(labels), 6, -1))
    for i, b in enumerate(var.blocks):
        x = b(x, cond, var.attn_bias_for_masking.to(x.dtype))
        if i == 0:
            out['tf_h_block0'] = x
    out['tf_h_last'] = x
    logits = var.head(var.head_nm(x, cond))
    out['tf_logits'] = logits
    top2 = logits.topk(2, dim=-1).values
    out['tf_logit_margin'] = top2[..., 0] - top2[..., 1]
    return out


def roundup125(x):
    if x <= 0:
        return 1e-7
    e = math.floor(math.log10(x))
    for m in (1, 2, 5, 10):
        if m * 10.0 ** e >= x * (1 - 1e-12):
            return float(f'{m}e{e}')


def set_vae64(vae, sd):
    vae.load_state_dict(as_float(sd, torch.float64))
    return vae.double()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--vae', required=True)
    ap.add_argument('--var', required=True)
    ap.add_argument('--repo', required=True)
    args = ap.parse_args()
    torch.set_num_threads(2)
    mdir = os.path.join(args.repo, 'models', 'demo')
    tdir = os.path.join(args.repo, 'tests', 'data', 'demo')
    os.makedirs(mdir, exist_ok=True)
    os.makedirs(tdir, exist_ok=True)

    files = {}
    for which, src in (('vae', args.vae), ('var', args.var)):
        sd = shipped_state(src)
        dst = os.path.join(mdir, f'{which}_demo.pth')
        torch.save(sd, dst)
        files[which] = (dst, sd)
        print(which, dst, os.path.getsize(dst), 'bytes')

    # the bundled example (a held-out image) and its mask, for scripts/run-demo.sh and the README
    from PIL import Image
    ex = data.render(EXAMPLE[0], EXAMPLE[1]).transpose(1, 2, 0)
    Image.fromarray((np.clip(ex, 0, 1) * 255 + 0.5).astype(np.uint8)).save(os.path.join(mdir, 'example.png'))
    mask = np.zeros((IMAGE_SIZE, IMAGE_SIZE), np.uint8)
    y, x, s = EXAMPLE[2]
    mask[y:y + s, x:x + s] = 255
    Image.fromarray(mask).save(os.path.join(mdir, 'mask.png'))
    with open(os.path.join(mdir, 'classes.txt'), 'w') as fp:
        fp.write(''.join(f'{i} {n}\n' for i, n in enumerate(data.CLASSES)))

    # the references run on exactly the shipped weights (float16 values, computed in float32)
    vae32 = VQVAE(patch_nums=PATCH_NUMS, **VAE_CFG)
    vae32.load_state_dict(as_float(files['vae'][1], torch.float32))
    vae32.eval()
    var32 = VAR(patch_nums=PATCH_NUMS, **VAR_CFG)
    var32.load_state_dict(as_float(files['var'][1], torch.float32))
    var32.eval()
    vae64 = set_vae64(VQVAE(patch_nums=PATCH_NUMS, **VAE_CFG), files['vae'][1]).eval()
    var64 = VAR(patch_nums=PATCH_NUMS, **VAR_CFG)
    var64.load_state_dict(as_float(files['var'][1], torch.float64))
    var64 = var64.double().eval()

    x = torch.from_numpy(data.make_batch(REF_CLASSES, REF_SEEDS)) * 2 - 1
    a32 = vae_arrays(vae32, x)
    a64 = vae_arrays(vae64, x.double())
    labels = torch.tensor(TF_LABELS)
    a32.update(tf_arrays(var32, vae32, a32['vae_tokens'], labels))
    a64.update(tf_arrays(var64, vae64, a32['vae_tokens'], labels))   # same tokens on both paths

    arrays = {}
    for k, v in a32.items():
        fname = k + '.npy'
        if v.is_floating_point():
            arr = v.float().numpy().astype('<f4')
            err = (v.double() - a64[k]).abs().max().item()
            if k == 'vae_token_dist_margin' or k == 'tf_logit_margin':
                # margins are only meaningful where the two paths picked the same order
                err = min(err, 1e-3)
            atol = roundup125(max(30 * err, 1e-6 * float(np.abs(arr).max())))
            arrays[k] = dict(file=fname, dtype='<f4', shape=list(arr.shape),
                             tol=dict(atol=atol, rtol=0.0, measured_err_fp32_vs_fp64=err))
        else:
            arr = v.numpy().astype('<i8')
            arrays[k] = dict(file=fname, dtype='<i8', shape=list(arr.shape))
        np.save(os.path.join(tdir, fname), np.ascontiguousarray(arr))
    tok_mismatch = int((a32['vae_tokens'] != a64['vae_tokens']).sum())
    logit_tie = 2 * max(arrays['tf_logits']['tol']['atol'], 1e-3)
    vq_tie = max(arrays['vae_token_dist_margin']['tol']['atol'], 1e-3)

    ckpts = {}
    for which, (path, sd) in files.items():
        tensors = [dict(name=k, shape=list(v.shape), dtype=str(v.dtype).replace('torch.', '')) for k, v in sd.items()]
        ckpts[which] = dict(file=os.path.relpath(path, tdir), tensors=tensors,
                            num_elements=int(sum(v.numel() for v in sd.values())),
                            sha256=hashlib.sha256(open(path, 'rb').read()).hexdigest())
    manifest = {
        'set': 'demo',
        'format_version': 1,
        'generated_by': dict(script='tools/train/export_demo.py', torch=torch.__version__, numpy=np.__version__,
                             device='cpu', dtype='float32',
                             note='our own PyTorch implementation (tools/train/var_model.py) on the trained, '
                                  'float16-stored demo weights; not the upstream code'),
        'checkpoints': ckpts,
        'config': dict(patch_nums=list(PATCH_NUMS), image_size=IMAGE_SIZE, downsample=IMAGE_SIZE // PATCH_NUMS[-1],
                       L=sum(p * p for p in PATCH_NUMS), first_l=1, num_scales=len(PATCH_NUMS),
                       vae=VAE_CFG, var=VAR_CFG),
        'images': [dict(kind=data.CLASSES[c], seed=s, note='tools/train/data.py render(class, seed)')
                   for c, s in zip(REF_CLASSES, REF_SEEDS)],
        'arrays': arrays,
        'stats': dict(vae_token_mismatch_fp32_vs_fp64=tok_mismatch,
                      min_vae_token_dist_margin=float(a32['vae_token_dist_margin'].min()),
                      min_tf_logit_margin=float(a32['tf_logit_margin'].min())),
        'tolerances': dict(rule='float arrays: |mine - golden| <= arrays[name].tol.atol elementwise',
                           how_atol_was_set='roundup_1_2_5(max(30 * measured |float32 - float64|, '
                                            '1e-6 * max|golden|))',
                           logit_near_tie_threshold=logit_tie, vq_near_tie_threshold=vq_tie),
    }
    json.dump(manifest, open(os.path.join(tdir, 'manifest.json'), 'w'), indent=1)
    for k, v in arrays.items():
        print(f"{k:24s} {str(v['shape']):22s} atol {v.get('tol', {}).get('atol', '-')}")
    print('tokens fp32 vs fp64 mismatches:', tok_mismatch)


if __name__ == '__main__':
    main()

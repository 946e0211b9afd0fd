"""var_model.py — our own PyTorch VQ-VAE + multi-scale quantizer + VAR transformer.

Written from `docs/algorithm.md` (the contract the C library implements), not from upstream code.
Module and parameter names are chosen so that `state_dict()` *is* the released checkpoint layout
(docs/algorithm.md §7.2/§7.3): `torch.save(model.state_dict(), path)` gives a file the C loader reads.

Only what training and the parity references need is here: teacher-forced forward, encode, decode.
Sampling lives in the C library (eval_quality.py drives it through the `var` command).
"""
import math

import torch
import torch.nn as nn
import torch.nn.functional as F


# ---------------------------------------------------------------------------------------------------
# VQ-VAE building blocks (docs/algorithm.md §3.2)

def group_norm(c):
    # 32 groups, eps 1e-6, affine: every VAE channel count is a multiple of 32
    return nn.GroupNorm(32, c, eps=1e-6, affine=True)


class ResnetBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.norm1 = group_norm(cin)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.norm2 = group_norm(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1)
        self.nin_shortcut = nn.Conv2d(cin, cout, 1) if cin != cout else None

    def forward(self, x):
        h = self.conv1(F.silu(self.norm1(x)))
        h = self.conv2(F.silu(self.norm2(h)))
        return (self.nin_shortcut(x) if self.nin_shortcut is not None else x) + h


class AttnBlock(nn.Module):
    """Single-head spatial self-attention; one 1x1 conv makes q|k|v (channel blocks in that order)."""

    def __init__(self, c):
        super().__init__()
        self.c = c
        self.norm = group_norm(c)
        self.qkv = nn.Conv2d(c, 3 * c, 1)
        self.proj_out = nn.Conv2d(c, c, 1)

    def forward(self, x):
        B, C, H, W = x.shape
        q, k, v = self.qkv(self.norm(x)).reshape(B, 3, C, H * W).unbind(1)
        a = torch.softmax(torch.bmm(q.transpose(1, 2), k) * (C ** -0.5), dim=-1)  # B x N(q) x N(k)
        o = torch.bmm(v, a.transpose(1, 2)).reshape(B, C, H, W)
        return x + self.proj_out(o)


class Downsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 2, 0)

    def forward(self, x):
        # right/bottom zero padding only (the original's convention)
        return self.conv(F.pad(x, (0, 1, 0, 1)))


class Upsample(nn.Module):
    def __init__(self, c):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, 1, 1)

    def forward(self, x):
        return self.conv(F.interpolate(x, scale_factor=2, mode='nearest'))


class Level(nn.Module):
    """One resolution level; the attribute names (block, attn, downsample/upsample) are checkpoint keys."""


class Encoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, z_channels):
        super().__init__()
        n = len(ch_mult)
        self.conv_in = nn.Conv2d(3, ch, 3, 1, 1)
        self.down = nn.ModuleList()
        cin = ch
        for i in range(n):
            lv = Level()
            cout = ch * ch_mult[i]
            lv.block = nn.ModuleList()
            lv.attn = nn.ModuleList()
            for _ in range(num_res_blocks):
                lv.block.append(ResnetBlock(cin, cout))
                cin = cout
                if i == n - 1:          # attention after each res-block of the lowest resolution only
                    lv.attn.append(AttnBlock(cout))
            if i != n - 1:
                lv.downsample = Downsample(cout)
            self.down.append(lv)
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(cin, cin)
        self.mid.attn_1 = AttnBlock(cin)
        self.mid.block_2 = ResnetBlock(cin, cin)
        self.norm_out = group_norm(cin)
        self.conv_out = nn.Conv2d(cin, z_channels, 3, 1, 1)

    def forward(self, x):
        h = self.conv_in(x)
        for lv in self.down:
            for j, blk in enumerate(lv.block):
                h = blk(h)
                if len(lv.attn):
                    h = lv.attn[j](h)
            if hasattr(lv, 'downsample'):
                h = lv.downsample(h)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        return self.conv_out(F.silu(self.norm_out(h)))


class Decoder(nn.Module):
    def __init__(self, ch, ch_mult, num_res_blocks, z_channels):
        super().__init__()
        n = len(ch_mult)
        cin = ch * ch_mult[-1]
        self.conv_in = nn.Conv2d(z_channels, cin, 3, 1, 1)
        self.mid = nn.Module()
        self.mid.block_1 = ResnetBlock(cin, cin)
        self.mid.attn_1 = AttnBlock(cin)
        self.mid.block_2 = ResnetBlock(cin, cin)
        ups = [None] * n
        for i in reversed(range(n)):        # built coarse to fine, indexed by level
            lv = Level()
            cout = ch * ch_mult[i]
            lv.block = nn.ModuleList()
            lv.attn = nn.ModuleList()
            for _ in range(num_res_blocks + 1):
                lv.block.append(ResnetBlock(cin, cout))
                cin = cout
                if i == n - 1:
                    lv.attn.append(AttnBlock(cout))
            if i != 0:
                lv.upsample = Upsample(cout)
            ups[i] = lv
        self.up = nn.ModuleList(ups)
        self.norm_out = group_norm(cin)
        self.conv_out = nn.Conv2d(cin, 3, 3, 1, 1)

    def forward(self, z):
        h = self.conv_in(z)
        h = self.mid.block_2(self.mid.attn_1(self.mid.block_1(h)))
        for lv in reversed(self.up):
            for j, blk in enumerate(lv.block):
                h = blk(h)
                if len(lv.attn):
                    h = lv.attn[j](h)
            if hasattr(lv, 'upsample'):
                h = lv.upsample(h)
        return self.conv_out(F.silu(self.norm_out(h)))


# ---------------------------------------------------------------------------------------------------
# Multi-scale residual quantizer (docs/algorithm.md §3.5)

def phi_index_table(S, K):
    """Which of the K phi convolutions serves scale si: nearest tick to si/(S-1), first on ties.
    numpy's linspace arithmetic in double (j*step + start, last = stop) decides exact half-way ties."""
    if K == 4:
        start, stop = 1 / (3 * K), 1 - 1 / (3 * K)
    else:
        start, stop = 1 / (2 * K), 1 - 1 / (2 * K)
    if K == 1:
        ticks = [start]
    else:
        step = (stop - start) / (K - 1)
        ticks = [j * step + start for j in range(K - 1)] + [stop]
    out = []
    for si in range(S):
        r = si / (S - 1)
        d = [abs(t - r) for t in ticks]
        out.append(d.index(min(d)))
    return out


class Phi(nn.Conv2d):
    def __init__(self, c):
        super().__init__(c, c, 3, 1, 1)

    def forward(self, h):
        return h * 0.5 + super().forward(h) * 0.5


class PhiList(nn.Module):
    def __init__(self, c, K):
        super().__init__()
        self.qresi_ls = nn.ModuleList([Phi(c) for _ in range(K)])


class MultiScaleQuantizer(nn.Module):
    def __init__(self, vocab, cv, patch_nums, K=4, beta=0.25):
        super().__init__()
        self.vocab, self.cv, self.patch_nums, self.beta = vocab, cv, tuple(patch_nums), beta
        # usage statistics: not used at inference, kept because the released layout has it
        self.register_buffer('ema_vocab_hit_SV', torch.zeros(len(patch_nums), vocab))
        self.quant_resi = PhiList(cv, K)
        self.embedding = nn.Embedding(vocab, cv)
        self.phi_idx = phi_index_table(len(patch_nums), K)

    def phi(self, si, h):
        return self.quant_resi.qresi_ls[self.phi_idx[si]](h)

    def nearest(self, z):
        """z: N x Cv -> index of the closest code (plain squared L2, first minimum)."""
        E = self.embedding.weight
        d = (z * z).sum(1, keepdim=True) + (E * E).sum(1)[None] - 2 * z @ E.t()
        return d.argmin(1)

    def up(self, si, e, h):
        return e if si == len(self.patch_nums) - 1 else F.interpolate(e, size=(h, h), mode='bicubic')

    def forward(self, f):
        """Residual multi-scale quantisation with a straight-through estimator.
        Returns (f_hat with gradients to the encoder, vq loss, token list, code usage counts)."""
        B, C, H, W = f.shape
        S = len(self.patch_nums)
        f_nograd = f.detach()
        f_rest = f_nograd.clone()
        f_hat = torch.zeros_like(f_nograd)
        loss = 0.0
        tokens, hits = [], torch.zeros(self.vocab, device=f.device)
        for si, pn in enumerate(self.patch_nums):
            z = f_rest if si == S - 1 else F.interpolate(f_rest, size=(pn, pn), mode='area')
            idx = self.nearest(z.permute(0, 2, 3, 1).reshape(-1, C))
            hits += torch.bincount(idx, minlength=self.vocab).float()
            e = self.embedding(idx).reshape(B, pn, pn, C).permute(0, 3, 1, 2)
            q = self.phi(si, self.up(si, e, H))
            f_hat = f_hat + q
            f_rest = f_rest - q.detach()
            tokens.append(idx.reshape(B, pn * pn))
            # codebook/phi pull towards the encoder output, encoder commits to the quantised value
            loss = loss + F.mse_loss(f_hat, f_nograd) + self.beta * F.mse_loss(f_hat.detach(), f)
        loss = loss / S
        f_hat_st = f_hat.detach() + (f - f_nograd)   # straight-through: decoder gradient reaches the encoder
        return f_hat_st, f_hat, loss, tokens, hits

    @torch.no_grad()
    def tokens_to_fhat(self, tokens, H):
        B = tokens[0].shape[0]
        f_hat = torch.zeros(B, self.cv, H, H)
        for si, pn in enumerate(self.patch_nums):
            e = self.embedding(tokens[si]).reshape(B, pn, pn, self.cv).permute(0, 3, 1, 2)
            f_hat = f_hat + self.phi(si, self.up(si, e, H))
        return f_hat

    @torch.no_grad()
    def var_input(self, tokens, H):
        """Teacher-forcing input (idxBl_to_var_input): B x (L - pn0^2) x Cv."""
        B = tokens[0].shape[0]
        S = len(self.patch_nums)
        f_hat = torch.zeros(B, self.cv, H, H)
        out = []
        for si in range(S - 1):
            pn = self.patch_nums[si]
            e = self.embedding(tokens[si]).reshape(B, pn, pn, self.cv).permute(0, 3, 1, 2)
            f_hat = f_hat + self.phi(si, F.interpolate(e, size=(H, H), mode='bicubic'))
            nxt = self.patch_nums[si + 1]
            out.append(F.interpolate(f_hat, size=(nxt, nxt), mode='area').flatten(2).transpose(1, 2))
        return torch.cat(out, 1)


class VQVAE(nn.Module):
    def __init__(self, vocab=256, cv=16, ch=32, ch_mult=(1, 2, 2, 2), num_res_blocks=1,
                 patch_nums=(1, 2, 3, 4, 6, 8)):
        super().__init__()
        self.encoder = Encoder(ch, ch_mult, num_res_blocks, cv)
        self.decoder = Decoder(ch, ch_mult, num_res_blocks, cv)
        self.quantize = MultiScaleQuantizer(vocab, cv, patch_nums)
        self.quant_conv = nn.Conv2d(cv, cv, 3, 1, 1)
        self.post_quant_conv = nn.Conv2d(cv, cv, 3, 1, 1)
        self.patch_nums = tuple(patch_nums)
        self.latent = patch_nums[-1]

    def encode_f(self, x):
        return self.quant_conv(self.encoder(x))

    def decode_fhat(self, f_hat):
        return self.decoder(self.post_quant_conv(f_hat))

    def forward(self, x):
        f = self.encode_f(x)
        f_hat_st, _, vq_loss, tokens, hits = self.quantize(f)
        return self.decode_fhat(f_hat_st), vq_loss, tokens, hits, f

    @torch.no_grad()
    def img_to_tokens(self, x):
        return self.quantize(self.encode_f(x))[3]

    @torch.no_grad()
    def tokens_to_img(self, tokens):
        """Tokens -> image in [0, 1] (clamped decoder output, then (x+1)/2)."""
        f_hat = self.quantize.tokens_to_fhat(tokens, self.latent)
        return (self.decode_fhat(f_hat).clamp(-1, 1) + 1) * 0.5


# ---------------------------------------------------------------------------------------------------
# VAR transformer (docs/algorithm.md §4)

class SelfAttention(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.C, self.H, self.hd = C, H, C // H
        # parameters first, then the buffer, then the linears: this is the released storage order
        self.scale_mul_1H11 = nn.Parameter(torch.full((1, H, 1, 1), 4.0).log())
        self.q_bias = nn.Parameter(torch.zeros(C))
        self.v_bias = nn.Parameter(torch.zeros(C))
        self.register_buffer('zero_k_bias', torch.zeros(C))
        self.mat_qkv = nn.Linear(C, 3 * C, bias=False)
        self.proj = nn.Linear(C, C)
        self.log100 = math.log(100)

    def forward(self, x, mask):
        B, L, C = x.shape
        qkv = F.linear(x, self.mat_qkv.weight, torch.cat([self.q_bias, self.zero_k_bias, self.v_bias]))
        q, k, v = qkv.view(B, L, 3, self.H, self.hd).permute(2, 0, 3, 1, 4).unbind(0)   # B H L hd
        scale = self.scale_mul_1H11.clamp(max=self.log100).exp()
        q = F.normalize(q, dim=-1) * scale
        k = F.normalize(k, dim=-1)
        a = torch.softmax(q @ k.transpose(-2, -1) + mask, dim=-1)     # softmax scale is 1
        o = (a @ v).transpose(1, 2).reshape(B, L, C)
        return self.proj(o)


class FFN(nn.Module):
    def __init__(self, C, hidden):
        super().__init__()
        self.fc1 = nn.Linear(C, hidden)
        self.fc2 = nn.Linear(hidden, C)

    def forward(self, x):
        return self.fc2(F.gelu(self.fc1(x), approximate='tanh'))


class AdaLNBlock(nn.Module):
    def __init__(self, C, H):
        super().__init__()
        self.attn = SelfAttention(C, H)
        self.ffn = FFN(C, 4 * C)
        self.ada_lin = nn.Sequential(nn.SiLU(), nn.Linear(C, 6 * C))

    def forward(self, x, cond, mask):
        C = x.shape[-1]
        # chunk order of the original: gamma1, gamma2, scale1, scale2, shift1, shift2
        g1, g2, s1, s2, b1, b2 = self.ada_lin(cond).view(-1, 1, 6, C).unbind(2)
        x = x + g1 * self.attn(F.layer_norm(x, (C,), eps=1e-6) * (1 + s1) + b1, mask)
        x = x + g2 * self.ffn(F.layer_norm(x, (C,), eps=1e-6) * (1 + s2) + b2)
        return x


class AdaLNHead(nn.Module):
    def __init__(self, C):
        super().__init__()
        self.ada_lin = nn.Sequential(nn.SiLU(), nn.Linear(C, 2 * C))

    def forward(self, h, cond):
        C = h.shape[-1]
        scale, shift = self.ada_lin(cond).view(-1, 1, 2, C).unbind(2)
        return F.layer_norm(h, (C,), eps=1e-6) * (1 + scale) + shift


class VAR(nn.Module):
    def __init__(self, vocab=256, cv=16, depth=4, width=256, heads=4, num_classes=6,
                 patch_nums=(1, 2, 3, 4, 6, 8), cond_drop=0.1):
        super().__init__()
        C = width
        self.C, self.num_classes, self.patch_nums, self.cond_drop = C, num_classes, tuple(patch_nums), cond_drop
        self.L = sum(p * p for p in patch_nums)
        self.first_l = patch_nums[0] ** 2
        init_std = math.sqrt(1 / C / 3)
        self.pos_start = nn.Parameter(torch.empty(1, self.first_l, C).normal_(0, init_std))
        self.pos_1LC = nn.Parameter(torch.empty(1, self.L, C).normal_(0, init_std))
        lvl = torch.cat([torch.full((p * p,), i, dtype=torch.long) for i, p in enumerate(patch_nums)])
        self.register_buffer('lvl_1L', lvl.view(1, self.L))
        mask = torch.where(lvl[:, None] >= lvl[None, :], 0.0, -math.inf)
        self.register_buffer('attn_bias_for_masking', mask.view(1, 1, self.L, self.L).contiguous())
        self.word_embed = nn.Linear(cv, C)
        self.class_emb = nn.Embedding(num_classes + 1, C)     # last row = unconditional
        self.lvl_embed = nn.Embedding(len(patch_nums), C)
        self.blocks = nn.ModuleList([AdaLNBlock(C, heads) for _ in range(depth)])
        self.head_nm = AdaLNHead(C)
        self.head = nn.Linear(C, vocab)
        self._init(init_std, depth)

    def _init(self, std, depth):
        for m in self.modules():
            if isinstance(m, nn.Linear):
                nn.init.trunc_normal_(m.weight, std=std)
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Embedding):
                nn.init.trunc_normal_(m.weight, std=std)
        C = self.C
        for b in self.blocks:
            # residual branches start small so the stack begins close to identity
            b.attn.proj.weight.data.div_(math.sqrt(2 * depth))
            b.ffn.fc2.weight.data.div_(math.sqrt(2 * depth))
            w = b.ada_lin[-1].weight.data
            w[:2 * C].mul_(1e-2)     # gates
            w[2 * C:].mul_(0.5)      # scales / shifts
        self.head_nm.ada_lin[-1].weight.data.mul_(0.5)
        self.head.weight.data.mul_(0.02)

    def forward(self, labels, x_wo_first, drop=True):
        """Teacher-forced logits, B x L x V.  Labels are replaced by the unconditional class with
        probability cond_drop when `drop` (training only; the C library never drops)."""
        B = labels.shape[0]
        if drop and self.cond_drop > 0:
            labels = torch.where(torch.rand(B) < self.cond_drop, torch.full_like(labels, self.num_classes), labels)
        cond = self.class_emb(labels)
        sos = cond[:, None, :] + self.pos_start
        x = torch.cat([sos, self.word_embed(x_wo_first)], 1)
        x = x + self.pos_1LC + self.lvl_embed(self.lvl_1L)
        for b in self.blocks:
            x = b(x, cond, self.attn_bias_for_masking)
        return self.head(self.head_nm(x, cond))

/* config.c — deriving configurations from checkpoints; scale schedules. */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const var_schedule sched_256 = { 10, { 1, 2, 3, 4, 5, 6, 8, 10, 13, 16 } };
static const var_schedule sched_512 = { 10, { 1, 2, 3, 4, 6, 9, 13, 18, 24, 32 } };

int var_schedule_tokens(const var_schedule *s)
{
  int i, L = 0;
  if (!s) return 0;
  for (i = 0; i < s->n_scales && i < VAR_MAX_SCALES; i++) L += s->pn[i] * s->pn[i];
  return L;
}

void var_schedule_begins(const var_schedule *s, int *begin)
{
  int i;
  begin[0] = 0;
  for (i = 0; i < s->n_scales; i++) begin[i + 1] = begin[i] + s->pn[i] * s->pn[i];
}

var_status var_schedule_for_image_size(int image_size, var_schedule *out)
{
  if (!out) return VAR_ERR_INVALID_ARGUMENT;
  if (image_size == 256) { *out = sched_256; return VAR_OK; }
  if (image_size == 512) { *out = sched_512; return VAR_OK; }
  return VAR_ERR_NOT_FOUND;
}

static int schedule_valid(const var_schedule *s)
{
  int i;
  if (s->n_scales < 2 || s->n_scales > VAR_MAX_SCALES) return 0;
  for (i = 0; i < s->n_scales; i++) {
    if (s->pn[i] < 1 || s->pn[i] > 4096) return 0;
    if (i && s->pn[i] <= s->pn[i - 1]) return 0;
  }
  return 1;
}

var_status var_schedule_parse(const char *text, var_schedule *out)
{
  var_schedule s;
  const char *p = text;
  memset(&s, 0, sizeof s);
  if (!text || !out) return VAR_ERR_INVALID_ARGUMENT;
  while (*p) {
    char *end;
    long v = strtol(p, &end, 10);
    if (end == p || v < 1 || v > 4096 || s.n_scales >= VAR_MAX_SCALES) return VAR_ERR_INVALID_ARGUMENT;
    s.pn[s.n_scales++] = (int)v;
    p = end;
    if (*p == ',' || *p == '_' || *p == ' ') p++;
    else if (*p) return VAR_ERR_INVALID_ARGUMENT;
  }
  if (!schedule_valid(&s)) return VAR_ERR_INVALID_ARGUMENT;
  *out = s;
  return VAR_OK;
}

/* Depth-first search for increasing sequences 1 = p0 < p1 < ... with the given
 * sum of squares; stops counting at 2 solutions. */
static void search(int *pn, int idx, int S, int remaining, int *count, var_schedule *first)
{
  int v, lo;
  if (*count >= 2) return;
  if (idx == S) {
    if (remaining == 0) {
      if (*count == 0) {
        first->n_scales = S;
        memcpy(first->pn, pn, sizeof(int) * (size_t)S);
      }
      (*count)++;
    }
    return;
  }
  lo = idx == 0 ? 1 : pn[idx - 1] + 1;
  if (idx == 0) {
    pn[0] = 1;
    search(pn, 1, S, remaining - 1, count, first);
    return;
  }
  for (v = lo; v * v <= remaining; v++) {
    /* the smallest possible rest must still fit */
    int left = S - idx - 1, minrest = 0, k;
    for (k = 1; k <= left; k++) minrest += (v + k) * (v + k);
    if (v * v + minrest > remaining) break;
    pn[idx] = v;
    search(pn, idx + 1, S, remaining - v * v, count, first);
  }
}

var_status var_schedule_derive(int n_scales, int n_tokens, var_schedule *out, int *n_solutions)
{
  int pn[VAR_MAX_SCALES], count = 0;
  var_schedule first;
  memset(&first, 0, sizeof first);
  if (n_solutions) *n_solutions = 0;
  if (n_scales == 10 && n_tokens == var_schedule_tokens(&sched_256)) { *out = sched_256; if (n_solutions) *n_solutions = 1; return VAR_OK; }
  if (n_scales == 10 && n_tokens == var_schedule_tokens(&sched_512)) { *out = sched_512; if (n_solutions) *n_solutions = 1; return VAR_OK; }
  if (n_scales < 2 || n_scales > VAR_MAX_SCALES || n_tokens < n_scales || n_tokens > 16 * 1024 * 1024) return VAR_ERR_NOT_FOUND;
  search(pn, 0, n_scales, n_tokens, &count, &first);
  if (n_solutions) *n_solutions = count;
  if (count != 1) return VAR_ERR_NOT_FOUND;
  *out = first;
  return VAR_OK;
}

int var_phi_index(int si, int n_scales, int n_phi)
{
  /* numpy: ticks = linspace(start, stop, K) computed as j*step + start in double
   * (two roundings, no FMA: volatile keeps the compiler from contracting), last
   * tick = stop; argmin |ticks - r| with the first index winning ties. */
  volatile double start, stop, step, r, t, best_d = 0;
  int j, best = 0;
  if (n_phi <= 1) return 0;
  if (n_phi == 4) {
    start = 1.0 / (3 * n_phi);
    stop = 1.0 - 1.0 / (3 * n_phi);
  } else {
    start = 1.0 / (2 * n_phi);
    stop = 1.0 - 1.0 / (2 * n_phi);
  }
  step = (stop - start) / (n_phi - 1);
  r = n_scales > 1 ? (double)si / (double)(n_scales - 1) : 0.0;
  for (j = 0; j < n_phi; j++) {
    volatile double prod, d;
    if (j == n_phi - 1) t = stop;
    else {
      prod = (double)j * step;
      t = prod + start;
    }
    d = fabs(t - r);
    if (j == 0 || d < best_d) {
      best_d = d;
      best = j;
    }
  }
  return best;
}

/* ---- checkpoint shape helpers ------------------------------------------- */

static const var_ckpt_tensor *findf(var_checkpoint *ck, const char *fmt, int a, int b)
{
  char name[256];
  snprintf(name, sizeof name, fmt, a, b);
  return var_ckpt_find(ck, name);
}

static int64_t count_params(var_checkpoint *ck, const char *const *buffers)
{
  int64_t n = 0;
  int i, k;
  for (i = 0; i < ck->n; i++) {
    int skip = 0;
    for (k = 0; buffers[k]; k++) {
      size_t bl = strlen(buffers[k]), nl = strlen(ck->tensors[i].name);
      if (nl >= bl && !strcmp(ck->tensors[i].name + nl - bl, buffers[k])) skip = 1;
    }
    if (!skip) n += ck->tensors[i].numel;
  }
  return n;
}

var_status var_vqvae_config_derive(var_checkpoint *ck, var_vqvae_config *cfg)
{
  static const char *const buffers[] = { "ema_vocab_hit_SV", NULL };
  const var_ckpt_tensor *t;
  int i;
  memset(cfg, 0, sizeof *cfg);
  t = var_ckpt_find(ck, "encoder.conv_in.weight");
  if (!t || t->ndim != 4)
    return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s is not a VAR VQ-VAE checkpoint (no encoder.conv_in.weight)", ck->path);
  cfg->ch = (int)t->shape[0];
  cfg->in_channels = (int)t->shape[1];
  if (cfg->ch <= 0 || cfg->ch % 32) return var_fail(ck->ctx, VAR_ERR_SHAPE, "VQ-VAE base width %d is not a positive multiple of 32 (GroupNorm needs 32 groups)", cfg->ch);
  for (i = 0; findf(ck, "encoder.down.%d.block.0.conv1.weight", i, 0); i++) {
    t = findf(ck, "encoder.down.%d.block.0.conv1.weight", i, 0);
    if (i >= VAR_MAX_LEVELS) return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "VQ-VAE with more than %d levels", VAR_MAX_LEVELS);
    if (t->ndim != 4 || t->shape[0] % cfg->ch) return var_fail(ck->ctx, VAR_ERR_SHAPE, "encoder level %d width is not a multiple of ch=%d", i, cfg->ch);
    cfg->ch_mult[i] = (int)(t->shape[0] / cfg->ch);
  }
  cfg->n_levels = i;
  if (cfg->n_levels < 1) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "VQ-VAE checkpoint has no encoder levels");
  for (i = 0; findf(ck, "encoder.down.0.block.%d.conv1.weight", i, 0); i++) {}
  cfg->num_res_blocks = i;
  t = var_ckpt_find(ck, "quantize.embedding.weight");
  if (!t || t->ndim != 2) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "VQ-VAE checkpoint lacks quantize.embedding.weight");
  cfg->vocab_size = (int)t->shape[0];
  cfg->z_channels = (int)t->shape[1];
  for (i = 0; findf(ck, "quantize.quant_resi.qresi_ls.%d.weight", i, 0); i++) {}
  cfg->n_phi = i;
  if (cfg->n_phi == 0)
    return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "VQ-VAE checkpoint has no quantize.quant_resi.qresi_ls.* convolutions (only the partially shared phi of the released model is supported)");
  cfg->phi_ratio = 0.5f;
  cfg->enc_attn_last = findf(ck, "encoder.down.%d.attn.0.qkv.weight", cfg->n_levels - 1, 0) != NULL;
  cfg->enc_mid_attn = var_ckpt_find(ck, "encoder.mid.attn_1.qkv.weight") != NULL;
  cfg->dec_attn_last = findf(ck, "decoder.up.%d.attn.0.qkv.weight", cfg->n_levels - 1, 0) != NULL;
  cfg->dec_mid_attn = var_ckpt_find(ck, "decoder.mid.attn_1.qkv.weight") != NULL;
  cfg->downsample = 1 << (cfg->n_levels - 1);
  cfg->n_params = count_params(ck, buffers);
  return VAR_OK;
}

var_status var_tf_config_derive(var_checkpoint *ck, const var_schedule *schedule, var_tf_config *cfg)
{
  static const char *const buffers[] = { "lvl_1L", "attn_bias_for_masking", "zero_k_bias", NULL };
  const var_ckpt_tensor *t;
  int i, nsol = 0;
  memset(cfg, 0, sizeof *cfg);
  t = var_ckpt_find(ck, "class_emb.weight");
  if (!t || t->ndim != 2)
    return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s is not a VAR transformer checkpoint (no class_emb.weight)", ck->path);
  cfg->C = (int)t->shape[1];
  cfg->num_classes = (int)t->shape[0] - 1;
  if (cfg->C <= 0 || cfg->num_classes < 1) return var_fail(ck->ctx, VAR_ERR_SHAPE, "class_emb.weight has an impossible shape");
  for (i = 0; findf(ck, "blocks.%d.attn.mat_qkv.weight", i, 0); i++) {}
  cfg->depth = i;
  if (cfg->depth < 1) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer checkpoint has no blocks");
  t = var_ckpt_find(ck, "blocks.0.attn.scale_mul_1H11");
  if (!t || t->ndim != 4 || t->shape[1] < 1) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer lacks blocks.0.attn.scale_mul_1H11 (only L2-normalised attention is supported)");
  cfg->heads = (int)t->shape[1];
  if (cfg->C % cfg->heads) return var_fail(ck->ctx, VAR_ERR_SHAPE, "width %d is not divisible by %d heads", cfg->C, cfg->heads);
  cfg->head_dim = cfg->C / cfg->heads;
  t = var_ckpt_find(ck, "blocks.0.ffn.fc1.weight");
  if (!t || t->ndim != 2) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer lacks blocks.0.ffn.fc1.weight");
  cfg->mlp_hidden = (int)t->shape[0];
  t = var_ckpt_find(ck, "head.weight");
  if (!t || t->ndim != 2) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer lacks head.weight");
  cfg->vocab_size = (int)t->shape[0];
  t = var_ckpt_find(ck, "word_embed.weight");
  if (!t || t->ndim != 2) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer lacks word_embed.weight");
  cfg->z_channels = (int)t->shape[1];
  cfg->shared_aln = var_ckpt_find(ck, "shared_ada_lin.1.weight") != NULL;
  t = var_ckpt_find(ck, "pos_1LC");
  if (!t || t->ndim != 3) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer lacks pos_1LC");
  cfg->n_tokens = (int)t->shape[1];
  t = var_ckpt_find(ck, "pos_start");
  if (!t || t->ndim != 3) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer lacks pos_start");
  cfg->first_l = (int)t->shape[1];
  t = var_ckpt_find(ck, "lvl_embed.weight");
  if (!t || t->ndim != 2) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "transformer lacks lvl_embed.weight");
  cfg->n_scales = (int)t->shape[0];
  if (schedule) {
    if (schedule->n_scales != cfg->n_scales || var_schedule_tokens(schedule) != cfg->n_tokens)
      return var_fail(ck->ctx, VAR_ERR_SHAPE,
                      "the given schedule has %d scales and %d tokens, but the checkpoint was trained for %d scales and %d tokens",
                      schedule->n_scales, var_schedule_tokens(schedule), cfg->n_scales, cfg->n_tokens);
    cfg->schedule = *schedule;
  } else if (var_schedule_derive(cfg->n_scales, cfg->n_tokens, &cfg->schedule, &nsol) != VAR_OK) {
    return var_fail(ck->ctx, VAR_ERR_NOT_FOUND,
                    "cannot tell the scale schedule of %s (%d scales, %d tokens: %s); give it explicitly, e.g. --patch-nums 1,2,3,4",
                    ck->path, cfg->n_scales, cfg->n_tokens, nsol ? "several schedules fit" : "no schedule fits");
  }
  if (cfg->schedule.pn[0] * cfg->schedule.pn[0] != cfg->first_l)
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "first scale has %d tokens but pos_start has %d rows",
                    cfg->schedule.pn[0] * cfg->schedule.pn[0], cfg->first_l);
  cfg->n_params = count_params(ck, buffers);
  return VAR_OK;
}

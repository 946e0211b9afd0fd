/* config.c — deriving configurations from checkpoints; scale schedules. */
#include "io/config.h"

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
    if (*p == ',' || *p == '_' || *p == ' ') {
      p++;
      if (!*p) return VAR_ERR_INVALID_ARGUMENT;   /* a trailing separator: "1,2," */
    } else if (*p) {
      return VAR_ERR_INVALID_ARGUMENT;
    }
  }
  if (!schedule_valid(&s)) return VAR_ERR_INVALID_ARGUMENT;
  *out = s;
  return VAR_OK;
}

/* Depth-first search for increasing sequences 1 = p0 < p1 < ... with a given
 * sum of squares.  It stops at 2 solutions (the answer is then "ambiguous")
 * and after a fixed number of steps: L and S come from a file, and a hostile
 * pair must not make the search run for hours. */
typedef struct {
  int S, count;
  long steps;
  int pn[VAR_MAX_SCALES];
  var_schedule first;
} search_state;

#define SEARCH_MAX_STEPS 2000000L

static int isqrt_exact(int x)
{
  int r = (int)sqrt((double)x);
  while (r > 0 && r * r > x) r--;
  while ((r + 1) * (r + 1) <= x) r++;
  return r * r == x ? r : -1;
}

static void found(search_state *st)
{
  if (st->count == 0) {
    st->first.n_scales = st->S;
    memcpy(st->first.pn, st->pn, sizeof(int) * (size_t)st->S);
  }
  st->count++;
}

static void search(search_state *st, int idx, int remaining)
{
  int v;
  if (st->count >= 2 || ++st->steps > SEARCH_MAX_STEPS) return;
  if (idx == st->S - 1) {
    /* the last value is fixed by what remains */
    v = isqrt_exact(remaining);
    if (v > st->pn[idx - 1]) {
      st->pn[idx] = v;
      found(st);
    }
    return;
  }
  for (v = st->pn[idx - 1] + 1; v * v <= remaining; v++) {
    /* the smallest possible rest must still fit */
    int left = st->S - idx - 1, k;
    long minrest = 0;
    for (k = 1; k <= left; k++) minrest += (long)(v + k) * (v + k);
    if ((long)v * v + minrest > remaining) break;
    st->pn[idx] = v;
    search(st, idx + 1, remaining - v * v);
    if (st->count >= 2 || st->steps > SEARCH_MAX_STEPS) return;
  }
}

var_status var_schedule_derive(int n_scales, int n_tokens, var_schedule *out, int *n_solutions)
{
  search_state st;
  if (n_solutions) *n_solutions = 0;
  if (!out) return VAR_ERR_INVALID_ARGUMENT;
  if (n_scales == 10 && n_tokens == var_schedule_tokens(&sched_256)) {
    *out = sched_256;
    if (n_solutions) *n_solutions = 1;
    return VAR_OK;
  }
  if (n_scales == 10 && n_tokens == var_schedule_tokens(&sched_512)) {
    *out = sched_512;
    if (n_solutions) *n_solutions = 1;
    return VAR_OK;
  }
  if (n_scales < 2 || n_scales > VAR_MAX_SCALES || n_tokens < n_scales || n_tokens > 16 * 1024 * 1024)
    return VAR_ERR_NOT_FOUND;
  memset(&st, 0, sizeof st);
  st.S = n_scales;
  st.pn[0] = 1;
  search(&st, 1, n_tokens - 1);
  if (st.steps > SEARCH_MAX_STEPS) {
    if (n_solutions) *n_solutions = -1;   /* gave up: unknown */
    return VAR_ERR_NOT_FOUND;
  }
  if (n_solutions) *n_solutions = st.count;
  if (st.count != 1) return VAR_ERR_NOT_FOUND;
  *out = st.first;
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

/* Sizes that become ints of a model configuration.  No VAR model comes near
 * this, and anything above it would overflow int arithmetic downstream. */
#define MAX_DIM (1 << 24)

/* t's size in dimension d as an int in [min, MAX_DIM]. */
static var_status dim_of(var_checkpoint *ck, const var_ckpt_tensor *t, int d, int min, int *out)
{
  if (t->shape[d] < min || t->shape[d] > MAX_DIM)
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "%s: tensor \"%s\" has size %lld in dimension %d, outside [%d, %d]",
                    ck->path, t->name, (long long)t->shape[d], d, min, MAX_DIM);
  *out = (int)t->shape[d];
  return VAR_OK;
}

/* Tensor `name` with rank ndim, or a VAR_ERR_NOT_FOUND naming what is missing. */
static var_status need_tensor(var_checkpoint *ck, const char *name, int ndim, const char *what,
                              const var_ckpt_tensor **out)
{
  const var_ckpt_tensor *t = var_ckpt_find(ck, name);
  *out = t;
  if (!t) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s: %s lacks %s", ck->path, what, name);
  if (t->ndim != ndim)
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "%s: %s has %d dimensions, expected %d", ck->path, name, t->ndim, ndim);
  return VAR_OK;
}

#define TRY(x) do { var_status try_st_ = (x); if (try_st_ != VAR_OK) return try_st_; } while (0)

var_status var_vqvae_config_derive(var_checkpoint *ck, var_vqvae_config *cfg)
{
  static const char *const buffers[] = { "ema_vocab_hit_SV", NULL };
  const var_ckpt_tensor *t;
  int i, width = 0;
  memset(cfg, 0, sizeof *cfg);
  if (!var_ckpt_find(ck, "encoder.conv_in.weight"))
    return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s is not a VAR VQ-VAE checkpoint (no encoder.conv_in.weight)",
                    ck->path);
  TRY(need_tensor(ck, "encoder.conv_in.weight", 4, "VQ-VAE checkpoint", &t));
  TRY(dim_of(ck, t, 0, 1, &cfg->ch));
  TRY(dim_of(ck, t, 1, 1, &cfg->in_channels));
  if (cfg->ch % 32)
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "VQ-VAE base width %d is not a multiple of 32 (GroupNorm needs 32 groups)",
                    cfg->ch);
  for (i = 0; (t = findf(ck, "encoder.down.%d.block.0.conv1.weight", i, 0)) != NULL; i++) {
    if (i >= VAR_MAX_LEVELS)
      return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "VQ-VAE with more than %d levels", VAR_MAX_LEVELS);
    if (t->ndim != 4) return var_fail(ck->ctx, VAR_ERR_SHAPE, "encoder level %d convolution is not 4-dimensional", i);
    TRY(dim_of(ck, t, 0, 1, &width));
    if (width % cfg->ch)
      return var_fail(ck->ctx, VAR_ERR_SHAPE, "encoder level %d width %d is not a multiple of ch=%d", i, width,
                      cfg->ch);
    cfg->ch_mult[i] = width / cfg->ch;
  }
  cfg->n_levels = i;
  if (cfg->n_levels < 1) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "VQ-VAE checkpoint has no encoder levels");
  for (i = 0; findf(ck, "encoder.down.0.block.%d.conv1.weight", i, 0); i++) {}
  cfg->num_res_blocks = i;
  TRY(need_tensor(ck, "quantize.embedding.weight", 2, "VQ-VAE checkpoint", &t));
  TRY(dim_of(ck, t, 0, 1, &cfg->vocab_size));
  TRY(dim_of(ck, t, 1, 1, &cfg->z_channels));
  for (i = 0; findf(ck, "quantize.quant_resi.qresi_ls.%d.weight", i, 0); i++) {}
  cfg->n_phi = i;
  if (cfg->n_phi == 0)
    return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED,
                    "VQ-VAE checkpoint has no quantize.quant_resi.qresi_ls.* convolutions "
                    "(only the partially shared phi of the released model is supported)");
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
  static const char *const what = "transformer checkpoint";
  const var_ckpt_tensor *t;
  int i, nsol = 0, rows = 0;
  memset(cfg, 0, sizeof *cfg);
  if (!var_ckpt_find(ck, "class_emb.weight"))
    return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s is not a VAR transformer checkpoint (no class_emb.weight)",
                    ck->path);
  TRY(need_tensor(ck, "class_emb.weight", 2, what, &t));
  TRY(dim_of(ck, t, 1, 1, &cfg->C));
  TRY(dim_of(ck, t, 0, 2, &rows));
  cfg->num_classes = rows - 1;   /* the last row is the unconditional class */
  for (i = 0; findf(ck, "blocks.%d.attn.mat_qkv.weight", i, 0); i++) {}
  cfg->depth = i;
  if (cfg->depth < 1) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s: transformer checkpoint has no blocks", ck->path);
  if (!var_ckpt_find(ck, "blocks.0.attn.scale_mul_1H11"))
    return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s: transformer lacks blocks.0.attn.scale_mul_1H11 (only "
                    "L2-normalised attention is supported)", ck->path);
  TRY(need_tensor(ck, "blocks.0.attn.scale_mul_1H11", 4, what, &t));
  TRY(dim_of(ck, t, 1, 1, &cfg->heads));
  if (cfg->C % cfg->heads)
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "width %d is not divisible by %d heads", cfg->C, cfg->heads);
  cfg->head_dim = cfg->C / cfg->heads;
  TRY(need_tensor(ck, "blocks.0.ffn.fc1.weight", 2, what, &t));
  TRY(dim_of(ck, t, 0, 1, &cfg->mlp_hidden));
  TRY(need_tensor(ck, "head.weight", 2, what, &t));
  TRY(dim_of(ck, t, 0, 1, &cfg->vocab_size));
  TRY(need_tensor(ck, "word_embed.weight", 2, what, &t));
  TRY(dim_of(ck, t, 1, 1, &cfg->z_channels));
  cfg->shared_aln = var_ckpt_find(ck, "shared_ada_lin.1.weight") != NULL;
  TRY(need_tensor(ck, "pos_1LC", 3, what, &t));
  TRY(dim_of(ck, t, 1, 1, &cfg->n_tokens));
  TRY(need_tensor(ck, "pos_start", 3, what, &t));
  TRY(dim_of(ck, t, 1, 1, &cfg->first_l));
  TRY(need_tensor(ck, "lvl_embed.weight", 2, what, &t));
  TRY(dim_of(ck, t, 0, 1, &cfg->n_scales));
  if (schedule) {
    if (schedule->n_scales != cfg->n_scales || var_schedule_tokens(schedule) != cfg->n_tokens)
      return var_fail(
          ck->ctx, VAR_ERR_SHAPE,
          "the given schedule has %d scales and %d tokens, but the checkpoint was trained for %d scales and "
          "%d tokens",
          schedule->n_scales, var_schedule_tokens(schedule), cfg->n_scales, cfg->n_tokens);
    cfg->schedule = *schedule;
  } else if (var_schedule_derive(cfg->n_scales, cfg->n_tokens, &cfg->schedule, &nsol) != VAR_OK) {
    return var_fail(ck->ctx, VAR_ERR_NOT_FOUND,
                    "cannot tell the scale schedule of %s (%d scales, %d tokens: %s); give it explicitly, e.g. "
                    "--patch-nums 1,2,3,4",
                    ck->path, cfg->n_scales, cfg->n_tokens,
                    nsol > 1   ? "several schedules fit"
                    : nsol < 0 ? "too many candidates to search"
                               : "no schedule fits");
  }
  if (cfg->schedule.pn[0] * cfg->schedule.pn[0] != cfg->first_l)
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "first scale has %d tokens but pos_start has %d rows",
                    cfg->schedule.pn[0] * cfg->schedule.pn[0], cfg->first_l);
  cfg->n_params = count_params(ck, buffers);
  return VAR_OK;
}

void var_vqvae_config_info(const var_vqvae_config *c, var_vqvae_info *info)
{
  int i;
  memset(info, 0, sizeof *info);
  info->vocab_size = c->vocab_size;
  info->z_channels = c->z_channels;
  info->ch = c->ch;
  info->n_levels = c->n_levels;
  for (i = 0; i < c->n_levels && i < 8; i++) info->ch_mult[i] = c->ch_mult[i];
  info->num_res_blocks = c->num_res_blocks;
  info->n_phi = c->n_phi;
  info->downsample = c->downsample;
  info->n_params = c->n_params;
}

void var_tf_config_info(const var_tf_config *c, var_transformer_info *info)
{
  memset(info, 0, sizeof *info);
  info->depth = c->depth;
  info->width = c->C;
  info->heads = c->heads;
  info->head_dim = c->head_dim;
  info->mlp_hidden = c->mlp_hidden;
  info->vocab_size = c->vocab_size;
  info->z_channels = c->z_channels;
  info->num_classes = c->num_classes;
  info->shared_aln = c->shared_aln;
  info->schedule = c->schedule;
  info->n_tokens = c->n_tokens;
  info->image_size = 16 * c->schedule.pn[c->schedule.n_scales - 1];
  info->n_params = c->n_params;
}

var_status var_checkpoint_vqvae_info(var_checkpoint *ck, var_vqvae_info *info, var_vqvae_attention *attention)
{
  var_vqvae_config c;
  var_status s;
  if (!ck || !info) return var_fail(ck ? ck->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_vqvae_info: NULL");
  if ((s = var_vqvae_config_derive(ck, &c)) != VAR_OK) return s;
  var_vqvae_config_info(&c, info);
  if (attention) {
    attention->encoder_last_level = c.enc_attn_last;
    attention->encoder_mid = c.enc_mid_attn;
    attention->decoder_last_level = c.dec_attn_last;
    attention->decoder_mid = c.dec_mid_attn;
  }
  return VAR_OK;
}

var_status var_checkpoint_transformer_info(var_checkpoint *ck, const var_schedule *schedule,
                                           var_transformer_info *info)
{
  var_tf_config c;
  var_status s;
  if (!ck || !info)
    return var_fail(ck ? ck->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_transformer_info: NULL");
  if ((s = var_tf_config_derive(ck, schedule, &c)) != VAR_OK) return s;
  var_tf_config_info(&c, info);
  return VAR_OK;
}

/* transformer.c — the VAR transformer: weights, AdaLN blocks, KV-cached forward (docs/algorithm.md §4).
 * Model code only: every computation is a backend op (backend.h). */
#include "model/transformer.h"

#include "io/lowp.h"

#include <stdio.h>
#include <string.h>

/* ---- loading ------------------------------------------------------------- */

#define TRY(x)                         \
  do {                                 \
    if ((s = (x)) != VAR_OK) return s; \
  } while (0)

/* Wraps checkpoint tensor `name` (shape checked against dims, -1 = any) as a
 * constant backend buffer. */
static var_status wrap_tensor(var_transformer *tf, const char *name, int ndim, const int64_t *dims, var_dptr *out)
{
  const float *data;
  const var_ckpt_tensor *info;
  var_status s = var_ckpt_f32(tf->ck, name, ndim, dims, &data, &info);
  if (s != VAR_OK) return s;
  return var_tf_wrap_host(tf, data, var_size_mul((size_t)info->numel, 4), out);
}

static var_status wrap1(var_transformer *tf, const char *name, int64_t d0, var_dptr *out)
{
  int64_t d[1];
  d[0] = d0;
  return wrap_tensor(tf, name, 1, d, out);
}

static var_status wrap2(var_transformer *tf, const char *name, int64_t d0, int64_t d1, var_dptr *out)
{
  int64_t d[2];
  d[0] = d0;
  d[1] = d1;
  return wrap_tensor(tf, name, 2, d, out);
}

static var_status wrap_linear(var_transformer *tf, const char *prefix, int64_t n_out, int64_t n_in,
                              var_tf_weight *w, var_dptr *b)
{
  char name[160];
  var_status s;
  snprintf(name, sizeof name, "%s.weight", prefix);
  s = var_tf_wrap_weight(tf, name, n_out, n_in, w);
  if (s != VAR_OK || !b) return s;
  snprintf(name, sizeof name, "%s.bias", prefix);
  return wrap1(tf, name, n_out, b);
}

static var_status load_block(var_transformer *tf, int i)
{
  const var_tf_config *c = &tf->cfg;
  var_tf_block *b = &tf->blocks[i];
  char name[160], prefix[96];
  int64_t d4[4];
  var_status s;
  snprintf(prefix, sizeof prefix, "blocks.%d", i);
  if (c->shared_aln) {
    d4[0] = 1; d4[1] = 1; d4[2] = 6; d4[3] = c->C;
    snprintf(name, sizeof name, "%s.ada_gss", prefix);
    TRY(wrap_tensor(tf, name, 4, d4, &b->ada_gss));
  } else {
    snprintf(name, sizeof name, "%s.ada_lin.1", prefix);
    TRY(wrap_linear(tf, name, 6 * (int64_t)c->C, c->C, &b->ada_w, &b->ada_b));
  }
  snprintf(name, sizeof name, "%s.attn.mat_qkv", prefix);
  TRY(wrap_linear(tf, name, 3 * (int64_t)c->C, c->C, &b->qkv_w, NULL));
  snprintf(name, sizeof name, "%s.attn.q_bias", prefix);
  TRY(wrap1(tf, name, c->C, &b->q_bias));
  snprintf(name, sizeof name, "%s.attn.v_bias", prefix);
  TRY(wrap1(tf, name, c->C, &b->v_bias));
  d4[0] = 1; d4[1] = c->heads; d4[2] = 1; d4[3] = 1;
  snprintf(name, sizeof name, "%s.attn.scale_mul_1H11", prefix);
  TRY(wrap_tensor(tf, name, 4, d4, &b->scale_mul));
  snprintf(name, sizeof name, "%s.attn.proj", prefix);
  TRY(wrap_linear(tf, name, c->C, c->C, &b->proj_w, &b->proj_b));
  snprintf(name, sizeof name, "%s.ffn.fc1", prefix);
  TRY(wrap_linear(tf, name, c->mlp_hidden, c->C, &b->fc1_w, &b->fc1_b));
  snprintf(name, sizeof name, "%s.ffn.fc2", prefix);
  TRY(wrap_linear(tf, name, c->C, c->mlp_hidden, &b->fc2_w, &b->fc2_b));
  return VAR_OK;
}

/* lvl_pos[t] = lvl_embed[scale of t] + pos_1LC[t], as upstream adds them before
 * adding the sum to the token embeddings. */
static var_status make_lvl_pos(var_transformer *tf)
{
  const var_tf_config *c = &tf->cfg;
  const float *pos, *lvl;
  float *host;
  int64_t d3[3], d2[2];
  int si, t, k;
  var_status s;
  d3[0] = 1; d3[1] = c->n_tokens; d3[2] = c->C;
  if ((s = var_ckpt_f32(tf->ck, "pos_1LC", 3, d3, &pos, NULL)) != VAR_OK) return s;
  d2[0] = c->n_scales; d2[1] = c->C;
  if ((s = var_ckpt_f32(tf->ck, "lvl_embed.weight", 2, d2, &lvl, NULL)) != VAR_OK) return s;
  s = var_alloc(tf->ctx, var_size_mul3((size_t)c->n_tokens, (size_t)c->C, 4), (void **)&host);
  if (s != VAR_OK) return s;
  for (si = 0; si < c->n_scales; si++)
    for (t = tf->begin[si]; t < tf->begin[si + 1]; t++)
      for (k = 0; k < c->C; k++) host[(size_t)t * c->C + k] = lvl[(size_t)si * c->C + k] + pos[(size_t)t * c->C + k];
  s = var_be_alloc_f32(tf->be, (size_t)c->n_tokens * c->C, &tf->lvl_pos);
  if (s == VAR_OK) s = tf->be->ops->write(tf->be, var_dp(tf->lvl_pos, 0), host, (size_t)c->n_tokens * c->C * 4);
  var_free(host);
  return s;
}

static var_status load_weights(var_transformer *tf)
{
  const var_tf_config *c = &tf->cfg;
  int64_t d3[3];
  int i;
  var_status s;
  TRY(wrap2(tf, "class_emb.weight", c->num_classes + 1, c->C, &tf->class_emb));
  d3[0] = 1; d3[1] = c->first_l; d3[2] = c->C;
  TRY(wrap_tensor(tf, "pos_start", 3, d3, &tf->pos_start));
  TRY(wrap2(tf, "word_embed.weight", c->C, c->z_channels, &tf->word_w));   /* stays float32 */
  TRY(wrap1(tf, "word_embed.bias", c->C, &tf->word_b));
  if (c->shared_aln) TRY(wrap_linear(tf, "shared_ada_lin.1", 6 * (int64_t)c->C, c->C, &tf->shared_w, &tf->shared_b));
  for (i = 0; i < c->depth; i++) TRY(load_block(tf, i));
  TRY(wrap_linear(tf, "head_nm.ada_lin.1", 2 * (int64_t)c->C, c->C, &tf->head_ada_w, &tf->head_ada_b));
  TRY(wrap_linear(tf, "head", c->vocab_size, c->C, &tf->head_w, &tf->head_b));
  return make_lvl_pos(tf);
}
#undef TRY

/* A block index beyond the derived depth means blocks are not numbered 0..depth-1. */
static var_status check_block_numbering(var_transformer *tf)
{
  int i;
  for (i = 0; i < tf->ck->n; i++) {
    const char *name = tf->ck->tensors[i].name;
    int idx;
    if (sscanf(name, "blocks.%d.", &idx) == 1 && (idx < 0 || idx >= tf->cfg.depth))
      return var_fail(tf->ctx, VAR_ERR_SHAPE, "%s: tensor \"%s\" belongs to block %d, but blocks 0..%d are contiguous",
                      tf->ck->path, name, idx, tf->cfg.depth - 1);
  }
  return VAR_OK;
}

var_status var_transformer_load(var_ctx *ctx, const char *path, const var_schedule *schedule, var_transformer **out)
{
  var_transformer *tf;
  var_status s;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_transformer_load: out is NULL");
  *out = NULL;
  if (!ctx || !path) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_transformer_load: NULL context or path");
  s = var_calloc(ctx, 1, sizeof *tf, (void **)&tf);
  if (s != VAR_OK) return s;
  tf->ctx = ctx;
  tf->be = ctx->backend;
  s = var_checkpoint_open(ctx, path, &tf->ck);
  if (s == VAR_OK) s = var_tf_config_derive(tf->ck, schedule, &tf->cfg);
  if (s == VAR_OK && tf->cfg.schedule.n_scales > VAR_MAX_SCALES)
    s = var_fail(ctx, VAR_ERR_UNSUPPORTED, "%d scales (at most %d)", tf->cfg.schedule.n_scales, VAR_MAX_SCALES);
  if (s == VAR_OK && tf->cfg.z_channels < 1)
    s = var_fail(ctx, VAR_ERR_SHAPE, "%s: word_embed has no input channels", path);
  if (s == VAR_OK) s = check_block_numbering(tf);
  if (s == VAR_OK) s = var_lp_check_file(tf->ck);
  if (s == VAR_OK) {
    var_schedule_begins(&tf->cfg.schedule, tf->begin);
    s = var_calloc(ctx, (size_t)tf->cfg.depth, sizeof *tf->blocks, (void **)&tf->blocks);
  }
  if (s == VAR_OK) s = load_weights(tf);
  if (s != VAR_OK) {
    var_transformer_free(tf);
    return s;
  }
  *out = tf;
  return VAR_OK;
}

void var_transformer_free(var_transformer *tf)
{
  int i;
  if (!tf) return;
  for (i = 0; i < tf->n_wbufs; i++) tf->be->ops->release(tf->be, tf->wbufs[i]);
  if (tf->lvl_pos) tf->be->ops->release(tf->be, tf->lvl_pos);
  var_free(tf->wbufs);
  for (i = 0; i < tf->n_owned; i++) var_free(tf->owned[i]);
  var_free(tf->owned);
  var_free(tf->blocks);
  var_checkpoint_free(tf->ck);
  var_free(tf);
}

var_status var_transformer_get_info(const var_transformer *tf, var_transformer_info *info)
{
  if (!tf || !info) return var_fail(tf ? tf->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "var_transformer_get_info: NULL");
  var_tf_config_info(&tf->cfg, info);
  return VAR_OK;
}

/* ---- forward session ----------------------------------------------------- */

/* Scratch activations per row of the largest scale: hn (LN output, reused for the
 * attention output), y (branch output), big (qkv or FFN hidden). */
static size_t act_row_floats(const var_tf_config *c)
{
  size_t big = (size_t)(3 * c->C > c->mlp_hidden ? 3 * c->C : c->mlp_hidden);
  return 2 * (size_t)c->C + big;
}

static var_status tap_buf(var_tf_state *st, const char *name, int scale, var_dptr p, int rows, int cols)
{
  var_transformer *tf = st->tf;
  float *host;
  var_status s;
  if (!st->tap) return VAR_OK;
  s = var_alloc(tf->ctx, var_size_mul3((size_t)rows, (size_t)cols, 4), (void **)&host);
  if (s != VAR_OK) return s;
  s = tf->be->ops->read(tf->be, p, host, (size_t)rows * cols * 4);
  if (s == VAR_OK) st->tap(st->tap_user, name, scale, host, rows, cols);
  var_free(host);
  return s;
}

/* AdaLN modulations depend only on the class, so they are computed once per
 * session (upstream recomputes them at every scale with the same result). */
static var_status compute_conditioning(var_tf_state *st)
{
  var_transformer *tf = st->tf;
  var_backend *be = tf->be;
  const var_tf_config *c = &tf->cfg;
  const int G = st->G, C = c->C;
  var_dptr cond = var_dp(st->cond, 0), silu = var_dp(st->cond, (size_t)G * C);
  var_status s;
  int i;
  s = be->ops->embed_rows(be, G, C, tf->class_emb, var_dp(st->labels, 0), cond);
  if (s == VAR_OK) s = be->ops->activation(be, (size_t)G * C, VAR_ACT_SILU, cond, silu);
  if (s != VAR_OK) return s;
  if (c->shared_aln) {
    var_dptr shared = var_dp(st->ada, 0);
    s = var_tf_linear(tf, 1, G, 6 * C, C, silu, &tf->shared_w, tf->shared_b, shared, VAR_ACT_NONE);
    if (s == VAR_OK) s = tap_buf(st, "shared_ada", -1, shared, G, 6 * C);
    /* block i: ada_gss_i + shared, computed from the last block down so the
     * shared output (held in block 0's slot) is read before it is overwritten */
    for (i = c->depth - 1; s == VAR_OK && i >= 0; i--) {
      var_dptr ada = var_dp(st->ada, (size_t)i * G * 6 * C);
      if (i) s = be->ops->copy(be, ada, shared, (size_t)G * 6 * C);
      if (s == VAR_OK) s = be->ops->add_rows(be, G, 1, 6 * C, ada, tf->blocks[i].ada_gss);
    }
  } else {
    for (i = 0; s == VAR_OK && i < c->depth; i++)
      s = var_tf_linear(tf, 1, G, 6 * C, C, silu, &tf->blocks[i].ada_w, tf->blocks[i].ada_b,
                          var_dp(st->ada, (size_t)i * G * 6 * C), VAR_ACT_NONE);
    if (s == VAR_OK) s = tap_buf(st, "ada_block0", -1, var_dp(st->ada, 0), G, 6 * C);
  }
  if (s == VAR_OK)
    s = var_tf_linear(tf, 1, G, 2 * C, C, silu, &tf->head_ada_w, tf->head_ada_b, var_dp(st->head_ada, 0), VAR_ACT_NONE);
  return s;
}

void var_tf_state_free(var_tf_state *st)
{
  var_backend *be;
  if (!st) return;
  be = st->tf->be;
  if (st->kv) be->ops->release(be, st->kv);
  if (st->cond) be->ops->release(be, st->cond);
  if (st->ada) be->ops->release(be, st->ada);
  if (st->head_ada) be->ops->release(be, st->head_ada);
  if (st->act) be->ops->release(be, st->act);
  if (st->labels) be->ops->release(be, st->labels);
  var_free(st);
}

var_status var_tf_state_new(var_transformer *tf, int G, const int *labels, var_tf_tap_fn tap, void *tap_user,
                            var_tf_state **out)
{
  const var_tf_config *c;
  var_backend *be;
  var_tf_state *st;
  int32_t *lab = NULL;
  size_t kv_n, rows;
  int g, j, si;
  var_status s;
  if (!out) return VAR_ERR_INVALID_ARGUMENT;
  *out = NULL;
  if (!tf || !labels || G < 1) return var_fail(tf ? tf->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "bad session arguments");
  c = &tf->cfg;
  be = tf->be;
  for (g = 0; g < G; g++)
    if (labels[g] < 0 || labels[g] > c->num_classes)
      return var_fail(tf->ctx, VAR_ERR_INVALID_ARGUMENT, "class label %d is out of range (0..%d, %d = unconditional)",
                      labels[g], c->num_classes, c->num_classes);
  s = var_calloc(tf->ctx, 1, sizeof *st, (void **)&st);
  if (s != VAR_OK) return s;
  st->tf = tf;
  st->G = G;
  st->tap = tap;
  st->tap_user = tap_user;
  for (si = 0; si < c->schedule.n_scales; si++) {
    int T = c->schedule.pn[si] * c->schedule.pn[si];
    if (T > st->t_max) st->t_max = T;
  }
  kv_n = var_size_mul3((size_t)c->depth * 2, (size_t)G, var_size_mul((size_t)c->n_tokens, (size_t)c->C));
  rows = var_size_mul((size_t)G, (size_t)st->t_max);
  if (!kv_n || !rows || !var_size_mul(rows, act_row_floats(c))) {
    var_free(st);
    return var_fail(tf->ctx, VAR_ERR_NO_MEMORY, "a session of %d sequences is too large", G);
  }
  s = var_be_alloc_f32(be, kv_n, &st->kv);
  if (s == VAR_OK) s = var_be_alloc_f32(be, 2 * (size_t)G * c->C, &st->cond);
  if (s == VAR_OK) s = var_be_alloc_f32(be, var_size_mul3((size_t)c->depth, (size_t)G, 6 * (size_t)c->C), &st->ada);
  if (s == VAR_OK) s = var_be_alloc_f32(be, 2 * (size_t)G * c->C, &st->head_ada);
  if (s == VAR_OK) s = var_be_alloc_f32(be, rows * act_row_floats(c), &st->act);
  if (s == VAR_OK) s = var_be_alloc_f32(be, (size_t)G * c->first_l, &st->labels);
  if (s == VAR_OK) s = var_alloc(tf->ctx, sizeof *lab * (size_t)G * c->first_l, (void **)&lab);
  if (s == VAR_OK) {
    for (g = 0; g < G; g++)
      for (j = 0; j < c->first_l; j++) lab[g * c->first_l + j] = labels[g];
    s = be->ops->write(be, var_dp(st->labels, 0), lab, sizeof *lab * (size_t)G * c->first_l);
  }
  var_free(lab);
  if (s == VAR_OK) s = compute_conditioning(st);
  if (s != VAR_OK) {
    var_tf_state_free(st);
    return s;
  }
  *out = st;
  return VAR_OK;
}

var_status var_tf_embed_first(var_tf_state *st, var_dptr x)
{
  var_transformer *tf = st->tf;
  var_backend *be = tf->be;
  const int C = tf->cfg.C, fl = tf->cfg.first_l;
  var_status s = be->ops->embed_rows(be, st->G * fl, C, tf->class_emb, var_dp(st->labels, 0), x);
  if (s == VAR_OK) s = be->ops->add_rows(be, st->G, fl, C, x, tf->pos_start);
  if (s == VAR_OK) s = be->ops->add_rows(be, st->G, fl, C, x, var_dp(tf->lvl_pos, 0));
  return s;
}

var_status var_tf_embed_scale(var_tf_state *st, int si, int n_in, var_dptr in, int groups, var_dptr x)
{
  var_transformer *tf = st->tf;
  var_backend *be = tf->be;
  const var_tf_config *c = &tf->cfg;
  int T, g;
  size_t n;
  var_status s;
  if (si < 1 || si >= c->schedule.n_scales || n_in < 1 || groups < n_in || groups % n_in)
    return var_fail(tf->ctx, VAR_ERR_INVALID_ARGUMENT, "var_tf_embed_scale: bad scale %d or groups %d/%d", si, n_in,
                    groups);
  T = c->schedule.pn[si] * c->schedule.pn[si];
  s = be->ops->linear(be, n_in * T, c->C, c->z_channels, in, tf->word_w, tf->word_b, x, VAR_ACT_NONE);
  if (s == VAR_OK) s = be->ops->add_rows(be, n_in, T, c->C, x, var_dp(tf->lvl_pos, (size_t)tf->begin[si] * c->C));
  n = (size_t)n_in * T * c->C;
  for (g = n_in; s == VAR_OK && g < groups; g += n_in) s = be->ops->copy(be, var_dp_at(x, (size_t)g / n_in * n), x, n);
  return s;
}

/* One AdaLN self-attention block (docs/algorithm.md §4.3) on x[G*T, C], in place. */
static var_status block_forward(var_tf_state *st, int bi, int T, var_dptr x)
{
  var_transformer *tf = st->tf;
  var_backend *be = tf->be;
  const var_tf_config *c = &tf->cfg;
  const var_tf_block *b = &tf->blocks[bi];
  const int G = st->G, C = c->C, M = G * T, stride = 6 * C;
  const size_t rows = (size_t)G * st->t_max;
  var_dptr ada = var_dp(st->ada, (size_t)bi * G * 6 * C);
  var_dptr hn = var_dp(st->act, 0), y = var_dp(st->act, rows * C), big = var_dp(st->act, 2 * rows * C);
  var_dptr kc = var_dp(st->kv, (size_t)bi * 2 * G * c->n_tokens * C), vc = var_dp_at(kc, (size_t)G * c->n_tokens * C);
  var_status s;
  /* attention branch: x += gamma1 * proj(attn(LN(x) (1 + scale1) + shift1)) */
  s = be->ops->ln_modulate(be, M, C, T, VAR_TF_LN_EPS, x, var_dp_at(ada, 2 * (size_t)C), var_dp_at(ada, 4 * (size_t)C),
                           stride, hn);
  if (s == VAR_OK) s = var_tf_linear(tf, T, M, 3 * C, C, hn, &b->qkv_w, var_dp_none(), big, VAR_ACT_NONE);
  if (s == VAR_OK)
    s = be->ops->attention_kv(be, G, T, C, c->heads, c->n_tokens, st->pos, big, b->q_bias, b->v_bias, b->scale_mul,
                              kc, vc, hn);
  if (s == VAR_OK) s = var_tf_linear(tf, T, M, C, C, hn, &b->proj_w, b->proj_b, y, VAR_ACT_NONE);
  if (s == VAR_OK) s = be->ops->gated_add(be, M, C, T, x, ada, stride, y);
  /* FFN branch: x += gamma2 * fc2(gelu(fc1(LN(x) (1 + scale2) + shift2))) */
  if (s == VAR_OK)
    s = be->ops->ln_modulate(be, M, C, T, VAR_TF_LN_EPS, x, var_dp_at(ada, 3 * (size_t)C),
                             var_dp_at(ada, 5 * (size_t)C), stride, hn);
  if (s == VAR_OK) s = var_tf_linear(tf, T, M, c->mlp_hidden, C, hn, &b->fc1_w, b->fc1_b, big, VAR_ACT_GELU_TANH);
  if (s == VAR_OK) s = var_tf_linear(tf, T, M, C, c->mlp_hidden, big, &b->fc2_w, b->fc2_b, y, VAR_ACT_NONE);
  if (s == VAR_OK) s = be->ops->gated_add(be, M, C, T, x, var_dp_at(ada, (size_t)C), stride, y);
  return s;
}

var_status var_tf_forward_scale(var_tf_state *st, int si, var_dptr x, var_dptr logits)
{
  var_transformer *tf = st->tf;
  var_backend *be = tf->be;
  const var_tf_config *c = &tf->cfg;
  int T, bi;
  var_dptr hn = var_dp(st->act, 0);
  var_status s;
  if (si != st->next_scale || si >= c->schedule.n_scales)
    return var_fail(tf->ctx, VAR_ERR_INVALID_ARGUMENT, "transformer scales must run in order (got %d, expected %d)",
                    si, st->next_scale);
  T = c->schedule.pn[si] * c->schedule.pn[si];
  s = tap_buf(st, "x_embed", si, x, st->G * T, c->C);
  for (bi = 0; s == VAR_OK && bi < c->depth; bi++) {
    s = block_forward(st, bi, T, x);
    if (s == VAR_OK && bi == 0) s = tap_buf(st, "h_block0", si, x, st->G * T, c->C);
    if (s == VAR_OK && st->on_block) s = st->on_block(st->block_user, si, bi);
  }
  if (s == VAR_OK) s = tap_buf(st, "h_last", si, x, st->G * T, c->C);
  /* head: logits = head(LN(h) (1 + scale) + shift) */
  if (s == VAR_OK)
    s = be->ops->ln_modulate(be, st->G * T, c->C, T, VAR_TF_LN_EPS, x, var_dp(st->head_ada, 0),
                             var_dp(st->head_ada, (size_t)c->C), 2 * c->C, hn);
  if (s == VAR_OK)
    s = var_tf_linear(tf, T, st->G * T, c->vocab_size, c->C, hn, &tf->head_w, tf->head_b, logits, VAR_ACT_NONE);
  if (s != VAR_OK) return s;
  st->pos += T;
  st->next_scale++;
  return VAR_OK;
}

double var_tf_scale_macs(const var_transformer *tf, int si, int G)
{
  const var_tf_config *c = &tf->cfg;
  double T = (double)c->schedule.pn[si] * c->schedule.pn[si], keys = tf->begin[si + 1], C = c->C;
  double lin = T * (4 * C * C + 2 * C * c->mlp_hidden);   /* qkv, proj, fc1, fc2 */
  double att = 2 * T * keys * C;                          /* q k^T and a v over all heads */
  double head = T * C * c->vocab_size, emb = si ? T * C * c->z_channels : 0;
  return G * (c->depth * (lin + att) + head + emb);
}

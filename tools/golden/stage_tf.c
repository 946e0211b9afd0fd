/* stage_tf.c — golden checks of the tf_* arrays: the teacher-forced transformer
 * forward (golden.md §4.2), run as the KV-cached scale loop over the golden
 * teacher-forcing input.  The cache makes every scale attend to itself and all
 * coarser scales, which is the block-causal mask of the reference forward. */
#include "golden.h"
#include "stage_tf.h"
#include "model/transformer.h"
#include "model/vqvae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const var_transformer *tf;
  int B;
  float *x_embed, *h_block0, *h_last;   /* [B, L, C] */
  float *ada;                           /* [B, 6C] */
} tf_taps;

static void on_tap(void *user, const char *name, int scale, const float *data, int rows, int cols)
{
  tf_taps *t = user;
  const var_tf_config *c = &t->tf->cfg;
  float *dst = NULL;
  int T, b, i;
  if (scale < 0) {
    if (!strcmp(name, "ada_block0") || !strcmp(name, "shared_ada"))
      memcpy(t->ada, data, sizeof(float) * (size_t)rows * cols);
    return;
  }
  if (!strcmp(name, "x_embed")) dst = t->x_embed;
  else if (!strcmp(name, "h_block0")) dst = t->h_block0;
  else if (!strcmp(name, "h_last")) dst = t->h_last;
  if (!dst) return;
  T = rows / t->B;
  for (b = 0; b < t->B; b++)
    for (i = 0; i < T; i++)
      memcpy(dst + ((size_t)b * c->n_tokens + t->tf->begin[scale] + i) * c->C, data + ((size_t)b * T + i) * cols,
             sizeof(float) * (size_t)c->C);
}

void golden_top2_margin(const float *logits, int64_t rows, int V, float *margin)
{
  int64_t r;
  int v;
  for (r = 0; r < rows; r++) {
    const float *x = logits + (size_t)r * V;
    float a = -INFINITY, b = -INFINITY;
    for (v = 0; v < V; v++) {
      if (x[v] > a) {
        b = a;
        a = x[v];
      } else if (x[v] > b) {
        b = x[v];
      }
    }
    margin[r] = a - b;
  }
}

int golden_load_i32(const golden_set *g, const char *name, int32_t **out, int64_t *n, char *err, size_t err_size)
{
  npy_array a;
  int64_t i;
  *out = NULL;
  if (golden_load(g, name, &a, err, err_size)) return -1;
  if (a.dtype != 'i') {
    snprintf(err, err_size, "%s is not an integer array", name);
    npy_free(&a);
    return -1;
  }
  *out = malloc(sizeof(int32_t) * (size_t)(a.numel ? a.numel : 1));
  if (!*out) {
    snprintf(err, err_size, "out of memory");
    npy_free(&a);
    return -1;
  }
  for (i = 0; i < a.numel; i++) (*out)[i] = (int32_t)a.i[i];
  if (n) *n = a.numel;
  npy_free(&a);
  return 0;
}

int golden_open_models(const golden_set *g, golden_report *r, const char *what, int need_vae, golden_models *m)
{
  char path[1200];
  memset(m, 0, sizeof *m);
  if (var_ctx_new(NULL, &m->ctx) != VAR_OK) {
    golden_record(r, g, what, GOLDEN_FAIL, "var_ctx_new: %s", var_last_init_error());
    return -1;
  }
  if (!golden_checkpoint(g, "var", path, sizeof path) || var_transformer_load(m->ctx, path, NULL, &m->tf) != VAR_OK) {
    golden_record(r, g, what, GOLDEN_FAIL, "loading the transformer: %s", var_ctx_last_error(m->ctx));
    golden_close_models(m);
    return -1;
  }
  if (need_vae) {
    var_status s;
    if (!golden_checkpoint(g, "vae", path, sizeof path)) s = VAR_ERR_NOT_FOUND;
    else s = var_vqvae_load(m->ctx, path, &m->vae);
    if (s != VAR_OK) {
      golden_record(r, g, what, s == VAR_ERR_NOT_IMPLEMENTED ? GOLDEN_NOT_IMPLEMENTED : GOLDEN_FAIL,
                    "loading the VQ-VAE: %s", var_ctx_last_error(m->ctx));
      golden_close_models(m);
      return -1;
    }
  }
  return 0;
}

void golden_close_models(golden_models *m)
{
  var_vqvae_free(m->vae);
  var_transformer_free(m->tf);
  var_ctx_free(m->ctx);
  memset(m, 0, sizeof *m);
}

/* tf_x_wo_first_l from vae_tokens through the quantiser (idxBl_to_var_input). */
static void check_teacher_inputs(const golden_set *g, golden_report *r, int B)
{
  golden_models m;
  int32_t *tokens = NULL;
  float *x = NULL;
  char err[512];
  var_status s;
  const int L = g->L;
  if (golden_open_models(g, r, "tf_x_wo_first_l", 1, &m)) return;
  if (golden_load_i32(g, "vae_tokens", &tokens, NULL, err, sizeof err)) {
    golden_record(r, g, "tf_x_wo_first_l", GOLDEN_FAIL, "%s", err);
  } else if (!(x = malloc(sizeof(float) * (size_t)B * (L - 1) * m.tf->cfg.z_channels))) {
    golden_record(r, g, "tf_x_wo_first_l", GOLDEN_FAIL, "out of memory");
  } else if ((s = var_quant_teacher_inputs(m.vae, &g->schedule, B, tokens, x)) != VAR_OK) {
    golden_record(r, g, "tf_x_wo_first_l", s == VAR_ERR_NOT_IMPLEMENTED ? GOLDEN_NOT_IMPLEMENTED : GOLDEN_FAIL, "%s",
                  var_ctx_last_error(m.ctx));
  } else {
    golden_check_f32(r, g, "tf_x_wo_first_l", x, (int64_t)B * (L - 1) * m.tf->cfg.z_channels, 1.0);
  }
  free(tokens);
  free(x);
  golden_close_models(&m);
}

/* Runs the scale loop on the golden teacher-forcing input; logits [B, L, V]. */
static var_status teacher_forced(golden_models *m, const int *labels, int B, const float *x_wo_first, tf_taps *taps,
                                 float *logits)
{
  var_transformer *tf = m->tf;
  var_backend *be = tf->be;
  const var_tf_config *c = &tf->cfg;
  var_tf_state *st = NULL;
  var_dbuf *buf = NULL;
  float *host_in = NULL, *host_out = NULL;
  int si, b, tmax = 0;
  var_status s;
  for (si = 0; si < c->schedule.n_scales; si++)
    if (c->schedule.pn[si] * c->schedule.pn[si] > tmax) tmax = c->schedule.pn[si] * c->schedule.pn[si];
  s = var_tf_state_new(tf, B, labels, taps ? on_tap : NULL, taps, &st);
  if (s == VAR_OK) s = var_be_alloc_f32(be, (size_t)B * tmax * ((size_t)c->C + c->vocab_size + c->z_channels), &buf);
  if (s == VAR_OK && !(host_in = malloc(sizeof(float) * (size_t)B * tmax * c->z_channels))) s = VAR_ERR_NO_MEMORY;
  if (s == VAR_OK && !(host_out = malloc(sizeof(float) * (size_t)B * tmax * c->vocab_size))) s = VAR_ERR_NO_MEMORY;
  for (si = 0; s == VAR_OK && si < c->schedule.n_scales; si++) {
    const int T = c->schedule.pn[si] * c->schedule.pn[si], begin = tf->begin[si];
    var_dptr x = var_dp(buf, 0), lg = var_dp(buf, (size_t)B * tmax * c->C);
    var_dptr in = var_dp(buf, (size_t)B * tmax * ((size_t)c->C + c->vocab_size));
    if (si == 0) {
      s = var_tf_embed_first(st, x);
    } else {
      for (b = 0; b < B; b++)
        memcpy(host_in + (size_t)b * T * c->z_channels,
               x_wo_first + ((size_t)b * (c->n_tokens - c->first_l) + begin - c->first_l) * c->z_channels,
               sizeof(float) * (size_t)T * c->z_channels);
      s = be->ops->write(be, in, host_in, sizeof(float) * (size_t)B * T * c->z_channels);
      if (s == VAR_OK) s = var_tf_embed_scale(st, si, B, in, B, x);
    }
    if (s == VAR_OK) s = var_tf_forward_scale(st, si, x, lg);
    if (s == VAR_OK) s = be->ops->read(be, lg, host_out, sizeof(float) * (size_t)B * T * c->vocab_size);
    for (b = 0; s == VAR_OK && b < B; b++)
      memcpy(logits + ((size_t)b * c->n_tokens + begin) * c->vocab_size, host_out + (size_t)b * T * c->vocab_size,
             sizeof(float) * (size_t)T * c->vocab_size);
  }
  free(host_in);
  free(host_out);
  if (buf) be->ops->release(be, buf);
  var_tf_state_free(st);
  return s;
}

void golden_stage_tf(const golden_set *g, golden_report *r)
{
  golden_models m;
  npy_array xin;
  tf_taps taps;
  int32_t *lab32 = NULL;
  int *labels = NULL;
  float *logits = NULL, *margin = NULL;
  char err[512];
  int64_t B = 0, i;
  int L = g->L, C, V;
  var_status s;
  memset(&taps, 0, sizeof taps);
  memset(&xin, 0, sizeof xin);
  if (golden_load_i32(g, "tf_labels", &lab32, &B, err, sizeof err) ||
      golden_load(g, "tf_x_wo_first_l", &xin, err, sizeof err)) {
    golden_record(r, g, "tf_logits", GOLDEN_FAIL, "%s", err);
    free(lab32);
    return;
  }
  check_teacher_inputs(g, r, (int)B);
  if (golden_open_models(g, r, "tf_logits", 0, &m)) {
    free(lab32);
    npy_free(&xin);
    return;
  }
  C = m.tf->cfg.C;
  V = m.tf->cfg.vocab_size;
  labels = malloc(sizeof(int) * (size_t)B);
  taps.tf = m.tf;
  taps.B = (int)B;
  taps.x_embed = malloc(sizeof(float) * (size_t)B * L * C);
  taps.h_block0 = malloc(sizeof(float) * (size_t)B * L * C);
  taps.h_last = malloc(sizeof(float) * (size_t)B * L * C);
  taps.ada = malloc(sizeof(float) * (size_t)B * 6 * C);
  logits = malloc(sizeof(float) * (size_t)B * L * V);
  margin = malloc(sizeof(float) * (size_t)B * L);
  if (!labels || !taps.x_embed || !taps.h_block0 || !taps.h_last || !taps.ada || !logits || !margin ||
      xin.numel != B * (L - 1) * m.tf->cfg.z_channels) {
    golden_record(r, g, "tf_logits", GOLDEN_FAIL, "out of memory or tf_x_wo_first_l has the wrong size");
  } else {
    for (i = 0; i < B; i++) labels[i] = lab32[i];
    s = teacher_forced(&m, labels, (int)B, xin.f, &taps, logits);
    if (s != VAR_OK) {
      golden_record(r, g, "tf_logits", GOLDEN_FAIL, "%s", var_ctx_last_error(m.ctx));
    } else {
      golden_check_f32(r, g, "tf_x_embed", taps.x_embed, B * L * C, 1.0);
      golden_check_f32(r, g, m.tf->cfg.shared_aln ? "tf_shared_ada" : "tf_ada_block0", taps.ada, B * 6 * C, 1.0);
      golden_check_f32(r, g, "tf_h_block0", taps.h_block0, B * L * C, 1.0);
      golden_check_f32(r, g, "tf_h_last", taps.h_last, B * L * C, 1.0);
      golden_check_f32(r, g, "tf_logits", logits, B * L * V, 1.0);
      golden_top2_margin(logits, B * L, V, margin);
      golden_check_f32(r, g, "tf_logit_margin", margin, B * L, 1.0);
    }
  }
  free(lab32);
  free(labels);
  free(taps.x_embed);
  free(taps.h_block0);
  free(taps.h_last);
  free(taps.ada);
  free(logits);
  free(margin);
  npy_free(&xin);
  golden_close_models(&m);
}

/* stage_vae.c — golden checks of the vae_* arrays (golden.md §4.1):
 *   encoder: vae_enc_out, vae_f and the encoder taps vae_dbg_enc_* (each image
 *     alone, and vae_f again from one batched call);
 *   quantiser: tokens and distance margins scale by scale, each scale fed with
 *     the golden f_hat of the coarser scales (so a legitimate near-tie flip
 *     cannot cascade); then the free-running quantiser on the golden f
 *     (vae_fhat_scales, vae_fhat) and on our own f (the public encode);
 *   decoder: vae_dec_in, vae_decoded_raw, vae_decoded and the decoder taps from
 *     the golden f_hat, and the public decode of the golden tokens.
 * A token may differ from the golden one only where the golden margin is below
 * tolerances.vq_near_tie_threshold; such positions are excused and counted. */
#include "golden.h"
#include "model/vqvae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_TAPS 48

typedef struct {
  char name[32];
  float *data;
  int64_t n;
} tap_entry;

typedef struct {
  tap_entry t[MAX_TAPS];
  int n;
  const char *only;           /* record just this tap (NULL = all) */
} tap_set;

static void on_tap(void *user, const char *name, const float *data, int c, int h, int w)
{
  tap_set *ts = user;
  int64_t n = (int64_t)c * h * w;
  if (ts->n >= MAX_TAPS || (ts->only && strcmp(ts->only, name))) return;
  ts->t[ts->n].data = malloc(sizeof(float) * (size_t)n);
  if (!ts->t[ts->n].data) return;
  memcpy(ts->t[ts->n].data, data, sizeof(float) * (size_t)n);
  snprintf(ts->t[ts->n].name, sizeof ts->t[ts->n].name, "%s", name);
  ts->t[ts->n].n = n;
  ts->n++;
}

static const tap_entry *find_tap(const tap_set *ts, const char *name)
{
  int i;
  for (i = 0; i < ts->n; i++)
    if (!strcmp(ts->t[i].name, name)) return &ts->t[i];
  return NULL;
}

static void taps_free(tap_set *ts)
{
  int i;
  for (i = 0; i < ts->n; i++) free(ts->t[i].data);
  ts->n = 0;
}

/* The stage's state for one set. */
typedef struct {
  const golden_set *g;
  golden_report *r;
  var_ctx *ctx;
  var_vqvae *vae;
  var_backend *be;
  int B, H, h, cv, V, L, S;
  int begin[VAR_MAX_SCALES + 1];
  char done[64][40];          /* arrays recorded so far */
  int n_done;
} vae_check;

static void mark(vae_check *c, const char *name)
{
  if (c->n_done < 64) snprintf(c->done[c->n_done++], sizeof c->done[0], "%s", name);
}

static int marked(const vae_check *c, const char *name)
{
  int i;
  for (i = 0; i < c->n_done; i++)
    if (!strcmp(c->done[i], name)) return 1;
  return 0;
}

static void fail(vae_check *c, const char *array, const char *what)
{
  golden_record(c->r, c->g, array, GOLDEN_FAIL, "%s: %s", what, var_ctx_last_error(c->ctx));
  mark(c, array);
}

static int load(vae_check *c, const char *name, npy_array *a, int64_t numel)
{
  char err[512];
  if (golden_load(c->g, name, a, err, sizeof err)) {
    golden_record(c->r, c->g, name, GOLDEN_FAIL, "%s", err);
    mark(c, name);
    return -1;
  }
  if (numel >= 0 && a->numel != numel) {
    golden_record(c->r, c->g, name, GOLDEN_FAIL, "golden array has %lld values, expected %lld", (long long)a->numel,
                  (long long)numel);
    mark(c, name);
    npy_free(a);
    return -1;
  }
  return 0;
}

static void check_f32(vae_check *c, const char *name, const char *label, const float *mine, int64_t off, int64_t n)
{
  golden_check_f32_slice(c->r, c->g, name, label, mine, off, n, 1.0);
  mark(c, name);
}

/* ---- encoder ---------------------------------------------------------------- */

static void check_encoder(vae_check *c, const npy_array *img, float *f_mine)
{
  const int64_t img_n = 3LL * c->H * c->H, f_n = (int64_t)c->cv * c->h * c->h;
  float *enc_out = malloc(sizeof(float) * (size_t)(f_n * c->B)), *f_batched = malloc(sizeof(float) * (size_t)(f_n * c->B));
  var_dbuf *f = NULL;
  tap_set taps0, tb;
  const var_json *arrays = var_json_get(c->g->manifest, "arrays");
  int b, i, ok = enc_out && f_batched;
  memset(&taps0, 0, sizeof taps0);
  memset(&tb, 0, sizeof tb);
  ok = ok && var_be_alloc_f32(c->be, (size_t)(f_n * c->B), &f) == VAR_OK;
  /* each image alone: all encoder taps of image 0, enc_out of every image */
  for (b = 0; ok && b < c->B; b++) {
    tap_set *ts = b == 0 ? &taps0 : &tb;
    const tap_entry *t;
    tb.only = "enc_out";
    var_vqvae_set_tap(c->vae, on_tap, ts);
    if (var_vqvae_encode_f(c->vae, 1, c->H, img->f + b * img_n, var_dp(f, 0)) != VAR_OK ||
        c->be->ops->read(c->be, var_dp(f, 0), f_mine + b * f_n, sizeof(float) * (size_t)f_n) != VAR_OK) {
      fail(c, "vae_f", "encode");
      ok = 0;
      break;
    }
    t = find_tap(ts, "enc_out");
    if (!t || t->n != f_n) {
      golden_record(c->r, c->g, "vae_enc_out", GOLDEN_FAIL, "the encoder produced no enc_out tap of %lld values",
                    (long long)f_n);
      mark(c, "vae_enc_out");
      ok = 0;
      break;
    }
    memcpy(enc_out + b * f_n, t->data, sizeof(float) * (size_t)f_n);
    taps_free(&tb);
  }
  var_vqvae_set_tap(c->vae, NULL, NULL);
  if (ok) {
    check_f32(c, "vae_enc_out", "vae_enc_out", enc_out, 0, f_n * c->B);
    check_f32(c, "vae_f", "vae_f", f_mine, 0, f_n * c->B);
    for (i = 0; arrays && i < arrays->n; i++) {
      const char *name = arrays->keys[i];
      const tap_entry *t;
      if (strncmp(name, "vae_dbg_enc_", 12)) continue;
      t = find_tap(&taps0, name + 8);
      if (!t) {
        golden_record(c->r, c->g, name, GOLDEN_FAIL, "the encoder has no tap \"%s\"", name + 8);
        mark(c, name);
      } else {
        check_f32(c, name, name, t->data, 0, t->n);
      }
    }
    /* the whole batch in one call gives the same f */
    if (var_vqvae_encode_f(c->vae, c->B, c->H, img->f, var_dp(f, 0)) != VAR_OK ||
        c->be->ops->read(c->be, var_dp(f, 0), f_batched, sizeof(float) * (size_t)(f_n * c->B)) != VAR_OK)
      fail(c, "vae_f", "batched encode");
    else
      check_f32(c, "vae_f", "vae_f[batch of all]", f_batched, 0, f_n * c->B);
  }
  taps_free(&taps0);
  taps_free(&tb);
  if (f) c->be->ops->release(c->be, f);
  free(enc_out);
  free(f_batched);
}

/* ---- quantiser ---------------------------------------------------------------- */

/* Scale by scale with the golden f_hat of the coarser scales: residual
 * vae_f - vae_fhat_scales[s-1], area to pn[s] (not at the last scale), argmin. */
static void check_tokens_per_scale(vae_check *c, const npy_array *f, const npy_array *fs, const npy_array *tok,
                                   const npy_array *mar)
{
  const int64_t n = (int64_t)c->B * c->cv * c->h * c->h;
  var_dbuf *rest = NULL, *z = NULL, *idx = NULL, *margin = NULL;
  float *resid = malloc(sizeof(float) * (size_t)n), *m = malloc(sizeof(float) * (size_t)c->B * c->h * c->h);
  int32_t *ix = malloc(sizeof(int32_t) * (size_t)c->B * c->h * c->h);
  double atol = golden_atol(c->g, "vae_token_dist_margin"), max_err = 0;
  int64_t i, compared = 0, excused = 0, wrong = 0, bad_margin = 0;
  int si, b, p, ok = resid && m && ix;
  ok = ok && var_be_alloc_f32(c->be, (size_t)n, &rest) == VAR_OK && var_be_alloc_f32(c->be, (size_t)n, &z) == VAR_OK &&
       var_be_alloc_f32(c->be, (size_t)c->B * c->h * c->h, &idx) == VAR_OK &&
       var_be_alloc_f32(c->be, (size_t)c->B * c->h * c->h, &margin) == VAR_OK;
  for (si = 0; ok && si < c->S; si++) {
    const int pn = c->g->schedule.pn[si], np = pn * pn;
    var_dptr zs = var_dp(rest, 0);
    for (i = 0; i < n; i++) resid[i] = f->f[i] - (si ? fs->f[(si - 1) * n + i] : 0.0f);
    ok = c->be->ops->write(c->be, var_dp(rest, 0), resid, sizeof(float) * (size_t)n) == VAR_OK;
    if (ok && si < c->S - 1) {
      zs = var_dp(z, 0);
      ok = c->be->ops->resize_area(c->be, c->B * c->cv, c->h, c->h, pn, pn, var_dp(rest, 0), zs) == VAR_OK;
    }
    ok = ok &&
         c->be->ops->vq_argmin(c->be, c->B, c->cv, np, c->V, zs, c->vae->codebook, c->vae->codebook_sq,
                               var_dp(idx, 0), var_dp(margin, 0)) == VAR_OK &&
         c->be->ops->read(c->be, var_dp(idx, 0), ix, sizeof(int32_t) * (size_t)c->B * np) == VAR_OK &&
         c->be->ops->read(c->be, var_dp(margin, 0), m, sizeof(float) * (size_t)c->B * np) == VAR_OK;
    for (b = 0; ok && b < c->B; b++)
      for (p = 0; p < np; p++) {
        const int64_t gi = (int64_t)b * c->L + c->begin[si] + p;
        const double e = fabs((double)m[b * np + p] - mar->f[gi]);
        compared++;
        if (e > max_err || isnan(e)) max_err = isnan(e) ? INFINITY : e;
        if (!(e <= atol)) bad_margin++;
        if (ix[b * np + p] != tok->i[gi]) {
          if (mar->f[gi] < c->g->vq_tie) excused++;
          else wrong++;
        }
      }
  }
  if (!ok) {
    fail(c, "vae_tokens", "per-scale quantisation");
  } else {
    golden_record(c->r, c->g, "vae_tokens", wrong ? GOLDEN_FAIL : GOLDEN_PASS,
                  "per scale on the golden residuals: %lld tokens, %lld differ (%lld excused near-ties < %.3g)",
                  (long long)compared, (long long)(wrong + excused), (long long)excused, c->g->vq_tie);
    golden_record(c->r, c->g, "vae_token_dist_margin", bad_margin ? GOLDEN_FAIL : GOLDEN_PASS,
                  "max|err| %.3g (atol %.3g)%s%lld of %lld over", max_err, atol, bad_margin ? ", " : " ",
                  (long long)bad_margin, (long long)compared);
    mark(c, "vae_tokens");
    mark(c, "vae_token_dist_margin");
  }
  if (rest) c->be->ops->release(c->be, rest);
  if (z) c->be->ops->release(c->be, z);
  if (idx) c->be->ops->release(c->be, idx);
  if (margin) c->be->ops->release(c->be, margin);
  free(resid);
  free(m);
  free(ix);
}

/* Compares tokens free-running: after an excused flip in an image, its later
 * scales are no longer comparable and are skipped.  Returns the first scale of
 * each image that is not comparable (S when all are) in first_bad. */
static void compare_free_tokens(vae_check *c, const char *label, const int32_t *mine, const npy_array *tok,
                                const npy_array *mar, int *first_bad)
{
  int64_t compared = 0, excused = 0, wrong = 0, skipped = 0;
  int b, si, p;
  for (b = 0; b < c->B; b++) {
    first_bad[b] = c->S;
    for (si = 0; si < c->S; si++) {
      const int np = c->g->schedule.pn[si] * c->g->schedule.pn[si];
      int flipped = 0;
      if (si > first_bad[b]) {
        skipped += np;
        continue;
      }
      for (p = 0; p < np; p++) {
        const int64_t gi = (int64_t)b * c->L + c->begin[si] + p;
        compared++;
        if (mine[gi] == tok->i[gi]) continue;
        if (mar->f[gi] < c->g->vq_tie) {
          excused++;
          flipped = 1;
        } else {
          wrong++;
        }
      }
      if (flipped) first_bad[b] = si;
    }
  }
  golden_record(c->r, c->g, "vae_tokens", wrong ? GOLDEN_FAIL : GOLDEN_PASS,
                "%s: %lld tokens, %lld differ (%lld excused near-ties), %lld after a flip not compared", label,
                (long long)compared, (long long)(wrong + excused), (long long)excused, (long long)skipped);
}

/* The quantiser on the golden f: tokens, margins, f_hat after every scale. */
static void check_quant_free(vae_check *c, const npy_array *f, const npy_array *tok, const npy_array *mar)
{
  const int64_t n = (int64_t)c->B * c->cv * c->h * c->h, item = (int64_t)c->cv * c->h * c->h;
  var_dbuf *fb = NULL;
  int32_t *t = malloc(sizeof(int32_t) * (size_t)c->B * c->L);
  float *m = malloc(sizeof(float) * (size_t)c->B * c->L), *fs = malloc(sizeof(float) * (size_t)(n * c->S));
  int first_bad[64], b, si, ok = t && m && fs && c->B <= 64;
  ok = ok && var_be_alloc_f32(c->be, (size_t)n, &fb) == VAR_OK &&
       c->be->ops->write(c->be, var_dp(fb, 0), f->f, sizeof(float) * (size_t)n) == VAR_OK;
  if (!ok || var_quant_encode(c->vae, &c->g->schedule, c->B, var_dp(fb, 0), t, m, fs) != VAR_OK) {
    fail(c, "vae_fhat_scales", "var_quant_encode");
  } else {
    compare_free_tokens(c, "free-running on the golden f", t, tok, mar, first_bad);
    /* f_hat after scale si of image b is comparable while no flip happened up to si */
    for (si = 0; si < c->S; si++)
      for (b = 0; b < c->B; b++) {
        char label[64];
        if (si >= first_bad[b]) continue;
        snprintf(label, sizeof label, "vae_fhat_scales[%d][%d]", si, b);
        check_f32(c, "vae_fhat_scales", label, fs + si * n + b * item, si * n + b * item, item);
      }
    for (b = 0; b < c->B; b++)
      if (first_bad[b] == c->S) {
        char label[64];
        snprintf(label, sizeof label, "vae_fhat[%d] (encode)", b);
        check_f32(c, "vae_fhat", label, fs + (c->S - 1) * n + b * item, b * item, item);
      }
  }
  if (fb) c->be->ops->release(c->be, fb);
  free(t);
  free(m);
  free(fs);
}

/* ---- decoder ---------------------------------------------------------------- */

static void check_decoder(vae_check *c, const npy_array *fhat, const npy_array *tok)
{
  const int64_t item = (int64_t)c->cv * c->h * c->h, img_n = 3LL * c->H * c->H;
  const var_json *arrays = var_json_get(c->g->manifest, "arrays");
  var_dbuf *fb = NULL;
  float *raw = malloc(sizeof(float) * (size_t)(img_n * c->B)), *img = malloc(sizeof(float) * (size_t)(img_n * c->B));
  float *dec_in = malloc(sizeof(float) * (size_t)(item * c->B)), *fh = malloc(sizeof(float) * (size_t)(item * c->B));
  int32_t *t32 = malloc(sizeof(int32_t) * (size_t)c->B * c->L);
  tap_set taps0, tb;
  int64_t i;
  int b, ok = raw && img && dec_in && fh && t32;
  memset(&taps0, 0, sizeof taps0);
  memset(&tb, 0, sizeof tb);
  ok = ok && var_be_alloc_f32(c->be, (size_t)(item * c->B), &fb) == VAR_OK;
  /* each latent alone: every decoder tap of image 0, dec_in of every image */
  for (b = 0; ok && b < c->B; b++) {
    tap_set *ts = b == 0 ? &taps0 : &tb;
    const tap_entry *t;
    tb.only = "dec_in";
    var_vqvae_set_tap(c->vae, on_tap, ts);
    if (c->be->ops->write(c->be, var_dp(fb, 0), fhat->f + b * item, sizeof(float) * (size_t)item) != VAR_OK ||
        var_vqvae_decode_fhat(c->vae, 1, c->h, var_dp(fb, 0), raw + b * img_n, 1) != VAR_OK) {
      fail(c, "vae_decoded_raw", "decode");
      ok = 0;
      break;
    }
    t = find_tap(ts, "dec_in");
    if (!t || t->n != item) {
      golden_record(c->r, c->g, "vae_dec_in", GOLDEN_FAIL, "the decoder produced no dec_in tap");
      mark(c, "vae_dec_in");
      ok = 0;
      break;
    }
    memcpy(dec_in + b * item, t->data, sizeof(float) * (size_t)item);
    taps_free(&tb);
  }
  var_vqvae_set_tap(c->vae, NULL, NULL);
  if (ok) {
    check_f32(c, "vae_dec_in", "vae_dec_in", dec_in, 0, item * c->B);
    check_f32(c, "vae_decoded_raw", "vae_decoded_raw", raw, 0, img_n * c->B);
    for (i = 0; arrays && i < arrays->n; i++) {
      const char *name = arrays->keys[i];
      const tap_entry *t;
      if (strncmp(name, "vae_dbg_dec_", 12)) continue;
      t = find_tap(&taps0, name + 8);
      if (!t) {
        golden_record(c->r, c->g, name, GOLDEN_FAIL, "the decoder has no tap \"%s\"", name + 8);
        mark(c, name);
      } else {
        check_f32(c, name, name, t->data, 0, t->n);
      }
    }
    /* batched, clamped: the [0, 1] output mapped back to [-1, 1] */
    if (c->be->ops->write(c->be, var_dp(fb, 0), fhat->f, sizeof(float) * (size_t)(item * c->B)) != VAR_OK ||
        var_vqvae_decode_fhat(c->vae, c->B, c->h, var_dp(fb, 0), img, 0) != VAR_OK) {
      fail(c, "vae_decoded", "batched decode");
    } else {
      for (i = 0; i < img_n * c->B; i++) img[i] = 2.0f * img[i] - 1.0f;
      check_f32(c, "vae_decoded", "vae_decoded", img, 0, img_n * c->B);
    }
    /* the public decode from the golden tokens: f_hat from tokens, then the decoder */
    for (i = 0; i < (int64_t)c->B * c->L; i++) t32[i] = (int32_t)tok->i[i];
    if (var_quant_tokens_to_fhat(c->vae, &c->g->schedule, c->B, t32, var_dp(fb, 0)) != VAR_OK ||
        c->be->ops->read(c->be, var_dp(fb, 0), fh, sizeof(float) * (size_t)(item * c->B)) != VAR_OK) {
      fail(c, "vae_fhat", "tokens to f_hat");
    } else {
      check_f32(c, "vae_fhat", "vae_fhat (from tokens)", fh, 0, item * c->B);
    }
    if (var_vqvae_decode(c->vae, &c->g->schedule, c->B, t32, img) != VAR_OK) {
      fail(c, "vae_decoded", "var_vqvae_decode");
    } else {
      for (i = 0; i < img_n * c->B; i++) img[i] = 2.0f * img[i] - 1.0f;
      check_f32(c, "vae_decoded", "vae_decoded (var_vqvae_decode)", img, 0, img_n * c->B);
    }
  }
  taps_free(&taps0);
  taps_free(&tb);
  if (fb) c->be->ops->release(c->be, fb);
  free(raw);
  free(img);
  free(dec_in);
  free(fh);
  free(t32);
}

/* ---- the stage ------------------------------------------------------------------ */

void golden_stage_vae(const golden_set *g, golden_report *r)
{
  vae_check c;
  char path[1200];
  npy_array img, f, fs, fhat, tok, mar;
  float *f_mine = NULL;
  int32_t *t_mine = NULL;
  const var_json *arrays = var_json_get(g->manifest, "arrays");
  int i, first_bad[64];
  memset(&c, 0, sizeof c);
  memset(&img, 0, sizeof img);
  memset(&f, 0, sizeof f);
  memset(&fs, 0, sizeof fs);
  memset(&fhat, 0, sizeof fhat);
  memset(&tok, 0, sizeof tok);
  memset(&mar, 0, sizeof mar);
  c.g = g;
  c.r = r;
  if (var_ctx_new(NULL, &c.ctx) != VAR_OK) {
    golden_record(r, g, "vae", GOLDEN_FAIL, "var_ctx_new: %s", var_last_init_error());
    return;
  }
  if (!golden_checkpoint(g, "vae", path, sizeof path) || var_vqvae_load(c.ctx, path, &c.vae) != VAR_OK) {
    golden_record(r, g, "vae", GOLDEN_FAIL, "var_vqvae_load: %s", var_ctx_last_error(c.ctx));
    var_ctx_free(c.ctx);
    return;
  }
  c.be = c.ctx->backend;
  c.S = g->schedule.n_scales;
  c.h = g->latent;
  c.H = c.h * c.vae->cfg.downsample;
  c.cv = c.vae->cfg.z_channels;
  c.V = c.vae->cfg.vocab_size;
  c.L = g->L;
  var_schedule_begins(&g->schedule, c.begin);
  if (load(&c, "vae_input", &img, -1) == 0) {
    c.B = img.ndim == 4 ? (int)img.shape[0] : 0;
    if (img.ndim != 4 || img.shape[1] != 3 || img.shape[2] != c.H || img.shape[3] != c.H || c.B < 1 || c.B > 64) {
      golden_record(r, g, "vae_input", GOLDEN_FAIL, "not B x 3 x %d x %d", c.H, c.H);
      c.B = 0;
    }
  }
  mark(&c, "vae_input");   /* the input itself: nothing to compare */
  if (c.B && !load(&c, "vae_f", &f, (int64_t)c.B * c.cv * c.h * c.h) &&
      !load(&c, "vae_fhat_scales", &fs, (int64_t)c.S * c.B * c.cv * c.h * c.h) &&
      !load(&c, "vae_fhat", &fhat, (int64_t)c.B * c.cv * c.h * c.h) && !load(&c, "vae_tokens", &tok, (int64_t)c.B * c.L) &&
      !load(&c, "vae_token_dist_margin", &mar, (int64_t)c.B * c.L)) {
    f_mine = malloc(sizeof(float) * (size_t)f.numel);
    t_mine = malloc(sizeof(int32_t) * (size_t)tok.numel);
    if (f_mine && t_mine) {
      check_encoder(&c, &img, f_mine);
      check_tokens_per_scale(&c, &f, &fs, &tok, &mar);
      check_quant_free(&c, &f, &tok, &mar);
      /* end to end: the public encode of the images */
      if (var_vqvae_encode(c.vae, &g->schedule, c.B, img.f, t_mine) != VAR_OK)
        fail(&c, "vae_tokens", "var_vqvae_encode");
      else
        compare_free_tokens(&c, "var_vqvae_encode of the images", t_mine, &tok, &mar, first_bad);
      check_decoder(&c, &fhat, &tok);
    }
  }
  /* every vae_* array of the manifest must have been compared */
  for (i = 0; arrays && i < arrays->n; i++)
    if (!strncmp(arrays->keys[i], "vae_", 4) && !marked(&c, arrays->keys[i]))
      golden_record(r, g, arrays->keys[i], GOLDEN_NOT_IMPLEMENTED, "not compared by the vae stage");
  free(f_mine);
  free(t_mine);
  npy_free(&img);
  npy_free(&f);
  npy_free(&fs);
  npy_free(&fhat);
  npy_free(&tok);
  npy_free(&mar);
  var_vqvae_free(c.vae);
  var_ctx_free(c.ctx);
}

/* quant.c — the multi-scale residual quantiser (docs/algorithm.md §3.5) on backend ops.
 *
 * Every path accumulates f_hat at the full latent resolution h x h: the code
 * map of scale si (pn x pn) is upsampled bicubically to h x h (except at the
 * last scale, where pn == h), then goes through φ_k(x) = (1-r) x + r conv_k(x)
 * with k = var_phi_index(si, S, K), and is added to f_hat (and, when encoding,
 * subtracted from the residual). */
#include "model/vqvae_weights.h"

#include <string.h>

/* A set of scratch buffers released together. */
typedef struct {
  var_backend *be;
  var_dbuf *b[8];
  int n;
} scratch;

static var_status scratch_f32(scratch *sc, size_t n, var_dptr *out)
{
  var_status s = var_be_alloc_f32(sc->be, n ? n : 1, &sc->b[sc->n]);
  if (s != VAR_OK) return s;
  *out = var_dp(sc->b[sc->n++], 0);
  return VAR_OK;
}

static void scratch_free(scratch *sc)
{
  int i;
  for (i = 0; i < sc->n; i++) sc->be->ops->release(sc->be, sc->b[i]);
  sc->n = 0;
}

static var_status check_args(var_vqvae *vae, const var_schedule *s, int batch, const char *what)
{
  int i, last;
  if (!vae) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "%s: no VQ-VAE", what);
  if (!s || s->n_scales < 2 || s->n_scales > VAR_MAX_SCALES || batch < 1)
    return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "%s: need a schedule of 2 to %d scales and a batch >= 1",
                    what, VAR_MAX_SCALES);
  last = s->pn[s->n_scales - 1];
  for (i = 0; i < s->n_scales; i++)
    if (s->pn[i] < 1 || s->pn[i] > last)
      return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "%s: scale %d side %d is outside 1..%d", what, i, s->pn[i],
                      last);
  return VAR_OK;
}

static var_status check_tokens(var_vqvae *vae, const var_schedule *s, int batch, const int32_t *tokens)
{
  const int64_t n = (int64_t)batch * var_schedule_tokens(s);
  int64_t i;
  if (!tokens) return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "VQ-VAE: tokens are NULL");
  for (i = 0; i < n; i++)
    if (tokens[i] < 0 || tokens[i] >= vae->cfg.vocab_size)
      return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "token %lld of image %lld is %d, outside 0..%d",
                      (long long)(i % var_schedule_tokens(s)), (long long)(i / var_schedule_tokens(s)), tokens[i],
                      vae->cfg.vocab_size - 1);
  return VAR_OK;
}

var_status var_quant_add_scale(var_vqvae *vae, const var_schedule *s, int si, int batch, var_dptr code,
                               var_dptr fhat, var_dptr f_rest)
{
  var_backend *be;
  scratch sc;
  var_dptr up, q;
  const vae_conv *phi;
  size_t n;
  int S, h, pn;
  float r;
  var_status st = check_args(vae, s, batch, "var_quant_add_scale");
  if (st != VAR_OK) return st;
  if (si < 0 || si >= s->n_scales)
    return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "var_quant_add_scale: scale %d of %d", si, s->n_scales);
  be = vae->ctx->backend;
  S = s->n_scales;
  h = s->pn[S - 1];
  pn = s->pn[si];
  n = (size_t)batch * vae->cfg.z_channels * h * h;
  phi = &vae->w->phi[var_phi_index(si, S, vae->cfg.n_phi)];
  r = vae->cfg.phi_ratio;
  memset(&sc, 0, sizeof sc);
  sc.be = be;
  up = code;
  if (si < S - 1) {
    st = scratch_f32(&sc, n, &up);
    if (st == VAR_OK)
      st = be->ops->resize_bicubic(be, batch * vae->cfg.z_channels, pn, pn, h, h, code, up);
  }
  if (st == VAR_OK) st = scratch_f32(&sc, n, &q);
  if (st == VAR_OK) st = var_vae_conv(be, phi, batch, h, h, 0, up, var_dp_none(), q);
  /* upstream: h.mul(1 - r) + conv(h).mul_(r); then f_hat.add_(q), f_rest.sub_(q) */
  if (st == VAR_OK) st = be->ops->axpby(be, n, 1.0f - r, up, r, q, q);
  if (st == VAR_OK) st = be->ops->axpby(be, n, 1.0f, fhat, 1.0f, q, fhat);
  if (st == VAR_OK && f_rest.buf) st = be->ops->axpby(be, n, 1.0f, f_rest, -1.0f, q, f_rest);
  scratch_free(&sc);
  return st;
}

var_status var_quant_next_input(var_vqvae *vae, const var_schedule *s, int si, int batch, var_dptr fhat,
                                var_dptr out)
{
  var_backend *be;
  int h, pn;
  var_status st = check_args(vae, s, batch, "var_quant_next_input");
  if (st != VAR_OK) return st;
  if (si < 0 || si >= s->n_scales - 1)
    return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "var_quant_next_input: no scale after %d of %d", si,
                    s->n_scales);
  be = vae->ctx->backend;
  h = s->pn[s->n_scales - 1];
  pn = s->pn[si + 1];
  return be->ops->resize_area(be, batch * vae->cfg.z_channels, h, h, pn, pn, fhat, out);
}

var_status var_quant_encode(var_vqvae *vae, const var_schedule *s, int batch, var_dptr f, int32_t *tokens,
                            float *margins, float *fhat_scales)
{
  var_backend *be;
  scratch sc;
  var_dptr rest, fhat, z, code, idx, margin;
  int32_t *tok = NULL;
  float *mar = NULL, *row = NULL;
  int begin[VAR_MAX_SCALES + 1], S, h, cv, L, si, b;
  size_t n;
  var_status st = check_args(vae, s, batch, "var_quant_encode");
  if (st != VAR_OK) return st;
  if (!tokens) return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "var_quant_encode: tokens are NULL");
  be = vae->ctx->backend;
  S = s->n_scales;
  h = s->pn[S - 1];
  cv = vae->cfg.z_channels;
  L = var_schedule_tokens(s);
  var_schedule_begins(s, begin);
  n = (size_t)batch * cv * h * h;
  memset(&sc, 0, sizeof sc);
  sc.be = be;
  if ((st = scratch_f32(&sc, n, &rest)) != VAR_OK || (st = scratch_f32(&sc, n, &fhat)) != VAR_OK ||
      (st = scratch_f32(&sc, n, &z)) != VAR_OK || (st = scratch_f32(&sc, n, &code)) != VAR_OK ||
      (st = scratch_f32(&sc, (size_t)batch * h * h, &idx)) != VAR_OK ||
      (st = scratch_f32(&sc, (size_t)batch * h * h, &margin)) != VAR_OK)
    goto done;
  if ((st = var_alloc(vae->ctx, var_size_mul3((size_t)batch, (size_t)L, sizeof *tok), (void **)&tok)) != VAR_OK ||
      (st = var_alloc(vae->ctx, var_size_mul3((size_t)batch, (size_t)L, sizeof *mar), (void **)&mar)) != VAR_OK ||
      (st = var_alloc(vae->ctx, var_size_mul((size_t)batch * h * h, sizeof *row), (void **)&row)) != VAR_OK)
    goto done;
  if ((st = be->ops->copy(be, rest, f, n)) != VAR_OK || (st = be->ops->fill(be, fhat, 0.0f, n)) != VAR_OK) goto done;
  for (si = 0; si < S; si++) {
    const int pn = s->pn[si], np = pn * pn;
    var_dptr zs = rest;
    if (si < S - 1) {
      zs = z;
      if ((st = be->ops->resize_area(be, batch * cv, h, h, pn, pn, rest, z)) != VAR_OK) goto done;
    }
    st = be->ops->vq_argmin(be, batch, cv, np, vae->cfg.vocab_size, zs, vae->codebook, vae->codebook_sq, idx, margin);
    if (st == VAR_OK) st = be->ops->codebook_gather_cm(be, batch, cv, np, vae->codebook, idx, code);
    if (st == VAR_OK) st = var_quant_add_scale(vae, s, si, batch, code, fhat, rest);
    if (st == VAR_OK) st = be->ops->read(be, idx, row, (size_t)batch * np * sizeof(int32_t));
    for (b = 0; b < batch && st == VAR_OK; b++)
      memcpy(tok + (size_t)b * L + begin[si], (int32_t *)row + (size_t)b * np, (size_t)np * sizeof *tok);
    if (st == VAR_OK) st = be->ops->read(be, margin, row, (size_t)batch * np * sizeof(float));
    for (b = 0; b < batch && st == VAR_OK; b++)
      memcpy(mar + (size_t)b * L + begin[si], row + (size_t)b * np, (size_t)np * sizeof *mar);
    if (st == VAR_OK && fhat_scales) st = be->ops->read(be, fhat, fhat_scales + (size_t)si * n, n * sizeof(float));
    if (st != VAR_OK) goto done;
  }
  memcpy(tokens, tok, (size_t)batch * L * sizeof *tok);
  if (margins) memcpy(margins, mar, (size_t)batch * L * sizeof *mar);
done:
  var_free(tok);
  var_free(mar);
  var_free(row);
  scratch_free(&sc);
  return st;
}

/* Uploads the tokens of scale si (host [B, L]) as int32 idx[B, pn^2]. */
static var_status upload_scale(var_vqvae *vae, const var_schedule *s, int si, int batch, const int32_t *tokens,
                               int32_t *host, var_dptr idx)
{
  var_backend *be = vae->ctx->backend;
  int begin[VAR_MAX_SCALES + 1], b;
  const int L = var_schedule_tokens(s), np = s->pn[si] * s->pn[si];
  var_schedule_begins(s, begin);
  for (b = 0; b < batch; b++)
    memcpy(host + (size_t)b * np, tokens + (size_t)b * L + begin[si], (size_t)np * sizeof *host);
  return be->ops->write(be, idx, host, (size_t)batch * np * sizeof *host);
}

var_status var_quant_tokens_to_fhat(var_vqvae *vae, const var_schedule *s, int batch, const int32_t *tokens,
                                    var_dptr fhat)
{
  var_backend *be;
  scratch sc;
  var_dptr code, idx;
  int32_t *host = NULL;
  int si, h, cv;
  size_t n;
  var_status st = check_args(vae, s, batch, "var_quant_tokens_to_fhat");
  if (st == VAR_OK) st = check_tokens(vae, s, batch, tokens);
  if (st != VAR_OK) return st;
  be = vae->ctx->backend;
  h = s->pn[s->n_scales - 1];
  cv = vae->cfg.z_channels;
  n = (size_t)batch * cv * h * h;
  memset(&sc, 0, sizeof sc);
  sc.be = be;
  if ((st = scratch_f32(&sc, n, &code)) == VAR_OK && (st = scratch_f32(&sc, (size_t)batch * h * h, &idx)) == VAR_OK)
    st = var_alloc(vae->ctx, (size_t)batch * h * h * sizeof *host, (void **)&host);
  if (st == VAR_OK) st = be->ops->fill(be, fhat, 0.0f, n);
  for (si = 0; si < s->n_scales && st == VAR_OK; si++) {
    const int np = s->pn[si] * s->pn[si];
    st = upload_scale(vae, s, si, batch, tokens, host, idx);
    if (st == VAR_OK) st = be->ops->codebook_gather_cm(be, batch, cv, np, vae->codebook, idx, code);
    if (st == VAR_OK) st = var_quant_add_scale(vae, s, si, batch, code, fhat, var_dp_none());
  }
  var_free(host);
  scratch_free(&sc);
  return st;
}

var_status var_quant_teacher_inputs(var_vqvae *vae, const var_schedule *s, int batch, const int32_t *tokens,
                                    float *x_out)
{
  var_backend *be;
  scratch sc;
  var_dptr code, idx, fhat, next, tok;
  int32_t *host = NULL;
  float *rows = NULL, *all = NULL;
  int begin[VAR_MAX_SCALES + 1], si, b, h, cv, first, rest_l;
  size_t n;
  var_status st = check_args(vae, s, batch, "var_quant_teacher_inputs");
  if (st == VAR_OK) st = check_tokens(vae, s, batch, tokens);
  if (st == VAR_OK && !x_out) st = var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "var_quant_teacher_inputs: NULL");
  if (st != VAR_OK) return st;
  be = vae->ctx->backend;
  h = s->pn[s->n_scales - 1];
  cv = vae->cfg.z_channels;
  n = (size_t)batch * cv * h * h;
  var_schedule_begins(s, begin);
  first = s->pn[0] * s->pn[0];
  rest_l = var_schedule_tokens(s) - first;
  memset(&sc, 0, sizeof sc);
  sc.be = be;
  if ((st = scratch_f32(&sc, n, &code)) != VAR_OK || (st = scratch_f32(&sc, n, &fhat)) != VAR_OK ||
      (st = scratch_f32(&sc, n, &next)) != VAR_OK || (st = scratch_f32(&sc, n, &tok)) != VAR_OK ||
      (st = scratch_f32(&sc, (size_t)batch * h * h, &idx)) != VAR_OK)
    goto done;
  if ((st = var_alloc(vae->ctx, (size_t)batch * h * h * sizeof *host, (void **)&host)) != VAR_OK ||
      (st = var_alloc(vae->ctx, n * sizeof *rows, (void **)&rows)) != VAR_OK ||
      (st = var_alloc(vae->ctx, var_size_mul3((size_t)batch, (size_t)rest_l, (size_t)cv * sizeof *all),
                      (void **)&all)) != VAR_OK)
    goto done;
  if ((st = be->ops->fill(be, fhat, 0.0f, n)) != VAR_OK) goto done;
  for (si = 0; si < s->n_scales - 1; si++) {
    const int np = s->pn[si] * s->pn[si], nn = s->pn[si + 1] * s->pn[si + 1];
    st = upload_scale(vae, s, si, batch, tokens, host, idx);
    if (st == VAR_OK) st = be->ops->codebook_gather_cm(be, batch, cv, np, vae->codebook, idx, code);
    if (st == VAR_OK) st = var_quant_add_scale(vae, s, si, batch, code, fhat, var_dp_none());
    if (st == VAR_OK) st = var_quant_next_input(vae, s, si, batch, fhat, next);
    if (st == VAR_OK) st = be->ops->cm_to_tokens(be, batch, cv, nn, next, tok);
    if (st == VAR_OK) st = be->ops->read(be, tok, rows, (size_t)batch * nn * cv * sizeof *rows);
    if (st != VAR_OK) goto done;
    for (b = 0; b < batch; b++)
      memcpy(all + ((size_t)b * rest_l + (begin[si + 1] - first)) * cv, rows + (size_t)b * nn * cv,
             (size_t)nn * cv * sizeof *rows);
  }
  memcpy(x_out, all, (size_t)batch * rest_l * cv * sizeof *all);
done:
  var_free(host);
  var_free(rows);
  var_free(all);
  scratch_free(&sc);
  return st;
}

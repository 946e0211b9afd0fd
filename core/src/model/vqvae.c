/* vqvae.c — the multi-scale VQ-VAE: loading, the encoder and decoder
 * (docs/algorithm.md §3.2–3.4) on backend ops, and the public encode/decode.
 *
 * Activations live in four backend buffers of the size of the largest map of
 * the pass (a res-block needs its input, two temporaries and its output); the
 * current map moves between them instead of being copied. */
#include "model/vqvae_weights.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* ---- loading ---------------------------------------------------------------- */

var_status var_vqvae_load(var_ctx *ctx, const char *path, var_vqvae **out)
{
  var_vqvae *vae;
  var_status s;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_vqvae_load: out is NULL");
  *out = NULL;
  if (!ctx || !path) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_vqvae_load: NULL context or path");
  s = var_calloc(ctx, 1, sizeof *vae, (void **)&vae);
  if (s != VAR_OK) return s;
  vae->ctx = ctx;
  s = var_checkpoint_open(ctx, path, &vae->ck);
  if (s == VAR_OK) s = var_vqvae_config_derive(vae->ck, &vae->cfg);
  if (s == VAR_OK) s = var_vqvae_weights_load(vae);
  if (s != VAR_OK) {
    var_vqvae_free(vae);
    return s;
  }
  *out = vae;
  return VAR_OK;
}

void var_vqvae_free(var_vqvae *vae)
{
  if (!vae) return;
  var_vqvae_weights_free(vae->w);
  var_checkpoint_free(vae->ck);
  var_free(vae);
}

var_status var_vqvae_get_info(const var_vqvae *vae, var_vqvae_info *info)
{
  if (!vae || !info) return var_fail(vae ? vae->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "var_vqvae_get_info: NULL");
  var_vqvae_config_info(&vae->cfg, info);
  return VAR_OK;
}

void var_vqvae_set_tap(var_vqvae *vae, var_vqvae_tap_fn fn, void *user)
{
  if (!vae || !vae->w) return;
  vae->w->tap = fn;
  vae->w->tap_user = user;
}

/* ---- a forward pass ---------------------------------------------------------- */

typedef struct {
  var_vqvae *vae;
  var_backend *be;
  int batch;
  var_dbuf *buf[4];
  size_t cap;                 /* floats per buffer */
  int cur;                    /* buffer holding the current map */
  int c, h, w;                /* its shape (per batch item) */
} vae_pass;

static size_t max_sz(size_t a, size_t b) { return a > b ? a : b; }

static var_status pass_init(vae_pass *p, var_vqvae *vae, int batch, size_t cap_per_item)
{
  int i;
  var_status s = VAR_OK;
  size_t n = var_size_mul(cap_per_item, (size_t)batch);
  memset(p, 0, sizeof *p);
  p->vae = vae;
  p->be = vae->ctx->backend;
  p->batch = batch;
  p->cap = n;
  if (!n) return var_fail(vae->ctx, VAR_ERR_NO_MEMORY, "VQ-VAE activations of %zu x %d floats overflow",
                          cap_per_item, batch);
  for (i = 0; i < 4 && s == VAR_OK; i++) s = var_be_alloc_f32(p->be, n, &p->buf[i]);
  return s;
}

static void pass_free(vae_pass *p)
{
  int i;
  for (i = 0; i < 4; i++)
    if (p->buf[i]) p->be->ops->release(p->be, p->buf[i]);
}

static var_dptr bp(const vae_pass *p, int i) { return var_dp(p->buf[i], 0); }

/* A buffer other than the current one and the ones listed (-1 = none). */
static int spare(const vae_pass *p, int a, int b)
{
  int i;
  for (i = 0; i < 4; i++)
    if (i != p->cur && i != a && i != b) return i;
  return -1;
}

/* Copies item 0 of the current map to the tap callback, if one is set. */
static var_status tap(vae_pass *p, const char *name)
{
  var_vqvae_weights *w = p->vae->w;
  size_t n = (size_t)p->c * p->h * p->w;
  float *host;
  var_status s;
  if (!w->tap) return VAR_OK;
  s = var_alloc(p->vae->ctx, n * sizeof(float), (void **)&host);
  if (s != VAR_OK) return s;
  s = p->be->ops->read(p->be, bp(p, p->cur), host, n * sizeof(float));
  if (s == VAR_OK) w->tap(w->tap_user, name, host, p->c, p->h, p->w);
  var_free(host);
  return s;
}

static var_status check_cancel(vae_pass *p)
{
  return var_cancelled(p->vae->ctx) ? var_fail(p->vae->ctx, VAR_ERR_CANCELLED, "cancelled by the caller") : VAR_OK;
}

/* Current map -> conv -> (another buffer becomes current). */
static var_status step_conv(vae_pass *p, const vae_conv *c, int downsample)
{
  int o = spare(p, -1, -1);
  var_status s = var_vae_conv(p->be, c, p->batch, p->h, p->w, downsample, bp(p, p->cur), var_dp_none(), bp(p, o));
  if (s != VAR_OK) return s;
  p->cur = o;
  p->c = c->c_out;
  if (downsample) {
    p->h = (p->h + 1 - 3) / 2 + 1;
    p->w = (p->w + 1 - 3) / 2 + 1;
  }
  return VAR_OK;
}

static var_status norm(vae_pass *p, const vae_norm *n, int in, int out, int silu)
{
  return p->be->ops->group_norm(p->be, p->batch, n->c, p->h * p->w, VAR_VAE_GROUPS, VAR_VAE_EPS, bp(p, in),
                                n->gamma, n->beta, bp(p, out), silu);
}

/* out = shortcut(x) + conv2(SiLU(norm2(conv1(SiLU(norm1(x)))))) */
static var_status res_block(vae_pass *p, const vae_res *r)
{
  const int x = p->cur, t1 = spare(p, -1, -1), t2 = spare(p, t1, -1), o = spare(p, t1, t2);
  var_dptr resid = bp(p, x);
  var_status s;
  if ((s = norm(p, &r->norm1, x, t1, 1)) != VAR_OK) return s;
  if ((s = var_vae_conv(p->be, &r->conv1, p->batch, p->h, p->w, 0, bp(p, t1), var_dp_none(), bp(p, t2))) != VAR_OK)
    return s;
  p->c = r->c_out;
  if ((s = norm(p, &r->norm2, t2, t1, 1)) != VAR_OK) return s;
  if (r->has_nin) {
    s = var_vae_conv(p->be, &r->nin, p->batch, p->h, p->w, 0, bp(p, x), var_dp_none(), bp(p, t2));
    if (s != VAR_OK) return s;
    resid = bp(p, t2);
  }
  s = var_vae_conv(p->be, &r->conv2, p->batch, p->h, p->w, 0, bp(p, t1), resid, bp(p, o));
  if (s == VAR_OK) p->cur = o;
  return s;
}

/* out = x + proj_out(attention(qkv(norm(x)))) */
static var_status attn_block(vae_pass *p, const vae_attn *a)
{
  const int x = p->cur, t1 = spare(p, -1, -1), t2 = spare(p, t1, -1), o = spare(p, t1, t2);
  var_status s;
  if ((s = norm(p, &a->norm, x, t1, 0)) != VAR_OK) return s;
  if ((s = var_vae_conv(p->be, &a->qkv, p->batch, p->h, p->w, 0, bp(p, t1), var_dp_none(), bp(p, t2))) != VAR_OK)
    return s;
  if ((s = p->be->ops->spatial_attention(p->be, p->batch, a->c, p->h * p->w, bp(p, t2), bp(p, t1))) != VAR_OK)
    return s;
  s = var_vae_conv(p->be, &a->proj, p->batch, p->h, p->w, 0, bp(p, t1), bp(p, x), bp(p, o));
  if (s == VAR_OK) p->cur = o;
  return s;
}

static var_status mid_blocks(vae_pass *p, const vae_mid *m)
{
  var_status s = res_block(p, &m->block_1);
  if (s == VAR_OK && m->has_attn) s = attn_block(p, &m->attn_1);
  if (s == VAR_OK) s = res_block(p, &m->block_2);
  return s;
}

static var_status level_blocks(vae_pass *p, const vae_level *lv)
{
  int j;
  var_status s = VAR_OK;
  for (j = 0; j < lv->n_blocks && s == VAR_OK; j++) {
    s = res_block(p, &lv->block[j]);
    if (s == VAR_OK && lv->n_attn) s = attn_block(p, &lv->attn[j]);
  }
  return s;
}

/* Largest map (floats per batch item) of a pass, walking the same shapes. */
static size_t level_need(const vae_level *lv, int c_in, size_t hw)
{
  size_t need = max_sz((size_t)c_in, (size_t)lv->c_out) * hw;
  if (lv->n_attn) need = max_sz(need, 3 * (size_t)lv->c_out * hw);
  return need;
}

static size_t mid_need(const vae_mid *m, size_t hw)
{
  return (m->has_attn ? 3 : 1) * (size_t)m->block_1.c_in * hw;
}

static size_t encoder_need(const var_vqvae *vae, int size)
{
  const var_vqvae_weights *w = vae->w;
  size_t need = 3 * (size_t)size * size, hw;
  int i, side = size, c = vae->cfg.ch;
  for (i = 0; i < vae->cfg.n_levels; i++) {
    hw = (size_t)side * side;
    need = max_sz(need, max_sz((size_t)c * hw, level_need(&w->enc[i], c, hw)));
    c = w->enc[i].c_out;
    if (w->enc[i].has_resample) side = (side + 1 - 3) / 2 + 1;
  }
  hw = (size_t)side * side;
  need = max_sz(need, mid_need(&w->enc_mid, hw));
  return max_sz(need, (size_t)vae->cfg.z_channels * hw);
}

static size_t decoder_need(const var_vqvae *vae, int latent)
{
  const var_vqvae_weights *w = vae->w;
  size_t hw = (size_t)latent * latent;
  size_t need = max_sz(mid_need(&w->dec_mid, hw), (size_t)vae->cfg.z_channels * hw);
  int i, side = latent, c = w->dec_mid.block_1.c_in;
  for (i = vae->cfg.n_levels - 1; i >= 0; i--) {
    hw = (size_t)side * side;
    need = max_sz(need, level_need(&w->dec[i], c, hw));
    c = w->dec[i].c_out;
    if (w->dec[i].has_resample) {
      side *= 2;
      need = max_sz(need, (size_t)c * side * side);
    }
  }
  return max_sz(need, 3 * (size_t)side * side);
}

static int size_ok(size_t side, size_t per_item_floats)
{
  /* keeps every product of sizes far from overflowing int and size_t */
  return side > 0 && side <= 65536 && per_item_floats <= ((size_t)1 << 40);
}

/* ---- encoder ----------------------------------------------------------------- */

var_status var_vqvae_encode_f(var_vqvae *vae, int batch, int size, const float *img, var_dptr f)
{
  var_vqvae_weights *w;
  vae_pass p;
  size_t n_img, i;
  int lv;
  char name[32];
  var_status s;
  if (!vae || !img || batch < 1 || size < 1)
    return var_fail(vae ? vae->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "VQ-VAE encode: bad arguments");
  w = vae->w;
  if (size % vae->cfg.downsample)
    return var_fail(vae->ctx, VAR_ERR_SHAPE, "VQ-VAE encode: image side %d is not a multiple of %d", size,
                    vae->cfg.downsample);
  if (!size_ok((size_t)size, encoder_need(vae, size)) || batch > 65536)
    return var_fail(vae->ctx, VAR_ERR_SHAPE, "VQ-VAE encode: %d images of %dx%d are too large", batch, size, size);
  n_img = (size_t)batch * 3 * size * size;
  for (i = 0; i < n_img; i++)
    if (!isfinite(img[i]))
      return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT,
                      "VQ-VAE encode: image %zu has a non-finite value (NaN or infinity) at channel %zu, pixel (%zu, %zu)",
                      i / (3 * (size_t)size * size), i / ((size_t)size * size) % 3, i / size % size, i % size);
  s = pass_init(&p, vae, batch, encoder_need(vae, size));
  if (s != VAR_OK) {
    pass_free(&p);
    return s;
  }
  p.c = 3;
  p.h = p.w = size;
  s = p.be->ops->write(p.be, bp(&p, 0), img, n_img * sizeof(float));
  if (s == VAR_OK) s = step_conv(&p, &w->enc_conv_in, 0);
  if (s == VAR_OK) s = tap(&p, "enc_conv_in");
  for (lv = 0; lv < vae->cfg.n_levels && s == VAR_OK; lv++) {
    s = level_blocks(&p, &w->enc[lv]);
    snprintf(name, sizeof name, "enc_level%d", lv);
    if (s == VAR_OK) s = tap(&p, name);
    if (s == VAR_OK && w->enc[lv].has_resample) {
      s = step_conv(&p, &w->enc[lv].resample, 1);
      snprintf(name, sizeof name, "enc_down%d", lv);
      if (s == VAR_OK) s = tap(&p, name);
    }
    if (s == VAR_OK) s = check_cancel(&p);
  }
  if (s == VAR_OK) s = mid_blocks(&p, &w->enc_mid);
  if (s == VAR_OK) s = tap(&p, "enc_mid");
  if (s == VAR_OK) {
    int t = spare(&p, -1, -1);
    s = norm(&p, &w->enc_norm_out, p.cur, t, 1);
    if (s == VAR_OK) p.cur = t;
  }
  if (s == VAR_OK) s = step_conv(&p, &w->enc_conv_out, 0);
  if (s == VAR_OK) s = tap(&p, "enc_out");
  if (s == VAR_OK)
    s = var_vae_conv(p.be, &w->quant_conv, batch, p.h, p.w, 0, bp(&p, p.cur), var_dp_none(), f);
  pass_free(&p);
  return s;
}

/* ---- decoder ----------------------------------------------------------------- */

var_status var_vqvae_decode_fhat(var_vqvae *vae, int batch, int latent, var_dptr fhat, float *img, int raw)
{
  var_vqvae_weights *w;
  vae_pass p;
  float *host = NULL;
  size_t n_img = 0, i;
  int lv;
  char name[32];
  var_status s;
  if (!vae || !img || batch < 1 || latent < 1)
    return var_fail(vae ? vae->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "VQ-VAE decode: bad arguments");
  w = vae->w;
  if (!size_ok((size_t)latent * vae->cfg.downsample, decoder_need(vae, latent)) || batch > 65536)
    return var_fail(vae->ctx, VAR_ERR_SHAPE, "VQ-VAE decode: %d latents of %dx%d are too large", batch, latent,
                    latent);
  s = pass_init(&p, vae, batch, decoder_need(vae, latent));
  if (s != VAR_OK) {
    pass_free(&p);
    return s;
  }
  p.c = vae->cfg.z_channels;
  p.h = p.w = latent;
  s = var_vae_conv(p.be, &w->post_quant_conv, batch, latent, latent, 0, fhat, var_dp_none(), bp(&p, 0));
  if (s == VAR_OK) s = tap(&p, "dec_in");
  if (s == VAR_OK) s = step_conv(&p, &w->dec_conv_in, 0);
  if (s == VAR_OK) s = tap(&p, "dec_conv_in");
  if (s == VAR_OK) s = mid_blocks(&p, &w->dec_mid);
  if (s == VAR_OK) s = tap(&p, "dec_mid");
  for (lv = vae->cfg.n_levels - 1; lv >= 0 && s == VAR_OK; lv--) {
    s = level_blocks(&p, &w->dec[lv]);
    snprintf(name, sizeof name, "dec_level%d", lv);
    if (s == VAR_OK) s = tap(&p, name);
    if (s == VAR_OK && w->dec[lv].has_resample) {
      int t = spare(&p, -1, -1);
      s = p.be->ops->upsample_nearest2x(p.be, batch * p.c, p.h, p.w, bp(&p, p.cur), bp(&p, t));
      if (s == VAR_OK) {
        p.cur = t;
        p.h *= 2;
        p.w *= 2;
        s = step_conv(&p, &w->dec[lv].resample, 0);
      }
      snprintf(name, sizeof name, "dec_up%d", lv);
      if (s == VAR_OK) s = tap(&p, name);
    }
    if (s == VAR_OK) s = check_cancel(&p);
  }
  if (s == VAR_OK) {
    int t = spare(&p, -1, -1);
    s = norm(&p, &w->dec_norm_out, p.cur, t, 1);
    if (s == VAR_OK) p.cur = t;
  }
  if (s == VAR_OK) s = step_conv(&p, &w->dec_conv_out, 0);
  if (s == VAR_OK) s = tap(&p, "dec_out");
  if (s == VAR_OK) {
    n_img = (size_t)batch * p.c * p.h * p.w;
    s = var_alloc(vae->ctx, n_img * sizeof(float), (void **)&host);
  }
  if (s == VAR_OK) s = p.be->ops->read(p.be, bp(&p, p.cur), host, n_img * sizeof(float));
  pass_free(&p);
  if (s == VAR_OK) {
    if (raw) {
      memcpy(img, host, n_img * sizeof(float));
    } else {
      /* upstream: clamp_(-1, 1), then add_(1).mul_(0.5) */
      for (i = 0; i < n_img; i++) {
        float v = host[i] < -1.0f ? -1.0f : host[i] > 1.0f ? 1.0f : host[i];
        img[i] = (v + 1.0f) * 0.5f;
      }
    }
  }
  var_free(host);
  return s;
}

/* ---- public encode / decode ---------------------------------------------------- */

/* The schedule must end at the latent side and stay within it. */
static var_status check_schedule(var_vqvae *vae, const var_schedule *s)
{
  int i, last;
  if (!s || s->n_scales < 2 || s->n_scales > VAR_MAX_SCALES)
    return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT, "VQ-VAE: a schedule of 2 to %d scales is needed",
                    VAR_MAX_SCALES);
  last = s->pn[s->n_scales - 1];
  for (i = 0; i < s->n_scales; i++)
    if (s->pn[i] < 1 || s->pn[i] > last || s->pn[i] > 4096)
      return var_fail(vae->ctx, VAR_ERR_INVALID_ARGUMENT,
                      "VQ-VAE: scale %d has %d x %d tokens; scales must lie between 1 and the last one (%d)", i,
                      s->pn[i], s->pn[i], last);
  return VAR_OK;
}

var_status var_vqvae_encode(var_vqvae *vae, const var_schedule *schedule, int batch, const float *img,
                            int32_t *tokens)
{
  var_backend *be;
  var_dbuf *f = NULL;
  int32_t *tmp = NULL;
  int latent, L;
  var_status s;
  if (!vae || !img || !tokens || batch < 1)
    return var_fail(vae ? vae->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "var_vqvae_encode: bad arguments");
  if ((s = check_schedule(vae, schedule)) != VAR_OK) return s;
  var_cancel_reset(vae->ctx);
  be = vae->ctx->backend;
  latent = schedule->pn[schedule->n_scales - 1];
  L = var_schedule_tokens(schedule);
  s = var_be_alloc_f32(be, var_size_mul3((size_t)batch, (size_t)vae->cfg.z_channels, (size_t)latent * latent), &f);
  if (s == VAR_OK) s = var_alloc(vae->ctx, var_size_mul3((size_t)batch, (size_t)L, sizeof *tmp), (void **)&tmp);
  if (s == VAR_OK) s = var_vqvae_encode_f(vae, batch, latent * vae->cfg.downsample, img, var_dp(f, 0));
  if (s == VAR_OK) s = var_quant_encode(vae, schedule, batch, var_dp(f, 0), tmp, NULL, NULL);
  if (s == VAR_OK) memcpy(tokens, tmp, (size_t)batch * L * sizeof *tmp);
  var_free(tmp);
  if (f) be->ops->release(be, f);
  return s;
}

var_status var_vqvae_decode(var_vqvae *vae, const var_schedule *schedule, int batch, const int32_t *tokens,
                            float *img)
{
  var_backend *be;
  var_dbuf *fhat = NULL;
  int latent;
  var_status s;
  if (!vae || !img || !tokens || batch < 1)
    return var_fail(vae ? vae->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "var_vqvae_decode: bad arguments");
  if ((s = check_schedule(vae, schedule)) != VAR_OK) return s;
  var_cancel_reset(vae->ctx);
  be = vae->ctx->backend;
  latent = schedule->pn[schedule->n_scales - 1];
  s = var_be_alloc_f32(be, var_size_mul3((size_t)batch, (size_t)vae->cfg.z_channels, (size_t)latent * latent),
                       &fhat);
  if (s == VAR_OK) s = var_quant_tokens_to_fhat(vae, schedule, batch, tokens, var_dp(fhat, 0));
  if (s == VAR_OK) s = var_vqvae_decode_fhat(vae, batch, latent, var_dp(fhat, 0), img, 0);
  if (fhat) be->ops->release(be, fhat);
  return s;
}

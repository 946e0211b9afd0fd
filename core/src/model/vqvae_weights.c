/* vqvae_weights.c — VQ-VAE weights from a checkpoint (docs/algorithm.md §3, §7.2).
 *
 * The configuration comes from the tensor shapes (config.c); here every tensor
 * the configuration implies is looked up with its exact expected shape, and any
 * tensor left over (other than the unused usage-statistics buffer) is an error:
 * like upstream's load_state_dict(strict=True), a checkpoint either fits the
 * architecture completely or is refused. */
#include "model/vqvae_weights.h"

#include <stdio.h>
#include <string.h>

typedef struct {
  var_vqvae *vae;
  var_backend *be;
  unsigned char *used;        /* per checkpoint tensor */
} loader;

static var_status keep_buf(var_vqvae_weights *w, var_ctx *ctx, var_dbuf *buf)
{
  if (w->n_bufs == w->cap_bufs) {
    int cap = w->cap_bufs ? 2 * w->cap_bufs : 512;
    var_dbuf **nb;
    var_status s = var_alloc(ctx, var_size_mul((size_t)cap, sizeof *nb), (void **)&nb);
    if (s != VAR_OK) return s;
    if (w->n_bufs) memcpy(nb, w->bufs, sizeof *nb * (size_t)w->n_bufs);
    var_free(w->bufs);
    w->bufs = nb;
    w->cap_bufs = cap;
  }
  w->bufs[w->n_bufs++] = buf;
  return VAR_OK;
}

/* Looks up `name` with the given shape and wraps it as a constant buffer. */
static var_status tensor(loader *L, const char *name, int ndim, const int64_t *dims, var_dptr *out,
                         const float **host)
{
  var_ckpt_tensor const *info;
  const float *data;
  var_dbuf *buf;
  var_status s = var_ckpt_f32(L->vae->ck, name, ndim, dims, &data, &info);
  if (s != VAR_OK) return s;
  L->used[info - L->vae->ck->tensors] = 1;
  s = L->be->ops->wrap_const(L->be, data, var_size_mul((size_t)info->numel, sizeof(float)), &buf);
  if (s != VAR_OK) return s;
  s = keep_buf(L->vae->w, L->vae->ctx, buf);
  if (s != VAR_OK) {
    L->be->ops->release(L->be, buf);
    return s;
  }
  *out = var_dp(buf, 0);
  if (host) *host = data;
  return VAR_OK;
}

static var_status conv(loader *L, vae_conv *c, const char *prefix, int c_in, int c_out, int k)
{
  char name[256];
  int64_t wd[4], bd[1];
  var_status s;
  wd[0] = c_out;
  wd[1] = c_in;
  wd[2] = wd[3] = k;
  bd[0] = c_out;
  c->c_in = c_in;
  c->c_out = c_out;
  c->k = k;
  snprintf(name, sizeof name, "%s.weight", prefix);
  if ((s = tensor(L, name, 4, wd, &c->w, NULL)) != VAR_OK) return s;
  snprintf(name, sizeof name, "%s.bias", prefix);
  return tensor(L, name, 1, bd, &c->b, NULL);
}

static var_status norm(loader *L, vae_norm *n, const char *prefix, int c)
{
  char name[256];
  int64_t d[1];
  var_status s;
  d[0] = c;
  n->c = c;
  if (c % VAR_VAE_GROUPS)
    return var_fail(L->vae->ctx, VAR_ERR_SHAPE, "%s: %d channels do not split into %d groups", prefix, c,
                    VAR_VAE_GROUPS);
  snprintf(name, sizeof name, "%s.weight", prefix);
  if ((s = tensor(L, name, 1, d, &n->gamma, NULL)) != VAR_OK) return s;
  snprintf(name, sizeof name, "%s.bias", prefix);
  return tensor(L, name, 1, d, &n->beta, NULL);
}

static var_status res_block(loader *L, vae_res *r, const char *prefix, int c_in, int c_out)
{
  char name[256];
  var_status s;
  r->c_in = c_in;
  r->c_out = c_out;
  snprintf(name, sizeof name, "%s.norm1", prefix);
  if ((s = norm(L, &r->norm1, name, c_in)) != VAR_OK) return s;
  snprintf(name, sizeof name, "%s.conv1", prefix);
  if ((s = conv(L, &r->conv1, name, c_in, c_out, 3)) != VAR_OK) return s;
  snprintf(name, sizeof name, "%s.norm2", prefix);
  if ((s = norm(L, &r->norm2, name, c_out)) != VAR_OK) return s;
  snprintf(name, sizeof name, "%s.conv2", prefix);
  if ((s = conv(L, &r->conv2, name, c_out, c_out, 3)) != VAR_OK) return s;
  r->has_nin = c_in != c_out;
  if (!r->has_nin) return VAR_OK;
  snprintf(name, sizeof name, "%s.nin_shortcut", prefix);
  return conv(L, &r->nin, name, c_in, c_out, 1);
}

static var_status attn_block(loader *L, vae_attn *a, const char *prefix, int c)
{
  char name[256];
  var_status s;
  a->c = c;
  snprintf(name, sizeof name, "%s.norm", prefix);
  if ((s = norm(L, &a->norm, name, c)) != VAR_OK) return s;
  snprintf(name, sizeof name, "%s.qkv", prefix);
  if ((s = conv(L, &a->qkv, name, c, 3 * c, 1)) != VAR_OK) return s;
  snprintf(name, sizeof name, "%s.proj_out", prefix);
  return conv(L, &a->proj, name, c, c, 1);
}

static var_status mid(loader *L, vae_mid *m, const char *prefix, int c, int has_attn)
{
  char name[256];
  var_status s;
  snprintf(name, sizeof name, "%s.block_1", prefix);
  if ((s = res_block(L, &m->block_1, name, c, c)) != VAR_OK) return s;
  m->has_attn = has_attn;
  if (has_attn) {
    snprintf(name, sizeof name, "%s.attn_1", prefix);
    if ((s = attn_block(L, &m->attn_1, name, c)) != VAR_OK) return s;
  }
  snprintf(name, sizeof name, "%s.block_2", prefix);
  return res_block(L, &m->block_2, name, c, c);
}

/* encoder.down.{i} or decoder.up.{i}: n_blocks res-blocks from c_in to c_out,
 * attention after each when `attn`, then the resampling conv when `resample`. */
static var_status level(loader *L, vae_level *lv, const char *prefix, int c_in, int c_out, int n_blocks, int attn,
                        int resample, const char *resample_name)
{
  char name[256];
  int j;
  var_status s;
  lv->n_blocks = n_blocks;
  lv->n_attn = attn ? n_blocks : 0;
  lv->c_out = c_out;
  for (j = 0; j < n_blocks; j++) {
    snprintf(name, sizeof name, "%s.block.%d", prefix, j);
    if ((s = res_block(L, &lv->block[j], name, j ? c_out : c_in, c_out)) != VAR_OK) return s;
    if (attn) {
      snprintf(name, sizeof name, "%s.attn.%d", prefix, j);
      if ((s = attn_block(L, &lv->attn[j], name, c_out)) != VAR_OK) return s;
    }
  }
  lv->has_resample = resample;
  if (!resample) return VAR_OK;
  snprintf(name, sizeof name, "%s.%s.conv", prefix, resample_name);
  return conv(L, &lv->resample, name, c_out, c_out, 3);
}

static var_status load_all(loader *L)
{
  var_vqvae *vae = L->vae;
  const var_vqvae_config *cfg = &vae->cfg;
  var_vqvae_weights *w = vae->w;
  const int n = cfg->n_levels, cv = cfg->z_channels, ch = cfg->ch, nrb = cfg->num_res_blocks;
  const int c_last = ch * cfg->ch_mult[n - 1];
  char name[256];
  int i, c_in;
  var_status s;
  if (nrb < 1 || nrb + 1 > VAR_VAE_MAX_BLOCKS)
    return var_fail(vae->ctx, VAR_ERR_UNSUPPORTED, "VQ-VAE with %d res-blocks per level (1 to %d supported)", nrb,
                    VAR_VAE_MAX_BLOCKS - 1);
  if (cfg->in_channels != 3)
    return var_fail(vae->ctx, VAR_ERR_SHAPE, "VQ-VAE takes %d input channels, expected 3 (RGB)", cfg->in_channels);
  if (cv < 1 || cfg->vocab_size < 1)
    return var_fail(vae->ctx, VAR_ERR_SHAPE, "VQ-VAE codebook of %d x %d", cfg->vocab_size, cv);
  /* encoder */
  if ((s = conv(L, &w->enc_conv_in, "encoder.conv_in", cfg->in_channels, ch, 3)) != VAR_OK) return s;
  c_in = ch;
  for (i = 0; i < n; i++) {
    snprintf(name, sizeof name, "encoder.down.%d", i);
    s = level(L, &w->enc[i], name, c_in, ch * cfg->ch_mult[i], nrb, i == n - 1 && cfg->enc_attn_last, i != n - 1,
              "downsample");
    if (s != VAR_OK) return s;
    c_in = ch * cfg->ch_mult[i];
  }
  if ((s = mid(L, &w->enc_mid, "encoder.mid", c_last, cfg->enc_mid_attn)) != VAR_OK) return s;
  if ((s = norm(L, &w->enc_norm_out, "encoder.norm_out", c_last)) != VAR_OK) return s;
  if ((s = conv(L, &w->enc_conv_out, "encoder.conv_out", c_last, cv, 3)) != VAR_OK) return s;
  if ((s = conv(L, &w->quant_conv, "quant_conv", cv, cv, 3)) != VAR_OK) return s;
  /* decoder */
  if ((s = conv(L, &w->post_quant_conv, "post_quant_conv", cv, cv, 3)) != VAR_OK) return s;
  if ((s = conv(L, &w->dec_conv_in, "decoder.conv_in", cv, c_last, 3)) != VAR_OK) return s;
  if ((s = mid(L, &w->dec_mid, "decoder.mid", c_last, cfg->dec_mid_attn)) != VAR_OK) return s;
  c_in = c_last;
  for (i = n - 1; i >= 0; i--) {
    snprintf(name, sizeof name, "decoder.up.%d", i);
    s = level(L, &w->dec[i], name, c_in, ch * cfg->ch_mult[i], nrb + 1, i == n - 1 && cfg->dec_attn_last, i != 0,
              "upsample");
    if (s != VAR_OK) return s;
    c_in = ch * cfg->ch_mult[i];
  }
  if ((s = norm(L, &w->dec_norm_out, "decoder.norm_out", ch * cfg->ch_mult[0])) != VAR_OK) return s;
  if ((s = conv(L, &w->dec_conv_out, "decoder.conv_out", ch * cfg->ch_mult[0], cfg->in_channels, 3)) != VAR_OK)
    return s;
  /* quantiser */
  s = var_calloc(vae->ctx, (size_t)cfg->n_phi, sizeof *w->phi, (void **)&w->phi);
  if (s != VAR_OK) return s;
  for (i = 0; i < cfg->n_phi; i++) {
    snprintf(name, sizeof name, "quantize.quant_resi.qresi_ls.%d", i);
    if ((s = conv(L, &w->phi[i], name, cv, cv, 3)) != VAR_OK) return s;
  }
  return VAR_OK;
}

/* |E_v|^2 per code, summed like torch.sum(E.square(), dim=1) in float. */
static var_status codebook(loader *L)
{
  var_vqvae *vae = L->vae;
  const int V = vae->cfg.vocab_size, cv = vae->cfg.z_channels;
  int64_t dims[2];
  const float *E;
  float *sq;
  var_dbuf *buf;
  int v, c;
  var_status s;
  dims[0] = V;
  dims[1] = cv;
  if ((s = tensor(L, "quantize.embedding.weight", 2, dims, &vae->codebook, &E)) != VAR_OK) return s;
  if ((s = var_alloc(vae->ctx, var_size_mul((size_t)V, sizeof(float)), (void **)&sq)) != VAR_OK) return s;
  for (v = 0; v < V; v++) {
    float acc = 0.0f;
    for (c = 0; c < cv; c++) acc += E[(size_t)v * cv + c] * E[(size_t)v * cv + c];
    sq[v] = acc;
  }
  s = var_be_alloc_f32(L->be, (size_t)V, &buf);
  if (s == VAR_OK && (s = keep_buf(vae->w, vae->ctx, buf)) != VAR_OK) L->be->ops->release(L->be, buf);
  if (s == VAR_OK) {
    vae->codebook_sq = var_dp(buf, 0);
    s = L->be->ops->write(L->be, vae->codebook_sq, sq, (size_t)V * sizeof(float));
  }
  var_free(sq);
  return s;
}

var_status var_vqvae_weights_load(var_vqvae *vae)
{
  loader L;
  var_checkpoint *ck = vae->ck;
  var_status s;
  int i;
  memset(&L, 0, sizeof L);
  L.vae = vae;
  L.be = vae->ctx->backend;
  s = var_calloc(vae->ctx, sizeof *vae->w, 1, (void **)&vae->w);
  if (s != VAR_OK) return s;
  vae->w->be = L.be;
  s = var_calloc(vae->ctx, (size_t)(ck->n > 0 ? ck->n : 1), 1, (void **)&L.used);
  if (s != VAR_OK) return s;
  s = load_all(&L);
  if (s == VAR_OK) s = codebook(&L);
  for (i = 0; s == VAR_OK && i < ck->n; i++) {
    const char *nm = ck->tensors[i].name;
    if (L.used[i] || !strcmp(nm, "quantize.ema_vocab_hit_SV")) continue;   /* usage statistics: any shape */
    s = var_fail(vae->ctx, VAR_ERR_SHAPE,
                 "%s: tensor \"%s\" does not belong to the VQ-VAE configuration derived from the checkpoint "
                 "(%d levels, %d res-blocks per level)",
                 ck->path, nm, vae->cfg.n_levels, vae->cfg.num_res_blocks);
  }
  var_free(L.used);
  return s;
}

void var_vqvae_weights_free(var_vqvae_weights *w)
{
  int i;
  if (!w) return;
  for (i = 0; i < w->n_bufs; i++) w->be->ops->release(w->be, w->bufs[i]);
  var_free(w->bufs);
  var_free(w->phi);
  var_free(w);
}

var_status var_vae_conv(var_backend *be, const vae_conv *c, int batch, int h, int w, int downsample, var_dptr in,
                        var_dptr residual, var_dptr out)
{
  var_conv_desc d;
  var_status s;
  if (downsample)
    s = var_conv_desc_init(&d, batch, c->c_in, h, w, c->c_out, c->k, 2, 0, 0, 1, 1);
  else
    s = var_conv_desc_init(&d, batch, c->c_in, h, w, c->c_out, c->k, 1, c->k / 2, c->k / 2, c->k / 2, c->k / 2);
  if (s != VAR_OK) return var_fail(be->ctx, s, "convolution of a %dx%d map with a %dx%d kernel", h, w, c->k, c->k);
  return be->ops->conv2d(be, &d, in, c->w, c->b, residual, out);
}

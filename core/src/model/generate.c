/* generate.c — next-scale generation: the KV-cached scale loop, classifier-free
 * guidance, sampling, masked edits and decoding (docs/algorithm.md §5, §6). */
#include "model/generate.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

void var_sample_params_default(var_sample_params *params)
{
  if (!params) return;
  memset(params, 0, sizeof *params);
  params->seed = 0;
  params->cfg = 4.0f;
  params->top_k = 900;
  params->top_p = 0.95f;
  params->more_smooth = 0;
}

void var_gen_hooks_default(var_gen_hooks *hooks)
{
  memset(hooks, 0, sizeof *hooks);
}

/* ---- edit masks ----------------------------------------------------------- */

/* Source coordinate of output index o for a bilinear In -> Out resize, with
 * PyTorch's CPU arithmetic: float32 scale, double coordinate, float32 weight.
 * volatile keeps the compiler from fusing or re-associating: the > 0.5 test
 * downstream sees the last bit (docs/algorithm.md §2.1). */
static void bilinear_tap(int in, int out, int o, int *i0, int *i1, float *l0, float *l1)
{
  volatile float scale = (float)in / (float)out;
  volatile double prod = (double)scale * ((double)o + 0.5);
  volatile double real = prod - 0.5;
  if (real < 0) real = 0;
  *i0 = (int)real;
  *i1 = *i0 + (*i0 < in - 1 ? 1 : 0);
  *l1 = (float)(real - (double)*i0);
  *l0 = 1.0f - *l1;
}

void var_edit_scale_flags(const var_schedule *s, const float *m, int keep_scales, int32_t *flags)
{
  const int h = s->pn[s->n_scales - 1];
  int si, y, x, off = 0;
  for (si = 0; si < s->n_scales; si++) {
    const int pn = s->pn[si];
    for (y = 0; y < pn; y++) {
      int y0, y1, x0, x1;
      float ly0, ly1, lx0, lx1;
      bilinear_tap(h, pn, y, &y0, &y1, &ly0, &ly1);
      for (x = 0; x < pn; x++) {
        float top, bottom, v;
        if (pn * pn <= 3 || si < keep_scales) {
          flags[off + y * pn + x] = 1;
          continue;
        }
        bilinear_tap(h, pn, x, &x0, &x1, &lx0, &lx1);
        top = m[y0 * h + x0] * lx0 + m[y0 * h + x1] * lx1;
        bottom = m[y1 * h + x0] * lx0 + m[y1 * h + x1] * lx1;
        v = top * ly0 + bottom * ly1;
        flags[off + y * pn + x] = v > 0.5f;
      }
    }
    off += pn * pn;
  }
}

/* ---- the generation loop -------------------------------------------------- */

typedef struct gen_run {
  var_transformer *tf;
  var_vqvae *vae;
  var_backend *be;
  var_ctx *ctx;
  const var_sample_params *p;
  const var_gen_hooks *hooks;
  int B, G, L, S, V, Cv, C, h, t_max;
  const var_schedule *sched;
  uint64_t *seeds;
  int *labels;                  /* [G]: the B labels, then B unconditional ones */
  int32_t *tokens, *sampled;    /* host [B, L] */
  int32_t *idx_host, *flag_host;/* host [B * t_max] */
  int32_t *flags;               /* host [B, L] keep flags (edits) */
  const int32_t *keep_tokens;   /* host [B, L] (edits) */
  int keep_scales;              /* edits: scales kept whole from keep_tokens */
  float *host_logits;           /* host [B * t_max, V] (on_logits hook) */
  var_dbuf *buf;                /* every device buffer of the loop, carved below */
  var_dptr x, logits, guided, idx, code, tmp, keep_code, flag_dev, keep_idx, fhat, nxt_cm, nxt_tok;
  var_tf_state *st;
  /* progress */
  double macs_total, macs_done, decode_macs;
  int step, total_steps;
  char stage[32];
} gen_run;

static var_status report(gen_run *r, int done_step, double macs_done)
{
  var_progress pr;
  double total = r->macs_total + r->decode_macs;
  memset(&pr, 0, sizeof pr);
  pr.fraction = total > 0 ? macs_done / total : 1.0;
  pr.step = done_step;
  pr.total_steps = r->total_steps;
  pr.variant = 0;
  pr.variants = 1;
  pr.stage = r->stage;
  return var_report_progress(r->ctx, &pr);
}

static var_status on_block(void *user, int si, int block)
{
  gen_run *r = user;
  const var_tf_config *c = &r->tf->cfg;
  double scale_macs = var_tf_scale_macs(r->tf, si, r->G);
  r->step++;
  return report(r, r->step, r->macs_done + scale_macs * (block + 1) / (c->depth + 1));
}

static var_status validate(var_transformer *tf, var_vqvae *vae, const var_sample_params *p, int batch,
                           const int *labels, const int32_t *keep_tokens, const float *keep_mask, int32_t *tokens_out)
{
  var_ctx *ctx = tf ? tf->ctx : vae ? vae->ctx : NULL;
  const var_tf_config *c;
  int b, L, h;
  int64_t i, n;
  if (!tf || !vae || !p || !labels || !tokens_out)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT,
                    "var_generate_tokens: NULL transformer, VQ-VAE, params, labels or output");
  c = &tf->cfg;
  if (vae->ctx != tf->ctx)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "the VQ-VAE and the transformer were loaded on different contexts");
  if (vae->cfg.vocab_size != c->vocab_size || vae->cfg.z_channels != c->z_channels)
    return var_fail(ctx, VAR_ERR_SHAPE,
                    "the VQ-VAE (vocabulary %d, %d latent channels) does not fit the transformer "
                    "(vocabulary %d, %d channels)",
                    vae->cfg.vocab_size, vae->cfg.z_channels, c->vocab_size, c->z_channels);
  if (batch < 1 || batch > 4096)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "batch %d is out of range (1..4096)", batch);
  for (b = 0; b < batch; b++)
    if (labels[b] > c->num_classes)
      return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT,
                      "label %d of item %d is out of range (0..%d; negative or %d = unconditional)", labels[b], b,
                      c->num_classes - 1, c->num_classes);
  if (!isfinite(p->cfg) || p->cfg < 0 || p->cfg > 1000)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "cfg %g is out of range (0..1000)", (double)p->cfg);
  if (p->top_k < 0) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "top_k %d is negative", p->top_k);
  if (!(p->top_p >= 0.0f && p->top_p <= 1.0f))
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "top_p %g is out of range (0..1)", (double)p->top_p);
  if ((keep_tokens == NULL) != (keep_mask == NULL))
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "keep_tokens and keep_mask must be given together");
  if (!keep_tokens) return VAR_OK;
  L = c->n_tokens;
  h = c->schedule.pn[c->schedule.n_scales - 1];
  n = (int64_t)batch * L;
  for (i = 0; i < n; i++)
    if (keep_tokens[i] < 0 || keep_tokens[i] >= c->vocab_size)
      return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "keep_tokens[%lld] = %d is outside the vocabulary (0..%d)",
                      (long long)i, keep_tokens[i], c->vocab_size - 1);
  n = (int64_t)batch * h * h;
  for (i = 0; i < n; i++)
    if (!isfinite(keep_mask[i]))
      return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "keep_mask[%lld] is not a finite number", (long long)i);
  return VAR_OK;
}

static void run_free(gen_run *r)
{
  var_tf_state_free(r->st);
  if (r->buf) r->be->ops->release(r->be, r->buf);
  var_free(r->seeds);
  var_free(r->labels);
  var_free(r->tokens);
  var_free(r->sampled);
  var_free(r->idx_host);
  var_free(r->flag_host);
  var_free(r->flags);
  var_free(r->host_logits);
}

/* One backend buffer for the whole loop, carved into the pieces named in gen_run. */
static var_status alloc_buffers(gen_run *r)
{
  const size_t bt = (size_t)r->B * r->t_max, gt = (size_t)r->G * r->t_max, hh = (size_t)r->h * r->h;
  const size_t sizes[12] = { gt * r->C, gt * r->V, bt * r->V, bt, bt * r->Cv, bt * r->Cv,
                             bt * r->Cv, bt, bt, (size_t)r->B * r->Cv * hh, bt * r->Cv, bt * r->Cv };
  var_dptr *parts[12];
  size_t total = 0, off = 0;
  int i;
  var_status s;
  parts[0] = &r->x; parts[1] = &r->logits; parts[2] = &r->guided; parts[3] = &r->idx;
  parts[4] = &r->code; parts[5] = &r->tmp; parts[6] = &r->keep_code; parts[7] = &r->flag_dev;
  parts[8] = &r->keep_idx; parts[9] = &r->fhat; parts[10] = &r->nxt_cm; parts[11] = &r->nxt_tok;
  for (i = 0; i < 12; i++) {
    if (total + sizes[i] < total) return var_fail(r->ctx, VAR_ERR_NO_MEMORY, "generation buffers overflow");
    total += (sizes[i] + 15) / 16 * 16;   /* keep every piece 64-byte aligned */
  }
  s = var_be_alloc_f32(r->be, total, &r->buf);
  if (s != VAR_OK) return s;
  for (i = 0; i < 12; i++) {
    *parts[i] = var_dp(r->buf, off);
    off += (sizes[i] + 15) / 16 * 16;
  }
  return r->be->ops->fill(r->be, r->fhat, 0.0f, (size_t)r->B * r->Cv * hh);
}

static var_status run_setup(gen_run *r, const int *labels, const int32_t *keep_tokens, const float *keep_mask,
                            int decode)
{
  const var_tf_config *c = &r->tf->cfg;
  int b, si;
  var_status s;
  r->S = c->schedule.n_scales;
  r->L = c->n_tokens;
  r->V = c->vocab_size;
  r->Cv = c->z_channels;
  r->C = c->C;
  /* cfg 0 (guidance-free models): the guided logits are the conditional ones,
   * (1+0)*cond - 0*uncond, so the unconditional half is not run at all */
  r->G = r->p->cfg == 0.0f ? r->B : 2 * r->B;
  r->sched = &c->schedule;
  r->h = c->schedule.pn[r->S - 1];
  for (si = 0; si < r->S; si++)
    if (c->schedule.pn[si] * c->schedule.pn[si] > r->t_max) r->t_max = c->schedule.pn[si] * c->schedule.pn[si];
  s = var_alloc(r->ctx, sizeof(uint64_t) * (size_t)r->B, (void **)&r->seeds);
  if (s == VAR_OK) s = var_alloc(r->ctx, sizeof(int) * (size_t)r->G, (void **)&r->labels);
  if (s == VAR_OK) s = var_alloc(r->ctx, var_size_mul3((size_t)r->B, (size_t)r->L, 4), (void **)&r->tokens);
  if (s == VAR_OK) s = var_alloc(r->ctx, var_size_mul3((size_t)r->B, (size_t)r->L, 4), (void **)&r->sampled);
  if (s == VAR_OK) s = var_alloc(r->ctx, var_size_mul3((size_t)r->B, (size_t)r->t_max, 4), (void **)&r->idx_host);
  if (s == VAR_OK) s = var_alloc(r->ctx, var_size_mul3((size_t)r->B, (size_t)r->t_max, 4), (void **)&r->flag_host);
  if (s == VAR_OK && keep_tokens)
    s = var_alloc(r->ctx, var_size_mul3((size_t)r->B, (size_t)r->L, 4), (void **)&r->flags);
  if (s == VAR_OK && r->hooks->on_logits)
    s = var_alloc(r->ctx, var_size_mul3((size_t)r->B * r->t_max, (size_t)r->V, 4), (void **)&r->host_logits);
  if (s != VAR_OK) return s;
  for (b = 0; b < r->B; b++) {
    r->seeds[b] = r->p->seed + (uint64_t)b;
    r->labels[b] = labels[b] < 0 ? c->num_classes : labels[b];
    if (r->G > r->B) r->labels[r->B + b] = c->num_classes;
  }
  if (keep_tokens)
    for (b = 0; b < r->B; b++)
      var_edit_scale_flags(r->sched, keep_mask + (size_t)b * r->h * r->h, r->keep_scales,
                           r->flags + (size_t)b * r->L);
  for (si = 0; si < r->S; si++) r->macs_total += var_tf_scale_macs(r->tf, si, r->G);
  /* decoder cost, scaled from the released VAE (196.9 G MAC at 16x16 latents, ch 160; docs/algorithm.md §8):
   * only used to apportion the progress bar */
  if (decode)
    r->decode_macs = 196.9e9 * r->B * ((double)r->h * r->h / 256.0) * ((double)r->vae->cfg.ch * r->vae->cfg.ch / 25600.0);
  r->total_steps = r->S * c->depth + (decode ? 1 : 0);
  s = alloc_buffers(r);
  if (s == VAR_OK) s = var_tf_state_new(r->tf, r->G, r->labels, NULL, NULL, &r->st);
  if (s == VAR_OK) {
    r->st->on_block = on_block;
    r->st->block_user = r;
  }
  return s;
}

/* Code vectors of scale si into r->code [B, Cv, T] (channel-major), edits applied. */
static var_status scale_codes(gen_run *r, int si, int T, int begin)
{
  var_backend *be = r->be;
  const var_sample_params *p = r->p;
  const size_t bt = (size_t)r->B * T;
  size_t i;
  int b;
  var_status s = VAR_OK;
  if (!p->more_smooth) {
    s = be->ops->codebook_gather_cm(be, r->B, r->Cv, T, r->vae->codebook, r->idx, r->code);
  } else {
    double ratio = (double)si / (r->S - 1);
    double tau = 0.27 * (1 - 0.95 * ratio);
    if (tau < 0.005) tau = 0.005;
    s = be->ops->gumbel_mix(be, (int)bt, r->V, r->Cv, r->guided, (float)ratio, (float)tau, T, r->seeds, si,
                            r->vae->codebook, r->tmp);
    /* [B, T, Cv] -> [B, Cv, T]: the layout change read with channels and positions swapped */
    if (s == VAR_OK) s = be->ops->cm_to_tokens(be, r->B, T, r->Cv, r->tmp, r->code);
  }
  for (b = 0; b < r->B; b++)
    memcpy(r->tokens + (size_t)b * r->L + begin, r->idx_host + (size_t)b * T, sizeof(int32_t) * (size_t)T);
  if (s != VAR_OK || !r->flags) return s;
  for (b = 0; b < r->B; b++)
    for (i = 0; i < (size_t)T; i++) {
      const size_t at = (size_t)b * r->L + begin + i;
      r->flag_host[(size_t)b * T + i] = r->flags[at];
      if (r->flags[at]) r->tokens[at] = r->keep_tokens[at];
      r->idx_host[(size_t)b * T + i] = r->keep_tokens[at];
    }
  s = be->ops->write(be, r->keep_idx, r->idx_host, bt * 4);
  if (s == VAR_OK) s = be->ops->write(be, r->flag_dev, r->flag_host, bt * 4);
  if (s == VAR_OK) s = be->ops->codebook_gather_cm(be, r->B, r->Cv, T, r->vae->codebook, r->keep_idx, r->keep_code);
  if (s == VAR_OK) s = be->ops->select_cm(be, r->B, r->Cv, T, r->flag_dev, r->keep_code, r->code, r->code);
  return s;
}

static var_status run_scale(gen_run *r, int si)
{
  var_backend *be = r->be;
  const var_sample_params *p = r->p;
  const var_gen_hooks *hk = r->hooks;
  const int T = r->sched->pn[si] * r->sched->pn[si], begin = r->tf->begin[si];
  const size_t bt = (size_t)r->B * T;
  /* guidance weight ramps 0 -> cfg over the scales (docs/algorithm.md §5) */
  const double t = (double)p->cfg * ((double)si / (r->S - 1));
  int b;
  var_status s;
  snprintf(r->stage, sizeof r->stage, "scale %d/%d", si + 1, r->S);
  s = var_tf_forward_scale(r->st, si, r->x, r->logits);
  if (s == VAR_OK && r->G == r->B) s = be->ops->copy(be, r->guided, r->logits, bt * r->V);
  else if (s == VAR_OK) s = be->ops->cfg_combine(be, (int)bt, r->V, (float)t, r->logits, r->guided);
  if (s == VAR_OK && hk->on_logits) {
    s = be->ops->read(be, r->guided, r->host_logits, bt * r->V * 4);
    if (s == VAR_OK) hk->on_logits(hk->user, si, r->host_logits, r->B, T, r->V);
  }
  if (s == VAR_OK) s = be->ops->sample(be, (int)bt, r->V, r->guided, p->top_k, p->top_p, T, r->seeds, si, r->idx);
  if (s == VAR_OK && hk->force_tokens) {
    for (b = 0; b < r->B; b++)
      memcpy(r->idx_host + (size_t)b * T, hk->force_tokens + (size_t)b * r->L + begin, sizeof(int32_t) * (size_t)T);
    s = be->ops->write(be, r->idx, r->idx_host, bt * 4);
  } else if (s == VAR_OK) {
    s = be->ops->read(be, r->idx, r->idx_host, bt * 4);
  }
  for (b = 0; s == VAR_OK && b < r->B; b++)
    memcpy(r->sampled + (size_t)b * r->L + begin, r->idx_host + (size_t)b * T, sizeof(int32_t) * (size_t)T);
  if (s == VAR_OK) s = scale_codes(r, si, T, begin);
  if (s == VAR_OK) s = var_quant_add_scale(r->vae, r->sched, si, r->B, r->code, r->fhat, var_dp_none());
  if (s == VAR_OK && si < r->S - 1) {
    const int T2 = r->sched->pn[si + 1] * r->sched->pn[si + 1];
    s = var_quant_next_input(r->vae, r->sched, si, r->B, r->fhat, r->nxt_cm);
    if (s == VAR_OK) s = be->ops->cm_to_tokens(be, r->B, r->Cv, T2, r->nxt_cm, r->nxt_tok);
    if (s == VAR_OK) s = var_tf_embed_scale(r->st, si + 1, r->B, r->nxt_tok, r->G, r->x);
  }
  if (s != VAR_OK) return s;
  r->macs_done += var_tf_scale_macs(r->tf, si, r->G);
  return report(r, r->step, r->macs_done);   /* steps count blocks (on_block) */
}

var_status var_generate_ex(var_transformer *tf, var_vqvae *vae, const var_sample_params *params, int batch,
                           const int *labels, const int32_t *keep_tokens, const float *keep_mask, int keep_scales,
                           const var_gen_hooks *hooks, int32_t *tokens_out, float *img_out)
{
  gen_run r;
  var_gen_hooks no_hooks;
  float *img = NULL;
  size_t img_n = 0;
  int si;
  var_status s = validate(tf, vae, params, batch, labels, keep_tokens, keep_mask, tokens_out);
  if (s != VAR_OK) return s;
  if (!hooks) {
    var_gen_hooks_default(&no_hooks);
    hooks = &no_hooks;
  }
  memset(&r, 0, sizeof r);
  r.tf = tf;
  r.vae = vae;
  r.be = tf->be;
  r.ctx = tf->ctx;
  r.p = params;
  r.hooks = hooks;
  r.B = batch;
  r.keep_tokens = keep_tokens;
  r.keep_scales = keep_scales;
  s = run_setup(&r, labels, keep_tokens, keep_mask, img_out != NULL);
  if (s == VAR_OK) s = var_tf_embed_first(r.st, r.x);
  for (si = 0; s == VAR_OK && si < r.S; si++) s = run_scale(&r, si);
  if (s == VAR_OK && img_out) {
    const int side = r.h * vae->cfg.downsample;
    img_n = var_size_mul3((size_t)batch * 3, (size_t)side, (size_t)side);
    snprintf(r.stage, sizeof r.stage, "decode");
    s = img_n ? var_alloc(r.ctx, var_size_mul(img_n, 4), (void **)&img)
              : var_fail(r.ctx, VAR_ERR_NO_MEMORY, "image too large");
    if (s == VAR_OK) s = var_vqvae_decode_fhat(vae, batch, r.h, r.fhat, img, 0);
    if (s == VAR_OK) s = report(&r, r.total_steps, r.macs_total + r.decode_macs);
  }
  if (s == VAR_OK && hooks->fhat_out)
    s = r.be->ops->read(r.be, r.fhat, hooks->fhat_out, (size_t)batch * r.Cv * r.h * r.h * 4);
  if (s == VAR_OK) {
    /* outputs are written only now, so a cancelled or failed call leaves them untouched */
    memcpy(tokens_out, r.tokens, sizeof(int32_t) * (size_t)batch * r.L);
    if (hooks->sampled_out) memcpy(hooks->sampled_out, r.sampled, sizeof(int32_t) * (size_t)batch * r.L);
    if (img_out) memcpy(img_out, img, img_n * 4);
  }
  var_free(img);
  run_free(&r);
  return s;
}

var_status var_generate_tokens(var_transformer *tf, var_vqvae *vae, const var_sample_params *params, int batch,
                               const int *labels, const int32_t *keep_tokens, const float *keep_mask,
                               int32_t *tokens_out, float *img_out)
{
  if (tf) var_cancel_reset(tf->ctx);
  return var_generate_ex(tf, vae, params, batch, labels, keep_tokens, keep_mask, 0, NULL, tokens_out, img_out);
}

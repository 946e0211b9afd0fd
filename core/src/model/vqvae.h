/* vqvae.h — the VQ-VAE inside the library: what generation (generate.c), the
 * image-level API (edit.c) and the golden checks need beyond var.h.
 * Implemented in vqvae.c (encoder/decoder) and quant.c (multi-scale quantiser). */
#ifndef VAR_VQVAE_H
#define VAR_VQVAE_H

#include "backend.h"
#include "io/config.h"

/* Weights of the VQ-VAE are owned by vqvae.c; this header exposes only what
 * other modules use. */
typedef struct var_vqvae_weights var_vqvae_weights;

struct var_vqvae {
  var_ctx *ctx;
  var_checkpoint *ck;
  var_vqvae_config cfg;
  var_vqvae_weights *w;
  var_dptr codebook;        /* E [V, Cv] on the backend */
  var_dptr codebook_sq;     /* |E_v|^2 [V] on the backend */
};

/* ---- quant.c: the multi-scale residual quantiser (docs/algorithm.md §3.5) ---------- */

/* f_hat[B, Cv, h, h] += phi_{k(si)}(up(code[B, Cv, pn, pn])), where up is the
 * bicubic resize to h x h for si < S-1 and the identity for the last scale.
 * If f_rest is given it is decreased by the same amount (encoding). */
var_status var_quant_add_scale(var_vqvae *vae, const var_schedule *s, int si, int batch, var_dptr code,
                               var_dptr fhat, var_dptr f_rest);
/* out[B, Cv, pn', pn'] = area resize of f_hat[B, Cv, h, h] to pn' = pn[si+1]
 * (the next scale's transformer input, channel-major). */
var_status var_quant_next_input(var_vqvae *vae, const var_schedule *s, int si, int batch, var_dptr fhat,
                                var_dptr out);
/* Tokens of every scale from f[B, Cv, h, h] (residual quantisation).  tokens:
 * host int32 [B, L]; margins (optional, host [B, L]) = second-best minus best
 * squared distance; fhat_scales (optional, host [S, B, Cv, h, h]) = cumulative f_hat
 * after each scale. */
var_status var_quant_encode(var_vqvae *vae, const var_schedule *s, int batch, var_dptr f, int32_t *tokens,
                            float *margins, float *fhat_scales);
/* f_hat[B, Cv, h, h] (backend) from tokens (host int32 [B, L]). */
var_status var_quant_tokens_to_fhat(var_vqvae *vae, const var_schedule *s, int batch, const int32_t *tokens,
                                    var_dptr fhat);
/* Teacher-forcing inputs (idxBl_to_var_input): host [B, L - pn0^2, Cv], token-major. */
var_status var_quant_teacher_inputs(var_vqvae *vae, const var_schedule *s, int batch, const int32_t *tokens,
                                    float *x_out);

/* ---- vqvae.c: encoder and decoder ----------------------------------------- */

/* f[B, Cv, h, h] = quant_conv(encoder(img)), img host [B, 3, H, H] in [-1, 1]. */
var_status var_vqvae_encode_f(var_vqvae *vae, int batch, int size, const float *img, var_dptr f);
/* img host [B, 3, H, H] = decoder(post_quant_conv(f_hat)); raw (unclamped) when
 * raw != 0, otherwise (clamp(x, -1, 1) + 1) / 2. */
var_status var_vqvae_decode_fhat(var_vqvae *vae, int batch, int latent, var_dptr fhat, float *img, int raw);

/* Debug taps for the golden checks: when set, the encoder/decoder copy the
 * named intermediate (e.g. "enc_level2", "dec_mid"; names of golden.md §4.1)
 * of batch item 0 to host memory through this callback. */
typedef void (*var_vqvae_tap_fn)(void *user, const char *name, const float *data, int c, int h, int w);
void var_vqvae_set_tap(var_vqvae *vae, var_vqvae_tap_fn fn, void *user);

#endif

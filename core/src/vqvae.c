/* vqvae.c — the multi-scale VQ-VAE: encoder, decoder and the public encode/decode. */
#include "internal.h"

/* TODO: not implemented yet. */

var_status var_vqvae_load(var_ctx *ctx, const char *path, var_vqvae **out)
{
  (void)ctx;
  (void)path;
  (void)out;
  return var_fail(ctx, VAR_ERR_NOT_IMPLEMENTED, "var_vqvae_load: not implemented yet");
}

void var_vqvae_free(var_vqvae *vae)
{
  (void)vae;
}

var_status var_vqvae_get_info(const var_vqvae *vae, var_vqvae_info *info)
{
  (void)vae;
  (void)info;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_vqvae_get_info: not implemented yet");
}

var_status var_vqvae_encode(var_vqvae *vae, const var_schedule *schedule, int batch,
                                    const float *img, int32_t *tokens)
{
  (void)vae;
  (void)schedule;
  (void)batch;
  (void)img;
  (void)tokens;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_vqvae_encode: not implemented yet");
}

var_status var_vqvae_decode(var_vqvae *vae, const var_schedule *schedule, int batch,
                                    const int32_t *tokens, float *img)
{
  (void)vae;
  (void)schedule;
  (void)batch;
  (void)tokens;
  (void)img;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_vqvae_decode: not implemented yet");
}

/* generate.c — next-scale generation: the KV-cached loop, CFG, sampling and masked edits. */
#include "internal.h"

/* TODO: not implemented yet. */

void var_sample_params_default(var_sample_params *params)
{
  (void)params;
}

var_status var_generate_tokens(var_transformer *tf, var_vqvae *vae, const var_sample_params *params,
                                       int batch, const int *labels, const int32_t *keep_tokens,
                                       const float *keep_mask, int32_t *tokens_out, float *img_out)
{
  (void)tf;
  (void)vae;
  (void)params;
  (void)batch;
  (void)labels;
  (void)keep_tokens;
  (void)keep_mask;
  (void)tokens_out;
  (void)img_out;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_generate_tokens: not implemented yet");
}

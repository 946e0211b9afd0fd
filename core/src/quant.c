/* quant.c — the multi-scale residual quantiser (var-spec §3.5). */
#include "vqvae.h"

/* TODO: not implemented yet. */
var_status var_quant_add_scale(var_vqvae *vae, const var_schedule *s, int si, int batch, var_dptr code,
                               var_dptr fhat, var_dptr f_rest)
{
  (void)s; (void)si; (void)batch; (void)code; (void)fhat; (void)f_rest;
  return var_fail(vae->ctx, VAR_ERR_NOT_IMPLEMENTED, "var_quant_add_scale: not implemented yet");
}

var_status var_quant_next_input(var_vqvae *vae, const var_schedule *s, int si, int batch, var_dptr fhat,
                                var_dptr out)
{
  (void)s; (void)si; (void)batch; (void)fhat; (void)out;
  return var_fail(vae->ctx, VAR_ERR_NOT_IMPLEMENTED, "var_quant_next_input: not implemented yet");
}

var_status var_quant_encode(var_vqvae *vae, const var_schedule *s, int batch, var_dptr f, int32_t *tokens,
                            float *margins, float *fhat_scales)
{
  (void)s; (void)batch; (void)f; (void)tokens; (void)margins; (void)fhat_scales;
  return var_fail(vae->ctx, VAR_ERR_NOT_IMPLEMENTED, "var_quant_encode: not implemented yet");
}

var_status var_quant_tokens_to_fhat(var_vqvae *vae, const var_schedule *s, int batch, const int32_t *tokens,
                                    var_dptr fhat)
{
  (void)s; (void)batch; (void)tokens; (void)fhat;
  return var_fail(vae->ctx, VAR_ERR_NOT_IMPLEMENTED, "var_quant_tokens_to_fhat: not implemented yet");
}

var_status var_quant_teacher_inputs(var_vqvae *vae, const var_schedule *s, int batch, const int32_t *tokens,
                                    float *x_out)
{
  (void)s; (void)batch; (void)tokens; (void)x_out;
  return var_fail(vae->ctx, VAR_ERR_NOT_IMPLEMENTED, "var_quant_teacher_inputs: not implemented yet");
}

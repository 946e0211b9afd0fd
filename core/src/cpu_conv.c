/* cpu_conv.c — VQ-VAE convolution, group norm, upsampling and spatial attention (CPU backend). */
#include "cpu_ops.h"

/* TODO: not implemented yet; each op reports itself. */

var_status cpu_conv2d(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                      var_dptr residual, var_dptr out)
{
  (void)d;
  (void)in;
  (void)w;
  (void)bias;
  (void)residual;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "conv2d: not implemented on the CPU backend yet");
}

var_status cpu_group_norm(var_backend *be, int batch, int channels, int hw, int groups, float eps, var_dptr x,
                          var_dptr gamma, var_dptr beta, var_dptr out, int silu)
{
  (void)batch;
  (void)channels;
  (void)hw;
  (void)groups;
  (void)eps;
  (void)x;
  (void)gamma;
  (void)beta;
  (void)out;
  (void)silu;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "group_norm: not implemented on the CPU backend yet");
}

var_status cpu_upsample_nearest2x(var_backend *be, int n_planes, int h, int w, var_dptr in, var_dptr out)
{
  (void)n_planes;
  (void)h;
  (void)w;
  (void)in;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "upsample_nearest2x: not implemented on the CPU backend yet");
}

var_status cpu_spatial_attention(var_backend *be, int batch, int channels, int n, var_dptr qkv, var_dptr out)
{
  (void)batch;
  (void)channels;
  (void)n;
  (void)qkv;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "spatial_attention: not implemented on the CPU backend yet");
}

/* cpu_sample.c — classifier-free guidance, top-k/top-p filtering and sampling (CPU backend). */
#include "cpu_ops.h"

/* TODO: not implemented yet; each op reports itself. */

var_status cpu_cfg_combine(var_backend *be, int rows_half, int V, float t, var_dptr logits, var_dptr out)
{
  (void)rows_half;
  (void)V;
  (void)t;
  (void)logits;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "cfg_combine: not implemented on the CPU backend yet");
}

var_status cpu_sample(var_backend *be, int rows, int V, var_dptr logits, int top_k, float top_p,
                      int rows_per_item, const uint64_t *seeds, int scale, var_dptr idx)
{
  (void)rows;
  (void)V;
  (void)logits;
  (void)top_k;
  (void)top_p;
  (void)rows_per_item;
  (void)seeds;
  (void)scale;
  (void)idx;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "sample: not implemented on the CPU backend yet");
}

var_status cpu_gumbel_mix(var_backend *be, int rows, int V, int cv, var_dptr logits, float ratio, float tau,
                          int rows_per_item, const uint64_t *seeds, int scale, var_dptr codebook, var_dptr out)
{
  (void)rows;
  (void)V;
  (void)cv;
  (void)logits;
  (void)ratio;
  (void)tau;
  (void)rows_per_item;
  (void)seeds;
  (void)scale;
  (void)codebook;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "gumbel_mix: not implemented on the CPU backend yet");
}

/* cpu_resample.c — area and bicubic resampling with PyTorch conventions (CPU backend). */
#include "cpu_ops.h"

/* TODO: not implemented yet; each op reports itself. */

var_status cpu_resize_area(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out, var_dptr in,
                           var_dptr out)
{
  (void)n_planes;
  (void)h_in;
  (void)w_in;
  (void)h_out;
  (void)w_out;
  (void)in;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "resize_area: not implemented on the CPU backend yet");
}

var_status cpu_resize_bicubic(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out,
                              var_dptr in, var_dptr out)
{
  (void)n_planes;
  (void)h_in;
  (void)w_in;
  (void)h_out;
  (void)w_out;
  (void)in;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "resize_bicubic: not implemented on the CPU backend yet");
}

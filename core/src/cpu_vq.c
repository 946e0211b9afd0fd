/* cpu_vq.c — codebook search and code-vector maps (CPU backend). */
#include "cpu_ops.h"

/* TODO: not implemented yet; each op reports itself. */

var_status cpu_vq_argmin(var_backend *be, int batch, int cv, int n, int vocab, var_dptr z, var_dptr codebook,
                         var_dptr e_sq, var_dptr idx, var_dptr margin)
{
  (void)batch;
  (void)cv;
  (void)n;
  (void)vocab;
  (void)z;
  (void)codebook;
  (void)e_sq;
  (void)idx;
  (void)margin;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "vq_argmin: not implemented on the CPU backend yet");
}

var_status cpu_codebook_gather_cm(var_backend *be, int batch, int cv, int n, var_dptr codebook, var_dptr idx,
                                  var_dptr out)
{
  (void)batch;
  (void)cv;
  (void)n;
  (void)codebook;
  (void)idx;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "codebook_gather_cm: not implemented on the CPU backend yet");
}

var_status cpu_select_cm(var_backend *be, int batch, int cv, int n, var_dptr flags, var_dptr a, var_dptr b,
                         var_dptr out)
{
  (void)batch;
  (void)cv;
  (void)n;
  (void)flags;
  (void)a;
  (void)b;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "select_cm: not implemented on the CPU backend yet");
}

var_status cpu_cm_to_tokens(var_backend *be, int batch, int channels, int n, var_dptr in, var_dptr out)
{
  (void)batch;
  (void)channels;
  (void)n;
  (void)in;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "cm_to_tokens: not implemented on the CPU backend yet");
}

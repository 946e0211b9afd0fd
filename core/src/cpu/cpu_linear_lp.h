/* cpu_linear_lp.h — linear layers whose weights are bfloat16, float16 or int8
 * (cpu_linear_lp.c), shared with the blocked kernel of cpu_linear.c.
 *
 * No float32 copy of a weight matrix is ever made: the dot-product kernel widens
 * in registers, the blocked kernel one panel (at most GK_NC x GK_KC values, per
 * thread) at a time into its packing buffer, where float32 weights are copied
 * too, and the portable kernel one row at a time. */
#ifndef VAR_CPU_LINEAR_LP_H
#define VAR_CPU_LINEAR_LP_H

#include "cpu/cpu_ops.h"

typedef struct var_lp_weights {
  int type;              /* VAR_DTYPE_BF16, VAR_DTYPE_F16 or VAR_DTYPE_I8 */
  const void *w;         /* [N, K] of that type */
  const float *scale;    /* I8: [N] row scales; else NULL */
} var_lp_weights;

/* The activation of a finished output (the kernels of this header). */
static inline float var_lp_act(float v, int act)
{
  if (act == VAR_ACT_GELU_TANH) return var_gelu_tanh(v);
  if (act == VAR_ACT_SILU) return var_silu(v);
  return v;
}

/* panel[k][r] (rows of `nr` floats, k < kc) = W[n0 + r][k0 + k] as float32 (times the
 * row's scale for I8), r < nn; rows nn..nr-1 of every panel are 0.  Panels of nr
 * rows follow each other (kc * nr floats apart) until nn rows are covered. */
void var_lp_pack_panels(const var_lp_weights *W, int K, int n0, int nn, int k0, int kc, int nr, float *wp,
                        int simd);

/* Y[M, N] = act(X[M, K] W^T + bias) with the kernel for few rows: the AVX2 dot-product
 * kernel, or without AVX2 the portable one (one widened row per thread). */
var_status var_lp_linear_stream(var_backend *be, int M, int N, int K, const float *X, const var_lp_weights *W,
                                const float *bias, float *Y, int act);

/* The code that runs for weights of `type` (VAR_DTYPE_F32 too), for benchmarks. */
const char *var_lp_kernel_name(var_backend *be, int type);

/* cpu_linear_vnni.c: int8 weights x per-row int8 activations with AVX-512 VNNI
 * (when var_lp_vnni_available() and the backend's tuning allow it). */
int var_lp_vnni_available(void);
var_status var_lp_linear_vnni(var_backend *be, int M, int N, int K, const float *X, const var_lp_weights *W,
                              const float *bias, float *Y, int act);

#endif

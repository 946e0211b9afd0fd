/* eltwise.cl -- element-wise kernels and GEMM helpers. */

/* Y[m, 0:N) (row stride ldy) = bias, or 0 without one: the starting value of a
 * GEMM with beta = 1, which also keeps stale NaN/inf in Y out of the result. */
__kernel void fill_rows(int M, int N, __global float *y, int yo, int ldy, __global const float *bias, int bo,
                        int has_bias)
{
  int n = get_global_id(0), m = get_global_id(1);
  if (n >= N || m >= M) return;
  y[yo + (size_t)m * ldy + n] = has_bias ? bias[bo + n] : 0.0f;
}

/* C = beta * C over an M x N block (beta == 0 writes zeros, as BLAS does). */
__kernel void scale_2d(int M, int N, __global float *c, int co, int ldc, float beta)
{
  int n = get_global_id(0), m = get_global_id(1);
  size_t i;
  if (n >= N || m >= M) return;
  i = co + (size_t)m * ldc + n;
  c[i] = beta == 0.0f ? 0.0f : beta * c[i];
}

__kernel void axpby(int n, float a, __global const float *x, int xo, float b, __global const float *y, int yo,
                    __global float *out, int oo)
{
  int i = get_global_id(0);
  float ax, by;
  if (i >= n) return;
  ax = a * x[xo + i];
  by = b * y[yo + i];
  out[oo + i] = ax + by;
}

__kernel void activation(int n, int act, __global const float *x, int xo, __global float *out, int oo)
{
  int i = get_global_id(0);
  if (i >= n) return;
  out[oo + i] = apply_act(x[xo + i], act);
}

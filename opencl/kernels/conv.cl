/* conv.cl -- VQ-VAE helpers: im2col for the CLBlast convolution GEMMs, group
 * norm (+SiLU), nearest x2 upsampling and the attention softmax. */

/* col[r, (y - y0) * w_out + x] for tap r = (ci, dy, dx) and output pixel (y, x),
 * y in [y0, y0 + ny), of one image: the input under the tap, 0 in the
 * padding.  Tiles are whole output rows (no division for the pixel), and the
 * tap's split uses constant divisors for the 3x3 case (multiplies, not idiv:
 * PoCL spends most of im2col's time in integer division otherwise). */
__kernel void im2col(int c_in, int h_in, int w_in, int k, int stride, int pad_top, int pad_left, int w_out, int y0,
                     int ny, __global const float *in, int io, __global float *col)
{
  int x = get_global_id(0), y = get_global_id(1), r = get_global_id(2);
  int kk = k * k, ci, dy, dx, iy, ix;
  float v = 0.0f;
  if (x >= w_out || y >= ny || r >= c_in * kk) return;
  if (k == 3) {
    ci = r / 9;
    dy = (r % 9) / 3;
    dx = r % 3;
  } else {
    ci = r / kk;
    dy = (r % kk) / k;
    dx = r % k;
  }
  iy = (y0 + y) * stride + dy - pad_top;
  ix = x * stride + dx - pad_left;
  if (iy >= 0 && iy < h_in && ix >= 0 && ix < w_in) v = in[io + ((size_t)ci * h_in + iy) * w_in + ix];
  col[((size_t)r * ny + y) * w_out + x] = v;
}

/* out[b, co, p] = residual[b, co, p] + bias[co] (or just the bias): the GEMM
 * then accumulates onto it with beta = 1. */
__kernel void conv_prefill(int c_out, int hw, __global float *out, int oo, __global const float *bias, int bo,
                           int has_bias, __global const float *res, int ro, int has_res)
{
  int p = get_global_id(0), co = get_global_id(1), b = get_global_id(2);
  size_t i;
  float v;
  if (p >= hw || co >= c_out) return;
  i = ((size_t)b * c_out + co) * hw + p;
  v = has_bias ? bias[bo + co] : 0.0f;
  out[oo + i] = has_res ? res[ro + i] + v : v;
}

/* One work-group per (batch, group): mean and rstd of the group's values in
 * acc_t (two passes, like the CPU's double), stats[2 * bg] = mean, rstd. */
__kernel void group_norm_stats(int n, float eps, __global const float *x, int xo, __global acc_t *stats)
{
  __local acc_t tmp[VAR_WG];
  int bg = get_group_id(0), lid = get_local_id(0), i;
  __global const float *xg = x + xo + (size_t)bg * n;
  acc_t s = 0, sq = 0, mean;
  for (i = lid; i < n; i += VAR_WG) s += xg[i];
  mean = wg_sum(s, tmp) / n;
  for (i = lid; i < n; i += VAR_WG) {
    acc_t d = (acc_t)xg[i] - mean;
    sq += d * d;
  }
  sq = wg_sum(sq, tmp) / n;
  if (lid == 0) {
    stats[2 * bg] = mean;
    stats[2 * bg + 1] = (acc_t)1 / sqrt(sq + (acc_t)eps);
  }
}

/* y = x * a + b with a = rstd * gamma[c], b = beta[c] - mean * a (the CPU's
 * per-channel affine form), then SiLU when asked. */
__kernel void group_norm_apply(int channels, int groups, int hw, int silu_on, __global const float *x, int xo,
                               __global const float *gamma, int go, int has_gamma, __global const float *beta, int bo,
                               int has_beta, __global const acc_t *stats, __global float *out, int oo)
{
  int p = get_global_id(0), c = get_global_id(1), b = get_global_id(2);
  int bg = b * groups + c / (channels / groups);
  size_t i;
  float rstd, meanf, a, bb, v;
  if (p >= hw || c >= channels) return;
  i = ((size_t)b * channels + c) * hw + p;
  rstd = (float)stats[2 * bg + 1];
  meanf = (float)stats[2 * bg];
  a = rstd * (has_gamma ? gamma[go + c] : 1.0f);
  bb = (has_beta ? beta[bo + c] : 0.0f) - meanf * a;
  v = x[xo + i] * a + bb;
  out[oo + i] = silu_on ? silu(v) : v;
}

__kernel void upsample2x(int n_planes, int h, int w, __global const float *in, int io, __global float *out, int oo)
{
  int x = get_global_id(0), y = get_global_id(1), p = get_global_id(2);
  if (x >= 2 * w || y >= 2 * h || p >= n_planes) return;
  out[oo + ((size_t)p * 2 * h + y) * 2 * w + x] = in[io + ((size_t)p * h + (y >> 1)) * w + (x >> 1)];
}

/* One work-group per row of n scores: softmax in place (max, exp, sum, times
 * 1/sum, as the CPU backend does). */
__kernel void softmax_rows(int n, __global float *s, int so)
{
  __local float tmp[VAR_WG];
  __local acc_t tmpa[VAR_WG];
  int lid = get_local_id(0), i;
  __global float *x = s + so + (size_t)get_group_id(0) * n;
  float m = -INFINITY, sum = 0.0f, inv;
  for (i = lid; i < n; i += VAR_WG) m = fmax(m, x[i]);
  m = wg_max(m, tmp);
  for (i = lid; i < n; i += VAR_WG) {
    float e = exp(x[i] - m);
    x[i] = e;
    sum += e;
  }
  inv = 1.0f / (float)wg_sum((acc_t)sum, tmpa);
  for (i = lid; i < n; i += VAR_WG) x[i] *= inv;
}

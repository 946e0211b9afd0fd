/* rows.cl -- transformer row ops: embeddings, AdaLN modulation, gated residuals. */

/* out[r, :] = table[idx[r], :] */
__kernel void embed_rows(int rows, int dim, __global const float *table, int to, __global const int *idx, int io,
                         __global float *out, int oo)
{
  int k = get_global_id(0), r = get_global_id(1);
  if (k >= dim || r >= rows) return;
  out[oo + (size_t)r * dim + k] = table[to + (size_t)idx[io + r] * dim + k];
}

/* x[g, t, :] += rows[t, :] for all groups g (rows = groups * T). */
__kernel void add_rows(int rows, int T, int C, __global float *x, int xo, __global const float *a, int ao)
{
  int k = get_global_id(0), r = get_global_id(1);
  if (k >= C || r >= rows) return;
  x[xo + (size_t)r * C + k] += a[ao + (size_t)(r % T) * C + k];
}

/* One work-group per row: LayerNorm (no affine, biased variance; statistics in
 * acc_t like the CPU's double) then out = n * (1 + scale[g]) + shift[g]. */
__kernel void ln_modulate(int C, int rows_per_group, float eps, __global const float *x, int xo,
                          __global const float *scale, int so, __global const float *shift, int ho, int stride,
                          __global float *out, int oo)
{
  __local acc_t tmp[VAR_WG];
  int r = get_group_id(0), lid = get_local_id(0), k;
  __global const float *xr = x + xo + (size_t)r * C;
  __global const float *sc = scale + so + (size_t)(r / rows_per_group) * stride;
  __global const float *sh = shift + ho + (size_t)(r / rows_per_group) * stride;
  __global float *o = out + oo + (size_t)r * C;
  acc_t sum = 0, sq = 0, mean, var, rstd;
  for (k = lid; k < C; k += VAR_WG) sum += xr[k];
  mean = wg_sum(sum, tmp) / C;
  for (k = lid; k < C; k += VAR_WG) {
    acc_t d = xr[k] - mean;
    sq += d * d;
  }
  var = wg_sum(sq, tmp) / C;
  rstd = (acc_t)1 / sqrt(var + (acc_t)eps);
  for (k = lid; k < C; k += VAR_WG) {
    float n = (float)((xr[k] - mean) * rstd);
    float m = n * (1.0f + sc[k]);
    o[k] = m + sh[k];
  }
}

/* x[r, :] += gamma[g, :] * y[r, :] (the branch output is gated first, as upstream does). */
__kernel void gated_add(int rows, int C, int rows_per_group, __global float *x, int xo, __global const float *gamma,
                        int go, int stride, __global const float *y, int yo)
{
  int k = get_global_id(0), r = get_global_id(1);
  size_t i;
  float gy;
  if (k >= C || r >= rows) return;
  i = (size_t)r * C + k;
  gy = gamma[go + (size_t)(r / rows_per_group) * stride + k] * y[yo + i];
  x[xo + i] = x[xo + i] + gy;
}

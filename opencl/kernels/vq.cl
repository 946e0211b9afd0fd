/* vq.cl -- codebook search helpers and code-vector maps.  The distances follow
 * upstream's arithmetic d = (|z|^2 + |e|^2) - 2 z.e: vq_prefill writes the
 * squared norms, a CLBlast GEMM (alpha -2, beta 1) adds the dot products, and
 * vq_argmin takes the first minimum of each row. */

/* zsq[j] = sum_c z[c, p0 + j]^2 (sequential over c, as the CPU). */
__kernel void vq_zsq(int cv, int n, int p0, int rows, __global const float *z, int zo, __global float *zsq)
{
  int j = get_global_id(0), c;
  float sq = 0.0f;
  if (j >= rows) return;
  for (c = 0; c < cv; c++) {
    float v = z[zo + (size_t)c * n + p0 + j];
    sq += v * v;
  }
  zsq[j] = sq;
}

__kernel void vq_prefill(int rows, int vocab, __global const float *zsq, __global const float *e_sq, int eo,
                         __global float *d)
{
  int v = get_global_id(0), j = get_global_id(1);
  if (v >= vocab || j >= rows) return;
  d[(size_t)j * vocab + v] = zsq[j] + e_sq[eo + v];
}

/* One work-group per row: first index of the smallest distance, and the
 * margin to the second smallest (over the other indices). */
__kernel void vq_argmin(int vocab, __global const float *d, __global int *idx, int io, __global float *margin,
                        int mo, int has_margin)
{
  __local float lb[VAR_WG], ls[VAR_WG];
  __local int li[VAR_WG];
  int lid = get_local_id(0), r = get_group_id(0), v, s;
  __global const float *row = d + (size_t)r * vocab;
  float best = INFINITY, second = INFINITY;
  int bi = 0x7fffffff;
  for (v = lid; v < vocab; v += VAR_WG) {   /* ascending v: ties keep the first */
    float x = row[v];
    if (x < best) {
      second = best;
      best = x;
      bi = v;
    } else if (x < second) {
      second = x;
    }
  }
  lb[lid] = best;
  ls[lid] = second;
  li[lid] = bi;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (s = VAR_WG / 2; s > 0; s >>= 1) {
    if (lid < s) {
      float b1 = lb[lid], b2 = lb[lid + s];
      int i1 = li[lid], i2 = li[lid + s];
      if (b2 < b1 || (b2 == b1 && i2 < i1)) {
        lb[lid] = b2;
        li[lid] = i2;
        ls[lid] = fmin(ls[lid + s], b1);
      } else {
        ls[lid] = fmin(ls[lid], b2);
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  if (lid == 0) {
    idx[io + r] = li[0] == 0x7fffffff ? 0 : li[0];
    if (has_margin) margin[mo + r] = ls[0] - lb[0];
  }
}

/* out[b, c, p] = codebook[idx[b * n + p], c] */
__kernel void codebook_gather_cm(int batch, int cv, int n, __global const float *cb, int cbo, __global const int *idx,
                                 int io, __global float *out, int oo)
{
  int p = get_global_id(0), c = get_global_id(1), b = get_global_id(2);
  if (p >= n || c >= cv || b >= batch) return;
  out[oo + ((size_t)b * cv + c) * n + p] = cb[cbo + (size_t)idx[io + (size_t)b * n + p] * cv + c];
}

__kernel void select_cm(int batch, int cv, int n, __global const int *flags, int fo, __global const float *a, int ao,
                        __global const float *bb, int bo, __global float *out, int oo)
{
  int p = get_global_id(0), c = get_global_id(1), b = get_global_id(2);
  size_t i;
  if (p >= n || c >= cv || b >= batch) return;
  i = ((size_t)b * cv + c) * n + p;
  out[oo + i] = flags[fo + (size_t)b * n + p] ? a[ao + i] : bb[bo + i];
}

/* in[b, c, p] -> out[b, p, c] */
__kernel void cm_to_tokens(int batch, int channels, int n, __global const float *in, int io, __global float *out,
                           int oo)
{
  int c = get_global_id(0), p = get_global_id(1), b = get_global_id(2);
  if (c >= channels || p >= n || b >= batch) return;
  out[oo + ((size_t)b * n + p) * channels + c] = in[io + ((size_t)b * channels + c) * n + p];
}

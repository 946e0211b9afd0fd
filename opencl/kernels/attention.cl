/* attention.cl -- KV-cached attention of one scale (var-spec 4.3). */

/* Work-group size of att_queries (the host uses the same formula). */
#define ATT_WG (VAR_WG < 64 ? VAR_WG : 64)
#define ATT_MAX_HD 256
/* (float)log(100), as upstream evaluates torch.log(torch.tensor(100)). */
#define ATT_MAX_SCALE_MUL 4.60517025f

/* One item per (token, head): the token's key, L2-normalised, and its value
 * plus v_bias go to the caches [G, H, l_max, hd] at position pos0 + t. */
__kernel void att_fill_cache(int G, int T, int C, int H, int l_max, int pos0, __global const float *qkv, int qo,
                             __global const float *v_bias, int vbo, __global float *kc, int kco, __global float *vc,
                             int vco)
{
  int gt = get_global_id(0), h = get_global_id(1), hd = C / H, d;
  int g = gt / T, t = gt % T;
  __global const float *row;
  __global float *kd, *vd;
  size_t pos;
  acc_t sq = 0;
  float norm;
  if (gt >= G * T || h >= H) return;
  row = qkv + qo + (size_t)gt * 3 * C + (size_t)h * hd;
  pos = ((size_t)g * H + h) * l_max + pos0 + t;
  kd = kc + kco + pos * hd;
  vd = vc + vco + pos * hd;
  for (d = 0; d < hd; d++) {
    float v = row[C + d];
    sq += (acc_t)v * v;
  }
  norm = (float)sqrt(sq);
  if (norm < 1e-12f) norm = 1e-12f;   /* F.normalize's eps */
  for (d = 0; d < hd; d++) {
    kd[d] = row[C + d] / norm * 1.0f;
    vd[d] = row[2 * C + d] + v_bias[vbo + h * hd + d];
  }
}

/* One work-group of ATT_WG items per (token, head) query: q (+ q_bias),
 * L2-normalised and scaled by exp(min(scale_mul[h], ln 100)), attends to the
 * pos0 + T cached keys with a streaming softmax (tiles of ATT_WG keys, running
 * max and sum), so no score matrix is stored whatever the sequence length. */
__kernel void att_queries(int T, int C, int H, int l_max, int pos0, __global const float *qkv, int qo,
                          __global const float *q_bias, int qbo, __global const float *scale_mul, int smo,
                          __global const float *kc, int kco, __global const float *vc, int vco, __global float *out,
                          int oo)
{
  __local float q[ATT_MAX_HD];
  __local float p[ATT_WG];
  __local float redf[ATT_WG];
  __local acc_t reda[ATT_WG];
  const int task = get_group_id(0), lid = get_local_id(0);
  const int h = task % H, gt = task / H, g = gt / T, hd = C / H, nk = pos0 + T;
  __global const float *row = qkv + qo + (size_t)gt * 3 * C + (size_t)h * hd;
  const size_t base = ((size_t)g * H + h) * l_max;
  float acc[ATT_MAX_HD / ATT_WG];
  float sm = scale_mul[smo + h], norm, m = -INFINITY, l = 0.0f;
  acc_t sq = 0;
  int d, i, k0, j;
  sm = exp(sm < ATT_MAX_SCALE_MUL ? sm : ATT_MAX_SCALE_MUL);
  for (d = lid; d < hd; d += ATT_WG) {
    float v = row[d] + q_bias[qbo + h * hd + d];
    q[d] = v;
    sq += (acc_t)v * v;
  }
  norm = (float)sqrt(wg_sum_n(sq, reda, ATT_WG));
  if (norm < 1e-12f) norm = 1e-12f;
  for (d = lid; d < hd; d += ATT_WG) q[d] = q[d] / norm * sm;
  for (i = 0; i < ATT_MAX_HD / ATT_WG; i++) acc[i] = 0.0f;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (k0 = 0; k0 < nk; k0 += ATT_WG) {
    const int k = k0 + lid, nt = nk - k0 < ATT_WG ? nk - k0 : ATT_WG;
    float s = -INFINITY, mnew, pj, corr;
    if (k < nk) {
      __global const float *kr = kc + kco + (base + k) * hd;
      s = 0.0f;
      for (d = 0; d < hd; d++) s += q[d] * kr[d];
    }
    mnew = fmax(m, wg_max_n(s, redf, ATT_WG));
    pj = k < nk ? exp(s - mnew) : 0.0f;
    corr = exp(m - mnew);   /* 0 on the first tile (m = -inf) */
    p[lid] = pj;
    l = l * corr + wg_sumf_n(pj, redf, ATT_WG);   /* its barriers also publish p */
    for (i = 0, d = lid; d < hd; i++, d += ATT_WG) {
      __global const float *vr = vc + vco + (base + k0) * hd + d;
      float a = acc[i] * corr;
      for (j = 0; j < nt; j++) a += p[j] * vr[(size_t)j * hd];
      acc[i] = a;
    }
    m = mnew;
    barrier(CLK_LOCAL_MEM_FENCE);   /* p is rewritten by the next tile */
  }
  for (i = 0, d = lid; d < hd; i++, d += ATT_WG) out[oo + (size_t)gt * C + (size_t)h * hd + d] = acc[i] / l;
}

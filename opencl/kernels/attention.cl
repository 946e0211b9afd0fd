/* attention.cl -- KV-cached attention of one scale (docs/algorithm.md section 4.3). */

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

/* One work-group of ATT_WG items per ATT_QB queries of one (sequence, head):
 * each query (+ q_bias), L2-normalised and scaled by exp(min(scale_mul[h],
 * ln 100)), attends to the pos0 + T cached keys with a streaming softmax over
 * tiles of ATT_WG keys (running max and sum), so no score matrix is stored
 * whatever the sequence length, and each key/value row read serves ATT_QB
 * queries.  Sums over the head dimension run in order, as on the CPU. */
#define ATT_QB 8
__kernel void att_queries(int T, int C, int H, int l_max, int pos0, __global const float *qkv, int qo,
                          __global const float *q_bias, int qbo, __global const float *scale_mul, int smo,
                          __global const float *kc, int kco, __global const float *vc, int vco, __global float *out,
                          int oo)
{
  __local float q[ATT_QB][ATT_MAX_HD];
  __local float sc[ATT_QB][ATT_WG];
  __local float mrow[ATT_QB], corr[ATT_QB], lrow[ATT_QB];
  const int lid = get_local_id(0), nqb = (T + ATT_QB - 1) / ATT_QB, task = get_group_id(0);
  const int qb = task % nqb, gh = task / nqb, h = gh % H, g = gh / H, hd = C / H, nk = pos0 + T;
  const int t0 = qb * ATT_QB, nq = T - t0 < ATT_QB ? T - t0 : ATT_QB;
  const size_t base = ((size_t)g * H + h) * l_max;
  float acc[ATT_QB * ATT_MAX_HD / ATT_WG];
  int d, i, j, k0, qi;
  if (lid < nq) {
    __global const float *row = qkv + qo + ((size_t)g * T + t0 + lid) * 3 * C + (size_t)h * hd;
    float sm = scale_mul[smo + h], norm;
    acc_t sq = 0;
    sm = exp(sm < ATT_MAX_SCALE_MUL ? sm : ATT_MAX_SCALE_MUL);
    for (d = 0; d < hd; d++) {
      float v = row[d] + q_bias[qbo + h * hd + d];
      q[lid][d] = v;
      sq += (acc_t)v * v;
    }
    norm = (float)sqrt(sq);
    if (norm < 1e-12f) norm = 1e-12f;   /* F.normalize's eps */
    for (d = 0; d < hd; d++) q[lid][d] = q[lid][d] / norm * sm;
    mrow[lid] = -INFINITY;
    lrow[lid] = 0.0f;
  }
  for (i = 0; i < ATT_QB * ATT_MAX_HD / ATT_WG; i++) acc[i] = 0.0f;
  barrier(CLK_LOCAL_MEM_FENCE);
  for (k0 = 0; k0 < nk; k0 += ATT_WG) {
    const int nt = nk - k0 < ATT_WG ? nk - k0 : ATT_WG;
    if (lid < nt) {   /* scores of key k0 + lid against every query */
      __global const float *kr = kc + kco + (base + k0 + lid) * hd;
      float a[ATT_QB];
      for (qi = 0; qi < ATT_QB; qi++) a[qi] = 0.0f;
      for (d = 0; d < hd; d++) {
        const float kd = kr[d];
        for (qi = 0; qi < nq; qi++) a[qi] += q[qi][d] * kd;
      }
      for (qi = 0; qi < nq; qi++) sc[qi][lid] = a[qi];
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < nq) {   /* running max; the factor that rescales what came before */
      float mt = sc[lid][0], mnew;
      for (j = 1; j < nt; j++) mt = fmax(mt, sc[lid][j]);
      mnew = fmax(mrow[lid], mt);
      corr[lid] = exp(mrow[lid] - mnew);   /* 0 on the first tile */
      mrow[lid] = mnew;
    }
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < nt)
      for (qi = 0; qi < nq; qi++) sc[qi][lid] = exp(sc[qi][lid] - mrow[qi]);
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < nq) {
      float sum = 0.0f;
      for (j = 0; j < nt; j++) sum += sc[lid][j];
      lrow[lid] = lrow[lid] * corr[lid] + sum;
    }
    for (i = 0; i * ATT_WG + lid < ATT_QB * hd; i++) {   /* outputs (query, channel) */
      const int o = i * ATT_WG + lid;
      qi = o / hd;
      d = o % hd;
      if (qi < nq) {
        __global const float *vr = vc + vco + (base + k0) * hd + d;
        /* four partial sums: independent chains (PoCL runs this loop scalar per item) */
        float a0 = 0.0f, a1 = 0.0f, a2 = 0.0f, a3 = 0.0f;
        for (j = 0; j + 4 <= nt; j += 4) {
          a0 += sc[qi][j] * vr[(size_t)j * hd];
          a1 += sc[qi][j + 1] * vr[(size_t)(j + 1) * hd];
          a2 += sc[qi][j + 2] * vr[(size_t)(j + 2) * hd];
          a3 += sc[qi][j + 3] * vr[(size_t)(j + 3) * hd];
        }
        for (; j < nt; j++) a0 += sc[qi][j] * vr[(size_t)j * hd];
        acc[i] = acc[i] * corr[qi] + ((a0 + a1) + (a2 + a3));
      }
    }
    barrier(CLK_LOCAL_MEM_FENCE);
  }
  for (i = 0; i * ATT_WG + lid < ATT_QB * hd; i++) {
    const int o = i * ATT_WG + lid;
    qi = o / hd;
    d = o % hd;
    if (qi < nq) out[oo + ((size_t)g * T + t0 + qi) * C + (size_t)h * hd + d] = acc[i] / lrow[qi];
  }
}

/* sample.cl -- classifier-free guidance, top-k/top-p filtering + sampling and
 * the Gumbel mixture of more_smooth, matching core/src/cpu_sample.c: same
 * filter rule, same sums in the same order (in double where the device has
 * it), same Philox numbers.  The parts whose result depends on summation order
 * run on one item of the work-group; the rest (max, sort, exp) is parallel. */

__kernel void cfg_combine(int n, float t, __global const float *logits, int lo, int n_half, __global float *out, int oo)
{
  int i = get_global_id(0);
  float a = 1.0f + t, ca, ut;
  if (i >= n) return;
  ca = a * logits[lo + i];
  ut = t * logits[lo + n_half + i];
  out[oo + i] = ca - ut;
}

/* Order-preserving map of floats (no NaN) to unsigned keys; -0 and +0 share
 * one key so that ties are broken by index, as the CPU's qsort does. */
inline uint float_key(float f)
{
  uint u;
  if (f == 0.0f) f = 0.0f;
  u = as_uint(f);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

inline float key_float(uint k) { return as_float((k & 0x80000000u) ? (k & 0x7fffffffu) : ~k); }

/* One work-group per row r = row0 + group.  Scratch per group: sb[Vp] (key,
 * index) pairs, w[Vp] acc_t.  A row with NaN or +inf (or only -inf) records the
 * smallest such row in *status and gets index 0. */
__kernel void sample_rows(int V, int Vp, __global float *logits, int lo, int row0, int top_k, int use_top_p, float cut,
                          int rows_per_item, __global const ulong *seeds, int scale, __global int *idx, int io,
                          __global uint2 *sortb, __global acc_t *wb, __global int *status)
{
  __local float redf[VAR_WG];
  __local int redi[VAR_WG];
  __local int cut_at;
  const int lid = get_local_id(0), g = get_group_id(0), r = row0 + g;
  __global float *x = logits + lo + (size_t)r * V;
  __global uint2 *sb = sortb + (size_t)g * Vp;
  __global acc_t *w = wb + (size_t)g * Vp;
  float mx = -INFINITY;
  int bad = 0, v, i;
  for (v = lid; v < V; v += VAR_WG) {
    float f = x[v];
    if (isnan(f) || f == INFINITY) bad = 1;
    mx = fmax(mx, f);
  }
  mx = wg_max(mx, redf);
  bad = wg_sum_int(bad, redi);
  if (bad || mx == -INFINITY) {
    if (lid == 0) {
      atomic_min(status, r);
      idx[io + r] = 0;
    }
    return;
  }
  if ((top_k > 0 && top_k < V) || use_top_p) {
    int s0 = 0, s1, nneg = 0, cutpos, size, stride, t;
    const uint kneg = float_key(-INFINITY);
    for (v = lid; v < Vp; v += VAR_WG) sb[v] = v < V ? (uint2)(float_key(x[v]), (uint)v) : (uint2)(0xffffffffu, 0xffffffffu);
    barrier(CLK_GLOBAL_MEM_FENCE);
    /* bitonic sort, ascending by (key, index) */
    for (size = 2; size <= Vp; size <<= 1)
      for (stride = size >> 1; stride > 0; stride >>= 1) {
        for (t = lid; t < Vp / 2; t += VAR_WG) {
          int a = 2 * t - (t & (stride - 1)), b = a + stride;
          uint2 ea = sb[a], eb = sb[b];
          int gt = ea.x > eb.x || (ea.x == eb.x && ea.y > eb.y);
          if (gt == ((a & size) == 0)) {
            sb[a] = eb;
            sb[b] = ea;
          }
        }
        barrier(CLK_GLOBAL_MEM_FENCE);
      }
    /* top-k: entries below the k-th largest go; ties with it stay */
    if (top_k > 0 && top_k < V) {
      const uint thr = sb[V - top_k].x;
      int below = 0;
      for (i = lid; i < V; i += VAR_WG) below += sb[i].x < thr;
      s0 = wg_sum_int(below, redi);
    }
    for (i = lid; i < V; i += VAR_WG) nneg += sb[i].x == kneg;
    nneg = wg_sum_int(nneg, redi);
    s1 = max(s0, nneg);   /* survivors of top-k: sorted positions [s1, V) */
    cutpos = s0;
    if (use_top_p && V - s1 >= 2) {
      const acc_t m = (acc_t)key_float(sb[V - 1].x);
      for (i = s1 + lid; i < V; i += VAR_WG) w[i] = ACC_EXP((acc_t)key_float(sb[i].x) - m);
      barrier(CLK_GLOBAL_MEM_FENCE);
      if (lid == 0) {
        acc_t total = 0, cum = 0;
        for (i = s1; i < V; i++) total += w[i];
        /* ascending cumulative softmax; entries whose cumsum <= 1 - top_p go,
         * never the largest */
        for (i = s1; i < V - 1; i++) {
          float p = (float)(w[i] / total);
          cum += p;
          if ((float)cum > cut) break;
        }
        cut_at = i;
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      cutpos = cut_at;
    }
    for (i = lid; i < cutpos; i += VAR_WG) x[sb[i].y] = -INFINITY;
    barrier(CLK_GLOBAL_MEM_FENCE);
  }
  /* the draw: first v whose running sum of exp(x_v - max) exceeds u * total */
  for (v = lid; v < V; v += VAR_WG) {
    float f = x[v];
    w[v] = f == -INFINITY ? (acc_t)0 : ACC_EXP((acc_t)f - (acc_t)mx);
  }
  barrier(CLK_GLOBAL_MEM_FENCE);
  if (lid == 0) {
    const ulong seed = seeds[r / rows_per_item];
    const ulong ctr = rng_counter(scale, r % rows_per_item);
    acc_t total = 0, cum = 0, target;
    int pick = -1, last = 0;
    for (v = 0; v < V; v++)
      if (x[v] != -INFINITY) total += w[v];
    target = (acc_t)rng_uniform(seed, ctr, 0) * total;
    for (v = 0; v < V; v++) {
      if (x[v] == -INFINITY) continue;
      cum += w[v];
      last = v;
      if (cum > target) {
        pick = v;
        break;
      }
    }
    idx[io + r] = pick >= 0 ? pick : last;   /* rounding can leave target == total */
  }
}

/* more_smooth: out[r, :] = softmax((x * mul + G) / tau) . codebook, Gumbel
 * noise from words V .. 2V-1 of the row's stream.  One work-group per row;
 * scratch w[V] acc_t per group. */
__kernel void gumbel_mix(int V, int cv, __global const float *logits, int lo, int row0, float mul, float tau,
                         int rows_per_item, __global const ulong *seeds, int scale, __global const float *cb, int cbo,
                         __global float *out, int oo, __global acc_t *wb)
{
  __local float redf[VAR_WG];
  __local acc_t total_l;
  const int lid = get_local_id(0), g = get_group_id(0), r = row0 + g;
  __global const float *x = logits + lo + (size_t)r * V;
  __global acc_t *w = wb + (size_t)g * V;
  const ulong seed = seeds[r / rows_per_item];
  const ulong ctr = rng_counter(scale, r % rows_per_item);
  float mx = -INFINITY;
  int v, k;
  for (v = lid; v < V; v += VAR_WG) {
    float f = x[v], z = -INFINITY;
    if (f != -INFINITY) {
      uint bits = rng_u32(seed, ctr, (uint)(V + v));
      float u = ((float)(bits >> 8) + 0.5f) * (1.0f / 16777216.0f);
      float gn = -log(-log(u));   /* G = -log(E), E = -log(U) ~ Exponential(1) */
      z = (f * mul + gn) / tau;
      mx = fmax(mx, z);
    }
    w[v] = z;
  }
  mx = wg_max(mx, redf);
  for (v = lid; v < V; v += VAR_WG) w[v] = x[v] == -INFINITY ? (acc_t)0 : ACC_EXP(w[v] - (acc_t)mx);
  barrier(CLK_GLOBAL_MEM_FENCE);
  if (lid == 0) {
    acc_t t = 0;
    for (v = 0; v < V; v++)
      if (x[v] != -INFINITY) t += w[v];
    total_l = t;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  for (k = lid; k < cv; k += VAR_WG) {
    acc_t a = 0;
    for (v = 0; v < V; v++)
      if (x[v] != -INFINITY) a += (acc_t)(float)w[v] * cb[cbo + (size_t)v * cv + k];
    out[oo + (size_t)r * cv + k] = (float)(a / total_l);
  }
}

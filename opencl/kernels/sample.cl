/* sample.cl -- classifier-free guidance, top-k/top-p filtering + sampling and
 * the Gumbel mixture of more_smooth, matching core/src/cpu/cpu_sample.c: same
 * filter rule, same sums in the same order (in double where the device has
 * it), same Philox numbers.  The parts whose result depends on summation order
 * run on one item per row; sorting and the Gumbel noise are parallel. */

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

/* sample_keys + bitonic_step sort each row's (key, index) pairs ascending, in
 * scratch sortb[rows][Vp] (Vp = V rounded up to a power of two, padded with
 * keys above every float).  Barrier-free: one launch per sorting-network
 * stage keeps PoCL's compile short (work-group barriers inside loops cost it
 * tens of seconds) and gives a GPU rows x Vp/2 independent items per stage. */
__kernel void sample_keys(int V, int Vp, int rows, __global const float *logits, int lo, int row0,
                          __global uint2 *sortb)
{
  int v = get_global_id(0), g = get_global_id(1);
  if (v >= Vp || g >= rows) return;
  sortb[(size_t)g * Vp + v] =
      v < V ? (uint2)(float_key(logits[lo + (size_t)(row0 + g) * V + v]), (uint)v) : (uint2)(0xffffffffu, 0xffffffffu);
}

__kernel void bitonic_step(int Vp, int rows, int size, int stride, __global uint2 *sortb)
{
  int t = get_global_id(0), g = get_global_id(1), a, b;
  __global uint2 *sb;
  uint2 ea, eb;
  if (t >= Vp / 2 || g >= rows) return;
  sb = sortb + (size_t)g * Vp;
  a = 2 * t - (t & (stride - 1));
  b = a + stride;
  ea = sb[a];
  eb = sb[b];
  if ((ea.x > eb.x || (ea.x == eb.x && ea.y > eb.y)) == ((a & size) == 0)) {
    sb[a] = eb;
    sb[b] = ea;
  }
}

/* First sorted position whose key is >= k. */
inline int lower_bound(__global const uint2 *sb, int n, uint k)
{
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (sb[mid].x < k) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/* One item per row r = row0 + g: the filters (on the sorted row, when
 * `sorted`) and the draw, with the CPU's sums in the CPU's order.  A row with
 * NaN or +inf (or only -inf) records the smallest such row in *status and gets
 * index 0. */
__kernel void sample_select(int V, int Vp, int rows, __global float *logits, int lo, int row0, int sorted, int top_k,
                            int use_top_p, float cut, int rows_per_item, __global const ulong *seeds, int scale,
                            __global int *idx, int io, __global const uint2 *sortb, __global int *status)
{
  const int g = get_global_id(0), r = row0 + g;
  __global float *x;
  __global const uint2 *sb;
  float mx = -INFINITY;
  int bad = 0, v, i;
  acc_t total = 0, cum = 0, target;
  int pick = -1, last = 0;
  if (g >= rows) return;
  x = logits + lo + (size_t)r * V;
  sb = sortb + (size_t)g * Vp;
  for (v = 0; v < V; v++) {
    float f = x[v];
    if (isnan(f) || f == INFINITY) bad = 1;
    else if (f > mx) mx = f;
  }
  if (bad || mx == -INFINITY) {
    atomic_min(status, r);
    idx[io + r] = 0;
    return;
  }
  if (sorted) {
    /* top-k: entries below the k-th largest go (ties with it stay): sorted
     * positions [0, s0).  The -inf entries are the first nneg positions. */
    const int s0 = top_k > 0 && top_k < V ? lower_bound(sb, V, sb[V - top_k].x) : 0;
    const int nneg = lower_bound(sb, V, float_key(-INFINITY) + 1u);
    const int s1 = max(s0, nneg);   /* survivors of top-k: [s1, V) */
    int cutpos = s0;
    if (use_top_p && V - s1 >= 2) {
      /* ascending cumulative softmax of the survivors; entries whose cumsum
       * <= 1 - top_p go, never the largest */
      const acc_t m = (acc_t)key_float(sb[V - 1].x);
      acc_t tot = 0, c = 0;
      for (i = s1; i < V; i++) tot += ACC_EXP((acc_t)key_float(sb[i].x) - m);
      for (i = s1; i < V - 1; i++) {
        float p = (float)(ACC_EXP((acc_t)key_float(sb[i].x) - m) / tot);
        c += p;
        if ((float)c > cut) break;
      }
      cutpos = i;
    }
    for (i = 0; i < cutpos; i++) x[sb[i].y] = -INFINITY;
  }
  /* the draw: first v whose running sum of exp(x_v - max) exceeds u * total */
  for (v = 0; v < V; v++)
    if (x[v] != -INFINITY) total += ACC_EXP((acc_t)x[v] - (acc_t)mx);
  target = (acc_t)rng_uniform(seeds[r / rows_per_item], rng_counter(scale, r % rows_per_item), 0) * total;
  for (v = 0; v < V; v++) {
    if (x[v] == -INFINITY) continue;
    cum += ACC_EXP((acc_t)x[v] - (acc_t)mx);
    last = v;
    if (cum > target) {
      pick = v;
      break;
    }
  }
  idx[io + r] = pick >= 0 ? pick : last;   /* rounding can leave target == total */
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

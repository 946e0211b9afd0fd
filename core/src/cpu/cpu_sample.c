/* cpu_sample.c — classifier-free guidance, top-k/top-p filtering and sampling (CPU backend).
 *
 * Filtering follows upstream's sample_with_top_k_top_p_ (docs/algorithm.md §5.1):
 * top-k keeps every entry >= the k-th largest value (ties survive); top-p sorts
 * the survivors ascending, takes softmax and its cumulative sum (accumulated in
 * double and rounded to float, as torch's CPU cumsum does), and removes entries
 * whose cumulative sum is <= 1 - top_p, never the largest.
 *
 * The draw: u = var_rng_uniform(seed, counter, 0) in [0, 1); the chosen index
 * is the first v (in index order) whose running sum of exp(x_v - max) exceeds
 * u * total (both in double); -inf entries have weight 0 and are never chosen.
 * Gumbel noise for more_smooth uses words V .. 2V-1 of the same stream. */
#include "cpu/cpu_ops.h"
#include "rng.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

var_status cpu_cfg_combine(var_backend *be, int rows_half, int V, float t, var_dptr logits, var_dptr out)
{
  const float *c = cpu_f32(logits), *u = c + (size_t)rows_half * V;
  float *o = cpu_f32(out);
  const float a = 1.0f + t;
  size_t i, n = (size_t)rows_half * V;
  (void)be;
  for (i = 0; i < n; i++) {
    float ca = a * c[i], ut = t * u[i];
    o[i] = ca - ut;
  }
  return VAR_OK;
}

typedef struct {
  float v;
  int i;
} entry;

static int entry_cmp(const void *pa, const void *pb)
{
  const entry *a = pa, *b = pb;
  if (a->v < b->v) return -1;
  if (a->v > b->v) return 1;
  return a->i < b->i ? -1 : a->i > b->i;
}

/* k-th largest (k >= 1) of a[0..n), reordering a (Hoare quickselect). */
static float kth_largest(float *a, int n, int k)
{
  int lo = 0, hi = n - 1, target = k - 1;
  while (lo < hi) {
    float pivot = a[lo + (hi - lo) / 2];
    int i = lo, j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        float tmp = a[i];
        a[i] = a[j];
        a[j] = tmp;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else break;
  }
  return a[target];
}

/* Top-k then top-p in place on one row of finite (or -inf) values.
 * scratch: V floats + V entries. */
static void filter_row(float *x, int V, int top_k, float top_p, float *fscratch, entry *es)
{
  int v, n = 0;
  if (top_k > 0 && top_k < V) {
    float thr;
    memcpy(fscratch, x, sizeof(float) * (size_t)V);
    thr = kth_largest(fscratch, V, top_k);
    for (v = 0; v < V; v++)
      if (x[v] < thr) x[v] = -INFINITY;
  }
  if (top_p > 0.0f) {
    const float cut = (float)(1.0 - (double)top_p);
    double mx, total = 0, cum = 0;
    for (v = 0; v < V; v++)
      if (x[v] != -INFINITY) {
        es[n].v = x[v];
        es[n].i = v;
        n++;
      }
    if (n < 2) return;
    qsort(es, (size_t)n, sizeof *es, entry_cmp);
    mx = es[n - 1].v;
    for (v = 0; v < n; v++) total += exp(es[v].v - mx);
    for (v = 0; v < n - 1; v++) {   /* the largest entry always stays */
      float p = (float)(exp(es[v].v - mx) / total);
      cum += p;
      if ((float)cum <= cut) x[es[v].i] = -INFINITY;
    }
  }
}

typedef struct {
  float *logits, *out;
  const float *codebook;
  int32_t *idx;
  int V, cv, top_k, rows_per_item, scale;
  float top_p, ratio, tau;
  const uint64_t *seeds;
  float *fscratch;
  entry *escratch;
  int *bad_row;    /* per thread: a row with a NaN or +inf logit, else -1 */
} sample_job;

static int row_is_finite(const float *x, int V, float *mx)
{
  int v;
  float m = -INFINITY;
  for (v = 0; v < V; v++) {
    if (isnan(x[v]) || x[v] == INFINITY) return 0;
    if (x[v] > m) m = x[v];
  }
  *mx = m;
  return m != -INFINITY;
}

static void sample_range(void *arg, int64_t begin, int64_t end, int thread)
{
  sample_job *j = arg;
  float *fs = j->fscratch + (size_t)thread * j->V;
  entry *es = j->escratch + (size_t)thread * j->V;
  int64_t r;
  for (r = begin; r < end; r++) {
    float *x = j->logits + (size_t)r * j->V, mx;
    const uint64_t seed = j->seeds[r / j->rows_per_item];
    const uint64_t ctr = var_rng_counter(j->scale, (int)(r % j->rows_per_item));
    double total = 0, target, cum = 0;
    int v, pick = -1, last = 0;
    if (!row_is_finite(x, j->V, &mx)) {
      j->bad_row[thread] = (int)r;
      j->idx[r] = 0;
      continue;
    }
    filter_row(x, j->V, j->top_k, j->top_p, fs, es);
    for (v = 0; v < j->V; v++)
      if (x[v] != -INFINITY) total += exp((double)x[v] - mx);
    target = (double)var_rng_uniform(seed, ctr, 0) * total;
    for (v = 0; v < j->V && pick < 0; v++) {
      if (x[v] == -INFINITY) continue;
      cum += exp((double)x[v] - mx);
      last = v;
      if (cum > target) pick = v;
    }
    j->idx[r] = pick >= 0 ? pick : last;   /* rounding can leave target == total */
  }
}

static var_status alloc_scratch(var_backend *be, sample_job *j)
{
  int i, nt = var_pool_size(cpu_pool(be));
  size_t n = var_size_mul((size_t)nt, (size_t)j->V);
  var_status s = var_alloc(be->ctx, var_size_mul(n, sizeof(float)), (void **)&j->fscratch);
  if (s == VAR_OK) s = var_alloc(be->ctx, var_size_mul(n, sizeof(entry)), (void **)&j->escratch);
  if (s == VAR_OK) s = var_alloc(be->ctx, sizeof(int) * (size_t)nt, (void **)&j->bad_row);
  for (i = 0; s == VAR_OK && i < nt; i++) j->bad_row[i] = -1;
  return s;
}

var_status cpu_sample(var_backend *be, int rows, int V, var_dptr logits, int top_k, float top_p, int rows_per_item,
                      const uint64_t *seeds, int scale, var_dptr idx)
{
  sample_job j;
  var_status s;
  if (rows < 0 || V < 1 || rows_per_item < 1 || !seeds || !(top_p <= 1.0f))
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "sample: bad arguments (rows %d, V %d, top_p %g)", rows, V,
                    (double)top_p);
  memset(&j, 0, sizeof j);
  j.logits = cpu_f32(logits);
  j.idx = cpu_i32(idx);
  j.V = V;
  j.top_k = top_k;
  j.top_p = top_p;
  j.rows_per_item = rows_per_item;
  j.seeds = seeds;
  j.scale = scale;
  s = alloc_scratch(be, &j);
  if (s == VAR_OK) {
    int i;
    var_parallel_for(cpu_pool(be), rows, 4, sample_range, &j);
    for (i = 0; i < var_pool_size(cpu_pool(be)); i++)
      if (j.bad_row[i] >= 0) {
        s = var_fail(be->ctx, VAR_ERR_BACKEND,
                     "sample: row %d of the logits is not finite (NaN or +inf: broken weights?)", j.bad_row[i]);
        break;
      }
  }
  var_free(j.fscratch);
  var_free(j.escratch);
  var_free(j.bad_row);
  return s;
}

/* Uniform in (0, 1): the 24-bit draw shifted by half a step, so logs stay finite. */
static inline float open_uniform(uint32_t bits) { return ((float)(bits >> 8) + 0.5f) * (1.0f / 16777216.0f); }

static void gumbel_range(void *arg, int64_t begin, int64_t end, int thread)
{
  sample_job *j = arg;
  float *z = j->fscratch + (size_t)thread * j->V;
  const float mul = 1.0f + j->ratio;
  int64_t r;
  for (r = begin; r < end; r++) {
    const float *x = j->logits + (size_t)r * j->V;
    const uint64_t seed = j->seeds[r / j->rows_per_item];
    const uint64_t ctr = var_rng_counter(j->scale, (int)(r % j->rows_per_item));
    float *o = j->out + (size_t)r * j->cv, mx = -INFINITY;
    uint32_t key[2], c[4], words[4];
    double total = 0;
    int v, k, blk = -1;
    key[0] = (uint32_t)seed;
    key[1] = (uint32_t)(seed >> 32);
    c[0] = (uint32_t)ctr;
    c[1] = (uint32_t)(ctr >> 32);
    c[3] = 0x56415221u;   /* as var_rng_u32 */
    for (v = 0; v < j->V; v++) {
      uint32_t index = (uint32_t)(j->V + v);
      if ((int)(index >> 2) != blk) {
        blk = (int)(index >> 2);
        c[2] = index >> 2;
        var_philox4x32(c, key, words);
      }
      if (x[v] == -INFINITY) {
        z[v] = -INFINITY;
      } else {
        /* G = -log(E), E = -log(U) ~ Exponential(1) (torch's exponential_ then -log) */
        float g = -logf(-logf(open_uniform(words[index & 3])));
        z[v] = (x[v] * mul + g) / j->tau;
        if (z[v] > mx) mx = z[v];
      }
    }
    for (v = 0; v < j->V; v++) {
      double w;
      if (z[v] == -INFINITY) continue;
      w = exp((double)z[v] - mx);
      total += w;
      z[v] = (float)w;
    }
    for (k = 0; k < j->cv; k++) {
      double a = 0;
      for (v = 0; v < j->V; v++)
        if (x[v] != -INFINITY) a += (double)z[v] * j->codebook[(size_t)v * j->cv + k];
      o[k] = (float)(a / total);
    }
  }
}

var_status cpu_gumbel_mix(var_backend *be, int rows, int V, int cv, var_dptr logits, float ratio, float tau,
                          int rows_per_item, const uint64_t *seeds, int scale, var_dptr codebook, var_dptr out)
{
  sample_job j;
  var_status s;
  if (rows < 0 || V < 1 || cv < 1 || rows_per_item < 1 || !seeds || !(tau > 0.0f))
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "gumbel_mix: bad arguments (rows %d, V %d, tau %g)", rows, V,
                    (double)tau);
  memset(&j, 0, sizeof j);
  j.logits = cpu_f32(logits);
  j.out = cpu_f32(out);
  j.codebook = cpu_f32(codebook);
  j.V = V;
  j.cv = cv;
  j.ratio = ratio;
  j.tau = tau;
  j.rows_per_item = rows_per_item;
  j.seeds = seeds;
  j.scale = scale;
  s = var_alloc(be->ctx, var_size_mul3((size_t)var_pool_size(cpu_pool(be)), (size_t)V, sizeof(float)),
                (void **)&j.fscratch);
  if (s != VAR_OK) return s;
  var_parallel_for(cpu_pool(be), rows, 4, gumbel_range, &j);
  var_free(j.fscratch);
  return VAR_OK;
}

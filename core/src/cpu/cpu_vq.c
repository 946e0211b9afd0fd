/* cpu_vq.c — codebook search and code-vector maps (CPU backend).
 *
 * vq_argmin follows upstream's arithmetic: d = (|z|^2 + |e|^2) - 2 z.e, where
 * the dot products come from one SGEMM (alpha -2, beta 1 on the prefilled
 * squared norms, like torch's addmm_), then a first-index argmin per row. */
#include "cpu/cpu_ops.h"

#include <math.h>
#include <string.h>

/* Rows of the distance matrix computed per SGEMM call: bounds the scratch
 * (ROWS x V floats) while giving the GEMM enough work. */
#define VQ_ROWS 256

typedef struct {
  const float *z;        /* [Cv, n] of the current batch item */
  const float *e_sq;
  float *zt;             /* [rows, Cv] */
  float *d;              /* [rows, V] */
  int cv, n, vocab, p0;
  int32_t *idx;          /* [rows] outputs (already offset) */
  float *margin;
} vq_job;

static void vq_prefill(void *arg, int64_t begin, int64_t end, int thread)
{
  const vq_job *j = arg;
  int64_t r;
  int c, v;
  (void)thread;
  for (r = begin; r < end; r++) {
    float *zt = j->zt + (size_t)r * j->cv, *d = j->d + (size_t)r * j->vocab;
    float sq = 0.0f;
    for (c = 0; c < j->cv; c++) {
      zt[c] = j->z[(size_t)c * j->n + j->p0 + r];
      sq += zt[c] * zt[c];
    }
    for (v = 0; v < j->vocab; v++) d[v] = sq + j->e_sq[v];
  }
}

static void vq_rows_argmin(void *arg, int64_t begin, int64_t end, int thread)
{
  const vq_job *j = arg;
  int64_t r;
  int v;
  (void)thread;
  for (r = begin; r < end; r++) {
    const float *d = j->d + (size_t)r * j->vocab;
    float best = d[0], second = INFINITY;
    int bi = 0;
    for (v = 1; v < j->vocab; v++) {
      float x = d[v];
      if (x < best) {
        second = best;
        best = x;
        bi = v;
      } else if (x < second) {
        second = x;
      }
    }
    j->idx[r] = bi;
    if (j->margin) j->margin[r] = second - best;
  }
}

var_status cpu_vq_argmin(var_backend *be, int batch, int cv, int n, int vocab, var_dptr z, var_dptr codebook,
                         var_dptr e_sq, var_dptr idx, var_dptr margin)
{
  var_pool *pool = cpu_pool(be);
  vq_job j;
  float *scratch;
  int rows_max = n < VQ_ROWS ? n : VQ_ROWS, b, p0;
  var_status s;
  if (batch < 0 || cv <= 0 || n < 0 || vocab <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "vq_argmin: bad sizes (B %d, Cv %d, n %d, V %d)", batch, cv,
                    n, vocab);
  if (!batch || !n) return VAR_OK;
  s = var_alloc(be->ctx, var_size_mul3((size_t)rows_max, (size_t)cv + (size_t)vocab, sizeof(float)),
                (void **)&scratch);
  if (s != VAR_OK) return s;
  j.cv = cv;
  j.n = n;
  j.vocab = vocab;
  j.e_sq = cpu_f32(e_sq);
  j.zt = scratch;
  j.d = scratch + (size_t)rows_max * cv;
  for (b = 0; b < batch && s == VAR_OK; b++) {
    j.z = cpu_f32(z) + (size_t)b * cv * n;
    for (p0 = 0; p0 < n && s == VAR_OK; p0 += rows_max) {
      int rows = n - p0 < rows_max ? n - p0 : rows_max;
      j.p0 = p0;
      j.idx = cpu_i32(idx) + (size_t)b * n + p0;
      j.margin = margin.buf ? cpu_f32(margin) + (size_t)b * n + p0 : NULL;
      var_parallel_for(pool, rows, 16, vq_prefill, &j);
      s = var_cpu_sgemm(pool, cpu_avx2(be), 0, 1, rows, vocab, cv, -2.0f, j.zt, cv, cpu_f32(codebook), cv, 1.0f, j.d,
                        vocab);
      if (s == VAR_OK) var_parallel_for(pool, rows, 8, vq_rows_argmin, &j);
    }
  }
  var_free(scratch);
  return s;
}

/* ---- code-vector maps ------------------------------------------------------ */

typedef struct {
  int cv, n, vocab;
  const float *a, *b, *codebook;
  const int32_t *idx;
  float *out;
} map_job;

static void gather_planes(void *arg, int64_t begin, int64_t end, int thread)
{
  const map_job *j = arg;
  int64_t bc;
  int p;
  (void)thread;
  for (bc = begin; bc < end; bc++) {
    const int64_t b = bc / j->cv;
    const int c = (int)(bc % j->cv);
    const int32_t *idx = j->idx + (size_t)b * j->n;
    float *o = j->out + (size_t)bc * j->n;
    for (p = 0; p < j->n; p++) o[p] = j->codebook[(size_t)idx[p] * j->cv + c];
  }
}

var_status cpu_codebook_gather_cm(var_backend *be, int batch, int cv, int n, var_dptr codebook, var_dptr idx,
                                  var_dptr out)
{
  map_job j;
  if (batch < 0 || cv <= 0 || n < 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "codebook_gather_cm: bad sizes");
  j.cv = cv;
  j.n = n;
  j.codebook = cpu_f32(codebook);
  j.idx = cpu_i32(idx);
  j.out = cpu_f32(out);
  var_parallel_for(cpu_pool(be), (int64_t)batch * cv, 1 + 4096 / (n + 1), gather_planes, &j);
  return VAR_OK;
}

static void select_planes(void *arg, int64_t begin, int64_t end, int thread)
{
  const map_job *j = arg;
  int64_t bc;
  int p;
  (void)thread;
  for (bc = begin; bc < end; bc++) {
    const int32_t *flags = j->idx + (size_t)(bc / j->cv) * j->n;
    const float *a = j->a + (size_t)bc * j->n, *b = j->b + (size_t)bc * j->n;
    float *o = j->out + (size_t)bc * j->n;
    for (p = 0; p < j->n; p++) o[p] = flags[p] ? a[p] : b[p];
  }
}

var_status cpu_select_cm(var_backend *be, int batch, int cv, int n, var_dptr flags, var_dptr a, var_dptr b,
                         var_dptr out)
{
  map_job j;
  if (batch < 0 || cv <= 0 || n < 0) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "select_cm: bad sizes");
  j.cv = cv;
  j.n = n;
  j.idx = cpu_i32(flags);
  j.a = cpu_f32(a);
  j.b = cpu_f32(b);
  j.out = cpu_f32(out);
  var_parallel_for(cpu_pool(be), (int64_t)batch * cv, 1 + 4096 / (n + 1), select_planes, &j);
  return VAR_OK;
}

static void transpose_items(void *arg, int64_t begin, int64_t end, int thread)
{
  const map_job *j = arg;
  int64_t b;
  int c, p;
  (void)thread;
  for (b = begin; b < end; b++) {
    const float *in = j->a + (size_t)b * j->cv * j->n;
    float *o = j->out + (size_t)b * j->cv * j->n;
    for (p = 0; p < j->n; p++)
      for (c = 0; c < j->cv; c++) o[(size_t)p * j->cv + c] = in[(size_t)c * j->n + p];
  }
}

var_status cpu_cm_to_tokens(var_backend *be, int batch, int channels, int n, var_dptr in, var_dptr out)
{
  map_job j;
  if (batch < 0 || channels <= 0 || n < 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cm_to_tokens: bad sizes");
  j.cv = channels;
  j.n = n;
  j.a = cpu_f32(in);
  j.out = cpu_f32(out);
  var_parallel_for(cpu_pool(be), batch, 1, transpose_items, &j);
  return VAR_OK;
}

/* cpu_linear_lp.c — products with bfloat16 / float16 / int8 weights (CPU backend).
 *
 * The streaming kernel reads every weight row once per call and widens it to
 * float32 in registers: the first scales of a generation (a few rows against
 * the whole model) are bound by reading the weights, so half or a quarter of
 * the bytes is what makes them faster.  Sums are float32, each output summed
 * by one thread in one fixed order (so results do not depend on the thread
 * count); an int8 row's scale multiplies its finished sum. */
#include "cpu_linear_lp.h"
#include "ckpt.h"
#include "cpu_simd.h"

#include <string.h>

/* Weight rows per task. */
#define LP_ROWS_PER_TASK 16

static inline float lp_act(float v, int act)
{
  if (act == VAR_ACT_GELU_TANH) return var_gelu_tanh(v);
  if (act == VAR_ACT_SILU) return var_silu(v);
  return v;
}

/* Row n, columns [k0, k0 + n) as float32 (without the int8 scale). */
static void lp_row_portable(const var_lp_weights *W, int K, int n, int k0, int cnt, float *out)
{
  int k;
  if (W->type == VAR_DTYPE_BF16) {
    const uint16_t *src = (const uint16_t *)W->w + (size_t)n * K + k0;
    for (k = 0; k < cnt; k++) {
      uint32_t bits = (uint32_t)src[k] << 16;
      memcpy(&out[k], &bits, 4);
    }
  } else if (W->type == VAR_DTYPE_F16) {
    const uint16_t *src = (const uint16_t *)W->w + (size_t)n * K + k0;
    for (k = 0; k < cnt; k++) out[k] = var_half_to_float(src[k]);
  } else {
    const int8_t *src = (const int8_t *)W->w + (size_t)n * K + k0;
    for (k = 0; k < cnt; k++) out[k] = (float)src[k];
  }
}

#if VAR_HAVE_X86_SIMD
/* 8 weights of row `row` (a pointer to its first element) from column k, widened. */
VAR_TARGET_AVX2 static inline __m256 lp_load8(int type, const void *row, int k)
{
  if (type == VAR_DTYPE_BF16) {
    const __m128i h = _mm_loadu_si128((const __m128i *)((const uint16_t *)row + k));
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(h), 16));
  }
  if (type == VAR_DTYPE_F16) return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)((const uint16_t *)row + k)));
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)((const int8_t *)row + k))));
}

static inline const void *lp_row_ptr(const var_lp_weights *W, int K, int n)
{
  return W->type == VAR_DTYPE_I8 ? (const void *)((const int8_t *)W->w + (size_t)n * K)
                                 : (const void *)((const uint16_t *)W->w + (size_t)n * K);
}

/* y[m][n..n+1] for m in [m0, m0 + mb), mb <= 4: two weight rows against up to four
 * input rows, 8 independent sums.  Columns past the last multiple of 8 are added
 * scalar at the end, in column order. */
#define LP_STREAM_BODY(TYPE)                                                                                  \
  do {                                                                                                        \
    for (k = 0; k + 8 <= K; k += 8) {                                                                         \
      const __m256 w0 = lp_load8(TYPE, r0, k), w1 = lp_load8(TYPE, r1, k);                                    \
      for (i = 0; i < mb; i++) {                                                                              \
        const __m256 xv = _mm256_loadu_ps(x[i] + k);                                                          \
        a0[i] = _mm256_fmadd_ps(xv, w0, a0[i]);                                                               \
        a1[i] = _mm256_fmadd_ps(xv, w1, a1[i]);                                                               \
      }                                                                                                       \
    }                                                                                                         \
  } while (0)

VAR_TARGET_AVX2 static void lp_stream_pair(const var_lp_weights *W, int K, int n, int two, const float *X, int m0,
                                           int mb, float out[4][2])
{
  const void *r0 = lp_row_ptr(W, K, n), *r1 = lp_row_ptr(W, K, two ? n + 1 : n);
  const float *x[4];
  __m256 a0[4], a1[4];
  float tail0[8], tail1[8];
  int i, k;
  for (i = 0; i < mb; i++) {
    x[i] = X + (size_t)(m0 + i) * K;
    a0[i] = a1[i] = _mm256_setzero_ps();
  }
  /* one instantiation per type so the widening is not re-decided per load */
  if (W->type == VAR_DTYPE_BF16) LP_STREAM_BODY(VAR_DTYPE_BF16);
  else if (W->type == VAR_DTYPE_F16) LP_STREAM_BODY(VAR_DTYPE_F16);
  else LP_STREAM_BODY(VAR_DTYPE_I8);
  {
    const int kt = K - k;
    if (kt) {
      lp_row_portable(W, K, n, k, kt, tail0);
      lp_row_portable(W, K, two ? n + 1 : n, k, kt, tail1);
    }
    for (i = 0; i < mb; i++) {
      float s0 = var_hsum256(a0[i]), s1 = var_hsum256(a1[i]);
      int t;
      for (t = 0; t < kt; t++) {
        s0 += x[i][k + t] * tail0[t];
        s1 += x[i][k + t] * tail1[t];
      }
      out[i][0] = s0;
      out[i][1] = s1;
    }
  }
}
#undef LP_STREAM_BODY
#endif

typedef struct {
  const float *X, *bias;
  const var_lp_weights *W;
  float *Y;
  float *rowbuf;     /* portable path: one widened row per thread, K floats each */
  int M, N, K, act, simd;
} lp_job;

static void lp_finish(const lp_job *j, int m, int n, float sum)
{
  if (j->W->scale) sum *= j->W->scale[n];
  if (j->bias) sum += j->bias[n];
  j->Y[(size_t)m * j->N + n] = lp_act(sum, j->act);
}

static void lp_stream_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const lp_job *j = arg;
  int64_t t;
  for (t = begin; t < end; t++) {
    const int n0 = (int)t * LP_ROWS_PER_TASK, n1 = n0 + LP_ROWS_PER_TASK < j->N ? n0 + LP_ROWS_PER_TASK : j->N;
    int n, m, k;
#if VAR_HAVE_X86_SIMD
    if (j->simd) {
      for (n = n0; n < n1; n += 2) {
        const int two = n + 1 < n1;
        for (m = 0; m < j->M; m += 4) {
          const int mb = j->M - m < 4 ? j->M - m : 4;
          float out[4][2];
          int i;
          lp_stream_pair(j->W, j->K, n, two, j->X, m, mb, out);
          for (i = 0; i < mb; i++) {
            lp_finish(j, m + i, n, out[i][0]);
            if (two) lp_finish(j, m + i, n + 1, out[i][1]);
          }
        }
      }
      continue;
    }
#endif
    {
      float *w = j->rowbuf + (size_t)thread * j->K;
      for (n = n0; n < n1; n++) {
        lp_row_portable(j->W, j->K, n, 0, j->K, w);
        for (m = 0; m < j->M; m++) {
          const float *x = j->X + (size_t)m * j->K;
          float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
          for (k = 0; k + 4 <= j->K; k += 4) {
            a0 += x[k] * w[k];
            a1 += x[k + 1] * w[k + 1];
            a2 += x[k + 2] * w[k + 2];
            a3 += x[k + 3] * w[k + 3];
          }
          for (; k < j->K; k++) a0 += x[k] * w[k];
          lp_finish(j, m, n, (a0 + a1) + (a2 + a3));
        }
      }
    }
  }
}

var_status var_lp_linear_stream(var_backend *be, int M, int N, int K, const float *X, const var_lp_weights *W,
                                const float *bias, float *Y, int act)
{
  lp_job j;
  var_status s = VAR_OK;
  j.X = X;
  j.W = W;
  j.bias = bias;
  j.Y = Y;
  j.M = M;
  j.N = N;
  j.K = K;
  j.act = act;
  j.simd = var_cpu_simd_level() >= VAR_SIMD_AVX2;
  j.rowbuf = NULL;
  if (!j.simd) s = var_alloc(be->ctx, var_size_mul3((size_t)var_pool_size(cpu_pool(be)), (size_t)K, 4),
                             (void **)&j.rowbuf);
  if (s == VAR_OK)
    var_parallel_for(cpu_pool(be), (N + LP_ROWS_PER_TASK - 1) / LP_ROWS_PER_TASK, 1, lp_stream_tasks, &j);
  var_free(j.rowbuf);
  return s;
}

#if VAR_HAVE_X86_SIMD
VAR_TARGET_AVX2 static void lp_widen_avx2(const var_lp_weights *W, int K, int n, int k0, int cnt, float *out)
{
  const void *row = lp_row_ptr(W, K, n);
  int k = 0;
  if (W->type == VAR_DTYPE_BF16)
    for (; k + 8 <= cnt; k += 8) _mm256_storeu_ps(out + k, lp_load8(VAR_DTYPE_BF16, row, k0 + k));
  else if (W->type == VAR_DTYPE_F16)
    for (; k + 8 <= cnt; k += 8) _mm256_storeu_ps(out + k, lp_load8(VAR_DTYPE_F16, row, k0 + k));
  else
    for (; k + 8 <= cnt; k += 8) _mm256_storeu_ps(out + k, lp_load8(VAR_DTYPE_I8, row, k0 + k));
  if (k < cnt) lp_row_portable(W, K, n, k0 + k, cnt - k, out + k);
}
#endif

void var_lp_pack_panels(const var_lp_weights *W, int K, int n0, int nn, int k0, int kc, int nr, float *wp, int simd)
{
  float row[512];
  int p, r, k, c;
  for (p = 0; p * nr < nn; p++) {
    float *dst = wp + (size_t)p * kc * nr;
    for (r = 0; r < nr; r++) {
      const int n = n0 + p * nr + r;
      if (p * nr + r >= nn) {
        for (k = 0; k < kc; k++) dst[(size_t)k * nr + r] = 0.0f;
        continue;
      }
      for (k = 0; k < kc; k += c) {
        const float sc = W->scale ? W->scale[n] : 1.0f;
        int i;
        c = kc - k < (int)(sizeof row / sizeof row[0]) ? kc - k : (int)(sizeof row / sizeof row[0]);
#if VAR_HAVE_X86_SIMD
        if (simd) {
          /* the same values as the portable widening, 8 at a time */
          lp_widen_avx2(W, K, n, k0 + k, c, row);
        } else
#endif
          lp_row_portable(W, K, n, k0 + k, c, row);
        for (i = 0; i < c; i++) dst[(size_t)(k + i) * nr + r] = row[i] * sc;
      }
    }
  }
  (void)simd;
}


const char *var_lp_kernel_name(int type)
{
  (void)type;
  return var_cpu_simd_level() >= VAR_SIMD_AVX2 ? "avx2+fma+f16c" : "portable";
}

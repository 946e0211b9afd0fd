/* cpu_linear_lp.c — products with bfloat16 / float16 / int8 weights (CPU backend).
 *
 * Two AVX2 (+F16C) kernels, chosen by the caller's few_rows flag (the rows each
 * sequence brings), never by the row count, so that a sequence's results do not
 * depend on its batch or on the guidance half:
 *   - few rows (AdaLN, the first scales): a dot-product kernel that reads each
 *     weight row in place, widens it in registers and keeps 8-lane partial sums
 *     over K.  No packing: these products are bound by reading the weights, and
 *     this is where half or a quarter of the bytes pays;
 *   - otherwise: the blocked kernel of cpu_linear.c, whose per-task packing step
 *     widens the weights here (var_lp_pack_panels) 8 rows x 8 columns at a time,
 *     int8 rows times their scale; it sums like the float32 path.
 * Both sum each output in one fixed order whatever the tasks or threads.  Without
 * AVX2 a portable kernel widens one weight row at a time. */
#include "cpu/cpu_linear_lp.h"
#include "io/ckpt.h"
#include "cpu/cpu_simd.h"

#include <string.h>

/* Weight rows per task. */
#define LP_ROWS_PER_TASK 16

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

#endif

typedef struct {
  const float *X, *bias;
  const var_lp_weights *W;
  float *Y;
  float *rowbuf;     /* one widened row per thread, K floats each */
  int M, N, K, act;
} lp_job;

static void lp_finish(const lp_job *j, int m, int n, float sum)
{
  if (j->W->scale) sum *= j->W->scale[n];
  if (j->bias) sum += j->bias[n];
  j->Y[(size_t)m * j->N + n] = var_lp_act(sum, j->act);
}

#if VAR_HAVE_X86_SIMD
/* The dot-product kernel: a tile of MR input rows x NR weight rows, each output an
 * 8-lane vector of partial sums over the whole of K (lane l takes the columns
 * k = l mod 8), reduced in one fixed order at the end, then the columns past the
 * last multiple of 8 in order.  Weight rows are read in place and widened in
 * registers, no packing; an output's arithmetic depends on nothing but its own
 * row and column, so results do not change with M, tiles or threads. */
#define LP_FMA(i, r) acc[i][r] = _mm256_fmadd_ps(xv[i], wv[r], acc[i][r])
VAR_TARGET_AVX2 static inline __attribute__((always_inline)) void
lp_dot_tile(const int MR, const int NR, const int type, const lp_job *j, int m0, int n0)
{
  const int K = j->K, K8 = K & ~7;
  const float *x[4];
  const void *w[4];
  __m256 acc[4][4], xv[4], wv[4];
  int i, r, k;
#pragma GCC unroll 4
  for (i = 0; i < MR; i++) x[i] = j->X + (size_t)(m0 + i) * K;
#pragma GCC unroll 4
  for (r = 0; r < NR; r++) w[r] = lp_row_ptr(j->W, K, n0 + r);
#pragma GCC unroll 4
  for (i = 0; i < MR; i++)
#pragma GCC unroll 4
    for (r = 0; r < NR; r++) acc[i][r] = _mm256_setzero_ps();
  for (k = 0; k < K8; k += 8) {
#pragma GCC unroll 4
    for (r = 0; r < NR; r++) wv[r] = lp_load8(type, w[r], k);
#pragma GCC unroll 4
    for (i = 0; i < MR; i++) xv[i] = _mm256_loadu_ps(x[i] + k);
#pragma GCC unroll 4
    for (i = 0; i < MR; i++)
#pragma GCC unroll 4
      for (r = 0; r < NR; r++) LP_FMA(i, r);
  }
  for (r = 0; r < NR; r++) {
    float tail[8];
    if (K8 < K) lp_row_portable(j->W, K, n0 + r, K8, K - K8, tail);
    for (i = 0; i < MR; i++) {
      float sum = var_hsum256(acc[i][r]);
      for (k = K8; k < K; k++) sum += x[i][k] * tail[k - K8];
      lp_finish(j, m0 + i, n0 + r, sum);
    }
  }
}
#undef LP_FMA

/* Rows [n0, n1) of W against every input row, in tiles of up to 4 x 3. */
#define LP_TILES(TYPE)                                                                     \
  do {                                                                                     \
    for (m = 0; m < j->M; m += 4) {                                                        \
      const int mr = j->M - m < 4 ? j->M - m : 4;                                          \
      for (n = n0; n < n1; n += 3) {                                                       \
        const int nr = n1 - n < 3 ? n1 - n : 3;                                            \
        if (mr == 4 && nr == 3) lp_dot_tile(4, 3, TYPE, j, m, n);                          \
        else if (mr == 4) {                                                                \
          if (nr == 2) lp_dot_tile(4, 2, TYPE, j, m, n);                                   \
          else lp_dot_tile(4, 1, TYPE, j, m, n);                                           \
        } else if (mr == 3) {                                                              \
          if (nr == 3) lp_dot_tile(3, 3, TYPE, j, m, n);                                   \
          else if (nr == 2) lp_dot_tile(3, 2, TYPE, j, m, n);                              \
          else lp_dot_tile(3, 1, TYPE, j, m, n);                                           \
        } else if (mr == 2) {                                                              \
          if (nr == 3) lp_dot_tile(2, 3, TYPE, j, m, n);                                   \
          else if (nr == 2) lp_dot_tile(2, 2, TYPE, j, m, n);                              \
          else lp_dot_tile(2, 1, TYPE, j, m, n);                                           \
        } else {                                                                           \
          if (nr == 3) lp_dot_tile(1, 3, TYPE, j, m, n);                                   \
          else if (nr == 2) lp_dot_tile(1, 2, TYPE, j, m, n);                              \
          else lp_dot_tile(1, 1, TYPE, j, m, n);                                           \
        }                                                                                  \
      }                                                                                    \
    }                                                                                      \
  } while (0)

VAR_TARGET_AVX2 static void lp_dot_rows(const lp_job *j, int n0, int n1)
{
  int m, n;
  if (j->W->type == VAR_DTYPE_BF16) LP_TILES(VAR_DTYPE_BF16);
  else if (j->W->type == VAR_DTYPE_F16) LP_TILES(VAR_DTYPE_F16);
  else LP_TILES(VAR_DTYPE_I8);
}
#undef LP_TILES

/* Weight rows per task of the dot-product kernel: its rows stay in L1/L2 while
 * every input row passes. */
#define LP_DOT_ROWS 24

static void lp_dot_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const lp_job *j = arg;
  int64_t t;
  (void)thread;
  for (t = begin; t < end; t++) {
    const int n0 = (int)t * LP_DOT_ROWS, n1 = n0 + LP_DOT_ROWS < j->N ? n0 + LP_DOT_ROWS : j->N;
    lp_dot_rows(j, n0, n1);
  }
}
#endif

static void lp_stream_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const lp_job *j = arg;
  int64_t t;
  for (t = begin; t < end; t++) {
    const int n0 = (int)t * LP_ROWS_PER_TASK, n1 = n0 + LP_ROWS_PER_TASK < j->N ? n0 + LP_ROWS_PER_TASK : j->N;
    float *w = j->rowbuf + (size_t)thread * j->K;
    int n, m;
    for (n = n0; n < n1; n++) {
      lp_row_portable(j->W, j->K, n, 0, j->K, w);
      for (m = 0; m < j->M; m++) lp_finish(j, m, n, cpu_dot4(j->X + (size_t)m * j->K, w, j->K));
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
  j.rowbuf = NULL;
#if VAR_HAVE_X86_SIMD
  if (cpu_avx2(be)) {
    var_parallel_for(cpu_pool(be), (N + LP_DOT_ROWS - 1) / LP_DOT_ROWS, 1, lp_dot_tasks, &j);
    return VAR_OK;
  }
#endif
  s = var_alloc(be->ctx, var_size_mul3((size_t)var_pool_size(cpu_pool(be)), (size_t)K, 4),
                             (void **)&j.rowbuf);
  if (s == VAR_OK)
    var_parallel_for(cpu_pool(be), (N + LP_ROWS_PER_TASK - 1) / LP_ROWS_PER_TASK, 1, lp_stream_tasks, &j);
  var_free(j.rowbuf);
  return s;
}


#if VAR_HAVE_X86_SIMD
/* 8 rows x 8 columns of W (rows src[0..7], columns k..k+7), widened and scaled,
 * stored transposed: dst[c * nr + i] = W[row i][k + c]. */
VAR_TARGET_AVX2 static void lp_pack8x8(int type, const void *const *src, const float *sc, int k, float *dst, int nr)
{
  __m256 a[8], t[8], u[8];
  int i;
  for (i = 0; i < 8; i++) {
    a[i] = lp_load8(type, src[i], k);
    if (sc) a[i] = _mm256_mul_ps(a[i], _mm256_set1_ps(sc[i]));
  }
  for (i = 0; i < 8; i += 2) {
    t[i] = _mm256_unpacklo_ps(a[i], a[i + 1]);
    t[i + 1] = _mm256_unpackhi_ps(a[i], a[i + 1]);
  }
  u[0] = _mm256_shuffle_ps(t[0], t[2], 0x44);
  u[1] = _mm256_shuffle_ps(t[0], t[2], 0xEE);
  u[2] = _mm256_shuffle_ps(t[1], t[3], 0x44);
  u[3] = _mm256_shuffle_ps(t[1], t[3], 0xEE);
  u[4] = _mm256_shuffle_ps(t[4], t[6], 0x44);
  u[5] = _mm256_shuffle_ps(t[4], t[6], 0xEE);
  u[6] = _mm256_shuffle_ps(t[5], t[7], 0x44);
  u[7] = _mm256_shuffle_ps(t[5], t[7], 0xEE);
  for (i = 0; i < 4; i++) {
    _mm256_storeu_ps(dst + (size_t)i * nr, _mm256_permute2f128_ps(u[i], u[i + 4], 0x20));
    _mm256_storeu_ps(dst + (size_t)(i + 4) * nr, _mm256_permute2f128_ps(u[i], u[i + 4], 0x31));
  }
}

VAR_TARGET_AVX2 static void lp_pack_avx2(const var_lp_weights *W, int K, int n0, int nn, int k0, int kc, int nr,
                                         float *wp)
{
  int p, r, k, i;
  for (p = 0; p * nr < nn; p++) {
    float *dst = wp + (size_t)p * kc * nr;
    for (r = 0; r < nr; r += 8) {
      const int rows = nn - p * nr - r, n = n0 + p * nr + r;
      const void *src[8];
      k = 0;
      if (rows >= 8) {
        for (i = 0; i < 8; i++) src[i] = lp_row_ptr(W, K, n + i);
        if (W->type == VAR_DTYPE_BF16)
          for (; k + 8 <= kc; k += 8) lp_pack8x8(VAR_DTYPE_BF16, src, NULL, k0 + k, dst + (size_t)k * nr + r, nr);
        else if (W->type == VAR_DTYPE_F16)
          for (; k + 8 <= kc; k += 8) lp_pack8x8(VAR_DTYPE_F16, src, NULL, k0 + k, dst + (size_t)k * nr + r, nr);
        else
          for (; k + 8 <= kc; k += 8) lp_pack8x8(VAR_DTYPE_I8, src, W->scale + n, k0 + k, dst + (size_t)k * nr + r, nr);
      }
      if (k < kc) {   /* tail columns, or a group with missing rows */
        float col[8];
        int c;
        for (i = 0; i < 8; i++) {
          if (i >= rows) {
            for (c = k; c < kc; c++) dst[(size_t)c * nr + r + i] = 0.0f;
            continue;
          }
          for (c = k; c < kc; c += 8) {
            const int cnt = kc - c < 8 ? kc - c : 8, m = 0;
            int q;
            lp_row_portable(W, K, n + i, k0 + c, cnt, col);
            for (q = m; q < cnt; q++)
              dst[(size_t)(c + q) * nr + r + i] = W->scale ? col[q] * W->scale[n + i] : col[q];
          }
        }
      }
    }
  }
}
#endif

void var_lp_pack_panels(const var_lp_weights *W, int K, int n0, int nn, int k0, int kc, int nr, float *wp, int simd)
{
  float row[256];
  int p, r, k, c;
#if VAR_HAVE_X86_SIMD
  if (simd && nr % 8 == 0) {
    lp_pack_avx2(W, K, n0, nn, k0, kc, nr, wp);
    return;
  }
#endif
  (void)simd;
  for (p = 0; p * nr < nn; p++) {
    float *dst = wp + (size_t)p * kc * nr;
    for (r = 0; r < nr; r++) {
      const int n = n0 + p * nr + r;
      if (p * nr + r >= nn) {
        for (k = 0; k < kc; k++) dst[(size_t)k * nr + r] = 0.0f;
        continue;
      }
      for (k = 0; k < kc; k += c) {
        int i;
        c = kc - k < 256 ? kc - k : 256;
        lp_row_portable(W, K, n, k0 + k, c, row);
        for (i = 0; i < c; i++) dst[(size_t)(k + i) * nr + r] = W->scale ? row[i] * W->scale[n] : row[i];
      }
    }
  }
}


const char *var_lp_kernel_name(var_backend *be, int type)
{
  if (!cpu_avx2(be))
    return type == VAR_DTYPE_F32 ? "portable C / SGEMM" : "portable C, one widened row at a time";
  if (type == VAR_DTYPE_F32) return "avx2+fma blocked kernel";
  if (type == VAR_DTYPE_I8 && cpu_tune(be)->int8_vnni)
    return "avx512-vnni int8 x int8 (activations quantised per row), all products";
  if (type == VAR_DTYPE_F16) return "avx2+fma+f16c: dot kernel for few rows, blocked kernel (widened) for more";
  return type == VAR_DTYPE_I8 ? "avx2+fma: dot kernel for few rows, blocked kernel (int8 x scale widened) for more"
                              : "avx2+fma: dot kernel for few rows, blocked kernel (bf16 widened) for more";
}

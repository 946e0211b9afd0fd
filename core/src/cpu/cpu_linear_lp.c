/* cpu_linear_lp.c — products with bfloat16 / float16 / int8 weights (CPU backend).
 *
 * With AVX2 (+F16C) the blocked kernel of cpu_linear.c does every product: its
 * per-task packing step widens the weights here (var_lp_pack_panels), 8 rows x
 * 8 columns at a time in registers, int8 rows times their scale.  So each output
 * is summed in the same fixed order as with float32 weights, whatever the rows,
 * tasks or threads (an image is the same made alone or in a batch, and with or
 * without its guidance half).  Reading half or a quarter of the bytes is what
 * speeds up the first scales, which are bound by reading the weights.
 * Without AVX2 a portable kernel widens one weight row at a time. */
#include "cpu/cpu_linear_lp.h"
#include "io/ckpt.h"
#include "cpu/cpu_simd.h"

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
  j->Y[(size_t)m * j->N + n] = lp_act(sum, j->act);
}

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


const char *var_lp_kernel_name(int type)
{
  if (var_cpu_simd_level() < VAR_SIMD_AVX2)
    return type == VAR_DTYPE_F32 ? "portable C / SGEMM" : "portable C, one widened row at a time";
  if (type == VAR_DTYPE_F32) return "avx2+fma blocked kernel";
  if (type == VAR_DTYPE_F16) return "avx2+fma blocked kernel, f16c widening while packing";
  return type == VAR_DTYPE_I8 ? "avx2+fma blocked kernel, int8 x scale widened while packing"
                              : "avx2+fma blocked kernel, bf16 widened while packing";
}

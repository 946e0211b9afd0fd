/* cpu_linear.c — the linear layer op: Y = act(X W^T + bias) (CPU backend).
 *
 * Large products go to the SGEMM (cpu_gemm.c) followed by one bias/activation
 * pass.  Products with few rows (the first scales of generation: 2 to a few
 * dozen rows against weights of up to 16 M floats) are bound by reading the
 * weights, and a GEMM's packing of those weights would read them twice; they
 * use a kernel that streams every weight row once and forms all the dot
 * products with it.  Each output is summed in a fixed order by one thread. */
#include "cpu_ops.h"
#include "cpu_simd.h"

#include <math.h>

/* Up to this many rows the streaming kernel beats packing the weights. */
#define LIN_SMALL_M 12
/* Weight rows per task of the streaming kernel. */
#define LIN_ROWS_PER_TASK 16

typedef struct {
  const float *X, *W, *bias;
  float *Y;
  int M, N, K, act, simd;
} lin_job;

static inline float act_scalar(float v, int act)
{
  if (act == VAR_ACT_GELU_TANH) return var_gelu_tanh(v);
  if (act == VAR_ACT_SILU) return var_silu(v);
  return v;
}

/* ---- bias and activation after the SGEMM ---------------------------------- */

#if VAR_HAVE_X86_SIMD
/* gelu(x) = 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), with
 * tanh(u) = 1 - 2 / (exp(2u) + 1): within a few 1e-8 of tanhf's result. */
VAR_TARGET_AVX2 static void bias_gelu_avx2(float *y, const float *bias, int n)
{
  const __m256 k0 = _mm256_set1_ps(0.7978845608028654f * 2.0f), k1 = _mm256_set1_ps(0.044715f);
  const __m256 one = _mm256_set1_ps(1.0f), two = _mm256_set1_ps(2.0f), half = _mm256_set1_ps(0.5f);
  int i;
  for (i = 0; i + 8 <= n; i += 8) {
    __m256 x = _mm256_loadu_ps(y + i), x3, e, t;
    if (bias) x = _mm256_add_ps(x, _mm256_loadu_ps(bias + i));
    x3 = _mm256_mul_ps(_mm256_mul_ps(x, x), x);
    e = var_exp256(_mm256_mul_ps(k0, _mm256_fmadd_ps(k1, x3, x)));
    t = _mm256_sub_ps(one, _mm256_div_ps(two, _mm256_add_ps(e, one)));
    _mm256_storeu_ps(y + i, _mm256_mul_ps(_mm256_mul_ps(half, x), _mm256_add_ps(one, t)));
  }
  for (; i < n; i++) y[i] = var_gelu_tanh(bias ? y[i] + bias[i] : y[i]);
}
#endif

static void bias_act_rows(void *arg, int64_t begin, int64_t end, int thread)
{
  const lin_job *j = arg;
  int64_t r;
  int n;
  (void)thread;
  for (r = begin; r < end; r++) {
    float *y = j->Y + (size_t)r * j->N;
#if VAR_HAVE_X86_SIMD
    if (j->simd && j->act == VAR_ACT_GELU_TANH) {
      bias_gelu_avx2(y, j->bias, j->N);
      continue;
    }
#endif
    if (j->bias)
      for (n = 0; n < j->N; n++) y[n] += j->bias[n];
    if (j->act != VAR_ACT_NONE)
      for (n = 0; n < j->N; n++) y[n] = act_scalar(y[n], j->act);
  }
}

/* ---- few rows: stream the weights once -------------------------------------- */

static void small_portable(const lin_job *j, int n0, int n1)
{
  int n, m, k;
  for (n = n0; n < n1; n++) {
    const float *w = j->W + (size_t)n * j->K;
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
      j->Y[(size_t)m * j->N + n] = (a0 + a1) + (a2 + a3);
    }
  }
}

#if VAR_HAVE_X86_SIMD
/* Two weight rows against four input rows per pass: eight 8-lane accumulators. */
VAR_TARGET_AVX2 static void small_avx2(const lin_job *j, int n0, int n1)
{
  const int K = j->K, K8 = K & ~7, M = j->M, N = j->N;
  int n, m, k, i;
  for (n = n0; n < n1; n += 2) {
    const int two = n + 1 < n1;
    const float *w0 = j->W + (size_t)n * K, *w1 = two ? w0 + K : w0;
    for (m = 0; m < M; m += 4) {
      const int mr = M - m < 4 ? M - m : 4;
      const float *x0 = j->X + (size_t)m * K;
      const float *x1 = mr > 1 ? x0 + K : x0, *x2 = mr > 2 ? x0 + 2 * (size_t)K : x0, *x3 = mr > 3 ? x0 + 3 * (size_t)K : x0;
      __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00, a30 = a00, a31 = a00;
      float s[8];
      for (k = 0; k < K8; k += 8) {
        const __m256 v0 = _mm256_loadu_ps(w0 + k), v1 = _mm256_loadu_ps(w1 + k);
        __m256 x = _mm256_loadu_ps(x0 + k);
        a00 = _mm256_fmadd_ps(x, v0, a00);
        a01 = _mm256_fmadd_ps(x, v1, a01);
        x = _mm256_loadu_ps(x1 + k);
        a10 = _mm256_fmadd_ps(x, v0, a10);
        a11 = _mm256_fmadd_ps(x, v1, a11);
        x = _mm256_loadu_ps(x2 + k);
        a20 = _mm256_fmadd_ps(x, v0, a20);
        a21 = _mm256_fmadd_ps(x, v1, a21);
        x = _mm256_loadu_ps(x3 + k);
        a30 = _mm256_fmadd_ps(x, v0, a30);
        a31 = _mm256_fmadd_ps(x, v1, a31);
      }
      s[0] = var_hsum256(a00);
      s[1] = var_hsum256(a01);
      s[2] = var_hsum256(a10);
      s[3] = var_hsum256(a11);
      s[4] = var_hsum256(a20);
      s[5] = var_hsum256(a21);
      s[6] = var_hsum256(a30);
      s[7] = var_hsum256(a31);
      for (; k < K; k++) {
        s[0] += x0[k] * w0[k];
        s[1] += x0[k] * w1[k];
        s[2] += x1[k] * w0[k];
        s[3] += x1[k] * w1[k];
        s[4] += x2[k] * w0[k];
        s[5] += x2[k] * w1[k];
        s[6] += x3[k] * w0[k];
        s[7] += x3[k] * w1[k];
      }
      for (i = 0; i < mr; i++) {
        j->Y[(size_t)(m + i) * N + n] = s[2 * i];
        if (two) j->Y[(size_t)(m + i) * N + n + 1] = s[2 * i + 1];
      }
    }
  }
}
#endif

static void small_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const lin_job *j = arg;
  int64_t t;
  (void)thread;
  for (t = begin; t < end; t++) {
    const int n0 = (int)t * LIN_ROWS_PER_TASK, n1 = n0 + LIN_ROWS_PER_TASK < j->N ? n0 + LIN_ROWS_PER_TASK : j->N;
    int m, n;
#if VAR_HAVE_X86_SIMD
    if (j->simd) small_avx2(j, n0, n1);
    else
#endif
      small_portable(j, n0, n1);
    if (j->bias || j->act != VAR_ACT_NONE)
      for (m = 0; m < j->M; m++)
        for (n = n0; n < n1; n++) {
          float *y = j->Y + (size_t)m * j->N + n;
          *y = act_scalar(j->bias ? *y + j->bias[n] : *y, j->act);
        }
  }
}

var_status cpu_linear(var_backend *be, int M, int N, int K, var_dptr X, var_dptr W, var_dptr bias, var_dptr Y,
                      int act)
{
  lin_job j;
  var_status s;
  if (M <= 0 || N <= 0) return VAR_OK;
  j.X = cpu_f32(X);
  j.W = cpu_f32(W);
  j.bias = cpu_f32(bias);
  j.Y = cpu_f32(Y);
  j.M = M;
  j.N = N;
  j.K = K;
  j.act = act;
  j.simd = var_cpu_simd_level() >= VAR_SIMD_AVX2;
  if (M <= LIN_SMALL_M && K > 0) {
    var_parallel_for(cpu_pool(be), (N + LIN_ROWS_PER_TASK - 1) / LIN_ROWS_PER_TASK, 1, small_tasks, &j);
    return VAR_OK;
  }
  s = var_cpu_sgemm(cpu_pool(be), 0, 1, M, N, K, 1.0f, j.X, K, j.W, K, 0.0f, j.Y, N);
  if (s != VAR_OK || (!bias.buf && act == VAR_ACT_NONE)) return s;
  var_parallel_for(cpu_pool(be), M, 4, bias_act_rows, &j);
  return VAR_OK;
}

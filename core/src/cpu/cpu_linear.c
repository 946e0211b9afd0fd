/* cpu_linear.c — the linear layer op: Y = act(X W^T + bias) (CPU backend).
 *
 * With AVX2, a blocked kernel of our own (weights packed per task, inputs once
 * per call, bias and activation applied as outputs complete) computes every
 * product.  Without it, products with few rows (the first scales of generation:
 * a handful of rows against weights of up to 16 M floats, bound by reading the
 * weights) use a kernel that streams every weight row once, and larger ones the
 * SGEMM (cpu_gemm.c) followed by one bias/activation pass.  Either way each
 * output is summed in a fixed order by one thread. */
#include "cpu/cpu_linear_lp.h"
#include "cpu/cpu_ops.h"
#include "cpu/cpu_simd.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Without AVX2, up to this many rows the streaming kernel beats the SGEMM. */
#define LIN_SMALL_M 12
/* Weight rows per task of the streaming kernel. */
#define LIN_ROWS_PER_TASK 16

typedef struct {
  const float *X, *W, *bias;
  const var_lp_weights *lp;   /* reduced-precision weights instead of W (cpu_linear_lp.h), or NULL */
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
  int n, m;
  for (n = n0; n < n1; n++) {
    const float *w = j->W + (size_t)n * j->K;
    for (m = 0; m < j->M; m++) j->Y[(size_t)m * j->N + n] = cpu_dot4(j->X + (size_t)m * j->K, w, j->K);
  }
}


/* ---- many rows: a blocked AVX2 GEMM that packs only the weights ------------- */

#if VAR_HAVE_X86_SIMD
/* Per task, GK_NC weight rows are packed, GK_KC deep, into panels of GK_NR rows
 * laid out k-major (what the micro-kernel loads as two vectors per k); inputs are
 * read in place, GK_MR rows at a time, as broadcasts.  Every output is summed
 * over k in one order (k blocks in sequence, k inside a block), so the result
 * does not depend on how tasks are spread over threads. */
#define GK_KC 256
#define GK_NC 128
#define GK_MR 6
#define GK_NR 16

typedef struct {
  const lin_job *j;
  float *pack;         /* per thread: GK_NC * GK_KC floats */
  float *xp;           /* the inputs, GK_MR rows at a time, k-major: [M / GK_MR][K][GK_MR] */
} gk_job;

/* Inputs packed once per call and shared by every task: contiguous broadcasts
 * instead of GK_MR streams a row apart (which alias in the L1 cache). */
static void gk_pack_x(void *arg, int64_t begin, int64_t end, int thread)
{
  const gk_job *g = arg;
  const lin_job *j = g->j;
  int64_t t;
  int i, k;
  (void)thread;
  for (t = begin; t < end; t++) {
    float *d = g->xp + (size_t)t * j->K * GK_MR;
    for (i = 0; i < GK_MR; i++) {
      const int m = (int)t * GK_MR + i;
      const float *x = j->X + (size_t)m * j->K;
      if (m < j->M)
        for (k = 0; k < j->K; k++) d[(size_t)k * GK_MR + i] = x[k];
      else
        for (k = 0; k < j->K; k++) d[(size_t)k * GK_MR + i] = 0.0f;
    }
  }
}

/* Packs rows [n0, n0 + nn) x columns [k0, k0 + kc) of W into panels; missing rows are zero. */
VAR_TARGET_AVX2 static void gk_pack(const float *W, int K, int n0, int nn, int k0, int kc, float *wp)
{
  int p, r, k;
  for (p = 0; p * GK_NR < nn; p++) {
    float *dst = wp + (size_t)p * kc * GK_NR;
    for (r = 0; r < GK_NR; r += 8) {
      const int rows = nn - p * GK_NR - r;   /* valid rows of this group of 8 */
      const float *src[8];
      int i;
      for (i = 0; i < 8; i++) src[i] = i < rows ? W + (size_t)(n0 + p * GK_NR + r + i) * K + k0 : NULL;
      for (k = 0; k + 8 <= kc && rows >= 8; k += 8) {
        /* 8 x 8 transpose: rows r..r+7, columns k..k+7 -> dst[k + c][r + i] */
        __m256 a0 = _mm256_loadu_ps(src[0] + k), a1 = _mm256_loadu_ps(src[1] + k), a2 = _mm256_loadu_ps(src[2] + k);
        __m256 a3 = _mm256_loadu_ps(src[3] + k), a4 = _mm256_loadu_ps(src[4] + k), a5 = _mm256_loadu_ps(src[5] + k);
        __m256 a6 = _mm256_loadu_ps(src[6] + k), a7 = _mm256_loadu_ps(src[7] + k);
        __m256 t0 = _mm256_unpacklo_ps(a0, a1), t1 = _mm256_unpackhi_ps(a0, a1), t2 = _mm256_unpacklo_ps(a2, a3);
        __m256 t3 = _mm256_unpackhi_ps(a2, a3), t4 = _mm256_unpacklo_ps(a4, a5), t5 = _mm256_unpackhi_ps(a4, a5);
        __m256 t6 = _mm256_unpacklo_ps(a6, a7), t7 = _mm256_unpackhi_ps(a6, a7);
        __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
        __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
        __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
        __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
        float *d = dst + (size_t)k * GK_NR + r;
        _mm256_storeu_ps(d, _mm256_permute2f128_ps(u0, u4, 0x20));
        _mm256_storeu_ps(d + GK_NR, _mm256_permute2f128_ps(u1, u5, 0x20));
        _mm256_storeu_ps(d + 2 * GK_NR, _mm256_permute2f128_ps(u2, u6, 0x20));
        _mm256_storeu_ps(d + 3 * GK_NR, _mm256_permute2f128_ps(u3, u7, 0x20));
        _mm256_storeu_ps(d + 4 * GK_NR, _mm256_permute2f128_ps(u0, u4, 0x31));
        _mm256_storeu_ps(d + 5 * GK_NR, _mm256_permute2f128_ps(u1, u5, 0x31));
        _mm256_storeu_ps(d + 6 * GK_NR, _mm256_permute2f128_ps(u2, u6, 0x31));
        _mm256_storeu_ps(d + 7 * GK_NR, _mm256_permute2f128_ps(u3, u7, 0x31));
      }
      for (; k < kc; k++)   /* tail columns, or a group with missing rows */
        for (i = 0; i < 8; i++) dst[(size_t)k * GK_NR + r + i] = i < rows ? src[i][k] : 0.0f;
    }
  }
}

/* c[mr][ldc] (+)= xp[kc][GK_MR] (packed inputs, rows mr.. unused) * panel[kc][GK_NR],
 * for a constant mr <= GK_MR (inlined per value, so a tile of fewer rows, such as
 * the 2 of a generation's first scale, does not pay for six).  Each output's sum
 * is the same chain of FMAs whatever mr is. */
#define GK_ROW(i, v0, v1)                                     \
  do {                                                        \
    if (mr > (i)) {                                           \
      const __m256 a = _mm256_broadcast_ss(xk + (i));         \
      v0 = _mm256_fmadd_ps(a, b0, v0);                        \
      v1 = _mm256_fmadd_ps(a, b1, v1);                        \
    }                                                         \
  } while (0)
#define GK_OUT(i, v0, v1)                                                                     \
  do {                                                                                        \
    if (mr > (i)) {                                                                           \
      float *ci = c + (size_t)(i) * ldc;                                                      \
      if (accumulate) {                                                                       \
        v0 = _mm256_add_ps(_mm256_loadu_ps(ci), v0);                                          \
        v1 = _mm256_add_ps(_mm256_loadu_ps(ci + 8), v1);                                      \
      }                                                                                       \
      _mm256_storeu_ps(ci, v0);                                                               \
      _mm256_storeu_ps(ci + 8, v1);                                                           \
    }                                                                                         \
  } while (0)
VAR_TARGET_AVX2 static inline __attribute__((always_inline)) void gk_kernel_mr(const int mr, int kc, const float *xp,
                                                                               const float *wp, float *c, int ldc,
                                                                               int accumulate)
{
  __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
  __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
  int k;
  for (k = 0; k < kc; k++) {
    const __m256 b0 = _mm256_loadu_ps(wp + (size_t)k * GK_NR), b1 = _mm256_loadu_ps(wp + (size_t)k * GK_NR + 8);
    const float *xk = xp + (size_t)k * GK_MR;
    GK_ROW(0, a00, a01);
    GK_ROW(1, a10, a11);
    GK_ROW(2, a20, a21);
    GK_ROW(3, a30, a31);
    GK_ROW(4, a40, a41);
    GK_ROW(5, a50, a51);
  }
  GK_OUT(0, a00, a01);
  GK_OUT(1, a10, a11);
  GK_OUT(2, a20, a21);
  GK_OUT(3, a30, a31);
  GK_OUT(4, a40, a41);
  GK_OUT(5, a50, a51);
}
#undef GK_ROW
#undef GK_OUT

VAR_TARGET_AVX2 static void gk_kernel(int mr, int kc, const float *xp, const float *wp, float *c, int ldc,
                                      int accumulate)
{
  switch (mr) {
  case 1: gk_kernel_mr(1, kc, xp, wp, c, ldc, accumulate); break;
  case 2: gk_kernel_mr(2, kc, xp, wp, c, ldc, accumulate); break;
  case 3: gk_kernel_mr(3, kc, xp, wp, c, ldc, accumulate); break;
  case 4: gk_kernel_mr(4, kc, xp, wp, c, ldc, accumulate); break;
  case 5: gk_kernel_mr(5, kc, xp, wp, c, ldc, accumulate); break;
  default: gk_kernel_mr(GK_MR, kc, xp, wp, c, ldc, accumulate); break;
  }
}

static void gk_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const gk_job *g = arg;
  const lin_job *j = g->j;
  float *wp = g->pack + (size_t)thread * GK_NC * GK_KC;
  float edge[GK_MR * GK_NR];
  int64_t t;
  for (t = begin; t < end; t++) {
    const int n0 = (int)t * GK_NC, nn = j->N - n0 < GK_NC ? j->N - n0 : GK_NC;
    int k0, m, p, i, n;
    for (k0 = 0; k0 < j->K; k0 += GK_KC) {
      const int kc = j->K - k0 < GK_KC ? j->K - k0 : GK_KC, first = k0 == 0, last = k0 + kc >= j->K;
      if (j->lp) var_lp_pack_panels(j->lp, j->K, n0, nn, k0, kc, GK_NR, wp, 1);
      else gk_pack(j->W, j->K, n0, nn, k0, kc, wp);
      for (m = 0; m < j->M; m += GK_MR) {
        const int mr = j->M - m < GK_MR ? j->M - m : GK_MR;
        const float *x = g->xp + ((size_t)(m / GK_MR) * j->K + k0) * GK_MR;
        for (p = 0; p * GK_NR < nn; p++) {
          const int nc = nn - p * GK_NR < GK_NR ? nn - p * GK_NR : GK_NR;
          float *c = j->Y + (size_t)m * j->N + n0 + p * GK_NR;
          if (nc == GK_NR) {
            gk_kernel(mr, kc, x, wp + (size_t)p * kc * GK_NR, c, j->N, !first);
          } else {
            for (i = 0; i < mr; i++)
              for (n = 0; n < nc; n++) edge[i * GK_NR + n] = first ? 0.0f : c[(size_t)i * j->N + n];
            gk_kernel(mr, kc, x, wp + (size_t)p * kc * GK_NR, edge, GK_NR, !first);
            for (i = 0; i < mr; i++)
              for (n = 0; n < nc; n++) c[(size_t)i * j->N + n] = edge[i * GK_NR + n];
          }
          if (last && (j->bias || j->act != VAR_ACT_NONE))   /* finished outputs: bias and activation now */
            for (i = 0; i < mr; i++) {
              float *y = c + (size_t)i * j->N;
              const float *b = j->bias ? j->bias + n0 + p * GK_NR : NULL;
              if (j->act == VAR_ACT_GELU_TANH) {
                bias_gelu_avx2(y, b, nc);
              } else {
                for (n = 0; n < nc; n++) y[n] = act_scalar(b ? y[n] + b[n] : y[n], j->act);
              }
            }
        }
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
    small_portable(j, n0, n1);
    if (j->bias || j->act != VAR_ACT_NONE)
      for (m = 0; m < j->M; m++)
        for (n = n0; n < n1; n++) {
          float *y = j->Y + (size_t)m * j->N + n;
          *y = act_scalar(j->bias ? *y + j->bias[n] : *y, j->act);
        }
  }
}

/* With AVX2 every product goes to our blocked kernel: it sums each output over k
 * in one fixed order whatever the number of rows, the split into tasks or the
 * thread count, so a sequence's results do not depend on what else is in the
 * batch (an image is the same made alone or with others, more_smooth included).
 * It is as fast as OpenBLAS on these shapes.  $VAR_LINEAR=blas selects the
 * fallback path anyway (the tests cover both). */
static int use_own_gemm(var_backend *be, int simd) { return simd && !cpu_tune(be)->linear_blas; }

static var_status linear_any(var_backend *be, int M, int N, int K, var_dptr X, var_dptr W,
                             const var_lp_weights *lp, var_dptr bias, var_dptr Y, int act)
{
  lin_job j;
  var_status s;
  if (M <= 0 || N <= 0) return VAR_OK;
  j.X = cpu_f32(X);
  j.W = lp ? NULL : cpu_f32(W);
  j.lp = lp;
  j.bias = cpu_f32(bias);
  j.Y = cpu_f32(Y);
  j.M = M;
  j.N = N;
  j.K = K;
  j.act = act;
  j.simd = cpu_avx2(be);
  /* reduced precision: the blocked kernel widens panels (cpu_linear_lp.c) */
  if (lp && (!j.simd || K <= 0))
    return var_lp_linear_stream(be, M, N, K, j.X, lp, j.bias, j.Y, act);
#if VAR_HAVE_X86_SIMD
  if ((lp || use_own_gemm(be, j.simd)) && K > 0) {
    gk_job g;
    const int tiles = (M + GK_MR - 1) / GK_MR;
    g.j = &j;
    g.xp = NULL;
    s = var_alloc(be->ctx, var_size_mul3((size_t)var_pool_size(cpu_pool(be)), GK_NC * GK_KC, sizeof(float)),
                  (void **)&g.pack);
    if (s == VAR_OK)
      s = var_alloc(be->ctx, var_size_mul3((size_t)tiles * GK_MR, (size_t)K, sizeof(float)), (void **)&g.xp);
    if (s == VAR_OK) {
      var_parallel_for(cpu_pool(be), tiles, 4, gk_pack_x, &g);
      var_parallel_for(cpu_pool(be), (N + GK_NC - 1) / GK_NC, 1, gk_tasks, &g);
    }
    var_free(g.pack);
    var_free(g.xp);
    return s;
  }
#endif
  if (M <= LIN_SMALL_M && K > 0) {
    var_parallel_for(cpu_pool(be), (N + LIN_ROWS_PER_TASK - 1) / LIN_ROWS_PER_TASK, 1, small_tasks, &j);
    return VAR_OK;
  }
  s = var_cpu_sgemm(cpu_pool(be), j.simd, 0, 1, M, N, K, 1.0f, j.X, K, j.W, K, 0.0f, j.Y, N);
  if (s != VAR_OK || (!bias.buf && act == VAR_ACT_NONE)) return s;
  var_parallel_for(cpu_pool(be), M, 4, bias_act_rows, &j);
  return VAR_OK;
}

var_status cpu_linear(var_backend *be, int M, int N, int K, var_dptr X, var_dptr W, var_dptr bias, var_dptr Y,
                      int act)
{
  return linear_any(be, M, N, K, X, W, NULL, bias, Y, act);
}

var_status cpu_linear_lp(var_backend *be, int M, int N, int K, var_dptr X, int wtype, var_dptr W, var_dptr wscale,
                         var_dptr bias, var_dptr Y, int act, int few_rows)
{
  var_lp_weights lp;
  if (wtype != VAR_DTYPE_BF16 && wtype != VAR_DTYPE_F16 && wtype != VAR_DTYPE_I8)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "linear: weights of type %s", var_dtype_name(wtype));
  if ((wtype == VAR_DTYPE_I8) != (wscale.buf != NULL))
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "linear: row scales go with int8 weights only");
  lp.type = wtype;
  lp.w = (const float *)W.buf->host + W.off;
  lp.scale = cpu_f32(wscale);
  if (wtype == VAR_DTYPE_I8 && cpu_tune(be)->int8_vnni && M > 0 && N > 0 && K > 0)   /* cpu_linear_vnni.c */
    return var_lp_linear_vnni(be, M, N, K, cpu_f32(X), &lp, cpu_f32(bias), cpu_f32(Y), act);
  if (few_rows && M > 0 && N > 0 && K > 0)   /* the dot-product kernel (cpu_linear_lp.c) */
    return var_lp_linear_stream(be, M, N, K, cpu_f32(X), &lp, cpu_f32(bias), cpu_f32(Y), act);
  return linear_any(be, M, N, K, X, W, &lp, bias, Y, act);
}

/* cpu_gemm.c — SGEMM for the CPU backend: CBLAS (OpenBLAS) when the build has
 * it, otherwise a portable cache-blocked kernel.  Both are deterministic: every
 * element of C is summed over k in the same order whatever the thread count. */
#include "cpu/cpu_conv.h"

#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
/* The heap maps and unmaps the 512 KB panel on every call there: os_win32.c keeps it. */
#include "os.h"
#define scratch_alloc var_os_alloc64
#define scratch_free var_os_free64
#else
#define scratch_alloc malloc
#define scratch_free free
#endif

#ifdef VAR_HAVE_CBLAS
#include <cblas.h>
#include <pthread.h>
#endif

#ifndef VAR_HAVE_CBLAS
#define MC 64
#define KC 256
#define NC 512

typedef struct {
  int trans_a, trans_b, M, N, K;
  float alpha;
  const float *A, *B;
  int lda, ldb;
  float *C;
  int ldc;
  int tiles_n;
  int avx2;
} gemm_job;

/* A(i,k) and B(k,j) through the transposition flags. */
static inline float a_at(const gemm_job *j, int i, int k)
{
  return j->trans_a ? j->A[(size_t)k * j->lda + i] : j->A[(size_t)i * j->lda + k];
}
static inline float b_at(const gemm_job *j, int k, int n)
{
  return j->trans_b ? j->B[(size_t)n * j->ldb + k] : j->B[(size_t)k * j->ldb + n];
}

#if VAR_HAVE_X86_SIMD
#include <immintrin.h>

/* c[4 x 16] (rows ldc apart) += sum_k a[r * KC + k] * b[k * NC + 0..15]: the
 * block's sum in registers, then one addition to C. */
VAR_TARGET_AVX2 static void kern_4x16(int kc, const float *a, const float *b, float *c, int ldc)
{
  __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  int k;
  for (k = 0; k < kc; k++, b += NC) {
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 x = _mm256_broadcast_ss(a + k);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + KC + k);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2 * KC + k);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3 * KC + k);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
  }
  _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), c00));
  _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), c01));
  c += ldc;
  _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), c10));
  _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), c11));
  c += ldc;
  _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), c20));
  _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), c21));
  c += ldc;
  _mm256_storeu_ps(c, _mm256_add_ps(_mm256_loadu_ps(c), c30));
  _mm256_storeu_ps(c + 8, _mm256_add_ps(_mm256_loadu_ps(c + 8), c31));
}
#endif

static void gemm_tile(void *arg, int64_t begin, int64_t end, int thread)
{
  const gemm_job *j = arg;
  float *pa = scratch_alloc(sizeof(float) * MC * KC), *pb = scratch_alloc(sizeof(float) * KC * NC);
  int64_t t;
  (void)thread;
  if (!pa || !pb) abort();   /* a few hundred KiB: treated like a stack overflow */
  for (t = begin; t < end; t++) {
    int i0 = (int)(t / j->tiles_n) * MC, n0 = (int)(t % j->tiles_n) * NC;
    int mc = j->M - i0 < MC ? j->M - i0 : MC, nc = j->N - n0 < NC ? j->N - n0 : NC;
    int k0, i, k, n;
    for (k0 = 0; k0 < j->K; k0 += KC) {
      int kc = j->K - k0 < KC ? j->K - k0 : KC;
      for (i = 0; i < mc; i++)
        for (k = 0; k < kc; k++) pa[i * KC + k] = j->alpha * a_at(j, i0 + i, k0 + k);
      for (k = 0; k < kc; k++) {
        if (!j->trans_b)
          memcpy(pb + (size_t)k * NC, j->B + (size_t)(k0 + k) * j->ldb + n0, sizeof(float) * (size_t)nc);
        else
          for (n = 0; n < nc; n++) pb[(size_t)k * NC + n] = b_at(j, k0 + k, n0 + n);
      }
      i = 0;
#if VAR_HAVE_X86_SIMD
      /* whole 4 x 16 blocks with AVX2 + FMA; the rows and columns left over below */
      if (j->avx2 && nc >= 16) {
        const int nb = nc / 16 * 16;
        for (; i + 4 <= mc; i += 4)
          for (n = 0; n < nb; n += 16)
            kern_4x16(kc, pa + i * KC, pb + n, j->C + (size_t)(i0 + i) * j->ldc + n0 + n, j->ldc);
        for (k = 0; k < i; k++) {
          float *c = j->C + (size_t)(i0 + k) * j->ldc + n0;
          const float *ar = pa + k * KC;
          int kk;
          for (n = nb; n < nc; n++) {
            float acc = 0.0f;
            for (kk = 0; kk < kc; kk++) acc += ar[kk] * pb[(size_t)kk * NC + n];
            c[n] += acc;
          }
        }
      }
#endif
      for (; i < mc; i++) {
        float *c = j->C + (size_t)(i0 + i) * j->ldc + n0;
        const float *ar = pa + i * KC;
        for (k = 0; k < kc; k++) {
          const float a = ar[k];
          const float *br = pb + (size_t)k * NC;
          for (n = 0; n < nc; n++) c[n] += a * br[n];
        }
      }
    }
  }
  scratch_free(pa);
  scratch_free(pb);
}
#endif

const char *var_cpu_gemm_name(void)
{
#ifdef VAR_HAVE_CBLAS
  return "cblas";
#else
  return "portable";
#endif
}

#ifdef VAR_HAVE_CBLAS
/* The BLAS runs single-threaded inside our pool: OpenBLAS's own threads spin
 * (sched_yield) between calls and take cores from the pool's other work, and
 * our pool splits every product into chunks of fixed size, so the result does
 * not depend on the thread count. */
static pthread_once_t blas_once = PTHREAD_ONCE_INIT;

static void blas_single_thread(void)
{
#ifdef OPENBLAS_VERSION
  openblas_set_num_threads(1);
#endif
}

void var_cpu_blas_single_thread(void) { pthread_once(&blas_once, blas_single_thread); }

typedef struct {
  int trans_a, trans_b, M, N, K, chunk, split_n;
  float alpha, beta;
  const float *A, *B;
  int lda, ldb;
  float *C;
  int ldc;
} blas_job;

static void blas_chunks(void *arg, int64_t begin, int64_t end, int thread)
{
  const blas_job *j = arg;
  int64_t c;
  (void)thread;
  for (c = begin; c < end; c++) {
    const int o = (int)c * j->chunk;
    if (j->split_n) {
      const int n = j->N - o < j->chunk ? j->N - o : j->chunk;
      cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans, j->trans_b ? CblasTrans : CblasNoTrans, j->M,
                  n, j->K, j->alpha, j->A, j->lda, j->trans_b ? j->B + (size_t)o * j->ldb : j->B + o, j->ldb, j->beta,
                  j->C + o, j->ldc);
    } else {
      const int m = j->M - o < j->chunk ? j->M - o : j->chunk;
      cblas_sgemm(CblasRowMajor, j->trans_a ? CblasTrans : CblasNoTrans, j->trans_b ? CblasTrans : CblasNoTrans, m,
                  j->N, j->K, j->alpha, j->trans_a ? j->A + o : j->A + (size_t)o * j->lda, j->lda, j->B, j->ldb,
                  j->beta, j->C + (size_t)o * j->ldc, j->ldc);
    }
  }
}
#endif

var_status var_cpu_sgemm(var_pool *pool, int avx2, int trans_a, int trans_b, int M, int N, int K, float alpha,
                         const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc)
{
  int i, n;
  if (M <= 0 || N <= 0) return VAR_OK;
#ifdef VAR_HAVE_CBLAS
  if (K <= 0) {
    for (i = 0; i < M; i++)
      for (n = 0; n < N; n++) C[(size_t)i * ldc + n] = beta == 0.0f ? 0.0f : beta * C[(size_t)i * ldc + n];
    return VAR_OK;
  }
  var_cpu_blas_single_thread();
  {
    /* chunks of 256-512 columns (or 64 rows when the product is narrow): enough work
     * per call to amortise the BLAS's packing, enough calls to share out */
    blas_job j;
    int64_t chunks;
    j.trans_a = trans_a;
    j.trans_b = trans_b;
    j.M = M;
    j.N = N;
    j.K = K;
    j.alpha = alpha;
    j.beta = beta;
    j.A = A;
    j.B = B;
    j.lda = lda;
    j.ldb = ldb;
    j.C = C;
    j.ldc = ldc;
    /* split the longer side unless that gives fewer than 4 chunks (a 640 x 256
     * product at 16 x 16 pixels is one chunk of columns, which left one thread idle) */
    j.split_n = N >= 1024 || (M < 256 && (N >= 256 || N >= M));
    j.chunk = j.split_n ? (N >= 4096 ? 512 : 256) : 64;
    chunks = ((j.split_n ? N : M) + j.chunk - 1) / j.chunk;
    var_parallel_for(pool, chunks, 1, blas_chunks, &j);
  }
  return VAR_OK;
#else
  {
    gemm_job j;
    for (i = 0; i < M; i++) {
      float *c = C + (size_t)i * ldc;
      if (beta == 0.0f)
        memset(c, 0, sizeof(float) * (size_t)N);
      else if (beta != 1.0f)
        for (n = 0; n < N; n++) c[n] *= beta;
    }
    if (K <= 0) return VAR_OK;
    j.trans_a = trans_a;
    j.trans_b = trans_b;
    j.M = M;
    j.N = N;
    j.K = K;
    j.alpha = alpha;
    j.A = A;
    j.B = B;
    j.lda = lda;
    j.ldb = ldb;
    j.C = C;
    j.ldc = ldc;
    j.tiles_n = (N + NC - 1) / NC;
#if VAR_HAVE_X86_SIMD
    j.avx2 = avx2;
#else
    j.avx2 = 0;
    (void)avx2;
#endif
    var_parallel_for(pool, (int64_t)((M + MC - 1) / MC) * j.tiles_n, 1, gemm_tile, &j);
    return VAR_OK;
  }
#endif
}

var_status cpu_gemm(var_backend *be, int trans_a, int trans_b, int M, int N, int K, float alpha, var_dptr A,
                    int lda, var_dptr B, int ldb, float beta, var_dptr C, int ldc)
{
  return var_cpu_sgemm(cpu_pool(be), cpu_avx2(be), trans_a, trans_b, M, N, K, alpha, cpu_f32(A), lda, cpu_f32(B), ldb,
                       beta, cpu_f32(C), ldc);
}

/* cpu_gemm.c — SGEMM for the CPU backend: CBLAS (OpenBLAS) when the build has
 * it, otherwise a portable cache-blocked kernel.  Both are deterministic: every
 * element of C is summed over k in the same order whatever the thread count. */
#include "cpu/cpu_conv.h"
#include "internal.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#ifdef _WIN32
/* The packing panels (kept per thread below) come from os_win32.c there. */
#include "os.h"
#define scratch_alloc var_os_alloc64
#define scratch_free var_os_free64
#else
#define scratch_alloc malloc
#define scratch_free free
#endif

#ifdef VAR_HAVE_CBLAS
#include <cblas.h>
#if defined(__unix__) || defined(__APPLE__)
#include <sys/mman.h>
#endif
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
  int failed;           /* a thread had no packing buffers (atomic) */
} gemm_job;

#define PACK_FLOATS (MC * KC + KC * NC)

/* Packing buffers, one pair per thread, made on a thread's first product and
 * kept until it ends: no allocation per call, and a failure is reported as
 * VAR_ERR_NO_MEMORY by the product that met it. */
static pthread_key_t pack_key;
static pthread_once_t pack_once = PTHREAD_ONCE_INIT;
static int pack_key_ok;

static void pack_free(void *p) { scratch_free(p); }
static void pack_init(void) { pack_key_ok = pthread_key_create(&pack_key, pack_free) == 0; }

static float *pack_buffers(void)
{
  float *p;
  pthread_once(&pack_once, pack_init);
  if (!pack_key_ok) return NULL;
  p = pthread_getspecific(pack_key);
  if (!p) {
    p = scratch_alloc(sizeof(float) * PACK_FLOATS);
    if (p && pthread_setspecific(pack_key, p) != 0) {
      scratch_free(p);
      p = NULL;
    }
  }
  return p;
}

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
  gemm_job *j = arg;
  float *pa = pack_buffers(), *pb = pa + MC * KC;
  int64_t t;
  (void)thread;
  if (!pa) {
    __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    return;
  }
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

/* OpenBLAS takes a buffer of BUFFER_SIZE (128 MiB on x86-64) for a call when
 * all those it holds are in use, and when that allocation fails it retries
 * for ever (upstream issue 5289, fixed after 0.3.29): under a memory limit
 * the process would hang.  How many buffers it holds cannot be asked, so
 * before every call we check, under a lock, that the address space has room
 * for a buffer for this call and for each other call in flight (any of them
 * may still be allocating), plus a margin; if not, the product fails with
 * VAR_ERR_NO_MEMORY instead of entering the BLAS.  The check is one mmap and
 * munmap of pages never touched (as malloc would map them): microseconds, against calls of 10^6 flops
 * and more. */
#define BLAS_BUFFER_BYTES ((size_t)128 << 20)
#define BLAS_MARGIN_BYTES ((size_t)32 << 20)
static pthread_mutex_t blas_mu = PTHREAD_MUTEX_INITIALIZER;
static int blas_in_flight;

static int blas_enter(void)
{
  int ok = 1;
  pthread_mutex_lock(&blas_mu);
#if defined(__unix__) || defined(__APPLE__)
  {
    const size_t bytes = (size_t)(blas_in_flight + 1) * BLAS_BUFFER_BYTES + BLAS_MARGIN_BYTES;
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) ok = 0;
    else munmap(p, bytes);
  }
#endif
  if (ok) blas_in_flight++;
  pthread_mutex_unlock(&blas_mu);
  return ok;
}

static void blas_leave(void)
{
  pthread_mutex_lock(&blas_mu);
  blas_in_flight--;
  pthread_mutex_unlock(&blas_mu);
}

int var_cpu_blas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc)
{
  if (!blas_enter()) return -1;
  cblas_sgemm(CblasRowMajor, trans_a ? CblasTrans : CblasNoTrans, trans_b ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, lda, B, ldb, beta, C, ldc);
  blas_leave();
  return 0;
}

typedef struct {
  int failed;           /* the BLAS could not be entered (atomic) */
  int trans_a, trans_b, M, N, K, chunk, split_n;
  float alpha, beta;
  const float *A, *B;
  int lda, ldb;
  float *C;
  int ldc;
} blas_job;

static void blas_chunks(void *arg, int64_t begin, int64_t end, int thread)
{
  blas_job *j = arg;
  int64_t c;
  (void)thread;
  for (c = begin; c < end && !__atomic_load_n(&j->failed, __ATOMIC_RELAXED); c++) {
    const int o = (int)c * j->chunk;
    if (j->split_n) {
      const int n = j->N - o < j->chunk ? j->N - o : j->chunk;
      if (var_cpu_blas_sgemm(j->trans_a, j->trans_b, j->M, n, j->K, j->alpha, j->A, j->lda,
                             j->trans_b ? j->B + (size_t)o * j->ldb : j->B + o, j->ldb, j->beta, j->C + o, j->ldc))
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
    } else {
      const int m = j->M - o < j->chunk ? j->M - o : j->chunk;
      if (var_cpu_blas_sgemm(j->trans_a, j->trans_b, m, j->N, j->K, j->alpha,
                             j->trans_a ? j->A + o : j->A + (size_t)o * j->lda, j->lda, j->B, j->ldb, j->beta,
                             j->C + (size_t)o * j->ldc, j->ldc))
        __atomic_store_n(&j->failed, 1, __ATOMIC_RELAXED);
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
    j.failed = 0;
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
    if (j.failed)
      return var_fail(var_pool_owner(pool), VAR_ERR_NO_MEMORY,
                      "out of memory: no room in the address space for the BLAS's 128 MiB buffers");
  }
  return VAR_OK;
#else
  {
    gemm_job j;
    j.failed = 0;
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
    if (j.failed)
      return var_fail(var_pool_owner(pool), VAR_ERR_NO_MEMORY,
                      "out of memory allocating %zu bytes for the SGEMM's packing buffers",
                      sizeof(float) * PACK_FLOATS);
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

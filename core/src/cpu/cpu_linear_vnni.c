/* cpu_linear_vnni.c — int8 weights x int8 activations with AVX-512 VNNI (vpdpbusd).
 *
 * Each input row is quantised on the fly, symmetric per row: sx = max|x| / 127,
 * q = round(x / sx), stored as u = q + 128 (vpdpbusd multiplies unsigned by
 * signed bytes).  A task packs 16 weight rows at a time as [K/4][16][4] bytes
 * (one zmm per 4 columns of 16 rows) with their sums s[n] = sum_k w[n][k]; then
 * y[m][n] = sx[m] * scale[n] * (sum_k u[m][k] w[n][k] - 128 s[n]) + bias.
 * The integer sums are exact, so the result depends on nothing but the row and
 * the weights: not on M, tiles or threads. */
#include "cpu/cpu_linear_lp.h"
#include "cpu/cpu_simd.h"

#include <math.h>
#include <string.h>

#if VAR_HAVE_X86_SIMD
#define VAR_TARGET_VNNI __attribute__((target("avx2,fma,f16c,avx512f,avx512bw,avx512vnni")))

int var_lp_vnni_available(void)
{
  static int cached = -1;
  int v = __atomic_load_n(&cached, __ATOMIC_RELAXED);
  if (v < 0) {
    __builtin_cpu_init();
    v = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
        __builtin_cpu_supports("avx512vnni");
    __atomic_store_n(&cached, v, __ATOMIC_RELAXED);
  }
  return v;
}

#define VN_MR 6     /* input rows per tile */
#define VN_NP 16    /* weight rows per packed panel (one zmm of int32 sums) */
#define VN_ROWS 64  /* weight rows per task */

typedef struct {
  const var_lp_weights *W;
  const float *bias;
  float *Y;
  uint8_t *xu;      /* [M][Kp] */
  float *sx;        /* [M] */
  int8_t *pack;     /* per thread: VN_ROWS * Kp */
  int M, N, K, Kp, act;
} vn_job;

typedef struct {
  vn_job *j;
  const float *X;
} vn_quant;

static void vn_quant_task(void *arg, int64_t begin, int64_t end, int thread)
{
  const vn_quant *q = arg;
  const vn_job *j = q->j;
  int64_t m;
  (void)thread;
  for (m = begin; m < end; m++) {
    const float *x = q->X + (size_t)m * j->K;
    uint8_t *u = j->xu + (size_t)m * j->Kp;
    float amax = 0, inv;
    int k;
    for (k = 0; k < j->K; k++)
      if (fabsf(x[k]) > amax) amax = fabsf(x[k]);
    j->sx[m] = amax > 0 ? amax / 127.0f : 1.0f;
    inv = 1.0f / j->sx[m];
    for (k = 0; k < j->K; k++) {
      int v = (int)nearbyintf(x[k] * inv);
      u[k] = (uint8_t)((v > 127 ? 127 : v < -127 ? -127 : v) + 128);
    }
    for (; k < j->Kp; k++) u[k] = 128;   /* times zero weights */
  }
}

/* 16 rows [n, n + rows) of W into pk[Kp/4][16][4] (4 columns of a row as one
 * 32-bit word); missing rows and columns 0.  Then each row's sum, with vpdpbusd
 * against bytes of 1 over the packed panel. */
VAR_TARGET_VNNI static void vn_pack16(const vn_job *j, int n, int rows, int8_t *pk, int32_t *sums)
{
  const int8_t *W = j->W->w;
  const int k4 = j->K / 4;
  int32_t *pw = (int32_t *)(void *)pk;
  __m512i s = _mm512_setzero_si512();
  const __m512i ones = _mm512_set1_epi8(1);
  int r, k;
  if (rows < VN_NP || (j->K & 3)) memset(pk, 0, (size_t)j->Kp * VN_NP);
  for (r = 0; r < rows; r++) {
    const int8_t *w = W + (size_t)(n + r) * j->K;
    for (k = 0; k < k4; k++) memcpy(&pw[(size_t)k * VN_NP + r], w + 4 * k, 4);
    for (k = 4 * k4; k < j->K; k++) pk[(size_t)(k >> 2) * (VN_NP * 4) + r * 4 + (k & 3)] = w[k];
  }
  for (k = 0; k < j->Kp / 4; k++) s = _mm512_dpbusd_epi32(s, ones, _mm512_loadu_si512((const void *)(pw + (size_t)k * VN_NP)));
  _mm512_storeu_si512((void *)sums, s);
}

VAR_TARGET_VNNI static void vn_tile(const vn_job *j, const int8_t *pk, const int32_t *sums, int m0, int mr, int n0,
                                    int nc)
{
  __m512i acc[VN_MR];
  const int k4 = j->Kp / 4;
  int i, k;
  for (i = 0; i < VN_MR; i++) acc[i] = _mm512_setzero_si512();
  for (k = 0; k < k4; k++) {
    const __m512i w = _mm512_loadu_si512((const void *)(pk + (size_t)k * 64));
#define VN_ROW(ii)                                                                                          \
  if (mr > (ii)) {                                                                                          \
    int32_t xv;                                                                                             \
    memcpy(&xv, j->xu + (size_t)(m0 + (ii)) * j->Kp + (size_t)k * 4, 4);                                  \
    acc[ii] = _mm512_dpbusd_epi32(acc[ii], _mm512_set1_epi32(xv), w);                                       \
  }
    VN_ROW(0) VN_ROW(1) VN_ROW(2) VN_ROW(3) VN_ROW(4) VN_ROW(5)
#undef VN_ROW
  }
  for (i = 0; i < mr; i++) {
    int32_t dot[16];
    int r;
    _mm512_storeu_si512((void *)dot, acc[i]);
    for (r = 0; r < nc; r++) {
      const int n = n0 + r;
      float v = j->sx[m0 + i] * j->W->scale[n] * (float)(dot[r] - 128 * sums[r]);
      if (j->bias) v += j->bias[n];
      j->Y[(size_t)(m0 + i) * j->N + n] = var_lp_act(v, j->act);
    }
  }
}

static void vn_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const vn_job *j = arg;
  int8_t *pk = j->pack + (size_t)thread * j->Kp * VN_NP;
  int64_t t;
  for (t = begin; t < end; t++) {
    const int nb = (int)t * VN_ROWS, ne = nb + VN_ROWS < j->N ? nb + VN_ROWS : j->N;
    int n, m;
    for (n = nb; n < ne; n += VN_NP) {
      int32_t sums[VN_NP];
      const int nc = ne - n < VN_NP ? ne - n : VN_NP;
      vn_pack16(j, n, nc, pk, sums);
      for (m = 0; m < j->M; m += VN_MR) vn_tile(j, pk, sums, m, j->M - m < VN_MR ? j->M - m : VN_MR, n, nc);
    }
  }
}

var_status var_lp_linear_vnni(var_backend *be, int M, int N, int K, const float *X, const var_lp_weights *W,
                              const float *bias, float *Y, int act)
{
  vn_job j;
  vn_quant q;
  var_status s;
  memset(&j, 0, sizeof j);
  j.W = W;
  j.bias = bias;
  j.Y = Y;
  j.M = M;
  j.N = N;
  j.K = K;
  j.Kp = (K + 3) & ~3;
  j.act = act;
  s = var_alloc(be->ctx, var_size_mul((size_t)M, (size_t)j.Kp), (void **)&j.xu);
  if (s == VAR_OK) s = var_alloc(be->ctx, var_size_mul((size_t)M, 4), (void **)&j.sx);
  if (s == VAR_OK)
    s = var_alloc(be->ctx, var_size_mul3((size_t)var_pool_size(cpu_pool(be)), (size_t)j.Kp, VN_NP),
                  (void **)&j.pack);
  if (s == VAR_OK) {
    q.j = &j;
    q.X = X;
    var_parallel_for(cpu_pool(be), M, 4, vn_quant_task, &q);
    var_parallel_for(cpu_pool(be), (N + VN_ROWS - 1) / VN_ROWS, 1, vn_tasks, &j);
  }
  var_free(j.xu);
  var_free(j.sx);
  var_free(j.pack);
  return s;
}
#else
int var_lp_vnni_available(void) { return 0; }
var_status var_lp_linear_vnni(var_backend *be, int M, int N, int K, const float *X, const var_lp_weights *W,
                              const float *bias, float *Y, int act)
{
  (void)M; (void)N; (void)K; (void)X; (void)W; (void)bias; (void)Y; (void)act;
  return var_fail(be->ctx, VAR_ERR_UNSUPPORTED, "no AVX-512 VNNI in this build");
}
#endif

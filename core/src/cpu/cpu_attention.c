/* cpu_attention.c — transformer embeddings, AdaLN modulation and KV-cached attention (CPU backend).
 *
 * Every output row (or attention head) is computed by one thread in a fixed
 * order, so results never depend on the thread count.  The attention kernels
 * have a portable C version and, on x86 with GCC/Clang, an AVX2+FMA version
 * chosen at run time (the build targets baseline x86-64, so the compiler alone
 * would not use those instructions). */
#include "cpu/cpu_ops.h"
#include "cpu/cpu_simd.h"

#include <math.h>
#include <string.h>

/* ---- embeddings and modulation ------------------------------------------- */

var_status cpu_embed_rows(var_backend *be, int rows, int dim, var_dptr table, var_dptr idx, var_dptr out)
{
  const float *t = cpu_f32(table);
  const int32_t *id = cpu_i32(idx);
  float *o = cpu_f32(out);
  int r;
  (void)be;
  for (r = 0; r < rows; r++) memcpy(o + (size_t)r * dim, t + (size_t)id[r] * dim, sizeof(float) * (size_t)dim);
  return VAR_OK;
}

typedef struct {
  float *x, *out;
  const float *rows, *scale, *shift, *y;
  int T, C, rows_per_group, stride;
  float eps;
} row_job;

static void add_rows_range(void *arg, int64_t begin, int64_t end, int thread)
{
  const row_job *j = arg;
  int64_t r;
  int k;
  (void)thread;
  for (r = begin; r < end; r++) {
    float *x = j->x + (size_t)r * j->C;
    const float *a = j->rows + (size_t)(r % j->T) * j->C;
    for (k = 0; k < j->C; k++) x[k] += a[k];
  }
}

var_status cpu_add_rows(var_backend *be, int groups, int T, int C, var_dptr x, var_dptr rows)
{
  row_job j;
  memset(&j, 0, sizeof j);
  j.x = cpu_f32(x);
  j.rows = cpu_f32(rows);
  j.T = T;
  j.C = C;
  var_parallel_for(cpu_pool(be), (int64_t)groups * T, 16, add_rows_range, &j);
  return VAR_OK;
}

/* LayerNorm statistics in double: the result is then as close to exact as the
 * float32 output allows, whatever the width. */
static void ln_modulate_range(void *arg, int64_t begin, int64_t end, int thread)
{
  const row_job *j = arg;
  int64_t r;
  int k;
  (void)thread;
  for (r = begin; r < end; r++) {
    const float *x = j->x + (size_t)r * j->C;
    const size_t g = (size_t)(r / j->rows_per_group) * (size_t)j->stride;
    const float *sc = j->scale + g, *sh = j->shift + g;
    float *o = j->out + (size_t)r * j->C;
    double sum = 0, sq = 0, mean, var, rstd;
    for (k = 0; k < j->C; k++) sum += x[k];
    mean = sum / j->C;
    for (k = 0; k < j->C; k++) {
      double d = x[k] - mean;
      sq += d * d;
    }
    var = sq / j->C;
    rstd = 1.0 / sqrt(var + (double)j->eps);
    for (k = 0; k < j->C; k++) {
      float n = (float)((x[k] - mean) * rstd);
      float m = n * (1.0f + sc[k]);
      o[k] = m + sh[k];
    }
  }
}

var_status cpu_ln_modulate(var_backend *be, int rows, int C, int rows_per_group, float eps, var_dptr x,
                           var_dptr scale, var_dptr shift, int mod_stride, var_dptr out)
{
  row_job j;
  if (rows_per_group < 1) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "ln_modulate: rows_per_group < 1");
  memset(&j, 0, sizeof j);
  j.x = cpu_f32(x);
  j.out = cpu_f32(out);
  j.scale = cpu_f32(scale);
  j.shift = cpu_f32(shift);
  j.C = C;
  j.rows_per_group = rows_per_group;
  j.stride = mod_stride;
  j.eps = eps;
  var_parallel_for(cpu_pool(be), rows, 8, ln_modulate_range, &j);
  return VAR_OK;
}

static void gated_add_range(void *arg, int64_t begin, int64_t end, int thread)
{
  const row_job *j = arg;
  int64_t r;
  int k;
  (void)thread;
  for (r = begin; r < end; r++) {
    float *x = j->x + (size_t)r * j->C;
    const float *y = j->y + (size_t)r * j->C, *g = j->scale + (size_t)(r / j->rows_per_group) * (size_t)j->stride;
    for (k = 0; k < j->C; k++) {
      float gy = g[k] * y[k];   /* the branch output is gated first, as upstream does */
      x[k] = x[k] + gy;
    }
  }
}

var_status cpu_gated_add(var_backend *be, int rows, int C, int rows_per_group, var_dptr x, var_dptr gamma,
                         int gamma_stride, var_dptr y)
{
  row_job j;
  if (rows_per_group < 1) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "gated_add: rows_per_group < 1");
  memset(&j, 0, sizeof j);
  j.x = cpu_f32(x);
  j.y = cpu_f32(y);
  j.scale = cpu_f32(gamma);
  j.C = C;
  j.rows_per_group = rows_per_group;
  j.stride = gamma_stride;
  var_parallel_for(cpu_pool(be), rows, 16, gated_add_range, &j);
  return VAR_OK;
}

/* ---- attention ------------------------------------------------------------ */

/* Query rows are processed in blocks of ATT_QR (the micro-kernels' height) and
 * handed out to threads in chunks of ATT_QCHUNK rows of one (sequence, head). */
#define ATT_QR 6
#define ATT_QCHUNK 60
#define ATT_KPAD 16

typedef struct {
  const float *qkv, *q_bias, *v_bias, *scale_mul;
  float *kc, *vc, *out, *scratch;
  int G, T, C, H, hd, l_max, pos0, nk, nk_pad, chunks, simd;
  size_t scratch_per_thread;
} att_job;

/* (float)log(100), as upstream evaluates torch.log(torch.tensor(100)). */
#define ATT_MAX_SCALE_MUL 4.60517025f

/* out = (in + bias) / max(|in + bias|, 1e-12) * mul (F.normalize, then the head's scale). */
static void l2_normalise_c(const float *in, const float *bias, int n, float mul, float *out)
{
  double sq = 0;
  float norm;
  int d;
  for (d = 0; d < n; d++) {
    float v = bias ? in[d] + bias[d] : in[d];
    out[d] = v;
    sq += (double)v * v;
  }
  norm = (float)sqrt(sq);
  if (norm < 1e-12f) norm = 1e-12f;   /* F.normalize's eps */
  for (d = 0; d < n; d++) out[d] = out[d] / norm * mul;
}

#if VAR_HAVE_X86_SIMD
/* n a multiple of 8; the sum of squares in float over 8 lanes. */
VAR_TARGET_AVX2 static void l2_normalise_avx2(const float *in, const float *bias, int n, float mul, float *out)
{
  __m256 acc = _mm256_setzero_ps(), vs;
  float norm;
  int d;
  for (d = 0; d < n; d += 8) {
    __m256 v = _mm256_loadu_ps(in + d);
    if (bias) v = _mm256_add_ps(v, _mm256_loadu_ps(bias + d));
    _mm256_storeu_ps(out + d, v);
    acc = _mm256_fmadd_ps(v, v, acc);
  }
  norm = sqrtf(var_hsum256(acc));
  if (norm < 1e-12f) norm = 1e-12f;
  vs = _mm256_set1_ps(norm);
  for (d = 0; d < n; d += 8)
    _mm256_storeu_ps(out + d, _mm256_mul_ps(_mm256_div_ps(_mm256_loadu_ps(out + d), vs), _mm256_set1_ps(mul)));
}
#endif

static void l2_normalise(int simd, const float *in, const float *bias, int n, float mul, float *out)
{
#if VAR_HAVE_X86_SIMD
  if (simd) {
    l2_normalise_avx2(in, bias, n, mul, out);
    return;
  }
#endif
  l2_normalise_c(in, bias, n, mul, out);
}

/* Phase 1, one task per (sequence, head): the new keys (normalised) and values
 * (plus v_bias) go to the caches. */
static void att_fill_cache(void *arg, int64_t begin, int64_t end, int thread)
{
  const att_job *j = arg;
  int64_t task;
  int t, d;
  (void)thread;
  for (task = begin; task < end; task++) {
    const int g = (int)(task / j->H), h = (int)(task % j->H);
    const size_t base = ((size_t)g * j->H + h) * j->l_max;
    for (t = 0; t < j->T; t++) {
      const float *row = j->qkv + ((size_t)g * j->T + t) * 3 * j->C + (size_t)h * j->hd;
      float *kd = j->kc + (base + j->pos0 + t) * j->hd, *vd = j->vc + (base + j->pos0 + t) * j->hd;
      const float *vb = j->v_bias + (size_t)h * j->hd;
      l2_normalise(j->simd, row + j->C, NULL, j->hd, 1.0f, kd);
      for (d = 0; d < j->hd; d++) vd[d] = row[2 * j->C + d] + vb[d];
    }
  }
}

/* The attention of ATT_QR query rows is computed in three steps:
 *   s[ATT_QR][lds] = q[ATT_QR][hd] k^T                 (scores, nk columns)
 *   s = exp(s - rowmax), sum[i] = row sums             (unnormalised softmax)
 *   o[ATT_QR][ldo] = s v[nk][hd] / sum                 (weighted values)
 * Dividing the outputs instead of the probabilities saves a pass over s. */
/* The keys are transposed in blocks of ATT_KPAD: kt[k / 16][d][k % 16], so the
 * scores of 16 keys read one contiguous block. */
static inline size_t kt_at(int k, int d, int hd) { return ((size_t)(k / ATT_KPAD) * hd + d) * ATT_KPAD + k % ATT_KPAD; }

static void scores_c(const float *q, int hd, const float *kt, int nk, float *s, int lds)
{
  int i, d, k;
  for (i = 0; i < ATT_QR; i++) {
    float *si = s + (size_t)i * lds;
    for (k = 0; k < nk; k++) {
      float a = 0.0f;
      for (d = 0; d < hd; d++) a += q[(size_t)i * hd + d] * kt[kt_at(k, d, hd)];
      si[k] = a;
    }
  }
}

static void softmax_rows_c(float *s, int lds, int nk, float *sum)
{
  int i, k;
  for (i = 0; i < ATT_QR; i++) {
    float *si = s + (size_t)i * lds, mx = si[0], acc = 0.0f;
    for (k = 1; k < nk; k++) mx = si[k] > mx ? si[k] : mx;
    for (k = 0; k < nk; k++) {
      si[k] = expf(si[k] - mx);
      acc += si[k];
    }
    sum[i] = acc;
  }
}

static void pv_c(const float *p, int lds, int nk, const float *v, int hd, const float *sum, float *o, int ldo)
{
  int i, k, d;
  for (i = 0; i < ATT_QR; i++) {
    float *oi = o + (size_t)i * ldo;
    const float *pi = p + (size_t)i * lds;
    for (d = 0; d < hd; d++) oi[d] = 0.0f;
    for (k = 0; k < nk; k++) {
      const float a = pi[k], *vr = v + (size_t)k * hd;
      for (d = 0; d < hd; d++) oi[d] += a * vr[d];
    }
    for (d = 0; d < hd; d++) oi[d] /= sum[i];
  }
}

#if VAR_HAVE_X86_SIMD
/* Six query rows by sixteen keys: twelve accumulators, two key loads and six
 * broadcasts per step.  nk is padded to 16 with zero keys.  (Written out: the
 * compiler keeps named accumulators in registers, an array it may not.) */
#define ATT_FMA2(b, x0, x1, a0, a1) \
  a0 = _mm256_fmadd_ps(b, x0, a0);  \
  a1 = _mm256_fmadd_ps(b, x1, a1)

VAR_TARGET_AVX2 static void scores_avx2(const float *q, int hd, const float *kt, int nk, float *s, int lds)
{
  const float *q0 = q, *q1 = q + hd, *q2 = q + 2 * (size_t)hd, *q3 = q + 3 * (size_t)hd, *q4 = q + 4 * (size_t)hd,
              *q5 = q + 5 * (size_t)hd;
  int k, d;
  for (k = 0; k < nk; k += 16) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    for (d = 0; d < hd; d++) {
      const float *kr = kt + ((size_t)k * hd + (size_t)d * ATT_KPAD);
      const __m256 k0 = _mm256_loadu_ps(kr), k1 = _mm256_loadu_ps(kr + 8);
      __m256 b = _mm256_broadcast_ss(q0 + d);
      ATT_FMA2(b, k0, k1, a00, a01);
      b = _mm256_broadcast_ss(q1 + d);
      ATT_FMA2(b, k0, k1, a10, a11);
      b = _mm256_broadcast_ss(q2 + d);
      ATT_FMA2(b, k0, k1, a20, a21);
      b = _mm256_broadcast_ss(q3 + d);
      ATT_FMA2(b, k0, k1, a30, a31);
      b = _mm256_broadcast_ss(q4 + d);
      ATT_FMA2(b, k0, k1, a40, a41);
      b = _mm256_broadcast_ss(q5 + d);
      ATT_FMA2(b, k0, k1, a50, a51);
    }
    _mm256_storeu_ps(s + k, a00);
    _mm256_storeu_ps(s + k + 8, a01);
    _mm256_storeu_ps(s + (size_t)lds + k, a10);
    _mm256_storeu_ps(s + (size_t)lds + k + 8, a11);
    _mm256_storeu_ps(s + 2 * (size_t)lds + k, a20);
    _mm256_storeu_ps(s + 2 * (size_t)lds + k + 8, a21);
    _mm256_storeu_ps(s + 3 * (size_t)lds + k, a30);
    _mm256_storeu_ps(s + 3 * (size_t)lds + k + 8, a31);
    _mm256_storeu_ps(s + 4 * (size_t)lds + k, a40);
    _mm256_storeu_ps(s + 4 * (size_t)lds + k + 8, a41);
    _mm256_storeu_ps(s + 5 * (size_t)lds + k, a50);
    _mm256_storeu_ps(s + 5 * (size_t)lds + k + 8, a51);
  }
}

VAR_TARGET_AVX2 static void softmax_rows_avx2(float *s, int lds, int nk, float *sum)
{
  int i;
  for (i = 0; i < ATT_QR; i++) sum[i] = var_softmax_exp_avx2(s + (size_t)i * lds, nk);
}

/* Six query rows by sixteen value channels; hd must be a multiple of 16. */
VAR_TARGET_AVX2 static void pv_avx2(const float *p, int lds, int nk, const float *v, int hd, const float *sum,
                                    float *o, int ldo)
{
  const float *p0 = p, *p1 = p + lds, *p2 = p + 2 * (size_t)lds, *p3 = p + 3 * (size_t)lds, *p4 = p + 4 * (size_t)lds,
              *p5 = p + 5 * (size_t)lds;
  int k, d;
  for (d = 0; d < hd; d += 16) {
    __m256 a00 = _mm256_setzero_ps(), a01 = a00, a10 = a00, a11 = a00, a20 = a00, a21 = a00;
    __m256 a30 = a00, a31 = a00, a40 = a00, a41 = a00, a50 = a00, a51 = a00;
    for (k = 0; k < nk; k++) {
      const float *vr = v + (size_t)k * hd + d;
      const __m256 v0 = _mm256_loadu_ps(vr), v1 = _mm256_loadu_ps(vr + 8);
      __m256 b = _mm256_broadcast_ss(p0 + k);
      ATT_FMA2(b, v0, v1, a00, a01);
      b = _mm256_broadcast_ss(p1 + k);
      ATT_FMA2(b, v0, v1, a10, a11);
      b = _mm256_broadcast_ss(p2 + k);
      ATT_FMA2(b, v0, v1, a20, a21);
      b = _mm256_broadcast_ss(p3 + k);
      ATT_FMA2(b, v0, v1, a30, a31);
      b = _mm256_broadcast_ss(p4 + k);
      ATT_FMA2(b, v0, v1, a40, a41);
      b = _mm256_broadcast_ss(p5 + k);
      ATT_FMA2(b, v0, v1, a50, a51);
    }
#define ATT_STORE(i, a0, a1)                                                            \
  do {                                                                                  \
    const __m256 vs = _mm256_set1_ps(sum[i]);                                           \
    _mm256_storeu_ps(o + (size_t)(i) * ldo + d, _mm256_div_ps(a0, vs));                 \
    _mm256_storeu_ps(o + (size_t)(i) * ldo + d + 8, _mm256_div_ps(a1, vs));             \
  } while (0)
    ATT_STORE(0, a00, a01);
    ATT_STORE(1, a10, a11);
    ATT_STORE(2, a20, a21);
    ATT_STORE(3, a30, a31);
    ATT_STORE(4, a40, a41);
    ATT_STORE(5, a50, a51);
#undef ATT_STORE
  }
}
#endif

/* Phase 2, one task per (sequence, head, chunk of queries): normalised queries,
 * scores against every cached key, softmax, weighted values. */
static void att_chunks(void *arg, int64_t begin, int64_t end, int thread)
{
  const att_job *j = arg;
  float *q = j->scratch + (size_t)thread * j->scratch_per_thread;
  float *kt = q + (size_t)ATT_QCHUNK * j->hd, *s = kt + (size_t)j->hd * j->nk_pad;
  float *o = s + (size_t)ATT_QR * j->nk_pad, *sum = o + (size_t)ATT_QR * j->hd;
  int64_t task;
  int cur = -1;
  for (task = begin; task < end; task++) {
    const int gh = (int)(task / j->chunks), g = gh / j->H, h = gh % j->H;
    const int t0 = (int)(task % j->chunks) * ATT_QCHUNK;
    const int nq = j->T - t0 < ATT_QCHUNK ? j->T - t0 : ATT_QCHUNK;
    const int nq_pad = (nq + ATT_QR - 1) / ATT_QR * ATT_QR;
    const size_t base = ((size_t)g * j->H + h) * j->l_max;
    const float *v = j->vc + base * j->hd;
    float sm = j->scale_mul[h];
    int t, d, k, i;
    sm = expf(sm < ATT_MAX_SCALE_MUL ? sm : ATT_MAX_SCALE_MUL);
    if (gh != cur) {   /* keys transposed once per (sequence, head) and thread */
      const float *kc = j->kc + base * j->hd;
      for (k = 0; k < j->nk_pad; k++)
        for (d = 0; d < j->hd; d++) kt[kt_at(k, d, j->hd)] = k < j->nk ? kc[(size_t)k * j->hd + d] : 0.0f;
      cur = gh;
    }
    for (t = 0; t < nq_pad; t++) {
      float *qr = q + (size_t)t * j->hd;
      if (t < nq) {
        const float *row = j->qkv + ((size_t)g * j->T + t0 + t) * 3 * j->C + (size_t)h * j->hd;
        l2_normalise(j->simd, row, j->q_bias + (size_t)h * j->hd, j->hd, sm, qr);
      } else {
        for (d = 0; d < j->hd; d++) qr[d] = 0.0f;
      }
    }
    for (i = 0; i < nq_pad; i += ATT_QR) {
#if VAR_HAVE_X86_SIMD
      if (j->simd) {
        scores_avx2(q + (size_t)i * j->hd, j->hd, kt, j->nk_pad, s, j->nk_pad);
        softmax_rows_avx2(s, j->nk_pad, j->nk, sum);
        pv_avx2(s, j->nk_pad, j->nk, v, j->hd, sum, o, j->hd);
      } else
#endif
      {
        scores_c(q + (size_t)i * j->hd, j->hd, kt, j->nk, s, j->nk_pad);
        softmax_rows_c(s, j->nk_pad, j->nk, sum);
        pv_c(s, j->nk_pad, j->nk, v, j->hd, sum, o, j->hd);
      }
      for (t = i; t < i + ATT_QR && t < nq; t++)
        memcpy(j->out + ((size_t)g * j->T + t0 + t) * j->C + (size_t)h * j->hd, o + (size_t)(t - i) * j->hd,
               sizeof(float) * (size_t)j->hd);
    }
  }
}

var_status cpu_attention_kv(var_backend *be, int G, int T, int C, int H, int l_max, int pos0, var_dptr qkv,
                            var_dptr q_bias, var_dptr v_bias, var_dptr scale_mul, var_dptr kcache,
                            var_dptr vcache, var_dptr out)
{
  att_job j;
  int n_threads = var_pool_size(cpu_pool(be));
  var_status s;
  if (G < 1 || T < 1 || H < 1 || C % H || pos0 < 0 || pos0 > l_max - T)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT,
                    "attention_kv: bad geometry G=%d T=%d C=%d H=%d pos0=%d l_max=%d", G, T, C, H, pos0, l_max);
  memset(&j, 0, sizeof j);
  j.qkv = cpu_f32(qkv);
  j.q_bias = cpu_f32(q_bias);
  j.v_bias = cpu_f32(v_bias);
  j.scale_mul = cpu_f32(scale_mul);
  j.kc = cpu_f32(kcache);
  j.vc = cpu_f32(vcache);
  j.out = cpu_f32(out);
  j.G = G;
  j.T = T;
  j.C = C;
  j.H = H;
  j.hd = C / H;
  j.l_max = l_max;
  j.pos0 = pos0;
  j.nk = pos0 + T;
  j.nk_pad = (j.nk + ATT_KPAD - 1) / ATT_KPAD * ATT_KPAD;
  j.chunks = (T + ATT_QCHUNK - 1) / ATT_QCHUNK;
  j.simd = cpu_avx2(be) && j.hd % 16 == 0;
  j.scratch_per_thread = (size_t)ATT_QCHUNK * j.hd + (size_t)j.hd * j.nk_pad + (size_t)ATT_QR * j.nk_pad +
                         (size_t)ATT_QR * j.hd + ATT_QR + 16;
  s = var_alloc(be->ctx, var_size_mul3(j.scratch_per_thread, (size_t)n_threads, 4), (void **)&j.scratch);
  if (s != VAR_OK) return s;
  var_parallel_for(cpu_pool(be), (int64_t)G * H, 1, att_fill_cache, &j);
  var_parallel_for(cpu_pool(be), (int64_t)G * H * j.chunks, 1, att_chunks, &j);
  var_free(j.scratch);
  return VAR_OK;
}

/* cpu_conv.c — the VQ-VAE's convolution, group norm (+SiLU), nearest x2
 * upsampling and single-head spatial attention (CPU backend).
 *
 * Convolutions are im2col + SGEMM over tiles of output pixels whose size
 * depends only on the layer (bounded scratch memory), or the direct AVX2 kernel
 * of cpu_conv_avx2.c (see conv_direct for which).  Group norm works per (batch, group):
 * one task computes one group's statistics and normalises it.  The attention
 * is two GEMMs around a row softmax, in blocks of queries.  Every output is
 * computed in the same order whatever the number of threads. */
#include "cpu/cpu_conv.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Scratch of one im2col tile, in floats (16 MiB).  Large enough for GEMMs of
 * several hundred columns even at K = 640*9, small enough to stay cache-friendly. */
#define CONV_COL_FLOATS (4u << 20)

/* ---- SiLU ---------------------------------------------------------------- */

#if VAR_HAVE_X86_SIMD
/* y = x * a + b, optionally followed by SiLU y / (1 + exp(-y)), for n values. */
VAR_TARGET_AVX2 static void affine_silu_avx2(const float *x, float *y, size_t n, float a, float b, int silu)
{
  const __m256 va = _mm256_set1_ps(a), vb = _mm256_set1_ps(b), one = _mm256_set1_ps(1.0f);
  const __m256 sign = _mm256_set1_ps(-0.0f);
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_fmadd_ps(_mm256_loadu_ps(x + i), va, vb);
    if (silu) v = _mm256_div_ps(v, _mm256_add_ps(one, var_exp256(_mm256_xor_ps(v, sign))));
    _mm256_storeu_ps(y + i, v);
  }
  for (; i < n; i++) {
    float v = x[i] * a + b;
    y[i] = silu ? v / (1.0f + expf(-v)) : v;
  }
}
#endif

static void affine_silu(int avx2, const float *x, float *y, size_t n, float a, float b, int silu)
{
  size_t i;
#if VAR_HAVE_X86_SIMD
  if (avx2) {
    affine_silu_avx2(x, y, n, a, b, silu);
    return;
  }
#endif
  if (silu)
    for (i = 0; i < n; i++) {
      float v = x[i] * a + b;
      y[i] = v / (1.0f + expf(-v));
    }
  else
    for (i = 0; i < n; i++) y[i] = x[i] * a + b;
}

/* ---- conv2d ---------------------------------------------------------------- */

typedef struct {
  const var_conv_desc *d;
  const float *in;         /* one batch item [c_in, h_in, w_in] */
  float *col;              /* [K, np] */
  int p0, np;              /* output pixels [p0, p0 + np) */
  const float *bias, *residual;
  float *out;              /* one batch item [c_out, h_out * w_out] */
} conv_job;

static void im2col_rows(void *arg, int64_t begin, int64_t end, int thread)
{
  int64_t r;
  (void)thread;
  for (r = begin; r < end; r++) {
    const conv_job *j = arg;
    var_im2col_row(j->d, j->in, (int)r, j->p0, j->np, j->col + (size_t)r * j->np);
  }
}

/* out[co, :] = bias[co] (+ residual[co, :]): the GEMM then accumulates onto it. */
static void prefill_rows(void *arg, int64_t begin, int64_t end, int thread)
{
  const conv_job *j = arg;
  const size_t hw = (size_t)j->d->h_out * j->d->w_out;
  int64_t co;
  size_t p;
  (void)thread;
  for (co = begin; co < end; co++) {
    float *o = j->out + (size_t)co * hw;
    const float b = j->bias ? j->bias[co] : 0.0f;
    if (j->residual) {
      const float *r = j->residual + (size_t)co * hw;
      for (p = 0; p < hw; p++) o[p] = r[p] + b;
    } else {
      for (p = 0; p < hw; p++) o[p] = b;
    }
  }
}

static int conv_tile(const var_conv_desc *d, int K)
{
  const int hw = d->h_out * d->w_out;
  int t = (int)(CONV_COL_FLOATS / (unsigned)K);
  t = t >= 512 ? t / 256 * 256 : t >= 64 ? t / 64 * 64 : 64;
  return t < hw ? t : hw;
}

/* im2col + SGEMM: the fallback without AVX2 (fast when the build has a BLAS). */
static var_status conv2d_gemm(var_backend *be, const var_conv_desc *d, const float *in, const float *w,
                              const float *bias, const float *residual, float *out)
{
  var_pool *pool = cpu_pool(be);
  const int kk = d->k * d->k, K = d->c_in * kk;
  const size_t hw_in = (size_t)d->h_in * d->w_in, hw = (size_t)d->h_out * d->w_out;
  const int pointwise = d->k == 1 && d->stride == 1 && !d->pad_top && !d->pad_left && !d->pad_bottom &&
                        !d->pad_right;
  conv_job j;
  float *col = NULL;
  int b, tile = 0;
  var_status s = VAR_OK;
  if (!pointwise) {
    tile = conv_tile(d, K);
    s = var_alloc(be->ctx, var_size_mul3((size_t)K, (size_t)tile, sizeof(float)), (void **)&col);
    if (s != VAR_OK) return s;
  }
  memset(&j, 0, sizeof j);
  j.d = d;
  j.col = col;
  j.bias = bias;
  for (b = 0; b < d->batch && s == VAR_OK; b++) {
    j.in = in + (size_t)b * d->c_in * hw_in;
    j.out = out + (size_t)b * d->c_out * hw;
    j.residual = residual ? residual + (size_t)b * d->c_out * hw : NULL;
    var_parallel_for(pool, d->c_out, 1 + (int64_t)(16384 / hw), prefill_rows, &j);
    if (pointwise) {
      s = var_cpu_sgemm(pool, cpu_avx2(be), 0, 0, d->c_out, (int)hw, d->c_in, 1.0f, w, d->c_in, j.in, (int)hw, 1.0f,
                        j.out, (int)hw);
      continue;
    }
    for (j.p0 = 0; j.p0 < (int)hw && s == VAR_OK; j.p0 += tile) {
      j.np = (int)hw - j.p0 < tile ? (int)hw - j.p0 : tile;
      var_parallel_for(pool, K, 1 + 32768 / j.np, im2col_rows, &j);
      s = var_cpu_sgemm(pool, cpu_avx2(be), 0, 0, d->c_out, j.np, K, 1.0f, w, K, col, j.np, 1.0f, j.out + j.p0,
                        (int)hw);
    }
  }
  var_free(col);
  return s;
}

#ifdef VAR_HAVE_CBLAS
#include <cblas.h>

/* ---- stride-1 convolutions as k*k shifted GEMMs (BLAS builds) --------------
 *
 * On a zero-padded strip of input rows (row length wp = w_in + pads), tap
 * (dy, dx) of output pixel (y, x) is the strip element (y + dy) * wp + x + dx.
 * Computing the outputs on the padded grid q = y * wp + x (the wp - w_out columns
 * past each row are computed and dropped), every tap is one plain GEMM
 *   C[co, q] += W_tap[co, ci] X[ci, q + dy * wp + dx]
 * whose B operand is the strip itself at an offset: no im2col matrix is built,
 * and the BLAS packs its panels from a strip that stays in cache.  A task owns a
 * band of output rows (a fixed size per layer, so the sums do not depend on the
 * thread count): it fills its strip, runs the k*k GEMMs into its C tile, then
 * writes C + bias (+ residual) to the output. */

#define TAP_N 1024         /* padded output positions per task, about */
#define TAP_MIN_PIXELS 1024 /* smaller maps (16x16): im2col + SGEMM (shifted GEMMs there cost ~3% of a decode) */

typedef struct {
  const var_conv_desc *d;
  const float *in, *wt, *bias, *residual;   /* wt: [k*k][c_out][c_in] */
  float *out;
  int rows, wp, plane, n_tiles;
  size_t scratch_floats;
  float *scratch;
} tap_job;

static void tap_relayout(void *arg, int64_t begin, int64_t end, int thread)
{
  const float **pw = arg;   /* { w, wt } and the sizes through the descriptor after them */
  const var_conv_desc *d = (const var_conv_desc *)pw[2];
  const int kk = d->k * d->k;
  int64_t co;
  int ci, t;
  (void)thread;
  for (co = begin; co < end; co++)
    for (ci = 0; ci < d->c_in; ci++)
      for (t = 0; t < kk; t++)
        ((float *)pw[1])[((size_t)t * d->c_out + co) * d->c_in + ci] = pw[0][((size_t)co * d->c_in + ci) * kk + t];
}

static void tap_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const tap_job *j = arg;
  const var_conv_desc *d = j->d;
  const size_t hw = (size_t)d->h_out * d->w_out, hw_in = (size_t)d->h_in * d->w_in;
  float *strip = j->scratch + (size_t)thread * j->scratch_floats;
  float *C = strip + (size_t)d->c_in * j->plane + (size_t)j->wp;
  int64_t t;
  for (t = begin; t < end; t++) {
    const int b = (int)(t / j->n_tiles), y0 = (int)(t % j->n_tiles) * j->rows;
    const int nr = d->h_out - y0 < j->rows ? d->h_out - y0 : j->rows, n = nr * j->wp;
    const int rows_in = nr + d->k - 1;
    const float *in = j->in + (size_t)b * d->c_in * hw_in;
    float *out = j->out + (size_t)b * d->c_out * hw;
    const float *res = j->residual ? j->residual + (size_t)b * d->c_out * hw : NULL;
    int c, r, tap, co, y, x;
    for (c = 0; c < d->c_in; c++)
      for (r = 0; r < rows_in; r++) {
        float *dst = strip + (size_t)c * j->plane + (size_t)r * j->wp;
        const int iy = y0 + r - d->pad_top;
        if (iy < 0 || iy >= d->h_in) {
          memset(dst, 0, sizeof(float) * (size_t)j->wp);
          continue;
        }
        memset(dst, 0, sizeof(float) * (size_t)d->pad_left);
        memcpy(dst + d->pad_left, in + ((size_t)c * d->h_in + iy) * d->w_in, sizeof(float) * (size_t)d->w_in);
        memset(dst + d->pad_left + d->w_in, 0, sizeof(float) * (size_t)(j->wp - d->pad_left - d->w_in));
      }
    for (tap = 0; tap < d->k * d->k; tap++)
      cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->c_out, n, d->c_in, 1.0f,
                  j->wt + (size_t)tap * d->c_out * d->c_in, d->c_in, strip + (tap / d->k) * j->wp + tap % d->k,
                  j->plane, tap ? 1.0f : 0.0f, C, n);
    for (co = 0; co < d->c_out; co++) {
      const float bv = j->bias ? j->bias[co] : 0.0f;
      for (y = 0; y < nr; y++) {
        const float *src = C + (size_t)co * n + (size_t)y * j->wp;
        float *o = out + (size_t)co * hw + (size_t)(y0 + y) * d->w_out;
        const float *rr = res ? res + (size_t)co * hw + (size_t)(y0 + y) * d->w_out : NULL;
        if (rr)
          for (x = 0; x < d->w_out; x++) o[x] = rr[x] + (src[x] + bv);
        else
          for (x = 0; x < d->w_out; x++) o[x] = src[x] + bv;
      }
    }
  }
}

static int conv_taps_fits(const var_conv_desc *d, int any_size)
{
  return d->stride == 1 && d->k > 1 && (any_size || (size_t)d->h_out * d->w_out >= TAP_MIN_PIXELS) &&
         d->w_out == d->w_in + d->pad_left + d->pad_right - d->k + 1;
}

static var_status conv2d_taps(var_backend *be, const var_conv_desc *d, const float *in, const float *w,
                              const float *bias, const float *residual, float *out)
{
  var_pool *pool = cpu_pool(be);
  const size_t n_w = (size_t)d->c_out * d->c_in * d->k * d->k;
  const void *pw[3];
  tap_job j;
  float *wt = NULL;
  size_t total;
  var_status s;
  memset(&j, 0, sizeof j);
  j.d = d;
  j.in = in;
  j.bias = bias;
  j.residual = residual;
  j.out = out;
  j.wp = d->w_in + d->pad_left + d->pad_right;
  /* bands of about TAP_N positions; a small count rounded up to a multiple of 4
   * so that 2 or 4 threads share them evenly (64 x 64: 8 bands, not 5) */
  j.n_tiles = (int)(((size_t)d->h_out * j.wp + TAP_N - 1) / TAP_N);
  if (j.n_tiles < 16) j.n_tiles = (j.n_tiles + 3) / 4 * 4;
  if (j.n_tiles > d->h_out) j.n_tiles = d->h_out;
  j.rows = (d->h_out + j.n_tiles - 1) / j.n_tiles;
  j.n_tiles = (d->h_out + j.rows - 1) / j.rows;
  j.plane = (j.rows + d->k - 1) * j.wp;
  /* per thread: the strip (+ one row of slack read by the last taps of the
   * dropped columns), then the C tile */
  j.scratch_floats = (size_t)d->c_in * j.plane + (size_t)j.wp + (size_t)d->c_out * j.rows * j.wp;
  j.scratch_floats = (j.scratch_floats + 15) / 16 * 16;
  total = var_size_mul((size_t)var_pool_size(pool), j.scratch_floats);
  s = var_alloc(be->ctx, var_size_mul(n_w, sizeof(float)), (void **)&wt);
  if (s == VAR_OK) s = var_calloc(be->ctx, total ? total : 1, sizeof(float), (void **)&j.scratch);
  if (s != VAR_OK) {
    var_free(wt);
    return s;
  }
  pw[0] = w;
  pw[1] = wt;
  pw[2] = d;
  var_parallel_for(pool, d->c_out, 8, tap_relayout, (void *)pw);
  j.wt = wt;
  var_cpu_blas_single_thread();
  var_parallel_for(pool, (int64_t)d->batch * j.n_tiles, 1, tap_tasks, &j);
  var_free(j.scratch);
  var_free(wt);
  return VAR_OK;
}
#endif

/* Which convolution: VAR_CONV=direct|gemm|taps|winograd, else Winograd
 * F(2x2, 3x3) for the large 3x3 layers (conv_winograd), then im2col + SGEMM when
 * the build has a BLAS (its kernel beats ours by 10-15% here), the direct AVX2
 * kernel when it has none (the portable SGEMM is far slower), im2col + SGEMM
 * otherwise. */
static int conv_direct(const var_cpu_tuning *t)
{
  if (t->simd < VAR_SIMD_AVX2) return 0;
  if (t->conv == VAR_CPU_CONV_TAPS || t->conv == VAR_CPU_CONV_GEMM) return 0;
  if (t->conv == VAR_CPU_CONV_DIRECT) return 1;
#ifdef VAR_HAVE_CBLAS
  return 0;
#else
  return 1;
#endif
}

/* Winograd (cpu_winograd.c): 2 for every convolution it fits (VAR_CONV=winograd,
 * for the tests), 1 for those on maps of at least WG_MIN_PIXELS with at least
 * WG_MIN_CHANNELS in and out (the default), 0 when another path is forced.
 * Smaller layers lose more to the transforms and to GEMMs too small to share
 * out than the 2.25x fewer multiplications win. */
#define WG_MIN_PIXELS 1024
#define WG_MIN_CHANNELS 16

static int conv_winograd(const var_cpu_tuning *t)
{
  if (t->conv == VAR_CPU_CONV_WINOGRAD) return 2;
  return t->conv == VAR_CPU_CONV_AUTO;
}

static int conv_winograd_fits(const var_conv_desc *d, int any_size)
{
  return var_conv_winograd_fits(d) &&
         (any_size || ((size_t)d->h_out * d->w_out >= WG_MIN_PIXELS && d->c_in >= WG_MIN_CHANNELS &&
                       d->c_out >= WG_MIN_CHANNELS));
}

#ifdef VAR_HAVE_CBLAS
/* The shifted-GEMM path: 1 for large stride-1 maps (the default), 2 for every
 * stride-1 kxk convolution (VAR_CONV=taps, for the tests), 0 with VAR_CONV=gemm. */
static int conv_taps(const var_cpu_tuning *t)
{
  if (t->conv == VAR_CPU_CONV_TAPS) return 2;
  return t->conv != VAR_CPU_CONV_GEMM;
}
#endif

const char *var_cpu_conv_name(var_backend *be)
{
  const var_cpu_tuning *t = cpu_tune(be);
  const int wg = conv_winograd(t);
#ifdef VAR_HAVE_CBLAS
  if (!conv_direct(t) && conv_taps(t)) return wg ? "winograd+shifted-gemm+im2col" : "shifted-gemm+im2col";
#endif
  if (conv_direct(t)) return wg ? "winograd+direct-avx2" : "direct-avx2";
  return wg ? "winograd+im2col+gemm" : "im2col+gemm";
}

var_status cpu_conv2d(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                      var_dptr residual, var_dptr out)
{
  const var_cpu_tuning *t = cpu_tune(be);
  const int wg = conv_winograd(t);
  if (d->batch < 0 || d->c_in <= 0 || d->c_out <= 0 || d->k <= 0 || d->stride <= 0 || d->h_out <= 0 ||
      d->w_out <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "conv2d: bad geometry");
  if (wg && conv_winograd_fits(d, wg == 2)) return var_conv2d_winograd(be, d, in, w, bias, residual, out);
#if VAR_HAVE_X86_SIMD
  if (conv_direct(t))
    return var_conv2d_avx2(be, d, cpu_f32(in), cpu_f32(w), cpu_f32(bias), cpu_f32(residual), cpu_f32(out));
#endif
#ifdef VAR_HAVE_CBLAS
  if (conv_taps(t) && conv_taps_fits(d, conv_taps(t) == 2))
    return conv2d_taps(be, d, cpu_f32(in), cpu_f32(w), cpu_f32(bias), cpu_f32(residual), cpu_f32(out));
#endif
  return conv2d_gemm(be, d, cpu_f32(in), cpu_f32(w), cpu_f32(bias), cpu_f32(residual), cpu_f32(out));
}

/* ---- group norm ----------------------------------------------------------- */

typedef struct {
  int channels, groups, silu, avx2;
  size_t hw;
  float eps;
  const float *x, *gamma, *beta;
  float *out;
} gn_job;

/* Sum and sum of squared deviations of n values in double, 4 interleaved
 * partial sums combined in a fixed order (the same in both code paths). */
#if VAR_HAVE_X86_SIMD
VAR_TARGET_AVX2 static double sum_avx2(const float *x, size_t n)
{
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  double t[4], s;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    a0 = _mm256_add_pd(a0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    a1 = _mm256_add_pd(a1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  _mm256_storeu_pd(t, _mm256_add_pd(a0, a1));
  s = (t[0] + t[1]) + (t[2] + t[3]);
  for (; i < n; i++) s += x[i];
  return s;
}

VAR_TARGET_AVX2 static double sqdev_avx2(const float *x, size_t n, double mean)
{
  const __m256d m = _mm256_set1_pd(mean);
  __m256d a0 = _mm256_setzero_pd(), a1 = _mm256_setzero_pd();
  double t[4], s;
  size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    __m256 v = _mm256_loadu_ps(x + i);
    __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), m);
    __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), m);
    a0 = _mm256_fmadd_pd(d0, d0, a0);
    a1 = _mm256_fmadd_pd(d1, d1, a1);
  }
  _mm256_storeu_pd(t, _mm256_add_pd(a0, a1));
  s = (t[0] + t[1]) + (t[2] + t[3]);
  for (; i < n; i++) s += ((double)x[i] - mean) * ((double)x[i] - mean);
  return s;
}
#endif

static double sum_plain(const float *x, size_t n)
{
  double s = 0.0;
  size_t i;
  for (i = 0; i < n; i++) s += x[i];
  return s;
}

static double sqdev_plain(const float *x, size_t n, double mean)
{
  double s = 0.0;
  size_t i;
  for (i = 0; i < n; i++) s += ((double)x[i] - mean) * ((double)x[i] - mean);
  return s;
}

static void gn_groups(void *arg, int64_t begin, int64_t end, int thread)
{
  const gn_job *j = arg;
  const int cpg = j->channels / j->groups;
  const size_t n = (size_t)cpg * j->hw;
  int64_t bg;
  (void)thread;
  for (bg = begin; bg < end; bg++) {
    const int g = (int)(bg % j->groups);
    const float *x = j->x + (size_t)bg * n;
    float *y = j->out + (size_t)bg * n;
    double mean, var, s = 0.0, sq = 0.0;
    float rstd, meanf;
    int c;
#if VAR_HAVE_X86_SIMD
    if (j->avx2) s = sum_avx2(x, n);
    else
#endif
      s = sum_plain(x, n);
    mean = s / (double)n;
#if VAR_HAVE_X86_SIMD
    if (j->avx2) sq = sqdev_avx2(x, n, mean);
    else
#endif
      sq = sqdev_plain(x, n, mean);
    var = sq / (double)n;
    rstd = (float)(1.0 / sqrt(var + (double)j->eps));
    meanf = (float)mean;
    for (c = 0; c < cpg; c++) {
      const int ch = g * cpg + c;
      const float a = rstd * (j->gamma ? j->gamma[ch] : 1.0f);
      const float b = (j->beta ? j->beta[ch] : 0.0f) - meanf * a;
      affine_silu(j->avx2, x + (size_t)c * j->hw, y + (size_t)c * j->hw, j->hw, a, b, j->silu);
    }
  }
}

var_status cpu_group_norm(var_backend *be, int batch, int channels, int hw, int groups, float eps, var_dptr x,
                          var_dptr gamma, var_dptr beta, var_dptr out, int silu)
{
  gn_job j;
  if (batch < 0 || channels <= 0 || hw <= 0 || groups <= 0 || channels % groups)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "group_norm: %d channels do not split into %d groups",
                    channels, groups);
  j.channels = channels;
  j.groups = groups;
  j.silu = silu;
  j.avx2 = cpu_avx2(be);
  j.hw = (size_t)hw;
  j.eps = eps;
  j.x = cpu_f32(x);
  j.gamma = cpu_f32(gamma);
  j.beta = cpu_f32(beta);
  j.out = cpu_f32(out);
  var_parallel_for(cpu_pool(be), (int64_t)batch * groups, 1, gn_groups, &j);
  return VAR_OK;
}

/* ---- nearest x2 upsampling ------------------------------------------------- */

typedef struct {
  int h, w;
  const float *in;
  float *out;
} up_job;

static void up_planes(void *arg, int64_t begin, int64_t end, int thread)
{
  const up_job *j = arg;
  const int w2 = 2 * j->w;
  int64_t p;
  int y, x;
  (void)thread;
  for (p = begin; p < end; p++) {
    const float *src = j->in + (size_t)p * j->h * j->w;
    float *dst = j->out + (size_t)p * 4 * j->h * j->w;
    for (y = 0; y < j->h; y++) {
      float *r0 = dst + (size_t)(2 * y) * w2;
      const float *s = src + (size_t)y * j->w;
      for (x = 0; x < j->w; x++) r0[2 * x] = r0[2 * x + 1] = s[x];
      memcpy(r0 + w2, r0, sizeof(float) * (size_t)w2);
    }
  }
}

var_status cpu_upsample_nearest2x(var_backend *be, int n_planes, int h, int w, var_dptr in, var_dptr out)
{
  up_job j;
  if (n_planes < 0 || h <= 0 || w <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "upsample_nearest2x: bad sizes");
  j.h = h;
  j.w = w;
  j.in = cpu_f32(in);
  j.out = cpu_f32(out);
  var_parallel_for(cpu_pool(be), n_planes, 1 + 16384 / ((int64_t)h * w), up_planes, &j);
  return VAR_OK;
}

/* ---- spatial attention ----------------------------------------------------- */

/* Query rows per block: the score block [rows, n] stays below 4 Mi floats. */
#define ATTN_SCORE_FLOATS (4u << 20)

typedef struct {
  float *s;
  int n, avx2;
} softmax_job;

static void softmax_row(int avx2, float *x, int n)
{
  float m = x[0], sum = 0.0f, inv;
  int i;
#if VAR_HAVE_X86_SIMD
  if (avx2) {
    sum = var_softmax_exp_avx2(x, n);
    inv = 1.0f / sum;
    for (i = 0; i < n; i++) x[i] *= inv;
    return;
  }
#else
  (void)avx2;
#endif
  for (i = 1; i < n; i++) m = x[i] > m ? x[i] : m;
  for (i = 0; i < n; i++) {
    x[i] = expf(x[i] - m);
    sum += x[i];
  }
  inv = 1.0f / sum;
  for (i = 0; i < n; i++) x[i] *= inv;
}

static void softmax_rows(void *arg, int64_t begin, int64_t end, int thread)
{
  const softmax_job *j = arg;
  int64_t r;
  (void)thread;
  for (r = begin; r < end; r++) softmax_row(j->avx2, j->s + (size_t)r * j->n, j->n);
}

var_status cpu_spatial_attention(var_backend *be, int batch, int channels, int n, var_dptr qkv, var_dptr out)
{
  var_pool *pool = cpu_pool(be);
  /* upstream scales the scores after the product by int(C) ** -0.5, as a float */
  const float scale = (float)pow((double)channels, -0.5);
  int rows = (int)(ATTN_SCORE_FLOATS / (unsigned)(n > 0 ? n : 1)), b, i0;
  softmax_job sj;
  float *scores;
  var_status s;
  if (batch < 0 || channels <= 0 || n <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "spatial_attention: bad sizes");
  if (rows < 16) rows = 16;
  if (rows > n) rows = n;
  s = var_alloc(be->ctx, var_size_mul3((size_t)rows, (size_t)n, sizeof(float)), (void **)&scores);
  if (s != VAR_OK) return s;
  sj.s = scores;
  sj.n = n;
  sj.avx2 = cpu_avx2(be);
  for (b = 0; b < batch && s == VAR_OK; b++) {
    const float *q = cpu_f32(qkv) + (size_t)b * 3 * channels * n;
    const float *k = q + (size_t)channels * n, *v = k + (size_t)channels * n;
    float *o = cpu_f32(out) + (size_t)b * channels * n;
    for (i0 = 0; i0 < n && s == VAR_OK; i0 += rows) {
      const int m = n - i0 < rows ? n - i0 : rows;
      /* scores[i, j] = scale * sum_c q[c, i0 + i] k[c, j] */
      s = var_cpu_sgemm(pool, cpu_avx2(be), 1, 0, m, n, channels, scale, q + i0, n, k, n, 0.0f, scores, n);
      if (s != VAR_OK) break;
      var_parallel_for(pool, m, 4, softmax_rows, &sj);
      /* out[c, i0 + i] = sum_j v[c, j] scores[i, j] */
      s = var_cpu_sgemm(pool, cpu_avx2(be), 0, 1, channels, m, n, 1.0f, v, n, scores, n, 0.0f, o + i0, n);
    }
  }
  var_free(scores);
  return s;
}

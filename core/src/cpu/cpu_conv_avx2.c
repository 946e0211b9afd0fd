/* cpu_conv_avx2.c — direct convolution with AVX2+FMA (used when the build has
 * no BLAS, whose im2col + SGEMM path is then much slower).
 *
 * out[co, p] = bias[co] (+ residual[co, p]) + sum_k W[co, k] X[k, p], with X
 * the im2col matrix (k = (ci, dy, dx)), computed 6 output channels x 16 pixels
 * per register block.  Per task (a band of output pixels and a range of output
 * channels) and per block of k, the weights are packed into 6-channel panels
 * that stay in L2, and X is never built whole:
 *   - stride-1 3x3 convolutions: the task copies the input rows it needs into
 *     a zero-padded strip, and the kernel loads its 16 pixels for tap k straight
 *     from the strip at a per-k offset (a tap is a shifted view of the strip);
 *   - 1x1 and stride-2 convolutions: the task packs KC rows of X for its pixels
 *     into 16-wide panels (an im2col of cache size) that the same kernel reads.
 * Every output sums k in ascending order, in the same blocks, whatever the
 * tiling or the number of threads. */
#include "cpu/cpu_conv.h"

#if VAR_HAVE_X86_SIMD

#include <immintrin.h>
#include <string.h>

#define KC 256          /* rows of X per block (whole input channels on the strip path) */
#define MR 6
#define NR 16
#define MIN_TASKS 16    /* split output channels when pixel tiles alone give fewer tasks */
#define MC_MAX 192      /* output channels per task at most: 192 x KC packed weights = 192 KiB */
#define PIXELS 256      /* output pixels per task (whole rows on the strip path) */
#define BIAS_FLOATS(mc) ((size_t)((mc) + 15) / 16 * 16)   /* keeps what follows 64-byte aligned */
#define SLACK 32        /* floats after a strip: edge blocks may read (and discard) past its end */

typedef struct {
  const var_conv_desc *d;
  const float *in, *w, *bias, *residual;
  float *out;
  int K, kk, hw;
  int strip;            /* 1: stride-1 strip path, 0: packed panels */
  int rows, n_tiles;    /* strip: output rows per task; panels: pixels per task (rows = pixels) */
  int cb, wp, plane;    /* strip: input channels per block, strip row length, rows_in * wp */
  int mc, n_mchunks;    /* output channels per task */
  const int *off;       /* per k of a block: offset of tap k in the strip / panel */
  float *scratch;
  size_t scratch_floats;
} dconv_job;

/* c[6 x 16] (rows ldc apart) = init + sum_k a[6k + r] * base[off[k] .. off[k] + 16), where
 * init is c itself, or bias[r] (+ res[r * ldc + j]) when bias != NULL (first block of k). */
VAR_TARGET_AVX2 static void kern_6x16(int kc, const float *a, const float *base, const int *off, float *c,
                                    size_t ldc, const float *bias, const float *res)
{
  __m256 c00, c01, c10, c11, c20, c21, c30, c31, c40, c41, c50, c51;
  int k;
  if (!bias) {
    c00 = _mm256_loadu_ps(c), c01 = _mm256_loadu_ps(c + 8);
    c10 = _mm256_loadu_ps(c + ldc), c11 = _mm256_loadu_ps(c + ldc + 8);
    c20 = _mm256_loadu_ps(c + 2 * ldc), c21 = _mm256_loadu_ps(c + 2 * ldc + 8);
    c30 = _mm256_loadu_ps(c + 3 * ldc), c31 = _mm256_loadu_ps(c + 3 * ldc + 8);
    c40 = _mm256_loadu_ps(c + 4 * ldc), c41 = _mm256_loadu_ps(c + 4 * ldc + 8);
    c50 = _mm256_loadu_ps(c + 5 * ldc), c51 = _mm256_loadu_ps(c + 5 * ldc + 8);
  } else {
    c00 = c01 = _mm256_set1_ps(bias[0]);
    c10 = c11 = _mm256_set1_ps(bias[1]);
    c20 = c21 = _mm256_set1_ps(bias[2]);
    c30 = c31 = _mm256_set1_ps(bias[3]);
    c40 = c41 = _mm256_set1_ps(bias[4]);
    c50 = c51 = _mm256_set1_ps(bias[5]);
    if (res) {
      c00 = _mm256_add_ps(_mm256_loadu_ps(res), c00);
      c01 = _mm256_add_ps(_mm256_loadu_ps(res + 8), c01);
      c10 = _mm256_add_ps(_mm256_loadu_ps(res + ldc), c10);
      c11 = _mm256_add_ps(_mm256_loadu_ps(res + ldc + 8), c11);
      c20 = _mm256_add_ps(_mm256_loadu_ps(res + 2 * ldc), c20);
      c21 = _mm256_add_ps(_mm256_loadu_ps(res + 2 * ldc + 8), c21);
      c30 = _mm256_add_ps(_mm256_loadu_ps(res + 3 * ldc), c30);
      c31 = _mm256_add_ps(_mm256_loadu_ps(res + 3 * ldc + 8), c31);
      c40 = _mm256_add_ps(_mm256_loadu_ps(res + 4 * ldc), c40);
      c41 = _mm256_add_ps(_mm256_loadu_ps(res + 4 * ldc + 8), c41);
      c50 = _mm256_add_ps(_mm256_loadu_ps(res + 5 * ldc), c50);
      c51 = _mm256_add_ps(_mm256_loadu_ps(res + 5 * ldc + 8), c51);
    }
  }
  for (k = 0; k < kc; k++, a += MR) {
    const float *b = base + off[k];
    const __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
    __m256 x;
    x = _mm256_broadcast_ss(a);
    c00 = _mm256_fmadd_ps(x, b0, c00);
    c01 = _mm256_fmadd_ps(x, b1, c01);
    x = _mm256_broadcast_ss(a + 1);
    c10 = _mm256_fmadd_ps(x, b0, c10);
    c11 = _mm256_fmadd_ps(x, b1, c11);
    x = _mm256_broadcast_ss(a + 2);
    c20 = _mm256_fmadd_ps(x, b0, c20);
    c21 = _mm256_fmadd_ps(x, b1, c21);
    x = _mm256_broadcast_ss(a + 3);
    c30 = _mm256_fmadd_ps(x, b0, c30);
    c31 = _mm256_fmadd_ps(x, b1, c31);
    x = _mm256_broadcast_ss(a + 4);
    c40 = _mm256_fmadd_ps(x, b0, c40);
    c41 = _mm256_fmadd_ps(x, b1, c41);
    x = _mm256_broadcast_ss(a + 5);
    c50 = _mm256_fmadd_ps(x, b0, c50);
    c51 = _mm256_fmadd_ps(x, b1, c51);
  }
  _mm256_storeu_ps(c, c00);
  _mm256_storeu_ps(c + 8, c01);
  _mm256_storeu_ps(c + ldc, c10);
  _mm256_storeu_ps(c + ldc + 8, c11);
  _mm256_storeu_ps(c + 2 * ldc, c20);
  _mm256_storeu_ps(c + 2 * ldc + 8, c21);
  _mm256_storeu_ps(c + 3 * ldc, c30);
  _mm256_storeu_ps(c + 3 * ldc + 8, c31);
  _mm256_storeu_ps(c + 4 * ldc, c40);
  _mm256_storeu_ps(c + 4 * ldc + 8, c41);
  _mm256_storeu_ps(c + 5 * ldc, c50);
  _mm256_storeu_ps(c + 5 * ldc + 8, c51);
}

/* A block of mr <= 6 channels and nr <= 16 pixels: the full kernel on a copy of
 * the valid part of c (the rest is computed and dropped). */
static void kern_block(int kc, const float *ap, const float *base, const int *off, float *c, size_t ldc,
                       const float *bias, const float *res, int mr, int nr)
{
  float tmp[MR * NR], rtmp[MR * NR], btmp[MR];
  int r;
  if (mr == MR && nr == NR) {
    kern_6x16(kc, ap, base, off, c, ldc, bias, res);
    return;
  }
  memset(tmp, 0, sizeof tmp);
  memset(rtmp, 0, sizeof rtmp);
  memset(btmp, 0, sizeof btmp);
  for (r = 0; r < mr; r++) {
    if (!bias) memcpy(tmp + r * NR, c + r * ldc, sizeof(float) * (size_t)nr);
    else btmp[r] = bias[r];
    if (res) memcpy(rtmp + r * NR, res + r * ldc, sizeof(float) * (size_t)nr);
  }
  kern_6x16(kc, ap, base, off, tmp, NR, bias ? btmp : NULL, res ? rtmp : NULL);
  for (r = 0; r < mr; r++) memcpy(c + r * ldc, tmp + r * NR, sizeof(float) * (size_t)nr);
}

/* Strip path: input channels [c0, c1), input rows from iy0 (rows_in of them),
 * zero-padded to the strip row length wp. */
static void pack_strip(const dconv_job *j, const float *in, int c0, int c1, int iy0, float *strip)
{
  const var_conv_desc *d = j->d;
  const int rows_in = j->plane / j->wp;
  int c, r;
  for (c = c0; c < c1; c++)
    for (r = 0; r < rows_in; r++) {
      float *dst = strip + (size_t)(c - c0) * j->plane + (size_t)r * j->wp;
      const int iy = iy0 + r;
      if (iy < 0 || iy >= d->h_in) {
        memset(dst, 0, sizeof(float) * (size_t)j->wp);
        continue;
      }
      memset(dst, 0, sizeof(float) * (size_t)d->pad_left);
      memcpy(dst + d->pad_left, in + ((size_t)c * d->h_in + iy) * d->w_in, sizeof(float) * (size_t)d->w_in);
      memset(dst + d->pad_left + d->w_in, 0, sizeof(float) * (size_t)(j->wp - d->pad_left - d->w_in));
    }
}

/* Panel path: X rows [k0, k0 + kc) for pixels [p0, p0 + np) into panels [np/16][kc][16]. */
VAR_TARGET_AVX2 static void pack_panels(const dconv_job *j, const float *in, int k0, int kc, int p0, int np,
                                      float *panels, float *row)
{
  const int full = np / NR;
  int r, jb;
  for (r = 0; r < kc; r++) {
    float *dst = panels + (size_t)r * NR;
    var_im2col_row(j->d, in, k0 + r, p0, np, row);
    for (jb = 0; jb < full; jb++, dst += (size_t)kc * NR) {
      _mm256_store_ps(dst, _mm256_loadu_ps(row + jb * NR));
      _mm256_store_ps(dst + 8, _mm256_loadu_ps(row + jb * NR + 8));
    }
    if (full * NR < np) {
      const int n = np - full * NR;
      memcpy(dst, row + full * NR, sizeof(float) * (size_t)n);
      memset(dst + n, 0, sizeof(float) * (size_t)(NR - n));
    }
  }
}

/* Weights of channels [co0, co1) and X rows [k0, k0 + kc) as panels [block][k][6]
 * (channels past co1 of the last block are 0), and the bias of each block. */
static void pack_weights(const dconv_job *j, int co0, int co1, int k0, int kc, float *ap, float *bias)
{
  int co, r, k;
  for (co = co0; co < co1; co += MR, ap += (size_t)kc * MR, bias += MR)
    for (r = 0; r < MR; r++) {
      const float *src = j->w + (size_t)(co + r) * j->K + k0;
      bias[r] = co + r < co1 && j->bias ? j->bias[co + r] : 0.0f;
      if (co + r < co1)
        for (k = 0; k < kc; k++) ap[(size_t)k * MR + r] = src[k];
      else
        for (k = 0; k < kc; k++) ap[(size_t)k * MR + r] = 0.0f;
    }
}

/* One block of k for the pixels [x0, x0 + n) of a task: every 16-pixel column
 * (its inputs stay in L1) against every 6-channel weight panel (from L2). */
static void multiply(const dconv_job *j, int kc, const float *ap, const float *bias, int co0, int co1,
                     const float *base, int base_step, float *out, const float *res, int first, int n)
{
  int x0, co;
  for (x0 = 0; x0 < n; x0 += NR) {
    const int nr = n - x0 < NR ? n - x0 : NR;
    const float *a = ap, *bs = bias;
    for (co = co0; co < co1; co += MR, a += (size_t)kc * MR, bs += MR) {
      const size_t o = (size_t)co * j->hw + x0;
      kern_block(kc, a, base + (size_t)(x0 / NR) * base_step, j->off, out + o, (size_t)j->hw, first ? bs : NULL,
                 first && res ? res + o : NULL, co1 - co < MR ? co1 - co : MR, nr);
    }
  }
}

static void dconv_tasks(void *arg, int64_t begin, int64_t end, int thread)
{
  const dconv_job *j = arg;
  const var_conv_desc *d = j->d;
  float *apack = j->scratch + (size_t)thread * j->scratch_floats;
  float *bias = apack + (size_t)j->mc * KC, *src = bias + BIAS_FLOATS(j->mc);
  int64_t t;
  for (t = begin; t < end; t++) {
    const int mchunk = (int)(t % j->n_mchunks), tile = (int)(t / j->n_mchunks % j->n_tiles);
    const int b = (int)(t / j->n_mchunks / j->n_tiles);
    const int co0 = mchunk * j->mc, co1 = d->c_out - co0 < j->mc ? d->c_out : co0 + j->mc;
    const float *in = j->in + (size_t)b * d->c_in * d->h_in * d->w_in;
    float *out = j->out + (size_t)b * d->c_out * j->hw;
    const float *res = j->residual ? j->residual + (size_t)b * d->c_out * j->hw : NULL;
    int c0, k0, y;
    if (j->strip) {
      const int y0 = tile * j->rows, y1 = d->h_out - y0 < j->rows ? d->h_out : y0 + j->rows;
      for (c0 = 0; c0 < d->c_in; c0 += j->cb) {
        const int c1 = d->c_in - c0 < j->cb ? d->c_in : c0 + j->cb, kc = (c1 - c0) * j->kk;
        pack_strip(j, in, c0, c1, y0 - d->pad_top, src);
        pack_weights(j, co0, co1, c0 * j->kk, kc, apack, bias);
        for (y = y0; y < y1; y++) {
          const size_t o = (size_t)y * d->w_out;
          multiply(j, kc, apack, bias, co0, co1, src + (size_t)(y - y0) * j->wp, NR, out + o, res ? res + o : NULL,
                   c0 == 0, d->w_out);
        }
      }
    } else {
      const int p0 = tile * j->rows, np = j->hw - p0 < j->rows ? j->hw - p0 : j->rows;
      for (k0 = 0; k0 < j->K; k0 += KC) {
        const int kc = j->K - k0 < KC ? j->K - k0 : KC;
        pack_panels(j, in, k0, kc, p0, np, src, src + (size_t)KC * j->rows);
        pack_weights(j, co0, co1, k0, kc, apack, bias);
        multiply(j, kc, apack, bias, co0, co1, src, kc * NR, out + p0, res ? res + p0 : NULL, k0 == 0, np);
      }
    }
  }
}

var_status var_conv2d_avx2(var_backend *be, const var_conv_desc *d, const float *in, const float *w,
                           const float *bias, const float *residual, float *out)
{
  var_pool *pool = cpu_pool(be);
  dconv_job j;
  int *off = NULL, k, n_off;
  size_t total;
  var_status s;
  memset(&j, 0, sizeof j);
  j.d = d;
  j.in = in;
  j.w = w;
  j.bias = bias;
  j.residual = residual;
  j.out = out;
  j.kk = d->k * d->k;
  j.K = d->c_in * j.kk;
  j.hw = d->h_out * d->w_out;
  /* 1x1 convolutions read rows hw apart, which alias in L1 when taken from a
   * strip; packed panels are contiguous */
  j.strip = d->stride == 1 && d->k > 1;
  /* output channels per task: the packed weights (mc x KC) stay in L2 */
  j.mc = (d->c_out + MR - 1) / MR * MR;
  if (j.mc > MC_MAX) {
    const int chunks = (d->c_out + MC_MAX - 1) / MC_MAX;
    j.mc = ((d->c_out + chunks - 1) / chunks + MR - 1) / MR * MR;
  }
  if (j.strip) {
    j.rows = PIXELS / d->w_out > 1 ? PIXELS / d->w_out : 1;
    j.n_tiles = (d->h_out + j.rows - 1) / j.rows;
    j.cb = KC / j.kk > 1 ? KC / j.kk : 1;
    if (j.cb > d->c_in) j.cb = d->c_in;
    j.wp = d->w_in + d->pad_left + d->pad_right;
    j.plane = (j.rows + d->k - 1) * j.wp;
    n_off = j.cb * j.kk;
  } else {
    j.rows = PIXELS;
    j.n_tiles = (j.hw + j.rows - 1) / j.rows;
    n_off = KC;
  }
  while ((int64_t)d->batch * j.n_tiles * ((d->c_out + j.mc - 1) / j.mc) < MIN_TASKS && j.mc > 8 * MR)
    j.mc = (j.mc / 2 + MR - 1) / MR * MR;
  j.n_mchunks = (d->c_out + j.mc - 1) / j.mc;
  /* per thread: packed weights, their bias, then the strip (+ slack) or the panels (+ one im2col row) */
  j.scratch_floats = (size_t)j.mc * KC + BIAS_FLOATS(j.mc) +
                     (j.strip ? (size_t)j.cb * j.plane + SLACK : (size_t)KC * j.rows + (size_t)j.rows);
  j.scratch_floats = (j.scratch_floats + 15) / 16 * 16;   /* keeps every thread's panels 64-byte aligned */
  total = var_size_mul((size_t)var_pool_size(pool), j.scratch_floats);
  s = var_calloc(be->ctx, total ? total : 1, sizeof(float), (void **)&j.scratch);
  if (s == VAR_OK) s = var_alloc(be->ctx, sizeof(int) * (size_t)n_off, (void **)&off);
  if (s != VAR_OK) {
    var_free(j.scratch);
    return s;
  }
  for (k = 0; k < n_off; k++)
    off[k] = j.strip ? (k / j.kk) * j.plane + (k % j.kk / d->k) * j.wp + k % d->k : k * NR;
  j.off = off;
  var_parallel_for(pool, (int64_t)d->batch * j.n_tiles * j.n_mchunks, 1, dconv_tasks, &j);
  var_free(off);
  var_free(j.scratch);
  return VAR_OK;
}

#endif

/* cpu_winograd.c — 3x3 stride-1 "same" convolutions by Winograd's minimal
 * filtering F(2x2, 3x3) (Lavin & Gray, "Fast Algorithms for Convolutional
 * Neural Networks", 2015).
 *
 * The output is cut into 2x2 tiles; tile (ty, tx) needs the 4x4 input patch
 * d at rows 2ty-1 .. 2ty+2, columns 2tx-1 .. 2tx+2 (zero outside the map).  With
 *   U = G g G^T      (4x4, per output and input channel: the filter, once)
 *   V = B^T d B      (4x4, per input channel and tile)
 *   M[f] = sum_ci U[f][co][ci] V[f][ci][tile]      for each of the 16 f
 *   Y = A^T M A      (2x2, the outputs of the tile)
 * the sum over input channels is 16 plain GEMMs [c_out x c_in] x [c_in x tiles],
 * which do 16 multiplications per 2x2 outputs where the direct sum does 36:
 * 2.25x fewer.  In float the error grows by a few ulp of the products' sizes
 * (the transforms only add, subtract and halve), far below the golden sets'
 * tolerances.  F(4x4, 3x3) would save more (4x), but its transform constants
 * (up to 8, and 1/6, 1/24) cost precision: simulated in float32 on a 160-channel
 * layer, its largest error was 23x F(2x2, 3x3)'s (RMS 7x), F(2x2)'s 1.9x the
 * direct sum's.
 *
 * The tiles are processed in bands (whole tile rows, or part of one row) so
 * that a band's transformed input V and output M (16 x (c_in + c_out) floats per
 * tile) stay in cache.  Two ways to run them, chosen by the layer's shape:
 *   - private bands (wide maps, few channels): one task per band transforms its
 *     input, runs the 16 GEMMs and writes its output on its thread's scratch,
 *     with no synchronisation and V, M in that core's L2;
 *   - shared bands (deep layers on small maps, whose GEMMs need every tile there
 *     is to amortise the BLAS's packing of U): one band at a time, three passes
 *     split over the threads: input transform (by input channel), the GEMMs (by
 *     frequency and column chunk), output transform (by output channel).
 * Bands, chunks and every sum's order depend only on the layer's shape, so the
 * results do not depend on the thread count.  VAR_WG_MODE=0|1 forces shared or
 * private bands and VAR_WG_SHARED_KIB / VAR_WG_PRIVATE_KIB set their size (for
 * tuning and tests; read when the backend is created, var_cpu_tuning).
 *
 * The transformed filters of a constant buffer (checkpoint weights) are kept by
 * the backend (var_cpu_derived_keep) and made once; other weights are
 * transformed per call. */
#include "cpu/cpu_conv.h"

#include <string.h>

#ifdef VAR_HAVE_CBLAS
#include <cblas.h>
#endif
#if VAR_HAVE_X86_SIMD
#include <immintrin.h>
#endif

#define WG_F 16                 /* frequencies of a 4x4 transformed tile */
#define WG_VEC 8                /* tiles per vector: tile rows are padded to a multiple */
/* Band sizes, measured on the released VQ-VAE (2 cores, Zen 4, 1 MiB L2): private
 * bands of 4 MiB (one tile row at 256x256 x 160 channels) beat 2 MiB and shared
 * bands by 4-7% on the 160-channel layers; layers of 320 channels and more ran
 * fastest as shared bands of up to 32 MiB (a 32x32 or 64x64 map in one or two
 * bands: their GEMMs get enough columns to amortise the packing of U). */
#define WG_SHARED_FLOATS (1u << 23)   /* V + M of a shared band: 32 MiB */
#define WG_PRIVATE_FLOATS (1u << 20)  /* V + M of a private band: 4 MiB */
#define WG_PRIVATE_MIN_TILES 128      /* private bands when they get at least this many tiles */
#define WG_MIN_BANDS 8                /* private bands per image at least (when there are the tile rows) */
#define WG_GEMM_N 512           /* GEMM columns (tiles) per call */
#define WG_DERIVED_TAG 0x57473233   /* "WG23": the derived-data tag of U */

typedef struct {
  const var_conv_desc *d;
  const float *in, *u, *bias, *residual;   /* u: [16][c_out][c_in] */
  float *out;
  int tw, th;           /* tiles per row, tile rows */
  int band_rows, band_cols;   /* tiles of a band: whole rows, or part of one row (band_rows 1) */
  int n_bands;          /* per batch item */
  int private_bands;    /* 1: one task per band, on per-thread scratch; 0: bands in turn, three passes each */
  int avx2;
  /* scratch: V and M of the band(s) in progress, the deinterleaved input rows */
  float *scratch;
  size_t v_floats, m_floats, eo_floats, thread_floats;
} wg_job;

/* One band of tiles: rows [ty0, ty0 + nty), columns [tx0, tx0 + ntx) of batch item b. */
typedef struct {
  int b, ty0, nty, tx0, ntx;
  int ntxp;             /* ntx padded to WG_VEC: the columns of a tile row in V and M */
  int n;                /* nty * ntxp: the GEMMs' columns */
  int n_chunks;         /* GEMM calls per frequency */
  int eo_len;           /* floats per deinterleaved half-row (E or O) */
  float *v, *m;         /* [16][c_in][n], [16][c_out][n], frequency planes vstride, mstride apart */
  size_t vstride, mstride;
  float *eo;            /* the shared bands: per-thread rows; private: this band's */
  size_t eo_stride;     /* between threads' eo (shared bands) */
} wg_band;

int var_conv_winograd_fits(const var_conv_desc *d)
{
  return d->k == 3 && d->stride == 1 && d->pad_top == 1 && d->pad_left == 1 && d->pad_bottom == 1 &&
         d->pad_right == 1 && d->h_out == d->h_in && d->w_out == d->w_in;
}

/* ---- filter transform: U = G g G^T ----------------------------------------
 * G = [1 0 0; 1/2 1/2 1/2; 1/2 -1/2 1/2; 0 0 1], in double (made once). */
typedef struct {
  const float *w;
  float *u;
  int c_out, c_in;
} wg_filter_job;

static void wg_filter_rows(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_filter_job *j = arg;
  int64_t co;
  int ci, r, c;
  (void)thread;
  for (co = begin; co < end; co++)
    for (ci = 0; ci < j->c_in; ci++) {
      const float *g = j->w + ((size_t)co * j->c_in + ci) * 9;
      double t[4][3], u[4][4];
      for (c = 0; c < 3; c++) {
        t[0][c] = g[c];
        t[1][c] = 0.5 * ((double)g[c] + g[3 + c] + g[6 + c]);
        t[2][c] = 0.5 * ((double)g[c] - g[3 + c] + g[6 + c]);
        t[3][c] = g[6 + c];
      }
      for (r = 0; r < 4; r++) {
        u[r][0] = t[r][0];
        u[r][1] = 0.5 * (t[r][0] + t[r][1] + t[r][2]);
        u[r][2] = 0.5 * (t[r][0] - t[r][1] + t[r][2]);
        u[r][3] = t[r][2];
      }
      for (r = 0; r < 4; r++)
        for (c = 0; c < 4; c++)
          j->u[((size_t)(4 * r + c) * j->c_out + co) * j->c_in + ci] = (float)u[r][c];
    }
}

/* ---- input transform: V = B^T d B -----------------------------------------
 * B^T = [1 0 -1 0; 0 1 1 0; 0 -1 1 0; 0 1 0 -1].  A padded input row p (p[i] =
 * x[i - 1]) is split into E[i] = p[2i] and O[i] = p[2i + 1]; the 4 columns of
 * tile tx are then E[tx], O[tx], E[tx + 1], O[tx + 1]: contiguous over tx, so
 * WG_VEC tiles are transformed with one vector per value. */

#if VAR_HAVE_X86_SIMD
/* E[k..k+7] and O[k..k+7] are the even and odd elements of x[2i-1 .. 2i+14]
 * (i = i0 + k, at least 1): splits them from k on while they lie inside the row
 * and the band; returns the next k. */
VAR_TARGET_AVX2 static int wg_split_avx2(const float *x, int w, int i0, int k, int len, float *e, float *o)
{
  for (; k + 8 <= len && 2 * (i0 + k) + 14 < w; k += 8) {
    const float *p = x + 2 * (i0 + k) - 1;
    const __m256 a = _mm256_loadu_ps(p), b = _mm256_loadu_ps(p + 8);
    const __m256 ev = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 od = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    _mm256_storeu_ps(e + k, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8)));
    _mm256_storeu_ps(o + k, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), 0xD8)));
  }
  return k;
}
#endif

/* E[k] = p[2 (i0 + k)] and O[k] = p[2 (i0 + k) + 1] for k < len, of input row iy
 * of plane x (zero outside the map). */
static void wg_split_row(const wg_job *j, const float *x, int iy, int i0, int len, float *e, float *o)
{
  const int w = j->d->w_in;
  int k = 0;
  memset(e, 0, sizeof(float) * (size_t)len);
  memset(o, 0, sizeof(float) * (size_t)len);
  if (iy < 0 || iy >= j->d->h_in) return;
  x += (size_t)iy * w;
  if (i0 == 0) {
    o[0] = x[0];   /* e[0] = p[0] is the left padding */
    k = 1;
  }
#if VAR_HAVE_X86_SIMD
  if (j->avx2) k = wg_split_avx2(x, w, i0, k, len, e, o);
#endif
  for (; k < len && 2 * (i0 + k) - 1 < w; k++) {
    e[k] = x[2 * (i0 + k) - 1];
    if (2 * (i0 + k) < w) o[k] = x[2 * (i0 + k)];
  }
}

#if VAR_HAVE_X86_SIMD
VAR_TARGET_AVX2 static void wg_input_tiles_avx2(int ntxp, const float *const rows[4][2], float *v, size_t fstride)
{
  int tx, r;
  for (tx = 0; tx < ntxp; tx += WG_VEC) {
    __m256 a[4][4];
    for (r = 0; r < 4; r++) {
      const __m256 d0 = _mm256_loadu_ps(rows[r][0] + tx), d1 = _mm256_loadu_ps(rows[r][1] + tx);
      const __m256 d2 = _mm256_loadu_ps(rows[r][0] + tx + 1), d3 = _mm256_loadu_ps(rows[r][1] + tx + 1);
      a[r][0] = _mm256_sub_ps(d0, d2);
      a[r][1] = _mm256_add_ps(d1, d2);
      a[r][2] = _mm256_sub_ps(d2, d1);
      a[r][3] = _mm256_sub_ps(d1, d3);
    }
    for (r = 0; r < 4; r++) {
      float *p = v + (size_t)r * fstride + tx;
      _mm256_storeu_ps(p, _mm256_sub_ps(a[0][r], a[2][r]));
      _mm256_storeu_ps(p + 4 * fstride, _mm256_add_ps(a[1][r], a[2][r]));
      _mm256_storeu_ps(p + 8 * fstride, _mm256_sub_ps(a[2][r], a[1][r]));
      _mm256_storeu_ps(p + 12 * fstride, _mm256_sub_ps(a[1][r], a[3][r]));
    }
  }
}
#endif

static void wg_input_tiles(int ntxp, const float *const rows[4][2], float *v, size_t fstride)
{
  int tx, r;
  for (tx = 0; tx < ntxp; tx++) {
    float a[4][4];
    for (r = 0; r < 4; r++) {
      const float d0 = rows[r][0][tx], d1 = rows[r][1][tx], d2 = rows[r][0][tx + 1], d3 = rows[r][1][tx + 1];
      a[r][0] = d0 - d2;
      a[r][1] = d1 + d2;
      a[r][2] = d2 - d1;
      a[r][3] = d1 - d3;
    }
    for (r = 0; r < 4; r++) {
      float *p = v + (size_t)r * fstride + tx;
      p[0] = a[0][r] - a[2][r];
      p[4 * fstride] = a[1][r] + a[2][r];
      p[8 * fstride] = a[2][r] - a[1][r];
      p[12 * fstride] = a[1][r] - a[3][r];
    }
  }
}

/* Input channels [ci0, ci1) of the band into V; eo: room for the band's rows. */
static void wg_input(const wg_job *j, const wg_band *bd, int ci0, int ci1, float *eo)
{
  const var_conv_desc *d = j->d;
  const int n_rows = 2 * bd->nty + 2;   /* padded input rows 2 ty0 .. 2 (ty0 + nty) + 1 */
  const size_t fstride = bd->vstride;
  int ci, r, t;
  for (ci = ci0; ci < ci1; ci++) {
    const float *x = j->in + ((size_t)bd->b * d->c_in + (size_t)ci) * d->h_in * d->w_in;
    for (r = 0; r < n_rows; r++)
      wg_split_row(j, x, 2 * bd->ty0 - 1 + r, bd->tx0, bd->ntxp + 1, eo + (size_t)r * 2 * bd->eo_len,
                   eo + ((size_t)r * 2 + 1) * bd->eo_len);
    for (t = 0; t < bd->nty; t++) {
      const float *rows[4][2];
      float *v = bd->v + (size_t)ci * bd->n + (size_t)t * bd->ntxp;
      for (r = 0; r < 4; r++) {
        rows[r][0] = eo + (size_t)(2 * t + r) * 2 * bd->eo_len;
        rows[r][1] = rows[r][0] + bd->eo_len;
      }
#if VAR_HAVE_X86_SIMD
      if (j->avx2) {
        wg_input_tiles_avx2(bd->ntxp, rows, v, fstride);
        continue;
      }
#endif
      wg_input_tiles(bd->ntxp, rows, v, fstride);
    }
  }
}

/* ---- the 16 GEMMs: M[f] = U[f] V[f] ------------------------------------------
 * Tasks [t0, t1) of the band: frequency t / n_chunks, column chunk t % n_chunks. */
static void wg_gemm(const wg_job *j, const wg_band *bd, int t0, int t1)
{
  const var_conv_desc *d = j->d;
  const int chunk = ((bd->n + bd->n_chunks - 1) / bd->n_chunks + WG_VEC - 1) / WG_VEC * WG_VEC;
  int t;
  for (t = t0; t < t1; t++) {
    const int f = t / bd->n_chunks, n0 = t % bd->n_chunks * chunk;
    const int nc = bd->n - n0 < chunk ? bd->n - n0 : chunk;
    const float *u = j->u + (size_t)f * d->c_out * d->c_in, *v = bd->v + (size_t)f * bd->vstride + n0;
    float *m = bd->m + (size_t)f * bd->mstride + n0;
    if (nc <= 0) continue;
#ifdef VAR_HAVE_CBLAS
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->c_out, nc, d->c_in, 1.0f, u, d->c_in, v, bd->n, 0.0f,
                m, bd->n);
#else
    /* inside a parallel_for the portable SGEMM runs on this thread alone */
    var_cpu_sgemm(NULL, j->avx2, 0, 0, d->c_out, nc, d->c_in, 1.0f, u, d->c_in, v, bd->n, 0.0f, m, bd->n);
#endif
  }
}

/* ---- output transform: Y = A^T M A, + bias (+ residual) ----------------------
 * A^T = [1 1 1 0; 0 1 -1 -1].  out = residual + (y + bias), as the other paths. */

/* Writes the 2 x 2n outputs y[i][..] (y[i][2k + jj] = output (i, jj) of tile k)
 * of n tiles from tile column tx of tile row ty on, clipped to the map. */
static void wg_store(const wg_job *j, int b, int co, int ty, int tx, int n, const float y[2][2 * WG_VEC], float bv)
{
  const var_conv_desc *d = j->d;
  const size_t hw = (size_t)d->h_out * d->w_out;
  int i, k;
  for (i = 0; i < 2; i++) {
    const int oy = 2 * ty + i, x0 = 2 * tx;
    const int nx = d->w_out - x0 < 2 * n ? d->w_out - x0 : 2 * n;
    const size_t o = ((size_t)b * d->c_out + co) * hw + (size_t)oy * d->w_out + x0;
    if (oy >= d->h_out) break;
    if (j->residual)
      for (k = 0; k < nx; k++) j->out[o + k] = j->residual[o + k] + (y[i][k] + bv);
    else
      for (k = 0; k < nx; k++) j->out[o + k] = y[i][k] + bv;
  }
}

#if VAR_HAVE_X86_SIMD
VAR_TARGET_AVX2 static void wg_output_row_avx2(const wg_job *j, const wg_band *bd, int co, int t, float bv)
{
  const var_conv_desc *d = j->d;
  const size_t fstride = bd->mstride, hw = (size_t)d->h_out * d->w_out;
  const float *m = bd->m + (size_t)co * bd->n + (size_t)t * bd->ntxp;
  const int ty = bd->ty0 + t;
  const __m256 vb = _mm256_set1_ps(bv);
  int tx, i;
  for (tx = 0; tx < bd->ntx; tx += WG_VEC) {
    const int gx = bd->tx0 + tx;
    __m256 s[4][2], y[2][2];
    for (i = 0; i < 4; i++) {
      const float *p = m + (size_t)(4 * i) * fstride + tx;
      const __m256 m0 = _mm256_loadu_ps(p), m1 = _mm256_loadu_ps(p + fstride);
      const __m256 m2 = _mm256_loadu_ps(p + 2 * fstride), m3 = _mm256_loadu_ps(p + 3 * fstride);
      s[i][0] = _mm256_add_ps(_mm256_add_ps(m0, m1), m2);
      s[i][1] = _mm256_sub_ps(_mm256_sub_ps(m1, m2), m3);
    }
    for (i = 0; i < 2; i++) {
      y[0][i] = _mm256_add_ps(_mm256_add_ps(s[0][i], s[1][i]), s[2][i]);
      y[1][i] = _mm256_sub_ps(_mm256_sub_ps(s[1][i], s[2][i]), s[3][i]);
    }
    if (tx + WG_VEC <= bd->ntx && 2 * (gx + WG_VEC) <= d->w_out && 2 * ty + 1 < d->h_out) {
      for (i = 0; i < 2; i++) {
        /* interleave the two columns of the tiles: y(i, 0) y(i, 1) of tile gx, then gx + 1, ... */
        const __m256 lo = _mm256_unpacklo_ps(y[i][0], y[i][1]), hi = _mm256_unpackhi_ps(y[i][0], y[i][1]);
        __m256 r0 = _mm256_add_ps(_mm256_permute2f128_ps(lo, hi, 0x20), vb);
        __m256 r1 = _mm256_add_ps(_mm256_permute2f128_ps(lo, hi, 0x31), vb);
        const size_t o = ((size_t)bd->b * d->c_out + co) * hw + (size_t)(2 * ty + i) * d->w_out + 2 * gx;
        if (j->residual) {
          r0 = _mm256_add_ps(_mm256_loadu_ps(j->residual + o), r0);
          r1 = _mm256_add_ps(_mm256_loadu_ps(j->residual + o + 8), r1);
        }
        _mm256_storeu_ps(j->out + o, r0);
        _mm256_storeu_ps(j->out + o + 8, r1);
      }
    } else {
      float yv[2][2 * WG_VEC], c0[WG_VEC], c1[WG_VEC];
      int k;
      for (i = 0; i < 2; i++) {
        _mm256_storeu_ps(c0, y[i][0]);
        _mm256_storeu_ps(c1, y[i][1]);
        for (k = 0; k < WG_VEC; k++) {
          yv[i][2 * k] = c0[k];
          yv[i][2 * k + 1] = c1[k];
        }
      }
      wg_store(j, bd->b, co, ty, gx, bd->ntx - tx < WG_VEC ? bd->ntx - tx : WG_VEC,
               (const float(*)[2 * WG_VEC])yv, bv);
    }
  }
}
#endif

static void wg_output_row(const wg_job *j, const wg_band *bd, int co, int t, float bv)
{
  const size_t fstride = bd->mstride;
  const float *m = bd->m + (size_t)co * bd->n + (size_t)t * bd->ntxp;
  int tx, i;
  for (tx = 0; tx < bd->ntx; tx++) {
    float s[4][2], y[2][2 * WG_VEC];
    for (i = 0; i < 4; i++) {
      const float *p = m + (size_t)(4 * i) * fstride + tx;
      s[i][0] = (p[0] + p[fstride]) + p[2 * fstride];
      s[i][1] = (p[fstride] - p[2 * fstride]) - p[3 * fstride];
    }
    for (i = 0; i < 2; i++) {
      y[0][i] = (s[0][i] + s[1][i]) + s[2][i];
      y[1][i] = (s[1][i] - s[2][i]) - s[3][i];
    }
    wg_store(j, bd->b, co, bd->ty0 + t, bd->tx0 + tx, 1, (const float(*)[2 * WG_VEC])y, bv);
  }
}

/* Output channels [co0, co1) of the band from M. */
static void wg_output(const wg_job *j, const wg_band *bd, int co0, int co1)
{
  int co, t;
  for (co = co0; co < co1; co++) {
    const float bv = j->bias ? j->bias[co] : 0.0f;
    for (t = 0; t < bd->nty; t++) {
#if VAR_HAVE_X86_SIMD
      if (j->avx2) {
        wg_output_row_avx2(j, bd, co, t, bv);
        continue;
      }
#endif
      wg_output_row(j, bd, co, t, bv);
    }
  }
}

/* ---- bands ------------------------------------------------------------------- */

/* Floats between the 16 frequency planes of V or M: at least `floats`, a
 * multiple of 16 (64 bytes) and an odd one, so that the transforms' 16 streams
 * fall into different cache sets (planes a multiple of 4 KiB apart, as
 * 160 channels x 384 tiles are, would all map to the same L1 set). */
static size_t wg_plane_stride(size_t floats)
{
  floats = (floats + 15) / 16 * 16;
  return floats / 16 % 2 ? floats : floats + 16;
}

/* Band k (of all batch items) with its scratch pointers. */
static void wg_band_at(const wg_job *j, int64_t k, float *v, float *m, float *eo, wg_band *bd)
{
  const int per_row = (j->tw + j->band_cols - 1) / j->band_cols;   /* bands per tile row (1 for whole rows) */
  const int i = (int)(k % j->n_bands);
  bd->b = (int)(k / j->n_bands);
  if (per_row > 1) {
    bd->ty0 = i / per_row;
    bd->nty = 1;
    bd->tx0 = i % per_row * j->band_cols;
  } else {
    bd->ty0 = i * j->band_rows;
    bd->nty = j->th - bd->ty0 < j->band_rows ? j->th - bd->ty0 : j->band_rows;
    bd->tx0 = 0;
  }
  bd->ntx = j->tw - bd->tx0 < j->band_cols ? j->tw - bd->tx0 : j->band_cols;
  bd->ntxp = (bd->ntx + WG_VEC - 1) / WG_VEC * WG_VEC;
  bd->n = bd->nty * bd->ntxp;
  bd->n_chunks = (bd->n + WG_GEMM_N - 1) / WG_GEMM_N;
  bd->eo_len = (j->band_cols + WG_VEC - 1) / WG_VEC * WG_VEC + WG_VEC;
  bd->vstride = wg_plane_stride((size_t)j->d->c_in * bd->n);
  bd->mstride = wg_plane_stride((size_t)j->d->c_out * bd->n);
  bd->v = v;
  bd->m = m;
  bd->eo = eo;
  bd->eo_stride = j->thread_floats;
}

/* Private bands: each task transforms, multiplies and writes whole bands on
 * its thread's scratch, which stays in that core's caches. */
static void wg_private_bands(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_job *j = arg;
  float *v = j->scratch + (size_t)thread * j->thread_floats, *m = v + j->v_floats, *eo = m + j->m_floats;
  int64_t k;
  for (k = begin; k < end; k++) {
    wg_band bd;
    wg_band_at(j, k, v, m, eo, &bd);
    wg_input(j, &bd, 0, j->d->c_in, eo);
    wg_gemm(j, &bd, 0, WG_F * bd.n_chunks);
    wg_output(j, &bd, 0, j->d->c_out);
  }
}

/* Shared bands: one band at a time, each pass split over the threads. */
typedef struct {
  const wg_job *j;
  wg_band bd;
} wg_pass;

static void wg_pass_input(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_pass *p = arg;
  wg_input(p->j, &p->bd, (int)begin, (int)end, p->bd.eo + (size_t)thread * p->bd.eo_stride);
}

static void wg_pass_gemm(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_pass *p = arg;
  (void)thread;
  wg_gemm(p->j, &p->bd, (int)begin, (int)end);
}

static void wg_pass_output(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_pass *p = arg;
  (void)thread;
  wg_output(p->j, &p->bd, (int)begin, (int)end);
}

/* ---- driver ------------------------------------------------------------------ */

/* U of the weights: the backend's kept copy for checkpoint weights (made on
 * first use), else made into *tmp, which the caller frees. */
static var_status wg_filters(var_backend *be, const var_conv_desc *d, var_dptr w, const float **u, float **tmp)
{
  const size_t n_u = var_size_mul3(WG_F, (size_t)d->c_out, (size_t)d->c_in);
  wg_filter_job fj;
  float *made = NULL;
  var_status s;
  const int keep = cpu_tune(be)->wg_keep;
  *tmp = NULL;
  *u = keep ? var_cpu_derived_find(be, w, WG_DERIVED_TAG) : NULL;
  if (*u) return VAR_OK;
  s = var_alloc(be->ctx, var_size_mul(n_u, sizeof(float)), (void **)&made);
  if (s != VAR_OK) return s;
  fj.w = cpu_f32(w);
  fj.u = made;
  fj.c_out = d->c_out;
  fj.c_in = d->c_in;
  var_parallel_for(cpu_pool(be), d->c_out, 1 + 4096 / (16 * d->c_in), wg_filter_rows, &fj);
  if (!keep || !var_cpu_derived_keep(be, w, WG_DERIVED_TAG, made, n_u * sizeof(float))) *tmp = made;
  *u = made;
  return VAR_OK;
}

/* Band sizes (from the layer's shape only).  Private bands when a band of
 * WG_PRIVATE_FLOATS still has WG_PRIVATE_MIN_TILES tiles (wide maps, few
 * channels); otherwise shared bands of WG_SHARED_FLOATS (deep layers on small
 * maps, whose GEMMs need all the tiles there are to amortise their packing). */
static void wg_plan(wg_job *j, const var_cpu_tuning *t)
{
  const var_conv_desc *d = j->d;
  const size_t per_tile = (size_t)WG_F * ((size_t)d->c_in + d->c_out);
  const int mode = t->wg_mode;
  size_t budget = (t->wg_private_kib >= 0 ? (size_t)t->wg_private_kib : WG_PRIVATE_FLOATS / 256) * 256;
  int tiles = (int)(budget / per_tile), n;
  j->private_bands = mode >= 0 ? mode : tiles >= WG_PRIVATE_MIN_TILES;
  if (!j->private_bands) {
    budget = (t->wg_shared_kib >= 0 ? (size_t)t->wg_shared_kib : WG_SHARED_FLOATS / 256) * 256;
    tiles = (int)(budget / per_tile);
  }
  if (tiles < WG_VEC) tiles = WG_VEC;
  if (tiles >= j->tw || !j->private_bands) {
    /* whole tile rows, evened out */
    j->band_cols = j->tw;
    j->band_rows = tiles / ((j->tw + WG_VEC - 1) / WG_VEC * WG_VEC);
    /* private bands are the only split: at least WG_MIN_BANDS of them where the
     * map has the rows (a 32x32 map of 96 channels would otherwise be one task) */
    if (j->private_bands && j->band_rows > (j->th + WG_MIN_BANDS - 1) / WG_MIN_BANDS)
      j->band_rows = (j->th + WG_MIN_BANDS - 1) / WG_MIN_BANDS;
    if (j->band_rows < 1) j->band_rows = 1;
    if (j->band_rows > j->th) j->band_rows = j->th;
    n = (j->th + j->band_rows - 1) / j->band_rows;
    j->band_rows = (j->th + n - 1) / n;
    j->n_bands = (j->th + j->band_rows - 1) / j->band_rows;
  } else {
    /* parts of a tile row, evened out, whole vectors */
    j->band_rows = 1;
    n = (j->tw + tiles - 1) / tiles;
    j->band_cols = ((j->tw + n - 1) / n + WG_VEC - 1) / WG_VEC * WG_VEC;
    j->n_bands = j->th * ((j->tw + j->band_cols - 1) / j->band_cols);
  }
}

var_status var_conv2d_winograd(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                               var_dptr residual, var_dptr out)
{
  var_pool *pool = cpu_pool(be);
  const int threads = var_pool_size(pool);
  wg_job j;
  float *u_tmp = NULL;
  size_t band_tiles, total;
  var_status s;
  memset(&j, 0, sizeof j);
  j.d = d;
  j.in = cpu_f32(in);
  j.bias = cpu_f32(bias);
  j.residual = cpu_f32(residual);
  j.out = cpu_f32(out);
#if VAR_HAVE_X86_SIMD
  j.avx2 = cpu_avx2(be);
#endif
  j.tw = (d->w_out + 1) / 2;
  j.th = (d->h_out + 1) / 2;
  wg_plan(&j, cpu_tune(be));
  band_tiles = (size_t)j.band_rows * ((j.band_cols + WG_VEC - 1) / WG_VEC * WG_VEC);
  j.v_floats = (size_t)WG_F * wg_plane_stride((size_t)d->c_in * band_tiles);
  j.m_floats = (size_t)WG_F * wg_plane_stride((size_t)d->c_out * band_tiles);
  j.eo_floats = (size_t)(2 * j.band_rows + 2) * 2 * ((j.band_cols + WG_VEC - 1) / WG_VEC * WG_VEC + WG_VEC);
  j.thread_floats = ((j.private_bands ? j.v_floats + j.m_floats : 0) + j.eo_floats + 15) / 16 * 16;
  total = var_size_mul((size_t)threads, j.thread_floats);
  if (!j.private_bands) total += j.v_floats + j.m_floats;
  s = wg_filters(be, d, w, &j.u, &u_tmp);
  if (s == VAR_OK) s = var_alloc(be->ctx, var_size_mul(total, sizeof(float)), (void **)&j.scratch);
  if (s != VAR_OK) {
    var_free(u_tmp);
    return s;
  }
#ifdef VAR_HAVE_CBLAS
  var_cpu_blas_single_thread();
#endif
  if (j.private_bands) {
    var_parallel_for(pool, (int64_t)d->batch * j.n_bands, 1, wg_private_bands, &j);
  } else {
    float *v = j.scratch + (size_t)threads * j.thread_floats;
    wg_pass p;
    int64_t k;
    p.j = &j;
    for (k = 0; k < (int64_t)d->batch * j.n_bands; k++) {
      wg_band_at(&j, k, v, v + j.v_floats, j.scratch + (j.thread_floats - j.eo_floats), &p.bd);
      var_parallel_for(pool, d->c_in, 1 + 16384 / ((int64_t)p.bd.n * WG_F), wg_pass_input, &p);
      var_parallel_for(pool, (int64_t)WG_F * p.bd.n_chunks, 1, wg_pass_gemm, &p);
      var_parallel_for(pool, d->c_out, 1 + 16384 / ((int64_t)p.bd.n * WG_F), wg_pass_output, &p);
    }
  }
  var_free(j.scratch);
  var_free(u_tmp);
  return VAR_OK;
}

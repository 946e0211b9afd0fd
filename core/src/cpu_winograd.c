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
 * tolerances; F(4x4, 3x3) would save more but its larger transform constants
 * cost about 10x the error.
 *
 * The tiles are processed in bands of whole tile rows, sized so that the
 * transformed input and output of a band (16 x (c_in + c_out) x tiles floats)
 * stay within a few MiB; per band, three parallel passes: input transform (by
 * input channel), the 16 GEMMs (by frequency and column chunk), output
 * transform + bias (+ residual) (by output channel).  Band, chunk and every
 * sum's order depend only on the layer's shape, so results do not depend on the
 * thread count.
 *
 * The transformed filters of a constant buffer (checkpoint weights) are kept by
 * the backend (var_cpu_derived_keep) and made once; other weights are
 * transformed per call. */
#include "cpu_conv.h"

#include <string.h>

#ifdef VAR_HAVE_CBLAS
#include <cblas.h>
#endif
#if VAR_CONV_X86
#include <immintrin.h>
#endif

#define WG_F 16                 /* frequencies of a 4x4 transformed tile */
#define WG_VEC 8                /* tiles per vector: tile rows are padded to a multiple */
#define WG_BAND_FLOATS (1u << 21)   /* V + M of one band: 8 MiB (more bands if one tile row exceeds it: never) */
#define WG_GEMM_N 512           /* GEMM columns (tiles) per call */
#define WG_DERIVED_TAG 0x57473233   /* "WG23": the derived-data tag of U */

typedef struct {
  const var_conv_desc *d;
  const float *in, *u, *bias, *residual;   /* u: [16][c_out][c_in] */
  float *out;
  int tw, th, twp;      /* tiles per row, tile rows, tiles per row padded to WG_VEC */
  int band_rows;        /* tile rows per band */
  int b, ty0, nty;      /* the band in progress: batch item, first tile row, tile rows */
  int n;                /* its columns: nty * twp */
  int n_chunks;         /* GEMM calls per frequency */
  float *v, *m;         /* [16][c_in][n], [16][c_out][n] */
  float *eo;            /* per thread: the band's input rows of one channel, deinterleaved */
  size_t eo_floats;
  int eo_len;           /* floats per deinterleaved half-row (E or O) */
  int avx2;
} wg_job;

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

#if VAR_CONV_X86
/* E[i..i+7] and O[i..i+7] are the even and odd elements of x[2i-1 .. 2i+14]:
 * splits them from i = 1 on while those lie inside the row; returns the next i. */
VAR_CONV_AVX2 static int wg_split_avx2(const float *x, int w, float *e, float *o)
{
  int i = 1;
  for (; 2 * i + 14 < w; i += 8) {
    const __m256 a = _mm256_loadu_ps(x + 2 * i - 1), b = _mm256_loadu_ps(x + 2 * i + 7);
    const __m256 ev = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(2, 0, 2, 0));
    const __m256 od = _mm256_shuffle_ps(a, b, _MM_SHUFFLE(3, 1, 3, 1));
    _mm256_storeu_ps(e + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(ev), 0xD8)));
    _mm256_storeu_ps(o + i, _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(od), 0xD8)));
  }
  return i;
}
#endif

/* E and O (eo_len floats each, zero past the row) of input row iy of plane x. */
static void wg_split_row(const wg_job *j, const float *x, int iy, float *e, float *o)
{
  const int w = j->d->w_in;
  int i = 1;
  memset(e, 0, sizeof(float) * (size_t)j->eo_len);
  memset(o, 0, sizeof(float) * (size_t)j->eo_len);
  if (iy < 0 || iy >= j->d->h_in) return;
  x += (size_t)iy * w;
  o[0] = x[0];
#if VAR_CONV_X86
  if (j->avx2) i = wg_split_avx2(x, w, e, o);
#endif
  for (; 2 * i - 1 < w; i++) {
    e[i] = x[2 * i - 1];
    if (2 * i < w) o[i] = x[2 * i];
  }
}

#if VAR_CONV_X86
VAR_CONV_AVX2 static void wg_input_tiles_avx2(const wg_job *j, const float *const rows[4][2], float *v,
                                              size_t fstride)
{
  int tx, r;
  for (tx = 0; tx < j->twp; tx += WG_VEC) {
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

static void wg_input_tiles(const wg_job *j, const float *const rows[4][2], float *v, size_t fstride)
{
  int tx, r;
  for (tx = 0; tx < j->twp; tx++) {
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

/* Input channels [begin, end) of the band into V. */
static void wg_input(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_job *j = arg;
  const var_conv_desc *d = j->d;
  const int n_rows = 2 * j->nty + 2;   /* padded input rows 2 ty0 .. 2 (ty0 + nty) + 1 */
  const size_t fstride = (size_t)d->c_in * j->n;
  float *eo = j->eo + (size_t)thread * j->eo_floats;
  int64_t ci;
  int r, t;
  for (ci = begin; ci < end; ci++) {
    const float *x = j->in + ((size_t)j->b * d->c_in + (size_t)ci) * d->h_in * d->w_in;
    for (r = 0; r < n_rows; r++)
      wg_split_row(j, x, 2 * j->ty0 - 1 + r, eo + (size_t)r * 2 * j->eo_len, eo + ((size_t)r * 2 + 1) * j->eo_len);
    for (t = 0; t < j->nty; t++) {
      const float *rows[4][2];
      float *v = j->v + (size_t)ci * j->n + (size_t)t * j->twp;
      for (r = 0; r < 4; r++) {
        rows[r][0] = eo + (size_t)(2 * t + r) * 2 * j->eo_len;
        rows[r][1] = rows[r][0] + j->eo_len;
      }
#if VAR_CONV_X86
      if (j->avx2) {
        wg_input_tiles_avx2(j, rows, v, fstride);
        continue;
      }
#endif
      wg_input_tiles(j, rows, v, fstride);
    }
  }
}

/* ---- the 16 GEMMs: M[f] = U[f] V[f] ------------------------------------------ */

static void wg_gemm(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_job *j = arg;
  const var_conv_desc *d = j->d;
  const int chunk = ((j->n + j->n_chunks - 1) / j->n_chunks + WG_VEC - 1) / WG_VEC * WG_VEC;
  int64_t t;
  (void)thread;
  for (t = begin; t < end; t++) {
    const int f = (int)(t / j->n_chunks), n0 = (int)(t % j->n_chunks) * chunk;
    const int nc = j->n - n0 < chunk ? j->n - n0 : chunk;
    const float *u = j->u + (size_t)f * d->c_out * d->c_in, *v = j->v + (size_t)f * d->c_in * j->n + n0;
    float *m = j->m + (size_t)f * d->c_out * j->n + n0;
    if (nc <= 0) continue;
#ifdef VAR_HAVE_CBLAS
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, d->c_out, nc, d->c_in, 1.0f, u, d->c_in, v, j->n, 0.0f,
                m, j->n);
#else
    /* inside a parallel_for the portable SGEMM runs on this thread alone */
    var_cpu_sgemm(NULL, 0, 0, d->c_out, nc, d->c_in, 1.0f, u, d->c_in, v, j->n, 0.0f, m, j->n);
#endif
  }
}

/* ---- output transform: Y = A^T M A, + bias (+ residual) ----------------------
 * A^T = [1 1 1 0; 0 1 -1 -1].  out = residual + (y + bias), as the other paths. */

/* Writes the 2 x 2n outputs y[i][..] (y[i][2k + jj] = output (i, jj) of tile k)
 * of n tiles from tile tx on, clipped to the map. */
static void wg_store(const wg_job *j, int co, int ty, int tx, int n, const float y[2][2 * WG_VEC], float bv)
{
  const var_conv_desc *d = j->d;
  const size_t hw = (size_t)d->h_out * d->w_out;
  int i, k;
  for (i = 0; i < 2; i++) {
    const int oy = 2 * ty + i, x0 = 2 * tx;
    const int nx = d->w_out - x0 < 2 * n ? d->w_out - x0 : 2 * n;
    const size_t o = ((size_t)j->b * d->c_out + co) * hw + (size_t)oy * d->w_out + x0;
    if (oy >= d->h_out) break;
    if (j->residual)
      for (k = 0; k < nx; k++) j->out[o + k] = j->residual[o + k] + (y[i][k] + bv);
    else
      for (k = 0; k < nx; k++) j->out[o + k] = y[i][k] + bv;
  }
}

#if VAR_CONV_X86
VAR_CONV_AVX2 static void wg_output_row_avx2(const wg_job *j, int co, int t, float bv)
{
  const var_conv_desc *d = j->d;
  const size_t fstride = (size_t)d->c_out * j->n, hw = (size_t)d->h_out * d->w_out;
  const float *m = j->m + (size_t)co * j->n + (size_t)t * j->twp;
  const int ty = j->ty0 + t;
  const __m256 vb = _mm256_set1_ps(bv);
  int tx, i;
  for (tx = 0; tx < j->tw; tx += WG_VEC) {
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
    if (2 * (tx + WG_VEC) <= d->w_out && 2 * ty + 1 < d->h_out) {
      for (i = 0; i < 2; i++) {
        /* interleave the two columns of the tiles: y(i, 0) y(i, 1) of tile tx, then tx + 1, ... */
        const __m256 lo = _mm256_unpacklo_ps(y[i][0], y[i][1]), hi = _mm256_unpackhi_ps(y[i][0], y[i][1]);
        __m256 r0 = _mm256_add_ps(_mm256_permute2f128_ps(lo, hi, 0x20), vb);
        __m256 r1 = _mm256_add_ps(_mm256_permute2f128_ps(lo, hi, 0x31), vb);
        const size_t o = ((size_t)j->b * d->c_out + co) * hw + (size_t)(2 * ty + i) * d->w_out + 2 * tx;
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
      wg_store(j, co, ty, tx, j->tw - tx < WG_VEC ? j->tw - tx : WG_VEC, (const float(*)[2 * WG_VEC])yv, bv);
    }
  }
}
#endif

static void wg_output_row(const wg_job *j, int co, int t, float bv)
{
  const size_t fstride = (size_t)j->d->c_out * j->n;
  const float *m = j->m + (size_t)co * j->n + (size_t)t * j->twp;
  int tx, i;
  for (tx = 0; tx < j->tw; tx++) {
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
    wg_store(j, co, j->ty0 + t, tx, 1, (const float(*)[2 * WG_VEC])y, bv);
  }
}

/* Output channels [begin, end) of the band from M. */
static void wg_output(void *arg, int64_t begin, int64_t end, int thread)
{
  const wg_job *j = arg;
  int64_t co;
  int t;
  (void)thread;
  for (co = begin; co < end; co++) {
    const float bv = j->bias ? j->bias[co] : 0.0f;
    for (t = 0; t < j->nty; t++) {
#if VAR_CONV_X86
      if (j->avx2) {
        wg_output_row_avx2(j, (int)co, t, bv);
        continue;
      }
#endif
      wg_output_row(j, (int)co, t, bv);
    }
  }
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
  *tmp = NULL;
  *u = var_cpu_derived_find(be, w, WG_DERIVED_TAG);
  if (*u) return VAR_OK;
  s = var_alloc(be->ctx, var_size_mul(n_u, sizeof(float)), (void **)&made);
  if (s != VAR_OK) return s;
  fj.w = cpu_f32(w);
  fj.u = made;
  fj.c_out = d->c_out;
  fj.c_in = d->c_in;
  var_parallel_for(cpu_pool(be), d->c_out, 1 + 4096 / (16 * d->c_in), wg_filter_rows, &fj);
  if (!var_cpu_derived_keep(be, w, WG_DERIVED_TAG, made, n_u * sizeof(float))) *tmp = made;
  *u = made;
  return VAR_OK;
}

var_status var_conv2d_winograd(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                               var_dptr residual, var_dptr out)
{
  var_pool *pool = cpu_pool(be);
  wg_job j;
  float *u_tmp = NULL, *scratch = NULL;
  size_t per_row, vm_floats, total;
  var_status s;
  memset(&j, 0, sizeof j);
  j.d = d;
  j.in = cpu_f32(in);
  j.bias = cpu_f32(bias);
  j.residual = cpu_f32(residual);
  j.out = cpu_f32(out);
#if VAR_CONV_X86
  j.avx2 = var_conv_use_avx2();
#endif
  j.tw = (d->w_out + 1) / 2;
  j.th = (d->h_out + 1) / 2;
  j.twp = (j.tw + WG_VEC - 1) / WG_VEC * WG_VEC;
  /* bands: as many tile rows as fit the budget, then evened out */
  per_row = (size_t)WG_F * ((size_t)d->c_in + d->c_out) * j.twp;
  j.band_rows = (int)(WG_BAND_FLOATS / per_row);
  if (j.band_rows < 1) j.band_rows = 1;
  if (j.band_rows > j.th) j.band_rows = j.th;
  {
    const int bands = (j.th + j.band_rows - 1) / j.band_rows;
    j.band_rows = (j.th + bands - 1) / bands;
  }
  j.eo_len = j.twp + WG_VEC;
  j.eo_floats = (size_t)(2 * j.band_rows + 2) * 2 * j.eo_len;
  vm_floats = per_row * j.band_rows;
  total = var_size_mul((size_t)var_pool_size(pool), j.eo_floats);
  if (total > (size_t)-1 - vm_floats) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "winograd: scratch too large");
  s = wg_filters(be, d, w, &j.u, &u_tmp);
  if (s == VAR_OK) s = var_alloc(be->ctx, var_size_mul(vm_floats + total, sizeof(float)), (void **)&scratch);
  if (s != VAR_OK) {
    var_free(u_tmp);
    return s;
  }
  j.v = scratch;
  j.m = j.v + (size_t)WG_F * d->c_in * j.band_rows * j.twp;
  j.eo = j.m + (size_t)WG_F * d->c_out * j.band_rows * j.twp;
#ifdef VAR_HAVE_CBLAS
  var_cpu_blas_single_thread();
#endif
  for (j.b = 0; j.b < d->batch; j.b++)
    for (j.ty0 = 0; j.ty0 < j.th; j.ty0 += j.band_rows) {
      j.nty = j.th - j.ty0 < j.band_rows ? j.th - j.ty0 : j.band_rows;
      j.n = j.nty * j.twp;
      j.n_chunks = (j.n + WG_GEMM_N - 1) / WG_GEMM_N;
      var_parallel_for(pool, d->c_in, 1 + 16384 / ((int64_t)j.n * WG_F), wg_input, &j);
      var_parallel_for(pool, (int64_t)WG_F * j.n_chunks, 1, wg_gemm, &j);
      var_parallel_for(pool, d->c_out, 1 + 16384 / ((int64_t)j.n * WG_F), wg_output, &j);
    }
  var_free(scratch);
  var_free(u_tmp);
  return VAR_OK;
}

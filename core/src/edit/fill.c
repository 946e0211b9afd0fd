/* fill.c — smooth fill of the masked part of the model's input before it is encoded,
 * and the same fill used afterwards to blend the decoded result in without a seam.
 *
 * An in-paint regenerates every token whose cell holds a masked pixel, but the
 * coarse scales it keeps (a coarse cell is kept when the mask covers less than
 * half of it, docs/algorithm.md §6) are encoded from the input, masked pixels included.
 * Whatever was under the mask (the object to remove, a flat placeholder colour)
 * therefore steers the colours and shapes of the hole.  Replacing those pixels by
 * a smooth continuation of their surroundings (what a harmonic "diffusion" fill
 * gives) first means the kept coarse scales see the surroundings' trend instead.
 *
 * The fill is push-pull with smoothing: a pyramid of 2x2 averages of the known
 * pixels is built up to the first level with nothing unknown; coming back down,
 * unknown pixels start from the bilinearly upsampled coarser level and are then
 * relaxed by Gauss-Seidel sweeps of the 4-neighbour average, known pixels fixed.
 * Each level only has to remove the error of a 2x upsampling, so a few sweeps per
 * level reach what plain Jacobi needs thousands of iterations for (multigrid). */
#include <math.h>
#include <string.h>

#include "edit/fill.h"

#define FILL_SWEEPS 12

typedef struct level {
  int n;         /* side */
  float *v;      /* 3 x n x n */
  float *w;      /* n x n, share of known pixels in [0, 1] */
} level;

/* Model pixels whose resampling taps (the rows and columns var_image_to_model
 * reads) touch a masked source pixel. */
static var_status unknown_pixels(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, var_window win, int S,
                                 uint8_t *unk)
{
  var_resample_plan py, px;
  int32_t *lo = NULL, *hi = NULL, *rowpre = NULL, *colcnt = NULL;
  int y0 = 0, y1 = -1, i, j, k, r;
  var_status st;
  double scale = (double)win.size / (double)S;

  memset(&py, 0, sizeof py);
  memset(&px, 0, sizeof px);
  st = var_resample_plan_init(ctx, &py, S, win.y, scale, H);
  if (st == VAR_OK) st = var_resample_plan_init(ctx, &px, S, win.x, scale, W);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(int32_t) * 4 * (size_t)S, (void **)&lo);
  if (st == VAR_OK) st = var_alloc(ctx, var_size_mul((size_t)W + 1, sizeof(int32_t)), (void **)&rowpre);
  if (st != VAR_OK) goto done;
  hi = lo + 2 * S;
  /* tap ranges: lo/hi[0..S) for rows, [S..2S) for columns (taps are contiguous) */
  for (k = 0; k < 2; k++) {
    const var_resample_plan *p = k ? &px : &py;
    for (i = 0; i < S; i++) {
      int a = 1 << 30, b = -1, t;
      for (t = 0; t < p->taps; t++) {
        int idx = p->index[(size_t)i * p->taps + t];
        if (p->weight[(size_t)i * p->taps + t] == 0.0f) continue;
        if (idx < a) a = idx;
        if (idx > b) b = idx;
      }
      if (b < 0) a = b = p->index[(size_t)i * p->taps];
      lo[k * S + i] = a;
      hi[k * S + i] = b;
      if (!k && (y1 < 0 || a < y0)) y0 = a;
      if (!k && b > y1) y1 = b;
    }
  }
  /* colcnt[(r - y0 + 1) * S + j]: source rows y0..r with a masked pixel in column range j */
  st = var_calloc(ctx, var_size_mul((size_t)(y1 - y0 + 2), (size_t)S), sizeof(int32_t), (void **)&colcnt);
  if (st != VAR_OK) goto done;
  for (r = y0; r <= y1; r++) {
    const uint8_t *row = mask + (size_t)r * stride;
    int32_t *prev = colcnt + (size_t)(r - y0) * S, *cur = prev + S;
    rowpre[0] = 0;
    for (i = 0; i < W; i++) rowpre[i + 1] = rowpre[i] + (row[i] != 0);
    for (j = 0; j < S; j++) cur[j] = prev[j] + (rowpre[hi[S + j] + 1] - rowpre[lo[S + j]] > 0);
  }
  for (i = 0; i < S; i++) {
    const int32_t *a = colcnt + (size_t)(lo[i] - y0) * S, *b = colcnt + (size_t)(hi[i] - y0 + 1) * S;
    for (j = 0; j < S; j++) unk[(size_t)i * S + j] = b[j] - a[j] > 0;
  }
done:
  var_free(lo);
  var_free(rowpre);
  var_free(colcnt);
  var_resample_plan_free(&py);
  var_resample_plan_free(&px);
  return st;
}

/* Gauss-Seidel sweeps of the 4-neighbour average over the pixels of `lv` that
 * are not fully known (edges repeat). */
static void relax(level *lv)
{
  const int n = lv->n;
  const size_t plane = (size_t)n * n;
  int it, y, x, c;
  for (it = 0; it < FILL_SWEEPS; it++)
    for (y = 0; y < n; y++)
      for (x = 0; x < n; x++) {
        size_t o = (size_t)y * n + x;
        size_t up = y > 0 ? o - n : o, dn = y < n - 1 ? o + n : o, lf = x > 0 ? o - 1 : o, rt = x < n - 1 ? o + 1 : o;
        if (lv->w[o] >= 1.0f) continue;
        for (c = 0; c < 3; c++) {
          float *v = lv->v + c * plane;
          v[o] = 0.25f * (v[up] + v[dn] + v[lf] + v[rt]);
        }
      }
}

var_status var_fill_masked(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, var_window win, int S,
                           float *planar, int *n_filled)
{
  level lv[32];
  uint8_t *unk = NULL;
  int n_lv = 0, l, i, y, x, c, count = 0;
  var_status st;

  if (n_filled) *n_filled = 0;
  memset(lv, 0, sizeof lv);
  st = var_alloc(ctx, var_size_mul((size_t)S, (size_t)S), (void **)&unk);
  if (st == VAR_OK) st = unknown_pixels(ctx, mask, stride, W, H, win, S, unk);
  if (st != VAR_OK) goto done;
  for (i = 0; i < S * S; i++) count += unk[i];
  if (!count) goto done;

  /* level 0 is the model input itself */
  lv[0].n = S;
  lv[0].v = planar;
  st = var_alloc(ctx, sizeof(float) * (size_t)S * S, (void **)&lv[0].w);
  if (st != VAR_OK) goto done;
  for (i = 0; i < S * S; i++) lv[0].w[i] = unk[i] ? 0.0f : 1.0f;
  n_lv = 1;
  /* push: known-weighted 2x2 averages until a level has no unknown pixel or is 1x1 */
  for (;;) {
    level *f = &lv[n_lv - 1], *g = &lv[n_lv];
    int any_unknown = 0;
    for (i = 0; i < f->n * f->n; i++) any_unknown |= f->w[i] <= 0.0f;
    if (!any_unknown || f->n == 1 || n_lv == 32) break;
    g->n = (f->n + 1) / 2;
    st = var_alloc(ctx, sizeof(float) * 4 * (size_t)g->n * g->n, (void **)&g->v);
    if (st != VAR_OK) goto done;
    g->w = g->v + 3 * (size_t)g->n * g->n;
    n_lv++;
    for (y = 0; y < g->n; y++)
      for (x = 0; x < g->n; x++) {
        float ws = 0, vs[3] = { 0, 0, 0 };
        int dy, dx, taps = 0;
        for (dy = 0; dy < 2; dy++)
          for (dx = 0; dx < 2; dx++) {
            int sy = 2 * y + dy, sx = 2 * x + dx;
            size_t o;
            if (sy >= f->n || sx >= f->n) continue;
            o = (size_t)sy * f->n + sx;
            taps++;
            ws += f->w[o];
            for (c = 0; c < 3; c++) vs[c] += f->w[o] * f->v[c * (size_t)f->n * f->n + o];
          }
        for (c = 0; c < 3; c++) g->v[c * (size_t)g->n * g->n + (size_t)y * g->n + x] = ws > 0 ? vs[c] / ws : 0.0f;
        g->w[(size_t)y * g->n + x] = ws / (float)taps;
      }
  }
  /* the coarsest level: pixels with nothing known below them take the mean of the
   * known ones (0, mid grey, when the whole window is masked) */
  {
    level *t = &lv[n_lv - 1];
    const size_t plane = (size_t)t->n * t->n;
    double ws = 0, vs[3] = { 0, 0, 0 };
    for (i = 0; i < (int)plane; i++) {
      ws += t->w[i];
      for (c = 0; c < 3; c++) vs[c] += (double)t->w[i] * t->v[c * plane + i];
    }
    for (i = 0; i < (int)plane; i++)
      if (t->w[i] <= 0.0f)
        for (c = 0; c < 3; c++) t->v[c * plane + i] = ws > 0 ? (float)(vs[c] / ws) : 0.0f;
    relax(t);
  }
  /* pull: unknown pixels start from the bilinear upsampling of the coarser level */
  for (l = n_lv - 2; l >= 0; l--) {
    level *f = &lv[l], *g = &lv[l + 1];
    const size_t fp = (size_t)f->n * f->n, gp = (size_t)g->n * g->n;
    for (y = 0; y < f->n; y++) {
      float sy = (y + 0.5f) * 0.5f - 0.5f, ly;
      int y0, y1;
      if (sy < 0) sy = 0;
      y0 = (int)sy;
      y1 = y0 + 1 < g->n ? y0 + 1 : y0;
      ly = sy - (float)y0;
      for (x = 0; x < f->n; x++) {
        size_t o = (size_t)y * f->n + x;
        float sx = (x + 0.5f) * 0.5f - 0.5f, lx;
        int x0, x1;
        if (f->w[o] > 0.0f) continue;   /* partly known pixels keep their own average */
        if (sx < 0) sx = 0;
        x0 = (int)sx;
        x1 = x0 + 1 < g->n ? x0 + 1 : x0;
        lx = sx - (float)x0;
        for (c = 0; c < 3; c++) {
          const float *gv = g->v + c * gp;
          float top = gv[(size_t)y0 * g->n + x0] * (1 - lx) + gv[(size_t)y0 * g->n + x1] * lx;
          float bot = gv[(size_t)y1 * g->n + x0] * (1 - lx) + gv[(size_t)y1 * g->n + x1] * lx;
          f->v[c * fp + o] = top * (1 - ly) + bot * ly;
        }
      }
    }
    relax(f);
  }
  if (n_filled) *n_filled = count;
done:
  for (l = 1; l < n_lv; l++) var_free(lv[l].v);
  var_free(lv[0].w);
  var_free(unk);
  return st;
}

var_status var_fill_seamless(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, var_window win, int S,
                             const float *in, float *gen)
{
  const size_t n = var_size_mul3(3, (size_t)S, (size_t)S);
  float *r = NULL;
  size_t i;
  var_status st = var_alloc(ctx, var_size_mul(n, sizeof(float)), (void **)&r);
  if (st != VAR_OK) return st;
  /* the decoder's miss on the kept pixels (input in [-1, 1], output in [0, 1]) */
  for (i = 0; i < n; i++) r[i] = 0.5f * (in[i] + 1.0f) - gen[i];
  st = var_fill_masked(ctx, mask, stride, W, H, win, S, r, NULL);
  if (st == VAR_OK)
    for (i = 0; i < n; i++) {
      float v = gen[i] + r[i];
      gen[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
  var_free(r);
  return st;
}

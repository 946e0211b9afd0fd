/* window.c — context windows and token keep-masks (see window.h). */
#include "edit/window.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int imax(int a, int b) { return a > b ? a : b; }
static int imin(int a, int b) { return a < b ? a : b; }

int var_window_auto_margin(int side, int S)
{
  return imax((side + 1) / 2, S / 8);
}

/* Start of a window of size D on an axis of length n that must contain [b0, b0 + bn). */
static int place(int b0, int bn, int D, int n)
{
  int w;
  if (D > n) return -((D - n + 1) / 2);     /* centred: equal padding on both sides */
  w = b0 + bn / 2 - D / 2;
  if (w < 0) w = 0;
  if (w > n - D) w = n - D;
  return w;
}

var_window var_window_for_box(var_rect bbox, int W, int H, int margin)
{
  var_window win;
  int side0 = imax(bbox.w, bbox.h), big = imax(W, H), small = imin(W, H);
  int64_t D = (int64_t)side0 + 2 * (int64_t)(margin > 0 ? margin : 0);
  if (D > big) D = big;
  /* Past the smaller side the window holds only repeated edge pixels, which
   * help the model less than a tighter crop does. */
  if (D > small) D = imax(side0, small);
  if (D < 1) D = 1;
  win.size = (int)D;
  win.x = place(bbox.x, bbox.w, win.size, W);
  win.y = place(bbox.y, bbox.h, win.size, H);
  return win;
}

var_window var_window_for_mask_box(var_rect bbox, int W, int H, int S, int margin)
{
  if (margin < 0) margin = var_window_auto_margin(imax(bbox.w, bbox.h), S);
  return var_window_for_box(bbox, W, H, margin);
}

static int find_root(int32_t *parent, int32_t i)
{
  while (parent[i] != i) {
    parent[i] = parent[parent[i]];
    i = parent[i];
  }
  return i;
}

static void unite(int32_t *parent, int32_t a, int32_t b)
{
  a = find_root(parent, a);
  b = find_root(parent, b);
  if (a != b) parent[a < b ? b : a] = a < b ? a : b;
}

static var_rect rect_union(var_rect a, var_rect b)
{
  var_rect r;
  int x1 = imax(a.x + a.w, b.x + b.w), y1 = imax(a.y + a.h, b.y + b.h);
  r.x = imin(a.x, b.x);
  r.y = imin(a.y, b.y);
  r.w = x1 - r.x;
  r.h = y1 - r.y;
  return r;
}

static int windows_overlap(var_rect a, var_rect b, int W, int H, int S, int margin)
{
  var_window wa = var_window_for_mask_box(a, W, H, S, margin), wb = var_window_for_mask_box(b, W, H, S, margin);
  var_rect img = { 0, 0, W, H }, ra = { wa.x, wa.y, wa.size, wa.size }, rb = { wb.x, wb.y, wb.size, wb.size }, t;
  /* only the parts inside the image matter: padding is never written */
  var_rect_intersect(ra, img, &ra);
  var_rect_intersect(rb, img, &rb);
  return var_rect_intersect(ra, rb, &t);
}

static int cmp_rect(const void *pa, const void *pb)
{
  const var_rect *a = pa, *b = pb;
  if (a->y != b->y) return a->y < b->y ? -1 : 1;
  return a->x < b->x ? -1 : a->x > b->x;
}

var_status var_mask_clusters(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, int S, int margin,
                             var_rect **boxes, int *n)
{
  int gs = imax(1, (imax(W, H) + 511) / 512), GW = (W + gs - 1) / gs, GH = (H + gs - 1) / gs, x, y, i, j, nb = 0, merged;
  int32_t *parent = NULL, *slot = NULL;
  uint8_t *occ = NULL;
  var_rect *b = NULL, all;
  var_status st;

  *boxes = NULL;
  *n = 0;
  if (!var_mask_bbox(mask, stride, W, H, &all)) return VAR_OK;
  st = var_alloc(ctx, sizeof(var_rect) * VAR_MAX_CLUSTERS, (void **)&b);
  if (st == VAR_OK) st = var_calloc(ctx, (size_t)GW * GH, 1, (void **)&occ);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(int32_t) * (size_t)GW * GH, (void **)&parent);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(int32_t) * (size_t)GW * GH, (void **)&slot);
  if (st != VAR_OK) goto done;
  for (y = all.y; y < all.y + all.h; y++) {
    const uint8_t *row = mask + (size_t)y * stride;
    for (x = all.x; x < all.x + all.w; x++)
      if (row[x]) occ[(y / gs) * GW + x / gs] = 1;
  }
  for (i = 0; i < GW * GH; i++) parent[i] = i;
  for (y = 0; y < GH; y++)
    for (x = 0; x < GW; x++) {
      int c = y * GW + x;
      if (!occ[c]) continue;
      if (x > 0 && occ[c - 1]) unite(parent, c, c - 1);
      if (y > 0) {
        if (occ[c - GW]) unite(parent, c, c - GW);
        if (x > 0 && occ[c - GW - 1]) unite(parent, c, c - GW - 1);
        if (x < GW - 1 && occ[c - GW + 1]) unite(parent, c, c - GW + 1);
      }
    }
  /* grid bounding box of each part */
  for (i = 0; i < GW * GH; i++) slot[i] = -1;
  for (y = 0; y < GH && nb <= VAR_MAX_CLUSTERS; y++)
    for (x = 0; x < GW; x++) {
      int c = y * GW + x, r;
      var_rect cell = { x * gs, y * gs, gs, gs };
      if (!occ[c]) continue;
      r = find_root(parent, c);
      if (slot[r] < 0) {
        if (nb == VAR_MAX_CLUSTERS) {
          nb++;
          break;
        }
        slot[r] = nb;
        b[nb++] = cell;
      } else {
        b[slot[r]] = rect_union(b[slot[r]], cell);
      }
    }
  if (nb > VAR_MAX_CLUSTERS) {
    b[0] = all;
    nb = 1;
  } else {
    /* exact pixel boxes inside the grid boxes */
    var_rect img = { 0, 0, W, H };
    for (i = 0; i < nb; i++) {
      var_rect t;
      var_rect_intersect(b[i], img, &b[i]);
      var_mask_bbox(mask + (size_t)b[i].y * stride + b[i].x, stride, b[i].w, b[i].h, &t);
      t.x += b[i].x;
      t.y += b[i].y;
      b[i] = t;
    }
  }
  /* merge while windows overlap (at most 64 boxes, so the simple way is fine) */
  do {
    merged = 0;
    for (i = 0; i < nb && !merged; i++)
      for (j = i + 1; j < nb && !merged; j++)
        if (windows_overlap(b[i], b[j], W, H, S, margin)) {
          b[i] = rect_union(b[i], b[j]);
          b[j] = b[--nb];
          merged = 1;
        }
  } while (merged);
  qsort(b, (size_t)nb, sizeof *b, cmp_rect);
  *boxes = b;
  *n = nb;
  b = NULL;
done:
  var_free(b);
  var_free(occ);
  var_free(parent);
  var_free(slot);
  return st;
}

int var_window_auto_grow(var_window win, int S, int cell)
{
  /* a quarter of a token cell, in image pixels */
  return (int)ceil((double)cell / 4.0 * (double)win.size / (double)S);
}

/* First and last image pixel (inclusive) of token cell c along an axis. */
static void cell_span(int c, int cell, int D, int S, int w0, int64_t *p0, int64_t *p1)
{
  int64_t a = (int64_t)c * cell * D, b = (int64_t)(c + 1) * cell * D;
  *p0 = w0 + a / S;
  *p1 = w0 + (b + S - 1) / S - 1;
}

var_status var_window_keep_mask(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, var_rect bbox,
                                var_window win, int S, int cell, int grow, float *keep, int *n_generate)
{
  int h = S / cell, cx, cy, y, x, ngen = 0;
  int32_t *prefix = NULL, *colpre = NULL;
  int64_t *x0 = NULL, *x1 = NULL;
  var_status st;

  (void)W;
  (void)H;
  if (n_generate) *n_generate = 0;
  for (cx = 0; cx < h * h; cx++) keep[cx] = 1.0f;
  if (bbox.w <= 0 || bbox.h <= 0) return VAR_OK;
  if (grow < 0) grow = 0;
  st = var_alloc(ctx, var_size_mul((size_t)bbox.w + 1, sizeof(int32_t)), (void **)&prefix);
  if (st == VAR_OK)
    st = var_calloc(ctx, var_size_mul((size_t)bbox.h + 1, (size_t)h), sizeof(int32_t), (void **)&colpre);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(int64_t) * 2 * (size_t)h, (void **)&x0);
  if (st != VAR_OK) goto done;
  x1 = x0 + h;
  for (cx = 0; cx < h; cx++) {
    cell_span(cx, cell, win.size, S, win.x, &x0[cx], &x1[cx]);
    x0[cx] -= grow;
    x1[cx] += grow;
  }
  /* colpre[(r+1)*h + cx]: rows 0..r of the box that have a masked pixel in column range of cell cx */
  for (y = 0; y < bbox.h; y++) {
    const uint8_t *row = mask + (size_t)(bbox.y + y) * stride + bbox.x;
    prefix[0] = 0;
    for (x = 0; x < bbox.w; x++) prefix[x + 1] = prefix[x] + (row[x] != 0);
    for (cx = 0; cx < h; cx++) {
      int64_t a = x0[cx] - bbox.x, b = x1[cx] - bbox.x + 1;   /* [a, b) in box columns */
      int hit;
      if (a < 0) a = 0;
      if (b > bbox.w) b = bbox.w;
      hit = b > a && prefix[b] - prefix[a] > 0;
      colpre[(size_t)(y + 1) * h + cx] = colpre[(size_t)y * h + cx] + hit;
    }
  }
  for (cy = 0; cy < h; cy++) {
    int64_t y0, y1, a, b;
    cell_span(cy, cell, win.size, S, win.y, &y0, &y1);
    a = y0 - grow - bbox.y;
    b = y1 + grow - bbox.y + 1;
    if (a < 0) a = 0;
    if (b > bbox.h) b = bbox.h;
    if (b <= a) continue;
    for (cx = 0; cx < h; cx++) {
      if (colpre[(size_t)b * h + cx] - colpre[(size_t)a * h + cx] > 0) {
        keep[cy * h + cx] = 0.0f;
        ngen++;
      }
    }
  }
  if (n_generate) *n_generate = ngen;
done:
  var_free(prefix);
  var_free(colpre);
  var_free(x0);
  return st;
}

int var_outpaint_window_size(int CW, int CH, int kw, int kh, int S)
{
  int D = imax(kw, kh);
  if (D < S) D = S;
  if (D > 2 * S) D = 2 * S;
  if (D > imax(CW, CH)) D = imax(CW, CH);
  return D < 1 ? 1 : D;
}

/* Window starts along an axis of length n: first at 0, last at n - D, at most D/2 apart. */
static int axis_positions(int n, int D, int *pos)
{
  int half = imax(1, D / 2), steps, k;
  if (n <= D) {
    pos[0] = -((D - n + 1) / 2);
    return 1;
  }
  steps = (n - D + half - 1) / half;
  for (k = 0; k <= steps; k++) pos[k] = (int)(((int64_t)k * (n - D) + steps / 2) / steps);
  return steps + 1;
}

typedef struct ordered_window {
  var_window w;
  double dist;
  int64_t overlap;
} ordered_window;

static int cmp_window(const void *pa, const void *pb)
{
  const ordered_window *a = pa, *b = pb;
  if (a->dist != b->dist) return a->dist < b->dist ? -1 : 1;
  if (a->overlap != b->overlap) return a->overlap > b->overlap ? -1 : 1;
  if (a->w.y != b->w.y) return a->w.y < b->w.y ? -1 : 1;
  return a->w.x < b->w.x ? -1 : a->w.x > b->w.x;
}

static double gap(int a0, int an, int b0, int bn)
{
  if (a0 + an <= b0) return (double)b0 - (a0 + an) + 1;
  if (b0 + bn <= a0) return (double)a0 - (b0 + bn) + 1;
  return 0;
}

var_status var_outpaint_windows(var_ctx *ctx, int CW, int CH, var_rect known, int size, var_window **out, int *count)
{
  int *px = NULL, *py = NULL, nx, ny, i, j, n;
  ordered_window *ow = NULL;
  var_status st;

  *out = NULL;
  *count = 0;
  if (size < 1) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "window size %d", size);
  st = var_alloc(ctx, sizeof(int) * ((size_t)CW / (size_t)imax(1, size / 2) + 3), (void **)&px);
  if (st == VAR_OK) st = var_alloc(ctx, sizeof(int) * ((size_t)CH / (size_t)imax(1, size / 2) + 3), (void **)&py);
  if (st != VAR_OK) goto done;
  nx = axis_positions(CW, size, px);
  ny = axis_positions(CH, size, py);
  n = nx * ny;
  st = var_alloc(ctx, var_size_mul((size_t)n, sizeof *ow), (void **)&ow);
  if (st != VAR_OK) goto done;
  for (j = 0; j < ny; j++) {
    for (i = 0; i < nx; i++) {
      ordered_window *o = &ow[j * nx + i];
      var_rect r = { px[i], py[j], size, size }, ov;
      o->w.x = px[i];
      o->w.y = py[j];
      o->w.size = size;
      if (known.w > 0 && known.h > 0) {
        double gx = gap(r.x, r.w, known.x, known.w), gy = gap(r.y, r.h, known.y, known.h);
        o->dist = sqrt(gx * gx + gy * gy);
        o->overlap = var_rect_intersect(r, known, &ov) ? (int64_t)ov.w * ov.h : 0;
      } else {
        o->dist = 0;
        o->overlap = 0;
      }
    }
  }
  qsort(ow, (size_t)n, sizeof *ow, cmp_window);
  st = var_alloc(ctx, var_size_mul((size_t)n, sizeof(var_window)), (void **)out);
  if (st != VAR_OK) goto done;
  for (i = 0; i < n; i++) (*out)[i] = ow[i].w;
  *count = n;
done:
  var_free(px);
  var_free(py);
  var_free(ow);
  return st;
}

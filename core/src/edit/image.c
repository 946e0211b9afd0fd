/* image.c — resampling, compositing and mask geometry for the image-level API. */
#include "edit/image.h"
#include "threads.h"

#include <math.h>
#include <string.h>

#define VAR_PI 3.14159265358979323846
#define LANCZOS_A 3

/* Lanczos-3 with exact zeros at non-zero integers and exactly 1 at 0, so that
 * a same-size, pixel-aligned plan copies its input bit for bit. */
static double lanczos3(double x)
{
  double px;
  if (x < 0) x = -x;
  if (x < 1e-12) return 1.0;
  if (x >= LANCZOS_A) return 0.0;
  if (fabs(x - floor(x + 0.5)) < 1e-12) return 0.0;
  px = VAR_PI * x;
  return LANCZOS_A * sin(px) * sin(px / LANCZOS_A) / (px * px);
}

void var_resample_plan_free(var_resample_plan *plan)
{
  if (!plan) return;
  var_free(plan->index);
  var_free(plan->weight);
  memset(plan, 0, sizeof *plan);
}

var_status var_resample_plan_init(var_ctx *ctx, var_resample_plan *plan, int n_out, double offset, double scale,
                                  int n_in)
{
  double widen, support;
  int taps, i, k;
  var_status st;

  memset(plan, 0, sizeof *plan);
  if (n_out <= 0 || n_in <= 0 || !(scale > 0) || !isfinite(offset) || scale > 1e6)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "resampling %d -> %d pixels with scale %g is not possible", n_in,
                    n_out, scale);
  widen = scale > 1.0 ? scale : 1.0;
  support = LANCZOS_A * widen;
  taps = (int)ceil(2.0 * support) + 2;
  plan->n_out = n_out;
  plan->taps = taps;
  st = var_alloc(ctx, var_size_mul3((size_t)n_out, (size_t)taps, sizeof(int32_t)), (void **)&plan->index);
  if (st == VAR_OK)
    st = var_alloc(ctx, var_size_mul3((size_t)n_out, (size_t)taps, sizeof(float)), (void **)&plan->weight);
  if (st != VAR_OK) {
    var_resample_plan_free(plan);
    return st;
  }
  for (i = 0; i < n_out; i++) {
    double c = offset + (i + 0.5) * scale;   /* centre of output pixel i in source coordinates */
    double first = floor(c - 0.5 - support);
    double sum = 0.0;
    int32_t *idx = plan->index + (size_t)i * taps;
    float *wt = plan->weight + (size_t)i * taps;
    for (k = 0; k < taps; k++) {
      double j = first + k;
      double v = lanczos3((j + 0.5 - c) / widen);
      long long jj = (long long)j;
      if (jj < 0) jj = 0;
      if (jj > n_in - 1) jj = n_in - 1;
      idx[k] = (int32_t)jj;
      wt[k] = (float)v;
      sum += (float)v;
    }
    if (!(sum > 0)) sum = 1.0;
    for (k = 0; k < taps; k++) wt[k] = (float)((double)wt[k] / sum);
  }
  return VAR_OK;
}

/* ---- image window -> model input ------------------------------------------ */

typedef struct to_model_job {
  const var_image *img;
  const var_resample_plan *py, *px;
  int S, col0, ncols;
  float fill[3];         /* what transparent pixels look like to the model */
  float *scratch;        /* per thread: ncols * 3 */
  float *out;
} to_model_job;

static void to_model_rows(void *arg, int64_t begin, int64_t end, int thread)
{
  to_model_job *j = arg;
  float *tmp = j->scratch + (size_t)thread * (size_t)j->ncols * 3;
  const size_t plane = (size_t)j->S * (size_t)j->S;
  int64_t i;
  for (i = begin; i < end; i++) {
    const int32_t *iy = j->py->index + (size_t)i * j->py->taps;
    const float *wy = j->py->weight + (size_t)i * j->py->taps;
    int k, c, o;
    memset(tmp, 0, sizeof(float) * (size_t)j->ncols * 3);
    for (k = 0; k < j->py->taps; k++) {
      const uint8_t *row = j->img->data + (size_t)iy[k] * (size_t)j->img->stride + (size_t)j->col0 * 4;
      float w = wy[k];
      if (w == 0.0f) continue;
      for (c = 0; c < j->ncols; c++) {
        if (row[4 * c + 3] == 0) {
          tmp[3 * c + 0] += w * j->fill[0];
          tmp[3 * c + 1] += w * j->fill[1];
          tmp[3 * c + 2] += w * j->fill[2];
          continue;
        }
        tmp[3 * c + 0] += w * ((float)row[4 * c + 0] / 255.0f);
        tmp[3 * c + 1] += w * ((float)row[4 * c + 1] / 255.0f);
        tmp[3 * c + 2] += w * ((float)row[4 * c + 2] / 255.0f);
      }
    }
    for (o = 0; o < j->S; o++) {
      const int32_t *ix = j->px->index + (size_t)o * j->px->taps;
      const float *wx = j->px->weight + (size_t)o * j->px->taps;
      float r = 0, g = 0, b = 0;
      for (k = 0; k < j->px->taps; k++) {
        const float *t = tmp + 3 * (size_t)(ix[k] - j->col0);
        r += wx[k] * t[0];
        g += wx[k] * t[1];
        b += wx[k] * t[2];
      }
      /* Lanczos overshoots at edges: keep the encoder inside its trained range. */
      r = r < 0 ? 0 : r > 1 ? 1 : r;
      g = g < 0 ? 0 : g > 1 ? 1 : g;
      b = b < 0 ? 0 : b > 1 ? 1 : b;
      j->out[0 * plane + (size_t)i * j->S + o] = r + r - 1.0f;
      j->out[1 * plane + (size_t)i * j->S + o] = g + g - 1.0f;
      j->out[2 * plane + (size_t)i * j->S + o] = b + b - 1.0f;
    }
  }
}

static void plan_range(const var_resample_plan *p, int *lo, int *hi)
{
  size_t i, n = (size_t)p->n_out * (size_t)p->taps;
  *lo = p->index[0];
  *hi = p->index[0];
  for (i = 1; i < n; i++) {
    if (p->index[i] < *lo) *lo = p->index[i];
    if (p->index[i] > *hi) *hi = p->index[i];
  }
}

/* Mean colour of the visible (alpha > 0) pixels of the rectangle, grey when none. */
static void visible_mean(const var_image *img, int x0, int y0, int x1, int y1, float fill[3])
{
  uint64_t sum[3] = { 0, 0, 0 }, n = 0;
  int x, y, k;
  for (y = y0; y <= y1; y++) {
    const uint8_t *row = img->data + (size_t)y * (size_t)img->stride;
    for (x = x0; x <= x1; x++) {
      if (!row[4 * x + 3]) continue;
      for (k = 0; k < 3; k++) sum[k] += row[4 * x + k];
      n++;
    }
  }
  for (k = 0; k < 3; k++) fill[k] = n ? (float)((double)sum[k] / (double)n / 255.0) : 0.5f;
}

var_status var_image_to_model(var_ctx *ctx, const var_image *img, var_window win, int S, float *out)
{
  var_resample_plan py, px;
  to_model_job j;
  int lo, hi, nthreads = var_pool_size(ctx->pool);
  var_status st;
  double scale = (double)win.size / (double)S;

  memset(&py, 0, sizeof py);
  memset(&px, 0, sizeof px);
  st = var_resample_plan_init(ctx, &py, S, win.y, scale, img->height);
  if (st == VAR_OK) st = var_resample_plan_init(ctx, &px, S, win.x, scale, img->width);
  if (st != VAR_OK) goto done;
  plan_range(&px, &lo, &hi);
  memset(&j, 0, sizeof j);
  j.img = img;
  j.py = &py;
  j.px = &px;
  j.S = S;
  j.col0 = lo;
  j.ncols = hi - lo + 1;
  j.out = out;
  {
    int ylo, yhi;
    plan_range(&py, &ylo, &yhi);
    visible_mean(img, lo, ylo, hi, yhi, j.fill);
  }
  st = var_alloc(ctx, var_size_mul3((size_t)nthreads, (size_t)j.ncols * 3, sizeof(float)), (void **)&j.scratch);
  if (st != VAR_OK) goto done;
  var_parallel_for(ctx->pool, S, 4, to_model_rows, &j);
  var_free(j.scratch);
done:
  var_resample_plan_free(&py);
  var_resample_plan_free(&px);
  return st;
}

/* ---- model output -> image pixels, composited ------------------------------ */

typedef struct paste_job {
  var_image *dst;
  const uint8_t *mask;
  size_t mask_stride;
  var_rect rect;
  const var_resample_plan *py, *px;
  int S;
  const float *gen;
  float *scratch;        /* per thread: S * 3 */
} paste_job;

static uint8_t to_u8(float v)
{
  if (!(v > 0.0f)) return 0;      /* also catches NaN */
  if (v >= 1.0f) return 255;
  return (uint8_t)(v * 255.0f + 0.5f);
}

static uint8_t blend(uint8_t a, uint8_t b, unsigned m)
{
  return (uint8_t)(((unsigned)a * (255u - m) + (unsigned)b * m + 127u) / 255u);
}

static void paste_rows(void *arg, int64_t begin, int64_t end, int thread)
{
  paste_job *j = arg;
  float *tmp = j->scratch + (size_t)thread * (size_t)j->S * 3;
  const size_t plane = (size_t)j->S * (size_t)j->S;
  int64_t r;
  for (r = begin; r < end; r++) {
    int y = j->rect.y + (int)r, x, k, c, any = 0;
    const uint8_t *mrow = j->mask + (size_t)y * j->mask_stride;
    uint8_t *drow = j->dst->data + (size_t)y * (size_t)j->dst->stride;
    const int32_t *iy = j->py->index + (size_t)r * j->py->taps;
    const float *wy = j->py->weight + (size_t)r * j->py->taps;
    for (x = j->rect.x; x < j->rect.x + j->rect.w && !any; x++) any = mrow[x] != 0;
    if (!any) continue;
    memset(tmp, 0, sizeof(float) * (size_t)j->S * 3);
    for (k = 0; k < j->py->taps; k++) {
      float w = wy[k];
      const float *g0 = j->gen + (size_t)iy[k] * j->S;
      if (w == 0.0f) continue;
      for (c = 0; c < j->S; c++) {
        tmp[3 * c + 0] += w * g0[c];
        tmp[3 * c + 1] += w * g0[plane + c];
        tmp[3 * c + 2] += w * g0[2 * plane + c];
      }
    }
    for (x = 0; x < j->rect.w; x++) {
      unsigned m = mrow[j->rect.x + x];
      const int32_t *ix = j->px->index + (size_t)x * j->px->taps;
      const float *wx = j->px->weight + (size_t)x * j->px->taps;
      float rgb[3] = { 0, 0, 0 };
      uint8_t *p = drow + 4 * (size_t)(j->rect.x + x);
      if (!m) continue;
      for (k = 0; k < j->px->taps; k++) {
        const float *t = tmp + 3 * (size_t)ix[k];
        rgb[0] += wx[k] * t[0];
        rgb[1] += wx[k] * t[1];
        rgb[2] += wx[k] * t[2];
      }
      for (c = 0; c < 3; c++) p[c] = blend(p[c], to_u8(rgb[c]), m);
      p[3] = blend(p[3], 255, m);
    }
  }
}

var_status var_image_paste_model(var_ctx *ctx, var_image *dst, const uint8_t *mask, size_t mask_stride, var_rect rect,
                                 var_window win, int S, const float *gen)
{
  var_resample_plan py, px;
  paste_job j;
  int nthreads = var_pool_size(ctx->pool);
  double scale = (double)S / (double)win.size;   /* model pixels per image pixel */
  var_status st;

  if (rect.w <= 0 || rect.h <= 0) return VAR_OK;
  if (rect.x < 0 || rect.y < 0 || rect.x + rect.w > dst->width || rect.y + rect.h > dst->height)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "paste rectangle lies outside the image");
  memset(&py, 0, sizeof py);
  memset(&px, 0, sizeof px);
  st = var_resample_plan_init(ctx, &py, rect.h, (double)(rect.y - win.y) * scale, scale, S);
  if (st == VAR_OK) st = var_resample_plan_init(ctx, &px, rect.w, (double)(rect.x - win.x) * scale, scale, S);
  if (st != VAR_OK) goto done;
  memset(&j, 0, sizeof j);
  j.dst = dst;
  j.mask = mask;
  j.mask_stride = mask_stride;
  j.rect = rect;
  j.py = &py;
  j.px = &px;
  j.S = S;
  j.gen = gen;
  st = var_alloc(ctx, var_size_mul3((size_t)nthreads, (size_t)S * 3, sizeof(float)), (void **)&j.scratch);
  if (st != VAR_OK) goto done;
  var_parallel_for(ctx->pool, rect.h, 8, paste_rows, &j);
  var_free(j.scratch);
done:
  var_resample_plan_free(&py);
  var_resample_plan_free(&px);
  return st;
}

void var_image_from_planar(const float *planar, int S, uint8_t *rgba, size_t stride)
{
  const size_t plane = (size_t)S * (size_t)S;
  int y, x;
  for (y = 0; y < S; y++) {
    uint8_t *row = rgba + (size_t)y * stride;
    for (x = 0; x < S; x++) {
      size_t i = (size_t)y * S + x;
      row[4 * x + 0] = to_u8(planar[i]);
      row[4 * x + 1] = to_u8(planar[plane + i]);
      row[4 * x + 2] = to_u8(planar[2 * plane + i]);
      row[4 * x + 3] = 255;
    }
  }
}

/* ---- geometry --------------------------------------------------------------- */

int64_t var_mask_bbox(const uint8_t *mask, size_t stride, int w, int h, var_rect *bbox)
{
  int x, y, x0 = w, y0 = h, x1 = -1, y1 = -1;
  int64_t n = 0;
  for (y = 0; y < h; y++) {
    const uint8_t *row = mask + (size_t)y * stride;
    int first = -1, last = -1;
    for (x = 0; x < w; x++) {
      if (row[x]) {
        if (first < 0) first = x;
        last = x;
        n++;
      }
    }
    if (first < 0) continue;
    if (y < y0) y0 = y;
    y1 = y;
    if (first < x0) x0 = first;
    if (last > x1) x1 = last;
  }
  if (!n) {
    bbox->x = bbox->y = bbox->w = bbox->h = 0;
    return 0;
  }
  bbox->x = x0;
  bbox->y = y0;
  bbox->w = x1 - x0 + 1;
  bbox->h = y1 - y0 + 1;
  return n;
}

int var_rect_intersect(var_rect a, var_rect b, var_rect *out)
{
  int x0 = a.x > b.x ? a.x : b.x, y0 = a.y > b.y ? a.y : b.y;
  int64_t ax1 = (int64_t)a.x + a.w, bx1 = (int64_t)b.x + b.w, ay1 = (int64_t)a.y + a.h, by1 = (int64_t)b.y + b.h;
  int64_t x1 = ax1 < bx1 ? ax1 : bx1, y1 = ay1 < by1 ? ay1 : by1;
  if (x1 <= x0 || y1 <= y0) {
    out->x = out->y = out->w = out->h = 0;
    return 0;
  }
  out->x = x0;
  out->y = y0;
  out->w = (int)(x1 - x0);
  out->h = (int)(y1 - y0);
  return 1;
}

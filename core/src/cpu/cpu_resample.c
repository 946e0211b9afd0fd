/* cpu_resample.c — area and bicubic resampling with the PyTorch CPU conventions
 * of docs/algorithm.md §2.1 (CPU backend).  Planes are independent, so threads split
 * planes; every output value is computed in the same order whatever the split. */
#include "cpu/cpu_ops.h"

#include <math.h>

/* ---- area (adaptive average pooling) -------------------------------------- */

typedef struct {
  int h_in, w_in, h_out, w_out;
  const float *in;
  float *out;
} resize_job;

/* Window [*a, *b) of input indices averaged by output index i (integer arithmetic). */
static void area_window(int i, int n_in, int n_out, int *a, int *b)
{
  *a = (int)(((int64_t)i * n_in) / n_out);
  *b = (int)(((int64_t)(i + 1) * n_in + n_out - 1) / n_out);
}

static void area_planes(void *arg, int64_t begin, int64_t end, int thread)
{
  const resize_job *j = arg;
  int64_t p;
  (void)thread;
  for (p = begin; p < end; p++) {
    const float *src = j->in + (size_t)p * j->h_in * j->w_in;
    float *dst = j->out + (size_t)p * j->h_out * j->w_out;
    int oy, ox;
    for (oy = 0; oy < j->h_out; oy++) {
      int y0, y1;
      area_window(oy, j->h_in, j->h_out, &y0, &y1);
      for (ox = 0; ox < j->w_out; ox++) {
        int x0, x1, y, x;
        float sum = 0.0f;
        area_window(ox, j->w_in, j->w_out, &x0, &x1);
        for (y = y0; y < y1; y++)
          for (x = x0; x < x1; x++) sum += src[(size_t)y * j->w_in + x];
        /* PyTorch divides twice (sum / kh / kw); kept for bit-level agreement */
        dst[(size_t)oy * j->w_out + ox] = sum / (float)(y1 - y0) / (float)(x1 - x0);
      }
    }
  }
}

static int resize_args_ok(int n_planes, int h_in, int w_in, int h_out, int w_out)
{
  return n_planes >= 0 && h_in > 0 && w_in > 0 && h_out > 0 && w_out > 0;
}

var_status cpu_resize_area(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out, var_dptr in,
                           var_dptr out)
{
  resize_job j;
  if (!resize_args_ok(n_planes, h_in, w_in, h_out, w_out))
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "resize_area: bad sizes %dx%d -> %dx%d", h_in, w_in, h_out,
                    w_out);
  j.h_in = h_in;
  j.w_in = w_in;
  j.h_out = h_out;
  j.w_out = w_out;
  j.in = cpu_f32(in);
  j.out = cpu_f32(out);
  var_parallel_for(cpu_pool(be), n_planes, 1 + 4096 / (h_out * w_out + 1), area_planes, &j);
  return VAR_OK;
}

/* ---- bicubic (A = -0.75, half-pixel centres, clamped taps) ---------------- */

typedef struct {
  int idx[4];
  float w[4];
} cubic_taps;

static float cubic1(float d, float a) { return ((a + 2.0f) * d - (a + 3.0f)) * d * d + 1.0f; }
static float cubic2(float d, float a) { return ((a * d - 5.0f * a) * d + 8.0f * a) * d - 4.0f * a; }

static void cubic_axis(int n_in, int n_out, cubic_taps *t)
{
  const float a = -0.75f;
  /* PyTorch: scale as a float quotient; the source coordinate evaluated in
   * double and rounded to float; not clamped (cubic) — taps are clamped instead. */
  const float scale = (float)n_in / (float)n_out;
  int o, k;
  for (o = 0; o < n_out; o++) {
    float real = (float)((double)scale * ((double)o + 0.5) - 0.5);
    float fl = floorf(real), d = real - fl;
    int i0 = (int)fl;
    t[o].w[0] = cubic2(d + 1.0f, a);
    t[o].w[1] = cubic1(d, a);
    t[o].w[2] = cubic1(1.0f - d, a);
    t[o].w[3] = cubic2(2.0f - d, a);
    for (k = 0; k < 4; k++) {
      int i = i0 - 1 + k;
      t[o].idx[k] = i < 0 ? 0 : i > n_in - 1 ? n_in - 1 : i;
    }
  }
}

typedef struct {
  resize_job r;
  const cubic_taps *ty, *tx;
} bicubic_job;

static void bicubic_planes(void *arg, int64_t begin, int64_t end, int thread)
{
  const bicubic_job *j = arg;
  const int w_in = j->r.w_in, w_out = j->r.w_out;
  int64_t p;
  (void)thread;
  for (p = begin; p < end; p++) {
    const float *src = j->r.in + (size_t)p * j->r.h_in * w_in;
    float *dst = j->r.out + (size_t)p * j->r.h_out * w_out;
    int oy, ox, ky, kx;
    for (oy = 0; oy < j->r.h_out; oy++) {
      const cubic_taps *ty = &j->ty[oy];
      for (ox = 0; ox < w_out; ox++) {
        const cubic_taps *tx = &j->tx[ox];
        float acc = 0.0f;
        /* along x for each of the 4 rows, then along y; each sum starts from its first term */
        for (ky = 0; ky < 4; ky++) {
          const float *row = src + (size_t)ty->idx[ky] * w_in;
          float t = row[tx->idx[0]] * tx->w[0];
          for (kx = 1; kx < 4; kx++) t += row[tx->idx[kx]] * tx->w[kx];
          acc = ky == 0 ? t * ty->w[0] : acc + t * ty->w[ky];
        }
        dst[(size_t)oy * w_out + ox] = acc;
      }
    }
  }
}

var_status cpu_resize_bicubic(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out,
                              var_dptr in, var_dptr out)
{
  bicubic_job j;
  cubic_taps *taps;
  var_status s;
  if (!resize_args_ok(n_planes, h_in, w_in, h_out, w_out))
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "resize_bicubic: bad sizes %dx%d -> %dx%d", h_in, w_in,
                    h_out, w_out);
  s = var_calloc(be->ctx, (size_t)h_out + (size_t)w_out, sizeof *taps, (void **)&taps);
  if (s != VAR_OK) return s;
  cubic_axis(h_in, h_out, taps);
  cubic_axis(w_in, w_out, taps + h_out);
  j.r.h_in = h_in;
  j.r.w_in = w_in;
  j.r.h_out = h_out;
  j.r.w_out = w_out;
  j.r.in = cpu_f32(in);
  j.r.out = cpu_f32(out);
  j.ty = taps;
  j.tx = taps + h_out;
  var_parallel_for(cpu_pool(be), n_planes, 1 + 4096 / (h_out * w_out + 1), bicubic_planes, &j);
  var_free(taps);
  return VAR_OK;
}

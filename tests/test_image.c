/* test_image.c — the model-independent pixel work of the image-level API:
 * resampling, compositing, mask geometry, context windows, token keep-masks,
 * out-paint window grids, and the ImageNet class names. */
#include "test_support.h"
#include "test_rng.h"

#include "edit/fill.h"
#include "edit/image.h"
#include "edit/window.h"
#include "var.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static var_ctx *ctx;

static uint32_t rng_state = 12345;
static uint32_t rnd(void) { return test_rng_next(&rng_state); }
static int rnd_in(int lo, int hi) { return test_rng_in(&rng_state, lo, hi); }

static var_image new_image(int w, int h)
{
  var_image im;
  im.width = w;
  im.height = h;
  im.stride = 4 * w + 8;   /* padding on purpose: strides must be honoured */
  im.data = calloc((size_t)im.stride * h, 1);
  return im;
}

static void fill_random(var_image *im)
{
  int i;
  for (i = 0; i < im->stride * im->height; i++) im->data[i] = (uint8_t)rnd();
}

/* random colours, alpha 1..255 (transparent pixels are substituted, see below) */
static void fill_random_visible(var_image *im)
{
  int x, y;
  fill_random(im);
  for (y = 0; y < im->height; y++)
    for (x = 0; x < im->width; x++) im->data[y * im->stride + 4 * x + 3] |= 1;
}

/* ---- resampling ------------------------------------------------------------- */

static void test_plan_weights(void)
{
  static const struct { int n_out, n_in; double offset, scale; } cases[] = {
    { 16, 16, 0, 1 }, { 16, 64, 0, 4 }, { 64, 16, 0, 0.25 }, { 10, 7, -3.5, 1.3 }, { 1, 1000, 0, 1000 },
    { 256, 1, -100, 0.01 }, { 5, 3, 2.25, 0.7 },
  };
  size_t c;
  for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    var_resample_plan p;
    int i, k;
    CU_ASSERT_FATAL(var_resample_plan_init(ctx, &p, cases[c].n_out, cases[c].offset, cases[c].scale,
                                           cases[c].n_in) == VAR_OK);
    for (i = 0; i < p.n_out; i++) {
      double sum = 0;
      for (k = 0; k < p.taps; k++) {
        int32_t j = p.index[(size_t)i * p.taps + k];
        CU_ASSERT(j >= 0 && j < cases[c].n_in);
        sum += p.weight[(size_t)i * p.taps + k];
      }
      CU_ASSERT(fabs(sum - 1.0) < 1e-5);
    }
    var_resample_plan_free(&p);
  }
  {
    var_resample_plan p;
    CU_ASSERT(var_resample_plan_init(ctx, &p, 0, 0, 1, 4) == VAR_ERR_INVALID_ARGUMENT);
    CU_ASSERT(var_resample_plan_init(ctx, &p, 4, 0, 0, 4) == VAR_ERR_INVALID_ARGUMENT);
    CU_ASSERT(var_resample_plan_init(ctx, &p, 4, NAN, 1, 4) == VAR_ERR_INVALID_ARGUMENT);
  }
}

/* A same-size, aligned window is an exact copy: u8 / 255, then x + x - 1. */
static void test_to_model_identity(void)
{
  const int S = 48;
  var_image im = new_image(S, S);
  float *out = malloc(sizeof(float) * 3 * S * S);
  var_window win = { 0, 0, S };
  int x, y, c, bad = 0;
  fill_random_visible(&im);
  CU_ASSERT_FATAL(var_image_to_model(ctx, &im, win, S, out) == VAR_OK);
  for (c = 0; c < 3; c++)
    for (y = 0; y < S; y++)
      for (x = 0; x < S; x++) {
        float v = (float)im.data[y * im.stride + 4 * x + c] / 255.0f;
        bad += out[(c * S + y) * S + x] != v + v - 1.0f;
      }
  CU_ASSERT_EQUAL(bad, 0);
  /* and an offset window inside a bigger image copies the right pixels */
  {
    var_image big = new_image(100, 70);
    var_window w2 = { 13, 9, S };
    fill_random_visible(&big);
    CU_ASSERT_FATAL(var_image_to_model(ctx, &big, w2, S, out) == VAR_OK);
    bad = 0;
    for (y = 0; y < S; y++)
      for (x = 0; x < S; x++) {
        float v = (float)big.data[(y + 9) * big.stride + 4 * (x + 13) + 1] / 255.0f;
        bad += out[(1 * S + y) * S + x] != v + v - 1.0f;
      }
    CU_ASSERT_EQUAL(bad, 0);
    free(big.data);
  }
  free(out);
  free(im.data);
}

/* Shrinking 1-pixel stripes must average them (antialiasing), not alias. */
static void test_to_model_antialias(void)
{
  const int S = 32;
  /* x3: without a widened filter each output would be one source stripe, 0 or 255 */
  var_image im = new_image(3 * S, 3 * S);
  float *out = malloc(sizeof(float) * 3 * S * S);
  var_window win = { 0, 0, 3 * S };
  int x, y;
  double worst = 0;
  for (y = 0; y < im.height; y++)
    for (x = 0; x < im.width; x++) {
      memset(im.data + y * im.stride + 4 * x, (x & 1) ? 255 : 0, 3);
      im.data[y * im.stride + 4 * x + 3] = 255;
    }
  CU_ASSERT_FATAL(var_image_to_model(ctx, &im, win, S, out) == VAR_OK);
  /* (the outermost two columns see the repeated edge pixel, a half-width stripe of black) */
  for (y = 0; y < S; y++)
    for (x = 2; x < S - 2; x++) {
      double d = fabs(out[y * S + x] - 0.0);   /* mid grey is 0 in [-1, 1] */
      if (d > worst) worst = d;
    }
  CU_ASSERT(worst < 0.02);
  free(out);
  free(im.data);
}

/* Windows reaching past the image repeat its edge pixels. */
static void test_to_model_padding(void)
{
  const int S = 16;
  var_image im = new_image(1, 1);
  float *out = malloc(sizeof(float) * 3 * S * S);
  var_window win = { -7, -3, 5 };
  int i;
  im.data[0] = 255;
  im.data[1] = 0;
  im.data[2] = 51;
  im.data[3] = 1;
  CU_ASSERT_FATAL(var_image_to_model(ctx, &im, win, S, out) == VAR_OK);
  for (i = 0; i < S * S; i++) {
    CU_ASSERT(fabs(out[i] - 1.0f) < 1e-6);
    CU_ASSERT(fabs(out[S * S + i] + 1.0f) < 1e-6);
    CU_ASSERT(fabs(out[2 * S * S + i] - (0.2f + 0.2f - 1.0f)) < 1e-6);
  }
  free(out);
  free(im.data);
}

/* Transparent pixels (arbitrary colour) look like the mean of the visible ones. */
static void test_to_model_transparent(void)
{
  const int S = 8;
  var_image im = new_image(S, S);
  float *out = malloc(sizeof(float) * 3 * S * S);
  var_window win = { 0, 0, S };
  int x, y, bad = 0;
  for (y = 0; y < S; y++)
    for (x = 0; x < S; x++) {
      uint8_t *p = im.data + y * im.stride + 4 * x;
      int visible = x < S / 2;
      p[0] = visible ? (y & 1 ? 100 : 200) : 0;   /* mean of the visible half: 150 */
      p[1] = visible ? 51 : 255;
      p[2] = visible ? 0 : 255;
      p[3] = visible ? 7 : 0;
    }
  CU_ASSERT_FATAL(var_image_to_model(ctx, &im, win, S, out) == VAR_OK);
  for (y = 0; y < S; y++)
    for (x = S / 2; x < S; x++) {
      bad += fabsf(out[y * S + x] - (150.0f / 255.0f * 2 - 1)) > 1e-5f;
      bad += fabsf(out[(S + y) * S + x] - (0.2f * 2 - 1)) > 1e-5f;
      bad += fabsf(out[(2 * S + y) * S + x] + 1.0f) > 1e-5f;
    }
  CU_ASSERT_EQUAL(bad, 0);
  /* nothing visible at all: mid grey */
  for (y = 0; y < S; y++)
    for (x = 0; x < S; x++) im.data[y * im.stride + 4 * x + 3] = 0;
  CU_ASSERT_FATAL(var_image_to_model(ctx, &im, win, S, out) == VAR_OK);
  CU_ASSERT(fabsf(out[0]) < 1e-6f && fabsf(out[3 * S * S - 1]) < 1e-6f);
  free(out);
  free(im.data);
}

/* Smooth content survives a shrink + enlarge round trip. */
static void test_round_trip_smooth(void)
{
  const int S = 32, D = 80;
  var_image im = new_image(D, D), back = new_image(D, D);
  float *model = malloc(sizeof(float) * 3 * S * S), *gen = malloc(sizeof(float) * 3 * S * S);
  uint8_t *mask = malloc((size_t)D * D);
  var_window win = { 0, 0, D };
  var_rect all = { 0, 0, D, D };
  int x, y, c, worst = 0;
  for (y = 0; y < D; y++)
    for (x = 0; x < D; x++) {
      uint8_t *p = im.data + y * im.stride + 4 * x;
      p[0] = (uint8_t)(128 + 100 * sin(x * 0.05));
      p[1] = (uint8_t)(128 + 100 * cos(y * 0.04));
      p[2] = (uint8_t)((x + y) * 255 / (2 * D));
      p[3] = 255;
    }
  memset(mask, 255, (size_t)D * D);
  CU_ASSERT_FATAL(var_image_to_model(ctx, &im, win, S, model) == VAR_OK);
  for (x = 0; x < 3 * S * S; x++) gen[x] = (model[x] + 1.0f) * 0.5f;
  CU_ASSERT_FATAL(var_image_paste_model(ctx, &back, mask, D, all, win, S, gen) == VAR_OK);
  for (y = 4; y < D - 4; y++)
    for (x = 4; x < D - 4; x++)
      for (c = 0; c < 3; c++) {
        int d = abs(back.data[y * back.stride + 4 * x + c] - im.data[y * im.stride + 4 * x + c]);
        if (d > worst) worst = d;
      }
  CU_ASSERT(worst <= 3);
  free(model);
  free(gen);
  free(mask);
  free(im.data);
  free(back.data);
}

/* Compositing: mask 0 untouched (all four bytes), 255 replaced, in between blended exactly. */
/* ---- smooth fill of masked pixels -------------------------------------------- */

/* An image of size W x H whose colour is a linear ramp; its model input for window win. */
static void ramp_input(var_image *im, var_window win, int S, float *planar)
{
  int x, y;
  for (y = 0; y < im->height; y++)
    for (x = 0; x < im->width; x++) {
      uint8_t *q = im->data + (size_t)y * im->stride + 4 * x;
      q[0] = (uint8_t)(40 + x);
      q[1] = (uint8_t)(200 - y);
      q[2] = (uint8_t)(60 + (x + y) / 2);
      q[3] = 255;
    }
  CU_ASSERT_FATAL(var_image_to_model(ctx, im, win, S, planar) == VAR_OK);
}

static void test_fill_masked(void)
{
  const int S = 64;
  var_image im = new_image(S, S);
  var_window win = { 0, 0, S };
  float *ref = malloc(sizeof(float) * 3 * S * S), *f = malloc(sizeof(float) * 3 * S * S);
  uint8_t *mask = calloc((size_t)S * S, 1);
  int x, y, c, n = 0, filled = -1, changed_known = 0, unknown = 0;
  double worst = 0;
  /* a hole well inside: a harmonic fill reproduces a linear ramp */
  for (y = 20; y < 44; y++)
    for (x = 12; x < 40; x++) mask[y * S + x] = (uint8_t)(1 + (x * y) % 255);
  ramp_input(&im, win, S, ref);
  memcpy(f, ref, sizeof(float) * 3 * S * S);
  /* scramble what is under the mask: it must not matter */
  for (y = 20; y < 44; y++)
    for (x = 12; x < 40; x++)
      for (c = 0; c < 3; c++) f[c * S * S + y * S + x] = (float)(rnd() % 1000) / 500.0f - 1.0f;
  CU_ASSERT_FATAL(var_fill_masked(ctx, mask, S, S, S, win, S, f, &filled) == VAR_OK);
  for (y = 0; y < S; y++)
    for (x = 0; x < S; x++)
      for (c = 0; c < 3; c++) {
        size_t o = (size_t)c * S * S + y * S + x;
        if (mask[y * S + x]) {
          double e = fabs((double)f[o] - ref[o]);
          if (e > worst) worst = e;
          unknown += c == 0;
        } else {
          changed_known += f[o] != ref[o];
        }
      }
  n = 24 * 28;
  CU_ASSERT_EQUAL(filled, n);   /* at scale 1 the taps are the pixels themselves */
  CU_ASSERT_EQUAL(unknown, n);
  CU_ASSERT_EQUAL(changed_known, 0);
  CU_ASSERT(worst < 0.02);      /* the ramp steps 2/255 = 0.0078 per pixel in [-1, 1] */

  /* everything masked: mid grey */
  memset(mask, 255, (size_t)S * S);
  CU_ASSERT_FATAL(var_fill_masked(ctx, mask, S, S, S, win, S, f, &filled) == VAR_OK);
  CU_ASSERT_EQUAL(filled, S * S);
  for (n = 0, x = 0; x < 3 * S * S; x++) n += f[x] != 0.0f;
  CU_ASSERT_EQUAL(n, 0);
  /* nothing masked: nothing touched */
  memset(mask, 0, (size_t)S * S);
  memcpy(f, ref, sizeof(float) * 3 * S * S);
  CU_ASSERT_FATAL(var_fill_masked(ctx, mask, S, S, S, win, S, f, &filled) == VAR_OK);
  CU_ASSERT_EQUAL(filled, 0);
  CU_ASSERT(memcmp(f, ref, sizeof(float) * 3 * S * S) == 0);
  free(ref);
  free(f);
  free(mask);
  free(im.data);
}

/* Seamless blending: a decoded window that misses its input by a smooth (here
 * linear, so harmonic) colour error and carries detail of its own in the hole
 * comes back with the error removed and the detail kept. */
static void test_fill_seamless(void)
{
  const int S = 48;
  const size_t plane = (size_t)S * S;
  var_image im = new_image(S, S);
  var_window win = { 0, 0, S };
  float *in = malloc(sizeof(float) * 3 * plane), *gen = malloc(sizeof(float) * 3 * plane);
  float *detail = malloc(sizeof(float) * 3 * plane);
  uint8_t *mask = calloc(plane, 1);
  int x, y, c, known_off = 0, clamped = 1;
  double worst = 0, miss = 0;
  for (y = 14; y < 34; y++)
    for (x = 10; x < 30; x++) mask[y * S + x] = 255;
  ramp_input(&im, win, S, in);
  for (c = 0; c < 3; c++)
    for (y = 0; y < S; y++)
      for (x = 0; x < S; x++) {
        size_t o = c * plane + (size_t)y * S + x;
        /* detail only where the model generated: a checker pattern */
        detail[o] = mask[y * S + x] ? (((x / 3 + y / 3) & 1) ? 0.05f : -0.05f) : 0.0f;
        /* the decoder's miss: an offset and a tilt */
        gen[o] = 0.5f * (in[o] + 1.0f) + detail[o] + 0.04f - 0.001f * (float)x + 0.0007f * (float)y * (float)c;
      }
  CU_ASSERT_FATAL(var_fill_seamless(ctx, mask, S, S, S, win, S, in, gen) == VAR_OK);
  for (c = 0; c < 3; c++)
    for (y = 0; y < S; y++)
      for (x = 0; x < S; x++) {
        size_t o = c * plane + (size_t)y * S + x;
        double want = 0.5 * (in[o] + 1.0) + detail[o];
        double e = fabs(gen[o] - want);
        if (!mask[y * S + x]) known_off += e > 1e-6;
        else if (e > worst) worst = e;
        if (mask[y * S + x]) miss = fmax(miss, fabs(0.04 - 0.001 * x + 0.0007 * y * c));
        clamped &= gen[o] >= 0.0f && gen[o] <= 1.0f;
      }
  CU_ASSERT_EQUAL(known_off, 0);      /* the kept pixels become the input */
  CU_ASSERT(worst < 0.1 * miss);       /* the error removed to a tenth, the checker kept */
  CU_ASSERT(clamped);
  printf("\n  seamless: error in the hole %.4f -> %.5f\n", miss, worst);
  /* a white surrounding decoded as grey: the hole's +-0.3 detail is lifted by 0.5
   * and clamped at white */
  for (x = 0; x < 3 * S * S; x++) {
    in[x] = 1.0f;
    gen[x] = 0.5f + (detail[x] > 0 ? 0.3f : detail[x] < 0 ? -0.3f : 0.0f);
  }
  CU_ASSERT_FATAL(var_fill_seamless(ctx, mask, S, S, S, win, S, in, gen) == VAR_OK);
  for (c = 0, x = 0; x < 3 * S * S; x++) {
    if (detail[x] > 0) c += gen[x] == 1.0f;                         /* 1.3 clamped */
    if (detail[x] < 0) c += fabsf(gen[x] - 0.7f) < 1e-5f;
    if (detail[x] == 0) c += gen[x] == 1.0f;
  }
  CU_ASSERT_EQUAL(c, 3 * S * S);
  free(in);
  free(gen);
  free(detail);
  free(mask);
  free(im.data);
}

/* A window larger than the model (shrinking) over an image edge: the pixels
 * under the mask must not reach the result through the resampling filter's taps. */
static void test_fill_masked_shrink(void)
{
  const int W = 300, H = 170, S = 32;
  var_image im = new_image(W, H);
  var_window win = { 150, -20, 200 };
  float *a = malloc(sizeof(float) * 3 * S * S), *b = malloc(sizeof(float) * 3 * S * S);
  uint8_t *mask = calloc((size_t)W * H, 1);
  int x, y, na = -1, nb = -1;
  for (y = 60; y < 110; y++)
    for (x = 230; x < 290; x++) mask[y * W + x] = 128;
  ramp_input(&im, win, S, a);
  CU_ASSERT_FATAL(var_fill_masked(ctx, mask, W, W, H, win, S, a, &na) == VAR_OK);
  for (y = 60; y < 110; y++)
    for (x = 230; x < 290; x++) memset(im.data + (size_t)y * im.stride + 4 * x, (int)(rnd() & 255), 3);
  CU_ASSERT_FATAL(var_image_to_model(ctx, &im, win, S, b) == VAR_OK);
  CU_ASSERT_FATAL(var_fill_masked(ctx, mask, W, W, H, win, S, b, &nb) == VAR_OK);
  CU_ASSERT_EQUAL(na, nb);
  /* the hole spans 60 x 50 source pixels = 9.6 x 8 model pixels, plus the filter's reach */
  CU_ASSERT(na >= 9 * 8 && na <= 16 * 14);
  CU_ASSERT(memcmp(a, b, sizeof(float) * 3 * S * S) == 0);
  free(a);
  free(b);
  free(mask);
  free(im.data);
}

static void test_paste_composite(void)
{
  const int S = 16, W = 37, H = 23;
  var_image im = new_image(W, H), orig = new_image(W, H);
  float *gen = malloc(sizeof(float) * 3 * S * S);
  uint8_t *mask = malloc((size_t)W * H);
  var_window win = { 5, 3, S };       /* scale 1: model pixel (x-5, y-3) */
  var_rect rect = { 5, 3, S, S };
  int x, y, i, bad_keep = 0, bad_blend = 0;
  fill_random(&im);
  memcpy(orig.data, im.data, (size_t)im.stride * H);
  for (i = 0; i < 3 * S * S; i++) gen[i] = (float)(rnd() % 256) / 255.0f;
  for (i = 0; i < W * H; i++) mask[i] = (rnd() % 3 == 0) ? 0 : (uint8_t)rnd();
  CU_ASSERT_FATAL(var_image_paste_model(ctx, &im, mask, W, rect, win, S, gen) == VAR_OK);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++) {
      const uint8_t *a = orig.data + y * orig.stride + 4 * x, *b = im.data + y * im.stride + 4 * x;
      unsigned m = mask[y * W + x];
      int inside = x >= 5 && x < 5 + S && y >= 3 && y < 3 + S;
      if (!m || !inside) {
        bad_keep += memcmp(a, b, 4) != 0;
        continue;
      }
      for (i = 0; i < 3; i++) {
        unsigned g = (unsigned)(gen[(i * S + (y - 3)) * S + (x - 5)] * 255.0f + 0.5f);
        bad_blend += b[i] != (a[i] * (255 - m) + g * m + 127) / 255;
      }
      bad_blend += b[3] != (a[3] * (255 - m) + 255 * m + 127) / 255;
    }
  CU_ASSERT_EQUAL(bad_keep, 0);
  CU_ASSERT_EQUAL(bad_blend, 0);
  /* the stride padding after each row is never written */
  for (y = 0; y < H; y++)
    CU_ASSERT(memcmp(im.data + y * im.stride + 4 * W, orig.data + y * orig.stride + 4 * W, 8) == 0);
  {
    var_rect outside = { 30, 20, 10, 10 };
    CU_ASSERT(var_image_paste_model(ctx, &im, mask, W, outside, win, S, gen) == VAR_ERR_INVALID_ARGUMENT);
  }
  free(gen);
  free(mask);
  free(im.data);
  free(orig.data);
}

static void test_from_planar(void)
{
  const int S = 4;
  float p[3 * 16];
  uint8_t rgba[4 * 16];
  int i;
  for (i = 0; i < 48; i++) p[i] = (float)i / 47.0f;
  p[0] = -0.5f;
  p[1] = 1.5f;
  p[2] = NAN;
  var_image_from_planar(p, S, rgba, 16);
  CU_ASSERT_EQUAL(rgba[0], 0);
  CU_ASSERT_EQUAL(rgba[4], 255);
  CU_ASSERT_EQUAL(rgba[8], 0);
  CU_ASSERT_EQUAL(rgba[3], 255);
  CU_ASSERT_EQUAL(rgba[4 * 5 + 1], (uint8_t)((16 + 5) / 47.0f * 255 + 0.5f));
}

/* ---- geometry ------------------------------------------------------------------ */

static void test_mask_bbox(void)
{
  uint8_t m[6 * 5];
  var_rect r;
  memset(m, 0, sizeof m);
  CU_ASSERT_EQUAL(var_mask_bbox(m, 6, 6, 5, &r), 0);
  CU_ASSERT_EQUAL(r.w, 0);
  m[1 * 6 + 4] = 1;
  m[3 * 6 + 2] = 200;
  CU_ASSERT_EQUAL(var_mask_bbox(m, 6, 6, 5, &r), 2);
  CU_ASSERT(r.x == 2 && r.y == 1 && r.w == 3 && r.h == 3);
  /* stride larger than width: the padding column must be ignored */
  m[0 * 6 + 5] = 9;
  CU_ASSERT_EQUAL(var_mask_bbox(m, 6, 5, 5, &r), 2);
  {
    var_rect a = { 0, 0, 10, 10 }, b = { 5, 8, 10, 10 }, c = { 10, 0, 3, 3 }, o;
    CU_ASSERT(var_rect_intersect(a, b, &o) && o.x == 5 && o.y == 8 && o.w == 5 && o.h == 2);
    CU_ASSERT(!var_rect_intersect(a, c, &o));
  }
}

static void test_window_for_box(void)
{
  int t;
  /* a box in a large image: margin respected, window inside the image */
  {
    var_rect b = { 500, 400, 40, 20 };
    var_window w = var_window_for_box(b, 2000, 1500, 30);
    CU_ASSERT_EQUAL(w.size, 100);
    CU_ASSERT(w.x == 470 && w.y == 360);
  }
  /* model-size image, box anywhere: window = whole image */
  {
    var_rect b = { 16, 32, 16, 16 };
    var_window w = var_window_for_box(b, 64, 64, 32);
    CU_ASSERT(w.x == 0 && w.y == 0 && w.size == 64);
  }
  /* 1 x 1 */
  {
    var_rect b = { 0, 0, 1, 1 };
    var_window w = var_window_for_box(b, 1, 1, 32);
    CU_ASSERT(w.x == 0 && w.y == 0 && w.size == 1);
  }
  /* very wide, 1 pixel tall: window no larger than the box needs */
  {
    var_rect b = { 5000, 0, 10, 1 };
    var_window w = var_window_for_box(b, 10000, 1, 32);
    CU_ASSERT_EQUAL(w.size, 10);
    CU_ASSERT(w.x == 5000 && w.y <= 0 && w.y + w.size >= 1);
  }
  /* random boxes: always contain the box, never larger than the image's larger side */
  for (t = 0; t < 5000; t++) {
    int W = rnd_in(1, 3000), H = rnd_in(1, 3000), margin = rnd_in(0, 500);
    var_rect b;
    var_window w;
    b.w = rnd_in(1, W);
    b.h = rnd_in(1, H);
    b.x = rnd_in(0, W - b.w);
    b.y = rnd_in(0, H - b.h);
    w = var_window_for_box(b, W, H, margin);
    CU_ASSERT(w.x <= b.x && w.y <= b.y && w.x + w.size >= b.x + b.w && w.y + w.size >= b.y + b.h);
    CU_ASSERT(w.size <= (W > H ? W : H));
    CU_ASSERT(w.size >= (b.w > b.h ? b.w : b.h));
    if (w.size <= W) CU_ASSERT(w.x >= 0 && w.x + w.size <= W);
    if (w.size <= H) CU_ASSERT(w.y >= 0 && w.y + w.size <= H);
  }
  CU_ASSERT_EQUAL(var_window_auto_margin(10, 256), 32);
  CU_ASSERT_EQUAL(var_window_auto_margin(300, 256), 150);
}

/* Token-aligned rectangle at scale 1 -> exactly its cells; grow 1 adds one ring of cells. */
static void test_keep_mask_aligned(void)
{
  const int S = 64, cell = 16, h = 4;
  uint8_t mask[64 * 64];
  float keep[16];
  var_rect bbox;
  var_window win = { 0, 0, 64 };
  int x, y, n;
  memset(mask, 0, sizeof mask);
  for (y = 16; y < 48; y++)
    for (x = 0; x < 32; x++) mask[y * 64 + x] = 255;
  var_mask_bbox(mask, 64, 64, 64, &bbox);
  CU_ASSERT_FATAL(var_window_keep_mask(ctx, mask, 64, 64, 64, bbox, win, S, cell, 0, keep, &n) == VAR_OK);
  CU_ASSERT_EQUAL(n, 4);
  for (y = 0; y < h; y++)
    for (x = 0; x < h; x++) CU_ASSERT_EQUAL(keep[y * h + x], (y >= 1 && y <= 2 && x <= 1) ? 0.0f : 1.0f);
  CU_ASSERT_FATAL(var_window_keep_mask(ctx, mask, 64, 64, 64, bbox, win, S, cell, 1, keep, &n) == VAR_OK);
  CU_ASSERT_EQUAL(n, 12);
  for (y = 0; y < h; y++)
    for (x = 0; x < h; x++) CU_ASSERT_EQUAL(keep[y * h + x], x <= 2 ? 0.0f : 1.0f);
  /* one soft pixel in a corner cell */
  memset(mask, 0, sizeof mask);
  mask[63 * 64 + 63] = 1;
  var_mask_bbox(mask, 64, 64, 64, &bbox);
  CU_ASSERT_FATAL(var_window_keep_mask(ctx, mask, 64, 64, 64, bbox, win, S, cell, 0, keep, &n) == VAR_OK);
  CU_ASSERT(n == 1 && keep[15] == 0.0f);
}

/* Property: every masked pixel lies in generated cells, for random windows and scales;
 * and with grow 0 every generated cell holds a masked pixel. */
static void test_keep_mask_covers(void)
{
  int t;
  for (t = 0; t < 300; t++) {
    int W = rnd_in(1, 200), H = rnd_in(1, 200), S = 64, cell = 16, h = 4, i, x, y, n, bad = 0, empty = 0;
    uint8_t *mask = calloc((size_t)W * H, 1);
    float keep[16];
    var_rect bbox;
    var_window win;
    int blobs = rnd_in(1, 4);
    for (i = 0; i < blobs; i++) {
      int bw = rnd_in(1, W), bh = rnd_in(1, H), bx = rnd_in(0, W - bw), by = rnd_in(0, H - bh);
      for (y = by; y < by + bh; y++)
        for (x = bx; x < bx + bw; x++) mask[y * W + x] = (uint8_t)rnd_in(1, 255);
    }
    var_mask_bbox(mask, W, W, H, &bbox);
    win = var_window_for_box(bbox, W, H, rnd_in(0, 40));
    CU_ASSERT_FATAL(var_window_keep_mask(ctx, mask, W, W, H, bbox, win, S, cell, 0, keep, &n) == VAR_OK);
    for (y = 0; y < H; y++)
      for (x = 0; x < W; x++) {
        double a, b;
        int c0x, c1x, c0y, c1y, cx, cy;
        if (!mask[y * W + x]) continue;
        /* model-pixel extent of the image pixel, then the cells it overlaps */
        a = (x - win.x) * (double)S / win.size;
        b = (x + 1 - win.x) * (double)S / win.size;
        c0x = (int)floor(a / cell + 1e-9);
        c1x = (int)ceil(b / cell - 1e-9) - 1;
        a = (y - win.y) * (double)S / win.size;
        b = (y + 1 - win.y) * (double)S / win.size;
        c0y = (int)floor(a / cell + 1e-9);
        c1y = (int)ceil(b / cell - 1e-9) - 1;
        for (cy = c0y; cy <= c1y; cy++)
          for (cx = c0x; cx <= c1x; cx++)
            if (cx >= 0 && cx < h && cy >= 0 && cy < h && keep[cy * h + cx] != 0.0f) bad++;
      }
    CU_ASSERT_EQUAL(bad, 0);
    /* with grow 0, a generated cell must contain a masked pixel */
    for (i = 0; i < h * h; i++) {
      int cx = i % h, cy = i / h, found = 0;
      int x0 = win.x + (int)((int64_t)cx * cell * win.size / S);
      int x1 = win.x + (int)(((int64_t)(cx + 1) * cell * win.size + S - 1) / S) - 1;
      int y0 = win.y + (int)((int64_t)cy * cell * win.size / S);
      int y1 = win.y + (int)(((int64_t)(cy + 1) * cell * win.size + S - 1) / S) - 1;
      if (keep[i] != 0.0f) continue;
      for (y = y0 < 0 ? 0 : y0; y <= y1 && y < H && !found; y++)
        for (x = x0 < 0 ? 0 : x0; x <= x1 && x < W && !found; x++) found = mask[y * W + x] != 0;
      empty += !found;
    }
    CU_ASSERT_EQUAL(empty, 0);
    free(mask);
  }
}

static void fill_box(uint8_t *m, int W, int x0, int y0, int w, int h)
{
  int x, y;
  for (y = y0; y < y0 + h; y++)
    for (x = x0; x < x0 + w; x++) m[y * W + x] = 200;
}

static int clipped_windows_overlap(var_rect a, var_rect b, int W, int H, int S)
{
  var_window wa = var_window_for_mask_box(a, W, H, S, -1), wb = var_window_for_mask_box(b, W, H, S, -1);
  var_rect img = { 0, 0, W, H }, ra = { wa.x, wa.y, wa.size, wa.size }, rb = { wb.x, wb.y, wb.size, wb.size }, t;
  var_rect_intersect(ra, img, &ra);
  var_rect_intersect(rb, img, &rb);
  return var_rect_intersect(ra, rb, &t);
}

/* Far-apart selections get a window each; near ones share; windows never overlap. */
static void test_mask_clusters(void)
{
  const int W = 2000, H = 1500, S = 256;
  uint8_t *m = calloc((size_t)W * H, 1);
  var_rect *b;
  int n, t;
  CU_ASSERT_FATAL(var_mask_clusters(ctx, m, W, W, H, S, -1, &b, &n) == VAR_OK);
  CU_ASSERT_EQUAL(n, 0);
  var_free(b);
  fill_box(m, W, 100, 100, 30, 20);
  fill_box(m, W, 1500, 1200, 10, 10);
  CU_ASSERT_FATAL(var_mask_clusters(ctx, m, W, W, H, S, -1, &b, &n) == VAR_OK);
  CU_ASSERT_FATAL(n == 2);
  CU_ASSERT(b[0].x == 100 && b[0].y == 100 && b[0].w == 30 && b[0].h == 20);
  CU_ASSERT(b[1].x == 1500 && b[1].y == 1200 && b[1].w == 10 && b[1].h == 10);
  var_free(b);
  /* a third selection next to the first joins it */
  fill_box(m, W, 140, 110, 5, 5);
  CU_ASSERT_FATAL(var_mask_clusters(ctx, m, W, W, H, S, -1, &b, &n) == VAR_OK);
  CU_ASSERT_FATAL(n == 2);
  CU_ASSERT(b[0].x == 100 && b[0].y == 100 && b[0].w == 45 && b[0].h == 20);
  var_free(b);
  /* a big explicit margin makes every window overlap */
  CU_ASSERT_FATAL(var_mask_clusters(ctx, m, W, W, H, S, 2000, &b, &n) == VAR_OK);
  CU_ASSERT_EQUAL(n, 1);
  var_free(b);
  /* very many specks: one area */
  memset(m, 0, (size_t)W * H);
  for (t = 0; t < 400; t++) m[(t / 20) * 70 * W + (t % 20) * 95] = 1;
  CU_ASSERT_FATAL(var_mask_clusters(ctx, m, W, W, H, S, -1, &b, &n) == VAR_OK);
  CU_ASSERT_EQUAL(n, 1);
  CU_ASSERT(b[0].x == 0 && b[0].y == 0 && b[0].w == 19 * 95 + 1 && b[0].h == 19 * 70 + 1);
  var_free(b);
  free(m);
  /* random masks: every masked pixel in exactly one box, windows pairwise disjoint */
  for (t = 0; t < 60; t++) {
    int w = rnd_in(1, 1500), h = rnd_in(1, 1500), k, i, j, x, y, lost = 0, twice = 0, overlap = 0;
    uint8_t *mm = calloc((size_t)w * h, 1);
    for (k = rnd_in(1, 12); k > 0; k--) {
      int bw = rnd_in(1, 1 + w / 8), bh = rnd_in(1, 1 + h / 8);
      fill_box(mm, w, rnd_in(0, w - bw), rnd_in(0, h - bh), bw, bh);
    }
    CU_ASSERT_FATAL(var_mask_clusters(ctx, mm, w, w, h, S, -1, &b, &n) == VAR_OK);
    CU_ASSERT(n >= 1);
    for (y = 0; y < h; y++)
      for (x = 0; x < w; x++) {
        int in = 0;
        if (!mm[y * w + x]) continue;
        for (i = 0; i < n; i++) in += x >= b[i].x && x < b[i].x + b[i].w && y >= b[i].y && y < b[i].y + b[i].h;
        lost += in == 0;
        twice += in > 1;
      }
    for (i = 0; i < n; i++)
      for (j = i + 1; j < n; j++) overlap += clipped_windows_overlap(b[i], b[j], w, h, S);
    CU_ASSERT_EQUAL(lost, 0);
    CU_ASSERT_EQUAL(twice, 0);
    CU_ASSERT_EQUAL(overlap, 0);
    var_free(b);
    free(mm);
  }
}

static void test_outpaint_windows(void)
{
  int t;
  CU_ASSERT_EQUAL(var_outpaint_window_size(1000, 1000, 100, 100, 256), 256);
  CU_ASSERT_EQUAL(var_outpaint_window_size(1000, 1000, 400, 300, 256), 400);
  CU_ASSERT_EQUAL(var_outpaint_window_size(3000, 3000, 2000, 300, 256), 512);
  CU_ASSERT_EQUAL(var_outpaint_window_size(100, 30, 10, 10, 256), 100);
  CU_ASSERT_EQUAL(var_outpaint_window_size(3, 3, 1, 1, 256), 3);
  for (t = 0; t < 200; t++) {
    int CW = rnd_in(1, 3000), CH = rnd_in(1, 3000), D = rnd_in(1, 600), n, i, x, y;
    var_rect known = { rnd_in(0, CW - 1), rnd_in(0, CH - 1), 1, 1 };
    var_window *w;
    uint8_t *cov;
    int uncovered = 0;
    double last = -1;
    known.w = rnd_in(1, CW - known.x);
    known.h = rnd_in(1, CH - known.y);
    CU_ASSERT_FATAL(var_outpaint_windows(ctx, CW, CH, known, D, &w, &n) == VAR_OK);
    CU_ASSERT(n >= 1);
    cov = calloc((size_t)CW * CH, 1);
    for (i = 0; i < n; i++) {
      double gx = 0, gy = 0, d;
      CU_ASSERT(w[i].size == D);
      for (y = w[i].y < 0 ? 0 : w[i].y; y < w[i].y + D && y < CH; y++)
        for (x = w[i].x < 0 ? 0 : w[i].x; x < w[i].x + D && x < CW; x++) cov[y * CW + x] = 1;
      if (w[i].x + D <= known.x) gx = known.x - (w[i].x + D) + 1;
      else if (known.x + known.w <= w[i].x) gx = w[i].x - (known.x + known.w) + 1;
      if (w[i].y + D <= known.y) gy = known.y - (w[i].y + D) + 1;
      else if (known.y + known.h <= w[i].y) gy = w[i].y - (known.y + known.h) + 1;
      d = sqrt(gx * gx + gy * gy);
      CU_ASSERT(d >= last);   /* nearest first */
      last = d;
    }
    for (i = 0; i < CW * CH; i++) uncovered += !cov[i];
    CU_ASSERT_EQUAL(uncovered, 0);
    free(cov);
    var_free(w);
  }
}

/* ---- class names -------------------------------------------------------------------- */

static void test_class_names(void)
{
  int i, self = 0;
  CU_ASSERT_EQUAL(var_imagenet_n_classes(), 1000);
  CU_ASSERT_STRING_EQUAL(var_imagenet_class_name(0), "tench");
  CU_ASSERT_STRING_EQUAL(var_imagenet_class_synonyms(0), "tench, Tinca tinca");
  CU_ASSERT_STRING_EQUAL(var_imagenet_class_name(207), "golden retriever");
  CU_ASSERT_STRING_EQUAL(var_imagenet_class_name(999), "toilet tissue");
  CU_ASSERT_PTR_NULL(var_imagenet_class_name(-1));
  CU_ASSERT_PTR_NULL(var_imagenet_class_name(1000));
  CU_ASSERT_PTR_NULL(var_imagenet_class_synonyms(1000));
  CU_ASSERT_EQUAL(var_imagenet_class_find("golden retriever"), 207);
  CU_ASSERT_EQUAL(var_imagenet_class_find("  Golden Retriever "), 207);
  CU_ASSERT_EQUAL(var_imagenet_class_find("golden_retriever"), 207);
  CU_ASSERT_EQUAL(var_imagenet_class_find("golden retr"), 207);
  CU_ASSERT_EQUAL(var_imagenet_class_find("Tinca tinca"), 0);
  CU_ASSERT_EQUAL(var_imagenet_class_find("carassius"), 1);
  CU_ASSERT_EQUAL(var_imagenet_class_find("man-eater"), 2);
  CU_ASSERT_EQUAL(var_imagenet_class_find("orca"), 148);
  CU_ASSERT_EQUAL(var_imagenet_class_find("partridge"), 86);   /* main name beats 82's synonym */
  CU_ASSERT_EQUAL(var_imagenet_class_find("crane"), -1);       /* the bird (134) and the machine (517) */
  CU_ASSERT_EQUAL(var_imagenet_class_find("gold"), -1);        /* goldfish, goldfinch, golden retriever ... */
  CU_ASSERT_EQUAL(var_imagenet_class_find("no such thing"), -1);
  CU_ASSERT_EQUAL(var_imagenet_class_find(""), -1);
  CU_ASSERT_EQUAL(var_imagenet_class_find(NULL), -1);
  for (i = 0; i < 1000; i++) self += var_imagenet_class_find(var_imagenet_class_name(i)) == i;
  CU_ASSERT(self >= 990);   /* all but the few main names shared by two classes */
}

static void suite_setup(void)
{
  var_ctx_params p;
  var_ctx_params_default(&p);
  p.n_threads = 2;
  CU_ASSERT_FATAL(var_ctx_new(&p, &ctx) == VAR_OK);
}

static void test_setup(void) { suite_setup(); }

static void test_teardown(void)
{
  var_ctx_free(ctx);
  ctx = NULL;
}

int main(void)
{
  static const test_case tests[] = {
    { "setup", test_setup },
    { "resample plan weights", test_plan_weights },
    { "window -> model: same size is an exact copy", test_to_model_identity },
    { "window -> model: shrinking is antialiased", test_to_model_antialias },
    { "window -> model: outside the image repeats the edge", test_to_model_padding },
    { "window -> model: transparent pixels show the visible mean", test_to_model_transparent },
    { "shrink + enlarge round trip of smooth content", test_round_trip_smooth },
    { "smooth fill: known pixels untouched, ramp continued, hidden pixels ignored", test_fill_masked },
    { "smooth fill: shrinking window, nothing under the mask leaks", test_fill_masked_shrink },
    { "seamless blend: smooth colour miss removed, detail kept", test_fill_seamless },
    { "paste: mask 0 untouched, soft mask blends exactly", test_paste_composite },
    { "planar [0,1] -> RGBA8", test_from_planar },
    { "mask bounding box, rectangle intersection", test_mask_bbox },
    { "in-paint window choice", test_window_for_box },
    { "keep-mask: token-aligned rectangle and growth", test_keep_mask_aligned },
    { "keep-mask: every masked pixel regenerated, no empty cell", test_keep_mask_covers },
    { "in-paint areas: separate windows for far-apart selections", test_mask_clusters },
    { "out-paint windows cover the canvas nearest-first", test_outpaint_windows },
    { "ImageNet class names and lookup", test_class_names },
    { "teardown", test_teardown },
    { NULL, NULL },
  };
  return run_suite("image", tests);
}

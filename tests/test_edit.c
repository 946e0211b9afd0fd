/* test_edit.c — the image-level pipeline (var_inpaint, var_outpaint,
 * var_generate) on a synthetic model, so that windows, keep-masks, compositing,
 * variants, progress, cancel and input validation are checked independently of
 * the real networks (test_edit_golden.c runs the same calls on the golden
 * checkpoints).  The synthetic model encodes each token cell as its mean colour
 * (4 bits per channel) and "generates" tokens from a hash of the seed, painting
 * each cell in its token's colour. */
#include "test_support.h"
#include "test_rng.h"

#include "edit/model.h"
#include "var.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

static var_ctx *ctx;
static var_model *fake64, *fake256;
static int n_encode, n_generate, last_keep_scales = -1;

static uint32_t rng_state = 777;
static uint32_t rnd(void) { return test_rng_next(&rng_state); }
static int rnd_in(int lo, int hi) { return test_rng_in(&rng_state, lo, hi); }

/* ---- the synthetic model ----------------------------------------------------------- */

static var_status fake_encode(var_model *m, const float *img, int32_t *tokens)
{
  int S = m->image_size, h = m->grid, cell = m->cell, off = m->n_tokens - h * h, cx, cy, c, x, y;
  n_encode++;
  memset(tokens, 0, sizeof(int32_t) * (size_t)off);
  for (cy = 0; cy < h; cy++)
    for (cx = 0; cx < h; cx++) {
      int32_t t = 0;
      for (c = 0; c < 3; c++) {
        double sum = 0;
        for (y = cy * cell; y < (cy + 1) * cell; y++)
          for (x = cx * cell; x < (cx + 1) * cell; x++) sum += (img[((size_t)c * S + y) * S + x] + 1.0) * 0.5;
        t = t * 16 + (int32_t)(sum / (cell * cell) * 15.0 + 0.5);
      }
      tokens[off + cy * h + cx] = t;
    }
  return VAR_OK;
}

static uint32_t hash3(uint64_t a, uint32_t b, uint32_t c)
{
  uint64_t x = a * 0x9E3779B97F4A7C15ull ^ ((uint64_t)b << 32 | c);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ull;
  x ^= x >> 29;
  return (uint32_t)x;
}

static var_status fake_generate(var_model *m, const var_sample_params *p, int label, const int32_t *keep_tokens,
                                const float *keep_mask, int keep_scales, int32_t *tokens_out, float *img_out)
{
  int S = m->image_size, h = m->grid, cell = m->cell, off = m->n_tokens - h * h, s, i, c, x, y;
  n_generate++;
  last_keep_scales = keep_scales;
  for (s = 0; s < m->schedule.n_scales; s++) {
    var_progress pr;
    var_status st;
    memset(&pr, 0, sizeof pr);
    pr.fraction = (double)(s + 1) / m->schedule.n_scales;
    pr.stage = "scale";
    st = var_report_progress(m->ctx, &pr);
    if (st != VAR_OK) return st;
  }
  memset(tokens_out, 0, sizeof(int32_t) * (size_t)off);
  for (i = 0; i < h * h; i++) {
    int keep = keep_mask && keep_mask[i] > 0.5f;
    tokens_out[off + i] = keep ? keep_tokens[off + i] : (int32_t)(hash3(p->seed, (uint32_t)label, (uint32_t)i) % 4096);
  }
  for (i = 0; i < h * h; i++)
    for (c = 0; c < 3; c++) {
      float v = (float)((tokens_out[off + i] >> (4 * (2 - c))) & 15) * 17.0f / 255.0f;
      for (y = (i / h) * cell; y < (i / h + 1) * cell; y++)
        for (x = (i % h) * cell; x < (i % h + 1) * cell; x++) img_out[((size_t)c * S + y) * S + x] = v;
    }
  return VAR_OK;
}

static const var_model_ops fake_ops = { .encode = fake_encode, .generate = fake_generate };

/* ---- helpers ------------------------------------------------------------------------- */

static var_image new_image(int w, int h)
{
  var_image im;
  int i;
  im.width = w;
  im.height = h;
  im.stride = 4 * w + 4 * (int)(rnd() % 3);
  im.data = malloc((size_t)im.stride * h);
  for (i = 0; i < im.stride * h; i++) im.data[i] = (uint8_t)rnd();
  return im;
}

typedef struct mask_buf {
  var_mask m;
  uint8_t *data;
} mask_buf;

static mask_buf new_mask(int w, int h)
{
  mask_buf b;
  b.m.width = w;
  b.m.height = h;
  b.m.stride = w + (int)(rnd() % 5);
  b.data = calloc((size_t)b.m.stride * h, 1);
  b.m.data = b.data;
  return b;
}

static void mask_rect(mask_buf *b, int x0, int y0, int w, int h, int soft)
{
  int x, y;
  for (y = y0; y < y0 + h; y++)
    for (x = x0; x < x0 + w; x++) b->data[y * b->m.stride + x] = soft ? (uint8_t)rnd_in(1, 255) : 255;
}

/* Pixels with mask 0 bit-identical (RGBA), mask 255 opaque; returns bad pixels. */
static int check_result(const var_image *in, const var_mask *mask, const var_image *out)
{
  int x, y, bad = 0;
  if (out->width != in->width || out->height != in->height) return -1;
  for (y = 0; y < in->height; y++)
    for (x = 0; x < in->width; x++) {
      const uint8_t *a = in->data + (size_t)y * in->stride + 4 * x, *b = out->data + (size_t)y * out->stride + 4 * x;
      uint8_t m = mask->data[(size_t)y * mask->stride + x];
      if (m == 0 && memcmp(a, b, 4)) bad++;
      if (m == 255 && b[3] != 255) bad++;
    }
  return bad;
}

static var_edit_params params_n(int variants, uint64_t seed)
{
  var_edit_params p;
  var_edit_params_default(&p);
  p.variants = variants;
  p.sample.seed = seed;
  return p;
}

/* ---- in-paint ------------------------------------------------------------------------- */

static void run_inpaint_case(var_model *m, int W, int H, mask_buf *mb, int variants)
{
  var_image im = new_image(W, H);
  var_edit_params p = params_n(variants, rnd());
  var_result *r = NULL;
  int i;
  var_status st = var_inpaint(m, &im, &mb->m, &p, &r);
  CU_ASSERT_EQUAL_FATAL(st, VAR_OK);
  if (st != VAR_OK) printf("\n%dx%d: %s\n", W, H, var_ctx_last_error(ctx));
  CU_ASSERT_EQUAL(var_result_count(r), variants);
  for (i = 0; i < variants; i++) {
    int bad = check_result(&im, &mb->m, var_result_image(r, i));
    CU_ASSERT_EQUAL(bad, 0);
    if (bad) printf("\n%dx%d variant %d: %d bad pixels\n", W, H, i, bad);
  }
  var_result_free(r);
  free(im.data);
}

static void test_inpaint_keeps_outside(void)
{
  static const int sizes[][2] = { { 1, 1 }, { 1, 300 }, { 300, 1 }, { 2, 2 }, { 3, 5 }, { 64, 64 }, { 65, 63 },
                                  { 257, 33 }, { 1000, 7 }, { 7, 1000 }, { 256, 256 }, { 600, 400 }, { 2000, 3 } };
  size_t s;
  int t;
  for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int W = sizes[s][0], H = sizes[s][1], k;
    for (k = 0; k < 6; k++) {
      mask_buf mb = new_mask(W, H);
      switch (k) {
      case 0: mask_rect(&mb, 0, 0, W, H, 0); break;                                  /* full mask */
      case 1: mask_rect(&mb, W - 1, H - 1, 1, 1, 0); break;                          /* one corner pixel */
      case 2: mask_rect(&mb, 0, 0, (W + 1) / 2, H, 1); break;                        /* soft, touching 3 borders */
      case 3: mask_rect(&mb, W / 3, H / 3, W / 3 + 1, H / 3 + 1, 0); break;           /* centre */
      case 4: mask_rect(&mb, 0, H - 1, W, 1, 1); break;                              /* bottom row, soft */
      default: {
        int b;
        for (b = 0; b < 5; b++) {
          int w = rnd_in(1, W), h = rnd_in(1, H);
          mask_rect(&mb, rnd_in(0, W - w), rnd_in(0, H - h), w, h, (int)(rnd() & 1));
        }
      }
      }
      run_inpaint_case(s % 2 ? fake64 : fake256, W, H, &mb, k == 2 ? 2 : 1);
      free(mb.data);
    }
  }
  /* random sizes and scattered soft masks */
  for (t = 0; t < 40; t++) {
    int W = rnd_in(1, 700), H = rnd_in(1, 700), i, n = rnd_in(1, 200);
    mask_buf mb = new_mask(W, H);
    for (i = 0; i < n; i++) mb.data[rnd_in(0, H - 1) * mb.m.stride + rnd_in(0, W - 1)] = (uint8_t)rnd_in(1, 255);
    run_inpaint_case(t % 2 ? fake64 : fake256, W, H, &mb, 1);
    free(mb.data);
  }
}

typedef struct trace_log {
  int n;
  float keep[64 * 64];
  int32_t keep_tokens[4096], tokens[4096];
  int win_x, win_y, win_size;
  uint64_t seeds[64];
} trace_log;

static void log_trace(void *user, const var_model_trace *t)
{
  trace_log *l = user;
  if (l->n < 64) l->seeds[l->n] = t->seed;
  l->n++;
  l->win_x = t->win_x;
  l->win_y = t->win_y;
  l->win_size = t->win_size;
  if (t->keep_mask) memcpy(l->keep, t->keep_mask, sizeof(float) * 16);
  if (t->keep_tokens) memcpy(l->keep_tokens, t->keep_tokens, sizeof(int32_t) * 30);
  memcpy(l->tokens, t->tokens, sizeof(int32_t) * 30);
}

/* A model-size image with a token-aligned rectangle: the window is the image at
 * scale 1, exactly the rectangle's tokens are regenerated, and the pixels there
 * are exactly the model's output. */
static void test_inpaint_token_aligned(void)
{
  var_image im = new_image(64, 64);
  mask_buf mb = new_mask(64, 64);
  var_edit_params p = params_n(1, 5);
  var_result *r = NULL;
  trace_log *log = calloc(1, sizeof *log);
  const var_image *o;
  int x, y, c, bad = 0;
  mask_rect(&mb, 0, 16, 32, 32, 0);   /* cells (0..1, 1..2) of the 4 x 4 grid: the golden inpaint rectangle */
  p.mask_grow = 0;
  p.seamless = 0;   /* pasted as decoded, so the pixels can be checked against the tokens */
  var_model_set_trace(fake64, log_trace, log);
  CU_ASSERT_FATAL(var_inpaint(fake64, &im, &mb.m, &p, &r) == VAR_OK);
  var_model_set_trace(fake64, NULL, NULL);
  CU_ASSERT_EQUAL(log->n, 1);
  CU_ASSERT(log->win_x == 0 && log->win_y == 0 && log->win_size == 64);
  for (y = 0; y < 4; y++)
    for (x = 0; x < 4; x++) CU_ASSERT_EQUAL(log->keep[y * 4 + x], (y >= 1 && y <= 2 && x <= 1) ? 0.0f : 1.0f);
  for (x = 14; x < 30; x++) {
    int cell = x - 14, kept = log->keep[cell] != 0.0f;
    if (kept) CU_ASSERT_EQUAL(log->tokens[x], log->keep_tokens[x]);
  }
  o = var_result_image(r, 0);
  for (y = 16; y < 48; y++)
    for (x = 0; x < 32; x++) {
      int32_t t = log->tokens[14 + (y / 16) * 4 + x / 16];
      for (c = 0; c < 3; c++) bad += o->data[y * o->stride + 4 * x + c] != ((t >> (4 * (2 - c))) & 15) * 17;
      bad += o->data[y * o->stride + 4 * x + 3] != 255;
    }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_EQUAL(check_result(&im, &mb.m, o), 0);
  /* automatic growth regenerates a ring around it */
  p.mask_grow = -1;
  memset(log, 0, sizeof *log);
  var_result_free(r);
  var_model_set_trace(fake64, log_trace, log);
  CU_ASSERT_FATAL(var_inpaint(fake64, &im, &mb.m, &p, &r) == VAR_OK);
  var_model_set_trace(fake64, NULL, NULL);
  for (y = 0; y < 4; y++)
    for (x = 0; x < 4; x++) CU_ASSERT_EQUAL(log->keep[y * 4 + x], x <= 2 ? 0.0f : 1.0f);
  var_result_free(r);
  free(log);
  free(mb.data);
  free(im.data);
}

/* Two selections far apart: each gets its own window at its own scale. */
static void test_inpaint_two_areas(void)
{
  var_image im = new_image(1200, 900);
  mask_buf mb = new_mask(1200, 900);
  var_edit_params p = params_n(2, 3);
  var_result *r = NULL;
  trace_log *log = calloc(1, sizeof *log);
  mask_rect(&mb, 30, 40, 20, 20, 1);
  mask_rect(&mb, 1100, 800, 40, 30, 0);
  var_model_set_trace(fake256, log_trace, log);
  CU_ASSERT_FATAL(var_inpaint(fake256, &im, &mb.m, &p, &r) == VAR_OK);
  var_model_set_trace(fake256, NULL, NULL);
  CU_ASSERT_EQUAL(log->n, 4);   /* 2 areas x 2 variants */
  CU_ASSERT(log->win_size < 256);   /* the last one: a small window, enlarged for the model */
  CU_ASSERT_EQUAL(check_result(&im, &mb.m, var_result_image(r, 0)), 0);
  CU_ASSERT_EQUAL(check_result(&im, &mb.m, var_result_image(r, 1)), 0);
  var_result_free(r);
  free(log);
  free(mb.data);
  free(im.data);
}

/* strength: how many coarse scales the model call keeps whole */
static void test_strength(void)
{
  var_image im = new_image(64, 64);
  mask_buf mb = new_mask(64, 64);
  var_edit_params p = params_n(1, 2);
  var_result *r = NULL;
  const int n = fake64->schedule.n_scales;
  static const float strengths[] = { 1.0f, 0.5f, 0.0f, 0.74f };
  size_t i;
  mask_rect(&mb, 10, 10, 20, 20, 0);
  for (i = 0; i < sizeof strengths / sizeof strengths[0]; i++) {
    int want = (int)floor((1.0 - strengths[i]) * n + 0.5);
    p.strength = strengths[i];
    last_keep_scales = -1;
    CU_ASSERT_FATAL(var_inpaint(fake64, &im, &mb.m, &p, &r) == VAR_OK);
    CU_ASSERT_EQUAL(last_keep_scales, want);
    CU_ASSERT_EQUAL(check_result(&im, &mb.m, var_result_image(r, 0)), 0);
    var_result_free(r);
    last_keep_scales = -1;
    CU_ASSERT_FATAL(var_outpaint(fake64, &im, 0, 0, 16, 0, &p, &r) == VAR_OK);
    CU_ASSERT_EQUAL(last_keep_scales, want);
    var_result_free(r);
  }
  CU_ASSERT_EQUAL(n, 4);
  /* plain generation keeps nothing whatever the strength */
  p.strength = 0.0f;
  CU_ASSERT_FATAL(var_generate(fake64, &p, &r) == VAR_OK);
  CU_ASSERT_EQUAL(last_keep_scales, 0);
  var_result_free(r);
  /* out of range */
  p.strength = 1.5f;
  CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "strength") != NULL);
  p.strength = NAN;
  CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  free(mb.data);
  free(im.data);
}

static void test_inpaint_bad_input(void)
{
  var_image im = new_image(32, 20), bad;
  mask_buf mb = new_mask(32, 20), other = new_mask(20, 32);
  var_edit_params p = params_n(1, 0);
  var_result *r = (var_result *)&p;   /* must be reset to NULL on failure */
  uint8_t tiny[64] = { 0 };
  mask_rect(&mb, 3, 3, 5, 5, 0);
  mask_rect(&other, 3, 3, 5, 5, 0);
  /* mismatched mask */
  CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &other.m, &p, &r), VAR_ERR_SHAPE);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "20x32") != NULL);
  /* empty mask */
  {
    mask_buf empty = new_mask(32, 20);
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &empty.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
    CU_ASSERT(strstr(var_ctx_last_error(ctx), "empty") != NULL);
    free(empty.data);
  }
  /* zero, negative and huge sizes (the huge one must fail before touching the 64-byte buffer) */
  bad = im;
  bad.width = 0;
  CU_ASSERT_EQUAL(var_inpaint(fake64, &bad, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  bad.width = -5;
  CU_ASSERT_EQUAL(var_inpaint(fake64, &bad, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  bad.width = bad.height = 100000;
  bad.stride = 400000;
  bad.data = tiny;
  {
    var_mask hm = { 100000, 100000, 100000, tiny };
    CU_ASSERT_EQUAL(var_inpaint(fake64, &bad, &hm, &p, &r), VAR_ERR_INVALID_ARGUMENT);
    CU_ASSERT(strstr(var_ctx_last_error(ctx), "too large") != NULL);
  }
  bad = im;
  bad.stride = 4 * 32 - 1;
  CU_ASSERT_EQUAL(var_inpaint(fake64, &bad, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  bad = im;
  bad.data = NULL;
  CU_ASSERT_EQUAL(var_inpaint(fake64, &bad, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  {
    var_mask m2 = mb.m;
    m2.stride = 10;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &m2, &p, &r), VAR_ERR_INVALID_ARGUMENT);
    m2 = mb.m;
    m2.data = NULL;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &m2, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  }
  /* NULLs */
  CU_ASSERT_EQUAL(var_inpaint(NULL, &im, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_inpaint(fake64, NULL, &mb.m, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_inpaint(fake64, &im, NULL, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &p, NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(r);
  /* parameters out of range */
  {
    var_edit_params q = p;
    q.variants = 0;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q.variants = VAR_MAX_VARIANTS + 1;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q = p;
    q.class_label = 10;   /* the synthetic model has 10 classes */
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q.class_label = -2;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q = p;
    q.sample.top_p = 1.5f;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q = p;
    q.sample.cfg = 0.0f / 0.0f;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q = p;
    q.sample.top_k = -1;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q = p;
    q.mask_grow = -7;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
    q = p;
    q.context_margin = -3;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &q, &r), VAR_ERR_INVALID_ARGUMENT);
  }
  CU_ASSERT_PTR_NULL(r);
  /* NULL params = defaults, and it still works after all those failures */
  CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, NULL, &r), VAR_OK);
  var_result_free(r);
  free(mb.data);
  free(other.data);
  free(im.data);
}

static void same_image(const var_image *a, const var_image *b)
{
  int y, diff = 0;
  CU_ASSERT_FATAL(a->width == b->width && a->height == b->height);
  for (y = 0; y < a->height; y++)
    diff += memcmp(a->data + (size_t)y * a->stride, b->data + (size_t)y * b->stride, (size_t)a->width * 4) != 0;
  CU_ASSERT_EQUAL(diff, 0);
}

/* N variants carry seeds seed..seed+N-1 and equal single runs with those seeds. */
static void test_variants(void)
{
  var_image im = new_image(90, 70);
  mask_buf mb = new_mask(90, 70);
  var_edit_params p = params_n(3, 40);
  var_result *r = NULL, *one = NULL;
  int i;
  mask_rect(&mb, 20, 10, 30, 30, 1);
  CU_ASSERT_FATAL(var_inpaint(fake256, &im, &mb.m, &p, &r) == VAR_OK);
  CU_ASSERT_EQUAL(var_result_count(r), 3);
  for (i = 0; i < 3; i++) {
    var_edit_params q = params_n(1, 40 + (uint64_t)i);
    char want[32];
    CU_ASSERT_EQUAL(var_result_seed(r, i), 40 + (uint64_t)i);
    snprintf(want, sizeof want, "seed=%d ", 40 + i);
    CU_ASSERT(strstr(var_result_description(r, i), want) != NULL);
    CU_ASSERT(strncmp(var_result_description(r, i), "VAR inpaint fake256 ", 20) == 0);
    CU_ASSERT_FATAL(var_inpaint(fake256, &im, &mb.m, &q, &one) == VAR_OK);
    same_image(var_result_image(r, i), var_result_image(one, 0));
    var_result_free(one);
  }
  /* different seeds give different images */
  CU_ASSERT(memcmp(var_result_image(r, 0)->data + 20 * 4 * 90, var_result_image(r, 1)->data + 20 * 4 * 90,
                   4 * 90 * 20) != 0);
  CU_ASSERT_PTR_NULL(var_result_image(r, 3));
  CU_ASSERT_PTR_NULL(var_result_image(r, -1));
  CU_ASSERT_PTR_NULL(var_result_description(r, 3));
  CU_ASSERT_EQUAL(var_result_count(NULL), 0);
  var_result_free(r);
  var_result_free(NULL);
  free(mb.data);
  free(im.data);
}

/* ---- progress and cancel ------------------------------------------------------------- */

typedef struct prog_log {
  int calls, bad_order, last_variant, cancel_at, from_thread;
  double last, first;
} prog_log;

static void *cancel_thread(void *arg)
{
  var_ctx_cancel((var_ctx *)arg);
  return NULL;
}

static int on_progress(void *user, const var_progress *p)
{
  prog_log *l = user;
  if (!l->calls) l->first = p->fraction;
  if (p->fraction < l->last - 1e-12 || p->fraction < 0 || p->fraction > 1) l->bad_order++;
  if (p->variant < l->last_variant || p->variant >= p->variants) l->bad_order++;
  if (p->step > p->total_steps) l->bad_order++;
  l->last = p->fraction;
  l->last_variant = p->variant;
  l->calls++;
  if (l->cancel_at && l->calls == l->cancel_at) {
    if (!l->from_thread) return 1;
    {
      pthread_t t;
      pthread_create(&t, NULL, cancel_thread, ctx);
      pthread_join(t, NULL);
    }
  }
  return 0;
}

static void test_progress(void)
{
  var_image im = new_image(300, 200);
  mask_buf mb = new_mask(300, 200);
  var_edit_params p = params_n(3, 1);
  var_result *r = NULL;
  prog_log l;
  memset(&l, 0, sizeof l);
  mask_rect(&mb, 50, 50, 60, 40, 0);
  var_ctx_set_progress(ctx, on_progress, &l);
  CU_ASSERT_FATAL(var_inpaint(fake256, &im, &mb.m, &p, &r) == VAR_OK);
  CU_ASSERT(l.calls > 3 * 10);
  CU_ASSERT_EQUAL(l.bad_order, 0);
  CU_ASSERT_EQUAL(l.first, 0.0);
  CU_ASSERT_EQUAL(l.last, 1.0);
  CU_ASSERT_EQUAL(l.last_variant, 2);
  var_result_free(r);
  /* out-paint over several windows: one monotonic fraction for the whole job */
  memset(&l, 0, sizeof l);
  p.variants = 2;
  CU_ASSERT_FATAL(var_outpaint(fake64, &im, 0, 0, 100, 30, &p, &r) == VAR_OK);
  CU_ASSERT_EQUAL(l.bad_order, 0);
  CU_ASSERT_EQUAL(l.last, 1.0);
  var_result_free(r);
  memset(&l, 0, sizeof l);
  CU_ASSERT_FATAL(var_generate(fake64, &p, &r) == VAR_OK);
  CU_ASSERT_EQUAL(l.bad_order, 0);
  CU_ASSERT_EQUAL(l.last, 1.0);
  var_result_free(r);
  var_ctx_set_progress(ctx, NULL, NULL);
  free(mb.data);
  free(im.data);
}

static void test_cancel(void)
{
  var_image im = new_image(120, 90);
  mask_buf mb = new_mask(120, 90);
  var_edit_params p = params_n(3, 1);
  var_result *r = (var_result *)&p;
  prog_log l;
  int at, n_calls;
  mask_rect(&mb, 10, 10, 30, 30, 0);
  memset(&l, 0, sizeof l);
  var_ctx_set_progress(ctx, on_progress, &l);
  CU_ASSERT_FATAL(var_inpaint(fake64, &im, &mb.m, &p, &r) == VAR_OK);
  var_result_free(r);
  n_calls = l.calls;
  CU_ASSERT(n_calls > 10);
  /* cancel by the callback's return value at every point where it is called */
  for (at = 1; at <= n_calls; at++) {
    memset(&l, 0, sizeof l);
    l.cancel_at = at;
    var_ctx_set_progress(ctx, on_progress, &l);
    r = (var_result *)&p;
    CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &p, &r), VAR_ERR_CANCELLED);
    CU_ASSERT_PTR_NULL(r);
  }
  /* from another thread, in out-paint and generate */
  memset(&l, 0, sizeof l);
  l.cancel_at = 7;
  l.from_thread = 1;
  CU_ASSERT_EQUAL(var_outpaint(fake64, &im, 40, 40, 40, 40, &p, &r), VAR_ERR_CANCELLED);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "cancel") != NULL);
  memset(&l, 0, sizeof l);
  l.cancel_at = 12;
  l.from_thread = 1;
  CU_ASSERT_EQUAL(var_generate(fake64, &p, &r), VAR_ERR_CANCELLED);
  CU_ASSERT_PTR_NULL(r);
  /* a cancel requested before the call starts is cleared by it */
  var_ctx_set_progress(ctx, NULL, NULL);
  var_ctx_cancel(ctx);
  CU_ASSERT_EQUAL(var_inpaint(fake64, &im, &mb.m, &p, &r), VAR_OK);
  var_result_free(r);
  free(mb.data);
  free(im.data);
}

/* ---- out-paint --------------------------------------------------------------------- */

static void check_outpaint(const var_image *in, const var_image *out, int left, int top, int right, int bottom)
{
  int x, y, bad_copy = 0, bad_new = 0;
  CU_ASSERT_FATAL(out->width == left + in->width + right && out->height == top + in->height + bottom);
  for (y = 0; y < out->height; y++)
    for (x = 0; x < out->width; x++) {
      const uint8_t *o = out->data + (size_t)y * out->stride + 4 * x;
      int ix = x - left, iy = y - top;
      if (ix >= 0 && iy >= 0 && ix < in->width && iy < in->height)
        bad_copy += memcmp(o, in->data + (size_t)iy * in->stride + 4 * ix, 4) != 0;
      else
        bad_new += o[3] != 255;
    }
  CU_ASSERT_EQUAL(bad_copy, 0);
  CU_ASSERT_EQUAL(bad_new, 0);
}

static void test_outpaint_sides(void)
{
  static const int cases[][4] = { { 32, 0, 0, 0 }, { 0, 32, 0, 0 }, { 0, 0, 32, 0 }, { 0, 0, 0, 32 }, { 5, 9, 13, 1 },
                                  { 200, 0, 0, 0 }, { 0, 0, 0, 300 }, { 100, 100, 100, 100 }, { 1, 1, 1, 1 } };
  size_t c;
  for (c = 0; c < sizeof cases / sizeof cases[0]; c++) {
    var_image im = new_image(c % 2 ? 40 : 64, c % 3 ? 64 : 23);
    var_edit_params p = params_n(c == 4 ? 2 : 1, c);
    var_result *r = NULL;
    int v;
    n_generate = 0;
    CU_ASSERT_FATAL(var_outpaint(fake64, &im, cases[c][0], cases[c][1], cases[c][2], cases[c][3], &p, &r) == VAR_OK);
    for (v = 0; v < var_result_count(r); v++)
      check_outpaint(&im, var_result_image(r, v), cases[c][0], cases[c][1], cases[c][2], cases[c][3]);
    if (cases[c][0] == 200 || cases[c][3] == 300) CU_ASSERT(n_generate > 2);   /* several windows */
    var_result_free(r);
    free(im.data);
  }
  /* a 1 x 1 image grown to 1 x 2000 */
  {
    var_image im = new_image(1, 1);
    var_result *r = NULL;
    CU_ASSERT_FATAL(var_outpaint(fake256, &im, 0, 0, 0, 1999, NULL, &r) == VAR_OK);
    check_outpaint(&im, var_result_image(r, 0), 0, 0, 0, 1999);
    var_result_free(r);
    free(im.data);
  }
}

/* Far extensions are filled window by window, and each window keeps earlier results. */
static void test_outpaint_large(void)
{
  var_image im = new_image(64, 64);
  var_result *r = NULL;
  trace_log *log = calloc(1, sizeof *log);
  n_generate = 0;
  var_model_set_trace(fake64, log_trace, log);
  CU_ASSERT_FATAL(var_outpaint(fake64, &im, 300, 10, 20, 200, NULL, &r) == VAR_OK);
  var_model_set_trace(fake64, NULL, NULL);
  check_outpaint(&im, var_result_image(r, 0), 300, 10, 20, 200);
  CU_ASSERT(log->n > 10);
  CU_ASSERT_EQUAL(log->n, n_generate);
  var_result_free(r);
  free(log);
  free(im.data);
}

static void test_outpaint_transparent(void)
{
  var_image im = new_image(100, 80);
  var_result *r = NULL;
  int x, y, bad = 0;
  for (y = 0; y < 80; y++)
    for (x = 0; x < 100; x++) {
      uint8_t *p = im.data + y * im.stride + 4 * x;
      p[3] = (x > 60 || (x - 20) * (x - 20) + (y - 40) * (y - 40) < 100) ? 0 : (uint8_t)rnd_in(1, 255);
    }
  CU_ASSERT_FATAL(var_outpaint(fake64, &im, 0, 0, 0, 0, NULL, &r) == VAR_OK);
  for (y = 0; y < 80; y++)
    for (x = 0; x < 100; x++) {
      const uint8_t *a = im.data + y * im.stride + 4 * x, *b = var_result_image(r, 0)->data + y * 400 + 4 * x;
      if (a[3]) bad += memcmp(a, b, 4) != 0;
      else bad += b[3] != 255;
    }
  CU_ASSERT_EQUAL(bad, 0);
  var_result_free(r);
  /* fully transparent: nothing known to continue, refused (it once "succeeded" from nothing) */
  memset(im.data, 0, (size_t)im.stride * 80);
  r = (var_result *)&im;
  CU_ASSERT_EQUAL(var_outpaint(fake64, &im, 0, 0, 0, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "every pixel of the 100x80 image is transparent") != NULL);
  CU_ASSERT_PTR_NULL(r);
  free(im.data);
}

static void test_outpaint_bad_input(void)
{
  var_image im = new_image(50, 50);
  var_result *r = (var_result *)&im;
  int x, y;
  for (y = 0; y < 50; y++)
    for (x = 0; x < 50; x++) im.data[y * im.stride + 4 * x + 3] = 255;
  CU_ASSERT_EQUAL(var_outpaint(fake64, &im, 0, 0, 0, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "nothing to out-paint") != NULL);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT_EQUAL(var_outpaint(fake64, &im, -1, 0, 0, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_outpaint(fake64, &im, 100000, 0, 0, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_outpaint(fake64, &im, 2000000000, 0, 2000000000, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_outpaint(fake64, &im, 20000, 20000, 0, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "too large") != NULL);
  CU_ASSERT_EQUAL(var_outpaint(fake64, NULL, 1, 0, 0, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_outpaint(NULL, &im, 1, 0, 0, 0, NULL, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(r);
  free(im.data);
}

/* ---- generate ------------------------------------------------------------------------ */

static void test_generate(void)
{
  var_edit_params p = params_n(2, 9);
  var_result *r = NULL;
  const var_image *a, *b;
  int i, opaque = 1;
  p.class_label = 3;
  CU_ASSERT_FATAL(var_generate(fake256, &p, &r) == VAR_OK);
  CU_ASSERT_EQUAL(var_result_count(r), 2);
  a = var_result_image(r, 0);
  b = var_result_image(r, 1);
  CU_ASSERT(a->width == 256 && a->height == 256 && a->stride == 1024);
  for (i = 0; i < 256 * 256; i++) opaque &= a->data[4 * i + 3] == 255;
  CU_ASSERT(opaque);
  CU_ASSERT(memcmp(a->data, b->data, 256 * 1024) != 0);
  CU_ASSERT_EQUAL(var_result_seed(r, 1), 10);
  CU_ASSERT(strstr(var_result_description(r, 1), "class=3") != NULL);
  var_result_free(r);
  p.class_label = 10;
  CU_ASSERT_EQUAL(var_generate(fake256, &p, &r), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(r);
  CU_ASSERT_EQUAL(var_generate(NULL, &p, &r), VAR_ERR_INVALID_ARGUMENT);
}

static void test_model_info(void)
{
  var_model_info info;
  CU_ASSERT_FATAL(var_model_get_info(fake256, &info) == VAR_OK);
  CU_ASSERT_STRING_EQUAL(info.name, "fake256");
  CU_ASSERT_EQUAL(info.image_size, 256);
  CU_ASSERT_EQUAL(info.token_cell, 16);
  CU_ASSERT_EQUAL(info.num_classes, 10);
  CU_ASSERT_EQUAL(info.schedule.n_scales, 10);
  CU_ASSERT_EQUAL(var_model_get_info(NULL, &info), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(var_model_vqvae(fake256));
  CU_ASSERT_PTR_NULL(var_model_vqvae(NULL));
}

/* Model folders: flag, then $VAR_MODEL_DIR, then the XDG default; messages name the files. */
static void test_model_dir(void)
{
  var_model *m = (var_model *)&m;
  setenv("VAR_MODEL_DIR", "/nonexistent/var-models", 1);
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, NULL, NULL, &m), VAR_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NULL(m);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "/nonexistent/var-models") != NULL);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "$VAR_MODEL_DIR") != NULL);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "huggingface.co/FoundationVision/var/resolve/main/var_d16.pth") != NULL);
  /* an explicit folder wins over the variable */
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, "/nonexistent/flag-dir", NULL, &m), VAR_ERR_NOT_FOUND);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "/nonexistent/flag-dir") != NULL);
  unsetenv("VAR_MODEL_DIR");
#ifdef _WIN32
  /* %LOCALAPPDATA%\libvar\models; a relative value is ignored, as XDG_DATA_HOME's is;
   * a non-ASCII one comes back in UTF-8 */
  setenv("LOCALAPPDATA", "C:\\nonexistent\\appdata", 1);
  CU_ASSERT_STRING_EQUAL(var_default_model_dir(), "C:\\nonexistent\\appdata\\libvar\\models");
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, NULL, "var_d20", &m), VAR_ERR_NOT_FOUND);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "C:\\nonexistent\\appdata\\libvar\\models") != NULL);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "var_d20.pth") != NULL);
  CU_ASSERT_EQUAL(_wputenv_s(L"LOCALAPPDATA", L"C:\\Users\\Jos\u00e9\\AppData\\Local"), 0);
  CU_ASSERT_STRING_EQUAL(var_default_model_dir(), "C:\\Users\\Jos\xc3\xa9\\AppData\\Local\\libvar\\models");
  setenv("LOCALAPPDATA", "relative\\ignored", 1);
  CU_ASSERT_STRING_EQUAL(var_default_model_dir(), "libvar-models");
#else
  setenv("XDG_DATA_HOME", "/nonexistent/xdg", 1);
  CU_ASSERT_STRING_EQUAL(var_default_model_dir(), "/nonexistent/xdg/libvar/models");
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, NULL, "var_d20", &m), VAR_ERR_NOT_FOUND);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "/nonexistent/xdg/libvar/models") != NULL);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "var_d20.pth") != NULL);
  setenv("XDG_DATA_HOME", "relative/ignored", 1);
  setenv("HOME", "/nonexistent/home", 1);
  CU_ASSERT_STRING_EQUAL(var_default_model_dir(), "/nonexistent/home/.local/share/libvar/models");
#endif
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, "/tmp", "../etc/x", &m), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, "/tmp", NULL, NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_model_load(ctx, NULL, "x.pth", NULL, &m), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_model_load(ctx, "/nonexistent/vae.pth", "/nonexistent/var.pth", NULL, &m) != VAR_OK, 1);
  CU_ASSERT_PTR_NULL(m);
}

static void test_setup(void)
{
  var_ctx_params cp;
  var_schedule s64 = { 4, { 1, 2, 3, 4 } }, s256 = { 10, { 1, 2, 3, 4, 5, 6, 8, 10, 13, 16 } };
  var_ctx_params_default(&cp);
  cp.n_threads = 2;
  CU_ASSERT_FATAL(var_ctx_new(&cp, &ctx) == VAR_OK);
  CU_ASSERT_FATAL(var_model_new_custom(ctx, "fake64", &s64, 16, 10, 4096, &fake_ops, NULL, &fake64) == VAR_OK);
  CU_ASSERT_FATAL(var_model_new_custom(ctx, "fake256", &s256, 16, 10, 4096, &fake_ops, NULL, &fake256) == VAR_OK);
}

static void test_teardown(void)
{
  var_model_free(fake64);
  var_model_free(fake256);
  var_ctx_free(ctx);
}

int main(void)
{
  static const test_case tests[] = {
    { "setup (synthetic models)", test_setup },
    { "in-paint: outside-mask pixels bit-identical, many sizes and masks", test_inpaint_keeps_outside },
    { "in-paint: token-aligned rectangle at model size", test_inpaint_token_aligned },
    { "in-paint: far-apart selections in separate windows", test_inpaint_two_areas },
    { "in-paint: bad input gives clear errors", test_inpaint_bad_input },
    { "strength: coarse scales kept whole, in- and out-paint", test_strength },
    { "variants: seeds and equality with single runs", test_variants },
    { "progress: one monotonic fraction over the job", test_progress },
    { "cancel: no result, from callback or another thread", test_cancel },
    { "out-paint: every side, original copied exactly", test_outpaint_sides },
    { "out-paint: large extension in windows", test_outpaint_large },
    { "out-paint: transparent pixels", test_outpaint_transparent },
    { "out-paint: bad input", test_outpaint_bad_input },
    { "generate: native size, variants, class", test_generate },
    { "model info", test_model_info },
    { "model folders and their messages", test_model_dir },
    { "teardown", test_teardown },
    { NULL, NULL },
  };
  return run_suite("edit", tests);
}

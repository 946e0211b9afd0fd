/* test_edit_golden.c — the image-level API on the real networks with the golden
 * checkpoints: a model-size image with a token-aligned rectangle reproduces the
 * token-level golden edits (golden.md §4.4) through var_inpaint; outside-mask
 * pixels stay bit-identical on real outputs; out-paint, variants and cancel on
 * the real model; and timings of an in-paint on the tiny and small sets. */
#include "test_support.h"

#include "edit/image.h"
#include "edit/model.h"
#include "edit/window.h"
#include "var.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static var_ctx *ctx;

static double now(void)
{
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec + t.tv_nsec * 1e-9;
}

static var_model *load_set(const char *set)
{
  var_model *m = NULL;
  var_status st = var_model_load_dir(ctx, set, NULL, &m);
  if (st != VAR_OK) printf("\n  loading %s: %s\n", set, var_ctx_last_error(ctx));
  CU_ASSERT_EQUAL(st, VAR_OK);
  return m;
}

/* vae_input[0] as RGBA8, rounded the way a PNG of it would be. */
static var_image golden_image(const golden_set *g)
{
  npy_array a;
  char err[512];
  var_image im = { 0, 0, 0, NULL };
  int S = g->image_size, x, y, c;
  if (golden_load(g, "vae_input", &a, err, sizeof err) != 0) {
    printf("\n  %s\n", err);
    return im;
  }
  im.width = im.height = S;
  im.stride = 4 * S;
  im.data = malloc((size_t)4 * S * S);
  for (y = 0; y < S; y++)
    for (x = 0; x < S; x++) {
      for (c = 0; c < 3; c++) {
        double v = (a.f[((size_t)c * S + y) * S + x] + 1.0) / 2.0 * 255.0;
        im.data[4 * (y * S + x) + c] = (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : floor(v + 0.5));
      }
      im.data[4 * (y * S + x) + 3] = 255;
    }
  npy_free(&a);
  return im;
}

typedef struct capture {
  int n, L, h, S;
  int32_t *keep_tokens, *tokens;
  float *keep, *img;
} capture;

static void on_trace(void *user, const var_model_trace *t)
{
  capture *c = user;
  c->n++;
  if (t->keep_tokens) memcpy(c->keep_tokens, t->keep_tokens, sizeof(int32_t) * (size_t)c->L);
  if (t->keep_mask) memcpy(c->keep, t->keep_mask, sizeof(float) * (size_t)c->h * c->h);
  memcpy(c->tokens, t->tokens, sizeof(int32_t) * (size_t)c->L);
  memcpy(c->img, t->image, sizeof(float) * 3 * (size_t)c->S * c->S);
}

/* Through var_inpaint: the pixel mask is the golden token rectangle (1 = keep
 * -> 0, 0 = generate -> 255), grow 0, the case's label and cfg, greedy sampling. */
static void check_golden_edit(const char *set, const char *tag)
{
  golden_set g;
  char err[1024], name[64];
  var_model *m;
  var_image im;
  npy_array gmask, gtok, gvae, glabel;
  var_edit_params p;
  var_mask mask;
  uint8_t *mdata;
  capture cap;
  var_result *r = NULL;
  const var_json *cs;
  int S, h, cell, x, y, i, bad_keep = 0, bad_tok = 0, bad_px = 0, bad_out = 0;
  double t0;

  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  m = load_set(set);
  if (!m) {
    golden_close(&g);
    return;
  }
  S = g.image_size;
  h = g.latent;
  cell = S / h;
  im = golden_image(&g);
  snprintf(name, sizeof name, "%s_mask", tag);
  CU_ASSERT_FATAL(golden_load(&g, name, &gmask, err, sizeof err) == 0);
  snprintf(name, sizeof name, "%s_tokens", tag);
  CU_ASSERT_FATAL(golden_load(&g, name, &gtok, err, sizeof err) == 0);
  snprintf(name, sizeof name, "%s_label", tag);
  CU_ASSERT_FATAL(golden_load(&g, name, &glabel, err, sizeof err) == 0);
  CU_ASSERT_FATAL(golden_load(&g, "vae_tokens", &gvae, err, sizeof err) == 0);
  mdata = calloc((size_t)S * S, 1);
  for (y = 0; y < S; y++)
    for (x = 0; x < S; x++) mdata[y * S + x] = gmask.f[(y / cell) * h + x / cell] < 0.5f ? 255 : 0;
  mask.width = mask.height = mask.stride = S;
  mask.data = mdata;

  cs = golden_case(&g, tag);
  var_edit_params_default(&p);
  p.sample.cfg = (float)var_json_get(cs, "cfg")->number;
  p.sample.top_k = 1;
  p.sample.top_p = 0;
  p.sample.more_smooth = 0;
  p.sample.seed = 0;
  p.mask_grow = 0;
  p.fill = VAR_FILL_ORIGINAL;   /* the original editing code encodes the masked pixels as they are */
  p.seamless = 0;               /* and pastes the decoded pixels as they are */
  p.class_label = glabel.i[0] >= m->num_classes ? -1 : (int)glabel.i[0];

  memset(&cap, 0, sizeof cap);
  cap.L = g.L;
  cap.h = h;
  cap.S = S;
  cap.keep_tokens = malloc(sizeof(int32_t) * g.L);
  cap.tokens = malloc(sizeof(int32_t) * g.L);
  cap.keep = malloc(sizeof(float) * h * h);
  cap.img = malloc(sizeof(float) * 3 * S * S);
  var_model_set_trace(m, on_trace, &cap);
  t0 = now();
  CU_ASSERT_FATAL(var_inpaint(m, &im, &mask, &p, &r) == VAR_OK);
  printf("\n  %s %s: var_inpaint %dx%d in %.3f s\n", g.name, tag, S, S, now() - t0);
  CU_ASSERT_EQUAL(cap.n, 1);
  for (i = 0; i < h * h; i++) bad_keep += cap.keep[i] != gmask.f[i];
  for (i = 0; i < g.L; i++) bad_tok += cap.keep_tokens[i] != (int32_t)gvae.i[i];   /* image 0 of vae_tokens */
  CU_ASSERT_EQUAL(bad_keep, 0);
  CU_ASSERT_EQUAL(bad_tok, 0);   /* the uint8 image encodes to the golden tokens */
  bad_tok = 0;
  for (i = 0; i < g.L; i++) bad_tok += cap.tokens[i] != (int32_t)gtok.i[i];
  CU_ASSERT_EQUAL(bad_tok, 0);
  snprintf(name, sizeof name, "%s_image", tag);
  {
    golden_report rep = { 0, 0, 0, stdout };
    CU_ASSERT_EQUAL(golden_check_f32(&rep, &g, name, cap.img, 3 * (int64_t)S * S, 1.0), GOLDEN_PASS);
  }
  /* the result: model output inside the mask (within one level), the input outside */
  {
    npy_array gimg;
    const var_image *o = var_result_image(r, 0);
    CU_ASSERT_FATAL(golden_load(&g, name, &gimg, err, sizeof err) == 0);
    for (y = 0; y < S; y++)
      for (x = 0; x < S; x++) {
        const uint8_t *a = im.data + 4 * (y * S + x), *b = o->data + (size_t)y * o->stride + 4 * x;
        int c;
        if (!mdata[y * S + x]) {
          bad_out += memcmp(a, b, 4) != 0;
          continue;
        }
        for (c = 0; c < 3; c++) bad_px += fabs(b[c] - gimg.f[((size_t)c * S + y) * S + x] * 255.0) > 1.0;
      }
    npy_free(&gimg);
  }
  CU_ASSERT_EQUAL(bad_px, 0);
  CU_ASSERT_EQUAL(bad_out, 0);
  var_result_free(r);
  var_model_free(m);
  free(cap.keep_tokens);
  free(cap.tokens);
  free(cap.keep);
  free(cap.img);
  free(mdata);
  free(im.data);
  npy_free(&gmask);
  npy_free(&gtok);
  npy_free(&gvae);
  npy_free(&glabel);
  golden_close(&g);
}

static void test_tiny_inpaint(void) { check_golden_edit(GOLDEN_DIR("tiny"), "edit_inpaint"); }
static void test_tiny_outpaint_case(void) { check_golden_edit(GOLDEN_DIR("tiny"), "edit_outpaint"); }

/* The small set's uint8 rounding changes some VQ tokens, so there the edit is
 * checked one level down: the golden float image, the keep-mask built from the
 * pixel rectangle by the in-paint code, the model's two calls. */
static void check_small_token_level(const char *tag)
{
  golden_set g;
  char err[1024], name[64];
  var_model *m;
  npy_array gin, gmask, gtok, glabel, gvae;
  uint8_t *mdata;
  var_rect bbox;
  var_window win;
  var_sample_params sp;
  float *keep, *img;
  int32_t *tokens, *out;
  int S, h, cell, x, y, i, bad = 0, n_gen;
  double t0;

  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("small"), &g, err, sizeof err) == 0);
  m = load_set(GOLDEN_DIR("small"));
  if (!m) {
    golden_close(&g);
    return;
  }
  S = g.image_size;
  h = g.latent;
  cell = S / h;
  CU_ASSERT_FATAL(golden_load(&g, "vae_input", &gin, err, sizeof err) == 0);
  CU_ASSERT_FATAL(golden_load(&g, "vae_tokens", &gvae, err, sizeof err) == 0);
  snprintf(name, sizeof name, "%s_mask", tag);
  CU_ASSERT_FATAL(golden_load(&g, name, &gmask, err, sizeof err) == 0);
  snprintf(name, sizeof name, "%s_tokens", tag);
  CU_ASSERT_FATAL(golden_load(&g, name, &gtok, err, sizeof err) == 0);
  snprintf(name, sizeof name, "%s_label", tag);
  CU_ASSERT_FATAL(golden_load(&g, name, &glabel, err, sizeof err) == 0);
  mdata = calloc((size_t)S * S, 1);
  for (y = 0; y < S; y++)
    for (x = 0; x < S; x++) mdata[y * S + x] = gmask.f[(y / cell) * h + x / cell] < 0.5f ? 255 : 0;
  var_mask_bbox(mdata, S, S, S, &bbox);
  win = var_window_for_box(bbox, S, S, var_window_auto_margin(bbox.w > bbox.h ? bbox.w : bbox.h, S));
  CU_ASSERT(win.x == 0 && win.y == 0 && win.size == S);
  keep = malloc(sizeof(float) * h * h);
  tokens = malloc(sizeof(int32_t) * g.L);
  out = malloc(sizeof(int32_t) * g.L);
  img = malloc(sizeof(float) * 3 * S * S);
  CU_ASSERT_FATAL(var_window_keep_mask(ctx, mdata, S, S, S, bbox, win, S, cell, 0, keep, &n_gen) == VAR_OK);
  for (i = 0; i < h * h; i++) bad += keep[i] != gmask.f[i];
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_FATAL(m->ops->encode(m, gin.f, tokens) == VAR_OK);
  bad = 0;
  for (i = 0; i < g.L; i++) bad += tokens[i] != (int32_t)gvae.i[i];
  CU_ASSERT_EQUAL(bad, 0);
  memset(&sp, 0, sizeof sp);
  sp.cfg = (float)var_json_get(golden_case(&g, tag), "cfg")->number;
  sp.top_k = 1;
  t0 = now();
  CU_ASSERT_FATAL(m->ops->generate(m, &sp, glabel.i[0] >= m->num_classes ? -1 : (int)glabel.i[0], tokens, keep, 0,
                                   out, img) == VAR_OK);
  printf("\n  small %s: masked generation %dx%d in %.3f s\n", tag, S, S, now() - t0);
  bad = 0;
  for (i = 0; i < g.L; i++) bad += out[i] != (int32_t)gtok.i[i];
  CU_ASSERT_EQUAL(bad, 0);
  free(keep);
  free(tokens);
  free(out);
  free(img);
  free(mdata);
  npy_free(&gin);
  npy_free(&gvae);
  npy_free(&gmask);
  npy_free(&gtok);
  npy_free(&glabel);
  var_model_free(m);
  golden_close(&g);
}

static void test_small_token_level(void)
{
  check_small_token_level("edit_inpaint");
  check_small_token_level("edit_outpaint");
}

/* Real decoder outputs: outside-mask pixels bit-identical for odd sizes and soft masks,
 * out-paint of each side, variants equal to single runs, cancel leaves nothing. */
static void test_tiny_properties(void)
{
  static const int sizes[][2] = { { 1, 1 }, { 97, 13 }, { 13, 97 }, { 200, 150 } };
  var_model *m = load_set(GOLDEN_DIR("tiny"));
  var_edit_params p;
  size_t s;
  if (!m) return;
  var_edit_params_default(&p);
  p.variants = 2;
  p.sample.seed = 11;
  for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
    int W = sizes[s][0], H = sizes[s][1], x, y, bad = 0, v;
    var_image im = { W, H, 4 * W, malloc((size_t)4 * W * H) };
    uint8_t *md = malloc((size_t)W * H);
    var_mask mask = { W, H, W, md };
    var_result *r = NULL, *one = NULL;
    for (y = 0; y < H; y++)
      for (x = 0; x < W; x++) {
        uint8_t *q = im.data + 4 * (y * W + x);
        q[0] = (uint8_t)(x * 7);
        q[1] = (uint8_t)(y * 5);
        q[2] = (uint8_t)(x ^ y);
        q[3] = (uint8_t)(x + y);
        md[y * W + x] =
            (x - W / 2) * (x - W / 2) + (y - H / 2) * (y - H / 2) < W * H / 8 + 1 ? (uint8_t)(x * 3 + 1) : 0;
      }
    CU_ASSERT_FATAL(var_inpaint(m, &im, &mask, &p, &r) == VAR_OK);
    for (v = 0; v < 2; v++) {
      const var_image *o = var_result_image(r, v);
      for (y = 0; y < H; y++)
        for (x = 0; x < W; x++)
          if (!md[y * W + x]) bad += memcmp(im.data + 4 * (y * W + x), o->data + (size_t)y * o->stride + 4 * x, 4) != 0;
    }
    CU_ASSERT_EQUAL(bad, 0);
    /* variant 1 == a single run with seed 12 */
    {
      var_edit_params q = p;
      q.variants = 1;
      q.sample.seed = 12;
      CU_ASSERT_FATAL(var_inpaint(m, &im, &mask, &q, &one) == VAR_OK);
      CU_ASSERT(memcmp(var_result_image(one, 0)->data, var_result_image(r, 1)->data, (size_t)4 * W * H) == 0);
      var_result_free(one);
    }
    var_result_free(r);
    /* out-paint: the input is copied, the new area is opaque */
    CU_ASSERT_FATAL(var_outpaint(m, &im, 3, 40, 70, 1, &p, &r) == VAR_OK);
    {
      const var_image *o = var_result_image(r, 0);
      bad = 0;
      for (y = 0; y < o->height; y++)
        for (x = 0; x < o->width; x++) {
          const uint8_t *b = o->data + (size_t)y * o->stride + 4 * x;
          int ix = x - 3, iy = y - 40;
          if (ix >= 0 && iy >= 0 && ix < W && iy < H) bad += memcmp(b, im.data + 4 * (iy * W + ix), 4) != 0;
          else bad += b[3] != 255;
        }
      CU_ASSERT_EQUAL(bad, 0);
    }
    var_result_free(r);
    free(md);
    free(im.data);
  }
  var_model_free(m);
}

/* VAR_FILL_SMOOTH: what is under the mask does not reach the result (it does with
 * VAR_FILL_ORIGINAL, where kept coarse cells are encoded from it). */
static void test_tiny_fill(void)
{
  const int W = 120, H = 90;
  var_model *m = load_set(GOLDEN_DIR("tiny"));
  var_image a = { W, H, 4 * W, NULL }, b = { W, H, 4 * W, NULL };
  uint8_t *md;
  var_mask mask = { W, H, W, NULL };
  var_edit_params p;
  int x, y, f;
  if (!m) return;
  a.data = malloc((size_t)4 * W * H);
  b.data = malloc((size_t)4 * W * H);
  md = calloc((size_t)W * H, 1);
  mask.data = md;
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++) {
      uint8_t *q = a.data + 4 * (y * W + x);
      int inside = (x - 50) * (x - 50) + (y - 40) * (y - 40) < 22 * 22;
      q[0] = (uint8_t)(2 * x);
      q[1] = (uint8_t)(250 - 2 * y);
      q[2] = (uint8_t)(x + y);
      q[3] = 255;
      md[y * W + x] = inside ? 255 : 0;
    }
  memcpy(b.data, a.data, (size_t)4 * W * H);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      if (md[y * W + x]) memset(b.data + 4 * (y * W + x), (x / 6 + y / 6) % 2 ? 255 : 0, 3);   /* a checkerboard */
  var_edit_params_default(&p);
  CU_ASSERT_EQUAL(p.fill, VAR_FILL_SMOOTH);
  p.sample.seed = 3;
  for (f = 0; f < 2; f++) {
    var_result *ra = NULL, *rb = NULL;
    p.fill = f ? VAR_FILL_ORIGINAL : VAR_FILL_SMOOTH;
    CU_ASSERT_FATAL(var_inpaint(m, &a, &mask, &p, &ra) == VAR_OK);
    CU_ASSERT_FATAL(var_inpaint(m, &b, &mask, &p, &rb) == VAR_OK);
    if (f == 0) CU_ASSERT(memcmp(var_result_image(ra, 0)->data, var_result_image(rb, 0)->data, (size_t)4 * W * H) == 0);
    if (f == 1) CU_ASSERT(memcmp(var_result_image(ra, 0)->data, var_result_image(rb, 0)->data, (size_t)4 * W * H) != 0);
    CU_ASSERT(strstr(var_result_description(ra, 0), f ? " fill=original" : " fill=smooth") != NULL);
    var_result_free(ra);
    var_result_free(rb);
  }
  p.fill = 7;
  {
    var_result *r = (var_result *)1;
    CU_ASSERT_EQUAL(var_inpaint(m, &a, &mask, &p, &r), VAR_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT(strstr(var_ctx_last_error(ctx), "fill") != NULL);
    p.fill = VAR_FILL_SMOOTH;
    p.seamless = 2;
    r = (var_result *)1;
    CU_ASSERT_EQUAL(var_inpaint(m, &a, &mask, &p, &r), VAR_ERR_INVALID_ARGUMENT);
    CU_ASSERT_PTR_NULL(r);
    CU_ASSERT(strstr(var_ctx_last_error(ctx), "seamless") != NULL);
  }
  free(md);
  free(a.data);
  free(b.data);
  var_model_free(m);
}

/* The release VAE topology (small set): a non-square image, a soft off-grid mask. */
static void test_small_inpaint(void)
{
  const int W = 300, H = 200;
  var_model *m = load_set(GOLDEN_DIR("small"));
  var_image im = { W, H, 4 * W, NULL };
  uint8_t *md;
  var_mask mask = { W, H, W, NULL };
  var_result *r = NULL;
  int x, y, bad = 0;
  double t0;
  if (!m) return;
  im.data = malloc((size_t)4 * W * H);
  md = calloc((size_t)W * H, 1);
  mask.data = md;
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++) {
      uint8_t *q = im.data + 4 * (y * W + x);
      q[0] = (uint8_t)(128 + 100 * sin(x * 0.03));
      q[1] = (uint8_t)(y + 20);
      q[2] = (uint8_t)(x / 2);
      q[3] = 255;
      if (x >= 117 && x < 181 && y >= 53 && y < 101) md[y * W + x] = (uint8_t)(x < 125 ? 60 : 255);
    }
  t0 = now();
  CU_ASSERT_FATAL(var_inpaint(m, &im, &mask, NULL, &r) == VAR_OK);
  printf("\n  small: var_inpaint %dx%d, 64x48 soft mask, in %.3f s\n", W, H, now() - t0);
  for (y = 0; y < H; y++)
    for (x = 0; x < W; x++)
      if (!md[y * W + x])
        bad += memcmp(im.data + 4 * (y * W + x), var_result_image(r, 0)->data + 4 * (y * W + x), 4) != 0;
  CU_ASSERT_EQUAL(bad, 0);
  var_result_free(r);
  free(md);
  free(im.data);
  var_model_free(m);
}

typedef struct stop_after {
  int calls, at;
} stop_after;

static int stop_cb(void *user, const var_progress *pr)
{
  stop_after *s = user;
  (void)pr;
  return ++s->calls == s->at;
}

static void test_tiny_cancel(void)
{
  var_model *m = load_set(GOLDEN_DIR("tiny"));
  var_result *r = NULL;
  stop_after s = { 0, 0 };
  int at, total;
  if (!m) return;
  var_ctx_set_progress(ctx, stop_cb, &s);
  CU_ASSERT_FATAL(var_generate(m, NULL, &r) == VAR_OK);
  var_result_free(r);
  total = s.calls;
  CU_ASSERT(total >= m->schedule.n_scales);
  for (at = 1; at <= total; at++) {
    s.calls = 0;
    s.at = at;
    r = (var_result *)&s;
    CU_ASSERT_EQUAL(var_generate(m, NULL, &r), VAR_ERR_CANCELLED);
    CU_ASSERT_PTR_NULL(r);
  }
  var_ctx_set_progress(ctx, NULL, NULL);
  var_model_free(m);
}

static void test_setup(void)
{
  var_ctx_params p;
  var_ctx_params_default(&p);
  p.n_threads = 2;
  CU_ASSERT_FATAL(var_ctx_new(&p, &ctx) == VAR_OK);
}

static void test_teardown(void) { var_ctx_free(ctx); }

int main(void)
{
  static const test_case tests[] = {
    { "setup", test_setup },
    { "tiny: var_inpaint reproduces the golden in-paint edit", test_tiny_inpaint },
    { "tiny: var_inpaint with the inverted rectangle reproduces the golden out-paint edit", test_tiny_outpaint_case },
    { "small: keep-mask from a pixel rectangle reproduces both golden edits", test_small_token_level },
    { "tiny: outside-mask identity, out-paint, variants on real outputs", test_tiny_properties },
    { "tiny: cancel at every progress report leaves no result", test_tiny_cancel },
    { "tiny: smooth fill hides what is under the mask, original does not", test_tiny_fill },
    { "small: in-paint of a non-square image with a soft mask", test_small_inpaint },
    { "teardown", test_teardown },
    { NULL, NULL },
  };
  return run_suite("edit_golden", tests);
}

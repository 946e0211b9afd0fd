/* test_vqvae.c — the multi-scale VQ-VAE on the CPU backend: golden parity of
 * every vae_* array (tools/golden/stage_vae.c), the quantiser's teacher-forcing
 * inputs, the VAE ops against straightforward reference loops, and bad inputs. */
#include "test_support.h"

#include "cpu/cpu_ops.h"
#include "io/ckpt.h"
#include "model/vqvae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_golden_tiny(void) { assert_golden_stage(GOLDEN_DIR("tiny"), "vae", 30); }
static void test_golden_tiny_saln(void) { assert_golden_stage(GOLDEN_DIR("tiny-saln"), "vae", 30); }
static void test_golden_small(void) { assert_golden_stage(GOLDEN_DIR("small"), "vae", 40); }

/* var_quant_teacher_inputs (idxBl_to_var_input) from the golden tokens equals
 * tf_x_wo_first_l; this covers var_quant_add_scale and var_quant_next_input. */
static void check_teacher_inputs(const char *dir)
{
  golden_set g;
  golden_report r = { 0, 0, 0, stdout };
  npy_array tok;
  char err[1024], path[1200];
  var_ctx *ctx = NULL;
  var_vqvae *vae = NULL;
  int32_t *t = NULL;
  float *x = NULL;
  int64_t i;
  int B, rows;
  CU_ASSERT_FATAL(golden_open(dir, &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(golden_load(&g, "vae_tokens", &tok, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_FATAL(var_vqvae_load(ctx, golden_checkpoint(&g, "vae", path, sizeof path), &vae) == VAR_OK);
  B = (int)tok.shape[0];
  rows = g.L - g.schedule.pn[0] * g.schedule.pn[0];
  t = malloc(sizeof *t * (size_t)tok.numel);
  x = malloc(sizeof *x * (size_t)B * rows * vae->cfg.z_channels);
  CU_ASSERT_FATAL(t && x);
  for (i = 0; i < tok.numel; i++) t[i] = (int32_t)tok.i[i];
  CU_ASSERT_EQUAL(var_quant_teacher_inputs(vae, &g.schedule, B, t, x), VAR_OK);
  CU_ASSERT_EQUAL(golden_check_f32(&r, &g, "tf_x_wo_first_l", x, (int64_t)B * rows * vae->cfg.z_channels, 1.0),
                  GOLDEN_PASS);
  free(t);
  free(x);
  npy_free(&tok);
  var_vqvae_free(vae);
  var_ctx_free(ctx);
  golden_close(&g);
}

static void test_teacher_inputs(void)
{
  check_teacher_inputs(GOLDEN_DIR("tiny"));
  check_teacher_inputs(GOLDEN_DIR("tiny-saln"));
  check_teacher_inputs(GOLDEN_DIR("small"));
}

/* ---- ops against reference loops ------------------------------------------------- */

/* Deterministic pseudo-random values in [-1, 1). */
static float frand(uint32_t *state)
{
  *state = *state * 1664525u + 1013904223u;
  return (float)(*state >> 8) / 8388608.0f - 1.0f;
}

static void fill_rand(float *x, size_t n, uint32_t seed, float scale, float offset)
{
  size_t i;
  for (i = 0; i < n; i++) x[i] = offset + scale * frand(&seed);
}

/* A context with n threads (0 = default) for the op tests. */
static var_ctx *op_ctx(int n_threads)
{
  var_ctx_params p;
  var_ctx *ctx = NULL;
  var_ctx_params_default(&p);
  p.n_threads = n_threads;
  p.backend = "cpu";
  CU_ASSERT_FATAL(var_ctx_new(&p, &ctx) == VAR_OK);
  return ctx;
}

/* Backend buffer holding a copy of host data. */
static var_dbuf *upload(var_backend *be, const float *x, size_t n)
{
  var_dbuf *b = NULL;
  CU_ASSERT_FATAL(var_be_alloc_f32(be, n ? n : 1, &b) == VAR_OK);
  if (n) CU_ASSERT_FATAL(be->ops->write(be, var_dp(b, 0), x, n * sizeof(float)) == VAR_OK);
  return b;
}

static void download(var_backend *be, var_dbuf *b, float *x, size_t n)
{
  CU_ASSERT_FATAL(be->ops->read(be, var_dp(b, 0), x, n * sizeof(float)) == VAR_OK);
}

typedef struct {
  int batch, c_in, h, w, c_out, k, stride, pt, pl, pb, pr, residual;
} conv_case;

/* out = conv(in) + bias (+ residual) for every geometry, against a double loop;
 * *out_copy (if given) receives the result for thread-count comparisons.
 * Returns the largest error. */
static double check_conv(var_ctx *ctx, const conv_case *c, float **out_copy)
{
  var_backend *be = ctx->backend;
  var_conv_desc d;
  size_t n_in, n_w, n_out, i;
  float *x, *w, *b, *r, *y;
  var_dbuf *bx, *bw, *bb, *br = NULL, *by;
  double max_err = 0;
  int bt, co, oy, ox, ci, dy, dx;
  CU_ASSERT_FATAL(var_conv_desc_init(&d, c->batch, c->c_in, c->h, c->w, c->c_out, c->k, c->stride, c->pt, c->pl,
                                     c->pb, c->pr) == VAR_OK);
  n_in = (size_t)c->batch * c->c_in * c->h * c->w;
  n_w = (size_t)c->c_out * c->c_in * c->k * c->k;
  n_out = (size_t)c->batch * c->c_out * d.h_out * d.w_out;
  x = malloc(sizeof *x * n_in);
  w = malloc(sizeof *w * n_w);
  b = malloc(sizeof *b * (size_t)c->c_out);
  r = malloc(sizeof *r * n_out);
  y = malloc(sizeof *y * n_out);
  CU_ASSERT_FATAL(x && w && b && r && y);
  fill_rand(x, n_in, 1, 1.0f, 0.0f);
  fill_rand(w, n_w, 2, 0.5f, 0.0f);
  fill_rand(b, (size_t)c->c_out, 3, 1.0f, 0.0f);
  fill_rand(r, n_out, 4, 1.0f, 0.0f);
  bx = upload(be, x, n_in);
  bw = upload(be, w, n_w);
  bb = upload(be, b, (size_t)c->c_out);
  if (c->residual) br = upload(be, r, n_out);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, n_out, &by) == VAR_OK);
  CU_ASSERT_EQUAL_FATAL(be->ops->conv2d(be, &d, var_dp(bx, 0), var_dp(bw, 0), var_dp(bb, 0),
                                        br ? var_dp(br, 0) : var_dp_none(), var_dp(by, 0)), VAR_OK);
  download(be, by, y, n_out);
  for (bt = 0; bt < c->batch; bt++)
    for (co = 0; co < c->c_out; co++)
      for (oy = 0; oy < d.h_out; oy++)
        for (ox = 0; ox < d.w_out; ox++) {
          const size_t o = (((size_t)bt * c->c_out + co) * d.h_out + oy) * d.w_out + ox;
          double acc = b[co] + (c->residual ? r[o] : 0.0);
          for (ci = 0; ci < c->c_in; ci++)
            for (dy = 0; dy < c->k; dy++)
              for (dx = 0; dx < c->k; dx++) {
                const int iy = oy * c->stride + dy - c->pt, ix = ox * c->stride + dx - c->pl;
                if (iy < 0 || iy >= c->h || ix < 0 || ix >= c->w) continue;
                acc += (double)w[(((size_t)co * c->c_in + ci) * c->k + dy) * c->k + dx] *
                       x[(((size_t)bt * c->c_in + ci) * c->h + iy) * c->w + ix];
              }
          if (fabs(acc - y[o]) > max_err) max_err = fabs(acc - y[o]);
        }
  if (max_err > 1e-4)
    printf("\nconv B%d %d->%d %dx%d k%d s%d pad %d,%d,%d,%d res %d: max err %g\n", c->batch, c->c_in, c->c_out,
           c->h, c->w, c->k, c->stride, c->pt, c->pl, c->pb, c->pr, c->residual, max_err);
  CU_ASSERT(max_err <= 1e-4);
  if (out_copy) {
    *out_copy = malloc(sizeof(float) * n_out);
    if (*out_copy) memcpy(*out_copy, y, sizeof(float) * n_out);
  }
  for (i = 0; i < 1; i++) {
    be->ops->release(be, bx);
    be->ops->release(be, bw);
    be->ops->release(be, bb);
    be->ops->release(be, br);
    be->ops->release(be, by);
  }
  free(x);
  free(w);
  free(b);
  free(r);
  free(y);
  return max_err;
}

static const conv_case conv_cases[] = {
  /* B  cin  h   w  cout k  s  pt pl pb pr res */
  { 1, 3, 16, 16, 32, 3, 1, 1, 1, 1, 1, 0 },       /* conv_in */
  { 2, 32, 9, 7, 13, 3, 1, 1, 1, 1, 1, 1 },       /* odd sizes, c_out not a multiple of 6, residual */
  { 1, 40, 5, 33, 7, 3, 1, 1, 1, 1, 1, 0 },       /* rows not a multiple of 16 */
  { 2, 17, 8, 8, 19, 3, 2, 0, 0, 1, 1, 0 },       /* the encoder's downsample: right/bottom pad, stride 2 */
  { 1, 6, 11, 13, 5, 3, 2, 0, 0, 1, 1, 1 },       /* odd-sized downsample */
  { 2, 24, 6, 10, 72, 1, 1, 0, 0, 0, 0, 1 },      /* 1x1 (qkv, nin_shortcut, proj_out) */
  { 1, 9, 7, 9, 11, 5, 1, 2, 1, 0, 3, 0 },        /* 5x5, asymmetric padding */
  { 1, 300, 4, 4, 8, 3, 1, 1, 1, 1, 1, 1 },       /* K = 2700 spans several blocks of k */
  { 1, 8, 20, 20, 3, 3, 1, 1, 1, 1, 1, 0 },       /* conv_out: 3 channels */
  { 2, 12, 70, 66, 10, 3, 1, 1, 1, 1, 1, 1 },     /* >= 1024 pixels: the shifted GEMMs of BLAS builds, a short last band */
  /* Winograd F(2x2, 3x3): maps not a multiple of the 2x2 tile or of 8 tiles per row, 1-pixel maps,
   * channel counts not a multiple of 8 */
  { 1, 5, 1, 1, 7, 3, 1, 1, 1, 1, 1, 1 },         /* a 1x1 map: only the centre tap */
  { 2, 3, 1, 6, 2, 3, 1, 1, 1, 1, 1, 0 },         /* one row */
  { 1, 11, 17, 2, 9, 3, 1, 1, 1, 1, 1, 1 },       /* two columns */
  { 2, 13, 17, 35, 11, 3, 1, 1, 1, 1, 1, 1 },     /* 18 tiles per row (24 with padding), vector and scalar split */
  { 1, 20, 33, 32, 17, 3, 1, 1, 1, 1, 1, 0 },     /* 1056 pixels: the default takes Winograd */
  { 1, 37, 13, 999, 43, 3, 1, 1, 1, 1, 1, 1 },    /* Winograd: 3 bands of tile rows, 3 GEMM column chunks */
};

/* Runs every case; `label` (if given) prints each case's largest error. */
static void run_conv_cases_labelled(const char *label)
{
  var_ctx *ctx = op_ctx(0);
  unsigned i;
  for (i = 0; i < sizeof conv_cases / sizeof conv_cases[0]; i++) {
    const conv_case *c = &conv_cases[i];
    const double err = check_conv(ctx, c, NULL);
    if (label)
      printf("\n  %s: B%d %d->%d %dx%d k%d s%d: max |err| %.3g", label, c->batch, c->c_in, c->c_out, c->h, c->w,
             c->k, c->stride, err);
  }
  var_ctx_free(ctx);
}

static void run_conv_cases(void) { run_conv_cases_labelled(NULL); }

/* Every convolution path (the shifted GEMMs exist in BLAS builds only: without a
 * BLAS, "taps" runs im2col + SGEMM), and the plain C code without AVX2. */
static void test_conv(void)
{
  setenv("VAR_CONV", "direct", 1);
  run_conv_cases();
  setenv("VAR_CONV", "gemm", 1);
  run_conv_cases();
  setenv("VAR_CONV", "taps", 1);
  run_conv_cases_labelled(getenv("VAR_TEST_VERBOSE") ? "taps" : NULL);
  setenv("VAR_CONV", "winograd", 1);
  run_conv_cases_labelled(getenv("VAR_TEST_VERBOSE") ? "winograd" : NULL);
  /* both ways of running the bands, with tiny bands: many bands, bands of part of a tile row */
  setenv("VAR_WG_MODE", "0", 1);
  setenv("VAR_WG_SHARED_KIB", "64", 1);
  run_conv_cases();
  setenv("VAR_WG_MODE", "1", 1);
  setenv("VAR_WG_PRIVATE_KIB", "16", 1);
  run_conv_cases();
  unsetenv("VAR_WG_MODE");
  unsetenv("VAR_WG_SHARED_KIB");
  unsetenv("VAR_WG_PRIVATE_KIB");
  setenv("VAR_SIMD", "0", 1);
  run_conv_cases();   /* Winograd's plain C transforms */
  unsetenv("VAR_CONV");
  run_conv_cases();
  unsetenv("VAR_SIMD");
}

/* The tuning variables are read when the backend is created: changing one later
 * leaves a backend as it was, and a backend created after the change follows it. */
static void test_tuning_read_once(void)
{
  var_ctx *ctx, *ctx2;
  char before[64];
  unsetenv("VAR_CONV");
  ctx = op_ctx(0);
  snprintf(before, sizeof before, "%s", var_cpu_conv_name(ctx->backend));
  setenv("VAR_CONV", "gemm", 1);
  CU_ASSERT_STRING_EQUAL(var_cpu_conv_name(ctx->backend), before);
  ctx2 = op_ctx(0);
  CU_ASSERT_STRING_EQUAL(var_cpu_conv_name(ctx2->backend), "im2col+gemm");
  unsetenv("VAR_CONV");
  CU_ASSERT_STRING_EQUAL(var_cpu_conv_name(ctx2->backend), "im2col+gemm");
  var_ctx_free(ctx2);
  var_ctx_free(ctx);
}

/* Winograd with checkpoint-like weights (wrap_const): the transformed filters are
 * made on the first call and reused; the results equal those of owned weights
 * (transformed per call), bit for bit, on every call. */
static void test_winograd_cached_weights(void)
{
  static const conv_case c = { 1, 24, 34, 30, 19, 3, 1, 1, 1, 1, 1, 1 };
  var_ctx *ctx;
  var_backend *be;
  var_conv_desc d;
  const size_t n_in = (size_t)c.c_in * c.h * c.w, n_w = (size_t)c.c_out * c.c_in * 9, n_out = (size_t)c.c_out * c.h * c.w;
  float *x = malloc(sizeof *x * n_in), *w = malloc(sizeof *w * n_w), *b = malloc(sizeof *b * (size_t)c.c_out);
  float *y[3];
  var_dbuf *bx, *bw_owned, *bw_const = NULL, *bb, *by;
  size_t mem0, mem1;
  int k;
  CU_ASSERT_FATAL(x && w && b);
  setenv("VAR_CONV", "winograd", 1);   /* read when the backend is created */
  ctx = op_ctx(2);
  be = ctx->backend;
  CU_ASSERT_FATAL(var_conv_desc_init(&d, 1, c.c_in, c.h, c.w, c.c_out, 3, 1, 1, 1, 1, 1) == VAR_OK);
  fill_rand(x, n_in, 11, 1.0f, 0.0f);
  fill_rand(w, n_w, 12, 0.5f, 0.0f);
  fill_rand(b, (size_t)c.c_out, 13, 1.0f, 0.0f);
  bx = upload(be, x, n_in);
  bw_owned = upload(be, w, n_w);
  bb = upload(be, b, (size_t)c.c_out);
  CU_ASSERT_FATAL(be->ops->wrap_const(be, w, n_w * sizeof(float), &bw_const) == VAR_OK);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, n_out, &by) == VAR_OK);
  be->ops->memory(be, &mem0, NULL);
  for (k = 0; k < 3; k++) {
    y[k] = malloc(sizeof(float) * n_out);
    CU_ASSERT_FATAL(y[k] != NULL);
    CU_ASSERT_EQUAL_FATAL(be->ops->conv2d(be, &d, var_dp(bx, 0), var_dp(k ? bw_const : bw_owned, 0), var_dp(bb, 0),
                                          var_dp_none(), var_dp(by, 0)), VAR_OK);
    download(be, by, y[k], n_out);
  }
  be->ops->memory(be, &mem1, NULL);
  unsetenv("VAR_CONV");
  /* the kept transform: 16 x c_out x c_in floats, counted in the backend's memory */
  CU_ASSERT_EQUAL(mem1 - mem0, (size_t)16 * c.c_out * c.c_in * sizeof(float));
  CU_ASSERT(memcmp(y[0], y[1], n_out * sizeof(float)) == 0);
  CU_ASSERT(memcmp(y[0], y[2], n_out * sizeof(float)) == 0);
  be->ops->release(be, bw_const);   /* drops the kept transform */
  be->ops->memory(be, &mem1, NULL);
  CU_ASSERT_EQUAL(mem1, mem0);
  be->ops->release(be, bx);
  be->ops->release(be, bw_owned);
  be->ops->release(be, bb);
  be->ops->release(be, by);
  for (k = 0; k < 3; k++) free(y[k]);
  free(x);
  free(w);
  free(b);
  var_ctx_free(ctx);
}

static void check_group_norm(var_ctx *ctx, int batch, int channels, int hw, int groups, int silu, float offset)
{
  var_backend *be = ctx->backend;
  const size_t n = (size_t)batch * channels * hw;
  float *x = malloc(sizeof *x * n), *y = malloc(sizeof *y * n), g[256], bt[256];
  var_dbuf *bx, *bg, *bb, *by;
  double max_err = 0;
  int b, gi, c, p;
  CU_ASSERT_FATAL(x && y && channels <= 256);
  fill_rand(x, n, 5, 2.0f, offset);
  fill_rand(g, (size_t)channels, 6, 0.5f, 1.0f);
  fill_rand(bt, (size_t)channels, 7, 0.3f, 0.0f);
  bx = upload(be, x, n);
  bg = upload(be, g, (size_t)channels);
  bb = upload(be, bt, (size_t)channels);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, n, &by) == VAR_OK);
  CU_ASSERT_EQUAL(be->ops->group_norm(be, batch, channels, hw, groups, 1e-6f, var_dp(bx, 0), var_dp(bg, 0),
                                      var_dp(bb, 0), var_dp(by, 0), silu), VAR_OK);
  download(be, by, y, n);
  for (b = 0; b < batch; b++)
    for (gi = 0; gi < groups; gi++) {
      const int cpg = channels / groups;
      const float *xs = x + ((size_t)b * channels + (size_t)gi * cpg) * hw;
      double mean = 0, var = 0;
      for (p = 0; p < cpg * hw; p++) mean += xs[p];
      mean /= cpg * hw;
      for (p = 0; p < cpg * hw; p++) var += (xs[p] - mean) * (xs[p] - mean);
      var /= cpg * hw;
      for (c = 0; c < cpg; c++)
        for (p = 0; p < hw; p++) {
          const int ch = gi * cpg + c;
          double v = (xs[(size_t)c * hw + p] - mean) / sqrt(var + 1e-6) * g[ch] + bt[ch];
          if (silu) v = v / (1.0 + exp(-v));
          v -= y[((size_t)b * channels + ch) * hw + p];
          if (fabs(v) > max_err) max_err = fabs(v);
        }
    }
  CU_ASSERT(max_err <= 2e-5);
  if (max_err > 2e-5) printf("\ngroup_norm %d ch %d groups silu %d: max err %g\n", channels, groups, silu, max_err);
  be->ops->release(be, bx);
  be->ops->release(be, bg);
  be->ops->release(be, bb);
  be->ops->release(be, by);
  free(x);
  free(y);
}

static void run_group_norm_cases(void)
{
  var_ctx *ctx = op_ctx(0);
  check_group_norm(ctx, 2, 64, 37, 32, 1, 0.0f);
  check_group_norm(ctx, 1, 32, 100, 32, 0, 0.0f);
  check_group_norm(ctx, 1, 12, 9, 4, 1, 5.0f);        /* a large mean: the variance must not cancel */
  check_group_norm(ctx, 1, 96, 1, 32, 1, -3.0f);      /* one pixel, 3 channels per group */
  var_ctx_free(ctx);
}

static void test_group_norm(void)
{
  run_group_norm_cases();
  setenv("VAR_SIMD", "0", 1);
  run_group_norm_cases();
  unsetenv("VAR_SIMD");
}

static void test_upsample(void)
{
  var_ctx *ctx = op_ctx(0);
  var_backend *be = ctx->backend;
  float x[3 * 5 * 7], y[3 * 10 * 14];
  var_dbuf *bx, *by;
  int p, yy, xx, bad = 0;
  fill_rand(x, sizeof x / sizeof x[0], 8, 1.0f, 0.0f);
  bx = upload(be, x, sizeof x / sizeof x[0]);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, sizeof y / sizeof y[0], &by) == VAR_OK);
  CU_ASSERT_EQUAL(be->ops->upsample_nearest2x(be, 3, 5, 7, var_dp(bx, 0), var_dp(by, 0)), VAR_OK);
  download(be, by, y, sizeof y / sizeof y[0]);
  for (p = 0; p < 3; p++)
    for (yy = 0; yy < 10; yy++)
      for (xx = 0; xx < 14; xx++)
        if (y[(p * 10 + yy) * 14 + xx] != x[(p * 5 + yy / 2) * 7 + xx / 2]) bad++;
  CU_ASSERT_EQUAL(bad, 0);
  be->ops->release(be, bx);
  be->ops->release(be, by);
  var_ctx_free(ctx);
}

static void check_attention(var_ctx *ctx, int batch, int C, int n)
{
  var_backend *be = ctx->backend;
  const size_t nq = (size_t)batch * 3 * C * n, no = (size_t)batch * C * n;
  float *qkv = malloc(sizeof *qkv * nq), *y = malloc(sizeof *y * no);
  double *s = malloc(sizeof *s * (size_t)n), max_err = 0;
  var_dbuf *bq, *by;
  int b, i, j, c;
  CU_ASSERT_FATAL(qkv && y && s);
  fill_rand(qkv, nq, 9, 2.0f, 0.0f);
  bq = upload(be, qkv, nq);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, no, &by) == VAR_OK);
  CU_ASSERT_EQUAL(be->ops->spatial_attention(be, batch, C, n, var_dp(bq, 0), var_dp(by, 0)), VAR_OK);
  download(be, by, y, no);
  for (b = 0; b < batch; b++) {
    const float *q = qkv + (size_t)b * 3 * C * n, *k = q + (size_t)C * n, *v = k + (size_t)C * n;
    for (i = 0; i < n; i++) {
      double m = -1e300, sum = 0;
      for (j = 0; j < n; j++) {
        s[j] = 0;
        for (c = 0; c < C; c++) s[j] += (double)q[(size_t)c * n + i] * k[(size_t)c * n + j];
        s[j] /= sqrt((double)C);
        if (s[j] > m) m = s[j];
      }
      for (j = 0; j < n; j++) sum += (s[j] = exp(s[j] - m));
      for (c = 0; c < C; c++) {
        double o = 0;
        for (j = 0; j < n; j++) o += v[(size_t)c * n + j] * s[j] / sum;
        o -= y[((size_t)b * C + c) * n + i];
        if (fabs(o) > max_err) max_err = fabs(o);
      }
    }
  }
  CU_ASSERT(max_err <= 1e-5);
  if (max_err > 1e-5) printf("\nattention C %d n %d: max err %g\n", C, n, max_err);
  be->ops->release(be, bq);
  be->ops->release(be, by);
  free(qkv);
  free(y);
  free(s);
}

static void test_attention(void)
{
  var_ctx *ctx = op_ctx(0);
  check_attention(ctx, 2, 8, 13);
  check_attention(ctx, 1, 32, 64);
  check_attention(ctx, 1, 3, 1);
  var_ctx_free(ctx);
  setenv("VAR_SIMD", "0", 1);
  ctx = op_ctx(0);
  check_attention(ctx, 2, 8, 13);
  var_ctx_free(ctx);
  unsetenv("VAR_SIMD");
}

/* Area: each output averages the input window [floor(i In/Out), ceil((i+1) In/Out)). */
static void check_area(var_ctx *ctx, int hi, int wi, int ho, int wo)
{
  var_backend *be = ctx->backend;
  const int planes = 3;
  float *x = malloc(sizeof *x * (size_t)planes * hi * wi), *y = malloc(sizeof *y * (size_t)planes * ho * wo);
  var_dbuf *bx, *by;
  double max_err = 0;
  int p, oy, ox, yy, xx;
  CU_ASSERT_FATAL(x && y);
  fill_rand(x, (size_t)planes * hi * wi, 10, 1.0f, 0.0f);
  bx = upload(be, x, (size_t)planes * hi * wi);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)planes * ho * wo, &by) == VAR_OK);
  CU_ASSERT_EQUAL(be->ops->resize_area(be, planes, hi, wi, ho, wo, var_dp(bx, 0), var_dp(by, 0)), VAR_OK);
  download(be, by, y, (size_t)planes * ho * wo);
  for (p = 0; p < planes; p++)
    for (oy = 0; oy < ho; oy++)
      for (ox = 0; ox < wo; ox++) {
        const int y0 = oy * hi / ho, y1 = ((oy + 1) * hi + ho - 1) / ho;
        const int x0 = ox * wi / wo, x1 = ((ox + 1) * wi + wo - 1) / wo;
        double sum = 0;
        for (yy = y0; yy < y1; yy++)
          for (xx = x0; xx < x1; xx++) sum += x[((size_t)p * hi + yy) * wi + xx];
        sum = sum / ((y1 - y0) * (x1 - x0)) - y[((size_t)p * ho + oy) * wo + ox];
        if (fabs(sum) > max_err) max_err = fabs(sum);
      }
  CU_ASSERT(max_err <= 1e-6);
  if (hi == ho && wi == wo) CU_ASSERT(memcmp(x, y, sizeof(float) * (size_t)planes * hi * wi) == 0);
  be->ops->release(be, bx);
  be->ops->release(be, by);
  free(x);
  free(y);
}

/* Bicubic (A = -0.75, half-pixel centres, clamped taps), per docs/algorithm.md §2.1, in double. */
static double cubic_w(double d)
{
  const double a = -0.75;
  d = fabs(d);
  if (d <= 1) return ((a + 2) * d - (a + 3)) * d * d + 1;
  if (d < 2) return ((a * d - 5 * a) * d + 8 * a) * d - 4 * a;
  return 0;
}

static double bicubic_ref(const float *x, int hi, int wi, int ho, int wo, int oy, int ox)
{
  const double ry = (double)hi / ho * (oy + 0.5) - 0.5, rx = (double)wi / wo * (ox + 0.5) - 0.5;
  const int y0 = (int)floor(ry), x0 = (int)floor(rx);
  double acc = 0;
  int i, j;
  for (i = -1; i <= 2; i++)
    for (j = -1; j <= 2; j++) {
      int yy = y0 + i, xx = x0 + j;
      yy = yy < 0 ? 0 : yy > hi - 1 ? hi - 1 : yy;
      xx = xx < 0 ? 0 : xx > wi - 1 ? wi - 1 : xx;
      acc += cubic_w(ry - (y0 + i)) * cubic_w(rx - (x0 + j)) * x[(size_t)yy * wi + xx];
    }
  return acc;
}

static void check_bicubic(var_ctx *ctx, int hi, int wi, int ho, int wo)
{
  var_backend *be = ctx->backend;
  const int planes = 2;
  float *x = malloc(sizeof *x * (size_t)planes * hi * wi), *y = malloc(sizeof *y * (size_t)planes * ho * wo);
  var_dbuf *bx, *by;
  double max_err = 0;
  int p, oy, ox;
  CU_ASSERT_FATAL(x && y);
  fill_rand(x, (size_t)planes * hi * wi, 11, 1.0f, 0.0f);
  bx = upload(be, x, (size_t)planes * hi * wi);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)planes * ho * wo, &by) == VAR_OK);
  CU_ASSERT_EQUAL(be->ops->resize_bicubic(be, planes, hi, wi, ho, wo, var_dp(bx, 0), var_dp(by, 0)), VAR_OK);
  download(be, by, y, (size_t)planes * ho * wo);
  for (p = 0; p < planes; p++)
    for (oy = 0; oy < ho; oy++)
      for (ox = 0; ox < wo; ox++) {
        double e = bicubic_ref(x + (size_t)p * hi * wi, hi, wi, ho, wo, oy, ox) - y[((size_t)p * ho + oy) * wo + ox];
        if (fabs(e) > max_err) max_err = fabs(e);
      }
  /* the source coordinate is a float in PyTorch (a double here): ~1e-7 apart where In/Out is inexact */
  CU_ASSERT(max_err <= 5e-6);
  if (max_err > 5e-6) printf("\nbicubic %dx%d -> %dx%d: max err %g\n", hi, wi, ho, wo, max_err);
  if (hi == 1 && wi == 1)   /* a 1x1 map becomes a constant map */
    for (p = 0; p < planes; p++)
      for (oy = 0; oy < ho * wo; oy++) CU_ASSERT(fabsf(y[(size_t)p * ho * wo + oy] - x[p]) <= 1e-6f * (1 + fabsf(x[p])));
  if (hi == ho && wi == wo) CU_ASSERT(memcmp(x, y, sizeof(float) * (size_t)planes * hi * wi) == 0);
  be->ops->release(be, bx);
  be->ops->release(be, by);
  free(x);
  free(y);
}

static void test_resample(void)
{
  var_ctx *ctx = op_ctx(0);
  check_area(ctx, 16, 16, 13, 13);
  check_area(ctx, 16, 16, 3, 3);
  check_area(ctx, 16, 16, 10, 10);
  check_area(ctx, 16, 16, 1, 1);
  check_area(ctx, 7, 5, 3, 2);
  check_area(ctx, 9, 9, 9, 9);       /* identity, bit for bit */
  check_area(ctx, 4, 6, 8, 9);       /* upsampling windows of one input each */
  check_bicubic(ctx, 1, 1, 16, 16);
  check_bicubic(ctx, 1, 1, 5, 3);
  check_bicubic(ctx, 13, 13, 16, 16);
  check_bicubic(ctx, 3, 3, 16, 16);
  check_bicubic(ctx, 2, 3, 4, 7);
  check_bicubic(ctx, 16, 16, 3, 3);  /* downsampling: clamped taps, no antialiasing */
  check_bicubic(ctx, 16, 16, 13, 13);
  check_bicubic(ctx, 6, 6, 6, 6);    /* identity, bit for bit */
  var_ctx_free(ctx);
}

static void test_vq_ops(void)
{
  var_ctx *ctx = op_ctx(0);
  var_backend *be = ctx->backend;
  enum { B = 2, CV = 5, N = 37, V = 300 };
  float z[B * CV * N], E[V * CV], esq[V], margin[B * N], code[B * CV * N], sel[B * CV * N], tok[B * N * CV];
  int32_t idx[B * N], flags[B * N];
  var_dbuf *bz, *bE, *be2, *bi, *bm, *bc, *bs, *bf, *bt;
  int b, p, v, c, wrong = 0, bad_margin = 0, bad_map = 0;
  fill_rand(z, sizeof z / sizeof z[0], 12, 1.5f, 0.0f);
  fill_rand(E, sizeof E / sizeof E[0], 13, 1.0f, 0.0f);
  for (c = 0; c < CV; c++) {
    E[17 * CV + c] = E[3 * CV + c];        /* exact duplicates: the first index must win */
    E[250 * CV + c] = E[3 * CV + c];
  }
  /* make position 0 of image 0 closest to code 3 (and so to 17 and 250) */
  for (c = 0; c < CV; c++) z[c * N] = E[3 * CV + c] + 0.01f;
  for (v = 0; v < V; v++) {
    esq[v] = 0;
    for (c = 0; c < CV; c++) esq[v] += E[v * CV + c] * E[v * CV + c];
  }
  bz = upload(be, z, sizeof z / sizeof z[0]);
  bE = upload(be, E, sizeof E / sizeof E[0]);
  be2 = upload(be, esq, V);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, B * N, &bi) == VAR_OK && var_be_alloc_f32(be, B * N, &bm) == VAR_OK);
  CU_ASSERT_EQUAL(be->ops->vq_argmin(be, B, CV, N, V, var_dp(bz, 0), var_dp(bE, 0), var_dp(be2, 0), var_dp(bi, 0),
                                     var_dp(bm, 0)), VAR_OK);
  CU_ASSERT_FATAL(be->ops->read(be, var_dp(bi, 0), idx, sizeof idx) == VAR_OK);
  download(be, bm, margin, B * N);
  CU_ASSERT_EQUAL(idx[0], 3);
  CU_ASSERT(margin[0] == 0.0f);
  for (b = 0; b < B; b++)
    for (p = 0; p < N; p++) {
      double best = 1e300, second = 1e300;
      int bi_ = -1;
      for (v = 0; v < V; v++) {
        double d = 0;
        for (c = 0; c < CV; c++) {
          double t = (double)z[(b * CV + c) * N + p] - E[v * CV + c];
          d += t * t;
        }
        if (d < best) {
          second = best;
          best = d;
          bi_ = v;
        } else if (d < second) {
          second = d;
        }
      }
      /* a float32 distance may only pick another code where the two are within rounding */
      if (idx[b * N + p] != bi_ && second - best > 1e-4) wrong++;
      if (fabs(margin[b * N + p] - (second - best)) > 1e-4) bad_margin++;
    }
  CU_ASSERT_EQUAL(wrong, 0);
  CU_ASSERT_EQUAL(bad_margin, 0);
  /* gather, select, layout change */
  for (p = 0; p < B * N; p++) flags[p] = p % 3 == 0;
  CU_ASSERT_FATAL(var_be_alloc_f32(be, B * CV * N, &bc) == VAR_OK && var_be_alloc_f32(be, B * CV * N, &bs) == VAR_OK &&
                  var_be_alloc_f32(be, B * N, &bf) == VAR_OK && var_be_alloc_f32(be, B * N * CV, &bt) == VAR_OK);
  CU_ASSERT_FATAL(be->ops->write(be, var_dp(bf, 0), flags, sizeof flags) == VAR_OK);
  CU_ASSERT_EQUAL(be->ops->codebook_gather_cm(be, B, CV, N, var_dp(bE, 0), var_dp(bi, 0), var_dp(bc, 0)), VAR_OK);
  CU_ASSERT_EQUAL(be->ops->select_cm(be, B, CV, N, var_dp(bf, 0), var_dp(bc, 0), var_dp(bz, 0), var_dp(bs, 0)), VAR_OK);
  CU_ASSERT_EQUAL(be->ops->cm_to_tokens(be, B, CV, N, var_dp(bz, 0), var_dp(bt, 0)), VAR_OK);
  download(be, bc, code, B * CV * N);
  download(be, bs, sel, B * CV * N);
  download(be, bt, tok, B * N * CV);
  for (b = 0; b < B; b++)
    for (c = 0; c < CV; c++)
      for (p = 0; p < N; p++) {
        const int i = (b * CV + c) * N + p;
        if (code[i] != E[idx[b * N + p] * CV + c]) bad_map++;
        if (sel[i] != (flags[b * N + p] ? code[i] : z[i])) bad_map++;
        if (tok[(b * N + p) * CV + c] != z[i]) bad_map++;
      }
  CU_ASSERT_EQUAL(bad_map, 0);
  be->ops->release(be, bz);
  be->ops->release(be, bE);
  be->ops->release(be, be2);
  be->ops->release(be, bi);
  be->ops->release(be, bm);
  be->ops->release(be, bc);
  be->ops->release(be, bs);
  be->ops->release(be, bf);
  be->ops->release(be, bt);
  var_ctx_free(ctx);
}

/* The same results, bit for bit, with 1, 2 and 3 threads (Winograd also on a
 * map that takes several bands and GEMM column chunks, with 4 threads, and with
 * both ways of running its bands). */
static void test_thread_independence(void)
{
  static const conv_case cases[] = { { 2, 48, 19, 21, 40, 3, 1, 1, 1, 1, 1, 1 },
                                     { 1, 37, 13, 999, 43, 3, 1, 1, 1, 1, 1, 1 } };
  static const char *modes[] = { NULL, "direct", "gemm", "taps", "winograd", "winograd", "winograd" };
  static const char *wg_modes[] = { NULL, NULL, NULL, NULL, NULL, "0", "1" };
  static const int threads[] = { 1, 2, 3, 4 };
  float *out[4];
  int t, m, c;
  for (c = 0; c < 2; c++)
    for (m = 0; m < 7; m++) {
      const conv_case *cc = &cases[c];
      const size_t n = (size_t)cc->batch * cc->c_out * cc->h * cc->w;
      const int n_threads = m >= 4 ? 4 : 3;
      if (c == 1 && m != 0 && m < 4) continue;   /* the wide map: Winograd and the default */
      if (modes[m]) setenv("VAR_CONV", modes[m], 1);
      if (wg_modes[m]) {
        setenv("VAR_WG_MODE", wg_modes[m], 1);
        setenv("VAR_WG_SHARED_KIB", "64", 1);
        setenv("VAR_WG_PRIVATE_KIB", "16", 1);
      }
      for (t = 0; t < n_threads; t++) {
        var_ctx *ctx = op_ctx(threads[t]);
        check_conv(ctx, cc, &out[t]);
        var_ctx_free(ctx);
      }
      for (t = 0; t < n_threads; t++) CU_ASSERT_FATAL(out[t] != NULL);
      for (t = 1; t < n_threads; t++) CU_ASSERT(memcmp(out[0], out[t], n * sizeof(float)) == 0);
      for (t = 0; t < n_threads; t++) free(out[t]);
      unsetenv("VAR_CONV");
      unsetenv("VAR_WG_MODE");
      unsetenv("VAR_WG_SHARED_KIB");
      unsetenv("VAR_WG_PRIVATE_KIB");
    }
}

/* A whole decode and encode agree bit for bit between 1 and 3 threads. */
static void test_vae_thread_independence(void)
{
  golden_set g;
  npy_array img;
  char err[1024], path[1200];
  int32_t *tok[2];
  float *dec[2];
  int t, B;
  size_t n_img;
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("small"), &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(golden_load(&g, "vae_input", &img, err, sizeof err) == 0);
  B = (int)img.shape[0];
  n_img = (size_t)img.numel;
  for (t = 0; t < 2; t++) {
    var_ctx *ctx = op_ctx(t ? 3 : 1);
    var_vqvae *vae = NULL;
    CU_ASSERT_FATAL(var_vqvae_load(ctx, golden_checkpoint(&g, "vae", path, sizeof path), &vae) == VAR_OK);
    tok[t] = malloc(sizeof(int32_t) * (size_t)B * g.L);
    dec[t] = malloc(sizeof(float) * n_img);
    CU_ASSERT_FATAL(tok[t] && dec[t]);
    CU_ASSERT_EQUAL(var_vqvae_encode(vae, &g.schedule, B, img.f, tok[t]), VAR_OK);
    CU_ASSERT_EQUAL(var_vqvae_decode(vae, &g.schedule, B, tok[t], dec[t]), VAR_OK);
    var_vqvae_free(vae);
    var_ctx_free(ctx);
  }
  CU_ASSERT(memcmp(tok[0], tok[1], sizeof(int32_t) * (size_t)B * g.L) == 0);
  CU_ASSERT(memcmp(dec[0], dec[1], sizeof(float) * n_img) == 0);
  for (t = 0; t < 2; t++) {
    free(tok[t]);
    free(dec[t]);
  }
  npy_free(&img);
  golden_close(&g);
}

/* ---- bad checkpoints and bad inputs ----------------------------------------------- */

typedef struct {
  char name[128];
  int ndim;
  int64_t shape[4];
  const float *data;
} st_tensor_t;

static uint16_t to_half(float f)
{
  uint32_t x, m;
  uint16_t sign;
  int e;
  memcpy(&x, &f, 4);
  sign = (uint16_t)((x >> 16) & 0x8000);
  e = (int)((x >> 23) & 0xff) - 127 + 15;
  m = x & 0x7fffff;
  if (e <= 0) return sign;                    /* tiny values flush to zero: fine for weights */
  if (e >= 31) return (uint16_t)(sign | 0x7c00);
  /* round to nearest; a carry out of the mantissa moves into the exponent */
  return (uint16_t)(sign | (uint16_t)((e << 10) + ((m + 0x1000) >> 13)));
}

static float from_half(uint16_t h)
{
  const uint32_t e = (h >> 10) & 0x1f, m = h & 0x3ff;
  uint32_t x = (uint32_t)(h & 0x8000) << 16;
  float f;
  if (e) x |= ((e - 15 + 127) << 23) | (m << 13);   /* normal numbers only (to_half makes no others) */
  memcpy(&f, &x, 4);
  return f;
}

/* A safetensors file of the given tensors (F32, or F16 when half != 0). */
static int write_safetensors(const char *path, const st_tensor_t *t, int n, int half)
{
  FILE *fp = fopen(path, "wb");
  char *hdr = malloc(256 * (size_t)(n + 1));
  size_t len = 0, off = 0, pad;
  uint64_t hl;
  int i, d, ok = fp && hdr;
  if (ok) {
    len += (size_t)sprintf(hdr + len, "{");
    for (i = 0; i < n; i++) {
      int64_t numel = 1;
      for (d = 0; d < t[i].ndim; d++) numel *= t[i].shape[d];
      len += (size_t)sprintf(hdr + len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t[i].name,
                             half ? "F16" : "F32");
      for (d = 0; d < t[i].ndim; d++) len += (size_t)sprintf(hdr + len, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
      len += (size_t)sprintf(hdr + len, "],\"data_offsets\":[%zu,%zu]}", off, off + (size_t)numel * (half ? 2 : 4));
      off += (size_t)numel * (half ? 2 : 4);
    }
    len += (size_t)sprintf(hdr + len, "}");
    pad = (8 - len % 8) % 8;
    while (pad--) hdr[len++] = ' ';
    hl = len;
    ok = fwrite(&hl, 8, 1, fp) == 1 && fwrite(hdr, 1, len, fp) == len;
    for (i = 0; ok && i < n; i++) {
      int64_t numel = 1, k;
      for (d = 0; d < t[i].ndim; d++) numel *= t[i].shape[d];
      for (k = 0; ok && k < numel; k++) {
        if (half) {
          uint16_t h = to_half(t[i].data[k]);
          ok = fwrite(&h, 2, 1, fp) == 1;
        } else {
          ok = fwrite(&t[i].data[k], 4, 1, fp) == 1;
        }
      }
    }
  }
  if (fp && fclose(fp)) ok = 0;
  free(hdr);
  return ok ? 0 : -1;
}

/* The tiny set's VQ-VAE as a tensor list (data aliases the open checkpoint). */
static int tiny_tensors(var_ctx *ctx, var_checkpoint **ck, st_tensor_t *t, int cap)
{
  char err[1024], path[1200];
  golden_set g;
  int i, n;
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("tiny"), &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, golden_checkpoint(&g, "vae", path, sizeof path), ck) == VAR_OK);
  golden_close(&g);
  n = (*ck)->n;
  CU_ASSERT_FATAL(n <= cap);
  for (i = 0; i < n; i++) {
    const var_ckpt_tensor *src = &(*ck)->tensors[i];
    const float *data;
    snprintf(t[i].name, sizeof t[i].name, "%s", src->name);
    t[i].ndim = src->ndim;
    memcpy(t[i].shape, src->shape, sizeof(int64_t) * (size_t)src->ndim);
    CU_ASSERT_FATAL(var_ckpt_f32(*ck, src->name, src->ndim, src->shape, &data, NULL) == VAR_OK);
    t[i].data = data;
  }
  return n;
}

static int find_tensor(const st_tensor_t *t, int n, const char *name)
{
  int i;
  for (i = 0; i < n; i++)
    if (!strcmp(t[i].name, name)) return i;
  CU_FAIL_FATAL("tensor missing from the tiny VQ-VAE");
  return -1;
}

/* Loading `t` (n tensors) must fail with `want`, naming `needle`. */
static void expect_load_failure(var_ctx *ctx, const st_tensor_t *t, int n, var_status want, const char *needle)
{
  char path[64];
  var_vqvae *vae = (var_vqvae *)&vae;
  var_status s;
  snprintf(path, sizeof path, "test_vqvae_bad_%ld.safetensors", (long)getpid());
  CU_ASSERT_FATAL(write_safetensors(path, t, n, 0) == 0);
  s = var_vqvae_load(ctx, path, &vae);
  CU_ASSERT_EQUAL(s, want);
  CU_ASSERT_PTR_NULL(vae);
  if (!strstr(var_ctx_last_error(ctx), needle))
    printf("\nmessage \"%s\" lacks \"%s\"\n", var_ctx_last_error(ctx), needle);
  CU_ASSERT_PTR_NOT_NULL(strstr(var_ctx_last_error(ctx), needle));
  var_vqvae_free(vae);
  remove(path);
}

static void test_bad_checkpoints(void)
{
  static st_tensor_t t[400];
  st_tensor_t keep;
  golden_set g;
  char err[1024], path[1200];
  var_ctx *ctx = op_ctx(0);
  var_checkpoint *ck = NULL;
  var_vqvae *vae = (var_vqvae *)&vae;
  float zeros[64 * 4];
  int n, i;
  /* a transformer checkpoint is not a VQ-VAE */
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("tiny"), &g, err, sizeof err) == 0);
  CU_ASSERT_EQUAL(var_vqvae_load(ctx, golden_checkpoint(&g, "var", path, sizeof path), &vae), VAR_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NULL(vae);
  CU_ASSERT_PTR_NOT_NULL(strstr(var_ctx_last_error(ctx), "not a VAR VQ-VAE checkpoint"));
  golden_close(&g);
  CU_ASSERT_EQUAL(var_vqvae_load(ctx, "/nonexistent/vae.pth", &vae), VAR_ERR_IO);
  CU_ASSERT_PTR_NULL(vae);
  n = tiny_tensors(ctx, &ck, t, 400);
  /* a kernel of the wrong shape (same number of values) */
  i = find_tensor(t, n, "decoder.up.1.block.0.conv2.weight");
  keep = t[i];
  t[i].shape[2] = 9;
  t[i].shape[3] = 1;
  expect_load_failure(ctx, t, n, VAR_ERR_SHAPE, "decoder.up.1.block.0.conv2.weight");
  t[i] = keep;
  /* a missing tensor */
  i = find_tensor(t, n, "decoder.norm_out.bias");
  keep = t[i];
  t[i] = t[n - 1];
  expect_load_failure(ctx, t, n - 1, VAR_ERR_NOT_FOUND, "decoder.norm_out.bias");
  t[n - 1] = t[i];
  t[i] = keep;
  /* a tensor the derived configuration has no place for (a third res-block at level 1) */
  memset(zeros, 0, sizeof zeros);
  snprintf(t[n].name, sizeof t[n].name, "encoder.down.1.block.2.norm1.weight");
  t[n].ndim = 1;
  t[n].shape[0] = 32;
  t[n].data = zeros;
  expect_load_failure(ctx, t, n + 1, VAR_ERR_SHAPE, "encoder.down.1.block.2.norm1.weight");
  /* a convolution whose input channels do not chain to the previous layer's output */
  i = find_tensor(t, n, "decoder.up.2.block.1.conv1.weight");
  keep = t[i];
  t[i].shape[1] /= 2;
  expect_load_failure(ctx, t, n, VAR_ERR_SHAPE, "decoder.up.2.block.1.conv1.weight");
  t[i] = keep;
  /* an attention block whose qkv projection has 2C instead of 3C outputs */
  i = find_tensor(t, n, "decoder.mid.attn_1.qkv.weight");
  keep = t[i];
  t[i].shape[0] = t[i].shape[0] / 3 * 2;
  expect_load_failure(ctx, t, n, VAR_ERR_SHAPE, "decoder.mid.attn_1.qkv.weight");
  t[i] = keep;
  /* a codebook whose width differs from the latent channels of the convolutions */
  i = find_tensor(t, n, "quantize.embedding.weight");
  keep = t[i];
  t[i].shape[1] = 4;
  t[i].data = zeros;
  expect_load_failure(ctx, t, n, VAR_ERR_SHAPE, "encoder.conv_out.weight");
  t[i] = keep;
  /* the unmodified tensors load and decode exactly like the .pth; a float16 file exactly like
   * float32 weights rounded to float16 */
  {
    char p32[64], p16[64], p16r[64];
    const var_schedule sched = { 4, { 1, 2, 3, 4 } };
    static st_tensor_t r[400];
    int32_t tok[30];
    float *img[4], *rounded[400];
    var_vqvae *v[4] = { NULL, NULL, NULL, NULL };
    size_t k, n_img = 3 * 64 * 64;
    snprintf(p32, sizeof p32, "test_vqvae_f32_%ld.safetensors", (long)getpid());
    snprintf(p16, sizeof p16, "test_vqvae_f16_%ld.safetensors", (long)getpid());
    snprintf(p16r, sizeof p16r, "test_vqvae_f16r_%ld.safetensors", (long)getpid());
    for (i = 0; i < n; i++) {
      int64_t numel = 1, q;
      int d;
      for (d = 0; d < t[i].ndim; d++) numel *= t[i].shape[d];
      r[i] = t[i];
      rounded[i] = malloc(sizeof(float) * (size_t)numel);
      CU_ASSERT_FATAL(rounded[i] != NULL);
      for (q = 0; q < numel; q++) rounded[i][q] = from_half(to_half(t[i].data[q]));
      r[i].data = rounded[i];
    }
    CU_ASSERT_FATAL(write_safetensors(p32, t, n, 0) == 0 && write_safetensors(p16, t, n, 1) == 0 &&
                    write_safetensors(p16r, r, n, 0) == 0);
    CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("tiny"), &g, err, sizeof err) == 0);
    CU_ASSERT_FATAL(var_vqvae_load(ctx, golden_checkpoint(&g, "vae", path, sizeof path), &v[0]) == VAR_OK);
    golden_close(&g);
    CU_ASSERT_FATAL(var_vqvae_load(ctx, p32, &v[1]) == VAR_OK);
    CU_ASSERT_FATAL(var_vqvae_load(ctx, p16, &v[2]) == VAR_OK);
    CU_ASSERT_FATAL(var_vqvae_load(ctx, p16r, &v[3]) == VAR_OK);
    for (k = 0; k < 30; k++) tok[k] = (int32_t)((k * 37) % 64);
    for (i = 0; i < 4; i++) {
      img[i] = malloc(sizeof(float) * n_img);
      CU_ASSERT_FATAL(img[i] != NULL);
      CU_ASSERT_EQUAL(var_vqvae_decode(v[i], &sched, 1, tok, img[i]), VAR_OK);
    }
    CU_ASSERT(memcmp(img[0], img[1], sizeof(float) * n_img) == 0);
    CU_ASSERT(memcmp(img[2], img[3], sizeof(float) * n_img) == 0);
    CU_ASSERT(memcmp(img[0], img[2], sizeof(float) * n_img) != 0);
    for (i = 0; i < 4; i++) {
      free(img[i]);
      var_vqvae_free(v[i]);
    }
    for (i = 0; i < n; i++) free(rounded[i]);
    remove(p32);
    remove(p16);
    remove(p16r);
  }
  var_checkpoint_free(ck);
  var_ctx_free(ctx);
}

typedef struct {
  var_ctx *ctx;
  int calls;
} cancel_tap;

static void cancel_on_tap(void *user, const char *name, const float *data, int c, int h, int w)
{
  cancel_tap *ct = user;
  (void)name, (void)data, (void)c, (void)h, (void)w;
  if (++ct->calls == 2) var_ctx_cancel(ct->ctx);
}

static void test_bad_inputs(void)
{
  golden_set g;
  npy_array img;
  char err[1024], path[1200];
  var_ctx *ctx = op_ctx(0);
  var_vqvae *vae = NULL;
  var_vqvae_info info;
  var_schedule bad;
  int32_t tok[2 * 30], tok2[2 * 30];
  float *x, *out;
  size_t n_img, k;
  int unchanged, B;
  cancel_tap ct;
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("tiny"), &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(golden_load(&g, "vae_input", &img, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_vqvae_load(ctx, golden_checkpoint(&g, "vae", path, sizeof path), &vae) == VAR_OK);
  B = (int)img.shape[0];
  n_img = (size_t)img.numel;
  x = malloc(sizeof *x * n_img);
  out = malloc(sizeof *out * n_img);
  CU_ASSERT_FATAL(x && out && B == 2 && g.L == 30);
  /* configuration as derived */
  CU_ASSERT_EQUAL(var_vqvae_get_info(vae, &info), VAR_OK);
  CU_ASSERT_EQUAL(info.vocab_size, 64);
  CU_ASSERT_EQUAL(info.z_channels, 8);
  CU_ASSERT_EQUAL(info.ch, 32);
  CU_ASSERT_EQUAL(info.n_levels, 5);
  CU_ASSERT_EQUAL(info.ch_mult[0], 2);
  CU_ASSERT_EQUAL(info.ch_mult[4], 1);
  CU_ASSERT_EQUAL(info.num_res_blocks, 2);
  CU_ASSERT_EQUAL(info.n_phi, 4);
  CU_ASSERT_EQUAL(info.downsample, 16);
  CU_ASSERT(info.n_params > 0);
  /* NaN or infinity in the image: refused, tokens untouched */
  for (k = 0; k < 2 * 30; k++) tok[k] = -7;
  memcpy(x, img.f, sizeof *x * n_img);
  x[n_img / 2 + 5] = NAN;
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &g.schedule, B, x, tok), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(var_ctx_last_error(ctx), "NaN"));
  x[n_img / 2 + 5] = INFINITY;
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &g.schedule, B, x, tok), VAR_ERR_INVALID_ARGUMENT);
  for (unchanged = 1, k = 0; k < 2 * 30; k++) unchanged &= tok[k] == -7;
  CU_ASSERT(unchanged);
  /* image sizes the encoder cannot take */
  {
    var_dbuf *f = NULL;
    CU_ASSERT_FATAL(var_be_alloc_f32(ctx->backend, 8 * 5 * 5, &f) == VAR_OK);
    CU_ASSERT_EQUAL(var_vqvae_encode_f(vae, 1, 70, img.f, var_dp(f, 0)), VAR_ERR_SHAPE);
    CU_ASSERT_PTR_NOT_NULL(strstr(var_ctx_last_error(ctx), "multiple of 16"));
    CU_ASSERT_EQUAL(var_vqvae_encode_f(vae, 1, 0, img.f, var_dp(f, 0)), VAR_ERR_INVALID_ARGUMENT);
    CU_ASSERT_EQUAL(var_vqvae_encode_f(vae, 1, 1 << 20, img.f, var_dp(f, 0)), VAR_ERR_SHAPE);
    ctx->backend->ops->release(ctx->backend, f);
  }
  /* schedules that do not fit */
  bad.n_scales = 1;
  bad.pn[0] = 4;
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &bad, B, img.f, tok), VAR_ERR_INVALID_ARGUMENT);
  bad.n_scales = 3;
  bad.pn[0] = 1;
  bad.pn[1] = 5;
  bad.pn[2] = 4;
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &bad, B, img.f, tok), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_vqvae_decode(vae, &bad, B, tok, out), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, NULL, B, img.f, tok), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &g.schedule, 0, img.f, tok), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &g.schedule, B, NULL, tok), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_vqvae_encode(NULL, &g.schedule, B, img.f, tok), VAR_ERR_INVALID_ARGUMENT);
  /* tokens outside the vocabulary: refused, image untouched */
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &g.schedule, B, img.f, tok), VAR_OK);
  for (k = 0; k < n_img; k++) out[k] = 42.0f;
  memcpy(tok2, tok, sizeof tok);
  tok2[37] = 64;
  CU_ASSERT_EQUAL(var_vqvae_decode(vae, &g.schedule, B, tok2, out), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NOT_NULL(strstr(var_ctx_last_error(ctx), "outside 0..63"));
  tok2[37] = -1;
  CU_ASSERT_EQUAL(var_vqvae_decode(vae, &g.schedule, B, tok2, out), VAR_ERR_INVALID_ARGUMENT);
  for (unchanged = 1, k = 0; k < n_img; k++) unchanged &= out[k] == 42.0f;
  CU_ASSERT(unchanged);
  /* cancelled in the middle: VAR_ERR_CANCELLED, outputs untouched, the next call works */
  ct.ctx = ctx;
  ct.calls = 0;
  var_vqvae_set_tap(vae, cancel_on_tap, &ct);
  for (k = 0; k < 2 * 30; k++) tok2[k] = -7;
  CU_ASSERT_EQUAL(var_vqvae_encode(vae, &g.schedule, B, img.f, tok2), VAR_ERR_CANCELLED);
  for (unchanged = 1, k = 0; k < 2 * 30; k++) unchanged &= tok2[k] == -7;
  CU_ASSERT(unchanged);
  ct.calls = 0;
  CU_ASSERT_EQUAL(var_vqvae_decode(vae, &g.schedule, B, tok, out), VAR_ERR_CANCELLED);
  for (unchanged = 1, k = 0; k < n_img; k++) unchanged &= out[k] == 42.0f;
  CU_ASSERT(unchanged);
  var_vqvae_set_tap(vae, NULL, NULL);
  CU_ASSERT_EQUAL(var_vqvae_decode(vae, &g.schedule, B, tok, out), VAR_OK);
  free(x);
  free(out);
  npy_free(&img);
  var_vqvae_free(vae);
  var_ctx_free(ctx);
  golden_close(&g);
}

int main(void)
{
  static const test_case tests[] = {
    { "golden tiny", test_golden_tiny },
    { "golden tiny-saln", test_golden_tiny_saln },
    { "golden small", test_golden_small },
    { "teacher-forcing inputs", test_teacher_inputs },
    { "conv2d against a reference loop", test_conv },
    { "Winograd with kept (checkpoint) weights", test_winograd_cached_weights },
    { "tuning variables are read when the backend is created", test_tuning_read_once },
    { "group norm (+SiLU) against a reference", test_group_norm },
    { "nearest x2 upsampling", test_upsample },
    { "spatial attention against a reference", test_attention },
    { "area and bicubic resampling", test_resample },
    { "VQ argmin, ties, margins, code maps", test_vq_ops },
    { "conv results independent of the thread count (every path)", test_thread_independence },
    { "encode/decode independent of the thread count", test_vae_thread_independence },
    { "bad checkpoints are refused with clear errors", test_bad_checkpoints },
    { "bad inputs are refused, outputs untouched", test_bad_inputs },
    { NULL, NULL },
  };
  return run_suite("vqvae", tests);
}

/* test_opencl.c — the OpenCL backend on whole models.  One binary, three
 * suites chosen by argv[1] (each registered as its own meson test):
 *   golden       the golden stages with every context on OpenCL ($VAR_BACKEND)
 *   tokens       CPU and OpenCL sample the same tokens from the same seeds
 *                (top-k/top-p, CFG) on the golden models: transformer
 *                rollouts, and whole var_generate_tokens calls
 *   no-platform  run with OCL_ICD_VENDORS pointing nowhere: creating an OpenCL
 *                context fails with VAR_ERR_BACKEND and says why; CPU works
 * A context kept open for the whole run holds the shared OpenCL device, so the
 * programs (ours and CLBlast's) are built once per process, not per stage. */
#include "test_support.h"

#include "backend.h"
#include "model/transformer.h"
#include "model/vqvae.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static var_ctx *new_ctx(const char *backend)
{
  var_ctx_params p;
  var_ctx *ctx = NULL;
  var_ctx_params_default(&p);
  p.backend = backend;
  if (var_ctx_new(&p, &ctx) != VAR_OK) printf("\n  %s: %s\n", backend ? backend : "(default)", var_last_init_error());
  CU_ASSERT_FATAL(ctx != NULL);
  return ctx;
}

/* ---- golden stages on OpenCL ------------------------------------------------------ */

/* Like assert_golden_stage, with the arrays that depend on stages not merged
 * yet (they report TODO) bounded by max_todo and printed. */
static void golden_on_opencl(const char *set, const char *stages, int min_pass, int max_todo)
{
  golden_set g;
  golden_report r = { 0, 0, 0, stdout };
  char err[1024];
  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  printf("\n");
  golden_run(&g, stages, &r);
  golden_close(&g);
  CU_ASSERT_EQUAL(r.failed, 0);
  CU_ASSERT(r.not_implemented <= max_todo);
  CU_ASSERT(r.passed >= min_pass);
}

static void test_golden_backend_is_opencl(void)
{
  var_ctx *ctx = new_ctx(NULL);   /* default params: $VAR_BACKEND */
  CU_ASSERT(strncmp(var_ctx_backend_name(ctx), "opencl: ", 8) == 0);
  var_ctx_free(ctx);
}

static void test_golden_vae(void)
{
  golden_on_opencl(GOLDEN_DIR("tiny"), "vae", 30, 0);
  golden_on_opencl(GOLDEN_DIR("tiny-saln"), "vae", 30, 0);
  golden_on_opencl(GOLDEN_DIR("small"), "vae", 40, 0);
}

static void test_golden_tf(void)
{
  golden_on_opencl(GOLDEN_DIR("tiny"), "tf", 7, 0);
  golden_on_opencl(GOLDEN_DIR("tiny-saln"), "tf", 7, 0);
  golden_on_opencl(GOLDEN_DIR("small"), "tf", 7, 0);
}

static void test_golden_filter(void)
{
  golden_on_opencl(GOLDEN_DIR("tiny"), "filter", 2, 0);
  golden_on_opencl(GOLDEN_DIR("tiny-saln"), "filter", 2, 0);
  golden_on_opencl(GOLDEN_DIR("small"), "filter", 2, 0);
}

static void test_golden_gen(void)
{
  golden_on_opencl(GOLDEN_DIR("tiny"), "gen", 12, 0);
  golden_on_opencl(GOLDEN_DIR("tiny-saln"), "gen", 12, 0);
  golden_on_opencl(GOLDEN_DIR("small"), "gen", 12, 0);
}

static void test_golden_edit(void)
{
  golden_on_opencl(GOLDEN_DIR("tiny"), "edit", 14, 0);
  golden_on_opencl(GOLDEN_DIR("tiny-saln"), "edit", 14, 0);
  golden_on_opencl(GOLDEN_DIR("small"), "edit", 14, 0);
}

/* ---- the same tokens on both backends -------------------------------------------- */

/* A sampled generation through the transformer with CFG and top-k/top-p; the
 * next scale's input is a fixed pseudo-random code vector of the token under
 * each position (nearest on the coarser grid), so every sampled token steers
 * what follows and one disagreement would spread.  tokens[B, L]. */
static void rollout(var_ctx *ctx, const char *ckpt, int B, const int *labels, const uint64_t *seeds, float cfg,
                    int top_k, float top_p, int32_t *tokens)
{
  var_transformer *tf;
  var_tf_state *st;
  var_backend *be = ctx->backend;
  const var_tf_config *c;
  var_dbuf *buf;
  int *lab2, si, b, t, tmax = 0;
  float *code, *in;
  CU_ASSERT_FATAL(var_transformer_load(ctx, ckpt, NULL, &tf) == VAR_OK);
  c = &tf->cfg;
  for (si = 0; si < c->schedule.n_scales; si++)
    if (c->schedule.pn[si] * c->schedule.pn[si] > tmax) tmax = c->schedule.pn[si] * c->schedule.pn[si];
  lab2 = malloc(sizeof(int) * 2 * B);
  code = malloc(sizeof(float) * (size_t)c->vocab_size * c->z_channels);
  in = malloc(sizeof(float) * (size_t)B * tmax * c->z_channels);
  CU_ASSERT_FATAL(lab2 && code && in);
  for (t = 0; t < c->vocab_size * c->z_channels; t++) code[t] = (float)((t * 2654435761u) % 2001) * 1e-3f - 1.0f;
  for (b = 0; b < B; b++) {
    lab2[b] = labels[b];
    lab2[B + b] = c->num_classes;   /* unconditional half for CFG */
  }
  CU_ASSERT_FATAL(var_tf_state_new(tf, 2 * B, lab2, NULL, NULL, &st) == VAR_OK);
  /* x | logits | guided | next input | indices */
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)2 * B * tmax * (c->C + 2 * (size_t)c->vocab_size) +
                                           (size_t)B * tmax * (c->z_channels + 1),
                                   &buf) == VAR_OK);
  for (si = 0; si < c->schedule.n_scales; si++) {
    const int pn = c->schedule.pn[si], T = pn * pn;
    var_dptr x = var_dp(buf, 0), lg = var_dp(buf, (size_t)2 * B * tmax * c->C);
    var_dptr gd = var_dp_at(lg, (size_t)2 * B * tmax * c->vocab_size), xin = var_dp_at(gd, (size_t)B * tmax * c->vocab_size);
    var_dptr idx = var_dp_at(xin, (size_t)B * tmax * c->z_channels);
    int32_t *tok = malloc(sizeof(int32_t) * B * T);
    CU_ASSERT_FATAL(tok != NULL);
    if (si == 0) {
      CU_ASSERT_FATAL(var_tf_embed_first(st, x) == VAR_OK);
    } else {
      CU_ASSERT_FATAL(be->ops->write(be, xin, in, sizeof(float) * (size_t)B * T * c->z_channels) == VAR_OK);
      CU_ASSERT_FATAL(var_tf_embed_scale(st, si, B, xin, 2 * B, x) == VAR_OK);
    }
    CU_ASSERT_FATAL(var_tf_forward_scale(st, si, x, lg) == VAR_OK);
    CU_ASSERT_FATAL(be->ops->cfg_combine(be, B * T, c->vocab_size, cfg * si / (c->schedule.n_scales - 1.0f), lg, gd) ==
                    VAR_OK);
    CU_ASSERT_FATAL(be->ops->sample(be, B * T, c->vocab_size, gd, top_k, top_p, T, seeds, si, idx) == VAR_OK);
    CU_ASSERT_FATAL(be->ops->read(be, idx, tok, sizeof(int32_t) * B * T) == VAR_OK);
    for (b = 0; b < B; b++) memcpy(tokens + (size_t)b * c->n_tokens + tf->begin[si], tok + b * T, sizeof(int32_t) * T);
    if (si + 1 < c->schedule.n_scales) {
      const int pn2 = c->schedule.pn[si + 1];
      int y, xx;
      for (b = 0; b < B; b++)
        for (y = 0; y < pn2; y++)
          for (xx = 0; xx < pn2; xx++) {
            int src = tok[b * T + (y * pn / pn2) * pn + xx * pn / pn2];
            memcpy(in + ((size_t)b * pn2 * pn2 + y * pn2 + xx) * c->z_channels, code + (size_t)src * c->z_channels,
                   sizeof(float) * c->z_channels);
          }
    }
    free(tok);
  }
  be->ops->release(be, buf);
  var_tf_state_free(st);
  var_transformer_free(tf);
  free(lab2);
  free(code);
  free(in);
}

/* weights: 0, or a var_weights type the checkpoint is converted to first (the CPU
 * then multiplies with that type, OpenCL gets it as float32 at upload). */
static void tokens_case_w(const char *set, int top_k, float top_p, float cfg, int weights)
{
  golden_set g;
  char err[1024], path[1200];
  var_ctx *cpu = new_ctx("cpu"), *cl = new_ctx("opencl");
  const int B = 2, labels[2] = { 3, 7 };
  const uint64_t seeds[2] = { 11, 12345 };
  int32_t *a, *b;
  int i, diff = 0, first = -1, distinct = 0;
  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  a = malloc(sizeof(int32_t) * B * g.L);
  b = malloc(sizeof(int32_t) * B * g.L);
  CU_ASSERT_FATAL(a && b);
  golden_checkpoint(&g, "var", path, sizeof path);
  if (weights) {
    char conv[64];
    snprintf(conv, sizeof conv, "/tmp/var-test-opencl-%ld.safetensors", (long)getpid());
    CU_ASSERT_FATAL(var_checkpoint_convert(cpu, path, conv, (var_weights)weights) == VAR_OK);
    snprintf(path, sizeof path, "%s", conv);
  }
  rollout(cpu, path, B, labels, seeds, cfg, top_k, top_p, a);
  rollout(cl, path, B, labels, seeds, cfg, top_k, top_p, b);
  if (weights) {
    printf("\n  (%s weights)", var_weights_name((var_weights)weights));
    remove(path);
  }
  for (i = 0; i < B * g.L; i++) {
    if (a[i] != b[i] && first < 0) first = i;
    diff += a[i] != b[i];
    distinct += i > 0 && a[i] != a[i - 1];
  }
  printf("\n  %s top_k %d top_p %g cfg %g: %d tokens, %d differ", g.name, top_k, (double)top_p, (double)cfg, B * g.L,
         diff);
  if (first >= 0) printf(" (first at %d: cpu %d opencl %d)", first, a[first], b[first]);
  CU_ASSERT_EQUAL(diff, 0);
  CU_ASSERT(distinct > g.L / 4);   /* a real sampled sequence, not a constant */
  free(a);
  free(b);
  golden_close(&g);
  var_ctx_free(cpu);
  var_ctx_free(cl);
}

static void tokens_case(const char *set, int top_k, float top_p, float cfg)
{
  tokens_case_w(set, top_k, top_p, cfg, 0);
}

/* Converted files: the CPU's bf16/int8 kernels and OpenCL's float32 upload of the
 * same numbers sample the same tokens. */
static void test_tokens_converted(void)
{
  tokens_case_w(GOLDEN_DIR("small"), 40, 0.95f, 4.0f, VAR_WEIGHTS_BF16);
  tokens_case_w(GOLDEN_DIR("small"), 40, 0.95f, 4.0f, VAR_WEIGHTS_INT8);
}

/* The whole public generation (transformer, quantiser, VQ-VAE decode) on both
 * backends: the same tokens, and images equal to float rounding. */
static void generate_case(const char *set, int top_k, float top_p, float cfg, int more_smooth, int edit)
{
  golden_set g;
  char err[1024], var_path[1200], vae_path[1200];
  var_ctx *ctx[2];
  var_transformer *tf[2];
  var_vqvae *vae[2];
  var_sample_params sp;
  const int B = 2, labels[2] = { 1, 5 };
  int32_t *tok[2], *keep = NULL;
  float *img[2], *mask = NULL, worst = 0;
  int i, k, side, diff = 0, n_img;
  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  golden_checkpoint(&g, "var", var_path, sizeof var_path);
  golden_checkpoint(&g, "vae", vae_path, sizeof vae_path);
  side = g.image_size;
  n_img = B * 3 * side * side;
  var_sample_params_default(&sp);
  sp.seed = 2024;
  sp.cfg = cfg;
  sp.top_k = top_k;
  sp.top_p = top_p;
  sp.more_smooth = more_smooth;
  if (edit) {   /* keep the left half of an arbitrary token map, regenerate the rest */
    keep = malloc(sizeof(int32_t) * B * g.L);
    mask = malloc(sizeof(float) * B * g.latent * g.latent);
    CU_ASSERT_FATAL(keep && mask);
    for (i = 0; i < B * g.L; i++) keep[i] = (i * 37 + 11) % 64;
    for (i = 0; i < B * g.latent * g.latent; i++) mask[i] = (i % g.latent) < g.latent / 2 ? 1.0f : 0.0f;
  }
  for (k = 0; k < 2; k++) {
    ctx[k] = new_ctx(k ? "opencl" : "cpu");
    CU_ASSERT_FATAL(var_transformer_load(ctx[k], var_path, NULL, &tf[k]) == VAR_OK);
    CU_ASSERT_FATAL(var_vqvae_load(ctx[k], vae_path, &vae[k]) == VAR_OK);
    tok[k] = malloc(sizeof(int32_t) * B * g.L);
    img[k] = malloc(sizeof(float) * n_img);
    CU_ASSERT_FATAL(tok[k] && img[k]);
    if (var_generate_tokens(tf[k], vae[k], &sp, B, labels, keep, mask, tok[k], img[k]) != VAR_OK)
      printf("\n  %s: %s\n", k ? "opencl" : "cpu", var_ctx_last_error(ctx[k]));
  }
  for (i = 0; i < B * g.L; i++) diff += tok[0][i] != tok[1][i];
  for (i = 0; i < n_img; i++)
    if (fabsf(img[0][i] - img[1][i]) > worst) worst = fabsf(img[0][i] - img[1][i]);
  printf("\n  %s var_generate_tokens top_k %d top_p %g cfg %g more_smooth %d edit %d: %d of %d tokens differ, "
         "image max|diff| %.2g",
         g.name, top_k, (double)top_p, (double)cfg, more_smooth, edit, diff, B * g.L, (double)worst);
  CU_ASSERT_EQUAL(diff, 0);
  CU_ASSERT(worst < 1e-3f);
  for (k = 0; k < 2; k++) {
    var_vqvae_free(vae[k]);
    var_transformer_free(tf[k]);
    var_ctx_free(ctx[k]);
    free(tok[k]);
    free(img[k]);
  }
  free(keep);
  free(mask);
  golden_close(&g);
}

static void test_generate(void)
{
  generate_case(GOLDEN_DIR("tiny"), 8, 0.9f, 4.0f, 0, 0);
  generate_case(GOLDEN_DIR("tiny-saln"), 6, 0.8f, 3.0f, 1, 0);
  generate_case(GOLDEN_DIR("small"), 40, 0.95f, 4.0f, 0, 0);
  generate_case(GOLDEN_DIR("small"), 40, 0.95f, 3.0f, 1, 1);
}

static void test_tokens_tiny(void)
{
  tokens_case(GOLDEN_DIR("tiny"), 8, 0.9f, 4.0f);
  tokens_case(GOLDEN_DIR("tiny"), 0, 0.0f, 1.5f);
}

static void test_tokens_tiny_saln(void) { tokens_case(GOLDEN_DIR("tiny-saln"), 6, 0.8f, 3.0f); }

static void test_tokens_small(void)
{
  tokens_case(GOLDEN_DIR("small"), 40, 0.95f, 4.0f);
  tokens_case(GOLDEN_DIR("small"), 100, 0.0f, 1.5f);
}

/* ---- no OpenCL platform ---------------------------------------------------------- */

static void test_no_platform(void)
{
  var_ctx_params p;
  var_ctx *ctx = (var_ctx *)1;
  var_ctx_params_default(&p);
  p.backend = "opencl";
  CU_ASSERT_EQUAL(var_ctx_new(&p, &ctx), VAR_ERR_BACKEND);
  CU_ASSERT_PTR_NULL(ctx);
  printf("\n  message: %s\n", var_last_init_error());
  CU_ASSERT(strstr(var_last_init_error(), "no OpenCL platform") != NULL);
  CU_ASSERT_STRING_EQUAL(var_backends_available(), "cpu");
  p.backend = "opencl:0";
  CU_ASSERT_EQUAL(var_ctx_new(&p, &ctx), VAR_ERR_BACKEND);
  /* the CPU backend is unaffected */
  p.backend = "cpu";
  CU_ASSERT_EQUAL(var_ctx_new(&p, &ctx), VAR_OK);
  if (ctx) {
    var_backend *be = ctx->backend;
    var_dbuf *b;
    float x[4] = { 1, 2, 3, 4 }, y[4];
    CU_ASSERT_FATAL(var_be_alloc_f32(be, 4, &b) == VAR_OK);
    CU_ASSERT_EQUAL(be->ops->write(be, var_dp(b, 0), x, sizeof x), VAR_OK);
    CU_ASSERT_EQUAL(be->ops->axpby(be, 4, 2.0f, var_dp(b, 0), 1.0f, var_dp(b, 0), var_dp(b, 0)), VAR_OK);
    CU_ASSERT_EQUAL(be->ops->read(be, var_dp(b, 0), y, sizeof y), VAR_OK);
    CU_ASSERT_EQUAL(y[3], 12.0f);
    be->ops->release(be, b);
    var_ctx_free(ctx);
  }
}

int main(int argc, char **argv)
{
  static const test_case golden[] = {
    { "default contexts use OpenCL ($VAR_BACKEND)", test_golden_backend_is_opencl },
    { "golden vae stage on OpenCL (3 sets)", test_golden_vae },
    { "golden tf stage on OpenCL (3 sets)", test_golden_tf },
    { "golden filter stage on OpenCL (3 sets)", test_golden_filter },
    { "golden gen stage on OpenCL (3 sets)", test_golden_gen },
    { "golden edit stage on OpenCL (3 sets)", test_golden_edit },
    { NULL, NULL },
  };
  static const test_case tokens[] = {
    { "same tokens CPU/OpenCL: tiny", test_tokens_tiny },
    { "same tokens CPU/OpenCL: tiny-saln (shared AdaLN)", test_tokens_tiny_saln },
    { "same tokens CPU/OpenCL: small", test_tokens_small },
    { "var_generate_tokens CPU/OpenCL: tokens and images (incl. more_smooth, edit)", test_generate },
    { "same tokens CPU/OpenCL from bf16 and int8 files (OpenCL converts at upload)", test_tokens_converted },
    { NULL, NULL },
  };
  static const test_case no_platform[] = {
    { "no OpenCL platform: clear failure, CPU unaffected", test_no_platform },
    { NULL, NULL },
  };
  const char *mode = argc > 1 ? argv[1] : "";
  var_ctx *keep = NULL;
  int rc;
  if (!strcmp(mode, "no-platform")) return run_suite("opencl_no_platform", no_platform);
  if (strcmp(mode, "golden") && strcmp(mode, "tokens")) {
    fprintf(stderr, "usage: test_opencl golden|tokens|no-platform\n");
    return 2;
  }
  {
    var_ctx_params p;
    var_ctx_params_default(&p);
    p.backend = "opencl";
    if (var_ctx_new(&p, &keep) != VAR_OK) {
      printf("test_opencl: cannot create the OpenCL backend: %s\n", var_last_init_error());
      return 1;
    }
  }
  rc = run_suite(!strcmp(mode, "golden") ? "opencl_golden" : "opencl_tokens", !strcmp(mode, "golden") ? golden : tokens);
  var_ctx_free(keep);
  return rc;
}

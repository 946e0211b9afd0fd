/* test_lowp.c — reduced-precision weights (bf16, f16, int8): element conversions,
 * the linear kernels against a double-precision reference on the same widened
 * weights (AVX2 and portable, thread counts), var_checkpoint_convert and the
 * loader (zero-copy types, converting on load, refused files naming the tensor),
 * the measured accuracy against float32 on the golden sets' random-weight
 * checkpoints and the demo model, and cfg 0 skipping the unconditional half. */
#include "test_support.h"

#include "cpu/cpu_linear_lp.h"
#include "cpu/cpu_ops.h"
#include "model/generate.h"
#include "io/lowp.h"
#include "model/transformer.h"

#include <dirent.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEMO_MODEL VAR_TEST_DATA "/../../models/demo"

static var_ctx *new_ctx(int threads, int weights)
{
  var_ctx_params p;
  var_ctx *ctx = NULL;
  var_ctx_params_default(&p);
  p.n_threads = threads;
  p.backend = "cpu";
  p.weights = weights;
  CU_ASSERT_FATAL(var_ctx_new(&p, &ctx) == VAR_OK);
  return ctx;
}

static float frand(uint32_t *state)
{
  *state = *state * 1664525u + 1013904223u;
  return ((*state >> 8) * (1.0f / 16777216.0f)) * 2.0f - 1.0f;
}

static void set_simd(int on)
{
  if (on) unsetenv("VAR_SIMD");
  else setenv("VAR_SIMD", "0", 1);
}

static char tmpdir[256];

static const char *tmp_path(const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  if (!tmpdir[0]) {
    snprintf(tmpdir, sizeof tmpdir, "/tmp/var-test-lowp-XXXXXX");
    CU_ASSERT_FATAL(mkdtemp(tmpdir) != NULL);
  }
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmpdir, name);
  return buf[k];
}

/* ---- element conversions --------------------------------------------------- */

static float bits_f(uint32_t b)
{
  float f;
  memcpy(&f, &b, 4);
  return f;
}

static void test_conversions(void)
{
  uint32_t h;
  int8_t q[5];
  const float row[5] = { 0.5f, -1.27f, 0.0f, 0.01f, 1.0f };
  float sc;
  CU_ASSERT_EQUAL(var_f32_to_bf16(1.0f), 0x3f80);
  CU_ASSERT_EQUAL(var_f32_to_bf16(bits_f(0x3f808000u)), 0x3f80);   /* tie -> even */
  CU_ASSERT_EQUAL(var_f32_to_bf16(bits_f(0x3f818000u)), 0x3f82);   /* tie -> even (up) */
  CU_ASSERT_EQUAL(var_f32_to_bf16(bits_f(0x3f808001u)), 0x3f81);
  CU_ASSERT((var_f32_to_bf16(NAN) & 0x7f80) == 0x7f80 && (var_f32_to_bf16(NAN) & 0x7f));
  CU_ASSERT_EQUAL(var_f32_to_f16(1.0f), 0x3c00);
  CU_ASSERT_EQUAL(var_f32_to_f16(65504.0f), 0x7bff);
  CU_ASSERT_EQUAL(var_f32_to_f16(65520.0f), 0x7c00);                /* rounds to infinity */
  CU_ASSERT_EQUAL(var_f32_to_f16(ldexpf(1.0f, -24)), 0x0001);
  CU_ASSERT_EQUAL(var_f32_to_f16(ldexpf(1.0f, -25)), 0x0000);       /* tie -> even (0) */
  CU_ASSERT_EQUAL(var_f32_to_f16(ldexpf(3.0f, -25)), 0x0002);       /* tie -> even (2) */
  CU_ASSERT_EQUAL(var_f32_to_f16(-2.0f), 0xc000);
  /* every finite half and bfloat16 survives the round trip through float32 */
  for (h = 0; h < 65536; h++) {
    float f = var_half_to_float((uint16_t)h), g;
    uint32_t b = h << 16;
    if ((h & 0x7c00) != 0x7c00 && var_f32_to_f16(f) != h) {
      CU_FAIL("float16 round trip");
      break;
    }
    memcpy(&g, &b, 4);
    if ((h & 0x7f80) != 0x7f80 && var_f32_to_bf16(g) != h) {
      CU_FAIL("bfloat16 round trip");
      break;
    }
  }
  sc = var_lp_quantize_row(row, 5, q);
  CU_ASSERT_DOUBLE_EQUAL(sc, 1.27 / 127, 1e-9);
  CU_ASSERT_EQUAL(q[1], -127);
  CU_ASSERT_EQUAL(q[0], 50);
  CU_ASSERT_EQUAL(q[2], 0);
  CU_ASSERT_EQUAL(q[3], 1);
  CU_ASSERT_EQUAL(q[4], 100);
  CU_ASSERT_EQUAL(var_lp_quantize_row(row + 2, 1, q), 1.0f);       /* an all-zero row */
  CU_ASSERT(var_lp_is_linear_weight("blocks.12.attn.mat_qkv.weight"));
  CU_ASSERT(var_lp_is_linear_weight("head.weight"));
  CU_ASSERT(var_lp_is_linear_weight("blocks.0.ada_lin.1.weight"));
  CU_ASSERT(!var_lp_is_linear_weight("blocks.0.attn.proj.bias"));
  CU_ASSERT(!var_lp_is_linear_weight("word_embed.weight"));
  CU_ASSERT(!var_lp_is_linear_weight("class_emb.weight"));
  CU_ASSERT(!var_lp_is_linear_weight("blocks.x.ffn.fc1.weight"));
}

/* ---- kernels ---------------------------------------------------------------- */

/* Runs linear_lp on ctx's backend; W given as float32 values already
 * representable in `type` (or, for I8, q and scales). */
static void run_lp(var_ctx *ctx, int type, int M, int N, int K, const float *X, const void *W, const float *scale,
                   const float *bias, int act, int few, float *Y)
{
  var_backend *be = ctx->backend;
  var_dbuf *bx, *bw, *bs = NULL, *bb = NULL, *by;
  const size_t es = type == VAR_DTYPE_I8 ? 1 : 2;
  CU_ASSERT_FATAL(be->ops->wrap_const(be, X, (size_t)M * K * 4, &bx) == VAR_OK);
  CU_ASSERT_FATAL(be->ops->wrap_const(be, W, (size_t)N * K * es, &bw) == VAR_OK);
  if (scale) CU_ASSERT_FATAL(be->ops->wrap_const(be, scale, (size_t)N * 4, &bs) == VAR_OK);
  if (bias) CU_ASSERT_FATAL(be->ops->wrap_const(be, bias, (size_t)N * 4, &bb) == VAR_OK);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)M * N, &by) == VAR_OK);
  CU_ASSERT_FATAL(be->ops->linear_lp(be, M, N, K, var_dp(bx, 0), type, var_dp(bw, 0),
                                     bs ? var_dp(bs, 0) : var_dp_none(), bb ? var_dp(bb, 0) : var_dp_none(),
                                     var_dp(by, 0), act, few) == VAR_OK);
  CU_ASSERT_FATAL(be->ops->read(be, var_dp(by, 0), Y, (size_t)M * N * 4) == VAR_OK);
  be->ops->release(be, bx);
  be->ops->release(be, bw);
  if (bs) be->ops->release(be, bs);
  if (bb) be->ops->release(be, bb);
  be->ops->release(be, by);
}

static double act_ref(double v, int act)
{
  if (act == VAR_ACT_GELU_TANH) return 0.5 * v * (1 + tanh(0.7978845608028654 * (v + 0.044715 * v * v * v)));
  if (act == VAR_ACT_SILU) return v / (1 + exp(-v));
  return v;
}

static void test_kernels(void)
{
  static const int shapes[][3] = { { 1, 33, 64 }, { 2, 50, 72 }, { 4, 17, 200 }, { 6, 16, 256 }, { 16, 64, 264 },
                                   { 17, 40, 520 }, { 40, 130, 96 }, { 100, 70, 300 }, { 3, 9, 7 } };
  static const int types[] = { VAR_DTYPE_BF16, VAR_DTYPE_F16, VAR_DTYPE_I8 };
  var_ctx *c1 = NULL, *c2 = NULL;
  size_t si;
  int ti, simd, bad = 0, checked = 0, few;
  for (simd = 1; simd >= 0; simd--)
  for (few = 0; few < 2; few++) {
    set_simd(simd);   /* read when a context's backend is created */
    var_ctx_free(c1);
    var_ctx_free(c2);
    c1 = new_ctx(1, 0);
    c2 = new_ctx(2, 0);
    for (si = 0; si < sizeof shapes / sizeof shapes[0]; si++)
      for (ti = 0; ti < 3; ti++) {
        const int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2], type = types[ti];
        const int act = (int)((si + ti) % 3);
        float *X = malloc(sizeof(float) * M * K), *Wf = malloc(sizeof(float) * N * K), *b = malloc(sizeof(float) * N);
        float *sc = malloc(sizeof(float) * N), *Y1 = malloc(sizeof(float) * M * N), *Y2 = malloc(sizeof(float) * M * N);
        void *W = malloc((size_t)N * K * 2);
        uint32_t st = (uint32_t)(si * 7 + ti + 1);
        int m, n, k;
        for (k = 0; k < M * K; k++) X[k] = frand(&st);
        for (k = 0; k < N; k++) b[k] = 0.1f * frand(&st);
        for (k = 0; k < N * K; k++) Wf[k] = 0.2f * frand(&st);
        for (n = 0; n < N; n++) {
          float *w = Wf + (size_t)n * K;
          if (type == VAR_DTYPE_I8) {
            sc[n] = var_lp_quantize_row(w, K, (int8_t *)W + (size_t)n * K);
            var_lp_row_f32(VAR_DTYPE_I8, (int8_t *)W + (size_t)n * K, K, sc[n], w);   /* what the kernel means */
          } else {
            for (k = 0; k < K; k++)
              ((uint16_t *)W)[(size_t)n * K + k] = type == VAR_DTYPE_BF16 ? var_f32_to_bf16(w[k]) : var_f32_to_f16(w[k]);
            var_lp_row_f32(type, (uint16_t *)W + (size_t)n * K, K, 1.0f, w);
          }
        }
        run_lp(c1, type, M, N, K, X, W, type == VAR_DTYPE_I8 ? sc : NULL, b, act, few, Y1);
        run_lp(c2, type, M, N, K, X, W, type == VAR_DTYPE_I8 ? sc : NULL, b, act, few, Y2);
        if (memcmp(Y1, Y2, sizeof(float) * M * N)) {
          printf("  threads change the result: M=%d N=%d K=%d %s simd=%d few=%d\n", M, N, K, var_dtype_name(type),
                 simd, few);
          bad++;
        }
        /* each row alone gives the same numbers as in the batch (a sequence's result does not
         * depend on its batch) */
        for (m = 0; m < M; m++) {
          run_lp(c2, type, 1, N, K, X + (size_t)m * K, W, type == VAR_DTYPE_I8 ? sc : NULL, b, act, few, Y2);
          if (memcmp(Y1 + (size_t)m * N, Y2, sizeof(float) * N)) {
            printf("  row %d alone differs: M=%d N=%d K=%d %s simd=%d few=%d\n", m, M, N, K, var_dtype_name(type),
                   simd, few);
            bad++;
            break;
          }
        }
        for (m = 0; m < M; m++)
          for (n = 0; n < N; n++) {
            double sum = b[n], mag = fabs(b[n]), ref;
            for (k = 0; k < K; k++) {
              sum += (double)X[(size_t)m * K + k] * Wf[(size_t)n * K + k];
              mag += fabs((double)X[(size_t)m * K + k] * Wf[(size_t)n * K + k]);
            }
            ref = act_ref(sum, act);
            /* float32 sums of K products (and the int8 scale's rounding), activation to ~1e-6 */
            if (fabs(Y1[(size_t)m * N + n] - ref) > 2e-6 * mag * (1 + K / 64.0) + 2e-6) {
              if (bad < 5)
                printf("  M=%d N=%d K=%d %s simd=%d few=%d: y[%d][%d] = %.7g, reference %.7g\n", M, N, K,
                       var_dtype_name(type), simd, few, m, n, Y1[(size_t)m * N + n], ref);
              bad++;
            }
            checked++;
          }
        free(X);
        free(Wf);
        free(b);
        free(sc);
        free(Y1);
        free(Y2);
        free(W);
      }
  }
  set_simd(1);
  printf("  %d outputs checked\n", checked);
  CU_ASSERT_EQUAL(bad, 0);
  var_ctx_free(c1);
  var_ctx_free(c2);
}

/* The VNNI kernel ($VAR_INT8=vnni): exact integer sums of per-row quantised
 * activations, so the error against the double reference is bounded by the
 * activation rounding, |dy| <= scale_n * sx_m / 2 * sum_k |q[n][k]| (+ float
 * rounding); and threads and batch change nothing. */
static void test_kernel_vnni(void)
{
  static const int shapes[][3] = { { 1, 33, 64 }, { 2, 50, 72 }, { 7, 17, 201 }, { 40, 130, 96 }, { 100, 70, 300 } };
  var_ctx *c1, *c2;
  size_t si;
  int bad = 0, checked = 0;
  if (!var_lp_vnni_available()) {
    printf("  (no AVX-512 VNNI on this processor: the kernel is not used, nothing to check)\n");
    return;
  }
  setenv("VAR_INT8", "vnni", 1);
  c1 = new_ctx(1, 0);
  c2 = new_ctx(2, 0);
  unsetenv("VAR_INT8");
  for (si = 0; si < sizeof shapes / sizeof shapes[0]; si++) {
    const int M = shapes[si][0], N = shapes[si][1], K = shapes[si][2];
    float *X = malloc(sizeof(float) * M * K), *Wf = malloc(sizeof(float) * K), *b = malloc(sizeof(float) * N);
    float *sc = malloc(sizeof(float) * N), *Y1 = malloc(sizeof(float) * M * N), *Y2 = malloc(sizeof(float) * M * N);
    int8_t *W = malloc((size_t)N * K);
    uint32_t st = (uint32_t)si + 99;
    int m, n, k;
    for (k = 0; k < M * K; k++) X[k] = frand(&st) * (k % 17 == 0 ? 4.0f : 1.0f);
    for (n = 0; n < N; n++) {
      b[n] = 0.1f * frand(&st);
      for (k = 0; k < K; k++) Wf[k] = 0.2f * frand(&st);
      sc[n] = var_lp_quantize_row(Wf, K, W + (size_t)n * K);
    }
    run_lp(c1, VAR_DTYPE_I8, M, N, K, X, W, sc, b, VAR_ACT_NONE, 0, Y1);
    run_lp(c2, VAR_DTYPE_I8, M, N, K, X, W, sc, b, VAR_ACT_NONE, 1, Y2);   /* either flag: the same kernel */
    if (memcmp(Y1, Y2, sizeof(float) * M * N)) bad++;
    for (m = 0; m < M; m++) {
      double amax = 0;
      run_lp(c2, VAR_DTYPE_I8, 1, N, K, X + (size_t)m * K, W, sc, b, VAR_ACT_NONE, 0, Y2);
      if (memcmp(Y1 + (size_t)m * N, Y2, sizeof(float) * N)) bad++;
      for (k = 0; k < K; k++) amax = fabs(X[(size_t)m * K + k]) > amax ? fabs(X[(size_t)m * K + k]) : amax;
      for (n = 0; n < N; n++) {
        double ref = b[n], qsum = 0, mag = fabs(b[n]);
        for (k = 0; k < K; k++) {
          ref += (double)X[(size_t)m * K + k] * W[(size_t)n * K + k] * sc[n];
          qsum += abs(W[(size_t)n * K + k]);
          mag += fabs((double)X[(size_t)m * K + k] * W[(size_t)n * K + k] * sc[n]);
        }
        if (fabs(Y1[(size_t)m * N + n] - ref) > sc[n] * amax / 127 / 2 * qsum * 1.0001 + 1e-6 * mag + 1e-6) {
          if (bad < 5) printf("  vnni M=%d N=%d K=%d: y[%d][%d] = %.7g, reference %.7g\n", M, N, K, m, n,
                              Y1[(size_t)m * N + n], ref);
          bad++;
        }
        checked++;
      }
    }
    free(X);
    free(Wf);
    free(b);
    free(sc);
    free(Y1);
    free(Y2);
    free(W);
  }
  printf("  %d outputs checked\n", checked);
  CU_ASSERT_EQUAL(bad, 0);
  var_ctx_free(c1);
  var_ctx_free(c2);
}

/* ---- converting and loading ------------------------------------------------ */

static void find_pair(const char *dir, char *tf, char *vae, size_t n)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  tf[0] = vae[0] = '\0';
  CU_ASSERT_FATAL(d != NULL);
  while ((e = readdir(d)))
    if (strstr(e->d_name, ".pth")) {
      if (!strncmp(e->d_name, "var_", 4)) snprintf(tf, n, "%s/%s", dir, e->d_name);
      if (!strncmp(e->d_name, "vae_", 4)) snprintf(vae, n, "%s/%s", dir, e->d_name);
    }
  closedir(d);
  CU_ASSERT_FATAL(tf[0] && vae[0]);
}

static const var_tensor_info *tensor(var_checkpoint *ck, const char *name, var_tensor_info *info)
{
  int i;
  for (i = 0; i < var_checkpoint_n_tensors(ck); i++)
    if (var_checkpoint_tensor(ck, i, info) == VAR_OK && !strcmp(info->name, name)) return info;
  return NULL;
}

static void test_convert_files(void)
{
  char tf[600], vae[600];
  static const char *const names[] = { "f32", "bf16", "f16", "int8" };
  static const int types[] = { VAR_DTYPE_F32, VAR_DTYPE_BF16, VAR_DTYPE_F16, VAR_DTYPE_I8 };
  var_ctx *ctx = new_ctx(2, 0);
  int i;
  find_pair(GOLDEN_DIR("small"), tf, vae, sizeof tf);
  for (i = 0; i < 4; i++) {
    char out[64];
    var_checkpoint *ck = NULL;
    var_tensor_info info;
    var_transformer *t = NULL;
    snprintf(out, sizeof out, "small_%s.safetensors", names[i]);
    CU_ASSERT_FATAL(var_checkpoint_convert(ctx, tf, tmp_path(out), (var_weights)(VAR_WEIGHTS_F32 + i)) == VAR_OK);
    CU_ASSERT_FATAL(var_checkpoint_open(ctx, tmp_path(out), &ck) == VAR_OK);
    CU_ASSERT(tensor(ck, "blocks.1.ffn.fc2.weight", &info) && info.dtype == (var_dtype)types[i]);
    CU_ASSERT(tensor(ck, "head.weight", &info) && info.dtype == (var_dtype)types[i]);
    CU_ASSERT(tensor(ck, "blocks.0.attn.proj.bias", &info) && info.dtype == VAR_DTYPE_F32);
    CU_ASSERT(tensor(ck, "class_emb.weight", &info) && info.dtype == VAR_DTYPE_F32);
    CU_ASSERT(tensor(ck, "word_embed.weight", &info) && info.dtype == VAR_DTYPE_F32);
    if (types[i] == VAR_DTYPE_I8) {
      var_tensor_info w;
      CU_ASSERT(tensor(ck, "head.weight_scale", &info) && info.dtype == VAR_DTYPE_F32 && info.ndim == 1 &&
                tensor(ck, "head.weight", &w) && info.shape[0] == w.shape[0]);
    } else {
      CU_ASSERT(!tensor(ck, "head.weight_scale", &info));
    }
    var_checkpoint_free(ck);
    /* loads, with the linear weights in that type, aliased in the mapping */
    CU_ASSERT_FATAL(var_transformer_load(ctx, tmp_path(out), NULL, &t) == VAR_OK);
    CU_ASSERT_EQUAL(t->weight_types, 1 << types[i]);
    CU_ASSERT_EQUAL(t->n_owned, 0);
    var_transformer_free(t);
  }
  /* a VQ-VAE: bf16 convolutions, not int8 */
  CU_ASSERT(var_checkpoint_convert(ctx, vae, tmp_path("vae_bf16.safetensors"), VAR_WEIGHTS_BF16) == VAR_OK);
  CU_ASSERT(var_checkpoint_convert(ctx, vae, tmp_path("vae_i8.safetensors"), VAR_WEIGHTS_INT8) == VAR_ERR_UNSUPPORTED);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "not int8") != NULL);
  CU_ASSERT(access(tmp_path("vae_i8.safetensors"), F_OK) != 0);
  {
    var_vqvae *v = NULL;
    CU_ASSERT(var_vqvae_load(ctx, tmp_path("vae_bf16.safetensors"), &v) == VAR_OK);
    var_vqvae_free(v);
  }
  /* a model folder of converted files: found by name and by default (the plug-ins' var_model_load_dir) */
  {
    var_model *m = NULL;
    var_model_info mi;
    CU_ASSERT(rename(tmp_path("vae_bf16.safetensors"), tmp_path("vae_small_bf16.safetensors")) == 0);
    CU_ASSERT(rename(tmp_path("small_int8.safetensors"), tmp_path("var_small_int8.safetensors")) == 0);
    CU_ASSERT(var_model_load_dir(ctx, tmpdir, "small_int8", &m) == VAR_OK);
    CU_ASSERT(m && var_model_get_info(m, &mi) == VAR_OK && !strcmp(mi.name, "var_small_int8"));
    CU_ASSERT(m && var_model_transformer(m)->weight_types == 1 << VAR_DTYPE_I8);
    var_model_free(m);
    m = NULL;
    CU_ASSERT(var_model_load_dir(ctx, tmpdir, NULL, &m) == VAR_OK);   /* the only (so smallest) transformer */
    var_model_free(m);
    CU_ASSERT(rename(tmp_path("var_small_int8.safetensors"), tmp_path("small_int8.safetensors")) == 0);
    CU_ASSERT(rename(tmp_path("vae_small_bf16.safetensors"), tmp_path("vae_bf16.safetensors")) == 0);
  }
  CU_ASSERT(var_checkpoint_convert(ctx, tf, tmp_path("x.safetensors"), VAR_WEIGHTS_AS_STORED) ==
            VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(var_checkpoint_convert(ctx, tf, "/nonexistent-dir/x.safetensors", VAR_WEIGHTS_BF16) == VAR_ERR_IO);
  /* an int8 file converts back; converting int8 to int8 keeps the same numbers */
  CU_ASSERT(var_checkpoint_convert(ctx, tmp_path("small_int8.safetensors"), tmp_path("small_int8b.safetensors"),
                                   VAR_WEIGHTS_INT8) == VAR_OK);
  {
    var_checkpoint *a = NULL, *b = NULL;
    int i, same = 1;
    CU_ASSERT_FATAL(var_checkpoint_open(ctx, tmp_path("small_int8.safetensors"), &a) == VAR_OK);
    CU_ASSERT_FATAL(var_checkpoint_open(ctx, tmp_path("small_int8b.safetensors"), &b) == VAR_OK);
    CU_ASSERT_EQUAL(a->n, b->n);
    for (i = 0; i < a->n; i++) {
      const var_ckpt_tensor *x = &a->tensors[i], *y = var_ckpt_find(b, x->name);
      if (!y || y->dtype != x->dtype || y->nbytes != x->nbytes || memcmp(x->data, y->data, x->nbytes)) same = 0;
    }
    CU_ASSERT(same);
    var_checkpoint_free(a);
    var_checkpoint_free(b);
  }
  var_ctx_free(ctx);
}

/* A safetensors file from explicit tensors (name, dtype string, shape, bytes). */
typedef struct { const char *name, *dtype; int ndim; int64_t shape[4]; const void *data; size_t bytes; } raw_t;

static void write_raw(const char *path, const raw_t *t, int n)
{
  char hdr[1 << 16];
  size_t len = 0, off = 0;
  int i, d;
  FILE *fp = fopen(path, "wb");
  uint64_t hl;
  CU_ASSERT_FATAL(fp != NULL);
  len += (size_t)snprintf(hdr + len, sizeof hdr - len, "{");
  for (i = 0; i < n; i++) {
    len += (size_t)snprintf(hdr + len, sizeof hdr - len, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "",
                            t[i].name, t[i].dtype);
    for (d = 0; d < t[i].ndim; d++)
      len += (size_t)snprintf(hdr + len, sizeof hdr - len, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
    len += (size_t)snprintf(hdr + len, sizeof hdr - len, "],\"data_offsets\":[%zu,%zu]}", off, off + t[i].bytes);
    off += t[i].bytes;
  }
  len += (size_t)snprintf(hdr + len, sizeof hdr - len, "}");
  while ((8 + len) % 8) hdr[len++] = ' ';
  hl = len;
  fwrite(&hl, 8, 1, fp);
  fwrite(hdr, 1, len, fp);
  for (i = 0; i < n; i++) fwrite(t[i].data, 1, t[i].bytes, fp);
  fclose(fp);
}

/* Rewrites the int8 conversion of the small set with one change, loads it, and
 * expects `status` with `needle` (a tensor name) in the message. */
static void expect_refused(var_ctx *ctx, const char *drop, const char *replace, const raw_t *with, var_status status,
                           const char *needle)
{
  var_checkpoint *ck = NULL;
  var_transformer *t = NULL;
  raw_t *ts;
  int i, n = 0;
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, tmp_path("small_int8.safetensors"), &ck) == VAR_OK);
  ts = calloc((size_t)ck->n + 1, sizeof *ts);
  for (i = 0; i < ck->n; i++) {
    const var_ckpt_tensor *c = &ck->tensors[i];
    static const char *const st[] = { "F32", "F16", "BF16", "I64", "I32", "U8", "I8" };
    int d;
    if (drop && !strcmp(c->name, drop)) continue;
    if (replace && !strcmp(c->name, replace)) {
      ts[n++] = *with;
      continue;
    }
    ts[n].name = c->name;
    ts[n].dtype = st[c->dtype];
    ts[n].ndim = c->ndim;
    for (d = 0; d < c->ndim; d++) ts[n].shape[d] = c->shape[d];
    ts[n].data = c->data;
    ts[n].bytes = c->nbytes;
    n++;
  }
  if (!replace && with) ts[n++] = *with;
  write_raw(tmp_path("bad.safetensors"), ts, n);
  var_checkpoint_free(ck);
  free(ts);
  CU_ASSERT_EQUAL(var_transformer_load(ctx, tmp_path("bad.safetensors"), NULL, &t), status);
  CU_ASSERT(t == NULL);
  if (!strstr(var_ctx_last_error(ctx), needle)) printf("  message: %s\n", var_ctx_last_error(ctx));
  CU_ASSERT(strstr(var_ctx_last_error(ctx), needle) != NULL);
}

static void test_refused_files(void)
{
  var_ctx *ctx = new_ctx(2, 0);
  var_checkpoint *ck = NULL;
  const var_ckpt_tensor *fc2, *proj;
  float *zeros;
  raw_t r;
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, tmp_path("small_int8.safetensors"), &ck) == VAR_OK);
  fc2 = var_ckpt_find(ck, "blocks.1.ffn.fc2.weight");
  proj = var_ckpt_find(ck, "blocks.0.attn.proj.weight");
  CU_ASSERT_FATAL(fc2 && proj);
  zeros = calloc((size_t)(proj->numel + fc2->shape[0]), sizeof(float));
  /* a missing scale tensor */
  expect_refused(ctx, "blocks.1.ffn.fc2.weight_scale", NULL, NULL, VAR_ERR_FORMAT, "blocks.1.ffn.fc2.weight");
  /* scales of the wrong shape */
  memset(&r, 0, sizeof r);
  r.name = "blocks.1.ffn.fc2.weight_scale";
  r.dtype = "F32";
  r.ndim = 1;
  r.shape[0] = fc2->shape[0] - 1;
  r.data = zeros;
  r.bytes = (size_t)r.shape[0] * 4;
  expect_refused(ctx, NULL, "blocks.1.ffn.fc2.weight_scale", &r, VAR_ERR_SHAPE, "blocks.1.ffn.fc2.weight_scale");
  /* scales that are not float32 */
  r.dtype = "F16";
  r.shape[0] = fc2->shape[0];
  r.bytes = (size_t)r.shape[0] * 2;
  expect_refused(ctx, NULL, "blocks.1.ffn.fc2.weight_scale", &r, VAR_ERR_SHAPE, "blocks.1.ffn.fc2.weight_scale");
  /* a scale tensor beside a float weight */
  r.name = "blocks.0.attn.proj.weight";
  r.dtype = "F32";
  r.ndim = 2;
  r.shape[0] = proj->shape[0];
  r.shape[1] = proj->shape[1];
  r.bytes = (size_t)(r.shape[0] * r.shape[1]) * 4;
  expect_refused(ctx, NULL, "blocks.0.attn.proj.weight", &r, VAR_ERR_FORMAT, "blocks.0.attn.proj.weight_scale");
  /* int8 where no int8 may be */
  {
    const var_ckpt_tensor *ps = var_ckpt_find(ck, "pos_start");
    r.name = "pos_start";
    r.dtype = "I8";
    r.ndim = ps->ndim;
    memcpy(r.shape, ps->shape, sizeof r.shape[0] * 3);
    r.bytes = (size_t)ps->numel;
    expect_refused(ctx, NULL, "pos_start", &r, VAR_ERR_FORMAT, "pos_start");
  }
  /* an int8 weight of the wrong shape (mixed shapes) */
  r.name = "blocks.1.ffn.fc2.weight";
  r.dtype = "I8";
  r.ndim = 2;
  r.shape[0] = fc2->shape[0];
  r.shape[1] = fc2->shape[1] / 2;
  r.bytes = (size_t)(r.shape[0] * r.shape[1]);
  expect_refused(ctx, NULL, "blocks.1.ffn.fc2.weight", &r, VAR_ERR_SHAPE, "blocks.1.ffn.fc2.weight");
  free(zeros);
  var_checkpoint_free(ck);
  var_ctx_free(ctx);
}

/* ---- accuracy against float32 ------------------------------------------------ */

typedef struct {
  float *ref;           /* f32 guided logits of every scale, [B * L, V] */
  int record;           /* 1: store into ref; 0: compare */
  int B, L, V;
  const int *begin;
  double maxdiff[VAR_MAX_SCALES], maxabs[VAR_MAX_SCALES];
  int64_t argmax_same, argmax_total;
} logit_cmp;

static void on_logits(void *user, int si, const float *g, int batch, int T, int V)
{
  logit_cmp *c = user;
  int b, t, v;
  for (b = 0; b < batch; b++)
    for (t = 0; t < T; t++) {
      float *ref = c->ref + ((size_t)b * c->L + c->begin[si] + t) * V;
      const float *x = g + ((size_t)b * T + t) * V;
      int am = 0, ar = 0;
      if (c->record) {
        memcpy(ref, x, sizeof(float) * V);
        continue;
      }
      for (v = 0; v < V; v++) {
        double d = fabs((double)x[v] - ref[v]);
        if (d > c->maxdiff[si]) c->maxdiff[si] = d;
        if (fabs(ref[v]) > c->maxabs[si]) c->maxabs[si] = fabs(ref[v]);
        if (x[v] > x[am]) am = v;
        if (ref[v] > ref[ar]) ar = v;
      }
      c->argmax_same += am == ar;
      c->argmax_total++;
    }
}

static double psnr(const float *a, const float *b, size_t n)
{
  double se = 0;
  size_t i;
  for (i = 0; i < n; i++) se += ((double)a[i] - b[i]) * ((double)a[i] - b[i]);
  return se == 0 ? 99.0 : 10 * log10(1.0 / (se / (double)n));
}

typedef struct {
  double tf_maxdiff, tf_rel;   /* largest teacher-forced logit difference (any scale), relative to max |logit| */
  double tf_argmax;            /* share of teacher-forced argmaxes equal to float32's */
  double gen_same, inp_same;   /* share of identical greedy tokens: generation, in-paint (regenerated ones) */
  double gen_psnr;             /* decoded greedy generation against float32's, dB */
} accuracy;

/* Measures weights type w against float32 on one transformer/VQ-VAE pair. */
static void measure(const char *tf_path, const char *vae_path, int w, int B, accuracy *acc, int print)
{
  var_ctx *c32 = new_ctx(2, VAR_WEIGHTS_F32), *cw = new_ctx(2, w);
  var_model *m32 = NULL, *mw = NULL;
  var_transformer *t32, *tw;
  var_vqvae *v32, *vw;
  var_sample_params sp;
  var_gen_hooks hk;
  logit_cmp lc;
  int32_t *tok32, *tokw, *inp32, *inpw;
  float *img32, *imgw, *mask;
  int *labels, b, i, L, side, h, S, si;
  size_t img_n;
  int64_t same = 0, total = 0;
  CU_ASSERT_FATAL(var_model_load(c32, vae_path, tf_path, NULL, &m32) == VAR_OK);
  CU_ASSERT_FATAL(var_model_load(cw, vae_path, tf_path, NULL, &mw) == VAR_OK);
  t32 = var_model_transformer(m32);
  tw = var_model_transformer(mw);
  v32 = var_model_vqvae(m32);
  vw = var_model_vqvae(mw);
  L = t32->cfg.n_tokens;
  S = t32->cfg.schedule.n_scales;
  h = t32->cfg.schedule.pn[S - 1];
  side = h * v32->cfg.downsample;
  img_n = (size_t)B * 3 * side * side;
  labels = malloc(sizeof(int) * B);
  tok32 = malloc(sizeof(int32_t) * B * L);
  tokw = malloc(sizeof(int32_t) * B * L);
  inp32 = malloc(sizeof(int32_t) * B * L);
  inpw = malloc(sizeof(int32_t) * B * L);
  img32 = malloc(sizeof(float) * img_n);
  imgw = malloc(sizeof(float) * img_n);
  mask = malloc(sizeof(float) * B * h * h);
  for (b = 0; b < B; b++) labels[b] = b % t32->cfg.num_classes;
  var_sample_params_default(&sp);
  sp.top_k = 1;   /* greedy */
  sp.seed = 11;
  memset(&lc, 0, sizeof lc);
  lc.ref = malloc(sizeof(float) * (size_t)B * L * t32->cfg.vocab_size);
  lc.B = B;
  lc.L = L;
  lc.V = t32->cfg.vocab_size;
  lc.begin = t32->begin;
  /* float32 greedy generation, its logits recorded */
  var_gen_hooks_default(&hk);
  hk.user = &lc;
  hk.on_logits = on_logits;
  lc.record = 1;
  CU_ASSERT_FATAL(var_generate_ex(t32, v32, &sp, B, labels, NULL, NULL, 0, &hk, tok32, img32) == VAR_OK);
  /* teacher-forced through the same tokens: logit differences */
  lc.record = 0;
  hk.force_tokens = tok32;
  CU_ASSERT_FATAL(var_generate_ex(tw, vw, &sp, B, labels, NULL, NULL, 0, &hk, tokw, NULL) == VAR_OK);
  /* free-running greedy generation */
  CU_ASSERT_FATAL(var_generate_ex(tw, vw, &sp, B, labels, NULL, NULL, 0, NULL, tokw, imgw) == VAR_OK);
  for (i = 0; i < B * L; i++) same += tokw[i] == tok32[i];
  acc->gen_same = (double)same / (B * L);
  acc->gen_psnr = psnr(img32, imgw, img_n);
  acc->tf_maxdiff = acc->tf_rel = 0;
  for (si = 0; si < S; si++) {
    if (lc.maxdiff[si] > acc->tf_maxdiff) acc->tf_maxdiff = lc.maxdiff[si];
    if (lc.maxdiff[si] / lc.maxabs[si] > acc->tf_rel) acc->tf_rel = lc.maxdiff[si] / lc.maxabs[si];
  }
  acc->tf_argmax = (double)lc.argmax_same / (double)lc.argmax_total;
  /* in-paint: the right half of the float32 image regenerated */
  for (b = 0; b < B; b++)
    for (i = 0; i < h * h; i++) mask[(size_t)b * h * h + i] = (i % h) < h / 2 ? 1.0f : 0.0f;
  CU_ASSERT_FATAL(var_generate_ex(t32, v32, &sp, B, labels, tok32, mask, 0, NULL, inp32, NULL) == VAR_OK);
  CU_ASSERT_FATAL(var_generate_ex(tw, vw, &sp, B, labels, tok32, mask, 0, NULL, inpw, NULL) == VAR_OK);
  same = total = 0;
  for (b = 0; b < B; b++) {
    int32_t *flags = malloc(sizeof(int32_t) * L);
    var_edit_scale_flags(&t32->cfg.schedule, mask + (size_t)b * h * h, 0, flags);
    for (i = 0; i < L; i++)
      if (!flags[i]) {
        same += inpw[(size_t)b * L + i] == inp32[(size_t)b * L + i];
        total++;
      }
    free(flags);
  }
  acc->inp_same = total ? (double)same / total : 1.0;
  if (print) {
    printf("  %-5s max|dlogit| %.3g (%.2g of max|logit|, worst scale), teacher-forced argmax %.2f%%, greedy tokens "
           "%.2f%%, in-paint tokens %.2f%%, image PSNR %.1f dB\n",
           var_weights_name((var_weights)w), acc->tf_maxdiff, acc->tf_rel, 100 * acc->tf_argmax, 100 * acc->gen_same,
           100 * acc->inp_same, acc->gen_psnr);
    printf("        per scale max|dlogit|:");
    for (si = 0; si < S; si++) printf(" %.2g", lc.maxdiff[si]);
    printf("\n");
  }
  free(lc.ref);
  free(labels);
  free(tok32);
  free(tokw);
  free(inp32);
  free(inpw);
  free(img32);
  free(imgw);
  free(mask);
  var_model_free(m32);
  var_model_free(mw);
  var_ctx_free(c32);
  var_ctx_free(cw);
}

/* Bounds measured on these checkpoints (docs/performance.md), with margin: the
 * results are deterministic, so a regression shows as a crossing. */
typedef struct { double rel, argmax, gen, inp, psnr; } bound;

static void check_set(const char *name, const char *tf, const char *vae, int B, const bound *bounds,
                      const bound *vnni)
{
  int w;
  printf("\n  %s (%s):\n", name, tf);
  if (var_lp_vnni_available()) {   /* int8 x int8 ($VAR_INT8=vnni), read when the contexts are made */
    accuracy a;
    setenv("VAR_INT8", "vnni", 1);
    printf("  (int8 with VNNI, activations quantised per row:)\n");
    measure(tf, vae, VAR_WEIGHTS_INT8, B, &a, 1);
    unsetenv("VAR_INT8");
    CU_ASSERT(a.tf_rel <= vnni->rel);
    CU_ASSERT(a.tf_argmax >= vnni->argmax);
    CU_ASSERT(a.gen_same >= vnni->gen);
    CU_ASSERT(a.inp_same >= vnni->inp);
    CU_ASSERT(a.gen_psnr >= vnni->psnr);
  }
  for (w = VAR_WEIGHTS_BF16; w <= VAR_WEIGHTS_INT8; w++) {
    accuracy a;
    const bound *bd = &bounds[w - VAR_WEIGHTS_BF16];
    measure(tf, vae, w, B, &a, 1);
    CU_ASSERT(a.tf_rel <= bd->rel);
    CU_ASSERT(a.tf_argmax >= bd->argmax);
    CU_ASSERT(a.gen_same >= bd->gen);
    CU_ASSERT(a.inp_same >= bd->inp);
    CU_ASSERT(a.gen_psnr >= bd->psnr);
  }
}

/* Measured (AMD EPYC, AVX2; docs/performance.md), with margin.  A greedy
 * generation diverges for good after its first flipped token, so the token
 * shares and PSNRs of the random-weight sets are far below the logit numbers. */
static void test_accuracy_golden(void)
{
  /* relative logit error, teacher-forced argmax share, greedy tokens, in-paint tokens, PSNR dB */
  static const bound tiny[3] = { { 0.03, 0.97, 0.75, 0.90, 10 },     /* bf16: 0.005-0.009, 100%, 100%, 100%, 99 */
                                 { 0.005, 0.99, 0.95, 0.97, 30 },    /* f16: 0.0011, 100%, 100%, 100%, 99 */
                                 { 0.06, 0.95, 0.70, 0.90, 10 } };   /* int8: 0.015-0.019, 98.6%, 88.6%, 100%, 13.5 */
  static const bound small[3] = { { 0.02, 0.97, 0.75, 0.90, 10 },    /* bf16: 0.004, 99.4%, 88.7%, 98.2%, 15.5 */
                                  { 0.004, 0.99, 0.95, 0.97, 30 },   /* f16: 0.0006, 100%, 100%, 100%, 99 */
                                  { 0.06, 0.93, 0.75, 0.90, 10 } };  /* int8: 0.019, 97.6%, 94.7%, 97.5%, 15.1 */
  /* int8 with VNNI: 0.019-0.048, 97.3-100%, 88.6-100%, 98.4-100%, 13.2-99 (tiny sets); 0.036, 96.0%, 87.1%,
   * 91.7%, 12.4 (small) */
  static const bound tiny_vnni = { 0.08, 0.93, 0.70, 0.85, 10 }, small_vnni = { 0.07, 0.90, 0.70, 0.80, 10 };
  char tf[600], vae[600];
  find_pair(GOLDEN_DIR("tiny"), tf, vae, sizeof tf);
  check_set("tiny", tf, vae, 4, tiny, &tiny_vnni);
  find_pair(GOLDEN_DIR("tiny-saln"), tf, vae, sizeof tf);
  check_set("tiny-saln", tf, vae, 4, tiny, &tiny_vnni);
  find_pair(GOLDEN_DIR("small"), tf, vae, sizeof tf);
  check_set("small", tf, vae, 4, small, &small_vnni);
}

static void test_accuracy_demo(void)
{
  static const bound demo[3] = { { 0.015, 0.98, 0.85, 0.95, 30 },    /* bf16: 0.0029, 99.75%, 96.6%, 99.7%, 43.5 */
                                 { 0.001, 0.999, 0.99, 0.99, 60 },   /* f16: 0 (its weights are f16 values) */
                                 { 0.04, 0.96, 0.80, 0.80, 20 } };   /* int8: 0.0099, 99.0%, 92.6%, 92.1%, 27.1 */
  /* int8 with VNNI: 0.034, 93.95%, 66.2%, 65.6%, 16.3 */
  static const bound demo_vnni = { 0.06, 0.90, 0.50, 0.50, 12 };
  check_set("demo", DEMO_MODEL "/var_demo.pth", DEMO_MODEL "/vae_demo.pth", 6, demo, &demo_vnni);
}

/* Converting on load gives exactly what the converted file gives. */
static void test_convert_on_load(void)
{
  char tf[600], vae[600];
  static const char *const names[] = { "bf16", "f16", "int8" };
  int i;
  find_pair(GOLDEN_DIR("small"), tf, vae, sizeof tf);
  for (i = 0; i < 3; i++) {
    char file[64];
    var_ctx *a = new_ctx(2, VAR_WEIGHTS_BF16 + i), *b = new_ctx(2, 0);
    var_model *ma = NULL, *mb = NULL;
    int32_t ta[2 * 200], tb[2 * 200];
    int labels[2] = { 0, 1 };
    var_sample_params sp;
    snprintf(file, sizeof file, "small_%s.safetensors", names[i]);
    CU_ASSERT_FATAL(var_model_load(a, vae, tf, NULL, &ma) == VAR_OK);
    CU_ASSERT_FATAL(var_model_load(b, vae, tmp_path(file), NULL, &mb) == VAR_OK);
    CU_ASSERT_FATAL(var_model_transformer(ma)->cfg.n_tokens <= 200);
    CU_ASSERT(var_model_transformer(ma)->n_owned > 0);   /* converted on load */
    var_sample_params_default(&sp);
    sp.seed = 5;
    CU_ASSERT_FATAL(var_generate_tokens(var_model_transformer(ma), var_model_vqvae(ma), &sp, 2, labels, NULL, NULL,
                                        ta, NULL) == VAR_OK);
    CU_ASSERT_FATAL(var_generate_tokens(var_model_transformer(mb), var_model_vqvae(mb), &sp, 2, labels, NULL, NULL,
                                        tb, NULL) == VAR_OK);
    CU_ASSERT(!memcmp(ta, tb, sizeof(int32_t) * 2 * var_model_transformer(ma)->cfg.n_tokens));
    var_model_free(ma);
    var_model_free(mb);
    var_ctx_free(a);
    var_ctx_free(b);
  }
}

/* ---- cfg 0 ---------------------------------------------------------------------- */

typedef struct {
  float *logits[VAR_MAX_SCALES];
  int n[VAR_MAX_SCALES];
} logit_store;

static void store_logits(void *user, int si, const float *g, int batch, int T, int V)
{
  logit_store *s = user;
  s->n[si] = batch * T * V;
  s->logits[si] = malloc(sizeof(float) * (size_t)s->n[si]);
  memcpy(s->logits[si], g, sizeof(float) * (size_t)s->n[si]);
}

/* With cfg 0 generation runs only the conditional half (G = B instead of 2B).
 * What is checked: a session of the B conditional sequences alone and a guided
 * session of 2B ([cond; uncond]) fed the same inputs at every scale (teacher-
 * forced: the same code vectors after each scale) give, at every scale, logits
 * of the conditional rows equal bit for bit.  A guided run at cfg 0 uses
 * exactly those rows ((1+0)*cond - 0*uncond = cond), so skipping the half
 * changes nothing.  Also: a cfg-0 generation hands B rows per scale to the
 * logits hook.  For float32, bf16 and int8 weights. */
static void check_cfg0(int weights)
{
  char tf[600], vae[600];
  var_ctx *ctx = new_ctx(2, weights);
  var_model *m = NULL;
  var_transformer *t;
  var_tf_state *st2 = NULL, *st1 = NULL;
  var_dbuf *x2, *x1, *l2, *l1;
  int labels2[4] = { 0, 1, 0, 0 }, labels1[2] = { 0, 1 };
  float *h2, *h1;
  int si, T, C, V, nc;
  var_backend *be;
  find_pair(GOLDEN_DIR("small"), tf, vae, sizeof tf);
  CU_ASSERT_FATAL(var_model_load(ctx, vae, tf, NULL, &m) == VAR_OK);
  t = var_model_transformer(m);
  be = t->be;
  C = t->cfg.C;
  V = t->cfg.vocab_size;
  nc = t->cfg.num_classes;
  labels2[2] = labels2[3] = nc;
  CU_ASSERT_FATAL(var_tf_state_new(t, 4, labels2, NULL, NULL, &st2) == VAR_OK);
  CU_ASSERT_FATAL(var_tf_state_new(t, 2, labels1, NULL, NULL, &st1) == VAR_OK);
  T = t->cfg.schedule.pn[t->cfg.schedule.n_scales - 1];
  T *= T;
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)4 * T * C, &x2) == VAR_OK);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)2 * T * C, &x1) == VAR_OK);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)4 * T * V, &l2) == VAR_OK);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)2 * T * V, &l1) == VAR_OK);
  h2 = malloc(sizeof(float) * 4 * T * V);
  h1 = malloc(sizeof(float) * 2 * T * V);
  CU_ASSERT_FATAL(var_tf_embed_first(st2, var_dp(x2, 0)) == VAR_OK);
  CU_ASSERT_FATAL(var_tf_embed_first(st1, var_dp(x1, 0)) == VAR_OK);
  for (si = 0; si < t->cfg.schedule.n_scales; si++) {
    const int Ts = t->cfg.schedule.pn[si] * t->cfg.schedule.pn[si];
    CU_ASSERT_FATAL(var_tf_forward_scale(st2, si, var_dp(x2, 0), var_dp(l2, 0)) == VAR_OK);
    CU_ASSERT_FATAL(var_tf_forward_scale(st1, si, var_dp(x1, 0), var_dp(l1, 0)) == VAR_OK);
    CU_ASSERT_FATAL(be->ops->read(be, var_dp(l2, 0), h2, sizeof(float) * 4 * Ts * V) == VAR_OK);
    CU_ASSERT_FATAL(be->ops->read(be, var_dp(l1, 0), h1, sizeof(float) * 2 * Ts * V) == VAR_OK);
    CU_ASSERT(!memcmp(h1, h2, sizeof(float) * 2 * Ts * V));   /* the conditional rows, bit for bit */
    if (si + 1 < t->cfg.schedule.n_scales) {
      /* the next scale's input: the same (arbitrary, deterministic) code vectors for both runs */
      const int T2 = t->cfg.schedule.pn[si + 1] * t->cfg.schedule.pn[si + 1], Cv = t->cfg.z_channels;
      float *in = malloc(sizeof(float) * 2 * T2 * Cv);
      var_dbuf *bin;
      uint32_t s = (uint32_t)si + 3;
      int k;
      for (k = 0; k < 2 * T2 * Cv; k++) in[k] = frand(&s);
      CU_ASSERT_FATAL(var_be_alloc_f32(be, (size_t)2 * T2 * Cv, &bin) == VAR_OK);
      CU_ASSERT_FATAL(be->ops->write(be, var_dp(bin, 0), in, sizeof(float) * 2 * T2 * Cv) == VAR_OK);
      /* guided run: both halves get the same input (groups 4 from 2 sequences) */
      CU_ASSERT_FATAL(var_tf_embed_scale(st2, si + 1, 2, var_dp(bin, 0), 4, var_dp(x2, 0)) == VAR_OK);
      CU_ASSERT_FATAL(var_tf_embed_scale(st1, si + 1, 2, var_dp(bin, 0), 2, var_dp(x1, 0)) == VAR_OK);
      be->ops->release(be, bin);
      free(in);
    }
  }
  be->ops->release(be, x2);
  be->ops->release(be, x1);
  be->ops->release(be, l2);
  be->ops->release(be, l1);
  free(h2);
  free(h1);
  var_tf_state_free(st2);
  var_tf_state_free(st1);
  /* and a whole cfg-0 generation: its logits are the conditional ones (the hook sees B rows) */
  {
    var_sample_params sp;
    logit_store ls;
    var_gen_hooks hk;
    int32_t tok[2 * 400];
    int lab[2] = { 0, 1 };
    memset(&ls, 0, sizeof ls);
    var_gen_hooks_default(&hk);
    hk.user = &ls;
    hk.on_logits = store_logits;
    var_sample_params_default(&sp);
    sp.cfg = 0;
    CU_ASSERT_FATAL(t->cfg.n_tokens <= 400);
    CU_ASSERT(var_generate_ex(t, var_model_vqvae(m), &sp, 2, lab, NULL, NULL, 0, &hk, tok, NULL) == VAR_OK);
    for (si = 0; si < t->cfg.schedule.n_scales; si++) {
      CU_ASSERT_EQUAL(ls.n[si], 2 * t->cfg.schedule.pn[si] * t->cfg.schedule.pn[si] * V);
      free(ls.logits[si]);
    }
  }
  var_model_free(m);
  var_ctx_free(ctx);
}

static void test_cfg0(void)
{
  check_cfg0(VAR_WEIGHTS_AS_STORED);
  check_cfg0(VAR_WEIGHTS_BF16);
  check_cfg0(VAR_WEIGHTS_INT8);
}

static void test_cleanup(void)
{
  DIR *d = opendir(tmpdir);
  struct dirent *e;
  char p[800];
  if (!d) return;
  while ((e = readdir(d)))
    if (e->d_name[0] != '.') {
      snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
      remove(p);
    }
  closedir(d);
  CU_ASSERT(rmdir(tmpdir) == 0);
}

int main(void)
{
  static const test_case tests[] = {
    { "element conversions and int8 rows", test_conversions },
    { "bf16/f16/int8 linear vs a double reference: AVX2/portable, both kernels, 1/2 threads, rows alone", test_kernels },
    { "int8 x int8 VNNI kernel: within the activation rounding, threads and batch change nothing", test_kernel_vnni },
    { "var_checkpoint_convert: types, scales, zero-copy load, VQ-VAE, model folder, errors", test_convert_files },
    { "converted files that do not fit are refused, naming the tensor", test_refused_files },
    { "converting on load equals loading the converted file", test_convert_on_load },
    { "accuracy against float32: golden random-weight checkpoints", test_accuracy_golden },
    { "accuracy against float32: demo model", test_accuracy_demo },
    { "cfg 0 skips the unconditional half; the conditional logits are unchanged", test_cfg0 },
    { "temporary files removed", test_cleanup },
    { NULL, NULL },
  };
  return run_suite("lowp", tests);
}

/* test_transformer.c — the VAR transformer and generation: golden parity (tf,
 * filter, gen, edit stages on all three sets), the CPU ops against naive loops,
 * sampling, determinism across thread counts, cancellation and bad input. */
#include "test_support.h"

#include "cpu/cpu_ops.h"
#include "cpu/cpu_simd.h"
#include "model/generate.h"
#include "rng.h"
#include "st_write.h"
#include "stage_tf.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* ---- helpers --------------------------------------------------------------- */

static var_ctx *new_ctx(int threads)
{
  var_ctx_params p;
  var_ctx *ctx = NULL;
  var_ctx_params_default(&p);
  p.n_threads = threads;
  p.backend = "cpu";
  CU_ASSERT_FATAL(var_ctx_new(&p, &ctx) == VAR_OK);
  return ctx;
}

static float frand(uint32_t *state)
{
  *state = *state * 1664525u + 1013904223u;
  return ((*state >> 8) * (1.0f / 16777216.0f)) * 2.0f - 1.0f;
}

static var_dbuf *upload(var_backend *be, const void *host, size_t n)
{
  var_dbuf *b = NULL;
  CU_ASSERT_FATAL(var_be_alloc_f32(be, n ? n : 1, &b) == VAR_OK);
  if (host) CU_ASSERT_FATAL(be->ops->write(be, var_dp(b, 0), host, n * 4) == VAR_OK);
  return b;
}

static void download(var_backend *be, var_dbuf *b, void *host, size_t n)
{
  CU_ASSERT_FATAL(be->ops->read(be, var_dp(b, 0), host, n * 4) == VAR_OK);
}

static void set_simd(int on)
{
  if (on) unsetenv("VAR_SIMD");
  else setenv("VAR_SIMD", "0", 1);
}

/* ---- golden parity --------------------------------------------------------- */

static void test_golden_tf(void)
{
  assert_golden_stage(GOLDEN_DIR("tiny"), "tf", 7);
  assert_golden_stage(GOLDEN_DIR("tiny-saln"), "tf", 7);
  assert_golden_stage(GOLDEN_DIR("small"), "tf", 7);
}

static void test_golden_filter(void)
{
  assert_golden_stage(GOLDEN_DIR("tiny"), "filter", 2);
  assert_golden_stage(GOLDEN_DIR("tiny-saln"), "filter", 2);
  assert_golden_stage(GOLDEN_DIR("small"), "filter", 2);
}

static void test_golden_gen(void)
{
  assert_golden_stage(GOLDEN_DIR("tiny"), "gen", 12);
  assert_golden_stage(GOLDEN_DIR("tiny-saln"), "gen", 12);
  assert_golden_stage(GOLDEN_DIR("small"), "gen", 12);
}

static void test_golden_edit(void)
{
  assert_golden_stage(GOLDEN_DIR("tiny"), "edit", 14);
  assert_golden_stage(GOLDEN_DIR("tiny-saln"), "edit", 14);
  assert_golden_stage(GOLDEN_DIR("small"), "edit", 14);
}

/* ---- attention against a naive loop, with the cache growing over scales ------ */

/* Reference for one scale: qkv_hist[g][t][3C] holds every token so far. */
static void naive_attention(const float *hist, int G, int L, int n_prev, int T, int C, int H, const float *qb,
                            const float *vb, const float *sm, float *out)
{
  const int hd = C / H, nk = n_prev + T;
  int g, t, h, j, d;
  double *w = malloc(sizeof(double) * (size_t)nk);
  CU_ASSERT_FATAL(w != NULL);
  for (g = 0; g < G; g++)
    for (t = 0; t < T; t++)
      for (h = 0; h < H; h++) {
        const float *qr = hist + ((size_t)g * L + n_prev + t) * 3 * C + (size_t)h * hd;
        double q[256], qn = 0, mx = -INFINITY, sum = 0;
        double mul = exp(sm[h] < 4.6051702 ? sm[h] : 4.6051702);
        for (d = 0; d < hd; d++) {
          q[d] = (double)qr[d] + qb[h * hd + d];
          qn += q[d] * q[d];
        }
        qn = sqrt(qn);
        for (j = 0; j < nk; j++) {
          const float *kr = hist + ((size_t)g * L + j) * 3 * C + C + (size_t)h * hd;
          double kn = 0, dot = 0;
          for (d = 0; d < hd; d++) {
            kn += (double)kr[d] * kr[d];
            dot += q[d] * kr[d];
          }
          w[j] = dot / (qn * sqrt(kn)) * mul;
          if (w[j] > mx) mx = w[j];
        }
        for (j = 0; j < nk; j++) {
          w[j] = exp(w[j] - mx);
          sum += w[j];
        }
        for (d = 0; d < hd; d++) {
          double o = 0;
          for (j = 0; j < nk; j++)
            o += w[j] / sum * ((double)hist[((size_t)g * L + j) * 3 * C + 2 * C + (size_t)h * hd + d] + vb[h * hd + d]);
          out[((size_t)g * T + t) * C + (size_t)h * hd + d] = (float)o;
        }
      }
  free(w);
}

static void attention_case(int threads, int simd, int G, int C, int H, const int *scales, int n_scales)
{
  var_ctx *ctx;
  var_backend *be;
  int L = 0, s, pos = 0, i;
  uint32_t seed = 1234u + (uint32_t)C;
  float *hist, *qb, *vb, *sm, *ref, *got, *qkv;
  var_dbuf *bqb, *bvb, *bsm, *kc, *vc, *bq, *bo;
  double worst = 0;
  set_simd(simd);   /* read when the backend is created */
  ctx = new_ctx(threads);
  be = ctx->backend;
  for (s = 0; s < n_scales; s++) L += scales[s];
  hist = calloc((size_t)G * L * 3 * C, sizeof(float));
  qkv = calloc((size_t)G * L * 3 * C, sizeof(float));
  ref = calloc((size_t)G * L * C, sizeof(float));
  got = calloc((size_t)G * L * C, sizeof(float));
  qb = calloc((size_t)C, sizeof(float));
  vb = calloc((size_t)C, sizeof(float));
  sm = calloc((size_t)H, sizeof(float));
  CU_ASSERT_FATAL(hist && qkv && ref && got && qb && vb && sm);
  for (i = 0; i < G * L * 3 * C; i++) hist[i] = frand(&seed);
  for (i = 0; i < C; i++) {
    qb[i] = 0.3f * frand(&seed);
    vb[i] = 0.3f * frand(&seed);
  }
  for (i = 0; i < H; i++) sm[i] = 1.5f + 2.0f * (float)i;   /* the last heads hit the ln 100 clamp */
  bqb = upload(be, qb, (size_t)C);
  bvb = upload(be, vb, (size_t)C);
  bsm = upload(be, sm, (size_t)H);
  kc = upload(be, NULL, (size_t)G * L * C);
  vc = upload(be, NULL, (size_t)G * L * C);
  bq = upload(be, NULL, (size_t)G * L * 3 * C);
  bo = upload(be, NULL, (size_t)G * L * C);
  for (s = 0; s < n_scales; s++) {
    const int T = scales[s];
    int g, t;
    for (g = 0; g < G; g++)
      for (t = 0; t < T; t++)
        memcpy(qkv + ((size_t)g * T + t) * 3 * C, hist + ((size_t)g * L + pos + t) * 3 * C,
               sizeof(float) * 3 * (size_t)C);
    CU_ASSERT_FATAL(be->ops->write(be, var_dp(bq, 0), qkv, sizeof(float) * (size_t)G * T * 3 * C) == VAR_OK);
    CU_ASSERT_FATAL(be->ops->attention_kv(be, G, T, C, H, L, pos, var_dp(bq, 0), var_dp(bqb, 0), var_dp(bvb, 0),
                                          var_dp(bsm, 0), var_dp(kc, 0), var_dp(vc, 0), var_dp(bo, 0)) == VAR_OK);
    download(be, bo, got, (size_t)G * T * C);
    naive_attention(hist, G, L, pos, T, C, H, qb, vb, sm, ref);
    for (i = 0; i < G * T * C; i++)
      if (fabs((double)got[i] - ref[i]) > worst) worst = fabs((double)got[i] - ref[i]);
    pos += T;
  }
  CU_ASSERT(worst < 2e-5);
  if (!(worst < 2e-5)) printf("\n  attention G=%d C=%d H=%d simd=%d: max err %g\n", G, C, H, simd, worst);
  /* out of range: the cache is full */
  CU_ASSERT_EQUAL(be->ops->attention_kv(be, G, 1, C, H, L, L, var_dp(bq, 0), var_dp(bqb, 0), var_dp(bvb, 0),
                                        var_dp(bsm, 0), var_dp(kc, 0), var_dp(vc, 0), var_dp(bo, 0)),
                  VAR_ERR_INVALID_ARGUMENT);
  be->ops->release(be, bqb);
  be->ops->release(be, bvb);
  be->ops->release(be, bsm);
  be->ops->release(be, kc);
  be->ops->release(be, vc);
  be->ops->release(be, bq);
  be->ops->release(be, bo);
  free(hist);
  free(qkv);
  free(ref);
  free(got);
  free(qb);
  free(vb);
  free(sm);
  var_ctx_free(ctx);
  set_simd(1);
}

static void test_attention_kv(void)
{
  static const int scales[] = { 1, 4, 9, 16, 25, 70 };
  int simd;
  for (simd = 0; simd <= 1; simd++) {
    attention_case(2, simd, 2, 32, 2, scales, 6);    /* hd 16 */
    attention_case(1, simd, 3, 192, 3, scales, 6);   /* hd 64, three sequences */
    attention_case(2, simd, 2, 24, 3, scales, 4);    /* hd 8: portable kernels only */
  }
}

/* ---- embeddings, LayerNorm modulation, gated add ------------------------------ */

static void test_rows_ops(void)
{
  enum { G = 3, T = 5, C = 37, STRIDE = 3 * C };
  var_ctx *ctx = new_ctx(2);
  var_backend *be = ctx->backend;
  float x[G * T * C], mod[G * STRIDE], y[G * T * C], out[G * T * C], table[7 * C], rows[T * C];
  int32_t idx[G * T];
  uint32_t seed = 99;
  var_dbuf *bx, *bm, *by, *bo, *bt, *bi, *br;
  int g, t, k;
  double worst = 0;
  for (k = 0; k < G * T * C; k++) {
    x[k] = 3.0f * frand(&seed) + 0.5f;
    y[k] = frand(&seed);
  }
  for (k = 0; k < G * STRIDE; k++) mod[k] = frand(&seed);
  for (k = 0; k < 7 * C; k++) table[k] = frand(&seed);
  for (k = 0; k < T * C; k++) rows[k] = frand(&seed);
  for (k = 0; k < G * T; k++) idx[k] = (k * 5) % 7;
  bx = upload(be, x, sizeof x / 4);
  bm = upload(be, mod, sizeof mod / 4);
  by = upload(be, y, sizeof y / 4);
  bo = upload(be, NULL, sizeof out / 4);
  bt = upload(be, table, sizeof table / 4);
  bi = upload(be, idx, G * T);
  br = upload(be, rows, sizeof rows / 4);
  /* ln_modulate with scale at +C and shift at +2C of each group's row */
  CU_ASSERT_FATAL(be->ops->ln_modulate(be, G * T, C, T, 1e-6f, var_dp(bx, 0), var_dp(bm, C), var_dp(bm, 2 * C), STRIDE,
                                       var_dp(bo, 0)) == VAR_OK);
  download(be, bo, out, sizeof out / 4);
  for (g = 0; g < G; g++)
    for (t = 0; t < T; t++) {
      const float *xr = x + ((size_t)g * T + t) * C;
      double mean = 0, var = 0;
      for (k = 0; k < C; k++) mean += xr[k];
      mean /= C;
      for (k = 0; k < C; k++) var += (xr[k] - mean) * (xr[k] - mean);
      var /= C;
      for (k = 0; k < C; k++) {
        double want = (xr[k] - mean) / sqrt(var + 1e-6) * (1 + mod[g * STRIDE + C + k]) + mod[g * STRIDE + 2 * C + k];
        double e = fabs(want - out[((size_t)g * T + t) * C + k]);
        if (e > worst) worst = e;
      }
    }
  CU_ASSERT(worst < 1e-5);
  /* gated_add with gamma at +0 */
  CU_ASSERT_FATAL(be->ops->gated_add(be, G * T, C, T, var_dp(bx, 0), var_dp(bm, 0), STRIDE, var_dp(by, 0)) == VAR_OK);
  download(be, bx, out, sizeof out / 4);
  for (g = 0; g < G; g++)
    for (t = 0; t < T; t++)
      for (k = 0; k < C; k++) {
        const size_t at = ((size_t)g * T + t) * C + k;
        CU_ASSERT_EQUAL(out[at], x[at] + mod[g * STRIDE + k] * y[at]);
      }
  /* embed_rows then add_rows */
  CU_ASSERT_FATAL(be->ops->embed_rows(be, G * T, C, var_dp(bt, 0), var_dp(bi, 0), var_dp(bo, 0)) == VAR_OK);
  CU_ASSERT_FATAL(be->ops->add_rows(be, G, T, C, var_dp(bo, 0), var_dp(br, 0)) == VAR_OK);
  download(be, bo, out, sizeof out / 4);
  for (g = 0; g < G; g++)
    for (t = 0; t < T; t++)
      for (k = 0; k < C; k++)
        CU_ASSERT_EQUAL(out[((size_t)g * T + t) * C + k], table[idx[g * T + t] * C + k] + rows[t * C + k]);
  be->ops->release(be, bx);
  be->ops->release(be, bm);
  be->ops->release(be, by);
  be->ops->release(be, bo);
  be->ops->release(be, bt);
  be->ops->release(be, bi);
  be->ops->release(be, br);
  var_ctx_free(ctx);
}

/* ---- linear layers: the few-rows kernel and the SGEMM path ------------------ */

static void linear_once(int threads, int M, int N, int K, int act, const float *x, const float *w, const float *b,
                        float *y)
{
  var_ctx *ctx = new_ctx(threads);
  var_backend *be = ctx->backend;
  var_dbuf *bx = upload(be, x, (size_t)M * K), *bw = upload(be, w, (size_t)N * K), *bb = upload(be, b, (size_t)N);
  var_dbuf *by = upload(be, NULL, (size_t)M * N);
  CU_ASSERT_FATAL(be->ops->linear(be, M, N, K, var_dp(bx, 0), var_dp(bw, 0), var_dp(bb, 0), var_dp(by, 0), act) ==
                  VAR_OK);
  download(be, by, y, (size_t)M * N);
  be->ops->release(be, bx);
  be->ops->release(be, bw);
  be->ops->release(be, bb);
  be->ops->release(be, by);
  var_ctx_free(ctx);
}

static void test_linear(void)
{
  static const int Ms[] = { 1, 2, 5, 12, 13, 40 }, Ks[] = { 70, 256, 600 };
  unsigned mi, ki;
  int simd, own;
  for (own = 0; own <= 1; own++)
  for (simd = 0; simd <= 1; simd++)
    for (mi = 0; mi < sizeof Ms / sizeof Ms[0]; mi++)
      for (ki = 0; ki < sizeof Ks / sizeof Ks[0]; ki++) {
        const int M = Ms[mi], N = 37, K = Ks[ki], act = (mi + ki) % 2 ? VAR_ACT_GELU_TANH : VAR_ACT_NONE;
        float *x = malloc(sizeof(float) * (size_t)M * K), *w = malloc(sizeof(float) * (size_t)N * K);
        float *b = malloc(sizeof(float) * (size_t)N), *y1 = malloc(sizeof(float) * (size_t)M * N);
        float *y2 = malloc(sizeof(float) * (size_t)M * N);
        uint32_t seed = 77u + (uint32_t)M;
        double worst = 0;
        int m, n, k;
        CU_ASSERT_FATAL(x && w && b && y1 && y2);
        set_simd(simd);
        if (own) unsetenv("VAR_LINEAR");   /* with AVX2: our blocked kernel; else the fallback */
        else setenv("VAR_LINEAR", "blas", 1);   /* the streaming kernel and the SGEMM */
        for (k = 0; k < M * K; k++) x[k] = frand(&seed);
        for (k = 0; k < N * K; k++) w[k] = frand(&seed) * 0.2f;
        for (k = 0; k < N; k++) b[k] = frand(&seed);
        linear_once(1, M, N, K, act, x, w, b, y1);
        linear_once(2, M, N, K, act, x, w, b, y2);
        CU_ASSERT(memcmp(y1, y2, sizeof(float) * (size_t)M * N) == 0);   /* thread count changes nothing */
        for (m = 0; m < M; m++)
          for (n = 0; n < N; n++) {
            double a = b[n];
            for (k = 0; k < K; k++) a += (double)x[m * K + k] * w[n * K + k];
            if (act == VAR_ACT_GELU_TANH) a = 0.5 * a * (1 + tanh(0.7978845608028654 * (a + 0.044715 * a * a * a)));
            if (fabs(a - y1[m * N + n]) > worst) worst = fabs(a - y1[m * N + n]);
          }
        CU_ASSERT(worst < 2e-5);
        if (!(worst < 2e-5))
          printf("\n  linear M=%d K=%d act=%d simd=%d own=%d: max err %g\n", M, K, act, simd, own, worst);
        free(x);
        free(w);
        free(b);
        free(y1);
        free(y2);
      }
  set_simd(1);
  unsetenv("VAR_LINEAR");
}

/* ---- guidance, filtering, sampling ----------------------------------------- */

static void test_cfg_combine(void)
{
  enum { R = 3, V = 11 };
  var_ctx *ctx = new_ctx(1);
  var_backend *be = ctx->backend;
  float in[2 * R * V], out[R * V];
  uint32_t seed = 5;
  var_dbuf *bi, *bo;
  int k;
  for (k = 0; k < 2 * R * V; k++) in[k] = 10.0f * frand(&seed);
  bi = upload(be, in, 2 * R * V);
  bo = upload(be, NULL, R * V);
  CU_ASSERT_FATAL(be->ops->cfg_combine(be, R, V, 1.75f, var_dp(bi, 0), var_dp(bo, 0)) == VAR_OK);
  download(be, bo, out, R * V);
  for (k = 0; k < R * V; k++) CU_ASSERT(fabs(out[k] - (2.75 * in[k] - 1.75 * in[R * V + k])) < 1e-5);
  /* t = 0 (the first scale) is the conditional row exactly */
  CU_ASSERT_FATAL(be->ops->cfg_combine(be, R, V, 0.0f, var_dp(bi, 0), var_dp(bo, 0)) == VAR_OK);
  download(be, bo, out, R * V);
  for (k = 0; k < R * V; k++) CU_ASSERT_EQUAL(out[k], in[k]);
  be->ops->release(be, bi);
  be->ops->release(be, bo);
  var_ctx_free(ctx);
}

/* Filters one row with the sample op and returns the kept mask as a bit string. */
static void filter_row(var_backend *be, const float *row, int V, int k, float p, char *kept, int32_t *drawn)
{
  float buf[64];
  uint64_t seed = 7;
  var_dbuf *b = upload(be, row, (size_t)V), *bi = upload(be, NULL, 1);
  int v;
  CU_ASSERT_FATAL(be->ops->sample(be, 1, V, var_dp(b, 0), k, p, 1, &seed, 0, var_dp(bi, 0)) == VAR_OK);
  download(be, b, buf, (size_t)V);
  download(be, bi, drawn, 1);
  for (v = 0; v < V; v++) {
    kept[v] = buf[v] == -INFINITY ? '0' : '1';
    if (buf[v] != -INFINITY) CU_ASSERT_EQUAL(buf[v], row[v]);   /* kept values are untouched */
  }
  kept[V] = '\0';
  be->ops->release(be, b);
  be->ops->release(be, bi);
}

static void test_filter(void)
{
  var_ctx *ctx = new_ctx(1);
  var_backend *be = ctx->backend;
  const float ties[6] = { 1.0f, 2.0f, 2.0f, 3.0f, 0.0f, 2.0f };
  float probs[5];
  char kept[16];
  int32_t d;
  /* top-k: everything >= the k-th largest survives, so ties can keep more than k */
  filter_row(be, ties, 6, 2, 0.0f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "011101");
  filter_row(be, ties, 6, 1, 0.0f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "000100");
  CU_ASSERT_EQUAL(d, 3);
  filter_row(be, ties, 6, 6, 0.0f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "111111");
  filter_row(be, ties, 6, 0, 0.0f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "111111");
  /* top-p on probabilities 0.05 0.10 0.15 0.30 0.40 (cumulative from the smallest:
   * 0.05 0.15 0.30 0.60 1.0): top_p 0.75 removes cum <= 0.25, i.e. the two smallest */
  probs[0] = logf(0.15f);
  probs[1] = logf(0.40f);
  probs[2] = logf(0.05f);
  probs[3] = logf(0.30f);
  probs[4] = logf(0.10f);
  filter_row(be, probs, 5, 0, 0.75f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "11010");
  /* 0.35: cum <= 0.65 goes: only the largest stays */
  filter_row(be, probs, 5, 0, 0.35f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "01000");
  CU_ASSERT_EQUAL(d, 1);
  /* a tiny top_p never removes the largest entry */
  filter_row(be, probs, 5, 0, 1e-6f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "01000");
  /* top_p 1: nothing goes */
  filter_row(be, probs, 5, 0, 1.0f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "11111");
  /* top-k then top-p: after k = 3 the survivors 0.15 0.40 0.30 renormalise to
   * 0.1765 0.4706 0.3529; top_p 0.5 removes cum <= 0.5: 0.1765 goes, 0.5294 stays */
  filter_row(be, probs, 5, 3, 0.5f, kept, &d);
  CU_ASSERT_STRING_EQUAL(kept, "01010");
  /* a non-finite row is an error, not a crash */
  {
    float bad[3] = { 0.0f, NAN, 1.0f };
    uint64_t seed = 1;
    var_dbuf *b = upload(be, bad, 3), *bi = upload(be, NULL, 1);
    CU_ASSERT_EQUAL(be->ops->sample(be, 1, 3, var_dp(b, 0), 0, 0.0f, 1, &seed, 0, var_dp(bi, 0)), VAR_ERR_BACKEND);
    be->ops->release(be, b);
    be->ops->release(be, bi);
  }
  var_ctx_free(ctx);
}

/* Draw frequencies match softmax; -inf is never drawn; the draw depends only on
 * (seed, scale, row), not on the thread count. */
static void test_sampling_distribution(void)
{
  enum { N = 40000, V = 5 };
  var_ctx *c1 = new_ctx(1), *c2 = new_ctx(2);
  const float row[V] = { 0.0f, logf(2.0f), -INFINITY, logf(3.0f), logf(4.0f) };
  float *rows = malloc(sizeof(float) * N * V);
  int32_t *i1 = malloc(sizeof(int32_t) * N), *i2 = malloc(sizeof(int32_t) * N);
  uint64_t seeds[2] = { 42, 43 };
  int counts[V] = { 0 }, k, same_seed_diff = 0, other_seed_diff = 0;
  var_dbuf *b, *bi;
  CU_ASSERT_FATAL(rows && i1 && i2);
  for (k = 0; k < N; k++) memcpy(rows + (size_t)k * V, row, sizeof row);
  b = upload(c1->backend, rows, N * V);
  bi = upload(c1->backend, NULL, N);
  CU_ASSERT_FATAL(c1->backend->ops->sample(c1->backend, N, V, var_dp(b, 0), 0, 0.0f, N / 2, seeds, 3, var_dp(bi, 0)) ==
                  VAR_OK);
  download(c1->backend, bi, i1, N);
  c1->backend->ops->release(c1->backend, b);
  c1->backend->ops->release(c1->backend, bi);
  b = upload(c2->backend, rows, N * V);
  bi = upload(c2->backend, NULL, N);
  CU_ASSERT_FATAL(c2->backend->ops->sample(c2->backend, N, V, var_dp(b, 0), 0, 0.0f, N / 2, seeds, 3, var_dp(bi, 0)) ==
                  VAR_OK);
  download(c2->backend, bi, i2, N);
  c2->backend->ops->release(c2->backend, b);
  c2->backend->ops->release(c2->backend, bi);
  for (k = 0; k < N; k++) {
    CU_ASSERT_FATAL(i1[k] >= 0 && i1[k] < V);
    counts[i1[k]]++;
    same_seed_diff += i1[k] != i2[k];
    if (k < N / 2) other_seed_diff += i1[k] != i1[k + N / 2];
  }
  CU_ASSERT_EQUAL(same_seed_diff, 0);
  CU_ASSERT(other_seed_diff > N / 4);   /* seed 42 and 43 streams are unrelated */
  CU_ASSERT_EQUAL(counts[2], 0);
  /* p = 1/10, 2/10, 0, 3/10, 4/10; 5 sigma of a binomial with N = 40000 is < 0.013 */
  CU_ASSERT(fabs(counts[0] / (double)N - 0.1) < 0.013);
  CU_ASSERT(fabs(counts[1] / (double)N - 0.2) < 0.013);
  CU_ASSERT(fabs(counts[3] / (double)N - 0.3) < 0.013);
  CU_ASSERT(fabs(counts[4] / (double)N - 0.4) < 0.013);
  free(rows);
  free(i1);
  free(i2);
  var_ctx_free(c1);
  var_ctx_free(c2);
}

/* more_smooth: a convex mixture of code vectors; one finite logit gives that code. */
static void test_gumbel_mix(void)
{
  enum { V = 6, CV = 3 };
  var_ctx *ctx = new_ctx(2);
  var_backend *be = ctx->backend;
  float rows[2 * V], out[2 * CV], cb[V * CV];
  uint64_t seed = 9;
  var_dbuf *b, *bc, *bo;
  int v, k;
  for (v = 0; v < V; v++)
    for (k = 0; k < CV; k++) cb[v * CV + k] = (float)(v + 1) * (k == 0 ? 1.0f : k == 1 ? -2.0f : 0.5f);
  for (v = 0; v < V; v++) {
    rows[v] = v == 4 ? 1.0f : -INFINITY;
    rows[V + v] = 0.1f * (float)v;
  }
  b = upload(be, rows, 2 * V);
  bc = upload(be, cb, V * CV);
  bo = upload(be, NULL, 2 * CV);
  CU_ASSERT_FATAL(
      be->ops->gumbel_mix(be, 2, V, CV, var_dp(b, 0), 0.5f, 0.2f, 2, &seed, 1, var_dp(bc, 0), var_dp(bo, 0)) == VAR_OK);
  download(be, bo, out, 2 * CV);
  for (k = 0; k < CV; k++) CU_ASSERT(fabs(out[k] - cb[4 * CV + k]) < 1e-6);
  /* the second row mixes: its first channel lies strictly between the extremes 1 and 6 */
  CU_ASSERT(out[CV] > 1.0f && out[CV] < 6.0f);
  CU_ASSERT(fabs(out[CV + 1] + 2.0f * out[CV]) < 1e-4);   /* channel 1 = -2 x channel 0 for every code */
  be->ops->release(be, b);
  be->ops->release(be, bc);
  be->ops->release(be, bo);
  var_ctx_free(ctx);
}

/* ---- edit flags ---------------------------------------------------------------- */

static void test_edit_flags(void)
{
  /* docs/algorithm.md §2.1: In 4 -> Out 3, output 1 mixes columns 1 and 2 with weight
   * 0.50000006 on column 2, so a 0|1 split between them counts as kept. */
  var_schedule s;
  float m[16];
  int32_t flags[1 + 4 + 9 + 16];
  int y, x;
  s.n_scales = 4;
  s.pn[0] = 1; s.pn[1] = 2; s.pn[2] = 3; s.pn[3] = 4;
  for (y = 0; y < 4; y++)
    for (x = 0; x < 4; x++) m[y * 4 + x] = x >= 2 ? 1.0f : 0.0f;
  var_edit_scale_flags(&s, m, 0, flags);
  CU_ASSERT_EQUAL(flags[0], 1);                  /* 1x1: always kept */
  CU_ASSERT_EQUAL(flags[1], 0);                  /* 2x2: exact halves */
  CU_ASSERT_EQUAL(flags[2], 1);
  for (y = 0; y < 3; y++) {
    CU_ASSERT_EQUAL(flags[5 + y * 3 + 0], 0);
    CU_ASSERT_EQUAL(flags[5 + y * 3 + 1], 1);    /* 0.50000006 > 0.5 */
    CU_ASSERT_EQUAL(flags[5 + y * 3 + 2], 1);
  }
  for (y = 0; y < 16; y++) CU_ASSERT_EQUAL(flags[14 + y], m[y] > 0.5f);
  /* strength < 1: the first keep_scales scales are kept whole, the others as before */
  {
    int32_t kept[1 + 4 + 9 + 16];
    var_edit_scale_flags(&s, m, 3, kept);
    for (y = 0; y < 14; y++) CU_ASSERT_EQUAL(kept[y], 1);
    for (y = 14; y < 30; y++) CU_ASSERT_EQUAL(kept[y], flags[y]);
  }
}

/* ---- whole-model behaviour --------------------------------------------------------- */

/* Teacher-forced logits of the golden tiny set with 1 and 2 threads are bitwise equal. */
static void teacher_logits(int threads, float *logits)
{
  golden_set g;
  char err[1024], path[1200];
  var_ctx *ctx = new_ctx(threads);
  var_transformer *tf;
  var_tf_state *st;
  var_backend *be = ctx->backend;
  npy_array x;
  var_dbuf *b;
  int labels[2] = { 3, 10 }, si;
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("small"), &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_transformer_load(ctx, golden_checkpoint(&g, "var", path, sizeof path), NULL, &tf) == VAR_OK);
  CU_ASSERT_FATAL(golden_load(&g, "tf_x_wo_first_l", &x, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_tf_state_new(tf, 1, labels, NULL, NULL, &st) == VAR_OK);
  CU_ASSERT_FATAL(var_be_alloc_f32(be, 64 * 192 + 64 * 512 + 64 * 32, &b) == VAR_OK);
  for (si = 0; si < g.schedule.n_scales; si++) {
    const int T = g.schedule.pn[si] * g.schedule.pn[si];
    if (si == 0) {
      CU_ASSERT_FATAL(var_tf_embed_first(st, var_dp(b, 0)) == VAR_OK);
    } else {
      CU_ASSERT_FATAL(be->ops->write(be, var_dp(b, 64 * 704), x.f + (size_t)(tf->begin[si] - 1) * 32,
                                     (size_t)T * 32 * 4) == VAR_OK);
      CU_ASSERT_FATAL(var_tf_embed_scale(st, si, 1, var_dp(b, 64 * 704), 1, var_dp(b, 0)) == VAR_OK);
    }
    CU_ASSERT_FATAL(var_tf_forward_scale(st, si, var_dp(b, 0), var_dp(b, 64 * 192)) == VAR_OK);
    CU_ASSERT_FATAL(be->ops->read(be, var_dp(b, 64 * 192), logits + (size_t)tf->begin[si] * 512, (size_t)T * 512 * 4) ==
                    VAR_OK);
  }
  /* scales out of order are refused */
  CU_ASSERT_EQUAL(var_tf_forward_scale(st, 2, var_dp(b, 0), var_dp(b, 64 * 192)), VAR_ERR_INVALID_ARGUMENT);
  be->ops->release(be, b);
  var_tf_state_free(st);
  var_transformer_free(tf);
  npy_free(&x);
  golden_close(&g);
  var_ctx_free(ctx);
}

static void test_threads_teacher_forced(void)
{
  float *a = malloc(sizeof(float) * 155 * 512), *b = malloc(sizeof(float) * 155 * 512);
  CU_ASSERT_FATAL(a && b);
  teacher_logits(1, a);
  teacher_logits(2, b);
  CU_ASSERT(memcmp(a, b, sizeof(float) * 155 * 512) == 0);
  free(a);
  free(b);
}

static void fill_zero(void *user, int index, int64_t offset, float *out, int64_t count)
{
  (void)user;
  (void)index;
  (void)offset;
  memset(out, 0, sizeof(float) * (size_t)count);
}

static void test_load_errors(void)
{
  golden_set g;
  char err[1024], path[1200], tmp[] = "/tmp/var-test-tf-XXXXXX";
  var_ctx *ctx = new_ctx(1);
  var_transformer *tf = (var_transformer *)1;
  var_transformer_info info;
  var_checkpoint *ck;
  st_tensor *ts;
  int i, fd;
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("tiny"), &g, err, sizeof err) == 0);
  CU_ASSERT_EQUAL(var_transformer_load(ctx, VAR_TEST_DATA "/nope.pth", NULL, &tf), VAR_ERR_IO);
  CU_ASSERT_PTR_NULL(tf);
  /* a VQ-VAE checkpoint is not a transformer */
  CU_ASSERT_EQUAL(var_transformer_load(ctx, golden_checkpoint(&g, "vae", path, sizeof path), NULL, &tf),
                  VAR_ERR_NOT_FOUND);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "class_emb") != NULL);
  /* the real one loads, and reports its shape */
  CU_ASSERT_FATAL(var_transformer_load(ctx, golden_checkpoint(&g, "var", path, sizeof path), NULL, &tf) == VAR_OK);
  CU_ASSERT_EQUAL(var_transformer_get_info(tf, &info), VAR_OK);
  CU_ASSERT_EQUAL(info.depth, 2);
  CU_ASSERT_EQUAL(info.width, 32);
  CU_ASSERT_EQUAL(info.heads, 2);
  CU_ASSERT_EQUAL(info.vocab_size, 64);
  CU_ASSERT_EQUAL(info.n_tokens, 30);
  var_transformer_free(tf);
  /* a copy whose fc2 of block 1 is transposed is refused with the tensor's name */
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, path, &ck) == VAR_OK);
  ts = calloc((size_t)ck->n, sizeof *ts);
  CU_ASSERT_FATAL(ts != NULL);
  for (i = 0; i < ck->n; i++) {
    int d;
    snprintf(ts[i].name, sizeof ts[i].name, "%s", ck->tensors[i].name);
    ts[i].ndim = ck->tensors[i].ndim;
    for (d = 0; d < ts[i].ndim; d++) ts[i].shape[d] = ck->tensors[i].shape[d];
    ts[i].data = ck->tensors[i].data;
    if (ck->tensors[i].dtype != VAR_DTYPE_F32) {   /* lvl_1L (int64): not needed, written as zeros */
      ts[i].data = NULL;
    }
    if (!strcmp(ts[i].name, "blocks.1.ffn.fc2.weight")) {
      int64_t t = ts[i].shape[0];
      ts[i].shape[0] = ts[i].shape[1];
      ts[i].shape[1] = t;
    }
  }
  fd = mkstemp(tmp);
  CU_ASSERT_FATAL(fd >= 0);
  close(fd);
  CU_ASSERT_FATAL(st_write(tmp, ts, ck->n, fill_zero, NULL) == 0);
  var_checkpoint_free(ck);
  free(ts);
  tf = (var_transformer *)1;
  CU_ASSERT_EQUAL(var_transformer_load(ctx, tmp, NULL, &tf), VAR_ERR_SHAPE);
  CU_ASSERT_PTR_NULL(tf);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "blocks.1.ffn.fc2.weight") != NULL);
  /* an explicit schedule that does not fit the checkpoint */
  {
    var_schedule s;
    CU_ASSERT_FATAL(var_schedule_parse("1,2,3,5", &s) == VAR_OK);
    CU_ASSERT_EQUAL(var_transformer_load(ctx, path, &s, &tf), VAR_ERR_SHAPE);
  }
  golden_close(&g);
  var_ctx_free(ctx);
  remove(tmp);
}

static void test_bad_input(void)
{
  /* Validation happens before the VQ-VAE is used, so a VQ-VAE header with the
   * right (or wrong) sizes is enough here. */
  golden_set g;
  char err[1024], path[1200];
  var_ctx *ctx = new_ctx(1);
  var_transformer *tf;
  var_vqvae vae;
  var_sample_params p;
  int32_t tokens[2 * 30], keep[30];
  float mask[16];
  int labels[2] = { 3, 11 }, ok_labels[2] = { 3, -1 }, i;
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("tiny"), &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_transformer_load(ctx, golden_checkpoint(&g, "var", path, sizeof path), NULL, &tf) == VAR_OK);
  memset(&vae, 0, sizeof vae);
  vae.ctx = ctx;
  vae.cfg.vocab_size = 64;
  vae.cfg.z_channels = 8;
  var_sample_params_default(&p);
  for (i = 0; i < 2 * 30; i++) tokens[i] = -7;
  for (i = 0; i < 30; i++) keep[i] = i;
  for (i = 0; i < 16; i++) mask[i] = 1.0f;
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 2, labels, NULL, NULL, tokens, NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "label 11") != NULL);
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 0, ok_labels, NULL, NULL, tokens, NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_generate_tokens(NULL, &vae, &p, 1, ok_labels, NULL, NULL, tokens, NULL),
                  VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 1, ok_labels, keep, NULL, tokens, NULL), VAR_ERR_INVALID_ARGUMENT);
  keep[7] = 64;
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 1, ok_labels, keep, mask, tokens, NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "vocabulary") != NULL);
  keep[7] = 7;
  mask[3] = NAN;
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 1, ok_labels, keep, mask, tokens, NULL), VAR_ERR_INVALID_ARGUMENT);
  p.top_p = 1.5f;
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 1, ok_labels, NULL, NULL, tokens, NULL), VAR_ERR_INVALID_ARGUMENT);
  var_sample_params_default(&p);
  p.cfg = NAN;
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 1, ok_labels, NULL, NULL, tokens, NULL), VAR_ERR_INVALID_ARGUMENT);
  var_sample_params_default(&p);
  vae.cfg.vocab_size = 4096;
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 1, ok_labels, NULL, NULL, tokens, NULL), VAR_ERR_SHAPE);
  vae.cfg.vocab_size = 64;
  vae.cfg.z_channels = 32;
  CU_ASSERT_EQUAL(var_generate_tokens(tf, &vae, &p, 1, ok_labels, NULL, NULL, tokens, NULL), VAR_ERR_SHAPE);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "channels") != NULL);
  for (i = 0; i < 2 * 30; i++) CU_ASSERT_EQUAL(tokens[i], -7);   /* outputs untouched */
  var_transformer_free(tf);
  golden_close(&g);
  var_ctx_free(ctx);
}

/* ---- whole generations (need the VQ-VAE) ------------------------------------ */

typedef struct {
  var_ctx *ctx;
  var_transformer *tf;
  var_vqvae *vae;
  int L, img_n, h;
} small_models;

static void open_small(int threads, small_models *m)
{
  golden_set g;
  char err[1024], path[1200];
  memset(m, 0, sizeof *m);
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("small"), &g, err, sizeof err) == 0);
  m->ctx = new_ctx(threads);
  CU_ASSERT_FATAL(var_transformer_load(m->ctx, golden_checkpoint(&g, "var", path, sizeof path), NULL, &m->tf) ==
                  VAR_OK);
  CU_ASSERT_FATAL(var_vqvae_load(m->ctx, golden_checkpoint(&g, "vae", path, sizeof path), &m->vae) == VAR_OK);
  m->L = g.L;
  m->h = g.latent;
  m->img_n = 3 * g.image_size * g.image_size;
  golden_close(&g);
}

static void close_small(small_models *m)
{
  var_vqvae_free(m->vae);
  var_transformer_free(m->tf);
  var_ctx_free(m->ctx);
}

/* Same seed, same image: for 1 and 2 threads, and for an image made alone or in a batch. */
static void test_generate_determinism(void)
{
  small_models m1, m2;
  var_sample_params p;
  int labels[2] = { 4, -1 }, alone = -1, smooth;
  int32_t *t1, *t2, *t3;
  float *i1, *i2, *i3;
  open_small(1, &m1);
  open_small(2, &m2);
  t1 = malloc(sizeof(int32_t) * 2 * (size_t)m1.L);
  t2 = malloc(sizeof(int32_t) * 2 * (size_t)m1.L);
  t3 = malloc(sizeof(int32_t) * (size_t)m1.L);
  i1 = malloc(sizeof(float) * 2 * (size_t)m1.img_n);
  i2 = malloc(sizeof(float) * 2 * (size_t)m1.img_n);
  i3 = malloc(sizeof(float) * (size_t)m1.img_n);
  CU_ASSERT_FATAL(t1 && t2 && t3 && i1 && i2 && i3);
  for (smooth = 0; smooth <= 1; smooth++) {
    int k, varied = 0;
    var_sample_params_default(&p);
    p.seed = 11;
    p.cfg = 3.0f;
    p.top_k = 40;
    p.top_p = 0.9f;
    p.more_smooth = smooth;
    CU_ASSERT_FATAL(var_generate_tokens(m1.tf, m1.vae, &p, 2, labels, NULL, NULL, t1, i1) == VAR_OK);
    CU_ASSERT_FATAL(var_generate_tokens(m2.tf, m2.vae, &p, 2, labels, NULL, NULL, t2, i2) == VAR_OK);
    CU_ASSERT(memcmp(t1, t2, sizeof(int32_t) * 2 * (size_t)m1.L) == 0);
    CU_ASSERT(memcmp(i1, i2, sizeof(float) * 2 * (size_t)m1.img_n) == 0);
    /* item 1 of the batch (seed 12, unconditional) made on its own */
    p.seed = 12;
    CU_ASSERT_FATAL(var_generate_tokens(m2.tf, m2.vae, &p, 1, &alone, NULL, NULL, t3, i3) == VAR_OK);
    CU_ASSERT(memcmp(t3, t2 + m1.L, sizeof(int32_t) * (size_t)m1.L) == 0);
    if (!smooth || var_cpu_simd_detect() >= VAR_SIMD_AVX2) {
      CU_ASSERT(memcmp(i3, i2 + m1.img_n, sizeof(float) * (size_t)m1.img_n) == 0);
    } else {
      /* the fallback's SGEMM blocks rows by batch size: soft code vectors agree to rounding */
      for (k = 0; k < m1.img_n; k++) CU_ASSERT_FATAL(fabs(i3[k] - i2[m1.img_n + k]) < 1e-4);
    }
    for (k = 0; k < m1.img_n; k++) CU_ASSERT_FATAL(i1[k] >= 0.0f && i1[k] <= 1.0f);
    /* sampling (not greedy) draws different tokens for different seeds */
    for (k = 0; k < m1.L; k++) varied += t1[k] != t1[m1.L + k];
    CU_ASSERT(varied > m1.L / 4);
  }
  free(t1);
  free(t2);
  free(t3);
  free(i1);
  free(i2);
  free(i3);
  close_small(&m1);
  close_small(&m2);
}

typedef struct {
  int calls, cancel_at;
  double last;
  int monotonic, saw_decode;
} progress_log;

static int on_progress(void *user, const var_progress *p)
{
  progress_log *l = user;
  l->calls++;
  if (p->fraction < l->last || p->fraction > 1.0 + 1e-9) l->monotonic = 0;
  l->last = p->fraction;
  if (p->stage && !strcmp(p->stage, "decode")) l->saw_decode = 1;
  return l->cancel_at && l->calls >= l->cancel_at;
}

static void test_cancel(void)
{
  small_models m;
  var_sample_params p;
  progress_log log;
  int label = 4, i;
  int32_t *tokens;
  float *img;
  open_small(2, &m);
  tokens = malloc(sizeof(int32_t) * (size_t)m.L);
  img = malloc(sizeof(float) * (size_t)m.img_n);
  CU_ASSERT_FATAL(tokens && img);
  var_sample_params_default(&p);
  /* a full run reports monotonically up to 1, per block and per scale, then the decoder */
  memset(&log, 0, sizeof log);
  log.monotonic = 1;
  var_ctx_set_progress(m.ctx, on_progress, &log);
  CU_ASSERT_FATAL(var_generate_tokens(m.tf, m.vae, &p, 1, &label, NULL, NULL, tokens, img) == VAR_OK);
  CU_ASSERT(log.monotonic);
  CU_ASSERT(fabs(log.last - 1.0) < 1e-9);
  CU_ASSERT(log.saw_decode);
  CU_ASSERT(log.calls > m.tf->cfg.schedule.n_scales * m.tf->cfg.depth);
  /* tokens only: no decoder stage, and still up to 1 */
  memset(&log, 0, sizeof log);
  log.monotonic = 1;
  CU_ASSERT_FATAL(var_generate_tokens(m.tf, m.vae, &p, 1, &label, NULL, NULL, tokens, NULL) == VAR_OK);
  CU_ASSERT(log.monotonic);
  CU_ASSERT(fabs(log.last - 1.0) < 1e-9);
  CU_ASSERT(!log.saw_decode);
  /* cancelled inside the loop: VAR_ERR_CANCELLED and outputs untouched */
  for (i = 0; i < m.L; i++) tokens[i] = -3;
  for (i = 0; i < m.img_n; i++) img[i] = -5.0f;
  memset(&log, 0, sizeof log);
  log.cancel_at = 9;
  CU_ASSERT_EQUAL(var_generate_tokens(m.tf, m.vae, &p, 1, &label, NULL, NULL, tokens, img), VAR_ERR_CANCELLED);
  CU_ASSERT_EQUAL(log.calls, 9);
  for (i = 0; i < m.L; i++) CU_ASSERT_EQUAL_FATAL(tokens[i], -3);
  for (i = 0; i < m.img_n; i++) CU_ASSERT_FATAL(img[i] == -5.0f);
  /* var_ctx_cancel before the call is cleared by the call (a new long call starts) */
  var_ctx_set_progress(m.ctx, NULL, NULL);
  var_ctx_cancel(m.ctx);
  CU_ASSERT_EQUAL(var_generate_tokens(m.tf, m.vae, &p, 1, &label, NULL, NULL, tokens, NULL), VAR_OK);
  free(tokens);
  free(img);
  close_small(&m);
}

/* Keeping everything reproduces the kept tokens; keeping nothing still keeps the 1x1 scale. */
static void test_edit_extremes(void)
{
  small_models m;
  var_sample_params p;
  int label = -1, i, L;
  int32_t *keep, *tokens;
  float *mask;
  open_small(2, &m);
  L = m.L;
  keep = malloc(sizeof(int32_t) * (size_t)L);
  tokens = malloc(sizeof(int32_t) * (size_t)L);
  mask = malloc(sizeof(float) * (size_t)m.h * m.h);
  CU_ASSERT_FATAL(keep && tokens && mask);
  for (i = 0; i < L; i++) keep[i] = (i * 37) % m.tf->cfg.vocab_size;
  var_sample_params_default(&p);
  p.seed = 3;
  for (i = 0; i < m.h * m.h; i++) mask[i] = 1.0f;
  CU_ASSERT_FATAL(var_generate_tokens(m.tf, m.vae, &p, 1, &label, keep, mask, tokens, NULL) == VAR_OK);
  CU_ASSERT(memcmp(tokens, keep, sizeof(int32_t) * (size_t)L) == 0);
  for (i = 0; i < m.h * m.h; i++) mask[i] = 0.0f;
  CU_ASSERT_FATAL(var_generate_tokens(m.tf, m.vae, &p, 1, &label, keep, mask, tokens, NULL) == VAR_OK);
  CU_ASSERT_EQUAL(tokens[0], keep[0]);
  free(keep);
  free(tokens);
  free(mask);
  close_small(&m);
}

int main(void)
{
  static const test_case tests[] = {
    { "golden tf: teacher-forced transformer (3 sets)", test_golden_tf },
    { "golden filter: top-k/top-p (3 sets)", test_golden_filter },
    { "golden gen: forced and free-running generation (3 sets)", test_golden_gen },
    { "golden edit: masked in/out-painting (3 sets)", test_golden_edit },
    { "attention_kv vs naive loop, heads, cache growth, both kernels", test_attention_kv },
    { "ln_modulate, gated_add, embed_rows, add_rows vs naive loops", test_rows_ops },
    { "linear: few-rows kernel and SGEMM path, bias, GELU, threads", test_linear },
    { "cfg_combine", test_cfg_combine },
    { "top-k/top-p filtering incl. ties", test_filter },
    { "sampling: distribution, seeds, threads", test_sampling_distribution },
    { "gumbel_mix (more_smooth)", test_gumbel_mix },
    { "edit flags: bilinear CPU rule and > 0.5", test_edit_flags },
    { "teacher-forced logits: 1 vs 2 threads bitwise", test_threads_teacher_forced },
    { "transformer load errors and info", test_load_errors },
    { "generation: bad input is refused, outputs untouched", test_bad_input },
    { "generation: same seed = same image (threads, batching, more_smooth)", test_generate_determinism },
    { "generation: progress and cancel", test_cancel },
    { "edits: keep all / keep nothing", test_edit_extremes },
    { NULL, NULL },
  };
  return run_suite("transformer", tests);
}

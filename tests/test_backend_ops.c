/* test_backend_ops.c — every backend op on random inputs, CPU backend against
 * OpenCL backend, on several shapes including odd ones.  Floats must agree
 * within a tolerance scaled to the data; indices exactly (vq_argmin excepts
 * near-ties, counted and bounded).  Also the memory ops, bounds checking, and
 * backend selection errors.  Needs an OpenCL device (PoCL in CI): without one
 * every test here fails, with the backend's message. */
#include "test_support.h"

#include "backend.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static var_ctx *cpu_ctx, *cl_ctx;
static var_backend *CPU, *CL;

/* ---- helpers --------------------------------------------------------------- */

static uint32_t rng_state = 12345u;

static float frand(void)   /* uniform in [-1, 1) */
{
  rng_state = rng_state * 1664525u + 1013904223u;
  return ((rng_state >> 8) * (1.0f / 16777216.0f)) * 2.0f - 1.0f;
}

static float *rand_vec(size_t n, float scale)
{
  float *v = malloc(sizeof(float) * (n ? n : 1));
  size_t i;
  CU_ASSERT_FATAL(v != NULL);
  for (i = 0; i < n; i++) v[i] = scale * frand();
  return v;
}

/* The same data on both backends. */
typedef struct {
  var_dbuf *c, *o;
  size_t n;
} pair;

static pair mk(const void *host, size_t n)
{
  pair p;
  p.n = n;
  CU_ASSERT_FATAL(var_be_alloc_f32(CPU, n ? n : 1, &p.c) == VAR_OK);
  CU_ASSERT_FATAL(var_be_alloc_f32(CL, n ? n : 1, &p.o) == VAR_OK);
  if (host && n) {
    CU_ASSERT_FATAL(CPU->ops->write(CPU, var_dp(p.c, 0), host, n * 4) == VAR_OK);
    CU_ASSERT_FATAL(CL->ops->write(CL, var_dp(p.o, 0), host, n * 4) == VAR_OK);
  } else if (n) {
    /* NaN garbage on both sides: an op must not read an output it overwrites */
    CU_ASSERT_FATAL(CPU->ops->fill(CPU, var_dp(p.c, 0), NAN, n) == VAR_OK);
    CU_ASSERT_FATAL(CL->ops->fill(CL, var_dp(p.o, 0), NAN, n) == VAR_OK);
  }
  return p;
}

static pair mk_rand(size_t n, float scale)
{
  float *v = rand_vec(n, scale);
  pair p = mk(v, n);
  free(v);
  return p;
}

static void drop(pair p)
{
  CPU->ops->release(CPU, p.c);
  CL->ops->release(CL, p.o);
}

static var_dptr C_(pair p) { return var_dp(p.c, 0); }
static var_dptr O_(pair p) { return var_dp(p.o, 0); }

/* Reads n elements of both and compares: |a - b| <= atol + rtol * |a|.
 * Returns the number of mismatches (printed). */
static int compare(pair p, size_t off, size_t n, double atol, double rtol, const char *what)
{
  float *a = malloc(sizeof(float) * (n ? n : 1)), *b = malloc(sizeof(float) * (n ? n : 1));
  size_t i, bad = 0, worst = 0;
  double werr = -1;
  var_status sa, sb;
  CU_ASSERT_FATAL(a && b);
  sa = CPU->ops->read(CPU, var_dp(p.c, off), a, n * 4);
  sb = CL->ops->read(CL, var_dp(p.o, off), b, n * 4);
  CU_ASSERT_EQUAL(sa, VAR_OK);
  CU_ASSERT_EQUAL(sb, VAR_OK);
  if (sb != VAR_OK) printf("\n  %s: read failed: %s\n", what, var_ctx_last_error(cl_ctx));
  for (i = 0; i < n; i++) {
    double e = fabs((double)a[i] - (double)b[i]);
    int ok = e <= atol + rtol * fabs((double)a[i]) || (a[i] == b[i]);   /* equal infinities */
    if (isnan(a[i]) || isnan(b[i])) ok = 0;
    if (!ok) bad++;
    if (!ok || e > werr) {
      if (e > werr || !ok) worst = i;
      if (e > werr) werr = e;
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  if (bad)
    printf("\n  %s: %zu of %zu differ (atol %g rtol %g); e.g. [%zu] cpu %.9g opencl %.9g\n", what, bad, n, atol, rtol,
           worst, (double)a[worst], (double)b[worst]);
  free(a);
  free(b);
  return (int)bad;
}

static int compare_i32(pair p, size_t n, const char *what)
{
  int32_t *a = malloc(sizeof(int32_t) * (n ? n : 1)), *b = malloc(sizeof(int32_t) * (n ? n : 1));
  size_t i, bad = 0, first = 0;
  CU_ASSERT_FATAL(a && b);
  CU_ASSERT_EQUAL(CPU->ops->read(CPU, var_dp(p.c, 0), a, n * 4), VAR_OK);
  CU_ASSERT_EQUAL(CL->ops->read(CL, var_dp(p.o, 0), b, n * 4), VAR_OK);
  for (i = 0; i < n; i++)
    if (a[i] != b[i] && !bad++) first = i;
  CU_ASSERT_EQUAL(bad, 0);
  if (bad) printf("\n  %s: %zu of %zu indices differ; first [%zu] cpu %d opencl %d\n", what, bad, n, first, a[first], b[first]);
  free(a);
  free(b);
  return (int)bad;
}

/* Runs an op on both backends: both must succeed. */
#define BOTH(call_c, call_o)                                                                  \
  do {                                                                                        \
    var_status s_c = (call_c), s_o = (call_o);                                                \
    CU_ASSERT_EQUAL(s_c, VAR_OK);                                                             \
    CU_ASSERT_EQUAL(s_o, VAR_OK);                                                             \
    if (s_c != VAR_OK) printf("\n  cpu: %s\n", var_ctx_last_error(cpu_ctx));                  \
    if (s_o != VAR_OK) printf("\n  opencl: %s\n", var_ctx_last_error(cl_ctx));                \
  } while (0)

/* ---- memory ------------------------------------------------------------------ */

static void test_memory_ops(void)
{
  float host[100], back[100];
  var_dbuf *b;
  size_t cur0, peak0, cur, peak;
  int i;
  for (i = 0; i < 100; i++) host[i] = (float)i;
  /* the first overlapping copy grows a scratch buffer: do it before counting */
  CU_ASSERT_FATAL(var_be_alloc_f32(CL, 100, &b) == VAR_OK);
  CU_ASSERT_EQUAL(CL->ops->copy(CL, var_dp(b, 10), var_dp(b, 0), 50), VAR_OK);
  CL->ops->release(CL, b);
  CL->ops->memory(CL, &cur0, &peak0);
  CU_ASSERT_FATAL(var_be_alloc_f32(CL, 100, &b) == VAR_OK);
  CL->ops->memory(CL, &cur, &peak);
  CU_ASSERT(cur >= cur0 + 400);
  CU_ASSERT(peak >= cur);
  CU_ASSERT_EQUAL(CL->ops->write(CL, var_dp(b, 0), host, sizeof host), VAR_OK);
  /* overlapping copies in both directions behave like memmove */
  CU_ASSERT_EQUAL(CL->ops->copy(CL, var_dp(b, 10), var_dp(b, 0), 50), VAR_OK);
  CU_ASSERT_EQUAL(CL->ops->read(CL, var_dp(b, 0), back, sizeof back), VAR_OK);
  for (i = 0; i < 100; i++) CU_ASSERT_EQUAL(back[i], i < 10 ? (float)i : i < 60 ? (float)(i - 10) : (float)i);
  CU_ASSERT_EQUAL(CL->ops->write(CL, var_dp(b, 0), host, sizeof host), VAR_OK);
  CU_ASSERT_EQUAL(CL->ops->copy(CL, var_dp(b, 0), var_dp(b, 5), 50), VAR_OK);
  CU_ASSERT_EQUAL(CL->ops->read(CL, var_dp(b, 0), back, sizeof back), VAR_OK);
  for (i = 0; i < 100; i++) CU_ASSERT_EQUAL(back[i], i < 50 ? (float)(i + 5) : (float)i);
  CU_ASSERT_EQUAL(CL->ops->fill(CL, var_dp(b, 3), -2.5f, 7), VAR_OK);
  CU_ASSERT_EQUAL(CL->ops->read(CL, var_dp(b, 0), back, 40), VAR_OK);
  for (i = 3; i < 10; i++) CU_ASSERT_EQUAL(back[i], -2.5f);
  CU_ASSERT_EQUAL(back[2], 7.0f);
  CU_ASSERT_EQUAL(CL->ops->finish(CL), VAR_OK);
  /* out of bounds: an error, never a device fault */
  CU_ASSERT_EQUAL(CL->ops->write(CL, var_dp(b, 90), host, 40 * 4), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(CL->ops->read(CL, var_dp(b, 101), back, 4), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(CL->ops->copy(CL, var_dp(b, 60), var_dp(b, 0), 41), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(CL->ops->fill(CL, var_dp(b, 99), 0.0f, 2), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(CL->ops->axpby(CL, 101, 1.0f, var_dp(b, 0), 1.0f, var_dp(b, 0), var_dp(b, 0)),
                  VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(CL->ops->gemm(CL, 0, 0, 10, 10, 2, 1.0f, var_dp(b, 0), 2, var_dp(b, 0), 10, 0.0f, var_dp(b, 1), 10),
                  VAR_ERR_INVALID_ARGUMENT);
  /* weights: uploaded once, counted */
  {
    var_dbuf *w;
    CU_ASSERT_FATAL(CL->ops->wrap_const(CL, host, sizeof host, &w) == VAR_OK);
    CU_ASSERT_EQUAL(CL->ops->read(CL, var_dp(w, 0), back, sizeof back), VAR_OK);
    CU_ASSERT(memcmp(back, host, sizeof host) == 0);
    CL->ops->memory(CL, &cur, &peak);
    CU_ASSERT(cur >= cur0 + 800);
    CL->ops->release(CL, w);
  }
  CL->ops->release(CL, b);
  CL->ops->memory(CL, &cur, &peak);
  CU_ASSERT_EQUAL(cur, cur0);
  CU_ASSERT(peak >= cur0 + 800);
}

/* ---- dense algebra ------------------------------------------------------------ */

static void gemm_case(int ta, int tb, int M, int N, int K, float alpha, float beta, int pad)
{
  const int lda = (ta ? M : K) + pad, ldb = (tb ? K : N) + pad, ldc = N + pad;
  const size_t na = (size_t)(ta ? K : M) * lda, nb = (size_t)(tb ? N : K) * ldb, nc = (size_t)M * ldc;
  pair A = mk_rand(na + 3, 1.0f), B = mk_rand(nb + 5, 1.0f), Cm;
  char what[96];
  if (beta == 0.0f) {
    Cm = mk(NULL, nc + 2);   /* NaN: beta 0 must overwrite, as BLAS does */
  } else {
    Cm = mk_rand(nc + 2, 1.0f);
  }
  BOTH(CPU->ops->gemm(CPU, ta, tb, M, N, K, alpha, var_dp(A.c, 3), lda, var_dp(B.c, 5), ldb, beta, var_dp(Cm.c, 2), ldc),
       CL->ops->gemm(CL, ta, tb, M, N, K, alpha, var_dp(A.o, 3), lda, var_dp(B.o, 5), ldb, beta, var_dp(Cm.o, 2), ldc));
  snprintf(what, sizeof what, "gemm %c%c %dx%dx%d a%g b%g", ta ? 'T' : 'N', tb ? 'T' : 'N', M, N, K, (double)alpha,
           (double)beta);
  if (beta == 0.0f) {
    /* the padding columns keep their NaN: compare row by row */
    int m;
    for (m = 0; m < M; m++) compare(Cm, 2 + (size_t)m * ldc, (size_t)N, 1e-5 * sqrt((double)K + 1), 1e-5, what);
  } else {
    compare(Cm, 0, nc + 2, 1e-5 * sqrt((double)K + 1), 1e-5, what);
  }
  drop(A);
  drop(B);
  drop(Cm);
}

static void test_gemm(void)
{
  static const int shapes[][3] = { { 1, 1, 1 }, { 7, 13, 5 }, { 33, 17, 65 }, { 64, 128, 96 }, { 3, 200, 31 } };
  unsigned i;
  int ta, tb;
  for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (ta = 0; ta <= 1; ta++)
      for (tb = 0; tb <= 1; tb++) gemm_case(ta, tb, shapes[i][0], shapes[i][1], shapes[i][2], 1.0f, 0.0f, 0);
  gemm_case(0, 1, 9, 11, 7, -2.0f, 1.0f, 3);
  gemm_case(1, 0, 10, 6, 12, 0.5f, 0.25f, 1);
  gemm_case(0, 0, 5, 4, 0, 1.0f, 0.5f, 0);   /* K = 0: C = beta C */
}

static void test_linear(void)
{
  static const int shapes[][3] = { { 1, 5, 7 }, { 3, 64, 96 }, { 37, 33, 16 }, { 2, 300, 64 } };
  unsigned i;
  int act, with_bias;
  for (i = 0; i < sizeof shapes / sizeof shapes[0]; i++)
    for (act = 0; act <= 2; act++)
      for (with_bias = 0; with_bias <= 1; with_bias++) {
        const int M = shapes[i][0], N = shapes[i][1], K = shapes[i][2];
        pair X = mk_rand((size_t)M * K, 2.0f), W = mk_rand((size_t)N * K, 0.5f), b = mk_rand((size_t)N, 1.0f);
        pair Y = mk(NULL, (size_t)M * N);
        char what[64];
        BOTH(CPU->ops->linear(CPU, M, N, K, C_(X), C_(W), with_bias ? C_(b) : var_dp_none(), C_(Y), act),
             CL->ops->linear(CL, M, N, K, O_(X), O_(W), with_bias ? O_(b) : var_dp_none(), O_(Y), act));
        snprintf(what, sizeof what, "linear %dx%dx%d act %d bias %d", M, N, K, act, with_bias);
        compare(Y, 0, Y.n, 2e-5 * sqrt((double)K), 1e-5, what);
        drop(X);
        drop(W);
        drop(b);
        drop(Y);
      }
}

static void test_eltwise(void)
{
  static const size_t sizes[] = { 1, 63, 1000, 65537 };
  unsigned i;
  int act;
  for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
    const size_t n = sizes[i];
    pair x = mk_rand(n, 8.0f), y = mk_rand(n, 3.0f), o = mk(NULL, n);
    BOTH(CPU->ops->axpby(CPU, n, 0.75f, C_(x), -1.5f, C_(y), C_(o)),
         CL->ops->axpby(CL, n, 0.75f, O_(x), -1.5f, O_(y), O_(o)));
    compare(o, 0, n, 0, 0, "axpby");
    /* out aliasing x */
    BOTH(CPU->ops->axpby(CPU, n, 1.0f, C_(x), 2.0f, C_(y), C_(x)), CL->ops->axpby(CL, n, 1.0f, O_(x), 2.0f, O_(y), O_(x)));
    compare(x, 0, n, 0, 0, "axpby in place");
    for (act = 0; act <= 2; act++) {
      BOTH(CPU->ops->activation(CPU, n, act, C_(x), C_(o)), CL->ops->activation(CL, n, act, O_(x), O_(o)));
      compare(o, 0, n, 1e-6, 2e-6, "activation");
    }
    BOTH(CPU->ops->activation(CPU, n, VAR_ACT_GELU_TANH, C_(y), C_(y)),
         CL->ops->activation(CL, n, VAR_ACT_GELU_TANH, O_(y), O_(y)));
    compare(y, 0, n, 1e-6, 2e-6, "activation in place");
    drop(x);
    drop(y);
    drop(o);
  }
}

/* ---- VQ-VAE ops ------------------------------------------------------------------- */

static void conv_case(int batch, int c_in, int h, int w, int c_out, int k, int stride, int pt, int pl, int pb, int pr,
                      int with_res)
{
  var_conv_desc d;
  pair in, wt, bias, res, out;
  char what[96];
  CU_ASSERT_FATAL(var_conv_desc_init(&d, batch, c_in, h, w, c_out, k, stride, pt, pl, pb, pr) == VAR_OK);
  in = mk_rand((size_t)batch * c_in * h * w, 1.0f);
  wt = mk_rand((size_t)c_out * c_in * k * k, 0.3f);
  bias = mk_rand((size_t)c_out, 0.5f);
  res = mk_rand((size_t)batch * c_out * d.h_out * d.w_out, 1.0f);
  out = mk(NULL, (size_t)batch * c_out * d.h_out * d.w_out);
  BOTH(CPU->ops->conv2d(CPU, &d, C_(in), C_(wt), C_(bias), with_res ? C_(res) : var_dp_none(), C_(out)),
       CL->ops->conv2d(CL, &d, O_(in), O_(wt), O_(bias), with_res ? O_(res) : var_dp_none(), O_(out)));
  snprintf(what, sizeof what, "conv2d B%d %d->%d %dx%d k%d s%d pad %d%d%d%d res %d", batch, c_in, c_out, h, w, k, stride,
           pt, pl, pb, pr, with_res);
  compare(out, 0, out.n, 2e-5 * sqrt((double)c_in * k * k), 1e-5, what);
  drop(in);
  drop(wt);
  drop(bias);
  drop(res);
  drop(out);
}

static void test_conv2d(void)
{
  conv_case(1, 3, 16, 16, 8, 3, 1, 1, 1, 1, 1, 0);      /* conv_in */
  conv_case(2, 5, 7, 9, 6, 3, 1, 1, 1, 1, 1, 1);        /* odd sizes, residual */
  conv_case(2, 8, 10, 10, 8, 3, 2, 0, 0, 1, 1, 0);      /* VAE downsample: pad right/bottom only */
  conv_case(1, 7, 9, 5, 4, 3, 2, 0, 0, 1, 1, 1);
  conv_case(2, 16, 6, 6, 24, 1, 1, 0, 0, 0, 0, 1);      /* 1x1 nin_shortcut / proj_out */
  conv_case(1, 32, 32, 32, 64, 3, 1, 1, 1, 1, 1, 1);    /* several GEMM columns */
}

static void test_group_norm(void)
{
  static const int cases[][4] = { { 1, 32, 64, 32 }, { 2, 64, 49, 32 }, { 2, 12, 5, 4 }, { 1, 6, 1, 1 } };
  unsigned i;
  int silu;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++)
    for (silu = 0; silu <= 1; silu++) {
      const int B = cases[i][0], C = cases[i][1], hw = cases[i][2], G = cases[i][3];
      pair x = mk_rand((size_t)B * C * hw, 3.0f), g = mk_rand((size_t)C, 1.0f), b = mk_rand((size_t)C, 1.0f);
      pair o = mk(NULL, x.n);
      char what[64];
      BOTH(CPU->ops->group_norm(CPU, B, C, hw, G, 1e-6f, C_(x), C_(g), C_(b), C_(o), silu),
           CL->ops->group_norm(CL, B, C, hw, G, 1e-6f, O_(x), O_(g), O_(b), O_(o), silu));
      snprintf(what, sizeof what, "group_norm B%d C%d hw%d G%d silu %d", B, C, hw, G, silu);
      compare(o, 0, o.n, 2e-6, 2e-6, what);
      drop(x);
      drop(g);
      drop(b);
      drop(o);
    }
}

static void test_upsample(void)
{
  pair in = mk_rand(3 * 5 * 7, 1.0f), out = mk(NULL, 3 * 10 * 14);
  BOTH(CPU->ops->upsample_nearest2x(CPU, 3, 5, 7, C_(in), C_(out)),
       CL->ops->upsample_nearest2x(CL, 3, 5, 7, O_(in), O_(out)));
  compare(out, 0, out.n, 0, 0, "upsample_nearest2x");
  drop(in);
  drop(out);
}

static void test_spatial_attention(void)
{
  static const int cases[][3] = { { 1, 8, 1 }, { 2, 8, 7 }, { 1, 32, 64 }, { 2, 64, 256 } };
  unsigned i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int B = cases[i][0], C = cases[i][1], n = cases[i][2];
    pair qkv = mk_rand((size_t)B * 3 * C * n, 2.0f), out = mk(NULL, (size_t)B * C * n);
    char what[64];
    BOTH(CPU->ops->spatial_attention(CPU, B, C, n, C_(qkv), C_(out)),
         CL->ops->spatial_attention(CL, B, C, n, O_(qkv), O_(out)));
    snprintf(what, sizeof what, "spatial_attention B%d C%d n%d", B, C, n);
    compare(out, 0, out.n, 2e-5, 2e-5, what);
    drop(qkv);
    drop(out);
  }
}

static void test_resample(void)
{
  static const int cases[][4] = { { 16, 16, 13, 13 }, { 16, 16, 3, 3 }, { 16, 16, 1, 1 }, { 5, 7, 7, 3 },
                                  { 1, 1, 4, 4 },     { 3, 3, 16, 16 }, { 10, 6, 16, 16 }, { 32, 32, 24, 24 } };
  unsigned i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int hi = cases[i][0], wi = cases[i][1], ho = cases[i][2], wo = cases[i][3], P = 3;
    pair in = mk_rand((size_t)P * hi * wi, 2.0f), out = mk(NULL, (size_t)P * ho * wo);
    char what[64];
    snprintf(what, sizeof what, "resize_area %dx%d->%dx%d", hi, wi, ho, wo);
    BOTH(CPU->ops->resize_area(CPU, P, hi, wi, ho, wo, C_(in), C_(out)),
         CL->ops->resize_area(CL, P, hi, wi, ho, wo, O_(in), O_(out)));
    compare(out, 0, out.n, 1e-6, 1e-6, what);
    snprintf(what, sizeof what, "resize_bicubic %dx%d->%dx%d", hi, wi, ho, wo);
    BOTH(CPU->ops->resize_bicubic(CPU, P, hi, wi, ho, wo, C_(in), C_(out)),
         CL->ops->resize_bicubic(CL, P, hi, wi, ho, wo, O_(in), O_(out)));
    compare(out, 0, out.n, 1e-6, 1e-6, what);
    drop(in);
    drop(out);
  }
}

/* Index agreement except where the CPU's own margin says the two best codes
 * are within float rounding of each other. */
static void vq_case(int B, int cv, int n, int V)
{
  float *z = rand_vec((size_t)B * cv * n, 1.0f), *cb = rand_vec((size_t)V * cv, 1.0f), *esq = malloc(sizeof(float) * V);
  int32_t *ia = malloc(sizeof(int32_t) * B * n), *ib = malloc(sizeof(int32_t) * B * n);
  float *ma = malloc(sizeof(float) * B * n);
  pair pz, pcb, pe, pi, pm;
  int v, c, i, bad = 0, ties = 0;
  char what[64];
  CU_ASSERT_FATAL(esq && ia && ib && ma);
  for (v = 0; v < V; v++) {
    float s = 0.0f;
    for (c = 0; c < cv; c++) s += cb[v * cv + c] * cb[v * cv + c];
    esq[v] = s;
  }
  pz = mk(z, (size_t)B * cv * n);
  pcb = mk(cb, (size_t)V * cv);
  pe = mk(esq, (size_t)V);
  pi = mk(NULL, (size_t)B * n);
  pm = mk(NULL, (size_t)B * n);
  BOTH(CPU->ops->vq_argmin(CPU, B, cv, n, V, C_(pz), C_(pcb), C_(pe), C_(pi), C_(pm)),
       CL->ops->vq_argmin(CL, B, cv, n, V, O_(pz), O_(pcb), O_(pe), O_(pi), O_(pm)));
  CU_ASSERT_EQUAL(CPU->ops->read(CPU, C_(pi), ia, sizeof(int32_t) * B * n), VAR_OK);
  CU_ASSERT_EQUAL(CL->ops->read(CL, O_(pi), ib, sizeof(int32_t) * B * n), VAR_OK);
  CU_ASSERT_EQUAL(CPU->ops->read(CPU, C_(pm), ma, sizeof(float) * B * n), VAR_OK);
  for (i = 0; i < B * n; i++)
    if (ia[i] != ib[i]) {
      if (ma[i] < 1e-4f) ties++;
      else bad++;
    }
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT(ties <= 1 + B * n / 1000);
  snprintf(what, sizeof what, "vq_argmin margin B%d Cv%d n%d V%d", B, cv, n, V);
  if (bad || ties) printf("\n  %s: %d differ, %d near-ties\n", what, bad, ties);
  compare(pm, 0, pm.n, 2e-4, 1e-4, what);
  /* gathers from the indices */
  {
    pair out = mk(NULL, (size_t)B * cv * n), flags, a2, tok;
    int32_t *fl = malloc(sizeof(int32_t) * B * n);
    CU_ASSERT_FATAL(fl != NULL);
    BOTH(CPU->ops->codebook_gather_cm(CPU, B, cv, n, C_(pcb), C_(pi), C_(out)),
         CL->ops->codebook_gather_cm(CL, B, cv, n, O_(pcb), O_(pi), O_(out)));
    compare(out, 0, out.n, 0, 0, "codebook_gather_cm");
    for (i = 0; i < B * n; i++) fl[i] = (i * 7) % 3 == 0;
    flags = mk(fl, (size_t)B * n);
    a2 = mk_rand((size_t)B * cv * n, 1.0f);
    BOTH(CPU->ops->select_cm(CPU, B, cv, n, C_(flags), C_(a2), C_(pz), C_(out)),
         CL->ops->select_cm(CL, B, cv, n, O_(flags), O_(a2), O_(pz), O_(out)));
    compare(out, 0, out.n, 0, 0, "select_cm");
    tok = mk(NULL, (size_t)B * cv * n);
    BOTH(CPU->ops->cm_to_tokens(CPU, B, cv, n, C_(out), C_(tok)), CL->ops->cm_to_tokens(CL, B, cv, n, O_(out), O_(tok)));
    compare(tok, 0, tok.n, 0, 0, "cm_to_tokens");
    drop(out);
    drop(flags);
    drop(a2);
    drop(tok);
    free(fl);
  }
  drop(pz);
  drop(pcb);
  drop(pe);
  drop(pi);
  drop(pm);
  free(z);
  free(cb);
  free(esq);
  free(ia);
  free(ib);
  free(ma);
}

static void test_vq(void)
{
  vq_case(1, 8, 1, 64);
  vq_case(2, 8, 49, 64);
  vq_case(1, 32, 256, 4096);
  vq_case(2, 5, 13, 37);
}

/* ---- transformer ops ------------------------------------------------------------ */

static void test_rows(void)
{
  static const int cases[][4] = { { 1, 1, 64, 1 }, { 3, 5, 37, 5 }, { 2, 16, 256, 16 }, { 4, 9, 1000, 3 } };
  unsigned i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int G = cases[i][0], T = cases[i][1], C = cases[i][2], rpg = cases[i][3];
    const int rows = G * T, groups = (rows + rpg - 1) / rpg, stride = 6 * C;
    pair x = mk_rand((size_t)rows * C, 4.0f), mod = mk_rand((size_t)groups * stride, 0.5f), y = mk_rand((size_t)rows * C, 1.0f);
    pair out = mk(NULL, (size_t)rows * C), tab = mk_rand((size_t)11 * C, 1.0f), addr = mk_rand((size_t)T * C, 1.0f);
    int32_t *idx = malloc(sizeof(int32_t) * rows);
    pair pidx;
    int r;
    CU_ASSERT_FATAL(idx != NULL);
    for (r = 0; r < rows; r++) idx[r] = (r * 5 + 3) % 11;
    pidx = mk(idx, (size_t)rows);
    BOTH(CPU->ops->ln_modulate(CPU, rows, C, rpg, 1e-6f, C_(x), var_dp(mod.c, 2 * C), var_dp(mod.c, 4 * C), stride,
                               C_(out)),
         CL->ops->ln_modulate(CL, rows, C, rpg, 1e-6f, O_(x), var_dp(mod.o, 2 * C), var_dp(mod.o, 4 * C), stride,
                              O_(out)));
    compare(out, 0, out.n, 2e-6, 2e-6, "ln_modulate");
    BOTH(CPU->ops->gated_add(CPU, rows, C, rpg, C_(x), C_(mod), stride, C_(y)),
         CL->ops->gated_add(CL, rows, C, rpg, O_(x), O_(mod), stride, O_(y)));
    compare(x, 0, x.n, 0, 0, "gated_add");
    BOTH(CPU->ops->embed_rows(CPU, rows, C, C_(tab), C_(pidx), C_(out)),
         CL->ops->embed_rows(CL, rows, C, O_(tab), O_(pidx), O_(out)));
    compare(out, 0, out.n, 0, 0, "embed_rows");
    BOTH(CPU->ops->add_rows(CPU, G, T, C, C_(out), C_(addr)), CL->ops->add_rows(CL, G, T, C, O_(out), O_(addr)));
    compare(out, 0, out.n, 0, 0, "add_rows");
    drop(x);
    drop(mod);
    drop(y);
    drop(out);
    drop(tab);
    drop(addr);
    drop(pidx);
    free(idx);
  }
}

/* A sequence of scales on both backends: outputs and both caches agree. */
static void attention_case(int G, int C, int H, const int *scales, int n_scales)
{
  int L = 0, s, pos = 0;
  pair qb, vb, sm, kc, vc, qkv, out;
  float smh[8];
  char what[80];
  for (s = 0; s < n_scales; s++) L += scales[s];
  qb = mk_rand((size_t)C, 0.3f);
  vb = mk_rand((size_t)C, 0.3f);
  for (s = 0; s < H; s++) smh[s] = 1.5f + 2.0f * (float)s;   /* the last heads hit the ln 100 clamp */
  sm = mk(smh, (size_t)H);
  kc = mk(NULL, (size_t)G * H * L * (C / H));
  vc = mk(NULL, (size_t)G * H * L * (C / H));
  for (s = 0; s < n_scales; s++) {
    const int T = scales[s];
    qkv = mk_rand((size_t)G * T * 3 * C, 1.0f);
    out = mk(NULL, (size_t)G * T * C);
    BOTH(CPU->ops->attention_kv(CPU, G, T, C, H, L, pos, C_(qkv), C_(qb), C_(vb), C_(sm), C_(kc), C_(vc), C_(out)),
         CL->ops->attention_kv(CL, G, T, C, H, L, pos, O_(qkv), O_(qb), O_(vb), O_(sm), O_(kc), O_(vc), O_(out)));
    snprintf(what, sizeof what, "attention_kv G%d C%d H%d scale %d (T %d after %d)", G, C, H, s, T, pos);
    compare(out, 0, out.n, 1e-5, 2e-5, what);
    pos += T;
    drop(qkv);
    drop(out);
  }
  /* the cached positions agree (the rest is never written) */
  {
    int g, h;
    const int hd = C / H;
    for (g = 0; g < G; g++)
      for (h = 0; h < H; h++) {
        compare(kc, ((size_t)g * H + h) * L * hd, (size_t)L * hd, 1e-6, 1e-6, "attention_kv k cache");
        compare(vc, ((size_t)g * H + h) * L * hd, (size_t)L * hd, 0, 0, "attention_kv v cache");
      }
  }
  drop(qb);
  drop(vb);
  drop(sm);
  drop(kc);
  drop(vc);
}

static void test_attention_kv(void)
{
  static const int s1[] = { 1, 4, 9, 16, 25, 70 }, s2[] = { 1, 4, 9 }, s3[] = { 1, 4, 9, 16, 25, 36, 64, 100, 169, 256 };
  attention_case(2, 32, 2, s1, 6);     /* hd 16 */
  attention_case(3, 192, 3, s1, 6);    /* hd 64, three sequences */
  attention_case(2, 24, 3, s2, 3);     /* hd 8 */
  attention_case(2, 128, 2, s3, 10);   /* the 256-px schedule, hd 64 */
}

static void test_cfg_combine(void)
{
  static const int cases[][2] = { { 1, 7 }, { 3, 64 }, { 25, 4096 } };
  unsigned i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int R = cases[i][0], V = cases[i][1];
    pair in = mk_rand((size_t)2 * R * V, 10.0f), out = mk(NULL, (size_t)R * V);
    BOTH(CPU->ops->cfg_combine(CPU, R, V, 1.75f, C_(in), C_(out)), CL->ops->cfg_combine(CL, R, V, 1.75f, O_(in), O_(out)));
    compare(out, 0, out.n, 0, 0, "cfg_combine");
    drop(in);
    drop(out);
  }
}

/* Filtering and the draw: the filtered logits (the -inf pattern) and the
 * drawn indices must be identical. */
static void sample_case(int rows, int V, int top_k, float top_p, int rows_per_item, int scale, float spread, int ties)
{
  float *x = rand_vec((size_t)rows * V, spread);
  uint64_t seeds[64];
  pair px, pi;
  char what[96];
  int i;
  if (ties)   /* quantised logits: many exact ties, at the top-k threshold too */
    for (i = 0; i < rows * V; i++) x[i] = roundf(x[i] * 2.0f) * 0.5f;
  for (i = 0; i < 64; i++) seeds[i] = 1000003u * (uint64_t)i + 17u;
  px = mk(x, (size_t)rows * V);
  pi = mk(NULL, (size_t)rows);
  BOTH(CPU->ops->sample(CPU, rows, V, C_(px), top_k, top_p, rows_per_item, seeds, scale, C_(pi)),
       CL->ops->sample(CL, rows, V, O_(px), top_k, top_p, rows_per_item, seeds, scale, O_(pi)));
  snprintf(what, sizeof what, "sample rows %d V %d top_k %d top_p %g ties %d", rows, V, top_k, (double)top_p, ties);
  compare_i32(pi, (size_t)rows, what);
  compare(px, 0, px.n, 0, 0, what);
  drop(px);
  drop(pi);
  free(x);
}

static void test_sample(void)
{
  int ties;
  for (ties = 0; ties <= 1; ties++) {
    sample_case(1, 5, 0, 0.0f, 1, 0, 3.0f, ties);
    sample_case(7, 64, 0, 0.0f, 3, 2, 3.0f, ties);
    sample_case(7, 64, 5, 0.0f, 3, 2, 3.0f, ties);
    sample_case(9, 100, 0, 0.8f, 4, 5, 3.0f, ties);
    sample_case(9, 100, 30, 0.95f, 9, 1, 3.0f, ties);
    sample_case(4, 37, 1, 0.0f, 2, 0, 3.0f, ties);
    sample_case(4, 37, 37, 1.0f, 2, 0, 3.0f, ties);
    sample_case(64, 4096, 900, 0.95f, 16, 7, 8.0f, ties);   /* the demo settings */
    sample_case(16, 4096, 0, 0.96f, 16, 9, 8.0f, ties);
  }
  /* a NaN row: the CPU fails at once, OpenCL at the next read (queued ops) */
  {
    float x[8] = { 0, 1, 2, NAN, 4, 5, 6, 7 }, back[8];
    uint64_t seed = 3;
    pair px = mk(x, 8), pi = mk(NULL, 1);
    var_status s;
    CU_ASSERT_EQUAL(CPU->ops->sample(CPU, 1, 8, C_(px), 0, 0.0f, 1, &seed, 0, C_(pi)), VAR_ERR_BACKEND);
    s = CL->ops->sample(CL, 1, 8, O_(px), 0, 0.0f, 1, &seed, 0, O_(pi));
    if (s == VAR_OK) s = CL->ops->read(CL, O_(pi), back, 4);
    CU_ASSERT_EQUAL(s, VAR_ERR_BACKEND);
    CU_ASSERT(strstr(var_ctx_last_error(cl_ctx), "not finite") != NULL);
    /* reported once: the backend works afterwards */
    CU_ASSERT_EQUAL(CL->ops->read(CL, O_(px), back, 32), VAR_OK);
    drop(px);
    drop(pi);
  }
}

static void test_gumbel_mix(void)
{
  static const int cases[][4] = { { 1, 6, 3, 1 }, { 8, 64, 8, 4 }, { 16, 4096, 32, 16 } };
  unsigned i;
  for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
    const int rows = cases[i][0], V = cases[i][1], cv = cases[i][2], rpi = cases[i][3];
    float *x = rand_vec((size_t)rows * V, 4.0f);
    uint64_t seeds[16];
    pair px, cb, out;
    int k;
    for (k = 0; k < 16; k++) seeds[k] = 77u + (uint64_t)k;
    for (k = 0; k < rows * V; k += 3) x[k] = -INFINITY;   /* as after filtering */
    px = mk(x, (size_t)rows * V);
    cb = mk_rand((size_t)V * cv, 1.0f);
    out = mk(NULL, (size_t)rows * cv);
    BOTH(CPU->ops->gumbel_mix(CPU, rows, V, cv, C_(px), 0.4f, 0.1f, rpi, seeds, 3, C_(cb), C_(out)),
         CL->ops->gumbel_mix(CL, rows, V, cv, O_(px), 0.4f, 0.1f, rpi, seeds, 3, O_(cb), O_(out)));
    compare(out, 0, out.n, 2e-5, 2e-5, "gumbel_mix");
    drop(px);
    drop(cb);
    drop(out);
    free(x);
  }
}

/* ---- backend selection --------------------------------------------------------------- */

static void test_selection(void)
{
  var_ctx_params p;
  var_ctx *ctx = (var_ctx *)1;
  const char *list = var_backends_available();
  var_ctx_params_default(&p);
  CU_ASSERT(strncmp(list, "cpu", 3) == 0);
  CU_ASSERT(strstr(list, "opencl:0 ") != NULL);
  CU_ASSERT(strncmp(var_ctx_backend_name(cl_ctx), "opencl: ", 8) == 0);
  /* by index and by name substring */
  p.backend = "opencl:0";
  CU_ASSERT_EQUAL(var_ctx_new(&p, &ctx), VAR_OK);
  var_ctx_free(ctx);
  p.backend = "opencl:no-such-device-anywhere";
  CU_ASSERT_EQUAL(var_ctx_new(&p, &ctx), VAR_ERR_BACKEND);
  CU_ASSERT_PTR_NULL(ctx);
  CU_ASSERT(strstr(var_last_init_error(), "no-such-device-anywhere") != NULL);
  p.backend = "opencl:99";
  CU_ASSERT_EQUAL(var_ctx_new(&p, &ctx), VAR_ERR_BACKEND);
  CU_ASSERT(strstr(var_last_init_error(), "99") != NULL);
  /* the CPU backend is unaffected by a failed OpenCL attempt */
  p.backend = "cpu";
  CU_ASSERT_EQUAL(var_ctx_new(&p, &ctx), VAR_OK);
  CU_ASSERT_STRING_EQUAL(var_ctx_backend_name(ctx), "cpu");
  var_ctx_free(ctx);
}

int main(void)
{
  static const test_case tests[] = {
    { "backend selection: list, index, name, bad specs", test_selection },
    { "memory ops: copy (overlapping), fill, bounds, accounting", test_memory_ops },
    { "gemm: transposes, alpha/beta, beta 0 over NaN, K 0, strides", test_gemm },
    { "linear: bias, GELU/SiLU, shapes", test_linear },
    { "axpby, activation (in place too)", test_eltwise },
    { "conv2d: 3x3, stride-2 downsample, 1x1, residual", test_conv2d },
    { "group_norm (+SiLU)", test_group_norm },
    { "upsample_nearest2x", test_upsample },
    { "spatial_attention", test_spatial_attention },
    { "resize_area, resize_bicubic", test_resample },
    { "vq_argmin (near-ties excepted), gathers, select, layout", test_vq },
    { "ln_modulate, gated_add, embed_rows, add_rows", test_rows },
    { "attention_kv over a growing cache", test_attention_kv },
    { "cfg_combine", test_cfg_combine },
    { "sample: top-k/top-p filtering and draws, ties, NaN rows", test_sample },
    { "gumbel_mix", test_gumbel_mix },
    { NULL, NULL },
  };
  var_ctx_params p;
  int rc;
  var_ctx_params_default(&p);
  p.backend = "cpu";
  if (var_ctx_new(&p, &cpu_ctx) != VAR_OK) return 2;
  p.backend = "opencl";
  if (var_ctx_new(&p, &cl_ctx) != VAR_OK) {
    /* loud: CI has PoCL, so this is a real failure */
    printf("test_backend_ops: cannot create the OpenCL backend: %s\n", var_last_init_error());
    var_ctx_free(cpu_ctx);
    return 1;
  }
  CPU = cpu_ctx->backend;
  CL = cl_ctx->backend;
  printf("OpenCL backend: %s\n", var_ctx_backend_name(cl_ctx));
  rc = run_suite("backend_ops", tests);
  var_ctx_free(cl_ctx);
  var_ctx_free(cpu_ctx);
  return rc;
}

/* bench_rate.c — this machine's SGEMM rate right now, shared by the var-bench
 * modes that report against a FLOP floor (gen, vae). */
#include "bench.h"
#include "cpu/cpu_ops.h"

#include <stdlib.h>

/* SGEMM rate of C[M,N] = A[M,K] B[N,K]^T (the shape of our linear layers) through
 * var_cpu_sgemm: best of a few runs in wall time, and per CPU-second over all of
 * them (which being descheduled on a shared machine does not distort). */
static bench_gemm_rate sgemm_rate(var_ctx *ctx, int M, int N, int K)
{
  float *a = malloc(sizeof(float) * (size_t)M * K), *b = malloc(sizeof(float) * (size_t)N * K);
  float *c = malloc(sizeof(float) * (size_t)M * N);
  bench_gemm_rate g = { 0, 0 };
  double c0, flops = 2.0 * M * N * K;
  size_t i;
  int r;
  if (a && b && c) {
    for (i = 0; i < (size_t)M * K; i++) a[i] = (float)(i % 7) * 0.1f;
    for (i = 0; i < (size_t)N * K; i++) b[i] = (float)(i % 5) * 0.1f;
    c0 = bench_cpu_seconds();
    for (r = 0; r < 4; r++) {
      double t0 = bench_now();
      var_cpu_sgemm(ctx->pool, var_cpu_simd_detect() >= VAR_SIMD_AVX2, 0, 1, M, N, K, 1.0f, a, K, b, K, 0.0f, c, N);
      if (flops / (bench_now() - t0) / 1e9 > g.wall) g.wall = flops / (bench_now() - t0) / 1e9;
    }
    g.cpu = 4 * flops / (bench_cpu_seconds() - c0) / 1e9;
  }
  free(a);
  free(b);
  free(c);
  return g;
}

/* The better of two shapes, as the machine's rate right now. */
bench_gemm_rate bench_machine_rate(var_ctx *ctx)
{
  bench_gemm_rate a = sgemm_rate(ctx, 512, 4096, 1024), b = sgemm_rate(ctx, 1024, 1024, 1024);
  if (b.wall > a.wall) a.wall = b.wall;
  if (b.cpu > a.cpu) a.cpu = b.cpu;
  return a;
}

/* The same product as a 1x1 convolution through the backend (out[1024, 32x32] =
 * W[1024, 1024] x[1024, 32x32]): the GEMM kernel the VQ-VAE's convolutions run on,
 * which is not var_cpu_sgemm when the build has no BLAS. */
bench_gemm_rate bench_conv_gemm_rate(var_ctx *ctx)
{
  var_backend *be = ctx->backend;
  var_conv_desc d;
  var_dbuf *buf = NULL;
  bench_gemm_rate g = { 0, 0 };
  const int C = 1024, side = 32;
  const size_t n_w = (size_t)C * C, n_x = (size_t)C * side * side;
  double c0, flops = 2.0 * C * C * side * side;
  float *host;
  size_t i;
  int r;
  if (var_conv_desc_init(&d, 1, C, side, side, C, 1, 1, 0, 0, 0, 0) != VAR_OK) return g;
  if (var_be_alloc_f32(be, n_w + C + 2 * n_x, &buf) != VAR_OK) return g;
  host = malloc(sizeof(float) * (n_w + C + n_x));
  if (host) {
    var_dptr w = var_dp(buf, 0), bias = var_dp_at(w, n_w), x = var_dp_at(bias, C), y = var_dp_at(x, n_x);
    for (i = 0; i < n_w + C + n_x; i++) host[i] = (float)(i % 11) * 0.01f;
    if (be->ops->write(be, w, host, sizeof(float) * (n_w + C + n_x)) == VAR_OK) {
      c0 = bench_cpu_seconds();
      for (r = 0; r < 4; r++) {
        double t0 = bench_now(), t;
        if (be->ops->conv2d(be, &d, x, w, bias, var_dp_none(), y) != VAR_OK) break;
        be->ops->finish(be);
        t = bench_now() - t0;
        if (flops / t / 1e9 > g.wall) g.wall = flops / t / 1e9;
      }
      g.cpu = r * flops / (bench_cpu_seconds() - c0) / 1e9;
    }
    free(host);
  }
  be->ops->release(be, buf);
  return g;
}

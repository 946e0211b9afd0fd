/* ocl_gemm.c — the ops built on CLBlast's SGEMM: gemm, linear, conv2d
 * (im2col + GEMM, or a plain GEMM for 1x1), the VQ-VAE's spatial attention and
 * the codebook distances of vq_argmin.
 *
 * Only one CLBlast routine (Xgemm) is used, so PoCL compiles one CLBlast
 * program per process (~6 s cold, cached on disk afterwards).  CLBlast's
 * kernels compute alpha*AB + beta*C, reading C even when beta is 0, so a
 * stale NaN or -inf in C would survive; every GEMM here therefore starts from
 * a C we wrote ourselves (zeros, a bias, or the residual). */
#include "ocl.h"

#include <clblast_c.h>
#include <math.h>

/* The im2col scratch per GEMM: at most 64 MiB (or one output row) whatever
 * the layer, while giving CLBlast thousands of columns. */
#define CONV_COL_BYTES ((size_t)64 << 20)
/* Rows of the distance matrix per vq_argmin GEMM (rows x V floats). */
#define VQ_ROWS 1024
/* Score rows per spatial-attention block (rows x n floats, at most 64 MiB). */
#define ATT_SCORE_BYTES ((size_t)64 << 20)

var_status ocl_sgemm(var_backend *be, int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha, cl_mem A,
                     size_t a_off, size_t lda, cl_mem B, size_t b_off, size_t ldb, float beta, cl_mem C, size_t c_off,
                     size_t ldc, const char *op)
{
  ocl_backend *b = ocl_be(be);
  CLBlastStatusCode st;
  if (!M || !N) return VAR_OK;
  st = CLBlastSgemm(CLBlastLayoutRowMajor, trans_a ? CLBlastTransposeYes : CLBlastTransposeNo,
                    trans_b ? CLBlastTransposeYes : CLBlastTransposeNo, M, N, K, alpha, A, a_off, lda, B, b_off, ldb,
                    beta, C, c_off, ldc, &b->queue, NULL);
  if (st != CLBlastSuccess)
    return var_fail(be->ctx, VAR_ERR_BACKEND, "%s: CLBlastSgemm (%zux%zux%zu): %s", op, M, N, K,
                    ocl_clblast_error_name(st));
  return VAR_OK;
}

/* C[M, N] (row stride ldc, at element c_off) = beta * C, zeros when beta is 0. */
static var_status scale_2d(var_backend *be, size_t M, size_t N, cl_mem C, size_t c_off, size_t ldc, float beta,
                           const char *op)
{
  ocl_args a;
  size_t gws[2], lws[2] = { 64, 1 };
  var_status s = ocl_args_begin(be, K_SCALE_2D, op, &a);
  if (s != VAR_OK) return s;
  ocl_arg_int(&a, (int)M);
  ocl_arg_int(&a, (int)N);
  ocl_arg_mem(&a, C);
  ocl_arg_int(&a, (int)c_off);
  ocl_arg_int(&a, (int)ldc);
  ocl_arg_float(&a, beta);
  gws[0] = N;
  gws[1] = M;
  return ocl_launch(&a, 2, gws, lws);
}

/* Elements spanned by an R x Ccols row-major block with leading dimension ld. */
static size_t span(int rows, int cols, int ld) { return rows <= 0 || cols <= 0 ? 0 : (size_t)(rows - 1) * ld + cols; }

var_status ocl_gemm(var_backend *be, int trans_a, int trans_b, int M, int N, int K, float alpha, var_dptr A, int lda,
                    var_dptr B, int ldb, float beta, var_dptr C, int ldc)
{
  var_status s;
  if (M < 0 || N < 0 || K < 0 || (K && (lda < 1 || ldb < 1)) || ldc < 1)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "gemm: bad sizes %dx%dx%d", M, N, K);
  if (!M || !N) return VAR_OK;
  if ((s = ocl_need(be, C, span(M, N, ldc), "gemm", "C")) != VAR_OK) return s;
  if (K == 0 || beta != 1.0f) {
    s = scale_2d(be, (size_t)M, (size_t)N, C.buf->mem, C.off, (size_t)ldc, beta, "gemm");
    if (s != VAR_OK || K == 0) return s;
  }
  if ((s = ocl_need(be, A, trans_a ? span(K, M, lda) : span(M, K, lda), "gemm", "A")) != VAR_OK ||
      (s = ocl_need(be, B, trans_b ? span(N, K, ldb) : span(K, N, ldb), "gemm", "B")) != VAR_OK)
    return s;
  /* beta is now in C: accumulate onto it */
  return ocl_sgemm(be, trans_a, trans_b, (size_t)M, (size_t)N, (size_t)K, alpha, A.buf->mem, A.off, (size_t)lda,
                   B.buf->mem, B.off, (size_t)ldb, 1.0f, C.buf->mem, C.off, (size_t)ldc, "gemm");
}

static var_status activation_inplace(var_backend *be, size_t n, int act, var_dptr y, const char *op)
{
  ocl_args a;
  var_status s = ocl_args_begin(be, K_ACTIVATION, op, &a);
  if (s != VAR_OK) return s;
  ocl_arg_int(&a, (int)n);
  ocl_arg_int(&a, act);
  ocl_arg_ptr(&a, y);
  ocl_arg_ptr(&a, y);
  return ocl_launch_1d(&a, n);
}

var_status ocl_linear(var_backend *be, int M, int N, int K, var_dptr X, var_dptr W, var_dptr bias, var_dptr Y, int act)
{
  ocl_args a;
  size_t gws[2], lws[2] = { 64, 1 };
  var_status s;
  if (M < 0 || N < 0 || K < 0) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "linear: bad sizes %dx%dx%d", M, N, K);
  if (!M || !N) return VAR_OK;
  if ((s = ocl_need(be, Y, (size_t)M * N, "linear", "Y")) != VAR_OK ||
      (K && (s = ocl_need(be, X, (size_t)M * K, "linear", "X")) != VAR_OK) ||
      (K && (s = ocl_need(be, W, (size_t)N * K, "linear", "W")) != VAR_OK) ||
      (bias.buf && (s = ocl_need(be, bias, (size_t)N, "linear", "bias")) != VAR_OK))
    return s;
  /* Y = bias rows, then Y += X W^T: the bias is added once, after the products
   * are summed, as on the CPU. */
  if ((s = ocl_args_begin(be, K_FILL_ROWS, "linear", &a)) != VAR_OK) return s;
  ocl_arg_int(&a, M);
  ocl_arg_int(&a, N);
  ocl_arg_ptr(&a, Y);
  ocl_arg_int(&a, N);
  ocl_arg_ptr(&a, bias);
  ocl_arg_int(&a, bias.buf != NULL);
  gws[0] = (size_t)N;
  gws[1] = (size_t)M;
  if ((s = ocl_launch(&a, 2, gws, lws)) != VAR_OK) return s;
  if (K && (s = ocl_sgemm(be, 0, 1, (size_t)M, (size_t)N, (size_t)K, 1.0f, X.buf->mem, X.off, (size_t)K, W.buf->mem,
                          W.off, (size_t)K, 1.0f, Y.buf->mem, Y.off, (size_t)N, "linear")) != VAR_OK)
    return s;
  if (act != VAR_ACT_NONE) return activation_inplace(be, (size_t)M * N, act, Y, "linear");
  return VAR_OK;
}

/* ---- convolution ------------------------------------------------------------ */

var_status ocl_conv2d(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                      var_dptr residual, var_dptr out)
{
  const size_t kk = (size_t)d->k * d->k, K = (size_t)d->c_in * kk;
  const size_t hw_in = (size_t)d->h_in * d->w_in, hw = (size_t)d->h_out * d->w_out;
  const int pointwise = d->k == 1 && d->stride == 1 && !d->pad_top && !d->pad_left && !d->pad_bottom && !d->pad_right;
  size_t gws[3], lws[3] = { 64, 1, 1 }, rows_per_tile = 0;
  cl_mem col = NULL;
  ocl_args a;
  var_status s;
  int b;
  if (d->batch < 0 || d->c_in <= 0 || d->c_out <= 0 || d->k <= 0 || d->stride <= 0 || d->h_out <= 0 || d->w_out <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "conv2d: bad geometry");
  if (!d->batch) return VAR_OK;
  if ((s = ocl_need(be, in, (size_t)d->batch * d->c_in * hw_in, "conv2d", "input")) != VAR_OK ||
      (s = ocl_need(be, w, (size_t)d->c_out * K, "conv2d", "weights")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)d->batch * d->c_out * hw, "conv2d", "output")) != VAR_OK ||
      (bias.buf && (s = ocl_need(be, bias, (size_t)d->c_out, "conv2d", "bias")) != VAR_OK) ||
      (residual.buf && (s = ocl_need(be, residual, (size_t)d->batch * d->c_out * hw, "conv2d", "residual")) != VAR_OK))
    return s;
  /* out = bias (+ residual), all images at once */
  if ((s = ocl_args_begin(be, K_CONV_PREFILL, "conv2d", &a)) != VAR_OK) return s;
  ocl_arg_int(&a, d->c_out);
  ocl_arg_int(&a, (int)hw);
  ocl_arg_ptr(&a, out);
  ocl_arg_ptr(&a, bias);
  ocl_arg_int(&a, bias.buf != NULL);
  ocl_arg_ptr(&a, residual);
  ocl_arg_int(&a, residual.buf != NULL);
  gws[0] = hw;
  gws[1] = (size_t)d->c_out;
  gws[2] = (size_t)d->batch;
  if ((s = ocl_launch(&a, 3, gws, lws)) != VAR_OK) return s;
  if (!pointwise) {
    /* tiles of whole output rows */
    rows_per_tile = CONV_COL_BYTES / (K * 4 * (size_t)d->w_out);
    if (rows_per_tile < 1) rows_per_tile = 1;
    if (rows_per_tile > (size_t)d->h_out) rows_per_tile = (size_t)d->h_out;
    if ((s = ocl_scratch(be, OCL_SCR_A, K * rows_per_tile * d->w_out * 4, &col)) != VAR_OK) return s;
  }
  for (b = 0; b < d->batch; b++) {
    const size_t in_off = in.off + (size_t)b * d->c_in * hw_in, out_off = out.off + (size_t)b * d->c_out * hw;
    size_t y0;
    if (pointwise) {
      s = ocl_sgemm(be, 0, 0, (size_t)d->c_out, hw, (size_t)d->c_in, 1.0f, w.buf->mem, w.off, (size_t)d->c_in,
                    in.buf->mem, in_off, hw, 1.0f, out.buf->mem, out_off, hw, "conv2d");
      if (s != VAR_OK) return s;
      continue;
    }
    for (y0 = 0; y0 < (size_t)d->h_out; y0 += rows_per_tile) {
      const size_t ny = (size_t)d->h_out - y0 < rows_per_tile ? (size_t)d->h_out - y0 : rows_per_tile;
      const size_t np = ny * d->w_out;
      if ((s = ocl_args_begin(be, K_IM2COL, "conv2d", &a)) != VAR_OK) return s;
      ocl_arg_int(&a, d->c_in);
      ocl_arg_int(&a, d->h_in);
      ocl_arg_int(&a, d->w_in);
      ocl_arg_int(&a, d->k);
      ocl_arg_int(&a, d->stride);
      ocl_arg_int(&a, d->pad_top);
      ocl_arg_int(&a, d->pad_left);
      ocl_arg_int(&a, d->w_out);
      ocl_arg_int(&a, (int)y0);
      ocl_arg_int(&a, (int)ny);
      ocl_arg_ptr(&a, var_dp_at(in, (size_t)b * d->c_in * hw_in));
      ocl_arg_mem(&a, col);
      gws[0] = (size_t)d->w_out;
      gws[1] = ny;
      gws[2] = K;
      if ((s = ocl_launch(&a, 3, gws, lws)) != VAR_OK) return s;
      s = ocl_sgemm(be, 0, 0, (size_t)d->c_out, np, K, 1.0f, w.buf->mem, w.off, K, col, 0, np, 1.0f, out.buf->mem,
                    out_off + y0 * d->w_out, hw, "conv2d");
      if (s != VAR_OK) return s;
    }
  }
  return VAR_OK;
}

/* ---- spatial attention ---------------------------------------------------- */

var_status ocl_spatial_attention(var_backend *be, int batch, int channels, int n, var_dptr qkv, var_dptr out)
{
  /* upstream scales the scores after the product by int(C) ** -0.5, as a float */
  const float scale = (float)pow((double)channels, -0.5);
  size_t rows, i0;
  cl_mem scores;
  ocl_args a;
  var_status s;
  int b;
  if (batch < 0 || channels <= 0 || n <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "spatial_attention: bad sizes");
  if (!batch) return VAR_OK;
  if ((s = ocl_need(be, qkv, (size_t)batch * 3 * channels * n, "spatial_attention", "qkv")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)batch * channels * n, "spatial_attention", "out")) != VAR_OK)
    return s;
  rows = ATT_SCORE_BYTES / ((size_t)n * 4);
  if (rows < 16) rows = 16;
  if (rows > (size_t)n) rows = (size_t)n;
  if ((s = ocl_scratch(be, OCL_SCR_A, rows * n * 4, &scores)) != VAR_OK) return s;
  for (b = 0; b < batch; b++) {
    const size_t q = qkv.off + (size_t)b * 3 * channels * n, k = q + (size_t)channels * n, v = k + (size_t)channels * n;
    const size_t o = out.off + (size_t)b * channels * n;
    for (i0 = 0; i0 < (size_t)n; i0 += rows) {
      const size_t m = (size_t)n - i0 < rows ? (size_t)n - i0 : rows;
      /* scores[i, j] = scale * sum_c q[c, i0 + i] k[c, j]  (C starts as zeros) */
      if ((s = scale_2d(be, m, (size_t)n, scores, 0, (size_t)n, 0.0f, "spatial_attention")) != VAR_OK) return s;
      s = ocl_sgemm(be, 1, 0, m, (size_t)n, (size_t)channels, scale, qkv.buf->mem, q + i0, (size_t)n, qkv.buf->mem, k,
                    (size_t)n, 1.0f, scores, 0, (size_t)n, "spatial_attention");
      if (s != VAR_OK) return s;
      if ((s = ocl_args_begin(be, K_SOFTMAX_ROWS, "spatial_attention", &a)) != VAR_OK) return s;
      ocl_arg_int(&a, n);
      ocl_arg_mem(&a, scores);
      ocl_arg_int(&a, 0);
      if ((s = ocl_launch_rows(&a, m)) != VAR_OK) return s;
      /* out[c, i0 + i] = sum_j v[c, j] scores[i, j] */
      if ((s = scale_2d(be, (size_t)channels, m, out.buf->mem, o + i0, (size_t)n, 0.0f, "spatial_attention")) != VAR_OK)
        return s;
      s = ocl_sgemm(be, 0, 1, (size_t)channels, m, (size_t)n, 1.0f, qkv.buf->mem, v, (size_t)n, scores, 0, (size_t)n,
                    1.0f, out.buf->mem, o + i0, (size_t)n, "spatial_attention");
      if (s != VAR_OK) return s;
    }
  }
  return VAR_OK;
}

/* ---- codebook distances ------------------------------------------------------ */

var_status ocl_vq_argmin(var_backend *be, int batch, int cv, int n, int vocab, var_dptr z, var_dptr codebook,
                         var_dptr e_sq, var_dptr idx, var_dptr margin)
{
  const int rows_max = n < VQ_ROWS ? n : VQ_ROWS;
  cl_mem dist, zsq;
  ocl_args a;
  var_status s;
  int b, p0;
  if (batch < 0 || cv <= 0 || n < 0 || vocab <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "vq_argmin: bad sizes (B %d, Cv %d, n %d, V %d)", batch, cv, n,
                    vocab);
  if (!batch || !n) return VAR_OK;
  if ((s = ocl_need(be, z, (size_t)batch * cv * n, "vq_argmin", "z")) != VAR_OK ||
      (s = ocl_need(be, codebook, (size_t)vocab * cv, "vq_argmin", "codebook")) != VAR_OK ||
      (s = ocl_need(be, e_sq, (size_t)vocab, "vq_argmin", "e_sq")) != VAR_OK ||
      (s = ocl_need(be, idx, (size_t)batch * n, "vq_argmin", "idx")) != VAR_OK ||
      (margin.buf && (s = ocl_need(be, margin, (size_t)batch * n, "vq_argmin", "margin")) != VAR_OK))
    return s;
  if ((s = ocl_scratch(be, OCL_SCR_A, (size_t)rows_max * vocab * 4, &dist)) != VAR_OK ||
      (s = ocl_scratch(be, OCL_SCR_B, (size_t)rows_max * 4, &zsq)) != VAR_OK)
    return s;
  for (b = 0; b < batch; b++) {
    const size_t zo = z.off + (size_t)b * cv * n;
    for (p0 = 0; p0 < n; p0 += rows_max) {
      const int rows = n - p0 < rows_max ? n - p0 : rows_max;
      size_t gws[2], lws[2] = { 64, 1 };
      if ((s = ocl_args_begin(be, K_VQ_ZSQ, "vq_argmin", &a)) != VAR_OK) return s;
      ocl_arg_int(&a, cv);
      ocl_arg_int(&a, n);
      ocl_arg_int(&a, p0);
      ocl_arg_int(&a, rows);
      ocl_arg_ptr(&a, var_dp_at(z, (size_t)b * cv * n));
      ocl_arg_mem(&a, zsq);
      if ((s = ocl_launch_1d(&a, (size_t)rows)) != VAR_OK) return s;
      if ((s = ocl_args_begin(be, K_VQ_PREFILL, "vq_argmin", &a)) != VAR_OK) return s;
      ocl_arg_int(&a, rows);
      ocl_arg_int(&a, vocab);
      ocl_arg_mem(&a, zsq);
      ocl_arg_ptr(&a, e_sq);
      ocl_arg_mem(&a, dist);
      gws[0] = (size_t)vocab;
      gws[1] = (size_t)rows;
      if ((s = ocl_launch(&a, 2, gws, lws)) != VAR_OK) return s;
      /* d += -2 z^T E^T: z is [Cv, n] (channel-major), so op(A) = A^T */
      s = ocl_sgemm(be, 1, 1, (size_t)rows, (size_t)vocab, (size_t)cv, -2.0f, z.buf->mem, zo + (size_t)p0, (size_t)n,
                    codebook.buf->mem, codebook.off, (size_t)cv, 1.0f, dist, 0, (size_t)vocab, "vq_argmin");
      if (s != VAR_OK) return s;
      if ((s = ocl_args_begin(be, K_VQ_ARGMIN, "vq_argmin", &a)) != VAR_OK) return s;
      ocl_arg_int(&a, vocab);
      ocl_arg_mem(&a, dist);
      ocl_arg_ptr(&a, var_dp_at(idx, (size_t)b * n + p0));
      ocl_arg_ptr(&a, margin.buf ? var_dp_at(margin, (size_t)b * n + p0) : margin);
      ocl_arg_int(&a, margin.buf != NULL);
      if ((s = ocl_launch_rows(&a, (size_t)rows)) != VAR_OK) return s;
    }
  }
  return VAR_OK;
}

/* ocl_ops.c — the OpenCL ops that are plain kernels: element-wise, transformer
 * rows, KV-cached attention, group norm, resampling and code-vector maps.
 * Each checks its arguments and bounds (a device cannot fault cleanly on a bad
 * offset), binds them in the order of the kernel's signature and enqueues. */
#include "ocl.h"

#include <limits.h>

static var_status bad(var_backend *be, const char *op) { return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "%s: bad sizes", op); }

/* 2-D / 3-D grids with 64 items along x. */
static var_status launch2(ocl_args *a, size_t x, size_t y)
{
  size_t gws[2], lws[2] = { 64, 1 };
  gws[0] = x;
  gws[1] = y;
  return ocl_launch(a, 2, gws, lws);
}

static var_status launch3(ocl_args *a, size_t x, size_t y, size_t z)
{
  size_t gws[3], lws[3] = { 64, 1, 1 };
  gws[0] = x;
  gws[1] = y;
  gws[2] = z;
  return ocl_launch(a, 3, gws, lws);
}

/* ---- element-wise ------------------------------------------------------------ */

var_status ocl_axpby(var_backend *be, size_t n, float a_, var_dptr x, float b_, var_dptr y, var_dptr out)
{
  ocl_args a;
  var_status s;
  if (n > INT_MAX) return bad(be, "axpby");
  if ((s = ocl_need(be, x, n, "axpby", "x")) != VAR_OK || (s = ocl_need(be, y, n, "axpby", "y")) != VAR_OK ||
      (s = ocl_need(be, out, n, "axpby", "out")) != VAR_OK || (s = ocl_args_begin(be, K_AXPBY, "axpby", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, (int)n);
  ocl_arg_float(&a, a_);
  ocl_arg_ptr(&a, x);
  ocl_arg_float(&a, b_);
  ocl_arg_ptr(&a, y);
  ocl_arg_ptr(&a, out);
  return ocl_launch_1d(&a, n);
}

var_status ocl_activation(var_backend *be, size_t n, int act, var_dptr x, var_dptr out)
{
  ocl_args a;
  var_status s;
  if (n > INT_MAX) return bad(be, "activation");
  if ((s = ocl_need(be, x, n, "activation", "x")) != VAR_OK || (s = ocl_need(be, out, n, "activation", "out")) != VAR_OK ||
      (s = ocl_args_begin(be, K_ACTIVATION, "activation", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, (int)n);
  ocl_arg_int(&a, act);
  ocl_arg_ptr(&a, x);
  ocl_arg_ptr(&a, out);
  return ocl_launch_1d(&a, n);
}

/* ---- transformer rows ------------------------------------------------------ */

var_status ocl_embed_rows(var_backend *be, int rows, int dim, var_dptr table, var_dptr idx, var_dptr out)
{
  ocl_args a;
  var_status s;
  if (rows < 0 || dim <= 0) return bad(be, "embed_rows");
  if (!rows) return VAR_OK;
  /* the table's row count is not known here: only its start is checked */
  if ((s = ocl_need(be, table, (size_t)dim, "embed_rows", "table")) != VAR_OK ||
      (s = ocl_need(be, idx, (size_t)rows, "embed_rows", "idx")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)rows * dim, "embed_rows", "out")) != VAR_OK ||
      (s = ocl_args_begin(be, K_EMBED_ROWS, "embed_rows", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, rows);
  ocl_arg_int(&a, dim);
  ocl_arg_ptr(&a, table);
  ocl_arg_ptr(&a, idx);
  ocl_arg_ptr(&a, out);
  return launch2(&a, (size_t)dim, (size_t)rows);
}

var_status ocl_add_rows(var_backend *be, int groups, int T, int C, var_dptr x, var_dptr rows)
{
  ocl_args a;
  var_status s;
  if (groups < 0 || T < 0 || C <= 0) return bad(be, "add_rows");
  if (!groups || !T) return VAR_OK;
  if ((s = ocl_need(be, x, (size_t)groups * T * C, "add_rows", "x")) != VAR_OK ||
      (s = ocl_need(be, rows, (size_t)T * C, "add_rows", "rows")) != VAR_OK ||
      (s = ocl_args_begin(be, K_ADD_ROWS, "add_rows", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, groups * T);
  ocl_arg_int(&a, T);
  ocl_arg_int(&a, C);
  ocl_arg_ptr(&a, x);
  ocl_arg_ptr(&a, rows);
  return launch2(&a, (size_t)C, (size_t)groups * T);
}

var_status ocl_ln_modulate(var_backend *be, int rows, int C, int rows_per_group, float eps, var_dptr x,
                           var_dptr scale, var_dptr shift, int mod_stride, var_dptr out)
{
  ocl_args a;
  var_status s;
  size_t groups;
  if (rows_per_group < 1) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "ln_modulate: rows_per_group < 1");
  if (rows < 0 || C <= 0 || mod_stride < 0) return bad(be, "ln_modulate");
  if (!rows) return VAR_OK;
  groups = (size_t)(rows - 1) / rows_per_group;
  if ((s = ocl_need(be, x, (size_t)rows * C, "ln_modulate", "x")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)rows * C, "ln_modulate", "out")) != VAR_OK ||
      (s = ocl_need(be, scale, groups * mod_stride + C, "ln_modulate", "scale")) != VAR_OK ||
      (s = ocl_need(be, shift, groups * mod_stride + C, "ln_modulate", "shift")) != VAR_OK ||
      (s = ocl_args_begin(be, K_LN_MODULATE, "ln_modulate", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, C);
  ocl_arg_int(&a, rows_per_group);
  ocl_arg_float(&a, eps);
  ocl_arg_ptr(&a, x);
  ocl_arg_ptr(&a, scale);
  ocl_arg_ptr(&a, shift);
  ocl_arg_int(&a, mod_stride);
  ocl_arg_ptr(&a, out);
  return ocl_launch_rows(&a, (size_t)rows);
}

var_status ocl_gated_add(var_backend *be, int rows, int C, int rows_per_group, var_dptr x, var_dptr gamma,
                         int gamma_stride, var_dptr y)
{
  ocl_args a;
  var_status s;
  if (rows_per_group < 1) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "gated_add: rows_per_group < 1");
  if (rows < 0 || C <= 0 || gamma_stride < 0) return bad(be, "gated_add");
  if (!rows) return VAR_OK;
  if ((s = ocl_need(be, x, (size_t)rows * C, "gated_add", "x")) != VAR_OK ||
      (s = ocl_need(be, y, (size_t)rows * C, "gated_add", "y")) != VAR_OK ||
      (s = ocl_need(be, gamma, (size_t)(rows - 1) / rows_per_group * gamma_stride + C, "gated_add", "gamma")) !=
          VAR_OK ||
      (s = ocl_args_begin(be, K_GATED_ADD, "gated_add", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, rows);
  ocl_arg_int(&a, C);
  ocl_arg_int(&a, rows_per_group);
  ocl_arg_ptr(&a, x);
  ocl_arg_ptr(&a, gamma);
  ocl_arg_int(&a, gamma_stride);
  ocl_arg_ptr(&a, y);
  return launch2(&a, (size_t)C, (size_t)rows);
}

/* Must match ATT_WG, ATT_QB and ATT_MAX_HD in kernels/attention.cl. */
#define ATT_WG(wg) ((wg) < 64 ? (wg) : 64)
#define ATT_QB 8
#define ATT_MAX_HD 256

var_status ocl_attention_kv(var_backend *be, int G, int T, int C, int H, int l_max, int pos0, var_dptr qkv,
                            var_dptr q_bias, var_dptr v_bias, var_dptr scale_mul, var_dptr kcache, var_dptr vcache,
                            var_dptr out)
{
  ocl_args a;
  var_status s;
  size_t cache;
  if (G < 1 || T < 1 || H < 1 || C % H || pos0 < 0 || pos0 > l_max - T)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "attention_kv: bad geometry G=%d T=%d C=%d H=%d pos0=%d l_max=%d",
                    G, T, C, H, pos0, l_max);
  if (C / H > ATT_MAX_HD)
    return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "attention_kv: head size %d > %d on the OpenCL backend", C / H,
                    ATT_MAX_HD);
  cache = (size_t)G * H * l_max * (C / H);
  if ((s = ocl_need(be, qkv, (size_t)G * T * 3 * C, "attention_kv", "qkv")) != VAR_OK ||
      (s = ocl_need(be, q_bias, (size_t)C, "attention_kv", "q_bias")) != VAR_OK ||
      (s = ocl_need(be, v_bias, (size_t)C, "attention_kv", "v_bias")) != VAR_OK ||
      (s = ocl_need(be, scale_mul, (size_t)H, "attention_kv", "scale_mul")) != VAR_OK ||
      (s = ocl_need(be, kcache, cache, "attention_kv", "kcache")) != VAR_OK ||
      (s = ocl_need(be, vcache, cache, "attention_kv", "vcache")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)G * T * C, "attention_kv", "out")) != VAR_OK)
    return s;
  if ((s = ocl_args_begin(be, K_ATT_FILL_CACHE, "attention_kv", &a)) != VAR_OK) return s;
  ocl_arg_int(&a, G);
  ocl_arg_int(&a, T);
  ocl_arg_int(&a, C);
  ocl_arg_int(&a, H);
  ocl_arg_int(&a, l_max);
  ocl_arg_int(&a, pos0);
  ocl_arg_ptr(&a, qkv);
  ocl_arg_ptr(&a, v_bias);
  ocl_arg_ptr(&a, kcache);
  ocl_arg_ptr(&a, vcache);
  if ((s = launch2(&a, (size_t)G * T, (size_t)H)) != VAR_OK) return s;
  if ((s = ocl_args_begin(be, K_ATT_QUERIES, "attention_kv", &a)) != VAR_OK) return s;
  ocl_arg_int(&a, T);
  ocl_arg_int(&a, C);
  ocl_arg_int(&a, H);
  ocl_arg_int(&a, l_max);
  ocl_arg_int(&a, pos0);
  ocl_arg_ptr(&a, qkv);
  ocl_arg_ptr(&a, q_bias);
  ocl_arg_ptr(&a, scale_mul);
  ocl_arg_ptr(&a, kcache);
  ocl_arg_ptr(&a, vcache);
  ocl_arg_ptr(&a, out);
  return ocl_launch_exact(&a, (size_t)G * H * ((T + ATT_QB - 1) / ATT_QB), (size_t)ATT_WG(ocl_be(be)->dev->wg));
}

/* ---- VQ-VAE ------------------------------------------------------------------- */

var_status ocl_group_norm(var_backend *be, int batch, int channels, int hw, int groups, float eps, var_dptr x,
                          var_dptr gamma, var_dptr beta, var_dptr out, int silu)
{
  const size_t acc = ocl_be(be)->dev->has_fp64 ? 8 : 4, total = (size_t)batch * channels * hw;
  ocl_args a;
  cl_mem stats;
  var_status s;
  if (batch < 0 || channels <= 0 || hw <= 0 || groups <= 0 || channels % groups)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "group_norm: %d channels do not split into %d groups", channels,
                    groups);
  if (!batch) return VAR_OK;
  if (total > INT_MAX) return bad(be, "group_norm");
  if ((s = ocl_need(be, x, total, "group_norm", "x")) != VAR_OK ||
      (s = ocl_need(be, out, total, "group_norm", "out")) != VAR_OK ||
      (gamma.buf && (s = ocl_need(be, gamma, (size_t)channels, "group_norm", "gamma")) != VAR_OK) ||
      (beta.buf && (s = ocl_need(be, beta, (size_t)channels, "group_norm", "beta")) != VAR_OK) ||
      (s = ocl_scratch(be, OCL_SCR_B, (size_t)batch * groups * 2 * acc, &stats)) != VAR_OK)
    return s;
  if ((s = ocl_args_begin(be, K_GROUP_NORM_STATS, "group_norm", &a)) != VAR_OK) return s;
  ocl_arg_int(&a, channels / groups * hw);
  ocl_arg_float(&a, eps);
  ocl_arg_ptr(&a, x);
  ocl_arg_mem(&a, stats);
  if ((s = ocl_launch_rows(&a, (size_t)batch * groups)) != VAR_OK) return s;
  if ((s = ocl_args_begin(be, K_GROUP_NORM_APPLY, "group_norm", &a)) != VAR_OK) return s;
  ocl_arg_int(&a, channels);
  ocl_arg_int(&a, groups);
  ocl_arg_int(&a, hw);
  ocl_arg_int(&a, silu != 0);
  ocl_arg_ptr(&a, x);
  ocl_arg_ptr(&a, gamma);
  ocl_arg_int(&a, gamma.buf != NULL);
  ocl_arg_ptr(&a, beta);
  ocl_arg_int(&a, beta.buf != NULL);
  ocl_arg_mem(&a, stats);
  ocl_arg_ptr(&a, out);
  return launch3(&a, (size_t)hw, (size_t)channels, (size_t)batch);
}

var_status ocl_upsample_nearest2x(var_backend *be, int n_planes, int h, int w, var_dptr in, var_dptr out)
{
  ocl_args a;
  var_status s;
  if (n_planes < 0 || h <= 0 || w <= 0) return bad(be, "upsample_nearest2x");
  if (!n_planes) return VAR_OK;
  if ((s = ocl_need(be, in, (size_t)n_planes * h * w, "upsample_nearest2x", "in")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)n_planes * 4 * h * w, "upsample_nearest2x", "out")) != VAR_OK ||
      (s = ocl_args_begin(be, K_UPSAMPLE2X, "upsample_nearest2x", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, n_planes);
  ocl_arg_int(&a, h);
  ocl_arg_int(&a, w);
  ocl_arg_ptr(&a, in);
  ocl_arg_ptr(&a, out);
  return launch3(&a, (size_t)2 * w, (size_t)2 * h, (size_t)n_planes);
}

static var_status resize(var_backend *be, int kernel, const char *op, int n_planes, int h_in, int w_in, int h_out,
                         int w_out, var_dptr in, var_dptr out)
{
  ocl_args a;
  var_status s;
  if (n_planes < 0 || h_in <= 0 || w_in <= 0 || h_out <= 0 || w_out <= 0)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "%s: bad sizes %dx%d -> %dx%d", op, h_in, w_in, h_out, w_out);
  if (!n_planes) return VAR_OK;
  if ((s = ocl_need(be, in, (size_t)n_planes * h_in * w_in, op, "in")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)n_planes * h_out * w_out, op, "out")) != VAR_OK ||
      (s = ocl_args_begin(be, kernel, op, &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, n_planes);
  ocl_arg_int(&a, h_in);
  ocl_arg_int(&a, w_in);
  ocl_arg_int(&a, h_out);
  ocl_arg_int(&a, w_out);
  ocl_arg_ptr(&a, in);
  ocl_arg_ptr(&a, out);
  return launch3(&a, (size_t)w_out, (size_t)h_out, (size_t)n_planes);
}

var_status ocl_resize_area(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out, var_dptr in,
                           var_dptr out)
{
  return resize(be, K_RESIZE_AREA, "resize_area", n_planes, h_in, w_in, h_out, w_out, in, out);
}

var_status ocl_resize_bicubic(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out, var_dptr in,
                              var_dptr out)
{
  return resize(be, K_RESIZE_BICUBIC, "resize_bicubic", n_planes, h_in, w_in, h_out, w_out, in, out);
}

var_status ocl_codebook_gather_cm(var_backend *be, int batch, int cv, int n, var_dptr codebook, var_dptr idx,
                                  var_dptr out)
{
  ocl_args a;
  var_status s;
  if (batch < 0 || cv <= 0 || n < 0) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "codebook_gather_cm: bad sizes");
  if (!batch || !n) return VAR_OK;
  if ((s = ocl_need(be, codebook, (size_t)cv, "codebook_gather_cm", "codebook")) != VAR_OK ||
      (s = ocl_need(be, idx, (size_t)batch * n, "codebook_gather_cm", "idx")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)batch * cv * n, "codebook_gather_cm", "out")) != VAR_OK ||
      (s = ocl_args_begin(be, K_CODEBOOK_GATHER_CM, "codebook_gather_cm", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, batch);
  ocl_arg_int(&a, cv);
  ocl_arg_int(&a, n);
  ocl_arg_ptr(&a, codebook);
  ocl_arg_ptr(&a, idx);
  ocl_arg_ptr(&a, out);
  return launch3(&a, (size_t)n, (size_t)cv, (size_t)batch);
}

var_status ocl_select_cm(var_backend *be, int batch, int cv, int n, var_dptr flags, var_dptr a_, var_dptr b_,
                         var_dptr out)
{
  const size_t total = (size_t)batch * cv * n;
  ocl_args a;
  var_status s;
  if (batch < 0 || cv <= 0 || n < 0) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "select_cm: bad sizes");
  if (!batch || !n) return VAR_OK;
  if ((s = ocl_need(be, flags, (size_t)batch * n, "select_cm", "flags")) != VAR_OK ||
      (s = ocl_need(be, a_, total, "select_cm", "a")) != VAR_OK ||
      (s = ocl_need(be, b_, total, "select_cm", "b")) != VAR_OK ||
      (s = ocl_need(be, out, total, "select_cm", "out")) != VAR_OK ||
      (s = ocl_args_begin(be, K_SELECT_CM, "select_cm", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, batch);
  ocl_arg_int(&a, cv);
  ocl_arg_int(&a, n);
  ocl_arg_ptr(&a, flags);
  ocl_arg_ptr(&a, a_);
  ocl_arg_ptr(&a, b_);
  ocl_arg_ptr(&a, out);
  return launch3(&a, (size_t)n, (size_t)cv, (size_t)batch);
}

var_status ocl_cm_to_tokens(var_backend *be, int batch, int channels, int n, var_dptr in, var_dptr out)
{
  const size_t total = (size_t)batch * channels * n;
  ocl_args a;
  var_status s;
  if (batch < 0 || channels <= 0 || n < 0) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cm_to_tokens: bad sizes");
  if (!batch || !n) return VAR_OK;
  if ((s = ocl_need(be, in, total, "cm_to_tokens", "in")) != VAR_OK ||
      (s = ocl_need(be, out, total, "cm_to_tokens", "out")) != VAR_OK ||
      (s = ocl_args_begin(be, K_CM_TO_TOKENS, "cm_to_tokens", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, batch);
  ocl_arg_int(&a, channels);
  ocl_arg_int(&a, n);
  ocl_arg_ptr(&a, in);
  ocl_arg_ptr(&a, out);
  return launch3(&a, (size_t)channels, (size_t)n, (size_t)batch);
}

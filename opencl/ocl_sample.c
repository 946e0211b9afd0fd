/* ocl_sample.c — classifier-free guidance, top-k/top-p filtering + sampling,
 * and more_smooth's Gumbel mixture on the device (kernels/sample.cl).
 *
 * The per-image seeds are a host array: they are uploaded only when they
 * change (once per generation).  A non-finite row is reported through a device
 * status word checked at the next read or finish, so sampling a scale needs no
 * host round trip. */
#include "ocl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Bound on the sampling scratch per launch; rows are processed in chunks. */
#define SAMPLE_SCRATCH_BYTES ((size_t)64 << 20)

var_status ocl_cfg_combine(var_backend *be, int rows_half, int V, float t, var_dptr logits, var_dptr out)
{
  const size_t n = (size_t)rows_half * V;
  ocl_args a;
  var_status s;
  if (rows_half < 0 || V < 1 || n > INT_MAX / 2)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cfg_combine: bad sizes");
  if (!n) return VAR_OK;
  if ((s = ocl_need(be, logits, 2 * n, "cfg_combine", "logits")) != VAR_OK ||
      (s = ocl_need(be, out, n, "cfg_combine", "out")) != VAR_OK ||
      (s = ocl_args_begin(be, K_CFG_COMBINE, "cfg_combine", &a)) != VAR_OK)
    return s;
  ocl_arg_int(&a, (int)n);
  ocl_arg_float(&a, t);
  ocl_arg_ptr(&a, logits);
  ocl_arg_int(&a, (int)n);
  ocl_arg_ptr(&a, out);
  return ocl_launch_1d(&a, n);
}

/* Makes b->seeds hold seeds[0 .. n). */
static var_status upload_seeds(var_backend *be, const uint64_t *seeds, int n)
{
  ocl_backend *b = ocl_be(be);
  cl_int err;
  if (b->seeds && n <= b->seeds_n && !memcmp(b->seeds_host, seeds, sizeof *seeds * (size_t)n)) return VAR_OK;
  if (n > b->seeds_cap) {
    uint64_t *h = realloc(b->seeds_host, sizeof *h * (size_t)n);
    if (!h) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "out of memory");
    b->seeds_host = h;
    if (b->seeds) clReleaseMemObject(b->seeds);
    b->seeds = clCreateBuffer(b->dev->context, CL_MEM_READ_ONLY, sizeof *h * (size_t)n, NULL, &err);
    if (err != CL_SUCCESS) {
      b->seeds = NULL;
      b->seeds_cap = b->seeds_n = 0;
      return ocl_fail(be, err, "sample: clCreateBuffer (seeds)");
    }
    b->seeds_cap = n;
  }
  memcpy(b->seeds_host, seeds, sizeof *seeds * (size_t)n);
  b->seeds_n = n;
  /* blocking, so seeds_host may change afterwards; queued kernels that use the
   * old seeds run before this write (in-order queue) */
  err = clEnqueueWriteBuffer(b->queue, b->seeds, CL_TRUE, 0, sizeof *seeds * (size_t)n, seeds, 0, NULL, NULL);
  if (err != CL_SUCCESS) {
    b->seeds_n = 0;
    return ocl_fail(be, err, "sample: uploading the seeds");
  }
  return VAR_OK;
}

static size_t pow2_at_least(size_t n)
{
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

var_status ocl_sample(var_backend *be, int rows, int V, var_dptr logits, int top_k, float top_p, int rows_per_item,
                      const uint64_t *seeds, int scale, var_dptr idx)
{
  ocl_backend *b = ocl_be(be);
  const size_t vp = pow2_at_least((size_t)(V > 0 ? V : 1));
  const float cut = (float)(1.0 - (double)top_p);   /* as the CPU backend */
  const int sorted = (top_k > 0 && top_k < V) || top_p > 0.0f;
  size_t chunk, r0, gws[2], lws[2] = { 64, 1 };
  cl_mem sortb;
  ocl_args a;
  var_status s;
  if (rows < 0 || V < 1 || rows_per_item < 1 || !seeds || !(top_p <= 1.0f) || (size_t)V > (size_t)INT_MAX / 2)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "sample: bad arguments (rows %d, V %d, top_p %g)", rows, V,
                    (double)top_p);
  if (!rows) return VAR_OK;
  if ((s = ocl_need(be, logits, (size_t)rows * V, "sample", "logits")) != VAR_OK ||
      (s = ocl_need(be, idx, (size_t)rows, "sample", "idx")) != VAR_OK ||
      (s = upload_seeds(be, seeds, (rows - 1) / rows_per_item + 1)) != VAR_OK)
    return s;
  chunk = sorted ? SAMPLE_SCRATCH_BYTES / (vp * 8) : (size_t)rows;
  if (chunk < 1) chunk = 1;
  if (chunk > (size_t)rows) chunk = (size_t)rows;
  if ((s = ocl_scratch(be, OCL_SCR_A, sorted ? chunk * vp * 8 : 8, &sortb)) != VAR_OK) return s;
  for (r0 = 0; r0 < (size_t)rows; r0 += chunk) {
    const size_t n = (size_t)rows - r0 < chunk ? (size_t)rows - r0 : chunk;
    size_t size, stride, one = 64;
    if (sorted) {
      if ((s = ocl_args_begin(be, K_SAMPLE_KEYS, "sample", &a)) != VAR_OK) return s;
      ocl_arg_int(&a, V);
      ocl_arg_int(&a, (int)vp);
      ocl_arg_int(&a, (int)n);
      ocl_arg_ptr(&a, logits);
      ocl_arg_int(&a, (int)r0);
      ocl_arg_mem(&a, sortb);
      gws[0] = vp;
      gws[1] = n;
      if ((s = ocl_launch(&a, 2, gws, lws)) != VAR_OK) return s;
      for (size = 2; size <= vp; size <<= 1)
        for (stride = size >> 1; stride > 0; stride >>= 1) {
          if ((s = ocl_args_begin(be, K_BITONIC_STEP, "sample", &a)) != VAR_OK) return s;
          ocl_arg_int(&a, (int)vp);
          ocl_arg_int(&a, (int)n);
          ocl_arg_int(&a, (int)size);
          ocl_arg_int(&a, (int)stride);
          ocl_arg_mem(&a, sortb);
          gws[0] = vp / 2;
          gws[1] = n;
          if ((s = ocl_launch(&a, 2, gws, lws)) != VAR_OK) return s;
        }
    }
    if ((s = ocl_args_begin(be, K_SAMPLE_SELECT, "sample", &a)) != VAR_OK) return s;
    ocl_arg_int(&a, V);
    ocl_arg_int(&a, (int)vp);
    ocl_arg_int(&a, (int)n);
    ocl_arg_ptr(&a, logits);
    ocl_arg_int(&a, (int)r0);
    ocl_arg_int(&a, sorted);
    ocl_arg_int(&a, top_k);
    ocl_arg_int(&a, top_p > 0.0f);
    ocl_arg_float(&a, cut);
    ocl_arg_int(&a, rows_per_item);
    ocl_arg_mem(&a, b->seeds);
    ocl_arg_int(&a, scale);
    ocl_arg_ptr(&a, idx);
    ocl_arg_mem(&a, sortb);
    ocl_arg_mem(&a, b->status);
    if ((s = ocl_launch(&a, 1, &n, &one)) != VAR_OK) return s;
  }
  b->status_pending = 1;
  return VAR_OK;
}

var_status ocl_gumbel_mix(var_backend *be, int rows, int V, int cv, var_dptr logits, float ratio, float tau,
                          int rows_per_item, const uint64_t *seeds, int scale, var_dptr codebook, var_dptr out)
{
  ocl_backend *b = ocl_be(be);
  const size_t acc = b->dev->has_fp64 ? 8 : 4;
  size_t chunk, r0;
  cl_mem wb;
  ocl_args a;
  var_status s;
  if (rows < 0 || V < 1 || cv < 1 || rows_per_item < 1 || !seeds || !(tau > 0.0f) || (size_t)V > (size_t)INT_MAX / 2)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "gumbel_mix: bad arguments (rows %d, V %d, tau %g)", rows, V,
                    (double)tau);
  if (!rows) return VAR_OK;
  if ((s = ocl_need(be, logits, (size_t)rows * V, "gumbel_mix", "logits")) != VAR_OK ||
      (s = ocl_need(be, codebook, (size_t)V * cv, "gumbel_mix", "codebook")) != VAR_OK ||
      (s = ocl_need(be, out, (size_t)rows * cv, "gumbel_mix", "out")) != VAR_OK ||
      (s = upload_seeds(be, seeds, (rows - 1) / rows_per_item + 1)) != VAR_OK)
    return s;
  chunk = SAMPLE_SCRATCH_BYTES / ((size_t)V * acc);
  if (chunk < 1) chunk = 1;
  if (chunk > (size_t)rows) chunk = (size_t)rows;
  if ((s = ocl_scratch(be, OCL_SCR_B, chunk * V * acc, &wb)) != VAR_OK) return s;
  for (r0 = 0; r0 < (size_t)rows; r0 += chunk) {
    const size_t n = (size_t)rows - r0 < chunk ? (size_t)rows - r0 : chunk;
    if ((s = ocl_args_begin(be, K_GUMBEL_MIX, "gumbel_mix", &a)) != VAR_OK) return s;
    ocl_arg_int(&a, V);
    ocl_arg_int(&a, cv);
    ocl_arg_ptr(&a, logits);
    ocl_arg_int(&a, (int)r0);
    ocl_arg_float(&a, 1.0f + ratio);
    ocl_arg_float(&a, tau);
    ocl_arg_int(&a, rows_per_item);
    ocl_arg_mem(&a, b->seeds);
    ocl_arg_int(&a, scale);
    ocl_arg_ptr(&a, codebook);
    ocl_arg_ptr(&a, out);
    ocl_arg_mem(&a, wb);
    if ((s = ocl_launch_rows(&a, n)) != VAR_OK) return s;
  }
  return VAR_OK;
}

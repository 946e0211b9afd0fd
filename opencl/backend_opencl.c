/* backend_opencl.c — the OpenCL backend: creation and the op table (the
 * kernel-launch helpers are ocl_launch.c's).  One in-order command queue per
 * backend; every op only enqueues work, so a generation runs without host round
 * trips except where backend.h asks for host data (read, and the seeds of
 * `sample`). */
#include "ocl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- backend lifetime ------------------------------------------------------ */

static void ocl_destroy(var_backend *be)
{
  ocl_backend *b = ocl_be(be);
  int i;
  if (b->queue) clFinish(b->queue);
  for (i = 0; i < OCL_N_KERNELS; i++)
    if (b->kernels[i]) clReleaseKernel(b->kernels[i]);
  for (i = 0; i < OCL_N_SCRATCH; i++)
    if (b->scratch[i]) clReleaseMemObject(b->scratch[i]);
  if (b->dummy) clReleaseMemObject(b->dummy);
  if (b->status) clReleaseMemObject(b->status);
  if (b->seeds) clReleaseMemObject(b->seeds);
  if (b->queue) clReleaseCommandQueue(b->queue);
  free(b->seeds_host);
  ocl_device_release(b->dev);
  free(b);
}

static const var_backend_ops opencl_ops = {
  .destroy = ocl_destroy,
  .alloc = ocl_alloc,
  .wrap_const = ocl_wrap_const,
  .release = ocl_release,
  .write = ocl_write,
  .read = ocl_read,
  .copy = ocl_copy,
  .fill = ocl_fill,
  .finish = ocl_finish,
  .memory = ocl_memory,
  .gemm = ocl_gemm,
  .linear = ocl_linear,
  .axpby = ocl_axpby,
  .activation = ocl_activation,
  .conv2d = ocl_conv2d,
  .group_norm = ocl_group_norm,
  .upsample_nearest2x = ocl_upsample_nearest2x,
  .spatial_attention = ocl_spatial_attention,
  .resize_area = ocl_resize_area,
  .resize_bicubic = ocl_resize_bicubic,
  .vq_argmin = ocl_vq_argmin,
  .codebook_gather_cm = ocl_codebook_gather_cm,
  .select_cm = ocl_select_cm,
  .cm_to_tokens = ocl_cm_to_tokens,
  .embed_rows = ocl_embed_rows,
  .add_rows = ocl_add_rows,
  .ln_modulate = ocl_ln_modulate,
  .gated_add = ocl_gated_add,
  .attention_kv = ocl_attention_kv,
  .cfg_combine = ocl_cfg_combine,
  .sample = ocl_sample,
  .gumbel_mix = ocl_gumbel_mix,
  /* no .linear_lp: reduced-precision weights arrive as float32 (model/tf_weights.c) */
};

var_status var_backend_opencl_new(var_ctx *ctx, const char *device_spec, var_backend **out)
{
  ocl_backend *b = calloc(1, sizeof *b);
  cl_int err = CL_SUCCESS, none = INT_MAX;
  var_status s;
  *out = NULL;
  if (!b) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  b->base.ops = &opencl_ops;
  b->base.ctx = ctx;
  b->base.impl = b;
  s = ocl_device_acquire(ctx, device_spec, &b->dev);
  if (s != VAR_OK) {
    free(b);
    return s;
  }
  snprintf(b->name, sizeof b->name, "opencl: %s", b->dev->name);
  b->base.name = b->name;
  b->queue = clCreateCommandQueue(b->dev->context, b->dev->device, 0, &err);
  if (err == CL_SUCCESS)
    b->dummy = clCreateBuffer(b->dev->context, CL_MEM_READ_WRITE, 64, NULL, &err);
  if (err == CL_SUCCESS)
    b->status = clCreateBuffer(b->dev->context, CL_MEM_READ_WRITE | CL_MEM_COPY_HOST_PTR, sizeof none, &none, &err);
  if (err != CL_SUCCESS) {
    s = var_fail(ctx, VAR_ERR_BACKEND, "OpenCL device \"%s\": creating the queue: %s", b->dev->name,
                 ocl_error_name(err));
    ocl_destroy(&b->base);
    return s;
  }
  *out = &b->base;
  return VAR_OK;
}

/* backend_opencl.c — the OpenCL backend: creation, the op table and the
 * kernel-launch helpers.  One in-order command queue per backend; every op
 * only enqueues work, so a generation runs without host round trips except
 * where backend.h asks for host data (read, and the seeds of `sample`). */
#include "ocl.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- kernel launches ------------------------------------------------------- */

static var_status get_kernel(var_backend *be, int k, cl_kernel *out)
{
  ocl_backend *b = ocl_be(be);
  const char *name;
  int program;
  cl_program p;
  cl_int err;
  var_status s;
  if (b->kernels[k]) {
    *out = b->kernels[k];
    return VAR_OK;
  }
  ocl_kernel_info(k, &name, &program);
  s = ocl_device_program(be->ctx, b->dev, program, &p);
  if (s != VAR_OK) return s;
  b->kernels[k] = clCreateKernel(p, name, &err);
  if (err != CL_SUCCESS) {
    b->kernels[k] = NULL;
    return var_fail(be->ctx, VAR_ERR_BACKEND, "clCreateKernel(%s): %s", name, ocl_error_name(err));
  }
  err = clGetKernelWorkGroupInfo(b->kernels[k], b->dev->device, CL_KERNEL_WORK_GROUP_SIZE,
                                 sizeof b->kernel_max_wg[k], &b->kernel_max_wg[k], NULL);
  if (err != CL_SUCCESS) {
    clReleaseKernel(b->kernels[k]);
    b->kernels[k] = NULL;
    return var_fail(be->ctx, VAR_ERR_BACKEND, "clGetKernelWorkGroupInfo(%s): %s", name, ocl_error_name(err));
  }
  *out = b->kernels[k];
  return VAR_OK;
}

var_status ocl_args_begin(var_backend *be, int kernel, const char *op, ocl_args *a)
{
  var_status s;
  memset(a, 0, sizeof *a);
  a->be = be;
  a->op = op;
  s = get_kernel(be, kernel, &a->k);
  if (s == VAR_OK) a->max_wg = ocl_be(be)->kernel_max_wg[kernel];
  return s;
}

static void set_arg(ocl_args *a, size_t size, const void *value)
{
  cl_int err;
  if (a->err != CL_SUCCESS) return;
  err = clSetKernelArg(a->k, a->n++, size, value);
  if (err != CL_SUCCESS) a->err = err;
}

void ocl_arg_ptr(ocl_args *a, var_dptr p)
{
  cl_mem m = p.buf ? p.buf->mem : ocl_be(a->be)->dummy;
  cl_int off = (cl_int)(p.buf ? p.off : 0);   /* ocl_need() bounds every offset by INT_MAX */
  set_arg(a, sizeof m, &m);
  set_arg(a, sizeof off, &off);
}

void ocl_arg_mem(ocl_args *a, cl_mem m) { set_arg(a, sizeof m, &m); }

void ocl_arg_int(ocl_args *a, int v)
{
  cl_int x = v;
  set_arg(a, sizeof x, &x);
}

void ocl_arg_float(ocl_args *a, float v)
{
  cl_float x = v;
  set_arg(a, sizeof x, &x);
}

void ocl_arg_local(ocl_args *a, size_t bytes) { set_arg(a, bytes, NULL); }

static var_status enqueue(ocl_args *a, cl_uint dims, const size_t *gws, const size_t *lws_in, int exact)
{
  size_t g[3], l[3] = { 1, 1, 1 }, prod = 1;
  cl_uint i;
  cl_int err;
  char what[96];
  if (a->err != CL_SUCCESS) {
    snprintf(what, sizeof what, "%s: clSetKernelArg(%u)", a->op, a->n - 1);
    return ocl_fail(a->be, a->err, what);
  }
  for (i = 0; lws_in && i < dims; i++) prod *= (l[i] = lws_in[i]);
  if (lws_in && prod > a->max_wg) {
    if (exact)
      return var_fail(a->be->ctx, VAR_ERR_BACKEND, "%s: the kernel needs work-groups of %zu items, the device allows %zu",
                      a->op, prod, a->max_wg);
    while (prod > a->max_wg && l[0] > 1) {
      l[0] /= 2;
      prod /= 2;
    }
  }
  for (i = 0; i < dims; i++) {
    if (gws[i] == 0) return VAR_OK;   /* nothing to do */
    g[i] = lws_in ? (gws[i] + l[i] - 1) / l[i] * l[i] : gws[i];
  }
  err = clEnqueueNDRangeKernel(ocl_be(a->be)->queue, a->k, dims, NULL, g, lws_in ? l : NULL, 0, NULL, NULL);
  if (err != CL_SUCCESS) {
    snprintf(what, sizeof what, "%s: clEnqueueNDRangeKernel", a->op);
    return ocl_fail(a->be, err, what);
  }
  return VAR_OK;
}

var_status ocl_launch(ocl_args *a, cl_uint dims, const size_t *gws, const size_t *lws)
{
  return enqueue(a, dims, gws, lws, 0);
}

var_status ocl_launch_exact(ocl_args *a, size_t groups, size_t lws)
{
  size_t gws = groups * lws;
  return enqueue(a, 1, &gws, &lws, 1);
}

var_status ocl_launch_rows(ocl_args *a, size_t rows) { return ocl_launch_exact(a, rows, (size_t)ocl_be(a->be)->dev->wg); }

var_status ocl_launch_1d(ocl_args *a, size_t n)
{
  size_t lws = 64;
  return ocl_launch(a, 1, &n, &lws);
}

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
  ocl_destroy, ocl_alloc, ocl_wrap_const, ocl_release, ocl_write, ocl_read, ocl_copy, ocl_fill, ocl_finish,
  ocl_memory,
  ocl_gemm, ocl_linear, ocl_axpby, ocl_activation,
  ocl_conv2d, ocl_group_norm, ocl_upsample_nearest2x, ocl_spatial_attention, ocl_resize_area, ocl_resize_bicubic,
  ocl_vq_argmin, ocl_codebook_gather_cm, ocl_select_cm, ocl_cm_to_tokens,
  ocl_embed_rows, ocl_add_rows, ocl_ln_modulate, ocl_gated_add, ocl_attention_kv, ocl_cfg_combine, ocl_sample,
  ocl_gumbel_mix,
  NULL,   /* linear_lp: reduced-precision weights arrive as float32 (tf_weights.c) */
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

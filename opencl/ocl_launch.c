/* ocl_launch.c — kernel launches for the OpenCL ops: the kernel objects
 * (created on first use), argument lists and NDRange enqueues with the
 * work-group size checked against what the kernel allows. */
#include "ocl.h"

#include <stdio.h>
#include <string.h>

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

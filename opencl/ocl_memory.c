/* ocl_memory.c — device buffers, transfers and scratch space of the OpenCL
 * backend.  Weights are uploaded once (wrap_const); activations live on the
 * device for a whole generation; op temporaries come from a few scratch
 * buffers that only grow, so a warm backend allocates nothing per op. */
#include "ocl.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

void ocl_account(ocl_backend *b, size_t bytes, int add)
{
  if (add) {
    b->current += bytes;
    if (b->current > b->peak) b->peak = b->current;
  } else {
    b->current -= bytes < b->current ? bytes : b->current;
  }
}

var_status ocl_fail(var_backend *be, cl_int err, const char *what)
{
  return var_fail(be->ctx, VAR_ERR_BACKEND, "%s: %s", what, ocl_error_name(err));
}

static var_status create(var_backend *be, cl_mem_flags flags, size_t bytes, void *host, cl_mem *out)
{
  ocl_backend *b = ocl_be(be);
  cl_int err;
  if (bytes > b->dev->max_alloc)
    return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "OpenCL buffer of %zu bytes exceeds the device's largest allocation (%zu)",
                    bytes, b->dev->max_alloc);
  *out = clCreateBuffer(b->dev->context, flags, bytes ? bytes : 4, host, &err);
  if (err != CL_SUCCESS) {
    *out = NULL;
    return var_fail(be->ctx, err == CL_MEM_OBJECT_ALLOCATION_FAILURE || err == CL_OUT_OF_RESOURCES ||
                                     err == CL_OUT_OF_HOST_MEMORY
                                 ? VAR_ERR_NO_MEMORY
                                 : VAR_ERR_BACKEND,
                    "clCreateBuffer (%zu bytes): %s", bytes, ocl_error_name(err));
  }
  return VAR_OK;
}

var_status ocl_scratch(var_backend *be, int slot, size_t bytes, cl_mem *out)
{
  ocl_backend *b = ocl_be(be);
  var_status s;
  if (b->scratch[slot] && b->scratch_bytes[slot] >= bytes) {
    *out = b->scratch[slot];
    return VAR_OK;
  }
  /* Released objects stay alive until the queued commands using them finish. */
  if (b->scratch[slot]) {
    clReleaseMemObject(b->scratch[slot]);
    ocl_account(b, b->scratch_bytes[slot], 0);
    b->scratch[slot] = NULL;
    b->scratch_bytes[slot] = 0;
  }
  bytes = (bytes + 4095) / 4096 * 4096;
  s = create(be, CL_MEM_READ_WRITE, bytes, NULL, &b->scratch[slot]);
  if (s != VAR_OK) return s;
  b->scratch_bytes[slot] = bytes;
  ocl_account(b, bytes, 1);
  *out = b->scratch[slot];
  return VAR_OK;
}

var_status ocl_need(var_backend *be, var_dptr p, size_t n, const char *op, const char *what)
{
  if (!p.buf) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "%s: %s is missing", op, what);
  if (p.off > p.buf->bytes / 4 || n > p.buf->bytes / 4 - p.off || p.off > (size_t)INT_MAX)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "%s: %s out of bounds (%zu elements at %zu, buffer has %zu)", op,
                    what, n, p.off, p.buf->bytes / 4);
  return VAR_OK;
}

var_status ocl_check_status(var_backend *be)
{
  ocl_backend *b = ocl_be(be);
  cl_int err, row = INT_MAX;
  if (!b->status_pending) return VAR_OK;
  b->status_pending = 0;
  err = clEnqueueReadBuffer(b->queue, b->status, CL_TRUE, 0, sizeof row, &row, 0, NULL, NULL);
  if (err != CL_SUCCESS) return ocl_fail(be, err, "reading the sampling status");
  if (row != INT_MAX) {
    cl_int reset = INT_MAX;
    err = clEnqueueWriteBuffer(b->queue, b->status, CL_TRUE, 0, sizeof reset, &reset, 0, NULL, NULL);
    if (err != CL_SUCCESS) return ocl_fail(be, err, "resetting the sampling status");
    return var_fail(be->ctx, VAR_ERR_BACKEND, "sample: row %d of the logits is not finite (NaN or +inf: broken weights?)",
                    (int)row);
  }
  return VAR_OK;
}

var_status ocl_alloc(var_backend *be, size_t bytes, var_dbuf **out)
{
  var_dbuf *d = calloc(1, sizeof *d);
  var_status s;
  *out = NULL;
  if (!d) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  s = create(be, CL_MEM_READ_WRITE, bytes, NULL, &d->mem);
  if (s != VAR_OK) {
    free(d);
    return s;
  }
  d->bytes = bytes;
  ocl_account(ocl_be(be), bytes, 1);
  *out = d;
  return VAR_OK;
}

var_status ocl_wrap_const(var_backend *be, const void *host, size_t bytes, var_dbuf **out)
{
  var_dbuf *d = calloc(1, sizeof *d);
  var_status s;
  *out = NULL;
  if (!d) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  /* Copied at creation: the host memory (often an mmapped checkpoint) is not
   * needed by the device afterwards. */
  s = create(be, CL_MEM_READ_ONLY | (bytes ? CL_MEM_COPY_HOST_PTR : 0), bytes, bytes ? (void *)host : NULL, &d->mem);
  if (s != VAR_OK) {
    free(d);
    return s;
  }
  d->bytes = bytes;
  d->is_const = 1;
  ocl_account(ocl_be(be), bytes, 1);
  *out = d;
  return VAR_OK;
}

void ocl_release(var_backend *be, var_dbuf *d)
{
  if (!d) return;
  clReleaseMemObject(d->mem);
  ocl_account(ocl_be(be), d->bytes, 0);
  free(d);
}

static int in_bounds(var_dptr p, size_t bytes)
{
  size_t off = p.off * 4;
  return p.buf && p.off <= p.buf->bytes / 4 && bytes <= p.buf->bytes - off;
}

var_status ocl_write(var_backend *be, var_dptr dst, const void *src, size_t bytes)
{
  cl_int err;
  if (!in_bounds(dst, bytes)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "opencl write out of bounds");
  if (!bytes) return VAR_OK;
  /* Blocking: the caller may reuse `src` as soon as we return. */
  err = clEnqueueWriteBuffer(ocl_be(be)->queue, dst.buf->mem, CL_TRUE, dst.off * 4, bytes, src, 0, NULL, NULL);
  return err == CL_SUCCESS ? VAR_OK : ocl_fail(be, err, "clEnqueueWriteBuffer");
}

var_status ocl_read(var_backend *be, var_dptr src, void *dst, size_t bytes)
{
  cl_int err;
  if (!in_bounds(src, bytes)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "opencl read out of bounds");
  if (bytes) {
    err = clEnqueueReadBuffer(ocl_be(be)->queue, src.buf->mem, CL_TRUE, src.off * 4, bytes, dst, 0, NULL, NULL);
    if (err != CL_SUCCESS) return ocl_fail(be, err, "clEnqueueReadBuffer");
  }
  return ocl_check_status(be);
}

var_status ocl_copy(var_backend *be, var_dptr dst, var_dptr src, size_t n)
{
  ocl_backend *b = ocl_be(be);
  size_t bytes = n * 4;
  cl_int err;
  if (!in_bounds(dst, bytes) || !in_bounds(src, bytes) || n > SIZE_MAX / 4)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "opencl copy out of bounds");
  if (!n || (dst.buf == src.buf && dst.off == src.off)) return VAR_OK;
  if (dst.buf == src.buf && (dst.off < src.off + n && src.off < dst.off + n)) {
    /* Overlapping ranges (memmove semantics): clEnqueueCopyBuffer refuses them. */
    cl_mem tmp;
    var_status s = ocl_scratch(be, OCL_SCR_C, bytes, &tmp);
    if (s != VAR_OK) return s;
    err = clEnqueueCopyBuffer(b->queue, src.buf->mem, tmp, src.off * 4, 0, bytes, 0, NULL, NULL);
    if (err == CL_SUCCESS) err = clEnqueueCopyBuffer(b->queue, tmp, dst.buf->mem, 0, dst.off * 4, bytes, 0, NULL, NULL);
  } else {
    err = clEnqueueCopyBuffer(b->queue, src.buf->mem, dst.buf->mem, src.off * 4, dst.off * 4, bytes, 0, NULL, NULL);
  }
  return err == CL_SUCCESS ? VAR_OK : ocl_fail(be, err, "clEnqueueCopyBuffer");
}

var_status ocl_fill(var_backend *be, var_dptr dst, float value, size_t n)
{
  cl_int err;
  if (!in_bounds(dst, n * 4) || n > SIZE_MAX / 4)
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "opencl fill out of bounds");
  if (!n) return VAR_OK;
  err = clEnqueueFillBuffer(ocl_be(be)->queue, dst.buf->mem, &value, sizeof value, dst.off * 4, n * 4, 0, NULL, NULL);
  return err == CL_SUCCESS ? VAR_OK : ocl_fail(be, err, "clEnqueueFillBuffer");
}

var_status ocl_finish(var_backend *be)
{
  cl_int err = clFinish(ocl_be(be)->queue);
  if (err != CL_SUCCESS) return ocl_fail(be, err, "clFinish");
  return ocl_check_status(be);
}

void ocl_memory(var_backend *be, size_t *current, size_t *peak)
{
  ocl_backend *b = ocl_be(be);
  if (current) *current = b->current;
  if (peak) *peak = b->peak;
}

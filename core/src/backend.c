/* backend.c — choosing a backend by name, and helpers shared by all backends. */
#include "backend.h"

#include <stdio.h>
#include <string.h>

var_status var_conv_desc_init(var_conv_desc *d, int batch, int c_in, int h_in, int w_in, int c_out, int k,
                              int stride, int pad_top, int pad_left, int pad_bottom, int pad_right)
{
  int hp = h_in + pad_top + pad_bottom, wp = w_in + pad_left + pad_right;
  memset(d, 0, sizeof *d);
  if (batch <= 0 || c_in <= 0 || h_in <= 0 || w_in <= 0 || c_out <= 0 || k <= 0 || stride <= 0 || pad_top < 0 ||
      pad_left < 0 || pad_bottom < 0 || pad_right < 0 || hp < k || wp < k)
    return VAR_ERR_SHAPE;
  d->batch = batch;
  d->c_in = c_in;
  d->h_in = h_in;
  d->w_in = w_in;
  d->c_out = c_out;
  d->k = k;
  d->stride = stride;
  d->pad_top = pad_top;
  d->pad_left = pad_left;
  d->pad_bottom = pad_bottom;
  d->pad_right = pad_right;
  d->h_out = (hp - k) / stride + 1;
  d->w_out = (wp - k) / stride + 1;
  return VAR_OK;
}

var_status var_backend_create(var_ctx *ctx, const char *spec, var_backend **out)
{
  *out = NULL;
  if (!spec || !strcmp(spec, "cpu")) return var_backend_cpu_new(ctx, out);
  if (!strncmp(spec, "opencl", 6) && (spec[6] == '\0' || spec[6] == ':')) {
#ifdef VAR_HAVE_OPENCL
    return var_backend_opencl_new(ctx, spec[6] == ':' ? spec + 7 : NULL, out);
#else
    return var_fail(ctx, VAR_ERR_BACKEND,
                    "backend \"%s\": this build of libvar has no OpenCL support (configure with -Dopencl=enabled)",
                    spec);
#endif
  }
  return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "unknown backend \"%s\" (use \"cpu\" or \"opencl[:device]\")", spec);
}

void var_backend_destroy(var_backend *be)
{
  if (be && be->ops && be->ops->destroy) be->ops->destroy(be);
}

const char *var_backends_available(void)
{
  static VAR_THREAD_LOCAL char list[4096];
  size_t n;
  snprintf(list, sizeof list, "cpu");
#ifdef VAR_HAVE_OPENCL
  n = strlen(list);
  {
    const char *cl = var_backend_opencl_list();
    if (cl && *cl) snprintf(list + n, sizeof list - n, "\n%s", cl);
  }
#else
  (void)n;
#endif
  return list;
}

/* npy.c — minimal NumPy .npy reader/writer. */
#include "npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int fail(char *err, size_t n, const char *path, const char *what)
{
  if (err && n) snprintf(err, n, "%s: %s", path, what);
  return -1;
}

void npy_free(npy_array *a)
{
  if (!a) return;
  free(a->f);
  free(a->i);
  memset(a, 0, sizeof *a);
}

int npy_load(const char *path, npy_array *out, char *err, size_t err_size)
{
  FILE *fp = fopen(path, "rb");
  unsigned char pre[12];
  char *hdr = NULL, *p;
  size_t hlen, esize, got;
  int64_t numel = 1;
  int d;
  memset(out, 0, sizeof *out);
  if (!fp) return fail(err, err_size, path, "cannot open");
  if (fread(pre, 1, 10, fp) != 10 || memcmp(pre, "\x93NUMPY", 6)) {
    fclose(fp);
    return fail(err, err_size, path, "not a .npy file");
  }
  if (pre[6] == 1) {
    hlen = (size_t)pre[8] | ((size_t)pre[9] << 8);
  } else if (pre[6] == 2 || pre[6] == 3) {
    if (fread(pre + 10, 1, 2, fp) != 2) { fclose(fp); return fail(err, err_size, path, "truncated header"); }
    hlen = (size_t)pre[8] | ((size_t)pre[9] << 8) | ((size_t)pre[10] << 16) | ((size_t)pre[11] << 24);
  } else {
    fclose(fp);
    return fail(err, err_size, path, "unknown .npy version");
  }
  if (hlen > 1 << 20) { fclose(fp); return fail(err, err_size, path, "header too long"); }
  hdr = malloc(hlen + 1);
  if (!hdr || fread(hdr, 1, hlen, fp) != hlen) {
    free(hdr);
    fclose(fp);
    return fail(err, err_size, path, "truncated header");
  }
  hdr[hlen] = '\0';
  if (strstr(hdr, "'fortran_order': True")) { free(hdr); fclose(fp); return fail(err, err_size, path, "Fortran order not supported"); }
  if (strstr(hdr, "'<f4'")) { out->dtype = 'f'; esize = 4; }
  else if (strstr(hdr, "'<i8'")) { out->dtype = 'i'; esize = 8; }
  else { free(hdr); fclose(fp); return fail(err, err_size, path, "dtype is not <f4 or <i8"); }
  p = strstr(hdr, "'shape': (");
  if (!p) { free(hdr); fclose(fp); return fail(err, err_size, path, "no shape"); }
  p += 10;
  while (*p && *p != ')') {
    char *end;
    long long v = strtoll(p, &end, 10);
    if (end == p) break;
    if (out->ndim >= NPY_MAX_DIMS || v < 0) { free(hdr); fclose(fp); return fail(err, err_size, path, "bad shape"); }
    out->shape[out->ndim++] = v;
    numel *= v;
    p = end;
    while (*p == ',' || *p == ' ') p++;
  }
  free(hdr);
  out->numel = numel;
  if (out->dtype == 'f') out->f = malloc((size_t)(numel ? numel : 1) * esize);
  else out->i = malloc((size_t)(numel ? numel : 1) * esize);
  got = fread(out->dtype == 'f' ? (void *)out->f : (void *)out->i, esize, (size_t)numel, fp);
  fclose(fp);
  if (got != (size_t)numel) {
    npy_free(out);
    return fail(err, err_size, path, "truncated data");
  }
  for (d = 0; d < out->ndim; d++) (void)d;
  return 0;
}

static int save(const char *path, const void *data, size_t esize, const char *descr, int ndim, const int64_t *shape)
{
  char dict[256], shp[160];
  size_t used = 0, total, hlen;
  int64_t numel = 1;
  int d;
  FILE *fp;
  unsigned char pre[10];
  shp[0] = '\0';
  for (d = 0; d < ndim; d++) {
    used += (size_t)snprintf(shp + used, sizeof shp - used, "%lld,%s", (long long)shape[d], d + 1 < ndim ? " " : "");
    numel *= shape[d];
  }
  if (ndim > 1) shp[used - 1] = '\0';   /* (a, b) rather than (a, b,) */
  snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }", descr, shp);
  hlen = strlen(dict) + 1;
  total = 10 + hlen;
  hlen += (64 - total % 64) % 64;
  fp = fopen(path, "wb");
  if (!fp) return -1;
  memcpy(pre, "\x93NUMPY\x01\x00", 8);
  pre[8] = (unsigned char)(hlen & 0xFF);
  pre[9] = (unsigned char)(hlen >> 8);
  fwrite(pre, 1, 10, fp);
  fputs(dict, fp);
  for (used = strlen(dict); used + 1 < hlen; used++) fputc(' ', fp);
  fputc('\n', fp);
  if (fwrite(data, esize, (size_t)numel, fp) != (size_t)numel) {
    fclose(fp);
    return -1;
  }
  return fclose(fp) ? -1 : 0;
}

int npy_save_f32(const char *path, const float *data, int ndim, const int64_t *shape)
{
  return save(path, data, 4, "<f4", ndim, shape);
}

int npy_save_i64(const char *path, const int64_t *data, int ndim, const int64_t *shape)
{
  return save(path, data, 8, "<i8", ndim, shape);
}

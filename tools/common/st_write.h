/* st_write.h — writing a float32 safetensors file from a list of named tensors
 * (tests and benchmarks make checkpoints with it).  Header-only: static functions. */
#ifndef VAR_ST_WRITE_H
#define VAR_ST_WRITE_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct st_tensor {
  char name[128];
  int ndim;
  int64_t shape[4];
  const float *data;     /* NULL: the writer calls fill() for the values */
} st_tensor;

static int64_t st_numel(const st_tensor *t)
{
  int64_t n = 1;
  int d;
  for (d = 0; d < t->ndim; d++) n *= t->shape[d];
  return n;
}

/* fill(user, tensor index, out, n) supplies the values of tensors without data,
 * in chunks.  Returns 0 on success. */
static int st_write(const char *path, const st_tensor *ts, int n,
                    void (*fill)(void *user, int index, int64_t offset, float *out, int64_t count), void *user)
{
  FILE *fp = fopen(path, "wb");
  size_t cap = 4096 + (size_t)n * 256, len = 0, pad;
  char *hdr = malloc(cap);
  uint64_t hlen, off = 0;
  float *chunk = malloc(sizeof(float) * 65536);
  int i, d, ok = fp && hdr && chunk;
  if (ok) {
    len += (size_t)snprintf(hdr + len, cap - len, "{");
    for (i = 0; i < n; i++) {
      uint64_t bytes = (uint64_t)st_numel(&ts[i]) * 4;
      len +=
          (size_t)snprintf(hdr + len, cap - len, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[", i ? "," : "", ts[i].name);
      for (d = 0; d < ts[i].ndim; d++)
        len += (size_t)snprintf(hdr + len, cap - len, "%s%lld", d ? "," : "", (long long)ts[i].shape[d]);
      len += (size_t)snprintf(hdr + len, cap - len, "],\"data_offsets\":[%llu,%llu]}", (unsigned long long)off,
                              (unsigned long long)(off + bytes));
      off += bytes;
    }
    len += (size_t)snprintf(hdr + len, cap - len, "}");
    pad = (64 - (8 + len) % 64) % 64;   /* tensor data starts 64-byte aligned */
    memset(hdr + len, ' ', pad);
    len += pad;
    hlen = len;
    for (d = 0; d < 8; d++) fputc((int)((hlen >> (8 * d)) & 0xff), fp);
    ok = fwrite(hdr, 1, len, fp) == len;
  }
  for (i = 0; ok && i < n; i++) {
    int64_t total = st_numel(&ts[i]), done = 0;
    if (ts[i].data) {
      ok = fwrite(ts[i].data, 4, (size_t)total, fp) == (size_t)total;
      continue;
    }
    while (ok && done < total) {
      int64_t k = total - done < 65536 ? total - done : 65536;
      fill(user, i, done, chunk, k);
      ok = fwrite(chunk, 4, (size_t)k, fp) == (size_t)k;
      done += k;
    }
  }
  if (fp && fclose(fp)) ok = 0;
  free(hdr);
  free(chunk);
  return ok ? 0 : -1;
}

#endif

/* status.c — error messages, logging, overflow-checked sizes, aligned
 * allocation and environment numbers: what every part of the library uses.
 * It depends on nothing else in it (the backends and the context build on it,
 * so no dependency runs in a circle). */
#include "internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include "os.h"
#endif

const char *var_strerror(var_status status)
{
  switch (status) {
  case VAR_OK: return "success";
  case VAR_ERR_INVALID_ARGUMENT: return "invalid argument";
  case VAR_ERR_IO: return "input/output error";
  case VAR_ERR_FORMAT: return "malformed file";
  case VAR_ERR_UNSUPPORTED: return "unsupported content";
  case VAR_ERR_SHAPE: return "shape mismatch";
  case VAR_ERR_NO_MEMORY: return "out of memory";
  case VAR_ERR_CANCELLED: return "cancelled";
  case VAR_ERR_BACKEND: return "compute backend failure";
  case VAR_ERR_NOT_FOUND: return "not found";
  case VAR_ERR_NOT_IMPLEMENTED: return "not implemented";
  default: return "unknown error";
  }
}

/* Errors of var_ctx_new, which has no context to hold them yet. */
static
#if defined(__GNUC__) || defined(__clang__)
__thread
#endif
char init_error[VAR_ERRMSG_SIZE];

const char *var_last_init_error(void) { return init_error; }

var_status var_fail(var_ctx *ctx, var_status status, const char *fmt, ...)
{
  char *dst = ctx ? ctx->err : init_error;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(dst, VAR_ERRMSG_SIZE, fmt, ap);
  va_end(ap);
  if (ctx && ctx->log && ctx->log_level >= VAR_LOG_DEBUG)
    ctx->log(ctx->log_user, VAR_LOG_DEBUG, dst);
  return status;
}

/* Appends s to the message dst[0..*n), truncating at VAR_ERRMSG_SIZE - 1. */
static void msg_append(char *dst, size_t *n, const char *s)
{
  size_t k = strlen(s);
  if (k > VAR_ERRMSG_SIZE - 1 - *n) k = VAR_ERRMSG_SIZE - 1 - *n;
  memcpy(dst + *n, s, k);
  *n += k;
  dst[*n] = '\0';
}

var_status var_fail_prefix(var_ctx *ctx, var_status status, const char *fmt, ...)
{
  char *dst = ctx ? ctx->err : init_error;
  char prefix[VAR_ERRMSG_SIZE], old[VAR_ERRMSG_SIZE];
  size_t n = 0;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(prefix, sizeof prefix, fmt, ap);
  va_end(ap);
  memcpy(old, dst, VAR_ERRMSG_SIZE);
  old[VAR_ERRMSG_SIZE - 1] = '\0';
  dst[0] = '\0';
  msg_append(dst, &n, prefix);
  msg_append(dst, &n, ": ");
  msg_append(dst, &n, old[0] ? old : var_strerror(status));
  return status;
}

void var_clear_error(var_ctx *ctx)
{
  if (ctx) ctx->err[0] = '\0';
  else init_error[0] = '\0';
}

void var_log(var_ctx *ctx, var_log_level level, const char *fmt, ...)
{
  char msg[VAR_ERRMSG_SIZE];
  va_list ap;
  if (!ctx || !ctx->log || level > ctx->log_level) return;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  ctx->log(ctx->log_user, level, msg);
}

size_t var_size_mul(size_t a, size_t b)
{
  if (a && b > SIZE_MAX / a) return 0;
  return a * b;
}

size_t var_size_mul3(size_t a, size_t b, size_t c)
{
  size_t ab = var_size_mul(a, b);
  return ab ? var_size_mul(ab, c) : 0;
}

var_status var_alloc(var_ctx *ctx, size_t bytes, void **out)
{
  void *p = NULL;
  *out = NULL;
  if (bytes == 0) bytes = 1;
  if (bytes > SIZE_MAX - 64)
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "allocation of %zu bytes is too large", bytes);
  /* 64-byte alignment for SIMD loads; round the size up as aligned_alloc requires. */
  bytes = (bytes + 63) & ~(size_t)63;
#if defined(_WIN32)
  p = var_os_alloc64(bytes);   /* os_win32.c: no aligned_alloc in the Windows C runtime */
#elif defined(_ISOC11_SOURCE) || (defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L)
  p = aligned_alloc(64, bytes);
#else
  if (posix_memalign(&p, 64, bytes) != 0) p = NULL;
#endif
  if (!p)
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory allocating %zu bytes", bytes);
  *out = p;
  return VAR_OK;
}

var_status var_calloc(var_ctx *ctx, size_t count, size_t elem, void **out)
{
  size_t bytes = var_size_mul(count, elem);
  var_status st;
  *out = NULL;
  if (count && elem && !bytes)
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "allocation of %zu x %zu bytes overflows", count, elem);
  st = var_alloc(ctx, bytes, out);
  if (st == VAR_OK) memset(*out, 0, bytes ? bytes : 1);
  return st;
}

#ifdef _WIN32
void var_free(void *p) { var_os_free64(p); }
#else
void var_free(void *p) { free(p); }
#endif

char *var_strdup(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

int var_env_int(const char *name, int fallback)
{
  const char *v = getenv(name);
  char *end;
  long x;
  if (!v || !*v) return fallback;
  errno = 0;
  x = strtol(v, &end, 10);
  if (errno || *end || x < -1000000 || x > 1000000) return fallback;
  return (int)x;
}

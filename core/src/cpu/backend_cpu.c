/* backend_cpu.c — the CPU backend: host memory and the op table.  The ops
 * themselves live in cpu_*.c. */
#include "cpu/cpu_ops.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* Data derived from a constant buffer (var_cpu_derived_find/keep). */
typedef struct derived {
  const var_dbuf *src;
  size_t off;
  int tag;
  float *data;
  size_t bytes;
  struct derived *next;
} derived;

typedef struct {
  size_t current, peak;   /* owned buffers and derived data */
  derived *derived;
  pthread_mutex_t mu;     /* guards `derived` */
} cpu_state;

static void drop_derived(cpu_state *st, const var_dbuf *src)
{
  derived **pp = &st->derived;
  pthread_mutex_lock(&st->mu);
  while (*pp) {
    derived *e = *pp;
    if (src && e->src != src) {
      pp = &e->next;
      continue;
    }
    *pp = e->next;
    st->current -= e->bytes;
    var_free(e->data);
    free(e);
  }
  pthread_mutex_unlock(&st->mu);
}

static void cpu_destroy(var_backend *be)
{
  cpu_state *st = be->impl;
  drop_derived(st, NULL);
  pthread_mutex_destroy(&st->mu);
  free(be->impl);
  free(be);
}

float *var_cpu_derived_find(var_backend *be, var_dptr src, int tag)
{
  cpu_state *st = be->impl;
  derived *e;
  float *found = NULL;
  if (!src.buf || src.buf->owned) return NULL;
  pthread_mutex_lock(&st->mu);
  for (e = st->derived; e; e = e->next)
    if (e->src == src.buf && e->off == src.off && e->tag == tag) {
      found = e->data;
      break;
    }
  pthread_mutex_unlock(&st->mu);
  return found;
}

int var_cpu_derived_keep(var_backend *be, var_dptr src, int tag, float *data, size_t bytes)
{
  cpu_state *st = be->impl;
  derived *e;
  /* an owned buffer may be written again (tests reuse them), so what was derived
   * from it cannot be kept */
  if (!src.buf || src.buf->owned || !(e = malloc(sizeof *e))) return 0;
  e->src = src.buf;
  e->off = src.off;
  e->tag = tag;
  e->data = data;
  e->bytes = bytes;
  pthread_mutex_lock(&st->mu);
  e->next = st->derived;
  st->derived = e;
  st->current += bytes;
  if (st->current > st->peak) st->peak = st->current;
  pthread_mutex_unlock(&st->mu);
  return 1;
}

static var_status cpu_alloc(var_backend *be, size_t bytes, var_dbuf **out)
{
  cpu_state *st = be->impl;
  var_dbuf *b = calloc(1, sizeof *b);
  var_status s;
  *out = NULL;
  if (!b) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  s = var_alloc(be->ctx, bytes, &b->host);
  if (s != VAR_OK) {
    free(b);
    return s;
  }
  b->bytes = bytes;
  b->owned = 1;
  st->current += bytes;
  if (st->current > st->peak) st->peak = st->current;
  *out = b;
  return VAR_OK;
}

static var_status cpu_wrap_const(var_backend *be, const void *host, size_t bytes, var_dbuf **out)
{
  var_dbuf *b = calloc(1, sizeof *b);
  *out = NULL;
  if (!b) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  b->host = (void *)host;   /* never written through: ops take weights as inputs only */
  b->bytes = bytes;
  b->owned = 0;
  *out = b;
  return VAR_OK;
}

static void cpu_release(var_backend *be, var_dbuf *b)
{
  cpu_state *st = be->impl;
  if (!b) return;
  if (!b->owned) drop_derived(st, b);
  if (b->owned) {
    st->current -= b->bytes;
    var_free(b->host);
  }
  free(b);
}

static int in_bounds(var_dptr p, size_t bytes)
{
  size_t off = p.off * 4;
  return p.buf && off <= p.buf->bytes && bytes <= p.buf->bytes - off;
}

static var_status cpu_write(var_backend *be, var_dptr dst, const void *src, size_t bytes)
{
  if (!in_bounds(dst, bytes)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu write out of bounds");
  memcpy(cpu_f32(dst), src, bytes);
  return VAR_OK;
}

static var_status cpu_read(var_backend *be, var_dptr src, void *dst, size_t bytes)
{
  if (!in_bounds(src, bytes)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu read out of bounds");
  memcpy(dst, cpu_f32(src), bytes);
  return VAR_OK;
}

static var_status cpu_copy(var_backend *be, var_dptr dst, var_dptr src, size_t n)
{
  if (!in_bounds(dst, n * 4) || !in_bounds(src, n * 4))
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu copy out of bounds");
  memmove(cpu_f32(dst), cpu_f32(src), n * 4);
  return VAR_OK;
}

static var_status cpu_fill(var_backend *be, var_dptr dst, float value, size_t n)
{
  float *p = cpu_f32(dst);
  size_t i;
  if (!in_bounds(dst, n * 4)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu fill out of bounds");
  for (i = 0; i < n; i++) p[i] = value;
  return VAR_OK;
}

static var_status cpu_finish(var_backend *be)
{
  (void)be;
  return VAR_OK;
}

static void cpu_memory(var_backend *be, size_t *current, size_t *peak)
{
  cpu_state *st = be->impl;
  if (current) *current = st->current;
  if (peak) *peak = st->peak;
}

static const var_backend_ops cpu_ops = {
  cpu_destroy, cpu_alloc, cpu_wrap_const, cpu_release, cpu_write, cpu_read, cpu_copy, cpu_fill, cpu_finish,
  cpu_memory,
  cpu_gemm, cpu_linear, cpu_axpby, cpu_activation,
  cpu_conv2d, cpu_group_norm, cpu_upsample_nearest2x, cpu_spatial_attention, cpu_resize_area, cpu_resize_bicubic,
  cpu_vq_argmin, cpu_codebook_gather_cm, cpu_select_cm, cpu_cm_to_tokens,
  cpu_embed_rows, cpu_add_rows, cpu_ln_modulate, cpu_gated_add, cpu_attention_kv, cpu_cfg_combine, cpu_sample,
  cpu_gumbel_mix,
  cpu_linear_lp,
};

var_status var_backend_cpu_new(var_ctx *ctx, var_backend **out)
{
  var_backend *be = calloc(1, sizeof *be);
  *out = NULL;
  if (!be) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  be->impl = calloc(1, sizeof(cpu_state));
  if (!be->impl) {
    free(be);
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  }
  pthread_mutex_init(&((cpu_state *)be->impl)->mu, NULL);
  be->ops = &cpu_ops;
  be->ctx = ctx;
  be->name = "cpu";
  *out = be;
  return VAR_OK;
}

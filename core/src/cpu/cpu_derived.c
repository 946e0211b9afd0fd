/* cpu_derived.c — data the CPU backend derives from a constant buffer (e.g.
 * the Winograd transform of a convolution's weights), kept until that buffer
 * is released; see var_cpu_derived_find/keep in cpu_ops.h. */
#include "cpu/cpu_ops.h"

#include <stdlib.h>

struct var_cpu_derived {
  const var_dbuf *src;
  size_t off;
  int tag;
  float *data;
  size_t bytes;
  var_cpu_derived *next;
};

void var_cpu_derived_drop(cpu_state *st, const var_dbuf *src)
{
  var_cpu_derived **pp = &st->derived;
  pthread_mutex_lock(&st->mu);
  while (*pp) {
    var_cpu_derived *e = *pp;
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

float *var_cpu_derived_find(var_backend *be, var_dptr src, int tag)
{
  cpu_state *st = be->impl;
  var_cpu_derived *e;
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
  var_cpu_derived *e;
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

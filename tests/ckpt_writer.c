/* ckpt_writer.c — see ckpt_writer.h. */
#include "ckpt_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "io/zip.h"   /* var_crc32 */

void b_put(bytes *b, const void *data, size_t n)
{
  if (b->n + n > b->cap) {
    size_t nc = b->cap ? b->cap : 256;
    while (nc < b->n + n) nc *= 2;
    b->p = realloc(b->p, nc);
    if (!b->p) abort();
    b->cap = nc;
  }
  if (n) memcpy(b->p + b->n, data, n);
  b->n += n;
}

void w16(uint8_t *p, unsigned v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
void w32(uint8_t *p, uint32_t v) { w16(p, v & 0xFFFF); w16(p + 2, v >> 16); }
void w64(uint8_t *p, uint64_t v) { w32(p, (uint32_t)v); w32(p + 4, (uint32_t)(v >> 32)); }

void b_u8(bytes *b, unsigned v) { uint8_t c = (uint8_t)v; b_put(b, &c, 1); }
void b_u16(bytes *b, unsigned v) { uint8_t t[2]; w16(t, v); b_put(b, t, 2); }
void b_u32(bytes *b, uint32_t v) { uint8_t t[4]; w32(t, v); b_put(b, t, 4); }
void b_u64(bytes *b, uint64_t v) { uint8_t t[8]; w64(t, v); b_put(b, t, 8); }

void b_zeros(bytes *b, size_t n)
{
  static const uint8_t z[256];
  while (n) {
    size_t k = n < sizeof z ? n : sizeof z;
    b_put(b, z, k);
    n -= k;
  }
}

void b_free(bytes *b)
{
  free(b->p);
  memset(b, 0, sizeof *b);
}

bytes b_copy(const void *data, size_t n)
{
  bytes b = { 0, 0, 0 };
  b_put(&b, data, n);
  return b;
}

/* ---- ZIP ---------------------------------------------------------------- */

bytes zw_build(const zw_entry *e, int n, const zw_options *o, zw_layout *lay)
{
  static const zw_options def = { 1, 64 };
  bytes b = { 0, 0, 0 };
  zw_layout L;
  int i;
  if (!o) o = &def;
  memset(&L, 0, sizeof L);
  if (n > ZW_MAX) abort();
  L.n = n;
  for (i = 0; i < n; i++) {
    size_t nl = strlen(e[i].name), pad = 0;
    L.local[i] = b.n;
    if (o->align) pad = (o->align - (b.n + 30 + nl + 4) % o->align) % o->align;
    b_u32(&b, 0x04034b50u);
    b_u16(&b, 20);
    b_u16(&b, e[i].flags);
    b_u16(&b, e[i].method);
    b_u32(&b, 0);   /* time, date */
    b_u32(&b, var_crc32(e[i].data, e[i].size));
    b_u32(&b, (uint32_t)e[i].size);
    b_u32(&b, (uint32_t)e[i].size);
    b_u16(&b, (unsigned)nl);
    b_u16(&b, o->align ? (unsigned)(pad + 4) : 0);
    b_put(&b, e[i].name, nl);
    if (o->align) {   /* padding in an unknown extra field, as torch does */
      b_u16(&b, 0x4b46);
      b_u16(&b, (unsigned)pad);
      b_zeros(&b, pad);
    }
    L.data[i] = b.n;
    b_put(&b, e[i].data, e[i].size);
  }
  L.cd_off = b.n;
  for (i = 0; i < n; i++) {
    size_t nl = strlen(e[i].name);
    L.central[i] = b.n;
    b_u32(&b, 0x02014b50u);
    b_u16(&b, 20);
    b_u16(&b, o->zip64 ? 45 : 20);
    b_u16(&b, e[i].flags);
    b_u16(&b, e[i].method);
    b_u32(&b, 0);
    b_u32(&b, var_crc32(e[i].data, e[i].size));
    b_u32(&b, o->zip64 ? 0xFFFFFFFFu : (uint32_t)e[i].size);
    b_u32(&b, o->zip64 ? 0xFFFFFFFFu : (uint32_t)e[i].size);
    b_u16(&b, (unsigned)nl);
    b_u16(&b, o->zip64 ? 28 : 0);
    b_u16(&b, 0);   /* comment */
    b_u16(&b, 0);   /* disk */
    b_u16(&b, 0);
    b_u32(&b, 0);
    b_u32(&b, o->zip64 ? 0xFFFFFFFFu : (uint32_t)L.local[i]);
    b_put(&b, e[i].name, nl);
    if (o->zip64) {
      b_u16(&b, 1);
      b_u16(&b, 24);
      b_u64(&b, e[i].size);
      b_u64(&b, e[i].size);
      b_u64(&b, L.local[i]);
    }
  }
  L.cd_size = b.n - L.cd_off;
  if (o->zip64) {
    L.eocd64 = b.n;
    b_u32(&b, 0x06064b50u);
    b_u64(&b, 44);
    b_u16(&b, 45);
    b_u16(&b, 45);
    b_u32(&b, 0);
    b_u32(&b, 0);
    b_u64(&b, (uint64_t)n);
    b_u64(&b, (uint64_t)n);
    b_u64(&b, L.cd_size);
    b_u64(&b, L.cd_off);
    L.locator = b.n;
    b_u32(&b, 0x07064b50u);
    b_u32(&b, 0);
    b_u64(&b, L.eocd64);
    b_u32(&b, 1);
  }
  L.eocd = b.n;
  b_u32(&b, 0x06054b50u);
  b_u16(&b, 0);
  b_u16(&b, 0);
  b_u16(&b, (unsigned)n);
  b_u16(&b, (unsigned)n);
  b_u32(&b, o->zip64 ? 0xFFFFFFFFu : (uint32_t)L.cd_size);
  b_u32(&b, o->zip64 ? 0xFFFFFFFFu : (uint32_t)L.cd_off);
  b_u16(&b, 0);
  if (lay) *lay = L;
  return b;
}

/* ---- pickles ------------------------------------------------------------ */

void pk_op(bytes *b, int op) { b_u8(b, (unsigned)op); }

void pk_str(bytes *b, const char *s)
{
  size_t n = strlen(s);
  pk_op(b, 'X');
  b_u32(b, (uint32_t)n);
  b_put(b, s, n);
}

void pk_int(bytes *b, int64_t v)
{
  if (v >= 0 && v < 256) {
    pk_op(b, 'K');
    b_u8(b, (unsigned)v);
  } else if (v >= 0 && v < 65536) {
    pk_op(b, 'M');
    b_u16(b, (unsigned)v);
  } else if (v >= INT32_MIN && v <= INT32_MAX) {
    pk_op(b, 'J');
    b_u32(b, (uint32_t)(int32_t)v);
  } else {
    pk_op(b, 0x8a);
    b_u8(b, 8);
    b_u64(b, (uint64_t)v);
  }
}

void pk_global(bytes *b, const char *module, const char *name)
{
  pk_op(b, 'c');
  b_put(b, module, strlen(module));
  b_u8(b, '\n');
  b_put(b, name, strlen(name));
  b_u8(b, '\n');
}

void pk_int_tuple(bytes *b, const int64_t *v, int n)
{
  int i;
  pk_op(b, '(');
  for (i = 0; i < n; i++) pk_int(b, v[i]);
  pk_op(b, 't');
}

void pk_contiguous(pk_tensor *t)
{
  uint64_t s = 1;   /* unsigned: absurd test shapes wrap instead of overflowing */
  int d;
  for (d = t->ndim - 1; d >= 0; d--) {
    t->stride[d] = (int64_t)(s & 0x7FFFFFFFFFFFFFFFull);
    s *= t->shape[d] ? (uint64_t)t->shape[d] : 1;
  }
}

void pk_state_dict(bytes *b, const pk_tensor *t, int n)
{
  int i;
  pk_op(b, 0x80);
  b_u8(b, 2);
  pk_global(b, "collections", "OrderedDict");
  pk_op(b, ')');
  pk_op(b, 'R');
  pk_op(b, '(');
  for (i = 0; i < n; i++) {
    pk_str(b, t[i].name);
    pk_global(b, "torch._utils", "_rebuild_tensor_v2");
    pk_op(b, '(');
    pk_op(b, '(');
    pk_str(b, "storage");
    pk_global(b, "torch", t[i].storage);
    pk_str(b, t[i].key);
    pk_str(b, "cpu");
    pk_int(b, t[i].storage_numel);
    pk_op(b, 't');
    pk_op(b, 'Q');
    pk_int(b, t[i].offset);
    pk_int_tuple(b, t[i].shape, t[i].ndim);
    pk_int_tuple(b, t[i].stride, t[i].ndim);
    pk_op(b, 0x89);
    pk_global(b, "collections", "OrderedDict");
    pk_op(b, ')');
    pk_op(b, 'R');
    pk_op(b, 't');
    pk_op(b, 'R');
  }
  pk_op(b, 'u');
  pk_op(b, '.');
}

size_t storage_elem_size(const char *s)
{
  if (!strcmp(s, "HalfStorage") || !strcmp(s, "BFloat16Storage")) return 2;
  if (!strcmp(s, "LongStorage") || !strcmp(s, "DoubleStorage")) return 8;
  if (!strcmp(s, "ByteStorage") || !strcmp(s, "BoolStorage")) return 1;
  return 4;
}

bytes make_pth(const char *prefix, const bytes *pickle, const pk_tensor *t, int n, const long *storage_bytes,
               const zw_options *o, zw_layout *lay)
{
  zw_entry e[ZW_MAX];
  char names[ZW_MAX][160];
  uint8_t *blobs[ZW_MAX];
  int ne = 0, nb = 0, i, j;
  bytes out;
  snprintf(names[ne], sizeof names[ne], "%s/data.pkl", prefix);
  e[ne].name = names[ne];
  e[ne].data = pickle->p;
  e[ne].size = pickle->n;
  e[ne].method = e[ne].flags = 0;
  ne++;
  for (i = 0; i < n; i++) {
    size_t size;
    int seen = 0;
    for (j = 0; j < i; j++)
      if (!strcmp(t[j].key, t[i].key)) seen = 1;
    if (seen) continue;
    if (ne + 2 > ZW_MAX) abort();   /* more storages than the writer holds */
    size = storage_bytes && storage_bytes[i] >= 0 ? (size_t)storage_bytes[i]
                                                  : (size_t)t[i].storage_numel * storage_elem_size(t[i].storage);
    blobs[nb] = malloc(size ? size : 1);
    if (!blobs[nb]) abort();
    for (j = 0; (size_t)j < size; j++) blobs[nb][j] = (uint8_t)(j * 7 + 1);
    snprintf(names[ne], sizeof names[ne], "%s/data/%s", prefix, t[i].key);
    e[ne].name = names[ne];
    e[ne].data = blobs[nb];
    e[ne].size = size;
    e[ne].method = e[ne].flags = 0;
    ne++;
    nb++;
  }
  snprintf(names[ne], sizeof names[ne], "%s/version", prefix);
  e[ne].name = names[ne];
  e[ne].data = (const uint8_t *)"3\n";
  e[ne].size = 2;
  e[ne].method = e[ne].flags = 0;
  ne++;
  out = zw_build(e, ne, o, lay);
  for (i = 0; i < nb; i++) free(blobs[i]);
  return out;
}

bytes make_pth_sd(const char *prefix, const pk_tensor *t, int n, zw_layout *lay)
{
  bytes pkl = { 0, 0, 0 }, out;
  pk_state_dict(&pkl, t, n);
  out = make_pth(prefix, &pkl, t, n, NULL, NULL, lay);
  b_free(&pkl);
  return out;
}

/* ---- safetensors ---------------------------------------------------------- */

bytes make_safetensors(const char *header, const void *data, size_t n)
{
  bytes b = { 0, 0, 0 };
  b_u64(&b, strlen(header));
  b_put(&b, header, strlen(header));
  b_put(&b, data, n);
  return b;
}

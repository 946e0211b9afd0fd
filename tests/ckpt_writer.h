/* ckpt_writer.h — builds checkpoint files byte by byte for the loader tests:
 * a growable byte buffer, a ZIP/ZIP64 writer that reports where it put each
 * record (so a test can corrupt exactly one field), a pickle emitter with a
 * torch-like state-dict writer, and a safetensors writer.  Test code only: it
 * aborts on out-of-memory. */
#ifndef VAR_CKPT_WRITER_H
#define VAR_CKPT_WRITER_H

#include <stddef.h>
#include <stdint.h>

typedef struct bytes {
  uint8_t *p;
  size_t n, cap;
} bytes;

void b_put(bytes *b, const void *data, size_t n);
void b_u8(bytes *b, unsigned v);
void b_u16(bytes *b, unsigned v);
void b_u32(bytes *b, uint32_t v);
void b_u64(bytes *b, uint64_t v);
void b_zeros(bytes *b, size_t n);
void b_free(bytes *b);
bytes b_copy(const void *data, size_t n);
void w16(uint8_t *p, unsigned v);
void w32(uint8_t *p, uint32_t v);
void w64(uint8_t *p, uint64_t v);

/* ---- ZIP ---------------------------------------------------------------- */

#define ZW_MAX 256

typedef struct zw_entry {
  const char *name;
  const uint8_t *data;
  size_t size;
  unsigned method;          /* 0 stored; 8 pretends to be deflated (data as given) */
  unsigned flags;           /* general-purpose flags, 1 = encrypted */
} zw_entry;

typedef struct zw_options {
  int zip64;                /* ZIP64 extra fields, end record and locator (torch writes them always) */
  unsigned align;           /* data alignment, e.g. 64 (torch); 0 = none */
} zw_options;

typedef struct zw_layout {
  int n;
  size_t local[ZW_MAX];     /* local header offsets */
  size_t data[ZW_MAX];      /* data offsets */
  size_t central[ZW_MAX];   /* central directory entry offsets */
  size_t cd_off, cd_size;
  size_t eocd64, locator;   /* 0 when not zip64 */
  size_t eocd;
} zw_layout;

/* Writes entries into a fresh buffer.  lay may be NULL. */
bytes zw_build(const zw_entry *e, int n, const zw_options *o, zw_layout *lay);

/* ---- pickles ------------------------------------------------------------ */

void pk_op(bytes *b, int op);
void pk_str(bytes *b, const char *s);             /* BINUNICODE */
void pk_int(bytes *b, int64_t v);                  /* BININT1 / BININT2 / BININT / LONG1 */
void pk_global(bytes *b, const char *module, const char *name);
void pk_int_tuple(bytes *b, const int64_t *v, int n);

typedef struct pk_tensor {
  const char *name;
  const char *storage;      /* "FloatStorage", ... */
  const char *key;          /* storage key: archive entry <prefix>/data/<key> */
  int64_t storage_numel;
  int64_t offset;
  int ndim;
  int64_t shape[10];
  int64_t stride[10];
} pk_tensor;

/* A torch-style state-dict pickle (protocol 2, OrderedDict, SETITEMS). */
void pk_state_dict(bytes *b, const pk_tensor *t, int n);
/* Contiguous strides for t->shape. */
void pk_contiguous(pk_tensor *t);

/* A .pth archive: <prefix>/data.pkl = pickle, <prefix>/version, then one
 * entry per distinct storage key of t (t may be NULL), of storage_bytes[i]
 * bytes (or storage_numel * element size when storage_bytes is NULL or
 * storage_bytes[i] < 0), filled with the byte pattern (index * 7 + 1). */
bytes make_pth(const char *prefix, const bytes *pickle, const pk_tensor *t, int n, const long *storage_bytes,
               const zw_options *o, zw_layout *lay);
/* make_pth with pk_state_dict(t) as the pickle. */
bytes make_pth_sd(const char *prefix, const pk_tensor *t, int n, zw_layout *lay);
size_t storage_elem_size(const char *storage);

/* ---- safetensors ---------------------------------------------------------- */

/* 8-byte little-endian header length, the header, then the data. */
bytes make_safetensors(const char *header, const void *data, size_t n);

#endif

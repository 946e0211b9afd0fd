/* ckpt.c — opening checkpoints: file mapping, format detection, the .pth and
 * safetensors readers, and validation of every tensor against the file. */
#include "io/ckpt.h"
#include "io/json.h"
#include "io/pickle.h"
#include "io/zip.h"
#include "os.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#ifndef _WIN32
#include <sys/mman.h>
#endif

const char *var_shape_str(const int64_t *shape, int ndim, char *buf, size_t n)
{
  size_t used = 0;
  int i;
  used += (size_t)snprintf(buf, n, "[");
  for (i = 0; i < ndim && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, i ? ", %lld" : "%lld", (long long)shape[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
  return buf;
}

const char *var_dtype_name(var_dtype dt)
{
  switch (dt) {
  case VAR_DTYPE_F32: return "float32";
  case VAR_DTYPE_F16: return "float16";
  case VAR_DTYPE_BF16: return "bfloat16";
  case VAR_DTYPE_I64: return "int64";
  case VAR_DTYPE_I32: return "int32";
  case VAR_DTYPE_U8: return "uint8";
  case VAR_DTYPE_I8: return "int8";
  }
  return "?";
}

static var_status build_index(var_checkpoint *ck)
{
  int i, dup;
  ck->by_name = malloc(sizeof *ck->by_name * (size_t)(ck->n ? ck->n : 1));
  if (!ck->by_name) return var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  for (i = 0; i < ck->n; i++) {
    ck->by_name[i].name = ck->tensors[i].name;
    ck->by_name[i].index = i;
  }
  dup = var_names_sort(ck->by_name, ck->n);
  if (dup >= 0)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "checkpoint has the tensor \"%.200s\" twice", ck->by_name[dup].name);
  return VAR_OK;
}

const var_ckpt_tensor *var_ckpt_find(const var_checkpoint *ck, const char *name)
{
  int i;
  if (!ck || !ck->by_name || !name) return NULL;
  i = var_names_find(ck->by_name, ck->n, name);
  return i < 0 ? NULL : &ck->tensors[i];
}

static var_status keep_owned(var_checkpoint *ck, void *p)
{
  void **n = realloc(ck->owned, sizeof(void *) * (size_t)(ck->n_owned + 1));
  if (!n) return var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  ck->owned = n;
  ck->owned[ck->n_owned++] = p;
  return VAR_OK;
}

/* Checks shape/numel overflow and points t->data at [data, data+avail). Copies
 * the bytes when they are not aligned to the element size. */
static var_status place_tensor(var_checkpoint *ck, var_ckpt_tensor *t, const uint8_t *data, uint64_t avail)
{
  size_t es = var_dtype_size(t->dtype);
  uint64_t numel = 1, bytes;
  int d;
  for (d = 0; d < t->ndim; d++) {
    if (t->shape[d] < 0) return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" has a negative size", t->name);
    if (t->shape[d] && numel > (UINT64_MAX / 16) / (uint64_t)t->shape[d])
      return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" has an absurd shape", t->name);
    numel *= (uint64_t)t->shape[d];
  }
  bytes = numel * es;
  if (bytes > avail)
    return var_fail(
        ck->ctx, VAR_ERR_FORMAT,
        "tensor \"%.200s\" needs %llu bytes but the file holds only %llu for it (truncated or corrupt checkpoint)",
        t->name, (unsigned long long)bytes, (unsigned long long)avail);
  t->numel = (int64_t)numel;
  t->nbytes = (size_t)bytes;
  if (((uintptr_t)data % es) != 0) {
    void *copy;
    var_status st = var_alloc(ck->ctx, (size_t)bytes, &copy);
    if (st != VAR_OK) return st;
    memcpy(copy, data, (size_t)bytes);
    if ((st = keep_owned(ck, copy)) != VAR_OK) {
      var_free(copy);
      return st;
    }
    data = copy;
  }
  t->data = data;
  return VAR_OK;
}

/* Checks a tensor's strides: zero-copy needs row-major contiguous tensors,
 * which is what state dicts hold (a transposed view would be saved with its
 * whole storage and permuted strides). */
static var_status check_contiguous(var_checkpoint *ck, const var_pkl_tensor *p)
{
  int64_t expect = 1;
  int d;
  for (d = p->ndim - 1; d >= 0; d--) {
    if (p->shape[d] != 1 && p->stride[d] != expect && p->shape[d] != 0)
      return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED,
                      "tensor \"%.200s\" is not contiguous (size %lld has stride %lld, expected %lld); save "
                      "t.contiguous() instead", p->name, (long long)p->shape[d], (long long)p->stride[d],
                      (long long)expect);
    if (p->shape[d] > 1 && expect > INT64_MAX / p->shape[d])
      return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" has an absurd shape", p->name);
    if (p->shape[d] > 1) expect *= p->shape[d];
  }
  return VAR_OK;
}

/* Finds <prefix>/data.pkl, the one entry every torch zip checkpoint has. */
static var_status find_pickle(var_checkpoint *ck, const var_zip *zip, const var_zip_entry **pkl, size_t *prefix_len)
{
  int i;
  *pkl = NULL;
  for (i = 0; i < zip->n_entries; i++) {
    const char *n = zip->entries[i].name, *slash = strrchr(n, '/');
    if (slash && !strcmp(slash, "/data.pkl")) {
      if (*pkl) return var_fail(ck->ctx, VAR_ERR_FORMAT, "checkpoint archive holds more than one data.pkl");
      *pkl = &zip->entries[i];
      *prefix_len = (size_t)(slash - n);
    }
  }
  if (!*pkl) return var_fail(ck->ctx, VAR_ERR_FORMAT, "zip archive has no */data.pkl: not a PyTorch checkpoint");
  if (!(*pkl)->stored)
    return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "data.pkl is compressed; torch.save never does that");
  /* The only bytes of the file that are read in full: the pickle, a few KB. */
  if (var_crc32(ck->map + (*pkl)->data_offset, (size_t)(*pkl)->size) != (*pkl)->crc32) {
#ifndef FUZZING_BUILD_MODE_UNSAFE_FOR_PRODUCTION   /* lets the fuzzer reach the pickle reader */
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "data.pkl fails its CRC check: the checkpoint is corrupt");
#endif
  }
  return VAR_OK;
}

/* <prefix>/byteorder (torch >= 1.12) says how the tensor bytes are stored;
 * when absent the writer was little-endian (older torch wrote no big-endian files). */
static var_status check_byteorder(var_checkpoint *ck, const var_zip *zip, const char *prefix)
{
  char name[1100];
  const var_zip_entry *e;
  if (strlen(prefix) > 1024) return VAR_OK;
  snprintf(name, sizeof name, "%s/byteorder", prefix);
  e = var_zip_find(zip, name);
  if (!e) return VAR_OK;
  if (e->stored && e->size == 6 && !memcmp(ck->map + e->data_offset, "little", 6)) return VAR_OK;
  if (e->stored && e->size == 3 && !memcmp(ck->map + e->data_offset, "big", 3))
    return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "checkpoint was saved on a big-endian machine; only little-endian "
                    "checkpoints are supported");
  return var_fail(ck->ctx, VAR_ERR_FORMAT, "checkpoint has an unreadable byteorder entry");
}

/* Points tensor i at its bytes inside <prefix>/data/<storage_key>. */
static var_status place_pth_tensor(var_checkpoint *ck, const var_zip *zip, const char *prefix, const var_pkl_tensor *p,
                                   var_ckpt_tensor *t)
{
  size_t es = var_dtype_size(p->dtype), plen = strlen(prefix), klen = strlen(p->storage_key);
  char entry[1200];
  const var_zip_entry *e;
  var_status st;
  int d;
  t->dtype = p->dtype;
  t->ndim = p->ndim;
  for (d = 0; d < p->ndim; d++) t->shape[d] = p->shape[d];
  if ((st = check_contiguous(ck, p)) != VAR_OK) return st;
  if (plen + klen + 7 >= sizeof entry)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "storage key of \"%.200s\" is too long", p->name);
  memcpy(entry, prefix, plen);
  memcpy(entry + plen, "/data/", 6);
  memcpy(entry + plen + 6, p->storage_key, klen + 1);
  e = var_zip_find(zip, entry);
  if (!e)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\": its storage %.300s is missing from the archive",
                    p->name, entry);
  if (!e->stored) return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "storage %.300s is compressed", entry);
  if ((uint64_t)p->storage_numel > e->size / es)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "storage %.300s claims %lld elements of %s but holds only %llu bytes",
                    entry, (long long)p->storage_numel, var_dtype_name(p->dtype), (unsigned long long)e->size);
  if (p->offset > p->storage_numel)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" starts at element %lld, past the end of its "
                    "%lld-element storage", p->name, (long long)p->offset, (long long)p->storage_numel);
  return place_tensor(ck, t, ck->map + e->data_offset + (uint64_t)p->offset * es,
                      (uint64_t)(p->storage_numel - p->offset) * es);
}

static var_status open_pth(var_checkpoint *ck)
{
  var_zip zip;
  var_pkl_state_dict sd;
  const var_zip_entry *pkl = NULL;
  char *prefix = NULL;
  size_t plen = 0;
  var_status st;
  int i;

  memset(&sd, 0, sizeof sd);
  if ((st = var_zip_open(ck->ctx, ck->map, ck->map_size, &zip)) != VAR_OK) return st;
  /* The archive prefix differs between files and torch versions: find <prefix>/data.pkl. */
  st = find_pickle(ck, &zip, &pkl, &plen);
  if (st == VAR_OK && !(prefix = malloc(plen + 1))) st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  if (st == VAR_OK) {
    memcpy(prefix, pkl->name, plen);
    prefix[plen] = '\0';
    st = check_byteorder(ck, &zip, prefix);
  }
  if (st == VAR_OK) st = var_pickle_state_dict(ck->ctx, ck->map + pkl->data_offset, (size_t)pkl->size, &sd);
  if (st == VAR_OK && !(ck->tensors = calloc((size_t)sd.n + 1, sizeof *ck->tensors)))
    st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  for (i = 0; st == VAR_OK && i < sd.n; i++) {
    var_ckpt_tensor *t = &ck->tensors[i];
    t->name = var_strdup(sd.tensors[i].name);
    ck->n = i + 1;
    if (!t->name) st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
    else st = place_pth_tensor(ck, &zip, prefix, &sd.tensors[i], t);
  }
  free(prefix);
  var_pickle_state_dict_free(&sd);
  var_zip_close(&zip);
  return st;
}

static var_status st_dtype(var_checkpoint *ck, const char *s, const char *name, var_dtype *out)
{
  char buf[24];
  size_t i;
  if (!strcmp(s, "F32")) *out = VAR_DTYPE_F32;
  else if (!strcmp(s, "F16")) *out = VAR_DTYPE_F16;
  else if (!strcmp(s, "BF16")) *out = VAR_DTYPE_BF16;
  else if (!strcmp(s, "I64")) *out = VAR_DTYPE_I64;
  else if (!strcmp(s, "I32")) *out = VAR_DTYPE_I32;
  else if (!strcmp(s, "U8")) *out = VAR_DTYPE_U8;
  else if (!strcmp(s, "I8")) *out = VAR_DTYPE_I8;
  else {
    for (i = 0; s[i] && i + 1 < sizeof buf; i++) buf[i] = (s[i] >= 0x20 && s[i] < 0x7F) ? s[i] : '?';
    buf[i] = '\0';
    return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED,
                    "safetensors tensor \"%.200s\" has dtype %s (supported: F32, F16, BF16, I64, I32, U8, I8)", name, buf);
  }
  return VAR_OK;
}

typedef struct span { uint64_t begin, end; int tensor; } span;

static int span_cmp(const void *a, const void *b)
{
  const span *x = a, *y = b;
  return x->begin < y->begin ? -1 : x->begin > y->begin ? 1 : (x->tensor > y->tensor) - (x->tensor < y->tensor);
}

/* Two tensors whose bytes overlap are a corrupt header (the format's writer
 * lays them end to end); an empty tensor overlaps nothing. */
static var_status check_overlaps(var_checkpoint *ck, span *spans, int n)
{
  int i;
  qsort(spans, (size_t)n, sizeof *spans, span_cmp);
  for (i = 1; i < n; i++)
    if (spans[i].begin < spans[i - 1].end)
      return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors tensors \"%.200s\" and \"%.200s\" overlap",
                      ck->tensors[spans[i - 1].tensor].name, ck->tensors[spans[i].tensor].name);
  return VAR_OK;
}

/* One header entry {"dtype": ..., "shape": [...], "data_offsets": [b, e]}. */
static var_status read_st_entry(var_checkpoint *ck, const var_json *e, uint64_t base, var_ckpt_tensor *t, span *sp)
{
  const var_json *dt = var_json_get(e, "dtype"), *shape = var_json_get(e, "shape"),
                 *offs = var_json_get(e, "data_offsets");
  var_status st;
  int64_t b, en;
  int d;
  if (!dt || dt->kind != VAR_JSON_STRING || !shape || shape->kind != VAR_JSON_ARRAY || !offs ||
      offs->kind != VAR_JSON_ARRAY || offs->n != 2)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors entry \"%.200s\" lacks dtype, shape or data_offsets",
                    t->name);
  if ((st = st_dtype(ck, dt->string, t->name, &t->dtype)) != VAR_OK) return st;
  if (shape->n > VAR_MAX_DIMS)
    return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "tensor \"%.200s\" has %d dimensions (at most %d are supported)",
                    t->name, shape->n, VAR_MAX_DIMS);
  t->ndim = shape->n;
  for (d = 0; d < shape->n; d++) {
    if (shape->items[d].kind != VAR_JSON_NUMBER || !shape->items[d].is_integer || shape->items[d].integer < 0)
      return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" has a shape that is not a list of sizes", t->name);
    t->shape[d] = shape->items[d].integer;
  }
  if (offs->items[0].kind != VAR_JSON_NUMBER || !offs->items[0].is_integer || offs->items[1].kind != VAR_JSON_NUMBER ||
      !offs->items[1].is_integer)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" has data_offsets that are not two integers", t->name);
  b = offs->items[0].integer;
  en = offs->items[1].integer;
  if (b < 0 || en < b || (uint64_t)en > ck->map_size - base)
    return var_fail(ck->ctx, VAR_ERR_FORMAT,
                    "tensor \"%.200s\" has data_offsets [%lld, %lld] outside the %llu data bytes (truncated file?)",
                    t->name, (long long)b, (long long)en, (unsigned long long)(ck->map_size - base));
  if ((st = place_tensor(ck, t, ck->map + base + (uint64_t)b, (uint64_t)(en - b))) != VAR_OK) return st;
  if (t->nbytes != (size_t)(en - b))
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\": its shape needs %llu bytes but data_offsets span %lld",
                    t->name, (unsigned long long)t->nbytes, (long long)(en - b));
  sp->begin = (uint64_t)b;
  sp->end = (uint64_t)en;
  return VAR_OK;
}

/* __metadata__ is a string -> string map (the format's own definition). */
static var_status check_metadata(var_checkpoint *ck, const var_json *md)
{
  int i;
  if (md->kind != VAR_JSON_OBJECT)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors __metadata__ is not an object");
  for (i = 0; i < md->n; i++)
    if (md->items[i].kind != VAR_JSON_STRING)
      return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors __metadata__ value \"%.200s\" is not a string",
                      md->keys[i]);
  return VAR_OK;
}

static var_status open_safetensors(var_checkpoint *ck)
{
  uint64_t hlen = 0, base;
  var_json *h = NULL;
  span *spans = NULL;
  var_status st;
  int i, n = 0;
  for (i = 7; i >= 0; i--) hlen = (hlen << 8) | ck->map[i];
  /* 100 MB is the format's own limit; real headers are a few tens of KB. */
  if (hlen > ck->map_size - 8 || hlen > 100000000u)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors header of %llu bytes does not fit the %llu-byte file%s",
                    (unsigned long long)hlen, (unsigned long long)ck->map_size,
                    hlen > 100000000u ? " (or the 100 MB limit)" : " (truncated?)");
  base = 8 + hlen;
  if ((st = var_json_parse(ck->ctx, (const char *)ck->map + 8, (size_t)hlen, &h)) != VAR_OK)
    return var_fail_prefix(ck->ctx, st, "safetensors header");
  if (h->kind != VAR_JSON_OBJECT) {
    var_json_free(h);
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors header is not a JSON object");
  }
  ck->tensors = calloc((size_t)h->n + 1, sizeof *ck->tensors);
  spans = calloc((size_t)h->n + 1, sizeof *spans);
  if (!ck->tensors || !spans) st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  for (i = 0; st == VAR_OK && i < h->n; i++) {
    var_ckpt_tensor *t;
    if (!strcmp(h->keys[i], "__metadata__")) {
      st = check_metadata(ck, &h->items[i]);
      continue;
    }
    t = &ck->tensors[n];
    if (!(t->name = var_strdup(h->keys[i]))) {
      st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
      break;
    }
    ck->n = n + 1;
    spans[n].tensor = n;
    st = read_st_entry(ck, &h->items[i], base, t, &spans[n]);
    n++;
  }
  if (st == VAR_OK) st = check_overlaps(ck, spans, n);
  free(spans);
  var_json_free(h);
  return st;
}

/* Maps the whole file read-only.  (As with any mmap-based loader, a file that
 * another process truncates while it is mapped raises SIGBUS when the lost
 * pages are touched; a file that is merely replaced by rename is safe.) */
static var_status map_file(var_checkpoint *ck, const char *path)
{
#ifdef _WIN32
  var_status st = var_os_map_file(ck->ctx, path, &ck->map, &ck->map_size);
  if (st == VAR_OK) ck->mapped = VAR_CKPT_MMAP;
  return st;
#else
  int fd = open(path, O_RDONLY);
  struct stat sb;
  if (fd < 0) return var_fail(ck->ctx, VAR_ERR_IO, "cannot open the file: %s", strerror(errno));
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return var_fail(ck->ctx, VAR_ERR_IO, "not a regular file");
  }
  if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX) {
    close(fd);
    return var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "too large to map on this system");
  }
  ck->map_size = (size_t)sb.st_size;
  if (ck->map_size < 8) {
    close(fd);
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "too short (%zu bytes) to be a checkpoint", ck->map_size);
  }
#ifndef _WIN32
  {
    void *m = mmap(NULL, ck->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      ck->map = m;
      ck->mapped = VAR_CKPT_MMAP;
      close(fd);
      /* Opening touches only the directory, the local headers and data.pkl.
       * Those reads go from the start to the end of the file, which the kernel
       * takes for a sequential scan: with its default read-ahead it would pull
       * half of a cold 1.2 GB file into memory (measured).  Random access
       * while opening, the normal policy again once the tensors are used. */
      posix_madvise(m, ck->map_size, POSIX_MADV_RANDOM);
      return VAR_OK;
    }
  }
#endif
  {
    /* No mmap: read the file into memory. */
    uint8_t *buf;
    size_t got = 0;
    var_status st = var_alloc(ck->ctx, ck->map_size, (void **)&buf);
    if (st != VAR_OK) {
      close(fd);
      return st;
    }
    while (got < ck->map_size) {
      ssize_t r = read(fd, buf + got, ck->map_size - got);
      if (r <= 0) {
        var_free(buf);
        close(fd);
        return var_fail(ck->ctx, VAR_ERR_IO, "read error: %s", r < 0 ? strerror(errno) : "file shrank while reading");
      }
      got += (size_t)r;
    }
    close(fd);
    ck->map = buf;
    ck->mapped = VAR_CKPT_HEAP;
  }
  return VAR_OK;
#endif
}

void var_checkpoint_free(var_checkpoint *ck)
{
  int i;
  if (!ck) return;
  for (i = 0; i < ck->n; i++) {
    free(ck->tensors[i].name);
    var_free(ck->tensors[i].f32);
  }
  for (i = 0; i < ck->n_owned; i++) var_free(ck->owned[i]);
  free(ck->owned);
  free(ck->tensors);
  free(ck->by_name);
#ifdef _WIN32
  if (ck->map && ck->mapped == VAR_CKPT_MMAP) var_os_unmap_file(ck->map);
#else
  if (ck->map && ck->mapped == VAR_CKPT_MMAP) munmap((void *)ck->map, ck->map_size);
#endif
  if (ck->map && ck->mapped == VAR_CKPT_HEAP) var_free((void *)ck->map);
  free(ck->path);
  free(ck);
}

/* What a pre-1.6 torch.save file starts with: PROTO 2, then the LONG1 magic
 * number 0x1950a86a20f9469cfc6c. */
static const uint8_t legacy_magic[14] = { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c,
                                          0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19 };

/* Format detection and the reader; ck->map is set. */
static var_status open_mapped(var_checkpoint *ck)
{
  const uint8_t *m = ck->map;
  var_status st;
  if (ck->map_size < 8)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "too short (%zu bytes) to be a checkpoint", ck->map_size);
  if (m[0] == 'P' && m[1] == 'K' && m[2] == 3 && m[3] == 4) {
    ck->format = VAR_CKPT_PTH;
    st = open_pth(ck);
  } else if (ck->map_size > 9 && m[8] == '{') {
    ck->format = VAR_CKPT_SAFETENSORS;
    st = open_safetensors(ck);
  } else if (ck->map_size >= sizeof legacy_magic && !memcmp(m, legacy_magic, sizeof legacy_magic)) {
    st = var_fail(ck->ctx, VAR_ERR_UNSUPPORTED,
                  "legacy (pre-1.6) torch.save format; re-save it with a current torch (torch.save(torch.load(f), f))");
  } else if (m[0] == 0x80) {
    st = var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "a bare pickle, not a PyTorch checkpoint (a .pth is a zip archive); "
                  "nothing in it was run");
  } else {
    st = var_fail(ck->ctx, VAR_ERR_FORMAT, "neither a PyTorch zip checkpoint nor a safetensors file");
  }
  if (st == VAR_OK) st = build_index(ck);
  return st;
}

static var_status new_checkpoint(var_ctx *ctx, const char *path, var_checkpoint **out)
{
  var_checkpoint *ck = calloc(1, sizeof *ck);
  if (!ck) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  ck->ctx = ctx;
  ck->path = var_strdup(path);
  if (!ck->path) {
    free(ck);
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  }
  *out = ck;
  return VAR_OK;
}

static var_status finish_open(var_checkpoint *ck, var_status st, var_checkpoint **out)
{
  if (st != VAR_OK) {
    var_fail_prefix(ck->ctx, st, "%s", ck->path);
    var_checkpoint_free(ck);
    return st;
  }
#ifndef _WIN32
  if (ck->mapped == VAR_CKPT_MMAP) posix_madvise((void *)ck->map, ck->map_size, POSIX_MADV_NORMAL);
#endif
  *out = ck;
  return VAR_OK;
}

var_status var_checkpoint_open(var_ctx *ctx, const char *path, var_checkpoint **out)
{
  var_checkpoint *ck;
  var_status st;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_open: out is NULL");
  *out = NULL;
  if (!ctx || !path) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_open: NULL context or path");
  var_clear_error(ctx);
  if ((st = new_checkpoint(ctx, path, &ck)) != VAR_OK) return st;
  st = map_file(ck, path);
  if (st == VAR_OK) st = open_mapped(ck);
  return finish_open(ck, st, out);
}

var_status var_checkpoint_open_memory(var_ctx *ctx, const void *data, size_t size, const char *name,
                                      var_checkpoint **out)
{
  var_checkpoint *ck;
  var_status st;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_open_memory: out is NULL");
  *out = NULL;
  if (!ctx || (!data && size))
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_open_memory: NULL context or data");
  var_clear_error(ctx);
  if ((st = new_checkpoint(ctx, name ? name : "(memory)", &ck)) != VAR_OK) return st;
  ck->map = data;
  ck->map_size = size;
  ck->mapped = VAR_CKPT_BORROWED;
  return finish_open(ck, open_mapped(ck), out);
}

int var_checkpoint_n_tensors(const var_checkpoint *ck) { return ck ? ck->n : 0; }

int var_checkpoint_find(const var_checkpoint *ck, const char *name)
{
  const var_ckpt_tensor *t = ck && name ? var_ckpt_find(ck, name) : NULL;
  return t ? (int)(t - ck->tensors) : -1;
}

var_checkpoint_format var_checkpoint_get_format(const var_checkpoint *ck)
{
  return ck && ck->format == VAR_CKPT_SAFETENSORS ? VAR_CHECKPOINT_SAFETENSORS : VAR_CHECKPOINT_PTH;
}

var_status var_checkpoint_tensor(const var_checkpoint *ck, int i, var_tensor_info *info)
{
  const var_ckpt_tensor *t;
  int d;
  if (!ck || !info || i < 0 || i >= ck->n)
    return var_fail(ck ? ck->ctx : NULL, VAR_ERR_INVALID_ARGUMENT, "tensor index %d out of range", i);
  t = &ck->tensors[i];
  memset(info, 0, sizeof *info);
  info->name = t->name;
  info->dtype = t->dtype;
  info->ndim = t->ndim;
  for (d = 0; d < t->ndim; d++) info->shape[d] = t->shape[d];
  info->numel = t->numel;
  return VAR_OK;
}

float var_half_to_float(uint16_t h)
{
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1F, man = h & 0x3FF, bits;
  float f;
  if (exp == 0) {
    /* subnormal: man * 2^-24 */
    f = (float)man * (1.0f / 16777216.0f);
    return sign ? -f : f;
  }
  if (exp == 31) bits = sign | 0x7F800000u | (man << 13);
  else bits = sign | ((exp + 112) << 23) | (man << 13);
  memcpy(&f, &bits, 4);
  return f;
}

var_status var_ckpt_f32(var_checkpoint *ck, const char *name, int ndim, const int64_t *dims, const float **data,
                        const var_ckpt_tensor **info)
{
  var_ckpt_tensor *t = (var_ckpt_tensor *)var_ckpt_find(ck, name);
  char a[128], b[128];
  int d, ok;
  if (info) *info = NULL;
  *data = NULL;
  if (!t) return var_fail(ck->ctx, VAR_ERR_NOT_FOUND, "%s: tensor \"%s\" is missing", ck->path, name);
  ok = (t->ndim == ndim);
  for (d = 0; ok && d < ndim; d++)
    if (dims[d] >= 0 && dims[d] != t->shape[d]) ok = 0;
  if (!ok)
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "%s: tensor \"%s\" has shape %s, expected %s", ck->path, name,
                    var_shape_str(t->shape, t->ndim, a, sizeof a), var_shape_str(dims, ndim, b, sizeof b));
  if (t->dtype == VAR_DTYPE_F32) {
    *data = t->data;
  } else if (t->dtype == VAR_DTYPE_F16 || t->dtype == VAR_DTYPE_BF16) {
    if (!t->f32) {
      const uint16_t *src = t->data;
      float *dst;
      int64_t i;
      var_status st = var_alloc(ck->ctx, var_size_mul((size_t)t->numel, 4), (void **)&dst);
      if (st != VAR_OK) return st;
      for (i = 0; i < t->numel; i++) {
        if (t->dtype == VAR_DTYPE_F16) {
          dst[i] = var_half_to_float(src[i]);
        } else {
          uint32_t bits = (uint32_t)src[i] << 16;
          memcpy(&dst[i], &bits, 4);
        }
      }
      t->f32 = dst;
    }
    *data = t->f32;
  } else {
    return var_fail(ck->ctx, VAR_ERR_SHAPE, "%s: tensor \"%s\" is %s, expected floating point", ck->path, name,
                    var_dtype_name(t->dtype));
  }
  if (info) *info = t;
  return VAR_OK;
}

void var_ckpt_drop_pages(const var_checkpoint *ck, const var_ckpt_tensor *t)
{
#if !defined(_WIN32) && defined(MADV_DONTNEED)
  const uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t b = (uintptr_t)t->data, e = b + t->nbytes;
  if (ck->mapped != VAR_CKPT_MMAP || !page || (const uint8_t *)t->data < ck->map ||
      (const uint8_t *)t->data + t->nbytes > ck->map + ck->map_size)
    return;
  b = (b + page - 1) / page * page;   /* whole pages inside the tensor only */
  e = e / page * page;
  if (e > b) madvise((void *)b, e - b, MADV_DONTNEED);
#else
  (void)ck;
  (void)t;
#endif
}

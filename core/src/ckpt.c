/* ckpt.c — opening checkpoints: file mapping, format detection, the .pth and
 * safetensors readers, and validation of every tensor against the file. */
#include "ckpt.h"
#include "json.h"
#include "pickle.h"
#include "zip.h"

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

static char *dupstr(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

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
  }
  return "?";
}

static uint32_t hash_name(const char *s)
{
  uint32_t h = 2166136261u;
  while (*s) h = (h ^ (uint8_t)*s++) * 16777619u;
  return h;
}

static var_status build_index(var_checkpoint *ck)
{
  int i, cap = 16;
  while (cap < ck->n * 2) cap *= 2;
  ck->hash = malloc(sizeof(int) * (size_t)cap);
  if (!ck->hash) return var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  ck->hash_cap = cap;
  for (i = 0; i < cap; i++) ck->hash[i] = -1;
  for (i = 0; i < ck->n; i++) {
    uint32_t h = hash_name(ck->tensors[i].name) & (uint32_t)(cap - 1);
    while (ck->hash[h] >= 0) {
      if (!strcmp(ck->tensors[ck->hash[h]].name, ck->tensors[i].name))
        return var_fail(ck->ctx, VAR_ERR_FORMAT, "checkpoint has the tensor \"%.200s\" twice", ck->tensors[i].name);
      h = (h + 1) & (uint32_t)(cap - 1);
    }
    ck->hash[h] = i;
  }
  return VAR_OK;
}

const var_ckpt_tensor *var_ckpt_find(const var_checkpoint *ck, const char *name)
{
  uint32_t h;
  if (!ck || !ck->hash || !name) return NULL;
  h = hash_name(name) & (uint32_t)(ck->hash_cap - 1);
  while (ck->hash[h] >= 0) {
    if (!strcmp(ck->tensors[ck->hash[h]].name, name)) return &ck->tensors[ck->hash[h]];
    h = (h + 1) & (uint32_t)(ck->hash_cap - 1);
  }
  return NULL;
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
    return var_fail(ck->ctx, VAR_ERR_FORMAT,
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

static var_status open_pth(var_checkpoint *ck)
{
  var_zip zip;
  var_pkl_state_dict sd;
  const var_zip_entry *pkl = NULL;
  char prefix[1024], entry[2048];
  var_status st;
  int i;
  size_t plen = 0;

  if ((st = var_zip_open(ck->ctx, ck->map, ck->map_size, &zip)) != VAR_OK) return st;
  /* The archive prefix differs between files and torch versions: find <prefix>/data.pkl. */
  for (i = 0; i < zip.n_entries; i++) {
    const char *n = zip.entries[i].name, *slash = strrchr(n, '/');
    if (slash && !strcmp(slash, "/data.pkl") && (size_t)(slash - n) < sizeof prefix) {
      if (pkl) {
        var_zip_close(&zip);
        return var_fail(ck->ctx, VAR_ERR_FORMAT, "checkpoint archive holds more than one data.pkl");
      }
      pkl = &zip.entries[i];
      plen = (size_t)(slash - n);
      memcpy(prefix, n, plen);
      prefix[plen] = '\0';
    }
  }
  if (!pkl) {
    var_zip_close(&zip);
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "zip archive has no */data.pkl: not a PyTorch checkpoint");
  }
  if (!pkl->stored) {
    var_zip_close(&zip);
    return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "data.pkl is compressed; torch.save never does that");
  }
  if (var_crc32(ck->map + pkl->data_offset, (size_t)pkl->size) != pkl->crc32) {
    var_zip_close(&zip);
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "data.pkl fails its CRC check: the checkpoint is corrupt");
  }
  st = var_pickle_state_dict(ck->ctx, ck->map + pkl->data_offset, (size_t)pkl->size, &sd);
  if (st != VAR_OK) {
    var_zip_close(&zip);
    return st;
  }
  ck->tensors = calloc((size_t)sd.n + 1, sizeof *ck->tensors);
  if (!ck->tensors) st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  for (i = 0; st == VAR_OK && i < sd.n; i++) {
    const var_pkl_tensor *p = &sd.tensors[i];
    var_ckpt_tensor *t = &ck->tensors[i];
    const var_zip_entry *e;
    size_t es = var_dtype_size(p->dtype);
    int64_t expect = 1;
    int d;
    uint64_t off_bytes;
    t->name = dupstr(p->name);
    ck->n = i + 1;
    if (!t->name) {
      st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
      break;
    }
    t->dtype = p->dtype;
    t->ndim = p->ndim;
    for (d = 0; d < p->ndim; d++) t->shape[d] = p->shape[d];
    /* Zero-copy needs row-major contiguous tensors, which is what state dicts hold. */
    for (d = p->ndim - 1; d >= 0; d--) {
      if (p->shape[d] != 1 && p->stride[d] != expect) {
        st = var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "tensor \"%.200s\" is not contiguous", p->name);
        break;
      }
      if (p->shape[d] && expect > INT64_MAX / (p->shape[d] ? p->shape[d] : 1)) {
        st = var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" has an absurd shape", p->name);
        break;
      }
      expect *= p->shape[d];
    }
    if (st != VAR_OK) break;
    if (strlen(prefix) + strlen(p->storage_key) + 8 >= sizeof entry) {
      st = var_fail(ck->ctx, VAR_ERR_FORMAT, "storage key of \"%.200s\" is too long", p->name);
      break;
    }
    snprintf(entry, sizeof entry, "%s/data/%s", prefix, p->storage_key);
    e = var_zip_find(&zip, entry);
    if (!e) {
      st = var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\": storage entry %s is missing from the archive", p->name, entry);
      break;
    }
    if (!e->stored) {
      st = var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "storage %s is compressed", entry);
      break;
    }
    if ((uint64_t)p->storage_numel > e->size / es) {
      st = var_fail(ck->ctx, VAR_ERR_FORMAT, "storage %s claims %lld elements but holds %llu bytes", entry,
                    (long long)p->storage_numel, (unsigned long long)e->size);
      break;
    }
    if (p->offset > p->storage_numel) {
      st = var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" starts past the end of its storage", p->name);
      break;
    }
    off_bytes = (uint64_t)p->offset * es;
    st = place_tensor(ck, t, ck->map + e->data_offset + off_bytes,
                      (uint64_t)(p->storage_numel - p->offset) * es);
  }
  var_pickle_state_dict_free(&sd);
  var_zip_close(&zip);
  return st;
}

static var_status st_dtype(var_checkpoint *ck, const char *s, const char *name, var_dtype *out)
{
  if (!strcmp(s, "F32")) *out = VAR_DTYPE_F32;
  else if (!strcmp(s, "F16")) *out = VAR_DTYPE_F16;
  else if (!strcmp(s, "BF16")) *out = VAR_DTYPE_BF16;
  else if (!strcmp(s, "I64")) *out = VAR_DTYPE_I64;
  else if (!strcmp(s, "I32")) *out = VAR_DTYPE_I32;
  else if (!strcmp(s, "U8")) *out = VAR_DTYPE_U8;
  else return var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "safetensors tensor \"%.200s\" has dtype %.20s (supported: F32, F16, BF16, I64, I32, U8)", name, s);
  return VAR_OK;
}

static var_status open_safetensors(var_checkpoint *ck)
{
  uint64_t hlen = 0, base;
  var_json *h = NULL;
  var_status st;
  int i, n = 0;
  for (i = 7; i >= 0; i--) hlen = (hlen << 8) | ck->map[i];
  if (hlen > ck->map_size - 8 || hlen > 100000000u)
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors header of %llu bytes does not fit the %zu-byte file",
                    (unsigned long long)hlen, ck->map_size);
  base = 8 + hlen;
  if ((st = var_json_parse(ck->ctx, (const char *)ck->map + 8, (size_t)hlen, &h)) != VAR_OK)
    return var_fail_prefix(ck->ctx, st, "safetensors header");
  if (h->kind != VAR_JSON_OBJECT) {
    var_json_free(h);
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors header is not a JSON object");
  }
  ck->tensors = calloc((size_t)h->n + 1, sizeof *ck->tensors);
  if (!ck->tensors) st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory");
  for (i = 0; st == VAR_OK && i < h->n; i++) {
    const var_json *e = &h->items[i], *dt, *shape, *offs;
    var_ckpt_tensor *t;
    int64_t b, en;
    int d;
    if (!strcmp(h->keys[i], "__metadata__")) continue;
    t = &ck->tensors[n];
    t->name = dupstr(h->keys[i]);
    ck->n = ++n;
    if (!t->name) { st = var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "out of memory"); break; }
    dt = var_json_get(e, "dtype");
    shape = var_json_get(e, "shape");
    offs = var_json_get(e, "data_offsets");
    if (!dt || dt->kind != VAR_JSON_STRING || !shape || shape->kind != VAR_JSON_ARRAY || !offs ||
        offs->kind != VAR_JSON_ARRAY || offs->n != 2) {
      st = var_fail(ck->ctx, VAR_ERR_FORMAT, "safetensors entry \"%.200s\" lacks dtype, shape or data_offsets", t->name);
      break;
    }
    if ((st = st_dtype(ck, dt->string, t->name, &t->dtype)) != VAR_OK) break;
    if (shape->n > VAR_MAX_DIMS) { st = var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "tensor \"%.200s\" has too many dimensions", t->name); break; }
    t->ndim = shape->n;
    for (d = 0; d < shape->n; d++) {
      if (shape->items[d].kind != VAR_JSON_NUMBER || !shape->items[d].is_integer || shape->items[d].integer < 0) {
        st = var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" has a bad shape", t->name);
        break;
      }
      t->shape[d] = shape->items[d].integer;
    }
    if (st != VAR_OK) break;
    if (!offs->items[0].is_integer || !offs->items[1].is_integer) { st = var_fail(ck->ctx, VAR_ERR_FORMAT, "bad data_offsets"); break; }
    b = offs->items[0].integer;
    en = offs->items[1].integer;
    if (b < 0 || en < b || (uint64_t)en > ck->map_size - base) {
      st = var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\" lies outside the file (truncated safetensors?)", t->name);
      break;
    }
    st = place_tensor(ck, t, ck->map + base + (uint64_t)b, (uint64_t)(en - b));
    if (st == VAR_OK && t->nbytes != (size_t)(en - b))
      st = var_fail(ck->ctx, VAR_ERR_FORMAT, "tensor \"%.200s\": shape and data_offsets disagree", t->name);
  }
  var_json_free(h);
  return st;
}

static var_status map_file(var_checkpoint *ck, const char *path)
{
  int fd = open(path, O_RDONLY);
  struct stat sb;
  if (fd < 0) return var_fail(ck->ctx, VAR_ERR_IO, "cannot open %s: %s", path, strerror(errno));
  if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    close(fd);
    return var_fail(ck->ctx, VAR_ERR_IO, "%s is not a regular file", path);
  }
  if ((uint64_t)sb.st_size > (uint64_t)SIZE_MAX) {
    close(fd);
    return var_fail(ck->ctx, VAR_ERR_NO_MEMORY, "%s is too large to map on this system", path);
  }
  ck->map_size = (size_t)sb.st_size;
  if (ck->map_size < 8) {
    close(fd);
    return var_fail(ck->ctx, VAR_ERR_FORMAT, "%s is too short (%zu bytes) to be a checkpoint", path, ck->map_size);
  }
#ifndef _WIN32
  {
    void *m = mmap(NULL, ck->map_size, PROT_READ, MAP_PRIVATE, fd, 0);
    if (m != MAP_FAILED) {
      ck->map = m;
      ck->mapped = 1;
      close(fd);
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
        return var_fail(ck->ctx, VAR_ERR_IO, "read error on %s", path);
      }
      got += (size_t)r;
    }
    close(fd);
    ck->map = buf;
    ck->mapped = 0;
  }
  return VAR_OK;
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
  free(ck->hash);
#ifndef _WIN32
  if (ck->map && ck->mapped) munmap((void *)ck->map, ck->map_size);
#endif
  if (ck->map && !ck->mapped) var_free((void *)ck->map);
  free(ck->path);
  free(ck);
}

var_status var_checkpoint_open(var_ctx *ctx, const char *path, var_checkpoint **out)
{
  var_checkpoint *ck;
  var_status st;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_open: out is NULL");
  *out = NULL;
  if (!ctx || !path) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_open: NULL context or path");
  ck = calloc(1, sizeof *ck);
  if (!ck) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  ck->ctx = ctx;
  ck->path = dupstr(path);
  if (!ck->path) {
    free(ck);
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  }
  st = map_file(ck, path);
  if (st == VAR_OK) {
    if (ck->map[0] == 'P' && ck->map[1] == 'K' && ck->map[2] == 3 && ck->map[3] == 4) {
      ck->format = VAR_CKPT_PTH;
      st = open_pth(ck);
    } else if (ck->map_size > 9 && ck->map[8] == '{') {
      ck->format = VAR_CKPT_SAFETENSORS;
      st = open_safetensors(ck);
    } else if (ck->map[0] == 0x80 || ck->map[0] == 0x8a) {
      st = var_fail(ctx, VAR_ERR_UNSUPPORTED,
                    "legacy (pre-1.6) torch.save format; re-save it with a current torch (torch.save(torch.load(f), f))");
    } else {
      st = var_fail(ctx, VAR_ERR_FORMAT, "neither a PyTorch zip checkpoint nor a safetensors file");
    }
  }
  if (st == VAR_OK) st = build_index(ck);
  if (st != VAR_OK) {
    var_fail_prefix(ctx, st, "%s", path);
    var_checkpoint_free(ck);
    return st;
  }
  *out = ck;
  return VAR_OK;
}

int var_checkpoint_n_tensors(const var_checkpoint *ck) { return ck ? ck->n : 0; }

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

static float half_to_float(uint16_t h)
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
          dst[i] = half_to_float(src[i]);
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

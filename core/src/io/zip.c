/* zip.c — central-directory reader for stored ZIP/ZIP64 archives. */
#include "io/zip.h"

#include <stdlib.h>
#include <string.h>

#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOC 0x07064b50u
#define SIG_CDIR 0x02014b50u
#define SIG_LOCAL 0x04034b50u
#define CDIR_SIZE 46u
#define LOCAL_SIZE 30u
#define EOCD_SIZE 22u
#define EOCD64_SIZE 56u
#define EOCD64_LOC_SIZE 20u
/* A state dict needs 2 entries per storage plus a few; this only bounds memory. */
#define MAX_ENTRIES 1000000

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

/* Half-byte table: constant data, so there is no lazy initialisation to race on
 * (the loader may run in several threads at once). */
static const uint32_t crc_nibble[16] = {
  0x00000000u, 0x1DB71064u, 0x3B6E20C8u, 0x26D930ACu, 0x76DC4190u, 0x6B6B51F4u, 0x4DB26158u, 0x5005713Cu,
  0xEDB88320u, 0xF00F9344u, 0xD6D6A3E8u, 0xCB61B38Cu, 0x9B64C2B0u, 0x86D3D2D4u, 0xA00AE278u, 0xBDBDF21Cu,
};

uint32_t var_crc32_update(uint32_t crc, const uint8_t *data, size_t n)
{
  uint32_t c = ~crc;
  size_t i;
  for (i = 0; i < n; i++) {
    c ^= data[i];
    c = crc_nibble[c & 15] ^ (c >> 4);
    c = crc_nibble[c & 15] ^ (c >> 4);
  }
  return ~c;
}

uint32_t var_crc32(const uint8_t *data, size_t n) { return var_crc32_update(0, data, n); }

static int ref_cmp(const void *a, const void *b)
{
  return strcmp(((const var_name_ref *)a)->name, ((const var_name_ref *)b)->name);
}

int var_names_sort(var_name_ref *refs, int n)
{
  int i;
  if (n > 1) qsort(refs, (size_t)n, sizeof *refs, ref_cmp);
  for (i = 0; i + 1 < n; i++)
    if (!strcmp(refs[i].name, refs[i + 1].name)) return i;
  return -1;
}

int var_names_find(const var_name_ref *refs, int n, const char *name)
{
  int lo = 0, hi = n;
  while (lo < hi) {
    int mid = lo + (hi - lo) / 2, c = strcmp(refs[mid].name, name);
    if (!c) return refs[mid].index;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return -1;
}

/* Is [off, off+len) inside [0, size)? */
static int span_ok(uint64_t size, uint64_t off, uint64_t len) { return off <= size && len <= size - off; }

void var_zip_close(var_zip *zip)
{
  int i;
  if (!zip) return;
  for (i = 0; i < zip->n_entries; i++) free(zip->entries[i].name);
  free(zip->entries);
  free(zip->by_name);
  memset(zip, 0, sizeof *zip);
}

const var_zip_entry *var_zip_find(const var_zip *zip, const char *name)
{
  int i = zip->by_name ? var_names_find(zip->by_name, zip->n_entries, name) : -1;
  return i < 0 ? NULL : &zip->entries[i];
}

/* Builds the name index; two entries with one name make the archive ambiguous
 * (which one would a reader pick?), so that is an error. */
static var_status index_names(var_ctx *ctx, var_zip *z)
{
  int i, dup;
  z->by_name = malloc(sizeof *z->by_name * (size_t)(z->n_entries ? z->n_entries : 1));
  if (!z->by_name) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory indexing the zip directory");
  for (i = 0; i < z->n_entries; i++) {
    z->by_name[i].name = z->entries[i].name;
    z->by_name[i].index = i;
  }
  dup = var_names_sort(z->by_name, z->n_entries);
  if (dup >= 0)
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: the entry \"%.200s\" appears twice", z->by_name[dup].name);
  return VAR_OK;
}

/* Locates the end records and returns the central directory's place and size. */
static var_status find_directory(var_ctx *ctx, const uint8_t *d, uint64_t size, uint64_t *cd_off, uint64_t *cd_size,
                                 uint64_t *n_total)
{
  uint64_t eocd = 0, pos, scan_end;
  int found = 0;
  if (size < EOCD_SIZE)
    return var_fail(ctx, VAR_ERR_FORMAT, "not a zip archive (file of %llu bytes is too short)",
                    (unsigned long long)size);
  /* The end record is within the last 22 + 65535 (comment) bytes, and its
   * comment must reach exactly to the end of the file. */
  scan_end = size > EOCD_SIZE + 65535 ? size - EOCD_SIZE - 65535 : 0;
  for (pos = size - EOCD_SIZE;; pos--) {
    if (rd32(d + pos) == SIG_EOCD && pos + EOCD_SIZE + rd16(d + pos + 20) == size) {
      eocd = pos;
      found = 1;
      break;
    }
    if (pos == scan_end) break;
  }
  if (!found)
    return var_fail(ctx, VAR_ERR_FORMAT, "not a zip archive, or a truncated one (no end-of-central-directory record)");
  if (rd16(d + eocd + 4) != 0 || rd16(d + eocd + 6) != 0)
    return var_fail(ctx, VAR_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
  *n_total = rd16(d + eocd + 10);
  *cd_size = rd32(d + eocd + 12);
  *cd_off = rd32(d + eocd + 16);
  if (eocd >= EOCD64_LOC_SIZE && rd32(d + eocd - EOCD64_LOC_SIZE) == SIG_EOCD64_LOC) {
    uint64_t z64 = rd64(d + eocd - EOCD64_LOC_SIZE + 8);
    if (!span_ok(eocd - EOCD64_LOC_SIZE, z64, EOCD64_SIZE) || rd32(d + z64) != SIG_EOCD64)
      return var_fail(ctx, VAR_ERR_FORMAT,
                      "corrupt zip: the ZIP64 locator points at %llu, where there is no ZIP64 end record",
                      (unsigned long long)z64);
    if (rd32(d + z64 + 16) != 0 || rd32(d + z64 + 20) != 0)
      return var_fail(ctx, VAR_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
    *n_total = rd64(d + z64 + 32);
    *cd_size = rd64(d + z64 + 40);
    *cd_off = rd64(d + z64 + 48);
    eocd = z64;   /* the directory must end before the ZIP64 record */
  } else if (*n_total == 0xFFFF || *cd_size == 0xFFFFFFFFu || *cd_off == 0xFFFFFFFFu) {
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: ZIP64 values without a ZIP64 locator");
  }
  if (!span_ok(eocd, *cd_off, *cd_size))
    return var_fail(ctx, VAR_ERR_FORMAT,
                    "corrupt or truncated zip: the central directory (%llu bytes at %llu) lies outside the "
                    "%llu bytes before the end records",
                    (unsigned long long)*cd_size, (unsigned long long)*cd_off, (unsigned long long)eocd);
  if (*n_total > MAX_ENTRIES || *n_total > *cd_size / CDIR_SIZE)
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: %llu entries cannot fit a %llu-byte central directory",
                    (unsigned long long)*n_total, (unsigned long long)*cd_size);
  return VAR_OK;
}

/* Reads directory entry i at *pos (inside [cd_off, cd_end)) into e. */
static var_status read_entry(var_ctx *ctx, const uint8_t *d, uint64_t size, uint64_t cd_end, uint64_t *pos, int i,
                             var_zip_entry *e)
{
  uint64_t comp, uncomp, local, lh_data, p = *pos;
  unsigned name_len, extra_len, comment_len, method, flags, k;
  const uint8_t *ex;
  if (!span_ok(cd_end, p, CDIR_SIZE) || rd32(d + p) != SIG_CDIR)
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: central directory entry %d is damaged", i);
  flags = rd16(d + p + 8);
  method = rd16(d + p + 10);
  e->crc32 = rd32(d + p + 16);
  comp = rd32(d + p + 20);
  uncomp = rd32(d + p + 24);
  name_len = rd16(d + p + 28);
  extra_len = rd16(d + p + 30);
  comment_len = rd16(d + p + 32);
  local = rd32(d + p + 42);
  if (rd16(d + p + 34) != 0 && rd16(d + p + 34) != 0xFFFF)
    return var_fail(ctx, VAR_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
  if (!span_ok(cd_end, p + CDIR_SIZE, (uint64_t)name_len + extra_len + comment_len))
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: central directory entry %d runs past the directory", i);
  if (memchr(d + p + CDIR_SIZE, 0, name_len))
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: entry %d has a NUL byte in its name", i);
  e->name = malloc(name_len + 1u);
  if (!e->name) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory reading the zip directory");
  memcpy(e->name, d + p + CDIR_SIZE, name_len);
  e->name[name_len] = '\0';
  /* ZIP64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in this order. */
  ex = d + p + CDIR_SIZE + name_len;
  for (k = 0; k + 4 <= extra_len;) {
    unsigned id = rd16(ex + k), len = rd16(ex + k + 2), q = 0;
    if (k + 4 + len > extra_len) break;
    if (id == 0x0001) {
      if (uncomp == 0xFFFFFFFFu && q + 8 <= len) { uncomp = rd64(ex + k + 4 + q); q += 8; }
      if (comp == 0xFFFFFFFFu && q + 8 <= len) { comp = rd64(ex + k + 4 + q); q += 8; }
      if (local == 0xFFFFFFFFu && q + 8 <= len) { local = rd64(ex + k + 4 + q); q += 8; }
    }
    k += 4 + len;
  }
  if (comp == 0xFFFFFFFFu || uncomp == 0xFFFFFFFFu || local == 0xFFFFFFFFu)
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: entry \"%.200s\" lacks its ZIP64 sizes", e->name);
  if (flags & 0x41)
    return var_fail(ctx, VAR_ERR_UNSUPPORTED, "zip entry \"%.200s\" is encrypted", e->name);
  e->stored = (method == 0);
  if (e->stored && comp != uncomp)
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: stored entry \"%.200s\" has a size of %llu and of %llu bytes",
                    e->name, (unsigned long long)comp, (unsigned long long)uncomp);
  if (!span_ok(size, local, LOCAL_SIZE) || rd32(d + local) != SIG_LOCAL)
    return var_fail(ctx, VAR_ERR_FORMAT,
                    "corrupt or truncated zip: the local header of \"%.200s\" (at %llu) is missing", e->name,
                    (unsigned long long)local);
  /* The data starts after the local header's own name and extra field, which
   * may differ in length from the directory's (torch pads there for alignment). */
  if (rd16(d + local + 26) != name_len || !span_ok(size, local + LOCAL_SIZE, name_len) ||
      memcmp(d + local + LOCAL_SIZE, e->name, name_len))
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: the local header of \"%.200s\" names another entry", e->name);
  if (rd16(d + local + 6) & 0x41)
    return var_fail(ctx, VAR_ERR_UNSUPPORTED, "zip entry \"%.200s\" is encrypted", e->name);
  lh_data = local + LOCAL_SIZE + rd16(d + local + 26) + rd16(d + local + 28);
  if (!span_ok(size, lh_data, comp))
    return var_fail(ctx, VAR_ERR_FORMAT,
                    "truncated zip: entry \"%.200s\" (%llu bytes at %llu) runs past the end of the "
                    "%llu-byte file",
                    e->name, (unsigned long long)comp, (unsigned long long)lh_data, (unsigned long long)size);
  e->data_offset = lh_data;
  e->size = uncomp;
  e->comp_size = comp;
  *pos = p + CDIR_SIZE + name_len + extra_len + comment_len;
  return VAR_OK;
}

var_status var_zip_open(var_ctx *ctx, const uint8_t *d, uint64_t size, var_zip *out)
{
  uint64_t cd_off = 0, cd_size = 0, n_total = 0, pos;
  var_status st;
  int i;
  memset(out, 0, sizeof *out);
  if ((st = find_directory(ctx, d, size, &cd_off, &cd_size, &n_total)) != VAR_OK) return st;
  out->entries = calloc(n_total ? (size_t)n_total : 1, sizeof *out->entries);
  if (!out->entries) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory reading the zip directory");
  pos = cd_off;
  for (i = 0; st == VAR_OK && (uint64_t)i < n_total; i++) {
    st = read_entry(ctx, d, size, cd_off + cd_size, &pos, i, &out->entries[i]);
    out->n_entries = i + 1;
  }
  if (st == VAR_OK) st = index_names(ctx, out);
  if (st != VAR_OK) var_zip_close(out);
  return st;
}

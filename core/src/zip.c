/* zip.c — central-directory reader for stored ZIP/ZIP64 archives. */
#include "zip.h"

#include <stdlib.h>
#include <string.h>

#define SIG_EOCD 0x06054b50u
#define SIG_EOCD64 0x06064b50u
#define SIG_EOCD64_LOC 0x07064b50u
#define SIG_CDIR 0x02014b50u
#define SIG_LOCAL 0x04034b50u
#define MAX_ENTRIES 1000000

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24); }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

uint32_t var_crc32(const uint8_t *data, size_t n)
{
  static uint32_t table[256];
  static volatile int ready;
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  if (!ready) {
    uint32_t k;
    for (k = 0; k < 256; k++) {
      uint32_t v = k;
      int b;
      for (b = 0; b < 8; b++) v = (v & 1) ? 0xEDB88320u ^ (v >> 1) : v >> 1;
      table[k] = v;
    }
    ready = 1;   /* racing initialisers write identical values */
  }
  for (i = 0; i < n; i++) c = table[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

/* Is [off, off+len) inside [0, size)? */
static int span_ok(uint64_t size, uint64_t off, uint64_t len) { return off <= size && len <= size - off; }

void var_zip_close(var_zip *zip)
{
  int i;
  if (!zip) return;
  for (i = 0; i < zip->n_entries; i++) free(zip->entries[i].name);
  free(zip->entries);
  zip->entries = NULL;
  zip->n_entries = 0;
}

const var_zip_entry *var_zip_find(const var_zip *zip, const char *name)
{
  int i;
  for (i = 0; i < zip->n_entries; i++)
    if (!strcmp(zip->entries[i].name, name)) return &zip->entries[i];
  return NULL;
}

var_status var_zip_open(var_ctx *ctx, const uint8_t *d, uint64_t size, var_zip *out)
{
  uint64_t eocd = 0, cd_off, cd_size, n_total, pos, scan_end;
  int found = 0, i;
  memset(out, 0, sizeof *out);
  if (size < 22) return var_fail(ctx, VAR_ERR_FORMAT, "not a zip archive (file of %llu bytes is too short)", (unsigned long long)size);
  /* The end record is within the last 22 + 65535 (comment) bytes. */
  scan_end = size > 22 + 65535 ? size - 22 - 65535 : 0;
  for (pos = size - 22;; pos--) {
    if (rd32(d + pos) == SIG_EOCD && pos + 22 + rd16(d + pos + 20) == size) {
      eocd = pos;
      found = 1;
      break;
    }
    if (pos == scan_end) break;
  }
  if (!found) return var_fail(ctx, VAR_ERR_FORMAT, "not a zip archive (no end-of-central-directory record; truncated file?)");
  if (rd16(d + eocd + 4) != 0 || rd16(d + eocd + 6) != 0)
    return var_fail(ctx, VAR_ERR_UNSUPPORTED, "multi-disk zip archives are not supported");
  n_total = rd16(d + eocd + 10);
  cd_size = rd32(d + eocd + 12);
  cd_off = rd32(d + eocd + 16);
  if (eocd >= 20 && rd32(d + eocd - 20) == SIG_EOCD64_LOC) {
    uint64_t z64 = rd64(d + eocd - 20 + 8);
    if (!span_ok(size, z64, 56) || rd32(d + z64) != SIG_EOCD64)
      return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: ZIP64 end record out of place");
    n_total = rd64(d + z64 + 32);
    cd_size = rd64(d + z64 + 40);
    cd_off = rd64(d + z64 + 48);
  } else if (n_total == 0xFFFF || cd_size == 0xFFFFFFFFu || cd_off == 0xFFFFFFFFu) {
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: ZIP64 values without a ZIP64 locator");
  }
  if (!span_ok(size, cd_off, cd_size))
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt or truncated zip: central directory (%llu bytes at %llu) lies outside the %llu-byte file",
                    (unsigned long long)cd_size, (unsigned long long)cd_off, (unsigned long long)size);
  if (n_total > MAX_ENTRIES || n_total > cd_size / 46)
    return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: %llu entries cannot fit a %llu-byte central directory",
                    (unsigned long long)n_total, (unsigned long long)cd_size);
  out->entries = calloc(n_total ? (size_t)n_total : 1, sizeof *out->entries);
  if (!out->entries) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory reading the zip directory");
  pos = cd_off;
  for (i = 0; (uint64_t)i < n_total; i++) {
    var_zip_entry *e = &out->entries[i];
    uint64_t comp, uncomp, local, lh_data;
    unsigned name_len, extra_len, comment_len, method, flags;
    const uint8_t *ex;
    if (!span_ok(cd_off + cd_size, pos, 46) || rd32(d + pos) != SIG_CDIR) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: bad central directory entry %d", i);
    }
    flags = rd16(d + pos + 8);
    method = rd16(d + pos + 10);
    e->crc32 = rd32(d + pos + 16);
    comp = rd32(d + pos + 20);
    uncomp = rd32(d + pos + 24);
    name_len = rd16(d + pos + 28);
    extra_len = rd16(d + pos + 30);
    comment_len = rd16(d + pos + 32);
    local = rd32(d + pos + 42);
    if (!span_ok(cd_off + cd_size, pos + 46, (uint64_t)name_len + extra_len + comment_len)) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: entry %d runs past the central directory", i);
    }
    e->name = malloc(name_len + 1u);
    if (!e->name) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
    }
    out->n_entries = i + 1;
    memcpy(e->name, d + pos + 46, name_len);
    e->name[name_len] = '\0';
    if (strlen(e->name) != name_len) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: entry %d has a NUL byte in its name", i);
    }
    /* ZIP64 extra field: the 64-bit values of the fields that read 0xFFFFFFFF, in order. */
    ex = d + pos + 46 + name_len;
    {
      unsigned k = 0;
      while (k + 4 <= extra_len) {
        unsigned id = rd16(ex + k), len = rd16(ex + k + 2);
        if (k + 4 + len > extra_len) break;
        if (id == 0x0001) {
          unsigned q = 0;
          if (uncomp == 0xFFFFFFFFu && q + 8 <= len) { uncomp = rd64(ex + k + 4 + q); q += 8; }
          if (comp == 0xFFFFFFFFu && q + 8 <= len) { comp = rd64(ex + k + 4 + q); q += 8; }
          if (local == 0xFFFFFFFFu && q + 8 <= len) { local = rd64(ex + k + 4 + q); q += 8; }
        }
        k += 4 + len;
      }
    }
    if (comp == 0xFFFFFFFFu || uncomp == 0xFFFFFFFFu || local == 0xFFFFFFFFu) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: entry \"%s\" lacks its ZIP64 sizes", e->name);
    }
    if (flags & 1) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_UNSUPPORTED, "zip entry \"%s\" is encrypted", e->name);
    }
    e->stored = (method == 0);
    if (e->stored && comp != uncomp) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_FORMAT, "corrupt zip: stored entry \"%s\" has different sizes", e->name);
    }
    if (!span_ok(size, local, 30) || rd32(d + local) != SIG_LOCAL) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_FORMAT, "corrupt or truncated zip: local header of \"%s\" missing", e->name);
    }
    lh_data = local + 30 + rd16(d + local + 26) + rd16(d + local + 28);
    if (!span_ok(size, lh_data, comp)) {
      var_zip_close(out);
      return var_fail(ctx, VAR_ERR_FORMAT, "truncated zip: entry \"%s\" (%llu bytes) runs past the end of the file",
                      e->name, (unsigned long long)comp);
    }
    e->data_offset = lh_data;
    e->size = uncomp;
    pos += 46 + (uint64_t)name_len + extra_len + comment_len;
  }
  return VAR_OK;
}

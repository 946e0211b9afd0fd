/* zip.h — read-only view of a ZIP archive held in memory (the PyTorch .pth
 * container).  Only what torch.save writes is supported: stored (uncompressed)
 * entries, with or without ZIP64 records.  Every offset is checked against the
 * archive size before use, and nothing is read beyond the directory and the
 * local headers: entry data is left alone until a caller asks for it. */
#ifndef VAR_ZIP_H
#define VAR_ZIP_H

#include "internal.h"

typedef struct var_zip_entry {
  char *name;               /* NUL-terminated copy */
  uint64_t data_offset;     /* of the entry's bytes in the archive */
  uint64_t size;            /* uncompressed size (== stored size when stored) */
  uint64_t comp_size;       /* bytes the entry occupies in the archive */
  uint32_t crc32;
  int stored;               /* compression method 0 */
} var_zip_entry;

/* A name index: (name, position) pairs sorted by name.  Sorting rather than
 * hashing keeps the worst case O(n log n) whatever names a hostile file
 * chooses (no collisions to aim for). */
typedef struct var_name_ref {
  const char *name;
  int index;
} var_name_ref;

/* Sorts refs by name; returns the position i of a duplicate (refs[i] and
 * refs[i + 1] have one name) or -1 when all names differ. */
int var_names_sort(var_name_ref *refs, int n);
/* The index stored with `name`, or -1. */
int var_names_find(const var_name_ref *refs, int n, const char *name);

typedef struct var_zip {
  var_zip_entry *entries;
  int n_entries;
  var_name_ref *by_name;    /* sorted index over entries[].name */
} var_zip;

/* Reads the central directory.  Fails with VAR_ERR_FORMAT for malformed,
 * truncated or ambiguous archives (duplicate names, names with NUL bytes,
 * local headers that disagree with the directory) and VAR_ERR_UNSUPPORTED for
 * encrypted or multi-disk ones.  Compressed entries are listed (stored = 0). */
var_status var_zip_open(var_ctx *ctx, const uint8_t *data, uint64_t size, var_zip *out);
void var_zip_close(var_zip *zip);
/* Exact name match, NULL when absent.  O(log n). */
const var_zip_entry *var_zip_find(const var_zip *zip, const char *name);
uint32_t var_crc32(const uint8_t *data, size_t n);
/* Running form: crc = var_crc32_update(0, a, na); crc = var_crc32_update(crc, b, nb). */
uint32_t var_crc32_update(uint32_t crc, const uint8_t *data, size_t n);

#endif

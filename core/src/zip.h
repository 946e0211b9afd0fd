/* zip.h — read-only view of a ZIP archive held in memory (the PyTorch .pth
 * container).  Only what torch.save writes is supported: stored (uncompressed)
 * entries, with or without ZIP64 records.  Every offset is checked against the
 * archive size before use. */
#ifndef VAR_ZIP_H
#define VAR_ZIP_H

#include "internal.h"

typedef struct var_zip_entry {
  char *name;               /* NUL-terminated copy */
  uint64_t data_offset;     /* of the entry's bytes in the archive */
  uint64_t size;            /* uncompressed == stored size */
  uint32_t crc32;
  int stored;               /* compression method 0 */
} var_zip_entry;

typedef struct var_zip {
  var_zip_entry *entries;
  int n_entries;
} var_zip;

var_status var_zip_open(var_ctx *ctx, const uint8_t *data, uint64_t size, var_zip *out);
void var_zip_close(var_zip *zip);
/* Exact name match, NULL when absent. */
const var_zip_entry *var_zip_find(const var_zip *zip, const char *name);
uint32_t var_crc32(const uint8_t *data, size_t n);

#endif

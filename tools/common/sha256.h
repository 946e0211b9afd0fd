/* sha256.h — SHA-256 (FIPS 180-4) for checking files against the hashes in
 * golden manifests.  Streaming: init, update any number of times, final. */
#ifndef VAR_SHA256_H
#define VAR_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
  uint32_t h[8];
  uint64_t length;          /* bytes hashed so far */
  uint8_t block[64];
  size_t used;              /* bytes waiting in block */
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
void sha256_final(sha256_ctx *c, uint8_t digest[32]);
/* digest as 64 lowercase hex digits plus NUL. */
void sha256_hex(const uint8_t digest[32], char hex[65]);
/* Hashes a whole file into hex; 0 on success, -1 with a message in err. */
int sha256_file(const char *path, char hex[65], char *err, size_t err_size);

#endif

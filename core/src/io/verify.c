/* verify.c — a checkpoint read end to end: what loading checks (structure,
 * sizes, offsets, overlaps), plus every zip entry's CRC-32 and every
 * floating-point value.  Loading reads only the bytes it needs and checks only
 * data.pkl's CRC, so a flipped bit in a tensor passes it; this does not. */
#include "io/ckpt.h"
#include "internal.h"
#include "io/zip.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Position of the first non-finite element, or -1.  The exponent bits all set
 * is Inf or NaN in each format.  VAR's causal mask buffer is the one tensor
 * meant to hold -Inf (0 or -Inf, never read: libvar makes its own mask). */
static int64_t first_non_finite(const var_ckpt_tensor *t, int64_t *count)
{
  static const char mask_name[] = "attn_bias_for_masking";
  const size_t len = strlen(t->name), mlen = sizeof mask_name - 1;
  const int mask = len >= mlen && !strcmp(t->name + len - mlen, mask_name);
  const uint8_t *p = t->data;
  int64_t i, first = -1;
  *count = 0;
  for (i = 0; i < t->numel; i++) {
    int bad;
    if (t->dtype == VAR_DTYPE_F32) {
      uint32_t b;
      memcpy(&b, p + 4 * i, 4);
      bad = (b & 0x7F800000u) == 0x7F800000u && !(mask && b == 0xFF800000u);
    } else {
      uint16_t h;
      memcpy(&h, p + 2 * i, 2);
      if (t->dtype == VAR_DTYPE_F16) bad = (h & 0x7C00u) == 0x7C00u && !(mask && h == 0xFC00u);
      else bad = (h & 0x7F80u) == 0x7F80u && !(mask && h == 0xFF80u);
    }
    if (bad) {
      if (first < 0) first = i;
      ++*count;
    }
  }
  return first;
}

static var_status check_entries(var_checkpoint *ck)
{
  var_zip zip;
  var_status st = var_zip_open(ck->ctx, ck->map, ck->map_size, &zip);
  int i;
  if (st != VAR_OK) return st;
  for (i = 0; i < zip.n_entries && st == VAR_OK; i++) {
    const var_zip_entry *e = &zip.entries[i];
    uint32_t crc;
    if (!e->stored) {
      st = var_fail(ck->ctx, VAR_ERR_UNSUPPORTED, "zip entry \"%.200s\" is compressed: its CRC cannot be checked",
                    e->name);
      break;
    }
    crc = var_crc32(ck->map + e->data_offset, (size_t)e->size);
    if (crc != e->crc32)
      st = var_fail(ck->ctx, VAR_ERR_FORMAT,
                    "zip entry \"%.200s\" (%llu bytes) is damaged: CRC-32 %08x, the directory says %08x", e->name,
                    (unsigned long long)e->size, (unsigned)crc, (unsigned)e->crc32);
  }
  var_zip_close(&zip);
  return st;
}

var_status var_verify_file(var_ctx *ctx, const char *path)
{
  var_checkpoint *ck = NULL;
  var_status st;
  int i;
  if (!ctx || !path) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_verify_file: NULL context or path");
  st = var_checkpoint_open(ctx, path, &ck);
  if (st != VAR_OK) return st;   /* the message names the file */
  if (ck->format == VAR_CKPT_PTH) st = check_entries(ck);
  for (i = 0; i < ck->n && st == VAR_OK; i++) {
    const var_ckpt_tensor *t = &ck->tensors[i];
    int64_t count, first;
    if (t->dtype != VAR_DTYPE_F32 && t->dtype != VAR_DTYPE_F16 && t->dtype != VAR_DTYPE_BF16) continue;
    first = first_non_finite(t, &count);
    if (first >= 0)
      st = var_fail(ctx, VAR_ERR_FORMAT,
                    "tensor \"%.200s\" holds %lld non-finite value%s (Inf or NaN; the first at %lld)", t->name,
                    (long long)count, count == 1 ? "" : "s", (long long)first);
    if (st == VAR_OK && var_cancelled(ctx)) st = var_fail(ctx, VAR_ERR_CANCELLED, "cancelled by the caller");
  }
  if (st != VAR_OK && st != VAR_ERR_CANCELLED) var_fail_prefix(ctx, st, "%s", path);
  var_checkpoint_free(ck);
  return st;
}

/* Files that passed in this process, by identity and version: a file that is
 * replaced or rewritten changes its size or modification time and is read
 * again.  A small list is enough: a plug-in uses two or three files. */
typedef struct {
  dev_t dev;
  ino_t ino;
  off_t size;
  time_t mtime;
  long mtime_ns;
} verified_file;

#define VERIFIED_MAX 64
static verified_file verified[VERIFIED_MAX];
static int n_verified, next_slot;
static pthread_mutex_t verified_mu = PTHREAD_MUTEX_INITIALIZER;

static void file_key(const struct stat *s, verified_file *k)
{
  memset(k, 0, sizeof *k);
  k->dev = s->st_dev;
  k->ino = s->st_ino;
  k->size = s->st_size;
  k->mtime = s->st_mtime;
#if defined(__linux__) && defined(_DEFAULT_SOURCE)
  k->mtime_ns = s->st_mtim.tv_nsec;
#endif
}

static int key_equal(const verified_file *a, const verified_file *b)
{
  return a->dev == b->dev && a->ino == b->ino && a->size == b->size && a->mtime == b->mtime &&
         a->mtime_ns == b->mtime_ns;
}

var_status var_verify_file_once(var_ctx *ctx, const char *path)
{
  struct stat before, after;
  verified_file k, k2;
  var_status st;
  int i, known = 0;
  if (!ctx || !path) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_verify_file_once: NULL context or path");
  if (stat(path, &before) != 0) return var_verify_file(ctx, path);   /* its message says why */
  file_key(&before, &k);
  pthread_mutex_lock(&verified_mu);
  for (i = 0; i < n_verified && !known; i++) known = key_equal(&verified[i], &k);
  pthread_mutex_unlock(&verified_mu);
  if (known) return VAR_OK;
  st = var_verify_file(ctx, path);
  /* remembered only if it did not change while it was read */
  if (st == VAR_OK && stat(path, &after) == 0) {
    file_key(&after, &k2);
    if (key_equal(&k, &k2)) {
      pthread_mutex_lock(&verified_mu);
      verified[next_slot] = k;
      next_slot = (next_slot + 1) % VERIFIED_MAX;
      if (n_verified < VERIFIED_MAX) n_verified++;
      pthread_mutex_unlock(&verified_mu);
    }
  }
  return st;
}

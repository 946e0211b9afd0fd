/* os_win32_heap.c — var_alloc's 64-byte aligned blocks on Windows, with big
 * freed blocks kept for reuse.  Apart from os_win32.c so that the allocator
 * (status.c) does not depend on the file that reports errors through it. */
#include "os.h"

#include <malloc.h>
#include <windows.h>

/* Big blocks are mapped afresh by the heap for every allocation and unmapped
 * on free (Windows' heap does so above 512 KB, Wine's likewise), so the first
 * touch of each page faults.  The decoder and the transformer allocate and
 * free the same large buffers again and again: under Wine that was half of the
 * run time in the kernel (page faults, mmap, munmap: 52% of a one-thread
 * outpaint, against 2% for the same code on Linux, where glibc keeps such
 * blocks).  So freed blocks from 256 KB to 64 MB are kept, at most 16 and
 * 256 MB together, and reused for a request they fit without wasting more than
 * half; var_ctx_free releases them.  Each block carries its size in a 64-byte
 * header (msvcrt has no _aligned_msize). */
#define CACHE_SLOTS 16
#define CACHE_MIN ((size_t)256 << 10)
#define CACHE_BLOCK_MAX ((size_t)64 << 20)
#define CACHE_TOTAL_MAX ((size_t)256 << 20)

#define HEADER 64

static SRWLOCK cache_lock = SRWLOCK_INIT;
static struct { void *p; size_t n; } cache[CACHE_SLOTS];
static size_t cache_bytes;

void *var_os_alloc64(size_t bytes)
{
  if (bytes >= CACHE_MIN && bytes <= CACHE_BLOCK_MAX) {
    void *p = NULL;
    int i, best = -1;
    AcquireSRWLockExclusive(&cache_lock);
    for (i = 0; i < CACHE_SLOTS; i++)
      if (cache[i].p && cache[i].n >= bytes && cache[i].n - bytes <= bytes / 2 &&
          (best < 0 || cache[i].n < cache[best].n))
        best = i;
    if (best >= 0) {
      p = cache[best].p;
      cache_bytes -= cache[best].n;
      cache[best].p = NULL;
    }
    ReleaseSRWLockExclusive(&cache_lock);
    if (p) return (char *)p + HEADER;
  }
  {
    char *base = bytes <= SIZE_MAX - HEADER ? _aligned_malloc(bytes + HEADER, 64) : NULL;
    if (!base) return NULL;
    *(size_t *)base = bytes;
    return base + HEADER;
  }
}

void var_os_free64(void *p)
{
  size_t n;
  int i;
  if (!p) return;
  p = (char *)p - HEADER;
  n = *(size_t *)p;
  if (n >= CACHE_MIN && n <= CACHE_BLOCK_MAX) {
    AcquireSRWLockExclusive(&cache_lock);
    for (i = 0; i < CACHE_SLOTS && cache_bytes + n <= CACHE_TOTAL_MAX; i++)
      if (!cache[i].p) {
        cache[i].p = p;
        cache[i].n = n;
        cache_bytes += n;
        p = NULL;
        break;
      }
    ReleaseSRWLockExclusive(&cache_lock);
  }
  _aligned_free(p);   /* NULL when kept */
}

void var_os_release_cache(void)
{
  int i;
  AcquireSRWLockExclusive(&cache_lock);
  for (i = 0; i < CACHE_SLOTS; i++) {
    _aligned_free(cache[i].p);
    cache[i].p = NULL;
  }
  cache_bytes = 0;
  ReleaseSRWLockExclusive(&cache_lock);
}

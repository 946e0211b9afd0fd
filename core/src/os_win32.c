/* os_win32.c — os.h on Windows: UTF-8 paths widened for the wide-character
 * calls, the checkpoint mapping with CreateFileMappingW, the default model
 * folder under %LOCALAPPDATA%. */
#include "os.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>
#include <windows.h>

/* UTF-8 to a malloc'd wide string; NULL with errno set (EILSEQ for bad UTF-8). */
static wchar_t *widen(const char *s)
{
  int n = MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, NULL, 0);
  wchar_t *w;
  if (n <= 0) {
    errno = EILSEQ;
    return NULL;
  }
  if (!(w = malloc((size_t)n * sizeof *w))) {
    errno = ENOMEM;
    return NULL;
  }
  MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, s, -1, w, n);
  return w;
}

/* Wide to UTF-8 into out (size bytes); 0 if it does not fit. */
static int narrow(const wchar_t *w, char *out, int size)
{
  return WideCharToMultiByte(CP_UTF8, 0, w, -1, out, size, NULL, NULL) > 0;
}

/* The errno a POSIX open() would have set, so messages read the same on both. */
static int errno_of(DWORD e)
{
  switch (e) {
  case ERROR_FILE_NOT_FOUND:
  case ERROR_PATH_NOT_FOUND:
  case ERROR_INVALID_NAME:
  case ERROR_BAD_NETPATH: return ENOENT;
  case ERROR_ACCESS_DENIED:
  case ERROR_SHARING_VIOLATION:
  case ERROR_LOCK_VIOLATION: return EACCES;
  case ERROR_NOT_ENOUGH_MEMORY:
  case ERROR_OUTOFMEMORY: return ENOMEM;
  case ERROR_FILENAME_EXCED_RANGE: return ENAMETOOLONG;
  default: return EIO;
  }
}

int var_os_cpu_count(void)
{
  /* All processor groups, not only the calling thread's (machines with more than 64). */
  DWORD n = GetActiveProcessorCount(ALL_PROCESSOR_GROUPS);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

FILE *var_os_fopen(const char *path, const char *mode)
{
  wchar_t *wp = widen(path), *wm = widen(mode);
  FILE *fp = wp && wm ? _wfopen(wp, wm) : NULL;
  free(wp);
  free(wm);
  return fp;
}

int var_os_regular_file(const char *path, long long *size)
{
  WIN32_FILE_ATTRIBUTE_DATA a;
  wchar_t *wp = widen(path);
  BOOL ok = wp && GetFileAttributesExW(wp, GetFileExInfoStandard, &a);
  free(wp);
  if (!ok || (a.dwFileAttributes & (FILE_ATTRIBUTE_DIRECTORY | FILE_ATTRIBUTE_DEVICE))) return 0;
  if (size) *size = (long long)(((unsigned long long)a.nFileSizeHigh << 32) | a.nFileSizeLow);
  return 1;
}

struct var_os_dir {
  wchar_t *pattern; /* "<dir>\*" */
  HANDLE h;
  WIN32_FIND_DATAW fd;
  int have;         /* fd holds an entry not yet returned */
  char name[MAX_PATH * 3 + 1];
};

static int dir_first(var_os_dir *d)
{
  d->h = FindFirstFileW(d->pattern, &d->fd);
  d->have = d->h != INVALID_HANDLE_VALUE;
  return d->have || GetLastError() == ERROR_FILE_NOT_FOUND;   /* an empty folder */
}

var_os_dir *var_os_opendir(const char *path)
{
  size_t n = strlen(path);
  wchar_t *dirw = widen(path);
  char *pat = malloc(n + 3);
  var_os_dir *d = calloc(1, sizeof *d);
  DWORD attr = dirw ? GetFileAttributesW(dirw) : INVALID_FILE_ATTRIBUTES;
  int err = !dirw ? errno : attr == INVALID_FILE_ATTRIBUTES ? errno_of(GetLastError()) : 0;
  free(dirw);
  /* opendir's errors: ENOENT for nothing there, ENOTDIR for a file. */
  if (!err && !(attr & FILE_ATTRIBUTE_DIRECTORY)) err = ENOTDIR;
  if (!err && (!pat || !d)) err = ENOMEM;
  if (!err) {
    memcpy(pat, path, n);
    strcpy(pat + n, n && (path[n - 1] == '/' || path[n - 1] == '\\') ? "*" : "\\*");
    if (!(d->pattern = widen(pat))) err = errno;
    else if (!dir_first(d)) err = errno_of(GetLastError());
  }
  free(pat);
  if (err) {
    if (d) free(d->pattern);
    free(d);
    errno = err;
    return NULL;
  }
  return d;
}

const char *var_os_readdir(var_os_dir *d)
{
  while (d->have) {
    int ok = narrow(d->fd.cFileName, d->name, (int)sizeof d->name);
    d->have = FindNextFileW(d->h, &d->fd) != 0;
    if (ok) return d->name;
  }
  return NULL;
}

void var_os_rewinddir(var_os_dir *d)
{
  if (d->h != INVALID_HANDLE_VALUE) FindClose(d->h);
  dir_first(d);
}

void var_os_closedir(var_os_dir *d)
{
  if (!d) return;
  if (d->h != INVALID_HANDLE_VALUE) FindClose(d->h);
  free(d->pattern);
  free(d);
}

var_status var_os_map_file(var_ctx *ctx, const char *path, const uint8_t **map, size_t *size)
{
  wchar_t *wp = widen(path);
  HANDLE f, m;
  LARGE_INTEGER sz;
  DWORD attr;
  const void *view;
  if (!wp) return var_fail(ctx, VAR_ERR_IO, "cannot open the file: %s", strerror(errno));
  /* A folder: POSIX open() succeeds and fstat() says what it is. */
  attr = GetFileAttributesW(wp);
  if (attr != INVALID_FILE_ATTRIBUTES && (attr & FILE_ATTRIBUTE_DIRECTORY)) {
    free(wp);
    return var_fail(ctx, VAR_ERR_IO, "not a regular file");
  }
  /* FILE_SHARE_DELETE: a file that is replaced by rename while mapped stays
   * readable, as on POSIX. */
  f = CreateFileW(wp, GENERIC_READ, FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL, OPEN_EXISTING,
                  FILE_ATTRIBUTE_NORMAL | FILE_FLAG_RANDOM_ACCESS, NULL);
  free(wp);
  if (f == INVALID_HANDLE_VALUE)
    return var_fail(ctx, VAR_ERR_IO, "cannot open the file: %s", strerror(errno_of(GetLastError())));
  if (GetFileType(f) != FILE_TYPE_DISK || !GetFileSizeEx(f, &sz)) {
    CloseHandle(f);
    return var_fail(ctx, VAR_ERR_IO, "not a regular file");
  }
  if ((unsigned long long)sz.QuadPart > (unsigned long long)SIZE_MAX) {
    CloseHandle(f);
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "too large to map on this system");
  }
  *size = (size_t)sz.QuadPart;
  if (*size < 8) {   /* also keeps empty files, which cannot be mapped, away */
    CloseHandle(f);
    return var_fail(ctx, VAR_ERR_FORMAT, "too short (%zu bytes) to be a checkpoint", *size);
  }
  m = CreateFileMappingW(f, NULL, PAGE_READONLY, 0, 0, NULL);
  CloseHandle(f);   /* the mapping keeps the file open */
  if (!m) return var_fail(ctx, VAR_ERR_IO, "cannot map the file (Windows error %lu)", (unsigned long)GetLastError());
  view = MapViewOfFile(m, FILE_MAP_READ, 0, 0, 0);
  CloseHandle(m);   /* the view keeps the mapping */
  if (!view)
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "cannot map the file (Windows error %lu)", (unsigned long)GetLastError());
  *map = view;
  return VAR_OK;
}

void var_os_unmap_file(const uint8_t *map) { UnmapViewOfFile(map); }

const char *var_os_default_model_dir(void)
{
  static char path[4096];
  const wchar_t *base = _wgetenv(L"LOCALAPPDATA");
  char b[4000];
  /* Like XDG_DATA_HOME on Linux: only an absolute value counts (C:\... or \\server\...). */
  if (base && ((base[0] && base[1] == L':') || (base[0] == L'\\' && base[1] == L'\\')) &&
      narrow(base, b, (int)sizeof b))
    snprintf(path, sizeof path, "%s\\libvar\\models", b);
  else
    snprintf(path, sizeof path, "libvar-models");
  return path;
}

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

/* os_win32.c — os.h on Windows: UTF-8 paths widened for the wide-character
 * calls, the checkpoint mapping with CreateFileMappingW, the default model
 * folder under %LOCALAPPDATA%. */
#include "os.h"

#include <errno.h>
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

/* utf8_files.h — making, copying and removing files by UTF-8 name in the
 * suites, with the wide-character calls on Windows (as a Windows program that
 * hands libvar a UTF-8 path would have made them).  Returns 0 on success. */
#ifndef VAR_UTF8_FILES_H
#define VAR_UTF8_FILES_H

#include <stdio.h>
#include <stdlib.h>

#ifdef _WIN32
#include <windows.h>

static inline int utf8_call(const char *a, const char *b, int op)
{
  wchar_t wa[1024], wb[1024];
  if (!MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, a, -1, wa, 1024)) return -1;
  if (b && !MultiByteToWideChar(CP_UTF8, MB_ERR_INVALID_CHARS, b, -1, wb, 1024)) return -1;
  switch (op) {
  case 0: return CreateDirectoryW(wa, NULL) ? 0 : -1;
  case 1: return CopyFileW(wa, wb, TRUE) ? 0 : -1;
  case 2: return DeleteFileW(wa) ? 0 : -1;
  default: return RemoveDirectoryW(wa) ? 0 : -1;
  }
}
static inline int utf8_mkdir(const char *dir) { return utf8_call(dir, NULL, 0); }
static inline int utf8_copy(const char *from, const char *to) { return utf8_call(from, to, 1); }
static inline int utf8_unlink(const char *path) { return utf8_call(path, NULL, 2); }
static inline int utf8_rmdir(const char *dir) { return utf8_call(dir, NULL, 3); }
#else
#include <sys/stat.h>
#include <unistd.h>

static inline int utf8_mkdir(const char *dir) { return mkdir(dir, 0700); }
static inline int utf8_copy(const char *from, const char *to)
{
  FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
  char buf[65536];
  size_t n;
  int rc = in && out ? 0 : -1;
  while (!rc && (n = fread(buf, 1, sizeof buf, in)) > 0)
    if (fwrite(buf, 1, n, out) != n) rc = -1;
  if (in && ferror(in)) rc = -1;
  if (in) fclose(in);
  if (out && fclose(out) != 0) rc = -1;
  return rc;
}
static inline int utf8_unlink(const char *path) { return unlink(path); }
static inline int utf8_rmdir(const char *dir) { return rmdir(dir); }
#endif

#endif

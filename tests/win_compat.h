/* win_compat.h — the few POSIX calls the CUnit suites use, for the Windows
 * build (MinGW, run under Wine in CI).  Only test set-up goes through here:
 * what libvar itself does is never replaced.  Included by test_support.h. */
#ifndef VAR_WIN_COMPAT_H
#define VAR_WIN_COMPAT_H
#ifdef _WIN32

#include <direct.h>
#include <errno.h>
#include <io.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

static inline int setenv(const char *name, const char *value, int overwrite)
{
  if (!overwrite && getenv(name)) return 0;
  return _putenv_s(name, value) == 0 ? 0 : -1;
}

static inline int unsetenv(const char *name) { return _putenv_s(name, "") == 0 ? 0 : -1; }

static inline char *mkdtemp(char *tmpl)
{
  if (_mktemp_s(tmpl, strlen(tmpl) + 1) != 0 || _mkdir(tmpl) != 0) return NULL;
  return tmpl;
}

static inline char *realpath(const char *path, char *resolved) { return _fullpath(resolved, path, 4096); }

/* Symbolic links need a privilege on Windows: the suites get a copy of the file. */
static inline int symlink(const char *target, const char *path)
{
  return CopyFileA(target, path, TRUE) ? 0 : -1;
}

#endif
#endif

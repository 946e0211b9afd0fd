/* out_files.c — see out_files.h.  POSIX: stat, mkstemp, fsync, rename (Windows: see below). */
#include "out_files.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#ifndef PATH_MAX
#define PATH_MAX 4096
#endif

#ifdef _WIN32
#include <io.h>
#include <windows.h>
/* Windows has no inodes (st_ino is 0), so files are told apart by their full
 * paths, compared without case; no symbolic links to follow here; no fchmod
 * (the folder's ACLs apply); _commit is fsync; and rename() does not replace
 * an existing file, MoveFileEx does. */
#define OUT_HAVE_INODES 0
#define lstat stat
#define S_ISLNK(m) 0
#define fsync _commit
#define fchmod(fd, mode) ((void)(fd), (void)(mode), 0)
#define path_equal(a, b) (_stricmp((a), (b)) == 0)
static char *realpath(const char *path, char *out) { return _fullpath(out, path, PATH_MAX); }
static int replace_file(const char *from, const char *to)
{
  if (MoveFileExA(from, to, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) return 0;
  errno = EACCES;
  return -1;
}
/* the last folder separator: either slash */
static const char *last_sep(const char *p)
{
  const char *a = strrchr(p, '/'), *b = strrchr(p, '\\');
  if (!a || !b) return a ? a : b;
  return a > b ? a : b;
}
#else
#define OUT_HAVE_INODES 1
#define path_equal(a, b) (strcmp((a), (b)) == 0)
#define replace_file rename
#define last_sep(p) strrchr((p), '/')
#endif

/* The folder part of path ("." when it has none). */
static void folder_of(const char *path, char *dir, size_t size)
{
  const char *slash = last_sep(path);
  size_t n;
  if (!slash) {
    snprintf(dir, size, ".");
    return;
  }
  n = (size_t)(slash - path);
  if (n == 0) n = 1;   /* "/x.png" */
  if (n >= size) n = size - 1;
  memcpy(dir, path, n);
  dir[n] = '\0';
}

/* The path with its folder resolved (the file itself need not exist). */
static int resolved(const char *path, char *out, size_t size)
{
  char dir[PATH_MAX], real[PATH_MAX];
  const char *slash = last_sep(path);
  if (realpath(path, real)) {
    snprintf(out, size, "%s", real);
    return 0;
  }
  folder_of(path, dir, sizeof dir);
  if (!realpath(dir, real)) return -1;
  snprintf(out, size, "%s/%s", real, slash ? slash + 1 : path);
  return 0;
}

int out_check(const char *path, const char *const *inputs, int n_inputs, char *err, size_t err_size)
{
  char dir[PATH_MAX];
  struct stat ds, os;
  int i, exists;
  if (!*path || path[strlen(path) - 1] == '/') {
    snprintf(err, err_size, "the output \"%s\" is not a file name", path);
    return -1;
  }
  folder_of(path, dir, sizeof dir);
  if (stat(dir, &ds) != 0) {
    snprintf(err, err_size, "cannot write %s: its folder %s: %s", path, dir, strerror(errno));
    return -1;
  }
  if (!S_ISDIR(ds.st_mode)) {
    snprintf(err, err_size, "cannot write %s: %s is not a folder", path, dir);
    return -1;
  }
  if (access(dir, W_OK | X_OK) != 0) {
    snprintf(err, err_size, "cannot write %s: the folder %s is not writable (%s)", path, dir, strerror(errno));
    return -1;
  }
  exists = stat(path, &os) == 0;
  /* the rename would replace a device node or a folder's entry: only regular files */
  if (exists && !S_ISREG(os.st_mode)) {
    snprintf(err, err_size, "cannot write %s: it exists and is not a regular file", path);
    return -1;
  }
  /* the rename would replace a file that writing to it directly could not:
   * one nobody may write is kept (checked on the mode bits, so root too) */
  if (exists && !(os.st_mode & 0222)) {
    snprintf(err, err_size, "cannot write %s: it exists and is read-only", path);
    return -1;
  }
  for (i = 0; i < n_inputs; i++) {
    struct stat is;
    int same;
    if (!inputs[i]) continue;
    if (OUT_HAVE_INODES && exists && stat(inputs[i], &is) == 0) {
      same = is.st_dev == os.st_dev && is.st_ino == os.st_ino;
    } else {
      char a[PATH_MAX + 256], b[PATH_MAX + 256];
      same = resolved(path, a, sizeof a) == 0 && resolved(inputs[i], b, sizeof b) == 0 && path_equal(a, b);
    }
    if (same) {
      snprintf(err, err_size, "the output %s is the input %s: refusing to overwrite it (choose another --out)", path,
               inputs[i]);
      return -1;
    }
  }
  return 0;
}

/* Where the file really goes: through a symbolic link, as writing to the path
 * directly would have gone. */
static const char *final_path(const char *path, char *buf)
{
  struct stat ls;
  if (lstat(path, &ls) == 0 && S_ISLNK(ls.st_mode) && realpath(path, buf)) return buf;
  return path;
}

int out_temp_open(const char *path, char *tmp, size_t tmp_size, FILE **fp, char *err, size_t err_size)
{
  char dir[PATH_MAX], target[PATH_MAX];
  const char *final = final_path(path, target), *slash = strrchr(final, '/');
  const char *base = slash ? slash + 1 : final;
  mode_t mask;
  int fd;
  *fp = NULL;
  folder_of(final, dir, sizeof dir);
  if ((size_t)snprintf(tmp, tmp_size, "%s/.%s.XXXXXX", dir, base) >= tmp_size) {
    snprintf(err, err_size, "cannot write %s: the path is too long", path);
    return -1;
  }
  fd = mkstemp(tmp);
  if (fd < 0) {
    snprintf(err, err_size, "cannot create %s: %s", path, strerror(errno));
    return -1;
  }
  /* mkstemp makes it 0600; give it what fopen(path, "w") would have */
  mask = umask(0);
  umask(mask);
  if (fchmod(fd, 0666 & ~mask) != 0 || !(*fp = fdopen(fd, "wb"))) {
    snprintf(err, err_size, "cannot create %s: %s", path, strerror(errno));
    close(fd);
    unlink(tmp);
    return -1;
  }
  return 0;
}

int out_temp_close(FILE *fp, const char *tmp, const char *path, char *err, size_t err_size)
{
  int bad = 0, e = 0;
  if (fflush(fp) != 0) bad = 1, e = errno;
  /* on the disk before it replaces anything: a crash after the rename must not
   * leave an empty file where the old one was */
  if (!bad && fsync(fileno(fp)) != 0 && errno != EINVAL) bad = 1, e = errno;
  if (fclose(fp) != 0 && !bad) bad = 1, e = errno;
  if (bad) {
    snprintf(err, err_size, "could not write %s: %s", path, strerror(e));
    unlink(tmp);
    return -1;
  }
  return 0;
}

int out_temp_commit(const char *tmp, const char *path, char *err, size_t err_size)
{
  char target[PATH_MAX];
  const char *final = final_path(path, target);
  if (replace_file(tmp, final) != 0) {
    snprintf(err, err_size, "could not write %s: %s", path, strerror(errno));
    unlink(tmp);
    return -1;
  }
  return 0;
}

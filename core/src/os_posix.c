/* os_posix.c — os.h on POSIX systems: thin wrappers over libc. */
#include "os.h"

#include <dirent.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

int var_os_cpu_count(void)
{
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n < 1 ? 1 : n > 256 ? 256 : (int)n;
}

FILE *var_os_fopen(const char *path, const char *mode) { return fopen(path, mode); }

int var_os_regular_file(const char *path, long long *size)
{
  struct stat sb;
  if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) return 0;
  if (size) *size = (long long)sb.st_size;
  return 1;
}

struct var_os_dir { DIR *d; };

var_os_dir *var_os_opendir(const char *path)
{
  var_os_dir *d = malloc(sizeof *d);
  if (!d) return NULL;
  if (!(d->d = opendir(path))) {
    free(d);
    return NULL;
  }
  return d;
}

const char *var_os_readdir(var_os_dir *d)
{
  struct dirent *e = readdir(d->d);
  return e ? e->d_name : NULL;
}

void var_os_rewinddir(var_os_dir *d) { rewinddir(d->d); }

void var_os_closedir(var_os_dir *d)
{
  if (!d) return;
  closedir(d->d);
  free(d);
}

/* os.h — the few operating-system calls core needs, behind one interface:
 * os_posix.c on Linux and the BSDs, os_win32.c on Windows.  Paths are UTF-8
 * everywhere; on Windows they are widened and passed to the wide-character
 * calls, so names outside the ANSI code page work. */
#ifndef VAR_OS_H
#define VAR_OS_H

#include "internal.h"

#include <stdio.h>

/* Online processors (at least 1). */
int var_os_cpu_count(void);

/* fopen() for a UTF-8 path. */
FILE *var_os_fopen(const char *path, const char *mode);

/* 1 if path is a regular file (its size in *size when size is not NULL), else 0. */
int var_os_regular_file(const char *path, long long *size);

/* Directory listing by UTF-8 name.  open returns NULL and sets errno on failure;
 * next returns NULL at the end (the name is valid until the next call). */
typedef struct var_os_dir var_os_dir;
var_os_dir *var_os_opendir(const char *path);
const char *var_os_readdir(var_os_dir *d);
void var_os_rewinddir(var_os_dir *d);
void var_os_closedir(var_os_dir *d);

#ifdef _WIN32
/* The checkpoint reader's file mapping on Windows (CreateFileMappingW +
 * MapViewOfFile): the whole file read-only into *map / *size, with the same
 * errors as the POSIX path in ckpt.c. */
var_status var_os_map_file(var_ctx *ctx, const char *path, const uint8_t **map, size_t *size);
void var_os_unmap_file(const uint8_t *map);
/* 64-byte aligned blocks for var_alloc / var_free, with freed large blocks
 * kept for reuse (see os_win32.c); release drops what is kept. */
void *var_os_alloc64(size_t bytes);
void var_os_free64(void *p);
void var_os_release_cache(void);
/* %LOCALAPPDATA%\libvar\models (static storage). */
const char *var_os_default_model_dir(void);
#endif

#endif

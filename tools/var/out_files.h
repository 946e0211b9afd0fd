/* out_files.h — output files that never lose what was there: checked before
 * any work, written to a temporary file in the same folder, renamed over the
 * final name only when every file of the set has been written. */
#ifndef VAR_OUT_FILES_H
#define VAR_OUT_FILES_H

#include <stdio.h>
#include <stddef.h>

/* Checks that `path` can be written as an output before any model work: its
 * folder exists and is writable, it is not a folder or a special file, and it
 * names none of the n_inputs input files (the same file by device and inode
 * when both exist; the same resolved path otherwise).  Returns 0, or -1 with a
 * message in err. */
int out_check(const char *path, const char *const *inputs, int n_inputs, char *err, size_t err_size);

/* A temporary file beside `path` (".NAME.XXXXXX" in its folder, so the final
 * rename stays on one file system), opened for writing with the permissions a
 * new file would get.  On success *fp is open and tmp holds its name. */
int out_temp_open(const char *path, char *tmp, size_t tmp_size, FILE **fp, char *err, size_t err_size);
/* Flushes, syncs and closes a temporary file; on any failure removes it.  */
int out_temp_close(FILE *fp, const char *tmp, const char *path, char *err, size_t err_size);
/* Renames a finished temporary file over `path`. */
int out_temp_commit(const char *tmp, const char *path, char *err, size_t err_size);

#endif

/* npy.h — NumPy .npy (format 1.0/2.0) reading and writing for golden arrays
 * and debug dumps: little-endian <f4 and <i8 (read), C order only. */
#ifndef VAR_NPY_H
#define VAR_NPY_H

#include <stddef.h>
#include <stdint.h>

#define NPY_MAX_DIMS 8

typedef struct npy_array {
  char dtype;               /* 'f' float32, 'i' int64 */
  int ndim;
  int64_t shape[NPY_MAX_DIMS];
  int64_t numel;
  float *f;                 /* dtype 'f' */
  int64_t *i;               /* dtype 'i' */
} npy_array;

/* Returns 0 on success; on failure -1 and a message in err. */
int npy_load(const char *path, npy_array *out, char *err, size_t err_size);
void npy_free(npy_array *a);
int npy_save_f32(const char *path, const float *data, int ndim, const int64_t *shape);
int npy_save_i64(const char *path, const int64_t *data, int ndim, const int64_t *shape);

#endif

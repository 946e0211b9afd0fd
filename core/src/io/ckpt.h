/* ckpt.h — checkpoints as a list of named tensors over a memory-mapped file.
 * Formats: PyTorch zip (.pth, torch >= 1.6) and safetensors.  Tensor bytes are
 * never copied, except half-precision tensors converted to float32 on request
 * and tensors that are not naturally aligned in the file. */
#ifndef VAR_CKPT_H
#define VAR_CKPT_H

#include "internal.h"
#include "io/zip.h"

typedef struct var_ckpt_tensor {
  char *name;
  var_dtype dtype;
  int ndim;
  int64_t shape[VAR_MAX_DIMS];
  int64_t numel;
  const void *data;         /* numel elements of dtype, naturally aligned */
  size_t nbytes;
  float *f32;               /* float32 copy made by var_ckpt_f32 for half types, else NULL */
} var_ckpt_tensor;

/* How var_checkpoint holds its bytes. */
enum { VAR_CKPT_HEAP = 0, VAR_CKPT_MMAP = 1, VAR_CKPT_BORROWED = 2 };

struct var_checkpoint {
  var_ctx *ctx;
  char *path;               /* file path, or the name given to var_checkpoint_open_memory */
  const uint8_t *map;       /* the whole file */
  size_t map_size;
  int mapped;               /* VAR_CKPT_MMAP, VAR_CKPT_HEAP (read into memory) or VAR_CKPT_BORROWED */
  int format;               /* VAR_CKPT_PTH or VAR_CKPT_SAFETENSORS */
  var_ckpt_tensor *tensors;
  int n;
  var_name_ref *by_name;    /* sorted index over tensors[].name (zip.h) */
  void **owned;             /* aligned copies to free */
  int n_owned;
};

enum { VAR_CKPT_PTH = 1, VAR_CKPT_SAFETENSORS = 2 };

/* Opens a checkpoint held in memory (the fuzzer's and the tests' entry; also
 * usable for embedded weights).  The bytes are borrowed, not copied: they must
 * outlive the checkpoint.  `name` stands for the path in messages (may be NULL).
 * Validation is exactly that of var_checkpoint_open. */
var_status var_checkpoint_open_memory(var_ctx *ctx, const void *data, size_t size, const char *name,
                                      var_checkpoint **out);

/* Tensor by exact name, NULL when absent. */
const var_ckpt_tensor *var_ckpt_find(const var_checkpoint *ck, const char *name);

/* Looks up `name` and checks its rank and shape: dims[i] < 0 accepts any size.
 * Returns float32 data (converting half types once, kept with the checkpoint).
 * Errors name the tensor and both shapes. */
var_status var_ckpt_f32(var_checkpoint *ck, const char *name, int ndim, const int64_t *dims, const float **data,
                        const var_ckpt_tensor **info);
/* Tells the system that the mapped pages of tensor t will not be read again (a
 * weight converted on load): they leave the resident set now instead of when
 * memory runs short.  Only whole pages inside the tensor; reading them later
 * still works (the file is read again).  No-op for heap or borrowed bytes. */
void var_ckpt_drop_pages(const var_checkpoint *ck, const var_ckpt_tensor *t);
/* IEEE half (binary16) bits -> float32, exactly. */
float var_half_to_float(uint16_t h);
/* Formats "[a, b, c]" into buf. */
const char *var_shape_str(const int64_t *shape, int ndim, char *buf, size_t n);

#endif

/* pickle.h — a restricted reader for the data.pkl of a PyTorch state dict.
 *
 * It is an interpreter for a small subset of the pickle machine: the opcodes
 * of protocols 2-5 that build tuples, lists, dicts, strings and numbers, plus
 * exactly these globals: collections.OrderedDict, torch._utils._rebuild_tensor_v2,
 * torch._utils._rebuild_parameter and the torch.*Storage classes.  Any other
 * global (os.system, builtins.eval, ...) and any opcode that would construct
 * an arbitrary object (INST, OBJ, NEWOBJ, EXT*) is refused before anything
 * happens; nothing is ever imported, called or executed.
 *
 * Resources are bounded: memory is linear in the pickle's size and the number
 * of objects it may build is capped (VAR_PICKLE_MAX_VALUES), so a hostile file
 * gets an error, not an exhausted machine. */
#ifndef VAR_PICKLE_H
#define VAR_PICKLE_H

#include "internal.h"

/* A released state dict builds about 20 objects per tensor (d36: ~9,000 in
 * all), so this leaves room for 50,000-tensor dicts while capping memory at
 * about 100 MB. */
#define VAR_PICKLE_MAX_VALUES (1u << 20)
/* Stack depth and container items are capped likewise (a pickle batches dict
 * items 1,000 at a time, so real stacks stay a few thousand deep). */
#define VAR_PICKLE_MAX_STACK (1u << 20)
#define VAR_PICKLE_MAX_ITEMS (1u << 22)

typedef struct var_pkl_tensor {
  char *name;               /* state-dict key */
  char *storage_key;        /* archive entry <prefix>/data/<storage_key> */
  var_dtype dtype;
  int64_t storage_numel;    /* elements in the storage, from the persistent id */
  int64_t offset;           /* storage offset, elements */
  int ndim;
  int64_t shape[VAR_MAX_DIMS];
  int64_t stride[VAR_MAX_DIMS];
} var_pkl_tensor;

typedef struct var_pkl_state_dict {
  var_pkl_tensor *tensors;
  int n;
} var_pkl_state_dict;

/* Interprets data.pkl and returns its name -> tensor entries in file order.
 * Fails with VAR_ERR_UNSUPPORTED for anything that is not a plain state dict
 * and VAR_ERR_FORMAT for malformed or truncated pickles. */
var_status var_pickle_state_dict(var_ctx *ctx, const uint8_t *data, size_t size, var_pkl_state_dict *out);
void var_pickle_state_dict_free(var_pkl_state_dict *sd);
size_t var_dtype_size(var_dtype dt);

#endif

/* result.h — building a var_result (edit.c). */
#ifndef VAR_RESULT_H
#define VAR_RESULT_H

#include "internal.h"

#define VAR_RESULT_DESC_SIZE 640   /* room for a 254-byte class name */

/* count images of width x height, uninitialised pixels, stride 4 * width. */
var_status var_result_new(var_ctx *ctx, int count, int width, int height, var_result **out);
var_image *var_result_image_mut(var_result *r, int i);
/* Records image i's seed and description ("VAR <op> <model> seed=... class=...");
 * `name` is the class's name (var_model_class_name), NULL for none. */
void var_result_set(var_result *r, int i, uint64_t seed, const char *op, const char *model, const char *name,
                    const var_edit_params *p);

#endif

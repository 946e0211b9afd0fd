/* lowp.h — reduced-precision weights (var.h "Reduced-precision weights"): which
 * tensors are the transformer's linear weights, the element conversions, int8
 * row quantisation, and the checks a converted file must pass. */
#ifndef VAR_LOWP_H
#define VAR_LOWP_H

#include "io/ckpt.h"

/* Suffix of an int8 weight's row-scale tensor: "<layer>.weight" + "_scale". */
#define VAR_LP_SCALE_SUFFIX "_scale"

/* 1 when `name` is the ".weight" of one of the transformer's linear layers that
 * may be reduced (attn.mat_qkv, attn.proj, ffn.fc1, ffn.fc2, ada_lin.1 of a block,
 * shared_ada_lin.1, head_nm.ada_lin.1, head). */
int var_lp_is_linear_weight(const char *name);

/* float32 -> bfloat16 / float16 bits, rounding to nearest even (NaN stays NaN;
 * float16 overflows to infinity like a cast would). */
uint16_t var_f32_to_bf16(float f);
uint16_t var_f32_to_f16(float f);

/* Elements [0, n) of a row of type `dtype` (F32, BF16, F16; I8 times `scale`) as float32. */
void var_lp_row_f32(int dtype, const void *src, int64_t n, float scale, float *out);

/* Symmetric int8 of one row: scale = max |w| / 127 (1 for an all-zero row),
 * q = round(w / scale) in [-127, 127]. */
float var_lp_quantize_row(const float *w, int64_t n, int8_t *q);

/* The var_weights value that a dtype stands for (F32 -> VAR_WEIGHTS_F32 ...). */
int var_lp_weights_of_dtype(int dtype);
/* And back: VAR_WEIGHTS_BF16 -> VAR_DTYPE_BF16, VAR_WEIGHTS_INT8 -> VAR_DTYPE_I8 ... */
int var_lp_dtype_of_weights(int weights);

/* Checks that every I8 tensor of ck is a linear weight with an F32 [N] scale, and
 * that every "*.weight_scale" belongs to an I8 weight; errors name the tensor. */
var_status var_lp_check_file(var_checkpoint *ck);

#endif

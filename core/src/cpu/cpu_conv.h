/* cpu_conv.h — what the CPU convolution files share: the im2col row builder
 * (cpu_im2col.c), Winograd (cpu_winograd.c) and the direct AVX2 convolution
 * (cpu_conv_avx2.c). */
#ifndef VAR_CPU_CONV_H
#define VAR_CPU_CONV_H

#include "cpu/cpu_ops.h"

/* Row r = (ci, dy, dx) of the im2col matrix of one batch item `in` for the
 * output pixels [p0, p0 + np): dst[j] = the input under tap (dy, dx) of pixel
 * p0 + j, 0 in the padding. */
void var_im2col_row(const var_conv_desc *d, const float *in, int r, int p0, int np, float *dst);

/* cpu_winograd.c: 1 when d is a 3x3 stride-1 convolution padded by 1 on every
 * side (the output has the input's size), which var_conv2d_winograd computes
 * by Winograd's F(2x2, 3x3) in any build. */
int var_conv_winograd_fits(const var_conv_desc *d);
var_status var_conv2d_winograd(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                               var_dptr residual, var_dptr out);

#if VAR_HAVE_X86_SIMD
/* out = conv(in, w) + bias (+ residual) computed directly: the input is packed
 * tile by tile (an implicit im2col that stays in cache) and multiplied by the
 * weights in 6 x 16 register blocks with FMA. */
var_status var_conv2d_avx2(var_backend *be, const var_conv_desc *d, const float *in, const float *w,
                           const float *bias, const float *residual, float *out);
#endif

#endif

/* fill.h — smooth fill of masked pixels in the model's input (see fill.c). */
#ifndef VAR_FILL_H
#define VAR_FILL_H

#include "edit/image.h"

/* planar: the 3 x S x S model input that var_image_to_model made for window `win`
 * of a W x H image.  Every model pixel whose resampling taps read a pixel with a
 * non-zero mask (mask[y * stride + x], image coordinates) is replaced by a smooth
 * (near-harmonic) continuation of the others; *n_filled (may be NULL) is how many.
 * With nothing known in the window, the fill is 0 (mid grey). */
var_status var_fill_masked(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, var_window win, int S,
                           float *planar, int *n_filled);

/* Poisson-style blending of a generated window: gen (3 x S x S in [0, 1], the
 * decoder's output) is shifted by the harmonic continuation, into the pixels
 * var_fill_masked fills, of its difference from `in` (the window's model input in
 * [-1, 1], read only where nothing is masked) and clamped to [0, 1].  The kept
 * pixels become `in` exactly, the regenerated ones keep their detail but meet
 * their surroundings without the decoder's colour miss. */
var_status var_fill_seamless(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, var_window win, int S,
                             const float *in, float *gen);

#endif

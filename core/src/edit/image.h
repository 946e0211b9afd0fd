/* image.h — host-side pixel work of the image-level API: resampling between
 * image pixels and the model's square input/output, soft-mask compositing and
 * mask geometry.  Nothing here knows about the model, so it is unit-tested on
 * its own (tests/test_image.c). */
#ifndef VAR_IMAGE_H
#define VAR_IMAGE_H

#include "internal.h"

/* A pixel rectangle; w or h 0 means empty. */
typedef struct var_rect {
  int x, y, w, h;
} var_rect;

/* A square of `size` image pixels with top-left corner (x, y), mapped onto the
 * model's S x S input.  It may reach past the image: pixels there repeat the
 * nearest edge pixel (they are never written back). */
typedef struct var_window {
  int x, y, size;
} var_window;

/* One axis of a separable resampling: out[i] = sum_k weight[i][k] * in[index[i][k]].
 * Output pixel i covers the source interval [offset + i*scale, offset + (i+1)*scale)
 * (pixel j of the source covers [j, j+1)); scale = source pixels per output pixel.
 * The filter is Lanczos-3, widened by `scale` when downsampling (antialiasing).
 * Source indices are clamped to [0, n_in), i.e. edges repeat.  Each row of
 * weights sums to 1; where the output lands exactly on source pixels at scale 1
 * the plan is an exact copy. */
typedef struct var_resample_plan {
  int n_out, taps;
  int32_t *index;     /* n_out * taps */
  float *weight;      /* n_out * taps */
} var_resample_plan;

var_status var_resample_plan_init(var_ctx *ctx, var_resample_plan *plan, int n_out, double offset, double scale,
                                  int n_in);
void var_resample_plan_free(var_resample_plan *plan);

/* Samples window `win` of img into out: 3 x S x S planar floats in [-1, 1], the
 * VQ-VAE's input convention (x01 + x01 - 1).  Alpha is otherwise ignored, but
 * fully transparent pixels, whose colour is arbitrary (often black), are shown
 * to the model as the mean colour of the visible pixels the window reads. */
var_status var_image_to_model(var_ctx *ctx, const var_image *img, var_window win, int S, float *out);

/* Resamples the model output gen (3 x S x S planar, [0, 1]) that was made for
 * window `win` onto the pixels of `rect` (which must lie inside dst) and
 * composites it with the soft mask (mask[y * mask_stride + x], image
 * coordinates): c' = (c (255 - m) + g m + 127) / 255 for R, G, B and A (with
 * g = 255 for A).  Pixels whose mask is 0 are not written at all. */
var_status var_image_paste_model(var_ctx *ctx, var_image *dst, const uint8_t *mask, size_t mask_stride, var_rect rect,
                                 var_window win, int S, const float *gen);

/* Model output in [0, 1] (3 x S x S planar) -> opaque RGBA8 S x S (rounded). */
void var_image_from_planar(const float *planar, int S, uint8_t *rgba, size_t stride);

/* Bounding box of the mask's non-zero pixels; returns how many there are. */
int64_t var_mask_bbox(const uint8_t *mask, size_t stride, int w, int h, var_rect *bbox);

/* 1 if the rectangles overlap. */
int var_rect_intersect(var_rect a, var_rect b, var_rect *out);

#endif

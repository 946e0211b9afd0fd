/* window.h — where the model looks: context windows for in-painting, the
 * overlapping windows of out-painting, and the token-level keep-mask of a
 * window.  Pure geometry (no model), unit-tested in tests/test_image.c. */
#ifndef VAR_WINDOW_H
#define VAR_WINDOW_H

#include "edit/image.h"

/* Automatic context margin (image pixels) around a mask bounding box whose
 * larger side is `side`, for a model of S pixels: half the box, at least S/8. */
int var_window_auto_margin(int side, int S);

/* In-paint window for the mask bounding box `bbox` of a W x H image: the box
 * grown by `margin` on every side, made square, no larger than the image's
 * larger side and, when the box allows it, no larger than its smaller side (so
 * that little of the window lies outside the image); then shifted to lie inside
 * the image where it fits, centred on the image where it does not. */
var_window var_window_for_box(var_rect bbox, int W, int H, int margin);

/* The in-paint window of mask box `bbox`: margin -1 = automatic. */
var_window var_window_for_mask_box(var_rect bbox, int W, int H, int S, int margin);

/* Most separately windowed areas of one mask (more parts share one window). */
#define VAR_MAX_CLUSTERS 64

/* Splits a mask into areas that each get their own window, so that two small
 * selections far apart are each worked on at their own scale instead of in one
 * large, reduced window: the 8-connected parts of the mask (on a grid of at most
 * 512 x 512 cells) are merged while their windows (var_window_for_mask_box)
 * overlap, so the final windows are disjoint.  With more than VAR_MAX_CLUSTERS
 * parts the whole mask is one area.  *boxes (var_alloc) gets the areas' mask
 * bounding boxes, top to bottom; an empty mask gives *n = 0. */
var_status var_mask_clusters(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, int S, int margin,
                             var_rect **boxes, int *n);

/* Automatic mask growth (image pixels) for a window: a quarter of a token cell. */
int var_window_auto_grow(var_window win, int S, int cell);

/* Token keep-mask of window `win` for a mask over a W x H image: keep[h x h]
 * (h = S / cell) is 0 ("generate") for every token whose cell contains an image
 * pixel within Chebyshev distance `grow` of a pixel with mask > 0, 1 elsewhere.
 * A pixel belongs to every cell that its area, mapped into model pixels,
 * overlaps, so every masked pixel lies in generated cells.  bbox must be the
 * mask's bounding box (only it is scanned).  Returns the number of generated
 * tokens in *n_generate (may be NULL). */
var_status var_window_keep_mask(var_ctx *ctx, const uint8_t *mask, size_t stride, int W, int H, var_rect bbox,
                                var_window win, int S, int cell, int grow, float *keep, int *n_generate);

/* Side (image pixels) of the out-paint windows for a canvas of CW x CH whose
 * known pixels span a kw x kh box: about the known area (between S and 2S) so
 * that the model sees the image at a scale comparable to the in-paint case, but
 * never larger than the canvas needs. */
int var_outpaint_window_size(int CW, int CH, int kw, int kh, int S);

/* Out-paint windows: a grid of `size`-pixel squares over the canvas, stepping
 * at most size/2 so that neighbours overlap by half, ordered by distance from
 * the known box (nearest first, so each window extends what is already known).
 * *out is allocated with var_alloc. */
var_status var_outpaint_windows(var_ctx *ctx, int CW, int CH, var_rect known, int size, var_window **out, int *count);

#endif

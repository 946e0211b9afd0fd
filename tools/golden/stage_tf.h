/* stage_tf.h — helpers shared by the transformer-side golden stages
 * (stage_tf.c, stage_filter.c, stage_gen.c, stage_edit.c). */
#ifndef VAR_STAGE_TF_H
#define VAR_STAGE_TF_H

#include "golden.h"

#include <stdint.h>

typedef struct golden_models {
  var_ctx *ctx;
  var_transformer *tf;
  var_vqvae *vae;       /* NULL unless asked for */
} golden_models;

/* Loads the set's transformer (and VQ-VAE when need_vae) on a fresh context;
 * on failure records `what` as failed (or not implemented) and returns -1. */
int golden_open_models(const golden_set *g, golden_report *r, const char *what, int need_vae, golden_models *m);
void golden_close_models(golden_models *m);

/* Loads an int64 golden array as int32 (malloc'd); 0 on success. */
int golden_load_i32(const golden_set *g, const char *name, int32_t **out, int64_t *n, char *err, size_t err_size);

/* margin[r] = top-1 minus top-2 value of each row of logits[rows, V]. */
void golden_top2_margin(const float *logits, int64_t rows, int V, float *margin);

/* The gen_* (edit = 0) or edit_* (edit = 1) checks of one case `tag` (golden.md §5):
 * generation with the golden tokens forced (guided logits of every scale,
 * their argmax where the margin is clear, f_hat, image), then free-running
 * greedy generation (tokens with near-ties excused and counted; f_hat and image
 * of every item that did not flip). */
void golden_generation_case(const golden_set *g, golden_report *r, const char *tag, int edit);

#endif

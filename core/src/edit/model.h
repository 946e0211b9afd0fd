/* model.h — the model pair behind the image-level API (var_model), and what
 * edit.c needs from it.  The two model calls go through a small table so that
 * the image pipeline (windows, compositing, variants, progress, cancel) can be
 * tested with a synthetic model as well as with the real one. */
#ifndef VAR_MODEL_H
#define VAR_MODEL_H

#include "internal.h"

/* Class names of a model (model_classes.c); also the public var_class_names. */
struct var_class_names {
  int num_classes;
  char **names;               /* num_classes entries (NULL: unnamed) from classes.txt, or NULL */
  int n_named;                /* how many of them have a name (> 0 whenever names is set) */
};

typedef struct var_model_ops {
  /* img: 3 x S x S planar in [-1, 1]; tokens: L (one image). */
  var_status (*encode)(var_model *m, const float *img, int32_t *tokens);
  /* One image with seed p->seed; label < 0 = unconditional; keep_tokens and
   * keep_mask (h x h, 1 = keep) both NULL for plain generation; the first
   * keep_scales scales keep all of keep_tokens.
   * tokens_out: L; img_out: 3 x S x S planar in [0, 1]. */
  var_status (*generate)(var_model *m, const var_sample_params *p, int label, const int32_t *keep_tokens,
                         const float *keep_mask, int keep_scales, int32_t *tokens_out, float *img_out);
} var_model_ops;

/* What one model call of an edit saw and produced (test and debug hook). */
typedef struct var_model_trace {
  const char *op;             /* "inpaint", "outpaint", "generate" */
  int variant, window;
  uint64_t seed;
  int win_x, win_y, win_size; /* image pixels (generate: 0, 0, S) */
  const int32_t *keep_tokens; /* L, NULL for plain generation */
  const float *keep_mask;     /* h x h, NULL for plain generation */
  const int32_t *tokens;      /* L effective tokens */
  const float *image;         /* 3 x S x S in [0, 1] */
} var_model_trace;

typedef void (*var_model_trace_fn)(void *user, const var_model_trace *t);

struct var_model {
  var_ctx *ctx;
  var_vqvae *vae;             /* NULL for a synthetic model */
  var_transformer *tf;
  var_schedule schedule;
  int image_size;             /* S */
  int cell;                   /* image pixels per finest token (VQ-VAE downsampling) */
  int grid;                   /* h = S / cell */
  int n_tokens;               /* L */
  int num_classes, vocab_size;
  char name[64];              /* transformer file stem, e.g. "var_d16" */
  char *vae_path, *tf_path;
  var_class_names classes;    /* from a classes.txt beside the transformer, else none */
  const var_model_ops *ops;
  void *ops_user;
  var_model_trace_fn trace;
  void *trace_user;
};

/* A model whose two calls are `ops` (tests, and future non-file models). */
var_status var_model_new_custom(var_ctx *ctx, const char *name, const var_schedule *schedule, int cell,
                                int num_classes, int vocab_size, const var_model_ops *ops, void *ops_user,
                                var_model **out);
void var_model_set_trace(var_model *m, var_model_trace_fn fn, void *user);
/* model_classes.c: names from a classes.txt beside the transformer (absent file: none) */
var_status var_model_read_class_names(var_model *m);
void var_model_free_class_names(var_model *m);
/* model_dir.c: "dir/var_d16.pth" -> "var_d16" */
void var_model_file_stem(const char *path, char *out, size_t size);
/* Resolves the files var_model_load_dir(ctx, dir, name) would load (model_dir.c). */
var_status var_model_dir_files(var_ctx *ctx, const char *dir, const char *name, char *vae_path, size_t vae_size,
                               char *tf_path, size_t tf_size);

#endif

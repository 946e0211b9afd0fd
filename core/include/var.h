/*
 * var.h — libvar: a native C99 implementation of VAR (Visual AutoRegressive
 * modeling, Tian et al. 2024, arXiv 2404.02905) inference.
 *
 * This is the only public header.  Conventions:
 *   - every entry point returns a var_status (VAR_OK == 0) unless it cannot fail;
 *     the human-readable reason of the last failure is var_ctx_last_error();
 *   - handles are opaque; each *_new / *_load has a matching *_free, which
 *     accepts NULL;
 *   - buffers passed in are borrowed; buffers returned in a var_result are
 *     owned by the result and released by var_result_free();
 *   - thread safety: a var_ctx and everything loaded through it are used by one
 *     thread at a time.  The single exception is var_ctx_cancel(), which any
 *     thread may call at any time.  Separate contexts are independent.
 *
 * Image conventions: var_image is 8-bit RGBA, straight (non-premultiplied)
 * alpha, rows top to bottom.  Masks are 8-bit, one byte per pixel, 255 =
 * "regenerate", 0 = "keep", values in between blend (a feathered selection).
 * Token-level masks follow the original code instead: 1 = keep, 0 = generate.
 */
#ifndef VAR_H
#define VAR_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define VAR_VERSION_MAJOR 0
#define VAR_VERSION_MINOR 1
#define VAR_VERSION_PATCH 0
#define VAR_VERSION_STRING "0.1.0"

#if defined(_WIN32) && defined(VAR_BUILDING_DLL)
#define VAR_API __declspec(dllexport)
#elif defined(__GNUC__)
#define VAR_API __attribute__((visibility("default")))
#else
#define VAR_API
#endif

/* Library version as a string, e.g. "0.1.0" (can differ from the header's). */
VAR_API const char *var_version(void);

/* ------------------------------------------------------------------------- */
/* Errors                                                                     */

typedef enum var_status {
  VAR_OK = 0,
  VAR_ERR_INVALID_ARGUMENT,  /* a NULL handle, a negative size, an out-of-range option */
  VAR_ERR_IO,                /* a file could not be opened, read or mapped */
  VAR_ERR_FORMAT,            /* a file is malformed, truncated or not what it claims */
  VAR_ERR_UNSUPPORTED,       /* well-formed but outside what libvar handles (e.g. a pickle opcode) */
  VAR_ERR_SHAPE,             /* tensors or inputs whose shapes do not fit together */
  VAR_ERR_NO_MEMORY,         /* an allocation failed or a size would overflow */
  VAR_ERR_CANCELLED,         /* the caller cancelled; outputs are untouched */
  VAR_ERR_BACKEND,           /* the compute backend failed (e.g. an OpenCL error) */
  VAR_ERR_NOT_FOUND,         /* a tensor, model file, class name or device does not exist */
  VAR_ERR_NOT_IMPLEMENTED,   /* a stage that this build does not provide yet */
  VAR_ERR_COUNT_             /* keep last */
} var_status;

/* A short English description of a status code ("invalid argument", ...). */
VAR_API const char *var_strerror(var_status status);

/* ------------------------------------------------------------------------- */
/* Context                                                                    */

typedef struct var_ctx var_ctx;

typedef enum var_log_level {
  VAR_LOG_ERROR = 0,
  VAR_LOG_WARN = 1,
  VAR_LOG_INFO = 2,
  VAR_LOG_DEBUG = 3
} var_log_level;

typedef void (*var_log_fn)(void *user, var_log_level level, const char *message);

/* Progress of a long call.  `fraction` goes from 0 to 1 over the whole job
 * (all variants, all windows); `stage` is a short English label such as
 * "encode", "scale 3/10", "decode". */
typedef struct var_progress {
  double fraction;
  int step, total_steps;     /* fine-grained steps of the whole job */
  int variant, variants;     /* 0-based variant being produced, and how many */
  const char *stage;
} var_progress;

/* Called after each scale and between stages.  Return non-zero to cancel: the
 * running call then returns VAR_ERR_CANCELLED and leaves its outputs untouched. */
typedef int (*var_progress_fn)(void *user, const var_progress *progress);

typedef struct var_ctx_params {
  int n_threads;          /* 0 = all cores (or $VAR_THREADS) */
  const char *backend;    /* NULL = $VAR_BACKEND or "cpu"; "cpu", "opencl", "opencl:N" (device index)
                             or "opencl:NAME" (device-name substring) */
  var_log_fn log;         /* NULL = silent */
  void *log_user;
  var_log_level log_level;
  int weights;            /* a var_weights value: the type the transformer's linear-layer weights are
                             converted to when a checkpoint loads (VAR_WEIGHTS_AS_STORED, the default,
                             keeps what the file holds, unless $VAR_WEIGHTS names a type; see
                             "Reduced-precision weights" below) */
} var_ctx_params;

/* Fills in the defaults described above. */
VAR_API void var_ctx_params_default(var_ctx_params *params);

/* Creates a context.  params may be NULL (defaults).  If the requested backend
 * cannot start, the call fails with VAR_ERR_BACKEND and *out is NULL; the
 * message is then available from var_last_init_error(). */
VAR_API var_status var_ctx_new(const var_ctx_params *params, var_ctx **out);
VAR_API void var_ctx_free(var_ctx *ctx);

/* Message of the last failure on this context ("" when none). */
VAR_API const char *var_ctx_last_error(const var_ctx *ctx);
/* Message of the last var_ctx_new() failure in this thread. */
VAR_API const char *var_last_init_error(void);

/* Name of the active backend ("cpu", "opencl: <device name>"). */
VAR_API const char *var_ctx_backend_name(const var_ctx *ctx);
/* Lists backends usable in this build and on this machine as a newline-separated
 * string, e.g. "cpu\nopencl:0 pthread-skylake-avx512 (Portable Computing Language)".
 * The string is the calling thread's: valid until that thread calls again. */
VAR_API const char *var_backends_available(void);

VAR_API void var_ctx_set_progress(var_ctx *ctx, var_progress_fn fn, void *user);
/* Requests cancellation of the call running on ctx; callable from any thread.
 * The flag is cleared when the next long call starts. */
VAR_API void var_ctx_cancel(var_ctx *ctx);
VAR_API int var_ctx_n_threads(const var_ctx *ctx);

/* ------------------------------------------------------------------------- */
/* Checkpoints (PyTorch .pth zip archives and .safetensors)                   */

typedef struct var_checkpoint var_checkpoint;

typedef enum var_dtype {
  VAR_DTYPE_F32 = 0,
  VAR_DTYPE_F16,
  VAR_DTYPE_BF16,
  VAR_DTYPE_I64,
  VAR_DTYPE_I32,
  VAR_DTYPE_U8,
  VAR_DTYPE_I8            /* int8 linear weights of a converted file (with float32 row scales) */
} var_dtype;

#define VAR_MAX_DIMS 8

typedef struct var_tensor_info {
  const char *name;               /* owned by the checkpoint */
  var_dtype dtype;
  int ndim;
  int64_t shape[VAR_MAX_DIMS];
  int64_t numel;
} var_tensor_info;

/* Opens and validates a checkpoint.  The file is memory-mapped; tensor data is
 * never copied by the loader.  Nothing in the file is executed: the pickle
 * reader understands only what a state dict needs. */
VAR_API var_status var_checkpoint_open(var_ctx *ctx, const char *path, var_checkpoint **out);
VAR_API void var_checkpoint_free(var_checkpoint *ckpt);
VAR_API int var_checkpoint_n_tensors(const var_checkpoint *ckpt);
/* Tensor i in file order (0 <= i < n_tensors). */
VAR_API var_status var_checkpoint_tensor(const var_checkpoint *ckpt, int i, var_tensor_info *info);
/* Index of the tensor named exactly `name`, -1 when the file has none. */
VAR_API int var_checkpoint_find(const var_checkpoint *ckpt, const char *name);
VAR_API const char *var_dtype_name(var_dtype dtype);

/* The file's container. */
typedef enum var_checkpoint_format {
  VAR_CHECKPOINT_PTH = 1,           /* PyTorch zip archive (torch.save, torch >= 1.6) */
  VAR_CHECKPOINT_SAFETENSORS = 2
} var_checkpoint_format;
VAR_API var_checkpoint_format var_checkpoint_get_format(const var_checkpoint *ckpt);
/* Reads a checkpoint end to end: what loading checks, plus the CRC-32 of every
 * zip entry (loading checks only data.pkl's) and that every floating-point
 * tensor holds only finite values.  VAR_OK, or VAR_ERR_FORMAT (damaged or
 * poisoned), VAR_ERR_IO, ... with a message naming the file and the first
 * problem.  It reads every byte: about a second per GB. */
VAR_API var_status var_verify_file(var_ctx *ctx, const char *path);
/* The same, once per process for each version of a file: a file whose device,
 * inode, size and modification time match one that passed before returns
 * VAR_OK at once.  For plug-ins, before a model's first use.  Thread-safe. */
VAR_API var_status var_verify_file_once(var_ctx *ctx, const char *path);

/* ------------------------------------------------------------------------- */
/* Reduced-precision weights                                                  */
/*
 * The transformer's linear layers (blocks.N.attn.mat_qkv, blocks.N.attn.proj,
 * blocks.N.ffn.fc1/fc2, blocks.N.ada_lin.1, shared_ada_lin.1, head_nm.ada_lin.1
 * and head: their ".weight" tensors) can be held as bfloat16, float16 or int8;
 * the CPU backend multiplies with them directly, never making a float32 copy.
 * Everything else (embeddings, position tables, norms, biases, word_embed,
 * attention scales) stays float32.
 *
 * A converted file (var_checkpoint_convert, `var convert`) is a safetensors file
 * with the same tensor names as the original.  int8 layers are symmetric with
 * one scale per output row: "<layer>.weight" is I8 [N, K] and
 * "<layer>.weight_scale" is F32 [N], the weight being q[n][k] * scale[n]
 * (scale = max_k |w[n][k]| / 127).  The header's __metadata__ records
 * "libvar.weights" (f32, bf16, f16 or int8).  The loader refuses, naming the
 * tensor, an I8 weight without its scale, a scale whose shape is not [N] or
 * whose type is not F32, a scale beside a float weight, and I8 anywhere else.
 * A VQ-VAE converts to bf16/f16 only (its convolutions then load as float32).
 */
typedef enum var_weights {
  VAR_WEIGHTS_AS_STORED = 0,   /* whatever the file holds */
  VAR_WEIGHTS_F32,
  VAR_WEIGHTS_BF16,
  VAR_WEIGHTS_F16,
  VAR_WEIGHTS_INT8
} var_weights;

/* "stored", "f32", "bf16", "f16", "int8". */
VAR_API const char *var_weights_name(var_weights weights);
/* Parses those names (and "float32", "bfloat16", "float16", "fp16", "i8"). */
VAR_API var_status var_weights_parse(const char *text, var_weights *out);
/* Writes `in_path` (a transformer or VQ-VAE checkpoint, .pth or .safetensors) as a
 * safetensors file at out_path with its linear weights in `to` (not AS_STORED):
 * written to a temporary file beside out_path and renamed over it only when
 * complete, so a failure leaves no partial file.  A VQ-VAE accepts f32/bf16/f16
 * (all its convolution kernels change type). */
VAR_API var_status var_checkpoint_convert(var_ctx *ctx, const char *in_path, const char *out_path,
                                          var_weights to);

/* ------------------------------------------------------------------------- */
/* Scale schedules                                                            */

#define VAR_MAX_SCALES 32

/* patch_nums: side of the token map of each scale, coarse to fine. */
typedef struct var_schedule {
  int n_scales;
  int pn[VAR_MAX_SCALES];
} var_schedule;

/* The released schedules: 256 -> (1,2,3,4,5,6,8,10,13,16), 512 -> (1,2,3,4,6,9,13,18,24,32). */
VAR_API var_status var_schedule_for_image_size(int image_size, var_schedule *out);
/* Parses "1,2,3,4" or "1_2_3_4". */
VAR_API var_status var_schedule_parse(const char *text, var_schedule *out);
VAR_API int var_schedule_tokens(const var_schedule *s);   /* L = sum pn^2 */

/* ------------------------------------------------------------------------- */
/* Models                                                                     */

typedef struct var_vqvae var_vqvae;
typedef struct var_transformer var_transformer;

typedef struct var_vqvae_info {
  int vocab_size;         /* V */
  int z_channels;         /* Cv */
  int ch;                 /* base channels */
  int n_levels;
  int ch_mult[8];
  int num_res_blocks;     /* encoder res-blocks per level (decoder has one more) */
  int n_phi;              /* number of phi convolutions (share_quant_resi) */
  int downsample;         /* image side / latent side (16 for the released model) */
  int64_t n_params;
} var_vqvae_info;

typedef struct var_transformer_info {
  int depth, width, heads, head_dim, mlp_hidden;
  int vocab_size, z_channels, num_classes;   /* num_classes is also the unconditional label */
  int shared_aln;
  var_schedule schedule;
  int n_tokens;           /* L */
  int image_size;         /* 16 * last pn, assuming the released VAE's downsampling */
  int64_t n_params;
} var_transformer_info;

/* Which attention blocks a VQ-VAE has (1 = present). */
typedef struct var_vqvae_attention {
  int encoder_last_level, encoder_mid, decoder_last_level, decoder_mid;
} var_vqvae_attention;

/* The configuration an open checkpoint's tensor shapes imply, derived exactly
 * as var_vqvae_load / var_transformer_load derive it, without loading,
 * converting or uploading any weight (only the file's tensor index is read):
 * for `var inspect`, and to check files before loading them.  attention may be
 * NULL; schedule as for var_transformer_load.  Errors (a missing tensor, shapes
 * that do not fit) go to the context the checkpoint was opened with. */
VAR_API var_status var_checkpoint_vqvae_info(var_checkpoint *ckpt, var_vqvae_info *info,
                                             var_vqvae_attention *attention);
VAR_API var_status var_checkpoint_transformer_info(var_checkpoint *ckpt, const var_schedule *schedule,
                                                   var_transformer_info *info);

/* Loads a VQ-VAE checkpoint; its configuration is derived from tensor shapes. */
VAR_API var_status var_vqvae_load(var_ctx *ctx, const char *path, var_vqvae **out);
VAR_API void var_vqvae_free(var_vqvae *vae);
VAR_API var_status var_vqvae_get_info(const var_vqvae *vae, var_vqvae_info *info);

/* Loads a transformer checkpoint.  schedule may be NULL: it is then derived
 * from the number of tokens (680 -> 256 px, 2240 -> 512 px, otherwise the unique
 * increasing schedule from 1 whose squares sum to L), or the call fails and
 * asks for one. */
VAR_API var_status var_transformer_load(var_ctx *ctx, const char *path, const var_schedule *schedule,
                                        var_transformer **out);
VAR_API void var_transformer_free(var_transformer *tf);
VAR_API var_status var_transformer_get_info(const var_transformer *tf, var_transformer_info *info);

/* Image -> tokens.  img: B x 3 x S x S floats in [-1, 1] (NCHW), S = downsample *
 * last pn.  tokens: B x L, scales concatenated coarse to fine, row-major inside a scale. */
VAR_API var_status var_vqvae_encode(var_vqvae *vae, const var_schedule *schedule, int batch,
                                    const float *img, int32_t *tokens);
/* Tokens -> image.  img receives B x 3 x S x S floats in [0, 1] ((clamp(decoded)+1)/2). */
VAR_API var_status var_vqvae_decode(var_vqvae *vae, const var_schedule *schedule, int batch,
                                    const int32_t *tokens, float *img);

/* ------------------------------------------------------------------------- */
/* Sampling                                                                   */

typedef struct var_sample_params {
  uint64_t seed;
  float cfg;              /* classifier-free guidance; weight ramps 0 -> cfg over the scales */
  int top_k;              /* 0 = off */
  float top_p;            /* 0 = off */
  int more_smooth;        /* Gumbel-softmax soft code vectors (visual quality, not FID) */
} var_sample_params;

/* cfg 4, top_k 900, top_p 0.95, more_smooth 0, seed 0 — the upstream demo settings. */
VAR_API void var_sample_params_default(var_sample_params *params);

/* Next-scale generation of `batch` images; image b uses seed params->seed + b
 * (so it is the same image whether made alone or in a batch).  labels: `batch`
 * class indices; a negative label (or num_classes) means unconditional.
 * keep_tokens / keep_mask (both NULL, or both given) turn this into a masked
 * edit: keep_tokens is batch x L (the image's own tokens), keep_mask is
 * batch x h x h floats on the finest token grid, 1 = keep, 0 = generate.
 * tokens_out: batch x L effective tokens.  img_out (may be NULL): batch x 3 x S x S in [0, 1]. */
VAR_API var_status var_generate_tokens(var_transformer *tf, var_vqvae *vae, const var_sample_params *params,
                                       int batch, const int *labels, const int32_t *keep_tokens,
                                       const float *keep_mask, int32_t *tokens_out, float *img_out);

/* ------------------------------------------------------------------------- */
/* Image-level editing: any image size, any (soft) selection                  */

typedef struct var_image {
  int width, height;
  int stride;             /* bytes per row, >= 4 * width */
  uint8_t *data;          /* RGBA8, straight alpha */
} var_image;

/* A selection: one byte per pixel, 255 = regenerate, 0 = keep, values in between blend. */
typedef struct var_mask {
  int width, height;      /* must equal the image's */
  int stride;             /* bytes per row, >= width */
  const uint8_t *data;
} var_mask;

/* Largest images the image-level calls accept (inputs and out-paint canvases);
 * larger ones fail with VAR_ERR_INVALID_ARGUMENT before anything is allocated. */
#define VAR_MAX_IMAGE_SIDE 32768
#define VAR_MAX_IMAGE_PIXELS (1 << 27)
#define VAR_MAX_VARIANTS 64

typedef struct var_model var_model;   /* a VQ-VAE + transformer pair */

/* Loads a pair from explicit paths.  schedule may be NULL (derived from the transformer). */
VAR_API var_status var_model_load(var_ctx *ctx, const char *vae_path, const char *transformer_path,
                                  const var_schedule *schedule, var_model **out);
/* Finds a pair in a folder: `name` is the transformer's file stem ("var_d16"; "d16"
 * and "var_d16.pth" work too) or NULL for the smallest transformer file present; the
 * VQ-VAE is the vae_*.pth / .safetensors beside it.  dir NULL (or "") = $VAR_MODEL_DIR,
 * else the default folder (var_default_model_dir()).  A missing file gives
 * VAR_ERR_NOT_FOUND with a message that names the files to download, from where, and
 * the folder to put them in. */
VAR_API var_status var_model_load_dir(var_ctx *ctx, const char *dir, const char *name, var_model **out);
VAR_API void var_model_free(var_model *model);
/* var_verify_file_once on both files the model was loaded from: for plug-ins,
 * after var_model_load_dir and before the first use (a damaged or poisoned
 * file then fails here, with the file and tensor named, instead of giving a
 * wrong image).  Cheap after the first time in a process. */
VAR_API var_status var_model_verify(var_model *model);
VAR_API var_vqvae *var_model_vqvae(var_model *model);
VAR_API var_transformer *var_model_transformer(var_model *model);
/* $XDG_DATA_HOME/libvar/models (or ~/.local/share/libvar/models); on Windows
 * %LOCALAPPDATA%\libvar\models.  Static storage, rewritten by each call.  Paths
 * given to and returned by libvar are UTF-8 on every system. */
VAR_API const char *var_default_model_dir(void);

typedef struct var_model_info {
  const char *name;       /* transformer file stem, e.g. "var_d16"; owned by the model */
  int image_size;         /* native (square) size in pixels, e.g. 256 */
  int token_cell;         /* pixels per finest token, e.g. 16 */
  int num_classes;        /* 1000 for the released models */
  var_schedule schedule;
  int own_class_names;    /* how many classes a classes.txt beside the transformer names (0: none, so
                             a 1000-class model uses ImageNet's names and other models are unnamed) */
} var_model_info;

VAR_API var_status var_model_get_info(const var_model *model, var_model_info *info);
/* The name of class `index`: from a classes.txt beside the transformer (one
 * "INDEX NAME" per line, for models trained on other classes than ImageNet's),
 * else ImageNet's name for a 1000-class model; NULL when unnamed or out of range.
 * Owned by the model. */
VAR_API const char *var_model_class_name(const var_model *model, int index);
/* The class named `name`, matched as var_imagenet_class_find() does (case and
 * '_' ignored; a unique name, else a unique prefix); -1 when none or several
 * match.  Same sources as var_model_class_name(). */
VAR_API int var_model_class_find(const var_model *model, const char *name);

/* The class names of the model var_model_load_dir(ctx, dir, name) would load,
 * read without loading it: only the transformer's tensor index (for its class
 * count) and a classes.txt beside it are read, no weight is loaded or uploaded
 * to a device, so a dialog can list the names on its GUI thread.  The names are
 * those var_model_class_name() gives: the classes.txt's, else ImageNet's for a
 * 1000-class model, else none.  The same errors as var_model_load_dir() when the
 * folder lacks a model.  Free with var_class_names_free(). */
typedef struct var_class_names var_class_names;
VAR_API var_status var_model_dir_class_names(var_ctx *ctx, const char *dir, const char *name,
                                             var_class_names **out);
VAR_API void var_class_names_free(var_class_names *names);
/* The model's number of classes (its unconditional label). */
VAR_API int var_class_names_count(const var_class_names *names);
/* How many classes a classes.txt names (0: none, as var_model_info.own_class_names). */
VAR_API int var_class_names_own(const var_class_names *names);
/* As var_model_class_name() and var_model_class_find(). */
VAR_API const char *var_class_names_get(const var_class_names *names, int index);
VAR_API int var_class_names_find(const var_class_names *names, const char *name);

typedef struct var_edit_params {
  var_sample_params sample;
  int class_label;        /* -1 = unconditional; 0..num_classes-1 = class-conditional (edit or generate) */
  int variants;           /* number of results (1..VAR_MAX_VARIANTS), seeds seed, seed+1, ... */
  int context_margin;     /* in-paint: pixels of context around the mask's bounding box; -1 = automatic
                             (half the box's larger side, at least 1/8 of the model's size) */
  int mask_grow;          /* pixels by which the regenerated token area extends past the mask's edge;
                             -1 = automatic (a quarter of a token cell) */
  int fill;               /* in-paint and out-paint: what the model is shown where pixels are to be
                             regenerated, a var_fill value (default VAR_FILL_SMOOTH) */
  float strength;         /* in-paint and out-paint, 0..1: the share of the scales, finest first, that
                             are regenerated where the mask is; the coarser ones are kept from the
                             (filled) input, like img2img's denoising strength.  1 (default) =
                             every scale (the original VAR editing); with n scales, the first
                             round((1 - strength) n) are kept */
  int seamless;           /* in-paint and out-paint: 1 (default) = the regenerated pixels are shifted by
                             a smooth correction so that they meet the kept ones without a seam (the
                             decoder's small colour miss on the kept pixels around them, continued
                             harmonically across the area, as in Poisson blending); 0 = pasted as
                             decoded (the original VAR editing) */
} var_edit_params;

/* What the masked (in-paint) or missing (out-paint) pixels look like when the
 * window is encoded.  It matters because coarse token cells that the mask covers
 * less than half of are kept from that encoding.  VAR_FILL_SMOOTH replaces them
 * by a smooth continuation of the surrounding pixels (a harmonic fill), so what
 * was under the mask does not leak into the result; VAR_FILL_ORIGINAL encodes
 * them as they are (the original VAR editing code's behaviour; an out-paint's
 * missing pixels are then the mean visible colour). */
typedef enum var_fill {
  VAR_FILL_ORIGINAL = 0,
  VAR_FILL_SMOOTH = 1
} var_fill;

/* sample = var_sample_params' documented defaults (seed 0, cfg 4, top_k 900,
 * top_p 0.95, more_smooth 0), class_label -1, variants 1, margin and grow
 * automatic, fill VAR_FILL_SMOOTH, strength 1, seamless 1. */
VAR_API void var_edit_params_default(var_edit_params *params);

typedef struct var_result var_result;

VAR_API int var_result_count(const var_result *result);
/* Image i (0 <= i < count), owned by the result; NULL when i is out of range. */
VAR_API const var_image *var_result_image(const var_result *result, int i);
/* Seed that produced image i. */
VAR_API uint64_t var_result_seed(const var_result *result, int i);
/* The operation, model and parameters of image i as one line, e.g.
 * "VAR inpaint var_d16 seed=7 cfg=4 top_k=900 top_p=0.95 more_smooth=0 class=-1 fill=smooth"
 * (class=207 "golden retriever" for a named class: var_model_class_name; plus
 * " strength=F" below 1 and " seamless=0" when off). Owned by the result. */
VAR_API const char *var_result_description(const var_result *result, int i);
VAR_API void var_result_free(var_result *result);

/* Progress and cancel for the calls below: `fraction` runs once from 0 to 1 over
 * the whole call (all variants and windows); a cancel (var_ctx_cancel or a
 * non-zero return of the progress callback) makes the call return
 * VAR_ERR_CANCELLED with *out NULL.  On any failure *out is NULL. */

/* In-paints the masked area of `image`.  The model works on a square context
 * window around the mask's bounding box (the box plus context_margin, squared,
 * kept inside the image where possible), resampled to its native size (Lanczos-3,
 * antialiased when shrinking); selections far enough apart that their windows do
 * not overlap get a window each.  Tokens whose cell holds a masked pixel (after
 * growing the mask by mask_grow) are regenerated, the others are kept from the
 * image; the result is resampled back and blended with the mask.  Pixels whose
 * mask is 0 are bit-identical to the input in every result, alpha included;
 * regenerated pixels become opaque in proportion to the mask.  An empty mask
 * (all 0) is an error (VAR_ERR_INVALID_ARGUMENT), as is a mask whose size differs
 * from the image's (VAR_ERR_SHAPE). */
VAR_API var_status var_inpaint(var_model *model, const var_image *image, const var_mask *mask,
                               const var_edit_params *params, var_result **out);

/* Out-paints: extends `image` by the given margins (pixels, >= 0) and generates the
 * new area; results are (left+width+right) x (top+height+bottom), with the input
 * copied unchanged at (left, top).  With all margins 0, the transparent pixels
 * (alpha 0) of `image` are filled instead (nothing to fill is an error).
 * Strategy: square windows of about the known area's size (between 1x and 2x the
 * model's size, never larger than the canvas) on a grid with half-window overlap
 * cover the canvas; they run nearest-first from the known pixels, each keeping the
 * tokens of everything already known (the input and earlier windows' results) and
 * regenerating only cells that still hold unknown pixels, so any canvas size works. */
VAR_API var_status var_outpaint(var_model *model, const var_image *image, int left, int top, int right,
                                int bottom, const var_edit_params *params, var_result **out);

/* Class-conditional (class_label >= 0) or unconditional generation at the model's
 * native size; opaque images. */
VAR_API var_status var_generate(var_model *model, const var_edit_params *params, var_result **out);

/* ------------------------------------------------------------------------- */
/* Class names                                                                */

/* Number of ImageNet-1k class names shipped (1000). */
VAR_API int var_imagenet_n_classes(void);
/* English name of class i, e.g. 207 -> "golden retriever"; NULL when out of range. */
VAR_API const char *var_imagenet_class_name(int index);
/* All names of class i, comma-separated ("tench, Tinca tinca"); NULL when out of range. */
VAR_API const char *var_imagenet_class_synonyms(int index);
/* Index of the class whose name matches `name` (case-insensitive, '_' = ' '): an
 * exact name or synonym first (a class's main name wins over another's synonym),
 * else a prefix of exactly one class's names; -1 when none or ambiguous. */
VAR_API int var_imagenet_class_find(const char *name);

#ifdef __cplusplus
}
#endif

#endif /* VAR_H */

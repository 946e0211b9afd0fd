/* ocl.h — internals of the OpenCL backend (the opencl/ folder), not seen by the core.
 *
 * Layout:
 *   ocl_device.c    platforms and devices, the device spec, the per-process
 *                   shared device (context + programs built once), error names
 *   ocl_memory.c    buffers, transfers, scratch space, memory accounting
 *   backend_opencl.c  the op table, backend creation, kernel launch helpers
 *   ocl_gemm.c      everything that goes through CLBlast: gemm, linear,
 *                   conv2d (im2col), spatial attention, vq_argmin
 *   ocl_ops.c       the other kernels (element-wise, rows, attention_kv,
 *                   group norm, resampling, gathers)
 *   ocl_sample.c    cfg_combine, top-k/top-p filtering + sampling, gumbel_mix
 *   kernels/NAME.cl  the OpenCL C sources, embedded at build time
 */
#ifndef VAR_OCL_H
#define VAR_OCL_H

#define CL_TARGET_OPENCL_VERSION 120
#define CL_USE_DEPRECATED_OPENCL_1_2_APIS
#include <CL/cl.h>

#include "backend.h"

struct var_dbuf {
  cl_mem mem;
  size_t bytes;
  int is_const;       /* wrap_const: uploaded weights */
};

/* Programs: each is common.cl (+ rng.cl for sampling) followed by its own file,
 * built lazily the first time one of its kernels is needed, once per process
 * and device. */
enum ocl_program {
  OCL_PROG_ELTWISE,
  OCL_PROG_ROWS,
  OCL_PROG_ATTENTION,
  OCL_PROG_CONV,
  OCL_PROG_RESAMPLE,
  OCL_PROG_VQ,
  OCL_PROG_SAMPLE,
  OCL_N_PROGRAMS
};

/* Kernels; ocl_kernel_info() gives each one's name and program. */
enum ocl_kernel {
  K_FILL_ROWS, K_SCALE_2D, K_AXPBY, K_ACTIVATION,
  K_EMBED_ROWS, K_ADD_ROWS, K_LN_MODULATE, K_GATED_ADD,
  K_ATT_FILL_CACHE, K_ATT_QUERIES,
  K_IM2COL, K_CONV_PREFILL, K_GROUP_NORM_STATS, K_GROUP_NORM_APPLY, K_UPSAMPLE2X, K_SOFTMAX_ROWS,
  K_RESIZE_AREA, K_RESIZE_BICUBIC,
  K_VQ_ZSQ, K_VQ_PREFILL, K_VQ_ARGMIN, K_CODEBOOK_GATHER_CM, K_SELECT_CM, K_CM_TO_TOKENS,
  K_CFG_COMBINE, K_SAMPLE_KEYS, K_BITONIC_STEP, K_SAMPLE_SELECT, K_GUMBEL_MIX,
  OCL_N_KERNELS
};

void ocl_kernel_info(int k, const char **name, int *program);

/* A device shared by every backend of the process that uses it: the context
 * and the built programs (OpenCL contexts and programs are thread-safe;
 * kernels and queues are not, so each backend has its own). */
typedef struct ocl_device {
  int index;                      /* position in var_backend_opencl_list() */
  int refs;
  cl_platform_id platform;
  cl_device_id device;
  cl_context context;
  cl_program programs[OCL_N_PROGRAMS];
  char name[160], platform_name[160];
  int has_fp64;
  int wg;                         /* work-group size of the row kernels (power of two) */
  size_t max_alloc;
  char options[256];              /* program build options */
  void *lock;                     /* pthread_mutex_t *: serialises program builds */
} ocl_device;

/* Opens (or shares) the device selected by spec (NULL: the first GPU, else the
 * first device; "N": index N; otherwise a case-insensitive substring of the
 * device or platform name). */
var_status ocl_device_acquire(var_ctx *ctx, const char *spec, ocl_device **out);
void ocl_device_release(ocl_device *dev);
/* The program, built on first use (thread-safe). */
var_status ocl_device_program(var_ctx *ctx, ocl_device *dev, int program, cl_program *out);

const char *ocl_error_name(cl_int err);
const char *ocl_clblast_error_name(int status);

/* Scratch slots: device buffers owned by the backend, grown on demand and
 * reused by every op (no allocation per call once warm). */
enum { OCL_SCR_A, OCL_SCR_B, OCL_SCR_C, OCL_N_SCRATCH };

typedef struct ocl_backend {
  var_backend base;
  ocl_device *dev;
  cl_command_queue queue;
  cl_kernel kernels[OCL_N_KERNELS];
  size_t kernel_max_wg[OCL_N_KERNELS];  /* CL_KERNEL_WORK_GROUP_SIZE */
  cl_mem dummy;                   /* bound where an optional input is absent */
  cl_mem scratch[OCL_N_SCRATCH];
  size_t scratch_bytes[OCL_N_SCRATCH];
  cl_mem status;                  /* int: first non-finite row found by `sample`, INT_MAX if none */
  int status_pending;             /* a sample ran since the status was last checked */
  cl_mem seeds;                   /* uint64 per image, as last uploaded */
  uint64_t *seeds_host;
  int seeds_n, seeds_cap;
  size_t current, peak;           /* bytes of device memory held (buffers, weights, scratch) */
  char name[200];
} ocl_backend;

static inline ocl_backend *ocl_be(var_backend *be) { return (ocl_backend *)be; }

/* Records "what: CL_ERROR_NAME" on the context and returns VAR_ERR_BACKEND. */
var_status ocl_fail(var_backend *be, cl_int err, const char *what);

/* ocl_memory.c */
void ocl_account(ocl_backend *b, size_t bytes, int add);
var_status ocl_scratch(var_backend *be, int slot, size_t bytes, cl_mem *out);
/* Checks that p addresses at least n elements (n may be 0). */
var_status ocl_need(var_backend *be, var_dptr p, size_t n, const char *op, const char *what);
/* Fails if a queued `sample` found a non-finite row. */
var_status ocl_check_status(var_backend *be);
var_status ocl_alloc(var_backend *be, size_t bytes, var_dbuf **out);
var_status ocl_wrap_const(var_backend *be, const void *host, size_t bytes, var_dbuf **out);
void ocl_release(var_backend *be, var_dbuf *buf);
var_status ocl_write(var_backend *be, var_dptr dst, const void *src, size_t bytes);
var_status ocl_read(var_backend *be, var_dptr src, void *dst, size_t bytes);
var_status ocl_copy(var_backend *be, var_dptr dst, var_dptr src, size_t n);
var_status ocl_fill(var_backend *be, var_dptr dst, float value, size_t n);
var_status ocl_finish(var_backend *be);
void ocl_memory(var_backend *be, size_t *current, size_t *peak);

/* Kernel launches (backend_opencl.c): arguments are appended in order; the
 * first failure sticks and is reported by ocl_launch. */
typedef struct ocl_args {
  var_backend *be;
  cl_kernel k;
  size_t max_wg;      /* the kernel's largest work-group on this device */
  cl_uint n;
  cl_int err;
  const char *op;
} ocl_args;

var_status ocl_args_begin(var_backend *be, int kernel, const char *op, ocl_args *a);
void ocl_arg_ptr(ocl_args *a, var_dptr p);        /* buffer (or a dummy when absent) + int offset */
void ocl_arg_mem(ocl_args *a, cl_mem m);
void ocl_arg_int(ocl_args *a, int v);
void ocl_arg_float(ocl_args *a, float v);
void ocl_arg_local(ocl_args *a, size_t bytes);
/* gws are rounded up to multiples of lws (lws NULL: the runtime chooses).
 * Element-wise kernels: a work-group larger than the kernel allows is shrunk
 * along x.  Kernels that rely on their work-group size use ocl_launch_exact. */
var_status ocl_launch(ocl_args *a, cl_uint dims, const size_t *gws, const size_t *lws);
var_status ocl_launch_exact(ocl_args *a, size_t groups, size_t lws);
/* One work-group of dev->wg items per row, rows along dimension 0. */
var_status ocl_launch_rows(ocl_args *a, size_t rows);
/* One item per element, n elements. */
var_status ocl_launch_1d(ocl_args *a, size_t n);

/* CLBlast SGEMM, row-major, C = alpha op(A) op(B) + beta C with element offsets. */
var_status ocl_sgemm(var_backend *be, int trans_a, int trans_b, size_t M, size_t N, size_t K, float alpha, cl_mem A,
                     size_t a_off, size_t lda, cl_mem B, size_t b_off, size_t ldb, float beta, cl_mem C, size_t c_off,
                     size_t ldc, const char *op);

/* The ops (signatures as var_backend_ops). */
var_status ocl_gemm(var_backend *be, int trans_a, int trans_b, int M, int N, int K, float alpha, var_dptr A, int lda,
                    var_dptr B, int ldb, float beta, var_dptr C, int ldc);
var_status ocl_linear(var_backend *be, int M, int N, int K, var_dptr X, var_dptr W, var_dptr bias, var_dptr Y,
                      int act);
var_status ocl_axpby(var_backend *be, size_t n, float a, var_dptr x, float b, var_dptr y, var_dptr out);
var_status ocl_activation(var_backend *be, size_t n, int act, var_dptr x, var_dptr out);
var_status ocl_conv2d(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                      var_dptr residual, var_dptr out);
var_status ocl_group_norm(var_backend *be, int batch, int channels, int hw, int groups, float eps, var_dptr x,
                          var_dptr gamma, var_dptr beta, var_dptr out, int silu);
var_status ocl_upsample_nearest2x(var_backend *be, int n_planes, int h, int w, var_dptr in, var_dptr out);
var_status ocl_spatial_attention(var_backend *be, int batch, int channels, int n, var_dptr qkv, var_dptr out);
var_status ocl_resize_area(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out, var_dptr in,
                           var_dptr out);
var_status ocl_resize_bicubic(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out, var_dptr in,
                              var_dptr out);
var_status ocl_vq_argmin(var_backend *be, int batch, int cv, int n, int vocab, var_dptr z, var_dptr codebook,
                         var_dptr e_sq, var_dptr idx, var_dptr margin);
var_status ocl_codebook_gather_cm(var_backend *be, int batch, int cv, int n, var_dptr codebook, var_dptr idx,
                                  var_dptr out);
var_status ocl_select_cm(var_backend *be, int batch, int cv, int n, var_dptr flags, var_dptr a, var_dptr b,
                         var_dptr out);
var_status ocl_cm_to_tokens(var_backend *be, int batch, int channels, int n, var_dptr in, var_dptr out);
var_status ocl_embed_rows(var_backend *be, int rows, int dim, var_dptr table, var_dptr idx, var_dptr out);
var_status ocl_add_rows(var_backend *be, int groups, int T, int C, var_dptr x, var_dptr rows);
var_status ocl_ln_modulate(var_backend *be, int rows, int C, int rows_per_group, float eps, var_dptr x,
                           var_dptr scale, var_dptr shift, int mod_stride, var_dptr out);
var_status ocl_gated_add(var_backend *be, int rows, int C, int rows_per_group, var_dptr x, var_dptr gamma,
                         int gamma_stride, var_dptr y);
var_status ocl_attention_kv(var_backend *be, int G, int T, int C, int H, int l_max, int pos0, var_dptr qkv,
                            var_dptr q_bias, var_dptr v_bias, var_dptr scale_mul, var_dptr kcache, var_dptr vcache,
                            var_dptr out);
var_status ocl_cfg_combine(var_backend *be, int rows_half, int V, float t, var_dptr logits, var_dptr out);
var_status ocl_sample(var_backend *be, int rows, int V, var_dptr logits, int top_k, float top_p, int rows_per_item,
                      const uint64_t *seeds, int scale, var_dptr idx);
var_status ocl_gumbel_mix(var_backend *be, int rows, int V, int cv, var_dptr logits, float ratio, float tau,
                          int rows_per_item, const uint64_t *seeds, int scale, var_dptr codebook, var_dptr out);

#endif

/* cpu_ops.h — the CPU backend's op implementations, one file per kind of op
 * (cpu_gemm.c, cpu_eltwise.c, cpu_conv.c, cpu_resample.c, cpu_vq.c,
 * cpu_attention.c, cpu_sample.c).  Signatures mirror var_backend_ops. */
#ifndef VAR_CPU_OPS_H
#define VAR_CPU_OPS_H

#include "backend.h"
#include "cpu/cpu_simd.h"
#include "threads.h"

#include <pthread.h>

struct var_dbuf {
  void *host;
  size_t bytes;
  int owned;          /* 0: aliases caller memory (weights) */
};

/* How the CPU backend runs: read from the environment once, when the backend
 * is created (var_cpu_tuning_read); kernels never read the environment, so
 * nothing changes under a backend in use. */
enum { VAR_CPU_CONV_AUTO = 0, VAR_CPU_CONV_DIRECT, VAR_CPU_CONV_GEMM, VAR_CPU_CONV_TAPS, VAR_CPU_CONV_WINOGRAD };

typedef struct var_cpu_tuning {
  int simd;             /* VAR_SIMD_*: the processor's best, lowered by $VAR_SIMD */
  int conv;             /* VAR_CPU_CONV_*: $VAR_CONV=direct|gemm|taps|winograd, else automatic */
  int linear_blas;      /* $VAR_LINEAR=blas: linear layers through the SGEMM even with AVX2 */
  int wg_keep;          /* $VAR_WG_KEEP (default 1): keep the Winograd transform of constant weights */
  int wg_mode;          /* $VAR_WG_MODE: 0 shared bands, 1 private bands, -1 (default) by layer */
  int wg_private_kib;   /* $VAR_WG_PRIVATE_KIB, $VAR_WG_SHARED_KIB: band budgets; -1 (default) */
  int wg_shared_kib;    /*   the sizes of cpu_winograd.c */
  int int8_vnni;        /* $VAR_INT8=vnni, where the processor has AVX-512 VNNI: int8 weights x per-row
                           int8 activations; else int8 weights widened to float32 */
} var_cpu_tuning;

void var_cpu_tuning_read(var_cpu_tuning *t);

/* Data derived from a constant buffer (cpu_derived.c). */
typedef struct var_cpu_derived var_cpu_derived;

/* be->impl of the CPU backend. */
typedef struct cpu_state {
  var_cpu_tuning tune;
  size_t current, peak;       /* owned buffers and derived data */
  var_cpu_derived *derived;
  pthread_mutex_t mu;         /* guards `derived` (and the counts it changes) */
} cpu_state;

static inline const var_cpu_tuning *cpu_tune(var_backend *be) { return &((cpu_state *)be->impl)->tune; }
static inline int cpu_avx2(var_backend *be) { return cpu_tune(be)->simd >= VAR_SIMD_AVX2; }

/* Host pointer of a CPU buffer (NULL for an absent var_dptr). */
static inline float *cpu_f32(var_dptr p) { return p.buf ? (float *)p.buf->host + p.off : NULL; }
static inline int32_t *cpu_i32(var_dptr p) { return p.buf ? (int32_t *)p.buf->host + p.off : NULL; }
static inline var_pool *cpu_pool(var_backend *be) { return be->ctx->pool; }

/* sum_k x[k] w[k] in four interleaved float sums added pairwise: the portable
 * kernels' one order (cpu_linear.c, cpu_linear_lp.c). */
static inline float cpu_dot4(const float *x, const float *w, int K)
{
  float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
  int k;
  for (k = 0; k + 4 <= K; k += 4) {
    a0 += x[k] * w[k];
    a1 += x[k + 1] * w[k + 1];
    a2 += x[k + 2] * w[k + 2];
    a3 += x[k + 3] * w[k + 3];
  }
  for (; k < K; k++) a0 += x[k] * w[k];
  return (a0 + a1) + (a2 + a3);
}

/* cpu_derived.c: data derived from a constant buffer (one made by wrap_const,
 * e.g. the Winograd transform of a convolution's weights), computed once and
 * kept until that buffer is released.  `tag` tells kinds of derived data apart.
 * find returns NULL when nothing is kept.  keep takes over `data` (var_alloc'ed,
 * `bytes` long, counted in the backend's memory) and returns 1; it returns 0 and
 * keeps nothing for an owned buffer, which may be written again: the caller
 * then frees `data` itself. */
float *var_cpu_derived_find(var_backend *be, var_dptr src, int tag);
int var_cpu_derived_keep(var_backend *be, var_dptr src, int tag, float *data, size_t bytes);
/* Frees what was derived from src (NULL: everything). */
void var_cpu_derived_drop(cpu_state *st, const var_dbuf *src);

/* cpu_gemm.c: C = alpha op(A) op(B) + beta C on host pointers (threaded;
 * pool NULL: on this thread).  avx2: the portable SGEMM may use AVX2+FMA
 * (cpu_avx2(be)); a CBLAS build ignores it. */
var_status var_cpu_sgemm(var_pool *pool, int avx2, int trans_a, int trans_b, int M, int N, int K, float alpha,
                         const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
#ifdef VAR_HAVE_CBLAS
/* Makes the BLAS single-threaded (once): it runs inside our pool's tasks. */
void var_cpu_blas_single_thread(void);
/* One cblas_sgemm (row-major) unless OpenBLAS might need a buffer the address
 * space has no room for (it would retry for ever): then -1, nothing done. */
int var_cpu_blas_sgemm(int trans_a, int trans_b, int M, int N, int K, float alpha, const float *A, int lda,
                       const float *B, int ldb, float beta, float *C, int ldc);
#endif
/* Name of the GEMM in use ("openblas", "portable avx2", ...). */
const char *var_cpu_gemm_name(void);
/* Which convolutions a CPU backend runs, e.g. "winograd+shifted-gemm+im2col" ($VAR_CONV, the build, the CPU). */
const char *var_cpu_conv_name(var_backend *be);

var_status cpu_gemm(var_backend *be, int trans_a, int trans_b, int M, int N, int K, float alpha, var_dptr A,
                    int lda, var_dptr B, int ldb, float beta, var_dptr C, int ldc);
var_status cpu_linear(var_backend *be, int M, int N, int K, var_dptr X, var_dptr W, var_dptr bias, var_dptr Y,
                      int act);
var_status cpu_linear_lp(var_backend *be, int M, int N, int K, var_dptr X, int wtype, var_dptr W, var_dptr wscale,
                         var_dptr bias, var_dptr Y, int act, int few_rows);

/* cpu_eltwise.c */
var_status cpu_axpby(var_backend *be, size_t n, float a, var_dptr x, float b, var_dptr y, var_dptr out);
var_status cpu_activation(var_backend *be, size_t n, int act, var_dptr x, var_dptr out);
float var_gelu_tanh(float x);
float var_silu(float x);

/* cpu_conv.c (VQ-VAE) */
var_status cpu_conv2d(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                      var_dptr residual, var_dptr out);
var_status cpu_group_norm(var_backend *be, int batch, int channels, int hw, int groups, float eps, var_dptr x,
                          var_dptr gamma, var_dptr beta, var_dptr out, int silu);
var_status cpu_upsample_nearest2x(var_backend *be, int n_planes, int h, int w, var_dptr in, var_dptr out);
var_status cpu_spatial_attention(var_backend *be, int batch, int channels, int n, var_dptr qkv, var_dptr out);

/* cpu_resample.c */
var_status cpu_resize_area(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out, var_dptr in,
                           var_dptr out);
var_status cpu_resize_bicubic(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out,
                              var_dptr in, var_dptr out);

/* cpu_vq.c */
var_status cpu_vq_argmin(var_backend *be, int batch, int cv, int n, int vocab, var_dptr z, var_dptr codebook,
                         var_dptr e_sq, var_dptr idx, var_dptr margin);
var_status cpu_codebook_gather_cm(var_backend *be, int batch, int cv, int n, var_dptr codebook, var_dptr idx,
                                  var_dptr out);
var_status cpu_select_cm(var_backend *be, int batch, int cv, int n, var_dptr flags, var_dptr a, var_dptr b,
                         var_dptr out);
var_status cpu_cm_to_tokens(var_backend *be, int batch, int channels, int n, var_dptr in, var_dptr out);

/* cpu_attention.c (transformer) */
var_status cpu_embed_rows(var_backend *be, int rows, int dim, var_dptr table, var_dptr idx, var_dptr out);
var_status cpu_add_rows(var_backend *be, int groups, int T, int C, var_dptr x, var_dptr rows);
var_status cpu_ln_modulate(var_backend *be, int rows, int C, int rows_per_group, float eps, var_dptr x,
                           var_dptr scale, var_dptr shift, int mod_stride, var_dptr out);
var_status cpu_gated_add(var_backend *be, int rows, int C, int rows_per_group, var_dptr x, var_dptr gamma,
                         int gamma_stride, var_dptr y);
var_status cpu_attention_kv(var_backend *be, int G, int T, int C, int H, int l_max, int pos0, var_dptr qkv,
                            var_dptr q_bias, var_dptr v_bias, var_dptr scale_mul, var_dptr kcache,
                            var_dptr vcache, var_dptr out);

/* cpu_sample.c */
var_status cpu_cfg_combine(var_backend *be, int rows_half, int V, float t, var_dptr logits, var_dptr out);
var_status cpu_sample(var_backend *be, int rows, int V, var_dptr logits, int top_k, float top_p,
                      int rows_per_item, const uint64_t *seeds, int scale, var_dptr idx);
var_status cpu_gumbel_mix(var_backend *be, int rows, int V, int cv, var_dptr logits, float ratio, float tau,
                          int rows_per_item, const uint64_t *seeds, int scale, var_dptr codebook, var_dptr out);

#endif

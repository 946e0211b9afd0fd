/* cpu_ops.h — the CPU backend's op implementations, one file per kind of op
 * (cpu_gemm.c, cpu_eltwise.c, cpu_conv.c, cpu_resample.c, cpu_vq.c,
 * cpu_attention.c, cpu_sample.c).  Signatures mirror var_backend_ops. */
#ifndef VAR_CPU_OPS_H
#define VAR_CPU_OPS_H

#include "backend.h"
#include "threads.h"

struct var_dbuf {
  void *host;
  size_t bytes;
  int owned;          /* 0: aliases caller memory (weights) */
};

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

/* backend_cpu.c: data derived from a constant buffer (one made by wrap_const,
 * e.g. the Winograd transform of a convolution's weights), computed once and
 * kept until that buffer is released.  `tag` tells kinds of derived data apart.
 * find returns NULL when nothing is kept.  keep takes over `data` (var_alloc'ed,
 * `bytes` long, counted in the backend's memory) and returns 1; it returns 0 and
 * keeps nothing for an owned buffer, which may be written again: the caller
 * then frees `data` itself. */
float *var_cpu_derived_find(var_backend *be, var_dptr src, int tag);
int var_cpu_derived_keep(var_backend *be, var_dptr src, int tag, float *data, size_t bytes);

/* cpu_gemm.c: C = alpha op(A) op(B) + beta C on host pointers (threaded). */
var_status var_cpu_sgemm(var_pool *pool, int trans_a, int trans_b, int M, int N, int K, float alpha,
                         const float *A, int lda, const float *B, int ldb, float beta, float *C, int ldc);
#ifdef VAR_HAVE_CBLAS
/* Makes the BLAS single-threaded (once): it runs inside our pool's tasks. */
void var_cpu_blas_single_thread(void);
#endif
/* Name of the GEMM in use ("openblas", "portable avx2", ...). */
const char *var_cpu_gemm_name(void);
/* Which convolutions the CPU backend runs, e.g. "winograd+shifted-gemm+im2col" ($VAR_CONV, the build, the CPU). */
const char *var_cpu_conv_name(void);

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

/* backend.h — the compute interface between the model code (vqvae.c, quant.c,
 * transformer.c, generate.c) and whatever executes it (backend_cpu.c,
 * opencl/backend_opencl.c).
 *
 * The model code never touches activation memory directly: it allocates
 * backend buffers, uploads inputs, calls ops, and downloads results, so a
 * device backend can keep a whole generation or edit on the device.  Weights
 * are handed over once with `wrap_const` (zero-copy on the CPU).
 *
 * Conventions:
 *   - a var_dptr is a buffer plus an offset counted in 4-byte elements (float32
 *     or int32); a var_dptr whose buf is NULL means "absent" (optional inputs);
 *   - all tensors are dense, row-major; image-like tensors are NCHW;
 *   - ops may be queued: results are only guaranteed visible to `read` (which
 *     waits) or to later ops on the same backend;
 *   - every op returns VAR_OK or an error recorded on be->ctx.
 */
#ifndef VAR_BACKEND_H
#define VAR_BACKEND_H

#include "internal.h"

typedef struct var_dbuf var_dbuf;     /* defined by each backend */

typedef struct var_dptr {
  var_dbuf *buf;
  size_t off;                         /* in 4-byte elements */
} var_dptr;

static inline var_dptr var_dp(var_dbuf *buf, size_t off)
{
  var_dptr p;
  p.buf = buf;
  p.off = off;
  return p;
}
static inline var_dptr var_dp_at(var_dptr p, size_t off)
{
  p.off += off;
  return p;
}
static inline var_dptr var_dp_none(void)
{
  var_dptr p;
  p.buf = NULL;
  p.off = 0;
  return p;
}

/* 2-D convolution over NCHW, cross-correlation like torch.nn.Conv2d. */
typedef struct var_conv_desc {
  int batch, c_in, h_in, w_in;
  int c_out, k;                       /* square kernel k x k */
  int stride;
  int pad_top, pad_left, pad_bottom, pad_right;   /* zero padding */
  int h_out, w_out;                   /* filled in by var_conv_desc_init */
} var_conv_desc;

/* Sets the geometry and computes h_out/w_out; returns VAR_ERR_SHAPE if the
 * output would be empty. */
var_status var_conv_desc_init(var_conv_desc *d, int batch, int c_in, int h_in, int w_in, int c_out, int k,
                              int stride, int pad_top, int pad_left, int pad_bottom, int pad_right);

enum var_act { VAR_ACT_NONE = 0, VAR_ACT_GELU_TANH = 1, VAR_ACT_SILU = 2 };

typedef struct var_backend_ops {
  /* ---- lifetime and memory ---------------------------------------------- */
  void (*destroy)(var_backend *be);
  var_status (*alloc)(var_backend *be, size_t bytes, var_dbuf **out);
  /* Weights: host memory that outlives the buffer and never changes.  The CPU
   * backend aliases it; a device backend uploads it. */
  var_status (*wrap_const)(var_backend *be, const void *host, size_t bytes, var_dbuf **out);
  void (*release)(var_backend *be, var_dbuf *buf);
  var_status (*write)(var_backend *be, var_dptr dst, const void *src, size_t bytes);
  var_status (*read)(var_backend *be, var_dptr src, void *dst, size_t bytes);   /* waits */
  var_status (*copy)(var_backend *be, var_dptr dst, var_dptr src, size_t n);    /* n elements */
  var_status (*fill)(var_backend *be, var_dptr dst, float value, size_t n);
  var_status (*finish)(var_backend *be);                                          /* waits for queued work */
  /* Bytes currently allocated and the high-water mark (for benchmarks). */
  void (*memory)(var_backend *be, size_t *current, size_t *peak);

  /* ---- dense algebra ---------------------------------------------------- */
  /* C[M,N] = alpha * op(A) * op(B) + beta * C; row-major; op(X) = X or X^T. */
  var_status (*gemm)(var_backend *be, int trans_a, int trans_b, int M, int N, int K, float alpha,
                     var_dptr A, int lda, var_dptr B, int ldb, float beta, var_dptr C, int ldc);
  /* Linear layer: Y[M,N] = act(X[M,K] * W[N,K]^T + bias[N]); bias optional. */
  var_status (*linear)(var_backend *be, int M, int N, int K, var_dptr X, var_dptr W, var_dptr bias,
                       var_dptr Y, int act);
  /* out[i] = a * x[i] + b * y[i] for n elements; out may alias x or y. */
  var_status (*axpby)(var_backend *be, size_t n, float a, var_dptr x, float b, var_dptr y, var_dptr out);
  /* out[i] = act(x[i]) (VAR_ACT_SILU, VAR_ACT_GELU_TANH); out may alias x. */
  var_status (*activation)(var_backend *be, size_t n, int act, var_dptr x, var_dptr out);

  /* ---- VQ-VAE ----------------------------------------------------------- */
  /* out = conv(in, w) + bias[c_out] (+ residual, same shape as out, if given).
   * w is [c_out, c_in, k, k]. */
  var_status (*conv2d)(var_backend *be, const var_conv_desc *d, var_dptr in, var_dptr w, var_dptr bias,
                       var_dptr residual, var_dptr out);
  /* GroupNorm over x[B, C, HW] with `groups` contiguous channel groups, biased
   * variance, affine gamma/beta[C]; SiLU applied after when silu != 0. */
  var_status (*group_norm)(var_backend *be, int batch, int channels, int hw, int groups, float eps,
                           var_dptr x, var_dptr gamma, var_dptr beta, var_dptr out, int silu);
  /* Nearest-neighbour x2 upsampling of planes[n_planes, h, w] -> [n_planes, 2h, 2w]. */
  var_status (*upsample_nearest2x)(var_backend *be, int n_planes, int h, int w, var_dptr in, var_dptr out);
  /* Single-head self-attention over the n = H*W positions of one image:
   * qkv[B, 3C, n] (q, k, v channel blocks) -> out[B, C, n];
   * out[c][i] = sum_j v[c][j] softmax_j(sum_c' q[c'][i] k[c'][j] / sqrt(C)). */
  var_status (*spatial_attention)(var_backend *be, int batch, int channels, int n, var_dptr qkv, var_dptr out);
  /* Resampling of planes[n_planes, h_in, w_in] -> [n_planes, h_out, w_out] with
   * the exact PyTorch conventions of docs/algorithm.md §2.1 (area = adaptive average
   * pooling; bicubic A = -0.75, align_corners=False, clamped taps). */
  var_status (*resize_area)(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out,
                            var_dptr in, var_dptr out);
  var_status (*resize_bicubic)(var_backend *be, int n_planes, int h_in, int w_in, int h_out, int w_out,
                               var_dptr in, var_dptr out);
  /* Nearest code: z[B, Cv, n] (channel-major); codebook E[V, Cv]; e_sq[V] = |E_v|^2.
   * idx[B*n] (int32) = first argmin_v |z|^2 + e_sq[v] - 2 z.E_v.
   * margin (optional, float [B*n]) = second smallest minus smallest distance. */
  var_status (*vq_argmin)(var_backend *be, int batch, int cv, int n, int vocab, var_dptr z, var_dptr codebook,
                          var_dptr e_sq, var_dptr idx, var_dptr margin);
  /* out[B, Cv, n] (channel-major) = codebook[idx[b*n + p]][c]. */
  var_status (*codebook_gather_cm)(var_backend *be, int batch, int cv, int n, var_dptr codebook, var_dptr idx,
                                   var_dptr out);
  /* out[b, c, p] = flags[b*n + p] ? a[b, c, p] : b_[b, c, p]  (int32 flags; edit replacement). */
  var_status (*select_cm)(var_backend *be, int batch, int cv, int n, var_dptr flags, var_dptr a, var_dptr b_,
                          var_dptr out);
  /* Layout change: in[B, C, n] (channel-major) -> out[B, n, C] (token-major). */
  var_status (*cm_to_tokens)(var_backend *be, int batch, int channels, int n, var_dptr in, var_dptr out);

  /* ---- transformer ------------------------------------------------------ */
  /* out[r, :] = table[idx[r], :] for r < rows (int32 idx); out is [rows, dim]. */
  var_status (*embed_rows)(var_backend *be, int rows, int dim, var_dptr table, var_dptr idx, var_dptr out);
  /* x[g, t, :] += rows[t, :] for every group g: adds position (+level) rows
   * [T, C] to each of `groups` sequences x[groups, T, C]. */
  var_status (*add_rows)(var_backend *be, int groups, int T, int C, var_dptr x, var_dptr rows);
  /* LayerNorm (no affine, biased variance) then modulation, per group of
   * rows_per_group rows: out[r] = LN(x[r]) * (1 + scale[g]) + shift[g],
   * g = r / rows_per_group; scale/shift rows are mod_stride elements apart. */
  var_status (*ln_modulate)(var_backend *be, int rows, int C, int rows_per_group, float eps, var_dptr x,
                            var_dptr scale, var_dptr shift, int mod_stride, var_dptr out);
  /* x[r, :] += gamma[g, :] * y[r, :], g = r / rows_per_group, gamma rows gamma_stride apart. */
  var_status (*gated_add)(var_backend *be, int rows, int C, int rows_per_group, var_dptr x, var_dptr gamma,
                          int gamma_stride, var_dptr y);
  /* KV-cached attention of one scale (docs/algorithm.md §4.3):
   * qkv[G*T, 3C] for G sequences of T new tokens; q += q_bias, v += v_bias;
   * q, k L2-normalised per head (hd = C/H), q *= exp(min(scale_mul[h], ln 100));
   * k, v written to kcache/vcache[G, H, l_max, hd] at positions [pos0, pos0+T);
   * out[G*T, C] = softmax(q k^T) v over positions [0, pos0+T) (softmax scale 1). */
  var_status (*attention_kv)(var_backend *be, int G, int T, int C, int H, int l_max, int pos0, var_dptr qkv,
                             var_dptr q_bias, var_dptr v_bias, var_dptr scale_mul, var_dptr kcache,
                             var_dptr vcache, var_dptr out);
  /* Classifier-free guidance: logits[2B*n, V] (conditional rows first) ->
   * out[B*n, V] = (1+t)*cond - t*uncond. */
  var_status (*cfg_combine)(var_backend *be, int rows_half, int V, float t, var_dptr logits, var_dptr out);
  /* Top-k then top-p filtering in place (removed entries become -inf;
   * docs/algorithm.md §5.1), then one draw per row from softmax(row) with the counter-based RNG
   * (rng.h): row r belongs to image r / rows_per_item, whose stream key is
   * seeds[r / rows_per_item] (a host array), and uses counter
   * var_rng_counter(scale, r % rows_per_item).  idx[rows] int32.
   * top_k <= 0 / top_p <= 0 disable the filters.  The draw: u =
   * var_rng_uniform(key, counter, 0); the first index v (ascending) whose running
   * sum of exp(x_v - max) exceeds u * (the total sum), both summed in double.
   * A row with NaN or +inf fails with VAR_ERR_BACKEND. */
  var_status (*sample)(var_backend *be, int rows, int V, var_dptr logits, int top_k, float top_p,
                       int rows_per_item, const uint64_t *seeds, int scale, var_dptr idx);
  /* more_smooth (docs/algorithm.md §5.2) on already-filtered logits: out[rows, Cv] =
   * softmax((logits*(1+ratio) + G)/tau) * codebook, with Gumbel noise G drawn
   * like `sample` does but from the second half of each row's stream
   * (indices V.. 2V-1), so it never reuses the draw's numbers:
   * G_v = -log(-log(U)), U = ((var_rng_u32(key, counter, V + v) >> 8) + 0.5) / 2^24. */
  var_status (*gumbel_mix)(var_backend *be, int rows, int V, int cv, var_dptr logits, float ratio, float tau,
                           int rows_per_item, const uint64_t *seeds, int scale, var_dptr codebook, var_dptr out);

  /* ---- reduced-precision weights (optional: NULL when not offered) ------ */
  /* Like `linear`, with W[N, K] held as wtype (VAR_DTYPE_BF16, VAR_DTYPE_F16 or
   * VAR_DTYPE_I8; W.off counts 4-byte units like every var_dptr), and for I8 the
   * row scales wscale[N] (float32): W_f32[n][k] = W[n][k] * wscale[n].  few_rows
   * = 1 says each sequence brings a handful of rows (AdaLN, the first scales): the
   * backend may then use a kernel for few rows, choosing by this flag and never by
   * M, so a sequence's results do not depend on its batch.  A backend without
   * linear_lp gets float32 weights from the model code (converted at upload). */
  var_status (*linear_lp)(var_backend *be, int M, int N, int K, var_dptr X, int wtype, var_dptr W,
                          var_dptr wscale, var_dptr bias, var_dptr Y, int act, int few_rows);
} var_backend_ops;

struct var_backend {
  const var_backend_ops *ops;
  var_ctx *ctx;          /* errors and the thread pool */
  const char *name;      /* "cpu", "opencl: <device>" */
  void *impl;
};

/* Creates the backend named by spec ("cpu", "opencl", "opencl:N", "opencl:NAME"). */
var_status var_backend_create(var_ctx *ctx, const char *spec, var_backend **out);
void var_backend_destroy(var_backend *be);

var_status var_backend_cpu_new(var_ctx *ctx, var_backend **out);
#ifdef VAR_HAVE_OPENCL
var_status var_backend_opencl_new(var_ctx *ctx, const char *device_spec, var_backend **out);
/* Newline-separated "opencl:N <device> (<platform>)" lines; static storage. */
const char *var_backend_opencl_list(void);
#endif

/* Convenience: allocate n float32 elements. */
static inline var_status var_be_alloc_f32(var_backend *be, size_t n, var_dbuf **out)
{
  size_t bytes = var_size_mul(n, 4);
  if (n && !bytes) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "buffer of %zu floats overflows", n);
  return be->ops->alloc(be, bytes, out);
}

#endif

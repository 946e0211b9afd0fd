/* transformer.h — the VAR transformer inside the library (docs/algorithm.md §4): weights,
 * and a KV-cached forward pass that runs one scale at a time.
 *
 * A forward "session" (var_tf_state) holds G sequences, each with its own class
 * label: generation uses G = 2B ([cond; uncond] for classifier-free guidance),
 * a teacher-forced forward uses G = B.  Scales are fed coarse to fine; each
 * scale attends to the cached keys/values of the coarser ones plus its own
 * tokens, which is exactly the block-causal mask of the teacher-forced forward
 * (docs/algorithm.md §4.4), so no L x L mask is ever built. */
#ifndef VAR_TRANSFORMER_H
#define VAR_TRANSFORMER_H

#include "backend.h"
#include "io/config.h"

#define VAR_TF_LN_EPS 1e-6f

/* A linear layer's weight matrix [N, K]: float32, or bfloat16 / float16 / int8
 * (tf_weights.c) when the backend multiplies with those itself (linear_lp). */
typedef struct var_tf_weight {
  var_dptr w;
  var_dptr scale;             /* int8: row scales [N] (float32); else absent */
  int type;                   /* VAR_DTYPE_F32, VAR_DTYPE_BF16, VAR_DTYPE_F16 or VAR_DTYPE_I8 */
} var_tf_weight;

typedef struct var_tf_block {
  var_tf_weight ada_w;        /* ada_lin.1 [6C, C] (per-block AdaLN) */
  var_dptr ada_b;             /* [6C] */
  var_dptr ada_gss;           /* ada_gss [6C] (shared AdaLN) */
  var_tf_weight qkv_w;        /* attn.mat_qkv.weight [3C, C] */
  var_dptr q_bias, v_bias;    /* [C] */
  var_dptr scale_mul;         /* attn.scale_mul_1H11 [H] */
  var_tf_weight proj_w;       /* [C, C] */
  var_dptr proj_b;            /* [C] */
  var_tf_weight fc1_w, fc2_w; /* [M, C], [C, M] */
  var_dptr fc1_b, fc2_b;      /* [M], [C] */
} var_tf_block;

struct var_transformer {
  var_ctx *ctx;
  var_backend *be;
  var_checkpoint *ck;         /* owned: weights alias its mapping */
  var_tf_config cfg;
  var_dbuf **wbufs;           /* one wrap_const buffer per weight tensor */
  int n_wbufs, cap_wbufs;
  var_dptr class_emb;         /* [N+1, C]; row N is the unconditional class */
  var_dptr pos_start;         /* [first_l, C] */
  var_dptr word_w, word_b;    /* [C, Cv], [C] */
  var_tf_weight shared_w;     /* shared_ada_lin.1 [6C, C] (shared AdaLN only) */
  var_dptr shared_b;          /* [6C] */
  var_tf_weight head_ada_w;   /* head_nm.ada_lin.1 [2C, C] */
  var_dptr head_ada_b;        /* [2C] */
  var_tf_weight head_w;       /* [V, C] */
  var_dptr head_b;            /* [V] */
  void **owned;               /* converted weights (tf_weights.c), freed with the transformer */
  int n_owned;
  int weight_types;           /* bit (1 << dtype) for every linear weight type in use */
  var_tf_block *blocks;       /* depth */
  var_dbuf *lvl_pos;          /* [L, C] = lvl_embed[scale(t)] + pos_1LC[t], computed once at load */
  int begin[VAR_MAX_SCALES + 1];
};

/* Debug taps for the golden checks: copies of intermediates on the host.
 * names: "ada_block0" / "shared_ada" ([G, 6C], scale -1, at session start),
 * "x_embed", "h_block0", "h_last" ([G*T, C] of scale `scale`). */
typedef void (*var_tf_tap_fn)(void *user, const char *name, int scale, const float *data, int rows, int cols);
/* Called after each block of a scale; a non-OK status (e.g. VAR_ERR_CANCELLED) aborts the forward. */
typedef var_status (*var_tf_block_fn)(void *user, int scale, int block);

typedef struct var_tf_state {
  var_transformer *tf;
  int G;                      /* sequences */
  int pos;                    /* tokens of every sequence cached so far */
  int next_scale;             /* the scale the next forward must be */
  var_dbuf *kv;               /* per block: K then V caches, each [G, H, L, hd] */
  var_dbuf *cond;             /* class embeddings [G, C], then SiLU(cond) [G, C] */
  var_dbuf *ada;              /* [depth, G, 6C] in the order gamma1 gamma2 scale1 scale2 shift1 shift2 */
  var_dbuf *head_ada;         /* [G, 2C]: scale, shift */
  var_dbuf *act;              /* scratch activations of the largest scale */
  var_dbuf *labels;           /* int32 [G * first_l] */
  int t_max;
  var_tf_tap_fn tap;
  void *tap_user;
  var_tf_block_fn on_block;
  void *block_user;
} var_tf_state;

/* Starts a session of G sequences with class labels in [0, num_classes]
 * (num_classes = unconditional).  tap may be NULL. */
var_status var_tf_state_new(var_transformer *tf, int G, const int *labels, var_tf_tap_fn tap, void *tap_user,
                            var_tf_state **out);
void var_tf_state_free(var_tf_state *st);

/* x[G * first_l, C] = class_emb[label] + pos_start + lvl_pos[0 .. first_l): the input of scale 0. */
var_status var_tf_embed_first(var_tf_state *st, var_dptr x);
/* x[groups * T, C] = word_embed(in[n_in * T, Cv]) + lvl_pos rows of scale si, where the n_in
 * sequences of `in` are repeated to fill `groups` (groups a multiple of n_in): generation
 * computes the embedding once per image and gives it to both CFG halves. */
var_status var_tf_embed_scale(var_tf_state *st, int si, int n_in, var_dptr in, int groups, var_dptr x);
/* Runs every block on x[G * T, C] (T = pn[si]^2; updated in place) with the KV cache, then
 * the head: logits[G * T, V].  Scales must come in order 0, 1, ... */
var_status var_tf_forward_scale(var_tf_state *st, int si, var_dptr x, var_dptr logits);

/* Keeps `bytes` of host memory as a constant backend buffer of the transformer. */
var_status var_tf_wrap_host(var_transformer *tf, const void *host, size_t bytes, var_dptr *out);
/* tf_weights.c: linear weight `name` [n_out, n_in] in the type the context asks for
 * (ctx->weights) and the backend takes, converted row by row if needed. */
var_status var_tf_wrap_weight(var_transformer *tf, const char *name, int64_t n_out, int64_t n_in,
                              var_tf_weight *out);
/* Y[M, N] = act(X W^T + bias) with whichever kernel W's type needs; M is T rows
 * of each sequence (T = 1 for the AdaLN products). */
var_status var_tf_linear(var_transformer *tf, int T, int M, int N, int K, var_dptr X, const var_tf_weight *W,
                         var_dptr bias, var_dptr Y, int act);

/* Multiply-accumulates of one forward of scale si for G sequences (for benchmarks). */
double var_tf_scale_macs(const var_transformer *tf, int si, int G);

#endif

/* generate.h — next-scale generation inside the library: the entry point behind
 * var_generate_tokens with what the image-level API (edit.c) needs (keep_scales)
 * and the debug hooks of the golden checks. */
#ifndef VAR_GENERATE_H
#define VAR_GENERATE_H

#include "model/transformer.h"
#include "model/vqvae.h"

typedef struct var_gen_hooks {
  void *user;
  /* Guided logits of scale si before filtering: host [batch * T, V], T = pn[si]^2. */
  void (*on_logits)(void *user, int si, const float *guided, int batch, int T, int V);
  /* Host [batch, L]: when given, these tokens replace the drawn ones right after
   * sampling (a teacher-forced path through the generation loop). */
  const int32_t *force_tokens;
  /* Host [batch, L]: the drawn (or forced) tokens before the edit replacement. */
  int32_t *sampled_out;
  /* Host [batch, Cv, h, h]: the final f_hat. */
  float *fhat_out;
} var_gen_hooks;

/* Fills hooks with "no hooks". */
void var_gen_hooks_default(var_gen_hooks *hooks);

/* var_generate_tokens with keep_scales and hooks (NULL = none).  Edits: scales
 * 0..keep_scales-1 keep every token of keep_tokens (0 = only the mask decides;
 * an edit's strength < 1 keeps the coarse scales).  Unlike the public call it
 * does not clear a pending cancel request, so a caller that is itself a long
 * call (e.g. var_inpaint) keeps cancels that arrived during its earlier stages. */
var_status var_generate_ex(var_transformer *tf, var_vqvae *vae, const var_sample_params *params, int batch,
                           const int *labels, const int32_t *keep_tokens, const float *keep_mask, int keep_scales,
                           const var_gen_hooks *hooks, int32_t *tokens_out, float *img_out);

/* Per-scale keep flags (token layout, int32 [L]) from a keep mask on the finest
 * grid (h x h, h = pn[S-1], 1 = keep): bilinear resize to each pn x pn with
 * PyTorch's CPU index arithmetic (docs/algorithm.md §2.1), then > 0.5; scales with
 * pn^2 <= 3 are kept entirely (docs/algorithm.md §6), and so are the first keep_scales
 * scales (an edit's strength < 1). */
void var_edit_scale_flags(const var_schedule *s, const float *keep_mask, int keep_scales, int32_t *flags);

#endif

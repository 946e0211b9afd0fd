/* stage_gen.c — golden checks of the gen_* arrays (KV-cached greedy generation
 * with classifier-free guidance, golden.md §4.3), and the generation-case
 * driver shared with stage_edit.c. */
#include "golden.h"
#include "stage_tf.h"
#include "model/generate.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
  const var_transformer *tf;
  float *logits;      /* [B, L, V] */
} logit_sink;

static void on_logits(void *user, int si, const float *guided, int batch, int T, int V)
{
  logit_sink *k = user;
  const int L = k->tf->cfg.n_tokens;
  int b;
  for (b = 0; b < batch; b++)
    memcpy(k->logits + ((size_t)b * L + k->tf->begin[si]) * V, guided + (size_t)b * T * V,
           sizeof(float) * (size_t)T * V);
}

typedef struct {
  int B, L, V, Cv, h, img_side;
  int *labels;
  var_sample_params p;
  int32_t *keep_tokens;     /* edits: [B, L] */
  float *keep_mask;         /* edits: [B, h, h] */
  int32_t *gold_sampled;    /* [B, L]: tokens drawn by the reference (before the edit replacement) */
  int32_t *gold_tokens;     /* [B, L]: effective tokens */
  float *gold_margin;       /* [B, L] */
} gen_case;

static void free_case(gen_case *c)
{
  free(c->labels);
  free(c->keep_tokens);
  free(c->keep_mask);
  free(c->gold_sampled);
  free(c->gold_tokens);
  free(c->gold_margin);
}

static int load_case(const golden_set *g, golden_report *r, const char *tag, int edit, const var_transformer *tf,
                     gen_case *c)
{
  const var_json *cs = golden_case(g, tag), *jl, *jc, *jk, *jp, *js, *jseed;
  char name[96], err[512];
  npy_array a;
  int64_t n, i;
  memset(c, 0, sizeof *c);
  memset(&a, 0, sizeof a);
  snprintf(name, sizeof name, "%s_logits", tag);
  jl = var_json_get(cs, "labels");
  jc = var_json_get(cs, "cfg");
  jk = var_json_get(cs, "top_k");
  jp = var_json_get(cs, "top_p");
  js = var_json_get(cs, "more_smooth");
  jseed = var_json_get(cs, "g_seed");
  if (!jl || jl->kind != VAR_JSON_ARRAY || jl->n < 1 || !jc || !jk || !jp) {
    golden_record(r, g, name, GOLDEN_FAIL, "manifest lacks cases.%s parameters", tag);
    return -1;
  }
  c->B = jl->n;
  c->L = g->L;
  c->V = tf->cfg.vocab_size;
  c->Cv = tf->cfg.z_channels;
  c->h = g->latent;
  c->img_side = g->image_size;
  var_sample_params_default(&c->p);
  c->p.cfg = (float)jc->number;
  c->p.top_k = (int)jk->integer;
  c->p.top_p = (float)jp->number;
  c->p.more_smooth = js && js->kind == VAR_JSON_BOOL && js->number != 0;
  c->p.seed = jseed ? (uint64_t)jseed->integer : 0;
  c->labels = malloc(sizeof(int) * (size_t)c->B);
  if (!c->labels) goto oom;
  for (i = 0; i < c->B; i++) c->labels[i] = (int)jl->items[i].integer;
  snprintf(name, sizeof name, "%s_%s", tag, edit ? "sampled_tokens" : "tokens");
  if (golden_load_i32(g, name, &c->gold_sampled, &n, err, sizeof err) || n != (int64_t)c->B * c->L) goto bad;
  snprintf(name, sizeof name, "%s_tokens", tag);
  if (golden_load_i32(g, name, &c->gold_tokens, &n, err, sizeof err) || n != (int64_t)c->B * c->L) goto bad;
  snprintf(name, sizeof name, "%s_margin", tag);
  if (golden_load(g, name, &a, err, sizeof err) || a.numel != (int64_t)c->B * c->L) goto bad;
  c->gold_margin = a.f;
  a.f = NULL;
  npy_free(&a);
  if (edit) {
    int32_t *vt;
    snprintf(name, sizeof name, "%s_mask", tag);
    if (golden_load(g, name, &a, err, sizeof err) || a.numel != (int64_t)c->h * c->h) goto bad;
    c->keep_mask = a.f;
    a.f = NULL;
    npy_free(&a);
    /* the edited image is vae_input[0]; its tokens are the first row of vae_tokens */
    snprintf(name, sizeof name, "vae_tokens");
    if (golden_load_i32(g, name, &vt, &n, err, sizeof err) || n < (int64_t)c->B * c->L) goto bad;
    c->keep_tokens = vt;
  }
  return 0;
bad:
  golden_record(r, g, name, GOLDEN_FAIL, "%s", err[0] ? err : "unexpected size");
  npy_free(&a);
  free_case(c);
  return -1;
oom:
  golden_record(r, g, name, GOLDEN_FAIL, "out of memory");
  free_case(c);
  return -1;
}

/* Free-running tokens against the golden ones: a difference is excused where the
 * golden margin is below the near-tie threshold, and the rest of that item is then
 * not comparable.  For edits a flip at a kept position changes nothing downstream. */
typedef struct {
  int compared, equal, flips, bad, skipped;
  int *diverged;      /* [B] */
} token_cmp;

static void compare_tokens(const golden_set *g, const gen_case *c, const int32_t *flags, const int32_t *mine,
                           const int32_t *gold, const var_schedule *s, token_cmp *out)
{
  int b, si, p, off;
  for (b = 0; b < c->B; b++) {
    int diverged = 0;
    off = 0;
    for (si = 0; si < s->n_scales; si++) {
      const int T = s->pn[si] * s->pn[si];
      int flip_here = 0;
      for (p = 0; p < T; p++) {
        const size_t at = (size_t)b * c->L + off + p;
        if (diverged) {
          out->skipped++;
          continue;
        }
        out->compared++;
        if (mine[at] == gold[at]) {
          out->equal++;
        } else if (c->gold_margin[at] < g->logit_tie) {
          out->flips++;
          if (!flags || !flags[off + p]) flip_here = 1;
        } else {
          out->bad++;
        }
      }
      off += T;
      if (flip_here) diverged = 1;
    }
    out->diverged[b] = diverged;
  }
}

/* Argmax of the forced path's guided logits where the golden margin is clear. */
static void forced_argmax(const golden_set *g, const gen_case *c, const float *logits, int *checked, int *wrong)
{
  int64_t row;
  int v;
  *checked = *wrong = 0;
  for (row = 0; row < (int64_t)c->B * c->L; row++) {
    const float *x = logits + (size_t)row * c->V;
    int best = 0;
    if (c->gold_margin[row] < g->logit_tie) continue;
    for (v = 1; v < c->V; v++)
      if (x[v] > x[best]) best = v;
    (*checked)++;
    if (best != c->gold_sampled[row]) (*wrong)++;
  }
}

static void check_int_exact(golden_report *r, const golden_set *g, const char *label, const int32_t *mine,
                            const int32_t *gold, int64_t n, const char *what)
{
  int64_t i, bad = 0;
  for (i = 0; i < n; i++) bad += mine[i] != gold[i];
  golden_record(r, g, label, bad ? GOLDEN_FAIL : GOLDEN_PASS, "%s: %lld of %lld differ", what, (long long)bad,
                (long long)n);
}

void golden_generation_case(const golden_set *g, golden_report *r, const char *tag, int edit)
{
  golden_models m;
  gen_case c;
  var_gen_hooks hk;
  logit_sink sink;
  token_cmp tc;
  float *logits = NULL, *margin = NULL, *fhat = NULL, *img = NULL;
  int32_t *tokens = NULL, *sampled = NULL, *flags = NULL;
  char name[96], label[128];
  size_t fhat_n, img_n;
  int b, checked, wrong;
  var_status s;
  memset(&tc, 0, sizeof tc);
  snprintf(name, sizeof name, "%s_logits", tag);
  if (golden_open_models(g, r, name, 1, &m)) return;
  if (load_case(g, r, tag, edit, m.tf, &c)) {
    golden_close_models(&m);
    return;
  }
  fhat_n = (size_t)c.B * c.Cv * c.h * c.h;
  img_n = (size_t)c.B * 3 * c.img_side * c.img_side;
  logits = malloc(sizeof(float) * (size_t)c.B * c.L * c.V);
  margin = malloc(sizeof(float) * (size_t)c.B * c.L);
  fhat = malloc(sizeof(float) * fhat_n);
  img = malloc(sizeof(float) * img_n);
  tokens = malloc(sizeof(int32_t) * (size_t)c.B * c.L);
  sampled = malloc(sizeof(int32_t) * (size_t)c.B * c.L);
  flags = malloc(sizeof(int32_t) * (size_t)c.L);
  tc.diverged = calloc((size_t)c.B, sizeof(int));
  if (!logits || !margin || !fhat || !img || !tokens || !sampled || !flags || !tc.diverged) {
    golden_record(r, g, name, GOLDEN_FAIL, "out of memory");
    goto done;
  }
  if (edit) {
    int32_t *gold_forced;
    int64_t n;
    char err[512];
    snprintf(label, sizeof label, "%s_forced", tag);
    var_edit_scale_flags(&g->schedule, c.keep_mask, 0, flags);
    if (golden_load_i32(g, label, &gold_forced, &n, err, sizeof err) || n != c.L)
      golden_record(r, g, label, GOLDEN_FAIL, "%s", err);
    else
      check_int_exact(r, g, label, flags, gold_forced, c.L, "bilinear keep flags > 0.5");
    if (n == c.L) free(gold_forced);
  }

  /* 1. the golden tokens forced: guided logits, margins, argmax, f_hat, image */
  var_gen_hooks_default(&hk);
  sink.tf = m.tf;
  sink.logits = logits;
  hk.user = &sink;
  hk.on_logits = on_logits;
  hk.force_tokens = c.gold_sampled;
  hk.fhat_out = fhat;
  hk.sampled_out = sampled;
  s = var_generate_ex(m.tf, m.vae, &c.p, c.B, c.labels, c.keep_tokens, edit ? c.keep_mask : NULL, 0, &hk, tokens,
                      img);
  if (s != VAR_OK) {
    golden_record(r, g, name, s == VAR_ERR_NOT_IMPLEMENTED ? GOLDEN_NOT_IMPLEMENTED : GOLDEN_FAIL,
                  "forced generation: %s", var_ctx_last_error(m.ctx));
    goto done;
  }
  golden_check_f32(r, g, name, logits, (int64_t)c.B * c.L * c.V, 1.0);
  golden_top2_margin(logits, (int64_t)c.B * c.L, c.V, margin);
  snprintf(label, sizeof label, "%s_margin", tag);
  golden_check_f32(r, g, label, margin, (int64_t)c.B * c.L, 1.0);
  forced_argmax(g, &c, logits, &checked, &wrong);
  snprintf(label, sizeof label, "%s_%s", tag, edit ? "sampled_tokens" : "tokens");
  golden_record(r, g, label, wrong ? GOLDEN_FAIL : GOLDEN_PASS,
                "forced path: argmax of the guided logits differs at %d of %d positions with margin >= %g "
                "(%d near-ties not checked)",
                wrong, checked, g->logit_tie, c.B * c.L - checked);
  if (edit) {
    snprintf(label, sizeof label, "%s_tokens", tag);
    check_int_exact(r, g, label, tokens, c.gold_tokens, (int64_t)c.B * c.L, "forced path: effective tokens");
  }
  snprintf(label, sizeof label, "%s_fhat", tag);
  golden_check_f32(r, g, label, fhat, (int64_t)fhat_n, 1.0);
  snprintf(label, sizeof label, "%s_image", tag);
  golden_check_f32(r, g, label, img, (int64_t)img_n, 1.0);

  /* 2. free-running greedy generation (top_k = 1) */
  var_gen_hooks_default(&hk);
  hk.fhat_out = fhat;
  hk.sampled_out = sampled;
  s = var_generate_ex(m.tf, m.vae, &c.p, c.B, c.labels, c.keep_tokens, edit ? c.keep_mask : NULL, 0, &hk, tokens,
                      img);
  if (s != VAR_OK) {
    golden_record(r, g, name, GOLDEN_FAIL, "free-running generation: %s", var_ctx_last_error(m.ctx));
    goto done;
  }
  compare_tokens(g, &c, edit ? flags : NULL, sampled, c.gold_sampled, &g->schedule, &tc);
  snprintf(label, sizeof label, "%s_%s", tag, edit ? "sampled_tokens" : "tokens");
  golden_record(r, g, label, tc.bad ? GOLDEN_FAIL : GOLDEN_PASS,
                "free-running: %d of %d compared equal, %d near-tie flips excused, %d not comparable after a flip, "
                "%d wrong",
                tc.equal, tc.compared, tc.flips, tc.skipped, tc.bad);
  for (b = 0; b < c.B; b++) {
    const size_t fh1 = fhat_n / c.B, im1 = img_n / c.B;
    if (tc.diverged[b]) {
      snprintf(label, sizeof label, "%s_fhat:free[%d]", tag, b);
      golden_record(r, g, label, GOLDEN_PASS, "not comparable: a near-tie flipped (counted above)");
      continue;
    }
    if (edit) {
      snprintf(label, sizeof label, "%s_tokens:free[%d]", tag, b);
      check_int_exact(r, g, label, tokens + (size_t)b * c.L, c.gold_tokens + (size_t)b * c.L, c.L, "effective tokens");
    }
    snprintf(name, sizeof name, "%s_fhat", tag);
    snprintf(label, sizeof label, "%s_fhat:free[%d]", tag, b);
    golden_check_f32_slice(r, g, name, label, fhat + b * fh1, (int64_t)(b * fh1), (int64_t)fh1, 1.0);
    snprintf(name, sizeof name, "%s_image", tag);
    snprintf(label, sizeof label, "%s_image:free[%d]", tag, b);
    golden_check_f32_slice(r, g, name, label, img + b * im1, (int64_t)(b * im1), (int64_t)im1, 1.0);
  }
done:
  free(logits);
  free(margin);
  free(fhat);
  free(img);
  free(tokens);
  free(sampled);
  free(flags);
  free(tc.diverged);
  free_case(&c);
  golden_close_models(&m);
}

void golden_stage_gen(const golden_set *g, golden_report *r)
{
  const var_json *cases = var_json_get(g->manifest, "cases");
  int i;
  for (i = 0; cases && i < cases->n; i++)
    if (!strncmp(cases->keys[i], "gen_", 4)) golden_generation_case(g, r, cases->keys[i], 0);
}

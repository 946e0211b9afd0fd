/* model.c — model pairs: loading a VQ-VAE + transformer from files or a model folder
 * (whose files model_dir.c finds). */
#include "edit/model.h"
#include "model/generate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the real model's two calls -------------------------------------------- */

static var_status real_encode(var_model *m, const float *img, int32_t *tokens)
{
  return var_vqvae_encode(m->vae, &m->schedule, 1, img, tokens);
}

static var_status real_generate(var_model *m, const var_sample_params *p, int label, const int32_t *keep_tokens,
                                const float *keep_mask, int keep_scales, int32_t *tokens_out, float *img_out)
{
  /* not var_generate_tokens: it clears pending cancels, and this call is one step of a longer job */
  return var_generate_ex(m->tf, m->vae, p, 1, &label, keep_tokens, keep_mask, keep_scales, NULL, tokens_out, img_out);
}

static const var_model_ops real_ops = { .encode = real_encode, .generate = real_generate };

/* ---- construction ------------------------------------------------------------ */

static var_status model_finish(var_model *m, const var_schedule *s, int cell)
{
  int i, L = 0, last;
  if (!s || s->n_scales < 1 || s->n_scales > VAR_MAX_SCALES)
    return var_fail(m->ctx, VAR_ERR_INVALID_ARGUMENT, "model schedule has no scales");
  for (i = 0; i < s->n_scales; i++) {
    if (s->pn[i] < 1 || s->pn[i] > 256 || (i && s->pn[i] <= s->pn[i - 1]))
      return var_fail(m->ctx, VAR_ERR_INVALID_ARGUMENT, "model schedule is not increasing positive sizes");
    L += s->pn[i] * s->pn[i];
  }
  last = s->pn[s->n_scales - 1];
  if (cell < 1 || cell > 64)
    return var_fail(m->ctx, VAR_ERR_INVALID_ARGUMENT, "token cell of %d pixels is out of range", cell);
  m->schedule = *s;
  m->cell = cell;
  m->grid = last;
  m->image_size = last * cell;
  m->n_tokens = L;
  return VAR_OK;
}

var_status var_model_new_custom(var_ctx *ctx, const char *name, const var_schedule *schedule, int cell,
                                int num_classes, int vocab_size, const var_model_ops *ops, void *ops_user,
                                var_model **out)
{
  var_model *m;
  var_status st;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "out is NULL");
  *out = NULL;
  if (!ctx || !ops || !ops->encode || !ops->generate)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "custom model needs a context and both operations");
  st = var_calloc(ctx, 1, sizeof *m, (void **)&m);
  if (st != VAR_OK) return st;
  m->ctx = ctx;
  m->num_classes = num_classes;
  m->classes.num_classes = num_classes;
  m->vocab_size = vocab_size;
  m->ops = ops;
  m->ops_user = ops_user;
  snprintf(m->name, sizeof m->name, "%s", name ? name : "custom");
  st = model_finish(m, schedule, cell);
  if (st != VAR_OK) {
    var_model_free(m);
    return st;
  }
  *out = m;
  return VAR_OK;
}

void var_model_set_trace(var_model *m, var_model_trace_fn fn, void *user)
{
  if (!m) return;
  m->trace = fn;
  m->trace_user = user;
}

var_status var_model_load(var_ctx *ctx, const char *vae_path, const char *transformer_path,
                          const var_schedule *schedule, var_model **out)
{
  var_model *m = NULL;
  var_vqvae_info vi;
  var_transformer_info ti;
  var_status st;

  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_model_load: out is NULL");
  *out = NULL;
  if (!ctx) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_model_load: ctx is NULL");
  if (!vae_path || !*vae_path || !transformer_path || !*transformer_path)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_model_load: both a VQ-VAE and a transformer path are needed");
  st = var_calloc(ctx, 1, sizeof *m, (void **)&m);
  if (st != VAR_OK) return st;
  m->ctx = ctx;
  m->ops = &real_ops;
  m->vae_path = var_strdup(vae_path);
  m->tf_path = var_strdup(transformer_path);
  if (!m->vae_path || !m->tf_path) {
    st = var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
    goto fail;
  }
  var_model_file_stem(transformer_path, m->name, sizeof m->name);
  st = var_vqvae_load(ctx, vae_path, &m->vae);
  if (st != VAR_OK) {
    var_fail_prefix(ctx, st, "VQ-VAE %s", vae_path);
    goto fail;
  }
  st = var_transformer_load(ctx, transformer_path, schedule, &m->tf);
  if (st != VAR_OK) {
    var_fail_prefix(ctx, st, "transformer %s", transformer_path);
    goto fail;
  }
  if ((st = var_vqvae_get_info(m->vae, &vi)) != VAR_OK || (st = var_transformer_get_info(m->tf, &ti)) != VAR_OK)
    goto fail;
  if (vi.vocab_size != ti.vocab_size || vi.z_channels != ti.z_channels) {
    st = var_fail(ctx, VAR_ERR_SHAPE,
                  "%s (vocabulary %d, %d latent channels) does not belong with %s (vocabulary %d, %d channels)",
                  vae_path, vi.vocab_size, vi.z_channels, transformer_path, ti.vocab_size, ti.z_channels);
    goto fail;
  }
  m->num_classes = ti.num_classes;
  m->vocab_size = ti.vocab_size;
  st = model_finish(m, &ti.schedule, vi.downsample);
  if (st == VAR_OK) st = var_model_read_class_names(m);
  if (st != VAR_OK) goto fail;
  *out = m;
  return VAR_OK;
fail:
  var_model_free(m);
  return st;
}

void var_model_free(var_model *model)
{
  if (!model) return;
  var_transformer_free(model->tf);
  var_vqvae_free(model->vae);
  var_model_free_class_names(model);
  free(model->vae_path);
  free(model->tf_path);
  var_free(model);
}

var_vqvae *var_model_vqvae(var_model *model) { return model ? model->vae : NULL; }
var_transformer *var_model_transformer(var_model *model) { return model ? model->tf : NULL; }

var_status var_model_get_info(const var_model *model, var_model_info *info)
{
  if (!model || !info) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_model_get_info: NULL argument");
  memset(info, 0, sizeof *info);
  info->name = model->name;
  info->image_size = model->image_size;
  info->token_cell = model->cell;
  info->num_classes = model->num_classes;
  info->schedule = model->schedule;
  info->own_class_names = model->classes.n_named;
  return VAR_OK;
}

var_status var_model_load_dir(var_ctx *ctx, const char *dir, const char *name, var_model **out)
{
  char tf_path[4096 + 1200], vae_path[4096 + 1200];
  var_status s;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_model_load_dir: out is NULL");
  *out = NULL;
  if (!ctx) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_model_load_dir: ctx is NULL");
  s = var_model_dir_files(ctx, dir, name, vae_path, sizeof vae_path, tf_path, sizeof tf_path);
  return s == VAR_OK ? var_model_load(ctx, vae_path, tf_path, NULL, out) : s;
}

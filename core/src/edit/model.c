/* model.c — model pairs: loading a VQ-VAE + transformer from files or a model folder. */
#include "edit/model.h"
#include "model/generate.h"
#include "os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HF_URL "https://huggingface.co/FoundationVision/var"
#define HF_FILE HF_URL "/resolve/main/"
#define RELEASED_VAE "vae_ch160v4096z32.pth"

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

static char *dup_string(const char *s)
{
  size_t n = strlen(s) + 1;
  char *d = malloc(n);
  if (d) memcpy(d, s, n);
  return d;
}

/* "dir/var_d16.pth" -> "var_d16" */
static void file_stem(const char *path, char *out, size_t size)
{
  const char *base = strrchr(path, '/'), *dot;
  size_t n;
  base = base ? base + 1 : path;
  dot = strrchr(base, '.');
  n = dot && dot != base ? (size_t)(dot - base) : strlen(base);
  if (n >= size) n = size - 1;
  memcpy(out, base, n);
  out[n] = '\0';
}

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
  m->vae_path = dup_string(vae_path);
  m->tf_path = dup_string(transformer_path);
  if (!m->vae_path || !m->tf_path) {
    st = var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
    goto fail;
  }
  file_stem(transformer_path, m->name, sizeof m->name);
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
  info->own_class_names = model->n_class_names;
  return VAR_OK;
}

/* ---- model folders ------------------------------------------------------------ */

const char *var_default_model_dir(void)
{
#ifdef _WIN32
  return var_os_default_model_dir();   /* %LOCALAPPDATA%\libvar\models */
#else
  static char path[4096];
  const char *xdg = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
  /* XDG says relative values are invalid and must be ignored */
  if (xdg && xdg[0] == '/') snprintf(path, sizeof path, "%s/libvar/models", xdg);
  else if (home && *home) snprintf(path, sizeof path, "%s/.local/share/libvar/models", home);
  else snprintf(path, sizeof path, "libvar-models");
  return path;
#endif
}

static int is_model_file(const char *name, const char *prefix)
{
  size_t n = strlen(name), p = strlen(prefix);
  if (n <= p || strncmp(name, prefix, p) != 0) return 0;
  return (n > 4 && !strcmp(name + n - 4, ".pth")) || (n > 12 && !strcmp(name + n - 12, ".safetensors"));
}

static int regular_file(const char *path, long long *size) { return var_os_regular_file(path, size); }

/* Picks a file of `prefix` in dir: `prefer` (a file name) if present, else the
 * smallest (smallest_first) or the first by name.  Also lists what is there. */
static int pick_file(var_os_dir *d, const char *dir, const char *prefix, const char *prefer, int smallest_first,
                     char *out, size_t out_size, char *listing, size_t list_size)
{
  const char *e;
  char best[1024] = "", path[4096 + 1024];
  long long best_size = 0, size;
  int found = 0;
  var_os_rewinddir(d);
  if (listing && list_size) listing[0] = '\0';
  while ((e = var_os_readdir(d)) != NULL) {
    if (!is_model_file(e, prefix)) continue;
    snprintf(path, sizeof path, "%s/%s", dir, e);
    if (!regular_file(path, &size)) continue;
    if (listing && strlen(listing) + strlen(e) + 3 < list_size) {
      if (listing[0]) strcat(listing, ", ");
      strcat(listing, e);
    }
    if (strlen(e) >= sizeof best) continue;
    if (prefer && !strcmp(e, prefer)) {
      snprintf(best, sizeof best, "%s", e);
      best_size = -1;   /* nothing beats the preferred file */
      found = 1;
      continue;
    }
    if (best_size < 0) continue;
    if (!found || (smallest_first ? (size < best_size || (size == best_size && strcmp(e, best) < 0))
                                   : strcmp(e, best) < 0)) {
      snprintf(best, sizeof best, "%s", e);
      best_size = size;
      found = 1;
    }
  }
  if (found) snprintf(out, out_size, "%s/%s", dir, best);
  return found;
}

/* The transformer named `name`: stem, "dNN" shorthand, or a file name with extension. */
static int find_named(const char *dir, const char *name, char *out, size_t size)
{
  static const char *const forms[] = { "%s/%s", "%s/%s.pth", "%s/%s.safetensors", "%s/var_%s.pth",
                                       "%s/var_%s.safetensors" };
  size_t i;
  for (i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    snprintf(out, size, forms[i], dir, name);
    if (regular_file(out, NULL)) return 1;
  }
  return 0;
}

static void want_name(const char *name, char *out, size_t size)
{
  char stem[256];
  file_stem(name, stem, sizeof stem);
  if (!strncmp(stem, "var_", 4)) snprintf(out, size, "%s.pth", stem);
  else snprintf(out, size, "var_%s.pth", stem);
}

var_status var_model_load_dir(var_ctx *ctx, const char *dir, const char *name, var_model **out)
{
  char tf_path[4096 + 1200], vae_path[4096 + 1200], tf_list[1024], vae_list[1024], want[300];
  const char *where = "the default model folder";
  var_os_dir *d;
  int have_tf, have_vae;

  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_model_load_dir: out is NULL");
  *out = NULL;
  if (!ctx) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_model_load_dir: ctx is NULL");
  if (dir && *dir) {
    where = "the given model folder";
  } else if (getenv("VAR_MODEL_DIR") && *getenv("VAR_MODEL_DIR")) {
    dir = getenv("VAR_MODEL_DIR");
    where = "$VAR_MODEL_DIR";
  } else {
    dir = var_default_model_dir();
  }
  if (strlen(dir) > 4000) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "model folder path is too long");
  if (name && (!*name || strchr(name, '/')))
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "model name \"%s\" must be a file name such as var_d16", name);
  want_name(name ? name : "var_d16", want, sizeof want);
  d = var_os_opendir(dir);
  if (!d) {
    return var_fail(ctx, VAR_ERR_NOT_FOUND,
                    "model folder %s (%s) cannot be opened (%s). Download %s and %s from %s (files %s%s and %s%s) "
                    "into that folder, or choose another with --model-dir or $VAR_MODEL_DIR",
                    dir, where, strerror(errno), RELEASED_VAE, want, HF_URL, HF_FILE, RELEASED_VAE, HF_FILE, want);
  }
  {
    char scratch[sizeof tf_path];
    int any_tf = pick_file(d, dir, "var_", NULL, 1, scratch, sizeof scratch, tf_list, sizeof tf_list);
    have_tf = name ? find_named(dir, name, tf_path, sizeof tf_path) : any_tf;
    if (!name && any_tf) snprintf(tf_path, sizeof tf_path, "%s", scratch);
  }
  have_vae = pick_file(d, dir, "vae_", RELEASED_VAE, 0, vae_path, sizeof vae_path, vae_list, sizeof vae_list);
  var_os_closedir(d);
  if (!have_tf || !have_vae) {
    char what[600] = "", urls[700] = "";
    if (!have_tf && name)
      snprintf(what, sizeof what, "transformer %s not found", want);
    else if (!have_tf)
      snprintf(what, sizeof what, "no VAR transformer (var_d16.pth ... var_d36.pth)");
    if (!have_vae)
      snprintf(what + strlen(what), sizeof what - strlen(what), "%sno VQ-VAE (%s)", have_tf ? "" : " and ",
               RELEASED_VAE);
    if (!have_vae) snprintf(urls, sizeof urls, "%s%s", HF_FILE, RELEASED_VAE);
    if (!have_tf)
      snprintf(urls + strlen(urls), sizeof urls - strlen(urls), "%s%s%s", have_vae ? "" : " and ", HF_FILE, want);
    return var_fail(ctx, VAR_ERR_NOT_FOUND,
                    "%s in model folder %s (%s; transformers there: %s; VQ-VAEs there: %s). Download %s "
                    "(all models: %s) into %s, or choose another folder with --model-dir or $VAR_MODEL_DIR",
                    what, dir, where, tf_list[0] ? tf_list : "none", vae_list[0] ? vae_list : "none", urls, HF_URL,
                    dir);
  }
  return var_model_load(ctx, vae_path, tf_path, NULL, out);
}

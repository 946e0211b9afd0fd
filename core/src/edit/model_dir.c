/* model_dir.c — model folders: the default folder, and which VQ-VAE and
 * transformer files in a folder var_model_load_dir loads (or, when they are
 * missing, an error that names what to download and where). */
#include "edit/model.h"
#include "os.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HF_URL "https://huggingface.co/FoundationVision/var"
#define HF_FILE HF_URL "/resolve/main/"
#define RELEASED_VAE "vae_ch160v4096z32.pth"

/* "dir/var_d16.pth" -> "var_d16" */
void var_model_file_stem(const char *path, char *out, size_t size)
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
  var_model_file_stem(name, stem, sizeof stem);
  if (!strncmp(stem, "var_", 4)) snprintf(out, size, "%s.pth", stem);
  else snprintf(out, size, "var_%s.pth", stem);
}

var_status var_model_dir_files(var_ctx *ctx, const char *dir, const char *name, char *vae_path, size_t vae_size,
                               char *tf_path, size_t tf_size)
{
  char tf_list[1024], vae_list[1024], want[300];
  const char *where = "the default model folder";
  var_os_dir *d;
  int have_tf, have_vae;

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
    char scratch[4096 + 1200];
    int any_tf = pick_file(d, dir, "var_", NULL, 1, scratch, sizeof scratch, tf_list, sizeof tf_list);
    have_tf = name ? find_named(dir, name, tf_path, tf_size) : any_tf;
    if (!name && any_tf) snprintf(tf_path, tf_size, "%s", scratch);
  }
  have_vae = pick_file(d, dir, "vae_", RELEASED_VAE, 0, vae_path, vae_size, vae_list, sizeof vae_list);
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
  return VAR_OK;
}

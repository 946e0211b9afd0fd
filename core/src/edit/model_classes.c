/* model_classes.c — class names of a model, and of a model folder without
 * loading its model (var_model_dir_class_names).
 *
 * The released models are ImageNet's 1000 classes (classes.c).  A model trained
 * on other classes (models/demo) names them in a classes.txt beside its
 * transformer, one "INDEX NAME" per line.  The file is untrusted metadata: lines
 * that do not parse, indices outside the model's classes, over-long names and
 * names that are not printable UTF-8 (they end up in GTK widgets, Python strings,
 * PNG text and terminals) are skipped, never fatal, and a missing file just
 * means "no names". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "edit/model.h"
#include "os.h"

#define CLASS_LINE_MAX 256

/* Well-formed UTF-8 (no overlong forms, surrogates or code points past
 * U+10FFFF) without control characters. */
static int printable_utf8(const char *text)
{
  const unsigned char *s = (const unsigned char *)text;
  while (*s) {
    unsigned c = *s, cp;
    int n, k;
    if (c < 0x20 || c == 0x7f) return 0;
    if (c < 0x80) {
      s++;
      continue;
    }
    if (c >= 0xc2 && c <= 0xdf) n = 1, cp = c & 0x1f;
    else if (c >= 0xe0 && c <= 0xef) n = 2, cp = c & 0x0f;
    else if (c >= 0xf0 && c <= 0xf4) n = 3, cp = c & 0x07;
    else return 0;
    for (k = 1; k <= n; k++) {
      if ((s[k] & 0xc0) != 0x80) return 0;   /* also stops at the terminating NUL */
      cp = (cp << 6) | (s[k] & 0x3f);
    }
    if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
      return 0;
    if (cp >= 0x80 && cp < 0xa0) return 0;   /* C1 controls */
    s += n + 1;
  }
  return 1;
}

/* Reads the classes.txt beside tf_path into c (num_classes set by the caller). */
static var_status read_class_file(var_ctx *ctx, const char *tf_path, var_class_names *c)
{
  char path[4200], line[CLASS_LINE_MAX + 2];
  const char *slash;
  FILE *fp;
  if (!tf_path || c->num_classes <= 0) return VAR_OK;
  slash = strrchr(tf_path, '/');
  if (slash) {
    if ((size_t)(slash - tf_path) > 4096) return VAR_OK;
    snprintf(path, sizeof path, "%.*s/classes.txt", (int)(slash - tf_path), tf_path);
  } else {
    snprintf(path, sizeof path, "classes.txt");
  }
  if (!(fp = var_os_fopen(path, "r"))) return VAR_OK;
  c->names = calloc((size_t)c->num_classes, sizeof *c->names);
  if (!c->names) {
    fclose(fp);
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory reading %s (%zu bytes)", path,
                    (size_t)c->num_classes * sizeof *c->names);
  }
  for (;;) {
    /* one line by getc: exact about over-long lines and NUL bytes (skipped whole) */
    size_t len = 0;
    int ch, bad = 0;
    char *label, *end;
    long idx;
    while ((ch = getc(fp)) != EOF && ch != '\n') {
      if (ch == '\0' || len >= CLASS_LINE_MAX) bad = 1;
      else line[len++] = (char)ch;
    }
    if (ch == EOF && len == 0) break;
    line[len] = '\0';
    if (!bad) {
      idx = strtol(line, &label, 10);
      if (label != line && idx >= 0 && idx < c->num_classes && !c->names[idx]) {
        while (*label == ' ' || *label == '\t') label++;
        end = label + strlen(label);
        while (end > label && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (*label && printable_utf8(label)) {
          if (!(c->names[idx] = malloc(strlen(label) + 1))) {
            fclose(fp);
            return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory reading %s (%zu bytes)", path,
                            strlen(label) + 1);
          }
          strcpy(c->names[idx], label);
          c->n_named++;
        }
      }
    }
    if (ch == EOF) break;
  }
  fclose(fp);
  return VAR_OK;
}

static void clear_names(var_class_names *c)
{
  int i;
  if (!c->names) return;
  for (i = 0; i < c->num_classes; i++) free(c->names[i]);
  free(c->names);
  c->names = NULL;
  c->n_named = 0;
}

static var_status read_names(var_ctx *ctx, const char *tf_path, var_class_names *c)
{
  var_status s = read_class_file(ctx, tf_path, c);
  /* a file with no usable line names nothing: ImageNet's names still apply to a 1000-class model */
  if (s != VAR_OK || !c->n_named) clear_names(c);
  return s;
}

var_status var_model_read_class_names(var_model *m)
{
  m->classes.num_classes = m->num_classes;
  return read_names(m->ctx, m->tf_path, &m->classes);
}

void var_model_free_class_names(var_model *m) { clear_names(&m->classes); }

const char *var_class_names_get(const var_class_names *c, int index)
{
  if (!c || index < 0 || index >= c->num_classes) return NULL;
  if (c->names) return c->names[index];
  return c->num_classes == var_imagenet_n_classes() ? var_imagenet_class_name(index) : NULL;
}

static const char *own_text(const void *user, int index) { return ((const var_class_names *)user)->names[index]; }

int var_class_names_find(const var_class_names *c, const char *name)
{
  if (!c || !name) return -1;
  if (!c->names) return c->num_classes == var_imagenet_n_classes() ? var_imagenet_class_find(name) : -1;
  return var_class_find_in(name, c->num_classes, own_text, c);
}

int var_class_names_count(const var_class_names *c) { return c ? c->num_classes : 0; }
int var_class_names_own(const var_class_names *c) { return c ? c->n_named : 0; }

void var_class_names_free(var_class_names *c)
{
  if (!c) return;
  clear_names(c);
  free(c);
}

const char *var_model_class_name(const var_model *model, int index)
{
  return model ? var_class_names_get(&model->classes, index) : NULL;
}

int var_model_class_find(const var_model *model, const char *name)
{
  return model ? var_class_names_find(&model->classes, name) : -1;
}

var_status var_model_dir_class_names(var_ctx *ctx, const char *dir, const char *name, var_class_names **out)
{
  char vae_path[4096 + 1200], tf_path[4096 + 1200];
  var_checkpoint *ck = NULL;
  var_transformer_info ti;
  var_class_names *c;
  var_status s;
  if (!out) return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_model_dir_class_names: out is NULL");
  *out = NULL;
  if (!ctx) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_model_dir_class_names: ctx is NULL");
  s = var_model_dir_files(ctx, dir, name, vae_path, sizeof vae_path, tf_path, sizeof tf_path);
  if (s != VAR_OK) return s;
  s = var_checkpoint_open(ctx, tf_path, &ck);
  if (s == VAR_OK) s = var_checkpoint_transformer_info(ck, NULL, &ti);
  var_checkpoint_free(ck);
  if (s != VAR_OK) return var_fail_prefix(ctx, s, "transformer %s", tf_path);
  if (!(c = calloc(1, sizeof *c))) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory");
  c->num_classes = ti.num_classes;
  if ((s = read_names(ctx, tf_path, c)) != VAR_OK) {
    var_class_names_free(c);
    return s;
  }
  *out = c;
  return VAR_OK;
}

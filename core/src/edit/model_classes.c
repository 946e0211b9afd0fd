/* model_classes.c — class names of a model.
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

var_status var_model_read_class_names(var_model *m)
{
  char path[4200], line[CLASS_LINE_MAX + 2];
  const char *slash;
  FILE *fp;
  if (!m->tf_path || m->num_classes <= 0) return VAR_OK;
  slash = strrchr(m->tf_path, '/');
  if (slash) {
    if ((size_t)(slash - m->tf_path) > 4096) return VAR_OK;
    snprintf(path, sizeof path, "%.*s/classes.txt", (int)(slash - m->tf_path), m->tf_path);
  } else {
    snprintf(path, sizeof path, "classes.txt");
  }
  if (!(fp = var_os_fopen(path, "r"))) return VAR_OK;
  m->class_names = calloc((size_t)m->num_classes, sizeof *m->class_names);
  if (!m->class_names) {
    fclose(fp);
    return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading %s", path);
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
      if (label != line && idx >= 0 && idx < m->num_classes && !m->class_names[idx]) {
        while (*label == ' ' || *label == '\t') label++;
        end = label + strlen(label);
        while (end > label && (end[-1] == '\r' || end[-1] == ' ' || end[-1] == '\t')) *--end = '\0';
        if (*label && printable_utf8(label)) {
          if (!(m->class_names[idx] = malloc(strlen(label) + 1))) {
            fclose(fp);
            return var_fail(m->ctx, VAR_ERR_NO_MEMORY, "out of memory reading %s", path);
          }
          strcpy(m->class_names[idx], label);
          m->n_class_names++;
        }
      }
    }
    if (ch == EOF) break;
  }
  fclose(fp);
  /* a file with no usable line names nothing: ImageNet's names still apply to a 1000-class model */
  if (!m->n_class_names) var_model_free_class_names(m);
  return VAR_OK;
}

void var_model_free_class_names(var_model *m)
{
  int i;
  if (!m->class_names) return;
  for (i = 0; i < m->num_classes; i++) free(m->class_names[i]);
  free(m->class_names);
  m->class_names = NULL;
  m->n_class_names = 0;
}

static int imagenet_model(const var_model *m) { return m->num_classes == var_imagenet_n_classes(); }

const char *var_model_class_name(const var_model *model, int index)
{
  if (!model || index < 0 || index >= model->num_classes) return NULL;
  if (model->class_names) return model->class_names[index];
  return imagenet_model(model) ? var_imagenet_class_name(index) : NULL;
}

static const char *model_text(const void *user, int index)
{
  return ((const var_model *)user)->class_names[index];
}

int var_model_class_find(const var_model *model, const char *name)
{
  if (!model || !name) return -1;
  if (!model->class_names) return imagenet_model(model) ? var_imagenet_class_find(name) : -1;
  return var_class_find_in(name, model->num_classes, model_text, model);
}

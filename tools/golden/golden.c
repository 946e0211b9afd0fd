/* golden.c — golden-set access and comparison (see golden.h). */
#include "golden.h"

#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const golden_stage golden_stages[] = {
  { "checkpoints", "checkpoint names, shapes, dtypes and hashes", golden_stage_checkpoints },
  { "vae", "vae_*", golden_stage_vae },
  { "tf", "tf_*", golden_stage_tf },
  { "filter", "filter_*", golden_stage_filter },
  { "gen", "gen_*", golden_stage_gen },
  { "edit", "edit_*", golden_stage_edit },
};
const int golden_n_stages = (int)(sizeof golden_stages / sizeof golden_stages[0]);

static char *read_file(const char *path, size_t *len)
{
  FILE *fp = fopen(path, "rb");
  long n;
  char *buf;
  if (!fp) return NULL;
  if (fseek(fp, 0, SEEK_END) || (n = ftell(fp)) < 0 || fseek(fp, 0, SEEK_SET)) {
    fclose(fp);
    return NULL;
  }
  buf = malloc((size_t)n + 1);
  if (buf && fread(buf, 1, (size_t)n, fp) != (size_t)n) {
    free(buf);
    buf = NULL;
  }
  fclose(fp);
  if (buf) {
    buf[n] = '\0';
    *len = (size_t)n;
  }
  return buf;
}

const char *golden_path(const golden_set *g, const char *file, char *buf, size_t n)
{
  snprintf(buf, n, "%s/%s", g->dir, file);
  return buf;
}

int golden_open(const char *dir, golden_set *g, char *err, size_t err_size)
{
  char path[1200];
  size_t len = 0;
  char *text;
  const var_json *cfg, *pn, *tol, *v;
  int i;
  memset(g, 0, sizeof *g);
  snprintf(g->dir, sizeof g->dir, "%s", dir);
  text = read_file(golden_path(g, "manifest.json", path, sizeof path), &len);
  if (!text) {
    snprintf(err, err_size, "%s: cannot read", path);
    return -1;
  }
  if (var_json_parse(NULL, text, len, &g->manifest) != VAR_OK) {
    snprintf(err, err_size, "%s: %s", path, var_last_init_error());
    free(text);
    return -1;
  }
  free(text);
  v = var_json_get(g->manifest, "set");
  snprintf(g->name, sizeof g->name, "%s", v && v->kind == VAR_JSON_STRING ? v->string : "?");
  cfg = var_json_get(g->manifest, "config");
  pn = var_json_get(cfg, "patch_nums");
  if (!pn || pn->kind != VAR_JSON_ARRAY || pn->n < 1 || pn->n > VAR_MAX_SCALES) {
    snprintf(err, err_size, "%s: no config.patch_nums", path);
    golden_close(g);
    return -1;
  }
  g->schedule.n_scales = pn->n;
  for (i = 0; i < pn->n; i++) g->schedule.pn[i] = (int)pn->items[i].integer;
  g->L = var_schedule_tokens(&g->schedule);
  g->latent = g->schedule.pn[pn->n - 1];
  v = var_json_get(cfg, "image_size");
  g->image_size = v ? (int)v->integer : 16 * g->latent;
  tol = var_json_get(g->manifest, "tolerances");
  v = var_json_get(tol, "logit_near_tie_threshold");
  g->logit_tie = v ? v->number : 0;
  v = var_json_get(tol, "vq_near_tie_threshold");
  g->vq_tie = v ? v->number : 0;
  return 0;
}

void golden_close(golden_set *g)
{
  var_json_free(g->manifest);
  g->manifest = NULL;
}

static const var_json *array_entry(const golden_set *g, const char *name)
{
  return var_json_get(var_json_get(g->manifest, "arrays"), name);
}

int golden_has_array(const golden_set *g, const char *name) { return array_entry(g, name) != NULL; }

int golden_load(const golden_set *g, const char *name, npy_array *out, char *err, size_t err_size)
{
  const var_json *a = array_entry(g, name), *f;
  char path[1200];
  memset(out, 0, sizeof *out);
  f = var_json_get(a, "file");
  if (!f || f->kind != VAR_JSON_STRING) {
    snprintf(err, err_size, "%s: array %s is not in the manifest", g->name, name);
    return -1;
  }
  return npy_load(golden_path(g, f->string, path, sizeof path), out, err, err_size);
}

double golden_atol(const golden_set *g, const char *name)
{
  const var_json *t = var_json_get(var_json_get(array_entry(g, name), "tol"), "atol");
  return t && t->kind == VAR_JSON_NUMBER ? t->number : -1.0;
}

const var_json *golden_case(const golden_set *g, const char *name)
{
  return var_json_get(var_json_get(g->manifest, "cases"), name);
}

const char *golden_checkpoint(const golden_set *g, const char *which, char *buf, size_t n)
{
  const var_json *f = var_json_get(var_json_get(var_json_get(g->manifest, "checkpoints"), which), "file");
  if (!f || f->kind != VAR_JSON_STRING) return NULL;
  return golden_path(g, f->string, buf, n);
}

void golden_record(golden_report *r, const golden_set *g, const char *array, golden_outcome o, const char *fmt, ...)
{
  char detail[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(detail, sizeof detail, fmt, ap);
  va_end(ap);
  if (o == GOLDEN_PASS) r->passed++;
  else if (o == GOLDEN_FAIL) r->failed++;
  else r->not_implemented++;
  if (r->out)
    fprintf(r->out, "%-4s %s/%-28s %s\n", o == GOLDEN_PASS ? "PASS" : o == GOLDEN_FAIL ? "FAIL" : "TODO", g->name, array,
            detail);
}

golden_outcome golden_check_f32_slice(golden_report *r, const golden_set *g, const char *name, const char *label,
                                      const float *mine, int64_t offset, int64_t n, double slack)
{
  npy_array ref;
  char err[512];
  double atol = golden_atol(g, name), max_err = 0;
  int64_t i, bad = 0, worst = -1;
  golden_outcome o;
  if (golden_load(g, name, &ref, err, sizeof err)) {
    golden_record(r, g, label, GOLDEN_FAIL, "%s", err);
    return GOLDEN_FAIL;
  }
  if (ref.dtype != 'f' || offset < 0 || offset + n > ref.numel) {
    golden_record(r, g, label, GOLDEN_FAIL, "size mismatch: golden has %lld floats, compared [%lld, %lld)",
                  (long long)ref.numel, (long long)offset, (long long)(offset + n));
    npy_free(&ref);
    return GOLDEN_FAIL;
  }
  if (atol < 0) atol = 0;
  atol *= slack;
  for (i = 0; i < n; i++) {
    double e = fabs((double)mine[i] - (double)ref.f[offset + i]);
    if (isnan(mine[i]) != isnan(ref.f[offset + i]) || isinf(mine[i]) != isinf(ref.f[offset + i])) e = INFINITY;
    else if (isinf(mine[i]) && mine[i] == ref.f[offset + i]) e = 0;   /* matching -inf (masked logits) */
    if (e > max_err || worst < 0) {
      if (e > max_err) max_err = e;
      if (worst < 0 || e >= max_err) worst = i;
    }
    if (!(e <= atol)) bad++;
  }
  o = bad ? GOLDEN_FAIL : GOLDEN_PASS;
  golden_record(r, g, label, o, "max|err| %.3g (atol %.3g)%s%lld of %lld over", max_err, atol, bad ? ", " : " ",
                (long long)bad, (long long)n);
  npy_free(&ref);
  return o;
}

golden_outcome golden_check_f32(golden_report *r, const golden_set *g, const char *name, const float *mine,
                                int64_t n, double slack)
{
  return golden_check_f32_slice(r, g, name, name, mine, 0, n, slack);
}

void golden_todo_prefix(golden_report *r, const golden_set *g, const char *prefix, const char *why)
{
  const var_json *arrays = var_json_get(g->manifest, "arrays");
  int i;
  size_t pl = strlen(prefix);
  for (i = 0; arrays && i < arrays->n; i++)
    if (!strncmp(arrays->keys[i], prefix, pl)) golden_record(r, g, arrays->keys[i], GOLDEN_NOT_IMPLEMENTED, "%s", why);
}

void golden_run(const golden_set *g, const char *only, golden_report *r)
{
  int i;
  for (i = 0; i < golden_n_stages; i++) {
    if (only) {
      const char *p = strstr(only, golden_stages[i].name);
      size_t nl = strlen(golden_stages[i].name);
      if (!p || (p != only && p[-1] != ',') || (p[nl] && p[nl] != ',')) continue;
    }
    golden_stages[i].run(g, r);
  }
}

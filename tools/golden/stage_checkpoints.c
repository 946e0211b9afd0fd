/* stage_checkpoints.c — the loader against manifest.checkpoints: every tensor's
 * name, order, shape and dtype, the element count, and the file's SHA-256. */
#include "golden.h"
#include "io/ckpt.h"
#include "sha256.h"

#include <string.h>

/* Records "checkpoint:<which>": the tensor list as the manifest has it. */
static void check_tensors(const golden_set *g, golden_report *r, const char *which, const char *path,
                          const var_json *entry)
{
  char label[64], buf1[128], buf2[128];
  const var_json *list = var_json_get(entry, "tensors"), *num = var_json_get(entry, "num_elements");
  var_ctx *ctx = NULL;
  var_checkpoint *ck = NULL;
  int64_t elements = 0;
  int i, bad = 0;
  snprintf(label, sizeof label, "checkpoint:%s", which);
  if (!list || list->kind != VAR_JSON_ARRAY) {
    golden_record(r, g, label, GOLDEN_FAIL, "manifest lacks checkpoints.%s.tensors", which);
    return;
  }
  if (var_ctx_new(NULL, &ctx) != VAR_OK || var_checkpoint_open(ctx, path, &ck) != VAR_OK) {
    golden_record(r, g, label, GOLDEN_FAIL, "%s", ctx ? var_ctx_last_error(ctx) : var_last_init_error());
    var_ctx_free(ctx);
    return;
  }
  if (ck->n != list->n) {
    golden_record(r, g, label, GOLDEN_FAIL, "%d tensors, manifest lists %d", ck->n, list->n);
    bad = 1;
  }
  for (i = 0; !bad && i < list->n; i++) {
    const var_json *e = &list->items[i], *name = var_json_get(e, "name"), *shape = var_json_get(e, "shape"),
                   *dtype = var_json_get(e, "dtype");
    const var_ckpt_tensor *t = &ck->tensors[i];
    int64_t dims[VAR_MAX_DIMS];
    int d, same = 1;
    if (!name || name->kind != VAR_JSON_STRING || !shape || shape->kind != VAR_JSON_ARRAY ||
        shape->n > VAR_MAX_DIMS || !dtype || dtype->kind != VAR_JSON_STRING) {
      golden_record(r, g, label, GOLDEN_FAIL, "manifest entry %d of checkpoints.%s.tensors is malformed", i, which);
      bad = 1;
      break;
    }
    for (d = 0; d < shape->n; d++) dims[d] = shape->items[d].integer;
    if (strcmp(t->name, name->string) || t->ndim != shape->n || strcmp(var_dtype_name(t->dtype), dtype->string))
      same = 0;
    for (d = 0; same && d < shape->n; d++)
      if (t->shape[d] != dims[d]) same = 0;
    if (!same) {
      golden_record(r, g, label, GOLDEN_FAIL, "tensor %d: %s %s %s, manifest %s %s %s", i, t->name,
                    var_shape_str(t->shape, t->ndim, buf1, sizeof buf1), var_dtype_name(t->dtype), name->string,
                    var_shape_str(dims, shape->n, buf2, sizeof buf2), dtype->string);
      bad = 1;
    }
    elements += t->numel;
  }
  if (!bad && num && num->is_integer && num->integer != elements) {
    golden_record(r, g, label, GOLDEN_FAIL, "%lld elements, manifest says %lld", (long long)elements,
                  (long long)num->integer);
    bad = 1;
  }
  if (!bad)
    golden_record(r, g, label, GOLDEN_PASS, "%d tensors, %lld elements: names, order, shapes and dtypes match", ck->n,
                  (long long)elements);
  var_checkpoint_free(ck);
  var_ctx_free(ctx);
}

/* Records "checkpoint:<which>:sha256": the file is the one the manifest describes. */
static void check_hash(const golden_set *g, golden_report *r, const char *which, const char *path,
                       const var_json *entry)
{
  const var_json *want = var_json_get(entry, "sha256");
  char label[64], hex[65], err[512];
  snprintf(label, sizeof label, "checkpoint:%s:sha256", which);
  if (!want || want->kind != VAR_JSON_STRING) {
    golden_record(r, g, label, GOLDEN_FAIL, "manifest lacks checkpoints.%s.sha256", which);
    return;
  }
  if (sha256_file(path, hex, err, sizeof err)) {
    golden_record(r, g, label, GOLDEN_FAIL, "%s", err);
    return;
  }
  if (strcmp(hex, want->string))
    golden_record(r, g, label, GOLDEN_FAIL, "%s, manifest says %.64s", hex, want->string);
  else
    golden_record(r, g, label, GOLDEN_PASS, "%.16s... matches", hex);
}

static void check_one(const golden_set *g, golden_report *r, const char *which)
{
  char path[1200], label[64];
  const var_json *entry = var_json_get(var_json_get(g->manifest, "checkpoints"), which);
  if (!golden_checkpoint(g, which, path, sizeof path) || !entry) {
    snprintf(label, sizeof label, "checkpoint:%s", which);
    golden_record(r, g, label, GOLDEN_FAIL, "manifest lacks checkpoints.%s", which);
    return;
  }
  check_hash(g, r, which, path, entry);
  check_tensors(g, r, which, path, entry);
}

void golden_stage_checkpoints(const golden_set *g, golden_report *r)
{
  check_one(g, r, "vae");
  check_one(g, r, "var");
}

/* result.c — var_result: the images of an image-level call with their seeds and
 * one-line descriptions. */
#include "edit/result.h"

#include <stdio.h>
#include <string.h>

struct var_result {
  int count;
  var_image *images;
  uint64_t *seeds;
  char (*desc)[VAR_RESULT_DESC_SIZE];
};

var_status var_result_new(var_ctx *ctx, int count, int width, int height, var_result **out)
{
  var_result *r = NULL;
  size_t stride = var_size_mul(4, (size_t)width), bytes = var_size_mul(stride, (size_t)height);
  var_status st;
  int i;

  *out = NULL;
  if (count < 1 || width < 1 || height < 1 || !bytes)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "result of %d images of %dx%d", count, width, height);
  st = var_calloc(ctx, 1, sizeof *r, (void **)&r);
  if (st == VAR_OK) st = var_calloc(ctx, (size_t)count, sizeof *r->images, (void **)&r->images);
  if (st == VAR_OK) st = var_calloc(ctx, (size_t)count, sizeof *r->seeds, (void **)&r->seeds);
  if (st == VAR_OK) st = var_calloc(ctx, (size_t)count, sizeof *r->desc, (void **)&r->desc);
  if (st != VAR_OK) {
    var_result_free(r);
    return st;
  }
  r->count = count;
  for (i = 0; i < count && st == VAR_OK; i++) {
    r->images[i].width = width;
    r->images[i].height = height;
    r->images[i].stride = (int)stride;
    st = var_alloc(ctx, bytes, (void **)&r->images[i].data);
  }
  if (st != VAR_OK) {
    var_result_free(r);
    return var_fail_prefix(ctx, st, "%d result images of %dx%d", count, width, height);
  }
  *out = r;
  return VAR_OK;
}

var_image *var_result_image_mut(var_result *r, int i) { return &r->images[i]; }

void var_result_set(var_result *r, int i, uint64_t seed, const char *op, const char *model, const char *name,
                    const var_edit_params *p)
{
  char cls[272] = "", edit_tail[48] = "";
  /* fill, strength and seamless only mean something for in- and out-painting */
  const int edit = strcmp(op, "generate") != 0;
  const char *fill = !edit ? "" : p->fill == VAR_FILL_SMOOTH ? " fill=smooth" : " fill=original";
  r->seeds[i] = seed;
  if (name) snprintf(cls, sizeof cls, " \"%s\"", name);
  if (edit && p->strength < 1.0f) snprintf(edit_tail, sizeof edit_tail, " strength=%g", (double)p->strength);
  if (edit && !p->seamless) strncat(edit_tail, " seamless=0", sizeof edit_tail - strlen(edit_tail) - 1);
  snprintf(r->desc[i], VAR_RESULT_DESC_SIZE,
           "VAR %s %s seed=%llu cfg=%g top_k=%d top_p=%g more_smooth=%d class=%d%s%s%s", op, model,
           (unsigned long long)seed, (double)p->sample.cfg, p->sample.top_k, (double)p->sample.top_p,
           p->sample.more_smooth ? 1 : 0, p->class_label, cls, fill, edit_tail);
}

int var_result_count(const var_result *result) { return result ? result->count : 0; }

const var_image *var_result_image(const var_result *result, int i)
{
  return result && i >= 0 && i < result->count ? &result->images[i] : NULL;
}

uint64_t var_result_seed(const var_result *result, int i)
{
  return result && i >= 0 && i < result->count ? result->seeds[i] : 0;
}

const char *var_result_description(const var_result *result, int i)
{
  return result && i >= 0 && i < result->count ? result->desc[i] : NULL;
}

void var_result_free(var_result *result)
{
  int i;
  if (!result) return;
  if (result->images)
    for (i = 0; i < result->count; i++) var_free(result->images[i].data);
  var_free(result->images);
  var_free(result->seeds);
  var_free(result->desc);
  var_free(result);
}

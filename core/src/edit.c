/* edit.c — image-level in-paint, out-paint and generate on images of any size. */
#include "internal.h"

/* TODO: not implemented yet. */

void var_edit_params_default(var_edit_params *params)
{
  (void)params;
}

int var_result_count(const var_result *result)
{
  (void)result;
  return 0;
}

const var_image *var_result_image(const var_result *result, int i)
{
  (void)result;
  (void)i;
  return NULL;
}

uint64_t var_result_seed(const var_result *result, int i)
{
  (void)result;
  (void)i;
  return 0;
}

const char *var_result_description(const var_result *result, int i)
{
  (void)result;
  (void)i;
  return NULL;
}

void var_result_free(var_result *result)
{
  (void)result;
}

var_status var_inpaint(var_model *model, const var_image *image, const uint8_t *mask, int mask_stride,
                               const var_edit_params *params, var_result **out)
{
  (void)model;
  (void)image;
  (void)mask;
  (void)mask_stride;
  (void)params;
  (void)out;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_inpaint: not implemented yet");
}

var_status var_outpaint(var_model *model, const var_image *image, int left, int top, int right,
                                int bottom, const var_edit_params *params, var_result **out)
{
  (void)model;
  (void)image;
  (void)left;
  (void)top;
  (void)right;
  (void)bottom;
  (void)params;
  (void)out;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_outpaint: not implemented yet");
}

var_status var_generate(var_model *model, const var_edit_params *params, var_result **out)
{
  (void)model;
  (void)params;
  (void)out;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_generate: not implemented yet");
}

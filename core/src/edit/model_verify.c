/* model_verify.c — var_model_verify: the files a model was loaded from, read
 * end to end once per process (io/verify.c does the reading and remembers). */
#include "edit/model.h"
#include "internal.h"

var_status var_model_verify(var_model *model)
{
  var_status st;
  if (!model) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_model_verify: NULL model");
  if (!model->vae_path || !model->tf_path)
    return var_fail(model->ctx, VAR_ERR_INVALID_ARGUMENT, "var_model_verify: the model was not loaded from files");
  st = var_verify_file_once(model->ctx, model->vae_path);
  if (st == VAR_OK) st = var_verify_file_once(model->ctx, model->tf_path);
  return st;
}

/* model.c — model pairs: loading a VQ-VAE + transformer from files or a model folder. */
#include "internal.h"

/* TODO: not implemented yet. */

var_status var_model_load(var_ctx *ctx, const char *vae_path, const char *transformer_path,
                                  const var_schedule *schedule, var_model **out)
{
  (void)ctx;
  (void)vae_path;
  (void)transformer_path;
  (void)schedule;
  (void)out;
  return var_fail(ctx, VAR_ERR_NOT_IMPLEMENTED, "var_model_load: not implemented yet");
}

var_status var_model_load_dir(var_ctx *ctx, const char *dir, const char *name, var_model **out)
{
  (void)ctx;
  (void)dir;
  (void)name;
  (void)out;
  return var_fail(ctx, VAR_ERR_NOT_IMPLEMENTED, "var_model_load_dir: not implemented yet");
}

void var_model_free(var_model *model)
{
  (void)model;
}

var_vqvae *var_model_vqvae(var_model *model)
{
  (void)model;
  return NULL;
}

var_transformer *var_model_transformer(var_model *model)
{
  (void)model;
  return NULL;
}

const char *var_default_model_dir(void)
{

  return NULL;
}

/* transformer.c — the VAR transformer: weights, AdaLN blocks, KV-cached forward. */
#include "internal.h"

/* TODO: not implemented yet. */

var_status var_transformer_load(var_ctx *ctx, const char *path, const var_schedule *schedule,
                                        var_transformer **out)
{
  (void)ctx;
  (void)path;
  (void)schedule;
  (void)out;
  return var_fail(ctx, VAR_ERR_NOT_IMPLEMENTED, "var_transformer_load: not implemented yet");
}

void var_transformer_free(var_transformer *tf)
{
  (void)tf;
}

var_status var_transformer_get_info(const var_transformer *tf, var_transformer_info *info)
{
  (void)tf;
  (void)info;
  return var_fail(NULL, VAR_ERR_NOT_IMPLEMENTED, "var_transformer_get_info: not implemented yet");
}

/* cpu_attention.c — transformer embeddings, AdaLN modulation and KV-cached attention (CPU backend). */
#include "cpu_ops.h"

/* TODO: not implemented yet; each op reports itself. */

var_status cpu_embed_rows(var_backend *be, int rows, int dim, var_dptr table, var_dptr idx, var_dptr out)
{
  (void)rows;
  (void)dim;
  (void)table;
  (void)idx;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "embed_rows: not implemented on the CPU backend yet");
}

var_status cpu_add_rows(var_backend *be, int groups, int T, int C, var_dptr x, var_dptr rows)
{
  (void)groups;
  (void)T;
  (void)C;
  (void)x;
  (void)rows;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "add_rows: not implemented on the CPU backend yet");
}

var_status cpu_ln_modulate(var_backend *be, int rows, int C, int rows_per_group, float eps, var_dptr x,
                           var_dptr scale, var_dptr shift, int mod_stride, var_dptr out)
{
  (void)rows;
  (void)C;
  (void)rows_per_group;
  (void)eps;
  (void)x;
  (void)scale;
  (void)shift;
  (void)mod_stride;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "ln_modulate: not implemented on the CPU backend yet");
}

var_status cpu_gated_add(var_backend *be, int rows, int C, int rows_per_group, var_dptr x, var_dptr gamma,
                         int gamma_stride, var_dptr y)
{
  (void)rows;
  (void)C;
  (void)rows_per_group;
  (void)x;
  (void)gamma;
  (void)gamma_stride;
  (void)y;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "gated_add: not implemented on the CPU backend yet");
}

var_status cpu_attention_kv(var_backend *be, int G, int T, int C, int H, int l_max, int pos0, var_dptr qkv,
                            var_dptr q_bias, var_dptr v_bias, var_dptr scale_mul, var_dptr kcache,
                            var_dptr vcache, var_dptr out)
{
  (void)G;
  (void)T;
  (void)C;
  (void)H;
  (void)l_max;
  (void)pos0;
  (void)qkv;
  (void)q_bias;
  (void)v_bias;
  (void)scale_mul;
  (void)kcache;
  (void)vcache;
  (void)out;
  return var_fail(be->ctx, VAR_ERR_NOT_IMPLEMENTED, "attention_kv: not implemented on the CPU backend yet");
}

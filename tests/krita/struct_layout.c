/* struct_layout.c — prints sizeof and field offsets of every public struct of
 * var.h as JSON, so the ctypes binding's mirror (plugins/krita/libvar_krita/
 * libvar.py) can be checked against what the C compiler actually lays out. */
#include <stddef.h>
#include <stdio.h>

#include "var.h"

#define BEGIN(T) printf("%s\"" #T "\": {\"size\": %zu, \"fields\": {", first_struct ? "" : ", ", sizeof(T)), \
                 first_struct = 0, first_field = 1
#define FIELD(T, f) printf("%s\"" #f "\": %zu", first_field ? "" : ", ", offsetof(T, f)), first_field = 0
#define END() printf("}}")

int main(void)
{
  int first_struct = 1, first_field = 1;
  printf("{");
  BEGIN(var_progress);
  FIELD(var_progress, fraction); FIELD(var_progress, step); FIELD(var_progress, total_steps);
  FIELD(var_progress, variant); FIELD(var_progress, variants); FIELD(var_progress, stage);
  END();
  BEGIN(var_ctx_params);
  FIELD(var_ctx_params, n_threads); FIELD(var_ctx_params, backend); FIELD(var_ctx_params, log);
  FIELD(var_ctx_params, log_user); FIELD(var_ctx_params, log_level); FIELD(var_ctx_params, weights);
  END();
  BEGIN(var_tensor_info);
  FIELD(var_tensor_info, name); FIELD(var_tensor_info, dtype); FIELD(var_tensor_info, ndim);
  FIELD(var_tensor_info, shape); FIELD(var_tensor_info, numel);
  END();
  BEGIN(var_schedule);
  FIELD(var_schedule, n_scales); FIELD(var_schedule, pn);
  END();
  BEGIN(var_vqvae_info);
  FIELD(var_vqvae_info, vocab_size); FIELD(var_vqvae_info, z_channels); FIELD(var_vqvae_info, ch);
  FIELD(var_vqvae_info, n_levels); FIELD(var_vqvae_info, ch_mult); FIELD(var_vqvae_info, num_res_blocks);
  FIELD(var_vqvae_info, n_phi); FIELD(var_vqvae_info, downsample); FIELD(var_vqvae_info, n_params);
  END();
  BEGIN(var_vqvae_attention);
  FIELD(var_vqvae_attention, encoder_last_level); FIELD(var_vqvae_attention, encoder_mid);
  FIELD(var_vqvae_attention, decoder_last_level); FIELD(var_vqvae_attention, decoder_mid);
  END();
  BEGIN(var_transformer_info);
  FIELD(var_transformer_info, depth); FIELD(var_transformer_info, width); FIELD(var_transformer_info, heads);
  FIELD(var_transformer_info, head_dim); FIELD(var_transformer_info, mlp_hidden);
  FIELD(var_transformer_info, vocab_size); FIELD(var_transformer_info, z_channels);
  FIELD(var_transformer_info, num_classes); FIELD(var_transformer_info, shared_aln);
  FIELD(var_transformer_info, schedule); FIELD(var_transformer_info, n_tokens);
  FIELD(var_transformer_info, image_size); FIELD(var_transformer_info, n_params);
  END();
  BEGIN(var_sample_params);
  FIELD(var_sample_params, seed); FIELD(var_sample_params, cfg); FIELD(var_sample_params, top_k);
  FIELD(var_sample_params, top_p); FIELD(var_sample_params, more_smooth);
  END();
  BEGIN(var_image);
  FIELD(var_image, width); FIELD(var_image, height); FIELD(var_image, stride); FIELD(var_image, data);
  END();
  BEGIN(var_mask);
  FIELD(var_mask, width); FIELD(var_mask, height); FIELD(var_mask, stride); FIELD(var_mask, data);
  END();
  BEGIN(var_model_info);
  FIELD(var_model_info, name); FIELD(var_model_info, image_size); FIELD(var_model_info, token_cell);
  FIELD(var_model_info, num_classes); FIELD(var_model_info, schedule); FIELD(var_model_info, own_class_names);
  END();
  BEGIN(var_edit_params);
  FIELD(var_edit_params, sample); FIELD(var_edit_params, class_label); FIELD(var_edit_params, variants);
  FIELD(var_edit_params, context_margin); FIELD(var_edit_params, mask_grow);
  FIELD(var_edit_params, fill); FIELD(var_edit_params, strength);
  FIELD(var_edit_params, seamless);
  END();
  printf("}\n");
  return 0;
}

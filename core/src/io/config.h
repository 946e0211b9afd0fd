/* config.h — model configurations derived from checkpoint tensor shapes, and
 * scale-schedule helpers.  Nothing here hard-codes the released sizes. */
#ifndef VAR_CONFIG_H
#define VAR_CONFIG_H

#include "io/ckpt.h"

#define VAR_MAX_LEVELS 8

typedef struct var_vqvae_config {
  int in_channels;        /* 3 */
  int ch;
  int n_levels;
  int ch_mult[VAR_MAX_LEVELS];
  int num_res_blocks;     /* encoder; the decoder has num_res_blocks + 1 */
  int z_channels;         /* Cv */
  int vocab_size;         /* V */
  int n_phi;              /* quant_resi convolutions (share_quant_resi) */
  float phi_ratio;        /* 0.5: phi(h) = (1-r) h + r conv(h) */
  int enc_attn_last, enc_mid_attn, dec_attn_last, dec_mid_attn;   /* attention blocks present */
  int downsample;         /* 2^(n_levels-1) */
  int64_t n_params;       /* learnable parameters (buffers excluded) */
} var_vqvae_config;

typedef struct var_tf_config {
  int depth, C, heads, head_dim, mlp_hidden;
  int vocab_size, z_channels, num_classes;
  int shared_aln;
  int n_scales;           /* rows of lvl_embed */
  int n_tokens;           /* rows of pos_1LC */
  int first_l;            /* tokens of the first scale (pos_start rows) */
  var_schedule schedule;  /* may be unset (n_scales 0) if not derivable */
  int64_t n_params;
} var_tf_config;

var_status var_vqvae_config_derive(var_checkpoint *ck, var_vqvae_config *cfg);
/* The public view of a configuration (var_vqvae_get_info, var_checkpoint_vqvae_info, ...). */
void var_vqvae_config_info(const var_vqvae_config *cfg, var_vqvae_info *info);
void var_tf_config_info(const var_tf_config *cfg, var_transformer_info *info);
/* schedule NULL: derive (released schedules by L, else the unique one);
 * a failed derivation is an error that asks for an explicit schedule. */
var_status var_tf_config_derive(var_checkpoint *ck, const var_schedule *schedule, var_tf_config *cfg);

/* The released schedule for L tokens in S scales, else the unique strictly
 * increasing schedule starting at 1; VAR_ERR_NOT_FOUND if none or several. */
var_status var_schedule_derive(int n_scales, int n_tokens, var_schedule *out, int *n_solutions);
/* Which phi convolution scale si of S uses (docs/algorithm.md §3.5, numpy linspace in double). */
int var_phi_index(int si, int n_scales, int n_phi);
/* Begin offset of each scale in the token layout; begin[S] = L. */
void var_schedule_begins(const var_schedule *s, int *begin);

#endif

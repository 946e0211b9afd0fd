/* vqvae_weights.h — the VQ-VAE's layers as backend buffers (shared by
 * vqvae.c, which runs the encoder/decoder, and quant.c, which runs the φ
 * convolutions).  vqvae_weights.c fills them from a checkpoint, checking every
 * tensor's shape against the configuration derived from the checkpoint. */
#ifndef VAR_VQVAE_WEIGHTS_H
#define VAR_VQVAE_WEIGHTS_H

#include "model/vqvae.h"

/* Res-blocks per level the loader accepts (the decoder has num_res_blocks + 1). */
#define VAR_VAE_MAX_BLOCKS 8
#define VAR_VAE_GROUPS 32
#define VAR_VAE_EPS 1e-6f

typedef struct vae_conv {
  var_dptr w, b;              /* [c_out, c_in, k, k], [c_out] */
  int c_in, c_out, k;
} vae_conv;

typedef struct vae_norm {
  var_dptr gamma, beta;       /* [c] */
  int c;
} vae_norm;

typedef struct vae_res {
  vae_norm norm1, norm2;
  vae_conv conv1, conv2;
  vae_conv nin;               /* 1x1 shortcut, present when c_in != c_out */
  int has_nin;
  int c_in, c_out;
} vae_res;

typedef struct vae_attn {
  vae_norm norm;
  vae_conv qkv, proj;         /* 1x1: C -> 3C (q | k | v), C -> C */
  int c;
} vae_attn;

typedef struct vae_level {
  vae_res block[VAR_VAE_MAX_BLOCKS];
  vae_attn attn[VAR_VAE_MAX_BLOCKS];
  int n_blocks, n_attn;       /* n_attn is 0 or n_blocks (one after each block) */
  vae_conv resample;          /* encoder: downsample conv (stride 2); decoder: upsample conv */
  int has_resample;
  int c_out;
} vae_level;

typedef struct vae_mid {
  vae_res block_1, block_2;
  vae_attn attn_1;
  int has_attn;
} vae_mid;

struct var_vqvae_weights {
  var_backend *be;
  var_dbuf **bufs;            /* every wrapped or allocated buffer, released at free */
  int n_bufs, cap_bufs;
  vae_conv enc_conv_in, enc_conv_out, quant_conv;
  vae_level enc[VAR_MAX_LEVELS];
  vae_mid enc_mid;
  vae_norm enc_norm_out;
  vae_conv post_quant_conv, dec_conv_in, dec_conv_out;
  vae_level dec[VAR_MAX_LEVELS];        /* indexed by level, run from n_levels-1 down to 0 */
  vae_mid dec_mid;
  vae_norm dec_norm_out;
  vae_conv *phi;              /* n_phi convolutions Cv -> Cv, 3x3 */
  var_vqvae_tap_fn tap;
  void *tap_user;
};

/* Wraps every tensor of vae->ck (config already derived into vae->cfg) as a
 * backend buffer and fills vae->w, vae->codebook and vae->codebook_sq.  Fails
 * with VAR_ERR_SHAPE naming the tensor when a shape does not fit the
 * configuration, or when the checkpoint has tensors the configuration does not
 * use. */
var_status var_vqvae_weights_load(var_vqvae *vae);
void var_vqvae_weights_free(var_vqvae_weights *w);

/* out[B, c_out, h_out, w_out] = conv(in) (+ residual) with the layer's geometry:
 * stride 1 with "same" padding, or (downsample != 0) the right/bottom-padded
 * stride-2 convolution of the encoder's Downsample. */
var_status var_vae_conv(var_backend *be, const vae_conv *c, int batch, int h, int w, int downsample, var_dptr in,
                        var_dptr residual, var_dptr out);

#endif

/* cmd_inspect.c — `var inspect FILE`: what a checkpoint holds and what model it implies. */
#include "cli.h"
#include "escape.h"
#include "var.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *fp)
{
  fprintf(fp, "usage: var inspect FILE [--tensors] [--patch-nums 1,2,3,...]\n"
              "\n"
              "Prints the file's format, the model configuration derived from its tensor shapes and\n"
              "the parameter count; --tensors also lists every tensor (name, shape, dtype) in file order.\n");
}

static int64_t total_elements(const var_checkpoint *ck)
{
  int64_t n = 0;
  var_tensor_info t;
  int i;
  for (i = 0; i < var_checkpoint_n_tensors(ck); i++)
    if (var_checkpoint_tensor(ck, i, &t) == VAR_OK) n += t.numel;
  return n;
}

static int print_vqvae(var_checkpoint *ck, var_ctx *ctx)
{
  var_vqvae_info c;
  var_vqvae_attention a;
  int i;
  if (var_checkpoint_vqvae_info(ck, &c, &a) != VAR_OK) {
    printf("model: VQ-VAE (configuration not derivable: %s)\n", ESCAPED(var_ctx_last_error(ctx)));
    return 1;
  }
  printf("model: VQ-VAE\n");
  printf("vocab_size: %d\nz_channels: %d\nch: %d\nch_mult: ", c.vocab_size, c.z_channels, c.ch);
  for (i = 0; i < c.n_levels; i++) printf("%s%d", i ? "," : "", c.ch_mult[i]);
  printf("\nnum_res_blocks: %d\nshare_quant_resi: %d\ndownsample: %d\n", c.num_res_blocks, c.n_phi, c.downsample);
  printf("attention: encoder last level %s, encoder mid %s, decoder last level %s, decoder mid %s\n",
         a.encoder_last_level ? "yes" : "no", a.encoder_mid ? "yes" : "no", a.decoder_last_level ? "yes" : "no",
         a.decoder_mid ? "yes" : "no");
  printf("parameters: %lld\n", (long long)c.n_params);
  return 0;
}

static int print_transformer(var_checkpoint *ck, var_ctx *ctx, const var_schedule *sched)
{
  var_transformer_info c;
  int i, last;
  if (var_checkpoint_transformer_info(ck, sched, &c) != VAR_OK) {
    printf("model: VAR transformer (configuration not derivable: %s)\n", ESCAPED(var_ctx_last_error(ctx)));
    return 1;
  }
  last = c.schedule.pn[c.schedule.n_scales - 1];
  printf("model: VAR transformer\n");
  printf("depth: %d\nwidth: %d\nheads: %d\nhead_dim: %d\nmlp_hidden: %d\n", c.depth, c.width, c.heads, c.head_dim,
         c.mlp_hidden);
  printf("vocab_size: %d\nz_channels: %d\nnum_classes: %d\nshared_aln: %s\n", c.vocab_size, c.z_channels,
         c.num_classes, c.shared_aln ? "yes" : "no");
  printf("patch_nums: ");
  for (i = 0; i < c.schedule.n_scales; i++) printf("%s%d", i ? "," : "", c.schedule.pn[i]);
  printf("\ntokens: %d\nimage_size: %d (with a /16 VQ-VAE as released; %d x the VQ-VAE's downsampling in general)\n",
         c.n_tokens, 16 * last, last);
  printf("parameters: %lld\n", (long long)c.n_params);
  return 0;
}

/* Bytes held in each element type, and the whole file's tensor bytes. */
static void print_types(const var_checkpoint *ck)
{
  static const var_dtype types[] = { VAR_DTYPE_F32, VAR_DTYPE_BF16, VAR_DTYPE_F16, VAR_DTYPE_I8,
                                     VAR_DTYPE_I64, VAR_DTYPE_I32, VAR_DTYPE_U8 };
  static const int sizes[] = { 4, 2, 2, 1, 8, 4, 1 };
  double bytes[7] = { 0 }, total = 0;
  int count[7] = { 0 }, n = var_checkpoint_n_tensors(ck), i, k;
  for (i = 0; i < n; i++) {
    var_tensor_info t;
    if (var_checkpoint_tensor(ck, i, &t) != VAR_OK) continue;
    for (k = 0; k < 7; k++)
      if (t.dtype == types[k]) {
        count[k]++;
        bytes[k] += (double)t.numel * sizes[k];
        total += (double)t.numel * sizes[k];
      }
  }
  for (k = 0; k < 7; k++)
    if (count[k]) printf("%s: %d tensors, %.1f MB\n", var_dtype_name(types[k]), count[k], bytes[k] / 1e6);
  printf("tensor bytes: %.0f (%.1f MB)\n", total, total / 1e6);
}

/* "[a, b, c]" */
static const char *shape_text(const var_tensor_info *t, char *buf, size_t n)
{
  size_t used = (size_t)snprintf(buf, n, "[");
  int i;
  for (i = 0; i < t->ndim && used < n; i++)
    used += (size_t)snprintf(buf + used, n - used, i ? ", %lld" : "%lld", (long long)t->shape[i]);
  if (used < n) snprintf(buf + used, n - used, "]");
  return buf;
}

int cmd_inspect(int argc, char **argv)
{
  const char *path = NULL, *pn_text = NULL;
  int show_tensors = 0, i, rc = 0;
  var_ctx *ctx;
  var_checkpoint *ck;
  var_schedule sched;

  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--tensors")) show_tensors = 1;
    else if (!strcmp(argv[i], "--patch-nums") && i + 1 < argc) pn_text = argv[++i];
    else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "var inspect: unknown option %s\n", argv[i]);
      return 2;
    } else if (path) {
      fprintf(stderr, "var inspect: one file at a time (%s, %s)\n", path, argv[i]);
      return 2;
    } else path = argv[i];
  }
  if (!path) {
    usage(stderr);
    return 2;
  }
  if (pn_text && var_schedule_parse(pn_text, &sched) != VAR_OK) {
    fprintf(stderr, "var inspect: bad --patch-nums \"%s\" (increasing sizes like 1,2,3,4)\n", pn_text);
    return 2;
  }
  if (var_ctx_new(NULL, &ctx) != VAR_OK) {
    fprintf(stderr, "var: %s\n", ESCAPED(var_last_init_error()));
    return 1;
  }
  if (var_checkpoint_open(ctx, path, &ck) != VAR_OK) {
    fprintf(stderr, "var inspect: %s\n", ESCAPED(var_ctx_last_error(ctx)));
    var_ctx_free(ctx);
    return 1;
  }
  printf("file: %s\n", ESCAPED(path));
  printf("format: %s\n", var_checkpoint_get_format(ck) == VAR_CHECKPOINT_PTH ? "pytorch zip (.pth)" : "safetensors");
  printf("tensors: %d\nelements: %lld\n", var_checkpoint_n_tensors(ck), (long long)total_elements(ck));
  if (var_checkpoint_find(ck, "encoder.conv_in.weight") >= 0) rc = print_vqvae(ck, ctx);
  else if (var_checkpoint_find(ck, "class_emb.weight") >= 0) rc = print_transformer(ck, ctx, pn_text ? &sched : NULL);
  else printf("model: unknown (neither a VAR VQ-VAE nor a VAR transformer)\n");
  print_types(ck);
  if (show_tensors) {
    char buf[160];
    var_tensor_info t;
    printf("\n%-56s %-24s %s\n", "name", "shape", "dtype");
    for (i = 0; i < var_checkpoint_n_tensors(ck); i++)
      if (var_checkpoint_tensor(ck, i, &t) == VAR_OK)
        printf("%-56s %-24s %s\n", ESCAPED(t.name), shape_text(&t, buf, sizeof buf), var_dtype_name(t.dtype));
  }
  var_checkpoint_free(ck);
  var_ctx_free(ctx);
  return rc;
}

/* cmd_convert.c — `var convert IN OUT.safetensors --dtype T`: a checkpoint rewritten
 * with reduced-precision weights (var_checkpoint_convert). */
#include "cli.h"
#include "var.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *fp)
{
  fprintf(fp, "usage: var convert IN OUT.safetensors --dtype f32|bf16|f16|int8\n"
              "\n"
              "Writes IN (a VAR transformer or VQ-VAE, .pth or .safetensors) as a safetensors file with\n"
              "the same tensor names.  A transformer's linear weights (attention qkv and projection, MLP,\n"
              "AdaLN, head) become the given type; int8 is symmetric with one float32 scale per output\n"
              "row, stored as NAME.weight_scale.  Embeddings, norms and biases stay float32.  A VQ-VAE's\n"
              "convolution kernels become f32, bf16 or f16.  The file appears only when complete.\n");
}

int cmd_convert(int argc, char **argv)
{
  const char *in = NULL, *out = NULL, *dtype = NULL;
  var_weights w;
  var_ctx *ctx;
  int i, rc = 0;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      usage(stdout);
      return 0;
    } else if (!strcmp(argv[i], "--dtype") && i + 1 < argc) {
      dtype = argv[++i];
    } else if (argv[i][0] == '-') {
      fprintf(stderr, "var convert: unknown option %s\n", argv[i]);
      return 2;
    } else if (!in) {
      in = argv[i];
    } else if (!out) {
      out = argv[i];
    } else {
      fprintf(stderr, "var convert: one input and one output (got %s too)\n", argv[i]);
      return 2;
    }
  }
  if (!in || !out || !dtype) {
    usage(stderr);
    return 2;
  }
  if (var_weights_parse(dtype, &w) != VAR_OK || w == VAR_WEIGHTS_AS_STORED) {
    fprintf(stderr, "var convert: --dtype %s is not one of f32, bf16, f16, int8\n", dtype);
    return 2;
  }
  if (var_ctx_new(NULL, &ctx) != VAR_OK) {
    fprintf(stderr, "var: %s\n", var_last_init_error());
    return 1;
  }
  if (var_checkpoint_convert(ctx, in, out, w) != VAR_OK) {
    fprintf(stderr, "var convert: %s\n", var_ctx_last_error(ctx));
    rc = 1;
  } else {
    printf("wrote %s (%s weights)\n", out, var_weights_name(w));
  }
  var_ctx_free(ctx);
  return rc;
}

/* cmd_verify.c — `var verify FILE...`: each checkpoint read end to end
 * (var_verify_file), one line per file, exit code 1 if any failed. */
#include "cli.h"
#include "escape.h"
#include "var.h"

#include <stdio.h>
#include <string.h>

int cmd_verify(int argc, char **argv)
{
  var_ctx_params cp;
  var_ctx *ctx;
  char buf[4096];
  int i, bad = 0, n = 0;
  for (i = 1; i < argc; i++)
    if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
      printf("usage: var verify FILE...\n\n"
             "Reads each checkpoint (.pth or .safetensors) end to end: its structure as loading checks it,\n"
             "the CRC-32 of every zip entry and that every floating-point value is finite (no Inf or NaN).\n"
             "Prints one line per file; the exit code is 0 when all are sound, 1 otherwise.\n");
      return 0;
    }
  if (argc < 2) {
    fprintf(stderr, "usage: var verify FILE...\n");
    return 2;
  }
  var_ctx_params_default(&cp);
  cp.n_threads = 1;
  if (var_ctx_new(&cp, &ctx) != VAR_OK) {
    fprintf(stderr, "var verify: %s\n", escape_text(var_last_init_error(), buf, sizeof buf));
    return 1;
  }
  for (i = 1; i < argc; i++) {
    var_status st = var_verify_file(ctx, argv[i]);
    n++;
    if (st == VAR_OK) {
      printf("%s: ok\n", escape_text(argv[i], buf, sizeof buf));
    } else {
      /* the message starts with the path */
      printf("%s\n", escape_text(var_ctx_last_error(ctx), buf, sizeof buf));
      bad++;
    }
  }
  fflush(stdout);
  if (bad) fprintf(stderr, "var verify: %d of %d files failed\n", bad, n);
  var_ctx_free(ctx);
  return bad ? 1 : 0;
}

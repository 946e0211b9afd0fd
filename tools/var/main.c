/* main.c — `var`: dispatch to subcommands. */
#include "cli.h"
#include "var.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(VAR_HAVE_CBLAS) && defined(__linux__)
/* OpenBLAS (pthread build) starts a thread per core when it is loaded, before
 * main, and each takes a 128 MiB buffer at once; under a memory limit that
 * allocation is retried for ever (upstream issue 5289) and the exit waits for
 * that thread: a hang.  libvar never uses those threads (it runs the BLAS
 * single-threaded inside its own pool), so `var` restarts itself once with
 * OPENBLAS_NUM_THREADS=1, where OpenBLAS starts none.  If the restart fails
 * it goes on as it is. */
static void without_blas_threads(char **argv)
{
  const char *v = getenv("OPENBLAS_NUM_THREADS");
  if (v && !strcmp(v, "1")) return;
  char self[4096];
  /* readlink rather than exec /proc/self/exe itself: under valgrind that is the tool */
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0 || (size_t)n >= sizeof self - 1) return;
  self[n] = '\0';
  if (setenv("OPENBLAS_NUM_THREADS", "1", 1) != 0) return;
  execv(self, argv);
}
#else
static void without_blas_threads(char **argv) { (void)argv; }
#endif

static void usage(FILE *fp)
{
  fprintf(fp,
          "usage: var COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  generate [--class NAME]             draw an ImageNet class at the model's size\n"
          "  inpaint IMAGE --mask MASK           fill the masked area of an image (any size)\n"
          "  outpaint IMAGE --extend L,T,R,B     extend the canvas and fill the new area\n"
          "  edit IMAGE --mask MASK --class NAME redraw the masked area as a class\n"
          "  classes [TEXT]                      list the class names (or search them)\n"
          "  inspect FILE [--tensors]            print a checkpoint's derived configuration (and its tensors)\n"
          "  verify FILE...                      check checkpoints end to end (CRCs, finite values)\n"
          "  convert IN OUT.safetensors --dtype T  rewrite a checkpoint with bf16, f16 or int8 weights\n"
          "  version                             print the library version\n"
          "\n"
          "Models are read from --model-dir, else $VAR_MODEL_DIR, else %s:\n"
          "put vae_ch160v4096z32.pth and var_d16.pth (or d20, d24, d30, d36) from\n"
          "https://huggingface.co/FoundationVision/var there.\n"
          "\n"
          "Run `var COMMAND --help` for a command's options.\n", CLI_DEFAULT_MODEL_DIR);
}

int main(int argc, char **argv)
{
#ifdef SIGXFSZ
  /* past a file-size limit write() fails with EFBIG instead of killing us, so a
   * half-written temporary file is removed and the error reported */
  signal(SIGXFSZ, SIG_IGN);
#endif
  without_blas_threads(argv);
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "inspect")) return cmd_inspect(argc - 1, argv + 1);
  if (!strcmp(argv[1], "generate")) return cmd_generate(argc - 1, argv + 1);
  if (!strcmp(argv[1], "inpaint")) return cmd_inpaint(argc - 1, argv + 1);
  if (!strcmp(argv[1], "outpaint")) return cmd_outpaint(argc - 1, argv + 1);
  if (!strcmp(argv[1], "edit")) return cmd_edit(argc - 1, argv + 1);
  if (!strcmp(argv[1], "convert")) return cmd_convert(argc - 1, argv + 1);
  if (!strcmp(argv[1], "classes")) return cmd_classes(argc - 1, argv + 1);
  if (!strcmp(argv[1], "verify")) return cmd_verify(argc - 1, argv + 1);
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
    printf("libvar %s\n", var_version());
    return 0;
  }
  fprintf(stderr, "var: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return 2;
}

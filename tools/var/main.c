/* main.c — `var`: dispatch to subcommands. */
#include "cli.h"
#include "var.h"

#include <stdio.h>
#include <string.h>

static void usage(FILE *fp)
{
  fprintf(fp,
          "usage: var COMMAND [ARGS]\n"
          "\n"
          "commands:\n"
          "  inspect FILE [--tensors]   print a checkpoint's derived configuration (and its tensors)\n"
          "  version                    print the library version\n"
          "\n"
          "Run `var COMMAND --help` for a command's options.\n");
}

int main(int argc, char **argv)
{
  if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
    usage(argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  if (!strcmp(argv[1], "inspect")) return cmd_inspect(argc - 1, argv + 1);
  if (!strcmp(argv[1], "version") || !strcmp(argv[1], "--version")) {
    printf("libvar %s\n", var_version());
    return 0;
  }
  fprintf(stderr, "var: unknown command \"%s\"\n", argv[1]);
  usage(stderr);
  return 2;
}

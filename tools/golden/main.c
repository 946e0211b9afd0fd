/* main.c — var-golden-check DIR...: runs every implemented stage against golden
 * sets and prints one line per array, then "N passed, N failed". */
#include "golden.h"

#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
  golden_report r = { 0, 0, 0, stdout };
  const char *only = NULL;
  int i, n_sets = 0;
  for (i = 1; i < argc; i++) {
    if (!strcmp(argv[i], "--stages") && i + 1 < argc) {
      only = argv[++i];
    } else if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
      printf("usage: var-golden-check [--stages a,b] DIR...\n\nstages:\n");
      for (i = 0; i < golden_n_stages; i++) printf("  %-12s %s\n", golden_stages[i].name, golden_stages[i].arrays);
      return 0;
    } else {
      golden_set g;
      char err[1024];
      if (golden_open(argv[i], &g, err, sizeof err)) {
        fprintf(stderr, "var-golden-check: %s\n", err);
        r.failed++;
        continue;
      }
      golden_run(&g, only, &r);
      golden_close(&g);
      n_sets++;
    }
  }
  if (!n_sets && !r.failed) {
    fprintf(stderr, "usage: var-golden-check [--stages a,b] DIR...\n");
    return 2;
  }
  printf("%d passed, %d failed%s", r.passed, r.failed, r.not_implemented ? "" : "\n");
  if (r.not_implemented) printf(", %d not implemented yet\n", r.not_implemented);
  return r.failed ? 1 : 0;
}

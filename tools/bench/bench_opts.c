/* bench_opts.c — the command-line parser every var-bench mode shares: a table
 * of options, each a flag or a value stored by type. */
#include "bench.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bench_parse(const char *mode, int argc, char **argv, const bench_opt *opts, void (*usage)(FILE *fp))
{
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    const bench_opt *o;
    if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      usage(stdout);
      exit(0);
    }
    for (o = opts; o->name && strcmp(o->name, a); o++) {
    }
    if (!o->name) {
      fprintf(stderr, "var-bench %s: unknown option %s\n", mode, a);
      return -1;
    }
    if (o->kind == BENCH_FLAG) {
      *(int *)o->dst = 1;
      continue;
    }
    if (!v) {
      fprintf(stderr, "var-bench %s: %s needs a value\n", mode, a);
      return -1;
    }
    i++;
    switch (o->kind) {
    case BENCH_STR: *(const char **)o->dst = v; break;
    case BENCH_INT: *(int *)o->dst = atoi(v); break;
    case BENCH_FLOAT: *(float *)o->dst = (float)atof(v); break;
    case BENCH_DOUBLE: *(double *)o->dst = atof(v); break;
    case BENCH_U64: *(uint64_t *)o->dst = (uint64_t)strtoull(v, NULL, 10); break;
    default: break;
    }
  }
  return 0;
}

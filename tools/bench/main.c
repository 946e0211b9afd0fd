/* main.c — var-bench: performance measurements, one mode per file. */
#include "bench.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static const struct {
  const char *name;
  int (*run)(int argc, char **argv);
  const char *help;
} modes[] = {
  { "gen", bench_gen_main, "one 256-px class-conditional generation (transformer + decode), random d16 weights" },
  { "vae", bench_vae_main, "VQ-VAE encode and decode of one 256-px image (released layout, random weights)" },
  { "fill", bench_fill_main, "an in-paint's smooth fill and seamless blend at the model's size (no checkpoint)" },
  { "backends", bench_opencl_main, "the same stages on the CPU and OpenCL backends (ops, transformer, decode, memory)" },
};

double bench_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double bench_cpu_seconds(void)
{
  struct rusage ru;
  if (getrusage(RUSAGE_SELF, &ru)) return 0;
  return (double)ru.ru_utime.tv_sec + 1e-6 * ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_sec +
         1e-6 * ru.ru_stime.tv_usec;
}

static size_t status_field(const char *field)
{
  FILE *fp = fopen("/proc/self/status", "r");
  char line[256];
  size_t kb = 0, n = strlen(field);
  if (!fp) return 0;
  while (fgets(line, sizeof line, fp))
    if (!strncmp(line, field, n) && line[n] == ':') {
      unsigned long v = 0;
      if (sscanf(line + n + 1, "%lu", &v) == 1) kb = v;
      break;
    }
  fclose(fp);
  return kb * 1024;
}

size_t bench_peak_rss(void) { return status_field("VmHWM"); }
size_t bench_rss(void) { return status_field("VmRSS"); }

int main(int argc, char **argv)
{
  size_t i;
  if (argc >= 2)
    for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
      if (!strcmp(argv[1], modes[i].name)) return modes[i].run(argc - 1, argv + 1);
  fprintf(argc < 2 ? stderr : stdout, "usage: var-bench MODE [OPTIONS]   (MODE --help for options)\n\nmodes:\n");
  for (i = 0; i < sizeof modes / sizeof modes[0]; i++)
    fprintf(argc < 2 ? stderr : stdout, "  %-6s %s\n", modes[i].name, modes[i].help);
  return argc < 2 || (strcmp(argv[1], "--help") && strcmp(argv[1], "-h")) ? 2 : 0;
}

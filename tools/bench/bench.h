/* bench.h — var-bench modes (one file per mode) and shared helpers. */
#ifndef VAR_BENCH_H
#define VAR_BENCH_H

#include <stddef.h>

/* `var-bench gen`: one class-conditional generation (bench_gen.c). */
int bench_gen_main(int argc, char **argv);
/* `var-bench backends`: CPU vs OpenCL backend, stage by stage (bench_opencl.c). */
int bench_opencl_main(int argc, char **argv);

/* Wall-clock seconds (monotonic). */
double bench_now(void);
/* CPU seconds (user + system) used by the process so far. */
double bench_cpu_seconds(void);
/* Peak resident set size of the process in bytes (VmHWM), 0 if unknown. */
size_t bench_peak_rss(void);
/* Current resident set size in bytes (VmRSS), 0 if unknown. */
size_t bench_rss(void);

#endif

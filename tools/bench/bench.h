/* bench.h — var-bench modes (one file per mode) and shared helpers. */
#ifndef VAR_BENCH_H
#define VAR_BENCH_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "var.h"

/* `var-bench gen`: one class-conditional generation (bench_gen.c). */
int bench_gen_main(int argc, char **argv);
/* `var-bench gen --dtype f32,bf16,...`: the same generation per weight type, side
 * by side (bench_gen_dtype.c).  dir receives the converted checkpoints. */
typedef struct bench_dtype_args {
  const char *var_path, *vae_path, *dir, *dtypes;
  int threads, runs, label, keep;
  var_sample_params p;
} bench_dtype_args;
int bench_gen_dtypes(const bench_dtype_args *a);
/* `var-bench backends`: CPU vs OpenCL backend, stage by stage (bench_opencl.c). */
int bench_opencl_main(int argc, char **argv);

/* `var-bench vae`: VQ-VAE encode and decode of one 256-px image (bench_vae.c). */
int bench_vae_main(int argc, char **argv);
/* `var-bench fill`: an in-paint's smooth fill and seamless blend (bench_fill.c). */
int bench_fill_main(int argc, char **argv);

/* Command-line options of a mode (bench_opts.c): a table ended by { NULL }. */
typedef enum { BENCH_FLAG, BENCH_STR, BENCH_INT, BENCH_FLOAT, BENCH_DOUBLE, BENCH_U64 } bench_opt_kind;
typedef struct {
  const char *name;       /* "--runs" */
  bench_opt_kind kind;    /* BENCH_FLAG sets an int to 1; the others take the next argument */
  void *dst;              /* int, const char *, int, float, double or uint64_t */
} bench_opt;
/* Parses argv[1..argc) into the options' destinations (which keep their defaults
 * when absent); --help prints usage to stdout and exits.  Returns 0, or -1 after
 * "var-bench MODE: ..." on stderr for an unknown option or a missing value. */
int bench_parse(const char *mode, int argc, char **argv, const bench_opt *opts, void (*usage)(FILE *fp));

/* Wall-clock seconds (monotonic). */
double bench_now(void);
/* CPU seconds (user + system) used by the process so far. */
double bench_cpu_seconds(void);
/* Peak resident set size of the process in bytes (VmHWM), 0 if unknown. */
size_t bench_peak_rss(void);
/* Current resident set size in bytes (VmRSS), 0 if unknown. */
size_t bench_rss(void);

/* This machine's SGEMM rate right now (bench_rate.c): GFLOP/s in wall time
 * (best of 4 runs) and GFLOP per CPU-second (over all runs, which being
 * descheduled on a shared machine does not distort). */
typedef struct {
  double wall, cpu;
} bench_gemm_rate;
/* var_cpu_sgemm on 512x4096x1024 and 1024^3, the better of the two. */
bench_gemm_rate bench_machine_rate(var_ctx *ctx);
/* A 1024 -> 1024 channel 1x1 convolution on 32x32 pixels (a 1024^3 GEMM) through
 * the backend's conv2d: the kernel the VQ-VAE runs on. */
bench_gemm_rate bench_conv_gemm_rate(var_ctx *ctx);

#endif

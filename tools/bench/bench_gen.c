/* bench_gen.c — `var-bench gen`: one 256-px class-conditional generation
 * (B = 1 with classifier-free guidance), split into transformer and decode
 * time, against the multiply-accumulate counts of docs/algorithm.md §8 and this
 * machine's measured SGEMM rate.  Without --var/--vae it writes checkpoints of
 * the released shapes with random weights to a temporary folder first. */
#include "bench.h"
#include "cpu/cpu_ops.h"
#include "model/transformer.h"
#include "model/vqvae.h"
#include "random_ckpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* docs/algorithm.md §8, B = 1 with CFG at 256 px: the d16 transformer (AdaLN recomputed per
 * scale as upstream does) and the VQ-VAE decoder of the released shape */
#define SPEC_D16_MACS 300.4e9
#define SPEC_DECODE_MACS 196.9e9

typedef struct {
  const char *var_path, *vae_path, *dir, *dtypes;
  int depth, threads, runs, label, tf_only, keep;
  var_sample_params p;
} gen_opts;

static void usage(FILE *fp)
{
  fprintf(fp,
          "usage: var-bench gen [options]\n"
          "  --var FILE       transformer checkpoint (default: random weights of the d16 layout)\n"
          "  --vae FILE       VQ-VAE checkpoint (default: random weights of the released layout)\n"
          "  --depth N        depth of the random transformer (16)\n"
          "  --threads N      worker threads (default: all cores or $VAR_THREADS)\n"
          "  --runs N         generations; the first is reported as cold, the best of the rest as warm (2)\n"
          "  --cfg X --top-k N --top-p X --seed N --label N   sampling (1.5, 900, 0.96, 0, 207)\n"
          "  --tf-only        transformer scale loop only (random next-scale inputs, no VQ-VAE)\n"
          "  --dir DIR        where random checkpoints are written (default: a new folder in /tmp)\n"
          "  --keep           keep the random checkpoints\n"
          "  --dtype LIST     e.g. f32,bf16,f16,int8: the checkpoint converted to each type and generated\n"
          "                   with, side by side (load, transformer, generation, peak RSS, per scale)\n"
          "The last line, RESULT key=value ..., is meant for scripts (tools/bench/bench_gen_torch.py).\n");
}

static int parse(int argc, char **argv, gen_opts *o)
{
  const bench_opt opts[] = {
    { "--tf-only", BENCH_FLAG, &o->tf_only }, { "--keep", BENCH_FLAG, &o->keep },
    { "--var", BENCH_STR, &o->var_path }, { "--vae", BENCH_STR, &o->vae_path }, { "--dir", BENCH_STR, &o->dir },
    { "--dtype", BENCH_STR, &o->dtypes },
    { "--depth", BENCH_INT, &o->depth }, { "--threads", BENCH_INT, &o->threads }, { "--runs", BENCH_INT, &o->runs },
    { "--cfg", BENCH_FLOAT, &o->p.cfg }, { "--top-k", BENCH_INT, &o->p.top_k },
    { "--top-p", BENCH_FLOAT, &o->p.top_p }, { "--seed", BENCH_U64, &o->p.seed }, { "--label", BENCH_INT, &o->label },
    { NULL, BENCH_FLAG, NULL },
  };
  memset(o, 0, sizeof *o);
  o->depth = 16;
  o->runs = 2;
  o->label = 207;
  var_sample_params_default(&o->p);
  o->p.cfg = 1.5f;
  o->p.top_k = 900;
  o->p.top_p = 0.96f;
  if (bench_parse("gen", argc, argv, opts, usage) != 0) return -1;
  if (o->depth < 1 || o->depth > 64 || o->runs < 1 || o->threads < 0) {
    fprintf(stderr, "var-bench gen: bad --depth, --runs or --threads\n");
    return -1;
  }
  return 0;
}

typedef struct {
  double t0, t_scales, cpu_scales;   /* start, wall and CPU time of the last report of a scale */
} timing;

static int on_progress(void *user, const var_progress *p)
{
  timing *t = user;
  if (p->stage && !strncmp(p->stage, "scale", 5)) {
    t->t_scales = bench_now();
    t->cpu_scales = bench_cpu_seconds();
  }
  return 0;
}

static size_t file_size(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* The transformer loop alone: sampling included, next-scale inputs random. */
static var_status tf_only_run(var_transformer *tf, const gen_opts *o)
{
  var_backend *be = tf->be;
  const var_tf_config *c = &tf->cfg;
  int labels[2], si, tmax = 0;
  uint64_t seed = o->p.seed;
  var_tf_state *st = NULL;
  var_dbuf *buf = NULL;
  float *in = NULL;
  size_t k;
  var_status s;
  labels[0] = o->label;
  labels[1] = c->num_classes;
  for (si = 0; si < c->schedule.n_scales; si++)
    if (c->schedule.pn[si] * c->schedule.pn[si] > tmax) tmax = c->schedule.pn[si] * c->schedule.pn[si];
  s = var_tf_state_new(tf, 2, labels, NULL, NULL, &st);
  if (s == VAR_OK)
    s = var_be_alloc_f32(be, (size_t)tmax * (2 * c->C + 3 * (size_t)c->vocab_size + c->z_channels + 1), &buf);
  if (s == VAR_OK && !(in = malloc(sizeof(float) * (size_t)tmax * c->z_channels))) s = VAR_ERR_NO_MEMORY;
  for (k = 0; in && k < (size_t)tmax * c->z_channels; k++) in[k] = (float)((k * 2654435761u) % 1000) * 1e-3f - 0.5f;
  for (si = 0; s == VAR_OK && si < c->schedule.n_scales; si++) {
    const int T = c->schedule.pn[si] * c->schedule.pn[si];
    var_dptr x = var_dp(buf, 0), lg = var_dp(buf, 2 * (size_t)tmax * c->C);
    var_dptr gd = var_dp_at(lg, 2 * (size_t)tmax * c->vocab_size), xin = var_dp_at(gd, (size_t)tmax * c->vocab_size);
    var_dptr idx = var_dp_at(xin, (size_t)tmax * c->z_channels);
    double t0 = bench_now();
    if (si == 0) {
      s = var_tf_embed_first(st, x);
    } else {
      s = be->ops->write(be, xin, in, sizeof(float) * (size_t)T * c->z_channels);
      if (s == VAR_OK) s = var_tf_embed_scale(st, si, 1, xin, 2, x);
    }
    if (s == VAR_OK) s = var_tf_forward_scale(st, si, x, lg);
    if (s == VAR_OK)
      s = be->ops->cfg_combine(be, T, c->vocab_size, o->p.cfg * si / (c->schedule.n_scales - 1.0f), lg, gd);
    if (s == VAR_OK) s = be->ops->sample(be, T, c->vocab_size, gd, o->p.top_k, o->p.top_p, T, &seed, si, idx);
    if (s == VAR_OK) s = be->ops->finish(be);
    printf("  scale %2d (%3d tokens): %7.1f ms, %6.1f GFLOP/s\n", si, T, 1e3 * (bench_now() - t0),
           2 * var_tf_scale_macs(tf, si, 2) / (bench_now() - t0) / 1e9);
  }
  free(in);
  if (buf) be->ops->release(be, buf);
  var_tf_state_free(st);
  return s;
}

int bench_gen_main(int argc, char **argv)
{
  gen_opts o;
  var_ctx_params cp;
  var_ctx *ctx = NULL;
  var_transformer *tf = NULL;
  var_vqvae *vae = NULL;
  char dir[512], var_file[600], vae_file[600];
  double t, t_load_tf, t_load_vae = 0, macs = 0, best_tf = 0, best_dec = 0, cold_tf = 0, cold_dec = 0;
  double best_ratio = 0, best_cpu_ratio = 0, best_rate = 0;
  bench_gemm_rate rate;
  size_t peak_be = 0, weights_bytes;
  int made_dir = 0, si, r, rc = 1;
  var_status s;
  if (parse(argc, argv, &o)) return 2;
  dir[0] = '\0';
  if (!o.var_path || (!o.vae_path && !o.tf_only)) {
    if (o.dir) {
      snprintf(dir, sizeof dir, "%s", o.dir);
    } else {
      snprintf(dir, sizeof dir, "/tmp/var-bench-XXXXXX");
      if (!mkdtemp(dir)) {
        perror("var-bench gen: mkdtemp");
        return 1;
      }
      made_dir = 1;
    }
  }
  if (!o.var_path) {
    snprintf(var_file, sizeof var_file, "%s/var_d%d.safetensors", dir, o.depth);
    t = bench_now();
    if (random_var_checkpoint(var_file, o.depth, 1)) {
      fprintf(stderr, "var-bench gen: cannot write %s\n", var_file);
      return 1;
    }
    printf("wrote random d%d transformer %s (%.1f s)\n", o.depth, var_file, bench_now() - t);
    o.var_path = var_file;
  }
  if (!o.vae_path && !o.tf_only) {
    snprintf(vae_file, sizeof vae_file, "%s/vae_ch160v4096z32.safetensors", dir);
    t = bench_now();
    if (random_vae_checkpoint(vae_file, 2)) {
      fprintf(stderr, "var-bench gen: cannot write %s\n", vae_file);
      return 1;
    }
    printf("wrote random VQ-VAE %s (%.1f s)\n", vae_file, bench_now() - t);
    o.vae_path = vae_file;
  }
  if (o.dtypes) {
    bench_dtype_args da;
    char cdir[512];
    if (o.tf_only) {
      fprintf(stderr, "var-bench gen: --dtype runs whole generations (no --tf-only)\n");
      goto out;
    }
    snprintf(cdir, sizeof cdir, "%s", dir[0] ? dir : "/tmp");
    memset(&da, 0, sizeof da);
    da.var_path = o.var_path;
    da.vae_path = o.vae_path;
    da.dir = cdir;
    da.dtypes = o.dtypes;
    da.threads = o.threads;
    da.runs = o.runs;
    da.label = o.label;
    da.keep = o.keep;
    da.p = o.p;
    rc = bench_gen_dtypes(&da);
    goto out;
  }
  var_ctx_params_default(&cp);
  cp.n_threads = o.threads;
  cp.backend = "cpu";
  if (var_ctx_new(&cp, &ctx) != VAR_OK) {
    fprintf(stderr, "var-bench gen: %s\n", var_last_init_error());
    goto out;
  }
  rate = bench_machine_rate(ctx);
  printf("threads %d, GEMM %s: SGEMM %.1f GFLOP/s wall, %.1f GFLOP per CPU-second (512x4096x1024, 1024^3)\n",
         var_ctx_n_threads(ctx), var_cpu_gemm_name(), rate.wall, rate.cpu);
  t = bench_now();
  s = var_transformer_load(ctx, o.var_path, NULL, &tf);
  t_load_tf = bench_now() - t;
  if (s != VAR_OK) {
    fprintf(stderr, "var-bench gen: %s\n", var_ctx_last_error(ctx));
    goto out;
  }
  if (!o.tf_only) {
    t = bench_now();
    s = var_vqvae_load(ctx, o.vae_path, &vae);
    t_load_vae = bench_now() - t;
    if (s != VAR_OK) {
      fprintf(stderr, "var-bench gen: %s (try --tf-only)\n", var_ctx_last_error(ctx));
      goto out;
    }
  }
  for (si = 0; si < tf->cfg.schedule.n_scales; si++) macs += var_tf_scale_macs(tf, si, 2);
  weights_bytes = file_size(o.var_path) + (o.tf_only ? 0 : file_size(o.vae_path));
  printf("transformer d%d (%.1f M params): load %.3f s; VQ-VAE load %.3f s\n", tf->cfg.depth, tf->cfg.n_params / 1e6,
         t_load_tf, t_load_vae);
  /* Each run is bracketed by SGEMM measurements: the machine is shared, and
   * only ratios taken close together in time mean anything. */
  for (r = 0; r < o.runs; r++) {
    double t_tf, t_dec = 0, c0, cpu_tf, floor, ratio, cpu_ratio;
    bench_gemm_rate before = bench_machine_rate(ctx), after;
    c0 = bench_cpu_seconds();
    if (o.tf_only) {
      t = bench_now();
      s = tf_only_run(tf, &o);
      t_tf = bench_now() - t;
      cpu_tf = bench_cpu_seconds() - c0;
    } else {
      timing tm;
      int32_t *tokens = malloc(sizeof(int32_t) * (size_t)tf->cfg.n_tokens);
      int side = tf->cfg.schedule.pn[tf->cfg.schedule.n_scales - 1] * vae->cfg.downsample;
      float *img = malloc(sizeof(float) * 3 * (size_t)side * side);
      tm.t0 = tm.t_scales = bench_now();
      tm.cpu_scales = c0;
      var_ctx_set_progress(ctx, on_progress, &tm);
      s = tokens && img ? var_generate_tokens(tf, vae, &o.p, 1, &o.label, NULL, NULL, tokens, img) : VAR_ERR_NO_MEMORY;
      t = bench_now();
      t_tf = tm.t_scales - tm.t0;
      t_dec = t - tm.t_scales;
      cpu_tf = tm.cpu_scales - c0;
      free(tokens);
      free(img);
    }
    if (s != VAR_OK) {
      fprintf(stderr, "var-bench gen: %s\n", var_ctx_last_error(ctx));
      goto out;
    }
    after = bench_machine_rate(ctx);
    rate.wall = 0.5 * (before.wall + after.wall);
    rate.cpu = 0.5 * (before.cpu + after.cpu);
    floor = 2 * macs / (rate.wall * 1e9);
    ratio = t_tf / floor;
    cpu_ratio = cpu_tf / (2 * macs / (rate.cpu * 1e9));
    printf("run %d: transformer %.3f s = %.1f GFLOP/s = %.2fx the FLOP floor (%.3f s at %.1f GFLOP/s, measured around\n"
           "       the run); in CPU time %.2fx; decode %.3f s; peak RSS %.0f MiB\n",
           r, t_tf, 2 * macs / t_tf / 1e9, ratio, floor, rate.wall, cpu_ratio, t_dec, bench_peak_rss() / 1048576.0);
    if (r == 0) {
      cold_tf = t_tf;
      cold_dec = t_dec;
    }
    if (r == (o.runs > 1) || t_tf + t_dec < best_tf + best_dec) {
      best_tf = t_tf;
      best_dec = t_dec;
      best_ratio = ratio;
      best_cpu_ratio = cpu_ratio;
      best_rate = rate.wall;
    }
  }
  ctx->backend->ops->memory(ctx->backend, NULL, &peak_be);
  printf("\ntransformer: %.2f G MAC executed (docs/algorithm.md §8 counts %.1f G MAC for d16 with AdaLN recomputed at every\n"
         "  scale; we compute it once per call); warm %.3f s = %.1f GFLOP/s = %.2fx the FLOP floor at %.1f GFLOP/s\n"
         "  (%.2fx in CPU time)\n",
         macs / 1e9, SPEC_D16_MACS / 1e9, best_tf, 2 * macs / best_tf / 1e9, best_ratio, best_rate, best_cpu_ratio);
  if (tf->cfg.depth == 16 && tf->cfg.n_tokens == 680)
    printf("  against the %.1f G MAC of docs/algorithm.md §8: %.1f GFLOP/s\n", SPEC_D16_MACS / 1e9, 2 * SPEC_D16_MACS / best_tf / 1e9);
  if (!o.tf_only)
    printf("decode: %.3f s warm (%.1f GFLOP/s against the %.1f G MAC of docs/algorithm.md §8 for the released VQ-VAE at 256 px)\n",
           best_dec, 2 * SPEC_DECODE_MACS / best_dec / 1e9, SPEC_DECODE_MACS / 1e9);
  printf(
      "memory: peak RSS %.0f MiB = checkpoint files %.0f MiB (mapped) + %.0f MiB; backend allocations peak %.0f MiB\n",
      bench_peak_rss() / 1048576.0, weights_bytes / 1048576.0,
      ((double)bench_peak_rss() - (double)weights_bytes) / 1048576.0, peak_be / 1048576.0);
  printf("RESULT threads=%d sgemm_gflops=%.2f tf_macs=%.0f load_tf_s=%.4f load_vae_s=%.4f cold_tf_s=%.4f "
         "cold_decode_s=%.4f tf_s=%.4f decode_s=%.4f floor_ratio=%.3f cpu_floor_ratio=%.3f peak_rss_mib=%.1f "
         "weights_mib=%.1f backend_peak_mib=%.1f\n",
         var_ctx_n_threads(ctx), best_rate, macs, t_load_tf, t_load_vae, cold_tf, cold_dec, best_tf, best_dec,
         best_ratio, best_cpu_ratio, bench_peak_rss() / 1048576.0, weights_bytes / 1048576.0, peak_be / 1048576.0);
  rc = 0;
out:
  var_vqvae_free(vae);
  var_transformer_free(tf);
  var_ctx_free(ctx);
  if (made_dir && !o.keep) {
    if (o.var_path == var_file) remove(var_file);
    if (o.vae_path == vae_file) remove(vae_file);
    rmdir(dir);
  } else if (dir[0]) {
    printf("checkpoints kept in %s\n", dir);
  }
  return rc;
}

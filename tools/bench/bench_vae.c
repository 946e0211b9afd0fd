/* bench_vae.c — `var-bench vae`: VQ-VAE encode (image -> tokens of all scales)
 * and decode (tokens -> image) of one 256-px image with the released
 * configuration (ch 160, ch_mult 1,1,2,2,4, Cv 32, V 4096), against the
 * multiply-accumulate counts of docs/algorithm.md §8 and this machine's measured SGEMM
 * rate.  Without --vae it writes a checkpoint of the released shapes with random
 * weights to a temporary folder first.  The PyTorch side of the comparison is
 * tools/bench/bench_vae_torch.py, which runs this mode on the same file. */
#include "bench.h"
#include "cpu/cpu_ops.h"
#include "model/vqvae.h"
#include "random_ckpt.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

/* docs/algorithm.md §8, one image: encode 107.7 G MAC (convolutions, attention, VQ
 * distances, phi), decode 196.9 G MAC (post_quant_conv + decoder); 512 px: 433.3 / 791.5 */
#define SPEC_ENCODE_MACS_256 107.7e9
#define SPEC_DECODE_MACS_256 196.9e9
#define SPEC_ENCODE_MACS_512 433.3e9
#define SPEC_DECODE_MACS_512 791.5e9

/* The CPU backend's convolution paths; "-" on another backend. */
static const char *conv_name(var_ctx *ctx)
{
  return strcmp(var_ctx_backend_name(ctx), "cpu") ? "-" : var_cpu_conv_name(ctx->backend);
}

typedef struct {
  const char *vae_path, *dir, *dump;
  int threads, runs, size, stages, keep, decode_only;
} vae_opts;

static void usage(FILE *fp)
{
  fprintf(fp,
          "usage: var-bench vae [options]\n"
          "  --vae FILE       VQ-VAE checkpoint (default: random weights of the released layout)\n"
          "  --size N         image side, 256 or 512 (256; schedule 1..16 or 1..32)\n"
          "  --threads N      worker threads (default: all cores or $VAR_THREADS)\n"
          "  --runs N         encode + decode rounds; the first is reported as cold, the best of the rest\n"
          "                   as warm (3)\n"
          "  --decode-only    skip the encoder (decodes tokens made from a fixed pattern)\n"
          "  --stages         time every stage of the last round (through the debug taps)\n"
          "  --dump DIR       write image.f32 (input, [3,S,S] in [-1,1]), tokens.i32 and decoded.f32\n"
          "                   ([3,S,S] in [0,1]) of the last round, for bench_vae_torch.py --check\n"
          "  --dir DIR        where the random checkpoint is written (default: a new folder in /tmp)\n"
          "  --keep           keep the random checkpoint\n"
          "The last line, RESULT key=value ..., is meant for scripts (tools/bench/bench_vae_torch.py).\n");
}

static int parse(int argc, char **argv, vae_opts *o)
{
  const bench_opt opts[] = {
    { "--stages", BENCH_FLAG, &o->stages }, { "--keep", BENCH_FLAG, &o->keep },
    { "--decode-only", BENCH_FLAG, &o->decode_only }, { "--vae", BENCH_STR, &o->vae_path },
    { "--dir", BENCH_STR, &o->dir }, { "--dump", BENCH_STR, &o->dump }, { "--threads", BENCH_INT, &o->threads },
    { "--runs", BENCH_INT, &o->runs }, { "--size", BENCH_INT, &o->size }, { NULL, BENCH_FLAG, NULL },
  };
  memset(o, 0, sizeof *o);
  o->runs = 3;
  o->size = 256;
  if (bench_parse("vae", argc, argv, opts, usage) != 0) return -1;
  if (o->runs < 1 || o->threads < 0 || (o->size != 256 && o->size != 512)) {
    fprintf(stderr, "var-bench vae: bad --runs, --threads or --size (256 or 512)\n");
    return -1;
  }
  return 0;
}

static size_t file_size(const char *path)
{
  struct stat st;
  return stat(path, &st) == 0 ? (size_t)st.st_size : 0;
}

/* The 1-minute load average, -1 if unknown. */
static double load1(void)
{
  double l = -1;
  FILE *fp = fopen("/proc/loadavg", "r");
  if (fp) {
    if (fscanf(fp, "%lf", &l) != 1) l = -1;
    fclose(fp);
  }
  return l;
}

static int write_file(const char *dir, const char *name, const void *data, size_t bytes)
{
  char path[1024];
  FILE *fp;
  size_t n;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (!(fp = fopen(path, "wb"))) return -1;
  n = fwrite(data, 1, bytes, fp);
  return fclose(fp) == 0 && n == bytes ? 0 : -1;
}

/* ---- per-stage times through the debug taps ----------------------------------- */

#define MAX_STAGES 48

typedef struct {
  char name[MAX_STAGES][32];
  double t[MAX_STAGES];
  int n;
  double t0;
} stage_times;

static void on_tap(void *user, const char *name, const float *data, int c, int h, int w)
{
  stage_times *st = user;
  (void)data, (void)c, (void)h, (void)w;
  if (st->n >= MAX_STAGES) return;
  snprintf(st->name[st->n], sizeof st->name[st->n], "%s (%dx%dx%d)", name, c, h, w);
  st->t[st->n++] = bench_now();
}

static void print_stages(const char *what, const stage_times *st, double t_end)
{
  int i;
  printf("%s stages (the tap copies included):\n", what);
  for (i = 0; i < st->n; i++)
    printf("  %-32s %8.1f ms\n", st->name[i], 1e3 * (st->t[i] - (i ? st->t[i - 1] : st->t0)));
  if (st->n) printf("  %-32s %8.1f ms\n", "(rest)", 1e3 * (t_end - st->t[st->n - 1]));
}

/* ---- one round ------------------------------------------------------------------ */

typedef struct {
  double enc, enc_f, enc_q, dec, dec_f, dec_img, cpu_enc, cpu_dec;
} round_times;

/* A smooth pattern with some texture, in [-1, 1]: the content does not change
 * the work, but a constant image would make every token the same. */
static void make_image(float *img, int side)
{
  int c, y, x;
  for (c = 0; c < 3; c++)
    for (y = 0; y < side; y++)
      for (x = 0; x < side; x++) {
        double v = 0.6 * sin(0.05 * x * (c + 1) + 0.03 * y) * cos(0.04 * y - 0.7 * c) +
                   0.3 * sin(0.9 * x + 1.3 * y + c) * sin(0.11 * x * y / side);
        img[((size_t)c * side + y) * side + x] = (float)(v > 1 ? 1 : v < -1 ? -1 : v);
      }
}

static var_status run_round(var_vqvae *vae, const var_schedule *sched, const vae_opts *o, const float *img,
                            int32_t *tokens, float *out, round_times *rt, int show_stages)
{
  var_backend *be = vae->ctx->backend;
  const int latent = sched->pn[sched->n_scales - 1];
  const size_t n_f = (size_t)vae->cfg.z_channels * latent * latent;
  var_dbuf *f = NULL;
  stage_times st;
  double t0, t1, c0;
  var_status s;
  memset(rt, 0, sizeof *rt);
  s = var_be_alloc_f32(be, n_f, &f);
  if (s != VAR_OK) return s;
  if (show_stages) var_vqvae_set_tap(vae, on_tap, &st);
  /* encode = var_vqvae_encode split at the quantiser: f = quant_conv(encoder(img)), then tokens */
  if (!o->decode_only) {
    memset(&st, 0, sizeof st);
    c0 = bench_cpu_seconds();
    st.t0 = t0 = bench_now();
    s = var_vqvae_encode_f(vae, 1, o->size, img, var_dp(f, 0));
    if (s == VAR_OK) s = be->ops->finish(be);
    t1 = bench_now();
    if (s == VAR_OK) s = var_quant_encode(vae, sched, 1, var_dp(f, 0), tokens, NULL, NULL);
    rt->enc_f = t1 - t0;
    rt->enc = bench_now() - t0;
    rt->enc_q = rt->enc - rt->enc_f;
    rt->cpu_enc = bench_cpu_seconds() - c0;
    if (s == VAR_OK && show_stages) print_stages("encode", &st, t1);
  }
  /* decode = var_vqvae_decode split at the decoder: f_hat from the tokens, then the image */
  if (s == VAR_OK) {
    memset(&st, 0, sizeof st);
    c0 = bench_cpu_seconds();
    t0 = bench_now();
    s = var_quant_tokens_to_fhat(vae, sched, 1, tokens, var_dp(f, 0));
    if (s == VAR_OK) s = be->ops->finish(be);
    st.t0 = t1 = bench_now();
    if (s == VAR_OK) s = var_vqvae_decode_fhat(vae, 1, latent, var_dp(f, 0), out, 0);
    rt->dec_f = t1 - t0;
    rt->dec = bench_now() - t0;
    rt->dec_img = rt->dec - rt->dec_f;
    rt->cpu_dec = bench_cpu_seconds() - c0;
    if (s == VAR_OK && show_stages) print_stages("decode", &st, t0 + rt->dec);
  }
  if (show_stages) var_vqvae_set_tap(vae, NULL, NULL);
  be->ops->release(be, f);
  return s;
}

static double best_of(double a, double b) { return a > b ? a : b; }

int bench_vae_main(int argc, char **argv)
{
  vae_opts o;
  var_ctx_params cp;
  var_ctx *ctx = NULL;
  var_vqvae *vae = NULL;
  var_schedule sched;
  char dir[512], vae_file[600];
  static const int pn256[10] = { 1, 2, 3, 4, 5, 6, 8, 10, 13, 16 }, pn512[10] = { 1, 2, 3, 4, 6, 9, 13, 18, 24, 32 };
  double enc_macs, dec_macs, t, t_load, load_before, load_after, floor_rate = 0, floor_cpu = 0;
  round_times rt, cold, best;
  bench_gemm_rate sg, cg;
  float *img = NULL, *out = NULL;
  int32_t *tokens = NULL;
  size_t peak_be = 0, n_img, weights_bytes;
  struct rusage ru;
  int made_dir = 0, r, i, L, rc = 1;
  var_status s;
  if (parse(argc, argv, &o)) return 2;
  sched.n_scales = 10;
  for (i = 0; i < 10; i++) sched.pn[i] = o.size == 512 ? pn512[i] : pn256[i];
  enc_macs = o.size == 512 ? SPEC_ENCODE_MACS_512 : SPEC_ENCODE_MACS_256;
  dec_macs = o.size == 512 ? SPEC_DECODE_MACS_512 : SPEC_DECODE_MACS_256;
  L = var_schedule_tokens(&sched);
  dir[0] = '\0';
  if (!o.vae_path) {
    if (o.dir) {
      snprintf(dir, sizeof dir, "%s", o.dir);
    } else {
      snprintf(dir, sizeof dir, "/tmp/var-bench-XXXXXX");
      if (!mkdtemp(dir)) {
        perror("var-bench vae: mkdtemp");
        return 1;
      }
      made_dir = 1;
    }
    snprintf(vae_file, sizeof vae_file, "%s/vae_ch160v4096z32.safetensors", dir);
    t = bench_now();
    if (random_vae_checkpoint(vae_file, 2)) {
      fprintf(stderr, "var-bench vae: cannot write %s\n", vae_file);
      goto out;
    }
    printf("wrote random VQ-VAE %s (%.1f s)\n", vae_file, bench_now() - t);
    o.vae_path = vae_file;
  }
  load_before = load1();
  var_ctx_params_default(&cp);
  cp.n_threads = o.threads;
  cp.backend = "cpu";
  if (var_ctx_new(&cp, &ctx) != VAR_OK) {
    fprintf(stderr, "var-bench vae: %s\n", var_last_init_error());
    goto out;
  }
  t = bench_now();
  s = var_vqvae_load(ctx, o.vae_path, &vae);
  t_load = bench_now() - t;
  if (s != VAR_OK) {
    fprintf(stderr, "var-bench vae: %s\n", var_ctx_last_error(ctx));
    goto out;
  }
  if (vae->cfg.downsample * sched.pn[9] != o.size) {
    fprintf(stderr, "var-bench vae: this VQ-VAE downsamples by %d, not 16\n", vae->cfg.downsample);
    goto out;
  }
  weights_bytes = file_size(o.vae_path);
  n_img = 3 * (size_t)o.size * o.size;
  img = malloc(sizeof *img * n_img);
  out = malloc(sizeof *out * n_img);
  tokens = malloc(sizeof *tokens * (size_t)L);
  if (!img || !out || !tokens) {
    fprintf(stderr, "var-bench vae: out of memory\n");
    goto out;
  }
  make_image(img, o.size);
  for (i = 0; i < L; i++) tokens[i] = (int32_t)(((uint32_t)i * 2654435761u >> 7) % (uint32_t)vae->cfg.vocab_size);
  printf("VQ-VAE ch %d, %d levels, Cv %d, V %d (%.2f M params), load %.3f s; %d px, %d tokens; threads %d, GEMM %s, "
         "convolution %s\n",
         vae->cfg.ch, vae->cfg.n_levels, vae->cfg.z_channels, vae->cfg.vocab_size, vae->cfg.n_params / 1e6, t_load,
         o.size, L, var_ctx_n_threads(ctx), var_cpu_gemm_name(), conv_name(ctx));
  printf("load average before: %.2f\n", load_before);
  memset(&best, 0, sizeof best);
  memset(&cold, 0, sizeof cold);
  /* Each round is preceded by rate measurements: the machine may be shared,
   * and only ratios taken close together in time mean anything. */
  for (r = 0; r < o.runs; r++) {
    sg = bench_machine_rate(ctx);
    cg = bench_conv_gemm_rate(ctx);
    s = run_round(vae, &sched, &o, img, tokens, out, &rt, o.stages && r == o.runs - 1);
    if (s != VAR_OK) {
      fprintf(stderr, "var-bench vae: %s\n", var_ctx_last_error(ctx));
      goto out;
    }
    printf("round %d: SGEMM %.1f GFLOP/s, conv-as-GEMM %.1f GFLOP/s; ", r, sg.wall, cg.wall);
    if (!o.decode_only)
      printf("encode %.3f s (encoder %.3f + quantiser %.3f), ", rt.enc, rt.enc_f, rt.enc_q);
    printf("decode %.3f s (f_hat %.3f + decoder %.3f); load %.2f\n", rt.dec, rt.dec_f, rt.dec_img, load1());
    if (r == 0) cold = rt;
    /* warm: the best of the rounds after the first; the rate is the best seen around them */
    if (r == (o.runs > 1)) {
      best = rt;
    } else if (r > 1) {
      if (rt.enc < best.enc) best.enc = rt.enc, best.enc_f = rt.enc_f, best.enc_q = rt.enc_q, best.cpu_enc = rt.cpu_enc;
      if (rt.dec < best.dec) best.dec = rt.dec, best.dec_f = rt.dec_f, best.dec_img = rt.dec_img, best.cpu_dec = rt.cpu_dec;
    }
    if (r >= (o.runs > 1)) {
      floor_rate = best_of(floor_rate, best_of(sg.wall, cg.wall));
      floor_cpu = best_of(floor_cpu, best_of(sg.cpu, cg.cpu));
    }
  }
  load_after = load1();
  ctx->backend->ops->memory(ctx->backend, NULL, &peak_be);
  getrusage(RUSAGE_SELF, &ru);
  if (o.dump) {
    if (write_file(o.dump, "image.f32", img, sizeof *img * n_img) ||
        write_file(o.dump, "tokens.i32", tokens, sizeof *tokens * (size_t)L) ||
        write_file(o.dump, "decoded.f32", out, sizeof *out * n_img)) {
      fprintf(stderr, "var-bench vae: cannot write to %s\n", o.dump);
      goto out;
    }
    printf("wrote image.f32, tokens.i32 and decoded.f32 to %s\n", o.dump);
  }
  {
    const double enc_floor = 2 * enc_macs / (floor_rate * 1e9), dec_floor = 2 * dec_macs / (floor_rate * 1e9);
    const double dec_cpu_ratio = best.cpu_dec / (2 * dec_macs / (floor_cpu * 1e9));
    printf("\nSGEMM rate (the best of var_cpu_sgemm and a 1024^3 1x1 convolution, around the warm rounds): %.1f GFLOP/s\n"
           "  (%.1f GFLOP per CPU-second)\n",
           floor_rate, floor_cpu);
    if (!o.decode_only)
      printf("encode: cold %.3f s, warm %.3f s (encoder %.3f s, quantiser %.3f s) = %.1f GFLOP/s against the\n"
             "  %.1f G MAC of docs/algorithm.md §8 = %.2fx the FLOP floor (%.3f s)\n",
             cold.enc, best.enc, best.enc_f, best.enc_q, 2 * enc_macs / best.enc / 1e9, enc_macs / 1e9,
             best.enc / enc_floor, enc_floor);
    printf("decode: cold %.3f s, warm %.3f s (f_hat %.3f s, decoder %.3f s) = %.1f GFLOP/s against the\n"
           "  %.1f G MAC of docs/algorithm.md §8 = %.2fx the FLOP floor (%.3f s); in CPU time %.2fx\n",
           cold.dec, best.dec, best.dec_f, best.dec_img, 2 * dec_macs / best.dec / 1e9, dec_macs / 1e9,
           best.dec / dec_floor, dec_floor, dec_cpu_ratio);
    printf("memory: peak RSS %.0f MiB (getrusage maxrss %.0f MiB) = checkpoint file %.0f MiB (mapped) + %.0f MiB;\n"
           "  backend allocations peak %.0f MiB\n",
           bench_peak_rss() / 1048576.0, ru.ru_maxrss / 1024.0, weights_bytes / 1048576.0,
           ((double)bench_peak_rss() - (double)weights_bytes) / 1048576.0, peak_be / 1048576.0);
    printf("load average: %.2f before, %.2f after\n", load_before, load_after);
    printf("RESULT threads=%d gemm=%s conv=%s size=%d sgemm_gflops=%.2f load_s=%.4f cold_encode_s=%.4f "
           "encode_s=%.4f encoder_s=%.4f quantise_s=%.4f cold_decode_s=%.4f decode_s=%.4f fhat_s=%.4f "
           "decoder_s=%.4f encode_gflops=%.2f decode_gflops=%.2f encode_floor_ratio=%.3f decode_floor_ratio=%.3f "
           "decode_cpu_floor_ratio=%.3f peak_rss_mib=%.1f weights_mib=%.1f backend_peak_mib=%.1f "
           "load_before=%.2f load_after=%.2f\n",
           var_ctx_n_threads(ctx), var_cpu_gemm_name(), conv_name(ctx), o.size, floor_rate, t_load, cold.enc,
           best.enc, best.enc_f, best.enc_q, cold.dec, best.dec, best.dec_f, best.dec_img,
           o.decode_only ? 0 : 2 * enc_macs / best.enc / 1e9, 2 * dec_macs / best.dec / 1e9,
           o.decode_only ? 0 : best.enc / enc_floor, best.dec / dec_floor, dec_cpu_ratio, bench_peak_rss() / 1048576.0,
           weights_bytes / 1048576.0, peak_be / 1048576.0, load_before, load_after);
  }
  rc = 0;
out:
  free(img);
  free(out);
  free(tokens);
  var_vqvae_free(vae);
  var_ctx_free(ctx);
  if (made_dir && !o.keep) {
    remove(vae_file);
    rmdir(dir);
  } else if (dir[0]) {
    printf("checkpoint kept in %s\n", dir);
  }
  return rc;
}

/* bench_opencl.c — `var-bench backends`: the same work on the CPU and the
 * OpenCL backend, stage by stage, with device memory.  Stages: backend start,
 * single ops at model sizes (SGEMM, a VAE conv, KV attention, sampling), the
 * transformer's scale loop with CFG and top-k/top-p sampling (cold = first
 * run, including program builds; warm = best later run), weight upload, and
 * the VQ-VAE decode.  Wall and CPU seconds are both reported: on a shared
 * machine CPU time is the steadier measure (PoCL's worker threads are counted
 * too).  Without --var/--vae, checkpoints of the released shapes with random
 * weights are written first (see random_ckpt.h). */
#include "bench.h"
#include "random_ckpt.h"
#include "model/transformer.h"
#include "model/vqvae.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_BACKENDS 4
#define MAX_STAGES 48

typedef struct {
  const char *var_path, *vae_path, *dir;
  char backends[MAX_BACKENDS][64];
  int n_backends, depth, runs, no_vae, top_k;
  float cfg, top_p;
} opts;

typedef struct {
  char name[64];
  double wall[MAX_BACKENDS], cpu[MAX_BACKENDS], flop;
  int have[MAX_BACKENDS];
} stage;

static stage stages[MAX_STAGES];
static int n_stages;

static void record(int bi, const char *name, double wall, double cpu, double flop)
{
  int i;
  for (i = 0; i < n_stages && strcmp(stages[i].name, name); i++) continue;
  if (i == n_stages) {
    if (n_stages == MAX_STAGES) return;
    memset(&stages[i], 0, sizeof stages[i]);
    snprintf(stages[i].name, sizeof stages[i].name, "%s", name);
    n_stages++;
  }
  stages[i].wall[bi] = wall;
  stages[i].cpu[bi] = cpu;
  stages[i].flop = flop;
  stages[i].have[bi] = 1;
}

typedef struct {
  double w, c;
} clock2;

static clock2 tick(void)
{
  clock2 t;
  t.w = bench_now();
  t.c = bench_cpu_seconds();
  return t;
}

static void tock(int bi, const char *name, clock2 t0, double flop)
{
  record(bi, name, bench_now() - t0.w, bench_cpu_seconds() - t0.c, flop);
}

static void usage(FILE *fp)
{
  fprintf(fp,
          "usage: var-bench backends [options]\n"
          "  --backends LIST  comma-separated backend specs (default cpu,opencl)\n"
          "  --var FILE       transformer checkpoint (default: random weights of the d16 layout)\n"
          "  --vae FILE       VQ-VAE checkpoint (default: random weights of the released layout)\n"
          "  --depth N        depth of the random transformer (16)\n"
          "  --runs N         transformer/decode runs: the first is cold, the best later one warm (2)\n"
          "  --no-vae         skip the VQ-VAE decode\n"
          "  --cfg X --top-k N --top-p X   sampling (1.5, 900, 0.96)\n"
          "  --dir DIR        where random checkpoints are written (default: a new folder in /tmp)\n");
}

static int parse(int argc, char **argv, opts *o)
{
  const char *backends = "cpu,opencl";
  const bench_opt opts[] = {
    { "--no-vae", BENCH_FLAG, &o->no_vae }, { "--var", BENCH_STR, &o->var_path },
    { "--vae", BENCH_STR, &o->vae_path }, { "--dir", BENCH_STR, &o->dir }, { "--depth", BENCH_INT, &o->depth },
    { "--runs", BENCH_INT, &o->runs }, { "--cfg", BENCH_FLOAT, &o->cfg }, { "--top-k", BENCH_INT, &o->top_k },
    { "--top-p", BENCH_FLOAT, &o->top_p }, { "--backends", BENCH_STR, &backends }, { NULL, BENCH_FLAG, NULL },
  };
  const char *p;
  memset(o, 0, sizeof *o);
  o->depth = 16;
  o->runs = 2;
  o->cfg = 1.5f;
  o->top_k = 900;
  o->top_p = 0.96f;
  if (bench_parse("backends", argc, argv, opts, usage) != 0) return -1;
  for (p = backends; *p && o->n_backends < MAX_BACKENDS;) {
    size_t n = strcspn(p, ",");
    snprintf(o->backends[o->n_backends++], sizeof o->backends[0], "%.*s", (int)n, p);
    p += n + (p[n] == ',');
  }
  if (o->depth < 1 || o->depth > 64 || o->runs < 1 || o->n_backends < 1) {
    fprintf(stderr, "var-bench backends: bad --depth, --runs or --backends\n");
    return -1;
  }
  return 0;
}

/* ---- single ops at model sizes ---------------------------------------------------- */

static var_status fill_pattern(var_backend *be, var_dbuf *b, size_t n)
{
  float *h = malloc(sizeof(float) * n);
  size_t i;
  var_status s;
  if (!h) return VAR_ERR_NO_MEMORY;
  for (i = 0; i < n; i++) h[i] = (float)((i * 2654435761u) % 2001) * 1e-3f - 1.0f;
  s = be->ops->write(be, var_dp(b, 0), h, n * 4);
  free(h);
  return s;
}

/* Each op once to warm up (program builds), then timed once more. */
static var_status bench_ops(int bi, var_backend *be)
{
  enum { M = 512, N = 4096, K = 1024 };
  const size_t big = (size_t)4 << 20;   /* floats per buffer */
  var_dbuf *a = NULL, *b = NULL, *c = NULL;
  var_conv_desc d;
  uint64_t seeds[1] = { 1 };
  var_status s;
  int rep;
  s = var_be_alloc_f32(be, big, &a);
  if (s == VAR_OK) s = var_be_alloc_f32(be, big, &b);
  if (s == VAR_OK) s = var_be_alloc_f32(be, big, &c);
  if (s == VAR_OK) s = fill_pattern(be, a, big);
  if (s == VAR_OK) s = fill_pattern(be, b, big);
  var_conv_desc_init(&d, 1, 160, 128, 128, 160, 3, 1, 1, 1, 1, 1);
  for (rep = 0; rep < 2 && s == VAR_OK; rep++) {
    clock2 t = tick();
    /* the transformer's linear-layer shape */
    s = be->ops->gemm(be, 0, 1, M, N, K, 1.0f, var_dp(a, 0), K, var_dp(b, 0), K, 0.0f, var_dp(c, 0), N);
    if (s == VAR_OK) s = be->ops->finish(be);
    if (rep) tock(bi, "op: sgemm 512x4096x1024", t, 2.0 * M * N * K);
    /* one VAE decoder conv: 3x3, 160 -> 160 channels, 128x128 */
    t = tick();
    if (s == VAR_OK) s = be->ops->conv2d(be, &d, var_dp(a, 0), var_dp(b, 0), var_dp(b, 0), var_dp_none(), var_dp(c, 0));
    if (s == VAR_OK) s = be->ops->finish(be);
    if (rep) tock(bi, "op: conv3x3 160ch 128^2", t, 2.0 * 160 * 160 * 9 * 128 * 128);
    /* attention of the last 256-px scale: 2 sequences, 16 heads of 64, 256 new of 680 keys */
    t = tick();
    if (s == VAR_OK)
      s = be->ops->attention_kv(be, 2, 256, 1024, 16, 680, 424, var_dp(a, 0), var_dp(b, 0), var_dp(b, 0), var_dp(b, 0),
                                var_dp(c, 0), var_dp(c, 2 * 16 * 680 * 64), var_dp(c, 3 << 20));
    if (s == VAR_OK) s = be->ops->finish(be);
    if (rep) tock(bi, "op: attention_kv T256 of 680", t, 2.0 * 2 * 256 * 680 * 1024 * 2);
    /* sampling 256 rows of 4096 logits, top-k 900, top-p 0.96 */
    t = tick();
    if (s == VAR_OK) s = fill_pattern(be, c, 256 * 4096);
    t = tick();
    if (s == VAR_OK) s = be->ops->sample(be, 256, 4096, var_dp(c, 0), 900, 0.96f, 256, seeds, 9, var_dp(a, 0));
    if (s == VAR_OK) s = be->ops->finish(be);
    if (rep) tock(bi, "op: sample 256x4096 k900 p0.96", t, 0);
  }
  if (a) be->ops->release(be, a);
  if (b) be->ops->release(be, b);
  if (c) be->ops->release(be, c);
  return s;
}

/* ---- the transformer's scale loop ------------------------------------------------ */

static var_status tf_loop(var_transformer *tf, const opts *o)
{
  var_backend *be = tf->be;
  const var_tf_config *c = &tf->cfg;
  int labels[2], si, tmax = 0;
  uint64_t seed = 0;
  var_tf_state *st = NULL;
  var_dbuf *buf = NULL;
  float *in = NULL;
  size_t k;
  var_status s;
  labels[0] = 207;
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
    if (si == 0) {
      s = var_tf_embed_first(st, x);
    } else {
      s = be->ops->write(be, xin, in, sizeof(float) * (size_t)T * c->z_channels);
      if (s == VAR_OK) s = var_tf_embed_scale(st, si, 1, xin, 2, x);
    }
    if (s == VAR_OK) s = var_tf_forward_scale(st, si, x, lg);
    if (s == VAR_OK) s = be->ops->cfg_combine(be, T, c->vocab_size, o->cfg * si / (c->schedule.n_scales - 1.0f), lg, gd);
    if (s == VAR_OK) s = be->ops->sample(be, T, c->vocab_size, gd, o->top_k, o->top_p, T, &seed, si, idx);
  }
  if (s == VAR_OK) s = be->ops->finish(be);
  free(in);
  if (buf) be->ops->release(be, buf);
  var_tf_state_free(st);
  return s;
}

static void memory_stage(int bi, var_backend *be, const char *name)
{
  size_t cur = 0, peak = 0;
  be->ops->memory(be, &cur, &peak);
  record(bi, name, (double)peak / 1048576.0, (double)cur / 1048576.0, -1);
}

static int run_backend(int bi, const opts *o)
{
  var_ctx_params cp;
  var_ctx *ctx = NULL;
  var_transformer *tf = NULL;
  var_vqvae *vae = NULL;
  clock2 t;
  int r, rc = 1;
  double macs = 0, best_w = 0, best_c = 0;
  var_status s;
  var_ctx_params_default(&cp);
  cp.backend = o->backends[bi];
  t = tick();
  if (var_ctx_new(&cp, &ctx) != VAR_OK) {
    fprintf(stderr, "var-bench backends: %s: %s\n", o->backends[bi], var_last_init_error());
    return 1;
  }
  tock(bi, "backend start", t, 0);
  printf("[%s] %s, %d threads\n", o->backends[bi], var_ctx_backend_name(ctx), var_ctx_n_threads(ctx));
  fflush(stdout);
  if ((s = bench_ops(bi, ctx->backend)) != VAR_OK) goto fail;
  t = tick();
  if ((s = var_transformer_load(ctx, o->var_path, NULL, &tf)) != VAR_OK) goto fail;
  tock(bi, "transformer load + upload", t, 0);
  for (r = 0; r < tf->cfg.schedule.n_scales; r++) macs += var_tf_scale_macs(tf, r, 2);
  for (r = 0; r < o->runs; r++) {
    double w, c;
    t = tick();
    if ((s = tf_loop(tf, o)) != VAR_OK) goto fail;
    w = bench_now() - t.w;
    c = bench_cpu_seconds() - t.c;
    if (r == 0) record(bi, "transformer loop, cold", w, c, 2 * macs);
    if (r > 0 && (best_w == 0 || w < best_w)) {
      best_w = w;
      best_c = c;
    }
    printf("[%s] transformer run %d: %.2f s wall, %.2f s CPU\n", o->backends[bi], r, w, c);
    fflush(stdout);
  }
  if (o->runs > 1) record(bi, "transformer loop, warm", best_w, best_c, 2 * macs);
  if (!o->no_vae) {
    const int L = tf->cfg.n_tokens, side = 16 * tf->cfg.schedule.pn[tf->cfg.schedule.n_scales - 1];
    int32_t *tokens = malloc(sizeof(int32_t) * (size_t)L);
    float *img = malloc(sizeof(float) * 3 * (size_t)side * side);
    best_w = best_c = 0;
    if (!tokens || !img) {
      free(tokens);
      free(img);
      s = VAR_ERR_NO_MEMORY;
      goto fail;
    }
    for (r = 0; r < L; r++) tokens[r] = (r * 2654435761u) % 4096;
    t = tick();
    s = var_vqvae_load(ctx, o->vae_path, &vae);
    if (s == VAR_OK) tock(bi, "VQ-VAE load + upload", t, 0);
    for (r = 0; s == VAR_OK && r < o->runs; r++) {
      double w, c;
      t = tick();
      s = var_vqvae_decode(vae, &tf->cfg.schedule, 1, tokens, img);
      w = bench_now() - t.w;
      c = bench_cpu_seconds() - t.c;
      if (s != VAR_OK) break;
      if (r == 0) record(bi, "VQ-VAE decode 256px, cold", w, c, 2 * 196.9e9);
      if (r > 0 && (best_w == 0 || w < best_w)) {
        best_w = w;
        best_c = c;
      }
      printf("[%s] decode run %d: %.2f s wall, %.2f s CPU\n", o->backends[bi], r, w, c);
      fflush(stdout);
    }
    if (s == VAR_OK && o->runs > 1) record(bi, "VQ-VAE decode 256px, warm", best_w, best_c, 2 * 196.9e9);
    free(tokens);
    free(img);
    if (s != VAR_OK) goto fail;
  }
  memory_stage(bi, ctx->backend, "backend memory MiB (peak|now)");
  rc = 0;
  goto out;
fail:
  fprintf(stderr, "var-bench backends: %s: %s\n", o->backends[bi], var_ctx_last_error(ctx));
out:
  var_vqvae_free(vae);
  var_transformer_free(tf);
  var_ctx_free(ctx);
  return rc;
}

static void report(const opts *o)
{
  int i, b;
  printf("\n%-32s", "stage (wall s / CPU s)");
  for (b = 0; b < o->n_backends; b++) printf(" %22s", o->backends[b]);
  if (o->n_backends == 2) printf(" %12s", "wall ratio");
  printf("\n");
  for (i = 0; i < n_stages; i++) {
    const stage *st = &stages[i];
    printf("%-32s", st->name);
    for (b = 0; b < o->n_backends; b++) {
      if (!st->have[b]) printf(" %22s", "-");
      else if (st->flop < 0) printf(" %10.0f | %9.0f", st->wall[b], st->cpu[b]);
      else if (st->flop > 0) printf(" %7.3f/%6.2f %5.1fGF", st->wall[b], st->cpu[b], st->flop / st->wall[b] / 1e9);
      else printf(" %10.3f / %9.2f", st->wall[b], st->cpu[b]);
    }
    if (o->n_backends == 2 && st->have[0] && st->have[1] && st->flop >= 0 && st->wall[0] > 0)
      printf(" %11.1fx", st->wall[1] / st->wall[0]);
    printf("\n");
  }
  printf("(GF = GFLOP/s in wall time; peak RSS of the process %.0f MiB)\n", bench_peak_rss() / 1048576.0);
}

int bench_opencl_main(int argc, char **argv)
{
  opts o;
  char dir[512], var_file[600], vae_file[600];
  int made_dir = 0, b, rc = 0;
  if (parse(argc, argv, &o)) return 2;
  dir[0] = '\0';
  if (!o.var_path || (!o.vae_path && !o.no_vae)) {
    if (o.dir) {
      snprintf(dir, sizeof dir, "%s", o.dir);
    } else {
      snprintf(dir, sizeof dir, "/tmp/var-bench-XXXXXX");
      if (!mkdtemp(dir)) {
        perror("var-bench backends: mkdtemp");
        return 1;
      }
      made_dir = 1;
    }
  }
  if (!o.var_path) {
    snprintf(var_file, sizeof var_file, "%s/var_d%d.safetensors", dir, o.depth);
    if (random_var_checkpoint(var_file, o.depth, 1)) {
      fprintf(stderr, "var-bench backends: cannot write %s\n", var_file);
      return 1;
    }
    o.var_path = var_file;
  }
  if (!o.vae_path && !o.no_vae) {
    snprintf(vae_file, sizeof vae_file, "%s/vae_ch160v4096z32.safetensors", dir);
    if (random_vae_checkpoint(vae_file, 2)) {
      fprintf(stderr, "var-bench backends: cannot write %s\n", vae_file);
      return 1;
    }
    o.vae_path = vae_file;
  }
  for (b = 0; b < o.n_backends; b++) rc |= run_backend(b, &o);
  report(&o);
  if (made_dir) {
    if (o.var_path == var_file) remove(var_file);
    if (!o.no_vae && o.vae_path == vae_file) remove(vae_file);
    rmdir(dir);
  }
  return rc;
}

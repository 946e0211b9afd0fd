/* bench_gen_dtype.c — `var-bench gen --dtype f32,bf16,int8`: the same generation
 * with the transformer's weights in each type, side by side in one run.
 *
 * The float32 checkpoint is converted once per type (var_checkpoint_convert).
 * Each type then runs in a child process of its own (fork), so that its load
 * time starts from a fresh mapping and its peak RSS (VmHWM) is its own; the
 * parent holds no model.  Ratios are against float32 from the same run. */
#include "bench.h"
#include "cpu/cpu_linear_lp.h"
#include "model/transformer.h"
#include "model/vqvae.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_TYPES 5

typedef struct {
  double convert_s, load_s, tf_s, gen_s, cold_tf_s, peak_rss, file_mb;
  double tf_cpu_s;           /* CPU seconds of the warm run's transformer part (less hurt by a busy machine) */
  double scale_s[VAR_MAX_SCALES], scale_cpu_s[VAR_MAX_SCALES];
  int n_scales, ok;
  char kernel[96];
} type_result;

typedef struct {
  double t_start, cpu_start, cpu_last;
  double scale_end[VAR_MAX_SCALES], scale_cpu[VAR_MAX_SCALES];
} scale_clock;

static int on_progress(void *user, const var_progress *p)
{
  scale_clock *c = user;
  int si, n;
  if (p->stage && sscanf(p->stage, "scale %d/%d", &si, &n) == 2 && si >= 1 && si <= VAR_MAX_SCALES) {
    c->scale_end[si - 1] = bench_now();
    c->cpu_last = c->scale_cpu[si - 1] = bench_cpu_seconds();
  }
  return 0;
}

static void cpu_name(char *out, size_t n)
{
  FILE *fp = fopen("/proc/cpuinfo", "r");
  char line[512];
  snprintf(out, n, "unknown CPU");
  while (fp && fgets(line, sizeof line, fp))
    if (!strncmp(line, "model name", 10) && strchr(line, ':')) {
      char *v = strchr(line, ':') + 1;
      while (*v == ' ') v++;
      v[strcspn(v, "\n")] = '\0';
      snprintf(out, n, "%s", v);
      break;
    }
  if (fp) fclose(fp);
}

/* One type's measurements, in this (child) process. */
static void run_type(const bench_dtype_args *a, const char *var_path, type_result *r)
{
  var_ctx_params cp;
  var_ctx *ctx = NULL;
  var_transformer *tf = NULL;
  var_vqvae *vae = NULL;
  int32_t *tokens = NULL;
  float *img = NULL;
  double t;
  int run, si;
  FILE *fp = fopen("/proc/self/clear_refs", "w");   /* peak RSS from here on ("5": reset VmHWM) */
  if (fp) {
    fputs("5", fp);
    fclose(fp);
  }
  var_ctx_params_default(&cp);
  cp.n_threads = a->threads;
  cp.backend = "cpu";
  if (var_ctx_new(&cp, &ctx) != VAR_OK) return;
  t = bench_now();
  if (var_transformer_load(ctx, var_path, NULL, &tf) != VAR_OK) {
    fprintf(stderr, "var-bench gen: %s\n", var_ctx_last_error(ctx));
    goto out;
  }
  r->load_s = bench_now() - t;
  if (var_vqvae_load(ctx, a->vae_path, &vae) != VAR_OK) {
    fprintf(stderr, "var-bench gen: %s\n", var_ctx_last_error(ctx));
    goto out;
  }
  {
    int type = VAR_DTYPE_F32, k;
    for (k = 0; k < 8; k++)
      if (tf->weight_types & (1 << k)) type = k;
    snprintf(r->kernel, sizeof r->kernel, "%s", var_lp_kernel_name(tf->be, type));
  }
  r->n_scales = tf->cfg.schedule.n_scales;
  tokens = malloc(sizeof(int32_t) * (size_t)tf->cfg.n_tokens);
  {
    const int side = tf->cfg.schedule.pn[r->n_scales - 1] * vae->cfg.downsample;
    img = malloc(sizeof(float) * 3 * (size_t)side * side);
  }
  if (!tokens || !img) goto out;
  for (run = 0; run < a->runs; run++) {
    scale_clock c;
    double tf_s, gen_s;
    memset(&c, 0, sizeof c);
    var_ctx_set_progress(ctx, on_progress, &c);
    c.t_start = bench_now();
    c.cpu_start = bench_cpu_seconds();
    if (var_generate_tokens(tf, vae, &a->p, 1, &a->label, NULL, NULL, tokens, img) != VAR_OK) {
      fprintf(stderr, "var-bench gen: %s\n", var_ctx_last_error(ctx));
      goto out;
    }
    gen_s = bench_now() - c.t_start;
    tf_s = c.scale_end[r->n_scales - 1] - c.t_start;
    if (run == 0) r->cold_tf_s = tf_s;
    if (run == (a->runs > 1) || gen_s < r->gen_s) {   /* warm: the best run after the first */
      r->gen_s = gen_s;
      r->tf_s = tf_s;
      r->tf_cpu_s = c.cpu_last - c.cpu_start;
      for (si = 0; si < r->n_scales; si++) {
        r->scale_s[si] = c.scale_end[si] - (si ? c.scale_end[si - 1] : c.t_start);
        r->scale_cpu_s[si] = c.scale_cpu[si] - (si ? c.scale_cpu[si - 1] : c.cpu_start);
      }
    }
  }
  r->peak_rss = (double)bench_peak_rss();
  r->ok = 1;
out:
  free(tokens);
  free(img);
  var_vqvae_free(vae);
  var_transformer_free(tf);
  var_ctx_free(ctx);
}

static int measure_in_child(const bench_dtype_args *a, const char *var_path, type_result *r)
{
  int fd[2], status;
  pid_t pid;
  ssize_t got;
  fflush(stdout);
  if (pipe(fd)) return -1;
  pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    type_result mine;
    memset(&mine, 0, sizeof mine);
    close(fd[0]);
    run_type(a, var_path, &mine);
    _exit(write(fd[1], &mine, sizeof mine) == (ssize_t)sizeof mine && mine.ok ? 0 : 1);
  }
  close(fd[1]);
  got = read(fd[0], r, sizeof *r);
  close(fd[0]);
  waitpid(pid, &status, 0);
  return got == (ssize_t)sizeof *r && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : -1;
}

int bench_gen_dtypes(const bench_dtype_args *a)
{
  var_weights types[MAX_TYPES];
  type_result res[MAX_TYPES];
  char paths[MAX_TYPES][700], list[128], cpu[160], *tok, *save = NULL;
  var_ctx *ctx = NULL;
  int n = 0, i, si, f32 = -1, rc = 0;
  struct stat st;
  snprintf(list, sizeof list, "%s", a->dtypes);
  for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (n == MAX_TYPES || var_weights_parse(tok, &types[n]) != VAR_OK || types[n] == VAR_WEIGHTS_AS_STORED) {
      fprintf(stderr, "var-bench gen: --dtype takes up to %d of f32, bf16, f16, int8 (got \"%s\")\n", MAX_TYPES, tok);
      return 2;
    }
    if (types[n] == VAR_WEIGHTS_F32) f32 = n;
    n++;
  }
  if (var_ctx_new(NULL, &ctx) != VAR_OK) return 1;
  cpu_name(cpu, sizeof cpu);
  printf("side by side: %s; CPU %s, %d threads\n", a->dtypes, cpu, a->threads ? a->threads : var_ctx_n_threads(ctx));
  memset(res, 0, sizeof res);
  for (i = 0; i < n; i++) paths[i][0] = '\0';
  for (i = 0; i < n; i++) {
    double t = bench_now();
    if (types[i] == VAR_WEIGHTS_F32) {   /* the float32 checkpoint itself */
      snprintf(paths[i], sizeof paths[i], "%s", a->var_path);
      res[i].file_mb = stat(paths[i], &st) == 0 ? (double)st.st_size / 1e6 : 0;
      continue;
    }
    snprintf(paths[i], sizeof paths[i], "%s/var_%s.safetensors", a->dir, var_weights_name(types[i]));
    if (var_checkpoint_convert(ctx, a->var_path, paths[i], types[i]) != VAR_OK) {
      fprintf(stderr, "var-bench gen: %s\n", var_ctx_last_error(ctx));
      rc = 1;
      goto out;
    }
    res[i].convert_s = bench_now() - t;
    res[i].file_mb = stat(paths[i], &st) == 0 ? (double)st.st_size / 1e6 : 0;
    printf("  converted to %s: %.0f MB in %.1f s\n", var_weights_name(types[i]), res[i].file_mb, res[i].convert_s);
  }
  var_ctx_free(ctx);
  ctx = NULL;
  for (i = 0; i < n; i++) {
    const double convert_s = res[i].convert_s, file_mb = res[i].file_mb;
    int failed = measure_in_child(a, paths[i], &res[i]);
    res[i].convert_s = convert_s;
    res[i].file_mb = file_mb;
    if (failed) {
      fprintf(stderr, "var-bench gen: the %s run failed\n", var_weights_name(types[i]));
      rc = 1;
      goto out;
    }
    printf("  %-5s load %.3f s, transformer %.3f s (cold %.3f, CPU %.3f s), generation %.3f s, peak RSS %.0f MiB"
           "  [%s]\n",
           var_weights_name(types[i]), res[i].load_s, res[i].tf_s, res[i].cold_tf_s, res[i].tf_cpu_s, res[i].gen_s,
           res[i].peak_rss / 1048576.0, res[i].kernel);
  }
  printf("\n%-28s", "");
  for (i = 0; i < n; i++) printf(" %12s", var_weights_name(types[i]));
  printf("\n%-28s", "file MB");
  for (i = 0; i < n; i++) printf(" %12.0f", res[i].file_mb);
  printf("\n%-28s", "load s");
  for (i = 0; i < n; i++) printf(" %12.3f", res[i].load_s);
  printf("\n%-28s", "transformer s (warm)");
  for (i = 0; i < n; i++) printf(" %12.3f", res[i].tf_s);
  printf("\n%-28s", "transformer CPU s");
  for (i = 0; i < n; i++) printf(" %12.3f", res[i].tf_cpu_s);
  printf("\n%-28s", "whole generation s");
  for (i = 0; i < n; i++) printf(" %12.3f", res[i].gen_s);
  printf("\n%-28s", "peak RSS MiB");
  for (i = 0; i < n; i++) printf(" %12.0f", res[i].peak_rss / 1048576.0);
  for (si = 0; si < res[0].n_scales; si++) {
    char label[40];
    snprintf(label, sizeof label, "scale %d ms (CPU ms)", si);
    printf("\n%-28s", label);
    for (i = 0; i < n; i++) printf("  %5.0f (%5.0f)", 1e3 * res[i].scale_s[si], 1e3 * res[i].scale_cpu_s[si]);
  }
  printf("\n");
  if (f32 >= 0) {
    printf("\nspeed-up over f32 (same run):\n");
    for (i = 0; i < n; i++) {
      double small32 = 0, small = 0;
      if (i == f32) continue;
      for (si = 0; si < res[i].n_scales && si < res[f32].n_scales - 3; si++) {
        small32 += res[f32].scale_cpu_s[si];
        small += res[i].scale_cpu_s[si];
      }
      printf("  %-5s transformer %.2fx (CPU time %.2fx), scales 0..%d %.2fx in CPU time, whole generation %.2fx, peak RSS %.2fx "
             "of f32\n",
             var_weights_name(types[i]), res[f32].tf_s / res[i].tf_s, res[f32].tf_cpu_s / res[i].tf_cpu_s,
             res[f32].n_scales - 4, small32 / small,
             res[f32].gen_s / res[i].gen_s, res[i].peak_rss / res[f32].peak_rss);
    }
  }
  for (i = 0; i < n; i++)
    printf("RESULT dtype=%s file_mb=%.1f convert_s=%.3f load_s=%.4f tf_s=%.4f cold_tf_s=%.4f gen_s=%.4f "
           "tf_cpu_s=%.4f peak_rss_mib=%.1f\n",
           var_weights_name(types[i]), res[i].file_mb, res[i].convert_s, res[i].load_s, res[i].tf_s,
           res[i].cold_tf_s, res[i].gen_s, res[i].tf_cpu_s, res[i].peak_rss / 1048576.0);
out:
  var_ctx_free(ctx);
  for (i = 0; i < n && !a->keep; i++)
    if (paths[i][0] && types[i] != VAR_WEIGHTS_F32) remove(paths[i]);
  return rc;
}

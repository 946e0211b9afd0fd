/* bench_fill.c — `var-bench fill`: the image-side passes an in-paint adds around
 * the model at the model's size: resampling the window to the model
 * (var_image_to_model, the reference every in-paint pays), the smooth fill of the
 * masked pixels before encoding (var_fill_masked) and the seamless blend after
 * decoding (var_fill_seamless).  No checkpoint needed. */
#include "bench.h"
#include "edit/fill.h"
#include "edit/image.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *fp)
{
  fprintf(fp, "usage: var-bench fill [--size S] [--hole F] [--runs N]\n"
              "  --size S   model size in pixels (256)\n"
              "  --hole F   the elliptical hole's diameter as a share of the size (0.4)\n"
              "  --runs N   timed runs of each pass; the best is reported (20)\n");
}

static int parse_args(int argc, char **argv, int *size, double *hole, int *runs)
{
  const bench_opt opts[] = {
    { "--size", BENCH_INT, size }, { "--hole", BENCH_DOUBLE, hole }, { "--runs", BENCH_INT, runs },
    { NULL, BENCH_FLAG, NULL },
  };
  if (bench_parse("fill", argc, argv, opts, usage) != 0 || *size < 8 || *size > 4096 || !(*hole > 0 && *hole < 1) || *runs < 1) {
    usage(stderr);
    return 2;
  }
  return 0;
}

int bench_fill_main(int argc, char **argv)
{
  int S = 256, runs = 20, r, x, y, pass;
  double hole = 0.4, best[3] = { 1e30, 1e30, 1e30 };
  static const char *const names[3] = { "resample to the model (reference)", "smooth fill before encoding",
                                        "seamless blend after decoding" };
  var_ctx *ctx = NULL;
  var_image im;
  var_window win;
  uint8_t *mask;
  float *in, *gen, *work;
  size_t n;
  if (parse_args(argc, argv, &S, &hole, &runs)) return 2;
  n = (size_t)3 * S * S;
  im.width = im.height = S;
  im.stride = 4 * S;
  im.data = malloc((size_t)4 * S * S);
  mask = calloc((size_t)S * S, 1);
  in = malloc(n * sizeof(float));
  gen = malloc(n * sizeof(float));
  work = malloc(n * sizeof(float));
  if (!im.data || !mask || !in || !gen || !work || var_ctx_new(NULL, &ctx) != VAR_OK) {
    fprintf(stderr, "var-bench fill: out of memory or no context\n");
    return 1;
  }
  srand(1);
  for (y = 0; y < S; y++)
    for (x = 0; x < S; x++) {
      uint8_t *q = im.data + (size_t)y * im.stride + 4 * x;
      double dx = x - S / 2.0, dy = y - S / 2.0, rad = hole * S / 2;
      q[0] = (uint8_t)(x * 255 / S);
      q[1] = (uint8_t)(y * 255 / S);
      q[2] = (uint8_t)(rand() & 63);
      q[3] = 255;
      mask[y * S + x] = dx * dx + dy * dy < rad * rad ? 255 : 0;
    }
  win.x = win.y = 0;
  win.size = S;
  if (var_image_to_model(ctx, &im, win, S, in) != VAR_OK) return 1;
  for (r = 0; r < runs; r++)
    for (pass = 0; pass < 3; pass++) {
      double t0, t;
      var_status st;
      if (pass == 2)
        for (x = 0; x < (int)n; x++) gen[x] = 0.5f * (in[x] + 1.0f) + 0.03f;   /* a decoder's colour miss */
      else if (pass == 1)
        memcpy(work, in, n * sizeof(float));
      t0 = bench_now();
      st = pass == 0   ? var_image_to_model(ctx, &im, win, S, work)
           : pass == 1 ? var_fill_masked(ctx, mask, (size_t)S, S, S, win, S, work, NULL)
                       : var_fill_seamless(ctx, mask, (size_t)S, S, S, win, S, in, gen);
      t = bench_now() - t0;
      if (st != VAR_OK) {
        fprintf(stderr, "var-bench fill: %s\n", var_ctx_last_error(ctx));
        return 1;
      }
      if (t < best[pass]) best[pass] = t;
    }
  printf("fill passes at %d px, elliptical hole %.0f%% of the side, best of %d runs:\n", S, hole * 100, runs);
  for (pass = 0; pass < 3; pass++)
    printf("  %-36s %8.2f ms  (%.2fx the resample)\n", names[pass], best[pass] * 1e3, best[pass] / best[0]);
  printf("RESULT size=%d resample_ms=%.3f fill_ms=%.3f seamless_ms=%.3f\n", S, best[0] * 1e3, best[1] * 1e3,
         best[2] * 1e3);
  var_ctx_free(ctx);
  free(im.data);
  free(mask);
  free(in);
  free(gen);
  free(work);
  return 0;
}

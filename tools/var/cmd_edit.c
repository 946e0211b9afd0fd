/* cmd_edit.c — `var generate`, `var inpaint`, `var outpaint`, `var edit`:
 * the image-level API on PNG files. */
#include "cli.h"
#include "escape.h"
#include "out_files.h"
#include "png_io.h"
#include "var.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

typedef enum op { OP_GENERATE, OP_INPAINT, OP_OUTPAINT, OP_EDIT } op;

typedef struct options {
  op what;
  const char *cmd;            /* "inpaint", ... */
  const char *input, *mask, *out, *model_dir, *model, *backend, *class_text;
  int rect[4], have_rect;
  int extend[4], have_extend;
  int threads, quiet, verbose;
  var_weights weights;
  var_edit_params p;
} options;

static const char *const common_help =
  "Model:\n"
  "  --model-dir DIR     folder with the checkpoints (default: $VAR_MODEL_DIR, else\n"
  "                      " CLI_DEFAULT_MODEL_DIR "); needs vae_ch160v4096z32.pth and a\n"
  "                      var_dNN.pth from https://huggingface.co/FoundationVision/var\n"
  "  --model NAME        transformer to use: var_d16, d30, var_d36.pth ... (default: the\n"
  "                      smallest in the folder); a path such as models/var_d20.pth also works\n"
  "Sampling:\n"
  "  --seed N            random seed (default 0); variant i uses seed N+i\n"
  "  --cfg F             classifier-free guidance (default 4; 0 = none)\n"
  "  --top-k N           sample among the N likeliest tokens (default 900; 0 = all)\n"
  "  --top-p F           nucleus sampling threshold (default 0.95; 0 = off)\n"
  "  --more-smooth       smoother, less detailed images (Gumbel-softmax code mixing)\n"
  "  --variants N        make N results (1..64), written as OUT-1.png, OUT-2.png, ...\n"
  "Running:\n"
  "  --threads N         CPU threads (default: all cores, or $VAR_THREADS)\n"
  "  --backend NAME      cpu, opencl, opencl:N or opencl:NAME (default: $VAR_BACKEND or cpu)\n"
  "  --dtype T           hold the transformer's linear weights as f32, bf16, f16 or int8,\n"
  "                      converting on load (default: as the file stores them; see var convert)\n"
  "  --out FILE.png      where to write the result\n"
  "  -q, --quiet         no progress bar (it is shown only when stderr is a terminal)\n"
  "  -v, --verbose       say which window and how many tokens are regenerated\n"
  "  -h, --help          this text\n"
  "\n"
  "Each PNG written carries its parameters in a \"parameters\" text chunk.  Ctrl-C stops cleanly.\n";

static void usage(const options *o, FILE *fp)
{
  switch (o->what) {
  case OP_GENERATE:
    fprintf(fp, "usage: var generate [--class NAME|INDEX] [OPTIONS]\n\n"
                "Makes an image of an ImageNet class at the model's native size (256x256 for var_d16..d30,\n"
                "512x512 for var_d36).\n\n"
                "  --class NAME|INDEX  what to draw: an index 0..999 or a name such as \"golden retriever\",\n"
                "                      \"tabby\" or \"volcano\" (any synonym or a unique prefix; see `var classes`);\n"
                "                      \"random\" picks one from the seed; \"none\" = unconditional\n"
                "                      (default: random); a model with other classes (models/demo) names\n"
                "                      them in a classes.txt beside its checkpoints\n\n");
    break;
  case OP_INPAINT:
  case OP_EDIT:
    fprintf(fp,
            "usage: var %s IMAGE (--mask MASK.png | --rect X,Y,W,H)%s [OPTIONS]\n\n"
            "%s\n"
            "The mask is white where to regenerate and black where to keep (grey blends; white strokes on a\n"
            "transparent layer work too); it must have the image's size.  Pixels where the mask is black\n"
            "are copied unchanged.  The model sees a square window around the masked area, resampled to its\n"
            "native size, so the image can have any size.\n\n"
            "  --mask MASK.png     the selection\n"
            "  --rect X,Y,W,H      a rectangular selection instead of a mask file\n"
            "%s"
            "  --margin PX         context around the mask's bounding box (default: automatic)\n"
            "  --grow PX           regenerate this far past the mask's edge (default: automatic)\n"
            "  --fill smooth|original  what the model is shown under the mask: a smooth fill from the\n"
            "                      surroundings (default; the old content does not leak into the result)\n"
            "                      or the pixels as they are (the original VAR editing code)\n"
            "  --strength F        0..1: share of the scales regenerated in the mask, finest first; the\n"
            "                      coarser ones keep the (filled) input's layout (default 1 = all)\n"
            "  --blend seamless|paste  seamless (default): correct the new pixels' colours so they meet\n"
            "                      the kept ones without a seam; paste: as decoded (the original VAR)\n\n",
            o->cmd, o->what == OP_EDIT ? " --class NAME|INDEX" : "",
            o->what == OP_EDIT ? "Redraws the masked area as the given ImageNet class (class-conditional editing)."
                               : "Fills the masked area with new content that fits its surroundings.",
            o->what == OP_EDIT ? "  --class NAME|INDEX  what to draw there (see `var classes`)\n"
                               : "  --class NAME|INDEX  optional: steer the fill towards a class\n");
    break;
  case OP_OUTPAINT:
    fprintf(fp, "usage: var outpaint IMAGE --extend L,T,R,B [OPTIONS]\n\n"
                "Extends the canvas by L, T, R, B pixels (left, top, right, bottom) and fills the new area;\n"
                "the original pixels are copied unchanged.  Without --extend, the image's transparent pixels\n"
                "are filled instead.  Large extensions are done in overlapping windows, nearest first.\n\n"
                "  --extend L,T,R,B    margins in pixels (one number N means N,N,N,N)\n"
                "  --fill smooth|original  what the model is shown in the new area: a smooth continuation\n"
                "                      of the edge (default) or the mean visible colour (original VAR)\n"
                "  --strength F        0..1: share of the scales regenerated in the new area (default 1)\n"
                "  --blend seamless|paste  meet the known pixels without a seam (default) or paste as decoded\n"
                "  --class NAME|INDEX  optional: steer the new content towards a class\n\n");
    break;
  }
  fputs(common_help, fp);
}

static int parse_int(const char *s, long lo, long hi, int *out)
{
  char *end;
  long v;
  errno = 0;
  v = strtol(s, &end, 10);
  if (errno || end == s || *end || v < lo || v > hi) return -1;
  *out = (int)v;
  return 0;
}

static int parse_float(const char *s, double lo, double hi, float *out)
{
  char *end;
  double v;
  errno = 0;
  v = strtod(s, &end);
  if (errno || end == s || *end || !(v >= lo && v <= hi)) return -1;
  *out = (float)v;
  return 0;
}

/* "a,b,c,d" (or one number for all four when allow_one) */
static int parse_quad(const char *s, int allow_one, int lo, int out[4])
{
  char buf[128], *tok, *save = NULL;
  int n = 0;
  if (strlen(s) >= sizeof buf) return -1;
  strcpy(buf, s);
  for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
    if (n == 4 || parse_int(tok, lo, INT_MAX, &out[n]) != 0) return -1;
    n++;
  }
  if (n == 1 && allow_one) {
    out[1] = out[2] = out[3] = out[0];
    return 0;
  }
  return n == 4 ? 0 : -1;
}

static int bad_value(const options *o, const char *opt, const char *val, const char *want)
{
  fprintf(stderr, "var %s: %s \"%s\" is not valid: expected %s\n", o->cmd, opt, val, want);
  return 2;
}

/* Returns 0 to go on, 1 after --help, 2 on a usage error. */
static int parse_args(options *o, int argc, char **argv)
{
  int i;
  for (i = 1; i < argc; i++) {
    const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
    int takes = 1;
    if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
      usage(o, stdout);
      return 1;
    }
    if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
      o->quiet = 1;
      continue;
    }
    if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
      o->verbose = 1;
      continue;
    }
    if (!strcmp(a, "--more-smooth")) {
      o->p.sample.more_smooth = 1;
      continue;
    }
    if (a[0] != '-' || !a[1]) {
      if (o->what == OP_GENERATE || o->input) {
        fprintf(stderr, "var %s: unexpected argument \"%s\" (see --help)\n", o->cmd, a);
        return 2;
      }
      o->input = a;
      continue;
    }
    if (!v) {
      fprintf(stderr, "var %s: %s needs a value (see --help)\n", o->cmd, a);
      return 2;
    }
    if (!strcmp(a, "--model-dir")) o->model_dir = v;
    else if (!strcmp(a, "--model")) o->model = v;
    else if (!strcmp(a, "--backend")) o->backend = v;
    else if (!strcmp(a, "--dtype")) {
      if (var_weights_parse(v, &o->weights) != VAR_OK) return bad_value(o, a, v, "f32, bf16, f16 or int8");
    }
    else if (!strcmp(a, "--out") || !strcmp(a, "-o")) o->out = v;
    else if (!strcmp(a, "--class")) o->class_text = v;
    else if (!strcmp(a, "--mask") && (o->what == OP_INPAINT || o->what == OP_EDIT)) o->mask = v;
    else if (!strcmp(a, "--seed")) {
      char *end;
      errno = 0;
      o->p.sample.seed = strtoull(v, &end, 10);
      /* strtoull takes " -5" as 2^64 - 5: digits only */
      if (errno || end == v || *end || v[0] < '0' || v[0] > '9') return bad_value(o, a, v, "a number >= 0");
    } else if (!strcmp(a, "--cfg")) {
      if (parse_float(v, 0, 1000, &o->p.sample.cfg)) return bad_value(o, a, v, "a number 0..1000");
    } else if (!strcmp(a, "--top-k")) {
      if (parse_int(v, 0, 1 << 30, &o->p.sample.top_k)) return bad_value(o, a, v, "an integer >= 0");
    } else if (!strcmp(a, "--top-p")) {
      if (parse_float(v, 0, 1, &o->p.sample.top_p)) return bad_value(o, a, v, "a number 0..1");
    } else if (!strcmp(a, "--variants")) {
      if (parse_int(v, 1, VAR_MAX_VARIANTS, &o->p.variants)) return bad_value(o, a, v, "an integer 1..64");
    } else if (!strcmp(a, "--threads")) {
      if (parse_int(v, 0, 1024, &o->threads)) return bad_value(o, a, v, "an integer 0..1024");
    } else if (!strcmp(a, "--margin") && o->what != OP_GENERATE) {
      if (parse_int(v, 0, VAR_MAX_IMAGE_SIDE, &o->p.context_margin)) return bad_value(o, a, v, "pixels >= 0");
    } else if (!strcmp(a, "--grow") && o->what != OP_GENERATE) {
      if (parse_int(v, 0, VAR_MAX_IMAGE_SIDE, &o->p.mask_grow)) return bad_value(o, a, v, "pixels >= 0");
    } else if (!strcmp(a, "--strength") && o->what != OP_GENERATE) {
      if (parse_float(v, 0, 1, &o->p.strength)) return bad_value(o, a, v, "a number 0..1");
    } else if (!strcmp(a, "--fill") && o->what != OP_GENERATE) {
      if (!strcmp(v, "smooth")) o->p.fill = VAR_FILL_SMOOTH;
      else if (!strcmp(v, "original")) o->p.fill = VAR_FILL_ORIGINAL;
      else return bad_value(o, a, v, "smooth or original");
    } else if (!strcmp(a, "--blend") && o->what != OP_GENERATE) {
      if (!strcmp(v, "seamless")) o->p.seamless = 1;
      else if (!strcmp(v, "paste")) o->p.seamless = 0;
      else return bad_value(o, a, v, "seamless or paste");
    } else if (!strcmp(a, "--rect") && (o->what == OP_INPAINT || o->what == OP_EDIT)) {
      if (parse_quad(v, 0, 0, o->rect) || o->rect[2] < 1 || o->rect[3] < 1)
        return bad_value(o, a, v, "X,Y,W,H with W and H >= 1");
      o->have_rect = 1;
    } else if (!strcmp(a, "--extend") && o->what == OP_OUTPAINT) {
      if (parse_quad(v, 1, 0, o->extend)) return bad_value(o, a, v, "L,T,R,B pixels >= 0, or one number");
      o->have_extend = 1;
    } else {
      takes = 0;
    }
    if (!takes) {
      fprintf(stderr, "var %s: unknown option %s (see --help)\n", o->cmd, a);
      return 2;
    }
    i++;
  }
  if (o->what != OP_GENERATE && !o->input) {
    fprintf(stderr, "var %s: which image? (see --help)\n", o->cmd);
    return 2;
  }
  if ((o->what == OP_INPAINT || o->what == OP_EDIT) && !o->mask == !o->have_rect) {
    fprintf(stderr, "var %s: give either --mask MASK.png or --rect X,Y,W,H\n", o->cmd);
    return 2;
  }
  if (o->what == OP_EDIT && !o->class_text) {
    fprintf(stderr, "var edit: --class is required (what to draw in the masked area; see `var classes`)\n");
    return 2;
  }
  return 0;
}

/* ---- progress and Ctrl-C ---------------------------------------------------------- */

static var_ctx *volatile running_ctx;

static void on_sigint(int sig)
{
  (void)sig;
  if (running_ctx) var_ctx_cancel(running_ctx);
  signal(SIGINT, SIG_DFL);   /* a second Ctrl-C ends the process at once */
}

static int draw_progress(void *user, const var_progress *p)
{
  int i, filled = (int)(p->fraction * 30 + 0.5);
  (void)user;
  fprintf(stderr, "\r[");
  for (i = 0; i < 30; i++) fputc(i < filled ? '#' : '-', stderr);
  fprintf(stderr, "] %3d%%", (int)(p->fraction * 100 + 0.5));
  if (p->variants > 1) fprintf(stderr, "  variant %d/%d", p->variant + 1, p->variants);
  fprintf(stderr, "  %-12.12s", p->stage ? p->stage : "");
  fflush(stderr);
  return 0;
}

static void log_to_stderr(void *user, var_log_level level, const char *msg)
{
  (void)user;
  (void)level;
  fprintf(stderr, "var: %s\n", msg);
}

/* ---- running ----------------------------------------------------------------------- */

/* --class: an index, a name of the model's classes (classes.txt or ImageNet's), "none" or "random". */
static int resolve_class(options *o, const var_model *model, const var_model_info *info)
{
  const char *t = o->class_text;
  const int num_classes = info->num_classes, own_names = info->own_class_names > 0;
  int idx;
  if (!t || !strcmp(t, "random")) {
    if (o->what != OP_GENERATE) {
      o->p.class_label = -1;
      return 0;
    }
    /* splitmix64 of the seed: the same seed always picks the same class */
    {
      uint64_t z = o->p.sample.seed + 0x9E3779B97F4A7C15ull;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      o->p.class_label = (int)((z ^ (z >> 31)) % (uint64_t)num_classes);
    }
    return 0;
  }
  if (!strcmp(t, "none") || !strcmp(t, "-1")) {
    o->p.class_label = -1;
    return 0;
  }
  if (parse_int(t, 0, INT_MAX, &idx) == 0) {
    if (idx >= num_classes) {
      fprintf(stderr, "var %s: class %d is out of range (this model has classes 0..%d)\n", o->cmd, idx,
              num_classes - 1);
      return 2;
    }
    o->p.class_label = idx;
    return 0;
  }
  idx = var_model_class_find(model, t);
  if (idx < 0 && (own_names || num_classes != var_imagenet_n_classes())) {
    fprintf(stderr, "var %s: \"%s\" is not a class of this %d-class model%s\n", o->cmd, t, num_classes,
            own_names ? " (see classes.txt beside the model)" : " (give an index; no classes.txt beside the model)");
    return 2;
  }
  if (idx < 0) {
    fprintf(stderr, "var %s: \"%s\" is not an ImageNet class name, or matches several; try `var classes %s`\n",
            o->cmd, t, t);
    return 2;
  }
  o->p.class_label = idx;
  return 0;
}

static var_status load_model(var_ctx *ctx, const options *o, var_model **m)
{
  const char *slash = o->model ? strrchr(o->model, '/') : NULL;
  if (slash) {
    /* a path: the VQ-VAE is looked for beside it */
    char dir[4096];
    size_t n = (size_t)(slash - o->model);
    if (n >= sizeof dir) n = sizeof dir - 1;
    memcpy(dir, o->model, n);
    dir[n] = '\0';
    return var_model_load_dir(ctx, n ? dir : "/", slash + 1, m);
  }
  return var_model_load_dir(ctx, o->model_dir, o->model, m);
}

static void output_name(const options *o, int i, int n, char *buf, size_t size)
{
  char base[4096];
  size_t len;
  if (o->out) {
    snprintf(base, sizeof base, "%s", o->out);
  } else if (o->input) {
    const char *b = strrchr(o->input, '/');
    snprintf(base, sizeof base, "%s", b ? b + 1 : o->input);
    len = strlen(base);
    if (len > 4 && !strcasecmp(base + len - 4, ".png")) base[len - 4] = '\0';
    len = strlen(base);
    snprintf(base + len, sizeof base - len, "-%s.png", o->cmd);
  } else {
    snprintf(base, sizeof base, "var-generate.png");
  }
  if (n == 1) {
    snprintf(buf, size, "%s", base);
    return;
  }
  len = strlen(base);
  if (len > 4 && !strcasecmp(base + len - 4, ".png")) {
    base[len - 4] = '\0';
    snprintf(buf, size, "%s-%d.png", base, i + 1);
  } else {
    snprintf(buf, size, "%s-%d", base, i + 1);
  }
}

static void make_rect_mask(const options *o, int w, int h, var_mask *mask, uint8_t **data)
{
  int x, y;
  *data = calloc((size_t)w * h, 1);
  if (!*data) return;
  for (y = o->rect[1]; y < h && y < (int64_t)o->rect[1] + o->rect[3]; y++)
    for (x = o->rect[0]; x < w && x < (int64_t)o->rect[0] + o->rect[2]; x++) (*data)[(size_t)y * w + x] = 255;
  mask->width = w;
  mask->height = h;
  mask->stride = w;
  mask->data = *data;
}

/* Ctrl-C, SIGTERM and SIGHUP wait while the result set is put in place.
 * Windows has no signal masks; there Ctrl-C may stop var mid-write, and the
 * temporary files are what is left, never a partial result under its name. */
#ifndef _WIN32
typedef sigset_t held_signals;
static void hold_signals(held_signals *old)
{
  sigset_t block;
  sigemptyset(&block);
  sigaddset(&block, SIGINT);
  sigaddset(&block, SIGTERM);
  sigaddset(&block, SIGHUP);
  sigprocmask(SIG_BLOCK, &block, old);
}
static void release_signals(const held_signals *old) { sigprocmask(SIG_SETMASK, old, NULL); }
#else
typedef int held_signals;
static void hold_signals(held_signals *old) { *old = 0; }
static void release_signals(const held_signals *old) { (void)old; }
#endif

/* Every result to a temporary file, then all renamed into place: a failure
 * (full disk, a file-size limit) leaves the existing files as they were and
 * no partial set.  Ctrl-C waits until the set is in place or removed. */
static int write_results(const options *o, const var_result *res)
{
  const int n = var_result_count(res);
  char (*tmp)[4200] = calloc((size_t)n, sizeof *tmp);
  char path[4200], err[1200];
  held_signals old;
  int i, written = 0, rc = 0;
  if (!tmp) {
    fprintf(stderr, "var %s: out of memory\n", o->cmd);
    return 1;
  }
  hold_signals(&old);
  for (i = 0; i < n; i++, written++) {
    output_name(o, i, n, path, sizeof path);
    if (png_write_rgba_temp(path, var_result_image(res, i), var_result_description(res, i), tmp[i], sizeof tmp[i], err,
                            sizeof err) != 0) {
      fprintf(stderr, "var %s: %s\n", o->cmd, err);
      rc = 1;
      break;
    }
  }
  if (rc) {
    for (i = 0; i < written; i++) unlink(tmp[i]);
    if (n > 1) fprintf(stderr, "var %s: none of the %d results was written\n", o->cmd, n);
  } else {
    for (i = 0; i < n; i++) {
      output_name(o, i, n, path, sizeof path);
      if (out_temp_commit(tmp[i], path, err, sizeof err) != 0) {
        /* a rename in one folder fails only if the folder changed under us */
        fprintf(stderr, "var %s: %s\n", o->cmd, err);
        for (i++; i < n; i++) unlink(tmp[i]);
        rc = 1;
        break;
      }
      printf("%s: %s\n", ESCAPED(path), ESCAPED(var_result_description(res, i)));
    }
  }
  fflush(stdout);
  release_signals(&old);
  free(tmp);
  return rc;
}

static int run(options *o)
{
  var_ctx_params cp;
  var_ctx *ctx = NULL;
  var_model *model = NULL;
  var_model_info info;
  var_image img = { 0, 0, 0, NULL };
  var_mask mask;
  uint8_t *mask_data = NULL;
  var_result *res = NULL;
  var_status st;
  char err[1200];
  int rc = 1, i, show_bar = !o->quiet && isatty(2);

  /* inputs first: a typo in a file name should not cost a model load */
  if (o->input && png_read_rgba(o->input, &img, err, sizeof err) != 0) {
    fprintf(stderr, "var %s: %s\n", o->cmd, err);
    return 1;
  }
  if (o->mask && png_read_mask(o->mask, &mask, &mask_data, err, sizeof err) != 0) {
    fprintf(stderr, "var %s: mask: %s\n", o->cmd, err);
    goto done;
  }
  if (o->mask && (mask.width != img.width || mask.height != img.height)) {
    fprintf(stderr, "var %s: the mask %s is %dx%d but the image is %dx%d: they must be the same size\n", o->cmd,
            o->mask, mask.width, mask.height, img.width, img.height);
    goto done;
  }
  if (o->have_rect) {
    if (o->rect[0] >= img.width || o->rect[1] >= img.height) {
      fprintf(stderr, "var %s: --rect %d,%d,%d,%d lies outside the %dx%d image\n", o->cmd, o->rect[0], o->rect[1],
              o->rect[2], o->rect[3], img.width, img.height);
      goto done;
    }
    make_rect_mask(o, img.width, img.height, &mask, &mask_data);
    if (!mask_data) {
      fprintf(stderr, "var %s: out of memory\n", o->cmd);
      goto done;
    }
  }
  /* the outputs too: a missing folder or an --out naming an input is found before
   * the model is loaded, and nothing is written until every result exists */
  {
    const char *inputs[2];
    const int n_out = o->p.variants > 1 ? o->p.variants : 1;
    inputs[0] = o->input;
    inputs[1] = o->mask;
    for (i = 0; i < n_out; i++) {
      char path[4200];
      output_name(o, i, n_out, path, sizeof path);
      if (out_check(path, inputs, 2, err, sizeof err) != 0) {
        fprintf(stderr, "var %s: %s\n", o->cmd, err);
        goto done;
      }
    }
  }
  var_ctx_params_default(&cp);
  cp.n_threads = o->threads;
  cp.weights = o->weights;
  cp.backend = o->backend;
  if (o->verbose) {
    cp.log = log_to_stderr;
    cp.log_level = VAR_LOG_INFO;
  }
  if (var_ctx_new(&cp, &ctx) != VAR_OK) {
    fprintf(stderr, "var %s: %s\n", o->cmd, ESCAPED(var_last_init_error()));
    goto done;
  }
  st = load_model(ctx, o, &model);
  if (st != VAR_OK) {
    fprintf(stderr, "var %s: %s\n", o->cmd, ESCAPED(var_ctx_last_error(ctx)));
    goto done;
  }
  var_model_get_info(model, &info);
  if ((rc = resolve_class(o, model, &info)) != 0) goto done;
  rc = 1;
  if (show_bar) var_ctx_set_progress(ctx, draw_progress, NULL);
  running_ctx = ctx;
  signal(SIGINT, on_sigint);
  switch (o->what) {
  case OP_GENERATE: st = var_generate(model, &o->p, &res); break;
  case OP_INPAINT:
  case OP_EDIT: st = var_inpaint(model, &img, &mask, &o->p, &res); break;
  case OP_OUTPAINT:
    st = var_outpaint(model, &img, o->have_extend ? o->extend[0] : 0, o->have_extend ? o->extend[1] : 0,
                      o->have_extend ? o->extend[2] : 0, o->have_extend ? o->extend[3] : 0, &o->p, &res);
    break;
  }
  signal(SIGINT, SIG_DFL);
  running_ctx = NULL;
  if (show_bar) fprintf(stderr, "\n");
  if (st != VAR_OK) {
    fprintf(stderr, "var %s: %s\n", o->cmd, ESCAPED(var_ctx_last_error(ctx)));
    rc = st == VAR_ERR_CANCELLED ? 130 : 1;
    goto done;
  }
  rc = write_results(o, res);
done:
  var_result_free(res);
  var_model_free(model);
  var_ctx_free(ctx);
  free(img.data);
  free(mask_data);
  return rc;
}

static int edit_main(op what, const char *cmd, int argc, char **argv)
{
  options o;
  int rc;
  memset(&o, 0, sizeof o);
  o.what = what;
  o.cmd = cmd;
  var_edit_params_default(&o.p);
  rc = parse_args(&o, argc, argv);
  if (rc) return rc == 1 ? 0 : rc;
  return run(&o);
}

int cmd_generate(int argc, char **argv) { return edit_main(OP_GENERATE, "generate", argc, argv); }
int cmd_inpaint(int argc, char **argv) { return edit_main(OP_INPAINT, "inpaint", argc, argv); }
int cmd_outpaint(int argc, char **argv) { return edit_main(OP_OUTPAINT, "outpaint", argc, argv); }
int cmd_edit(int argc, char **argv) { return edit_main(OP_EDIT, "edit", argc, argv); }

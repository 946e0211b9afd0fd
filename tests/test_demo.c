/* test_demo.c — the trained demo model (models/demo) against references made by
 * the training code's own PyTorch implementation (tools/train/export_demo.py):
 * the same golden stages as the random-weight sets, on weights that learned
 * something, so trained activations (larger, more structured) are covered too. */
#define _POSIX_C_SOURCE 200809L
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "test_support.h"
#include "utf8_files.h"
#include "var.h"

#define DEMO_DIR VAR_TEST_DATA "/demo"
#define DEMO_MODEL VAR_TEST_DATA "/../../models/demo"

static void test_demo_checkpoints(void) { assert_golden_stage(DEMO_DIR, "checkpoints", 2); }
static void test_demo_vae(void) { assert_golden_stage(DEMO_DIR, "vae", 9); }
static void test_demo_tf(void) { assert_golden_stage(DEMO_DIR, "tf", 7); }

static var_model *load(var_ctx *ctx, const char *dir)
{
  var_model *m = NULL;
  var_status st = var_model_load_dir(ctx, dir, NULL, &m);
  if (st != VAR_OK) fprintf(stderr, "%s: %s\n", dir, var_ctx_last_error(ctx));
  CU_ASSERT_EQUAL_FATAL(st, VAR_OK);
  return m;
}

/* classes.txt beside the shipped model names its six classes */
static void test_demo_class_names(void)
{
  static const char *const want[] = { "stripes", "checkerboard", "gradient", "rings", "dots", "blob" };
  var_ctx *ctx = NULL;
  var_model *m;
  var_model_info info;
  int i;
  CU_ASSERT_EQUAL_FATAL(var_ctx_new(NULL, &ctx), VAR_OK);
  m = load(ctx, DEMO_MODEL);
  CU_ASSERT_EQUAL_FATAL(var_model_get_info(m, &info), VAR_OK);
  CU_ASSERT_EQUAL(info.own_class_names, 6);
  for (i = 0; i < 6; i++) {
    CU_ASSERT_STRING_EQUAL(var_model_class_name(m, i), want[i]);
    CU_ASSERT_EQUAL(var_model_class_find(m, want[i]), i);
  }
  CU_ASSERT_PTR_NULL(var_model_class_name(m, 6));
  CU_ASSERT_PTR_NULL(var_model_class_name(m, -1));
  CU_ASSERT_EQUAL(var_model_class_find(m, "RINGS"), 3);
  CU_ASSERT_EQUAL(var_model_class_find(m, "chec"), 1);    /* unique prefix */
  CU_ASSERT_EQUAL(var_model_class_find(m, "goldfish"), -1);
  CU_ASSERT_EQUAL(var_model_class_find(m, ""), -1);
  var_model_free(m);
  /* a model without classes.txt and without ImageNet's 1000 classes has no names */
  m = load(ctx, GOLDEN_DIR("tiny"));
  CU_ASSERT_EQUAL_FATAL(var_model_get_info(m, &info), VAR_OK);
  CU_ASSERT_EQUAL(info.own_class_names, 0);
  CU_ASSERT_PTR_NULL(var_model_class_name(m, 0));
  CU_ASSERT_EQUAL(var_model_class_find(m, "stripes"), -1);
  var_model_free(m);
  var_ctx_free(ctx);
}

/* classes.txt is untrusted: junk lines, out-of-range and repeated indices,
 * over-long names are skipped; the model still loads */
static void test_demo_hostile_class_names(void)
{
  char dir[] = "/tmp/libvar-classes-XXXXXX", path[PATH_MAX + 64], src[PATH_MAX];
  const char *files[] = { "vae_demo.pth", "var_demo.pth" };
  var_ctx *ctx = NULL;
  var_model *m;
  var_model_info info;
  FILE *fp;
  int i;
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  for (i = 0; i < 2; i++) {
    char rel[256];
    snprintf(rel, sizeof rel, "%s/%s", DEMO_MODEL, files[i]);
    CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(rel, src));
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    CU_ASSERT_EQUAL_FATAL(symlink(src, path), 0);
  }
  snprintf(path, sizeof path, "%s/classes.txt", dir);
  fp = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
  fprintf(fp, "junk\n-1 minus\n99999999999999999999 huge\n6 past-the-end\n2   \n0 zero\n0 again\n");
  fputs("1 ", fp);
  for (i = 0; i < 1000; i++) fputc('x', fp);   /* longer than a line may be */
  fputs("\n5 a", fp);
  fputc('\0', fp);   /* a NUL byte spoils its line only */
  fputs("b\n", fp);
  /* not printable UTF-8: an escape sequence, a lone continuation byte, an overlong
   * '/', a surrogate, a C1 control; then a good non-ASCII name */
  fputs("1 \x1b[31mred\n1 \x80x\n1 \xc0\xaf\n1 \xed\xa0\x80\n1 \xc2\x85\n1 Gr\xc3\xb6\xc3\x9f" "e \xe2\x9c\x93\n", fp);
  fputs("3 three\t\r\n4 four", fp);   /* the last line has no newline */
  fclose(fp);
  CU_ASSERT_EQUAL_FATAL(var_ctx_new(NULL, &ctx), VAR_OK);
  m = load(ctx, dir);
  CU_ASSERT_STRING_EQUAL(var_model_class_name(m, 0), "zero");
  CU_ASSERT_STRING_EQUAL(var_model_class_name(m, 1), "Gr\xc3\xb6\xc3\x9f" "e \xe2\x9c\x93");
  CU_ASSERT_PTR_NULL(var_model_class_name(m, 2));
  CU_ASSERT_STRING_EQUAL(var_model_class_name(m, 3), "three");
  CU_ASSERT_STRING_EQUAL(var_model_class_name(m, 4), "four");
  CU_ASSERT_PTR_NULL(var_model_class_name(m, 5));
  CU_ASSERT_EQUAL(var_model_class_find(m, "again"), -1);
  CU_ASSERT_EQUAL(var_model_class_find(m, "th"), 3);
  CU_ASSERT_EQUAL_FATAL(var_model_get_info(m, &info), VAR_OK);
  CU_ASSERT_EQUAL(info.own_class_names, 4);
  var_model_free(m);
  /* nothing usable: no names of its own */
  fp = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
  fputs("junk\n\n7 seven\n", fp);
  fclose(fp);
  m = load(ctx, dir);
  CU_ASSERT_EQUAL_FATAL(var_model_get_info(m, &info), VAR_OK);
  CU_ASSERT_EQUAL(info.own_class_names, 0);
  CU_ASSERT_PTR_NULL(var_model_class_name(m, 0));
  var_model_free(m);
  var_ctx_free(ctx);
  unlink(path);
  for (i = 0; i < 2; i++) {
    snprintf(path, sizeof path, "%s/%s", dir, files[i]);
    unlink(path);
  }
  rmdir(dir);
}

/* Paths are UTF-8 in the API on every system (on Windows libvar widens them for
 * the wide-character calls): the demo model, its class names included, loads
 * from a folder whose name is not ASCII (and not in any one ANSI code page). */
static void test_demo_utf8_folder(void)
{
  static const char *const files[] = { "vae_demo.pth", "var_demo.pth", "classes.txt" };
  char dir[256], from[1024], to[1024];
  var_ctx *ctx = NULL;
  var_model *m;
  var_model_info info;
  int i;
  snprintf(dir, sizeof dir, "libvar-mod\xc3\xa8les-\xce\xb1\xce\xb2-\xe6\xa8\xa1\xe5\x9e\x8b-%ld", (long)getpid());
  CU_ASSERT_EQUAL_FATAL(utf8_mkdir(dir), 0);
  for (i = 0; i < 3; i++) {
    snprintf(from, sizeof from, "%s/%s", DEMO_MODEL, files[i]);
    snprintf(to, sizeof to, "%s/%s", dir, files[i]);
    CU_ASSERT_EQUAL_FATAL(utf8_copy(from, to), 0);
  }
  CU_ASSERT_EQUAL_FATAL(var_ctx_new(NULL, &ctx), VAR_OK);
  m = load(ctx, dir);
  CU_ASSERT_EQUAL_FATAL(var_model_get_info(m, &info), VAR_OK);
  CU_ASSERT_STRING_EQUAL(info.name, "var_demo");
  CU_ASSERT_EQUAL(info.own_class_names, 6);
  CU_ASSERT_STRING_EQUAL(var_model_class_name(m, 3), "rings");
  var_model_free(m);
  /* and a missing file in it is named in the message, in UTF-8 */
  snprintf(to, sizeof to, "%s/var_demo.pth", dir);
  CU_ASSERT_EQUAL(utf8_unlink(to), 0);
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, dir, NULL, &m), VAR_ERR_NOT_FOUND);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), dir) != NULL);
  var_ctx_free(ctx);
  for (i = 0; i < 3; i++) {
    snprintf(to, sizeof to, "%s/%s", dir, files[i]);
    utf8_unlink(to);
  }
  CU_ASSERT_EQUAL(utf8_rmdir(dir), 0);
}

/* var_model_dir_class_names gives a folder's model's names as the loaded model does */
static void expect_dir_names(var_ctx *ctx, const char *dir, int own)
{
  static const char *const queries[] = { "stripes", "RINGS", "chec", "goldfish", "", "tench" };
  var_class_names *c = NULL;
  var_model *m = load(ctx, dir);
  var_model_info info;
  unsigned q;
  int i;
  CU_ASSERT_EQUAL_FATAL(var_model_dir_class_names(ctx, dir, NULL, &c), VAR_OK);
  CU_ASSERT_EQUAL_FATAL(var_model_get_info(m, &info), VAR_OK);
  CU_ASSERT_EQUAL(var_class_names_count(c), info.num_classes);
  CU_ASSERT_EQUAL(var_class_names_own(c), own);
  CU_ASSERT_EQUAL(info.own_class_names, own);
  for (i = -1; i <= info.num_classes; i++) {
    const char *a = var_class_names_get(c, i), *b = var_model_class_name(m, i);
    CU_ASSERT((a == NULL) == (b == NULL));
    if (a && b) CU_ASSERT_STRING_EQUAL(a, b);
    if (b) CU_ASSERT_EQUAL(var_class_names_find(c, b), var_model_class_find(m, b));
  }
  for (q = 0; q < sizeof queries / sizeof queries[0]; q++)
    CU_ASSERT_EQUAL(var_class_names_find(c, queries[q]), var_model_class_find(m, queries[q]));
  var_class_names_free(c);
  var_model_free(m);
}

static void test_demo_dir_class_names(void)
{
  char dir[] = "/tmp/libvar-dirnames-XXXXXX", path[PATH_MAX + 64], src[PATH_MAX], msg[1024];
  var_ctx *ctx = NULL;
  var_class_names *c = NULL;
  var_model *m = NULL;
  FILE *fp;
  CU_ASSERT_EQUAL_FATAL(var_ctx_new(NULL, &ctx), VAR_OK);
  expect_dir_names(ctx, DEMO_MODEL, 6);
  expect_dir_names(ctx, GOLDEN_DIR("tiny"), 0);
  /* only the transformer's index is read: a VQ-VAE that cannot be loaded does not matter */
  CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
  CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(DEMO_MODEL "/var_demo.pth", src));
  snprintf(path, sizeof path, "%s/var_demo.pth", dir);
  CU_ASSERT_EQUAL_FATAL(symlink(src, path), 0);
  CU_ASSERT_PTR_NOT_NULL_FATAL(realpath(DEMO_MODEL "/classes.txt", src));
  snprintf(path, sizeof path, "%s/classes.txt", dir);
  CU_ASSERT_EQUAL_FATAL(symlink(src, path), 0);
  snprintf(path, sizeof path, "%s/vae_demo.pth", dir);
  fp = fopen(path, "w");
  CU_ASSERT_PTR_NOT_NULL_FATAL(fp);
  fputs("not a checkpoint", fp);
  fclose(fp);
  CU_ASSERT_NOT_EQUAL(var_model_load_dir(ctx, dir, NULL, &m), VAR_OK);
  CU_ASSERT_EQUAL_FATAL(var_model_dir_class_names(ctx, dir, NULL, &c), VAR_OK);
  CU_ASSERT_EQUAL(var_class_names_count(c), 6);
  CU_ASSERT_EQUAL(var_class_names_own(c), 6);
  CU_ASSERT_STRING_EQUAL(var_class_names_get(c, 5), "blob");
  CU_ASSERT_EQUAL(var_class_names_find(c, "grad"), 2);
  var_class_names_free(c);
  unlink(path);
  snprintf(path, sizeof path, "%s/classes.txt", dir);
  unlink(path);
  snprintf(path, sizeof path, "%s/var_demo.pth", dir);
  unlink(path);
  rmdir(dir);
  /* a folder without a model fails as var_model_load_dir does, with its message */
  CU_ASSERT_EQUAL(var_model_load_dir(ctx, "/nonexistent/var-models", NULL, &m), VAR_ERR_NOT_FOUND);
  snprintf(msg, sizeof msg, "%s", var_ctx_last_error(ctx));
  c = (var_class_names *)&c;
  CU_ASSERT_EQUAL(var_model_dir_class_names(ctx, "/nonexistent/var-models", NULL, &c), VAR_ERR_NOT_FOUND);
  CU_ASSERT_PTR_NULL(c);
  CU_ASSERT_STRING_EQUAL(var_ctx_last_error(ctx), msg);
  CU_ASSERT_EQUAL(var_model_dir_class_names(ctx, DEMO_MODEL, NULL, NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_model_dir_class_names(NULL, DEMO_MODEL, NULL, &c), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_class_names_count(NULL), 0);
  CU_ASSERT_EQUAL(var_class_names_own(NULL), 0);
  CU_ASSERT_PTR_NULL(var_class_names_get(NULL, 0));
  CU_ASSERT_EQUAL(var_class_names_find(NULL, "x"), -1);
  var_class_names_free(NULL);
  var_ctx_free(ctx);
}

/* Root-mean-square error (8-bit levels) inside the 12x12 hole at (10, 10) of a
 * 32x32 in-paint with the README's settings; with `outpaint`, the hole is made
 * transparent and out-painted instead. */
static double hole_rms(var_model *m, const var_image *im, int seamless, int outpaint)
{
  uint8_t md[32 * 32], px[32 * 32 * 4];
  var_mask mask = { 32, 32, 32, md };
  var_image holed = { 32, 32, 128, px };
  var_edit_params p;
  var_result *r = NULL;
  const var_image *o;
  double se = 0;
  int x, y, c;
  for (y = 0; y < 32; y++)
    for (x = 0; x < 32; x++) md[y * 32 + x] = x >= 10 && x < 22 && y >= 10 && y < 22 ? 255 : 0;
  var_edit_params_default(&p);
  p.sample.top_k = 1;
  p.strength = 0.25f;
  p.mask_grow = 0;
  p.context_margin = 32;
  p.seamless = seamless;
  if (outpaint) {
    memcpy(px, im->data, sizeof px);
    for (x = 0; x < 32 * 32; x++)
      if (md[x]) px[4 * x + 3] = 0;
    CU_ASSERT_EQUAL_FATAL(var_outpaint(m, &holed, 0, 0, 0, 0, &p, &r), VAR_OK);
  } else {
    CU_ASSERT_EQUAL_FATAL(var_inpaint(m, im, &mask, &p, &r), VAR_OK);
  }
  o = var_result_image(r, 0);
  for (y = 10; y < 22; y++)
    for (x = 10; x < 22; x++)
      for (c = 0; c < 3; c++) {
        double d = (double)o->data[y * o->stride + 4 * x + c] - im->data[y * im->stride + 4 * x + c];
        se += d * d;
      }
  CU_ASSERT((strstr(var_result_description(r, 0), " seamless=0") != NULL) == !seamless);
  var_result_free(r);
  return sqrt(se / (12 * 12 * 3));
}

/* Seamless blending on trained weights: on a smooth gradient the generated
 * pixels' colour miss shrinks (15.6 -> 7.8 levels RMS when written), in-painted
 * or out-painted (the same window either way); on stripes, where the error is
 * mostly the stripes' phase, it is not worse (66.2 -> 60.6). */
static void test_demo_seamless(void)
{
  var_ctx *ctx = NULL;
  var_model *m;
  uint8_t px[32 * 32 * 4];
  var_image im = { 32, 32, 128, px };
  double paste, seamless;
  int x, y;
  CU_ASSERT_EQUAL_FATAL(var_ctx_new(NULL, &ctx), VAR_OK);
  m = load(ctx, DEMO_MODEL);
  for (y = 0; y < 32; y++)
    for (x = 0; x < 32; x++) {
      uint8_t *q = px + 4 * (y * 32 + x);
      /* along the training colour ramp, dark blue to purple (tools/train/data.py) */
      double t = (x + 0.5 * y) / 47.0;
      q[0] = (uint8_t)(13 + 76 * t);
      q[1] = (uint8_t)(8 + 7 * t);
      q[2] = (uint8_t)(64 + 76 * t);
      q[3] = 255;
    }
  paste = hole_rms(m, &im, 0, 0);
  seamless = hole_rms(m, &im, 1, 0);
  printf("\n  gradient: hole RMS error %.2f levels pasted, %.2f seamless\n", paste, seamless);
  CU_ASSERT(seamless < 0.9 * paste);
  paste = hole_rms(m, &im, 0, 1);
  seamless = hole_rms(m, &im, 1, 1);
  printf("  gradient, out-painted: %.2f levels pasted, %.2f seamless\n", paste, seamless);
  CU_ASSERT(seamless < 0.9 * paste);
  for (y = 0; y < 32; y++)
    for (x = 0; x < 32; x++) {
      uint8_t *q = px + 4 * (y * 32 + x);
      int on = ((x + y) / 6) & 1;   /* diagonal stripes, period 12 px */
      q[0] = on ? 250 : 13;   /* ramp colours: yellow and dark blue */
      q[1] = on ? 209 : 8;
      q[2] = on ? 64 : 64;
    }
  paste = hole_rms(m, &im, 0, 0);
  seamless = hole_rms(m, &im, 1, 0);
  printf("  stripes: hole RMS error %.2f levels pasted, %.2f seamless\n", paste, seamless);
  CU_ASSERT(seamless <= 1.02 * paste);
  var_model_free(m);
  var_ctx_free(ctx);
}

int main(void)
{
  static const test_case tests[] = {
    { "demo checkpoints: tensor list and hashes", test_demo_checkpoints },
    { "demo VQ-VAE: encode, quantise, decode vs PyTorch", test_demo_vae },
    { "demo transformer: teacher-forced forward vs PyTorch", test_demo_tf },
    { "demo class names from classes.txt", test_demo_class_names },
    { "hostile classes.txt is skipped line by line", test_demo_hostile_class_names },
    { "a model folder with a non-ASCII (UTF-8) name", test_demo_utf8_folder },
    { "a model folder's class names without loading the model", test_demo_dir_class_names },
    { "seamless blend: gradient colours restored, texture not worse", test_demo_seamless },
    { NULL, NULL },
  };
  return run_suite("demo", tests);
}

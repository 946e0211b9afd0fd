/* test_cli.c — the `var` command: PNG reading/writing (png_io.c) and the
 * messages and exit codes of the editing commands, by running the binary. */
#include "test_support.h"

#include "png_io.h"
#include "var.h"

#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* models/demo, the small trained model that ships with the project */
#define DEMO_MODEL_DIR VAR_TEST_DATA "/../../models/demo"

#ifndef VAR_EXE
#error "VAR_EXE must name the built var binary"
#endif

static char tmp[256];

static const char *tmp_path(const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, name);
  return buf[k];
}

/* Runs `var ARGS` (stderr merged); returns the exit code and the output in out. */
static int run_var(const char *args, char *out, size_t size)
{
  char cmd[2048];
  FILE *p;
  size_t n;
  int status;
  snprintf(cmd, sizeof cmd, "env -u VAR_MODEL_DIR HOME=%s XDG_DATA_HOME= %s %s 2>&1", tmp, VAR_EXE, args);
  p = popen(cmd, "r");
  if (!p) return -1;
  n = fread(out, 1, size - 1, p);
  out[n] = '\0';
  status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}


/* Runs `var ARGS` (stderr merged) with one resource limit set in the child and a
 * watchdog: after timeout_s seconds it is killed.  Returns the exit code, or
 * -1 when it was killed by a signal (*sig says which; SIGKILL after a timeout
 * with *timed_out set). */
static int run_var_limited(const char *args, int resource, rlim_t limit, double timeout_s, char *out, size_t size,
                           int *sig, int *timed_out)
{
  char cmd[2048];
  const char *log = tmp_path("limited.log");
  struct timespec t0, t;
  pid_t pid;
  int status = 0;
  FILE *f;
  size_t n;
  *sig = 0;
  *timed_out = 0;
  snprintf(cmd, sizeof cmd, "exec env -u VAR_MODEL_DIR HOME=%s XDG_DATA_HOME= %s %s >%s 2>&1", tmp, VAR_EXE, args, log);
  clock_gettime(CLOCK_MONOTONIC, &t0);
  pid = fork();
  if (pid < 0) return -2;
  if (pid == 0) {
    struct rlimit rl;
    rl.rlim_cur = rl.rlim_max = limit;
    if (setrlimit(resource, &rl) != 0) _exit(120);
    execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
    _exit(121);
  }
  for (;;) {
    pid_t r = waitpid(pid, &status, WNOHANG);
    if (r == pid) break;
    if (r < 0 && errno != EINTR) return -2;
    clock_gettime(CLOCK_MONOTONIC, &t);
    if ((double)(t.tv_sec - t0.tv_sec) + 1e-9 * (double)(t.tv_nsec - t0.tv_nsec) > timeout_s) {
      kill(pid, SIGKILL);
      waitpid(pid, &status, 0);
      *timed_out = 1;
      break;
    }
    usleep(5000);
  }
  out[0] = '\0';
  if ((f = fopen(log, "rb")) != NULL) {
    n = fread(out, 1, size - 1, f);
    out[n] = '\0';
    fclose(f);
  }
  if (WIFSIGNALED(status)) {
    *sig = WTERMSIG(status);
    return -1;
  }
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int file_is(const char *path, const void *want, size_t n)
{
  size_t got;
  uint8_t *b = slurp(path, &got);
  int same = b && got == n && !memcmp(b, want, n);
  free(b);
  return same;
}

/* Entries of a folder (without . and ..). */
static int count_entries(const char *dir)
{
  DIR *d = opendir(dir);
  struct dirent *e;
  int n = 0;
  if (!d) return -1;
  while ((e = readdir(d)) != NULL) n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
  closedir(d);
  return n;
}

static void write_file(const char *path, const void *data, size_t n)
{
  FILE *f = fopen(path, "wb");
  CU_ASSERT_FATAL(f != NULL);
  fwrite(data, 1, n, f);
  fclose(f);
}

static var_image make_image(int w, int h)
{
  var_image im;
  int i;
  im.width = w;
  im.height = h;
  im.stride = 4 * w;
  im.data = malloc((size_t)4 * w * h);
  for (i = 0; i < 4 * w * h; i++) im.data[i] = (uint8_t)(i * 37 + i / 7);
  return im;
}

static uint32_t crc32_of(const uint8_t *p, size_t n)
{
  uint32_t c = 0xFFFFFFFFu;
  size_t i;
  int k;
  for (i = 0; i < n; i++) {
    c ^= p[i];
    for (k = 0; k < 8; k++) c = (c >> 1) ^ (0xEDB88320u & (0u - (c & 1u)));
  }
  return ~c;
}

static void put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* ---- png_io --------------------------------------------------------------------------- */

static void test_png_round_trip(void)
{
  var_image im = make_image(37, 11), back;
  char err[512];
  CU_ASSERT_FATAL(png_write_rgba(tmp_path("rt.png"), &im, "VAR test seed=1", err, sizeof err) == 0);
  CU_ASSERT_FATAL(png_read_rgba(tmp_path("rt.png"), &back, err, sizeof err) == 0);
  CU_ASSERT(back.width == 37 && back.height == 11 && back.stride == 4 * 37);
  CU_ASSERT(memcmp(im.data, back.data, (size_t)4 * 37 * 11) == 0);
  /* the parameters travel in a tEXt chunk: keyword, NUL, text */
  {
    static const char want[] = "tEXtparameters\0VAR test seed=1";
    FILE *f = fopen(tmp_path("rt.png"), "rb");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f), i;
    int found = 0;
    fclose(f);
    for (i = 0; i + sizeof want - 1 <= n && !found; i++) found = !memcmp(buf + i, want, sizeof want - 1);
    CU_ASSERT(found);
  }
  free(back.data);
  free(im.data);
}

static void test_png_errors(void)
{
  var_image im = make_image(64, 64), out;
  char err[512];
  FILE *f;
  long size;
  uint8_t *buf;
  /* missing */
  CU_ASSERT(png_read_rgba(tmp_path("missing.png"), &out, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "cannot open") && strstr(err, "No such file"));
  CU_ASSERT_PTR_NULL(out.data);
  /* not a PNG */
  write_file(tmp_path("text.png"), "hello, world\n", 13);
  CU_ASSERT(png_read_rgba(tmp_path("text.png"), &out, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "not a readable PNG") != NULL);
  /* empty */
  write_file(tmp_path("empty.png"), "", 0);
  CU_ASSERT(png_read_rgba(tmp_path("empty.png"), &out, err, sizeof err) == -1);
  /* truncated */
  CU_ASSERT_FATAL(png_write_rgba(tmp_path("full.png"), &im, NULL, err, sizeof err) == 0);
  f = fopen(tmp_path("full.png"), "rb");
  fseek(f, 0, SEEK_END);
  size = ftell(f);
  fseek(f, 0, SEEK_SET);
  buf = malloc((size_t)size);
  CU_ASSERT_FATAL(fread(buf, 1, (size_t)size, f) == (size_t)size);
  fclose(f);
  write_file(tmp_path("cut.png"), buf, (size_t)size / 2);
  CU_ASSERT(png_read_rgba(tmp_path("cut.png"), &out, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "cut.png") != NULL);
  CU_ASSERT_PTR_NULL(out.data);
  free(buf);
  /* a valid header claiming 100000 x 100000 pixels (IHDR, empty IDAT, IEND): refused
   * before any allocation */
  {
    uint8_t png[8 + 25 + 12 + 12] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n' };
    put32(png + 8, 13);
    memcpy(png + 12, "IHDR", 4);
    put32(png + 16, 100000);
    put32(png + 20, 100000);
    png[24] = 8;   /* depth */
    png[25] = 6;   /* RGBA */
    put32(png + 29, crc32_of(png + 12, 17));
    memcpy(png + 37, "IDAT", 4);
    put32(png + 41, crc32_of(png + 37, 4));
    memcpy(png + 49, "IEND", 4);
    put32(png + 53, crc32_of(png + 49, 4));
    write_file(tmp_path("huge.png"), png, sizeof png);
    CU_ASSERT(png_read_rgba(tmp_path("huge.png"), &out, err, sizeof err) == -1);
    CU_ASSERT(strstr(err, "100000x100000") != NULL);
  }
  /* a directory */
  CU_ASSERT(png_read_rgba(tmp, &out, err, sizeof err) == -1);
  /* unwritable output */
  CU_ASSERT(png_write_rgba("/nonexistent-dir/x.png", &im, NULL, err, sizeof err) == -1);
  CU_ASSERT(strstr(err, "cannot create") != NULL);
  free(im.data);
}

static void test_png_mask(void)
{
  var_image im = make_image(4, 1);
  var_mask m;
  uint8_t *data;
  char err[512];
  static const uint8_t px[16] = { 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 0, 255, 255, 255, 128 };
  memcpy(im.data, px, 16);
  CU_ASSERT_FATAL(png_write_rgba(tmp_path("mask.png"), &im, NULL, err, sizeof err) == 0);
  CU_ASSERT_FATAL(png_read_mask(tmp_path("mask.png"), &m, &data, err, sizeof err) == 0);
  CU_ASSERT(m.width == 4 && m.height == 1 && m.stride == 4);
  CU_ASSERT_EQUAL(data[0], 255);   /* white */
  CU_ASSERT_EQUAL(data[1], 0);     /* black */
  CU_ASSERT_EQUAL(data[2], 0);     /* white but fully transparent */
  CU_ASSERT_EQUAL(data[3], 128);   /* white, half transparent */
  free(data);
  CU_ASSERT(png_read_mask(tmp_path("missing.png"), &m, &data, err, sizeof err) == -1);
  CU_ASSERT_PTR_NULL(data);
  free(im.data);
}

/* ---- the binary ---------------------------------------------------------------------- */

static void test_cli_usage(void)
{
  char out[8192];
  CU_ASSERT_EQUAL(run_var("--help", out, sizeof out), 0);
  CU_ASSERT(strstr(out, "inpaint") && strstr(out, "outpaint") && strstr(out, "huggingface.co/FoundationVision/var"));
  CU_ASSERT_EQUAL(run_var("inpaint --help", out, sizeof out), 0);
  CU_ASSERT(strstr(out, "--mask") && strstr(out, "--variants") && strstr(out, "--model-dir"));
  CU_ASSERT_EQUAL(run_var("outpaint --help", out, sizeof out), 0);
  CU_ASSERT(strstr(out, "--extend") != NULL);
  CU_ASSERT_EQUAL(run_var("generate --help", out, sizeof out), 0);
  CU_ASSERT_EQUAL(run_var("edit --help", out, sizeof out), 0);
  CU_ASSERT_EQUAL(run_var("inpaint", out, sizeof out), 2);
  CU_ASSERT_EQUAL(run_var("inpaint a.png", out, sizeof out), 2);               /* no mask */
  CU_ASSERT(strstr(out, "--mask") != NULL);
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 1,2,3", out, sizeof out), 2);
  CU_ASSERT(strstr(out, "X,Y,W,H") != NULL);
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --top-p 7", out, sizeof out), 2);
  CU_ASSERT(strstr(out, "--top-p") != NULL);
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --variants 0", out, sizeof out), 2);
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --seed -3", out, sizeof out), 2);
  /* strtoull skips the blank and negates: 2^64 - 5 once */
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --seed ' -5'", out, sizeof out), 2);
  CU_ASSERT(strstr(out, "a number >= 0") != NULL);
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --seed +5", out, sizeof out), 2);
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --bogus 1", out, sizeof out), 2);
  CU_ASSERT(strstr(out, "unknown option --bogus") != NULL);
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --fill noise", out, sizeof out), 2);
  CU_ASSERT(strstr(out, "smooth or original") != NULL);
  CU_ASSERT_EQUAL(run_var("generate --fill smooth", out, sizeof out), 2);   /* nothing to fill */
  CU_ASSERT_EQUAL(run_var("inpaint a.png --rect 0,0,4,4 --strength 1.5", out, sizeof out), 2);
  CU_ASSERT(strstr(out, "0..1") != NULL);
  CU_ASSERT_EQUAL(run_var("edit a.png --rect 0,0,4,4", out, sizeof out), 2);   /* edit needs --class */
  CU_ASSERT(strstr(out, "--class") != NULL);
  CU_ASSERT_EQUAL(run_var("outpaint a.png --extend 1,2", out, sizeof out), 2);
  CU_ASSERT_EQUAL(run_var("outpaint a.png --extend -1", out, sizeof out), 2);
  CU_ASSERT_EQUAL(run_var("frobnicate", out, sizeof out), 2);
}

static void test_cli_file_errors(void)
{
  char out[8192], args[1024];
  var_image im = make_image(20, 10), small = make_image(10, 10);
  char err[512];
  CU_ASSERT_FATAL(png_write_rgba(tmp_path("in.png"), &im, NULL, err, sizeof err) == 0);
  CU_ASSERT_FATAL(png_write_rgba(tmp_path("small.png"), &small, NULL, err, sizeof err) == 0);
  write_file(tmp_path("bad.png"), "GIF89a", 6);
  snprintf(args, sizeof args, "inpaint %s --rect 0,0,2,2", tmp_path("nope.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "cannot open") && strstr(out, "nope.png"));
  snprintf(args, sizeof args, "outpaint %s --extend 8", tmp_path("bad.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "not a readable PNG") != NULL);
  snprintf(args, sizeof args, "inpaint %s --mask %s", tmp_path("in.png"), tmp_path("bad.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "mask:") != NULL);
  snprintf(args, sizeof args, "inpaint %s --mask %s", tmp_path("in.png"), tmp_path("small.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "10x10") && strstr(out, "20x10"));
  snprintf(args, sizeof args, "inpaint %s --rect 50,0,2,2", tmp_path("in.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "outside") != NULL);
  snprintf(args, sizeof args, "inpaint %s --mask %s", tmp_path("huge.png"), tmp_path("huge.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "at most") != NULL);
  free(im.data);
  free(small.data);
}

/* Without models the commands say exactly what to download and where to put it. */
static void test_cli_missing_model(void)
{
  char out[8192], args[1024];
  snprintf(args, sizeof args, "generate --model-dir %s", tmp_path("no-such-dir"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "https://huggingface.co/FoundationVision/var/resolve/main/vae_ch160v4096z32.pth") != NULL);
  CU_ASSERT(strstr(out, "var_d16.pth") != NULL);
  CU_ASSERT(strstr(out, "no-such-dir") != NULL);
  /* the default folder under $HOME */
  CU_ASSERT_EQUAL(run_var("generate", out, sizeof out), 1);
  CU_ASSERT(strstr(out, ".local/share/libvar/models") != NULL);
  /* a named model that is not there */
  snprintf(args, sizeof args, "generate --model-dir %s --model d30", GOLDEN_DIR("tiny"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "var_d30.pth") && strstr(out, "resolve/main/var_d30.pth") && strstr(out, "var_d2.pth"));
}

static int same_pixels_outside(const var_image *a, const var_image *b, int x0, int y0, int w, int h)
{
  int x, y, bad = 0;
  if (a->width != b->width || a->height != b->height) return -1;
  for (y = 0; y < a->height; y++)
    for (x = 0; x < a->width; x++)
      if (x < x0 || y < y0 || x >= x0 + w || y >= y0 + h)
        bad += memcmp(a->data + (size_t)y * a->stride + 4 * x, b->data + (size_t)y * b->stride + 4 * x, 4) != 0;
  return bad;
}

/* The commands end to end on the tiny golden model (64 px, 10 classes). */
static void test_cli_tiny_model(void)
{
  char out[8192], args[2048], err[512];
  var_image im = make_image(90, 50), res;
  CU_ASSERT_FATAL(png_write_rgba(tmp_path("photo.png"), &im, NULL, err, sizeof err) == 0);
  snprintf(args, sizeof args, "inpaint %s --rect 30,10,20,15 --model-dir %s --variants 2 --seed 5 --class 3 --out %s",
           tmp_path("photo.png"), GOLDEN_DIR("tiny"), tmp_path("fill.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "fill-2.png: VAR inpaint var_d2 seed=6 ") != NULL);
  CU_ASSERT(strstr(out, " fill=smooth") != NULL);
  CU_ASSERT_FATAL(png_read_rgba(tmp_path("fill-1.png"), &res, err, sizeof err) == 0);
  CU_ASSERT_EQUAL(same_pixels_outside(&im, &res, 30, 10, 20, 15), 0);
  free(res.data);
  snprintf(args, sizeof args, "outpaint %s --extend 4,0,30,7 --model-dir %s -q --out %s", tmp_path("photo.png"),
           GOLDEN_DIR("tiny"), tmp_path("wide.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT_FATAL(png_read_rgba(tmp_path("wide.png"), &res, err, sizeof err) == 0);
  CU_ASSERT(res.width == 124 && res.height == 57);
  free(res.data);
  snprintf(args, sizeof args, "outpaint %s --extend 0,0,8,0 --fill original --model-dir %s --out %s",
           tmp_path("photo.png"), GOLDEN_DIR("tiny"), tmp_path("wide.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "VAR outpaint var_d2 ") != NULL && strstr(out, " fill=original") != NULL);
  CU_ASSERT(strstr(out, "strength") == NULL);   /* only said when below 1 */
  CU_ASSERT(strstr(out, "seamless") == NULL);   /* only said when off */
  snprintf(args, sizeof args, "outpaint %s --extend 0,0,8,0 --blend paste --model-dir %s --out %s",
           tmp_path("photo.png"), GOLDEN_DIR("tiny"), tmp_path("wide.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, " seamless=0") != NULL);
  snprintf(args, sizeof args, "inpaint %s --rect 1,1,2,2 --blend smooth --model-dir %s --out %s",
           tmp_path("photo.png"), GOLDEN_DIR("tiny"), tmp_path("x.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 2);
  CU_ASSERT(strstr(out, "seamless or paste") != NULL);
  snprintf(args, sizeof args, "inpaint %s --rect 30,10,20,15 --strength 0.5 --model-dir %s --out %s",
           tmp_path("photo.png"), GOLDEN_DIR("tiny"), tmp_path("half.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, " strength=0.5") != NULL);
  snprintf(args, sizeof args, "generate --model-dir %s --model var_d2 --class 7 --cfg 1.5 --out %s", GOLDEN_DIR("tiny"),
           tmp_path("gen.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "class=7") != NULL);
  CU_ASSERT_FATAL(png_read_rgba(tmp_path("gen.png"), &res, err, sizeof err) == 0);
  CU_ASSERT(res.width == 64 && res.height == 64);
  free(res.data);
  /* a class the model does not have */
  snprintf(args, sizeof args, "generate --model-dir %s --class 12 --out %s", GOLDEN_DIR("tiny"), tmp_path("x.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 2);
  CU_ASSERT(strstr(out, "0..9") != NULL);
  /* names only ImageNet has mean nothing to a 10-class model */
  snprintf(args, sizeof args, "generate --model-dir %s --class tabby --out %s", GOLDEN_DIR("tiny"), tmp_path("x.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 2);
  CU_ASSERT(strstr(out, "10-class model") != NULL);
  free(im.data);
}

/* The shipped demo model: its class names come from models/demo/classes.txt,
 * and the README's in-paint writes a 32x32 PNG that keeps the unmasked pixels. */
static void test_cli_demo_model(void)
{
  char out[8192], args[2048], err[512];
  var_image a, b;
  snprintf(args, sizeof args, "generate --model-dir %s --class rin --seed 2 --out %s", DEMO_MODEL_DIR,
           tmp_path("rings.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "class=3 \"rings\"") != NULL);   /* the name from classes.txt */
  snprintf(args, sizeof args, "generate --model-dir %s --class zebra --out %s", DEMO_MODEL_DIR, tmp_path("x.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 2);
  CU_ASSERT(strstr(out, "classes.txt") != NULL);
  /* the README's command (scripts/run-demo.sh) */
  snprintf(args, sizeof args,
           "inpaint %s/example.png --mask %s/mask.png --model-dir %s --top-k 1 --strength 0.25 --grow 0 --margin 32 "
           "--out %s",
           DEMO_MODEL_DIR, DEMO_MODEL_DIR, DEMO_MODEL_DIR, tmp_path("demo-fill.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  snprintf(args, sizeof args, "%s/example.png", DEMO_MODEL_DIR);
  CU_ASSERT_FATAL(png_read_rgba(args, &a, err, sizeof err) == 0);
  CU_ASSERT_FATAL(png_read_rgba(tmp_path("demo-fill.png"), &b, err, sizeof err) == 0);
  CU_ASSERT(b.width == 32 && b.height == 32);
  CU_ASSERT_EQUAL(same_pixels_outside(&a, &b, 10, 10, 12, 12), 0);
  /* it predicts what was under the mask (example.png still has it; the smooth fill hides it from the
   * model) better than the mean colour of the rest does: 18.6 dB vs 11.5 when this was written */
  {
    double se_c = 0, se_m = 0, mean[3] = { 0, 0, 0 };
    int x, y, c, n = 0;
    for (y = 0; y < 32; y++)
      for (x = 0; x < 32; x++)
        if (x < 10 || y < 10 || x >= 22 || y >= 22) {
          for (c = 0; c < 3; c++) mean[c] += a.data[y * a.stride + 4 * x + c];
          n++;
        }
    for (y = 10; y < 22; y++)
      for (x = 10; x < 22; x++)
        for (c = 0; c < 3; c++) {
          double t = a.data[y * a.stride + 4 * x + c], g = b.data[y * b.stride + 4 * x + c];
          se_c += (g - t) * (g - t);
          se_m += (mean[c] / n - t) * (mean[c] / n - t);
        }
    printf("\n  demo in-paint: %.2f dB in the hole, mean fill %.2f dB\n", 10 * log10(255.0 * 255 * 432 / se_c),
           10 * log10(255.0 * 255 * 432 / se_m));
    CU_ASSERT(10 * log10(se_m / se_c) > 3.0);
  }
  free(a.data);
  free(b.data);
}


/* Outputs lose nothing: a write that fails (here a file-size limit: write()
 * fails with EFBIG as it does with ENOSPC on a full disk) leaves the existing
 * files as they were and no partial file; variants are written all or none. */
static void test_cli_outputs_atomic(void)
{
  char out[8192], args[2048], name[64];
  char dir[256];
  size_t size[3], smallest = (size_t)-1, largest = 0, n;
  uint8_t *ref[3];
  int i, sig, timed_out;
  snprintf(dir, sizeof dir, "%s", tmp_path("atomic"));
  CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
  /* the reference set (the same seed gives the same bytes) */
  snprintf(args, sizeof args, "generate --model-dir %s --variants 3 --seed 5 --class 3 -q --out %s/ref.png",
           GOLDEN_DIR("tiny"), dir);
  CU_ASSERT_FATAL(run_var(args, out, sizeof out) == 0);
  for (i = 0; i < 3; i++) {
    snprintf(args, sizeof args, "%s/ref-%d.png", dir, i + 1);
    ref[i] = slurp(args, &size[i]);
    CU_ASSERT_FATAL(ref[i] != NULL);
    if (size[i] < smallest) smallest = size[i];
    if (size[i] > largest) largest = size[i];
  }
  /* a limit that the largest variant passes and the others do not: without
   * all-or-none the others would be written */
  CU_ASSERT_FATAL(smallest < largest);
  for (i = 0; i < 3; i++) {
    snprintf(args, sizeof args, "%s/keep-%d.png", dir, i + 1);
    snprintf(name, sizeof name, "old content %d", i);
    write_file(args, name, strlen(name));
  }
  snprintf(args, sizeof args, "generate --model-dir %s --variants 3 --seed 5 --class 3 -q --out %s/keep.png",
           GOLDEN_DIR("tiny"), dir);
  CU_ASSERT_EQUAL(run_var_limited(args, RLIMIT_FSIZE, (rlim_t)largest - 1, 60, out, sizeof out, &sig, &timed_out), 1);
  CU_ASSERT(!sig && !timed_out);
  CU_ASSERT(strstr(out, "File too large") != NULL);
  CU_ASSERT(strstr(out, "none of the 3 results was written") != NULL);
  for (i = 0; i < 3; i++) {
    snprintf(args, sizeof args, "%s/keep-%d.png", dir, i + 1);
    snprintf(name, sizeof name, "old content %d", i);
    CU_ASSERT(file_is(args, name, strlen(name)));
  }
  CU_ASSERT_EQUAL(count_entries(dir), 6);   /* ref-1..3, keep-1..3: no temporary file left */
  /* one output, a limit below its size */
  snprintf(args, sizeof args, "generate --model-dir %s --seed 5 --class 3 -q --out %s/keep-1.png", GOLDEN_DIR("tiny"),
           dir);
  CU_ASSERT_EQUAL(run_var_limited(args, RLIMIT_FSIZE, 100, 60, out, sizeof out, &sig, &timed_out), 1);
  CU_ASSERT(!sig && !timed_out && strstr(out, "could not write") != NULL);
  snprintf(args, sizeof args, "%s/keep-1.png", dir);
  CU_ASSERT(file_is(args, "old content 0", 13));
  CU_ASSERT_EQUAL(count_entries(dir), 6);
  /* without the limit the set replaces the old files, with a new file's permissions */
  snprintf(args, sizeof args, "generate --model-dir %s --variants 3 --seed 5 --class 3 -q --out %s/keep.png",
           GOLDEN_DIR("tiny"), dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  for (i = 0; i < 3; i++) {
    struct stat st;
    mode_t mask = umask(0);
    umask(mask);
    snprintf(args, sizeof args, "%s/keep-%d.png", dir, i + 1);
    CU_ASSERT(file_is(args, ref[i], size[i]));
    CU_ASSERT(stat(args, &st) == 0 && (st.st_mode & 0777) == (0666 & ~mask));
    free(ref[i]);
  }
  CU_ASSERT_EQUAL(count_entries(dir), 6);
  /* through a symbolic link: the file it points at is replaced, the link stays */
  snprintf(args, sizeof args, "%s/link.png", dir);
  snprintf(name, sizeof name, "keep-2.png");
  CU_ASSERT_FATAL(symlink(name, args) == 0);
  snprintf(args, sizeof args, "generate --model-dir %s --seed 5 --class 3 -q --out %s/link.png", GOLDEN_DIR("tiny"),
           dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  {
    struct stat st;
    snprintf(args, sizeof args, "%s/link.png", dir);
    CU_ASSERT(lstat(args, &st) == 0 && S_ISLNK(st.st_mode));
    snprintf(args, sizeof args, "%s/ref-1.png", dir);
    ref[0] = slurp(args, &n);
    snprintf(args, sizeof args, "%s/keep-2.png", dir);
    CU_ASSERT(ref[0] && file_is(args, ref[0], n));   /* variant 1 of seed 5 = the single image of seed 5 */
    free(ref[0]);
  }
}

/* Outputs are checked before the model is loaded (the model folder here does not
 * exist, so any message about the output proves that), and an --out that names
 * an input is refused however it is spelled. */
static void test_cli_outputs_checked_first(void)
{
  char out[8192], args[2048];
  char dir[256];
  var_image im = make_image(20, 10);
  char err[512], in[300], mask[300];
  size_t n_in, n_mask;
  uint8_t *in_bytes, *mask_bytes;
  snprintf(dir, sizeof dir, "%s", tmp_path("first"));
  CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
  snprintf(in, sizeof in, "%s/in.png", dir);
  snprintf(mask, sizeof mask, "%s/mask.png", dir);
  CU_ASSERT_FATAL(png_write_rgba(in, &im, NULL, err, sizeof err) == 0);
  CU_ASSERT_FATAL(png_write_rgba(mask, &im, NULL, err, sizeof err) == 0);
  in_bytes = slurp(in, &n_in);
  mask_bytes = slurp(mask, &n_mask);
  /* the input, spelled as given, through ./ and .., a hard link and a symbolic link */
  snprintf(args, sizeof args, "inpaint %s --rect 0,0,4,4 --model-dir %s/none --out %s", in, dir, in);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "is the input") != NULL && strstr(out, "none") == NULL);
  snprintf(args, sizeof args, "inpaint %s --rect 0,0,4,4 --model-dir %s/none --out %s/./../first/in.png", in, dir, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "is the input") != NULL);
  snprintf(args, sizeof args, "%s/hard.png", dir);
  CU_ASSERT_FATAL(link(in, args) == 0);
  snprintf(args, sizeof args, "inpaint %s --rect 0,0,4,4 --model-dir %s/none --out %s/hard.png", in, dir, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "is the input") != NULL);
  snprintf(args, sizeof args, "%s/soft.png", dir);
  CU_ASSERT_FATAL(symlink("in.png", args) == 0);
  snprintf(args, sizeof args, "inpaint %s --rect 0,0,4,4 --model-dir %s/none --out %s/soft.png", in, dir, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "is the input") != NULL);
  /* the mask */
  snprintf(args, sizeof args, "inpaint %s --mask %s --model-dir %s/none --out %s", in, mask, dir, mask);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "is the input") != NULL && strstr(out, "mask.png") != NULL);
  CU_ASSERT(file_is(in, in_bytes, n_in) && file_is(mask, mask_bytes, n_mask));
  /* a missing folder, a folder in the way of one variant, a special file */
  snprintf(args, sizeof args, "generate --model-dir %s/none --out %s/no/such/x.png", dir, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "its folder") && strstr(out, "No such file"));
  snprintf(args, sizeof args, "%s/v-2.png", dir);
  CU_ASSERT_FATAL(mkdir(args, 0755) == 0);
  snprintf(args, sizeof args, "generate --model-dir %s --variants 3 --out %s/v.png", GOLDEN_DIR("tiny"), dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "v-2.png: it exists and is not a regular file") != NULL);
  snprintf(args, sizeof args, "%s/v-1.png", dir);
  CU_ASSERT(access(args, F_OK) != 0);   /* nothing written */
  snprintf(args, sizeof args, "%s/locked.png", dir);
  write_file(args, "keep", 4);
  CU_ASSERT_FATAL(chmod(args, 0444) == 0);
  snprintf(args, sizeof args, "generate --model-dir %s/none --out %s/locked.png", dir, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "locked.png: it exists and is read-only") != NULL);
  snprintf(args, sizeof args, "%s/locked.png", dir);
  CU_ASSERT(file_is(args, "keep", 4));
  CU_ASSERT_EQUAL(run_var("generate --out /dev/null", out, sizeof out), 1);
  CU_ASSERT(strstr(out, "not a regular file") != NULL);
  CU_ASSERT_EQUAL(count_entries(dir), 6);   /* in, mask, hard, soft, v-2, locked */
  free(in_bytes);
  free(mask_bytes);
  free(im.data);
}


#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define UNDER_SANITIZER 1
#endif
#endif

/* Under every address-space limit from the least that lets `var` start up to
 * one where it succeeds, `var generate` on the demo model either writes the
 * image an unlimited run writes, byte for byte, or fails with "out of memory"
 * and exit code 1, leaving no file, within 30 s (a hang is killed and fails). */
static void test_cli_memory_limits(void)
{
#ifdef UNDER_SANITIZER
  /* the sanitizers reserve terabytes of shadow memory: RLIMIT_AS cannot apply */
  printf("\n  skipped under a sanitizer (its shadow memory needs an unlimited address space)\n");
#else
  char out[8192], args[2048], path[600];
  char dir[256];
  const rlim_t mib = 1024 * 1024;
  uint8_t *ref;
  size_t n_ref;
  int lim, base = 0, first_ok = 0, n_ok = 0, n_oom = 0, n_bad = 0, sig, timed_out, rc;
  double worst = 0;
  snprintf(dir, sizeof dir, "%s", tmp_path("oom"));
  CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
  snprintf(args, sizeof args, "generate --model-dir %s --seed 1 --threads 2 -q --out %s/ref.png", DEMO_MODEL_DIR, dir);
  CU_ASSERT_FATAL(run_var(args, out, sizeof out) == 0);
  snprintf(path, sizeof path, "%s/ref.png", dir);
  ref = slurp(path, &n_ref);
  CU_ASSERT_FATAL(ref != NULL);
  /* below this the dynamic loader cannot map the libraries (exit 127), or
   * OpenBLAS's constructor cannot start its threads: before main, not ours */
  for (lim = 8; lim <= 1024 && !base; lim += 2)
    if (run_var_limited("version", RLIMIT_AS, (rlim_t)lim * mib, 30, out, sizeof out, &sig, &timed_out) == 0)
      base = lim;
  CU_ASSERT_FATAL(base > 0);
  snprintf(path, sizeof path, "%s/o.png", dir);
  snprintf(args, sizeof args, "generate --model-dir %s --seed 1 --threads 2 -q --out %s", DEMO_MODEL_DIR, path);
  for (lim = base; lim <= 2048 && (!first_ok || lim <= first_ok + 96); lim += lim < 128 ? 2 : 6) {
    struct timespec t0, t1;
    double dt;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc = run_var_limited(args, RLIMIT_AS, (rlim_t)lim * mib, 30, out, sizeof out, &sig, &timed_out);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    dt = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    if (dt > worst) worst = dt;
    if (rc == 0 && file_is(path, ref, n_ref)) {
      n_ok++;
      if (!first_ok) first_ok = lim;
    } else if (rc == 1 && strstr(out, "out of memory") && access(path, F_OK) != 0) {
      n_oom++;
    } else {
      n_bad++;
      printf("\n  %d MiB: exit %d, signal %d%s: %.300s", lim, rc, sig, timed_out ? " (timed out)" : "", out);
    }
    unlink(path);
    CU_ASSERT_EQUAL(count_entries(dir), 1);   /* ref.png only: nothing partial */
  }
  printf("\n  address-space limits %d..%d MiB: %d clean out-of-memory errors, %d correct images, %d other; "
         "slowest run %.2f s\n", base, lim, n_oom, n_ok, n_bad, worst);
  CU_ASSERT_EQUAL(n_bad, 0);
  CU_ASSERT(n_oom > 0 && n_ok > 0);
  free(ref);
#endif
}


/* `var verify`: one line per file, exit code 1 if any fails; names from a file
 * reach the terminal escaped. */
static void test_cli_verify(void)
{
  char out[8192], args[2048];
  /* a safetensors file whose tensor name carries a terminal escape sequence, holding a NaN */
  static const char header[] = "{\"\\u001b]0;owned\\u0007x\\u001b[2J\":{\"dtype\":\"F32\",\"shape\":[1],"
                               "\"data_offsets\":[0,4]}}";
  uint8_t file[8 + sizeof header - 1 + 4];
  const uint32_t nan_bits = 0x7FC00000u;
  memset(file, 0, sizeof file);
  file[0] = (uint8_t)(sizeof header - 1);
  memcpy(file + 8, header, sizeof header - 1);
  memcpy(file + 8 + sizeof header - 1, &nan_bits, 4);
  write_file(tmp_path("evil.safetensors"), file, sizeof file);
  snprintf(args, sizeof args, "verify %s/vae_demo.pth %s/var_demo.pth", DEMO_MODEL_DIR, DEMO_MODEL_DIR);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "vae_demo.pth: ok\n") && strstr(out, "var_demo.pth: ok\n"));
  snprintf(args, sizeof args, "verify %s/vae_demo.pth %s %s", DEMO_MODEL_DIR, tmp_path("evil.safetensors"),
           tmp_path("missing.pth"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "vae_demo.pth: ok\n") != NULL);
  CU_ASSERT(strstr(out, "evil.safetensors: tensor \"\\x1b]0;owned\\x07x\\x1b[2J\" holds 1 non-finite value") != NULL);
  CU_ASSERT(strstr(out, "missing.pth") && strstr(out, "No such file"));
  CU_ASSERT(strstr(out, "2 of 3 files failed") != NULL);
  CU_ASSERT(strchr(out, 0x1b) == NULL && strchr(out, 0x07) == NULL);
  /* inspect prints the name escaped too */
  snprintf(args, sizeof args, "inspect %s --tensors", tmp_path("evil.safetensors"));
  run_var(args, out, sizeof out);
  CU_ASSERT(strstr(out, "\\x1b]0;owned") != NULL && strchr(out, 0x1b) == NULL);
  CU_ASSERT_EQUAL(run_var("verify", out, sizeof out), 2);
}

/* Out-paint with nothing known (every pixel transparent, no --extend) is refused. */
static void test_cli_outpaint_transparent(void)
{
  char out[8192], args[2048], err[512];
  var_image im = make_image(40, 30);
  memset(im.data, 0, (size_t)im.stride * im.height);
  CU_ASSERT_FATAL(png_write_rgba(tmp_path("clear.png"), &im, NULL, err, sizeof err) == 0);
  snprintf(args, sizeof args, "outpaint %s --model-dir %s --out %s", tmp_path("clear.png"), GOLDEN_DIR("tiny"),
           tmp_path("clear-out.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "every pixel of the 40x30 image is transparent") != NULL);
  CU_ASSERT(access(tmp_path("clear-out.png"), F_OK) != 0);
  free(im.data);
}

/* var convert / inspect / --dtype: the converted file and converting on load make the same image. */
static void test_cli_convert(void)
{
  char out[65536], args[2048], err[512], dir[600];
  var_image a, b;
  snprintf(dir, sizeof dir, "%s", tmp_path("int8-models"));
  CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
  snprintf(args, sizeof args, "convert %s/var_demo.pth %s/var_demo_int8.safetensors --dtype int8", DEMO_MODEL_DIR, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "int8 weights") != NULL);
  snprintf(args, sizeof args, "convert %s/vae_demo.pth %s/vae_demo.safetensors --dtype f32", DEMO_MODEL_DIR, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  snprintf(args, sizeof args, "inspect %s/var_demo_int8.safetensors --tensors", dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "int8: 22 tensors") != NULL);   /* 4 blocks x 5 layers + head_nm.ada_lin + head */
  CU_ASSERT(strstr(out, "tensor bytes: ") != NULL);
  CU_ASSERT(strstr(out, "blocks.0.ffn.fc1.weight_scale") != NULL);
  snprintf(args, sizeof args, "generate --model-dir %s --model var_demo_int8 --class 1 --seed 4 --out %s", dir,
           tmp_path("int8-file.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT(strstr(out, "var_demo_int8") != NULL);
  snprintf(args, sizeof args, "generate --model-dir %s --dtype int8 --class 1 --seed 4 --out %s", DEMO_MODEL_DIR,
           tmp_path("int8-load.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 0);
  CU_ASSERT_FATAL(png_read_rgba(tmp_path("int8-file.png"), &a, err, sizeof err) == 0);
  CU_ASSERT_FATAL(png_read_rgba(tmp_path("int8-load.png"), &b, err, sizeof err) == 0);
  CU_ASSERT(a.width == b.width && a.height == b.height && !memcmp(a.data, b.data, (size_t)a.stride * a.height));
  free(a.data);
  free(b.data);
  /* errors */
  snprintf(args, sizeof args, "convert %s/var_demo.pth %s/x.safetensors --dtype int4", DEMO_MODEL_DIR, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 2);
  CU_ASSERT(strstr(out, "int4") != NULL);
  snprintf(args, sizeof args, "convert %s/vae_demo.pth %s/x.safetensors --dtype int8", DEMO_MODEL_DIR, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 1);
  CU_ASSERT(strstr(out, "not int8") != NULL);
  snprintf(args, sizeof args, "convert %s/var_demo.pth %s/x.safetensors", DEMO_MODEL_DIR, dir);
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 2);
  CU_ASSERT(strstr(out, "usage: var convert") != NULL);
  snprintf(args, sizeof args, "ls %s/x.safetensors* >/dev/null 2>&1", dir);
  CU_ASSERT(system(args) != 0);   /* no partial output left behind */
  snprintf(args, sizeof args, "generate --model-dir %s --dtype float8 --out %s", DEMO_MODEL_DIR, tmp_path("y.png"));
  CU_ASSERT_EQUAL(run_var(args, out, sizeof out), 2);
  CU_ASSERT(strstr(out, "--dtype") != NULL);
}

static void test_cli_classes(void)
{
  char out[65536];
  CU_ASSERT_EQUAL(run_var("classes retriever", out, sizeof out), 0);
  CU_ASSERT(strstr(out, " 207: golden retriever") != NULL);
  CU_ASSERT_EQUAL(run_var("classes \"golden retriever\"", out, sizeof out), 0);
  CU_ASSERT(strstr(out, "picks this one") != NULL);
  CU_ASSERT_EQUAL(run_var("classes zzzzqqq", out, sizeof out), 1);
  CU_ASSERT_EQUAL(run_var("classes", out, sizeof out), 0);
  CU_ASSERT(strstr(out, " 999: toilet tissue") != NULL);
}

static void test_setup(void)
{
  snprintf(tmp, sizeof tmp, "/tmp/var-test-cli-XXXXXX");
  CU_ASSERT_FATAL(mkdtemp(tmp) != NULL);
}

static void test_teardown(void)
{
  char cmd[400];
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  CU_ASSERT(system(cmd) == 0);
}

int main(void)
{
  static const test_case tests[] = {
    { "setup", test_setup },
    { "PNG round trip with parameters chunk", test_png_round_trip },
    { "PNG errors: missing, not PNG, empty, truncated, huge, directory", test_png_errors },
    { "PNG masks: luminance x alpha", test_png_mask },
    { "var: help texts and usage errors", test_cli_usage },
    { "var: unreadable and mismatched files", test_cli_file_errors },
    { "var: missing model says what to download", test_cli_missing_model },
    { "var classes", test_cli_classes },
    { "var convert, inspect and --dtype", test_cli_convert },
    { "var inpaint/outpaint/generate on the tiny golden model", test_cli_tiny_model },
    { "var generate/inpaint on the shipped demo model", test_cli_demo_model },
    { "var: outputs all or none, existing files kept when a write fails", test_cli_outputs_atomic },
    { "var: outputs checked before the model, --out naming an input refused", test_cli_outputs_checked_first },
    { "var verify: per-file lines, exit code, escaped names", test_cli_verify },
    { "var outpaint: a fully transparent image is refused", test_cli_outpaint_transparent },
    { "var: under every memory limit a clean error or the right image, no hang", test_cli_memory_limits },
    { "teardown", test_teardown },
    { NULL, NULL },
  };
  return run_suite("cli", tests);
}

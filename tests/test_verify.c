/* test_verify.c — damaged and poisoned checkpoints: var_verify_file finds
 * every flipped bit that would change a result, NaN/Inf weights are an error
 * (never an image), overlapping zip entries are refused, and
 * var_verify_file_once remembers a file by identity, size and mtime. */
#include "test_support.h"

#include "io/ckpt.h"
#include "ckpt_writer.h"
#include "internal.h"
#include "io/zip.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEMO_DIR VAR_TEST_DATA "/../../models/demo"

static char tmp[256];
static var_ctx *ctx;

static void spit(const char *path, const uint8_t *p, size_t n)
{
  FILE *f = fopen(path, "wb");
  CU_ASSERT_FATAL(f != NULL);
  CU_ASSERT_FATAL(fwrite(p, 1, n, f) == n);
  CU_ASSERT_FATAL(fclose(f) == 0);
}

static const char *tmp_file(const char *name)
{
  static char buf[4][512];
  static int k;
  k = (k + 1) % 4;
  snprintf(buf[k], sizeof buf[k], "%s/%s", tmp, name);
  return buf[k];
}

/* Generates with the demo model from these two files; the image bytes in *img
 * (malloc'ed) or NULL with the status returned. */
static var_status demo_image(const char *vae, const char *tf, uint8_t **img, size_t *n)
{
  var_model *m = NULL;
  var_result *res = NULL;
  var_edit_params p;
  var_status st;
  *img = NULL;
  *n = 0;
  st = var_model_load(ctx, vae, tf, NULL, &m);
  if (st != VAR_OK) return st;
  var_edit_params_default(&p);
  p.sample.seed = 3;
  p.class_label = 1;
  st = var_generate(m, &p, &res);
  if (st == VAR_OK) {
    const var_image *im = var_result_image(res, 0);
    *n = (size_t)im->stride * im->height;
    *img = malloc(*n);
    memcpy(*img, im->data, *n);
  }
  var_result_free(res);
  var_model_free(m);
  return st;
}

static void test_setup(void)
{
  snprintf(tmp, sizeof tmp, "/tmp/var-test-verify-XXXXXX");
  CU_ASSERT_FATAL(mkdtemp(tmp) != NULL);
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
}

static void test_teardown(void)
{
  char cmd[400];
  var_ctx_free(ctx);
  snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
  CU_ASSERT(system(cmd) == 0);
}

static void test_sound_files(void)
{
  static const char *const files[] = { DEMO_DIR "/vae_demo.pth", DEMO_DIR "/var_demo.pth",
                                       GOLDEN_DIR("tiny") "/var_d2.pth", GOLDEN_DIR("tiny") "/vae_ch32v64z8.pth",
                                       GOLDEN_DIR("small") "/var_d4.pth", NULL };
  int i;
  for (i = 0; files[i]; i++) {
    CU_ASSERT_EQUAL(var_verify_file(ctx, files[i]), VAR_OK);
    if (var_ctx_last_error(ctx)[0]) printf("\n  %s\n", var_ctx_last_error(ctx));
  }
  CU_ASSERT_EQUAL(var_verify_file(ctx, tmp_file("missing.pth")), VAR_ERR_IO);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "missing.pth") != NULL);
}

/* 150 single-bit flips in each demo checkpoint, spread over the whole file
 * (LCG positions, fixed): each is either found by var_verify_file or changes
 * nothing (the generated image is byte-identical). */
static void test_bit_flips(void)
{
  static const char *const names[2] = { "vae_demo.pth", "var_demo.pth" };
  uint8_t *ref_img, *orig[2];
  size_t ref_n, size[2];
  int f, k, found = 0, harmless = 0, harmful = 0, loaded = 0;
  uint64_t lcg = 12345;
  char path[2][600];
  CU_ASSERT_FATAL(demo_image(DEMO_DIR "/vae_demo.pth", DEMO_DIR "/var_demo.pth", &ref_img, &ref_n) == VAR_OK);
  for (f = 0; f < 2; f++) {
    snprintf(path[f], sizeof path[f], "%s/%s", DEMO_DIR, names[f]);
    orig[f] = slurp(path[f], &size[f]);
    CU_ASSERT_FATAL(orig[f] != NULL);
  }
  for (f = 0; f < 2; f++) {
    const char *flipped = tmp_file(names[f]);
    for (k = 0; k < 150; k++) {
      size_t pos;
      int bit;
      var_checkpoint *ck = NULL;
      lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
      pos = (size_t)(lcg >> 16) % size[f];
      bit = (int)(lcg >> 8) & 7;
      orig[f][pos] ^= (uint8_t)(1u << bit);
      spit(flipped, orig[f], size[f]);
      orig[f][pos] ^= (uint8_t)(1u << bit);
      if (var_checkpoint_open(ctx, flipped, &ck) == VAR_OK) loaded++;
      var_checkpoint_free(ck);
      if (var_verify_file(ctx, flipped) != VAR_OK) {
        found++;
        CU_ASSERT(strstr(var_ctx_last_error(ctx), flipped) == var_ctx_last_error(ctx));   /* names the file first */
      } else {
        uint8_t *img = NULL;
        size_t n;
        var_status st = demo_image(f == 0 ? flipped : DEMO_DIR "/vae_demo.pth",
                                   f == 1 ? flipped : DEMO_DIR "/var_demo.pth", &img, &n);
        if (st == VAR_OK && n == ref_n && !memcmp(img, ref_img, n)) {
          harmless++;
        } else {
          harmful++;
          printf("\n  %s: bit %d of byte %zu passes verify but %s", names[f], bit, pos,
                 st == VAR_OK ? "changes the image" : var_ctx_last_error(ctx));
        }
        free(img);
      }
    }
  }
  printf("\n  300 bit flips: %d found by verify, %d harmless (same image), %d harmful and missed; %d of the 300 "
         "still load\n", found, harmless, harmful, loaded);
  CU_ASSERT_EQUAL(harmful, 0);
  CU_ASSERT(found >= 250);
  free(ref_img);
  free(orig[0]);
  free(orig[1]);
}

/* The central directory record of entry e (by name), for patching its CRC. */
static size_t central_of(const uint8_t *d, size_t n, const var_zip_entry *e)
{
  size_t p, len = strlen(e->name);
  for (p = 0; p + 46 + len <= n; p++)
    if (d[p] == 'P' && d[p + 1] == 'K' && d[p + 2] == 1 && d[p + 3] == 2 && (d[p + 28] | d[p + 29] << 8) == (int)len &&
        !memcmp(d + p + 46, e->name, len))
      return p;
  return 0;
}

/* A copy of the demo file with tensor `name`'s element 0 set to NaN (nan) or
 * +Inf and every CRC made to match again: a poisoned file that no checksum
 * catches. */
static void poison(const char *src, const char *name, int nan, const char *dst)
{
  size_t n, c;
  uint8_t *d = slurp(src, &n);
  var_checkpoint *ck = NULL;
  const var_ckpt_tensor *t;
  var_zip zip;
  int i, patched = 0;
  CU_ASSERT_FATAL(d != NULL);
  CU_ASSERT_FATAL(var_checkpoint_open_memory(ctx, d, n, src, &ck) == VAR_OK);
  t = var_ckpt_find(ck, name);
  CU_ASSERT_FATAL(t != NULL && (t->dtype == VAR_DTYPE_F32 || t->dtype == VAR_DTYPE_F16));
  if (t->dtype == VAR_DTYPE_F32) {
    const uint32_t v = nan ? 0x7FC00000u : 0x7F800000u;
    memcpy((uint8_t *)t->data, &v, 4);
  } else {
    const uint16_t v = nan ? 0x7E00u : 0x7C00u;
    memcpy((uint8_t *)t->data, &v, 2);
  }
  CU_ASSERT_FATAL(var_zip_open(ctx, d, n, &zip) == VAR_OK);
  for (i = 0; i < zip.n_entries; i++) {
    const var_zip_entry *e = &zip.entries[i];
    if ((const uint8_t *)t->data >= d + e->data_offset && (const uint8_t *)t->data < d + e->data_offset + e->size) {
      const uint32_t crc = var_crc32(d + e->data_offset, (size_t)e->size);
      c = central_of(d, n, e);
      CU_ASSERT_FATAL(c != 0);
      w32(d + c + 16, crc);
      w32(d + e->header_offset + 14, crc);
      patched = 1;
    }
  }
  var_zip_close(&zip);
  CU_ASSERT_FATAL(patched);
  var_checkpoint_free(ck);
  spit(dst, d, n);
  free(d);
}

static void test_poisoned_weights(void)
{
  const char *vae = tmp_file("poisoned_vae.pth");
  uint8_t *img = NULL;
  size_t n;
  /* the decoder: generation fails, no image */
  poison(DEMO_DIR "/vae_demo.pth", "decoder.conv_out.bias", 1, vae);
  CU_ASSERT_EQUAL(var_verify_file(ctx, vae), VAR_ERR_FORMAT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "\"decoder.conv_out.bias\" holds 1 non-finite") != NULL);
  CU_ASSERT_EQUAL(demo_image(vae, DEMO_DIR "/var_demo.pth", &img, &n), VAR_ERR_FORMAT);
  CU_ASSERT(img == NULL);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "VQ-VAE decoder gave") != NULL);
  /* the transformer: NaN logits */
  {
    const char *tf = tmp_file("poisoned_tf.pth");
    var_status st;
    poison(DEMO_DIR "/var_demo.pth", "head.bias", 1, tf);
    CU_ASSERT_EQUAL(var_verify_file(ctx, tf), VAR_ERR_FORMAT);
    st = demo_image(DEMO_DIR "/vae_demo.pth", tf, &img, &n);
    printf("\n  NaN in head.bias: %s (%s)\n", var_strerror(st), st ? var_ctx_last_error(ctx) : "an image");
    CU_ASSERT_NOT_EQUAL(st, VAR_OK);
    free(img);
    img = NULL;
    poison(DEMO_DIR "/var_demo.pth", "word_embed.bias", 0, tf);
    st = demo_image(DEMO_DIR "/vae_demo.pth", tf, &img, &n);
    printf("  Inf in word_embed.bias: %s (%s)\n", var_strerror(st), st ? var_ctx_last_error(ctx) : "an image");
    CU_ASSERT_NOT_EQUAL(st, VAR_OK);
    free(img);
    img = NULL;
  }
  /* the encoder: in-painting fails */
  poison(DEMO_DIR "/vae_demo.pth", "encoder.conv_in.bias", 0, vae);
  CU_ASSERT_EQUAL(var_verify_file(ctx, vae), VAR_ERR_FORMAT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "encoder.conv_in.bias") != NULL);
  {
    var_model *m = NULL;
    var_result *res = NULL;
    var_edit_params p;
    var_image im;
    var_mask mask;
    uint8_t px[32 * 32 * 4], mk[32 * 32];
    int i;
    for (i = 0; i < (int)sizeof px; i++) px[i] = (uint8_t)(i * 13);
    memset(mk, 0, sizeof mk);
    memset(mk + 32 * 10, 255, 32 * 8);
    im.width = im.height = 32;
    im.stride = 128;
    im.data = px;
    mask.width = mask.height = 32;
    mask.stride = 32;
    mask.data = mk;
    CU_ASSERT_FATAL(var_model_load(ctx, vae, DEMO_DIR "/var_demo.pth", NULL, &m) == VAR_OK);
    var_edit_params_default(&p);
    CU_ASSERT_EQUAL(var_inpaint(m, &im, &mask, &p, &res), VAR_ERR_FORMAT);
    CU_ASSERT(res == NULL);
    CU_ASSERT(strstr(var_ctx_last_error(ctx), "VQ-VAE encoder gave") != NULL);
    var_model_free(m);
  }
}

/* Two zip entries that share bytes: the loader refuses the archive. */
static void test_overlapping_entries(void)
{
  pk_tensor t[2];
  zw_layout lay;
  zw_options o = { 0, 64 };
  bytes pk = { 0, 0, 0 }, file;
  var_checkpoint *ck = NULL;
  size_t grow;
  int i;
  memset(t, 0, sizeof t);
  for (i = 0; i < 2; i++) {
    t[i].name = i ? "b" : "a";
    t[i].storage = "FloatStorage";
    t[i].key = i ? "1" : "0";
    t[i].storage_numel = 4;
    t[i].ndim = 1;
    t[i].shape[0] = 4;
    pk_contiguous(&t[i]);
  }
  pk_state_dict(&pk, t, 2);
  file = make_pth("archive", &pk, t, 2, NULL, &o, &lay);
  /* as made, it opens */
  CU_ASSERT_FATAL(var_checkpoint_open_memory(ctx, file.p, file.n, "ok.pth", &ck) == VAR_OK);
  var_checkpoint_free(ck);
  /* entry 2 (tensor "a"'s storage) grows over entry 3's local header and data */
  grow = lay.data[3] + 16 - lay.data[2];
  w32(file.p + lay.central[2] + 20, (uint32_t)grow);
  w32(file.p + lay.central[2] + 24, (uint32_t)grow);
  CU_ASSERT_EQUAL(var_checkpoint_open_memory(ctx, file.p, file.n, "overlap.pth", &ck), VAR_ERR_FORMAT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "overlap") != NULL);
  printf("\n  %s\n", var_ctx_last_error(ctx));
  b_free(&file);
  b_free(&pk);
}

/* Remembered by device, inode, size and mtime: a changed file is read again;
 * an unchanged one is not (here proven by damage that keeps size and mtime). */
static void test_verify_once(void)
{
  const char *path = tmp_file("once.pth");
  size_t n;
  uint8_t *d = slurp(DEMO_DIR "/var_demo.pth", &n);
  struct stat st;
  struct timespec times[2];
  CU_ASSERT_FATAL(d != NULL);
  spit(path, d, n);
  CU_ASSERT_EQUAL(var_verify_file_once(ctx, path), VAR_OK);
  CU_ASSERT_FATAL(stat(path, &st) == 0);
  d[n / 2] ^= 0x10;
  spit(path, d, n);
  times[0] = st.st_atim;
  times[1] = st.st_mtim;
  CU_ASSERT_FATAL(utimensat(AT_FDCWD, path, times, 0) == 0);
  CU_ASSERT_EQUAL(var_verify_file_once(ctx, path), VAR_OK);   /* remembered */
  CU_ASSERT_NOT_EQUAL(var_verify_file(ctx, path), VAR_OK);    /* but damaged */
  times[1].tv_sec += 1;
  CU_ASSERT_FATAL(utimensat(AT_FDCWD, path, times, 0) == 0);
  CU_ASSERT_NOT_EQUAL(var_verify_file_once(ctx, path), VAR_OK);   /* changed: read again */
  CU_ASSERT_NOT_EQUAL(var_verify_file_once(ctx, path), VAR_OK);   /* failures are not remembered */
  CU_ASSERT_EQUAL(var_verify_file_once(NULL, path), VAR_ERR_INVALID_ARGUMENT);
  free(d);
}

/* var_model_verify: the plug-ins' call after var_model_load_dir. */
static void test_model_verify(void)
{
  char dir[600], path[700];
  var_model *m = NULL;
  size_t n;
  uint8_t *d;
  snprintf(dir, sizeof dir, "%s/models", tmp);
  CU_ASSERT_FATAL(mkdir(dir, 0755) == 0);
  CU_ASSERT_FATAL(var_model_load_dir(ctx, DEMO_DIR, NULL, &m) == VAR_OK);
  CU_ASSERT_EQUAL(var_model_verify(m), VAR_OK);
  CU_ASSERT_EQUAL(var_model_verify(m), VAR_OK);   /* remembered */
  var_model_free(m);
  /* a poisoned VQ-VAE loads (loading reads what it needs) but does not verify */
  snprintf(path, sizeof path, "%s/vae_demo.pth", dir);
  poison(DEMO_DIR "/vae_demo.pth", "decoder.conv_in.bias", 1, path);
  d = slurp(DEMO_DIR "/var_demo.pth", &n);
  snprintf(path, sizeof path, "%s/var_demo.pth", dir);
  spit(path, d, n);
  free(d);
  CU_ASSERT_FATAL(var_model_load_dir(ctx, dir, NULL, &m) == VAR_OK);
  CU_ASSERT_EQUAL(var_model_verify(m), VAR_ERR_FORMAT);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "vae_demo.pth") && strstr(var_ctx_last_error(ctx), "decoder.conv_in.bias"));
  var_model_free(m);
  CU_ASSERT_EQUAL(var_model_verify(NULL), VAR_ERR_INVALID_ARGUMENT);
}

int main(void)
{
  static const test_case tests[] = {
    { "setup", test_setup },
    { "sound checkpoints verify", test_sound_files },
    { "300 bit flips: found by verify or harmless", test_bit_flips },
    { "NaN/Inf weights: verify names the tensor, encode/decode fail", test_poisoned_weights },
    { "overlapping zip entries refused", test_overlapping_entries },
    { "var_verify_file_once remembers by identity, size and mtime", test_verify_once },
    { "var_model_verify: a loaded model's files", test_model_verify },
    { "teardown", test_teardown },
    { NULL, NULL },
  };
  return run_suite("verify", tests);
}

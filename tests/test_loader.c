/* test_loader.c — checkpoint reading and configuration derivation on the golden
 * checkpoints; scale schedules and the phi-index rule. */
#include "test_support.h"

#include "io/ckpt.h"
#include "ckpt_writer.h"
#include "io/config.h"
#include "sha256.h"
#include "var.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/mman.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

static void test_golden_checkpoints(void)
{
  /* per checkpoint: tensor list and element count, and the file's SHA-256 */
  assert_golden_stage(GOLDEN_DIR("tiny"), "checkpoints", 4);
  assert_golden_stage(GOLDEN_DIR("tiny-saln"), "checkpoints", 4);
  assert_golden_stage(GOLDEN_DIR("small"), "checkpoints", 4);
}

/* Configuration derived from shapes equals the manifest's constructor values. */
static void check_config(const char *set)
{
  golden_set g;
  char err[1024], path[1200];
  var_ctx *ctx;
  var_checkpoint *ck;
  var_vqvae_config vc;
  var_tf_config tc;
  const var_json *cfg, *vae, *var, *mult;
  int i;
  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  cfg = var_json_get(g.manifest, "config");
  vae = var_json_get(cfg, "vae");
  var = var_json_get(cfg, "var");
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, golden_checkpoint(&g, "vae", path, sizeof path), &ck) == VAR_OK);
  CU_ASSERT_FATAL(var_vqvae_config_derive(ck, &vc) == VAR_OK);
  CU_ASSERT_EQUAL(vc.vocab_size, var_json_get(vae, "vocab_size")->integer);
  CU_ASSERT_EQUAL(vc.z_channels, var_json_get(vae, "z_channels")->integer);
  CU_ASSERT_EQUAL(vc.ch, var_json_get(vae, "ch")->integer);
  CU_ASSERT_EQUAL(vc.n_phi, var_json_get(vae, "share_quant_resi")->integer);
  mult = var_json_get(var_json_get(vae, "ddconfig"), "ch_mult");
  CU_ASSERT_EQUAL(vc.n_levels, mult->n);
  for (i = 0; i < mult->n; i++) CU_ASSERT_EQUAL(vc.ch_mult[i], mult->items[i].integer);
  CU_ASSERT_EQUAL(vc.num_res_blocks, var_json_get(var_json_get(vae, "ddconfig"), "num_res_blocks")->integer);
  var_checkpoint_free(ck);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, golden_checkpoint(&g, "var", path, sizeof path), &ck) == VAR_OK);
  CU_ASSERT_FATAL(var_tf_config_derive(ck, NULL, &tc) == VAR_OK);
  CU_ASSERT_EQUAL(tc.depth, var_json_get(var, "depth")->integer);
  CU_ASSERT_EQUAL(tc.C, var_json_get(var, "embed_dim")->integer);
  CU_ASSERT_EQUAL(tc.heads, var_json_get(var, "num_heads")->integer);
  CU_ASSERT_EQUAL(tc.num_classes, var_json_get(var, "num_classes")->integer);
  CU_ASSERT_EQUAL(tc.shared_aln, var_json_get(var, "shared_aln")->integer);
  CU_ASSERT_EQUAL(tc.schedule.n_scales, g.schedule.n_scales);
  CU_ASSERT(memcmp(tc.schedule.pn, g.schedule.pn, sizeof(int) * (size_t)g.schedule.n_scales) == 0);
  var_checkpoint_free(ck);
  var_ctx_free(ctx);
  golden_close(&g);
}

static void test_derived_configs(void)
{
  check_config(GOLDEN_DIR("tiny"));
  check_config(GOLDEN_DIR("tiny-saln"));
  check_config(GOLDEN_DIR("small"));
}

/* The public view of an open checkpoint (var inspect's) equals what the loaders
 * derive, and comes without loading anything. */
static void check_public_info(const char *set)
{
  golden_set g;
  char err[1024], path[1200];
  var_ctx *ctx;
  var_checkpoint *ck;
  var_vqvae *vae;
  var_transformer *tf;
  var_vqvae_info a, b;
  var_vqvae_attention att;
  var_vqvae_config vc;
  var_transformer_info ta, tb;
  var_tensor_info t;
  int i;
  CU_ASSERT_FATAL(golden_open(set, &g, err, sizeof err) == 0);
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  golden_checkpoint(&g, "vae", path, sizeof path);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, path, &ck) == VAR_OK);
  CU_ASSERT_EQUAL(var_checkpoint_get_format(ck), VAR_CHECKPOINT_PTH);
  i = var_checkpoint_find(ck, "encoder.conv_in.weight");
  CU_ASSERT_FATAL(i >= 0 && var_checkpoint_tensor(ck, i, &t) == VAR_OK);
  CU_ASSERT_STRING_EQUAL(t.name, "encoder.conv_in.weight");
  CU_ASSERT_EQUAL(var_checkpoint_find(ck, "encoder.conv_in"), -1);
  CU_ASSERT_EQUAL(var_checkpoint_find(ck, NULL), -1);
  CU_ASSERT_EQUAL(var_checkpoint_find(NULL, "encoder.conv_in.weight"), -1);
  CU_ASSERT_FATAL(var_checkpoint_vqvae_info(ck, &a, &att) == VAR_OK);
  CU_ASSERT_FATAL(var_vqvae_config_derive(ck, &vc) == VAR_OK);
  CU_ASSERT_EQUAL(att.encoder_last_level, vc.enc_attn_last);
  CU_ASSERT_EQUAL(att.encoder_mid, vc.enc_mid_attn);
  CU_ASSERT_EQUAL(att.decoder_last_level, vc.dec_attn_last);
  CU_ASSERT_EQUAL(att.decoder_mid, vc.dec_mid_attn);
  CU_ASSERT_FATAL(var_checkpoint_vqvae_info(ck, &a, NULL) == VAR_OK);
  /* a VQ-VAE is no transformer: the derivation's message names what is missing */
  CU_ASSERT_NOT_EQUAL(var_checkpoint_transformer_info(ck, NULL, &ta), VAR_OK);
  CU_ASSERT(strlen(var_ctx_last_error(ctx)) > 0);
  CU_ASSERT_EQUAL(var_checkpoint_vqvae_info(NULL, &a, NULL), VAR_ERR_INVALID_ARGUMENT);
  var_checkpoint_free(ck);
  CU_ASSERT_FATAL(var_vqvae_load(ctx, path, &vae) == VAR_OK);
  CU_ASSERT_FATAL(var_vqvae_get_info(vae, &b) == VAR_OK);
  CU_ASSERT(memcmp(&a, &b, sizeof a) == 0);
  var_vqvae_free(vae);
  golden_checkpoint(&g, "var", path, sizeof path);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, path, &ck) == VAR_OK);
  CU_ASSERT_FATAL(var_checkpoint_transformer_info(ck, NULL, &ta) == VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_checkpoint_vqvae_info(ck, &a, NULL), VAR_OK);
  var_checkpoint_free(ck);
  CU_ASSERT_FATAL(var_transformer_load(ctx, path, NULL, &tf) == VAR_OK);
  CU_ASSERT_FATAL(var_transformer_get_info(tf, &tb) == VAR_OK);
  CU_ASSERT(memcmp(&ta, &tb, sizeof ta) == 0);
  var_transformer_free(tf);
  var_ctx_free(ctx);
  golden_close(&g);
}

static void test_public_info(void)
{
  check_public_info(GOLDEN_DIR("tiny"));
  check_public_info(GOLDEN_DIR("tiny-saln"));
  check_public_info(GOLDEN_DIR("small"));
}

static void test_phi_tables(void)
{
  /* docs/algorithm.md §3.5: the ties decided by double rounding. */
  static const int t4[] = { 0, 1, 2, 3 }, t5[] = { 0, 1, 2, 2, 3 }, t6[] = { 0, 0, 1, 2, 3, 3 },
                   t7[] = { 0, 0, 1, 2, 2, 3, 3 }, t8[] = { 0, 0, 1, 1, 2, 2, 3, 3 },
                   t10[] = { 0, 0, 1, 1, 1, 2, 2, 3, 3, 3 };
  static const struct { int S; const int *t; } tables[] = {
    { 4, t4 }, { 5, t5 }, { 6, t6 }, { 7, t7 }, { 8, t8 }, { 10, t10 },
  };
  unsigned k;
  int si;
  for (k = 0; k < sizeof tables / sizeof tables[0]; k++)
    for (si = 0; si < tables[k].S; si++) CU_ASSERT_EQUAL(var_phi_index(si, tables[k].S, 4), tables[k].t[si]);
}

static void test_phi_golden(void)
{
  const char *sets[] = { GOLDEN_DIR("tiny"), GOLDEN_DIR("tiny-saln"), GOLDEN_DIR("small") };
  unsigned k;
  for (k = 0; k < 3; k++) {
    golden_set g;
    char err[1024];
    const var_json *phi;
    int si;
    CU_ASSERT_FATAL(golden_open(sets[k], &g, err, sizeof err) == 0);
    phi = var_json_get(var_json_get(g.manifest, "config"), "phi_index_per_scale");
    CU_ASSERT_FATAL(phi != NULL);
    for (si = 0; si < g.schedule.n_scales; si++)
      CU_ASSERT_EQUAL(var_phi_index(si, g.schedule.n_scales, 4), phi->items[si].integer);
    golden_close(&g);
  }
}

/* numpy's argmin over linspace ticks for other phi counts (share_quant_resi):
 * row K lists, for S = 2..16, the index of each scale 0..S-1 (computed with
 * numpy 1.24 from the formula of VAR's PhiPartiallyShared). */
static void test_phi_other_counts(void)
{
  static const struct { int K; const char *rows; } tables[] = {
    { 1, "00 000 0000 00000 000000 0000000 00000000 000000000 0000000000 00000000000 000000000000 0000000000000 "
         "00000000000000 000000000000000 0000000000000000" },
    { 2, "01 001 0011 00011 000111 0000111 00001111 000001111 0000011111 00000011111 000000111111 0000000111111 "
         "00000001111111 000000001111111 0000000011111111" },
    { 3, "02 012 0012 00122 001122 0001122 00011222 000111222 0000111222 00001112222 000011112222 0000011112222 "
         "00000111122222 000001111122222 0000001111122222" },
    { 5, "04 024 0134 01234 001234 0012344 00122344 001123344 0011223344 00011223344 000112233444 0001122233444 "
         "00011122333444 000111222333444 0000111222333444" },
    { 6, "05 025 0135 01245 012345 0012355 00123455 001223455 0011233455 00112234455 001122334455 0001122334555 "
         "00011223344555 000112223344555 0001112233344555" },
    { 8, "07 037 0257 01357 013467 0123567 01234567 001234567 0012345677 00123345677 001223455677 0011233455677 "
         "00112334456677 001122334556677 0011223344556677" },
  };
  unsigned k;
  for (k = 0; k < sizeof tables / sizeof tables[0]; k++) {
    const char *p = tables[k].rows;
    int S, si;
    for (S = 2; S <= 16; S++) {
      for (si = 0; si < S; si++, p++) CU_ASSERT_EQUAL(var_phi_index(si, S, tables[k].K), *p - '0');
      CU_ASSERT(*p == ' ' || *p == '\0');
      p++;
    }
  }
  CU_ASSERT_EQUAL(var_phi_index(0, 1, 4), 0);   /* one scale: no division by zero */
}

static void test_schedules(void)
{
  var_schedule s;
  int n;
  CU_ASSERT_EQUAL(var_schedule_for_image_size(256, &s), VAR_OK);
  CU_ASSERT_EQUAL(var_schedule_tokens(&s), 680);
  CU_ASSERT_EQUAL(var_schedule_for_image_size(512, &s), VAR_OK);
  CU_ASSERT_EQUAL(var_schedule_tokens(&s), 2240);
  CU_ASSERT_EQUAL(var_schedule_derive(10, 680, &s, &n), VAR_OK);
  CU_ASSERT_EQUAL(s.pn[9], 16);
  CU_ASSERT_EQUAL(var_schedule_derive(10, 2240, &s, &n), VAR_OK);
  CU_ASSERT_EQUAL(s.pn[9], 32);
  CU_ASSERT_EQUAL(var_schedule_derive(7, 155, &s, &n), VAR_OK);
  CU_ASSERT_EQUAL(s.pn[6], 8);
  CU_ASSERT_EQUAL(s.pn[5], 6);
  CU_ASSERT_EQUAL(var_schedule_derive(3, 7, &s, &n), VAR_ERR_NOT_FOUND);   /* 1+4+? : no square 2 */
  CU_ASSERT_EQUAL(var_schedule_parse("1,2,3,4", &s), VAR_OK);
  CU_ASSERT_EQUAL(s.n_scales, 4);
  CU_ASSERT_EQUAL(var_schedule_parse("1_2_3_4_5_7_9_12_16_21_27_36_48_64", &s), VAR_OK);
  CU_ASSERT_EQUAL(s.n_scales, 14);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,3,2", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,,2", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,2,", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,2,3x", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,4097", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse("1,99999999999999999999", &s), VAR_OK);
  CU_ASSERT_NOT_EQUAL(var_schedule_parse(NULL, &s), VAR_OK);
  /* several schedules fit: 86 = 1+4+81 = 1+36+49, 78 = 1+4+9+64 = 1+16+25+36 */
  CU_ASSERT_EQUAL(var_schedule_derive(3, 86, &s, &n), VAR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(n, 2);
  CU_ASSERT_EQUAL(var_schedule_derive(4, 78, &s, &n), VAR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(n, 2);
  /* the tightest schedule of 32 scales: 1..32 */
  CU_ASSERT_EQUAL(var_schedule_derive(32, 11440, &s, &n), VAR_OK);
  CU_ASSERT(n == 1 && s.n_scales == 32 && s.pn[31] == 32 && s.pn[0] == 1);
  CU_ASSERT_EQUAL(var_schedule_derive(32, 11439, &s, &n), VAR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(n, 0);
  /* 4 scales, 9.2 M tokens: millions of candidates; the search gives up (n = -1) instead of running on */
  CU_ASSERT_EQUAL(var_schedule_derive(4, 9243384, &s, &n), VAR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(n, -1);
  CU_ASSERT_EQUAL(var_schedule_derive(1, 1, &s, &n), VAR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(var_schedule_derive(33, 20000, &s, &n), VAR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(var_schedule_derive(10, -5, &s, &n), VAR_ERR_NOT_FOUND);
  CU_ASSERT_EQUAL(var_schedule_for_image_size(384, &s), VAR_ERR_NOT_FOUND);
}

/* FIPS 180-4 example vectors, and a million 'a' fed in uneven pieces. */
static void test_sha256(void)
{
  static const struct { const char *msg, *hex; } kat[] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
    { "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrst"
      "nopqrstu", "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1" },
  };
  sha256_ctx c;
  uint8_t d[32];
  char hex[65];
  unsigned k;
  size_t done = 0, piece = 1;
  char *a = malloc(1000000);
  for (k = 0; k < sizeof kat / sizeof kat[0]; k++) {
    sha256_init(&c);
    sha256_update(&c, kat[k].msg, strlen(kat[k].msg));
    sha256_final(&c, d);
    sha256_hex(d, hex);
    CU_ASSERT_STRING_EQUAL(hex, kat[k].hex);
  }
  CU_ASSERT_FATAL(a != NULL);
  memset(a, 'a', 1000000);
  sha256_init(&c);
  while (done < 1000000) {
    size_t n = piece < 1000000 - done ? piece : 1000000 - done;
    sha256_update(&c, a + done, n);
    done += n;
    piece = piece * 3 % 257 + 1;
  }
  sha256_final(&c, d);
  sha256_hex(d, hex);
  CU_ASSERT_STRING_EQUAL(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
  free(a);
  CU_ASSERT_EQUAL(sha256_file(VAR_TEST_DATA "/nope.bin", hex, (char *)d, sizeof d), -1);
}

/* The checkpoint stage notices a file that is not the one the manifest hashed. */
static void test_stage_detects_wrong_hash(void)
{
  golden_set g;
  golden_report r = { 0, 0, 0, NULL };
  char err[1024];
  const var_json *h;
  CU_ASSERT_FATAL(golden_open(GOLDEN_DIR("tiny"), &g, err, sizeof err) == 0);
  h = var_json_get(var_json_get(var_json_get(g.manifest, "checkpoints"), "var"), "sha256");
  CU_ASSERT_FATAL(h != NULL && h->kind == VAR_JSON_STRING && h->string_len == 64);
  h->string[0] = h->string[0] == '0' ? '1' : '0';
  golden_run(&g, "checkpoints", &r);
  CU_ASSERT_EQUAL(r.failed, 1);
  CU_ASSERT_EQUAL(r.passed, 3);
  golden_close(&g);
}

static void test_missing_file(void)
{
  var_ctx *ctx;
  var_checkpoint *ck = (var_checkpoint *)1;
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, VAR_TEST_DATA "/does-not-exist.pth", &ck), VAR_ERR_IO);
  CU_ASSERT_PTR_NULL(ck);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "does-not-exist.pth") != NULL);
  var_ctx_free(ctx);
}

#ifndef _WIN32   /* mincore() and posix_fadvise() are Linux page-cache calls */
/* Pages of [p, p+n) in the page cache (p page-aligned). */
static size_t resident_pages(const void *p, size_t n)
{
  size_t pages = (n + 4095) / 4096, i, k = 0;
  unsigned char *v = malloc(pages);
  CU_ASSERT_FATAL(v != NULL);
  if (mincore((void *)p, n, v) != 0) k = (size_t)-1;
  for (i = 0; k != (size_t)-1 && i < pages; i++) k += v[i] & 1;
  free(v);
  return k;
}

/* Opening must read the directory, local headers and data.pkl, and no tensor
 * data: a 48 MB checkpoint of 96 storages is written, dropped from the page
 * cache, opened, and then at most a few hundred KB of it may be cached.  (The
 * kernel's read-ahead, seeing headers read from start to end, used to pull in
 * half of such a file.)  Where the page cache cannot be emptied (tmpfs keeps
 * file pages in memory), the test says so and checks what it can. */
static void test_open_reads_no_tensor_data(void)
{
  pk_tensor t[96];
  char names[96][16], keys[96][8], path[512];
  const char *tmp = getenv("TMPDIR");
  bytes b;
  int i, fd;
  size_t before, after;
  var_ctx *ctx;
  var_checkpoint *ck;
  void *m;
  memset(t, 0, sizeof t);
  for (i = 0; i < 96; i++) {
    snprintf(names[i], sizeof names[i], "w%d", i);
    snprintf(keys[i], sizeof keys[i], "%d", i);
    t[i].name = names[i];
    t[i].key = keys[i];
    t[i].storage = "FloatStorage";
    t[i].ndim = 2;
    t[i].shape[0] = 256;
    t[i].shape[1] = 512;
    t[i].storage_numel = 256 * 512;
    pk_contiguous(&t[i]);
  }
  b = make_pth_sd("page_cache", t, 96, NULL);
  snprintf(path, sizeof path, "%s/var-page-cache-%ld.pth", tmp && *tmp ? tmp : "/tmp", (long)getpid());
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CU_ASSERT_FATAL(fd >= 0);
  CU_ASSERT_FATAL(write(fd, b.p, b.n) == (ssize_t)b.n);
  CU_ASSERT(fdatasync(fd) == 0);
  CU_ASSERT(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED) == 0);
  m = mmap(NULL, b.n, PROT_READ, MAP_SHARED, fd, 0);
  CU_ASSERT_FATAL(m != MAP_FAILED);
  before = resident_pages(m, b.n);
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_FATAL(var_checkpoint_open(ctx, path, &ck) == VAR_OK);
  CU_ASSERT_EQUAL(ck->n, 96);
  after = resident_pages(m, b.n);
  if (before < 64) {
    printf("(%.0f KB of %.1f MB read) ", (after - before) * 4.0, b.n / 1e6);
    CU_ASSERT(after - before < 128);   /* 512 KB */
  } else {
    printf("(the page cache of %s cannot be emptied: %lu of %lu pages stay; not measured) ", path,
           (unsigned long)before, (unsigned long)((b.n + 4095) / 4096));
    CU_ASSERT(before * 4096 >= b.n / 2);
  }
  var_checkpoint_free(ck);
  var_ctx_free(ctx);
  munmap(m, b.n);
  close(fd);
  unlink(path);
  b_free(&b);
}
#endif

int main(void)
{
  static const test_case tests[] = {
    { "golden checkpoints: names, order, shapes, dtypes", test_golden_checkpoints },
    { "configuration derived from shapes = manifest", test_derived_configs },
    { "public checkpoint info (var inspect's) = the loaders' info", test_public_info },
    { "phi index tables of docs/algorithm.md §3.5", test_phi_tables },
    { "phi index = manifest phi_index_per_scale", test_phi_golden },
    { "phi index for 1, 2, 3, 5, 6 and 8 phi convolutions (numpy tables)", test_phi_other_counts },
    { "scale schedules: released, derived, ambiguous, searched too long, parsed", test_schedules },
    { "SHA-256 known answers", test_sha256 },
    { "checkpoint stage: a wrong manifest hash is a failure", test_stage_detects_wrong_hash },
    { "missing file gives VAR_ERR_IO with the path", test_missing_file },
#ifndef _WIN32
    { "opening reads headers only, no tensor data (page cache)", test_open_reads_no_tensor_data },
#endif
    { NULL, NULL },
  };
  return run_suite("loader", tests);
}

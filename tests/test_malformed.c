/* test_malformed.c — the checkpoint reader against hostile and malformed input.
 *
 * Every file here is made by the test (ckpt_writer.h) or derived from a golden
 * checkpoint in memory, except a few small torch-written fixtures in
 * tests/data/torch and the fuzzer's findings in tests/data/malformed.  Each
 * named case asserts the exact var_status and a phrase of the message; the
 * sweeps (truncation at many offsets, byte flips) assert that every outcome is
 * a clean status with a message and that whatever opens is self-consistent.
 * Run under ASan/UBSan/LSan (build-asan) this also shows there is no crash,
 * overread or leak on any path. */
#include "test_support.h"

#include "io/ckpt.h"
#include "ckpt_writer.h"
#include "io/config.h"
#include "io/json.h"
#include "io/pickle.h"
#include "var.h"
#include "io/zip.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifndef _WIN32
#include <sys/mman.h>
#endif
#include <sys/stat.h>
#include <unistd.h>

static var_ctx *ctx;
static char tmpdir[512];
static int n_cases, n_sweep;

/* ---- helpers ------------------------------------------------------------ */

static bytes read_whole(const char *path)
{
  bytes b = { 0, 0, 0 };
  FILE *fp = fopen(path, "rb");
  uint8_t buf[65536];
  size_t k;
  CU_ASSERT_FATAL(fp != NULL);
  while ((k = fread(buf, 1, sizeof buf, fp)) > 0) b_put(&b, buf, k);
  fclose(fp);
  return b;
}

static const char *write_tmp(const char *name, const uint8_t *p, size_t n)
{
  static char path[700];
  FILE *fp;
  snprintf(path, sizeof path, "%s/%s", tmpdir, name);
  fp = fopen(path, "wb");
  CU_ASSERT_FATAL(fp != NULL);
  CU_ASSERT_FATAL(fwrite(p, 1, n, fp) == n);
  fclose(fp);
  return path;
}

/* What every successfully opened checkpoint must satisfy. */
static void check_consistent(const var_checkpoint *ck)
{
  int i, d;
  for (i = 0; i < ck->n; i++) {
    const var_ckpt_tensor *t = &ck->tensors[i];
    int64_t numel = 1;
    for (d = 0; d < t->ndim; d++) numel *= t->shape[d];
    CU_ASSERT_EQUAL(numel, t->numel);
    CU_ASSERT_EQUAL((size_t)t->numel * var_dtype_size(t->dtype), t->nbytes);
    CU_ASSERT(((uintptr_t)t->data % var_dtype_size(t->dtype)) == 0);
    if (t->nbytes && (const uint8_t *)t->data >= ck->map && (const uint8_t *)t->data < ck->map + ck->map_size)
      CU_ASSERT((const uint8_t *)t->data + t->nbytes <= ck->map + ck->map_size);
    CU_ASSERT(var_ckpt_find(ck, t->name) == t);
  }
}

/* A named case: the bytes must fail (or open) with exactly `want`, and the
 * message must contain `phrase`.  Opened from memory and, through a file, by
 * mmap: both paths must agree. */
static void expect_case(int line, const char *what, const uint8_t *p, size_t n, var_status want, const char *phrase)
{
  var_checkpoint *ck = NULL;
  var_status st = var_checkpoint_open_memory(ctx, p, n, what, &ck);
  const char *msg = var_ctx_last_error(ctx);
  int ok = st == want && (!phrase || strstr(msg, phrase));
  n_cases++;
  if (!ok)
    printf("\n    case \"%s\" (line %d): got %s \"%s\", expected %s with \"%s\"", what, line, var_strerror(st), msg,
           var_strerror(want), phrase ? phrase : "");
  CU_ASSERT(ok);
  if (st != VAR_OK) {
    CU_ASSERT_PTR_NULL(ck);
    CU_ASSERT(strstr(msg, what) == msg);   /* messages start with the file's name */
  } else {
    check_consistent(ck);
  }
  var_checkpoint_free(ck);
  if (n >= 8) {   /* the same through a real file (files under 8 bytes are refused before mapping) */
    const char *path = write_tmp("case.bin", p, n);
    var_status st2 = var_checkpoint_open(ctx, path, &ck);
    if (st2 != st) printf("\n    case \"%s\" (line %d): file gives %s, memory %s", what, line, var_strerror(st2),
                          var_strerror(st));
    CU_ASSERT_EQUAL(st2, st);
    var_checkpoint_free(ck);
  }
}

#define EXPECT(what, b, want, phrase) expect_case(__LINE__, what, (b).p, (b).n, want, phrase)

/* A sweep step: any status, but a clean one. */
static var_status sweep_open(const uint8_t *p, size_t n)
{
  var_checkpoint *ck = NULL;
  var_status st = var_checkpoint_open_memory(ctx, p, n, "sweep", &ck);
  n_sweep++;
  CU_ASSERT(st >= VAR_OK && st < VAR_ERR_COUNT_);
  if (st != VAR_OK) {
    CU_ASSERT_PTR_NULL(ck);
    CU_ASSERT(strlen(var_ctx_last_error(ctx)) > strlen("sweep: "));
  } else {
    check_consistent(ck);
  }
  var_checkpoint_free(ck);
  return st;
}

static pk_tensor float_tensor(const char *name, const char *key, int64_t rows, int64_t cols)
{
  pk_tensor t;
  memset(&t, 0, sizeof t);
  t.name = name;
  t.storage = "FloatStorage";
  t.key = key;
  t.ndim = 2;
  t.shape[0] = rows;
  t.shape[1] = cols;
  t.storage_numel = rows * cols;
  pk_contiguous(&t);
  return t;
}

/* A one-tensor .pth around a hand-written pickle, with storage "0" of `bytes` bytes. */
static bytes pth_with_pickle(const bytes *pkl, long storage_bytes)
{
  pk_tensor t = float_tensor("w", "0", 2, 2);
  long sb[1];
  sb[0] = storage_bytes;
  return make_pth("m", pkl, &t, 1, sb, NULL, NULL);
}

/* pk_state_dict of one tensor, then the archive; returns the archive. */
static bytes pth_one(const pk_tensor *t, long storage_bytes)
{
  bytes pkl = { 0, 0, 0 }, out;
  long sb[1];
  sb[0] = storage_bytes;
  pk_state_dict(&pkl, t, 1);
  out = make_pth("m", &pkl, t, 1, sb, NULL, NULL);
  b_free(&pkl);
  return out;
}

/* Pickle prologue: PROTO 2. */
static bytes pk_begin(void)
{
  bytes b = { 0, 0, 0 };
  pk_op(&b, 0x80);
  b_u8(&b, 2);
  return b;
}

/* ---- API misuse, not-a-checkpoint ------------------------------------------ */

static void test_api_misuse(void)
{
  var_checkpoint *ck = (var_checkpoint *)&ck;
  var_tensor_info info;
  const float *f;
  int64_t dims[2] = { 2, 2 };
  pk_tensor t = float_tensor("w", "0", 2, 2);
  bytes b;
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, NULL, &ck), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_PTR_NULL(ck);
  CU_ASSERT_EQUAL(var_checkpoint_open(NULL, "x.pth", &ck), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, "x.pth", NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_checkpoint_open_memory(ctx, NULL, 10, "m", &ck), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, tmpdir, &ck), VAR_ERR_IO);   /* a directory */
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "not a regular file") != NULL);
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, "/nonexistent/dir/x.pth", &ck), VAR_ERR_IO);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "No such file") != NULL);
  n_cases += 7;
  var_checkpoint_free(NULL);
  CU_ASSERT_EQUAL(var_checkpoint_n_tensors(NULL), 0);

  b = make_pth_sd("m", &t, 1, NULL);
  CU_ASSERT_FATAL(var_checkpoint_open_memory(ctx, b.p, b.n, "m.pth", &ck) == VAR_OK);
  CU_ASSERT_EQUAL(var_checkpoint_n_tensors(ck), 1);
  CU_ASSERT_EQUAL(var_checkpoint_tensor(ck, 1, &info), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_checkpoint_tensor(ck, -1, &info), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_checkpoint_tensor(ck, 0, NULL), VAR_ERR_INVALID_ARGUMENT);
  CU_ASSERT_EQUAL(var_ckpt_f32(ck, "nope", 2, dims, &f, NULL), VAR_ERR_NOT_FOUND);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "\"nope\" is missing") != NULL);
  dims[1] = 3;
  CU_ASSERT_EQUAL(var_ckpt_f32(ck, "w", 2, dims, &f, NULL), VAR_ERR_SHAPE);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "has shape [2, 2], expected [2, 3]") != NULL);
  CU_ASSERT_EQUAL(var_ckpt_f32(ck, "w", 1, dims, &f, NULL), VAR_ERR_SHAPE);
  n_cases += 6;
  var_checkpoint_free(ck);
  b_free(&b);
}

static void test_not_a_checkpoint(void)
{
  static const uint8_t legacy[] = { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
                                    0x2e };
  bytes b = { 0, 0, 0 };
  expect_case(__LINE__, "empty", (const uint8_t *)"", 0, VAR_ERR_FORMAT, "too short (0 bytes)");
  expect_case(__LINE__, "seven bytes", (const uint8_t *)"PK\3\4abc", 7, VAR_ERR_FORMAT, "too short");
  expect_case(__LINE__, "text", (const uint8_t *)"hello, world, this is text", 26, VAR_ERR_FORMAT,
              "neither a PyTorch zip checkpoint nor a safetensors file");
  expect_case(__LINE__, "legacy torch.save", legacy, sizeof legacy, VAR_ERR_UNSUPPORTED, "legacy (pre-1.6)");
  b_put(&b, "PK\3\4", 4);
  b_zeros(&b, 100);
  EXPECT("zip magic, no directory", b, VAR_ERR_FORMAT, "no end-of-central-directory record");
  b_free(&b);
  /* A valid zip that is not a torch checkpoint. */
  {
    zw_entry e[1] = { { "readme.txt", (const uint8_t *)"hi", 2, 0, 0 } };
    b = zw_build(e, 1, NULL, NULL);
    EXPECT("zip without data.pkl", b, VAR_ERR_FORMAT, "no */data.pkl: not a PyTorch checkpoint");
    b_free(&b);
  }
}

/* ---- truncation ------------------------------------------------------------ */

static void test_truncation(void)
{
  bytes g = read_whole(GOLDEN_DIR("tiny") "/var_d2.pth");
  zw_layout lay;
  pk_tensor t[3];
  bytes b;
  size_t cut, pkl_end;
  var_zip z;
  int bad = 0;
  /* data.pkl is the first entry; find where it ends. */
  CU_ASSERT_FATAL(var_zip_open(ctx, g.p, g.n, &z) == VAR_OK);
  pkl_end = (size_t)(z.entries[0].data_offset + z.entries[0].size);
  var_zip_close(&z);
  for (cut = 0; cut < g.n; cut += (cut < pkl_end + 512 || cut + 4096 > g.n) ? 1 : 97) {
    var_status st = sweep_open(g.p, cut);
    if (st != VAR_ERR_FORMAT ||
        (cut >= 8 && !strstr(var_ctx_last_error(ctx), "no end-of-central-directory record") &&
         !strstr(var_ctx_last_error(ctx), "is too short"))) {
      if (bad++ < 5) printf("\n    cut at %lu: %s", (unsigned long)cut, var_ctx_last_error(ctx));
    }
  }
  CU_ASSERT_EQUAL(bad, 0);
  b_free(&g);

  /* Archives that are consistent as zips but whose storages are cut short. */
  t[0] = float_tensor("a", "0", 4, 4);
  t[1] = float_tensor("b", "1", 8, 8);
  t[2] = float_tensor("c", "2", 1, 3);
  {
    long sb[3] = { -1, 100, -1 };
    bytes pkl = { 0, 0, 0 };
    pk_state_dict(&pkl, t, 3);
    b = make_pth("m", &pkl, t, 3, sb, NULL, &lay);
    EXPECT("storage shorter than its numel", b, VAR_ERR_FORMAT,
           "storage m/data/1 claims 64 elements of float32 but holds only 100 bytes");
    b_free(&b);
    b_free(&pkl);
  }
  /* Safetensors cut at every offset: always a clean FORMAT error. */
  {
    static const float v[6] = { 1, 2, 3, 4, 5, 6 };
    bytes st = make_safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}}  ", v, sizeof v);
    bad = 0;
    for (cut = 0; cut < st.n; cut++)
      if (sweep_open(st.p, cut) != VAR_ERR_FORMAT) bad++;
    CU_ASSERT_EQUAL(bad, 0);
    CU_ASSERT_EQUAL(sweep_open(st.p, st.n), VAR_OK);
    b_free(&st);
  }
}

/* A clean outcome of the pickle reader on its own. */
static var_status sweep_pickle(const uint8_t *p, size_t n)
{
  var_pkl_state_dict sd;
  var_status st;
  int i;
  var_clear_error(ctx);
  st = var_pickle_state_dict(ctx, p, n, &sd);
  n_sweep++;
  CU_ASSERT(st >= VAR_OK && st < VAR_ERR_COUNT_);
  if (st != VAR_OK) {
    CU_ASSERT(var_ctx_last_error(ctx)[0] != '\0');
    CU_ASSERT(sd.n == 0 && sd.tensors == NULL);
  }
  for (i = 0; i < sd.n; i++) CU_ASSERT(sd.tensors[i].ndim <= VAR_MAX_DIMS && sd.tensors[i].name[0] != '\0');
  var_pickle_state_dict_free(&sd);
  return st;
}

/* The data.pkl and storages of an archive, to rebuild it around a changed pickle. */
typedef struct {
  bytes pkl;
  pk_tensor t[16];
  int n;
  var_pkl_state_dict sd;
} unpacked;

static void unpack(const char *path, unpacked *u)
{
  bytes g = read_whole(path);
  var_zip z;
  int k;
  CU_ASSERT_FATAL(var_zip_open(ctx, g.p, g.n, &z) == VAR_OK);
  u->pkl = b_copy(g.p + z.entries[0].data_offset, (size_t)z.entries[0].size);
  var_zip_close(&z);
  b_free(&g);
  CU_ASSERT_FATAL(var_pickle_state_dict(ctx, u->pkl.p, u->pkl.n, &u->sd) == VAR_OK);
  CU_ASSERT_FATAL(u->sd.n <= 16);
  u->n = u->sd.n;
  for (k = 0; k < u->n; k++) {
    const var_pkl_tensor *t = &u->sd.tensors[k];
    memset(&u->t[k], 0, sizeof u->t[k]);
    u->t[k].name = t->name;
    u->t[k].key = t->storage_key;
    u->t[k].storage = t->dtype == VAR_DTYPE_I64 ? "LongStorage" : t->dtype == VAR_DTYPE_F16 ? "HalfStorage"
                      : t->dtype == VAR_DTYPE_BF16 ? "BFloat16Storage" : "FloatStorage";
    u->t[k].storage_numel = t->storage_numel;
  }
}

static const uint8_t subst[] = { 0x00, 0xFF, '(', ')', '.', 'R', 'Q', 'h', 'q', 0x80 };

/* data.pkl of a golden checkpoint straight into the pickle reader: every
 * prefix, and every byte replaced by 0x00, 0xFF and itself ^ 0x80; then a
 * torch-written file's, every prefix and every byte replaced by each of ten
 * opcode-like values, re-archived (with a correct CRC) after each change, so
 * that the whole loader sees it. */
static void test_pickle_sweeps(void)
{
  bytes g = read_whole(GOLDEN_DIR("tiny") "/var_d2.pth"), pkl;
  var_zip z;
  unpacked u;
  size_t cut, i;
  int bad = 0, k, opened = 0;
  CU_ASSERT_FATAL(var_zip_open(ctx, g.p, g.n, &z) == VAR_OK);
  pkl = b_copy(g.p + z.entries[0].data_offset, (size_t)z.entries[0].size);
  var_zip_close(&z);
  b_free(&g);
  CU_ASSERT_EQUAL(sweep_pickle(pkl.p, pkl.n), VAR_OK);
  for (cut = 0; cut < pkl.n; cut++)
    if (sweep_pickle(pkl.p, cut) != VAR_ERR_FORMAT) bad++;
  CU_ASSERT_EQUAL(bad, 0);
  for (i = 0; i < pkl.n; i++)
    for (k = 0; k < 3; k++) {   /* 0x00, 0xFF, or the byte with its top bit flipped */
      uint8_t old = pkl.p[i];
      pkl.p[i] = k == 0 ? 0x00 : k == 1 ? 0xFF : old ^ 0x80;
      if (pkl.p[i] != old && sweep_pickle(pkl.p, pkl.n) == VAR_OK) opened++;
      pkl.p[i] = old;
    }
  CU_ASSERT(opened > 0);   /* some changes are harmless: a memo slot, a location string */
  b_free(&pkl);

  unpack(VAR_TEST_DATA "/torch/dtypes.pth", &u);
  bad = opened = 0;
  for (cut = 0; cut < u.pkl.n; cut++) {
    bytes part = b_copy(u.pkl.p, cut), arch = make_pth("archive", &part, u.t, u.n, NULL, NULL, NULL);
    if (sweep_open(arch.p, arch.n) != VAR_ERR_FORMAT) bad++;
    b_free(&arch);
    b_free(&part);
  }
  CU_ASSERT_EQUAL(bad, 0);
  for (i = 0; i < u.pkl.n; i++)
    for (k = 0; k < (int)sizeof subst; k++) {
      uint8_t old = u.pkl.p[i];
      bytes arch;
      if (old == subst[k]) continue;
      u.pkl.p[i] = subst[k];
      arch = make_pth("archive", &u.pkl, u.t, u.n, NULL, NULL, NULL);
      if (sweep_open(arch.p, arch.n) == VAR_OK) opened++;
      b_free(&arch);
      u.pkl.p[i] = old;
    }
  CU_ASSERT(opened > 0);
  {
    bytes arch = make_pth("archive", &u.pkl, u.t, u.n, NULL, NULL, NULL);
    CU_ASSERT_EQUAL(sweep_open(arch.p, arch.n), VAR_OK);   /* unchanged, re-archived: opens */
    b_free(&arch);
  }
  var_pickle_state_dict_free(&u.sd);
  b_free(&u.pkl);
}

/* ---- zip structure ------------------------------------------------------- */

static void test_zip_directory(void)
{
  pk_tensor t = float_tensor("w", "0", 2, 2);
  zw_layout lay;
  bytes good = make_pth_sd("m", &t, 1, &lay), b;
  zw_options plain = { 0, 64 };
  CU_ASSERT_EQUAL(sweep_open(good.p, good.n), VAR_OK);

  b = b_copy(good.p, good.n);
  w64(b.p + lay.eocd64 + 48, good.n + 1000);
  EXPECT("central directory offset past the end", b, VAR_ERR_FORMAT, "central directory");
  w64(b.p + lay.eocd64 + 48, lay.cd_off);
  w64(b.p + lay.eocd64 + 40, lay.cd_size + 200);
  EXPECT("central directory longer than the file", b, VAR_ERR_FORMAT, "lies outside");
  w64(b.p + lay.eocd64 + 40, lay.cd_size);
  w64(b.p + lay.eocd64 + 32, 999999);
  EXPECT("more entries than the directory holds", b, VAR_ERR_FORMAT, "entries cannot fit");
  w64(b.p + lay.eocd64 + 32, 0xFFFFFFFFFFFFull);
  EXPECT("2^48 entries", b, VAR_ERR_FORMAT, "entries cannot fit");
  b_free(&b);

  b = b_copy(good.p, good.n);
  w64(b.p + lay.locator + 8, 0xFFFFFFFFFFFFFF00ull);
  EXPECT("ZIP64 locator pointing past the end", b, VAR_ERR_FORMAT, "the ZIP64 locator points at");
  w64(b.p + lay.locator + 8, lay.eocd64 + 1);
  EXPECT("ZIP64 locator pointing at garbage", b, VAR_ERR_FORMAT, "no ZIP64 end record");
  w64(b.p + lay.locator + 8, lay.locator);
  EXPECT("ZIP64 locator pointing at itself", b, VAR_ERR_FORMAT, "ZIP64 locator points at");
  b_free(&b);

  b = b_copy(good.p, good.n);
  w32(b.p + lay.eocd64 + 16, 1);
  EXPECT("ZIP64 multi-disk", b, VAR_ERR_UNSUPPORTED, "multi-disk");
  b_free(&b);
  b = b_copy(good.p, good.n);
  w16(b.p + lay.eocd + 4, 1);
  EXPECT("multi-disk", b, VAR_ERR_UNSUPPORTED, "multi-disk");
  b_free(&b);

  /* ZIP64 entries whose 64-bit offsets point outside the file */
  b = b_copy(good.p, good.n);
  w64(b.p + lay.central[1] + 46 + strlen("m/data/0") + 4 + 16, 0x100000000ull);
  EXPECT("ZIP64 local offset past the end", b, VAR_ERR_FORMAT,
         "local header of \"m/data/0\" (at 4294967296) is missing");
  b_free(&b);
  b = b_copy(good.p, good.n);
  w64(b.p + lay.central[1] + 46 + strlen("m/data/0") + 4, 0x7FFFFFFFFFFFFFFFull);
  w64(b.p + lay.central[1] + 46 + strlen("m/data/0") + 4 + 8, 0x7FFFFFFFFFFFFFFFull);
  EXPECT("ZIP64 size of 2^63", b, VAR_ERR_FORMAT, "runs past the end");
  b_free(&b);
  b = b_copy(good.p, good.n);
  w16(b.p + lay.central[1] + 46 + strlen("m/data/0") + 2, 8);   /* ZIP64 extra too short for 3 values */
  EXPECT("ZIP64 extra field too short", b, VAR_ERR_FORMAT, "lacks its ZIP64 sizes");
  b_free(&b);
  b = b_copy(good.p, good.n);
  w16(b.p + lay.central[1] + 30, 60000);   /* extra field longer than the directory */
  EXPECT("extra field past the directory", b, VAR_ERR_FORMAT, "runs past the directory");
  b_free(&b);

  /* The plain (non-ZIP64) form of the same archive opens too; then break it. */
  {
    bytes pkl = { 0, 0, 0 };
    pk_state_dict(&pkl, &t, 1);
    b = make_pth("m", &pkl, &t, 1, NULL, &plain, &lay);
    b_free(&pkl);
  }
  CU_ASSERT_EQUAL(sweep_open(b.p, b.n), VAR_OK);
  w32(b.p + lay.eocd + 16, 0xFFFFFFFFu);
  EXPECT("ZIP64 marker without a locator", b, VAR_ERR_FORMAT, "ZIP64 values without a ZIP64 locator");
  w32(b.p + lay.eocd + 16, (uint32_t)lay.cd_off + 1);
  w32(b.p + lay.eocd + 12, (uint32_t)lay.cd_size - 1);
  EXPECT("directory offset off by one", b, VAR_ERR_FORMAT, "central directory entry 0 is damaged");
  w32(b.p + lay.eocd + 16, (uint32_t)lay.cd_off);
  w32(b.p + lay.eocd + 12, (uint32_t)lay.cd_size);
  w32(b.p + lay.central[1], 0x12345678u);
  EXPECT("bad directory signature", b, VAR_ERR_FORMAT, "central directory entry 1 is damaged");
  w32(b.p + lay.central[1], 0x02014b50u);
  w32(b.p + lay.central[1] + 42, (uint32_t)b.n - 10);
  EXPECT("local header offset near the end", b, VAR_ERR_FORMAT, "local header of \"m/data/0\"");
  w32(b.p + lay.central[1] + 42, (uint32_t)lay.local[1]);
  w32(b.p + lay.central[1] + 20, 12345);
  EXPECT("stored entry with two sizes", b, VAR_ERR_FORMAT, "has a size of 12345 and of 16 bytes");
  w32(b.p + lay.central[1] + 20, 16);
  w16(b.p + lay.central[1] + 8, 1);
  EXPECT("encrypted entry", b, VAR_ERR_UNSUPPORTED, "\"m/data/0\" is encrypted");
  w16(b.p + lay.central[1] + 8, 0);
  w16(b.p + lay.eocd + 20, 5);   /* comment length that does not reach the end */
  EXPECT("end record with a bad comment length", b, VAR_ERR_FORMAT, "no end-of-central-directory record");
  w16(b.p + lay.eocd + 20, 0);
  CU_ASSERT_EQUAL(sweep_open(b.p, b.n), VAR_OK);
  b_free(&b);
  b_free(&good);
}

static void test_zip_entries(void)
{
  pk_tensor t = float_tensor("w", "0", 2, 2);
  bytes pkl = { 0, 0, 0 }, b;
  zw_entry e[5];
  zw_layout lay;
  uint8_t data[16];
  memset(data, 0, sizeof data);
  pk_state_dict(&pkl, &t, 1);
  e[0].name = "m/data.pkl";
  e[0].data = pkl.p;
  e[0].size = pkl.n;
  e[1].name = "m/data/0";
  e[1].data = data;
  e[1].size = 16;
  e[2].name = "m/version";
  e[2].data = (const uint8_t *)"3\n";
  e[2].size = 2;
  e[0].method = e[1].method = e[2].method = 0;
  e[0].flags = e[1].flags = e[2].flags = 0;
  b = zw_build(e, 3, NULL, &lay);
  CU_ASSERT_EQUAL(sweep_open(b.p, b.n), VAR_OK);
  b_free(&b);

  e[3] = e[1];
  b = zw_build(e, 4, NULL, &lay);
  EXPECT("duplicate storage entry", b, VAR_ERR_FORMAT, "the entry \"m/data/0\" appears twice");
  b_free(&b);
  e[3] = e[0];
  e[3].name = "other/data.pkl";
  b = zw_build(e, 4, NULL, &lay);
  EXPECT("two data.pkl", b, VAR_ERR_FORMAT, "more than one data.pkl");
  b_free(&b);

  b = zw_build(e, 3, NULL, &lay);
  b.p[lay.central[1] + 46 + 2] = 0;   /* "m/\0ata/0" */
  EXPECT("NUL in a name", b, VAR_ERR_FORMAT, "entry 1 has a NUL byte in its name");
  b_free(&b);

  e[1].method = 8;
  b = zw_build(e, 3, NULL, &lay);
  EXPECT("compressed storage", b, VAR_ERR_UNSUPPORTED, "storage m/data/0 is compressed");
  b_free(&b);
  e[1].method = 0;
  e[0].method = 8;
  b = zw_build(e, 3, NULL, &lay);
  EXPECT("compressed data.pkl", b, VAR_ERR_UNSUPPORTED, "data.pkl is compressed");
  b_free(&b);
  e[0].method = 0;
  e[0].flags = 1;
  b = zw_build(e, 3, NULL, &lay);
  EXPECT("encrypted data.pkl", b, VAR_ERR_UNSUPPORTED, "\"m/data.pkl\" is encrypted");
  b_free(&b);
  e[0].flags = 0;

  /* local headers */
  b = zw_build(e, 3, NULL, &lay);
  w32(b.p + lay.local[1], 0x04034b51u);
  EXPECT("local header signature", b, VAR_ERR_FORMAT, "local header of \"m/data/0\" (at");
  w32(b.p + lay.local[1], 0x04034b50u);
  b.p[lay.local[1] + 30 + 2] = 'X';
  EXPECT("local header naming another entry", b, VAR_ERR_FORMAT, "names another entry");
  b.p[lay.local[1] + 30 + 2] = 'd';
  w16(b.p + lay.local[1] + 26, 200);
  EXPECT("local name length", b, VAR_ERR_FORMAT, "names another entry");
  w16(b.p + lay.local[1] + 26, 8);
  w16(b.p + lay.local[1] + 28, 65000);
  EXPECT("local extra length pushes data past the end", b, VAR_ERR_FORMAT, "runs past the end of the");
  w16(b.p + lay.local[1] + 28, (unsigned)(lay.data[1] - lay.local[1] - 30 - 8));
  w16(b.p + lay.local[1] + 6, 1);
  EXPECT("encrypted flag in the local header", b, VAR_ERR_UNSUPPORTED, "is encrypted");
  w16(b.p + lay.local[1] + 6, 0);
  CU_ASSERT_EQUAL(sweep_open(b.p, b.n), VAR_OK);
  /* data.pkl corrupted with its CRC left as it was */
  b.p[lay.data[0] + 10] ^= 0x20;
  EXPECT("data.pkl CRC", b, VAR_ERR_FORMAT, "data.pkl fails its CRC check");
  b_free(&b);

  /* storage entry missing; byte order entries */
  e[1].name = "m/data/7";
  b = zw_build(e, 3, NULL, &lay);
  EXPECT("missing storage", b, VAR_ERR_FORMAT, "its storage m/data/0 is missing from the archive");
  b_free(&b);
  e[1].name = "m/data/0";
  e[3].name = "m/byteorder";
  e[3].data = (const uint8_t *)"big";
  e[3].size = 3;
  e[3].method = e[3].flags = 0;
  b = zw_build(e, 4, NULL, &lay);
  EXPECT("big-endian checkpoint", b, VAR_ERR_UNSUPPORTED, "big-endian");
  b_free(&b);
  e[3].data = (const uint8_t *)"middle";
  e[3].size = 6;
  b = zw_build(e, 4, NULL, &lay);
  EXPECT("unreadable byteorder", b, VAR_ERR_FORMAT, "unreadable byteorder");
  b_free(&b);
  e[3].data = (const uint8_t *)"little";
  b = zw_build(e, 4, NULL, &lay);
  EXPECT("little-endian byteorder entry", b, VAR_OK, NULL);
  b_free(&b);
  b_free(&pkl);
}

/* Flips each byte of the golden archive's central directory and end records. */
static void test_zip_flip_sweep(void)
{
  bytes g = read_whole(GOLDEN_DIR("tiny") "/var_d2.pth");
  var_zip z;
  size_t i, start;
  int opened = 0, failed = 0;
  CU_ASSERT_FATAL(var_zip_open(ctx, g.p, g.n, &z) == VAR_OK);
  start = (size_t)(z.entries[z.n_entries - 1].data_offset + z.entries[z.n_entries - 1].size);
  var_zip_close(&z);
  for (i = start; i < g.n; i++) {
    uint8_t old = g.p[i];
    g.p[i] ^= 0xFF;
    if (sweep_open(g.p, g.n) == VAR_OK) opened++;
    else failed++;
    g.p[i] = old;
  }
  /* Version fields, times and the CRCs of storages (which are never read) may
   * change harmlessly; offsets, sizes, names and signatures may not. */
  CU_ASSERT(opened > 0);
  CU_ASSERT(failed > (int)(g.n - start) / 2);
  /* the local headers too */
  for (i = 0; i < 2000; i++) {
    uint8_t old = g.p[i];
    g.p[i] ^= 0x55;
    sweep_open(g.p, g.n);
    g.p[i] = old;
  }
  b_free(&g);
}

/* ---- pickles --------------------------------------------------------------- */

static void test_pickle_hostile_globals(void)
{
  bytes p, b;
  p = pk_begin();
  pk_global(&p, "os", "system");
  pk_str(&p, "touch /tmp/pwned");
  pk_op(&p, 0x85);
  pk_op(&p, 'R');
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("GLOBAL os.system + REDUCE", b, VAR_ERR_UNSUPPORTED, "refers to os.system, which a state dict never needs");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_global(&p, "builtins", "eval");
  EXPECT("bare pickle", p, VAR_ERR_UNSUPPORTED, "a bare pickle, not a PyTorch checkpoint");
  b = pth_with_pickle(&p, -1);
  EXPECT("builtins.eval", b, VAR_ERR_UNSUPPORTED, "refers to builtins.eval");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_global(&p, "__builtin__", "getattr");
  b = pth_with_pickle(&p, -1);
  EXPECT("__builtin__.getattr", b, VAR_ERR_UNSUPPORTED, "refers to __builtin__.getattr");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* protocol-4 style: STACK_GLOBAL from two strings */
  pk_str(&p, "subprocess");
  pk_str(&p, "Popen");
  pk_op(&p, 0x93);
  b = pth_with_pickle(&p, -1);
  EXPECT("STACK_GLOBAL subprocess.Popen", b, VAR_ERR_UNSUPPORTED, "refers to subprocess.Popen");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* a look-alike module name with a NUL byte */
  pk_op(&p, 'c');
  b_put(&p, "torch\0x\nFloatStorage\n", 21);
  b = pth_with_pickle(&p, -1);
  EXPECT("GLOBAL with a NUL byte", b, VAR_ERR_FORMAT, "global name with a NUL byte");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_global(&p, "torch._utils", "_rebuild_qtensor");
  b = pth_with_pickle(&p, -1);
  EXPECT("torch._utils._rebuild_qtensor", b, VAR_ERR_UNSUPPORTED, "refers to torch._utils._rebuild_qtensor");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, 'c');
  b_put(&p, "\x1b[31mevil\nx\n", 12);
  b = pth_with_pickle(&p, -1);
  EXPECT("escape sequence in a global name", b, VAR_ERR_UNSUPPORTED, "refers to ?[31mevil.x");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_global(&p, "collections", "OrderedDict");
  pk_global(&p, "torch", "FloatStorage");
  pk_op(&p, 0x85);
  pk_op(&p, 'R');
  b = pth_with_pickle(&p, -1);
  EXPECT("OrderedDict with arguments", b, VAR_ERR_UNSUPPORTED, "OrderedDict built from arguments");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_global(&p, "torch", "FloatStorage");
  pk_op(&p, ')');
  pk_op(&p, 'R');
  b = pth_with_pickle(&p, -1);
  EXPECT("calling a storage class", b, VAR_ERR_UNSUPPORTED, "calls a storage class directly");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_str(&p, "os.system");
  pk_op(&p, ')');
  pk_op(&p, 'R');
  b = pth_with_pickle(&p, -1);
  EXPECT("REDUCE on a string", b, VAR_ERR_UNSUPPORTED, "calls something that is not an allowed class");
  b_free(&b);
  b_free(&p);
}

static void test_pickle_opcodes(void)
{
  static const struct { uint8_t op; const char *phrase; } refused[] = {
    { 0x81, "NEWOBJ" }, { 'i', "INST" }, { 'o', "OBJ" }, { 0x92, "NEWOBJ_EX" }, { 0x82, "EXT1/2/4" },
    { 'P', "PERSID" }, { 'I', "protocol-0" }, { 'S', "protocol-0" }, { 0x8b, "LONG4" }, { 0x8f, "set opcode" },
    { 0x97, "buffer" }, { 0xff, "unknown opcode 0xff" }, { 0x01, "unknown opcode 0x01" },
  };
  unsigned k;
  char what[64];
  for (k = 0; k < sizeof refused / sizeof refused[0]; k++) {
    bytes p = pk_begin(), b;
    pk_global(&p, "collections", "OrderedDict");
    pk_op(&p, ')');
    pk_op(&p, refused[k].op);
    pk_op(&p, '.');
    b = pth_with_pickle(&p, -1);
    snprintf(what, sizeof what, "opcode 0x%02x", refused[k].op);
    EXPECT(what, b, VAR_ERR_UNSUPPORTED, refused[k].phrase);
    b_free(&b);
    b_free(&p);
  }
  {
    bytes p = { 0, 0, 0 }, b;
    pk_op(&p, 0x80);
    b_u8(&p, 6);
    b = pth_with_pickle(&p, -1);
    EXPECT("pickle protocol 6", b, VAR_ERR_UNSUPPORTED, "pickle protocol 6 is not supported");
    b_free(&b);
    b_free(&p);
  }
  {
    bytes p = pk_begin(), b;   /* LONG1 of 9 bytes */
    pk_op(&p, 0x8a);
    b_u8(&p, 9);
    b_zeros(&p, 9);
    b = pth_with_pickle(&p, -1);
    EXPECT("LONG1 of 9 bytes", b, VAR_ERR_UNSUPPORTED, "integer of 9 bytes");
    b_free(&b);
    b_free(&p);
  }
}

/* Resource exhaustion attempts: each must end in a bounded, clean error. */
static void test_pickle_resources(void)
{
  bytes p, b;
  size_t i;

  p = pk_begin();   /* 100,000 nested MARKs and no STOP */
  for (i = 0; i < 100000; i++) pk_op(&p, '(');
  b = pth_with_pickle(&p, -1);
  EXPECT("100,000 MARKs", b, VAR_ERR_FORMAT, "no STOP");
  b_free(&b);
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("STOP on a MARK", b, VAR_ERR_FORMAT, "STOP with an empty stack");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* 100,000 nested tuples: ((((...)))) — no recursion anywhere */
  for (i = 0; i < 100000; i++) pk_op(&p, '(');
  for (i = 0; i < 100000; i++) pk_op(&p, 't');
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("100,000 nested tuples", b, VAR_ERR_UNSUPPORTED, "its pickle yields a tuple");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* 1.1 M MARKs: deeper than the stack limit */
  for (i = 0; i < 1100000; i++) pk_op(&p, '(');
  b = pth_with_pickle(&p, -1);
  EXPECT("1.1 M MARKs", b, VAR_ERR_UNSUPPORTED, "stack grows deeper than 1048576");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* more objects than a state dict could need */
  for (i = 0; i <= 2 * VAR_PICKLE_MAX_VALUES; i++) pk_op(&p, i % 2 ? '0' : 'N');
  b = pth_with_pickle(&p, -1);
  EXPECT("a million Nones", b, VAR_ERR_UNSUPPORTED, "builds more than 1048576 objects");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* one list, appended to via the memo 4.2 M times */
  pk_op(&p, ']');
  pk_op(&p, 'q');
  b_u8(&p, 0);
  for (i = 0; i <= VAR_PICKLE_MAX_ITEMS; i++) {
    pk_op(&p, 'h');
    b_u8(&p, 0);
    pk_op(&p, 'a');
  }
  b = pth_with_pickle(&p, -1);
  EXPECT("4.2 M list items", b, VAR_ERR_UNSUPPORTED, "more than 4194304 items");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, '}');
  pk_op(&p, 'r');
  b_u32(&p, 0xFFFFFFFFu);
  b = pth_with_pickle(&p, -1);
  EXPECT("memo index 2^32-1", b, VAR_ERR_FORMAT, "memo index out of range");
  b_free(&b);
  b_free(&p);
  p = pk_begin();
  pk_op(&p, 'j');
  b_u32(&p, 0x7FFFFFFFu);
  b = pth_with_pickle(&p, -1);
  EXPECT("GET of an enormous memo index", b, VAR_ERR_FORMAT, "GET of an unknown memo entry");
  b_free(&b);
  b_free(&p);
  p = pk_begin();
  pk_op(&p, 'r');
  b_u32(&p, 5);
  b = pth_with_pickle(&p, -1);
  EXPECT("PUT with an empty stack", b, VAR_ERR_FORMAT, "PUT with an empty stack");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, 'X');
  b_u32(&p, 100);
  b_put(&p, "short", 5);
  b = pth_with_pickle(&p, -1);
  EXPECT("string length past the end", b, VAR_ERR_FORMAT, "string runs past the end");
  b_free(&b);
  b_free(&p);
  p = pk_begin();
  pk_op(&p, 'X');
  b_u32(&p, 1u << 30);
  b = pth_with_pickle(&p, -1);
  EXPECT("1 GB claimed string", b, VAR_ERR_FORMAT, "string runs past the end");
  b_free(&b);
  b_free(&p);
  p = pk_begin();
  pk_op(&p, 'T');
  b_u32(&p, 0xFFFFFFF0u);
  b = pth_with_pickle(&p, -1);
  EXPECT("negative BINSTRING length", b, VAR_ERR_FORMAT, "negative string length");
  b_free(&b);
  b_free(&p);
  p = pk_begin();
  pk_op(&p, 0x8d);
  b_u64(&p, 0xFFFFFFFFFFFFFFF0ull);
  b = pth_with_pickle(&p, -1);
  EXPECT("BINUNICODE8 of 2^64-16 bytes", b, VAR_ERR_FORMAT, "string runs past the end");
  b_free(&b);
  b_free(&p);
  p = pk_begin();
  pk_op(&p, 'c');
  for (i = 0; i < 300; i++) pk_op(&p, 'a');
  b_put(&p, "\nb\n", 3);
  b = pth_with_pickle(&p, -1);
  EXPECT("300-byte module name", b, VAR_ERR_FORMAT, "GLOBAL name too long");
  b_free(&b);
  b_free(&p);
  p = pk_begin();
  pk_op(&p, 'c');
  b_put(&p, "torch\nFloatStor", 15);
  b = pth_with_pickle(&p, -1);
  EXPECT("truncated GLOBAL", b, VAR_ERR_FORMAT, "truncated GLOBAL");
  b_free(&b);
  b_free(&p);
}

/* Pickles that are well-formed but do not describe a state dict. */
static void test_pickle_structure(void)
{
  bytes p, b;
  pk_tensor t = float_tensor("w", "0", 2, 2);

  p = pk_begin();   /* {'a': 1} */
  pk_op(&p, '}');
  pk_str(&p, "a");
  pk_int(&p, 1);
  pk_op(&p, 's');
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("a value that is an int", b, VAR_ERR_UNSUPPORTED, "state dict entry \"a\" is an int, not a tensor");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* {'model': {'w': tensor}} */
  pk_op(&p, '}');
  pk_str(&p, "model");
  {
    bytes inner = { 0, 0, 0 };
    pk_state_dict(&inner, &t, 1);
    /* the inner dict without its PROTO and STOP */
    b_put(&p, inner.p + 2, inner.n - 3);
    b_free(&inner);
  }
  pk_op(&p, 's');
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("a wrapper dict {'model': state_dict}", b, VAR_ERR_UNSUPPORTED,
         "state dict entry \"model\" is a dict, not a tensor (a training checkpoint with a wrapper dict");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, ']');
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("a list", b, VAR_ERR_UNSUPPORTED, "does not hold a state dict (its pickle yields a list)");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, '}');
  pk_int(&p, 3);
  pk_str(&p, "x");
  pk_op(&p, 's');
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("an int key", b, VAR_ERR_UNSUPPORTED, "a key that is an int, not a string");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, '}');
  pk_op(&p, 'X');
  b_u32(&p, 3);
  b_put(&p, "a\0b", 3);
  pk_str(&p, "x");
  pk_op(&p, 's');
  pk_op(&p, '.');
  b = pth_with_pickle(&p, -1);
  EXPECT("a key with a NUL byte", b, VAR_ERR_FORMAT, "a key with a NUL byte");
  b_free(&b);
  b_free(&p);

  p = pk_begin();   /* a persistent id that is not a storage */
  pk_str(&p, "module");
  pk_op(&p, 'Q');
  b = pth_with_pickle(&p, -1);
  EXPECT("persistent id that is a string", b, VAR_ERR_UNSUPPORTED, "persistent id that is not a torch storage");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, 'Q');
  b = pth_with_pickle(&p, -1);
  EXPECT("BINPERSID on an empty stack", b, VAR_ERR_FORMAT, "BINPERSID with an empty stack");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, ']');
  pk_op(&p, 'N');
  pk_op(&p, 'b');
  b = pth_with_pickle(&p, -1);
  EXPECT("BUILD on a list", b, VAR_ERR_UNSUPPORTED, "sets state on an object that is not a dict or tensor");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, 'N');
  pk_op(&p, 'N');
  pk_op(&p, 's');
  b = pth_with_pickle(&p, -1);
  EXPECT("SETITEM on None", b, VAR_ERR_FORMAT, "SETITEM on a non-dict");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, '}');
  pk_op(&p, '(');
  pk_str(&p, "x");
  pk_op(&p, 'u');
  b = pth_with_pickle(&p, -1);
  EXPECT("SETITEMS with an odd count", b, VAR_ERR_FORMAT, "SETITEMS with an odd number of items");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, 'N');
  pk_op(&p, '(');
  pk_op(&p, 'e');
  b = pth_with_pickle(&p, -1);
  EXPECT("APPENDS to None", b, VAR_ERR_FORMAT, "APPENDS to a non-list");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, '(');
  pk_op(&p, 0x86);
  b = pth_with_pickle(&p, -1);
  EXPECT("TUPLE2 over a MARK", b, VAR_ERR_FORMAT, "TUPLE1/2/3 with too few items");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, '(');
  pk_op(&p, 'N');
  pk_op(&p, 0x86);
  b = pth_with_pickle(&p, -1);
  EXPECT("TUPLE2 including a MARK", b, VAR_ERR_FORMAT, "MARK inside TUPLE1/2/3");
  b_free(&b);
  b_free(&p);

  p = pk_begin();
  pk_op(&p, '1');
  b = pth_with_pickle(&p, -1);
  EXPECT("POP_MARK without MARK", b, VAR_ERR_FORMAT, "POP_MARK without MARK");
  b_free(&b);
  b_free(&p);

  /* state dict whose tensor names the same key twice */
  {
    pk_tensor two[2];
    two[0] = t;
    two[1] = t;
    b = make_pth_sd("m", two, 2, NULL);
    EXPECT("the same tensor name twice", b, VAR_ERR_FORMAT, "has the tensor \"w\" twice");
    b_free(&b);
  }
}

/* Tensor geometry against its storage. */
static void test_tensor_geometry(void)
{
  pk_tensor t;
  bytes b;
  t = float_tensor("w", "0", 2, 2);
  t.shape[0] = 1ll << 40;
  t.shape[1] = 1ll << 40;
  pk_contiguous(&t);
  t.stride[0] = 1ll << 40;   /* what pk_contiguous makes, but spelled out: 2^40 */
  b = pth_one(&t, 64);
  EXPECT("numel overflow (2^40 x 2^40)", b, VAR_ERR_FORMAT, "absurd shape");
  b_free(&b);

  t = float_tensor("w", "0", 1000, 1000);
  t.storage_numel = 4;
  b = pth_one(&t, 16);
  EXPECT("shape larger than storage", b, VAR_ERR_FORMAT, "needs 4000000 bytes but the file holds only 16");
  b_free(&b);

  t = float_tensor("w", "0", 2, 2);
  t.storage_numel = 1ll << 50;
  b = pth_one(&t, 16);
  EXPECT("storage numel larger than its entry", b, VAR_ERR_FORMAT, "claims 1125899906842624 elements");
  b_free(&b);

  t = float_tensor("w", "0", 2, 2);
  t.offset = 5;
  b = pth_one(&t, 16);
  EXPECT("storage offset past the end", b, VAR_ERR_FORMAT, "starts at element 5, past the end of its 4-element");
  b_free(&b);
  t.offset = 2;
  b = pth_one(&t, 16);
  EXPECT("offset leaves too few elements", b, VAR_ERR_FORMAT, "needs 16 bytes but the file holds only 8");
  b_free(&b);
  t.offset = 0x7FFFFFFFFFFFFFFFll;
  b = pth_one(&t, 16);
  EXPECT("offset 2^63-1", b, VAR_ERR_FORMAT, "past the end of its");
  b_free(&b);
  t.offset = -1;
  b = pth_one(&t, 16);
  EXPECT("negative offset", b, VAR_ERR_FORMAT, "negative storage offset");
  b_free(&b);

  t = float_tensor("w", "0", 2, 3);
  t.stride[0] = 1;
  t.stride[1] = 2;   /* a transposed view */
  b = pth_one(&t, -1);
  EXPECT("non-contiguous strides", b, VAR_ERR_UNSUPPORTED, "is not contiguous (size 3 has stride 2, expected 1)");
  b_free(&b);
  t = float_tensor("w", "0", 2, 3);
  t.stride[0] = 6;   /* a row-strided slice */
  t.storage_numel = 12;
  b = pth_one(&t, -1);
  EXPECT("strided rows", b, VAR_ERR_UNSUPPORTED, "is not contiguous");
  b_free(&b);
  t = float_tensor("w", "0", 1, 3);
  t.stride[0] = 12345;   /* a stride over a size-1 dimension is irrelevant */
  b = pth_one(&t, -1);
  EXPECT("size-1 dimension with any stride", b, VAR_OK, NULL);
  b_free(&b);

  t = float_tensor("w", "0", 2, 2);
  t.shape[1] = -2;
  b = pth_one(&t, 16);
  EXPECT("negative size", b, VAR_ERR_FORMAT, "tensor size is not a tuple of ints");
  b_free(&b);

  t = float_tensor("w", "0", 1, 1);
  t.ndim = 9;
  {
    int d;
    for (d = 0; d < 9; d++) t.shape[d] = 1;
  }
  pk_contiguous(&t);
  b = pth_one(&t, 4);
  EXPECT("9 dimensions", b, VAR_ERR_UNSUPPORTED, "9 dimensions (at most 8 are supported)");
  b_free(&b);

  /* size and stride tuples of different lengths */
  {
    bytes p = pk_begin(), pp;
    int64_t sz[2] = { 2, 2 }, sd1[1] = { 1 };
    pk_global(&p, "collections", "OrderedDict");
    pk_op(&p, ')');
    pk_op(&p, 'R');
    pk_str(&p, "w");
    pk_global(&p, "torch._utils", "_rebuild_tensor_v2");
    pk_op(&p, '(');
    pk_op(&p, '(');
    pk_str(&p, "storage");
    pk_global(&p, "torch", "FloatStorage");
    pk_str(&p, "0");
    pk_str(&p, "cpu");
    pk_int(&p, 4);
    pk_op(&p, 't');
    pk_op(&p, 'Q');
    pk_int(&p, 0);
    pk_int_tuple(&p, sz, 2);
    pk_int_tuple(&p, sd1, 1);
    pk_op(&p, 't');
    pk_op(&p, 'R');
    pk_op(&p, 's');
    pk_op(&p, '.');
    pp = pth_with_pickle(&p, -1);
    EXPECT("size and stride of different lengths", pp, VAR_ERR_FORMAT, "tensor size and stride differ in length");
    b_free(&pp);
    b_free(&p);
  }

  /* an empty key and a key with a NUL in the persistent id */
  t = float_tensor("w", "", 2, 2);
  b = pth_one(&t, -1);
  EXPECT("empty storage key", b, VAR_ERR_FORMAT, "storage key is empty or has a NUL byte");
  b_free(&b);
}

static void test_storage_types(void)
{
  static const struct { const char *cls; var_status want; const char *phrase; } cases[] = {
    { "DoubleStorage", VAR_ERR_UNSUPPORTED, "torch.DoubleStorage tensors; only float32" },
    { "BoolStorage", VAR_ERR_UNSUPPORTED, "torch.BoolStorage" },
    { "ComplexFloatStorage", VAR_ERR_UNSUPPORTED, "torch.ComplexFloatStorage" },
    { "QInt8Storage", VAR_ERR_UNSUPPORTED, "torch.QInt8Storage" },
    { "UntypedStorage", VAR_ERR_UNSUPPORTED, "torch.UntypedStorage" },
    { "Float8Storage", VAR_ERR_UNSUPPORTED, "refers to torch.Float8Storage" },
    { "HalfStorage", VAR_OK, NULL },
    { "BFloat16Storage", VAR_OK, NULL },
    { "LongStorage", VAR_OK, NULL },
    { "IntStorage", VAR_OK, NULL },
    { "ByteStorage", VAR_OK, NULL },
  };
  unsigned k;
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    pk_tensor t = float_tensor("w", "0", 2, 2);
    bytes b;
    t.storage = cases[k].cls;
    b = pth_one(&t, -1);
    EXPECT(cases[k].cls, b, cases[k].want, cases[k].phrase);
    b_free(&b);
  }
}

/* ---- safetensors ----------------------------------------------------------- */

static bytes st_bytes(const char *header, size_t data_bytes)
{
  uint8_t *d = calloc(data_bytes ? data_bytes : 1, 1);
  bytes b = make_safetensors(header, d, data_bytes);
  free(d);
  return b;
}

static void test_safetensors_malformed(void)
{
  static const struct { const char *what, *header; size_t data; var_status want; const char *phrase; } cases[] = {
    { "invalid JSON", "{\"a\":{\"dtype\":\"F32\",", 16, VAR_ERR_FORMAT, "safetensors header: malformed JSON" },
    { "JSON array", "[1,2,3]", 0, VAR_ERR_FORMAT, "neither" },
    { "JSON object of numbers", "{\"a\":1}", 0, VAR_ERR_FORMAT, "\"a\" lacks dtype, shape or data_offsets" },
    { "trailing garbage", "{} x", 0, VAR_ERR_FORMAT, "trailing characters" },
    { "unknown dtype F64", "{\"a\":{\"dtype\":\"F64\",\"shape\":[2],\"data_offsets\":[0,16]}}", 16,
      VAR_ERR_UNSUPPORTED, "has dtype F64 (supported: F32, F16, BF16, I64, I32, U8, I8)" },
    { "dtype not a string", "{\"a\":{\"dtype\":7,\"shape\":[2],\"data_offsets\":[0,8]}}", 8, VAR_ERR_FORMAT,
      "lacks dtype" },
    { "data_offsets past the end", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8,
      VAR_ERR_FORMAT, "data_offsets [0, 16] outside the 8 data bytes" },
    { "data_offsets reversed", "{\"a\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}", 8,
      VAR_ERR_FORMAT, "outside" },
    { "negative data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 8,
      VAR_ERR_FORMAT, "outside" },
    { "data_offsets of 2^62", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4611686018427387904,"
      "4611686018427387908]}}", 8, VAR_ERR_FORMAT, "outside" },
    { "data_offsets of 10^30", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,"
      "1000000000000000000000000000000]}}", 8, VAR_ERR_FORMAT, "not two integers" },
    { "data_offsets as floats", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0.0,4.0]}}", 8,
      VAR_ERR_FORMAT, "not two integers" },
    { "three data_offsets", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 8,
      VAR_ERR_FORMAT, "lacks dtype, shape or data_offsets" },
    { "shape and offsets disagree", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,16]}}", 16,
      VAR_ERR_FORMAT, "its shape needs 12 bytes but data_offsets span 16" },
    { "shape larger than its bytes", "{\"a\":{\"dtype\":\"F32\",\"shape\":[5],\"data_offsets\":[0,16]}}", 16,
      VAR_ERR_FORMAT, "needs 20 bytes but the file holds only 16" },
    { "overlapping tensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
      "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 16, VAR_ERR_FORMAT,
      "tensors \"a\" and \"b\" overlap" },
    { "one tensor inside another", "{\"a\":{\"dtype\":\"U8\",\"shape\":[16],\"data_offsets\":[0,16]},"
      "\"b\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[15,16]}}", 16, VAR_ERR_FORMAT, "overlap" },
    { "negative size", "{\"a\":{\"dtype\":\"F32\",\"shape\":[-1],\"data_offsets\":[0,4]}}", 8, VAR_ERR_FORMAT,
      "a shape that is not a list of sizes" },
    { "size as a string", "{\"a\":{\"dtype\":\"F32\",\"shape\":[\"4\"],\"data_offsets\":[0,16]}}", 16,
      VAR_ERR_FORMAT, "not a list of sizes" },
    { "numel overflow", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296,16],\"data_offsets\":[0,0]}}", 0,
      VAR_ERR_FORMAT, "absurd shape" },
    { "9 dimensions", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1,1,1,1,1,1,1,1,1],\"data_offsets\":[0,4]}}", 4,
      VAR_ERR_UNSUPPORTED, "has 9 dimensions" },
    { "duplicate names", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
      "\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, VAR_ERR_FORMAT,
      "has the tensor \"a\" twice" },
    { "NUL escape in a name", "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      VAR_ERR_FORMAT, "\\u0000 in a string" },
    { "lone surrogate", "{\"\\ud800\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
      VAR_ERR_FORMAT, "lone surrogate" },
    { "control character", "{\"a\tb\":1}", 0, VAR_ERR_FORMAT, "control character" },
    { "metadata not an object", "{\"__metadata__\":[1]}", 0, VAR_ERR_FORMAT, "__metadata__ is not an object" },
    { "metadata with a number", "{\"__metadata__\":{\"x\":1}}", 0, VAR_ERR_FORMAT, "value \"x\" is not a string" },
    { "bad number", "{\"a\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,4]}}", 4, VAR_ERR_FORMAT,
      "malformed JSON" },
    { "number with 40 digits", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1111111111111111111111111111111111111111],"
      "\"data_offsets\":[0,4]}}", 4, VAR_ERR_FORMAT, "not a list of sizes" },
  };
  unsigned k;
  bytes b;
  char deep[300];
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    b = st_bytes(cases[k].header, cases[k].data);
    EXPECT(cases[k].what, b, cases[k].want, cases[k].phrase);
    b_free(&b);
  }
  strcpy(deep, "{\"a\":");
  memset(deep + 5, '[', 100);
  deep[105] = '\0';
  b = st_bytes(deep, 0);
  EXPECT("100-deep nesting", b, VAR_ERR_FORMAT, "nesting too deep");
  b_free(&b);

  b = st_bytes("{}", 0);
  w64(b.p, 1000);
  EXPECT("header length larger than the file", b, VAR_ERR_FORMAT, "header of 1000 bytes does not fit the 10-byte file");
  w64(b.p, 0xFFFFFFFFFFFFFFFFull);
  EXPECT("header length 2^64-1", b, VAR_ERR_FORMAT, "does not fit");
  b_free(&b);
  {
    /* a real 101 MB header is refused by the format's 100 MB limit, not parsed */
    size_t n = 101u << 20;
    uint8_t *big = malloc(n + 8);
    CU_ASSERT_FATAL(big != NULL);
    w64(big, n);
    memset(big + 8, ' ', n);
    big[8] = '{';
    big[n + 7] = '}';
    expect_case(__LINE__, "101 MB header", big, n + 8, VAR_ERR_FORMAT, "the 100 MB limit");
    free(big);
  }
  b = st_bytes("{}", 0);
  EXPECT("empty header", b, VAR_OK, NULL);
  b_free(&b);
}

/* float16 and bfloat16 by the book (sign, exponent, mantissa), independently
 * of the loader's bit manipulation. */
static float ref_half(unsigned h)
{
  int s = (h >> 15) & 1, e = (h >> 10) & 31, m = h & 1023;
  double v = e == 0 ? ldexp(m, -24) : e == 31 ? (m ? NAN : INFINITY) : ldexp(1024 + m, e - 25);
  return (float)(s ? -v : v);
}

static float ref_bf16(unsigned h)
{
  int s = (h >> 15) & 1, e = (h >> 7) & 255, m = h & 127;
  double v = e == 0 ? ldexp(m, -133) : e == 255 ? (m ? NAN : INFINITY) : ldexp(128 + m, e - 134);
  return (float)(s ? -v : v);
}

static int same_float(float a, float b) { return (isnan(a) && isnan(b)) || (a == b && !signbit(a) == !signbit(b)); }

static void test_safetensors_positive(void)
{
  /* Every float16 and bfloat16 bit pattern, plus float32 and int64 tensors;
   * the header is 5 bytes off 8-byte alignment, so everything is copied to
   * aligned memory on the way. */
  size_t n16 = 65536, i;
  bytes data = { 0, 0, 0 }, b;
  char header[512];
  const float *f;
  const var_ckpt_tensor *info;
  var_checkpoint *ck;
  int64_t dims[1];
  int bad = 0;
  static const float f32[3] = { 1.5f, -0.0f, 3.4e38f };
  static const int64_t i64[2] = { -1, 1ll << 50 };
  for (i = 0; i < n16; i++) b_u16(&data, (unsigned)i);
  for (i = 0; i < n16; i++) b_u16(&data, (unsigned)i);
  b_put(&data, f32, sizeof f32);
  b_put(&data, i64, sizeof i64);
  snprintf(
      header, sizeof header,
      "{\"__metadata__\":{\"format\":\"pt\"},\"h\":{\"dtype\":\"F16\",\"shape\":[65536],\"data_offsets\":[0,131072]},"
      "\"bf\":{\"dtype\":\"BF16\",\"shape\":[65536],\"data_offsets\":[131072,262144]},"
      "\"f\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[262144,262156]},"
      "\"n\":{\"dtype\":\"I64\",\"shape\":[2],\"data_offsets\":[262156,262172]},"
      "\"\\u00e9\\ud83d\\ude00\":{\"dtype\":\"U8\",\"shape\":[0],\"data_offsets\":[262172,262172]}}");
  while ((8 + strlen(header)) % 8 != 5) strcat(header, " ");
  b = make_safetensors(header, data.p, data.n);
  CU_ASSERT_FATAL(var_checkpoint_open_memory(ctx, b.p, b.n, "all.safetensors", &ck) == VAR_OK);
  CU_ASSERT(((uintptr_t)b.p % 8) == 0);   /* so the data really is misaligned in the buffer */
  CU_ASSERT_EQUAL(ck->n, 5);
  CU_ASSERT_EQUAL(ck->format, VAR_CKPT_SAFETENSORS);
  dims[0] = 65536;
  CU_ASSERT_FATAL(var_ckpt_f32(ck, "h", 1, dims, &f, &info) == VAR_OK);
  CU_ASSERT_EQUAL(info->dtype, VAR_DTYPE_F16);
  for (i = 0; i < n16; i++) bad += !same_float(f[i], ref_half((unsigned)i));
  CU_ASSERT_EQUAL(bad, 0);
  CU_ASSERT_FATAL(var_ckpt_f32(ck, "bf", 1, dims, &f, &info) == VAR_OK);
  for (i = 0; i < n16; i++) bad += !same_float(f[i], ref_bf16((unsigned)i));
  CU_ASSERT_EQUAL(bad, 0);
  dims[0] = 3;
  CU_ASSERT_FATAL(var_ckpt_f32(ck, "f", 1, dims, &f, &info) == VAR_OK);
  CU_ASSERT(same_float(f[0], 1.5f) && same_float(f[1], -0.0f) && same_float(f[2], 3.4e38f));
  CU_ASSERT_EQUAL(((uintptr_t)f) % 4, 0);
  CU_ASSERT(((const uint8_t *)f < b.p || (const uint8_t *)f >= b.p + b.n));   /* an aligned copy */
  dims[0] = 2;
  CU_ASSERT_EQUAL(var_ckpt_f32(ck, "n", 1, dims, &f, &info), VAR_ERR_SHAPE);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "is int64, expected floating point") != NULL);
  info = var_ckpt_find(ck, "n");
  CU_ASSERT_FATAL(info != NULL);
  CU_ASSERT_EQUAL(((const int64_t *)info->data)[0], -1);
  CU_ASSERT_EQUAL(((const int64_t *)info->data)[1], 1ll << 50);
  CU_ASSERT_PTR_NOT_NULL(var_ckpt_find(ck, "\xc3\xa9\xf0\x9f\x98\x80"));   /* é😀 from \u escapes */
  var_checkpoint_free(ck);
  b_free(&b);
  b_free(&data);
  n_cases += 2;
}

/* ---- .pth made by the writer and by torch ------------------------------- */

static void test_pth_synthetic(void)
{
  /* two views of one storage at element offsets, an int64 and a float16 tensor */
  pk_tensor t[4];
  bytes pkl = { 0, 0, 0 }, b;
  var_checkpoint *ck;
  const var_ckpt_tensor *a, *c;
  long sb[4] = { 40, -1, -1, -1 };
  memset(t, 0, sizeof t);
  t[0] = float_tensor("a", "s", 2, 2);
  t[0].storage_numel = 10;
  t[0].offset = 3;
  t[1] = float_tensor("b", "s", 1, 3);
  t[1].storage_numel = 10;
  t[1].offset = 7;
  t[2] = float_tensor("c", "c", 1, 2);
  t[2].storage = "LongStorage";
  t[3] = float_tensor("d", "d", 3, 1);
  t[3].storage = "HalfStorage";
  pk_state_dict(&pkl, t, 4);
  b = make_pth("weird prefix", &pkl, t, 4, sb, NULL, NULL);
  CU_ASSERT_FATAL(var_checkpoint_open_memory(ctx, b.p, b.n, "views", &ck) == VAR_OK);
  a = var_ckpt_find(ck, "a");
  c = var_ckpt_find(ck, "b");
  CU_ASSERT_FATAL(a && c);
  /* storage bytes are (j * 7 + 1) & 255: element 3 starts at byte 12 */
  CU_ASSERT_EQUAL(((const uint8_t *)a->data)[0], (12 * 7 + 1) & 255);
  CU_ASSERT_EQUAL(((const uint8_t *)c->data)[0], (28 * 7 + 1) & 255);
  CU_ASSERT_EQUAL(c->nbytes, 12);
  CU_ASSERT_EQUAL(var_ckpt_find(ck, "c")->dtype, VAR_DTYPE_I64);
  CU_ASSERT_EQUAL(var_ckpt_find(ck, "d")->dtype, VAR_DTYPE_F16);
  var_checkpoint_free(ck);
  b_free(&b);
  b_free(&pkl);
  n_cases++;
}

static void test_torch_fixtures(void)
{
  var_checkpoint *ck;
  const float *f;
  const var_ckpt_tensor *t;
  int64_t any[2] = { -1, -1 };
  static const char *const files[] = { VAR_TEST_DATA "/torch/dtypes.pth", VAR_TEST_DATA "/torch/my-model.pth" };
  unsigned k;
  for (k = 0; k < 2; k++) {
    CU_ASSERT_FATAL(var_checkpoint_open(ctx, files[k], &ck) == VAR_OK);
    n_cases++;
    CU_ASSERT_EQUAL_FATAL(ck->n, 9);
    check_consistent(ck);
    CU_ASSERT_FATAL(var_ckpt_f32(ck, "f32", 2, any, &f, &t) == VAR_OK);
    CU_ASSERT(f[0] == -1.0f && f[5] == 1.5f && t->shape[0] == 2 && t->shape[1] == 3);
    CU_ASSERT_FATAL(var_ckpt_f32(ck, "f16", 1, any, &f, &t) == VAR_OK);
    CU_ASSERT(t->dtype == VAR_DTYPE_F16 && f[0] == 1.0f && f[1] == -2.5f && f[2] == 65504.0f &&
              f[3] == ldexpf(1.0f, -24));
    CU_ASSERT_FATAL(var_ckpt_f32(ck, "bf16", 1, any, &f, &t) == VAR_OK);
    CU_ASSERT(t->dtype == VAR_DTYPE_BF16 && f[0] == 1.0f && f[1] == -3.0f && f[2] == ldexpf(1.0f, 100));
    t = var_ckpt_find(ck, "i64");
    CU_ASSERT_FATAL(t != NULL);
    CU_ASSERT(t->dtype == VAR_DTYPE_I64 && t->ndim == 2 && t->shape[0] == 3);
    CU_ASSERT(((const int64_t *)t->data)[3] == -3 && ((const int64_t *)t->data)[4] == (1ll << 40) &&
              ((const int64_t *)t->data)[5] == -(1ll << 40));
    CU_ASSERT_FATAL(var_ckpt_f32(ck, "scalar", 0, any, &f, &t) == VAR_OK);
    CU_ASSERT(t->ndim == 0 && t->numel == 1 && f[0] == 5.0f);
    t = var_ckpt_find(ck, "empty");
    CU_ASSERT(t && t->numel == 0 && t->ndim == 2 && t->shape[1] == 4);
    CU_ASSERT_FATAL(var_ckpt_f32(ck, "view_a", 1, any, &f, &t) == VAR_OK);
    CU_ASSERT(t->numel == 4 && f[0] == 2.0f && f[3] == 5.0f);
    CU_ASSERT_FATAL(var_ckpt_f32(ck, "view_b", 2, any, &f, &t) == VAR_OK);
    CU_ASSERT(t->numel == 6 && f[0] == 6.0f && f[5] == 11.0f);
    CU_ASSERT_FATAL(var_ckpt_f32(ck, "param", 2, any, &f, &t) == VAR_OK);
    CU_ASSERT(f[0] == 7.0f && f[1] == 8.0f);
    var_checkpoint_free(ck);
  }
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, VAR_TEST_DATA "/torch/transposed.pth", &ck), VAR_ERR_UNSUPPORTED);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "\"t\" is not contiguous") != NULL);
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, VAR_TEST_DATA "/torch/wrapper.pth", &ck), VAR_ERR_UNSUPPORTED);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "\"model\" is a dict, not a tensor") != NULL);
  CU_ASSERT_EQUAL(var_checkpoint_open(ctx, VAR_TEST_DATA "/torch/float64.pth", &ck), VAR_ERR_UNSUPPORTED);
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "torch.DoubleStorage") != NULL);
  n_cases += 3;
}

/* ---- ZIP64 beyond 4 GiB ---------------------------------------------------- */

/* 1.1e9 float32 elements: 4.4 GB, more than 2^32 bytes. */
#define BIG_NUMEL 1100000000ull

#ifndef _WIN32   /* sparse files, pwrite() and st_blocks: POSIX file systems only */
typedef void (*put_fn)(void *sink, uint64_t off, const void *p, size_t n);

static uint64_t align64(uint64_t x) { return (x + 63) & ~(uint64_t)63; }

/* Writes a genuine ZIP64 .pth with tensor "huge" (BIG_NUMEL floats) and
 * "small" (2x2, stored after huge, so at an offset past 4 GiB).  Only headers
 * and the last 16 floats of huge are written: the rest is a hole.  The CRCs
 * of the storages are left 0: computing them would read 4.4 GB, and the
 * loader never reads tensor data (that is the point).  Returns the size. */
static uint64_t build_big(put_fn put, void *sink)
{
  pk_tensor t[2];
  bytes pkl = { 0, 0, 0 }, hdr = { 0, 0, 0 }, cd = { 0, 0, 0 };
  const char *names[4] = { "big/data.pkl", "big/data/0", "big/data/1", "big/version" };
  uint64_t size[4], local[4], off = 0;
  float tail[16], small[4] = { 1, 2, 3, 4 };
  int i;
  memset(t, 0, sizeof t);
  t[0].name = "huge";
  t[0].storage = "FloatStorage";
  t[0].key = "0";
  t[0].storage_numel = (int64_t)BIG_NUMEL;
  t[0].ndim = 1;
  t[0].shape[0] = (int64_t)BIG_NUMEL;
  t[0].stride[0] = 1;
  t[1] = float_tensor("small", "1", 2, 2);
  pk_state_dict(&pkl, t, 2);
  size[0] = pkl.n;
  size[1] = BIG_NUMEL * 4;
  size[2] = sizeof small;
  size[3] = 2;
  for (i = 0; i < 16; i++) tail[i] = (float)(i + 100);
  for (i = 0; i < 4; i++) {
    size_t nl = strlen(names[i]);
    uint64_t data;
    local[i] = off;
    hdr.n = 0;
    b_u32(&hdr, 0x04034b50u);
    b_u16(&hdr, 45);
    b_u16(&hdr, 0);
    b_u16(&hdr, 0);
    b_u32(&hdr, 0);
    b_u32(&hdr, i == 0 ? var_crc32(pkl.p, pkl.n) : i == 2 ? var_crc32((const uint8_t *)small, 16) : 0);
    b_u32(&hdr, 0xFFFFFFFFu);
    b_u32(&hdr, 0xFFFFFFFFu);
    b_u16(&hdr, (unsigned)nl);
    b_u16(&hdr, 20);
    b_put(&hdr, names[i], nl);
    b_u16(&hdr, 1);   /* ZIP64 extra of the local header: both sizes */
    b_u16(&hdr, 16);
    b_u64(&hdr, size[i]);
    b_u64(&hdr, size[i]);
    put(sink, off, hdr.p, hdr.n);
    data = off + hdr.n;
    if (i == 0) put(sink, data, pkl.p, pkl.n);
    if (i == 1) put(sink, data + size[1] - sizeof tail, tail, sizeof tail);
    if (i == 2) put(sink, data, small, sizeof small);
    if (i == 3) put(sink, data, "3\n", 2);
    off = align64(data + size[i]);
  }
  for (i = 0; i < 4; i++) {
    size_t nl = strlen(names[i]);
    b_u32(&cd, 0x02014b50u);
    b_u16(&cd, 45);
    b_u16(&cd, 45);
    b_u16(&cd, 0);
    b_u16(&cd, 0);
    b_u32(&cd, 0);
    b_u32(&cd, i == 0 ? var_crc32(pkl.p, pkl.n) : i == 2 ? var_crc32((const uint8_t *)small, 16) : 0);
    b_u32(&cd, 0xFFFFFFFFu);
    b_u32(&cd, 0xFFFFFFFFu);
    b_u16(&cd, (unsigned)nl);
    b_u16(&cd, 28);
    b_u16(&cd, 0);
    b_u16(&cd, 0);
    b_u16(&cd, 0);
    b_u32(&cd, 0);
    b_u32(&cd, 0xFFFFFFFFu);
    b_put(&cd, names[i], nl);
    b_u16(&cd, 1);
    b_u16(&cd, 24);
    b_u64(&cd, size[i]);
    b_u64(&cd, size[i]);
    b_u64(&cd, local[i]);
  }
  {
    uint64_t cd_off = off, eocd64 = off + cd.n;
    b_u32(&cd, 0x06064b50u);
    b_u64(&cd, 44);
    b_u16(&cd, 45);
    b_u16(&cd, 45);
    b_u32(&cd, 0);
    b_u32(&cd, 0);
    b_u64(&cd, 4);
    b_u64(&cd, 4);
    b_u64(&cd, eocd64 - cd_off);
    b_u64(&cd, cd_off);
    b_u32(&cd, 0x07064b50u);
    b_u32(&cd, 0);
    b_u64(&cd, eocd64);
    b_u32(&cd, 1);
    b_u32(&cd, 0x06054b50u);
    b_u16(&cd, 0);
    b_u16(&cd, 0);
    b_u16(&cd, 0xFFFF);
    b_u16(&cd, 0xFFFF);
    b_u32(&cd, 0xFFFFFFFFu);
    b_u32(&cd, 0xFFFFFFFFu);
    b_u16(&cd, 0);
    put(sink, cd_off, cd.p, cd.n);
    off = cd_off + cd.n;
  }
  b_free(&pkl);
  b_free(&hdr);
  b_free(&cd);
  return off;
}

static void check_big(var_checkpoint *ck)
{
  const var_ckpt_tensor *h = var_ckpt_find(ck, "huge"), *s = var_ckpt_find(ck, "small");
  const float *f;
  int64_t dims[2] = { 2, 2 };
  CU_ASSERT_FATAL(h != NULL && s != NULL);
  CU_ASSERT_EQUAL(h->numel, (int64_t)BIG_NUMEL);
  CU_ASSERT_EQUAL(h->nbytes, (size_t)(BIG_NUMEL * 4));
  CU_ASSERT((const uint8_t *)h->data - ck->map < 4096);                          /* zero-copy, at the start */
  CU_ASSERT((uint64_t)((const uint8_t *)s->data - ck->map) > 0x100000000ull);   /* past 4 GiB */
  CU_ASSERT_EQUAL(((const float *)h->data)[0], 0.0f);                           /* a hole reads as zeros */
  CU_ASSERT_EQUAL(((const float *)h->data)[BIG_NUMEL - 1], 115.0f);
  CU_ASSERT_EQUAL(((const float *)h->data)[BIG_NUMEL - 16], 100.0f);
  CU_ASSERT_FATAL(var_ckpt_f32(ck, "small", 2, dims, &f, NULL) == VAR_OK);
  CU_ASSERT(f[0] == 1.0f && f[3] == 4.0f);
}

static void put_fd(void *sink, uint64_t off, const void *p, size_t n)
{
  CU_ASSERT(pwrite(*(int *)sink, p, n, (off_t)off) == (ssize_t)n);
}

static void put_mem(void *sink, uint64_t off, const void *p, size_t n) { memcpy((uint8_t *)sink + off, p, n); }

/* The file test needs a file system with holes; ext4, xfs, btrfs and tmpfs
 * have them.  Where it has none, writing 4.4 GB of zeros would be the test's
 * fault, so the probe decides first and the test then asserts that it knows
 * why it did not run (and the same archive is still checked in memory). */
static void test_zip64_beyond_4gb(void)
{
  char path[700];
  struct stat sb;
  var_checkpoint *ck;
  uint64_t total;
  int fd, sparse;
  void *mem;
  snprintf(path, sizeof path, "%s/big.pth", tmpdir);
  fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
  CU_ASSERT_FATAL(fd >= 0);
  /* probe: a 64 MB hole must occupy (almost) no blocks */
  sparse = ftruncate(fd, 64 << 20) == 0 && fstat(fd, &sb) == 0 && (uint64_t)sb.st_blocks * 512 < (1 << 20);
  CU_ASSERT(ftruncate(fd, 0) == 0);
  if (sparse) {
    total = build_big(put_fd, &fd);
    CU_ASSERT_FATAL(fstat(fd, &sb) == 0);
    CU_ASSERT_EQUAL((uint64_t)sb.st_size, total);
    CU_ASSERT(total > 0x100000000ull);
    CU_ASSERT((uint64_t)sb.st_blocks * 512 < (1u << 20));   /* it really is sparse */
    close(fd);
    CU_ASSERT_FATAL(var_checkpoint_open(ctx, path, &ck) == VAR_OK);
    CU_ASSERT_EQUAL(ck->mapped, VAR_CKPT_MMAP);
    check_big(ck);
    var_checkpoint_free(ck);
    printf("(sparse file of %.2f GB, %lld KB on disk) ", total / 1e9, (long long)sb.st_blocks / 2);
  } else {
    int e = errno;
    close(fd);
    printf("(no sparse files on %s: %s; checked in memory only) ", tmpdir, strerror(e));
    CU_ASSERT(e == EFBIG || e == ENOSPC || e == EINVAL || e == EOPNOTSUPP || e == 0);
  }
  unlink(path);
  n_cases++;
  /* The same bytes in an untouched anonymous mapping: pages never written cost nothing. */
  mem = mmap(NULL, (size_t)5 << 30, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  CU_ASSERT_FATAL(mem != MAP_FAILED);
  total = build_big(put_mem, mem);
  CU_ASSERT_FATAL(var_checkpoint_open_memory(ctx, mem, (size_t)total, "big in memory", &ck) == VAR_OK);
  check_big(ck);
  var_checkpoint_free(ck);
  munmap(mem, (size_t)5 << 30);
  n_cases++;
}
#endif

/* ---- configuration from hostile shapes ------------------------------------- */

typedef struct { const char *name; int ndim; int64_t shape[4]; } st_spec;

/* A float32 safetensors file of zeros with these tensors (tensors with a size-0
 * dimension carry any other sizes for free). */
static bytes st_model(const st_spec *t, int n)
{
  bytes h = { 0, 0, 0 }, data = { 0, 0, 0 }, out;
  char buf[256];
  int i, d;
  size_t off = 0;
  b_put(&h, "{", 1);
  for (i = 0; i < n; i++) {
    uint64_t numel = 1;
    for (d = 0; d < t[i].ndim; d++) numel *= (uint64_t)t[i].shape[d];
    snprintf(buf, sizeof buf, "%s\"%s\":{\"dtype\":\"F32\",\"shape\":[", i ? "," : "", t[i].name);
    b_put(&h, buf, strlen(buf));
    for (d = 0; d < t[i].ndim; d++) {
      snprintf(buf, sizeof buf, "%s%lld", d ? "," : "", (long long)t[i].shape[d]);
      b_put(&h, buf, strlen(buf));
    }
    snprintf(buf, sizeof buf, "],\"data_offsets\":[%lu,%lu]}", (unsigned long)off, (unsigned long)(off + 4 * numel));
    b_put(&h, buf, strlen(buf));
    b_zeros(&data, 4 * numel);
    off += 4 * numel;
  }
  b_put(&h, "}", 2);   /* with the NUL */
  out = make_safetensors((const char *)h.p, data.p, data.n);
  b_free(&h);
  b_free(&data);
  return out;
}

/* Derives a transformer (tf = 1) or VQ-VAE configuration; expects want + phrase. */
static void expect_config(int line, const char *what, const st_spec *t, int n, int tf, const var_schedule *sched,
                          var_status want, const char *phrase)
{
  bytes b = st_model(t, n);
  var_checkpoint *ck = NULL;
  var_tf_config tc;
  var_vqvae_config vc;
  var_status st;
  CU_ASSERT_FATAL(var_checkpoint_open_memory(ctx, b.p, b.n, what, &ck) == VAR_OK);
  st = tf ? var_tf_config_derive(ck, sched, &tc) : var_vqvae_config_derive(ck, &vc);
  if (st != want || (phrase && !strstr(var_ctx_last_error(ctx), phrase)))
    printf("\n    config \"%s\" (line %d): got %s \"%s\"", what, line, var_strerror(st), var_ctx_last_error(ctx));
  CU_ASSERT_EQUAL(st, want);
  if (phrase) CU_ASSERT(strstr(var_ctx_last_error(ctx), phrase) != NULL);
  var_checkpoint_free(ck);
  b_free(&b);
  n_cases++;
}

static void test_config_hostile_shapes(void)
{
  /* a transformer in miniature: C 4, 2 heads, 3 classes, patch_nums (1, 2) */
  st_spec tf[] = {
    { "class_emb.weight", 2, { 4, 4 } },       { "blocks.0.attn.mat_qkv.weight", 2, { 12, 4 } },
    { "blocks.0.attn.scale_mul_1H11", 4, { 1, 2, 1, 1 } }, { "blocks.0.ffn.fc1.weight", 2, { 16, 4 } },
    { "head.weight", 2, { 8, 4 } },            { "word_embed.weight", 2, { 4, 2 } },
    { "pos_1LC", 3, { 1, 5, 4 } },             { "pos_start", 3, { 1, 1, 4 } },
    { "lvl_embed.weight", 2, { 2, 4 } },
  };
  st_spec vae[] = {
    { "encoder.conv_in.weight", 4, { 32, 3, 1, 1 } }, { "encoder.down.0.block.0.conv1.weight", 4, { 32, 1, 1, 1 } },
    { "quantize.embedding.weight", 2, { 4, 2 } },    { "quantize.quant_resi.qresi_ls.0.weight", 4, { 2, 2, 1, 1 } },
  };
  st_spec t2[9], v2[4];
  var_schedule sched;
  int n_tf = 9, n_vae = 4;
  expect_config(__LINE__, "miniature transformer", tf, n_tf, 1, NULL, VAR_OK, NULL);
  expect_config(__LINE__, "miniature VQ-VAE", vae, n_vae, 0, NULL, VAR_OK, NULL);

  memcpy(t2, tf, sizeof tf);   /* 2^32 heads would be 0 as an int: C % 0 */
  t2[2].shape[0] = 0;
  t2[2].shape[1] = 1ll << 32;
  expect_config(__LINE__, "2^32 heads", t2, n_tf, 1, NULL, VAR_ERR_SHAPE, "has size 4294967296 in dimension 1");
  memcpy(t2, tf, sizeof tf);
  t2[2].shape[1] = 3;
  expect_config(__LINE__, "width not divisible by heads", t2, n_tf, 1, NULL, VAR_ERR_SHAPE,
                "width 4 is not divisible by 3 heads");
  memcpy(t2, tf, sizeof tf);
  t2[0].shape[0] = 1;
  expect_config(__LINE__, "one class row", t2, n_tf, 1, NULL, VAR_ERR_SHAPE, "outside [2, 16777216]");
  memcpy(t2, tf, sizeof tf);
  t2[0].shape[0] = 0;
  t2[0].shape[1] = 3000000000ll;
  expect_config(__LINE__, "width of 3e9", t2, n_tf, 1, NULL, VAR_ERR_SHAPE, "has size 3000000000 in dimension 1");
  memcpy(t2, tf, sizeof tf);
  t2[6].shape[0] = 0;
  t2[6].shape[1] = 9243384;
  t2[8].shape[0] = 4;
  expect_config(__LINE__, "schedule search too large", t2, n_tf, 1, NULL, VAR_ERR_NOT_FOUND,
                "too many candidates to search");
  memcpy(t2, tf, sizeof tf);
  t2[6].shape[1] = 86;
  t2[8].shape[0] = 3;
  expect_config(__LINE__, "ambiguous schedule", t2, n_tf, 1, NULL, VAR_ERR_NOT_FOUND, "several schedules fit");
  CU_ASSERT_FATAL(var_schedule_parse("1,6,7", &sched) == VAR_OK);
  expect_config(__LINE__, "ambiguous schedule given", t2, n_tf, 1, &sched, VAR_OK, NULL);
  CU_ASSERT_FATAL(var_schedule_parse("1,2,3", &sched) == VAR_OK);
  expect_config(__LINE__, "given schedule that does not fit", t2, n_tf, 1, &sched, VAR_ERR_SHAPE,
                "the given schedule has 3 scales and 14 tokens, but the checkpoint was trained for 3 scales and 86");
  memcpy(t2, tf, sizeof tf);
  t2[7].shape[1] = 4;
  expect_config(__LINE__, "pos_start rows", t2, n_tf, 1, NULL, VAR_ERR_SHAPE, "pos_start has 4 rows");
  memcpy(t2, tf, sizeof tf);
  t2[6].ndim = 2;
  expect_config(__LINE__, "pos_1LC of rank 2", t2, n_tf, 1, NULL, VAR_ERR_SHAPE, "pos_1LC has 2 dimensions");
  memcpy(t2, tf, sizeof tf);
  t2[2].name = "blocks.0.attn.scale_mul";
  expect_config(__LINE__, "no scale_mul", t2, n_tf, 1, NULL, VAR_ERR_NOT_FOUND, "L2-normalised attention");
  memcpy(t2, tf, sizeof tf);
  t2[4].name = "head.w";
  expect_config(__LINE__, "no head", t2, n_tf, 1, NULL, VAR_ERR_NOT_FOUND, "lacks head.weight");

  memcpy(v2, vae, sizeof vae);
  v2[0].shape[0] = 48;
  expect_config(__LINE__, "VQ-VAE width 48", v2, n_vae, 0, NULL, VAR_ERR_SHAPE, "not a multiple of 32");
  memcpy(v2, vae, sizeof vae);
  v2[1].shape[0] = 0;
  expect_config(__LINE__, "VQ-VAE level of width 0", v2, n_vae, 0, NULL, VAR_ERR_SHAPE, "has size 0 in dimension 0");
  memcpy(v2, vae, sizeof vae);
  v2[2].shape[0] = 0;
  v2[2].shape[1] = 1ll << 40;
  expect_config(__LINE__, "VQ-VAE codebook of 2^40 channels", v2, n_vae, 0, NULL, VAR_ERR_SHAPE,
                "outside [1, 16777216]");
  memcpy(v2, vae, sizeof vae);
  v2[3].name = "quantize.quant_resi.weight";
  expect_config(__LINE__, "VQ-VAE without phi convolutions", v2, n_vae, 0, NULL, VAR_ERR_UNSUPPORTED,
                "no quantize.quant_resi.qresi_ls");
  {
    st_spec deep[11];
    static const char *const names[9] = {
      "encoder.down.0.block.0.conv1.weight", "encoder.down.1.block.0.conv1.weight",
      "encoder.down.2.block.0.conv1.weight", "encoder.down.3.block.0.conv1.weight",
      "encoder.down.4.block.0.conv1.weight", "encoder.down.5.block.0.conv1.weight",
      "encoder.down.6.block.0.conv1.weight", "encoder.down.7.block.0.conv1.weight",
      "encoder.down.8.block.0.conv1.weight",
    };
    int i;
    deep[0] = vae[0];
    deep[1] = vae[2];
    for (i = 0; i < 9; i++) {
      deep[2 + i] = vae[1];
      deep[2 + i].name = names[i];
    }
    expect_config(__LINE__, "VQ-VAE with 9 levels", deep, 11, 0, NULL, VAR_ERR_UNSUPPORTED, "more than 8 levels");
  }
}

/* ---- fuzzer findings ------------------------------------------------------- */

/* Each input that crashed or misbehaved under the fuzzer, kept as a file, and
 * the reader it reached (the harness feeds the whole checkpoint reader, and
 * bare pickles and JSON texts to theirs): it must now fail cleanly. */
static void test_fuzz_regressions(void)
{
  static const struct { const char *file, *reader; var_status want; const char *phrase; } cases[] = {
    /* json.c: a 21-digit integer overflowed int64 while being accumulated (UBSan) */
    { "json-21-digit-integer.json", "json", VAR_ERR_FORMAT, "malformed JSON" },
  };
  unsigned k;
  for (k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    char path[700];
    bytes b;
    var_status st;
    snprintf(path, sizeof path, "%s/malformed/%s", VAR_TEST_DATA, cases[k].file);
    b = read_whole(path);
    var_clear_error(ctx);
    if (!strcmp(cases[k].reader, "json")) {
      var_json *j = NULL;
      st = var_json_parse(ctx, (const char *)b.p, b.n, &j);
      var_json_free(j);
    } else if (!strcmp(cases[k].reader, "pickle")) {
      var_pkl_state_dict sd;
      st = var_pickle_state_dict(ctx, b.p, b.n, &sd);
      var_pickle_state_dict_free(&sd);
    } else {
      var_checkpoint *ck = NULL;
      st = var_checkpoint_open_memory(ctx, b.p, b.n, cases[k].file, &ck);
      var_checkpoint_free(ck);
    }
    if (st != cases[k].want || !strstr(var_ctx_last_error(ctx), cases[k].phrase))
      printf("\n    %s: got %s \"%s\"", cases[k].file, var_strerror(st), var_ctx_last_error(ctx));
    CU_ASSERT_EQUAL(st, cases[k].want);
    CU_ASSERT(strstr(var_ctx_last_error(ctx), cases[k].phrase) != NULL);
    sweep_open(b.p, b.n);   /* and the whole loader takes it cleanly too */
    b_free(&b);
    n_cases++;
  }
}

static void remove_tmpdir(void)
{
  char path[700];
  snprintf(path, sizeof path, "%s/case.bin", tmpdir);
  unlink(path);
  rmdir(tmpdir);
}

int main(void)
{
  static const test_case tests[] = {
    { "API misuse: NULLs, directories, missing files, bad indices", test_api_misuse },
    { "not a checkpoint: empty, short, text, legacy, plain zip", test_not_a_checkpoint },
    { "truncation at many offsets (golden .pth, storages, safetensors)", test_truncation },
    { "data.pkl (golden, torch-written): every prefix, substitutions of every byte", test_pickle_sweeps },
    { "zip end records, ZIP64 records and directory fields", test_zip_directory },
    { "zip entries: duplicates, NUL names, compression, encryption, local headers, CRC", test_zip_entries },
    { "golden directory and local headers: every byte flipped", test_zip_flip_sweep },
    { "hostile pickles: globals that would execute code", test_pickle_hostile_globals },
    { "hostile pickles: NEWOBJ/INST/OBJ, unknown opcodes, protocols", test_pickle_opcodes },
    { "hostile pickles: nesting, memo indices, lengths, object caps", test_pickle_resources },
    { "pickles that are not state dicts", test_pickle_structure },
    { "tensor geometry: overflow, storage bounds, offsets, strides", test_tensor_geometry },
    { "storage classes: supported and refused dtypes", test_storage_types },
    { "safetensors: malformed headers", test_safetensors_malformed },
    { "safetensors: F16/BF16 (every value), F32, I64, unaligned data", test_safetensors_positive },
    { ".pth with shared storages at offsets, another prefix, int64, float16", test_pth_synthetic },
    { ".pth written by torch 1.13: dtypes, views, parameters, refusals", test_torch_fixtures },
#ifndef _WIN32
    { "ZIP64 beyond 4 GiB: a sparse 4.4 GB checkpoint", test_zip64_beyond_4gb },
#endif
    { "configuration derivation from hostile shapes", test_config_hostile_shapes },
    { "fuzzer findings stay fixed", test_fuzz_regressions },
    { NULL, NULL },
  };
  const char *base = getenv("TMPDIR");
  var_ctx_params p;
  int rc;
  snprintf(tmpdir, sizeof tmpdir, "%s/var-malformed-XXXXXX", base && *base ? base : "/tmp");
  if (!mkdtemp(tmpdir)) {
    perror("mkdtemp");
    return 2;
  }
  var_ctx_params_default(&p);
  p.n_threads = 1;
  if (var_ctx_new(&p, &ctx) != VAR_OK) return 2;
  rc = run_suite("malformed", tests);
  printf("malformed: %d named cases, %d sweep inputs\n", n_cases, n_sweep);
  var_ctx_free(ctx);
  remove_tmpdir();
  return rc;
}

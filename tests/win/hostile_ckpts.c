/* hostile_ckpts.c — writes a set of malformed checkpoints (with tests/ckpt_writer.c)
 * into a folder, for compare_cli.py: `var inspect` on each must fail with the
 * same status and the same message from var.exe under Wine as from the Linux
 * build.  Usage: hostile_ckpts DIR GOOD_PTH (a real checkpoint, cut and damaged). */
#include "ckpt_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *dir;
static int failed;

static void put(const char *name, const void *p, size_t n)
{
  char path[1024];
  FILE *fp;
  snprintf(path, sizeof path, "%s/%s", dir, name);
  if (!(fp = fopen(path, "wb")) || fwrite(p, 1, n, fp) != n || fclose(fp) != 0) {
    fprintf(stderr, "cannot write %s\n", path);
    failed = 1;
  }
}

static void put_bytes(const char *name, bytes *b)
{
  put(name, b->p, b->n);
  b_free(b);
}

static pk_tensor float_tensor(const char *name, const char *key, int64_t r, int64_t c)
{
  pk_tensor t;
  memset(&t, 0, sizeof t);
  t.name = name;
  t.key = key;
  t.storage = "FloatStorage";
  t.ndim = 2;
  t.shape[0] = r;
  t.shape[1] = c;
  t.storage_numel = r * c;
  pk_contiguous(&t);
  return t;
}

static bytes read_whole(const char *path)
{
  bytes b = { 0, 0, 0 };
  char buf[65536];
  size_t n;
  FILE *fp = fopen(path, "rb");
  if (!fp) {
    fprintf(stderr, "cannot read %s\n", path);
    exit(1);
  }
  while ((n = fread(buf, 1, sizeof buf, fp)) > 0) b_put(&b, buf, n);
  fclose(fp);
  return b;
}

int main(int argc, char **argv)
{
  static const uint8_t legacy[] = { 0x80, 0x02, 0x8a, 0x0a, 0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19,
                                    0x2e };
  pk_tensor t = float_tensor("w", "0", 2, 2), t3[3];
  zw_layout lay;
  bytes b = { 0, 0, 0 }, good, real;
  if (argc != 3) {
    fprintf(stderr, "usage: hostile_ckpts DIR GOOD_PTH\n");
    return 2;
  }
  dir = argv[1];
  put("empty.pth", "", 0);
  put("seven-bytes.pth", "PK\3\4abc", 7);
  put("text.pth", "hello, world, this is text", 26);
  put("legacy.pth", legacy, sizeof legacy);
  b_put(&b, "PK\3\4", 4);
  b_zeros(&b, 100);
  put_bytes("zip-no-directory.pth", &b);
  {
    zw_entry e[1] = { { "readme.txt", (const uint8_t *)"hi", 2, 0, 0 } };
    b = zw_build(e, 1, NULL, NULL);
    put_bytes("zip-no-pickle.pth", &b);
  }
  good = make_pth_sd("m", &t, 1, &lay);
  b = b_copy(good.p, good.n);
  w64(b.p + lay.eocd64 + 48, good.n + 1000);
  put_bytes("directory-past-end.pth", &b);
  b = b_copy(good.p, good.n);
  w64(b.p + lay.eocd64 + 32, 0xFFFFFFFFFFFFull);
  put_bytes("2e48-entries.pth", &b);
  b = b_copy(good.p, good.n);
  b.p[lay.central[1] + 8] |= 1;   /* general-purpose flag bit 0: encrypted */
  put_bytes("encrypted.pth", &b);
  b_free(&good);
  t3[0] = float_tensor("a", "0", 4, 4);
  t3[1] = float_tensor("b", "1", 8, 8);
  t3[2] = float_tensor("c", "2", 1, 3);
  {
    long sb[3] = { -1, 100, -1 };
    bytes pkl = { 0, 0, 0 };
    pk_state_dict(&pkl, t3, 3);
    b = make_pth("m", &pkl, t3, 3, sb, NULL, &lay);
    put_bytes("storage-too-short.pth", &b);
    b_free(&pkl);
  }
  b = make_safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,20]}}", "0123456789abcdefghij", 20);
  put_bytes("safetensors-bad-offsets.safetensors", &b);
  b = make_safetensors("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,3],", "", 0);
  put_bytes("safetensors-bad-json.safetensors", &b);
  /* A real checkpoint cut short, and with its data.pkl damaged. */
  real = read_whole(argv[2]);
  put("real-half.pth", real.p, real.n / 2);
  put("real-minus-one.pth", real.p, real.n - 1);
  {
    size_t i;
    for (i = 0; i + 8 < real.n; i++)
      if (!memcmp(real.p + i, "data.pkl", 8)) break;
    /* 200 bytes into the first entry's data: the pickle stream */
    if (i + 8 + 230 < real.n) memset(real.p + i + 8 + 200, 0xEE, 30);
    put("real-pickle-damaged.pth", real.p, real.n);
  }
  b_free(&real);
  return failed;
}

/* random_ckpt.c — random checkpoints of the released layouts (see random_ckpt.h).
 * Values: uniform in +-1/sqrt(fan_in) for weights and biases (PyTorch's default
 * initialisation bound), GroupNorm gamma 1 / beta 0, small embeddings, the
 * attention scale at upstream's log(4).  Only the shapes matter for timing. */
#include "random_ckpt.h"
#include "st_write.h"

#include <math.h>
#include <stdarg.h>

typedef struct {
  st_tensor *t;
  float *bound;        /* per tensor: uniform bound, or < 0 for the constant -bound - 1 */
  int n, cap;
  uint64_t seed;
} tlist;

static int add(tlist *l, float bound, int ndim, const int64_t *shape, const char *fmt, ...)
{
  va_list ap;
  int d;
  if (l->n == l->cap) {
    int cap = l->cap ? 2 * l->cap : 256;
    st_tensor *t = realloc(l->t, sizeof *t * (size_t)cap);
    float *b = realloc(l->bound, sizeof *b * (size_t)cap);
    if (t) l->t = t;
    if (b) l->bound = b;
    if (!t || !b) return -1;
    l->cap = cap;
  }
  memset(&l->t[l->n], 0, sizeof l->t[l->n]);
  va_start(ap, fmt);
  vsnprintf(l->t[l->n].name, sizeof l->t[l->n].name, fmt, ap);
  va_end(ap);
  l->t[l->n].ndim = ndim;
  for (d = 0; d < ndim; d++) l->t[l->n].shape[d] = shape[d];
  l->bound[l->n] = bound;
  l->n++;
  return 0;
}

#define CONST(v) (-(v) - 1.0f)

static void fill(void *user, int index, int64_t offset, float *out, int64_t count)
{
  tlist *l = user;
  float b = l->bound[index];
  int64_t i;
  if (b < 0) {
    for (i = 0; i < count; i++) out[i] = -b - 1.0f;
    return;
  }
  for (i = 0; i < count; i++) {
    /* splitmix64 of (seed, tensor, element): reproducible whatever the chunking */
    uint64_t z = l->seed + (uint64_t)index * 0x9E3779B97F4A7C15ull + (uint64_t)(offset + i) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    z ^= z >> 31;
    out[i] = b * (2.0f * (float)(z >> 40) * (1.0f / 16777216.0f) - 1.0f);
  }
}

static int finish(tlist *l, const char *path)
{
  int rc = st_write(path, l->t, l->n, fill, l);
  free(l->t);
  free(l->bound);
  return rc;
}

static int linear(tlist *l, int64_t out, int64_t in, int bias, const char *prefix)
{
  int64_t s[2];
  float b = 1.0f / sqrtf((float)in);
  s[0] = out;
  s[1] = in;
  if (add(l, b, 2, s, "%s.weight", prefix)) return -1;
  return bias ? add(l, b, 1, s, "%s.bias", prefix) : 0;
}

int random_var_checkpoint(const char *path, int depth, uint64_t seed)
{
  static const int pn256[10] = { 1, 2, 3, 4, 5, 6, 8, 10, 13, 16 }, pn512[10] = { 1, 2, 3, 4, 6, 9, 13, 18, 24, 32 };
  const int shared = depth == 36, C = 64 * depth, H = depth, V = 4096, Cv = 32, N = 1000, S = 10;
  const int *pn = shared ? pn512 : pn256;
  int64_t s[4];
  char p[96];
  tlist l;
  int i, L = 0, rc = 0;
  memset(&l, 0, sizeof l);
  l.seed = seed;
  for (i = 0; i < S; i++) L += pn[i] * pn[i];
  s[0] = 1; s[1] = 1; s[2] = C;
  rc |= add(&l, 0.02f, 3, s, "pos_start");
  s[1] = L;
  rc |= add(&l, 0.02f, 3, s, "pos_1LC");
  s[0] = 1; s[1] = L;
  rc |= add(&l, CONST(0.0f), 2, s, "lvl_1L");   /* int64 upstream; never read */
  s[0] = 1; s[1] = 1; s[2] = L; s[3] = L;
  rc |= add(&l, CONST(0.0f), 4, s, "attn_bias_for_masking");
  rc |= linear(&l, C, Cv, 1, "word_embed");
  s[0] = N + 1; s[1] = C;
  rc |= add(&l, 0.02f, 2, s, "class_emb.weight");
  s[0] = S;
  rc |= add(&l, 0.02f, 2, s, "lvl_embed.weight");
  if (shared) rc |= linear(&l, 6 * (int64_t)C, C, 1, "shared_ada_lin.1");
  for (i = 0; i < depth && !rc; i++) {
    if (shared) {
      s[0] = 1; s[1] = 1; s[2] = 6; s[3] = C;
      rc |= add(&l, 1.0f / sqrtf((float)C), 4, s, "blocks.%d.ada_gss", i);
    }
    s[0] = 1; s[1] = H; s[2] = 1; s[3] = 1;
    rc |= add(&l, CONST(1.3862944f), 4, s, "blocks.%d.attn.scale_mul_1H11", i);   /* log 4 */
    s[0] = C;
    rc |= add(&l, 0.02f, 1, s, "blocks.%d.attn.q_bias", i);
    rc |= add(&l, 0.02f, 1, s, "blocks.%d.attn.v_bias", i);
    rc |= add(&l, CONST(0.0f), 1, s, "blocks.%d.attn.zero_k_bias", i);
    snprintf(p, sizeof p, "blocks.%d.attn.mat_qkv", i);
    rc |= linear(&l, 3 * (int64_t)C, C, 0, p);
    snprintf(p, sizeof p, "blocks.%d.attn.proj", i);
    rc |= linear(&l, C, C, 1, p);
    snprintf(p, sizeof p, "blocks.%d.ffn.fc1", i);
    rc |= linear(&l, 4 * (int64_t)C, C, 1, p);
    snprintf(p, sizeof p, "blocks.%d.ffn.fc2", i);
    rc |= linear(&l, C, 4 * (int64_t)C, 1, p);
    if (!shared) {
      snprintf(p, sizeof p, "blocks.%d.ada_lin.1", i);
      rc |= linear(&l, 6 * (int64_t)C, C, 1, p);
    }
  }
  rc |= linear(&l, 2 * (int64_t)C, C, 1, "head_nm.ada_lin.1");
  rc |= linear(&l, V, C, 1, "head");
  if (rc) {
    free(l.t);
    free(l.bound);
    return -1;
  }
  return finish(&l, path);
}

static int conv(tlist *l, int64_t out, int64_t in, int k, const char *fmt, const char *a, int i, int j)
{
  char p[128];
  int64_t s[4];
  float b = 1.0f / sqrtf((float)(in * k * k));
  snprintf(p, sizeof p, fmt, a, i, j);
  s[0] = out; s[1] = in; s[2] = k; s[3] = k;
  if (add(l, b, 4, s, "%s.weight", p)) return -1;
  return add(l, b, 1, s, "%s.bias", p);
}

static int norm(tlist *l, int64_t c, const char *fmt, const char *a, int i, int j)
{
  char p[128];
  int64_t s[1];
  snprintf(p, sizeof p, fmt, a, i, j);
  s[0] = c;
  if (add(l, CONST(1.0f), 1, s, "%s.weight", p)) return -1;
  return add(l, CONST(0.0f), 1, s, "%s.bias", p);
}

/* ResnetBlock cin -> cout at prefix (printf format with %s %d %d). */
static int resblock(tlist *l, int64_t cin, int64_t cout, const char *fmt, const char *a, int i, int j)
{
  char p[128], q[160];
  int rc = 0;
  snprintf(p, sizeof p, fmt, a, i, j);
  snprintf(q, sizeof q, "%s.norm1", p);
  rc |= norm(l, cin, "%s", q, 0, 0);
  snprintf(q, sizeof q, "%s.conv1", p);
  rc |= conv(l, cout, cin, 3, "%s", q, 0, 0);
  snprintf(q, sizeof q, "%s.norm2", p);
  rc |= norm(l, cout, "%s", q, 0, 0);
  snprintf(q, sizeof q, "%s.conv2", p);
  rc |= conv(l, cout, cout, 3, "%s", q, 0, 0);
  if (cin != cout) {
    snprintf(q, sizeof q, "%s.nin_shortcut", p);
    rc |= conv(l, cout, cin, 1, "%s", q, 0, 0);
  }
  return rc;
}

static int attnblock(tlist *l, int64_t c, const char *fmt, const char *a, int i, int j)
{
  char p[128], q[160];
  int rc = 0;
  snprintf(p, sizeof p, fmt, a, i, j);
  snprintf(q, sizeof q, "%s.norm", p);
  rc |= norm(l, c, "%s", q, 0, 0);
  snprintf(q, sizeof q, "%s.qkv", p);
  rc |= conv(l, 3 * c, c, 1, "%s", q, 0, 0);
  snprintf(q, sizeof q, "%s.proj_out", p);
  rc |= conv(l, c, c, 1, "%s", q, 0, 0);
  return rc;
}

int random_vae_checkpoint(const char *path, uint64_t seed)
{
  static const int mult[5] = { 1, 1, 2, 2, 4 };
  const int ch = 160, nl = 5, nrb = 2, z = 32, V = 4096, S = 10;
  const int64_t top = (int64_t)ch * mult[nl - 1];
  int64_t s[2];
  tlist l;
  int i, j, rc = 0;
  memset(&l, 0, sizeof l);
  l.seed = seed;
  rc |= conv(&l, ch, 3, 3, "%sencoder.conv_in", "", 0, 0);
  for (i = 0; i < nl; i++) {
    const int64_t cin = i ? (int64_t)ch * mult[i - 1] : ch, cout = (int64_t)ch * mult[i];
    for (j = 0; j < nrb; j++) rc |= resblock(&l, j ? cout : cin, cout, "%sencoder.down.%d.block.%d", "", i, j);
    if (i == nl - 1)
      for (j = 0; j < nrb; j++) rc |= attnblock(&l, cout, "%sencoder.down.%d.attn.%d", "", i, j);
    else
      rc |= conv(&l, cout, cout, 3, "%sencoder.down.%d.downsample.conv", "", i, 0);
  }
  rc |= resblock(&l, top, top, "%sencoder.mid.block_1", "", 0, 0);
  rc |= attnblock(&l, top, "%sencoder.mid.attn_1", "", 0, 0);
  rc |= resblock(&l, top, top, "%sencoder.mid.block_2", "", 0, 0);
  rc |= norm(&l, top, "%sencoder.norm_out", "", 0, 0);
  rc |= conv(&l, z, top, 3, "%sencoder.conv_out", "", 0, 0);
  rc |= conv(&l, top, z, 3, "%sdecoder.conv_in", "", 0, 0);
  rc |= resblock(&l, top, top, "%sdecoder.mid.block_1", "", 0, 0);
  rc |= attnblock(&l, top, "%sdecoder.mid.attn_1", "", 0, 0);
  rc |= resblock(&l, top, top, "%sdecoder.mid.block_2", "", 0, 0);
  for (i = 0; i < nl; i++) {
    const int64_t cin = i == nl - 1 ? top : (int64_t)ch * mult[i + 1], cout = (int64_t)ch * mult[i];
    for (j = 0; j <= nrb; j++) rc |= resblock(&l, j ? cout : cin, cout, "%sdecoder.up.%d.block.%d", "", i, j);
    if (i == nl - 1)
      for (j = 0; j <= nrb; j++) rc |= attnblock(&l, cout, "%sdecoder.up.%d.attn.%d", "", i, j);
    if (i) rc |= conv(&l, cout, cout, 3, "%sdecoder.up.%d.upsample.conv", "", i, 0);
  }
  rc |= norm(&l, ch, "%sdecoder.norm_out", "", 0, 0);
  rc |= conv(&l, 3, ch, 3, "%sdecoder.conv_out", "", 0, 0);
  s[0] = S; s[1] = V;
  rc |= add(&l, CONST(0.0f), 2, s, "quantize.ema_vocab_hit_SV");
  for (i = 0; i < 4; i++) rc |= conv(&l, z, z, 3, "%squantize.quant_resi.qresi_ls.%d", "", i, 0);
  s[0] = V; s[1] = z;
  rc |= add(&l, 1.0f / V, 2, s, "quantize.embedding.weight");
  rc |= conv(&l, z, z, 3, "%squant_conv", "", 0, 0);
  rc |= conv(&l, z, z, 3, "%spost_quant_conv", "", 0, 0);
  if (rc) {
    free(l.t);
    free(l.bound);
    return -1;
  }
  return finish(&l, path);
}

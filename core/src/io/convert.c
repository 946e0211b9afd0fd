/* convert.c — var_checkpoint_convert: a checkpoint rewritten as safetensors with
 * its linear weights (transformer) or convolution kernels (VQ-VAE) in another
 * type; the format is described in var.h ("Reduced-precision weights").
 *
 * Tensors are written largest element first (8-, 4-, 2-, then 1-byte types),
 * each group in file order: the data section then has no holes and every tensor
 * starts naturally aligned, so the loader maps them all without copying.  Rows
 * are converted one at a time; nothing the size of a model is allocated. */
#include "io/config.h"
#include "io/lowp.h"
#include "io/pickle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if !defined(_WIN32)
#include <unistd.h>
#endif

/* One tensor of the output. */
typedef struct out_tensor {
  const var_ckpt_tensor *src;
  const float *src_scale;   /* the input's int8 row scales, if src is I8 */
  int type;                 /* output dtype */
  int is_scale;             /* 1: the row scales of the int8 tensor `src` */
  uint64_t begin, end;
} out_tensor;

static const char *st_name(int dtype)
{
  switch (dtype) {
  case VAR_DTYPE_F32: return "F32";
  case VAR_DTYPE_F16: return "F16";
  case VAR_DTYPE_BF16: return "BF16";
  case VAR_DTYPE_I64: return "I64";
  case VAR_DTYPE_I32: return "I32";
  case VAR_DTYPE_U8: return "U8";
  case VAR_DTYPE_I8: return "I8";
  }
  return "?";
}

static int is_float(int dtype)
{
  return dtype == VAR_DTYPE_F32 || dtype == VAR_DTYPE_F16 || dtype == VAR_DTYPE_BF16;
}

/* The output type of tensor t: `to` for the tensors that change, float32 for the
 * other floating ones, the input's type for integers. */
static int out_type(const var_ckpt_tensor *t, int is_vae, int to)
{
  if (is_vae ? (t->ndim == 4 && is_float(t->dtype))
             : (t->ndim == 2 && var_lp_is_linear_weight(t->name) && (is_float(t->dtype) || t->dtype == VAR_DTYPE_I8)))
    return to;
  return is_float(t->dtype) || t->dtype == VAR_DTYPE_I8 ? VAR_DTYPE_F32 : (int)t->dtype;
}

/* Appends printf output to a growing header. */
typedef struct { char *p; size_t n, cap; int failed; } text;

static void put(text *t, const char *fmt, const char *s, long long a, long long b)
{
  size_t need = strlen(fmt) + (s ? strlen(s) : 0) + 64;
  int w;
  if (t->failed) return;
  if (t->n + need > t->cap) {
    size_t cap = (t->n + need) * 2;
    char *p = realloc(t->p, cap);
    if (!p) {
      t->failed = 1;
      return;
    }
    t->p = p;
    t->cap = cap;
  }
  if (s) w = snprintf(t->p + t->n, t->cap - t->n, fmt, s, a, b);
  else w = snprintf(t->p + t->n, t->cap - t->n, fmt, a, b);
  if (w < 0) t->failed = 1;
  else t->n += (size_t)w;
}

/* Writes the values of o, one source row at a time. */
static int write_tensor(FILE *fp, const out_tensor *o, float *row, void *conv)
{
  const var_ckpt_tensor *t = o->src;
  const int64_t N = t->ndim >= 1 ? t->shape[0] : 1, rowlen = t->numel / (N ? N : 1);
  const size_t in_es = var_dtype_size(t->dtype), out_es = var_dtype_size((var_dtype)o->type);
  int64_t n, k;
  if (!is_float(o->type) && o->type != VAR_DTYPE_I8)   /* integers: as they are */
    return fwrite(t->data, 1, t->nbytes, fp) == t->nbytes;
  if (t->numel == 0) return 1;
  /* int8 to int8: the same numbers (re-deriving a scale from q * scale may round it) */
  if (o->is_scale && o->src_scale) return fwrite(o->src_scale, 4, (size_t)N, fp) == (size_t)N;
  if (o->type == VAR_DTYPE_I8 && t->dtype == VAR_DTYPE_I8) return fwrite(t->data, 1, t->nbytes, fp) == t->nbytes;
  for (n = 0; n < N; n++) {
    var_lp_row_f32(t->dtype, (const uint8_t *)t->data + (size_t)(n * rowlen) * in_es, rowlen,
                   o->src_scale ? o->src_scale[n] : 1.0f, row);
    if (o->is_scale) {
      float sc = var_lp_quantize_row(row, rowlen, conv);
      if (fwrite(&sc, 4, 1, fp) != 1) return 0;
      continue;
    }
    if (o->type == VAR_DTYPE_F32) {
      memcpy(conv, row, (size_t)rowlen * 4);
    } else if (o->type == VAR_DTYPE_BF16) {
      for (k = 0; k < rowlen; k++) ((uint16_t *)conv)[k] = var_f32_to_bf16(row[k]);
    } else if (o->type == VAR_DTYPE_F16) {
      for (k = 0; k < rowlen; k++) ((uint16_t *)conv)[k] = var_f32_to_f16(row[k]);
    } else {
      var_lp_quantize_row(row, rowlen, conv);
    }
    if (fwrite(conv, out_es, (size_t)rowlen, fp) != (size_t)rowlen) return 0;
  }
  return 1;
}

static var_status commit_file(var_ctx *ctx, const char *tmp, const char *out_path)
{
#if defined(_WIN32)
  remove(out_path);   /* rename does not replace on Windows */
#endif
  if (rename(tmp, out_path) != 0) {
    remove(tmp);
    return var_fail(ctx, VAR_ERR_IO, "%s: could not rename the finished file into place", out_path);
  }
  return VAR_OK;
}

static var_status write_file(var_ctx *ctx, out_tensor *o, int n_out, int to,
                             const char *out_path)
{
  text h = { NULL, 0, 0, 0 };
  char *tmp = NULL;
  FILE *fp = NULL;
  float *row = NULL;
  void *conv = NULL;
  int64_t maxrow = 1;
  uint64_t off = 0;
  var_status s = VAR_OK;
  int i, d, ok = 0;
  for (i = 0; i < n_out; i++) {
    const var_ckpt_tensor *t = o[i].src;
    int64_t r = t->ndim >= 1 && t->shape[0] ? t->numel / t->shape[0] : t->numel;
    if (r > maxrow) maxrow = r;
  }
  /* header: tensors in output order (their offsets), then the metadata */
  put(&h, "{", NULL, 0, 0);
  for (i = 0; i < n_out; i++) {
    const var_ckpt_tensor *t = o[i].src;
    uint64_t bytes = o[i].is_scale ? (uint64_t)t->shape[0] * 4 : (uint64_t)t->numel * var_dtype_size((var_dtype)o[i].type);
    o[i].begin = off;
    o[i].end = off + bytes;
    off += bytes;
    put(&h, "\"%s", t->name, 0, 0);
    if (o[i].is_scale) put(&h, "%s", VAR_LP_SCALE_SUFFIX, 0, 0);
    put(&h, "\":{\"dtype\":\"%s\",\"shape\":[", st_name(o[i].type), 0, 0);
    if (o[i].is_scale) put(&h, "%lld", NULL, (long long)t->shape[0], 0);
    else
      for (d = 0; d < t->ndim; d++) put(&h, d ? ",%lld" : "%lld", NULL, (long long)t->shape[d], 0);
    put(&h, "],\"data_offsets\":[%lld,%lld]},", NULL, (long long)o[i].begin, (long long)o[i].end);
  }
  put(&h, "\"__metadata__\":{\"format\":\"pt\",\"libvar.weights\":\"%s\"}}", var_weights_name((var_weights)to), 0, 0);
  /* data starts 64-byte aligned */
  while (!h.failed && (8 + h.n) % 64) put(&h, " ", NULL, 0, 0);
  if (h.failed) s = var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory building the safetensors header");
  if (s == VAR_OK) s = var_alloc(ctx, var_size_mul((size_t)maxrow, 4), (void **)&row);
  if (s == VAR_OK) s = var_alloc(ctx, var_size_mul((size_t)maxrow, 4), &conv);
  if (s == VAR_OK) s = var_alloc(ctx, strlen(out_path) + 32, (void **)&tmp);
  if (s == VAR_OK) {
#if defined(_WIN32)
    snprintf(tmp, strlen(out_path) + 32, "%s.part", out_path);
#else
    snprintf(tmp, strlen(out_path) + 32, "%s.part%ld", out_path, (long)getpid());
#endif
    fp = fopen(tmp, "wb");
    if (!fp) s = var_fail(ctx, VAR_ERR_IO, "%s: cannot create %s", out_path, tmp);
  }
  if (s == VAR_OK) {
    unsigned char len8[8];
    for (d = 0; d < 8; d++) len8[d] = (unsigned char)(((uint64_t)h.n >> (8 * d)) & 0xff);
    ok = fwrite(len8, 1, 8, fp) == 8 && fwrite(h.p, 1, h.n, fp) == h.n;
    /* in header order; a scale entry quantises its weight's rows for their scales
     * (the same numbers the weight's own entry gets later) */
    for (i = 0; ok && i < n_out; i++) ok = write_tensor(fp, &o[i], row, conv);
    if (ferror(fp)) ok = 0;
    if (fflush(fp) != 0) ok = 0;
#if !defined(_WIN32)
    if (ok && fsync(fileno(fp)) != 0) ok = 0;
#endif
    if (fclose(fp) != 0) ok = 0;
    fp = NULL;
    if (!ok) {
      remove(tmp);
      s = var_fail(ctx, VAR_ERR_IO, "%s: writing failed (disk full?)", out_path);
    } else {
      s = commit_file(ctx, tmp, out_path);
    }
  }
  if (fp) {
    fclose(fp);
    remove(tmp);
  }
  free(h.p);
  var_free(row);
  var_free(conv);
  var_free(tmp);
  return s;
}

static int size_rank(int dtype) { return (int)var_dtype_size((var_dtype)dtype); }

var_status var_checkpoint_convert(var_ctx *ctx, const char *in_path, const char *out_path, var_weights to)
{
  var_checkpoint *ck = NULL;
  var_vqvae_config vc;
  out_tensor *o = NULL;
  int i, n = 0, es, is_vae, dtype;
  var_status s;
  if (!ctx || !in_path || !out_path)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_convert: NULL context or path");
  if (to < VAR_WEIGHTS_F32 || to > VAR_WEIGHTS_INT8)
    return var_fail(ctx, VAR_ERR_INVALID_ARGUMENT, "var_checkpoint_convert: the target must be f32, bf16, f16 or int8");
  dtype = var_lp_dtype_of_weights(to);
  if ((s = var_checkpoint_open(ctx, in_path, &ck)) != VAR_OK) return s;
  is_vae = !var_ckpt_find(ck, "head.weight") && var_vqvae_config_derive(ck, &vc) == VAR_OK;
  if (!is_vae && !(var_ckpt_find(ck, "head.weight") && var_ckpt_find(ck, "blocks.0.attn.mat_qkv.weight")))
    s = var_fail(ctx, VAR_ERR_FORMAT, "%s is neither a VAR transformer nor a VQ-VAE checkpoint", in_path);
  else if (is_vae && dtype == VAR_DTYPE_I8)
    s = var_fail(ctx, VAR_ERR_UNSUPPORTED, "%s is a VQ-VAE: it converts to f32, bf16 or f16, not int8", in_path);
  if (s == VAR_OK) s = var_lp_check_file(ck);
  if (s == VAR_OK) s = var_calloc(ctx, (size_t)ck->n * 2 + 1, sizeof *o, (void **)&o);
  /* 8-, 4-, 2-, 1-byte tensors, each group in file order; an int8 weight's scales
   * (4 bytes) go with the float32 group */
  for (es = 8; s == VAR_OK && es >= 1; es /= 2)
    for (i = 0; i < ck->n; i++) {
      const var_ckpt_tensor *t = &ck->tensors[i];
      const size_t len = strlen(t->name), sl = strlen(".weight" VAR_LP_SCALE_SUFFIX);
      int type;
      if (len > sl && !strcmp(t->name + len - sl, ".weight" VAR_LP_SCALE_SUFFIX)) continue;   /* re-derived */
      type = out_type(t, is_vae, dtype);
      if (size_rank(type) == es) {
        o[n].src = t;
        o[n].type = type;
        if (t->dtype == VAR_DTYPE_I8) {
          char sname[1100];
          snprintf(sname, sizeof sname, "%s%s", t->name, VAR_LP_SCALE_SUFFIX);
          o[n].src_scale = var_ckpt_find(ck, sname)->data;
        }
        n++;
      }
      if (es == 4 && type == VAR_DTYPE_I8) {
        o[n].src = t;
        o[n].type = VAR_DTYPE_F32;
        o[n].is_scale = 1;
        if (t->dtype == VAR_DTYPE_I8) {
          char sname[1100];
          snprintf(sname, sizeof sname, "%s%s", t->name, VAR_LP_SCALE_SUFFIX);
          o[n].src_scale = var_ckpt_find(ck, sname)->data;
        }
        n++;
      }
    }
  if (s == VAR_OK) s = write_file(ctx, o, n, to, out_path);
  var_free(o);
  var_checkpoint_free(ck);
  return s;
}

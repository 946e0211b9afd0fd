/* lowp.c — reduced-precision weights: names, conversions, int8 rows, file checks. */
#include "io/lowp.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static int ends_with(const char *s, const char *suffix)
{
  size_t n = strlen(s), m = strlen(suffix);
  return n >= m && !strcmp(s + n - m, suffix);
}

int var_lp_is_linear_weight(const char *name)
{
  static const char *const block_layers[] = { ".attn.mat_qkv.weight", ".attn.proj.weight", ".ffn.fc1.weight",
                                              ".ffn.fc2.weight", ".ada_lin.1.weight" };
  size_t i;
  int idx, used = 0;
  if (!strcmp(name, "shared_ada_lin.1.weight") || !strcmp(name, "head_nm.ada_lin.1.weight") ||
      !strcmp(name, "head.weight"))
    return 1;
  if (sscanf(name, "blocks.%d%n", &idx, &used) != 1 || used <= 7 || idx < 0) return 0;
  for (i = 0; i < sizeof block_layers / sizeof block_layers[0]; i++)
    if (!strcmp(name + used, block_layers[i])) return 1;
  return 0;
}

uint16_t var_f32_to_bf16(float f)
{
  uint32_t bits;
  memcpy(&bits, &f, 4);
  if ((bits & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((bits >> 16) | 0x40);   /* quiet NaN */
  bits += 0x7fffu + ((bits >> 16) & 1);                                               /* nearest even */
  return (uint16_t)(bits >> 16);
}

uint16_t var_f32_to_f16(float f)
{
  uint32_t bits, sign, mant;
  int exp;
  memcpy(&bits, &f, 4);
  sign = (bits >> 16) & 0x8000u;
  exp = (int)((bits >> 23) & 0xff);
  mant = bits & 0x7fffffu;
  if (exp == 0xff) return (uint16_t)(sign | 0x7c00u | (mant ? 0x200u : 0));
  exp -= 127 - 15;
  if (exp >= 31) return (uint16_t)(sign | 0x7c00u);
  if (exp <= 0) {
    /* subnormal half (or zero): shift the full mantissa, round to nearest even */
    uint32_t m = mant | 0x800000u, shift = (uint32_t)(14 - exp), r, half;
    if (exp < -10) return (uint16_t)sign;
    r = m >> shift;
    half = 1u << (shift - 1);
    if ((m & ((half << 1) - 1)) > half || ((m & ((half << 1) - 1)) == half && (r & 1))) r++;
    return (uint16_t)(sign | r);
  }
  {
    uint32_t h = sign | ((uint32_t)exp << 10) | (mant >> 13), rest = mant & 0x1fffu;
    if (rest > 0x1000u || (rest == 0x1000u && (h & 1))) h++;   /* may carry into the exponent: correct */
    return (uint16_t)h;
  }
}

void var_lp_row_f32(int dtype, const void *src, int64_t n, float scale, float *out)
{
  int64_t i;
  if (dtype == VAR_DTYPE_F32) {
    memcpy(out, src, (size_t)n * 4);
  } else if (dtype == VAR_DTYPE_BF16) {
    const uint16_t *s = src;
    for (i = 0; i < n; i++) {
      uint32_t bits = (uint32_t)s[i] << 16;
      memcpy(&out[i], &bits, 4);
    }
  } else if (dtype == VAR_DTYPE_F16) {
    const uint16_t *s = src;
    for (i = 0; i < n; i++) out[i] = var_half_to_float(s[i]);
  } else {
    const int8_t *s = src;
    for (i = 0; i < n; i++) out[i] = (float)s[i] * scale;
  }
}

float var_lp_quantize_row(const float *w, int64_t n, int8_t *q)
{
  float amax = 0.0f, scale, inv;
  int64_t i;
  for (i = 0; i < n; i++)
    if (fabsf(w[i]) > amax) amax = fabsf(w[i]);
  scale = amax > 0.0f ? amax / 127.0f : 1.0f;
  inv = 1.0f / scale;
  for (i = 0; i < n; i++) {
    float v = nearbyintf(w[i] * inv);
    q[i] = (int8_t)(v > 127.0f ? 127 : v < -127.0f ? -127 : (int)v);
  }
  return scale;
}

int var_lp_weights_of_dtype(int dtype)
{
  switch (dtype) {
  case VAR_DTYPE_BF16: return VAR_WEIGHTS_BF16;
  case VAR_DTYPE_F16: return VAR_WEIGHTS_F16;
  case VAR_DTYPE_I8: return VAR_WEIGHTS_INT8;
  default: return VAR_WEIGHTS_F32;
  }
}

int var_lp_dtype_of_weights(int weights)
{
  switch (weights) {
  case VAR_WEIGHTS_BF16: return VAR_DTYPE_BF16;
  case VAR_WEIGHTS_F16: return VAR_DTYPE_F16;
  case VAR_WEIGHTS_INT8: return VAR_DTYPE_I8;
  default: return VAR_DTYPE_F32;
  }
}

var_status var_lp_check_file(var_checkpoint *ck)
{
  int i;
  char a[128];
  for (i = 0; i < ck->n; i++) {
    const var_ckpt_tensor *t = &ck->tensors[i];
    if (t->dtype == VAR_DTYPE_I8) {
      char sname[1100];
      const var_ckpt_tensor *sc;
      if (!var_lp_is_linear_weight(t->name) || t->ndim != 2)
        return var_fail(ck->ctx, VAR_ERR_FORMAT,
                        "%s: tensor \"%s\" is int8, which only the transformer's 2-D linear weights may be",
                        ck->path, t->name);
      snprintf(sname, sizeof sname, "%s%s", t->name, VAR_LP_SCALE_SUFFIX);
      sc = var_ckpt_find(ck, sname);
      if (!sc)
        return var_fail(ck->ctx, VAR_ERR_FORMAT, "%s: int8 tensor \"%s\" has no row scales \"%s\"", ck->path,
                        t->name, sname);
      if (sc->dtype != VAR_DTYPE_F32 || sc->ndim != 1 || sc->shape[0] != t->shape[0])
        return var_fail(ck->ctx, VAR_ERR_SHAPE, "%s: scale tensor \"%s\" is %s %s, expected float32 [%lld]",
                        ck->path, sname, var_dtype_name(sc->dtype), var_shape_str(sc->shape, sc->ndim, a, sizeof a),
                        (long long)t->shape[0]);
    } else if (ends_with(t->name, ".weight" VAR_LP_SCALE_SUFFIX)) {
      char wname[1100];
      const var_ckpt_tensor *w;
      size_t n = strlen(t->name) - strlen(VAR_LP_SCALE_SUFFIX);
      snprintf(wname, sizeof wname, "%.*s", (int)n, t->name);
      w = var_ckpt_find(ck, wname);
      if (!w || w->dtype != VAR_DTYPE_I8)
        return var_fail(ck->ctx, VAR_ERR_FORMAT, "%s: scale tensor \"%s\" belongs to no int8 weight (\"%s\" is %s)",
                        ck->path, t->name, wname, w ? var_dtype_name(w->dtype) : "missing");
    }
  }
  return VAR_OK;
}

const char *var_weights_name(var_weights w)
{
  switch (w) {
  case VAR_WEIGHTS_AS_STORED: return "stored";
  case VAR_WEIGHTS_F32: return "f32";
  case VAR_WEIGHTS_BF16: return "bf16";
  case VAR_WEIGHTS_F16: return "f16";
  case VAR_WEIGHTS_INT8: return "int8";
  }
  return "?";
}

var_status var_weights_parse(const char *text, var_weights *out)
{
  static const struct { const char *name; var_weights w; } names[] = {
    { "stored", VAR_WEIGHTS_AS_STORED }, { "f32", VAR_WEIGHTS_F32 },  { "float32", VAR_WEIGHTS_F32 },
    { "bf16", VAR_WEIGHTS_BF16 },        { "bfloat16", VAR_WEIGHTS_BF16 }, { "f16", VAR_WEIGHTS_F16 },
    { "float16", VAR_WEIGHTS_F16 },      { "fp16", VAR_WEIGHTS_F16 },  { "int8", VAR_WEIGHTS_INT8 },
    { "i8", VAR_WEIGHTS_INT8 },
  };
  size_t i;
  if (!out) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_weights_parse: out is NULL");
  for (i = 0; text && i < sizeof names / sizeof names[0]; i++)
    if (!strcmp(text, names[i].name)) {
      *out = names[i].w;
      return VAR_OK;
    }
  return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "weights type \"%s\" is not one of f32, bf16, f16, int8, stored",
                  text ? text : "(null)");
}

/* tf_weights.c — the transformer's linear weights in the type asked for.
 *
 * A weight whose file type is the one wanted (float32, or bf16/f16/int8 with a
 * backend that multiplies with them) is aliased in the mapping, never copied.
 * Otherwise it is converted row by row into a buffer of the wanted type (one
 * float32 row of scratch), so converting a float32 file to bf16 on load never
 * holds a float32 copy either.  A backend without linear_lp (OpenCL) gets
 * float32, which its upload then turns into its own type. */
#include "io/lowp.h"
#include "io/pickle.h"
#include "model/transformer.h"

#include <stdio.h>
#include <string.h>

/* The one place weight buffers are made (the transformer's own float32 tensors
 * too), so transformer.c depends on this file and not the other way round. */
var_status var_tf_wrap_host(var_transformer *tf, const void *host, size_t bytes, var_dptr *out)
{
  var_dbuf *buf;
  var_status s;
  if (tf->n_wbufs == tf->cap_wbufs) {
    int cap = tf->cap_wbufs ? 2 * tf->cap_wbufs : 64;
    var_dbuf **nb;
    s = var_alloc(tf->ctx, var_size_mul((size_t)cap, sizeof *nb), (void **)&nb);
    if (s != VAR_OK) return s;
    if (tf->n_wbufs) memcpy(nb, tf->wbufs, sizeof *nb * (size_t)tf->n_wbufs);
    var_free(tf->wbufs);
    tf->wbufs = nb;
    tf->cap_wbufs = cap;
  }
  s = tf->be->ops->wrap_const(tf->be, host, bytes, &buf);
  if (s != VAR_OK) return s;
  tf->wbufs[tf->n_wbufs++] = buf;
  *out = var_dp(buf, 0);
  return VAR_OK;
}

static var_status keep_owned(var_transformer *tf, void *p)
{
  void **n;
  var_status s = var_alloc(tf->ctx, sizeof *n * (size_t)(tf->n_owned + 1), (void **)&n);
  if (s != VAR_OK) return s;
  if (tf->n_owned) memcpy(n, tf->owned, sizeof *n * (size_t)tf->n_owned);
  n[tf->n_owned++] = p;
  var_free(tf->owned);
  tf->owned = n;
  return VAR_OK;
}

/* Converts t (any float type, or int8 with row scales `in_scale`) to `type`:
 * *data holds the weights, *scales (int8 only) the new row scales. */
static var_status convert_weight(var_transformer *tf, const var_ckpt_tensor *t, const float *in_scale, int type,
                                 void **data, float **scales)
{
  const int64_t N = t->shape[0], K = t->shape[1];
  const size_t in_es = var_dtype_size(t->dtype), out_es = var_dtype_size((var_dtype)type);
  float *row = NULL;
  int64_t n, k;
  var_status s;
  *data = NULL;
  *scales = NULL;
  s = var_alloc(tf->ctx, var_size_mul3((size_t)N, (size_t)K, out_es), data);
  if (s == VAR_OK && (s = keep_owned(tf, *data)) != VAR_OK) {
    var_free(*data);
    *data = NULL;
  }
  if (s == VAR_OK && type == VAR_DTYPE_I8) {
    s = var_alloc(tf->ctx, var_size_mul((size_t)N, 4), (void **)scales);
    if (s == VAR_OK && (s = keep_owned(tf, *scales)) != VAR_OK) {
      var_free(*scales);
      *scales = NULL;
    }
  }
  if (s == VAR_OK) s = var_alloc(tf->ctx, var_size_mul((size_t)K, 4), (void **)&row);
  if (s != VAR_OK) return s;   /* what was kept is freed with the transformer */
  for (n = 0; n < N; n++) {
    var_lp_row_f32(t->dtype, (const uint8_t *)t->data + (size_t)n * K * in_es, K, in_scale ? in_scale[n] : 1.0f, row);
    if (type == VAR_DTYPE_F32) {
      memcpy((float *)*data + (size_t)n * K, row, (size_t)K * 4);
    } else if (type == VAR_DTYPE_BF16) {
      uint16_t *d = (uint16_t *)*data + (size_t)n * K;
      for (k = 0; k < K; k++) d[k] = var_f32_to_bf16(row[k]);
    } else if (type == VAR_DTYPE_F16) {
      uint16_t *d = (uint16_t *)*data + (size_t)n * K;
      for (k = 0; k < K; k++) d[k] = var_f32_to_f16(row[k]);
    } else {
      (*scales)[n] = var_lp_quantize_row(row, K, (int8_t *)*data + (size_t)n * K);
    }
  }
  var_free(row);
  return VAR_OK;
}

var_status var_tf_wrap_weight(var_transformer *tf, const char *name, int64_t n_out, int64_t n_in,
                              var_tf_weight *out)
{
  const var_ckpt_tensor *t = var_ckpt_find(tf->ck, name), *sc = NULL;
  const int lp = tf->be->ops->linear_lp != NULL;
  char sname[200], a[128], b[128];
  int64_t want[2];
  int type;
  var_status s;
  memset(out, 0, sizeof *out);
  if (!t) return var_fail(tf->ctx, VAR_ERR_NOT_FOUND, "%s: tensor \"%s\" is missing", tf->ck->path, name);
  want[0] = n_out;
  want[1] = n_in;
  if (t->ndim != 2 || t->shape[0] != n_out || t->shape[1] != n_in)
    return var_fail(tf->ctx, VAR_ERR_SHAPE, "%s: tensor \"%s\" has shape %s, expected %s", tf->ck->path, name,
                    var_shape_str(t->shape, t->ndim, a, sizeof a), var_shape_str(want, 2, b, sizeof b));
  if (t->dtype != VAR_DTYPE_F32 && t->dtype != VAR_DTYPE_BF16 && t->dtype != VAR_DTYPE_F16 &&
      t->dtype != VAR_DTYPE_I8)
    return var_fail(tf->ctx, VAR_ERR_SHAPE, "%s: tensor \"%s\" is %s, expected floating point or int8", tf->ck->path,
                    name, var_dtype_name(t->dtype));
  if (t->dtype == VAR_DTYPE_I8) {
    snprintf(sname, sizeof sname, "%s%s", name, VAR_LP_SCALE_SUFFIX);
    sc = var_ckpt_find(tf->ck, sname);   /* present, F32 [N]: var_lp_check_file ran at load */
  }
  type = tf->ctx->weights == VAR_WEIGHTS_AS_STORED ? (int)t->dtype : var_lp_dtype_of_weights(tf->ctx->weights);
  if (!lp) type = VAR_DTYPE_F32;
  out->type = type;
  tf->weight_types |= 1 << type;
  if (type == (int)t->dtype) {
    s = var_tf_wrap_host(tf, t->data, t->nbytes, &out->w);
    if (s == VAR_OK && sc) s = var_tf_wrap_host(tf, sc->data, sc->nbytes, &out->scale);
    return s;
  }
  {
    void *data;
    float *scales;
    s = convert_weight(tf, t, sc ? (const float *)sc->data : NULL, type, &data, &scales);
    if (s == VAR_OK) var_ckpt_drop_pages(tf->ck, t);   /* the source is not read again */
    if (s == VAR_OK) s = var_tf_wrap_host(tf, data, var_size_mul3((size_t)n_out, (size_t)n_in, var_dtype_size((var_dtype)type)), &out->w);
    if (s == VAR_OK && scales) s = var_tf_wrap_host(tf, scales, var_size_mul((size_t)n_out, 4), &out->scale);
    return s;
  }
}

/* Up to this many rows per sequence (the AdaLN products and scales 0..2: 1, 4 and 9
 * tokens), reduced-precision products may take the backend's kernel for few rows.
 * The choice depends on the scale, never on how many sequences are batched. */
#define VAR_TF_FEW_ROWS 9

var_status var_tf_linear(var_transformer *tf, int T, int M, int N, int K, var_dptr X, const var_tf_weight *W,
                         var_dptr bias, var_dptr Y, int act)
{
  var_backend *be = tf->be;
  if (W->type == VAR_DTYPE_F32) return be->ops->linear(be, M, N, K, X, W->w, bias, Y, act);
  return be->ops->linear_lp(be, M, N, K, X, W->type, W->w, W->scale, bias, Y, act, T <= VAR_TF_FEW_ROWS);
}

/* backend_cpu.c — the CPU backend: its creation (and the tuning read from the
 * environment then), host memory and the op table.  The ops themselves live in
 * cpu_*.c. */
#include "cpu/cpu_linear_lp.h"
#include "cpu/cpu_ops.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif
#include <stdlib.h>
#include <string.h>

static void cpu_destroy(var_backend *be)
{
  cpu_state *st = be->impl;
  var_cpu_derived_drop(st, NULL);
  pthread_mutex_destroy(&st->mu);
  free(be->impl);
  free(be);
}

static var_status cpu_alloc(var_backend *be, size_t bytes, var_dbuf **out)
{
  cpu_state *st = be->impl;
  var_dbuf *b = calloc(1, sizeof *b);
  var_status s;
  *out = NULL;
  if (!b) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "out of memory allocating %zu bytes", sizeof *b);
  s = var_alloc(be->ctx, bytes, &b->host);
  if (s != VAR_OK) {
    free(b);
    return s;
  }
  b->bytes = bytes;
  b->owned = 1;
  st->current += bytes;
  if (st->current > st->peak) st->peak = st->current;
  *out = b;
  return VAR_OK;
}

static var_status cpu_wrap_const(var_backend *be, const void *host, size_t bytes, var_dbuf **out)
{
  var_dbuf *b = calloc(1, sizeof *b);
  *out = NULL;
  if (!b) return var_fail(be->ctx, VAR_ERR_NO_MEMORY, "out of memory allocating %zu bytes", sizeof *b);
  b->host = (void *)host;   /* never written through: ops take weights as inputs only */
  b->bytes = bytes;
  b->owned = 0;
  *out = b;
  return VAR_OK;
}

static void cpu_release(var_backend *be, var_dbuf *b)
{
  cpu_state *st = be->impl;
  if (!b) return;
  if (!b->owned) var_cpu_derived_drop(st, b);
  if (b->owned) {
    st->current -= b->bytes;
    var_free(b->host);
  }
  free(b);
}

static int in_bounds(var_dptr p, size_t bytes)
{
  size_t off = p.off * 4;
  return p.buf && off <= p.buf->bytes && bytes <= p.buf->bytes - off;
}

static var_status cpu_write(var_backend *be, var_dptr dst, const void *src, size_t bytes)
{
  if (!in_bounds(dst, bytes)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu write out of bounds");
  memcpy(cpu_f32(dst), src, bytes);
  return VAR_OK;
}

static var_status cpu_read(var_backend *be, var_dptr src, void *dst, size_t bytes)
{
  if (!in_bounds(src, bytes)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu read out of bounds");
  memcpy(dst, cpu_f32(src), bytes);
  return VAR_OK;
}

static var_status cpu_copy(var_backend *be, var_dptr dst, var_dptr src, size_t n)
{
  if (!in_bounds(dst, n * 4) || !in_bounds(src, n * 4))
    return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu copy out of bounds");
  memmove(cpu_f32(dst), cpu_f32(src), n * 4);
  return VAR_OK;
}

static var_status cpu_fill(var_backend *be, var_dptr dst, float value, size_t n)
{
  float *p = cpu_f32(dst);
  size_t i;
  if (!in_bounds(dst, n * 4)) return var_fail(be->ctx, VAR_ERR_INVALID_ARGUMENT, "cpu fill out of bounds");
  for (i = 0; i < n; i++) p[i] = value;
  return VAR_OK;
}

static var_status cpu_finish(var_backend *be)
{
  (void)be;
  return VAR_OK;
}

static void cpu_memory(var_backend *be, size_t *current, size_t *peak)
{
  cpu_state *st = be->impl;
  if (current) *current = st->current;
  if (peak) *peak = st->peak;
}

static const var_backend_ops cpu_ops = {
  .destroy = cpu_destroy,
  .alloc = cpu_alloc,
  .wrap_const = cpu_wrap_const,
  .release = cpu_release,
  .write = cpu_write,
  .read = cpu_read,
  .copy = cpu_copy,
  .fill = cpu_fill,
  .finish = cpu_finish,
  .memory = cpu_memory,
  .gemm = cpu_gemm,
  .linear = cpu_linear,
  .axpby = cpu_axpby,
  .activation = cpu_activation,
  .conv2d = cpu_conv2d,
  .group_norm = cpu_group_norm,
  .upsample_nearest2x = cpu_upsample_nearest2x,
  .spatial_attention = cpu_spatial_attention,
  .resize_area = cpu_resize_area,
  .resize_bicubic = cpu_resize_bicubic,
  .vq_argmin = cpu_vq_argmin,
  .codebook_gather_cm = cpu_codebook_gather_cm,
  .select_cm = cpu_select_cm,
  .cm_to_tokens = cpu_cm_to_tokens,
  .embed_rows = cpu_embed_rows,
  .add_rows = cpu_add_rows,
  .ln_modulate = cpu_ln_modulate,
  .gated_add = cpu_gated_add,
  .attention_kv = cpu_attention_kv,
  .cfg_combine = cpu_cfg_combine,
  .sample = cpu_sample,
  .gumbel_mix = cpu_gumbel_mix,
  .linear_lp = cpu_linear_lp,
};

#if VAR_HAVE_X86_SIMD
/* CPUID leaf 1, ECX bit 29.  Asked directly: clang 14's
 * __builtin_cpu_supports() does not know "f16c". */
static int cpu_has_f16c(void)
{
  unsigned a, b, c, d;
  return __get_cpuid(1, &a, &b, &c, &d) && (c >> 29 & 1u);
}
#endif

int var_cpu_simd_detect(void)
{
#if VAR_HAVE_X86_SIMD
  int level, cap = var_env_int("VAR_SIMD", VAR_SIMD_AVX2);
  __builtin_cpu_init();
  /* F16C too (every AVX2 processor has it): the float16 weight kernels use it */
  level = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") && cpu_has_f16c()
              ? VAR_SIMD_AVX2
              : VAR_SIMD_NONE;
  return level < cap ? level : cap;
#else
  return VAR_SIMD_NONE;
#endif
}

void var_cpu_tuning_read(var_cpu_tuning *t)
{
  const char *conv = getenv("VAR_CONV"), *linear = getenv("VAR_LINEAR");
  static const char *const conv_names[] = { "direct", "gemm", "taps", "winograd" };
  int i;
  memset(t, 0, sizeof *t);
  t->simd = var_cpu_simd_detect();
  t->conv = VAR_CPU_CONV_AUTO;
  for (i = 0; conv && i < 4; i++)
    if (!strcmp(conv, conv_names[i])) t->conv = VAR_CPU_CONV_DIRECT + i;
  t->linear_blas = linear && !strcmp(linear, "blas");
  t->wg_keep = var_env_int("VAR_WG_KEEP", 1) > 0;
  t->wg_mode = var_env_int("VAR_WG_MODE", -1);
  t->wg_private_kib = var_env_int("VAR_WG_PRIVATE_KIB", -1);
  t->wg_shared_kib = var_env_int("VAR_WG_SHARED_KIB", -1);
  /* opt-in: 2-2.3x faster than widening int8 on a Zen 4, but quantising the
   * activations costs accuracy (docs/performance.md) */
  t->int8_vnni = getenv("VAR_INT8") && !strcmp(getenv("VAR_INT8"), "vnni") && t->simd >= VAR_SIMD_AVX2 &&
                 var_lp_vnni_available();
}

var_status var_backend_cpu_new(var_ctx *ctx, var_backend **out)
{
  var_backend *be = calloc(1, sizeof *be);
  *out = NULL;
  if (!be) return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory allocating %zu bytes", sizeof *be);
  be->impl = calloc(1, sizeof(cpu_state));
  if (!be->impl) {
    free(be);
    return var_fail(ctx, VAR_ERR_NO_MEMORY, "out of memory allocating %zu bytes", sizeof(cpu_state));
  }
  pthread_mutex_init(&((cpu_state *)be->impl)->mu, NULL);
  var_cpu_tuning_read(&((cpu_state *)be->impl)->tune);
  be->ops = &cpu_ops;
  be->ctx = ctx;
  be->name = "cpu";
  *out = be;
  return VAR_OK;
}

/* ctx.c — the context: threads, backend choice, progress and cancel.  Errors,
 * logging and allocation are status.c's, which needs no context internals
 * beyond the message buffer. */
#include "internal.h"
#include "os.h"
#include "backend.h"
#include "threads.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *var_version(void) { return VAR_VERSION_STRING; }

int var_cancelled(var_ctx *ctx)
{
  if (!ctx) return 0;
#if defined(__GNUC__) || defined(__clang__)
  return __atomic_load_n(&ctx->cancel_flag, __ATOMIC_RELAXED);
#else
  return ctx->cancel_flag;
#endif
}

void var_cancel_reset(var_ctx *ctx)
{
  if (!ctx) return;
#if defined(__GNUC__) || defined(__clang__)
  __atomic_store_n(&ctx->cancel_flag, 0, __ATOMIC_RELAXED);
#else
  ctx->cancel_flag = 0;
#endif
}

void var_ctx_cancel(var_ctx *ctx)
{
  if (!ctx) return;
#if defined(__GNUC__) || defined(__clang__)
  __atomic_store_n(&ctx->cancel_flag, 1, __ATOMIC_RELAXED);
#else
  ctx->cancel_flag = 1;
#endif
}

var_status var_report_progress(var_ctx *ctx, const var_progress *p)
{
  if (!ctx) return VAR_OK;
  if (ctx->progress && p && ctx->progress(ctx->progress_user, p))
    var_ctx_cancel(ctx);
  if (var_cancelled(ctx))
    return var_fail(ctx, VAR_ERR_CANCELLED, "cancelled by the caller");
  return VAR_OK;
}

void var_ctx_set_progress(var_ctx *ctx, var_progress_fn fn, void *user)
{
  if (!ctx) return;
  ctx->progress = fn;
  ctx->progress_user = user;
}

void var_ctx_params_default(var_ctx_params *params)
{
  if (!params) return;
  memset(params, 0, sizeof *params);
  params->n_threads = 0;
  params->backend = NULL;
  params->log_level = VAR_LOG_WARN;
}

var_status var_ctx_new(const var_ctx_params *params, var_ctx **out)
{
  var_ctx_params def;
  var_ctx *ctx;
  const char *backend;
  var_status st;

  var_clear_error(NULL);
  if (!out) return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "var_ctx_new: out is NULL");
  *out = NULL;
  if (!params) {
    var_ctx_params_default(&def);
    params = &def;
  }
  if (params->n_threads < 0 || params->n_threads > 1024)
    return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "n_threads %d is out of range (0..1024)", params->n_threads);
  if (params->weights < VAR_WEIGHTS_AS_STORED || params->weights > VAR_WEIGHTS_INT8)
    return var_fail(NULL, VAR_ERR_INVALID_ARGUMENT, "weights %d is not a var_weights value", params->weights);
  ctx = calloc(1, sizeof *ctx);
  if (!ctx) return var_fail(NULL, VAR_ERR_NO_MEMORY, "out of memory creating a context (%zu bytes)", sizeof *ctx);
  ctx->weights = params->weights;
  if (ctx->weights == VAR_WEIGHTS_AS_STORED && getenv("VAR_WEIGHTS") && *getenv("VAR_WEIGHTS")) {
    var_weights w;   /* the default for applications without a setting (the plug-ins) */
    if (var_weights_parse(getenv("VAR_WEIGHTS"), &w) == VAR_OK) ctx->weights = w;
  }
  ctx->log = params->log;
  ctx->log_user = params->log_user;
  ctx->log_level = params->log_level;
  ctx->n_threads = params->n_threads;
  if (ctx->n_threads == 0) ctx->n_threads = var_env_int("VAR_THREADS", 0);
  if (ctx->n_threads <= 0) ctx->n_threads = var_cpu_count();
  ctx->pool = var_pool_new(ctx->n_threads);
  if (!ctx->pool) {
    free(ctx);
    return var_fail(NULL, VAR_ERR_NO_MEMORY, "could not start %d worker threads", params->n_threads);
  }
  var_pool_set_owner(ctx->pool, ctx);
  backend = params->backend;
  if (!backend || !*backend) backend = getenv("VAR_BACKEND");
  if (!backend || !*backend) backend = "cpu";
  st = var_backend_create(ctx, backend, &ctx->backend);
  if (st != VAR_OK) {
    /* keep the backend's own message for var_last_init_error */
    var_fail(NULL, st, "%s", ctx->err);
    var_pool_free(ctx->pool);
    free(ctx);
    return st;
  }
  snprintf(ctx->backend_name, sizeof ctx->backend_name, "%s", ctx->backend->name);
  *out = ctx;
  return VAR_OK;
}

void var_ctx_free(var_ctx *ctx)
{
  if (!ctx) return;
  var_backend_destroy(ctx->backend);
  var_pool_free(ctx->pool);
  free(ctx);
#ifdef _WIN32
  var_os_release_cache();   /* the big blocks os_win32.c kept for reuse */
#endif
}

const char *var_ctx_last_error(const var_ctx *ctx) { return ctx ? ctx->err : var_last_init_error(); }
const char *var_ctx_backend_name(const var_ctx *ctx) { return ctx ? ctx->backend_name : ""; }
int var_ctx_n_threads(const var_ctx *ctx) { return ctx ? ctx->n_threads : 0; }

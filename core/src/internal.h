/* internal.h — what every core translation unit shares: the context struct
 * (ctx.c), error reporting and checked allocation (status.c), cancellation
 * and progress (ctx.c). */
#ifndef VAR_INTERNAL_H
#define VAR_INTERNAL_H

#include "var.h"

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct var_pool var_pool;
typedef struct var_backend var_backend;

#define VAR_ERRMSG_SIZE 1024

/* Per-thread storage for the messages and lists returned without a context
 * (var_last_init_error, var_backends_available): threads that fail or ask at
 * the same time each get their own. */
#if defined(__GNUC__) || defined(__clang__)
#define VAR_THREAD_LOCAL __thread
#elif defined(_MSC_VER)
#define VAR_THREAD_LOCAL __declspec(thread)
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
#define VAR_THREAD_LOCAL _Thread_local
#else
#error "libvar needs thread-local storage"
#endif

struct var_ctx {
  char err[VAR_ERRMSG_SIZE];
  var_log_fn log;
  void *log_user;
  var_log_level log_level;
  var_progress_fn progress;
  void *progress_user;
  volatile int cancel_flag;     /* written by any thread, read with var_atomic_load */
  int n_threads;
  var_pool *pool;
  var_backend *backend;         /* never NULL after var_ctx_new */
  char backend_name[256];
  int weights;                  /* var_weights: convert linear weights to this type on load */
};

#if defined(__GNUC__) || defined(__clang__)
#if defined(__MINGW32__)
#define VAR_PRINTF(a, b) __attribute__((format(gnu_printf, a, b)))   /* MinGW's C99 printf, not msvcrt's */
#else
#define VAR_PRINTF(a, b) __attribute__((format(printf, a, b)))
#endif
#define VAR_UNUSED __attribute__((unused))
#define VAR_LIKELY(x) __builtin_expect(!!(x), 1)
#define VAR_UNLIKELY(x) __builtin_expect(!!(x), 0)
#else
#define VAR_PRINTF(a, b)
#define VAR_UNUSED
#define VAR_LIKELY(x) (x)
#define VAR_UNLIKELY(x) (x)
#endif

/* Records a formatted message on ctx (may be NULL) and returns status, so that
 * failures read `return var_fail(ctx, VAR_ERR_FORMAT, "...", ...);`. */
var_status var_fail(var_ctx *ctx, var_status status, const char *fmt, ...) VAR_PRINTF(3, 4);
/* Prefixes the current message with "what: " (for context on the way up). */
var_status var_fail_prefix(var_ctx *ctx, var_status status, const char *fmt, ...) VAR_PRINTF(3, 4);
/* Clears ctx's message (NULL: the one var_last_init_error returns). */
void var_clear_error(var_ctx *ctx);
void var_log(var_ctx *ctx, var_log_level level, const char *fmt, ...) VAR_PRINTF(3, 4);

/* Overflow-checked sizes: return 0 on overflow (callers treat 0 as failure). */
size_t var_size_mul(size_t a, size_t b);
size_t var_size_mul3(size_t a, size_t b, size_t c);

/* Allocation that fails with VAR_ERR_NO_MEMORY (and a message) instead of
 * returning NULL silently.  Memory is 64-byte aligned; free with var_free. */
var_status var_alloc(var_ctx *ctx, size_t bytes, void **out);
var_status var_calloc(var_ctx *ctx, size_t count, size_t elem, void **out);
void var_free(void *p);
/* strdup (which C99 lacks): a malloc'ed copy, freed with free(); NULL when out of memory. */
char *var_strdup(const char *s);

/* Cancellation and progress. */
int var_cancelled(var_ctx *ctx);
void var_cancel_reset(var_ctx *ctx);
/* Reports progress; returns VAR_ERR_CANCELLED (with a message) if the callback
 * or var_ctx_cancel asked to stop, VAR_OK otherwise. */
var_status var_report_progress(var_ctx *ctx, const var_progress *p);

/* Environment helpers. */
int var_env_int(const char *name, int fallback);

/* Class-name lookup shared by ImageNet's list and a model's own (class_find.c):
 * text(user, i) is class i's ", "-separated synonyms (NULL: unnamed).  The
 * query is trimmed and matched case-insensitively ('_' = ' '): a unique first
 * name, else a unique synonym, else a unique prefix; -1 otherwise. */
typedef const char *(*var_class_text_fn)(const void *user, int index);
int var_class_find_in(const char *name, int n_classes, var_class_text_fn text, const void *user);

#endif

/* test_threads.c — libvar from several threads at once (also run under
 * ThreadSanitizer by scripts/run-tests.sh): contexts are independent, a
 * cancel from another thread stops a call cleanly, and the messages that have
 * no context (var_last_init_error, var_backends_available) are per thread. */
#include "test_support.h"

#include "var.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEMO_DIR VAR_TEST_DATA "/../../models/demo"
#define N_PAR 3

typedef struct gen_job {
  uint64_t seed;
  int variants;
  var_status st;
  uint8_t *bytes;          /* every result image, one after the other */
  size_t n;
  char err[512];
} gen_job;

/* One context, one model, one var_generate: the whole life of a caller. */
static void *generate_job(void *arg)
{
  gen_job *j = arg;
  var_ctx_params cp;
  var_ctx *ctx = NULL;
  var_model *m = NULL;
  var_result *res = NULL;
  var_edit_params p;
  int i;
  var_ctx_params_default(&cp);
  cp.n_threads = 2;
  j->st = var_ctx_new(&cp, &ctx);
  if (j->st == VAR_OK) j->st = var_model_load_dir(ctx, DEMO_DIR, NULL, &m);
  if (j->st == VAR_OK) {
    var_edit_params_default(&p);
    p.sample.seed = j->seed;
    p.class_label = (int)(j->seed % 7);
    p.variants = j->variants;
    j->st = var_generate(m, &p, &res);
  }
  if (j->st == VAR_OK) {
    for (i = 0; i < var_result_count(res); i++) {
      const var_image *im = var_result_image(res, i);
      const size_t n = (size_t)im->stride * im->height;
      j->bytes = realloc(j->bytes, j->n + n);
      memcpy(j->bytes + j->n, im->data, n);
      j->n += n;
    }
  } else {
    snprintf(j->err, sizeof j->err, "%s", ctx ? var_ctx_last_error(ctx) : var_last_init_error());
  }
  var_result_free(res);
  var_model_free(m);
  var_ctx_free(ctx);
  return NULL;
}

static void test_parallel_contexts(void)
{
  gen_job serial[N_PAR], par[N_PAR];
  pthread_t t[N_PAR];
  int i;
  memset(serial, 0, sizeof serial);
  memset(par, 0, sizeof par);
  for (i = 0; i < N_PAR; i++) {
    serial[i].seed = par[i].seed = 10 + (uint64_t)i;
    serial[i].variants = par[i].variants = 2;
    generate_job(&serial[i]);
    CU_ASSERT_EQUAL_FATAL(serial[i].st, VAR_OK);
  }
  for (i = 0; i < N_PAR; i++) CU_ASSERT_FATAL(pthread_create(&t[i], NULL, generate_job, &par[i]) == 0);
  for (i = 0; i < N_PAR; i++) pthread_join(t[i], NULL);
  for (i = 0; i < N_PAR; i++) {
    CU_ASSERT_EQUAL(par[i].st, VAR_OK);
    if (par[i].st) printf("\n  thread %d: %s\n", i, par[i].err);
    CU_ASSERT(par[i].n == serial[i].n && par[i].n > 0 && !memcmp(par[i].bytes, serial[i].bytes, par[i].n));
    free(par[i].bytes);
    free(serial[i].bytes);
  }
}

/* The progress callback (on the generating thread) holds the call until the
 * other thread has cancelled, so the cancel always lands mid-call. */
typedef struct cancel_sync {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  int started, cancelled, calls_after;
  var_ctx *ctx;
} cancel_sync;

static int hold_until_cancelled(void *user, const var_progress *p)
{
  cancel_sync *s = user;
  (void)p;
  pthread_mutex_lock(&s->mu);
  if (s->cancelled) s->calls_after++;
  s->started = 1;
  pthread_cond_broadcast(&s->cv);
  while (!s->cancelled) pthread_cond_wait(&s->cv, &s->mu);
  pthread_mutex_unlock(&s->mu);
  return 0;   /* never cancels by itself: only var_ctx_cancel does */
}

static void *canceller(void *arg)
{
  cancel_sync *s = arg;
  pthread_mutex_lock(&s->mu);
  while (!s->started) pthread_cond_wait(&s->cv, &s->mu);
  var_ctx_cancel(s->ctx);
  s->cancelled = 1;
  pthread_cond_broadcast(&s->cv);
  pthread_mutex_unlock(&s->mu);
  return NULL;
}

static void test_cancel_from_another_thread(void)
{
  var_ctx *ctx = NULL;
  var_model *m = NULL;
  var_result *res, *sentinel = (var_result *)&res;
  var_edit_params p;
  var_image im;
  var_mask mask;
  uint8_t px[32 * 32 * 4], before[sizeof px], mk[32 * 32];
  cancel_sync s;
  pthread_t t;
  int i;
  CU_ASSERT_FATAL(var_ctx_new(NULL, &ctx) == VAR_OK);
  CU_ASSERT_FATAL(var_model_load_dir(ctx, DEMO_DIR, NULL, &m) == VAR_OK);
  for (i = 0; i < (int)sizeof px; i++) px[i] = (uint8_t)(i * 29 + 3);
  memcpy(before, px, sizeof px);
  memset(mk, 0, sizeof mk);
  memset(mk + 32 * 8, 255, 32 * 12);
  im.width = im.height = 32;
  im.stride = 128;
  im.data = px;
  mask.width = mask.height = 32;
  mask.stride = 32;
  mask.data = mk;
  var_edit_params_default(&p);
  p.variants = 4;
  memset(&s, 0, sizeof s);
  pthread_mutex_init(&s.mu, NULL);
  pthread_cond_init(&s.cv, NULL);
  s.ctx = ctx;
  var_ctx_set_progress(ctx, hold_until_cancelled, &s);
  CU_ASSERT_FATAL(pthread_create(&t, NULL, canceller, &s) == 0);
  res = sentinel;
  CU_ASSERT_EQUAL(var_inpaint(m, &im, &mask, &p, &res), VAR_ERR_CANCELLED);
  pthread_join(t, NULL);
  CU_ASSERT_PTR_NULL(res);
  CU_ASSERT(memcmp(px, before, sizeof px) == 0);   /* the input is untouched */
  CU_ASSERT(strstr(var_ctx_last_error(ctx), "cancel") != NULL);
  CU_ASSERT(s.calls_after <= 1);                   /* it stopped at the next check */
  /* the context works again afterwards */
  var_ctx_set_progress(ctx, NULL, NULL);
  p.variants = 1;
  CU_ASSERT_EQUAL(var_inpaint(m, &im, &mask, &p, &res), VAR_OK);
  var_result_free(res);
  var_model_free(m);
  var_ctx_free(ctx);
  pthread_mutex_destroy(&s.mu);
  pthread_cond_destroy(&s.cv);
}

#define N_BAD 8
static pthread_barrier_t bad_barrier;

typedef struct bad_job {
  char name[32];
  var_status st;
  char msg[1200];
  char list[512];
} bad_job;

static void *bad_backend(void *arg)
{
  bad_job *j = arg;
  var_ctx_params cp;
  var_ctx *ctx = NULL;
  int k;
  var_ctx_params_default(&cp);
  cp.backend = j->name;
  cp.n_threads = 1;
  pthread_barrier_wait(&bad_barrier);
  for (k = 0; k < 20; k++) {
    j->st = var_ctx_new(&cp, &ctx);
    snprintf(j->msg, sizeof j->msg, "%.1100s", var_last_init_error());
    snprintf(j->list, sizeof j->list, "%.500s", var_backends_available());
    if (j->st == VAR_OK || !strstr(j->msg, j->name)) break;
  }
  var_ctx_free(ctx);
  return NULL;
}

static void test_concurrent_bad_backends(void)
{
  bad_job jobs[N_BAD];
  pthread_t t[N_BAD];
  int i;
  CU_ASSERT_FATAL(pthread_barrier_init(&bad_barrier, NULL, N_BAD) == 0);
  for (i = 0; i < N_BAD; i++) {
    memset(&jobs[i], 0, sizeof jobs[i]);
    snprintf(jobs[i].name, sizeof jobs[i].name, "no-such-backend-%d", i);
    CU_ASSERT_FATAL(pthread_create(&t[i], NULL, bad_backend, &jobs[i]) == 0);
  }
  for (i = 0; i < N_BAD; i++) pthread_join(t[i], NULL);
  pthread_barrier_destroy(&bad_barrier);
  for (i = 0; i < N_BAD; i++) {
    char want[64];
    CU_ASSERT_EQUAL(jobs[i].st, VAR_ERR_INVALID_ARGUMENT);
    snprintf(want, sizeof want, "\"%.40s\"", jobs[i].name);
    CU_ASSERT(strstr(jobs[i].msg, want) != NULL);   /* its own name, not another thread's */
    CU_ASSERT(!strncmp(jobs[i].list, "cpu", 3));
  }
}

int main(void)
{
  static const test_case tests[] = {
    { "three contexts in parallel give the serial run's bytes", test_parallel_contexts },
    { "var_ctx_cancel from another thread: VAR_ERR_CANCELLED, outputs untouched", test_cancel_from_another_thread },
    { "contexts created at once with bad backends: each its own message", test_concurrent_bad_backends },
    { NULL, NULL },
  };
  return run_suite("threads", tests);
}

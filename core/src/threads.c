/* threads.c — thread pool (os_thread.h: pthreads; Windows locks on Windows).  One job at a time; chunks are claimed through an
 * atomic counter so uneven chunks balance themselves. */
#include "threads.h"
#include "os.h"

#include "os_thread.h"
#include <stdlib.h>

struct var_pool {
  int n;                       /* threads including the caller */
  pthread_t *workers;
  var_mutex mu;
  var_cond wake, done;
  /* current job */
  var_range_fn fn;
  void *arg;
  int64_t n_items, chunk, next;
  int generation;              /* bumped per job so sleeping workers notice */
  int active;                  /* workers still inside the current job */
  int stop;
  void *owner;
};

static
#if defined(__GNUC__) || defined(__clang__)
__thread
#endif
int in_parallel;

static int64_t claim(var_pool *p)
{
#if defined(__GNUC__) || defined(__clang__)
  return __atomic_fetch_add(&p->next, p->chunk, __ATOMIC_RELAXED);
#else
  int64_t v;
  var_mutex_lock(&p->mu);
  v = p->next;
  p->next += p->chunk;
  var_mutex_unlock(&p->mu);
  return v;
#endif
}

static void run_chunks(var_pool *p, int thread)
{
  int64_t b;
  in_parallel = 1;
  while ((b = claim(p)) < p->n_items) {
    int64_t e = b + p->chunk;
    if (e > p->n_items) e = p->n_items;
    p->fn(p->arg, b, e, thread);
  }
  in_parallel = 0;
}

typedef struct {
  var_pool *pool;
  int index;
} worker_arg;

static void *worker_main(void *varg)
{
  worker_arg *wa = varg;
  var_pool *p = wa->pool;
  int index = wa->index, seen = 0;
  free(wa);
  var_mutex_lock(&p->mu);
  for (;;) {
    while (!p->stop && p->generation == seen) var_cond_wait(&p->wake, &p->mu);
    if (p->stop) break;
    seen = p->generation;
    var_mutex_unlock(&p->mu);
    run_chunks(p, index);
    var_mutex_lock(&p->mu);
    if (--p->active == 0) var_cond_signal(&p->done);
  }
  var_mutex_unlock(&p->mu);
  return NULL;
}

int var_cpu_count(void)
{
  long n = var_os_cpu_count();
  if (n < 1) n = 1;
  if (n > 256) n = 256;
  return (int)n;
}

var_pool *var_pool_new(int n_threads)
{
  var_pool *p = calloc(1, sizeof *p);
  int i;
  if (!p) return NULL;
  if (n_threads < 1) n_threads = 1;
  p->n = n_threads;
  var_mutex_init(&p->mu);
  var_cond_init(&p->wake);
  var_cond_init(&p->done);
  if (n_threads > 1) {
    p->workers = calloc((size_t)n_threads - 1, sizeof *p->workers);
    if (!p->workers) { var_pool_free(p); return NULL; }
    for (i = 0; i < n_threads - 1; i++) {
      worker_arg *wa = malloc(sizeof *wa);
      if (!wa) break;
      wa->pool = p;
      wa->index = i + 1;
      if (pthread_create(&p->workers[i], NULL, worker_main, wa) != 0) { free(wa); break; }
    }
    if (i < n_threads - 1) { p->n = i + 1; }   /* run with the threads we got */
  }
  return p;
}

void var_pool_free(var_pool *pool)
{
  int i;
  if (!pool) return;
  if (pool->workers) {
    var_mutex_lock(&pool->mu);
    pool->stop = 1;
    var_cond_broadcast(&pool->wake);
    var_mutex_unlock(&pool->mu);
    for (i = 0; i < pool->n - 1; i++) pthread_join(pool->workers[i], NULL);
    free(pool->workers);
  }
  var_mutex_destroy(&pool->mu);
  var_cond_destroy(&pool->wake);
  var_cond_destroy(&pool->done);
  free(pool);
}

int var_pool_size(const var_pool *pool) { return pool ? pool->n : 1; }
void var_pool_set_owner(var_pool *pool, void *owner)
{
  if (pool) pool->owner = owner;
}
void *var_pool_owner(const var_pool *pool) { return pool ? pool->owner : NULL; }

void var_parallel_for(var_pool *p, int64_t n, int64_t grain, var_range_fn fn, void *arg)
{
  int64_t chunk;
  if (n <= 0) return;
  if (grain < 1) grain = 1;
  if (!p || p->n == 1 || in_parallel || n <= grain) {
    fn(arg, 0, n, 0);
    return;
  }
  /* About 4 chunks per thread balances uneven work without much claiming overhead. */
  chunk = (n + (int64_t)p->n * 4 - 1) / ((int64_t)p->n * 4);
  if (chunk < grain) chunk = grain;
  var_mutex_lock(&p->mu);
  p->fn = fn;
  p->arg = arg;
  p->n_items = n;
  p->chunk = chunk;
  p->next = 0;
  p->active = p->n - 1;
  p->generation++;
  var_cond_broadcast(&p->wake);
  var_mutex_unlock(&p->mu);
  run_chunks(p, 0);
  var_mutex_lock(&p->mu);
  while (p->active > 0) var_cond_wait(&p->done, &p->mu);
  var_mutex_unlock(&p->mu);
}

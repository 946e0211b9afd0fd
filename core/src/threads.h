/* threads.h — a small fixed thread pool with a parallel-for.  The calling
 * thread takes part in the work, so a pool of n threads starts n-1 workers.
 * Work is split into chunks of whole index ranges; which thread runs a chunk
 * never changes what it computes, so results do not depend on the thread count. */
#ifndef VAR_THREADS_H
#define VAR_THREADS_H

#include <stdint.h>

typedef struct var_pool var_pool;

/* fn computes indices [begin, end); `thread` is in [0, var_pool_size) and may
 * index per-thread scratch memory. */
typedef void (*var_range_fn)(void *arg, int64_t begin, int64_t end, int thread);

var_pool *var_pool_new(int n_threads);
void var_pool_free(var_pool *pool);
int var_pool_size(const var_pool *pool);
/* The context that owns the pool (its error messages), or NULL. */
void var_pool_set_owner(var_pool *pool, void *owner);
void *var_pool_owner(const var_pool *pool);
/* Runs fn over [0, n) in chunks of at least `grain` indices.  Calls made from
 * inside a running parallel_for run serially on the calling thread. */
void var_parallel_for(var_pool *pool, int64_t n, int64_t grain, var_range_fn fn, void *arg);
int var_cpu_count(void);

#endif

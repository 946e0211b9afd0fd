/* os_thread.h — the thread pool's lock and condition variables.  POSIX
 * threads everywhere but Windows, where the system's SRW locks and condition
 * variables are used: winpthreads builds its condition variables on kernel
 * events, and under Wine each wait and wake of those is a round trip to the
 * server (a two-thread outpaint ran 3x the Linux time).  Threads themselves
 * are still made with pthread_create (winpthreads). */
#ifndef VAR_OS_THREAD_H
#define VAR_OS_THREAD_H

#include <pthread.h>

#ifdef _WIN32
#include <windows.h>

typedef SRWLOCK var_mutex;
typedef CONDITION_VARIABLE var_cond;
static inline void var_mutex_init(var_mutex *m) { InitializeSRWLock(m); }
static inline void var_mutex_destroy(var_mutex *m) { (void)m; }
static inline void var_mutex_lock(var_mutex *m) { AcquireSRWLockExclusive(m); }
static inline void var_mutex_unlock(var_mutex *m) { ReleaseSRWLockExclusive(m); }
static inline void var_cond_init(var_cond *c) { InitializeConditionVariable(c); }
static inline void var_cond_destroy(var_cond *c) { (void)c; }
static inline void var_cond_wait(var_cond *c, var_mutex *m) { SleepConditionVariableSRW(c, m, INFINITE, 0); }
static inline void var_cond_signal(var_cond *c) { WakeConditionVariable(c); }
static inline void var_cond_broadcast(var_cond *c) { WakeAllConditionVariable(c); }
#else
typedef pthread_mutex_t var_mutex;
typedef pthread_cond_t var_cond;
static inline void var_mutex_init(var_mutex *m) { pthread_mutex_init(m, NULL); }
static inline void var_mutex_destroy(var_mutex *m) { pthread_mutex_destroy(m); }
static inline void var_mutex_lock(var_mutex *m) { pthread_mutex_lock(m); }
static inline void var_mutex_unlock(var_mutex *m) { pthread_mutex_unlock(m); }
static inline void var_cond_init(var_cond *c) { pthread_cond_init(c, NULL); }
static inline void var_cond_destroy(var_cond *c) { pthread_cond_destroy(c); }
static inline void var_cond_wait(var_cond *c, var_mutex *m) { pthread_cond_wait(c, m); }
static inline void var_cond_signal(var_cond *c) { pthread_cond_signal(c); }
static inline void var_cond_broadcast(var_cond *c) { pthread_cond_broadcast(c); }
#endif

#endif

/* threads.h: a small fixed pool of worker threads that the core's heavy
 * layers split their work over (conv, pool, net).
 *
 * The pool is created once (threads_create) and reused: a run hands out
 * task numbers 0 .. tasks-1 to the calling thread and the workers, and
 * returns when every task is done. The caller passes the pool it owns to
 * the calls that take one (conv_forward_threads, pool_forward_threads,
 * net_forward_threads); NULL everywhere means one thread, the caller's.
 *
 * Why a pool passed in, not a process-wide threads_set(n): the core keeps
 * no globals (STYLE.md), the window and a training loop may each own a
 * pool (or share one: a run on a pool that is already running falls back
 * to the caller's thread instead of waiting), and a test compares one and
 * several threads in one process.
 *
 * Results never depend on the pool: the callers split only independent
 * outputs (output channels, row bands, filters), each computed by one
 * thread in the order one thread computes it, never a sum, so a task may
 * run on any thread, in any order, with the same bits. */
#ifndef CONVSTEP_THREADS_H
#define CONVSTEP_THREADS_H

#include <stddef.h>

#include "error.h"

typedef struct Threads Threads;

/* The most threads a pool holds (threads_create clamps to it). */
#define THREADS_MAX 64

/* Task `task` of a run, on thread `worker` (0 .. threads_count - 1, 0 the
 * caller's): per-worker scratch is indexed by worker. */
typedef void (*ThreadsTask)(void *ctx, size_t task, size_t worker);

/* The CPUs online (sysconf), at least 1. */
size_t threads_online(void);

/* Starts a pool of n threads in all, the caller's counted: n - 1 workers
 * (n = 0: threads_online()). n = 1 starts none. Fails (CS_ERR_NOMEM) when
 * a thread cannot start; *out is then NULL. */
Status threads_create(size_t n, Threads **out, Error *err);

/* Stops and joins the workers and frees the pool. Safe on NULL. Not while
 * a run is in progress. */
void threads_free(Threads *pool);

/* Threads a run on pool uses: 1 for NULL. */
size_t threads_count(const Threads *pool);

/* Calls fn(ctx, task, worker) once for every task < tasks, spread over the
 * pool's threads, and returns when all have returned. Runs them all on the
 * calling thread (worker 0), in order, when pool is NULL, has one thread,
 * tasks < 2, or is busy with another run (a task that runs a pool again,
 * or a second thread sharing it). */
void threads_run(Threads *pool, size_t tasks, ThreadsTask fn, void *ctx);

/* Runs on pool so far that were handed to its workers (not run on the
 * caller's thread alone): tests check that a layer was split. 0 for NULL. */
size_t threads_split_runs(Threads *pool);

#endif

/* threads.c: the worker pool (see threads.h).
 *
 * One run at a time: the caller takes run_lock (or, when another run holds
 * it, does all the tasks itself), publishes the job under lock with a new
 * generation number and wakes the workers. Every thread, the caller too,
 * then claims task numbers from one atomic counter until none are left,
 * so a slow or descheduled thread (the machine is shared) holds up only
 * the task it is on. The last worker to finish signals `done`; the caller
 * returns only after every worker has left the job, so the next run may
 * reuse the job fields. Workers sleep on a condition variable between
 * runs (no spinning: other processes share the cores). */
#include "threads.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

typedef struct Worker {
    Threads *pool;
    size_t index;
    pthread_t thread;
} Worker;

struct Threads {
    size_t n;                     /* threads in all, the caller's counted */
    Worker *workers;              /* n - 1 */
    pthread_mutex_t run_lock;     /* held by the caller of a run */
    pthread_mutex_t lock;         /* guards everything below but `next` */
    pthread_cond_t start, done;
    unsigned long generation;     /* bumped for every run */
    bool stop;
    size_t busy;                  /* workers still inside the current run */
    size_t split_runs;            /* runs handed to the workers */
    ThreadsTask fn;
    void *ctx;
    size_t tasks;
    atomic_size_t next;           /* the next task number to claim */
};

size_t threads_online(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (size_t)n;
}

/* Claims and runs tasks until none are left. */
static void threads_drain(Threads *pool, ThreadsTask fn, void *ctx, size_t tasks, size_t worker)
{
    for (;;) {
        size_t task = atomic_fetch_add_explicit(&pool->next, 1, memory_order_relaxed);
        if (task >= tasks)
            return;
        fn(ctx, task, worker);
    }
}

static void *threads_worker(void *arg)
{
    Worker *w = arg;
    Threads *pool = w->pool;
    unsigned long seen = 0;
    pthread_mutex_lock(&pool->lock);
    for (;;) {
        while (!pool->stop && pool->generation == seen)
            pthread_cond_wait(&pool->start, &pool->lock);
        if (pool->stop)
            break;
        seen = pool->generation;
        ThreadsTask fn = pool->fn;
        void *ctx = pool->ctx;
        size_t tasks = pool->tasks;
        pthread_mutex_unlock(&pool->lock);
        threads_drain(pool, fn, ctx, tasks, w->index);
        pthread_mutex_lock(&pool->lock);
        if (--pool->busy == 0)
            pthread_cond_signal(&pool->done);
    }
    pthread_mutex_unlock(&pool->lock);
    return NULL;
}

Status threads_create(size_t n, Threads **out, Error *err)
{
    Threads *pool = calloc(1, sizeof *pool);
    size_t started = 0;
    *out = NULL;
    if (n == 0)
        n = threads_online();
    if (n > THREADS_MAX)
        n = THREADS_MAX;
    if (!pool)
        return error_set(err, CS_ERR_NOMEM, "cannot allocate a pool of %zu threads", n);
    pool->n = n;
    pool->workers = calloc(n, sizeof *pool->workers);
    if (!pool->workers) {
        free(pool);
        return error_set(err, CS_ERR_NOMEM, "cannot allocate a pool of %zu threads", n);
    }
    pthread_mutex_init(&pool->run_lock, NULL);
    pthread_mutex_init(&pool->lock, NULL);
    pthread_cond_init(&pool->start, NULL);
    pthread_cond_init(&pool->done, NULL);
    atomic_init(&pool->next, 0);
    for (; started + 1 < n; started++) {
        Worker *w = &pool->workers[started];
        w->pool = pool;
        w->index = started + 1;
        if (pthread_create(&w->thread, NULL, threads_worker, w) != 0)
            break;
    }
    if (started + 1 < n) {
        pool->n = started + 1; /* join the ones that started */
        threads_free(pool);
        return error_set(err, CS_ERR_NOMEM, "cannot start thread %zu of %zu", started + 2, n);
    }
    *out = pool;
    return CS_OK;
}

void threads_free(Threads *pool)
{
    if (!pool)
        return;
    pthread_mutex_lock(&pool->lock);
    pool->stop = true;
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->lock);
    for (size_t i = 0; i + 1 < pool->n; i++)
        pthread_join(pool->workers[i].thread, NULL);
    pthread_cond_destroy(&pool->start);
    pthread_cond_destroy(&pool->done);
    pthread_mutex_destroy(&pool->lock);
    pthread_mutex_destroy(&pool->run_lock);
    free(pool->workers);
    free(pool);
}

size_t threads_count(const Threads *pool)
{
    return pool ? pool->n : 1;
}

void threads_run(Threads *pool, size_t tasks, ThreadsTask fn, void *ctx)
{
    if (!pool || pool->n < 2 || tasks < 2 || pthread_mutex_trylock(&pool->run_lock) != 0) {
        for (size_t t = 0; t < tasks; t++)
            fn(ctx, t, 0);
        return;
    }
    pthread_mutex_lock(&pool->lock);
    pool->fn = fn;
    pool->ctx = ctx;
    pool->tasks = tasks;
    atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
    pool->busy = pool->n - 1;
    pool->generation++;
    pool->split_runs++;
    pthread_cond_broadcast(&pool->start);
    pthread_mutex_unlock(&pool->lock);
    threads_drain(pool, fn, ctx, tasks, 0);
    pthread_mutex_lock(&pool->lock);
    while (pool->busy > 0)
        pthread_cond_wait(&pool->done, &pool->lock);
    pthread_mutex_unlock(&pool->lock);
    pthread_mutex_unlock(&pool->run_lock);
}

size_t threads_split_runs(Threads *pool)
{
    size_t n;
    if (!pool)
        return 0;
    pthread_mutex_lock(&pool->lock);
    n = pool->split_runs;
    pthread_mutex_unlock(&pool->lock);
    return n;
}

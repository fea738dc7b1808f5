/*
 * thread_pool.h — the thread pool of the built-in threaded strategies
 * (threads, gil): private to plugins/strategies/, not part of the SDK.
 * thread_pool.c (with pool.c and stack_arena.c) is compiled into each plugin
 * that uses it.
 *
 * thread_pool_run() starts job->n_workers POSIX threads, each worker w for
 * its whole life:
 *
 *     bind(w) -> work(self)        (worker_begin, the tasks, worker_end)
 *
 * and joins them.  Threads get small stacks from one mapping with a guard
 * page under each (stack_arena.h) and start working as soon as they exist:
 * there is no start barrier, so start-up cost is part of the measurement.
 *
 * Failures: a worker whose worker_begin fails runs no tasks and the others
 * take its share.  If a thread cannot be started (pthread_create's EAGAIN,
 * or no room left for a guard page: both are system limits), the pool goes
 * on with the threads it has; only when none started does the run fail,
 * with CONLAB_E_SYS.  Per-worker failures are summed up in one log line per
 * kind after the join, not one line per thread.
 */
#ifndef CONLAB_STRATEGIES_THREAD_POOL_H
#define CONLAB_STRATEGIES_THREAD_POOL_H

#include <conlab/conlab_plugin.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

/* What the host parses a thread-pool strategy's parameters into. */
struct thread_pool_config {
    int64_t workers;
    int64_t stack_kib;
};

/* Those parameters, for the strategy's parameter table (before its
 * CONLAB_PARAM_END); `workers_help` says what its workers are. */
#define THREAD_POOL_PARAMS(workers_help)                                      \
    {                                                                         \
        .name = "workers",                                                    \
        .type = CONLAB_PARAM_INT,                                             \
        .def = "4",                                                           \
        .min = 1,                                                             \
        .max = 100000,                                                        \
        .help = (workers_help),                                               \
        .offset = offsetof(struct thread_pool_config, workers),               \
    },                                                                        \
    {                                                                         \
        .name = "stack_kib",                                                  \
        .type = CONLAB_PARAM_INT,                                             \
        .def = "256",                                                         \
        .min = 16,                                                            \
        .max = 1048576,                                                       \
        .help = "stack size of each worker thread, in KiB",                   \
        .offset = offsetof(struct thread_pool_config, stack_kib),             \
    }

/* One worker thread.  The thread writes its statuses, the pool reads them
 * after pthread_join (which orders the two), so no lock is needed. */
struct pool_thread {
    const struct conlab_job *job;
    void *arg;        /* thread_pool_run's `arg`, the same for every thread */
    unsigned id;      /* the worker id */
    pthread_t thread;
    int bind_status;  /* what job->bind returned */
    int begin_status; /* what work() returned: worker_begin's status */
};

/* A worker's life after bind, on its own thread: worker_begin, the tasks
 * while claim() gives any, worker_end (not after a failed begin).  Returns
 * worker_begin's status. */
typedef int (*pool_work_fn)(struct pool_thread *self);

/* The strategy's workers() hook (config: a struct thread_pool_config):
 * exactly `workers`, however few tasks, so that placement stays the same
 * from cell to cell.  Returns CONLAB_OK, or CONLAB_E_INVAL. */
int thread_pool_workers(const void *config, uint64_t n_tasks,
                        unsigned *n_workers);

/* Run `work` on job->n_workers threads with cfg->stack_kib KiB stacks, join
 * them and log what failed; `plugin` (a static string) names the caller in
 * log lines and `arg` is handed to every thread.  Returns CONLAB_OK when at
 * least one thread ran, else a negative status, logged.  Everything it
 * allocates is freed, except when a join fails (a bug): then the stacks may
 * still be in use and are left mapped. */
int thread_pool_run(const struct conlab_job *job, const char *plugin,
                    const struct thread_pool_config *cfg, pool_work_fn work,
                    void *arg);

#endif

/*
 * threads — a pool of N POSIX threads pulling tasks from one shared queue.
 *
 * The model: the classic thread pool.  run() starts `workers` threads and
 * each thread is one worker for its whole life:
 *
 *     bind(w) -> worker_begin(w, NULL) -> while ((i = claim()) >= 0)
 *                                             run_task(w, i)
 *             -> worker_end(w)
 *
 * The shared queue is the host's claim() counter, so the load balances by
 * itself: a thread that finishes early takes the next index.  Waits go to the
 * host's blocking waiter (NULL), so N threads overlap up to N waits, and
 * CPU-bound tasks run in parallel on as many cores as there are.
 *
 * Start-up cost is part of the measurement (1,000 workers that each sleep
 * 100 ms should take little more than 100 ms), so threads get small stacks
 * (`stack_kib`, 256 KiB by default) and start working as soon as they exist:
 * there is no start barrier.  The pool keeps exactly `workers` threads even
 * when there are fewer tasks, so placement stays the same from cell to cell;
 * a thread with nothing to claim just ends.
 *
 * Failures: a worker whose worker_begin fails runs no tasks and the others
 * take its share.  If a thread cannot be started (pthread_create's EAGAIN,
 * or no room left for a guard page: both are system limits), the pool goes
 * on with the threads it has; only when none started does run() fail, with
 * CONLAB_E_SYS.  Per-worker failures are summed up in one log line after the
 * join, not one line per thread.
 */
#include <conlab/conlab_plugin.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PLUGIN_NAME "threads"

#define LOG(job, level, ...) (job)->host->log((level), PLUGIN_NAME, __VA_ARGS__)

/* thread stacks: one mapping, a guard page under each (shared by threads and gil) */
#include "../common/stack_arena.h"

/* What the host parses a spec's parameters into (see threads_params). */
struct threads_config {
    int64_t workers;
    int64_t stack_kib;
};

/* One slot per worker.  The worker writes its statuses, run() reads them
 * after pthread_join (which orders the two), so no lock is needed. */
struct worker {
    const struct conlab_job *job;
    pthread_t thread;
    unsigned id;
    int bind_status;
    int begin_status;
};

/* ------------------------------------------------------------------------ */
/* A worker thread                                                           */
/* ------------------------------------------------------------------------ */

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    const struct conlab_job *job = me->job;
    int64_t i;

    me->bind_status = job->bind(job, me->id);
    me->begin_status = job->worker_begin(job, me->id, NULL);
    if (me->begin_status != CONLAB_OK)
        return NULL; /* no tasks, and no worker_end after a failed begin */

    /* A failed task is recorded by the host; a strategy just goes on. */
    while ((i = job->claim(job)) >= 0)
        (void)job->run_task(job, me->id, (uint64_t)i);

    job->worker_end(job, me->id);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The pool                                                                  */
/* ------------------------------------------------------------------------ */

/* Returns 0 or a pthread error number. */
static int start_worker(const struct stacks *s, struct worker *wk)
{
    pthread_attr_t attr;
    int err = pthread_attr_init(&attr);

    if (err != 0)
        return err;
    err = stacks_set(s, wk->id, &attr);
    if (err == 0)
        err = pthread_create(&wk->thread, &attr, worker_main, wk);
    pthread_attr_destroy(&attr);
    return err;
}

/* Start workers 0, 1, ... in order; stop at the first failure (a resource
 * limit: the next ones would fail too).  Returns how many threads run. */
static unsigned start_workers(const struct conlab_job *job, struct stacks *s,
                              struct worker *workers, unsigned n)
{
    unsigned w;

    for (w = 0; w < s->n; w++) {
        int err;

        workers[w] = (struct worker){ .job = job, .id = w };
        err = start_worker(s, &workers[w]);
        if (err == EINVAL && w == 0 && s->base != NULL) {
            LOG(job, CONLAB_LOG_INFO,
                "static TLS does not fit in a %zu KiB preallocated stack; "
                "letting glibc allocate the stacks",
                s->size / 1024);
            stacks_unmap(job, s);
            s->n = n;
            err = start_worker(s, &workers[w]);
        }
        if (err != 0) {
            LOG(job, CONLAB_LOG_WARN, "starting worker thread %u of %u: %s",
                w, n, strerror(err));
            break;
        }
    }
    return w;
}

/* Returns how many joins failed: their stacks may still be in use. */
static unsigned join_workers(const struct conlab_job *job,
                             struct worker *workers, unsigned n)
{
    unsigned failed = 0;

    for (unsigned w = 0; w < n; w++) {
        int err = pthread_join(workers[w].thread, NULL);

        if (err != 0) { /* only a bug can get here (EDEADLK, ESRCH) */
            LOG(job, CONLAB_LOG_ERROR, "pthread_join of worker %u: %s", w,
                strerror(err));
            failed++;
        }
    }
    return failed;
}

/* One line per kind of failure, naming the first worker that had it. */
static void report_failures(const struct conlab_job *job,
                            const struct worker *workers, unsigned n)
{
    unsigned n_unbound = 0, n_unbegun = 0;
    const struct worker *first_unbound = NULL, *first_unbegun = NULL;

    for (unsigned w = 0; w < n; w++) {
        if (workers[w].bind_status != CONLAB_OK && n_unbound++ == 0)
            first_unbound = &workers[w];
        if (workers[w].begin_status != CONLAB_OK && n_unbegun++ == 0)
            first_unbegun = &workers[w];
    }
    if (first_unbound != NULL)
        LOG(job, CONLAB_LOG_WARN,
            "%u of %u workers ran unpinned: bind failed "
            "(first: worker %u, %s)",
            n_unbound, n, first_unbound->id,
            conlab_strerror(first_unbound->bind_status));
    if (first_unbegun != NULL)
        LOG(job, CONLAB_LOG_ERROR,
            "%u of %u workers ran no task: worker_begin failed "
            "(first: worker %u, %s)",
            n_unbegun, n, first_unbegun->id,
            conlab_strerror(first_unbegun->begin_status));
}

/* ------------------------------------------------------------------------ */
/* Strategy hooks                                                            */
/* ------------------------------------------------------------------------ */

static int threads_workers(const void *config, uint64_t n_tasks,
                           unsigned *n_workers)
{
    const struct threads_config *cfg = config;

    (void)n_tasks; /* exactly `workers`, however few tasks: see the top */
    if (cfg->workers < 1 || cfg->workers > UINT_MAX)
        return CONLAB_E_INVAL;
    *n_workers = (unsigned)cfg->workers;
    return CONLAB_OK;
}

static int threads_run(const struct conlab_job *job, const void *config)
{
    const struct threads_config *cfg = config;
    const unsigned n = job->n_workers;
    struct worker *workers;
    struct stacks stacks;
    unsigned started;
    int rc;

    if (n == 0) {
        LOG(job, CONLAB_LOG_ERROR, "a job with no workers");
        return CONLAB_E_INVAL;
    }
    workers = calloc(n, sizeof *workers);
    if (workers == NULL) {
        LOG(job, CONLAB_LOG_ERROR, "no memory for %u worker slots", n);
        return CONLAB_E_NOMEM;
    }
    rc = stacks_map(job, n, cfg->stack_kib, &stacks);
    if (rc != CONLAB_OK) {
        free(workers);
        return rc;
    }

    started = start_workers(job, &stacks, workers, n);
    if (join_workers(job, workers, started) == 0) {
        /* Else leak it all: a thread may still use it. */
        stacks_unmap(job, &stacks);
        report_failures(job, workers, started);
        free(workers);
    }

    if (started == 0) {
        LOG(job, CONLAB_LOG_ERROR, "could not start any worker thread");
        return CONLAB_E_SYS;
    }
    if (started < n)
        LOG(job, CONLAB_LOG_WARN, "ran with %u of %u worker threads",
            started, n);
    return CONLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptor                                                                */
/* ------------------------------------------------------------------------ */

static const struct conlab_param threads_params[] = {
    {
        .name = "workers",
        .type = CONLAB_PARAM_INT,
        .def = "4",
        .min = 1,
        .max = 100000,
        .help = "number of worker threads (kept even when tasks are fewer)",
        .offset = offsetof(struct threads_config, workers),
    },
    {
        .name = "stack_kib",
        .type = CONLAB_PARAM_INT,
        .def = "256",
        .min = 16,
        .max = 1048576,
        .help = "stack size of each worker thread, in KiB",
        .offset = offsetof(struct threads_config, stack_kib),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops threads_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = threads_workers,
    .run = threads_run,
};

static const struct conlab_plugin threads_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "a pool of N pthreads pulling tasks from a shared queue",
    .version = "1.0.0",
    .params = threads_params,
    .config_size = sizeof(struct threads_config),
    .strategy = &threads_ops,
};

CONLAB_PLUGIN_DEFINE(threads_plugin)

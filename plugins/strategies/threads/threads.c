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
 * take its share; a thread that cannot be started cuts the pool short.  The
 * pool itself (start, stacks, join, failure report) is
 * ../common/thread_pool.h, shared with `gil`.
 */
#define CONLAB_PLUGIN_NAME "threads" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

#include <stdint.h>

#include "../common/thread_pool.h"

/* One worker's life on its pool thread (see the top). */
static int threads_work(struct pool_thread *self)
{
    const struct conlab_job *job = self->job;
    int64_t i;
    int rc = job->worker_begin(job, self->id, NULL);

    if (rc != CONLAB_OK)
        return rc; /* no tasks, and no worker_end after a failed begin */

    /* A failed task is recorded by the host; a strategy just goes on. */
    while ((i = job->claim(job)) >= 0)
        (void)job->run_task(job, self->id, (uint64_t)i);

    job->worker_end(job, self->id);
    return CONLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Strategy hooks and descriptor                                             */
/* ------------------------------------------------------------------------ */

static int threads_run(const struct conlab_job *job, const void *config)
{
    return thread_pool_run(job, CONLAB_PLUGIN_NAME, config, threads_work, NULL);
}

static const struct conlab_param threads_params[] = {
    THREAD_POOL_PARAMS("number of worker threads (kept even when tasks are "
                       "fewer)"),
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops threads_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = thread_pool_workers,
    .run = threads_run,
};

static const struct conlab_plugin threads_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "a pool of N pthreads pulling tasks from a shared queue",
    .version = "1.0.0",
    .params = threads_params,
    .config_size = sizeof(struct thread_pool_config),
    .strategy = &threads_ops,
};

CONLAB_PLUGIN_DEFINE(threads_plugin)

/*
 * sequential — the baseline: one worker runs every task, in index order, on
 * the calling thread.
 *
 * The model: no concurrency at all.  run() is worker 0 for its whole life:
 *
 *     bind(0) -> worker_begin(0, NULL) -> run_task(0), run_task(1), ...,
 *     run_task(n-1) -> worker_end(0)
 *
 * It hands out indices itself rather than calling claim(): "sequential"
 * promises index order, which a shared queue would not spell out.  Waits go
 * to the host's blocking waiter (NULL), so a task that sleeps 10 ms costs
 * 10 ms of wall time.  Every other strategy's speedup is measured against
 * this one.
 *
 * It has no parameters, and workers() is always 1.
 */
#define CONLAB_PLUGIN_NAME "sequential" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

static int sequential_workers(const void *config, uint64_t n_tasks,
                              unsigned *n_workers)
{
    (void)config;
    (void)n_tasks;
    *n_workers = 1;
    return CONLAB_OK;
}

static int sequential_run(const struct conlab_job *job, const void *config)
{
    const unsigned w = 0;
    int rc;

    (void)config;
    rc = job->bind(job, w);
    if (rc != CONLAB_OK)
        CONLAB_LOG(job->host, CONLAB_LOG_WARN,
                   "worker %u: bind failed (%s); running unpinned", w,
                   conlab_strerror(rc));

    rc = job->worker_begin(job, w, NULL);
    if (rc != CONLAB_OK) {
        /* The workload's error: no task can run, which the host's
         * exactly-once check reports.  The strategy itself did not fail. */
        CONLAB_LOG(job->host, CONLAB_LOG_ERROR,
                   "worker %u: worker_begin failed (%s); no task ran", w,
                   conlab_strerror(rc));
        return CONLAB_OK;
    }

    /* A failed task is recorded by the host; a strategy just goes on. */
    for (uint64_t i = 0; i < job->n_tasks; i++)
        (void)job->run_task(job, w, i);

    job->worker_end(job, w);
    return CONLAB_OK;
}

static const struct conlab_strategy_ops sequential_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = sequential_workers,
    .run = sequential_run,
};

static const struct conlab_plugin sequential_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "one worker runs every task in index order (the baseline)",
    .version = "1.0.0",
    .strategy = &sequential_ops,
};

CONLAB_PLUGIN_DEFINE(sequential_plugin)

/* counting.c — a correct one-worker strategy that publishes counters (ABI
 * 1.1: ops.counters, job->count), for the tests of the counter.<name>
 * columns and of the phases:
 *   (default)   counts tasks_run (one per task) and batches (1)
 *   SLOW_START  also waits 40 ms in run() before its first task, so the
 *               start-up phase is most of its wall time */
#include <conlab/conlab_plugin.h>

#include <time.h>

static int workers(const void *c, uint64_t n, unsigned *w)
{
    (void)c;
    (void)n;
    *w = 1;
    return CONLAB_OK;
}

static int run(const struct conlab_job *job, const void *c)
{
    (void)c;
#ifdef SLOW_START
    struct timespec ts = {0, 40 * 1000 * 1000};
    while (nanosleep(&ts, &ts) != 0)
        ;
#endif
    if (job->worker_begin(job, 0, NULL) != CONLAB_OK)
        return CONLAB_OK;
    uint64_t ran = 0;
    for (uint64_t i = 0; i < job->n_tasks; i++, ran++)
        job->run_task(job, 0, i);
    job->worker_end(job, 0);
    job->count(job, 0, ran); /* a tally per worker, added once */
    job->count(job, 1, 1);
    return CONLAB_OK;
}

static const char *const counters[] = {"tasks_run", "batches", NULL};

static const struct conlab_strategy_ops ops = {
    .struct_size = sizeof(struct conlab_strategy_ops),
    .workers = workers,
    .run = run,
    .counters = counters,
};

static const struct conlab_plugin desc = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "one worker that counts what it ran (counter tests)",
    .strategy = &ops,
};

CONLAB_PLUGIN_DEFINE(desc)

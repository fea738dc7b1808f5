/* bad_strategy.c — strategies that misbehave at run time, one per build
 * flavour, to prove the host's check names each failure:
 *   LOSES     never runs the last task               -> wrong (missing)
 *   TWICE     runs task 0 twice                      -> wrong (duplicated)
 *   NO_FINI   never calls worker_end                 -> wrong (worker_end)
 *   SEGV      dies of SIGSEGV in the middle          -> crashed (SIGSEGV)
 *   HANG      never returns                          -> timeout
 *   BADINDEX  runs index n_tasks                     -> wrong (out of range)
 *   FAILS     run() returns an error                 -> error
 * and, correct, with the strategy counters of ABI 1.1 (ops.counters,
 * job->count) for the counter.<name> columns and the phases:
 *   COUNTS      counts tasks_run (one per task) and batches (1)
 *   SLOW_START  COUNTS, and waits 40 ms in run() before its first task,
 *               so the start-up phase is most of its wall time */
#include <conlab/conlab_plugin.h>

#include <signal.h>
#include <time.h>
#include <unistd.h>

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
    uint64_t n = job->n_tasks;
#ifdef LOSES
    if (n)
        n--;
#endif
    for (uint64_t i = 0; i < n; i++) {
#ifdef SEGV
        if (i == n / 2)
            raise(SIGSEGV);
#endif
        job->run_task(job, 0, i);
    }
#ifdef TWICE
    job->run_task(job, 0, 0);
#endif
#ifdef BADINDEX
    job->run_task(job, 0, job->n_tasks);
#endif
#ifdef HANG
    for (;;)
        pause();
#endif
#ifndef NO_FINI
    job->worker_end(job, 0);
#endif
#if defined(COUNTS) || defined(SLOW_START)
    job->count(job, 0, n); /* a tally per worker, added once */
    job->count(job, 1, 1);
#endif
#ifdef FAILS
    return CONLAB_E_SYS;
#else
    return CONLAB_OK;
#endif
}

#if defined(COUNTS) || defined(SLOW_START)
static const char *const counter_names[] = {"tasks_run", "batches", NULL};
#else
#define counter_names NULL
#endif

static const struct conlab_strategy_ops ops = {
    .struct_size = sizeof(struct conlab_strategy_ops),
    .workers = workers,
    .run = run,
    .counters = counter_names,
};

static const struct conlab_plugin desc = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "a deliberately misbehaving strategy for tests",
    .strategy = &ops,
};

CONLAB_PLUGIN_DEFINE(desc)

/*
 * coroutines — one OS thread runs `concurrency` cooperative tasks
 * (coroutines) on epoll, each one a worker.
 *
 * Every coroutine is worker w: it calls worker_begin with its own waiter,
 * claims and runs tasks, and calls worker_end.  Its waiter parks the
 * coroutine instead of blocking the thread:
 *   - a sleep pushes a timer on a binary min-heap and parks;
 *   - an fd wait arms the fds in the epoll set (and a timer when there is a
 *     timeout) and parks until one is ready or the timer fires;
 *   - timeout 0 never parks: a sleep of 0 is a yield; an fd check is one
 *     poll(2) that yields once when nothing is ready, so that a workload
 *     polling in a loop still lets every other coroutine (and the I/O
 *     check) run instead of starving them.
 * A workload that blocks the thread itself blocks the whole scheduler: that
 * is the lesson of such a workload, not a bug.
 *
 * The scheduler loops in rounds: run every coroutine that was ready when the
 * round began (FIFO), start up to SPAWN_BATCH not-yet-started coroutines,
 * then ask epoll for ready fds (without waiting when anything is runnable,
 * else until the nearest timer, which a timerfd keeps without epoll's timer
 * slack) and wake the owners of ready fds and expired timers.
 *
 * Stacks: slots of [guard page | stack | struct coro] carved from mmap'd
 * chunks, handed from a finished coroutine to the next to start
 * (stack_pool.c).  epoll registrations are cached per fd number across waits
 * (fds.c).  sched.h lists the files and what each one does.
 */
#include <conlab/conlab_plugin.h>

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "sched.h"

/* What the host parses a spec's parameters into (see coroutines_params). */
struct coroutines_config {
    struct co_config co;
};

/* ------------------------------------------------------------------------ */
/* Strategy hooks                                                            */
/* ------------------------------------------------------------------------ */

static int coroutines_run(const struct conlab_job *job, const void *config)
{
    const struct coroutines_config *cfg = config;
    struct sched *s;
    bool shared = false;
    int rc = co_run_begin(job, PLUGIN_NAME, &cfg->co);

    if (rc == CONLAB_OK)
        rc = co_stacks_shared(job, PLUGIN_NAME, &cfg->co, &shared);
    if (rc != CONLAB_OK)
        return rc;
    s = malloc(sizeof *s);
    if (s == NULL) {
        LOG(job, CONLAB_LOG_ERROR, "no memory for the scheduler");
        return CONLAB_E_NOMEM;
    }
    rc = sched_init(s, job, cfg->co.stack_kib, shared);
    if (rc == CONLAB_OK) {
        LOG(job, CONLAB_LOG_DEBUG,
            "%u coroutines, %" PRId64 " KiB stacks (%s), %s context switch",
            s->co.n_workers, cfg->co.stack_kib, shared ? "one shared" : "separate",
            coctx_flavour());
        rc = sched_loop(s);
        if (shared)
            LOG(job, CONLAB_LOG_DEBUG, "parked frames copied: up to %zu bytes",
                s->co.pool.saved_max);
    }
    sched_fini(s);
    free(s);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Descriptor                                                                */
/* ------------------------------------------------------------------------ */

static const struct conlab_param coroutines_params[] = {
    CO_PARAMS(struct coroutines_config, co),
    CO_PARAM_STACKS(struct coroutines_config, co),
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops coroutines_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = co_workers,
    .run = coroutines_run,
};

static const struct conlab_plugin coroutines_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "cooperative coroutines on one thread, epoll and a timer heap",
    .version = "1.0.0",
    .params = coroutines_params,
    .config_size = sizeof(struct coroutines_config),
    .strategy = &coroutines_ops,
};

CONLAB_PLUGIN_DEFINE(coroutines_plugin)

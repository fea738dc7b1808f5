/*
 * uring — the coroutines model on an io_uring event loop: one OS thread runs
 * `concurrency` cooperative tasks (coroutines), each one a worker, and every
 * wait is submitted to the kernel as io_uring operations: a poll per fd
 * (IORING_OP_POLL_ADD), and for deadlines one absolute IORING_OP_TIMEOUT
 * for the nearest deadline of the timer heap shared with `coroutines`.
 * No epoll, no timerfd.
 *
 * The scheduler loops in rounds: run every coroutine that was ready when
 * the round began (FIFO), start up to CO_SPAWN_BATCH not-yet-started ones,
 * then one io_uring_enter that submits what the round queued and — when
 * nothing can run — waits for a completion; every CQE is reaped and the
 * coroutine whose wait it ends is woken.  With `sqpoll` a kernel thread
 * polls the submission queue (no io_uring_enter per round while it is
 * awake); a kernel or a user that refuses it gets a warning, the
 * `sqpoll_fallbacks` counter, and the ring without it.
 *
 * Coroutines, stacks and the context switch are shared with `coroutines`
 * (../common/coro.h); ring.h lists this plugin's files.  When io_uring
 * cannot be set up at all (an old kernel, kernel.io_uring_disabled, a
 * seccomp filter), run() fails with CONLAB_E_NOTSUP and says why.
 *
 * Counters (results.csv `counter.<name>`): submissions (SQEs the kernel
 * took), completions (CQEs reaped), loop_iterations, sqpoll_fallbacks.
 */
#include "ring.h"

#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* What the host parses a spec's parameters into (see uring_params). */
struct uring_config {
    struct co_config co;
    int sqpoll;
};

static const char *const uring_counters[] = {
    [UC_SUBMISSIONS] = "submissions",
    [UC_COMPLETIONS] = "completions",
    [UC_LOOP_ITERATIONS] = "loop_iterations",
    [UC_SQPOLL_FALLBACKS] = "sqpoll_fallbacks",
    [UC_N] = NULL,
};

/* ------------------------------------------------------------------------ */
/* Strategy hooks                                                            */
/* ------------------------------------------------------------------------ */

static void publish_counts(const struct conlab_job *job,
                           const struct uring_sched *s)
{
    if (job->count == NULL)
        return;
    for (unsigned i = 0; i < UC_N; i++)
        if (s->counts[i])
            job->count(job, i, s->counts[i]);
}

static int uring_run(const struct conlab_job *job, const void *config)
{
    const struct uring_config *cfg = config;
    struct uring_sched *s;
    int rc = co_run_begin(job, PLUGIN_NAME, &cfg->co);

    if (rc != CONLAB_OK)
        return rc;
    s = malloc(sizeof *s);
    if (s == NULL) {
        CONLAB_LOG(job->host, CONLAB_LOG_ERROR, "no memory for the scheduler");
        return CONLAB_E_NOMEM;
    }
    rc = uring_init(s, job, cfg->co.stack_kib, cfg->sqpoll != 0);
    if (rc == CONLAB_OK) {
        CONLAB_LOG(job->host, CONLAB_LOG_DEBUG,
                   "%u coroutines, %" PRId64 " KiB stacks, %s context "
                   "switch, sqpoll %s", s->co.n_workers, cfg->co.stack_kib,
                   coctx_flavour(),
                   s->ring.flags & IORING_SETUP_SQPOLL ? "on" : "off");
        rc = uring_loop(s);
    }
    uring_fini(s);
    CONLAB_LOG(job->host, CONLAB_LOG_DEBUG, "%" PRIu64 " submissions, %"
               PRIu64 " completions, %" PRIu64 " loop iterations",
               s->counts[UC_SUBMISSIONS], s->counts[UC_COMPLETIONS],
               s->counts[UC_LOOP_ITERATIONS]);
    publish_counts(job, s);
    free(s);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Descriptor                                                                */
/* ------------------------------------------------------------------------ */

static const struct conlab_param uring_params[] = {
    CO_PARAMS(struct uring_config, co),
    {
        .name = "sqpoll",
        .type = CONLAB_PARAM_BOOL,
        .def = "false",
        .help = "a kernel thread polls the submission queue "
                "(IORING_SETUP_SQPOLL); refused: warned, counted, not used",
        .offset = offsetof(struct uring_config, sqpoll),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops uring_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = co_workers,
    .run = uring_run,
    .counters = uring_counters,
};

static const struct conlab_plugin uring_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "cooperative coroutines on one thread, every wait an io_uring "
               "operation",
    .version = "1.0.0",
    .params = uring_params,
    .config_size = sizeof(struct uring_config),
    .strategy = &uring_ops,
};

CONLAB_PLUGIN_DEFINE(uring_plugin)

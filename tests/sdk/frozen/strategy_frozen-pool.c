/*
 * frozen-pool — a strategy built against the FROZEN copy of the plugin
 * header (tests/sdk/frozen/conlab/conlab_plugin.h, ABI 1.0), never against
 * include/.  tests/sdk/sdk-test.sh loads it into today's conlab: as the ABI
 * grows (1.1, 1.2, ...), a plugin built for 1.0 must still load and run.
 *
 * It uses every member of the 1.0 struct conlab_job: `workers` threads,
 * each bind() -> worker_begin() with a waiter of its own (which counts its
 * waits and forwards them to job->default_waiter, as the gil strategy
 * does) -> claim()/run_task() -> worker_end(); worker_lost() is the one
 * member it has no honest use for (no process dies).  At the end it checks
 * that the tasks waited through its waiters, and fails run() if not: run
 * it only with workloads that wait.
 */
#include <conlab/conlab_plugin.h>

#if CONLAB_ABI_MAJOR != 1 || CONLAB_ABI_MINOR != 0
#error "frozen-pool must be built against the frozen ABI 1.0 header (-I tests/sdk/frozen)"
#endif

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#define PLUGIN_NAME "frozen-pool"

struct config {
    int64_t workers;
};

static const struct conlab_param params[] = {
    {"workers", CONLAB_PARAM_INT, "2", 1, 64, NULL, "worker threads",
     offsetof(struct config, workers)},
    CONLAB_PARAM_END};

struct worker {
    const struct conlab_job *job;
    pthread_t thread;
    unsigned id;
    struct conlab_waiter waiter;
    atomic_ulong *waits;
};

static int counting_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                         int64_t timeout_ns)
{
    struct worker *me = ctx;
    const struct conlab_waiter *host = me->job->default_waiter;

    atomic_fetch_add(me->waits, 1);
    return host->wait(host->ctx, fds, nfds, timeout_ns);
}

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    const struct conlab_job *job = me->job;
    int64_t i;

    (void)job->bind(job, me->id);
    me->waiter = (struct conlab_waiter){ counting_wait, me };
    if (job->worker_begin(job, me->id, &me->waiter) != CONLAB_OK)
        return NULL;
    while ((i = job->claim(job)) >= 0)
        (void)job->run_task(job, me->id, (uint64_t)i);
    job->worker_end(job, me->id);
    return NULL;
}

static int fp_workers(const void *config, uint64_t n_tasks, unsigned *n)
{
    const struct config *c = config;

    (void)n_tasks;
    *n = (unsigned)c->workers;
    return CONLAB_OK;
}

static int fp_run(const struct conlab_job *job, const void *config)
{
    const unsigned n = job->n_workers;
    struct worker *w = calloc(n, sizeof *w);
    atomic_ulong waits = 0;
    unsigned started = 0;

    (void)config;
    if (job->struct_size < offsetof(struct conlab_job, reserved) ||
        !job->default_waiter || !job->claim || !job->worker_lost) {
        free(w);
        return CONLAB_E_ABI;
    }
    if (!w)
        return CONLAB_E_NOMEM;
    for (; started < n; started++) {
        w[started] = (struct worker){ .job = job, .id = started,
                                      .waits = &waits };
        if (pthread_create(&w[started].thread, NULL, worker_main,
                           &w[started]) != 0)
            break;
    }
    for (unsigned k = 0; k < started; k++)
        pthread_join(w[k].thread, NULL);
    free(w);
    if (started == 0)
        return CONLAB_E_SYS;
    if (job->n_tasks > 0 && atomic_load(&waits) == 0) {
        job->host->log(CONLAB_LOG_ERROR, PLUGIN_NAME,
                       "no task waited through this strategy's waiters");
        return CONLAB_E_WRONG;
    }
    return CONLAB_OK;
}

static const struct conlab_strategy_ops ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = fp_workers,
    .run = fp_run,
};

static const struct conlab_plugin plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "built against the frozen ABI 1.0 header; a counting pool",
    .version = "1.0",
    .params = params,
    .config_size = sizeof(struct config),
    .strategy = &ops,
};

CONLAB_PLUGIN_DEFINE(plugin)

/* bad_strategy.c — strategies that misbehave at run time, one per build
 * flavour, to prove the host's check names each failure:
 *   LOSES     never runs the last task               -> wrong (missing)
 *   TWICE     runs task 0 twice                      -> wrong (duplicated)
 *   NO_FINI   never calls worker_end                 -> wrong (worker_end)
 *   SEGV      dies of SIGSEGV in the middle          -> crashed (SIGSEGV)
 *   HANG      never returns                          -> timeout
 *   BADINDEX  runs index n_tasks                     -> wrong (out of range)
 *   FAILS     run() returns an error                 -> error
 * and, with SPAWNER, a spawn service of its own (ABI 1.1: job->set_spawner,
 * job->run_child) for `conlab check`'s spawning check: a LIFO of pending
 * children run by sync (correct: a child syncs every group it spawns into
 * before it returns, so the synced group's children are always on top),
 * with at most one fault:
 *   DROPS_CHILD   the 3rd spawn returns CONLAB_OK, its child never runs
 *   CHILD_TWICE   the 3rd child it runs, it runs twice
 *   SYNC_HANGS    sync never returns once a child is pending
 * and, correct, with the strategy counters of ABI 1.1 (ops.counters,
 * job->count) for the counter.<name> columns and the phases:
 *   COUNTS      counts tasks_run (one per task) and batches (1)
 *   SLOW_START  COUNTS, and waits 40 ms in run() before its first task,
 *               so the start-up phase is most of its wall time */
#include <conlab/conlab_plugin.h>

#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#ifdef SPAWNER
struct pending {
    struct conlab_group *g;
    conlab_child_fn fn;
    void *arg;
};

struct lifo {
    const struct conlab_job *job;
    struct pending *v;
    size_t n, cap;
    unsigned long spawned, ran;
};

static int run_one(struct lifo *l, const struct pending *p)
{
    int rc = l->job->run_child(l->job, 0, p->fn, p->arg);
#ifdef CHILD_TWICE
    if (++l->ran == 3)
        (void)l->job->run_child(l->job, 0, p->fn, p->arg);
#endif
    if (rc != CONLAB_OK && p->g->opaque[0] == 0)
        p->g->opaque[0] = (uint64_t)(int64_t)rc;
    return rc;
}

static int lifo_spawn(void *ctx, struct conlab_group *g, conlab_child_fn fn,
                      void *arg)
{
    struct lifo *l = ctx;
    struct pending p = {g, fn, arg};
#ifdef DROPS_CHILD
    if (++l->spawned == 3)
        return CONLAB_OK;
#endif
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        struct pending *v = realloc(l->v, cap * sizeof *v);
        if (!v) { /* no room: run it inline */
            run_one(l, &p);
            return CONLAB_OK;
        }
        l->v = v;
        l->cap = cap;
    }
    l->v[l->n++] = p;
    return CONLAB_OK;
}

static int lifo_sync(void *ctx, struct conlab_group *g)
{
    struct lifo *l = ctx;
#ifdef SYNC_HANGS
    while (l->n && l->v[l->n - 1].g == g)
        pause();
#endif
    while (l->n && l->v[l->n - 1].g == g) {
        struct pending p = l->v[--l->n];
        run_one(l, &p);
    }
    int rc = (int)(int64_t)g->opaque[0];
    g->opaque[0] = 0;
    return rc;
}
#endif

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
#ifdef SPAWNER
    struct lifo l = {.job = job};
    struct conlab_spawner sp = {.struct_size = sizeof sp, .ctx = &l,
                                .spawn = lifo_spawn, .sync = lifo_sync};
    if (job->set_spawner(job, 0, &sp) != CONLAB_OK)
        return CONLAB_E_INVAL;
#endif
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
#ifdef SPAWNER
    free(l.v);
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

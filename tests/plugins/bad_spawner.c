/* bad_spawner.c — one-worker strategies that supply their own spawn service
 * (ABI 1.1: job->set_spawner, job->run_child) with one fault each, to prove
 * `conlab check` names it (its `spawning` check):
 *   DROPS_CHILD   the 3rd spawn returns CONLAB_OK but its child never runs
 *   CHILD_TWICE   the 3rd child it runs, it runs twice
 *   SYNC_HANGS    sync never returns once a child is pending
 *   (none)        correct: a LIFO of pending children, run by sync
 * Children are kept on one stack: a child syncs every group it spawns into
 * before it returns, so the children of the group being synced are always
 * on top. */
#include <conlab/conlab_plugin.h>

#include <stdlib.h>
#include <unistd.h>

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
    struct lifo l = {.job = job};
    struct conlab_spawner sp = {
        .struct_size = sizeof sp, .ctx = &l, .spawn = lifo_spawn,
        .sync = lifo_sync};
    (void)job->bind(job, 0);
    if (job->set_spawner(job, 0, &sp) != CONLAB_OK)
        return CONLAB_E_INVAL;
    if (job->worker_begin(job, 0, NULL) != CONLAB_OK)
        return CONLAB_OK;
    int64_t i;
    while ((i = job->claim(job)) >= 0)
        (void)job->run_task(job, 0, (uint64_t)i);
    job->worker_end(job, 0);
    free(l.v);
    return CONLAB_OK;
}

static const struct conlab_strategy_ops ops = {
    .struct_size = sizeof(struct conlab_strategy_ops),
    .workers = workers,
    .run = run,
};

static const struct conlab_plugin desc = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "a one-worker strategy with its own spawn service, for tests",
    .strategy = &ops,
};

CONLAB_PLUGIN_DEFINE(desc)

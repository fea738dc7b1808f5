/*
 * frozen11-steal — a strategy built against the FROZEN copy of the plugin
 * header at ABI 1.1 (tests/sdk/frozen11/conlab/conlab_plugin.h), never
 * against include/.  tests/sdk/sdk-test.sh loads it into today's conlab: as
 * the ABI grows (1.2, ...), a plugin built for 1.1 must still load and run.
 *
 * It uses what 1.1 added to a strategy:
 *   - its own spawn service per worker (job->set_spawner before
 *     worker_begin): spawn pushes the child on the worker's own list; sync
 *     runs the group's children from the top of its own list and, when that
 *     is empty while children are still pending, steals the oldest child of
 *     another worker (help-first: no worker ever blocks in sync);
 *   - every child through job->run_child, on the worker that runs it;
 *   - counters ("spawns", "steals", "syncs"): per-worker tallies added with
 *     job->count at the end; sdk-test.sh checks `spawns` in results.csv
 *     against the count the workload's trees imply;
 *   - a waiter with struct_size, forwarding to job->default_waiter.
 * Lists are mutex-protected: the point is the ABI, not speed.
 */
#define CONLAB_PLUGIN_NAME "frozen11-steal"
#include <conlab/conlab_plugin.h>

#if CONLAB_ABI_MAJOR != 1 || CONLAB_ABI_MINOR != 1
#error "frozen11-steal must be built against the frozen ABI 1.1 header (-I tests/sdk/frozen11)"
#endif

#include <pthread.h>
#include <sched.h>
#include <stdlib.h>

struct config {
    int64_t workers;
};

static const struct conlab_param params[] = {
    {"workers", CONLAB_PARAM_INT, "2", 1, 64, NULL, "worker threads",
     offsetof(struct config, workers)},
    CONLAB_PARAM_END};

enum { C_SPAWNS, C_STEALS, C_SYNCS, N_COUNTERS };
static const char *const counter_names[] = {"spawns", "steals", "syncs", NULL};

/* A group's words: [0] the first child error, [1] children pending. */
#define G_ERR 0
#define G_PENDING 1

struct child {
    conlab_child_fn fn;
    void *arg;
    struct conlab_group *g;
};

struct pool;

struct worker {
    struct pool *pool;
    unsigned id;
    pthread_t thread;
    pthread_mutex_t lock; /* guards v, n, cap */
    struct child *v;
    size_t n, cap;
    struct conlab_spawner spawner;
    struct conlab_waiter waiter;
    uint64_t tally[N_COUNTERS]; /* this worker's, added at the end */
};

struct pool {
    const struct conlab_job *job;
    struct worker *w;
    unsigned n;
};

static void finish(struct worker *me, const struct child *c)
{
    int rc = me->pool->job->run_child(me->pool->job, me->id, c->fn, c->arg);
    if (rc != CONLAB_OK) {
        uint64_t none = 0;
        __atomic_compare_exchange_n(&c->g->opaque[G_ERR], &none,
                                    (uint64_t)(int64_t)rc, 0, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED);
    }
    __atomic_fetch_sub(&c->g->opaque[G_PENDING], 1, __ATOMIC_RELEASE);
}

static int fs_spawn(void *ctx, struct conlab_group *g, conlab_child_fn fn,
                    void *arg)
{
    struct worker *me = ctx;
    struct child c = {fn, arg, g};
    __atomic_fetch_add(&g->opaque[G_PENDING], 1, __ATOMIC_RELAXED);
    me->tally[C_SPAWNS]++;
    pthread_mutex_lock(&me->lock);
    if (me->n == me->cap) {
        size_t cap = me->cap ? 2 * me->cap : 256;
        struct child *v = realloc(me->v, cap * sizeof *v);
        if (!v) { /* no room: run it now, as the contract allows */
            pthread_mutex_unlock(&me->lock);
            finish(me, &c);
            return CONLAB_OK;
        }
        me->v = v;
        me->cap = cap;
    }
    me->v[me->n++] = c;
    pthread_mutex_unlock(&me->lock);
    return CONLAB_OK;
}

/* The newest child of my own list, or the oldest of another's. */
static int take(struct worker *me, struct child *out)
{
    int got = 0;
    pthread_mutex_lock(&me->lock);
    if (me->n) {
        *out = me->v[--me->n];
        got = 1;
    }
    pthread_mutex_unlock(&me->lock);
    for (unsigned k = 1; !got && k < me->pool->n; k++) {
        struct worker *victim = &me->pool->w[(me->id + k) % me->pool->n];
        pthread_mutex_lock(&victim->lock);
        if (victim->n) {
            *out = victim->v[0];
            for (size_t i = 1; i < victim->n; i++)
                victim->v[i - 1] = victim->v[i];
            victim->n--;
            got = 1;
            me->tally[C_STEALS]++;
        }
        pthread_mutex_unlock(&victim->lock);
    }
    return got;
}

static int fs_sync(void *ctx, struct conlab_group *g)
{
    struct worker *me = ctx;
    me->tally[C_SYNCS]++;
    while (__atomic_load_n(&g->opaque[G_PENDING], __ATOMIC_ACQUIRE) > 0) {
        struct child c;
        if (take(me, &c))
            finish(me, &c);
        else
            sched_yield(); /* a thief is running our last child */
    }
    int rc = (int)(int64_t)g->opaque[G_ERR];
    g->opaque[G_ERR] = 0;
    return rc;
}

static int fs_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                   int64_t timeout_ns)
{
    const struct worker *me = ctx;
    const struct conlab_waiter *host = me->pool->job->default_waiter;
    return host->wait(host->ctx, fds, nfds, timeout_ns);
}

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    const struct conlab_job *job = me->pool->job;
    int64_t i;

    (void)job->bind(job, me->id);
    if (job->set_spawner(job, me->id, &me->spawner) != CONLAB_OK) {
        CONLAB_LOG(job->host, CONLAB_LOG_ERROR, "worker %u: set_spawner "
                   "refused", me->id);
        return NULL;
    }
    if (job->worker_begin(job, me->id, &me->waiter) != CONLAB_OK)
        return NULL;
    while ((i = job->claim(job)) >= 0)
        (void)job->run_task(job, me->id, (uint64_t)i);
    job->worker_end(job, me->id);
    return NULL;
}

static int fs_workers(const void *config, uint64_t n_tasks, unsigned *n)
{
    const struct config *c = config;

    (void)n_tasks;
    *n = (unsigned)c->workers;
    return CONLAB_OK;
}

static int fs_run(const struct conlab_job *job, const void *config)
{
    struct pool pool = {job, calloc(job->n_workers, sizeof *pool.w),
                        job->n_workers};
    unsigned started = 0;

    (void)config;
    if (job->struct_size < offsetof(struct conlab_job, count) +
                               sizeof job->count) {
        free(pool.w);
        return CONLAB_E_ABI;
    }
    if (!pool.w)
        return CONLAB_E_NOMEM;
    for (unsigned k = 0; k < pool.n; k++) {
        struct worker *w = &pool.w[k];
        w->pool = &pool;
        w->id = k;
        pthread_mutex_init(&w->lock, NULL);
        w->spawner = (struct conlab_spawner){
            .struct_size = sizeof w->spawner, .ctx = w, .spawn = fs_spawn,
            .sync = fs_sync};
        w->waiter = (struct conlab_waiter){
            .wait = fs_wait, .ctx = w, .struct_size = sizeof w->waiter};
    }
    /* Every list exists before any thread may steal from it. */
    for (; started < pool.n; started++)
        if (pthread_create(&pool.w[started].thread, NULL, worker_main,
                           &pool.w[started]) != 0)
            break;
    for (unsigned k = 0; k < started; k++)
        pthread_join(pool.w[k].thread, NULL);
    for (unsigned k = 0; k < pool.n; k++) {
        for (unsigned c = 0; c < N_COUNTERS; c++)
            job->count(job, c, pool.w[k].tally[c]);
        pthread_mutex_destroy(&pool.w[k].lock);
        free(pool.w[k].v);
    }
    free(pool.w);
    return started ? CONLAB_OK : CONLAB_E_SYS;
}

static const struct conlab_strategy_ops ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = fs_workers,
    .run = fs_run,
    .counters = counter_names,
};

static const struct conlab_plugin plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "built against the frozen ABI 1.1 header; spawns and steals",
    .version = "1.1",
    .params = params,
    .config_size = sizeof(struct config),
    .strategy = &ops,
};

CONLAB_PLUGIN_DEFINE(plugin)

/*
 * gil — CPython's threading model: N POSIX threads that share one global
 * interpreter lock.
 *
 * The model: a thread holds the GIL whenever it runs task code and lets go
 * of it only to wait.  Each worker hands worker_begin its own waiter, whose
 * wait() drops the GIL, waits through the host's blocking waiter and takes
 * the GIL back:
 *
 *     bind(w) -> take GIL -> worker_begin(w, &gil_waiter)
 *             -> while ((i = claim()) >= 0) { run_task(w, i); maybe switch }
 *             -> worker_end(w) -> drop GIL
 *
 * So waits overlap (1,000 threads sleeping 100 ms take ~100 ms, as in
 * Python) while CPU-bound tasks run one at a time: no speedup over
 * `sequential`, however many cores and threads.
 *
 * Fairness.  A plain pthread mutex lets the thread that just released it
 * take it straight back (it is running; the waiters are asleep), so threads
 * would starve.  This GIL is a FIFO hand-off lock: a thread that wants a
 * held GIL queues up with its own condition variable, and a release gives
 * the GIL directly to the oldest waiter and wakes only that thread (a ticket
 * lock with one shared condvar would wake every waiter at every release, a
 * thundering herd with 1,000 threads).  A thread that never waits would
 * still keep the GIL for ever, so, like CPython's switch interval
 * (sys.getswitchinterval(), 5 ms), a worker that has held the GIL for 5 ms
 * hands it on between two tasks if anyone is queued.  CPython can switch
 * inside a task; here a task is the smallest unit.
 *
 * Threads, stacks and failures work as in the `threads` strategy.
 */
#include <conlab/conlab_plugin.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PLUGIN_NAME "gil"

#define LOG(job, level, ...) (job)->host->log((level), PLUGIN_NAME, __VA_ARGS__)

/* thread stacks: one mapping, a guard page under each (shared by threads and gil) */
#include "../common/stack_arena.h"

/* How long a thread may keep the GIL while others queue (CPython: 5 ms). */
#define SWITCH_INTERVAL_NS 5000000u

/* What the host parses a spec's parameters into (see gil_params). */
struct gil_config {
    int64_t workers;
    int64_t stack_kib;
};

/* ------------------------------------------------------------------------ */
/* The GIL: a FIFO hand-off lock                                             */
/* ------------------------------------------------------------------------ */

/* pthread_mutex_lock/unlock and pthread_cond_wait/signal cannot fail on a
 * valid default mutex and condition variable, so this section does not
 * check their results. */

/* A thread's place in the queue; lives in its worker slot. */
struct gil_node {
    pthread_cond_t wake;   /* signalled when the GIL is handed to us */
    struct gil_node *next; /* the next in line */
    int granted;           /* the GIL is ours now; guarded by gil.lock */
};

struct gil {
    pthread_mutex_t lock;         /* guards the members below */
    int held;                     /* someone owns the GIL */
    struct gil_node *head, *tail; /* waiting threads, oldest first */
};

/* Take the GIL if it is free, else wait in line for it.  Call with g->lock
 * held. */
static void gil_wait_turn(struct gil *g, struct gil_node *me)
{
    if (!g->held) { /* free implies an empty queue: see gil_pass_on */
        g->held = 1;
        return;
    }
    me->granted = 0;
    me->next = NULL;
    if (g->tail != NULL)
        g->tail->next = me;
    else
        g->head = me;
    g->tail = me;
    while (!me->granted)
        pthread_cond_wait(&me->wake, &g->lock);
}

/* Give the GIL to the oldest waiter, or free it.  Call with g->lock held. */
static void gil_pass_on(struct gil *g)
{
    struct gil_node *next = g->head;

    if (next == NULL) {
        g->held = 0;
        return;
    }
    g->head = next->next;
    if (g->head == NULL)
        g->tail = NULL;
    next->granted = 1; /* `held` stays set: ownership moves, never lapses */
    pthread_cond_signal(&next->wake);
}

static void gil_acquire(struct gil *g, struct gil_node *me)
{
    pthread_mutex_lock(&g->lock);
    gil_wait_turn(g, me);
    pthread_mutex_unlock(&g->lock);
}

static void gil_release(struct gil *g)
{
    pthread_mutex_lock(&g->lock);
    gil_pass_on(g);
    pthread_mutex_unlock(&g->lock);
}

/* If anyone is queued, hand the GIL to the oldest and queue up behind the
 * others.  Returns whether the GIL changed hands. */
static int gil_yield(struct gil *g, struct gil_node *me)
{
    int queued;

    pthread_mutex_lock(&g->lock);
    queued = g->head != NULL;
    if (queued) {
        gil_pass_on(g);
        gil_wait_turn(g, me);
    }
    pthread_mutex_unlock(&g->lock);
    return queued;
}

/* ------------------------------------------------------------------------ */
/* A worker thread                                                           */
/* ------------------------------------------------------------------------ */

struct pool {
    const struct conlab_job *job;
    struct gil gil;
};

/* One slot per worker.  The worker writes its statuses, run() reads them
 * after pthread_join (which orders the two), so no lock is needed. */
struct worker {
    struct pool *pool;
    pthread_t thread;
    unsigned id;
    int bind_status;
    int begin_status;
    struct gil_node node;        /* this thread's place in the GIL queue */
    struct conlab_waiter waiter; /* drops the GIL around the host's wait */
    uint64_t gil_since;          /* when this thread last got the GIL */
};

static void take_gil(struct worker *me)
{
    gil_acquire(&me->pool->gil, &me->node);
    me->gil_since = me->pool->job->host->now_ns();
}

/* Between tasks: once our switch interval is up, let a queued thread in. */
static void maybe_switch(struct worker *me)
{
    const struct conlab_host_api *host = me->pool->job->host;

    if (host->now_ns() - me->gil_since < SWITCH_INTERVAL_NS)
        return;
    /* With nobody queued we keep the GIL, and the next task boundary asks
     * again: a thread that queues later gets in at once. */
    if (gil_yield(&me->pool->gil, &me->node))
        me->gil_since = host->now_ns();
}

/* The waiter this worker's tasks wait through (struct conlab_waiter). */
static int gil_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                    int64_t timeout_ns)
{
    struct worker *me = ctx;
    const struct conlab_waiter *host_waiter = me->pool->job->default_waiter;
    int rc;

    gil_release(&me->pool->gil);
    rc = host_waiter->wait(host_waiter->ctx, fds, nfds, timeout_ns);
    take_gil(me);
    return rc;
}

static void *worker_main(void *arg)
{
    struct worker *me = arg;
    const struct conlab_job *job = me->pool->job;

    me->bind_status = job->bind(job, me->id);
    me->waiter = (struct conlab_waiter){ .wait = gil_wait, .ctx = me };
    take_gil(me);
    me->begin_status = job->worker_begin(job, me->id, &me->waiter);
    if (me->begin_status == CONLAB_OK) {
        int64_t i;

        /* A failed task is recorded by the host; a strategy goes on. */
        while ((i = job->claim(job)) >= 0) {
            (void)job->run_task(job, me->id, (uint64_t)i);
            maybe_switch(me);
        }
        job->worker_end(job, me->id);
    }
    gil_release(&me->pool->gil);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The pool                                                                  */
/* ------------------------------------------------------------------------ */

/* Returns 0 or a pthread error number. */
static int start_worker(const struct stacks *s, struct worker *wk)
{
    pthread_attr_t attr;
    int err = pthread_attr_init(&attr);

    if (err != 0)
        return err;
    err = stacks_set(s, wk->id, &attr);
    if (err == 0)
        err = pthread_create(&wk->thread, &attr, worker_main, wk);
    pthread_attr_destroy(&attr);
    return err;
}

/* Set up worker w's slot and start its thread.  Returns 0 or a pthread
 * error number; on error the slot holds nothing to destroy. */
static int start_slot(struct pool *pool, const struct stacks *s,
                      struct worker *wk, unsigned w)
{
    int err;

    *wk = (struct worker){ .pool = pool, .id = w };
    err = pthread_cond_init(&wk->node.wake, NULL);
    if (err != 0)
        return err;
    err = start_worker(s, wk);
    if (err != 0)
        pthread_cond_destroy(&wk->node.wake);
    return err;
}

/* Start workers 0, 1, ... in order; stop at the first failure (a resource
 * limit: the next ones would fail too).  Returns how many threads run. */
static unsigned start_workers(struct pool *pool, struct stacks *s,
                              struct worker *workers, unsigned n)
{
    const struct conlab_job *job = pool->job;
    unsigned w;

    for (w = 0; w < s->n; w++) {
        int err = start_slot(pool, s, &workers[w], w);

        if (err == EINVAL && w == 0 && s->base != NULL) {
            LOG(job, CONLAB_LOG_INFO,
                "static TLS does not fit in a %zu KiB preallocated stack; "
                "letting glibc allocate the stacks",
                s->size / 1024);
            stacks_unmap(job, s);
            s->n = n;
            err = start_slot(pool, s, &workers[w], w);
        }
        if (err != 0) {
            LOG(job, CONLAB_LOG_WARN, "starting worker thread %u of %u: %s",
                w, n, strerror(err));
            break;
        }
    }
    return w;
}

/* Returns how many joins failed: their stacks may still be in use. */
static unsigned join_workers(const struct conlab_job *job,
                             struct worker *workers, unsigned n)
{
    unsigned failed = 0;

    for (unsigned w = 0; w < n; w++) {
        int err = pthread_join(workers[w].thread, NULL);

        if (err != 0) { /* only a bug can get here (EDEADLK, ESRCH) */
            LOG(job, CONLAB_LOG_ERROR, "pthread_join of worker %u: %s", w,
                strerror(err));
            failed++;
        }
    }
    return failed;
}

/* One line per kind of failure, naming the first worker that had it. */
static void report_failures(const struct conlab_job *job,
                            const struct worker *workers, unsigned n)
{
    unsigned n_unbound = 0, n_unbegun = 0;
    const struct worker *first_unbound = NULL, *first_unbegun = NULL;

    for (unsigned w = 0; w < n; w++) {
        if (workers[w].bind_status != CONLAB_OK && n_unbound++ == 0)
            first_unbound = &workers[w];
        if (workers[w].begin_status != CONLAB_OK && n_unbegun++ == 0)
            first_unbegun = &workers[w];
    }
    if (first_unbound != NULL)
        LOG(job, CONLAB_LOG_WARN,
            "%u of %u workers ran unpinned: bind failed "
            "(first: worker %u, %s)",
            n_unbound, n, first_unbound->id,
            conlab_strerror(first_unbound->bind_status));
    if (first_unbegun != NULL)
        LOG(job, CONLAB_LOG_ERROR,
            "%u of %u workers ran no task: worker_begin failed "
            "(first: worker %u, %s)",
            n_unbegun, n, first_unbegun->id,
            conlab_strerror(first_unbegun->begin_status));
}

/* ------------------------------------------------------------------------ */
/* Strategy hooks                                                            */
/* ------------------------------------------------------------------------ */

static int gil_workers(const void *config, uint64_t n_tasks,
                       unsigned *n_workers)
{
    const struct gil_config *cfg = config;

    (void)n_tasks; /* exactly `workers`, however few tasks */
    if (cfg->workers < 1 || cfg->workers > UINT_MAX)
        return CONLAB_E_INVAL;
    *n_workers = (unsigned)cfg->workers;
    return CONLAB_OK;
}

static int gil_run(const struct conlab_job *job, const void *config)
{
    const struct gil_config *cfg = config;
    const unsigned n = job->n_workers;
    struct pool pool = { .job = job };
    struct worker *workers;
    struct stacks stacks;
    unsigned started;
    int rc;

    if (n == 0) {
        LOG(job, CONLAB_LOG_ERROR, "a job with no workers");
        return CONLAB_E_INVAL;
    }
    rc = pthread_mutex_init(&pool.gil.lock, NULL);
    if (rc != 0) {
        LOG(job, CONLAB_LOG_ERROR, "pthread_mutex_init: %s", strerror(rc));
        return CONLAB_E_SYS;
    }
    workers = calloc(n, sizeof *workers);
    if (workers == NULL) {
        LOG(job, CONLAB_LOG_ERROR, "no memory for %u worker slots", n);
        pthread_mutex_destroy(&pool.gil.lock);
        return CONLAB_E_NOMEM;
    }
    rc = stacks_map(job, n, cfg->stack_kib, &stacks);
    if (rc != CONLAB_OK) {
        free(workers);
        pthread_mutex_destroy(&pool.gil.lock);
        return rc;
    }

    started = start_workers(&pool, &stacks, workers, n);
    if (join_workers(job, workers, started) == 0) {
        /* Else leak it all: a thread may still use it. */
        stacks_unmap(job, &stacks);
        for (unsigned w = 0; w < started; w++)
            pthread_cond_destroy(&workers[w].node.wake);
        pthread_mutex_destroy(&pool.gil.lock);
        report_failures(job, workers, started);
        free(workers);
    }

    if (started == 0) {
        LOG(job, CONLAB_LOG_ERROR, "could not start any worker thread");
        return CONLAB_E_SYS;
    }
    if (started < n)
        LOG(job, CONLAB_LOG_WARN, "ran with %u of %u worker threads",
            started, n);
    return CONLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptor                                                                */
/* ------------------------------------------------------------------------ */

static const struct conlab_param gil_params[] = {
    {
        .name = "workers",
        .type = CONLAB_PARAM_INT,
        .def = "4",
        .min = 1,
        .max = 100000,
        .help = "number of worker threads sharing the GIL",
        .offset = offsetof(struct gil_config, workers),
    },
    {
        .name = "stack_kib",
        .type = CONLAB_PARAM_INT,
        .def = "256",
        .min = 16,
        .max = 1048576,
        .help = "stack size of each worker thread, in KiB",
        .offset = offsetof(struct gil_config, stack_kib),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops gil_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = gil_workers,
    .run = gil_run,
};

static const struct conlab_plugin gil_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "N pthreads sharing one global lock, like CPython's threads",
    .version = "1.0.0",
    .params = gil_params,
    .config_size = sizeof(struct gil_config),
    .strategy = &gil_ops,
};

CONLAB_PLUGIN_DEFINE(gil_plugin)

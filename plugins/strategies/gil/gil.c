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
 * Threads, stacks and failures work as in the `threads` strategy: both run
 * on ../common/thread_pool.h.
 */
#define CONLAB_PLUGIN_NAME "gil" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "../common/thread_pool.h"

/* How long a thread may keep the GIL while others queue (CPython: 5 ms). */
#define SWITCH_INTERVAL_NS 5000000u

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

/* A worker's GIL state.  It lives on the worker thread's stack, which
 * outlasts every use of it: the thread is in the GIL's queue only while it
 * waits in gil_wait_turn. */
struct gil_worker {
    const struct conlab_job *job;
    struct gil *gil;
    struct gil_node node;        /* this thread's place in the GIL queue */
    struct conlab_waiter waiter; /* drops the GIL around the host's wait */
    uint64_t gil_since;          /* when this thread last got the GIL */
};

static void take_gil(struct gil_worker *me)
{
    gil_acquire(me->gil, &me->node);
    me->gil_since = me->job->host->now_ns();
}

/* Between tasks: once our switch interval is up, let a queued thread in. */
static void maybe_switch(struct gil_worker *me)
{
    const struct conlab_host_api *host = me->job->host;

    if (host->now_ns() - me->gil_since < SWITCH_INTERVAL_NS)
        return;
    /* With nobody queued we keep the GIL, and the next task boundary asks
     * again: a thread that queues later gets in at once. */
    if (gil_yield(me->gil, &me->node))
        me->gil_since = host->now_ns();
}

/* The waiter this worker's tasks wait through (struct conlab_waiter). */
static int gil_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                    int64_t timeout_ns)
{
    struct gil_worker *me = ctx;
    const struct conlab_waiter *host_waiter = me->job->default_waiter;
    int rc;

    gil_release(me->gil);
    rc = host_waiter->wait(host_waiter->ctx, fds, nfds, timeout_ns);
    take_gil(me);
    return rc;
}

/* One worker's life on its pool thread, holding the GIL but to wait. */
static int gil_work(struct pool_thread *self)
{
    const struct conlab_job *job = self->job;
    struct gil_worker me = { .job = job, .gil = self->arg };
    int rc = pthread_cond_init(&me.node.wake, NULL);

    if (rc != 0) {
        CONLAB_LOG(job->host, CONLAB_LOG_ERROR,
                   "worker %u: pthread_cond_init: %s", self->id, strerror(rc));
        return CONLAB_E_SYS;
    }
    me.waiter = (struct conlab_waiter){ .wait = gil_wait, .ctx = &me };
    take_gil(&me);
    rc = job->worker_begin(job, self->id, &me.waiter);
    if (rc == CONLAB_OK) {
        int64_t i;

        /* A failed task is recorded by the host; a strategy goes on. */
        while ((i = job->claim(job)) >= 0) {
            (void)job->run_task(job, self->id, (uint64_t)i);
            maybe_switch(&me);
        }
        job->worker_end(job, self->id);
    }
    gil_release(me.gil);
    pthread_cond_destroy(&me.node.wake);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Strategy hooks and descriptor                                             */
/* ------------------------------------------------------------------------ */

static int gil_run(const struct conlab_job *job, const void *config)
{
    struct gil gil = { 0 };
    int rc = pthread_mutex_init(&gil.lock, NULL);

    if (rc != 0) {
        CONLAB_LOG(job->host, CONLAB_LOG_ERROR, "pthread_mutex_init: %s",
                   strerror(rc));
        return CONLAB_E_SYS;
    }
    rc = thread_pool_run(job, CONLAB_PLUGIN_NAME, config, gil_work, &gil);
    pthread_mutex_destroy(&gil.lock);
    return rc;
}

static const struct conlab_param gil_params[] = {
    THREAD_POOL_PARAMS("number of worker threads sharing the GIL"),
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops gil_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = thread_pool_workers,
    .run = gil_run,
};

static const struct conlab_plugin gil_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "N pthreads sharing one global lock, like CPython's threads",
    .version = "1.0.0",
    .params = gil_params,
    .config_size = sizeof(struct thread_pool_config),
    .strategy = &gil_ops,
};

CONLAB_PLUGIN_DEFINE(gil_plugin)

/* coro.c — coroutines: the ready queue, parking and waking, and their
 * start, run and finish.  See coro.h. */
#define _GNU_SOURCE
#include "coro.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* ------------------------------------------------------------------------ */
/* Ready queue, live list                                                   */
/* ------------------------------------------------------------------------ */

static void ready_push(struct co_sched *s, struct coro *co)
{
    co->state = CO_READY;
    co->next = NULL;
    if (s->ready_tail)
        s->ready_tail->next = co;
    else
        s->ready_head = co;
    s->ready_tail = co;
    s->n_ready++;
}

static struct coro *ready_pop(struct co_sched *s)
{
    struct coro *co = s->ready_head;
    if (!co)
        return NULL;
    s->ready_head = co->next;
    if (!s->ready_head)
        s->ready_tail = NULL;
    s->n_ready--;
    return co;
}

static void live_add(struct co_sched *s, struct coro *co)
{
    co->live_prev = NULL;
    co->live_next = s->live;
    if (s->live)
        s->live->live_prev = co;
    s->live = co;
    s->n_live++;
}

static void live_remove(struct co_sched *s, struct coro *co)
{
    if (co->live_prev)
        co->live_prev->live_next = co->live_next;
    else
        s->live = co->live_next;
    if (co->live_next)
        co->live_next->live_prev = co->live_prev;
    s->n_live--;
}

/* Make a parked coroutine runnable; a no-op for one already woken. */
void co_wake(struct co_sched *s, struct coro *co)
{
    if (co->state != CO_PARKED)
        return;
    ready_push(s, co);
}

/* ------------------------------------------------------------------------ */
/* Switching, from inside a coroutine                                       */
/* ------------------------------------------------------------------------ */

void co_park(struct coro *co)
{
    co->state = CO_PARKED;
    coctx_switch(&co->ctx, &co->s->self);
}

void co_yield(struct coro *co)
{
    ready_push(co->s, co);
    coctx_switch(&co->ctx, &co->s->self);
}

/* ------------------------------------------------------------------------ */
/* What every waiter does first                                             */
/* ------------------------------------------------------------------------ */

int co_poll_now(struct coro *co, struct pollfd *fds, unsigned nfds)
{
    int n;
    do
        n = poll(fds, (nfds_t)nfds, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        CO_LOG(co->s, CONLAB_LOG_ERROR, "poll(%u fds): %s", nfds,
               strerror(errno));
        return CONLAB_E_SYS;
    }
    return n;
}

bool co_wait_settled(struct coro *co, struct pollfd *fds, unsigned nfds,
                     int64_t timeout_ns, int *result)
{
    struct co_sched *s = co->s;
    if (s->current != co) {
        CO_LOG(s, CONLAB_LOG_ERROR,
               "worker %u's waiter called outside its own coroutine", co->id);
        *result = CONLAB_E_INVAL;
        return true;
    }
    if (nfds > 0 && !fds) {
        *result = CONLAB_E_INVAL;
        return true;
    }
    if (timeout_ns != 0 && nfds == 0) {
        int rc = co_park_timed(co, timeout_ns);
        *result = rc < 0 ? rc : 0;
        return true;
    }
    if (timeout_ns != 0)
        return false;
    *result = nfds > 0 ? co_poll_now(co, fds, nfds) : 0;
    if (*result == 0)
        co_yield(co); /* let a polling loop make progress for others */
    return true;
}

/* ------------------------------------------------------------------------ */
/* Coroutines: start, run, finish                                           */
/* ------------------------------------------------------------------------ */

/* The body of worker co->id. */
static void coro_main(void *arg)
{
    struct coro *co = arg;
    const struct conlab_job *job = co->s->job;
    if (job->worker_begin(job, co->id, &co->waiter) == CONLAB_OK) {
        int64_t i;
        while ((i = job->claim(job)) >= 0)
            (void)job->run_task(job, co->id, (uint64_t)i);
        job->worker_end(job, co->id);
    }
    co->state = CO_DONE;
}

static void coro_free(struct co_sched *s, struct coro *co)
{
    live_remove(s, co);
    coctx_release(&co->ctx);
    co_pool_put(&s->pool, co);
}

static void run_one(struct co_sched *s, struct coro *co)
{
    if (s->pool.shared)
        co_unstash(s, co);
    s->current = co;
    co->state = CO_RUNNING;
    coctx_switch(&s->self, &co->ctx);
    s->current = NULL;
    if (co->state == CO_DONE) {
        coro_free(s, co);
    } else if (s->pool.shared && co_stash(s, co) != CONLAB_OK) {
        s->stash_failed = true; /* its frames are lost: it cannot run again */
        co->state = CO_LOST;
    }
}

static int spawn_one(struct co_sched *s)
{
    int rc = CONLAB_OK;
    struct coro *co = co_pool_get(s, &rc);
    if (!co)
        return rc;
    /* A reused struct keeps its shared-stack buffers. */
    void *saved = co->saved, *wait_mem = co->wait_mem;
    size_t saved_cap = co->saved_cap, wait_cap = co->wait_cap;
    memset(co, 0, sizeof *co);
    co->saved = saved, co->saved_cap = saved_cap;
    co->wait_mem = wait_mem, co->wait_cap = wait_cap;
    co->s = s;
    co->id = s->n_spawned;
    co->waiter.wait = s->wait;
    co->waiter.ctx = co;
    co->waiter.struct_size = (uint32_t)sizeof co->waiter;
    size_t size;
    void *stack = s->pool.shared ? co_shared_stack(s, &size)
                                 : co_slot_stack(&s->pool, co, &size);
    if (!stack) {
        co_pool_put(&s->pool, co);
        return CONLAB_E_NOMEM;
    }
    if (coctx_make(&co->ctx, stack, size, coro_main, co, &s->self) != 0) {
        CO_LOG(s, CONLAB_LOG_ERROR, "cannot make a context: %s",
            strerror(errno));
        co_pool_put(&s->pool, co);
        return CONLAB_E_SYS;
    }
    s->n_spawned++;
    live_add(s, co);
    run_one(s, co);
    return CONLAB_OK;
}

bool can_spawn(const struct co_sched *s)
{
    return !s->spawn_failed && s->n_spawned < s->n_workers;
}

void spawn_some(struct co_sched *s)
{
    for (int k = 0; k < CO_SPAWN_BATCH && can_spawn(s); k++) {
        if (spawn_one(s) != CONLAB_OK) {
            s->spawn_failed = true;
            CO_LOG(s, CONLAB_LOG_ERROR,
                "could start only %u of %u coroutines; the others' "
                "tasks go to the running ones",
                s->n_spawned, s->n_workers);
        }
    }
}

void run_ready(struct co_sched *s)
{
    for (size_t n = s->n_ready; n > 0; n--) {
        struct coro *co = ready_pop(s);
        if (!co)
            break;
        run_one(s, co);
    }
}

/* Give up on every live coroutine: each is a lost worker. */
void abandon_all(struct co_sched *s, const char *reason)
{
    const struct conlab_job *job = s->job;
    CO_LOG(s, CONLAB_LOG_ERROR, "%zu coroutine(s) abandoned: %s", s->n_live,
        reason);
    while (s->live) {
        struct coro *co = s->live;
        if (job->worker_lost)
            job->worker_lost(job, co->id, reason);
        live_remove(s, co);
        coctx_release(&co->ctx);
    }
}

void co_init(struct co_sched *s, const struct conlab_job *job,
             const char *plugin, co_wait_fn wait, size_t stack_bytes,
             bool shared)
{
    memset(s, 0, sizeof *s);
    s->job = job;
    s->plugin = plugin;
    s->wait = wait;
    s->n_workers = job->n_workers;
    coctx_init_self(&s->self);
    co_pool_init(&s->pool, stack_bytes, job->n_workers, job->n_tasks, shared);
}

void co_fini(struct co_sched *s)
{
    free(s->heap);
    s->heap = NULL;
    co_pool_fini(&s->pool);
}

int co_workers(const void *config, uint64_t n_tasks, unsigned *n_workers)
{
    const struct co_config *cfg = config;

    (void)n_tasks; /* every coroutine is a worker, tasks or not */
    if (cfg->concurrency < 1 || cfg->concurrency > CO_CONCURRENCY_MAX)
        return CONLAB_E_INVAL;
    *n_workers = (unsigned)cfg->concurrency;
    return CONLAB_OK;
}

int co_stacks_shared(const struct conlab_job *job, const char *plugin,
                     const struct co_config *cfg, bool *shared)
{
    *shared = cfg->stacks && strcmp(cfg->stacks, "shared") == 0;
    if (*shared && strcmp(coctx_flavour(), "ucontext") == 0) {
        job->host->log(CONLAB_LOG_ERROR, plugin,
                       "stacks: shared needs the x86_64 or aarch64 context "
                       "switch; this build has ucontext");
        return CONLAB_E_NOTSUP;
    }
    return CONLAB_OK;
}

int co_run_begin(const struct conlab_job *job, const char *plugin,
                 const struct co_config *cfg)
{
    if (job->n_workers == 0) {
        job->host->log(CONLAB_LOG_ERROR, plugin, "a job with no workers");
        return CONLAB_E_INVAL;
    }
    if (cfg->stack_kib < CO_STACK_KIB_MIN ||
        cfg->stack_kib > CO_STACK_KIB_MAX) {
        job->host->log(CONLAB_LOG_ERROR, plugin,
                       "stack_kib=%" PRId64 " is not in %d..%d",
                       cfg->stack_kib, CO_STACK_KIB_MIN, CO_STACK_KIB_MAX);
        return CONLAB_E_INVAL;
    }
    /* One thread runs every worker: it is bound as worker 0. */
    int rc = job->bind(job, 0);
    if (rc != CONLAB_OK)
        job->host->log(CONLAB_LOG_WARN, plugin,
                       "worker 0: bind failed (%s); running unpinned",
                       conlab_strerror(rc));
    return CONLAB_OK;
}

/* coro.c — coroutines: the ready queue, parking and waking, and their
 * start, run and finish.  See sched.h. */
#define _GNU_SOURCE
#include "sched.h"

#include <errno.h>
#include <string.h>

#define SPAWN_BATCH 256 /* coroutines started per scheduler round */

/* ------------------------------------------------------------------------ */
/* Ready queue, live list                                                   */
/* ------------------------------------------------------------------------ */

static void ready_push(struct sched *s, struct coro *co)
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

static struct coro *ready_pop(struct sched *s)
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

static void live_add(struct sched *s, struct coro *co)
{
    co->live_prev = NULL;
    co->live_next = s->live;
    if (s->live)
        s->live->live_prev = co;
    s->live = co;
    s->n_live++;
}

static void live_remove(struct sched *s, struct coro *co)
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
void co_wake(struct sched *s, struct coro *co)
{
    if (co->state != CO_PARKED)
        return;
    timer_cancel(s, co);
    ready_push(s, co);
}

/* ------------------------------------------------------------------------ */
/* Switching, from inside a coroutine                                       */
/* ------------------------------------------------------------------------ */

static uint64_t deadline_after(int64_t timeout_ns)
{
    uint64_t now = now_ns();
    uint64_t t = (uint64_t)timeout_ns;
    return t > UINT64_MAX - now ? UINT64_MAX : now + t;
}

static void co_park(struct coro *co)
{
    co->state = CO_PARKED;
    coctx_switch(&co->ctx, &co->s->self);
}

void co_yield(struct coro *co)
{
    ready_push(co->s, co);
    coctx_switch(&co->ctx, &co->s->self);
}

/* Park until woken, or until timeout_ns passes (timeout_ns < 0: no timer). */
int co_park_timed(struct coro *co, int64_t timeout_ns)
{
    if (timeout_ns >= 0) {
        int rc = timer_add(co->s, co, deadline_after(timeout_ns));
        if (rc != CONLAB_OK)
            return rc;
    }
    co_park(co);
    timer_cancel(co->s, co);
    return CONLAB_OK;
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

static void coro_free(struct sched *s, struct coro *co)
{
    live_remove(s, co);
    coctx_release(&co->ctx);
    pool_put(&s->pool, co);
}

static void run_one(struct sched *s, struct coro *co)
{
    s->current = co;
    co->state = CO_RUNNING;
    coctx_switch(&s->self, &co->ctx);
    s->current = NULL;
    if (co->state == CO_DONE)
        coro_free(s, co);
}

static int spawn_one(struct sched *s)
{
    int rc = CONLAB_OK;
    struct coro *co = pool_get(s, &rc);
    if (!co)
        return rc;
    memset(co, 0, sizeof *co);
    co->s = s;
    co->id = s->n_spawned;
    co->waiter.wait = co_wait;
    co->waiter.ctx = co;
    size_t size;
    void *stack = slot_stack(&s->pool, co, &size);
    if (coctx_make(&co->ctx, stack, size, coro_main, co, &s->self) != 0) {
        LOG(s->job, CONLAB_LOG_ERROR, "cannot make a context: %s",
            strerror(errno));
        pool_put(&s->pool, co);
        return CONLAB_E_SYS;
    }
    s->n_spawned++;
    live_add(s, co);
    run_one(s, co);
    return CONLAB_OK;
}

bool can_spawn(const struct sched *s)
{
    return !s->spawn_failed && s->n_spawned < s->n_workers;
}

void spawn_some(struct sched *s)
{
    for (int k = 0; k < SPAWN_BATCH && can_spawn(s); k++) {
        if (spawn_one(s) != CONLAB_OK) {
            s->spawn_failed = true;
            LOG(s->job, CONLAB_LOG_ERROR,
                "could start only %u of %u coroutines; the others' "
                "tasks go to the running ones",
                s->n_spawned, s->n_workers);
        }
    }
}

void run_ready(struct sched *s)
{
    for (size_t n = s->n_ready; n > 0; n--) {
        struct coro *co = ready_pop(s);
        if (!co)
            break;
        run_one(s, co);
    }
}

/* Give up on every live coroutine: each is a lost worker. */
void abandon_all(struct sched *s, const char *reason)
{
    const struct conlab_job *job = s->job;
    LOG(s->job, CONLAB_LOG_ERROR, "%zu coroutine(s) abandoned: %s", s->n_live,
        reason);
    while (s->live) {
        struct coro *co = s->live;
        if (job->worker_lost)
            job->worker_lost(job, co->id, reason);
        live_remove(s, co);
        coctx_release(&co->ctx);
    }
}

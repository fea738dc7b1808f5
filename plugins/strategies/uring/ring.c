/* ring.c — the io_uring event loop of the uring strategy and its waiter.
 * See ring.h.
 *
 * An fd wait is one IORING_OP_POLL_ADD per fd, its records on the waiting
 * coroutine's stack; its deadline is a timer on the core's heap.  The
 * coroutine is woken by a completion or by its timer; it then cancels what
 * is left (IORING_OP_ASYNC_CANCEL) and parks until every poll is back, so
 * no CQE can ever point into a stack that moved on.  Sleeps are timers on
 * the heap alone.  The loop keeps one absolute IORING_OP_TIMEOUT in flight
 * for the nearest deadline: one kernel timer per wake-up rather than one
 * per sleep (10,000 sleeps of 100 ms: ~40 timeout operations, not 10,000;
 * each one costs a copy of its timespec from user memory, slow on a VM). */
#define _GNU_SOURCE
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SQ_ENTRIES 1024
#define CQ_ENTRIES 16384    /* beyond it the kernel keeps overflow itself */
#define SQPOLL_IDLE_MS 50
#define INLINE_OPS 4        /* a wait of up to 4 fds needs no malloc */
#define TIMER_TAG 1u        /* low bit of a timeout operation's user_data */

struct uwait;

/* One poll of a wait: its CQE's user_data points here. */
struct uop {
    struct uwait *w;
    struct pollfd *pfd;
    bool done;
};

/* One parked fd wait, on the waiting coroutine's stack. */
struct uwait {
    struct coro *co;
    struct uop *ops;
    unsigned n_ops;
    unsigned pending;  /* polls whose CQE has not come */
    bool cancelled;    /* the cancels of the others are queued */
};

/* The loop's timeout operation for the nearest deadline: the kernel may
 * read ts until the operation completes. */
struct ktimer {
    struct __kernel_timespec ts;
    uint64_t deadline;
    struct ktimer *prev, *next; /* the ones in flight, freed at the end */
};

static struct uring_sched *uring_of(const struct coro *co)
{
    return (struct uring_sched *)(void *)co->s;
}

/* ------------------------------------------------------------------------ */
/* Submission                                                                */
/* ------------------------------------------------------------------------ */

/* Hand the queued SQEs to the kernel, waiting for `wait_nr` CQEs.  Returns
 * 0, or a negative errno the loop cannot go on after. */
static int submit(struct uring_sched *s, unsigned wait_nr)
{
    int n = wait_nr ? io_uring_submit_and_wait(&s->ring, wait_nr)
                    : io_uring_submit(&s->ring);
    if (n >= 0) {
        s->counts[UC_SUBMISSIONS] += (uint64_t)n;
        return 0;
    }
    /* Interrupted, or CQ overflow backpressure: reaping is the cure. */
    return n == -EINTR || n == -EBUSY || n == -EAGAIN ? 0 : n;
}

/* Make room for n SQEs, submitting the queued ones if the SQ is too full.
 * Returns 0, or a negative errno (logged) when the ring failed. */
static int sq_room(struct uring_sched *s, unsigned n)
{
    while (io_uring_sq_space_left(&s->ring) < n) {
        int err = submit(s, 0);
        if (err == 0 && (s->ring.flags & IORING_SETUP_SQPOLL))
            err = io_uring_sqring_wait(&s->ring);
        if (err < 0) {
            CO_LOG(&s->co, CONLAB_LOG_ERROR, "io_uring_submit: %s",
                   strerror(-err));
            return err;
        }
    }
    return 0;
}

/* A free SQE, counted in flight; NULL only when the ring failed. */
static struct io_uring_sqe *sqe_get(struct uring_sched *s)
{
    struct io_uring_sqe *sqe = NULL;
    if (sq_room(s, 1) == 0 && (sqe = io_uring_get_sqe(&s->ring)) != NULL)
        s->inflight++;
    return sqe;
}

/* Cancel the polls of w not completed yet (one completed, the timer fired
 * or the ring failed). */
static void cancel_others(struct uring_sched *s, struct uwait *w)
{
    w->cancelled = true;
    for (unsigned i = 0; i < w->n_ops; i++) {
        if (w->ops[i].done)
            continue;
        struct io_uring_sqe *sqe = sqe_get(s);
        if (!sqe)
            return; /* the ring failed: queue_exit cancels them */
        io_uring_prep_cancel(sqe, &w->ops[i], 0);
        io_uring_sqe_set_data64(sqe, 0);
    }
}

/* ------------------------------------------------------------------------ */
/* Completion                                                                */
/* ------------------------------------------------------------------------ */

/* A timeout operation is back: the loop arms the next one. */
static void timer_done(struct uring_sched *s, struct ktimer *kt)
{
    if (kt->deadline == s->armed)
        s->armed = 0;
    if (kt->prev)
        kt->prev->next = kt->next;
    else
        s->ktimers = kt->next;
    if (kt->next)
        kt->next->prev = kt->prev;
    free(kt);
}

/* One CQE: record what its poll found and wake the waiting coroutine. */
static void complete(struct uring_sched *s, const struct io_uring_cqe *cqe)
{
    s->inflight--;
    s->counts[UC_COMPLETIONS]++;
    uint64_t tag = io_uring_cqe_get_data64(cqe);
    if (tag == 0)
        return; /* a cancel's own completion */
    if (tag & TIMER_TAG) {
        timer_done(s, (struct ktimer *)(uintptr_t)(tag & ~(uint64_t)TIMER_TAG));
        return;
    }
    struct uop *op = (struct uop *)(uintptr_t)tag;
    struct pollfd *pfd = op->pfd;
    op->done = true;
    op->w->pending--;
    if (cqe->res > 0)
        pfd->revents = (short)(cqe->res & (pfd->events | POLLERR | POLLHUP |
                                           POLLNVAL));
    else if (cqe->res == -EBADF)
        pfd->revents = POLLNVAL;
    else if (cqe->res != -ECANCELED && cqe->res != 0)
        pfd->revents = POLLERR;
    co_wake(&s->co, op->w->co);
}

static void reap(struct uring_sched *s)
{
    struct io_uring_cqe *cqe;
    unsigned head, n = 0;
    io_uring_for_each_cqe(&s->ring, head, cqe) {
        complete(s, cqe);
        n++;
    }
    io_uring_cq_advance(&s->ring, n);
}

/* ------------------------------------------------------------------------ */
/* The waiter                                                                */
/* ------------------------------------------------------------------------ */

/* Queue one poll per fd of w (fd < 0 ignored, as poll(2) does).  Returns
 * CONLAB_OK or CONLAB_E_SYS (the ring failed; the polls already queued
 * still complete into w). */
static int queue_polls(struct uring_sched *s, struct uwait *w,
                       struct pollfd *fds, unsigned nfds)
{
    for (unsigned i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        struct io_uring_sqe *sqe = sqe_get(s);
        if (!sqe)
            return CONLAB_E_SYS;
        struct uop *op = &w->ops[w->n_ops++];
        *op = (struct uop){.w = w, .pfd = &fds[i]};
        io_uring_prep_poll_add(sqe, fds[i].fd,
                               (unsigned)(uint16_t)fds[i].events);
        io_uring_sqe_set_data(sqe, op);
        w->pending++;
    }
    return CONLAB_OK;
}

/* Wait for fds (nfds > 0) until one is ready or timeout_ns (< 0: never)
 * passes.  Returns how many are ready, or a negative status. */
static int wait_fds(struct coro *co, struct pollfd *fds, unsigned nfds,
                    int64_t timeout_ns)
{
    struct uring_sched *s = uring_of(co);
    struct uop inline_ops[INLINE_OPS];
    struct uwait w = {.co = co, .ops = inline_ops};
    if (nfds > INLINE_OPS && !(w.ops = calloc(nfds, sizeof *w.ops)))
        return CONLAB_E_NOMEM;
    int rc = queue_polls(s, &w, fds, nfds);
    if (rc == CONLAB_OK && timeout_ns >= 0)
        rc = timer_add(&s->co, co, deadline_after(timeout_ns));
    if (rc != CONLAB_OK && w.pending > 0)
        cancel_others(s, &w);
    if (rc == CONLAB_OK || w.pending > 0) {
        /* Parked until a poll is back or the timer fires, then until every
         * poll is back (none: a wait that can never end, which the loop
         * reports as a deadlock). */
        do {
            co_park(co);
            if (w.pending > 0 && !w.cancelled)
                cancel_others(s, &w);
        } while (w.pending > 0);
    }
    timer_cancel(&s->co, co);
    if (w.ops != inline_ops)
        free(w.ops);
    if (rc != CONLAB_OK)
        return rc;
    int n = 0;
    for (unsigned i = 0; i < nfds; i++)
        n += fds[i].revents != 0;
    return n;
}

/* The wait() of coroutine ctx's struct conlab_waiter. */
static int uring_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                      int64_t timeout_ns)
{
    int n;
    if (co_wait_settled(ctx, fds, nfds, timeout_ns, &n))
        return n;
    return wait_fds(ctx, fds, nfds, timeout_ns);
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */
/* ------------------------------------------------------------------------ */

/* Before the loop sleeps: a timeout operation for the nearest deadline,
 * unless one for it (or nearer) is in flight.  Returns 0, or a negative
 * errno when the ring failed (logged) or no memory was left. */
static int arm_timer(struct uring_sched *s)
{
    uint64_t d = timers_next(&s->co);
    if (d == 0 || (s->armed != 0 && s->armed <= d))
        return 0;
    struct ktimer *kt = malloc(sizeof *kt);
    if (!kt) {
        CO_LOG(&s->co, CONLAB_LOG_ERROR, "no memory for a timeout");
        return -ENOMEM;
    }
    struct io_uring_sqe *sqe = sqe_get(s);
    if (!sqe) {
        free(kt);
        return -EIO;
    }
    *kt = (struct ktimer){.deadline = d, .next = s->ktimers};
    if (kt->next)
        kt->next->prev = kt;
    s->ktimers = kt;
    kt->ts.tv_sec = (long long)(d / CO_NS_PER_S);
    kt->ts.tv_nsec = (long long)(d % CO_NS_PER_S);
    io_uring_prep_timeout(sqe, &kt->ts, 0, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data64(sqe, (uint64_t)(uintptr_t)kt | TIMER_TAG);
    s->armed = d;
    return 0;
}

int uring_loop(struct uring_sched *s)
{
    struct co_sched *co = &s->co;
    for (;;) {
        s->counts[UC_LOOP_ITERATIONS]++;
        run_ready(co);
        spawn_some(co);
        if (co->n_live == 0 && !can_spawn(co))
            return co->spawn_failed ? CONLAB_E_NOMEM : CONLAB_OK;
        bool busy = co->n_ready > 0 || can_spawn(co);
        int err = busy ? 0 : arm_timer(s);
        if (err == 0 && !busy && s->inflight == 0) {
            abandon_all(co, "deadlock: waiting forever with no operation "
                            "in flight or timer that could wake it");
            return CONLAB_E_LOST;
        }
        if (err == 0)
            err = submit(s, busy ? 0 : 1);
        if (err < 0) {
            CO_LOG(co, CONLAB_LOG_ERROR, "io_uring_enter: %s", strerror(-err));
            abandon_all(co, "the event loop failed");
            return CONLAB_E_SYS;
        }
        reap(s);
        timers_expire(co);
    }
}

/* ------------------------------------------------------------------------ */
/* The ring                                                                  */
/* ------------------------------------------------------------------------ */

static int ring_setup(struct uring_sched *s, unsigned flags)
{
    struct io_uring_params p = {
        .flags = flags | IORING_SETUP_CQSIZE,
        .cq_entries = CQ_ENTRIES,
        .sq_thread_idle = SQPOLL_IDLE_MS,
    };
    return io_uring_queue_init_params(SQ_ENTRIES, &s->ring, &p);
}

/* The ring with `flags`, trying without the optional single-issuer and
 * cooperative task-run hints (Linux 6.0, 5.19) when the kernel refuses
 * them.  Returns 0 or a negative errno. */
static int ring_open(struct uring_sched *s, unsigned flags)
{
    int err = ring_setup(s, flags | IORING_SETUP_SINGLE_ISSUER |
                                IORING_SETUP_COOP_TASKRUN);
    if (err == -EINVAL)
        err = ring_setup(s, flags);
    return err;
}

int uring_init(struct uring_sched *s, const struct conlab_job *job,
               int64_t stack_kib, bool sqpoll)
{
    memset(s, 0, sizeof *s);
    co_init(&s->co, job, PLUGIN_NAME, uring_wait, (size_t)stack_kib * 1024,
            false); /* its parked waits live on their stacks */
    int err = -EINVAL;
    if (sqpoll) {
        err = ring_open(s, IORING_SETUP_SQPOLL);
        if (err < 0) {
            CO_LOG(&s->co, CONLAB_LOG_WARN, "sqpoll refused (%s); running "
                   "without a kernel submission thread", strerror(-err));
            s->counts[UC_SQPOLL_FALLBACKS]++;
        }
    }
    if (err < 0)
        err = ring_open(s, 0);
    if (err == 0) {
        s->ring_up = true;
        return CONLAB_OK;
    }
    const char *why = "";
    int rc = CONLAB_E_SYS;
    if (err == -ENOSYS || err == -EPERM || err == -EACCES) {
        why = ": io_uring is unavailable here (a kernel before 5.1, "
              "sysctl kernel.io_uring_disabled, or a seccomp filter such as "
              "a container's); use the coroutines strategy instead";
        rc = CONLAB_E_NOTSUP;
    } else if (err == -ENOMEM) {
        why = " (RLIMIT_MEMLOCK too low for the ring?)";
        rc = CONLAB_E_NOMEM;
    }
    CO_LOG(&s->co, CONLAB_LOG_ERROR, "io_uring_queue_init: %s%s",
           strerror(-err), why);
    return rc;
}

void uring_fini(struct uring_sched *s)
{
    if (s->ring_up)
        io_uring_queue_exit(&s->ring); /* the kernel is done with ktimers */
    s->ring_up = false;
    while (s->ktimers) {
        struct ktimer *kt = s->ktimers;
        s->ktimers = kt->next;
        free(kt);
    }
    co_fini(&s->co);
}

/* ring.c — the io_uring event loop of the uring strategy and its waiter.
 * See ring.h.
 *
 * A wait is a set of operations whose records live on the waiting
 * coroutine's stack: one IORING_OP_POLL_ADD per fd and, with a deadline, an
 * absolute CLOCK_MONOTONIC timeout — linked to the poll when there is one
 * fd (the kernel cancels whichever loses), else a separate IORING_OP_TIMEOUT
 * and, once the first operation completes, one IORING_OP_ASYNC_CANCEL per
 * other.  The coroutine is woken when the last of its operations has
 * completed, so no CQE can ever point into a stack that moved on. */
#define _GNU_SOURCE
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define SQ_ENTRIES 1024
#define CQ_ENTRIES 16384    /* beyond it the kernel keeps overflow itself */
#define SQPOLL_IDLE_MS 50
#define INLINE_OPS 5        /* a wait of up to 4 fds needs no malloc */

struct uwait;

/* One operation of a wait: its CQE's user_data points here. */
struct uop {
    struct uwait *w;
    struct pollfd *pfd; /* NULL for the timeout */
    bool done;
};

/* One parked wait, on the waiting coroutine's stack. */
struct uwait {
    struct coro *co;
    struct uop *ops;
    unsigned n_ops;
    unsigned pending;  /* operations whose CQE has not come */
    bool linked;       /* one poll + its linked timeout: no cancels owed */
    bool cancelled;    /* the cancels of the others are submitted */
    struct __kernel_timespec ts; /* the deadline, read by the kernel */
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

/* Cancel the operations of w not completed yet (after one completed). */
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

/* One CQE: record what its operation found; wake the coroutine when its
 * wait has nothing left in flight. */
static void complete(struct uring_sched *s, const struct io_uring_cqe *cqe)
{
    s->inflight--;
    s->counts[UC_COMPLETIONS]++;
    struct uop *op = io_uring_cqe_get_data(cqe);
    if (!op)
        return; /* a cancel's own completion */
    struct uwait *w = op->w;
    op->done = true;
    if (op->pfd) {
        if (cqe->res > 0)
            op->pfd->revents = (short)(cqe->res & (op->pfd->events | POLLERR |
                                                   POLLHUP | POLLNVAL));
        else if (cqe->res == -EBADF)
            op->pfd->revents = POLLNVAL;
        else if (cqe->res != -ECANCELED && cqe->res != 0)
            op->pfd->revents = POLLERR;
    }
    if (--w->pending == 0)
        co_wake(&s->co, w->co);
    else if (!w->linked && !w->cancelled)
        cancel_others(s, w);
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

/* Queue w's operations: one poll per fd (fd < 0 ignored, as poll(2) does)
 * and the deadline.  Returns CONLAB_OK or CONLAB_E_SYS (the ring failed;
 * the operations already queued still complete into w). */
static int queue_ops(struct uring_sched *s, struct uwait *w,
                     struct pollfd *fds, unsigned nfds, int64_t timeout_ns)
{
    struct io_uring_sqe *sqe = NULL;
    unsigned polls = 0;
    for (unsigned i = 0; i < nfds; i++)
        polls += fds[i].fd >= 0;
    w->linked = polls == 1 && timeout_ns > 0;
    if (w->linked && sq_room(s, 2) != 0) /* a link never spans submits */
        return CONLAB_E_SYS;
    for (unsigned i = 0; i < nfds; i++) {
        fds[i].revents = 0;
        if (fds[i].fd < 0)
            continue;
        if (!(sqe = sqe_get(s)))
            return CONLAB_E_SYS;
        struct uop *op = &w->ops[w->n_ops++];
        *op = (struct uop){.w = w, .pfd = &fds[i]};
        io_uring_prep_poll_add(sqe, fds[i].fd, (unsigned)(uint16_t)
                               fds[i].events);
        io_uring_sqe_set_data(sqe, op);
        w->pending++;
    }
    if (timeout_ns < 0)
        return CONLAB_OK;
    uint64_t deadline = deadline_after(timeout_ns);
    w->ts.tv_sec = (long long)(deadline / CO_NS_PER_S);
    w->ts.tv_nsec = (long long)(deadline % CO_NS_PER_S);
    if (w->linked) /* the poll's SQE is the last one taken */
        sqe->flags |= IOSQE_IO_LINK;
    if (!(sqe = sqe_get(s)))
        return CONLAB_E_SYS;
    struct uop *op = &w->ops[w->n_ops++];
    *op = (struct uop){.w = w};
    if (w->linked)
        io_uring_prep_link_timeout(sqe, &w->ts, IORING_TIMEOUT_ABS);
    else
        io_uring_prep_timeout(sqe, &w->ts, 0, IORING_TIMEOUT_ABS);
    io_uring_sqe_set_data(sqe, op);
    w->pending++;
    return CONLAB_OK;
}

/* The wait() of coroutine ctx's struct conlab_waiter. */
static int uring_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                      int64_t timeout_ns)
{
    struct coro *co = ctx;
    struct uring_sched *s = uring_of(co);
    int n;
    if (co_wait_now(co, fds, nfds, timeout_ns, &n))
        return n;
    struct uop inline_ops[INLINE_OPS];
    struct uwait w = {.co = co, .ops = inline_ops};
    if (nfds >= INLINE_OPS && !(w.ops = calloc(nfds + 1, sizeof *w.ops)))
        return CONLAB_E_NOMEM;
    int rc = queue_ops(s, &w, fds, nfds, timeout_ns);
    if (rc != CONLAB_OK && w.pending > 0 && !w.cancelled)
        cancel_others(s, &w);
    /* Parked until every operation is back (none: a wait that can never
     * end, which the loop reports as a deadlock). */
    if (rc == CONLAB_OK || w.pending > 0) {
        do
            co_park(co);
        while (w.pending > 0);
    }
    if (w.ops != inline_ops)
        free(w.ops);
    if (rc != CONLAB_OK)
        return rc;
    n = 0;
    for (unsigned i = 0; i < nfds; i++)
        n += fds[i].revents != 0;
    return n;
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */
/* ------------------------------------------------------------------------ */

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
        if (!busy && s->inflight == 0) {
            abandon_all(co, "deadlock: waiting forever with no operation "
                            "in flight that could wake it");
            return CONLAB_E_LOST;
        }
        int err = submit(s, busy ? 0 : 1);
        if (err < 0) {
            CO_LOG(co, CONLAB_LOG_ERROR, "io_uring_enter: %s", strerror(-err));
            abandon_all(co, "the event loop failed");
            return CONLAB_E_SYS;
        }
        reap(s);
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
    co_init(&s->co, job, PLUGIN_NAME, uring_wait, (size_t)stack_kib * 1024);
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
        io_uring_queue_exit(&s->ring);
    s->ring_up = false;
    co_fini(&s->co);
}

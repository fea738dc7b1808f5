/*
 * ring.h — the io_uring event loop of the uring strategy and its waiter
 * (private to the plugin).  The coroutines (start, run, park, wake), their
 * stacks and the context switch are the core shared with `coroutines`:
 * ../common/coro.h.
 *
 *   uring.c  the strategy's hooks, descriptor and counters
 *   ring.c   the ring, the loop, and the waiter: every wait is io_uring
 *            operations (IORING_OP_POLL_ADD per fd, an IORING_OP_TIMEOUT
 *            for the nearest deadline of the core's timer heap), never
 *            epoll or a timerfd
 *
 * Everything runs on the one scheduler thread: nothing here is locked.
 */
#ifndef CONLAB_URING_RING_H
#define CONLAB_URING_RING_H

#define CONLAB_PLUGIN_NAME "uring" /* CONLAB_LOG's prefix */
#define PLUGIN_NAME CONLAB_PLUGIN_NAME

#include "../common/coro.h"

#include <conlab/conlab_plugin.h>

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>

/* The strategy's counters, in the order of its `counters` names. */
enum uring_counter {
    UC_SUBMISSIONS,      /* SQEs the kernel accepted */
    UC_COMPLETIONS,      /* CQEs reaped */
    UC_LOOP_ITERATIONS,  /* scheduler rounds */
    UC_SQPOLL_FALLBACKS, /* sqpoll asked for, refused by the kernel */
    UC_N
};

struct ktimer;

struct uring_sched {
    struct co_sched co;     /* first: a struct coro's s points at it */
    struct io_uring ring;
    bool ring_up;           /* io_uring_queue_exit owed */
    size_t inflight;        /* SQEs taken whose CQE has not been reaped */
    uint64_t armed;         /* deadline of the nearest timeout in flight */
    struct ktimer *ktimers; /* the timeout operations in flight */
    uint64_t counts[UC_N];
};

/* Set up s for `job`: its coroutines on stacks of stack_kib KiB, the ring
 * with a kernel submission thread when `sqpoll` (else, or when refused:
 * logged, counted, without).  Returns CONLAB_OK, or CONLAB_E_NOTSUP (no
 * io_uring here: an old kernel, a sysctl or seccomp), CONLAB_E_NOMEM or
 * CONLAB_E_SYS, logged; uring_fini either way. */
int uring_init(struct uring_sched *s, const struct conlab_job *job,
               int64_t stack_kib, bool sqpoll);

/* Run every coroutine until all are done.  Returns CONLAB_OK, or
 * CONLAB_E_NOMEM (some could not start), CONLAB_E_LOST (a deadlock: the
 * parked ones are lost workers) or CONLAB_E_SYS (the ring failed). */
int uring_loop(struct uring_sched *s);

/* Release the ring (which cancels what is in flight), then the stacks. */
void uring_fini(struct uring_sched *s);

#endif

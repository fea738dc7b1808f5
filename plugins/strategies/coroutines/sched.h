/*
 * sched.h — the scheduler of the coroutines strategy: its state, and what
 * each of its files offers the others (private to the plugin).
 *
 *   coroutines.c  the strategy's hooks and descriptor
 *   loop.c        the scheduler loop: rounds, epoll, the timerfd
 *   waiter.c      the waiter a coroutine's tasks wait through
 *   fds.c         epoll registrations of the fds coroutines wait for
 * The coroutines themselves (start, run, park, wake, finish), their timer
 * heap, their stacks and the context switch are the core shared with
 * `uring`:
 * ../common/coro.h.
 *
 * Everything runs on the one scheduler thread: nothing here is locked.
 */
#ifndef CONLAB_COROUTINES_SCHED_H
#define CONLAB_COROUTINES_SCHED_H

#include "../common/coro.h"

#include <conlab/conlab_plugin.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>

#define PLUGIN_NAME "coroutines"

#define LOG(job, level, ...) (job)->host->log((level), PLUGIN_NAME, __VA_ARGS__)

#define EVENTS_MAX 256      /* epoll events harvested per call */
#define NS_PER_S CO_NS_PER_S

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

/* One fd of one parked wait; lives on the waiting coroutine's stack.  No
 * pointer into the fd table is kept: the table moves when it grows. */
struct wait_slot {
    struct wait_slot *next, *prev;
    struct coro *co;
    struct pollfd *pfd;
    bool linked;
};

/* What the scheduler knows about one fd number. */
struct fdent {
    struct wait_slot *waiters;
    uint32_t gen;     /* tags the events of the current registration */
    bool registered;  /* in the epoll set, as far as we know */
};

struct sched {
    struct co_sched co;      /* first: a struct coro's s points at it */
    struct fdent *fdtab;     /* indexed by fd number */
    size_t fdtab_len;
    size_t n_linked;         /* wait slots linked on fds */
    bool pwait2;             /* epoll_pwait2 may work */
    int epfd;
    int tfd;                 /* timerfd for long timer waits, or -1 */
    uint64_t tfd_armed;      /* its deadline, 0 if never armed */
    struct epoll_event events[EVENTS_MAX];
};

/* The scheduler coroutine co runs on. */
static inline struct sched *sched_of(const struct coro *co)
{
    return (struct sched *)(void *)co->s;
}

/* ------------------------------------------------------------------------ */
/* loop.c                                                                   */
/* ------------------------------------------------------------------------ */

/* Set up s for `job`, its coroutines on stacks of stack_kib KiB (one stack
 * they share when `shared`).  Returns CONLAB_OK, or CONLAB_E_SYS (logged);
 * sched_fini either way. */
int sched_init(struct sched *s, const struct conlab_job *job,
               int64_t stack_kib, bool shared);

/* Run every coroutine until all are done.  Returns CONLAB_OK, or
 * CONLAB_E_NOMEM (some could not start, or park), CONLAB_E_LOST (a
 * deadlock: the parked ones are lost workers) or CONLAB_E_SYS (the event
 * loop failed). */
int sched_loop(struct sched *s);

/* Release what sched_init and the loop acquired. */
void sched_fini(struct sched *s);

/* ------------------------------------------------------------------------ */
/* waiter.c                                                                 */
/* ------------------------------------------------------------------------ */

/* The wait() of coroutine ctx's struct conlab_waiter. */
int co_wait(void *ctx, struct pollfd *fds, unsigned nfds, int64_t timeout_ns);

/* ------------------------------------------------------------------------ */
/* fds.c                                                                    */
/* ------------------------------------------------------------------------ */

/* Watch pfd for coroutine co in slot sl.  Returns 0 when the slot is linked
 * (or the fd can never become ready), 1 when pfd->revents is already set,
 * or a negative status. */
int fd_watch(struct sched *s, struct coro *co, struct wait_slot *sl,
             struct pollfd *pfd);

/* Take slot sl off its fd's waiters; a no-op for one not linked. */
void slot_unlink(struct sched *s, struct wait_slot *sl);

/* One epoll event: hand it to the waiters that asked for it. */
void fd_dispatch(struct sched *s, const struct epoll_event *ev);

#endif

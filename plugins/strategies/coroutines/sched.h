/*
 * sched.h — the scheduler of the coroutines strategy: its state, and what
 * each of its files offers the others (private to the plugin).
 *
 *   coroutines.c  the strategy's hooks and descriptor
 *   loop.c        the scheduler loop: rounds, epoll, the timerfd
 *   coro.c        coroutines: start, run, park, wake, finish
 *   waiter.c      the waiter a coroutine's tasks wait through
 *   fds.c         epoll registrations of the fds coroutines wait for
 *   timers.c      the timer heap
 *   stack_pool.c  stack slots with guard pages, carved from mmap'd chunks
 *   coctx.c       the context switch itself (coctx.h)
 *
 * Everything runs on the one scheduler thread: nothing here is locked.
 */
#ifndef CONLAB_COROUTINES_SCHED_H
#define CONLAB_COROUTINES_SCHED_H

#include "coctx.h"

#include <conlab/conlab_plugin.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/uio.h>
#include <time.h>

#define PLUGIN_NAME "coroutines"

#define LOG(job, level, ...) (job)->host->log((level), PLUGIN_NAME, __VA_ARGS__)

#define EVENTS_MAX 256      /* epoll events harvested per call */
#define CHUNK_SLOTS_MIN 16  /* stacks in the first mmap'd chunk, doubling */
#define CHUNK_SLOTS_MAX 1024
#define NS_PER_S 1000000000LL

/* ------------------------------------------------------------------------ */
/* Types                                                                    */
/* ------------------------------------------------------------------------ */

enum co_state { CO_READY, CO_RUNNING, CO_PARKED, CO_DONE };

struct sched;

/* One coroutine = one worker.  Lives at the top of its own stack slot. */
struct coro {
    struct coctx ctx;
    struct sched *s;
    struct coro *next;                /* ready queue, or the free list */
    struct coro *live_prev, *live_next;
    uint64_t timer_seq;               /* its live timer's seq, 0 if none */
    unsigned id;                      /* the worker id */
    enum co_state state;
    struct conlab_waiter waiter;      /* handed to worker_begin */
};

/* struct coro's share of a slot, keeping the stack top 64-byte aligned. */
#define CORO_SIZE ((sizeof(struct coro) + 63) & ~(size_t)63)

/* A timer: wake `co` at `deadline` if its timer_seq is still `seq`. */
struct timer {
    uint64_t deadline; /* CLOCK_MONOTONIC ns */
    uint64_t seq;
    struct coro *co;
};

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

enum guard_mode { GUARD_BATCH, GUARD_MADVISE, GUARD_MPROTECT };

struct chunk {
    void *base;
    size_t len;
};

struct stack_pool {
    size_t page;
    size_t slot_size;       /* guard page + stack + CORO_SIZE */
    size_t slots_made;      /* carved so far, over all chunks */
    size_t slots_max;       /* never more than the workers */
    size_t next_chunk;      /* slots in the next chunk */
    char *carve, *carve_end; /* the newest chunk's slots not yet handed out */
    struct coro *free;      /* slots of finished coroutines */
    struct chunk *chunks;
    size_t n_chunks, cap_chunks;
    enum guard_mode guard;
    bool guard_checked;     /* a madvised guard was seen to fault */
    int pidfd;              /* ours, for process_madvise; -1 until needed */
    struct iovec iov[CHUNK_SLOTS_MAX]; /* one page per slot of a chunk */
};

struct sched {
    const struct conlab_job *job;
    struct coctx self;       /* the scheduler's own context */
    struct coro *current;    /* running coroutine, NULL in the scheduler */
    struct coro *ready_head, *ready_tail;
    size_t n_ready;
    struct timer *heap;      /* timers: min-heap on deadline */
    size_t heap_len, heap_cap;
    size_t n_stale;          /* cancelled entries still in the heap */
    uint64_t timer_seq;      /* last seq handed out */
    struct fdent *fdtab;     /* indexed by fd number */
    size_t fdtab_len;
    size_t n_linked;         /* wait slots linked on fds */
    struct coro *live;       /* started, not finished */
    size_t n_live;
    unsigned n_workers, n_spawned;
    bool spawn_failed;
    bool pwait2;             /* epoll_pwait2 may work */
    int epfd;
    int tfd;                 /* timerfd for long timer waits, or -1 */
    uint64_t tfd_armed;      /* its deadline, 0 if never armed */
    struct stack_pool pool;
    struct epoll_event events[EVENTS_MAX];
};

/* The array `items` of *cap elements of `size` bytes, full, doubled (to
 * `first` elements when empty).  Returns the new array with *cap updated,
 * or NULL with both unchanged. */
static inline void *grow_array(void *items, size_t *cap, size_t size,
                               size_t first)
{
    size_t n = *cap ? 2 * *cap : first;
    void *grown = realloc(items, n * size);

    if (grown != NULL)
        *cap = n;
    return grown;
}

/* CLOCK_MONOTONIC in ns, the clock of every deadline. */
static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * (uint64_t)NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* ------------------------------------------------------------------------ */
/* loop.c                                                                   */
/* ------------------------------------------------------------------------ */

/* Set up s for `job`, its coroutines on stacks of stack_kib KiB.  Returns
 * CONLAB_OK, or CONLAB_E_SYS (logged); sched_fini either way. */
int sched_init(struct sched *s, const struct conlab_job *job,
               int64_t stack_kib);

/* Run every coroutine until all are done.  Returns CONLAB_OK, or
 * CONLAB_E_NOMEM (some could not start), CONLAB_E_LOST (a deadlock: the
 * parked ones are lost workers) or CONLAB_E_SYS (the event loop failed). */
int sched_loop(struct sched *s);

/* Release what sched_init and the loop acquired. */
void sched_fini(struct sched *s);

/* ------------------------------------------------------------------------ */
/* coro.c                                                                   */
/* ------------------------------------------------------------------------ */

/* Make a parked coroutine runnable; a no-op for one already woken. */
void co_wake(struct sched *s, struct coro *co);

/* From inside co: run again after every coroutine now ready. */
void co_yield(struct coro *co);

/* From inside co: park until woken, or until timeout_ns passes (timeout_ns
 * < 0: no timer).  Returns CONLAB_OK, or CONLAB_E_NOMEM (no timer). */
int co_park_timed(struct coro *co, int64_t timeout_ns);

/* Whether coroutines are left to start. */
bool can_spawn(const struct sched *s);

/* Start up to SPAWN_BATCH coroutines, each running to its first park. */
void spawn_some(struct sched *s);

/* Run every coroutine that is ready now, once, in FIFO order. */
void run_ready(struct sched *s);

/* Give up on every live coroutine: each is a lost worker (`reason` is
 * borrowed for the call). */
void abandon_all(struct sched *s, const char *reason);

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

/* ------------------------------------------------------------------------ */
/* timers.c                                                                 */
/* ------------------------------------------------------------------------ */

/* Wake co at `deadline` (CLOCK_MONOTONIC ns) unless cancelled first.
 * Returns CONLAB_OK or CONLAB_E_NOMEM. */
int timer_add(struct sched *s, struct coro *co, uint64_t deadline);

/* Cancel co's timer, if it has one. */
void timer_cancel(struct sched *s, struct coro *co);

/* Drop the stale entries at the top, so that s->heap[0] (if any) is a live
 * timer. */
void timers_prune(struct sched *s);

/* Wake the owners of every timer that is due. */
void timers_expire(struct sched *s);

/* ------------------------------------------------------------------------ */
/* stack_pool.c                                                             */
/* ------------------------------------------------------------------------ */

/* An empty pool for n_workers coroutines with stack_bytes of stack each. */
void pool_init(struct stack_pool *p, size_t stack_bytes, unsigned n_workers);

/* A free slot's struct coro (not zeroed), or NULL with *status set
 * (CONLAB_E_NOMEM, logged). */
struct coro *pool_get(struct sched *s, int *status);

/* Give co's slot back, for the next coroutine to start. */
void pool_put(struct stack_pool *p, struct coro *co);

/* The stack below co in its slot; its size in *size. */
void *slot_stack(const struct stack_pool *p, struct coro *co, size_t *size);

/* Unmap every chunk. */
void pool_fini(struct stack_pool *p);

#endif

/*
 * coro.h — the coroutine core of the one-thread cooperative strategies
 * (coroutines on epoll, uring on io_uring): private to plugins/strategies/,
 * not part of the SDK.  coro.c, coro_stacks.c and coctx.c are compiled into
 * each plugin that uses them.
 *
 * One coroutine = one worker: it calls worker_begin with its own waiter
 * (whose wait() is the backend's), claims and runs tasks, and calls
 * worker_end.  The core keeps the ready queue, the live list, lazy start (at
 * most CO_SPAWN_BATCH per round) and the stacks; a backend (its event loop
 * and waiter) embeds struct co_sched as the FIRST member of its own
 * scheduler, parks coroutines with co_park and wakes them with co_wake.
 *
 *   coro.c         the ready queue, parking and waking, start/run/finish
 *   coro_timers.c  the timer heap, and parking with a timeout (the backend
 *                  sleeps until the nearest deadline, timers_next)
 *   coro_stacks.c  stack slots of [guard page | stack | struct coro] carved
 *                  from mmap'd chunks, handed from a finished coroutine to
 *                  the next to start
 *   coro_shared.c  `stacks: shared`: one stack that every coroutine runs
 *                  on, a parked coroutine's frames copied out to its own
 *                  buffer and back in when it runs again
 *   coctx.c        the context switch itself (coctx.h)
 *
 * Everything runs on the one scheduler thread: nothing here is locked.
 */
#ifndef CONLAB_STRATEGIES_CORO_H
#define CONLAB_STRATEGIES_CORO_H

#include "coctx.h"

#include <conlab/conlab_plugin.h>

#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/uio.h>
#include <time.h>

#define CO_LOG(s, level, ...) \
    (s)->job->host->log((level), (s)->plugin, __VA_ARGS__)

/* Coroutines started per scheduler round.  Each round ends with a poll for
 * I/O, so the first requests are on the wire while later coroutines start
 * (no synchronised first wave): of 160 GETs with 50 ms of server delay the
 * first answer came 74-78 ms after the first start with 256 a round (all
 * started first), 60-65 ms with 64 (2-vCPU KVM guest, medians of 10). */
#define CO_SPAWN_BATCH 64
/* Stacks are mapped in chunks of CO_CHUNK_SLOTS_MIN slots, doubling up to
 * CO_CHUNK_SLOTS_MAX.  (One chunk for every coroutine alive at once, its
 * guards all installed before any stack ran, measured no faster: 12 ms
 * more start-up and teardown for 18 ms less span, 10,000 sleeps.)  Guards
 * and prefaults go to the kernel CO_IOV_BATCH slots per process_madvise. */
#define CO_CHUNK_SLOTS_MIN 16
#define CO_CHUNK_SLOTS_MAX 1024
#define CO_IOV_BATCH 1024
#define CO_NS_PER_S 1000000000LL

#define CO_CONCURRENCY_MAX 1000000
#define CO_STACK_KIB_MIN 8
#define CO_STACK_KIB_MAX 65536

/* What the host parses the core's parameters into (CO_PARAMS, and
 * CO_PARAM_STACKS for a backend whose waits keep nothing on a coroutine's
 * stack while it is parked). */
struct co_config {
    int64_t concurrency;
    int64_t stack_kib;
    const char *stacks; /* "separate" or "shared"; NULL: separate */
};

/* The core's parameters, for a strategy's parameter table (before its
 * CONLAB_PARAM_END); `cfg_member` is the struct co_config in `cfg_type`. */
#define CO_PARAMS(cfg_type, cfg_member)                                       \
    {                                                                         \
        .name = "concurrency",                                                \
        .type = CONLAB_PARAM_INT,                                             \
        .def = "100",                                                         \
        .min = 1,                                                             \
        .max = CO_CONCURRENCY_MAX,                                            \
        .help = "coroutines on the one scheduler thread; each one is a "      \
                "worker",                                                     \
        .offset = offsetof(cfg_type, cfg_member.concurrency),                 \
    },                                                                        \
    {                                                                         \
        .name = "stack_kib",                                                  \
        .type = CONLAB_PARAM_INT,                                             \
        .def = "64",                                                          \
        .min = CO_STACK_KIB_MIN,                                              \
        .max = CO_STACK_KIB_MAX,                                              \
        .help = "stack of each coroutine in KiB, above a guard page",         \
        .offset = offsetof(cfg_type, cfg_member.stack_kib),                   \
    }

/* The `stacks` parameter (see coro_shared.c for the trade). */
#define CO_PARAM_STACKS(cfg_type, cfg_member)                                 \
    {                                                                         \
        .name = "stacks",                                                     \
        .type = CONLAB_PARAM_ENUM,                                            \
        .def = "separate",                                                    \
        .choices = "separate|shared",                                         \
        .help = "separate: a guarded stack of stack_kib per coroutine; "      \
                "shared: all run on one of stack_kib, a parked coroutine's "  \
                "frames (~1 KiB) copied aside: far fewer fresh pages for "    \
                "10,000s of coroutines, a copy per switch",                   \
        .offset = offsetof(cfg_type, cfg_member.stacks),                      \
    }

/* The wait() of a coroutine's struct conlab_waiter (ctx: the coroutine). */
typedef int (*co_wait_fn)(void *ctx, struct pollfd *fds, unsigned nfds,
                          int64_t timeout_ns);

/* CO_LOST: parked, but its frames could not be kept (shared stacks, no
 * memory): never run again, abandoned with the others. */
enum co_state { CO_READY, CO_RUNNING, CO_PARKED, CO_DONE, CO_LOST };

struct co_sched;

/* One coroutine = one worker.  Lives at the top of its own stack slot. */
struct coro {
    struct coctx ctx;
    struct co_sched *s;
    struct coro *next;                /* ready queue, or the free list */
    struct coro *live_prev, *live_next;
    uint64_t timer_seq;               /* the backend's: its live timer */
    unsigned id;                      /* the worker id */
    enum co_state state;
    struct conlab_waiter waiter;      /* handed to worker_begin */
    /* Shared stacks only; kept when the struct is reused, freed by
     * co_pool_fini. */
    void *saved;                      /* the frames of the parked coroutine */
    size_t saved_len, saved_cap;
    void *wait_mem;                   /* the backend's, for a parked wait */
    size_t wait_cap;
};

/* struct coro's share of a slot, keeping the stack top 64-byte aligned. */
#define CORO_SIZE ((sizeof(struct coro) + 63) & ~(size_t)63)

/* A timer: wake `co` at `deadline` if its timer_seq is still `seq`. */
struct timer {
    uint64_t deadline; /* CLOCK_MONOTONIC ns */
    uint64_t seq;
    struct coro *co;
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
    size_t alive_max;       /* coroutines alive at once, at most */
    size_t next_chunk;      /* slots in the next chunk */
    char *carve, *carve_end; /* the newest chunk's slots not yet handed out */
    struct coro *free;      /* slots of finished coroutines */
    struct chunk *chunks;
    size_t n_chunks, cap_chunks;
    enum guard_mode guard;
    bool guard_checked;     /* a madvised guard was seen to fault */
    int pidfd;              /* ours, for process_madvise; -1 until needed */
    struct iovec iov[CO_IOV_BATCH]; /* one page per slot, a batch at a time */
    /* stacks: shared */
    bool shared;
    void *shared_map;       /* [guard page | the stack] */
    size_t shared_map_len, shared_size;
    struct coro **blocks;   /* struct coros and their frame buffers */
    size_t n_blocks, cap_blocks, block_used;
    size_t saved_max;       /* the most bytes of frames a park copied */
};

/* The core of a scheduler: the first member of a backend's. */
struct co_sched {
    const struct conlab_job *job;
    const char *plugin;      /* names the log lines (a static string) */
    co_wait_fn wait;     /* every coroutine's waiter's wait() */
    struct coctx self;       /* the scheduler's own context */
    struct coro *current;    /* running coroutine, NULL in the scheduler */
    struct coro *ready_head, *ready_tail;
    size_t n_ready;
    struct coro *live;       /* started, not finished */
    size_t n_live;
    unsigned n_workers, n_spawned;
    bool spawn_failed;
    bool stash_failed;       /* a coroutine is CO_LOST: abandon them all */
    struct timer *heap;      /* timers: min-heap on deadline */
    size_t heap_len, heap_cap;
    size_t n_stale;          /* cancelled entries still in the heap */
    uint64_t timer_seq;      /* last seq handed out */
    struct stack_pool pool;
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
    return (uint64_t)ts.tv_sec * (uint64_t)CO_NS_PER_S + (uint64_t)ts.tv_nsec;
}

/* The deadline timeout_ns (>= 0) from now, saturated. */
static inline uint64_t deadline_after(int64_t timeout_ns)
{
    uint64_t now = now_ns();
    uint64_t t = (uint64_t)timeout_ns;
    return t > UINT64_MAX - now ? UINT64_MAX : now + t;
}

/* ------------------------------------------------------------------------ */
/* coro.c                                                                   */
/* ------------------------------------------------------------------------ */

/* The workers() hook of a cooperative strategy (config: its struct
 * co_config first): every coroutine is a worker, tasks or not.  Returns
 * CONLAB_OK, or CONLAB_E_INVAL. */
int co_workers(const void *config, uint64_t n_tasks, unsigned *n_workers);

/* The first step of run(): check the job and cfg (CONLAB_E_INVAL, logged,
 * under `plugin`'s name), then bind the calling thread, which runs every
 * coroutine, as worker 0 (a failure is only warned about).  Returns
 * CONLAB_OK or CONLAB_E_INVAL. */
int co_run_begin(const struct conlab_job *job, const char *plugin,
                 const struct co_config *cfg);

/* Set up the core for `job`'s workers on stacks of stack_bytes (one stack
 * for all when `shared`), named `plugin` in log lines, their waiters calling
 * `wait` (with the coroutine as ctx).  Cannot fail; co_fini releases what it
 * gathers. */
void co_init(struct co_sched *s, const struct conlab_job *job,
             const char *plugin, co_wait_fn wait, size_t stack_bytes,
             bool shared);

/* Whether cfg asks for shared stacks.  Refused (CONLAB_E_NOTSUP, logged)
 * where the context switch cannot copy frames (the ucontext flavour). */
int co_stacks_shared(const struct conlab_job *job, const char *plugin,
                     const struct co_config *cfg, bool *shared);

/* Release the stacks.  Only once no coroutine's stack is in use (by the
 * kernel either). */
void co_fini(struct co_sched *s);

/* Make a parked coroutine runnable; a no-op for one already woken. */
void co_wake(struct co_sched *s, struct coro *co);

/* From inside co: park until co_wake. */
void co_park(struct coro *co);

/* From inside co: run again after every coroutine now ready. */
void co_yield(struct coro *co);

/* One non-blocking poll(2) of the fds, from inside co.  Returns how many
 * are ready, or CONLAB_E_SYS (logged). */
int co_poll_now(struct coro *co, struct pollfd *fds, unsigned nfds);

/* What every backend's wait() does first, from inside co: refuse a call
 * outside co, or bad arguments; answer timeout 0 at once (a sleep of 0 is
 * a yield; an fd check is one poll(2) that yields once when nothing is
 * ready, so that a polling loop lets the others run); park a sleep (no
 * fds) on the timer heap.  Returns true with wait()'s result in *result
 * when that settled the call, false when the backend must wait for fds. */
bool co_wait_settled(struct coro *co, struct pollfd *fds, unsigned nfds,
                     int64_t timeout_ns, int *result);

/* Whether coroutines are left to start. */
bool can_spawn(const struct co_sched *s);

/* Start up to CO_SPAWN_BATCH coroutines, each running to its first park. */
void spawn_some(struct co_sched *s);

/* Run every coroutine that is ready now, once, in FIFO order. */
void run_ready(struct co_sched *s);

/* Give up on every live coroutine: each is a lost worker (`reason` is
 * borrowed for the call). */
void abandon_all(struct co_sched *s, const char *reason);

/* ------------------------------------------------------------------------ */
/* coro_timers.c                                                            */
/* ------------------------------------------------------------------------ */

/* Wake co at `deadline` (CLOCK_MONOTONIC ns) unless cancelled first.
 * Returns CONLAB_OK or CONLAB_E_NOMEM. */
int timer_add(struct co_sched *s, struct coro *co, uint64_t deadline);

/* Cancel co's timer, if it has one. */
void timer_cancel(struct co_sched *s, struct coro *co);

/* The nearest live timer's deadline, 0 when there is none (stale entries
 * at the top are dropped on the way). */
uint64_t timers_next(struct co_sched *s);

/* Wake the owners of every timer that is due. */
void timers_expire(struct co_sched *s);

/* From inside co: park until woken, or until timeout_ns passes (timeout_ns
 * < 0: no timer).  Returns CONLAB_OK, or CONLAB_E_NOMEM (no timer). */
int co_park_timed(struct coro *co, int64_t timeout_ns);

/* ------------------------------------------------------------------------ */
/* coro_stacks.c                                                            */
/* ------------------------------------------------------------------------ */

/* An empty pool for n_workers coroutines with stack_bytes of stack each
 * (shared: one stack of stack_bytes for all). */
void co_pool_init(struct stack_pool *p, size_t stack_bytes, unsigned n_workers,
                  uint64_t n_tasks, bool shared);

/* A free slot's struct coro (not zeroed), or NULL with *status set
 * (CONLAB_E_NOMEM, logged). */
struct coro *co_pool_get(struct co_sched *s, int *status);

/* Give co's slot back, for the next coroutine to start. */
void co_pool_put(struct stack_pool *p, struct coro *co);

/* The stack below co in its slot; its size in *size. */
void *co_slot_stack(const struct stack_pool *p, struct coro *co, size_t *size);

/* Unmap every chunk. */
void co_pool_fini(struct stack_pool *p);

/* ------------------------------------------------------------------------ */
/* coro_shared.c                                                            */
/* ------------------------------------------------------------------------ */

/* A free struct coro from the blocks (not zeroed; its buffers kept), or NULL
 * with *status set (CONLAB_E_NOMEM, logged). */
struct coro *co_shared_get(struct co_sched *s, int *status);

/* The shared stack, mapped on first use below a guard page; its size in
 * *size.  NULL (logged) when it cannot be mapped. */
void *co_shared_stack(struct co_sched *s, size_t *size);

/* After co parked: copy its frames off the shared stack.  Returns CONLAB_OK
 * or CONLAB_E_NOMEM (logged; co cannot run again). */
int co_stash(struct co_sched *s, struct coro *co);

/* Before co runs again: copy its frames back. */
void co_unstash(struct co_sched *s, struct coro *co);

/* The shared stack unmapped, every block and buffer freed. */
void co_shared_fini(struct stack_pool *p);

#endif

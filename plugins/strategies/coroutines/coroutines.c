/*
 * coroutines.c — the `coroutines` strategy: one OS thread runs `concurrency`
 * cooperative tasks (coroutines) on epoll, each one a worker.
 *
 * Every coroutine is worker w: it calls worker_begin with its own waiter,
 * claims and runs tasks, and calls worker_end.  Its waiter parks the
 * coroutine instead of blocking the thread:
 *   - a sleep pushes a timer on a binary min-heap and parks;
 *   - an fd wait arms the fds in the epoll set (and a timer when there is a
 *     timeout) and parks until one is ready or the timer fires;
 *   - timeout 0 never parks: a sleep of 0 is a yield; an fd check is one
 *     poll(2) that yields once when nothing is ready, so that a workload
 *     polling in a loop still lets every other coroutine (and the I/O
 *     check) run instead of starving them.
 * A workload that blocks the thread itself blocks the whole scheduler: that
 * is the lesson of such a workload, not a bug.
 *
 * The scheduler loops in rounds: run every coroutine that was ready when the
 * round began (FIFO), start up to SPAWN_BATCH not-yet-started coroutines,
 * then ask epoll for ready fds (without waiting when anything is runnable,
 * else until the nearest timer, which a timerfd keeps without epoll's timer
 * slack) and wake the owners of ready fds and expired timers.
 *
 * Stacks: slots of [guard page | stack | struct coro] carved from mmap'd
 * chunks; the guards of a chunk are installed with one process_madvise of
 * MADV_GUARD_INSTALL, else one madvise per slot (Linux 6.13+; no
 * extra VMA) or else mprotect(PROT_NONE).  Coroutines start lazily and a
 * finished one hands its slot to the next to start, so `concurrency`
 * workers over few tasks cost about as many stacks as are alive at once.
 *
 * epoll registrations are cached per fd number across waits: an fd is ADDed
 * once with EPOLLONESHOT and re-armed with one EPOLL_CTL_MOD per later wait
 * (instead of an ADD and a DEL per wait).  ONESHOT means a ready
 * fd that nobody waits for any more is reported once, never in a busy loop.
 * Every registration's events carry (fd, generation): if the fd number is
 * closed and reused while the old file lives on elsewhere (dup, fork), MOD
 * fails with ENOENT, the fd is ADDed again under a new generation, and
 * whatever the stale registration reports is ignored.
 */
#define _GNU_SOURCE
#include "coctx.h"

#include <conlab/conlab_plugin.h>

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define PLUGIN_NAME "coroutines"
#define CONCURRENCY_MAX 1000000
#define STACK_KIB_MIN 8
#define STACK_KIB_MAX 65536
#define SPAWN_BATCH 256     /* coroutines started per scheduler round */
#define EVENTS_MAX 256      /* epoll events harvested per call */
#define INLINE_SLOTS 4      /* fds a wait handles without malloc */
#define CHUNK_SLOTS_MIN 16  /* stacks in the first mmap'd chunk, doubling */
#define CHUNK_SLOTS_MAX 1024
#define NS_PER_S 1000000000LL
/* Timers are kept by a timerfd, which has no slack: epoll's own timeout
 * gets max(50 us, 0.1%) of slack, and every timer due during that slack
 * waits for the next round.  epoll's timeout stays as a backstop. */
#define TIMER_BACKSTOP_NS 1000000LL /* past the timerfd's deadline */
#define TIMERFD_TAG UINT64_MAX      /* the timerfd's epoll data */

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13 UAPI; older kernels: EINVAL */
#endif

/* ------------------------------------------------------------------------ */
/* Types                                                                     */
/* ------------------------------------------------------------------------ */

struct coro_config {
    int64_t concurrency;
    int64_t stack_kib;
};

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

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

CONLAB_PRINTF(3, 4)
static void co_log(const struct sched *s, int level, const char *fmt, ...)
{
    const struct conlab_host_api *h = s->job->host;
    if (!h || !h->log)
        return;
    char buf[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    h->log(level, PLUGIN_NAME, "%s", buf);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * (uint64_t)NS_PER_S + (uint64_t)ts.tv_nsec;
}

static uint64_t deadline_after(int64_t timeout_ns)
{
    uint64_t now = now_ns();
    uint64_t t = (uint64_t)timeout_ns;
    return t > UINT64_MAX - now ? UINT64_MAX : now + t;
}

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

/* ------------------------------------------------------------------------ */
/* Stack slots                                                               */
/* ------------------------------------------------------------------------ */

static void pool_init(struct stack_pool *p, size_t stack_bytes,
                      unsigned n_workers)
{
    long page = sysconf(_SC_PAGESIZE);
    memset(p, 0, sizeof *p);
    p->page = page > 0 ? (size_t)page : 4096;
    p->slot_size = p->page + round_up(stack_bytes + CORO_SIZE, p->page);
    p->slots_max = n_workers;
    p->next_chunk = CHUNK_SLOTS_MIN;
    p->guard = GUARD_BATCH;
    p->pidfd = -1;
}

/* All guards of a chunk in one process_madvise(2) call: Linux 6.13+ takes
 * any advice for the calling process itself. */
static int guards_batched(struct stack_pool *p, char *base, size_t n)
{
#if defined(SYS_process_madvise) && defined(SYS_pidfd_open)
    if (p->pidfd < 0)
        p->pidfd = (int)syscall(SYS_pidfd_open, (long)getpid(), 0L);
    if (p->pidfd < 0)
        return -1;
    for (size_t i = 0; i < n; i++)
        p->iov[i] = (struct iovec){base + i * p->slot_size, p->page};
    long done = syscall(SYS_process_madvise, (long)p->pidfd, p->iov,
                        (unsigned long)n, (long)MADV_GUARD_INSTALL, 0L);
    return done == (long)(n * p->page) ? 0 : -1;
#else
    (void)p, (void)base, (void)n;
    return -1;
#endif
}

static int guard_install(struct sched *s, char *page)
{
    struct stack_pool *p = &s->pool;
    if (p->guard == GUARD_MADVISE) {
        if (madvise(page, p->page, MADV_GUARD_INSTALL) == 0)
            return 0;
        if (errno != EINVAL) {
            co_log(s, CONLAB_LOG_ERROR, "madvise(MADV_GUARD_INSTALL): %s",
                   strerror(errno));
            return -1;
        }
        p->guard = GUARD_MPROTECT; /* kernel older than 6.13 */
    }
    if (mprotect(page, p->page, PROT_NONE) == 0)
        return 0;
    int err = errno;
    co_log(s, CONLAB_LOG_ERROR, "mprotect(guard page) after %zu stacks: %s%s",
           p->slots_made, strerror(err),
           err == ENOMEM ? " (each guarded stack costs 2 memory maps: raise"
                           " vm.max_map_count or lower concurrency)"
                         : "");
    return -1;
}

/* Fault in the top page of each of the n slots at base (its struct coro
 * and first frames) with one process_madvise: cheaper than a page fault per
 * coroutine.  Best effort: a page left out faults in when first used. */
static void tops_prefault(struct stack_pool *p, char *base, size_t n)
{
#if defined(SYS_process_madvise)
    if (p->guard != GUARD_BATCH || p->pidfd < 0)
        return;
    for (size_t i = 0; i < n; i++)
        p->iov[i] = (struct iovec){base + (i + 1) * p->slot_size - p->page,
                                   p->page};
    (void)syscall(SYS_process_madvise, (long)p->pidfd, p->iov,
                  (unsigned long)n, (long)MADV_POPULATE_WRITE, 0L);
#else
    (void)p, (void)base, (void)n;
#endif
}

/* NULL when reading `page` faults, else why it is not known to.  Asked
 * without faulting: process_vm_readv fails with EFAULT on a guard page. */
static const char *guard_unproven(const void *page)
{
    char byte;
    struct iovec local = {&byte, 1}, remote = {(void *)(uintptr_t)page, 1};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) >= 0)
        return "the page reads";
    return errno == EFAULT ? NULL : strerror(errno);
}

/* Put a guard page at the bottom of each of the n slots at base: batched
 * where the kernel can, else one madvise, else one mprotect, per slot.
 * The first madvised guard is checked: an emulator (qemu-user) may accept
 * the advice and do nothing, and an overflow must fault, never corrupt. */
static int guards_install(struct sched *s, char *base, size_t n)
{
    struct stack_pool *p = &s->pool;
    if (p->guard == GUARD_BATCH && guards_batched(p, base, n) != 0)
        p->guard = GUARD_MADVISE; /* installing a guard twice is harmless */
    if (p->guard != GUARD_BATCH) {
        for (size_t i = 0; i < n; i++)
            if (guard_install(s, base + i * p->slot_size) != 0)
                return -1;
    }
    if (p->guard != GUARD_MPROTECT && !p->guard_checked) {
        p->guard_checked = true;
        const char *why = guard_unproven(base);
        if (why) {
            co_log(s, CONLAB_LOG_DEBUG, "MADV_GUARD_INSTALL unproven (%s): "
                   "guard pages by mprotect", why);
            p->guard = GUARD_MPROTECT;
            return guards_install(s, base, n);
        }
    }
    return 0;
}

/* Map a new chunk of slots, each with its guard page at the bottom. */
static int pool_grow(struct sched *s)
{
    struct stack_pool *p = &s->pool;
    size_t n = p->slots_max - p->slots_made;
    if (n > p->next_chunk)
        n = p->next_chunk;
    if (n == 0)
        return CONLAB_E_INVAL; /* more live coroutines than workers: a bug */
    if (p->n_chunks == p->cap_chunks) {
        size_t cap = p->cap_chunks ? 2 * p->cap_chunks : 16;
        struct chunk *c = realloc(p->chunks, cap * sizeof *c);
        if (!c)
            return CONLAB_E_NOMEM;
        p->chunks = c;
        p->cap_chunks = cap;
    }
    size_t len = n * p->slot_size;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                      -1, 0);
    if (base == MAP_FAILED) {
        co_log(s, CONLAB_LOG_ERROR, "mmap(%zu bytes of stacks): %s", len,
               strerror(errno));
        return CONLAB_E_NOMEM;
    }
    p->chunks[p->n_chunks++] = (struct chunk){base, len};
    /* A huge page would put 2 MiB in RSS for one touched stack page. */
    (void)madvise(base, len, MADV_NOHUGEPAGE);
    if (guards_install(s, base, n) != 0)
        return CONLAB_E_NOMEM; /* the chunk is unmapped at the end */
    tops_prefault(p, base, n);
    p->carve = base;
    p->carve_end = base + len;
    p->slots_made += n;
    if (p->next_chunk < CHUNK_SLOTS_MAX)
        p->next_chunk *= 2;
    return CONLAB_OK;
}

static struct coro *pool_get(struct sched *s, int *status)
{
    struct stack_pool *p = &s->pool;
    struct coro *co = p->free;
    if (co) {
        p->free = co->next;
        return co;
    }
    if (p->carve == p->carve_end) {
        *status = pool_grow(s);
        if (*status != CONLAB_OK)
            return NULL;
    }
    char *slot = p->carve;
    p->carve += p->slot_size;
    return (struct coro *)(void *)(slot + p->slot_size - CORO_SIZE);
}

static void pool_put(struct stack_pool *p, struct coro *co)
{
    co->next = p->free;
    p->free = co;
}

static void *slot_stack(const struct stack_pool *p, struct coro *co,
                        size_t *size)
{
    char *slot = (char *)co + CORO_SIZE - p->slot_size;
    *size = p->slot_size - p->page - CORO_SIZE;
    return slot + p->page;
}

static void pool_fini(struct stack_pool *p)
{
    for (size_t i = 0; i < p->n_chunks; i++)
        munmap(p->chunks[i].base, p->chunks[i].len);
    free(p->chunks);
    if (p->pidfd >= 0)
        close(p->pidfd);
    p->chunks = NULL;
    p->n_chunks = 0;
    p->pidfd = -1;
}

/* ------------------------------------------------------------------------ */
/* Ready queue, live list, timer heap                                        */
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

/* The heap keeps each deadline beside its coroutine, so sifting touches
 * only the heap array, never the coroutines (one per stack page).  A timer
 * is cancelled by clearing co->timer_seq; its entry goes stale and is
 * dropped when it reaches the top (or when stale entries pile up). */
static void heap_sift_up(struct timer *h, size_t i)
{
    struct timer t = h[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (h[parent].deadline <= t.deadline)
            break;
        h[i] = h[parent];
        i = parent;
    }
    h[i] = t;
}

static void heap_sift_down(struct timer *h, size_t len, size_t i)
{
    struct timer t = h[i];
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= len)
            break;
        if (c + 1 < len && h[c + 1].deadline < h[c].deadline)
            c++;
        if (h[c].deadline >= t.deadline)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = t;
}

static void heap_pop(struct sched *s)
{
    s->heap[0] = s->heap[--s->heap_len];
    if (s->heap_len > 1)
        heap_sift_down(s->heap, s->heap_len, 0);
}

static bool timer_live(const struct timer *t)
{
    return t->co->timer_seq == t->seq;
}

/* Drop the stale entries at the top, so that heap[0] is a live timer. */
static void heap_prune(struct sched *s)
{
    while (s->heap_len > 0 && !timer_live(&s->heap[0])) {
        heap_pop(s);
        s->n_stale--;
    }
}

/* Drop every stale entry and re-heapify: keeps the heap within twice the
 * live timers when waits mostly end (by fd) long before their timeout. */
static void heap_compact(struct sched *s)
{
    size_t n = 0;
    for (size_t i = 0; i < s->heap_len; i++)
        if (timer_live(&s->heap[i]))
            s->heap[n++] = s->heap[i];
    s->heap_len = n;
    s->n_stale = 0;
    for (size_t i = n / 2; i-- > 0;)
        heap_sift_down(s->heap, n, i);
}

static int timer_add(struct sched *s, struct coro *co, uint64_t deadline)
{
    if (s->n_stale > 1024 && s->n_stale > s->heap_len / 2)
        heap_compact(s);
    if (s->heap_len == s->heap_cap) {
        size_t cap = s->heap_cap ? 2 * s->heap_cap : 64;
        struct timer *h = realloc(s->heap, cap * sizeof *h);
        if (!h)
            return CONLAB_E_NOMEM;
        s->heap = h;
        s->heap_cap = cap;
    }
    co->timer_seq = ++s->timer_seq;
    s->heap[s->heap_len] = (struct timer){deadline, co->timer_seq, co};
    heap_sift_up(s->heap, s->heap_len++);
    return CONLAB_OK;
}

static void timer_cancel(struct sched *s, struct coro *co)
{
    if (co->timer_seq == 0)
        return;
    co->timer_seq = 0;
    s->n_stale++;
}

/* Make a parked coroutine runnable; a no-op for one already woken. */
static void co_wake(struct sched *s, struct coro *co)
{
    if (co->state != CO_PARKED)
        return;
    timer_cancel(s, co);
    ready_push(s, co);
}

static void expire_timers(struct sched *s)
{
    if (s->heap_len == 0)
        return;
    uint64_t now = now_ns();
    while (s->heap_len > 0 && s->heap[0].deadline <= now) {
        struct timer t = s->heap[0];
        heap_pop(s);
        if (!timer_live(&t)) {
            s->n_stale--;
            continue;
        }
        t.co->timer_seq = 0;
        co_wake(s, t.co);
    }
}

/* ------------------------------------------------------------------------ */
/* Switching, from inside a coroutine                                        */
/* ------------------------------------------------------------------------ */

static void co_park(struct coro *co)
{
    co->state = CO_PARKED;
    coctx_switch(&co->ctx, &co->s->self);
}

static void co_yield(struct coro *co)
{
    ready_push(co->s, co);
    coctx_switch(&co->ctx, &co->s->self);
}

/* Park until woken, or until timeout_ns passes (timeout_ns < 0: no timer). */
static int co_park_timed(struct coro *co, int64_t timeout_ns)
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
/* fd registrations                                                          */
/* ------------------------------------------------------------------------ */

enum arm_result { ARM_OK = 0, ARM_BADF = 1, ARM_ALWAYS = 2 };

static uint32_t poll_to_epoll(short ev)
{
    uint32_t e = 0;
    if (ev & POLLIN) e |= EPOLLIN;
    if (ev & POLLPRI) e |= EPOLLPRI;
    if (ev & POLLOUT) e |= EPOLLOUT;
    if (ev & POLLRDNORM) e |= EPOLLRDNORM;
    if (ev & POLLRDBAND) e |= EPOLLRDBAND;
    if (ev & POLLWRNORM) e |= EPOLLWRNORM;
    if (ev & POLLWRBAND) e |= EPOLLWRBAND;
    if (ev & POLLRDHUP) e |= EPOLLRDHUP;
    return e;
}

static short epoll_to_poll(uint32_t e)
{
    short ev = 0;
    if (e & EPOLLIN) ev |= POLLIN;
    if (e & EPOLLPRI) ev |= POLLPRI;
    if (e & EPOLLOUT) ev |= POLLOUT;
    if (e & EPOLLRDNORM) ev |= POLLRDNORM;
    if (e & EPOLLRDBAND) ev |= POLLRDBAND;
    if (e & EPOLLWRNORM) ev |= POLLWRNORM;
    if (e & EPOLLWRBAND) ev |= POLLWRBAND;
    if (e & EPOLLRDHUP) ev |= POLLRDHUP;
    if (e & EPOLLERR) ev |= POLLERR;
    if (e & EPOLLHUP) ev |= POLLHUP;
    return ev;
}

static uint64_t fd_tag(int fd, uint32_t gen)
{
    return (uint64_t)(uint32_t)fd << 32 | gen;
}

static struct fdent *fd_entry(struct sched *s, int fd)
{
    size_t i = (size_t)fd;
    if (i >= s->fdtab_len) {
        size_t len = s->fdtab_len ? 2 * s->fdtab_len : 64;
        while (len <= i)
            len *= 2;
        struct fdent *t = realloc(s->fdtab, len * sizeof *t);
        if (!t)
            return NULL;
        memset(t + s->fdtab_len, 0, (len - s->fdtab_len) * sizeof *t);
        s->fdtab = t;
        s->fdtab_len = len;
    }
    return &s->fdtab[i];
}

static int arm_failed(struct sched *s, int fd, struct fdent *e, int err)
{
    if (err == EBADF) { /* closed: poll(2) would say POLLNVAL */
        e->registered = false;
        return ARM_BADF;
    }
    if (err == EPERM) /* a regular file: poll(2) says always ready */
        return ARM_ALWAYS;
    co_log(s, CONLAB_LOG_ERROR, "epoll_ctl(fd %d): %s", fd, strerror(err));
    return CONLAB_E_SYS;
}

/* Arm fd for `events` (EPOLL*): MOD an existing registration, else ADD one
 * under a new generation.  Returns ARM_*, or a negative status. */
static int fd_arm(struct sched *s, int fd, struct fdent *e, uint32_t events)
{
    struct epoll_event ev = {.events = events | EPOLLONESHOT};
    if (e->registered) {
        ev.data.u64 = fd_tag(fd, e->gen);
        if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) {
            return ARM_OK;
        }
        if (errno != ENOENT)
            return arm_failed(s, fd, e, errno);
        e->registered = false; /* closed since; maybe reused for a new file */
    }
    ev.data.u64 = fd_tag(fd, ++e->gen);
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        (errno != EEXIST || epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) != 0))
        return arm_failed(s, fd, e, errno);
    e->registered = true;
    return ARM_OK;
}

static uint32_t waiters_events(const struct fdent *e)
{
    uint32_t events = 0;
    for (const struct wait_slot *w = e->waiters; w; w = w->next)
        events |= poll_to_epoll(w->pfd->events);
    return events;
}

static void slot_link(struct sched *s, struct fdent *e, struct wait_slot *sl)
{
    sl->prev = NULL;
    sl->next = e->waiters;
    if (e->waiters)
        e->waiters->prev = sl;
    e->waiters = sl;
    sl->linked = true;
    s->n_linked++;
}

static void slot_unlink(struct sched *s, struct wait_slot *sl)
{
    if (!sl->linked)
        return;
    if (sl->prev)
        sl->prev->next = sl->next;
    else
        s->fdtab[sl->pfd->fd].waiters = sl->next;
    if (sl->next)
        sl->next->prev = sl->prev;
    sl->prev = sl->next = NULL;
    sl->linked = false;
    s->n_linked--;
}

/* What poll(2) reports at once for an fd epoll cannot watch. */
static short immediate_revents(int arm, short events)
{
    if (arm == ARM_BADF)
        return POLLNVAL;
    return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

/* Wake every waiter of `e` with what poll(2) would report after `arm`. */
static void fd_fail_waiters(struct sched *s, struct fdent *e, int arm)
{
    while (e->waiters) {
        struct wait_slot *sl = e->waiters;
        sl->pfd->revents |=
            arm < 0 ? POLLERR : immediate_revents(arm, sl->pfd->events);
        slot_unlink(s, sl);
        co_wake(s, sl->co);
    }
}

/* Watch pfd for coroutine co.  Returns 0 when the slot is linked (or the fd
 * can never become ready), 1 when pfd->revents is already set, or a
 * negative status. */
static int fd_watch(struct sched *s, struct coro *co, struct wait_slot *sl,
                    struct pollfd *pfd)
{
    struct fdent *e = fd_entry(s, pfd->fd);
    if (!e)
        return CONLAB_E_NOMEM;
    /* One epoll_ctl per fd per wait, even when the registration may still
     * be armed: only the kernel knows whether the fd number was closed (or
     * reused for another file) since the last wait, and MOD tells. */
    uint32_t need = poll_to_epoll(pfd->events) | waiters_events(e);
    int arm = fd_arm(s, pfd->fd, e, need);
    if (arm < 0)
        return arm;
    if (arm != ARM_OK) { /* other waiters of this fd learn it too */
        fd_fail_waiters(s, e, arm);
        pfd->revents = immediate_revents(arm, pfd->events);
        return pfd->revents != 0;
    }
    sl->co = co;
    sl->pfd = pfd;
    slot_link(s, e, sl);
    return 0;
}

/* One epoll event: hand it to the waiters that asked for it. */
static void fd_dispatch(struct sched *s, const struct epoll_event *ev)
{
    int fd = (int)(ev->data.u64 >> 32);
    uint32_t gen = (uint32_t)ev->data.u64;
    if ((size_t)fd >= s->fdtab_len)
        return;
    struct fdent *e = &s->fdtab[fd];
    if (!e->registered || e->gen != gen)
        return; /* a stale registration of a closed-and-reused fd number */
    short rev = epoll_to_poll(ev->events);
    struct wait_slot *sl = e->waiters;
    while (sl) {
        struct wait_slot *next = sl->next;
        short got = rev & (sl->pfd->events | POLLERR | POLLHUP);
        if (got) {
            sl->pfd->revents |= got;
            slot_unlink(s, sl);
            co_wake(s, sl->co);
        }
        sl = next;
    }
    if (e->waiters) { /* some wanted other events: re-arm for them */
        int arm = fd_arm(s, fd, e, waiters_events(e));
        if (arm != ARM_OK)
            fd_fail_waiters(s, e, arm);
    }
}

/* ------------------------------------------------------------------------ */
/* The waiter                                                                */
/* ------------------------------------------------------------------------ */

/* One non-blocking poll(2) of the fds. */
static int poll_now(struct coro *co, struct pollfd *fds, unsigned nfds)
{
    int n;
    do
        n = poll(fds, (nfds_t)nfds, 0);
    while (n < 0 && errno == EINTR);
    if (n < 0) {
        co_log(co->s, CONLAB_LOG_ERROR, "poll(%u fds): %s", nfds,
               strerror(errno));
        return CONLAB_E_SYS;
    }
    return n;
}

static int wait_fds(struct coro *co, struct pollfd *fds, unsigned nfds,
                    int64_t timeout_ns)
{
    struct sched *s = co->s;
    struct wait_slot inline_slots[INLINE_SLOTS];
    struct wait_slot *slots = inline_slots;
    if (nfds > INLINE_SLOTS) {
        slots = calloc(nfds, sizeof *slots);
        if (!slots)
            return CONLAB_E_NOMEM;
    } else {
        memset(slots, 0, nfds * sizeof *slots);
    }
    int rc = CONLAB_OK, ready = 0;
    for (unsigned i = 0; i < nfds; i++)
        fds[i].revents = 0;
    for (unsigned i = 0; i < nfds && rc == CONLAB_OK; i++) {
        if (fds[i].fd < 0)
            continue; /* ignored, as poll(2) does */
        int r = fd_watch(s, co, &slots[i], &fds[i]);
        if (r < 0)
            rc = r;
        else
            ready += r;
    }
    if (rc == CONLAB_OK && ready == 0)
        rc = co_park_timed(co, timeout_ns);
    for (unsigned i = 0; i < nfds; i++)
        slot_unlink(s, &slots[i]);
    if (slots != inline_slots)
        free(slots);
    if (rc != CONLAB_OK)
        return rc;
    if (ready > 0) /* a closed fd or a regular file: ready now, like the */
        return poll_now(co, fds, nfds); /* others poll(2) would report */
    int n = 0;
    for (unsigned i = 0; i < nfds; i++)
        n += fds[i].revents != 0;
    return n;
}

static int co_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                   int64_t timeout_ns)
{
    struct coro *co = ctx;
    struct sched *s = co->s;
    if (s->current != co) {
        co_log(s, CONLAB_LOG_ERROR,
               "worker %u's waiter called outside its own coroutine", co->id);
        return CONLAB_E_INVAL;
    }
    if (nfds > 0 && !fds)
        return CONLAB_E_INVAL;
    if (timeout_ns == 0) {
        int n = nfds > 0 ? poll_now(co, fds, nfds) : 0;
        if (n == 0)
            co_yield(co); /* let a polling loop make progress for others */
        return n;
    }
    if (nfds == 0) {
        int rc = co_park_timed(co, timeout_ns);
        return rc < 0 ? rc : 0;
    }
    return wait_fds(co, fds, nfds, timeout_ns);
}

/* ------------------------------------------------------------------------ */
/* Coroutines: start, run, finish                                            */
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
        co_log(s, CONLAB_LOG_ERROR, "cannot make a context: %s",
               strerror(errno));
        pool_put(&s->pool, co);
        return CONLAB_E_SYS;
    }
    s->n_spawned++;
    live_add(s, co);
    run_one(s, co);
    return CONLAB_OK;
}

static bool can_spawn(const struct sched *s)
{
    return !s->spawn_failed && s->n_spawned < s->n_workers;
}

static void spawn_some(struct sched *s)
{
    for (int k = 0; k < SPAWN_BATCH && can_spawn(s); k++) {
        if (spawn_one(s) != CONLAB_OK) {
            s->spawn_failed = true;
            co_log(s, CONLAB_LOG_ERROR,
                   "could start only %u of %u coroutines; the others' "
                   "tasks go to the running ones",
                   s->n_spawned, s->n_workers);
        }
    }
}

static void run_ready(struct sched *s)
{
    for (size_t n = s->n_ready; n > 0; n--) {
        struct coro *co = ready_pop(s);
        if (!co)
            break;
        run_one(s, co);
    }
}

/* Give up on every live coroutine: each is a lost worker. */
static void abandon_all(struct sched *s, const char *reason)
{
    const struct conlab_job *job = s->job;
    co_log(s, CONLAB_LOG_ERROR, "%zu coroutine(s) abandoned: %s", s->n_live,
           reason);
    while (s->live) {
        struct coro *co = s->live;
        if (job->worker_lost)
            job->worker_lost(job, co->id, reason);
        live_remove(s, co);
        coctx_release(&co->ctx);
    }
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */
/* ------------------------------------------------------------------------ */

static int ns_to_ms_ceil(int64_t ns)
{
    int64_t ms = ns / 1000000 + (ns % 1000000 != 0);
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int io_wait(struct sched *s, int64_t timeout_ns)
{
#ifdef __GLIBC_PREREQ
#if __GLIBC_PREREQ(2, 35)
    if (s->pwait2) {
        struct timespec ts, *tsp = NULL;
        if (timeout_ns >= 0) {
            ts.tv_sec = (time_t)(timeout_ns / NS_PER_S);
            ts.tv_nsec = (long)(timeout_ns % NS_PER_S);
            tsp = &ts;
        }
        int n = epoll_pwait2(s->epfd, s->events, EVENTS_MAX, tsp, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        s->pwait2 = false; /* kernel older than 5.11: millisecond timeouts */
    }
#endif
#endif
    return epoll_wait(s->epfd, s->events, EVENTS_MAX,
                      timeout_ns < 0 ? -1 : ns_to_ms_ceil(timeout_ns));
}

/* Arm the timerfd to expire at `deadline`; false when it cannot be used. */
static bool timerfd_arm(struct sched *s, uint64_t deadline)
{
    if (s->tfd < 0)
        return false;
    if (s->tfd_armed == deadline)
        return true;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(deadline / NS_PER_S),
                     .tv_nsec = (long)(deadline % NS_PER_S)},
    };
    if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
        co_log(s, CONLAB_LOG_WARN, "timerfd_settime: %s; timers get "
               "epoll's timer slack", strerror(errno));
        close(s->tfd);
        s->tfd = -1;
        return false;
    }
    s->tfd_armed = deadline;
    return true;
}

/* Wait for fd events (up to timeout_ns, the nearest timer being at
 * `deadline` if not 0) and hand them to their waiters. */
static int poll_io(struct sched *s, int64_t timeout_ns, uint64_t deadline)
{
    if (timeout_ns == 0 && s->n_linked == 0)
        return CONLAB_OK; /* nobody waits for an fd: nothing to look at */
    if (timeout_ns > 0 && deadline && timerfd_arm(s, deadline))
        timeout_ns += TIMER_BACKSTOP_NS; /* the timerfd wakes us first */
    int n = io_wait(s, timeout_ns);
    if (n < 0) {
        if (errno == EINTR)
            return CONLAB_OK;
        co_log(s, CONLAB_LOG_ERROR, "epoll_wait: %s", strerror(errno));
        return CONLAB_E_SYS;
    }
    for (int i = 0; i < n; i++)
        if (s->events[i].data.u64 != TIMERFD_TAG)
            fd_dispatch(s, &s->events[i]);
    return CONLAB_OK;
}

/* How long the next epoll wait may block: 0 when something can run now,
 * until the nearest timer (its deadline in *deadline), -1 for ever (fd
 * waits only); -2 when nothing at all could wake the parked coroutines. */
static int64_t next_timeout(struct sched *s, uint64_t *deadline)
{
    *deadline = 0;
    if (s->n_ready > 0 || can_spawn(s))
        return 0;
    heap_prune(s);
    if (s->heap_len > 0) {
        uint64_t now = now_ns(), d = s->heap[0].deadline;
        if (d <= now)
            return 0;
        *deadline = d;
        return d - now > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)(d - now);
    }
    return s->n_linked > 0 ? -1 : -2;
}

static int sched_loop(struct sched *s)
{
    for (;;) {
        run_ready(s);
        spawn_some(s);
        if (s->n_live == 0 && !can_spawn(s))
            return s->spawn_failed ? CONLAB_E_NOMEM : CONLAB_OK;
        uint64_t deadline;
        int64_t timeout = next_timeout(s, &deadline);
        if (timeout == -2) {
            abandon_all(s, "deadlock: waiting forever with no fd or timer "
                           "that could wake it");
            return CONLAB_E_LOST;
        }
        if (poll_io(s, timeout, deadline) != CONLAB_OK) {
            abandon_all(s, "the event loop failed");
            return CONLAB_E_SYS;
        }
        expire_timers(s);
    }
}

/* The timerfd, edge-triggered so that it never needs reading; without it
 * timers just get epoll's slack. */
static void timerfd_open(struct sched *s)
{
    s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->tfd < 0) {
        co_log(s, CONLAB_LOG_WARN, "timerfd_create: %s", strerror(errno));
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
                             .data.u64 = TIMERFD_TAG};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &ev) != 0) {
        co_log(s, CONLAB_LOG_WARN, "epoll_ctl(timerfd): %s", strerror(errno));
        close(s->tfd);
        s->tfd = -1;
    }
}

static int sched_init(struct sched *s, const struct conlab_job *job,
                      const struct coro_config *cfg)
{
    memset(s, 0, sizeof *s);
    s->job = job;
    s->n_workers = job->n_workers;
    s->pwait2 = true;
    s->tfd = -1;
    coctx_init_self(&s->self);
    pool_init(&s->pool, (size_t)cfg->stack_kib * 1024, job->n_workers);
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        co_log(s, CONLAB_LOG_ERROR, "epoll_create1: %s", strerror(errno));
        return CONLAB_E_SYS;
    }
    timerfd_open(s);
    return CONLAB_OK;
}

static void sched_fini(struct sched *s)
{
    if (s->tfd >= 0)
        close(s->tfd);
    if (s->epfd >= 0)
        close(s->epfd);
    free(s->heap);
    free(s->fdtab);
    pool_fini(&s->pool);
}

/* ------------------------------------------------------------------------ */
/* The strategy                                                              */
/* ------------------------------------------------------------------------ */

static int coro_workers(const void *config, uint64_t n_tasks,
                        unsigned *n_workers)
{
    const struct coro_config *cfg = config;
    (void)n_tasks; /* every coroutine is a worker, tasks or not */
    if (!cfg || !n_workers || cfg->concurrency < 1 ||
        cfg->concurrency > CONCURRENCY_MAX)
        return CONLAB_E_INVAL;
    *n_workers = (unsigned)cfg->concurrency;
    return CONLAB_OK;
}

static int coro_run(const struct conlab_job *job, const void *config)
{
    const struct coro_config *cfg = config;
    if (!job || !cfg || job->n_workers < 1 || !job->worker_begin ||
        !job->run_task || !job->worker_end || !job->claim ||
        cfg->stack_kib < STACK_KIB_MIN || cfg->stack_kib > STACK_KIB_MAX)
        return CONLAB_E_INVAL;
    struct sched *s = malloc(sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    int rc = sched_init(s, job, cfg);
    if (rc == CONLAB_OK) {
        if (job->bind && (rc = job->bind(job, 0)) != CONLAB_OK)
            co_log(s, CONLAB_LOG_WARN, "bind(worker 0): %s; running unbound",
                   conlab_strerror(rc));
        co_log(s, CONLAB_LOG_DEBUG, "%u coroutines, %" PRId64 " KiB stacks, "
               "%s context switch", s->n_workers, cfg->stack_kib,
               coctx_flavour());
        rc = sched_loop(s);
    }
    sched_fini(s);
    free(s);
    return rc;
}

static const struct conlab_param coro_params[] = {
    {"concurrency", CONLAB_PARAM_INT, "100", 1, CONCURRENCY_MAX, NULL,
     "coroutines on the one scheduler thread; each one is a worker",
     offsetof(struct coro_config, concurrency)},
    {"stack_kib", CONLAB_PARAM_INT, "64", STACK_KIB_MIN, STACK_KIB_MAX, NULL,
     "stack of each coroutine in KiB, above a guard page",
     offsetof(struct coro_config, stack_kib)},
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops coro_ops = {
    .struct_size = sizeof(struct conlab_strategy_ops),
    .workers = coro_workers,
    .run = coro_run,
};

static const struct conlab_plugin coro_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = "coroutines",
    .summary = "cooperative coroutines on one thread, epoll and a timer heap",
    .version = "1.0.0",
    .params = coro_params,
    .config_size = sizeof(struct coro_config),
    .strategy = &coro_ops,
};

CONLAB_PLUGIN_DEFINE(coro_plugin)

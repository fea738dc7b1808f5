/* waiter.c — the waiter each coroutine hands worker_begin: it parks the
 * coroutine instead of blocking the thread.  See sched.h. */
#define _GNU_SOURCE
#include "sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_SLOTS 4 /* fds a wait handles without malloc */

/* The slots of a wait, and the pollfds they point at while it is parked:
 * the caller's, on the stack, or under shared stacks (the stack is copied
 * away while parked) copies in co->wait_mem.  NULL: out of memory. */
static struct wait_slot *wait_area(struct coro *co, struct pollfd *fds,
                                   unsigned nfds, struct wait_slot *inline_slots,
                                   struct pollfd **watch)
{
    struct wait_slot *slots = inline_slots;
    *watch = fds;
    if (sched_of(co)->co.pool.shared) {
        size_t need = nfds * (sizeof *slots + sizeof *fds);
        if (need > co->wait_cap) {
            void *m = realloc(co->wait_mem, need);
            if (!m)
                return NULL;
            co->wait_mem = m;
            co->wait_cap = need;
        }
        slots = co->wait_mem;
        *watch = (struct pollfd *)(void *)(slots + nfds);
        memcpy(*watch, fds, nfds * sizeof *fds);
    } else if (nfds > INLINE_SLOTS) {
        return calloc(nfds, sizeof *slots);
    }
    memset(slots, 0, nfds * sizeof *slots);
    return slots;
}

/* Not inlined into co_wait: its slots would enlarge the frame of every
 * sleep too, and under shared stacks every parked byte is copied. */
static __attribute__((noinline)) int wait_fds(struct coro *co, struct pollfd *fds,
                                              unsigned nfds, int64_t timeout_ns)
{
    struct sched *s = sched_of(co);
    struct wait_slot inline_slots[INLINE_SLOTS];
    struct pollfd *watch;
    struct wait_slot *slots = wait_area(co, fds, nfds, inline_slots, &watch);
    if (!slots)
        return CONLAB_E_NOMEM;
    bool own_alloc = slots != inline_slots && watch == fds;
    int rc = CONLAB_OK, ready = 0;
    for (unsigned i = 0; i < nfds; i++)
        watch[i].revents = 0;
    for (unsigned i = 0; i < nfds && rc == CONLAB_OK; i++) {
        if (watch[i].fd < 0)
            continue; /* ignored, as poll(2) does */
        int r = fd_watch(s, co, &slots[i], &watch[i]);
        if (r < 0)
            rc = r;
        else
            ready += r;
    }
    if (rc == CONLAB_OK && ready == 0)
        rc = co_park_timed(co, timeout_ns);
    for (unsigned i = 0; i < nfds; i++)
        slot_unlink(s, &slots[i]);
    if (own_alloc)
        free(slots);
    if (watch != fds)
        for (unsigned i = 0; i < nfds; i++)
            fds[i].revents = watch[i].revents;
    if (rc != CONLAB_OK)
        return rc;
    if (ready > 0) /* a closed fd or a regular file: ready now, like the */
        return co_poll_now(co, fds, nfds); /* others poll(2) would report */
    int n = 0;
    for (unsigned i = 0; i < nfds; i++)
        n += fds[i].revents != 0;
    return n;
}

int co_wait(void *ctx, struct pollfd *fds, unsigned nfds,
            int64_t timeout_ns)
{
    int n;
    if (co_wait_settled(ctx, fds, nfds, timeout_ns, &n))
        return n;
    return wait_fds(ctx, fds, nfds, timeout_ns);
}

/* waiter.c — the waiter each coroutine hands worker_begin: it parks the
 * coroutine instead of blocking the thread.  See sched.h. */
#define _GNU_SOURCE
#include "sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define INLINE_SLOTS 4 /* fds a wait handles without malloc */

static int wait_fds(struct coro *co, struct pollfd *fds, unsigned nfds,
                    int64_t timeout_ns)
{
    struct sched *s = sched_of(co);
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

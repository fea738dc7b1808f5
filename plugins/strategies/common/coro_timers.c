/* coro_timers.c — the timer heap: a binary min-heap of (deadline, seq,
 * coroutine), and parking with a timeout.  See coro.h. */
#define _GNU_SOURCE
#include "coro.h"

#include <stdlib.h>

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

static void heap_pop(struct co_sched *s)
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
static void timers_prune(struct co_sched *s)
{
    while (s->heap_len > 0 && !timer_live(&s->heap[0])) {
        heap_pop(s);
        s->n_stale--;
    }
}

/* Drop every stale entry and re-heapify: keeps the heap within twice the
 * live timers when waits mostly end (by fd) long before their timeout. */
static void heap_compact(struct co_sched *s)
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

uint64_t timers_next(struct co_sched *s)
{
    timers_prune(s);
    return s->heap_len > 0 ? s->heap[0].deadline : 0;
}

int timer_add(struct co_sched *s, struct coro *co, uint64_t deadline)
{
    if (s->n_stale > 1024 && s->n_stale > s->heap_len / 2)
        heap_compact(s);
    if (s->heap_len == s->heap_cap) {
        struct timer *h = grow_array(s->heap, &s->heap_cap, sizeof *h, 64);
        if (!h)
            return CONLAB_E_NOMEM;
        s->heap = h;
    }
    co->timer_seq = ++s->timer_seq;
    s->heap[s->heap_len] = (struct timer){deadline, co->timer_seq, co};
    heap_sift_up(s->heap, s->heap_len++);
    return CONLAB_OK;
}

void timer_cancel(struct co_sched *s, struct coro *co)
{
    if (co->timer_seq == 0)
        return;
    co->timer_seq = 0;
    s->n_stale++;
}

void timers_expire(struct co_sched *s)
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

int co_park_timed(struct coro *co, int64_t timeout_ns)
{
    struct co_sched *s = co->s;
    if (timeout_ns >= 0) {
        int rc = timer_add(s, co, deadline_after(timeout_ns));
        if (rc != CONLAB_OK)
            return rc;
    }
    co_park(co);
    timer_cancel(s, co);
    return CONLAB_OK;
}

/* deque.c — see deque.h. */
#include "deque.h"

#include <stdlib.h>

#define RLX memory_order_relaxed

static struct ws_ring *ring_new(int64_t size, struct ws_ring *older)
{
    struct ws_ring *r =
        calloc(1, sizeof *r + (size_t)size * sizeof(struct ws_slot));
    if (r) {
        r->size = size;
        r->older = older;
    }
    return r;
}

static void slot_put(struct ws_ring *r, int64_t i, const struct ws_item *it)
{
    struct ws_slot *s = &r->slot[i & (r->size - 1)];
    atomic_store_explicit(&s->fn, it->fn, RLX);
    atomic_store_explicit(&s->arg, it->arg, RLX);
    atomic_store_explicit(&s->g, it->g, RLX);
}

static void slot_get(struct ws_ring *r, int64_t i, struct ws_item *it)
{
    struct ws_slot *s = &r->slot[i & (r->size - 1)];
    it->fn = atomic_load_explicit(&s->fn, RLX);
    it->arg = atomic_load_explicit(&s->arg, RLX);
    it->g = atomic_load_explicit(&s->g, RLX);
}

int deque_init(struct ws_deque *q, int64_t capacity)
{
    int64_t size = 64;
    while (size < capacity)
        size *= 2;
    struct ws_ring *r = ring_new(size, NULL);
    if (!r)
        return -1;
    atomic_init(&q->top, 0);
    atomic_init(&q->bottom, 0);
    atomic_init(&q->ring, r);
    return 0;
}

void deque_fini(struct ws_deque *q)
{
    struct ws_ring *r = atomic_load_explicit(&q->ring, RLX);
    while (r) {
        struct ws_ring *older = r->older;
        free(r);
        r = older;
    }
    atomic_store_explicit(&q->ring, NULL, RLX);
}

/* Owner only: a ring twice as big holding items t..b-1; NULL when out of
 * memory.  The old ring stays readable for thieves. */
static struct ws_ring *grow(struct ws_deque *q, struct ws_ring *a, int64_t t,
                            int64_t b)
{
    struct ws_ring *r = ring_new(a->size * 2, a);
    if (!r)
        return NULL;
    for (int64_t i = t; i < b; i++) {
        struct ws_item it;
        slot_get(a, i, &it);
        slot_put(r, i, &it);
    }
    /* release: a thief that loads the new ring sees its slots */
    atomic_store_explicit(&q->ring, r, memory_order_release);
    return r;
}

int deque_push(struct ws_deque *q, const struct ws_item *it)
{
    int64_t b = atomic_load_explicit(&q->bottom, RLX);
    int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
    struct ws_ring *a = atomic_load_explicit(&q->ring, RLX);
    if (b - t > a->size - 1) {
        a = grow(q, a, t, b);
        if (!a)
            return -1;
    }
    slot_put(a, b, it);
    /* The paper's release fence then a relaxed store: a release store is
     * as strong here, and ThreadSanitizer (which ignores fences) sees it. */
    atomic_store_explicit(&q->bottom, b + 1, memory_order_release);
    return 0;
}

int deque_take(struct ws_deque *q, struct ws_item *it)
{
    int64_t b = atomic_load_explicit(&q->bottom, RLX) - 1;
    struct ws_ring *a = atomic_load_explicit(&q->ring, RLX);
    atomic_store_explicit(&q->bottom, b, RLX);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t t = atomic_load_explicit(&q->top, RLX);
    if (t > b) { /* empty */
        atomic_store_explicit(&q->bottom, b + 1, RLX);
        return 0;
    }
    slot_get(a, b, it);
    if (t == b) { /* the last item: race the thieves for it */
        int won = atomic_compare_exchange_strong_explicit(
            &q->top, &t, t + 1, memory_order_seq_cst, RLX);
        atomic_store_explicit(&q->bottom, b + 1, RLX);
        return won;
    }
    return 1;
}

enum ws_steal deque_steal(struct ws_deque *q, struct ws_item *it)
{
    int64_t t = atomic_load_explicit(&q->top, memory_order_acquire);
    atomic_thread_fence(memory_order_seq_cst);
    int64_t b = atomic_load_explicit(&q->bottom, memory_order_acquire);
    if (t >= b)
        return WS_EMPTY;
    /* the paper's consume; acquire is what compilers implement it as */
    struct ws_ring *a = atomic_load_explicit(&q->ring, memory_order_acquire);
    slot_get(a, t, it);
    if (!atomic_compare_exchange_strong_explicit(&q->top, &t, t + 1,
                                                 memory_order_seq_cst, RLX))
        return WS_ABORT;
    return WS_GOT;
}

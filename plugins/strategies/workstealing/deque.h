/*
 * deque.h — a growable Chase–Lev work-stealing deque of items, private to
 * the workstealing strategy.
 *
 * One owner pushes and takes at the bottom; any number of thieves steal at
 * the top.  The memory orders and fences are those of Lê, Pop, Cohen and
 * Zappa Nardelli, "Correct and efficient work-stealing for weak memory
 * models" (PPoPP 2013), figure 1: a seq_cst fence between the owner's
 * bottom store and top load in take, and between the thief's top and bottom
 * loads in steal; push publishes with a release store of `bottom` (the
 * paper's release fence plus relaxed store, in the form ThreadSanitizer
 * understands).
 *
 * An item is three words, each its own relaxed atomic: a thief may read a
 * slot while the owner rewrites it after a wrap-around, but then the thief's
 * CAS on `top` fails and what it read is thrown away.  When the ring is
 * full the owner doubles it; the old rings stay allocated (a thief may still
 * read one) until deque_fini.
 */
#ifndef CONLAB_WORKSTEALING_DEQUE_H
#define CONLAB_WORKSTEALING_DEQUE_H

#include <conlab/conlab_plugin.h>

#include <stdatomic.h>
#include <stdint.h>

struct ws_group;

/* A unit of work: a child fn(arg) of group g, or (g == NULL) the top-level
 * task whose index is (uintptr_t)arg. */
struct ws_item {
    conlab_child_fn fn;
    void *arg;
    struct ws_group *g;
};

struct ws_slot {
    _Atomic(conlab_child_fn) fn;
    _Atomic(void *) arg;
    _Atomic(struct ws_group *) g;
};

struct ws_ring {
    int64_t size; /* a power of two */
    struct ws_ring *older; /* the ring this one replaced, freed at fini */
    struct ws_slot slot[];
};

struct ws_deque {
    _Alignas(64) atomic_int_least64_t top;
    _Alignas(64) atomic_int_least64_t bottom;
    _Atomic(struct ws_ring *) ring;
};

enum ws_steal { WS_EMPTY = 0, WS_GOT = 1, WS_ABORT = 2 };

/* An empty deque with room for at least `capacity` items.  Returns 0, or -1
 * when out of memory. */
int deque_init(struct ws_deque *q, int64_t capacity);

/* Frees every ring; no thread may use q any more.  Accepts a zeroed q. */
void deque_fini(struct ws_deque *q);

/* Owner only: push `it` at the bottom, growing the ring when full.  Returns
 * 0, or -1 when the ring could not grow (the item was not pushed). */
int deque_push(struct ws_deque *q, const struct ws_item *it);

/* Owner only: take the bottom item into *it.  Returns 1, or 0 when empty. */
int deque_take(struct ws_deque *q, struct ws_item *it);

/* Any thread but the owner: steal the top item into *it.  Returns WS_GOT,
 * WS_EMPTY, or WS_ABORT when another thread won the race for it. */
enum ws_steal deque_steal(struct ws_deque *q, struct ws_item *it);

#endif

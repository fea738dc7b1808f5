/* claim.c — see claim.h.
 *
 * One fetch_add per task on a counter every worker shares bounces its cache
 * line between the CPUs on every claim, and so do the 64-byte task records
 * next to each other that alternating CPUs write.  So a claimer takes a
 * guided chunk (remaining / (4 * workers), 1 .. CL_CLAIM_CHUNK) from the
 * counter into its own slot and pops from there; when the counter is spent
 * it steals the upper half of another slot.
 *
 * Measured on a 2-vCPU KVM guest: noop, 1,000,000 tasks, pinning compact,
 * the cell's wall median over 5 repetitions; the range over 3 runs, before
 * and after:
 *     threads(2)  0.188 to 0.192 s   ->  0.061 s
 *     threads(1)  0.070 to 0.072 s   ->  0.071 to 0.073 s
 *     sequential  0.062 to 0.063 s   ->  0.062 to 0.065 s
 * (with other jobs loading the guest, threads(2) 0.101 to 0.187 s before,
 * 0.061 to 0.091 s after).  Claims alone, no task: 6.5 ns a claim on one
 * thread, 4.2 ns of wall on two.  The tail balances as before under
 * threads(2): fib(n=25, tasks=200) 0.022 s before and after (threads(1)
 * 0.038 to 0.041 s); sleep (2 ms exponential, 400 tasks, 0.400 s if
 * perfectly balanced) 0.424 s before and after.
 *
 * Why -1 is safe.  Every index the counter handed out is returned, or in a
 * slot, or in flight: between the counter (or a victim's slot) and the
 * mover's own slot.  Moves are counted in `moving` (active count and a
 * count of all begun), from before the fetch_add or CAS that takes the
 * indices to after the store that publishes them.  A claimer returns -1
 * only after reading the counter spent and then, with no move active when
 * the scan began and none begun when it ended, every slot empty: the scan
 * then saw each slot after any earlier move's publish and before any later
 * move's take, and a pop only removes an index by returning it.  Steals
 * are moves too: between a thief's CAS and its publish the rest of what it
 * took is in no slot, and a scan that read the victim after the CAS and the
 * thief's slot before the publish would see it nowhere.
 *
 * No ABA: ranges are unique absolute indices, and a slot's `next` only
 * leaves by being returned (a thief takes the upper half, all of a range
 * of one), so a slot never holds the same non-empty range twice. */
#include "claim.h"

#include <pthread.h>
#include <sched.h>
#include <unistd.h>

#include "util.h"

#define LO32 0xffffffffu
#define MOVE_BEGIN ((uint64_t)1 << 32 | 1u) /* one more begun, one more active */
#define GIVE_UP_NS 1000000000u              /* a move stuck this long: dead */

static uint64_t pack(uint64_t next, uint64_t end) { return next << 32 | end; }
static uint64_t range_next(uint64_t v) { return v >> 32; }
static uint64_t range_end(uint64_t v) { return v & LO32; }

void cl_claim_init(struct cl_claim *c, uint64_t n_tasks, unsigned n_workers)
{
    static _Atomic uint32_t inits;
    c->n_tasks = n_tasks;
    c->n_workers = n_workers ? n_workers : 1;
    /* unique among the processes alive, increasing within one */
    c->id = (uint64_t)(uint32_t)getpid() << 32 | (atomic_fetch_add(&inits, 1) + 1u);
}

/* ---- the calling thread's slot -------------------------------------------- */

/* Which slot this thread owns in which job: -1 for none (slots ran out, or
 * indices too large to pack). */
static _Thread_local struct {
    const struct cl_claim *c;
    uint64_t id;
    int slot;
} mine;

/* A forked child is a new claimer: its parent keeps the slot. */
static void forget_in_child(void) { mine.c = NULL; }

static void at_fork_once(void) { pthread_atfork(NULL, NULL, forget_in_child); }

/* Register the calling thread as a claimer of c: its slot, or -1. */
static __attribute__((noinline)) int register_slot(struct cl_claim *c)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, at_fork_once);
    int slot = -1;
    if (c->n_tasks <= LO32) {
        uint32_t k = atomic_fetch_add(&c->n_slots, 1);
        if (k < CL_CLAIM_SLOTS)
            slot = (int)k;
    }
    mine.c = c;
    mine.id = c->id;
    mine.slot = slot;
    return slot;
}

/* ---- taking indices -------------------------------------------------------- */

/* Pop the next index of slot s, or -1 when it is empty. */
static int64_t pop(struct cl_claim *c, int s)
{
    _Atomic uint64_t *r = &c->slot[s].range;
    uint64_t v = atomic_load_explicit(r, memory_order_acquire);
    while (range_next(v) < range_end(v))
        if (atomic_compare_exchange_weak_explicit(
                r, &v, v + ((uint64_t)1 << 32), memory_order_acq_rel,
                memory_order_acquire))
            return (int64_t)range_next(v);
    return -1;
}

/* Take a guided chunk from the counter: return its first index and cache
 * the rest in slot s (none: take one).  -1 when the counter is spent. */
static int64_t refill(struct cl_claim *c, int s)
{
    uint64_t n = c->n_tasks;
    uint64_t at = atomic_load(&c->next);
    if (at >= n)
        return -1;
    uint64_t chunk = (n - at) / (4u * (uint64_t)c->n_workers);
    if (chunk > CL_CLAIM_CHUNK)
        chunk = CL_CLAIM_CHUNK;
    if (s < 0 || chunk <= 1) {
        uint64_t i = atomic_fetch_add(&c->next, 1);
        return i < n ? (int64_t)i : -1;
    }
    atomic_fetch_add(&c->moving, MOVE_BEGIN);
    uint64_t base = atomic_fetch_add(&c->next, chunk);
    uint64_t hi = base + chunk < n ? base + chunk : n;
    if (base + 1 < hi)
        atomic_store(&c->slot[s].range, pack(base + 1, hi));
    atomic_fetch_sub(&c->moving, 1);
    return base < n ? (int64_t)base : -1;
}

/* Steal from slot k, last seen holding v, into slot s (none: one index).
 * Returns the stolen index, -1 if slot k became empty. */
static int64_t steal_from(struct cl_claim *c, unsigned k, uint64_t v, int s)
{
    _Atomic uint64_t *r = &c->slot[k].range;
    int64_t got = -1;
    atomic_fetch_add(&c->moving, MOVE_BEGIN);
    while (range_next(v) < range_end(v)) {
        uint64_t end = range_end(v);
        uint64_t take = s < 0 ? 1 : (end - range_next(v) + 1) / 2;
        if (atomic_compare_exchange_weak(r, &v, pack(range_next(v), end - take))) {
            got = (int64_t)(end - take);
            if (take > 1)
                atomic_store(&c->slot[s].range, pack(end - take + 1, end));
            break;
        }
    }
    atomic_fetch_sub(&c->moving, 1);
    return got;
}

/* The counter is spent: steal from the other slots until an index comes or
 * a quiet scan finds them all empty (-1). */
static int64_t steal(struct cl_claim *c, int s)
{
    uint64_t last = 0, since = 0; /* `moving` as last seen, and since when */
    for (;;) {
        uint64_t before = atomic_load(&c->moving);
        uint32_t ns = atomic_load(&c->n_slots);
        if (ns > CL_CLAIM_SLOTS)
            ns = CL_CLAIM_SLOTS;
        int seen = 0; /* a non-empty slot, even if it emptied under us */
        for (uint32_t j = 1; j <= ns; j++) {
            unsigned k = (unsigned)((uint32_t)(s + (int)j) % ns);
            if ((int)k == s)
                continue;
            uint64_t v = atomic_load(&c->slot[k].range);
            if (range_next(v) >= range_end(v))
                continue;
            seen = 1;
            int64_t i = steal_from(c, k, v, s);
            if (i >= 0)
                return i;
        }
        if (seen)
            continue;
        uint64_t after = atomic_load(&c->moving);
        if ((before & LO32) == 0 && after == before)
            return -1;
        /* A move is under way: its owner may be descheduled (let it run),
         * or dead (give up once nothing moved for GIVE_UP_NS). */
        uint64_t now = cl_now_ns();
        if (!since || after != last) {
            last = after;
            since = now;
        } else if (now - since > GIVE_UP_NS) {
            return -1;
        }
        sched_yield();
    }
}

/* The own slot is spent (or there is none): the counter, else the others. */
static __attribute__((noinline)) int64_t claim_slow(struct cl_claim *c, int s)
{
    int64_t i = refill(c, s);
    return i >= 0 ? i : steal(c, s);
}

int64_t cl_claim_next(struct cl_claim *c)
{
    int s = mine.c == c && mine.id == c->id ? mine.slot : register_slot(c);
    if (s >= 0) {
        int64_t i = pop(c, s);
        if (i >= 0)
            return i;
    }
    return claim_slow(c, s);
}

/* claim.h — handing out the task indices of a repetition (the host's
 * job->claim): guided chunks from one global counter, cached in per-thread
 * ranges that idle claimers steal from.  The state lives in the repetition's
 * MAP_SHARED header, so threads and forked processes claim from it alike.
 * Host-private. */
#ifndef CONLAB_HOST_CLAIM_H
#define CONLAB_HOST_CLAIM_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

/* How many threads (in any process) get a range of their own; the others
 * take indices one at a time from the global counter. */
#define CL_CLAIM_SLOTS 64
/* The largest chunk a claimer takes from the global counter. */
#define CL_CLAIM_CHUNK 64

/* One claimer's cached range [next, end) of absolute task indices, packed as
 * next << 32 | end, on a cache line of its own.  Only its owner stores into
 * it while it is empty; anyone may CAS it while it is not. */
struct cl_claim_slot {
    alignas(64) _Atomic uint64_t range;
};

/* The claim state of one repetition.  All zero (as a fresh mapping, or after
 * memset) is "not initialised": cl_claim_init sets it up. */
struct cl_claim {
    /* read-only once initialised */
    uint64_t n_tasks;
    uint32_t n_workers;
    uint64_t id; /* tells this job from the ones before it at this address */
    /* the global counter: the first index no claimer has taken yet (it may
     * run past n_tasks) */
    alignas(64) _Atomic uint64_t next;
    /* indices in flight between the counter or a slot and a claimer's own
     * slot: low 32 bits how many such moves are under way, high 32 bits
     * how many ever began (so a scan can tell none began meanwhile) */
    _Atomic uint64_t moving;
    _Atomic uint32_t n_slots; /* slots handed out (may exceed CL_CLAIM_SLOTS) */
    struct cl_claim_slot slot[CL_CLAIM_SLOTS];
};

/* Set up c for n_tasks indices claimed by about n_workers workers (it sizes
 * the chunks).  c must be all zero (fresh or memset), and no one may claim
 * from it yet.  Call it in the process that then runs (or forks) the
 * claimers. */
void cl_claim_init(struct cl_claim *c, uint64_t n_tasks, unsigned n_workers);

/* The next task index for the calling thread, or -1 when every index has
 * been handed out.  Any thread of any process sharing c may call it.
 *
 * The guarantee: every index 0 .. n_tasks-1 is returned by exactly one call,
 * in any process or thread, as long as SOME caller keeps calling until it
 * gets -1.  A caller that stops early (one claim, then gone) leaves the rest
 * of its cached range to the others, who steal it before they see -1; and
 * -1 is final: once a call returned it, every later call returns it too.
 *
 * One exception: a process that dies in the few instructions while it moves
 * a range (its counter fetch or steal taken, its slot not yet written) takes
 * that range with it.  A caller waiting for such a move to finish gives up
 * after a second without any progress and returns -1; those indices are
 * then never handed out (the exactly-once check reports them missing). */
int64_t cl_claim_next(struct cl_claim *c);

#endif

/* test-claim.c — handing out task indices (host/claim.h): every index
 * exactly once from one thread, from many, from threads that stop early,
 * from forked processes sharing the memory, with more claimers than slots,
 * with indices past 2^32, and a -1 that waits for a move under way. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "claim.h"
#include "util.h"

/* ---- helpers ---------------------------------------------------------------- */

/* Shared anonymous memory of `bytes` (zero), as the host maps a repetition. */
static void *shared(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    assert_true(p != MAP_FAILED);
    return p;
}

static struct cl_claim *fresh(uint64_t n_tasks, unsigned n_workers)
{
    struct cl_claim *c = shared(sizeof *c);
    cl_claim_init(c, n_tasks, n_workers);
    return c;
}

static uint64_t slot_range(struct cl_claim *c, unsigned k)
{
    return atomic_load(&c->slot[k].range);
}

static uint64_t pack(uint64_t next, uint64_t end) { return next << 32 | end; }

/* Claimers share one struct: the claim state and a count per index. */
struct run {
    struct cl_claim *c;
    _Atomic uint32_t *counts;
    uint64_t n;
    _Atomic uint64_t out_of_range;
    pthread_barrier_t *start; /* NULL: none */
    int once_then_wait;       /* claim one, wait at `start`, then drain */
};

static void take(struct run *r, int64_t i)
{
    if (i < 0 || (uint64_t)i >= r->n)
        atomic_fetch_add(&r->out_of_range, 1);
    else
        atomic_fetch_add_explicit(&r->counts[i], 1, memory_order_relaxed);
}

/* Claim until -1; returns how many indices this caller got. */
static uint64_t drain(struct run *r)
{
    uint64_t got = 0;
    int64_t i;
    while ((i = cl_claim_next(r->c)) >= 0) {
        take(r, i);
        got++;
    }
    return got;
}

static void *claimer(void *arg)
{
    struct run *r = arg;
    if (r->once_then_wait) {
        int64_t i = cl_claim_next(r->c);
        if (i >= 0)
            take(r, i);
    }
    if (r->start)
        pthread_barrier_wait(r->start);
    drain(r);
    return NULL;
}

/* One claim, then the thread is gone with whatever range it cached. */
static void *quitter(void *arg)
{
    struct run *r = arg;
    int64_t i = cl_claim_next(r->c);
    if (i >= 0)
        take(r, i);
    return NULL;
}

static struct run *new_run(uint64_t n, unsigned n_workers)
{
    struct run *r = shared(sizeof *r);
    r->c = fresh(n, n_workers);
    r->n = n;
    r->counts = shared(n ? n * sizeof *r->counts : 1);
    return r;
}

static void free_run(struct run *r)
{
    munmap(r->counts, r->n ? r->n * sizeof *r->counts : 1);
    munmap(r->c, sizeof *r->c);
    munmap(r, sizeof *r);
}

/* Every index exactly once, nothing out of range, and -1 from now on. */
static void assert_each_once(struct run *r)
{
    uint64_t missing = 0, repeated = 0;
    for (uint64_t i = 0; i < r->n; i++) {
        uint32_t k = atomic_load(&r->counts[i]);
        missing += k == 0;
        repeated += k > 1;
    }
    assert_int_equal(missing, 0);
    assert_int_equal(repeated, 0);
    assert_int_equal(atomic_load(&r->out_of_range), 0);
    assert_int_equal(cl_claim_next(r->c), -1);
}

static void run_threads(struct run *r, unsigned n_threads,
                        void *(*fn)(void *))
{
    pthread_t t[128];
    assert_true(n_threads <= 128);
    for (unsigned k = 0; k < n_threads; k++)
        assert_int_equal(pthread_create(&t[k], NULL, fn, r), 0);
    for (unsigned k = 0; k < n_threads; k++)
        pthread_join(t[k], NULL);
}

/* ---- one thread ------------------------------------------------------------- */

static void one_thread_in_order_then_minus_one(void **state)
{
    (void)state;
    const uint64_t ns[] = {0, 1, 3, 64, 65, 1000, 100000};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        struct cl_claim *c = fresh(ns[k], 2);
        for (uint64_t i = 0; i < ns[k]; i++)
            assert_int_equal(cl_claim_next(c), (int64_t)i);
        assert_int_equal(cl_claim_next(c), -1);
        assert_int_equal(cl_claim_next(c), -1);
        munmap(c, sizeof *c);
    }
}

/* The counter moves by a guided chunk, the rest waits in the caller's slot. */
static void chunks_are_guided(void **state)
{
    (void)state;
    struct cl_claim *c = fresh(1000000, 2);
    assert_int_equal(cl_claim_next(c), 0);
    assert_int_equal(atomic_load(&c->next), CL_CLAIM_CHUNK);
    assert_int_equal(atomic_load(&c->n_slots), 1);
    assert_int_equal(slot_range(c, 0), pack(1, CL_CLAIM_CHUNK));
    munmap(c, sizeof *c);

    /* remaining / (4 * workers): 40 / 8 = 5 */
    c = fresh(40, 2);
    assert_int_equal(cl_claim_next(c), 0);
    assert_int_equal(atomic_load(&c->next), 5);
    /* at the tail, one at a time and no slot involved */
    atomic_store(&c->next, 35);
    assert_int_equal(cl_claim_next(c), 1); /* still popping its chunk */
    for (int64_t i = 2; i < 5; i++)
        assert_int_equal(cl_claim_next(c), i);
    assert_int_equal(cl_claim_next(c), 35);
    assert_int_equal(atomic_load(&c->next), 36);
    assert_int_equal(slot_range(c, 0), pack(5, 5));
    munmap(c, sizeof *c);
}

/* The same memory, reset and set up again (as the host does between
 * repetitions): the thread registers anew rather than keeping its slot. */
static void reset_memory_is_a_new_job(void **state)
{
    (void)state;
    struct cl_claim *c = fresh(1000, 1);
    assert_int_equal(cl_claim_next(c), 0);
    assert_int_equal(atomic_load(&c->n_slots), 1);
    memset(c, 0, sizeof *c);
    cl_claim_init(c, 1000, 1);
    assert_int_equal(cl_claim_next(c), 0);
    assert_int_equal(atomic_load(&c->n_slots), 1);
    munmap(c, sizeof *c);
}

/* ---- threads ---------------------------------------------------------------- */

static void eight_threads_each_index_once(void **state)
{
    (void)state;
    const uint64_t ns[] = {1000000, 1, 3, 64, 65, 1000};
    for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
        for (int again = 0; again < (ns[k] < 1000 ? 50 : 1); again++) {
            struct run *r = new_run(ns[k], 8);
            run_threads(r, 8, claimer);
            assert_each_once(r);
            free_run(r);
        }
    }
}

/* Threads that claim once and leave: the others steal their ranges. */
static void early_quitters_lose_nothing(void **state)
{
    (void)state;
    struct run *r = new_run(100000, 4);
    run_threads(r, 3, quitter);
    assert_int_equal(atomic_load(&r->c->n_slots), 3);
    run_threads(r, 2, claimer);
    assert_each_once(r);
    free_run(r);

    /* all at once: quitters among busy claimers */
    r = new_run(100000, 8);
    pthread_t t[8];
    for (unsigned k = 0; k < 8; k++)
        assert_int_equal(pthread_create(&t[k], NULL, k % 2 ? quitter : claimer, r), 0);
    for (unsigned k = 0; k < 8; k++)
        pthread_join(t[k], NULL);
    assert_each_once(r);
    free_run(r);
}

/* A thief takes the upper half of a victim's range once the counter is spent. */
static void steal_takes_upper_half(void **state)
{
    (void)state;
    struct run *r = new_run(1000, 1);
    run_threads(r, 1, quitter); /* slot 0 keeps [1, 64) */
    assert_int_equal(slot_range(r->c, 0), pack(1, 64));
    atomic_store(&r->c->next, 1000);
    int64_t i = cl_claim_next(r->c);
    assert_int_equal(i, 32);
    take(r, i);
    assert_int_equal(slot_range(r->c, 0), pack(1, 32));
    assert_int_equal(slot_range(r->c, 1), pack(33, 64));
    /* mark what the counter skipped as handed out, then drain the rest */
    for (uint64_t k = 64; k < 1000; k++)
        take(r, (int64_t)k);
    drain(r);
    assert_each_once(r);
    free_run(r);
}

/* More claimers than slots: the ones without a slot take single indices,
 * from the counter and from the others' slots. */
static void more_threads_than_slots(void **state)
{
    (void)state;
    enum { N_THREADS = CL_CLAIM_SLOTS + 8 };
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, N_THREADS);
    struct run *r = new_run(200000, N_THREADS);
    r->start = &start;
    r->once_then_wait = 1;
    run_threads(r, N_THREADS, claimer);
    assert_int_equal(atomic_load(&r->c->n_slots), N_THREADS);
    assert_each_once(r);
    free_run(r);
    pthread_barrier_destroy(&start);
}

/* Past 2^32 there is no packing: the plain counter, no slot. */
static void past_two_to_the_32_plain_counter(void **state)
{
    (void)state;
    const uint64_t n = ((uint64_t)1 << 32) + 10;
    struct cl_claim *c = fresh(n, 2);
    assert_int_equal(cl_claim_next(c), 0);
    assert_int_equal(cl_claim_next(c), 1);
    assert_int_equal(atomic_load(&c->next), 2);
    assert_int_equal(atomic_load(&c->n_slots), 0);
    atomic_store(&c->next, n - 3);
    assert_int_equal(cl_claim_next(c), (int64_t)(n - 3));
    assert_int_equal(cl_claim_next(c), (int64_t)(n - 2));
    assert_int_equal(cl_claim_next(c), (int64_t)(n - 1));
    assert_int_equal(cl_claim_next(c), -1);
    munmap(c, sizeof *c);
}

/* ---- a move under way ------------------------------------------------------- */

struct waiting {
    struct cl_claim *c;
    _Atomic int done;
    int64_t got;
};

static void *wait_claim(void *arg)
{
    struct waiting *w = arg;
    w->got = cl_claim_next(w->c);
    atomic_store(&w->done, 1);
    return NULL;
}

/* A counter spent, every slot empty, but a move begun: no -1 until the
 * move publishes (and the indices it publishes are stolen). */
static void minus_one_waits_for_a_move(void **state)
{
    (void)state;
    struct cl_claim *c = fresh(100, 1);
    atomic_store(&c->next, 100);
    atomic_store(&c->n_slots, 2);                  /* two others, empty */
    atomic_store(&c->moving, (uint64_t)1 << 32 | 1); /* one mid-move */
    struct waiting w = {c, 0, 0};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, wait_claim, &w), 0);
    struct timespec ms100 = {0, 100000000};
    nanosleep(&ms100, NULL);
    assert_int_equal(atomic_load(&w.done), 0);
    atomic_store(&c->slot[1].range, pack(7, 9)); /* the move publishes */
    atomic_fetch_sub(&c->moving, 1);
    pthread_join(t, NULL);
    assert_int_equal(w.got, 8);
    assert_int_equal(cl_claim_next(c), 7);
    assert_int_equal(cl_claim_next(c), -1);
    munmap(c, sizeof *c);
}

/* A mover that never finishes (its process died): -1 after a second. */
static void a_dead_move_ends_in_minus_one(void **state)
{
    (void)state;
    struct cl_claim *c = fresh(100, 1);
    atomic_store(&c->next, 100);
    atomic_store(&c->moving, (uint64_t)1 << 32 | 1);
    uint64_t t0 = cl_now_ns();
    assert_int_equal(cl_claim_next(c), -1);
    uint64_t took = cl_now_ns() - t0;
    assert_true(took >= 1000000000u);
    assert_true(took < 5000000000u);
    munmap(c, sizeof *c);
}

/* ---- processes -------------------------------------------------------------- */

/* Two forked processes with two threads each, and the parent's threads, on
 * one shared claim.  The parent claimed (and cached a range) before forking:
 * each child registers a slot of its own rather than using the parent's. */
static void forked_processes_each_index_once(void **state)
{
    (void)state;
    struct run *r = new_run(1000000, 6);
    int64_t first = cl_claim_next(r->c);
    assert_int_equal(first, 0);
    take(r, first);
    pid_t kids[2];
    for (int k = 0; k < 2; k++) {
        kids[k] = fork();
        assert_true(kids[k] >= 0);
        if (kids[k] == 0) {
            pthread_t t[2];
            int started = 0;
            for (int j = 0; j < 2; j++)
                started += pthread_create(&t[j], NULL, claimer, r) == 0;
            drain(r);
            for (int j = 0; j < started; j++)
                pthread_join(t[j], NULL);
            _exit(started == 2 ? 0 : 3);
        }
    }
    run_threads(r, 2, claimer);
    drain(r);
    for (int k = 0; k < 2; k++) {
        int st = 0;
        assert_int_equal(waitpid(kids[k], &st, 0), kids[k]);
        assert_true(WIFEXITED(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
    assert_int_equal(atomic_load(&r->c->n_slots), 3 + 2 * 3);
    assert_each_once(r);
    free_run(r);
}

/* A child forked after its parent claimed does not pop the parent's cached
 * range: it registers a slot and takes a chunk of its own. */
static void forked_child_gets_its_own_slot(void **state)
{
    (void)state;
    struct cl_claim *c = fresh(1000000, 2);
    assert_int_equal(cl_claim_next(c), 0); /* caches [1, 64) */
    pid_t kid = fork();
    assert_true(kid >= 0);
    if (kid == 0)
        _exit(cl_claim_next(c) == CL_CLAIM_CHUNK ? 0 : 3);
    int st = 0;
    assert_int_equal(waitpid(kid, &st, 0), kid);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_int_equal(atomic_load(&c->n_slots), 2);
    assert_int_equal(cl_claim_next(c), 1);
    munmap(c, sizeof *c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(one_thread_in_order_then_minus_one),
        cmocka_unit_test(chunks_are_guided),
        cmocka_unit_test(reset_memory_is_a_new_job),
        cmocka_unit_test(eight_threads_each_index_once),
        cmocka_unit_test(early_quitters_lose_nothing),
        cmocka_unit_test(steal_takes_upper_half),
        cmocka_unit_test(more_threads_than_slots),
        cmocka_unit_test(past_two_to_the_32_plain_counter),
        cmocka_unit_test(minus_one_waits_for_a_move),
        cmocka_unit_test(a_dead_move_ends_in_minus_one),
        cmocka_unit_test(forked_child_gets_its_own_slot),
        cmocka_unit_test(forked_processes_each_index_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * workstealing — one pinned thread per worker, each with its own Chase–Lev
 * deque (deque.h); idle workers steal.
 *
 * The model (Cilk/TBB style, help-first joining):
 *   - At the start the top-level tasks are dealt round-robin onto the
 *     workers' deques (task i to worker i mod N, the lowest index at the
 *     bottom), so they are stolen like any other item.
 *   - conlab_spawn pushes the child (fn, arg, group) at the bottom of the
 *     calling worker's deque and counts it in the group (the group's 64
 *     bytes: children pushed and run by the spawner, in plain words, run
 *     by thieves, in an atomic, and the first error).
 *   - conlab_sync, while the group still has pending children, takes from
 *     its own deque's bottom (its newest children first) and, when that is
 *     empty, steals from a victim's top; it never blocks, so it cannot
 *     deadlock even when every worker is inside sync.
 *   - A worker with nothing to do steals, backing off (exponential
 *     spinning, then sched_yield, then 50 µs sleeps) while it fails, and
 *     ends once every top-level task is done.
 *
 * Every item runs through the host: a top-level task with job->run_task, a
 * child with job->run_child, on the worker that runs it.
 *
 * `steal`: random (a victim drawn by the thief's xorshift), round-robin (the
 * next worker after the last victim), or none (a worker only runs its own
 * deque: the children of a sync are all still there).  Whatever the mode,
 * the deque of a worker whose worker_begin failed is open to every worker,
 * so its dealt tasks still run.
 *
 * Counters: spawns (children pushed), steals (items stolen), failed_steals
 * (steal attempts that found nothing or lost a race), inline_full (children
 * run at once because a deque could not grow).
 */
#define CONLAB_PLUGIN_NAME "workstealing"
#include <conlab/conlab_plugin.h>

#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../common/pool.h"
#include "../common/thread_pool.h"
#include "deque.h"

enum steal_mode { STEAL_RANDOM, STEAL_ROUND_ROBIN, STEAL_NONE };
enum { C_SPAWNS, C_STEALS, C_FAILED_STEALS, C_INLINE_FULL, C_N };
enum worker_state { W_UNBORN, W_LIVE, W_FAILED };

struct ws_config {
    struct thread_pool_config pool; /* first: thread_pool_run reads it */
    const char *steal;
};

struct ws_worker;

/* A group's 64 bytes (struct conlab_group, zero before the first spawn).
 * The spawning worker counts what it pushed and what it ran itself in
 * plain words; only children that other workers ran touch an atomic. */
struct ws_group {
    struct ws_worker *owner;        /* the spawning worker, from the first
                                       spawn to the end of the sync */
    int64_t spawned;                /* owner only: children pushed */
    int64_t ran_here;               /* owner only: of those, run by it */
    atomic_int_least64_t ran_away;  /* run by thieves */
    atomic_int err;                 /* the first child's error */
};
_Static_assert(sizeof(struct ws_group) <= sizeof(struct conlab_group),
               "a workstealing group must fit a conlab_group");
_Static_assert(_Alignof(struct ws_group) <= _Alignof(struct conlab_group),
               "a workstealing group must align like a conlab_group");

struct ws_run;

/* One worker: its deque, its spawner (ctx = this), its tallies. */
struct ws_worker {
    struct ws_deque q;
    struct conlab_spawner sp;
    struct ws_run *run;
    unsigned id;
    unsigned victim; /* round-robin: the last one */
    uint64_t rng;    /* xorshift64 state, never 0 */
    uint64_t tally[C_N];
    _Alignas(64) atomic_int state; /* enum worker_state */
};

struct ws_run {
    const struct conlab_job *job;
    enum steal_mode mode;
    unsigned n;
    atomic_int_least64_t remaining; /* top-level tasks not yet done */
    struct ws_worker *w;            /* n of them */
};

static const char *const ws_counters[] = {"spawns", "steals", "failed_steals",
                                          "inline_full", NULL};

/* ------------------------------------------------------------------------ */
/* Running items                                                             */
/* ------------------------------------------------------------------------ */

static void group_error(struct ws_group *g, int rc)
{
    int none = 0;
    if (rc != CONLAB_OK)
        atomic_compare_exchange_strong_explicit(&g->err, &none, rc,
                                                memory_order_relaxed,
                                                memory_order_relaxed);
}

static void run_item(struct ws_worker *self, const struct ws_item *it)
{
    const struct conlab_job *job = self->run->job;
    if (it->g == NULL) {
        (void)job->run_task(job, self->id, (uint64_t)(uintptr_t)it->arg);
        atomic_fetch_sub_explicit(&self->run->remaining, 1,
                                  memory_order_release);
        return;
    }
    struct ws_group *g = it->g;
    group_error(g, job->run_child(job, self->id, it->fn, it->arg));
    if (g->owner == self) {
        g->ran_here++;
    } else {
        /* release: the owner's sync sees the child's results; the group
         * may be gone as soon as this lands */
        atomic_fetch_add_explicit(&g->ran_away, 1, memory_order_release);
    }
}

static unsigned xorshift(struct ws_worker *self)
{
    uint64_t x = self->rng;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    self->rng = x;
    return (unsigned)(x >> 32);
}

/* The next victim to try, or self->id when there is none to try. */
static unsigned pick_victim(struct ws_worker *self)
{
    struct ws_run *run = self->run;
    unsigned n = run->n;
    if (n < 2)
        return self->id;
    switch (run->mode) {
    case STEAL_RANDOM: {
        unsigned v = xorshift(self) % (n - 1);
        return v >= self->id ? v + 1 : v;
    }
    case STEAL_ROUND_ROBIN:
        self->victim = (self->victim + 1) % n;
        if (self->victim == self->id)
            self->victim = (self->victim + 1) % n;
        return self->victim;
    case STEAL_NONE:
        /* only the deques of workers that could not begin */
        for (unsigned k = 1; k < n; k++) {
            unsigned v = (self->id + k) % n;
            if (atomic_load_explicit(&run->w[v].state, memory_order_acquire) ==
                W_FAILED)
                return v;
        }
        return self->id;
    }
    return self->id;
}

/* Find one item: own deque first, then one steal attempt.  Returns 1 with
 * *it set, or 0. */
static int find_work(struct ws_worker *self, struct ws_item *it)
{
    if (deque_take(&self->q, it))
        return 1;
    unsigned v = pick_victim(self);
    if (v == self->id)
        return 0;
    if (deque_steal(&self->run->w[v].q, it) == WS_GOT) {
        self->tally[C_STEALS]++;
        return 1;
    }
    self->tally[C_FAILED_STEALS]++;
    return 0;
}

/* Back off after `idle` fruitless rounds: spin (pausing twice as long each
 * round, so an idle thief does not keep its victim's deque lines bouncing
 * between the caches), then sched_yield, then 50 µs sleeps. */
static void backoff(unsigned idle)
{
    if (idle < 12) {
        for (unsigned k = 0; k < 1u << idle; k++) {
#if defined(__x86_64__) || defined(__i386__)
            __builtin_ia32_pause();
#else
            atomic_signal_fence(memory_order_seq_cst);
#endif
        }
    } else if (idle < 256) {
        sched_yield();
    } else {
        struct timespec ts = {0, 50000};
        nanosleep(&ts, NULL);
    }
}

/* One round of a worker that waits (in sync, or for the last top-level
 * tasks): run one item found, or back off; *idle counts fruitless rounds. */
static void help_once(struct ws_worker *self, unsigned *idle)
{
    struct ws_item it;
    if (find_work(self, &it)) {
        run_item(self, &it);
        *idle = 0;
    } else {
        backoff((*idle)++);
    }
}

/* ------------------------------------------------------------------------ */
/* The spawner                                                               */
/* ------------------------------------------------------------------------ */

static int ws_spawn(void *ctx, struct conlab_group *cg, conlab_child_fn fn,
                    void *arg)
{
    struct ws_worker *self = ctx;
    struct ws_group *g = (struct ws_group *)cg;
    struct ws_item it = {fn, arg, g};
    if (g->spawned++ == 0)
        g->owner = self; /* thieves read it: written before the first push */
    if (deque_push(&self->q, &it) == 0) {
        self->tally[C_SPAWNS]++;
        return CONLAB_OK;
    }
    self->tally[C_INLINE_FULL]++; /* no room and no memory: run it now */
    run_item(self, &it);
    return CONLAB_OK;
}

static int ws_sync(void *ctx, struct conlab_group *cg)
{
    struct ws_worker *self = ctx;
    struct ws_group *g = (struct ws_group *)cg;
    unsigned idle = 0;
    while (g->spawned - g->ran_here -
               atomic_load_explicit(&g->ran_away, memory_order_acquire) > 0)
        help_once(self, &idle);
    int rc = atomic_load_explicit(&g->err, memory_order_relaxed);
    memset(g, 0, sizeof *g); /* reusable: no child refers to it any more */
    return rc;
}

/* ------------------------------------------------------------------------ */
/* A worker's life                                                           */
/* ------------------------------------------------------------------------ */

static int ws_work(struct pool_thread *pt)
{
    struct ws_run *run = pt->arg;
    struct ws_worker *self = &run->w[pt->id];
    const struct conlab_job *job = run->job;
    int rc = job->set_spawner(job, self->id, &self->sp);
    if (rc == CONLAB_OK)
        rc = job->worker_begin(job, self->id, NULL);
    if (rc != CONLAB_OK) {
        /* no tasks here: the others may take this deque's */
        atomic_store_explicit(&self->state, W_FAILED, memory_order_release);
        return rc;
    }
    atomic_store_explicit(&self->state, W_LIVE, memory_order_release);

    unsigned idle = 0;
    while (atomic_load_explicit(&run->remaining, memory_order_acquire) > 0)
        help_once(self, &idle);
    for (unsigned c = 0; c < C_N; c++)
        if (self->tally[c])
            job->count(job, c, self->tally[c]);
    job->worker_end(job, self->id);
    return CONLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Strategy hooks and descriptor                                             */
/* ------------------------------------------------------------------------ */

static enum steal_mode parse_mode(const char *s)
{
    if (strcmp(s, "round-robin") == 0)
        return STEAL_ROUND_ROBIN;
    if (strcmp(s, "none") == 0)
        return STEAL_NONE;
    return STEAL_RANDOM;
}

static void free_workers(struct ws_run *run)
{
    for (unsigned i = 0; i < run->n; i++)
        deque_fini(&run->w[i].q);
    free(run->w);
}

/* The workers and their deques, the top-level tasks dealt out. */
static int make_workers(struct ws_run *run)
{
    const struct conlab_job *job = run->job;
    void *slots;
    int rc = pool_slots(job, CONLAB_PLUGIN_NAME, sizeof *run->w, &slots);
    if (rc != CONLAB_OK)
        return rc;
    run->w = slots;
    int64_t share = (int64_t)(job->n_tasks / run->n) + 1;
    for (unsigned i = 0; i < run->n; i++) {
        struct ws_worker *w = &run->w[i];
        w->run = run;
        w->id = i;
        w->victim = i;
        w->rng = 0x9E3779B97F4A7C15ull * (i + 1);
        w->sp = (struct conlab_spawner){
            .struct_size = sizeof(struct conlab_spawner),
            .ctx = w,
            .spawn = ws_spawn,
            .sync = ws_sync,
        };
        atomic_init(&w->state, W_UNBORN);
        if (deque_init(&w->q, share) != 0) {
            free_workers(run);
            CONLAB_LOG(job->host, CONLAB_LOG_ERROR, "no memory for %u deques",
                       run->n);
            return CONLAB_E_NOMEM;
        }
    }
    /* highest index first, so each owner starts from its lowest */
    for (uint64_t i = job->n_tasks; i-- > 0;) {
        struct ws_item it = {NULL, (void *)(uintptr_t)i, NULL};
        if (deque_push(&run->w[i % run->n].q, &it) != 0) {
            free_workers(run);
            return CONLAB_E_NOMEM;
        }
    }
    return CONLAB_OK;
}

static int ws_run(const struct conlab_job *job, const void *config)
{
    const struct ws_config *cfg = config;
    struct ws_run run = {
        .job = job, .mode = parse_mode(cfg->steal), .n = job->n_workers,
    };
    atomic_init(&run.remaining, (int_least64_t)job->n_tasks);
    int rc = make_workers(&run);
    if (rc != CONLAB_OK)
        return rc;
    rc = thread_pool_run(job, CONLAB_PLUGIN_NAME, &cfg->pool, ws_work, &run);
    free_workers(&run);
    return rc;
}

static const struct conlab_param ws_params[] = {
    THREAD_POOL_PARAMS("number of worker threads, one deque each"),
    {
        .name = "steal",
        .type = CONLAB_PARAM_ENUM,
        .def = "random",
        .choices = "random|round-robin|none",
        .help = "how an idle worker picks a victim (none: it runs only its "
                "own deque)",
        .offset = offsetof(struct ws_config, steal),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops ws_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = thread_pool_workers,
    .run = ws_run,
    .counters = ws_counters,
};

static const struct conlab_plugin ws_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "pinned threads with Chase-Lev deques and work stealing "
               "(fork-join: help-first sync)",
    .version = "1.0.0",
    .params = ws_params,
    .config_size = sizeof(struct ws_config),
    .strategy = &ws_ops,
};

CONLAB_PLUGIN_DEFINE(ws_plugin)

/* thread_pool.c — see thread_pool.h. */
#include "thread_pool.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pool.h"
#include "stack_arena.h"

#define LOG(tp, level, ...) \
    (tp)->job->host->log((level), (tp)->plugin, __VA_ARGS__)

/* One slot per worker: what its thread sees, and what it runs. */
struct slot {
    struct pool_thread self;
    pool_work_fn work;
};

/* One run of the pool. */
struct thread_pool {
    const struct conlab_job *job;
    const char *plugin;
    struct stacks stacks;
    struct slot *slots; /* job->n_workers of them */
};

/* ------------------------------------------------------------------------ */
/* A worker thread                                                           */
/* ------------------------------------------------------------------------ */

static void *thread_main(void *arg)
{
    struct slot *slot = arg;
    struct pool_thread *self = &slot->self;
    const struct conlab_job *job = self->job;

    self->bind_status = job->bind(job, self->id);
    self->begin_status = slot->work(self);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The pool                                                                  */
/* ------------------------------------------------------------------------ */

/* Returns 0 or a pthread error number. */
static int start_thread(const struct stacks *s, struct slot *slot)
{
    pthread_attr_t attr;
    int err = pthread_attr_init(&attr);

    if (err != 0)
        return err;
    err = stacks_set(s, slot->self.id, &attr);
    if (err == 0)
        err = pthread_create(&slot->self.thread, &attr, thread_main, slot);
    pthread_attr_destroy(&attr);
    return err;
}

/* Start workers 0, 1, ... in order; stop at the first failure (a resource
 * limit: the next ones would fail too).  Returns how many threads run. */
static unsigned start_threads(struct thread_pool *tp, pool_work_fn work,
                              void *arg)
{
    const unsigned n = tp->job->n_workers;
    struct stacks *s = &tp->stacks;
    unsigned w;

    for (w = 0; w < s->n; w++) {
        struct slot *slot = &tp->slots[w];
        int err;

        *slot = (struct slot){
            .self = { .job = tp->job, .arg = arg, .id = w },
            .work = work,
        };
        err = start_thread(s, slot);
        if (err == EINVAL && w == 0 && s->base != NULL) {
            LOG(tp, CONLAB_LOG_INFO,
                "static TLS does not fit in a %zu KiB preallocated stack; "
                "letting glibc allocate the stacks",
                s->size / 1024);
            stacks_unmap(tp->job, s);
            s->n = n;
            err = start_thread(s, slot);
        }
        if (err != 0) {
            LOG(tp, CONLAB_LOG_WARN, "starting worker thread %u of %u: %s",
                w, n, strerror(err));
            break;
        }
    }
    return w;
}

/* Returns how many joins failed: their stacks may still be in use. */
static unsigned join_threads(const struct thread_pool *tp, unsigned n)
{
    unsigned failed = 0;

    for (unsigned w = 0; w < n; w++) {
        int err = pthread_join(tp->slots[w].self.thread, NULL);

        if (err != 0) { /* only a bug can get here (EDEADLK, ESRCH) */
            LOG(tp, CONLAB_LOG_ERROR,
                "pthread_join of worker %u: %s", w, strerror(err));
            failed++;
        }
    }
    return failed;
}

/* The log line of one kind of failure, naming the first worker that had it
 * (`status` is its status). */
static void report_kind(const struct thread_pool *tp, int level,
                        unsigned count, unsigned n,
                        const struct pool_thread *first, int status,
                        const char *what)
{
    if (count > 0)
        LOG(tp, level, "%u of %u workers %s (first: worker %u, %s)", count, n,
            what, first->id, conlab_strerror(status));
}

/* One line per kind of failure. */
static void report_failures(const struct thread_pool *tp, unsigned n)
{
    unsigned n_unbound = 0, n_unbegun = 0;
    const struct pool_thread *first_unbound = NULL, *first_unbegun = NULL;

    for (unsigned w = 0; w < n; w++) {
        const struct pool_thread *t = &tp->slots[w].self;

        if (t->bind_status != CONLAB_OK && n_unbound++ == 0)
            first_unbound = t;
        if (t->begin_status != CONLAB_OK && n_unbegun++ == 0)
            first_unbegun = t;
    }
    report_kind(tp, CONLAB_LOG_WARN, n_unbound, n, first_unbound,
                first_unbound ? first_unbound->bind_status : CONLAB_OK,
                "ran unpinned: bind failed");
    report_kind(tp, CONLAB_LOG_ERROR, n_unbegun, n, first_unbegun,
                first_unbegun ? first_unbegun->begin_status : CONLAB_OK,
                "ran no task: worker_begin failed");
}

/* ------------------------------------------------------------------------ */
/* The strategy's side                                                       */
/* ------------------------------------------------------------------------ */

int thread_pool_workers(const void *config, uint64_t n_tasks,
                        unsigned *n_workers)
{
    const struct thread_pool_config *cfg = config;

    (void)n_tasks; /* exactly `workers`, however few tasks */
    return pool_size(cfg->workers, n_workers);
}

int thread_pool_run(const struct conlab_job *job, const char *plugin,
                    const struct thread_pool_config *cfg, pool_work_fn work,
                    void *arg)
{
    struct thread_pool tp = { .job = job, .plugin = plugin };
    void *slots;
    unsigned started;
    int rc;

    rc = pool_slots(job, plugin, sizeof *tp.slots, &slots);
    if (rc != CONLAB_OK)
        return rc;
    tp.slots = slots;
    rc = stacks_map(job, plugin, job->n_workers, cfg->stack_kib, &tp.stacks);
    if (rc != CONLAB_OK) {
        free(tp.slots);
        return rc;
    }

    started = start_threads(&tp, work, arg);
    if (join_threads(&tp, started) == 0) {
        /* Else leak it all: a thread may still use it. */
        stacks_unmap(job, &tp.stacks);
        report_failures(&tp, started);
        free(tp.slots);
    }
    return pool_outcome(job, plugin, started, "thread");
}

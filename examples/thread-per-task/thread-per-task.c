/*
 * thread-per-task — an out-of-tree conlab strategy: a new thread for every
 * task, the way naive code does it (`for each job: pthread_create`), with an
 * optional cap on how many run at once.
 *
 * The model.  Every task is its own worker: task i runs on worker i, on a
 * thread created for it and joined after it.  So the job has n_tasks
 * workers, and the workload's per-worker setup (worker_init: a connection,
 * a buffer) happens once per task, as it would in such code.  A thread's
 * life:
 *
 *     bind(i) -> worker_begin(i, NULL) -> run_task(i, i) -> worker_end(i)
 *
 * Waits go to the host's blocking waiter (NULL), like `threads`.  What it
 * measures, against the `threads` pool: the price of creating and joining
 * one thread per task (see the noop workload) and, uncapped, what thousands
 * of simultaneous threads do to waiting and CPU-bound work.
 *
 * `max_inflight` (0: no cap) bounds the threads alive at once: when that
 * many run, the creator waits until one finishes, joins it and starts the
 * next -- a semaphore around pthread_create, the usual fix of naive code.
 *
 * Threads are joined as they finish (a finished thread puts itself on a
 * "done" list), not all at the end, so a long job never holds thousands of
 * finished, unjoined threads.  If pthread_create fails for lack of
 * resources (EAGAIN) while other threads run, the creator waits for one to
 * finish and tries again: the system's limit acts as a cap.  If no thread
 * can be started at all, run() stops, reaps what it started and returns
 * CONLAB_E_SYS; the host reports the tasks that never ran.
 */
#include <conlab/conlab_plugin.h>

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PLUGIN_NAME "thread-per-task"

#define LOG(job, level, ...) (job)->host->log((level), PLUGIN_NAME, __VA_ARGS__)

struct tpt_config {
    int64_t max_inflight; /* 0: no cap */
};

/* One task's thread.  The thread writes its statuses; run() reads them
 * after pthread_join, which orders the two. */
struct task_thread {
    struct spawner *sp;
    pthread_t thread;
    uint64_t index; /* the task, and the worker */
    int joined;     /* run() only */
    int bind_status;
    int begin_status;
};

/* The creator's side.  `lock` guards `inflight` and the done list. */
struct spawner {
    const struct conlab_job *job;
    struct task_thread *t; /* n_tasks of them */
    pthread_mutex_t lock;
    pthread_cond_t finished;
    uint64_t inflight;     /* threads started and not yet on the done list */
    uint64_t *done;        /* indices of finished, unjoined threads */
    uint64_t n_done;
};

/* pthread_mutex_lock/unlock and pthread_cond_wait/signal cannot fail on a
 * default mutex used correctly; their results are not checked. */

/* ------------------------------------------------------------------------ */
/* A task's thread                                                           */
/* ------------------------------------------------------------------------ */

static void *task_main(void *arg)
{
    struct task_thread *me = arg;
    struct spawner *sp = me->sp;
    const struct conlab_job *job = sp->job;
    const unsigned w = (unsigned)me->index;

    me->bind_status = job->bind(job, w);
    me->begin_status = job->worker_begin(job, w, NULL);
    if (me->begin_status == CONLAB_OK) {
        /* A failed task is recorded by the host; nothing to do here. */
        (void)job->run_task(job, w, me->index);
        job->worker_end(job, w);
    }

    pthread_mutex_lock(&sp->lock);
    sp->done[sp->n_done++] = me->index;
    sp->inflight--;
    pthread_cond_signal(&sp->finished);
    pthread_mutex_unlock(&sp->lock);
    return NULL;
}

/* ------------------------------------------------------------------------ */
/* The creator                                                               */
/* ------------------------------------------------------------------------ */

/* Join every thread on the done list, until it is empty.  With `wait`,
 * first wait until it is not (the caller knows a thread is running).
 * Returns how many threads were joined.  A thread on the list touches
 * nothing of the spawner's any more: it only has to return. */
static uint64_t reap(struct spawner *sp, int wait)
{
    uint64_t batch[64];
    uint64_t n, joined = 0;

    pthread_mutex_lock(&sp->lock);
    while (wait && sp->n_done == 0)
        pthread_cond_wait(&sp->finished, &sp->lock);
    while (sp->n_done > 0) {
        n = sp->n_done < 64 ? sp->n_done : 64;
        sp->n_done -= n;
        memcpy(batch, sp->done + sp->n_done, n * sizeof *batch);
        pthread_mutex_unlock(&sp->lock);

        for (uint64_t k = 0; k < n; k++) {
            struct task_thread *t = &sp->t[batch[k]];
            int err = pthread_join(t->thread, NULL);

            if (err != 0) /* only a bug gets here (EDEADLK, ESRCH) */
                LOG(sp->job, CONLAB_LOG_ERROR,
                    "pthread_join of task %llu: %s",
                    (unsigned long long)t->index, strerror(err));
            t->joined = 1;
        }
        joined += n;
        pthread_mutex_lock(&sp->lock);
    }
    pthread_mutex_unlock(&sp->lock);
    return joined;
}

static uint64_t inflight(struct spawner *sp)
{
    uint64_t n;

    pthread_mutex_lock(&sp->lock);
    n = sp->inflight;
    pthread_mutex_unlock(&sp->lock);
    return n;
}

/* Start task i's thread, waiting for a free slot under the cap or, when
 * the system is out of threads, for a running one to finish.  Returns 0 or
 * the pthread_create error that no wait can cure.  *throttled counts the
 * EAGAIN waits. */
static int start_task(struct spawner *sp, uint64_t i, uint64_t cap,
                      uint64_t *throttled)
{
    struct task_thread *t = &sp->t[i];

    *t = (struct task_thread){ .sp = sp, .index = i };
    for (;;) {
        int err;

        while (cap != 0 && inflight(sp) >= cap)
            reap(sp, 1);
        reap(sp, 0); /* keep finished, unjoined threads few */

        pthread_mutex_lock(&sp->lock);
        sp->inflight++; /* before the thread can finish and decrement */
        pthread_mutex_unlock(&sp->lock);
        err = pthread_create(&t->thread, NULL, task_main, t);
        if (err == 0)
            return 0;
        pthread_mutex_lock(&sp->lock);
        sp->inflight--;
        pthread_mutex_unlock(&sp->lock);
        if (err != EAGAIN)
            return err;
        /* Out of threads (or memory for a stack): wait for one to end. */
        if (reap(sp, 0) == 0) {
            if (inflight(sp) == 0)
                return err; /* nothing of ours to wait for */
            reap(sp, 1);
        }
        ++*throttled;
    }
}

/* One line per kind of failure, naming the first task that had it. */
static void report(const struct spawner *sp, uint64_t n)
{
    uint64_t unbound = 0, unbegun = 0;
    const struct task_thread *fu = NULL, *fb = NULL;

    for (uint64_t i = 0; i < n; i++) {
        const struct task_thread *t = &sp->t[i];

        if (!t->joined)
            continue;
        if (t->bind_status != CONLAB_OK && unbound++ == 0)
            fu = t;
        if (t->begin_status != CONLAB_OK && unbegun++ == 0)
            fb = t;
    }
    if (fu != NULL)
        LOG(sp->job, CONLAB_LOG_WARN,
            "%llu of %llu task threads ran unpinned: bind failed (first: "
            "task %llu, %s)", (unsigned long long)unbound,
            (unsigned long long)n, (unsigned long long)fu->index,
            conlab_strerror(fu->bind_status));
    if (fb != NULL)
        LOG(sp->job, CONLAB_LOG_ERROR,
            "%llu of %llu tasks did not run: worker_begin failed (first: "
            "task %llu, %s)", (unsigned long long)unbegun,
            (unsigned long long)n, (unsigned long long)fb->index,
            conlab_strerror(fb->begin_status));
}

/* ------------------------------------------------------------------------ */
/* Strategy hooks                                                            */
/* ------------------------------------------------------------------------ */

static int tpt_workers(const void *config, uint64_t n_tasks,
                       unsigned *n_workers)
{
    (void)config;
    if (n_tasks > UINT_MAX)
        return CONLAB_E_INVAL;
    /* one worker per task; the host wants at least one */
    *n_workers = n_tasks > 0 ? (unsigned)n_tasks : 1;
    return CONLAB_OK;
}

static int tpt_run(const struct conlab_job *job, const void *config)
{
    const struct tpt_config *cfg = config;
    const uint64_t n = job->n_tasks;
    const uint64_t cap = (uint64_t)cfg->max_inflight;
    struct spawner sp = { .job = job };
    uint64_t i, throttled = 0;
    int err = 0;

    if (n == 0)
        return CONLAB_OK;
    sp.t = calloc(n, sizeof *sp.t);
    sp.done = calloc(n, sizeof *sp.done);
    if (sp.t == NULL || sp.done == NULL) {
        LOG(job, CONLAB_LOG_ERROR, "no memory for %llu task slots",
            (unsigned long long)n);
        free(sp.t);
        free(sp.done);
        return CONLAB_E_NOMEM;
    }
    pthread_mutex_init(&sp.lock, NULL);
    pthread_cond_init(&sp.finished, NULL);

    for (i = 0; i < n && err == 0; i++)
        err = start_task(&sp, i, cap, &throttled);
    if (err != 0)
        LOG(job, CONLAB_LOG_ERROR,
            "cannot start the thread of task %llu: %s; %llu tasks not run",
            (unsigned long long)(i - 1), strerror(err),
            (unsigned long long)(n - i + 1));

    /* Reap every thread still running or unjoined. */
    while (inflight(&sp) > 0)
        reap(&sp, 1);
    reap(&sp, 0);

    if (throttled > 0)
        LOG(job, CONLAB_LOG_WARN,
            "the system ran out of threads %llu times; waited for running "
            "tasks to finish", (unsigned long long)throttled);
    report(&sp, n);
    pthread_cond_destroy(&sp.finished);
    pthread_mutex_destroy(&sp.lock);
    free(sp.done);
    free(sp.t);
    return err != 0 ? CONLAB_E_SYS : CONLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* Descriptor                                                                */
/* ------------------------------------------------------------------------ */

static const struct conlab_param tpt_params[] = {
    {
        .name = "max_inflight",
        .type = CONLAB_PARAM_INT,
        .def = "0",
        .min = 0,
        .max = 1000000,
        .help = "most task threads alive at once (0: no cap, one per task)",
        .offset = offsetof(struct tpt_config, max_inflight),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops tpt_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = tpt_workers,
    .run = tpt_run,
};

static const struct conlab_plugin tpt_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "a new thread for every task, optionally capped (naive code)",
    .version = "1.0.0",
    .params = tpt_params,
    .config_size = sizeof(struct tpt_config),
    .strategy = &tpt_ops,
};

CONLAB_PLUGIN_DEFINE(tpt_plugin)

/*
 * processes — N forked worker processes pulling tasks from one shared queue,
 * like Python's multiprocessing.Pool.
 *
 * The model: run() forks `workers` children and each child is one worker
 * for its whole life:
 *
 *     bind(w) -> worker_begin(w, NULL) -> while ((i = claim()) >= 0)
 *                                             run_task(w, i)
 *             -> worker_end(w) -> _exit(0)
 *
 * The queue (claim) and the task records live in the host's shared memory,
 * so children take indices from one counter and write their results in
 * place: nothing is copied back and the parent only waits.  Processes share
 * nothing else, so CPU-bound tasks scale like threads, at the price of a
 * fork per worker and no shared address space.
 *
 * Children leave with _exit(), never exit(): the atexit handlers and stdio
 * buffers they inherited belong to the parent.  A child whose worker_begin
 * fails runs no task and exits with WORKER_EXIT_BEGIN_FAILED.
 *
 * The parent reaps exactly the children it forked (waitpid on each pid, so
 * it never steals the exit status of a process the host started).  A child
 * killed by a signal, or exiting with an unexpected status, is reported to
 * the host with worker_lost(), which fails the task it was running; the
 * remaining tasks go on being claimed by the surviving workers.  If fork
 * fails the pool goes on with the children it has; only when none started
 * does run() fail, with CONLAB_E_SYS.
 *
 * Fork, not posix_spawn: a child must inherit the loaded plugins, the
 * workload state and the host's shared mappings.  That is safe because the
 * cell's process is single-threaded when run() is entered.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* sigabbrev_np */
#endif

#define CONLAB_PLUGIN_NAME "processes" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/pool.h"

/* How a worker process ends. */
enum worker_exit {
    WORKER_EXIT_OK = 0,           /* ran until claim() had nothing left */
    WORKER_EXIT_ORPHANED = 2,     /* its parent died before it started */
    WORKER_EXIT_BEGIN_FAILED = 3, /* worker_begin failed: it ran no task */
};

/* What the host parses a spec's parameters into (see processes_params). */
struct processes_config {
    int64_t workers;
};

/* ------------------------------------------------------------------------ */
/* A worker process                                                          */
/* ------------------------------------------------------------------------ */

static _Noreturn void worker_main(const struct conlab_job *job, unsigned w,
                                  pid_t parent)
{
    int64_t i;
    int rc;

    /* Die with the parent rather than run on as an orphan; the check after
     * the prctl closes the race with a parent that died before it. */
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0)
        CONLAB_LOG(job->host, CONLAB_LOG_WARN,
                   "worker %u: prctl(PR_SET_PDEATHSIG): %s", w, strerror(errno));
    if (getppid() != parent)
        _exit(WORKER_EXIT_ORPHANED);

    rc = job->bind(job, w);
    if (rc != CONLAB_OK)
        CONLAB_LOG(job->host, CONLAB_LOG_WARN,
                   "worker %u: bind failed (%s); running unpinned", w,
                   conlab_strerror(rc));

    /* No tasks, and no worker_end, after a failed begin. */
    if (job->worker_begin(job, w, NULL) != CONLAB_OK)
        _exit(WORKER_EXIT_BEGIN_FAILED);

    /* A failed task is recorded by the host; a strategy just goes on. */
    while ((i = job->claim(job)) >= 0)
        (void)job->run_task(job, w, (uint64_t)i);

    job->worker_end(job, w);
    _exit(WORKER_EXIT_OK);
}

/* ------------------------------------------------------------------------ */
/* The parent                                                                */
/* ------------------------------------------------------------------------ */

/* Fork workers 0, 1, ... in order; stop at the first failure (EAGAIN or
 * ENOMEM: the next forks would fail too).  Returns how many children run. */
static unsigned start_workers(const struct conlab_job *job, pid_t *pids,
                              unsigned n)
{
    const pid_t parent = getpid();
    unsigned w;

    for (w = 0; w < n; w++) {
        pids[w] = fork();
        if (pids[w] == 0)
            worker_main(job, w, parent);
        if (pids[w] < 0) {
            CONLAB_LOG(job->host, CONLAB_LOG_WARN,
                       "fork for worker %u of %u: %s", w, n, strerror(errno));
            break;
        }
    }
    return w;
}

/* Describe an abnormal end of worker w in buf; returns 0 for a normal one. */
static int describe_exit(int status, unsigned w, char *buf, size_t size)
{
    if (WIFSIGNALED(status)) {
        const int sig = WTERMSIG(status);
        const char *abbrev = sigabbrev_np(sig);

        if (abbrev != NULL)
            snprintf(buf, size, "worker process %u killed by SIG%s%s", w,
                     abbrev, WCOREDUMP(status) ? " (core dumped)" : "");
        else
            snprintf(buf, size, "worker process %u killed by signal %d (%s)",
                     w, sig, strsignal(sig));
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) != WORKER_EXIT_OK) {
        snprintf(buf, size, "worker process %u exited with status %d", w,
                 WEXITSTATUS(status));
        return 1;
    }
    return 0;
}

/* Wait for one child, retrying on EINTR.  Returns 0, or -1 with errno set. */
static int wait_worker(pid_t pid, int *status)
{
    while (waitpid(pid, status, 0) < 0) {
        if (errno != EINTR)
            return -1;
    }
    return 0;
}

/* Reap every child; tell the host about the ones that died. */
static void reap_workers(const struct conlab_job *job, const pid_t *pids,
                         unsigned n)
{
    unsigned n_unbegun = 0;
    char reason[128];

    for (unsigned w = 0; w < n; w++) {
        int status;

        if (wait_worker(pids[w], &status) != 0) {
            /* ECHILD: someone else reaped it (SIGCHLD ignored?). */
            CONLAB_LOG(job->host, CONLAB_LOG_ERROR,
                       "waitpid for worker process %u (pid %ld): %s", w,
                       (long)pids[w], strerror(errno));
            continue;
        }
        if (WIFEXITED(status) &&
            WEXITSTATUS(status) == WORKER_EXIT_BEGIN_FAILED) {
            n_unbegun++; /* an orderly end: it had no task in flight */
            continue;
        }
        if (describe_exit(status, w, reason, sizeof reason))
            job->worker_lost(job, w, reason);
    }
    if (n_unbegun > 0)
        CONLAB_LOG(job->host, CONLAB_LOG_ERROR,
                   "%u of %u workers ran no task: worker_begin failed",
                   n_unbegun, n);
}

/* ------------------------------------------------------------------------ */
/* Strategy hooks                                                            */
/* ------------------------------------------------------------------------ */

static int processes_workers(const void *config, uint64_t n_tasks,
                             unsigned *n_workers)
{
    const struct processes_config *cfg = config;

    (void)n_tasks; /* exactly `workers`, however few tasks */
    return pool_size(cfg->workers, n_workers);
}

static int processes_run(const struct conlab_job *job, const void *config)
{
    void *pids;
    unsigned started;
    int rc;

    (void)config; /* everything it says is in job->n_workers */
    rc = pool_slots(job, CONLAB_PLUGIN_NAME, sizeof(pid_t), &pids);
    if (rc != CONLAB_OK)
        return rc;

    started = start_workers(job, pids, job->n_workers);
    reap_workers(job, pids, started);
    free(pids);
    return pool_outcome(job, CONLAB_PLUGIN_NAME, started, "process");
}

/* ------------------------------------------------------------------------ */
/* Descriptor                                                                */
/* ------------------------------------------------------------------------ */

static const struct conlab_param processes_params[] = {
    {
        .name = "workers",
        .type = CONLAB_PARAM_INT,
        .def = "2",
        .min = 1,
        .max = 4096,
        .help = "number of worker processes (kept even when tasks are fewer)",
        .offset = offsetof(struct processes_config, workers),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops processes_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = processes_workers,
    .run = processes_run,
};

static const struct conlab_plugin processes_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "N forked worker processes pulling tasks from a shared queue",
    .version = "1.0.0",
    .params = processes_params,
    .config_size = sizeof(struct processes_config),
    .strategy = &processes_ops,
};

CONLAB_PLUGIN_DEFINE(processes_plugin)

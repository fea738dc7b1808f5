/* bad_workload.c — workloads that misbehave, per build flavour:
 *   WRONG_VALUE   task 3 returns a wrong value        -> wrong
 *   FAIL_SOME     every 4th task fails ("flaky")      -> failed, counted by reason
 *   CREATE_FAILS  create returns an error             -> error
 *   INIT_FAILS    worker_init fails for worker 0      -> its tasks go to others
 *   HOG           every task keeps 32 MiB it touched: passes any memory limit
 *   HANGS         tasks 0..2 return at once, every later one waits an hour
 *                 (through the worker's waiter)        -> timeout
 *   DIES          task 5 kills its own process (SIGSEGV): under `processes`
 *                 only that worker dies                -> failed, "worker ... SIGSEGV"
 *   FORKS         create() forks a helper process and never stops it, as a
 *                 plugin that starts a server might when it crashes.  The
 *                 helper's pid is appended (as a line) to the file
 *                 $CONLAB_TEST_FORKS_PIDS when that is set; with
 *                 $CONLAB_TEST_FORKS_HANG set, create() then hangs.  The host
 *                 must leave none of these helpers behind: every process a
 *                 cell or a `conlab check` child forks dies with its process
 *                 group. */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <conlab/conlab_plugin.h>

#ifdef FORKS
/* Fork a helper that outlives create(); its pid goes to $CONLAB_TEST_FORKS_PIDS. */
static int fork_helper(void)
{
    pid_t helper = fork();
    if (helper < 0)
        return CONLAB_E_SYS;
    if (helper == 0) {
        /* hold none of the host's pipes: only the process is left */
        for (int fd = 0; fd < 1024; fd++)
            close(fd);
        for (;;)
            pause();
    }
    const char *path = getenv("CONLAB_TEST_FORKS_PIDS");
    if (path) {
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        char line[32];
        int len = snprintf(line, sizeof line, "%d\n", (int)helper);
        if (fd >= 0) {
            (void)!write(fd, line, (size_t)len);
            close(fd);
        }
    }
    if (getenv("CONLAB_TEST_FORKS_HANG")) {
        for (;;)
            pause();
    }
    return CONLAB_OK;
}
#endif

static int create(const struct conlab_workload_env *env, const void *c, void **s)
{
    (void)env;
    (void)c;
    *s = NULL;
#if defined CREATE_FAILS
    return CONLAB_E_CONN;
#elif defined FORKS
    return fork_helper();
#else
    return CONLAB_OK;
#endif
}

static int winit(void *s, const struct conlab_worker *w, void **wctx)
{
    (void)s;
    *wctx = NULL;
#ifdef INIT_FAILS
    if (w->id == 0)
        return CONLAB_E_IO;
#else
    (void)w;
#endif
    return CONLAB_OK;
}

static int task(void *s, void *wctx, const struct conlab_worker *w, uint64_t i,
                struct conlab_task_result *r)
{
    (void)s;
    (void)wctx;
    (void)w;
    r->value = i + 1;
#ifdef WRONG_VALUE
    if (i == 3)
        r->value = 12345;
#endif
#ifdef HOG
    {
        static void *volatile kept; /* a leak on purpose, reachable */
        char *p = malloc(32u << 20);
        if (p) {
            memset(p, 1, 32u << 20);
            *(void **)p = kept;
            kept = p;
        }
        usleep(20000);
    }
#endif
#ifdef HANGS
    if (i >= 3) {
        int rc = conlab_sleep_ns(w->waiter, 3600 * (int64_t)1000000000);
        if (rc < 0)
            return rc;
    }
#endif
#ifdef DIES
    if (i == 5)
        raise(SIGSEGV);
#endif
#ifdef FAIL_SOME
    if (i % 4 == 0) {
        r->reason = "flaky";
        return CONLAB_E_TASK;
    }
#endif
    return CONLAB_OK;
}

static int expected(void *s, uint64_t i, uint64_t *v)
{
    (void)s;
    *v = i + 1;
    return CONLAB_OK;
}

static const struct conlab_workload_ops ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = create,
    .worker_init = winit,
    .run_task = task,
    .expected = expected,
};

static const struct conlab_plugin desc = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = PLUGIN_NAME,
#ifdef FORKS
    .summary = "a workload that leaves a forked helper behind, for tests",
#else
    .summary = "a deliberately misbehaving workload for tests",
#endif
    .workload = &ops,
};

CONLAB_PLUGIN_DEFINE(desc)

/* check_strategy.c — `conlab check` on a strategy: the built-in workloads
 * (sleep, fib, noop) and the `conformance` workload (seeded values, planned
 * failures, a worker whose init fails, waits, overlapping-call detection,
 * fork-join trees), through edge cases: no task, one task, more workers than
 * tasks, 100,000 tasks, pinning, spawned children (ABI 1.1: each run exactly
 * once, sync never deadlocking, a child's error reaching sync). */
#include "check_internal.h"

#include <errno.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "topo.h"
#include "util.h"

struct check_fn {
    const char *name;
    const char *needs; /* a workload the check runs */
    void (*fn)(struct cl_checker *, const char *, long);
    long arg;
};

static unsigned usable_pus(const struct cl_checker *ck)
{
    unsigned pus = 0;
    cl_topo_counts(ck->topo, NULL, NULL, NULL, &pus);
    return pus;
}


/* The built-in workloads, small. */
static void strategy_builtin_workloads(struct cl_checker *ck)
{
    static const struct {
        const char *name;
        const char *kv[3][2];
    } wl[] = {
        {"sleep", {{"tasks", "20"}, {"seconds", "2ms"}, {"distribution", "uniform"}}},
        {"fib", {{"tasks", "8"}, {"n", "[20, 15]"}, {NULL, NULL}}},
        {"noop", {{"tasks", "1000"}, {NULL, NULL}, {NULL, NULL}}},
    };
    for (size_t i = 0; i < sizeof wl / sizeof wl[0] && !ck->interrupted; i++) {
        if (!cl_ck_selected(ck, wl[i].name))
            continue;
        char why[1200];
        if (!cl_ck_have(ck, CONLAB_KIND_WORKLOAD, wl[i].name, why, sizeof why)) {
            cl_ck_skip(ck, wl[i].name, "n/a: %s", why);
            continue;
        }
        struct cl_plugref w;
        cl_plugref_init(&w, wl[i].name, NULL);
        for (size_t k = 0; k < 3 && wl[i].kv[k][0]; k++)
            (void)cl_plugref_set(&w, wl[i].kv[k][0], "%s", wl[i].kv[k][1]);
        cl_ck_expect_ok(ck, wl[i].name, &ck->sut, &w);
        cl_plugref_free(&w);
    }
}

/* noop with `arg` tasks: the edge cases of 0, 1 and 100,000 tasks. */
static void strategy_noop_tasks(struct cl_checker *ck, const char *name, long arg)
{
    struct cl_plugref w;
    cl_plugref_init(&w, "noop", NULL);
    (void)cl_plugref_set(&w, "tasks", "%ld", arg);
    cl_ck_expect_ok(ck, name, &ck->sut, &w);
    cl_plugref_free(&w);
}

static void strategy_more_workers(struct cl_checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 3 };
    struct cl_plugref s, w;
    cl_plugref_copy(&s, &ck->sut);
    int settable = cl_ck_set_workers(ck, &s, 8);
    cl_plugref_init(&w, "noop", NULL);
    (void)cl_plugref_set(&w, "tasks", "%d", TASKS);
    struct cl_outcome o;
    char buf[2048];
    if (cl_ck_run_cell(ck, &s, &w, NULL, &o) != 0)
        cl_ck_fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status != CL_ST_OK)
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    else if (o.n_workers <= TASKS)
        cl_ck_skip(ck, name, "n/a: the strategy ran %u worker%s for %d tasks%s",
             o.n_workers, o.n_workers == 1 ? "" : "s", TASKS,
             settable ? "" : " and has no workers/concurrency parameter");
    else
        cl_ck_pass(ck, name, "%u workers, %d tasks", o.n_workers, TASKS);
    cl_ck_outcome_free(&o);
    cl_plugref_free(&s);
    cl_plugref_free(&w);
}

static void strategy_failing_tasks(struct cl_checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 30, EVERY = 3 };
    struct cl_plugref w;
    cl_plugref_init(&w, "conformance", NULL);
    (void)cl_plugref_set(&w, "tasks", "%d", TASKS);
    (void)cl_plugref_set(&w, "fail_every", "%d", EVERY);
    struct cl_outcome o;
    char buf[2048];
    const uint64_t want_failed = TASKS / EVERY;
    if (cl_ck_run_cell(ck, &ck->sut, &w, NULL, &o) != 0)
        cl_ck_fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status == CL_ST_FAILED && o.row.tasks_failed == want_failed &&
             o.row.tasks_ok == TASKS - want_failed &&
             strstr(o.row.reasons, "planned failure"))
        cl_ck_pass(ck, name, "%llu of %d tasks failed as planned, the others ran",
             (unsigned long long)want_failed, TASKS);
    else if (o.row.status == CL_ST_OK)
        cl_ck_fail(ck, name, "every task reported ok, but every %dth task fails: "
             "task statuses are lost", EVERY);
    else if (o.row.tasks_missing > 1 && o.row.tasks_failed < want_failed &&
             o.row.status == CL_ST_WRONG)
        cl_ck_fail(ck, name, "%s: a failed task is recorded by the host, the "
             "strategy must go on with the other tasks (%llu of %d should "
             "fail, %llu did)", cl_ck_describe(&o, buf, sizeof buf),
             (unsigned long long)want_failed, TASKS,
             (unsigned long long)o.row.tasks_failed);
    else
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    cl_ck_outcome_free(&o);
    cl_plugref_free(&w);
}

static void strategy_init_fails(struct cl_checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 20 };
    struct cl_plugref s, w;
    cl_plugref_copy(&s, &ck->sut);
    (void)cl_ck_set_workers(ck, &s, 4);
    cl_plugref_init(&w, "conformance", NULL);
    (void)cl_plugref_set(&w, "tasks", "%d", TASKS);
    (void)cl_plugref_set(&w, "fail_init_worker", "0");
    struct cl_outcome o;
    char buf[2048];
    const struct cl_rep_row *r = &o.row;
    /* the workload's failure is provoked: its log lines are noise here */
    int level = cl_log_level;
    if (level < CONLAB_LOG_DEBUG)
        cl_log_level = -1;
    int rc = cl_ck_run_cell(ck, &s, &w, NULL, &o);
    cl_log_level = level;
    if (rc != 0) {
        cl_ck_fail(ck, name, "could not run: %s", o.why);
    } else if (r->status > CL_ST_ERROR) { /* memory, timeout, crashed, ... */
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    } else if (o.init_failed == 0) {
        cl_ck_fail(ck, name, "worker 0's worker_init was never called (every "
             "worker must call job->worker_begin before it runs tasks)");
    } else if (o.misuse) {
        cl_ck_fail(ck, name, "after worker 0's worker_begin failed, the strategy "
             "still used it: %llu job call%s out of protocol (a worker whose "
             "worker_begin fails must not run tasks nor call worker_end)",
             (unsigned long long)o.misuse, o.misuse == 1 ? "" : "s");
    } else if (r->tasks_duplicated || r->tasks_wrong || o.bad_index ||
               r->tasks_failed || o.begun > o.ended + o.lost) {
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    } else if (r->status == CL_ST_ERROR) {
        cl_ck_fail(ck, name, "%s%s", cl_ck_describe(&o, buf, sizeof buf),
             o.finished ? " after worker 0's worker_begin failed (a workload's "
                          "failure is not the strategy's: run() returns "
                          "CONLAB_OK and the host reports the tasks that did "
                          "not run)" : "");
    } else {
        char note[256] = "";
        if (r->tasks_missing)
            snprintf(note, sizeof note, "%llu of %d tasks never ran: no other "
                     "worker took them", (unsigned long long)r->tasks_missing,
                     TASKS);
        else
            snprintf(note, sizeof note, "the other workers ran every task");
        cl_ck_pass(ck, name, "%s", note);
    }
    cl_ck_outcome_free(&o);
    cl_plugref_free(&s);
    cl_plugref_free(&w);
}

static void strategy_exactly_once(struct cl_checker *ck, const char *name, long arg)
{
    (void)arg;
    struct cl_plugref s, w;
    cl_plugref_copy(&s, &ck->sut);
    (void)cl_ck_set_workers(ck, &s, 4);
    cl_plugref_init(&w, "conformance", NULL);
    (void)cl_plugref_set(&w, "tasks", "2000");
    (void)cl_plugref_set(&w, "max_wait", "200us");
    cl_ck_expect_ok(ck, name, &s, &w);
    cl_plugref_free(&s);
    cl_plugref_free(&w);
}

/* Make the process (and so the cell's child) start on one PU other than the
 * one worker 0 is planned on, so an unbound worker shows.  Saves the old
 * mask in *old; 0 when changed. */
static int start_elsewhere(const struct cl_checker *ck, cpu_set_t *old)
{
    struct cl_plan *plan = NULL;
    char err[256];
    struct cl_pinning compact = {CL_PIN_COMPACT, 0, NULL};
    if (cl_topo_plan(ck->topo, &compact, 2, &plan, err, sizeof err) != 0)
        return -1;
    int other = plan->pu[1] != plan->pu[0] ? plan->pu[1] : -1;
    cl_plan_free(plan);
    if (other < 0 || other >= CPU_SETSIZE)
        return -1;
    if (sched_getaffinity(0, sizeof *old, old) != 0)
        return -1;
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(other, &one);
    return sched_setaffinity(0, sizeof one, &one);
}

static void strategy_pinning(struct cl_checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 64 };
    if (usable_pus(ck) < 2) {
        cl_ck_skip(ck, name, "n/a: this process may use only one CPU");
        return;
    }
    struct cl_plugref s, w;
    cl_plugref_copy(&s, &ck->sut);
    (void)cl_ck_set_workers(ck, &s, 4);
    cl_plugref_init(&w, "conformance", NULL);
    (void)cl_plugref_set(&w, "tasks", "%d", TASKS);
    (void)cl_plugref_set(&w, "max_wait", "2ms");
    cpu_set_t old;
    int moved = start_elsewhere(ck, &old) == 0;
    struct cl_outcome o;
    int rc = cl_ck_run_cell(ck, &s, &w, "compact", &o);
    if (moved && sched_setaffinity(0, sizeof old, &old) != 0)
        cl_log(CONLAB_LOG_WARN, NULL, "cannot restore CPU affinity: %s",
               strerror(errno));
    char buf[2048];
    struct cl_plan *plan = NULL;
    struct cl_pinning compact = {CL_PIN_COMPACT, 0, NULL};
    if (rc != 0) {
        cl_ck_fail(ck, name, "could not run: %s", o.why);
    } else if (o.row.status != CL_ST_OK) {
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    } else if (cl_topo_plan(ck->topo, &compact, o.n_workers, &plan, buf,
                            sizeof buf) != 0) {
        cl_ck_fail(ck, name, "cannot plan %u workers: %s", o.n_workers, buf);
    } else {
        uint64_t off_plan = 0, off_w0 = 0, first = UINT64_MAX;
        for (uint64_t i = 0; i < o.mem.n_tasks; i++) {
            const struct cl_record *r = &o.mem.rec[i];
            if (r->worker >= plan->n_workers)
                continue;
            if (r->cpu != plan->pu[r->worker]) {
                if (!off_plan++)
                    first = i;
            }
            if (r->cpu != plan->pu[0])
                off_w0++;
        }
        if (!off_plan) {
            cl_ck_pass(ck, name, "every task on its worker's planned CPU");
        } else if (!off_w0) {
            cl_ck_pass(ck, name, "every task on worker 0's CPU: one bound thread");
        } else {
            const struct cl_record *r = &o.mem.rec[first];
            cl_ck_fail(ck, name, "%llu of %d tasks ran off their worker's planned CPU "
                 "under pinning: compact, e.g. task %llu of worker %u on CPU %d "
                 "instead of %d (each worker must call job->bind(job, w) on its "
                 "own thread or process before worker_begin)",
                 (unsigned long long)off_plan, TASKS, (unsigned long long)first,
                 r->worker, r->cpu, plan->pu[r->worker]);
        }
    }
    cl_plan_free(plan);
    cl_ck_outcome_free(&o);
    cl_plugref_free(&s);
    cl_plugref_free(&w);
}

/* Fork-join trees: SPAWN_FANOUT^SPAWN_DEPTH leaves per task, each counted
 * into the task's value, so a lost child shows as a value short by its
 * leaves and a duplicated one as a value over. */
enum { SPAWN_TASKS = 40, SPAWN_DEPTH = 6, SPAWN_FANOUT = 2 };

static void spawn_workload(struct cl_plugref *w, int tasks, int depth)
{
    cl_plugref_init(w, "conformance", NULL);
    (void)cl_plugref_set(w, "tasks", "%d", tasks);
    (void)cl_plugref_set(w, "spawn_depth", "%d", depth);
    (void)cl_plugref_set(w, "fanout", "%d", SPAWN_FANOUT);
}

/* Why the values of a spawning run are wrong: children lost or run twice,
 * from the records' values against the expected ones. */
static void spawn_values(struct cl_checker *ck, const char *name,
                         const struct cl_outcome *o, uint64_t leaves)
{
    uint64_t short_tasks = 0, over_tasks = 0, lost = 0, extra = 0;
    uint64_t first_short = UINT64_MAX, first_over = UINT64_MAX;
    for (uint64_t i = 0; i < o->mem.n_tasks; i++) {
        const struct cl_record *r = &o->mem.rec[i];
        if (atomic_load(&r->state) != CL_REC_DONE || r->status != CONLAB_OK)
            continue;
        int64_t d = (int64_t)(r->value - o->mem.expected[i]);
        if (d < 0) {
            lost += (uint64_t)-d;
            if (!short_tasks++)
                first_short = i;
        } else if (d > 0) {
            extra += (uint64_t)d;
            if (!over_tasks++)
                first_over = i;
        }
    }
    char buf[2048];
    if (short_tasks) {
        const struct cl_record *r = &o->mem.rec[first_short];
        cl_ck_fail(ck, name, "a spawned child was lost: %llu task%s counted "
             "fewer leaves than spawned (%llu missing in all), e.g. task %llu "
             "counted %llu of %llu (every conlab_spawn that returns CONLAB_OK "
             "must run its child once, through job->run_child, before "
             "conlab_sync returns)", (unsigned long long)short_tasks,
             short_tasks == 1 ? "" : "s", (unsigned long long)lost,
             (unsigned long long)first_short,
             (unsigned long long)(leaves - (uint64_t)(int64_t)(o->mem.expected[first_short] - r->value)),
             (unsigned long long)leaves);
    } else if (over_tasks) {
        const struct cl_record *r = &o->mem.rec[first_over];
        cl_ck_fail(ck, name, "a spawned child ran more than once: %llu task%s "
             "counted more leaves than spawned (%llu extra in all), e.g. task "
             "%llu counted %llu of %llu (run each child exactly once)",
             (unsigned long long)over_tasks, over_tasks == 1 ? "" : "s",
             (unsigned long long)extra, (unsigned long long)first_over,
             (unsigned long long)(leaves + (r->value - o->mem.expected[first_over])),
             (unsigned long long)leaves);
    } else {
        cl_ck_fail(ck, name, "%s", cl_ck_describe(o, buf, sizeof buf));
    }
}

static void strategy_spawning(struct cl_checker *ck, const char *name, long arg)
{
    (void)arg;
    uint64_t leaves = 1;
    for (int d = 0; d < SPAWN_DEPTH; d++)
        leaves *= SPAWN_FANOUT;
    struct cl_plugref s, w;
    cl_plugref_copy(&s, &ck->sut);
    (void)cl_ck_set_workers(ck, &s, 4);
    spawn_workload(&w, SPAWN_TASKS, SPAWN_DEPTH);
    struct cl_outcome o;
    char buf[2048];
    if (cl_ck_run_cell(ck, &s, &w, NULL, &o) != 0)
        cl_ck_fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status == CL_ST_OK)
        cl_ck_pass(ck, name, "%d trees of %llu leaves on %u worker%s, every "
             "child once", SPAWN_TASKS, (unsigned long long)leaves,
             o.n_workers, o.n_workers == 1 ? "" : "s");
    else if (o.row.status == CL_ST_TIMEOUT)
        cl_ck_fail(ck, name, "sync deadlocked: %s (sync must never block "
             "while children of its group are pending: it runs them, or "
             "other work, until they are done)",
             cl_ck_describe(&o, buf, sizeof buf));
    else if (o.row.status == CL_ST_WRONG && o.row.tasks_wrong)
        spawn_values(ck, name, &o, leaves);
    else
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    cl_ck_outcome_free(&o);
    cl_plugref_free(&s);
    cl_plugref_free(&w);
}

/* One leaf of every tree fails: conlab_sync must hand its error up. */
static void strategy_spawn_errors(struct cl_checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 10, DEPTH = 3 };
    struct cl_plugref s, w;
    cl_plugref_copy(&s, &ck->sut);
    (void)cl_ck_set_workers(ck, &s, 2);
    spawn_workload(&w, TASKS, DEPTH);
    (void)cl_plugref_set(&w, "fail_leaf", "5");
    struct cl_outcome o;
    char buf[2048];
    if (cl_ck_run_cell(ck, &s, &w, NULL, &o) != 0)
        cl_ck_fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status == CL_ST_FAILED && o.row.tasks_failed == TASKS &&
             strstr(o.row.reasons, "planned child failure"))
        cl_ck_pass(ck, name, "a failing child failed each of the %d tasks "
             "through sync", TASKS);
    else if (o.row.status == CL_ST_OK)
        cl_ck_fail(ck, name, "a child's error was lost: one leaf of every "
             "tree fails, yet every task succeeded (conlab_sync must return "
             "the first error of the group's children)");
    else
        cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
    cl_ck_outcome_free(&o);
    cl_plugref_free(&s);
    cl_plugref_free(&w);
}

void cl_ck_strategy(struct cl_checker *ck)
{
    static const struct check_fn fns[] = {
        {"zero-tasks", "noop", strategy_noop_tasks, 0},
        {"one-task", "noop", strategy_noop_tasks, 1},
        {"more-workers-than-tasks", "noop", strategy_more_workers, 0},
        {"many-tasks", "noop", strategy_noop_tasks, 100000},
        {"failing-tasks", "conformance", strategy_failing_tasks, 0},
        {"worker-init-fails", "conformance", strategy_init_fails, 0},
        {"exactly-once", "conformance", strategy_exactly_once, 0},
        {"pinning", "conformance", strategy_pinning, 0},
        {"spawning", "conformance", strategy_spawning, 0},
        {"spawn-errors", "conformance", strategy_spawn_errors, 0},
    };
    strategy_builtin_workloads(ck);
    for (size_t i = 0; i < sizeof fns / sizeof fns[0] && !ck->interrupted; i++) {
        if (!cl_ck_selected(ck, fns[i].name))
            continue;
        char why[1200];
        if (!cl_ck_have(ck, CONLAB_KIND_WORKLOAD, fns[i].needs, why, sizeof why)) {
            cl_ck_skip(ck, fns[i].name, "n/a: %s", why);
            continue;
        }
        fns[i].fn(ck, fns[i].name, fns[i].arg);
    }
}


/* check_workload.c — `conlab check` on a workload: runs under every built-in
 * strategy, then worker_init/worker_fini pairing, deterministic expected
 * values (two creates in one process, one in another, same seed: each in a
 * child with the check's deadline, see child.h), and waiting only through
 * the host (under coroutines it must not take much longer than under
 * threads with as many workers). */
#include "check_internal.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "spec.h"
#include "topo.h"
#include "util.h"

struct run_note {        /* what one run under a strategy says about workers */
    int ran;
    int finished;        /* the strategy's run() returned: counts are final */
    const char *strategy;
    unsigned n_workers;
    uint32_t begun, ended, lost, init_failed;
    char init_reason[CL_REASON_LEN];
};

struct under {
    const char *strategy;
    const char *param; /* its worker-count parameter, or NULL */
    int workers;
};

static const struct under unders[] = {
    {"sequential", NULL, 1},
    {"threads", "workers", 4},
    {"processes", "workers", 2},
    {"coroutines", "concurrency", 8},
    {"gil", "workers", 4},
};
#define N_UNDERS (sizeof unders / sizeof unders[0])

/* The reason interned for a failed worker_init, if any. */
static void init_reason(const struct cl_outcome *o, char *out, size_t len)
{
    out[0] = '\0';
    const struct cl_shared *sh = o->mem.sh;
    for (uint32_t i = 0; i < sh->n_reasons && i < CL_MAX_REASONS; i++)
        if (strncmp(sh->reasons[i], "worker_init failed", 18) == 0) {
            snprintf(out, len, "%s", sh->reasons[i]);
            return;
        }
}

struct seq_timing {
    int ok;
    double wall_s, cpu_s;
};

static void workload_under(struct cl_checker *ck, struct run_note *notes,
                           struct seq_timing *seq)
{
    for (size_t i = 0; i < N_UNDERS && !ck->interrupted; i++) {
        char name[64], why[1200], buf[2048];
        snprintf(name, sizeof name, "under-%s", unders[i].strategy);
        int wanted = cl_ck_selected(ck, name);
        /* the pairing and waiting checks need these runs too */
        if (!wanted && !cl_ck_selected(ck, "worker-init-fini") &&
            !(i == 0 && cl_ck_selected(ck, "waits-through-host")))
            continue;
        if (!cl_ck_have(ck, CONLAB_KIND_STRATEGY, unders[i].strategy, why, sizeof why)) {
            if (wanted)
                cl_ck_skip(ck, name, "n/a: %s", why);
            continue;
        }
        struct cl_plugref s;
        cl_plugref_init(&s, unders[i].strategy, NULL);
        if (unders[i].param)
            (void)cl_plugref_set(&s, unders[i].param, "%d", unders[i].workers);
        struct cl_outcome o;
        if (cl_ck_run_cell(ck, &s, &ck->sut, NULL, &o) != 0) {
            if (wanted)
                cl_ck_fail(ck, name, "could not run: %s", o.why);
        } else {
            if (wanted) {
                if (o.row.status == CL_ST_OK)
                    cl_ck_pass(ck, name, NULL);
                else
                    cl_ck_fail(ck, name, "%s", cl_ck_describe(&o, buf, sizeof buf));
            }
            struct run_note *n = &notes[i];
            n->ran = 1;
            n->finished = o.finished;
            n->strategy = unders[i].strategy;
            n->n_workers = o.n_workers;
            n->begun = o.begun;
            n->ended = o.ended;
            n->lost = o.lost;
            n->init_failed = o.init_failed;
            init_reason(&o, n->init_reason, sizeof n->init_reason);
            if (i == 0 && o.row.status == CL_ST_OK) {
                seq->ok = 1;
                seq->wall_s = o.row.wall_s;
                seq->cpu_s = o.row.user_s + o.row.sys_s;
            }
        }
        cl_ck_outcome_free(&o);
        cl_plugref_free(&s);
    }
}

static void workload_init_fini(struct cl_checker *ck, const char *name,
                               const struct run_note *notes)
{
    int any = 0;
    for (size_t i = 0; i < N_UNDERS; i++) {
        const struct run_note *n = &notes[i];
        if (!n->ran || !n->finished || n->begun + n->init_failed == 0)
            continue;
        any = 1;
        if (n->init_failed) {
            cl_ck_fail(ck, name, "worker_init failed on %u of %u workers under %s%s%s",
                 n->init_failed, n->n_workers, n->strategy,
                 n->init_reason[0] ? ": " : "", n->init_reason);
            return;
        }
        if (n->begun != n->ended + n->lost) {
            cl_ck_fail(ck, name, "under %s %u of %u workers that began never "
                 "ended", n->strategy, n->begun - n->ended - n->lost, n->begun);
            return;
        }
    }
    if (any)
        cl_ck_pass(ck, name, NULL);
    else
        cl_ck_skip(ck, name, "n/a: no run under any strategy got as far as "
             "starting its workers and finishing");
}

/* ---- deterministic expected values: create + expected() in child processes --- */

#define SAMPLE 64

struct det_shared {
    int status;        /* 0 ok, 1 create failed, 2 expected failed, 3 NOTSUP */
    int rc;
    uint64_t index;    /* where expected() failed */
    uint64_t v[2][SAMPLE]; /* two creates in this process */
};

static void det_child(const struct cl_checker *ck, const struct cl_variant *wv,
                      const char *url, const uint64_t *idx, size_t n,
                      struct det_shared *out)
{
    const struct conlab_workload_ops *wo = &ck->plugin->wops;
    struct conlab_workload_env env = {
        .struct_size = sizeof env,
        .n_tasks = wv->tasks,
        .n_workers = 1,
        .seed = ck->seed,
        .host = &cl_host_api,
        .cell = "check",
        .builtin_url = url,
    };
    for (int k = 0; k < 2; k++) {
        void *state = NULL;
        int rc = wo->create(&env, wv->config, &state);
        if (rc != CONLAB_OK) {
            out->status = 1;
            out->rc = rc;
            _exit(0);
        }
        for (size_t i = 0; i < n; i++) {
            rc = wo->expected(state, idx[i], &out->v[k][i]);
            if (rc == CONLAB_E_NOTSUP) {
                out->status = 3;
                _exit(0);
            }
            if (rc != CONLAB_OK) {
                out->status = 2;
                out->rc = rc;
                out->index = idx[i];
                _exit(0);
            }
        }
        if (wo->destroy)
            wo->destroy(state);
    }
    out->status = 0;
    _exit(0);
}

/* Fork a child (a process group of its own, see child.h) that fills *out;
 * wait at most the check's timeout, then kill whatever it left behind.  0
 * when it exited normally, else -1 with why. */
static int det_fork(const struct cl_checker *ck, const struct cl_variant *wv,
                    const char *url, const uint64_t *idx, size_t n,
                    struct det_shared *out, char *why, size_t whylen)
{
    pid_t pid = cl_child_fork();
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        signal(SIGPIPE, SIG_IGN);
        det_child(ck, wv, url, idx, n, out);
    }
    const struct cl_child_watch w = {
        cl_now_ns() + (uint64_t)(ck->timeout_s * 1e9), 0, NULL};
    struct cl_child_exit ex;
    enum cl_child_end end = cl_child_wait(pid, &w, &ex);
    int st = ex.status;
    if (end == CL_CHILD_GONE) {
        snprintf(why, whylen, "waitpid: %s", strerror(ECHILD));
        return -1;
    }
    if (end == CL_CHILD_TIMEOUT) {
        snprintf(why, whylen, "timeout: create and expected() took more "
                 "than %gs", ck->timeout_s);
        return -1;
    }
    if (WIFSIGNALED(st)) {
        snprintf(why, whylen, "crashed: killed by signal %d (%s) in create or "
                 "expected()", WTERMSIG(st), strsignal(WTERMSIG(st)));
        return -1;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
        snprintf(why, whylen, "the process exited with status %d in create "
                 "or expected()", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
        return -1;
    }
    return 0;
}

static size_t sample_indices(uint64_t n_tasks, uint64_t seed, uint64_t *idx)
{
    if (n_tasks == 0)
        return 0;
    size_t n = 0;
    const uint64_t fixed[] = {0, 1, 2, n_tasks / 2, n_tasks - 1};
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++)
        if (fixed[i] < n_tasks)
            idx[n++] = fixed[i];
    uint64_t x = seed ^ 0x5851f42d4c957f2dull;
    while (n < SAMPLE) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        idx[n++] = (x >> 11) % n_tasks;
    }
    return n;
}

static void workload_deterministic(struct cl_checker *ck, const char *name)
{
    if (!ck->plugin->wops.expected) {
        cl_ck_skip(ck, name, "n/a: the workload has no expected() (values are not "
             "checked; exactly-once still is)");
        return;
    }
    char why[1200];
    if (!cl_ck_have(ck, CONLAB_KIND_STRATEGY, "sequential", why, sizeof why)) {
        cl_ck_skip(ck, name, "n/a: %s", why);
        return;
    }
    struct cl_plugref s;
    cl_plugref_init(&s, "sequential", NULL);
    struct cl_spec *spec = cl_ck_load_spec(ck, &s, &ck->sut, NULL, why, sizeof why);
    cl_plugref_free(&s);
    if (!spec) {
        cl_ck_fail(ck, name, "could not load: %s", why);
        return;
    }
    const struct cl_variant *wv = &spec->workloads[0];
    uint64_t idx[SAMPLE];
    size_t n = sample_indices(wv->tasks, ck->seed, idx);
    if (n == 0) {
        cl_ck_skip(ck, name, "n/a: the workload has no tasks (give --param tasks=N)");
        cl_spec_free(spec);
        return;
    }
    const char *url = cl_ck_builtin_url(ck, wv);
    struct det_shared *sh = mmap(NULL, 2 * sizeof *sh, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        cl_ck_fail(ck, name, "cannot map memory: %s", strerror(errno));
        cl_spec_free(spec);
        return;
    }
    int ok = 1;
    for (int c = 0; c < 2 && ok; c++) {
        ok = det_fork(ck, wv, url, idx, n, &sh[c], why, sizeof why) == 0;
        if (!ok)
            cl_ck_fail(ck, name, "%s", why);
        else if (sh[c].status == 3) {
            cl_ck_skip(ck, name, "n/a: expected() says values are not checked "
                 "(E_NOTSUP)");
            ok = 0;
        } else if (sh[c].status == 1) {
            cl_ck_fail(ck, name, "create failed: %s (%s)", conlab_strerror(sh[c].rc),
                 conlab_err_name(sh[c].rc));
            ok = 0;
        } else if (sh[c].status == 2) {
            cl_ck_fail(ck, name, "expected(%llu) failed: %s (%s)",
                 (unsigned long long)sh[c].index, conlab_strerror(sh[c].rc),
                 conlab_err_name(sh[c].rc));
            ok = 0;
        }
    }
    for (size_t i = 0; ok && i < n; i++) {
        uint64_t a = sh[0].v[0][i], b = sh[0].v[1][i], c = sh[1].v[0][i];
        if (a != b || a != c) {
            cl_ck_fail(ck, name, "expected(%llu) gave %llu, then %llu%s, for creates "
                 "with the same config and seed %llu: expected values must "
                 "depend only on the config, the seed and the index",
                 (unsigned long long)idx[i], (unsigned long long)a,
                 (unsigned long long)(a != b ? b : c),
                 a != b ? " in the same process" : " in another process",
                 (unsigned long long)ck->seed);
            ok = 0;
        }
    }
    if (ok)
        cl_ck_pass(ck, name, "%zu indices, two creates in one process and one in "
             "another", n);
    munmap(sh, 2 * sizeof *sh);
    cl_spec_free(spec);
}

/* ---- waiting only through the host ------------------------------------------------ */

/* Run strategy `strategy` with `param` = c, pinned to one PU. */
static int run_pinned(struct cl_checker *ck, const char *strategy,
                      const char *param, int c, const char *pinning,
                      struct cl_outcome *o)
{
    struct cl_plugref s;
    cl_plugref_init(&s, strategy, NULL);
    (void)cl_plugref_set(&s, param, "%d", c);
    int rc = cl_ck_run_cell(ck, &s, &ck->sut, pinning, o);
    cl_plugref_free(&s);
    return rc;
}

static void workload_waits(struct cl_checker *ck, const char *name,
                           const struct seq_timing *seq, uint64_t n_tasks)
{
    char why[1200], buf[2048];
    if (!seq->ok) {
        cl_ck_skip(ck, name, "n/a: needs a clean run under sequential first");
        return;
    }
    if (seq->wall_s < 0.02) {
        cl_ck_skip(ck, name, "n/a: the tasks are too short to tell (%.3g s for %llu "
             "tasks under sequential)", seq->wall_s,
             (unsigned long long)n_tasks);
        return;
    }
    if (seq->cpu_s >= 0.5 * seq->wall_s) {
        cl_ck_skip(ck, name, "n/a: the tasks do not wait (CPU time is %.0f%% of wall "
             "time under sequential)", 100.0 * seq->cpu_s / seq->wall_s);
        return;
    }
    if (n_tasks < 4) {
        cl_ck_skip(ck, name, "n/a: needs at least 4 tasks to tell (give --param "
             "tasks=N)");
        return;
    }
    if (!cl_ck_have(ck, CONLAB_KIND_STRATEGY, "threads", why, sizeof why) ||
        !cl_ck_have(ck, CONLAB_KIND_STRATEGY, "coroutines", why, sizeof why)) {
        cl_ck_skip(ck, name, "n/a: %s", why);
        return;
    }
    int c = n_tasks < 8 ? (int)n_tasks : 8;
    /* Everything on one PU: threads then overlap only waits, as a loop does. */
    struct cl_plan *plan = NULL;
    struct cl_pinning compact = {CL_PIN_COMPACT, 0, NULL};
    char pinning[32] = "none";
    if (cl_topo_plan(ck->topo, &compact, 1, &plan, buf, sizeof buf) == 0 &&
        plan->pinned && plan->pu[0] >= 0)
        snprintf(pinning, sizeof pinning, "[%d]", plan->pu[0]);
    cl_plan_free(plan);

    /* Timings on a shared machine are noisy: keep the best of a few rounds
     * and decide as soon as the answer is clear. */
    enum { ROUNDS = 3 };
    double t = INFINITY, k = INFINITY;
    for (int round = 1; round <= ROUNDS && !ck->interrupted; round++) {
        struct cl_outcome thr, co;
        if (run_pinned(ck, "threads", "workers", c, pinning, &thr) != 0) {
            cl_ck_skip(ck, name, "n/a: could not run under threads: %s", thr.why);
            return;
        }
        if (thr.row.status != CL_ST_OK) {
            cl_ck_skip(ck, name, "n/a: the run under threads did not succeed: %s",
                 cl_ck_describe(&thr, buf, sizeof buf));
            cl_ck_outcome_free(&thr);
            return;
        }
        t = fmin(t, thr.row.wall_s);
        cl_ck_outcome_free(&thr);
        if (ck->interrupted)
            return;
        if (run_pinned(ck, "coroutines", "concurrency", c, pinning, &co) != 0) {
            cl_ck_skip(ck, name, "n/a: could not run under coroutines: %s", co.why);
            return;
        }
        if (co.row.status != CL_ST_OK) {
            cl_ck_fail(ck, name, "under coroutines (concurrency %d): %s", c,
                 cl_ck_describe(&co, buf, sizeof buf));
            cl_ck_outcome_free(&co);
            return;
        }
        k = fmin(k, co.row.wall_s);
        cl_ck_outcome_free(&co);
        int overlaps = 2 * t <= seq->wall_s;
        int stalls = k > sqrt(t * seq->wall_s);
        if (overlaps && !stalls) {
            cl_ck_pass(ck, name, "coroutines %.3g s, threads %.3g s, sequential "
                 "%.3g s", k, t, seq->wall_s);
            return;
        }
        if (round < ROUNDS)
            continue;
        if (!overlaps)
            cl_ck_skip(ck, name, "n/a: %d threads do not overlap its waits either "
                 "(best of %d: %.3g s against %.3g s under sequential)", c,
                 ROUNDS, t, seq->wall_s);
        else
            cl_ck_fail(ck, name, "under coroutines (concurrency %d) the tasks took "
                 "%.3g s, %.1fx as long as under threads with %d workers "
                 "(%.3g s; sequential %.3g s; best of %d): a task blocks its "
                 "thread instead of waiting through w->waiter, which stalls "
                 "an event loop%s", c, k, k / t, c, t, seq->wall_s, ROUNDS,
                 (ck->plugin->wops.flags & CONLAB_WORKLOAD_F_BLOCKING)
                     ? " (the plugin declares CONLAB_WORKLOAD_F_BLOCKING: "
                       "this variant blocks on purpose)"
                     : "");
    }
}

static uint64_t workload_tasks(struct cl_checker *ck)
{
    struct cl_plugref s;
    cl_plugref_init(&s, "sequential", NULL);
    char why[1200];
    struct cl_spec *spec = cl_ck_load_spec(ck, &s, &ck->sut, NULL, why, sizeof why);
    cl_plugref_free(&s);
    uint64_t n = spec ? spec->workloads[0].tasks : 0;
    cl_spec_free(spec);
    return n;
}

void cl_ck_workload(struct cl_checker *ck)
{
    struct run_note notes[N_UNDERS];
    memset(notes, 0, sizeof notes);
    struct seq_timing seq = {0, 0, 0};
    workload_under(ck, notes, &seq);
    if (!ck->interrupted && cl_ck_selected(ck, "worker-init-fini"))
        workload_init_fini(ck, "worker-init-fini", notes);
    if (!ck->interrupted && cl_ck_selected(ck, "deterministic-expected"))
        workload_deterministic(ck, "deterministic-expected");
    if (!ck->interrupted && cl_ck_selected(ck, "waits-through-host"))
        workload_waits(ck, "waits-through-host", &seq, workload_tasks(ck));
}


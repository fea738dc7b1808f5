/* check.c — `conlab check PLUGIN`: conformance for plugin authors.
 *
 * A strategy is run against the built-in workloads (sleep, fib, noop) and
 * the `conformance` workload (seeded values, planned failures, a worker
 * whose init fails, waits, overlapping-call detection), and through edge
 * cases: no task, one task, more workers than tasks, 100,000 tasks, pinning.
 * A workload is run under every built-in strategy, and checked for
 * deterministic expected values, paired worker init/fini, and for waiting
 * only through the host (under coroutines it must not take much longer than
 * under threads with as many workers).
 *
 * Every run is one repetition of one cell, forked and judged exactly as
 * `conlab run` does it (cl_run_rep_once), so a crash or a hang costs its
 * check, never the command.  The specs are generated as YAML and loaded by
 * the real spec loader, so --param values are parsed and range-checked as in
 * a spec. */
#include "check.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "child.h"
#include "cli.h"
#include "job.h"
#include "registry.h"
#include "results.h"
#include "rep.h"
#include "serve.h"
#include "spec.h"
#include "topo.h"
#include "util.h"

#define MAX_KV 64
#define DEFAULT_TIMEOUT_S 30.0

/* ---- plugins as written into a generated spec -------------------------------- */

struct kv {
    const char *key;
    char *value; /* owned */
};

struct plugref {
    const char *name; /* the spec entry's name */
    const char *path; /* NULL: found by name in the plugin path */
    size_t n;
    struct kv kv[MAX_KV];
};

static void ref_init(struct plugref *r, const char *name, const char *path)
{
    memset(r, 0, sizeof *r);
    r->name = name;
    r->path = path;
}

static void ref_free(struct plugref *r)
{
    for (size_t i = 0; i < r->n; i++)
        free(r->kv[i].value);
    r->n = 0;
}

/* Set key to value (printf-style), replacing an earlier value.  0, or -1
 * when the table is full. */
static int ref_set(struct plugref *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int ref_set(struct plugref *r, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *v = NULL;
    int len = vasprintf(&v, fmt, ap);
    va_end(ap);
    if (len < 0)
        return -1;
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->kv[i].key, key) == 0) {
            free(r->kv[i].value);
            r->kv[i].value = v;
            return 0;
        }
    if (r->n == MAX_KV) {
        free(v);
        return -1;
    }
    r->kv[r->n].key = key;
    r->kv[r->n].value = v;
    r->n++;
    return 0;
}

static void ref_copy(struct plugref *dst, const struct plugref *src)
{
    ref_init(dst, src->name, src->path);
    for (size_t i = 0; i < src->n; i++)
        (void)ref_set(dst, src->kv[i].key, "%s", src->kv[i].value);
}

/* ---- the checker ------------------------------------------------------------- */

struct run_note {        /* what one run under a strategy says about workers */
    int ran;
    int finished;        /* the strategy's run() returned: counts are final */
    const char *strategy;
    unsigned n_workers;
    uint32_t begun, ended, lost, init_failed;
    char init_reason[CL_REASON_LEN];
};

struct checker {
    struct cl_registry reg;
    struct cl_topo *topo;
    const struct cl_plugin *plugin; /* under test */
    struct plugref sut;             /* it, with the --param values */
    double timeout_s;
    uint64_t seed;
    const char *only; /* comma-separated check names, or NULL */
    struct cl_server *server;
    int server_failed;
    unsigned passed, failed, skipped;
    int interrupted;
    int internal_error;
};

static int selected(const struct checker *ck, const char *name)
{
    if (!ck->only)
        return 1;
    size_t len = strlen(name);
    for (const char *p = ck->only; *p;) {
        size_t n = strcspn(p, ",");
        if (n == len && strncmp(p, name, n) == 0)
            return 1;
        p += n + (p[n] == ',');
    }
    return 0;
}

/* Every check's name, by the kind of plugin it applies to. */
static const char *const strategy_checks[] = {
    "load", "params", "sleep", "fib", "noop", "zero-tasks", "one-task",
    "more-workers-than-tasks", "many-tasks", "failing-tasks",
    "worker-init-fails", "exactly-once", "pinning", NULL};
static const char *const workload_checks[] = {
    "load", "params", "under-sequential", "under-threads", "under-processes",
    "under-coroutines", "under-gil", "worker-init-fini",
    "deterministic-expected", "waits-through-host", NULL};

/* Every name in --only must be a check of this kind.  0, or -1 (printed). */
static int validate_only(const struct checker *ck, enum conlab_kind kind)
{
    const char *const *names =
        kind == CONLAB_KIND_STRATEGY ? strategy_checks : workload_checks;
    for (const char *p = ck->only; p && *p;) {
        size_t n = strcspn(p, ",");
        int known = n == 0;
        for (size_t i = 0; names[i] && !known; i++)
            known = strlen(names[i]) == n && strncmp(names[i], p, n) == 0;
        if (!known) {
            fprintf(stderr, "conlab check: --only: no check '%.*s' for a %s "
                    "(checks:", (int)n, p, cl_kind_name(kind));
            for (size_t i = 0; names[i]; i++)
                fprintf(stderr, " %s", names[i]);
            fputs(")\n", stderr);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}

static void pass(struct checker *ck, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void pass(struct checker *ck, const char *name, const char *fmt, ...)
{
    ck->passed++;
    printf("PASS %s", name);
    if (fmt) {
        va_list ap;
        va_start(ap, fmt);
        fputs(" (", stdout);
        vprintf(fmt, ap);
        fputc(')', stdout);
        va_end(ap);
    }
    fputc('\n', stdout);
}

static void report(unsigned *counter, const char *word, const char *name,
                   const char *fmt, va_list ap)
{
    (*counter)++;
    printf("%s %s: ", word, name);
    vprintf(fmt, ap);
    fputc('\n', stdout);
}

static void fail(struct checker *ck, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fail(struct checker *ck, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(&ck->failed, "FAIL", name, fmt, ap);
    va_end(ap);
}

static void skip(struct checker *ck, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void skip(struct checker *ck, const char *name, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    report(&ck->skipped, "SKIP", name, fmt, ap);
    va_end(ap);
}

/* ---- generated specs --------------------------------------------------------- */

static void yaml_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fputc('\\', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

static void write_entry(FILE *f, const struct plugref *r)
{
    fprintf(f, "  - %s:\n", r->name);
    if (r->path) {
        fputs("      plugin: ", f);
        yaml_quoted(f, r->path);
        fputc('\n', f);
    }
    for (size_t i = 0; i < r->n; i++)
        fprintf(f, "      %s: %s\n", r->kv[i].key, r->kv[i].value);
}

static char *spec_text(const struct checker *ck, const struct plugref *s,
                       const struct plugref *w, const char *pinning)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fprintf(f, "experiment: check\nrepeat: 1\nwarmup: 0\ntimeout: %.9gs\n"
               "seed: %llu\npinning: %s\nstrategies:\n",
            ck->timeout_s, (unsigned long long)ck->seed,
            pinning ? pinning : "none");
    write_entry(f, s);
    fputs("workloads:\n", f);
    write_entry(f, w);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* Load a generated spec.  NULL with the loader's messages in why. */
static struct cl_spec *load_spec(struct checker *ck, const struct plugref *s,
                                 const struct plugref *w, const char *pinning,
                                 char *why, size_t whylen)
{
    char *text = spec_text(ck, s, w, pinning);
    if (!text) {
        snprintf(why, whylen, "cannot build a spec: %s", strerror(errno));
        return NULL;
    }
    struct cl_diags d = {0, 0, NULL};
    struct cl_plugin_lookup lk = cl_registry_lookup(&ck->reg);
    struct cl_spec *spec = NULL;
    if (cl_spec_load_string("<check>", text, strlen(text), &lk, &spec, &d) != 0) {
        why[0] = '\0';
        size_t used = 0;
        for (size_t i = 0; i < d.n && used + 1 < whylen; i++)
            used += (size_t)snprintf(why + used, whylen - used, "%s%s",
                                     i ? "; " : "", d.v[i].msg);
        if (!d.n)
            snprintf(why, whylen, "the generated spec did not load");
        spec = NULL;
    }
    cl_diags_free(&d);
    free(text);
    return spec;
}

/* ---- running one cell -------------------------------------------------------- */

struct outcome {
    struct cl_rep_row row;
    struct cl_cellmem mem; /* mapped when ran */
    unsigned n_workers;
    uint32_t begun, ended, lost, init_failed;
    uint64_t misuse, bad_index;
    int finished;   /* the strategy's run() returned */
    int run_status; /* what it returned */
    char why[1024]; /* when it could not run */
};

static void outcome_free(struct outcome *o)
{
    if (o->mem.sh)
        cl_cellmem_unmap(&o->mem);
}

/* Does a workload variant name a `builtin:` URL (it needs the server)? */
static int uses_builtin(const struct cl_variant *v)
{
    for (size_t i = 0; i < v->n_params; i++)
        if (v->params[i].value && strstr(v->params[i].value, "builtin:"))
            return 1;
    return 0;
}

static const char *builtin_url(struct checker *ck, const struct cl_variant *w)
{
    if (!uses_builtin(w) || ck->server_failed)
        return NULL;
    if (!ck->server) {
        char err[512];
        char *exe = cl_exe_path();
        if (cl_server_spawn(&ck->server, exe ? exe : "/proc/self/exe",
                            ck->seed, err, sizeof err) != 0) {
            cl_log(CONLAB_LOG_ERROR, NULL, "built-in server: %s", err);
            ck->server = NULL;
            ck->server_failed = 1;
        }
        free(exe);
    }
    return ck->server ? cl_server_url(ck->server) : NULL;
}

/* Run strategy s x workload w once.  0 when it ran (o->row judged, o->mem
 * to be released by outcome_free), -1 when it could not (o->why). */
static int run_cell(struct checker *ck, const struct plugref *s,
                    const struct plugref *w, const char *pinning,
                    struct outcome *o)
{
    memset(o, 0, sizeof *o);
    struct cl_spec *spec = load_spec(ck, s, w, pinning, o->why, sizeof o->why);
    if (!spec)
        return -1;
    const char *url = builtin_url(ck, &spec->workloads[0]);
    int rc = cl_run_rep_once(spec, 0, 0, ck->topo, url, &o->mem, &o->row);
    cl_spec_free(spec);
    if (rc != 0) {
        snprintf(o->why, sizeof o->why, "%s", o->row.detail);
        return -1;
    }
    const struct cl_shared *sh = o->mem.sh;
    o->n_workers = sh->n_workers;
    o->begun = atomic_load(&sh->workers_begun);
    o->ended = atomic_load(&sh->workers_ended);
    o->lost = atomic_load(&sh->workers_lost);
    o->init_failed = atomic_load(&sh->workers_init_failed);
    o->misuse = atomic_load(&sh->misuse);
    o->bad_index = atomic_load(&sh->bad_index);
    o->finished = sh->phase == CL_PHASE_FINISHED;
    o->run_status = sh->run_status;
    if (o->row.status == CL_ST_INTERRUPTED)
        ck->interrupted = 1;
    return 0;
}

/* "wrong: 1 tasks never ran", with the failure reasons when tasks failed. */
static const char *describe(const struct outcome *o, char *buf, size_t len)
{
    const struct cl_rep_row *r = &o->row;
    snprintf(buf, len, "%s: %s", cl_status_name(r->status),
             r->detail[0] ? r->detail : "no detail");
    if (r->reasons[0]) {
        size_t used = strlen(buf);
        snprintf(buf + used, len - used, " (reasons: %s)", r->reasons);
    }
    return buf;
}

/* Run a cell and report it as check `name`: PASS when the row is ok. */
static void check_ok(struct checker *ck, const char *name,
                     const struct plugref *s, const struct plugref *w)
{
    struct outcome o;
    char buf[2048];
    if (run_cell(ck, s, w, NULL, &o) != 0)
        fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status != CL_ST_OK)
        fail(ck, name, "%s", describe(&o, buf, sizeof buf));
    else
        pass(ck, name, NULL);
    outcome_free(&o);
}

/* ---- helpers about plugins ----------------------------------------------------- */

/* Is plugin `name` of `kind` in the plugin path (and loadable)? */
static int have(struct checker *ck, enum conlab_kind kind, const char *name,
                char *why, size_t whylen)
{
    char err[1024];
    if (cl_registry_find(&ck->reg, kind, name, err, sizeof err))
        return 1;
    snprintf(why, whylen, "%s '%s' is not in the plugin path (%s)",
             cl_kind_name(kind), name, err);
    return 0;
}

/* The strategy's parameter that sets its number of workers, if any. */
static const struct conlab_param *worker_param(const struct cl_plugin *p)
{
    static const char *const names[] = {"workers", "concurrency", "threads",
                                        "processes"};
    for (size_t k = 0; k < sizeof names / sizeof names[0]; k++)
        for (size_t i = 0; p->desc.params && p->desc.params[i].name; i++) {
            const struct conlab_param *q = &p->desc.params[i];
            if (q->type == CONLAB_PARAM_INT && strcmp(q->name, names[k]) == 0)
                return q;
        }
    return NULL;
}

/* Ask the strategy under test for `want` workers (clamped to its range);
 * 0 when it has no such parameter. */
static int set_workers(const struct checker *ck, struct plugref *r, long long want)
{
    const struct conlab_param *q = worker_param(ck->plugin);
    if (!q)
        return 0;
    if (q->min < q->max) {
        if ((double)want > q->max)
            want = (long long)q->max;
        if ((double)want < q->min)
            want = (long long)ceil(q->min);
    }
    return ref_set(r, q->name, "%lld", want) == 0;
}

static unsigned usable_pus(const struct checker *ck)
{
    unsigned pus = 0;
    cl_topo_counts(ck->topo, NULL, NULL, NULL, &pus);
    return pus;
}

/* ---- strategy checks ------------------------------------------------------------ */

/* The built-in workloads, small. */
static void strategy_builtin_workloads(struct checker *ck)
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
        if (!selected(ck, wl[i].name))
            continue;
        char why[1200];
        if (!have(ck, CONLAB_KIND_WORKLOAD, wl[i].name, why, sizeof why)) {
            skip(ck, wl[i].name, "n/a: %s", why);
            continue;
        }
        struct plugref w;
        ref_init(&w, wl[i].name, NULL);
        for (size_t k = 0; k < 3 && wl[i].kv[k][0]; k++)
            (void)ref_set(&w, wl[i].kv[k][0], "%s", wl[i].kv[k][1]);
        check_ok(ck, wl[i].name, &ck->sut, &w);
        ref_free(&w);
    }
}

/* noop with `arg` tasks: the edge cases of 0, 1 and 100,000 tasks. */
static void strategy_noop_tasks(struct checker *ck, const char *name, long arg)
{
    struct plugref w;
    ref_init(&w, "noop", NULL);
    (void)ref_set(&w, "tasks", "%ld", arg);
    check_ok(ck, name, &ck->sut, &w);
    ref_free(&w);
}

static void strategy_more_workers(struct checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 3 };
    struct plugref s, w;
    ref_copy(&s, &ck->sut);
    int settable = set_workers(ck, &s, 8);
    ref_init(&w, "noop", NULL);
    (void)ref_set(&w, "tasks", "%d", TASKS);
    struct outcome o;
    char buf[2048];
    if (run_cell(ck, &s, &w, NULL, &o) != 0)
        fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status != CL_ST_OK)
        fail(ck, name, "%s", describe(&o, buf, sizeof buf));
    else if (o.n_workers <= TASKS)
        skip(ck, name, "n/a: the strategy ran %u worker%s for %d tasks%s",
             o.n_workers, o.n_workers == 1 ? "" : "s", TASKS,
             settable ? "" : " and has no workers/concurrency parameter");
    else
        pass(ck, name, "%u workers, %d tasks", o.n_workers, TASKS);
    outcome_free(&o);
    ref_free(&s);
    ref_free(&w);
}

static void strategy_failing_tasks(struct checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 30, EVERY = 3 };
    struct plugref w;
    ref_init(&w, "conformance", NULL);
    (void)ref_set(&w, "tasks", "%d", TASKS);
    (void)ref_set(&w, "fail_every", "%d", EVERY);
    struct outcome o;
    char buf[2048];
    const uint64_t want_failed = TASKS / EVERY;
    if (run_cell(ck, &ck->sut, &w, NULL, &o) != 0)
        fail(ck, name, "could not run: %s", o.why);
    else if (o.row.status == CL_ST_FAILED && o.row.tasks_failed == want_failed &&
             o.row.tasks_ok == TASKS - want_failed &&
             strstr(o.row.reasons, "planned failure"))
        pass(ck, name, "%llu of %d tasks failed as planned, the others ran",
             (unsigned long long)want_failed, TASKS);
    else if (o.row.status == CL_ST_OK)
        fail(ck, name, "every task reported ok, but every %dth task fails: "
             "task statuses are lost", EVERY);
    else if (o.row.tasks_missing > 1 && o.row.tasks_failed < want_failed &&
             o.row.status == CL_ST_WRONG)
        fail(ck, name, "%s: a failed task is recorded by the host, the "
             "strategy must go on with the other tasks (%llu of %d should "
             "fail, %llu did)", describe(&o, buf, sizeof buf),
             (unsigned long long)want_failed, TASKS,
             (unsigned long long)o.row.tasks_failed);
    else
        fail(ck, name, "%s", describe(&o, buf, sizeof buf));
    outcome_free(&o);
    ref_free(&w);
}

static void strategy_init_fails(struct checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 20 };
    struct plugref s, w;
    ref_copy(&s, &ck->sut);
    (void)set_workers(ck, &s, 4);
    ref_init(&w, "conformance", NULL);
    (void)ref_set(&w, "tasks", "%d", TASKS);
    (void)ref_set(&w, "fail_init_worker", "0");
    struct outcome o;
    char buf[2048];
    const struct cl_rep_row *r = &o.row;
    /* the workload's failure is provoked: its log lines are noise here */
    int level = cl_log_level;
    if (level < CONLAB_LOG_DEBUG)
        cl_log_level = -1;
    int rc = run_cell(ck, &s, &w, NULL, &o);
    cl_log_level = level;
    if (rc != 0) {
        fail(ck, name, "could not run: %s", o.why);
    } else if (r->status > CL_ST_ERROR) { /* memory, timeout, crashed, ... */
        fail(ck, name, "%s", describe(&o, buf, sizeof buf));
    } else if (o.init_failed == 0) {
        fail(ck, name, "worker 0's worker_init was never called (every "
             "worker must call job->worker_begin before it runs tasks)");
    } else if (o.misuse) {
        fail(ck, name, "after worker 0's worker_begin failed, the strategy "
             "still used it: %llu job call%s out of protocol (a worker whose "
             "worker_begin fails must not run tasks nor call worker_end)",
             (unsigned long long)o.misuse, o.misuse == 1 ? "" : "s");
    } else if (r->tasks_duplicated || r->tasks_wrong || o.bad_index ||
               r->tasks_failed || o.begun > o.ended + o.lost) {
        fail(ck, name, "%s", describe(&o, buf, sizeof buf));
    } else if (r->status == CL_ST_ERROR) {
        fail(ck, name, "%s%s", describe(&o, buf, sizeof buf),
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
        pass(ck, name, "%s", note);
    }
    outcome_free(&o);
    ref_free(&s);
    ref_free(&w);
}

static void strategy_exactly_once(struct checker *ck, const char *name, long arg)
{
    (void)arg;
    struct plugref s, w;
    ref_copy(&s, &ck->sut);
    (void)set_workers(ck, &s, 4);
    ref_init(&w, "conformance", NULL);
    (void)ref_set(&w, "tasks", "2000");
    (void)ref_set(&w, "max_wait", "200us");
    check_ok(ck, name, &s, &w);
    ref_free(&s);
    ref_free(&w);
}

/* Make the process (and so the cell's child) start on one PU other than the
 * one worker 0 is planned on, so an unbound worker shows.  Saves the old
 * mask in *old; 0 when changed. */
static int start_elsewhere(const struct checker *ck, cpu_set_t *old)
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

static void strategy_pinning(struct checker *ck, const char *name, long arg)
{
    (void)arg;
    enum { TASKS = 64 };
    if (usable_pus(ck) < 2) {
        skip(ck, name, "n/a: this process may use only one CPU");
        return;
    }
    struct plugref s, w;
    ref_copy(&s, &ck->sut);
    (void)set_workers(ck, &s, 4);
    ref_init(&w, "conformance", NULL);
    (void)ref_set(&w, "tasks", "%d", TASKS);
    (void)ref_set(&w, "max_wait", "2ms");
    cpu_set_t old;
    int moved = start_elsewhere(ck, &old) == 0;
    struct outcome o;
    int rc = run_cell(ck, &s, &w, "compact", &o);
    if (moved && sched_setaffinity(0, sizeof old, &old) != 0)
        cl_log(CONLAB_LOG_WARN, NULL, "cannot restore CPU affinity: %s",
               strerror(errno));
    char buf[2048];
    struct cl_plan *plan = NULL;
    struct cl_pinning compact = {CL_PIN_COMPACT, 0, NULL};
    if (rc != 0) {
        fail(ck, name, "could not run: %s", o.why);
    } else if (o.row.status != CL_ST_OK) {
        fail(ck, name, "%s", describe(&o, buf, sizeof buf));
    } else if (cl_topo_plan(ck->topo, &compact, o.n_workers, &plan, buf,
                            sizeof buf) != 0) {
        fail(ck, name, "cannot plan %u workers: %s", o.n_workers, buf);
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
            pass(ck, name, "every task on its worker's planned CPU");
        } else if (!off_w0) {
            pass(ck, name, "every task on worker 0's CPU: one bound thread");
        } else {
            const struct cl_record *r = &o.mem.rec[first];
            fail(ck, name, "%llu of %d tasks ran off their worker's planned CPU "
                 "under pinning: compact, e.g. task %llu of worker %u on CPU %d "
                 "instead of %d (each worker must call job->bind(job, w) on its "
                 "own thread or process before worker_begin)",
                 (unsigned long long)off_plan, TASKS, (unsigned long long)first,
                 r->worker, r->cpu, plan->pu[r->worker]);
        }
    }
    cl_plan_free(plan);
    outcome_free(&o);
    ref_free(&s);
    ref_free(&w);
}

struct check_fn {
    const char *name;
    const char *needs; /* a workload the check runs */
    void (*fn)(struct checker *, const char *, long);
    long arg;
};

static void check_strategy(struct checker *ck)
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
    };
    strategy_builtin_workloads(ck);
    for (size_t i = 0; i < sizeof fns / sizeof fns[0] && !ck->interrupted; i++) {
        if (!selected(ck, fns[i].name))
            continue;
        char why[1200];
        if (!have(ck, CONLAB_KIND_WORKLOAD, fns[i].needs, why, sizeof why)) {
            skip(ck, fns[i].name, "n/a: %s", why);
            continue;
        }
        fns[i].fn(ck, fns[i].name, fns[i].arg);
    }
}

/* ---- workload checks ------------------------------------------------------------- */

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
static void init_reason(const struct outcome *o, char *out, size_t len)
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

static void workload_under(struct checker *ck, struct run_note *notes,
                           struct seq_timing *seq)
{
    for (size_t i = 0; i < N_UNDERS && !ck->interrupted; i++) {
        char name[64], why[1200], buf[2048];
        snprintf(name, sizeof name, "under-%s", unders[i].strategy);
        int wanted = selected(ck, name);
        /* the pairing and waiting checks need these runs too */
        if (!wanted && !selected(ck, "worker-init-fini") &&
            !(i == 0 && selected(ck, "waits-through-host")))
            continue;
        if (!have(ck, CONLAB_KIND_STRATEGY, unders[i].strategy, why, sizeof why)) {
            if (wanted)
                skip(ck, name, "n/a: %s", why);
            continue;
        }
        struct plugref s;
        ref_init(&s, unders[i].strategy, NULL);
        if (unders[i].param)
            (void)ref_set(&s, unders[i].param, "%d", unders[i].workers);
        struct outcome o;
        if (run_cell(ck, &s, &ck->sut, NULL, &o) != 0) {
            if (wanted)
                fail(ck, name, "could not run: %s", o.why);
        } else {
            if (wanted) {
                if (o.row.status == CL_ST_OK)
                    pass(ck, name, NULL);
                else
                    fail(ck, name, "%s", describe(&o, buf, sizeof buf));
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
        outcome_free(&o);
        ref_free(&s);
    }
}

static void workload_init_fini(struct checker *ck, const char *name,
                               const struct run_note *notes)
{
    int any = 0;
    for (size_t i = 0; i < N_UNDERS; i++) {
        const struct run_note *n = &notes[i];
        if (!n->ran || !n->finished || n->begun + n->init_failed == 0)
            continue;
        any = 1;
        if (n->init_failed) {
            fail(ck, name, "worker_init failed on %u of %u workers under %s%s%s",
                 n->init_failed, n->n_workers, n->strategy,
                 n->init_reason[0] ? ": " : "", n->init_reason);
            return;
        }
        if (n->begun != n->ended + n->lost) {
            fail(ck, name, "under %s %u of %u workers that began never "
                 "ended", n->strategy, n->begun - n->ended - n->lost, n->begun);
            return;
        }
    }
    if (any)
        pass(ck, name, NULL);
    else
        skip(ck, name, "n/a: no run under any strategy got as far as "
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

static void det_child(const struct checker *ck, const struct cl_variant *wv,
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
static int det_fork(const struct checker *ck, const struct cl_variant *wv,
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

static void workload_deterministic(struct checker *ck, const char *name)
{
    if (!ck->plugin->wops.expected) {
        skip(ck, name, "n/a: the workload has no expected() (values are not "
             "checked; exactly-once still is)");
        return;
    }
    char why[1200];
    if (!have(ck, CONLAB_KIND_STRATEGY, "sequential", why, sizeof why)) {
        skip(ck, name, "n/a: %s", why);
        return;
    }
    struct plugref s;
    ref_init(&s, "sequential", NULL);
    struct cl_spec *spec = load_spec(ck, &s, &ck->sut, NULL, why, sizeof why);
    ref_free(&s);
    if (!spec) {
        fail(ck, name, "could not load: %s", why);
        return;
    }
    const struct cl_variant *wv = &spec->workloads[0];
    uint64_t idx[SAMPLE];
    size_t n = sample_indices(wv->tasks, ck->seed, idx);
    if (n == 0) {
        skip(ck, name, "n/a: the workload has no tasks (give --param tasks=N)");
        cl_spec_free(spec);
        return;
    }
    const char *url = builtin_url(ck, wv);
    struct det_shared *sh = mmap(NULL, 2 * sizeof *sh, PROT_READ | PROT_WRITE,
                                 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (sh == MAP_FAILED) {
        fail(ck, name, "cannot map memory: %s", strerror(errno));
        cl_spec_free(spec);
        return;
    }
    int ok = 1;
    for (int c = 0; c < 2 && ok; c++) {
        ok = det_fork(ck, wv, url, idx, n, &sh[c], why, sizeof why) == 0;
        if (!ok)
            fail(ck, name, "%s", why);
        else if (sh[c].status == 3) {
            skip(ck, name, "n/a: expected() says values are not checked "
                 "(E_NOTSUP)");
            ok = 0;
        } else if (sh[c].status == 1) {
            fail(ck, name, "create failed: %s (%s)", conlab_strerror(sh[c].rc),
                 conlab_err_name(sh[c].rc));
            ok = 0;
        } else if (sh[c].status == 2) {
            fail(ck, name, "expected(%llu) failed: %s (%s)",
                 (unsigned long long)sh[c].index, conlab_strerror(sh[c].rc),
                 conlab_err_name(sh[c].rc));
            ok = 0;
        }
    }
    for (size_t i = 0; ok && i < n; i++) {
        uint64_t a = sh[0].v[0][i], b = sh[0].v[1][i], c = sh[1].v[0][i];
        if (a != b || a != c) {
            fail(ck, name, "expected(%llu) gave %llu, then %llu%s, for creates "
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
        pass(ck, name, "%zu indices, two creates in one process and one in "
             "another", n);
    munmap(sh, 2 * sizeof *sh);
    cl_spec_free(spec);
}

/* ---- waiting only through the host ------------------------------------------------ */

/* Run strategy `strategy` with `param` = c, pinned to one PU. */
static int run_pinned(struct checker *ck, const char *strategy,
                      const char *param, int c, const char *pinning,
                      struct outcome *o)
{
    struct plugref s;
    ref_init(&s, strategy, NULL);
    (void)ref_set(&s, param, "%d", c);
    int rc = run_cell(ck, &s, &ck->sut, pinning, o);
    ref_free(&s);
    return rc;
}

static void workload_waits(struct checker *ck, const char *name,
                           const struct seq_timing *seq, uint64_t n_tasks)
{
    char why[1200], buf[2048];
    if (!seq->ok) {
        skip(ck, name, "n/a: needs a clean run under sequential first");
        return;
    }
    if (seq->wall_s < 0.02) {
        skip(ck, name, "n/a: the tasks are too short to tell (%.3g s for %llu "
             "tasks under sequential)", seq->wall_s,
             (unsigned long long)n_tasks);
        return;
    }
    if (seq->cpu_s >= 0.5 * seq->wall_s) {
        skip(ck, name, "n/a: the tasks do not wait (CPU time is %.0f%% of wall "
             "time under sequential)", 100.0 * seq->cpu_s / seq->wall_s);
        return;
    }
    if (n_tasks < 4) {
        skip(ck, name, "n/a: needs at least 4 tasks to tell (give --param "
             "tasks=N)");
        return;
    }
    if (!have(ck, CONLAB_KIND_STRATEGY, "threads", why, sizeof why) ||
        !have(ck, CONLAB_KIND_STRATEGY, "coroutines", why, sizeof why)) {
        skip(ck, name, "n/a: %s", why);
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
        struct outcome thr, co;
        if (run_pinned(ck, "threads", "workers", c, pinning, &thr) != 0) {
            skip(ck, name, "n/a: could not run under threads: %s", thr.why);
            return;
        }
        if (thr.row.status != CL_ST_OK) {
            skip(ck, name, "n/a: the run under threads did not succeed: %s",
                 describe(&thr, buf, sizeof buf));
            outcome_free(&thr);
            return;
        }
        t = fmin(t, thr.row.wall_s);
        outcome_free(&thr);
        if (ck->interrupted)
            return;
        if (run_pinned(ck, "coroutines", "concurrency", c, pinning, &co) != 0) {
            skip(ck, name, "n/a: could not run under coroutines: %s", co.why);
            return;
        }
        if (co.row.status != CL_ST_OK) {
            fail(ck, name, "under coroutines (concurrency %d): %s", c,
                 describe(&co, buf, sizeof buf));
            outcome_free(&co);
            return;
        }
        k = fmin(k, co.row.wall_s);
        outcome_free(&co);
        int overlaps = 2 * t <= seq->wall_s;
        int stalls = k > sqrt(t * seq->wall_s);
        if (overlaps && !stalls) {
            pass(ck, name, "coroutines %.3g s, threads %.3g s, sequential "
                 "%.3g s", k, t, seq->wall_s);
            return;
        }
        if (round < ROUNDS)
            continue;
        if (!overlaps)
            skip(ck, name, "n/a: %d threads do not overlap its waits either "
                 "(best of %d: %.3g s against %.3g s under sequential)", c,
                 ROUNDS, t, seq->wall_s);
        else
            fail(ck, name, "under coroutines (concurrency %d) the tasks took "
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

static uint64_t workload_tasks(struct checker *ck)
{
    struct plugref s;
    ref_init(&s, "sequential", NULL);
    char why[1200];
    struct cl_spec *spec = load_spec(ck, &s, &ck->sut, NULL, why, sizeof why);
    ref_free(&s);
    uint64_t n = spec ? spec->workloads[0].tasks : 0;
    cl_spec_free(spec);
    return n;
}

static void check_workload(struct checker *ck)
{
    struct run_note notes[N_UNDERS];
    memset(notes, 0, sizeof notes);
    struct seq_timing seq = {0, 0, 0};
    workload_under(ck, notes, &seq);
    if (!ck->interrupted && selected(ck, "worker-init-fini"))
        workload_init_fini(ck, "worker-init-fini", notes);
    if (!ck->interrupted && selected(ck, "deterministic-expected"))
        workload_deterministic(ck, "deterministic-expected");
    if (!ck->interrupted && selected(ck, "waits-through-host"))
        workload_waits(ck, "waits-through-host", &seq, workload_tasks(ck));
}

/* ---- loading the plugin under test ------------------------------------------------ */

static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 3 && strcmp(s + n - 3, ".so") == 0);
}

/* Which kind a name has in the plugin path: the first "<kind>_<name>.so"
 * found; 0 when none. */
static enum conlab_kind kind_on_path(const struct cl_registry *r,
                                     const char *name)
{
    for (size_t d = 0; d < r->n_dirs; d++)
        for (int k = CONLAB_KIND_STRATEGY; k <= CONLAB_KIND_WORKLOAD; k++) {
            char *path = cl_xasprintf("%s/%s_%s.so", r->dirs[d],
                                      cl_kind_name((enum conlab_kind)k), name);
            int there = access(path, F_OK) == 0;
            free(path);
            if (there)
                return (enum conlab_kind)k;
        }
    return (enum conlab_kind)0;
}

static const struct cl_plugin *load_plugin(struct checker *ck, const char *what,
                                           char *err, size_t errlen)
{
    if (looks_like_path(what))
        return cl_registry_load(&ck->reg, what, err, errlen);
    enum conlab_kind k = kind_on_path(&ck->reg, what);
    if (k)
        return cl_registry_find(&ck->reg, k, what, err, errlen);
    char e1[512], e2[512];
    if (!cl_registry_find(&ck->reg, CONLAB_KIND_STRATEGY, what, e1, sizeof e1) &&
        !cl_registry_find(&ck->reg, CONLAB_KIND_WORKLOAD, what, e2, sizeof e2))
        snprintf(err, errlen, "no strategy or workload named '%s': %s; %s",
                 what, e1, e2);
    return NULL;
}

/* The --param values must load in a spec with the plugin (nothing printed
 * but the loader's messages).  0, or -1 after printing them. */
static int validate_user_params(struct checker *ck)
{
    char err[1200];
    int strategy = ck->plugin->desc.kind == CONLAB_KIND_STRATEGY;
    const char *partners[] = {"noop", "conformance", "sleep", "fib"};
    struct plugref other;
    ref_init(&other, NULL, NULL);
    if (strategy) {
        for (size_t i = 0; i < 4 && !other.name; i++)
            if (have(ck, CONLAB_KIND_WORKLOAD, partners[i], err, sizeof err))
                other.name = partners[i];
    } else if (have(ck, CONLAB_KIND_STRATEGY, "sequential", err, sizeof err)) {
        other.name = "sequential";
    }
    if (!other.name)
        return 0; /* every check that needs a partner says n/a */
    struct cl_spec *spec =
        strategy ? load_spec(ck, &ck->sut, &other, NULL, err, sizeof err)
                 : load_spec(ck, &other, &ck->sut, NULL, err, sizeof err);
    if (!spec) {
        fprintf(stderr, "conlab check: %s\n", err);
        return -1;
    }
    cl_spec_free(spec);
    return 0;
}

/* The parameter table and every default parse.  0, or -1 (reported). */
static int check_defaults(struct checker *ck)
{
    char err[1200];
    void *cfg = NULL, *arena = NULL;
    const char *name = "params";
    if (cl_params_defaults(&ck->plugin->desc, &cfg, &arena, err, sizeof err) != 0) {
        fail(ck, name, "%s", err);
        return -1;
    }
    cl_params_free(cfg, arena);
    if (selected(ck, name))
        pass(ck, name, NULL);
    return 0;
}

/* ---- the command ------------------------------------------------------------------- */

static const char check_help[] =
    "usage: conlab check PLUGIN [--param K=V]... [--timeout DUR] [--only NAMES]\n"
    "                          [--seed N] [--verbose]\n"
    "\n"
    "Conformance checks for a strategy or workload plugin.  PLUGIN is a name\n"
    "in the plugin path or the path of a .so.\n"
    "\n"
    "A strategy runs every built-in workload (sleep, fib, noop) and the\n"
    "`conformance` workload through: no task, one task, more workers than\n"
    "tasks, 100,000 tasks, tasks that fail, a worker whose init fails, 2,000\n"
    "tasks with random waits (exactly once, right values, no overlapping calls\n"
    "on one worker), and pinning (each task on its worker's planned CPU under\n"
    "pinning: compact; a one-thread cooperative strategy may run all on worker\n"
    "0's CPU).\n"
    "\n"
    "A workload runs under every built-in strategy (sequential, threads,\n"
    "processes, coroutines, gil); then: worker_init/worker_fini pairing,\n"
    "deterministic expected values (two creates, same seed), and waiting only\n"
    "through the host: under coroutines it must not take much longer than\n"
    "under as many threads (n/a for workloads that never wait).\n"
    "\n"
    "Each check runs in its own process, like a cell of `conlab run`; a crash\n"
    "fails that check, a hang fails it at the timeout.\n"
    "\n"
    "checks of a strategy: load params sleep fib noop zero-tasks one-task\n"
    "  more-workers-than-tasks many-tasks failing-tasks worker-init-fails\n"
    "  exactly-once pinning\n"
    "checks of a workload: load params under-sequential under-threads\n"
    "  under-processes under-coroutines under-gil worker-init-fini\n"
    "  deterministic-expected waits-through-host\n"
    "\n"
    "  -p, --param K=V    a parameter of PLUGIN (repeatable; V as in a spec:\n"
    "                     --param workers=3, --param seconds=10ms,\n"
    "                     --param \"n=[20, 15]\")\n"
    "  -t, --timeout DUR  per check (default 30s)\n"
    "  -o, --only NAMES   run only these checks (comma-separated)\n"
    "  -s, --seed N       the seed every run uses (default 42)\n"
    "  -v, --verbose      show the plugins' log lines (default: errors only)\n"
    "\n"
    "Prints one line per check: \"PASS name\", \"FAIL name: reason\" or\n"
    "\"SKIP name: reason\" (n/a), then \"N passed, M failed, K skipped\".\n"
    "Exit status: 0 nothing failed; 1 a check failed; 2 bad command line or\n"
    "--param; 3 internal error; 130 interrupted.\n"
    "\n"
    "examples:\n"
    "  conlab check threads\n"
    "  conlab check ./build/strategy_mine.so --param workers=3\n"
    "  conlab check sleep --param seconds=10ms\n";

/* "key=value" into the plugin-under-test's table.  0, or -1 (message). */
static int add_param(struct plugref *r, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "conlab check: --param expects KEY=VALUE, got '%s'\n", arg);
        return -1;
    }
    size_t klen = (size_t)(eq - arg);
    if (strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789_") != klen) {
        fprintf(stderr, "conlab check: --param '%.*s': a parameter name is "
                "lowercase letters, digits and '_'\n", (int)klen, arg);
        return -1;
    }
    if (klen == 6 && strncmp(arg, "plugin", 6) == 0) {
        fprintf(stderr, "conlab check: 'plugin' is not a parameter: give the "
                "path as PLUGIN\n");
        return -1;
    }
    if (strpbrk(eq + 1, "\n\r") || !eq[1]) {
        fprintf(stderr, "conlab check: --param %.*s: the value must be one "
                "non-empty line\n", (int)klen, arg);
        return -1;
    }
    /* keys are borrowed: keep the argv string, cut at '=' in a copy */
    char *key = strndup(arg, klen);
    if (!key || ref_set(r, key, "%s", eq + 1) != 0) {
        free(key);
        fprintf(stderr, "conlab check: too many --param values\n");
        return -1;
    }
    /* ref_set kept the pointer when the key was new; otherwise drop ours */
    for (size_t i = 0; i < r->n; i++)
        if (r->kv[i].key == key)
            return 0;
    free(key);
    return 0;
}

static void free_param_keys(struct plugref *r)
{
    for (size_t i = 0; i < r->n; i++)
        free((char *)r->kv[i].key);
}

static int parse_args(int argc, char **argv, struct checker *ck,
                      const char **what)
{
    static const struct option opts[] = {
        {"param", required_argument, NULL, 'p'},
        {"timeout", required_argument, NULL, 't'},
        {"only", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:t:o:s:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (add_param(&ck->sut, optarg) != 0)
                return CL_EXIT_USAGE;
            break;
        case 't':
            if (cl_parse_duration(optarg, &ck->timeout_s) != 0 ||
                ck->timeout_s <= 0) {
                fprintf(stderr, "conlab check: --timeout expects a duration "
                        "such as 30s or 500ms, got '%s'\n", optarg);
                return CL_EXIT_USAGE;
            }
            break;
        case 'o': ck->only = optarg; break;
        case 's': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (errno || *end || end == optarg || optarg[0] == '-') {
                fprintf(stderr, "conlab check: --seed expects a non-negative "
                        "integer, got '%s'\n", optarg);
                return CL_EXIT_USAGE;
            }
            ck->seed = v;
            break;
        }
        case 'v': cl_log_level = CONLAB_LOG_DEBUG; break;
        case 'h': fputs(check_help, stdout); return -1;
        default:
            fprintf(stderr, "see 'conlab check --help'\n");
            return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "conlab check: %s; see 'conlab check --help'\n",
                argc - optind ? "one PLUGIN at a time" : "which PLUGIN?");
        return CL_EXIT_USAGE;
    }
    *what = argv[optind];
    return 0;
}

static int finish(struct checker *ck)
{
    printf("%u passed, %u failed", ck->passed, ck->failed);
    if (ck->skipped)
        printf(", %u skipped", ck->skipped);
    fputc('\n', stdout);
    if (ck->interrupted) {
        fprintf(stderr, "conlab check: interrupted\n");
        return CL_EXIT_INTERRUPTED;
    }
    if (ck->internal_error)
        return CL_EXIT_INTERNAL;
    return ck->failed ? 1 : 0;
}

static int run_checks(struct checker *ck, const char *what)
{
    char err[1200];
    ck->plugin = load_plugin(ck, what, err, sizeof err);
    if (!ck->plugin) {
        if (!looks_like_path(what) && strncmp(err, "no strategy or workload", 23) == 0) {
            fprintf(stderr, "conlab check: %s\n", err);
            return CL_EXIT_USAGE;
        }
        fail(ck, "load", "%s", err);
        return finish(ck);
    }
    const struct cl_plugin *p = ck->plugin;
    ck->sut.name = p->desc.name;
    ck->sut.path = p->path;
    if (validate_only(ck, (enum conlab_kind)p->desc.kind) != 0 ||
        (ck->sut.n && validate_user_params(ck) != 0))
        return CL_EXIT_USAGE;
    printf("checking %s '%s' (%s, ABI %u.%u%s%s)\n",
           cl_kind_name(p->desc.kind), p->desc.name, p->path, p->built_major,
           p->built_minor, p->desc.version ? ", version " : "",
           p->desc.version ? p->desc.version : "");
    pass(ck, "load", NULL);
    if (check_defaults(ck) != 0)
        return finish(ck);
    if (cl_topo_open(&ck->topo, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "conlab check: topology: %s\n", err);
        ck->internal_error = 1;
        return finish(ck);
    }
    if (p->desc.kind == CONLAB_KIND_STRATEGY)
        check_strategy(ck);
    else
        check_workload(ck);
    return finish(ck);
}

int cl_cmd_check(int argc, char **argv)
{
    struct checker ck;
    memset(&ck, 0, sizeof ck);
    ck.timeout_s = DEFAULT_TIMEOUT_S;
    ck.seed = 42;
    int saved_level = cl_log_level;
    cl_log_level = CONLAB_LOG_ERROR;
    const char *what = NULL;
    int rc = parse_args(argc, argv, &ck, &what);
    if (rc == 0) {
        cl_registry_init(&ck.reg);
        rc = run_checks(&ck, what);
        cl_server_stop(ck.server);
        cl_topo_close(ck.topo);
        cl_registry_free(&ck.reg);
    } else if (rc < 0) {
        rc = 0; /* --help */
    }
    free_param_keys(&ck.sut);
    ref_free(&ck.sut);
    cl_log_level = saved_level;
    return rc;
}

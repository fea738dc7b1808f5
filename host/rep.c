/* rep.c — see rep.h.
 *
 * The child plans placement, creates the workload, runs the strategy and
 * exits (cl_rep_child, job.c); the host waits with the cell's deadline,
 * reaps it with wait4 (the largest peak RSS of the child and the processes
 * it reaped), samples and kills whatever is left of its group (child.h),
 * checks every record and turns all that into a row.  A plugin that
 * crashes or hangs costs its cell, never the run. */
#include "rep.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "child.h"
#include "job.h"
#include "results.h"
#include "seed.h"
#include "signals.h"
#include "spec.h"
#include "stats.h"
#include "topo.h"
#include "util.h"

int cl_rep_needs_server(const struct cl_variant *w)
{
    for (size_t i = 0; i < w->n_params; i++)
        if (w->params[i].value && strstr(w->params[i].value, "builtin:"))
            return 1;
    return 0;
}

/* ---- the verdict -------------------------------------------------------------- */

static const char *signame(int sig)
{
    const char *a = sigabbrev_np(sig);
    static __thread char buf[32];
    if (a) {
        snprintf(buf, sizeof buf, "SIG%s", a);
        return buf;
    }
    snprintf(buf, sizeof buf, "signal %d", sig);
    return buf;
}

static const char *phase_name(int phase)
{
    switch (phase) {
    case CL_PHASE_NONE: return "while starting";
    case CL_PHASE_CREATED: return "after the workload was created";
    case CL_PHASE_RUNNING: return "while the strategy ran";
    case CL_PHASE_FINISHED: return "after the strategy returned";
    default: return "during setup";
    }
}

static double tv_s(struct timeval tv)
{
    return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

/* What the task records say, in one pass over them: the latency
 * percentiles of the tasks that ran ok, and wall_s in phases: run() entered
 * -> first task started -> last task ended -> run() returned (NAN when no
 * task started or ended; every task's start and end lies between run()'s two
 * clock readings). */
static void from_records(const struct cl_cellmem *m, struct cl_rep_row *row)
{
    const struct cl_shared *sh = m->sh;
    double *lat = malloc((size_t)(m->n_tasks ? m->n_tasks : 1) * sizeof *lat);
    size_t n = 0;
    uint64_t first = UINT64_MAX, last = 0;
    for (uint64_t i = 0; i < m->n_tasks; i++) {
        const struct cl_record *r = &m->rec[i];
        uint32_t state = atomic_load(&r->state);
        if (state != CL_REC_NEVER && r->start_ns < first)
            first = r->start_ns;
        if (state != CL_REC_DONE)
            continue;
        if (r->end_ns > last)
            last = r->end_ns;
        if (lat && r->status == CONLAB_OK && r->end_ns >= r->start_ns)
            lat[n++] = (double)(r->end_ns - r->start_ns) / 1e9;
    }
    if (lat) {
        cl_sort_doubles(lat, n);
        row->lat_p50_s = cl_quantile_sorted(lat, n, 0.50);
        row->lat_p99_s = cl_quantile_sorted(lat, n, 0.99);
        row->lat_max_s = n ? lat[n - 1] : NAN;
        free(lat);
    }
    if (first == UINT64_MAX || last == 0 || first < sh->wall_start_ns ||
        last < first || sh->wall_end_ns < last)
        return;
    row->startup_s = (double)(first - sh->wall_start_ns) / 1e9;
    row->span_s = (double)(last - first) / 1e9;
    row->teardown_s = (double)(sh->wall_end_ns - last) / 1e9;
}

/* The strategy's counters (job->count) of the repetition, by name. */
_Static_assert(CL_MAX_COUNTERS <= CL_ROW_COUNTERS, "a row holds every counter");
static void counters(const struct cl_variant *sv, const struct cl_shared *sh,
                     struct cl_rep_row *row)
{
    const struct cl_plugin *p = sv->plugin ? cl_plugin_of(sv->plugin) : NULL;
    const char *const *names = p ? p->sops.counters : NULL;
    row->n_counters = 0;
    for (uint32_t i = 0; names && i < sh->n_counters && i < CL_ROW_COUNTERS &&
                         names[i]; i++) {
        struct cl_counter *k = &row->counters[row->n_counters++];
        snprintf(k->name, sizeof k->name, "%s", names[i]);
        k->value = atomic_load(&sh->counters[i]);
    }
}

static void append(char *buf, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t len, const char *fmt, ...)
{
    size_t used = strlen(buf);
    if (used + 1 >= len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + used, len - used, fmt, ap);
    va_end(ap);
}

/* Why the tasks a stopped or dead cell was running never finished; NULL
 * when it ended by itself (a worker vanished without a word). */
static const char *unfinished_why(enum cl_child_end wo, int wstatus, int phase)
{
    switch (wo) {
    case CL_CHILD_TIMEOUT: return "still running when the cell timed out";
    case CL_CHILD_MEMORY: return "still running when the cell was stopped for memory";
    case CL_CHILD_STOPPED: return "still running when the run was interrupted";
    default: break;
    }
    if (WIFSIGNALED(wstatus))
        return "still running when the cell's process died";
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 ||
        phase != CL_PHASE_FINISHED)
        return "still running when the cell's process exited";
    return NULL;
}

/* The peak resident memory in KiB: the larger of the largest single
 * process's peak (wait4: the child and the workers it reaped) and the
 * highest sampled sum over the cell's process group (child.h). */
static long peak_rss_kib(const struct cl_child_exit *ex)
{
    long sampled = (long)((ex->peak_rss + 1023) / 1024);
    return ex->ru.ru_maxrss > sampled ? ex->ru.ru_maxrss : sampled;
}

/* Turn what the child left into a row. */
static void judge(const struct cl_cellmem *m, enum cl_child_end wo,
                  const struct cl_child_exit *ex, double timeout_s,
                  uint64_t mem_limit, struct cl_rep_row *row)
{
    const struct cl_shared *sh = m->sh;
    const struct rusage *ru = &ex->ru;
    int wstatus = ex->status;
    row->workers = sh->n_workers;
    row->tasks = m->n_tasks;
    row->max_rss_kib = peak_rss_kib(ex);
    row->wall_s = row->user_s = row->sys_s = row->throughput_per_s = NAN;
    row->lat_p50_s = row->lat_p99_s = row->lat_max_s = NAN;
    row->startup_s = row->span_s = row->teardown_s = NAN;

    struct cl_check ck;
    cl_check_records(m, unfinished_why(wo, wstatus, sh->phase), &ck);
    row->tasks_ok = ck.ran_ok;
    row->tasks_failed = ck.failed;
    row->tasks_missing = ck.missing;
    row->tasks_duplicated = ck.duplicated;
    row->tasks_wrong = ck.wrong;
    for (size_t i = 0; i < ck.n_reasons; i++)
        append(row->reasons, sizeof row->reasons, "%s%s:%llu", i ? ";" : "",
               ck.reasons[i].text, (unsigned long long)ck.reasons[i].count);

    if (sh->phase == CL_PHASE_FINISHED) {
        double wall = (double)(sh->wall_end_ns - sh->wall_start_ns) / 1e9;
        row->wall_s = wall;
        row->user_s = tv_s(sh->ru_delta.ru_utime);
        row->sys_s = tv_s(sh->ru_delta.ru_stime);
        row->vol_ctxsw = sh->ru_delta.ru_nvcsw;
        row->invol_ctxsw = sh->ru_delta.ru_nivcsw;
        row->throughput_per_s = wall > 0 ? (double)ck.ran_ok / wall : NAN;
        from_records(m, row);
    } else {
        row->user_s = tv_s(ru->ru_utime);
        row->sys_s = tv_s(ru->ru_stime);
        row->vol_ctxsw = ru->ru_nvcsw;
        row->invol_ctxsw = ru->ru_nivcsw;
    }

    if (wo == CL_CHILD_STOPPED) {
        row->status = CL_ST_INTERRUPTED;
        snprintf(row->detail, sizeof row->detail, "interrupted %s",
                 phase_name(sh->phase));
        return;
    }
    if (wo == CL_CHILD_MEMORY) {
        row->status = CL_ST_MEMORY;
        snprintf(row->detail, sizeof row->detail,
                 "resident memory reached %.1f MiB, over the limit of %.1f MiB, "
                 "%s (stopped)", (double)row->max_rss_kib / 1024.0,
                 (double)mem_limit / 1048576.0, phase_name(sh->phase));
        return;
    }
    if (wo == CL_CHILD_TIMEOUT) {
        row->status = CL_ST_TIMEOUT;
        snprintf(row->detail, sizeof row->detail,
                 "cell timeout of %gs passed %s (%llu of %llu tasks "
                 "finished, %llu ok", timeout_s, phase_name(sh->phase),
                 (unsigned long long)(m->n_tasks - ck.missing - ck.unfinished),
                 (unsigned long long)m->n_tasks, (unsigned long long)ck.ran_ok);
        if (ck.unfinished)
            append(row->detail, sizeof row->detail,
                   "; %llu started and unfinished",
                   (unsigned long long)ck.unfinished);
        append(row->detail, sizeof row->detail, ")");
        return;
    }
    if (WIFSIGNALED(wstatus)) {
        row->status = CL_ST_CRASHED;
        snprintf(row->detail, sizeof row->detail, "killed by %s %s%s",
                 signame(WTERMSIG(wstatus)), phase_name(sh->phase),
                 WCOREDUMP(wstatus) ? " (core dumped)" : "");
        return;
    }
    if (sh->phase == CL_PHASE_ERROR) {
        row->status = CL_ST_ERROR;
        snprintf(row->detail, sizeof row->detail, "%s", sh->error);
        return;
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0 ||
        sh->phase != CL_PHASE_FINISHED) {
        row->status = CL_ST_CRASHED;
        snprintf(row->detail, sizeof row->detail,
                 "the cell's process exited with status %d %s",
                 WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : -1,
                 phase_name(sh->phase));
        return;
    }
    if (sh->run_status != CONLAB_OK) {
        row->status = CL_ST_ERROR;
        snprintf(row->detail, sizeof row->detail,
                 "strategy run() returned %s (%s)",
                 conlab_err_name(sh->run_status),
                 conlab_strerror(sh->run_status));
        /* a strategy failure with lost tasks is still worth the counts */
        return;
    }
    uint32_t begun = atomic_load(&sh->workers_begun);
    uint32_t ended = atomic_load(&sh->workers_ended);
    uint32_t lost = atomic_load(&sh->workers_lost);
    if (ck.missing || ck.duplicated || ck.wrong || ck.bad_index || ck.misuse ||
        begun > ended + lost) {
        row->status = CL_ST_WRONG;
        const struct { uint64_t n; const char *what; } faults[] = {
            {ck.missing, "tasks never ran"},
            {ck.duplicated, "tasks ran more than once"},
            {ck.wrong, "tasks returned a wrong value"},
            {ck.bad_index, "run_task calls with an index out of range"},
            {ck.misuse, "job calls out of protocol (see the log)"},
            {begun > ended + lost ? begun - ended - lost : 0,
             "workers never ended (worker_end missing)"},
        };
        for (size_t i = 0; i < sizeof faults / sizeof faults[0]; i++)
            if (faults[i].n)
                append(row->detail, sizeof row->detail, "%s%llu %s",
                       row->detail[0] ? "; " : "",
                       (unsigned long long)faults[i].n, faults[i].what);
        /* what the strategy could not help: workers that never started */
        uint32_t init_failed = atomic_load(&sh->workers_init_failed);
        if (init_failed)
            append(row->detail, sizeof row->detail,
                   " (worker_init failed on %u of %u workers)", init_failed,
                   sh->n_workers);
        return;
    }
    if (ck.failed) {
        row->status = CL_ST_FAILED;
        snprintf(row->detail, sizeof row->detail, "%llu of %llu tasks failed",
                 (unsigned long long)ck.failed, (unsigned long long)m->n_tasks);
        return;
    }
    row->status = CL_ST_OK;
}

/* ---- the child ---------------------------------------------------------------- */

/* In the forked child: ask the strategy for its workers, plan their
 * placement, then run (cl_rep_child).  Never returns. */
static void rep_child_main(const struct cl_rep_ctx *c, uint64_t seed)
    __attribute__((noreturn));
static void rep_child_main(const struct cl_rep_ctx *c, uint64_t seed)
{
    cl_signals_in_child();
    const struct cl_variant *sv = c->cell->strategy, *wv = c->cell->workload;
    const struct cl_plugin *sp = cl_plugin_of(sv->plugin);
    const struct cl_plugin *wp = cl_plugin_of(wv->plugin);
    struct cl_shared *sh = c->mem->sh;
    unsigned n_workers = 0;
    int rc = sp->sops.workers(sv->config, wv->tasks, &n_workers);
    if (rc != CONLAB_OK || n_workers == 0) {
        snprintf(sh->error, sizeof sh->error,
                 "strategy '%s': workers() %s", sp->desc.name,
                 rc != CONLAB_OK ? conlab_strerror(rc) : "said 0 workers");
        sh->phase = CL_PHASE_ERROR;
        _exit(4);
    }
    sh->n_workers = n_workers;
    struct cl_plan *plan = NULL;
    char err[400];
    if (cl_topo_plan(c->topo, &c->spec->pinning, n_workers, &plan, err,
                     sizeof err) != 0) {
        snprintf(sh->error, sizeof sh->error, "placement: %s", err);
        sh->phase = CL_PHASE_ERROR;
        _exit(4);
    }
    struct cl_rep_input in = {
        .strategy = sp,
        .strategy_config = sv->config,
        .workload = wp,
        .workload_config = wv->config,
        .n_tasks = wv->tasks,
        .n_workers = n_workers,
        .seed = seed,
        .cell = c->cell->name,
        .topo = c->topo,
        .plan = plan->pinned ? plan : NULL,
        .builtin_url = c->builtin_url,
    };
    cl_rep_child(&in, c->mem);
}

void cl_rep_run(const struct cl_rep_ctx *c, struct cl_rep_row *row)
{
    cl_cellmem_reset(c->mem);
    /* ABI 1.0 promised a workload the spec's seed itself */
    row->seed = cl_plugin_of(c->cell->workload->plugin)->built_minor >= 1
                    ? cl_seed_for(c->spec->seed, c->cell->name, row->repetition)
                    : c->spec->seed;
    row->seed_known = 1;
    row->startup_s = row->span_s = row->teardown_s = NAN;
    pid_t pid = cl_child_fork();
    if (pid < 0) {
        row->status = CL_ST_ERROR;
        snprintf(row->detail, sizeof row->detail, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0)
        rep_child_main(c, row->seed);
    cl_signals_watch(pid);
    const struct cl_child_watch watch = {c->deadline_ns, c->spec->memory_bytes,
                                         &cl_interrupts};
    struct cl_child_exit ex;
    enum cl_child_end end = cl_child_wait(pid, &watch, &ex);
    cl_signals_watch(0);
    judge(c->mem, end, &ex, c->spec->timeout_s, c->spec->memory_bytes, row);
    counters(c->cell->strategy, c->mem->sh, row);
}

/* ---- one repetition on its own, for `conlab check` ------------------------- */

int cl_run_rep_once(const struct cl_spec *spec, size_t strategy,
                    size_t workload, const struct cl_topo *topo,
                    const char *builtin_url, struct cl_cellmem *mem,
                    struct cl_rep_row *row)
{
    memset(row, 0, sizeof *row);
    memset(mem, 0, sizeof *mem);
    row->repetition = 1;
    row->status = CL_ST_ERROR;
    if (strategy >= spec->n_strategies || workload >= spec->n_workloads) {
        snprintf(row->detail, sizeof row->detail, "no such cell");
        return -1;
    }
    struct cl_cell cell;
    memset(&cell, 0, sizeof cell);
    cell.strategy = &spec->strategies[strategy];
    cell.workload = &spec->workloads[workload];
    if (cl_cellmem_map(mem, cell.workload->tasks) != 0) {
        snprintf(row->detail, sizeof row->detail,
                 "cannot map records for %llu tasks: %s",
                 (unsigned long long)cell.workload->tasks, strerror(errno));
        memset(mem, 0, sizeof *mem);
        return -1;
    }
    cell.name = cl_cell_name(cell.strategy, cell.workload);
    struct cl_rep_ctx rc = {
        .spec = spec,
        .builtin_url = builtin_url,
        .topo = topo,
        .cell = &cell,
        .mem = mem,
        .deadline_ns = cl_now_ns() + (uint64_t)(spec->timeout_s * 1e9),
    };
    cl_signals_catch();
    cl_rep_run(&rc, row);
    cl_signals_release();
    free(cell.name);
    return 0;
}

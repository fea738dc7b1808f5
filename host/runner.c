/* runner.c — the supervisor.
 *
 * For each cell (workload variant x strategy variant) the host maps the task
 * records in shared memory, then for each repetition forks a child into its
 * own process group.  The child plans placement, creates the workload, runs
 * the strategy and exits; the host waits with the cell's deadline, reaps it
 * with wait4 (peak RSS of the child and its processes), kills whatever is left
 * of its group, checks every record and appends the row.  A plugin that
 * crashes or hangs costs its cell, never the run. */
#include "runner.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "facts.h"
#include "job.h"
#include "report.h"
#include "results.h"
#include "resume.h"
#include "serve.h"
#include "stats.h"
#include "topo.h"
#include "util.h"

/* ---- signals ---------------------------------------------------------------- */

static volatile sig_atomic_t g_interrupts;
static volatile pid_t g_child; /* process group of the running repetition */

static void on_signal(int sig)
{
    (void)sig;
    g_interrupts++;
    pid_t c = g_child;
    if (c > 0)
        kill(-c, SIGKILL);
    if (g_interrupts >= 2) {
        static const char msg[] = "\nconlab: interrupted twice: stopping now\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(CL_EXIT_INTERRUPTED);
    }
}

static void install_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

static void child_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_DFL;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* Network workloads write to sockets the peer may have closed. */
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);
}

/* ---- waiting for a child with a deadline ------------------------------------ */

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

enum wait_outcome { W_EXITED, W_TIMEOUT, W_INTERRUPTED, W_MEMORY };

/* Resident memory of every process in process group `pgrp`, in bytes: the
 * cell's child and whatever it forked.  Scans /proc; used only when the spec
 * sets a memory limit. */
static uint64_t group_rss(pid_t pgrp)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    uint64_t pages = 0;
    struct dirent *e;
    char path[300], buf[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *rp = strrchr(buf, ')');
        char state;
        int ppid, grp;
        if (!rp || sscanf(rp + 1, " %c %d %d", &state, &ppid, &grp) != 3 ||
            grp != pgrp)
            continue;
        snprintf(path, sizeof path, "/proc/%s/statm", e->d_name);
        f = fopen(path, "r");
        unsigned long size, resident;
        if (f && fscanf(f, "%lu %lu", &size, &resident) == 2)
            pages += resident;
        if (f)
            fclose(f);
    }
    closedir(d);
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Wait until `pid` exits, the deadline passes, its group's memory passes
 * `mem_limit` (0: none), or we are interrupted.  On anything but an exit the
 * group is killed.  Always reaps.  *peak gets the highest RSS seen. */
static enum wait_outcome wait_child(pid_t pid, uint64_t deadline_ns,
                                    uint64_t mem_limit, uint64_t *peak,
                                    int *status, struct rusage *ru)
{
    enum wait_outcome out = W_EXITED;
    int pfd = pidfd_open_(pid);
    *peak = 0;
    for (;;) {
        if (g_interrupts) {
            out = W_INTERRUPTED;
            break;
        }
        if (mem_limit) {
            uint64_t rss = group_rss(pid);
            if (rss > *peak)
                *peak = rss;
            if (rss > mem_limit) {
                out = W_MEMORY;
                break;
            }
        }
        uint64_t now = cl_now_ns();
        if (now >= deadline_ns) {
            out = W_TIMEOUT;
            break;
        }
        uint64_t left_ms = (deadline_ns - now + 999999) / 1000000;
        if (mem_limit && left_ms > 10)
            left_ms = 10; /* sample memory every 10 ms */
        if (pfd >= 0) {
            struct pollfd p = {pfd, POLLIN, 0};
            int n = poll(&p, 1, left_ms > 1000 ? 1000 : (int)left_ms);
            if (n > 0)
                break; /* exited */
        } else {
            pid_t r = wait4(pid, status, WNOHANG, ru);
            if (r == pid) {
                g_child = 0;
                return W_EXITED;
            }
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    if (pfd >= 0)
        close(pfd);
    if (out != W_EXITED)
        kill(-pid, SIGKILL);
    while (wait4(pid, status, 0, ru) < 0 && errno == EINTR)
        ;
    /* Anything the strategy left behind in the group goes too. */
    kill(-pid, SIGKILL);
    g_child = 0;
    return out;
}

/* ---- cells ------------------------------------------------------------------ */

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

/* Latency percentiles over the tasks that ran ok. */
static void latencies(const struct cl_cellmem *m, struct cl_rep_row *row)
{
    double *lat = malloc((size_t)(m->n_tasks ? m->n_tasks : 1) * sizeof *lat);
    if (!lat)
        return;
    size_t n = 0;
    for (uint64_t i = 0; i < m->n_tasks; i++) {
        const struct cl_record *r = &m->rec[i];
        if (atomic_load(&r->state) == CL_REC_DONE && r->status == CONLAB_OK &&
            r->end_ns >= r->start_ns)
            lat[n++] = (double)(r->end_ns - r->start_ns) / 1e9;
    }
    cl_sort_doubles(lat, n);
    row->lat_p50_s = cl_quantile_sorted(lat, n, 0.50);
    row->lat_p99_s = cl_quantile_sorted(lat, n, 0.99);
    row->lat_max_s = n ? lat[n - 1] : NAN;
    free(lat);
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

/* Turn what the child left into a row. */
static void judge(const struct cl_cellmem *m, enum wait_outcome wo, int wstatus,
                  const struct rusage *ru, double timeout_s, uint64_t mem_limit,
                  uint64_t mem_peak, struct cl_rep_row *row)
{
    const struct cl_shared *sh = m->sh;
    row->workers = sh->n_workers;
    row->tasks = m->n_tasks;
    row->max_rss_kib = ru->ru_maxrss;
    row->wall_s = row->user_s = row->sys_s = row->throughput_per_s = NAN;
    row->lat_p50_s = row->lat_p99_s = row->lat_max_s = NAN;

    struct cl_check ck;
    cl_check_records(m, &ck);
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
        latencies(m, row);
    } else {
        row->user_s = tv_s(ru->ru_utime);
        row->sys_s = tv_s(ru->ru_stime);
        row->vol_ctxsw = ru->ru_nvcsw;
        row->invol_ctxsw = ru->ru_nivcsw;
    }

    if (wo == W_INTERRUPTED) {
        row->status = CL_ST_INTERRUPTED;
        snprintf(row->detail, sizeof row->detail, "interrupted %s",
                 phase_name(sh->phase));
        return;
    }
    if (wo == W_MEMORY) {
        row->status = CL_ST_MEMORY;
        snprintf(row->detail, sizeof row->detail,
                 "resident memory reached %.1f MiB, over the limit of %.1f MiB, "
                 "%s (stopped)", (double)mem_peak / 1048576.0,
                 (double)mem_limit / 1048576.0, phase_name(sh->phase));
        return;
    }
    if (wo == W_TIMEOUT) {
        row->status = CL_ST_TIMEOUT;
        snprintf(row->detail, sizeof row->detail,
                 "cell timeout of %gs passed %s (%llu of %llu tasks done)",
                 timeout_s, phase_name(sh->phase),
                 (unsigned long long)(ck.ran_ok + ck.failed),
                 (unsigned long long)m->n_tasks);
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
        if (ck.missing)
            append(row->detail, sizeof row->detail, "%s%llu tasks never ran",
                   row->detail[0] ? "; " : "", (unsigned long long)ck.missing);
        if (ck.duplicated)
            append(row->detail, sizeof row->detail, "%s%llu tasks ran more than once",
                   row->detail[0] ? "; " : "", (unsigned long long)ck.duplicated);
        if (ck.wrong)
            append(row->detail, sizeof row->detail, "%s%llu tasks returned a wrong value",
                   row->detail[0] ? "; " : "", (unsigned long long)ck.wrong);
        if (ck.bad_index)
            append(row->detail, sizeof row->detail, "%s%llu run_task calls with an index out of range",
                   row->detail[0] ? "; " : "", (unsigned long long)ck.bad_index);
        if (ck.misuse)
            append(row->detail, sizeof row->detail,
                   "%s%llu job calls out of protocol (see the log)",
                   row->detail[0] ? "; " : "", (unsigned long long)ck.misuse);
        if (begun > ended + lost)
            append(row->detail, sizeof row->detail,
                   "%s%u workers never ended (worker_end missing)",
                   row->detail[0] ? "; " : "", begun - ended - lost);
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

/* One repetition: fork, child runs, host judges. */
struct rep_ctx {
    const struct cl_spec *spec;
    const char *builtin_url;
    const struct cl_topo *topo;
    const struct cl_cell *cell;
    struct cl_cellmem *mem;
    uint64_t deadline_ns;
};

static void rep_child_main(const struct rep_ctx *c)
{
    child_signals();
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
        .seed = c->spec->seed,
        .cell = c->cell->name,
        .topo = c->topo,
        .plan = plan->pinned ? plan : NULL,
        .builtin_url = c->builtin_url,
    };
    cl_rep_child(&in, c->mem);
}

static void run_rep(const struct rep_ctx *c, struct cl_rep_row *row)
{
    cl_cellmem_reset(c->mem);
    fflush(NULL);
    pid_t host = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        row->status = CL_ST_ERROR;
        snprintf(row->detail, sizeof row->detail, "fork: %s", strerror(errno));
        return;
    }
    if (pid == 0) {
        setpgid(0, 0);
        /* If the host dies (even kill -9), the cell goes with it. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != host)
            _exit(6);
        rep_child_main(c);
        _exit(5);
    }
    setpgid(pid, pid); /* both sides: no race with an early kill */
    g_child = pid;
    int wstatus = 0;
    struct rusage ru;
    memset(&ru, 0, sizeof ru);
    uint64_t peak = 0;
    enum wait_outcome wo = wait_child(pid, c->deadline_ns, c->spec->memory_bytes,
                                      &peak, &wstatus, &ru);
    judge(c->mem, wo, wstatus, &ru, c->spec->timeout_s, c->spec->memory_bytes,
          peak, row);
}

/* ---- the run ---------------------------------------------------------------- */

/* Does any workload variant name a `builtin:` URL? */
static int uses_builtin_server(const struct cl_spec *spec)
{
    for (size_t i = 0; i < spec->n_workloads; i++)
        for (size_t j = 0; j < spec->workloads[i].n_params; j++) {
            const char *v = spec->workloads[i].params[j].value;
            if (v && strstr(v, "builtin:"))
                return 1;
        }
    return 0;
}

char *cl_default_out_dir(const struct cl_spec *spec, char **parent)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    *parent = cl_xasprintf("results/%s", spec->experiment);
    char *dir = cl_xasprintf("%s/%s", *parent, stamp);
    for (int k = 2; access(dir, F_OK) == 0; k++) {
        free(dir);
        dir = cl_xasprintf("%s/%s-%d", *parent, stamp, k);
    }
    return dir;
}

void cl_point_latest(const char *parent, const char *dir)
{
    const char *base = strrchr(dir, '/');
    base = base ? base + 1 : dir;
    char *tmp = cl_xasprintf("%s/.latest.%ld", parent, (long)getpid());
    char *link = cl_xasprintf("%s/latest", parent);
    unlink(tmp);
    if (symlink(base, tmp) == 0 && rename(tmp, link) != 0)
        unlink(tmp);
    free(tmp);
    free(link);
}

/* ---- progress on stderr ------------------------------------------------------ *
 * On a terminal: one line redrawn in place (cells done, a bar, the cell and
 * repetition running, elapsed, an ETA from the mean cell time so far); cells
 * that are not ok leave a line of their own.  Otherwise: a line per cell
 * with a dot per repetition, for logs.  --quiet: nothing. */

struct progress {
    int on, tty;
    size_t total, done;     /* cells to run in this invocation, run so far */
    int reps, rep;          /* repetitions per cell (warmup included), done */
    uint64_t t0_ns, cell_t0_ns;
    double cells_s;         /* time spent in the cells done */
    size_t pos, n_cells;    /* the running cell's place in the run */
    const struct cl_cell *cell;
};

static void progress_start(struct progress *p, const struct cl_run_opts *o,
                           const struct cl_cell *cells, size_t n_cells, int reps)
{
    memset(p, 0, sizeof *p);
    p->on = !o->quiet;
    p->tty = p->on && isatty(STDERR_FILENO);
    for (size_t i = 0; i < n_cells; i++)
        p->total += !cells[i].done;
    p->reps = reps > 0 ? reps : 1;
    p->n_cells = n_cells;
    p->t0_ns = cl_now_ns();
}

static void clock_text(double s, char *buf, size_t len)
{
    long t = isfinite(s) && s > 0 ? lround(s) : 0;
    if (t >= 3600)
        snprintf(buf, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
    else
        snprintf(buf, len, "%ld:%02ld", t / 60, t % 60);
}

static void progress_draw(const struct progress *p)
{
    struct winsize ws;
    size_t cols = ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col ? ws.ws_col : 80;
    double now = (double)(cl_now_ns() - p->t0_ns) / 1e9;
    double in_cell = (double)(cl_now_ns() - p->cell_t0_ns) / 1e9;
    /* the mean cell so far; before the first ends, this cell's pace */
    double per_cell = p->done ? p->cells_s / (double)p->done
                      : p->rep ? in_cell / p->rep * p->reps : NAN;
    double left = per_cell * (double)(p->total - p->done) - in_cell;
    double frac = p->total ? ((double)p->done + (double)p->rep / p->reps) / (double)p->total : 1;
    char el[32], eta[32], bar[3 * 20 + 1] = "";
    clock_text(now, el, sizeof el);
    if (isfinite(left))
        clock_text(left > 0 ? left : 0, eta, sizeof eta);
    else
        snprintf(eta, sizeof eta, "?");
    size_t filled = (size_t)(frac * 20 + 0.5);
    for (size_t i = 0; i < 20; i++)
        strcat(bar, i < filled ? "█" : "░");
    char head[160], tail[96];
    snprintf(head, sizeof head, "[%zu/%zu] %s ", p->done + 1 <= p->total ? p->done + 1 : p->total,
             p->total, bar);
    snprintf(tail, sizeof tail, "  rep %d/%d  %s, ETA %s", p->rep + 1 <= p->reps ? p->rep + 1 : p->reps,
             p->reps, el, eta);
    /* the cell name gets what is left of the line (the bar is 20 columns) */
    size_t used = strlen(head) - 2 * 20 + strlen(tail);
    size_t room = cols > used + 4 ? cols - used - 1 : 0;
    const char *name = p->cell ? p->cell->name : "";
    size_t nlen = strlen(name);
    fprintf(stderr, "\r%s", head);
    if (nlen <= room)
        fputs(name, stderr);
    else if (room > 3)
        fprintf(stderr, "%.*s…", (int)(room - 1), name);
    fprintf(stderr, "%s\033[K", tail);
    fflush(stderr);
}

static void progress_cell(struct progress *p, const struct cl_cell *c, size_t pos)
{
    if (!p->on)
        return;
    p->cell = c;
    p->pos = pos;
    p->rep = 0;
    p->cell_t0_ns = cl_now_ns();
    if (p->tty) {
        progress_draw(p);
        return;
    }
    fprintf(stderr, "[%*zu/%zu] %s ", p->n_cells >= 10 ? 2 : 1, pos + 1, p->n_cells,
            c->name);
    fflush(stderr);
}

/* A repetition of the running cell is over. */
static void progress_rep(struct progress *p, const struct cl_rep_row *row)
{
    if (!p->on)
        return;
    p->rep++;
    if (p->tty) {
        progress_draw(p);
        return;
    }
    fputc(row->status == CL_ST_OK ? '.' : '!', stderr);
    fflush(stderr);
}

static void progress_done(struct progress *p, const struct cl_cell *c)
{
    if (!p->on)
        return;
    p->done++;
    p->cells_s += (double)(cl_now_ns() - p->cell_t0_ns) / 1e9;
    if (!p->tty) {
        if (c->status == CL_ST_OK)
            fprintf(stderr, " ok  %.4g s ± %.2g\n", c->wall.mean, c->wall.sd);
        else
            fprintf(stderr, " %s: %s\n", cl_status_name(c->status), c->detail);
        return;
    }
    /* a cell that is not ok keeps a line; the bar moves on below it */
    if (c->status != CL_ST_OK)
        fprintf(stderr, "\r\033[K[%zu/%zu] %s: %s: %s\n", p->pos + 1, p->n_cells,
                c->name, cl_status_name(c->status), c->detail);
    p->rep = 0;
    p->cell_t0_ns = cl_now_ns();
    if (p->done < p->total)
        progress_draw(p);
}

/* The run is over (or interrupted): the bar gives way to a last line. */
static void progress_end(struct progress *p)
{
    if (!p->on || !p->tty)
        return;
    char el[32];
    clock_text((double)(cl_now_ns() - p->t0_ns) / 1e9, el, sizeof el);
    fprintf(stderr, "\r\033[Kconlab: %zu of %zu cell%s run in %s\n", p->done,
            p->total, p->total == 1 ? "" : "s", el);
}

int cl_run(const struct cl_spec *spec, const struct cl_run_opts *o)
{
    char err[1024];
    struct cl_topo *topo = NULL;
    if (cl_topo_open(&topo, NULL, err, sizeof err) != 0) {
        cl_log(CONLAB_LOG_ERROR, NULL, "topology: %s", err);
        return CL_EXIT_INTERNAL;
    }
    /* Refuse a pinning list the machine cannot honour before anything runs. */
    if (spec->pinning.kind == CL_PIN_LIST) {
        struct cl_plan *p = NULL;
        if (cl_topo_plan(topo, &spec->pinning, (unsigned)spec->pinning.n, &p,
                         err, sizeof err) != 0) {
            fprintf(stderr, "%s:%d:%d: error: pinning: %s\n", spec->path,
                    spec->pinning_line, spec->pinning_col, err);
            cl_topo_close(topo);
            return CL_EXIT_USAGE;
        }
        cl_plan_free(p);
    }

    /* The cells, in a fixed order (workload-major); a shard keeps every
     * N-th one, so shards are balanced and disjoint, and their union is the
     * whole run. */
    size_t n_cells;
    struct cl_cell *cells = cl_cells_make(spec, o->shard, o->shards, &n_cells);

    if (o->dry_run) {
        for (size_t i = 0; i < n_cells; i++)
            printf("%zu\t%s\t%llu tasks\n", i + 1, cells[i].name,
                   (unsigned long long)cells[i].workload->tasks);
        printf("%zu cells x (%d warmup + %d measured) repetitions\n", n_cells,
               spec->warmup, spec->repeat);
        for (size_t i = 0; i < n_cells; i++)
            free(cells[i].name);
        free(cells);
        cl_topo_close(topo);
        return CL_EXIT_OK;
    }

    char *parent = NULL;
    char *dir = o->resume    ? cl_xstrdup(o->resume)
                : o->out_dir ? cl_xstrdup(o->out_dir)
                             : cl_default_out_dir(spec, &parent);
    int record_tasks = o->record_tasks || spec->record_tasks;
    size_t n_done = 0;
    if (o->resume) {
        if (cl_resume_load(dir, spec, o->force, cells, n_cells, err, sizeof err) != 0) {
            fprintf(stderr, "conlab: %s\n", err);
            free(dir);
            for (size_t i = 0; i < n_cells; i++) {
                free(cells[i].name);
                free(cells[i].rows);
            }
            free(cells);
            cl_topo_close(topo);
            return CL_EXIT_USAGE;
        }
        for (size_t i = 0; i < n_cells; i++)
            if (cells[i].done) {
                cl_cell_summarize(&cells[i]);
                n_done++;
            }
    }
    struct cl_results *res = cl_results_open(dir, spec, record_tasks, cells,
                                             n_cells, err, sizeof err);
    if (!res) {
        cl_log(CONLAB_LOG_ERROR, NULL, "%s", err);
        free(dir);
        free(parent);
        for (size_t i = 0; i < n_cells; i++) {
            free(cells[i].name);
            free(cells[i].rows);
        }
        free(cells);
        cl_topo_close(topo);
        return CL_EXIT_INTERNAL;
    }
    if (parent)
        cl_point_latest(parent, dir);
    char *topo_summary = cl_topo_summary(topo);
    double started = cl_wall_time();
    struct cl_host_facts facts;
    cl_host_facts_read("", &facts);
    const char *pin_note = NULL;
    int can_bind = cl_topo_can_bind(topo, &pin_note);
    struct cl_meta meta = {o->argc, o->argv, started, 0, n_cells, topo_summary,
                           o->shard, o->shards, &facts,
                           spec->pinning.kind == CL_PIN_NONE ? -1 : can_bind,
                           spec->pinning.kind == CL_PIN_NONE ? NULL : pin_note};
    cl_results_meta(res, spec, "running", &meta);
    if (!o->quiet)
        fprintf(stderr, "conlab: %s: %zu cells, %d warmup + %d measured "
                "repetitions each, pinning %s; results in %s/\n",
                spec->experiment, n_cells, spec->warmup, spec->repeat,
                spec->pinning.kind == CL_PIN_NONE      ? "none"
                : spec->pinning.kind == CL_PIN_COMPACT ? "compact"
                : spec->pinning.kind == CL_PIN_SCATTER ? "scatter"
                                                       : "list",
                dir);

    /* The built-in HTTP server runs in its own process, outside every cell's
     * process group: its CPU time is never counted in a cell. */
    struct cl_server *server = NULL;
    if (uses_builtin_server(spec)) {
        char *exe = cl_exe_path();
        int bad = cl_server_spawn(&server, exe ? exe : "/proc/self/exe",
                                  spec->seed, err, sizeof err);
        free(exe);
        if (bad) {
            cl_log(CONLAB_LOG_ERROR, NULL, "built-in server: %s", err);
            server = NULL;
        } else if (!o->quiet) {
            fprintf(stderr, "conlab: built-in server at %s\n",
                    cl_server_url(server));
        }
    }

    install_signals();
    struct progress prog;
    progress_start(&prog, o, cells, n_cells, spec->warmup + spec->repeat);
    int write_failed = 0;
    if (n_done && !o->quiet)
        fprintf(stderr, "conlab: resuming: %zu of %zu cells already done\n",
                n_done, n_cells);
    for (size_t ci = 0; ci < n_cells && !g_interrupts; ci++) {
        struct cl_cell *cell = &cells[ci];
        if (cell->done)
            continue;
        progress_cell(&prog, cell, ci);
        struct cl_cellmem mem;
        if (cl_cellmem_map(&mem, cell->workload->tasks) != 0) {
            cell->status = CL_ST_ERROR;
            snprintf(cell->detail, sizeof cell->detail,
                     "cannot map records for %llu tasks: %s",
                     (unsigned long long)cell->workload->tasks, strerror(errno));
        } else {
            struct rep_ctx rc = {spec, server ? cl_server_url(server) : NULL,
                                 topo, cell, &mem,
                                 cl_now_ns() + (uint64_t)(spec->timeout_s * 1e9)};
            int total = spec->warmup + spec->repeat;
            cell->rows = cl_xcalloc((size_t)total, sizeof *cell->rows);
            for (int r = 0; r < total; r++) {
                int measured = r >= spec->warmup;
                struct cl_rep_row row;
                memset(&row, 0, sizeof row);
                row.repetition = measured ? r - spec->warmup + 1 : 0;
                run_rep(&rc, &row);
                progress_rep(&prog, &row);
                cell->workers = row.workers;
                if (measured || row.status != CL_ST_OK) {
                    if (measured && record_tasks &&
                        cl_results_tasks(res, cell, row.repetition, &mem) != 0)
                        write_failed = 1;
                    cell->rows[cell->n_rows++] = row;
                    if (cl_results_rep(res, cell, &row) != 0)
                        write_failed = 1;
                }
                if (row.status > cell->status) {
                    cell->status = row.status;
                    snprintf(cell->detail, sizeof cell->detail, "%s%s",
                             row.repetition ? "" : "in warmup: ", row.detail);
                }
                /* a repetition that did not finish ends the cell */
                if (row.status >= CL_ST_ERROR)
                    break;
            }
            cl_cellmem_unmap(&mem);
        }
        cl_cell_summarize(cell);
        cell->done = 1;
        if (cl_results_cell_done(res, cells, n_cells) != 0)
            write_failed = 1;
        progress_done(&prog, cell);
        if (write_failed) {
            cl_log(CONLAB_LOG_ERROR, NULL, "cannot write results in %s: %s",
                   cl_results_dir(res), strerror(errno));
            break;
        }
    }
    progress_end(&prog);
    int interrupted = g_interrupts > 0;
    cl_server_stop(server);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);

    cl_cells_speedups(cells, n_cells);
    cl_results_cell_done(res, cells, n_cells);
    meta.finished = cl_wall_time();
    cl_results_meta(res, spec, interrupted ? "interrupted" : "complete", &meta);
    if (!o->quiet) {
        cl_report_print_dir(stdout, cl_results_dir(res));
        printf("results: %s/\n", cl_results_dir(res));
    }

    int rc = CL_EXIT_OK;
    for (size_t i = 0; i < n_cells; i++)
        if (cells[i].done && cells[i].status != CL_ST_OK)
            rc = CL_EXIT_CELLS;
    if (interrupted)
        rc = CL_EXIT_INTERRUPTED;
    if (write_failed)
        rc = CL_EXIT_INTERNAL;

    cl_results_close(res);
    for (size_t i = 0; i < n_cells; i++) {
        free(cells[i].name);
        free(cells[i].rows);
    }
    free(cells);
    free(topo_summary);
    free(dir);
    free(parent);
    cl_topo_close(topo);
    return rc;
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
    struct rep_ctx rc = {
        .spec = spec,
        .builtin_url = builtin_url,
        .topo = topo,
        .cell = &cell,
        .mem = mem,
        .deadline_ns = cl_now_ns() + (uint64_t)(spec->timeout_s * 1e9),
    };
    install_signals();
    run_rep(&rc, row);
    signal(SIGINT, SIG_DFL);
    signal(SIGTERM, SIG_DFL);
    signal(SIGHUP, SIG_DFL);
    free(cell.name);
    return 0;
}

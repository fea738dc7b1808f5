/* report.c — see report.h.
 *
 * The figures are recomputed from results.csv (the ok measured repetitions,
 * exactly as summary.csv is made), so a report of a partial run shows the
 * cells measured so far.  summary.csv, when there, decides a finished
 * cell's status (it knows about failed warm-ups); run.yaml tells what the
 * machine was like. */
#include "report.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "csv.h"
#include "jsonout.h"
#include "runyaml.h"
#include "util.h"

/* ---- small helpers ------------------------------------------------------------ */

static void vec_push(char ***v, size_t *n, char *s)
{
    *v = cl_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

static void warnf(char ***v, size_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void warnf(char ***v, size_t *n, const char *fmt, ...)
{
    va_list ap;
    char *s = NULL;
    va_start(ap, fmt);
    int len = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (len < 0)
        s = cl_xstrdup(fmt); /* out of memory: keep the gist */
    vec_push(v, n, s);
}

static void vec_free(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

static char *dup_or_null(const char *s)
{
    return s && *s ? cl_xstrdup(s) : NULL;
}

/* ---- run.yaml ------------------------------------------------------------------- */

/* Missing or unreadable run.yaml is not an error: the facts stay unknown. */
static void load_run_yaml(struct cl_run_report *r)
{
    struct cl_runinfo ri;
    char err[512];
    if (cl_runyaml_read(r->dir, &ri, err, sizeof err) == 0) {
        r->experiment = dup_or_null(ri.experiment);
        r->state = dup_or_null(ri.state);
        r->started = dup_or_null(ri.started);
        r->pinning = dup_or_null(ri.pinning);
        r->pinning_note = dup_or_null(ri.pinning_note);
        r->pinning_possible = ri.pinning_possible;
        r->version = dup_or_null(ri.version);
        r->warmup = ri.warmup;
        r->repeat = ri.repeat;
        r->hostname = dup_or_null(ri.hostname);
        r->cpu = dup_or_null(ri.cpu);
        r->topology = dup_or_null(ri.topology);
        r->governor = dup_or_null(ri.governor);
        r->hypervisor = dup_or_null(ri.hypervisor);
        r->virtualized = ri.virtualized;
        r->online_cpus = ri.online_cpus;
        r->loadavg_1m = ri.loadavg_1m;
    }
    cl_runinfo_free(&ri);
}

/* ---- results.csv and summary.csv ---------------------------------------------- */

struct cols {
    struct cl_rep_cols rep;
    long strategy, workload, experiment;
    long *scol; /* the strategy.* columns, aligned with r->scols */
};

static void cols_find(struct cols *c, const struct cl_csv_row *h,
                      struct cl_run_report *r)
{
    cl_rep_cols_find(&c->rep, h);
    c->strategy = cl_csv_col(h, "strategy");
    c->workload = cl_csv_col(h, "workload");
    c->experiment = cl_csv_col(h, "experiment");
    /* the strategy parameter columns: the first file names them */
    if (!r->scols)
        for (size_t i = 0; i < h->n; i++)
            if (strncmp(h->f[i], "strategy.", 9) == 0)
                vec_push(&r->scols, &r->n_scols, cl_xstrdup(h->f[i] + 9));
    c->scol = cl_xcalloc(r->n_scols ? r->n_scols : 1, sizeof *c->scol);
    for (size_t i = 0; i < r->n_scols; i++) {
        char *name = cl_xasprintf("strategy.%s", r->scols[i]);
        c->scol[i] = cl_csv_col(h, name);
        free(name);
    }
}

static size_t workload_index(struct cl_run_report *r, const char *label)
{
    for (size_t i = 0; i < r->n_workloads; i++)
        if (strcmp(r->workloads[i], label) == 0)
            return i;
    vec_push(&r->workloads, &r->n_workloads, cl_xstrdup(label));
    return r->n_workloads - 1;
}

/* The cell a row is about, added on first sight. */
static struct cl_rcell *cell_of(struct cl_run_report *r, const struct cols *c,
                                const struct cl_csv_row *row)
{
    const char *name = cl_csv_get(row, c->rep.cell);
    for (size_t i = r->n_cells; i-- > 0;) /* rows come grouped: look back */
        if (strcmp(r->cells[i].name, name) == 0)
            return &r->cells[i];
    r->cells = cl_xrealloc(r->cells, (r->n_cells + 1) * sizeof *r->cells);
    struct cl_rcell *cell = &r->cells[r->n_cells++];
    memset(cell, 0, sizeof *cell);
    cell->name = cl_xstrdup(name);
    cell->strategy = cl_xstrdup(cl_csv_get(row, c->strategy));
    cell->workload = cl_xstrdup(cl_csv_get(row, c->workload));
    size_t plen = strcspn(cell->strategy, "(");
    cell->plugin = cl_xasprintf("%.*s", (int)plen, cell->strategy);
    cell->workload_ix = workload_index(r, cell->workload);
    cell->detail = cl_xstrdup("");
    cell->svals = cl_xcalloc(r->n_scols ? r->n_scols : 1, sizeof *cell->svals);
    for (size_t i = 0; i < r->n_scols; i++)
        cell->svals[i] = cl_xstrdup(cl_csv_get(row, c->scol[i]));
    cell->speedup = cell->efficiency = cell->cpu_util = cell->cv = NAN;
    cell->sweep = NAN;
    if (!r->experiment && *cl_csv_get(row, c->experiment))
        r->experiment = cl_xstrdup(cl_csv_get(row, c->experiment));
    return cell;
}

static void set_detail(struct cl_rcell *cell, const char *detail)
{
    free(cell->detail);
    cell->detail = cl_xstrdup(detail);
}

static int open_in(const struct cl_run_report *r, const char *file,
                   struct cl_csv_in *in)
{
    char *path = cl_xasprintf("%s/%s", r->dir, file);
    int rc = cl_csv_open(in, path);
    free(path);
    return rc;
}

static int load_results(struct cl_run_report *r, char *err, size_t errlen)
{
    struct cl_csv_in in;
    if (open_in(r, "results.csv", &in) != 0) {
        snprintf(err, errlen, "%s/results.csv: %s%s", r->dir, strerror(errno),
                 errno == ENOENT ? " (not a conlab run directory?)" : "");
        return -1;
    }
    struct cl_csv_row hdr, row;
    if (cl_csv_next(&in, &hdr) != 1 || cl_csv_col(&hdr, "cell") < 0 ||
        cl_csv_col(&hdr, "wall_s") < 0) {
        cl_csv_row_free(&hdr);
        cl_csv_close(&in);
        snprintf(err, errlen, "%s/results.csv: no conlab header", r->dir);
        return -1;
    }
    struct cols c;
    cols_find(&c, &hdr, r);
    char why[128];
    /* a torn last row (a run killed mid-write) ends the reading quietly */
    while (cl_csv_next(&in, &row) == 1) {
        struct cl_rcell *cell = cell_of(r, &c, &row);
        struct cl_rep_row rep;
        cl_rep_row_parse(&c.rep, &row, &rep, why, sizeof why);
        enum cl_status st = rep.status;
        if (rep.workers)
            cell->workers = rep.workers;
        if (st > cell->status || (st != CL_ST_OK && !*cell->detail)) {
            if (st > cell->status)
                cell->status = st;
            set_detail(cell, rep.detail);
        }
        if (rep.repetition >= 1) {
            cell->reps = cl_xrealloc(cell->reps, (cell->n_reps + 1) * sizeof *cell->reps);
            cell->reps[cell->n_reps++] = rep;
        }
        cl_csv_row_free(&row);
    }
    free(c.scol);
    cl_csv_row_free(&hdr);
    cl_csv_close(&in);
    return 0;
}

static void load_summary(struct cl_run_report *r)
{
    struct cl_csv_in in;
    if (open_in(r, "summary.csv", &in) != 0)
        return; /* no cell finished yet */
    struct cl_csv_row hdr, row;
    if (cl_csv_next(&in, &hdr) != 1) {
        cl_csv_close(&in);
        return;
    }
    struct cols c;
    cols_find(&c, &hdr, r);
    while (cl_csv_next(&in, &row) == 1) {
        struct cl_rcell *cell = cell_of(r, &c, &row);
        cell->finished = 1;
        cell->status = CL_ST_ERROR;
        cl_status_parse(cl_csv_get(&row, c.rep.status), &cell->status);
        set_detail(cell, cl_csv_get(&row, c.rep.detail));
        unsigned workers = (unsigned)atoi(cl_csv_get(&row, c.rep.workers));
        if (workers)
            cell->workers = workers;
        cl_csv_row_free(&row);
    }
    free(c.scol);
    cl_csv_row_free(&hdr);
    cl_csv_close(&in);
}

/* ---- figures -------------------------------------------------------------------- */

void cl_modified_z(const double *x, size_t n, double *z)
{
    if (n == 0)
        return;
    double *s = cl_xmalloc(n * sizeof *s);
    memcpy(s, x, n * sizeof *s);
    cl_sort_doubles(s, n);
    double med = cl_quantile_sorted(s, n, 0.5), meanad = 0;
    for (size_t i = 0; i < n; i++) {
        s[i] = fabs(x[i] - med);
        meanad += s[i] / (double)n;
    }
    cl_sort_doubles(s, n);
    double mad = cl_quantile_sorted(s, n, 0.5);
    free(s);
    for (size_t i = 0; i < n; i++) {
        if (mad > 0)
            z[i] = 0.6745 * (x[i] - med) / mad;
        else if (meanad > 0)
            z[i] = (x[i] - med) / (1.253314 * meanad);
        else
            z[i] = 0;
    }
}

/* The plugin name plus the strategy parameters that differ between the
 * plugin's cells, but the worker count: the cells of one speedup curve. */
static void make_series(struct cl_run_report *r)
{
    for (size_t i = 0; i < r->n_cells; i++) {
        struct cl_rcell *c = &r->cells[i];
        char *series = cl_xstrdup(c->plugin);
        size_t added = 0;
        for (size_t k = 0; k < r->n_scols; k++) {
            if (!strcmp(r->scols[k], "workers") || !strcmp(r->scols[k], "concurrency")) {
                if (*c->svals[k] && !isfinite(c->sweep))
                    c->sweep = cl_csv_num(c->svals[k]);
                continue;
            }
            int varies = 0;
            for (size_t j = 0; j < r->n_cells && !varies; j++)
                varies = !strcmp(r->cells[j].plugin, c->plugin) &&
                         strcmp(r->cells[j].svals[k], c->svals[k]) != 0;
            if (!varies || !*c->svals[k])
                continue;
            char *s = cl_xasprintf("%s%s%s=%s", series, added ? "," : "(",
                                   r->scols[k], c->svals[k]);
            free(series);
            series = s;
            added++;
        }
        if (added) {
            char *s = cl_xasprintf("%s)", series);
            free(series);
            series = s;
        }
        c->series = series;
        if (!isfinite(c->sweep) && !strcmp(c->plugin, "sequential"))
            c->sweep = 1;
    }
}

static void cell_figures(struct cl_rcell *c)
{
    struct cl_ok_stats s;
    cl_rows_summarize(c->reps, c->n_reps, &s);
    c->wall = s.wall;
    c->n_ok = s.n_ok;
    c->tasks_failed = s.tasks_bad;
    c->cv = s.n_ok >= 2 && c->wall.mean > 0 ? c->wall.sd / c->wall.mean : NAN;
    c->cpu_util = s.cpu_util;
}

static void speedups(struct cl_run_report *r)
{
    for (size_t w = 0; w < r->n_workloads; w++) {
        const struct cl_rcell *seq = NULL;
        struct cl_rcell *best = NULL;
        size_t with_data = 0;
        for (size_t i = 0; i < r->n_cells; i++) {
            struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w || c->n_ok == 0)
                continue;
            if (!seq && !strcmp(c->plugin, "sequential"))
                seq = c;
            if (c->status != CL_ST_OK)
                continue; /* a cell that failed is nobody's fastest */
            if (!best || c->wall.mean < best->wall.mean)
                best = c;
            with_data++;
        }
        if (best && with_data >= 2)
            best->fastest = 1;
        for (size_t i = 0; seq && i < r->n_cells; i++) {
            struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w || c->n_ok == 0 || !(c->wall.mean > 0))
                continue;
            c->speedup = seq->wall.mean / c->wall.mean;
            if (c->workers)
                c->efficiency = c->speedup / c->workers;
        }
    }
}

/* ---- warnings ------------------------------------------------------------------- */

static int first_rep_slow(const double *w, const int *rep, size_t n,
                          char ***v, size_t *nv)
{
    if (n < 3 || rep[0] != 1)
        return 0;
    double *rest = cl_xmalloc((n - 1) * sizeof *rest);
    memcpy(rest, w + 1, (n - 1) * sizeof *rest);
    cl_sort_doubles(rest, n - 1);
    double med = cl_quantile_sorted(rest, n - 1, 0.5), max = rest[n - 2];
    free(rest);
    if (!(med > 0) || w[0] <= CL_WARN_FIRST * med || w[0] <= max)
        return 0;
    char a[32], b[32];
    warnf(v, nv, "the first repetition (%s) was %.1fx slower than the rest "
          "(median %s): a cold start (caches, page faults, loading) was "
          "measured; raise warmup in the spec", cl_fmt_dur(w[0], a, sizeof a),
          w[0] / med, cl_fmt_dur(med, b, sizeof b));
    return 1;
}

static void outliers(const double *w, const int *rep, size_t n, int skip_first,
                     char ***v, size_t *nv)
{
    if (n < 3)
        return;
    double *z = cl_xmalloc(n * sizeof *z);
    cl_modified_z(w, n, z);
    double *s = cl_xmalloc(n * sizeof *s);
    memcpy(s, w, n * sizeof *s);
    cl_sort_doubles(s, n);
    double med = cl_quantile_sorted(s, n, 0.5);
    free(s);
    char list[400] = "", a[32], b[32];
    size_t found = 0, len = 0;
    for (size_t i = skip_first ? 1 : 0; i < n; i++) {
        if (fabs(z[i]) <= CL_WARN_MODZ || fabs(w[i] - med) <= CL_WARN_OUTLIER_REL * med)
            continue;
        if (len + 48 < sizeof list)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%d (%s)",
                                    found ? ", " : "", rep[i],
                                    cl_fmt_dur(w[i], a, sizeof a));
        found++;
    }
    free(z);
    if (found)
        warnf(v, nv, "%s %s %s (median %s, modified z-score beyond %g): "
              "something else ran then? The median is the figure to trust",
              found == 1 ? "repetition" : "repetitions", list,
              found == 1 ? "is an outlier" : "are outliers",
              cl_fmt_dur(med, b, sizeof b), CL_WARN_MODZ);
}

static void cell_warnings(const struct cl_run_report *r, struct cl_rcell *c)
{
    char ***v = &c->warn;
    size_t *nv = &c->n_warn;
    char a[32];
    if (!c->finished) {
        warnf(v, nv, "%s: %zu repetition%s measured so far",
              r->state && !strcmp(r->state, "running") ? "still running"
                                                        : "did not finish",
              c->n_reps, c->n_reps == 1 ? "" : "s");
    } else if (c->status != CL_ST_OK) {
        warnf(v, nv, "%s%s%s", cl_status_name(c->status), *c->detail ? ": " : "",
              c->detail);
    }
    size_t n = 0;
    double *w = cl_xmalloc((c->n_reps ? c->n_reps : 1) * sizeof *w);
    int *rep = cl_xmalloc((c->n_reps ? c->n_reps : 1) * sizeof *rep);
    for (size_t i = 0; i < c->n_reps; i++)
        if (c->reps[i].status == CL_ST_OK && isfinite(c->reps[i].wall_s)) {
            w[n] = c->reps[i].wall_s;
            rep[n++] = c->reps[i].repetition;
        }
    if (n > 0 && c->wall.mean < CL_WARN_SHORT_S)
        warnf(v, nv, "%s is too short to time well (under %g ms): starting "
              "workers and timer noise weigh as much as the work; give it more "
              "or longer tasks", cl_fmt_dur(c->wall.mean, a, sizeof a),
              CL_WARN_SHORT_S * 1e3);
    if (n > 0 && n < 3 && c->finished)
        warnf(v, nv, "only %zu ok repetition%s: too few to judge the spread "
              "(repeat: 5 or more)", n, n == 1 ? "" : "s");
    int slow = first_rep_slow(w, rep, n, v, nv);
    outliers(w, rep, n, slow, v, nv);
    if (isfinite(c->cv) && c->cv > CL_WARN_CV)
        warnf(v, nv, "varies a lot between repetitions (CV %.0f%%): the mean is "
              "uncertain; prefer the median, add repetitions, or quiet the "
              "machine", c->cv * 100);
    free(w);
    free(rep);
}

static void run_warnings(struct cl_run_report *r)
{
    char ***v = &r->warn;
    size_t *nv = &r->n_warn;
    if (r->state && strcmp(r->state, "complete") != 0)
        warnf(v, nv, "the run is %s: the figures cover the cells measured so far",
              !strcmp(r->state, "running") ? "still running (or was killed)"
                                           : r->state);
    if (r->governor && strcmp(r->governor, "performance") != 0)
        warnf(v, nv, "CPU frequency scaling is on (governor %s, not performance): "
              "the clock speed follows the load, so times drift and short cells "
              "run slower; for steady numbers: cpupower frequency-set -g "
              "performance", r->governor);
    if (isfinite(r->loadavg_1m) && r->online_cpus > 0 &&
        r->loadavg_1m > (double)r->online_cpus)
        warnf(v, nv, "the machine was busy when the run started (load average "
              "%.2f on %ld CPUs): other work competed for the cores, so times are "
              "inflated and noisy", r->loadavg_1m, r->online_cpus);
    if (r->virtualized == 1)
        warnf(v, nv, "ran in a virtual machine%s%s%s: the hypervisor and other "
              "guests can steal CPU time, and pinning binds virtual CPUs, not "
              "cores; compare only with runs on the same machine",
              r->hypervisor ? " (" : "", r->hypervisor ? r->hypervisor : "",
              r->hypervisor ? ")" : "");
    if (r->pinning_possible == 0 && r->pinning && strcmp(r->pinning, "none") != 0)
        warnf(v, nv, "pinning %s was asked but could not be applied%s%s: workers "
              "ran wherever the scheduler put them", r->pinning,
              r->pinning_note ? ": " : "", r->pinning_note ? r->pinning_note : "");
    for (size_t w = 0; w < r->n_workloads; w++) {
        int seq = 0, data = 0;
        for (size_t i = 0; i < r->n_cells; i++)
            if (r->cells[i].workload_ix == w) {
                seq |= !strcmp(r->cells[i].plugin, "sequential") && r->cells[i].n_ok;
                data |= r->cells[i].n_ok > 0;
            }
        if (data && !seq) {
            warnf(v, nv, "no ok sequential cell for %s: no speedups there (add "
                  "'- sequential' to the strategies)", r->workloads[w]);
        }
    }
}

/* ---- loading -------------------------------------------------------------------- */

int cl_report_load(const char *dir, struct cl_run_report **out, char *err,
                   size_t errlen)
{
    struct cl_run_report *r = cl_xcalloc(1, sizeof *r);
    r->dir = cl_xstrdup(dir);
    r->loadavg_1m = NAN;
    r->online_cpus = -1;
    r->virtualized = r->pinning_possible = -1;
    r->warmup = r->repeat = -1;
    load_run_yaml(r);
    if (load_results(r, err, errlen) != 0) {
        cl_report_free(r);
        return -1;
    }
    load_summary(r);
    make_series(r);
    for (size_t i = 0; i < r->n_cells; i++)
        cell_figures(&r->cells[i]);
    speedups(r);
    for (size_t i = 0; i < r->n_cells; i++)
        cell_warnings(r, &r->cells[i]);
    run_warnings(r);
    *out = r;
    return 0;
}

void cl_report_free(struct cl_run_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n_cells; i++) {
        struct cl_rcell *c = &r->cells[i];
        free(c->name);
        free(c->strategy);
        free(c->workload);
        free(c->plugin);
        free(c->series);
        free(c->detail);
        free(c->reps);
        vec_free(c->svals, r->n_scols);
        vec_free(c->warn, c->n_warn);
    }
    free(r->cells);
    vec_free(r->workloads, r->n_workloads);
    vec_free(r->scols, r->n_scols);
    vec_free(r->warn, r->n_warn);
    free(r->dir);
    free(r->experiment);
    free(r->state);
    free(r->started);
    free(r->hostname);
    free(r->cpu);
    free(r->version);
    free(r->pinning);
    free(r->governor);
    free(r->hypervisor);
    free(r->pinning_note);
    free(r->topology);
    free(r);
}

/* ---- the table, shared by text, markdown and HTML ------------------------------ */

enum { C_MARK, C_STRATEGY, C_WORKERS, C_MEAN, C_SD, C_MEDIAN, C_CI, C_SPEEDUP,
       C_EFF, C_CPU, C_FAILED, C_STATUS, N_COLS };

static const char *const col_head[N_COLS] = {
    "", "strategy", "workers", "mean", "± sd", "median", "95% CI",
    "speedup", "efficiency", "CPU", "failed", "status"};
static const int col_left[N_COLS] = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};

/* One unit per table, so a column reads at a glance: the fastest decides. */
struct unit {
    const char *name;
    double mul;
    int dec;
};

static struct unit table_unit(const struct cl_run_report *r, size_t w)
{
    double lo = INFINITY;
    for (size_t i = 0; i < r->n_cells; i++)
        if (r->cells[i].workload_ix == w && r->cells[i].n_ok && r->cells[i].wall.mean < lo)
            lo = r->cells[i].wall.mean;
    if (!isfinite(lo) || lo >= 1)
        return (struct unit){"s", 1, 3};
    if (lo >= 1e-3)
        return (struct unit){"ms", 1e3, 2};
    return (struct unit){"µs", 1e6, 1};
}

static const char *cell_status_text(const struct cl_run_report *r,
                                    const struct cl_rcell *c)
{
    if (c->finished)
        return cl_status_name(c->status);
    return r->state && !strcmp(r->state, "running") ? "running" : "unfinished";
}

/* The row of a cell, every field allocated. */
static void table_row(const struct cl_run_report *r, const struct cl_rcell *c,
                      struct unit u, char *f[N_COLS])
{
    const struct cl_summary *s = &c->wall;
    f[C_MARK] = cl_xstrdup(c->fastest ? "*" : "");
    f[C_STRATEGY] = cl_xstrdup(c->strategy);
    f[C_WORKERS] = c->workers ? cl_xasprintf("%u", c->workers) : cl_xstrdup("-");
    if (c->n_ok) {
        f[C_MEAN] = cl_xasprintf("%.*f", u.dec, s->mean * u.mul);
        f[C_SD] = cl_xasprintf("± %.*f", u.dec, s->sd * u.mul);
        f[C_MEDIAN] = cl_xasprintf("%.*f", u.dec, s->median * u.mul);
        f[C_CI] = c->n_ok >= 2 ? cl_xasprintf("%.*f–%.*f", u.dec, s->ci95_lo * u.mul,
                                             u.dec, s->ci95_hi * u.mul)
                               : cl_xstrdup("-");
    } else {
        f[C_MEAN] = cl_xstrdup("-");
        f[C_SD] = cl_xstrdup("");
        f[C_MEDIAN] = cl_xstrdup("-");
        f[C_CI] = cl_xstrdup("-");
    }
    f[C_SPEEDUP] = isfinite(c->speedup) ? cl_xasprintf("%.2fx", c->speedup) : cl_xstrdup("-");
    f[C_EFF] = isfinite(c->efficiency) ? cl_xasprintf("%.0f%%", c->efficiency * 100)
                                       : cl_xstrdup("-");
    f[C_CPU] = isfinite(c->cpu_util) ? cl_xasprintf("%.0f%%", c->cpu_util * 100)
                                     : cl_xstrdup("-");
    f[C_FAILED] = cl_xasprintf("%llu", (unsigned long long)c->tasks_failed);
    f[C_STATUS] = cl_xasprintf("%s%s", cell_status_text(r, c),
                               c->n_warn ? " !" : "");
}

static void row_free(char *f[N_COLS])
{
    for (int i = 0; i < N_COLS; i++)
        free(f[i]);
}

/* Columns on a terminal: UTF-8 continuation bytes take no room. */
static size_t disp_width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

static void pad(FILE *out, const char *s, size_t width, int left)
{
    size_t w = disp_width(s);
    if (!left)
        for (size_t i = w; i < width; i++)
            fputc(' ', out);
    fputs(s, out);
    if (left)
        for (size_t i = w; i < width; i++)
            fputc(' ', out);
}

/* Words of `text` wrapped at `width` columns, lines after the first indented. */
static void wrap(FILE *out, const char *first, const char *indent,
                 const char *text, size_t width)
{
    size_t col = disp_width(first);
    fputs(first, out);
    const char *p = text;
    int line_start = 1;
    while (*p) {
        size_t len = strcspn(p, " ");
        char word[512];
        snprintf(word, sizeof word, "%.*s", (int)len, p);
        size_t w = disp_width(word);
        if (!line_start && col + 1 + w > width) {
            fprintf(out, "\n%s", indent);
            col = disp_width(indent);
            line_start = 1;
        }
        if (!line_start) {
            fputc(' ', out);
            col++;
        }
        fwrite(p, 1, len, out);
        col += w;
        line_start = 0;
        p += len;
        while (*p == ' ')
            p++;
    }
    fputc('\n', out);
}

static void text_header(FILE *out, const struct cl_run_report *r)
{
    size_t n_fin = 0;
    for (size_t i = 0; i < r->n_cells; i++)
        n_fin += r->cells[i].finished;
    fprintf(out, "%s: %s, %zu cell%s", r->experiment ? r->experiment : "conlab run",
            r->state ? r->state : "state unknown", n_fin, n_fin == 1 ? "" : "s");
    if (n_fin != r->n_cells)
        fprintf(out, " finished (%zu started)", r->n_cells);
    if (r->repeat >= 0)
        fprintf(out, ", %d measured repetition%s each", r->repeat, r->repeat == 1 ? "" : "s");
    if (r->warmup > 0)
        fprintf(out, " after %d warmup", r->warmup);
    fputc('\n', out);
    fprintf(out, "  %s", r->dir);
    if (r->hostname)
        fprintf(out, " · %s", r->hostname);
    if (r->cpu)
        fprintf(out, " · %s", r->cpu);
    if (r->online_cpus > 0)
        fprintf(out, " · %ld CPUs", r->online_cpus);
    if (r->pinning)
        fprintf(out, " · pinning %s", r->pinning);
    if (r->started)
        fprintf(out, " · %s", r->started);
    fputc('\n', out);
    for (size_t i = 0; i < r->n_warn; i++)
        wrap(out, "  ! ", "    ", r->warn[i], 100);
}

static void text_workload(FILE *out, const struct cl_run_report *r, size_t w)
{
    struct unit u = table_unit(r, w);
    size_t n = 0;
    for (size_t i = 0; i < r->n_cells; i++)
        n += r->cells[i].workload_ix == w;
    char *(*rows)[N_COLS] = cl_xcalloc(n, sizeof *rows);
    size_t width[N_COLS];
    for (int k = 0; k < N_COLS; k++)
        width[k] = disp_width(col_head[k]);
    size_t j = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        if (r->cells[i].workload_ix != w)
            continue;
        table_row(r, &r->cells[i], u, rows[j]);
        for (int k = 0; k < N_COLS; k++)
            if (disp_width(rows[j][k]) > width[k])
                width[k] = disp_width(rows[j][k]);
        j++;
    }
    fprintf(out, "\n%s  (wall time in %s)\n", r->workloads[w], u.name);
    for (int k = 0; k < N_COLS; k++) {
        fputs(k == 0 ? "" : k == C_SD ? " " : "  ", out);
        pad(out, col_head[k], width[k], col_left[k]);
    }
    fputc('\n', out);
    for (j = 0; j < n; j++) {
        for (int k = 0; k < N_COLS; k++) {
            fputs(k == 0 ? "" : k == C_SD ? " " : "  ", out);
            if (k == N_COLS - 1)
                fputs(rows[j][k], out); /* no trailing blanks */
            else
                pad(out, rows[j][k], width[k], col_left[k]);
        }
        fputc('\n', out);
        row_free(rows[j]);
    }
    free(rows);
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        for (size_t k = 0; k < c->n_warn; k++) {
            char *first = cl_xasprintf("  ! %s: ", c->strategy);
            wrap(out, first, "      ", c->warn[k], 100);
            free(first);
        }
    }
}

static void write_text(FILE *out, const struct cl_run_report *r)
{
    text_header(out, r);
    for (size_t w = 0; w < r->n_workloads; w++)
        text_workload(out, r, w);
    if (r->n_cells)
        fputs("\n* fastest · speedup = sequential mean / mean, efficiency = "
              "speedup / workers · CPU = (user+sys) / wall, 100% = one CPU · "
              "95% CI: Student t over the ok repetitions · ! see the notes\n", out);
    else
        fputs("\nno repetition measured yet\n", out);
}

/* ---- markdown ------------------------------------------------------------------- */

static void md_text(FILE *out, const char *s)
{
    for (; *s; s++) {
        if (*s == '|' || *s == '*' || *s == '_' || *s == '`' || *s == '\\')
            fputc('\\', out);
        fputc(*s, out);
    }
}

static void write_md(FILE *out, const struct cl_run_report *r)
{
    fputs("# ", out);
    md_text(out, r->experiment ? r->experiment : "conlab run");
    fprintf(out, "\n\n%s, %zu cells", r->state ? r->state : "state unknown", r->n_cells);
    if (r->hostname) {
        fputs(" · ", out);
        md_text(out, r->hostname);
    }
    if (r->cpu) {
        fputs(" · ", out);
        md_text(out, r->cpu);
    }
    if (r->online_cpus > 0)
        fprintf(out, " · %ld CPUs", r->online_cpus);
    if (r->started)
        fprintf(out, " · %s", r->started);
    fputs("\n", out);
    if (r->n_warn)
        fputc('\n', out);
    for (size_t i = 0; i < r->n_warn; i++) {
        fputs("- **warning:** ", out);
        md_text(out, r->warn[i]);
        fputc('\n', out);
    }
    for (size_t w = 0; w < r->n_workloads; w++) {
        struct unit u = table_unit(r, w);
        fputs("\n## ", out);
        md_text(out, r->workloads[w]);
        fprintf(out, "\n\nWall time in %s.\n\n|", u.name);
        for (int k = 0; k < N_COLS; k++) {
            fputc(' ', out);
            md_text(out, k == C_MARK ? " " : col_head[k]);
            fputs(" |", out);
        }
        fputs("\n|", out);
        for (int k = 0; k < N_COLS; k++)
            fputs(col_left[k] ? " --- |" : " ---: |", out);
        fputc('\n', out);
        for (size_t i = 0; i < r->n_cells; i++) {
            if (r->cells[i].workload_ix != w)
                continue;
            char *f[N_COLS];
            table_row(r, &r->cells[i], u, f);
            fputc('|', out);
            for (int k = 0; k < N_COLS; k++) {
                fputc(' ', out);
                if (k == C_MARK && r->cells[i].fastest)
                    fputs("**fastest**", out);
                else
                    md_text(out, f[k]);
                fputs(" |", out);
            }
            fputc('\n', out);
            row_free(f);
        }
        int any = 0;
        for (size_t i = 0; i < r->n_cells; i++) {
            const struct cl_rcell *c = &r->cells[i];
            for (size_t k = 0; c->workload_ix == w && k < c->n_warn; k++) {
                fputs(any++ ? "- " : "\n- ", out);
                fputs("**", out);
                md_text(out, c->strategy);
                fputs(":** ", out);
                md_text(out, c->warn[k]);
                fputc('\n', out);
            }
        }
    }
}

/* ---- CSV -------------------------------------------------------------------------- */

static void csv_d(FILE *out, double v)
{
    fputc(',', out);
    if (isfinite(v))
        fprintf(out, "%.9g", v);
}

static void write_csv(FILE *out, const struct cl_run_report *r)
{
    fputs("experiment,workload,strategy,cell,status,finished,reps,ok_reps,workers,"
          "wall_mean_s,wall_sd_s,wall_median_s,wall_ci95_lo_s,wall_ci95_hi_s,"
          "wall_cv,speedup,efficiency,cpu_util,tasks_failed,fastest,warnings\n", out);
    for (size_t w = 0; w < r->n_workloads; w++)
        for (size_t i = 0; i < r->n_cells; i++) {
            const struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w)
                continue;
            cl_csv_field(out, r->experiment ? r->experiment : "", 1);
            cl_csv_field(out, c->workload, 0);
            cl_csv_field(out, c->strategy, 0);
            cl_csv_field(out, c->name, 0);
            cl_csv_field(out, cell_status_text(r, c), 0);
            fprintf(out, ",%d,%zu,%zu,%u", c->finished, c->n_reps, c->n_ok, c->workers);
            csv_d(out, c->wall.mean);
            csv_d(out, c->wall.sd);
            csv_d(out, c->wall.median);
            csv_d(out, c->wall.ci95_lo);
            csv_d(out, c->wall.ci95_hi);
            csv_d(out, c->cv);
            csv_d(out, c->speedup);
            csv_d(out, c->efficiency);
            csv_d(out, c->cpu_util);
            fprintf(out, ",%llu,%d", (unsigned long long)c->tasks_failed, c->fastest);
            size_t len = 0;
            for (size_t k = 0; k < c->n_warn; k++)
                len += strlen(c->warn[k]) + 2;
            char *all = cl_xcalloc(len + 1, 1);
            for (size_t k = 0; k < c->n_warn; k++) {
                if (k)
                    strcat(all, "; ");
                strcat(all, c->warn[k]);
            }
            cl_csv_field(out, all, 0);
            free(all);
            fputc('\n', out);
        }
}

/* ---- JSON ------------------------------------------------------------------------- */

#define ADD(o, k, v) json_object_object_add((o), (k), (v))

static struct json_object *json_cell(const struct cl_run_report *r,
                                     const struct cl_rcell *c)
{
    const struct cl_summary *s = &c->wall;
    struct json_object *o = json_object_new_object();
    ADD(o, "cell", cl_json_str(c->name));
    ADD(o, "strategy", cl_json_str(c->strategy));
    ADD(o, "plugin", cl_json_str(c->plugin));
    ADD(o, "series", cl_json_str(c->series));
    ADD(o, "status", cl_json_str(cell_status_text(r, c)));
    ADD(o, "finished", cl_json_bool3(c->finished));
    ADD(o, "detail", cl_json_str(c->detail));
    ADD(o, "workers", json_object_new_int64(c->workers));
    ADD(o, "sweep", cl_json_num(c->sweep));
    ADD(o, "reps", json_object_new_uint64(c->n_reps));
    ADD(o, "ok_reps", json_object_new_uint64(c->n_ok));
    struct json_object *w = json_object_new_object();
    const char *names[] = {"mean", "sd", "median", "min", "max", "ci95_lo", "ci95_hi", "cv"};
    const double vals[] = {s->mean, s->sd, s->median, s->min, s->max,
                           s->ci95_lo, s->ci95_hi, c->cv};
    for (size_t k = 0; k < sizeof vals / sizeof *vals; k++)
        ADD(w, names[k], cl_json_num(vals[k]));
    ADD(o, "wall_s", w);
    struct json_object *walls = json_object_new_array();
    for (size_t k = 0; k < c->n_reps; k++)
        json_object_array_add(walls, cl_json_num(c->reps[k].status == CL_ST_OK
                                                     ? c->reps[k].wall_s : NAN));
    ADD(o, "walls_s", walls);
    ADD(o, "speedup", cl_json_num(c->speedup));
    ADD(o, "efficiency", cl_json_num(c->efficiency));
    ADD(o, "cpu_util", cl_json_num(c->cpu_util));
    ADD(o, "tasks_failed", json_object_new_uint64(c->tasks_failed));
    ADD(o, "fastest", cl_json_bool3(c->fastest));
    ADD(o, "warnings", cl_json_strs(c->warn, c->n_warn));
    return o;
}

static int write_json(FILE *out, const struct cl_run_report *r)
{
    struct json_object *o = json_object_new_object();
    ADD(o, "dir", cl_json_str(r->dir));
    ADD(o, "experiment", cl_json_str(r->experiment));
    ADD(o, "state", cl_json_str(r->state));
    ADD(o, "started", cl_json_str(r->started));
    ADD(o, "repeat", json_object_new_int(r->repeat));
    ADD(o, "warmup", json_object_new_int(r->warmup));
    ADD(o, "pinning", cl_json_str(r->pinning));
    ADD(o, "pinning_possible", cl_json_bool3(r->pinning_possible));
    struct json_object *h = json_object_new_object();
    ADD(h, "hostname", cl_json_str(r->hostname));
    ADD(h, "cpu", cl_json_str(r->cpu));
    ADD(h, "online_cpus", json_object_new_int64(r->online_cpus));
    ADD(h, "loadavg_1m", cl_json_num(r->loadavg_1m));
    ADD(h, "governor", cl_json_str(r->governor));
    ADD(h, "virtualized", cl_json_bool3(r->virtualized));
    ADD(h, "hypervisor", cl_json_str(r->hypervisor));
    ADD(o, "host", h);
    ADD(o, "warnings", cl_json_strs(r->warn, r->n_warn));
    struct json_object *ws = json_object_new_array();
    for (size_t w = 0; w < r->n_workloads; w++) {
        struct json_object *wo = json_object_new_object();
        ADD(wo, "workload", cl_json_str(r->workloads[w]));
        struct json_object *cells = json_object_new_array();
        for (size_t i = 0; i < r->n_cells; i++)
            if (r->cells[i].workload_ix == w)
                json_object_array_add(cells, json_cell(r, &r->cells[i]));
        ADD(wo, "cells", cells);
        json_object_array_add(ws, wo);
    }
    ADD(o, "workloads", ws);
    return cl_json_write(out, o);
}

#undef ADD

/* ---- HTML fragments (for plot's report.html) ---------------------------------- */

void cl_xml_escape(FILE *out, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '&': fputs("&amp;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*s, out);
        }
    }
}

void cl_report_html_header(FILE *out, const struct cl_run_report *r)
{
    fputs("<h1>", out);
    cl_xml_escape(out, r->experiment ? r->experiment : "conlab run");
    fputs("</h1>\n<p class=\"meta\">", out);
    cl_xml_escape(out, r->state ? r->state : "state unknown");
    fprintf(out, " · %zu cells", r->n_cells);
    if (r->repeat >= 0)
        fprintf(out, " · %d measured repetitions each", r->repeat);
    const char *facts[] = {r->hostname, r->cpu, r->topology, r->started};
    for (size_t i = 0; i < sizeof facts / sizeof *facts; i++)
        if (facts[i]) {
            fputs(" · ", out);
            cl_xml_escape(out, facts[i]);
        }
    if (r->pinning) {
        fputs(" · pinning ", out);
        cl_xml_escape(out, r->pinning);
    }
    fputs("</p>\n", out);
    if (!r->n_warn)
        return;
    fputs("<ul class=\"warnings\">\n", out);
    for (size_t i = 0; i < r->n_warn; i++) {
        fputs("<li>", out);
        cl_xml_escape(out, r->warn[i]);
        fputs("</li>\n", out);
    }
    fputs("</ul>\n", out);
}

void cl_report_html_workload(FILE *out, const struct cl_run_report *r, size_t w)
{
    struct unit u = table_unit(r, w);
    fprintf(out, "<table class=\"summary\">\n<caption>wall time in %s</caption>\n<tr>",
            u.name);
    for (int k = 0; k < N_COLS; k++) {
        fputs("<th>", out);
        cl_xml_escape(out, col_head[k]);
        fputs("</th>", out);
    }
    fputs("</tr>\n", out);
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        char *f[N_COLS];
        table_row(r, c, u, f);
        fprintf(out, "<tr%s>", c->fastest ? " class=\"fastest\"" : "");
        for (int k = 0; k < N_COLS; k++) {
            fputs(col_left[k] ? "<td>" : "<td class=\"num\">", out);
            cl_xml_escape(out, k == C_MARK && c->fastest ? "★" : f[k]);
            fputs("</td>", out);
        }
        fputs("</tr>\n", out);
        row_free(f);
    }
    fputs("</table>\n", out);
    int any = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        for (size_t k = 0; c->workload_ix == w && k < c->n_warn; k++) {
            fputs(any++ ? "<li><b>" : "<ul class=\"warnings\">\n<li><b>", out);
            cl_xml_escape(out, c->strategy);
            fputs(":</b> ", out);
            cl_xml_escape(out, c->warn[k]);
            fputs("</li>\n", out);
        }
    }
    if (any)
        fputs("</ul>\n", out);
}

/* ---- entry points --------------------------------------------------------------- */

int cl_report_format_parse(const char *s, enum cl_report_format *out)
{
    static const struct {
        const char *name;
        enum cl_report_format f;
    } names[] = {{"text", CL_FMT_TEXT}, {"md", CL_FMT_MD}, {"markdown", CL_FMT_MD},
                 {"csv", CL_FMT_CSV},   {"json", CL_FMT_JSON}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

int cl_report_write(FILE *out, const struct cl_run_report *r,
                    enum cl_report_format fmt)
{
    switch (fmt) {
    case CL_FMT_TEXT: write_text(out, r); break;
    case CL_FMT_MD: write_md(out, r); break;
    case CL_FMT_CSV: write_csv(out, r); break;
    case CL_FMT_JSON: write_json(out, r); break;
    }
    return fflush(out) == 0 && !ferror(out) ? 0 : -1;
}

int cl_report_print_dir(FILE *out, const char *dir)
{
    struct cl_run_report *r = NULL;
    char err[1024];
    if (cl_report_load(dir, &r, err, sizeof err) != 0) {
        fprintf(stderr, "conlab: report: %s\n", err);
        return -1;
    }
    fputc('\n', out);
    int rc = cl_report_write(out, r, CL_FMT_TEXT);
    cl_report_free(r);
    return rc;
}

static const char report_help[] =
    "usage: conlab report DIR [--format text|md|csv|json]\n"
    "\n"
    "What a run directory shows, read from its files (a finished run, or one\n"
    "still going, or interrupted): for every workload variant a table of its\n"
    "strategy variants with wall time mean ± sd, median and 95% confidence\n"
    "interval (Student t over the ok repetitions), speedup against the\n"
    "`sequential` cell and parallel efficiency (speedup / workers), CPU use\n"
    "((user+sys)/wall: 100% is one CPU busy), failed tasks and the status;\n"
    "the fastest is marked *.\n"
    "\n"
    "Warnings say when a figure should not be trusted: wall time varying more\n"
    "than 10% (CV) between repetitions, an outlier repetition (modified\n"
    "z-score above 3.5), a cell shorter than 5 ms, a first repetition much\n"
    "slower than the rest (too little warmup), and, from run.yaml, CPU\n"
    "frequency scaling, a busy machine, a virtual machine, pinning that could\n"
    "not be applied, an unfinished run.\n"
    "\n"
    "  -f, --format F    text (default), md (Markdown), csv (a row per cell),\n"
    "                    json (everything, with each cell's repetitions)\n"
    "\n"
    "Exit status: 0; 2 bad command line or DIR unreadable; 3 cannot write.\n";

int cl_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    enum cl_report_format fmt = CL_FMT_TEXT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cl_report_format_parse(optarg, &fmt) != 0) {
                fprintf(stderr, "conlab report: unknown format '%s' (text, md, "
                        "csv or json)\n", optarg);
                return CL_EXIT_USAGE;
            }
            break;
        case 'h': fputs(report_help, stdout); return 0;
        default:
            fprintf(stderr, "see 'conlab report --help'\n");
            return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "conlab report: one run directory, please; see "
                "'conlab report --help'\n");
        return CL_EXIT_USAGE;
    }
    struct cl_run_report *r = NULL;
    char err[1024];
    if (cl_report_load(argv[optind], &r, err, sizeof err) != 0) {
        fprintf(stderr, "conlab report: %s\n", err);
        return CL_EXIT_USAGE;
    }
    if (fmt == CL_FMT_CSV) /* the CSV has a row per cell: run notes go aside */
        for (size_t i = 0; i < r->n_warn; i++)
            fprintf(stderr, "conlab report: warning: %s\n", r->warn[i]);
    int rc = cl_report_write(stdout, r, fmt);
    cl_report_free(r);
    if (rc != 0) {
        fprintf(stderr, "conlab report: cannot write: %s\n", strerror(errno));
        return CL_EXIT_INTERNAL;
    }
    return 0;
}


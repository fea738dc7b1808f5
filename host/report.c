/* report.c — see report.h.
 *
 * The figures are recomputed from results.csv (the ok measured repetitions,
 * exactly as summary.csv is made), so a report of a partial run shows the
 * cells measured so far.  summary.csv, when there, decides a finished
 * cell's status (it knows about failed warm-ups); run.yaml tells what the
 * machine was like. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "floors.h"
#include "neutral.h"
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
/* fmt with ap, allocated. */
static char *vfmt(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        s = cl_xstrdup(fmt); /* out of memory: keep the gist */
    return s;
}

static void warnf(char ***v, size_t *n, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vec_push(v, n, vfmt(fmt, ap));
    va_end(ap);
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

/* ---- what is wrong with the directory ------------------------------------------ */

/* A directory being loaded: the report so far, and every inconsistency found
 * ("FILE:LINE: cell 'X': why"), so the user reads them all at once. */
struct load {
    struct cl_run_report *r;
    char **prob;
    size_t n_prob;
    int complete;          /* run.yaml says state: complete */
    long cells;            /* run.yaml's cell count, -1 if none */
    char **splugins, **wplugins; /* the plugins run.yaml's spec names */
    size_t n_splugins, n_wplugins;
    int spec_known;        /* 1 when those lists were read */
    int exp_yaml;          /* r->experiment is run.yaml's */
};

static void problem(struct load *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void problem(struct load *L, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = vfmt(fmt, ap);
    va_end(ap);
    /* a name from the files goes on the terminal: no escape sequences */
    char *clean = cl_neutral_term(s);
    free(s);
    vec_push(&L->prob, &L->n_prob, clean);
}

/* err: every problem, one a line (as many as fit), the first first. */
static void problems_text(const struct load *L, char *err, size_t errlen)
{
    size_t len = (size_t)snprintf(err, errlen, "%s: inconsistent run directory "
                                  "(%zu problem%s):", L->r->dir, L->n_prob,
                                  L->n_prob == 1 ? "" : "s");
    for (size_t i = 0; i < L->n_prob && len < errlen; i++) {
        size_t room = errlen - len, need = strlen(L->prob[i]) + 3;
        if (need + 32 > room && i + 1 < L->n_prob) {
            snprintf(err + len, room, "\n  ... and %zu more", L->n_prob - i);
            return;
        }
        len += (size_t)snprintf(err + len, room, "\n  %s", L->prob[i]);
    }
}

static int in_list(char **v, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i], s) == 0)
            return 1;
    return 0;
}

/* Whether `label` is a variant of one of the names: NAME or NAME(...). */
static int label_of(char **names, size_t n, const char *label)
{
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(names[i]);
        if (strncmp(label, names[i], len) == 0 &&
            (label[len] == '\0' || label[len] == '('))
            return 1;
    }
    return 0;
}

/* Whether the strategy (workload: 1) of a row is one the spec names: by
 * its plugin's name, by an entry named by path (`plugin:`), or by the name
 * of its entry that heads its label (`NAME: { plugin: PATH }`). */
static int spec_names(char **names, size_t n, const struct cl_rep_cols *k,
                      const struct cl_csv_row *row, int workload)
{
    char plugin[128];
    return label_of(names, n, cl_row_label(k, row, workload)) ||
           in_list(names, n, cl_row_plugin(k, row, workload, plugin, sizeof plugin)) ||
           in_list(names, n, "plugin");
}

/* ---- run.yaml ------------------------------------------------------------------- */

/* A missing run.yaml is not an error (the facts stay unknown); one that is
 * there but is not YAML, or not a mapping, is. */
static void load_run_yaml(struct load *L)
{
    struct cl_run_report *r = L->r;
    struct cl_runinfo ri;
    char err[512];
    L->cells = -1;
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
        if (ri.has_floors) {
            r->floors = cl_xmalloc(sizeof *r->floors);
            *r->floors = ri.floors; /* keys are static: nothing borrowed */
        }
        L->complete = ri.state && strcmp(ri.state, "complete") == 0;
        L->cells = ri.cells;
        L->exp_yaml = ri.experiment != NULL;
        L->spec_known =
            cl_runyaml_spec_plugins(&ri, "strategies", &L->splugins, &L->n_splugins) == 0 &&
            cl_runyaml_spec_plugins(&ri, "workloads", &L->wplugins, &L->n_wplugins) == 0;
    } else if (errno != ENOENT) {
        problem(L, "%s", err);
    }
    cl_runinfo_free(&ri);
}

/* ---- results.csv and summary.csv ---------------------------------------------- */

/* The columns of a cell's identity beyond cl_rows_in.cols (strategy,
 * workload and their labels are there). */
struct cols {
    long experiment;
    long *scol; /* the strategy.* columns, aligned with r->scols */
    long *wcol; /* the workload.* columns, aligned with r->wcols */
};

/* The parameter columns "<prefix>NAME" of header h: their names (from
 * results.csv, read first, into *names) and where they are in h (*at). */
static void param_cols(const struct cl_csv_row *h, const char *prefix,
                       char ***names, size_t *n, long **at, int first)
{
    size_t len = strlen(prefix);
    if (first)
        for (size_t i = 0; i < h->n; i++)
            if (strncmp(h->f[i], prefix, len) == 0 && h->f[i][len] &&
                !in_list(*names, *n, h->f[i] + len))
                vec_push(names, n, cl_xstrdup(h->f[i] + len));
    *at = cl_xcalloc(*n ? *n : 1, sizeof **at);
    for (size_t i = 0; i < *n; i++) {
        char *name = cl_xasprintf("%s%s", prefix, (*names)[i]);
        (*at)[i] = cl_csv_col(h, name);
        free(name);
    }
}

/* The parameter columns are results.csv's (read first): every variant has
 * exactly r->n_scols (r->n_wcols) parameters, whatever summary.csv says. */
static void cols_find(struct cols *c, const struct cl_csv_row *h,
                      struct cl_run_report *r, int first)
{
    c->experiment = cl_csv_col(h, "experiment");
    param_cols(h, "strategy.", &r->scols, &r->n_scols, &c->scol, first);
    param_cols(h, "workload.", &r->wcols, &r->n_wcols, &c->wcol, first);
}

/* A variant read back: its label, and its strategy.* (workload.*) values
 * of the row that named it first. */
static struct cl_variant *variant_new(const char *label, char **names,
                                      size_t n, const long *col,
                                      const struct cl_csv_row *row)
{
    struct cl_variant *v = cl_xcalloc(1, sizeof *v);
    v->label = cl_xstrdup(label);
    v->n_params = n;
    v->params = cl_xcalloc(n ? n : 1, sizeof *v->params);
    for (size_t i = 0; i < n; i++) {
        v->params[i].name = names[i];
        v->params[i].value = cl_xstrdup(cl_csv_get(row, col[i]));
    }
    return v;
}

static void variants_free(struct cl_variant **v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t k = 0; k < v[i]->n_params; k++)
            free(v[i]->params[k].value);
        free(v[i]->params);
        free(v[i]->label);
        free(v[i]);
    }
    free(v);
}

/* The index of the variant labelled `label` in *v, added if new. */
static size_t variant_index(struct cl_variant ***v, size_t *n, const char *label,
                            char **names, size_t n_names, const long *col,
                            const struct cl_csv_row *row)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*v)[i]->label, label) == 0)
            return i;
    *v = cl_xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = variant_new(label, names, n_names, col, row);
    return *n - 1;
}

static struct cl_rcell *cell_find(struct cl_run_report *r, const char *name)
{
    for (size_t i = r->n_cells; i-- > 0;) /* rows come grouped: look back */
        if (strcmp(r->cells[i].cell.name, name) == 0)
            return &r->cells[i];
    return NULL;
}

/* The cell a row is about, added on first sight. */
static struct cl_rcell *cell_of(struct cl_run_report *r, const struct cols *c,
                                const struct cl_rep_cols *rc,
                                const struct cl_csv_row *row)
{
    const char *name = cl_csv_get(row, rc->cell);
    struct cl_rcell *cell = cell_find(r, name);
    if (cell)
        return cell;
    r->cells = cl_xrealloc(r->cells, (r->n_cells + 1) * sizeof *r->cells);
    cell = &r->cells[r->n_cells++];
    memset(cell, 0, sizeof *cell);
    cell->cell.index = r->n_cells - 1;
    cell->cell.name = cl_xstrdup(name);
    size_t s = variant_index(&r->strategies, &r->n_strategies,
                             cl_row_label(rc, row, 0), r->scols, r->n_scols,
                             c->scol, row);
    cell->cell.strategy = r->strategies[s];
    cell->workload_ix = variant_index(&r->workloads, &r->n_workloads,
                                      cl_row_label(rc, row, 1), r->wcols,
                                      r->n_wcols, c->wcol, row);
    cell->cell.workload = r->workloads[cell->workload_ix];
    char plugin[128];
    cell->plugin = cl_xstrdup(cl_row_plugin(rc, row, 0, plugin, sizeof plugin));
    cell->wplugin = cl_xstrdup(cl_row_plugin(rc, row, 1, plugin, sizeof plugin));
    cell->cell.speedup = cell->cell.speedup_lo = cell->cell.speedup_hi = NAN;
    cell->efficiency = cell->efficiency_lo = cell->efficiency_hi = NAN;
    cell->cpu_util = cell->cv = NAN;
    cell->startup = cell->span = cell->teardown = NAN;
    cell->sweep = NAN;
    if (!r->experiment && *cl_csv_get(row, c->experiment))
        r->experiment = cl_xstrdup(cl_csv_get(row, c->experiment));
    return cell;
}

static void set_detail(struct cl_rcell *cell, const char *detail)
{
    snprintf(cell->cell.detail, sizeof cell->cell.detail, "%s", detail);
}

/* A header without one of the columns the report needs. */
static int header_lacks(struct load *L, const char *file,
                        const struct cl_csv_row *h, const char *const *need)
{
    int lacks = 0;
    for (; *need; need++)
        if (cl_csv_col(h, *need) < 0) {
            problem(L, "%s:1: no '%s' column", file, *need);
            lacks = 1;
        }
    return lacks;
}

/* A whole number (digits only) of at most max_digits digits, or empty; with
 * 20 digits, no more than UINT64_MAX. */
static int whole_or_empty(const char *s, size_t max_digits)
{
    size_t n = strlen(s);
    for (const char *p = s; *p; p++)
        if (*p < '0' || *p > '9')
            return 0;
    return n < max_digits || (n == max_digits &&
                              (n < 20 || strcmp(s, "18446744073709551615") <= 0));
}

/* What every row of either file must be: as many fields as the header, a
 * cell name that is its strategy x its workload, the run's experiment, the
 * spec's plugins, numbers where numbers are due. */
static int row_ok(struct load *L, const struct cl_rows_in *ri,
                  const struct cols *c, const struct cl_csv_row *row)
{
    const char *file = ri->file, *name = cl_csv_get(row, ri->cols.cell);
    size_t n0 = L->n_prob;
    if (row->n != ri->hdr.n)
        problem(L, "%s:%zu: cell '%s': %zu fields, the header has %zu", file,
                row->line, name, row->n, ri->hdr.n);
    if (!*name) {
        problem(L, "%s:%zu: no cell name", file, row->line);
        return 0;
    }
    const struct cl_rep_cols *k = &ri->cols;
    const char *st = cl_row_label(k, row, 0), *wl = cl_row_label(k, row, 1);
    if (k->strategy >= 0 && k->workload >= 0) {
        char *want = cl_xasprintf("%s x %s", st, wl);
        if (strcmp(want, name) != 0)
            problem(L, "%s:%zu: cell '%s': strategy '%s' and workload '%s' make "
                    "cell '%s'", file, row->line, name, st, wl, want);
        free(want);
    }
    const char *ex = cl_csv_get(row, c->experiment);
    if (*ex && L->r->experiment && strcmp(ex, L->r->experiment) != 0)
        problem(L, "%s:%zu: cell '%s': experiment '%s', not '%s' (%s)", file,
                row->line, name, ex, L->r->experiment,
                L->exp_yaml ? "run.yaml's" : "the first row's");
    if (L->spec_known && k->strategy >= 0 && !spec_names(L->splugins, L->n_splugins, k, row, 0))
        problem(L, "%s:%zu: cell '%s': strategy '%s' is not one run.yaml's spec "
                "names", file, row->line, name, cl_csv_get(row, k->strategy));
    if (L->spec_known && k->workload >= 0 && !spec_names(L->wplugins, L->n_wplugins, k, row, 1))
        problem(L, "%s:%zu: cell '%s': workload '%s' is not one run.yaml's spec "
                "names", file, row->line, name, cl_csv_get(row, k->workload));
    const struct {
        const char *name;
        long col;
        int whole; /* 0: a number; else the most digits of a whole one */
    } nums[] = {
        {"repetition", k->repetition, 18}, {"tasks", k->tasks, 18},
        {"tasks_ok", k->tasks_ok, 18}, {"tasks_failed", k->tasks_failed, 18},
        {"tasks_missing", k->missing, 18}, {"tasks_duplicated", k->duplicated, 18},
        {"tasks_wrong", k->wrong, 18}, {"workers", k->workers, 18},
        {"max_rss_kib", k->max_rss, 18}, {"vol_ctxsw", k->vol_ctxsw, 18},
        {"invol_ctxsw", k->invol_ctxsw, 18}, {"wall_s", k->wall_s, 0},
        {"user_s", k->user_s, 0}, {"sys_s", k->sys_s, 0},
        {"throughput_per_s", k->throughput, 0}, {"lat_p50_s", k->lat_p50, 0},
        {"lat_p99_s", k->lat_p99, 0}, {"lat_max_s", k->lat_max, 0},
        {"seed", k->seed, 20}, {"startup_s", k->startup, 0},
        {"span_s", k->span, 0}, {"teardown_s", k->teardown, 0}};
    for (size_t i = 0; i < sizeof nums / sizeof *nums; i++) {
        const char *v = cl_csv_get(row, nums[i].col);
        if (nums[i].whole ? !whole_or_empty(v, (size_t)nums[i].whole)
                          : *v && !cl_neutral_is_number(v))
            problem(L, "%s:%zu: cell '%s': %s '%s' is not a %s", file, row->line,
                    name, nums[i].name, v, nums[i].whole ? "whole number" : "number");
    }
    return L->n_prob == n0;
}

static int load_results(struct load *L, char *err, size_t errlen)
{
    struct cl_run_report *r = L->r;
    struct cl_rows_in ri;
    int bad = cl_rows_open(&ri, r->dir, "results.csv", err, errlen) != 0;
    if (bad && errno == ENOENT)
        snprintf(err + strlen(err), errlen - strlen(err),
                 " (not a conlab run directory?)");
    else if ((bad && errno == EINVAL) || (!bad && ri.cols.wall_s < 0))
        snprintf(err, errlen, "%s/results.csv: no conlab header", r->dir);
    if (bad || ri.cols.wall_s < 0) {
        cl_rows_close(&ri);
        return -1;
    }
    static const char *const need[] = {"strategy", "workload", "repetition",
                                       "status", NULL};
    if (header_lacks(L, ri.file, &ri.hdr, need)) {
        cl_rows_close(&ri);
        return 0;
    }
    struct cols c;
    cols_find(&c, &ri.hdr, r, 1);
    struct cl_csv_row row;
    struct cl_rep_row rep;
    char why[512];
    int rc;
    /* a torn last row (a run killed mid-write) ends the reading quietly */
    while ((rc = cl_rows_next(&ri, &row, &rep, why, sizeof why)) > 0) {
        if (rc == 2)
            problem(L, "%s", why);
        if (!row_ok(L, &ri, &c, &row) || rc == 2) {
            cl_csv_row_free(&row);
            continue;
        }
        struct cl_rcell *cell = cell_of(r, &c, &ri.cols, &row);
        struct cl_cell *m = &cell->cell;
        for (size_t i = 0; i < m->n_rows; i++)
            if (m->rows[i].repetition == rep.repetition) {
                problem(L, "%s:%zu: cell '%s': repetition %d again", ri.file,
                        row.line, m->name, rep.repetition);
                break;
            }
        enum cl_status st = rep.status;
        if (rep.workers)
            m->workers = rep.workers;
        if (st > m->status || (st != CL_ST_OK && !*m->detail)) {
            if (st > m->status)
                m->status = st;
            set_detail(cell, rep.detail);
        }
        if (rep.repetition >= 1) {
            m->rows = cl_xrealloc(m->rows, (m->n_rows + 1) * sizeof *m->rows);
            m->rows[m->n_rows++] = rep;
        }
        cl_csv_row_free(&row);
    }
    free(c.scol);
    free(c.wcol);
    cl_rows_close(&ri);
    if (L->cells >= 0 && r->n_cells > (size_t)L->cells)
        problem(L, "%s/results.csv: %zu cells, run.yaml says the run has %ld",
                r->dir, r->n_cells, L->cells);
    return 0;
}

static void load_summary(struct load *L)
{
    struct cl_run_report *r = L->r;
    struct cl_rows_in ri;
    char why[512];
    if (cl_rows_open(&ri, r->dir, "summary.csv", why, sizeof why) != 0) {
        if (errno != ENOENT) /* else: no cell finished yet */
            problem(L, "%s", why);
        cl_rows_close(&ri);
        return;
    }
    static const char *const need[] = {"status", NULL};
    if (header_lacks(L, ri.file, &ri.hdr, need)) {
        cl_rows_close(&ri);
        return;
    }
    struct cols c;
    cols_find(&c, &ri.hdr, r, 0);
    long base = cl_csv_col(&ri.hdr, "baseline");
    r->baseline_known = base >= 0;
    struct cl_csv_row row;
    struct cl_rep_row rep;
    int rc;
    while ((rc = cl_rows_next(&ri, &row, &rep, why, sizeof why)) > 0) {
        if (rc == 2)
            problem(L, "%s", why);
        if (base >= 0 && !r->baseline && *cl_csv_get(&row, base))
            r->baseline = cl_xstrdup(cl_csv_get(&row, base));
        const char *name = cl_csv_get(&row, ri.cols.cell);
        struct cl_rcell *cell = NULL;
        if (row_ok(L, &ri, &c, &row) && rc == 1 && !(cell = cell_find(r, name)))
            problem(L, "%s:%zu: cell '%s': not in results.csv", ri.file, row.line,
                    name);
        else if (cell && cell->cell.done)
            problem(L, "%s:%zu: cell '%s': a second time", ri.file, row.line, name);
        if (cell) {
            cell->cell.done = 1;
            cell->cell.status = rep.status;
            set_detail(cell, rep.detail);
            if (rep.workers)
                cell->cell.workers = rep.workers;
        }
        cl_csv_row_free(&row);
    }
    if (rc < 0) /* summary.csv is only ever renamed into place: never torn */
        problem(L, "%s", why);
    free(c.scol);
    free(c.wcol);
    cl_rows_close(&ri);
    for (size_t i = 0; L->complete && i < r->n_cells; i++)
        if (!r->cells[i].cell.done)
            problem(L, "%s/summary.csv: cell '%s': in results.csv but not here, "
                    "and run.yaml says the run is complete", r->dir,
                    r->cells[i].cell.name);
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
                if (*c->cell.strategy->params[k].value && !isfinite(c->sweep))
                    c->sweep = cl_csv_num(c->cell.strategy->params[k].value);
                continue;
            }
            int varies = 0;
            for (size_t j = 0; j < r->n_cells && !varies; j++)
                varies = !strcmp(r->cells[j].plugin, c->plugin) &&
                         strcmp(r->cells[j].cell.strategy->params[k].value, c->cell.strategy->params[k].value) != 0;
            if (!varies || !*c->cell.strategy->params[k].value)
                continue;
            char *s = cl_xasprintf("%s%s%s=%s", series, added ? "," : "(",
                                   r->scols[k], c->cell.strategy->params[k].value);
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
        if (!isfinite(c->sweep) && strcmp(c->plugin, "sequential") == 0)
            c->sweep = 1;
    }
}

static void cell_figures(struct cl_rcell *c)
{
    struct cl_ok_stats s;
    cl_rows_summarize(c->cell.rows, c->cell.n_rows, &s);
    c->cell.wall = s.wall;
    c->n_ok = s.n_ok;
    c->tasks_failed = s.tasks_bad;
    c->cv = s.n_ok >= 2 && c->cell.wall.mean > 0 ? c->cell.wall.sd / c->cell.wall.mean : NAN;
    c->cpu_util = s.cpu_util;
    c->startup = s.startup_median;
    c->span = s.span_median;
    c->teardown = s.teardown_median;
}

/* The strategy variant speedups are against, when summary.csv did not say
 * (a run before its `baseline` column, or none finished): the first
 * `sequential` variant. */
static void default_baseline(struct cl_run_report *r)
{
    for (size_t i = 0; !r->baseline_known && !r->baseline && i < r->n_cells; i++)
        if (strcmp(r->cells[i].plugin, "sequential") == 0)
            r->baseline = cl_xstrdup(r->cells[i].cell.strategy->label);
}

/* The ok wall times of a cell, allocated; *n gets how many. */
static double *ok_walls(const struct cl_rcell *c, size_t *n)
{
    double *w = cl_xmalloc((c->cell.n_rows ? c->cell.n_rows : 1) * sizeof *w);
    *n = cl_cell_ok_walls(&c->cell, w);
    return w;
}

/* The fastest ok cell of workload w (lowest median) is marked only when the
 * runner-up is slower beyond doubt: the 95% bootstrap interval of runner-up
 * median / fastest median lies above 1.  Otherwise both are a tie. */
static void fastest(struct cl_run_report *r, size_t w)
{
    struct cl_rcell *best = NULL, *next = NULL;
    for (size_t i = 0; i < r->n_cells; i++) {
        struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w || c->n_ok == 0 || c->cell.status != CL_ST_OK)
            continue; /* a cell that failed is nobody's fastest */
        if (!best || c->cell.wall.median < best->cell.wall.median) {
            next = best;
            best = c;
        } else if (!next || c->cell.wall.median < next->cell.wall.median) {
            next = c;
        }
    }
    if (!next)
        return;
    size_t nb, nn;
    double *wb = ok_walls(best, &nb), *wn = ok_walls(next, &nn);
    struct cl_ratio q;
    cl_boot_median_ratio(wn, nn, wb, nb, CL_BOOT_RESAMPLES, CL_BOOT_SEED, &q);
    free(wb);
    free(wn);
    if (q.lo > 1) {
        best->fastest = 1;
        return;
    }
    best->tie = next->tie = 1;
    warnf(&best->warn, &best->n_warn, "ties with %s for fastest: its median "
          "is %.2fx this one's, 95%% interval %.2f-%.2f, which includes 1 "
          "(no fastest is named)", next->cell.strategy->label, q.est, q.lo, q.hi);
}

static void speedups(struct cl_run_report *r)
{
    const char *base = r->baseline;
    for (size_t w = 0; w < r->n_workloads; w++) {
        const struct cl_rcell *b = NULL;
        for (size_t i = 0; base && i < r->n_cells && !b; i++)
            if (r->cells[i].workload_ix == w &&
                strcmp(r->cells[i].cell.strategy->label, base) == 0)
                b = &r->cells[i];
        for (size_t i = 0; b && i < r->n_cells; i++) {
            struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w)
                continue;
            struct cl_ratio q = cl_cell_speedup(&b->cell, &c->cell);
            c->cell.speedup = q.est;
            c->cell.speedup_lo = q.lo;
            c->cell.speedup_hi = q.hi;
            if (c->cell.workers && isfinite(q.est)) {
                c->efficiency = q.est / c->cell.workers;
                c->efficiency_lo = q.lo / c->cell.workers;
                c->efficiency_hi = q.hi / c->cell.workers;
            }
        }
        fastest(r, w);
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
    if (!c->cell.done) {
        warnf(v, nv, "%s: %zu repetition%s measured so far",
              r->state && !strcmp(r->state, "running") ? "still running"
                                                        : "did not finish",
              c->cell.n_rows, c->cell.n_rows == 1 ? "" : "s");
    } else if (c->cell.status != CL_ST_OK) {
        warnf(v, nv, "%s%s%s", cl_status_name(c->cell.status), *c->cell.detail ? ": " : "",
              c->cell.detail);
    }
    size_t n = 0;
    double *w = cl_xmalloc((c->cell.n_rows ? c->cell.n_rows : 1) * sizeof *w);
    int *rep = cl_xmalloc((c->cell.n_rows ? c->cell.n_rows : 1) * sizeof *rep);
    for (size_t i = 0; i < c->cell.n_rows; i++)
        if (c->cell.rows[i].status == CL_ST_OK && isfinite(c->cell.rows[i].wall_s)) {
            w[n] = c->cell.rows[i].wall_s;
            rep[n++] = c->cell.rows[i].repetition;
        }
    if (n > 0 && c->cell.wall.mean < CL_WARN_SHORT_S)
        warnf(v, nv, "%s is too short to time well (under %g ms): starting "
              "workers and timer noise weigh as much as the work; give it more "
              "or longer tasks", cl_fmt_dur(c->cell.wall.mean, a, sizeof a),
              CL_WARN_SHORT_S * 1e3);
    if (n > 0 && c->startup > CL_WARN_STARTUP * c->cell.wall.median) {
        char b[32];
        warnf(v, nv, "start-up %s of %s (%.0f%%): the strategy spends that "
              "before the first task starts (starting workers: threads, "
              "processes, stacks, connections), so the wall time overstates "
              "its steady state", cl_fmt_dur(c->startup, a, sizeof a),
              cl_fmt_dur(c->cell.wall.median, b, sizeof b),
              100 * c->startup / c->cell.wall.median);
    }
    if (n > 0 && n < 3 && c->cell.done)
        warnf(v, nv, "only %zu ok repetition%s: too few to judge the spread "
              "(repeat: 5 or more)", n, n == 1 ? "" : "s");
    int slow = first_rep_slow(w, rep, n, v, nv);
    outliers(w, rep, n, slow, v, nv);
    char note[400];
    if (n > 0 && cl_floor_note(r->floors, c->plugin, c->cell.workload->label,
                               c->cell.workers, c->cell.rows[0].tasks,
                               c->cell.wall.median, note, sizeof note))
        warnf(v, nv, "%s", note);
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
    const char *base = r->baseline;
    for (size_t w = 0; w < r->n_workloads; w++) {
        int have = 0, data = 0;
        for (size_t i = 0; i < r->n_cells; i++)
            if (r->cells[i].workload_ix == w) {
                have |= base && r->cells[i].n_ok &&
                        !strcmp(r->cells[i].cell.strategy->label, base);
                data |= r->cells[i].n_ok > 0;
            }
        if (data && !have && base)
            warnf(v, nv, "no ok baseline cell (%s) for %s: no speedups there",
                  base, r->workloads[w]->label);
        else if (data && !have)
            warnf(v, nv, "no baseline for %s: no speedups there (add "
                  "'- sequential' to the strategies)", r->workloads[w]->label);
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
    struct load L = {.r = r};
    load_run_yaml(&L);
    int rc = load_results(&L, err, errlen);
    if (rc == 0)
        load_summary(&L);
    int e = errno;
    if (rc == 0 && L.n_prob) {
        problems_text(&L, err, errlen);
        e = EINVAL;
        rc = -1;
    }
    vec_free(L.prob, L.n_prob);
    vec_free(L.splugins, L.n_splugins);
    vec_free(L.wplugins, L.n_wplugins);
    if (rc != 0) {
        cl_report_free(r);
        errno = e;
        return -1;
    }
    make_series(r);
    default_baseline(r);
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
        free(c->cell.name);
        free(c->plugin);
        free(c->wplugin);
        free(c->series);
        free(c->cell.rows);
        vec_free(c->warn, c->n_warn);
    }
    free(r->cells);
    free(r->floors);
    variants_free(r->workloads, r->n_workloads);
    variants_free(r->strategies, r->n_strategies);
    vec_free(r->scols, r->n_scols);
    vec_free(r->wcols, r->n_wcols);
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
    free(r->baseline);
    free(r);
}


/* results.c — results.csv, summary.csv, tasks.csv, run.yaml, and the table.
 *
 * Nothing measured is lost: each repetition's row is written and flushed as
 * soon as it exists, results.csv is fsync'ed after every cell, and
 * summary.csv and run.yaml are replaced atomically (write, fsync, rename), so
 * a reader (or a crash) never sees half a file. */
#include "results.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "csv.h"
#include "job.h"
#include "neutral.h"
#include "util.h"

struct cl_results {
    char *dir;
    FILE *results;
    FILE *tasks;
    /* the parameter columns: union of every variant's parameters */
    size_t n_scols, n_wcols, n_ccols;
    const char **scols, **wcols;
    const char **ccols; /* counter names: the union of the strategies' */
    const struct cl_spec *spec;
    struct cl_rep_cols cols; /* where results.csv's columns are */
    int broken;              /* a write failed: nothing more is appended, so
                                a row cut short stays the last one */
};

static const char *const id_cols[] = {"experiment", "cell", "strategy", "workload",
                                      "strategy_label", "workload_label"};

static void add_col(const char ***cols, size_t *n, const char *name)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp((*cols)[i], name) == 0)
            return;
    *cols = cl_xrealloc(*cols, (*n + 1) * sizeof **cols);
    (*cols)[(*n)++] = name;
}

static const char *param_value(const struct cl_variant *v, const char *name)
{
    for (size_t i = 0; i < v->n_params; i++)
        if (strcmp(v->params[i].name, name) == 0)
            return v->params[i].value;
    return NULL;
}


/* The plugin's name of a variant ("threads"). */
static const char *plugin_name(const struct cl_variant *v, char *buf, size_t len)
{
    return v->plugin ? v->plugin->name : cl_label_plugin(v->label, buf, len);
}

static void write_id(FILE *f, const struct cl_spec *spec, const struct cl_cell *c)
{
    char b[128];
    cl_csv_field(f, spec->experiment, 1);
    cl_csv_field(f, c->name, 0);
    cl_csv_field(f, plugin_name(c->strategy, b, sizeof b), 0);
    cl_csv_field(f, plugin_name(c->workload, b, sizeof b), 0);
    cl_csv_field(f, c->strategy->label, 0);
    cl_csv_field(f, c->workload->label, 0);
}

/* The strategy's counter names (NULL-terminated), or NULL. */
static const char *const *counter_names(const struct cl_variant *v)
{
    const struct cl_plugin *p = v->plugin ? cl_plugin_of(v->plugin) : NULL;
    return p ? p->sops.counters : NULL;
}

/* Counter names as a row keeps them: the first CL_COUNTER_NAME - 1 bytes. */
static int same_counter(const char *a, const char *b)
{
    return strncmp(a, b, CL_COUNTER_NAME - 1) == 0;
}

/* The parameter columns: the union of every variant's parameters. */
static void find_param_cols(struct cl_results *r, const struct cl_spec *spec)
{
    r->spec = spec;
    for (size_t i = 0; i < spec->n_strategies; i++)
        for (size_t j = 0; j < spec->strategies[i].n_params; j++)
            add_col(&r->scols, &r->n_scols, spec->strategies[i].params[j].name);
    for (size_t i = 0; i < spec->n_workloads; i++)
        for (size_t j = 0; j < spec->workloads[i].n_params; j++)
            add_col(&r->wcols, &r->n_wcols, spec->workloads[i].params[j].name);
    for (size_t i = 0; i < spec->n_strategies; i++) {
        const char *const *names = counter_names(&spec->strategies[i]);
        for (size_t j = 0; names && names[j] && j < CL_MAX_COUNTERS; j++)
            add_col(&r->ccols, &r->n_ccols, names[j]);
    }
}

/* "counter.NAME" (prefix "counter.") or "counter_median.NAME" of counter
 * column i.  Owned by the caller. */
static char *counter_header(const struct cl_results *r, const char *prefix, size_t i)
{
    return cl_xasprintf("%s%.*s", prefix, CL_COUNTER_NAME - 1, r->ccols[i]);
}

/* The name of parameter column i ("strategy.workers", ..., "pinning" last,
 * i == n_scols + n_wcols).  Owned by the caller. */
static char *param_header(const struct cl_results *r, size_t i)
{
    if (i < r->n_scols)
        return cl_xasprintf("strategy.%s", r->scols[i]);
    if (i < r->n_scols + r->n_wcols)
        return cl_xasprintf("workload.%s", r->wcols[i - r->n_scols]);
    return cl_xstrdup("pinning");
}

static void write_params_header(FILE *f, const struct cl_results *r)
{
    for (size_t i = 0; i <= r->n_scols + r->n_wcols; i++) {
        char *h = param_header(r, i);
        cl_csv_field(f, h, 0);
        free(h);
    }
}

/* results.csv's columns, in order: id_cols, rep_cols, the parameters, the
 * counters (counter.NAME), then tail_cols. */
static const char *const rep_cols[] = {
    "repetition", "status", "seed", "tasks", "tasks_ok", "tasks_failed",
    "wall_s", "startup_s", "span_s", "teardown_s", "user_s", "sys_s", "throughput_per_s", "lat_p50_s", "lat_p99_s",
    "lat_max_s", "max_rss_kib", "vol_ctxsw", "invol_ctxsw"};
static const char *const tail_cols[] = {
    "workers", "tasks_missing", "tasks_duplicated", "tasks_wrong", "detail",
    "failure_reasons"};

static void push_field(struct cl_csv_row *row, char *s)
{
    row->f = cl_xrealloc(row->f, (row->n + 1) * sizeof *row->f);
    row->f[row->n++] = s;
}

static void header_row(const struct cl_results *r, struct cl_csv_row *out)
{
    memset(out, 0, sizeof *out);
    out->line = 1;
    for (size_t i = 0; i < sizeof id_cols / sizeof *id_cols; i++)
        push_field(out, cl_xstrdup(id_cols[i]));
    for (size_t i = 0; i < sizeof rep_cols / sizeof *rep_cols; i++)
        push_field(out, cl_xstrdup(rep_cols[i]));
    for (size_t i = 0; i <= r->n_scols + r->n_wcols; i++)
        push_field(out, param_header(r, i));
    for (size_t i = 0; i < r->n_ccols; i++)
        push_field(out, counter_header(r, "counter.", i));
    for (size_t i = 0; i < sizeof tail_cols / sizeof *tail_cols; i++)
        push_field(out, cl_xstrdup(tail_cols[i]));
}

void cl_results_header(const struct cl_spec *spec, struct cl_csv_row *out)
{
    struct cl_results r;
    memset(&r, 0, sizeof r);
    find_param_cols(&r, spec);
    header_row(&r, out);
    free(r.scols);
    free(r.wcols);
    free(r.ccols);
}

static void write_params(FILE *f, const struct cl_results *r, const struct cl_cell *c)
{
    char buf[512];
    for (size_t i = 0; i < r->n_scols; i++)
        cl_csv_field(f, param_value(c->strategy, r->scols[i]), 0);
    for (size_t i = 0; i < r->n_wcols; i++)
        cl_csv_field(f, param_value(c->workload, r->wcols[i]), 0);
    cl_csv_field(f, cl_pinning_text(&r->spec->pinning, buf, sizeof buf), 0);
}

static void write_rep(FILE *f, const struct cl_results *r,
                      const struct cl_cell *c, const struct cl_rep_row *row);

/* Does a cell named `name` keep a row of repetition `rep` (a string)? */
static int kept_rep(const struct cl_cell *cells, size_t n, const char *name,
                    const char *rep)
{
    char *end;
    long k = strtol(rep, &end, 10);
    if (end == rep || *end || k < 1 || k > INT_MAX)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (strcmp(cells[i].name, name) == 0)
            return cl_cell_rep(&cells[i], (int)k) != NULL;
    return 0;
}

/* tasks.csv on resume: keep the records of the repetitions results.csv
 * keeps (those of a repetition cut short go with it). */
static int carry_tasks(const char *path, const struct cl_cell *cells, size_t n,
                       FILE *out)
{
    struct cl_csv_in in;
    if (cl_csv_open(&in, path) != 0)
        return errno == ENOENT ? 0 : -1;
    struct cl_csv_row row;
    int first = 1;
    while (cl_csv_next(&in, &row) == 1) {
        if (!first && row.n >= 2 && kept_rep(cells, n, row.f[0], row.f[1]))
            cl_csv_write_row(out, &row);
        first = 0;
        cl_csv_row_free(&row);
    }
    cl_csv_close(&in);
    return 0;
}

/* Rename the file written through tmp (cl_atomic_open's f; NULL when that
 * failed) to path and reopen it for appending.  The appending FILE, or NULL
 * with "cannot write PATH: why" in err.  Frees path and tmp. */
static FILE *put_in_place(FILE *f, char *path, char *tmp, char *err, size_t errlen)
{
    FILE *a = NULL;
    if (f && cl_atomic_commit(f, path, tmp) == 0)
        a = fopen(path, "a");
    if (!a)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    if (!f)
        free(tmp);
    free(path);
    return a;
}

struct cl_results *cl_results_open(const char *dir, const struct cl_spec *spec,
                                   int record_tasks, const struct cl_cell *cells,
                                   size_t n_cells, char *err, size_t errlen)
{
    if (cl_mkdirs(dir) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
        return NULL;
    }
    struct cl_results *r = cl_xcalloc(1, sizeof *r);
    r->dir = cl_xstrdup(dir);
    find_param_cols(r, spec);
    struct cl_csv_row hdr;
    header_row(r, &hdr);
    cl_rep_cols_find(&r->cols, &hdr);

    /* results.csv: the header and the rows the cells keep (resume), put in
     * place atomically, then appended to. */
    char *path = cl_xasprintf("%s/results.csv", dir), *tmp;
    FILE *f = cl_atomic_open(path, &tmp);
    if (f) {
        cl_csv_write_row(f, &hdr);
        for (size_t i = 0; i < n_cells; i++)
            for (size_t j = 0; j < cells[i].n_rows; j++)
                write_rep(f, r, &cells[i], &cells[i].rows[j]);
    }
    cl_csv_row_free(&hdr);
    if (!(r->results = put_in_place(f, path, tmp, err, errlen))) {
        cl_results_close(r);
        return NULL;
    }

    if (record_tasks) {
        path = cl_xasprintf("%s/tasks.csv", dir);
        f = cl_atomic_open(path, &tmp);
        if (f) {
            fputs("cell,repetition,task,worker,cpu,start_s,end_s,status,reason,"
                  "value,bytes,code\n", f);
            if (carry_tasks(path, cells, n_cells, f) != 0) {
                fclose(f);
                unlink(tmp);
                free(tmp);
                f = NULL;
                tmp = NULL;
            }
        }
        if (!(r->tasks = put_in_place(f, path, tmp, err, errlen))) {
            cl_results_close(r);
            return NULL;
        }
    }
    return r;
}

const char *cl_results_dir(const struct cl_results *r)
{
    return r->dir;
}

static void write_rep(FILE *f, const struct cl_results *r,
                      const struct cl_cell *c, const struct cl_rep_row *row)
{
    write_id(f, r->spec, c);
    fprintf(f, ",%d,%s,", row->repetition, cl_status_name(row->status));
    if (row->seed_known)
        fprintf(f, "%llu", (unsigned long long)row->seed);
    cl_csv_u64(f, row->tasks);
    cl_csv_u64(f, row->tasks_ok);
    cl_csv_u64(f, row->tasks_failed);
    cl_csv_double(f, row->wall_s);
    cl_csv_double(f, row->startup_s);
    cl_csv_double(f, row->span_s);
    cl_csv_double(f, row->teardown_s);
    cl_csv_double(f, row->user_s);
    cl_csv_double(f, row->sys_s);
    cl_csv_double(f, row->throughput_per_s);
    cl_csv_double(f, row->lat_p50_s);
    cl_csv_double(f, row->lat_p99_s);
    cl_csv_double(f, row->lat_max_s);
    fprintf(f, ",%ld,%ld,%ld", row->max_rss_kib, row->vol_ctxsw, row->invol_ctxsw);
    write_params(f, r, c);
    for (size_t i = 0; i < r->n_ccols; i++) {
        fputc(',', f);
        for (size_t k = 0; k < row->n_counters; k++)
            if (same_counter(row->counters[k].name, r->ccols[i])) {
                fprintf(f, "%llu", (unsigned long long)row->counters[k].value);
                break;
            }
    }
    fprintf(f, ",%u", row->workers);
    cl_csv_u64(f, row->tasks_missing);
    cl_csv_u64(f, row->tasks_duplicated);
    cl_csv_u64(f, row->tasks_wrong);
    cl_csv_field(f, row->detail, 0);
    cl_csv_field(f, row->reasons, 0);
    fputc('\n', f);
}

int cl_results_rep(struct cl_results *r, const struct cl_cell *c,
                   struct cl_rep_row *row)
{
    if (r->broken)
        return -1;
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m)
        return -1;
    write_rep(m, r, c, row);
    if (fclose(m) != 0) {
        free(buf);
        return -1;
    }
    int rc = fwrite(buf, 1, len, r->results) == len && fflush(r->results) == 0 &&
                     !ferror(r->results) ? 0 : -1;
    int e = errno;
    r->broken = rc != 0;
    /* The run goes on with what the file says (numbers as written), so a
     * summary made now and one made again from results.csv are the same. */
    FILE *in = fmemopen(buf, len, "r");
    if (in) {
        struct cl_csv_in ci;
        struct cl_csv_row back;
        char why[160];
        cl_csv_from(&ci, in, "results.csv");
        if (cl_csv_next(&ci, &back) == 1) {
            (void)cl_rep_row_parse(&r->cols, &back, row, why, sizeof why);
            cl_csv_row_free(&back);
        }
        cl_csv_close(&ci);
        fclose(in);
    }
    free(buf);
    errno = e;
    return rc;
}

int cl_results_tasks(struct cl_results *r, const struct cl_cell *c,
                     int repetition, const struct cl_cellmem *m)
{
    if (!r->tasks)
        return 0;
    if (r->broken)
        return -1;
    FILE *f = r->tasks;
    uint64_t t0 = m->sh->wall_start_ns;
    for (uint64_t i = 0; i < m->n_tasks; i++) {
        const struct cl_record *rec = &m->rec[i];
        uint32_t state = atomic_load(&rec->state);
        cl_csv_field(f, c->name, 1);
        fprintf(f, ",%d,%llu", repetition, (unsigned long long)i);
        if (state == CL_REC_NEVER) {
            fputs(",,,,,missing,,,,\n", f);
            continue;
        }
        fprintf(f, ",%u,%d", rec->worker, rec->cpu);
        cl_csv_double(f, (double)((int64_t)(rec->start_ns - t0)) / 1e9);
        if (state == CL_REC_DONE)
            cl_csv_double(f, (double)((int64_t)(rec->end_ns - t0)) / 1e9);
        else
            fputc(',', f);
        const char *st = state != CL_REC_DONE ? "unfinished"
                         : rec->status == CONLAB_OK ? "ok" : "failed";
        fprintf(f, ",%s", st);
        cl_csv_field(f, rec->reason && rec->reason <= CL_MAX_REASONS
                            ? m->sh->reasons[rec->reason - 1] : "", 0);
        fprintf(f, ",%llu,%llu,%d\n", (unsigned long long)rec->value,
                (unsigned long long)rec->bytes, rec->code);
    }
    if (fflush(f) == 0 && !ferror(f))
        return 0;
    r->broken = 1;
    return -1;
}

/* ---- summary ------------------------------------------------------------------ */

int cl_results_cell_done(struct cl_results *r, struct cl_cell *cells, size_t n)
{
    if (fflush(r->results) != 0 || fsync(fileno(r->results)) != 0)
        return -1;
    if (r->tasks && (fflush(r->tasks) != 0 || fsync(fileno(r->tasks)) != 0))
        return -1;
    const struct cl_variant *base = cl_spec_baseline(r->spec);
    cl_cells_speedups(cells, n, base ? base->label : NULL);
    char *path = cl_xasprintf("%s/summary.csv", r->dir), *tmp;
    FILE *f = cl_atomic_open(path, &tmp);
    if (!f) {
        free(path);
        free(tmp);
        return -1;
    }
    for (size_t i = 0; i < sizeof id_cols / sizeof *id_cols; i++)
        cl_csv_field(f, id_cols[i], i == 0);
    fputs(",status,reps,workers,tasks,wall_mean_s,wall_sd_s,wall_median_s,"
          "wall_min_s,wall_max_s,wall_ci95_lo_s,wall_ci95_hi_s,speedup,"
          "speedup_ci95_lo,speedup_ci95_hi,baseline,startup_median_s,"
          "span_median_s,teardown_median_s,"
          "throughput_mean_per_s,lat_p50_median_s,lat_p99_median_s,"
          "user_mean_s,sys_mean_s,max_rss_max_kib", f);
    write_params_header(f, r);
    for (size_t i = 0; i < r->n_ccols; i++) {
        char *h = counter_header(r, "counter_median.", i);
        cl_csv_field(f, h, 0);
        free(h);
    }
    fputs(",detail\n", f);
    for (size_t i = 0; i < n; i++) {
        const struct cl_cell *c = &cells[i];
        if (!c->done)
            continue;
        write_id(f, r->spec, c);
        fprintf(f, ",%s,%zu,%u,%llu", cl_status_name(c->status), c->wall.n,
                c->workers, (unsigned long long)c->workload->tasks);
        cl_csv_double(f, c->wall.mean);
        cl_csv_double(f, c->wall.sd);
        cl_csv_double(f, c->wall.median);
        cl_csv_double(f, c->wall.min);
        cl_csv_double(f, c->wall.max);
        cl_csv_double(f, c->wall.ci95_lo);
        cl_csv_double(f, c->wall.ci95_hi);
        cl_csv_double(f, c->speedup);
        cl_csv_double(f, c->speedup_lo);
        cl_csv_double(f, c->speedup_hi);
        cl_csv_field(f, base ? base->label : "", 0);
        /* means / medians over the ok repetitions */
        struct cl_ok_stats ok;
        cl_rows_summarize(c->rows, c->n_rows, &ok);
        cl_csv_double(f, ok.startup_median);
        cl_csv_double(f, ok.span_median);
        cl_csv_double(f, ok.teardown_median);
        cl_csv_double(f, ok.throughput_mean);
        cl_csv_double(f, ok.lat_p50_median);
        cl_csv_double(f, ok.lat_p99_median);
        cl_csv_double(f, ok.user_mean);
        cl_csv_double(f, ok.sys_mean);
        fprintf(f, ",%ld", ok.max_rss_kib);
        write_params(f, r, c);
        for (size_t k = 0; k < r->n_ccols; k++) {
            char name[CL_COUNTER_NAME];
            snprintf(name, sizeof name, "%s", r->ccols[k]);
            cl_csv_double(f, cl_rows_counter_median(c->rows, c->n_rows, name));
        }
        cl_csv_field(f, c->detail, 0);
        fputc('\n', f);
    }
    int rc = cl_atomic_commit(f, path, tmp);
    free(path);
    return rc;
}

/* ---- run.yaml ----------------------------------------------------------------- */

int cl_results_meta(const char *dir, const struct cl_spec *spec,
                    const char *state, const struct cl_meta *meta)
{
    if (cl_runyaml_write(dir, spec, state, meta) != 0)
        return -1;
    /* the rename lives in the directory: make it last too */
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    int rc = fsync(fd);
    int e = errno;
    close(fd);
    errno = e;
    return rc;
}

void cl_results_close(struct cl_results *r)
{
    if (!r)
        return;
    if (r->results)
        fclose(r->results);
    if (r->tasks)
        fclose(r->tasks);
    free(r->scols);
    free(r->wcols);
    free(r->ccols);
    free(r->dir);
    free(r);
}

/* ---- the terminal table -------------------------------------------------------- */

void cl_print_summary(FILE *out, const struct cl_cell *cells, size_t n)
{
    /* labels and details come from specs and plugins: terminal-safe */
    char **shown = cl_xcalloc(n ? n : 1, sizeof *shown);
    size_t wname = 8;
    for (size_t i = 0; i < n; i++) {
        shown[i] = cl_neutral_term(cells[i].strategy->label);
        if (strlen(shown[i]) > wname)
            wname = strlen(shown[i]);
    }
    const struct cl_variant *cur = NULL;
    for (size_t i = 0; i < n; i++) {
        const struct cl_cell *c = &cells[i];
        if (!c->done)
            continue;
        if (c->workload != cur) {
            cur = c->workload;
            char *wl = cl_neutral_term(cur->label);
            fprintf(out, "\n%s\n  %-*s  %12s  %20s  %s\n", wl,
                    (int)wname, "strategy", "wall median", "speedup (95% CI)",
                    "status");
            free(wl);
        }
        char med[32], sp[64];
        cl_fmt_dur(c->wall.median, med, sizeof med);
        if (isfinite(c->speedup))
            snprintf(sp, sizeof sp, "%.2fx (%.2f-%.2f)", c->speedup,
                     c->speedup_lo, c->speedup_hi);
        else
            snprintf(sp, sizeof sp, "-");
        fprintf(out, "  %-*s  %12s  %20s  %s", (int)wname,
                shown[i], med, sp, cl_status_name(c->status));
        if (c->status != CL_ST_OK) {
            char *masked = cl_neutral_url(c->detail);
            char *detail = cl_neutral_term(masked);
            fprintf(out, " (%s)", detail);
            free(detail);
            free(masked);
        }
        fputc('\n', out);
    }
    fputc('\n', out);
    for (size_t i = 0; i < n; i++)
        free(shown[i]);
    free(shown);
}

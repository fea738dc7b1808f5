/* rundir.c — see rundir.h. */
#include "rundir.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "neutral.h"
#include "util.h"

static const char *const status_names[] = {
#define CL_STATUS_NAME(id, name) name,
    CL_STATUS_LIST(CL_STATUS_NAME)
#undef CL_STATUS_NAME
};

const char *cl_status_name(enum cl_status s)
{
    return (unsigned)s < CL_ST_COUNT_ ? status_names[s] : "?";
}

int cl_status_parse(const char *s, enum cl_status *out)
{
    for (unsigned st = 0; st < CL_ST_COUNT_; st++)
        if (strcmp(s, status_names[st]) == 0) {
            *out = (enum cl_status)st;
            return 0;
        }
    return -1;
}

/* ---- cells ---------------------------------------------------------------------- */

char *cl_cell_name(const struct cl_variant *s, const struct cl_variant *w)
{
    return cl_xasprintf("%s x %s", s->label, w->label);
}

struct cl_cell *cl_cells_make(const struct cl_spec *spec, unsigned shard,
                              unsigned shards, size_t *n)
{
    /* a spec made by hand, without pairs: every strategy x workload */
    size_t ns = spec->n_strategies;
    size_t n_all = spec->pairs ? spec->n_pairs : spec->n_workloads * ns;
    struct cl_cell *cells = cl_xcalloc(n_all ? n_all : 1, sizeof *cells);
    size_t n_cells = 0;
    for (size_t k = 0; k < n_all; k++) {
        if (shards && k % shards != shard - 1)
            continue;
        struct cl_cell *c = &cells[n_cells++];
        c->index = k; /* the place in the whole run, even in a shard */
        c->strategy = &spec->strategies[spec->pairs ? spec->pairs[k].strategy
                                                    : k % ns];
        c->workload = &spec->workloads[spec->pairs ? spec->pairs[k].workload
                                                   : k / ns];
        c->name = cl_cell_name(c->strategy, c->workload);
        c->speedup = c->speedup_lo = c->speedup_hi = NAN;
    }
    *n = n_cells;
    return cells;
}

void cl_cells_free(struct cl_cell *cells, size_t n)
{
    for (size_t i = 0; cells && i < n; i++) {
        free(cells[i].name);
        free(cells[i].rows);
    }
    free(cells);
}

struct cl_cell *cl_cell_find(struct cl_cell *cells, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cells[i].name, name) == 0)
            return &cells[i];
    return NULL;
}

/* ---- a cell's state ------------------------------------------------------------- */

int cl_status_ends_cell(enum cl_status s)
{
    return s >= CL_ST_ERROR && s < CL_ST_INTERRUPTED;
}

void cl_cell_add_row(struct cl_cell *c, const struct cl_rep_row *row)
{
    c->rows = cl_xrealloc(c->rows, (c->n_rows + 1) * sizeof *c->rows);
    c->rows[c->n_rows++] = *row;
    c->workers = row->workers;
    if (row->status > c->status) {
        c->status = row->status;
        snprintf(c->detail, sizeof c->detail, "%s%s",
                 row->repetition ? "" : "in warmup: ", row->detail);
    }
}

const struct cl_rep_row *cl_cell_rep(const struct cl_cell *c, int repetition)
{
    for (size_t i = 0; i < c->n_rows; i++)
        if (c->rows[i].repetition == repetition)
            return &c->rows[i];
    return NULL;
}

int cl_cell_finished(const struct cl_cell *c, int repeat)
{
    for (size_t i = 0; i < c->n_rows; i++)
        if (cl_status_ends_cell(c->rows[i].status))
            return 1;
    for (int rep = 1; rep <= repeat; rep++)
        if (!cl_cell_rep(c, rep))
            return 0;
    return 1;
}

/* ---- figures -------------------------------------------------------------------- */

void cl_rows_summarize(const struct cl_rep_row *rows, size_t n,
                       struct cl_ok_stats *o)
{
    memset(o, 0, sizeof *o);
    enum { WALL, P50, P99, STARTUP, SPAN, TEARDOWN, N_SERIES };
    double *v[N_SERIES];
    size_t nv[N_SERIES] = {0};
    for (int k = 0; k < N_SERIES; k++)
        v[k] = cl_xmalloc((n ? n : 1) * sizeof *v[k]);
    double tp = 0, us = 0, ss = 0, util = 0;
    size_t nu = 0;
    for (size_t i = 0; i < n; i++) {
        const struct cl_rep_row *r = &rows[i];
        if (r->max_rss_kib > o->max_rss_kib)
            o->max_rss_kib = r->max_rss_kib;
        o->tasks_bad += r->tasks_failed + r->tasks_missing + r->tasks_duplicated +
                        r->tasks_wrong;
        if (r->status != CL_ST_OK || !isfinite(r->wall_s))
            continue;
        const double x[N_SERIES] = {r->wall_s, r->lat_p50_s, r->lat_p99_s,
                                    r->startup_s, r->span_s, r->teardown_s};
        for (int k = 0; k < N_SERIES; k++)
            if (k <= P99 || isfinite(x[k])) /* the phases: where recorded */
                v[k][nv[k]++] = x[k];
        tp += r->throughput_per_s;
        us += r->user_s;
        ss += r->sys_s;
        if (r->wall_s > 0 && isfinite(r->user_s) && isfinite(r->sys_s)) {
            util += (r->user_s + r->sys_s) / r->wall_s;
            nu++;
        }
    }
    size_t k = nv[WALL];
    cl_summarize(v[WALL], k, &o->wall);
    o->n_ok = k;
    o->throughput_mean = k ? tp / (double)k : NAN;
    o->user_mean = k ? us / (double)k : NAN;
    o->sys_mean = k ? ss / (double)k : NAN;
    o->lat_p50_median = cl_median(v[P50], nv[P50]);
    o->lat_p99_median = cl_median(v[P99], nv[P99]);
    o->startup_median = cl_median(v[STARTUP], nv[STARTUP]);
    o->span_median = cl_median(v[SPAN], nv[SPAN]);
    o->teardown_median = cl_median(v[TEARDOWN], nv[TEARDOWN]);
    o->cpu_util = nu ? util / (double)nu : NAN;
    for (int j = 0; j < N_SERIES; j++)
        free(v[j]);
}

double cl_rows_counter_median(const struct cl_rep_row *rows, size_t n,
                              const char *name)
{
    double *v = cl_xmalloc((n ? n : 1) * sizeof *v);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (rows[i].status != CL_ST_OK)
            continue;
        for (size_t j = 0; j < rows[i].n_counters; j++)
            if (strcmp(rows[i].counters[j].name, name) == 0) {
                v[k++] = (double)rows[i].counters[j].value;
                break;
            }
    }
    double m = cl_median(v, k);
    free(v);
    return m;
}

void cl_cell_summarize(struct cl_cell *cell)
{
    struct cl_ok_stats s;
    cl_rows_summarize(cell->rows, cell->n_rows, &s);
    cell->wall = s.wall;
}

size_t cl_cell_ok_walls(const struct cl_cell *c, double *w)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n_rows; i++)
        if (c->rows[i].status == CL_ST_OK && isfinite(c->rows[i].wall_s))
            w[k++] = c->rows[i].wall_s;
    return k;
}

const char *cl_label_plugin(const char *label, char *buf, size_t len)
{
    snprintf(buf, len, "%.*s", (int)strcspn(label, "("), label);
    return buf;
}

/* ---- speedups ------------------------------------------------------------------- */

const struct cl_variant *cl_spec_baseline(const struct cl_spec *spec)
{
    if (spec->baseline == SIZE_MAX || spec->baseline >= spec->n_strategies)
        return NULL;
    return &spec->strategies[spec->baseline];
}

const struct cl_cell *cl_cell_baseline(const struct cl_cell *cells, size_t n,
                                       const struct cl_cell *c,
                                       const char *baseline)
{
    for (size_t j = 0; baseline && j < n; j++)
        if (cells[j].workload == c->workload &&
            strcmp(cells[j].strategy->label, baseline) == 0)
            return &cells[j];
    return NULL;
}

struct cl_ratio cl_cell_speedup(const struct cl_cell *base, const struct cl_cell *c)
{
    struct cl_ratio r = {NAN, NAN, NAN};
    if (!base)
        return r;
    double *wb = cl_xmalloc((base->n_rows ? base->n_rows : 1) * sizeof *wb);
    double *wc = cl_xmalloc((c->n_rows ? c->n_rows : 1) * sizeof *wc);
    size_t nb = cl_cell_ok_walls(base, wb), nc = cl_cell_ok_walls(c, wc);
    (void)cl_boot_median_ratio(wb, nb, wc, nc, CL_BOOT_RESAMPLES, CL_BOOT_SEED, &r);
    free(wb);
    free(wc);
    return r;
}

void cl_cells_speedups(struct cl_cell *cells, size_t n, const char *baseline)
{
    for (size_t i = 0; i < n; i++) {
        struct cl_ratio r =
            cl_cell_speedup(cl_cell_baseline(cells, n, &cells[i], baseline), &cells[i]);
        cells[i].speedup = r.est;
        cells[i].speedup_lo = r.lo;
        cells[i].speedup_hi = r.hi;
    }
}

void cl_spec_hash(const struct cl_spec *spec, char *buf, size_t len)
{
    char *text = cl_xstrdup(spec->text);
    for (size_t i = 0; i < spec->n_overrides; i++) { /* --set: part of it */
        /* ... but how many repetitions and warm-ups run is not what a
         * repetition is: `--resume DIR -r 10` may ask for more */
        if (!strncmp(spec->overrides[i], "repeat=", 7) ||
            !strncmp(spec->overrides[i], "warmup=", 7))
            continue;
        char *more = cl_xasprintf("%s\n--set %s", text, spec->overrides[i]);
        free(text);
        text = more;
    }
    char *masked = cl_neutral_url(text);
    free(text);
    char hex[CL_SHA256_HEX];
    cl_sha256_hex(masked, strlen(masked), hex);
    free(masked);
    snprintf(buf, len, "sha256:%s", hex);
}

int cl_spec_hash_matches(const struct cl_spec *spec, const char *recorded)
{
    char want[CL_SPEC_HASH_MAX];
    if (strncmp(recorded, "fnv1a64:", 8) == 0) {
        /* run.yaml of conlab before the SHA-256: FNV-1a of the text as read,
         * passwords and all (cl_fnv1a64 stays in util for this) */
        snprintf(want, sizeof want, "fnv1a64:%016" PRIx64,
                 cl_fnv1a64(spec->text, spec->text_len));
    } else {
        cl_spec_hash(spec, want, sizeof want);
    }
    return strcmp(recorded, want) == 0;
}

/* ---- results.csv rows ----------------------------------------------------------- */

void cl_rep_cols_find(struct cl_rep_cols *c, const struct cl_csv_row *h)
{
    c->cell = cl_csv_col(h, "cell");
    c->repetition = cl_csv_col(h, "repetition");
    c->status = cl_csv_col(h, "status");
    c->tasks = cl_csv_col(h, "tasks");
    c->tasks_ok = cl_csv_col(h, "tasks_ok");
    c->tasks_failed = cl_csv_col(h, "tasks_failed");
    c->wall_s = cl_csv_col(h, "wall_s");
    c->user_s = cl_csv_col(h, "user_s");
    c->sys_s = cl_csv_col(h, "sys_s");
    c->throughput = cl_csv_col(h, "throughput_per_s");
    c->lat_p50 = cl_csv_col(h, "lat_p50_s");
    c->lat_p99 = cl_csv_col(h, "lat_p99_s");
    c->lat_max = cl_csv_col(h, "lat_max_s");
    c->max_rss = cl_csv_col(h, "max_rss_kib");
    c->vol_ctxsw = cl_csv_col(h, "vol_ctxsw");
    c->invol_ctxsw = cl_csv_col(h, "invol_ctxsw");
    c->workers = cl_csv_col(h, "workers");
    c->missing = cl_csv_col(h, "tasks_missing");
    c->duplicated = cl_csv_col(h, "tasks_duplicated");
    c->wrong = cl_csv_col(h, "tasks_wrong");
    c->detail = cl_csv_col(h, "detail");
    c->reasons = cl_csv_col(h, "failure_reasons");
    c->seed = cl_csv_col(h, "seed");
    c->startup = cl_csv_col(h, "startup_s");
    c->span = cl_csv_col(h, "span_s");
    c->teardown = cl_csv_col(h, "teardown_s");
    c->strategy = cl_csv_col(h, "strategy");
    c->workload = cl_csv_col(h, "workload");
    c->strategy_label = cl_csv_col(h, "strategy_label");
    c->workload_label = cl_csv_col(h, "workload_label");
    c->n_counters = 0;
    for (size_t i = 0; i < h->n && c->n_counters < CL_COUNTER_COLS; i++)
        if (strncmp(h->f[i], "counter.", 8) == 0 && h->f[i][8]) {
            c->counter[c->n_counters] = (long)i;
            snprintf(c->counter_name[c->n_counters++], CL_COUNTER_NAME, "%s",
                     h->f[i] + 8);
        }
}

const char *cl_row_label(const struct cl_rep_cols *c, const struct cl_csv_row *row,
                         int workload)
{
    long lab = workload ? c->workload_label : c->strategy_label;
    return cl_csv_get(row, lab >= 0 ? lab : workload ? c->workload : c->strategy);
}

const char *cl_row_plugin(const struct cl_rep_cols *c, const struct cl_csv_row *row,
                          int workload, char *buf, size_t len)
{
    long lab = workload ? c->workload_label : c->strategy_label;
    const char *s = cl_csv_get(row, workload ? c->workload : c->strategy);
    if (lab >= 0) {
        snprintf(buf, len, "%s", s);
        return buf;
    }
    return cl_label_plugin(s, buf, len);
}

static uint64_t u64_at(const struct cl_csv_row *row, long col)
{
    return strtoull(cl_csv_get(row, col), NULL, 10);
}

static double num_at(const struct cl_csv_row *row, long col)
{
    return cl_csv_num(cl_csv_get(row, col));
}

int cl_rep_row_parse(const struct cl_rep_cols *c, const struct cl_csv_row *row,
                     struct cl_rep_row *r, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    int rc = 0;
    r->repetition = atoi(cl_csv_get(row, c->repetition));
    const char *st = cl_csv_get(row, c->status);
    if (cl_status_parse(st, &r->status) != 0) {
        r->status = CL_ST_ERROR;
        snprintf(err, errlen, "unknown status '%s'", st);
        rc = -1;
    }
    r->tasks = u64_at(row, c->tasks);
    r->tasks_ok = u64_at(row, c->tasks_ok);
    r->tasks_failed = u64_at(row, c->tasks_failed);
    r->wall_s = num_at(row, c->wall_s);
    r->user_s = num_at(row, c->user_s);
    r->sys_s = num_at(row, c->sys_s);
    r->throughput_per_s = num_at(row, c->throughput);
    r->lat_p50_s = num_at(row, c->lat_p50);
    r->lat_p99_s = num_at(row, c->lat_p99);
    r->lat_max_s = num_at(row, c->lat_max);
    r->max_rss_kib = atol(cl_csv_get(row, c->max_rss));
    r->vol_ctxsw = atol(cl_csv_get(row, c->vol_ctxsw));
    r->invol_ctxsw = atol(cl_csv_get(row, c->invol_ctxsw));
    r->workers = (unsigned)atoi(cl_csv_get(row, c->workers));
    r->tasks_missing = u64_at(row, c->missing);
    r->tasks_duplicated = u64_at(row, c->duplicated);
    r->tasks_wrong = u64_at(row, c->wrong);
    snprintf(r->detail, sizeof r->detail, "%s", cl_csv_get(row, c->detail));
    snprintf(r->reasons, sizeof r->reasons, "%s", cl_csv_get(row, c->reasons));
    const char *seed = cl_csv_get(row, c->seed);
    r->seed_known = *seed != '\0';
    r->seed = strtoull(seed, NULL, 10);
    r->startup_s = num_at(row, c->startup);
    r->span_s = num_at(row, c->span);
    r->teardown_s = num_at(row, c->teardown);
    for (size_t i = 0; i < c->n_counters && r->n_counters < CL_ROW_COUNTERS; i++) {
        const char *v = cl_csv_get(row, c->counter[i]);
        if (!*v)
            continue; /* not one of this row's strategy's counters */
        struct cl_counter *k = &r->counters[r->n_counters++];
        snprintf(k->name, sizeof k->name, "%s", c->counter_name[i]);
        k->value = strtoull(v, NULL, 10);
    }
    return rc;
}

/* ---- reading results.csv and summary.csv ------------------------------------- */

int cl_rows_open(struct cl_rows_in *ri, const char *dir, const char *file,
                 char *err, size_t errlen)
{
    memset(ri, 0, sizeof *ri);
    ri->file = cl_xasprintf("%s/%s", dir, file);
    if (cl_csv_open(&ri->in, ri->file) != 0) {
        int e = errno;
        snprintf(err, errlen, "%s: %s", ri->file, strerror(e));
        errno = e;
        return -1;
    }
    if (cl_csv_next(&ri->in, &ri->hdr) != 1 || cl_csv_col(&ri->hdr, "cell") < 0) {
        snprintf(err, errlen, "%s: no conlab header", ri->file);
        errno = EINVAL;
        return -1;
    }
    cl_rep_cols_find(&ri->cols, &ri->hdr);
    return 0;
}

int cl_rows_next(struct cl_rows_in *ri, struct cl_csv_row *row,
                 struct cl_rep_row *rep, char *err, size_t errlen)
{
    int rc = cl_csv_next(&ri->in, row);
    if (rc == 0)
        return 0;
    if (rc < 0) {
        snprintf(err, errlen, "%s:%zu: torn last record (a write cut short)",
                 ri->file, row->line);
        return -1;
    }
    char why[160];
    if (cl_rep_row_parse(&ri->cols, row, rep, why, sizeof why) != 0) {
        snprintf(err, errlen, "%s:%zu: cell '%s': %s", ri->file, row->line,
                 cl_csv_get(row, ri->cols.cell), why);
        return 2;
    }
    return 1;
}

void cl_rows_close(struct cl_rows_in *ri)
{
    cl_csv_row_free(&ri->hdr);
    cl_csv_close(&ri->in);
    free(ri->file);
    ri->file = NULL;
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

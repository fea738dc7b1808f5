/* resume.c — see resume.h.
 *
 * What is on disk after any interruption, even kill -9: run.yaml (written
 * and fsync'ed before the first cell), results.csv with whole rows up to
 * the last flush and maybe a torn last line, summary.csv as of some cell
 * (it is only ever renamed into place).  results.csv alone says what was
 * measured, so it alone decides: a file that does not read as this run's is
 * refused rather than taken for an empty one, and summary.csv, which only
 * repeats what results.csv says, is never trusted. */
#include "resume.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cellstate.h"
#include "neutral.h"
#include "results.h"
#include "runyaml.h"
#include "util.h"

/* How to start over, for the messages that refuse a directory. */
#define START_OVER "start over with `conlab run SPEC -o %s --force` (it moves " \
                   "what %s holds aside to %s.old-<time>/, deleting nothing)"

/* Refuse DIR without a run.yaml, or with one naming another spec (unless
 * force). */
static int check_spec(const char *dir, const struct cl_spec *spec, int force,
                      char *err, size_t errlen)
{
    char want[CL_SPEC_HASH_MAX], why[512];
    cl_spec_hash(spec, want, sizeof want);
    struct cl_runinfo ri;
    int rc = cl_runyaml_read(dir, &ri, why, sizeof why);
    int e = errno;
    if (rc != 0 && e == ENOENT) {
        snprintf(err, errlen, "cannot resume %s: it has no run.yaml.  A run "
                 "writes run.yaml before it measures anything, so nothing was "
                 "measured in %s (or it is not a conlab run directory); "
                 START_OVER, dir, dir, dir, dir, dir);
    } else if (rc != 0 || !ri.spec_hash) {
        snprintf(err, errlen, "cannot resume %s: %s: which spec made %s cannot "
                 "be told; " START_OVER, dir,
                 rc != 0 ? why : "run.yaml has no spec_hash", dir, dir, dir, dir);
        rc = -1;
    } else if (!cl_spec_hash_matches(spec, ri.spec_hash) && !force) {
        snprintf(err, errlen, "%s was made from a different spec (%s, now %s): "
                 "refusing to mix results; use --force to resume anyway",
                 dir, ri.spec_hash, want);
        rc = -1;
    }
    cl_runinfo_free(&ri);
    return rc;
}

/* Reading results.csv back. */
struct load {
    struct cl_rows_in ri;
    int force;
    size_t n_dropped;        /* rows dropped under --force */
    char *err;
    size_t errlen;
};

/* A row (or header) that is not this run's: refused, or with --force
 * dropped and said (the first few).  -1 when refused (err set), else 0. */
static int not_this_runs(struct load *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int not_this_runs(struct load *L, const char *fmt, ...)
{
    char what[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    if (!L->force) {
        snprintf(L->err, L->errlen, "%s: refusing to resume from a results.csv "
                 "that is not this run's (nothing changed; --force drops such "
                 "rows)", what);
        return -1;
    }
    if (L->n_dropped++ < 5)
        cl_log(CONLAB_LOG_WARN, NULL, "%s: dropped (--force)", what);
    return 0;
}

/* A string from the file, fit for a message: one line, no escapes. */
static char *shown(const char *s)
{
    char *t = cl_neutral_term(s);
    if (strlen(t) > 80)
        strcpy(t + 72, "...");
    return t;
}

int cl_resume_plugins(const char *dir, const struct cl_plugin_rec *v, size_t n,
                      int force, char *err, size_t errlen)
{
    char why[512];
    struct cl_runinfo ri;
    int rc = cl_runyaml_read(dir, &ri, why, sizeof why);
    if (rc != 0) { /* cl_resume_load says why */
        cl_runinfo_free(&ri);
        return 0;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        const char *was = cl_runyaml_plugin_sha256(&ri, v[i].kind, v[i].name);
        if (!was || strcmp(was, v[i].sha256) == 0)
            continue;
        char *old = shown(was);
        if (force) {
            cl_log(CONLAB_LOG_WARN, NULL, "%s plugin '%s' (%s) changed since "
                   "%s was made (sha256 %s, now %s): resuming anyway (--force)",
                   v[i].kind, v[i].name, v[i].path, dir, old, v[i].sha256);
        } else {
            snprintf(err, errlen, "%s plugin '%s' (%s) changed since %s was "
                     "made (sha256 %s, now %s): refusing to mix measurements "
                     "of two builds (nothing changed); use --force to resume "
                     "anyway", v[i].kind, v[i].name, v[i].path, dir, old,
                     v[i].sha256);
            rc = -1;
        }
        free(old);
    }
    cl_runinfo_free(&ri);
    return rc;
}

/* A column results.csv has had only since the tidy layout (plugin names
 * in strategy/workload, the labels in *_label, the seed, the phases, the
 * counters). */
static int tidy_only(const char *col)
{
    static const char *const added[] = {"strategy_label", "workload_label", "seed",
                                        "startup_s", "span_s", "teardown_s"};
    for (size_t i = 0; i < sizeof added / sizeof *added; i++)
        if (strcmp(col, added[i]) == 0)
            return 1;
    return strncmp(col, "counter.", 8) == 0;
}

/* 1 when got is want as written before the tidy layout: the same columns
 * in the same order, but those tidy_only. */
static int older_layout(const struct cl_csv_row *want, const struct cl_csv_row *got)
{
    size_t k = 0;
    for (size_t i = 0; i < want->n; i++) {
        if (tidy_only(want->f[i]))
            continue;
        if (k >= got->n || strcmp(want->f[i], got->f[k]) != 0)
            return 0;
        k++;
    }
    return k == got->n;
}

/* The header must be the one this spec writes, or the one it wrote before
 * the tidy layout (read by column name, rewritten in the new one); with
 * --force it must at least name the cell, repetition and status columns. */
static int check_header(struct load *L, const struct cl_spec *spec)
{
    struct cl_csv_row want;
    cl_results_header(spec, &want);
    const struct cl_csv_row *got = &L->ri.hdr;
    if (older_layout(&want, got)) {
        cl_csv_row_free(&want);
        return 0;
    }
    size_t k = 0;
    while (k < want.n && k < got->n && strcmp(want.f[k], got->f[k]) == 0)
        k++;
    int rc = 0;
    if (k < want.n || k < got->n) {
        char *g = shown(k < got->n ? got->f[k] : "(none)");
        const char *w = k < want.n ? want.f[k] : "(none)";
        if (L->force && L->ri.cols.repetition >= 0 && L->ri.cols.status >= 0) {
            cl_log(CONLAB_LOG_WARN, NULL, "%s:1: column %zu is '%s', this spec's "
                   "is '%s': reading its rows by column name (--force)",
                   L->ri.file, k + 1, g, w);
        } else {
            snprintf(L->err, L->errlen, "%s:1: not the header of this run's "
                     "results.csv (column %zu is '%s', this spec's is '%s'): "
                     "refusing to resume from it (nothing changed)",
                     L->ri.file, k + 1, g, w);
            rc = -1;
        }
        free(g);
    }
    cl_csv_row_free(&want);
    return rc;
}

/* One row of results.csv: onto its cell, or dropped.  0 or -1 (refused). */
static int take_row(struct load *L, const struct cl_spec *spec,
                    struct cl_cell *cells, size_t n_cells,
                    const struct cl_csv_row *row, const struct cl_rep_row *rep)
{
    const char *file = L->ri.file;
    size_t line = row->line;
    const char *name = cl_csv_get(row, L->ri.cols.cell);
    struct cl_cell *c = cl_cell_find(cells, n_cells, name);
    char *nm = shown(name);
    char why[256];
    int rc = 0;
    if (!c) {
        rc = not_this_runs(L, "%s:%zu: cell '%s' is not in this spec", file,
                           line, nm);
    } else if (cl_cell_take_row(c, rep, cl_csv_get(row, L->ri.cols.repetition),
                                spec->repeat, why, sizeof why) < 0) {
        rc = not_this_runs(L, "%s:%zu: cell '%s': %s", file, line, nm, why);
    }
    free(nm);
    return rc;
}

/* No results.csv: nothing measured yet, unless summary.csv says otherwise. */
static int no_results(const char *dir, int force, char *err, size_t errlen)
{
    char *summary = cl_xasprintf("%s/summary.csv", dir);
    int lost = access(summary, F_OK) == 0;
    free(summary);
    if (!lost || force)
        return 0;
    snprintf(err, errlen, "cannot resume %s: it has a summary.csv but no "
             "results.csv, the rows it was made from: refusing to measure "
             "again over it (nothing changed); --force resumes as if nothing "
             "was measured, or " START_OVER, dir, dir, dir, dir);
    return -1;
}

int cl_resume_load(const char *dir, const struct cl_spec *spec, int force,
                   struct cl_cell *cells, size_t n_cells, char *err,
                   size_t errlen)
{
    if (check_spec(dir, spec, force, err, errlen) != 0)
        return -1;

    struct load L = {.force = force, .err = err, .errlen = errlen};
    char why[1024];
    if (cl_rows_open(&L.ri, dir, "results.csv", why, sizeof why) != 0) {
        int e = errno;
        cl_rows_close(&L.ri);
        if (e == ENOENT)
            return no_results(dir, force, err, errlen);
        snprintf(err, errlen, "cannot resume from %s%s", why,
                 e == EINVAL ? ": refusing to take it for an empty one (nothing "
                               "changed)" : "");
        return -1;
    }
    int rc = check_header(&L, spec);

    /* A torn record is the end of a write cut short: at most a row long.
     * One that runs much longer (a quote opened early) hides rows. */
    long pos = ftell(L.ri.in.f), longest = 0;
    struct cl_csv_row row;
    struct cl_rep_row rep;
    int got;
    while (rc == 0 && (got = cl_rows_next(&L.ri, &row, &rep, why, sizeof why)) != 0) {
        long now = ftell(L.ri.in.f);
        if (got < 0) {
            if (now - pos > 2 * longest + 16384) {
                snprintf(err, errlen, "%s:%zu: a record left open from here to "
                         "the end of the file (%ld bytes), far longer than a "
                         "row: refusing to resume from it (nothing changed)",
                         L.ri.file, row.line, now - pos);
                rc = -1;
            } else {
                cl_log(CONLAB_LOG_WARN, NULL, "%s: dropped; that repetition "
                       "runs again", why);
            }
            break;
        }
        if (now - pos > longest)
            longest = now - pos;
        pos = now;
        if (got == 2)
            rc = not_this_runs(&L, "%s", why);
        else
            rc = take_row(&L, spec, cells, n_cells, &row, &rep);
        cl_csv_row_free(&row);
    }
    if (L.n_dropped > 5)
        cl_log(CONLAB_LOG_WARN, NULL, "%s: %zu more rows dropped (--force)",
               L.ri.file, L.n_dropped - 5);
    cl_rows_close(&L.ri);
    for (size_t i = 0; rc == 0 && i < n_cells; i++)
        cells[i].done = cl_cell_finished(&cells[i], spec->repeat);
    return rc;
}

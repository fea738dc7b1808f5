/* resume.c — see resume.h.
 *
 * What is on disk after any interruption, even kill -9: results.csv holds
 * whole rows up to the last flush (maybe a torn last line), summary.csv is
 * whole (it is only ever renamed into place) and names the cells that
 * finished.  So summary.csv decides which cells are done, and results.csv
 * gives their rows; everything else is run again. */
#include "resume.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void cl_csv_row_free(struct cl_csv_row *row)
{
    for (size_t i = 0; i < row->n; i++)
        free(row->f[i]);
    free(row->f);
    row->f = NULL;
    row->n = 0;
}

int cl_csv_read(FILE *f, struct cl_csv_row *row)
{
    memset(row, 0, sizeof *row);
    int c = getc(f);
    if (c == EOF)
        return 0;
    size_t cap = 0, len = 0;
    char *buf = NULL;
    int quoted = 0, in_quotes = 0;
    for (;; c = getc(f)) {
        if (c == EOF && (in_quotes || len || row->n)) {
            /* the record never got its newline: torn */
            free(buf);
            cl_csv_row_free(row);
            return -1;
        }
        if (len + 2 > cap) {
            cap = cap ? 2 * cap : 64;
            buf = cl_xrealloc(buf, cap);
        }
        if (in_quotes) {
            if (c == '"') {
                int d = getc(f);
                if (d == '"') {
                    buf[len++] = '"';
                    continue;
                }
                in_quotes = 0;
                if (d != EOF)
                    ungetc(d, f);
                continue;
            }
            buf[len++] = (char)c;
            continue;
        }
        if (c == '"' && len == 0 && !quoted) {
            in_quotes = quoted = 1;
            continue;
        }
        if (c == ',' || c == '\n' || c == '\r') {
            if (c == '\r') {
                int d = getc(f);
                if (d != '\n' && d != EOF)
                    ungetc(d, f);
                c = '\n';
            }
            buf[len] = '\0';
            row->f = cl_xrealloc(row->f, (row->n + 1) * sizeof *row->f);
            row->f[row->n++] = cl_xstrdup(buf);
            len = 0;
            quoted = 0;
            if (c == '\n')
                break;
            continue;
        }
        buf[len++] = (char)c;
    }
    free(buf);
    return 1;
}

long cl_csv_col(const struct cl_csv_row *hdr, const char *name)
{
    for (size_t i = 0; i < hdr->n; i++)
        if (strcmp(hdr->f[i], name) == 0)
            return (long)i;
    return -1;
}

const char *cl_csv_get(const struct cl_csv_row *r, long col)
{
    return col >= 0 && (size_t)col < r->n ? r->f[col] : "";
}

double cl_csv_num(const char *s)
{
    if (!*s)
        return NAN;
    char *end = NULL;
    double v = strtod(s, &end);
    return end && *end == '\0' ? v : NAN;
}

static enum cl_status status_of(const char *s)
{
    for (int st = CL_ST_OK; st <= CL_ST_SKIPPED; st++)
        if (strcmp(s, cl_status_name((enum cl_status)st)) == 0)
            return (enum cl_status)st;
    return CL_ST_ERROR;
}

/* The spec hash recorded in DIR/run.yaml, or NULL. */
static char *recorded_hash(const char *dir)
{
    char *path = cl_xasprintf("%s/run.yaml", dir);
    FILE *f = fopen(path, "r");
    free(path);
    if (!f)
        return NULL;
    char line[512], *hash = NULL;
    while (!hash && fgets(line, sizeof line, f))
        if (strncmp(line, "spec_hash: ", 11) == 0) {
            line[strcspn(line, "\r\n")] = '\0';
            hash = cl_xstrdup(line + 11);
        }
    fclose(f);
    return hash;
}

static struct cl_cell *cell_named(struct cl_cell *cells, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(cells[i].name, name) == 0)
            return &cells[i];
    return NULL;
}

static FILE *open_in(const char *dir, const char *file, char *err, size_t errlen)
{
    char *path = cl_xasprintf("%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        snprintf(err, errlen, "cannot resume from %s: %s", path, strerror(errno));
    free(path);
    return f;
}

int cl_resume_load(const char *dir, const struct cl_spec *spec, int force,
                   struct cl_cell *cells, size_t n_cells, char *err,
                   size_t errlen)
{
    char want[64];
    snprintf(want, sizeof want, "fnv1a64:%016" PRIx64,
             cl_fnv1a64(spec->text, spec->text_len));
    char *have = recorded_hash(dir);
    if (!have) {
        snprintf(err, errlen, "cannot resume from %s: no run.yaml with a "
                 "spec_hash (not a conlab run directory?)", dir);
        return -1;
    }
    if (strcmp(have, want) != 0 && !force) {
        snprintf(err, errlen, "%s was made from a different spec (%s, now %s): "
                 "refusing to mix results; use --force to resume anyway",
                 dir, have, want);
        free(have);
        return -1;
    }
    free(have);

    /* which cells finished */
    FILE *f = open_in(dir, "summary.csv", err, errlen);
    if (!f) {
        if (errno != ENOENT)
            return -1;
        return 0; /* killed before the first cell finished: nothing done */
    }
    struct cl_csv_row hdr, row;
    if (cl_csv_read(f, &hdr) != 1) {
        fclose(f);
        return 0;
    }
    long c_cell = cl_csv_col(&hdr, "cell"), c_status = cl_csv_col(&hdr, "status");
    long c_detail = cl_csv_col(&hdr, "detail");
    int rc;
    while ((rc = cl_csv_read(f, &row)) == 1) {
        struct cl_cell *c = cell_named(cells, n_cells, cl_csv_get(&row, c_cell));
        enum cl_status st = status_of(cl_csv_get(&row, c_status));
        if (c && st != CL_ST_INTERRUPTED) {
            c->done = 1;
            c->status = st;
            snprintf(c->detail, sizeof c->detail, "%s", cl_csv_get(&row, c_detail));
        }
        cl_csv_row_free(&row);
    }
    cl_csv_row_free(&hdr);
    fclose(f);

    /* their rows */
    f = open_in(dir, "results.csv", err, errlen);
    if (!f)
        return -1;
    if (cl_csv_read(f, &hdr) != 1) {
        fclose(f);
        snprintf(err, errlen, "cannot resume from %s: results.csv has no header", dir);
        return -1;
    }
    long col[21];
    static const char *const names[21] = {
        "cell", "repetition", "status", "tasks", "tasks_ok", "tasks_failed",
        "wall_s", "user_s", "sys_s", "throughput_per_s", "lat_p50_s",
        "lat_p99_s", "lat_max_s", "max_rss_kib", "vol_ctxsw", "invol_ctxsw",
        "workers", "tasks_missing", "tasks_duplicated", "tasks_wrong", "detail"};
    for (int i = 0; i < 21; i++)
        col[i] = cl_csv_col(&hdr, names[i]);
    long c_reasons = cl_csv_col(&hdr, "failure_reasons");
    while ((rc = cl_csv_read(f, &row)) == 1) {
        struct cl_cell *c = cell_named(cells, n_cells, cl_csv_get(&row, col[0]));
        if (c && c->done) {
            c->rows = cl_xrealloc(c->rows, (c->n_rows + 1) * sizeof *c->rows);
            struct cl_rep_row *r = &c->rows[c->n_rows++];
            memset(r, 0, sizeof *r);
            r->repetition = atoi(cl_csv_get(&row, col[1]));
            r->status = status_of(cl_csv_get(&row, col[2]));
            r->tasks = strtoull(cl_csv_get(&row, col[3]), NULL, 10);
            r->tasks_ok = strtoull(cl_csv_get(&row, col[4]), NULL, 10);
            r->tasks_failed = strtoull(cl_csv_get(&row, col[5]), NULL, 10);
            r->wall_s = cl_csv_num(cl_csv_get(&row, col[6]));
            r->user_s = cl_csv_num(cl_csv_get(&row, col[7]));
            r->sys_s = cl_csv_num(cl_csv_get(&row, col[8]));
            r->throughput_per_s = cl_csv_num(cl_csv_get(&row, col[9]));
            r->lat_p50_s = cl_csv_num(cl_csv_get(&row, col[10]));
            r->lat_p99_s = cl_csv_num(cl_csv_get(&row, col[11]));
            r->lat_max_s = cl_csv_num(cl_csv_get(&row, col[12]));
            r->max_rss_kib = atol(cl_csv_get(&row, col[13]));
            r->vol_ctxsw = atol(cl_csv_get(&row, col[14]));
            r->invol_ctxsw = atol(cl_csv_get(&row, col[15]));
            r->workers = (unsigned)atoi(cl_csv_get(&row, col[16]));
            r->tasks_missing = strtoull(cl_csv_get(&row, col[17]), NULL, 10);
            r->tasks_duplicated = strtoull(cl_csv_get(&row, col[18]), NULL, 10);
            r->tasks_wrong = strtoull(cl_csv_get(&row, col[19]), NULL, 10);
            snprintf(r->detail, sizeof r->detail, "%s", cl_csv_get(&row, col[20]));
            snprintf(r->reasons, sizeof r->reasons, "%s", cl_csv_get(&row, c_reasons));
            c->workers = r->workers;
        }
        cl_csv_row_free(&row);
    }
    /* rc == -1: a torn last line, from an unfinished cell: dropped */
    cl_csv_row_free(&hdr);
    fclose(f);
    return 0;
}

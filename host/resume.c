/* resume.c — see resume.h.
 *
 * What is on disk after any interruption, even kill -9: results.csv holds
 * whole rows up to the last flush (maybe a torn last line), summary.csv is
 * whole (it is only ever renamed into place) and names the cells that
 * finished.  So summary.csv decides which cells are done, and results.csv
 * gives their rows; everything else is run again. */
#include "resume.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "runyaml.h"
#include "util.h"

static int open_in(struct cl_csv_in *in, const char *dir, const char *file,
                   char *err, size_t errlen)
{
    char *path = cl_xasprintf("%s/%s", dir, file);
    int rc = cl_csv_open(in, path);
    if (rc != 0) {
        int e = errno;
        snprintf(err, errlen, "cannot resume from %s: %s", path, strerror(e));
        errno = e;
    }
    free(path);
    return rc;
}

/* Refuse DIR when its run.yaml names another spec (unless force). */
static int check_spec(const char *dir, const struct cl_spec *spec, int force,
                      char *err, size_t errlen)
{
    char want[64], why[512];
    cl_spec_hash(spec, want, sizeof want);
    struct cl_runinfo ri;
    int rc = cl_runyaml_read(dir, &ri, why, sizeof why);
    if (rc != 0 || !ri.spec_hash) {
        snprintf(err, errlen, "cannot resume from %s: no run.yaml with a "
                 "spec_hash (not a conlab run directory?)", dir);
        rc = -1;
    } else if (strcmp(ri.spec_hash, want) != 0 && !force) {
        snprintf(err, errlen, "%s was made from a different spec (%s, now %s): "
                 "refusing to mix results; use --force to resume anyway",
                 dir, ri.spec_hash, want);
        rc = -1;
    }
    cl_runinfo_free(&ri);
    return rc;
}

int cl_resume_load(const char *dir, const struct cl_spec *spec, int force,
                   struct cl_cell *cells, size_t n_cells, char *err,
                   size_t errlen)
{
    if (check_spec(dir, spec, force, err, errlen) != 0)
        return -1;

    /* which cells finished */
    struct cl_csv_in in;
    if (open_in(&in, dir, "summary.csv", err, errlen) != 0)
        return errno == ENOENT ? 0 : -1; /* ENOENT: killed before the first
                                            cell finished: nothing done */
    struct cl_csv_row hdr, row;
    if (cl_csv_next(&in, &hdr) != 1) {
        cl_csv_close(&in);
        return 0;
    }
    long c_cell = cl_csv_col(&hdr, "cell"), c_status = cl_csv_col(&hdr, "status");
    long c_detail = cl_csv_col(&hdr, "detail");
    while (cl_csv_next(&in, &row) == 1) {
        struct cl_cell *c = cl_cell_find(cells, n_cells, cl_csv_get(&row, c_cell));
        enum cl_status st = CL_ST_ERROR;
        cl_status_parse(cl_csv_get(&row, c_status), &st);
        if (c && st != CL_ST_INTERRUPTED) {
            c->done = 1;
            c->status = st;
            snprintf(c->detail, sizeof c->detail, "%s", cl_csv_get(&row, c_detail));
        }
        cl_csv_row_free(&row);
    }
    cl_csv_row_free(&hdr);
    cl_csv_close(&in);

    /* their rows */
    if (open_in(&in, dir, "results.csv", err, errlen) != 0)
        return -1;
    if (cl_csv_next(&in, &hdr) != 1) {
        cl_csv_close(&in);
        snprintf(err, errlen, "cannot resume from %s: results.csv has no header", dir);
        return -1;
    }
    struct cl_rep_cols cols;
    cl_rep_cols_find(&cols, &hdr);
    char why[128];
    while (cl_csv_next(&in, &row) == 1) {
        struct cl_cell *c = cl_cell_find(cells, n_cells, cl_csv_get(&row, cols.cell));
        if (c && c->done) {
            c->rows = cl_xrealloc(c->rows, (c->n_rows + 1) * sizeof *c->rows);
            struct cl_rep_row *r = &c->rows[c->n_rows++];
            cl_rep_row_parse(&cols, &row, r, why, sizeof why);
            c->workers = r->workers;
        }
        cl_csv_row_free(&row);
    }
    /* a torn last line, from an unfinished cell: dropped */
    cl_csv_row_free(&hdr);
    cl_csv_close(&in);
    return 0;
}

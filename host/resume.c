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

#include "runyaml.h"
#include "util.h"

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
    struct cl_rows_in ri;
    struct cl_csv_row row;
    struct cl_rep_row rep;
    char why[512];
    int rc;
    if (cl_rows_open(&ri, dir, "summary.csv", why, sizeof why) != 0) {
        int e = errno;
        cl_rows_close(&ri);
        if (e == ENOENT || e == EINVAL)
            return 0; /* killed before the first cell finished: nothing done */
        snprintf(err, errlen, "cannot resume from %s", why);
        return -1;
    }
    while ((rc = cl_rows_next(&ri, &row, &rep, why, sizeof why)) > 0) {
        struct cl_cell *c = cl_cell_find(cells, n_cells, cl_csv_get(&row, ri.cols.cell));
        if (c && rep.status != CL_ST_INTERRUPTED) {
            c->done = 1;
            c->status = rep.status;
            snprintf(c->detail, sizeof c->detail, "%s", rep.detail);
        }
        cl_csv_row_free(&row);
    }
    cl_rows_close(&ri);

    /* their rows */
    if (cl_rows_open(&ri, dir, "results.csv", why, sizeof why) != 0) {
        if (errno == EINVAL)
            snprintf(err, errlen, "cannot resume from %s: results.csv has no header", dir);
        else
            snprintf(err, errlen, "cannot resume from %s", why);
        cl_rows_close(&ri);
        return -1;
    }
    while ((rc = cl_rows_next(&ri, &row, &rep, why, sizeof why)) > 0) {
        struct cl_cell *c = cl_cell_find(cells, n_cells, cl_csv_get(&row, ri.cols.cell));
        if (c && c->done) {
            c->rows = cl_xrealloc(c->rows, (c->n_rows + 1) * sizeof *c->rows);
            c->rows[c->n_rows++] = rep;
            c->workers = rep.workers;
        }
        cl_csv_row_free(&row);
    }
    /* rc == -1: a torn last line, from an unfinished cell: dropped */
    cl_rows_close(&ri);
    return 0;
}

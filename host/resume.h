/* resume.h — picking up a run directory after an interruption or a crash.
 * Host-private. */
#ifndef CONLAB_HOST_RESUME_H
#define CONLAB_HOST_RESUME_H

#include <stddef.h>
#include <stdio.h>

#include "results.h"
#include "spec.h"

/* ---- a small RFC 4180 CSV reader -------------------------------------------- */

struct cl_csv_row {
    size_t n;
    char **f; /* fields, owned by the row */
};

/** Read one record (quoted fields may hold commas, quotes, newlines).
 *  Returns 1 with a row, 0 at end of file, -1 on a torn record (a quote left
 *  open at end of file, or a last line without its newline). */
int cl_csv_read(FILE *f, struct cl_csv_row *row);
void cl_csv_row_free(struct cl_csv_row *row);

/** Index of the column named `name` in a header row, or -1. */
long cl_csv_col(const struct cl_csv_row *hdr, const char *name);
/** Field `col` of a row; "" when the column is absent (col < 0) or short. */
const char *cl_csv_get(const struct cl_csv_row *row, long col);
/** A number field: NAN when empty or not wholly a number. */
double cl_csv_num(const char *s);

/* ---- resume ----------------------------------------------------------------- */

/** Read DIR (results.csv, summary.csv, run.yaml) back into `cells`: every
 *  cell that finished (a summary row whose status is not `interrupted`)
 *  gets its measured rows and is marked done.  Refuses (returns -1 with a
 *  message) when DIR was made from a different spec, unless `force`.
 *  Partial rows of unfinished cells are forgotten: the caller rewrites
 *  results.csv from the cells (cl_results_open with resume set). */
int cl_resume_load(const char *dir, const struct cl_spec *spec, int force,
                   struct cl_cell *cells, size_t n_cells, char *err,
                   size_t errlen);

#endif

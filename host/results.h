/* results.h — what a run writes: results.csv, summary.csv, tasks.csv,
 * run.yaml (through runyaml.h), and the table on the terminal.  The model
 * written (cells, repetitions, statuses) is rundir.h's.  Host-private. */
#ifndef CONLAB_HOST_RESULTS_H
#define CONLAB_HOST_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "rundir.h"
#include "runyaml.h"
#include "spec.h"

struct cl_cellmem;
struct cl_results; /* open output files */

/** Create DIR (and parents) and open results.csv (+ tasks.csv if asked).
 *  The rows the cells hold (a resume: cl_resume_load) are kept: results.csv
 *  is rewritten with them, and tasks.csv with the records of those
 *  repetitions, atomically, before new rows are appended.  NULL with a
 *  message in err. */
struct cl_results *cl_results_open(const char *dir, const struct cl_spec *spec,
                                   int record_tasks, const struct cl_cell *cells,
                                   size_t n_cells, char *err, size_t errlen);
const char *cl_results_dir(const struct cl_results *r);

/** The header of results.csv for `spec`, as a row (its fields owned by
 *  *out: cl_csv_row_free). */
void cl_results_header(const struct cl_spec *spec, struct cl_csv_row *out);
/** Append one repetition to results.csv; flushed at once.  *row is then
 *  what the file says (its numbers as written, 9 digits), so what is
 *  summarised now is what a resume reads back.  0, or -1 with errno: after
 *  a failed write nothing more is appended (here or to tasks.csv), so a
 *  row cut short is the file's last. */
int cl_results_rep(struct cl_results *r, const struct cl_cell *cell,
                   struct cl_rep_row *row);
/** Append one repetition's task records to tasks.csv (when enabled). */
int cl_results_tasks(struct cl_results *r, const struct cl_cell *cell,
                     int repetition, const struct cl_cellmem *m);
/** A cell is finished: fsync results, rewrite summary.csv atomically with
 *  every cell done so far (speedups filled in). */
int cl_results_cell_done(struct cl_results *r, struct cl_cell *cells,
                         size_t n_cells);
/** Write DIR/run.yaml atomically (cl_runyaml_write) and fsync DIR, so
 *  that it is on disk when this returns; `state` is "running", "complete",
 *  "interrupted", "failed" (results could not be written).  0, or -1 with
 *  errno. */
int cl_results_meta(const char *dir, const struct cl_spec *spec,
                    const char *state, const struct cl_meta *meta);
void cl_results_close(struct cl_results *r);

/** The short table printed after a run. */
void cl_print_summary(FILE *out, const struct cl_cell *cells, size_t n_cells);

#endif

/* resume.h — picking up a run directory after an interruption or a crash.
 * Host-private. */
#ifndef CONLAB_HOST_RESUME_H
#define CONLAB_HOST_RESUME_H

#include <stddef.h>

#include "rundir.h"
#include "spec.h"

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

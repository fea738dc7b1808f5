/* resume.h — picking up a run directory after an interruption or a crash.
 * Host-private.
 *
 * results.csv is the truth: every cell's state is rebuilt from its rows,
 * and summary.csv is never read (the run writes it again from the rows). */
#ifndef CONLAB_HOST_RESUME_H
#define CONLAB_HOST_RESUME_H

#include <stddef.h>

#include "pluginrec.h"
#include "rundir.h"
#include "spec.h"

/** Read DIR back into `cells` (made from `spec`, nothing done): each cell
 *  gets the rows results.csv holds for it (cl_cell_add_row: its status,
 *  detail and workers follow), and is marked done when they finish it
 *  (cl_cell_finished: all `repeat` measured repetitions, or one that ended
 *  it).  A cell with some of its repetitions keeps them and is not done:
 *  the run goes on with the missing ones.  Dropped, the repetition running
 *  again: `interrupted` rows, and a torn last record (a write cut short:
 *  said on stderr with its line).
 *
 *  Refused (-1, a message in err, nothing read into a cell is to be used,
 *  nothing written): DIR has no run.yaml (never started, or not a run
 *  directory: err says how to start over), or its run.yaml names another
 *  spec; results.csv is not this spec's (its header differs, a row has an
 *  unknown status, a record left open longer than a row, a repetition out
 *  of 0..repeat, twice, or after the one that ended its cell, a cell not in
 *  `cells`: "DIR/results.csv:LINE: cell 'X' is not in this spec");
 *  results.csv is missing but summary.csv is there.  With `force`, a
 *  changed spec is accepted, so is a header other than this spec's that
 *  has the cell, repetition and status columns, and such rows are dropped,
 *  said on stderr, instead.
 *  0 otherwise; a missing results.csv (next to no summary.csv) is a run
 *  that measured nothing yet. */
int cl_resume_load(const char *dir, const struct cl_spec *spec, int force,
                   struct cl_cell *cells, size_t n_cells, char *err,
                   size_t errlen);

/** Refuse (-1, a message in err naming the plugin, its file and the old
 *  and new SHA-256) to resume DIR when a plugin of `v` (the plugins the run
 *  uses now) is not the file DIR/run.yaml's `plugins:` recorded: a changed
 *  plugin would mix measurements of two builds.  With `force` it is
 *  accepted and said on stderr.  0 otherwise, also when run.yaml records
 *  no hash for a plugin (runs of older conlab). */
int cl_resume_plugins(const char *dir, const struct cl_plugin_rec *v, size_t n,
                      int force, char *err, size_t errlen);

#endif

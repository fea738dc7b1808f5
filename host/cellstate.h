/* cellstate.h — one results.csv row onto its cell: the one rule, shared by
 * `conlab run --resume` (resume.c) and the shard reader of `conlab status`
 * and `conlab merge` (shards.c), of which rows a cell takes and which are
 * not a run's.  Whether the rows finish the cell is cl_cell_finished
 * (rundir.h).  Host-private. */
#ifndef CONLAB_HOST_CELLSTATE_H
#define CONLAB_HOST_CELLSTATE_H

#include <stddef.h>

#include "rundir.h"

/** Put row (a repetition of cell, as results.csv has it; `repetition` its
 *  text there, for messages) onto cell, of a run of `repeat` measured
 *  repetitions.  1: taken (cl_cell_add_row).  0: not a result (interrupted,
 *  skipped: that repetition runs again), nothing changed.  -1: not one of
 *  such a run's rows, nothing changed, why in err ("repetition '7' with
 *  status ok is not one of this spec's (1..3, ...)", "repetition 1 is there
 *  twice", "a row after the one that ended the cell (timeout)"): a
 *  repetition out of 1..repeat (0 only for a warm-up that ended the cell),
 *  twice, or after a row that ended the cell. */
int cl_cell_take_row(struct cl_cell *cell, const struct cl_rep_row *row,
                     const char *repetition, int repeat, char *err,
                     size_t errlen);

#endif

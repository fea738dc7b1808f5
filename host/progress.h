/* progress.h — `conlab run`'s progress on stderr.  On a terminal: one line
 * redrawn in place (cells done, a bar, the cell and repetition running,
 * elapsed, an ETA from the mean cell time so far); cells that are not ok
 * leave a line of their own.  Otherwise: a line per cell with a dot per
 * repetition, for logs.  Off (--quiet): nothing.  Host-private. */
#ifndef CONLAB_HOST_PROGRESS_H
#define CONLAB_HOST_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

struct cl_cell;
struct cl_rep_row;

/** The display's state; the caller owns it (on the stack), nothing to free. */
struct cl_progress {
    int on, tty;
    size_t total, done;     /* cells to run in this invocation, run so far */
    int reps, rep;          /* repetitions per cell (warmup included), done */
    uint64_t t0_ns, cell_t0_ns;
    double cells_s;         /* time spent in the cells done */
    size_t pos, n_cells;    /* the running cell's place in the run */
    const struct cl_cell *cell; /* borrowed */
};

/** Start: `on` 0 shows nothing; the cells not yet done are the ones to run;
 *  `reps` repetitions per cell, warmup included. */
void cl_progress_start(struct cl_progress *p, int on,
                       const struct cl_cell *cells, size_t n_cells, int reps);
/** Cell cells[pos] starts. */
void cl_progress_cell(struct cl_progress *p, const struct cl_cell *c, size_t pos);
/** A repetition of the running cell is over. */
void cl_progress_rep(struct cl_progress *p, const struct cl_rep_row *row);
/** The running cell is over (c->status, c->detail, c->wall are final). */
void cl_progress_done(struct cl_progress *p, const struct cl_cell *c);
/** The run is over (or interrupted): the bar gives way to a last line. */
void cl_progress_end(struct cl_progress *p);

#endif

/* floors.h — when a cell measures the machine rather than the strategy:
 * its median wall time set against the floors `conlab run --calibrate`
 * recorded in run.yaml (calibrate.h).  Host-private. */
#ifndef CONLAB_HOST_FLOORS_H
#define CONLAB_HOST_FLOORS_H

#include <stddef.h>
#include <stdint.h>

#include "calibrate.h"

/* The share of a cell's median wall time the floors must reach for a note. */
#define CL_FLOOR_DOMINATES 0.5

/** Whether the machine's floors account for most of one repetition of a
 *  cell: starting its `workers` (thread create + join for the thread-based
 *  strategies: threads, gil, workstealing, openmp, tbb; fork + wait for
 *  processes), plus, for the sleep workload, the timer's overshoot on each
 *  sleep a worker takes in a row (ceil(tasks / workers) of them).
 *  `strategy` and `workload` are plugin names or cell labels (the name is
 *  what precedes '(').  A part under 5% of median_wall_s is left out.
 *  Returns 1 with a sentence in buf ("1,000 threads × 150 µs to create and
 *  join = 150 ms, 90% of this cell's median 166 ms: ...") when the sum of
 *  the parts reaches CL_FLOOR_DOMINATES of median_wall_s; 0 with
 *  buf "" otherwise, and when f is NULL, the floors needed were not
 *  measured, or median_wall_s is not a positive number. */
int cl_floor_note(const struct cl_floors *f, const char *strategy,
                  const char *workload, unsigned workers, uint64_t tasks,
                  double median_wall_s, char *buf, size_t len);

#endif

/* rep.h — one repetition of one cell, the unit `conlab run` repeats and
 * `conlab check` runs once: its child (placement, the workload, the timed
 * strategy run, in a process group of its own), the wait with the cell's
 * deadline and memory limit, and the verdict on what the child left in the
 * shared records.  Host-private. */
#ifndef CONLAB_HOST_REP_H
#define CONLAB_HOST_REP_H

#include <stddef.h>
#include <stdint.h>

struct cl_cell;
struct cl_cellmem;
struct cl_rep_row;
struct cl_spec;
struct cl_topo;
struct cl_variant;

/** Everything a repetition needs; all borrowed. */
struct cl_rep_ctx {
    const struct cl_spec *spec; /* timeout, memory limit, pinning, seed */
    const char *builtin_url;    /* the built-in server's URL, or NULL */
    const struct cl_topo *topo;
    const struct cl_cell *cell; /* its strategy and workload variants */
    struct cl_cellmem *mem;     /* mapped for the workload's tasks */
    uint64_t deadline_ns;       /* CLOCK_MONOTONIC: the cell's deadline */
};

/** Reset the records, fork the child, wait for it (cl_interrupts, see
 *  signals.h, stops the wait: catch the signals first), reap its group and
 *  judge: fills every field of *row but `repetition`.  Never fails: a
 *  repetition that could not run is a row with status CL_ST_ERROR. */
void cl_rep_run(const struct cl_rep_ctx *c, struct cl_rep_row *row);

/** Does workload variant w name a `builtin:` URL, so that its cells need
 *  the built-in server (serve.h)?  1 or 0. */
int cl_rep_needs_server(const struct cl_variant *w);

/** One repetition of the cell (strategies[strategy], workloads[workload]) of
 *  `spec`, outside a run (for `conlab check`): maps the records into *mem,
 *  runs it as cl_rep_run with the deadline spec->timeout_s from now, judges
 *  into *row.  The caller reads mem (records, counters) and releases it with
 *  cl_cellmem_unmap.  SIGINT/SIGTERM/SIGHUP kill the child while it runs
 *  (row->status CL_ST_INTERRUPTED) and are back to default on return.
 *  Returns 0, or -1 (row->detail says why; nothing to unmap). */
int cl_run_rep_once(const struct cl_spec *spec, size_t strategy,
                    size_t workload, const struct cl_topo *topo,
                    const char *builtin_url, struct cl_cellmem *mem,
                    struct cl_rep_row *row);

#endif

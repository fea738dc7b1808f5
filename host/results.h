/* results.h — what a run writes: results.csv, summary.csv, tasks.csv,
 * run.yaml, and the table on the terminal.  Host-private. */
#ifndef CONLAB_HOST_RESULTS_H
#define CONLAB_HOST_RESULTS_H

#include <stdint.h>
#include <stdio.h>

#include "job.h"
#include "spec.h"
#include "stats.h"

/* Cell and repetition statuses, worst last (a cell takes its worst). */
enum cl_status {
    CL_ST_OK = 0,
    CL_ST_FAILED,      /* some tasks failed (reasons counted) */
    CL_ST_WRONG,       /* exactly-once or value check failed */
    CL_ST_ERROR,       /* could not run: plugin create/plan failed */
    CL_ST_MEMORY,      /* passed the spec's memory limit (peak RSS) */
    CL_ST_TIMEOUT,
    CL_ST_CRASHED,     /* the cell's process died of a signal */
    CL_ST_INTERRUPTED, /* SIGINT/SIGTERM */
    CL_ST_SKIPPED      /* not run: an earlier repetition ended the cell */
};
const char *cl_status_name(enum cl_status s);

struct cl_rep_row {
    int repetition;          /* 1-based; warmups are not written */
    enum cl_status status;
    char detail[512];        /* why, when not ok */
    char reasons[1024];      /* "reason:count;reason:count" */
    unsigned workers;
    uint64_t tasks, tasks_ok, tasks_failed, tasks_missing, tasks_duplicated,
        tasks_wrong;
    double wall_s, user_s, sys_s, throughput_per_s;
    double lat_p50_s, lat_p99_s, lat_max_s;
    long max_rss_kib, vol_ctxsw, invol_ctxsw;
};

struct cl_cell {
    size_t index;            /* 0-based, run order */
    char *name;              /* "threads(workers=2) x sleep(tasks=20)" */
    const struct cl_variant *strategy, *workload;
    enum cl_status status;   /* worst of its repetitions */
    char detail[640];        /* a row's detail, maybe prefixed "in warmup: " */
    unsigned workers;
    size_t n_rows;
    struct cl_rep_row *rows; /* measured repetitions */
    struct cl_summary wall;  /* over ok repetitions */
    double speedup;          /* NAN when no sequential cell to compare */
    int done;
};

struct cl_results; /* open output files */

/** Create DIR (and parents) and open results.csv (+ tasks.csv if asked).
 *  Cells marked done (a resume) keep their rows: the files are rewritten
 *  with them, atomically, before new rows are appended.  NULL with a
 *  message in err. */
struct cl_results *cl_results_open(const char *dir, const struct cl_spec *spec,
                                   int record_tasks, const struct cl_cell *cells,
                                   size_t n_cells, char *err, size_t errlen);
const char *cl_results_dir(const struct cl_results *r);

/** Append one measured repetition to results.csv; flushed at once. */
int cl_results_rep(struct cl_results *r, const struct cl_cell *cell,
                   const struct cl_rep_row *row);
/** Append one repetition's task records to tasks.csv (when enabled). */
int cl_results_tasks(struct cl_results *r, const struct cl_cell *cell,
                     int repetition, const struct cl_cellmem *m);
/** A cell is finished: fsync results, rewrite summary.csv atomically with
 *  every cell done so far (speedups filled in). */
int cl_results_cell_done(struct cl_results *r, struct cl_cell *cells,
                         size_t n_cells);
struct cl_host_facts;

/* What run.yaml says besides the spec. */
struct cl_meta {
    int argc;
    char **argv;           /* the command line */
    double started, finished; /* wall clock; finished 0 while running */
    size_t n_cells;        /* cells in this run (this shard) */
    const char *topology;  /* cl_topo_summary() */
    unsigned shard, shards; /* --shard I/N, or 0/0 */
    const struct cl_host_facts *facts; /* load, governor, VM; may be NULL */
    int pinning_possible;  /* 1, 0, or -1 (pinning none: not asked) */
    const char *pinning_note;
};

/** Write run.yaml atomically; `state` is "running", "complete",
 *  "interrupted". */
int cl_results_meta(struct cl_results *r, const struct cl_spec *spec,
                    const char *state, const struct cl_meta *meta);
void cl_results_close(struct cl_results *r);

/** Fill in speedups against the `sequential` cell of the same workload. */
void cl_cells_speedups(struct cl_cell *cells, size_t n_cells);

/** The short table printed after a run. */
void cl_print_summary(FILE *out, const struct cl_cell *cells, size_t n_cells);

/** CSV field writer (RFC 4180 quoting when needed). */
void cl_csv_field(FILE *f, const char *s, int first);

#endif

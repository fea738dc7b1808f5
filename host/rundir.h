/* rundir.h — the in-memory model of a run directory, shared by everything
 * that writes or reads one (run, resume, merge, report, plot, compare,
 * slurm): statuses, a measured repetition (one results.csv row), a cell with
 * its repetitions, the summary of its ok repetitions, speedups, the spec
 * hash, and the one reader of results.csv and summary.csv rows.  Around it:
 * csv.h (the CSV format), results.h (the writers), runyaml.h (run.yaml),
 * resume.h, report.h and shards.h (what is read back).  Host-private. */
#ifndef CONLAB_HOST_RUNDIR_H
#define CONLAB_HOST_RUNDIR_H

#include <stddef.h>
#include <stdint.h>

#include "csv.h"
#include "spec.h"
#include "stats.h"

/* Cell and repetition statuses, worst last (a cell takes its worst):
 * X(enum suffix, name written in the files). */
#define CL_STATUS_LIST(X)                                                     \
    X(OK, "ok")                                                               \
    X(FAILED, "failed")           /* some tasks failed (reasons counted) */   \
    X(WRONG, "wrong")             /* exactly-once or value check failed */    \
    X(ERROR, "error")             /* could not run: create/plan failed */     \
    X(MEMORY, "memory")           /* passed the spec's memory limit */        \
    X(TIMEOUT, "timeout")                                                     \
    X(CRASHED, "crashed")         /* the cell's process died of a signal */   \
    X(INTERRUPTED, "interrupted") /* SIGINT/SIGTERM */                        \
    X(SKIPPED, "skipped")         /* not run: an earlier repetition ended it */

enum cl_status {
#define CL_STATUS_ENUM(id, name) CL_ST_##id,
    CL_STATUS_LIST(CL_STATUS_ENUM)
#undef CL_STATUS_ENUM
    CL_ST_COUNT_ /* never a status */
};

/** The status's name in the files ("ok", "timeout"); "?" if out of range.
 *  Static storage. */
const char *cl_status_name(enum cl_status s);
/** The status named s; 0 and *out, or -1 (unknown name, *out untouched). */
int cl_status_parse(const char *s, enum cl_status *out);

/* A strategy counter of a repetition (job->count, ABI 1.1): its name in
 * the strategy's `counters` (at most CL_COUNTER_NAME - 1 bytes kept) and
 * its total.  A row holds those of its strategy, up to CL_ROW_COUNTERS. */
#define CL_ROW_COUNTERS 16
#define CL_COUNTER_NAME 64
struct cl_counter {
    char name[CL_COUNTER_NAME];
    uint64_t value;
};

/* One measured repetition: a row of results.csv. */
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
    uint64_t seed;           /* the workload's seed (cl_seed_for), when seed_known */
    int seed_known;          /* 0: a row of a run before the seed column */
    /* wall_s in phases (NAN when no task ran, or not recorded): strategy
     * run() entered -> first task started -> last task ended -> run()
     * returned */
    double startup_s, span_s, teardown_s;
    size_t n_counters;
    struct cl_counter counters[CL_ROW_COUNTERS];
};

/* One cell of a run: a strategy variant x a workload variant. */
struct cl_cell {
    size_t index;            /* 0-based, run order */
    char *name;              /* "threads(workers=2) x sleep(tasks=20)" */
    const struct cl_variant *strategy, *workload;
    enum cl_status status;   /* worst of its repetitions */
    char detail[640];        /* a row's detail, maybe prefixed "in warmup: " */
    unsigned workers;
    size_t n_rows;
    struct cl_rep_row *rows; /* measured repetitions */
    struct cl_summary wall;  /* over ok repetitions (cl_cell_summarize) */
    /* baseline's median ok wall / this cell's, with its 95% bootstrap
     * interval (cl_cell_speedup); NAN when there is no baseline to compare */
    double speedup, speedup_lo, speedup_hi;
    int done;
};

/** The spec's cells in run order (spec->pairs: workload-major per block), named "STRATEGY x
 *  WORKLOAD", nothing done; with shards (1-based shard of `shards`, 0/0:
 *  all) only every shards-th, .index keeping the place in the whole run.
 *  Owned by the caller: cl_cells_free. */
struct cl_cell *cl_cells_make(const struct cl_spec *spec, unsigned shard,
                              unsigned shards, size_t *n);
/** "STRATEGY x WORKLOAD": a cell's name.  Owned by the caller. */
char *cl_cell_name(const struct cl_variant *strategy,
                   const struct cl_variant *workload);
/** Free the names and rows, then the array. */
void cl_cells_free(struct cl_cell *cells, size_t n);
/** The cell named `name`, or NULL. */
struct cl_cell *cl_cell_find(struct cl_cell *cells, size_t n, const char *name);

/* ---- a cell's state, from its rows ---------------------------------------------
 * results.csv is the truth: what a cell has done is what its rows say, in a
 * run and when a run is resumed alike. */

/** 1 when a repetition of status s ends its cell unfinished (error, memory,
 *  timeout, crashed): nothing more of the cell is run, and the cell counts
 *  as finished.  0 otherwise (ok, failed, wrong: a measured repetition;
 *  interrupted, skipped: no result at all). */
int cl_status_ends_cell(enum cl_status s);
/** Append a copy of *row to cell->rows (grown; freed by cl_cells_free).  The
 *  cell takes the row's workers, and its status and detail when the row's
 *  status is worse than the cell's (the detail of a repetition 0, a
 *  warm-up, prefixed "in warmup: "). */
void cl_cell_add_row(struct cl_cell *cell, const struct cl_rep_row *row);
/** The cell's row of repetition `repetition` (0: a warm-up that ended it),
 *  or NULL.  Borrowed from the cell. */
const struct cl_rep_row *cl_cell_rep(const struct cl_cell *cell, int repetition);
/** 1 when the cell's rows finish it: a row for every measured repetition
 *  1..repeat, or a row that ended it (cl_status_ends_cell). */
int cl_cell_finished(const struct cl_cell *cell, int repeat);

/* What the ok repetitions of a cell say (summary.csv and the report). */
struct cl_ok_stats {
    size_t n_ok;             /* ok repetitions with a wall time */
    struct cl_summary wall;  /* their wall times */
    double throughput_mean, user_mean, sys_mean; /* NAN when n_ok == 0 */
    double lat_p50_median, lat_p99_median;
    double cpu_util;         /* mean of (user + sys) / wall; NAN if none */
    double startup_median, span_median, teardown_median; /* NAN if none */
    long max_rss_kib;        /* the largest of every repetition */
    uint64_t tasks_bad;      /* failed + missing + duplicated + wrong, all */
};

/** The one summariser of ok repetitions. */
void cl_rows_summarize(const struct cl_rep_row *rows, size_t n,
                       struct cl_ok_stats *out);
/** cell->wall from its ok repetitions. */
void cl_cell_summarize(struct cl_cell *cell);

/** The name of a plugin from a variant label of the layout before the
 *  `strategy_label` column: "threads" of "threads(workers=2)".  Into buf;
 *  returns buf. */
const char *cl_label_plugin(const char *label, char *buf, size_t len);
/** The median of a counter over the ok repetitions of rows[0..n-1] that
 *  have it; NAN when none has. */
double cl_rows_counter_median(const struct cl_rep_row *rows, size_t n,
                              const char *name);
/** The ok wall times of a cell's repetitions into w (room for n_rows);
 *  returns how many. */
size_t cl_cell_ok_walls(const struct cl_cell *c, double *w);

/* ---- speedups ----------------------------------------------------------------
 * A cell's speedup is against the baseline cell of its workload variant:
 * the cell whose strategy variant is labelled as the run's baseline (the
 * label is what summary.csv's `baseline` column records, so a run read back
 * without plugins finds the same cell). */

/** The strategy variant speedups of spec's cells are computed against: the
 *  spec's `baseline:` (default: the first `sequential` variant, else the
 *  first strategy; see spec->baseline); NULL when there is none.  Borrowed
 *  from spec. */
const struct cl_variant *cl_spec_baseline(const struct cl_spec *spec);
/** The baseline cell of c: the cell of c's workload variant (the same
 *  pointer) whose strategy is labelled `baseline`; NULL when there is none
 *  or baseline is NULL.  Borrowed from cells. */
const struct cl_cell *cl_cell_baseline(const struct cl_cell *cells, size_t n,
                                       const struct cl_cell *c,
                                       const char *baseline);
/** The speedup of c against base, its baseline cell: base's median ok wall
 *  time / c's, with the 95% interval of cl_boot_median_ratio (CL_BOOT_*);
 *  all NAN when base is NULL or either has no ok repetition. */
struct cl_ratio cl_cell_speedup(const struct cl_cell *base, const struct cl_cell *c);
/** Fill in every cell's speedup (and interval) against the baseline cell
 *  of its workload (cl_cell_baseline with `baseline`, a strategy label;
 *  NULL: none, every speedup NAN). */
void cl_cells_speedups(struct cl_cell *cells, size_t n_cells, const char *baseline);

/* Room for cl_spec_hash's text. */
#define CL_SPEC_HASH_MAX 80
/** "sha256:<64 hex>": the hash run.yaml records of the spec text and its
 *  --set overrides (but repeat= and warmup=, which a resume may change),
 *  with the password of every URL in it masked (cl_neutral_url), so the
 *  hash tells nothing the recorded text does not.  Into buf
 *  (CL_SPEC_HASH_MAX). */
void cl_spec_hash(const struct cl_spec *spec, char *buf, size_t len);
/** 1 when `recorded`, a run.yaml spec_hash, is spec's: cl_spec_hash's, or,
 *  from runs before it, "fnv1a64:<16 hex>" of the unmasked text; else 0. */
int cl_spec_hash_matches(const struct cl_spec *spec, const char *recorded);

/* ---- reading results.csv rows ------------------------------------------------ */

/* Where the columns of a repetition are, by a results.csv header. */
#define CL_COUNTER_COLS 64 /* counter.<name> columns read, at most */
struct cl_rep_cols {
    long cell, repetition, status, tasks, tasks_ok, tasks_failed, wall_s,
        user_s, sys_s, throughput, lat_p50, lat_p99, lat_max, max_rss,
        vol_ctxsw, invol_ctxsw, workers, missing, duplicated, wrong, detail,
        reasons, seed, startup, span, teardown;
    /* the identity: plugin names in strategy/workload, variant labels in
     * *_label; a run before the *_label columns had the labels in
     * strategy/workload (then strategy_label and workload_label are -1) */
    long strategy, workload, strategy_label, workload_label;
    size_t n_counters;
    long counter[CL_COUNTER_COLS];
    char counter_name[CL_COUNTER_COLS][CL_COUNTER_NAME];
};

/** Find the columns by name (-1 for the absent ones). */
void cl_rep_cols_find(struct cl_rep_cols *c, const struct cl_csv_row *hdr);
/** The strategy (workload: 1) variant's label of a row: its *_label field,
 *  or, in the layout before that column, its strategy (workload) field.
 *  Borrowed from row. */
const char *cl_row_label(const struct cl_rep_cols *c, const struct cl_csv_row *row,
                         int workload);
/** The strategy (workload: 1) plugin's name of a row: its strategy
 *  (workload) field, or, in the layout before the *_label columns, the
 *  head of the label there (cl_label_plugin).  Into buf; returns buf. */
const char *cl_row_plugin(const struct cl_rep_cols *c, const struct cl_csv_row *row,
                          int workload, char *buf, size_t len);
/** One results.csv row as a repetition.  0, or -1 with a message in err
 *  ("unknown status 'x'"): the row is still filled as far as it goes (an
 *  unknown status reads as error). */
int cl_rep_row_parse(const struct cl_rep_cols *c, const struct cl_csv_row *row,
                     struct cl_rep_row *out, char *err, size_t errlen);

/* ---- reading results.csv and summary.csv ------------------------------------- */

/* One of a run directory's CSV files (results.csv, summary.csv) being read
 * row by row: both name their cells, statuses, details and workers by the
 * same columns, so one reader serves both. */
struct cl_rows_in {
    struct cl_csv_in in;
    struct cl_csv_row hdr;
    struct cl_rep_cols cols;
    char *file;          /* "DIR/results.csv", for messages */
};

/** Open DIR/FILE and read its header.  0; or -1 with "DIR/FILE: why" in
 *  err and errno (ENOENT: no such file; EINVAL: no header, or no `cell`
 *  column).  Close with cl_rows_close, also after a failure. */
int cl_rows_open(struct cl_rows_in *ri, const char *dir, const char *file,
                 char *err, size_t errlen);
/** The next row, as a repetition (summary.csv rows: status, detail,
 *  workers), with the row itself (the caller frees it with
 *  cl_csv_row_free; its cell name is cl_csv_get(row, ri->cols.cell)).
 *  Returns 1 with a row; 0 at the end; -1 on a torn last record (err:
 *  "FILE:LINE: torn last record (a write cut short)"); 2 with a row that
 *  has a problem (err: "FILE:LINE: cell 'NAME': why"), parsed as far as it
 *  goes, reading may go on. */
int cl_rows_next(struct cl_rows_in *ri, struct cl_csv_row *row,
                 struct cl_rep_row *rep, char *err, size_t errlen);
void cl_rows_close(struct cl_rows_in *ri);

/* ---- where runs land ---- */

/** results/<experiment>/<timestamp>[-k]: a new run directory's path (not
 *  created); *parent gets results/<experiment>.  Both owned by the caller. */
char *cl_default_out_dir(const struct cl_spec *spec, char **parent);
/** Point parent/latest at dir, atomically (symlink, rename). */
void cl_point_latest(const char *parent, const char *dir);

#endif

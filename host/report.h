/* report.h — reading a run directory back and saying what it shows, in
 * plain words: `conlab report DIR`, the table printed after `conlab run`,
 * and the data behind `conlab plot` and `conlab compare`.  Host-private.
 *
 * Everything is computed from the files (results.csv, summary.csv,
 * run.yaml), so a report works on any run, finished or not, on any machine. */
#ifndef CONLAB_HOST_REPORT_H
#define CONLAB_HOST_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "calibrate.h"
#include "rundir.h"
#include "stats.h"

/* When a figure should not be trusted (the thresholds of the warnings). */
#define CL_WARN_CV 0.10          /* sd / mean of the wall time above this */
#define CL_WARN_MODZ 3.5         /* |modified z-score| of a repetition above this, */
#define CL_WARN_OUTLIER_REL 0.05 /* ... and more than this far from the median */
#define CL_WARN_SHORT_S 0.005    /* a cell's mean wall time below this */
#define CL_WARN_FIRST 1.25       /* repetition 1 / median of the others above this */
#define CL_WARN_STARTUP 0.10     /* median start-up / median wall time above this */

enum cl_report_format { CL_FMT_TEXT, CL_FMT_MD, CL_FMT_CSV, CL_FMT_JSON };

/** "text", "md" (or "markdown"), "csv", "json".  0, or -1 if unknown. */
int cl_report_format_parse(const char *s, enum cl_report_format *out);

/* A cell as the report sees it: the run's cell (rundir.h's model: name,
 * variants, status, detail, workers, measured repetitions, wall-time
 * summary, speedup; done = summary.csv has it, else still running) and the
 * report's own figures. */
struct cl_rcell {
    struct cl_cell cell;       /* cell.strategy and cell.workload point into
                                  cl_run_report.strategies / .workloads */
    char *plugin;              /* the strategy plugin ("threads") */
    char *wplugin;             /* the workload plugin ("sleep") */
    char *series;              /* plugin + the strategy parameters that vary,
                                  but workers/concurrency: "threads" */
    size_t workload_ix;        /* index into cl_run_report.workloads */
    double sweep;              /* strategy.workers or .concurrency; NAN if none */
    /* derived, over the ok repetitions */
    size_t n_ok;
    double cv, cpu_util;       /* NAN when undefined */
    double efficiency, efficiency_lo, efficiency_hi; /* speedup / workers,
                                  with its 95% interval; NAN if undefined */
    double startup, span, teardown; /* medians of the phases; NAN if none */
    uint64_t tasks_failed;     /* failed + bad tasks, all measured repetitions */
    int fastest;               /* the lowest median wall time of its
                                  workload, beyond doubt (see tie) */
    int tie;                   /* the lowest or second lowest median, the
                                  two not told apart: no fastest */
    size_t n_warn;
    char **warn;               /* plain-words warnings */
};

struct cl_run_report {
    char *dir;
    /* from run.yaml, NULL / NAN / -1 when not recorded */
    char *experiment, *state, *started, *hostname, *cpu, *version, *pinning;
    char *governor, *hypervisor, *pinning_note, *topology;
    long online_cpus;
    int warmup, repeat;
    double loadavg_1m;
    int virtualized, pinning_possible;
    struct cl_floors *floors;  /* run.yaml's `floors:` (run --calibrate), or NULL */
    /* the variants, as results.csv names them (no plugin loaded: .plugin
     * is NULL; a strategy's params are the strategy.* columns, .name one of
     * scols; a workload's the workload.* columns, .name one of wcols) */
    size_t n_workloads;
    struct cl_variant **workloads; /* in run order */
    size_t n_strategies;
    struct cl_variant **strategies;
    size_t n_scols;
    char **scols;              /* the strategy parameter names ("workers") */
    size_t n_wcols;
    char **wcols;              /* the workload parameter names ("seconds") */
    char *baseline;            /* the label of the strategy variant speedups
                                  are against (summary.csv's `baseline`;
                                  without that column, the first
                                  `sequential` variant); NULL: none */
    int baseline_known;        /* 1: summary.csv has the `baseline` column */
    size_t n_cells;
    struct cl_rcell *cells;    /* in run order (workload-major) */
    size_t n_warn;
    char **warn;               /* about the run as a whole */
};

/** Read DIR (results.csv required; summary.csv and run.yaml if there),
 *  check that they agree, and compute every figure and warning.  0; or -1
 *  with a message in err and errno: ENOENT (no results.csv), EINVAL (no
 *  conlab header, or inconsistent: err then names every problem, one a
 *  line, "FILE:LINE: cell 'NAME': why", as many as fit), or another. */
int cl_report_load(const char *dir, struct cl_run_report **out, char *err,
                   size_t errlen);
void cl_report_free(struct cl_run_report *r);

/** The whole report in a format.  0, or -1 if `out` could not be written. */
int cl_report_write(FILE *out, const struct cl_run_report *r,
                    enum cl_report_format fmt);

/** The table and warnings of workload `w` as an HTML fragment (for plot). */
void cl_report_html_workload(FILE *out, const struct cl_run_report *r, size_t w);
/** The run's header and warnings as an HTML fragment (for plot). */
void cl_report_html_header(FILE *out, const struct cl_run_report *r);

/** After `conlab run`: the text report of DIR on `out`.  0 or -1. */
int cl_report_print_dir(FILE *out, const char *dir);


/* ---- the statistics behind the warnings (exposed for the tests) ------------- */

/** Modified z-scores (Iglewicz & Hoaglin): 0.6745 (x - median) / MAD; when
 *  the MAD is 0, (x - median) / (1.253314 mean absolute deviation); all 0
 *  when that is 0 too.  z must hold n values. */
void cl_modified_z(const double *x, size_t n, double *z);

/** `conlab report DIR [--format F]`. */
int cl_cmd_report(int argc, char **argv);


#endif

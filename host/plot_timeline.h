/* plot_timeline.h — the timeline figure of a cell: every task of its first
 * measured repetition as a bar in its worker's lane, from tasks.csv.
 * Private to plot*.c. */
#ifndef CONLAB_HOST_PLOT_TIMELINE_H
#define CONLAB_HOST_PLOT_TIMELINE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "report.h"

/* Limits of a timeline: beyond them it says what it left out. */
#define CL_PLOT_MAX_LANES 64    /* workers drawn */
#define CL_PLOT_MAX_BARS 5000   /* tasks drawn (failed ones are always kept) */

/* One task: when it ran, where. */
struct cl_bar {
    double start, end;
    uint64_t task;
    unsigned worker;
    int cpu;
    char status; /* 'o' ok, 'f' failed, 'u' unfinished */
};

/* A cell's tasks of its first measured repetition (bars owned). */
struct cl_timeline {
    size_t n, cap;
    struct cl_bar *bars;
    size_t missing;   /* tasks that never ran */
    int present;      /* tasks.csv has this cell */
};

/* The first measured repetition of every cell, from tasks.csv.  1 if the
 * file is there, 0 if not, -1 on a read error (message in err). */
int cl_timelines_load(const struct cl_run_report *r, struct cl_timeline *tl,
                      char *err, size_t errlen);

/* The timeline figure of cell c from its bars t. */
void cl_plot_timeline(FILE *f, const struct cl_rcell *c, const struct cl_timeline *t);

#endif

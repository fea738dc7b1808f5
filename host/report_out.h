/* report_out.h — what the writers of a report share: the table every
 * format shows (columns, unit, one row's fields) and one writer per format.
 * Private to report_*.c. */
#ifndef CONLAB_HOST_REPORT_OUT_H
#define CONLAB_HOST_REPORT_OUT_H

#include <stdio.h>

#include "report.h"

enum { CL_RCOL_MARK, CL_RCOL_STRATEGY, CL_RCOL_WORKERS, CL_RCOL_MEAN, CL_RCOL_SD, CL_RCOL_MEDIAN, CL_RCOL_CI, CL_RCOL_SPEEDUP,
       CL_RCOL_EFF, CL_RCOL_CPU, CL_RCOL_FAILED, CL_RCOL_STATUS, CL_RCOLS };

/** Column headings and alignment (1: left). */
extern const char *const cl_report_col_head[CL_RCOLS];
extern const int cl_report_col_left[CL_RCOLS];

/* One unit per table, so a column reads at a glance: the fastest decides. */
struct cl_report_unit {
    const char *name;
    double mul;
    int dec;
};

/** The unit of workload w's table. */
struct cl_report_unit cl_report_unit(const struct cl_run_report *r, size_t w);
/** "ok", "timeout", ... or, for a cell not finished, "running" or
 *  "unfinished".  Static storage. */
const char *cl_report_cell_status(const struct cl_run_report *r,
                                  const struct cl_rcell *c);
/** The fields of a cell's row in unit u, each allocated: free them with
 *  cl_report_row_free. */
void cl_report_row(const struct cl_run_report *r, const struct cl_rcell *c,
                   struct cl_report_unit u, char *f[CL_RCOLS]);
void cl_report_row_free(char *f[CL_RCOLS]);

/* The whole report in one format (report_table.c, report_json.c); they
 * return 0, or -1 if out could not be written. */
int cl_report_write_text(FILE *out, const struct cl_run_report *r);
int cl_report_write_md(FILE *out, const struct cl_run_report *r);
int cl_report_write_csv(FILE *out, const struct cl_run_report *r);
int cl_report_write_json(FILE *out, const struct cl_run_report *r);

#endif

/* plot_xy.h — the x-y figures of `conlab plot`: a measure (wall time,
 * speedup, throughput) against any swept parameter, one series per
 * strategy variant (and per value of a --by parameter), read from
 * results.csv's strategy.* / workload.* columns.  Private to plot*.c. */
#ifndef CONLAB_HOST_PLOT_XY_H
#define CONLAB_HOST_PLOT_XY_H

#include <stddef.h>
#include <stdio.h>

#include "report.h"

enum cl_plot_y { CL_PLOT_Y_WALL, CL_PLOT_Y_SPEEDUP, CL_PLOT_Y_THROUGHPUT };

/* What the x-y figures show. */
struct cl_plot_opts {
    const char *x;    /* "workers" (workers or concurrency), or a column */
    const char *by;   /* "strategy", or a column: its values become series */
    enum cl_plot_y y;
};

/* The parameter columns of a run directory's results.csv and each cell's
 * values (the first row of the cell's). */
struct cl_plot_params {
    size_t n_cols, n_cells;
    char **cols;    /* "strategy.workers", "workload.n", ... owned */
    char **values;  /* [cell * n_cols + col], owned; "" when empty */
};

/* One x-y figure: the cells it draws (indices into r->cells) and its
 * title, both owned. */
struct cl_xy_fig {
    char *title;
    size_t n;
    size_t *cells;
};

/** "wall", "speedup", "throughput" into *out: 0, or -1 if none of them. */
int cl_plot_y_parse(const char *s, enum cl_plot_y *out);
/** The name of y ("speedup").  Static storage. */
const char *cl_plot_y_name(enum cl_plot_y y);

/** The parameter columns (strategy.*, workload.*, as results.csv names
 *  them) and every cell's values, from the run r read.  Free with
 *  cl_plot_params_free. */
void cl_plot_params_load(const struct cl_run_report *r, struct cl_plot_params *p);
void cl_plot_params_free(struct cl_plot_params *p);

/** 0 when o's x and by name columns of p (or "workers" / "strategy"); else
 *  -1 with a message in err listing the columns there are. */
int cl_plot_opts_check(const struct cl_plot_opts *o, const struct cl_plot_params *p,
                       char *err, size_t errlen);

/** The figures o asks for: one per workload variant when neither x nor by
 *  is a workload.* column (figure w draws workload w), else one per set of
 *  the other workload parameters.  *out (owned: cl_xy_figures_free) gets
 *  them; returns how many. */
size_t cl_xy_figures(const struct cl_run_report *r, const struct cl_plot_params *p,
                     const struct cl_plot_opts *o, struct cl_xy_fig **out);
void cl_xy_figures_free(struct cl_xy_fig *figs, size_t n);

/** Why figure `fig` would show nothing (no values of y, or fewer than two
 *  values of x), or NULL when it can be drawn.  Static storage. */
const char *cl_xy_missing(const struct cl_run_report *r, const struct cl_plot_params *p,
                          const struct cl_plot_opts *o, const struct cl_xy_fig *fig);

/** Draw figure `fig` as one SVG into f; `id` makes its element ids unique
 *  in a page that inlines several figures. */
void cl_plot_xy(FILE *f, const struct cl_run_report *r, const struct cl_plot_params *p,
                const struct cl_plot_opts *o, const struct cl_xy_fig *fig, size_t id);

#endif

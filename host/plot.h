/* plot.h — `conlab plot DIR`: SVG figures and one report.html, drawn from
 * a run directory's files, with nothing but libc.  Host-private. */
#ifndef CONLAB_HOST_PLOT_H
#define CONLAB_HOST_PLOT_H

#include <stddef.h>
#include <stdio.h>

struct cl_plot_opts;

/** Draw the figures of run directory `dir` into `out_dir` (created if
 *  needed): wall-W.svg and speedup-W.svg per workload variant,
 *  timeline-C.svg per cell when tasks.csv is there, with `custom` (borrowed;
 *  NULL: none) the x-y figures it asks for (plot_xy.h), named
 *  Y-vs-X-by-BY-K.svg, and report.html with the summary tables and every
 *  figure inline.  Prints one line per file to `log` when not NULL.  0, or
 *  -1 with a message in err. */
int cl_plot_dir(const char *dir, const char *out_dir, const struct cl_plot_opts *custom,
                FILE *log, char *err, size_t errlen);

/** `conlab plot DIR [-o OUT]`. */
int cl_cmd_plot(int argc, char **argv);

#endif

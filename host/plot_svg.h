/* plot_svg.h — what the figures of `conlab plot` share: colours, SVG text
 * and headings, axes and their ticks, time units.  Private to plot*.c. */
#ifndef CONLAB_HOST_PLOT_SVG_H
#define CONLAB_HOST_PLOT_SVG_H

#include <stddef.h>
#include <stdio.h>

#define CL_SVG_FONT "system-ui, 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"

#define CL_N_PALETTE 10
#define CL_C_OK "#4e79a7"
#define CL_C_OK2 "#7fa6cf"
#define CL_C_FAST "#59a14f"
#define CL_C_FAILED "#e15759"
#define CL_C_UNFINISHED "#f28e2b"
#define CL_C_INK "#333"
#define CL_C_GRID "#e3e3e3"

/* Series colours, CL_N_PALETTE of them. */
extern const char *const cl_palette[];

/* A linear or log2 axis from data to pixels. */
struct cl_axis {
    double lo, hi;   /* data range */
    double p0, p1;   /* pixels */
    int log;         /* log2 scale */
};

/* A time unit: its name and seconds -> unit multiplier. */
struct cl_tunit {
    const char *name;
    double mul;
};

/* An <svg> element w x h pixels titled `title`, and its end. */
void cl_svg_begin(FILE *f, double w, double h, const char *title);

void cl_svg_end(FILE *f);

/* A <text> at (x, y), escaped, with an anchor ("start", "middle", "end"),
 * a font size and extra style (NULL: none). */
void cl_svg_text(FILE *f, double x, double y, const char *anchor, double size,
                 const char *style, const char *s);

/* Rough width of a label: the SVG has no layout engine to ask. */
double cl_svg_text_w(const char *s, double size);

/* s cut to about `room` pixels at font `size`, with an ellipsis. */
const char *cl_svg_fit(const char *s, double size, double room, char *buf, size_t len);

/* A figure's title and subtitle across `width` pixels from x. */
void cl_svg_heading(FILE *f, double x, double width, const char *title, const char *sub);

/* The pixel of value v on axis a. */
double cl_axis_at(const struct cl_axis *a, double v);

/* Up to `max` round tick values of a into t (cap entries); how many. */
size_t cl_axis_ticks(const struct cl_axis *a, int max, double *t, size_t cap);

/* Vertical grid lines and labels under a horizontal axis at y. */
void cl_svg_x_axis(FILE *f, const struct cl_axis *a, double y, double top, double mul,
                   const char *label);

/* Horizontal grid lines and labels left of a vertical axis at x. */
void cl_svg_y_axis(FILE *f, const struct cl_axis *a, double x, double right,
                   const char *label);

/* The unit (s, ms, µs) in which max_s reads best. */
struct cl_tunit cl_time_unit(double max_s);

#endif

/* plot_svg.h — what the figures of `conlab plot` share: colours, SVG text
 * and headings, axes and their ticks, time units.  Private to plot*.c. */
#ifndef CONLAB_HOST_PLOT_SVG_H
#define CONLAB_HOST_PLOT_SVG_H

#include <stddef.h>
#include <stdio.h>

#define CL_SVG_FONT "system-ui, 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"

#define CL_C_OK "#4e79a7"
#define CL_C_OK2 "#7fa6cf"
#define CL_C_FAST "#59a14f"
#define CL_C_FAILED "#e15759"
#define CL_C_UNFINISHED "#f28e2b"
#define CL_C_INK "#333"
#define CL_C_GRID "#e3e3e3"

/* The colour of strategy plugin `plugin` in every figure of every run:
 * pinned for the strategies conlab knows, a hash of the name into a fixed
 * palette for the others.  Static storage. */
const char *cl_plugin_colour(const char *plugin);

/* Open a marker element of shape `shape` (0 circle, 1 square, 2 triangle,
 * 3 diamond, 4 triangle down; cycling) centred at (x, y), filled, with a
 * white outline so that overlapping markers stay apart; the caller ends it
 * ("/>", or "><title>...</title></circle>" — cl_svg_marker_tag names it). */
void cl_svg_marker(FILE *f, unsigned shape, double x, double y, const char *fill);

/* The element name of marker shape `shape` ("circle", "rect", "path"). */
#define cl_svg_marker_tag(shape) ((shape) % 5 == 0 ? "circle" : (shape) % 5 == 1 ? "rect" : "path")

/* A stroke-dasharray for line style `style` ("" solid first; cycling). */
const char *cl_svg_dash(unsigned style);

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

/* Width of a label at font `size` in pixels, estimated high (per-character
 * widths of the widest font CL_SVG_FONT names, rounded up): the SVG has no
 * layout engine to ask, so room sized by it is never short. */
double cl_svg_text_w(const char *s, double size);

/* s cut to fit `room` pixels at font `size` (by cl_svg_text_w), with an
 * ellipsis; into buf, which it returns. */
const char *cl_svg_fit(const char *s, double size, double room, char *buf, size_t len);

/* Lines of s at most `room` pixels wide at font `size`, broken after a
 * separator (',' ';' or a space) where one is in reach, else anywhere:
 * line k is s[start[k] .. end[k]).  At most cap lines (the last one then
 * takes the rest); how many. */
size_t cl_svg_wrap(const char *s, double size, double room, size_t *start, size_t *end,
                   size_t cap);

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

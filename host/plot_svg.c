/* plot_svg.c — see plot_svg.h. */
#include "plot_svg.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neutral.h"
#include "util.h"

/* Colours pinned to the strategies conlab ships and the runtimes issue 10
 * names, so a strategy keeps its colour from run to run and figure to
 * figure; any other plugin name hashes into cl_hashed. */
static const struct {
    const char *plugin, *colour;
} cl_pinned[] = {
    {"sequential", "#4d4d4d"}, {"threads", "#4e79a7"},  {"processes", "#f28e2b"},
    {"coroutines", "#76b7b2"}, {"gil", "#e15759"},      {"workstealing", "#59a14f"},
    {"openmp", "#b07aa1"},     {"tbb", "#9c755f"},      {"uring", "#d37295"},
};
static const char *const cl_hashed[] = {
    "#edc948", "#ff9da7", "#499894", "#8cd17d", "#b6992d", "#a0cbe8",
    "#ffbe7d", "#d4a6c8", "#86bcb6", "#f1ce63", "#79706e", "#fabfd2"};

const char *cl_plugin_colour(const char *plugin)
{
    for (size_t i = 0; i < sizeof cl_pinned / sizeof *cl_pinned; i++)
        if (strcmp(cl_pinned[i].plugin, plugin) == 0)
            return cl_pinned[i].colour;
    uint32_t h = 2166136261u; /* FNV-1a: the same name, the same colour */
    for (const unsigned char *p = (const unsigned char *)plugin; *p; p++)
        h = (h ^ *p) * 16777619u;
    return cl_hashed[h % (sizeof cl_hashed / sizeof *cl_hashed)];
}

void cl_svg_marker(FILE *f, unsigned shape, double x, double y, const char *fill)
{
    switch (shape % 5) {
    case 0:
        fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\"", x, y);
        break;
    case 1:
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"8\" height=\"8\"", x - 4, y - 4);
        break;
    case 2:
        fprintf(f, "<path d=\"M%.1f %.1fl5 9h-10z\"", x, y - 5.5);
        break;
    case 3:
        fprintf(f, "<path d=\"M%.1f %.1fl5 5.5l-5 5.5l-5 -5.5z\"", x, y - 5.5);
        break;
    default:
        fprintf(f, "<path d=\"M%.1f %.1fl5 -9h-10z\"", x, y + 5.5);
        break;
    }
    fprintf(f, " fill=\"%s\" stroke=\"#fff\" stroke-width=\"1.2\"", fill);
}

const char *cl_svg_dash(unsigned style)
{
    static const char *const dash[] = {"", "6 3", "2 3", "9 3 2 3", "4 2"};
    return dash[style % (sizeof dash / sizeof *dash)];
}

/* ---- SVG basics ----------------------------------------------------------------- */

void cl_svg_begin(FILE *f, double w, double h, const char *title)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\" "
            "font-size=\"12\" role=\"img\">\n<title>", w, h, w, h, CL_SVG_FONT);
    cl_xml_escape(f, title);
    fprintf(f, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", w, h);
}

void cl_svg_end(FILE *f)
{
    fputs("</svg>\n", f);
}

void cl_svg_text(FILE *f, double x, double y, const char *anchor, double size,
                 const char *style, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%g\"%s%s>",
            x, y, anchor, size, style ? " " : "", style ? style : "");
    cl_xml_escape(f, s);
    fputs("</text>\n", f);
}

/* How wide character c is, in ems, rounded UP from DejaVu Sans (the
 * widest of the fonts CL_SVG_FONT names): the SVG has no layout engine to
 * ask, so a label's room is never underestimated. */
static double char_em(unsigned char c)
{
    if (c >= 0x80)
        return 1.0; /* a UTF-8 lead byte: could be a wide character */
    if (strchr("mwMW@%", c))
        return 1.0;
    if (strchr("=+<>~#&", c))
        return 0.85;
    if (c >= 'A' && c <= 'Z')
        return 0.78;
    if (c >= '0' && c <= '9')
        return 0.65;
    if (strchr("ijlI.,:;|!'` ", c))
        return 0.36;
    if (strchr("frt()[]{}/\\-\"*", c))
        return 0.45;
    return 0.64;
}

double cl_svg_text_w(const char *s, double size)
{
    double em = 0;
    for (; *s; s++)
        if (((unsigned char)*s & 0xC0) != 0x80)
            em += char_em((unsigned char)*s);
    return em * size;
}

const char *cl_svg_fit(const char *s, double size, double room, char *buf, size_t len)
{
    if (cl_svg_text_w(s, size) <= room) {
        snprintf(buf, len, "%s", s);
        return buf;
    }
    double used = cl_svg_text_w("…", size);
    size_t i = 0;
    while (s[i]) {
        size_t j = i + 1;
        while (s[j] && ((unsigned char)s[j] & 0xC0) == 0x80)
            j++; /* the whole character */
        double w = char_em((unsigned char)s[i]) * size;
        if (used + w > room)
            break;
        used += w;
        i = j;
    }
    snprintf(buf, len, "%.*s…", (int)i, s);
    return buf;
}

size_t cl_svg_wrap(const char *s, double size, double room, size_t *start, size_t *end,
                   size_t cap)
{
    size_t n = 0, i = 0, len = strlen(s);
    while (i < len && n < cap) {
        size_t j = i, brk = 0;
        double w = 0;
        while (j < len) {
            size_t k = j + 1;
            while (k < len && ((unsigned char)s[k] & 0xC0) == 0x80)
                k++;
            double cw = char_em((unsigned char)s[j]) * size;
            if (w + cw > room && j > i)
                break;
            w += cw;
            if (s[j] == ',' || s[j] == ';' || s[j] == ' ')
                brk = k; /* a break after a separator */
            j = k;
        }
        if (j < len && brk > i)
            j = brk;
        start[n] = i;
        end[n++] = j;
        i = j;
        while (i < len && s[i] == ' ')
            i++;
    }
    if (i < len && n)
        end[n - 1] = len; /* out of lines: the last one takes the rest */
    return n;
}

void cl_svg_heading(FILE *f, double x, double width, const char *title, const char *sub)
{
    char buf[1024];
    /* bold runs up to 12% wider than the regular widths cl_svg_text_w knows */
    cl_svg_text(f, x, 22, "start", 15, "font-weight=\"600\" fill=\"#222\"",
                cl_svg_fit(title, 15 * 1.12, width - 2 * x, buf, sizeof buf));
    if (sub)
        cl_svg_text(f, x, 40, "start", 11.5, "fill=\"#555\"", cl_svg_fit(sub, 11.5, width - 2 * x, buf, sizeof buf));
}

/* ---- axes --------------------------------------------------------------------- */


double cl_axis_at(const struct cl_axis *a, double v)
{
    if (a->log) {
        double l = log2(a->lo), h = log2(a->hi);
        return a->p0 + (log2(v) - l) / (h - l) * (a->p1 - a->p0);
    }
    return a->p0 + (v - a->lo) / (a->hi - a->lo) * (a->p1 - a->p0);
}

/* A 1-2-5 step giving at most `max` intervals over [lo, hi]. */
static double nice_step(double lo, double hi, int max)
{
    double raw = (hi - lo) / max;
    if (!(raw > 0))
        return 1;
    double mag = pow(10, floor(log10(raw)));
    static const double m[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof m / sizeof *m; i++)
        if (m[i] * mag >= raw)
            return m[i] * mag;
    return 10 * mag;
}

size_t cl_axis_ticks(const struct cl_axis *a, int max, double *t, size_t cap)
{
    size_t n = 0;
    if (a->log) {
        for (double v = exp2(ceil(log2(a->lo))); v <= a->hi * 1.0001 && n < cap; v *= 2)
            t[n++] = v;
        if (n >= 3)
            return n;
        n = 0; /* a narrow log range: plain 1-2-5 ticks read better */
    }
    double step = nice_step(a->lo, a->hi, max);
    for (double v = ceil(a->lo / step) * step; v <= a->hi + step * 1e-6 && n < cap; v += step)
        t[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

static void svg_line(FILE *f, double x1, double y1, double x2, double y2, const char *stroke)
{
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>\n",
            x1, y1, x2, y2, stroke);
}

/* The ticks of axis a (at most max of them), each a grid line across the
 * plot from the axis (at `at`) to `across`, and its value times mul written
 * beside the axis: below a horizontal axis, left of a vertical one. */
static void svg_ticks(FILE *f, const struct cl_axis *a, int vertical, int max, double at,
                      double across, double mul)
{
    double t[64];
    size_t n = cl_axis_ticks(a, max, t, 64);
    for (size_t i = 0; i < n; i++) {
        double p = cl_axis_at(a, t[i]);
        char buf[32];
        snprintf(buf, sizeof buf, "%g", t[i] * mul);
        if (vertical) {
            svg_line(f, at, p, across, p, CL_C_GRID);
            cl_svg_text(f, at - 6, p + 4, "end", 11, "fill=\"#444\"", buf);
        } else {
            svg_line(f, p, across, p, at, CL_C_GRID);
            cl_svg_text(f, p, at + 15, "middle", 11, "fill=\"#444\"", buf);
        }
    }
}

/* Vertical grid lines and labels under a horizontal axis at y. */
void cl_svg_x_axis(FILE *f, const struct cl_axis *a, double y, double top, double mul,
                   const char *label)
{
    svg_ticks(f, a, 0, 8, y, top, mul);
    svg_line(f, a->p0, y, a->p1, y, "#888");
    cl_svg_text(f, (a->p0 + a->p1) / 2, y + 32, "middle", 11.5, "fill=\"#333\"", label);
}

/* Horizontal grid lines and labels left of a vertical axis at x. */
void cl_svg_y_axis(FILE *f, const struct cl_axis *a, double x, double right,
                   const char *label)
{
    svg_ticks(f, a, 1, 6, x, right, 1);
    svg_line(f, x, a->p0, x, a->p1, "#888");
    fprintf(f, "<text transform=\"translate(%.1f %.1f) rotate(-90)\" "
            "text-anchor=\"middle\" font-size=\"11.5\" fill=\"#333\">",
            x - 40, (a->p0 + a->p1) / 2);
    cl_xml_escape(f, label);
    fputs("</text>\n", f);
}


struct cl_tunit cl_time_unit(double max_s)
{
    if (max_s < 2e-3)
        return (struct cl_tunit){"µs", 1e6};
    if (max_s < 2)
        return (struct cl_tunit){"ms", 1e3};
    return (struct cl_tunit){"s", 1};
}


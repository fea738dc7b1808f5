/* plot.c — see plot.h.
 *
 * Plain SVG written with fprintf: every figure is a standalone file that any
 * browser, editor or paper can take, and report.html carries the same SVG
 * inline, so the one page can be mailed alone.  No script, no network, no
 * fonts to fetch; tooltips are SVG <title> elements. */
#include "plot.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "csv.h"
#include "report.h"
#include "util.h"

#define FONT "system-ui, 'DejaVu Sans', 'Helvetica Neue', Arial, sans-serif"

static const char *const palette[] = {"#4e79a7", "#f28e2b", "#59a14f", "#e15759",
                                      "#b07aa1", "#76b7b2", "#edc948", "#9c755f",
                                      "#ff9da7", "#bab0ac"};
#define N_PALETTE (sizeof palette / sizeof *palette)
#define C_OK "#4e79a7"
#define C_OK2 "#7fa6cf"
#define C_FAST "#59a14f"
#define C_FAILED "#e15759"
#define C_UNFINISHED "#f28e2b"
#define C_INK "#333"
#define C_GRID "#e3e3e3"

/* ---- SVG basics ----------------------------------------------------------------- */

static void svg_begin(FILE *f, double w, double h, const char *title)
{
    fprintf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
            "height=\"%.0f\" viewBox=\"0 0 %.0f %.0f\" font-family=\"%s\" "
            "font-size=\"12\" role=\"img\">\n<title>", w, h, w, h, FONT);
    cl_xml_escape(f, title);
    fprintf(f, "</title>\n<rect width=\"%.0f\" height=\"%.0f\" fill=\"#fff\"/>\n", w, h);
}

static void svg_end(FILE *f)
{
    fputs("</svg>\n", f);
}

static void text(FILE *f, double x, double y, const char *anchor, double size,
                 const char *style, const char *s)
{
    fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" font-size=\"%.0f\"%s%s>",
            x, y, anchor, size, style ? " " : "", style ? style : "");
    cl_xml_escape(f, s);
    fputs("</text>\n", f);
}

/* Rough width of a label: the SVG has no layout engine to ask. */
static double text_w(const char *s, double size)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return (double)n * size * 0.58;
}

/* s cut to about `room` pixels at font `size`, with an ellipsis. */
static const char *fit(const char *s, double size, double room, char *buf, size_t len)
{
    if (text_w(s, size) <= room) {
        snprintf(buf, len, "%s", s);
        return buf;
    }
    size_t keep = (size_t)(room / (size * 0.58)), chars = 0, i = 0;
    keep = keep > 1 ? keep - 1 : 0;
    for (; s[i] && chars < keep; i++)
        chars += ((unsigned char)s[i] & 0xC0) != 0x80;
    while (s[i] && ((unsigned char)s[i] & 0xC0) == 0x80)
        i++; /* finish the character */
    snprintf(buf, len, "%.*s…", (int)i, s);
    return buf;
}

static void heading(FILE *f, double x, double width, const char *title, const char *sub)
{
    char buf[1024];
    text(f, x, 22, "start", 15, "font-weight=\"600\" fill=\"#222\"",
         fit(title, 15, width - 2 * x, buf, sizeof buf));
    if (sub)
        text(f, x, 40, "start", 11.5, "fill=\"#555\"", fit(sub, 11.5, width - 2 * x, buf, sizeof buf));
}

/* ---- axes --------------------------------------------------------------------- */

struct axis {
    double lo, hi;   /* data range */
    double p0, p1;   /* pixels */
    int log;         /* log2 scale */
};

static double ax(const struct axis *a, double v)
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

static size_t ticks(const struct axis *a, int max, double *t, size_t cap)
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

/* Vertical grid lines and labels under a horizontal axis at y. */
static void x_axis(FILE *f, const struct axis *a, double y, double top, double mul,
                   const char *label)
{
    double t[64];
    size_t n = ticks(a, 8, t, 64);
    for (size_t i = 0; i < n; i++) {
        double x = ax(a, t[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"%s\"/>\n", x, top, x, y, C_GRID);
        char buf[32];
        snprintf(buf, sizeof buf, "%g", t[i] * mul);
        text(f, x, y + 15, "middle", 11, "fill=\"#444\"", buf);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
            a->p0, y, a->p1, y);
    text(f, (a->p0 + a->p1) / 2, y + 32, "middle", 11.5, "fill=\"#333\"", label);
}

/* Horizontal grid lines and labels left of a vertical axis at x. */
static void y_axis(FILE *f, const struct axis *a, double x, double right,
                   const char *label)
{
    double t[64];
    size_t n = ticks(a, 6, t, 64);
    for (size_t i = 0; i < n; i++) {
        double y = ax(a, t[i]);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                "stroke=\"%s\"/>\n", x, y, right, y, C_GRID);
        char buf[32];
        snprintf(buf, sizeof buf, "%g", t[i]);
        text(f, x - 6, y + 4, "end", 11, "fill=\"#444\"", buf);
    }
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
            x, a->p0, x, a->p1);
    fprintf(f, "<text transform=\"translate(%.1f %.1f) rotate(-90)\" "
            "text-anchor=\"middle\" font-size=\"11.5\" fill=\"#333\">",
            x - 40, (a->p0 + a->p1) / 2);
    cl_xml_escape(f, label);
    fputs("</text>\n", f);
}

struct tunit {
    const char *name;
    double mul;
};

static struct tunit time_unit(double max_s)
{
    if (max_s < 2e-3)
        return (struct tunit){"µs", 1e6};
    if (max_s < 2)
        return (struct tunit){"ms", 1e3};
    return (struct tunit){"s", 1};
}

/* ---- wall time per strategy ----------------------------------------------------- */

static void plot_wall(FILE *f, const struct cl_run_report *r, size_t w)
{
    size_t n = 0;
    double hi = 0, label_w = 80;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        n++;
        if (text_w(c->strategy, 12) > label_w)
            label_w = text_w(c->strategy, 12);
        if (c->n_ok) {
            hi = fmax(hi, c->wall.mean);
            if (isfinite(c->wall.ci95_hi))
                hi = fmax(hi, c->wall.ci95_hi);
        }
    }
    if (label_w > 320)
        label_w = 320;
    double left = label_w + 24, width = 900, row = 30, top = 64;
    double height = top + (double)n * row + 56;
    char title[512];
    snprintf(title, sizeof title, "Wall time: %s", r->workloads[w]);
    svg_begin(f, width, height, title);
    heading(f, 12, width, title, "bar: mean of the ok repetitions · whisker: 95% confidence "
            "interval · tick: median · green: fastest");
    struct tunit u = time_unit(hi > 0 ? hi : 1);
    struct axis a = {0, hi > 0 ? hi * 1.12 : 1, left, width - 110, 0};
    char xlabel[64];
    snprintf(xlabel, sizeof xlabel, "wall time (%s)", u.name);
    x_axis(f, &a, top + (double)n * row + 6, top - 6, u.mul, xlabel);
    size_t j = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        double y = top + (double)j++ * row, mid = y + row / 2 - 3;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#222\">",
                left - 8, mid + 4);
        cl_xml_escape(f, c->strategy);
        fputs("</text>\n", f);
        char a1[32], a2[32], a3[32], a4[32];
        if (!c->n_ok) {
            char msg[200];
            snprintf(msg, sizeof msg, "no ok repetition (%s)",
                     c->finished ? cl_status_name(c->status) : "unfinished");
            text(f, left + 6, mid + 4, "start", 12, "fill=\"" C_FAILED "\"", msg);
            continue;
        }
        double x1 = ax(&a, c->wall.mean);
        fprintf(f, "<g><title>");
        cl_xml_escape(f, c->name);
        fprintf(f, "\nmean %s, median %s, 95%% CI %s to %s, %zu ok repetitions%s%s</title>\n",
                cl_fmt_dur(c->wall.mean, a1, sizeof a1), cl_fmt_dur(c->wall.median, a2, sizeof a2),
                cl_fmt_dur(c->wall.ci95_lo, a3, sizeof a3), cl_fmt_dur(c->wall.ci95_hi, a4, sizeof a4),
                c->n_ok, c->status != CL_ST_OK ? ", status " : "",
                c->status != CL_ST_OK ? cl_status_name(c->status) : "");
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>\n",
                left, y + 4, fmax(x1 - left, 1), row - 14,
                c->fastest ? C_FAST : c->status == CL_ST_OK ? C_OK : C_FAILED,
                c->status == CL_ST_OK ? "" : " fill-opacity=\"0.6\"");
        double xm = ax(&a, c->wall.median);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#111\" "
                "stroke-width=\"2\"/>\n", xm, y + 4, xm, y + row - 10);
        double ex = x1;
        if (c->n_ok >= 2 && isfinite(c->wall.ci95_lo)) {
            double lo = ax(&a, fmax(c->wall.ci95_lo, 0)), hi2 = ax(&a, c->wall.ci95_hi);
            fprintf(f, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\" "
                    "stroke=\"#222\" stroke-width=\"1.3\" fill=\"none\"/>\n",
                    lo, mid, hi2, lo, mid - 5, mid + 5, hi2, mid - 5, mid + 5);
            ex = fmax(ex, hi2);
        }
        char label[64];
        snprintf(label, sizeof label, "%s%s", cl_fmt_dur(c->wall.mean, a1, sizeof a1),
                 c->status == CL_ST_OK ? "" : " (not ok)");
        text(f, ex + 6, mid + 4, "start", 11, "fill=\"#333\"", label);
        fputs("</g>\n", f);
    }
    svg_end(f);
}

/* ---- speedup against workers --------------------------------------------------- */

/* Why there is no speedup figure for workload w, or NULL if there is one. */
static const char *speedup_missing(const struct cl_run_report *r, size_t w)
{
    double xs[2];
    size_t nx = 0, any = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w || !isfinite(c->speedup))
            continue;
        any++;
        if (!isfinite(c->sweep) || c->sweep <= 0)
            continue;
        if (nx == 0 || (nx == 1 && c->sweep != xs[0]))
            xs[nx++] = c->sweep;
    }
    if (!any)
        return "no speedups: this workload has no ok sequential cell";
    if (nx < 2)
        return "no speedup figure: the cells do not span two worker counts";
    return NULL;
}

static size_t series_index(const char **names, size_t *n, const char *s)
{
    for (size_t i = 0; i < *n; i++)
        if (strcmp(names[i], s) == 0)
            return i;
    names[*n] = s;
    return (*n)++;
}

static void plot_speedup(FILE *f, const struct cl_run_report *r, size_t w)
{
    double xlo = INFINITY, xhi = 0, ylo = 1, yhi = 1;
    const char **names = cl_xcalloc(r->n_cells + 1, sizeof *names);
    size_t n_names = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w || !isfinite(c->speedup) || !(c->sweep > 0))
            continue;
        xlo = fmin(xlo, c->sweep);
        xhi = fmax(xhi, c->sweep);
        yhi = fmax(yhi, c->speedup);
        if (c->speedup > 0)
            ylo = fmin(ylo, c->speedup);
        series_index(names, &n_names, c->series);
    }
    xlo = fmin(xlo, 1);
    if (!(yhi > 0) || !isfinite(yhi))
        yhi = 1;
    double width = 900, height = 440, left = 70, right = width - 210, top = 60,
           bottom = height - 56;
    int logx = xhi / xlo >= 8;
    struct axis x = {logx ? xlo / 1.15 : 0, logx ? xhi * 1.15 : xhi * 1.08, left, right, logx};
    /* log workers, log speedup: the ideal stays a straight line */
    struct axis y = {logx ? ylo / 1.2 : 0, yhi * (logx ? 1.25 : 1.15), bottom, top, logx};
    char title[512];
    snprintf(title, sizeof title, "Speedup: %s", r->workloads[w]);
    svg_begin(f, width, height, title);
    heading(f, 12, width, title, "sequential mean / mean, against workers (threads, "
            "processes) or concurrency (coroutines); dashed: ideal (speedup = workers)");
    x_axis(f, &x, bottom, top, 1, logx ? "workers / concurrency (log scale)"
                                         : "workers / concurrency");
    y_axis(f, &y, left, right, logx ? "speedup (x, log scale)" : "speedup (x)");
    /* the ideal line, clipped to the plot */
    fprintf(f, "<clipPath id=\"clip-s%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%.1f\"/></clipPath>\n", w, left, top, right - left, bottom - top);
    fprintf(f, "<polyline clip-path=\"url(#clip-s%zu)\" fill=\"none\" stroke=\"#999\" "
            "stroke-dasharray=\"6 4\" points=\"", w);
    for (int k = 0; k <= 64; k++) {
        double v = logx ? x.lo * pow(x.hi / x.lo, k / 64.0) : x.lo + (x.hi - x.lo) * k / 64.0;
        if (v <= 0)
            v = 1e-9;
        fprintf(f, "%.1f,%.1f ", ax(&x, v), ax(&y, v));
    }
    fputs("\"/>\n", f);
    for (size_t s = 0; s < n_names; s++) {
        const char *col = palette[s % N_PALETTE];
        /* the series' points in worker order: a line through them */
        double px[256], py[256];
        size_t np = 0;
        for (size_t i = 0; i < r->n_cells && np < 256; i++) {
            const struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w || !isfinite(c->speedup) || !(c->sweep > 0) ||
                strcmp(c->series, names[s]) != 0)
                continue;
            size_t k = np++;
            while (k > 0 && px[k - 1] > c->sweep) {
                px[k] = px[k - 1];
                py[k] = py[k - 1];
                k--;
            }
            px[k] = c->sweep;
            py[k] = c->speedup;
        }
        if (np > 1) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
            for (size_t k = 0; k < np; k++)
                fprintf(f, "%.1f,%.1f ", ax(&x, px[k]), ax(&y, py[k]));
            fputs("\"/>\n", f);
        }
        for (size_t i = 0; i < r->n_cells; i++) {
            const struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w || !isfinite(c->speedup) || !(c->sweep > 0) ||
                strcmp(c->series, names[s]) != 0)
                continue;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" "
                    "stroke=\"#fff\"><title>", ax(&x, c->sweep), ax(&y, c->speedup), col);
            cl_xml_escape(f, c->strategy);
            fprintf(f, ": %.2fx with %g, efficiency %.0f%%</title></circle>\n",
                    c->speedup, c->sweep, c->efficiency * 100);
        }
        double ly = top + 8 + (double)s * 20;
        fprintf(f, "<path d=\"M%.1f %.1fh18\" stroke=\"%s\" stroke-width=\"2\"/>"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" stroke=\"#fff\"/>\n",
                right + 18, ly - 3, col, right + 27, ly - 3, col);
        text(f, right + 40, ly + 1, "start", 12, "fill=\"#222\"", names[s]);
    }
    double ly = top + 8 + (double)n_names * 20;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
            "stroke-dasharray=\"6 4\"/>\n", right + 20, ly - 2, right + 34, ly - 2);
    text(f, right + 40, ly + 1, "start", 12, "fill=\"#555\"", "ideal");
    free(names);
    svg_end(f);
}

/* ---- timelines ------------------------------------------------------------------ */

struct bar {
    double start, end;
    uint64_t task;
    unsigned worker;
    int cpu;
    char status; /* 'o' ok, 'f' failed, 'u' unfinished */
};

struct timeline {
    size_t n, cap;
    struct bar *bars;
    size_t missing;   /* tasks that never ran */
    int present;      /* tasks.csv has this cell */
};

static size_t find_cell(const struct cl_run_report *r, const char *name, size_t hint)
{
    if (hint < r->n_cells && strcmp(r->cells[hint].name, name) == 0)
        return hint;
    for (size_t i = 0; i < r->n_cells; i++)
        if (strcmp(r->cells[i].name, name) == 0)
            return i;
    return SIZE_MAX;
}

/* The first measured repetition of every cell, from tasks.csv.  1 if the
 * file is there, 0 if not, -1 on a read error (message in err). */
static int load_timelines(const struct cl_run_report *r, struct timeline *tl,
                          char *err, size_t errlen)
{
    char *path = cl_xasprintf("%s/tasks.csv", r->dir);
    struct cl_csv_in in;
    if (cl_csv_open(&in, path) != 0) {
        int rc = errno == ENOENT ? 0 : -1;
        if (rc)
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        free(path);
        return rc;
    }
    free(path);
    struct cl_csv_row h, row;
    if (cl_csv_next(&in, &h) != 1) {
        cl_csv_close(&in);
        return 1; /* empty: the cells simply have no records */
    }
    long c_cell = cl_csv_col(&h, "cell"), c_rep = cl_csv_col(&h, "repetition"),
         c_task = cl_csv_col(&h, "task"), c_worker = cl_csv_col(&h, "worker"),
         c_cpu = cl_csv_col(&h, "cpu"), c_start = cl_csv_col(&h, "start_s"),
         c_end = cl_csv_col(&h, "end_s"), c_status = cl_csv_col(&h, "status");
    size_t hint = 0;
    while (cl_csv_next(&in, &row) == 1) {
        if (atoi(cl_csv_get(&row, c_rep)) == 1) {
            size_t ci = find_cell(r, cl_csv_get(&row, c_cell), hint);
            if (ci != SIZE_MAX) {
                hint = ci;
                struct timeline *t = &tl[ci];
                const char *st = cl_csv_get(&row, c_status);
                t->present = 1;
                if (!*cl_csv_get(&row, c_worker) || !*cl_csv_get(&row, c_start)) {
                    t->missing++;
                } else {
                    if (t->n == t->cap) {
                        t->cap = t->cap ? 2 * t->cap : 256;
                        t->bars = cl_xrealloc(t->bars, t->cap * sizeof *t->bars);
                    }
                    struct bar *b = &t->bars[t->n++];
                    b->task = strtoull(cl_csv_get(&row, c_task), NULL, 10);
                    b->worker = (unsigned)strtoul(cl_csv_get(&row, c_worker), NULL, 10);
                    b->cpu = *cl_csv_get(&row, c_cpu) ? atoi(cl_csv_get(&row, c_cpu)) : -1;
                    b->start = strtod(cl_csv_get(&row, c_start), NULL);
                    b->end = *cl_csv_get(&row, c_end) ? strtod(cl_csv_get(&row, c_end), NULL) : NAN;
                    b->status = !strcmp(st, "ok") ? 'o' : !strcmp(st, "failed") ? 'f' : 'u';
                }
            }
        }
        cl_csv_row_free(&row);
    }
    cl_csv_row_free(&h);
    cl_csv_close(&in);
    return 1;
}

static int cmp_unsigned(const void *a, const void *b)
{
    unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;
    return (x > y) - (x < y);
}

/* Distinct worker ids, ascending; returns how many. */
static size_t worker_ids(const struct timeline *t, unsigned **out)
{
    unsigned *ids = cl_xmalloc((t->n ? t->n : 1) * sizeof *ids);
    for (size_t i = 0; i < t->n; i++)
        ids[i] = t->bars[i].worker;
    qsort(ids, t->n, sizeof *ids, cmp_unsigned);
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++)
        if (n == 0 || ids[n - 1] != ids[i])
            ids[n++] = ids[i];
    *out = ids;
    return n;
}

static long lane_of(const unsigned *ids, size_t n, unsigned worker)
{
    const unsigned *p = bsearch(&worker, ids, n, sizeof *ids, cmp_unsigned);
    return p ? (long)(p - ids) : -1;
}

static double rep1_wall(const struct cl_rcell *c)
{
    for (size_t i = 0; i < c->n_reps; i++)
        if (c->reps[i].repetition == 1)
            return c->reps[i].wall_s;
    return NAN;
}

/* Where a drawn bar goes: tasks that overlap on one worker (a coroutine
 * strategy's, say) are stacked in rows of their lane, first fit by start. */
struct placed {
    size_t bar;     /* index into the timeline */
    size_t lane;
    double start;
    size_t row;     /* global row */
    int shade;      /* alternates along a row, so neighbours differ */
};

#define MAX_ROWS_PER_LANE 32

static int by_lane_start(const void *x, const void *y)
{
    const struct placed *a = x, *b = y;
    if (a->lane != b->lane)
        return a->lane < b->lane ? -1 : 1;
    return (a->start > b->start) - (a->start < b->start);
}

/* Place the bars of the first `lanes` workers; returns the rows used and
 * sets lane_row[l] (first row of lane l; lane_row[lanes] = total). */
static size_t place_bars(const struct timeline *t, const unsigned *ids, size_t lanes,
                         struct placed *pl, size_t *n_pl, size_t *lane_row,
                         int *stacked)
{
    size_t n = 0;
    for (size_t i = 0; i < t->n; i++) {
        long l = lane_of(ids, lanes, t->bars[i].worker);
        if (l >= 0)
            pl[n++] = (struct placed){i, (size_t)l, t->bars[i].start, 0, 0};
    }
    qsort(pl, n, sizeof *pl, by_lane_start);
    double row_end[MAX_ROWS_PER_LANE];
    int shade[MAX_ROWS_PER_LANE];
    size_t rows = 0, i = 0;
    *stacked = 0;
    for (size_t l = 0; l < lanes; l++) {
        size_t used = 1;
        row_end[0] = -INFINITY;
        shade[0] = 0;
        for (; i < n && pl[i].lane == l; i++) {
            const struct bar *b = &t->bars[pl[i].bar];
            double end = isfinite(b->end) ? b->end : INFINITY;
            size_t r = 0;
            while (r < used && row_end[r] > b->start + 1e-9)
                r++;
            if (r == used) {
                if (used < MAX_ROWS_PER_LANE) {
                    row_end[used] = -INFINITY;
                    shade[used++] = 0;
                } else {
                    r = 0; /* more at once than rows: they overlap again */
                    for (size_t k = 1; k < used; k++)
                        if (row_end[k] < row_end[r])
                            r = k;
                    *stacked = 2;
                }
            }
            row_end[r] = end;
            pl[i].row = rows + r;
            pl[i].shade = shade[r]++ % 2;
        }
        if (used > 1 && !*stacked)
            *stacked = 1;
        lane_row[l] = rows;
        rows += used;
    }
    lane_row[lanes] = rows;
    *n_pl = n;
    return rows;
}

/* What a timeline left out, in words ("" when nothing). */
static void timeline_note(char *note, size_t size, const struct timeline *t,
                          size_t lanes, size_t n_ids, size_t drawn, size_t n_pl,
                          size_t stride, int stacked)
{
    size_t len = 0;
    note[0] = '\0';
    if (t->missing)
        len += (size_t)snprintf(note + len, size - len, "%zu task%s never ran · ",
                                t->missing, t->missing == 1 ? "" : "s");
    if (n_ids > lanes && len < size)
        len += (size_t)snprintf(note + len, size - len,
                                "showing %zu of %zu workers · ", lanes, n_ids);
    if (stride > 1 && len < size)
        len += (size_t)snprintf(note + len, size - len,
                                "%zu of their %zu tasks drawn (1 in %zu ok ones, every "
                                "failed one) · ", drawn, n_pl, stride);
    if (stacked == 2 && len < size)
        len += (size_t)snprintf(note + len, size - len,
                                "over %d tasks at once on a worker: some overlap · ",
                                MAX_ROWS_PER_LANE);
    if (len > 4 && len < size)
        note[len - 4] = '\0'; /* the last " · " (the dot takes two bytes) */
}

static void plot_timeline(FILE *f, const struct cl_rcell *c, const struct timeline *t)
{
    unsigned *ids = NULL;
    size_t n_ids = worker_ids(t, &ids);
    size_t lanes = n_ids > CL_PLOT_MAX_LANES ? CL_PLOT_MAX_LANES : n_ids;
    struct placed *pl = cl_xmalloc((t->n ? t->n : 1) * sizeof *pl);
    size_t *lane_row = cl_xcalloc(lanes + 1, sizeof *lane_row);
    size_t n_pl = 0;
    int stacked = 0;
    size_t rows = place_bars(t, ids, lanes, pl, &n_pl, lane_row, &stacked);
    size_t n_bad = 0;
    double wall1 = rep1_wall(c), tmax = isfinite(wall1) ? wall1 : 0;
    for (size_t i = 0; i < n_pl; i++) {
        const struct bar *b = &t->bars[pl[i].bar];
        n_bad += b->status != 'o';
        tmax = fmax(tmax, isfinite(b->end) ? b->end : b->start);
    }
    if (!(tmax > 0))
        tmax = 1e-3;
    /* beyond the cap, every stride-th ok task (failed ones all stay) */
    size_t stride = n_pl > CL_PLOT_MAX_BARS
                        ? (n_pl - n_bad + CL_PLOT_MAX_BARS - 1) / CL_PLOT_MAX_BARS : 1;
    if (stride < 1)
        stride = 1;
    size_t drawn = 0, seen = 0;
    for (size_t i = 0; i < n_pl; i++)
        if (t->bars[pl[i].bar].status != 'o' || seen++ % stride == 0)
            drawn++;
    char note[400];
    timeline_note(note, sizeof note, t, lanes, n_ids, drawn, n_pl, stride, stacked);
    double row_h = rows ? fmin(22, fmax(1.5, 400.0 / (double)rows)) : 22;
    double width = 960, left = 96, right = width - 24, top = 60;
    double plot_h = (double)(rows ? rows : 1) * row_h;
    double height = top + plot_h + 84 + (*note ? 22 : 0);

    char title[600], sub[400], wall[32];
    snprintf(title, sizeof title, "Timeline: %s", c->name);
    snprintf(sub, sizeof sub, "repetition 1 · %zu task%s on %zu worker%s · wall %s · "
             "a bar is a task from start to end%s",
             t->n + t->missing, t->n + t->missing == 1 ? "" : "s", n_ids,
             n_ids == 1 ? "" : "s", cl_fmt_dur(wall1, wall, sizeof wall),
             stacked ? "; tasks overlapping on a worker are stacked" : "");
    svg_begin(f, width, height, title);
    heading(f, 12, width, title, sub);
    struct tunit u = time_unit(tmax);
    struct axis x = {0, tmax * 1.02, left, right, 0};
    char xlabel[64];
    snprintf(xlabel, sizeof xlabel, "time since the strategy started (%s)", u.name);
    x_axis(f, &x, top + plot_h + 4, top - 4, u.mul, xlabel);

    /* lanes: a label (with the CPU when the worker stayed on one), a rule
     * between lanes of several rows */
    double lane_step = 0;
    for (size_t l = 0; l < lanes; l++) {
        double y0 = top + (double)lane_row[l] * row_h;
        double lh = (double)(lane_row[l + 1] - lane_row[l]) * row_h;
        if (stacked && l > 0)
            fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                    "stroke=\"#bbb\"/>\n", left - 40, y0, right, y0);
        if (y0 + lh / 2 < lane_step)
            continue; /* labels would collide: every few lanes */
        int cpu = -2;
        for (size_t i = 0; i < t->n && cpu != -1; i++)
            if (t->bars[i].worker == ids[l])
                cpu = cpu == -2 || cpu == t->bars[i].cpu ? t->bars[i].cpu : -1;
        char label[48];
        if (cpu >= 0 && lh >= 10)
            snprintf(label, sizeof label, "w%u · cpu %d", ids[l], cpu);
        else
            snprintf(label, sizeof label, "w%u", ids[l]);
        text(f, left - 6, y0 + lh / 2 + 4, "end", lh >= 12 ? 11 : 9, "fill=\"#444\"", label);
        lane_step = y0 + lh / 2 + 10;
    }
    if (isfinite(wall1)) {
        double xe = ax(&x, wall1);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#555\" "
                "stroke-dasharray=\"4 3\"><title>run() returned</title></line>\n",
                xe, top - 4, xe, top + plot_h);
    }

    size_t seen_ok = 0, counts[3] = {0, 0, 0};
    double gap = row_h >= 8 ? 1.5 : row_h >= 3 ? 0.5 : 0;
    for (size_t i = 0; i < n_pl; i++) {
        const struct bar *b = &t->bars[pl[i].bar];
        counts[b->status == 'o' ? 0 : b->status == 'f' ? 1 : 2]++;
        if (b->status == 'o' && seen_ok++ % stride != 0)
            continue;
        double end = isfinite(b->end) ? b->end : tmax;
        double x0 = ax(&x, b->start), x1 = ax(&x, end);
        const char *fill = b->status == 'o' ? (pl[i].shade ? C_OK2 : C_OK)
                           : b->status == 'f' ? C_FAILED : C_UNFINISHED;
        char s1[32], s2[32];
        fprintf(f, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" "
                "fill=\"%s\"><title>task %llu: %s to %s, %s, worker %u, cpu %d</title></rect>\n",
                x0, top + (double)pl[i].row * row_h + gap / 2, fmax(x1 - x0, 0.6),
                row_h - gap, fill, (unsigned long long)b->task,
                cl_fmt_dur(b->start, s1, sizeof s1), cl_fmt_dur(end, s2, sizeof s2),
                b->status == 'o' ? "ok" : b->status == 'f' ? "failed" : "unfinished",
                b->worker, b->cpu);
    }

    /* legend, and what was left out */
    double ly = top + plot_h + 58, lx = left;
    const char *lname[3] = {"ok", "failed", "unfinished"};
    const char *lcol[3] = {C_OK, C_FAILED, C_UNFINISHED};
    for (int k = 0; k < 3; k++) {
        char buf[64];
        snprintf(buf, sizeof buf, "%s (%zu)", lname[k], counts[k]);
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"12\" height=\"12\" fill=\"%s\"/>\n",
                lx, ly - 10, lcol[k]);
        text(f, lx + 17, ly, "start", 11.5, "fill=\"#333\"", buf);
        lx += 30 + text_w(buf, 11.5);
    }
    if (*note)
        text(f, left, ly + 22, "start", 11.5, "fill=\"#a33\"", note);
    free(lane_row);
    free(pl);
    free(ids);
    svg_end(f);
}

/* ---- files ---------------------------------------------------------------------- */

typedef void (*draw_fn)(FILE *f, const struct cl_run_report *r, size_t i,
                        const void *extra);

/* Draw one figure: into out_dir/name and, inline, into the HTML. */
static int figure(FILE *html, const char *out_dir, const char *name, const char *id,
                  const char *caption, draw_fn draw, const struct cl_run_report *r,
                  size_t i, const void *extra, char *err, size_t errlen)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    if (!m) {
        snprintf(err, errlen, "out of memory drawing %s", name);
        return -1;
    }
    draw(m, r, i, extra);
    if (fclose(m) != 0) {
        free(buf);
        snprintf(err, errlen, "out of memory drawing %s", name);
        return -1;
    }
    char *path = cl_xasprintf("%s/%s", out_dir, name);
    FILE *f = fopen(path, "w");
    int ok = f && fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f) >= 0 &&
             fwrite(buf, 1, len, f) == len;
    if (f && fclose(f) != 0)
        ok = 0;
    if (!ok)
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
    free(path);
    if (ok) {
        fprintf(html, "<figure class=\"plot\" id=\"%s\">\n", id);
        fwrite(buf, 1, len, html);
        fprintf(html, "<figcaption>");
        cl_xml_escape(html, caption);
        fprintf(html, " · <a href=\"%s\">%s</a></figcaption>\n</figure>\n", name, name);
    }
    free(buf);
    return ok ? 0 : -1;
}

static void draw_wall(FILE *f, const struct cl_run_report *r, size_t w, const void *x)
{
    (void)x;
    plot_wall(f, r, w);
}

static void draw_speedup(FILE *f, const struct cl_run_report *r, size_t w, const void *x)
{
    (void)x;
    plot_speedup(f, r, w);
}

static void draw_timeline(FILE *f, const struct cl_run_report *r, size_t c, const void *x)
{
    plot_timeline(f, &r->cells[c], x);
}

static const char html_style[] =
    "<style>\n"
    "body{font-family:" FONT ";color:#222;max-width:1000px;margin:24px auto;padding:0 16px;"
    "line-height:1.4}\n"
    "h1{margin-bottom:4px}h2{margin-top:40px;border-bottom:1px solid #ddd;padding-bottom:4px}\n"
    ".meta{color:#555;margin-top:0}\n"
    "table.summary{border-collapse:collapse;font-size:13px;margin:12px 0}\n"
    "table.summary caption{text-align:left;color:#555;padding-bottom:4px}\n"
    "table.summary th,table.summary td{padding:3px 8px;border-bottom:1px solid #eee;"
    "white-space:nowrap}\n"
    "table.summary th{text-align:left;background:#f6f6f6}\n"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}\n"
    "tr.fastest td{background:#eef7ec;font-weight:600}\n"
    "ul.warnings{background:#fff8e6;border-left:4px solid #e8a33d;padding:8px 8px 8px 28px;"
    "font-size:13px}\n"
    "figure.plot{margin:16px 0}figure.plot svg{max-width:100%;height:auto}\n"
    "figcaption{font-size:12px;color:#666}\n"
    "p.note{color:#666;font-style:italic}\n"
    "nav a{margin-right:12px}\n"
    "</style>\n";

static int write_html_head(FILE *html, const struct cl_run_report *r)
{
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>conlab: ", html);
    cl_xml_escape(html, r->experiment ? r->experiment : "run");
    fputs("</title>\n", html);
    fputs(html_style, html);
    fputs("</head>\n<body>\n", html);
    cl_report_html_header(html, r);
    fputs("<nav>", html);
    for (size_t w = 0; w < r->n_workloads; w++) {
        fprintf(html, "<a href=\"#workload-%zu\">", w + 1);
        cl_xml_escape(html, r->workloads[w]);
        fputs("</a> ", html);
    }
    fputs("<a href=\"#timelines\">timelines</a></nav>\n", html);
    return ferror(html) ? -1 : 0;
}

static int plot_all(const struct cl_run_report *r, const char *out_dir, FILE *html,
                    FILE *log, char *err, size_t errlen)
{
    size_t n_fig = 0;
    if (write_html_head(html, r) != 0)
        goto write_error;
    for (size_t w = 0; w < r->n_workloads; w++) {
        fprintf(html, "<section>\n<h2 id=\"workload-%zu\">", w + 1);
        cl_xml_escape(html, r->workloads[w]);
        fputs("</h2>\n", html);
        cl_report_html_workload(html, r, w);
        char name[64], id[64];
        snprintf(name, sizeof name, "wall-%zu.svg", w + 1);
        snprintf(id, sizeof id, "wall-%zu", w + 1);
        if (figure(html, out_dir, name, id, "wall time per strategy", draw_wall, r,
                   w, NULL, err, errlen) != 0)
            return -1;
        n_fig++;
        const char *why = speedup_missing(r, w);
        if (why) {
            fputs("<p class=\"note\">", html);
            cl_xml_escape(html, why);
            fputs("</p>\n", html);
        } else {
            snprintf(name, sizeof name, "speedup-%zu.svg", w + 1);
            snprintf(id, sizeof id, "speedup-%zu", w + 1);
            if (figure(html, out_dir, name, id, "speedup against workers", draw_speedup,
                       r, w, NULL, err, errlen) != 0)
                return -1;
            n_fig++;
        }
        fputs("</section>\n", html);
    }

    fputs("<section>\n<h2 id=\"timelines\">Timelines</h2>\n", html);
    struct timeline *tl = cl_xcalloc(r->n_cells + 1, sizeof *tl);
    int have = load_timelines(r, tl, err, errlen);
    int rc = 0;
    if (have < 0) {
        rc = -1;
    } else if (have == 0) {
        fputs("<p class=\"note\">No tasks.csv in this run, so no timelines: run with "
              "<code>conlab run --tasks</code> (or <code>record_tasks: true</code> in "
              "the spec) to record every task's worker, start and end.</p>\n", html);
        if (log)
            fprintf(log, "conlab plot: no tasks.csv: no timelines (run with --tasks "
                    "to record them)\n");
    } else {
        fputs("<p>The first measured repetition of each cell: one lane per worker, one "
              "bar per task from its start to its end (alternating shades tell "
              "neighbours apart); hover a bar for its figures.</p>\n", html);
        int digits = r->n_cells >= 100 ? 3 : 2;
        for (size_t c = 0; c < r->n_cells && rc == 0; c++) {
            if (!tl[c].n) {
                if (tl[c].present || r->cells[c].n_reps) {
                    fputs("<p class=\"note\">", html);
                    cl_xml_escape(html, r->cells[c].name);
                    fputs(": no task ran in repetition 1</p>\n", html);
                }
                continue;
            }
            char name[64], id[64];
            snprintf(name, sizeof name, "timeline-%0*zu.svg", digits, c + 1);
            snprintf(id, sizeof id, "timeline-%zu", c + 1);
            rc = figure(html, out_dir, name, id, r->cells[c].name, draw_timeline, r, c,
                        &tl[c], err, errlen);
            n_fig += rc == 0;
        }
    }
    for (size_t c = 0; c < r->n_cells; c++)
        free(tl[c].bars);
    free(tl);
    if (rc != 0)
        return -1;
    fprintf(html, "</section>\n<footer><p class=\"note\">%zu figures by conlab", n_fig);
    if (r->version) {
        fputc(' ', html);
        cl_xml_escape(html, r->version);
    }
    fputs(" from ", html);
    cl_xml_escape(html, r->dir);
    fputs("; each is also a standalone SVG file beside this page.</p></footer>\n"
          "</body>\n</html>\n", html);
    if (ferror(html))
        goto write_error;
    if (log)
        fprintf(log, "conlab plot: %zu figures in %s/; open %s/report.html\n", n_fig,
                out_dir, out_dir);
    return 0;
write_error:
    snprintf(err, errlen, "cannot write %s/report.html: %s", out_dir, strerror(errno));
    return -1;
}

int cl_plot_dir(const char *dir, const char *out_dir, FILE *log, char *err,
                size_t errlen)
{
    struct cl_run_report *r = NULL;
    if (cl_report_load(dir, &r, err, errlen) != 0)
        return -1;
    char *own = out_dir ? NULL : cl_xasprintf("%s/plots", dir);
    const char *od = out_dir ? out_dir : own;
    int rc = -1;
    if (cl_mkdirs(od) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", od, strerror(errno));
    } else {
        char *path = cl_xasprintf("%s/report.html", od);
        char *tmp = cl_xasprintf("%s.tmp", path);
        FILE *html = fopen(tmp, "w");
        if (!html) {
            snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        } else {
            rc = plot_all(r, od, html, log, err, errlen);
            if (fclose(html) != 0 && rc == 0) {
                snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
                rc = -1;
            }
            if (rc == 0 && rename(tmp, path) != 0) {
                snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
                rc = -1;
            }
            if (rc != 0)
                unlink(tmp);
        }
        free(tmp);
        free(path);
    }
    free(own);
    cl_report_free(r);
    return rc;
}

static const char plot_help[] =
    "usage: conlab plot DIR [-o OUT]\n"
    "\n"
    "Draws the run in DIR as SVG figures and one report.html that shows them\n"
    "with the summary tables and warnings (the page needs no network and no\n"
    "script; the SVGs are inline, so it can travel alone).  Into OUT (default\n"
    "DIR/plots/):\n"
    "\n"
    "  wall-W.svg       wall time per strategy of workload variant W: bars of\n"
    "                   the mean, whiskers of the 95% CI, a tick at the median\n"
    "  speedup-W.svg    speedup against workers (or concurrency) per strategy,\n"
    "                   with the ideal line, when the cells span worker counts\n"
    "  timeline-C.svg   cell C's first measured repetition: a lane per worker,\n"
    "                   a bar per task from start to end, coloured by status\n"
    "                   (at most 64 workers and 5,000 tasks drawn, failed tasks\n"
    "                   always; the figure says what it left out).  Needs\n"
    "                   tasks.csv: run with --tasks.\n"
    "  report.html      all of the above\n"
    "\n"
    "Exit status: 0; 2 bad command line or DIR unreadable; 3 cannot write.\n";

int cl_cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'h': fputs(plot_help, stdout); return 0;
        default:
            fprintf(stderr, "see 'conlab plot --help'\n");
            return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "conlab plot: one run directory, please; see "
                "'conlab plot --help'\n");
        return CL_EXIT_USAGE;
    }
    char err[1024];
    struct stat st;
    if (stat(argv[optind], &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "conlab plot: %s: not a directory\n", argv[optind]);
        return CL_EXIT_USAGE;
    }
    if (cl_plot_dir(argv[optind], out, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "conlab plot: %s\n", err);
        return strstr(err, "cannot write") || strstr(err, "cannot create")
                   ? CL_EXIT_INTERNAL : CL_EXIT_USAGE;
    }
    return 0;
}

/* plot_xy.c — see plot_xy.h.
 *
 * Each point is a cell; points of one series are joined in x order.  A
 * series takes its strategy plugin's colour (cl_plugin_colour), and the
 * series of one plugin take different marker shapes and dashes; markers have
 * a white outline, and each series is nudged sideways by a few pixels (the
 * same every time) so that coincident points stay visible.  Whiskers are
 * 95% intervals. */
#include "plot_xy.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"
#include "neutral.h"
#include "plot_svg.h"
#include "stats.h"
#include "util.h"

int cl_plot_y_parse(const char *s, enum cl_plot_y *out)
{
    static const enum cl_plot_y all[] = {CL_PLOT_Y_WALL, CL_PLOT_Y_SPEEDUP,
                                         CL_PLOT_Y_THROUGHPUT};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++)
        if (strcmp(s, cl_plot_y_name(all[i])) == 0) {
            *out = all[i];
            return 0;
        }
    return -1;
}

const char *cl_plot_y_name(enum cl_plot_y y)
{
    return y == CL_PLOT_Y_WALL ? "wall" : y == CL_PLOT_Y_SPEEDUP ? "speedup" : "throughput";
}

/* ---- the parameter columns ------------------------------------------------------ */

/* The value of parameter `name` of variant v ("" when it has none). */
static const char *param_of(const struct cl_variant *v, const char *name)
{
    for (size_t i = 0; v && i < v->n_params; i++)
        if (strcmp(v->params[i].name, name) == 0)
            return v->params[i].value;
    return "";
}

void cl_plot_params_load(const struct cl_run_report *r, struct cl_plot_params *p)
{
    memset(p, 0, sizeof *p);
    p->n_cols = r->n_scols + r->n_wcols;
    p->cols = cl_xcalloc(p->n_cols + 1, sizeof *p->cols);
    for (size_t k = 0; k < r->n_scols; k++)
        p->cols[k] = cl_xasprintf("strategy.%s", r->scols[k]);
    for (size_t k = 0; k < r->n_wcols; k++)
        p->cols[r->n_scols + k] = cl_xasprintf("workload.%s", r->wcols[k]);
    p->n_cells = r->n_cells;
    p->values = cl_xcalloc(r->n_cells * p->n_cols + 1, sizeof *p->values);
    for (size_t c = 0; c < r->n_cells; c++) {
        const struct cl_cell *cell = &r->cells[c].cell;
        for (size_t k = 0; k < p->n_cols; k++)
            p->values[c * p->n_cols + k] = cl_xstrdup(
                k < r->n_scols ? param_of(cell->strategy, r->scols[k])
                               : param_of(cell->workload, r->wcols[k - r->n_scols]));
    }
}

void cl_plot_params_free(struct cl_plot_params *p)
{
    for (size_t i = 0; i < p->n_cells * p->n_cols; i++)
        free(p->values ? p->values[i] : NULL);
    for (size_t i = 0; i < p->n_cols; i++)
        free(p->cols[i]);
    free(p->values);
    free(p->cols);
    memset(p, 0, sizeof *p);
}

static long col_of(const struct cl_plot_params *p, const char *name)
{
    for (size_t i = 0; i < p->n_cols; i++)
        if (strcmp(p->cols[i], name) == 0)
            return (long)i;
    return -1;
}

static const char *value_of(const struct cl_plot_params *p, size_t cell, long col)
{
    return col >= 0 && cell < p->n_cells ? p->values[cell * p->n_cols + (size_t)col] : "";
}

int cl_plot_opts_check(const struct cl_plot_opts *o, const struct cl_plot_params *p,
                       char *err, size_t errlen)
{
    const char *bad = NULL, *what = NULL;
    if (strcmp(o->x, "workers") != 0 && col_of(p, o->x) < 0)
        bad = o->x, what = "--x";
    else if (strcmp(o->by, "strategy") != 0 && col_of(p, o->by) < 0)
        bad = o->by, what = "--by";
    if (!bad)
        return 0;
    size_t n = (size_t)snprintf(err, errlen, "%s %s: no such column in results.csv; "
                                "there are: workers", what, bad);
    for (size_t i = 0; i < p->n_cols && n < errlen; i++)
        n += (size_t)snprintf(err + n, errlen - n, ", %s", p->cols[i]);
    return -1;
}

/* ---- which cells, which series ------------------------------------------------ */

static int is_workload_col(const char *name)
{
    return strncmp(name, "workload.", 9) == 0;
}

/* 1 when column k is the x axis (workers: both worker-count columns). */
static int is_x(const struct cl_plot_opts *o, const char *col)
{
    if (strcmp(o->x, "workers") == 0)
        return !strcmp(col, "strategy.workers") || !strcmp(col, "strategy.concurrency");
    return strcmp(o->x, col) == 0;
}

/* The workload plugin of a cell: its workload label up to '('. */
static char *workload_plugin(const struct cl_rcell *c)
{
    const char *l = c->cell.workload->label;
    return cl_xasprintf("%.*s", (int)strcspn(l, "("), l);
}

/* Append "(name=value" or ",name=value" to the label *s (owned, replaced);
 * with name NULL, close it: ")" when anything was appended. */
static void label_add(char **s, size_t *added, const char *name, const char *value)
{
    char *t = name ? cl_xasprintf("%s%s%s=%s", *s, (*added)++ ? "," : "(", name, value)
              : *added ? cl_xasprintf("%s)", *s) : NULL;
    if (t) {
        free(*s);
        *s = t;
    }
}

/* The figure a cell belongs to when x or by is a workload column: its
 * workload plugin and every other workload parameter. */
static char *facet_key(const struct cl_run_report *r, const struct cl_plot_params *p,
                       const struct cl_plot_opts *o, size_t cell)
{
    char *key = workload_plugin(&r->cells[cell]);
    size_t added = 0;
    for (size_t k = 0; k < p->n_cols; k++) {
        const char *v = value_of(p, cell, (long)k);
        if (!is_workload_col(p->cols[k]) || !*v || is_x(o, p->cols[k]) ||
            strcmp(o->by, p->cols[k]) == 0)
            continue;
        label_add(&key, &added, p->cols[k] + 9, v);
    }
    label_add(&key, &added, NULL, NULL);
    return key;
}

size_t cl_xy_figures(const struct cl_run_report *r, const struct cl_plot_params *p,
                     const struct cl_plot_opts *o, struct cl_xy_fig **out)
{
    struct cl_xy_fig *figs = cl_xcalloc(r->n_cells + r->n_workloads + 1, sizeof *figs);
    size_t n = 0;
    int by_workload = is_workload_col(o->x) || is_workload_col(o->by);
    if (!by_workload) {
        for (size_t w = 0; w < r->n_workloads; w++) {
            figs[n].title = cl_xstrdup(r->workloads[w]->label);
            figs[n].cells = cl_xcalloc(r->n_cells + 1, sizeof *figs[n].cells);
            for (size_t c = 0; c < r->n_cells; c++)
                if (r->cells[c].workload_ix == w)
                    figs[n].cells[figs[n].n++] = c;
            n++;
        }
    } else {
        for (size_t c = 0; c < r->n_cells; c++) {
            char *key = facet_key(r, p, o, c);
            size_t f = 0;
            while (f < n && strcmp(figs[f].title, key) != 0)
                f++;
            if (f == n) {
                figs[n].title = key;
                figs[n++].cells = cl_xcalloc(r->n_cells + 1, sizeof *figs[f].cells);
            } else {
                free(key);
            }
            figs[f].cells[figs[f].n++] = c;
        }
    }
    *out = figs;
    return n;
}

void cl_xy_figures_free(struct cl_xy_fig *figs, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(figs[i].title);
        free(figs[i].cells);
    }
    free(figs);
}

/* A cell's series within a figure: its strategy plugin and the strategy
 * parameters that vary between that plugin's cells of the figure, but x;
 * then the --by column's value when that is a workload parameter. */
static char *series_of(const struct cl_run_report *r, const struct cl_plot_params *p,
                       const struct cl_plot_opts *o, const struct cl_xy_fig *fig, size_t cell)
{
    const struct cl_rcell *c = &r->cells[cell];
    char *s = cl_xstrdup(c->plugin);
    size_t added = 0;
    for (size_t k = 0; k < p->n_cols; k++) {
        if (is_workload_col(p->cols[k]) || is_x(o, p->cols[k]))
            continue;
        const char *v = value_of(p, cell, (long)k);
        int varies = 0;
        for (size_t j = 0; j < fig->n && !varies; j++)
            varies = !strcmp(r->cells[fig->cells[j]].plugin, c->plugin) &&
                     strcmp(value_of(p, fig->cells[j], (long)k), v) != 0;
        if (!varies || !*v)
            continue;
        label_add(&s, &added, p->cols[k] + 9, v);
    }
    label_add(&s, &added, NULL, NULL);
    if (is_workload_col(o->by)) {
        char *t = cl_xasprintf("%s · %s=%s", s, o->by + 9,
                               value_of(p, cell, col_of(p, o->by)));
        free(s);
        s = t;
    }
    return s;
}

/* ---- the values ---------------------------------------------------------------- */

/* A point: y and its 95% interval (lo = hi = y when there is none). */
struct yval {
    double y, lo, hi;
};

/* The interval of a speedup: the bootstrap interval of the ratio of medians
 * the run directory's model computed (cl_cell_speedup), when it has one. */
static void speedup_interval(const struct cl_rcell *c, struct yval *v)
{
    v->lo = v->hi = v->y;
    if (isfinite(c->cell.speedup_lo) && isfinite(c->cell.speedup_hi)) {
        v->lo = fmin(v->y, c->cell.speedup_lo);
        v->hi = fmax(v->y, c->cell.speedup_hi);
    }
}

/* y of cell c: 1 with *v, or 0 when it has none. */
static int y_of(const struct cl_plot_opts *o,
                const struct cl_rcell *c, struct yval *v)
{
    if (!c->n_ok)
        return 0;
    if (o->y == CL_PLOT_Y_SPEEDUP) {
        if (!isfinite(c->cell.speedup) || !(c->cell.speedup > 0))
            return 0;
        v->y = c->cell.speedup;
        speedup_interval(c, v);
        return 1;
    }
    struct cl_summary s = c->cell.wall;
    if (o->y == CL_PLOT_Y_THROUGHPUT) {
        double *x = cl_xcalloc(c->cell.n_rows + 1, sizeof *x);
        size_t n = 0;
        for (size_t i = 0; i < c->cell.n_rows; i++)
            if (c->cell.rows[i].status == CL_ST_OK && isfinite(c->cell.rows[i].throughput_per_s))
                x[n++] = c->cell.rows[i].throughput_per_s;
        cl_summarize(x, n, &s);
        free(x);
    }
    if (!(s.n > 0) || !isfinite(s.mean))
        return 0;
    v->y = s.mean;
    v->lo = s.n >= 2 && isfinite(s.ci95_lo) ? fmax(s.ci95_lo, 0) : s.mean;
    v->hi = s.n >= 2 && isfinite(s.ci95_hi) ? s.ci95_hi : s.mean;
    return 1;
}

/* x of a cell: the number, or NAN (empty, or not a number: categorical). */
static double x_num(const struct cl_plot_params *p, const struct cl_plot_opts *o,
                    const struct cl_rcell *c, size_t cell)
{
    if (strcmp(o->x, "workers") == 0)
        return c->sweep;
    return cl_csv_num(value_of(p, cell, col_of(p, o->x)));
}

static const char *x_text(const struct cl_plot_params *p, const struct cl_plot_opts *o,
                          const struct cl_rcell *c, size_t cell, char *buf, size_t len)
{
    if (strcmp(o->x, "workers") == 0) {
        if (isfinite(c->sweep))
            snprintf(buf, len, "%g", c->sweep);
        else if (len)
            buf[0] = '\0';
        return buf;
    }
    return value_of(p, cell, col_of(p, o->x));
}

/* ---- the figure ------------------------------------------------------------------ */

struct point {
    size_t cell, series;
    double x;          /* a number, or the category's position */
    struct yval v;
};

/* The figure's points, their series names and categories: what both
 * cl_xy_missing and cl_plot_xy need. */
struct layout {
    size_t n, n_series, n_cat;
    struct point *pt;
    char **series;     /* owned */
    const char **cat;  /* x values when categorical, borrowed; else n_cat 0 */
};

static void layout_make(const struct cl_run_report *r, const struct cl_plot_params *p,
                        const struct cl_plot_opts *o, const struct cl_xy_fig *fig,
                        struct layout *L)
{
    memset(L, 0, sizeof *L);
    L->pt = cl_xcalloc(fig->n + 1, sizeof *L->pt);
    L->series = cl_xcalloc(fig->n + 1, sizeof *L->series);
    L->cat = cl_xcalloc(fig->n + 1, sizeof *L->cat);
    int categorical = 0;
    char buf[64];
    for (size_t i = 0; i < fig->n; i++) {
        const struct cl_rcell *c = &r->cells[fig->cells[i]];
        const char *t = x_text(p, o, c, fig->cells[i], buf, sizeof buf);
        if (*t && !isfinite(x_num(p, o, c, fig->cells[i])))
            categorical = 1;
    }
    for (size_t i = 0; i < fig->n; i++) {
        size_t cell = fig->cells[i];
        const struct cl_rcell *c = &r->cells[cell];
        struct point pt = {.cell = cell};
        if (!y_of(o, c, &pt.v))
            continue;
        const char *t = x_text(p, o, c, cell, buf, sizeof buf);
        if (!*t)
            continue;
        if (categorical) {
            size_t k = 0;
            t = value_of(p, cell, col_of(p, o->x));
            while (k < L->n_cat && strcmp(L->cat[k], t) != 0)
                k++;
            if (k == L->n_cat)
                L->cat[L->n_cat++] = t;
            pt.x = (double)k + 1;
        } else {
            pt.x = x_num(p, o, c, cell);
        }
        char *s = series_of(r, p, o, fig, cell);
        size_t k = 0;
        while (k < L->n_series && strcmp(L->series[k], s) != 0)
            k++;
        if (k == L->n_series)
            L->series[L->n_series++] = s;
        else
            free(s);
        pt.series = k;
        L->pt[L->n++] = pt;
    }
}

static void layout_free(struct layout *L)
{
    for (size_t i = 0; i < L->n_series; i++)
        free(L->series[i]);
    free(L->series);
    free(L->pt);
    free(L->cat);
}

const char *cl_xy_missing(const struct cl_run_report *r, const struct cl_plot_params *p,
                          const struct cl_plot_opts *o, const struct cl_xy_fig *fig)
{
    struct layout L;
    layout_make(r, p, o, fig, &L);
    const char *why = NULL;
    size_t distinct = 0;
    for (size_t i = 0; i < L.n && distinct < 2; i++)
        distinct = L.pt[i].x != L.pt[0].x ? 2 : 1;
    if (!L.n)
        why = o->y == CL_PLOT_Y_SPEEDUP ? "no speedups: this workload has no ok sequential cell"
                                        : "no ok cell to draw";
    else if (distinct < 2)
        why = strcmp(o->x, "workers") == 0
                  ? "no speedup figure: the cells do not span two worker counts"
                  : "no figure: the cells do not span two values of x";
    layout_free(&L);
    return why;
}

/* The legend's entries: lines of text, wrapped. */
#define LEGEND_ROOM 360.0
#define LEGEND_LINES 8

static double legend_width(const struct layout *L)
{
    double w = cl_svg_text_w("ideal", 12);
    for (size_t s = 0; s < L->n_series; s++)
        w = fmax(w, fmin(cl_svg_text_w(L->series[s], 12), LEGEND_ROOM));
    return w;
}

/* Draw the legend entry of series s at y; returns the y of the next one. */
static double legend_entry(FILE *f, double x, double y, const char *text, const char *col,
                           unsigned style, int marker)
{
    fprintf(f, "<path d=\"M%.1f %.1fh22\" stroke=\"%s\" stroke-width=\"2\"%s%s%s/>\n", x,
            y - 4, col, *cl_svg_dash(style) ? " stroke-dasharray=\"" : "",
            cl_svg_dash(style), *cl_svg_dash(style) ? "\"" : "");
    if (marker) {
        cl_svg_marker(f, style, x + 11, y - 4, col);
        fputs("/>\n", f);
    }
    size_t st[LEGEND_LINES], en[LEGEND_LINES];
    size_t n = cl_svg_wrap(text, 12, LEGEND_ROOM, st, en, LEGEND_LINES);
    for (size_t k = 0; k < n; k++) {
        char *line = cl_xasprintf("%.*s", (int)(en[k] - st[k]), text + st[k]);
        char buf[1024];
        cl_svg_text(f, x + 28, y + (double)k * 15, "start", 12, "fill=\"#222\"",
                    cl_svg_fit(line, 12, LEGEND_ROOM, buf, sizeof buf));
        free(line);
    }
    return y + (double)(n ? n : 1) * 15 + 6;
}

static const char *y_label(const struct cl_plot_opts *o, const struct cl_tunit *u, int logy,
                           char *buf, size_t len)
{
    if (o->y == CL_PLOT_Y_SPEEDUP)
        snprintf(buf, len, "speedup (x%s)", logy ? ", log scale" : "");
    else if (o->y == CL_PLOT_Y_WALL)
        snprintf(buf, len, "wall time (%s)", u->name);
    else
        snprintf(buf, len, "throughput (tasks/s)");
    return buf;
}

void cl_plot_xy(FILE *f, const struct cl_run_report *r, const struct cl_plot_params *p,
                const struct cl_plot_opts *o, const struct cl_xy_fig *fig, size_t id)
{
    struct layout L;
    layout_make(r, p, o, fig, &L);
    int workers = strcmp(o->x, "workers") == 0;
    double xlo = INFINITY, xhi = -INFINITY, ylo = INFINITY, yhi = 0;
    for (size_t i = 0; i < L.n; i++) {
        xlo = fmin(xlo, L.pt[i].x);
        xhi = fmax(xhi, L.pt[i].x);
        yhi = fmax(yhi, L.pt[i].v.hi);
        if (L.pt[i].v.lo > 0)
            ylo = fmin(ylo, L.pt[i].v.lo);
    }
    if (!L.n)
        xlo = 0, xhi = 1;
    if (o->y == CL_PLOT_Y_SPEEDUP)
        ylo = fmin(ylo, 1), yhi = fmax(yhi, 1);
    if (!(yhi > 0) || !isfinite(yhi))
        yhi = 1;
    if (!isfinite(ylo))
        ylo = yhi / 2;
    struct cl_tunit u = cl_time_unit(o->y == CL_PLOT_Y_WALL ? yhi : 1);
    double ymul = o->y == CL_PLOT_Y_WALL ? u.mul : 1;
    if (workers)
        xlo = fmin(xlo, 1);
    int logx = !L.n_cat && xlo > 0 && xhi / xlo >= 8;
    int logy = logx && o->y == CL_PLOT_Y_SPEEDUP; /* the ideal stays straight */
    double lw = legend_width(&L);
    double left = 70, right = 690, top = 60, width = right + 24 + 28 + lw + 16;
    double legend_h = 8;
    for (size_t s = 0; s < L.n_series; s++) {
        size_t st[LEGEND_LINES], en[LEGEND_LINES];
        legend_h += (double)cl_svg_wrap(L.series[s], 12, LEGEND_ROOM, st, en, LEGEND_LINES) * 15 + 6;
    }
    double height = fmax(440, top + legend_h + 40), bottom = height - 56;
    struct cl_axis x;
    if (L.n_cat)
        x = (struct cl_axis){0.5, (double)L.n_cat + 0.5, left, right, 0};
    else if (logx)
        x = (struct cl_axis){xlo / 1.15, xhi * 1.15, left, right, 1};
    else if (xlo >= 0 && xhi > 0)
        x = (struct cl_axis){0, xhi * 1.08, left, right, 0};
    else {
        double pad = xhi > xlo ? (xhi - xlo) * 0.08 : 1;
        x = (struct cl_axis){xlo - pad, xhi + pad, left, right, 0};
    }
    struct cl_axis y = {logy ? ylo / 1.2 : 0, yhi * (logy ? 1.25 : 1.15), bottom, top, logy};
    char title[1024], sub[512], xl[300], yl[64];
    const char *what = o->y == CL_PLOT_Y_SPEEDUP ? "Speedup"
                       : o->y == CL_PLOT_Y_WALL  ? "Wall time"
                                                 : "Throughput";
    if (workers)
        snprintf(title, sizeof title, "%s: %s", what, fig->title);
    else
        snprintf(title, sizeof title, "%s against %s: %s", what, o->x, fig->title);
    snprintf(sub, sizeof sub, "%s; whiskers: 95%% intervals%s; points nudged sideways a "
             "little to keep coincident ones apart",
             o->y == CL_PLOT_Y_SPEEDUP ? "sequential mean / mean"
             : o->y == CL_PLOT_Y_WALL ? "mean wall time of the ok repetitions"
                                      : "mean tasks per second of the ok repetitions",
             o->y == CL_PLOT_Y_SPEEDUP && workers ? "; dashed: ideal (speedup = workers)" : "");
    cl_svg_begin(f, width, height, title);
    cl_svg_heading(f, 12, width, title, sub);
    if (workers)
        snprintf(xl, sizeof xl, "workers / concurrency%s", logx ? " (log scale)" : "");
    else
        snprintf(xl, sizeof xl, "%s%s", o->x, logx ? " (log scale)" : "");
    if (L.n_cat) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#888\"/>\n",
                left, bottom, right, bottom);
        double room = (right - left) / (double)L.n_cat - 6;
        for (size_t k = 0; k < L.n_cat; k++) {
            char buf[256];
            cl_svg_text(f, cl_axis_at(&x, (double)k + 1), bottom + 15, "middle", 11,
                        "fill=\"#444\"", cl_svg_fit(L.cat[k], 11, room, buf, sizeof buf));
        }
        char buf[300];
        cl_svg_text(f, (left + right) / 2, bottom + 32, "middle", 11.5, "fill=\"#333\"",
                    cl_svg_fit(xl, 11.5, right - left, buf, sizeof buf));
    } else {
        char buf[300];
        cl_svg_x_axis(f, &x, bottom, top, 1, cl_svg_fit(xl, 11.5, right - left, buf, sizeof buf));
    }
    /* tick labels in the unit: an axis over the scaled values */
    struct cl_axis ys = {y.lo * ymul, y.hi * ymul, y.p0, y.p1, y.log};
    cl_svg_y_axis(f, &ys, left, right, y_label(o, &u, logy, yl, sizeof yl));
    if (o->y == CL_PLOT_Y_SPEEDUP && workers && !L.n_cat) {
        fprintf(f, "<clipPath id=\"clip-xy%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
                "height=\"%.1f\"/></clipPath>\n", id, left, top, right - left, bottom - top);
        fprintf(f, "<polyline clip-path=\"url(#clip-xy%zu)\" fill=\"none\" stroke=\"#999\" "
                "stroke-dasharray=\"6 4\" points=\"", id);
        for (int k = 0; k <= 64; k++) {
            double v = logx ? x.lo * pow(x.hi / x.lo, k / 64.0) : x.lo + (x.hi - x.lo) * k / 64.0;
            if (v <= 0)
                v = 1e-9;
            fprintf(f, "%.1f,%.1f ", cl_axis_at(&x, v), cl_axis_at(&y, v));
        }
        fputs("\"/>\n", f);
    }
    double ly = top + 8, lx = right + 24;
    double nudge = L.n_series > 1 ? fmin(5, 24.0 / (double)L.n_series) : 0;
    for (size_t s = 0; s < L.n_series; s++) {
        /* colour by plugin, shape and dash by the plugin's series count */
        const char *plugin = NULL;
        for (size_t i = 0; i < L.n && !plugin; i++)
            if (L.pt[i].series == s)
                plugin = r->cells[L.pt[i].cell].plugin;
        unsigned style = 0;
        for (size_t t = 0; t < s; t++)
            for (size_t i = 0; i < L.n; i++)
                if (L.pt[i].series == t) {
                    style += strcmp(r->cells[L.pt[i].cell].plugin, plugin) == 0;
                    break;
                }
        const char *col = cl_plugin_colour(plugin);
        double dx = ((double)s - (double)(L.n_series - 1) / 2) * nudge;
        /* the series' points in x order */
        size_t *ord = cl_xcalloc(L.n + 1, sizeof *ord), np = 0;
        for (size_t i = 0; i < L.n; i++) {
            if (L.pt[i].series != s)
                continue;
            size_t k = np++;
            while (k > 0 && L.pt[ord[k - 1]].x > L.pt[i].x) {
                ord[k] = ord[k - 1];
                k--;
            }
            ord[k] = i;
        }
        if (np > 1) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\"%s%s%s points=\"",
                    col, *cl_svg_dash(style) ? " stroke-dasharray=\"" : "", cl_svg_dash(style),
                    *cl_svg_dash(style) ? "\"" : "");
            for (size_t k = 0; k < np; k++)
                fprintf(f, "%.1f,%.1f ", cl_axis_at(&x, L.pt[ord[k]].x) + dx,
                        cl_axis_at(&y, L.pt[ord[k]].v.y));
            fputs("\"/>\n", f);
        }
        for (size_t k = 0; k < np; k++) {
            const struct point *pt = &L.pt[ord[k]];
            const struct cl_rcell *c = &r->cells[pt->cell];
            double px = cl_axis_at(&x, pt->x) + dx, py = cl_axis_at(&y, pt->v.y);
            if (pt->v.hi > pt->v.lo)
                fprintf(f, "<path d=\"M%.1f %.1fV%.1fM%.1f %.1fh6M%.1f %.1fh6\" stroke=\"%s\" "
                        "stroke-width=\"1.3\" fill=\"none\"/>\n", px,
                        cl_axis_at(&y, fmax(pt->v.lo, y.log ? y.lo : 0)), cl_axis_at(&y, pt->v.hi),
                        px - 3, cl_axis_at(&y, fmax(pt->v.lo, y.log ? y.lo : 0)), px - 3,
                        cl_axis_at(&y, pt->v.hi), col);
            cl_svg_marker(f, style, px, py, col);
            fputs("><title>", f);
            cl_xml_escape(f, c->cell.name);
            char a[32], b[32], d[32];
            if (o->y == CL_PLOT_Y_WALL)
                fprintf(f, ": mean %s, 95%% interval %s to %s", cl_fmt_dur(pt->v.y, a, sizeof a),
                        cl_fmt_dur(pt->v.lo, b, sizeof b), cl_fmt_dur(pt->v.hi, d, sizeof d));
            else if (o->y == CL_PLOT_Y_SPEEDUP)
                fprintf(f, ": %.2fx (%.2fx to %.2fx), efficiency %.0f%%", pt->v.y, pt->v.lo,
                        pt->v.hi, c->efficiency * 100);
            else
                fprintf(f, ": %.4g tasks/s (%.4g to %.4g)", pt->v.y, pt->v.lo, pt->v.hi);
            fprintf(f, "</title></%s>\n", cl_svg_marker_tag(style));
        }
        free(ord);
        ly = legend_entry(f, lx, ly, L.series[s], col, style, 1);
    }
    if (o->y == CL_PLOT_Y_SPEEDUP && workers && !L.n_cat) {
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
                "stroke-dasharray=\"6 4\"/>\n", lx, ly - 4, lx + 22, ly - 4);
        cl_svg_text(f, lx + 28, ly, "start", 12, "fill=\"#555\"", "ideal");
    }
    layout_free(&L);
    cl_svg_end(f);
}

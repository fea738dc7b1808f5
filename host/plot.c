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
#include "plot_svg.h"
#include "plot_timeline.h"
#include "report.h"
#include "neutral.h"
#include "util.h"

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
        if (cl_svg_text_w(c->cell.strategy->label, 12) > label_w)
            label_w = cl_svg_text_w(c->cell.strategy->label, 12);
        if (c->n_ok) {
            hi = fmax(hi, c->cell.wall.mean);
            if (isfinite(c->cell.wall.ci95_hi))
                hi = fmax(hi, c->cell.wall.ci95_hi);
        }
    }
    if (label_w > 320)
        label_w = 320;
    double left = label_w + 24, width = 900, row = 30, top = 64;
    double height = top + (double)n * row + 56;
    char title[512];
    snprintf(title, sizeof title, "Wall time: %s", r->workloads[w]->label);
    cl_svg_begin(f, width, height, title);
    cl_svg_heading(f, 12, width, title, "bar: mean of the ok repetitions · whisker: 95% confidence "
            "interval · tick: median · green: fastest");
    struct cl_tunit u = cl_time_unit(hi > 0 ? hi : 1);
    struct cl_axis a = {0, hi > 0 ? hi * 1.12 : 1, left, width - 110, 0};
    char xlabel[64];
    snprintf(xlabel, sizeof xlabel, "wall time (%s)", u.name);
    cl_svg_x_axis(f, &a, top + (double)n * row + 6, top - 6, u.mul, xlabel);
    size_t j = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        double y = top + (double)j++ * row, mid = y + row / 2 - 3;
        fprintf(f, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\" fill=\"#222\">",
                left - 8, mid + 4);
        cl_xml_escape(f, c->cell.strategy->label);
        fputs("</text>\n", f);
        char a1[32], a2[32], a3[32], a4[32];
        if (!c->n_ok) {
            char msg[200];
            snprintf(msg, sizeof msg, "no ok repetition (%s)",
                     c->cell.done ? cl_status_name(c->cell.status) : "unfinished");
            cl_svg_text(f, left + 6, mid + 4, "start", 12, "fill=\"" CL_C_FAILED "\"", msg);
            continue;
        }
        double x1 = cl_axis_at(&a, c->cell.wall.mean);
        fprintf(f, "<g><title>");
        cl_xml_escape(f, c->cell.name);
        fprintf(f, "\nmean %s, median %s, 95%% CI %s to %s, %zu ok repetitions%s%s</title>\n",
                cl_fmt_dur(c->cell.wall.mean, a1, sizeof a1), cl_fmt_dur(c->cell.wall.median, a2, sizeof a2),
                cl_fmt_dur(c->cell.wall.ci95_lo, a3, sizeof a3), cl_fmt_dur(c->cell.wall.ci95_hi, a4, sizeof a4),
                c->n_ok, c->cell.status != CL_ST_OK ? ", status " : "",
                c->cell.status != CL_ST_OK ? cl_status_name(c->cell.status) : "");
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s/>\n",
                left, y + 4, fmax(x1 - left, 1), row - 14,
                c->fastest ? CL_C_FAST : c->cell.status == CL_ST_OK ? CL_C_OK : CL_C_FAILED,
                c->cell.status == CL_ST_OK ? "" : " fill-opacity=\"0.6\"");
        double xm = cl_axis_at(&a, c->cell.wall.median);
        fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#111\" "
                "stroke-width=\"2\"/>\n", xm, y + 4, xm, y + row - 10);
        double ex = x1;
        if (c->n_ok >= 2 && isfinite(c->cell.wall.ci95_lo)) {
            double lo = cl_axis_at(&a, fmax(c->cell.wall.ci95_lo, 0)), hi2 = cl_axis_at(&a, c->cell.wall.ci95_hi);
            fprintf(f, "<path d=\"M%.1f %.1fH%.1fM%.1f %.1fV%.1fM%.1f %.1fV%.1f\" "
                    "stroke=\"#222\" stroke-width=\"1.3\" fill=\"none\"/>\n",
                    lo, mid, hi2, lo, mid - 5, mid + 5, hi2, mid - 5, mid + 5);
            ex = fmax(ex, hi2);
        }
        char label[64];
        snprintf(label, sizeof label, "%s%s", cl_fmt_dur(c->cell.wall.mean, a1, sizeof a1),
                 c->cell.status == CL_ST_OK ? "" : " (not ok)");
        cl_svg_text(f, ex + 6, mid + 4, "start", 11, "fill=\"#333\"", label);
        fputs("</g>\n", f);
    }
    cl_svg_end(f);
}

/* ---- speedup against workers --------------------------------------------------- */

/* Why there is no speedup figure for workload w, or NULL if there is one. */
static const char *speedup_missing(const struct cl_run_report *r, size_t w)
{
    double xs[2];
    size_t nx = 0, any = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w || !isfinite(c->cell.speedup))
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
        if (c->workload_ix != w || !isfinite(c->cell.speedup) || !(c->sweep > 0))
            continue;
        xlo = fmin(xlo, c->sweep);
        xhi = fmax(xhi, c->sweep);
        yhi = fmax(yhi, c->cell.speedup);
        if (c->cell.speedup > 0)
            ylo = fmin(ylo, c->cell.speedup);
        series_index(names, &n_names, c->series);
    }
    xlo = fmin(xlo, 1);
    if (!(yhi > 0) || !isfinite(yhi))
        yhi = 1;
    double width = 900, height = 440, left = 70, right = width - 210, top = 60,
           bottom = height - 56;
    int logx = xhi / xlo >= 8;
    struct cl_axis x = {logx ? xlo / 1.15 : 0, logx ? xhi * 1.15 : xhi * 1.08, left, right, logx};
    /* log workers, log speedup: the ideal stays a straight line */
    struct cl_axis y = {logx ? ylo / 1.2 : 0, yhi * (logx ? 1.25 : 1.15), bottom, top, logx};
    char title[512];
    snprintf(title, sizeof title, "Speedup: %s", r->workloads[w]->label);
    cl_svg_begin(f, width, height, title);
    cl_svg_heading(f, 12, width, title, "sequential mean / mean, against workers (threads, "
            "processes) or concurrency (coroutines); dashed: ideal (speedup = workers)");
    cl_svg_x_axis(f, &x, bottom, top, 1, logx ? "workers / concurrency (log scale)"
                                         : "workers / concurrency");
    cl_svg_y_axis(f, &y, left, right, logx ? "speedup (x, log scale)" : "speedup (x)");
    /* the ideal line, clipped to the plot */
    fprintf(f, "<clipPath id=\"clip-s%zu\"><rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" "
            "height=\"%.1f\"/></clipPath>\n", w, left, top, right - left, bottom - top);
    fprintf(f, "<polyline clip-path=\"url(#clip-s%zu)\" fill=\"none\" stroke=\"#999\" "
            "stroke-dasharray=\"6 4\" points=\"", w);
    for (int k = 0; k <= 64; k++) {
        double v = logx ? x.lo * pow(x.hi / x.lo, k / 64.0) : x.lo + (x.hi - x.lo) * k / 64.0;
        if (v <= 0)
            v = 1e-9;
        fprintf(f, "%.1f,%.1f ", cl_axis_at(&x, v), cl_axis_at(&y, v));
    }
    fputs("\"/>\n", f);
    for (size_t s = 0; s < n_names; s++) {
        const char *col = cl_palette[s % CL_N_PALETTE];
        /* the series' points in worker order: a line through them */
        double px[256], py[256];
        size_t np = 0;
        for (size_t i = 0; i < r->n_cells && np < 256; i++) {
            const struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w || !isfinite(c->cell.speedup) || !(c->sweep > 0) ||
                strcmp(c->series, names[s]) != 0)
                continue;
            size_t k = np++;
            while (k > 0 && px[k - 1] > c->sweep) {
                px[k] = px[k - 1];
                py[k] = py[k - 1];
                k--;
            }
            px[k] = c->sweep;
            py[k] = c->cell.speedup;
        }
        if (np > 1) {
            fprintf(f, "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"", col);
            for (size_t k = 0; k < np; k++)
                fprintf(f, "%.1f,%.1f ", cl_axis_at(&x, px[k]), cl_axis_at(&y, py[k]));
            fputs("\"/>\n", f);
        }
        for (size_t i = 0; i < r->n_cells; i++) {
            const struct cl_rcell *c = &r->cells[i];
            if (c->workload_ix != w || !isfinite(c->cell.speedup) || !(c->sweep > 0) ||
                strcmp(c->series, names[s]) != 0)
                continue;
            fprintf(f, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" "
                    "stroke=\"#fff\"><title>", cl_axis_at(&x, c->sweep), cl_axis_at(&y, c->cell.speedup), col);
            cl_xml_escape(f, c->cell.strategy->label);
            fprintf(f, ": %.2fx with %g, efficiency %.0f%%</title></circle>\n",
                    c->cell.speedup, c->sweep, c->efficiency * 100);
        }
        double ly = top + 8 + (double)s * 20;
        fprintf(f, "<path d=\"M%.1f %.1fh18\" stroke=\"%s\" stroke-width=\"2\"/>"
                "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"4.5\" fill=\"%s\" stroke=\"#fff\"/>\n",
                right + 18, ly - 3, col, right + 27, ly - 3, col);
        cl_svg_text(f, right + 40, ly + 1, "start", 12, "fill=\"#222\"", names[s]);
    }
    double ly = top + 8 + (double)n_names * 20;
    fprintf(f, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"#999\" "
            "stroke-dasharray=\"6 4\"/>\n", right + 20, ly - 2, right + 34, ly - 2);
    cl_svg_text(f, right + 40, ly + 1, "start", 12, "fill=\"#555\"", "ideal");
    free(names);
    cl_svg_end(f);
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
    cl_plot_timeline(f, &r->cells[c], x);
}

static const char html_style[] =
    "<style>\n"
    "body{font-family:" CL_SVG_FONT ";color:#222;max-width:1000px;margin:24px auto;padding:0 16px;"
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
        cl_xml_escape(html, r->workloads[w]->label);
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
        cl_xml_escape(html, r->workloads[w]->label);
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
    struct cl_timeline *tl = cl_xcalloc(r->n_cells + 1, sizeof *tl);
    int have = cl_timelines_load(r, tl, err, errlen);
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
                if (tl[c].present || r->cells[c].cell.n_rows) {
                    fputs("<p class=\"note\">", html);
                    cl_xml_escape(html, r->cells[c].cell.name);
                    fputs(": no task ran in repetition 1</p>\n", html);
                }
                continue;
            }
            char name[64], id[64];
            snprintf(name, sizeof name, "timeline-%0*zu.svg", digits, c + 1);
            snprintf(id, sizeof id, "timeline-%zu", c + 1);
            rc = figure(html, out_dir, name, id, r->cells[c].cell.name, draw_timeline, r, c,
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


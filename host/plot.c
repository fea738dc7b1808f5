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
#include "plot_xy.h"
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
    /* room right of the longest bar for its value label */
    double value_w = cl_svg_text_w("999.9 ms (not ok)", 11) + 12;
    double left = label_w + 24, width = 900, row = 30, top = 64;
    double height = top + (double)n * row + 56;
    char title[512];
    snprintf(title, sizeof title, "Wall time: %s", r->workloads[w]->label);
    cl_svg_begin(f, width, height, title);
    cl_svg_heading(f, 12, width, title, "bar: mean of the ok repetitions · whisker: 95% confidence "
            "interval · tick: median · colour: the strategy's · green outline: fastest");
    struct cl_tunit u = cl_time_unit(hi > 0 ? hi : 1);
    struct cl_axis a = {0, hi > 0 ? hi : 1, left, width - value_w, 0};
    char xlabel[64];
    snprintf(xlabel, sizeof xlabel, "wall time (%s)", u.name);
    cl_svg_x_axis(f, &a, top + (double)n * row + 6, top - 6, u.mul, xlabel);
    size_t j = 0;
    for (size_t i = 0; i < r->n_cells; i++) {
        const struct cl_rcell *c = &r->cells[i];
        if (c->workload_ix != w)
            continue;
        double y = top + (double)j++ * row, mid = y + row / 2 - 3;
        char fit[512];
        cl_svg_text(f, left - 8, mid + 4, "end", 12, "fill=\"#222\"",
                    cl_svg_fit(c->cell.strategy->label, 12, label_w, fit, sizeof fit));
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
        fprintf(f, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"%s\"%s%s/>\n",
                left, y + 4, fmax(x1 - left, 1), row - 14,
                c->cell.status == CL_ST_OK ? cl_plugin_colour(c->plugin) : CL_C_FAILED,
                c->cell.status == CL_ST_OK ? "" : " fill-opacity=\"0.6\"",
                c->fastest ? " stroke=\"" CL_C_FAST "\" stroke-width=\"3\"" : "");
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

/* What an x-y figure needs besides the report. */
struct xy_extra {
    const struct cl_plot_params *params;
    const struct cl_plot_opts *opts;
    const struct cl_xy_fig *figs;
};

static void draw_xy(FILE *f, const struct cl_run_report *r, size_t k, const void *x)
{
    const struct xy_extra *e = x;
    cl_plot_xy(f, r, e->params, e->opts, &e->figs[k], k);
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

static int write_html_head(FILE *html, const struct cl_run_report *r, int custom)
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
    if (custom)
        fputs("<a href=\"#custom\">--x/--y/--by figures</a> ", html);
    fputs("<a href=\"#timelines\">timelines</a></nav>\n", html);
    return ferror(html) ? -1 : 0;
}

/* A note in the page where a figure is missing. */
static void html_note(FILE *html, const char *why)
{
    fputs("<p class=\"note\">", html);
    cl_xml_escape(html, why);
    fputs("</p>\n", html);
}

/* The figures --x/--y/--by ask for, in their own section. */
static int plot_custom(const struct cl_run_report *r, const struct cl_plot_params *params,
                       const struct cl_plot_opts *o, const char *out_dir, FILE *html,
                       size_t *n_fig, char *err, size_t errlen)
{
    struct cl_xy_fig *figs = NULL;
    size_t n = cl_xy_figures(r, params, o, &figs);
    struct xy_extra e = {params, o, figs};
    char *caption = cl_xasprintf("%s against %s, by %s", cl_plot_y_name(o->y), o->x, o->by);
    fputs("<section>\n<h2 id=\"custom\">", html);
    cl_xml_escape(html, caption);
    fputs("</h2>\n", html);
    int rc = 0;
    for (size_t k = 0; k < n && rc == 0; k++) {
        const char *why = cl_xy_missing(r, params, o, &figs[k]);
        if (why) {
            char *t = cl_xasprintf("%s: %s", figs[k].title, why);
            html_note(html, t);
            free(t);
            continue;
        }
        char *name = cl_xasprintf("%s-vs-%s-by-%s-%zu.svg", cl_plot_y_name(o->y), o->x, o->by,
                                  k + 1);
        char *id = cl_xasprintf("custom-%zu", k + 1);
        rc = figure(html, out_dir, name, id, caption, draw_xy, r, k, &e, err, errlen);
        *n_fig += rc == 0;
        free(name);
        free(id);
    }
    fputs("</section>\n", html);
    free(caption);
    cl_xy_figures_free(figs, n);
    return rc;
}

static int plot_all(const struct cl_run_report *r, const struct cl_plot_opts *custom,
                    const char *out_dir, FILE *html, FILE *log, char *err, size_t errlen)
{
    size_t n_fig = 0;
    struct cl_plot_params params;
    cl_plot_params_load(r, &params);
    if (custom && cl_plot_opts_check(custom, &params, err, errlen) != 0) {
        cl_plot_params_free(&params);
        return -1;
    }
    static const struct cl_plot_opts speedup = {"workers", "strategy", CL_PLOT_Y_SPEEDUP};
    struct cl_xy_fig *figs = NULL;
    size_t n_figs = cl_xy_figures(r, &params, &speedup, &figs);
    struct xy_extra e = {&params, &speedup, figs};
    int rc = write_html_head(html, r, custom != NULL) == 0 ? 0 : -2;
    for (size_t w = 0; w < r->n_workloads && rc == 0; w++) {
        fprintf(html, "<section>\n<h2 id=\"workload-%zu\">", w + 1);
        cl_xml_escape(html, r->workloads[w]->label);
        fputs("</h2>\n", html);
        cl_report_html_workload(html, r, w);
        char name[64], id[64];
        snprintf(name, sizeof name, "wall-%zu.svg", w + 1);
        snprintf(id, sizeof id, "wall-%zu", w + 1);
        rc = figure(html, out_dir, name, id, "wall time per strategy", draw_wall, r,
                    w, NULL, err, errlen);
        n_fig += rc == 0;
        const char *why = w < n_figs ? cl_xy_missing(r, &params, &speedup, &figs[w])
                                     : "no cells";
        if (rc == 0 && why) {
            html_note(html, why);
        } else if (rc == 0) {
            snprintf(name, sizeof name, "speedup-%zu.svg", w + 1);
            snprintf(id, sizeof id, "speedup-%zu", w + 1);
            rc = figure(html, out_dir, name, id, "speedup against workers", draw_xy,
                        r, w, &e, err, errlen);
            n_fig += rc == 0;
        }
        fputs("</section>\n", html);
    }
    cl_xy_figures_free(figs, n_figs);
    if (rc == 0 && custom)
        rc = plot_custom(r, &params, custom, out_dir, html, &n_fig, err, errlen);
    cl_plot_params_free(&params);
    if (rc == -2)
        goto write_error;
    if (rc != 0)
        return -1;

    fputs("<section>\n<h2 id=\"timelines\">Timelines</h2>\n", html);
    struct cl_timeline *tl = cl_xcalloc(r->n_cells + 1, sizeof *tl);
    int have = cl_timelines_load(r, tl, err, errlen);
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

int cl_plot_dir(const char *dir, const char *out_dir, const struct cl_plot_opts *custom,
                FILE *log, char *err, size_t errlen)
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
            rc = plot_all(r, custom, od, html, log, err, errlen);
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
    "usage: conlab plot DIR [-o OUT] [--x PARAM] [--y wall|speedup|throughput]\n"
    "                       [--by PARAM]\n"
    "\n"
    "Draws the run in DIR as SVG figures and one report.html that shows them\n"
    "with the summary tables and warnings (the page needs no network and no\n"
    "script; the SVGs are inline, so it can travel alone).  Into OUT (default\n"
    "DIR/plots/):\n"
    "\n"
    "  wall-W.svg       wall time per strategy of workload variant W: bars of\n"
    "                   the mean, whiskers of the 95% CI, a tick at the median\n"
    "  speedup-W.svg    speedup against workers (or concurrency) per strategy,\n"
    "                   with 95% intervals and the ideal line, when the cells\n"
    "                   span worker counts\n"
    "  timeline-C.svg   cell C's first measured repetition: a lane per worker,\n"
    "                   a bar per task from start to end, coloured by status\n"
    "                   (at most 64 workers and 5,000 tasks drawn, failed tasks\n"
    "                   always; the figure says what it left out).  Needs\n"
    "                   tasks.csv: run with --tasks.\n"
    "  Y-vs-X-by-BY-K.svg  with --x, --y or --by: the figures they ask for\n"
    "  report.html      all of the above\n"
    "\n"
    "  -o, --output OUT  where the figures go (default DIR/plots)\n"
    "  -x, --x PARAM     the x axis: workers (the default: workers or\n"
    "                    concurrency) or any parameter column of results.csv,\n"
    "                    strategy.P or workload.P (workload.n, strategy.stack_kib);\n"
    "                    values that are not numbers are categories\n"
    "  -y, --y MEASURE   wall (mean wall time), speedup (sequential mean /\n"
    "                    mean; the default) or throughput (tasks per second)\n"
    "  -b, --by PARAM    the series: strategy (the default: one per strategy\n"
    "                    variant) or a parameter column whose values become\n"
    "                    series side by side in one figure (--by\n"
    "                    workload.blocking: false and true of each strategy)\n"
    "\n"
    "Figures: one per workload variant, or, when --x or --by is a workload.P\n"
    "column, one per set of the other workload parameters.  A strategy\n"
    "plugin keeps its colour in every figure and every run (conlab's own\n"
    "strategies and the known runtimes have fixed colours, any other plugin\n"
    "a hash of its name); the series of one plugin differ by marker shape\n"
    "and dash; markers are outlined and each series is nudged sideways a few\n"
    "pixels, so coincident points stay visible; whiskers are 95% intervals.\n"
    "Legends sit in a column sized to their text (long entries wrap).\n"
    "\n"
    "examples:\n"
    "  conlab plot results/seeds/latest\n"
    "  conlab plot DIR --x workload.n --y wall\n"
    "  conlab plot DIR --by workload.blocking --y throughput\n"
    "\n"
    "Exit status: 0; 2 bad command line, unknown PARAM or DIR unreadable;\n"
    "3 cannot write.\n";

int cl_cmd_plot(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"x", required_argument, NULL, 'x'},
        {"y", required_argument, NULL, 'y'},
        {"by", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    const char *out = NULL;
    struct cl_plot_opts custom = {"workers", "strategy", CL_PLOT_Y_SPEEDUP};
    int given = 0, c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:x:y:b:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'x': custom.x = optarg; given = 1; break;
        case 'b': custom.by = optarg; given = 1; break;
        case 'y':
            if (cl_plot_y_parse(optarg, &custom.y) != 0) {
                fprintf(stderr, "conlab plot: --y %s: one of wall, speedup, throughput\n",
                        optarg);
                return CL_EXIT_USAGE;
            }
            given = 1;
            break;
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
    char err[2048];
    struct stat st;
    if (stat(argv[optind], &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "conlab plot: %s: not a directory\n", argv[optind]);
        return CL_EXIT_USAGE;
    }
    if (cl_plot_dir(argv[optind], out, given ? &custom : NULL, stdout, err, sizeof err) != 0) {
        fprintf(stderr, "conlab plot: %s\n", err);
        return strstr(err, "cannot write") || strstr(err, "cannot create")
                   ? CL_EXIT_INTERNAL : CL_EXIT_USAGE;
    }
    return 0;
}

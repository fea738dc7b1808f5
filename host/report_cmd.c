/* report_cmd.c — `conlab report DIR`, the report printed after a run, and
 * the choice of format. */
#include "report_out.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "neutral.h"
#include "util.h"

/* ---- entry points --------------------------------------------------------------- */

int cl_report_format_parse(const char *s, enum cl_report_format *out)
{
    static const struct {
        const char *name;
        enum cl_report_format f;
    } names[] = {{"text", CL_FMT_TEXT}, {"md", CL_FMT_MD}, {"markdown", CL_FMT_MD},
                 {"csv", CL_FMT_CSV},   {"json", CL_FMT_JSON}};
    for (size_t i = 0; i < sizeof names / sizeof *names; i++)
        if (strcmp(s, names[i].name) == 0) {
            *out = names[i].f;
            return 0;
        }
    return -1;
}

int cl_report_write(FILE *out, const struct cl_run_report *r,
                    enum cl_report_format fmt)
{
    int rc = 0;
    switch (fmt) {
    case CL_FMT_TEXT: rc = cl_report_write_text(out, r); break;
    case CL_FMT_MD: rc = cl_report_write_md(out, r); break;
    case CL_FMT_CSV: rc = cl_report_write_csv(out, r); break;
    case CL_FMT_JSON: rc = cl_report_write_json(out, r); break;
    }
    return fflush(out) == 0 && !ferror(out) && rc == 0 ? 0 : -1;
}

int cl_report_print_dir(FILE *out, const char *dir)
{
    struct cl_run_report *r = NULL;
    char err[1024];
    if (cl_report_load(dir, &r, err, sizeof err) != 0) {
        fprintf(stderr, "conlab: report: %s\n", err);
        return -1;
    }
    fputc('\n', out);
    int rc = cl_report_write(out, r, CL_FMT_TEXT);
    cl_report_free(r);
    return rc;
}

static const char report_help[] =
    "usage: conlab report DIR [--format text|md|csv|json]\n"
    "\n"
    "What a run directory shows, read from its files (a finished run, or one\n"
    "still going, or interrupted): for every workload variant a table of its\n"
    "strategy variants with wall time mean ± sd, median and 95% confidence\n"
    "interval of the mean (Student t over the ok repetitions), speedup\n"
    "against the baseline cell (summary.csv's `baseline`; `sequential` by\n"
    "default) as a ratio of MEDIANS with its 95% interval (percentile\n"
    "bootstrap: 2000 resamples of both cells' ok repetitions, GSL MT19937\n"
    "seeded 20261130, so the same run always gives the same interval),\n"
    "parallel efficiency (speedup / workers), CPU use ((user+sys)/wall: 100%\n"
    "is one CPU busy), failed tasks and the status.  The lowest median is\n"
    "marked * (fastest) only when the runner-up's median / its median has a\n"
    "95% interval above 1; otherwise both are marked = (a tie).\n"
    "\n"
    "Warnings say when a figure should not be trusted: wall time varying more\n"
    "than 10% (CV) between repetitions, an outlier repetition (modified\n"
    "z-score above 3.5), a cell shorter than 5 ms, a first repetition much\n"
    "slower than the rest (too little warmup), a start-up (strategy entered\n"
    "to first task started, results.csv's startup_s) over 10% of the median\n"
    "wall time, and, from run.yaml, CPU\n"
    "frequency scaling, a busy machine, a virtual machine, pinning that could\n"
    "not be applied, an unfinished run.\n"
    "\n"
    "  -f, --format F    text (default), md (Markdown), csv (a row per cell),\n"
    "                    json (everything, with each cell's repetitions,\n"
    "                    seeds, phases and strategy counters); csv and json\n"
    "                    name the plugins `strategy`/`workload` and the\n"
    "                    variants `strategy_label`/`workload_label`\n"
    "\n"
    "DIR is checked as it is read: results.csv and summary.csv must have\n"
    "their columns, every row as many fields as the header, numbers where\n"
    "numbers are due, known statuses, cells named STRATEGY x WORKLOAD of the\n"
    "run's experiment and of the plugins run.yaml's spec names, each cell of\n"
    "summary.csv in results.csv (and, in a complete run, the other way\n"
    "round), run.yaml a YAML mapping.  Every problem is named, as\n"
    "FILE:LINE: cell 'NAME': why, and nothing is reported.\n"
    "\n"
    "Names from the files are made harmless where they are written: escape\n"
    "sequences shown as \\xNN on the terminal, Markdown and HTML escaped in\n"
    "md, a CSV cell a spreadsheet would run as a formula prefixed with '.\n"
    "\n"
    "Exit status: 0; 2 bad command line, DIR unreadable or inconsistent;\n"
    "3 cannot write.\n";

int cl_cmd_report(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    enum cl_report_format fmt = CL_FMT_TEXT;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "f:h", opts, NULL)) != -1) {
        switch (c) {
        case 'f':
            if (cl_report_format_parse(optarg, &fmt) != 0) {
                fprintf(stderr, "conlab report: unknown format '%s' (text, md, "
                        "csv or json)\n", optarg);
                return CL_EXIT_USAGE;
            }
            break;
        case 'h': fputs(report_help, stdout); return 0;
        default:
            fprintf(stderr, "see 'conlab report --help'\n");
            return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "conlab report: one run directory, please; see "
                "'conlab report --help'\n");
        return CL_EXIT_USAGE;
    }
    struct cl_run_report *r = NULL;
    char err[1024];
    if (cl_report_load(argv[optind], &r, err, sizeof err) != 0) {
        fprintf(stderr, "conlab report: %s\n", err);
        return CL_EXIT_USAGE;
    }
    if (fmt == CL_FMT_CSV) /* the CSV has a row per cell: run notes go aside */
        for (size_t i = 0; i < r->n_warn; i++) {
            char *w = cl_neutral_term(r->warn[i]);
            fprintf(stderr, "conlab report: warning: %s\n", w);
            free(w);
        }
    int rc = cl_report_write(stdout, r, fmt);
    cl_report_free(r);
    if (rc != 0) {
        fprintf(stderr, "conlab report: cannot write: %s\n", strerror(errno));
        return CL_EXIT_INTERNAL;
    }
    return 0;
}


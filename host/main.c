/* main.c — `conlab`: the command-line entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "check.h"
#include "cli.h"
#include "commands.h"
#include "compare.h"
#include "helptext.h"
#include "malloc_tune.h"
#include "merge.h"
#include "new.h"
#include "plot.h"
#include "report.h"
#include "serve.h"
#include "slurm.h"
#include "suggest.h"
#include "topo.h"
#include "util.h"

int cl_main_argc;
char **cl_main_argv;

static const char usage_head[] =
    "usage: conlab COMMAND [ARGS]\n"
    "\n"
    "conlab runs the classic concurrency experiment as an instrument: the same\n"
    "workloads under different strategies (sequential, threads, processes,\n"
    "coroutines on an event loop, a GIL), repeated, pinned, every task checked,\n"
    "results in CSV.\n"
    "\n";

static const char usage_tail[] =
    "\n"
    "examples:\n"
    "  conlab run                                   # the seeds, about a minute\n"
    "  conlab run experiments/seeds.yaml -o /tmp/r  # results in /tmp/r\n"
    "  conlab run --strategy 'threads:workers=[1,2,4]' --workload 'fib:n=[30]' -r 5\n"
    "  conlab list threads\n"
    "  conlab topology --input \"pack:2 numa:2 core:16 pu:2\" --workers 24 --pinning scatter\n"
    "\n"
    "A spec (YAML):\n"
    "  experiment: demo\n"
    "  repeat: 5\n"
    "  warmup: 1\n"
    "  timeout: 60s\n"
    "  pinning: compact          # none | compact | scatter | [0, 1]\n"
    "  strategies:\n"
    "    - sequential\n"
    "    - threads: { workers: [2, 20] }   # a list sweeps\n"
    "  workloads:\n"
    "    - sleep: { tasks: 20, seconds: 100ms }\n"
    "\n"
    "environment:\n"
    "  CONLAB_PLUGIN_PATH     extra plugin directories (colon-separated), searched first\n"
    "  CONLAB_PLUGIN_VERBOSE  1: trace plugin loading\n"
    "  CONLAB_LOG             error | warn | info (default) | debug\n"
    "  CONLAB_MALLOC          default: `run` keeps glibc's malloc as is (else huge-page\n"
    "                         heaps via GLIBC_TUNABLES; run.yaml host.glibc_tunables)\n"
    "\n"
    "'conlab COMMAND --help' tells more.\n";

static int cmd_help(int argc, char **argv);

/* The commands: what main() dispatches, and what `conlab help` and the man
 * page (docs/gen-man.py, through `conlab help --commands`) list.  A command
 * is one row; its options are in its own --help. */
struct command {
    const char *name, *args, *summary;
    int (*fn)(int, char **);
};

static const struct command commands[] = {
    {"run", "[SPEC | -]", "run an experiment (default: the built-in seeds one)", cl_cmd_run},
    {"validate", "SPEC...", "check specs without running them", cl_cmd_validate},
    {"list", "[NAME...]", "strategies and workloads, with their parameters", cl_cmd_list},
    {"topology", "", "the machine as hwloc sees it, and where workers go", cl_cmd_topology},
    {"calibrate", "", "the machine's floors: thread, fork, page, switch, sleep...", cl_cmd_calibrate},
    {"serve", "", "the built-in loopback HTTP server for experiments", cl_cmd_serve},
    {"check", "PLUGIN", "conformance checks for a strategy or workload plugin", cl_cmd_check},
    {"new", "KIND NAME", "write a ready plugin folder: KIND is strategy or workload", cl_cmd_new},
    {"report", "DIR", "a run's tables and warnings (text, md, csv, json)", cl_cmd_report},
    {"plot", "DIR", "SVG figures and report.html for a run", cl_cmd_plot},
    {"compare", "A B", "did B get faster or slower than A, cell by cell?", cl_cmd_compare},
    {"slurm", "[SPEC]", "run on Slurm: a job array of shards, then a merge job", cl_cmd_slurm},
    {"status", "DIR", "which shards of a Slurm run are done, queued, failed", cl_cmd_status},
    {"merge", "DIR", "one run out of the shard-*/ directories in DIR", cl_cmd_merge},
    {"version", "", "print the version and plugin ABI", cl_cmd_version},
    {"help", "[COMMAND]", "this text, or a command's", cmd_help},
    {NULL, NULL, NULL, NULL}};

static const char help_help[] =
    "usage: conlab help [COMMAND]\n"
    "       conlab help --commands | --statuses\n"
    "\n"
    "Without COMMAND: what conlab does and its commands.  With one: that\n"
    "command's --help.  For scripts (docs/gen-man.py writes the man page from\n"
    "them): --commands prints NAME<TAB>ARGS<TAB>SUMMARY, a line per command;\n"
    "--statuses prints the cell statuses of results.csv, a line each.\n";

static void print_usage(FILE *out)
{
    fputs(usage_head, out);
    fputs("commands:\n", out);
    for (const struct command *c = commands; c->name; c++) {
        char left[32];
        snprintf(left, sizeof left, "%s %s", c->name, c->args);
        fprintf(out, "  %-17s %s\n", left, c->summary);
    }
    fputs(usage_tail, out);
}

static int cmd_help(int argc, char **argv)
{
    if (argc < 2) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
        fputs(help_help, stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--commands")) {
        for (const struct command *c = commands; c->name; c++)
            printf("%s\t%s\t%s\n", c->name, c->args, c->summary);
        return 0;
    }
    if (!strcmp(argv[1], "--statuses")) {
        cl_help_statuses(stdout, "");
        return 0;
    }
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, argv[1])) {
            char *args[] = {argv[1], "--help", NULL};
            return c->fn(2, args);
        }
    fprintf(stderr, "conlab help: no command '%s'; see 'conlab help'\n", argv[1]);
    return CL_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* a copy: getopt_long permutes argv, run.yaml wants it as typed */
    static char *argv_copy[256];
    cl_main_argc = argc < 255 ? argc : 255;
    for (int i = 0; i < cl_main_argc; i++)
        argv_copy[i] = argv[i];
    cl_main_argv = argv_copy;
    /* CONLAB_LOG=error|warn|info|debug: how much the host and plugins say */
    const char *lvl = getenv("CONLAB_LOG");
    if (lvl) {
        static const char *const names[] = {"error", "warn", "info", "debug"};
        for (int i = 0; i < 4; i++)
            if (!strcmp(lvl, names[i]))
                cl_log_level = i;
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc < 2) {
        print_usage(stderr);
        return CL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "run"))
        cl_malloc_tune(argv); /* may exec us again: malloc_tune.h */
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help")) {
        print_usage(stdout);
        return 0;
    }
    if (!strcmp(cmd, "--version") || !strcmp(cmd, "-V"))
        return cl_cmd_version(argc - 1, argv + 1);
    for (const struct command *c = commands; c->name; c++)
        if (!strcmp(c->name, cmd))
            return c->fn(argc - 1, argv + 1);
    const char *names[sizeof commands / sizeof *commands];
    size_t n = 0;
    for (const struct command *c = commands; c->name; c++)
        names[n++] = c->name;
    const char *near = cl_suggest(cmd, names, n);
    fprintf(stderr, "conlab: unknown command '%s'%s%s%s; see 'conlab --help'\n",
            cmd, near ? " (did you mean '" : "", near ? near : "", near ? "'?)" : "");
    return CL_EXIT_USAGE;
}

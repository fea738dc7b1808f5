/* main.c — `conlab`: the command-line entry. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calibrate.h"
#include "check.h"
#include "cli.h"
#include "commands.h"
#include "compare.h"
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

static const char usage[] =
    "usage: conlab COMMAND [ARGS]\n"
    "\n"
    "conlab runs the classic concurrency experiment as an instrument: the same\n"
    "workloads under different strategies (sequential, threads, processes,\n"
    "coroutines on an event loop, a GIL), repeated, pinned, every task checked,\n"
    "results in CSV.\n"
    "\n"
    "commands:\n"
    "  run [SPEC]        run an experiment (default: the built-in seeds one)\n"
    "  validate SPEC...  check specs without running them\n"
    "  list [NAME...]    strategies and workloads, with their parameters\n"
    "  topology          the machine as hwloc sees it, and where workers go\n"
    "  calibrate         the machine's floors: thread, fork, page, switch, sleep...\n"
    "  serve             the built-in loopback HTTP server for experiments\n"
    "  check PLUGIN      conformance checks for a strategy or workload plugin\n"
    "  new KIND NAME     write a ready plugin folder: KIND is strategy or workload\n"
    "  report DIR        a run's tables and warnings (text, md, csv, json)\n"
    "  plot DIR          SVG figures and report.html for a run\n"
    "  compare A B       did B get faster or slower than A, cell by cell?\n"
    "  slurm [SPEC]      run on Slurm: a job array of shards, then a merge job\n"
    "  status DIR        which shards of a Slurm run are done, queued, failed\n"
    "  merge DIR         one run out of the shard-*/ directories in DIR\n"
    "  version           print the version and plugin ABI\n"
    "  help [COMMAND]    this text, or a command's\n"
    "\n"
    "examples:\n"
    "  conlab run                                   # the seeds, about a minute\n"
    "  conlab run experiments/seeds.yaml -o /tmp/r  # results in /tmp/r\n"
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
    "\n"
    "'conlab COMMAND --help' tells more.\n";

struct command {
    const char *name;
    int (*fn)(int, char **);
};

static const struct command commands[] = {
    {"run", cl_cmd_run},         {"validate", cl_cmd_validate},
    {"list", cl_cmd_list},       {"topology", cl_cmd_topology},
    {"serve", cl_cmd_serve},     {"version", cl_cmd_version},
    {"check", cl_cmd_check},     {"new", cl_cmd_new},
    {"report", cl_cmd_report},   {"plot", cl_cmd_plot},
    {"compare", cl_cmd_compare}, {"slurm", cl_cmd_slurm},
    {"status", cl_cmd_status},   {"merge", cl_cmd_merge},
    {"calibrate", cl_cmd_calibrate},
    {NULL, NULL}};

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
        fputs(usage, stderr);
        return CL_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
        if (!strcmp(cmd, "help") && argc > 2) {
            for (const struct command *c = commands; c->name; c++)
                if (!strcmp(c->name, argv[2])) {
                    char *args[] = {argv[2], "--help", NULL};
                    return c->fn(2, args);
                }
        }
        fputs(usage, stdout);
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

/* commands.c — list, validate, run, version. */
#include "commands.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "specload.h"
#include "registry.h"
#include "runner.h"
#include "spec.h"

static const char *type_name(enum conlab_param_type t)
{
    switch (t) {
    case CONLAB_PARAM_INT: return "int";
    case CONLAB_PARAM_DOUBLE: return "number";
    case CONLAB_PARAM_DURATION: return "duration";
    case CONLAB_PARAM_BOOL: return "bool";
    case CONLAB_PARAM_STRING: return "string";
    case CONLAB_PARAM_ENUM: return "enum";
    case CONLAB_PARAM_INT_LIST: return "int list";
    case CONLAB_PARAM_STRING_LIST: return "string list";
    }
    return "?";
}

static void print_param(FILE *out, const char *name, const char *type,
                        const char *def, double min, double max,
                        const char *choices, const char *help)
{
    char range[96] = "";
    if (choices)
        snprintf(range, sizeof range, "%s", choices);
    else if (min < max && min == (double)(long long)min && max == (double)(long long)max)
        snprintf(range, sizeof range, "%lld..%lld", (long long)min, (long long)max);
    else if (min < max)
        snprintf(range, sizeof range, "%g..%g", min, max);
    fprintf(out, "    %-14s %-11s %-12s %-16s %s\n", name, type,
            def ? def : "(required)", range, help ? help : "");
}

static void print_plugin(FILE *out, const struct cl_plugin *p, int detail)
{
    const struct conlab_plugin *d = &p->desc;
    fprintf(out, "  %-12s %s\n", d->name, d->summary ? d->summary : "");
    if (!detail)
        return;
    fprintf(out, "    file: %s (ABI %u.%u%s%s)\n", p->path, p->built_major,
            p->built_minor, d->version ? ", version " : "",
            d->version ? d->version : "");
    int any = d->kind == CONLAB_KIND_WORKLOAD;
    for (size_t i = 0; d->params && d->params[i].name; i++)
        any = 1;
    if (!any) {
        fprintf(out, "    (no parameters)\n");
        return;
    }
    fprintf(out, "    %-14s %-11s %-12s %-16s %s\n", "parameter", "type",
            "default", "range", "help");
    if (d->kind == CONLAB_KIND_WORKLOAD)
        print_param(out, "tasks", "int", "10", 0, 1e9, NULL,
                    "how many tasks (host parameter of every workload)");
    for (size_t i = 0; d->params && d->params[i].name; i++) {
        const struct conlab_param *q = &d->params[i];
        print_param(out, q->name, type_name(q->type), q->def, q->min, q->max,
                    q->type == CONLAB_PARAM_ENUM ? q->choices : NULL, q->help);
    }
}

static int by_name(const void *a, const void *b)
{
    const struct cl_plugin *x = *(const struct cl_plugin *const *)a;
    const struct cl_plugin *y = *(const struct cl_plugin *const *)b;
    return strcmp(x->desc.name, y->desc.name);
}

static const char list_help[] =
    "usage: conlab list [NAME...]\n"
    "\n"
    "Lists every strategy and workload plugin found in the plugin path, with a\n"
    "one-line summary and their parameters.  With NAMEs, shows only those.\n"
    "The path is $CONLAB_PLUGIN_PATH (colon-separated), then the plugins next\n"
    "to the conlab executable.  CONLAB_PLUGIN_VERBOSE=1 traces loading.\n";

int cl_cmd_list(int argc, char **argv)
{
    for (int i = 1; i < argc; i++)
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            fputs(list_help, stdout);
            return 0;
        }
    struct cl_registry reg;
    cl_registry_init(&reg);
    cl_registry_scan(&reg);
    qsort(reg.v, reg.n, sizeof *reg.v, by_name);
    int rc = 0;
    if (argc > 1) {
        for (int a = 1; a < argc; a++) {
            int found = 0;
            for (size_t i = 0; i < reg.n; i++)
                if (strcmp(reg.v[i]->desc.name, argv[a]) == 0) {
                    fprintf(stdout, "%s:\n", cl_kind_name(reg.v[i]->desc.kind));
                    print_plugin(stdout, reg.v[i], 1);
                    found = 1;
                }
            if (!found) {
                char err[1024];
                if (!cl_registry_find(&reg, CONLAB_KIND_STRATEGY, argv[a], err, sizeof err))
                    fprintf(stderr, "conlab list: no strategy or workload "
                            "named '%s' (%s)\n", argv[a], strstr(err, "(") ? strstr(err, "(") + 1 : err);
                rc = 1;
            }
        }
    } else {
        for (int kind = CONLAB_KIND_STRATEGY; kind <= CONLAB_KIND_WORKLOAD; kind++) {
            fprintf(stdout, "%s:\n", kind == CONLAB_KIND_STRATEGY ? "strategies" : "workloads");
            for (size_t i = 0; i < reg.n; i++)
                if ((int)reg.v[i]->desc.kind == kind)
                    print_plugin(stdout, reg.v[i], 1);
            fputc('\n', stdout);
        }
    }
    for (size_t i = 0; i < reg.n_scan_errors; i++)
        fprintf(stderr, "conlab: warning: skipped %s\n", reg.scan_errors[i]);
    if (reg.n == 0) {
        fprintf(stderr, "conlab: no plugins found (search path:");
        for (size_t i = 0; i < reg.n_dirs; i++)
            fprintf(stderr, " %s", reg.dirs[i]);
        fprintf(stderr, "%s); set CONLAB_PLUGIN_PATH\n", reg.n_dirs ? "" : " empty");
        rc = 1;
    }
    cl_registry_free(&reg);
    return rc;
}

/* Load a spec: a path, or NULL for the embedded default; problems are
 * printed as FILE:LINE:COL lines. */
static int load_spec(struct cl_registry *reg, const char *path,
                     const struct cl_spec_opts *opts, struct cl_spec **spec)
{
    int rc = cl_spec_open_opts(reg, path, opts, spec);
    if (rc != 0)
        fprintf(stderr, "conlab: nothing was run\n");
    return rc;
}

static const char validate_help[] =
    "usage: conlab validate [--no-load] SPEC...\n"
    "\n"
    "Checks experiment specs without running an experiment: YAML syntax, keys,\n"
    "plugin names, parameter names, types and ranges, URLs (http://, https://\n"
    "or builtin:/ only), the limits below, and a pinning list against this\n"
    "machine's usable PUs: whatever `conlab run` would refuse.  Every problem\n"
    "is reported as FILE:LINE:COL: message.\n"
    "\n"
    "To read their parameter tables, validate loads the plugins a spec names\n"
    "(dlopen), which runs their library constructors, and calls their entry\n"
    "function; no other plugin code runs.  With a spec from someone you do not\n"
    "trust, use --no-load.\n"
    "\n"
    "  --no-load   load no plugin: check the YAML, the top-level keys and the\n"
    "              spelling of plugin names only (parameters are not checked)\n"
    "  --set KEY=VALUE  override a value first, as `conlab run --set` does\n"
    "\n"
    "Limits: a spec file is at most 16 MiB (a regular file or a pipe); an\n"
    "experiment has at most 100000 cells (strategy x workload variants), a\n"
    "strategies or workloads list at most 10000 variants.\n"
    "\n"
    "Exit status 0 when all are valid, 2 otherwise.\n";

int cl_cmd_validate(int argc, char **argv)
{
    int no_load = 0, first = 1;
    struct cl_spec_opts so = {0};
    for (; first < argc && argv[first][0] == '-' && argv[first][1]; first++) {
        if (strcmp(argv[first], "--set") == 0 && first + 1 < argc) {
            cl_spec_opts_add(&so, argv[++first]);
            continue;
        }
        if (strncmp(argv[first], "--set=", 6) == 0) {
            cl_spec_opts_add(&so, argv[first] + 6);
            continue;
        }
        if (strcmp(argv[first], "-h") == 0 ||
            strcmp(argv[first], "--help") == 0) {
            fputs(validate_help, stdout);
            cl_spec_opts_free(&so);
            return 0;
        }
        if (strcmp(argv[first], "--no-load") == 0) {
            no_load = 1;
        } else if (strcmp(argv[first], "--") == 0) {
            first++;
            break;
        } else {
            fprintf(stderr, "conlab validate: unknown option '%s'; see "
                    "'conlab validate --help'\n", argv[first]);
            cl_spec_opts_free(&so);
            return CL_EXIT_USAGE;
        }
    }
    if (first >= argc) {
        fputs(validate_help, stderr);
        cl_spec_opts_free(&so);
        return CL_EXIT_USAGE;
    }
    struct cl_registry reg;
    cl_registry_init(&reg);
    int rc = 0;
    for (int i = first; i < argc; i++) {
        struct cl_spec *spec = NULL;
        if (load_spec(no_load ? NULL : &reg, argv[i], &so, &spec) != 0 ||
            cl_spec_check_machine(spec) != 0) {
            rc = CL_EXIT_USAGE;
            cl_spec_free(spec);
            continue;
        }
        if (no_load)
            printf("%s: ok: experiment '%s' (plugins not loaded: their names' "
                   "spelling checked, not their parameters), %d warmup + %d "
                   "measured repetitions each\n", argv[i], spec->experiment,
                   spec->warmup, spec->repeat);
        else
            printf("%s: ok: experiment '%s', %zu strategy x %zu workload "
                   "variants, %zu cells, %d warmup + %d measured repetitions "
                   "each\n", argv[i], spec->experiment, spec->n_strategies,
                   spec->n_workloads, spec->n_pairs,
                   spec->warmup, spec->repeat);
        cl_spec_free(spec);
    }
    cl_registry_free(&reg);
    cl_spec_opts_free(&so);
    return rc;
}

static const char run_help[] =
    "usage: conlab run [SPEC] [-o DIR | --resume DIR] [--force] [--tasks]\n"
    "                  [--shard I/N] [--dry-run] [--quiet]\n"
    "\n"
    "Runs every cell (strategy variant x workload variant) of the experiment in\n"
    "SPEC (default: the built-in seeds experiment, experiments/seeds.yaml):\n"
    "`warmup` unmeasured then `repeat` measured repetitions, each in a fresh\n"
    "child process of its own process group.  Every task is checked (ran exactly\n"
    "once, returned its expected value).  A cell that crashes or passes its\n"
    "timeout is recorded as such and the run goes on.  A spec has at most\n"
    "100000 cells (see 'conlab validate --help' for every limit).\n"
    "\n"
    "  -o, --output DIR  write results to DIR (default results/<experiment>/\n"
    "                    <timestamp>/, with results/<experiment>/latest -> it);\n"
    "                    refused (exit 2, nothing changed) when DIR holds files\n"
    "  -t, --tasks       also write tasks.csv: one row per task (worker, cpu,\n"
    "                    start, end, status)\n"
    "  -n, --dry-run     list the cells and stop\n"
    "      --set KEY=VALUE  override a spec value before it is checked (KEY:\n"
    "                    repeat, seed, workloads.sleep.tasks, strategies.threads.\n"
    "                    workers...; VALUE: YAML, e.g. [1,2,4]); repeatable,\n"
    "                    recorded in run.yaml and in the spec hash\n"
    "  -q, --quiet       no progress and no summary table\n"
    "  -r, --resume DIR  go on with the run in DIR (after Ctrl-C, kill -9, a\n"
    "                    power cut); see Resuming below\n"
    "  -f, --force       with --resume: accept a changed spec, and drop rows of\n"
    "                    cells or repetitions it does not have; with -o: move\n"
    "                    what DIR holds aside to DIR.old-<time>/ (never deleted)\n"
    "                    and start afresh in DIR\n"
    "  -s, --shard I/N   run only the I-th of N shards of the cells (cell k is\n"
    "                    in shard k mod N + 1), for batch systems; one output\n"
    "                    directory per shard\n"
    "\n"
    "Writes results.csv (a row per cell x repetition, appended and flushed as\n"
    "measured), summary.csv (a row per cell: mean, sd, median, min, max, 95%\n"
    "CI of wall time, speedup against `sequential`), run.yaml (machine, versions,\n"
    "the spec as given, the command line, the seed) and tasks.csv if asked.\n"
    "While it runs, DIR/.lock names it: a second run, --resume or merge of DIR\n"
    "is refused (exit 2) with the PID and command line of the one writing.\n"
    "\n"
    "run.yaml is written (and fsync'ed) before the first cell: when it cannot\n"
    "be, nothing is measured (exit 3).\n"
    "\n"
    "Cell status: ok, failed (some tasks failed), wrong (a task missing,\n"
    "repeated, or with a wrong value), error (a plugin could not start, or the\n"
    "host could not start the repetition), timeout, crashed (with the signal),\n"
    "interrupted.  Each has its rows in results.csv.\n"
    "\n"
    "Resuming: results.csv is the truth.  A cell is done when results.csv has\n"
    "all `repeat` measured repetitions of it, or a row that ended it (error,\n"
    "memory, timeout, crashed).  A cell with k of them keeps them and goes on\n"
    "with repetition k+1, after its warm-ups run again (repetitions are fresh\n"
    "processes, so they stay alike; nothing measured is thrown away).\n"
    "`interrupted` rows and a torn last line (said, with its line) are dropped:\n"
    "those repetitions run again.  summary.csv is written anew from results.csv.\n"
    "Refused (exit 2, nothing changed): DIR without run.yaml (nothing was\n"
    "measured: start over with -o DIR --force), run.yaml of another spec, and\n"
    "a results.csv that is not this run's (another header, an unknown status, a\n"
    "cell not in the spec, a repetition out of range or twice).\n"
    "\n"
    "Exit status: 0 every cell ok; 1 some cell not ok; 2 bad command line or\n"
    "spec (nothing ran); 3 results could not be written; 130 interrupted\n"
    "(Ctrl-C stops the running cell and keeps what was measured; a second\n"
    "Ctrl-C stops at once).\n";

int cl_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"tasks", no_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"resume", required_argument, NULL, 'r'},
        {"force", no_argument, NULL, 'f'},
        {"shard", required_argument, NULL, 's'},
        {"set", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct cl_run_opts o = {0};
    struct cl_spec_opts so = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:tnqr:fs:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case 't': o.record_tasks = 1; break;
        case 'n': o.dry_run = 1; break;
        case 'q': o.quiet = 1; break;
        case 'r': o.resume = optarg; break;
        case 'f': o.force = 1; break;
        case 's': {
            char *end = NULL;
            unsigned long i = strtoul(optarg, &end, 10), n = 0;
            if (end && *end == '/')
                n = strtoul(end + 1, &end, 10);
            if (!end || *end || i < 1 || n < 1 || i > n || n > 1000000) {
                fprintf(stderr, "conlab run: --shard wants I/N with 1 <= I <= N "
                        "(got '%s')\n", optarg);
                return CL_EXIT_USAGE;
            }
            o.shard = (unsigned)i;
            o.shards = (unsigned)n;
            break;
        }
        case 'S': cl_spec_opts_add(&so, optarg); break;
        case 'h': fputs(run_help, stdout); cl_spec_opts_free(&so); return 0;
        default:
            fprintf(stderr, "see 'conlab run --help'\n");
            cl_spec_opts_free(&so);
            return CL_EXIT_USAGE;
        }
    }
    if ((o.out_dir && !*o.out_dir) || (o.resume && !*o.resume)) {
        fprintf(stderr, "conlab run: %s wants a directory, not an empty "
                "string\n", o.out_dir ? "-o/--output" : "--resume");
        return CL_EXIT_USAGE;
    }
    if (o.resume && o.out_dir) {
        fprintf(stderr, "conlab run: --resume DIR writes into DIR; drop -o\n");
        return CL_EXIT_USAGE;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "conlab run: one spec at a time (got %d); see 'conlab run --help'\n",
                argc - optind);
        return CL_EXIT_USAGE;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    struct cl_registry reg;
    cl_registry_init(&reg);
    struct cl_spec *spec = NULL;
    int bad = load_spec(&reg, path, &so, &spec) != 0 ||
              cl_spec_check_machine(spec) != 0;
    cl_spec_opts_free(&so);
    if (bad) {
        cl_spec_free(spec);
        cl_registry_free(&reg);
        return CL_EXIT_USAGE;
    }
    extern int cl_main_argc;
    extern char **cl_main_argv;
    o.argc = cl_main_argc;
    o.argv = cl_main_argv;
    int rc = cl_run(spec, &o);
    cl_spec_free(spec);
    cl_registry_free(&reg);
    return rc;
}

int cl_cmd_version(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    printf("conlab %s (plugin ABI %d.%d)\n", CONLAB_VERSION, CONLAB_ABI_MAJOR,
           CONLAB_ABI_MINOR);
    return 0;
}

/* commands.c — list, validate, run, version. */
#include "commands.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "config.h"
#include "helptext.h"
#include "oneliner.h"
#include "specload.h"
#include "registry.h"
#include "runner.h"
#include "spec.h"
#include "suggest.h"
#include "util.h"

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

/* One row of a plugin's parameter table. */
struct param_row {
    const char *name, *type, *def, *help;
    char range[96];
};

static void param_row(struct param_row *r, const char *name, const char *type,
                      const char *def, double min, double max,
                      const char *choices, const char *help)
{
    r->name = name;
    r->type = type;
    r->def = def ? def : "(required)";
    r->help = help ? help : "";
    r->range[0] = '\0';
    if (choices)
        snprintf(r->range, sizeof r->range, "%s", choices);
    else if (min < max && min == (double)(long long)min && max == (double)(long long)max)
        snprintf(r->range, sizeof r->range, "%lld..%lld", (long long)min, (long long)max);
    else if (min < max)
        snprintf(r->range, sizeof r->range, "%g..%g", min, max);
}

static int max_int(int a, size_t b)
{
    return (size_t)a > b ? a : (int)b;
}

/* The parameter table, its columns as wide as their widest cell. */
static void print_params(FILE *out, const struct param_row *rows, size_t n)
{
    int w[4] = {0, 0, 0, 0};
    for (size_t i = 0; i < n; i++) {
        w[0] = max_int(w[0], strlen(rows[i].name));
        w[1] = max_int(w[1], strlen(rows[i].type));
        w[2] = max_int(w[2], strlen(rows[i].def));
        w[3] = max_int(w[3], strlen(rows[i].range));
    }
    for (size_t i = 0; i < n; i++) {
        const struct param_row *r = &rows[i];
        char *line = cl_xasprintf("    %-*s  %-*s  %-*s  %-*s  %s", w[0],
                                  r->name, w[1], r->type, w[2], r->def, w[3],
                                  r->range, r->help);
        size_t len = strlen(line);
        while (len && line[len - 1] == ' ') /* empty last columns */
            len--;
        fprintf(out, "%.*s\n", (int)len, line);
        free(line);
    }
}

static void print_plugin(FILE *out, const struct cl_plugin *p, int name_w)
{
    const struct conlab_plugin *d = &p->desc;
    fprintf(out, "  %-*s  %s\n", name_w, d->name, d->summary ? d->summary : "");
    fprintf(out, "    file: %s (ABI %u.%u%s%s)\n", p->path, p->built_major,
            p->built_minor, d->version ? ", version " : "",
            d->version ? d->version : "");
    size_t n = 0;
    while (d->params && d->params[n].name)
        n++;
    if (n == 0 && d->kind != CONLAB_KIND_WORKLOAD) {
        fprintf(out, "    (no parameters)\n");
        return;
    }
    struct param_row *rows = cl_xcalloc(n + 2, sizeof *rows), *r = rows;
    param_row(r++, "parameter", "type", "default", 0, 0, "range", "help");
    if (d->kind == CONLAB_KIND_WORKLOAD)
        param_row(r++, "tasks", "int", "10", 0, 1e9, NULL,
                  "how many tasks (host parameter of every workload)");
    for (size_t i = 0; i < n; i++) {
        const struct conlab_param *q = &d->params[i];
        param_row(r++, q->name, type_name(q->type), q->def, q->min, q->max,
                  q->type == CONLAB_PARAM_ENUM ? q->choices : NULL, q->help);
    }
    print_params(out, rows, (size_t)(r - rows));
    free(rows);
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
    "one-line summary and their parameters (name, type, default, range,\n"
    "help).  With NAMEs, shows only those; a NAME that is no strategy or\n"
    "workload is said, with the nearest name and every strategy and workload\n"
    "there is (exit status 1).\n"
    "The path is $CONLAB_PLUGIN_PATH (colon-separated), then the plugins next\n"
    "to the conlab executable.  CONLAB_PLUGIN_VERBOSE=1 traces loading.\n";

/* "conlab list: no strategy or workload named 'NAME'; did you mean
 * 'NEAR'?" and every name there is, strategies then workloads. */
static void say_unknown(const struct cl_registry *reg, const char *name)
{
    const char **names = cl_xcalloc(reg->n + 1, sizeof *names);
    for (size_t i = 0; i < reg->n; i++)
        names[i] = reg->v[i]->desc.name;
    const char *near = cl_suggest(name, names, reg->n);
    fprintf(stderr, "conlab list: no strategy or workload named '%s'", name);
    if (near)
        fprintf(stderr, "; did you mean '%s'?", near);
    fputc('\n', stderr);
    for (int kind = CONLAB_KIND_STRATEGY; kind <= CONLAB_KIND_WORKLOAD; kind++) {
        const char *sep = "";
        fprintf(stderr, "  %s:", kind == CONLAB_KIND_STRATEGY ? "strategies"
                                                             : "workloads");
        for (size_t i = 0; i < reg->n; i++)
            if ((int)reg->v[i]->desc.kind == kind) {
                fprintf(stderr, "%s %s", sep, names[i]);
                sep = ",";
            }
        fputs(*sep ? "\n" : " (none found)\n", stderr);
    }
    free(names);
}

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
    int rc = 0, name_w = 0;
    for (size_t i = 0; i < reg.n; i++)
        name_w = max_int(name_w, strlen(reg.v[i]->desc.name));
    if (argc > 1) {
        for (int a = 1; a < argc; a++) {
            int found = 0;
            for (size_t i = 0; i < reg.n; i++)
                if (strcmp(reg.v[i]->desc.name, argv[a]) == 0) {
                    fprintf(stdout, "%s:\n", cl_kind_name(reg.v[i]->desc.kind));
                    print_plugin(stdout, reg.v[i], name_w);
                    found = 1;
                }
            if (!found && reg.n) {
                say_unknown(&reg, argv[a]);
                rc = 1;
            }
        }
    } else {
        for (int kind = CONLAB_KIND_STRATEGY; kind <= CONLAB_KIND_WORKLOAD; kind++) {
            fprintf(stdout, "%s:\n", kind == CONLAB_KIND_STRATEGY ? "strategies" : "workloads");
            for (size_t i = 0; i < reg.n; i++)
                if ((int)reg.v[i]->desc.kind == kind)
                    print_plugin(stdout, reg.v[i], name_w);
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
    "usage: conlab validate [--no-load] [--set KEY=VALUE]... SPEC...\n"
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
    "usage: conlab run [SPEC | -] [-r N] [-w N] [--set KEY=VALUE]...\n"
    "                  [-o DIR | --resume DIR] [--force] [--tasks] [--calibrate]\n"
    "                  [--shard I/N] [--dry-run] [--quiet]\n"
    "       conlab run --strategy NAME[:K=V,...]... --workload NAME[:K=V,...]...\n"
    "                  [-r N] [-w N] [OPTIONS]\n"
    "\n"
    "Runs every cell (strategy variant x workload variant) of the experiment in\n"
    "SPEC (default: the built-in seeds experiment, experiments/seeds.yaml;\n"
    "`-`: the spec on standard input, a pipe or a file, not a terminal):\n"
    "`warmup` unmeasured then `repeat` measured repetitions, each in a fresh\n"
    "child process of its own process group.  Every task is checked (ran exactly\n"
    "once, returned its expected value).  A cell that crashes or passes its\n"
    "timeout is recorded as such and the run goes on.  A spec has at most\n"
    "100000 cells (see 'conlab validate --help' for every limit).\n"
    "\n"
    "  -r, --repeat N    measured repetitions of each cell, over the spec's\n"
    "                    `repeat` (1 to 1000000)\n"
    "  -w, --warmup N    unmeasured repetitions first, over the spec's `warmup`\n"
    "                    (0 to 1000000)\n"
    "      --strategy NAME[:K=V,...]\n"
    "                    without SPEC: a strategy of the experiment `cli` the\n"
    "                    command line stands for; once per strategy\n"
    "      --workload NAME[:K=V,...]\n"
    "                    without SPEC: a workload of it; once per workload\n"
    "  -o, --output DIR  write results to DIR (default results/<experiment>/\n"
    "                    <timestamp>/, with results/<experiment>/latest -> it);\n"
    "                    refused (exit 2, nothing changed) when DIR holds files\n"
    "  -t, --tasks       also write tasks.csv: one row per task (worker, cpu,\n"
    "                    start, end, status)\n"
    "  -n, --dry-run     list the cells and stop (with --strategy: show the\n"
    "                    spec first)\n"
    "      --set KEY=VALUE  override a spec value before it is checked (KEY:\n"
    "                    repeat, seed, workloads.sleep.tasks, strategies.threads.\n"
    "                    workers...; VALUE: YAML, e.g. [1,2,4]); repeatable,\n"
    "                    recorded in run.yaml and in the spec hash\n"
    "  -q, --quiet       no progress and no summary table\n"
    "      --resume DIR  go on with the run in DIR (after Ctrl-C, kill -9, a\n"
    "                    power cut), given the same SPEC or arguments; see\n"
    "                    Resuming below\n"
    "  -f, --force       with --resume: accept a changed spec or plugin file,\n"
    "                    and drop rows of cells or repetitions it does not\n"
    "                    have; with -o: move what DIR holds aside to\n"
    "                    DIR.old-<time>/ (never deleted) and start afresh in DIR\n"
    "  -s, --shard I/N   run only the I-th of N shards of the cells (cell k is\n"
    "                    in shard k mod N + 1), for batch systems; one output\n"
    "                    directory per shard\n"
    "      --calibrate   first measure the machine's floors (conlab calibrate,\n"
    "                    about 1 s) into run.yaml; the report then says which\n"
    "                    cells they dominate (spec: calibrate: true)\n"
    "\n"
    "One line, no file: each --strategy and --workload is NAME or\n"
    "NAME:KEY=VALUE[,KEY=VALUE...], a VALUE written as in a spec (a list in []\n"
    "sweeps; commas inside [], {} or quotes do not split), e.g.\n"
    "  conlab run --strategy sequential --strategy 'threads:workers=[1,2,4]' \\\n"
    "             --workload 'fib:n=[30],tasks=20' -r 5\n"
    "The spec they stand for (-n shows it) is run and recorded in run.yaml as\n"
    "any spec is, its path `<command line>`; a problem in it is reported with\n"
    "the argument it comes from.\n"
    "\n"
    "Writes results.csv (a row per cell x repetition, appended and flushed as\n"
    "measured), summary.csv (a row per cell: mean, sd, median, min, max, 95%\n"
    "CI of wall time, speedup against `sequential`), run.yaml (machine, versions,\n"
    "the spec as given, the command line, the seed, every plugin's path,\n"
    "version and SHA-256) and tasks.csv if asked.\n"
    "While it runs, DIR/.lock names it: a second run, --resume or merge of DIR\n"
    "is refused (exit 2) with the PID and command line of the one writing.\n"
    "\n"
    "run.yaml is written (and fsync'ed) before the first cell: when it cannot\n"
    "be, nothing is measured (exit 3).\n"
    "\n";

static const char run_help_tail[] =
    "\n"
    "Resuming: results.csv is the truth.  A cell is done when results.csv has\n"
    "all `repeat` measured repetitions of it, or a row that ended it (error,\n"
    "memory, timeout, crashed).  A cell with k of them keeps them and goes on\n"
    "with repetition k+1, after its warm-ups run again (repetitions are fresh\n"
    "processes, so they stay alike; nothing measured is thrown away).\n"
    "`interrupted` rows and a torn last line (said, with its line) are dropped:\n"
    "those repetitions run again.  summary.csv is written anew from results.csv.\n"
    "Refused (exit 2, nothing changed): DIR without run.yaml (nothing was\n"
    "measured: start over with -o DIR --force), run.yaml of another spec or of\n"
    "a plugin file changed since (its SHA-256; --force accepts and records\n"
    "it), and a results.csv that is not this run's (another header, an unknown\n"
    "status, a cell not in the spec, a repetition out of range or twice).\n"
    "\n"
    "Exit status: 0 every cell ok; 1 some cell not ok; 2 bad command line or\n"
    "spec (nothing ran); 3 results could not be written; 130 interrupted\n"
    "(Ctrl-C stops the running cell and keeps what was measured; a second\n"
    "Ctrl-C stops at once).\n";

/* A repetition count from the command line: 0 and *out, or -1 said. */
static int parse_count(const char *opt, const char *s, int min, int *out)
{
    char *end = NULL;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < min || v > 1000000) {
        fprintf(stderr, "conlab run: %s wants a whole number from %d to "
                "1000000 (got '%s')\n", opt, min, s);
        return -1;
    }
    *out = (int)v;
    return 0;
}

/* The spec on standard input (`conlab run -`), at most CL_MAX_SPEC_BYTES:
 * the text (malloc'ed) and *len, or NULL said. */
static char *read_stdin_spec(size_t *len)
{
    if (isatty(STDIN_FILENO)) {
        fprintf(stderr, "conlab run: '-' reads the spec from standard input, "
                "which is a terminal; pipe one in (conlab run - < spec.yaml) "
                "or name the file\n");
        return NULL;
    }
    size_t cap = 4096, n = 0;
    char *text = cl_xmalloc(cap);
    size_t got;
    while ((got = fread(text + n, 1, cap - n, stdin)) > 0) {
        n += got;
        if (n > CL_MAX_SPEC_BYTES)
            break;
        if (n == cap)
            text = cl_xrealloc(text, cap *= 2);
    }
    const char *fail = ferror(stdin) ? strerror(errno)
                       : n > CL_MAX_SPEC_BYTES
                           ? "larger than 16 MiB, the most conlab reads" : NULL;
    if (fail) {
        fprintf(stderr, "<stdin>: error: cannot read the spec: %s\n", fail);
        free(text);
        return NULL;
    }
    *len = n;
    return text;
}

enum { OPT_RESUME = 256, OPT_STRATEGY, OPT_WORKLOAD };

int cl_cmd_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"tasks", no_argument, NULL, 't'},
        {"dry-run", no_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"repeat", required_argument, NULL, 'r'},
        {"warmup", required_argument, NULL, 'w'},
        {"resume", required_argument, NULL, OPT_RESUME},
        {"strategy", required_argument, NULL, OPT_STRATEGY},
        {"workload", required_argument, NULL, OPT_WORKLOAD},
        {"force", no_argument, NULL, 'f'},
        {"shard", required_argument, NULL, 's'},
        {"calibrate", no_argument, NULL, 'C'},
        {"set", required_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct cl_run_opts o = {0};
    struct cl_spec_opts so = {0};
    struct cl_oneliner one = {NULL, 0, NULL, 0, -1, -1};
    const char **strategies = cl_xcalloc((size_t)argc, sizeof *strategies);
    const char **workloads = cl_xcalloc((size_t)argc, sizeof *workloads);
    int c, rc = CL_EXIT_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:tnqr:w:fs:h", opts, NULL)) != -1) {
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case 't': o.record_tasks = 1; break;
        case 'C': o.calibrate = 1; break;
        case 'n': o.dry_run = 1; break;
        case 'q': o.quiet = 1; break;
        case 'r':
            if (parse_count("-r/--repeat", optarg, 1, &one.repeat) != 0) {
                if (*optarg < '0' || *optarg > '9')
                    fprintf(stderr, "conlab run: (-r is --repeat, as in "
                            "hyperfine; to resume a run: --resume DIR)\n");
                goto out;
            }
            break;
        case 'w':
            if (parse_count("-w/--warmup", optarg, 0, &one.warmup) != 0)
                goto out;
            break;
        case 'S': cl_spec_opts_add(&so, optarg); break;
        case OPT_RESUME: o.resume = optarg; break;
        case OPT_STRATEGY: strategies[one.n_strategies++] = optarg; break;
        case OPT_WORKLOAD: workloads[one.n_workloads++] = optarg; break;
        case 'f': o.force = 1; break;
        case 's': {
            char *end = NULL;
            unsigned long i = strtoul(optarg, &end, 10), n = 0;
            if (end && *end == '/')
                n = strtoul(end + 1, &end, 10);
            if (!end || *end || i < 1 || n < 1 || i > n || n > 1000000) {
                fprintf(stderr, "conlab run: --shard wants I/N with 1 <= I <= N "
                        "(got '%s')\n", optarg);
                goto out;
            }
            o.shard = (unsigned)i;
            o.shards = (unsigned)n;
            break;
        }
        case 'h':
            fputs(run_help, stdout);
            fputs("Cell status, the `status` column of results.csv:\n", stdout);
            cl_help_statuses(stdout, "  ");
            fputs(run_help_tail, stdout);
            rc = 0;
            goto out;
        default:
            fprintf(stderr, "see 'conlab run --help'\n");
            goto out;
        }
    }
    one.strategies = strategies;
    one.workloads = workloads;
    int oneliner = one.n_strategies || one.n_workloads;
    /* -r/-w are --set repeat=N / warmup=N (the one-liner writes them into
     * the spec it stands for instead) */
    char set[32];
    if (!oneliner && one.repeat >= 0) {
        snprintf(set, sizeof set, "repeat=%d", one.repeat);
        cl_spec_opts_add(&so, set);
    }
    if (!oneliner && one.warmup >= 0) {
        snprintf(set, sizeof set, "warmup=%d", one.warmup);
        cl_spec_opts_add(&so, set);
    }
    if ((o.out_dir && !*o.out_dir) || (o.resume && !*o.resume)) {
        fprintf(stderr, "conlab run: %s wants a directory, not an empty "
                "string\n", o.out_dir ? "-o/--output" : "--resume");
        goto out;
    }
    if (o.resume && o.out_dir) {
        fprintf(stderr, "conlab run: --resume DIR writes into DIR; drop -o\n");
        goto out;
    }
    if (argc - optind > 1) {
        fprintf(stderr, "conlab run: one spec at a time (got %d); see 'conlab run --help'\n",
                argc - optind);
        goto out;
    }
    if (oneliner && (argc > optind || !one.n_strategies || !one.n_workloads)) {
        fprintf(stderr, "conlab run: %s; see 'conlab run --help'\n",
                argc > optind ? "--strategy and --workload stand for a spec: "
                                "give them or SPEC, not both"
                : one.n_strategies ? "no --workload: give at least one"
                                   : "no --strategy: give at least one");
        goto out;
    }
    const char *path = optind < argc ? argv[optind] : NULL;
    struct cl_registry reg;
    cl_registry_init(&reg);
    struct cl_spec *spec = NULL;
    int loaded;
    if (oneliner) {
        loaded = cl_oneliner_open(&reg, &one, o.dry_run, &so, &spec);
    } else if (path && !strcmp(path, "-")) {
        size_t len = 0;
        char *text = read_stdin_spec(&len);
        loaded = text ? cl_spec_open_text_opts(&reg, "<stdin>", text, len, NULL,
                                               &so, &spec)
                      : -1;
        free(text);
    } else {
        loaded = cl_spec_open_opts(&reg, path, &so, &spec);
    }
    if (loaded != 0)
        fprintf(stderr, "conlab: nothing was run\n");
    if (loaded != 0 || cl_spec_check_machine(spec) != 0) {
        cl_spec_free(spec);
        cl_registry_free(&reg);
        goto out;
    }
    extern int cl_main_argc;
    extern char **cl_main_argv;
    o.argc = cl_main_argc;
    o.argv = cl_main_argv;
    rc = cl_run(spec, &o);
    cl_spec_free(spec);
    cl_registry_free(&reg);
out:
    cl_spec_opts_free(&so);
    free(strategies);
    free(workloads);
    return rc;
}

static const char version_help[] =
    "usage: conlab version\n"
    "       conlab --version\n"
    "\n"
    "Prints conlab's version and the plugin ABI (MAJOR.MINOR) it speaks: it\n"
    "loads plugins of the same major and a minor no newer than its own.\n";

int cl_cmd_version(int argc, char **argv)
{
    if (argc > 1 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(version_help, stdout);
        return 0;
    }
    printf("conlab %s (plugin ABI %d.%d)\n", CONLAB_VERSION, CONLAB_ABI_MAJOR,
           CONLAB_ABI_MINOR);
    return 0;
}

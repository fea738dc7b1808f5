/* check.c — `conlab check PLUGIN`: conformance for plugin authors.
 *
 * A strategy is run against the built-in workloads (sleep, fib, noop) and
 * the `conformance` workload (seeded values, planned failures, a worker
 * whose init fails, waits, overlapping-call detection), and through edge
 * cases: no task, one task, more workers than tasks, 100,000 tasks, pinning.
 * A workload is run under every built-in strategy, and checked for
 * deterministic expected values, paired worker init/fini, and for waiting
 * only through the host (under coroutines it must not take much longer than
 * under threads with as many workers).
 *
 * Every run is one repetition of one cell, forked and judged exactly as
 * `conlab run` does it, so a crash or a hang costs its check, never the
 * command.  This file is the command (arguments, loading the plugin under
 * test, the summary); the framework is checker.c (check_internal.h), the
 * checks check_strategy.c and check_workload.c. */
#include "check.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check_internal.h"
#include "cli.h"
#include "params.h"
#include "spec.h"
#include "serve.h"
#include "topo.h"
#include "util.h"

#define DEFAULT_TIMEOUT_S 30.0

/* Every check's name, by the kind of plugin it applies to. */
static const char *const strategy_checks[] = {
    "load", "params", "sleep", "fib", "noop", "zero-tasks", "one-task",
    "more-workers-than-tasks", "many-tasks", "failing-tasks",
    "worker-init-fails", "exactly-once", "pinning", "spawning", "spawn-errors",
    NULL};
static const char *const workload_checks[] = {
    "load", "params", "under-sequential", "under-threads", "under-processes",
    "under-coroutines", "under-gil", "worker-init-fini",
    "deterministic-expected", "waits-through-host", NULL};

/* Every name in --only must be a check of this kind.  0, or -1 (printed). */
static int validate_only(const struct cl_checker *ck, enum conlab_kind kind)
{
    const char *const *names =
        kind == CONLAB_KIND_STRATEGY ? strategy_checks : workload_checks;
    for (const char *p = ck->only; p && *p;) {
        size_t n = strcspn(p, ",");
        int known = n == 0;
        for (size_t i = 0; names[i] && !known; i++)
            known = strlen(names[i]) == n && strncmp(names[i], p, n) == 0;
        if (!known) {
            fprintf(stderr, "conlab check: --only: no check '%.*s' for a %s "
                    "(checks:", (int)n, p, cl_kind_name(kind));
            for (size_t i = 0; names[i]; i++)
                fprintf(stderr, " %s", names[i]);
            fputs(")\n", stderr);
            return -1;
        }
        p += n + (p[n] == ',');
    }
    return 0;
}


/* ---- loading the plugin under test ------------------------------------------------ */

static int looks_like_path(const char *s)
{
    size_t n = strlen(s);
    return strchr(s, '/') || (n > 3 && strcmp(s + n - 3, ".so") == 0);
}

/* Which kind a name has in the plugin path: the first "<kind>_<name>.so"
 * found; 0 when none. */
static enum conlab_kind kind_on_path(const struct cl_registry *r,
                                     const char *name)
{
    for (size_t d = 0; d < r->n_dirs; d++)
        for (int k = CONLAB_KIND_STRATEGY; k <= CONLAB_KIND_WORKLOAD; k++) {
            char *path = cl_xasprintf("%s/%s_%s.so", r->dirs[d],
                                      cl_kind_name((enum conlab_kind)k), name);
            int there = access(path, F_OK) == 0;
            free(path);
            if (there)
                return (enum conlab_kind)k;
        }
    return (enum conlab_kind)0;
}

static const struct cl_plugin *load_plugin(struct cl_checker *ck, const char *what,
                                           char *err, size_t errlen)
{
    if (looks_like_path(what))
        return cl_registry_load(&ck->reg, what, err, errlen);
    enum conlab_kind k = kind_on_path(&ck->reg, what);
    if (k)
        return cl_registry_find(&ck->reg, k, what, err, errlen);
    char e1[512], e2[512];
    if (!cl_registry_find(&ck->reg, CONLAB_KIND_STRATEGY, what, e1, sizeof e1) &&
        !cl_registry_find(&ck->reg, CONLAB_KIND_WORKLOAD, what, e2, sizeof e2))
        snprintf(err, errlen, "no strategy or workload named '%s': %s; %s",
                 what, e1, e2);
    return NULL;
}

/* The --param values must load in a spec with the plugin (nothing printed
 * but the loader's messages).  0, or -1 after printing them. */
static int validate_user_params(struct cl_checker *ck)
{
    char err[1200];
    int strategy = ck->plugin->desc.kind == CONLAB_KIND_STRATEGY;
    const char *partners[] = {"noop", "conformance", "sleep", "fib"};
    struct cl_plugref other;
    cl_plugref_init(&other, NULL, NULL);
    if (strategy) {
        for (size_t i = 0; i < 4 && !other.name; i++)
            if (cl_ck_have(ck, CONLAB_KIND_WORKLOAD, partners[i], err, sizeof err))
                other.name = partners[i];
    } else if (cl_ck_have(ck, CONLAB_KIND_STRATEGY, "sequential", err, sizeof err)) {
        other.name = "sequential";
    }
    if (!other.name)
        return 0; /* every check that needs a partner says n/a */
    struct cl_spec *spec =
        strategy ? cl_ck_load_spec(ck, &ck->sut, &other, NULL, err, sizeof err)
                 : cl_ck_load_spec(ck, &other, &ck->sut, NULL, err, sizeof err);
    if (!spec) {
        fprintf(stderr, "conlab check: %s\n", err);
        return -1;
    }
    cl_spec_free(spec);
    return 0;
}

/* The parameter table and every default parse.  0, or -1 (reported). */
static int check_defaults(struct cl_checker *ck)
{
    char err[1200];
    void *cfg = NULL, *arena = NULL;
    const char *name = "params";
    if (cl_params_defaults(&ck->plugin->desc, &cfg, &arena, err, sizeof err) != 0) {
        cl_ck_fail(ck, name, "%s", err);
        return -1;
    }
    cl_params_free(cfg, arena);
    if (cl_ck_selected(ck, name))
        cl_ck_pass(ck, name, NULL);
    return 0;
}

/* ---- the command ------------------------------------------------------------------- */

static const char check_help[] =
    "usage: conlab check PLUGIN [--param K=V]... [--timeout DUR] [--only NAMES]\n"
    "                          [--seed N] [--verbose]\n"
    "\n"
    "Conformance checks for a strategy or workload plugin.  PLUGIN is a name\n"
    "in the plugin path or the path of a .so.\n"
    "\n"
    "A strategy runs every built-in workload (sleep, fib, noop) and the\n"
    "`conformance` workload through: no task, one task, more workers than\n"
    "tasks, 100,000 tasks, tasks that fail, a worker whose init fails, 2,000\n"
    "tasks with random waits (exactly once, right values, no overlapping calls\n"
    "on one worker), pinning (each task on its worker's planned CPU under\n"
    "pinning: compact; a one-thread cooperative strategy may run all on worker\n"
    "0's CPU), and fork-join tasks (ABI 1.1 spawn/sync: every spawned child\n"
    "runs exactly once, sync never deadlocks, a child's error reaches sync).\n"
    "\n"
    "A workload runs under every built-in strategy (sequential, threads,\n"
    "processes, coroutines, gil); then: worker_init/worker_fini pairing,\n"
    "deterministic expected values (two creates, same seed), and waiting only\n"
    "through the host: under coroutines it must not take much longer than\n"
    "under as many threads (n/a for workloads that never wait).\n"
    "\n"
    "Each check runs in its own process, like a cell of `conlab run`; a crash\n"
    "fails that check, a hang fails it at the timeout.\n"
    "\n"
    "checks of a strategy: load params sleep fib noop zero-tasks one-task\n"
    "  more-workers-than-tasks many-tasks failing-tasks worker-init-fails\n"
    "  exactly-once pinning spawning spawn-errors\n"
    "checks of a workload: load params under-sequential under-threads\n"
    "  under-processes under-coroutines under-gil worker-init-fini\n"
    "  deterministic-expected waits-through-host\n"
    "\n"
    "  -p, --param K=V    a parameter of PLUGIN (repeatable; V as in a spec:\n"
    "                     --param workers=3, --param seconds=10ms,\n"
    "                     --param \"n=[20, 15]\")\n"
    "  -t, --timeout DUR  per check (default 30s)\n"
    "  -o, --only NAMES   run only these checks (comma-separated)\n"
    "  -s, --seed N       the seed every run uses (default 42)\n"
    "  -v, --verbose      show the plugins' log lines (default: errors only)\n"
    "\n"
    "Prints one line per check: \"PASS name\", \"FAIL name: reason\" or\n"
    "\"SKIP name: reason\" (n/a), then \"N passed, M failed, K skipped\".\n"
    "Exit status: 0 nothing failed; 1 a check failed; 2 bad command line or\n"
    "--param; 3 internal error; 130 interrupted.\n"
    "\n"
    "examples:\n"
    "  conlab check threads\n"
    "  conlab check ./build/strategy_mine.so --param workers=3\n"
    "  conlab check sleep --param seconds=10ms\n";

/* "key=value" into the plugin-under-test's table.  0, or -1 (message). */
static int add_param(struct cl_plugref *r, const char *arg)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg) {
        fprintf(stderr, "conlab check: --param expects KEY=VALUE, got '%s'\n", arg);
        return -1;
    }
    size_t klen = (size_t)(eq - arg);
    if (strspn(arg, "abcdefghijklmnopqrstuvwxyz0123456789_") != klen) {
        fprintf(stderr, "conlab check: --param '%.*s': a parameter name is "
                "lowercase letters, digits and '_'\n", (int)klen, arg);
        return -1;
    }
    if (klen == 6 && strncmp(arg, "plugin", 6) == 0) {
        fprintf(stderr, "conlab check: 'plugin' is not a parameter: give the "
                "path as PLUGIN\n");
        return -1;
    }
    if (strpbrk(eq + 1, "\n\r") || !eq[1]) {
        fprintf(stderr, "conlab check: --param %.*s: the value must be one "
                "non-empty line\n", (int)klen, arg);
        return -1;
    }
    /* keys are borrowed: keep the argv string, cut at '=' in a copy */
    char *key = strndup(arg, klen);
    if (!key || cl_plugref_set(r, key, "%s", eq + 1) != 0) {
        free(key);
        fprintf(stderr, "conlab check: too many --param values\n");
        return -1;
    }
    /* ref_set kept the pointer when the key was new; otherwise drop ours */
    for (size_t i = 0; i < r->n; i++)
        if (r->kv[i].key == key)
            return 0;
    free(key);
    return 0;
}

static void free_param_keys(struct cl_plugref *r)
{
    for (size_t i = 0; i < r->n; i++)
        free((char *)r->kv[i].key);
}

static int parse_args(int argc, char **argv, struct cl_checker *ck,
                      const char **what)
{
    static const struct option opts[] = {
        {"param", required_argument, NULL, 'p'},
        {"timeout", required_argument, NULL, 't'},
        {"only", required_argument, NULL, 'o'},
        {"seed", required_argument, NULL, 's'},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "p:t:o:s:vh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (add_param(&ck->sut, optarg) != 0)
                return CL_EXIT_USAGE;
            break;
        case 't':
            if (cl_parse_duration(optarg, &ck->timeout_s) != 0 ||
                ck->timeout_s <= 0) {
                fprintf(stderr, "conlab check: --timeout expects a duration "
                        "such as 30s or 500ms, got '%s'\n", optarg);
                return CL_EXIT_USAGE;
            }
            break;
        case 'o': ck->only = optarg; break;
        case 's': {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 0);
            if (errno || *end || end == optarg || optarg[0] == '-') {
                fprintf(stderr, "conlab check: --seed expects a non-negative "
                        "integer, got '%s'\n", optarg);
                return CL_EXIT_USAGE;
            }
            ck->seed = v;
            break;
        }
        case 'v': cl_log_level = CONLAB_LOG_DEBUG; break;
        case 'h': fputs(check_help, stdout); return -1;
        default:
            fprintf(stderr, "see 'conlab check --help'\n");
            return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fprintf(stderr, "conlab check: %s; see 'conlab check --help'\n",
                argc - optind ? "one PLUGIN at a time" : "which PLUGIN?");
        return CL_EXIT_USAGE;
    }
    *what = argv[optind];
    return 0;
}

static int finish(struct cl_checker *ck)
{
    printf("%u passed, %u failed", ck->passed, ck->failed);
    if (ck->skipped)
        printf(", %u skipped", ck->skipped);
    fputc('\n', stdout);
    if (ck->interrupted) {
        fprintf(stderr, "conlab check: interrupted\n");
        return CL_EXIT_INTERRUPTED;
    }
    if (ck->internal_error)
        return CL_EXIT_INTERNAL;
    return ck->failed ? 1 : 0;
}

static int run_checks(struct cl_checker *ck, const char *what)
{
    char err[1200];
    ck->plugin = load_plugin(ck, what, err, sizeof err);
    if (!ck->plugin) {
        if (!looks_like_path(what) && strncmp(err, "no strategy or workload", 23) == 0) {
            fprintf(stderr, "conlab check: %s\n", err);
            return CL_EXIT_USAGE;
        }
        cl_ck_fail(ck, "load", "%s", err);
        return finish(ck);
    }
    const struct cl_plugin *p = ck->plugin;
    ck->sut.name = p->desc.name;
    ck->sut.path = p->path;
    if (validate_only(ck, (enum conlab_kind)p->desc.kind) != 0 ||
        (ck->sut.n && validate_user_params(ck) != 0))
        return CL_EXIT_USAGE;
    printf("checking %s '%s' (%s, ABI %u.%u%s%s)\n",
           cl_kind_name(p->desc.kind), p->desc.name, p->path, p->built_major,
           p->built_minor, p->desc.version ? ", version " : "",
           p->desc.version ? p->desc.version : "");
    cl_ck_pass(ck, "load", NULL);
    if (check_defaults(ck) != 0)
        return finish(ck);
    if (cl_topo_open(&ck->topo, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "conlab check: topology: %s\n", err);
        ck->internal_error = 1;
        return finish(ck);
    }
    if (p->desc.kind == CONLAB_KIND_STRATEGY)
        cl_ck_strategy(ck);
    else
        cl_ck_workload(ck);
    return finish(ck);
}

int cl_cmd_check(int argc, char **argv)
{
    struct cl_checker ck;
    memset(&ck, 0, sizeof ck);
    ck.timeout_s = DEFAULT_TIMEOUT_S;
    ck.seed = 42;
    int saved_level = cl_log_level;
    cl_log_level = CONLAB_LOG_ERROR;
    const char *what = NULL;
    int rc = parse_args(argc, argv, &ck, &what);
    if (rc == 0) {
        cl_registry_init(&ck.reg);
        rc = run_checks(&ck, what);
        cl_server_stop(ck.server);
        cl_topo_close(ck.topo);
        cl_registry_free(&ck.reg);
    } else if (rc < 0) {
        rc = 0; /* --help */
    }
    free_param_keys(&ck.sut);
    cl_plugref_free(&ck.sut);
    cl_log_level = saved_level;
    return rc;
}


/* fake_plugins.c — see fake_plugins.h. */
#include "fake_plugins.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

/* ---- fake strategies ----------------------------------------------------- */

static const struct conlab_param threads_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "threads",
     offsetof(struct threads_cfg, workers)},
    {"stack_kib", CONLAB_PARAM_INT, "256", 16, 1048576, NULL, "stack",
     offsetof(struct threads_cfg, stack_kib)},
    CONLAB_PARAM_END};
static const struct conlab_param workers_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "workers",
     offsetof(struct workers_cfg, workers)},
    CONLAB_PARAM_END};
static const struct conlab_param coro_params[] = {
    {"concurrency", CONLAB_PARAM_INT, "100", 1, 1000000, NULL, "coroutines",
     offsetof(struct coro_cfg, concurrency)},
    CONLAB_PARAM_END};
static const struct conlab_param gil_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "threads",
     offsetof(struct gil_cfg, workers)},
    {"switch_interval", CONLAB_PARAM_DURATION, "5ms", 0, 1, NULL, "slice",
     offsetof(struct gil_cfg, switch_interval)},
    CONLAB_PARAM_END};

#define STRATEGY(n, params_, cfg)                                              \
    {CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY), .name = n, .summary = n,      \
     .version = "1", .params = params_, .config_size = cfg}

const struct conlab_plugin fake_strategies[FAKE_N_STRATEGIES] = {
    [FAKE_THREADS] = STRATEGY("threads", threads_params,
                              sizeof(struct threads_cfg)),
    [FAKE_SEQUENTIAL] = STRATEGY("sequential", NULL, 0),
    [FAKE_PROCESSES] = STRATEGY("processes", workers_params,
                                sizeof(struct workers_cfg)),
    [FAKE_COROUTINES] = STRATEGY("coroutines", coro_params,
                                 sizeof(struct coro_cfg)),
    [FAKE_GIL] = STRATEGY("gil", gil_params, sizeof(struct gil_cfg)),
};
const struct conlab_plugin fake_mine_strategy =
    STRATEGY("mine", workers_params, sizeof(struct workers_cfg));

/* ---- fake workloads ------------------------------------------------------ */

static const struct conlab_param sleep_params[] = {
    {"seconds", CONLAB_PARAM_DURATION, "0.25s", 0, 3600, NULL, "per task",
     offsetof(struct sleep_cfg, seconds)},
    {"mode", CONLAB_PARAM_ENUM, "fixed", 0, 0, "fixed|uniform|exponential",
     "distribution", offsetof(struct sleep_cfg, mode)},
    {"blocking", CONLAB_PARAM_BOOL, "false", 0, 0, NULL, "block",
     offsetof(struct sleep_cfg, blocking)},
    {"distribution", CONLAB_PARAM_ENUM, "fixed", 0, 0,
     "fixed|uniform|exponential", "the real sleep's name for mode",
     offsetof(struct sleep_cfg, distribution)},
    CONLAB_PARAM_END};
static const struct conlab_param fib_params[] = {
    {"n", CONLAB_PARAM_INT_LIST, "[30]", 0, 90, NULL, "n per task, cycled",
     offsetof(struct fib_cfg, n)},
    CONLAB_PARAM_END};
static const struct conlab_param kitchen_params[] = {
    {"dur", CONLAB_PARAM_DURATION, "1.5s", 0, 60, NULL, "",
     offsetof(struct kitchen_cfg, dur)},
    {"mode", CONLAB_PARAM_ENUM, "fast", 0, 0, "fast|slow", "",
     offsetof(struct kitchen_cfg, mode)},
    {"flag", CONLAB_PARAM_BOOL, "true", 0, 0, NULL, "",
     offsetof(struct kitchen_cfg, flag)},
    {"ratio", CONLAB_PARAM_DOUBLE, "0.5", 0, 1, NULL, "",
     offsetof(struct kitchen_cfg, ratio)},
    {"name", CONLAB_PARAM_STRING, "kit", 0, 0, NULL, "",
     offsetof(struct kitchen_cfg, name)},
    {"n", CONLAB_PARAM_INT_LIST, "[34, 30]", 0, 90, NULL, "",
     offsetof(struct kitchen_cfg, n)},
    {"words", CONLAB_PARAM_STRING_LIST, "[alpha, beta]", 0, 0, NULL, "",
     offsetof(struct kitchen_cfg, words)},
    {"count", CONLAB_PARAM_INT, "-3", 0, 0, NULL, "no range",
     offsetof(struct kitchen_cfg, count)},
    CONLAB_PARAM_END};
static const struct conlab_param http_params[] = {
    {"url", CONLAB_PARAM_STRING, NULL, 0, 0, NULL, "required",
     offsetof(struct http_cfg, url)},
    {"conns", CONLAB_PARAM_INT, "1", 1, 1000, NULL, "",
     offsetof(struct http_cfg, conns)},
    {"urls", CONLAB_PARAM_STRING_LIST, "[builtin:/bytes/10]", 0, 0, NULL, "",
     offsetof(struct http_cfg, urls)},
    CONLAB_PARAM_END};
static const struct conlab_param broken_params[] = {
    {"x", CONLAB_PARAM_INT, "1", 0, 0, NULL, "", 64}, CONLAB_PARAM_END};
static const struct conlab_param baddefault_params[] = {
    {"x", CONLAB_PARAM_INT, "abc", 0, 0, NULL, "", 0}, CONLAB_PARAM_END};

#define WORKLOAD(n, params_, cfg)                                              \
    {CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD), .name = n, .summary = n,      \
     .version = "1", .params = params_, .config_size = cfg}

const struct conlab_plugin fake_workloads[FAKE_N_WORKLOADS] = {
    [FAKE_SLEEP] = WORKLOAD("sleep", sleep_params, sizeof(struct sleep_cfg)),
    [FAKE_FIB] = WORKLOAD("fib", fib_params, sizeof(struct fib_cfg)),
    [FAKE_KITCHEN] = WORKLOAD("kitchen", kitchen_params,
                              sizeof(struct kitchen_cfg)),
    [FAKE_HTTP] = WORKLOAD("http", http_params, sizeof(struct http_cfg)),
    [FAKE_BROKEN] = WORKLOAD("broken", broken_params, 8),
    [FAKE_BADDEFAULT] = WORKLOAD("baddefault", baddefault_params, 8),
    [FAKE_NOOP] = WORKLOAD("noop", NULL, 0),
};

/* ---- the fake lookup ----------------------------------------------------- */

static const struct conlab_plugin *fake_find(void *ctx, enum conlab_kind kind,
                                             const char *name,
                                             const char *path, char *err,
                                             size_t errlen)
{
    (void)ctx;
    if (path) {
        if (strcmp(path, "./fake/mine.so") == 0)
            return &fake_mine_strategy;
        if (strcmp(path, "./fake/wl.so") == 0)
            return &fake_workloads[FAKE_SLEEP];
        snprintf(err, errlen, "%s: cannot open shared object file", path);
        return NULL;
    }
    int strategy = kind == CONLAB_KIND_STRATEGY;
    const struct conlab_plugin *v = strategy ? fake_strategies : fake_workloads;
    size_t n = strategy ? FAKE_N_STRATEGIES : FAKE_N_WORKLOADS;
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    if (strcmp(name, "crashy") == 0)
        snprintf(err, errlen, "crashy: ABI mismatch (plugin 2.0, host 1.0)");
    else
        snprintf(err, errlen, "no such plugin");
    return NULL;
}

static size_t fake_names(void *ctx, enum conlab_kind kind, const char **out,
                         size_t max)
{
    (void)ctx;
    int strategy = kind == CONLAB_KIND_STRATEGY;
    const struct conlab_plugin *v = strategy ? fake_strategies : fake_workloads;
    size_t n = strategy ? FAKE_N_STRATEGIES : FAKE_N_WORKLOADS;
    size_t k = 0;
    for (size_t i = 0; i < n && k < max; i++)
        out[k++] = v[i].name;
    if (!strategy && k < max)
        out[k++] = "crashy";
    return k;
}

const struct cl_plugin_lookup fake_lookup = {fake_find, fake_names, NULL};

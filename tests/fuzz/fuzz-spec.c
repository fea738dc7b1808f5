/* fuzz-spec.c — libFuzzer target for the YAML spec loader.
 *
 * Feeds arbitrary bytes (not NUL-terminated) to cl_spec_load_string with a
 * fake plugin lookup, so every path of the loader — YAML parsing, keys,
 * plugin resolution, every parameter type, sweeps, labels, durations,
 * pinning, diagnostics — runs under ASan and UBSan; leaks are reported by
 * LeakSanitizer.  The fake plugins are those tests/unit/test-spec.c and the
 * specs under tests/specs/ name, so the seed corpus reaches deep at once.
 *
 * Built only with CONLAB_FUZZ=ON and clang (tests/fuzz/CMakeLists.txt):
 *   CC=clang cmake -S . -B build-fuzz -DCONLAB_FUZZ=ON
 *   cmake --build build-fuzz --target fuzz-spec
 *   build-fuzz/tests/fuzz/fuzz-spec -dict=tests/fuzz/yaml.dict \
 *       /tmp/corpus tests/fuzz/corpus experiments tests/specs/good tests/specs/bad
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- fake strategies ------------------------------------------------------ */

struct workers_cfg {
    int64_t workers;
    int64_t stack_kib;
};
static const struct conlab_param threads_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "threads",
     offsetof(struct workers_cfg, workers)},
    {"stack_kib", CONLAB_PARAM_INT, "256", 16, 1048576, NULL, "stack",
     offsetof(struct workers_cfg, stack_kib)},
    CONLAB_PARAM_END};
static const struct conlab_param workers_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "workers",
     offsetof(struct workers_cfg, workers)},
    CONLAB_PARAM_END};
static const struct conlab_param coro_params[] = {
    {"concurrency", CONLAB_PARAM_INT, "100", 1, 1000000, NULL, "coroutines",
     offsetof(struct workers_cfg, workers)},
    CONLAB_PARAM_END};

struct gil_cfg {
    int64_t workers;
    double switch_interval;
};
static const struct conlab_param gil_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "threads",
     offsetof(struct gil_cfg, workers)},
    {"switch_interval", CONLAB_PARAM_DURATION, "5ms", 0, 1, NULL, "slice",
     offsetof(struct gil_cfg, switch_interval)},
    CONLAB_PARAM_END};

#define STRATEGY(n, params_, cfg)                                              \
    {CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY), .name = n, .summary = n,      \
     .version = "1", .params = params_, .config_size = cfg}

static const struct conlab_plugin strategies[] = {
    STRATEGY("threads", threads_params, sizeof(struct workers_cfg)),
    STRATEGY("sequential", NULL, 0),
    STRATEGY("processes", workers_params, sizeof(struct workers_cfg)),
    STRATEGY("coroutines", coro_params, sizeof(struct workers_cfg)),
    STRATEGY("gil", gil_params, sizeof(struct gil_cfg)),
};
static const struct conlab_plugin mine_strategy =
    STRATEGY("mine", workers_params, sizeof(struct workers_cfg));

/* ---- fake workloads ------------------------------------------------------- */

struct sleep_cfg {
    double seconds;
    const char *mode;
    int blocking;
};
static const struct conlab_param sleep_params[] = {
    {"seconds", CONLAB_PARAM_DURATION, "0.25s", 0, 3600, NULL, "per task",
     offsetof(struct sleep_cfg, seconds)},
    {"mode", CONLAB_PARAM_ENUM, "fixed", 0, 0, "fixed|uniform|exponential",
     "distribution", offsetof(struct sleep_cfg, mode)},
    {"distribution", CONLAB_PARAM_ENUM, "fixed", 0, 0,
     "fixed|uniform|exponential", "the real sleep's name for it",
     offsetof(struct sleep_cfg, mode)},
    {"blocking", CONLAB_PARAM_BOOL, "false", 0, 0, NULL, "block",
     offsetof(struct sleep_cfg, blocking)},
    CONLAB_PARAM_END};

struct fib_cfg {
    struct conlab_int_list n;
};
static const struct conlab_param fib_params[] = {
    {"n", CONLAB_PARAM_INT_LIST, "[30]", 0, 90, NULL, "n per task",
     offsetof(struct fib_cfg, n)},
    CONLAB_PARAM_END};

/* One parameter of each type, in an order where offsets and padding matter. */
struct kitchen_cfg {
    int flag;
    double dur;
    const char *mode;
    char pad[3];
    double ratio;
    const char *name;
    struct conlab_int_list n;
    struct conlab_string_list words;
    int64_t count;
};
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

struct http_cfg {
    const char *url;
    int64_t conns;
    struct conlab_string_list urls;
};
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

static const struct conlab_plugin workloads[] = {
    WORKLOAD("sleep", sleep_params, sizeof(struct sleep_cfg)),
    WORKLOAD("fib", fib_params, sizeof(struct fib_cfg)),
    WORKLOAD("noop", NULL, 0),
    WORKLOAD("kitchen", kitchen_params, sizeof(struct kitchen_cfg)),
    WORKLOAD("http", http_params, sizeof(struct http_cfg)),
    WORKLOAD("broken", broken_params, 8),
    WORKLOAD("baddefault", baddefault_params, 8),
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* ---- the fake lookup ------------------------------------------------------ */

static const struct conlab_plugin *fake_find(void *ctx, enum conlab_kind kind,
                                             const char *name,
                                             const char *path, char *err,
                                             size_t errlen)
{
    (void)ctx;
    if (path) {
        if (strcmp(path, "./fake/mine.so") == 0)
            return &mine_strategy;
        if (strcmp(path, "./fake/wl.so") == 0)
            return &workloads[0];
        snprintf(err, errlen, "%s: cannot open shared object file", path);
        return NULL;
    }
    const struct conlab_plugin *v =
        kind == CONLAB_KIND_STRATEGY ? strategies : workloads;
    size_t n = kind == CONLAB_KIND_STRATEGY ? COUNT(strategies) : COUNT(workloads);
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
    size_t k = 0;
    if (kind == CONLAB_KIND_STRATEGY) {
        for (size_t i = 0; i < COUNT(strategies) && k < max; i++)
            out[k++] = strategies[i].name;
    } else {
        for (size_t i = 0; i < COUNT(workloads) && k < max; i++)
            out[k++] = workloads[i].name;
        if (k < max)
            out[k++] = "crashy";
    }
    return k;
}

static const struct cl_plugin_lookup lookup = {fake_find, fake_names, NULL};

/* ---- the target ----------------------------------------------------------- */

/* Read everything a caller would: labels, parameter texts, configs. */
static size_t touch(const struct cl_spec *s)
{
    size_t sum = strlen(s->path) + strlen(s->experiment) + s->text_len;
    if (s->description)
        sum += strlen(s->description);
    for (size_t i = 0; i < s->pinning.n; i++)
        sum += (size_t)s->pinning.cpus[i];
    const struct cl_variant *lists[2] = {s->strategies, s->workloads};
    size_t counts[2] = {s->n_strategies, s->n_workloads};
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < counts[k]; i++) {
            const struct cl_variant *v = &lists[k][i];
            sum += strlen(v->label) + (size_t)v->tasks;
            for (size_t j = 0; j < v->n_params; j++)
                sum += strlen(v->params[j].name) + strlen(v->params[j].value);
            const unsigned char *cfg = v->config;
            for (size_t b = 0; cfg && b < v->plugin->config_size; b++)
                sum += cfg[b];
        }
    return sum;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static FILE *sink;
    if (!sink)
        sink = fopen("/dev/null", "w");
    struct cl_spec *spec = NULL;
    struct cl_diags diags = {0, 0, NULL};
    int rc = cl_spec_load_string("fuzz.yaml", (const char *)data, size,
                                 &lookup, &spec, &diags);
    if (rc == 0) {
        if (!spec || diags.n)
            abort(); /* success means a spec and no error */
        volatile size_t sum = touch(spec);
        (void)sum;
    } else if (spec || diags.n == 0) {
        abort(); /* failure means no spec and at least one message */
    }
    if (sink)
        cl_diags_print(sink, &diags);
    cl_diags_free(&diags);
    cl_spec_free(spec);
    return 0;
}

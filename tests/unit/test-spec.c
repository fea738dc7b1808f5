/* test-spec.c — the YAML spec loader: values, defaults, sweeps, labels,
 * durations, suggestions, and a corpus of bad specs with expected messages.
 *
 * The fake plugins below are what every spec under tests/specs/ may name:
 *   strategies: sequential (no params), threads {workers, stack_kib},
 *               processes {workers}, coroutines {concurrency},
 *               gil {workers, switch_interval};
 *               by path: "./fake/mine.so" is strategy "mine" {workers},
 *               "./fake/wl.so" is a workload (for the wrong-kind error),
 *               any other path fails to load.
 *   workloads:  sleep {seconds, mode, blocking}, fib {n: int list},
 *               kitchen {dur, mode, flag, ratio, name, n, words} (one of
 *               each type), http {url (required), conns},
 *               broken (a param offset outside its config),
 *               baddefault (a default that does not parse),
 *               crashy (listed by names() but fails to load).
 *
 * Each tests/specs/bad/NAME.yaml starts with "# expect: LINE:COL: text": the
 * first diagnostic must be at LINE:COL and contain text. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "spec.h"
#include "suggest.h"

#ifndef CONLAB_SOURCE_DIR
#error "CONLAB_SOURCE_DIR must be defined"
#endif
#define SPECS CONLAB_SOURCE_DIR "/tests/specs"

/* ---- fake strategies ----------------------------------------------------- */

struct threads_cfg {
    int64_t workers;
    int64_t stack_kib;
};
static const struct conlab_param threads_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "threads",
     offsetof(struct threads_cfg, workers)},
    {"stack_kib", CONLAB_PARAM_INT, "256", 16, 1048576, NULL, "stack",
     offsetof(struct threads_cfg, stack_kib)},
    CONLAB_PARAM_END};

struct workers_cfg {
    int64_t workers;
};
static const struct conlab_param workers_params[] = {
    {"workers", CONLAB_PARAM_INT, "4", 1, 100000, NULL, "workers",
     offsetof(struct workers_cfg, workers)},
    CONLAB_PARAM_END};

struct coro_cfg {
    int64_t concurrency;
};
static const struct conlab_param coro_params[] = {
    {"concurrency", CONLAB_PARAM_INT, "100", 1, 1000000, NULL, "coroutines",
     offsetof(struct coro_cfg, concurrency)},
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

static const struct conlab_plugin fake_strategies[] = {
    STRATEGY("threads", threads_params, sizeof(struct threads_cfg)),
    STRATEGY("sequential", NULL, 0),
    STRATEGY("processes", workers_params, sizeof(struct workers_cfg)),
    STRATEGY("coroutines", coro_params, sizeof(struct coro_cfg)),
    STRATEGY("gil", gil_params, sizeof(struct gil_cfg)),
};
static const struct conlab_plugin mine_strategy =
    STRATEGY("mine", workers_params, sizeof(struct workers_cfg));

/* ---- fake workloads ------------------------------------------------------ */

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
    {"blocking", CONLAB_PARAM_BOOL, "false", 0, 0, NULL, "block",
     offsetof(struct sleep_cfg, blocking)},
    CONLAB_PARAM_END};

struct fib_cfg {
    struct conlab_int_list n;
};
static const struct conlab_param fib_params[] = {
    {"n", CONLAB_PARAM_INT_LIST, "[30]", 0, 90, NULL, "n per task, cycled",
     offsetof(struct fib_cfg, n)},
    CONLAB_PARAM_END};

/* Members in an order that makes offsets and padding matter. */
struct kitchen_cfg {
    int flag;
    double dur;
    const char *mode;
    char pad[3];
    double ratio;
    const char *name;
    struct conlab_int_list n;
    struct conlab_string_list words;
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
    CONLAB_PARAM_END};

struct http_cfg {
    const char *url;
    int64_t conns;
};
static const struct conlab_param http_params[] = {
    {"url", CONLAB_PARAM_STRING, NULL, 0, 0, NULL, "required",
     offsetof(struct http_cfg, url)},
    {"conns", CONLAB_PARAM_INT, "1", 1, 1000, NULL, "",
     offsetof(struct http_cfg, conns)},
    CONLAB_PARAM_END};

static const struct conlab_param broken_params[] = {
    {"x", CONLAB_PARAM_INT, "1", 0, 0, NULL, "", 64}, CONLAB_PARAM_END};
static const struct conlab_param baddefault_params[] = {
    {"x", CONLAB_PARAM_INT, "abc", 0, 0, NULL, "", 0}, CONLAB_PARAM_END};

#define WORKLOAD(n, params_, cfg)                                              \
    {CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD), .name = n, .summary = n,      \
     .version = "1", .params = params_, .config_size = cfg}

static const struct conlab_plugin fake_workloads[] = {
    WORKLOAD("sleep", sleep_params, sizeof(struct sleep_cfg)),
    WORKLOAD("fib", fib_params, sizeof(struct fib_cfg)),
    WORKLOAD("kitchen", kitchen_params, sizeof(struct kitchen_cfg)),
    WORKLOAD("http", http_params, sizeof(struct http_cfg)),
    WORKLOAD("broken", broken_params, 8),
    WORKLOAD("baddefault", baddefault_params, 8),
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
            return &mine_strategy;
        if (strcmp(path, "./fake/wl.so") == 0)
            return &fake_workloads[0];
        snprintf(err, errlen, "%s: cannot open shared object file", path);
        return NULL;
    }
    const struct conlab_plugin *v = kind == CONLAB_KIND_STRATEGY
                                        ? fake_strategies : fake_workloads;
    size_t n = kind == CONLAB_KIND_STRATEGY
                   ? sizeof fake_strategies / sizeof fake_strategies[0]
                   : sizeof fake_workloads / sizeof fake_workloads[0];
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
        for (size_t i = 0; i < 5 && k < max; i++)
            out[k++] = fake_strategies[i].name;
    } else {
        for (size_t i = 0; i < 6 && k < max; i++)
            out[k++] = fake_workloads[i].name;
        if (k < max)
            out[k++] = "crashy";
    }
    return k;
}

static const struct cl_plugin_lookup lookup = {fake_find, fake_names, NULL};

/* ---- helpers ------------------------------------------------------------- */

static struct cl_spec *load_text(const char *name, const char *text)
{
    struct cl_spec *s = NULL;
    struct cl_diags d = {0};
    int rc = cl_spec_load_string(name, text, strlen(text), &lookup, &s, &d);
    if (rc != 0)
        cl_diags_print(stderr, &d);
    assert_int_equal(rc, 0);
    assert_int_equal(d.n, 0);
    assert_non_null(s);
    cl_diags_free(&d);
    return s;
}

static struct cl_spec *load_good(const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/good/%s", SPECS, file);
    struct cl_spec *s = NULL;
    struct cl_diags d = {0};
    int rc = cl_spec_load_file(path, &lookup, &s, &d);
    if (rc != 0)
        cl_diags_print(stderr, &d);
    assert_int_equal(rc, 0);
    assert_non_null(s);
    cl_diags_free(&d);
    return s;
}

/* Load text that must fail; returns the diagnostics (caller frees). */
static struct cl_diags load_bad(const char *text)
{
    struct cl_spec *s = (struct cl_spec *)&s; /* must be reset to NULL */
    struct cl_diags d = {0};
    assert_int_equal(cl_spec_load_string("t.yaml", text, strlen(text),
                                         &lookup, &s, &d), -1);
    assert_null(s);
    assert_true(d.n > 0);
    return d;
}

static const char *param_text(const struct cl_variant *v, const char *name,
                              int *explicit_)
{
    for (size_t i = 0; i < v->n_params; i++)
        if (strcmp(v->params[i].name, name) == 0) {
            if (explicit_)
                *explicit_ = v->params[i].explicit_;
            return v->params[i].value;
        }
    return NULL;
}

/* ---- durations and suggestions ------------------------------------------- */

static void test_durations(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        double want;
    } good[] = {
        {"250ms", 0.25}, {"1.5s", 1.5}, {"2m", 120},    {"100us", 1e-4},
        {"10ns", 1e-8},  {"1h", 3600},  {"3", 3},       {"0.5", 0.5},
        {"0", 0},        {"1e3ms", 1},  {"2min", 120},  {".5s", 0.5},
        {"7\xc2\xb5s", 7e-6},
    };
    static const char *const bad[] = {
        "", "abc", "5d", "ms", "-1s", "+1s", "1.5.2s", "inf", "nan",
        "0x10", "1 s", "1s ", "1e999", "s1", "1e", "1.5 ",
    };
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        double v = -1;
        if (cl_parse_duration(good[i].text, &v) != 0)
            fail_msg("'%s' should parse", good[i].text);
        if (fabs(v - good[i].want) > 1e-12 * fmax(1, good[i].want))
            fail_msg("'%s' -> %.17g, want %.17g", good[i].text, v,
                     good[i].want);
    }
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        double v = 12345;
        if (cl_parse_duration(bad[i], &v) == 0)
            fail_msg("'%s' should not parse (got %g)", bad[i], v);
        assert_true(v == 12345); /* untouched on failure */
    }
    assert_int_equal(cl_parse_duration(NULL, &(double){0}), -1);
}

static void test_edit_distance(void **state)
{
    (void)state;
    assert_int_equal(cl_edit_distance("", ""), 0);
    assert_int_equal(cl_edit_distance("", "abc"), 3);
    assert_int_equal(cl_edit_distance("abc", ""), 3);
    assert_int_equal(cl_edit_distance("repet", "repeat"), 1);
    assert_int_equal(cl_edit_distance("kitten", "sitting"), 3);
    assert_int_equal(cl_edit_distance("ab", "ba"), 1);      /* transposition */
    assert_int_equal(cl_edit_distance("ca", "abc"), 3);     /* OSA, not DL's 2 */
    assert_int_equal(cl_edit_distance("workers", "wokrers"), 1);
    char a[200], b[200];
    memset(a, 'x', 199), a[199] = 0;
    memcpy(b, a, 200), b[100] = 'y';
    assert_int_equal(cl_edit_distance(a, b), 1); /* long: heap rows */

    static const char *const c[] = {"workers", "stack_kib", "threads"};
    assert_string_equal(cl_suggest("worker", c, 3), "workers");
    assert_string_equal(cl_suggest("WORKERS", c, 3), "workers");
    assert_string_equal(cl_suggest("thread", c, 3), "threads");
    assert_string_equal(cl_suggest("stack_kb", c, 3), "stack_kib");
    assert_null(cl_suggest("zzz", c, 3));
    assert_null(cl_suggest("x", c, 3));
    assert_null(cl_suggest("", c, 3));
    assert_null(cl_suggest("workers", c, 0));
}

/* ---- good specs ---------------------------------------------------------- */

static void test_minimal_defaults(void **state)
{
    (void)state;
    struct cl_spec *s = load_good("minimal.yaml");
    assert_string_equal(s->experiment, "minimal");
    assert_null(s->description);
    assert_int_equal(s->repeat, 5);
    assert_int_equal(s->warmup, 1);
    assert_true(s->timeout_s == 300);
    assert_int_equal(s->seed, 42);
    assert_int_equal(s->record_tasks, 0);
    assert_int_equal(s->pinning.kind, CL_PIN_NONE);
    assert_int_equal(s->pinning_line, 0);

    assert_int_equal(s->n_strategies, 1);
    const struct cl_variant *st = &s->strategies[0];
    assert_string_equal(st->label, "sequential");
    assert_ptr_equal(st->plugin, &fake_strategies[1]);
    assert_null(st->plugin_path);
    assert_int_equal(st->n_params, 0);
    assert_non_null(st->config);
    assert_int_equal(st->line, 2);
    assert_int_equal(st->col, 14);

    assert_int_equal(s->n_workloads, 1);
    const struct cl_variant *w = &s->workloads[0];
    assert_string_equal(w->label, "sleep");
    assert_int_equal(w->tasks, 10);
    const struct sleep_cfg *c = w->config;
    assert_true(c->seconds == 0.25);
    assert_string_equal(c->mode, "fixed");
    assert_int_equal(c->blocking, 0);
    /* tasks first, then the declared parameters, all defaults */
    assert_int_equal(w->n_params, 4);
    assert_string_equal(w->params[0].name, "tasks");
    assert_string_equal(w->params[0].value, "10");
    assert_string_equal(w->params[1].name, "seconds");
    assert_string_equal(w->params[1].value, "0.25");
    assert_string_equal(w->params[2].value, "fixed");
    assert_string_equal(w->params[3].value, "false");
    for (size_t i = 0; i < w->n_params; i++)
        assert_int_equal(w->params[i].explicit_, 0);
    cl_spec_free(s);
}

static void test_full(void **state)
{
    (void)state;
    struct cl_spec *s = load_good("full.yaml");
    assert_string_equal(s->experiment, "full-test_1.0");
    assert_string_equal(s->description, "every key, every parameter type");
    assert_int_equal(s->repeat, 3);
    assert_int_equal(s->warmup, 0);
    assert_true(s->timeout_s == 120);
    assert_int_equal(s->seed, 7);
    assert_int_equal(s->record_tasks, 1);
    assert_int_equal(s->pinning.kind, CL_PIN_LIST);
    assert_int_equal(s->pinning.n, 3);
    assert_int_equal(s->pinning.cpus[0], 0);
    assert_int_equal(s->pinning.cpus[1], 1);
    assert_int_equal(s->pinning.cpus[2], 3);
    assert_int_equal(s->pinning_line, 7);
    assert_int_equal(s->pinning_col, 10);

    static const char *const labels[] = {
        "sequential", "threads(workers=2)", "threads(workers=20)",
        "processes(workers=2)", "coroutines(concurrency=20)",
        "mine(workers=3)"};
    assert_int_equal(s->n_strategies, 6);
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(s->strategies[i].label, labels[i]);
    const struct threads_cfg *t1 = s->strategies[1].config;
    const struct threads_cfg *t2 = s->strategies[2].config;
    assert_int_equal(t1->workers, 2);
    assert_int_equal(t2->workers, 20);
    assert_int_equal(t1->stack_kib, 256);
    assert_int_equal(s->strategies[1].line, 12);
    assert_int_equal(s->strategies[2].line, 12); /* same entry */
    const struct cl_variant *mine = &s->strategies[5];
    assert_ptr_equal(mine->plugin, &mine_strategy);
    assert_string_equal(mine->plugin_path, "./fake/mine.so");
    assert_int_equal(((const struct workers_cfg *)mine->config)->workers, 3);

    assert_int_equal(s->n_workloads, 3);
    const struct cl_variant *sl = &s->workloads[0];
    assert_string_equal(sl->label, "sleep(tasks=20,seconds=0.25,mode=uniform,"
                                   "blocking=true)");
    assert_int_equal(sl->tasks, 20);
    const struct sleep_cfg *sc = sl->config;
    assert_true(sc->seconds == 0.25);
    assert_string_equal(sc->mode, "uniform");
    assert_int_equal(sc->blocking, 1);

    const struct cl_variant *fib = &s->workloads[1];
    assert_string_equal(fib->label, "fib(tasks=20,n=34;30)");
    const struct fib_cfg *fc = fib->config;
    assert_int_equal(fc->n.n, 2);
    assert_int_equal(fc->n.v[0], 34);
    assert_int_equal(fc->n.v[1], 30);

    const struct cl_variant *k = &s->workloads[2];
    assert_string_equal(k->label, "kitchen(dur=0.0001,mode=slow,flag=false,"
                                  "ratio=0.125,name=hello, world,n=1;2;3,"
                                  "words=x;y z)");
    assert_int_equal(k->tasks, 10);
    const struct kitchen_cfg *kc = k->config;
    assert_true(fabs(kc->dur - 1e-4) < 1e-18);
    assert_string_equal(kc->mode, "slow");
    assert_int_equal(kc->flag, 0);
    assert_true(kc->ratio == 0.125);
    assert_string_equal(kc->name, "hello, world");
    assert_int_equal(kc->n.n, 3);
    assert_int_equal(kc->n.v[2], 3);
    assert_int_equal(kc->words.n, 2);
    assert_string_equal(kc->words.v[0], "x");
    assert_string_equal(kc->words.v[1], "y z");
    for (size_t i = 0; i < sizeof kc->pad; i++)
        assert_int_equal(kc->pad[i], 0); /* untouched bytes stay zero */
    int ex = -1;
    assert_string_equal(param_text(k, "tasks", &ex), "10");
    assert_int_equal(ex, 0);
    assert_string_equal(param_text(k, "ratio", &ex), "0.125");
    assert_int_equal(ex, 1);
    cl_spec_free(s);
}

static void test_sweeps(void **state)
{
    (void)state;
    struct cl_spec *s = load_good("sweeps.yaml");
    static const char *const strat[] = {
        "threads(workers=1,stack_kib=64)",
        "threads(workers=1,stack_kib=128)",
        "threads(workers=2,stack_kib=64)",
        "threads(workers=2,stack_kib=128)",
        "threads(workers=4,stack_kib=64)",
        "threads(workers=4,stack_kib=128)",
        /* spec order, not declaration order, decides who varies slowest */
        "threads(stack_kib=32,workers=8)",
        "threads(stack_kib=32,workers=9)",
        "threads(stack_kib=16,workers=8)",
        "threads(stack_kib=16,workers=9)",
        "gil",
    };
    assert_int_equal(s->pinning.kind, CL_PIN_SCATTER);
    assert_int_equal(s->n_strategies, sizeof strat / sizeof strat[0]);
    for (size_t i = 0; i < s->n_strategies; i++)
        assert_string_equal(s->strategies[i].label, strat[i]);
    const struct threads_cfg *c = s->strategies[3].config;
    assert_int_equal(c->workers, 2);
    assert_int_equal(c->stack_kib, 128);
    c = s->strategies[8].config;
    assert_int_equal(c->workers, 8);
    assert_int_equal(c->stack_kib, 16);
    const struct gil_cfg *g = s->strategies[10].config;
    assert_true(fabs(g->switch_interval - 0.005) < 1e-15);

    static const char *const wl[] = {
        "fib(n=10;20)", "fib(n=30)",
        "sleep(tasks=5,seconds=0)", "sleep(tasks=50,seconds=0)",
    };
    assert_int_equal(s->n_workloads, 4);
    for (size_t i = 0; i < 4; i++)
        assert_string_equal(s->workloads[i].label, wl[i]);
    const struct fib_cfg *f = s->workloads[0].config;
    assert_int_equal(f->n.n, 2);
    assert_int_equal(f->n.v[1], 20);
    f = s->workloads[1].config;
    assert_int_equal(f->n.n, 1);
    assert_int_equal(f->n.v[0], 30);
    assert_int_equal(s->workloads[2].tasks, 5);
    assert_int_equal(s->workloads[3].tasks, 50);
    /* each variant owns its config */
    assert_ptr_not_equal(s->workloads[2].config, s->workloads[3].config);
    cl_spec_free(s);
}

static void test_value_normalisation(void **state)
{
    (void)state;
    struct cl_spec *s = load_text(
        "norm.yaml",
        "seed: 18446744073709551615\n"
        "strategies:\n"
        "  - gil: {workers: +007, switch_interval: 1500us}\n"
        "  - gil: {switch_interval: 0.1}\n"
        "workloads:\n"
        "  - kitchen: {flag: YES, ratio: 1e-1, n: 5, words: [], mode: \"fast\"}\n"
        "  - kitchen: {dur: 0.5m, flag: off, words: only}\n");
    assert_true(s->seed == UINT64_MAX);
    assert_string_equal(s->strategies[0].label,
                        "gil(workers=7,switch_interval=0.0015)");
    assert_string_equal(s->strategies[1].label, "gil(switch_interval=0.1)");
    assert_string_equal(s->workloads[0].label,
                        "kitchen(flag=true,ratio=0.1,n=5,words=,mode=fast)");
    const struct kitchen_cfg *k = s->workloads[0].config;
    assert_int_equal(k->n.n, 1); /* a single value is a list of one */
    assert_int_equal(k->n.v[0], 5);
    assert_int_equal(k->words.n, 0);
    assert_string_equal(s->workloads[1].label,
                        "kitchen(dur=30,flag=false,words=only)");
    k = s->workloads[1].config;
    assert_int_equal(k->words.n, 1);
    assert_string_equal(k->words.v[0], "only");
    cl_spec_free(s);
}

static void test_builtin_name_and_text(void **state)
{
    (void)state;
    const char text[] = "# comment kept\nstrategies: [sequential]  \n"
                        "workloads: [sleep]\n\n";
    struct cl_spec *s = load_text("<builtin>/seeds.yaml", text);
    assert_string_equal(s->experiment, "seeds");
    assert_string_equal(s->path, "<builtin>/seeds.yaml");
    assert_int_equal(s->text_len, strlen(text));
    assert_memory_equal(s->text, text, sizeof text);
    cl_spec_free(s);

    s = load_text("dir.d/x.y.yaml", "{strategies: [sequential], "
                                    "workloads: [sleep]}");
    assert_string_equal(s->experiment, "x.y");
    cl_spec_free(s);

    struct cl_diags d = {0};
    struct cl_spec *out = NULL;
    const char *t = "strategies: [sequential]\nworkloads: [sleep]\n";
    assert_int_equal(cl_spec_load_string("/tmp/my exp.yaml", t, strlen(t),
                                         &lookup, &out, &d), -1);
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.v[0].msg, "'my exp' is not a valid directory"));
    cl_diags_free(&d);
}

static void test_collects_all_errors(void **state)
{
    (void)state;
    struct cl_diags d = load_bad(
        "repet: 3\n"                                   /* 1:1 */
        "strategies:\n"
        "  - thread\n"                                 /* 3:5 */
        "  - threads: {workers: 0, stack_kib: abc}\n"  /* 4:24, 4:38 */
        "  - nosuch: {whatever: [1, 2]}\n"             /* 5:5, no cascade */
        "workloads:\n"
        "  - sleep: {seconds: [1s, xyz, 2s]}\n"        /* 7:27 */
        "  - sleep\n"
        "  - sleep\n");                                /* 9:5 duplicate */
    static const struct {
        int line, col;
        const char *text;
    } want[] = {
        {1, 1, "unknown key 'repet'"},
        {3, 5, "unknown strategy 'thread'"},
        {4, 24, "'workers' = 0 is out of range"},
        {4, 38, "'stack_kib' expects an integer, got 'abc'"},
        {5, 5, "unknown strategy 'nosuch'"},
        {7, 27, "'seconds' expects a duration"},
        {9, 5, "workload 'sleep' appears twice (first at line 8, column 5)"},
    };
    if (d.n != sizeof want / sizeof want[0])
        cl_diags_print(stderr, &d);
    assert_int_equal(d.n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < d.n; i++) {
        assert_string_equal(d.v[i].file, "t.yaml");
        assert_int_equal(d.v[i].line, want[i].line);
        assert_int_equal(d.v[i].col, want[i].col);
        assert_non_null(strstr(d.v[i].msg, want[i].text));
    }
    cl_diags_free(&d);
}

static void test_diags_print(void **state)
{
    (void)state;
    struct cl_diags d = {0};
    cl_diags_add(&d, "a.yaml", 3, 4, "bad %s", "thing");
    cl_diags_add(&d, "a.yaml", 0, 0, "no place");
    cl_diags_add(&d, NULL, 2, 0, "line only");
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    cl_diags_print(f, &d);
    fclose(f);
    assert_string_equal(buf, "a.yaml:3:4: error: bad thing\n"
                             "a.yaml: error: no place\n"
                             "<spec>:2: error: line only\n");
    free(buf);
    cl_diags_free(&d);
    assert_int_equal(d.n, 0);
    assert_null(d.v);
    cl_diags_free(&d); /* twice is fine */
}

static void test_load_file_errors(void **state)
{
    (void)state;
    struct cl_spec *s = NULL;
    struct cl_diags d = {0};
    assert_int_equal(cl_spec_load_file(SPECS "/does-not-exist.yaml", &lookup,
                                       &s, &d), -1);
    assert_null(s);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].line, 0);
    assert_non_null(strstr(d.v[0].msg, "No such file"));
    cl_diags_free(&d);
    assert_int_equal(cl_spec_load_file(SPECS, &lookup, &s, &d), -1);
    assert_non_null(strstr(d.v[0].msg, "Is a directory"));
    cl_diags_free(&d);
    cl_spec_free(NULL);
}

static void test_params_defaults(void **state)
{
    (void)state;
    void *cfg, *arena;
    char err[256];
    assert_int_equal(cl_params_defaults(&fake_workloads[2], &cfg, &arena, err,
                                        sizeof err), 0);
    const struct kitchen_cfg *k = cfg;
    assert_true(k->dur == 1.5);
    assert_string_equal(k->mode, "fast");
    assert_int_equal(k->flag, 1);
    assert_true(k->ratio == 0.5);
    assert_string_equal(k->name, "kit");
    assert_int_equal(k->n.n, 2);
    assert_int_equal(k->n.v[0], 34);
    assert_int_equal(k->words.n, 2);
    assert_string_equal(k->words.v[1], "beta");
    cl_params_free(cfg, arena);

    /* required parameters have no default and stay zero */
    assert_int_equal(cl_params_defaults(&fake_workloads[3], &cfg, &arena, err,
                                        sizeof err), 0);
    assert_null(((const struct http_cfg *)cfg)->url);
    assert_int_equal(((const struct http_cfg *)cfg)->conns, 1);
    cl_params_free(cfg, arena);

    assert_int_equal(cl_params_defaults(&fake_strategies[1], &cfg, &arena, err,
                                        sizeof err), 0);
    cl_params_free(cfg, arena);

    assert_int_equal(cl_params_defaults(&fake_workloads[4], &cfg, &arena, err,
                                        sizeof err), -1);
    assert_null(cfg);
    assert_non_null(strstr(err, "does not fit the 8-byte config"));
    assert_int_equal(cl_params_defaults(&fake_workloads[5], &cfg, &arena, err,
                                        sizeof err), -1);
    assert_non_null(strstr(err, "invalid default 'abc'"));
    cl_params_free(NULL, NULL);
}

/* ---- the bad corpus ------------------------------------------------------ */

static int check_bad_file(const char *dir, const char *file)
{
    char path[1024], sub[512];
    int line, col;
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f) {
        print_error("%s: cannot open\n", path);
        return 0;
    }
    int n = fscanf(f, "# expect: %d:%d: %511[^\n]", &line, &col, sub);
    fclose(f);
    if (n != 3) {
        print_error("%s: first line must be '# expect: LINE:COL: text'\n",
                    path);
        return 0;
    }
    struct cl_spec *s = (struct cl_spec *)&s;
    struct cl_diags d = {0};
    int rc = cl_spec_load_file(path, &lookup, &s, &d);
    int ok = rc == -1 && s == NULL && d.n > 0 &&
             strcmp(d.v[0].file, path) == 0 && d.v[0].line == line &&
             d.v[0].col == col && strstr(d.v[0].msg, sub) != NULL;
    if (!ok) {
        print_error("%s: want %d:%d: ...%s...; got rc %d and:\n", file, line,
                    col, sub, rc);
        cl_diags_print(stderr, &d);
    }
    if (rc == 0)
        cl_spec_free(s);
    cl_diags_free(&d);
    return ok;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void test_bad_corpus(void **state)
{
    (void)state;
    const char *dir = SPECS "/bad";
    DIR *dp = opendir(dir);
    assert_non_null(dp);
    char *names[512];
    size_t n = 0;
    for (struct dirent *e; (e = readdir(dp)) && n < 512;) {
        size_t l = strlen(e->d_name);
        if (l > 5 && strcmp(e->d_name + l - 5, ".yaml") == 0)
            names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    qsort(names, n, sizeof names[0], cmp_names);
    size_t failed = 0;
    for (size_t i = 0; i < n; i++) {
        failed += !check_bad_file(dir, names[i]);
        free(names[i]);
    }
    print_message("%zu bad specs, %zu failed\n", n, failed);
    assert_true(n >= 25);
    assert_int_equal(failed, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_edit_distance),
        cmocka_unit_test(test_minimal_defaults),
        cmocka_unit_test(test_full),
        cmocka_unit_test(test_sweeps),
        cmocka_unit_test(test_value_normalisation),
        cmocka_unit_test(test_builtin_name_and_text),
        cmocka_unit_test(test_collects_all_errors),
        cmocka_unit_test(test_diags_print),
        cmocka_unit_test(test_load_file_errors),
        cmocka_unit_test(test_params_defaults),
        cmocka_unit_test(test_bad_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-spec.c — the YAML spec loader: values, defaults, sweeps, labels,
 * durations, suggestions, and a corpus of bad specs with expected messages.
 *
 * The fake plugins every spec under tests/specs/ may name are in
 * tests/support/fake_plugins.h, shared with the fuzz target.
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

#include "fake_plugins.h"
#include "params.h"
#include "seed.h"
#include "spec.h"
#include "suggest.h"

#ifndef CONLAB_SOURCE_DIR
#error "CONLAB_SOURCE_DIR must be defined"
#endif
#define SPECS CONLAB_SOURCE_DIR "/tests/specs"

/* ---- helpers ------------------------------------------------------------- */

static struct cl_spec *load_text(const char *name, const char *text)
{
    struct cl_spec *s = NULL;
    struct cl_diags d = {0};
    int rc =
        cl_spec_load_string(name, text, strlen(text), &fake_lookup, &s, &d);
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
    int rc = cl_spec_load_file(path, &fake_lookup, &s, &d);
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
                                         &fake_lookup, &s, &d), -1);
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
    assert_ptr_equal(st->plugin, &fake_strategies[FAKE_SEQUENTIAL]);
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
    assert_int_equal(w->n_params, 5);
    assert_string_equal(w->params[0].name, "tasks");
    assert_string_equal(w->params[0].value, "10");
    assert_string_equal(w->params[1].name, "seconds");
    assert_string_equal(w->params[1].value, "0.25");
    assert_string_equal(w->params[2].value, "fixed");
    assert_string_equal(w->params[3].value, "false");
    assert_string_equal(w->params[4].name, "distribution");
    for (size_t i = 0; i < w->n_params; i++)
        assert_int_equal(w->params[i].explicit_, 0);
    cl_spec_free(s);
}

/* The kitchen workload's config k holds these values, and lists of n_n
 * numbers and n_words words. */
static void kitchen_is(const struct kitchen_cfg *k, double dur, const char *mode, int flag,
                       double ratio, const char *name, size_t n_n, size_t n_words)
{
    assert_true(fabs(k->dur - dur) < 1e-18);
    assert_string_equal(k->mode, mode);
    assert_int_equal(k->flag, flag);
    assert_true(k->ratio == ratio);
    assert_string_equal(k->name, name);
    assert_int_equal(k->n.n, n_n);
    assert_int_equal(k->words.n, n_words);
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
    assert_ptr_equal(mine->plugin, &fake_mine_strategy);
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
    kitchen_is(kc, 1e-4, "slow", 0, 0.125, "hello, world", 3, 2);
    assert_int_equal(kc->n.v[2], 3);
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
                                         &fake_lookup, &out, &d), -1);
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
    assert_int_equal(cl_spec_load_file(SPECS "/does-not-exist.yaml",
                                       &fake_lookup, &s, &d), -1);
    assert_null(s);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].line, 0);
    assert_non_null(strstr(d.v[0].msg, "No such file"));
    cl_diags_free(&d);
    assert_int_equal(cl_spec_load_file(SPECS, &fake_lookup, &s, &d), -1);
    assert_non_null(strstr(d.v[0].msg, "Is a directory"));
    cl_diags_free(&d);
    cl_spec_free(NULL);
}

static void test_params_defaults(void **state)
{
    (void)state;
    void *cfg, *arena;
    char err[256];
    assert_int_equal(cl_params_defaults(&fake_workloads[FAKE_KITCHEN],
                                        &cfg, &arena, err, sizeof err),
                     0);
    const struct kitchen_cfg *k = cfg;
    kitchen_is(k, 1.5, "fast", 1, 0.5, "kit", 2, 2);
    assert_int_equal(k->n.v[0], 34);
    assert_string_equal(k->words.v[1], "beta");
    cl_params_free(cfg, arena);

    /* required parameters have no default and stay zero */
    assert_int_equal(cl_params_defaults(&fake_workloads[FAKE_HTTP],
                                        &cfg, &arena, err, sizeof err),
                     0);
    assert_null(((const struct http_cfg *)cfg)->url);
    assert_int_equal(((const struct http_cfg *)cfg)->conns, 1);
    cl_params_free(cfg, arena);

    assert_int_equal(cl_params_defaults(&fake_strategies[FAKE_SEQUENTIAL],
                                        &cfg, &arena, err, sizeof err),
                     0);
    cl_params_free(cfg, arena);

    assert_int_equal(cl_params_defaults(&fake_workloads[FAKE_BROKEN],
                                        &cfg, &arena, err, sizeof err),
                     -1);
    assert_null(cfg);
    assert_non_null(strstr(err, "does not fit the 8-byte config"));
    assert_int_equal(cl_params_defaults(&fake_workloads[FAKE_BADDEFAULT],
                                        &cfg, &arena, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "invalid default 'abc'"));
    cl_params_free(NULL, NULL);
}


/* ---- the spec language: zip, exclude, matrix, label, baseline ------------ */

/* Load text with overrides; rc must be `want`; the diagnostics back. */
static struct cl_spec *load_opts(const char *text, const char *const *sets,
                                 size_t n_sets, int want, struct cl_diags *d)
{
    struct cl_spec_opts o = {sets, n_sets, NULL, 0};
    struct cl_spec *s = NULL;
    int rc = cl_spec_load_string_opts("t.yaml", text, strlen(text),
                                      &fake_lookup, &o, &s, d);
    if (rc != want)
        cl_diags_print(stderr, d);
    assert_int_equal(rc, want);
    return s;
}

/* "S x W" of cell i. */
static const char *cell(const struct cl_spec *s, size_t i, char *buf,
                        size_t len)
{
    assert_true(i < s->n_pairs);
    snprintf(buf, len, "%s x %s", s->strategies[s->pairs[i].strategy].label,
             s->workloads[s->pairs[i].workload].label);
    return buf;
}

static void test_entry_zip(void **state)
{
    (void)state;
    char b[256];
    struct cl_spec *s = load_text("t.yaml",
        "strategies:\n"
        "  - threads: { zip: { workers: [1, 2, 4], stack_kib: [64, 128, 256] } }\n"
        "  - processes: { workers: [1, 2] }\n"
        "workloads:\n"
        "  - fib: { zip: { n: [[30], [31, 32]], tasks: [5, 6] } }\n");
    assert_int_equal(s->n_strategies, 5); /* 3 zipped, not 9; + 2 */
    assert_string_equal(s->strategies[0].label, "threads(workers=1,stack_kib=64)");
    assert_string_equal(s->strategies[2].label, "threads(workers=4,stack_kib=256)");
    assert_string_equal(param_text(&s->strategies[1], "stack_kib", NULL), "128");
    assert_int_equal(s->n_workloads, 2);
    assert_string_equal(s->workloads[1].label, "fib(n=31;32,tasks=6)");
    assert_int_equal(s->workloads[1].tasks, 6);
    assert_int_equal(s->n_pairs, 10);
    assert_string_equal(cell(s, 5, b, sizeof b),
                        "threads(workers=1,stack_kib=64) x fib(n=31;32,tasks=6)");
    cl_spec_free(s);

    struct cl_diags d = load_bad("strategies:\n"
        "  - threads: { zip: { workers: [1, 2, 4], stack_kib: [64, 128] } }\n"
        "workloads: [sleep]\n");
    assert_int_equal(d.v[0].line, 2);
    assert_int_equal(d.v[0].col, 54);
    assert_non_null(strstr(d.v[0].msg, "as long as each other"));
    cl_diags_free(&d);
}

static void test_labels_and_baseline(void **state)
{
    (void)state;
    struct cl_spec *s = load_text("t.yaml",
        "strategies:\n"
        "  - threads: { zip: { workers: [1, 2], label: [one, two] } }\n"
        "  - processes: { workers: 2, label: procs }\n"
        "  - sequential\n"
        "workloads: [sleep]\n");
    assert_string_equal(s->strategies[0].label, "one");
    assert_string_equal(s->strategies[0].user_label, "one");
    assert_string_equal(s->strategies[1].label, "two");
    assert_string_equal(s->strategies[2].label, "procs");
    assert_null(s->strategies[3].user_label);
    assert_int_equal(s->baseline, 3); /* default: sequential */
    assert_true(s->strategies[3].is_baseline);
    assert_false(s->strategies[0].is_baseline);
    cl_spec_free(s);

    s = load_text("t.yaml", "strategies: [{threads: {workers: [1, 2]}}]\n"
                            "workloads: [sleep]\n");
    assert_int_equal(s->baseline, 0); /* no sequential: the first */
    cl_spec_free(s);

    s = load_text("t.yaml", "strategies: [sequential, {threads: {workers: [1, 2]}}]\n"
                            "workloads: [sleep]\n"
                            "baseline: { threads: { workers: 2 } }\n");
    assert_int_equal(s->baseline, 2);
    assert_true(s->strategies[2].is_baseline);
    cl_spec_free(s);

    s = load_text("t.yaml", "strategies: [sequential, {threads: {workers: 2, label: t2}}]\n"
                            "workloads: [sleep]\nbaseline: t2\n");
    assert_int_equal(s->baseline, 1);
    cl_spec_free(s);

    struct cl_diags d = load_bad("strategies: [sequential]\nworkloads: [sleep]\n"
                                 "baseline: threads\n");
    assert_int_equal(d.v[0].line, 3);
    assert_int_equal(d.v[0].col, 11);
    assert_non_null(strstr(d.v[0].msg, "matches no strategy variant"));
    cl_diags_free(&d);
}

static void test_top_zip_weak_scaling(void **state)
{
    (void)state;
    char b[256];
    struct cl_spec *s = load_text("t.yaml",
        "strategies: [sequential, threads]\n"
        "workloads: [fib]\n"
        "zip:\n"
        "  strategies.threads.workers: [1, 2, 4]\n"
        "  workloads.fib.tasks: [20, 40, 80]\n");
    assert_int_equal(s->n_strategies, 4);
    assert_int_equal(s->n_workloads, 3);
    assert_int_equal(s->n_pairs, 6); /* not 12: threads only at its size */
    const char *want[] = {
        "sequential x fib(tasks=20)", "threads(workers=1) x fib(tasks=20)",
        "sequential x fib(tasks=40)", "threads(workers=2) x fib(tasks=40)",
        "sequential x fib(tasks=80)", "threads(workers=4) x fib(tasks=80)"};
    for (size_t i = 0; i < 6; i++)
        assert_string_equal(cell(s, i, b, sizeof b), want[i]);
    cl_spec_free(s);
}

static void test_exclude(void **state)
{
    (void)state;
    char b[256];
    struct cl_diags d = {0};
    struct cl_spec *s = load_opts(
        "strategies: [sequential, coroutines, {threads: {workers: [1, 2]}}]\n"
        "workloads: [{sleep: {blocking: [false, true]}}, fib]\n"
        "exclude:\n"
        "  - { strategy: sequential, workload.blocking: true }\n"
        "  - { strategy: threads(workers=2), workload: fib }\n"
        "  - { strategy.workers: [1], workload: fib }\n"
        "  - { strategy: processes }\n", NULL, 0, 0, &d);
    /* 4 x 3 = 12, minus seq x blocking, threads(2) x fib, threads(1) x fib */
    assert_int_equal(s->n_pairs, 9);
    for (size_t i = 0; i < s->n_pairs; i++) {
        cell(s, i, b, sizeof b);
        assert_null(strstr(b, "sequential x sleep(blocking=true)"));
        assert_null(strstr(b, "threads(workers=2) x fib"));
        assert_null(strstr(b, "threads(workers=1) x fib"));
    }
    assert_int_equal(d.n, 1); /* the exclude that matches nothing */
    assert_true(d.v[0].warning);
    assert_int_equal(d.v[0].line, 7);
    assert_int_equal(d.v[0].col, 5);
    assert_int_equal(cl_diags_errors(&d, 0), 0);
    cl_diags_free(&d);
    cl_spec_free(s);
}

static void test_matrix(void **state)
{
    (void)state;
    char b[256];
    struct cl_diags d = {0};
    struct cl_spec *s = load_opts(
        "matrix:\n"
        "  - strategies: [sequential, {threads: {workers: [1, 2]}}]\n"
        "    workloads: [{fib: {tasks: 8}}]\n"
        "  - strategies: [sequential, coroutines]\n"
        "    workloads: [{sleep: {blocking: [false, true]}}, {fib: {tasks: 8}}]\n"
        "    exclude: [{strategy: sequential, workload: sleep}]\n", NULL, 0, 0,
        &d);
    /* block 1: 3 cells; block 2: coroutines x 2 sleeps, seq x fib (again:
     * run once, a warning) and coroutines x fib */
    assert_int_equal(s->n_pairs, 6);
    assert_int_equal(s->n_strategies, 4); /* sequential made once */
    assert_int_equal(s->n_workloads, 3);
    assert_string_equal(cell(s, 0, b, sizeof b), "sequential x fib(tasks=8)");
    assert_string_equal(cell(s, 2, b, sizeof b), "threads(workers=2) x fib(tasks=8)");
    assert_string_equal(cell(s, 3, b, sizeof b), "coroutines x sleep(blocking=false)");
    assert_string_equal(cell(s, 5, b, sizeof b), "coroutines x fib(tasks=8)");
    assert_int_equal(d.n, 1);
    assert_true(d.v[0].warning);
    assert_int_equal(d.v[0].line, 4);
    assert_non_null(strstr(d.v[0].msg, "repeats the cell 'sequential x fib(tasks=8)'"));
    cl_diags_free(&d);
    cl_spec_free(s);
}

static void test_anchors(void **state)
{
    (void)state;
    /* anchors and aliases; `<<` merges a mapping, its own keys winning */
    struct cl_spec *s = load_text("t.yaml",
        "repeat: &r 3\n"
        "warmup: *r\n"
        "strategies:\n"
        "  - threads: &t { workers: 2, stack_kib: 64 }\n"
        "  - threads: { <<: *t, workers: 3 }\n"
        "workloads: &w [sleep]\n");
    assert_int_equal(s->repeat, 3);
    assert_int_equal(s->warmup, 3);
    assert_int_equal(s->n_strategies, 2);
    assert_string_equal(param_text(&s->strategies[1], "stack_kib", NULL), "64");
    assert_string_equal(param_text(&s->strategies[1], "workers", NULL), "3");
    cl_spec_free(s);

    /* a "billion laughs" is refused before it is built */
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    fputs("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n", f);
    for (int i = 1; i < 9; i++) {
        fprintf(f, "a%d: &a%d [", i, i);
        for (int j = 0; j < 10; j++)
            fprintf(f, "%s*a%d", j ? ", " : "", i - 1);
        fputs("]\n", f);
    }
    fputs("strategies: [sequential]\nworkloads: [sleep]\n", f);
    fclose(f);
    struct cl_diags d = load_bad(text);
    assert_non_null(strstr(d.v[0].msg, "more than 1000000 nodes"));
    cl_diags_free(&d);
    free(text);
}

static void test_overrides(void **state)
{
    (void)state;
    const char *text = "repeat: 5\n"
                       "strategies: [sequential, threads]\n"
                       "workloads:\n"
                       "  - sleep\n"
                       "  - fib: { tasks: 4 }\n";
    const char *const sets[] = {"workloads.sleep.tasks=100",
                                "strategies.threads.workers=[1,2,4]",
                                "repeat=3", "seed=7", "pinning.kind=compact",
                                "workloads.fib.tasks=9"};
    struct cl_diags d = {0};
    struct cl_spec *s = load_opts(text, sets, 6, 0, &d);
    assert_int_equal(d.n, 0);
    assert_int_equal(s->repeat, 3);
    assert_int_equal(s->seed, 7);
    assert_int_equal(s->pinning.kind, CL_PIN_COMPACT);
    assert_int_equal(s->n_strategies, 4);
    assert_string_equal(s->strategies[3].label, "threads(workers=4)");
    assert_int_equal(s->workloads[0].tasks, 100);
    assert_int_equal(s->workloads[1].tasks, 9);
    assert_int_equal(s->n_overrides, 6);
    assert_string_equal(s->overrides[1], "strategies.threads.workers=[1,2,4]");
    cl_spec_free(s);

    /* unknown paths and bad values: named, with a suggestion */
    const char *const bad1[] = {"repet=3"};
    s = load_opts(text, bad1, 1, -1, &d);
    assert_string_equal(d.v[0].file, "--set repet");
    assert_non_null(strstr(d.v[0].msg, "did you mean 'repeat'?"));
    cl_diags_free(&d);
    const char *const bad2[] = {"strategies.thread.workers=2"};
    s = load_opts(text, bad2, 1, -1, &d);
    assert_non_null(strstr(d.v[0].msg, "no strategy 'thread' in the spec "
                                       "(did you mean 'threads'?)"));
    cl_diags_free(&d);
    const char *const bad3[] = {"workloads.sleep.taks=2"};
    s = load_opts(text, bad3, 1, -1, &d);
    assert_string_equal(d.v[0].file, "--set workloads.sleep.taks");
    assert_non_null(strstr(d.v[0].msg, "did you mean 'tasks'?"));
    cl_diags_free(&d);
    const char *const bad4[] = {"repeat=zero", "nokey"};
    s = load_opts(text, bad4, 2, -1, &d);
    assert_int_equal(d.n, 2);
    assert_string_equal(d.v[0].file, "--set nokey");
    assert_non_null(strstr(d.v[0].msg, "wants KEY=VALUE"));
    assert_string_equal(d.v[1].file, "--set repeat");
    assert_non_null(strstr(d.v[1].msg, "'repeat' expects"));
    cl_diags_free(&d);

    /* the builder -r/-w use */
    struct cl_spec_opts o = {0};
    cl_spec_opts_add(&o, "repeat=2");
    cl_spec_opts_add(&o, "warmup=0");
    s = NULL;
    assert_int_equal(cl_spec_load_string_opts("t.yaml", text, strlen(text),
                                              &fake_lookup, &o, &s, &d), 0);
    assert_int_equal(s->repeat, 2);
    assert_int_equal(s->warmup, 0);
    cl_spec_free(s);
    cl_spec_opts_free(&o);
    assert_int_equal(o.n_sets, 0);
}

static void test_seed_per_repetition(void **state)
{
    (void)state;
    uint64_t a = cl_seed_for(42, "threads x sleep", 1);
    assert_true(a == cl_seed_for(42, "threads x sleep", 1));
    assert_true(a != cl_seed_for(42, "threads x sleep", 2));
    assert_true(a != cl_seed_for(42, "threads x sleep", 0));
    assert_true(a != cl_seed_for(43, "threads x sleep", 1));
    assert_true(a != cl_seed_for(42, "threads x fib", 1));
    assert_true(a != 42);
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
    int rc = cl_spec_load_file(path, &fake_lookup, &s, &d);
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
        cmocka_unit_test(test_entry_zip),
        cmocka_unit_test(test_labels_and_baseline),
        cmocka_unit_test(test_top_zip_weak_scaling),
        cmocka_unit_test(test_exclude),
        cmocka_unit_test(test_matrix),
        cmocka_unit_test(test_anchors),
        cmocka_unit_test(test_overrides),
        cmocka_unit_test(test_seed_per_repetition),
        cmocka_unit_test(test_bad_corpus),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-registry.c — the loader refuses every deliberately broken plugin in
 * tests/plugins/ with a message naming the file and the problem, and loads
 * the good ones (including one built with a smaller, older descriptor);
 * descriptors built in memory: parameter tables walked by param_size,
 * strategy counter names checked, 1.0 reserved slots never read. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "params.h"
#include "registry.h"

static char *tp(const char *kind, const char *name)
{
    static char buf[4096];
    snprintf(buf, sizeof buf, "%s/%s_%s.so", CONLAB_TEST_PLUGIN_DIR, kind, name);
    return buf;
}

static void expect_refused(const char *kind, const char *name, const char *a,
                           const char *b)
{
    char err[1024] = "";
    const char *path = tp(kind, name);
    struct cl_plugin *p = cl_plugin_open(path, err, sizeof err);
    if (p || !strstr(err, path) || !strstr(err, a) || (b && !strstr(err, b)))
        print_error("plugin %s: got '%s', wanted '%s'%s%s\n", name, err, a,
                    b ? " and " : "", b ? b : "");
    assert_null(p);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, a));
    if (b)
        assert_non_null(strstr(err, b));
}

static void wrong_major(void **st)
{
    (void)st;
    char want[64];
    snprintf(want, sizeof want, "ABI %d.0", CONLAB_ABI_MAJOR + 1);
    char host[64];
    snprintf(host, sizeof host, "speaks ABI %d.%d", CONLAB_ABI_MAJOR, CONLAB_ABI_MINOR);
    expect_refused("strategy", "bad-major", want, host);
}

static void newer_minor(void **st)
{
    (void)st;
    char want[64];
    snprintf(want, sizeof want, "ABI %d.%d", CONLAB_ABI_MAJOR, CONLAB_ABI_MINOR + 1);
    expect_refused("strategy", "bad-minor", want, "rebuild");
}

static void short_size(void **st)
{
    (void)st;
    expect_refused("strategy", "bad-size", "descriptor is 16 bytes", NULL);
}

static void short_ops(void **st)
{
    (void)st;
    expect_refused("strategy", "bad-ops-size", "ops table is 4 bytes", NULL);
}

static void missing_ops(void **st)
{
    (void)st;
    expect_refused("strategy", "bad-no-run", "required operation 'run'", NULL);
    expect_refused("workload", "bad-no-create", "required operation 'create'", NULL);
}

static void missing_symbol(void **st)
{
    (void)st;
    expect_refused("strategy", "bad-no-entry", "no 'conlab_plugin_entry' symbol", NULL);
}

static void bad_param_and_name(void **st)
{
    (void)st;
    expect_refused("strategy", "bad-param", "outside config_size", NULL);
    expect_refused("strategy", "bad-name", "invalid", NULL);
}

static void not_elf(void **st)
{
    (void)st;
    expect_refused("strategy", "garbage", "cannot load", NULL);
    char err[512];
    assert_null(cl_plugin_open("/nonexistent/x.so", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/x.so"));
}

static void older_descriptor_loads_zero_extended(void **st)
{
    (void)st;
    char err[512] = "";
    struct cl_plugin *p = cl_plugin_open(tp("strategy", "good-old-minor"), err, sizeof err);
    if (!p)
        print_error("%s\n", err);
    assert_non_null(p);
    assert_string_equal(p->desc.name, "good-old-minor");
    assert_ptr_equal(p->desc.strategy, &p->sops);
    assert_int_equal(p->desc.param_size, 0); /* a 1.1 member, absent */
    for (size_t i = 0; i < 7; i++)
        assert_null(p->desc.reserved[i]);
    cl_plugin_close(p);
}

/* ---- descriptors validated in memory: param_size and counters ---------- */

static int fake_workers(const void *c, uint64_t n, unsigned *w)
{
    (void)c;
    (void)n;
    *w = 1;
    return CONLAB_OK;
}

static int fake_run(const struct conlab_job *job, const void *c)
{
    (void)job;
    (void)c;
    return CONLAB_OK;
}

struct cfg2 {
    int64_t x, y;
};

/* An entry of a later minor's wider struct conlab_param: 24 more bytes. */
struct wide_param {
    struct conlab_param p;
    uint64_t later[3];
};

static const struct wide_param wide[] = {
    {{"x", CONLAB_PARAM_INT, "3", 0, 10, NULL, "x", offsetof(struct cfg2, x)},
     {~0ull, ~0ull, ~0ull}},
    {{"y", CONLAB_PARAM_INT, "5", 0, 10, NULL, "y", offsetof(struct cfg2, y)},
     {~0ull, ~0ull, ~0ull}},
    {CONLAB_PARAM_END, {0, 0, 0}},
};

static const struct conlab_param narrow[] = {
    {"x", CONLAB_PARAM_INT, "3", 0, 10, NULL, "x", offsetof(struct cfg2, x)},
    CONLAB_PARAM_END};

static struct conlab_strategy_ops fake_ops(const char *const *counters)
{
    struct conlab_strategy_ops o = {
        .struct_size = sizeof o, .workers = fake_workers, .run = fake_run,
        .counters = counters};
    return o;
}

static struct conlab_plugin fake_desc(const struct conlab_strategy_ops *o)
{
    struct conlab_plugin d = {
        CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
        .name = "mem",
        .params = narrow,
        .config_size = sizeof(struct cfg2),
        .strategy = o,
    };
    return d;
}

/* Validate d as "/mem.so": the plugin (close it), or NULL with err. */
static struct cl_plugin *validate(const struct conlab_plugin *d, char *err,
                                  size_t errlen)
{
    struct cl_plugin *p = calloc(1, sizeof *p);
    assert_non_null(p);
    err[0] = '\0';
    if (cl_plugin_validate(d, "/mem.so", p, err, errlen) == 0)
        return p;
    cl_plugin_close(p);
    return NULL;
}

static void refused_with(const struct conlab_plugin *d, const char *a,
                         const char *b)
{
    char err[1024];
    struct cl_plugin *p = validate(d, err, sizeof err);
    if (p || !strstr(err, "/mem.so") || !strstr(err, a) || (b && !strstr(err, b)))
        print_error("got '%s', wanted '%s'%s%s\n", err, a, b ? " and " : "",
                    b ? b : "");
    assert_null(p);
    assert_non_null(strstr(err, "/mem.so"));
    assert_non_null(strstr(err, a));
    if (b)
        assert_non_null(strstr(err, b));
}

static void wider_params_walked_by_stride(void **st)
{
    (void)st;
    struct conlab_strategy_ops o = fake_ops(NULL);
    struct conlab_plugin d = fake_desc(&o);
    d.params = &wide[0].p;
    d.param_size = sizeof(struct wide_param);
    /* the defaults, read straight from the plugin's table by stride */
    void *cfg, *arena;
    char err[512];
    assert_int_equal(cl_params_defaults(&d, &cfg, &arena, err, sizeof err), 0);
    assert_int_equal(((struct cfg2 *)cfg)->x, 3);
    assert_int_equal(((struct cfg2 *)cfg)->y, 5);
    cl_params_free(cfg, arena);
    /* the registry re-lays it at the host's stride for every other walker */
    struct cl_plugin *p = validate(&d, err, sizeof err);
    if (!p)
        print_error("%s\n", err);
    assert_non_null(p);
    assert_ptr_equal(p->desc.params, p->params_copy);
    assert_int_equal(p->desc.param_size, sizeof(struct conlab_param));
    assert_string_equal(p->desc.params[0].name, "x");
    assert_string_equal(p->desc.params[1].name, "y");
    assert_int_equal(p->desc.params[1].offset, offsetof(struct cfg2, y));
    assert_null(p->desc.params[2].name);
    cl_plugin_close(p);
    /* the host's own size (and 0, the 1.0 size) are used in place */
    d.params = narrow;
    for (size_t size = 0; size <= sizeof(struct conlab_param);
         size += sizeof(struct conlab_param)) {
        d.param_size = size;
        p = validate(&d, err, sizeof err);
        assert_non_null(p);
        assert_ptr_equal(p->desc.params, narrow);
        assert_null(p->params_copy);
        cl_plugin_close(p);
    }
}

static void bad_param_size_refused(void **st)
{
    (void)st;
    struct conlab_strategy_ops o = fake_ops(NULL);
    struct conlab_plugin d = fake_desc(&o);
    d.param_size = 16;
    refused_with(&d, "param_size 16", "plugin 'mem'");
    d.param_size = sizeof(struct conlab_param) + 4; /* misaligned */
    refused_with(&d, "is not a parameter entry's size", NULL);
}

static void old_minor_slots_never_read(void **st)
{
    (void)st;
    static const char *const names[] = {"Not Valid", NULL};
    struct conlab_strategy_ops o = fake_ops(names);
    struct conlab_plugin d = fake_desc(&o);
    d.abi_minor = 0;    /* a 1.0 plugin: these two are its reserved slots */
    d.param_size = 12;  /* would be refused from a 1.1 plugin */
    char err[512];
    struct cl_plugin *p = validate(&d, err, sizeof err);
    if (!p)
        print_error("%s\n", err);
    assert_non_null(p);
    assert_int_equal(p->desc.param_size, 0);
    assert_null(p->sops.counters);
    assert_string_equal(p->desc.params[0].name, "x");
    cl_plugin_close(p);
}

static void counters_validated(void **st)
{
    (void)st;
    static const char *const good[] = {"steals", "spawns", "failed_steals_2",
                                       NULL};
    struct conlab_strategy_ops o = fake_ops(good);
    struct conlab_plugin d = fake_desc(&o);
    char err[512];
    struct cl_plugin *p = validate(&d, err, sizeof err);
    if (!p)
        print_error("%s\n", err);
    assert_non_null(p);
    assert_ptr_equal(p->sops.counters, good);
    assert_string_equal(p->desc.strategy->counters[1], "spawns");
    cl_plugin_close(p);

    static const char *const upper[] = {"steals", "Spawns", NULL};
    o = fake_ops(upper);
    refused_with(&d, "counter 2 'Spawns' has an invalid name", "strategy 'mem'");
    static const char *const dash[] = {"steal-count", NULL};
    o = fake_ops(dash);
    refused_with(&d, "counter 1 'steal-count'", "[a-z0-9_]");
    static const char *const empty[] = {"", NULL};
    o = fake_ops(empty);
    refused_with(&d, "counter 1 ''", NULL);
    static const char *const twice[] = {"steals", "spawns", "steals", NULL};
    o = fake_ops(twice);
    refused_with(&d, "counter 'steals' is named twice", "counters 1 and 3");
    static const char *const many[] = {"c0", "c1", "c2", "c3", "c4", "c5",
                                       "c6", "c7", "c8", "c9", "c10", "c11",
                                       "c12", "c13", "c14", "c15", "c16", NULL};
    o = fake_ops(many);
    refused_with(&d, "more than 16 counters", "'c16'");
    /* exactly CL_MAX_COUNTERS is fine */
    static const char *const sixteen[] = {"c0", "c1", "c2", "c3", "c4", "c5",
                                          "c6", "c7", "c8", "c9", "c10", "c11",
                                          "c12", "c13", "c14", "c15", NULL};
    o = fake_ops(sixteen);
    p = validate(&d, err, sizeof err);
    assert_non_null(p);
    cl_plugin_close(p);
}

static void registry_finds_by_name_and_suggests(void **st)
{
    (void)st;
    setenv("CONLAB_PLUGIN_PATH", CONLAB_BINARY_DIR "/plugins", 1);
    struct cl_registry r;
    cl_registry_init(&r);
    char err[1024];
    const struct cl_plugin *p =
        cl_registry_find(&r, CONLAB_KIND_STRATEGY, "sequential", err, sizeof err);
    assert_non_null(p);
    assert_string_equal(p->desc.name, "sequential");
    /* the same object the second time */
    assert_ptr_equal(p, cl_registry_find(&r, CONLAB_KIND_STRATEGY, "sequential",
                                         err, sizeof err));
    assert_null(cl_registry_find(&r, CONLAB_KIND_STRATEGY, "sequentail", err, sizeof err));
    assert_non_null(strstr(err, "unknown strategy 'sequentail'"));
    assert_non_null(strstr(err, "did you mean 'sequential'"));
    assert_non_null(strstr(err, "known: "));
    /* a workload is not a strategy */
    assert_null(cl_registry_find(&r, CONLAB_KIND_STRATEGY, "fib", err, sizeof err));
    cl_registry_free(&r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wrong_major),
        cmocka_unit_test(newer_minor),
        cmocka_unit_test(short_size),
        cmocka_unit_test(short_ops),
        cmocka_unit_test(missing_ops),
        cmocka_unit_test(missing_symbol),
        cmocka_unit_test(bad_param_and_name),
        cmocka_unit_test(not_elf),
        cmocka_unit_test(older_descriptor_loads_zero_extended),
        cmocka_unit_test(registry_finds_by_name_and_suggests),
        cmocka_unit_test(wider_params_walked_by_stride),
        cmocka_unit_test(bad_param_size_refused),
        cmocka_unit_test(old_minor_slots_never_read),
        cmocka_unit_test(counters_validated),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

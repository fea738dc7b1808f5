/* test-registry.c — the loader refuses every deliberately broken plugin in
 * tests/plugins/ with a message naming the file and the problem, and loads
 * the good ones (including one built with a smaller, older descriptor). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

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
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-params.c — the one parameter-table check (what the registry and the
 * spec loader both apply), URLs, sizes, pinning kind names, and spec input
 * that is not a regular file. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"
#include "pinning.h"
#include "spec.h"

struct cfg {
    int64_t a;
    const char *s;
};

static const struct conlab_param good[] = {
    {"a", CONLAB_PARAM_INT, "1", 0, 10, NULL, "", offsetof(struct cfg, a)},
    {"s", CONLAB_PARAM_ENUM, "x", 0, 0, "x|y", "", offsetof(struct cfg, s)},
    CONLAB_PARAM_END};

/* The check's message for a table of one parameter p, "" when it passes. */
static const char *check_one(enum conlab_kind kind, struct conlab_param p)
{
    static char err[512];
    struct conlab_param t[3] = {p, CONLAB_PARAM_END, CONLAB_PARAM_END};
    struct conlab_plugin pl = {CONLAB_PLUGIN_HEADER(kind), .name = "t",
                               .params = t, .config_size = sizeof(struct cfg)};
    err[0] = '\0';
    return cl_params_check(&pl, err, sizeof err) == 0 ? "" : err;
}

static void test_table_check(void **state)
{
    (void)state;
    struct conlab_plugin pl = {CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
                               .name = "t", .params = good,
                               .config_size = sizeof(struct cfg)};
    char err[256];
    assert_int_equal(cl_params_check(&pl, err, sizeof err), 0);

    struct conlab_param p = good[0];
    /* `tasks` is the host's for strategies too (registry and loader agree) */
    p.name = "tasks";
    assert_non_null(strstr(check_one(CONLAB_KIND_STRATEGY, p), "reserved"));
    assert_non_null(strstr(check_one(CONLAB_KIND_WORKLOAD, p), "reserved"));
    p.name = "plugin";
    assert_non_null(strstr(check_one(CONLAB_KIND_STRATEGY, p), "reserved"));
    p.name = "Bad Name";
    assert_non_null(strstr(check_one(CONLAB_KIND_STRATEGY, p),
                           "invalid name 'Bad Name'"));
    p.name = "";
    assert_non_null(strstr(check_one(CONLAB_KIND_STRATEGY, p), "invalid"));
    p = good[0];
    p.offset = 64;
    const char *m = check_one(CONLAB_KIND_STRATEGY, p);
    assert_non_null(strstr(m, "outside config_size"));
    assert_non_null(strstr(m, "(offset 64, 8 bytes) does not fit the 16-byte"));
    p.offset = SIZE_MAX; /* no overflow past the check */
    assert_non_null(strstr(check_one(CONLAB_KIND_STRATEGY, p), "does not fit"));
    p = good[1];
    p.choices = "";
    assert_non_null(strstr(check_one(CONLAB_KIND_STRATEGY, p), "no choices"));
    p = good[0];
    p.type = (enum conlab_param_type)99;
    assert_non_null(strstr(check_one(CONLAB_KIND_STRATEGY, p),
                           "unknown type 99"));

    /* duplicates: caught for every plugin (the registry missed them) */
    struct conlab_param dup[] = {good[0], good[0], CONLAB_PARAM_END};
    pl.params = dup;
    assert_int_equal(cl_params_check(&pl, err, sizeof err), -1);
    assert_non_null(strstr(err, "'a' is declared twice"));

    /* a table without its end */
    struct conlab_param *many = calloc(CL_MAX_PARAMS + 2, sizeof *many);
    assert_non_null(many);
    char names[CL_MAX_PARAMS + 1][8];
    for (int i = 0; i <= CL_MAX_PARAMS; i++) {
        snprintf(names[i], sizeof names[i], "p%d", i);
        many[i] = good[0];
        many[i].name = names[i];
    }
    pl.params = many;
    assert_int_equal(cl_params_check(&pl, err, sizeof err), -1);
    assert_non_null(strstr(err, "CONLAB_PARAM_END"));
    free(many);
}

static void test_urls(void **state)
{
    (void)state;
    static const char *const ok[] = {
        "http://127.0.0.1:8080/x", "https://example.org", "HTTPS://e/?q=1",
        "builtin:/bytes/10282?delay=15ms", "http://[::1]/"};
    static const struct {
        const char *url, *why;
    } bad[] = {
        {"", "not a URL"},
        {"example.org/x", "not a URL"},
        {"file:///etc/passwd", "scheme 'file' is not http, https or builtin"},
        {"gopher://h/", "scheme 'gopher'"},
        {"ftp://h/x", "scheme 'ftp'"},
        {"http://h/a b", "a space at byte 11"},
        {"http://h/\r\nX: y", "a CR at byte 10"},
        {"http://h/\n", "a line feed at byte 10"},
        {"http://h/\t", "a control character"},
        {"http:///path", "no host"},
        {"https://", "no host"},
        {"builtin:bytes/1", "builtin:/PATH"},
        {"://h/", "not a URL"},
    };
    char err[256];
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        assert_int_equal(cl_url_check(ok[i], err, sizeof err), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(cl_url_check(bad[i].url, err, sizeof err), -1);
        if (!strstr(err, bad[i].why))
            fail_msg("'%s': got '%s', want '%s'", bad[i].url, err, bad[i].why);
    }
}

static void test_sizes(void **state)
{
    (void)state;
    uint64_t v;
    assert_int_equal(cl_parse_size("1PiB", &v), 0);
    assert_true(v == UINT64_C(1) << 50);
    assert_int_equal(cl_parse_size("1EiB", &v), 0);
    assert_true(v == UINT64_C(1) << 60);
    assert_int_equal(cl_parse_size("15E", &v), 0);
    assert_true(v == UINT64_C(15) << 60);
    assert_int_equal(cl_parse_size("16EiB", &v), -1); /* 2^64 */
    assert_int_equal(cl_parse_size("2PB", &v), 0);
    assert_true(v == UINT64_C(2000000000000000));
    assert_int_equal(cl_parse_size("1ZiB", &v), -1);
    assert_int_equal(cl_parse_size("512MiB", &v), 0);
    assert_true(v == UINT64_C(512) << 20);
}

static void test_pinning_names(void **state)
{
    (void)state;
    static const struct {
        enum cl_pinning_kind k;
        const char *name;
    } want[] = {{CL_PIN_NONE, "none"}, {CL_PIN_COMPACT, "compact"},
                {CL_PIN_SCATTER, "scatter"}, {CL_PIN_LIST, "list"}};
    for (size_t i = 0; i < 4; i++) {
        assert_string_equal(cl_pinning_kind_name(want[i].k), want[i].name);
        enum cl_pinning_kind k = CL_PIN_LIST;
        int rc = cl_pinning_kind_parse(want[i].name, &k);
        if (want[i].k == CL_PIN_LIST) {
            assert_int_equal(rc, -1); /* a list is written as a list */
        } else {
            assert_int_equal(rc, 0);
            assert_int_equal(k, want[i].k);
        }
    }
    assert_string_equal(cl_pinning_kind_name((enum cl_pinning_kind)42), "?");
    assert_int_equal(cl_pinning_n_names, 3);
    struct cl_pinning pin;
    char err[256];
    assert_int_equal(cl_pinning_parse("scatter", &pin, err, sizeof err), 0);
    assert_int_equal(pin.kind, CL_PIN_SCATTER);
    assert_int_equal(cl_pinning_parse("0-2,5", &pin, err, sizeof err), 0);
    assert_int_equal(pin.kind, CL_PIN_LIST);
    assert_int_equal(pin.n, 4);
    assert_int_equal(pin.cpus[3], 5);
    free(pin.cpus);
    assert_int_equal(cl_pinning_parse("0-65536", &pin, err, sizeof err), -1);
    assert_non_null(strstr(err, "too long"));
}

static void test_spec_input_kinds(void **state)
{
    (void)state;
    struct cl_spec *s = NULL;
    struct cl_diags d = {0, 0, NULL};
    assert_int_equal(cl_spec_load_file("/dev/null", NULL, &s, &d), -1);
    assert_null(s);
    assert_int_equal(d.n, 1);
    assert_string_equal(d.v[0].msg, "cannot read the spec: it is a character "
                                    "device, not a file");
    cl_diags_free(&d);

    /* plugins not loaded (lk NULL): the document is checked, no variants */
    static const char text[] = "strategies: [threads, ../x]\nworkloads: [a]\n";
    assert_int_equal(cl_spec_load_string("n.yaml", text, strlen(text), NULL,
                                         &s, &d), -1);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.v[0].line, 1);
    assert_int_equal(d.v[0].col, 23);
    assert_non_null(strstr(d.v[0].msg, "'../x' is not a strategy name"));
    cl_diags_free(&d);
    static const char fine[] = "strategies: [threads]\nworkloads: [a]\n";
    assert_int_equal(cl_spec_load_string("n.yaml", fine, strlen(fine), NULL,
                                         &s, &d), 0);
    assert_int_equal(s->n_strategies, 0);
    assert_int_equal(s->n_workloads, 0);
    cl_spec_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_check),
        cmocka_unit_test(test_urls),
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_pinning_names),
        cmocka_unit_test(test_spec_input_kinds),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-calibrate.c — machine floors: cl_calibrate, cl_floors_each, the one-CPU case. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <math.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "calibrate.h"
#include "util.h"

static const struct cl_calibrate_opts QUICK = {.quick = 1};

static void assert_measured(const struct cl_floor *fl, const char *key)
{
    if (fl->status != CL_FLOOR_OK)
        fail_msg("%s: status %d (%s)", key, fl->status, fl->reason);
    assert_string_equal(fl->reason, "");
    assert_true(fl->samples >= 5);
    assert_true(isfinite(fl->median_ns) && fl->median_ns > 0);
    assert_true(isfinite(fl->p10_ns) && fl->p10_ns > 0);
    assert_true(isfinite(fl->p90_ns));
    assert_true(fl->p10_ns <= fl->median_ns && fl->median_ns <= fl->p90_ns);
}

/* Every floor measured (the wake-up n/a only on one CPU), positive and
 * finite, in an order that holds on any machine, in well under 2 s. */
static void test_floors(void **state)
{
    (void)state;
    cpu_set_t before, after;
    assert_int_equal(sched_getaffinity(0, sizeof before, &before), 0);
    struct cl_floors f;
    uint64_t t0 = cl_now_ns();
    assert_int_equal(cl_calibrate(&f, &QUICK), 0);
    double took = (double)(cl_now_ns() - t0) / 1e9;
    assert_true(took < 2.0);
    assert_true(f.elapsed_s > 0 && f.elapsed_s <= took);
    assert_int_equal(f.cpus, CPU_COUNT(&before));
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        assert_non_null(f.floor[i].key);
        assert_non_null(cl_floor_what(i));
        if (i == CL_FLOOR_WAKE_CROSS_CPU && f.cpus < 2)
            assert_int_equal(f.floor[i].status, CL_FLOOR_NA);
        else
            assert_measured(&f.floor[i], f.floor[i].key);
        assert_true(f.floor[i].samples <= 100); /* --quick's cap */
    }
    assert_null(cl_floor_what(CL_FLOOR_COUNT));
    const struct cl_floor *fl = f.floor;
    assert_true(fl[CL_FLOOR_FORK_WAIT].median_ns > fl[CL_FLOOR_CLOCK_READ].median_ns);
    assert_true(fl[CL_FLOOR_THREAD_SPAWN].median_ns > fl[CL_FLOOR_CLOCK_READ].median_ns);
    /* the switch and wake-up probes pin this thread, and unpin it */
    assert_int_equal(sched_getaffinity(0, sizeof after, &after), 0);
    assert_true(CPU_EQUAL(&before, &after));
}

/* max_samples and the budget bound every probe; at least 5 samples stay. */
static void test_budget(void **state)
{
    (void)state;
    struct cl_floors f;
    struct cl_calibrate_opts o = {.probe_budget_ms = 1, .max_samples = 7};
    assert_int_equal(cl_calibrate(&f, &o), 0);
    for (int i = 0; i < CL_FLOOR_COUNT; i++)
        if (f.floor[i].status == CL_FLOOR_OK)
            assert_in_range(f.floor[i].samples, 5, 7);
    o.max_samples = 2; /* raised to the minimum */
    assert_int_equal(cl_calibrate(&f, &o), 0);
    assert_int_equal(f.floor[CL_FLOOR_CLOCK_READ].samples, 5);
}

/* On one CPU the cross-CPU wake-up is n/a, with the reason; the rest measure. */
static void test_one_cpu(void **state)
{
    (void)state;
    cpu_set_t old, one;
    assert_int_equal(sched_getaffinity(0, sizeof old, &old), 0);
    CPU_ZERO(&one);
    for (int c = 0; c < CPU_SETSIZE; c++)
        if (CPU_ISSET(c, &old)) {
            CPU_SET(c, &one);
            break;
        }
    assert_int_equal(sched_setaffinity(0, sizeof one, &one), 0);
    struct cl_floors f;
    int rc = cl_calibrate(&f, &QUICK);
    assert_int_equal(sched_setaffinity(0, sizeof old, &old), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(f.cpus, 1);
    const struct cl_floor *w = &f.floor[CL_FLOOR_WAKE_CROSS_CPU];
    assert_int_equal(w->status, CL_FLOOR_NA);
    assert_non_null(strstr(w->reason, "one CPU"));
    assert_true(isnan(w->median_ns));
    assert_measured(&f.floor[CL_FLOOR_SWITCH_PROCESSES], "switch_processes");

    /* cl_floors_each: the n/a floor once, as NAN "n/a" */
    char *buf = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&buf, &len);
    cl_floors_print(out, &f);
    fclose(out);
    assert_non_null(strstr(buf, "wake_cross_cpu"));
    assert_non_null(strstr(buf, "only one CPU is usable"));
    assert_non_null(strstr(buf, "1 CPU usable"));
    free(buf);
}

struct seen {
    int n, nan, samples;
    char keys[64][40];
};

static void collect(void *ctx, const char *key, double value, const char *unit)
{
    struct seen *s = ctx;
    assert_true(s->n < 64);
    snprintf(s->keys[s->n++], sizeof s->keys[0], "%s", key);
    if (isnan(value)) {
        assert_string_equal(unit, "n/a");
        s->nan++;
    } else if (!strcmp(unit, "count")) {
        assert_true(value >= 5);
        s->samples++;
    } else {
        assert_string_equal(unit, "ns");
        assert_true(value > 0);
    }
}

static int has(const struct seen *s, const char *key)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->keys[i], key))
            return 1;
    return 0;
}

/* Four values per measured floor, one per n/a floor, keys K, K.p10, ... */
static void test_each(void **state)
{
    (void)state;
    struct cl_floors f;
    memset(&f, 0, sizeof f);
    static const char *const keys[CL_FLOOR_COUNT] = {"a", "b", "c", "d", "e", "f", "g", "h", "i"};
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        f.floor[i] = (struct cl_floor){.key = keys[i], .status = CL_FLOOR_OK, .samples = 9,
                                       .median_ns = 2, .p10_ns = 1, .p90_ns = 3};
    }
    f.floor[CL_FLOOR_WAKE_CROSS_CPU].status = CL_FLOOR_NA;
    f.floor[CL_FLOOR_WAKE_CROSS_CPU].median_ns = NAN;
    struct seen s = {0};
    cl_floors_each(&f, collect, &s);
    assert_int_equal(s.n, 4 * (CL_FLOOR_COUNT - 1) + 1);
    assert_int_equal(s.nan, 1);
    assert_int_equal(s.samples, CL_FLOOR_COUNT - 1);
    assert_true(has(&s, "a") && has(&s, "a.p10") && has(&s, "a.p90") && has(&s, "a.samples"));
    const char *na = keys[CL_FLOOR_WAKE_CROSS_CPU];
    char na_p10[8];
    snprintf(na_p10, sizeof na_p10, "%s.p10", na);
    assert_true(has(&s, na) && !has(&s, na_p10));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_floors),
        cmocka_unit_test(test_budget),
        cmocka_unit_test(test_one_cpu),
        cmocka_unit_test(test_each),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-floors.c — when a cell is dominated by a machine floor
 * (cl_floor_note), and the floors' way through run.yaml (cl_floors_each,
 * cl_floors_set, cl_runyaml_read). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "calibrate.h"
#include "floors.h"
#include "runyaml.h"

/* Floors as the 2-core VM has them: thread 150 µs, fork 1.1 ms,
 * sleep overshoot 60 µs; the cross-CPU wake-up n/a. */
static void vm_floors(struct cl_floors *f)
{
    cl_floors_init(f);
    assert_int_equal(cl_floors_set(f, "thread_create_join", 150e3), 0);
    assert_int_equal(cl_floors_set(f, "fork_wait", 1.1e6), 0);
    assert_int_equal(cl_floors_set(f, "sleep_overshoot", 60e3), 0);
    assert_int_equal(cl_floors_set(f, "wake_cross_cpu", NAN), 0);
}

static void note_thread_start_up(void **st)
{
    (void)st;
    struct cl_floors f;
    vm_floors(&f);
    char buf[400];
    /* the case: 1,000 threads, 1,000 x 100 ms sleeps, 166 ms */
    assert_int_equal(cl_floor_note(&f, "threads(workers=1000)", "sleep(tasks=1000)",
                                   1000, 1000, 0.166, buf, sizeof buf), 1);
    assert_string_equal(buf, "1,000 threads × 150 µs to create and join = 150 ms, "
                             "90% of this cell's median 166 ms: it measures the "
                             "machine's floors (conlab calibrate) more than the strategy");
    /* the same start-up in a cell of a second: nothing to say */
    assert_int_equal(cl_floor_note(&f, "threads", "sleep", 1000, 1000, 1.0, buf,
                                   sizeof buf), 0);
    assert_string_equal(buf, "");
    /* just under and at half the wall */
    assert_int_equal(cl_floor_note(&f, "gil", "fib", 10, 10, 0.0030001, buf, sizeof buf), 0);
    assert_int_equal(cl_floor_note(&f, "tbb(workers=10)", "fib", 10, 10, 0.0029999, buf,
                                   sizeof buf), 1);
    assert_non_null(strstr(buf, "10 threads × 150 µs to create and join = 1.5 ms, 50%"));
}

static void note_processes_and_sleeps(void **st)
{
    (void)st;
    struct cl_floors f;
    vm_floors(&f);
    char buf[400];
    assert_int_equal(cl_floor_note(&f, "processes(workers=2)", "noop", 2, 100, 0.003,
                                   buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "2 processes × 1.1 ms to fork and wait = 2.2 ms, 73% "));
    /* sequential: no workers to start, but 1,000 sleeps of 10 µs in a row */
    assert_int_equal(cl_floor_note(&f, "sequential", "sleep(tasks=1000,seconds=0.00001)",
                                   1, 1000, 0.075, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "1,000 sleeps in a row × 60 µs timer overshoot = 60 ms, 80%"));
    /* both parts: 4 threads (600 µs) + ceil(10/4) = 3 sleeps (180 µs) */
    assert_int_equal(cl_floor_note(&f, "threads", "sleep", 4, 10, 0.001, buf, sizeof buf), 1);
    assert_non_null(strstr(buf, "4 threads × 150 µs to create and join (600 µs) + 3 sleeps "
                                "in a row × 60 µs timer overshoot (180 µs) = 780 µs, 78%"));
    /* a part under 5% of the wall is left out: 3 sleeps (180 µs) of 4 ms */
    assert_int_equal(cl_floor_note(&f, "processes", "sleep", 2, 6, 0.004, buf, sizeof buf), 1);
    assert_null(strstr(buf, "sleeps"));
    /* coroutines start no threads; 10,000 sleeps at once are one in a row */
    assert_int_equal(cl_floor_note(&f, "coroutines(concurrency=10000)", "sleep", 10000,
                                   10000, 0.001, buf, sizeof buf), 0);
    /* other workloads pay no overshoot; a look-alike name is not a plugin */
    assert_int_equal(cl_floor_note(&f, "sequential", "sleepy", 1, 1000, 0.07, buf,
                                   sizeof buf), 0);
    assert_int_equal(cl_floor_note(&f, "threadsX", "noop", 1000, 1, 0.1, buf, sizeof buf), 0);
}

static void note_without_floors(void **st)
{
    (void)st;
    char buf[64] = "x";
    assert_int_equal(cl_floor_note(NULL, "threads", "sleep", 1000, 1000, 0.166, buf,
                                   sizeof buf), 0);
    assert_string_equal(buf, "");
    struct cl_floors f;
    cl_floors_init(&f); /* nothing recorded */
    assert_int_equal(cl_floor_note(&f, "threads", "sleep", 1000, 1000, 0.166, buf,
                                   sizeof buf), 0);
    vm_floors(&f);
    assert_int_equal(cl_floor_note(&f, "threads", "sleep", 1000, 1000, NAN, buf,
                                   sizeof buf), 0);
    assert_int_equal(cl_floor_note(&f, "threads", "sleep", 1000, 1000, 0, buf,
                                   sizeof buf), 0);
    /* a short buffer is cut, never overrun */
    char small[16];
    assert_int_equal(cl_floor_note(&f, "threads", "noop", 1000, 1, 0.166, small,
                                   sizeof small), 1);
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void kv_set(void *ctx, const char *key, double value, const char *unit)
{
    (void)unit;
    assert_int_equal(cl_floors_set(ctx, key, value), 0);
}

static void each_and_set_round_trip(void **st)
{
    (void)st;
    struct cl_floors a, b;
    vm_floors(&a);
    a.floor[CL_FLOOR_FORK_WAIT].p10_ns = 1e6;
    a.floor[CL_FLOOR_FORK_WAIT].p90_ns = 2e6;
    a.floor[CL_FLOOR_FORK_WAIT].samples = 42;
    cl_floors_init(&b);
    cl_floors_each(&a, kv_set, &b);
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        assert_string_equal(a.floor[i].key, b.floor[i].key);
        if (a.floor[i].status != CL_FLOOR_OK) {
            assert_int_equal(b.floor[i].status, CL_FLOOR_NA);
            continue;
        }
        assert_int_equal(b.floor[i].status, CL_FLOOR_OK);
        assert_float_equal(b.floor[i].median_ns, a.floor[i].median_ns, 0);
        assert_int_equal(b.floor[i].samples, a.floor[i].samples);
    }
    assert_float_equal(b.floor[CL_FLOOR_FORK_WAIT].p90_ns, 2e6, 0);
    assert_int_equal(b.floor[CL_FLOOR_WAKE_CROSS_CPU].status, CL_FLOOR_NA);
    assert_string_equal(a.floor[CL_FLOOR_CLOCK_READ].reason, "not recorded");
    assert_string_equal(b.floor[CL_FLOOR_CLOCK_READ].reason, "n/a when recorded");
    assert_int_equal(cl_floors_set(&b, "warp_drive", 1), -1);
    assert_int_equal(cl_floors_set(&b, "fork_wait.p50", 1), -1);
}

static void read_back_from_run_yaml(void **st)
{
    (void)st;
    char dir[] = "/tmp/conlab-floors-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof path, "%s/run.yaml", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("experiment: x\nstate: complete\nfloors:\n"
          "  thread_create_join: 150000\n  thread_create_join.p10: 120000\n"
          "  thread_create_join.samples: 1000\n  wake_cross_cpu: n/a\n"
          "  from_the_future: 7\nspec: |\n  experiment: x\n", f);
    fclose(f);
    struct cl_runinfo ri;
    char err[256];
    assert_int_equal(cl_runyaml_read(dir, &ri, err, sizeof err), 0);
    assert_int_equal(ri.has_floors, 1);
    const struct cl_floor *t = &ri.floors.floor[CL_FLOOR_THREAD_SPAWN];
    assert_int_equal(t->status, CL_FLOOR_OK);
    assert_float_equal(t->median_ns, 150000, 0);
    assert_float_equal(t->p10_ns, 120000, 0);
    assert_int_equal(t->samples, 1000);
    assert_int_equal(ri.floors.floor[CL_FLOOR_WAKE_CROSS_CPU].status, CL_FLOOR_NA);
    assert_int_equal(ri.floors.floor[CL_FLOOR_FORK_WAIT].status, CL_FLOOR_NA);
    cl_runinfo_free(&ri);
    /* without floors: none */
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("experiment: x\nstate: complete\n", f);
    fclose(f);
    assert_int_equal(cl_runyaml_read(dir, &ri, err, sizeof err), 0);
    assert_int_equal(ri.has_floors, 0);
    cl_runinfo_free(&ri);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(note_thread_start_up),
        cmocka_unit_test(note_processes_and_sleeps),
        cmocka_unit_test(note_without_floors),
        cmocka_unit_test(each_and_set_round_trip),
        cmocka_unit_test(read_back_from_run_yaml),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-check-records.c — the host's exactly-once and value check over a
 * repetition's task records (cl_check_records, job.h): every task once with
 * the right value; tasks never run, run twice, with a wrong value, failed
 * (reasons counted, most frequent first), and started but never finished
 * (counted apart too, under the reason the caller gives them). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "job.h"

enum { N = 10 };

/* Records of N tasks, every one run once, ok, with its expected value
 * 100 + i (the workload has expected()). */
static int setup(void **st)
{
    static struct cl_cellmem m;
    if (cl_cellmem_map(&m, N) != 0)
        return -1;
    m.sh->has_expected = 1;
    for (uint64_t i = 0; i < N; i++) {
        m.expected[i] = 100 + i;
        atomic_store(&m.rec[i].runs, 1);
        atomic_store(&m.rec[i].state, CL_REC_DONE);
        m.rec[i].status = CONLAB_OK;
        m.rec[i].value = 100 + i;
    }
    *st = &m;
    return 0;
}

static int teardown(void **st)
{
    cl_cellmem_unmap(*st);
    return 0;
}

/* cl_check_records(m, NULL) into *ck, with every count as `want` says. */
struct counts {
    uint64_t ran_ok, failed, missing, duplicated, wrong, bad_index, misuse, unfinished;
};

static void check_is(const struct cl_cellmem *m, struct counts want, struct cl_check *ck)
{
    cl_check_records(m, NULL, ck);
    assert_int_equal(ck->ran_ok, want.ran_ok);
    assert_int_equal(ck->failed, want.failed);
    assert_int_equal(ck->missing, want.missing);
    assert_int_equal(ck->duplicated, want.duplicated);
    assert_int_equal(ck->wrong, want.wrong);
    assert_int_equal(ck->bad_index, want.bad_index);
    assert_int_equal(ck->misuse, want.misuse);
    assert_int_equal(ck->unfinished, want.unfinished);
}

static void exactly_once(void **st)
{
    struct cl_cellmem *m = *st;
    struct cl_check ck;
    check_is(m, (struct counts){.ran_ok = N}, &ck);
    assert_int_equal(ck.n_reasons, 0);
}

static void missing(void **st)
{
    struct cl_cellmem *m = *st;
    atomic_store(&m->rec[3].runs, 0);
    atomic_store(&m->rec[3].state, CL_REC_NEVER);
    atomic_store(&m->rec[9].runs, 0);
    atomic_store(&m->rec[9].state, CL_REC_NEVER);
    struct cl_check ck;
    check_is(m, (struct counts){.ran_ok = N - 2, .missing = 2}, &ck);
}

static void duplicated(void **st)
{
    struct cl_cellmem *m = *st;
    atomic_store(&m->rec[0].runs, 2);
    atomic_store(&m->rec[5].runs, 3);
    struct cl_check ck;
    /* a task run twice is not "ran ok", even with the right value */
    check_is(m, (struct counts){.ran_ok = N - 2, .duplicated = 2}, &ck);
}

static void wrong_value(void **st)
{
    struct cl_cellmem *m = *st;
    m->rec[4].value = 12345;
    struct cl_check ck;
    check_is(m, (struct counts){.ran_ok = N - 1, .wrong = 1}, &ck);
    /* without expected() the values are not checked */
    m->sh->has_expected = 0;
    check_is(m, (struct counts){.ran_ok = N}, &ck);
}

static void failures_counted_by_reason(void **st)
{
    struct cl_cellmem *m = *st;
    uint32_t flaky = cl_reason_intern(m->sh, "flaky");
    uint32_t refused = cl_reason_intern(m->sh, "connection refused");
    assert_int_not_equal(flaky, refused);
    assert_int_equal(cl_reason_intern(m->sh, "flaky"), flaky); /* interned */
    const int fails[] = {1, 2, 6};
    for (size_t k = 0; k < 3; k++) {
        m->rec[fails[k]].status = CONLAB_E_TASK;
        m->rec[fails[k]].reason = k == 0 ? flaky : refused;
    }
    /* started, never finished: its worker vanished */
    atomic_store(&m->rec[8].state, CL_REC_RUNNING);
    atomic_store(&m->sh->bad_index, 2);
    atomic_store(&m->sh->misuse, 1);
    struct cl_check ck;
    check_is(m, (struct counts){.ran_ok = N - 4, .failed = 4, .bad_index = 2, .misuse = 1,
                                .unfinished = 1},
             &ck);
    assert_int_equal(ck.n_reasons, 3);
    assert_string_equal(ck.reasons[0].text, "connection refused");
    assert_int_equal(ck.reasons[0].count, 2);
    /* ties keep the order of the table: the vanished worker's (0) first */
    assert_string_equal(ck.reasons[1].text, "task never finished (worker vanished)");
    assert_int_equal(ck.reasons[1].count, 1);
    assert_string_equal(ck.reasons[2].text, "flaky");
    assert_int_equal(ck.reasons[2].count, 1);
}

/* Tasks still running when the cell was stopped: failed, counted apart,
 * under the caller's reason; neither ok nor missing. */
static void unfinished_under_the_callers_reason(void **st)
{
    struct cl_cellmem *m = *st;
    for (uint64_t i = 3; i < N; i++) {
        if (i < 6) {
            atomic_store(&m->rec[i].state, CL_REC_RUNNING);
        } else {
            atomic_store(&m->rec[i].runs, 0);
            atomic_store(&m->rec[i].state, CL_REC_NEVER);
        }
    }
    struct cl_check ck;
    cl_check_records(m, "still running at the timeout", &ck);
    assert_int_equal(ck.ran_ok, 3);
    assert_int_equal(ck.unfinished, 3);
    assert_int_equal(ck.failed, 3);
    assert_int_equal(ck.missing, N - 6);
    assert_int_equal(ck.n_reasons, 1);
    assert_string_equal(ck.reasons[0].text, "still running at the timeout");
    assert_int_equal(ck.reasons[0].count, 3);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(exactly_once, setup, teardown),
        cmocka_unit_test_setup_teardown(missing, setup, teardown),
        cmocka_unit_test_setup_teardown(duplicated, setup, teardown),
        cmocka_unit_test_setup_teardown(wrong_value, setup, teardown),
        cmocka_unit_test_setup_teardown(failures_counted_by_reason, setup, teardown),
        cmocka_unit_test_setup_teardown(unfinished_under_the_callers_reason, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

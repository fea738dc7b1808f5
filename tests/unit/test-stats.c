/* test-stats.c — statistics against values computed independently (R). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <cmocka.h>

#include "stats.h"

static void summary_known_values(void **st)
{
    (void)st;
    /* R: x <- c(2,4,4,4,5,5,7,9); mean 5, sd 2.13809, median 4.5,
     * t.test(x)$conf.int = 3.212512 6.787488 (t_{0.975,7} = 2.364624) */
    const double x[] = {2, 4, 4, 4, 5, 5, 7, 9};
    struct cl_summary s;
    cl_summarize(x, 8, &s);
    assert_int_equal(s.n, 8);
    assert_float_equal(s.mean, 5.0, 1e-12);
    assert_float_equal(s.sd, 2.138089935, 1e-8);
    assert_float_equal(s.median, 4.5, 1e-12);
    assert_float_equal(s.min, 2.0, 0);
    assert_float_equal(s.max, 9.0, 0);
    assert_float_equal(s.ci95_lo, 3.212512, 1e-5);
    assert_float_equal(s.ci95_hi, 6.787488, 1e-5);
}

static void summary_does_not_reorder_input(void **st)
{
    (void)st;
    double x[] = {3, 1, 2};
    struct cl_summary s;
    cl_summarize(x, 3, &s);
    assert_float_equal(x[0], 3, 0);
    assert_float_equal(x[1], 1, 0);
    assert_float_equal(s.median, 2, 0);
}

static void summary_edge_cases(void **st)
{
    (void)st;
    struct cl_summary s;
    cl_summarize(NULL, 0, &s);
    assert_int_equal(s.n, 0);
    assert_true(isnan(s.mean));
    const double one[] = {1.5};
    cl_summarize(one, 1, &s);
    assert_float_equal(s.mean, 1.5, 0);
    assert_float_equal(s.sd, 0, 0);
    assert_float_equal(s.ci95_lo, 1.5, 0);
    assert_float_equal(s.ci95_hi, 1.5, 0);
}

static void welford_is_stable_for_large_offsets(void **st)
{
    (void)st;
    /* naive sum-of-squares loses every digit here */
    const double x[] = {1e9 + 4, 1e9 + 7, 1e9 + 13, 1e9 + 16};
    struct cl_summary s;
    cl_summarize(x, 4, &s);
    assert_float_equal(s.sd, sqrt(30.0), 1e-6);
}

static void quantiles_type7(void **st)
{
    (void)st;
    /* numpy.quantile([1,2,3,4,5,6,7,8,9,10], [0.5, 0.99, 0.1]) */
    const double x[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
    assert_float_equal(cl_quantile_sorted(x, 10, 0.5), 5.5, 1e-12);
    assert_float_equal(cl_quantile_sorted(x, 10, 0.99), 9.91, 1e-12);
    assert_float_equal(cl_quantile_sorted(x, 10, 0.1), 1.9, 1e-12);
    assert_float_equal(cl_quantile_sorted(x, 10, 0), 1, 0);
    assert_float_equal(cl_quantile_sorted(x, 10, 1), 10, 0);
    assert_true(isnan(cl_quantile_sorted(x, 0, 0.5)));
    assert_float_equal(cl_quantile_sorted(x, 1, 0.99), 1, 0);
}

static void t_quantiles(void **st)
{
    (void)st;
    /* qt(0.975, df) in R */
    assert_float_equal(cl_t975(1), 12.7062, 1e-4);
    assert_float_equal(cl_t975(4), 2.776445, 1e-6);
    assert_float_equal(cl_t975(7), 2.364624, 1e-6);
    assert_float_equal(cl_t975(30), 2.0423, 1e-4);
    assert_float_equal(cl_t975(40), 2.021075, 1e-4);
    assert_float_equal(cl_t975(100), 1.983972, 1e-4);
    assert_float_equal(cl_t975(1000000), 1.959966, 1e-6); /* R: qt(.975, 1e6) */
    assert_float_equal(cl_t975(12), 2.178813, 1e-6);
    assert_true(isnan(cl_t975(0)));
}

static void sort_doubles(void **st)
{
    (void)st;
    double x[] = {3, -1, 2.5, 0, 2.5};
    cl_sort_doubles(x, 5);
    for (int i = 1; i < 5; i++)
        assert_true(x[i - 1] <= x[i]);
    assert_float_equal(x[0], -1, 0);
}

/* The case of the issue: a sequential cell whose repetitions vary a lot
 * (one slow outlier: CV 59%, mean 3.41 s, median 2.54 s) against a steady
 * threads(workers=2).  From the means, efficiency would be 133%; from the
 * medians it is 99%. */
static const double seq_walls[] = {2.40, 2.54, 2.60, 2.50, 7.01};
static const double thr_walls[] = {1.25, 1.30, 1.28, 1.27, 1.31};

static void mean_and_median_disagree(void **st)
{
    (void)st;
    struct cl_summary a, b;
    cl_summarize(seq_walls, 5, &a);
    cl_summarize(thr_walls, 5, &b);
    assert_float_equal(a.mean, 3.41, 1e-12);
    assert_float_equal(a.median, 2.54, 1e-12);
    assert_float_equal(a.sd / a.mean, 0.5905506, 1e-6);
    assert_float_equal(cl_median(seq_walls, 5), 2.54, 0);
    assert_float_equal(a.mean / b.mean / 2, 1.3299532, 1e-6); /* 133% */
    struct cl_ratio q;
    assert_int_equal(cl_boot_median_ratio(seq_walls, 5, thr_walls, 5, 2000,
                                          CL_BOOT_SEED, &q), 0);
    assert_float_equal(q.est, 2.54 / 1.28, 1e-12);
    assert_float_equal(q.est / 2, 0.9921875, 1e-12); /* 99% */
}

/* The interval, exactly: the same draws computed independently (a Python
 * MT19937 seeded as gsl_rng_set does, gsl_rng_uniform_int's rejection, R
 * type-7 quantiles): (1.984375, 1.875, 5.4765625) and, for the run of
 * test-rundir, (1.951219512195122, 1.8571428571428572, 2.05). */
static void bootstrap_interval_known_values(void **st)
{
    (void)st;
    struct cl_ratio q;
    assert_int_equal(cl_boot_median_ratio(seq_walls, 5, thr_walls, 5,
                                          CL_BOOT_RESAMPLES, CL_BOOT_SEED, &q), 0);
    assert_float_equal(q.est, 1.984375, 1e-12);
    assert_float_equal(q.lo, 1.875, 1e-12);
    assert_float_equal(q.hi, 5.4765625, 1e-12);
    const double a[] = {0.4, 0.41, 0.39}, b[] = {0.2, 0.21};
    assert_int_equal(cl_boot_median_ratio(a, 3, b, 2, 2000, 20261130UL, &q), 0);
    assert_float_equal(q.est, 1.951219512195122, 1e-12);
    assert_float_equal(q.lo, 1.8571428571428572, 1e-12);
    assert_float_equal(q.hi, 2.05, 1e-12);
    /* the same seed, the same interval; another seed, other draws */
    struct cl_ratio q2;
    cl_boot_median_ratio(a, 3, b, 2, 2000, 20261130UL, &q2);
    assert_float_equal(q2.lo, q.lo, 0);
    assert_float_equal(q2.hi, q.hi, 0);
}

static void bootstrap_edge_cases(void **st)
{
    (void)st;
    struct cl_ratio q;
    const double one[] = {2.0}, half[] = {1.0}, zero[] = {0.0};
    assert_int_equal(cl_boot_median_ratio(one, 1, half, 1, 2000, 1, &q), 0);
    assert_float_equal(q.est, 2, 0);
    assert_float_equal(q.lo, 2, 0);
    assert_float_equal(q.hi, 2, 0);
    assert_int_equal(cl_boot_median_ratio(one, 0, half, 1, 2000, 1, &q), -1);
    assert_true(isnan(q.est) && isnan(q.lo) && isnan(q.hi));
    assert_int_equal(cl_boot_median_ratio(one, 1, zero, 1, 2000, 1, &q), -1);
    assert_true(isnan(q.est));
    /* identical samples: every resample's ratio is 1 */
    const double same[] = {3, 3, 3};
    assert_int_equal(cl_boot_median_ratio(same, 3, same, 3, 500, 9, &q), 0);
    assert_float_equal(q.lo, 1, 0);
    assert_float_equal(q.hi, 1, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(summary_known_values),
        cmocka_unit_test(summary_does_not_reorder_input),
        cmocka_unit_test(summary_edge_cases),
        cmocka_unit_test(welford_is_stable_for_large_offsets),
        cmocka_unit_test(quantiles_type7),
        cmocka_unit_test(t_quantiles),
        cmocka_unit_test(sort_doubles),
        cmocka_unit_test(mean_and_median_disagree),
        cmocka_unit_test(bootstrap_interval_known_values),
        cmocka_unit_test(bootstrap_edge_cases),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-compare.c — the Mann-Whitney U test behind compare's verdicts,
 * against values computed independently (brute-force permutation counts
 * and R's wilcox.test). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "compare.h"

static void mann_whitney_exact(void **st)
{
    (void)st;
    double u;
    /* fully separated 5 vs 5: the two most extreme of C(10,5) = 252 */
    const double a[] = {1, 2, 3, 4, 5}, b[] = {6, 7, 8, 9, 10};
    assert_float_equal(cl_mann_whitney_p(a, 5, b, 5, &u), 2.0 / 252, 1e-12);
    assert_float_equal(u, 0, 0);
    assert_float_equal(cl_mann_whitney_p(b, 5, a, 5, &u), 2.0 / 252, 1e-12);
    assert_float_equal(u, 25, 0);
    /* 3 vs 3 can never go below 0.1 */
    assert_float_equal(cl_mann_whitney_p(a, 3, b, 3, NULL), 0.1, 1e-12);
    /* R: wilcox.test(c(1.1,2.2,3.3,4.4), c(3.5,5.5,6.6,7.7)): W = 1, p = 0.05714 */
    const double c[] = {1.1, 2.2, 3.3, 4.4}, d[] = {3.5, 5.5, 6.6, 7.7};
    assert_float_equal(cl_mann_whitney_p(c, 4, d, 4, &u), 4.0 / 70, 1e-12);
    assert_float_equal(u, 1, 0);
    /* unequal sizes, by enumerating all C(11,6) splits: p = 4/462 */
    const double e[] = {10.2, 11.5, 9.8, 12.1, 10.9, 11.1};
    const double f[] = {12.5, 13.1, 11.9, 12.8, 13.6};
    assert_float_equal(cl_mann_whitney_p(e, 6, f, 5, &u), 0.008658008658, 1e-10);
    assert_float_equal(u, 1, 0);
    /* identical samples without ties between them: p = 1 */
    const double g[] = {1, 3, 5}, h[] = {2, 4, 6};
    assert_true(cl_mann_whitney_p(g, 3, h, 3, NULL) > 0.5);
}

static void mann_whitney_normal(void **st)
{
    (void)st;
    double u;
    /* ties: R wilcox.test(c(1,1,2,2,3), c(2,3,3,4,4), exact=FALSE): W = 3,
     * p = 0.05241 (tie and continuity corrections) */
    const double a[] = {1, 1, 2, 2, 3}, b[] = {2, 3, 3, 4, 4};
    assert_float_equal(cl_mann_whitney_p(a, 5, b, 5, &u), 0.0524116287, 1e-8);
    assert_float_equal(u, 3, 0);
    /* beyond 30 a side: 0..39 against 10.5..44.5, U = 435 */
    double x[40], y[35];
    for (int i = 0; i < 40; i++)
        x[i] = i;
    for (int i = 0; i < 35; i++)
        y[i] = i + 10.5;
    assert_float_equal(cl_mann_whitney_p(x, 40, y, 35, &u), 0.0049701891, 1e-8);
    assert_float_equal(u, 435, 0);
    /* every value the same: no evidence */
    const double s[] = {7, 7, 7};
    assert_float_equal(cl_mann_whitney_p(s, 3, s, 3, NULL), 1, 0);
    assert_true(isnan(cl_mann_whitney_p(s, 0, s, 3, NULL)));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mann_whitney_exact),
        cmocka_unit_test(mann_whitney_normal),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-compare.c — the Mann-Whitney U test behind compare's verdicts,
 * against values computed independently (brute-force permutation counts
 * and R's wilcox.test), and the corrections for many cells against the
 * worked example of Benjamini & Hochberg (1995) and values by hand. */
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

/* Benjamini & Hochberg (1995), section 4: 15 p-values of a clinical trial;
 * at 0.05 their procedure rejects 4, the Bonferroni-type (Holm) ones 3. */
static const double bh1995[15] = {0.0001, 0.0004, 0.0019, 0.0095, 0.0201,
                                  0.0278, 0.0298, 0.0344, 0.0459, 0.3240,
                                  0.4262, 0.5719, 0.6528, 0.7590, 1.000};

static size_t below(const double *p, size_t n, double alpha)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        k += p[i] < alpha;
    return k;
}

static void corrections_published(void **st)
{
    (void)st;
    double adj[15];
    cl_p_adjust(bh1995, 15, CL_CORRECT_BH, adj);
    assert_int_equal(below(adj, 15, 0.05), 4);
    assert_float_equal(adj[3], 15.0 / 4 * 0.0095, 1e-12);
    assert_float_equal(adj[4], 15.0 / 5 * 0.0201, 1e-12); /* its own: the min above */
    assert_float_equal(adj[5], 15.0 / 7 * 0.0298, 1e-12); /* stepped up from rank 7 */
    assert_float_equal(adj[14], 1, 0);
    cl_p_adjust(bh1995, 15, CL_CORRECT_HOLM, adj);
    assert_int_equal(below(adj, 15, 0.05), 3);
    assert_float_equal(adj[0], 15 * 0.0001, 1e-12);
    assert_float_equal(adj[2], 13 * 0.0019, 1e-12);
    assert_float_equal(adj[3], 12 * 0.0095, 1e-12);
    assert_float_equal(adj[14], 1, 0); /* capped */
    cl_p_adjust(bh1995, 15, CL_CORRECT_NONE, adj);
    assert_memory_equal(adj, bh1995, sizeof adj);
}

/* got[i] == want[i] for all i, NAN matching NAN. */
static void assert_p_equal(const double *got, const double *want, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (isnan(want[i]))
            assert_true(isnan(got[i]));
        else
            assert_float_equal(got[i], want[i], 1e-12);
}

static void corrections_by_hand(void **st)
{
    (void)st;
    /* unsorted input, a NAN outside the family (m = 4), in place */
    double p[] = {0.01, 0.04, NAN, 0.03, 0.005};
    double holm[] = {0.03, 0.06, NAN, 0.06, 0.02}; /* 4p, 3p, 2p -> 0.06, max */
    double bh[] = {0.02, 0.04, NAN, 0.04, 0.02};
    double adj[5];
    cl_p_adjust(p, 5, CL_CORRECT_HOLM, adj);
    assert_p_equal(adj, holm, 5);
    cl_p_adjust(p, 5, CL_CORRECT_BH, p);
    assert_p_equal(p, bh, 5);
    /* ties, and a family of one: unchanged by either */
    const double t[] = {0.02, 0.02};
    cl_p_adjust(t, 2, CL_CORRECT_HOLM, adj);
    assert_float_equal(adj[0], 0.04, 1e-12);
    assert_float_equal(adj[1], 0.04, 1e-12);
    cl_p_adjust(t, 1, CL_CORRECT_BH, adj);
    assert_float_equal(adj[0], 0.02, 1e-12);
    /* what one cell can reach: 5 vs 5 repetitions in 10 cells */
    assert_float_equal(cl_p_adjust_floor(2.0 / 252, 10, CL_CORRECT_HOLM), 20.0 / 252, 1e-12);
    assert_float_equal(cl_p_adjust_floor(2.0 / 252, 10, CL_CORRECT_BH), 2.0 / 252, 1e-12);
    assert_float_equal(cl_p_adjust_floor(0.2, 10, CL_CORRECT_HOLM), 1, 0);
    enum cl_correction c;
    assert_int_equal(cl_correction_parse("bh", &c), 0);
    assert_int_equal(c, CL_CORRECT_BH);
    assert_int_equal(cl_correction_parse("holm", &c), 0);
    assert_int_equal(c, CL_CORRECT_HOLM);
    assert_int_equal(cl_correction_parse("bonferroni", &c), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mann_whitney_exact),
        cmocka_unit_test(mann_whitney_normal),
        cmocka_unit_test(corrections_published),
        cmocka_unit_test(corrections_by_hand),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

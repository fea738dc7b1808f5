/* stats.c — see stats.h. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void cl_sort_doubles(double *x, size_t n)
{
    if (n > 1)
        qsort(x, n, sizeof *x, cmp_double);
}

double cl_quantile_sorted(const double *s, size_t n, double q)
{
    if (n == 0)
        return NAN;
    if (q <= 0)
        return s[0];
    if (q >= 1)
        return s[n - 1];
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    double frac = h - (double)lo;
    if (lo + 1 >= n)
        return s[n - 1];
    return s[lo] + frac * (s[lo + 1] - s[lo]);
}

double cl_t975(size_t df)
{
    /* t_{0.975, df}, df = 1..30 */
    static const double t[] = {
        NAN,      12.706205, 4.302653, 3.182446, 2.776445, 2.570582,
        2.446912, 2.364624,  2.306004, 2.262157, 2.228139, 2.200985,
        2.178813, 2.160369,  2.144787, 2.131450, 2.119905, 2.109816,
        2.100922, 2.093024,  2.085963, 2.079614, 2.073873, 2.068658,
        2.063899, 2.059539,  2.055529, 2.051831, 2.048407, 2.045230,
        2.042272};
    if (df == 0)
        return NAN;
    if (df <= 30)
        return t[df];
    /* Cornish-Fisher expansion about the normal quantile: < 1e-4 off for df > 30 */
    double z = 1.959963984540054, d = (double)df;
    double z3 = z * z * z, z5 = z3 * z * z, z7 = z5 * z * z;
    return z + (z3 + z) / (4 * d) + (5 * z5 + 16 * z3 + 3 * z) / (96 * d * d) +
           (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * d * d * d);
}

void cl_summarize(const double *x, size_t n, struct cl_summary *o)
{
    memset(o, 0, sizeof *o);
    o->n = n;
    if (n == 0) {
        o->mean = o->sd = o->median = o->min = o->max = NAN;
        o->ci95_lo = o->ci95_hi = NAN;
        return;
    }
    /* Welford: stable for values of any magnitude */
    double mean = 0, m2 = 0;
    for (size_t i = 0; i < n; i++) {
        double d = x[i] - mean;
        mean += d / (double)(i + 1);
        m2 += d * (x[i] - mean);
    }
    o->mean = mean;
    o->sd = n > 1 ? sqrt(m2 / (double)(n - 1)) : 0.0;
    double *s = cl_xmalloc(n * sizeof *s);
    memcpy(s, x, n * sizeof *s);
    cl_sort_doubles(s, n);
    o->min = s[0];
    o->max = s[n - 1];
    o->median = cl_quantile_sorted(s, n, 0.5);
    free(s);
    if (n > 1) {
        double half = cl_t975(n - 1) * o->sd / sqrt((double)n);
        o->ci95_lo = mean - half;
        o->ci95_hi = mean + half;
    } else {
        o->ci95_lo = o->ci95_hi = mean;
    }
}

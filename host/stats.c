/* stats.c — see stats.h.  Sorting, quantiles, t quantiles and the random
 * draws are GSL's; what is left here is which of them to combine. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_rng.h>
#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>

#include "util.h"

void cl_sort_doubles(double *x, size_t n)
{
    if (n > 1)
        gsl_sort(x, 1, n);
}

double cl_quantile_sorted(const double *s, size_t n, double q)
{
    if (n == 0)
        return NAN;
    if (!(q > 0))
        return s[0];
    if (q >= 1)
        return s[n - 1];
    return gsl_stats_quantile_from_sorted_data(s, 1, n, q);
}

double cl_median(const double *x, size_t n)
{
    if (n == 0)
        return NAN;
    double *s = cl_xmalloc(n * sizeof *s);
    memcpy(s, x, n * sizeof *s);
    cl_sort_doubles(s, n);
    double m = cl_quantile_sorted(s, n, 0.5);
    free(s);
    return m;
}

double cl_t975(size_t df)
{
    return df == 0 ? NAN : gsl_cdf_tdist_Pinv(0.975, (double)df);
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

/* The median of n draws (with replacement) from x, through buf (n). */
static double resample_median(gsl_rng *rng, const double *x, size_t n, double *buf)
{
    for (size_t i = 0; i < n; i++)
        buf[i] = x[gsl_rng_uniform_int(rng, n)];
    gsl_sort(buf, 1, n);
    return gsl_stats_median_from_sorted_data(buf, 1, n);
}

int cl_boot_median_ratio(const double *num, size_t n_num, const double *den,
                         size_t n_den, size_t resamples, unsigned long seed,
                         struct cl_ratio *out)
{
    out->est = out->lo = out->hi = NAN;
    double mn = cl_median(num, n_num), md = cl_median(den, n_den);
    if (!(mn > 0) || !(md > 0))
        return -1;
    out->est = mn / md;
    if ((n_num == 1 && n_den == 1) || resamples == 0) {
        out->lo = out->hi = out->est;
        return 0;
    }
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *buf = malloc((n_num > n_den ? n_num : n_den) * sizeof *buf);
    double *ratio = malloc(resamples * sizeof *ratio);
    if (!rng || !buf || !ratio) {
        if (rng)
            gsl_rng_free(rng);
        free(buf);
        free(ratio);
        out->est = NAN;
        return -1;
    }
    gsl_rng_set(rng, seed);
    size_t k = 0;
    for (size_t i = 0; i < resamples; i++) {
        double a = resample_median(rng, num, n_num, buf);
        double b = resample_median(rng, den, n_den, buf);
        if (b > 0)
            ratio[k++] = a / b;
    }
    gsl_sort(ratio, 1, k);
    out->lo = cl_quantile_sorted(ratio, k, 0.025);
    out->hi = cl_quantile_sorted(ratio, k, 0.975);
    gsl_rng_free(rng);
    free(buf);
    free(ratio);
    return 0;
}

/* stats.h — descriptive statistics for repetitions and task latencies, and
 * the bootstrap interval of a ratio of medians (speedups), on GNU GSL.
 * Host-private. */
#ifndef CONLAB_HOST_STATS_H
#define CONLAB_HOST_STATS_H

#include <stddef.h>

struct cl_summary {
    size_t n;
    double mean, sd, median, min, max;
    double ci95_lo, ci95_hi; /* Student-t interval for the mean; = mean if n < 2 */
};

/** Summarise x[0..n-1] (not modified).  n == 0 gives all NAN. */
void cl_summarize(const double *x, size_t n, struct cl_summary *out);

/** Quantile q in [0,1] of ascending-sorted x (linear interpolation between
 *  order statistics, R's type 7 / numpy's default).  NAN if n == 0. */
double cl_quantile_sorted(const double *sorted, size_t n, double q);

/** The median of x[0..n-1] (not modified); NAN if n == 0. */
double cl_median(const double *x, size_t n);

/** Sort ascending in place. */
void cl_sort_doubles(double *x, size_t n);

/** Two-sided 97.5% quantile of Student's t with df degrees of freedom
 *  (gsl_cdf_tdist_Pinv); NAN for df 0. */
double cl_t975(size_t df);

/* The bootstrap behind every speedup interval: CL_BOOT_RESAMPLES resamples
 * drawn by GSL's MT19937 seeded with CL_BOOT_SEED, afresh for each ratio, so
 * the same repetitions always give the same interval. */
#define CL_BOOT_RESAMPLES 2000
#define CL_BOOT_SEED 20261130UL

/* A ratio with its 95% interval; all NAN when undefined. */
struct cl_ratio {
    double est, lo, hi;
};

/** median(num) / median(den), and its seeded percentile-bootstrap 95%
 *  interval: `resamples` times, draw n_num values of num and n_den of den
 *  with replacement (num's first, from one MT19937 stream seeded with
 *  `seed`), take the ratio of their medians; the interval is the 2.5% and
 *  97.5% quantiles (type 7) of those ratios.  Returns 0; or -1 with all
 *  NAN in *out when either sample is empty, a median is not positive, or
 *  memory ran out.  With one value in each, the interval is the estimate. */
int cl_boot_median_ratio(const double *num, size_t n_num, const double *den,
                         size_t n_den, size_t resamples, unsigned long seed,
                         struct cl_ratio *out);

#endif

/* stats.h — descriptive statistics for repetitions and task latencies.
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

/** Sort ascending in place. */
void cl_sort_doubles(double *x, size_t n);

/** Two-sided 97.5% quantile of Student's t with df degrees of freedom. */
double cl_t975(size_t df);

#endif

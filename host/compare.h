/* compare.h — `conlab compare DIR_A DIR_B`: cell by cell, did it get
 * faster or slower, beyond the noise?  Host-private. */
#ifndef CONLAB_HOST_COMPARE_H
#define CONLAB_HOST_COMPARE_H

#include <stddef.h>

#define CL_COMPARE_ALPHA 0.05     /* significance level */
#define CL_COMPARE_THRESHOLD 0.05 /* |ratio - 1| that counts as a change */

/** Two-sided p-value of the Mann-Whitney U test (Wilcoxon rank-sum) that
 *  a and b come from the same distribution: exact (the permutation
 *  distribution of U) when there are no ties and na, nb <= 30; otherwise
 *  the normal approximation with tie and continuity corrections.  *u
 *  receives U of a (the pairs a_i > b_j, ties counting 1/2) when not NULL.
 *  NAN if na or nb is 0. */
double cl_mann_whitney_p(const double *a, size_t na, const double *b, size_t nb,
                         double *u);

/** `conlab compare DIR_A DIR_B [--format F] [--threshold PCT]`. */
int cl_cmd_compare(int argc, char **argv);

#endif

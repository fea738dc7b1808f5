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

/* How the p-values of a comparison's cells are corrected for testing many
 * cells at once. */
enum cl_correction {
    CL_CORRECT_HOLM, /* Holm-Bonferroni: P(any false flag) <= alpha (default) */
    CL_CORRECT_BH,   /* Benjamini-Hochberg: E[false flags / flags] <= alpha */
    CL_CORRECT_NONE  /* each cell on its own */
};

/** "holm", "bh", "none" -> *out: 0, or -1 if unknown. */
int cl_correction_parse(const char *s, enum cl_correction *out);

/** Adjusted p-values, as R's p.adjust(p, "holm" | "BH" | "none"): adj[i]
 *  for p[i], each at most 1.  The family is the finite p's; a NAN p stays
 *  NAN and does not count.  adj may be p. */
void cl_p_adjust(const double *p, size_t n, enum cl_correction c, double *adj);

/** The smallest adjusted p one cell can reach when its own p is at least
 *  p_min and the family has m tests: m * p_min under Holm (the smallest p
 *  is multiplied by m), p_min under BH (when every cell is as extreme) and
 *  none. */
double cl_p_adjust_floor(double p_min, size_t m, enum cl_correction c);

/** `conlab compare DIR_A DIR_B [--format F] [--threshold PCT]
 *  [--correction C] [--fail-on WHICH]`: 0, CL_EXIT_CHANGED when a cell
 *  changed the way --fail-on names, CL_EXIT_USAGE, CL_EXIT_INTERNAL. */
int cl_cmd_compare(int argc, char **argv);

#endif

/* check.h — `conlab check PLUGIN`: a conformance run for plugin authors.
 * Host-private. */
#ifndef CONLAB_HOST_CHECK_H
#define CONLAB_HOST_CHECK_H

/** `conlab check PLUGIN [--param K=V]... [--timeout DUR] [--only NAMES]
 *  [--seed N] [-v]`.  Prints one line per check ("PASS name", "FAIL name:
 *  reason", "SKIP name: reason"), then "N passed, M failed[, K skipped]".
 *  Returns 0 when nothing failed, 1 when a check failed, 2 for a bad command
 *  line, 3 when the host itself could not go on, 130 when interrupted. */
int cl_cmd_check(int argc, char **argv);

#endif

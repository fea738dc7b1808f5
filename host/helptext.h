/* helptext.h — texts that `conlab run --help`, `conlab help` and the man
 * page (docs/gen-man.py) print from one table: what each cell status means.
 * Host-private. */
#ifndef CONLAB_HOST_HELPTEXT_H
#define CONLAB_HOST_HELPTEXT_H

#include <stdio.h>

/** Prints one "INDENT NAME  meaning" line per status of CL_STATUS_LIST
 *  (host/rundir.h), in its order. */
void cl_help_statuses(FILE *out, const char *indent);

#endif

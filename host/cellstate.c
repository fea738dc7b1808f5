/* cellstate.c — see cellstate.h. */
#include "cellstate.h"

#include <stdio.h>

int cl_cell_take_row(struct cl_cell *c, const struct cl_rep_row *row,
                     const char *repetition, int repeat, char *err,
                     size_t errlen)
{
    if (row->status == CL_ST_INTERRUPTED || row->status == CL_ST_SKIPPED)
        return 0; /* no result: that repetition runs again */
    if (row->repetition < 0 || row->repetition > repeat ||
        (row->repetition == 0 && !cl_status_ends_cell(row->status))) {
        snprintf(err, errlen, "repetition '%s' with status %s is not one of this "
                 "spec's (1..%d, or 0 for a warm-up that ended its cell)",
                 repetition, cl_status_name(row->status), repeat);
        return -1;
    }
    if (cl_cell_rep(c, row->repetition)) {
        snprintf(err, errlen, "repetition %d is there twice", row->repetition);
        return -1;
    }
    if (cl_status_ends_cell(c->status)) { /* it has a row that ended it */
        snprintf(err, errlen, "a row after the one that ended the cell (%s)",
                 cl_status_name(c->status));
        return -1;
    }
    cl_cell_add_row(c, row);
    return 1;
}

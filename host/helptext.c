/* helptext.c — see helptext.h. */
#include "helptext.h"

#include "rundir.h"

/* One meaning per status: a status added to CL_STATUS_LIST without its
 * CL_STATUS_HELP_<ID> here does not compile. */
#define CL_STATUS_HELP_OK "every task ran exactly once and returned its value"
#define CL_STATUS_HELP_FAILED "some tasks failed (their reasons counted)"
#define CL_STATUS_HELP_WRONG                                                  \
    "a task missing, repeated, or with a wrong value"
#define CL_STATUS_HELP_ERROR                                                  \
    "could not run: a plugin or the repetition could not start"
#define CL_STATUS_HELP_MEMORY "the cell's peak RSS passed the spec's `memory`"
#define CL_STATUS_HELP_TIMEOUT "the cell passed the spec's `timeout`"
#define CL_STATUS_HELP_CRASHED "the cell's process died of a signal (named)"
#define CL_STATUS_HELP_INTERRUPTED "stopped by SIGINT or SIGTERM (Ctrl-C)"
#define CL_STATUS_HELP_SKIPPED                                                \
    "not run: an earlier repetition ended the cell"

static const struct {
    const char *name, *help;
} statuses[] = {
#define CL_STATUS_HELP_ROW(id, name) {name, CL_STATUS_HELP_##id},
    CL_STATUS_LIST(CL_STATUS_HELP_ROW)
#undef CL_STATUS_HELP_ROW
};

void cl_help_statuses(FILE *out, const char *indent)
{
    for (size_t i = 0; i < sizeof statuses / sizeof *statuses; i++)
        fprintf(out, "%s%-12s %s\n", indent, statuses[i].name, statuses[i].help);
}

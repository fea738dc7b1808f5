/* cli.h — what every command shares with the shell: its exit statuses
 * (documented in --help, the man page and the README).  Host-private.
 * Nothing else lives here, so a command that only needs to say how it
 * ended includes this and not the runner. */
#ifndef CONLAB_HOST_CLI_H
#define CONLAB_HOST_CLI_H

enum {
    CL_EXIT_OK = 0,          /* every cell ok */
    CL_EXIT_CELLS = 1,       /* the run finished, some cell was not ok */
    CL_EXIT_CHANGED = 1,     /* compare: a significant change --fail-on names */
    CL_EXIT_USAGE = 2,       /* bad command line or spec: nothing ran */
    CL_EXIT_INTERNAL = 3,    /* could not write results, out of memory, ... */
    CL_EXIT_INTERRUPTED = 130
};

#endif

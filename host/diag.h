/* diag.h — diagnostics: a list of "file:line:col: message" problems, as the
 * spec loader reports them.  Host-private. */
#ifndef CONLAB_HOST_DIAG_H
#define CONLAB_HOST_DIAG_H

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>

struct cl_diag {
    char *file;   /* owned */
    int line;     /* 1-based; 0 when unknown */
    int col;      /* 1-based; 0 when unknown */
    char *msg;    /* owned, no trailing newline */
    int warning;  /* 1: a warning (the spec still loads), 0: an error */
};

/** Start as {0, 0, NULL}; free with cl_diags_free. */
struct cl_diags {
    size_t n, cap;
    struct cl_diag *v;
};

/** Appends one diagnostic (file NULL: "<spec>"); the strings are copied.
 *  Out of memory: says so on stderr and drops it. */
void cl_diags_add(struct cl_diags *d, const char *file, int line, int col,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void cl_diags_vadd(struct cl_diags *d, const char *file, int line, int col,
                   const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));
/** The same as a warning: printed as "warning:", not counted by
 *  cl_diags_errors, so a spec with only warnings still loads. */
void cl_diags_warn(struct cl_diags *d, const char *file, int line, int col,
                   const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** How many of d's diagnostics from index `from` on are errors. */
size_t cl_diags_errors(const struct cl_diags *d, size_t from);
/** Prints one "file:line:col: error: msg" (or "warning: msg") line per
 *  diagnostic. */
void cl_diags_print(FILE *out, const struct cl_diags *d);
/** Frees every diagnostic and leaves d empty. */
void cl_diags_free(struct cl_diags *d);

#endif

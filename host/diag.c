/* diag.c — see diag.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "diag.h"

#include <stdlib.h>
#include <string.h>

void cl_diags_vadd(struct cl_diags *d, const char *file, int line, int col,
                   const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    char *f = strdup(file ? file : "<spec>");
    if (msg && f && d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        struct cl_diag *v = realloc(d->v, cap * sizeof *v);
        if (v) {
            d->v = v;
            d->cap = cap;
        }
    }
    if (!msg || !f || d->n == d->cap) {
        fprintf(stderr, "conlab: out of memory recording a diagnostic\n");
        free(msg);
        free(f);
        return;
    }
    d->v[d->n++] = (struct cl_diag){f, line, col, msg};
}

void cl_diags_add(struct cl_diags *d, const char *file, int line, int col,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_diags_vadd(d, file, line, col, fmt, ap);
    va_end(ap);
}

void cl_diags_print(FILE *out, const struct cl_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct cl_diag *g = &d->v[i];
        if (g->line > 0 && g->col > 0)
            fprintf(out, "%s:%d:%d: error: %s\n", g->file, g->line, g->col,
                    g->msg);
        else if (g->line > 0)
            fprintf(out, "%s:%d: error: %s\n", g->file, g->line, g->msg);
        else
            fprintf(out, "%s: error: %s\n", g->file, g->msg);
    }
}

void cl_diags_free(struct cl_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    d->n = d->cap = 0;
    d->v = NULL;
}

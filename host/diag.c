/* diag.c — see diag.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "diag.h"

#include <stdlib.h>
#include <string.h>

static void diags_push(struct cl_diags *d, const char *file, int line,
                       int col, int warning, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
static void diags_push(struct cl_diags *d, const char *file, int line,
                       int col, int warning, const char *fmt, va_list ap)
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
    d->v[d->n++] = (struct cl_diag){f, line, col, msg, warning};
}

void cl_diags_vadd(struct cl_diags *d, const char *file, int line, int col,
                   const char *fmt, va_list ap)
{
    diags_push(d, file, line, col, 0, fmt, ap);
}

void cl_diags_warn(struct cl_diags *d, const char *file, int line, int col,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    diags_push(d, file, line, col, 1, fmt, ap);
    va_end(ap);
}

size_t cl_diags_errors(const struct cl_diags *d, size_t from)
{
    size_t n = 0;
    for (size_t i = from; i < d->n; i++)
        n += !d->v[i].warning;
    return n;
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
        const char *what = g->warning ? "warning" : "error";
        if (g->line > 0 && g->col > 0)
            fprintf(out, "%s:%d:%d: %s: %s\n", g->file, g->line, g->col,
                    what, g->msg);
        else if (g->line > 0)
            fprintf(out, "%s:%d: %s: %s\n", g->file, g->line, what, g->msg);
        else
            fprintf(out, "%s: %s: %s\n", g->file, what, g->msg);
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

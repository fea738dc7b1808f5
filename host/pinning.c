/* pinning.c — see pinning.h. */
#include "pinning.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CL_PINNING_NAME_(e, name) [e] = name,
const char *const cl_pinning_names[] = {CL_PINNING_KINDS(CL_PINNING_NAME_)};
#undef CL_PINNING_NAME_

/* Every kind but CL_PIN_LIST, the last, is written by its name. */
_Static_assert(CL_PIN_LIST + 1 ==
                   sizeof cl_pinning_names / sizeof cl_pinning_names[0],
               "CL_PIN_LIST must be the last pinning kind");
const size_t cl_pinning_n_names = CL_PIN_LIST;

const char *cl_pinning_kind_name(enum cl_pinning_kind kind)
{
    return (unsigned)kind <= CL_PIN_LIST ? cl_pinning_names[kind] : "?";
}

int cl_pinning_kind_parse(const char *name, enum cl_pinning_kind *kind)
{
    for (size_t i = 0; i < cl_pinning_n_names; i++)
        if (strcmp(name, cl_pinning_names[i]) == 0) {
            *kind = (enum cl_pinning_kind)i;
            return 0;
        }
    return -1;
}

static int parse_uint(const char **s, long *out)
{
    char *end;
    if (**s < '0' || **s > '9')
        return -1;
    errno = 0;
    long v = strtol(*s, &end, 10);
    if (errno || v > INT_MAX)
        return -1;
    *out = v;
    *s = end;
    return 0;
}

int cl_pinning_parse(const char *text, struct cl_pinning *pin, char *err,
                     size_t errlen)
{
    *pin = (struct cl_pinning){ CL_PIN_NONE, 0, NULL };
    if (cl_pinning_kind_parse(text, &pin->kind) == 0)
        return 0;
    size_t n = 0;
    int *cpus = NULL;
    const char *s = text;
    for (;;) {
        long a, b;
        while (*s == ' ')
            s++;
        if (parse_uint(&s, &a) != 0)
            goto bad;
        b = a;
        if (*s == '-') {
            s++;
            if (parse_uint(&s, &b) != 0 || b < a)
                goto bad;
        }
        if ((size_t)(b - a) >= CL_MAX_PIN_LIST - n) {
            snprintf(err, errlen, "pinning list \"%s\" is too long (at most %d "
                   "PUs)", text, CL_MAX_PIN_LIST);
            free(cpus);
            return -1;
        }
        int *grown = realloc(cpus, (n + (size_t)(b - a) + 1) * sizeof *cpus);
        if (!grown) {
            snprintf(err, errlen, "out of memory");
            free(cpus);
            return -1;
        }
        cpus = grown;
        for (long v = a; v <= b; v++)
            cpus[n++] = (int)v;
        while (*s == ' ')
            s++;
        if (*s == '\0')
            break;
        if (*s++ != ',')
            goto bad;
    }
    pin->kind = CL_PIN_LIST;
    pin->n = n;
    pin->cpus = cpus;
    return 0;
bad:
    free(cpus);
    snprintf(err, errlen, "invalid pinning \"%s\": expected none, compact, "
           "scatter, or a list of PU numbers such as 0,2,4 or 0-3,8", text);
    return -1;
}

const char *cl_pinning_text(const struct cl_pinning *p, char *buf, size_t len)
{
    if (p->kind != CL_PIN_LIST)
        return cl_pinning_kind_name(p->kind);
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < p->n && off + 12 < len; i++)
        off += (size_t)snprintf(buf + off, len - off, "%s%d", i ? ";" : "", p->cpus[i]);
    return buf;
}

/* params.h — plugin parameters: the check of a plugin's parameter table,
 * parsing a spec's values against it (one value at a time; sweeps are the
 * spec loader's), storing them into the plugin's config struct, defaults,
 * and the duration and size syntaxes.  Host-private. */
#ifndef CONLAB_HOST_PARAMS_H
#define CONLAB_HOST_PARAMS_H

#include <stddef.h>
#include <stdint.h>

#include <conlab/conlab_plugin.h>

#include "arena.h"

struct cl_node; /* yamltree.h */

#define CL_MAX_PARAMS 256 /* entries in one parameter table */

/** ABI 1.0's sizeof(struct conlab_param): the stride of a table whose
 *  descriptor says param_size 0 (a 1.0 plugin, or one that left it out). */
#define CL_PARAM_SIZE_1_0                                                      \
    (offsetof(struct conlab_param, offset) + sizeof(size_t))

/** The stride p's parameter table is walked with: p->param_size, or
 *  CL_PARAM_SIZE_1_0 when it is 0 (since ABI 1.1; cl_params_check refuses a
 *  stride that is too small or misaligned). */
size_t cl_param_stride(const struct conlab_plugin *p);

/** Entry i of p's parameter table, at i * cl_param_stride(p): borrowed from
 *  the plugin.  Only the members of struct conlab_param up to the stride are
 *  the plugin's; callers stop at the entry whose name is NULL. */
const struct conlab_param *cl_param_at(const struct conlab_plugin *p, size_t i);

/** Check a plugin's parameter table, the one rule set the registry (at
 *  load) and the spec loader apply: a stride (param_size) of 0 or at least
 *  CL_PARAM_SIZE_1_0 and a multiple of the struct's alignment, at most
 *  CL_MAX_PARAMS entries, names
 *  [a-z0-9_-]{1,64} declared once and not reserved by the host ("plugin",
 *  "tasks"), known types, offsets that fit config_size, choices for enums.
 *  0, or -1 with a message (no plugin name or path in it) in err. */
int cl_params_check(const struct conlab_plugin *p, char *err, size_t errlen);

/** Fill a config struct with every parameter's default (for `conlab check`
 *  and tests): *config (free with cl_params_free) points into *arena.
 *  Returns 0, or -1 with a message in err. */
int cl_params_defaults(const struct conlab_plugin *p, void **config,
                       void **arena, char *err, size_t errlen);
void cl_params_free(void *config, void *arena); /* accepts NULLs */

/** Durations: "250ms", "1.5s", "2m", "100us", "10ns", "1h", or a bare number
 *  of seconds.  Returns 0 and seconds in *out, or -1. */
int cl_parse_duration(const char *text, double *out);

/** Sizes: "512MiB", "2GiB", "1PiB", "100MB", "4096" (bytes), "1.5G".
 *  Returns 0 and bytes in *out, or -1 (not a size, or past UINT64_MAX). */
int cl_parse_size(const char *text, uint64_t *out);

/* ---- one value of one parameter (for the spec loader) -------------------- */

enum { CL_PV_OK = 0, CL_PV_INVALID = -1, CL_PV_NOMEM = -2 };

/** One parsed value of one parameter (not a sweep), in a scratch arena. */
struct cl_pval {
    enum conlab_param_type type;
    int64_t i;           /* INT */
    double d;            /* DOUBLE, DURATION (seconds) */
    int b;               /* BOOL */
    const char *s;       /* STRING, ENUM */
    size_t n;            /* INT_LIST, STRING_LIST */
    const int64_t *iv;   /* INT_LIST */
    const char **sv;     /* STRING_LIST */
    const char *text;    /* normalised: "20", "0.25", "true", "34;30" */
};

/** 1 for INT_LIST and STRING_LIST. */
int cl_param_type_is_list(enum conlab_param_type t);

/** Parse node `n` (a scalar, or a sequence for list types) as one value of
 *  `p`.  On CL_PV_INVALID, `err` gets the message to put after the name,
 *  ("expects an integer, got 'x'" or "= 0 is out of range [1, 10]") and
 *  *where the node at fault.  Besides type and range: a STRING or
 *  STRING_LIST parameter named "url" or "urls" holds URLs (cl_url_check),
 *  and a list of them may not be empty.  Strings and arrays of *out live in
 *  `a`. */
int cl_pval_parse(const struct conlab_param *p, const struct cl_node *n,
                  struct cl_arena *a, struct cl_pval *out,
                  const struct cl_node **where, char *err, size_t errlen);

/** Parse p->def (which must not be NULL).  CL_PV_INVALID with a complete
 *  message in err when the default is broken (a plugin bug). */
int cl_pval_default(const struct conlab_param *p, struct cl_arena *a,
                    struct cl_pval *out, char *err, size_t errlen);

/** Store `v` into config + p->offset; strings and arrays are copied into
 *  `a`, which must outlive the config.  CL_PV_OK or CL_PV_NOMEM. */
int cl_pval_store(const struct conlab_param *p, const struct cl_pval *v,
                  void *config, struct cl_arena *a);

/** A URL the http workload can fetch: "http://HOST..." or "https://HOST..."
 *  (scheme in any case), or "builtin:/PATH" (a route of the host's built-in
 *  server); no spaces or control characters (CR, LF, ...).  0, or -1 with
 *  why ("scheme 'file' is not http, https or builtin") in err. */
int cl_url_check(const char *url, char *err, size_t errlen);

#endif

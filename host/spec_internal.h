/* spec_internal.h — what spec.c and params.c share: a bump arena, the YAML
 * node tree, and parsed parameter values.  Private to those two files. */
#ifndef CONLAB_HOST_SPEC_INTERNAL_H
#define CONLAB_HOST_SPEC_INTERNAL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "spec.h"

/* ---- arena: many small allocations, freed at once ------------------------ */

struct cl_arena;

struct cl_arena *cl_arena_new(void);         /* NULL when out of memory */
void cl_arena_free(struct cl_arena *a);      /* accepts NULL */
void *cl_arena_alloc(struct cl_arena *a, size_t size); /* zeroed; NULL: OOM */
char *cl_arena_strndup(struct cl_arena *a, const char *s, size_t n);
char *cl_arena_strdup(struct cl_arena *a, const char *s);

/* ---- diagnostics --------------------------------------------------------- */

void cl_diags_vadd(struct cl_diags *d, const char *file, int line, int col,
                   const char *fmt, va_list ap)
    __attribute__((format(printf, 5, 0)));

/* ---- the YAML node tree (every node keeps its 1-based line and column) --- */

enum cl_node_kind { CL_NODE_SCALAR, CL_NODE_SEQ, CL_NODE_MAP };

struct cl_node {
    enum cl_node_kind kind;
    int line, col;
    const char *text;      /* SCALAR: the value, NUL-terminated */
    int plain;             /* SCALAR: written without quotes */
    size_t n;              /* SEQ: items; MAP: keys */
    struct cl_node *first; /* SEQ: first item; MAP: first key */
    struct cl_node *last;
    struct cl_node *next;  /* the next item or key of the parent */
    struct cl_node *value; /* a MAP key's value */
};

/** 1 for an absent value: a plain "", "~", "null", "Null" or "NULL". */
int cl_node_is_null(const struct cl_node *n);
/** "a list", "a mapping", "no value" or "'text'", for messages. */
const char *cl_node_describe(const struct cl_node *n, char *buf, size_t len);
/** The value of key `key` in mapping `map`, or NULL; the key via *key_out. */
const struct cl_node *cl_node_get(const struct cl_node *map, const char *key,
                                  const struct cl_node **key_out);

/** Parse one YAML document into a tree allocated in `a`.  Problems go to `d`
 *  as "file:line:col: message".  Returns 0 with *root (NULL when the stream
 *  holds no document) when the tree is usable (it may still have had
 *  harmless problems such as duplicate keys, which are dropped), or -1 when
 *  it is not (syntax error, alias, nesting too deep, out of memory). */
int cl_yaml_parse(const char *file, const char *text, size_t len,
                  struct cl_arena *a, struct cl_diags *d,
                  struct cl_node **root);

/* ---- parameter values ---------------------------------------------------- */

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

int cl_param_type_is_list(enum conlab_param_type t);

/** Parse node `n` (a scalar, or a sequence for list types) as one value of
 *  `p`.  On CL_PV_INVALID, `err` gets the message to put after the name,
 *  ("expects an integer, got 'x'" or "= 0 is out of range [1, 10]") and
 *  *where the node at fault. */
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

/** Check a plugin's parameter table: known types, offsets that fit
 *  config_size, choices for enums, no duplicate or reserved names
 *  ("plugin"; "tasks" for workloads).  0, or -1 with a message. */
int cl_params_check(const struct conlab_plugin *p, char *err, size_t errlen);

#endif

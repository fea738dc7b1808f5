/* spec_internal.h — what the two halves of the spec loader share: the
 * loader's state and its reporting helpers.  spec.c reads the document and
 * its top-level keys; spec_entry.c turns each strategies/workloads entry into
 * variants.  Private to those two files. */
#ifndef CONLAB_HOST_SPEC_INTERNAL_H
#define CONLAB_HOST_SPEC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "params.h"
#include "spec.h"
#include "yamltree.h"

#define CL_MAX_VARIANTS 10000 /* per strategies/workloads list */

/* Top-level scalars, validated with the same code as plugin parameters. */
struct cl_top_values {
    int64_t repeat, warmup;
    double timeout;
    int record_tasks;
    int calibrate;
    uint64_t seed;   /* its own parser: all of uint64_t */
    uint64_t memory; /* its own parser: a size; 0 = no limit */
};

/* A growing array of variants, stored straight into the spec. */
struct cl_vlist {
    struct cl_variant **v;
    size_t *n;
    size_t cap;
};

struct cl_loader {
    const char *file;
    struct cl_diags *d;
    struct cl_arena *tmp; /* the tree and parsed values */
    const struct cl_plugin_lookup *lk; /* NULL: plugins are not loaded */
    struct cl_spec *spec;
    struct cl_top_values top;
    size_t errors;
    int oom;
    const struct cl_node *strategies_key, *workloads_key; /* when seen */
    struct cl_vlist strategies, workloads; /* into spec->strategies, ... */
};

/** Report "<file>:<n's line>:<n's col>: message" (n NULL: no position) and
 *  count it as an error. */
void cl_ld_err(struct cl_loader *L, const struct cl_node *n,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** "a, b, c" in the scratch arena ("" and L->oom when out of memory). */
const char *cl_ld_join(struct cl_loader *L, const char *const *v,
                           size_t n);
/** Parse one non-sweep value of `p` into *out (in L->tmp); on a bad value
 *  reports "<prefix> <problem>" at the node at fault.  A CL_PV_ code. */
int cl_ld_value(struct cl_loader *L, const struct conlab_param *p,
                    const struct cl_node *n, struct cl_pval *out,
                    const char *prefix);
/** "strategy" or "workload". */
const char *cl_ld_kind_word(enum conlab_kind k);

/** The top-level key `strategies:` or `workloads:` (key) with its value:
 *  every entry checked, and (plugins loaded) its sweep expanded into the
 *  spec's variants. */
void cl_ld_list(struct cl_loader *L, const struct cl_node *key,
                    const struct cl_node *val);
/** Frees what a variant owns and zeroes it. */
void cl_variant_free(struct cl_variant *v);

#endif

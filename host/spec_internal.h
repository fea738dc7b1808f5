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

/* A growing array of indices (into the spec's strategies or workloads). */
struct cl_idx {
    size_t *v, n, cap;
};

/* A top-level (or a matrix block's) `zip:` key: strategies.NAME.PARAM or
 * workloads.NAME.PARAM with its list of values. */
struct cl_zipkey {
    enum conlab_kind kind;
    const char *plugin, *param;
    const struct cl_node *key, *vals;
};

/* One block of cells: the spec itself, or one item of `matrix:`. */
struct cl_block {
    const struct cl_node *node;
    struct cl_node *strategies, *workloads; /* the lists, NULL if absent */
    const struct cl_node *strategies_key, *workloads_key;
    const struct cl_node *zip, *exclude;    /* values, NULL if absent */
    struct cl_zipkey *zk;                   /* in the scratch arena */
    size_t n_zk;
    struct cl_idx s, w;                     /* its variants */
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
    const struct cl_spec_opts *opts;       /* NULL: no overrides */
    struct cl_block root;                  /* the spec's own lists and zip */
    const struct cl_node *matrix, *baseline, *exclude; /* values, or NULL */
    const struct cl_node *matrix_key, *zip_key;
    size_t n_blocks;
    struct cl_block *blocks;               /* &top, or matrix's items */
};

/* The host-level parameter every workload has. */
extern const struct conlab_param cl_ld_tasks_param;

/** Report "<file>:<n's line>:<n's col>: message" (n NULL: no position; the
 *  file is n's src, e.g. "--set KEY", when it has one) and count it as an
 *  error. */
void cl_ld_err(struct cl_loader *L, const struct cl_node *n,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** The same as a warning: not counted, the spec still loads. */
void cl_ld_warn(struct cl_loader *L, const struct cl_node *n,
                const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/** " (did you mean 'x'?)" or "", in the scratch arena. */
const char *cl_ld_did_you_mean(struct cl_loader *L, const char *word,
                               const char *const *cands, size_t n);
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

/** A `strategies:` or `workloads:` list (key) with its value: every entry
 *  checked, and (plugins loaded) its sweep expanded into the spec's
 *  variants, their indices appended to *out (a variant already made by an
 *  earlier matrix block is shared). */
void cl_ld_list(struct cl_loader *L, const struct cl_node *key,
                const struct cl_node *val, struct cl_idx *out);
/** Append i to *x; 0, or -1 (out of memory: L->oom). */
int cl_idx_push(struct cl_loader *L, struct cl_idx *x, size_t i);

/* ---- spec_tree.c: the tree before it is read ---- */

/** Apply L->opts' overrides to root (a mapping), then every block's `zip:`
 *  keys to its lists (the values become the sweep, filled into blk->zk).
 *  Problems are reported. */
void cl_ld_overrides(struct cl_loader *L, struct cl_node *root);
/** Read blk->zip into blk->zk and put each key's values into blk's lists
 *  as that parameter's sweep. */
void cl_ld_block_zip(struct cl_loader *L, struct cl_block *blk);

/* ---- spec_cells.c: the cells ---- */

/** Pairs of every block (zip and exclude applied), then the baseline.
 *  Into L->spec. */
void cl_ld_cells(struct cl_loader *L);
/** 1 when variant v's parameter `name` has the value written in n, 0 when
 *  not (or n is no valid value of it), -1 when v has no such parameter. */
int cl_ld_param_is(struct cl_loader *L, const struct cl_variant *v,
                   const char *name, const struct cl_node *n);
/** Frees what a variant owns and zeroes it. */
void cl_variant_free(struct cl_variant *v);

#endif

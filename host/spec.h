/* spec.h — the YAML experiment spec: load, validate against plugin
 * descriptors, expand sweeps into variants.  Host-private. */
#ifndef CONLAB_HOST_SPEC_H
#define CONLAB_HOST_SPEC_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <conlab/conlab_plugin.h>

#include "diag.h"
#include "pinning.h"

/* ---- limits ---------------------------------------------------------------- */

#define CL_MAX_SPEC_BYTES (16u << 20) /* a spec file: 16 MiB */
#define CL_MAX_CELLS 100000 /* strategy x workload variants per experiment */

/* ---- plugin lookup, supplied by the caller (the registry, or a test) ---- */

struct cl_plugin_lookup {
    /** The descriptor of plugin `name` of `kind`, or, when `path` is not
     *  NULL, of the plugin file at `path` (then `name` may be NULL).  On
     *  failure returns NULL and writes a one-line reason into err. */
    const struct conlab_plugin *(*find)(void *ctx, enum conlab_kind kind,
                                        const char *name, const char *path,
                                        char *err, size_t errlen);
    /** Up to `max` names of known plugins of `kind` (borrowed strings), for
     *  "did you mean" and "known: ..." messages.  Returns how many. */
    size_t (*names)(void *ctx, enum conlab_kind kind, const char **out,
                    size_t max);
    void *ctx;
};

/* ---- the loaded spec ----------------------------------------------------- */

/** One parameter of one variant, as text for CSV columns and labels. */
struct cl_param_text {
    const char *name;  /* borrowed from the descriptor */
    char *value;       /* owned: normalised text ("20", "0.25", "34;30") */
    int explicit_;     /* 1 if the spec gave it, 0 if it is the default */
};

/** One strategy or workload variant: a plugin plus one point of its sweep. */
struct cl_variant {
    const struct conlab_plugin *plugin; /* borrowed from the lookup */
    char *plugin_path;  /* owned; non-NULL when named by `plugin: PATH` */
    char *label;        /* owned: the user's label when given, else
                           "threads(workers=20)", "fib(tasks=20,n=34;30)",
                           only the parameters the spec gave; "sequential" */
    char *user_label;   /* owned: the spec's `label:`, or NULL */
    int is_baseline;    /* strategies: 1 for the spec's baseline variant */
    void *config;       /* owned: plugin->config_size bytes, filled */
    size_t n_params;
    struct cl_param_text *params; /* every declared param, defaults included */
    uint64_t tasks;     /* workloads: the host-level `tasks` parameter */
    int line, col;      /* where the variant's entry is in the spec */
    void *arena_;       /* private: strings/lists the config points into */
};

/** One cell of the experiment: indices into strategies[] and workloads[]. */
struct cl_spec_pair {
    size_t strategy, workload;
};

/** What is applied to a spec besides its text: `--set KEY=VALUE`
 *  overrides (KEY a path such as workloads.sleep.tasks or repeat, VALUE
 *  YAML), applied to the parsed tree before it is validated.  `sets` is
 *  borrowed, or built by cl_spec_opts_add (then freed by cl_spec_opts_free). */
struct cl_spec_opts {
    const char *const *sets;
    size_t n_sets;
    char **owned_; /* private: what cl_spec_opts_add copied */
    size_t cap_;
};

struct cl_spec {
    char *path;         /* owned: the file as given, or "<builtin>/seeds.yaml" */
    char *text;         /* owned: the spec exactly as read */
    size_t text_len;
    char *experiment;   /* owned; [A-Za-z0-9._-]+ only */
    char *description;  /* owned, may be NULL */
    int repeat;         /* >= 1, default 5 */
    int warmup;         /* >= 0, default 1 */
    double timeout_s;   /* > 0, default 300 */
    uint64_t seed;      /* default 42 */
    int record_tasks;   /* default 0 */
    int calibrate;      /* default 0: measure the machine's floors first */
    uint64_t memory_bytes; /* per-cell peak RSS limit; 0 = none (default) */
    struct cl_pinning pinning; /* default none */
    int pinning_line, pinning_col;
    size_t n_strategies;
    struct cl_variant *strategies; /* in spec order, sweeps expanded */
    size_t n_workloads;
    struct cl_variant *workloads;
    size_t n_pairs;
    struct cl_spec_pair *pairs; /* the cells in run order: workload-major per
                                   block, blocks in order, zip/exclude applied */
    size_t baseline;    /* index into strategies, SIZE_MAX when none */
    size_t n_overrides;
    char **overrides;   /* owned: the --set KEY=VALUE texts applied, in order */
};

/** Parse and validate.  On success returns 0 and *out; on failure returns -1,
 *  leaves *out NULL and puts every problem found in diags (the caller frees
 *  them with cl_diags_free).  Nothing is run or loaded beyond lookups (which
 *  may dlopen plugins).  `lk` NULL: no plugin is looked up; entries are
 *  checked for shape and name spelling only, their parameters are not, and
 *  the spec has no variants (n_strategies and n_workloads are 0). */
int cl_spec_load_file(const char *path, const struct cl_plugin_lookup *lk,
                      struct cl_spec **out, struct cl_diags *diags);
int cl_spec_load_string(const char *name, const char *text, size_t len,
                        const struct cl_plugin_lookup *lk,
                        struct cl_spec **out, struct cl_diags *diags);
/** The same with overrides (opts NULL: none).  Warnings (an exclude that
 *  matches no cell, a cell repeated across matrix blocks) are added to
 *  diags with .warning set and do not fail the load. */
int cl_spec_load_string_opts(const char *name, const char *text, size_t len,
                             const struct cl_plugin_lookup *lk,
                             const struct cl_spec_opts *opts,
                             struct cl_spec **out, struct cl_diags *diags);
int cl_spec_load_file_opts(const char *path, const struct cl_plugin_lookup *lk,
                           const struct cl_spec_opts *opts,
                           struct cl_spec **out, struct cl_diags *diags);
void cl_spec_free(struct cl_spec *spec); /* accepts NULL */

/** Append a copy of "KEY=VALUE" to o's overrides (what `--set` and, with
 *  "repeat=N" / "warmup=N", `-r` / `-w` do).  Exits on out of memory. */
void cl_spec_opts_add(struct cl_spec_opts *o, const char *key_eq_value);
/** Free what cl_spec_opts_add copied and empty o. */
void cl_spec_opts_free(struct cl_spec_opts *o);

#endif

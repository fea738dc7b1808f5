/* spec.h — the YAML experiment spec: load, validate against plugin
 * descriptors, expand sweeps into variants.  Host-private. */
#ifndef CONLAB_HOST_SPEC_H
#define CONLAB_HOST_SPEC_H

#include <stdio.h>
#include <stddef.h>
#include <stdint.h>

#include <conlab/conlab_plugin.h>

/* ---- diagnostics: "file:line:col: message" ------------------------------ */

struct cl_diag {
    char *file;   /* owned */
    int line;     /* 1-based; 0 when unknown */
    int col;      /* 1-based; 0 when unknown */
    char *msg;    /* owned, no trailing newline */
};

struct cl_diags {
    size_t n, cap;
    struct cl_diag *v;
};

void cl_diags_add(struct cl_diags *d, const char *file, int line, int col,
                  const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/** Prints one "file:line:col: error: msg" line per diagnostic. */
void cl_diags_print(FILE *out, const struct cl_diags *d);
void cl_diags_free(struct cl_diags *d);

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

enum cl_pinning_kind { CL_PIN_NONE, CL_PIN_COMPACT, CL_PIN_SCATTER, CL_PIN_LIST };

struct cl_pinning {
    enum cl_pinning_kind kind;
    size_t n;  /* CL_PIN_LIST: number of entries */
    int *cpus; /* CL_PIN_LIST: OS indices of PUs; worker i -> cpus[i % n] */
};

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
    char *label;        /* owned: "threads(workers=20)", "fib(tasks=20,n=34;30)",
                           only the parameters the spec gave; "sequential" */
    void *config;       /* owned: plugin->config_size bytes, filled */
    size_t n_params;
    struct cl_param_text *params; /* every declared param, defaults included */
    uint64_t tasks;     /* workloads: the host-level `tasks` parameter */
    int line, col;      /* where the variant's entry is in the spec */
    void *arena_;       /* private: strings/lists the config points into */
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
    uint64_t memory_bytes; /* per-cell peak RSS limit; 0 = none (default) */
    struct cl_pinning pinning; /* default none */
    int pinning_line, pinning_col;
    size_t n_strategies;
    struct cl_variant *strategies; /* in spec order, sweeps expanded */
    size_t n_workloads;
    struct cl_variant *workloads;
};

/** Parse and validate.  On success returns 0 and *out; on failure returns -1,
 *  leaves *out NULL and puts every problem found in diags (the caller frees
 *  them with cl_diags_free).  Nothing is run or loaded beyond lookups. */
int cl_spec_load_file(const char *path, const struct cl_plugin_lookup *lk,
                      struct cl_spec **out, struct cl_diags *diags);
int cl_spec_load_string(const char *name, const char *text, size_t len,
                        const struct cl_plugin_lookup *lk,
                        struct cl_spec **out, struct cl_diags *diags);
void cl_spec_free(struct cl_spec *spec); /* accepts NULL */

/** Fill a config struct with every parameter's default (for `conlab check`
 *  and tests).  Returns 0, or -1 with a message in err. */
int cl_params_defaults(const struct conlab_plugin *p, void **config,
                       void **arena, char *err, size_t errlen);
void cl_params_free(void *config, void *arena);

/** Durations: "250ms", "1.5s", "2m", "100us", "10ns", "1h", or a bare number
 *  of seconds.  Returns 0 and seconds in *out, or -1. */
int cl_parse_duration(const char *text, double *out);

/** Sizes: "512MiB", "2GiB", "100MB", "4096" (bytes), "1.5G".  0 or -1. */
int cl_parse_size(const char *text, uint64_t *out);

/** Edit distance (Damerau-Levenshtein, optimal string alignment). */
size_t cl_edit_distance(const char *a, const char *b);
/** The candidate nearest to `word` if it is close enough to suggest, else NULL. */
const char *cl_suggest(const char *word, const char *const *cands, size_t n);

#endif

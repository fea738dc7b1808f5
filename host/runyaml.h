/* runyaml.h — run.yaml, what a run directory says besides its results: the
 * one writer (a run's; `conlab merge` adds its own keys through the pieces
 * below) and the one reader.  Host-private. */
#ifndef CONLAB_HOST_RUNYAML_H
#define CONLAB_HOST_RUNYAML_H

#include <stddef.h>

#include "calibrate.h"
#include "facts.h"
#include "pluginrec.h"
#include "spec.h"
#include "yamlio.h"

/* What run.yaml says besides the spec. */
struct cl_meta {
    int argc;
    char **argv;           /* the command line */
    double started, finished; /* wall clock; finished 0 while running */
    size_t n_cells;        /* cells in this run (this shard) */
    const char *topology;  /* cl_topo_summary() */
    unsigned shard, shards; /* --shard I/N, or 0/0 */
    const struct cl_host_facts *facts; /* load, governor, VM; may be NULL */
    int pinning_possible;  /* 1, 0, or -1 (pinning none: not asked) */
    const char *pinning_note;
    const struct cl_plugin_rec *plugins; /* `plugins:`; may be NULL */
    size_t n_plugins;
    const struct cl_floors *floors; /* `floors:` (run --calibrate); may be NULL */
};

/** Write DIR/run.yaml of a run atomically; `state` is "running",
 *  "complete", "interrupted".  0, or -1 with errno (nothing replaced). */
int cl_runyaml_write(const char *dir, const struct cl_spec *spec,
                     const char *state, const struct cl_meta *meta);

/* ---- the pieces, in the order run.yaml has them ----------------------------- */

/** `conlab:` the version and plugin ABI; with `build`, the compiler and
 *  library versions too. */
void cl_runyaml_conlab(struct cl_yout *y, int build);
/** `command_line:` [prefix (when not NULL), argv... with URL passwords
 *  masked] and `cwd:`. */
void cl_runyaml_command(struct cl_yout *y, const char *prefix, int argc,
                        char **argv);
/** spec_path, spec_hash (cl_spec_hash: of the text with URL passwords
 *  masked), seed, repeat, warmup, timeout_s, pinning, and `overrides:` (the
 *  --set KEY=VALUE list) when there are any. */
void cl_runyaml_spec(struct cl_yout *y, const struct cl_spec *spec);
/** `floors:` a mapping of cl_floors_each's keys to their values, in
 *  nanoseconds (K, K.p10, K.p90) or a count (K.samples); a floor that was
 *  not measured is `K: n/a`. */
void cl_runyaml_floors(struct cl_yout *y, const struct cl_floors *f);
/** `plugins:` a list of {name, kind, path, abi, version (when the plugin
 *  has one), sha256}. */
void cl_runyaml_plugins(struct cl_yout *y, const struct cl_plugin_rec *v,
                        size_t n);
/** The last key: `spec:` the spec text as a literal block, with the
 *  password of every URL in it masked (cl_neutral_url), and then, just
 *  before it, `spec_masked: true` (the text is not the spec as read;
 *  spec_hash, of the masked text, still matches it). */
void cl_runyaml_spec_text(struct cl_yout *y, const struct cl_spec *spec);

/* ---- reading ------------------------------------------------------------------ */

/* run.yaml read back.  Strings are borrowed from `doc` (NULL when absent);
 * numbers are -1 (NAN for doubles) when absent. */
struct cl_runinfo {
    struct cl_ydoc doc;    /* the whole document, for anything else */
    const char *experiment, *state, *started, *finished, *spec_hash, *spec_path,
        *spec, *cwd, *version, *pinning, *pinning_note;
    /* host facts: under `host:` (or, from older runs, at the top level) */
    const char *hostname, *cpu, *topology, *governor, *hypervisor;
    long online_cpus, cells;
    int warmup, repeat;
    int virtualized, pinning_possible; /* 1, 0, -1 */
    double loadavg_1m, elapsed_s;
    unsigned shard, shards; /* `shard: I/N`; 0/0 when absent */
    int spec_masked;        /* 1: `spec` had URL passwords masked */
    int has_floors;         /* 1: run.yaml has `floors:` (then in floors) */
    struct cl_floors floors; /* cl_floors_init, then what `floors:` says */
};

/** Read DIR/run.yaml.  0, or -1 with a message in err and errno (ENOENT:
 *  there is none; EINVAL: not YAML, or not a mapping).  Free with
 *  cl_runinfo_free, also after a failure. */
int cl_runyaml_read(const char *dir, struct cl_runinfo *ri, char *err,
                    size_t errlen);
void cl_runinfo_free(struct cl_runinfo *ri);
/** The sha256 run.yaml's `plugins:` records for the plugin `name` of
 *  `kind` (borrowed from ri), or NULL when it records none. */
const char *cl_runyaml_plugin_sha256(struct cl_runinfo *ri, const char *kind,
                                     const char *name);
/** The plugin names the spec text in run.yaml lists under `key`
 *  ("strategies", "workloads"): each item's scalar, or its mapping's first
 *  key.  0 with *names (the caller frees each and the array) and *n; -1
 *  (nothing allocated) when run.yaml has no spec text, it is not YAML, or
 *  it has no such list. */
int cl_runyaml_spec_plugins(const struct cl_runinfo *ri, const char *key,
                            char ***names, size_t *n);

#endif

/* merge.h — `conlab merge DIR`: one run out of the shard directories
 * DIR/shard-* that `conlab run --shard I/N` wrote (by hand or as a Slurm
 * job array), and the small pieces `conlab slurm` and `conlab status` share
 * with it: reading a shard directory's state, loading a spec, and reading
 * and writing YAML through libyaml.  Host-private. */
#ifndef CONLAB_HOST_MERGE_H
#define CONLAB_HOST_MERGE_H

#include <stddef.h>
#include <stdio.h>

#include <yaml.h>

#include "registry.h"
#include "spec.h"

int cl_cmd_merge(int argc, char **argv);

/* ---- YAML in ------------------------------------------------------------- */

struct cl_ydoc {
    yaml_document_t doc;
    int loaded;
};

/** Parse the one document of the file at `path`.  0, or -1 with a message in
 *  err (errno is ENOENT when the file does not exist). */
int cl_ydoc_load(struct cl_ydoc *d, const char *path, char *err, size_t errlen);
void cl_ydoc_free(struct cl_ydoc *d); /* accepts a document never loaded */
/** The value of `key` in the mapping `map` (NULL: the document's root), or
 *  NULL. */
yaml_node_t *cl_ydoc_get(struct cl_ydoc *d, yaml_node_t *map, const char *key);
/** The same, when the value is a scalar: its text (borrowed), or NULL. */
const char *cl_ydoc_str(struct cl_ydoc *d, yaml_node_t *map, const char *key);

/* ---- YAML out: written to a temporary file, renamed into place ------------ */

struct cl_yout {
    yaml_emitter_t e;
    yaml_event_t ev;
    FILE *f;
    char *path, *tmp;
    int ok;
};

/** Start writing `path` (through path.tmp.PID) with one document holding a
 *  block mapping.  0, or -1 with errno. */
int cl_yout_open(struct cl_yout *y, const char *path);
void cl_yout_scalar(struct cl_yout *y, const char *s);
void cl_yout_literal(struct cl_yout *y, const char *s); /* a `|` block */
void cl_yout_kv(struct cl_yout *y, const char *key, const char *value);
void cl_yout_kvf(struct cl_yout *y, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_yout_map_start(struct cl_yout *y);
void cl_yout_map_end(struct cl_yout *y);
void cl_yout_seq_start(struct cl_yout *y, int flow);
void cl_yout_seq_end(struct cl_yout *y);
/** Emit a copy of `node` of document `d` (scalars, sequences, mappings). */
void cl_yout_node(struct cl_yout *y, struct cl_ydoc *d, yaml_node_t *node);
/** End the document, fsync, rename into place.  0, or -1 (nothing replaced). */
int cl_yout_close(struct cl_yout *y);

/* ---- shard directories ---------------------------------------------------- */

struct cl_shard {
    char *dir;             /* DIR/shard-<k> */
    long number;           /* k, or -1 when the name has no number */
    int exists;            /* the directory is there */
    int has_run;           /* run.yaml read */
    struct cl_ydoc run;    /* run.yaml, when has_run */
    const char *state;     /* run.yaml `state` (borrowed), or NULL */
    const char *hash;      /* run.yaml `spec_hash` (borrowed), or NULL */
    unsigned shard, shards;/* run.yaml `shard: I/N`; 0/0 when absent */
    size_t cells;          /* run.yaml `cells`: how many this shard runs */
    size_t cells_done;     /* summary.csv rows not `interrupted` */
    char why[512];         /* when !has_run: why not */
};

/** Read what DIR (one shard's output directory) holds; never fails, a
 *  missing or unreadable run.yaml leaves has_run 0 and says why. */
void cl_shard_read(struct cl_shard *s, const char *dir, long number);
void cl_shard_free(struct cl_shard *s);
/** Every DIR/shard-* directory, in the order of their numbers.  0, or -1
 *  with a message (DIR unreadable). */
int cl_shards_scan(const char *dir, struct cl_shard **out, size_t *n,
                   char *err, size_t errlen);
/** 1 when the shard ran to its end: run.yaml says complete and every one of
 *  its cells finished. */
int cl_shard_done(const struct cl_shard *s);

/** "2024-05-01T12:00:00+0200" for a wall-clock time. */
void cl_iso_time(double t, char *buf, size_t len);

#endif

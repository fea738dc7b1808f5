/* yamlio.h — reading and writing YAML through libyaml: a loaded document
 * with lookups by key, and a writer that replaces its file atomically.  The
 * one emitter of run.yaml and slurm.yaml.  Host-private. */
#ifndef CONLAB_HOST_YAMLIO_H
#define CONLAB_HOST_YAMLIO_H

#include <stddef.h>
#include <stdio.h>

#include <yaml.h>

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
    int write_errno; /* why the file could not be written (ENOSPC, ...) */
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

#endif

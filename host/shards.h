/* shards.h — the shard directories of a sharded run, DIR/shard-<k>, each the
 * run directory of one `conlab run --shard I/N`: what each holds and whether
 * it is done (for `conlab merge`, `conlab slurm`, `conlab status`).
 * Host-private. */
#ifndef CONLAB_HOST_SHARDS_H
#define CONLAB_HOST_SHARDS_H

#include <stddef.h>

#include "runyaml.h"

struct cl_shard {
    char *dir;             /* DIR/shard-<k> */
    long number;           /* k, or -1 when the name has no number */
    int exists;            /* the directory is there */
    int has_run;           /* run.yaml read */
    struct cl_runinfo run; /* run.yaml, when has_run */
    const char *state;     /* run.yaml `state` (borrowed), or NULL */
    const char *hash;      /* run.yaml `spec_hash` (borrowed), or NULL */
    unsigned shard, shards;/* run.yaml `shard: I/N`; 0/0 when absent */
    size_t cells;          /* run.yaml `cells`: how many this shard runs */
    size_t cells_done;     /* cells results.csv finishes, as --resume
                              counts them (up to its first problem) */
    char why[512];         /* when !has_run: why not */
    char problem[600];     /* results.csv unreadable or not a run's:
                              "FILE:LINE: cell 'NAME': why"; else "" */
};

/** Read what DIR (one shard's output directory) holds; never fails, a
 *  missing or unreadable run.yaml leaves has_run 0 and says why. */
void cl_shard_read(struct cl_shard *s, const char *dir, long number);
void cl_shard_free(struct cl_shard *s);
/** Every DIR/shard-* directory, in the order of their numbers.  0, or -1
 *  with a message (DIR unreadable). */
int cl_shards_scan(const char *dir, struct cl_shard **out, size_t *n,
                   char *err, size_t errlen);
/** 1 when the shard ran to its end: run.yaml says complete, every one of
 *  its cells finished, and results.csv has no problem. */
int cl_shard_done(const struct cl_shard *s);

#endif

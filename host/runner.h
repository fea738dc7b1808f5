/* runner.h — running a loaded spec: every cell, every repetition, each in a
 * forked child of its own process group (one repetition: rep.h).
 * Host-private. */
#ifndef CONLAB_HOST_RUNNER_H
#define CONLAB_HOST_RUNNER_H

#include "cli.h"
#include "registry.h"
#include "spec.h"

struct cl_run_opts {
    const char *out_dir;  /* NULL: results/<experiment>/<timestamp> */
    int record_tasks;     /* --tasks (or the spec's record_tasks) */
    int calibrate;        /* --calibrate (or the spec's calibrate): floors in run.yaml */
    int quiet;
    int dry_run;          /* list the cells and stop */
    const char *resume;   /* --resume DIR: skip the cells DIR has finished */
    int force;            /* --force: resume even if the spec changed */
    unsigned shard, shards; /* --shard I/N: run cells with index % N == I-1 (1-based I);
                               0/0 = all cells */
    int argc;
    char **argv;          /* the command line, for run.yaml */
};

int cl_run(const struct cl_spec *spec, const struct cl_run_opts *o);


#endif

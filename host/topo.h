/* topo.h — topology (hwloc) and worker placement.  Host-private. */
#ifndef CONLAB_HOST_TOPO_H
#define CONLAB_HOST_TOPO_H

#include <stdio.h>
#include <stddef.h>

#include "pinning.h"

struct cl_topo; /* opaque: wraps an hwloc topology */

/* The largest topology conlab loads: hwloc builds a synthetic one in time
 * that grows faster than its size (16384 PUs: seconds; 65536: half a minute
 * or more), so inputs are refused before hwloc sees them. */
#define CL_TOPO_MAX_PUS 16384   /* PUs in all */
#define CL_TOPO_MAX_FANOUT 1024 /* children of one object, per level */

/** Load a topology.  `input` NULL: this machine.  Otherwise an hwloc
 *  synthetic description ("pack:2 numa:2 core:16 pu:2") or the path of an
 *  XML export (ends in ".xml").  Refused: more than CL_TOPO_MAX_PUS PUs, or
 *  (synthetic) a level count above CL_TOPO_MAX_FANOUT.  Returns 0, or -1
 *  with a message in err. */
int cl_topo_open(struct cl_topo **t, const char *input, char *err,
                 size_t errlen);
void cl_topo_close(struct cl_topo *t); /* accepts NULL */

/** 1 when the topology is this machine's (binding is possible). */
int cl_topo_is_this_system(const struct cl_topo *t);

/** 1 when threads can be bound here; *why says why not (or a caveat,
 *  e.g. a single allowed PU), else NULL.  Static strings. */
int cl_topo_can_bind(const struct cl_topo *t, const char **why);

/** Counts of packages, NUMA nodes, cores and PUs.  Only PUs this process
 *  may use (cgroup/cpuset/Slurm) and the cores holding them are counted; a
 *  topology without a Package level counts as 1 package, one without a Core
 *  level counts each PU as a core.  Any pointer may be NULL. */
void cl_topo_counts(const struct cl_topo *t, unsigned *packages,
                    unsigned *numa, unsigned *cores, unsigned *pus);

/** One line: "1 package, 1 NUMA node, 2 cores, 2 PUs (no SMT)".  Owned by
 *  the caller (free). */
char *cl_topo_summary(const struct cl_topo *t);

/** A placement: one cpuset per worker. */
struct cl_plan {
    unsigned n_workers;
    int pinned;     /* 0 for pinning none: bind is a no-op */
    int *pu;        /* per worker: OS index of the one PU it is bound to,
                       or -1 when not pinned */
    void *sets_;    /* private: one cpu_set_t per worker, for binding */
};

/** Plan `n_workers` workers under `pin`.
 *   compact: one PU of each core in core order (cores in package/NUMA order),
 *            then the second PU of each core, ...; wraps past the last PU.
 *   scatter: spread across packages, then NUMA nodes, then cores, as
 *            hwloc_distrib() does; SMT siblings only once every core has a
 *            worker; wraps.
 *   list:    worker i -> PU with OS index cpus[i % n]; an index the topology
 *            lacks, or this process may not use, is an error.
 *   none:    not pinned (pu[i] == -1).
 *  Only the PUs this process may use are planned on.  Returns 0, or -1 with
 *  a message in err. */
int cl_topo_plan(const struct cl_topo *t, const struct cl_pinning *pin,
                 unsigned n_workers, struct cl_plan **out, char *err,
                 size_t errlen);
void cl_plan_free(struct cl_plan *p); /* accepts NULL */

/** Bind the calling thread to worker w's PU.  0 on success (and when not
 *  pinned), -1 with errno on failure: EINVAL for w >= n_workers or a plan
 *  made for a synthetic/XML topology.  Async-signal-safe enough to call in
 *  a freshly forked child (no allocation); `t` may be NULL. */
int cl_plan_bind(const struct cl_topo *t, const struct cl_plan *p, unsigned w);

/** `conlab topology [--input X] [--workers N] [--pinning P]`: prints the
 *  machine (packages, NUMA nodes, cores, PUs with OS indices, caches) and,
 *  with --workers, the plan for each worker.  Returns the exit status. */
int cl_cmd_topology(int argc, char **argv);

#endif

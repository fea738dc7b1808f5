/* topo_internal.h — what the files of the topology module share: the
 * index of the PUs this process may use, grouped by core, that the planner
 * (topo.c) works from and `conlab topology` (topo_cmd.c) prints.  Private to
 * topo*.c. */
#ifndef CONLAB_HOST_TOPO_INTERNAL_H
#define CONLAB_HOST_TOPO_INTERNAL_H

#include <hwloc.h>

/* One core as the planner sees it.  A topology without a Core level (e.g.
 * the synthetic "pack:2 pu:4") counts each PU as its own core. */
struct topo_core {
    hwloc_obj_t obj;        /* the Core, or the PU itself */
    unsigned first, npus;   /* its allowed PUs: pus[first .. first + npus) */
};

struct cl_topo {
    hwloc_topology_t h;
    int this_system;
    int xml;                /* input is an XML file */
    char *input;            /* as given; NULL for this machine */
    hwloc_bitmap_t allowed; /* OS indices of the PUs we may plan on */
    unsigned npus, ncores;
    unsigned min_smt, max_smt; /* allowed PUs per core */
    hwloc_obj_t *pus;       /* allowed PUs, core by core, in logical order */
    struct topo_core *cores;
    int core_depth;         /* where hwloc_distrib() stops splitting */
};

#endif

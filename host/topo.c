/* topo.c — topology (hwloc) and worker placement.
 *
 * A struct cl_topo is an hwloc topology plus an index of the PUs this
 * process may use, grouped by core.  Plans are computed from that index once,
 * before any worker starts; each worker gets one PU (hwloc would say: a
 * singlified cpuset), and cl_plan_bind() only hands a precomputed cpu_set_t
 * to sched_setaffinity(), so it is safe in a freshly forked child and from
 * many threads at once.
 *
 * `conlab topology`, which prints this very index, is topo_cmd.c; what the
 * two share is topo_internal.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "topo.h"

#include <errno.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include <hwloc.h>

#include "topo_internal.h"

/* What cl_plan_bind() needs, computed by cl_topo_plan(). */
struct plan_binding {
    int this_system;
    size_t setsize;         /* bytes per set, a CPU_ALLOC_SIZE() */
    unsigned long sets[];   /* n_workers dynamically sized cpu_set_t's */
};

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* ---- loading ------------------------------------------------------------ */

static int looks_like_xml_path(const char *s)
{
    size_t n = strlen(s);
    struct stat st;
    if (n >= 4 && strcasecmp(s + n - 4, ".xml") == 0)
        return 1;
    if (strchr(s, '/'))
        return 1;
    return stat(s, &st) == 0 && S_ISREG(st.st_mode);
}

static int set_source(hwloc_topology_t h, const char *input, int xml,
                      char *err, size_t errlen)
{
    if (xml) {
        if (hwloc_topology_set_xml(h, input) == 0)
            return 0;
        if (errno == EINVAL)
            seterr(err, errlen,
                   "topology file '%s' is not an hwloc XML export "
                   "(make one with: lstopo FILE.xml)", input);
        else
            seterr(err, errlen, "cannot read topology file '%s': %s", input,
                   strerror(errno));
        return -1;
    }
    if (hwloc_topology_set_synthetic(h, input) == 0)
        return 0;
    seterr(err, errlen,
           "invalid hwloc synthetic topology \"%s\" (expected levels with "
           "counts, outermost first, e.g. \"pack:2 numa:2 core:16 pu:2\"; "
           "or an XML file ending in .xml)", input);
    return -1;
}

/* 1 (with a message) when a synthetic description would make more than
 * CL_TOPO_MAX_PUS PUs (the product of its level counts: "pack:2 core:16
 * pu:2" is 64) or has a level count above CL_TOPO_MAX_FANOUT, checked
 * before hwloc builds them.  Attributes in parentheses and attached memory
 * in brackets do not count. */
static int synthetic_too_big(const char *input, char *err, size_t errlen)
{
    unsigned long long total = 1;
    int depth = 0;
    for (const char *s = input; *s; s++) {
        if (*s == '(' || *s == '[' || *s == '{')
            depth++;
        else if ((*s == ')' || *s == ']' || *s == '}') && depth > 0)
            depth--;
        else if (*s == ':' && depth == 0 && s[1] >= '0' && s[1] <= '9') {
            unsigned long long n = strtoull(s + 1, NULL, 10);
            if (n > CL_TOPO_MAX_FANOUT) {
                seterr(err, errlen, "synthetic topology \"%s\": a level "
                       "count of %llu is more than the %d conlab loads", input,
                       n, CL_TOPO_MAX_FANOUT);
                return 1;
            }
            total *= n ? n : 1;
            if (total > CL_TOPO_MAX_PUS) {
                seterr(err, errlen, "synthetic topology \"%s\" has more than "
                       "%d PUs, the most conlab loads", input,
                       CL_TOPO_MAX_PUS);
                return 1;
            }
        }
    }
    return 0;
}

/* Collect the allowed PUs core by core.  Without
 * HWLOC_TOPOLOGY_FLAG_INCLUDE_DISALLOWED hwloc already drops PUs outside our
 * cgroup/cpuset; intersecting with the allowed cpuset again costs nothing and
 * keeps that promise for XML inputs too. */
static int index_pus_in(struct cl_topo *t, hwloc_const_cpuset_t allowed,
                        char *err, size_t errlen)
{
    int total = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PU);
    if (total <= 0) {
        seterr(err, errlen, "topology %s has no PUs",
               t->input ? t->input : "of this machine");
        return -1;
    }
    t->allowed = hwloc_bitmap_alloc();
    t->pus = calloc((size_t)total, sizeof *t->pus);
    t->cores = calloc((size_t)total, sizeof *t->cores);
    if (!t->allowed || !t->pus || !t->cores) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    for (hwloc_obj_t pu = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_PU, NULL);
         pu; pu = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_PU, pu)) {
        if (!hwloc_bitmap_isset(allowed, pu->os_index))
            continue;
        hwloc_obj_t core =
            hwloc_get_ancestor_obj_by_type(t->h, HWLOC_OBJ_CORE, pu);
        if (!core)
            core = pu;
        if (t->ncores == 0 || t->cores[t->ncores - 1].obj != core)
            t->cores[t->ncores++] = (struct topo_core){ core, t->npus, 0 };
        t->cores[t->ncores - 1].npus++;
        t->pus[t->npus++] = pu;
        if (hwloc_bitmap_set(t->allowed, pu->os_index) != 0) {
            seterr(err, errlen, "out of memory");
            return -1;
        }
    }
    if (t->npus == 0) {
        seterr(err, errlen, "topology %s has no PU this process may use",
               t->input ? t->input : "of this machine");
        return -1;
    }
    t->min_smt = UINT_MAX;
    for (unsigned c = 0; c < t->ncores; c++) {
        if (t->cores[c].npus < t->min_smt)
            t->min_smt = t->cores[c].npus;
        if (t->cores[c].npus > t->max_smt)
            t->max_smt = t->cores[c].npus;
    }
    t->core_depth = hwloc_get_type_depth(t->h, HWLOC_OBJ_CORE);
    if (t->core_depth < 0)
        t->core_depth = hwloc_get_type_depth(t->h, HWLOC_OBJ_PU);
    return 0;
}

/* hwloc's allowed cpuset follows cgroups/cpusets (task/cgroup); taskset,
 * numactl and Slurm's task/affinity confine the process's CPU affinity
 * instead, so the PUs this process may use are in both. */
static int index_pus(struct cl_topo *t, char *err, size_t errlen)
{
    hwloc_bitmap_t use = hwloc_bitmap_dup(hwloc_topology_get_allowed_cpuset(t->h));
    hwloc_bitmap_t bound = hwloc_bitmap_alloc();
    int rc = -1;
    if (!use || !bound)
        seterr(err, errlen, "out of memory");
    else {
        if (t->this_system &&
            hwloc_get_cpubind(t->h, bound, HWLOC_CPUBIND_PROCESS) == 0 &&
            hwloc_bitmap_intersects(use, bound))
            hwloc_bitmap_and(use, use, bound);
        rc = index_pus_in(t, use, err, errlen);
    }
    hwloc_bitmap_free(bound);
    hwloc_bitmap_free(use);
    return rc;
}

int cl_topo_open(struct cl_topo **out, const char *input, char *err,
                 size_t errlen)
{
    *out = NULL;
    if (input && input[0] == '\0') {
        seterr(err, errlen, "empty topology input (give an hwloc synthetic "
               "description or an XML file, or nothing for this machine)");
        return -1;
    }
    struct cl_topo *t = calloc(1, sizeof *t);
    if (!t || (input && !(t->input = strdup(input)))) {
        free(t);
        seterr(err, errlen, "out of memory");
        return -1;
    }
    if (hwloc_topology_init(&t->h) != 0) {
        seterr(err, errlen, "hwloc_topology_init: %s", strerror(errno));
        free(t->input);
        free(t);
        return -1;
    }
    int xml = t->xml = input && looks_like_xml_path(input);
    if (input && set_source(t->h, input, xml, err, errlen) != 0)
        goto fail;
    if (input && !xml && synthetic_too_big(input, err, errlen))
        goto fail;
    if (hwloc_topology_load(t->h) != 0) {
        if (xml && errno == EINVAL)
            seterr(err, errlen, "topology file '%s' is not a valid hwloc XML "
                   "export", input);
        else
            seterr(err, errlen, "cannot load topology %s%s%s: %s",
                   input ? "'" : "", input ? input : "of this machine",
                   input ? "'" : "", strerror(errno));
        goto fail;
    }
    t->this_system = hwloc_topology_is_thissystem(t->h);
    int npus = hwloc_get_nbobjs_by_type(t->h, HWLOC_OBJ_PU);
    if (npus > CL_TOPO_MAX_PUS) {
        seterr(err, errlen, "topology %s%s%s has %d PUs, more than the %d "
               "conlab loads", input ? "'" : "",
               input ? input : "of this machine", input ? "'" : "", npus,
               CL_TOPO_MAX_PUS);
        goto fail;
    }
    if (index_pus(t, err, errlen) != 0)
        goto fail;
    *out = t;
    return 0;
fail:
    cl_topo_close(t);
    return -1;
}

void cl_topo_close(struct cl_topo *t)
{
    if (!t)
        return;
    hwloc_topology_destroy(t->h);
    hwloc_bitmap_free(t->allowed);
    free(t->pus);
    free(t->cores);
    free(t->input);
    free(t);
}

int cl_topo_is_this_system(const struct cl_topo *t)
{
    return t->this_system;
}

int cl_topo_can_bind(const struct cl_topo *t, const char **why)
{
    if (!t->this_system) {
        *why = "the topology is not this machine's";
        return 0;
    }
    const struct hwloc_topology_support *s = hwloc_topology_get_support(t->h);
    if (!s || !s->cpubind || !s->cpubind->set_thisthread_cpubind) {
        *why = "this system does not support binding threads to CPUs";
        return 0;
    }
    if (hwloc_bitmap_weight(t->allowed) < 2) {
        *why = "this process may use only one PU: every worker shares it";
        return 1;
    }
    *why = NULL;
    return 1;
}

/* ---- counts and names --------------------------------------------------- */

static unsigned count_or_one(const struct cl_topo *t, hwloc_obj_type_t type)
{
    int n = hwloc_get_nbobjs_by_type(t->h, type);
    return n > 0 ? (unsigned)n : 1; /* no such level: the machine is one */
}

void cl_topo_counts(const struct cl_topo *t, unsigned *packages,
                    unsigned *numa, unsigned *cores, unsigned *pus)
{
    if (packages)
        *packages = count_or_one(t, HWLOC_OBJ_PACKAGE);
    if (numa)
        *numa = count_or_one(t, HWLOC_OBJ_NUMANODE);
    if (cores)
        *cores = t->ncores;
    if (pus)
        *pus = t->npus;
}

char *cl_topo_summary(const struct cl_topo *t)
{
    unsigned np, nn, nc, nu;
    char smt[64];
    char *s;
    cl_topo_counts(t, &np, &nn, &nc, &nu);
    if (t->max_smt <= 1)
        snprintf(smt, sizeof smt, "no SMT");
    else if (t->min_smt == t->max_smt)
        snprintf(smt, sizeof smt, "SMT: %u PUs per core", t->max_smt);
    else
        snprintf(smt, sizeof smt, "SMT: %u-%u PUs per core", t->min_smt,
                 t->max_smt);
    if (asprintf(&s, "%u package%s, %u NUMA node%s, %u core%s, %u PU%s (%s)",
                 np, np == 1 ? "" : "s", nn, nn == 1 ? "" : "s", nc,
                 nc == 1 ? "" : "s", nu, nu == 1 ? "" : "s", smt) < 0)
        return NULL;
    return s;
}

/* ---- plans -------------------------------------------------------------- */

/* Every core's first PU, core by core, then every core's second PU, ... */
static void compact_order(const struct cl_topo *t, unsigned m,
                          hwloc_obj_t *order)
{
    unsigned k = 0;
    for (unsigned r = 0; k < m && r < t->max_smt; r++)
        for (unsigned c = 0; k < m && c < t->ncores; c++)
            if (t->cores[c].npus > r)
                order[k++] = t->pus[t->cores[c].first + r];
}

/* The core that stands for hwloc_distrib()'s `set` in round r: the first
 * (in logical order) core of the set that has an r-th PU and is not taken
 * yet; failing that (uneven SMT can make distrib hand one core two sets),
 * the first such core anywhere. */
static unsigned pick_core(const struct cl_topo *t, hwloc_const_cpuset_t set,
                          unsigned r, const unsigned char *taken)
{
    unsigned fallback = UINT_MAX;
    for (unsigned c = 0; c < t->ncores; c++) {
        if (taken[c] || t->cores[c].npus <= r)
            continue;
        if (hwloc_bitmap_intersects(set, t->cores[c].obj->cpuset))
            return c;
        if (fallback == UINT_MAX)
            fallback = c;
    }
    return fallback;
}

/* Round r places min(left, cores with an r-th PU) workers where
 * hwloc_distrib() spreads that many over the machine (packages, then NUMA
 * nodes, caches, cores), on the r-th PU of each chosen core: so no SMT
 * sibling is used before every core has a worker. */
static int scatter_order(const struct cl_topo *t, unsigned m,
                         hwloc_obj_t *order, char *err, size_t errlen)
{
    unsigned char *taken = malloc(t->ncores);
    hwloc_bitmap_t *sets = calloc(t->ncores, sizeof *sets);
    hwloc_obj_t root = hwloc_get_root_obj(t->h);
    unsigned k = 0;
    int rc = 0;
    if (!taken || !sets) {
        seterr(err, errlen, "out of memory");
        rc = -1;
    }
    for (unsigned r = 0; rc == 0 && k < m && r < t->max_smt; r++) {
        unsigned avail = 0;
        for (unsigned c = 0; c < t->ncores; c++)
            avail += t->cores[c].npus > r;
        unsigned want = m - k < avail ? m - k : avail;
        memset(taken, 0, t->ncores);
        if (hwloc_distrib(t->h, &root, 1, sets, want, t->core_depth, 0) != 0) {
            seterr(err, errlen, "hwloc_distrib: %s", strerror(errno));
            rc = -1;
        }
        for (unsigned j = 0; j < want; j++) {
            if (rc == 0 && !sets[j]) {
                seterr(err, errlen, "out of memory");
                rc = -1;
            }
            if (rc == 0) {
                unsigned c = pick_core(t, sets[j], r, taken);
                taken[c] = 1;
                order[k++] = t->pus[t->cores[c].first + r];
            }
            hwloc_bitmap_free(sets[j]);
            sets[j] = NULL;
        }
    }
    free(taken);
    free(sets);
    return rc;
}

static int list_plan(const struct cl_topo *t, const struct cl_pinning *pin,
                     struct cl_plan *p, char *err, size_t errlen)
{
    if (pin->n == 0 || !pin->cpus) {
        seterr(err, errlen, "pinning list is empty");
        return -1;
    }
    for (size_t i = 0; i < pin->n; i++) {
        int cpu = pin->cpus[i];
        if (cpu < 0 || !hwloc_bitmap_isset(t->allowed, (unsigned)cpu)) {
            int exists = cpu >= 0 && hwloc_bitmap_isset(
                hwloc_topology_get_complete_cpuset(t->h), (unsigned)cpu);
            char *avail = NULL;
            if (hwloc_bitmap_list_asprintf(&avail, t->allowed) < 0)
                avail = NULL;
            seterr(err, errlen,
                   "pinning list: PU %d is not %s (PUs available: %s)", cpu,
                   exists ? "allowed to this process (cgroup/cpuset)"
                       : "in this topology",
                   avail ? avail : "?");
            free(avail);
            return -1;
        }
    }
    for (unsigned w = 0; w < p->n_workers; w++)
        p->pu[w] = pin->cpus[w % pin->n];
    return 0;
}

static int ordered_plan(const struct cl_topo *t, enum cl_pinning_kind kind,
                        struct cl_plan *p, char *err, size_t errlen)
{
    unsigned m = kind == CL_PIN_COMPACT || p->n_workers > t->npus
                     ? t->npus : p->n_workers;
    hwloc_obj_t *order = calloc(m ? m : 1, sizeof *order);
    if (!order) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    if (kind == CL_PIN_COMPACT)
        compact_order(t, m, order);
    else if (scatter_order(t, m, order, err, errlen) != 0) {
        free(order);
        return -1;
    }
    for (unsigned w = 0; w < p->n_workers; w++)
        p->pu[w] = (int)order[w % m]->os_index;
    free(order);
    return 0;
}

/* One cpu_set_t per worker, holding just its PU. */
static int make_binding(const struct cl_topo *t, struct cl_plan *p,
                        char *err, size_t errlen)
{
    int max = 0;
    for (unsigned w = 0; w < p->n_workers; w++)
        if (p->pu[w] > max)
            max = p->pu[w];
    size_t setsize = CPU_ALLOC_SIZE(max + 1);
    struct plan_binding *b =
        calloc(1, sizeof *b + setsize * (p->n_workers ? p->n_workers : 1));
    if (!b) {
        seterr(err, errlen, "out of memory");
        return -1;
    }
    b->this_system = t->this_system;
    b->setsize = setsize;
    for (unsigned w = 0; w < p->n_workers; w++)
        CPU_SET_S((size_t)p->pu[w], setsize,
                  (cpu_set_t *)((char *)b->sets + w * setsize));
    p->sets_ = b;
    return 0;
}

int cl_topo_plan(const struct cl_topo *t, const struct cl_pinning *pin,
                 unsigned n_workers, struct cl_plan **out, char *err,
                 size_t errlen)
{
    *out = NULL;
    struct cl_plan *p = calloc(1, sizeof *p);
    if (!p || !(p->pu = calloc(n_workers ? n_workers : 1, sizeof *p->pu))) {
        free(p);
        seterr(err, errlen, "out of memory");
        return -1;
    }
    p->n_workers = n_workers;
    int rc;
    switch (pin->kind) {
    case CL_PIN_NONE:
        for (unsigned w = 0; w < n_workers; w++)
            p->pu[w] = -1;
        *out = p;
        return 0;
    case CL_PIN_COMPACT:
    case CL_PIN_SCATTER:
        rc = ordered_plan(t, pin->kind, p, err, errlen);
        break;
    case CL_PIN_LIST:
        rc = list_plan(t, pin, p, err, errlen);
        break;
    default:
        seterr(err, errlen, "unknown pinning kind %d", (int)pin->kind);
        rc = -1;
    }
    if (rc == 0)
        rc = make_binding(t, p, err, errlen);
    if (rc != 0) {
        cl_plan_free(p);
        return -1;
    }
    p->pinned = 1;
    *out = p;
    return 0;
}

void cl_plan_free(struct cl_plan *p)
{
    if (!p)
        return;
    free(p->pu);
    free(p->sets_);
    free(p);
}

int cl_plan_bind(const struct cl_topo *t, const struct cl_plan *p, unsigned w)
{
    if (!p || w >= p->n_workers) {
        errno = EINVAL;
        return -1;
    }
    if (!p->pinned)
        return 0;
    const struct plan_binding *b = p->sets_;
    if (!b || !b->this_system || (t && !t->this_system)) {
        errno = EINVAL; /* a plan for another machine cannot be bound here */
        return -1;
    }
    const cpu_set_t *set = (const cpu_set_t *)((const char *)b->sets +
                                               (size_t)w * b->setsize);
    return sched_setaffinity(0 /* the calling thread */, b->setsize, set);
}

/* topo.c — topology (hwloc) and worker placement.
 *
 * A struct cl_topo is an hwloc topology plus an index of the PUs this
 * process may use, grouped by core.  Plans are computed from that index once,
 * before any worker starts; each worker gets one PU (hwloc would say: a
 * singlified cpuset), and cl_plan_bind() only hands a precomputed cpu_set_t
 * to sched_setaffinity(), so it is safe in a freshly forked child and from
 * many threads at once.
 *
 * Longer than ~900 lines on purpose: `conlab topology` (the last third)
 * prints the very index the planner uses, so both read struct cl_topo's
 * private members, which a split would have to publish in a header. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "topo.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

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

/* Logical index of the object of `type` above `obj`, 0 when the topology
 * has no such level (the machine counts as one). */
static unsigned ancestor_index(const struct cl_topo *t, hwloc_obj_type_t type,
                               hwloc_obj_t obj)
{
    hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(t->h, type, obj);
    return a ? a->logical_index : 0;
}

static unsigned core_index(const struct cl_topo *t, hwloc_obj_t pu)
{
    hwloc_obj_t core = hwloc_get_ancestor_obj_by_type(t->h, HWLOC_OBJ_CORE, pu);
    return (core ? core : pu)->logical_index;
}

/* The first NUMA node holding `pu`, or NULL. */
static hwloc_obj_t numa_of(const struct cl_topo *t, hwloc_obj_t pu)
{
    for (hwloc_obj_t n = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_NUMANODE,
                                                    NULL);
         n; n = hwloc_get_next_obj_by_type(t->h, HWLOC_OBJ_NUMANODE, n))
        if (n->cpuset && hwloc_bitmap_isset(n->cpuset, pu->os_index))
            return n;
    return NULL;
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

/* ---- `conlab topology` --------------------------------------------------- */

static const char topology_usage[] =
    "usage: conlab topology [--input TOPOLOGY] [--workers N] "
    "[--pinning POLICY]\n";

static const char topology_help[] =
    "\n"
    "Show the machine (packages, NUMA nodes, cores, PUs, caches) and, with\n"
    "--workers or --pinning, the PU each worker would be bound to.\n"
    "\n"
    "options:\n"
    "  -i, --input TOPOLOGY  plan for another machine: an hwloc synthetic\n"
    "                        description such as \"pack:2 numa:2 core:16 pu:2\"\n"
    "                        (counts per parent: 2 packages x 2 NUMA nodes x\n"
    "                        16 cores x 2 PUs = 128 PUs), or an XML file\n"
    "                        saved on that machine with `lstopo FILE.xml`;\n"
    "                        at most 16384 PUs, and 1024 per level\n"
    "  -w, --workers N       plan N workers (default with --pinning: one per\n"
    "                        PU)\n"
    "  -p, --pinning POLICY  none, compact, scatter or LIST (default: compact)\n"
    "  -h, --help            show this help\n"
    "\n"
    "pinning policies (a pinned worker is bound to exactly one PU):\n"
    "  none     not pinned: the OS scheduler moves workers freely\n"
    "  compact  fill cores in order, one PU per core; the SMT siblings (second\n"
    "           PU of each core) only once every core has a worker.  Workers\n"
    "           stay close: shared caches, one package/NUMA node first\n"
    "  scatter  spread workers across packages, then NUMA nodes, then cores\n"
    "           (hwloc_distrib); SMT siblings only once every core has a\n"
    "           worker.  Most cache and memory bandwidth per worker\n"
    "  LIST     PU numbers, e.g. 0,2,4 or 0-3,8: worker i runs on the i-th\n"
    "           PU of the list, which repeats for more workers\n"
    "With more workers than PUs, plans wrap around: PUs are shared.  Only the\n"
    "PUs this process may use (cgroup, cpuset, Slurm allocation) are planned.\n"
    "\n"
    "PU numbers are OS indices (as taskset, /proc/cpuinfo and sched_getcpu()\n"
    "use them); core and package numbers are hwloc logical indices; NUMA\n"
    "numbers are OS node numbers (as numactl uses them).\n"
    "\n"
    "examples:\n"
    "  conlab topology\n"
    "  conlab topology --workers 2 --pinning 1,0\n"
    "  conlab topology --input \"pack:2 numa:2 core:16 pu:2\" --workers 24 "
    "--pinning scatter\n"
    "\n"
    "exit status: 0 ok, 1 topology or plan error, 2 usage error\n";

#define WRAP 78

static const char *plural(unsigned n, const char *one, const char *many)
{
    return n == 1 ? one : many;
}

static void print_size(FILE *out, unsigned long long bytes)
{
    static const char *const units[] = { "B", "KiB", "MiB", "GiB", "TiB" };
    double v = (double)bytes;
    unsigned u = 0;
    while (v >= 1024 && u + 1 < sizeof units / sizeof units[0]) {
        v /= 1024;
        u++;
    }
    if (v == (double)(unsigned long long)v)
        fprintf(out, "%llu %s", (unsigned long long)v, units[u]);
    else
        fprintf(out, "%.1f %s", v, units[u]);
}

static void print_set(FILE *out, hwloc_const_bitmap_t set)
{
    char *s = NULL;
    if (hwloc_bitmap_list_asprintf(&s, set) < 0) {
        fputs("?", out);
        return;
    }
    fputs(s, out);
    free(s);
}

/* The allowed PUs of cores [from, to) into `set`. */
static void cores_pus(const struct cl_topo *t, unsigned from, unsigned to,
                      hwloc_bitmap_t set)
{
    hwloc_bitmap_zero(set);
    for (unsigned c = from; c < to; c++)
        for (unsigned i = 0; i < t->cores[c].npus; i++)
            hwloc_bitmap_set(set, t->pus[t->cores[c].first + i]->os_index);
}

/* ": 16 cores, PUs 0-31" for cores [from, to). */
static void print_group_tail(FILE *out, const struct cl_topo *t,
                             unsigned from, unsigned to,
                             hwloc_bitmap_t scratch)
{
    unsigned n = to - from;
    cores_pus(t, from, to, scratch);
    fprintf(out, ": %u %s, PU%s ", n, plural(n, "core", "cores"),
            hwloc_bitmap_weight(scratch) == 1 ? "" : "s");
    print_set(out, scratch);
    fputc('\n', out);
}

/* d when cores a and b have as many PUs and b's are a's shifted by d > 0
 * (as with "core n: PUs 2n,2n+1" or "core n: PUs n,n+64"), else 0. */
static unsigned core_shift(const struct cl_topo *t, unsigned a, unsigned b)
{
    const struct topo_core *x = &t->cores[a], *y = &t->cores[b];
    if (x->npus != y->npus)
        return 0;
    unsigned d = 0;
    for (unsigned i = 0; i < x->npus; i++) {
        unsigned px = t->pus[x->first + i]->os_index;
        unsigned py = t->pus[y->first + i]->os_index;
        if (py <= px || (i > 0 && py - px != d))
            return 0;
        d = py - px;
    }
    return d;
}

/* "0,1": the PUs of core c. */
static int core_pus_text(const struct cl_topo *t, unsigned c, char *buf,
                         size_t len)
{
    int n = 0;
    buf[0] = '\0';
    for (unsigned i = 0; i < t->cores[c].npus && (size_t)n < len; i++)
        n += snprintf(buf + n, len - (size_t)n, "%s%u", i ? "," : "",
                      t->pus[t->cores[c].first + i]->os_index);
    return n;
}

/* Cores [from, to): a run of 3 or more regularly numbered cores takes one
 * line ("cores 0-15: PUs 0,1  2,3  ...  30,31"); other cores are listed as
 * "core 4: PUs 8,9" items, several per line. */
static void print_cores(FILE *out, const struct cl_topo *t, unsigned from,
                        unsigned to, int indent)
{
    int col = 0;
    char a[64], b[64], z[64], item[160];
    for (unsigned c = from; c < to;) {
        unsigned d = c + 1 < to ? core_shift(t, c, c + 1) : 0, e = c + 1;
        while (d && e + 1 < to && core_shift(t, e, e + 1) == d)
            e++;
        int len;
        if (d && e - c >= 2) { /* cores c..e */
            core_pus_text(t, c, a, sizeof a);
            core_pus_text(t, c + 1, b, sizeof b);
            core_pus_text(t, e, z, sizeof z);
            if (col)
                fputc('\n', out);
            fprintf(out, "%*scores %u-%u: PUs %s  %s  %s%s\n", indent, "",
                    t->cores[c].obj->logical_index,
                    t->cores[e].obj->logical_index, a, b,
                    e - c > 2 ? "...  " : "", z);
            col = 0;
            c = e + 1;
            continue;
        }
        core_pus_text(t, c, a, sizeof a);
        len = snprintf(item, sizeof item, "core %u: PU%s %s",
                       t->cores[c].obj->logical_index,
                       t->cores[c].npus == 1 ? "" : "s", a);
        if (col > 0 && col + 3 + len > WRAP) {
            fputc('\n', out);
            col = 0;
        }
        col += fprintf(out, "%*s%s", col ? 3 : indent, "", item);
        c++;
    }
    if (col)
        fputc('\n', out);
}

static void print_numa_name(FILE *out, hwloc_obj_t numa)
{
    if (!numa) {
        fputs("no NUMA node", out);
        return;
    }
    fprintf(out, "NUMA %u", numa->os_index);
    if (numa->attr && numa->attr->numanode.local_memory) {
        fputs(" (", out);
        print_size(out, numa->attr->numanode.local_memory);
        fputc(')', out);
    }
}

/* packages > NUMA nodes > cores > PUs.  Cores are in logical order, so the
 * cores of one package (of one NUMA node within it) are consecutive. */
static void print_tree(FILE *out, const struct cl_topo *t,
                       hwloc_bitmap_t scratch)
{
    unsigned c = 0;
    while (c < t->ncores) {
        hwloc_obj_t first = t->pus[t->cores[c].first];
        unsigned pkg = ancestor_index(t, HWLOC_OBJ_PACKAGE, first);
        unsigned pend = c;
        while (pend < t->ncores &&
               ancestor_index(t, HWLOC_OBJ_PACKAGE,
                              t->pus[t->cores[pend].first]) == pkg)
            pend++;
        fprintf(out, "package %u", pkg);
        print_group_tail(out, t, c, pend, scratch);
        while (c < pend) {
            hwloc_obj_t numa = numa_of(t, t->pus[t->cores[c].first]);
            unsigned nend = c;
            while (nend < pend &&
                   numa_of(t, t->pus[t->cores[nend].first]) == numa)
                nend++;
            fputs("  ", out);
            print_numa_name(out, numa);
            print_group_tail(out, t, c, nend, scratch);
            print_cores(out, t, c, nend, 4);
            c = nend;
        }
    }
}

/* "caches: L1d 48 KiB x2, L2 2 MiB x2, L3 480 MiB x1", innermost first. */
static void print_caches(FILE *out, const struct cl_topo *t)
{
    int any = 0;
    for (int d = hwloc_topology_get_depth(t->h) - 1; d >= 0; d--) {
        hwloc_obj_t o = hwloc_get_obj_by_depth(t->h, d, 0);
        if (!o || !hwloc_obj_type_is_cache(o->type))
            continue;
        char type[32];
        hwloc_obj_type_snprintf(type, sizeof type, o, 0);
        fprintf(out, "%s%s ", any ? ", " : "caches: ", type);
        print_size(out, o->attr->cache.size);
        fprintf(out, " x%d", hwloc_get_nbobjs_by_depth(t->h, d));
        any = 1;
    }
    if (any)
        fputc('\n', out);
}

static void print_machine(FILE *out, const struct cl_topo *t)
{
    char *summary = cl_topo_summary(t);
    if (!t->input)
        fputs("this machine", out);
    else
        fprintf(out, "%s \"%s\"%s", t->xml ? "XML topology" : "synthetic",
                t->input, t->this_system ? "" : " (not this machine)");
    fprintf(out, ": %s\n", summary ? summary : "?");
    free(summary);
    hwloc_const_cpuset_t complete = hwloc_topology_get_complete_cpuset(t->h);
    if (!hwloc_bitmap_isequal(complete, t->allowed)) {
        fputs("PUs allowed to this process: ", out);
        print_set(out, t->allowed);
        fputs(" of ", out);
        print_set(out, complete);
        fputc('\n', out);
    }
    hwloc_bitmap_t scratch = hwloc_bitmap_alloc();
    if (scratch)
        print_tree(out, t, scratch);
    hwloc_bitmap_free(scratch);
    print_caches(out, t);
}

static void print_plan(FILE *out, const struct cl_topo *t,
                       const struct cl_pinning *pin, const struct cl_plan *p)
{
    fprintf(out, "\nplan: %u %s, pinning %s\n", p->n_workers,
            plural(p->n_workers, "worker", "workers"), cl_pinning_kind_name(pin->kind));
    if (p->pinned && p->n_workers > t->npus)
        fprintf(out, "note: %u workers on %u PUs: the plan wraps around and "
                "PUs are shared\n", p->n_workers, t->npus);
    for (unsigned w = 0; w < p->n_workers; w++) {
        if (!p->pinned) {
            fprintf(out, "worker %u -> not pinned (any of PUs ", w);
            print_set(out, t->allowed);
            fputs(")\n", out);
            continue;
        }
        hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(t->h,
                                                      (unsigned)p->pu[w]);
        hwloc_obj_t numa = pu ? numa_of(t, pu) : NULL;
        fprintf(out, "worker %u -> PU %d", w, p->pu[w]);
        if (pu) {
            fprintf(out, " (core %u, package %u, ", core_index(t, pu),
                    ancestor_index(t, HWLOC_OBJ_PACKAGE, pu));
            if (numa)
                fprintf(out, "NUMA %u)", numa->os_index);
            else
                fputs("no NUMA node)", out);
        }
        fputc('\n', out);
    }
}

static int parse_workers(const char *s, unsigned *out)
{
    char *end;
    if (*s < '0' || *s > '9')
        return -1;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || *end || v == 0 || v > (1UL << 20))
        return -1;
    *out = (unsigned)v;
    return 0;
}

#define USAGE_ERROR(...)                                                    \
    do {                                                                    \
        fprintf(stderr, "conlab topology: " __VA_ARGS__);                   \
        fputs("\n", stderr);                                                \
        fputs(topology_usage, stderr);                                      \
        status = 2;                                                         \
        goto done;                                                          \
    } while (0)

int cl_cmd_topology(int argc, char **argv)
{
    static const struct option opts[] = {
        { "input", required_argument, NULL, 'i' },
        { "workers", required_argument, NULL, 'w' },
        { "pinning", required_argument, NULL, 'p' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *input = NULL, *pinning = NULL;
    unsigned workers = 0;
    struct cl_pinning pin = { CL_PIN_COMPACT, 0, NULL };
    struct cl_topo *t = NULL;
    struct cl_plan *plan = NULL;
    char err[512];
    int status = 0, c, saved_opterr = opterr;

    optind = 0; /* full getopt reset: we may be called more than once */
    opterr = 0; /* we print our own messages */
    while ((c = getopt_long(argc, argv, ":i:w:p:h", opts, NULL)) != -1) {
        switch (c) {
        case 'i':
            input = optarg;
            break;
        case 'w':
            if (parse_workers(optarg, &workers) != 0)
                USAGE_ERROR("--workers wants a whole number from 1 to %lu, "
                            "not '%s'", 1UL << 20, optarg);
            break;
        case 'p':
            pinning = optarg;
            break;
        case 'h':
            fputs(topology_usage, stdout);
            fputs(topology_help, stdout);
            goto done;
        case ':':
            USAGE_ERROR("option '%s' needs a value", argv[optind - 1]);
        default:
            USAGE_ERROR("unknown option '%s' (see conlab topology --help)",
                        argv[optind - 1]);
        }
    }
    if (optind < argc)
        USAGE_ERROR("unexpected argument '%s'", argv[optind]);
    if (pinning && cl_pinning_parse(pinning, &pin, err, sizeof err) != 0)
        USAGE_ERROR("%s", err);

    if (cl_topo_open(&t, input, err, sizeof err) != 0) {
        fprintf(stderr, "conlab topology: %s\n", err);
        status = 1;
        goto done;
    }
    print_machine(stdout, t);
    if (workers || pinning) {
        if (!workers)
            workers = t->npus;
        if (cl_topo_plan(t, &pin, workers, &plan, err, sizeof err) != 0) {
            fflush(stdout);
            fprintf(stderr, "conlab topology: %s\n", err);
            status = 1;
            goto done;
        }
        print_plan(stdout, t, &pin, plan);
    }
    if (fflush(stdout) != 0) {
        perror("conlab topology: stdout");
        status = 1;
    }
done:
    opterr = saved_opterr;
    cl_plan_free(plan);
    cl_topo_close(t);
    free(pin.cpus);
    return status;
}

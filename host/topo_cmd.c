/* topo_cmd.c — `conlab topology`: the machine as the planner indexes it
 * (packages, NUMA nodes, cores, PUs, caches) and, on request, the PU each
 * worker would be bound to.  See topo.h and topo_internal.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "topo.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hwloc.h>

#include "topo_internal.h"

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

/* test-topo.c — topology loading, placement plans, binding, `conlab topology`. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <hwloc.h>

#include "topo.h"

#define N_OF(a) (sizeof(a) / sizeof((a)[0]))

static const char *const SYN_BIG = "pack:2 numa:2 core:16 pu:2"; /* 128 PUs */
static const char *const SYN_TWO = "core:2 pu:1";
static const char *const SYN_PK2 = "pack:2 core:4 pu:2"; /* 8 cores, 16 PUs */
static const char *const SYN_SMT4 = "pack:1 core:4 pu:4";

/* ---- helpers ------------------------------------------------------------ */

static struct cl_topo *open_ok(const char *input)
{
    struct cl_topo *t = NULL;
    char err[512] = "";
    if (cl_topo_open(&t, input, err, sizeof err) != 0)
        fail_msg("cl_topo_open(%s): %s", input ? input : "NULL", err);
    assert_non_null(t);
    return t;
}

static struct cl_plan *plan_ok(const struct cl_topo *t,
                               enum cl_pinning_kind kind, unsigned n)
{
    struct cl_pinning pin = { kind, 0, NULL };
    struct cl_plan *p = NULL;
    char err[512] = "";
    if (cl_topo_plan(t, &pin, n, &p, err, sizeof err) != 0)
        fail_msg("cl_topo_plan: %s", err);
    assert_non_null(p);
    assert_int_equal(p->n_workers, n);
    return p;
}

static void expect_pus(const struct cl_plan *p, const int *want, size_t n)
{
    assert_int_equal(p->n_workers, n);
    assert_int_equal(p->pinned, 1);
    for (size_t i = 0; i < n; i++)
        if (p->pu[i] != want[i])
            fail_msg("worker %zu: PU %d, expected %d", i, p->pu[i], want[i]);
}

/* Plan n workers and compare with want[]. */
static void check_plan(const char *input, enum cl_pinning_kind kind,
                       const int *want, size_t n)
{
    struct cl_topo *t = open_ok(input);
    struct cl_plan *p = plan_ok(t, kind, (unsigned)n);
    expect_pus(p, want, n);
    cl_plan_free(p);
    cl_topo_close(t);
}

static hwloc_topology_t hw_synthetic(const char *desc)
{
    hwloc_topology_t h;
    assert_int_equal(hwloc_topology_init(&h), 0);
    assert_int_equal(hwloc_topology_set_synthetic(h, desc), 0);
    assert_int_equal(hwloc_topology_load(h), 0);
    return h;
}

/* Logical index of the object of `type` (package, core) holding PU os. */
static unsigned ancestor_of(hwloc_topology_t h, hwloc_obj_type_t type, int os)
{
    hwloc_obj_t pu = hwloc_get_pu_obj_by_os_index(h, (unsigned)os);
    assert_non_null(pu);
    hwloc_obj_t a = hwloc_get_ancestor_obj_by_type(h, type, pu);
    assert_non_null(a);
    return a->logical_index;
}

static unsigned pkg_of(hwloc_topology_t h, int os)
{
    return ancestor_of(h, HWLOC_OBJ_PACKAGE, os);
}

static unsigned numa_of_pu(hwloc_topology_t h, int os)
{
    for (hwloc_obj_t n = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_NUMANODE, NULL);
         n; n = hwloc_get_next_obj_by_type(h, HWLOC_OBJ_NUMANODE, n))
        if (hwloc_bitmap_isset(n->cpuset, (unsigned)os))
            return n->os_index;
    fail_msg("PU %d has no NUMA node", os);
    return 0;
}

static unsigned core_of(hwloc_topology_t h, int os)
{
    return ancestor_of(h, HWLOC_OBJ_CORE, os);
}

/* An XML export of synthetic `desc` in which only the PUs of `mask` are
 * allowed (as a cgroup would have it).  Returns the file name (free and
 * unlink it). */
static char *restricted_xml(const char *desc, const char *full_mask,
                            const char *mask)
{
    hwloc_topology_t h = hw_synthetic(desc);
    char *buf = NULL;
    int len = 0;
    assert_int_equal(hwloc_topology_export_xmlbuffer(h, &buf, &len, 0), 0);
    char needle[64], repl[64];
    snprintf(needle, sizeof needle, "allowed_cpuset=\"%s\"", full_mask);
    snprintf(repl, sizeof repl, "allowed_cpuset=\"%s\"", mask);
    assert_int_equal(strlen(needle), strlen(repl));
    char *at = strstr(buf, needle);
    assert_non_null(at);
    memcpy(at, repl, strlen(repl));
    char *path = strdup("/tmp/conlab-test-topo-XXXXXX.xml");
    assert_non_null(path);
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    size_t n = strlen(buf);
    assert_int_equal(write(fd, buf, n), (ssize_t)n);
    close(fd);
    hwloc_free_xmlbuffer(h, buf);
    hwloc_topology_destroy(h);
    return path;
}

/* Run cl_cmd_topology with stdout and stderr captured. */
struct run {
    int status;
    char out[16384];
    char err[4096];
};

static void slurp(int fd, char *buf, size_t len)
{
    ssize_t n = pread(fd, buf, len - 1, 0);
    assert_true(n >= 0);
    buf[n] = '\0';
}

static void run_cmd(struct run *r, int argc, char **argv)
{
    char o[] = "/tmp/conlab-test-topo-out-XXXXXX";
    char e[] = "/tmp/conlab-test-topo-err-XXXXXX";
    int fo = mkstemp(o), fe = mkstemp(e);
    assert_true(fo >= 0 && fe >= 0);
    unlink(o); /* the descriptors are all we need */
    unlink(e);
    fflush(stdout);
    fflush(stderr);
    int so = dup(1), se = dup(2);
    assert_true(so >= 0 && se >= 0);
    dup2(fo, 1);
    dup2(fe, 2);
    r->status = cl_cmd_topology(argc, argv);
    fflush(stdout);
    fflush(stderr);
    dup2(so, 1);
    dup2(se, 2);
    close(so);
    close(se);
    slurp(fo, r->out, sizeof r->out);
    slurp(fe, r->err, sizeof r->err);
    close(fo);
    close(fe);
}

#define RUN(r, ...)                                                         \
    do {                                                                    \
        char *argv_[] = { "topology", __VA_ARGS__, NULL };                  \
        run_cmd((r), (int)N_OF(argv_) - 1, argv_);                          \
    } while (0)

static void assert_contains(const char *hay, const char *needle)
{
    if (!strstr(hay, needle))
        fail_msg("expected \"%s\" in:\n%s", needle, hay);
}

/* ---- loading ------------------------------------------------------------ */

static void test_open_synthetic_counts(void **state)
{
    (void)state;
    static const struct {
        const char *input;
        unsigned pk, nu, co, pu;
        const char *summary;
    } cases[] = {
        { "pack:2 numa:2 core:16 pu:2", 2, 4, 64, 128,
          "2 packages, 4 NUMA nodes, 64 cores, 128 PUs (SMT: 2 PUs per core)" },
        { "core:2 pu:1", 1, 1, 2, 2,
          "1 package, 1 NUMA node, 2 cores, 2 PUs (no SMT)" },
        { "pack:2 core:4 pu:2", 2, 1, 8, 16,
          "2 packages, 1 NUMA node, 8 cores, 16 PUs (SMT: 2 PUs per core)" },
        { "pack:1 core:4 pu:4", 1, 1, 4, 16,
          "1 package, 1 NUMA node, 4 cores, 16 PUs (SMT: 4 PUs per core)" },
        { "pack:2 pu:3", 2, 1, 6, 6, /* no Core level: a PU is a core */
          "2 packages, 1 NUMA node, 6 cores, 6 PUs (no SMT)" },
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct cl_topo *t = open_ok(cases[i].input);
        unsigned pk, nu, co, pu;
        cl_topo_counts(t, &pk, &nu, &co, &pu);
        assert_int_equal(pk, cases[i].pk);
        assert_int_equal(nu, cases[i].nu);
        assert_int_equal(co, cases[i].co);
        assert_int_equal(pu, cases[i].pu);
        char *s = cl_topo_summary(t);
        assert_non_null(s);
        assert_string_equal(s, cases[i].summary);
        free(s);
        assert_int_equal(cl_topo_is_this_system(t), 0);
        cl_topo_close(t);
    }
}

static void test_open_errors(void **state)
{
    (void)state;
    static const struct { const char *input, *mention; } cases[] = {
        { "pack:2 bogus:3", "\"pack:2 bogus:3\"" },
        { "pack:2 core", "\"pack:2 core\"" },
        { "", "empty" },
        { "/nonexistent/machine.xml", "/nonexistent/machine.xml" },
        { "missing.xml", "missing.xml" },
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        struct cl_topo *t = (struct cl_topo *)&t; /* must be reset */
        char err[512] = "";
        assert_int_equal(cl_topo_open(&t, cases[i].input, err, sizeof err), -1);
        assert_null(t);
        assert_contains(err, cases[i].mention);
    }
    /* a file that is not an hwloc XML export */
    char path[] = "/tmp/conlab-test-topo-bad-XXXXXX.xml";
    int fd = mkstemps(path, 4);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, "<foo/>\n", 7), 7);
    close(fd);
    struct cl_topo *t = NULL;
    char err[512] = "";
    int rc = cl_topo_open(&t, path, err, sizeof err);
    unlink(path);
    assert_int_equal(rc, -1);
    assert_null(t);
    assert_contains(err, path);
    assert_contains(err, "XML");
    cl_topo_close(NULL); /* accepted */
}

static void test_open_xml(void **state)
{
    (void)state;
    char *path = restricted_xml(SYN_PK2, "0x0000ffff", "0x0000ffff");
    struct cl_topo *t = open_ok(path);
    unlink(path);
    free(path);
    unsigned pk, co, pu;
    cl_topo_counts(t, &pk, NULL, &co, &pu);
    assert_int_equal(pk, 2);
    assert_int_equal(co, 8);
    assert_int_equal(pu, 16);
    assert_int_equal(cl_topo_is_this_system(t), 0);
    cl_topo_close(t);
}

/* ---- compact ------------------------------------------------------------ */

static void test_compact(void **state)
{
    (void)state;
    /* every core's first PU (cores in order), then the second PUs */
    static const int pk2_10[] = { 0, 2, 4, 6, 8, 10, 12, 14, 1, 3 };
    check_plan(SYN_PK2, CL_PIN_COMPACT, pk2_10, N_OF(pk2_10));
    static const int smt4_6[] = { 0, 4, 8, 12, 1, 5 };
    check_plan(SYN_SMT4, CL_PIN_COMPACT, smt4_6, N_OF(smt4_6));
    static const int two_3[] = { 0, 1, 0 }; /* wraps */
    check_plan(SYN_TWO, CL_PIN_COMPACT, two_3, N_OF(two_3));
    static const int big_3[] = { 0, 2, 4 };
    check_plan(SYN_BIG, CL_PIN_COMPACT, big_3, N_OF(big_3));
}

static void test_compact_wraps_after_all_pus(void **state)
{
    (void)state;
    struct cl_topo *t = open_ok(SYN_SMT4);
    struct cl_plan *p = plan_ok(t, CL_PIN_COMPACT, 40);
    for (unsigned w = 0; w < 16; w++) /* round w/4 of core w%4 */
        assert_int_equal(p->pu[w], (int)((w % 4) * 4 + w / 4));
    for (unsigned w = 16; w < 40; w++)
        assert_int_equal(p->pu[w], p->pu[w % 16]);
    cl_plan_free(p);
    cl_topo_close(t);
}

/* ---- scatter ------------------------------------------------------------ */

static void test_scatter_exact(void **state)
{
    (void)state;
    static const int pk2_2[] = { 0, 8 };     /* one per package */
    check_plan(SYN_PK2, CL_PIN_SCATTER, pk2_2, N_OF(pk2_2));
    static const int pk2_4[] = { 0, 4, 8, 12 };
    check_plan(SYN_PK2, CL_PIN_SCATTER, pk2_4, N_OF(pk2_4));
    /* 8 cores first, then siblings spread over both packages again */
    static const int pk2_10[] = { 0, 2, 4, 6, 8, 10, 12, 14, 1, 9 };
    check_plan(SYN_PK2, CL_PIN_SCATTER, pk2_10, N_OF(pk2_10));
    /* 16 PUs, then wrap to worker 0's PU */
    static const int pk2_18[] = { 0, 2, 4, 6, 8, 10, 12, 14,
                                  1, 3, 5, 7, 9, 11, 13, 15, 0, 2 };
    check_plan(SYN_PK2, CL_PIN_SCATTER, pk2_18, N_OF(pk2_18));
    static const int smt4_2[] = { 0, 8 };    /* cores 0 and 2 */
    check_plan(SYN_SMT4, CL_PIN_SCATTER, smt4_2, N_OF(smt4_2));
    static const int smt4_6[] = { 0, 4, 8, 12, 1, 9 };
    check_plan(SYN_SMT4, CL_PIN_SCATTER, smt4_6, N_OF(smt4_6));
    static const int two_3[] = { 0, 1, 0 };
    check_plan(SYN_TWO, CL_PIN_SCATTER, two_3, N_OF(two_3));
    static const int big_4[] = { 0, 32, 64, 96 }; /* one per NUMA node */
    check_plan(SYN_BIG, CL_PIN_SCATTER, big_4, N_OF(big_4));
    static const int big_2[] = { 0, 64 };
    check_plan(SYN_BIG, CL_PIN_SCATTER, big_2, N_OF(big_2));
}

static void test_scatter_big_properties(void **state)
{
    (void)state;
    hwloc_topology_t h = hw_synthetic(SYN_BIG);
    struct cl_topo *t = open_ok(SYN_BIG);

    /* 4 workers: one per NUMA node, 2 per package */
    struct cl_plan *p = plan_ok(t, CL_PIN_SCATTER, 4);
    unsigned numa_seen = 0, per_pkg[2] = { 0, 0 };
    for (unsigned w = 0; w < 4; w++) {
        numa_seen |= 1u << numa_of_pu(h, p->pu[w]);
        per_pkg[pkg_of(h, p->pu[w])]++;
    }
    assert_int_equal(numa_seen, 0xf);
    assert_int_equal(per_pkg[0], 2);
    assert_int_equal(per_pkg[1], 2);
    cl_plan_free(p);

    /* 24 workers: 6 per NUMA node, all on distinct cores, no SMT sibling */
    p = plan_ok(t, CL_PIN_SCATTER, 24);
    unsigned per_numa[4] = { 0 };
    uint64_t cores = 0;
    for (unsigned w = 0; w < 24; w++) {
        per_numa[numa_of_pu(h, p->pu[w])]++;
        unsigned c = core_of(h, p->pu[w]);
        assert_false(cores & (UINT64_C(1) << c));
        cores |= UINT64_C(1) << c;
        assert_int_equal(p->pu[w] % 2, 0); /* first PU of its core */
    }
    for (unsigned n = 0; n < 4; n++)
        assert_int_equal(per_numa[n], 6);
    assert_int_equal(p->pu[1], 4);
    cl_plan_free(p);

    /* 64 workers: every core exactly once, no sibling; the 65th is the first
     * sibling; 128: a permutation of all PUs; 130 wraps */
    p = plan_ok(t, CL_PIN_SCATTER, 130);
    struct cl_plan *p64 = plan_ok(t, CL_PIN_SCATTER, 64);
    struct cl_plan *p65 = plan_ok(t, CL_PIN_SCATTER, 65);
    unsigned char seen[128] = { 0 };
    for (unsigned w = 0; w < 64; w++) {
        assert_int_equal(p64->pu[w], 2 * w); /* core order */
        assert_int_equal(p65->pu[w], 2 * w);
    }
    assert_int_equal(p65->pu[64], 1);
    for (unsigned w = 0; w < 128; w++) {
        assert_in_range(p->pu[w], 0, 127);
        assert_int_equal(seen[p->pu[w]]++, 0);
        assert_int_equal(p->pu[w] % 2, w >= 64); /* siblings last */
    }
    assert_int_equal(p->pu[128], p->pu[0]);
    assert_int_equal(p->pu[129], p->pu[1]);
    cl_plan_free(p);
    cl_plan_free(p64);
    cl_plan_free(p65);
    cl_topo_close(t);
    hwloc_topology_destroy(h);
}

/* Uneven SMT (core 0 keeps 2 PUs, cores 1-3 one each): no sibling before
 * every core has a worker, and no PU twice before all are used. */
static void test_scatter_uneven_smt(void **state)
{
    (void)state;
    char *path = restricted_xml("pack:1 core:4 pu:2", "0x000000ff",
                                "0x00000057"); /* PUs 0,1,2,4,6 */
    struct cl_topo *t = open_ok(path);
    unlink(path);
    free(path);
    unsigned co, pu;
    cl_topo_counts(t, NULL, NULL, &co, &pu);
    assert_int_equal(co, 4);
    assert_int_equal(pu, 5);
    char *s = cl_topo_summary(t);
    assert_string_equal(s, "1 package, 1 NUMA node, 4 cores, 5 PUs "
                           "(SMT: 1-2 PUs per core)");
    free(s);
    static const int want[] = { 0, 2, 4, 6, 1, 0, 2 };
    struct cl_plan *p = plan_ok(t, CL_PIN_SCATTER, N_OF(want));
    expect_pus(p, want, N_OF(want));
    cl_plan_free(p);
    p = plan_ok(t, CL_PIN_COMPACT, N_OF(want));
    expect_pus(p, want, N_OF(want));
    cl_plan_free(p);
    cl_topo_close(t);
}

/* ---- list and none ------------------------------------------------------ */

static void test_list(void **state)
{
    (void)state;
    struct cl_topo *t = open_ok(SYN_PK2);
    int cpus[] = { 3, 1, 15 };
    struct cl_pinning pin = { CL_PIN_LIST, N_OF(cpus), cpus };
    struct cl_plan *p = NULL;
    char err[512] = "";
    assert_int_equal(cl_topo_plan(t, &pin, 7, &p, err, sizeof err), 0);
    static const int want[] = { 3, 1, 15, 3, 1, 15, 3 };
    expect_pus(p, want, N_OF(want));
    cl_plan_free(p);

    int bad[] = { 2, 16 };
    pin = (struct cl_pinning){ CL_PIN_LIST, N_OF(bad), bad };
    p = (struct cl_plan *)&p;
    assert_int_equal(cl_topo_plan(t, &pin, 2, &p, err, sizeof err), -1);
    assert_null(p);
    assert_contains(err, "PU 16");
    assert_contains(err, "0-15");

    int neg[] = { -1 };
    pin = (struct cl_pinning){ CL_PIN_LIST, N_OF(neg), neg };
    assert_int_equal(cl_topo_plan(t, &pin, 1, &p, err, sizeof err), -1);
    assert_contains(err, "PU -1");

    pin = (struct cl_pinning){ CL_PIN_LIST, 0, NULL };
    assert_int_equal(cl_topo_plan(t, &pin, 1, &p, err, sizeof err), -1);
    assert_contains(err, "empty");
    cl_topo_close(t);
}

/* PUs outside the allowed cpuset (a cgroup, a Slurm allocation) are never
 * planned, and naming one is an error. */
static void test_disallowed_pus(void **state)
{
    (void)state;
    char *path = restricted_xml("pack:1 core:4 pu:1", "0x0000000f",
                                "0x00000005"); /* PUs 0 and 2 */
    struct cl_topo *t = open_ok(path);
    unlink(path);
    free(path);
    unsigned pu;
    cl_topo_counts(t, NULL, NULL, NULL, &pu);
    assert_int_equal(pu, 2);
    static const int want[] = { 0, 2, 0 };
    struct cl_plan *p = plan_ok(t, CL_PIN_COMPACT, 3);
    expect_pus(p, want, 3);
    cl_plan_free(p);
    p = plan_ok(t, CL_PIN_SCATTER, 3);
    expect_pus(p, want, 3);
    cl_plan_free(p);

    int cpus[] = { 2, 1 };
    struct cl_pinning pin = { CL_PIN_LIST, N_OF(cpus), cpus };
    char err[512] = "";
    assert_int_equal(cl_topo_plan(t, &pin, 2, &p, err, sizeof err), -1);
    assert_contains(err, "PU 1");
    assert_contains(err, "0,2");
    cl_topo_close(t);
}

static void test_none(void **state)
{
    (void)state;
    struct cl_topo *t = open_ok(SYN_PK2);
    struct cl_plan *p = plan_ok(t, CL_PIN_NONE, 5);
    assert_int_equal(p->pinned, 0);
    for (unsigned w = 0; w < 5; w++) {
        assert_int_equal(p->pu[w], -1);
        assert_int_equal(cl_plan_bind(t, p, w), 0); /* no-op */
    }
    errno = 0;
    assert_int_equal(cl_plan_bind(t, p, 5), -1); /* no such worker */
    assert_int_equal(errno, EINVAL);
    cl_plan_free(p);
    cl_plan_free(NULL);
    cl_topo_close(t);
}

static void test_bind_synthetic_refused(void **state)
{
    (void)state;
    cpu_set_t before, after;
    assert_int_equal(sched_getaffinity(0, sizeof before, &before), 0);
    struct cl_topo *t = open_ok(SYN_TWO);
    struct cl_plan *p = plan_ok(t, CL_PIN_COMPACT, 2);
    errno = 0;
    assert_int_equal(cl_plan_bind(t, p, 1), -1);
    assert_int_equal(errno, EINVAL);
    errno = 0;
    assert_int_equal(cl_plan_bind(NULL, p, 0), -1); /* the plan knows too */
    assert_int_equal(errno, EINVAL);
    assert_int_equal(sched_getaffinity(0, sizeof after, &after), 0);
    assert_true(CPU_EQUAL(&before, &after));
    cl_plan_free(p);
    cl_topo_close(t);
}

/* ---- this machine ------------------------------------------------------- */

struct bind_arg {
    const struct cl_topo *t;
    const struct cl_plan *p;
    unsigned w;
    int rc, err, cpu, cpus_in_mask;
};

static void *bind_thread(void *arg)
{
    struct bind_arg *a = arg;
    cpu_set_t set;
    a->rc = cl_plan_bind(a->t, a->p, a->w);
    a->err = errno;
    for (int i = 0; i < 1000; i++) /* give the scheduler a chance to move us */
        sched_yield();
    a->cpu = sched_getcpu();
    a->cpus_in_mask = sched_getaffinity(0, sizeof set, &set) == 0
                          ? CPU_COUNT(&set) : -1;
    return NULL;
}

static void test_bind_this_machine(void **state)
{
    (void)state;
    struct cl_topo *t = open_ok(NULL);
    assert_int_equal(cl_topo_is_this_system(t), 1);
    unsigned npus;
    cl_topo_counts(t, NULL, NULL, NULL, &npus);
    assert_true(npus >= 1);
    struct cl_plan *p = plan_ok(t, CL_PIN_COMPACT, 2);
    if (npus >= 2)
        assert_int_not_equal(p->pu[0], p->pu[1]);
    else
        assert_int_equal(p->pu[0], p->pu[1]);

    cpu_set_t before, after;
    assert_int_equal(sched_getaffinity(0, sizeof before, &before), 0);
    struct bind_arg args[2];
    pthread_t th[2];
    for (unsigned w = 0; w < 2; w++) {
        args[w] = (struct bind_arg){ t, p, w, -2, 0, -1, -1 };
        assert_int_equal(pthread_create(&th[w], NULL, bind_thread, &args[w]), 0);
    }
    for (unsigned w = 0; w < 2; w++) {
        assert_int_equal(pthread_join(th[w], NULL), 0);
        if (args[w].rc != 0)
            fail_msg("bind worker %u: %s", w, strerror(args[w].err));
        assert_int_equal(args[w].cpu, p->pu[w]);
        assert_int_equal(args[w].cpus_in_mask, 1);
    }
    /* threads were bound, not the process */
    assert_int_equal(sched_getaffinity(0, sizeof after, &after), 0);
    assert_true(CPU_EQUAL(&before, &after));

    /* a freshly forked child binds itself */
    unsigned w = npus >= 2 ? 1 : 0;
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        if (cl_plan_bind(t, p, w) != 0)
            _exit(2);
        for (int i = 0; i < 1000; i++)
            sched_yield();
        _exit(sched_getcpu() == p->pu[w] ? 0 : 3);
    }
    int status;
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);

    /* an explicit list on this machine: the last allowed PU */
    int last = p->pu[npus >= 2 ? 1 : 0];
    struct cl_pinning pin = { CL_PIN_LIST, 1, &last };
    struct cl_plan *lp = NULL;
    char err[256];
    assert_int_equal(cl_topo_plan(t, &pin, 1, &lp, err, sizeof err), 0);
    struct bind_arg a = { t, lp, 0, -2, 0, -1, -1 };
    pthread_t one;
    assert_int_equal(pthread_create(&one, NULL, bind_thread, &a), 0);
    assert_int_equal(pthread_join(one, NULL), 0);
    assert_int_equal(a.rc, 0);
    assert_int_equal(a.cpu, last);
    cl_plan_free(lp);
    cl_plan_free(p);
    cl_topo_close(t);
}

/* ---- pinning text ------------------------------------------------------- */

static void test_pinning_parse(void **state)
{
    (void)state;
    struct cl_pinning pin;
    char err[256];
    assert_int_equal(cl_pinning_parse("scatter", &pin, err, sizeof err), 0);
    assert_int_equal(pin.kind, CL_PIN_SCATTER);
    assert_int_equal(cl_pinning_parse("none", &pin, err, sizeof err), 0);
    assert_int_equal(pin.kind, CL_PIN_NONE);
    assert_int_equal(cl_pinning_parse("compact", &pin, err, sizeof err), 0);
    assert_int_equal(pin.kind, CL_PIN_COMPACT);
    assert_null(pin.cpus);

    assert_int_equal(cl_pinning_parse("4, 0-2,4", &pin, err, sizeof err), 0);
    assert_int_equal(pin.kind, CL_PIN_LIST);
    static const int want[] = { 4, 0, 1, 2, 4 };
    assert_int_equal(pin.n, N_OF(want));
    assert_memory_equal(pin.cpus, want, sizeof want);
    free(pin.cpus);

    static const char *const bad[] = { "", "x", "1,", ",1", "1,,2", "3-1",
                                       "1-", "-1", "1 2", "Compact",
                                       "99999999999", "0-100000" };
    for (size_t i = 0; i < N_OF(bad); i++) {
        err[0] = '\0';
        if (cl_pinning_parse(bad[i], &pin, err, sizeof err) != -1)
            fail_msg("\"%s\" was accepted", bad[i]);
        assert_null(pin.cpus);
        assert_contains(err, bad[i]);
    }
}

/* ---- `conlab topology` --------------------------------------------------- */

static void test_cmd_ok(void **state)
{
    (void)state;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);

    RUN(r, "--input", "pack:2 numa:2 core:16 pu:2", "--workers", "24",
        "--pinning", "scatter");
    assert_int_equal(r->status, 0);
    assert_string_equal(r->err, "");
    assert_contains(r->out, "2 packages, 4 NUMA nodes, 64 cores, 128 PUs");
    assert_contains(r->out, "package 1: 32 cores, PUs 64-127");
    assert_contains(r->out, "cores 48-63: PUs 96,97  98,99  ...  126,127");
    assert_contains(r->out, "worker 0 -> PU 0 (core 0, package 0, NUMA 0)\n");
    assert_contains(r->out, "worker 1 -> PU 4 (core 2, package 0, NUMA 0)\n");
    assert_contains(r->out, "worker 6 -> PU 32 (core 16, package 0, NUMA 1)\n");
    assert_contains(r->out, "worker 23 -> PU 122 (core 61, package 1, NUMA 3)\n");
    assert_null(strstr(r->out, "worker 24 "));

    RUN(r, "-i", "core:2 pu:1", "-p", "1,0", "-w", "3");
    assert_int_equal(r->status, 0);
    assert_contains(r->out, "1 package, 1 NUMA node, 2 cores, 2 PUs (no SMT)");
    assert_contains(r->out, "core 0: PU 0   core 1: PU 1\n");
    assert_contains(r->out, "worker 0 -> PU 1 (core 1, package 0, NUMA 0)\n"
                            "worker 1 -> PU 0 (core 0, package 0, NUMA 0)\n"
                            "worker 2 -> PU 1 (core 1, package 0, NUMA 0)\n");
    assert_contains(r->out, "wraps");

    RUN(r, "--input=pack:2 core:4 pu:2", "--pinning=none", "--workers=2");
    assert_int_equal(r->status, 0);
    assert_contains(r->out, "worker 1 -> not pinned (any of PUs 0-15)\n");

    RUN(r, "--input", "pack:1 core:4 pu:4", "--pinning", "compact");
    assert_int_equal(r->status, 0); /* one worker per PU */
    assert_contains(r->out, "plan: 16 workers, pinning compact");
    assert_contains(r->out, "worker 15 -> PU 15 (core 3, package 0, NUMA 0)\n");

    RUN(r, "--help");
    assert_int_equal(r->status, 0);
    assert_contains(r->out, "usage: conlab topology");
    assert_contains(r->out, "scatter");
    assert_contains(r->out, "pack:2 numa:2 core:16 pu:2");

    char *only[] = { "topology", NULL }; /* this machine */
    run_cmd(r, 1, only);
    assert_int_equal(r->status, 0);
    assert_contains(r->out, "this machine: ");
    assert_contains(r->out, "package 0");
    free(r);
}

static void test_cmd_errors(void **state)
{
    (void)state;
    struct run *r = malloc(sizeof *r);
    assert_non_null(r);
    static const struct {
        const char *a1, *a2;
        int status;
        const char *mention;
    } cases[] = {
        { "--bogus", NULL, 2, "--bogus" },
        { "--workers", NULL, 2, "--workers" },
        { "--workers", "0", 2, "'0'" },
        { "--workers", "many", 2, "'many'" },
        { "--workers", "3x", 2, "'3x'" },
        { "--workers", "-3", 2, "'-3'" },
        { "--pinning", "sideways", 2, "sideways" },
        { "--pinning", "0,,1", 2, "0,,1" },
        { "stray", NULL, 2, "stray" },
        { "--input", "pack:2 bogus:3", 1, "pack:2 bogus:3" },
        { "--input", "/nonexistent/m.xml", 1, "/nonexistent/m.xml" },
    };
    for (size_t i = 0; i < N_OF(cases); i++) {
        char *argv[] = { "topology", (char *)cases[i].a1, (char *)cases[i].a2,
                         NULL };
        run_cmd(r, cases[i].a2 ? 3 : 2, argv);
        if (r->status != cases[i].status)
            fail_msg("%s %s: status %d, expected %d", cases[i].a1,
                     cases[i].a2 ? cases[i].a2 : "", r->status,
                     cases[i].status);
        assert_contains(r->err, "conlab topology: ");
        assert_contains(r->err, cases[i].mention);
        if (cases[i].status == 2) {
            assert_contains(r->err, "usage:");
            assert_string_equal(r->out, "");
        }
    }
    RUN(r, "--input", "pack:2 core:4 pu:2", "--pinning", "3,16");
    assert_int_equal(r->status, 1);
    assert_contains(r->err, "PU 16");
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_open_synthetic_counts),
        cmocka_unit_test(test_open_errors),
        cmocka_unit_test(test_open_xml),
        cmocka_unit_test(test_compact),
        cmocka_unit_test(test_compact_wraps_after_all_pus),
        cmocka_unit_test(test_scatter_exact),
        cmocka_unit_test(test_scatter_big_properties),
        cmocka_unit_test(test_scatter_uneven_smt),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_disallowed_pus),
        cmocka_unit_test(test_none),
        cmocka_unit_test(test_bind_synthetic_refused),
        cmocka_unit_test(test_bind_this_machine),
        cmocka_unit_test(test_pinning_parse),
        cmocka_unit_test(test_cmd_ok),
        cmocka_unit_test(test_cmd_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

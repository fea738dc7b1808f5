/* calibrate.c — see calibrate.h. */
#include "calibrate.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <json-c/json.h>

#include "cli.h"
#include "stats.h"
#include "util.h"

/* ---- the floors: names, what they are, why they matter ------------------------ */

static const struct {
    const char *key, *what, *why;
} floors[CL_FLOOR_COUNT] = {
    [CL_FLOOR_CLOCK_READ] = {
        "clock_read", "clock_gettime(CLOCK_MONOTONIC), one call",
        "What every timestamp costs (vDSO, no system call on most machines).\n"
        "Nothing conlab times can be resolved below it; a task of a few clock\n"
        "reads measures the clock."},
    [CL_FLOOR_SYSCALL] = {
        "syscall", "getppid(2), a system call that does nothing",
        "The least any system call costs: the entry into the kernel and back\n"
        "(a trap to the hypervisor too on some VMs, where it can be 30x a\n"
        "bare-metal machine's).  Every wait, read, write, connect and epoll_ctl\n"
        "of a task pays it: an HTTP request over a fresh connection makes\n"
        "about 20 system calls in libcurl."},
    [CL_FLOOR_PAGE_TOUCH] = {
        "page_first_touch", "first write to a fresh anonymous page (per page)",
        "A page fault: the kernel zeroes and maps a page.  New stacks, heaps\n"
        "and buffers pay it once per page; a strategy that creates workers per\n"
        "task pays it per task (a 64 KiB stack is 16 pages)."},
    [CL_FLOOR_THREAD_SPAWN] = {
        "thread_create_join", "pthread_create + pthread_join of an empty thread",
        "The least a thread-per-task strategy pays per task; a pool pays it\n"
        "once per worker.  Tasks shorter than this favour pools and loops."},
    [CL_FLOOR_FORK_WAIT] = {
        "fork_wait", "fork + waitpid of a child that exits at once",
        "The least a process-per-task strategy pays per task (page tables are\n"
        "copied, so it grows with the parent's memory)."},
    [CL_FLOOR_SWITCH_THREADS] = {
        "switch_threads", "context switch between two threads on one CPU",
        "Half a pipe ping-pong round trip with both threads pinned to one CPU:\n"
        "what handing work from one blocked thread to another costs.  More\n"
        "runnable workers than CPUs pay it on every hand-over."},
    [CL_FLOOR_SWITCH_PROCESSES] = {
        "switch_processes", "context switch between two processes on one CPU",
        "The same ping-pong between two processes: a switch of address space\n"
        "too (TLB), the hand-over cost of process workers."},
    [CL_FLOOR_SLEEP_OVERSHOOT] = {
        "sleep_overshoot", "how late a 100 µs clock_nanosleep returns",
        "Timer slack plus the wake-up: every sleep, timeout and timed wait is\n"
        "late by about this much, so a task that sleeps D takes D plus this.\n"
        "Sleep-bound cells below D + this floor are impossible; far above it,\n"
        "the strategy is what costs."},
    [CL_FLOOR_WAKE_CROSS_CPU] = {
        "wake_cross_cpu", "pipe write to wake-up of a thread on another CPU",
        "A thread pinned to a second CPU, blocked in read(2), timed from the\n"
        "write to its first clock read awake (both ends read CLOCK_MONOTONIC).\n"
        "Includes the idle CPU's exit from its sleep state: the latency of\n"
        "every queue, condition variable or futex hand-over across CPUs.\n"
        "n/a when only one CPU is usable."},
};

const char *cl_floor_what(enum cl_floor_id id)
{
    return (unsigned)id < CL_FLOOR_COUNT ? floors[id].what : NULL;
}

/* ---- the probe loop ------------------------------------------------------------ */

#define WARMUP 3      /* samples taken and thrown away first */
#define MIN_SAMPLES 5 /* kept even when the budget is spent */

/* One sample: 0 and *ns set, or the name of the call that failed (errno set). */
typedef const char *(*sample_fn)(void *ctx, double *ns);

struct budget {
    uint64_t ns;
    size_t max;
};

static void fail(struct cl_floor *fl, const char *call, int err)
{
    fl->status = CL_FLOOR_FAILED;
    snprintf(fl->reason, sizeof fl->reason, "%s: %s", call, strerror(err));
}

/* Take samples of fn until the budget is spent, then keep their median and
 * dispersion in *fl. */
static void probe(struct cl_floor *fl, const struct budget *b, sample_fn fn, void *ctx)
{
    double *x = cl_xmalloc(b->max * sizeof *x), ns;
    size_t n = 0;
    uint64_t t0 = cl_now_ns();
    const char *failed = NULL;
    for (int i = 0; i < WARMUP && !failed; i++)
        failed = fn(ctx, &ns);
    while (!failed && n < b->max && (n < MIN_SAMPLES || cl_now_ns() - t0 < b->ns))
        if (!(failed = fn(ctx, &ns)))
            x[n++] = ns;
    if (failed) {
        fail(fl, failed, errno);
    } else {
        cl_sort_doubles(x, n);
        fl->status = CL_FLOOR_OK;
        fl->samples = n;
        fl->median_ns = cl_quantile_sorted(x, n, 0.5);
        fl->p10_ns = cl_quantile_sorted(x, n, 0.1);
        fl->p90_ns = cl_quantile_sorted(x, n, 0.9);
    }
    free(x);
}

/* ---- the probes that need no partner ------------------------------------------- */

#define CLOCK_BATCH 256

static const char *sample_clock(void *ctx, double *ns)
{
    struct timespec ts;
    uint64_t sum = 0, t0 = cl_now_ns();
    for (int i = 0; i < CLOCK_BATCH; i++) {
        clock_gettime(CLOCK_MONOTONIC, &ts);
        sum += (uint64_t)ts.tv_nsec;
    }
    uint64_t t1 = cl_now_ns();
    *(volatile uint64_t *)ctx = sum; /* the calls are not optimised away */
    *ns = (double)(t1 - t0) / CLOCK_BATCH;
    return NULL;
}

#define SYSCALL_BATCH 64

static const char *sample_syscall(void *ctx, double *ns)
{
    (void)ctx;
    uint64_t t0 = cl_now_ns();
    for (int i = 0; i < SYSCALL_BATCH; i++)
        (void)syscall(SYS_getppid); /* glibc's getppid() is a system call too */
    *ns = (double)(cl_now_ns() - t0) / SYSCALL_BATCH;
    return NULL;
}

#define TOUCH_PAGES 32 /* 128 KiB with 4 KiB pages: never a transparent huge page */

static const char *sample_page(void *ctx, double *ns)
{
    size_t page = *(const size_t *)ctx, len = TOUCH_PAGES * page;
    char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return "mmap";
    madvise(p, len, MADV_NOHUGEPAGE);
    uint64_t t0 = cl_now_ns();
    for (size_t off = 0; off < len; off += page)
        ((volatile char *)p)[off] = 1;
    uint64_t t1 = cl_now_ns();
    munmap(p, len);
    *ns = (double)(t1 - t0) / TOUCH_PAGES;
    return NULL;
}

static void *empty_thread(void *arg)
{
    return arg;
}

static const char *sample_thread(void *ctx, double *ns)
{
    (void)ctx;
    pthread_t t;
    uint64_t t0 = cl_now_ns();
    int rc = pthread_create(&t, NULL, empty_thread, NULL);
    if (rc != 0) {
        errno = rc;
        return "pthread_create";
    }
    pthread_join(t, NULL);
    *ns = (double)(cl_now_ns() - t0);
    return NULL;
}

static const char *sample_fork(void *ctx, double *ns)
{
    (void)ctx;
    uint64_t t0 = cl_now_ns();
    pid_t pid = fork();
    if (pid < 0)
        return "fork";
    if (pid == 0)
        _exit(0);
    while (waitpid(pid, NULL, 0) < 0)
        if (errno != EINTR)
            return "waitpid";
    *ns = (double)(cl_now_ns() - t0);
    return NULL;
}

#define SLEEP_NS 100000 /* the 100 us sleep */

static const char *sample_sleep(void *ctx, double *ns)
{
    (void)ctx;
    struct timespec now, until;
    clock_gettime(CLOCK_MONOTONIC, &now);
    uint64_t t0 = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec,
             end = t0 + SLEEP_NS;
    until.tv_sec = (time_t)(end / 1000000000u);
    until.tv_nsec = (long)(end % 1000000000u);
    int rc;
    while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &until, NULL)) == EINTR)
        ;
    if (rc != 0) {
        errno = rc;
        return "clock_nanosleep";
    }
    *ns = (double)(cl_now_ns() - end);
    return NULL;
}

/* ---- ping-pong over pipes: a partner thread or process ------------------------- */

/* The partner's end: it reads a 64-bit word from `in` and writes one back on
 * `out` until `in` reaches EOF.  It writes back the word itself (an echo), or,
 * with stamp set, the nanoseconds from that word (the writer's clock) to its
 * own wake-up.  Only read, write and the clock: safe in a forked child. */
struct partner {
    int in, out, stamp, cpu; /* cpu >= 0: pin to it first */
};

static void partner_loop(const struct partner *p)
{
    uint64_t v;
    while (read(p->in, &v, sizeof v) == (ssize_t)sizeof v) {
        if (p->stamp)
            v = cl_now_ns() - v;
        if (write(p->out, &v, sizeof v) != (ssize_t)sizeof v)
            break;
    }
}

static void *partner_thread(void *arg)
{
    const struct partner *p = arg;
    if (p->cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(p->cpu, &one);
        sched_setaffinity(0, sizeof one, &one);
    }
    partner_loop(p);
    return NULL;
}

/* The caller's end: two pipes and the partner. */
struct pingpong {
    int to[2], from[2];
    struct partner part;
    pid_t pid;        /* a process partner, or 0 */
    pthread_t thread; /* a thread partner when pid is 0 */
};

static const char *pingpong_open(struct pingpong *pp, int process, int stamp, int cpu)
{
    pp->to[0] = pp->to[1] = pp->from[0] = pp->from[1] = -1;
    pp->pid = 0;
    if (pipe(pp->to) != 0 || pipe(pp->from) != 0)
        return "pipe";
    pp->part = (struct partner){pp->to[0], pp->from[1], stamp, cpu};
    if (process) {
        pp->pid = fork();
        if (pp->pid < 0)
            return "fork";
        if (pp->pid == 0) {
            close(pp->to[1]);
            close(pp->from[0]);
            partner_loop(&pp->part);
            _exit(0);
        }
        return NULL;
    }
    int rc = pthread_create(&pp->thread, NULL, partner_thread, &pp->part);
    if (rc != 0) {
        errno = rc;
        return "pthread_create";
    }
    return NULL;
}

/* EOF to the partner, wait for it (when started), close everything. */
static void pingpong_close(struct pingpong *pp, int started)
{
    if (pp->to[1] >= 0)
        close(pp->to[1]);
    if (started && pp->pid > 0) {
        while (waitpid(pp->pid, NULL, 0) < 0 && errno == EINTR)
            ;
    } else if (started) {
        pthread_join(pp->thread, NULL);
    }
    int rest[] = {pp->to[0], pp->from[0], pp->from[1]};
    for (int i = 0; i < 3; i++)
        if (rest[i] >= 0)
            close(rest[i]);
}

/* One round trip: half of it is one switch. */
static const char *sample_switch(void *ctx, double *ns)
{
    const struct pingpong *pp = ctx;
    uint64_t v = 0, t0 = cl_now_ns();
    if (write(pp->to[1], &v, sizeof v) != (ssize_t)sizeof v)
        return "write";
    if (read(pp->from[0], &v, sizeof v) != (ssize_t)sizeof v)
        return "read";
    *ns = (double)(cl_now_ns() - t0) / 2;
    return NULL;
}

/* The partner, pinned to another CPU, stamps its wake-up.  It is given time
 * to block again first, so every sample wakes a sleeping thread. */
static const char *sample_wake(void *ctx, double *ns)
{
    const struct pingpong *pp = ctx;
    struct timespec settle = {0, 50000};
    nanosleep(&settle, NULL);
    uint64_t v = cl_now_ns();
    if (write(pp->to[1], &v, sizeof v) != (ssize_t)sizeof v)
        return "write";
    if (read(pp->from[0], &v, sizeof v) != (ssize_t)sizeof v)
        return "read";
    *ns = (double)v;
    return NULL;
}

/* A ping-pong probe: the caller pinned to CPU `here` (its partner inherits
 * that unless given `there`), the old affinity restored afterwards. */
static void probe_pingpong(struct cl_floor *fl, const struct budget *b, int process,
                           int here, int there, const cpu_set_t *old)
{
    cpu_set_t one;
    CPU_ZERO(&one);
    CPU_SET(here, &one);
    sched_setaffinity(0, sizeof one, &one); /* unpinned if refused: still a floor */
    struct pingpong pp;
    int stamp = there >= 0;
    const char *failed = pingpong_open(&pp, process, stamp, there);
    if (failed)
        fail(fl, failed, errno);
    else
        probe(fl, b, stamp ? sample_wake : sample_switch, &pp);
    pingpong_close(&pp, !failed);
    sched_setaffinity(0, sizeof *old, old);
}

/* ---- cl_calibrate --------------------------------------------------------------- */

void cl_floors_init(struct cl_floors *f)
{
    memset(f, 0, sizeof *f);
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        struct cl_floor *fl = &f->floor[i];
        fl->key = floors[i].key;
        fl->status = CL_FLOOR_NA;
        snprintf(fl->reason, sizeof fl->reason, "not recorded");
        fl->median_ns = fl->p10_ns = fl->p90_ns = NAN;
    }
    f->cpus = -1;
    f->elapsed_s = NAN;
}

int cl_floors_set(struct cl_floors *f, const char *key, double value)
{
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        struct cl_floor *fl = &f->floor[i];
        size_t len = strlen(floors[i].key);
        if (strncmp(key, floors[i].key, len) != 0)
            continue;
        const char *part = key + len;
        if (!*part) {
            fl->status = isfinite(value) ? CL_FLOOR_OK : CL_FLOOR_NA;
            snprintf(fl->reason, sizeof fl->reason, "%s",
                     isfinite(value) ? "" : "n/a when recorded");
            fl->median_ns = value;
        } else if (!strcmp(part, ".p10")) {
            fl->p10_ns = value;
        } else if (!strcmp(part, ".p90")) {
            fl->p90_ns = value;
        } else if (!strcmp(part, ".samples")) {
            fl->samples = isfinite(value) && value >= 0 ? (size_t)value : 0;
        } else {
            continue;
        }
        return 0;
    }
    return -1;
}

int cl_calibrate(struct cl_floors *out, const struct cl_calibrate_opts *o)
{
    static const struct cl_calibrate_opts defaults = {0};
    if (!o)
        o = &defaults;
    struct budget b = {
        .ns = (uint64_t)((o->probe_budget_ms > 0 ? o->probe_budget_ms
                                                 : o->quick ? 20 : 120) * 1e6),
        .max = o->max_samples ? o->max_samples : o->quick ? 100 : 1000,
    };
    if (b.max < MIN_SAMPLES)
        b.max = MIN_SAMPLES;
    uint64_t t0 = cl_now_ns();
    cl_floors_init(out);
    for (int i = 0; i < CL_FLOOR_COUNT; i++) { /* each probe says otherwise */
        out->floor[i].status = CL_FLOOR_OK;
        out->floor[i].reason[0] = '\0';
    }
    out->cpus = 0;
    struct cl_floor *f = out->floor;

    uint64_t sink = 0;
    probe(&f[CL_FLOOR_CLOCK_READ], &b, sample_clock, &sink);
    probe(&f[CL_FLOOR_SYSCALL], &b, sample_syscall, NULL);
    long page = sysconf(_SC_PAGESIZE);
    size_t pagesize = page > 0 ? (size_t)page : 4096;
    probe(&f[CL_FLOOR_PAGE_TOUCH], &b, sample_page, &pagesize);
    probe(&f[CL_FLOOR_THREAD_SPAWN], &b, sample_thread, NULL);
    probe(&f[CL_FLOOR_FORK_WAIT], &b, sample_fork, NULL);
    probe(&f[CL_FLOOR_SLEEP_OVERSHOOT], &b, sample_sleep, NULL);

    /* the CPUs this thread may use: the first for both ping-pong ends, the
     * first and second for the wake-up */
    cpu_set_t old;
    int cpu[2] = {-1, -1}, n = 0;
    if (sched_getaffinity(0, sizeof old, &old) != 0) {
        fail(&f[CL_FLOOR_SWITCH_THREADS], "sched_getaffinity", errno);
        fail(&f[CL_FLOOR_SWITCH_PROCESSES], "sched_getaffinity", errno);
        fail(&f[CL_FLOOR_WAKE_CROSS_CPU], "sched_getaffinity", errno);
    } else {
        out->cpus = CPU_COUNT(&old);
        for (int c = 0; c < CPU_SETSIZE && n < 2; c++)
            if (CPU_ISSET(c, &old))
                cpu[n++] = c;
        probe_pingpong(&f[CL_FLOOR_SWITCH_THREADS], &b, 0, cpu[0], -1, &old);
        probe_pingpong(&f[CL_FLOOR_SWITCH_PROCESSES], &b, 1, cpu[0], -1, &old);
        if (n < 2) {
            f[CL_FLOOR_WAKE_CROSS_CPU].status = CL_FLOOR_NA;
            snprintf(f[CL_FLOOR_WAKE_CROSS_CPU].reason,
                     sizeof f[CL_FLOOR_WAKE_CROSS_CPU].reason,
                     "only one CPU is usable (sched_getaffinity)");
        } else {
            probe_pingpong(&f[CL_FLOOR_WAKE_CROSS_CPU], &b, 0, cpu[0], cpu[1], &old);
        }
    }
    out->elapsed_s = (double)(cl_now_ns() - t0) / 1e9;
    int failed = 0;
    for (int i = 0; i < CL_FLOOR_COUNT; i++)
        failed += f[i].status == CL_FLOOR_FAILED;
    return failed;
}

/* ---- output --------------------------------------------------------------------- */

static const char *status_name(enum cl_floor_status s)
{
    return s == CL_FLOOR_OK ? "ok" : s == CL_FLOOR_NA ? "n/a" : "failed";
}

/* Nanoseconds with three significant digits and a unit that fits, padded
 * to width columns (µs is two bytes, one column), on the left or right. */
static void put_ns(FILE *out, double ns, int width, int left)
{
    char buf[32];
    if (ns < 1e3)
        snprintf(buf, sizeof buf, "%.3g ns", ns);
    else if (ns < 1e6)
        snprintf(buf, sizeof buf, "%.3g µs", ns / 1e3);
    else
        snprintf(buf, sizeof buf, "%.3g ms", ns / 1e6);
    int cols = 0;
    for (const char *s = buf; *s; s++)
        cols += ((unsigned char)*s & 0xc0) != 0x80;
    fprintf(out, "%*s%s%*s", left ? 0 : width - cols, "", buf, left ? width - cols : 0, "");
}

void cl_floors_print(FILE *out, const struct cl_floors *f)
{
    fprintf(out, "machine floors: %d CPU%s usable, measured in %.2f s "
                 "(median, p10 .. p90 over n samples)\n",
            f->cpus, f->cpus == 1 ? "" : "s", f->elapsed_s);
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        const struct cl_floor *fl = &f->floor[i];
        if (fl->status != CL_FLOOR_OK) {
            fprintf(out, "  %-18s  %9s   %s\n", fl->key, status_name(fl->status), fl->reason);
            continue;
        }
        fprintf(out, "  %-18s  ", fl->key);
        put_ns(out, fl->median_ns, 9, 0);
        fputs("   ", out);
        put_ns(out, fl->p10_ns, 9, 0);
        fputs(" .. ", out);
        put_ns(out, fl->p90_ns, 9, 1);
        fprintf(out, "  n=%-5zu  %s\n", fl->samples, floors[i].what);
    }
}

void cl_floors_each(const struct cl_floors *f,
                    void (*kv)(void *ctx, const char *key, double value,
                               const char *unit),
                    void *ctx)
{
    char key[64];
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        const struct cl_floor *fl = &f->floor[i];
        if (fl->status != CL_FLOOR_OK) {
            kv(ctx, fl->key, NAN, "n/a");
            continue;
        }
        kv(ctx, fl->key, fl->median_ns, "ns");
        snprintf(key, sizeof key, "%s.p10", fl->key);
        kv(ctx, key, fl->p10_ns, "ns");
        snprintf(key, sizeof key, "%s.p90", fl->key);
        kv(ctx, key, fl->p90_ns, "ns");
        snprintf(key, sizeof key, "%s.samples", fl->key);
        kv(ctx, key, (double)fl->samples, "count");
    }
}

/* A number with `decimals` decimals in the JSON text. */
static json_object *json_fixed(double x, int decimals)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.*f", decimals, x);
    return json_object_new_double_s(x, buf);
}

static int print_json(FILE *out, const struct cl_floors *f)
{
    json_object *root = json_object_new_object(), *all = json_object_new_object();
    json_object_object_add(root, "cpus", json_object_new_int(f->cpus));
    json_object_object_add(root, "elapsed_s", json_fixed(f->elapsed_s, 3));
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        const struct cl_floor *fl = &f->floor[i];
        json_object *o = json_object_new_object();
        json_object_object_add(o, "what", json_object_new_string(floors[i].what));
        json_object_object_add(o, "status", json_object_new_string(status_name(fl->status)));
        if (fl->status == CL_FLOOR_OK) {
            json_object_object_add(o, "median_ns", json_fixed(fl->median_ns, 1));
            json_object_object_add(o, "p10_ns", json_fixed(fl->p10_ns, 1));
            json_object_object_add(o, "p90_ns", json_fixed(fl->p90_ns, 1));
            json_object_object_add(o, "samples", json_object_new_int64((int64_t)fl->samples));
        } else {
            json_object_object_add(o, "reason", json_object_new_string(fl->reason));
        }
        json_object_object_add(all, fl->key, o);
    }
    json_object_object_add(root, "floors", all);
    int rc = fprintf(out, "%s\n",
                     json_object_to_json_string_ext(root, JSON_C_TO_STRING_PRETTY |
                                                              JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(root);
    return rc < 0 ? -1 : 0;
}

/* ---- the command ---------------------------------------------------------------- */

static const char calibrate_usage[] =
    "usage: conlab calibrate [--format text|json] [--quick]\n";

static const char calibrate_help[] =
    "\n"
    "Measures the machine's floors: what the kernel and the C library charge\n"
    "for the acts every strategy is made of.  Each floor is the median over\n"
    "many samples, with the 10th and 90th percentiles (a wide spread means a\n"
    "busy or frequency-scaling machine).  Each probe stops after 1000 samples\n"
    "or 120 ms, so the whole takes about a second (--quick: a fifth of that).\n"
    "\n"
    "Why: a cell whose time per task is near a floor measures the machine,\n"
    "not the strategy.  A task that sleeps 100 µs takes 100 µs plus\n"
    "sleep_overshoot under any strategy; a thread per 20 µs task spends\n"
    "more than that on thread_create_join.\n"
    "\n"
    "`conlab run --calibrate` (or `calibrate: true` in the spec) measures them\n"
    "before the first cell and records them in run.yaml (floors:, in ns); the\n"
    "report then notes every cell where starting its workers (thread create +\n"
    "join, or fork + wait, times the workers) and the sleep overshoot of the\n"
    "sleeps a worker takes in a row add up to half its median wall time or\n"
    "more: such a cell measures the machine, not the strategy.\n"
    "\n"
    "options:\n"
    "  --format F   text (default): a table; json: one object, floors.KEY has\n"
    "               status (ok, n/a, failed), median_ns, p10_ns, p90_ns and\n"
    "               samples, or a reason\n"
    "  -q, --quick  20 ms and at most 100 samples per probe\n"
    "  -h, --help   this text\n"
    "\n"
    "exit status: 0; 2 on a usage error; 3 when a floor could not be measured\n"
    "(a system call failed: printed with the reason).  A floor that does not\n"
    "apply (wake_cross_cpu on one CPU) is n/a and not an error.\n"
    "\n"
    "floors:\n";

static void print_help(FILE *out)
{
    fputs(calibrate_usage, out);
    fputs(calibrate_help, out);
    for (int i = 0; i < CL_FLOOR_COUNT; i++) {
        fprintf(out, "  %s: %s\n", floors[i].key, floors[i].what);
        for (const char *s = floors[i].why; *s;) {
            size_t len = strcspn(s, "\n");
            fprintf(out, "      %.*s\n", (int)len, s);
            s += len + (s[len] == '\n');
        }
    }
}

int cl_cmd_calibrate(int argc, char **argv)
{
    static const struct option opts[] = {
        {"format", required_argument, NULL, 'f'},
        {"quick", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct cl_calibrate_opts o = {0};
    int json = 0, c, saved_opterr = opterr;
    const char *bad = NULL, *arg = NULL;

    optind = 0; /* full getopt reset: we may be called more than once */
    opterr = 0; /* we print our own messages */
    while (!bad && (c = getopt_long(argc, argv, ":f:qh", opts, NULL)) != -1) {
        if (c == 'f' && (!strcmp(optarg, "text") || !strcmp(optarg, "json"))) {
            json = !strcmp(optarg, "json");
        } else if (c == 'q') {
            o.quick = 1;
        } else if (c == 'h') {
            opterr = saved_opterr;
            print_help(stdout);
            return CL_EXIT_OK;
        } else {
            bad = c == 'f' ? "--format wants text or json, not"
                  : c == ':' ? "this option needs a value:" : "unknown option";
            arg = c == 'f' ? optarg : argv[optind - 1];
        }
    }
    if (!bad && optind < argc) {
        bad = "unexpected argument";
        arg = argv[optind];
    }
    opterr = saved_opterr;
    if (bad) {
        fprintf(stderr, "conlab calibrate: %s '%s'\n%s", bad, arg, calibrate_usage);
        return CL_EXIT_USAGE;
    }

    struct cl_floors f;
    int failed = cl_calibrate(&f, &o);
    if (json ? print_json(stdout, &f) != 0 : (cl_floors_print(stdout, &f), 0))
        return CL_EXIT_INTERNAL;
    return failed ? CL_EXIT_INTERNAL : CL_EXIT_OK;
}

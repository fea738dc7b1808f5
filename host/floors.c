/* floors.c — see floors.h.
 *
 * Only costs a repetition certainly pays are counted, each at its median:
 * a pool strategy starts every worker once per repetition, and a worker
 * running sleeps one after another is late by the overshoot on each.  What
 * a strategy may or may not pay (page faults of stacks it may pool, switches
 * it may avoid) is left out, so a note is never a guess; a part under 5% of
 * the wall is left out too, to keep the sentence about what matters. */
#include "floors.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

/* The strategies that start one thread per worker. */
static const char *const thread_strategies[] = {"threads", "gil", "workstealing",
                                                "openmp", "tbb"};

/* Whether `label` is plugin `name` or "name(...)". */
static int is_plugin(const char *label, const char *name)
{
    size_t n = strlen(name);
    return label && strncmp(label, name, n) == 0 && (label[n] == '\0' || label[n] == '(');
}

/* A floor's median in seconds, or NAN when it was not measured. */
static double floor_s(const struct cl_floors *f, enum cl_floor_id id)
{
    const struct cl_floor *fl = &f->floor[id];
    return fl->status == CL_FLOOR_OK && fl->median_ns > 0 ? fl->median_ns / 1e9 : NAN;
}

/* 1234567 as "1,234,567". */
static const char *thousands(uint64_t v, char *buf, size_t len)
{
    char digits[32];
    int n = snprintf(digits, sizeof digits, "%llu", (unsigned long long)v);
    size_t o = 0;
    for (int i = 0; i < n && o + 2 < len; i++) {
        if (i > 0 && (n - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = digits[i];
    }
    buf[o] = '\0';
    return buf;
}

/* One part of the sum: "COUNT WHAT × EACH ACT (= COUNT × EACH)". */
struct part {
    uint64_t count;
    const char *what, *act;
    double each_s;
};

int cl_floor_note(const struct cl_floors *f, const char *strategy,
                  const char *workload, unsigned workers, uint64_t tasks,
                  double median_wall_s, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    if (!f || !(median_wall_s > 0) || !isfinite(median_wall_s))
        return 0;
    struct part parts[2];
    size_t n = 0;
    uint64_t w = workers ? workers : 1;
    int threads = 0;
    for (size_t i = 0; i < sizeof thread_strategies / sizeof *thread_strategies; i++)
        threads |= is_plugin(strategy, thread_strategies[i]);
    double spawn = threads ? floor_s(f, CL_FLOOR_THREAD_SPAWN)
                   : is_plugin(strategy, "processes") ? floor_s(f, CL_FLOOR_FORK_WAIT)
                                                      : NAN;
    if (isfinite(spawn) && workers)
        parts[n++] = (struct part){workers, threads ? "threads" : "processes",
                                   threads ? "to create and join" : "to fork and wait",
                                   spawn};
    double late = is_plugin(workload, "sleep") ? floor_s(f, CL_FLOOR_SLEEP_OVERSHOOT) : NAN;
    if (isfinite(late) && tasks)
        parts[n++] = (struct part){(tasks + w - 1) / w, "sleeps in a row",
                                   "timer overshoot", late};
    /* a part under 5% of the wall is left out of the sentence and the sum */
    double total = 0;
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        double cost = (double)parts[i].count * parts[i].each_s;
        if (cost < 0.05 * median_wall_s)
            continue;
        parts[kept++] = parts[i];
        total += cost;
    }
    n = kept;
    if (n == 0 || total < CL_FLOOR_DOMINATES * median_wall_s)
        return 0;
    size_t o = 0;
    for (size_t i = 0; i < n && o < len; i++) {
        char c[32], e[32], t[32];
        const struct part *p = &parts[i];
        o += (size_t)snprintf(buf + o, len - o, "%s%s %s × %s %s", i ? " + " : "",
                              thousands(p->count, c, sizeof c), p->what,
                              cl_fmt_dur(p->each_s, e, sizeof e), p->act);
        if (n > 1 && o < len)
            o += (size_t)snprintf(buf + o, len - o, " (%s)",
                                  cl_fmt_dur((double)p->count * p->each_s, t, sizeof t));
    }
    char t[32], m[32];
    if (o < len)
        snprintf(buf + o, len - o, " = %s, %.0f%% of this cell's median %s: it "
                 "measures the machine's floors (conlab calibrate) more than the "
                 "strategy", cl_fmt_dur(total, t, sizeof t),
                 100 * total / median_wall_s, cl_fmt_dur(median_wall_s, m, sizeof m));
    return 1;
}

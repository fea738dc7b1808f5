/* job.c — the host side of a repetition: the job a strategy runs, the task
 * records in shared memory, and the exactly-once check.
 *
 * The per-task path (claim, two clock reads, sched_getcpu, one record) is the
 * framework's overhead on every task: keep it free of locks, allocation and
 * system calls. */
#include "job.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* ---- shared memory -------------------------------------------------------- */

int cl_cellmem_map(struct cl_cellmem *m, uint64_t n_tasks)
{
    memset(m, 0, sizeof *m);
    size_t hdr = (sizeof(struct cl_shared) + 63) & ~(size_t)63;
    size_t recs = (size_t)n_tasks * sizeof(struct cl_record);
    size_t exps = (size_t)n_tasks * sizeof(uint64_t);
    m->bytes = hdr + recs + exps;
    void *p = mmap(NULL, m->bytes, PROT_READ | PROT_WRITE,
                   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return -1;
    m->sh = p;
    m->rec = (struct cl_record *)((char *)p + hdr);
    m->expected = (uint64_t *)((char *)p + hdr + recs);
    m->n_tasks = n_tasks;
    return 0;
}

void cl_cellmem_reset(struct cl_cellmem *m)
{
    /* Fresh anonymous pages are zero: only clear what a repetition used. */
    memset(m->sh, 0, sizeof *m->sh);
    memset(m->rec, 0, (size_t)m->n_tasks * sizeof(struct cl_record));
}

void cl_cellmem_unmap(struct cl_cellmem *m)
{
    if (m->sh)
        munmap(m->sh, m->bytes);
    memset(m, 0, sizeof *m);
}

uint32_t cl_reason_intern(struct cl_shared *sh, const char *reason)
{
    if (!reason || !*reason)
        reason = "unspecified failure";
    while (atomic_exchange_explicit(&sh->reason_lock, 1, memory_order_acquire))
        sched_yield();
    uint32_t id = 0;
    for (uint32_t i = 0; i < sh->n_reasons; i++)
        if (strncmp(sh->reasons[i], reason, CL_REASON_LEN - 1) == 0) {
            id = i + 1;
            break;
        }
    if (!id) {
        if (sh->n_reasons < CL_MAX_REASONS - 1) {
            snprintf(sh->reasons[sh->n_reasons], CL_REASON_LEN, "%s", reason);
            id = ++sh->n_reasons;
        } else {
            /* the last slot collects whatever does not fit */
            snprintf(sh->reasons[CL_MAX_REASONS - 1], CL_REASON_LEN,
                     "other reasons (too many distinct ones)");
            sh->n_reasons = CL_MAX_REASONS;
            id = CL_MAX_REASONS;
        }
    }
    atomic_store_explicit(&sh->reason_lock, 0, memory_order_release);
    return id;
}

/* ---- the host's blocking waiter ------------------------------------------ */

static struct timespec ns_to_ts(uint64_t ns)
{
    struct timespec ts = {(time_t)(ns / 1000000000u), (long)(ns % 1000000000u)};
    return ts;
}

static int blocking_wait(void *ctx, struct pollfd *fds, unsigned nfds,
                         int64_t timeout_ns)
{
    (void)ctx;
    uint64_t deadline = timeout_ns >= 0 ? cl_now_ns() + (uint64_t)timeout_ns : 0;
    if (nfds == 0) {
        if (timeout_ns < 0)
            return CONLAB_E_INVAL; /* would sleep forever */
        struct timespec ts = ns_to_ts(deadline);
        int rc;
        while ((rc = clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL)) == EINTR)
            ;
        return rc ? CONLAB_E_SYS : 0;
    }
    for (;;) {
        struct timespec left, *tp = NULL;
        if (timeout_ns >= 0) {
            uint64_t now = cl_now_ns();
            left = ns_to_ts(now < deadline ? deadline - now : 0);
            tp = &left;
        }
        int n = ppoll(fds, nfds, tp, NULL);
        if (n >= 0)
            return n;
        if (errno != EINTR)
            return CONLAB_E_SYS;
    }
}

static const struct conlab_waiter host_waiter = {blocking_wait, NULL,
                                                 sizeof(struct conlab_waiter)};

/* ---- the job --------------------------------------------------------------- */

struct worker_slot {
    struct conlab_worker w;
    const struct conlab_waiter *waiter;
    const struct conlab_spawner *custom; /* set_spawner's, or NULL */
    struct conlab_spawner serial;        /* the host's serial elision */
    void *wctx;
    int begun;
};

struct jobimpl {
    struct conlab_job job; /* first: job pointers are jobimpl pointers */
    const struct cl_rep_input *in;
    struct cl_cellmem *m;
    void *wl_state;
    int (*run_task)(void *, void *, const struct conlab_worker *, uint64_t,
                    struct conlab_task_result *);
    struct worker_slot *slots;
};

static struct jobimpl *impl(const struct conlab_job *job)
{
    return (struct jobimpl *)job->host_data;
}

static void misuse(struct jobimpl *j, const char *fmt, unsigned w)
{
    uint64_t n = atomic_fetch_add(&j->m->sh->misuse, 1);
    if (n < 3)
        cl_log(CONLAB_LOG_ERROR, j->in->strategy->desc.name, fmt, w);
}

static int job_worker_begin(const struct conlab_job *job, unsigned w,
                            const struct conlab_waiter *waiter)
{
    struct jobimpl *j = impl(job);
    if (w >= job->n_workers) {
        misuse(j, "worker_begin for worker %u, beyond the job's workers", w);
        return CONLAB_E_INVAL;
    }
    struct worker_slot *s = &j->slots[w];
    if (s->begun) {
        misuse(j, "worker_begin twice for worker %u", w);
        return CONLAB_E_INVAL;
    }
    s->waiter = waiter ? waiter : &host_waiter;
    s->w.struct_size = sizeof s->w;
    s->w.id = w;
    s->w.waiter = s->waiter;
    s->w.host = &cl_host_api;
    s->w.spawner = s->custom ? s->custom : &s->serial;
    s->wctx = NULL;
    const struct conlab_workload_ops *wo = &j->in->workload->wops;
    int rc = wo->worker_init ? wo->worker_init(j->wl_state, &s->w, &s->wctx)
                             : CONLAB_OK;
    if (rc != CONLAB_OK) {
        atomic_fetch_add(&j->m->sh->workers_init_failed, 1);
        char why[CL_REASON_LEN];
        snprintf(why, sizeof why, "worker_init failed: %s", conlab_strerror(rc));
        cl_reason_intern(j->m->sh, why);
        return rc < 0 ? rc : CONLAB_E_INVAL;
    }
    s->begun = 1;
    atomic_fetch_add(&j->m->sh->workers_begun, 1);
    return CONLAB_OK;
}

static void job_worker_end(const struct conlab_job *job, unsigned w)
{
    struct jobimpl *j = impl(job);
    if (w >= job->n_workers || !j->slots[w].begun) {
        misuse(j, "worker_end for worker %u that was not begun", w);
        return;
    }
    struct worker_slot *s = &j->slots[w];
    const struct conlab_workload_ops *wo = &j->in->workload->wops;
    if (wo->worker_fini)
        wo->worker_fini(j->wl_state, &s->w, s->wctx);
    s->begun = 0;
    s->wctx = NULL;
    atomic_fetch_add(&j->m->sh->workers_ended, 1);
}

/* Map the task records' pages into this process now, outside the timed
 * region: every task writes its record once, and the first write to a page
 * faults.  On a 2-vCPU KVM guest (shadow-paged) a first write costs ~7 us a
 * page even after MADV_POPULATE_WRITE mapped it, 64 records a page: 0.11 us
 * a task of framework overhead on a million-task noop cell (bench/targets.py
 * noop, threads(2): 0.22 -> 0.19 us a task).  So populate (one call), then
 * write each page once from user space: the child alone writes the records
 * until the run ends, and writing a byte its own value changes nothing. */
static void records_pretouch(const struct cl_cellmem *m)
{
    char *lo = (char *)m->rec;
    char *hi = lo + (size_t)m->n_tasks * sizeof(struct cl_record);
#ifdef MADV_POPULATE_WRITE
    (void)madvise(m->sh, m->bytes, MADV_POPULATE_WRITE);
#endif
    long page = sysconf(_SC_PAGESIZE);
    if (page <= 0 || lo == hi)
        return;
    for (char *p = lo; p < hi; p += page) {
        volatile char *b = p;
        *b = *b;
    }
    volatile char *last = hi - 1;
    *last = *last;
}

static int job_run_task(const struct conlab_job *job, unsigned w, uint64_t index)
{
    struct jobimpl *j = impl(job);
    struct cl_cellmem *m = j->m;
    if (index >= m->n_tasks) {
        atomic_fetch_add(&m->sh->bad_index, 1);
        return CONLAB_E_INVAL;
    }
    if (w >= job->n_workers || !j->slots[w].begun) {
        misuse(j, "run_task on worker %u, which is not begun", w);
        return CONLAB_E_INVAL;
    }
    struct worker_slot *s = &j->slots[w];
    struct cl_record *r = &m->rec[index];
    uint32_t prior = atomic_fetch_add_explicit(&r->runs, 1, memory_order_relaxed);
    struct conlab_task_result res = {0, 0, 0, NULL};
    if (prior) {
        /* A repeat: run it (the strategy asked), keep the first record. */
        return j->run_task(j->wl_state, s->wctx, &s->w, index, &res);
    }
    r->worker = w;
    r->cpu = sched_getcpu();
    r->start_ns = cl_now_ns();
    atomic_store_explicit(&r->state, CL_REC_RUNNING, memory_order_release);
    int rc = j->run_task(j->wl_state, s->wctx, &s->w, index, &res);
    r->end_ns = cl_now_ns();
    r->status = rc;
    r->value = res.value;
    r->bytes = res.bytes;
    r->code = res.code;
    if (rc != CONLAB_OK)
        r->reason = cl_reason_intern(m->sh, res.reason ? res.reason
                                                       : conlab_strerror(rc));
    atomic_store_explicit(&r->state, CL_REC_DONE, memory_order_release);
    return rc;
}

/* ---- the spawn service: the host's serial elision (ABI 1.1) --------------- */

/* The first error of a group lives in its first opaque word. */
static int serial_spawn(void *ctx, struct conlab_group *g, conlab_child_fn fn,
                        void *arg)
{
    const struct worker_slot *s = ctx;
    int rc = fn(arg, &s->w);
    if (rc != CONLAB_OK && g->opaque[0] == 0)
        g->opaque[0] = (uint64_t)(int64_t)rc;
    return CONLAB_OK;
}

static int serial_sync(void *ctx, struct conlab_group *g)
{
    (void)ctx;
    int rc = (int)(int64_t)g->opaque[0];
    g->opaque[0] = 0;
    return rc;
}

static int job_set_spawner(const struct conlab_job *job, unsigned w,
                           const struct conlab_spawner *spawner)
{
    struct jobimpl *j = impl(job);
    if (w >= job->n_workers) {
        misuse(j, "set_spawner for worker %u, beyond the job's workers", w);
        return CONLAB_E_INVAL;
    }
    if (j->slots[w].begun) {
        misuse(j, "set_spawner for worker %u after its worker_begin", w);
        return CONLAB_E_INVAL;
    }
    if (spawner && (spawner->struct_size < offsetof(struct conlab_spawner, sync) +
                                               sizeof spawner->sync ||
                    !spawner->spawn || !spawner->sync)) {
        misuse(j, "set_spawner for worker %u: spawn or sync missing", w);
        return CONLAB_E_INVAL;
    }
    j->slots[w].custom = spawner;
    return CONLAB_OK;
}

static int job_run_child(const struct conlab_job *job, unsigned w,
                         conlab_child_fn fn, void *arg)
{
    struct jobimpl *j = impl(job);
    if (w >= job->n_workers || !j->slots[w].begun) {
        misuse(j, "run_child on worker %u, which is not begun", w);
        return CONLAB_E_INVAL;
    }
    return fn(arg, &j->slots[w].w);
}

static void job_count(const struct conlab_job *job, unsigned counter,
                      uint64_t delta)
{
    struct jobimpl *j = impl(job);
    struct cl_shared *sh = j->m->sh;
    if (counter >= sh->n_counters) {
        misuse(j, "count: counter %u is not among the strategy's counters",
               counter);
        return;
    }
    atomic_fetch_add_explicit(&sh->counters[counter], delta,
                              memory_order_relaxed);
}

static int64_t job_claim(const struct conlab_job *job)
{
    return cl_claim_next(&impl(job)->m->sh->claim);
}

static int job_bind(const struct conlab_job *job, unsigned w)
{
    struct jobimpl *j = impl(job);
    if (w >= job->n_workers)
        return CONLAB_E_INVAL;
    if (!j->in->plan)
        return CONLAB_OK;
    return cl_plan_bind(j->in->topo, j->in->plan, w) == 0 ? CONLAB_OK
                                                          : CONLAB_E_SYS;
}

static void job_worker_lost(const struct conlab_job *job, unsigned w,
                            const char *reason)
{
    struct jobimpl *j = impl(job);
    struct cl_cellmem *m = j->m;
    atomic_fetch_add(&m->sh->workers_lost, 1);
    uint32_t id = cl_reason_intern(m->sh, reason ? reason : "worker lost");
    for (uint64_t i = 0; i < m->n_tasks; i++) {
        struct cl_record *r = &m->rec[i];
        if (atomic_load(&r->state) == CL_REC_RUNNING && r->worker == w) {
            r->end_ns = cl_now_ns();
            r->status = CONLAB_E_LOST;
            r->reason = id;
            atomic_store(&r->state, CL_REC_DONE);
        }
    }
}

/* ---- the repetition's child ------------------------------------------------ */

static void child_fail(struct cl_shared *sh, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), noreturn));
static void child_fail(struct cl_shared *sh, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(sh->error, sizeof sh->error, fmt, ap);
    va_end(ap);
    sh->phase = CL_PHASE_ERROR;
    _exit(code);
}

static void ru_sub(struct rusage *out, const struct rusage *a,
                   const struct rusage *b)
{
#define TV(f)                                                                  \
    do {                                                                       \
        long us = (a->f.tv_sec - b->f.tv_sec) * 1000000L +                     \
                  (a->f.tv_usec - b->f.tv_usec);                               \
        out->f.tv_sec = us / 1000000L;                                         \
        out->f.tv_usec = us % 1000000L;                                        \
    } while (0)
    TV(ru_utime);
    TV(ru_stime);
#undef TV
    out->ru_nvcsw = a->ru_nvcsw - b->ru_nvcsw;
    out->ru_nivcsw = a->ru_nivcsw - b->ru_nivcsw;
    out->ru_maxrss = a->ru_maxrss;
}

static void ru_add(struct rusage *a, const struct rusage *b)
{
    long us = (a->ru_utime.tv_sec + b->ru_utime.tv_sec) * 1000000L +
              a->ru_utime.tv_usec + b->ru_utime.tv_usec;
    a->ru_utime.tv_sec = us / 1000000L;
    a->ru_utime.tv_usec = us % 1000000L;
    us = (a->ru_stime.tv_sec + b->ru_stime.tv_sec) * 1000000L +
         a->ru_stime.tv_usec + b->ru_stime.tv_usec;
    a->ru_stime.tv_sec = us / 1000000L;
    a->ru_stime.tv_usec = us % 1000000L;
    a->ru_nvcsw += b->ru_nvcsw;
    a->ru_nivcsw += b->ru_nivcsw;
    if (b->ru_maxrss > a->ru_maxrss)
        a->ru_maxrss = b->ru_maxrss;
}

static void usage_now(struct rusage *out)
{
    struct rusage self, kids;
    getrusage(RUSAGE_SELF, &self);
    getrusage(RUSAGE_CHILDREN, &kids);
    *out = self;
    ru_add(out, &kids);
}

void cl_rep_child(const struct cl_rep_input *in, struct cl_cellmem *m)
{
    struct cl_shared *sh = m->sh;
    sh->n_workers = in->n_workers;
    const struct conlab_workload_ops *wo = &in->workload->wops;

    struct conlab_workload_env env = {
        .struct_size = sizeof env,
        .n_tasks = in->n_tasks,
        .n_workers = in->n_workers,
        .seed = in->seed,
        .host = &cl_host_api,
        .cell = in->cell,
        .builtin_url = in->builtin_url,
    };
    void *state = NULL;
    int rc = wo->create(&env, in->workload_config, &state);
    if (rc != CONLAB_OK)
        child_fail(sh, 4, "workload '%s': create failed: %s (%s)",
                   in->workload->desc.name, conlab_strerror(rc),
                   conlab_err_name(rc));
    sh->phase = CL_PHASE_CREATED;

    if (wo->expected) {
        sh->has_expected = 1;
        for (uint64_t i = 0; i < in->n_tasks; i++) {
            rc = wo->expected(state, i, &m->expected[i]);
            if (rc == CONLAB_E_NOTSUP) {
                sh->has_expected = 0;
                break;
            }
            if (rc != CONLAB_OK)
                child_fail(sh, 4, "workload '%s': expected(%llu) failed: %s",
                           in->workload->desc.name, (unsigned long long)i,
                           conlab_strerror(rc));
        }
    }

    struct jobimpl j;
    memset(&j, 0, sizeof j);
    j.in = in;
    j.m = m;
    j.wl_state = state;
    j.run_task = wo->run_task;
    j.slots = calloc(in->n_workers ? in->n_workers : 1, sizeof *j.slots);
    if (!j.slots)
        child_fail(sh, 4, "out of memory for %u workers", in->n_workers);
    for (unsigned w = 0; w < in->n_workers; w++)
        j.slots[w].serial = (struct conlab_spawner){
            .struct_size = sizeof(struct conlab_spawner),
            .ctx = &j.slots[w],
            .spawn = serial_spawn,
            .sync = serial_sync,
        };
    const char *const *names = in->strategy->sops.counters;
    for (sh->n_counters = 0; names && names[sh->n_counters] &&
                             sh->n_counters < CL_MAX_COUNTERS;)
        sh->n_counters++;
    j.job.struct_size = sizeof j.job;
    j.job.n_workers = in->n_workers;
    j.job.n_tasks = in->n_tasks;
    j.job.host = &cl_host_api;
    j.job.host_data = &j;
    j.job.worker_begin = job_worker_begin;
    j.job.run_task = job_run_task;
    j.job.worker_end = job_worker_end;
    j.job.claim = job_claim;
    j.job.bind = job_bind;
    j.job.worker_lost = job_worker_lost;
    j.job.default_waiter = &host_waiter;
    j.job.set_spawner = job_set_spawner;
    j.job.run_child = job_run_child;
    j.job.count = job_count;

    cl_claim_init(&sh->claim, m->n_tasks, in->n_workers);
    records_pretouch(m);

    struct rusage before, after;
    usage_now(&before);
    sh->phase = CL_PHASE_RUNNING;
    sh->wall_start_ns = cl_now_ns();
    rc = in->strategy->sops.run(&j.job, in->strategy_config);
    sh->wall_end_ns = cl_now_ns();
    usage_now(&after);
    ru_sub(&sh->ru_delta, &after, &before);
    sh->run_status = rc;
    sh->phase = CL_PHASE_FINISHED;

    if (wo->destroy)
        wo->destroy(state);
    free(j.slots);
    _exit(0);
}

/* ---- the check ------------------------------------------------------------- */

void cl_check_records(const struct cl_cellmem *m, const char *unfinished,
                      struct cl_check *out)
{
    memset(out, 0, sizeof *out);
    const struct cl_shared *sh = m->sh;
    uint64_t by_reason[CL_MAX_REASONS + 1] = {0};
    uint64_t wrong_value = 0;
    for (uint64_t i = 0; i < m->n_tasks; i++) {
        const struct cl_record *r = &m->rec[i];
        uint32_t runs = atomic_load(&r->runs);
        uint32_t state = atomic_load(&r->state);
        if (runs == 0) {
            out->missing++;
            continue;
        }
        if (runs > 1)
            out->duplicated++;
        if (state != CL_REC_DONE) {
            /* started, never finished, and nobody said the worker was lost */
            out->failed++;
            out->unfinished++;
            by_reason[0]++;
            continue;
        }
        if (r->status != CONLAB_OK) {
            out->failed++;
            by_reason[r->reason <= CL_MAX_REASONS ? r->reason : 0]++;
            continue;
        }
        if (sh->has_expected && r->value != m->expected[i]) {
            wrong_value++;
            continue;
        }
        if (runs == 1)
            out->ran_ok++;
    }
    out->wrong = wrong_value;
    out->bad_index = atomic_load(&sh->bad_index);
    out->misuse = atomic_load(&sh->misuse);
    for (uint32_t k = 0; k <= CL_MAX_REASONS; k++) {
        if (!by_reason[k])
            continue;
        const char *text = k > 0 ? sh->reasons[k - 1]
                           : unfinished ? unfinished
                                        : "task never finished (worker vanished)";
        snprintf(out->reasons[out->n_reasons].text, CL_REASON_LEN, "%s", text);
        out->reasons[out->n_reasons].count = by_reason[k];
        out->n_reasons++;
    }
    for (size_t a = 1; a < out->n_reasons; a++)
        for (size_t b = a; b > 0 && out->reasons[b - 1].count < out->reasons[b].count; b--) {
            __typeof__(out->reasons[0]) t = out->reasons[b];
            out->reasons[b] = out->reasons[b - 1];
            out->reasons[b - 1] = t;
        }
}

/*
 * openmp — the tasks under the compiler's OpenMP runtime (GCC's libgomp).
 *
 * One `omp parallel` region of `workers` threads; OpenMP thread t is conlab
 * worker t for the whole region: it binds, installs its spawner, begins,
 * then shares the top-level tasks with the others through
 *
 *     #pragma omp for schedule(runtime)     (omp_set_schedule(schedule, chunk))
 *
 * Nested tasks: conlab_spawn is `#pragma omp task` running the child through
 * job->run_child with the number of the thread that picks it up (an OpenMP
 * task may run on any thread of the team, often one waiting at a barrier or
 * in a taskwait), and conlab_sync is `#pragma omp taskwait`.
 *
 * How conlab groups map onto OpenMP: taskwait waits for every child task of
 * the CURRENT task, not for one group's.  So a group is the current task
 * region: syncing any group of a task joins all the children that task has
 * spawned so far, in every group (stronger than the contract asks, never
 * weaker).  The group's storage only carries the first child error.  A
 * thread waiting in taskwait runs other tasks of the team (libgomp's
 * help-first joining), so sync never deadlocks.
 *
 * A thread whose worker_begin failed runs no top-level task: the indices
 * the loop hands it are kept and run by the begun threads after the loop.
 * A child that lands on it cannot run on it (the host refuses a worker that
 * did not begin): the child fails with CONLAB_E_NOTSUP, and its task with it.
 *
 * Counters: spawns (omp tasks created).
 */
#define CONLAB_PLUGIN_NAME "openmp"
#include <conlab/conlab_plugin.h>

#include <limits.h>
#include <omp.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct omp_config {
    int64_t workers;
    const char *schedule;
    int64_t chunk;
};

/* A group's storage: the first child error. */
struct omp_group {
    atomic_int err;
};
_Static_assert(sizeof(struct omp_group) <= sizeof(struct conlab_group),
               "an openmp group must fit a conlab_group");

struct omp_run;

struct omp_worker {
    struct conlab_spawner sp;
    struct omp_run *run;
    uint64_t spawns;
    atomic_int begun;
    char pad[64];
};

struct omp_run {
    const struct conlab_job *job;
    struct omp_worker *w;
    /* top-level indices handed to threads that could not begin */
    uint64_t *orphans;
    size_t n_orphans, cap_orphans;
    atomic_size_t next_orphan;
};

static const char *const omp_counters[] = {"spawns", NULL};

static void group_error(struct omp_group *g, int rc)
{
    int none = 0;
    if (rc != CONLAB_OK)
        atomic_compare_exchange_strong(&g->err, &none, rc);
}

static int omp_spawn(void *ctx, struct conlab_group *cg, conlab_child_fn fn,
                     void *arg)
{
    struct omp_worker *self = ctx;
    struct omp_run *run = self->run;
    struct omp_group *g = (struct omp_group *)cg;
    self->spawns++;
#pragma omp task firstprivate(fn, arg, g, run) default(none)
    {
        unsigned t = (unsigned)omp_get_thread_num();
        if (atomic_load(&run->w[t].begun))
            group_error(g, run->job->run_child(run->job, t, fn, arg));
        else
            group_error(g, CONLAB_E_NOTSUP);
    }
    return CONLAB_OK;
}

static int omp_sync(void *ctx, struct conlab_group *cg)
{
    (void)ctx;
    struct omp_group *g = (struct omp_group *)cg;
#pragma omp taskwait
    int rc = atomic_load(&g->err);
    atomic_store(&g->err, 0); /* reusable */
    return rc;
}

/* Keep index i for the begun threads; 0, or -1 when out of memory. */
static int orphan(struct omp_run *run, uint64_t i)
{
    int rc = 0;
#pragma omp critical(conlab_openmp_orphans)
    {
        if (run->n_orphans == run->cap_orphans) {
            size_t cap = run->cap_orphans ? 2 * run->cap_orphans : 64;
            uint64_t *o = realloc(run->orphans, cap * sizeof *o);
            if (o) {
                run->orphans = o;
                run->cap_orphans = cap;
            }
        }
        if (run->n_orphans < run->cap_orphans)
            run->orphans[run->n_orphans++] = i;
        else
            rc = -1;
    }
    return rc;
}

/* The life of OpenMP thread t, worker t (see the top). */
static void thread_life(struct omp_run *run, unsigned t)
{
    const struct conlab_job *job = run->job;
    struct omp_worker *self = &run->w[t];
    (void)job->bind(job, t);
    int rc = job->set_spawner(job, t, &self->sp);
    if (rc == CONLAB_OK)
        rc = job->worker_begin(job, t, NULL);
    if (rc == CONLAB_OK)
        atomic_store(&self->begun, 1);
    /* nobody may run a child on a thread before it has begun */
#pragma omp barrier

    int64_t n = (int64_t)job->n_tasks;
#pragma omp for schedule(runtime)
    for (int64_t i = 0; i < n; i++) {
        if (rc == CONLAB_OK)
            (void)job->run_task(job, t, (uint64_t)i);
        else
            (void)orphan(run, (uint64_t)i); /* out of memory: never runs */
    }
    /* the implicit barrier: every index run or kept */
    if (rc == CONLAB_OK) {
        size_t k;
        while ((k = atomic_fetch_add(&run->next_orphan, 1)) < run->n_orphans)
            (void)job->run_task(job, t, run->orphans[k]);
    }
    /* children spawned by the orphans' tasks have all been joined */
#pragma omp barrier
    if (rc == CONLAB_OK) {
        if (self->spawns)
            job->count(job, 0, self->spawns);
        job->worker_end(job, t);
    }
}

static omp_sched_t sched_kind(const char *s)
{
    if (strcmp(s, "dynamic") == 0)
        return omp_sched_dynamic;
    if (strcmp(s, "guided") == 0)
        return omp_sched_guided;
    return omp_sched_static;
}

static int omp_workers(const void *config, uint64_t n_tasks,
                       unsigned *n_workers)
{
    const struct omp_config *cfg = config;
    (void)n_tasks;
    if (cfg->workers < 1 || cfg->workers > INT_MAX)
        return CONLAB_E_INVAL;
    *n_workers = (unsigned)cfg->workers;
    return CONLAB_OK;
}

static int omp_run_job(const struct conlab_job *job, const void *config)
{
    const struct omp_config *cfg = config;
    const int n = (int)job->n_workers;
    struct omp_run run = {.job = job};
    run.w = calloc((size_t)n, sizeof *run.w);
    if (!run.w)
        return CONLAB_E_NOMEM;
    for (int t = 0; t < n; t++)
        run.w[t] = (struct omp_worker){
            .sp = {.struct_size = sizeof(struct conlab_spawner),
                   .ctx = &run.w[t],
                   .spawn = omp_spawn,
                   .sync = omp_sync},
            .run = &run,
        };
    omp_set_dynamic(0); /* exactly n threads */
    omp_set_schedule(sched_kind(cfg->schedule), (int)cfg->chunk);
    int got = 0;
#pragma omp parallel num_threads(n) shared(run, got)
    {
#pragma omp single
        got = omp_get_num_threads();
        thread_life(&run, (unsigned)omp_get_thread_num());
    }
    int rc = CONLAB_OK;
    if (got < n) {
        CONLAB_LOG(job->host, CONLAB_LOG_WARN,
                   "the OpenMP runtime gave %d of %d threads", got, n);
        if (got == 0)
            rc = CONLAB_E_SYS;
    }
    free(run.orphans);
    free(run.w);
    return rc;
}

static const struct conlab_param omp_params[] = {
    {
        .name = "workers",
        .type = CONLAB_PARAM_INT,
        .def = "4",
        .min = 1,
        .max = 4096,
        .help = "number of OpenMP threads (num_threads), one worker each",
        .offset = offsetof(struct omp_config, workers),
    },
    {
        .name = "schedule",
        .type = CONLAB_PARAM_ENUM,
        .def = "static",
        .choices = "static|dynamic|guided",
        .help = "how `omp for` deals the top-level tasks (omp_set_schedule)",
        .offset = offsetof(struct omp_config, schedule),
    },
    {
        .name = "chunk",
        .type = CONLAB_PARAM_INT,
        .def = "0",
        .min = 0,
        .max = 1000000000,
        .help = "chunk size of the schedule (0: the runtime's default)",
        .offset = offsetof(struct omp_config, chunk),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops omp_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = omp_workers,
    .run = omp_run_job,
    .counters = omp_counters,
};

static const struct conlab_plugin omp_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "OpenMP (libgomp): omp for over the tasks, omp task/taskwait "
               "for fork-join",
    .version = "1.0.0",
    .params = omp_params,
    .config_size = sizeof(struct omp_config),
    .strategy = &omp_ops,
};

CONLAB_PLUGIN_DEFINE(omp_plugin)

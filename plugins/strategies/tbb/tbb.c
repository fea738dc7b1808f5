/*
 * tbb — the tasks under oneTBB (Debian's libtbb-dev): a C++ plugin behind
 * the C ABI.  This file is the descriptor and the parameters; the runtime
 * side is tbb_runtime.cpp.
 *
 * The model:
 *   - One tbb::task_arena of `workers` slots (tbb::global_control lifts
 *     oneTBB's default cap of one thread per CPU, so the arena really gets
 *     `workers` threads).  Worker w is arena slot w
 *     (tbb::this_task_arena::current_thread_index()).
 *   - Flat tasks: tbb::parallel_for over 0..tasks-1 (grain 1) with the
 *     chosen partitioner (auto_partitioner, simple_partitioner,
 *     static_partitioner).
 *   - Nested tasks: a conlab group is a tbb::task_group (144 bytes in
 *     oneTBB 2021, more than a conlab_group's 64, so the group's first word
 *     points to one, reused from a per-thread cache); spawn is tg.run(),
 *     sync is tg.wait(), which runs other tasks of the arena meanwhile, so
 *     it never deadlocks.
 *   - oneTBB decides which thread occupies which slot, and when: the
 *     first time a thread runs work in slot w, it binds to w's cpuset,
 *     installs w's spawner and calls worker_begin(w); a thread that later
 *     occupies another slot binds again.  worker_end runs for every begun
 *     slot after the arena's work is done, from the thread that called
 *     run() (no call for the slot can overlap then).
 *   - A slot whose worker_begin failed runs nothing: the top-level indices
 *     it is handed are enqueued afterwards for the arena's worker threads
 *     (not the calling thread, whose slot 0 may be the failed one), and a
 *     child that lands there fails with CONLAB_E_NOTSUP.
 *
 * Counters: spawns (task_group::run calls).
 */
#define CONLAB_PLUGIN_NAME "tbb"
#include <conlab/conlab_plugin.h>

#include <limits.h>
#include <string.h>

#include "tbb_runtime.h"

struct tbb_config {
    int64_t workers;
    const char *partitioner;
};

static const char *const tbb_counters[TBB_C_N + 1] = {"spawns", NULL};

static int tbb_workers(const void *config, uint64_t n_tasks,
                       unsigned *n_workers)
{
    const struct tbb_config *cfg = config;
    (void)n_tasks;
    if (cfg->workers < 1 || cfg->workers > INT_MAX)
        return CONLAB_E_INVAL;
    *n_workers = (unsigned)cfg->workers;
    return CONLAB_OK;
}

static int tbb_run(const struct conlab_job *job, const void *config)
{
    const struct tbb_config *cfg = config;
    enum tbb_partitioner p = TBB_PART_AUTO;
    if (strcmp(cfg->partitioner, "simple") == 0)
        p = TBB_PART_SIMPLE;
    else if (strcmp(cfg->partitioner, "static") == 0)
        p = TBB_PART_STATIC;
    return conlab_tbb_run(job, p, CONLAB_PLUGIN_NAME);
}

static const struct conlab_param tbb_params[] = {
    {
        .name = "workers",
        .type = CONLAB_PARAM_INT,
        .def = "4",
        .min = 1,
        .max = 4096,
        .help = "threads of the task_arena, one worker each",
        .offset = offsetof(struct tbb_config, workers),
    },
    {
        .name = "partitioner",
        .type = CONLAB_PARAM_ENUM,
        .def = "auto",
        .choices = "auto|simple|static",
        .help = "how parallel_for splits the top-level tasks",
        .offset = offsetof(struct tbb_config, partitioner),
    },
    CONLAB_PARAM_END,
};

static const struct conlab_strategy_ops tbb_ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_strategy_ops),
    .workers = tbb_workers,
    .run = tbb_run,
    .counters = tbb_counters,
};

static const struct conlab_plugin tbb_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "oneTBB: a task_arena, parallel_for over the tasks, "
               "task_group for fork-join",
    .version = "1.0.0",
    .params = tbb_params,
    .config_size = sizeof(struct tbb_config),
    .strategy = &tbb_ops,
};

CONLAB_PLUGIN_DEFINE(tbb_plugin)

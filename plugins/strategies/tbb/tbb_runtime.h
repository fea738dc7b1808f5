/*
 * tbb_runtime.h — the C side's view of the tbb strategy's C++ half
 * (tbb_runtime.cpp), private to the plugin.
 */
#ifndef CONLAB_STRATEGIES_TBB_RUNTIME_H
#define CONLAB_STRATEGIES_TBB_RUNTIME_H

#include <conlab/conlab_plugin.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How parallel_for splits the top-level tasks. */
enum tbb_partitioner { TBB_PART_AUTO, TBB_PART_SIMPLE, TBB_PART_STATIC };

/* Counter indices (tbb.c names them). */
enum { TBB_C_SPAWNS, TBB_C_N };

/* Run every task of `job` in a oneTBB task_arena of job->n_workers threads
 * (see tbb.c).  Returns CONLAB_OK, or CONLAB_E_NOMEM / CONLAB_E_SYS when the
 * runtime itself failed (logged through `plugin`). */
int conlab_tbb_run(const struct conlab_job *job, enum tbb_partitioner part,
                   const char *plugin);

#ifdef __cplusplus
}
#endif

#endif

/*
 * pool.h — what the built-in pool strategies (threads, gil, processes)
 * share: a pool of exactly `workers` workers, its worker slots, and the log
 * lines that sum up how many of them ran.  Private to plugins/strategies/,
 * not part of the SDK; pool.c is compiled into each plugin that uses it.
 *
 * `plugin` is the calling plugin's name (a static string): its log lines
 * carry it.
 */
#ifndef CONLAB_STRATEGIES_POOL_H
#define CONLAB_STRATEGIES_POOL_H

#include <conlab/conlab_plugin.h>

#include <stddef.h>
#include <stdint.h>

/* The workers() hook of a pool of `workers`: exactly that many, however few
 * tasks, so that placement stays the same from cell to cell.  Returns
 * CONLAB_OK with *n_workers set, or CONLAB_E_INVAL when workers is not in
 * 1..UINT_MAX. */
int pool_size(int64_t workers, unsigned *n_workers);

/* The first step of run(): job->n_workers zeroed slots of `size` bytes in
 * *slots, which the caller frees.  Returns CONLAB_OK, or CONLAB_E_INVAL (a
 * job with no workers) or CONLAB_E_NOMEM, logged, with *slots NULL. */
int pool_slots(const struct conlab_job *job, const char *plugin, size_t size,
               void **slots);

/* The last step of run(), once the `started` of job->n_workers workers that
 * ran are gone; `unit` names a worker in the log ("thread", "process").
 * Returns CONLAB_E_SYS (logged) when none started, else CONLAB_OK, with a
 * warning when the pool ran short. */
int pool_outcome(const struct conlab_job *job, const char *plugin,
                 unsigned started, const char *unit);

#endif

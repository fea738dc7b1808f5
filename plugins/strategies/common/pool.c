/* pool.c — see pool.h. */
#include "pool.h"

#include <limits.h>
#include <stdlib.h>

int pool_size(int64_t workers, unsigned *n_workers)
{
    if (workers < 1 || workers > UINT_MAX)
        return CONLAB_E_INVAL;
    *n_workers = (unsigned)workers;
    return CONLAB_OK;
}

int pool_slots(const struct conlab_job *job, const char *plugin, size_t size,
               void **slots)
{
    const unsigned n = job->n_workers;

    *slots = NULL;
    if (n == 0) {
        job->host->log(CONLAB_LOG_ERROR, plugin, "a job with no workers");
        return CONLAB_E_INVAL;
    }
    *slots = calloc(n, size);
    if (*slots == NULL) {
        job->host->log(CONLAB_LOG_ERROR, plugin,
                       "no memory for %u worker slots", n);
        return CONLAB_E_NOMEM;
    }
    return CONLAB_OK;
}

int pool_outcome(const struct conlab_job *job, const char *plugin,
                 unsigned started, const char *unit)
{
    const unsigned n = job->n_workers;

    if (started == 0) {
        job->host->log(CONLAB_LOG_ERROR, plugin,
                       "could not start any worker %s", unit);
        return CONLAB_E_SYS;
    }
    if (started < n)
        job->host->log(CONLAB_LOG_WARN, plugin,
                       "ran with %u of %u worker %ss", started, n, unit);
    return CONLAB_OK;
}

/* conformance — the workload `conlab check` runs strategies against.
 *
 * Task i returns a value derived from (seed, i), so a task run with another
 * index, or a result stored in the wrong record, is caught by the host's
 * value check.  Its parameters select behaviours a strategy must survive:
 *
 *   fail_init_worker  worker_init of that worker fails (E_IO); -1: none
 *   fail_every        every k-th task (indices k-1, 2k-1, ...) fails; 0: none
 *   value_offset      added to every value (non-zero: every value is wrong)
 *   max_wait          each task waits up to this long, through the waiter,
 *                     for a time drawn per task (0: never waits)
 *
 * It also watches the one rule the host cannot see: calls for one worker
 * must never overlap.  Each worker's context has a busy flag; a task that
 * finds it set fails with a reason saying so. */
#define CONLAB_PLUGIN_NAME "conformance" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

#include "../common/mix.h"

#include <stdatomic.h>
#include <stdlib.h>

struct conf_config {
    int64_t fail_init_worker;
    int64_t fail_every;
    int64_t value_offset;
    double max_wait; /* seconds */
};

struct conf_state {
    struct conf_config cfg;
    uint64_t seed;
    int64_t max_wait_ns;
};

struct conf_worker {
    unsigned id;
    atomic_int busy;
};

static const struct conlab_param conf_params[] = {
    {"fail_init_worker", CONLAB_PARAM_INT, "-1", -1, 1e9, NULL,
     "worker_init fails for this worker id (-1: never)",
     offsetof(struct conf_config, fail_init_worker)},
    {"fail_every", CONLAB_PARAM_INT, "0", 0, 1e12, NULL,
     "every k-th task fails with reason \"planned failure\" (0: none)",
     offsetof(struct conf_config, fail_every)},
    {"value_offset", CONLAB_PARAM_INT, "0", -1e12, 1e12, NULL,
     "added to every returned value (non-zero: every value is wrong)",
     offsetof(struct conf_config, value_offset)},
    {"max_wait", CONLAB_PARAM_DURATION, "0", 0, 60, NULL,
     "each task waits a per-task time in [0, max_wait) through the waiter",
     offsetof(struct conf_config, max_wait)},
    CONLAB_PARAM_END};

static uint64_t task_value(const struct conf_state *s, uint64_t index)
{
    return wl_mix(s->seed ^ wl_mix(index));
}

static int conf_create(const struct conlab_workload_env *env,
                       const void *config, void **state)
{
    struct conf_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->cfg = *(const struct conf_config *)config;
    s->seed = env->seed;
    s->max_wait_ns = (int64_t)(s->cfg.max_wait * 1e9);
    *state = s;
    return CONLAB_OK;
}

static void conf_destroy(void *state)
{
    free(state);
}

static int conf_worker_init(void *state, const struct conlab_worker *w,
                            void **wctx)
{
    const struct conf_state *s = state;
    *wctx = NULL;
    if (s->cfg.fail_init_worker >= 0 &&
        (uint64_t)s->cfg.fail_init_worker == w->id)
        return CONLAB_E_IO;
    struct conf_worker *cw = calloc(1, sizeof *cw);
    if (!cw)
        return CONLAB_E_NOMEM;
    cw->id = w->id;
    atomic_init(&cw->busy, 0);
    *wctx = cw;
    return CONLAB_OK;
}

static void conf_worker_fini(void *state, const struct conlab_worker *w,
                             void *wctx)
{
    (void)state;
    (void)w;
    free(wctx);
}

static int conf_run_task(void *state, void *wctx, const struct conlab_worker *w,
                         uint64_t index, struct conlab_task_result *res)
{
    const struct conf_state *s = state;
    struct conf_worker *cw = wctx;
    if (!cw || cw->id != w->id) {
        res->reason = "run_task got another worker's context";
        return CONLAB_E_INVAL;
    }
    if (atomic_exchange(&cw->busy, 1)) {
        res->reason = "two tasks ran at once on one worker "
                      "(calls for one worker must not overlap)";
        return CONLAB_E_INVAL; /* the other call still holds the flag */
    }
    int rc = CONLAB_OK;
    if (s->max_wait_ns > 0) {
        int64_t ns = (int64_t)(wl_mix(s->seed + index) % (uint64_t)s->max_wait_ns);
        rc = conlab_sleep_ns(w->waiter, ns);
        if (rc < 0)
            res->reason = "the waiter failed";
    }
    if (rc == CONLAB_OK && s->cfg.fail_every > 0 &&
        (index + 1) % (uint64_t)s->cfg.fail_every == 0) {
        res->reason = "planned failure";
        rc = CONLAB_E_TASK;
    }
    res->value = task_value(s, index) + (uint64_t)s->cfg.value_offset;
    atomic_store(&cw->busy, 0);
    return rc;
}

static int conf_expected(void *state, uint64_t index, uint64_t *value)
{
    *value = task_value(state, index);
    return CONLAB_OK;
}

static const struct conlab_workload_ops conf_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = conf_create,
    .destroy = conf_destroy,
    .worker_init = conf_worker_init,
    .worker_fini = conf_worker_fini,
    .run_task = conf_run_task,
    .expected = conf_expected,
};

static const struct conlab_plugin conf_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "for `conlab check`: seeded values, planned failures and waits",
    .version = "1.0",
    .params = conf_params,
    .config_size = sizeof(struct conf_config),
    .workload = &conf_ops,
};

CONLAB_PLUGIN_DEFINE(conf_plugin)

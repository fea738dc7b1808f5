/* noop — does nothing and returns its index: what is left of a task's time
 * is the framework's own overhead (claim, two clock reads, the record). */
#define CONLAB_PLUGIN_NAME "noop" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

static int noop_create(const struct conlab_workload_env *env, const void *config,
                       void **state)
{
    (void)env;
    (void)config;
    *state = NULL;
    return CONLAB_OK;
}

static int noop_run_task(void *state, void *wctx, const struct conlab_worker *w,
                         uint64_t index, struct conlab_task_result *res)
{
    (void)state;
    (void)wctx;
    (void)w;
    res->value = index;
    return CONLAB_OK;
}

static int noop_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)state;
    *value = index;
    return CONLAB_OK;
}

static const struct conlab_workload_ops noop_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = noop_create,
    .run_task = noop_run_task,
    .expected = noop_expected,
};

static const struct conlab_plugin noop_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "returns its index at once: measures the framework's overhead",
    .version = "1.0",
    .workload = &noop_ops,
};

CONLAB_PLUGIN_DEFINE(noop_plugin)

/* long_param.c — a correct workload whose parameters have a name and a
 * default longer than any built-in plugin's, for `conlab list`'s column
 * widths (tests/e2e/test_cli.py).  Each task returns its index plus the
 * long-named parameter.  Built into tests/plugins/long/, apart from the
 * broken plugins. */
#include <conlab/conlab_plugin.h>

struct cfg {
    int64_t a_parameter_name_longer_than_any_builtin;
    int64_t y;
};

static int create(const struct conlab_workload_env *env, const void *c, void **s)
{
    (void)env;
    *s = (void *)c; /* the config outlives the workload */
    return CONLAB_OK;
}

static int add(void *s, void *w, const struct conlab_worker *wk, uint64_t i,
               struct conlab_task_result *r)
{
    (void)w;
    (void)wk;
    const struct cfg *c = s;
    r->value = i + (uint64_t)c->a_parameter_name_longer_than_any_builtin;
    return CONLAB_OK;
}

static const struct conlab_param params[] = {
    {"a_parameter_name_longer_than_any_builtin", CONLAB_PARAM_INT, "1", 0, 10,
     NULL, "a long name", offsetof(struct cfg, a_parameter_name_longer_than_any_builtin)},
    {"y", CONLAB_PARAM_INT, "123456789012345", 0, 1e15, NULL, "a long default",
     offsetof(struct cfg, y)},
    CONLAB_PARAM_END};

static const struct conlab_workload_ops ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = create,
    .run_task = add,
};

static const struct conlab_plugin desc = {
    .abi_major = CONLAB_ABI_MAJOR,
    .abi_minor = CONLAB_ABI_MINOR,
    .struct_size = sizeof(struct conlab_plugin),
    .kind = CONLAB_KIND_WORKLOAD,
    .workload = &ops,
    .name = "long-parameter-names",
    .summary = "i + a parameter whose name is longer than the columns were",
    .params = params,
    .config_size = sizeof(struct cfg),
};

CONLAB_PLUGIN_DEFINE(desc)

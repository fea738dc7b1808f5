/*
 * frozen11-pfib — a workload built against the FROZEN copy of the plugin
 * header at ABI 1.1 (tests/sdk/frozen11/conlab/conlab_plugin.h), never
 * against include/.  tests/sdk/sdk-test.sh loads it into today's conlab.
 *
 * It uses what 1.1 added to a workload: task i computes fib(n) by forking
 * twice per call down to `cutoff` (below it: plain recursion) through
 * conlab_spawn/conlab_sync with a struct conlab_group on the stack and the
 * results in the children's args; its value is fib(n) + i, checked by
 * expected().  Also CONLAB_LOG, CONLAB_PLUGIN_NAME and the descriptor's
 * param_size (CONLAB_PLUGIN_HEADER).  Under a 1.0 strategy the host's serial
 * elision runs the children; under frozen11-steal they are stolen.
 */
#define CONLAB_PLUGIN_NAME "frozen11-pfib"
#include <conlab/conlab_plugin.h>

#if CONLAB_ABI_MAJOR != 1 || CONLAB_ABI_MINOR != 1
#error "frozen11-pfib must be built against the frozen ABI 1.1 header (-I tests/sdk/frozen11)"
#endif

#include <stdlib.h>

struct config {
    int64_t n;
    int64_t cutoff;
};

static const struct conlab_param params[] = {
    {"n", CONLAB_PARAM_INT, "20", 0, 60, NULL, "fib(n) per task",
     offsetof(struct config, n)},
    {"cutoff", CONLAB_PARAM_INT, "8", 2, 60, NULL,
     "below it, plain recursion", offsetof(struct config, cutoff)},
    CONLAB_PARAM_END};

struct call {
    int n, cutoff;
    uint64_t result;
};

static uint64_t fib_plain(int n)
{
    return n < 2 ? (uint64_t)n : fib_plain(n - 1) + fib_plain(n - 2);
}

static int fib_child(void *arg, const struct conlab_worker *w)
{
    struct call *c = arg;
    if (c->n < c->cutoff) {
        c->result = fib_plain(c->n);
        return CONLAB_OK;
    }
    struct call a = {c->n - 1, c->cutoff, 0}, b = {c->n - 2, c->cutoff, 0};
    struct conlab_group g = CONLAB_GROUP_INIT;
    int rc = conlab_spawn(w, &g, fib_child, &a);
    if (rc == CONLAB_OK)
        rc = conlab_spawn(w, &g, fib_child, &b);
    int src = conlab_sync(w, &g); /* always, before a and b go away */
    c->result = a.result + b.result;
    return rc != CONLAB_OK ? rc : src;
}

static int fp_create(const struct conlab_workload_env *env, const void *config,
                     void **state)
{
    const struct config *c = config;
    struct config *s;

    if (c->cutoff > c->n + 1)
        CONLAB_LOG(env->host, CONLAB_LOG_WARN,
                   "cutoff %lld > n %lld: no task will spawn",
                   (long long)c->cutoff, (long long)c->n);
    s = malloc(sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    *s = *c;
    *state = s;
    return CONLAB_OK;
}

static void fp_destroy(void *state)
{
    free(state);
}

static int fp_run_task(void *state, void *wctx, const struct conlab_worker *w,
                       uint64_t index, struct conlab_task_result *res)
{
    const struct config *s = state;
    struct call root = {(int)s->n, (int)s->cutoff, 0};

    (void)wctx;
    if (w->struct_size < offsetof(struct conlab_worker, spawner) +
                             sizeof w->spawner || !w->spawner) {
        res->reason = "no spawner in a 1.1 host's struct conlab_worker";
        return CONLAB_E_ABI;
    }
    int rc = fib_child(&root, w);
    if (rc != CONLAB_OK) {
        res->reason = "a child failed";
        return rc;
    }
    res->value = root.result + index;
    return CONLAB_OK;
}

static int fp_expected(void *state, uint64_t index, uint64_t *value)
{
    const struct config *s = state;
    uint64_t a = 0, b = 1; /* fib(0), fib(1) */

    for (int64_t i = 0; i < s->n; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    *value = a + index;
    return CONLAB_OK;
}

static const struct conlab_workload_ops ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_workload_ops),
    .create = fp_create,
    .destroy = fp_destroy,
    .run_task = fp_run_task,
    .expected = fp_expected,
};

static const struct conlab_plugin plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "built against the frozen ABI 1.1 header; fib forking x2",
    .version = "1.1",
    .params = params,
    .config_size = sizeof(struct config),
    .workload = &ops,
};

CONLAB_PLUGIN_DEFINE(plugin)

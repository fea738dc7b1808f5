/* fib — the seeds' CPU-bound task: recursive fibonacci of each number in `n`,
 * summed (fib(34) + fib(30) = 5702887 + 832040 = 6534927 by default).
 * Never waits.  The expected value comes from an iterative fibonacci, so the
 * check does not trust the code it checks. */
#define CONLAB_PLUGIN_NAME "fib" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

#include <stdlib.h>

struct fib_config {
    struct conlab_int_list n;
};

struct fib_state {
    size_t count;
    int64_t *n;
    uint64_t expected;
};

static const struct conlab_param fib_params[] = {
    {"n", CONLAB_PARAM_INT_LIST, "[34, 30]", 0, 60, NULL,
     "each task computes fib(k) recursively for every k in this list and sums them",
     offsetof(struct fib_config, n)},
    CONLAB_PARAM_END};

/* The work: exponential on purpose.  `noinline` and the volatile read keep
 * the compiler from turning it into a loop or hoisting it out of the task. */
__attribute__((noinline)) static uint64_t fib_rec(int64_t k)
{
    return k < 2 ? (uint64_t)k : fib_rec(k - 1) + fib_rec(k - 2);
}

static uint64_t fib_iter(int64_t k)
{
    uint64_t a = 0, b = 1;
    for (int64_t i = 0; i < k; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    return a;
}

static int fib_create(const struct conlab_workload_env *env, const void *config,
                      void **state)
{
    (void)env;
    const struct fib_config *c = config;
    struct fib_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->count = c->n.n;
    s->n = calloc(c->n.n ? c->n.n : 1, sizeof *s->n);
    if (!s->n) {
        free(s);
        return CONLAB_E_NOMEM;
    }
    for (size_t i = 0; i < c->n.n; i++) {
        s->n[i] = c->n.v[i];
        s->expected += fib_iter(c->n.v[i]);
    }
    *state = s;
    return CONLAB_OK;
}

static void fib_destroy(void *state)
{
    struct fib_state *s = state;
    if (!s)
        return;
    free(s->n);
    free(s);
}

static int fib_run_task(void *state, void *wctx, const struct conlab_worker *w,
                        uint64_t index, struct conlab_task_result *res)
{
    (void)wctx;
    (void)w;
    (void)index;
    const struct fib_state *s = state;
    uint64_t sum = 0;
    for (size_t i = 0; i < s->count; i++) {
        volatile int64_t k = s->n[i];
        sum += fib_rec(k);
    }
    res->value = sum;
    return CONLAB_OK;
}

static int fib_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)index;
    *value = ((const struct fib_state *)state)->expected;
    return CONLAB_OK;
}

static const struct conlab_workload_ops fib_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = fib_create,
    .destroy = fib_destroy,
    .run_task = fib_run_task,
    .expected = fib_expected,
};

static const struct conlab_plugin fib_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "CPU-bound: recursive fibonacci of each number in n, summed",
    .version = "1.0",
    .params = fib_params,
    .config_size = sizeof(struct fib_config),
    .workload = &fib_ops,
};

CONLAB_PLUGIN_DEFINE(fib_plugin)

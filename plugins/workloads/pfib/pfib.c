/* pfib — fork-join fibonacci: each task computes fib(n), forking as the
 * runtime-benchmarks' fib does: fib(k) spawns fib(k-1) as a child, computes
 * fib(k-2) itself, then syncs — down to `cutoff`, below which it is plain
 * recursion.  cutoff 0 (or 1, 2) forks at every level with k >= 2.  Every
 * task computes the same tree; the expected value comes from fast doubling,
 * so the check does not trust the code it checks. */
#define CONLAB_PLUGIN_NAME "pfib"
#include <conlab/conlab_plugin.h>

#include <stdlib.h>

struct pfib_config {
    int64_t n;
    int64_t cutoff;
};

struct pfib_state {
    int64_t n, cutoff;
    uint64_t expected;
};

/* One fork-join frame: the child's argument and its result, on the
 * spawning frame's stack. */
struct pfib_frame {
    const struct pfib_state *s;
    int64_t k;
    uint64_t r;
};

static const struct conlab_param pfib_params[] = {
    {"n", CONLAB_PARAM_INT, "30", 0, 60, NULL,
     "each task computes fib(n), forking a child per level down to cutoff",
     offsetof(struct pfib_config, n)},
    {"cutoff", CONLAB_PARAM_INT, "20", 0, 60, NULL,
     "fib(k) for k below this is plain recursion (0: fork at every level)",
     offsetof(struct pfib_config, cutoff)},
    CONLAB_PARAM_END};

/* The serial leaves: exponential on purpose, `noinline` so the compiler
 * cannot fold the recursion into the forking code. */
__attribute__((noinline)) static uint64_t pfib_serial(int64_t k)
{
    return k < 2 ? (uint64_t)k : pfib_serial(k - 1) + pfib_serial(k - 2);
}

/* fib(k) by fast doubling, from the top bit of k down: F(2m) =
 * F(m)(2F(m+1) - F(m)), F(2m+1) = F(m)^2 + F(m+1)^2.  A different road to
 * the value than the recursion it checks. */
static uint64_t pfib_doubling(int64_t k)
{
    uint64_t a = 0, b = 1; /* F(m), F(m+1) for m = the bits of k seen */
    for (int bit = 62; bit >= 0; bit--) {
        uint64_t c = a * (2 * b - a), d = a * a + b * b;
        if (((uint64_t)k >> bit) & 1) {
            a = d;
            b = c + d;
        } else {
            a = c;
            b = d;
        }
    }
    return a;
}

/* fib(f->k) into f->r on worker w: fork fib(k-1), call fib(k-2), join. */
static int pfib_fork(void *arg, const struct conlab_worker *w)
{
    struct pfib_frame *f = arg;
    if (f->k < 2 || f->k < f->s->cutoff) {
        f->r = pfib_serial(f->k);
        return CONLAB_OK;
    }
    struct conlab_group g = CONLAB_GROUP_INIT;
    struct pfib_frame a = {f->s, f->k - 1, 0}, b = {f->s, f->k - 2, 0};
    int rc = conlab_spawn(w, &g, pfib_fork, &a);
    int rb = pfib_fork(&b, w);
    int rs = conlab_sync(w, &g);
    f->r = a.r + b.r;
    return rc != CONLAB_OK ? rc : rb != CONLAB_OK ? rb : rs;
}

static int pfib_create(const struct conlab_workload_env *env, const void *config,
                       void **state)
{
    (void)env;
    const struct pfib_config *c = config;
    struct pfib_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->n = c->n;
    s->cutoff = c->cutoff;
    s->expected = pfib_doubling(c->n);
    *state = s;
    return CONLAB_OK;
}

static void pfib_destroy(void *state)
{
    free(state);
}

static int pfib_run_task(void *state, void *wctx, const struct conlab_worker *w,
                         uint64_t index, struct conlab_task_result *res)
{
    (void)wctx;
    (void)index;
    struct pfib_frame f = {state, ((const struct pfib_state *)state)->n, 0};
    int rc = pfib_fork(&f, w);
    res->value = f.r;
    return rc;
}

static int pfib_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)index;
    *value = ((const struct pfib_state *)state)->expected;
    return CONLAB_OK;
}

static const struct conlab_workload_ops pfib_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = pfib_create,
    .destroy = pfib_destroy,
    .run_task = pfib_run_task,
    .expected = pfib_expected,
};

static const struct conlab_plugin pfib_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = "pfib",
    .summary = "fork-join: fib(n), forking a child per level down to cutoff",
    .version = "1.0",
    .params = pfib_params,
    .config_size = sizeof(struct pfib_config),
    .workload = &pfib_ops,
};

CONLAB_PLUGIN_DEFINE(pfib_plugin)

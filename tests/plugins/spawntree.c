/* spawntree — a test workload that spawns: each task computes fib(n) by
 * forking fib(k-1) and fib(k-2) as children down to `cutoff`, each child in
 * a group of its own, the second group synced first (so a strategy that
 * joins per group and one that joins every child of the task both pass).
 * A child checks that the worker it runs on is one of the cell's; any error
 * is the task's.  With `wide` > 0 the root also spawns that many children
 * worth 1 each into one more group (a deque must hold them all at once:
 * it grows).  The expected value is an iterative fib(n) + wide; the task's
 * `bytes` is the set of workers its nodes ran on (bit w: worker w, up to
 * 63), so a test sees whether children spread.  Never waits. */
#include <conlab/conlab_plugin.h>

#include <stdatomic.h>
#include <stdlib.h>

struct st_config {
    int64_t n;
    int64_t cutoff;
    int64_t wide;
};

struct st_state {
    int64_t n, cutoff, wide;
    unsigned n_workers;
};

struct node {
    const struct st_state *s;
    atomic_uint_least64_t *ran_on; /* the task's set of workers */
    int64_t k;
    uint64_t value;
};

static const struct conlab_param st_params[] = {
    {"n", CONLAB_PARAM_INT, "18", 0, 60, NULL, "fib(n) per task", offsetof(struct st_config, n)},
    {"cutoff", CONLAB_PARAM_INT, "4", 1, 60, NULL, "below it: plain recursion",
     offsetof(struct st_config, cutoff)},
    {"wide", CONLAB_PARAM_INT, "0", 0, 1000000, NULL,
     "children worth 1 the root spawns into one group besides the tree",
     offsetof(struct st_config, wide)},
    CONLAB_PARAM_END};

static uint64_t fib_seq(int64_t k)
{
    return k < 2 ? (uint64_t)k : fib_seq(k - 1) + fib_seq(k - 2);
}

static int node_run(void *arg, const struct conlab_worker *w)
{
    struct node *nd = arg;
    if (w->id >= nd->s->n_workers)
        return CONLAB_E_WRONG;
    atomic_fetch_or_explicit(nd->ran_on, 1ull << (w->id & 63),
                             memory_order_relaxed);
    if (nd->k < nd->s->cutoff) {
        nd->value = fib_seq(nd->k);
        return CONLAB_OK;
    }
    struct node a = {nd->s, nd->ran_on, nd->k - 1, 0};
    struct node b = {nd->s, nd->ran_on, nd->k - 2, 0};
    struct conlab_group ga = CONLAB_GROUP_INIT, gb = CONLAB_GROUP_INIT;
    int rc = conlab_spawn(w, &ga, node_run, &a);
    int rc2 = conlab_spawn(w, &gb, node_run, &b);
    int s2 = conlab_sync(w, &gb);
    int s1 = conlab_sync(w, &ga);
    nd->value = a.value + b.value;
    return rc ? rc : rc2 ? rc2 : s2 ? s2 : s1;
}

static int one_run(void *arg, const struct conlab_worker *w)
{
    (void)w;
    *(uint64_t *)arg = 1;
    return CONLAB_OK;
}

/* The root's `wide` children in one group: 0, or the first error. */
static int spawn_wide(const struct st_state *s, const struct conlab_worker *w,
                      uint64_t *sum)
{
    uint64_t *ones = calloc((size_t)s->wide + 1, sizeof *ones);
    if (!ones)
        return CONLAB_E_NOMEM;
    struct conlab_group g = CONLAB_GROUP_INIT;
    int rc = CONLAB_OK;
    for (int64_t i = 0; i < s->wide && rc == CONLAB_OK; i++)
        rc = conlab_spawn(w, &g, one_run, &ones[i]);
    int rs = conlab_sync(w, &g);
    for (int64_t i = 0; i < s->wide; i++)
        *sum += ones[i];
    free(ones);
    return rc ? rc : rs;
}

static int st_create(const struct conlab_workload_env *env, const void *config,
                     void **state)
{
    const struct st_config *c = config;
    struct st_state *s = malloc(sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    *s = (struct st_state){c->n, c->cutoff, c->wide, env->n_workers};
    *state = s;
    return CONLAB_OK;
}

static void st_destroy(void *state)
{
    free(state);
}

static int st_run_task(void *state, void *wctx, const struct conlab_worker *w,
                       uint64_t index, struct conlab_task_result *res)
{
    (void)wctx;
    (void)index;
    atomic_uint_least64_t ran_on = 0;
    struct node root = {state, &ran_on, ((const struct st_state *)state)->n, 0};
    int rc = node_run(&root, w);
    uint64_t wide = 0;
    int rw = spawn_wide(state, w, &wide);
    res->value = root.value + wide;
    if (rc == CONLAB_OK)
        rc = rw;
    res->bytes = atomic_load(&ran_on);
    if (rc != CONLAB_OK)
        res->reason = "a child failed";
    return rc;
}

static int st_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)index;
    uint64_t a = 0, b = 1;
    for (int64_t i = 0; i < ((const struct st_state *)state)->n; i++) {
        uint64_t t = a + b;
        a = b;
        b = t;
    }
    *value = a + (uint64_t)((const struct st_state *)state)->wide;
    return CONLAB_OK;
}

static const struct conlab_workload_ops st_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = st_create,
    .destroy = st_destroy,
    .run_task = st_run_task,
    .expected = st_expected,
};

static const struct conlab_plugin st_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = "spawntree",
    .summary = "test: fib(n) forking x2 in two groups, down to cutoff",
    .version = "1.0",
    .params = st_params,
    .config_size = sizeof(struct st_config),
    .workload = &st_ops,
};

CONLAB_PLUGIN_DEFINE(st_plugin)

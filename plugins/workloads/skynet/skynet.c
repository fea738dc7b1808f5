/* skynet — the fork-join overhead benchmark: each task builds a tree of
 * `size` leaves numbered 0 .. size-1, every inner node spawning `fanout`
 * children over as even a split of its leaves as there is (any size works;
 * a node with fewer leaves than fanout spawns one child per leaf), every leaf
 * returning its own number, every node the sum of its children.  The task's
 * value is size*(size-1)/2.  With `cutoff` 1 (the default) every leaf is a
 * spawned child, as in the original benchmark; a larger cutoff sums subtrees
 * of at most that many leaves in a loop.  A child's frame is 24 bytes on the
 * parent's stack: the tree costs no allocation. */
#define CONLAB_PLUGIN_NAME "skynet"
#include <conlab/conlab_plugin.h>

#include <stdlib.h>

/* The widest node: its children's frames live in one array on its stack. */
#define SKYNET_MAX_FANOUT 16

struct skynet_config {
    int64_t size;
    int64_t fanout;
    int64_t cutoff;
};

struct skynet_state {
    uint64_t size;
    unsigned fanout;
    uint64_t cutoff;
};

/* One node: leaves [lo, lo + n); the sum lands in `sum`.  The shape of the
 * tree (fanout, cutoff) travels in the state every frame points to. */
struct skynet_node {
    const struct skynet_state *s;
    uint64_t lo, n;
    uint64_t sum;
};

static const struct conlab_param skynet_params[] = {
    {"size", CONLAB_PARAM_INT, "1000000", 1, 1e12, NULL,
     "leaves of each task's tree (any number: split as evenly as possible)",
     offsetof(struct skynet_config, size)},
    {"fanout", CONLAB_PARAM_INT, "10", 2, SKYNET_MAX_FANOUT, NULL,
     "children spawned by every inner node",
     offsetof(struct skynet_config, fanout)},
    {"cutoff", CONLAB_PARAM_INT, "1", 1, 1e12, NULL,
     "a subtree of at most this many leaves is summed in a loop, unspawned "
     "(1: every leaf is a spawned child)",
     offsetof(struct skynet_config, cutoff)},
    CONLAB_PARAM_END};

/* Sum the leaves of node `arg` on worker w: a leaf (or a subtree within the
 * cutoff) directly, else fanout children spawned and joined. */
static int skynet_node(void *arg, const struct conlab_worker *w)
{
    struct skynet_node *node = arg;
    const struct skynet_state *s = node->s;
    if (node->n <= s->cutoff) {
        uint64_t sum = 0;
        for (uint64_t i = node->lo; i < node->lo + node->n; i++)
            sum += i;
        node->sum = sum;
        return CONLAB_OK;
    }
    struct skynet_node kids[SKYNET_MAX_FANOUT];
    unsigned f = node->n < s->fanout ? (unsigned)node->n : s->fanout;
    uint64_t each = node->n / f, extra = node->n % f, lo = node->lo;
    struct conlab_group g = CONLAB_GROUP_INIT;
    int rc = CONLAB_OK;
    for (unsigned k = 0; k < f; k++) {
        uint64_t n = each + (k < extra);
        kids[k] = (struct skynet_node){s, lo, n, 0};
        lo += n;
        int r = conlab_spawn(w, &g, skynet_node, &kids[k]);
        if (r != CONLAB_OK && rc == CONLAB_OK)
            rc = r;
    }
    int rs = conlab_sync(w, &g);
    uint64_t sum = 0;
    for (unsigned k = 0; k < f; k++)
        sum += kids[k].sum;
    node->sum = sum;
    return rc != CONLAB_OK ? rc : rs;
}

static int skynet_create(const struct conlab_workload_env *env,
                         const void *config, void **state)
{
    (void)env;
    const struct skynet_config *c = config;
    struct skynet_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->size = (uint64_t)c->size;
    s->fanout = (unsigned)c->fanout;
    s->cutoff = (uint64_t)c->cutoff;
    *state = s;
    return CONLAB_OK;
}

static void skynet_destroy(void *state)
{
    free(state);
}

static int skynet_run_task(void *state, void *wctx,
                           const struct conlab_worker *w, uint64_t index,
                           struct conlab_task_result *res)
{
    (void)wctx;
    (void)index;
    const struct skynet_state *s = state;
    struct skynet_node root = {s, 0, s->size, 0};
    int rc = skynet_node(&root, w);
    res->value = root.sum;
    return rc;
}

/* size*(size-1)/2 modulo 2^64, as the tree's sum wraps: the even factor is
 * halved first so the division is exact. */
static int skynet_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)index;
    uint64_t n = ((const struct skynet_state *)state)->size;
    *value = n % 2 == 0 ? (n / 2) * (n - 1) : n * ((n - 1) / 2);
    return CONLAB_OK;
}

static const struct conlab_workload_ops skynet_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = skynet_create,
    .destroy = skynet_destroy,
    .run_task = skynet_run_task,
    .expected = skynet_expected,
};

static const struct conlab_plugin skynet_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = "skynet",
    .summary = "fork-join: a tree of size leaves, fanout children per node, "
               "summed",
    .version = "1.0",
    .params = skynet_params,
    .config_size = sizeof(struct skynet_config),
    .workload = &skynet_ops,
};

CONLAB_PLUGIN_DEFINE(skynet_plugin)

/* nqueens — fork-join search: each task counts the placements of n queens
 * on an n×n board, row by row; every row above `cutoff` spawns one child per
 * free column (up to n children), deeper rows are searched serially (cutoff
 * 0: fork at every row, as the runtime-benchmarks' nqueens does).  A board is
 * three bit masks, so a child's frame is 32 bytes on the parent's stack.  The
 * expected count comes from the published table (OEIS A000170), not from the
 * code it checks. */
#define CONLAB_PLUGIN_NAME "nqueens"
#include <conlab/conlab_plugin.h>

#include <stdlib.h>

#define NQUEENS_MAX 16

/* Solutions for n = 0 .. NQUEENS_MAX (OEIS A000170). */
static const uint64_t nqueens_known[NQUEENS_MAX + 1] = {
    1, 1, 0, 0, 2, 10, 4, 40, 92, 352, 724, 2680, 14200, 73712, 365596,
    2279184, 14772512};

struct nqueens_config {
    int64_t n;
    int64_t cutoff;
};

struct nqueens_state {
    unsigned n, cutoff; /* cutoff: rows >= it are serial (n when 0) */
    uint32_t full;      /* the n column bits */
};

/* A partial board: the columns and both diagonals under attack at `row`
 * (diagonal masks already shifted to that row); the count lands in `count`. */
struct nqueens_board {
    const struct nqueens_state *s;
    uint32_t cols, left, right;
    unsigned row;
    uint64_t count;
};

static const struct conlab_param nqueens_params[] = {
    {"n", CONLAB_PARAM_INT, "10", 1, NQUEENS_MAX, NULL,
     "board size: each task counts the placements of n queens",
     offsetof(struct nqueens_config, n)},
    {"cutoff", CONLAB_PARAM_INT, "0", 0, NQUEENS_MAX, NULL,
     "rows at this depth and deeper are searched serially (0: fork at every row)",
     offsetof(struct nqueens_config, cutoff)},
    CONLAB_PARAM_END};

/* Placements completing the board below `row`, serially. */
static uint64_t nqueens_serial(uint32_t full, uint32_t cols, uint32_t left,
                               uint32_t right)
{
    if (cols == full)
        return 1;
    uint64_t count = 0;
    uint32_t free_ = full & ~(cols | left | right);
    while (free_) {
        uint32_t bit = free_ & -free_;
        free_ ^= bit;
        count += nqueens_serial(full, cols | bit, (left | bit) << 1,
                                (right | bit) >> 1);
    }
    return count;
}

/* Count the completions of board `arg` on worker w: one spawned child per
 * free column of this row, or serially below the cutoff. */
static int nqueens_fork(void *arg, const struct conlab_worker *w)
{
    struct nqueens_board *b = arg;
    const struct nqueens_state *s = b->s;
    if (b->row >= s->cutoff) {
        b->count = nqueens_serial(s->full, b->cols, b->left, b->right);
        return CONLAB_OK;
    }
    struct nqueens_board kids[NQUEENS_MAX];
    unsigned nk = 0;
    struct conlab_group g = CONLAB_GROUP_INIT;
    int rc = CONLAB_OK;
    uint32_t free_ = s->full & ~(b->cols | b->left | b->right);
    while (free_) {
        uint32_t bit = free_ & -free_;
        free_ ^= bit;
        kids[nk] = (struct nqueens_board){s, b->cols | bit, (b->left | bit) << 1,
                                          (b->right | bit) >> 1, b->row + 1, 0};
        int r = conlab_spawn(w, &g, nqueens_fork, &kids[nk]);
        if (r != CONLAB_OK && rc == CONLAB_OK)
            rc = r;
        nk++;
    }
    int rs = nk ? conlab_sync(w, &g) : CONLAB_OK;
    uint64_t count = 0;
    for (unsigned k = 0; k < nk; k++)
        count += kids[k].count;
    b->count = count;
    return rc != CONLAB_OK ? rc : rs;
}

static int nqueens_create(const struct conlab_workload_env *env,
                          const void *config, void **state)
{
    (void)env;
    const struct nqueens_config *c = config;
    struct nqueens_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->n = (unsigned)c->n;
    s->cutoff = c->cutoff == 0 || c->cutoff > c->n ? s->n : (unsigned)c->cutoff;
    s->full = (uint32_t)((1u << s->n) - 1);
    *state = s;
    return CONLAB_OK;
}

static void nqueens_destroy(void *state)
{
    free(state);
}

static int nqueens_run_task(void *state, void *wctx,
                            const struct conlab_worker *w, uint64_t index,
                            struct conlab_task_result *res)
{
    (void)wctx;
    (void)index;
    struct nqueens_board root = {state, 0, 0, 0, 0, 0};
    int rc = nqueens_fork(&root, w);
    res->value = root.count;
    return rc;
}

static int nqueens_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)index;
    *value = nqueens_known[((const struct nqueens_state *)state)->n];
    return CONLAB_OK;
}

static const struct conlab_workload_ops nqueens_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = nqueens_create,
    .destroy = nqueens_destroy,
    .run_task = nqueens_run_task,
    .expected = nqueens_expected,
};

static const struct conlab_plugin nqueens_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = "nqueens",
    .summary = "fork-join: n-queens placements, a child per free column",
    .version = "1.0",
    .params = nqueens_params,
    .config_size = sizeof(struct nqueens_config),
    .workload = &nqueens_ops,
};

CONLAB_PLUGIN_DEFINE(nqueens_plugin)

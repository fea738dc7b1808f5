/* matmul — fork-join dense algebra: each task computes C = A·B for n×n
 * matrices of doubles by recursive blocking, as in Cilk's matmul without
 * temporaries: a block above `cutoff` splits into quadrants and forks ×4
 * twice (C_ij += A_i1·B_1j for the four ij, join, then C_ij += A_i2·B_2j,
 * join); a block of at most `cutoff` rows is a plain i-k-j loop.  A and B
 * are made once per repetition from the seed and shared read-only; each task
 * allocates its own C (one allocation per task, none per child).
 *
 * The entries are small integers, so every product sum is exact in double
 * whatever the order of additions, and the task's value is the exact integer
 * checksum u·C·v (u, v fixed small weights), modulo 2^64.  expected()
 * computes it as (u·A)·(B·v) in integers, in O(n²), without forking and
 * without the code it checks. */
#define CONLAB_PLUGIN_NAME "matmul"
#include <conlab/conlab_plugin.h>

#include "../common/mix.h"

#include <stdlib.h>

struct matmul_config {
    int64_t n;
    int64_t cutoff;
};

struct matmul_state {
    size_t n, cutoff;
    double *a, *b;      /* n×n, row-major, entries 0..15 */
    uint64_t *u, *v;    /* checksum weights, 1..8 */
    uint64_t expected;
};

/* One block product: C[m×m] += A[m×m]·B[m×m], all three at stride s->n. */
struct matmul_block {
    const struct matmul_state *s;
    const double *a, *b;
    double *c;
    size_t m;
};

static const struct conlab_param matmul_params[] = {
    {"n", CONLAB_PARAM_INT, "256", 1, 4096, NULL,
     "matrix order: each task multiplies two n×n matrices (a power of two, "
     ">= cutoff)",
     offsetof(struct matmul_config, n)},
    {"cutoff", CONLAB_PARAM_INT, "32", 1, 4096, NULL,
     "a block of at most this order is multiplied in a plain loop, unforked",
     offsetof(struct matmul_config, cutoff)},
    CONLAB_PARAM_END};

/* C += A·B for one m×m block at row stride ld, serially. */
static void matmul_kernel(const double *restrict a, const double *restrict b,
                          double *restrict c, size_t m, size_t ld)
{
    for (size_t i = 0; i < m; i++)
        for (size_t k = 0; k < m; k++) {
            double aik = a[i * ld + k];
            const double *brow = b + k * ld;
            double *crow = c + i * ld;
            for (size_t j = 0; j < m; j++)
                crow[j] += aik * brow[j];
        }
}

/* Block `arg` on worker w: the kernel within the cutoff, else two rounds of
 * four spawned quadrant products. */
static int matmul_fork(void *arg, const struct conlab_worker *w)
{
    const struct matmul_block *blk = arg;
    const struct matmul_state *s = blk->s;
    size_t m = blk->m, ld = s->n;
    if (m <= s->cutoff) {
        matmul_kernel(blk->a, blk->b, blk->c, m, ld);
        return CONLAB_OK;
    }
    size_t h = m / 2;
    int rc = CONLAB_OK;
    for (size_t k = 0; k < 2; k++) { /* round k: C_ij += A_ik·B_kj */
        struct matmul_block q[4];
        struct conlab_group g = CONLAB_GROUP_INIT;
        for (size_t i = 0; i < 2; i++)
            for (size_t j = 0; j < 2; j++) {
                q[i * 2 + j] = (struct matmul_block){
                    s, blk->a + i * h * ld + k * h, blk->b + k * h * ld + j * h,
                    blk->c + i * h * ld + j * h, h};
                int r = conlab_spawn(w, &g, matmul_fork, &q[i * 2 + j]);
                if (r != CONLAB_OK && rc == CONLAB_OK)
                    rc = r;
            }
        int rs = conlab_sync(w, &g);
        if (rs != CONLAB_OK && rc == CONLAB_OK)
            rc = rs;
    }
    return rc;
}

static void matmul_destroy(void *state)
{
    struct matmul_state *s = state;
    if (!s)
        return;
    free(s->a);
    free(s->b);
    free(s->u);
    free(s->v);
    free(s);
}

/* (u·A)·(B·v) in integers modulo 2^64: the checksum u·C·v of C = A·B. */
static uint64_t matmul_checksum_expected(const struct matmul_state *s)
{
    size_t n = s->n;
    uint64_t sum = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t ua = 0, bv = 0;
        for (size_t i = 0; i < n; i++)
            ua += s->u[i] * (uint64_t)s->a[i * n + k];
        for (size_t j = 0; j < n; j++)
            bv += (uint64_t)s->b[k * n + j] * s->v[j];
        sum += ua * bv;
    }
    return sum;
}

static int matmul_create(const struct conlab_workload_env *env,
                         const void *config, void **state)
{
    const struct matmul_config *c = config;
    size_t n = (size_t)c->n;
    if ((n & (n - 1)) != 0 || c->cutoff > c->n) {
        CONLAB_LOG(env->host, CONLAB_LOG_ERROR,
                   "%s: n must be a power of two no smaller than cutoff "
                   "(n = %lld, cutoff = %lld)",
                   env->cell, (long long)c->n, (long long)c->cutoff);
        return CONLAB_E_INVAL;
    }
    struct matmul_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->n = n;
    s->cutoff = (size_t)c->cutoff;
    s->a = malloc(n * n * sizeof *s->a);
    s->b = malloc(n * n * sizeof *s->b);
    s->u = malloc(n * sizeof *s->u);
    s->v = malloc(n * sizeof *s->v);
    if (!s->a || !s->b || !s->u || !s->v) {
        matmul_destroy(s);
        return CONLAB_E_NOMEM;
    }
    for (size_t i = 0; i < n * n; i++) {
        s->a[i] = (double)(wl_mix(env->seed ^ (2 * i)) & 15);
        s->b[i] = (double)(wl_mix(env->seed ^ (2 * i + 1)) & 15);
    }
    for (size_t i = 0; i < n; i++) {
        s->u[i] = 1 + (wl_mix(~env->seed ^ (2 * i)) & 7);
        s->v[i] = 1 + (wl_mix(~env->seed ^ (2 * i + 1)) & 7);
    }
    s->expected = matmul_checksum_expected(s);
    *state = s;
    return CONLAB_OK;
}

static int matmul_run_task(void *state, void *wctx,
                           const struct conlab_worker *w, uint64_t index,
                           struct conlab_task_result *res)
{
    (void)wctx;
    (void)index;
    const struct matmul_state *s = state;
    size_t n = s->n;
    double *c = calloc(n * n, sizeof *c);
    if (!c) {
        res->reason = "out of memory for C";
        return CONLAB_E_NOMEM;
    }
    struct matmul_block root = {s, s->a, s->b, c, n};
    int rc = matmul_fork(&root, w);
    uint64_t sum = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t row = 0;
        for (size_t j = 0; j < n; j++)
            row += (uint64_t)c[i * n + j] * s->v[j];
        sum += s->u[i] * row;
    }
    free(c);
    res->value = sum;
    return rc;
}

static int matmul_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)index;
    *value = ((const struct matmul_state *)state)->expected;
    return CONLAB_OK;
}

static const struct conlab_workload_ops matmul_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = matmul_create,
    .destroy = matmul_destroy,
    .run_task = matmul_run_task,
    .expected = matmul_expected,
};

static const struct conlab_plugin matmul_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = "matmul",
    .summary = "fork-join: recursive blocked n×n matrix product, forking ×4",
    .version = "1.0",
    .params = matmul_params,
    .config_size = sizeof(struct matmul_config),
    .workload = &matmul_ops,
};

CONLAB_PLUGIN_DEFINE(matmul_plugin)

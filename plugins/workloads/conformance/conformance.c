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
 *   spawn_depth       > 0: each task is a fork-join tree this deep (ABI 1.1
 *                     conlab_spawn/conlab_sync), `fanout` children per inner
 *                     node; every leaf adds 1 to its parent's atomic tally,
 *                     so the task's value (seeded value + leaves counted)
 *                     is short by one for each lost child and over by one
 *                     for each leaf run twice
 *   fanout            children per inner node of a spawning task
 *   fail_leaf         with spawn_depth: that leaf (0-based, left to right)
 *                     of every tree fails (E_TASK), and the task returns
 *                     what conlab_sync returned ("planned child failure");
 *                     -1: none
 *
 * It also watches the one rule the host cannot see: calls for one worker
 * must never overlap.  Each worker's context has a busy flag; a task that
 * finds it set fails with a reason saying so.  (A spawning task's tree runs
 * before it takes the flag: a strategy's sync may run other work of the same
 * worker nested in it.) */
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
    int64_t spawn_depth;
    int64_t fanout;
    int64_t fail_leaf;
};

#define MAX_FANOUT 16
#define MAX_LEAVES 10000000u /* fanout^spawn_depth, per task */

struct conf_state {
    struct conf_config cfg;
    uint64_t seed;
    int64_t max_wait_ns;
    uint64_t leaves; /* per spawning task: fanout^spawn_depth; 0: no tree */
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
    {"spawn_depth", CONLAB_PARAM_INT, "0", 0, 24, NULL,
     "each task is a fork-join tree this deep whose leaves are counted into "
     "its value (0: no spawning)",
     offsetof(struct conf_config, spawn_depth)},
    {"fanout", CONLAB_PARAM_INT, "2", 1, MAX_FANOUT, NULL,
     "children per inner node of a spawning task",
     offsetof(struct conf_config, fanout)},
    {"fail_leaf", CONLAB_PARAM_INT, "-1", -1, 1e9, NULL,
     "with spawn_depth: this leaf of every tree fails, and so does its task "
     "(-1: none)",
     offsetof(struct conf_config, fail_leaf)},
    CONLAB_PARAM_END};

/* One node of a spawning task's tree: it adds its leaves to *sink, the
 * parent's tally (atomic: siblings may run on other workers). */
struct conf_node {
    const struct conf_state *s;
    _Atomic uint64_t *sink;
    unsigned depth;  /* 0: a leaf */
    uint64_t first;  /* the number of its first leaf */
};

static int conf_node_run(void *arg, const struct conlab_worker *w)
{
    const struct conf_node *n = arg;
    const struct conf_state *s = n->s;
    if (n->depth == 0) {
        atomic_fetch_add(n->sink, 1);
        return s->cfg.fail_leaf >= 0 && (uint64_t)s->cfg.fail_leaf == n->first
                   ? CONLAB_E_TASK
                   : CONLAB_OK;
    }
    uint64_t span = 1; /* leaves under each child */
    for (unsigned d = 1; d < n->depth; d++)
        span *= (uint64_t)s->cfg.fanout;
    _Atomic uint64_t tally = 0;
    struct conf_node kids[MAX_FANOUT];
    struct conlab_group g = CONLAB_GROUP_INIT;
    int rc = CONLAB_OK;
    for (int64_t k = 0; k < s->cfg.fanout; k++) {
        kids[k] = (struct conf_node){s, &tally, n->depth - 1,
                                     n->first + (uint64_t)k * span};
        rc = conlab_spawn(w, &g, conf_node_run, &kids[k]);
        if (rc != CONLAB_OK)
            break;
    }
    int src = conlab_sync(w, &g); /* always: children may be running */
    atomic_fetch_add(n->sink, atomic_load(&tally));
    return rc != CONLAB_OK ? rc : src;
}

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
    if (s->cfg.spawn_depth > 0) {
        s->leaves = 1;
        for (int64_t d = 0; d < s->cfg.spawn_depth; d++) {
            s->leaves *= (uint64_t)s->cfg.fanout;
            if (s->leaves > MAX_LEAVES) {
                CONLAB_LOG(env->host, CONLAB_LOG_ERROR,
                           "fanout %lld ^ spawn_depth %lld is more than %u "
                           "leaves per task", (long long)s->cfg.fanout,
                           (long long)s->cfg.spawn_depth, MAX_LEAVES);
                free(s);
                return CONLAB_E_INVAL;
            }
        }
    }
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
    /* The tree first, without the busy flag: a strategy's sync may run
     * another task of this worker nested inside it (help-first joining). */
    int rc = CONLAB_OK;
    _Atomic uint64_t leaves = 0;
    if (s->leaves) {
        struct conf_node root = {s, &leaves, (unsigned)s->cfg.spawn_depth, 0};
        rc = conf_node_run(&root, w);
        if (rc != CONLAB_OK)
            res->reason = rc == CONLAB_E_TASK ? "planned child failure"
                                              : "a spawned child failed";
    }
    if (atomic_exchange(&cw->busy, 1)) {
        res->reason = "two tasks ran at once on one worker "
                      "(calls for one worker must not overlap)";
        return CONLAB_E_INVAL; /* the other call still holds the flag */
    }
    if (rc == CONLAB_OK && s->max_wait_ns > 0) {
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
    res->value = task_value(s, index) + atomic_load(&leaves) +
                 (uint64_t)s->cfg.value_offset;
    atomic_store(&cw->busy, 0);
    return rc;
}

static int conf_expected(void *state, uint64_t index, uint64_t *value)
{
    const struct conf_state *s = state;
    *value = task_value(s, index) + s->leaves;
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
    .summary = "for `conlab check`: seeded values, planned failures, waits, spawning",
    .version = "1.0",
    .params = conf_params,
    .config_size = sizeof(struct conf_config),
    .workload = &conf_ops,
};

CONLAB_PLUGIN_DEFINE(conf_plugin)

/*
 * frozen-check — a workload built against the FROZEN copy of the plugin
 * header (tests/sdk/frozen/conlab/conlab_plugin.h, ABI 1.0), never against
 * include/.  tests/sdk/sdk-test.sh loads it into today's conlab: as the ABI
 * grows (1.1, 1.2, ...), a plugin built for 1.0 must still load and run.
 *
 * It touches every part of the 1.0 layout a workload sees:
 *   - a parameter of every type, each checked in create() against the
 *     values frozen.yaml gives (so the host must fill the config through
 *     the 1.0 struct conlab_param: offsets, types, defaults);
 *   - every env field, worker_init/worker_fini, expected();
 *   - the waiter with an fd (a pipe, POLLIN) and as a sleep;
 *   - res->value, res->bytes, res->code.
 * A mismatch fails create() (cell `error`) or the task (cell `failed`),
 * with a log line saying what differed.
 */
#define _GNU_SOURCE /* pipe2 */
#include <conlab/conlab_plugin.h>

#if CONLAB_ABI_MAJOR != 1 || CONLAB_ABI_MINOR != 0
#error "frozen-check must be built against the frozen ABI 1.0 header (-I tests/sdk/frozen)"
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PLUGIN_NAME "frozen-check"

struct config {
    int64_t i;
    double d;
    double dur;
    int b;
    const char *s;
    const char *e;
    struct conlab_int_list il;
    struct conlab_string_list sl;
    int64_t def; /* not in the spec: its default must arrive */
};

static const struct conlab_param params[] = {
    {"i", CONLAB_PARAM_INT, "0", -100, 100, NULL, "an int",
     offsetof(struct config, i)},
    {"d", CONLAB_PARAM_DOUBLE, "0", 0, 0, NULL, "a double",
     offsetof(struct config, d)},
    {"dur", CONLAB_PARAM_DURATION, "0s", 0, 10, NULL, "a duration",
     offsetof(struct config, dur)},
    {"b", CONLAB_PARAM_BOOL, "false", 0, 0, NULL, "a bool",
     offsetof(struct config, b)},
    {"s", CONLAB_PARAM_STRING, "none", 0, 0, NULL, "a string",
     offsetof(struct config, s)},
    {"e", CONLAB_PARAM_ENUM, "a", 0, 0, "a|b|c", "an enum",
     offsetof(struct config, e)},
    {"il", CONLAB_PARAM_INT_LIST, "[]", 0, 1000, NULL, "an int list",
     offsetof(struct config, il)},
    {"sl", CONLAB_PARAM_STRING_LIST, "[]", 0, 0, NULL, "a string list",
     offsetof(struct config, sl)},
    {"def", CONLAB_PARAM_INT, "42", 0, 0, NULL, "left to its default",
     offsetof(struct config, def)},
    CONLAB_PARAM_END};

struct state {
    uint64_t add; /* i + sum(il) + def: folded into every value */
    int64_t sleep_ns;
};

struct wctx {
    int fds[2]; /* a pipe this worker waits on */
};

#define FAIL(env, ...)                                                         \
    do {                                                                       \
        (env)->host->log(CONLAB_LOG_ERROR, PLUGIN_NAME, __VA_ARGS__);         \
        return CONLAB_E_INVAL;                                                 \
    } while (0)

/* The values frozen.yaml gives. */
static int check_config(const struct conlab_workload_env *env,
                        const struct config *c)
{
    if (c->i != 7)
        FAIL(env, "i = %lld, want 7", (long long)c->i);
    if (c->d != 2.5)
        FAIL(env, "d = %g, want 2.5", c->d);
    if (c->dur != 0.001)
        FAIL(env, "dur = %g, want 0.001", c->dur);
    if (c->b != 1)
        FAIL(env, "b = %d, want 1", c->b);
    if (!c->s || strcmp(c->s, "abc") != 0)
        FAIL(env, "s = '%s', want 'abc'", c->s ? c->s : "(null)");
    if (!c->e || strcmp(c->e, "b") != 0)
        FAIL(env, "e = '%s', want 'b'", c->e ? c->e : "(null)");
    if (c->il.n != 3 || c->il.v[0] != 1 || c->il.v[1] != 2 || c->il.v[2] != 3)
        FAIL(env, "il has %zu elements, want [1, 2, 3]", c->il.n);
    if (c->sl.n != 2 || strcmp(c->sl.v[0], "x") != 0 ||
        strcmp(c->sl.v[1], "y") != 0)
        FAIL(env, "sl has %zu elements, want [x, y]", c->sl.n);
    if (c->def != 42)
        FAIL(env, "def = %lld, want its default 42", (long long)c->def);
    return CONLAB_OK;
}

static int fc_create(const struct conlab_workload_env *env, const void *config,
                     void **state)
{
    const struct config *c = config;
    struct state *s;

    if (env->struct_size < offsetof(struct conlab_workload_env, builtin_url) +
                               sizeof env->builtin_url)
        return CONLAB_E_ABI;
    if (env->n_tasks != 20 || env->n_workers == 0 || env->seed != 7 ||
        !env->cell || !*env->cell || env->host->abi_major != 1)
        FAIL(env, "env: tasks %llu (want 20), workers %u, seed %llu (want 7)",
             (unsigned long long)env->n_tasks, env->n_workers,
             (unsigned long long)env->seed);
    if (check_config(env, c) != CONLAB_OK)
        return CONLAB_E_INVAL;
    s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->add = (uint64_t)c->i + 1 + 2 + 3 + (uint64_t)c->def;
    s->sleep_ns = (int64_t)(c->dur * 1e9);
    *state = s;
    return CONLAB_OK;
}

static void fc_destroy(void *state)
{
    free(state);
}

static int fc_worker_init(void *state, const struct conlab_worker *w,
                          void **wctx)
{
    struct wctx *x;

    (void)state;
    if (w->struct_size < sizeof *w || !w->waiter || !w->host)
        return CONLAB_E_ABI;
    x = malloc(sizeof *x);
    if (!x)
        return CONLAB_E_NOMEM;
    if (pipe2(x->fds, O_CLOEXEC) != 0) {
        free(x);
        return CONLAB_E_SYS;
    }
    *wctx = x;
    return CONLAB_OK;
}

static void fc_worker_fini(void *state, const struct conlab_worker *w,
                           void *wctx)
{
    struct wctx *x = wctx;

    (void)state;
    (void)w;
    if (!x)
        return;
    close(x->fds[0]);
    close(x->fds[1]);
    free(x);
}

/* Make the pipe readable, wait for it through the waiter, drain it. */
static int wait_pipe(const struct conlab_worker *w, struct wctx *x)
{
    struct pollfd pfd = { .fd = x->fds[0], .events = POLLIN };
    char byte = 'x';
    int n;

    if (write(x->fds[1], &byte, 1) != 1)
        return CONLAB_E_SYS;
    n = w->waiter->wait(w->waiter->ctx, &pfd, 1, 1000000000);
    if (n < 0)
        return n;
    if (n != 1 || !(pfd.revents & POLLIN))
        return CONLAB_E_TIMEDOUT;
    if (read(x->fds[0], &byte, 1) != 1)
        return CONLAB_E_SYS;
    return CONLAB_OK;
}

static int fc_run_task(void *state, void *wctx, const struct conlab_worker *w,
                       uint64_t index, struct conlab_task_result *res)
{
    const struct state *s = state;
    int rc = wait_pipe(w, wctx);

    if (rc == CONLAB_OK)
        rc = conlab_sleep_ns(w->waiter, s->sleep_ns);
    if (rc < 0) {
        res->reason = "frozen-check: wait failed";
        return rc;
    }
    res->value = index * 1000 + s->add;
    res->bytes = 1;
    res->code = 200;
    return CONLAB_OK;
}

static int fc_expected(void *state, uint64_t index, uint64_t *value)
{
    const struct state *s = state;

    *value = index * 1000 + s->add;
    return CONLAB_OK;
}

static const struct conlab_workload_ops ops = {
    .struct_size = (uint32_t)sizeof(struct conlab_workload_ops),
    .create = fc_create,
    .destroy = fc_destroy,
    .worker_init = fc_worker_init,
    .worker_fini = fc_worker_fini,
    .run_task = fc_run_task,
    .expected = fc_expected,
};

static const struct conlab_plugin plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = PLUGIN_NAME,
    .summary = "built against the frozen ABI 1.0 header; checks its params",
    .version = "1.0",
    .params = params,
    .config_size = sizeof(struct config),
    .workload = &ops,
};

CONLAB_PLUGIN_DEFINE(plugin)

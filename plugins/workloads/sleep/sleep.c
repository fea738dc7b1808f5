/* sleep — the seeds' simulated network call.
 *
 * Task n waits `seconds` (fixed, or drawn from a uniform or exponential
 * distribution with that mean, seeded per task so every run and every
 * strategy sees the same delays) and returns n².  It waits through the
 * worker's waiter, so under a cooperative strategy the wait yields to the
 * scheduler; with `blocking: true` it calls nanosleep itself instead, to
 * show what one blocking call does to an event loop. */
#define CONLAB_PLUGIN_NAME "sleep" /* CONLAB_LOG's prefix */
#include <conlab/conlab_plugin.h>

#include "../common/mix.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct sleep_config {
    double seconds;
    const char *distribution;
    int blocking;
};

enum dist { DIST_FIXED, DIST_UNIFORM, DIST_EXPONENTIAL };

struct sleep_state {
    double seconds;
    enum dist dist;
    int blocking;
    uint64_t seed;
};

static const struct conlab_param sleep_params[] = {
    {"seconds", CONLAB_PARAM_DURATION, "1s", 0, 86400, NULL,
     "mean time each task waits (250ms, 1s, ...)",
     offsetof(struct sleep_config, seconds)},
    {"distribution", CONLAB_PARAM_ENUM, "fixed", 0, 0,
     "fixed|uniform|exponential",
     "fixed: every task waits `seconds`; uniform: U(0, 2*seconds); "
     "exponential: mean `seconds`; seeded per task",
     offsetof(struct sleep_config, distribution)},
    {"blocking", CONLAB_PARAM_BOOL, "false", 0, 0, NULL,
     "call nanosleep directly instead of the host's wait (blocks an event loop)",
     offsetof(struct sleep_config, blocking)},
    CONLAB_PARAM_END};

/* uniform in (0, 1) */
static double unit(uint64_t seed, uint64_t i)
{
    return ((double)(wl_mix(seed ^ wl_mix(i)) >> 11) + 0.5) / 9007199254740992.0;
}

static double task_seconds(const struct sleep_state *s, uint64_t i)
{
    switch (s->dist) {
    case DIST_UNIFORM: return 2.0 * s->seconds * unit(s->seed, i);
    case DIST_EXPONENTIAL: return -s->seconds * log(unit(s->seed, i));
    default: return s->seconds;
    }
}

static int sleep_create(const struct conlab_workload_env *env,
                        const void *config, void **state)
{
    const struct sleep_config *c = config;
    struct sleep_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    s->seconds = c->seconds;
    s->dist = strcmp(c->distribution, "uniform") == 0       ? DIST_UNIFORM
              : strcmp(c->distribution, "exponential") == 0 ? DIST_EXPONENTIAL
                                                            : DIST_FIXED;
    s->blocking = c->blocking;
    s->seed = env->seed;
    *state = s;
    return CONLAB_OK;
}

static void sleep_destroy(void *state)
{
    free(state);
}

static int sleep_run_task(void *state, void *wctx, const struct conlab_worker *w,
                          uint64_t index, struct conlab_task_result *res)
{
    (void)wctx;
    const struct sleep_state *s = state;
    int64_t ns = (int64_t)(task_seconds(s, index) * 1e9);
    if (s->blocking) {
        /* Deliberately bypasses the waiter: the one variant allowed to. */
        struct timespec ts = {(time_t)(ns / 1000000000), (long)(ns % 1000000000)};
        while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
            ;
    } else {
        int rc = conlab_sleep_ns(w->waiter, ns);
        if (rc < 0) {
            res->reason = "wait failed";
            return rc;
        }
    }
    res->value = index * index;
    return CONLAB_OK;
}

static int sleep_expected(void *state, uint64_t index, uint64_t *value)
{
    (void)state;
    *value = index * index;
    return CONLAB_OK;
}

static const struct conlab_workload_ops sleep_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .flags = CONLAB_WORKLOAD_F_BLOCKING,
    .create = sleep_create,
    .destroy = sleep_destroy,
    .run_task = sleep_run_task,
    .expected = sleep_expected,
};

static const struct conlab_plugin sleep_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = CONLAB_PLUGIN_NAME,
    .summary = "simulated network call: waits, returns n*n for task n",
    .version = "1.0",
    .params = sleep_params,
    .config_size = sizeof(struct sleep_config),
    .workload = &sleep_ops,
};

CONLAB_PLUGIN_DEFINE(sleep_plugin)

/* fake_plugins.h — fake plugin descriptors and a fake plugin lookup for the
 * spec loader's tests (tests/unit/test-spec.c) and its fuzz target
 * (tests/fuzz/fuzz-spec.c).  No shared objects: the descriptors live here.
 *
 * What a spec may name:
 *   strategies: threads {workers, stack_kib}, sequential (no params),
 *               processes {workers}, coroutines {concurrency},
 *               gil {workers, switch_interval};
 *               by path: "./fake/mine.so" is strategy "mine" {workers},
 *               "./fake/wl.so" is a workload (for the wrong-kind error),
 *               any other path fails to load.
 *   workloads:  sleep {seconds, mode, blocking, distribution (the real
 *               sleep's name for mode)}, fib {n: int list},
 *               kitchen {dur, mode, flag, ratio, name, n, words, count}
 *               (one of each type), http {url (required), conns, urls},
 *               broken (a param offset outside its config),
 *               baddefault (a default that does not parse), noop,
 *               crashy (listed by names() but fails to load).
 * The config structs below are the layouts the descriptors declare. */
#ifndef CONLAB_TESTS_FAKE_PLUGINS_H
#define CONLAB_TESTS_FAKE_PLUGINS_H

#include <stdint.h>

#include "spec.h"

struct threads_cfg {
    int64_t workers;
    int64_t stack_kib;
};
struct workers_cfg { /* processes and mine */
    int64_t workers;
};
struct coro_cfg {
    int64_t concurrency;
};
struct gil_cfg {
    int64_t workers;
    double switch_interval;
};

struct sleep_cfg {
    double seconds;
    const char *mode;
    int blocking;
    const char *distribution; /* the real sleep's name for mode */
};
struct fib_cfg {
    struct conlab_int_list n;
};
/* One parameter of each type, members in an order where offsets and padding
 * matter; pad is never written. */
struct kitchen_cfg {
    int flag;
    double dur;
    const char *mode;
    char pad[3];
    double ratio;
    const char *name;
    struct conlab_int_list n;
    struct conlab_string_list words;
    int64_t count;
};
struct http_cfg {
    const char *url;
    int64_t conns;
    struct conlab_string_list urls;
};

/* Indices into fake_strategies[] and fake_workloads[]. */
enum fake_strategy {
    FAKE_THREADS,
    FAKE_SEQUENTIAL,
    FAKE_PROCESSES,
    FAKE_COROUTINES,
    FAKE_GIL,
    FAKE_N_STRATEGIES
};
enum fake_workload {
    FAKE_SLEEP,
    FAKE_FIB,
    FAKE_KITCHEN,
    FAKE_HTTP,
    FAKE_BROKEN,
    FAKE_BADDEFAULT,
    FAKE_NOOP,
    FAKE_N_WORKLOADS
};

/* The descriptors, found by name through fake_lookup (static storage). */
extern const struct conlab_plugin fake_strategies[FAKE_N_STRATEGIES];
extern const struct conlab_plugin fake_workloads[FAKE_N_WORKLOADS];
/* Strategy "mine", found only by the path "./fake/mine.so". */
extern const struct conlab_plugin fake_mine_strategy;

/* The lookup to pass to cl_spec_load_*: find() returns pointers into the
 * tables above (borrowed, static), names() borrowed static strings. */
extern const struct cl_plugin_lookup fake_lookup;

#endif

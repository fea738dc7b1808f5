/*
 * conlab_plugin.h — the conlab plugin SDK: the one header a strategy or a
 * workload plugin includes.  It depends on nothing but the C library.
 *
 * The contract in four sentences:
 *   1. A plugin is a shared object exporting one function,
 *      `conlab_plugin_entry`, that returns a pointer to a static
 *      `struct conlab_plugin` descriptor (use CONLAB_PLUGIN_DEFINE).
 *   2. Workloads do the work of task i and never wait on their own: every
 *      wait (a sleep, an fd becoming readable/writable) goes through the
 *      `struct conlab_waiter` the host hands them, so the same workload runs
 *      under blocking and cooperative strategies alike.
 *   3. Strategies decide which worker runs which task and when; they call the
 *      host's `job->run_task(job, worker, index)`, which times the task, runs
 *      the workload and stores the record.  Strategies never time tasks, write
 *      files or parse YAML.
 *   4. Plugins never link against the host: everything they may call arrives
 *      as a function pointer (`struct conlab_host_api`, `struct conlab_job`).
 *
 * ABI growth rules (see docs/writing-a-strategy.md):
 *   - Every descriptor and ops table starts with its own `struct_size`; the
 *     host reads only members that lie inside it, so members are only ever
 *     APPENDED (marked "since 1.N") and never reordered, resized or removed
 *     within a major version.
 *   - `reserved[]` is the room for those appended members that keeps a
 *     structure's size unchanged: a member added within a major version takes
 *     the FIRST remaining reserved slot when it is pointer-sized and zero
 *     means "absent" (a plugin built against an older minor has zero there,
 *     because designated initialisers zero the slots), and is appended after
 *     `reserved[]` otherwise.  Plugins leave reserved slots zero and never
 *     read them; the host never reads a slot of a plugin whose abi_minor
 *     predates the member.
 *   - Tables the host walks as arrays carry their element size (since 1.1:
 *     `struct conlab_plugin.param_size`), so elements may grow too.
 *   - The host accepts a plugin with the same CONLAB_ABI_MAJOR and a
 *     CONLAB_ABI_MINOR no newer than its own, and refuses anything else with
 *     a message naming the file and both versions.
 *   - Status codes are never renumbered; retired ones become
 *     CONLAB_E_OBSOLETEnn.
 *
 * Ownership: strings and structures the host passes to a hook are borrowed
 * for the duration of that call unless stated otherwise.  State a plugin
 * returns from `create`/`worker_init` belongs to the plugin and is released
 * only by the matching `destroy`/`worker_fini`.  Memory is never freed across
 * the boundary.  Destructors accept NULL.
 */
#ifndef CONLAB_PLUGIN_H
#define CONLAB_PLUGIN_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------------ */
/* Versions                                                                  */
/* ------------------------------------------------------------------------ */

/** ABI major: a change here means old plugins cannot load. */
#define CONLAB_ABI_MAJOR 1
/** ABI minor: bumped when members are appended; older plugins still load.
 *  1.1: nested tasks (struct conlab_spawner, conlab_spawn/conlab_sync),
 *       strategy counters, param_size, conlab_waiter.struct_size,
 *       CONLAB_LOG. */
#define CONLAB_ABI_MINOR 1

#if defined(__GNUC__) || defined(__clang__)
#define CONLAB_PLUGIN_EXPORT __attribute__((visibility("default")))
#define CONLAB_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CONLAB_PLUGIN_EXPORT
#define CONLAB_PRINTF(f, a)
#endif

/* ------------------------------------------------------------------------ */
/* Status codes: 0 on success, a negative CONLAB_E_* on failure.             */
/* One list produces the enum, conlab_strerror() and conlab_err_name().      */
/* ------------------------------------------------------------------------ */

#define CONLAB_STATUS_MAP(XX)                                                  \
    XX(OK, 0, "success")                                                       \
    XX(E_INVAL, -1, "invalid argument")                                        \
    XX(E_NOMEM, -2, "out of memory")                                           \
    XX(E_IO, -3, "input/output error")                                         \
    XX(E_TIMEDOUT, -4, "timed out")                                            \
    XX(E_TASK, -5, "task failed")                                              \
    XX(E_WRONG, -6, "wrong value")                                             \
    XX(E_SYS, -7, "system call failed (see errno in the log)")                 \
    XX(E_ABI, -8, "ABI mismatch")                                              \
    XX(E_NOTSUP, -9, "operation not supported")                                \
    XX(E_INTR, -10, "interrupted")                                             \
    XX(E_CONN, -11, "connection failed")                                       \
    XX(E_PROTO, -12, "protocol error")                                         \
    XX(E_LOST, -13, "worker lost")

/* The codes run 0, -1, -2, ... without gaps, so counting the list gives the
 * lowest one (since 1.1 computed, not written by hand). */
enum conlab__status_count {
#define CONLAB__XX(n, v, s) CONLAB__COUNT_##n,
    CONLAB_STATUS_MAP(CONLAB__XX)
#undef CONLAB__XX
    CONLAB__N_STATUS
};

enum conlab_status {
#define CONLAB__XX(n, v, s) CONLAB_##n = (v),
    CONLAB_STATUS_MAP(CONLAB__XX)
#undef CONLAB__XX
    /** Never use: one below the lowest code. */
    CONLAB_E_LAST_ = -(int)CONLAB__N_STATUS
};

/** Human-readable text of a status; never NULL, never to be freed. */
static inline const char *conlab_strerror(int status)
{
    switch (status) {
#define CONLAB__XX(n, v, s) case (v): return s;
        CONLAB_STATUS_MAP(CONLAB__XX)
#undef CONLAB__XX
    default: return "unknown status";
    }
}

/** Symbolic name of a status ("E_TIMEDOUT"); never NULL, never to be freed. */
static inline const char *conlab_err_name(int status)
{
    switch (status) {
#define CONLAB__XX(n, v, s) case (v): return #n;
        CONLAB_STATUS_MAP(CONLAB__XX)
#undef CONLAB__XX
    default: return "E_UNKNOWN";
    }
}

/* ------------------------------------------------------------------------ */
/* Host services, handed to every plugin (never linked).                    */
/* ------------------------------------------------------------------------ */

enum conlab_log_level {
    CONLAB_LOG_ERROR = 0,
    CONLAB_LOG_WARN = 1,
    CONLAB_LOG_INFO = 2,
    CONLAB_LOG_DEBUG = 3
};

struct conlab_host_api {
    uint32_t struct_size;  /* sizeof at the host's build */
    uint32_t abi_major, abi_minor;
    /** Log a line prefixed with the plugin's name.  Thread- and fork-safe. */
    void (*log)(int level, const char *plugin, const char *fmt, ...)
        CONLAB_PRINTF(3, 4);
    /** CLOCK_MONOTONIC in nanoseconds.  Async-signal-safe. */
    uint64_t (*now_ns)(void);
    void *reserved[8];
};

/**
 * Log through the host (since 1.1): CONLAB_LOG(host, CONLAB_LOG_WARN,
 * "%d retries", n).  The line is prefixed with CONLAB_PLUGIN_NAME, which a
 * plugin may #define (as a string literal) BEFORE including this header;
 * otherwise it is "plugin".  `host` is any `const struct conlab_host_api *`
 * (env->host, w->host, job->host).
 */
#ifndef CONLAB_PLUGIN_NAME
#define CONLAB_PLUGIN_NAME "plugin"
#endif
#define CONLAB_LOG(host, level, ...)                                           \
    ((host)->log((level), CONLAB_PLUGIN_NAME, __VA_ARGS__))

/* ------------------------------------------------------------------------ */
/* The wait service.                                                         */
/* ------------------------------------------------------------------------ */

/**
 * A way to wait.  `wait` behaves like ppoll(2) with a nanosecond timeout:
 * it waits until one of `fds` has one of its `events` (setting `revents`), or
 * `timeout_ns` passes (timeout_ns < 0: no timeout; nfds == 0 with a timeout:
 * a sleep).  It returns the number of fds with non-zero revents (0 on
 * timeout) or a negative CONLAB_E_* status.  It never returns early because
 * of a signal.
 *
 * The host's own waiter blocks the calling thread.  A cooperative strategy
 * supplies one that parks the calling coroutine and runs others meanwhile;
 * the GIL strategy supplies one that drops its lock around the host's wait.
 */
struct conlab_waiter {
    int (*wait)(void *ctx, struct pollfd *fds, unsigned nfds,
                int64_t timeout_ns);
    void *ctx;
    /** Since 1.1: sizeof(struct conlab_waiter) at the strategy's build; the
     *  host reads it only from strategies built against 1.1 or later. */
    uint32_t struct_size;
};

/** Sleep through a waiter: the only sleep a workload may use. */
static inline int conlab_sleep_ns(const struct conlab_waiter *w, int64_t ns)
{
    return w->wait(w->ctx, NULL, 0, ns < 0 ? 0 : ns);
}

/* ------------------------------------------------------------------------ */
/* The spawn service (since 1.1): nested, fork-join tasks.                   */
/* ------------------------------------------------------------------------ */

struct conlab_worker;

/**
 * A child computation: runs `arg`'s work on worker `w` — the worker that
 * actually runs it, which under a parallel strategy may not be the one that
 * spawned it — and returns CONLAB_OK or a negative CONLAB_E_* status.  It may
 * spawn and sync children of its own through w->spawner, and may wait through
 * w->waiter.  Results go through `arg` (memory of the spawning frame, valid
 * until that frame's conlab_sync returns).
 */
typedef int (*conlab_child_fn)(void *arg, const struct conlab_worker *w);

/**
 * A group of children joined together: storage the spawning task provides
 * (usually on its stack), zeroed before the first spawn
 * (`struct conlab_group g = CONLAB_GROUP_INIT;`), and owned by the strategy's
 * spawner between the first spawn and the conlab_sync that returns.  A task
 * must sync every group it spawned into before it returns, and a group is
 * synced on the worker that spawned into it.
 */
struct conlab_group {
    uint64_t opaque[8];
};
#define CONLAB_GROUP_INIT {{0}}

/**
 * How children run.  The host hands every worker one through
 * `struct conlab_worker.spawner`; by default it is the host's SERIAL
 * ELISION: spawn runs the child at once, inline, and sync only returns the
 * first error — so every strategy runs fork-join workloads unchanged.  A
 * strategy that can run children in parallel supplies its own per worker with
 * job->set_spawner (see struct conlab_job) and runs each child through
 * job->run_child.
 *
 * Contract for a strategy's spawner:
 *   - spawn(ctx, g, fn, arg): arrange for fn(arg, w') to run exactly once, on
 *     some worker w', before sync(ctx, g) returns.  It may run it inline (for
 *     instance when its queue is full); it must not fail for lack of room.
 *     Returns CONLAB_OK, or a negative status when the child will never run.
 *   - sync(ctx, g): returns once every child spawned into g has returned,
 *     with CONLAB_OK or the first child's error.  It must never deadlock, even
 *     when every worker is inside sync: while children of g are pending, the
 *     calling worker runs other work (its own queue first, then stolen work:
 *     "help-first" joining), or the strategy uses continuations.
 *   - Both are called only on the worker that owns `ctx`.
 */
struct conlab_spawner {
    uint32_t struct_size; /* sizeof(struct conlab_spawner) at the build */
    void *ctx;            /* the strategy's per-worker state */
    int (*spawn)(void *ctx, struct conlab_group *g, conlab_child_fn fn,
                 void *arg);
    int (*sync)(void *ctx, struct conlab_group *g);
    void *reserved[4];
};

/* Parameters: declared as data, validated by the host, filled by offsetof. */
/* ------------------------------------------------------------------------ */

enum conlab_param_type {
    CONLAB_PARAM_INT = 1,    /* int64_t */
    CONLAB_PARAM_DOUBLE,     /* double */
    CONLAB_PARAM_DURATION,   /* double, seconds; YAML "250ms", "1s", 0.5 */
    CONLAB_PARAM_BOOL,       /* int (0 or 1) */
    CONLAB_PARAM_STRING,     /* const char * */
    CONLAB_PARAM_ENUM,       /* const char *, one of `choices` */
    CONLAB_PARAM_INT_LIST,   /* struct conlab_int_list */
    CONLAB_PARAM_STRING_LIST /* struct conlab_string_list */
};

/** Value of a CONLAB_PARAM_INT_LIST; the host owns `v` for the cell. */
struct conlab_int_list {
    size_t n;
    const int64_t *v;
};

/** Value of a CONLAB_PARAM_STRING_LIST; the host owns the strings. */
struct conlab_string_list {
    size_t n;
    const char *const *v;
};

/**
 * One declared parameter.  Tables end with an entry whose `name` is NULL.
 * `def` is the default written as YAML text ("20", "0.25s", "[34, 30]",
 * "fixed"); NULL means the parameter is required.  For numbers and list
 * elements, `min` <= value <= `max` is enforced when min < max.
 * `choices` lists ENUM values separated by '|' ("fixed|uniform|exponential").
 * `offset` is offsetof(your_config_struct, member): the host allocates
 * `config_size` zeroed bytes and stores the parsed value there.
 * A spec may give a list of values for a scalar parameter (or a list of lists
 * for a list parameter): the host then sweeps, one variant per value.
 */
struct conlab_param {
    const char *name;
    enum conlab_param_type type;
    const char *def;
    double min, max;
    const char *choices;
    const char *help;
    size_t offset;
};

#define CONLAB_PARAM_END { NULL, (enum conlab_param_type)0, NULL, 0, 0, NULL, NULL, 0 }

/* ------------------------------------------------------------------------ */
/* Workloads                                                                  */
/* ------------------------------------------------------------------------ */

/** What a workload's `create` learns about the cell. Borrowed. */
struct conlab_workload_env {
    uint32_t struct_size;
    uint64_t n_tasks;   /* the host-level `tasks` parameter */
    unsigned n_workers; /* how many workers the strategy will start */
    uint64_t seed;      /* derive per-task randomness from it: from ABI 1.1 the
                           repetition's seed, drawn from the spec's seed, the
                           cell and the repetition (fresh each repetition, the
                           same for the same three); a 1.0 plugin gets the
                           spec's seed itself */
    const struct conlab_host_api *host;
    const char *cell;   /* the cell's name, for messages */
    /** Base URL of the host's built-in HTTP server ("http://127.0.0.1:PORT")
     *  when the spec uses `builtin:` URLs, else NULL.  A workload replaces a
     *  leading "builtin:" in its URLs with it. */
    const char *builtin_url;
};

/** The worker a workload hook runs on.  Borrowed; valid while the worker lives. */
struct conlab_worker {
    uint32_t struct_size;
    unsigned id;                        /* 0 .. n_workers-1 */
    const struct conlab_waiter *waiter; /* the ONLY way to wait */
    const struct conlab_host_api *host;
    /** Since 1.1: how this worker spawns and joins children; never NULL
     *  (the host's serial elision unless the strategy supplies one). */
    const struct conlab_spawner *spawner;
};

/**
 * Spawn fn(arg) as a child of group g (since 1.1).  Under a host older than
 * 1.1 (w->struct_size too small) the child runs inline.  Returns CONLAB_OK or
 * a negative status when the child will never run.
 */
static inline int conlab_spawn(const struct conlab_worker *w,
                               struct conlab_group *g, conlab_child_fn fn,
                               void *arg)
{
    if (w->struct_size < offsetof(struct conlab_worker, spawner) +
                             sizeof(w->spawner) || !w->spawner) {
        int rc = fn(arg, w); /* serial elision; sync reports the error */
        if (rc != 0 && g->opaque[0] == 0)
            g->opaque[0] = (uint64_t)(int64_t)rc;
        return 0;
    }
    return w->spawner->spawn(w->spawner->ctx, g, fn, arg);
}

/** Join every child spawned into g (since 1.1): CONLAB_OK or the first
 *  child's error.  Call it before the task (or child) returns. */
static inline int conlab_sync(const struct conlab_worker *w,
                              struct conlab_group *g)
{
    if (w->struct_size < offsetof(struct conlab_worker, spawner) +
                             sizeof(w->spawner) || !w->spawner)
        return (int)(int64_t)g->opaque[0];
    return w->spawner->sync(w->spawner->ctx, g);
}

/**
 * What a task produced.  The host zeroes it before run_task.  On failure,
 * run_task returns a negative status and sets `reason` to a static string
 * (or one that lives as long as the workload state), e.g. "HTTP 500".
 */
struct conlab_task_result {
    uint64_t value;     /* checked against expected() */
    uint64_t bytes;     /* optional: bytes moved */
    int32_t code;       /* optional: protocol status, e.g. HTTP 200 */
    const char *reason; /* set on failure */
};

enum conlab_workload_flag_index {
    CONLAB__WORKLOAD_F_BLOCKING, /* waits without the waiter (on purpose) */
    CONLAB__WORKLOAD_F_LAST
};
enum conlab_workload_flags {
    /** Some variants block the calling thread on purpose (sleep blocking:). */
    CONLAB_WORKLOAD_F_BLOCKING = 1u << CONLAB__WORKLOAD_F_BLOCKING
};

struct conlab_workload_ops {
    uint32_t struct_size; /* sizeof(struct conlab_workload_ops) */
    uint32_t flags;       /* CONLAB_WORKLOAD_F_* */
    /** Required.  Build the workload state from the parsed config (the
     *  config struct outlives the state).  Runs once per repetition, in the
     *  cell's child process, before timing starts. */
    int (*create)(const struct conlab_workload_env *env, const void *config,
                  void **state);
    /** Optional.  Releases what create made; accepts NULL. */
    void (*destroy)(void *state);
    /** Optional.  Per-worker state (an HTTP session, a buffer), created on
     *  the worker's own thread/process/coroutine.  May wait via w->waiter. */
    int (*worker_init)(void *state, const struct conlab_worker *w,
                       void **wctx);
    /** Optional.  Called once for every successful worker_init, on the same
     *  worker; accepts a NULL wctx. */
    void (*worker_fini)(void *state, const struct conlab_worker *w,
                        void *wctx);
    /** Required.  Do task `index` on worker `w`.  Called concurrently for
     *  different workers; never concurrently for the same worker. */
    int (*run_task)(void *state, void *wctx, const struct conlab_worker *w,
                    uint64_t index, struct conlab_task_result *res);
    /** Optional.  The value task `index` must produce.  NULL (or a return of
     *  CONLAB_E_NOTSUP) means values are not checked; exactly-once always is. */
    int (*expected)(void *state, uint64_t index, uint64_t *value);
    void *reserved[8];
};

/* ------------------------------------------------------------------------ */
/* Strategies                                                                 */
/* ------------------------------------------------------------------------ */

/**
 * A job: what a strategy runs.  Every function pointer is host code.
 *
 * Thread- and fork-safety: all callbacks may be called from any thread of the
 * cell and from processes forked by the strategy after `run` was entered
 * (task records live in shared memory).  Calls for one worker must not
 * overlap; calls for different workers may.
 *
 * The life of worker w (on the thread/process/coroutine that IS worker w):
 *     job->bind(job, w);                       optional: pin to its cpuset
 *     job->worker_begin(job, w, waiter);       workload worker_init
 *     while ((i = job->claim(job)) >= 0)
 *         job->run_task(job, w, (uint64_t)i);  timed, recorded
 *     job->worker_end(job, w);                 workload worker_fini
 */
struct conlab_job {
    uint32_t struct_size;
    unsigned n_workers; /* as the strategy's workers() asked */
    uint64_t n_tasks;   /* tasks are indexed 0 .. n_tasks-1 */
    const struct conlab_host_api *host;
    void *host_data; /* opaque: belongs to the host */

    /** Start worker w on the calling thread/process/coroutine: runs the
     *  workload's worker_init.  `waiter` is how this worker's tasks will
     *  wait; NULL selects the host's blocking waiter (default_waiter).
     *  The waiter must stay valid until worker_end.  Returns CONLAB_OK, or
     *  the workload's error, in which case the worker must not run tasks
     *  (and need not call worker_end). */
    int (*worker_begin)(const struct conlab_job *job, unsigned w,
                        const struct conlab_waiter *waiter);
    /** Run task `index` on worker w, now, on the calling context: the host
     *  stamps start/end, the CPU, the worker, runs the workload and stores
     *  the record.  Returns the task's status (a failed task is recorded; the
     *  strategy just goes on). */
    int (*run_task)(const struct conlab_job *job, unsigned w, uint64_t index);
    /** End worker w: runs the workload's worker_fini. */
    void (*worker_end)(const struct conlab_job *job, unsigned w);
    /** Next task index not yet handed out, or -1 when all are.  Atomic across
     *  threads and forked processes.  A strategy may instead assign indices
     *  itself; the host checks exactly-once either way. */
    int64_t (*claim)(const struct conlab_job *job);
    /** Bind the calling thread to worker w's planned cpuset (a no-op when
     *  the spec says `pinning: none`).  Call it from the worker's own thread
     *  or process, before worker_begin. */
    int (*bind)(const struct conlab_job *job, unsigned w);
    /** Say that worker w is gone (its process died): its unfinished task is
     *  recorded as failed with `reason` (borrowed for the call; the host
     *  copies it).  Strategies that fork call it, from the parent. */
    void (*worker_lost)(const struct conlab_job *job, unsigned w,
                        const char *reason);
    /** The host's blocking waiter (poll/nanosleep); a strategy that wraps
     *  waiting (the GIL) calls through it. */
    const struct conlab_waiter *default_waiter;

    /** Since 1.1.  Make `spawner` worker w's spawn service (NULL: the host's
     *  serial elision).  Call it on worker w's context BEFORE
     *  worker_begin; the spawner must stay valid until worker_end.  Returns
     *  CONLAB_OK or CONLAB_E_INVAL (w out of range, worker already begun). */
    int (*set_spawner)(const struct conlab_job *job, unsigned w,
                       const struct conlab_spawner *spawner);
    /** Since 1.1.  Run child fn(arg) on worker w, now, on the calling context
     *  (which must be worker w's, between worker_begin and worker_end): the
     *  host hands it worker w's struct conlab_worker and counts it.  Returns
     *  the child's status.  A strategy's spawner runs every child — queued,
     *  stolen or inline — through this. */
    int (*run_child)(const struct conlab_job *job, unsigned w,
                     conlab_child_fn fn, void *arg);
    /** Since 1.1.  Add `delta` to counter `counter` (an index into the
     *  strategy's `counters` names, see struct conlab_strategy_ops) for this
     *  repetition.  Atomic across threads and forked processes; cheap, but
     *  meant to be called a few times per worker (keep per-worker tallies and
     *  add them at the end), not per task.  Out-of-range indices are ignored
     *  (and reported as misuse). */
    void (*count)(const struct conlab_job *job, unsigned counter,
                  uint64_t delta);
    void *reserved[5];
};

struct conlab_strategy_ops {
    uint32_t struct_size; /* sizeof(struct conlab_strategy_ops) */
    /** No strategy flags are defined: set 0.  The host refuses a strategy
     *  with unknown bits set, so a future flag cannot be silently ignored. */
    uint32_t flags;
    /** Required.  How many workers a job for `n_tasks` tasks will have under
     *  this config (the host plans placement and per-worker state for them). */
    int (*workers)(const void *config, uint64_t n_tasks, unsigned *n_workers);
    /** Required.  Run every task of the job and return when all are done (or
     *  can never be).  Runs in the cell's child process; it may create
     *  threads and fork, and must reap whatever it started before returning.
     *  Return CONLAB_OK, or a negative status if the strategy itself failed. */
    int (*run)(const struct conlab_job *job, const void *config);
    /** Since 1.1 (optional).  Names of the strategy's counters, NULL-
     *  terminated ([a-z0-9_]+, at most 16): job->count(job, i, delta) adds
     *  to counters[i]; each lands in results.csv as `counter.<name>` and in
     *  `conlab report --format json`. */
    const char *const *counters;
    void *reserved[7];
};

/* ------------------------------------------------------------------------ */
/* The descriptor and the entry point.                                        */
/* ------------------------------------------------------------------------ */

enum conlab_kind {
    CONLAB_KIND_STRATEGY = 1,
    CONLAB_KIND_WORKLOAD = 2
};

struct conlab_plugin {
    uint32_t abi_major;   /* CONLAB_ABI_MAJOR at the plugin's build */
    uint32_t abi_minor;   /* CONLAB_ABI_MINOR at the plugin's build */
    uint32_t struct_size; /* sizeof(struct conlab_plugin) at the build */
    uint32_t kind;        /* enum conlab_kind */
    const char *name;     /* [a-z0-9_-]+, as written in specs */
    const char *summary;  /* one line for `conlab list` */
    const char *version;  /* the plugin's own version */
    const struct conlab_param *params; /* NULL-terminated, or NULL */
    size_t config_size;                /* bytes of the struct params fill */
    const struct conlab_strategy_ops *strategy; /* kind == STRATEGY */
    const struct conlab_workload_ops *workload; /* kind == WORKLOAD */
    /** Since 1.1: sizeof(struct conlab_param) at the build, the stride the
     *  host walks `params` with (0, from older plugins: the 1.0 size).
     *  CONLAB_PLUGIN_HEADER fills it. */
    size_t param_size;
    void *reserved[7];
};

/** The entry point's type.  `host` stays valid for the life of the process. */
typedef const struct conlab_plugin *(*conlab_plugin_entry_fn)(
    const struct conlab_host_api *host);

#define CONLAB_PLUGIN_ENTRY_SYMBOL "conlab_plugin_entry"

/**
 * Define the exported entry point returning `desc` (a static const struct
 * conlab_plugin), at the end of the plugin's one C file:
 *
 *     CONLAB_PLUGIN_DEFINE(my_plugin)
 *
 * The host API also reaches every hook (env->host, w->host, job->host), so
 * the entry keeps no global state.
 */
#define CONLAB_PLUGIN_DEFINE(desc)                                             \
    CONLAB_PLUGIN_EXPORT const struct conlab_plugin *conlab_plugin_entry(      \
        const struct conlab_host_api *host);                                   \
    const struct conlab_plugin *conlab_plugin_entry(                           \
        const struct conlab_host_api *host)                                    \
    {                                                                          \
        (void)host;                                                            \
        return &(desc);                                                        \
    }

/** Designated-initialiser helpers for the descriptor's version header. */
#define CONLAB_PLUGIN_HEADER(kind_)                                            \
    .abi_major = CONLAB_ABI_MAJOR, .abi_minor = CONLAB_ABI_MINOR,              \
    .struct_size = (uint32_t)sizeof(struct conlab_plugin), .kind = (kind_),    \
    .param_size = sizeof(struct conlab_param)

#ifdef __cplusplus
}
#endif

#endif /* CONLAB_PLUGIN_H */

/* job.h — one repetition of one cell: the task records in shared memory, the
 * struct conlab_job handed to the strategy, and the exactly-once check.
 * Host-private. */
#ifndef CONLAB_HOST_JOB_H
#define CONLAB_HOST_JOB_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/resource.h>

#include <conlab/conlab_plugin.h>

#include "claim.h"
#include "registry.h"
#include "topo.h"

enum cl_rec_state { CL_REC_NEVER = 0, CL_REC_RUNNING = 1, CL_REC_DONE = 2 };

/* One task's record: 64 bytes, written by whichever thread or process ran the
 * task, read by the host after the repetition. */
struct cl_record {
    _Atomic uint32_t runs;  /* how many times run_task was called for it */
    _Atomic uint32_t state; /* enum cl_rec_state */
    int32_t status;         /* CONLAB_OK or the task's CONLAB_E_* */
    int32_t cpu;            /* sched_getcpu() when it started */
    uint32_t worker;
    int32_t code;           /* workload's protocol code (HTTP status) */
    uint64_t start_ns, end_ns; /* CLOCK_MONOTONIC */
    uint64_t value;
    uint64_t bytes;
    uint32_t reason;        /* 1-based index into the reason table, 0 none */
    uint32_t pad_;
};

#define CL_MAX_REASONS 32
#define CL_REASON_LEN 120

/* The shared header of a repetition, in MAP_SHARED memory mapped by the host
 * before it forks the cell's child. */
struct cl_shared {
    struct cl_claim claim;           /* job->claim's indices */
    _Atomic uint64_t bad_index;      /* run_task with index >= n_tasks */
    _Atomic uint64_t misuse;         /* run_task for a worker not begun, ... */
    _Atomic uint32_t workers_begun, workers_ended, workers_init_failed,
        workers_lost;
    uint64_t wall_start_ns, wall_end_ns;
    int32_t phase;       /* enum cl_phase */
    int32_t run_status;  /* strategy run()'s return */
    int32_t has_expected;
    unsigned n_workers;
    struct rusage ru_delta; /* self + children over the timed run() */
    char error[512];        /* why the repetition could not run */
    uint32_t n_counters;    /* the strategy's counter names (since ABI 1.1) */
    _Atomic uint64_t counters[CL_MAX_COUNTERS]; /* job->count() adds here */
    _Atomic int reason_lock;
    uint32_t n_reasons;
    char reasons[CL_MAX_REASONS][CL_REASON_LEN];
};

enum cl_phase {
    CL_PHASE_NONE = 0,     /* child never got going */
    CL_PHASE_CREATED,      /* workload created */
    CL_PHASE_RUNNING,      /* inside strategy run() */
    CL_PHASE_FINISHED,     /* run() returned */
    CL_PHASE_ERROR         /* setup failed: see error[] */
};

/* The memory of one cell: header + records + expected values. */
struct cl_cellmem {
    struct cl_shared *sh;
    struct cl_record *rec;
    uint64_t *expected;
    uint64_t n_tasks;
    size_t bytes;
};

int cl_cellmem_map(struct cl_cellmem *m, uint64_t n_tasks);
void cl_cellmem_reset(struct cl_cellmem *m);
void cl_cellmem_unmap(struct cl_cellmem *m);

/* Intern a failure reason into the shared table (any process); returns the
 * 1-based id. */
uint32_t cl_reason_intern(struct cl_shared *sh, const char *reason);

/* Everything a repetition's child needs. */
struct cl_rep_input {
    const struct cl_plugin *strategy;
    const void *strategy_config;
    const struct cl_plugin *workload;
    const void *workload_config;
    uint64_t n_tasks;
    unsigned n_workers;
    uint64_t seed;
    const char *cell;
    const struct cl_topo *topo;
    const struct cl_plan *plan;
    const char *builtin_url; /* the built-in server, when the spec uses it */
};

/* In the cell's child: create the workload, compute expected values, run the
 * strategy (timed), destroy.  Never returns: _exit()s. */
void cl_rep_child(const struct cl_rep_input *in, struct cl_cellmem *m)
    __attribute__((noreturn));

/* The exactly-once and value check, done by the host after a repetition. */
struct cl_check {
    uint64_t ran_ok;     /* ran once, status OK, right value */
    uint64_t failed;     /* ran, status not OK (incl. lost workers and
                            the unfinished) */
    uint64_t unfinished; /* started, never finished, no worker_lost */
    uint64_t missing;    /* never ran */
    uint64_t duplicated; /* ran more than once */
    uint64_t wrong;      /* ran OK, value != expected */
    uint64_t bad_index;
    uint64_t misuse;
    /* failure reasons with counts, most frequent first */
    size_t n_reasons;
    struct { char text[CL_REASON_LEN]; uint64_t count; } reasons[CL_MAX_REASONS + 1];
};

/* Check the records of m into *out (every field).  `unfinished` is the
 * failure reason counted for the tasks started and never finished (NULL:
 * "task never finished (worker vanished)"): why they stopped is the
 * caller's to say (the cell's timeout, its process's death, ...). */
void cl_check_records(const struct cl_cellmem *m, const char *unfinished,
                      struct cl_check *out);

#endif

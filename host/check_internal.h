/* check_internal.h — what the files of `conlab check` share: a plugin entry
 * of a generated spec, the checker's state, the verdicts, and running one
 * cell (checker.c); the checks of a strategy (check_strategy.c) and of a
 * workload (check_workload.c).  Private to check*.c and checker.c. */
#ifndef CONLAB_HOST_CHECK_INTERNAL_H
#define CONLAB_HOST_CHECK_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "job.h"
#include "registry.h"
#include "rundir.h"

struct cl_server;
struct cl_spec;
struct cl_topo;
struct cl_variant;

/* ---- a plugin as written into a generated spec ----------------------------- */

#define CL_PLUGREF_MAX 64

struct cl_plugref_kv {
    const char *key; /* borrowed */
    char *value;     /* owned */
};

struct cl_plugref {
    const char *name; /* the spec entry's name; borrowed */
    const char *path; /* NULL: found by name in the plugin path; borrowed */
    size_t n;
    struct cl_plugref_kv kv[CL_PLUGREF_MAX];
};

/** An entry with no parameters. */
void cl_plugref_init(struct cl_plugref *r, const char *name, const char *path);
/** Free the values (keys are borrowed); r can be set again. */
void cl_plugref_free(struct cl_plugref *r);
/** Set key to value (printf-style), replacing an earlier value; key is
 *  borrowed.  0, or -1 when the table is full or out of memory. */
int cl_plugref_set(struct cl_plugref *r, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** dst (uninitialised) becomes a copy of src; free it with cl_plugref_free. */
void cl_plugref_copy(struct cl_plugref *dst, const struct cl_plugref *src);

/* ---- the checker ------------------------------------------------------------ */

struct cl_checker {
    struct cl_registry reg;
    struct cl_topo *topo;
    const struct cl_plugin *plugin; /* under test */
    struct cl_plugref sut;          /* it, with the --param values */
    double timeout_s;
    uint64_t seed;
    const char *only; /* comma-separated check names, or NULL */
    struct cl_server *server;       /* started on first need */
    int server_failed;
    unsigned passed, failed, skipped;
    int interrupted;
    int internal_error;
};

/** Is check `name` to run (--only)?  1 or 0. */
int cl_ck_selected(const struct cl_checker *ck, const char *name);
/** "PASS name[ (detail)]" on stdout and counted; fmt may be NULL. */
void cl_ck_pass(struct cl_checker *ck, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** "FAIL name: reason" on stdout and counted. */
void cl_ck_fail(struct cl_checker *ck, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/** "SKIP name: reason" on stdout and counted. */
void cl_ck_skip(struct cl_checker *ck, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/** Load the one-cell spec s x w (pinning NULL: none) with the check's
 *  timeout and seed.  The spec (cl_spec_free), or NULL with the loader's
 *  messages in why. */
struct cl_spec *cl_ck_load_spec(struct cl_checker *ck, const struct cl_plugref *s,
                                const struct cl_plugref *w, const char *pinning,
                                char *why, size_t whylen);
/** The built-in server's URL when the workload variant names `builtin:`
 *  (started on first need; owned by ck), else NULL. */
const char *cl_ck_builtin_url(struct cl_checker *ck, const struct cl_variant *w);

/* ---- running one cell -------------------------------------------------------- */

/** What one run of a cell left. */
struct cl_outcome {
    struct cl_rep_row row;
    struct cl_cellmem mem; /* mapped when ran */
    unsigned n_workers;
    uint32_t begun, ended, lost, init_failed;
    uint64_t misuse, bad_index;
    int finished;   /* the strategy's run() returned */
    int run_status; /* what it returned */
    char why[1024]; /* when it could not run */
};

/** Run strategy s x workload w once.  0 when it ran (o->row judged, o->mem
 *  to be released by cl_ck_outcome_free), -1 when it could not (o->why;
 *  nothing to free).  An interrupted run sets ck->interrupted. */
int cl_ck_run_cell(struct cl_checker *ck, const struct cl_plugref *s,
                   const struct cl_plugref *w, const char *pinning,
                   struct cl_outcome *o);
/** Release what cl_ck_run_cell mapped. */
void cl_ck_outcome_free(struct cl_outcome *o);
/** "wrong: 1 tasks never ran", with the failure reasons when tasks failed:
 *  written into buf, which is returned. */
const char *cl_ck_describe(const struct cl_outcome *o, char *buf, size_t len);
/** Run a cell and report it as check `name`: PASS when the row is ok. */
void cl_ck_expect_ok(struct cl_checker *ck, const char *name,
                     const struct cl_plugref *s, const struct cl_plugref *w);

/* ---- helpers about plugins --------------------------------------------------- */

/** Is plugin `name` of `kind` in the plugin path (and loadable)?  1, or 0
 *  with why. */
int cl_ck_have(struct cl_checker *ck, enum conlab_kind kind, const char *name,
               char *why, size_t whylen);
/** Ask the strategy under test for `want` workers (clamped to its range)
 *  in r; 0 when it has no such parameter. */
int cl_ck_set_workers(const struct cl_checker *ck, struct cl_plugref *r,
                      long long want);

/* ---- the checks --------------------------------------------------------------- */

/** Every strategy check --only selects (check_strategy.c). */
void cl_ck_strategy(struct cl_checker *ck);
/** Every workload check --only selects (check_workload.c). */
void cl_ck_workload(struct cl_checker *ck);

#endif

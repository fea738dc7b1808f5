/* pinning.h — how workers are placed on PUs: the kinds (one list, from which
 * the enum and the names are generated) and the command-line syntax.
 * Placing workers on a topology is topo.h's.  Host-private. */
#ifndef CONLAB_HOST_PINNING_H
#define CONLAB_HOST_PINNING_H

#include <stddef.h>

/* X(enumerator, name as written in specs, run.yaml and on command lines) */
#define CL_PINNING_KINDS(X)                                                    \
    X(CL_PIN_NONE, "none")                                                     \
    X(CL_PIN_COMPACT, "compact")                                               \
    X(CL_PIN_SCATTER, "scatter")                                               \
    X(CL_PIN_LIST, "list")

#define CL_PINNING_ENUM_(e, name) e,
enum cl_pinning_kind { CL_PINNING_KINDS(CL_PINNING_ENUM_) };
#undef CL_PINNING_ENUM_

struct cl_pinning {
    enum cl_pinning_kind kind;
    size_t n;  /* CL_PIN_LIST: number of entries */
    int *cpus; /* CL_PIN_LIST: OS indices of PUs; worker i -> cpus[i % n] */
};

/** "none", "compact", "scatter", "list"; "?" for a value out of the enum.
 *  A static string. */
const char *cl_pinning_kind_name(enum cl_pinning_kind kind);

/** The kind named `name` ("none", "compact" or "scatter": "list" is written
 *  as a list, not by name).  0 and *kind, or -1. */
int cl_pinning_kind_parse(const char *name, enum cl_pinning_kind *kind);

/** The names cl_pinning_kind_parse takes, for "did you mean" (static). */
extern const char *const cl_pinning_names[];
extern const size_t cl_pinning_n_names;

/** Most entries a pinning list may have. */
#define CL_MAX_PIN_LIST 65536

/** Parse a pinning as written on a command line: "none", "compact",
 *  "scatter", or a list of PU OS indices such as "0,2,4" or "0-3,8" (kept
 *  in order, repeats allowed, at most CL_MAX_PIN_LIST).  Returns 0 and fills
 *  *pin (the caller frees pin->cpus), or -1 with a message in err. */
int cl_pinning_parse(const char *text, struct cl_pinning *pin, char *err,
                     size_t errlen);

/** The pinning as results.csv and run.yaml write it: "none", "compact",
 *  "scatter", or the CPU list "0;2;4".  Into buf; returns buf or a static
 *  string. */
const char *cl_pinning_text(const struct cl_pinning *p, char *buf, size_t len);

#endif

/* oneliner.h — `conlab run --strategy NAME[:k=v,...] --workload NAME[:k=v,...]`:
 * the spec text such arguments stand for, and its loading with every
 * problem named by the argument it comes from.  Host-private. */
#ifndef CONLAB_HOST_ONELINER_H
#define CONLAB_HOST_ONELINER_H

#include <stddef.h>

#include "registry.h"
#include "spec.h"

/* The spec's name in diagnostics and its `spec_path` in run.yaml. */
#define CL_ONELINER_NAME "<command line>"
/* The experiment's name (results/cli/<timestamp>/). */
#define CL_ONELINER_EXPERIMENT "cli"

/* The arguments, borrowed: each is NAME or NAME:KEY=VALUE[,KEY=VALUE]...,
 * a VALUE is YAML (`[1, 2, 4]` sweeps; commas inside [], {} or quotes do
 * not split). */
struct cl_oneliner {
    const char *const *strategies;
    size_t n_strategies;
    const char *const *workloads;
    size_t n_workloads;
    int repeat, warmup;   /* written into the spec when >= 0 */
};

/** The YAML spec text the arguments stand for (malloc'ed, NUL-terminated,
 *  the caller frees it).  first_line, when not NULL, has room for
 *  n_strategies + n_workloads entries and gets the 1-based line where each
 *  argument's entry starts (strategies first).  NULL after printing
 *  "conlab run: --strategy 'ARG': why" to stderr (a malformed argument). */
char *cl_oneliner_text(const struct cl_oneliner *o, int *first_line);

/** Generate the text and load it as cl_spec_open_text does (name
 *  CL_ONELINER_NAME, plugin paths relative to the working directory); with
 *  `show`, print the text to stdout first (--dry-run).  0 and *spec, or -1
 *  after printing every problem to stderr, each one the spec loader found
 *  in an argument's entry as "conlab run: --workload 'ARG': message".
 *  `opts`: --set overrides applied on top (NULL: none). */
int cl_oneliner_open(struct cl_registry *reg, const struct cl_oneliner *o,
                     int show, const struct cl_spec_opts *opts,
                     struct cl_spec **spec);

#endif

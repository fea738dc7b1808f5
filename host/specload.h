/* specload.h — the one way a command turns a spec file (or the built-in
 * default) into a validated struct cl_spec, used by run, validate, merge,
 * slurm and status.  Host-private. */
#ifndef CONLAB_HOST_SPECLOAD_H
#define CONLAB_HOST_SPECLOAD_H

#include <stddef.h>

#include "registry.h"
#include "spec.h"

/* The default experiment (experiments/seeds.yaml), embedded at build time. */
extern const char conlab_default_spec[];
extern const size_t conlab_default_spec_len;
#define CL_DEFAULT_SPEC_NAME "<builtin>/seeds.yaml"

/** Load and validate the spec at `path` with the plugins of `reg`, exactly as
 *  `conlab run` does (relative `plugin:` paths are tried next to the spec);
 *  `path` NULL: the built-in default.  `reg` NULL: no plugin is loaded (see
 *  cl_spec_load_string: no variants).  On failure prints every diagnostic
 *  (FILE:LINE:COL: message) and a count to stderr and returns -1. */
int cl_spec_open(struct cl_registry *reg, const char *path, struct cl_spec **spec);
/** The same for a spec in memory, named `name` in diagnostics; relative
 *  `plugin:` paths are tried in `spec_dir` (NULL: the working directory). */
int cl_spec_open_text(struct cl_registry *reg, const char *name,
                      const char *text, size_t len, const char *spec_dir,
                      struct cl_spec **spec);

/** The same two with --set overrides (opts NULL: none; see struct
 *  cl_spec_opts).  Warnings are printed too, and do not fail the load. */
int cl_spec_open_opts(struct cl_registry *reg, const char *path,
                      const struct cl_spec_opts *opts, struct cl_spec **spec);
int cl_spec_open_text_opts(struct cl_registry *reg, const char *name,
                           const char *text, size_t len, const char *spec_dir,
                           const struct cl_spec_opts *opts,
                           struct cl_spec **spec);

/** Whether this machine can honour the spec's pinning: every PU a pinning
 *  list names exists and this process may use it (what `conlab run`
 *  requires; validate and run both call this).  0, or -1 after printing
 *  "FILE:LINE:COL: error: pinning: why" to stderr. */
int cl_spec_check_machine(const struct cl_spec *spec);

#endif

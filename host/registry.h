/* registry.h — finding, loading and validating plugins.  Host-private. */
#ifndef CONLAB_HOST_REGISTRY_H
#define CONLAB_HOST_REGISTRY_H

#include <stddef.h>

#include <conlab/conlab_plugin.h>

#include "spec.h"

/* The most counters a strategy may name (struct conlab_strategy_ops.counters):
 * the registry refuses more, and job.h sizes the shared tallies with it. */
#define CL_MAX_COUNTERS 16

/** A loaded, validated plugin.  `desc`, `sops` and `wops` are the plugin's
 *  tables copied into host-sized structs, zero-extended past what the plugin's
 *  struct_size covers, so the host may read every member it knows. */
struct cl_plugin {
    char *path;                      /* owned: the file it came from */
    void *dl;                        /* dlopen handle */
    struct conlab_plugin desc;       /* desc.strategy/workload point below */
    struct conlab_strategy_ops sops;
    struct conlab_workload_ops wops;
    uint32_t built_major, built_minor;
    /* owned: the plugin's parameter table re-laid at the host's stride, when
     * the plugin's param_size differs (desc.params then points here) */
    struct conlab_param *params_copy;
};

struct cl_registry {
    char **dirs;        /* search path, in order */
    size_t n_dirs;
    struct cl_plugin **v; /* loaded so far */
    size_t n;
    int scanned;        /* every dir read */
    char **scan_errors; /* messages from plugins that failed to load in a scan */
    size_t n_scan_errors;
    char *spec_dir;     /* relative `plugin:` paths are tried here too */
};

/** Search path: $CONLAB_PLUGIN_PATH (colon-separated), then the build-tree
 *  and install-tree directories next to the executable. */
void cl_registry_init(struct cl_registry *r);
void cl_registry_free(struct cl_registry *r);

/** dlopen `path` (RTLD_NOW|RTLD_LOCAL), find the entry symbol and validate
 *  the descriptor.  NULL with a message ("path: why") on failure. */
struct cl_plugin *cl_plugin_open(const char *path, char *err, size_t errlen);
void cl_plugin_close(struct cl_plugin *p);

/** Validate a descriptor (as returned by an entry point) for `path`.
 *  0, or -1 with a message naming path.  Fills p's zero-extended copies on
 *  success: members newer than the plugin's abi_minor read as 0/NULL, and
 *  desc.params is walkable with the host's sizeof(struct conlab_param) (a
 *  copy owned by p when the plugin's param_size differs; release p with
 *  cl_plugin_close).  Refused besides the version and size rules: a bad
 *  parameter table (params.h) and strategy counter names that are not
 *  [a-z0-9_]{1,64}, repeat, or number more than CL_MAX_COUNTERS. */
int cl_plugin_validate(const struct conlab_plugin *d, const char *path,
                       struct cl_plugin *p, char *err, size_t errlen);

/** The plugin named `name` of `kind`: "<dir>/<kind>_<name>.so" in each
 *  search dir.  NULL with a message listing known names on failure. */
const struct cl_plugin *cl_registry_find(struct cl_registry *r,
                                         enum conlab_kind kind,
                                         const char *name, char *err,
                                         size_t errlen);
/** Load a plugin by path (tried as given, then relative to spec_dir). */
const struct cl_plugin *cl_registry_load(struct cl_registry *r,
                                         const char *path, char *err,
                                         size_t errlen);
/** Load every plugin in the search path (for `list`); failures are kept in
 *  scan_errors. */
void cl_registry_scan(struct cl_registry *r);

/** Adapter for the spec loader. */
struct cl_plugin_lookup cl_registry_lookup(struct cl_registry *r);

/** The host's record of a plugin behind a descriptor the lookup returned. */
const struct cl_plugin *cl_plugin_of(const struct conlab_plugin *d);

const char *cl_kind_name(enum conlab_kind kind);

#endif

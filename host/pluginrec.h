/* pluginrec.h — what run.yaml records of the plugins a run uses: name,
 * kind, file, ABI, version and the SHA-256 of the file. */
#ifndef CONLAB_HOST_PLUGINREC_H
#define CONLAB_HOST_PLUGINREC_H

#include <stddef.h>

#include "digest.h"
#include "spec.h"

struct cl_plugin_rec {
    const char *name, *kind; /* borrowed: the descriptor's; "strategy" ... */
    const char *path;        /* borrowed: the registry's record of the file */
    const char *version;     /* borrowed: the descriptor's, or NULL */
    char abi[24];            /* "MAJOR.MINOR" the plugin was built against */
    char sha256[CL_SHA256_HEX]; /* of the file; "" when it cannot be read */
};

/** One record per plugin `spec` uses (each once, in spec order: strategies,
 *  then workloads).  The spec must have been loaded through the registry
 *  (cl_registry_lookup), which keeps the strings borrowed here alive.
 *  Returns the array (the caller frees it; NULL when *n is 0). */
struct cl_plugin_rec *cl_plugin_recs(const struct cl_spec *spec, size_t *n);

#endif

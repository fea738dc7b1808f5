/* pluginrec.c — see pluginrec.h. */
#include "pluginrec.h"

#include <stdio.h>

#include "registry.h"
#include "util.h"

/* Append the record of v's plugin, unless there is one already. */
static void add(struct cl_plugin_rec **v, size_t *n, const struct cl_variant *var)
{
    const struct cl_plugin *p = cl_plugin_of(var->plugin);
    for (size_t i = 0; i < *n; i++)
        if ((*v)[i].path == p->path)
            return;
    *v = cl_xrealloc(*v, (*n + 1) * sizeof **v);
    struct cl_plugin_rec *r = &(*v)[(*n)++];
    r->name = p->desc.name;
    r->kind = cl_kind_name((enum conlab_kind)p->desc.kind);
    r->path = p->path;
    r->version = p->desc.version;
    snprintf(r->abi, sizeof r->abi, "%u.%u", (unsigned)p->desc.abi_major,
             (unsigned)p->desc.abi_minor);
    cl_sha256_file(p->path, r->sha256); /* "" when unreadable */
}

struct cl_plugin_rec *cl_plugin_recs(const struct cl_spec *spec, size_t *n)
{
    struct cl_plugin_rec *v = NULL;
    *n = 0;
    for (size_t i = 0; i < spec->n_strategies; i++)
        add(&v, n, &spec->strategies[i]);
    for (size_t i = 0; i < spec->n_workloads; i++)
        add(&v, n, &spec->workloads[i]);
    return v;
}

/* specload.c — see specload.h. */
#include "specload.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "neutral.h"
#include "topo.h"
#include "util.h"

/* A label names its variant in every output (files, terminal, reports): no
 * password of a URL in it.  The plugin still gets the whole value. */
static void mask_labels(struct cl_variant *v, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *masked = cl_neutral_url(v[i].label);
        free(v[i].label);
        v[i].label = masked;
    }
}

static int spec_load(struct cl_registry *reg, const char *name, const char *text,
                     size_t len, const char *spec_dir,
                     const struct cl_spec_opts *opts, struct cl_spec **spec)
{
    struct cl_diags diags = {0, 0, NULL};
    struct cl_plugin_lookup lk;
    if (reg) {
        lk = cl_registry_lookup(reg);
        free(reg->spec_dir);
        reg->spec_dir = spec_dir ? cl_xstrdup(spec_dir) : NULL;
    }
    const struct cl_plugin_lookup *use = reg ? &lk : NULL;
    int rc = text ? cl_spec_load_string_opts(name, text, len, use, opts, spec,
                                             &diags)
                  : cl_spec_load_file_opts(name, use, opts, spec, &diags);
    cl_diags_print(stderr, &diags); /* warnings too */
    if (rc == 0) {
        mask_labels((*spec)->strategies, (*spec)->n_strategies);
        mask_labels((*spec)->workloads, (*spec)->n_workloads);
    } else {
        size_t n = cl_diags_errors(&diags, 0);
        fprintf(stderr, "conlab: %zu error%s in %s\n", n, n == 1 ? "" : "s",
                name);
    }
    cl_diags_free(&diags);
    return rc;
}

int cl_spec_open_text_opts(struct cl_registry *reg, const char *name,
                           const char *text, size_t len, const char *spec_dir,
                           const struct cl_spec_opts *opts,
                           struct cl_spec **spec)
{
    return spec_load(reg, name, text, len, spec_dir, opts, spec);
}

int cl_spec_open_text(struct cl_registry *reg, const char *name,
                      const char *text, size_t len, const char *spec_dir,
                      struct cl_spec **spec)
{
    return spec_load(reg, name, text, len, spec_dir, NULL, spec);
}

int cl_spec_open_opts(struct cl_registry *reg, const char *path,
                      const struct cl_spec_opts *opts, struct cl_spec **spec)
{
    if (!path)
        return cl_spec_open_text_opts(reg, CL_DEFAULT_SPEC_NAME,
                                      conlab_default_spec,
                                      conlab_default_spec_len, NULL, opts,
                                      spec);
    const char *slash = strrchr(path, '/');
    char *dir = slash ? strndup(path, (size_t)(slash - path)) : NULL;
    int rc = spec_load(reg, path, NULL, 0, dir, opts, spec);
    free(dir);
    return rc;
}

int cl_spec_open(struct cl_registry *reg, const char *path, struct cl_spec **spec)
{
    return cl_spec_open_opts(reg, path, NULL, spec);
}

int cl_spec_check_machine(const struct cl_spec *spec)
{
    if (spec->pinning.kind != CL_PIN_LIST)
        return 0;
    char err[1024];
    struct cl_topo *topo = NULL;
    struct cl_plan *plan = NULL;
    int rc = cl_topo_open(&topo, NULL, err, sizeof err);
    if (rc == 0)
        rc = cl_topo_plan(topo, &spec->pinning, (unsigned)spec->pinning.n,
                          &plan, err, sizeof err);
    if (rc != 0)
        fprintf(stderr, "%s:%d:%d: error: pinning: %s\n", spec->path,
                spec->pinning_line, spec->pinning_col, err);
    cl_plan_free(plan);
    cl_topo_close(topo);
    return rc;
}

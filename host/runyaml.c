/* runyaml.c — see runyaml.h. */
#include "runyaml.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <hwloc.h>

#include "config.h"
#include "neutral.h"
#include "rundir.h"
#include "util.h"

void cl_runyaml_conlab(struct cl_yout *y, int build)
{
    cl_yout_scalar(y, "conlab");
    cl_yout_map_start(y);
    cl_yout_kv(y, "version", CONLAB_VERSION);
    cl_yout_kvf(y, "plugin_abi", "%d.%d", CONLAB_ABI_MAJOR, CONLAB_ABI_MINOR);
    if (build) {
        cl_yout_kv(y, "compiler", "gcc-compatible " __VERSION__);
        cl_yout_kv(y, "libyaml", yaml_get_version_string());
        unsigned hv = hwloc_get_api_version();
        cl_yout_kvf(y, "hwloc", "%u.%u.%u", hv >> 16, (hv >> 8) & 0xff, hv & 0xff);
    }
    cl_yout_map_end(y);
}

void cl_runyaml_command(struct cl_yout *y, const char *prefix, int argc,
                        char **argv)
{
    cl_yout_scalar(y, "command_line");
    cl_yout_seq_start(y, 1);
    if (prefix)
        cl_yout_scalar(y, prefix);
    for (int i = 0; i < argc; i++) {
        char *masked = cl_neutral_url(argv[i]);
        cl_yout_scalar(y, masked);
        free(masked);
    }
    cl_yout_seq_end(y);
    char cwd[4096];
    if (getcwd(cwd, sizeof cwd))
        cl_yout_kv(y, "cwd", cwd);
}

void cl_runyaml_spec(struct cl_yout *y, const struct cl_spec *spec)
{
    char buf[256];
    _Static_assert(sizeof buf >= CL_SPEC_HASH_MAX, "room for the spec hash");
    char *path = cl_neutral_url(spec->path);
    cl_yout_kv(y, "spec_path", path);
    free(path);
    cl_spec_hash(spec, buf, sizeof buf);
    cl_yout_kv(y, "spec_hash", buf);
    cl_yout_kvf(y, "seed", "%llu", (unsigned long long)spec->seed);
    cl_yout_kvf(y, "repeat", "%d", spec->repeat);
    cl_yout_kvf(y, "warmup", "%d", spec->warmup);
    cl_yout_kvf(y, "timeout_s", "%g", spec->timeout_s);
    cl_yout_kv(y, "pinning", cl_pinning_text(&spec->pinning, buf, sizeof buf));
    if (spec->n_overrides) { /* --set KEY=VALUE, in the spec hash too */
        cl_yout_scalar(y, "overrides");
        cl_yout_seq_start(y, 0);
        for (size_t i = 0; i < spec->n_overrides; i++)
            cl_yout_scalar(y, spec->overrides[i]);
        cl_yout_seq_end(y);
    }
}

void cl_runyaml_plugins(struct cl_yout *y, const struct cl_plugin_rec *v,
                        size_t n)
{
    cl_yout_scalar(y, "plugins");
    cl_yout_seq_start(y, 0);
    for (size_t i = 0; i < n; i++) {
        cl_yout_map_start(y);
        cl_yout_kv(y, "name", v[i].name);
        cl_yout_kv(y, "kind", v[i].kind);
        cl_yout_kv(y, "path", v[i].path);
        cl_yout_kv(y, "abi", v[i].abi);
        if (v[i].version)
            cl_yout_kv(y, "version", v[i].version);
        cl_yout_kv(y, "sha256", v[i].sha256);
        cl_yout_map_end(y);
    }
    cl_yout_seq_end(y);
}

static void floor_kv(void *ctx, const char *key, double value, const char *unit)
{
    (void)unit; /* ns, or the samples' count: the key says which */
    if (isfinite(value))
        cl_yout_kvf(ctx, key, "%.6g", value);
    else
        cl_yout_kv(ctx, key, "n/a");
}

void cl_runyaml_floors(struct cl_yout *y, const struct cl_floors *f)
{
    cl_yout_scalar(y, "floors");
    cl_yout_map_start(y);
    cl_floors_each(f, floor_kv, y);
    cl_yout_map_end(y);
}

void cl_runyaml_spec_text(struct cl_yout *y, const struct cl_spec *spec)
{
    char *masked = cl_neutral_url(spec->text);
    if (strcmp(masked, spec->text) != 0)
        cl_yout_kv(y, "spec_masked", "true");
    cl_yout_scalar(y, "spec");
    cl_yout_literal(y, masked);
    free(masked);
}

static void write_host(struct cl_yout *y, const struct cl_meta *meta)
{
    cl_yout_scalar(y, "host");
    cl_yout_map_start(y);
    struct utsname u;
    if (uname(&u) == 0) {
        cl_yout_kv(y, "hostname", u.nodename);
        cl_yout_kvf(y, "kernel", "%s %s", u.sysname, u.release);
        cl_yout_kv(y, "machine", u.machine);
    }
    char *model = cl_cpu_model();
    cl_yout_kv(y, "cpu", model);
    free(model);
    cl_yout_kvf(y, "online_cpus", "%ld", sysconf(_SC_NPROCESSORS_ONLN));
    cl_yout_kv(y, "topology", meta->topology);
    /* what the measured processes' glibc ran with (malloc_tune.h) */
    const char *tun = getenv("GLIBC_TUNABLES");
    cl_yout_kv(y, "glibc_tunables", tun && *tun ? tun : "none");
    const struct cl_host_facts *hf = meta->facts;
    if (hf) {
        if (isfinite(hf->loadavg_1m))
            cl_yout_kvf(y, "loadavg_1m", "%.2f", hf->loadavg_1m);
        if (hf->governor[0])
            cl_yout_kv(y, "governor", hf->governor);
        if (hf->virtualized >= 0)
            cl_yout_kv(y, "virtualized", hf->virtualized ? "true" : "false");
        if (hf->hypervisor[0])
            cl_yout_kv(y, "hypervisor", hf->hypervisor);
    }
    cl_yout_map_end(y);
}

int cl_runyaml_write(const char *dir, const struct cl_spec *spec,
                     const char *state, const struct cl_meta *meta)
{
    char *path = cl_xasprintf("%s/run.yaml", dir);
    struct cl_yout y;
    int rc = cl_yout_open(&y, path);
    free(path);
    if (rc != 0)
        return -1;
    char buf[64];
    cl_yout_kv(&y, "experiment", spec->experiment);
    cl_yout_kv(&y, "state", state);
    cl_iso_time(meta->started, buf, sizeof buf);
    cl_yout_kv(&y, "started", buf);
    if (meta->finished > 0) {
        cl_iso_time(meta->finished, buf, sizeof buf);
        cl_yout_kv(&y, "finished", buf);
        cl_yout_kvf(&y, "elapsed_s", "%.3f", meta->finished - meta->started);
    }
    cl_yout_kvf(&y, "cells", "%zu", meta->n_cells);
    if (meta->shards)
        cl_yout_kvf(&y, "shard", "%u/%u", meta->shard, meta->shards);
    cl_runyaml_conlab(&y, 1);
    write_host(&y, meta);
    cl_runyaml_command(&y, NULL, meta->argc, meta->argv);
    cl_runyaml_spec(&y, spec);
    if (meta->pinning_possible >= 0)
        cl_yout_kv(&y, "pinning_possible", meta->pinning_possible ? "true" : "false");
    if (meta->pinning_note)
        cl_yout_kv(&y, "pinning_note", meta->pinning_note);
    if (meta->floors)
        cl_runyaml_floors(&y, meta->floors);
    if (meta->plugins)
        cl_runyaml_plugins(&y, meta->plugins, meta->n_plugins);
    cl_runyaml_spec_text(&y, spec);
    return cl_yout_close(&y);
}

/* ---- reading ------------------------------------------------------------------ */

static int yaml_bool(const char *s)
{
    if (!s)
        return -1;
    if (!strcmp(s, "true") || !strcmp(s, "yes") || !strcmp(s, "1"))
        return 1;
    if (!strcmp(s, "false") || !strcmp(s, "no") || !strcmp(s, "0"))
        return 0;
    return -1;
}

/* A host fact: under `host:`, or at the top level. */
static const char *host_fact(struct cl_ydoc *d, const char *key)
{
    const char *v = cl_ydoc_str(d, cl_ydoc_get(d, NULL, "host"), key);
    return v ? v : cl_ydoc_str(d, NULL, key);
}

static long num_or(const char *s, long none)
{
    return s ? atol(s) : none;
}

/* `floors:` into ri->floors; keys it does not know are skipped. */
static void read_floors(struct cl_runinfo *ri)
{
    cl_floors_init(&ri->floors);
    yaml_node_t *map = cl_ydoc_get(&ri->doc, NULL, "floors");
    if (!map || map->type != YAML_MAPPING_NODE)
        return;
    ri->has_floors = 1;
    for (yaml_node_pair_t *pr = map->data.mapping.pairs.start;
         pr < map->data.mapping.pairs.top; pr++) {
        yaml_node_t *k = yaml_document_get_node(&ri->doc.doc, pr->key);
        yaml_node_t *v = yaml_document_get_node(&ri->doc.doc, pr->value);
        if (k && v && k->type == YAML_SCALAR_NODE && v->type == YAML_SCALAR_NODE)
            cl_floors_set(&ri->floors, (const char *)k->data.scalar.value,
                          cl_csv_num((const char *)v->data.scalar.value));
    }
}

int cl_runyaml_read(const char *dir, struct cl_runinfo *ri, char *err,
                    size_t errlen)
{
    memset(ri, 0, sizeof *ri);
    ri->online_cpus = ri->cells = -1;
    ri->warmup = ri->repeat = -1;
    ri->virtualized = ri->pinning_possible = -1;
    ri->loadavg_1m = ri->elapsed_s = NAN;
    char *path = cl_xasprintf("%s/run.yaml", dir);
    int rc = cl_ydoc_load(&ri->doc, path, err, errlen);
    if (rc == 0 && yaml_document_get_root_node(&ri->doc.doc)->type != YAML_MAPPING_NODE) {
        snprintf(err, errlen, "%s: not a mapping", path);
        errno = EINVAL;
        rc = -1;
    }
    free(path);
    if (rc != 0)
        return -1;
    struct cl_ydoc *d = &ri->doc;
    ri->experiment = cl_ydoc_str(d, NULL, "experiment");
    ri->state = cl_ydoc_str(d, NULL, "state");
    ri->started = cl_ydoc_str(d, NULL, "started");
    ri->finished = cl_ydoc_str(d, NULL, "finished");
    ri->spec_hash = cl_ydoc_str(d, NULL, "spec_hash");
    ri->spec_path = cl_ydoc_str(d, NULL, "spec_path");
    ri->spec = cl_ydoc_str(d, NULL, "spec");
    ri->spec_masked = yaml_bool(cl_ydoc_str(d, NULL, "spec_masked")) == 1;
    ri->cwd = cl_ydoc_str(d, NULL, "cwd");
    ri->version = cl_ydoc_str(d, cl_ydoc_get(d, NULL, "conlab"), "version");
    ri->pinning = cl_ydoc_str(d, NULL, "pinning");
    ri->pinning_note = cl_ydoc_str(d, NULL, "pinning_note");
    ri->pinning_possible = yaml_bool(cl_ydoc_str(d, NULL, "pinning_possible"));
    ri->hostname = host_fact(d, "hostname");
    ri->cpu = host_fact(d, "cpu");
    ri->topology = host_fact(d, "topology");
    ri->governor = host_fact(d, "governor");
    ri->hypervisor = host_fact(d, "hypervisor");
    ri->virtualized = yaml_bool(host_fact(d, "virtualized"));
    ri->online_cpus = num_or(host_fact(d, "online_cpus"), -1);
    const char *v = host_fact(d, "loadavg_1m");
    if (v)
        ri->loadavg_1m = cl_csv_num(v);
    if ((v = cl_ydoc_str(d, NULL, "elapsed_s")))
        ri->elapsed_s = cl_csv_num(v);
    ri->warmup = (int)num_or(cl_ydoc_str(d, NULL, "warmup"), -1);
    ri->repeat = (int)num_or(cl_ydoc_str(d, NULL, "repeat"), -1);
    ri->cells = num_or(cl_ydoc_str(d, NULL, "cells"), -1);
    const char *sh = cl_ydoc_str(d, NULL, "shard");
    if (sh && sscanf(sh, "%u/%u", &ri->shard, &ri->shards) != 2)
        ri->shard = ri->shards = 0;
    read_floors(ri);
    return 0;
}

void cl_runinfo_free(struct cl_runinfo *ri)
{
    cl_ydoc_free(&ri->doc);
    memset(ri, 0, sizeof *ri);
}

/* The scalar text of node n of doc, or NULL. */
static const char *scalar_of(yaml_node_t *n)
{
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
                                            : NULL;
}

const char *cl_runyaml_plugin_sha256(struct cl_runinfo *ri, const char *kind,
                                     const char *name)
{
    struct cl_ydoc *d = &ri->doc;
    yaml_node_t *list = cl_ydoc_get(d, NULL, "plugins");
    if (!list || list->type != YAML_SEQUENCE_NODE)
        return NULL;
    for (yaml_node_item_t *it = list->data.sequence.items.start;
         it < list->data.sequence.items.top; it++) {
        yaml_node_t *item = yaml_document_get_node(&d->doc, *it);
        if (!item || item->type != YAML_MAPPING_NODE)
            continue;
        const char *n = cl_ydoc_str(d, item, "name"), *k = cl_ydoc_str(d, item, "kind");
        if (n && k && strcmp(n, name) == 0 && strcmp(k, kind) == 0)
            return cl_ydoc_str(d, item, "sha256");
    }
    return NULL;
}

int cl_runyaml_spec_plugins(const struct cl_runinfo *ri, const char *key,
                            char ***names, size_t *n)
{
    *names = NULL;
    *n = 0;
    if (!ri->spec)
        return -1;
    yaml_parser_t p;
    yaml_document_t doc;
    if (!yaml_parser_initialize(&p))
        return -1;
    yaml_parser_set_input_string(&p, (const unsigned char *)ri->spec, strlen(ri->spec));
    int ok = yaml_parser_load(&p, &doc);
    yaml_parser_delete(&p);
    if (!ok)
        return -1;
    int rc = -1;
    yaml_node_t *root = yaml_document_get_root_node(&doc), *list = NULL;
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *pr = root->data.mapping.pairs.start;
             pr < root->data.mapping.pairs.top && !list; pr++) {
            const char *k = scalar_of(yaml_document_get_node(&doc, pr->key));
            if (k && strcmp(k, key) == 0)
                list = yaml_document_get_node(&doc, pr->value);
        }
    if (list && list->type == YAML_SEQUENCE_NODE) {
        rc = 0;
        for (yaml_node_item_t *it = list->data.sequence.items.start;
             it < list->data.sequence.items.top; it++) {
            yaml_node_t *item = yaml_document_get_node(&doc, *it);
            const char *name = scalar_of(item);
            if (item && item->type == YAML_MAPPING_NODE &&
                item->data.mapping.pairs.start < item->data.mapping.pairs.top)
                name = scalar_of(yaml_document_get_node(
                                           &doc, item->data.mapping.pairs.start->key));
            if (!name)
                continue;
            *names = cl_xrealloc(*names, (*n + 1) * sizeof **names);
            (*names)[(*n)++] = cl_xstrdup(name);
        }
    }
    yaml_document_delete(&doc);
    return rc;
}

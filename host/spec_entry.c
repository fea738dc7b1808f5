/* spec_entry.c — one item of a spec's strategies/workloads list: its shape,
 * its plugin, its parameters (one value each, or a sweep), and the variants
 * the sweep expands into.  See spec_internal.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "suggest.h"

#define CL_MAX_NAMES 256 /* plugins listed in "known: ..." */

/* The host-level parameter every workload has. */
static const struct conlab_param tasks_param = {
    "tasks", CONLAB_PARAM_INT, "10", 0, 1e9, NULL, "how many tasks", 0};

static const char *kind_plural(enum conlab_kind k)
{
    return k == CONLAB_KIND_STRATEGY ? "strategies" : "workloads";
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* ---- strategies and workloads -------------------------------------------- */

/* One parameter of an entry: its values (one, or several for a sweep). */
struct slot {
    const struct conlab_param *p;
    int host;                    /* the host-level `tasks` */
    const struct cl_node *given; /* its key in the spec, or NULL */
    size_t k;                    /* number of values */
    struct cl_pval *vals;
};

/* One item of a strategies/workloads list. */
struct entry {
    enum conlab_kind kind;
    const char *what; /* "strategy" / "workload" */
    const struct cl_node *item, *name_node, *params, *path_node;
    const char *name;
    const struct conlab_plugin *plugin;
    size_t n_slots;
    struct slot *slots;
    size_t n_order;
    size_t *order; /* explicit slots in spec order */
};

void cl_variant_free(struct cl_variant *v)
{
    free(v->plugin_path);
    free(v->label);
    cl_params_free(v->config, v->arena_);
    for (size_t i = 0; v->params && i < v->n_params; i++)
        free(v->params[i].value);
    free(v->params);
    memset(v, 0, sizeof *v);
}

/* Split the item into name and params; 0 when it has the wrong shape. */
static int entry_shape(struct cl_loader *L, struct entry *e)
{
    const struct cl_node *it = e->item;
    char buf[96];
    if (it->kind == CL_NODE_SCALAR && !cl_node_is_null(it)) {
        e->name_node = it;
    } else if (it->kind == CL_NODE_MAP && it->n >= 1) {
        e->name_node = it->first;
        e->params = it->first->value;
        if (it->n > 1) {
            const struct cl_node *k2 = it->first->next;
            cl_ld_err(L, k2, "unexpected key '%s' in the entry of %s '%s': "
                      "one %s per list item; parameters go inside the name's "
                      "mapping, e.g. '- %s: {%s: ...}'", k2->text, e->what,
                      it->first->text, e->what, it->first->text, k2->text);
            return 0;
        }
    } else {
        cl_ld_err(L, it, "a %s entry must be a name or 'name: {params}', "
                  "got %s", e->what, cl_node_describe(it, buf, sizeof buf));
        return 0;
    }
    e->name = e->name_node->text;
    if (!*e->name) {
        cl_ld_err(L, e->name_node, "empty %s name", e->what);
        return 0;
    }
    if (cl_node_is_null(e->params)) {
        e->params = NULL;
    } else if (e->params->kind != CL_NODE_MAP) {
        cl_ld_err(L, e->params, "the parameters of %s '%s' must be a mapping "
                  "such as {name: value}, got %s", e->what, e->name,
                  cl_node_describe(e->params, buf, sizeof buf));
        return 0;
    }
    const struct cl_node *path = cl_node_get(e->params, "plugin", NULL);
    if (path) {
        if (path->kind != CL_NODE_SCALAR || cl_node_is_null(path) ||
            !*path->text) {
            cl_ld_err(L, path, "%s '%s': 'plugin' expects the path of a plugin "
                      "file, got %s", e->what, e->name,
                      cl_node_describe(path, buf, sizeof buf));
            return 0;
        }
        e->path_node = path;
    }
    return 1;
}

static int valid_plugin_name(const char *s)
{
    size_t len = strlen(s);
    return len && strspn(s, "abcdefghijklmnopqrstuvwxyz0123456789_-") == len;
}

static void unknown_plugin(struct cl_loader *L, const struct entry *e,
                           const char *lookup_err)
{
    const char *names[CL_MAX_NAMES];
    size_t n = 0;
    if (L->lk && L->lk->names)
        n = L->lk->names(L->lk->ctx, e->kind, names, CL_MAX_NAMES);
    if (n > CL_MAX_NAMES)
        n = CL_MAX_NAMES;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], e->name) == 0) { /* it exists but did not load */
            cl_ld_err(L, e->name_node, "%s '%s' cannot be loaded: %s", e->what,
                      e->name, *lookup_err ? lookup_err : "unknown reason");
            return;
        }
    }
    qsort(names, n, sizeof names[0], cmp_str);
    const char *near = cl_suggest(e->name, names, n);
    if (!n)
        cl_ld_err(L, e->name_node, "unknown %s '%s' (no %s found)", e->what,
                  e->name, kind_plural(e->kind));
    else if (near)
        cl_ld_err(L, e->name_node, "unknown %s '%s' (did you mean '%s'? known: "
                  "%s)", e->what, e->name, near, cl_ld_join(L, names, n));
    else
        cl_ld_err(L, e->name_node, "unknown %s '%s' (known: %s)", e->what,
                  e->name, cl_ld_join(L, names, n));
}

static int resolve_plugin(struct cl_loader *L, struct entry *e)
{
    char err[512] = "";
    const struct cl_node *at = e->path_node ? e->path_node : e->name_node;
    const char *path = e->path_node ? e->path_node->text : NULL;
    const struct conlab_plugin *p = NULL;
    if (L->lk && L->lk->find && (path || valid_plugin_name(e->name)))
        p = L->lk->find(L->lk->ctx, e->kind, e->name, path, err, sizeof err);
    if (!p) {
        if (path)
            cl_ld_err(L, at, "%s '%s': cannot load plugin '%s': %s", e->what,
                      e->name, path, *err ? err : "unknown reason");
        else
            unknown_plugin(L, e, err);
        return 0;
    }
    if (p->kind != (uint32_t)e->kind) {
        cl_ld_err(L, at, "%s '%s': the plugin is a %s, not a %s", e->what,
                  e->name, p->kind == CONLAB_KIND_STRATEGY ? "strategy"
                                                           : "workload",
                  e->what);
        return 0;
    }
    if (cl_params_check(p, err, sizeof err) != 0) {
        cl_ld_err(L, at, "%s '%s': broken plugin: %s", e->what, e->name, err);
        return 0;
    }
    e->plugin = p;
    return 1;
}

static void unknown_param(struct cl_loader *L, const struct entry *e,
                          const struct cl_node *key)
{
    const char **cands = cl_arena_alloc(L->tmp, (e->n_slots + 1) *
                                                    sizeof *cands);
    if (!cands) {
        L->oom = 1;
        return;
    }
    for (size_t i = 0; i < e->n_slots; i++)
        cands[i] = e->slots[i].p->name;
    cands[e->n_slots] = "plugin";
    const char *near = cl_suggest(key->text, cands, e->n_slots + 1);
    const char *takes =
        e->n_slots ? cl_ld_join(L, cands, e->n_slots) : "nothing";
    if (near)
        cl_ld_err(L, key, "%s '%s' has no parameter '%s' (did you mean '%s'?; "
                  "it takes: %s)", e->what, e->name, key->text, near, takes);
    else
        cl_ld_err(L, key, "%s '%s' has no parameter '%s' (it takes: %s)",
                  e->what, e->name, key->text, takes);
}

/* Is `val` a sweep of slot s?  -1 (reported) when its shape is wrong. */
static int sweep_shape(struct cl_loader *L, const struct entry *e,
                       const struct slot *s, const struct cl_node *val)
{
    if (val->kind != CL_NODE_SEQ)
        return 0;
    if (!cl_param_type_is_list(s->p->type)) {
        if (val->n == 0) {
            cl_ld_err(L, val, "%s '%s': parameter '%s' is an empty list; give "
                      "one value, or several to sweep", e->what, e->name,
                      s->p->name);
            return -1;
        }
        return 1;
    }
    size_t lists = 0;
    for (const struct cl_node *c = val->first; c; c = c->next)
        lists += c->kind == CL_NODE_SEQ;
    if (lists == 0)
        return 0; /* a list of scalars is one value */
    if (lists == val->n)
        return 1;
    for (const struct cl_node *c = val->first; c; c = c->next) {
        if (c->kind != CL_NODE_SEQ) {
            cl_ld_err(L, c, "%s '%s': parameter '%s' mixes single values and "
                      "lists; give one list such as [1, 2], or a list of lists "
                      "such as [[1, 2], [3]] to sweep", e->what, e->name,
                      s->p->name);
            break;
        }
    }
    return -1;
}

static int slot_given(struct cl_loader *L, const struct entry *e,
                      struct slot *s)
{
    const struct cl_node *val = s->given->value;
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s '%s': parameter '%s'", e->what,
             e->name, s->p->name);
    if (cl_node_is_null(val)) {
        cl_ld_err(L, val, "%s has no value (%s)", prefix,
                  s->p->def ? "leave it out to use the default"
                            : "it is required");
        return 0;
    }
    int sweep = sweep_shape(L, e, s, val);
    if (sweep < 0)
        return 0;
    s->k = sweep ? val->n : 1;
    if (!(s->vals = cl_arena_alloc(L->tmp, s->k * sizeof *s->vals))) {
        L->oom = 1;
        return 0;
    }
    int ok = 1;
    const struct cl_node *c = sweep ? val->first : val;
    for (size_t i = 0; i < s->k; i++, c = c->next)
        ok &= cl_ld_value(L, s->p, c, &s->vals[i], prefix) == CL_PV_OK;
    return ok;
}

static int slot_default(struct cl_loader *L, const struct entry *e,
                        struct slot *s)
{
    char err[512];
    if (!s->p->def) {
        cl_ld_err(L, e->name_node, "%s '%s': missing required parameter '%s'",
                  e->what, e->name, s->p->name);
        return 0;
    }
    s->k = 1;
    if (!(s->vals = cl_arena_alloc(L->tmp, sizeof *s->vals))) {
        L->oom = 1;
        return 0;
    }
    int rc = cl_pval_default(s->p, L->tmp, s->vals, err, sizeof err);
    if (rc == CL_PV_NOMEM)
        L->oom = 1;
    else if (rc != CL_PV_OK)
        cl_ld_err(L, e->name_node, "%s '%s': broken plugin: %s", e->what,
                  e->name, err);
    return rc == CL_PV_OK;
}

/* Match the spec's keys to parameters and parse every value. */
static int collect_slots(struct cl_loader *L, struct entry *e)
{
    const struct conlab_param *t = e->plugin->params;
    size_t n_decl = 0;
    while (t && t[n_decl].name)
        n_decl++;
    int host = e->kind == CONLAB_KIND_WORKLOAD;
    e->n_slots = n_decl + (size_t)host;
    e->slots = cl_arena_alloc(L->tmp, (e->n_slots + 1) * sizeof *e->slots);
    e->order = cl_arena_alloc(L->tmp, (e->n_slots + 1) * sizeof *e->order);
    if (!e->slots || !e->order) {
        L->oom = 1;
        return 0;
    }
    if (host) {
        e->slots[0].p = &tasks_param;
        e->slots[0].host = 1;
    }
    for (size_t i = 0; i < n_decl; i++)
        e->slots[host + i].p = &t[i];

    int ok = 1;
    for (const struct cl_node *k = e->params ? e->params->first : NULL; k;
         k = k->next) {
        if (strcmp(k->text, "plugin") == 0)
            continue;
        size_t i = 0;
        while (i < e->n_slots && strcmp(e->slots[i].p->name, k->text) != 0)
            i++;
        if (i == e->n_slots) {
            unknown_param(L, e, k);
            ok = 0;
            continue;
        }
        e->slots[i].given = k;
        e->order[e->n_order++] = i;
    }
    for (size_t i = 0; i < e->n_slots; i++) {
        struct slot *s = &e->slots[i];
        ok &= s->given ? slot_given(L, e, s) : slot_default(L, e, s);
    }
    return ok;
}

/* "name" or "name(k=v,k=v)" with the explicit parameters in spec order. */
static char *make_label(const struct entry *e, const size_t *choice)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputs(e->name, f);
    for (size_t j = 0; j < e->n_order; j++) {
        const struct slot *s = &e->slots[e->order[j]];
        fprintf(f, "%s%s=%s", j ? "," : "(", s->p->name,
                s->vals[choice[e->order[j]]].text);
    }
    if (e->n_order)
        fputc(')', f);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

static int build_variant(struct cl_loader *L, const struct entry *e,
                         const size_t *choice, struct cl_variant *v)
{
    memset(v, 0, sizeof *v);
    v->plugin = e->plugin;
    v->line = e->item->line;
    v->col = e->item->col;
    v->n_params = e->n_slots;
    v->config = calloc(1, e->plugin->config_size ? e->plugin->config_size : 1);
    v->arena_ = cl_arena_new();
    v->params = calloc(e->n_slots + 1, sizeof *v->params);
    v->label = make_label(e, choice);
    int ok = v->config && v->arena_ && v->params && v->label;
    if (ok && e->path_node)
        ok = (v->plugin_path = strdup(e->path_node->text)) != NULL;
    for (size_t i = 0; ok && i < e->n_slots; i++) {
        const struct slot *s = &e->slots[i];
        const struct cl_pval *pv = &s->vals[choice[i]];
        if (s->host)
            v->tasks = (uint64_t)pv->i;
        else
            ok = cl_pval_store(s->p, pv, v->config, v->arena_) == CL_PV_OK;
        v->params[i].name = s->p->name;
        v->params[i].explicit_ = s->given != NULL;
        ok = ok && (v->params[i].value = strdup(pv->text)) != NULL;
    }
    if (!ok) {
        cl_variant_free(v);
        L->oom = 1;
        return -1;
    }
    return 0;
}

static int vlist_push(struct cl_loader *L, struct cl_vlist *list,
                      struct cl_variant *v)
{
    if (*list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 8;
        struct cl_variant *nv = realloc(*list->v, cap * sizeof *nv);
        if (!nv) {
            cl_variant_free(v);
            L->oom = 1;
            return -1;
        }
        *list->v = nv;
        list->cap = cap;
    }
    (*list->v)[(*list->n)++] = *v;
    return 0;
}

/* Every point of the entry's sweep, first swept key varying slowest. */
static void expand(struct cl_loader *L, const struct entry *e,
                   struct cl_vlist *list)
{
    size_t total = 1;
    for (size_t i = 0; i < e->n_slots; i++) {
        if (e->slots[i].k > CL_MAX_VARIANTS / total) {
            cl_ld_err(L, e->item, "%s '%s': the sweep makes more than %d "
                      "variants", e->what, e->name, CL_MAX_VARIANTS);
            return;
        }
        total *= e->slots[i].k;
    }
    if (*list->n + total > CL_MAX_VARIANTS) {
        cl_ld_err(L, e->item, "more than %d %s variants in all",
                  CL_MAX_VARIANTS, e->what);
        return;
    }
    size_t *choice = cl_arena_alloc(L->tmp, (e->n_slots + 1) * sizeof *choice);
    if (!choice) {
        L->oom = 1;
        return;
    }
    for (size_t idx = 0; idx < total; idx++) {
        size_t rem = idx;
        for (size_t j = e->n_order; j-- > 0;) {
            size_t s = e->order[j];
            choice[s] = rem % e->slots[s].k;
            rem /= e->slots[s].k;
        }
        struct cl_variant v;
        if (build_variant(L, e, choice, &v) != 0)
            return;
        for (size_t i = 0; i < *list->n; i++) {
            const struct cl_variant *o = &(*list->v)[i];
            if (strcmp(o->label, v.label) == 0) {
                cl_ld_err(L, e->item, "%s '%s' appears twice (first at "
                          "line %d, column %d); give each entry different "
                          "parameters",
                          e->what, v.label, o->line, o->col);
                cl_variant_free(&v);
                return;
            }
        }
        if (vlist_push(L, list, &v) != 0)
            return;
    }
}

static void load_entry(struct cl_loader *L, enum conlab_kind kind,
                       const struct cl_node *item, struct cl_vlist *list)
{
    struct entry e = {.kind = kind, .what = cl_ld_kind_word(kind),
                      .item = item};
    if (!entry_shape(L, &e))
        return;
    if (!L->lk) { /* plugins not loaded: only the name's spelling */
        if (!e.path_node && !valid_plugin_name(e.name))
            cl_ld_err(L, e.name_node, "'%s' is not a %s name (plugin names "
                      "are [a-z0-9_-]+)", e.name, e.what);
        return;
    }
    if (resolve_plugin(L, &e) && collect_slots(L, &e))
        expand(L, &e, list);
}

void cl_ld_list(struct cl_loader *L, const struct cl_node *key,
                     const struct cl_node *val)
{
    enum conlab_kind kind = strcmp(key->text, "strategies") == 0
                                ? CONLAB_KIND_STRATEGY
                                : CONLAB_KIND_WORKLOAD;
    struct cl_vlist *list;
    char buf[96];
    if (kind == CONLAB_KIND_STRATEGY) {
        L->strategies_key = key;
        list = &L->strategies;
    } else {
        L->workloads_key = key;
        list = &L->workloads;
    }
    if (cl_node_is_null(val) || (val->kind == CL_NODE_SEQ && val->n == 0)) {
        cl_ld_err(L, val, "'%s' is empty; list at least one %s", key->text,
                  cl_ld_kind_word(kind));
        return;
    }
    if (val->kind != CL_NODE_SEQ) {
        cl_ld_err(L, val, "'%s' must be a list (one '- name' line per %s), got "
                  "%s", key->text, cl_ld_kind_word(kind),
                  cl_node_describe(val, buf, sizeof buf));
        return;
    }
    for (const struct cl_node *it = val->first; it; it = it->next)
        load_entry(L, kind, it, list);
}

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
const struct conlab_param cl_ld_tasks_param = {
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
    int zip;                     /* given inside the entry's `zip:` */
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
    const struct cl_node *zip;    /* the entry's `zip:` mapping, or NULL */
    size_t zip_first, zip_k;      /* its first slot; its length (0: none) */
    const struct cl_node *label;  /* `label:` (a scalar), or NULL */
    const struct cl_node *zip_labels; /* `label:` inside zip (a list) */
};

void cl_variant_free(struct cl_variant *v)
{
    free(v->plugin_path);
    free(v->label);
    free(v->user_label);
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
    const char **cands = cl_arena_alloc(L->tmp, (e->n_slots + 3) *
                                                    sizeof *cands);
    if (!cands) {
        L->oom = 1;
        return;
    }
    for (size_t i = 0; i < e->n_slots; i++)
        cands[i] = e->slots[i].p->name;
    cands[e->n_slots] = "plugin";
    cands[e->n_slots + 1] = "label";
    cands[e->n_slots + 2] = "zip";
    const char *near = cl_suggest(key->text, cands, e->n_slots + 3);
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

/* A `label:`: one line of printable text, not " x " (cells are named
 * "STRATEGY x WORKLOAD").  1, or 0 (reported). */
static int check_label(struct cl_loader *L, const struct entry *e,
                       const struct cl_node *v)
{
    char buf[96];
    if (v && v->kind == CL_NODE_SCALAR && !cl_node_is_null(v)) {
        size_t len = strlen(v->text);
        int ok = len <= 120 && v->text[0] != ' ' && v->text[len - 1] != ' ' &&
                 !strstr(v->text, " x ");
        for (const unsigned char *c = (const unsigned char *)v->text; ok && *c;
             c++)
            ok = *c >= 0x20 && *c != 0x7f;
        if (ok)
            return 1;
    }
    cl_ld_err(L, v, "%s '%s': 'label' wants one line of text (at most 120 "
              "characters, no ' x ', no leading or trailing space), got %s",
              e->what, e->name, cl_node_describe(v, buf, sizeof buf));
    return 0;
}

/* Parameter key k of the entry (inside zip: when zip); 1, or 0 (reported). */
static int take_key(struct cl_loader *L, struct entry *e,
                    const struct cl_node *k, int zip)
{
    size_t i = 0;
    while (i < e->n_slots && strcmp(e->slots[i].p->name, k->text) != 0)
        i++;
    if (i == e->n_slots) {
        unknown_param(L, e, k);
        return 0;
    }
    if (e->slots[i].given) { /* in zip and beside it */
        cl_ld_err(L, k, "%s '%s': parameter '%s' is given twice (first at "
                  "line %d, column %d)", e->what, e->name, k->text,
                  e->slots[i].given->line, e->slots[i].given->col);
        return 0;
    }
    e->slots[i].given = k;
    e->slots[i].zip = zip;
    if (zip && !e->zip_k)
        e->zip_first = i;
    e->order[e->n_order++] = i;
    return 1;
}

/* `zip: {p: [..], q: [..], label: [..]}`: parameters swept together. */
static int zip_keys(struct cl_loader *L, struct entry *e,
                    const struct cl_node *key)
{
    char buf[96];
    const struct cl_node *z = key->value;
    if (!z || z->kind != CL_NODE_MAP || z->n == 0) {
        cl_ld_err(L, z ? z : key, "%s '%s': 'zip' wants a mapping of "
                  "parameters to lists of the same length, e.g. zip: "
                  "{workers: [1, 2, 4], stack_kib: [64, 128, 256]}, got %s",
                  e->what, e->name, cl_node_describe(z, buf, sizeof buf));
        return 0;
    }
    e->zip = z;
    int ok = 1;
    for (const struct cl_node *k = z->first; k; k = k->next) {
        if (!k->value || k->value->kind != CL_NODE_SEQ || k->value->n == 0) {
            cl_ld_err(L, k->value ? k->value : k, "%s '%s': 'zip' key '%s' "
                      "wants a list of values, one per variant, got %s",
                      e->what, e->name, k->text,
                      cl_node_describe(k->value, buf, sizeof buf));
            ok = 0;
            continue;
        }
        if (strcmp(k->text, "label") == 0) {
            for (const struct cl_node *c = k->value->first; c; c = c->next)
                ok &= check_label(L, e, c);
            e->zip_labels = k->value;
            continue;
        }
        if (take_key(L, e, k, 1))
            e->zip_k = e->zip_k ? e->zip_k : k->value->n;
        else
            ok = 0;
    }
    return ok;
}

/* Every zip list as long as the first; a zipped parameter must sweep. */
static int zip_lengths(struct cl_loader *L, const struct entry *e)
{
    if (!e->zip)
        return 1;
    size_t want = 0;
    const struct cl_node *first = NULL;
    for (const struct cl_node *k = e->zip->first; k; k = k->next) {
        if (!k->value || k->value->kind != CL_NODE_SEQ)
            continue;
        if (!first) {
            first = k;
            want = k->value->n;
        } else if (k->value->n != want) {
            cl_ld_err(L, k->value, "%s '%s': 'zip' lists must be as long as "
                      "each other: '%s' has %zu values, '%s' (line %d) has %zu",
                      e->what, e->name, k->text, k->value->n, first->text,
                      first->line, want);
            return 0;
        }
    }
    for (size_t i = 0; i < e->n_slots; i++) {
        const struct slot *s = &e->slots[i];
        if (s->zip && s->k != want) { /* a list parameter not as a sweep */
            cl_ld_err(L, s->given, "%s '%s': in 'zip', list parameter '%s' "
                      "wants a list of lists, one list per variant", e->what,
                      e->name, s->p->name);
            return 0;
        }
    }
    if (e->label && want > 1) {
        cl_ld_err(L, e->label, "%s '%s': 'label' names one variant, this "
                  "entry makes %zu; put 'label: [...]' inside 'zip'", e->what,
                  e->name, want);
        return 0;
    }
    return 1;
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
        e->slots[0].p = &cl_ld_tasks_param;
        e->slots[0].host = 1;
    }
    for (size_t i = 0; i < n_decl; i++)
        e->slots[host + i].p = &t[i];

    int ok = 1;
    for (const struct cl_node *k = e->params ? e->params->first : NULL; k;
         k = k->next) {
        if (strcmp(k->text, "plugin") == 0)
            continue;
        if (strcmp(k->text, "label") == 0) {
            ok &= check_label(L, e, k->value);
            e->label = k->value;
            continue;
        }
        if (strcmp(k->text, "zip") == 0) {
            ok &= zip_keys(L, e, k);
            continue;
        }
        ok &= take_key(L, e, k, 0);
    }
    for (size_t i = 0; i < e->n_slots; i++) {
        struct slot *s = &e->slots[i];
        ok &= s->given ? slot_given(L, e, s) : slot_default(L, e, s);
    }
    return ok && zip_lengths(L, e);
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

/* The user's label of this point of the sweep, or NULL. */
static const char *user_label(const struct entry *e, const size_t *choice)
{
    if (e->label)
        return e->label->text;
    if (!e->zip_labels)
        return NULL;
    const struct cl_node *c = e->zip_labels->first;
    for (size_t i = e->zip_k ? choice[e->zip_first] : 0; c && i > 0; i--)
        c = c->next;
    return c ? c->text : NULL;
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
    const char *ul = user_label(e, choice);
    v->label = ul ? strdup(ul) : make_label(e, choice);
    int ok = v->config && v->arena_ && v->params && v->label;
    if (ok && ul)
        ok = (v->user_label = strdup(ul)) != NULL;
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

/* 1 when a and b are the same variant (made by two matrix blocks). */
static int same_variant(const struct cl_variant *a, const struct cl_variant *b)
{
    if (a->plugin != b->plugin || a->n_params != b->n_params ||
        !a->plugin_path != !b->plugin_path ||
        (a->plugin_path && strcmp(a->plugin_path, b->plugin_path) != 0))
        return 0;
    for (size_t i = 0; i < a->n_params; i++)
        if (strcmp(a->params[i].value, b->params[i].value) != 0 ||
            a->params[i].explicit_ != b->params[i].explicit_)
            return 0;
    return 1;
}

/* v into the list (or the same variant an earlier block made), its index
 * into *out.  0, or -1 (reported; v freed). */
static int place_variant(struct cl_loader *L, const struct entry *e,
                         struct cl_vlist *list, struct cl_variant *v,
                         struct cl_idx *out)
{
    for (size_t i = 0; i < *list->n; i++) {
        const struct cl_variant *o = &(*list->v)[i];
        if (strcmp(o->label, v->label) != 0)
            continue;
        int here = 0;
        for (size_t j = 0; j < out->n && !here; j++)
            here = out->v[j] == i;
        if (!here && same_variant(o, v)) {
            cl_variant_free(v);
            return cl_idx_push(L, out, i);
        }
        if (here)
            cl_ld_err(L, e->item, "%s '%s' appears twice (first at line %d, "
                      "column %d); give each entry different parameters",
                      e->what, v->label, o->line, o->col);
        else
            cl_ld_err(L, e->item, "%s '%s' names two different variants "
                      "(the other at line %d, column %d); give them different "
                      "labels", e->what, v->label, o->line, o->col);
        cl_variant_free(v);
        return -1;
    }
    if (vlist_push(L, list, v) != 0)
        return -1;
    return cl_idx_push(L, out, *list->n - 1);
}

/* Every point of the entry's sweep, first swept key varying slowest; the
 * parameters of a zip advance together, where the zip stands. */
static void expand(struct cl_loader *L, const struct entry *e,
                   struct cl_vlist *list, struct cl_idx *out)
{
    size_t total = 1;
    for (size_t i = 0; i < e->n_slots; i++) {
        if (e->slots[i].zip && i != e->zip_first)
            continue;
        if (e->slots[i].k > CL_MAX_VARIANTS / total) {
            cl_ld_err(L, e->item, "%s '%s': the sweep makes more than %d "
                      "variants", e->what, e->name, CL_MAX_VARIANTS);
            return;
        }
        total *= e->slots[i].k;
    }
    if (e->label && total > 1) {
        cl_ld_err(L, e->label, "%s '%s': 'label' names one variant, this "
                  "entry's sweep makes %zu; label them in a 'zip' "
                  "(label: [...]) or give one entry per label", e->what,
                  e->name, total);
        return;
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
            if (e->slots[s].zip && s != e->zip_first)
                continue;
            choice[s] = rem % e->slots[s].k;
            rem /= e->slots[s].k;
        }
        for (size_t j = 0; j < e->n_order; j++)
            if (e->slots[e->order[j]].zip)
                choice[e->order[j]] = choice[e->zip_first];
        struct cl_variant v;
        if (build_variant(L, e, choice, &v) != 0 ||
            place_variant(L, e, list, &v, out) != 0)
            return;
    }
}

static void load_entry(struct cl_loader *L, enum conlab_kind kind,
                       const struct cl_node *item, struct cl_vlist *list,
                       struct cl_idx *out)
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
        expand(L, &e, list, out);
}

int cl_idx_push(struct cl_loader *L, struct cl_idx *x, size_t i)
{
    if (x->n == x->cap) {
        size_t cap = x->cap ? 2 * x->cap : 8;
        size_t *v = realloc(x->v, cap * sizeof *v);
        if (!v) {
            L->oom = 1;
            return -1;
        }
        x->v = v;
        x->cap = cap;
    }
    x->v[x->n++] = i;
    return 0;
}

void cl_ld_list(struct cl_loader *L, const struct cl_node *key,
                const struct cl_node *val, struct cl_idx *out)
{
    enum conlab_kind kind = strcmp(key->text, "strategies") == 0
                                ? CONLAB_KIND_STRATEGY
                                : CONLAB_KIND_WORKLOAD;
    struct cl_vlist *list;
    char buf[96];
    if (kind == CONLAB_KIND_STRATEGY) {
        L->strategies_key = L->strategies_key ? L->strategies_key : key;
        list = &L->strategies;
    } else {
        L->workloads_key = L->workloads_key ? L->workloads_key : key;
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
        load_entry(L, kind, it, list, out);
}

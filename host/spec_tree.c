/* spec_tree.c — what the spec loader does to the YAML tree before it reads
 * it: `--set KEY=VALUE` overrides, and the values of a `zip:` key put into
 * the entry it names as that parameter's sweep.  Both name a place by the
 * same path: `repeat`, `pinning`, `strategies.threads.workers`,
 * `workloads.sleep.tasks`.  See spec_internal.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "suggest.h"

/* The top-level keys a one-word path may name. */
static const char *const top_names[] = {
    "experiment", "description", "repeat",   "warmup",     "timeout",
    "pinning",    "seed",        "record_tasks", "memory", "baseline",
    "strategies", "workloads",
};
#define N_TOP_NAMES (sizeof top_names / sizeof top_names[0])

static struct cl_node *new_scalar(struct cl_loader *L, const char *text,
                                  const struct cl_node *at)
{
    struct cl_node *n = cl_arena_alloc(L->tmp, sizeof *n);
    if (!n) {
        L->oom = 1;
        return NULL;
    }
    n->kind = CL_NODE_SCALAR;
    n->text = text;
    n->plain = 1;
    n->line = at->line;
    n->col = at->col;
    n->src = at->src;
    return n;
}

/* Set map[key] = val (replacing the value, or a new key at val's place). */
static void map_set(struct cl_loader *L, struct cl_node *map, const char *key,
                    struct cl_node *val)
{
    for (struct cl_node *k = map->first; k; k = k->next)
        if (strcmp(k->text, key) == 0) {
            k->value = val;
            return;
        }
    struct cl_node *k = new_scalar(L, key, val);
    if (k) {
        k->value = val;
        cl_node_append(map, k);
    }
}

/* The parameters mapping of list item `it` named `name` (made a mapping if
 * it was a plain name), or NULL when it is not that entry or has the wrong
 * shape (which the reader reports). */
static struct cl_node *entry_params(struct cl_loader *L, struct cl_node *it,
                                    const char *name)
{
    if (it->kind == CL_NODE_SCALAR) {
        if (strcmp(it->text, name) != 0)
            return NULL;
        struct cl_node *k = new_scalar(L, it->text, it);
        struct cl_node *m = cl_arena_alloc(L->tmp, sizeof *m);
        if (!k || !m) {
            L->oom = 1;
            return NULL;
        }
        *m = (struct cl_node){.kind = CL_NODE_MAP, .line = it->line,
                              .col = it->col, .src = it->src};
        k->value = m;
        it->kind = CL_NODE_MAP;
        it->text = NULL;
        it->plain = 0;
        it->first = it->last = NULL;
        it->n = 0;
        cl_node_append(it, k);
        return m;
    }
    if (it->kind != CL_NODE_MAP || !it->first ||
        strcmp(it->first->text, name) != 0)
        return NULL;
    struct cl_node *p = it->first->value;
    if (cl_node_is_null(p)) {
        if (!(p = cl_arena_alloc(L->tmp, sizeof *p))) {
            L->oom = 1;
            return NULL;
        }
        *p = (struct cl_node){.kind = CL_NODE_MAP, .line = it->line,
                              .col = it->col, .src = it->src};
        it->first->value = p;
    }
    return p->kind == CL_NODE_MAP ? p : NULL;
}

/* The names of the entries of `list` (for suggestions), into names[]. */
static size_t entry_names(const struct cl_node *list, const char **names,
                          size_t n, size_t max)
{
    for (const struct cl_node *it = list ? list->first : NULL; it && n < max;
         it = it->next) {
        if (it->kind == CL_NODE_SCALAR)
            names[n++] = it->text;
        else if (it->kind == CL_NODE_MAP && it->first)
            names[n++] = it->first->text;
    }
    return n;
}

/* Put val as parameter `param` of every entry `name` of the lists of kind
 * `kind` in blocks[0..nb).  zip_at: a zip key (then a parameter the entry
 * already gives is an error).  Returns how many entries took it. */
static size_t set_param(struct cl_loader *L, struct cl_block *blocks,
                        size_t nb, int strategies, const char *name,
                        const char *param, struct cl_node *val,
                        const struct cl_node *zip_at)
{
    size_t hits = 0;
    for (size_t b = 0; b < nb; b++) {
        struct cl_node *list =
            strategies ? blocks[b].strategies : blocks[b].workloads;
        if (!list || list->kind != CL_NODE_SEQ)
            continue;
        for (struct cl_node *it = list->first; it; it = it->next) {
            struct cl_node *pm = entry_params(L, it, name);
            if (!pm)
                continue;
            hits++;
            struct cl_node *zip = (struct cl_node *)cl_node_get(pm, "zip", NULL);
            const struct cl_node *had = NULL;
            cl_node_get(pm, param, &had);
            if (!had && zip && zip->kind == CL_NODE_MAP)
                cl_node_get(zip, param, &had);
            if (zip_at && had) {
                cl_ld_err(L, zip_at, "'zip' gives %s '%s' parameter '%s', "
                          "which its entry gives too (line %d, column %d); "
                          "keep one", strategies ? "strategy" : "workload",
                          name, param, had->line, had->col);
                continue;
            }
            if (had && zip && cl_node_get(zip, param, NULL))
                map_set(L, zip, param, val);
            else
                map_set(L, pm, param, val);
        }
    }
    return hits;
}

/* "strategies.NAME.PARAM" into its parts; 1, or 0 when it is no such path. */
static int split_entry_path(char *path, int *strategies, char **name,
                            char **param)
{
    char *d1 = strchr(path, '.');
    char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || d2 == d1 + 1 || !d2[1])
        return 0;
    *d1 = *d2 = '\0';
    if (strcmp(path, "strategies") != 0 && strcmp(path, "workloads") != 0) {
        *d1 = *d2 = '.';
        return 0;
    }
    *strategies = path[0] == 's';
    *name = d1 + 1;
    *param = d2 + 1;
    return 1;
}

/* No entry `name` for an entry path: say so with the names there are. */
static void no_entry(struct cl_loader *L, const struct cl_node *at,
                     const char *what, int strategies, const char *name)
{
    const char *names[256];
    size_t n = 0;
    for (size_t b = 0; b < L->n_blocks; b++)
        n = entry_names(strategies ? L->blocks[b].strategies
                                   : L->blocks[b].workloads,
                        names, n, 256);
    cl_ld_err(L, at, "%s%sno %s '%s' in the spec%s", what, *what ? ": " : "",
              strategies ? "strategy" : "workload", name,
              cl_ld_did_you_mean(L, name, names, n));
}

/* One --set KEY=VALUE. */
static void apply_set(struct cl_loader *L, struct cl_node *root,
                      const char *set)
{
    const char *eq = strchr(set, '=');
    static const struct cl_node nowhere = {.line = 0, .col = 0};
    char *src = cl_arena_alloc(L->tmp, strlen(set) + 8);
    if (!src) {
        L->oom = 1;
        return;
    }
    snprintf(src, strlen(set) + 8, "--set %.*s",
             eq ? (int)(eq - set) : (int)strlen(set), set);
    struct cl_node where = nowhere;
    where.src = src;
    if (!eq || eq == set) {
        cl_ld_err(L, &where, "'--set %s' wants KEY=VALUE, e.g. --set "
                  "workloads.sleep.tasks=100", set);
        return;
    }
    char *key = cl_arena_strndup(L->tmp, set, (size_t)(eq - set));
    const char *text = eq + 1;
    struct cl_node *val = NULL;
    size_t n0 = L->d->n;
    if (!key || cl_yaml_parse(src, text, strlen(text), L->tmp, L->d, &val) != 0) {
        if (L->d->n == n0)
            L->oom = 1;
        L->errors++;
        return;
    }
    if (!val) /* an empty VALUE: no value, which the reader reports */
        val = new_scalar(L, "", &where);
    if (!val)
        return;
    if (val->line == 1 && val->col == 1) {
        val->line = 0; /* "--set KEY: error: ..." reads better than 1:1 */
        val->col = 0;
    }
    int strategies;
    char *name, *param;
    if (strcmp(key, "pinning.kind") == 0)
        key = "pinning";
    if (split_entry_path(key, &strategies, &name, &param)) {
        if (!set_param(L, L->blocks, L->n_blocks, strategies, name, param,
                       val, NULL))
            no_entry(L, &where, "", strategies, name);
        return;
    }
    size_t i = 0;
    while (i < N_TOP_NAMES && strcmp(top_names[i], key) != 0)
        i++;
    if (i == N_TOP_NAMES) {
        char first[64];
        snprintf(first, sizeof first, "%.*s", (int)strcspn(key, "."), key);
        const char *near = cl_suggest(first, top_names, N_TOP_NAMES);
        cl_ld_err(L, &where, "unknown key '%s'%s%s%s (keys: %s, or "
                  "strategies.NAME.PARAM, workloads.NAME.PARAM)", key,
                  near ? " (did you mean '" : "", near ? near : "",
                  near ? "'?)" : "", cl_ld_join(L, top_names, N_TOP_NAMES));
        return;
    }
    if (L->matrix && (i >= N_TOP_NAMES - 2)) {
        cl_ld_err(L, &where, "this spec has a 'matrix:'; set a parameter "
                  "(strategies.NAME.PARAM) instead of the whole list");
        return;
    }
    map_set(L, root, key, val);
}

void cl_ld_overrides(struct cl_loader *L, struct cl_node *root)
{
    if (!L->opts)
        return;
    for (size_t i = 0; i < L->opts->n_sets; i++)
        apply_set(L, root, L->opts->sets[i]);
}

void cl_ld_block_zip(struct cl_loader *L, struct cl_block *blk)
{
    char buf[96];
    const struct cl_node *z = blk->zip;
    if (!z)
        return;
    if (z->kind != CL_NODE_MAP || z->n == 0) {
        cl_ld_err(L, z, "'zip' must be a mapping of paths to lists, e.g. "
                  "{strategies.threads.workers: [1, 2, 4], "
                  "workloads.fib.tasks: [20, 40, 80]}, got %s",
                  cl_node_describe(z, buf, sizeof buf));
        return;
    }
    if (!(blk->zk = cl_arena_alloc(L->tmp, z->n * sizeof *blk->zk))) {
        L->oom = 1;
        return;
    }
    const struct cl_node *first = NULL;
    for (const struct cl_node *k = z->first; k; k = k->next) {
        char *path = cl_arena_strdup(L->tmp, k->text);
        int strategies;
        char *name, *param;
        if (!path) {
            L->oom = 1;
            return;
        }
        if (!split_entry_path(path, &strategies, &name, &param)) {
            cl_ld_err(L, k, "'zip' key '%s' is not a path such as "
                      "strategies.threads.workers or workloads.fib.tasks",
                      k->text);
            continue;
        }
        struct cl_node *v = k->value;
        if (!v || v->kind != CL_NODE_SEQ || v->n == 0) {
            cl_ld_err(L, v ? v : k, "'zip' key '%s' wants a list of values, "
                      "one per position, got %s", k->text,
                      cl_node_describe(v, buf, sizeof buf));
            continue;
        }
        if (first && v->n != first->value->n) {
            cl_ld_err(L, v, "'zip' lists must be as long as each other: '%s' "
                      "has %zu values, '%s' (line %d) has %zu", k->text, v->n,
                      first->text, first->line, first->value->n);
            continue;
        }
        if (!first)
            first = k;
        if (!set_param(L, blk, 1, strategies, name, param, v, k)) {
            no_entry(L, k, "'zip'", strategies, name);
            continue;
        }
        blk->zk[blk->n_zk++] = (struct cl_zipkey){
            strategies ? CONLAB_KIND_STRATEGY : CONLAB_KIND_WORKLOAD, name,
            param, k, v};
    }
}

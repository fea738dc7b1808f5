/* spec_cells.c — the cells of a spec: each block's strategy x workload
 * variants (workload-major), the ones a `zip:` keeps (its values at the same
 * position), minus the ones an `exclude:` item matches, blocks in order (a
 * cell a later block repeats is run once, with a warning); then the
 * baseline, the strategy variant speedups are computed against.  See
 * spec_internal.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spec_internal.h"
#include "suggest.h"

int cl_ld_param_is(struct cl_loader *L, const struct cl_variant *v,
                   const char *name, const struct cl_node *n)
{
    const struct conlab_param *p = NULL;
    if (v->plugin->kind == CONLAB_KIND_WORKLOAD &&
        strcmp(name, cl_ld_tasks_param.name) == 0)
        p = &cl_ld_tasks_param;
    for (const struct conlab_param *t = v->plugin->params; !p && t && t->name;
         t++)
        if (strcmp(t->name, name) == 0)
            p = t;
    if (!p)
        return -1;
    size_t j = 0;
    while (j < v->n_params && strcmp(v->params[j].name, name) != 0)
        j++;
    if (j == v->n_params)
        return -1;
    struct cl_pval pv;
    const struct cl_node *where;
    char err[256];
    int rc = cl_pval_parse(p, n, L->tmp, &pv, &where, err, sizeof err);
    if (rc == CL_PV_NOMEM)
        L->oom = 1;
    return rc == CL_PV_OK && strcmp(pv.text, v->params[j].value) == 0;
}

/* Does variant v answer to `name`: its plugin, its label or user label? */
static int names_variant(const struct cl_variant *v, const char *name)
{
    return strcmp(v->plugin->name, name) == 0 || strcmp(v->label, name) == 0 ||
           (v->user_label && strcmp(v->user_label, name) == 0);
}

/* ---- zip ----------------------------------------------------------------- */

/* The position of v's value in zk's list, or -1 when zk is not about v. */
static long zip_pos(struct cl_loader *L, const struct cl_zipkey *zk,
                    const struct cl_variant *v, enum conlab_kind kind)
{
    if (zk->kind != kind || strcmp(v->plugin->name, zk->plugin) != 0)
        return -1;
    long i = 0;
    for (const struct cl_node *c = zk->vals->first; c; c = c->next, i++)
        if (cl_ld_param_is(L, v, zk->param, c) == 1)
            return i;
    return -1;
}

/* 1 when the cell's variants stand at one position of every zip key that
 * is about them. */
static int zip_keeps(struct cl_loader *L, const struct cl_block *b,
                     const struct cl_variant *s, const struct cl_variant *w)
{
    long at = -1;
    for (size_t i = 0; i < b->n_zk; i++) {
        long p = zip_pos(L, &b->zk[i], s, CONLAB_KIND_STRATEGY);
        if (p < 0)
            p = zip_pos(L, &b->zk[i], w, CONLAB_KIND_WORKLOAD);
        if (p < 0)
            continue;
        if (at >= 0 && p != at)
            return 0;
        at = p;
    }
    return 1;
}

/* ---- exclude ------------------------------------------------------------- */

/* One key of an exclude item against the cell: 1 match, 0 not. */
static int exclude_key(struct cl_loader *L, const struct cl_node *k,
                       const struct cl_variant *s, const struct cl_variant *w)
{
    const struct cl_node *val = k->value;
    int strat = strncmp(k->text, "strategy", 8) == 0;
    const struct cl_variant *v = strat ? s : w;
    const char *param = k->text + (strat ? 8 : 8);
    if (val->kind == CL_NODE_SEQ) { /* any of */
        for (const struct cl_node *c = val->first; c; c = c->next) {
            struct cl_node one = *k;
            one.value = (struct cl_node *)c;
            if (exclude_key(L, &one, s, w))
                return 1;
        }
        return 0;
    }
    if (*param == '\0')
        return val->kind == CL_NODE_SCALAR && names_variant(v, val->text);
    return cl_ld_param_is(L, v, param + 1, val) == 1;
}

/* Check the shape of every exclude item; 0 when one is wrong (reported). */
static int exclude_check(struct cl_loader *L, const struct cl_node *ex,
                         const struct cl_block *blocks, size_t nb)
{
    char buf[96];
    if (ex->kind != CL_NODE_SEQ) {
        cl_ld_err(L, ex, "'exclude' must be a list of partial cells such as "
                  "'- {strategy: sequential, workload.blocking: true}', got %s",
                  cl_node_describe(ex, buf, sizeof buf));
        return 0;
    }
    static const char *const keys[] = {"strategy", "workload",
                                       "strategy.PARAM", "workload.PARAM"};
    int ok = 1;
    for (const struct cl_node *it = ex->first; it; it = it->next) {
        if (it->kind != CL_NODE_MAP || it->n == 0) {
            cl_ld_err(L, it, "an 'exclude' item must be a mapping such as "
                      "{strategy: sequential, workload.blocking: true}, got %s",
                      cl_node_describe(it, buf, sizeof buf));
            ok = 0;
            continue;
        }
        for (const struct cl_node *k = it->first; k; k = k->next) {
            int strat = strncmp(k->text, "strategy", 8) == 0;
            int wl = strncmp(k->text, "workload", 8) == 0;
            const char *rest = k->text + 8;
            if ((!strat && !wl) || (*rest && (*rest != '.' || !rest[1]))) {
                const char *near = cl_suggest(k->text, keys, 2);
                cl_ld_err(L, k, "unknown 'exclude' key '%s'%s%s%s (keys: %s)",
                          k->text, near ? " (did you mean '" : "",
                          near ? near : "", near ? "'?)" : "",
                          cl_ld_join(L, keys, 4));
                ok = 0;
                continue;
            }
            if (cl_node_is_null(k->value) || k->value->kind == CL_NODE_MAP) {
                cl_ld_err(L, k->value ? k->value : k, "'exclude' key '%s' "
                          "wants a value (or a list of values), got %s",
                          k->text, cl_node_describe(k->value, buf, sizeof buf));
                ok = 0;
                continue;
            }
            if (!*rest)
                continue;
            int known = 0; /* does any variant have that parameter? */
            for (size_t b = 0; b < nb && !known; b++) {
                const struct cl_idx *x = strat ? &blocks[b].s : &blocks[b].w;
                const struct cl_variant *vs =
                    strat ? L->spec->strategies : L->spec->workloads;
                for (size_t i = 0; i < x->n && !known; i++)
                    for (size_t j = 0; j < vs[x->v[i]].n_params; j++)
                        known |= strcmp(vs[x->v[i]].params[j].name,
                                        rest + 1) == 0;
            }
            if (!known) {
                cl_ld_err(L, k, "'exclude' key '%s': no %s here has a "
                          "parameter '%s'", k->text,
                          strat ? "strategy" : "workload", rest + 1);
                ok = 0;
            }
        }
    }
    return ok;
}

/* Does an item of ex match the cell?  Counts the hits per item. */
static int excluded(struct cl_loader *L, const struct cl_node *ex, size_t *hits,
                    const struct cl_variant *s, const struct cl_variant *w)
{
    size_t i = 0;
    for (const struct cl_node *it = ex->first; it; it = it->next, i++) {
        int all = 1;
        for (const struct cl_node *k = it->first; k && all; k = k->next)
            all = exclude_key(L, k, s, w);
        if (all) {
            hits[i]++;
            return 1;
        }
    }
    return 0;
}

static void exclude_warn(struct cl_loader *L, const struct cl_node *ex,
                         const size_t *hits)
{
    size_t i = 0;
    for (const struct cl_node *it = ex->first; it; it = it->next, i++)
        if (!hits[i])
            cl_ld_warn(L, it, "this 'exclude' item matches no cell");
}

/* ---- pairs --------------------------------------------------------------- */

static int push_pair(struct cl_loader *L, size_t *cap, size_t s, size_t w)
{
    struct cl_spec *sp = L->spec;
    if (sp->n_pairs == *cap) {
        size_t nc = *cap ? 2 * *cap : 16;
        struct cl_spec_pair *v = realloc(sp->pairs, nc * sizeof *v);
        if (!v) {
            L->oom = 1;
            return -1;
        }
        sp->pairs = v;
        *cap = nc;
    }
    sp->pairs[sp->n_pairs++] = (struct cl_spec_pair){s, w};
    return 0;
}

/* The pairs of block b.  first[s * nw + w] marks cells already made. */
static void block_pairs(struct cl_loader *L, size_t bi, unsigned char *seen,
                        size_t *cap, size_t *ex_hits, size_t *top_hits)
{
    struct cl_block *b = &L->blocks[bi];
    struct cl_spec *sp = L->spec;
    for (size_t wi = 0; wi < b->w.n; wi++)
        for (size_t si = 0; si < b->s.n; si++) {
            size_t s = b->s.v[si], w = b->w.v[wi];
            const struct cl_variant *sv = &sp->strategies[s];
            const struct cl_variant *wv = &sp->workloads[w];
            if (!zip_keeps(L, b, sv, wv))
                continue;
            if (ex_hits && excluded(L, b->exclude, ex_hits, sv, wv))
                continue;
            if (top_hits && excluded(L, L->exclude, top_hits, sv, wv))
                continue;
            if (seen[s * sp->n_workloads + w]) {
                cl_ld_warn(L, b->node, "matrix block %zu repeats the cell "
                           "'%s x %s' of an earlier block; it is run once",
                           bi + 1, sv->label, wv->label);
                continue;
            }
            seen[s * sp->n_workloads + w] = 1;
            if (sp->n_pairs >= CL_MAX_CELLS) {
                cl_ld_err(L, b->node, "more than %d cells; split the sweep "
                          "into several specs", CL_MAX_CELLS);
                return;
            }
            if (push_pair(L, cap, s, w) != 0)
                return;
        }
}

/* ---- baseline ------------------------------------------------------------ */

static void baseline(struct cl_loader *L)
{
    struct cl_spec *sp = L->spec;
    const struct cl_node *b = L->baseline;
    char buf[96];
    sp->baseline = SIZE_MAX;
    if (!b) {
        for (size_t i = 0; i < sp->n_strategies && sp->baseline == SIZE_MAX; i++)
            if (strcmp(sp->strategies[i].plugin->name, "sequential") == 0)
                sp->baseline = i;
        if (sp->baseline == SIZE_MAX && sp->n_strategies)
            sp->baseline = 0;
    } else {
        const char *name = NULL;
        const struct cl_node *params = NULL;
        if (b->kind == CL_NODE_SCALAR && !cl_node_is_null(b)) {
            name = b->text;
        } else if (b->kind == CL_NODE_MAP && b->n == 1) {
            name = b->first->text;
            params = cl_node_is_null(b->first->value) ? NULL : b->first->value;
            if (params && params->kind != CL_NODE_MAP)
                name = NULL;
        }
        if (!name) {
            cl_ld_err(L, b, "'baseline' names one strategy variant as in "
                      "'strategies:' (sequential, or {threads: {workers: 1}}), "
                      "got %s", cl_node_describe(b, buf, sizeof buf));
            return;
        }
        size_t found = 0, first = 0;
        for (size_t i = 0; i < sp->n_strategies; i++) {
            const struct cl_variant *v = &sp->strategies[i];
            int ok = params ? strcmp(v->plugin->name, name) == 0
                            : names_variant(v, name);
            for (const struct cl_node *k = params ? params->first : NULL;
                 k && ok; k = k->next) {
                int is = cl_ld_param_is(L, v, k->text, k->value);
                if (is < 0) {
                    cl_ld_err(L, k, "'baseline': strategy '%s' has no "
                              "parameter '%s'", name, k->text);
                    return;
                }
                ok = is;
            }
            if (ok && (params || strcmp(v->label, name) == 0 ||
                       (v->user_label && !strcmp(v->user_label, name)))) {
                found = 1; /* an exact label wins */
                first = i;
                break;
            }
            if (ok && !found++)
                first = i;
        }
        if (found == 0) {
            const char *labels[64];
            size_t n = 0;
            for (size_t i = 0; i < sp->n_strategies && n < 64; i++)
                labels[n++] = sp->strategies[i].label;
            cl_ld_err(L, b, "'baseline' matches no strategy variant of the "
                      "spec (they are: %s)", cl_ld_join(L, labels, n));
            return;
        }
        if (found > 1) {
            cl_ld_err(L, b, "'baseline' '%s' matches %zu strategy variants; "
                      "give its parameters, e.g. baseline: {%s: {...}}, or a "
                      "label", name, found, name);
            return;
        }
        sp->baseline = first;
    }
    if (sp->baseline != SIZE_MAX)
        sp->strategies[sp->baseline].is_baseline = 1;
}

void cl_ld_cells(struct cl_loader *L)
{
    struct cl_spec *sp = L->spec;
    if (!L->lk || L->errors || L->oom)
        return;
    if (L->exclude && !exclude_check(L, L->exclude, L->blocks, L->n_blocks))
        return;
    for (size_t b = 0; b < L->n_blocks; b++)
        if (L->blocks[b].exclude &&
            !exclude_check(L, L->blocks[b].exclude, &L->blocks[b], 1))
            return;
    if (sp->n_workloads && sp->n_strategies > SIZE_MAX / 2 / sp->n_workloads) {
        L->oom = 1;
        return;
    }
    unsigned char *seen = calloc(sp->n_strategies * sp->n_workloads + 1, 1);
    size_t *top_hits =
        L->exclude ? cl_arena_alloc(L->tmp, (L->exclude->n + 1) * sizeof(size_t))
                   : NULL;
    if (!seen || (L->exclude && !top_hits)) {
        free(seen);
        L->oom = 1;
        return;
    }
    size_t cap = 0;
    for (size_t b = 0; b < L->n_blocks && !L->oom && !L->errors; b++) {
        const struct cl_node *ex = L->blocks[b].exclude;
        size_t *hits = ex ? cl_arena_alloc(L->tmp, (ex->n + 1) * sizeof *hits)
                          : NULL;
        if (ex && !hits) {
            L->oom = 1;
            break;
        }
        block_pairs(L, b, seen, &cap, hits, top_hits);
        if (ex)
            exclude_warn(L, ex, hits);
    }
    free(seen);
    if (L->exclude && !L->errors)
        exclude_warn(L, L->exclude, top_hits);
    if (!L->errors && !L->oom && sp->n_pairs == 0 && sp->n_strategies &&
        sp->n_workloads)
        cl_ld_err(L, L->exclude ? L->exclude
                     : L->blocks[0].exclude && L->n_blocks == 1
                         ? L->blocks[0].exclude
                         : L->n_blocks > 1 ? L->matrix : L->blocks[0].node,
                  "no cell is left to run (zip and exclude dropped them all)");
    baseline(L);
}

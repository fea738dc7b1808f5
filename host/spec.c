/* spec.c — the YAML experiment spec: a node tree built from libyaml's
 * events, validated key by key against the spec schema and the plugins'
 * parameter tables, with sweeps expanded into variants.
 *
 * Every problem becomes a "file:line:col: message" diagnostic; the loader
 * goes on after a problem where what follows still makes sense (the next
 * key, the next entry), and skips what would only repeat it (the params of
 * an unknown plugin, the variants of an entry with a bad value). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <yaml.h>

#include "spec.h"
#include "spec_internal.h"

#define CL_MAX_DEPTH 64          /* YAML nesting a spec may use */
#define CL_MAX_VARIANTS 10000    /* per strategies/workloads list */
#define CL_MAX_NAMES 256         /* plugins listed in "known: ..." */

/* ------------------------------------------------------------------------ */
/* Diagnostics                                                               */
/* ------------------------------------------------------------------------ */

void cl_diags_vadd(struct cl_diags *d, const char *file, int line, int col,
                   const char *fmt, va_list ap)
{
    char *msg = NULL;
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    char *f = strdup(file ? file : "<spec>");
    if (msg && f && d->n == d->cap) {
        size_t cap = d->cap ? 2 * d->cap : 8;
        struct cl_diag *v = realloc(d->v, cap * sizeof *v);
        if (v) {
            d->v = v;
            d->cap = cap;
        }
    }
    if (!msg || !f || d->n == d->cap) {
        fprintf(stderr, "conlab: out of memory recording a diagnostic\n");
        free(msg);
        free(f);
        return;
    }
    d->v[d->n++] = (struct cl_diag){f, line, col, msg};
}

void cl_diags_add(struct cl_diags *d, const char *file, int line, int col,
                  const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_diags_vadd(d, file, line, col, fmt, ap);
    va_end(ap);
}

void cl_diags_print(FILE *out, const struct cl_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        const struct cl_diag *g = &d->v[i];
        if (g->line > 0 && g->col > 0)
            fprintf(out, "%s:%d:%d: error: %s\n", g->file, g->line, g->col,
                    g->msg);
        else if (g->line > 0)
            fprintf(out, "%s:%d: error: %s\n", g->file, g->line, g->msg);
        else
            fprintf(out, "%s: error: %s\n", g->file, g->msg);
    }
}

void cl_diags_free(struct cl_diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->v[i].file);
        free(d->v[i].msg);
    }
    free(d->v);
    d->n = d->cap = 0;
    d->v = NULL;
}

/* ------------------------------------------------------------------------ */
/* The node tree                                                             */
/* ------------------------------------------------------------------------ */

int cl_node_is_null(const struct cl_node *n)
{
    if (!n)
        return 1;
    if (n->kind != CL_NODE_SCALAR || !n->plain)
        return 0;
    const char *s = n->text;
    return !*s || !strcmp(s, "~") || !strcmp(s, "null") ||
           !strcmp(s, "Null") || !strcmp(s, "NULL");
}

const char *cl_node_describe(const struct cl_node *n, char *buf, size_t len)
{
    if (!n || cl_node_is_null(n))
        return "no value";
    if (n->kind == CL_NODE_SEQ)
        return "a list";
    if (n->kind == CL_NODE_MAP)
        return "a mapping";
    if (strlen(n->text) > 60)
        snprintf(buf, len, "'%.57s...'", n->text);
    else
        snprintf(buf, len, "'%s'", n->text);
    return buf;
}

const struct cl_node *cl_node_get(const struct cl_node *map, const char *key,
                                  const struct cl_node **key_out)
{
    if (map && map->kind == CL_NODE_MAP)
        for (const struct cl_node *k = map->first; k; k = k->next)
            if (strcmp(k->text, key) == 0) {
                if (key_out)
                    *key_out = k;
                return k->value;
            }
    return NULL;
}

struct builder {
    yaml_parser_t parser;
    const char *file;
    const char *text;
    size_t len;
    struct cl_arena *a;
    struct cl_diags *d;
    int unusable; /* the tree cannot be trusted (alias, depth, OOM) */
};

static void build_err(struct builder *b, yaml_mark_t m, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void build_err(struct builder *b, yaml_mark_t m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_diags_vadd(b->d, b->file, (int)m.line + 1, (int)m.column + 1, fmt, ap);
    va_end(ap);
}

/* Line and column of a byte offset (reader errors carry only an offset). */
static void offset_pos(const char *text, size_t len, size_t off, int *line,
                       int *col)
{
    *line = 1;
    *col = 1;
    for (size_t i = 0; i < off && i < len; i++) {
        if (text[i] == '\n') {
            (*line)++;
            *col = 1;
        } else {
            (*col)++;
        }
    }
}

static void parser_error(struct builder *b)
{
    const yaml_parser_t *p = &b->parser;
    const char *problem = p->problem ? p->problem : "unknown YAML error";
    int line, col;
    switch (p->error) {
    case YAML_MEMORY_ERROR:
        cl_diags_add(b->d, b->file, 0, 0, "out of memory parsing YAML");
        return;
    case YAML_READER_ERROR:
        offset_pos(b->text, b->len, p->problem_offset, &line, &col);
        if (p->problem_value != -1)
            cl_diags_add(b->d, b->file, line, col, "%s (byte 0x%02X)",
                         problem, (unsigned)p->problem_value);
        else
            cl_diags_add(b->d, b->file, line, col, "%s", problem);
        return;
    default:
        break;
    }
    const char *hint = "";
    if (p->problem_mark.index < b->len &&
        b->text[p->problem_mark.index] == '\t' && !strstr(problem, "tab"))
        hint = "; YAML does not allow tabs for indentation, use spaces";
    if (p->context)
        cl_diags_add(b->d, b->file, (int)p->problem_mark.line + 1,
                     (int)p->problem_mark.column + 1,
                     "%s (%s at line %d, column %d)%s", problem, p->context,
                     (int)p->context_mark.line + 1,
                     (int)p->context_mark.column + 1, hint);
    else
        cl_diags_add(b->d, b->file, (int)p->problem_mark.line + 1,
                     (int)p->problem_mark.column + 1, "%s%s", problem, hint);
}

static int next_event(struct builder *b, yaml_event_t *ev)
{
    if (yaml_parser_parse(&b->parser, ev))
        return 0;
    parser_error(b);
    b->unusable = 1;
    return -1;
}

static struct cl_node *new_node(struct builder *b, enum cl_node_kind kind,
                                yaml_mark_t m)
{
    struct cl_node *n = cl_arena_alloc(b->a, sizeof *n);
    if (!n) {
        build_err(b, m, "out of memory");
        b->unusable = 1;
        return NULL;
    }
    n->kind = kind;
    n->line = (int)m.line + 1;
    n->col = (int)m.column + 1;
    return n;
}

static void append(struct cl_node *parent, struct cl_node *child)
{
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
    parent->n++;
}

/* Anchors and tags are reported, then ignored: the value still reads well. */
static void check_props(struct builder *b, yaml_mark_t m,
                        const yaml_char_t *anchor, const yaml_char_t *tag)
{
    if (anchor)
        build_err(b, m, "YAML anchors ('&%s') are not supported in specs",
                  (const char *)anchor);
    if (tag)
        build_err(b, m, "YAML tags ('%s') are not supported in specs; write "
                  "the value plainly", (const char *)tag);
}

static struct cl_node *parse_node(struct builder *b, yaml_event_t *ev,
                                  int depth);

static struct cl_node *parse_scalar_event(struct builder *b, yaml_event_t *ev)
{
    check_props(b, ev->start_mark, ev->data.scalar.anchor, ev->data.scalar.tag);
    struct cl_node *n = new_node(b, CL_NODE_SCALAR, ev->start_mark);
    if (!n)
        return NULL;
    const char *v = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(v, '\0', len))
        build_err(b, ev->start_mark, "NUL characters are not allowed in a "
                  "spec's strings");
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
    if (!(n->text = cl_arena_strndup(b->a, v, len))) {
        build_err(b, ev->start_mark, "out of memory");
        b->unusable = 1;
        return NULL;
    }
    return n;
}

static struct cl_node *parse_seq(struct builder *b, struct cl_node *seq,
                                 int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(b, &ev) != 0)
            return NULL;
        if (ev.type == YAML_SEQUENCE_END_EVENT) {
            yaml_event_delete(&ev);
            return seq;
        }
        struct cl_node *item = parse_node(b, &ev, depth + 1);
        if (!item)
            return NULL;
        append(seq, item);
    }
}

static struct cl_node *parse_map(struct builder *b, struct cl_node *map,
                                 int depth)
{
    for (;;) {
        yaml_event_t ev;
        if (next_event(b, &ev) != 0)
            return NULL;
        if (ev.type == YAML_MAPPING_END_EVENT) {
            yaml_event_delete(&ev);
            return map;
        }
        struct cl_node *key = parse_node(b, &ev, depth + 1);
        if (!key || next_event(b, &ev) != 0)
            return NULL;
        struct cl_node *val = parse_node(b, &ev, depth + 1);
        if (!val)
            return NULL;
        if (key->kind != CL_NODE_SCALAR) {
            cl_diags_add(b->d, b->file, key->line, key->col,
                         "mapping keys must be plain words, not %s",
                         key->kind == CL_NODE_SEQ ? "lists" : "mappings");
            continue;
        }
        const struct cl_node *prev = NULL;
        if (cl_node_get(map, key->text, &prev)) {
            cl_diags_add(b->d, b->file, key->line, key->col,
                         "duplicate key '%s' (first at line %d, column %d)",
                         key->text, prev->line, prev->col);
            continue;
        }
        key->value = val;
        append(map, key);
    }
}

/* Builds the node that starts with *ev (consumed), and its children. */
static struct cl_node *parse_node(struct builder *b, yaml_event_t *ev,
                                  int depth)
{
    yaml_event_t e = *ev;
    struct cl_node *n = NULL;
    if (depth > CL_MAX_DEPTH) {
        build_err(b, e.start_mark, "nesting deeper than %d levels",
                  CL_MAX_DEPTH);
        b->unusable = 1;
        yaml_event_delete(&e);
        return NULL;
    }
    switch (e.type) {
    case YAML_SCALAR_EVENT:
        n = parse_scalar_event(b, &e);
        yaml_event_delete(&e);
        return n;
    case YAML_ALIAS_EVENT:
        build_err(b, e.start_mark, "YAML aliases ('*%s') are not supported "
                  "in specs", (const char *)e.data.alias.anchor);
        b->unusable = 1;
        n = new_node(b, CL_NODE_SCALAR, e.start_mark);
        if (n)
            n->text = "";
        yaml_event_delete(&e);
        return n;
    case YAML_SEQUENCE_START_EVENT:
        check_props(b, e.start_mark, e.data.sequence_start.anchor,
                    e.data.sequence_start.tag);
        n = new_node(b, CL_NODE_SEQ, e.start_mark);
        yaml_event_delete(&e);
        return n ? parse_seq(b, n, depth) : NULL;
    case YAML_MAPPING_START_EVENT:
        check_props(b, e.start_mark, e.data.mapping_start.anchor,
                    e.data.mapping_start.tag);
        n = new_node(b, CL_NODE_MAP, e.start_mark);
        yaml_event_delete(&e);
        return n ? parse_map(b, n, depth) : NULL;
    default:
        build_err(b, e.start_mark, "unexpected YAML event %d", (int)e.type);
        b->unusable = 1;
        yaml_event_delete(&e);
        return NULL;
    }
}

/* STREAM-START, then nothing or one DOCUMENT, then STREAM-END. */
static struct cl_node *parse_stream(struct builder *b)
{
    yaml_event_t ev;
    if (next_event(b, &ev) != 0)
        return NULL;
    yaml_event_delete(&ev); /* stream start */
    if (next_event(b, &ev) != 0)
        return NULL;
    if (ev.type == YAML_STREAM_END_EVENT) {
        yaml_event_delete(&ev);
        return NULL; /* no document: the caller reports an empty spec */
    }
    yaml_event_delete(&ev); /* document start */
    if (next_event(b, &ev) != 0)
        return NULL;
    struct cl_node *root = parse_node(b, &ev, 0);
    if (!root || next_event(b, &ev) != 0)
        return NULL;
    yaml_event_delete(&ev); /* document end */
    if (next_event(b, &ev) != 0)
        return NULL;
    if (ev.type == YAML_DOCUMENT_START_EVENT)
        build_err(b, ev.start_mark, "a spec is a single YAML document; "
                  "remove this second one (or the '---' before it)");
    yaml_event_delete(&ev);
    return root;
}

int cl_yaml_parse(const char *file, const char *text, size_t len,
                  struct cl_arena *a, struct cl_diags *d,
                  struct cl_node **root)
{
    struct builder b = {.file = file, .text = text, .len = len, .a = a,
                        .d = d};
    *root = NULL;
    if (!yaml_parser_initialize(&b.parser)) {
        cl_diags_add(d, file, 0, 0, "out of memory parsing YAML");
        return -1;
    }
    yaml_parser_set_input_string(&b.parser, (const unsigned char *)text, len);
    struct cl_node *r = parse_stream(&b);
    yaml_parser_delete(&b.parser);
    if (b.unusable)
        return -1;
    *root = r;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The loader                                                                */
/* ------------------------------------------------------------------------ */

/* Top-level scalars, validated with the same code as plugin parameters. */
struct top_values {
    int64_t repeat, warmup;
    double timeout;
    int record_tasks;
    uint64_t seed;   /* its own parser: all of uint64_t */
    uint64_t memory; /* its own parser: a size; 0 = no limit */
};

static const struct conlab_param top_params[] = {
    {"repeat", CONLAB_PARAM_INT, "5", 1, 1000000, NULL,
     "measured repetitions of each cell", offsetof(struct top_values, repeat)},
    {"warmup", CONLAB_PARAM_INT, "1", 0, 1000000, NULL,
     "unmeasured repetitions first", offsetof(struct top_values, warmup)},
    {"timeout", CONLAB_PARAM_DURATION, "300s", 0.001, 30 * 86400.0, NULL,
     "per cell", offsetof(struct top_values, timeout)},
    {"record_tasks", CONLAB_PARAM_BOOL, "false", 0, 0, NULL,
     "write one row per task", offsetof(struct top_values, record_tasks)},
    CONLAB_PARAM_END};

/* The host-level parameter every workload has. */
static const struct conlab_param tasks_param = {
    "tasks", CONLAB_PARAM_INT, "10", 0, 1e9, NULL, "how many tasks", 0};

static const struct conlab_param string_param = {
    "string", CONLAB_PARAM_STRING, NULL, 0, 0, NULL, NULL, 0};

static const struct conlab_param cpu_param = {
    "pinning", CONLAB_PARAM_INT, NULL, 0, 1048575, NULL, "a PU's OS index", 0};

struct vlist {
    struct cl_variant **v;
    size_t *n;
    size_t cap;
};

struct loader {
    const char *file;
    struct cl_diags *d;
    struct cl_arena *tmp; /* the tree and parsed values */
    const struct cl_plugin_lookup *lk;
    struct cl_spec *spec;
    struct top_values top;
    size_t errors;
    int oom;
    int seen_strategies, seen_workloads;
    struct vlist strategies, workloads; /* into spec->strategies, ... */
};

static void err_at(struct loader *L, const struct cl_node *n,
                   const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void err_at(struct loader *L, const struct cl_node *n,
                   const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_diags_vadd(L->d, L->file, n ? n->line : 0, n ? n->col : 0, fmt, ap);
    va_end(ap);
    L->errors++;
}

static const char *kind_word(enum conlab_kind k)
{
    return k == CONLAB_KIND_STRATEGY ? "strategy" : "workload";
}

static const char *kind_plural(enum conlab_kind k)
{
    return k == CONLAB_KIND_STRATEGY ? "strategies" : "workloads";
}

/* "a, b, c" in the scratch arena ("" when out of memory). */
static const char *join(struct loader *L, const char *const *v, size_t n)
{
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(v[i]) + 2;
    char *s = cl_arena_alloc(L->tmp, len);
    if (!s) {
        L->oom = 1;
        return "";
    }
    for (size_t i = 0; i < n; i++) {
        if (i)
            strcat(s, ", ");
        strcat(s, v[i]);
    }
    return s;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* " (did you mean 'x'?)" or "". */
static const char *did_you_mean(struct loader *L, const char *word,
                                const char *const *cands, size_t n)
{
    const char *near = cl_suggest(word, cands, n);
    if (!near)
        return "";
    size_t len = strlen(near) + 24;
    char *s = cl_arena_alloc(L->tmp, len);
    if (!s) {
        L->oom = 1;
        return "";
    }
    snprintf(s, len, " (did you mean '%s'?)", near);
    return s;
}

/* Parse one non-sweep value with `p`; reports "<prefix> <problem>". */
static int value_at(struct loader *L, const struct conlab_param *p,
                    const struct cl_node *n, struct cl_pval *out,
                    const char *prefix)
{
    char err[512];
    const struct cl_node *where = n;
    int rc = cl_pval_parse(p, n, L->tmp, out, &where, err, sizeof err);
    if (rc == CL_PV_NOMEM)
        L->oom = 1;
    else if (rc == CL_PV_INVALID)
        err_at(L, where, "%s %s", prefix, err);
    return rc;
}

/* ---- top-level keys ------------------------------------------------------ */

static void top_scalar(struct loader *L, const struct cl_node *key,
                       const struct cl_node *val)
{
    for (const struct conlab_param *p = top_params; p->name; p++) {
        if (strcmp(p->name, key->text) != 0)
            continue;
        char prefix[64];
        struct cl_pval v;
        snprintf(prefix, sizeof prefix, "'%s'", p->name);
        if (value_at(L, p, val, &v, prefix) == CL_PV_OK)
            cl_pval_store(p, &v, &L->top, L->tmp); /* scalars: cannot fail */
        return;
    }
}

static int valid_experiment(const char *s)
{
    static const char ok[] = "abcdefghijklmnopqrstuvwxyz"
                             "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";
    size_t len = strlen(s);
    return len > 0 && len <= 200 && s[0] != '.' && strspn(s, ok) == len;
}

static void top_seed(struct loader *L, const struct cl_node *key,
                     const struct cl_node *val)
{
    char buf[96];
    (void)key;
    if (val->kind == CL_NODE_SCALAR && val->text[0] >= '0' &&
        val->text[0] <= '9') {
        char *end;
        errno = 0;
        unsigned long long v = strtoull(val->text, &end, 10);
        if (*end == '\0' && errno != ERANGE) {
            L->top.seed = v;
            return;
        }
    }
    err_at(L, val, "'seed' expects a whole number from 0 to %" PRIu64
           ", got %s", UINT64_MAX, cl_node_describe(val, buf, sizeof buf));
}

static void top_memory(struct loader *L, const struct cl_node *key,
                       const struct cl_node *val)
{
    char buf[96];
    (void)key;
    uint64_t bytes;
    if (val->kind == CL_NODE_SCALAR && cl_parse_size(val->text, &bytes) == 0 &&
        (bytes == 0 || bytes >= (1u << 20))) {
        L->top.memory = bytes;
        return;
    }
    err_at(L, val, "'memory' expects a size of at least 1MiB (e.g. 512MiB, "
           "2GiB, 0 for no limit), got %s", cl_node_describe(val, buf, sizeof buf));
}

static void top_experiment(struct loader *L, const struct cl_node *key,
                           const struct cl_node *val)
{
    struct cl_pval v;
    (void)key;
    if (cl_node_is_null(val)) {
        err_at(L, val, "'experiment' has no value");
        return;
    }
    if (value_at(L, &string_param, val, &v, "'experiment'") != CL_PV_OK)
        return;
    if (!valid_experiment(v.s)) {
        err_at(L, val, "experiment name '%s' is not allowed: it names a "
               "directory, so use only letters, digits, '.', '_' and '-', "
               "not starting with '.'", v.s);
        return;
    }
    if (!(L->spec->experiment = strdup(v.s)))
        L->oom = 1;
}

static void top_description(struct loader *L, const struct cl_node *key,
                            const struct cl_node *val)
{
    struct cl_pval v;
    (void)key;
    if (cl_node_is_null(val))
        return;
    if (value_at(L, &string_param, val, &v, "'description'") != CL_PV_OK)
        return;
    if (!(L->spec->description = strdup(v.s)))
        L->oom = 1;
}

static void top_pinning(struct loader *L, const struct cl_node *key,
                        const struct cl_node *val)
{
    static const char *const kinds[] = {"none", "compact", "scatter"};
    static const enum cl_pinning_kind kind_of[] = {CL_PIN_NONE, CL_PIN_COMPACT,
                                                   CL_PIN_SCATTER};
    struct cl_pinning *pin = &L->spec->pinning;
    (void)key;
    L->spec->pinning_line = val->line;
    L->spec->pinning_col = val->col;
    if (val->kind == CL_NODE_SCALAR && !cl_node_is_null(val)) {
        for (int i = 0; i < 3; i++) {
            if (strcmp(val->text, kinds[i]) == 0) {
                pin->kind = kind_of[i];
                return;
            }
        }
    }
    if (val->kind != CL_NODE_SEQ) {
        char buf[96];
        err_at(L, val, "'pinning' must be none, compact, scatter or a list "
               "of CPU numbers such as [0, 2], got %s%s",
               cl_node_describe(val, buf, sizeof buf),
               val->kind == CL_NODE_SCALAR
                   ? did_you_mean(L, val->text, kinds, 3) : "");
        return;
    }
    if (val->n == 0) {
        err_at(L, val, "'pinning' is an empty list; give CPU numbers such "
               "as [0, 2], or none");
        return;
    }
    int *cpus = calloc(val->n, sizeof *cpus);
    if (!cpus) {
        L->oom = 1;
        return;
    }
    size_t k = 0, bad = 0;
    for (const struct cl_node *e = val->first; e; e = e->next) {
        struct cl_pval v;
        if (value_at(L, &cpu_param, e, &v, "'pinning' entry") == CL_PV_OK)
            cpus[k++] = (int)v.i;
        else
            bad++;
    }
    if (bad) {
        free(cpus);
        return;
    }
    free(pin->cpus);
    pin->kind = CL_PIN_LIST;
    pin->n = k;
    pin->cpus = cpus;
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

static void variant_free(struct cl_variant *v)
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
static int entry_shape(struct loader *L, struct entry *e)
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
            err_at(L, k2, "unexpected key '%s' in the entry of %s '%s': "
                   "one %s per list item; parameters go inside the name's "
                   "mapping, e.g. '- %s: {%s: ...}'", k2->text, e->what,
                   it->first->text, e->what, it->first->text, k2->text);
            return 0;
        }
    } else {
        err_at(L, it, "a %s entry must be a name or 'name: {params}', got %s",
               e->what, cl_node_describe(it, buf, sizeof buf));
        return 0;
    }
    e->name = e->name_node->text;
    if (!*e->name) {
        err_at(L, e->name_node, "empty %s name", e->what);
        return 0;
    }
    if (cl_node_is_null(e->params)) {
        e->params = NULL;
    } else if (e->params->kind != CL_NODE_MAP) {
        err_at(L, e->params, "the parameters of %s '%s' must be a mapping "
               "such as {name: value}, got %s", e->what, e->name,
               cl_node_describe(e->params, buf, sizeof buf));
        return 0;
    }
    const struct cl_node *path = cl_node_get(e->params, "plugin", NULL);
    if (path) {
        if (path->kind != CL_NODE_SCALAR || cl_node_is_null(path) ||
            !*path->text) {
            err_at(L, path, "%s '%s': 'plugin' expects the path of a plugin "
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

static void unknown_plugin(struct loader *L, const struct entry *e,
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
            err_at(L, e->name_node, "%s '%s' cannot be loaded: %s", e->what,
                   e->name, *lookup_err ? lookup_err : "unknown reason");
            return;
        }
    }
    qsort(names, n, sizeof names[0], cmp_str);
    const char *near = cl_suggest(e->name, names, n);
    if (!n)
        err_at(L, e->name_node, "unknown %s '%s' (no %s found)", e->what,
               e->name, kind_plural(e->kind));
    else if (near)
        err_at(L, e->name_node, "unknown %s '%s' (did you mean '%s'? known: "
               "%s)", e->what, e->name, near, join(L, names, n));
    else
        err_at(L, e->name_node, "unknown %s '%s' (known: %s)", e->what,
               e->name, join(L, names, n));
}

static int resolve_plugin(struct loader *L, struct entry *e)
{
    char err[512] = "";
    const struct cl_node *at = e->path_node ? e->path_node : e->name_node;
    const char *path = e->path_node ? e->path_node->text : NULL;
    const struct conlab_plugin *p = NULL;
    if (L->lk && L->lk->find && (path || valid_plugin_name(e->name)))
        p = L->lk->find(L->lk->ctx, e->kind, e->name, path, err, sizeof err);
    if (!p) {
        if (path)
            err_at(L, at, "%s '%s': cannot load plugin '%s': %s", e->what,
                   e->name, path, *err ? err : "unknown reason");
        else
            unknown_plugin(L, e, err);
        return 0;
    }
    if (p->kind != (uint32_t)e->kind) {
        err_at(L, at, "%s '%s': the plugin is a %s, not a %s", e->what,
               e->name, p->kind == CONLAB_KIND_STRATEGY ? "strategy"
                                                        : "workload",
               e->what);
        return 0;
    }
    if (cl_params_check(p, err, sizeof err) != 0) {
        err_at(L, at, "%s '%s': broken plugin: %s", e->what, e->name, err);
        return 0;
    }
    e->plugin = p;
    return 1;
}

static void unknown_param(struct loader *L, const struct entry *e,
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
    const char *takes = e->n_slots ? join(L, cands, e->n_slots) : "nothing";
    if (near)
        err_at(L, key, "%s '%s' has no parameter '%s' (did you mean '%s'?; "
               "it takes: %s)", e->what, e->name, key->text, near, takes);
    else
        err_at(L, key, "%s '%s' has no parameter '%s' (it takes: %s)",
               e->what, e->name, key->text, takes);
}

/* Is `val` a sweep of slot s?  -1 (reported) when its shape is wrong. */
static int sweep_shape(struct loader *L, const struct entry *e,
                       const struct slot *s, const struct cl_node *val)
{
    if (val->kind != CL_NODE_SEQ)
        return 0;
    if (!cl_param_type_is_list(s->p->type)) {
        if (val->n == 0) {
            err_at(L, val, "%s '%s': parameter '%s' is an empty list; give "
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
            err_at(L, c, "%s '%s': parameter '%s' mixes single values and "
                   "lists; give one list such as [1, 2], or a list of lists "
                   "such as [[1, 2], [3]] to sweep", e->what, e->name,
                   s->p->name);
            break;
        }
    }
    return -1;
}

static int slot_given(struct loader *L, const struct entry *e,
                      struct slot *s)
{
    const struct cl_node *val = s->given->value;
    char prefix[256];
    snprintf(prefix, sizeof prefix, "%s '%s': parameter '%s'", e->what,
             e->name, s->p->name);
    if (cl_node_is_null(val)) {
        err_at(L, val, "%s has no value (%s)", prefix,
               s->p->def ? "leave it out to use the default" : "it is required");
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
        ok &= value_at(L, s->p, c, &s->vals[i], prefix) == CL_PV_OK;
    return ok;
}

static int slot_default(struct loader *L, const struct entry *e,
                        struct slot *s)
{
    char err[512];
    if (!s->p->def) {
        err_at(L, e->name_node, "%s '%s': missing required parameter '%s'",
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
        err_at(L, e->name_node, "%s '%s': broken plugin: %s", e->what,
               e->name, err);
    return rc == CL_PV_OK;
}

/* Match the spec's keys to parameters and parse every value. */
static int collect_slots(struct loader *L, struct entry *e)
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

static int build_variant(struct loader *L, const struct entry *e,
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
        variant_free(v);
        L->oom = 1;
        return -1;
    }
    return 0;
}

static int vlist_push(struct loader *L, struct vlist *list,
                      struct cl_variant *v)
{
    if (*list->n == list->cap) {
        size_t cap = list->cap ? 2 * list->cap : 8;
        struct cl_variant *nv = realloc(*list->v, cap * sizeof *nv);
        if (!nv) {
            variant_free(v);
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
static void expand(struct loader *L, const struct entry *e,
                   struct vlist *list)
{
    size_t total = 1;
    for (size_t i = 0; i < e->n_slots; i++) {
        if (e->slots[i].k > CL_MAX_VARIANTS / total) {
            err_at(L, e->item, "%s '%s': the sweep makes more than %d "
                   "variants", e->what, e->name, CL_MAX_VARIANTS);
            return;
        }
        total *= e->slots[i].k;
    }
    if (*list->n + total > CL_MAX_VARIANTS) {
        err_at(L, e->item, "more than %d %s variants in all", CL_MAX_VARIANTS,
               e->what);
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
                err_at(L, e->item, "%s '%s' appears twice (first at line %d, "
                       "column %d); give each entry different parameters",
                       e->what, v.label, o->line, o->col);
                variant_free(&v);
                return;
            }
        }
        if (vlist_push(L, list, &v) != 0)
            return;
    }
}

static void load_entry(struct loader *L, enum conlab_kind kind,
                       const struct cl_node *item, struct vlist *list)
{
    struct entry e = {.kind = kind, .what = kind_word(kind), .item = item};
    if (entry_shape(L, &e) && resolve_plugin(L, &e) && collect_slots(L, &e))
        expand(L, &e, list);
}

static void top_list(struct loader *L, const struct cl_node *key,
                     const struct cl_node *val)
{
    enum conlab_kind kind = strcmp(key->text, "strategies") == 0
                                ? CONLAB_KIND_STRATEGY
                                : CONLAB_KIND_WORKLOAD;
    struct vlist *list;
    char buf[96];
    if (kind == CONLAB_KIND_STRATEGY) {
        L->seen_strategies = 1;
        list = &L->strategies;
    } else {
        L->seen_workloads = 1;
        list = &L->workloads;
    }
    if (cl_node_is_null(val) || (val->kind == CL_NODE_SEQ && val->n == 0)) {
        err_at(L, val, "'%s' is empty; list at least one %s", key->text,
               kind_word(kind));
        return;
    }
    if (val->kind != CL_NODE_SEQ) {
        err_at(L, val, "'%s' must be a list (one '- name' line per %s), got "
               "%s", key->text, kind_word(kind),
               cl_node_describe(val, buf, sizeof buf));
        return;
    }
    for (const struct cl_node *it = val->first; it; it = it->next)
        load_entry(L, kind, it, list);
}

/* ---- the document -------------------------------------------------------- */

typedef void (*top_fn)(struct loader *, const struct cl_node *,
                       const struct cl_node *);

static const struct {
    const char *name;
    top_fn fn;
} top_keys[] = {
    {"experiment", top_experiment}, {"description", top_description},
    {"repeat", top_scalar},         {"warmup", top_scalar},
    {"timeout", top_scalar},        {"pinning", top_pinning},
    {"seed", top_seed},             {"record_tasks", top_scalar},
    {"memory", top_memory},
    {"strategies", top_list},       {"workloads", top_list},
};
#define N_TOP_KEYS (sizeof top_keys / sizeof top_keys[0])

static void unknown_top_key(struct loader *L, const struct cl_node *key)
{
    const char *names[N_TOP_KEYS];
    for (size_t i = 0; i < N_TOP_KEYS; i++)
        names[i] = top_keys[i].name;
    const char *near = cl_suggest(key->text, names, N_TOP_KEYS);
    if (near)
        err_at(L, key, "unknown key '%s' (did you mean '%s'?)", key->text,
               near);
    else
        err_at(L, key, "unknown key '%s' (known: %s)", key->text,
               join(L, names, N_TOP_KEYS));
}

/* The experiment's default name: the file's base name without extension. */
static char *name_from_path(const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *dot = strrchr(base, '.');
    size_t len = dot && dot != base ? (size_t)(dot - base) : strlen(base);
    return strndup(base, len);
}

static void load_root(struct loader *L, const struct cl_node *root)
{
    char buf[96];
    static const struct cl_node start = {.line = 1, .col = 1};
    if (!root || cl_node_is_null(root)) {
        err_at(L, &start, "empty spec: expected a mapping with at least "
               "'strategies:' and 'workloads:'");
        return;
    }
    if (root->kind != CL_NODE_MAP) {
        err_at(L, root, "a spec must be a mapping of keys such as "
               "'strategies:' and 'workloads:', got %s",
               cl_node_describe(root, buf, sizeof buf));
        return;
    }
    for (const struct cl_node *k = root->first; k; k = k->next) {
        size_t i = 0;
        while (i < N_TOP_KEYS && strcmp(top_keys[i].name, k->text) != 0)
            i++;
        if (i == N_TOP_KEYS)
            unknown_top_key(L, k);
        else
            top_keys[i].fn(L, k, k->value);
    }
    if (!L->seen_strategies)
        err_at(L, root, "missing key 'strategies' (the strategies to run, "
               "e.g. 'strategies: [sequential, threads]')");
    if (!L->seen_workloads)
        err_at(L, root, "missing key 'workloads' (the workloads to run, "
               "e.g. 'workloads: [sleep]')");
    if (!L->spec->experiment && !cl_node_get(root, "experiment", NULL)) {
        char *name = name_from_path(L->file);
        if (!name)
            L->oom = 1;
        else if (valid_experiment(name))
            L->spec->experiment = name;
        else {
            err_at(L, root, "cannot name the experiment after the file "
                   "('%s' is not a valid directory name); add "
                   "'experiment: NAME'", name);
            free(name);
        }
    }
}

/* Fill L->top from the table's defaults (parsed like plugin defaults). */
static int top_defaults(struct loader *L)
{
    char err[512];
    for (const struct conlab_param *p = top_params; p->name; p++) {
        struct cl_pval v;
        if (cl_pval_default(p, L->tmp, &v, err, sizeof err) != CL_PV_OK ||
            cl_pval_store(p, &v, &L->top, L->tmp) != CL_PV_OK)
            return -1;
    }
    L->top.seed = 42;
    return 0;
}

static void copy_top(struct cl_spec *s, const struct top_values *t)
{
    s->repeat = (int)t->repeat;
    s->warmup = (int)t->warmup;
    s->timeout_s = t->timeout;
    s->seed = (uint64_t)t->seed;
    s->record_tasks = t->record_tasks;
    s->memory_bytes = t->memory;
}

int cl_spec_load_string(const char *name, const char *text, size_t len,
                        const struct cl_plugin_lookup *lk,
                        struct cl_spec **out, struct cl_diags *diags)
{
    const char *file = name ? name : "<spec>";
    size_t n0 = diags->n;
    struct loader L = {.file = file, .d = diags, .lk = lk};
    *out = NULL;
    L.spec = calloc(1, sizeof *L.spec);
    L.tmp = cl_arena_new();
    if (L.spec) {
        L.strategies = (struct vlist){&L.spec->strategies,
                                      &L.spec->n_strategies, 0};
        L.workloads = (struct vlist){&L.spec->workloads,
                                     &L.spec->n_workloads, 0};
        L.spec->path = strdup(file);
        L.spec->text = malloc(len + 1);
    }
    if (!L.spec || !L.tmp || !L.spec->path || !L.spec->text ||
        top_defaults(&L) != 0) {
        L.oom = 1;
    } else {
        memcpy(L.spec->text, text, len);
        L.spec->text[len] = '\0';
        L.spec->text_len = len;
        struct cl_node *root = NULL;
        if (cl_yaml_parse(file, text, len, L.tmp, diags, &root) == 0 &&
            diags->n == n0)
            load_root(&L, root);
        else if (diags->n == n0)
            L.oom = 1; /* unusable without a message: only OOM does that */
        else if (root)
            load_root(&L, root); /* harmless tree problems: check the rest */
        copy_top(L.spec, &L.top);
    }
    if (L.oom)
        cl_diags_add(diags, file, 0, 0, "out of memory loading the spec");
    cl_arena_free(L.tmp);
    if (L.oom || L.errors || diags->n != n0) {
        cl_spec_free(L.spec);
        return -1;
    }
    *out = L.spec;
    return 0;
}

static int read_all(const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    for (;;) {
        if (!b) {
            close(fd);
            errno = ENOMEM;
            return -1;
        }
        if (n == cap) {
            char *nb = cap > SIZE_MAX / 2 ? NULL : realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                continue;
            }
            b = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, b + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            free(b);
            close(fd);
            errno = e;
            return -1;
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    close(fd);
    *buf = b;
    *len = n;
    return 0;
}

int cl_spec_load_file(const char *path, const struct cl_plugin_lookup *lk,
                      struct cl_spec **out, struct cl_diags *diags)
{
    char *text;
    size_t len;
    *out = NULL;
    if (read_all(path, &text, &len) != 0) {
        cl_diags_add(diags, path, 0, 0, "cannot read the spec: %s",
                     strerror(errno));
        return -1;
    }
    int rc = cl_spec_load_string(path, text, len, lk, out, diags);
    free(text);
    return rc;
}

void cl_spec_free(struct cl_spec *spec)
{
    if (!spec)
        return;
    for (size_t i = 0; i < spec->n_strategies; i++)
        variant_free(&spec->strategies[i]);
    for (size_t i = 0; i < spec->n_workloads; i++)
        variant_free(&spec->workloads[i]);
    free(spec->strategies);
    free(spec->workloads);
    free(spec->pinning.cpus);
    free(spec->path);
    free(spec->text);
    free(spec->experiment);
    free(spec->description);
    free(spec);
}

/* yamltree.c — see yamltree.h. */
#include "yamltree.h"

#include <stdarg.h>
#include <string.h>

#include <yaml.h>

struct anchor {
    const char *name;
    const struct cl_node *node;
    int height; /* levels below node */
};

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
    size_t n_nodes;
    struct anchor *anchors; /* in the arena, grown by doubling */
    size_t n_anchors, cap_anchors;
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
    if (++b->n_nodes > CL_MAX_YAML_NODES) {
        if (!b->unusable)
            build_err(b, m, "the document has more than %d nodes once its "
                      "aliases are expanded (an alias of an alias of ...?); "
                      "write the spec without nested aliases",
                      CL_MAX_YAML_NODES);
        b->unusable = 1;
        return NULL;
    }
    struct cl_node *n = cl_arena_alloc(b->a, sizeof *n);
    if (!n) {
        build_err(b, m, "out of memory");
        b->unusable = 1;
        return NULL;
    }
    n->kind = kind;
    n->line = (int)m.line + 1;
    n->col = (int)m.column + 1;
    n->src = b->file;
    return n;
}

/* Levels below n (0 for a scalar). */
static int height(const struct cl_node *n)
{
    int h = 0;
    for (const struct cl_node *c = n->first; c; c = c->next) {
        int hc = 1 + height(n->kind == CL_NODE_MAP ? c->value : c);
        h = hc > h ? hc : h;
    }
    return h;
}

/* Remember `node` under `name` (a later anchor of the same name wins). */
static void add_anchor(struct builder *b, yaml_mark_t m, const yaml_char_t *name,
                       const struct cl_node *node)
{
    if (!name || !node)
        return;
    if (b->n_anchors == b->cap_anchors) {
        size_t cap = b->cap_anchors ? 2 * b->cap_anchors : 16;
        struct anchor *v = cl_arena_alloc(b->a, cap * sizeof *v);
        if (!v) {
            build_err(b, m, "out of memory");
            b->unusable = 1;
            return;
        }
        if (b->n_anchors)
            memcpy(v, b->anchors, b->n_anchors * sizeof *v);
        b->anchors = v;
        b->cap_anchors = cap;
    }
    const char *nm = cl_arena_strdup(b->a, (const char *)name);
    if (!nm) {
        build_err(b, m, "out of memory");
        b->unusable = 1;
        return;
    }
    b->anchors[b->n_anchors++] = (struct anchor){nm, node, height(node)};
}

/* A copy of n and everything below it, counted against the node bound. */
static struct cl_node *copy_node(struct builder *b, const struct cl_node *n,
                                 yaml_mark_t m)
{
    struct cl_node *c = new_node(b, n->kind, m);
    if (!c)
        return NULL;
    c->line = n->line;
    c->col = n->col;
    c->text = n->text;
    c->plain = n->plain;
    c->src = n->src;
    for (const struct cl_node *k = n->first; k; k = k->next) {
        struct cl_node *kc = copy_node(b, k, m);
        if (!kc)
            return NULL;
        if (n->kind == CL_NODE_MAP && !(kc->value = copy_node(b, k->value, m)))
            return NULL;
        cl_node_append(c, kc);
    }
    return c;
}

static struct cl_node *alias_node(struct builder *b, const yaml_event_t *e,
                                  int depth)
{
    const char *name = (const char *)e->data.alias.anchor;
    for (size_t i = b->n_anchors; i-- > 0;) {
        if (strcmp(b->anchors[i].name, name) != 0)
            continue;
        if (depth + b->anchors[i].height > CL_MAX_DEPTH) {
            build_err(b, e->start_mark, "alias '*%s' nests deeper than %d "
                      "levels", name, CL_MAX_DEPTH);
            b->unusable = 1;
            return NULL;
        }
        return copy_node(b, b->anchors[i].node, e->start_mark);
    }
    build_err(b, e->start_mark, "unknown alias '*%s' (an anchor '&%s' must "
              "come before it, and not around it)", name, name);
    b->unusable = 1;
    return NULL;
}

void cl_node_append(struct cl_node *parent, struct cl_node *child)
{
    child->next = NULL;
    if (parent->last)
        parent->last->next = child;
    else
        parent->first = child;
    parent->last = child;
    parent->n++;
}

/* Tags are reported, then ignored: the value still reads well. */
static void check_tag(struct builder *b, yaml_mark_t m, const yaml_char_t *tag)
{
    if (tag)
        build_err(b, m, "YAML tags ('%s') are not supported in specs; write "
                  "the value plainly", (const char *)tag);
}

static struct cl_node *parse_node(struct builder *b, yaml_event_t *ev,
                                  int depth);

static struct cl_node *parse_scalar_event(struct builder *b, yaml_event_t *ev)
{
    check_tag(b, ev->start_mark, ev->data.scalar.tag);
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
        cl_node_append(seq, item);
    }
}

/* `<<: SRC`: SRC's keys (a mapping's, or each of a list of mappings') that
 * map does not have yet, marked merged so that a key of its own replaces
 * them. */
static void merge_keys(struct builder *b, struct cl_node *map,
                       const struct cl_node *src)
{
    if (src->kind == CL_NODE_SEQ) {
        for (const struct cl_node *s = src->first; s; s = s->next)
            merge_keys(b, map, s);
        return;
    }
    if (src->kind != CL_NODE_MAP) {
        cl_diags_add(b->d, b->file, src->line, src->col, "'<<' merges a "
                     "mapping (such as *anchor) into this one, not a value");
        return;
    }
    for (struct cl_node *k = src->first, *next; k; k = next) {
        next = k->next;
        if (cl_node_get(map, k->text, NULL))
            continue;
        k->merged = 1;
        cl_node_append(map, k);
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
        if (strcmp(key->text, "<<") == 0 && key->plain) {
            merge_keys(b, map, val);
            continue;
        }
        struct cl_node *prev = NULL;
        if (cl_node_get(map, key->text, (const struct cl_node **)&prev)) {
            if (prev->merged) { /* a merged key: this one wins */
                prev->value = val;
                prev->merged = 0;
                prev->line = key->line;
                prev->col = key->col;
                continue;
            }
            cl_diags_add(b->d, b->file, key->line, key->col,
                         "duplicate key '%s' (first at line %d, column %d)",
                         key->text, prev->line, prev->col);
            continue;
        }
        key->value = val;
        cl_node_append(map, key);
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
        add_anchor(b, e.start_mark, e.data.scalar.anchor, n);
        yaml_event_delete(&e);
        return n;
    case YAML_ALIAS_EVENT:
        n = alias_node(b, &e, depth);
        yaml_event_delete(&e);
        return n;
    case YAML_SEQUENCE_START_EVENT:
        check_tag(b, e.start_mark, e.data.sequence_start.tag);
        n = new_node(b, CL_NODE_SEQ, e.start_mark);
        n = n ? parse_seq(b, n, depth) : NULL;
        add_anchor(b, e.start_mark, e.data.sequence_start.anchor, n);
        yaml_event_delete(&e);
        return n;
    case YAML_MAPPING_START_EVENT:
        check_tag(b, e.start_mark, e.data.mapping_start.tag);
        n = new_node(b, CL_NODE_MAP, e.start_mark);
        n = n ? parse_map(b, n, depth) : NULL;
        add_anchor(b, e.start_mark, e.data.mapping_start.anchor, n);
        yaml_event_delete(&e);
        return n;
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

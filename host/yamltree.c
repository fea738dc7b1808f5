/* yamltree.c — see yamltree.h. */
#include "yamltree.h"

#include <stdarg.h>
#include <string.h>

#include <yaml.h>

#define CL_MAX_DEPTH 64 /* YAML nesting a spec may use */


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

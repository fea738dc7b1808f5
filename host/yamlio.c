/* yamlio.c — see yamlio.h. */
#include "yamlio.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

/* ---- YAML in ----------------------------------------------------------------- */

int cl_ydoc_load(struct cl_ydoc *d, const char *path, char *err, size_t errlen)
{
    memset(d, 0, sizeof *d);
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        snprintf(err, errlen, "cannot read %s: %s", path, strerror(e));
        errno = e;
        return -1;
    }
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        fclose(f);
        snprintf(err, errlen, "cannot read %s: out of memory", path);
        errno = ENOMEM;
        return -1;
    }
    yaml_parser_set_input_file(&p, f);
    int ok = yaml_parser_load(&p, &d->doc);
    if (!ok)
        snprintf(err, errlen, "%s:%zu:%zu: %s", path, p.problem_mark.line + 1,
                 p.problem_mark.column + 1, p.problem ? p.problem : "invalid YAML");
    else if (!yaml_document_get_root_node(&d->doc)) {
        snprintf(err, errlen, "%s: empty", path);
        yaml_document_delete(&d->doc);
        ok = 0;
    }
    yaml_parser_delete(&p);
    fclose(f);
    d->loaded = ok;
    if (!ok)
        errno = EINVAL;
    return ok ? 0 : -1;
}

void cl_ydoc_free(struct cl_ydoc *d)
{
    if (d->loaded)
        yaml_document_delete(&d->doc);
    d->loaded = 0;
}

yaml_node_t *cl_ydoc_get(struct cl_ydoc *d, yaml_node_t *map, const char *key)
{
    if (!d->loaded)
        return NULL;
    if (!map)
        map = yaml_document_get_root_node(&d->doc);
    if (!map || map->type != YAML_MAPPING_NODE)
        return NULL;
    for (yaml_node_pair_t *p = map->data.mapping.pairs.start;
         p < map->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&d->doc, p->key);
        if (k && k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, key) == 0)
            return yaml_document_get_node(&d->doc, p->value);
    }
    return NULL;
}

const char *cl_ydoc_str(struct cl_ydoc *d, yaml_node_t *map, const char *key)
{
    yaml_node_t *n = cl_ydoc_get(d, map, key);
    return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* ---- YAML out ---------------------------------------------------------------- */

static void yemit(struct cl_yout *y)
{
    if (y->ok && !yaml_emitter_emit(&y->e, &y->ev))
        y->ok = 0;
    else if (!y->ok)
        yaml_event_delete(&y->ev);
}

static int yout_write(void *data, unsigned char *buf, size_t size)
{
    struct cl_yout *y = data;
    if (fwrite(buf, 1, size, y->f) == size)
        return 1;
    y->write_errno = errno;
    return 0;
}

int cl_yout_open(struct cl_yout *y, const char *path)
{
    memset(y, 0, sizeof *y);
    y->f = cl_atomic_open(path, &y->tmp);
    if (!y->f) {
        int e = errno;
        free(y->tmp);
        errno = e;
        return -1;
    }
    y->path = cl_xstrdup(path);
    y->ok = yaml_emitter_initialize(&y->e);
    if (!y->ok) {
        fclose(y->f);
        unlink(y->tmp);
        free(y->path);
        free(y->tmp);
        errno = ENOMEM;
        return -1;
    }
    yaml_emitter_set_output(&y->e, yout_write, y);
    yaml_emitter_set_unicode(&y->e, 1);
    yaml_emitter_set_width(&y->e, 100);
    yaml_stream_start_event_initialize(&y->ev, YAML_UTF8_ENCODING);
    yemit(y);
    yaml_document_start_event_initialize(&y->ev, NULL, NULL, NULL, 1);
    yemit(y);
    cl_yout_map_start(y);
    return 0;
}

static void yscalar(struct cl_yout *y, const char *s, yaml_scalar_style_t style)
{
    if (!s)
        s = "";
    if (!yaml_scalar_event_initialize(&y->ev, NULL, NULL, (yaml_char_t *)s,
                                      (int)strlen(s), 1, 1, style)) {
        y->ok = 0;
        return;
    }
    yemit(y);
}

void cl_yout_scalar(struct cl_yout *y, const char *s)
{
    yscalar(y, s, YAML_ANY_SCALAR_STYLE);
}

void cl_yout_literal(struct cl_yout *y, const char *s)
{
    yscalar(y, s, YAML_LITERAL_SCALAR_STYLE);
}

void cl_yout_kv(struct cl_yout *y, const char *key, const char *value)
{
    cl_yout_scalar(y, key);
    cl_yout_scalar(y, value);
}

void cl_yout_kvf(struct cl_yout *y, const char *key, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    cl_yout_kv(y, key, buf);
}

void cl_yout_map_start(struct cl_yout *y)
{
    yaml_mapping_start_event_initialize(&y->ev, NULL, NULL, 1, YAML_BLOCK_MAPPING_STYLE);
    yemit(y);
}

void cl_yout_map_end(struct cl_yout *y)
{
    yaml_mapping_end_event_initialize(&y->ev);
    yemit(y);
}

void cl_yout_seq_start(struct cl_yout *y, int flow)
{
    yaml_sequence_start_event_initialize(&y->ev, NULL, NULL, 1,
                                         flow ? YAML_FLOW_SEQUENCE_STYLE
                                              : YAML_BLOCK_SEQUENCE_STYLE);
    yemit(y);
}

void cl_yout_seq_end(struct cl_yout *y)
{
    yaml_sequence_end_event_initialize(&y->ev);
    yemit(y);
}

void cl_yout_node(struct cl_yout *y, struct cl_ydoc *d, yaml_node_t *n)
{
    if (!n) {
        cl_yout_scalar(y, "");
        return;
    }
    switch (n->type) {
    case YAML_SCALAR_NODE:
        yscalar(y, (const char *)n->data.scalar.value,
                n->data.scalar.style == YAML_LITERAL_SCALAR_STYLE
                    ? YAML_LITERAL_SCALAR_STYLE : YAML_ANY_SCALAR_STYLE);
        return;
    case YAML_SEQUENCE_NODE:
        cl_yout_seq_start(y, n->data.sequence.style == YAML_FLOW_SEQUENCE_STYLE);
        for (yaml_node_item_t *i = n->data.sequence.items.start;
             i < n->data.sequence.items.top; i++)
            cl_yout_node(y, d, yaml_document_get_node(&d->doc, *i));
        cl_yout_seq_end(y);
        return;
    case YAML_MAPPING_NODE:
        cl_yout_map_start(y);
        for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
             p < n->data.mapping.pairs.top; p++) {
            cl_yout_node(y, d, yaml_document_get_node(&d->doc, p->key));
            cl_yout_node(y, d, yaml_document_get_node(&d->doc, p->value));
        }
        cl_yout_map_end(y);
        return;
    case YAML_NO_NODE:
        break;
    }
    cl_yout_scalar(y, "");
}

int cl_yout_close(struct cl_yout *y)
{
    cl_yout_map_end(y);
    yaml_document_end_event_initialize(&y->ev, 1);
    yemit(y);
    yaml_stream_end_event_initialize(&y->ev);
    yemit(y);
    int ok = y->ok;
    yaml_emitter_delete(&y->e);
    if (!ok) { /* the emitter failed: keep the old file */
        fclose(y->f);
        unlink(y->tmp);
        free(y->tmp);
        free(y->path);
        errno = y->write_errno ? y->write_errno : EIO;
        return -1;
    }
    int rc = cl_atomic_commit(y->f, y->path, y->tmp);
    free(y->path);
    return rc;
}

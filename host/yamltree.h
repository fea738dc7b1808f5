/* yamltree.h — a YAML document as a tree of nodes that keep their line and
 * column, built from libyaml's events; problems become diagnostics.  Used by
 * the spec loader and by parameter defaults.  Host-private. */
#ifndef CONLAB_HOST_YAMLTREE_H
#define CONLAB_HOST_YAMLTREE_H

#include <stddef.h>

#include "arena.h"
#include "diag.h"

enum cl_node_kind { CL_NODE_SCALAR, CL_NODE_SEQ, CL_NODE_MAP };

/** One node; every node lives in the arena the parse was given. */
struct cl_node {
    enum cl_node_kind kind;
    int line, col;         /* 1-based */
    const char *text;      /* SCALAR: the value, NUL-terminated */
    int plain;             /* SCALAR: written without quotes */
    size_t n;              /* SEQ: items; MAP: keys */
    struct cl_node *first; /* SEQ: first item; MAP: first key */
    struct cl_node *last;
    struct cl_node *next;  /* the next item or key of the parent */
    struct cl_node *value; /* a MAP key's value */
    int merged;            /* a MAP key merged in by '<<' */
    const char *src;       /* the name it was parsed under (a file, or
                              "--set KEY"), borrowed from the parse's caller */
};

/** 1 for an absent value: a plain "", "~", "null", "Null" or "NULL". */
int cl_node_is_null(const struct cl_node *n);
/** "a list", "a mapping", "no value" or "'text'" (in buf), for messages. */
const char *cl_node_describe(const struct cl_node *n, char *buf, size_t len);
/** The value of key `key` in mapping `map`, or NULL; the key via *key_out. */
const struct cl_node *cl_node_get(const struct cl_node *map, const char *key,
                                  const struct cl_node **key_out);

#define CL_MAX_YAML_NODES 1000000 /* nodes of a document, aliases expanded */
#define CL_MAX_DEPTH 64           /* YAML nesting, aliases expanded */

/** Put child last in parent (a SEQ's items or a MAP's keys). */
void cl_node_append(struct cl_node *parent, struct cl_node *child);

/** Parse one YAML document into a tree allocated in `a`.  Problems go to `d`
 *  as "file:line:col: message".  Anchors and aliases are resolved: an alias
 *  is a copy of its anchor's node (keeping the anchor's positions), and a
 *  `<<: *anchor` key (or `<<: [*a, *b]`) merges a mapping's keys into the
 *  one that holds it, its own keys winning.  The expanded tree is bounded:
 *  CL_MAX_YAML_NODES nodes, CL_MAX_DEPTH levels ("billion laughs" refused).
 *  Returns 0 with *root (NULL when the stream holds no document) when the
 *  tree is usable (it may still have had harmless problems such as
 *  duplicate keys, which are dropped), or -1 when it is not (syntax error,
 *  unknown alias, too big or deep, out of memory).  `file` must outlive the
 *  tree (each node's src points to it). */
int cl_yaml_parse(const char *file, const char *text, size_t len,
                  struct cl_arena *a, struct cl_diags *d,
                  struct cl_node **root);

#endif

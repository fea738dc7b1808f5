/* arena.c — see arena.h. */
#include "arena.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define ARENA_CHUNK 4096

struct arena_chunk {
    struct arena_chunk *next;
    size_t used, cap;
    max_align_t data[];
};

struct cl_arena {
    struct arena_chunk *head;
};

struct cl_arena *cl_arena_new(void)
{
    return calloc(1, sizeof(struct cl_arena));
}

void cl_arena_free(struct cl_arena *a)
{
    if (!a)
        return;
    for (struct arena_chunk *c = a->head, *next; c; c = next) {
        next = c->next;
        free(c);
    }
    free(a);
}

void *cl_arena_alloc(struct cl_arena *a, size_t size)
{
    const size_t align = alignof(max_align_t);
    if (size > SIZE_MAX / 2)
        return NULL;
    size_t need = size ? (size + align - 1) & ~(align - 1) : align;
    struct arena_chunk *c = a->head;
    if (!c || c->cap - c->used < need) {
        size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->cap = cap;
        c->used = 0;
        c->next = a->head;
        a->head = c;
    }
    void *p = (unsigned char *)c->data + c->used;
    c->used += need;
    memset(p, 0, size);
    return p;
}

char *cl_arena_strndup(struct cl_arena *a, const char *s, size_t n)
{
    if (n == SIZE_MAX)
        return NULL;
    char *p = cl_arena_alloc(a, n + 1);
    if (p) {
        memcpy(p, s, n);
        p[n] = '\0';
    }
    return p;
}

char *cl_arena_strdup(struct cl_arena *a, const char *s)
{
    return cl_arena_strndup(a, s, strlen(s));
}

/* arena.h — a bump arena: many small allocations, freed at once.  Used by
 * the YAML tree, parameter values and variant configs.  Host-private. */
#ifndef CONLAB_HOST_ARENA_H
#define CONLAB_HOST_ARENA_H

#include <stddef.h>

struct cl_arena;

/** A new, empty arena; NULL when out of memory.  Free with cl_arena_free. */
struct cl_arena *cl_arena_new(void);
/** Frees the arena and everything allocated in it; accepts NULL. */
void cl_arena_free(struct cl_arena *a);
/** `size` zeroed bytes aligned for any type, owned by the arena; NULL when
 *  out of memory. */
void *cl_arena_alloc(struct cl_arena *a, size_t size);
/** A NUL-terminated copy of the first n bytes of s in the arena, or NULL. */
char *cl_arena_strndup(struct cl_arena *a, const char *s, size_t n);
/** A copy of s in the arena, or NULL. */
char *cl_arena_strdup(struct cl_arena *a, const char *s);

#endif

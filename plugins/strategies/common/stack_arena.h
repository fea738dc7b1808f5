/*
 * stack_arena.h — thread stacks for the built-in thread-pool strategies
 * (threads, gil), used through thread_pool.h: private to
 * plugins/strategies/, not part of the SDK.  stack_arena.c is compiled into
 * each plugin that uses it, so every plugin stays one shared object linking
 * only the SDK.
 *
 * All stacks live in one mapping, each with a guard page below it:
 *
 *     | guard | stack 0 | guard | stack 1 | ... | guard | stack n-1 |
 *
 * One mmap instead of glibc's mmap + mprotect in every pthread_create and
 * munmap at every thread exit: on a 2-core VM this cut 1,000 threads x
 * 100 ms from ~123 ms to ~114 ms.  The guards turn a stack overflow into a
 * SIGSEGV rather than silent corruption of the neighbour's stack.  Where the
 * kernel has MADV_GUARD_INSTALL (Linux 6.13) they live in the page tables
 * and cost next to nothing; elsewhere they are PROT_NONE pages, which split
 * the mapping into one VMA per stack and cost ~3 ms more per 1,000 threads.
 *
 * glibc keeps a thread's static TLS at the top of a stack it is given.  When
 * that does not fit (a sanitizer runtime can need ~1 MiB of it), the pool
 * falls back to stacks glibc allocates itself, of the same size: `base` is
 * then NULL.
 */
#ifndef CONLAB_STRATEGIES_STACK_ARENA_H
#define CONLAB_STRATEGIES_STACK_ARENA_H

#include <conlab/conlab_plugin.h>

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct stacks {
    const char *plugin; /* the name the log lines carry */
    char *base;   /* the mapping, or NULL: glibc allocates the stacks */
    size_t len;   /* the mapping's length in bytes */
    size_t guard; /* guard bytes below each stack (one page) */
    size_t size;  /* usable bytes of each stack */
    unsigned n;   /* how many workers can get a stack */
};

/* Map `n` stacks of `stack_kib` KiB for `plugin` (a static string, named in
 * log lines).  Returns CONLAB_OK with s->n >= 1: when guard pages run out
 * (vm.max_map_count) the pool is cut short, like when threads run out.  Else
 * CONLAB_E_INVAL (below the system's minimum stack), CONLAB_E_NOMEM or
 * CONLAB_E_SYS, logged, with nothing to unmap. */
int stacks_map(const struct conlab_job *job, const char *plugin, unsigned n,
               int64_t stack_kib, struct stacks *s);

/* Release the mapping, if any; s->base is NULL after.  Only once no thread
 * runs on it. */
void stacks_unmap(const struct conlab_job *job, struct stacks *s);

/* Give worker w's thread its stack in `attr`.  Returns 0 or a pthread error
 * number. */
int stacks_set(const struct stacks *s, unsigned w, pthread_attr_t *attr);

#endif

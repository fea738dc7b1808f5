/*
 * stack_arena.h — thread stacks for the built-in thread-pool strategies
 * (threads, gil): private to plugins/strategies/, not part of the SDK.
 *
 * Header-only (static functions), so each plugin stays one self-contained
 * shared object.  The including file defines LOG(job, level, ...) and
 * includes <conlab/conlab_plugin.h> first.
 */
#ifndef CONLAB_STRATEGIES_STACK_ARENA_H
#define CONLAB_STRATEGIES_STACK_ARENA_H

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* ------------------------------------------------------------------------ */
/* Thread stacks                                                             */
/* ------------------------------------------------------------------------ */

/*
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
struct stacks {
    char *base;   /* the mapping, or NULL: glibc allocates the stacks */
    size_t len;   /* the mapping's length in bytes */
    size_t guard; /* guard bytes below each stack (one page) */
    size_t size;  /* usable bytes of each stack */
    unsigned n;   /* how many workers can get a stack */
};

#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13; older libc headers lack it */
#endif

/* Turn the page at p into a guard page.  `light` says whether to try the
 * page-table kind first; it is cleared once the kernel says it has none. */
static int guard_page(char *p, size_t page, int *light)
{
    if (*light) {
        if (madvise(p, page, MADV_GUARD_INSTALL) == 0)
            return 0;
        if (errno != EINVAL)
            return -1;
        *light = 0;
    }
    return mprotect(p, page, PROT_NONE);
}

/* Map `n` stacks of `stack_kib` KiB.  On success s->n >= 1: when guard pages
 * run out (vm.max_map_count) the pool is cut short, like when threads run
 * out. */
static int stacks_map(const struct conlab_job *job, unsigned n,
                      int64_t stack_kib, struct stacks *s)
{
    const long page = sysconf(_SC_PAGESIZE);
    const long min = sysconf(_SC_THREAD_STACK_MIN);
    size_t stride;
    int light = 1;

    *s = (struct stacks){ .guard = (size_t)page };
    s->size = ((size_t)stack_kib * 1024 + s->guard - 1) / s->guard * s->guard;
    if (min > 0 && s->size < (size_t)min) {
        LOG(job, CONLAB_LOG_ERROR,
            "stack_kib=%lld is below this system's minimum thread stack "
            "(%ld KiB)",
            (long long)stack_kib, (min + 1023) / 1024);
        return CONLAB_E_INVAL;
    }
    stride = s->guard + s->size;
    if (n > SIZE_MAX / stride) {
        LOG(job, CONLAB_LOG_ERROR, "%u stacks of %lld KiB do not fit in memory",
            n, (long long)stack_kib);
        return CONLAB_E_NOMEM;
    }
    s->len = stride * n;
    /* NORESERVE: only the pages a thread touches count as committed. */
    s->base = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
    if (s->base == MAP_FAILED) {
        LOG(job, CONLAB_LOG_ERROR, "mmap of %zu MiB of thread stacks: %s",
            s->len >> 20, strerror(errno));
        return CONLAB_E_NOMEM;
    }
    /* One transparent huge page would back several small stacks, mostly
     * for nothing (Linux 6.7+ already assumes this of MAP_STACK).  Advice
     * only: if it fails, nothing breaks. */
    (void)madvise(s->base, s->len, MADV_NOHUGEPAGE);
    for (s->n = 0; s->n < n; s->n++) {
        if (guard_page(s->base + (size_t)s->n * stride, s->guard, &light)) {
            LOG(job, CONLAB_LOG_WARN,
                "guard page for the stack of worker %u of %u: %s",
                s->n, n, strerror(errno));
            break;
        }
    }
    if (s->n == 0) {
        munmap(s->base, s->len);
        return CONLAB_E_SYS;
    }
    return CONLAB_OK;
}

/* Release the mapping, if any.  Only once no thread runs on it. */
static void stacks_unmap(const struct conlab_job *job, struct stacks *s)
{
    if (s->base != NULL && munmap(s->base, s->len) != 0)
        LOG(job, CONLAB_LOG_ERROR, "munmap of thread stacks: %s",
            strerror(errno));
    s->base = NULL;
}

/* Give worker w's thread its stack.  Returns 0 or a pthread error number. */
static int stacks_set(const struct stacks *s, unsigned w, pthread_attr_t *attr)
{
    if (s->base == NULL)
        return pthread_attr_setstacksize(attr, s->size);
    return pthread_attr_setstack(
        attr, s->base + (size_t)w * (s->guard + s->size) + s->guard, s->size);
}

#endif

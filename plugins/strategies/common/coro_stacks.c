/* coro_stacks.c — stack slots of [guard page | stack | struct coro] carved
 * from mmap'd chunks.  See coro.h.
 *
 * The guards of a chunk are installed with one process_madvise of
 * MADV_GUARD_INSTALL, else one madvise per slot (Linux 6.13+; no extra VMA)
 * or else mprotect(PROT_NONE).  Coroutines start lazily and a finished one
 * hands its slot to the next to start, so `concurrency` workers over few
 * tasks cost about as many stacks as are alive at once. */
#define _GNU_SOURCE
#include "coro.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23 /* Linux 5.14 */
#endif
#ifndef MADV_GUARD_INSTALL
#define MADV_GUARD_INSTALL 102 /* Linux 6.13 UAPI; older kernels: EINVAL */
#endif

static size_t round_up(size_t n, size_t to)
{
    return (n + to - 1) / to * to;
}

void co_pool_init(struct stack_pool *p, size_t stack_bytes,
               unsigned n_workers, uint64_t n_tasks, bool shared)
{
    long page = sysconf(_SC_PAGESIZE);
    memset(p, 0, sizeof *p);
    p->page = page > 0 ? (size_t)page : 4096;
    p->slot_size = p->page + round_up(stack_bytes + CORO_SIZE, p->page);
    p->slots_max = n_workers;
    /* A coroutine that finds no task ends at once and frees its slot. */
    p->alive_max = (size_t)(n_tasks < n_workers ? n_tasks + 1 : n_workers);
    p->next_chunk = CO_CHUNK_SLOTS_MIN;
    p->guard = GUARD_BATCH;
    p->pidfd = -1;
    p->shared = shared;
    p->shared_size = round_up(stack_bytes, p->page);
}

/* All guards of a chunk in one process_madvise(2) call: Linux 6.13+ takes
 * any advice for the calling process itself. */
static int guards_batched(struct stack_pool *p, char *base, size_t n)
{
#if defined(SYS_process_madvise) && defined(SYS_pidfd_open)
    if (p->pidfd < 0)
        p->pidfd = (int)syscall(SYS_pidfd_open, (long)getpid(), 0L);
    if (p->pidfd < 0)
        return -1;
    for (size_t at = 0; at < n; at += CO_IOV_BATCH) {
        size_t k = n - at < CO_IOV_BATCH ? n - at : CO_IOV_BATCH;
        for (size_t i = 0; i < k; i++)
            p->iov[i] = (struct iovec){base + (at + i) * p->slot_size, p->page};
        long done = syscall(SYS_process_madvise, (long)p->pidfd, p->iov,
                            (unsigned long)k, (long)MADV_GUARD_INSTALL, 0L);
        if (done != (long)(k * p->page))
            return -1;
    }
    return 0;
#else
    (void)p, (void)base, (void)n;
    return -1;
#endif
}

static int guard_install(struct co_sched *s, char *page)
{
    struct stack_pool *p = &s->pool;
    if (p->guard == GUARD_MADVISE) {
        if (madvise(page, p->page, MADV_GUARD_INSTALL) == 0)
            return 0;
        if (errno != EINVAL) {
            CO_LOG(s, CONLAB_LOG_ERROR, "madvise(MADV_GUARD_INSTALL): %s",
                strerror(errno));
            return -1;
        }
        p->guard = GUARD_MPROTECT; /* kernel older than 6.13 */
    }
    if (mprotect(page, p->page, PROT_NONE) == 0)
        return 0;
    int err = errno;
    CO_LOG(s, CONLAB_LOG_ERROR, "mprotect(guard page) after %zu stacks: %s%s",
        p->slots_made, strerror(err),
        err == ENOMEM ? " (each guarded stack costs 2 memory maps: raise"
                        " vm.max_map_count or lower concurrency)"
                      : "");
    return -1;
}

/* Fault in the top page of each of the n slots at base (its struct coro
 * and first frames) with one process_madvise: cheaper than a page fault per
 * coroutine.  Best effort: a page left out faults in when first used. */
static void tops_prefault(struct stack_pool *p, char *base, size_t n)
{
#if defined(SYS_process_madvise)
    if (p->guard != GUARD_BATCH || p->pidfd < 0)
        return;
    for (size_t at = 0; at < n; at += CO_IOV_BATCH) {
        size_t k = n - at < CO_IOV_BATCH ? n - at : CO_IOV_BATCH;
        for (size_t i = 0; i < k; i++)
            p->iov[i] = (struct iovec){
                base + (at + i + 1) * p->slot_size - p->page, p->page};
        (void)syscall(SYS_process_madvise, (long)p->pidfd, p->iov,
                      (unsigned long)k, (long)MADV_POPULATE_WRITE, 0L);
    }
#else
    (void)p, (void)base, (void)n;
#endif
}

/* NULL when reading `page` faults, else why it is not known to.  Asked
 * without faulting: process_vm_readv fails with EFAULT on a guard page. */
static const char *guard_unproven(const void *page)
{
    char byte;
    struct iovec local = {&byte, 1}, remote = {(void *)(uintptr_t)page, 1};
    if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) >= 0)
        return "the page reads";
    return errno == EFAULT ? NULL : strerror(errno);
}

/* Put a guard page at the bottom of each of the n slots at base: batched
 * where the kernel can, else one madvise, else one mprotect, per slot.
 * The first madvised guard is checked: an emulator (qemu-user) may accept
 * the advice and do nothing, and an overflow must fault, never corrupt. */
static int guards_install(struct co_sched *s, char *base, size_t n)
{
    struct stack_pool *p = &s->pool;
    if (p->guard == GUARD_BATCH && guards_batched(p, base, n) != 0)
        p->guard = GUARD_MADVISE; /* installing a guard twice is harmless */
    if (p->guard != GUARD_BATCH) {
        for (size_t i = 0; i < n; i++)
            if (guard_install(s, base + i * p->slot_size) != 0)
                return -1;
    }
    if (p->guard != GUARD_MPROTECT && !p->guard_checked) {
        p->guard_checked = true;
        const char *why = guard_unproven(base);
        if (why) {
            CO_LOG(s, CONLAB_LOG_DEBUG, "MADV_GUARD_INSTALL unproven (%s): "
                "guard pages by mprotect", why);
            p->guard = GUARD_MPROTECT;
            return guards_install(s, base, n);
        }
    }
    return 0;
}

/* Map a new chunk of slots, each with its guard page at the bottom. */
static int pool_grow(struct co_sched *s)
{
    struct stack_pool *p = &s->pool;
    size_t n = p->slots_max - p->slots_made;
    if (n > p->next_chunk)
        n = p->next_chunk;
    if (n == 0)
        return CONLAB_E_INVAL; /* more live coroutines than workers: a bug */
    if (p->n_chunks == p->cap_chunks) {
        struct chunk *c = grow_array(p->chunks, &p->cap_chunks, sizeof *c, 16);
        if (!c)
            return CONLAB_E_NOMEM;
        p->chunks = c;
    }
    size_t len = n * p->slot_size;
    char *base = mmap(NULL, len, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                      -1, 0);
    if (base == MAP_FAILED) {
        CO_LOG(s, CONLAB_LOG_ERROR, "mmap(%zu bytes of stacks): %s", len,
            strerror(errno));
        return CONLAB_E_NOMEM;
    }
    p->chunks[p->n_chunks++] = (struct chunk){base, len};
    /* A huge page would put 2 MiB in RSS for one touched stack page. */
    (void)madvise(base, len, MADV_NOHUGEPAGE);
    if (guards_install(s, base, n) != 0)
        return CONLAB_E_NOMEM; /* the chunk is unmapped at the end */
    tops_prefault(p, base, n);
    p->carve = base;
    p->carve_end = base + len;
    p->slots_made += n;
    if (p->next_chunk < CO_CHUNK_SLOTS_MAX)
        p->next_chunk *= 2;
    return CONLAB_OK;
}

struct coro *co_pool_get(struct co_sched *s, int *status)
{
    struct stack_pool *p = &s->pool;
    if (p->shared)
        return co_shared_get(s, status);
    struct coro *co = p->free;
    if (co) {
        p->free = co->next;
        return co;
    }
    if (p->carve == p->carve_end) {
        *status = pool_grow(s);
        if (*status != CONLAB_OK)
            return NULL;
    }
    char *slot = p->carve;
    p->carve += p->slot_size;
    return (struct coro *)(void *)(slot + p->slot_size - CORO_SIZE);
}

void co_pool_put(struct stack_pool *p, struct coro *co)
{
    co->next = p->free;
    p->free = co;
}

void *co_slot_stack(const struct stack_pool *p, struct coro *co,
                 size_t *size)
{
    char *slot = (char *)co + CORO_SIZE - p->slot_size;
    *size = p->slot_size - p->page - CORO_SIZE;
    return slot + p->page;
}

void co_pool_fini(struct stack_pool *p)
{
    co_shared_fini(p);
    for (size_t i = 0; i < p->n_chunks; i++)
        munmap(p->chunks[i].base, p->chunks[i].len);
    free(p->chunks);
    if (p->pidfd >= 0)
        close(p->pidfd);
    p->chunks = NULL;
    p->n_chunks = 0;
    p->pidfd = -1;
}

/* coro_shared.c — `stacks: shared`: every coroutine runs on one stack; when
 * one parks, the scheduler copies its frames (from its saved stack pointer
 * to the top: 0.4 KiB for a task parked in a sleep, 0.9 KiB in an HTTP
 * wait) into a buffer of its own, and copies them back before it runs
 * again.  See coro.h.
 *
 * Why: with a stack per coroutine, each one's first frames land on a fresh
 * page, and a fresh page costs ~7 us on the first touch on a shadow-paged
 * VM (`conlab calibrate`: page_first_touch), so 10,000 coroutines spend
 * ~75 ms in page faults before their first park.  The structs and frame
 * buffers of 10,000 parked sleeps fill ~7 MiB, mapped in populated huge
 * pages (map_block), and a switch costs two copies of under 1 KiB (about
 * 0.1 us).  10,000 x 100 ms sleeps on a 2-vCPU KVM guest: ~190 ms with
 * separate stacks; shared 120 ms with 4 KiB blocks, 104-108 ms with huge
 * ones; peak RSS 44 MiB, 14 MiB (bench/targets.py sleep10k).
 *
 * The price: a parked coroutine's stack is not where its frames were, so
 * nothing may point into it from outside while it is parked.  The core keeps
 * nothing there; a backend's waiter must keep its parked wait in
 * co->wait_mem (the coroutines backend does; uring keeps its waits on the
 * stack and does not offer shared stacks); a workload must not hand one
 * worker a pointer into another's stack (none of the built-in ones do).
 * Under AddressSanitizer the parked frames lose their redzones. */
#define _GNU_SOURCE
#include "coro.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Blocks of struct coros, each followed in its block by a SAVED_INLINE-byte
 * buffer for its frames, populated with one madvise (faulting the pages in
 * one by one cost more than the copies).  The first block holds every
 * coroutine that can be alive at once, up to FIRST_BLOCK_MAX; later ones
 * LATER_BLOCK.  SAVED_INLINE fits a task parked in a sleep (432 bytes of
 * frames, RelWithDebInfo, x86-64); deeper ones (an http wait: 896) get a
 * buffer of their own.  Each 64 bytes more inline cost ~1% more wall on
 * 10,000 sleeps (a page is ~7 us on the first touch on a shadow-paged VM). */
#define SAVED_INLINE 448
#define CORO_STRIDE ((sizeof(struct coro) + SAVED_INLINE + 63) & ~(size_t)63)
#define FIRST_BLOCK_MAX 65536
#define LATER_BLOCK 4096

static size_t block_len(const struct stack_pool *p, size_t b)
{
    size_t first = p->alive_max < FIRST_BLOCK_MAX ? p->alive_max : FIRST_BLOCK_MAX;
    return b > 0 ? LATER_BLOCK : first > 0 ? first : 1;
}

/* Transparent huge pages for blocks of at least half of one. */
#define HUGE_PAGE ((size_t)2 << 20)

/* The bytes block b maps: from HUGE_PAGE / 2 on, whole huge pages. */
static size_t block_bytes(const struct stack_pool *p, size_t b)
{
    size_t len = block_len(p, b) * CORO_STRIDE;
    return len < HUGE_PAGE / 2 ? len : (len + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
}

/* A block of `len` bytes (block_bytes), populated.  A large one is aligned
 * to and advised into transparent huge pages first: on a shadow-paged VM a
 * populated 4 KiB page still costs ~5 us on its first touch (the
 * hypervisor's shadow entry), a populated huge page ~0.1 ms for all 512
 * (MADV_HUGEPAGE + MADV_POPULATE_WRITE of 64 MiB: 3.4 ms, then touching it
 * all 0.5 ms; the same without the huge pages: 8 ms, then 90 ms).  Where
 * THP is off the advice fails and the block is populated page by page. */
static void *map_block(size_t len)
{
    const int prot = PROT_READ | PROT_WRITE, flags = MAP_PRIVATE | MAP_ANONYMOUS;
    char *m;
    if (len % HUGE_PAGE != 0) {
        m = mmap(NULL, len, prot, flags, -1, 0);
    } else {
        char *raw = mmap(NULL, len + HUGE_PAGE, prot, flags, -1, 0);
        m = raw;
        if (raw != MAP_FAILED) {
            size_t head = (HUGE_PAGE - (uintptr_t)raw % HUGE_PAGE) % HUGE_PAGE;
            m = raw + head;
            if (head)
                munmap(raw, head);
            munmap(m + len, HUGE_PAGE - head);
#ifdef MADV_HUGEPAGE
            (void)madvise(m, len, MADV_HUGEPAGE);
#endif
        }
    }
    if (m == MAP_FAILED)
        return NULL;
#ifdef MADV_POPULATE_WRITE
    (void)madvise(m, len, MADV_POPULATE_WRITE);
#endif
    return m;
}

static struct coro *block_coro(const struct stack_pool *p, size_t b, size_t i)
{
    return (struct coro *)(void *)((char *)p->blocks[b] + i * CORO_STRIDE);
}

static bool saved_inline(const struct coro *co)
{
    return co->saved == (const char *)co + sizeof *co;
}

struct coro *co_shared_get(struct co_sched *s, int *status)
{
    struct stack_pool *p = &s->pool;
    if (p->free) {
        struct coro *co = p->free;
        p->free = co->next;
        return co;
    }
    if (p->n_blocks == 0 || p->block_used == block_len(p, p->n_blocks - 1)) {
        if (p->n_blocks == p->cap_blocks) {
            struct coro **b = grow_array(p->blocks, &p->cap_blocks, sizeof *b, 16);
            if (!b)
                goto nomem;
            p->blocks = b;
        }
        void *block = map_block(block_bytes(p, p->n_blocks));
        if (!block)
            goto nomem;
        p->blocks[p->n_blocks++] = block;
        p->block_used = 0;
    }
    struct coro *co = block_coro(p, p->n_blocks - 1, p->block_used++);
    co->saved = (char *)co + sizeof *co;
    co->saved_cap = SAVED_INLINE;
    return co;
nomem:
    CO_LOG(s, CONLAB_LOG_ERROR, "no memory for coroutine %u", s->n_spawned);
    *status = CONLAB_E_NOMEM;
    return NULL;
}

void *co_shared_stack(struct co_sched *s, size_t *size)
{
    struct stack_pool *p = &s->pool;
    if (!p->shared_map) {
        size_t len = p->page + p->shared_size;
        void *m = mmap(NULL, len, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
        if (m == MAP_FAILED) {
            CO_LOG(s, CONLAB_LOG_ERROR, "mmap of the shared stack: %s",
                   strerror(errno));
            return NULL;
        }
        if (mprotect(m, p->page, PROT_NONE) != 0) {
            CO_LOG(s, CONLAB_LOG_ERROR, "guard page of the shared stack: %s",
                   strerror(errno));
            munmap(m, len);
            return NULL;
        }
        p->shared_map = m;
        p->shared_map_len = len;
    }
    *size = p->shared_size;
    return (char *)p->shared_map + p->page;
}

int co_stash(struct co_sched *s, struct coro *co)
{
    size_t n = coctx_stack_used(&co->ctx);
    if (n > co->saved_cap) {
        size_t cap = 2 * co->saved_cap;
        while (cap < n)
            cap *= 2;
        void *b = saved_inline(co) ? malloc(cap) : realloc(co->saved, cap);
        if (!b) {
            CO_LOG(s, CONLAB_LOG_ERROR,
                   "no memory to park coroutine %u (%zu bytes of frames)",
                   co->id, n);
            return CONLAB_E_NOMEM;
        }
        co->saved = b;
        co->saved_cap = cap;
    }
    coctx_stack_save(&co->ctx, co->saved, n);
    co->saved_len = n;
    if (n > s->pool.saved_max)
        s->pool.saved_max = n;
    return CONLAB_OK;
}

void co_unstash(struct co_sched *s, struct coro *co)
{
    (void)s;
    if (co->saved_len) {
        coctx_stack_restore(&co->ctx, co->saved, co->saved_len);
        co->saved_len = 0;
    }
}

void co_shared_fini(struct stack_pool *p)
{
    for (size_t b = 0; b < p->n_blocks; b++) {
        size_t n = b + 1 == p->n_blocks ? p->block_used : block_len(p, b);
        for (size_t i = 0; i < n; i++) {
            struct coro *co = block_coro(p, b, i);
            if (!saved_inline(co))
                free(co->saved);
            free(co->wait_mem);
        }
        munmap(p->blocks[b], block_bytes(p, b));
    }
    free(p->blocks);
    p->blocks = NULL;
    p->n_blocks = p->cap_blocks = p->block_used = 0;
    if (p->shared_map)
        munmap(p->shared_map, p->shared_map_len);
    p->shared_map = NULL;
}

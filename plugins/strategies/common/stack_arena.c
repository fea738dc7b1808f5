/* stack_arena.c — see stack_arena.h. */
#include "stack_arena.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define LOG(job, s, level, ...) (job)->host->log((level), (s)->plugin, __VA_ARGS__)

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

int stacks_map(const struct conlab_job *job, const char *plugin, unsigned n,
               int64_t stack_kib, struct stacks *s)
{
    const long page = sysconf(_SC_PAGESIZE);
    const long min = sysconf(_SC_THREAD_STACK_MIN);
    size_t stride;
    int light = 1;

    *s = (struct stacks){ .plugin = plugin, .guard = (size_t)page };
    s->size = ((size_t)stack_kib * 1024 + s->guard - 1) / s->guard * s->guard;
    if (min > 0 && s->size < (size_t)min) {
        LOG(job, s, CONLAB_LOG_ERROR,
            "stack_kib=%lld is below this system's minimum thread stack "
            "(%ld KiB)",
            (long long)stack_kib, (min + 1023) / 1024);
        return CONLAB_E_INVAL;
    }
    stride = s->guard + s->size;
    if (n > SIZE_MAX / stride) {
        LOG(job, s, CONLAB_LOG_ERROR, "%u stacks of %lld KiB do not fit in memory",
            n, (long long)stack_kib);
        return CONLAB_E_NOMEM;
    }
    s->len = stride * n;
    /* NORESERVE: only the pages a thread touches count as committed. */
    s->base = mmap(NULL, s->len, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK,
                   -1, 0);
    if (s->base == MAP_FAILED) {
        LOG(job, s, CONLAB_LOG_ERROR, "mmap of %zu MiB of thread stacks: %s",
            s->len >> 20, strerror(errno));
        return CONLAB_E_NOMEM;
    }
    /* One transparent huge page would back several small stacks, mostly
     * for nothing (Linux 6.7+ already assumes this of MAP_STACK).  Advice
     * only: if it fails, nothing breaks. */
    (void)madvise(s->base, s->len, MADV_NOHUGEPAGE);
    for (s->n = 0; s->n < n; s->n++) {
        if (guard_page(s->base + (size_t)s->n * stride, s->guard, &light)) {
            LOG(job, s, CONLAB_LOG_WARN,
                "guard page for the stack of worker %u of %u: %s",
                s->n, n, strerror(errno));
            break;
        }
    }
    if (s->n == 0) {
        munmap(s->base, s->len);
        s->base = NULL;
        return CONLAB_E_SYS;
    }
    return CONLAB_OK;
}

void stacks_unmap(const struct conlab_job *job, struct stacks *s)
{
    if (s->base != NULL && munmap(s->base, s->len) != 0)
        LOG(job, s, CONLAB_LOG_ERROR, "munmap of thread stacks: %s",
            strerror(errno));
    s->base = NULL;
}

int stacks_set(const struct stacks *s, unsigned w, pthread_attr_t *attr)
{
    if (s->base == NULL)
        return pthread_attr_setstacksize(attr, s->size);
    return pthread_attr_setstack(
        attr, s->base + (size_t)w * (s->guard + s->size) + s->guard, s->size);
}

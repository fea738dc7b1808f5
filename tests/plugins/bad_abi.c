/* bad_abi.c — deliberately broken plugin descriptors, one per build flavour
 * (see CMakeLists.txt), to prove the host refuses each with a clear message.
 *   BAD_MAJOR      built for ABI major+1
 *   BAD_MINOR      built for a newer minor than the host knows
 *   BAD_SIZE       struct_size smaller than ABI 1.0's descriptor
 *   BAD_OPS_SIZE   ops table struct_size too small
 *   BAD_NO_RUN     strategy without the required `run`
 *   BAD_NO_CREATE  workload without the required `create`
 *   BAD_NO_ENTRY   no entry symbol at all
 *   BAD_PARAM      a parameter whose offset lies outside config_size
 *   BAD_NAME       an invalid plugin name
 *   GOOD_OLD_MINOR a valid plugin with a smaller struct_size than today's
 *                  (as if built against an older minor): must load
 *   CTOR_MARKER    a valid plugin whose library constructor creates the file
 *                  named by $CONLAB_TEST_CTOR_MARK: proof that a command
 *                  loaded (dlopened) it */
#include <conlab/conlab_plugin.h>

#ifdef CTOR_MARKER
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

__attribute__((constructor)) static void mark(void)
{
    const char *path = getenv("CONLAB_TEST_CTOR_MARK");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd >= 0)
        close(fd);
}
#endif

__attribute__((unused)) static int workers(const void *c, uint64_t n, unsigned *w)
{
    (void)c;
    (void)n;
    *w = 1;
    return CONLAB_OK;
}

__attribute__((unused)) static int run(const struct conlab_job *job, const void *c)
{
    (void)c;
    job->bind(job, 0);
    if (job->worker_begin(job, 0, NULL) != CONLAB_OK)
        return CONLAB_OK;
    for (uint64_t i = 0; i < job->n_tasks; i++)
        job->run_task(job, 0, i);
    job->worker_end(job, 0);
    return CONLAB_OK;
}

struct cfg { int64_t x; };

static const struct conlab_param params[] = {
#ifdef BAD_PARAM
    {"x", CONLAB_PARAM_INT, "1", 0, 10, NULL, "x", 64},
#else
    {"x", CONLAB_PARAM_INT, "1", 0, 10, NULL, "x", offsetof(struct cfg, x)},
#endif
    CONLAB_PARAM_END};

__attribute__((unused)) static const struct conlab_strategy_ops ops = {
#ifdef BAD_OPS_SIZE
    .struct_size = 4,
#else
    .struct_size = sizeof(struct conlab_strategy_ops),
#endif
    .workers = workers,
#ifndef BAD_NO_RUN
    .run = run,
#endif
};

#ifdef BAD_NO_CREATE
static int task(void *s, void *w, const struct conlab_worker *wk, uint64_t i,
                struct conlab_task_result *r)
{
    (void)s; (void)w; (void)wk;
    r->value = i;
    return CONLAB_OK;
}
static const struct conlab_workload_ops wops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .run_task = task,
};
#endif

static const struct conlab_plugin desc = {
#if defined(BAD_MAJOR)
    .abi_major = CONLAB_ABI_MAJOR + 1, .abi_minor = 0,
#elif defined(BAD_MINOR)
    .abi_major = CONLAB_ABI_MAJOR, .abi_minor = CONLAB_ABI_MINOR + 1,
#else
    .abi_major = CONLAB_ABI_MAJOR, .abi_minor = CONLAB_ABI_MINOR,
#endif
#if defined(BAD_SIZE)
    .struct_size = 16,
#elif defined(GOOD_OLD_MINOR)
    .struct_size = offsetof(struct conlab_plugin, param_size), /* 1.0's size */
#else
    .struct_size = sizeof(struct conlab_plugin),
#endif
#ifdef BAD_NO_CREATE
    .kind = CONLAB_KIND_WORKLOAD,
    .workload = &wops,
#else
    .kind = CONLAB_KIND_STRATEGY,
    .strategy = &ops,
#endif
#ifdef BAD_NAME
    .name = "Bad Name!",
#else
    .name = PLUGIN_NAME,
#endif
    .summary = "a deliberately broken plugin for tests",
    .params = params,
    .config_size = sizeof(struct cfg),
};

#ifndef BAD_NO_ENTRY
CONLAB_PLUGIN_DEFINE(desc)
#else
/* exports something, but not the entry point */
CONLAB_PLUGIN_EXPORT const void *not_the_entry(void);
const void *not_the_entry(void) { return &desc; }
#endif

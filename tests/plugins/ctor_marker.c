/* ctor_marker.c — a valid strategy whose library constructor creates the
 * file named by $CONLAB_TEST_CTOR_MARK: proof of whether a command loaded
 * (dlopened) it.  Built into tests/plugins/ctor/, outside the search path,
 * so only a spec's `plugin: PATH` reaches it. */
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include <conlab/conlab_plugin.h>

__attribute__((constructor)) static void mark(void)
{
    const char *path = getenv("CONLAB_TEST_CTOR_MARK");
    int fd = path ? open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644) : -1;
    if (fd >= 0)
        close(fd);
}

static int workers(const void *c, uint64_t n, unsigned *w)
{
    (void)c;
    (void)n;
    *w = 1;
    return CONLAB_OK;
}

static int run(const struct conlab_job *job, const void *c)
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

static const struct conlab_strategy_ops ops = {
    .struct_size = sizeof(struct conlab_strategy_ops),
    .workers = workers,
    .run = run,
};

static const struct conlab_plugin desc = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY),
    .name = PLUGIN_NAME,
    .summary = "marks a file when loaded (tests of validate --no-load)",
    .strategy = &ops,
};

CONLAB_PLUGIN_DEFINE(desc)

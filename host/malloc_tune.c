/* malloc_tune.c — see malloc_tune.h. */
#include "malloc_tune.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__has_include)
#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#endif
#endif

static int under_valgrind(void)
{
#ifdef RUNNING_ON_VALGRIND
    if (RUNNING_ON_VALGRIND)
        return 1;
#endif
    const char *pre = getenv("LD_PRELOAD");
    return pre && strstr(pre, "vgpreload") != NULL;
}

void cl_malloc_tune(char **argv)
{
    const char *mode = getenv("CONLAB_MALLOC");
    const char *old = getenv("GLIBC_TUNABLES");
    if ((mode && strcmp(mode, "default") == 0) ||
        (old && strstr(old, "glibc.malloc.hugetlb")) || under_valgrind())
        return;
    char *val = NULL;
    if (asprintf(&val, "%s%s%s", old ? old : "", old && *old ? ":" : "",
                 CL_MALLOC_TUNABLES) < 0)
        return;
    if (setenv("GLIBC_TUNABLES", val, 1) == 0)
        execv("/proc/self/exe", argv); /* returns only on failure */
    free(val);
    /* No /proc, or no exec: run as we are, and say nothing in run.yaml. */
    if (old)
        setenv("GLIBC_TUNABLES", old, 1);
    else
        unsetenv("GLIBC_TUNABLES");
}

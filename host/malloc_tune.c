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
    /* The executable by its own name, so that ps, top and perf still say
     * "conlab" (exec of /proc/self/exe would make the process "exe"). */
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n <= 0 || (size_t)n >= sizeof self - 1)
        n = 0;
    self[n] = '\0';
    if (n == 0 || strstr(self, " (deleted)") || access(self, X_OK) != 0)
        strcpy(self, "/proc/self/exe");
    if (setenv("GLIBC_TUNABLES", val, 1) == 0)
        execv(self, argv); /* returns only on failure */
    free(val);
    /* No /proc, or no exec: run as we are, and say nothing in run.yaml. */
    if (old)
        setenv("GLIBC_TUNABLES", old, 1);
    else
        unsetenv("GLIBC_TUNABLES");
}

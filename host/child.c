/* child.c — see child.h. */
#include "child.h"

#include <dirent.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/* The child's exit status when its parent died before PR_SET_PDEATHSIG. */
#define ORPHANED_EXIT 6

pid_t cl_child_fork(void)
{
    fflush(NULL);
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent) /* it died before the line above */
            _exit(ORPHANED_EXIT);
        return 0;
    }
    if (pid > 0)
        setpgid(pid, pid);
    return pid;
}

static int pidfd_open_(pid_t pid)
{
#ifdef SYS_pidfd_open
    return (int)syscall(SYS_pidfd_open, pid, 0);
#else
    (void)pid;
    errno = ENOSYS;
    return -1;
#endif
}

/* Resident memory of every process in process group `pgrp`, in bytes: the
 * child and whatever it forked.  Scans /proc. */
static uint64_t group_rss(pid_t pgrp)
{
    DIR *d = opendir("/proc");
    if (!d)
        return 0;
    uint64_t pages = 0;
    struct dirent *e;
    char path[300], buf[512];
    while ((e = readdir(d))) {
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        const char *rp = strrchr(buf, ')');
        char state;
        int ppid, grp;
        if (!rp || sscanf(rp + 1, " %c %d %d", &state, &ppid, &grp) != 3 ||
            grp != pgrp)
            continue;
        snprintf(path, sizeof path, "/proc/%s/statm", e->d_name);
        f = fopen(path, "r");
        unsigned long size, resident;
        if (f && fscanf(f, "%lu %lu", &size, &resident) == 2)
            pages += resident;
        if (f)
            fclose(f);
    }
    closedir(d);
    return pages * (uint64_t)sysconf(_SC_PAGESIZE);
}

/* Fold the group's resident memory now into out->peak_rss. */
static void sample_group(pid_t pgrp, struct cl_child_exit *out)
{
    uint64_t rss = group_rss(pgrp);
    if (rss > out->peak_rss)
        out->peak_rss = rss;
}

enum cl_child_end cl_child_wait_until(pid_t pid, const struct cl_child_watch *w,
                                      struct cl_child_exit *out)
{
    memset(out, 0, sizeof *out);
    enum cl_child_end end;
    /* readable when the child ends: sleep on it instead of polling */
    int pfd = pidfd_open_(pid);
    for (;;) {
        pid_t r = wait4(pid, &out->status, WNOHANG, &out->ru);
        if (r == pid) {
            end = CL_CHILD_EXITED;
            break;
        }
        if (r < 0 && errno != EINTR) {
            end = CL_CHILD_GONE;
            break;
        }
        out->status = 0;
        if (w->stop && *w->stop) {
            end = CL_CHILD_STOPPED;
            break;
        }
        if (w->mem_limit) {
            sample_group(pid, out);
            if (out->peak_rss > w->mem_limit) {
                end = CL_CHILD_MEMORY;
                break;
            }
        }
        uint64_t now = cl_now_ns();
        if (now >= w->deadline_ns) {
            end = CL_CHILD_TIMEOUT;
            break;
        }
        uint64_t left_ms = (w->deadline_ns - now + 999999) / 1000000;
        if (w->mem_limit && left_ms > 10)
            left_ms = 10; /* sample memory every 10 ms */
        if (pfd >= 0) {
            struct pollfd p = {pfd, POLLIN, 0};
            poll(&p, 1, left_ms > 1000 ? 1000 : (int)left_ms);
        } else {
            struct timespec ts = {0, 2000000};
            nanosleep(&ts, NULL);
        }
    }
    if (pfd >= 0)
        close(pfd);
    return end;
}

enum cl_child_end cl_child_wait(pid_t pid, const struct cl_child_watch *w,
                                struct cl_child_exit *out)
{
    enum cl_child_end end = cl_child_wait_until(pid, w, out);
    if (end == CL_CHILD_GONE)
        return end; /* pid may name someone else's process by now */
    /* What is killed unreaped never reaches wait4's rusage: measure it. */
    if (end != CL_CHILD_EXITED) {
        sample_group(pid, out);
        kill(-pid, SIGKILL);
        while (wait4(pid, &out->status, 0, &out->ru) < 0 && errno == EINTR)
            ;
    } else {
        if (kill(-pid, 0) == 0)
            sample_group(pid, out);
        /* the stop that killed it before the wait saw the flag */
        if (w->stop && *w->stop)
            end = CL_CHILD_STOPPED;
    }
    /* Anything the child left behind in its group goes too. */
    kill(-pid, SIGKILL);
    return end;
}

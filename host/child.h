/* child.h — a child process with a deadline: forked into a process group of
 * its own that dies with this process, waited for until a deadline (its
 * group's memory sampled when there is a limit), and on the way out its
 * whole group killed, so nothing it forked outlives it.  The one waiting
 * loop of the runner, `conlab check` and the built-in server's handle.
 * Host-private. */
#ifndef CONLAB_HOST_CHILD_H
#define CONLAB_HOST_CHILD_H

#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

/** How a wait ended. */
enum cl_child_end {
    CL_CHILD_EXITED,  /* it ended by itself: reaped, status is its wait status */
    CL_CHILD_TIMEOUT, /* the deadline passed first */
    CL_CHILD_STOPPED, /* *stop became non-zero first */
    CL_CHILD_MEMORY,  /* its group's resident memory passed the limit */
    CL_CHILD_GONE     /* not (or no longer) a child of this process */
};

/** What to wait for, besides the child's end. */
struct cl_child_watch {
    uint64_t deadline_ns;              /* CLOCK_MONOTONIC, as cl_now_ns() */
    uint64_t mem_limit;                /* bytes for the child's process group;
                                          0: no limit, memory not sampled */
    const volatile sig_atomic_t *stop; /* give up when non-zero; NULL: never */
};

/** What the wait learnt. */
struct cl_child_exit {
    int status;        /* wait status (WIFEXITED, ...) once reaped, else 0 */
    struct rusage ru;  /* wait4's: the child and the descendants it reaped
                          (ru_maxrss: the largest single peak among them) */
    uint64_t peak_rss; /* the highest sum of the resident memory of the
                          group's processes seen, bytes: sampled every 10 ms
                          under a memory limit, and by cl_child_wait once
                          before it kills a group still there; 0 when never
                          sampled */
};

/** fork() after flushing stdio.  The child gets a process group of its own
 *  (set on both sides, so an early kill of the group cannot miss it) and
 *  PR_SET_PDEATHSIG SIGKILL: when this process dies, even of SIGKILL, the
 *  child goes too.  Returns 0 in the child, the child's pid (its process
 *  group id) in the parent, -1 with errno when fork fails.  The forking
 *  thread must outlive the child (the death signal follows the thread). */
pid_t cl_child_fork(void);

/** Wait for child `pid` without killing anything: until it ends (reaped,
 *  *out filled), w's deadline passes, *w->stop is set, or the resident
 *  memory of process group `pid` passes w->mem_limit.  For any child, also
 *  one not made by cl_child_fork (only the memory limit needs the group). */
enum cl_child_end cl_child_wait_until(pid_t pid, const struct cl_child_watch *w,
                                      struct cl_child_exit *out);

/** For a child of cl_child_fork: cl_child_wait_until, then unless it ended
 *  by itself SIGKILL its group and reap it; in every case SIGKILL the group
 *  once more, for whatever the child left behind.  Before either kill the
 *  group's memory is sampled into out->peak_rss (what is killed unreaped
 *  never shows in wait4's rusage).  A child that ended by itself while
 *  *w->stop was already set is CL_CHILD_STOPPED (whoever set the flag may
 *  have killed it: signals.h does).  On return pid is reaped (unless
 *  CL_CHILD_GONE) and its group has been killed. */
enum cl_child_end cl_child_wait(pid_t pid, const struct cl_child_watch *w,
                                struct cl_child_exit *out);

#endif

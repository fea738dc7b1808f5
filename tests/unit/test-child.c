/* test-child.c — the child-with-a-deadline helper (child.h): a child that
 * ends in time, one that hangs (killed at the deadline, with the grandchild
 * it forked), one killed by a signal, one left running by a wait that only
 * waits, a stop flag (also one that killed the child before the wait saw
 * it), a memory limit, and a pid that is not our child; the
 * memory of a group that is killed, or left behind, is sampled first, and
 * wait4 counts the grandchildren the child reaped.
 *
 * This process is a child subreaper, so an orphaned grandchild becomes its
 * child: waiting for it proves it was killed, not merely orphaned. */
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "child.h"
#include "util.h"

static struct cl_child_watch within(double seconds)
{
    struct cl_child_watch w = {cl_now_ns() + (uint64_t)(seconds * 1e9), 0, NULL};
    return w;
}

enum { MIB = 1 << 20, HUNGRY = 48 };

/* A child (cl_child_fork) that forks a grandchild, which touches `mib` MiB
 * and then sleeps in pause() (or exits, when `reaped`: the child reaps it);
 * the child then exits with status 0 when `exits`, else sleeps too.
 * Returns once the memory is touched: the child's pid, the grandchild's in
 * *g. */
static pid_t fork_with_grandchild(size_t mib, int reaped, int exits, pid_t *g)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = cl_child_fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        pid_t gc = fork();
        if (gc == 0) {
            static char *volatile kept; /* or the compiler drops the memory */
            if (mib && !(kept = malloc(mib * MIB)))
                _exit(1);
            if (mib)
                memset(kept, 1, mib * MIB);
            pid_t me = getpid();
            (void)!write(p[1], &me, sizeof me);
            if (reaped)
                _exit(0);
            for (;;)
                pause();
        }
        close(p[1]);
        if (reaped)
            waitpid(gc, NULL, 0);
        if (exits)
            _exit(0);
        for (;;)
            pause();
    }
    close(p[1]);
    *g = 0;
    assert_int_equal(read(p[0], g, sizeof *g), (ssize_t)sizeof *g);
    close(p[0]);
    if (!reaped) /* the grandchild is in the group */
        assert_int_equal(getpgid(*g), pid);
    return pid;
}

/* The grandchild, reparented to this subreaper: reap it and say how it
 * ended.  Fails the test if it is still alive after 5 s. */
static int reap_grandchild(pid_t g)
{
    int st = 0;
    for (int i = 0; i < 500; i++) {
        pid_t r = waitpid(g, &st, WNOHANG);
        if (r == g)
            return st;
        assert_int_equal(r, 0);
        usleep(10000);
    }
    kill(g, SIGKILL);
    waitpid(g, &st, 0);
    fail_msg("grandchild %d outlived its group", (int)g);
    return -1;
}

static int setup(void **st)
{
    (void)st;
    return prctl(PR_SET_CHILD_SUBREAPER, 1) == 0 ? 0 : -1;
}

static void exits_in_time(void **st)
{
    (void)st;
    pid_t pid = cl_child_fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        usleep(20000);
        _exit(7);
    }
    /* its own process group */
    assert_int_equal(getpgid(pid), pid);
    struct cl_child_watch w = within(10);
    struct cl_child_exit ex;
    uint64_t t0 = cl_now_ns();
    assert_int_equal(cl_child_wait(pid, &w, &ex), CL_CHILD_EXITED);
    assert_true(cl_now_ns() - t0 < 5000000000ull); /* did not sit out the deadline */
    assert_true(WIFEXITED(ex.status));
    assert_int_equal(WEXITSTATUS(ex.status), 7);
    assert_true(ex.ru.ru_maxrss > 0);
    /* reaped: no such child any more */
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1);
    assert_int_equal(errno, ECHILD);
}

static void hang_is_killed_at_the_deadline_with_its_group(void **st)
{
    (void)st;
    pid_t g;
    pid_t pid = fork_with_grandchild(0, 0, 0, &g);
    struct cl_child_watch w = within(0.2);
    struct cl_child_exit ex;
    uint64_t t0 = cl_now_ns();
    assert_int_equal(cl_child_wait(pid, &w, &ex), CL_CHILD_TIMEOUT);
    uint64_t took = cl_now_ns() - t0;
    assert_true(took >= 150000000ull);
    assert_true(took < 5000000000ull);
    assert_true(WIFSIGNALED(ex.status));
    assert_int_equal(WTERMSIG(ex.status), SIGKILL);
    int gst = reap_grandchild(g);
    assert_true(WIFSIGNALED(gst));
    assert_int_equal(WTERMSIG(gst), SIGKILL);
    /* nothing left in the group */
    assert_int_equal(kill(-pid, 0), -1);
    assert_int_equal(errno, ESRCH);
}

static void what_an_exited_child_left_behind_is_killed(void **st)
{
    (void)st;
    pid_t g;
    pid_t pid = fork_with_grandchild(0, 0, 1, &g);
    struct cl_child_watch w = within(10);
    struct cl_child_exit ex;
    assert_int_equal(cl_child_wait(pid, &w, &ex), CL_CHILD_EXITED);
    assert_true(WIFEXITED(ex.status));
    assert_int_equal(WEXITSTATUS(ex.status), 0);
    int gst = reap_grandchild(g);
    assert_true(WIFSIGNALED(gst));
    assert_int_equal(WTERMSIG(gst), SIGKILL);
}

static void death_by_signal_is_reported(void **st)
{
    (void)st;
    pid_t pid = cl_child_fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        signal(SIGUSR1, SIG_DFL);
        raise(SIGUSR1);
        _exit(0);
    }
    struct cl_child_watch w = within(10);
    struct cl_child_exit ex;
    assert_int_equal(cl_child_wait(pid, &w, &ex), CL_CHILD_EXITED);
    assert_true(WIFSIGNALED(ex.status));
    assert_int_equal(WTERMSIG(ex.status), SIGUSR1);
}

static void wait_until_leaves_the_child_running(void **st)
{
    (void)st;
    pid_t pid = cl_child_fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    struct cl_child_watch w = within(0.05);
    struct cl_child_exit ex;
    assert_int_equal(cl_child_wait_until(pid, &w, &ex), CL_CHILD_TIMEOUT);
    assert_int_equal(kill(pid, 0), 0); /* still there */
    assert_int_equal(kill(pid, SIGTERM), 0);
    w = within(10);
    assert_int_equal(cl_child_wait_until(pid, &w, &ex), CL_CHILD_EXITED);
    assert_true(WIFSIGNALED(ex.status));
    assert_int_equal(WTERMSIG(ex.status), SIGTERM);
}

static void stop_flag_ends_the_wait(void **st)
{
    (void)st;
    static volatile sig_atomic_t stop = 1;
    pid_t pid = cl_child_fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    struct cl_child_watch w = within(10);
    w.stop = &stop;
    struct cl_child_exit ex;
    uint64_t t0 = cl_now_ns();
    assert_int_equal(cl_child_wait(pid, &w, &ex), CL_CHILD_STOPPED);
    assert_true(cl_now_ns() - t0 < 5000000000ull);
    assert_true(WIFSIGNALED(ex.status));
    assert_int_equal(WTERMSIG(ex.status), SIGKILL);
}

/* The stop came first but the child was dead before the wait saw the
 * flag (signals.h kills the group from its handler): still a stop. */
static void stop_that_killed_the_child_is_a_stop(void **st)
{
    (void)st;
    static volatile sig_atomic_t stop;
    pid_t pid = cl_child_fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        for (;;)
            pause();
    }
    stop = 1;
    assert_int_equal(kill(-pid, SIGKILL), 0);
    siginfo_t si;
    assert_int_equal(waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT), 0);
    struct cl_child_watch w = within(10);
    w.stop = &stop;
    struct cl_child_exit ex;
    assert_int_equal(cl_child_wait(pid, &w, &ex), CL_CHILD_STOPPED);
    assert_true(WIFSIGNALED(ex.status));
    assert_int_equal(WTERMSIG(ex.status), SIGKILL);
    assert_int_equal(waitpid(pid, NULL, WNOHANG), -1); /* reaped once */
}

static void memory_limit_ends_the_wait(void **st)
{
    (void)st;
    pid_t pid = cl_child_fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static char *volatile kept; /* or the compiler drops the memory */
        kept = malloc(64 * MIB);
        if (!kept)
            _exit(1);
        memset(kept, 1, 64 * MIB);
        for (;;)
            pause();
    }
    struct cl_child_watch w = within(10);
    w.mem_limit = 16 * MIB;
    struct cl_child_exit ex;
    assert_int_equal(cl_child_wait(pid, &w, &ex), CL_CHILD_MEMORY);
    assert_true(ex.peak_rss > 16 * MIB);
    assert_true(WIFSIGNALED(ex.status));
}

/* cl_child_wait (within `seconds`, no memory limit: no sampling on the
 * way) for a child of fork_with_grandchild(HUNGRY, reaped, exits); the
 * grandchild, if it was not reaped, killed with the group. */
static enum cl_child_end wait_hungry(int reaped, int exits, double seconds,
                                     struct cl_child_exit *ex)
{
    pid_t g;
    pid_t pid = fork_with_grandchild(HUNGRY, reaped, exits, &g);
    struct cl_child_watch w = within(seconds);
    enum cl_child_end end = cl_child_wait(pid, &w, ex);
    if (!reaped)
        assert_true(WIFSIGNALED(reap_grandchild(g)));
    return end;
}

static void a_killed_group_is_measured_first(void **st)
{
    (void)st;
    struct cl_child_exit ex;
    assert_int_equal(wait_hungry(0, 0, 0.2, &ex), CL_CHILD_TIMEOUT);
    /* the child itself is small, its unreaped grandchild was not */
    assert_true(ex.ru.ru_maxrss < HUNGRY * 1024);
    assert_true(ex.peak_rss >= (uint64_t)HUNGRY * MIB);
}

static void what_is_left_behind_is_measured_first(void **st)
{
    (void)st;
    struct cl_child_exit ex;
    assert_int_equal(wait_hungry(0, 1, 10, &ex), CL_CHILD_EXITED);
    assert_true(ex.peak_rss >= (uint64_t)HUNGRY * MIB);
}

static void reaped_grandchildren_count_in_the_peak(void **st)
{
    (void)st;
    struct cl_child_exit ex;
    assert_int_equal(wait_hungry(1, 1, 10, &ex), CL_CHILD_EXITED);
    /* wait4's ru_maxrss: the largest of the child and what it reaped */
    assert_true(ex.ru.ru_maxrss >= HUNGRY * 1024);
    assert_int_equal(ex.peak_rss, 0); /* nothing left to sample */
}

static void not_our_child_is_gone(void **st)
{
    (void)st;
    struct cl_child_watch w = within(10);
    struct cl_child_exit ex;
    uint64_t t0 = cl_now_ns();
    assert_int_equal(cl_child_wait(getppid(), &w, &ex), CL_CHILD_GONE);
    assert_true(cl_now_ns() - t0 < 5000000000ull);
    assert_int_equal(kill(getppid(), 0), 0); /* and left alone */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(exits_in_time),
        cmocka_unit_test(hang_is_killed_at_the_deadline_with_its_group),
        cmocka_unit_test(what_an_exited_child_left_behind_is_killed),
        cmocka_unit_test(death_by_signal_is_reported),
        cmocka_unit_test(wait_until_leaves_the_child_running),
        cmocka_unit_test(stop_flag_ends_the_wait),
        cmocka_unit_test(stop_that_killed_the_child_is_a_stop),
        cmocka_unit_test(memory_limit_ends_the_wait),
        cmocka_unit_test(a_killed_group_is_measured_first),
        cmocka_unit_test(what_is_left_behind_is_measured_first),
        cmocka_unit_test(reaped_grandchildren_count_in_the_peak),
        cmocka_unit_test(not_our_child_is_gone),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}

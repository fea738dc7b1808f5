/* loop.c — the scheduler loop: rounds of ready coroutines, new ones and
 * one epoll wait, with a timerfd keeping the nearest timer.  See sched.h. */
#define _GNU_SOURCE
#include "sched.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/timerfd.h>
#include <unistd.h>

/* Timers are kept by a timerfd, which has no slack: epoll's own timeout
 * gets max(50 us, 0.1%) of slack, and every timer due during that slack
 * waits for the next round.  epoll's timeout stays as a backstop. */
#define TIMER_BACKSTOP_NS 1000000LL /* past the timerfd's deadline */
#define TIMERFD_TAG UINT64_MAX      /* the timerfd's epoll data */

static int ns_to_ms_ceil(int64_t ns)
{
    int64_t ms = ns / 1000000 + (ns % 1000000 != 0);
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int io_wait(struct sched *s, int64_t timeout_ns)
{
#ifdef __GLIBC_PREREQ
#if __GLIBC_PREREQ(2, 35)
    if (s->pwait2) {
        struct timespec ts, *tsp = NULL;
        if (timeout_ns >= 0) {
            ts.tv_sec = (time_t)(timeout_ns / NS_PER_S);
            ts.tv_nsec = (long)(timeout_ns % NS_PER_S);
            tsp = &ts;
        }
        int n = epoll_pwait2(s->epfd, s->events, EVENTS_MAX, tsp, NULL);
        if (n >= 0 || errno != ENOSYS)
            return n;
        s->pwait2 = false; /* kernel older than 5.11: millisecond timeouts */
    }
#endif
#endif
    return epoll_wait(s->epfd, s->events, EVENTS_MAX,
                      timeout_ns < 0 ? -1 : ns_to_ms_ceil(timeout_ns));
}

/* Arm the timerfd to expire at `deadline`; false when it cannot be used. */
static bool timerfd_arm(struct sched *s, uint64_t deadline)
{
    if (s->tfd < 0)
        return false;
    if (s->tfd_armed == deadline)
        return true;
    struct itimerspec its = {
        .it_value = {.tv_sec = (time_t)(deadline / NS_PER_S),
                     .tv_nsec = (long)(deadline % NS_PER_S)},
    };
    if (timerfd_settime(s->tfd, TFD_TIMER_ABSTIME, &its, NULL) != 0) {
        LOG(s->co.job, CONLAB_LOG_WARN, "timerfd_settime: %s; timers get "
            "epoll's timer slack", strerror(errno));
        close(s->tfd);
        s->tfd = -1;
        return false;
    }
    s->tfd_armed = deadline;
    return true;
}

/* Wait for fd events (up to timeout_ns, the nearest timer being at
 * `deadline` if not 0) and hand them to their waiters. */
static int poll_io(struct sched *s, int64_t timeout_ns, uint64_t deadline)
{
    if (timeout_ns == 0 && s->n_linked == 0)
        return CONLAB_OK; /* nobody waits for an fd: nothing to look at */
    if (timeout_ns > 0 && deadline && timerfd_arm(s, deadline))
        timeout_ns += TIMER_BACKSTOP_NS; /* the timerfd wakes us first */
    int n = io_wait(s, timeout_ns);
    if (n < 0) {
        if (errno == EINTR)
            return CONLAB_OK;
        LOG(s->co.job, CONLAB_LOG_ERROR, "epoll_wait: %s", strerror(errno));
        return CONLAB_E_SYS;
    }
    for (int i = 0; i < n; i++)
        if (s->events[i].data.u64 != TIMERFD_TAG)
            fd_dispatch(s, &s->events[i]);
    return CONLAB_OK;
}

/* How long the next epoll wait may block: 0 when something can run now,
 * until the nearest timer (its deadline in *deadline), -1 for ever (fd
 * waits only); -2 when nothing at all could wake the parked coroutines. */
static int64_t next_timeout(struct sched *s, uint64_t *deadline)
{
    *deadline = 0;
    if (s->co.n_ready > 0 || can_spawn(&s->co))
        return 0;
    uint64_t d = timers_next(&s->co);
    if (d != 0) {
        uint64_t now = now_ns();
        if (d <= now)
            return 0;
        *deadline = d;
        return d - now > INT64_MAX / 2 ? INT64_MAX / 2 : (int64_t)(d - now);
    }
    return s->n_linked > 0 ? -1 : -2;
}

int sched_loop(struct sched *s)
{
    for (;;) {
        run_ready(&s->co);
        spawn_some(&s->co);
        if (s->co.stash_failed) {
            abandon_all(&s->co, "out of memory for a parked coroutine's "
                                "frames (stacks: shared)");
            return CONLAB_E_NOMEM;
        }
        if (s->co.n_live == 0 && !can_spawn(&s->co))
            return s->co.spawn_failed ? CONLAB_E_NOMEM : CONLAB_OK;
        uint64_t deadline;
        int64_t timeout = next_timeout(s, &deadline);
        if (timeout == -2) {
            abandon_all(&s->co, "deadlock: waiting forever with no fd or timer "
                           "that could wake it");
            return CONLAB_E_LOST;
        }
        if (poll_io(s, timeout, deadline) != CONLAB_OK) {
            abandon_all(&s->co, "the event loop failed");
            return CONLAB_E_SYS;
        }
        timers_expire(&s->co);
    }
}

/* The timerfd, edge-triggered so that it never needs reading; without it
 * timers just get epoll's slack. */
static void timerfd_open(struct sched *s)
{
    s->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
    if (s->tfd < 0) {
        LOG(s->co.job, CONLAB_LOG_WARN, "timerfd_create: %s", strerror(errno));
        return;
    }
    struct epoll_event ev = {.events = EPOLLIN | EPOLLET,
                             .data.u64 = TIMERFD_TAG};
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, s->tfd, &ev) != 0) {
        LOG(s->co.job, CONLAB_LOG_WARN, "epoll_ctl(timerfd): %s", strerror(errno));
        close(s->tfd);
        s->tfd = -1;
    }
}

int sched_init(struct sched *s, const struct conlab_job *job,
               int64_t stack_kib, bool shared)
{
    memset(s, 0, sizeof *s);
    co_init(&s->co, job, PLUGIN_NAME, co_wait, (size_t)stack_kib * 1024,
            shared);
    s->pwait2 = true;
    s->tfd = -1;
    s->epfd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epfd < 0) {
        LOG(s->co.job, CONLAB_LOG_ERROR, "epoll_create1: %s", strerror(errno));
        return CONLAB_E_SYS;
    }
    timerfd_open(s);
    return CONLAB_OK;
}

void sched_fini(struct sched *s)
{
    if (s->tfd >= 0)
        close(s->tfd);
    if (s->epfd >= 0)
        close(s->epfd);
    free(s->fdtab);
    co_fini(&s->co);
}

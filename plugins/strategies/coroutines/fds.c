/* fds.c — epoll registrations of the fds coroutines wait for, cached
 * per fd number across waits.  See sched.h. */
#define _GNU_SOURCE
#include "sched.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

enum arm_result { ARM_OK = 0, ARM_BADF = 1, ARM_ALWAYS = 2 };

static uint32_t poll_to_epoll(short ev)
{
    uint32_t e = 0;
    if (ev & POLLIN) e |= EPOLLIN;
    if (ev & POLLPRI) e |= EPOLLPRI;
    if (ev & POLLOUT) e |= EPOLLOUT;
    if (ev & POLLRDNORM) e |= EPOLLRDNORM;
    if (ev & POLLRDBAND) e |= EPOLLRDBAND;
    if (ev & POLLWRNORM) e |= EPOLLWRNORM;
    if (ev & POLLWRBAND) e |= EPOLLWRBAND;
    if (ev & POLLRDHUP) e |= EPOLLRDHUP;
    return e;
}

static short epoll_to_poll(uint32_t e)
{
    short ev = 0;
    if (e & EPOLLIN) ev |= POLLIN;
    if (e & EPOLLPRI) ev |= POLLPRI;
    if (e & EPOLLOUT) ev |= POLLOUT;
    if (e & EPOLLRDNORM) ev |= POLLRDNORM;
    if (e & EPOLLRDBAND) ev |= POLLRDBAND;
    if (e & EPOLLWRNORM) ev |= POLLWRNORM;
    if (e & EPOLLWRBAND) ev |= POLLWRBAND;
    if (e & EPOLLRDHUP) ev |= POLLRDHUP;
    if (e & EPOLLERR) ev |= POLLERR;
    if (e & EPOLLHUP) ev |= POLLHUP;
    return ev;
}

static uint64_t fd_tag(int fd, uint32_t gen)
{
    return (uint64_t)(uint32_t)fd << 32 | gen;
}

static struct fdent *fd_entry(struct sched *s, int fd)
{
    size_t i = (size_t)fd;
    if (i >= s->fdtab_len) {
        size_t len = s->fdtab_len ? 2 * s->fdtab_len : 64;
        while (len <= i)
            len *= 2;
        struct fdent *t = realloc(s->fdtab, len * sizeof *t);
        if (!t)
            return NULL;
        memset(t + s->fdtab_len, 0, (len - s->fdtab_len) * sizeof *t);
        s->fdtab = t;
        s->fdtab_len = len;
    }
    return &s->fdtab[i];
}

static int arm_failed(struct sched *s, int fd, struct fdent *e, int err)
{
    if (err == EBADF) { /* closed: poll(2) would say POLLNVAL */
        e->registered = false;
        return ARM_BADF;
    }
    if (err == EPERM) /* a regular file: poll(2) says always ready */
        return ARM_ALWAYS;
    LOG(s->co.job, CONLAB_LOG_ERROR, "epoll_ctl(fd %d): %s", fd, strerror(err));
    return CONLAB_E_SYS;
}

/* Arm fd for `events` (EPOLL*): MOD an existing registration, else ADD one
 * under a new generation.  Returns ARM_*, or a negative status. */
static int fd_arm(struct sched *s, int fd, struct fdent *e, uint32_t events)
{
    struct epoll_event ev = {.events = events | EPOLLONESHOT};
    if (e->registered) {
        ev.data.u64 = fd_tag(fd, e->gen);
        if (epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) == 0) {
            return ARM_OK;
        }
        if (errno != ENOENT)
            return arm_failed(s, fd, e, errno);
        e->registered = false; /* closed since; maybe reused for a new file */
    }
    ev.data.u64 = fd_tag(fd, ++e->gen);
    if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &ev) != 0 &&
        (errno != EEXIST || epoll_ctl(s->epfd, EPOLL_CTL_MOD, fd, &ev) != 0))
        return arm_failed(s, fd, e, errno);
    e->registered = true;
    return ARM_OK;
}

static uint32_t waiters_events(const struct fdent *e)
{
    uint32_t events = 0;
    for (const struct wait_slot *w = e->waiters; w; w = w->next)
        events |= poll_to_epoll(w->pfd->events);
    return events;
}

static void slot_link(struct sched *s, struct fdent *e, struct wait_slot *sl)
{
    sl->prev = NULL;
    sl->next = e->waiters;
    if (e->waiters)
        e->waiters->prev = sl;
    e->waiters = sl;
    sl->linked = true;
    s->n_linked++;
}

void slot_unlink(struct sched *s, struct wait_slot *sl)
{
    if (!sl->linked)
        return;
    if (sl->prev)
        sl->prev->next = sl->next;
    else
        s->fdtab[sl->pfd->fd].waiters = sl->next;
    if (sl->next)
        sl->next->prev = sl->prev;
    sl->prev = sl->next = NULL;
    sl->linked = false;
    s->n_linked--;
}

/* What poll(2) reports at once for an fd epoll cannot watch. */
static short immediate_revents(int arm, short events)
{
    if (arm == ARM_BADF)
        return POLLNVAL;
    return events & (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM);
}

/* Wake every waiter of `e` with what poll(2) would report after `arm`. */
static void fd_fail_waiters(struct sched *s, struct fdent *e, int arm)
{
    while (e->waiters) {
        struct wait_slot *sl = e->waiters;
        sl->pfd->revents |=
            arm < 0 ? POLLERR : immediate_revents(arm, sl->pfd->events);
        slot_unlink(s, sl);
        co_wake(&s->co, sl->co);
    }
}

/* Watch pfd for coroutine co.  Returns 0 when the slot is linked (or the fd
 * can never become ready), 1 when pfd->revents is already set, or a
 * negative status. */
int fd_watch(struct sched *s, struct coro *co, struct wait_slot *sl,
             struct pollfd *pfd)
{
    struct fdent *e = fd_entry(s, pfd->fd);
    if (!e)
        return CONLAB_E_NOMEM;
    /* One epoll_ctl per fd per wait, even when the registration may still
     * be armed: only the kernel knows whether the fd number was closed (or
     * reused for another file) since the last wait, and MOD tells. */
    uint32_t need = poll_to_epoll(pfd->events) | waiters_events(e);
    int arm = fd_arm(s, pfd->fd, e, need);
    if (arm < 0)
        return arm;
    if (arm != ARM_OK) { /* other waiters of this fd learn it too */
        fd_fail_waiters(s, e, arm);
        pfd->revents = immediate_revents(arm, pfd->events);
        return pfd->revents != 0;
    }
    sl->co = co;
    sl->pfd = pfd;
    slot_link(s, e, sl);
    return 0;
}

/* One epoll event: hand it to the waiters that asked for it. */
void fd_dispatch(struct sched *s, const struct epoll_event *ev)
{
    int fd = (int)(ev->data.u64 >> 32);
    uint32_t gen = (uint32_t)ev->data.u64;
    if ((size_t)fd >= s->fdtab_len)
        return;
    struct fdent *e = &s->fdtab[fd];
    if (!e->registered || e->gen != gen)
        return; /* a stale registration of a closed-and-reused fd number */
    short rev = epoll_to_poll(ev->events);
    struct wait_slot *sl = e->waiters;
    while (sl) {
        struct wait_slot *next = sl->next;
        short got = rev & (sl->pfd->events | POLLERR | POLLHUP);
        if (got) {
            sl->pfd->revents |= got;
            slot_unlink(s, sl);
            co_wake(&s->co, sl->co);
        }
        sl = next;
    }
    if (e->waiters) { /* some wanted other events: re-arm for them */
        int arm = fd_arm(s, fd, e, waiters_events(e));
        if (arm != ARM_OK)
            fd_fail_waiters(s, e, arm);
    }
}

/* serve_timer.c — how `conlab serve` makes a request wait: in its handler
 * (per-connection mode), or suspended on the timer thread (pool mode), which
 * also resumes a connection whose client hangs up.  See serve_internal.h. */
#include "serve_internal.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define TIMER_TICK_NS 1000000u             /* pool mode: resume 1 ms apart */

/* Per-connection mode: wait in the handler until `seconds` have passed.
 * 0 then; -1 if the client hung up or the server stopped first. */
int cl_srv_wait_in_handler(const struct cl_srv_conn *cn, double seconds)
{
    uint64_t deadline = cl_now_ns() + (uint64_t)(seconds * 1e9);
    struct pollfd p = {cn->fd, POLLRDHUP, 0};
    for (;;) {
        uint64_t now = cl_now_ns();
        if (now >= deadline)
            return 0;
        uint64_t left = deadline - now;
        struct timespec ts = {(time_t)(left / 1000000000u), (long)(left % 1000000000u)};
        int n = ppoll(&p, 1, &ts, NULL);
        if (n > 0 || (n < 0 && errno != EINTR))
            return -1;
    }
}

/* Pool mode: the timer heap.  Each connection knows its index in it, so
 * that one whose client hangs up can leave before its deadline. */
static int earlier(const struct cl_srv_conn *a, const struct cl_srv_conn *b)
{
    return a->deadline < b->deadline;
}

static void heap_set(struct cl_srv_timer *t, size_t i, struct cl_srv_conn *cn)
{
    t->heap[i] = cn;
    cn->heap_index = i;
}

static void heap_sift_up(struct cl_srv_timer *t, size_t i, struct cl_srv_conn *cn)
{
    while (i > 0 && earlier(cn, t->heap[(i - 1) / 2])) {
        heap_set(t, i, t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(t, i, cn);
}

static void heap_sift_down(struct cl_srv_timer *t, size_t i, struct cl_srv_conn *cn)
{
    for (;;) {
        size_t k = 2 * i + 1;
        if (k >= t->len)
            break;
        if (k + 1 < t->len && earlier(t->heap[k + 1], t->heap[k]))
            k++;
        if (!earlier(t->heap[k], cn))
            break;
        heap_set(t, i, t->heap[k]);
        i = k;
    }
    heap_set(t, i, cn);
}

static void heap_push(struct cl_srv_timer *t, struct cl_srv_conn *cn)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->heap = cl_xrealloc(t->heap, t->cap * sizeof *t->heap);
    }
    heap_sift_up(t, t->len++, cn);
}

/* Take the connection at index i out of the heap. */
static struct cl_srv_conn *heap_remove(struct cl_srv_timer *t, size_t i)
{
    struct cl_srv_conn *gone = t->heap[i], *last = t->heap[--t->len];
    if (i < t->len) {
        heap_sift_down(t, i, last);
        heap_sift_up(t, last->heap_index, last);
    }
    return gone;
}

/* Take cn out of the timer, and its socket out of the hang-up watch, before
 * it is resumed (after which MHD may close it and free cn).  Call with
 * t->lock held. */
static struct cl_srv_conn *timer_take(struct cl_srv_timer *t, struct cl_srv_conn *cn)
{
    heap_remove(t, cn->heap_index);
    if (cn->fd >= 0)
        epoll_ctl(t->epfd, EPOLL_CTL_DEL, cn->fd, NULL);
    return cn;
}

/* How long the timer thread may sleep: until the tick after the earliest
 * deadline (MHD walks its whole list of suspended connections for every
 * wake-up, so connections due together are resumed in one walk), -1 for
 * ever.  Call with t->lock held. */
static int timer_sleep_ms(const struct cl_srv_timer *t, uint64_t now)
{
    if (t->len == 0)
        return -1;
    uint64_t due = t->heap[0]->deadline;
    due += TIMER_TICK_NS - due % TIMER_TICK_NS;
    uint64_t ms = (due - now + 999999) / 1000000;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

/* The timer thread: resumes a suspended connection at its deadline, or as
 * soon as its client hangs up (the handler then closes it).  It sleeps in
 * epoll_wait on the suspended sockets (EPOLLRDHUP) and an eventfd that
 * timer_add and timer_stop write to. */
static void *timer_main(void *arg)
{
    struct cl_srv_timer *t = arg;
    struct cl_srv_conn *batch[256];
    struct epoll_event ev[64];
    pthread_mutex_lock(&t->lock);
    while (!t->stop) {
        uint64_t now = cl_now_ns();
        size_t n = 0;
        while (n < sizeof batch / sizeof batch[0] && t->len &&
               t->heap[0]->deadline <= now)
            batch[n++] = timer_take(t, t->heap[0]);
        int sleep_ms = n ? 0 : timer_sleep_ms(t, now);
        pthread_mutex_unlock(&t->lock);
        for (size_t i = 0; i < n; i++)
            MHD_resume_connection(batch[i]->mhd);
        int got = epoll_wait(t->epfd, ev, sizeof ev / sizeof ev[0], sleep_ms);
        n = 0;
        pthread_mutex_lock(&t->lock);
        /* Only this thread takes connections out while it runs, and it
         * takes a socket out of the epoll set with its connection: every
         * connection reported here is still in the heap. */
        for (int i = 0; i < got; i++) {
            struct cl_srv_conn *cn = ev[i].data.ptr;
            if (cn == NULL) { /* the eventfd: new work, or stop */
                uint64_t count;
                if (read(t->wakefd, &count, sizeof count) < 0 && errno != EAGAIN)
                    cl_log(CONLAB_LOG_WARN, "serve", "reading the timer's eventfd: %s",
                           strerror(errno));
                continue;
            }
            cn->hung_up = 1;
            batch[n++] = timer_take(t, cn);
        }
        pthread_mutex_unlock(&t->lock);
        for (size_t i = 0; i < n; i++)
            MHD_resume_connection(batch[i]->mhd);
        pthread_mutex_lock(&t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    return NULL;
}

/* Wake the timer thread.  An eventfd write fails only when its counter is
 * full (EAGAIN), and then the thread has a wake-up pending anyway. */
static void timer_wake(struct cl_srv_timer *t)
{
    uint64_t one = 1;
    if (write(t->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
        cl_log(CONLAB_LOG_WARN, "serve", "waking the timer: %s", strerror(errno));
}

/* Queue a suspended connection and watch its client for a hang-up; resumes
 * it at once if the timer stopped. */
void cl_srv_timer_add(struct cl_srv_timer *t, struct cl_srv_conn *cn)
{
    pthread_mutex_lock(&t->lock);
    int stopped = t->stop;
    if (!stopped) {
        heap_push(t, cn);
        struct epoll_event ev = {.events = EPOLLRDHUP | EPOLLONESHOT,
                                 .data.ptr = cn};
        /* Without the watch (ENOMEM) it still ends at its deadline. */
        if (cn->fd >= 0)
            (void)epoll_ctl(t->epfd, EPOLL_CTL_ADD, cn->fd, &ev);
        if (t->heap[0] == cn)
            timer_wake(t);
    }
    pthread_mutex_unlock(&t->lock);
    if (stopped)
        MHD_resume_connection(cn->mhd);
}

int cl_srv_timer_start(struct cl_srv_timer *t, char *err, size_t errlen)
{
    t->epfd = epoll_create1(EPOLL_CLOEXEC);
    t->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (t->epfd < 0 || t->wakefd < 0 ||
        epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->wakefd, &ev) != 0) {
        snprintf(err, errlen, "cannot start the timer: %s", strerror(errno));
        goto fail;
    }
    pthread_mutex_init(&t->lock, NULL);
    int rc = pthread_create(&t->thread, NULL, timer_main, t);
    if (rc == 0)
        return 0;
    pthread_mutex_destroy(&t->lock);
    snprintf(err, errlen, "cannot start the timer thread: %s", strerror(rc));
fail:
    if (t->epfd >= 0)
        close(t->epfd);
    if (t->wakefd >= 0)
        close(t->wakefd);
    return -1;
}

/* Stop the timer thread and resume every connection still waiting. */
void cl_srv_timer_stop(struct cl_srv_timer *t)
{
    pthread_mutex_lock(&t->lock);
    t->stop = 1;
    timer_wake(t);
    pthread_mutex_unlock(&t->lock);
    pthread_join(t->thread, NULL);
    for (size_t i = 0; i < t->len; i++)
        MHD_resume_connection(t->heap[i]->mhd);
    t->len = 0;
}

void cl_srv_timer_fini(struct cl_srv_timer *t)
{
    free(t->heap);
    close(t->epfd);
    close(t->wakefd);
    pthread_mutex_destroy(&t->lock);
}

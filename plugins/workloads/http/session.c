/* session.c — the libcurl multi handles transfers run on, and driving one
 * transfer through a worker's waiter.  See http_internal.h.
 *
 * A session is one multi handle with its connection cache.  Every worker
 * whose task runs on a given thread uses that thread's session: under
 * `coroutines` the thousands of workers of one thread share one multi handle
 * and one cache, as an asyncio program shares its loop; under `threads` each
 * thread has its own.  Measured on a 2-vCPU KVM guest (bench/targets.py
 * http160, 160 GETs in flight): a multi handle per worker cost ~8 fresh
 * pages (its socket hash) and a socketpair with 4 fcntl per worker, ~90 us
 * of the ~300 us each coroutine took to start its request.
 *
 * Waiting stays the worker's own: a worker waits (through its waiter) on the
 * sockets of its transfer, for at most libcurl's timer.  Any worker's call
 * into libcurl may also advance another worker's transfer, but only one
 * whose timer has expired, and that worker's wait ends by then anyway.  So
 * a parked worker is never lost: it finds its transfer done (set by whoever
 * read the message) or its sockets changed when it next wakes.
 *
 * HTTP/2 multiplexes transfers over one socket, which this split of sockets
 * between workers cannot express: with http2 each worker keeps a session of
 * its own.
 *
 * libcurl's timer is one-shot: once curl_multi_socket_action(TIMEOUT) has run
 * for an expired timer, that timer is gone until libcurl sets a new one.  We
 * forget it *before* the call (the call may set the next one), or every
 * worker would keep polling with a zero timeout. */
#define _GNU_SOURCE
#include "http_internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#define TIMER_RUNS_MAX 16
/* Workers per shared session.  libcurl 7.88 looks for a reusable connection
 * by walking every connection to the host in the cache, and walks its
 * transfers in other places: with 1,000 workers on one multi handle those
 * walks took ~20% of the CPU of 10,000 GETs at 1,000 in flight.  A thread's
 * workers fill sessions of SESSION_WORKERS each instead. */
#define SESSION_WORKERS 64

struct http_session {
    struct http_session *next; /* the state's list */
    CURLM *multi;
    pid_t pid;                 /* the process that made it */
    struct http_worker **owner; /* by fd: the worker whose transfer uses it */
    size_t cap_owner;
    int64_t timer_at;          /* libcurl's timer (CLOCK_MONOTONIC ns); -1: none */
    const void *thread;        /* &tl_session of the thread it serves */
    unsigned members;          /* workers that joined it */
};

/* The session the calling thread's workers join, valid while `state_id`
 * names a live state.  Its address names the thread. */
static _Thread_local struct {
    uint64_t state_id;
    struct http_session *filling;
} tl_session;

static void forget_after_fork(void)
{
    tl_session.state_id = 0; /* the parent's: its sockets are not ours */
}

static void register_atfork(void)
{
    (void)pthread_atfork(NULL, NULL, forget_after_fork);
}

void http_sessions_prepare(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    (void)pthread_once(&once, register_atfork);
}

/* ------------------------------------------------------------------------ */
/* A worker's sockets                                                        */
/* ------------------------------------------------------------------------ */

static int grow(struct pollfd **a, unsigned *cap, unsigned need)
{
    if (need <= *cap)
        return 0;
    unsigned c = *cap ? *cap : FDS_MIN;
    while (c < need)
        c *= 2;
    struct pollfd *p = realloc(*a, c * sizeof *p);
    if (!p)
        return -1;
    *a = p;
    *cap = c;
    return 0;
}

static void fds_drop(struct http_worker *hw, int fd)
{
    for (unsigned i = 0; i < hw->n_fds; i++)
        if (hw->fds[i].fd == fd) {
            hw->fds[i] = hw->fds[--hw->n_fds];
            return;
        }
}

static int fds_set(struct http_worker *hw, int fd, short events)
{
    unsigned i = 0;
    while (i < hw->n_fds && hw->fds[i].fd != fd)
        i++;
    if (i == hw->n_fds) {
        if (grow(&hw->fds, &hw->cap_fds, hw->n_fds + 1) != 0)
            return -1;
        hw->fds[hw->n_fds++].fd = fd;
    }
    hw->fds[i].events = events;
    hw->fds[i].revents = 0;
    return 0;
}

static struct http_worker **owner_slot(struct http_session *ss, int fd)
{
    size_t i = (size_t)fd;
    if (i >= ss->cap_owner) {
        size_t cap = ss->cap_owner ? ss->cap_owner : 64;
        while (cap <= i)
            cap *= 2;
        struct http_worker **o = realloc(ss->owner, cap * sizeof *o);
        if (!o)
            return NULL;
        memset(o + ss->cap_owner, 0, (cap - ss->cap_owner) * sizeof *o);
        ss->owner = o;
        ss->cap_owner = cap;
    }
    return &ss->owner[i];
}

/* CURLMOPT_SOCKETFUNCTION: libcurl says which events it wants on fd, for
 * the transfer of `easy` (whose CURLOPT_PRIVATE is its worker). */
static int on_socket(CURL *easy, curl_socket_t fd, int what, void *userp,
                     void *socketp)
{
    (void)socketp;
    struct http_session *ss = userp;
    char *priv = NULL;
    (void)curl_easy_getinfo(easy, CURLINFO_PRIVATE, &priv);
    struct http_worker *hw = (struct http_worker *)(void *)priv;
    struct http_worker **slot = owner_slot(ss, fd);
    if (!slot) {
        if (hw)
            hw->cb_failed = true;
        return -1;
    }
    if (*slot && (*slot != hw || what == CURL_POLL_REMOVE)) {
        fds_drop(*slot, fd);
        *slot = NULL;
    }
    if (what == CURL_POLL_REMOVE || !hw)
        return 0; /* no worker: libcurl's own closing handle */
    short events = (short)((what & CURL_POLL_IN ? POLLIN : 0) |
                           (what & CURL_POLL_OUT ? POLLOUT : 0));
    if (fds_set(hw, fd, events) != 0) {
        hw->cb_failed = true;
        return -1;
    }
    *slot = hw;
    return 0;
}

/* CURLMOPT_TIMERFUNCTION: call socket_action(TIMEOUT) in timeout_ms (-1:
 * never).  One-shot: see the top of this file. */
static int on_timer(CURLM *multi, long timeout_ms, void *userp)
{
    (void)multi;
    struct http_session *ss = userp;
    ss->timer_at =
        timeout_ms < 0 ? -1 : http_now_ns() + (int64_t)timeout_ms * NS_PER_MS;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Sessions                                                                  */
/* ------------------------------------------------------------------------ */

static void session_free(struct http_session *ss)
{
    if (ss->multi)
        curl_multi_cleanup(ss->multi); /* closes the kept connections */
    free(ss->owner);
    free(ss);
}

/* A new session, in no list. */
static struct http_session *session_make(void)
{
    struct http_session *ss = calloc(1, sizeof *ss);
    if (!ss)
        return NULL;
    ss->timer_at = -1;
    ss->pid = getpid();
    CURLMcode rc = CURLM_OUT_OF_MEMORY;
    if ((ss->multi = curl_multi_init())) {
        rc = curl_multi_setopt(ss->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        if (rc == CURLM_OK)
            rc = curl_multi_setopt(ss->multi, CURLMOPT_SOCKETDATA, (void *)ss);
        if (rc == CURLM_OK)
            rc = curl_multi_setopt(ss->multi, CURLMOPT_TIMERFUNCTION, on_timer);
        if (rc == CURLM_OK)
            rc = curl_multi_setopt(ss->multi, CURLMOPT_TIMERDATA, (void *)ss);
    }
    if (rc != CURLM_OK) {
        session_free(ss);
        return NULL;
    }
    return ss;
}

/* Each multi handle holds a socketpair (libcurl's wake-up pipe): spares
 * may take at most 1/16 of the open-file limit, the rest is the
 * transfers'. */
size_t http_spare_sessions_make(struct http_state *s, size_t n)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
        n > rl.rlim_cur / 32)
        n = rl.rlim_cur / 32;
    if (n == 0 || !(s->spare_sessions = calloc(n, sizeof *s->spare_sessions)))
        return 0;
    size_t made = 0;
    while (made < n && (s->spare_sessions[made] = session_make()))
        made++;
    s->n_spare_sessions = made;
    return made;
}

/* A session for the calling process: a spare while there are any, else a
 * new one.  `listed`: kept in s->sessions for destroy, else its worker's
 * to free (per_worker). */
static struct http_session *session_new(struct http_state *s, bool listed)
{
    struct http_session *ss = NULL;
    size_t k = atomic_fetch_add_explicit(&s->next_session, 1,
                                         memory_order_relaxed);
    if (k < s->n_spare_sessions) {
        ss = s->spare_sessions[k];
        s->spare_sessions[k] = NULL; /* taken: destroy skips it */
        ss->pid = getpid();          /* a forked worker's own copy */
    } else if (!(ss = session_make())) {
        return NULL;
    }
    if (!listed)
        return ss;
    pthread_mutex_lock(&s->lock);
    ss->next = s->sessions;
    s->sessions = ss;
    pthread_mutex_unlock(&s->lock);
    return ss;
}

/* The session hw's next transfer runs on: the one it joined on this
 * thread, else a seat in the thread's filling session. */
static struct http_session *session_for(struct http_worker *hw)
{
    struct http_state *s = (struct http_state *)hw->s;
    if (s->per_worker) {
        if (!hw->own)
            hw->own = session_new(s, false);
        return hw->own;
    }
    if (hw->own && hw->own->thread == &tl_session &&
        tl_session.state_id == s->id)
        return hw->own;
    if (tl_session.state_id != s->id ||
        tl_session.filling->members >= SESSION_WORKERS) {
        struct http_session *ss = session_new(s, true);
        if (!ss)
            return NULL;
        ss->thread = &tl_session;
        tl_session.filling = ss;
        tl_session.state_id = s->id;
    }
    tl_session.filling->members++;
    return hw->own = tl_session.filling;
}

void http_worker_sessions_fini(struct http_worker *hw)
{
    if (hw->s->per_worker && hw->own)
        session_free(hw->own);
    hw->own = NULL;
}

void http_sessions_destroy(struct http_state *s)
{
    pid_t me = getpid();
    struct http_session *ss = s->sessions;
    while (ss) {
        struct http_session *next = ss->next;
        if (ss->pid == me) /* a forked child's copy of its parent's: not ours */
            session_free(ss);
        ss = next;
    }
    s->sessions = NULL;
    for (size_t i = 0; s->spare_sessions && i < s->n_spare_sessions; i++)
        if (s->spare_sessions[i] && s->spare_sessions[i]->pid == me)
            session_free(s->spare_sessions[i]);
    free(s->spare_sessions);
    s->spare_sessions = NULL;
    s->n_spare_sessions = 0;
    if (tl_session.state_id == s->id)
        tl_session.state_id = 0;
}

/* ------------------------------------------------------------------------ */
/* Driving a transfer                                                        */
/* ------------------------------------------------------------------------ */

static int events_to_curl(short revents)
{
    int mask = 0;
    if (revents & (POLLIN | POLLPRI | POLLHUP))
        mask |= CURL_CSELECT_IN;
    if (revents & POLLOUT)
        mask |= CURL_CSELECT_OUT;
    if (revents & (POLLERR | POLLNVAL))
        mask |= CURL_CSELECT_ERR;
    return mask;
}

/* Every finished transfer of the session, whichever worker's: its worker
 * finds it done when it next runs. */
static void take_done(struct http_session *ss)
{
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(ss->multi, &left))) {
        char *priv = NULL;
        if (m->msg != CURLMSG_DONE ||
            curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv) != CURLE_OK ||
            !priv)
            continue;
        struct http_worker *owner = (struct http_worker *)(void *)priv;
        owner->done = true;
        owner->result = m->data.result;
    }
}

/* libcurl calls the timer callback only when its next timeout *changes*.
 * Woken a little early (a waiter rounding its timeout down), the action
 * finds nothing expired, the timer stays where it was and no callback comes:
 * ask libcurl directly rather than lose the timer. */
static void resync_timer(struct http_session *ss)
{
    long ms = -1;
    if (curl_multi_timeout(ss->multi, &ms) == CURLM_OK && ms >= 0)
        ss->timer_at = http_now_ns() + (int64_t)ms * NS_PER_MS;
}

/* Wait on a copy of hw's sockets, then hand libcurl what the wait saw. */
static int wait_and_dispatch(struct http_worker *hw,
                             const struct conlab_waiter *waiter,
                             int64_t wait_ns, CURLMcode *mc)
{
    if (grow(&hw->snap, &hw->cap_snap, hw->n_fds) != 0)
        return CONLAB_E_NOMEM;
    hw->n_snap = hw->n_fds;
    if (hw->n_fds)
        memcpy(hw->snap, hw->fds, hw->n_fds * sizeof *hw->snap);
    int n = waiter->wait(waiter->ctx, hw->snap, hw->n_snap, wait_ns);
    if (n < 0)
        return n;
    int running;
    *mc = CURLM_OK;
    for (unsigned i = 0; n > 0 && i < hw->n_snap && *mc == CURLM_OK; i++) {
        int fd = hw->snap[i].fd;
        /* Only a socket still ours: while we waited, another worker's call
         * into libcurl may have ended our transfer and closed the socket,
         * and the fd number may already be another worker's new connection
         * (under uring the kernel's poll held the old socket, whose error
         * or hang-up, handed to libcurl under that number, failed the new
         * transfer: "Failed sending data to the peer"). */
        if (hw->snap[i].revents && (size_t)fd < hw->ss->cap_owner &&
            hw->ss->owner[fd] == hw)
            *mc = curl_multi_socket_action(hw->ss->multi, fd,
                                           events_to_curl(hw->snap[i].revents),
                                           &running);
    }
    return CONLAB_OK;
}

/* One round: run libcurl's expired timer, or wait for hw's sockets or the
 * timer (never past `give_up`) and hand libcurl what happened.  Expired
 * timers are run without a wait at most TIMER_RUNS_MAX times in a row; then
 * one wait with a zero timeout lets a cooperative scheduler run the other
 * workers. */
static int step(struct http_worker *hw, const struct conlab_waiter *waiter,
                int64_t give_up, const char **reason)
{
    struct http_session *ss = hw->ss;
    int64_t now = http_now_ns();
    CURLMcode mc = CURLM_OK;
    if (now >= give_up) {
        *reason = "timeout";
        return CONLAB_E_TIMEDOUT;
    }
    bool expired = ss->timer_at >= 0 && ss->timer_at <= now;
    if (expired && hw->timer_runs < TIMER_RUNS_MAX) {
        int running;
        hw->timer_runs++;
        ss->timer_at = -1; /* acted on: gone until libcurl sets another */
        mc = curl_multi_socket_action(ss->multi, CURL_SOCKET_TIMEOUT, 0, &running);
        if (mc == CURLM_OK && ss->timer_at < 0)
            resync_timer(ss);
    } else {
        int64_t wait_ns = give_up - now;
        if (ss->timer_at >= 0 && ss->timer_at - now < wait_ns)
            wait_ns = expired ? 0 : ss->timer_at - now;
        hw->timer_runs = 0;
        int rc = wait_and_dispatch(hw, waiter, wait_ns, &mc);
        if (rc != CONLAB_OK) {
            *reason = rc == CONLAB_E_NOMEM ? "out of memory" : "wait failed";
            return rc;
        }
    }
    take_done(ss);
    if (mc != CURLM_OK) {
        *reason = curl_multi_strerror(mc);
        return CONLAB_E_TASK;
    }
    return CONLAB_OK;
}

/* Forget the sockets hw still holds in its session's table. */
static void release_fds(struct http_worker *hw)
{
    struct http_session *ss = hw->ss;
    for (unsigned i = 0; i < hw->n_fds; i++) {
        size_t fd = (size_t)hw->fds[i].fd;
        if (fd < ss->cap_owner && ss->owner[fd] == hw)
            ss->owner[fd] = NULL;
    }
    hw->n_fds = 0;
}

int http_perform(struct http_worker *hw, const struct conlab_waiter *waiter,
                 CURLcode *result, const char **reason)
{
    hw->body = 0;
    hw->errbuf[0] = '\0';
    hw->cb_failed = false;
    hw->done = false;
    hw->result = CURLE_OK;
    hw->timer_runs = 0;
    if (!(hw->ss = session_for(hw))) {
        *reason = "out of memory";
        return CONLAB_E_NOMEM;
    }
    CURLMcode mc = curl_multi_add_handle(hw->ss->multi, hw->easy);
    if (mc != CURLM_OK) {
        *reason = curl_multi_strerror(mc);
        return CONLAB_E_TASK;
    }
    int64_t give_up = http_now_ns() + hw->s->guard_ns;
    int rc = CONLAB_OK;
    while (rc == CONLAB_OK && !hw->done)
        rc = step(hw, waiter, give_up, reason);
    /* Detaching a finished transfer parks its connection in the session's
     * cache (kept alive); an unfinished one is aborted. */
    curl_multi_remove_handle(hw->ss->multi, hw->easy);
    release_fds(hw);
    if (rc == CONLAB_OK && hw->cb_failed) {
        *reason = "out of memory";
        rc = CONLAB_E_NOMEM;
    }
    *result = hw->result;
    return rc;
}

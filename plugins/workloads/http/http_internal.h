/*
 * http_internal.h — what the files of the http workload share (private).
 *
 *   http.c     parameters, create/destroy, workers, a task's verdict
 *   session.c  sessions: the libcurl multi handles transfers run on, one per
 *              thread shared by the workers that thread runs, and driving
 *              one transfer through the worker's waiter
 */
#ifndef CONLAB_HTTP_INTERNAL_H
#define CONLAB_HTTP_INTERNAL_H

#include <conlab/conlab_plugin.h>

#include <curl/curl.h>

#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#define PLUGIN_NAME "http"
#define STATUS_MIN 100
#define STATUS_MAX 599
#define NS_PER_S 1000000000LL
#define NS_PER_MS 1000000LL
#define FDS_MIN 4 /* a worker's first socket arrays */

struct http_url {
    char *url;        /* after the builtin: rewrite */
    int64_t want;     /* expected body bytes, or -1: not checked */
    long version;     /* CURLOPT_HTTP_VERSION for this URL */
};

enum http_method { METHOD_GET, METHOD_HEAD, METHOD_POST };

struct http_session;

struct http_state {
    const struct conlab_host_api *host;
    uint64_t id;      /* unique in the process: names this state's sessions */
    struct http_url *urls;
    size_t n_urls;
    enum http_method method;
    long timeout_ms, connect_timeout_ms;
    int64_t guard_ns;
    long expect_status;
    bool reuse, verify_tls;
    bool per_worker;  /* http2: one session per worker, never shared */
    bool curl_ready;  /* curl_global_init succeeded: cleanup owed */
    pthread_mutex_t lock;            /* guards `sessions` */
    struct http_session *sessions;   /* every session in use, for destroy */
    /* Made by create, before timing, so that a worker's start costs no
     * libcurl allocations: workers with a configured easy handle (http.c)
     * and sessions (session.c).  Taken by index; a taken slot is set to
     * NULL, destroy frees the rest.  A forked worker takes from its own
     * copy. */
    struct http_worker **spare_workers;
    struct http_session **spare_sessions;
    size_t n_spare_workers, n_spare_sessions;
    atomic_size_t next_worker, next_session;
    /* "HTTP %d" for every status, so a task's reason outlives the call. */
    char status_text[STATUS_MAX - STATUS_MIN + 1][sizeof "HTTP 599"];
};

/* One worker: its easy handle (reused for all its tasks) and the sockets its
 * current transfer has libcurl watch.  `fds` is kept by libcurl's socket
 * callback, which may run while this worker is parked (another worker of the
 * same session drove libcurl); the worker waits on `snap`, a copy it makes
 * itself before each wait, so the waiter never sees an array that moves. */
struct http_worker {
    const struct http_state *s;
    struct http_session *own;   /* the session it joined (per_worker: made) */
    struct http_session *ss;    /* the session of the transfer in progress */
    CURL *easy;
    struct pollfd *fds, *snap;
    unsigned n_fds, cap_fds, n_snap, cap_snap;
    unsigned timer_runs;        /* timer actions since the last wait */
    bool done;                  /* libcurl has finished the transfer */
    CURLcode result;            /* ... with this verdict */
    bool cb_failed;             /* a callback ran out of memory */
    uint64_t body;              /* body bytes of the current transfer */
    uint64_t requests, connects, failures;
    char errbuf[CURL_ERROR_SIZE];
};

static inline int64_t http_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * NS_PER_S + ts.tv_nsec;
}

/* http.c */

/* A new worker of s with its easy handle configured; NULL with *what (the
 * failed call) and *cc set, or with *cc CURLE_OUT_OF_MEMORY. */
struct http_worker *http_worker_new(const struct http_state *s,
                                    const char **what, CURLcode *cc);
void http_worker_free(struct http_worker *hw);

/* session.c */

/* Make up to `n` spare sessions for s (fewer when the open-file limit is
 * tight: each holds two descriptors).  Returns how many it made. */
size_t http_spare_sessions_make(struct http_state *s, size_t n);

/* Once per process, before any session: forget, in a forked child, the
 * sessions of the parent's thread. */
void http_sessions_prepare(void);

/* Run hw's configured easy handle to its end on the session of the calling
 * thread (hw's own under per_worker), waiting only through `waiter`.
 * Returns CONLAB_OK with libcurl's verdict in *result, or a failure of our
 * own with *reason. */
int http_perform(struct http_worker *hw, const struct conlab_waiter *waiter,
                 CURLcode *result, const char **reason);

/* Before hw is freed: its own session (per_worker) is cleaned up, its
 * connections closed; a shared one stays for http_sessions_destroy. */
void http_worker_sessions_fini(struct http_worker *hw);

/* Clean up every shared session s made in this process (its kept
 * connections close).  Every worker must have ended. */
void http_sessions_destroy(struct http_state *s);

#endif /* CONLAB_HTTP_INTERNAL_H */

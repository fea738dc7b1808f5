/* serve.c — `conlab serve`: a small HTTP/1.1 server on libmicrohttpd for
 * experiments to point their I/O workloads at (sized bodies, delays drawn from
 * a seeded distribution, status codes, resets mid-body, stalls), and the
 * handle that runs one as a child process.
 *
 * Two threading modes:
 *   per-connection (default)  one small-stack thread per connection; a delay
 *       is a ppoll() in the handler on the connection, which notices a client
 *       that hangs up, and the server stopping (MHD_stop_daemon shuts every
 *       connection's socket down before it joins the threads).
 *   pool  one epoll thread per CPU; a delayed request suspends its connection
 *       and a timer thread resumes it.  MHD does not watch a suspended
 *       connection, so the timer thread does: it polls the suspended sockets
 *       for EPOLLRDHUP and resumes a connection whose client hung up at once,
 *       to be closed (else a server at its fd limit would keep stalls of
 *       clients long gone in CLOSE_WAIT and refuse every new connection).
 * Measured on 2 cores (bench/serve-bench.sh: wrk -t2 -c2000, 100 ms delays,
 * quiet machine): per-connection p50 100.3 ms, p99 105-109 ms, 19.6k req/s at
 * ~0.55 core; pool p50 101.2 ms, p99 109-120 ms at ~0.28 core.  So the
 * default is per-connection; the pool leaves more CPU to the system under
 * test when the server shares its cores.
 */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "child.h"
#include "params.h" /* cl_parse_duration */
#include "util.h"

extern char **environ;

#define MAX_BODY ((uint64_t)1 << 30)       /* largest /bytes/N */
#define MAX_DELAY_S 3600.0                 /* longest delay, and /stall */
#define PATTERN_SPAN ((size_t)64 * 1024)   /* bodies up to this are static */
#define BLOCK_SIZE ((size_t)64 * 1024)     /* content reader block */
#define THREAD_STACK ((size_t)128 * 1024)  /* MHD threads (2,000 of them) */
/* MHD's per-connection memory pool, which it zeroes after every request:
 * 8 KiB rather than the default 32 took p99 at 2,000 delayed connections from
 * about 120 ms to 105-109 ms on 2 cores.  Request headers up to ~7 KiB fit
 * (beyond: 431). */
#define CONN_MEMORY ((size_t)8 * 1024)
#define IDLE_TIMEOUT_S 3600u               /* an idle keep-alive connection */
#define FD_RESERVE 64                      /* fds kept for everything else */
#define LISTEN_BACKLOG 4096
#define TIMER_TICK_NS 1000000u             /* pool mode: resume 1 ms apart */
#define SPAWN_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000

/* ------------------------------------------------------------------------ */
/* Bodies                                                                    */
/* ------------------------------------------------------------------------ */

/* The alphabet repeated: body byte k of /bytes/N is pattern[N % 26 + k]. */
static char pattern[PATTERN_SPAN + 26];
static pthread_once_t pattern_once = PTHREAD_ONCE_INIT;

static void pattern_init(void)
{
    for (size_t k = 0; k < sizeof pattern; k++)
        pattern[k] = (char)cl_serve_byte(0, k);
}

struct body {
    uint64_t n;     /* promised length (Content-Length) */
    uint64_t limit; /* bytes actually sent; < n for /reset */
};

static ssize_t read_body(void *cls, uint64_t pos, char *buf, size_t max)
{
    const struct body *b = cls;
    if (pos >= b->limit)
        return b->limit < b->n ? MHD_CONTENT_READER_END_WITH_ERROR
                               : MHD_CONTENT_READER_END_OF_STREAM;
    size_t len = max < PATTERN_SPAN ? max : PATTERN_SPAN;
    if (len > b->limit - pos)
        len = (size_t)(b->limit - pos);
    memcpy(buf, pattern + (b->n + pos) % 26, len);
    return (ssize_t)len;
}

/* n bytes promised, the first `limit` of them sent. */
static struct MHD_Response *body_response(uint64_t n, uint64_t limit)
{
    struct MHD_Response *r;
    if (limit == n && n <= PATTERN_SPAN) {
        r = MHD_create_response_from_buffer((size_t)n, pattern + n % 26,
                                            MHD_RESPMEM_PERSISTENT);
    } else {
        struct body *b = malloc(sizeof *b);
        if (!b)
            return NULL;
        *b = (struct body){n, limit};
        r = MHD_create_response_from_callback(n, BLOCK_SIZE, read_body, b, free);
        if (!r)
            free(b);
    }
    if (r && MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                                     "application/octet-stream") != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

static struct MHD_Response *text_response(const char *text, const char *type)
{
    struct MHD_Response *r = MHD_create_response_from_buffer(
        strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
    if (r && type &&
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type) != MHD_YES) {
        MHD_destroy_response(r);
        return NULL;
    }
    return r;
}

/* ------------------------------------------------------------------------ */
/* Requests                                                                  */
/* ------------------------------------------------------------------------ */

enum route_kind { R_BYTES, R_STATUS, R_RESET, R_STALL, R_STATS, R_NOT_FOUND,
                  R_BAD_REQUEST, R_BAD_METHOD };

struct route {
    enum route_kind kind;
    uint64_t n;       /* body length, or status code */
    double delay;     /* seconds, drawn */
    char why[160];    /* R_BAD_REQUEST */
};

static const char not_found_text[] =
    "not found; routes: /bytes/N /status/CODE /reset/N /stall /stats "
    "(query: delay=100ms dist=fixed|uniform|exponential i=K)\n";

/* Decimal digits only, no sign, at most max. */
static int parse_u64(const char *s, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (!*s)
        return -1;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return -1;
        unsigned d = (unsigned)(*s - '0');
        if (v > (max - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

static int bad(struct route *r, const char *fmt, const char *arg)
{
    r->kind = R_BAD_REQUEST;
    snprintf(r->why, sizeof r->why, fmt, arg);
    return -1;
}

/* The path part of the route; the delay is drawn separately. */
static int parse_path(const char *path, struct route *r)
{
    static const struct {
        const char *prefix;
        enum route_kind kind;
        uint64_t min, max;
        const char *what;
    } sized[] = {
        {"/bytes/", R_BYTES, 0, MAX_BODY, "/bytes/N wants N from 0 to 1073741824, not '%s'\n"},
        {"/reset/", R_RESET, 1, MAX_BODY, "/reset/N wants N from 1 to 1073741824, not '%s'\n"},
        {"/status/", R_STATUS, 100, 599, "/status/CODE wants a CODE from 100 to 599, not '%s'\n"},
    };
    for (size_t i = 0; i < sizeof sized / sizeof sized[0]; i++) {
        size_t len = strlen(sized[i].prefix);
        if (strncmp(path, sized[i].prefix, len) != 0)
            continue;
        const char *arg = path + len;
        if (parse_u64(arg, sized[i].max, &r->n) != 0 || r->n < sized[i].min)
            return bad(r, sized[i].what, arg);
        r->kind = sized[i].kind;
        return 0;
    }
    if (!strcmp(path, "/stall"))
        r->kind = R_STALL;
    else if (!strcmp(path, "/stats"))
        r->kind = R_STATS;
    else
        r->kind = R_NOT_FOUND;
    return 0;
}

/* splitmix64's finaliser: a good 64-bit mix. */
static uint64_t mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15u;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9u;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebu;
    return x ^ (x >> 31);
}

/* A uniform draw in [0, 1) from (seed, path, key). */
static double draw_unit(uint64_t seed, const char *path, uint64_t key)
{
    uint64_t x = mix64(mix64(seed) ^ cl_fnv1a64(path, strlen(path)));
    x = mix64(x ^ key);
    return (double)(x >> 11) * 0x1p-53;
}

struct conn; /* below */
static uint64_t conn_key(const struct conn *cn);

/* The query: delay=D, dist=..., i=K.  Fills r->delay; -1 makes r a 400. */
static int parse_query(struct MHD_Connection *c, uint64_t seed,
                       const struct conn *cn, const char *path, struct route *r)
{
    const char *delay = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "delay");
    const char *dist = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dist");
    const char *istr = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "i");
    double mean = 0;
    uint64_t i = 0;
    r->delay = 0;
    if (delay && (cl_parse_duration(delay, &mean) != 0 || mean > MAX_DELAY_S))
        return bad(r, "delay wants a duration up to 1h such as 100ms, 1.5s, "
                      "250us, not '%s'\n", delay);
    if (istr && parse_u64(istr, UINT64_MAX, &i) != 0)
        return bad(r, "i wants a whole number, not '%s'\n", istr);
    if (!dist || !strcmp(dist, "fixed")) {
        r->delay = mean;
        return 0;
    }
    /* With i, the draw depends on (seed, path, i) only; else on the
     * connection and its request count (conn_key sets the top bit). */
    double u = draw_unit(seed, path, istr ? i : conn_key(cn));
    if (!strcmp(dist, "uniform"))
        r->delay = 2 * mean * u;
    else if (!strcmp(dist, "exponential"))
        r->delay = -mean * log1p(-u);
    else
        return bad(r, "dist wants fixed, uniform or exponential, not '%s'\n", dist);
    if (r->delay > MAX_DELAY_S)
        r->delay = MAX_DELAY_S;
    return 0;
}

/* ------------------------------------------------------------------------ */
/* The server                                                                */
/* ------------------------------------------------------------------------ */

enum thread_mode { MODE_PER_CONNECTION, MODE_POOL };

/* Pool mode: suspended connections by deadline, a binary min-heap, and
 * their sockets in an epoll set that reports a client hanging up. */
struct timer {
    pthread_mutex_t lock; /* guards heap, len, cap, stop */
    struct conn **heap;
    size_t len, cap;
    int stop;
    int epfd;   /* the suspended sockets (EPOLLRDHUP) and wakefd */
    int wakefd; /* an eventfd: wakes the thread for a new deadline or stop */
    pthread_t thread;
};

struct server {
    struct MHD_Daemon *mhd;
    enum thread_mode mode;
    uint64_t seed;
    int verbose;
    atomic_int started;   /* after start-up MHD's messages need --verbose */
    atomic_int stopping;
    atomic_uint_fast64_t connections, requests, next_id;
    atomic_int_fast64_t active, suspended;
    struct timer timer;
};

/* One per connection (MHD's socket context).  MHD runs a connection's
 * requests one after another, so the request in progress lives here too. */
struct conn {
    struct MHD_Connection *mhd;
    int fd;
    uint64_t id, nreq;
    struct route route;  /* the request in progress */
    int waiting;         /* pool mode: suspended until deadline */
    int hung_up;         /* pool mode: resumed because the client hung up */
    uint64_t deadline;   /* CLOCK_MONOTONIC ns */
    size_t heap_index;   /* pool mode: its place in the timer heap */
};

static uint64_t conn_key(const struct conn *cn)
{
    return (UINT64_C(1) << 63) | (mix64(cn->id) ^ cn->nreq);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
                          enum MHD_ConnectionNotificationCode what)
{
    struct server *s = cls;
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        struct conn *cn = cl_xcalloc(1, sizeof *cn);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cn->mhd = c;
        cn->fd = ci ? ci->connect_fd : -1;
        cn->id = atomic_fetch_add(&s->next_id, 1);
        *ctx = cn;
        atomic_fetch_add(&s->connections, 1);
        atomic_fetch_add(&s->active, 1);
    } else if (what == MHD_CONNECTION_NOTIFY_CLOSED && *ctx) {
        const struct conn *cn = *ctx;
        if (cn->waiting) /* resumed, and closed without a call to the handler */
            atomic_fetch_sub(&s->suspended, 1);
        free(*ctx);
        *ctx = NULL;
        atomic_fetch_sub(&s->active, 1);
    }
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    const struct server *s = cls;
    if (atomic_load(&s->started) && !s->verbose)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    fprintf(stderr, "conlab serve: %s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
}

/* Per-connection mode: wait in the handler until `seconds` have passed.
 * 0 then; -1 if the client hung up or the server stopped first. */
static int wait_in_handler(const struct conn *cn, double seconds)
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
static int earlier(const struct conn *a, const struct conn *b)
{
    return a->deadline < b->deadline;
}

static void heap_set(struct timer *t, size_t i, struct conn *cn)
{
    t->heap[i] = cn;
    cn->heap_index = i;
}

static void heap_sift_up(struct timer *t, size_t i, struct conn *cn)
{
    while (i > 0 && earlier(cn, t->heap[(i - 1) / 2])) {
        heap_set(t, i, t->heap[(i - 1) / 2]);
        i = (i - 1) / 2;
    }
    heap_set(t, i, cn);
}

static void heap_sift_down(struct timer *t, size_t i, struct conn *cn)
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

static void heap_push(struct timer *t, struct conn *cn)
{
    if (t->len == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 256;
        t->heap = cl_xrealloc(t->heap, t->cap * sizeof *t->heap);
    }
    heap_sift_up(t, t->len++, cn);
}

/* Take the connection at index i out of the heap. */
static struct conn *heap_remove(struct timer *t, size_t i)
{
    struct conn *gone = t->heap[i], *last = t->heap[--t->len];
    if (i < t->len) {
        heap_sift_down(t, i, last);
        heap_sift_up(t, last->heap_index, last);
    }
    return gone;
}

/* Take cn out of the timer, and its socket out of the hang-up watch, before
 * it is resumed (after which MHD may close it and free cn).  Call with
 * t->lock held. */
static struct conn *timer_take(struct timer *t, struct conn *cn)
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
static int timer_sleep_ms(const struct timer *t, uint64_t now)
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
    struct timer *t = arg;
    struct conn *batch[256];
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
            struct conn *cn = ev[i].data.ptr;
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
static void timer_wake(struct timer *t)
{
    uint64_t one = 1;
    if (write(t->wakefd, &one, sizeof one) < 0 && errno != EAGAIN)
        cl_log(CONLAB_LOG_WARN, "serve", "waking the timer: %s", strerror(errno));
}

/* Queue a suspended connection and watch its client for a hang-up; resumes
 * it at once if the timer stopped. */
static void timer_add(struct timer *t, struct conn *cn)
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

static int timer_start(struct timer *t, char *err, size_t errlen)
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
static void timer_stop(struct timer *t)
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

static void timer_fini(struct timer *t)
{
    free(t->heap);
    close(t->epfd);
    close(t->wakefd);
    pthread_mutex_destroy(&t->lock);
}

/* ------------------------------------------------------------------------ */
/* The handler                                                               */
/* ------------------------------------------------------------------------ */

static struct conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static struct MHD_Response *make_response(struct server *s, const struct route *r,
                                          unsigned *code)
{
    char text[192];
    *code = MHD_HTTP_OK;
    switch (r->kind) {
    case R_BYTES:
        return body_response(r->n, r->n);
    case R_RESET:
        return body_response(r->n, r->n / 2);
    case R_STATUS:
        *code = (unsigned)r->n;
        /* 1xx, 204 and 304 carry no body. */
        if (r->n < 200 || r->n == 204 || r->n == 304)
            return text_response("", NULL);
        snprintf(text, sizeof text, "%u %s\n", *code, MHD_get_reason_phrase_for(*code));
        return text_response(text, "text/plain");
    case R_STATS:
        snprintf(text, sizeof text,
                 "{\"connections\": %" PRIuFAST64 ", \"requests\": %" PRIuFAST64
                 ", \"active\": %" PRIdFAST64 "}\n",
                 atomic_load(&s->connections), atomic_load(&s->requests),
                 atomic_load(&s->active));
        return text_response(text, "application/json");
    case R_NOT_FOUND:
        *code = MHD_HTTP_NOT_FOUND;
        return text_response(not_found_text, "text/plain");
    case R_BAD_REQUEST:
        *code = MHD_HTTP_BAD_REQUEST;
        return text_response(r->why, "text/plain");
    case R_BAD_METHOD: {
        *code = MHD_HTTP_METHOD_NOT_ALLOWED;
        struct MHD_Response *resp = text_response("only GET and HEAD\n", "text/plain");
        if (resp && MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
                                            "GET, HEAD") != MHD_YES) {
            MHD_destroy_response(resp);
            return NULL;
        }
        return resp;
    }
    case R_STALL:
        break;
    }
    return NULL;
}

static enum MHD_Result answer(struct server *s, struct MHD_Connection *c,
                              const struct conn *cn, const char *method,
                              const char *url)
{
    unsigned code;
    atomic_fetch_add(&s->requests, 1); /* before /stats reads it */
    struct MHD_Response *r = make_response(s, &cn->route, &code);
    if (!r)
        return MHD_NO;
    enum MHD_Result ok = MHD_queue_response(c, code, r);
    MHD_destroy_response(r);
    if (s->verbose)
        fprintf(stderr, "conlab serve: #%" PRIu64 ".%" PRIu64 " %s %s -> %u after %.6f s\n",
                cn->id, cn->nreq, method, url, code, cn->route.delay);
    return ok;
}

/* Pool mode: park the connection until its deadline. */
static enum MHD_Result suspend_until(struct server *s, struct MHD_Connection *c,
                                     struct conn *cn, double seconds)
{
    cn->deadline = cl_now_ns() + (uint64_t)(seconds * 1e9);
    cn->waiting = 1;
    cn->hung_up = 0;
    atomic_fetch_add(&s->suspended, 1);
    MHD_suspend_connection(c); /* before the timer can see it */
    timer_add(&s->timer, cn);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct server *s = cls;
    struct conn *cn = conn_of(c);
    (void)version;
    (void)upload;
    if (!cn)
        return MHD_NO;
    if (!*req_cls) { /* the headers are in; wait for the (empty) body */
        *req_cls = cn;
        cn->nreq++;
        cn->waiting = 0;
        return MHD_YES;
    }
    if (*upload_size) { /* a request body is read and ignored */
        *upload_size = 0;
        return MHD_YES;
    }
    if (cn->waiting) { /* pool mode: resumed by the timer (or the stop) */
        cn->waiting = 0;
        atomic_fetch_sub(&s->suspended, 1);
        if (cn->route.kind == R_STALL || cn->hung_up || atomic_load(&s->stopping))
            return MHD_NO;
        return answer(s, c, cn, method, url);
    }

    struct route *r = &cn->route;
    r->delay = 0;
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        r->kind = R_BAD_METHOD;
    else if (parse_path(url, r) == 0)
        parse_query(c, s->seed, cn, url, r);
    double wait = r->kind == R_STALL ? MAX_DELAY_S : r->delay;
    if (wait > 0) {
        if (s->mode == MODE_POOL)
            return suspend_until(s, c, cn, wait);
        if (wait_in_handler(cn, wait) != 0 || r->kind == R_STALL)
            return MHD_NO;
    }
    return answer(s, c, cn, method, url);
}

/* ------------------------------------------------------------------------ */
/* Start and stop                                                            */
/* ------------------------------------------------------------------------ */

struct serve_opts {
    unsigned port;
    const char *host;
    enum thread_mode mode;
    uint64_t seed;
    int quiet, verbose, until_eof;
};

/* RLIMIT_NOFILE up to its hard limit; returns the soft limit now in force. */
static rlim_t raise_nofile(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_NOFILE, &r) != 0)
        return 1024;
    if (r.rlim_cur < r.rlim_max) {
        rlim_t want = r.rlim_max == RLIM_INFINITY ? (rlim_t)1 << 20 : r.rlim_max;
        struct rlimit n = {want, r.rlim_max};
        if (setrlimit(RLIMIT_NOFILE, &n) == 0)
            r.rlim_cur = want;
    }
    return r.rlim_cur;
}

/* "http://ADDR:PORT" for a bound socket. */
static int base_url(int fd, char *url, size_t len, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    char host[INET6_ADDRSTRLEN], port[8];
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) != 0) {
        snprintf(err, errlen, "getsockname: %s", strerror(errno));
        return -1;
    }
    int rc = getnameinfo((struct sockaddr *)&ss, sl, host, sizeof host, port,
                         sizeof port, NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) {
        snprintf(err, errlen, "getnameinfo: %s", gai_strerror(rc));
        return -1;
    }
    int v6 = ss.ss_family == AF_INET6;
    snprintf(url, len, "http://%s%s%s:%s", v6 ? "[" : "", host, v6 ? "]" : "", port);
    return 0;
}

/* A listening socket on host:port.  Returns the fd, or -1 (2 if the host is
 * not an address or known name) with a message in err. */
static int open_listener(const char *host, unsigned port, int *usage,
                         char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
                             .ai_socktype = SOCK_STREAM};
    struct addrinfo *res;
    char service[8];
    snprintf(service, sizeof service, "%u", port);
    int rc = getaddrinfo(host, service, &hints, &res);
    *usage = rc == EAI_NONAME;
    if (rc != 0) {
        snprintf(err, errlen, "--host %s: %s", host, gai_strerror(rc));
        return -1;
    }
    int fd = -1, saved = 0;
    for (struct addrinfo *a = res; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            saved = errno;
            continue;
        }
        int one = 1;
        if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
            bind(fd, a->ai_addr, a->ai_addrlen) != 0 ||
            listen(fd, LISTEN_BACKLOG) != 0) {
            saved = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(res);
    if (fd < 0)
        snprintf(err, errlen, "cannot listen on %s port %u: %s", host, port,
                 strerror(saved));
    return fd;
}

static struct MHD_Daemon *start_mhd(struct server *s, int listen_fd, rlim_t nofile)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem extra[] = {{MHD_OPTION_END, 0, NULL},
                                     {MHD_OPTION_END, 0, NULL}};
    if (s->mode == MODE_PER_CONNECTION) {
        flags |= MHD_USE_THREAD_PER_CONNECTION | MHD_USE_POLL;
    } else {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        flags |= MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME;
        if (ncpu > 1)
            extra[0] = (struct MHD_OptionItem){MHD_OPTION_THREAD_POOL_SIZE,
                                               (intptr_t)ncpu, NULL};
    }
    rlim_t limit = nofile > 2 * FD_RESERVE ? nofile - FD_RESERVE : FD_RESERVE;
    if (limit > UINT32_MAX / 2)
        limit = UINT32_MAX / 2;
    return MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, s,
        MHD_OPTION_EXTERNAL_LOGGER, log_mhd, s,
        MHD_OPTION_LISTEN_SOCKET, listen_fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)limit,
        MHD_OPTION_CONNECTION_TIMEOUT, IDLE_TIMEOUT_S,
        MHD_OPTION_THREAD_STACK_SIZE, THREAD_STACK,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, CONN_MEMORY,
        MHD_OPTION_NOTIFY_CONNECTION, on_connection, s,
        MHD_OPTION_ARRAY, extra,
        MHD_OPTION_END);
}

/* Stop: release every waiting request, then let MHD close and join. */
static void stop_server(struct server *s)
{
    atomic_store(&s->stopping, 1);
    if (s->mode == MODE_POOL) {
        /* MHD must not be stopped with connections suspended. */
        timer_stop(&s->timer);
        uint64_t until = cl_now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u;
        while (atomic_load(&s->suspended) > 0 && cl_now_ns() < until)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    if (s->mode == MODE_POOL)
        timer_fini(&s->timer);
}

/* Block until SIGINT/SIGTERM (on sfd) or, if watch_stdin, EOF on stdin.
 * Returns what stopped us. */
static const char *wait_for_stop(int sfd, int watch_stdin)
{
    struct pollfd p[2] = {{sfd, POLLIN, 0}, {STDIN_FILENO, POLLIN, 0}};
    for (;;) {
        if (poll(p, watch_stdin ? 2 : 1, -1) < 0) {
            if (errno == EINTR)
                continue;
            return "poll failed";
        }
        if (p[0].revents) {
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) != (ssize_t)sizeof si)
                return "a signal";
            return si.ssi_signo == SIGINT ? "SIGINT" : "SIGTERM";
        }
        if (watch_stdin && p[1].revents) {
            char buf[4096];
            ssize_t n = read(STDIN_FILENO, buf, sizeof buf);
            if (n == 0 || (n < 0 && errno != EINTR && errno != EAGAIN))
                return "end of stdin";
        }
    }
}

/* SIGINT and SIGTERM, blocked in every thread (MHD's inherit the mask),
 * arrive on the returned signalfd; SIGPIPE is ignored.  They stay blocked
 * when serve() returns: the command is the last thing the process does, and a
 * second Ctrl-C, or a SIGTERM racing the stdin EOF, must not turn a clean stop
 * into a death by signal. */
static int take_signals(char *err, size_t errlen)
{
    struct sigaction dfl = {.sa_handler = SIG_DFL}, ign = {.sa_handler = SIG_IGN};
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaction(SIGINT, &dfl, NULL); /* an inherited SIG_IGN would drop them */
    sigaction(SIGTERM, &dfl, NULL);
    sigaction(SIGPIPE, &ign, NULL);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    int fd = signalfd(-1, &set, SFD_CLOEXEC);
    if (fd < 0)
        snprintf(err, errlen, "signalfd: %s", strerror(errno));
    return fd;
}

static int serve(const struct serve_opts *o)
{
    struct server s = {.mode = o->mode, .seed = o->seed, .verbose = o->verbose};
    char err[512], url[96];
    int status = 1, usage = 0, sfd = -1, lfd = -1, timer_on = 0;

    pthread_once(&pattern_once, pattern_init);
    rlim_t nofile = raise_nofile();
    sfd = take_signals(err, sizeof err);
    if (sfd < 0)
        goto fail;
    lfd = open_listener(o->host, o->port, &usage, err, sizeof err);
    if (lfd < 0 || base_url(lfd, url, sizeof url, err, sizeof err) != 0)
        goto fail;
    if (s.mode == MODE_POOL) {
        if (timer_start(&s.timer, err, sizeof err) != 0)
            goto fail;
        timer_on = 1;
    }
    s.mhd = start_mhd(&s, lfd, nofile);
    if (!s.mhd) {
        snprintf(err, sizeof err, "libmicrohttpd could not start");
        goto fail;
    }
    lfd = -1; /* MHD closes it */
    timer_on = 0;
    atomic_store(&s.started, 1);
    if (printf("%s\n", url) < 0 || fflush(stdout) != 0) {
        snprintf(err, sizeof err, "cannot write the URL to stdout: %s", strerror(errno));
        stop_server(&s);
        goto fail;
    }
    if (!o->quiet)
        fprintf(stderr, "conlab serve: listening on %s (%s threads); "
                        "Ctrl-C stops; try %s/bytes/10\n", url,
                o->mode == MODE_POOL ? "pool" : "per-connection", url);
    const char *why = wait_for_stop(sfd, o->until_eof);
    stop_server(&s);
    if (!o->quiet)
        fprintf(stderr, "conlab serve: stopped (%s) after %" PRIuFAST64
                        " connections, %" PRIuFAST64 " requests\n",
                why, atomic_load(&s.connections), atomic_load(&s.requests));
    status = 0;
    goto out;
fail:
    fprintf(stderr, "conlab serve: %s\n", err);
    status = usage ? 2 : 1;
    if (timer_on) {
        timer_stop(&s.timer);
        timer_fini(&s.timer);
    }
out:
    if (lfd >= 0)
        close(lfd);
    if (sfd >= 0)
        close(sfd);
    return status;
}

/* ------------------------------------------------------------------------ */
/* The command                                                               */
/* ------------------------------------------------------------------------ */

static const char serve_usage[] =
    "usage: conlab serve [--port N] [--host ADDR] [--threads per-connection|pool]\n"
    "                    [--seed S] [--quiet] [--verbose] [--until-stdin-eof]\n";

static const char serve_help[] =
    "\n"
    "A small HTTP/1.1 server to point I/O workloads at: bodies of any size,\n"
    "delays drawn from a seeded distribution, status codes, resets mid-body and\n"
    "stalls.  It prints its base URL as the first line on stdout, then serves\n"
    "until Ctrl-C (SIGINT) or SIGTERM.  Nothing is logged per request unless\n"
    "--verbose.\n"
    "\n"
    "options:\n"
    "  -p, --port N          port to listen on; 0 (the default) picks a free one\n"
    "  -H, --host ADDR       address to listen on (default 127.0.0.1; ::1 works)\n"
    "  -t, --threads MODE    per-connection (default): a small thread per\n"
    "                        connection, which sleeps for the delay;\n"
    "                        pool: an epoll thread per CPU, delays on a timer\n"
    "  -s, --seed S          seed of the delay draws (default 0)\n"
    "  -q, --quiet           no start and stop lines on stderr\n"
    "  -v, --verbose         one line per request on stderr\n"
    "      --until-stdin-eof also stop when stdin reaches its end (so a parent\n"
    "                        that dies takes the server with it)\n"
    "\n"
    "routes (GET or HEAD; anything else is a 404 listing them):\n"
    "  /bytes/N       N bytes (up to 1073741824), Content-Length N: the alphabet\n"
    "                 from letter N mod 26 on, so /bytes/3 is \"def\"\n"
    "  /status/CODE   status CODE (100..599) with a one-line body (none for 1xx,\n"
    "                 204, 304; a 1xx leaves most clients waiting for more)\n"
    "  /reset/N       Content-Length N, but the connection closes after N/2\n"
    "                 bytes: a reset mid-body\n"
    "  /stall         never answers (closed when the client hangs up, the server\n"
    "                 stops, or after an hour)\n"
    "  /stats         {\"connections\": accepted, \"requests\": answered (this one\n"
    "                 too), \"active\": open now}\n"
    "query, on any route:\n"
    "  delay=D        answer after D: 100ms, 1.5s, 250us, 10ns, or bare seconds;\n"
    "                 at most 1h\n"
    "  dist=DIST      fixed (D exactly, the default), uniform (on [0, 2D]) or\n"
    "                 exponential (mean D)\n"
    "  i=K            draw the delay from (seed, path, K), so task K gets the\n"
    "                 same delay every run; without i, from the connection and\n"
    "                 its request count\n"
    "\n"
    "examples:\n"
    "  conlab serve --port 8080 &\n"
    "  curl -s http://127.0.0.1:8080/bytes/10                  # klmnopqrst\n"
    "  curl -s -o /dev/null -w '%{time_total}\\n' \\\n"
    "       'http://127.0.0.1:8080/bytes/100?delay=100ms'      # about 0.100\n"
    "  curl -si 'http://127.0.0.1:8080/status/503?delay=1s&dist=exponential&i=7'\n"
    "  curl -s --max-time 1 http://127.0.0.1:8080/stall        # times out\n"
    "  curl -s http://127.0.0.1:8080/stats\n"
    "  wrk -c2000 -d10s --latency 'http://127.0.0.1:8080/bytes/100?delay=100ms'\n";

#define USAGE_ERROR(...)                                                    \
    do {                                                                    \
        fprintf(stderr, "conlab serve: " __VA_ARGS__);                      \
        fputs("\n", stderr);                                                \
        fputs(serve_usage, stderr);                                         \
        status = 2;                                                         \
        goto done;                                                          \
    } while (0)

int cl_cmd_serve(int argc, char **argv)
{
    enum { OPT_UNTIL_EOF = 256 };
    static const struct option opts[] = {
        {"port", required_argument, NULL, 'p'},
        {"host", required_argument, NULL, 'H'},
        {"threads", required_argument, NULL, 't'},
        {"seed", required_argument, NULL, 's'},
        {"quiet", no_argument, NULL, 'q'},
        {"verbose", no_argument, NULL, 'v'},
        {"until-stdin-eof", no_argument, NULL, OPT_UNTIL_EOF},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    struct serve_opts o = {.host = "127.0.0.1", .mode = MODE_PER_CONNECTION};
    uint64_t v;
    int c, status = 0, saved_opterr = opterr;

    optind = 0; /* full getopt reset: we may be called more than once */
    opterr = 0; /* we print our own messages */
    while ((c = getopt_long(argc, argv, ":p:H:t:s:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (parse_u64(optarg, 65535, &v) != 0)
                USAGE_ERROR("--port wants a number from 0 to 65535, not '%s'", optarg);
            o.port = (unsigned)v;
            break;
        case 'H':
            o.host = optarg;
            break;
        case 't':
            if (!strcmp(optarg, "per-connection"))
                o.mode = MODE_PER_CONNECTION;
            else if (!strcmp(optarg, "pool"))
                o.mode = MODE_POOL;
            else
                USAGE_ERROR("--threads wants per-connection or pool, not '%s'", optarg);
            break;
        case 's':
            if (parse_u64(optarg, UINT64_MAX, &o.seed) != 0)
                USAGE_ERROR("--seed wants a whole number, not '%s'", optarg);
            break;
        case 'q':
            o.quiet = 1;
            break;
        case 'v':
            o.verbose = 1;
            break;
        case OPT_UNTIL_EOF:
            o.until_eof = 1;
            break;
        case 'h':
            fputs(serve_usage, stdout);
            fputs(serve_help, stdout);
            goto done;
        case ':':
            USAGE_ERROR("option '%s' needs a value", argv[optind - 1]);
        default:
            USAGE_ERROR("unknown option '%s' (see conlab serve --help)",
                        argv[optind - 1]);
        }
    }
    if (optind < argc)
        USAGE_ERROR("unexpected argument '%s'", argv[optind]);
    status = serve(&o);
done:
    opterr = saved_opterr;
    return status;
}

/* ------------------------------------------------------------------------ */
/* A server as a child process                                               */
/* ------------------------------------------------------------------------ */

struct cl_server {
    pid_t pid;
    int in_fd; /* the write end of its stdin: EOF there stops it */
    char url[96];
};

static void close_fd(int *fd)
{
    if (*fd >= 0)
        close(*fd);
    *fd = -1;
}

static int spawn_serve(const char *exe, uint64_t seed, int in_fd, int out_fd,
                       pid_t *pid, char *err, size_t errlen)
{
    char seedstr[24];
    snprintf(seedstr, sizeof seedstr, "%" PRIu64, seed);
    char *const args[] = {(char *)exe, "serve", "--port", "0", "--quiet",
                          "--until-stdin-eof", "--seed", seedstr, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, dfl;
    sigemptyset(&none);
    sigemptyset(&dfl);
    sigaddset(&dfl, SIGINT);
    sigaddset(&dfl, SIGTERM);
    sigaddset(&dfl, SIGPIPE);
    int rc = posix_spawn_file_actions_init(&fa);
    if (rc == 0) {
        rc = posix_spawnattr_init(&attr);
        if (rc == 0) {
            if (!(rc = posix_spawn_file_actions_adddup2(&fa, in_fd, STDIN_FILENO)) &&
                !(rc = posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO)) &&
                /* A long-lived server must not hold the runner's files. */
                !(rc = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1)) &&
                !(rc = posix_spawnattr_setsigmask(&attr, &none)) &&
                !(rc = posix_spawnattr_setsigdefault(&attr, &dfl)) &&
                !(rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK |
                                                           POSIX_SPAWN_SETSIGDEF)))
                rc = posix_spawn(pid, exe, &fa, &attr, args, environ);
            posix_spawnattr_destroy(&attr);
        }
        posix_spawn_file_actions_destroy(&fa);
    }
    if (rc != 0)
        snprintf(err, errlen, "cannot run %s serve: %s", exe, strerror(rc));
    return rc ? -1 : 0;
}

/* Read one line (without its '\n') from fd within timeout_ms. */
static int read_line(int fd, char *line, size_t len, int timeout_ms,
                     char *err, size_t errlen)
{
    uint64_t until = cl_now_ns() + (uint64_t)timeout_ms * 1000000u;
    size_t have = 0;
    for (;;) {
        uint64_t now = cl_now_ns();
        if (now >= until) {
            snprintf(err, errlen, "did not print its URL within %d ms", timeout_ms);
            return -1;
        }
        struct pollfd p = {fd, POLLIN, 0};
        int n = poll(&p, 1, (int)((until - now + 999999) / 1000000));
        if (n < 0 && errno != EINTR) {
            snprintf(err, errlen, "poll: %s", strerror(errno));
            return -1;
        }
        if (n <= 0)
            continue;
        ssize_t got = read(fd, line + have, len - 1 - have);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0) {
            snprintf(err, errlen, "exited before printing its URL%s%s",
                     got < 0 ? ": " : "", got < 0 ? strerror(errno) : "");
            return -1;
        }
        have += (size_t)got;
        line[have] = '\0';
        char *nl = memchr(line, '\n', have);
        if (nl) {
            *nl = '\0';
            return 0;
        }
        if (have == len - 1) {
            snprintf(err, errlen, "printed an overlong first line");
            return -1;
        }
    }
}

/* Wait up to timeout_ms for pid to exit.  1 reaped (status set), 0 still
 * running, -1 already gone (not our child any more). */
static int reap(pid_t pid, int timeout_ms, int *status)
{
    const struct cl_child_watch w = {
        cl_now_ns() + (uint64_t)timeout_ms * 1000000u, 0, NULL};
    struct cl_child_exit ex;
    enum cl_child_end end = cl_child_wait_until(pid, &w, &ex);
    *status = ex.status;
    return end == CL_CHILD_EXITED ? 1 : end == CL_CHILD_TIMEOUT ? 0 : -1;
}

/* SIGTERM, then SIGKILL after timeout_ms; reaped.  The exit status, or -1. */
static int end_child(pid_t pid, int timeout_ms)
{
    int st = 0;
    kill(pid, SIGTERM);
    int r = reap(pid, timeout_ms, &st);
    if (r == 0) {
        cl_log(CONLAB_LOG_WARN, "serve", "server %d ignored SIGTERM for %d ms; killing it",
               (int)pid, timeout_ms);
        kill(pid, SIGKILL);
        r = reap(pid, 60000, &st);
    }
    return r == 1 ? st : -1;
}

int cl_server_spawn(struct cl_server **out, const char *exe, uint64_t seed,
                    char *err, size_t errlen)
{
    int in[2] = {-1, -1}, outp[2] = {-1, -1};
    pid_t pid = -1;
    char line[96], why[256];
    *out = NULL;
    if (pipe2(in, O_CLOEXEC) != 0 || pipe2(outp, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "cannot start a server: pipe: %s", strerror(errno));
        goto fail;
    }
    if (spawn_serve(exe, seed, in[0], outp[1], &pid, err, errlen) != 0)
        goto fail;
    close_fd(&in[0]);
    close_fd(&outp[1]);
    if (read_line(outp[0], line, sizeof line, SPAWN_TIMEOUT_MS, why, sizeof why) != 0)
        goto fail_child;
    if (strncmp(line, "http://", 7) != 0) {
        snprintf(why, sizeof why, "printed '%s', not a URL", line);
        goto fail_child;
    }
    close_fd(&outp[0]);
    struct cl_server *s = cl_xcalloc(1, sizeof *s);
    s->pid = pid;
    s->in_fd = in[1];
    snprintf(s->url, sizeof s->url, "%s", line);
    *out = s;
    return 0;

fail_child:
    {
        int st = end_child(pid, 1000);
        char how[64] = "";
        if (st >= 0 && WIFEXITED(st))
            snprintf(how, sizeof how, " (exit status %d)", WEXITSTATUS(st));
        else if (st >= 0 && WIFSIGNALED(st))
            snprintf(how, sizeof how, " (killed by signal %d)", WTERMSIG(st));
        snprintf(err, errlen, "%s serve %s%s", exe, why, how);
    }
fail:
    close_fd(&in[0]);
    close_fd(&in[1]);
    close_fd(&outp[0]);
    close_fd(&outp[1]);
    return -1;
}

const char *cl_server_url(const struct cl_server *s)
{
    return s->url;
}

pid_t cl_server_pid(const struct cl_server *s)
{
    return s->pid;
}

void cl_server_stop(struct cl_server *s)
{
    if (!s)
        return;
    int st = end_child(s->pid, STOP_TIMEOUT_MS);
    close_fd(&s->in_fd);
    if (st >= 0 && !(WIFEXITED(st) && WEXITSTATUS(st) == 0))
        cl_log(CONLAB_LOG_WARN, "serve", "server %d ended with %s %d", (int)s->pid,
               WIFEXITED(st) ? "exit status" : "signal",
               WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    free(s);
}

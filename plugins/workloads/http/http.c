/* http — real HTTP requests over libcurl, on keep-alive sessions.
 *
 * Task i fetches urls[i % n] and returns the number of body bytes received.
 * Each worker owns one easy handle, reused for all its tasks; its transfers
 * run on the session (multi handle and connection cache) of the thread that
 * runs them, shared by every worker of that thread (session.c).  So with
 * `reuse: true` connections stay alive between a thread's tasks, like a
 * requests.Session per thread or an aiohttp connector per event loop.
 * create() makes the first workers' easy handles and the first sessions
 * before timing (spares), so starting a worker measures the strategy, not
 * libcurl's allocations.
 *
 * The request never blocks inside libcurl: a task drives the multi *socket*
 * interface and waits only through the worker's waiter (session.c).  So the
 * same code blocks under threads and processes and yields under a
 * cooperative strategy.
 *
 * A URL starting with "builtin:" names a route of the host's built-in server:
 * the prefix is replaced with env->builtin_url.  For builtin /bytes/N and
 * /reset/N routes the expected value of a task is N (0 for HEAD); an explicit
 * expect_bytes overrides it; otherwise values are not checked.
 *
 * Proxies from the environment (http_proxy, ...) are ignored: an experiment
 * must measure the same path wherever it runs.
 */
#define _GNU_SOURCE
#include "http_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BUILTIN_PREFIX "builtin:"
/* A task that libcurl has not ended by its own timeout plus this much is
 * abandoned by us: run_task can never hang, whatever libcurl does. */
#define GUARD_GRACE_NS (2 * NS_PER_S)
/* At most this many spare workers and sessions made by create.  A spare
 * session a strategy does not use (coroutines: one thread runs 64 workers
 * a session) costs ~45 us before timing and two descriptors; measured with
 * 160 GETs in flight, the sessions saved `threads`(160) 6-8 ms of its ~100
 * and the workers saved `coroutines`(160) ~8 ms of its ~83. */
#define SPARES_MAX 1024
#define SPARE_SESSIONS_MAX 256

/* ------------------------------------------------------------------------ */
/* Configuration and state                                                   */
/* ------------------------------------------------------------------------ */

struct http_config {
    struct conlab_string_list urls;
    const char *method;
    double timeout;
    double connect_timeout;
    int reuse;
    int64_t expect_status;
    int64_t expect_bytes;
    int verify_tls;
    int http2;
};

static const struct conlab_param http_params[] = {
    {"urls", CONLAB_PARAM_STRING_LIST, "[builtin:/bytes/10282]", 0, 0, NULL,
     "URLs cycled over the tasks (task i fetches urls[i % n]); "
     "builtin:/path is a route of the host's built-in server",
     offsetof(struct http_config, urls)},
    {"method", CONLAB_PARAM_ENUM, "GET", 0, 0, "GET|HEAD|POST",
     "request method (POST sends an empty body)",
     offsetof(struct http_config, method)},
    {"timeout", CONLAB_PARAM_DURATION, "10s", 0.001, 86400, NULL,
     "limit of each request, connection included",
     offsetof(struct http_config, timeout)},
    {"connect_timeout", CONLAB_PARAM_DURATION, "5s", 0.001, 86400, NULL,
     "limit of each connection attempt",
     offsetof(struct http_config, connect_timeout)},
    {"reuse", CONLAB_PARAM_BOOL, "true", 0, 0, NULL,
     "keep connections alive between tasks, in the session (libcurl multi "
     "handle) of the worker's thread; false: a fresh connection per request",
     offsetof(struct http_config, reuse)},
    {"expect_status", CONLAB_PARAM_INT, "200", STATUS_MIN, STATUS_MAX, NULL,
     "any other HTTP status fails the task (reason \"HTTP <status>\")",
     offsetof(struct http_config, expect_status)},
    {"expect_bytes", CONLAB_PARAM_INT, "-1", -1, 1e15, NULL,
     "body bytes every task must return; -1: N for builtin /bytes/N, else unchecked",
     offsetof(struct http_config, expect_bytes)},
    {"verify_tls", CONLAB_PARAM_BOOL, "true", 0, 0, NULL,
     "verify the server's certificate and name (https)",
     offsetof(struct http_config, verify_tls)},
    {"http2", CONLAB_PARAM_BOOL, "false", 0, 0, NULL,
     "HTTP/2: negotiated by ALPN over https, prior knowledge over http",
     offsetof(struct http_config, http2)},
    CONLAB_PARAM_END};

/* ------------------------------------------------------------------------ */
/* Small helpers                                                             */
/* ------------------------------------------------------------------------ */

CONLAB_PRINTF(3, 4)
static void hlog(const struct conlab_host_api *h, int level, const char *fmt, ...)
{
    if (!h || !h->log)
        return;
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    h->log(level, PLUGIN_NAME, "%s", buf);
}

static long seconds_to_ms(double s)
{
    double ms = s * 1e3 + 0.5;
    return ms < 1 ? 1 : (long)ms;
}

/* The host's built-in server URL, when the host is new enough to say. */
static const char *env_builtin_url(const struct conlab_workload_env *env)
{
    size_t end = offsetof(struct conlab_workload_env, builtin_url) +
                 sizeof env->builtin_url;
    return env->struct_size >= end ? env->builtin_url : NULL;
}

/* ------------------------------------------------------------------------ */
/* create / destroy / expected                                               */
/* ------------------------------------------------------------------------ */

/* N of a builtin "/bytes/N" or "/reset/N" route (query allowed), else -1. */
static int64_t builtin_route_bytes(const char *path)
{
    static const char *const routes[] = {"/bytes/", "/reset/"};
    for (size_t r = 0; r < sizeof routes / sizeof routes[0]; r++) {
        size_t len = strlen(routes[r]);
        if (strncmp(path, routes[r], len) != 0)
            continue;
        const char *p = path + len;
        if (*p < '0' || *p > '9')
            return -1;
        errno = 0;
        char *end;
        unsigned long long n = strtoull(p, &end, 10);
        if (errno || n > INT64_MAX || (*end && *end != '?' && *end != '#'))
            return -1;
        return (int64_t)n;
    }
    return -1;
}

/* Checks `url` with libcurl's own parser; only http and https are allowed.
 * Sets *https. */
static int check_url(const struct http_state *s, size_t i, const char *url,
                     bool *https)
{
    CURLU *u = curl_url();
    if (!u)
        return CONLAB_E_NOMEM;
    int rc = CONLAB_OK;
    char *scheme = NULL;
    CURLUcode uc = curl_url_set(u, CURLUPART_URL, url, 0);
    if (uc == CURLUE_OK)
        uc = curl_url_get(u, CURLUPART_SCHEME, &scheme, 0);
    if (uc != CURLUE_OK) {
        hlog(s->host, CONLAB_LOG_ERROR, "urls[%zu] \"%s\": %s", i, url,
             curl_url_strerror(uc));
        rc = CONLAB_E_INVAL;
    } else if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0) {
        hlog(s->host, CONLAB_LOG_ERROR,
             "urls[%zu] \"%s\": scheme %s is not http or https", i, url, scheme);
        rc = CONLAB_E_INVAL;
    } else {
        *https = strcmp(scheme, "https") == 0;
    }
    curl_free(scheme);
    curl_url_cleanup(u);
    return rc;
}

/* libcurl before 8.0.0 breaks every request after the first on a reused
 * HTTP/2 prior-knowledge (h2c) connection: "Error in the HTTP2 framing
 * layer" (https://github.com/curl/curl/issues/10634). */
static bool h2c_reuse_works(void)
{
    return curl_version_info(CURLVERSION_NOW)->version_num >= 0x080000;
}

static int add_url(struct http_state *s, const struct http_config *c,
                   const char *builtin, size_t i, bool http2)
{
    const char *given = c->urls.v[i];
    struct http_url *u = &s->urls[i];
    size_t plen = strlen(BUILTIN_PREFIX);
    bool is_builtin = strncmp(given, BUILTIN_PREFIX, plen) == 0;

    u->want = -1;
    if (is_builtin) {
        if (!builtin) {
            hlog(s->host, CONLAB_LOG_ERROR,
                 "urls[%zu] \"%s\" needs the host's built-in server, but none "
                 "was started (env->builtin_url is NULL)", i, given);
            return CONLAB_E_INVAL;
        }
        if (asprintf(&u->url, "%s%s", builtin, given + plen) < 0) {
            u->url = NULL;
            return CONLAB_E_NOMEM;
        }
        int64_t n = builtin_route_bytes(given + plen);
        if (n >= 0)
            u->want = s->method == METHOD_HEAD ? 0 : n;
    } else if (!(u->url = strdup(given))) {
        return CONLAB_E_NOMEM;
    }
    if (c->expect_bytes >= 0)
        u->want = c->expect_bytes;

    bool https = false;
    int rc = check_url(s, i, u->url, &https);
    if (rc != CONLAB_OK)
        return rc;
    if (http2 && !https && s->reuse && !h2c_reuse_works()) {
        hlog(s->host, CONLAB_LOG_ERROR,
             "urls[%zu] \"%s\": HTTP/2 with prior knowledge over a reused "
             "connection fails in libcurl %s (curl issue #10634, fixed in "
             "8.0.0); use https, or reuse: false", i, u->url,
             curl_version_info(CURLVERSION_NOW)->version);
        return CONLAB_E_NOTSUP;
    }
    u->version = !http2 ? CURL_HTTP_VERSION_1_1
                 : https ? CURL_HTTP_VERSION_2TLS
                         : CURL_HTTP_VERSION_2_PRIOR_KNOWLEDGE;
    return CONLAB_OK;
}

static void http_destroy(void *state)
{
    struct http_state *s = state;
    if (!s)
        return;
    for (size_t i = 0; s->spare_workers && i < s->n_spare_workers; i++)
        http_worker_free(s->spare_workers[i]); /* NULL: taken */
    free(s->spare_workers);
    http_sessions_destroy(s);
    pthread_mutex_destroy(&s->lock);
    for (size_t i = 0; s->urls && i < s->n_urls; i++)
        free(s->urls[i].url);
    free(s->urls);
    if (s->curl_ready)
        curl_global_cleanup();
    free(s);
}

static int init_curl(struct http_state *s, bool http2)
{
    CURLcode cc = curl_global_init(CURL_GLOBAL_DEFAULT);
    if (cc != CURLE_OK) {
        hlog(s->host, CONLAB_LOG_ERROR, "curl_global_init: %s",
             curl_easy_strerror(cc));
        return CONLAB_E_SYS;
    }
    s->curl_ready = true;
    const curl_version_info_data *v = curl_version_info(CURLVERSION_NOW);
    if (http2 && !(v->features & CURL_VERSION_HTTP2)) {
        hlog(s->host, CONLAB_LOG_ERROR,
             "http2: true, but this libcurl (%s) was built without HTTP/2",
             v->version);
        return CONLAB_E_NOTSUP;
    }
    return CONLAB_OK;
}

static int make_spare_workers(struct http_state *s, size_t n);

static int http_create(const struct conlab_workload_env *env, const void *config,
                       void **state)
{
    const struct http_config *c = config;
    static _Atomic uint64_t next_id = 1;
    struct http_state *s = calloc(1, sizeof *s);
    if (!s)
        return CONLAB_E_NOMEM;
    if (pthread_mutex_init(&s->lock, NULL) != 0) {
        free(s);
        return CONLAB_E_SYS;
    }
    http_sessions_prepare();
    s->id = atomic_fetch_add(&next_id, 1);
    s->per_worker = c->http2;
    s->host = env->host;
    s->method = strcmp(c->method, "HEAD") == 0   ? METHOD_HEAD
                : strcmp(c->method, "POST") == 0 ? METHOD_POST
                                                 : METHOD_GET;
    s->timeout_ms = seconds_to_ms(c->timeout);
    s->connect_timeout_ms = seconds_to_ms(c->connect_timeout);
    s->guard_ns = (int64_t)s->timeout_ms * NS_PER_MS + GUARD_GRACE_NS;
    s->expect_status = (long)c->expect_status;
    s->reuse = c->reuse;
    s->verify_tls = c->verify_tls;
    for (int code = STATUS_MIN; code <= STATUS_MAX; code++)
        snprintf(s->status_text[code - STATUS_MIN],
                 sizeof s->status_text[0], "HTTP %d", code);

    int rc = init_curl(s, c->http2);
    if (rc == CONLAB_OK && c->urls.n == 0) {
        hlog(s->host, CONLAB_LOG_ERROR, "%s: urls is empty", env->cell);
        rc = CONLAB_E_INVAL;
    }
    if (rc == CONLAB_OK && !(s->urls = calloc(c->urls.n, sizeof *s->urls)))
        rc = CONLAB_E_NOMEM;
    if (rc == CONLAB_OK)
        s->n_urls = c->urls.n;
    const char *builtin = env_builtin_url(env);
    for (size_t i = 0; rc == CONLAB_OK && i < s->n_urls; i++)
        rc = add_url(s, c, builtin, i, c->http2);
    /* Spares: one per worker that will run a task, up to a bound. */
    uint64_t busy = env->n_tasks < env->n_workers ? env->n_tasks : env->n_workers;
    size_t spares = busy < SPARES_MAX ? (size_t)busy : SPARES_MAX;
    if (rc == CONLAB_OK)
        rc = make_spare_workers(s, spares);
    if (rc == CONLAB_OK)
        (void)http_spare_sessions_make(
            s, spares < SPARE_SESSIONS_MAX ? spares : SPARE_SESSIONS_MAX);
    if (rc != CONLAB_OK) {
        http_destroy(s);
        return rc;
    }
    *state = s;
    return CONLAB_OK;
}

static int http_expected(void *state, uint64_t index, uint64_t *value)
{
    const struct http_state *s = state;
    int64_t want = s->urls[index % s->n_urls].want;
    if (want < 0)
        return CONLAB_E_NOTSUP;
    *value = (uint64_t)want;
    return CONLAB_OK;
}

/* ------------------------------------------------------------------------ */
/* libcurl callbacks                                                         */
/* ------------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *userp)
{
    (void)data;
    struct http_worker *hw = userp;
    hw->body += (uint64_t)size * nmemb;
    return size * nmemb;
}

/* ------------------------------------------------------------------------ */
/* Workers                                                                   */
/* ------------------------------------------------------------------------ */

#define SETOPT(h, opt, val)                                                    \
    do {                                                                       \
        if (rc == CURLE_OK && (rc = curl_easy_setopt(h, opt, val)) != CURLE_OK) \
            *what = #opt;                                                      \
    } while (0)

static CURLcode configure_easy(struct http_worker *hw, const char **what)
{
    const struct http_state *s = hw->s;
    CURL *e = hw->easy;
    CURLcode rc = CURLE_OK;
    SETOPT(e, CURLOPT_NOSIGNAL, 1L);
    SETOPT(e, CURLOPT_PRIVATE, (void *)hw);
    SETOPT(e, CURLOPT_WRITEFUNCTION, on_body);
    SETOPT(e, CURLOPT_WRITEDATA, (void *)hw);
    SETOPT(e, CURLOPT_ERRORBUFFER, hw->errbuf);
    SETOPT(e, CURLOPT_TIMEOUT_MS, s->timeout_ms);
    SETOPT(e, CURLOPT_CONNECTTIMEOUT_MS, s->connect_timeout_ms);
    SETOPT(e, CURLOPT_PROXY, "");
    SETOPT(e, CURLOPT_USERAGENT, "conlab-http/1.0");
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85.0 */
    SETOPT(e, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    SETOPT(e, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    SETOPT(e, CURLOPT_SSL_VERIFYPEER, s->verify_tls ? 1L : 0L);
    SETOPT(e, CURLOPT_SSL_VERIFYHOST, s->verify_tls ? 2L : 0L);
    if (!s->reuse) {
        SETOPT(e, CURLOPT_FRESH_CONNECT, 1L);
        SETOPT(e, CURLOPT_FORBID_REUSE, 1L);
    }
    switch (s->method) {
    case METHOD_HEAD: SETOPT(e, CURLOPT_NOBODY, 1L); break;
    case METHOD_POST:
        SETOPT(e, CURLOPT_POST, 1L);
        SETOPT(e, CURLOPT_POSTFIELDSIZE, 0L);
        SETOPT(e, CURLOPT_POSTFIELDS, "");
        break;
    case METHOD_GET: SETOPT(e, CURLOPT_HTTPGET, 1L); break;
    }
    return rc;
}

void http_worker_free(struct http_worker *hw)
{
    if (!hw)
        return;
    http_worker_sessions_fini(hw); /* no transfer holds the easy handle */
    if (hw->easy)
        curl_easy_cleanup(hw->easy);
    free(hw->fds);
    free(hw->snap);
    free(hw);
}

struct http_worker *http_worker_new(const struct http_state *s,
                                    const char **what, CURLcode *cc)
{
    struct http_worker *hw = calloc(1, sizeof *hw);
    *what = "curl_easy_init";
    *cc = CURLE_OUT_OF_MEMORY;
    if (!hw)
        return NULL;
    hw->s = s;
    hw->fds = calloc(FDS_MIN, sizeof *hw->fds);
    hw->snap = calloc(FDS_MIN, sizeof *hw->snap);
    hw->cap_fds = hw->fds ? FDS_MIN : 0;
    hw->cap_snap = hw->snap ? FDS_MIN : 0;
    if (!(hw->easy = curl_easy_init())) {
        http_worker_free(hw);
        return NULL;
    }
    *what = "curl_easy_setopt";
    if ((*cc = configure_easy(hw, what)) != CURLE_OK) {
        http_worker_free(hw);
        return NULL;
    }
    return hw;
}

/* Spare workers for the first `n` worker_inits (see http_state).  Made
 * here, on the host's thread before timing: ~10 KiB of libcurl's per
 * handle, written once, that a worker's start would otherwise fault in. */
static int make_spare_workers(struct http_state *s, size_t n)
{
    if (n == 0)
        return CONLAB_OK;
    if (!(s->spare_workers = calloc(n, sizeof *s->spare_workers)))
        return CONLAB_E_NOMEM;
    for (size_t i = 0; i < n; i++) {
        const char *what;
        CURLcode cc;
        if (!(s->spare_workers[i] = http_worker_new(s, &what, &cc))) {
            s->n_spare_workers = i;
            hlog(s->host, CONLAB_LOG_ERROR, "%s: %s", what,
                 curl_easy_strerror(cc));
            return cc == CURLE_OUT_OF_MEMORY ? CONLAB_E_NOMEM : CONLAB_E_NOTSUP;
        }
    }
    s->n_spare_workers = n;
    return CONLAB_OK;
}

static int http_worker_init(void *state, const struct conlab_worker *w,
                            void **wctx)
{
    struct http_state *s = state;
    size_t k = atomic_fetch_add_explicit(&s->next_worker, 1,
                                         memory_order_relaxed);
    if (k < s->n_spare_workers) {
        *wctx = s->spare_workers[k];
        s->spare_workers[k] = NULL; /* ours now: destroy skips it */
        return CONLAB_OK;
    }
    const char *what;
    CURLcode cc;
    struct http_worker *hw = http_worker_new(s, &what, &cc);
    if (!hw) {
        if (cc == CURLE_OUT_OF_MEMORY)
            return CONLAB_E_NOMEM;
        hlog(w->host, CONLAB_LOG_ERROR, "worker %u: %s: %s", w->id, what,
             curl_easy_strerror(cc));
        return CONLAB_E_NOTSUP;
    }
    *wctx = hw;
    return CONLAB_OK;
}

static void http_worker_fini(void *state, const struct conlab_worker *w,
                             void *wctx)
{
    (void)state;
    struct http_worker *hw = wctx;
    if (!hw)
        return;
    hlog(w->host, CONLAB_LOG_DEBUG,
         "worker %u: %" PRIu64 " requests (%" PRIu64 " failed) over %" PRIu64
         " connections", w->id, hw->requests, hw->failures, hw->connects);
    http_worker_free(hw);
}

static const char *connect_reason(long os_errno)
{
    switch (os_errno) {
    case ECONNREFUSED: return "connection refused";
    case ENETUNREACH: return "network unreachable";
    case EHOSTUNREACH: return "host unreachable";
    case ETIMEDOUT: return "timeout";
    default: return "connect failed";
    }
}

static bool was_reset(const struct http_worker *hw, long os_errno)
{
    return os_errno == ECONNRESET || os_errno == EPIPE ||
           strstr(hw->errbuf, "Connection reset") != NULL;
}

/* Turns libcurl's verdict into the task's status and reason. */
static int classify(const struct http_worker *hw, CURLcode cc, long status,
                    const char **reason)
{
    long os_errno = 0;
    curl_easy_getinfo(hw->easy, CURLINFO_OS_ERRNO, &os_errno);
    switch (cc) {
    case CURLE_OK:
        if (status == hw->s->expect_status)
            return CONLAB_OK;
        *reason = status >= STATUS_MIN && status <= STATUS_MAX
                      ? hw->s->status_text[status - STATUS_MIN]
                      : "HTTP status out of range";
        return CONLAB_E_PROTO;
    case CURLE_COULDNT_CONNECT:
        *reason = connect_reason(os_errno);
        return CONLAB_E_CONN;
    case CURLE_OPERATION_TIMEDOUT:
        *reason = "timeout";
        return CONLAB_E_TIMEDOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
        *reason = "DNS failure";
        return CONLAB_E_CONN;
    case CURLE_RECV_ERROR:
    case CURLE_SEND_ERROR:
        *reason = was_reset(hw, os_errno) ? "connection reset"
                                           : curl_easy_strerror(cc);
        return CONLAB_E_CONN;
    case CURLE_PARTIAL_FILE:
        *reason = "short body";
        return CONLAB_E_PROTO;
    case CURLE_GOT_NOTHING:
        *reason = "empty reply";
        return CONLAB_E_PROTO;
    case CURLE_PEER_FAILED_VERIFICATION:
        *reason = "TLS verification failed";
        return CONLAB_E_CONN;
    case CURLE_SSL_CONNECT_ERROR:
        *reason = "TLS handshake failed";
        return CONLAB_E_CONN;
    default:
        *reason = curl_easy_strerror(cc);
        return CONLAB_E_TASK;
    }
}

static int http_run_task(void *state, void *wctx, const struct conlab_worker *w,
                         uint64_t index, struct conlab_task_result *res)
{
    const struct http_state *s = state;
    struct http_worker *hw = wctx;
    const struct http_url *u = &s->urls[index % s->n_urls];
    const char *reason = NULL;
    CURLcode cc = CURLE_OK;
    int rc = CONLAB_OK;

    if (curl_easy_setopt(hw->easy, CURLOPT_URL, u->url) != CURLE_OK ||
        curl_easy_setopt(hw->easy, CURLOPT_HTTP_VERSION, u->version) != CURLE_OK) {
        reason = "curl_easy_setopt failed";
        rc = CONLAB_E_NOMEM;
    } else {
        rc = http_perform(hw, w->waiter, &cc, &reason);
    }

    long status = 0, connects = 0;
    curl_easy_getinfo(hw->easy, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(hw->easy, CURLINFO_NUM_CONNECTS, &connects);
    if (rc == CONLAB_OK)
        rc = classify(hw, cc, status, &reason);

    hw->requests++;
    hw->connects += (uint64_t)(connects > 0 ? connects : 0);
    res->bytes = hw->body;
    res->value = hw->body;
    res->code = (int32_t)status;
    if (rc != CONLAB_OK) {
        res->reason = reason ? reason : "failed";
        if (hw->failures++ == 0) /* the first one in full, not a flood */
            hlog(w->host, CONLAB_LOG_DEBUG, "worker %u: task %" PRIu64 " %s: %s (%s)",
                 w->id, index, u->url, res->reason,
                 hw->errbuf[0] ? hw->errbuf : curl_easy_strerror(cc));
    }
    return rc;
}

/* ------------------------------------------------------------------------ */
/* The descriptor                                                            */
/* ------------------------------------------------------------------------ */

static const struct conlab_workload_ops http_ops = {
    .struct_size = sizeof(struct conlab_workload_ops),
    .create = http_create,
    .destroy = http_destroy,
    .worker_init = http_worker_init,
    .worker_fini = http_worker_fini,
    .run_task = http_run_task,
    .expected = http_expected,
};

static const struct conlab_plugin http_plugin = {
    CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD),
    .name = "http",
    .summary = "HTTP requests over libcurl, keep-alive sessions per thread",
    .version = "1.0",
    .params = http_params,
    .config_size = sizeof(struct http_config),
    .workload = &http_ops,
};

CONLAB_PLUGIN_DEFINE(http_plugin)

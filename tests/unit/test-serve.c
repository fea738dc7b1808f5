/* test-serve.c — `conlab serve` over plain sockets: bodies, status codes,
 * delays, resets, stalls, keep-alive accounting, that a server started
 * with cl_server_spawn always goes away, and (`test-serve fd-limit`) that
 * clients hanging up mid-wait do not use up a server's fds. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "serve.h"

#define CONLAB CONLAB_BINARY_DIR "/conlab"

extern char **environ;

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* ------------------------------------------------------------------------ */
/* A tiny HTTP/1.1 client                                                    */
/* ------------------------------------------------------------------------ */

struct client {
    int fd;
    char buf[8192]; /* bytes read past the last response */
    size_t len;
};

struct response {
    int status;
    long long content_length; /* -1 if absent */
    char *body;               /* NUL-terminated, malloc'd */
    size_t got;               /* body bytes received */
    int complete;             /* got == content_length */
};

static unsigned short port_of(const char *url)
{
    const char *colon = strrchr(url, ':');
    assert_non_null(colon);
    return (unsigned short)atoi(colon + 1);
}

static void client_open(struct client *c, const char *url, double timeout_s)
{
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port_of(url))};
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    c->len = 0;
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(c->fd >= 0);
    struct timeval tv = {(time_t)timeout_s, (long)((timeout_s - (time_t)timeout_s) * 1e6)};
    assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv), 0);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&a, sizeof a), 0);
}

static void client_close(struct client *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void send_request(struct client *c, const char *method, const char *path)
{
    char req[512];
    int n = snprintf(req, sizeof req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                     method, path);
    assert_int_equal(write(c->fd, req, (size_t)n), n);
}

/* More bytes into c->buf: >0 read, 0 EOF, -1 error (errno: EAGAIN on the
 * receive timeout, ECONNRESET on a reset). */
static ssize_t fill(struct client *c)
{
    if (c->len == sizeof c->buf)
        return -1;
    ssize_t n;
    do
        n = read(c->fd, c->buf + c->len, sizeof c->buf - c->len);
    while (n < 0 && errno == EINTR);
    if (n > 0)
        c->len += (size_t)n;
    return n;
}

static void consume(struct client *c, size_t n)
{
    memmove(c->buf, c->buf + n, c->len - n);
    c->len -= n;
}

/* Read one response.  0 if complete; -1 if the connection ended (or timed
 * out) first, with what arrived in r. */
static int read_response(struct client *c, int head, struct response *r)
{
    char *end;
    memset(r, 0, sizeof *r);
    r->content_length = -1;
    r->body = calloc(1, 1);
    assert_non_null(r->body);
    while (!(end = memmem(c->buf, c->len, "\r\n\r\n", 4)))
        if (fill(c) <= 0)
            return -1;
    size_t hlen = (size_t)(end - c->buf) + 4;
    char *headers = strndup(c->buf, hlen);
    assert_non_null(headers);
    consume(c, hlen);
    assert_int_equal(sscanf(headers, "HTTP/1.1 %d", &r->status), 1);
    char *cl = strcasestr(headers, "\r\nContent-Length:");
    if (cl)
        r->content_length = atoll(cl + 17);
    free(headers);
    if (head || r->content_length <= 0) {
        r->complete = 1;
        return 0;
    }
    free(r->body);
    r->body = malloc((size_t)r->content_length + 1);
    assert_non_null(r->body);
    while (r->got < (size_t)r->content_length) {
        if (c->len == 0 && fill(c) <= 0)
            break;
        size_t take = c->len;
        if (take > (size_t)r->content_length - r->got)
            take = (size_t)r->content_length - r->got;
        memcpy(r->body + r->got, c->buf, take);
        r->got += take;
        consume(c, take);
    }
    r->body[r->got] = '\0';
    r->complete = r->got == (size_t)r->content_length;
    return r->complete ? 0 : -1;
}

static void response_free(struct response *r)
{
    free(r->body);
    r->body = NULL;
}

/* One request on a fresh connection. */
static int get(const char *url, const char *method, const char *path,
               struct response *r)
{
    struct client c;
    client_open(&c, url, 10);
    send_request(&c, method, path);
    int rc = read_response(&c, !strcmp(method, "HEAD"), r);
    client_close(&c);
    return rc;
}

/* ------------------------------------------------------------------------ */
/* Running conlab serve by hand (for what cl_server_spawn does not cover)    */
/* ------------------------------------------------------------------------ */

struct child {
    pid_t pid;
    int in_w, out_r; /* its stdin (write end), its stdout (read end) */
};

/* Runs argv with pipes on its stdin and stdout; stderr to /dev/null if quiet. */
static void child_start(struct child *ch, char *const argv[], int quiet)
{
    int in[2], out[2];
    assert_int_equal(pipe2(in, O_CLOEXEC), 0);
    assert_int_equal(pipe2(out, O_CLOEXEC), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, in[0], 0);
    posix_spawn_file_actions_adddup2(&fa, out[1], 1);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    assert_int_equal(posix_spawn(&ch->pid, argv[0], &fa, NULL, argv, environ), 0);
    posix_spawn_file_actions_destroy(&fa);
    close(in[0]);
    close(out[1]);
    ch->in_w = in[1];
    ch->out_r = out[0];
}

/* Its first stdout line, within 5 s. */
static void child_line(struct child *ch, char *line, size_t len)
{
    size_t have = 0;
    while (have < len - 1) {
        struct pollfd p = {ch->out_r, POLLIN, 0};
        assert_int_equal(poll(&p, 1, 5000), 1);
        ssize_t n = read(ch->out_r, line + have, 1);
        assert_int_equal(n, 1);
        if (line[have] == '\n')
            break;
        have++;
    }
    line[have] = '\0';
}

/* Its exit status, waiting at most timeout_s; fails the test if it runs on
 * (and kills it). */
static int child_wait(struct child *ch, double timeout_s)
{
    int st;
    double until = now_s() + timeout_s;
    while (waitpid(ch->pid, &st, WNOHANG) == 0) {
        if (now_s() > until) {
            kill(ch->pid, SIGKILL);
            waitpid(ch->pid, &st, 0);
            fail_msg("conlab serve (pid %d) still running after %.1f s", (int)ch->pid,
                     timeout_s);
        }
        usleep(2000);
    }
    if (ch->in_w >= 0)
        close(ch->in_w);
    close(ch->out_r);
    return st;
}

/* Closes its stdin: a server started with --until-stdin-eof must then exit 0
 * within 5 s. */
static void child_ends_at_eof(struct child *ch)
{
    close(ch->in_w);
    ch->in_w = -1;
    int st = child_wait(ch, 5);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

static int run_status(char *const argv[])
{
    struct child ch;
    child_start(&ch, argv, 1);
    close(ch.in_w);
    ch.in_w = -1;
    int st = child_wait(&ch, 10);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

/* ------------------------------------------------------------------------ */
/* Tests on a shared server                                                  */
/* ------------------------------------------------------------------------ */

static int server_up(void **state)
{
    struct cl_server *s;
    char err[512];
    if (cl_server_spawn(&s, CONLAB, 42, err, sizeof err) != 0) {
        fprintf(stderr, "cl_server_spawn: %s\n", err);
        return -1;
    }
    *state = s;
    return 0;
}

static int server_down(void **state)
{
    cl_server_stop(*state);
    return 0;
}

static const char *url_of(void **state)
{
    return cl_server_url(*state);
}

static void spawn_prints_a_loopback_url(void **state)
{
    const char *url = url_of(state);
    assert_int_equal(strncmp(url, "http://127.0.0.1:", 17), 0);
    assert_true(port_of(url) > 0);
    assert_null(strchr(url, '\n'));
}

static void bytes_10_is_exact(void **state)
{
    struct response r;
    assert_int_equal(get(url_of(state), "GET", "/bytes/10", &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, 10);
    assert_string_equal(r.body, "klmnopqrst");
    response_free(&r);
}

static void bytes_0_is_empty(void **state)
{
    struct response r;
    assert_int_equal(get(url_of(state), "GET", "/bytes/0", &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, 0);
    assert_int_equal(r.got, 0);
    response_free(&r);
}

static void large_bodies_are_streamed_exactly(void **state)
{
    const uint64_t n = 3000001; /* beyond the static span: the reader callback */
    struct response r;
    assert_int_equal(get(url_of(state), "GET", "/bytes/3000001", &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, (long long)n);
    for (uint64_t k = 0; k < n; k++)
        if ((unsigned char)r.body[k] != cl_serve_byte(n, k))
            fail_msg("byte %llu is '%c', not '%c'", (unsigned long long)k, r.body[k],
                     cl_serve_byte(n, k));
    response_free(&r);
}

static void head_sends_headers_only_and_keeps_alive(void **state)
{
    struct client c;
    struct response r;
    client_open(&c, url_of(state), 10);
    send_request(&c, "HEAD", "/bytes/100000");
    assert_int_equal(read_response(&c, 1, &r), 0);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, 100000);
    response_free(&r);
    /* No body followed: the next response on the connection parses. */
    send_request(&c, "GET", "/bytes/3");
    assert_int_equal(read_response(&c, 0, &r), 0);
    assert_string_equal(r.body, "def");
    response_free(&r);
    client_close(&c);
}

static void status_codes(void **state)
{
    struct response r;
    assert_int_equal(get(url_of(state), "GET", "/status/503", &r), 0);
    assert_int_equal(r.status, 503);
    assert_string_equal(r.body, "503 Service Unavailable\n");
    response_free(&r);
    assert_int_equal(get(url_of(state), "GET", "/status/418", &r), 0);
    assert_int_equal(r.status, 418);
    response_free(&r);
    assert_int_equal(get(url_of(state), "GET", "/status/204", &r), 0);
    assert_int_equal(r.status, 204);
    assert_int_equal(r.got, 0);
    response_free(&r);
}

static void unknown_routes_are_404_listing_the_routes(void **state)
{
    struct response r;
    assert_int_equal(get(url_of(state), "GET", "/nope", &r), 0);
    assert_int_equal(r.status, 404);
    assert_non_null(strstr(r.body, "/bytes/N"));
    assert_non_null(strstr(r.body, "/stats"));
    assert_non_null(strchr(r.body, '\n'));
    assert_ptr_equal(strchr(r.body, '\n'), r.body + r.got - 1); /* one line */
    response_free(&r);
}

static void bad_requests_are_400_or_405(void **state)
{
    static const char *const bad[] = {
        "/bytes/x", "/bytes/1073741825", "/bytes/-1", "/status/99", "/status/600",
        "/reset/0", "/bytes/1?delay=abc", "/bytes/1?delay=2h",
        "/bytes/1?delay=1ms&dist=normal", "/bytes/1?i=-3",
    };
    struct response r;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(get(url_of(state), "GET", bad[i], &r), 0);
        if (r.status != 400)
            fail_msg("%s: status %d, not 400", bad[i], r.status);
        response_free(&r);
    }
    assert_int_equal(get(url_of(state), "DELETE", "/bytes/1", &r), 0);
    assert_int_equal(r.status, 405);
    response_free(&r);
}

static double timed_get(const char *url, const char *path)
{
    struct response r;
    double t0 = now_s();
    assert_int_equal(get(url, "GET", path, &r), 0);
    double dt = now_s() - t0;
    assert_int_equal(r.status, 200);
    response_free(&r);
    return dt;
}

static void delay_waits_before_answering(void **state)
{
    double dt = timed_get(url_of(state), "/bytes/100?delay=100ms");
    assert_true(dt >= 0.100);
    assert_true(dt < 5);
    dt = timed_get(url_of(state), "/bytes/1?delay=0.05"); /* bare seconds */
    assert_true(dt >= 0.050);
    dt = timed_get(url_of(state), "/bytes/1?delay=50000us");
    assert_true(dt >= 0.050);
}

/* With i=K the delay depends on (seed, path, K) only: the same K waits the
 * same on any connection, different Ks differ (uniform on [0, 400 ms]). */
static void delays_are_reproducible_per_i(void **state)
{
    double lo = 1e9, hi = 0;
    for (int i = 1; i <= 4; i++) {
        char path[96];
        snprintf(path, sizeof path, "/bytes/1?delay=200ms&dist=uniform&i=%d", i);
        double a = timed_get(url_of(state), path);
        double b = timed_get(url_of(state), path);
        if (a - b > 0.04 || b - a > 0.04)
            fail_msg("i=%d waited %.3f s, then %.3f s", i, a, b);
        lo = a < lo ? a : lo;
        hi = a > hi ? a : hi;
        assert_true(a < 0.5);
    }
    assert_true(hi - lo > 0.08);
}

static void reset_closes_mid_body(void **state)
{
    struct response r;
    assert_int_equal(get(url_of(state), "GET", "/reset/1000", &r), -1);
    assert_int_equal(r.status, 200);
    assert_int_equal(r.content_length, 1000);
    assert_false(r.complete);
    assert_true(r.got < 1000);
    for (size_t k = 0; k < r.got; k++)
        assert_int_equal((unsigned char)r.body[k], cl_serve_byte(1000, k));
    response_free(&r);
}

static void stall_never_answers(void **state)
{
    struct client c;
    client_open(&c, url_of(state), 0.3);
    send_request(&c, "GET", "/stall");
    double t0 = now_s();
    ssize_t n = fill(&c);
    assert_int_equal(n, -1);
    assert_true(errno == EAGAIN || errno == EWOULDBLOCK);
    assert_true(now_s() - t0 >= 0.29);
    assert_int_equal(c.len, 0);
    client_close(&c);
}

/* ------------------------------------------------------------------------ */
/* Tests with their own server                                               */
/* ------------------------------------------------------------------------ */

static void stats_count_keepalive_as_one_connection(void **state)
{
    (void)state;
    struct cl_server *s;
    char err[512];
    assert_int_equal(cl_server_spawn(&s, CONLAB, 1, err, sizeof err), 0);
    struct client c;
    struct response r;
    client_open(&c, cl_server_url(s), 10);
    for (int i = 0; i < 2; i++) {
        send_request(&c, "GET", "/bytes/10");
        assert_int_equal(read_response(&c, 0, &r), 0);
        assert_string_equal(r.body, "klmnopqrst");
        response_free(&r);
    }
    send_request(&c, "GET", "/stats");
    assert_int_equal(read_response(&c, 0, &r), 0);
    assert_int_equal(r.status, 200);
    unsigned long long conns, reqs, active;
    assert_int_equal(sscanf(r.body, "{\"connections\": %llu, \"requests\": %llu, "
                                    "\"active\": %llu}", &conns, &reqs, &active), 3);
    assert_int_equal(conns, 1);
    assert_int_equal(reqs, 3); /* two, and this one */
    assert_int_equal(active, 1);
    response_free(&r);
    client_close(&c);
    cl_server_stop(s);
}

/* Stopping ends waiting requests too, reaps the server, and is quick. */
static void stop_leaves_no_process_behind(void **state)
{
    (void)state;
    struct cl_server *s;
    char err[512];
    assert_int_equal(cl_server_spawn(&s, CONLAB, 1, err, sizeof err), 0);
    pid_t pid = cl_server_pid(s);
    struct client stalled, delayed;
    client_open(&stalled, cl_server_url(s), 10);
    client_open(&delayed, cl_server_url(s), 10);
    send_request(&stalled, "GET", "/stall");
    send_request(&delayed, "GET", "/bytes/1?delay=30s");
    usleep(100000); /* both are waiting in the server now */
    double t0 = now_s();
    cl_server_stop(s);
    assert_true(now_s() - t0 < 3);
    assert_int_equal(kill(pid, 0), -1);
    assert_int_equal(errno, ESRCH);
    /* The clients see their connections end, with no answer. */
    assert_true(fill(&stalled) <= 0 && stalled.len == 0);
    assert_true(fill(&delayed) <= 0 && delayed.len == 0);
    client_close(&stalled);
    client_close(&delayed);
    cl_server_stop(NULL);
}

static void spawn_reports_a_missing_binary(void **state)
{
    (void)state;
    struct cl_server *s = (void *)1;
    char err[512] = "";
    assert_int_equal(cl_server_spawn(&s, "/nonexistent/conlab", 1, err, sizeof err), -1);
    assert_null(s);
    assert_non_null(strstr(err, "/nonexistent/conlab"));
}

static void server_exits_when_stdin_closes(void **state)
{
    (void)state;
    char *const argv[] = {CONLAB, "serve", "--port", "0", "--quiet",
                          "--until-stdin-eof", NULL};
    struct child ch;
    char url[128];
    child_start(&ch, argv, 0);
    child_line(&ch, url, sizeof url);
    assert_int_equal(strncmp(url, "http://127.0.0.1:", 17), 0);
    struct response r;
    assert_int_equal(get(url, "GET", "/bytes/2", &r), 0); /* it serves */
    assert_string_equal(r.body, "cd");
    response_free(&r);
    child_ends_at_eof(&ch);
}

static void sigterm_is_a_clean_stop(void **state)
{
    (void)state;
    char *const argv[] = {CONLAB, "serve", "--port", "0", "--quiet", NULL};
    struct child ch;
    char url[128];
    child_start(&ch, argv, 0);
    child_line(&ch, url, sizeof url);
    kill(ch.pid, SIGTERM);
    int st = child_wait(&ch, 5);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
}

/* Stop requests that race (stdin EOF, then SIGTERMs while it stops) must
 * still end in a clean exit, not a death by the second signal. */
static void racing_stop_requests_still_exit_0(void **state)
{
    (void)state;
    char *const argv[] = {CONLAB, "serve", "--port", "0", "--quiet",
                          "--until-stdin-eof", NULL};
    for (int round = 0; round < 5; round++) {
        struct child ch;
        char url[128];
        child_start(&ch, argv, 0);
        child_line(&ch, url, sizeof url);
        close(ch.in_w);
        ch.in_w = -1;
        for (int i = 0; i < 100; i++) { /* over the few ms a stop takes */
            usleep(50);
            kill(ch.pid, SIGTERM);
        }
        int st = child_wait(&ch, 5);
        if (!WIFEXITED(st))
            fail_msg("round %d: killed by signal %d", round, WTERMSIG(st));
        assert_int_equal(WEXITSTATUS(st), 0);
    }
}

static void usage_errors_exit_2(void **state)
{
    (void)state;
    char *const port[] = {CONLAB, "serve", "--port", "65536", NULL};
    char *const threads[] = {CONLAB, "serve", "--threads", "fibers", NULL};
    char *const seed[] = {CONLAB, "serve", "--seed", "x", NULL};
    char *const extra[] = {CONLAB, "serve", "extra", NULL};
    char *const option[] = {CONLAB, "serve", "--nope", NULL};
    char *const help[] = {CONLAB, "serve", "--help", NULL};
    assert_int_equal(run_status(port), 2);
    assert_int_equal(run_status(threads), 2);
    assert_int_equal(run_status(seed), 2);
    assert_int_equal(run_status(extra), 2);
    assert_int_equal(run_status(option), 2);
    assert_int_equal(run_status(help), 0);
}

static void a_taken_port_exits_1(void **state)
{
    (void)state;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = {.sin_family = AF_INET};
    socklen_t len = sizeof a;
    inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    assert_int_equal(listen(fd, 1), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    char port[8];
    snprintf(port, sizeof port, "%u", ntohs(a.sin_port));
    char *const argv[] = {CONLAB, "serve", "--port", port, "--quiet", NULL};
    assert_int_equal(run_status(argv), 1);
    close(fd);
}

/* The pool mode: the same answers, delays on a timer, and a clean stop with
 * connections suspended. */
static void pool_mode_serves_delays_and_stops(void **state)
{
    (void)state;
    char *const argv[] = {CONLAB, "serve", "--port", "0", "--quiet", "--threads",
                          "pool", "--until-stdin-eof", NULL};
    struct child ch;
    char url[128];
    struct response r;
    child_start(&ch, argv, 0);
    child_line(&ch, url, sizeof url);
    assert_int_equal(get(url, "GET", "/bytes/10", &r), 0);
    assert_string_equal(r.body, "klmnopqrst");
    response_free(&r);
    double dt = timed_get(url, "/bytes/100?delay=100ms");
    assert_true(dt >= 0.100 && dt < 5);
    assert_int_equal(get(url, "GET", "/reset/1000", &r), -1);
    assert_true(r.got < 1000);
    response_free(&r);
    struct client stalled;
    client_open(&stalled, url, 10);
    send_request(&stalled, "GET", "/stall");
    usleep(100000);
    kill(ch.pid, SIGTERM);
    int st = child_wait(&ch, 5);
    assert_true(WIFEXITED(st));
    assert_int_equal(WEXITSTATUS(st), 0);
    assert_true(fill(&stalled) <= 0 && stalled.len == 0);
    client_close(&stalled);
}

/* ------------------------------------------------------------------------ */
/* Abandoned waits under a low fd limit (label: reliability)                 */
/* ------------------------------------------------------------------------ */

#define FD_LIMIT "256"
#define ABANDONED 300 /* more than the server's connections at that limit */
#define BATCH 50

/* The "active" count of /stats (which counts the asking connection), or -1
 * when the server does not answer. */
static long long active_connections(const char *url)
{
    struct response r;
    unsigned long long conns, reqs, active;
    int rc = get(url, "GET", "/stats", &r);
    if (rc == 0 && sscanf(r.body, "{\"connections\": %llu, \"requests\": %llu, "
                                  "\"active\": %llu}", &conns, &reqs, &active) != 3)
        rc = -1;
    response_free(&r);
    return rc == 0 ? (long long)active : -1;
}

/* Polls /stats until `want` connections are open (the asking one included),
 * for up to timeout_s.  Returns the last count seen. */
static long long await_active(const char *url, long long want, double timeout_s)
{
    double until = now_s() + timeout_s;
    long long n;
    while ((n = active_connections(url)) != want && now_s() < until)
        usleep(10000);
    return n;
}

/* ABANDONED clients, BATCH at a time, ask for a stall or a one-hour delay and
 * hang up while the server waits; every one of them must free its
 * connection (and its fd) at once, so that a server limited to FD_LIMIT fds
 * still answers afterwards. */
static void abandoned_waits_are_closed(const char *threads)
{
    char *const argv[] = {"/bin/sh", "-c",
                          "ulimit -n " FD_LIMIT " && exec \"$0\" serve --port 0 "
                          "--quiet --threads \"$1\" --until-stdin-eof",
                          CONLAB, (char *)threads, NULL};
    struct child ch;
    char url[128];
    struct response r;
    static struct client c[BATCH];

    child_start(&ch, argv, 0);
    child_line(&ch, url, sizeof url);
    for (int sent = 0; sent < ABANDONED; sent += BATCH) {
        for (int i = 0; i < BATCH; i++) {
            client_open(&c[i], url, 10);
            send_request(&c[i], "GET", i % 2 ? "/stall" : "/bytes/10?delay=1h");
        }
        /* all of them held, and their requests read */
        assert_int_equal(await_active(url, BATCH + 1, 10), BATCH + 1);
        usleep(100000);
        for (int i = 0; i < BATCH; i++)
            client_close(&c[i]);
        if (await_active(url, 1, 5) != 1)
            fail_msg("--threads %s: %d hung-up clients still hold their "
                     "connections", threads, BATCH);
    }
    assert_int_equal(get(url, "GET", "/bytes/10", &r), 0);
    assert_string_equal(r.body, "klmnopqrst");
    response_free(&r);
    child_ends_at_eof(&ch);
}

static void pool_closes_abandoned_waits(void **state)
{
    (void)state;
    abandoned_waits_are_closed("pool");
}

static void per_connection_closes_abandoned_waits(void **state)
{
    (void)state;
    abandoned_waits_are_closed("per-connection");
}

int main(int argc, char **argv)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(spawn_prints_a_loopback_url),
        cmocka_unit_test(bytes_10_is_exact),
        cmocka_unit_test(bytes_0_is_empty),
        cmocka_unit_test(large_bodies_are_streamed_exactly),
        cmocka_unit_test(head_sends_headers_only_and_keeps_alive),
        cmocka_unit_test(status_codes),
        cmocka_unit_test(unknown_routes_are_404_listing_the_routes),
        cmocka_unit_test(bad_requests_are_400_or_405),
        cmocka_unit_test(delay_waits_before_answering),
        cmocka_unit_test(delays_are_reproducible_per_i),
        cmocka_unit_test(reset_closes_mid_body),
        cmocka_unit_test(stall_never_answers),
    };
    const struct CMUnitTest own[] = {
        cmocka_unit_test(stats_count_keepalive_as_one_connection),
        cmocka_unit_test(stop_leaves_no_process_behind),
        cmocka_unit_test(spawn_reports_a_missing_binary),
        cmocka_unit_test(server_exits_when_stdin_closes),
        cmocka_unit_test(sigterm_is_a_clean_stop),
        cmocka_unit_test(racing_stop_requests_still_exit_0),
        cmocka_unit_test(usage_errors_exit_2),
        cmocka_unit_test(a_taken_port_exits_1),
        cmocka_unit_test(pool_mode_serves_delays_and_stops),
    };
    const struct CMUnitTest fd_limit[] = {
        cmocka_unit_test(pool_closes_abandoned_waits),
        cmocka_unit_test(per_connection_closes_abandoned_waits),
    };
    /* `test-serve fd-limit`: the slow group on its own (a ctest of its own) */
    if (argc > 1 && !strcmp(argv[1], "fd-limit"))
        return cmocka_run_group_tests_name("serve (fd limit)", fd_limit, NULL, NULL);
    int failed = cmocka_run_group_tests_name("serve (shared server)", shared,
                                             server_up, server_down);
    failed += cmocka_run_group_tests_name("serve (own servers)", own, NULL, NULL);
    return failed;
}

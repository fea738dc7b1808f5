/* serve.c — `conlab serve`: a small HTTP/1.1 server on libmicrohttpd for
 * experiments to point their I/O workloads at (sized bodies, delays drawn from
 * a seeded distribution, status codes, resets mid-body, stalls): the command,
 * the connection handler and starting and stopping the daemon.  The routes
 * are serve_route.c, the waits serve_timer.c (see serve_internal.h), the
 * server as a child process serve_child.c.
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
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "serve_internal.h"
#include "util.h"

#define THREAD_STACK ((size_t)128 * 1024)  /* MHD threads (2,000 of them) */
/* MHD's per-connection memory pool, which it zeroes after every request:
 * 8 KiB rather than the default 32 took p99 at 2,000 delayed connections from
 * about 120 ms to 105-109 ms on 2 cores.  Request headers up to ~7 KiB fit
 * (beyond: 431). */
#define CONN_MEMORY ((size_t)8 * 1024)
#define IDLE_TIMEOUT_S 3600u               /* an idle keep-alive connection */
#define FD_RESERVE 64                      /* fds kept for everything else */
#define LISTEN_BACKLOG 4096
#define STOP_TIMEOUT_MS 5000               /* suspended requests to drain */

/* ------------------------------------------------------------------------ */
/* Connections                                                               */
/* ------------------------------------------------------------------------ */

static void on_connection(void *cls, struct MHD_Connection *c, void **ctx,
                          enum MHD_ConnectionNotificationCode what)
{
    struct cl_srv *s = cls;
    if (what == MHD_CONNECTION_NOTIFY_STARTED) {
        struct cl_srv_conn *cn = cl_xcalloc(1, sizeof *cn);
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        cn->mhd = c;
        cn->fd = ci ? ci->connect_fd : -1;
        cn->id = atomic_fetch_add(&s->next_id, 1);
        *ctx = cn;
        atomic_fetch_add(&s->connections, 1);
        atomic_fetch_add(&s->active, 1);
    } else if (what == MHD_CONNECTION_NOTIFY_CLOSED && *ctx) {
        const struct cl_srv_conn *cn = *ctx;
        if (cn->waiting) /* resumed, and closed without a call to the handler */
            atomic_fetch_sub(&s->suspended, 1);
        free(*ctx);
        *ctx = NULL;
        atomic_fetch_sub(&s->active, 1);
    }
}

static void log_mhd(void *cls, const char *fmt, va_list ap)
{
    const struct cl_srv *s = cls;
    if (atomic_load(&s->started) && !s->verbose)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    fprintf(stderr, "conlab serve: %s%s", msg, n && msg[n - 1] == '\n' ? "" : "\n");
}

/* ------------------------------------------------------------------------ */
/* The handler                                                               */
/* ------------------------------------------------------------------------ */

static struct cl_srv_conn *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

static enum MHD_Result answer(struct cl_srv *s, struct MHD_Connection *c,
                              const struct cl_srv_conn *cn, const char *method,
                              const char *url)
{
    unsigned code;
    atomic_fetch_add(&s->requests, 1); /* before /stats reads it */
    struct MHD_Response *r = cl_srv_response(s, &cn->route, &code);
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
static enum MHD_Result suspend_until(struct cl_srv *s, struct MHD_Connection *c,
                                     struct cl_srv_conn *cn, double seconds)
{
    cn->deadline = cl_now_ns() + (uint64_t)(seconds * 1e9);
    cn->waiting = 1;
    cn->hung_up = 0;
    atomic_fetch_add(&s->suspended, 1);
    MHD_suspend_connection(c); /* before the timer can see it */
    cl_srv_timer_add(&s->timer, cn);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct cl_srv *s = cls;
    struct cl_srv_conn *cn = conn_of(c);
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
        if (cn->route.kind == CL_SRV_STALL || cn->hung_up || atomic_load(&s->stopping))
            return MHD_NO;
        return answer(s, c, cn, method, url);
    }

    struct cl_srv_route *r = &cn->route;
    r->delay = 0;
    if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
        r->kind = CL_SRV_BAD_METHOD;
    else if (cl_srv_parse_path(url, r) == 0)
        cl_srv_parse_query(c, s->seed, cn, url, r);
    double wait = r->kind == CL_SRV_STALL ? CL_SRV_MAX_DELAY_S : r->delay;
    if (wait > 0) {
        if (s->mode == CL_SRV_POOL)
            return suspend_until(s, c, cn, wait);
        if (cl_srv_wait_in_handler(cn, wait) != 0 || r->kind == CL_SRV_STALL)
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
    enum cl_srv_mode mode;
    uint64_t seed;
    int quiet, verbose, until_eof;
};

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

static struct MHD_Daemon *start_mhd(struct cl_srv *s, int listen_fd, rlim_t nofile)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG;
    struct MHD_OptionItem extra[] = {{MHD_OPTION_END, 0, NULL},
                                     {MHD_OPTION_END, 0, NULL}};
    if (s->mode == CL_SRV_PER_CONNECTION) {
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
static void stop_server(struct cl_srv *s)
{
    atomic_store(&s->stopping, 1);
    if (s->mode == CL_SRV_POOL) {
        /* MHD must not be stopped with connections suspended. */
        cl_srv_timer_stop(&s->timer);
        uint64_t until = cl_now_ns() + (uint64_t)STOP_TIMEOUT_MS * 1000000u;
        while (atomic_load(&s->suspended) > 0 && cl_now_ns() < until)
            nanosleep(&(struct timespec){0, 1000000}, NULL);
    }
    MHD_stop_daemon(s->mhd);
    s->mhd = NULL;
    if (s->mode == CL_SRV_POOL)
        cl_srv_timer_fini(&s->timer);
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
    struct cl_srv s = {.mode = o->mode, .seed = o->seed, .verbose = o->verbose};
    char err[512], url[96];
    int status = 1, usage = 0, sfd = -1, lfd = -1, timer_on = 0;

    cl_srv_routes_init();
    rlim_t nofile = (rlim_t)cl_raise_nofile();
    sfd = take_signals(err, sizeof err);
    if (sfd < 0)
        goto fail;
    lfd = open_listener(o->host, o->port, &usage, err, sizeof err);
    if (lfd < 0 || base_url(lfd, url, sizeof url, err, sizeof err) != 0)
        goto fail;
    if (s.mode == CL_SRV_POOL) {
        if (cl_srv_timer_start(&s.timer, err, sizeof err) != 0)
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
                o->mode == CL_SRV_POOL ? "pool" : "per-connection", url);
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
        cl_srv_timer_stop(&s.timer);
        cl_srv_timer_fini(&s.timer);
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
    struct serve_opts o = {.host = "127.0.0.1", .mode = CL_SRV_PER_CONNECTION};
    uint64_t v;
    int c, status = 0, saved_opterr = opterr;

    optind = 0; /* full getopt reset: we may be called more than once */
    opterr = 0; /* we print our own messages */
    while ((c = getopt_long(argc, argv, ":p:H:t:s:qvh", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            if (cl_srv_parse_u64(optarg, 65535, &v) != 0)
                USAGE_ERROR("--port wants a number from 0 to 65535, not '%s'", optarg);
            o.port = (unsigned)v;
            break;
        case 'H':
            o.host = optarg;
            break;
        case 't':
            if (!strcmp(optarg, "per-connection"))
                o.mode = CL_SRV_PER_CONNECTION;
            else if (!strcmp(optarg, "pool"))
                o.mode = CL_SRV_POOL;
            else
                USAGE_ERROR("--threads wants per-connection or pool, not '%s'", optarg);
            break;
        case 's':
            if (cl_srv_parse_u64(optarg, UINT64_MAX, &o.seed) != 0)
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


/* serve_internal.h — what the files of `conlab serve` share: a request's
 * route, a connection, the pool-mode timer and the server they belong to;
 * parsing a request and making its response (serve_route.c); making a
 * request wait (serve_timer.c).  The command and the daemon are serve.c, the
 * server as a child process serve_child.c.  Private to serve*.c. */
#ifndef CONLAB_HOST_SERVE_INTERNAL_H
#define CONLAB_HOST_SERVE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#define CL_SRV_MAX_DELAY_S 3600.0          /* longest delay, and /stall */

/* What a request asks for: a route, or what is wrong with it. */
enum cl_srv_route_kind {
    CL_SRV_BYTES, CL_SRV_STATUS, CL_SRV_RESET, CL_SRV_STALL, CL_SRV_STATS,
    CL_SRV_NOT_FOUND, CL_SRV_BAD_REQUEST, CL_SRV_BAD_METHOD
};

/* A request as parsed: its route, the number in its path and its delay. */
struct cl_srv_route {
    enum cl_srv_route_kind kind;
    uint64_t n;       /* body length, or status code */
    double delay;     /* seconds, drawn */
    char why[160];    /* CL_SRV_BAD_REQUEST: the body of the 400 */
};

/* `--threads`: a thread per connection, or an epoll pool with the timer. */
enum cl_srv_mode { CL_SRV_PER_CONNECTION, CL_SRV_POOL };

/* Pool mode: suspended connections by deadline, a binary min-heap, and
 * their sockets in an epoll set that reports a client hanging up. */
struct cl_srv_timer {
    pthread_mutex_t lock; /* guards heap, len, cap, stop */
    struct cl_srv_conn **heap;
    size_t len, cap;
    int stop;
    int epfd;   /* the suspended sockets (EPOLLRDHUP) and wakefd */
    int wakefd; /* an eventfd: wakes the thread for a new deadline or stop */
    pthread_t thread;
};

/* The running server (`conlab serve` serves one). */
struct cl_srv {
    struct MHD_Daemon *mhd;
    enum cl_srv_mode mode;
    uint64_t seed;
    int verbose;
    atomic_int started;   /* after start-up MHD's messages need --verbose */
    atomic_int stopping;
    atomic_uint_fast64_t connections, requests, next_id;
    atomic_int_fast64_t active, suspended;
    struct cl_srv_timer timer;
};

/* One per connection (MHD's socket context).  MHD runs a connection's
 * requests one after another, so the request in progress lives here too. */
struct cl_srv_conn {
    struct MHD_Connection *mhd;
    int fd;
    uint64_t id, nreq;
    struct cl_srv_route route;  /* the request in progress */
    int waiting;         /* pool mode: suspended until deadline */
    int hung_up;         /* pool mode: resumed because the client hung up */
    uint64_t deadline;   /* CLOCK_MONOTONIC ns */
    size_t heap_index;   /* pool mode: its place in the timer heap */
};

/** Decimal digits only, no sign, at most max, into *out.  0, or -1. */
int cl_srv_parse_u64(const char *s, uint64_t max, uint64_t *out);

/** Build the static body pattern (once; any thread may call it). */
void cl_srv_routes_init(void);

/** The path part of a request's route into r (a bad one makes r a 400);
 *  the delay is drawn by cl_srv_parse_query.  Returns 0, or -1 (r is a 400). */
int cl_srv_parse_path(const char *path, struct cl_srv_route *r);

/** The query of request cn on connection c: delay=D, dist=..., i=K.  Sets
 *  r->delay, drawn from (seed, path, K) or the connection's request.
 *  Returns 0, or -1 with r made a 400. */
int cl_srv_parse_query(struct MHD_Connection *c, uint64_t seed,
                       const struct cl_srv_conn *cn, const char *path, struct cl_srv_route *r);

/** The response to route r of server s, with its status in *code, or NULL
 *  (out of memory, or /stall, which is never answered).  The caller
 *  queues and destroys it. */
struct MHD_Response *cl_srv_response(struct cl_srv *s, const struct cl_srv_route *r,
                                     unsigned *code);

/** Per-connection mode: wait in the handler until `seconds` have passed.
 *  Returns 0 then; -1 if the client hung up or the server stopped first. */
int cl_srv_wait_in_handler(const struct cl_srv_conn *cn, double seconds);

/** Pool mode: start the timer thread.  0, or -1 with a message in err. */
int cl_srv_timer_start(struct cl_srv_timer *t, char *err, size_t errlen);

/** Queue suspended connection cn until cn->deadline, and watch its client
 *  for a hang-up; resumes it at once if the timer has stopped. */
void cl_srv_timer_add(struct cl_srv_timer *t, struct cl_srv_conn *cn);

/** Stop the timer thread and resume every connection still waiting. */
void cl_srv_timer_stop(struct cl_srv_timer *t);

/** Free what cl_srv_timer_start took (after cl_srv_timer_stop). */
void cl_srv_timer_fini(struct cl_srv_timer *t);

#endif

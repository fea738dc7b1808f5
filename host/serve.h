/* serve.h — `conlab serve`: a loopback HTTP server for experiments, and a
 * handle to run one as a child process.  Host-private.
 *
 * Routes (GET and HEAD; see `conlab serve --help`):
 *   /bytes/N     N bytes (0 <= N <= 1 GiB); byte k is cl_serve_byte(N, k)
 *   /status/C    status C (100..599) with a short body
 *   /reset/N     promises N bytes, closes the connection after N/2 of them
 *   /stall       never answers (bounded: one hour)
 *   /stats       {"connections": accepted, "requests": answered, "active": open}
 * Query on any route: delay=DURATION, dist=fixed|uniform|exponential, i=K. */
#ifndef CONLAB_HOST_SERVE_H
#define CONLAB_HOST_SERVE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/** `conlab serve [--port N] [--host ADDR] [--threads MODE] [--seed S]
 *  [--quiet] [--verbose] [--until-stdin-eof]`; argv[0] is "serve".  Prints
 *  its base URL ("http://127.0.0.1:PORT") as the first line on stdout once it
 *  listens, then serves until SIGINT/SIGTERM, or until stdin reaches EOF with
 *  --until-stdin-eof.  Returns 0 after a clean stop, 2 on a usage error, 1 if
 *  it cannot listen or start.  Meant to be the process's last act: it raises
 *  RLIMIT_NOFILE, ignores SIGPIPE and returns with SIGINT/SIGTERM blocked. */
int cl_cmd_serve(int argc, char **argv);

/** Byte k of the body of /bytes/N and /reset/N: a lowercase alphabet that
 *  starts at a letter given by N, so /bytes/10 is "klmnopqrst". */
static inline unsigned char cl_serve_byte(uint64_t n, uint64_t k)
{
    return (unsigned char)('a' + (n % 26 + k % 26) % 26);
}

/** A server running as a child process (for the runner and tests). */
struct cl_server;

/** Start `exe serve --port 0 --quiet --until-stdin-eof --seed SEED` with
 *  pipes on its stdin and stdout, and wait (5 s at most) for its URL line.
 *  The child's stdin is a pipe only this handle writes to, so the server also
 *  goes away when this process dies.  exe is the conlab binary (for the
 *  running host, "/proc/self/exe").  Returns 0, or -1 with a message in err
 *  (nothing left running). */
int cl_server_spawn(struct cl_server **out, const char *exe, uint64_t seed,
                    char *err, size_t errlen);

/** Base URL without a trailing slash, e.g. "http://127.0.0.1:40123". */
const char *cl_server_url(const struct cl_server *s);

/** The server's process id. */
pid_t cl_server_pid(const struct cl_server *s);

/** SIGTERM and close its stdin, wait (5 s at most), SIGKILL if it is still
 *  there, reap it, free the handle.  Accepts NULL. */
void cl_server_stop(struct cl_server *s);

#endif

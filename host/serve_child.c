/* serve_child.c — a `conlab serve` run as a child process, for the runner
 * and tests: start it, read its URL, stop it.  See serve.h. */
#include "serve.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "child.h"
#include "util.h"

extern char **environ;

#define SPAWN_TIMEOUT_MS 5000
#define STOP_TIMEOUT_MS 5000

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

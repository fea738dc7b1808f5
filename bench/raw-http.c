/* raw-http.c — the floor of an HTTP shape on this machine and server: N
 * connections, all in flight at once, each sending M GETs one after the
 * other (keep-alive), with bare non-blocking sockets on one epoll loop: no
 * libcurl, no coroutines, no conlab, no checks beyond the status line, and a
 * response taken to be what one read(2) returns (small bodies only).
 * Whatever conlab's `http` adds above this is the instrument's; what this
 * takes is the kernel's and the server's.  bench/targets.py builds and runs
 * it (http160: M = 1; latency: 1,000 connections, M = 10).
 *
 *   cc -O2 -o raw-http bench/raw-http.c
 *   ./raw-http 127.0.0.1 8080 '/bytes/275?delay=50ms' 160 [M]
 * prints {"wall_s": W, "ok": K}: W from the first socket() to the last
 * response, K responses with status 200. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
    if (argc != 5 && argc != 6) {
        fprintf(stderr, "usage: raw-http ADDR PORT PATH N [M]\n");
        return 2;
    }
    int n = atoi(argv[4]), m = argc == 6 ? atoi(argv[5]) : 1, ep = epoll_create1(0);
    char req[512];
    int len = snprintf(req, sizeof req, "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
                       argv[3], argv[1]);
    struct sockaddr_in addr = {.sin_family = AF_INET,
                               .sin_port = htons((uint16_t)atoi(argv[2]))};
    if (n <= 0 || m <= 0 || ep < 0 || len >= (int)sizeof req ||
        inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) {
        fprintf(stderr, "raw-http: bad arguments\n");
        return 2;
    }
    int *sent = calloc((size_t)n, sizeof *sent); /* requests sent on each */
    double t0 = now();
    for (int i = 0; i < n; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        connect(fd, (struct sockaddr *)&addr, sizeof addr); /* EINPROGRESS */
        struct epoll_event ev = {.events = EPOLLOUT,
                                 .data.u64 = (uint64_t)i << 32 | (uint32_t)fd};
        epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
    }
    int done = 0, ok = 0;
    while (done < n * m) {
        struct epoll_event evs[64];
        int k = epoll_wait(ep, evs, 64, 10000);
        if (k <= 0)
            break;
        for (int j = 0; j < k; j++) {
            int fd = (int)(uint32_t)evs[j].data.u64, i = (int)(evs[j].data.u64 >> 32);
            if (!sent[i]) {
                sent[i] = write(fd, req, (size_t)len) == len;
                struct epoll_event ev = {.events = EPOLLIN, .data = evs[j].data};
                epoll_ctl(ep, EPOLL_CTL_MOD, fd, &ev);
                continue;
            }
            char buf[4096];
            ssize_t r = read(fd, buf, sizeof buf);
            done++;
            ok += r > 12 && memcmp(buf + 8, " 200", 4) == 0;
            if (r > 0 && sent[i] < m && write(fd, req, (size_t)len) == len)
                sent[i]++;
            else
                close(fd);
        }
    }
    printf("{\"wall_s\": %.6f, \"ok\": %d}\n", now() - t0, ok);
    free(sent);
    return ok == n * m ? 0 : 1;
}

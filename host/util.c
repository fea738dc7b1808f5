/* util.c — see util.h. */
#include "util.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

int cl_log_level = CONLAB_LOG_INFO;

static void oom(size_t n)
{
    char msg[96];
    int len = snprintf(msg, sizeof msg, "conlab: out of memory (%zu bytes)\n", n);
    if (len > 0)
        (void)cl_write_all(2, msg, (size_t)len);
    _exit(3);
}

void *cl_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *cl_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *cl_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *cl_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = cl_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

char *cl_xvasprintf(const char *fmt, va_list ap)
{
    char *s = NULL;
    if (vasprintf(&s, fmt, ap) < 0)
        oom(0);
    return s;
}

char *cl_xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *s = cl_xvasprintf(fmt, ap);
    va_end(ap);
    return s;
}

int cl_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += w;
        len -= (size_t)w;
    }
    return 0;
}

static const char *level_name(int level)
{
    switch (level) {
    case CONLAB_LOG_ERROR: return "error: ";
    case CONLAB_LOG_WARN: return "warning: ";
    case CONLAB_LOG_DEBUG: return "debug: ";
    default: return "";
    }
}

void cl_vlog(int level, const char *who, const char *fmt, va_list ap)
{
    if (level > cl_log_level)
        return;
    char buf[1024];
    int n = snprintf(buf, sizeof buf, "conlab: %s%s%s", level_name(level),
                     who ? who : "", who ? ": " : "");
    if (n < 0)
        return;
    size_t off = (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1;
    int m = vsnprintf(buf + off, sizeof buf - off, fmt, ap);
    if (m < 0)
        return;
    off += (size_t)m;
    if (off > sizeof buf - 2)
        off = sizeof buf - 2;
    while (off > 0 && buf[off - 1] == '\n')
        off--;
    buf[off++] = '\n';
    (void)cl_write_all(2, buf, off);
}

void cl_log(int level, const char *who, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_vlog(level, who, fmt, ap);
    va_end(ap);
}

uint64_t cl_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double cl_wall_time(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void api_log(int level, const char *plugin, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cl_vlog(level, plugin, fmt, ap);
    va_end(ap);
}

const struct conlab_host_api cl_host_api = {
    .struct_size = sizeof(struct conlab_host_api),
    .abi_major = CONLAB_ABI_MAJOR,
    .abi_minor = CONLAB_ABI_MINOR,
    .log = api_log,
    .now_ns = cl_now_ns,
};

uint64_t cl_fnv1a64(const void *data, size_t len)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < len; i++) {
        h ^= p[i];
        h *= 1099511628211ull;
    }
    return h;
}

char *cl_exe_path(void)
{
    char buf[4096];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return cl_xstrdup(buf);
}

char *cl_exe_dir(void)
{
    char *path = cl_exe_path();
    char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash) {
        free(path);
        return NULL;
    }
    if (slash == path)
        slash++; /* the root itself */
    *slash = '\0';
    return path;
}

int cl_mkdirs(const char *path)
{
    char *p = cl_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = mkdir(p, 0777) != 0 && errno != EEXIST ? -1 : 0;
    free(p);
    return rc;
}

const char *cl_fmt_dur(double s, char *buf, size_t len)
{
    if (!isfinite(s))
        snprintf(buf, len, "-");
    else if (fabs(s) < 1e-3)
        snprintf(buf, len, "%.3g µs", s * 1e6);
    else if (fabs(s) < 1)
        snprintf(buf, len, "%.3g ms", s * 1e3);
    else
        snprintf(buf, len, "%.3g s", s);
    return buf;
}

void cl_iso_time(double t, char *buf, size_t len)
{
    time_t s = (time_t)t;
    struct tm tm;
    localtime_r(&s, &tm);
    strftime(buf, len, "%Y-%m-%dT%H:%M:%S%z", &tm);
}

double cl_parse_iso(const char *s)
{
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *end = s ? strptime(s, "%Y-%m-%dT%H:%M:%S%z", &tm) : NULL;
    if (!end || *end)
        return NAN;
    long off = tm.tm_gmtoff;
    return (double)(timegm(&tm) - off);
}

FILE *cl_atomic_open(const char *path, char **tmp)
{
    *tmp = cl_xasprintf("%s.tmp.%ld", path, (long)getpid());
    return fopen(*tmp, "w");
}

int cl_atomic_commit(FILE *f, const char *path, char *tmp)
{
    int ok = f != NULL, e = errno;
    if (f) {
        ok = fflush(f) == 0 && !ferror(f) && fsync(fileno(f)) == 0;
        e = errno;
        ok = (fclose(f) == 0) && ok;
    }
    if (ok && rename(tmp, path) != 0) {
        e = errno;
        ok = 0;
    }
    if (!ok && f)
        unlink(tmp);
    free(tmp);
    errno = e;
    return ok ? 0 : -1;
}

uint64_t cl_raise_nofile(void)
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
    return (uint64_t)r.rlim_cur;
}

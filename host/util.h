/* util.h — small host-private helpers: allocation that cannot fail quietly,
 * logging, time, strings.  Host-private. */
#ifndef CONLAB_HOST_UTIL_H
#define CONLAB_HOST_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <conlab/conlab_plugin.h>

/* Allocation: on failure these print a message and exit(3); the host has no
 * sensible way to go on without memory, and plugins never see them. */
void *cl_xmalloc(size_t n);
void *cl_xcalloc(size_t n, size_t size);
void *cl_xrealloc(void *p, size_t n);
char *cl_xstrdup(const char *s);
char *cl_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* cl_xasprintf with a va_list (consumed).  Owned by the caller. */
char *cl_xvasprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));

/* Logging to stderr, one write(2) per line so lines from threads and forked
 * workers never interleave.  Level above cl_log_level is dropped. */
extern int cl_log_level;
void cl_log(int level, const char *who, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void cl_vlog(int level, const char *who, const char *fmt, va_list ap);

/* RLIMIT_NOFILE's soft limit raised to its hard one (2^20 if that is
 * unlimited), as wrk and nginx do: 1,000 connections in flight must not hit
 * a shell's 1,024.  Returns the soft limit now in force. */
uint64_t cl_raise_nofile(void);

uint64_t cl_now_ns(void);      /* CLOCK_MONOTONIC */
double cl_wall_time(void);     /* CLOCK_REALTIME, seconds */

/* The host API table handed to plugins. */
extern const struct conlab_host_api cl_host_api;

/* FNV-1a 64-bit: not a secure hash.  Kept for serve_route.c's seeded
 * choices and to recognise the `fnv1a64:` spec_hash of run directories
 * written before run.yaml's hash became SHA-256 (cl_spec_hash_matches). */
uint64_t cl_fnv1a64(const void *data, size_t len);

/* Write all of buf to fd (retrying on EINTR / short writes). 0 or -1. */
int cl_write_all(int fd, const void *buf, size_t len);

/* Replacing a file all or nothing: cl_atomic_open creates path.tmp.PID
 * (its name into *tmp, owned, freed by cl_atomic_commit, also when fopen
 * fails: then call cl_atomic_commit(NULL, path, tmp)); cl_atomic_commit
 * flushes, fsyncs, closes and renames it over path, or removes it.  0, or
 * -1 with errno (path untouched). */
FILE *cl_atomic_open(const char *path, char **tmp);
int cl_atomic_commit(FILE *f, const char *path, char *tmp);

/* mkdir -p: 0, or -1 with errno. */
int cl_mkdirs(const char *path);

/* Path of the running executable (owned by caller), or NULL. */
char *cl_exe_path(void);

/* Directory of the running executable (owned by caller), or NULL. */
char *cl_exe_dir(void);

/* A duration with three significant digits and a unit that fits ("412 µs",
 * "1.23 s"); "-" when not finite.  Into buf; returns buf. */
const char *cl_fmt_dur(double s, char *buf, size_t len);

/* "2024-05-01T12:00:00+0200" (local time) for a wall-clock time. */
void cl_iso_time(double t, char *buf, size_t len);
/* Seconds since the epoch of a time cl_iso_time wrote, or NAN (NULL, or
 * not such a time). */
double cl_parse_iso(const char *s);

#endif

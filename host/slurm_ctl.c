/* slurm_ctl.c — talking to Slurm through its commands (sbatch, squeue,
 * sinfo): argument lists, running them, reading the queue; and the small
 * parsers of their output.  See slurm.h and slurm_internal.h. */
#include "slurm_internal.h"
#include "slurm.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <getopt.h>
#include <math.h>
#include <poll.h>
#include <pwd.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

extern char **environ;

/* ---- small pieces ------------------------------------------------------------- */

char *cl_slurm_ranges(const unsigned *idx, size_t n)
{
    size_t cap = 16, len = 0;
    char *s = cl_xmalloc(cap);
    s[0] = '\0';
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && idx[j + 1] == idx[j] + 1)
            j++;
        char part[48];
        int k = j > i ? snprintf(part, sizeof part, "%s%u-%u", len ? "," : "", idx[i], idx[j])
                      : snprintf(part, sizeof part, "%s%u", len ? "," : "", idx[i]);
        while (len + (size_t)k + 1 > cap)
            s = cl_xrealloc(s, cap *= 2);
        memcpy(s + len, part, (size_t)k + 1);
        len += (size_t)k;
        i = j + 1;
    }
    return s;
}

int cl_slurm_ranges_has(const char *list, unsigned i)
{
    const char *p = list;
    while (p && *p && *p != '%') {
        char *end;
        unsigned long a = strtoul(p, &end, 10), b = a, step = 1;
        if (end == p)
            return 0;
        if (*end == '-') {
            p = end + 1;
            b = strtoul(p, &end, 10);
            if (end == p)
                return 0;
            if (*end == ':') {
                p = end + 1;
                step = strtoul(p, &end, 10);
                if (end == p || step == 0)
                    return 0;
            }
        }
        if (i >= a && i <= b && (i - a) % step == 0)
            return 1;
        p = *end == ',' ? end + 1 : end;
        if (*end && *end != ',' && *end != '%')
            return 0;
    }
    return 0;
}

int cl_slurm_parse_jobid(const char *out, char *id, size_t len)
{
    while (out && isspace((unsigned char)*out))
        out++;
    size_t n = 0;
    while (out && isdigit((unsigned char)out[n]))
        n++;
    if (n == 0 || n >= len || (out[n] && out[n] != ';' && !isspace((unsigned char)out[n])))
        return -1;
    memcpy(id, out, n);
    id[n] = '\0';
    return 0;
}

int cl_slurm_parse_squeue(const char *line, char *job, size_t joblen,
                          long *task, char *state, size_t statelen)
{
    const char *a = strchr(line, '|');
    const char *b = a ? strchr(a + 1, '|') : NULL;
    if (!a || !b || a == line || (size_t)(a - line) >= joblen)
        return -1;
    for (const char *p = line; p < a; p++)
        if (!isdigit((unsigned char)*p))
            return -1;
    memcpy(job, line, (size_t)(a - line));
    job[a - line] = '\0';
    char *end;
    *task = strtol(a + 1, &end, 10);
    if (end == a + 1)
        *task = -1; /* "N/A": not an array task */
    else if (end != b)
        return -1;
    size_t n = strcspn(b + 1, "\r\n");
    if (n == 0 || n >= statelen)
        return -1;
    memcpy(state, b + 1, n);
    state[n] = '\0';
    return 0;
}

char *cl_sh_quote(const char *s)
{
    size_t n = 3;
    for (const char *p = s; *p; p++)
        n += *p == '\'' ? 4 : 1;
    char *q = cl_xmalloc(n), *o = q;
    *o++ = '\'';
    for (const char *p = s; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *o = '\0';
    return q;
}

/* A value that goes on an #SBATCH line as it is. */
int cl_sbatch_safe(const char *s)
{
    if (!*s)
        return 0;
    for (const char *p = s; *p; p++)
        if (isspace((unsigned char)*p) || *p == '\'' || *p == '"' || *p == '\\' ||
            *p == '%' || *p == '#' || !isprint((unsigned char)*p))
            return 0;
    return 1;
}

/* ---- running Slurm's commands ------------------------------------------------- */

/* Run argv[0] (searched in PATH) with stdout captured into *out (owned,
 * NUL-terminated).  stderr goes to ours, or nowhere when `quiet`.  Returns
 * the exit status, 127 when the command cannot be started (errno says
 * why), or -1. */
static int run_capture(char *const argv[], char **out, int quiet)
{
    *out = NULL;
    int fd[2];
    if (pipe(fd) != 0)
        return -1;
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, fd[1], 1);
    posix_spawn_file_actions_addclose(&fa, fd[0]);
    posix_spawn_file_actions_addclose(&fa, fd[1]);
    if (quiet)
        posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    fflush(NULL);
    int e = posix_spawnp(&pid, argv[0], &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(fd[1]);
    if (e != 0) {
        close(fd[0]);
        errno = e;
        return 127;
    }
    size_t cap = 256, len = 0;
    char *buf = cl_xmalloc(cap);
    for (;;) {
        if (len + 1 >= cap)
            buf = cl_xrealloc(buf, cap *= 2);
        ssize_t r = read(fd[0], buf + len, cap - len - 1);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        len += (size_t)r;
    }
    buf[len] = '\0';
    close(fd[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) {
            free(buf);
            return -1;
        }
    *out = buf;
    if (WIFEXITED(st))
        return WEXITSTATUS(st) == 127 ? 126 : WEXITSTATUS(st);
    return 128 + (WIFSIGNALED(st) ? WTERMSIG(st) : 0);
}


/* Append s, which the argv now owns. */
static void args_push(struct cl_args *a, char *s)
{
    a->v = cl_xrealloc(a->v, (a->n + 2) * sizeof *a->v);
    a->v[a->n++] = s;
    a->v[a->n] = NULL;
}

void cl_args_add(struct cl_args *a, const char *s)
{
    args_push(a, cl_xstrdup(s));
}

void cl_args_addf(struct cl_args *a, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    args_push(a, cl_xvasprintf(fmt, ap));
    va_end(ap);
}

void cl_args_free(struct cl_args *a)
{
    for (size_t i = 0; i < a->n; i++)
        free(a->v[i]);
    free(a->v);
    a->v = NULL;
    a->n = 0;
}

char *cl_args_text(const struct cl_args *a)
{
    char *s = cl_xstrdup("");
    for (size_t i = 0; i < a->n; i++) {
        int plain = a->v[i][0] != '\0';
        for (const char *p = a->v[i]; *p && plain; p++)
            plain = isalnum((unsigned char)*p) || strchr("-_=./:,+@%", *p);
        char *q = plain ? cl_xstrdup(a->v[i]) : cl_sh_quote(a->v[i]);
        char *t = cl_xasprintf("%s%s%s", s, i ? " " : "", q);
        free(q);
        free(s);
        s = t;
    }
    return s;
}

/* sbatch ARGS: the job id, or -1 with the reason told on stderr. */
int cl_sbatch(const struct cl_args *a, char *id, size_t len)
{
    char *out = NULL;
    int rc = run_capture(a->v, &out, 0);
    if (rc == 127)
        fprintf(stderr, "conlab slurm: cannot run sbatch: %s (is this a Slurm "
                "submit host? --dry-run writes the scripts without submitting)\n",
                strerror(errno));
    else if (rc != 0)
        fprintf(stderr, "conlab slurm: sbatch failed (exit status %d)\n", rc);
    else if (cl_slurm_parse_jobid(out, id, len) != 0) {
        fprintf(stderr, "conlab slurm: sbatch printed no job id: '%s'\n", out);
        rc = -1;
    }
    free(out);
    return rc == 0 ? 0 : -1;
}

/* Most CPUs of a node Slurm lists (in `partition`, if given), or 0. */
unsigned cl_node_cpus(const char *partition)
{
    struct cl_args a = {NULL, 0};
    cl_args_add(&a, "sinfo");
    cl_args_add(&a, "-h");
    cl_args_add(&a, "-o");
    cl_args_add(&a, "%c");
    if (partition) {
        cl_args_add(&a, "-p");
        cl_args_add(&a, partition);
    }
    char *out = NULL;
    unsigned best = 0;
    if (run_capture(a.v, &out, 1) == 0)
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            unsigned long c = strtoul(line, NULL, 10);
            if (c > best && c < 1u << 20)
                best = (unsigned)c;
        }
    free(out);
    cl_args_free(&a);
    return best;
}

/* ---- the queue ---------------------------------------------------------------- */



/* Our jobs Slurm still knows as pending, running, completing, ... */
void cl_squeue_read(struct cl_squeue *q)
{
    memset(q, 0, sizeof q[0]);
    struct cl_args a = {NULL, 0};
    cl_args_add(&a, "squeue");
    cl_args_add(&a, "-h");
    cl_args_add(&a, "-r");
    cl_args_add(&a, "-o");
    cl_args_add(&a, "%F|%K|%T");
    struct passwd *pw = getpwuid(geteuid());
    const char *user = pw ? pw->pw_name : getenv("USER");
    if (user) {
        cl_args_add(&a, "-u");
        cl_args_add(&a, user);
    }
    char *out = NULL;
    if (run_capture(a.v, &out, 1) == 0) {
        q->known = 1;
        for (char *line = strtok(out, "\n"); line; line = strtok(NULL, "\n")) {
            struct cl_qentry e;
            if (cl_slurm_parse_squeue(line, e.job, sizeof e.job, &e.task, e.state,
                                      sizeof e.state) != 0)
                continue;
            for (char *p = e.state; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            q->v = cl_xrealloc(q->v, (q->n + 1) * sizeof *q->v);
            q->v[q->n++] = e;
        }
    }
    free(out);
    cl_args_free(&a);
}

const char *cl_squeue_state(const struct cl_squeue *q, const char *job, long task)
{
    for (size_t i = 0; job && i < q->n; i++)
        if (strcmp(q->v[i].job, job) == 0 && q->v[i].task == task)
            return q->v[i].state;
    return NULL;
}


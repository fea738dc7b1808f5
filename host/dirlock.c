/* dirlock.c — see dirlock.h. */
#include "dirlock.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "neutral.h"
#include "util.h"

/* ---- the descriptors of the locks this process holds ------------------------ *
 * Closed in every forked child (see dirlock.h), so that a child never keeps
 * a lock alive after its parent is gone.  Only the thread that takes and
 * releases locks touches the list; the atfork handler runs in the child,
 * where that thread is the only one. */

enum { MAX_HELD = 16 };
static int g_held[MAX_HELD];
static size_t g_n_held;
static pthread_once_t g_atfork_once = PTHREAD_ONCE_INIT;

static void close_held_in_child(void)
{
    for (size_t i = 0; i < g_n_held; i++)
        close(g_held[i]);
    g_n_held = 0;
}

static void install_atfork(void)
{
    pthread_atfork(NULL, NULL, close_held_in_child);
}

static int held_add(int fd)
{
    pthread_once(&g_atfork_once, install_atfork);
    if (g_n_held == MAX_HELD)
        return -1;
    g_held[g_n_held++] = fd;
    return 0;
}

/* Remove fd from the list: 1 when it was there (this process holds it). */
static int held_remove(int fd)
{
    for (size_t i = 0; i < g_n_held; i++)
        if (g_held[i] == fd) {
            g_held[i] = g_held[--g_n_held];
            return 1;
        }
    return 0;
}

/* ---- the lock file ------------------------------------------------------------ */

static struct flock whole_file(short type)
{
    struct flock fl;
    memset(&fl, 0, sizeof fl);
    fl.l_type = type;
    fl.l_whence = SEEK_SET; /* l_start = l_len = 0: the whole file */
    return fl;
}

/* 1 when the open file fd is the file at path now. */
static int same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && lstat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

/* The value of "key: value" in the record text (copied into val), or "". */
static void record_get(const char *text, const char *key, char *val, size_t len)
{
    size_t k = strlen(key);
    val[0] = '\0';
    for (const char *line = text; line && *line;) {
        const char *nl = strchr(line, '\n');
        size_t n = nl ? (size_t)(nl - line) : strlen(line);
        if (n > k + 1 && strncmp(line, key, k) == 0 && line[k] == ':' && line[k + 1] == ' ') {
            snprintf(val, len, "%.*s", (int)(n - k - 2), line + k + 2);
            return;
        }
        line = nl ? nl + 1 : NULL;
    }
}

/* Who holds the lock on the open lock file fd, as its record says.  The
 * holder writes the record just after it takes the lock: an empty file is
 * read again for a moment before giving up on it. */
static void describe_holder(int fd, char *who, size_t len)
{
    char text[8192];
    ssize_t n = 0;
    for (int i = 0; i < 50; i++) {
        n = pread(fd, text, sizeof text - 1, 0);
        if (n > 0)
            break;
        struct timespec ts = {0, 10 * 1000 * 1000};
        nanosleep(&ts, NULL);
    }
    text[n > 0 ? n : 0] = '\0';
    char pid[32], host[256], since[64], cmd[4096];
    record_get(text, "pid", pid, sizeof pid);
    record_get(text, "host", host, sizeof host);
    record_get(text, "since", since, sizeof since);
    record_get(text, "command", cmd, sizeof cmd);
    if (!pid[0]) {
        snprintf(who, len, "another process (its .lock does not say which)");
        return;
    }
    char *h = cl_neutral_term(host), *c = cl_neutral_term(cmd), *s = cl_neutral_term(since);
    snprintf(who, len, "PID %s on %s (%s) since %s", pid, h[0] ? h : "?",
             c[0] ? c : "?", s[0] ? s : "?");
    free(h);
    free(c);
    free(s);
}

/* Replace the record in the locked file fd with this process's. */
static int write_record(int fd, int argc, char **argv)
{
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0)
        snprintf(host, sizeof host, "?");
    host[sizeof host - 1] = '\0';
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char since[64];
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%S%z", &tm);
    size_t len = 1;
    for (int i = 0; i < argc; i++)
        len += strlen(argv[i]) + 1;
    char *joined = cl_xmalloc(len), *j = joined;
    *j = '\0';
    for (int i = 0; i < argc; i++)
        j += sprintf(j, "%s%s", i ? " " : "", argv[i]);
    char *cmd = cl_neutral_term(joined), *h = cl_neutral_term(host);
    char *rec = cl_xasprintf("pid: %ld\nhost: %s\nsince: %s\ncommand: %s\n",
                             (long)getpid(), h, since, cmd);
    int rc = ftruncate(fd, 0) == 0 && pwrite(fd, rec, strlen(rec), 0) == (ssize_t)strlen(rec)
                 ? 0 : -1;
    free(rec);
    free(cmd);
    free(h);
    free(joined);
    return rc;
}

int cl_dirlock_acquire(const char *dir, int argc, char **argv,
                       struct cl_dirlock *out, char *err, size_t errlen)
{
    out->fd = -1;
    out->path = NULL;
    struct stat st;
    if (stat(dir, &st) != 0) {
        int e = errno, missing = e == ENOENT || e == ENOTDIR;
        snprintf(err, errlen, "%s: %s", dir, missing ? "no such directory" : strerror(e));
        return missing ? CL_DIRLOCK_REFUSED : CL_DIRLOCK_ERROR;
    }
    if (!S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s: not a directory", dir);
        return CL_DIRLOCK_REFUSED;
    }
    char *path = cl_xasprintf("%s/.lock", dir);
    int fd = -1;
    /* The file may be replaced between open and lock (a --force moving
     * the directory aside): lock again until the locked file is the one
     * at path. */
    for (int attempt = 0;; attempt++) {
        fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (fd < 0) {
            snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
            free(path);
            return CL_DIRLOCK_ERROR;
        }
        struct flock fl = whole_file(F_WRLCK);
        if (fcntl(fd, F_OFD_SETLK, &fl) != 0) {
            int e = errno;
            if (e == EAGAIN || e == EACCES) {
                char who[6144];
                describe_holder(fd, who, sizeof who);
                snprintf(err, errlen, "%s is being written by %s", dir, who);
            } else {
                snprintf(err, errlen, "cannot lock %s: %s", path, strerror(e));
            }
            close(fd);
            free(path);
            return e == EAGAIN || e == EACCES ? CL_DIRLOCK_REFUSED : CL_DIRLOCK_ERROR;
        }
        if (same_file(fd, path))
            break;
        close(fd);
        if (attempt == 100) {
            snprintf(err, errlen, "cannot lock %s: it keeps being replaced", path);
            free(path);
            return CL_DIRLOCK_ERROR;
        }
    }
    if (write_record(fd, argc, argv) != 0 || held_add(fd) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path,
                 g_n_held == MAX_HELD ? "too many locks held" : strerror(errno));
        close(fd);
        free(path);
        return CL_DIRLOCK_ERROR;
    }
    out->fd = fd;
    out->path = path;
    return CL_DIRLOCK_OK;
}

void cl_dirlock_release(struct cl_dirlock *l)
{
    if (!l)
        return;
    /* In a forked child the descriptor was closed already (and its number
     * may have been reused): only the holder touches it. */
    if (l->fd >= 0 && held_remove(l->fd)) {
        (void)!ftruncate(l->fd, 0);
        close(l->fd);
    }
    free(l->path);
    l->fd = -1;
    l->path = NULL;
}

int cl_dirlock_holder(const char *dir, char *who, size_t wholen)
{
    char *path = cl_xasprintf("%s/.lock", dir);
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
        int e = errno;
        snprintf(who, wholen, "cannot open %s: %s", path, strerror(e));
        free(path);
        return e == ENOENT ? 0 : -1;
    }
    struct flock fl = whole_file(F_WRLCK);
    int rc;
    if (fcntl(fd, F_OFD_GETLK, &fl) != 0) {
        snprintf(who, wholen, "cannot query the lock of %s: %s", path, strerror(errno));
        rc = -1;
    } else if (fl.l_type == F_UNLCK) {
        snprintf(who, wholen, "nobody");
        rc = 0;
    } else {
        describe_holder(fd, who, wholen);
        rc = 1;
    }
    close(fd);
    free(path);
    return rc;
}

/* ---- a fresh output directory --------------------------------------------------- */

/* How many entries `dir` holds besides . .. and .lock (-1 with errno when it
 * cannot be read); names gets the first few, comma-separated. */
static long count_entries(const char *dir, char *names, size_t len)
{
    DIR *d = opendir(dir);
    if (!d)
        return -1;
    long n = 0;
    size_t used = 0;
    names[0] = '\0';
    for (struct dirent *e; (e = readdir(d)) != NULL;) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || !strcmp(e->d_name, ".lock"))
            continue;
        if (n < 3 && used < len)
            used += (size_t)snprintf(names + used, len - used, "%s%s", n ? ", " : "", e->d_name);
        else if (n == 3 && used < len)
            used += (size_t)snprintf(names + used, len - used, ", ...");
        n++;
    }
    closedir(d);
    return n;
}

static int not_empty(const char *dir, const char *names, char *err, size_t errlen)
{
    char *shown = cl_neutral_term(names);
    snprintf(err, errlen, "%s is not empty (%s): `--resume %s` goes on with the run "
             "in it, --force moves it aside to %s.old-<time>/; nothing was changed",
             dir, shown, dir, dir);
    free(shown);
    return CL_DIRLOCK_REFUSED;
}

/* dir.old-<local time>[-k], a name nothing has; owned by the caller. */
static char *aside_name(const char *dir)
{
    time_t t = time(NULL);
    struct tm tm;
    localtime_r(&t, &tm);
    char stamp[32];
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    char *name = cl_xasprintf("%s.old-%s", dir, stamp);
    struct stat st;
    for (int k = 2; lstat(name, &st) == 0; k++) {
        free(name);
        name = cl_xasprintf("%s.old-%s-%d", dir, stamp, k);
    }
    return name;
}

/* With the lock of `dir` held in *l: rename dir aside, make a new empty dir
 * and take its lock into *l instead. */
static int move_aside(const char *dir, int argc, char **argv, struct cl_dirlock *l,
                      char *moved_to, size_t movedlen, char *err, size_t errlen)
{
    char *old = aside_name(dir);
    if (rename(dir, old) != 0) {
        snprintf(err, errlen, "cannot move %s aside to %s: %s", dir, old, strerror(errno));
        free(old);
        cl_dirlock_release(l);
        return CL_DIRLOCK_ERROR;
    }
    snprintf(moved_to, movedlen, "%s", old);
    struct cl_dirlock prev = *l;
    int rc;
    if (mkdir(dir, 0777) != 0) {
        snprintf(err, errlen, "moved %s aside to %s, but cannot create it again: %s",
                 dir, old, strerror(errno));
        rc = CL_DIRLOCK_ERROR;
    } else {
        rc = cl_dirlock_acquire(dir, argc, argv, l, err, errlen);
    }
    /* The old lock file stays locked until it is gone: whoever opened it
     * before the rename finds it is no longer DIR/.lock (see acquire). */
    char *old_lock = cl_xasprintf("%s/.lock", old);
    unlink(old_lock);
    free(old_lock);
    cl_dirlock_release(&prev);
    free(old);
    return rc;
}

int cl_outdir_prepare(const char *dir, int force, int argc, char **argv,
                      struct cl_dirlock *out, char *moved_to, size_t movedlen,
                      char *err, size_t errlen)
{
    out->fd = -1;
    out->path = NULL;
    if (movedlen)
        moved_to[0] = '\0';
    /* The trailing slashes of "out/" would make "out/.old-..." of the name
     * the directory is moved to. */
    char *d = cl_xstrdup(dir);
    for (size_t n = strlen(d); n > 1 && d[n - 1] == '/'; n--)
        d[n - 1] = '\0';
    char names[256];
    struct stat st;
    int rc;
    long n;
    if (stat(d, &st) == 0) {
        /* Refuse before touching anything (not even creating .lock). */
        if (!S_ISDIR(st.st_mode)) {
            snprintf(err, errlen, "%s exists and is not a directory", d);
            rc = CL_DIRLOCK_REFUSED;
            goto out;
        }
        if ((n = count_entries(d, names, sizeof names)) < 0) {
            snprintf(err, errlen, "cannot read %s: %s", d, strerror(errno));
            rc = CL_DIRLOCK_ERROR;
            goto out;
        }
        char who[6144];
        if (n > 0 && cl_dirlock_holder(d, who, sizeof who) == 1) {
            snprintf(err, errlen, "%s is being written by %s", d, who);
            rc = CL_DIRLOCK_REFUSED;
            goto out;
        }
        if (n > 0 && !force) {
            rc = not_empty(d, names, err, errlen);
            goto out;
        }
    } else if (errno != ENOENT || cl_mkdirs(d) != 0) {
        snprintf(err, errlen, "cannot create %s: %s", d, strerror(errno));
        rc = CL_DIRLOCK_ERROR;
        goto out;
    }
    if ((rc = cl_dirlock_acquire(d, argc, argv, out, err, errlen)) != CL_DIRLOCK_OK)
        goto out;
    /* Again under the lock: another run may have filled it meanwhile. */
    if ((n = count_entries(d, names, sizeof names)) < 0) {
        snprintf(err, errlen, "cannot read %s: %s", d, strerror(errno));
        cl_dirlock_release(out);
        rc = CL_DIRLOCK_ERROR;
    } else if (n > 0 && !force) {
        cl_dirlock_release(out);
        rc = not_empty(d, names, err, errlen);
    } else if (n > 0) {
        rc = move_aside(d, argc, argv, out, moved_to, movedlen, err, errlen);
    }
out:
    free(d);
    return rc;
}

/* test-dirlock.c — the run directory lock and claiming an output directory
 * (host/dirlock.h), with real processes: holders that live, die by kill -9,
 * and leave forked children behind. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dirlock.h"
#include "util.h"

static char *argv_run[] = {"conlab", "run", "spec.yaml", "-o", "out"};
enum { ARGC_RUN = 5 };

/* ---- fixtures and helpers ------------------------------------------------------ */

static int make_tmp(void **st)
{
    char tmpl[] = "/tmp/conlab-dirlock-XXXXXX";
    char *d = mkdtemp(tmpl);
    if (!d)
        return -1;
    *st = cl_xstrdup(d);
    return 0;
}

static int remove_tmp(void **st)
{
    char *cmd = cl_xasprintf("rm -rf '%s' '%s'.old-*", (char *)*st, (char *)*st);
    int rc = system(cmd);
    free(cmd);
    free(*st);
    return rc == 0 ? 0 : -1;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    char *buf = cl_xcalloc(1, 65536);
    size_t n = fread(buf, 1, 65535, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

static void put(const char *dir, const char *name, const char *text)
{
    char *path = cl_xasprintf("%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    free(path);
}

static int exists(const char *dir, const char *name)
{
    char *path = cl_xasprintf("%s/%s", dir, name);
    int rc = access(path, F_OK) == 0;
    free(path);
    return rc;
}

/* A process that takes the lock of dir and then waits: with `grandchild`,
 * it then forks a child of its own that sleeps for a minute (a worker
 * left behind).  Returns its PID once it holds the lock (and the grandchild
 * runs); *gc gets the grandchild's PID (0 without). */
static pid_t spawn_holder(const char *dir, int grandchild, pid_t *gc)
{
    int p[2];
    assert_int_equal(pipe(p), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        close(p[0]);
        struct cl_dirlock l;
        char err[1024];
        if (cl_dirlock_acquire(dir, ARGC_RUN, argv_run, &l, err, sizeof err) != 0)
            _exit(1);
        /* the grandchild says it is there itself: once fork() returned in
         * it (its atfork handlers ran) */
        pid_t g = 0;
        if (grandchild && fork() == 0) {
            g = getpid();
            (void)!write(p[1], &g, sizeof g);
            close(p[1]);
            sleep(60);
            _exit(0);
        }
        if (!grandchild)
            (void)!write(p[1], &g, sizeof g);
        for (;;)
            pause();
    }
    close(p[1]);
    pid_t g = -1;
    assert_int_equal(read(p[0], &g, sizeof g), (ssize_t)sizeof g);
    close(p[0]);
    if (gc)
        *gc = g;
    return pid;
}

static void kill9(pid_t pid)
{
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
}

/* ---- the lock ------------------------------------------------------------------ */

static void acquire_records_holder_and_release_empties(void **st)
{
    const char *dir = *st;
    struct cl_dirlock l;
    char err[1024] = "", who[4096];
    assert_int_equal(cl_dirlock_acquire(dir, ARGC_RUN, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_OK);
    assert_true(l.fd >= 0);
    char *path = cl_xasprintf("%s/.lock", dir);
    char *text = slurp(path);
    char *pid = cl_xasprintf("pid: %ld\n", (long)getpid());
    assert_non_null(strstr(text, pid));
    assert_non_null(strstr(text, "command: conlab run spec.yaml -o out\n"));
    assert_non_null(strstr(text, "host: "));
    assert_non_null(strstr(text, "since: "));
    free(text);
    /* seen as held through another open file, even in this process */
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 1);
    char *said = cl_xasprintf("PID %ld on ", (long)getpid());
    assert_non_null(strstr(who, said));
    assert_non_null(strstr(who, "(conlab run spec.yaml -o out) since "));
    /* the close-on-exec flag is set */
    int fdflags = fcntl(l.fd, F_GETFD);
    assert_true(fdflags & FD_CLOEXEC);

    cl_dirlock_release(&l);
    assert_int_equal(l.fd, -1);
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 0);
    text = slurp(path);
    assert_string_equal(text, ""); /* the file stays, emptied */
    free(text);
    cl_dirlock_release(&l);        /* twice: a no-op */
    assert_int_equal(cl_dirlock_acquire(dir, ARGC_RUN, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_OK);
    cl_dirlock_release(&l);
    free(said);
    free(pid);
    free(path);
}

static void second_writer_refused_with_holder_pid(void **st)
{
    const char *dir = *st;
    pid_t holder = spawn_holder(dir, 0, NULL);
    struct cl_dirlock l;
    char err[8192] = "";
    assert_int_equal(cl_dirlock_acquire(dir, 1, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_REFUSED);
    assert_int_equal(l.fd, -1);
    char *want = cl_xasprintf("%s is being written by PID %ld on ", dir, (long)holder);
    assert_non_null(strstr(err, want));
    assert_non_null(strstr(err, "(conlab run spec.yaml -o out) since "));
    /* refusing did not disturb the holder's record */
    char *path = cl_xasprintf("%s/.lock", dir);
    char *text = slurp(path);
    char *pidline = cl_xasprintf("pid: %ld\n", (long)holder);
    assert_non_null(strstr(text, pidline));
    kill9(holder);
    free(pidline);
    free(text);
    free(path);
    free(want);
}

static void lock_dies_with_its_holder(void **st)
{
    const char *dir = *st;
    pid_t holder = spawn_holder(dir, 0, NULL);
    char who[4096];
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 1);
    kill9(holder);
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 0);
    struct cl_dirlock l;
    char err[1024] = "";
    assert_int_equal(cl_dirlock_acquire(dir, ARGC_RUN, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_OK);
    cl_dirlock_release(&l);
}

static void forked_children_neither_hold_nor_release(void **st)
{
    const char *dir = *st;
    /* the holder's child outlives it: the lock must not */
    pid_t gc = 0;
    pid_t holder = spawn_holder(dir, 1, &gc);
    assert_true(gc > 0);
    kill9(holder);
    struct cl_dirlock l;
    char err[1024] = "";
    assert_int_equal(cl_dirlock_acquire(dir, ARGC_RUN, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_OK);
    kill(gc, SIGKILL); /* not our child: init reaps it */

    /* and a child of ours that exits (or releases its copy) leaves ours held */
    pid_t c = fork();
    assert_true(c >= 0);
    if (c == 0) {
        struct cl_dirlock copy = l;
        copy.path = cl_xstrdup(l.path);
        cl_dirlock_release(&copy);
        _exit(0);
    }
    int status = 0;
    waitpid(c, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    char who[4096];
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 1);
    char *me = cl_xasprintf("PID %ld ", (long)getpid());
    assert_non_null(strstr(who, me));
    cl_dirlock_release(&l);
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 0);
    free(me);
}

static void stale_lock_file_is_taken_over(void **st)
{
    const char *dir = *st;
    put(dir, ".lock", "pid: 999999\nhost: gone\nsince: 2001-01-01T00:00:00+0000\n"
                      "command: conlab run old.yaml\n");
    char who[4096];
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 0);
    struct cl_dirlock l;
    char err[1024] = "";
    assert_int_equal(cl_dirlock_acquire(dir, ARGC_RUN, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_OK);
    char *path = cl_xasprintf("%s/.lock", dir);
    char *text = slurp(path);
    assert_null(strstr(text, "999999"));
    assert_null(strstr(text, "old.yaml"));
    char *pid = cl_xasprintf("pid: %ld\n", (long)getpid());
    assert_non_null(strstr(text, pid));
    cl_dirlock_release(&l);
    free(pid);
    free(text);
    free(path);
}

static void acquire_needs_a_directory(void **st)
{
    const char *dir = *st;
    struct cl_dirlock l;
    char err[1024] = "";
    char *missing = cl_xasprintf("%s/nope", dir);
    assert_int_equal(cl_dirlock_acquire(missing, 1, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_REFUSED);
    assert_non_null(strstr(err, "no such directory"));
    assert_int_equal(access(missing, F_OK), -1); /* not created */
    put(dir, "file", "x");
    char *file = cl_xasprintf("%s/file", dir);
    assert_int_equal(cl_dirlock_acquire(file, 1, argv_run, &l, err, sizeof err),
                     CL_DIRLOCK_REFUSED);
    assert_non_null(strstr(err, "not a directory"));
    free(file);
    free(missing);
}

/* ---- claiming an output directory --------------------------------------------- */

static void outdir_new_or_empty_is_claimed(void **st)
{
    const char *dir = *st;
    struct cl_dirlock l;
    char err[1024] = "", moved[1024] = "x";
    char *fresh = cl_xasprintf("%s/a/b/run", dir);
    assert_int_equal(cl_outdir_prepare(fresh, 0, ARGC_RUN, argv_run, &l, moved,
                                       sizeof moved, err, sizeof err), CL_DIRLOCK_OK);
    assert_string_equal(moved, "");
    assert_true(exists(fresh, ".lock"));
    char who[4096];
    assert_int_equal(cl_dirlock_holder(fresh, who, sizeof who), 1);
    cl_dirlock_release(&l);
    /* again: it holds only .lock, which counts as empty */
    assert_int_equal(cl_outdir_prepare(fresh, 0, ARGC_RUN, argv_run, &l, moved,
                                       sizeof moved, err, sizeof err), CL_DIRLOCK_OK);
    cl_dirlock_release(&l);
    free(fresh);
}

static void outdir_not_empty_refused_untouched(void **st)
{
    const char *dir = *st;
    put(dir, "results.csv", "old rows\n");
    struct cl_dirlock l;
    char err[1024] = "", moved[1024] = "";
    assert_int_equal(cl_outdir_prepare(dir, 0, ARGC_RUN, argv_run, &l, moved,
                                       sizeof moved, err, sizeof err), CL_DIRLOCK_REFUSED);
    assert_int_equal(l.fd, -1);
    assert_non_null(strstr(err, "is not empty (results.csv)"));
    assert_non_null(strstr(err, "--force"));
    assert_false(exists(dir, ".lock")); /* not even the lock file */
    char *path = cl_xasprintf("%s/results.csv", dir);
    char *text = slurp(path);
    assert_string_equal(text, "old rows\n");
    free(text);
    free(path);
}

static void outdir_force_moves_aside(void **st)
{
    const char *dir = *st;
    put(dir, "results.csv", "old rows\n");
    put(dir, "tasks.csv", "old tasks\n");
    struct cl_dirlock l;
    char err[1024] = "", moved[1024] = "";
    /* a trailing slash must not put the old content inside the new dir */
    char *slashed = cl_xasprintf("%s/", dir);
    assert_int_equal(cl_outdir_prepare(slashed, 1, ARGC_RUN, argv_run, &l, moved,
                                       sizeof moved, err, sizeof err), CL_DIRLOCK_OK);
    char *prefix = cl_xasprintf("%s.old-", dir);
    assert_int_equal(strncmp(moved, prefix, strlen(prefix)), 0);
    char *path = cl_xasprintf("%s/results.csv", moved);
    char *text = slurp(path);
    assert_non_null(text);
    assert_string_equal(text, "old rows\n");
    assert_true(exists(moved, "tasks.csv"));
    assert_false(exists(moved, ".lock"));
    /* the new directory is empty but for its lock, which we hold */
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    for (struct dirent *e; (e = readdir(d)) != NULL;)
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..") && strcmp(e->d_name, ".lock");
    closedir(d);
    assert_int_equal(n, 0);
    char who[4096];
    assert_int_equal(cl_dirlock_holder(dir, who, sizeof who), 1);
    assert_int_equal(cl_dirlock_holder(moved, who, sizeof who), 0);
    cl_dirlock_release(&l);
    free(text);
    free(path);
    free(prefix);
    free(slashed);
}

static void outdir_being_written_refused_even_forced(void **st)
{
    const char *dir = *st;
    pid_t holder = spawn_holder(dir, 0, NULL);
    put(dir, "results.csv", "rows\n");
    struct cl_dirlock l;
    char err[8192] = "", moved[1024] = "";
    char *want = cl_xasprintf("%s is being written by PID %ld ", dir, (long)holder);
    for (int force = 0; force <= 1; force++) {
        assert_int_equal(cl_outdir_prepare(dir, force, ARGC_RUN, argv_run, &l, moved,
                                           sizeof moved, err, sizeof err),
                         CL_DIRLOCK_REFUSED);
        assert_non_null(strstr(err, want));
        assert_string_equal(moved, "");
        assert_true(exists(dir, "results.csv"));
    }
    /* an empty directory being written (a run that just started) too */
    char *path = cl_xasprintf("%s/results.csv", dir);
    unlink(path);
    assert_int_equal(cl_outdir_prepare(dir, 0, ARGC_RUN, argv_run, &l, moved,
                                       sizeof moved, err, sizeof err), CL_DIRLOCK_REFUSED);
    assert_non_null(strstr(err, want));
    kill9(holder);
    free(path);
    free(want);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(acquire_records_holder_and_release_empties, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(second_writer_refused_with_holder_pid, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(lock_dies_with_its_holder, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(forked_children_neither_hold_nor_release, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(stale_lock_file_is_taken_over, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(acquire_needs_a_directory, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(outdir_new_or_empty_is_claimed, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(outdir_not_empty_refused_untouched, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(outdir_force_moves_aside, make_tmp, remove_tmp),
        cmocka_unit_test_setup_teardown(outdir_being_written_refused_even_forced, make_tmp, remove_tmp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

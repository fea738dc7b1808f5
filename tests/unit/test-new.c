/* test-new.c — `conlab new`: the names it accepts, the folder it writes
 * (every placeholder expanded, the plugin named as asked), and what it
 * refuses without writing anything.  That the folders build and run is
 * tests/sdk/sdk-test.sh's job. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "new.h"
#include "runner.h"

static char *slurp(const char *dir, const char *file)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("%s was not written", path);
    char *text = NULL;
    size_t cap = 0;
    ssize_t n = getdelim(&text, &cap, '\0', f);
    fclose(f);
    assert_true(n > 0);
    return text;
}

static size_t count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    size_t n = 0;
    const struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void remove_tree(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d)
        return;
    const struct dirent *e;
    while ((e = readdir(d))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
            continue;
        char path[4096];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (lstat(path, &st) == 0 && S_ISDIR(st.st_mode))
            remove_tree(path);
        else
            unlink(path);
    }
    closedir(d);
    rmdir(dir);
}

static int setup(void **st)
{
    char *tmp = strdup("/tmp/conlab-test-new.XXXXXX");
    if (!tmp || !mkdtemp(tmp))
        return -1;
    *st = tmp;
    return 0;
}

static int teardown(void **st)
{
    remove_tree(*st);
    free(*st);
    return 0;
}

static int run_new(const char *kind, const char *name, const char *dir)
{
    char *argv[] = {"new", (char *)kind, (char *)name, (char *)dir, NULL};
    int argc = dir ? 4 : (name ? 3 : (kind ? 2 : 1));
    return cl_cmd_new(argc, argv);
}

static void names(void **st)
{
    (void)st;
    static const char *const good[] = {"a", "mine", "my-strat", "x_2", "a0-_",
                                       "abcdefghijabcdefghijabcdefghijabcdefghij"
                                       "abcdefghijabcdefghijabcd" /* 64 */};
    static const char *const bad[] = {"", "9lives", "-x", "_x", "Mine",
                                      "my strat", "a.b", "a/b", "ä",
                                      "abcdefghijabcdefghijabcdefghijabcdefghij"
                                      "abcdefghijabcdefghijabcde" /* 65 */};
    for (size_t i = 0; i < sizeof good / sizeof *good; i++)
        if (!cl_new_valid_name(good[i]))
            fail_msg("'%s' refused", good[i]);
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        if (cl_new_valid_name(bad[i]))
            fail_msg("'%s' accepted", bad[i]);
    assert_false(cl_new_valid_name(NULL));
}

/* No @KEY@ of the templates survives. */
static void assert_expanded(const char *text, const char *file)
{
    static const char *const keys[] = {"@NAME@", "@ID@", "@KIND@", "@ABI@",
                                       "@VERSION@", "@MAJOR@", "@HINTS@"};
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++)
        if (strstr(text, keys[i]))
            fail_msg("%s still holds %s", file, keys[i]);
}

static void check_folder(const char *dir, const char *kind, const char *name,
                         const char *id, const char *const *must)
{
    char file[256];
    const char *files[] = {NULL, "CMakeLists.txt", NULL, "README.md",
                           ".gitignore"};
    char cfile[128], yfile[128];
    snprintf(cfile, sizeof cfile, "%s.c", name);
    snprintf(yfile, sizeof yfile, "%s.yaml", name);
    files[0] = cfile;
    files[2] = yfile;
    assert_int_equal(count_entries(dir), 5);
    for (size_t i = 0; i < 5; i++) {
        char *t = slurp(dir, files[i]);
        assert_expanded(t, files[i]);
        free(t);
    }

    char *c = slurp(dir, cfile);
    snprintf(file, sizeof file,
             "#define CONLAB_PLUGIN_NAME \"%s\"\n#include <conlab/conlab_plugin.h>",
             name);
    assert_non_null(strstr(c, file));
    assert_non_null(strstr(c, ".name = CONLAB_PLUGIN_NAME,"));
    assert_null(strstr(c, "->log(")); /* CONLAB_LOG, no hand-rolled logger */
    snprintf(file, sizeof file, "CONLAB_PLUGIN_DEFINE(%s_plugin)", id);
    assert_non_null(strstr(c, file));
    for (; *must; must++)
        if (!strstr(c, *must))
            fail_msg("%s lacks '%s'", cfile, *must);
    free(c);

    char *cm = slurp(dir, "CMakeLists.txt");
    snprintf(file, sizeof file, "conlab_add_plugin(%s %s SOURCES %s.c)", kind,
             name, name);
    assert_non_null(strstr(cm, file));
    assert_non_null(strstr(cm, "find_package(conlab "));
    free(cm);

    char *y = slurp(dir, yfile);
    snprintf(file, sizeof file, "plugin: ./build/%s_%s.so", kind, name);
    assert_non_null(strstr(y, file));
    snprintf(file, sizeof file, "experiment: %s\n", name);
    assert_non_null(strstr(y, file));
    free(y);
}

static void writes_strategy(void **st)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/s", (char *)*st);
    assert_int_equal(run_new("strategy", "unit-strat", dir), 0);
    static const char *const must[] = {
        "CONLAB_PLUGIN_HEADER(CONLAB_KIND_STRATEGY)", "unit_strat_workers",
        "unit_strat_run", "job->worker_begin(job, w, NULL)",
        "job->worker_end(job, w)", ".strategy = &unit_strat_ops",
        "CONLAB_LOG(job->host, CONLAB_LOG_WARN",
        "unit_strat_counters[] = {\"tasks_run\", NULL}",
        ".counters = unit_strat_counters",
        "job->count(job, COUNT_TASKS_RUN, job->n_tasks)",
        "job->set_spawner(job, w, &spawner)", NULL};
    check_folder(dir, "strategy", "unit-strat", "unit_strat", must);
}

static void writes_workload(void **st)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/w", (char *)*st);
    assert_int_equal(run_new("workload", "load3", dir), 0);
    static const char *const must[] = {
        "CONLAB_PLUGIN_HEADER(CONLAB_KIND_WORKLOAD)", "load3_create",
        "load3_destroy", "load3_worker_init", "load3_worker_fini",
        "load3_run_task", "load3_expected", "res->value = index * 3",
        "*value = index * 3", "conlab_sleep_ns(w->waiter",
        "CONLAB_LOG(env->host, CONLAB_LOG_DEBUG",
        "struct conlab_group g = CONLAB_GROUP_INIT;",
        "conlab_spawn(w, &g, add, &a)", "conlab_sync(w, &g)", NULL};
    check_folder(dir, "workload", "load3", "load3", must);
}

/* DIR defaults to ./NAME. */
static void default_dir(void **st)
{
    char old[4096];
    assert_non_null(getcwd(old, sizeof old));
    assert_int_equal(chdir(*st), 0);
    int rc = run_new("workload", "here", NULL);
    struct stat sb;
    int made = stat("here/here.c", &sb);
    assert_int_equal(chdir(old), 0);
    assert_int_equal(rc, 0);
    assert_int_equal(made, 0);
}

static void empty_dir_is_used(void **st)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/empty", (char *)*st);
    assert_int_equal(mkdir(dir, 0777), 0);
    assert_int_equal(run_new("strategy", "into-empty", dir), 0);
    assert_int_equal(count_entries(dir), 5);
}

static void refuses_non_empty_dir(void **st)
{
    char dir[4096], keep[4200];
    snprintf(dir, sizeof dir, "%s/full", (char *)*st);
    assert_int_equal(mkdir(dir, 0777), 0);
    snprintf(keep, sizeof keep, "%s/keep.txt", dir);
    FILE *f = fopen(keep, "w");
    assert_non_null(f);
    fputs("mine\n", f);
    fclose(f);
    assert_int_equal(run_new("strategy", "full", dir), CL_EXIT_USAGE);
    assert_int_equal(count_entries(dir), 1);
    char *t = slurp(dir, "keep.txt");
    assert_string_equal(t, "mine\n");
    free(t);
}

static void refuses_a_file_as_dir(void **st)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/plain", (char *)*st);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fclose(f);
    assert_int_equal(run_new("workload", "plain", path), CL_EXIT_USAGE);
}

static void refuses_bad_arguments(void **st)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/bad", (char *)*st);
    assert_int_equal(run_new("thing", "x", dir), CL_EXIT_USAGE);
    assert_int_equal(run_new("strategy", "Bad", dir), CL_EXIT_USAGE);
    assert_int_equal(run_new("strategy", "9x", dir), CL_EXIT_USAGE);
    assert_int_equal(run_new("strategy", NULL, NULL), CL_EXIT_USAGE);
    assert_int_equal(run_new(NULL, NULL, NULL), CL_EXIT_USAGE);
    char *argv[] = {"new", "strategy", "a", "b", "c", NULL};
    assert_int_equal(cl_cmd_new(5, argv), CL_EXIT_USAGE);
    struct stat sb;
    assert_int_not_equal(stat(dir, &sb), 0); /* nothing was created */
}

/* A missing parent is the caller's mistake, and nothing is left behind. */
static void missing_parent(void **st)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/no/such/dir", (char *)*st);
    assert_int_equal(run_new("strategy", "deep", dir), CL_EXIT_USAGE);
    assert_int_equal(count_entries(*st), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(names),
        cmocka_unit_test_setup_teardown(writes_strategy, setup, teardown),
        cmocka_unit_test_setup_teardown(writes_workload, setup, teardown),
        cmocka_unit_test_setup_teardown(default_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(empty_dir_is_used, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_non_empty_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_a_file_as_dir, setup, teardown),
        cmocka_unit_test_setup_teardown(refuses_bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(missing_parent, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

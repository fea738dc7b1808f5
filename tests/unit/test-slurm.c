/* test-slurm.c — the pieces of `conlab slurm`, `status` and `merge` that
 * talk to Slurm's commands and read run directories: --array lists, sbatch
 * and squeue output, shell quoting, YAML written and read back, and what a
 * shard directory says about itself. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "shards.h"
#include "yamlio.h"
#include "slurm.h"

static void array_lists_are_ranges(void **st)
{
    (void)st;
    const unsigned a[] = {0, 1, 2, 3, 5, 7, 8};
    char *s = cl_slurm_ranges(a, 7);
    assert_string_equal(s, "0-3,5,7-8");
    free(s);
    const unsigned one[] = {2};
    s = cl_slurm_ranges(one, 1);
    assert_string_equal(s, "2");
    free(s);
    s = cl_slurm_ranges(NULL, 0);
    assert_string_equal(s, "");
    free(s);
    unsigned many[300];
    for (unsigned i = 0; i < 300; i++)
        many[i] = 2 * i; /* no two adjacent: 300 single numbers */
    s = cl_slurm_ranges(many, 300);
    assert_int_equal(strncmp(s, "0,2,4,", 6), 0);
    assert_non_null(strstr(s, ",596,598"));
    assert_int_equal(s[strlen(s) - 1], '8');
    free(s);
}

static void array_lists_hold_their_indices(void **st)
{
    (void)st;
    const char *list = "0-3,5,7-8";
    const int want[] = {1, 1, 1, 1, 0, 1, 0, 1, 1, 0, 0};
    for (unsigned i = 0; i < 11; i++)
        assert_int_equal(cl_slurm_ranges_has(list, i), want[i]);
    assert_true(cl_slurm_ranges_has("0-9%2", 9));  /* a throttle */
    assert_false(cl_slurm_ranges_has("0-9%2", 2 + 10));
    assert_true(cl_slurm_ranges_has("0-10:5", 5)); /* steps */
    assert_false(cl_slurm_ranges_has("0-10:5", 4));
    assert_true(cl_slurm_ranges_has("1", 1));
    assert_false(cl_slurm_ranges_has("", 0));
    assert_false(cl_slurm_ranges_has("x", 0));
    assert_false(cl_slurm_ranges_has("3-x", 3));
}

static void sbatch_parsable_output(void **st)
{
    (void)st;
    char id[32];
    assert_int_equal(cl_slurm_parse_jobid("1234\n", id, sizeof id), 0);
    assert_string_equal(id, "1234");
    assert_int_equal(cl_slurm_parse_jobid("  98765;cluster-a\n", id, sizeof id), 0);
    assert_string_equal(id, "98765");
    assert_int_equal(cl_slurm_parse_jobid("", id, sizeof id), -1);
    assert_int_equal(cl_slurm_parse_jobid("Submitted batch job 5\n", id, sizeof id), -1);
    assert_int_equal(cl_slurm_parse_jobid("12a\n", id, sizeof id), -1);
    assert_int_equal(cl_slurm_parse_jobid("123456789", id, 4), -1); /* too long */
}

static void squeue_lines(void **st)
{
    (void)st;
    char job[32], state[32];
    long task = 7;
    assert_int_equal(cl_slurm_parse_squeue("1234|3|RUNNING", job, sizeof job, &task,
                                           state, sizeof state), 0);
    assert_string_equal(job, "1234");
    assert_int_equal(task, 3);
    assert_string_equal(state, "RUNNING");
    assert_int_equal(cl_slurm_parse_squeue("1235|N/A|PENDING\n", job, sizeof job, &task,
                                           state, sizeof state), 0);
    assert_string_equal(job, "1235");
    assert_int_equal(task, -1);
    assert_string_equal(state, "PENDING");
    assert_int_equal(cl_slurm_parse_squeue("1234_[0-3]|N/A|PENDING", job, sizeof job,
                                           &task, state, sizeof state), -1);
    assert_int_equal(cl_slurm_parse_squeue("1234|3|", job, sizeof job, &task, state,
                                           sizeof state), -1);
    assert_int_equal(cl_slurm_parse_squeue("1234|3x|RUNNING", job, sizeof job, &task,
                                           state, sizeof state), -1);
    assert_int_equal(cl_slurm_parse_squeue("no bars", job, sizeof job, &task, state,
                                           sizeof state), -1);
}

static void shell_quoting_survives_sh(void **st)
{
    (void)st;
    char *q = cl_sh_quote("it's a $HOME `x`");
    assert_string_equal(q, "'it'\\''s a $HOME `x`'");
    /* and sh agrees */
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "printf %%s %s", q) > 0);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char out[64] = "";
    assert_non_null(fgets(out, sizeof out, p));
    assert_int_equal(pclose(p), 0);
    assert_string_equal(out, "it's a $HOME `x`");
    free(cmd);
    free(q);
}

static char *tmpdir(void)
{
    char tmpl[] = "/tmp/conlab-test-slurm-XXXXXX";
    char *d = mkdtemp(tmpl);
    assert_non_null(d);
    return strdup(d);
}

static void yaml_written_reads_back(void **st)
{
    (void)st;
    char *dir = tmpdir();
    char path[512];
    snprintf(path, sizeof path, "%s/a.yaml", dir);
    struct cl_yout y;
    assert_int_equal(cl_yout_open(&y, path), 0);
    cl_yout_kv(&y, "plain", "text");
    cl_yout_kv(&y, "tricky", "a: b # not a comment\n'quoted' \"too\"");
    cl_yout_kvf(&y, "n", "%d", 42);
    cl_yout_scalar(&y, "list");
    cl_yout_seq_start(&y, 1);
    cl_yout_scalar(&y, "x");
    cl_yout_scalar(&y, "y, z");
    cl_yout_seq_end(&y);
    cl_yout_scalar(&y, "map");
    cl_yout_map_start(&y);
    cl_yout_kv(&y, "k", "v");
    cl_yout_map_end(&y);
    assert_int_equal(cl_yout_close(&y), 0);
    char err[256];
    struct cl_ydoc d;
    assert_int_equal(cl_ydoc_load(&d, path, err, sizeof err), 0);
    assert_string_equal(cl_ydoc_str(&d, NULL, "plain"), "text");
    assert_string_equal(cl_ydoc_str(&d, NULL, "tricky"), "a: b # not a comment\n'quoted' \"too\"");
    assert_string_equal(cl_ydoc_str(&d, NULL, "n"), "42");
    assert_null(cl_ydoc_str(&d, NULL, "list")); /* not a scalar */
    assert_null(cl_ydoc_str(&d, NULL, "absent"));
    yaml_node_t *map = cl_ydoc_get(&d, NULL, "map");
    assert_non_null(map);
    assert_string_equal(cl_ydoc_str(&d, map, "k"), "v");

    /* a copy of a loaded document's nodes is the same document */
    char path2[512];
    snprintf(path2, sizeof path2, "%s/b.yaml", dir);
    assert_int_equal(cl_yout_open(&y, path2), 0);
    cl_yout_scalar(&y, "copy");
    cl_yout_node(&y, &d, yaml_document_get_root_node(&d.doc));
    assert_int_equal(cl_yout_close(&y), 0);
    struct cl_ydoc d2;
    assert_int_equal(cl_ydoc_load(&d2, path2, err, sizeof err), 0);
    yaml_node_t *copy = cl_ydoc_get(&d2, NULL, "copy");
    assert_string_equal(cl_ydoc_str(&d2, copy, "tricky"),
                        "a: b # not a comment\n'quoted' \"too\"");
    yaml_node_t *list = cl_ydoc_get(&d2, copy, "list");
    assert_non_null(list);
    assert_int_equal(list->type, YAML_SEQUENCE_NODE);
    assert_int_equal(list->data.sequence.items.top - list->data.sequence.items.start, 2);
    assert_string_equal(cl_ydoc_str(&d2, cl_ydoc_get(&d2, copy, "map"), "k"), "v");
    cl_ydoc_free(&d2);
    cl_ydoc_free(&d);

    /* missing and broken files say so */
    snprintf(path2, sizeof path2, "%s/none.yaml", dir);
    assert_int_equal(cl_ydoc_load(&d, path2, err, sizeof err), -1);
    assert_non_null(strstr(err, "none.yaml"));
    FILE *f = fopen(path2, "w");
    fputs("a: [unclosed\n", f);
    fclose(f);
    assert_int_equal(cl_ydoc_load(&d, path2, err, sizeof err), -1);
    assert_non_null(strstr(err, "none.yaml:"));
    cl_ydoc_free(&d); /* a document never loaded */
    unlink(path);
    unlink(path2);
    snprintf(path2, sizeof path2, "%s/b.yaml", dir);
    unlink(path2);
    rmdir(dir);
    free(dir);
}

static void write_text(const char *dir, const char *name, const char *text)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static void shard_directories_tell_their_state(void **st)
{
    (void)st;
    char *dir = tmpdir();
    char sub[512];
    struct cl_shard s;

    snprintf(sub, sizeof sub, "%s/shard-1", dir);
    cl_shard_read(&s, sub, 1);
    assert_false(s.exists);
    assert_false(s.has_run);
    assert_false(cl_shard_done(&s));
    assert_non_null(strstr(s.why, "no directory"));
    cl_shard_free(&s);

    assert_int_equal(mkdir(sub, 0777), 0);
    cl_shard_read(&s, sub, 1);
    assert_true(s.exists);
    assert_false(s.has_run);
    assert_string_equal(s.why, "no run.yaml yet");
    cl_shard_free(&s);

    /* two of its three cells finished (all 2 repetitions, or one that ended
     * it), one has only one repetition and an interrupted one; summary.csv,
     * which says all three finished, is not believed */
    write_text(sub, "run.yaml", "experiment: x\nstate: complete\ncells: 3\nshard: 2/4\n"
                                "spec_hash: fnv1a64:00\nrepeat: 2\n");
    write_text(sub, "summary.csv", "experiment,cell,status\nx,a,ok\nx,\"b, c\",failed\n"
                                   "x,d,ok\n");
    write_text(sub, "results.csv", "cell,repetition,status\na,1,ok\n\"b, c\",1,failed\n"
                                   "d,1,ok\na,2,ok\n\"b, c\",2,timeout\nd,2,interrupted\n");
    cl_shard_read(&s, sub, 1);
    assert_true(s.has_run);
    assert_string_equal(s.state, "complete");
    assert_string_equal(s.hash, "fnv1a64:00");
    assert_int_equal(s.shard, 2);
    assert_int_equal(s.shards, 4);
    assert_int_equal(s.cells, 3);
    assert_int_equal(s.cells_done, 2);
    assert_string_equal(s.problem, "");
    assert_false(cl_shard_done(&s)); /* complete, but a cell is missing */
    cl_shard_free(&s);
    /* d's last repetition: a torn last record, dropped as --resume drops it */
    write_text(sub, "results.csv", "cell,repetition,status\na,1,ok\n\"b, c\",0,crashed\n"
                                   "d,1,ok\na,2,ok\nd,2,ok\n\"d,2,o");
    cl_shard_read(&s, sub, 1);
    assert_int_equal(s.cells_done, 3);
    assert_true(cl_shard_done(&s));
    cl_shard_free(&s);
    /* no summary.csv at all: results.csv alone says the shard is done */
    char path[1024];
    snprintf(path, sizeof path, "%s/summary.csv", sub);
    assert_int_equal(unlink(path), 0);
    cl_shard_read(&s, sub, 1);
    assert_true(cl_shard_done(&s));
    cl_shard_free(&s);
    /* rows that are not a run's: named, and the shard is not done */
    static const struct {
        const char *rows, *problem;
    } bad[] = {
        {"a,1,ok\na,1,ok\n", "results.csv:3: cell 'a': repetition 1 is there twice"},
        {"a,3,ok\n", "results.csv:2: cell 'a': repetition '3' with status ok is not "
                      "one of this spec's (1..2"},
        {"a,1,timeout\na,2,ok\n", "results.csv:3: cell 'a': a row after the one "
                                    "that ended the cell (timeout)"},
        {"a,1,bogus\n", "results.csv:2: cell 'a': unknown status 'bogus'"},
        {"a,1,ok\nb,1,ok\nc,1,ok\nd,1,ok\n", "results.csv: rows of 4 cells, run.yaml "
                                               "says the shard has 3"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        char text[256];
        snprintf(text, sizeof text, "cell,repetition,status\n%s", bad[i].rows);
        write_text(sub, "results.csv", text);
        cl_shard_read(&s, sub, 1);
        assert_non_null(strstr(s.problem, bad[i].problem));
        assert_false(cl_shard_done(&s));
        cl_shard_free(&s);
    }
    write_text(sub, "results.csv", "cell,status\na,ok\n");
    cl_shard_read(&s, sub, 1);
    assert_non_null(strstr(s.problem, "results.csv:1: no 'repetition' column"));
    cl_shard_free(&s);
    write_text(sub, "results.csv", "");
    cl_shard_read(&s, sub, 1);
    assert_non_null(strstr(s.problem, "results.csv: no conlab header"));
    assert_false(cl_shard_done(&s));
    cl_shard_free(&s);
    /* nothing measured yet: no results.csv is no problem, nothing done */
    snprintf(path, sizeof path, "%s/results.csv", sub);
    assert_int_equal(unlink(path), 0);
    cl_shard_read(&s, sub, 1);
    assert_string_equal(s.problem, "");
    assert_int_equal(s.cells_done, 0);
    assert_false(cl_shard_done(&s));
    cl_shard_free(&s);
    write_text(sub, "results.csv", "cell,repetition,status\na,1,ok\na,2,ok\n");

    /* scanning finds shard-* directories in number order, nothing else */
    char other[512];
    snprintf(other, sizeof other, "%s/shard-10", dir);
    assert_int_equal(mkdir(other, 0777), 0);
    snprintf(other, sizeof other, "%s/shard-2", dir);
    assert_int_equal(mkdir(other, 0777), 0);
    snprintf(other, sizeof other, "%s/logs", dir);
    assert_int_equal(mkdir(other, 0777), 0);
    write_text(dir, "shard-3", "a file, not a shard");
    struct cl_shard *v;
    size_t n;
    char err[256];
    assert_int_equal(cl_shards_scan(dir, &v, &n, err, sizeof err), 0);
    assert_int_equal(n, 3);
    assert_int_equal(v[0].number, 1);
    assert_int_equal(v[1].number, 2);
    assert_int_equal(v[2].number, 10);
    assert_true(v[0].has_run);
    for (size_t i = 0; i < n; i++)
        cl_shard_free(&v[i]);
    free(v);
    char *cmd = NULL;
    assert_true(asprintf(&cmd, "rm -r '%s'", dir) > 0);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(array_lists_are_ranges),
        cmocka_unit_test(array_lists_hold_their_indices),
        cmocka_unit_test(sbatch_parsable_output),
        cmocka_unit_test(squeue_lines),
        cmocka_unit_test(shell_quoting_survives_sh),
        cmocka_unit_test(yaml_written_reads_back),
        cmocka_unit_test(shard_directories_tell_their_state),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* test-rundir.c — the run-directory model: a run directory written with the
 * writers `conlab run` uses (results.csv, summary.csv, run.yaml) and read
 * back with the readers resume, merge and report use gives the same cells,
 * repetitions and facts; statuses, the summariser of ok repetitions, the
 * cells of a shard; a cell's state from its rows; resume rebuilding every
 * cell from results.csv (a partial cell, a torn last line, interrupted
 * rows) and refusing a results.csv that is not this run's. */
#include <setjmp.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "registry.h"
#include "report.h"
#include "results.h"
#include "resume.h"
#include "rundir.h"
#include "runyaml.h"

/* ---- a spec made by hand: sequential and threads(workers=2) x sleep ------- */

/* as the registry loads them (cl_plugin_of finds the struct cl_plugin);
 * threads publishes two counters */
static const char *const thr_counters[] = {"steals", "parks", NULL};
static const struct cl_plugin seq_p = {.desc = {.name = "sequential"}};
static const struct cl_plugin thr_p = {.desc = {.name = "threads"},
                                       .sops = {.counters = thr_counters}};
static const struct cl_plugin sleep_p = {.desc = {.name = "sleep"}};
#define seq_plugin seq_p.desc
#define thr_plugin thr_p.desc
#define sleep_plugin sleep_p.desc

struct fixture {
    struct cl_spec spec;
    struct cl_variant strategies[2], workloads[1];
    struct cl_param_text sparams[2], wparams[1];
    char dir[64];
    struct cl_plugin_rec plugins[1]; /* what run.yaml records */
};

static void make_spec(struct fixture *x)
{
    memset(x, 0, sizeof *x);
    static char text[] = "experiment: roundtrip\nstrategies: [sequential, threads]\n";
    x->spec.path = "roundtrip.yaml";
    x->spec.text = text;
    x->spec.text_len = strlen(text);
    x->spec.experiment = "roundtrip";
    x->spec.repeat = 3;
    x->spec.warmup = 1;
    x->spec.timeout_s = 60;
    x->spec.seed = 7;
    x->spec.pinning.kind = CL_PIN_NONE;
    x->sparams[0] = (struct cl_param_text){"workers", "1", 0};
    x->sparams[1] = (struct cl_param_text){"workers", "2", 1};
    x->strategies[0] = (struct cl_variant){.plugin = &seq_plugin, .label = "sequential",
                                           .n_params = 1, .params = &x->sparams[0]};
    x->strategies[1] = (struct cl_variant){.plugin = &thr_plugin,
                                           .label = "threads(workers=2)",
                                           .n_params = 1, .params = &x->sparams[1]};
    x->wparams[0] = (struct cl_param_text){"tasks", "4", 1};
    x->workloads[0] = (struct cl_variant){.plugin = &sleep_plugin, .label = "sleep(tasks=4)",
                                          .n_params = 1, .params = x->wparams, .tasks = 4};
    x->spec.n_strategies = 2;
    x->spec.strategies = x->strategies;
    x->spec.n_workloads = 1;
    x->spec.workloads = x->workloads;
    x->plugins[0] = (struct cl_plugin_rec){"threads", "strategy", "/p/strategy_threads.so",
                                           NULL, "1.0", "ab12"};
    snprintf(x->dir, sizeof x->dir, "/tmp/conlab-rundir-XXXXXX");
    assert_non_null(mkdtemp(x->dir));
}

static void remove_dir(const char *dir)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static struct cl_rep_row a_row(int rep, enum cl_status st, double wall)
{
    struct cl_rep_row r;
    memset(&r, 0, sizeof r);
    r.repetition = rep;
    r.status = st;
    r.workers = 2;
    r.tasks = 4;
    r.tasks_ok = st == CL_ST_OK ? 4 : 3;
    r.tasks_failed = st == CL_ST_OK ? 0 : 1;
    r.tasks_missing = st == CL_ST_WRONG;
    r.wall_s = wall;
    r.user_s = wall / 4;
    r.sys_s = wall / 8;
    r.throughput_per_s = 4 / wall;
    r.lat_p50_s = wall / 2;
    r.lat_p99_s = wall * 0.9;
    r.lat_max_s = wall;
    r.max_rss_kib = 1000 + rep;
    r.vol_ctxsw = 10 * rep;
    r.invol_ctxsw = rep;
    r.seed = 1000 + (uint64_t)rep;
    r.seed_known = 1;
    r.startup_s = wall * 0.25;
    r.span_s = wall * 0.5;
    r.teardown_s = wall * 0.25;
    if (st != CL_ST_OK) {
        snprintf(r.detail, sizeof r.detail, "task 3: \"boom\", then\nmore");
        snprintf(r.reasons, sizeof r.reasons, "boom:1;other, with comma:2");
    }
    return r;
}

static void assert_rows_equal(const struct cl_rep_row *a, const struct cl_rep_row *b)
{
    assert_int_equal(a->repetition, b->repetition);
    assert_int_equal(a->status, b->status);
    assert_string_equal(a->detail, b->detail);
    assert_string_equal(a->reasons, b->reasons);
    assert_int_equal(a->workers, b->workers);
    assert_int_equal(a->tasks, b->tasks);
    assert_int_equal(a->tasks_ok, b->tasks_ok);
    assert_int_equal(a->tasks_failed, b->tasks_failed);
    assert_int_equal(a->tasks_missing, b->tasks_missing);
    assert_int_equal(a->tasks_duplicated, b->tasks_duplicated);
    assert_int_equal(a->tasks_wrong, b->tasks_wrong);
    /* written with 9 significant digits */
    assert_float_equal(a->wall_s, b->wall_s, 1e-8 * a->wall_s);
    assert_float_equal(a->user_s, b->user_s, 1e-8 * a->user_s);
    assert_float_equal(a->sys_s, b->sys_s, 1e-8 * a->sys_s);
    assert_float_equal(a->throughput_per_s, b->throughput_per_s, 1e-8 * a->throughput_per_s);
    assert_float_equal(a->lat_p50_s, b->lat_p50_s, 1e-8 * a->lat_p50_s);
    assert_float_equal(a->lat_p99_s, b->lat_p99_s, 1e-8 * a->lat_p99_s);
    assert_float_equal(a->lat_max_s, b->lat_max_s, 1e-8 * a->lat_max_s);
    assert_int_equal(a->max_rss_kib, b->max_rss_kib);
    assert_int_equal(a->vol_ctxsw, b->vol_ctxsw);
    assert_int_equal(a->invol_ctxsw, b->invol_ctxsw);
    assert_int_equal(a->seed_known, b->seed_known);
    assert_int_equal(a->seed, b->seed);
    assert_float_equal(a->startup_s, b->startup_s, 1e-8 * a->wall_s);
    assert_float_equal(a->span_s, b->span_s, 1e-8 * a->wall_s);
    assert_float_equal(a->teardown_s, b->teardown_s, 1e-8 * a->wall_s);
    assert_int_equal(a->n_counters, b->n_counters);
    for (size_t k = 0; k < a->n_counters; k++) {
        assert_string_equal(a->counters[k].name, b->counters[k].name);
        assert_int_equal(a->counters[k].value, b->counters[k].value);
    }
}

/* Write a run: cell 0 (sequential) finished ok, cell 1 finished failed
 * (its repetition 2 failed, with a detail that needs quoting). */
static void write_run(struct fixture *x, struct cl_cell *cells, size_t n)
{
    char err[256];
    struct cl_results *res = cl_results_open(x->dir, &x->spec, 0, cells, n, err,
                                             sizeof err);
    assert_non_null(res);
    struct cl_meta meta = {0, NULL, 1700000000, 0, n, "1 package, 2 cores",
                           0, 0, NULL, -1, NULL, x->plugins, 1, NULL};
    assert_int_equal(cl_results_meta(x->dir, &x->spec, "running", &meta), 0);
    const double walls[2][3] = {{0.4, 0.41, 0.39}, {0.2, 0.25, 0.21}};
    for (size_t c = 0; c < n; c++) {
        cells[c].rows = calloc(3, sizeof *cells[c].rows);
        for (int r = 0; r < 3; r++) {
            enum cl_status st = c == 1 && r == 1 ? CL_ST_FAILED : CL_ST_OK;
            struct cl_rep_row row = a_row(r + 1, st, walls[c][r]);
            if (c == 1) { /* threads: its counters */
                row.n_counters = 2;
                row.counters[0] = (struct cl_counter){"steals", 10 * (uint64_t)(r + 1)};
                row.counters[1] = (struct cl_counter){"parks", 3};
            }
            cells[c].rows[cells[c].n_rows++] = row;
            assert_int_equal(cl_results_rep(res, &cells[c], &row), 0);
            if (st > cells[c].status) {
                cells[c].status = st;
                snprintf(cells[c].detail, sizeof cells[c].detail, "%s", row.detail);
            }
        }
        cells[c].workers = 2;
        cl_cell_summarize(&cells[c]);
        cells[c].done = 1;
        assert_int_equal(cl_results_cell_done(res, cells, n), 0);
    }
    meta.finished = 1700000100;
    assert_int_equal(cl_results_meta(x->dir, &x->spec, "complete", &meta), 0);
    cl_results_close(res);
}

/* A fixture with a run written in its directory (write_run). */
static void written_run(struct fixture *x)
{
    make_spec(x);
    size_t n;
    struct cl_cell *cells = cl_cells_make(&x->spec, 0, 0, &n);
    write_run(x, cells, n);
    cl_cells_free(cells, n);
}

static void written_run_reads_back(void **st)
{
    (void)st;
    struct fixture x;
    make_spec(&x);
    size_t n;
    struct cl_cell *cells = cl_cells_make(&x.spec, 0, 0, &n);
    assert_int_equal(n, 2);
    write_run(&x, cells, n);

    /* resume's reader: the same cells, rows, statuses */
    size_t n2;
    struct cl_cell *back = cl_cells_make(&x.spec, 0, 0, &n2);
    char err[512];
    assert_int_equal(cl_resume_load(x.dir, &x.spec, 0, back, n2, err, sizeof err), 0);
    for (size_t c = 0; c < n; c++) {
        assert_true(back[c].done);
        assert_string_equal(back[c].name, cells[c].name);
        assert_int_equal(back[c].status, cells[c].status);
        assert_string_equal(back[c].detail, cells[c].detail);
        assert_int_equal(back[c].n_rows, cells[c].n_rows);
        for (size_t r = 0; r < cells[c].n_rows; r++)
            assert_rows_equal(&cells[c].rows[r], &back[c].rows[r]);
        cl_cell_summarize(&back[c]);
        assert_float_equal(back[c].wall.mean, cells[c].wall.mean, 1e-8);
    }
    assert_int_equal(back[1].status, CL_ST_FAILED);
    assert_int_equal(back[1].wall.n, 2); /* the failed repetition is left out */

    /* run.yaml's reader */
    struct cl_runinfo ri;
    assert_int_equal(cl_runyaml_read(x.dir, &ri, err, sizeof err), 0);
    assert_string_equal(ri.experiment, "roundtrip");
    assert_string_equal(ri.state, "complete");
    assert_string_equal(ri.spec, x.spec.text);
    char hash[CL_SPEC_HASH_MAX];
    cl_spec_hash(&x.spec, hash, sizeof hash);
    assert_string_equal(ri.spec_hash, hash);
    assert_string_equal(cl_runyaml_plugin_sha256(&ri, "strategy", "threads"), "ab12");
    assert_null(cl_runyaml_plugin_sha256(&ri, "workload", "threads"));
    assert_int_equal(ri.repeat, 3);
    assert_int_equal(ri.warmup, 1);
    assert_int_equal(ri.cells, 2);
    assert_string_equal(ri.pinning, "none");
    assert_string_equal(ri.topology, "1 package, 2 cores");
    assert_float_equal(ri.elapsed_s, 100, 1e-9);
    assert_int_equal(ri.shards, 0);
    cl_runinfo_free(&ri);

    /* report's reader: the same model, without the spec */
    struct cl_run_report *rep;
    assert_int_equal(cl_report_load(x.dir, &rep, err, sizeof err), 0);
    assert_int_equal(rep->n_cells, 2);
    assert_int_equal(rep->n_strategies, 2);
    assert_int_equal(rep->n_workloads, 1);
    for (size_t c = 0; c < n; c++) {
        const struct cl_cell *rc = &rep->cells[c].cell;
        assert_string_equal(rc->name, cells[c].name);
        assert_string_equal(rc->strategy->label, cells[c].strategy->label);
        assert_string_equal(rc->workload->label, cells[c].workload->label);
        assert_null(rc->strategy->plugin);
        assert_int_equal(rc->strategy->n_params, 1);
        assert_string_equal(rc->strategy->params[0].name, "workers");
        assert_string_equal(rc->strategy->params[0].value, cells[c].strategy->params[0].value);
        assert_true(rc->done);
        assert_int_equal(rc->status, cells[c].status);
        assert_string_equal(rc->detail, cells[c].detail);
        assert_int_equal(rc->workers, cells[c].workers);
        assert_int_equal(rc->n_rows, cells[c].n_rows);
        for (size_t r = 0; r < rc->n_rows; r++)
            assert_rows_equal(&cells[c].rows[r], &rc->rows[r]);
        assert_float_equal(rc->wall.mean, cells[c].wall.mean, 1e-8);
    }
    cl_cells_speedups(cells, n, "sequential");
    assert_float_equal(rep->cells[1].cell.speedup, cells[1].speedup, 1e-8);
    assert_float_equal(rep->cells[1].cell.speedup_lo, cells[1].speedup_lo, 1e-8);
    assert_float_equal(rep->cells[1].cell.speedup_hi, cells[1].speedup_hi, 1e-8);
    /* medians: sequential 0.4 of {0.4, 0.41, 0.39}, threads 0.205 of its ok
     * {0.2, 0.21} */
    assert_float_equal(cells[1].speedup, 0.4 / 0.205, 1e-8);
    assert_true(cells[1].speedup_lo <= cells[1].speedup);
    assert_true(cells[1].speedup_hi >= cells[1].speedup);
    assert_true(cells[1].speedup_lo >= 0.39 / 0.21 - 1e-12);
    assert_true(cells[1].speedup_hi <= 0.41 / 0.2 + 1e-12);
    assert_string_equal(rep->baseline, "sequential");
    assert_string_equal(rep->cells[1].plugin, "threads");
    assert_string_equal(rep->cells[1].wplugin, "sleep");
    assert_float_equal(rep->cells[1].startup, 0.205 * 0.25, 1e-8);
    assert_float_equal(cl_rows_counter_median(rep->cells[1].cell.rows,
                                              rep->cells[1].cell.n_rows, "steals"),
                       20, 0); /* ok repetitions 1 and 3: 10, 30 */
    assert_true(isnan(cl_rows_counter_median(rep->cells[0].cell.rows,
                                             rep->cells[0].cell.n_rows, "steals")));
    cl_report_free(rep);

    cl_cells_free(cells, n);
    cl_cells_free(back, n2);
    remove_dir(x.dir);
}

static void resume_refuses_another_spec(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);
    size_t n;
    struct cl_cell *cells;

    static char other[] = "experiment: roundtrip\n# changed\n";
    x.spec.text = other;
    x.spec.text_len = strlen(other);
    cells = cl_cells_make(&x.spec, 0, 0, &n);
    char err[512];
    assert_int_equal(cl_resume_load(x.dir, &x.spec, 0, cells, n, err, sizeof err), -1);
    assert_non_null(strstr(err, "different spec"));
    assert_int_equal(cl_resume_load(x.dir, &x.spec, 1, cells, n, err, sizeof err), 0);
    assert_true(cells[0].done && cells[1].done);
    cl_cells_free(cells, n);
    remove_dir(x.dir);
}

/* run.yaml's spec_hash: SHA-256 of the text with URL passwords masked; an
 * old fnv1a64 hash of the text as read still matches. */
static void spec_hash_is_sha256_of_the_masked_text(void **st)
{
    (void)st;
    struct cl_spec a = {0}, b = {0}, c = {0};
    a.text = "abc";
    a.text_len = 3;
    char h[CL_SPEC_HASH_MAX], h2[CL_SPEC_HASH_MAX];
    cl_spec_hash(&a, h, sizeof h);
    assert_string_equal(h, "sha256:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assert_true(cl_spec_hash_matches(&a, h));
    assert_true(cl_spec_hash_matches(&a, "fnv1a64:e16801510db89efd"));
    assert_false(cl_spec_hash_matches(&a, "fnv1a64:e16801510db89efe"));
    assert_false(cl_spec_hash_matches(&a, "sha256:ba7816"));

    a.text = "urls: [http://u:secret@h/x]\n";
    b.text = "urls: [http://u:hunter2@h/x]\n";
    c.text = "urls: [http://v:secret@h/x]\n";
    a.text_len = strlen(a.text);
    b.text_len = strlen(b.text);
    c.text_len = strlen(c.text);
    cl_spec_hash(&a, h, sizeof h);
    cl_spec_hash(&b, h2, sizeof h2);
    assert_string_equal(h, h2); /* the password is not in the hash */
    cl_spec_hash(&c, h2, sizeof h2);
    assert_string_not_equal(h, h2);
    /* the old hash was of the text as read: passwords count */
    assert_true(cl_spec_hash_matches(&a, "fnv1a64:c6c6cfbff183e5b7"));
    assert_false(cl_spec_hash_matches(&b, "fnv1a64:c6c6cfbff183e5b7"));
}

/* A plugin whose file changed since run.yaml was written refuses --resume,
 * naming it and both hashes; --force accepts it. */
static void resume_refuses_a_changed_plugin(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);
    char err[1024] = "";
    assert_int_equal(cl_resume_plugins(x.dir, x.plugins, 1, 0, err, sizeof err), 0);
    struct cl_plugin_rec now = x.plugins[0];
    snprintf(now.sha256, sizeof now.sha256, "cd34");
    assert_int_equal(cl_resume_plugins(x.dir, &now, 1, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "strategy plugin 'threads' (/p/strategy_threads.so)"));
    assert_non_null(strstr(err, "sha256 ab12, now cd34"));
    assert_int_equal(cl_resume_plugins(x.dir, &now, 1, 1, err, sizeof err), 0);
    now.name = "other"; /* not recorded: nothing to compare */
    assert_int_equal(cl_resume_plugins(x.dir, &now, 1, 0, err, sizeof err), 0);
    remove_dir(x.dir);
}

static void statuses_by_name(void **st)
{
    (void)st;
    static const char *const names[] = {"ok", "failed", "wrong", "error", "memory",
                                        "timeout", "crashed", "interrupted", "skipped"};
    assert_int_equal(CL_ST_COUNT_, 9);
    for (int i = 0; i < CL_ST_COUNT_; i++) {
        assert_string_equal(cl_status_name((enum cl_status)i), names[i]);
        enum cl_status s;
        assert_int_equal(cl_status_parse(names[i], &s), 0);
        assert_int_equal(s, i);
    }
    assert_string_equal(cl_status_name(CL_ST_COUNT_), "?");
    enum cl_status s = CL_ST_OK;
    assert_int_equal(cl_status_parse("fine", &s), -1);
    assert_int_equal(s, CL_ST_OK);
    assert_true(CL_ST_OK < CL_ST_FAILED && CL_ST_TIMEOUT < CL_ST_SKIPPED); /* worst last */
}

static void a_row_with_an_unknown_status(void **st)
{
    (void)st;
    char *h[] = {"cell", "repetition", "status", "wall_s"};
    char *v[] = {"x", "2", "bogus", "0.5"};
    struct cl_csv_row hdr = {4, h, 1}, row = {4, v, 7};
    struct cl_rep_cols cols;
    cl_rep_cols_find(&cols, &hdr);
    assert_int_equal(cols.detail, -1);
    struct cl_rep_row r;
    char err[64];
    assert_int_equal(cl_rep_row_parse(&cols, &row, &r, err, sizeof err), -1);
    assert_string_equal(err, "unknown status 'bogus'");
    assert_int_equal(r.status, CL_ST_ERROR);
    assert_int_equal(r.repetition, 2);
    assert_float_equal(r.wall_s, 0.5, 0);
    assert_true(isnan(r.user_s)); /* absent column */
}

static void rows_reader_says_where(void **st)
{
    (void)st;
    char dir[] = "/tmp/conlab-rows-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/results.csv", dir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("cell,repetition,status,wall_s,detail\n"
          "a,1,ok,0.5,\n"
          "\"b, quoted\",1,weird,0.25,\"two\nlines\"\n"
          "c,1,ok,0.75,\n"
          "d,1,ok,0.", f); /* torn: the run was killed mid-write */
    fclose(f);
    struct cl_rows_in ri;
    struct cl_csv_row row;
    struct cl_rep_row rep;
    char err[256], want[256];
    assert_int_equal(cl_rows_open(&ri, dir, "results.csv", err, sizeof err), 0);
    assert_int_equal(cl_rows_next(&ri, &row, &rep, err, sizeof err), 1);
    assert_string_equal(cl_csv_get(&row, ri.cols.cell), "a");
    assert_float_equal(rep.wall_s, 0.5, 0);
    cl_csv_row_free(&row);
    assert_int_equal(cl_rows_next(&ri, &row, &rep, err, sizeof err), 2);
    snprintf(want, sizeof want, "%s:3: cell 'b, quoted': unknown status 'weird'", path);
    assert_string_equal(err, want);
    assert_string_equal(rep.detail, "two\nlines");
    cl_csv_row_free(&row);
    assert_int_equal(cl_rows_next(&ri, &row, &rep, err, sizeof err), 1);
    assert_int_equal(row.line, 5);
    cl_csv_row_free(&row);
    assert_int_equal(cl_rows_next(&ri, &row, &rep, err, sizeof err), -1);
    snprintf(want, sizeof want, "%s:6: torn last record (a write cut short)", path);
    assert_string_equal(err, want);
    cl_rows_close(&ri);
    /* no such file; a file without a cell column */
    assert_int_equal(cl_rows_open(&ri, dir, "summary.csv", err, sizeof err), -1);
    assert_int_equal(errno, ENOENT);
    cl_rows_close(&ri);
    f = fopen(path, "w");
    fputs("x,y\n1,2\n", f);
    fclose(f);
    assert_int_equal(cl_rows_open(&ri, dir, "results.csv", err, sizeof err), -1);
    assert_int_equal(errno, EINVAL);
    assert_non_null(strstr(err, "no conlab header"));
    cl_rows_close(&ri);
    remove_dir(dir);
}

static void summary_of_ok_repetitions(void **st)
{
    (void)st;
    struct cl_rep_row rows[4];
    rows[0] = a_row(1, CL_ST_OK, 1.0);
    rows[1] = a_row(2, CL_ST_OK, 3.0);
    rows[2] = a_row(3, CL_ST_TIMEOUT, 100.0);
    rows[3] = a_row(4, CL_ST_OK, NAN); /* no wall time: not counted */
    rows[2].max_rss_kib = 99999;
    struct cl_ok_stats s;
    cl_rows_summarize(rows, 4, &s);
    assert_int_equal(s.n_ok, 2);
    assert_float_equal(s.wall.mean, 2.0, 1e-12);
    assert_float_equal(s.wall.median, 2.0, 1e-12);
    assert_float_equal(s.throughput_mean, (4.0 + 4.0 / 3) / 2, 1e-12);
    assert_float_equal(s.user_mean, 0.5, 1e-12);
    assert_float_equal(s.sys_mean, 0.25, 1e-12);
    assert_float_equal(s.lat_p50_median, 1.0, 1e-12);
    assert_float_equal(s.cpu_util, 0.375, 1e-12);
    assert_int_equal(s.max_rss_kib, 99999); /* of every repetition */
    assert_int_equal(s.tasks_bad, 1);       /* the timeout's failed task */
    cl_rows_summarize(rows, 0, &s);
    assert_int_equal(s.n_ok, 0);
    assert_true(isnan(s.wall.mean) && isnan(s.user_mean) && isnan(s.cpu_util));
}

static void cells_of_a_shard(void **st)
{
    (void)st;
    struct fixture x;
    make_spec(&x);
    remove_dir(x.dir);
    size_t n;
    struct cl_cell *c = cl_cells_make(&x.spec, 2, 2, &n);
    assert_int_equal(n, 1);
    assert_int_equal(c[0].index, 1);
    assert_string_equal(c[0].name, "threads(workers=2) x sleep(tasks=4)");
    assert_ptr_equal(cl_cell_find(c, n, "threads(workers=2) x sleep(tasks=4)"), &c[0]);
    assert_null(cl_cell_find(c, n, "sequential x sleep(tasks=4)"));
    assert_true(isnan(c[0].speedup));
    cl_cells_free(c, n);
    char buf[32];
    assert_string_equal(cl_label_plugin("threads(workers=2)", buf, sizeof buf), "threads");
    int cpus[] = {0, 2, 4};
    struct cl_pinning p = {CL_PIN_LIST, 3, cpus};
    assert_string_equal(cl_pinning_text(&p, buf, sizeof buf), "0;2;4");
}


/* ---- a cell's state from its rows ------------------------------------------- */

static void a_cell_state_comes_from_its_rows(void **st)
{
    (void)st;
    for (unsigned s = 0; s < CL_ST_COUNT_; s++)
        assert_int_equal(cl_status_ends_cell((enum cl_status)s),
                         s == CL_ST_ERROR || s == CL_ST_MEMORY ||
                             s == CL_ST_TIMEOUT || s == CL_ST_CRASHED);
    struct cl_cell c;
    memset(&c, 0, sizeof c);
    struct cl_rep_row r = a_row(1, CL_ST_OK, 1.0);
    cl_cell_add_row(&c, &r);
    r = a_row(2, CL_ST_FAILED, 1.0);
    cl_cell_add_row(&c, &r);
    assert_int_equal(c.status, CL_ST_FAILED);
    assert_string_equal(c.detail, r.detail);
    assert_int_equal(c.workers, 2);
    assert_false(cl_cell_finished(&c, 3));
    assert_non_null(cl_cell_rep(&c, 2));
    assert_null(cl_cell_rep(&c, 3));
    r = a_row(3, CL_ST_OK, 1.0);
    cl_cell_add_row(&c, &r);
    assert_true(cl_cell_finished(&c, 3));
    assert_false(cl_cell_finished(&c, 4));
    assert_int_equal(c.status, CL_ST_FAILED); /* the worst stays */
    free(c.rows);

    /* a warm-up that could not start ends the cell, said as such */
    memset(&c, 0, sizeof c);
    r = a_row(0, CL_ST_ERROR, NAN);
    snprintf(r.detail, sizeof r.detail, "cannot map records");
    cl_cell_add_row(&c, &r);
    assert_true(cl_cell_finished(&c, 3));
    assert_string_equal(c.detail, "in warmup: cannot map records");
    free(c.rows);
}

/* ---- resume: results.csv is the truth ---------------------------------------- */

static char *dir_file(const struct fixture *x, const char *name)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", x->dir, name);
    return path;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    int ch;
    while ((ch = fgetc(f)) != EOF)
        fputc(ch, m);
    fclose(m);
    fclose(f);
    return buf;
}

static void spit(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* text with its first `from` after line `line` (1-based) replaced by `to`;
 * owned by the caller */
static char *replaced(const char *text, int line, const char *from, const char *to)
{
    const char *p = text;
    for (int l = 1; l < line; l++)
        p = strchr(p, '\n') + 1;
    const char *at = strstr(p, from);
    assert_non_null(at);
    char *out = malloc(strlen(text) + strlen(to) + 1);
    sprintf(out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    return out;
}

/* line `line` of text (with its newline); owned by the caller */
static char *line_of(const char *text, int line)
{
    const char *p = text;
    for (int l = 1; l < line; l++)
        p = strchr(p, '\n') + 1;
    return strndup(p, (size_t)(strchr(p, '\n') + 1 - p));
}

static int load(struct fixture *x, int force, struct cl_cell **cells, size_t *n,
                char *err, size_t errlen)
{
    *cells = cl_cells_make(&x->spec, 0, 0, n);
    err[0] = 0;
    return cl_resume_load(x->dir, &x->spec, force, *cells, *n, err, errlen);
}

/* The rows of results.csv: each cell's repetitions, once each. */
static void assert_reps(const struct cl_cell *c, const int *reps, size_t n)
{
    assert_int_equal(c->n_rows, n);
    for (size_t i = 0; i < n; i++)
        assert_int_equal(c->rows[i].repetition, reps[i]);
}

static void resume_goes_on_with_a_partial_cell(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);

    /* killed while writing cell 1's repetition 3: its line is torn */
    char *text = slurp(dir_file(&x, "results.csv"));
    char *last = strrchr(text, '\n');
    *last = 0;
    last = strrchr(text, '\n');
    last[40] = 0;
    spit(dir_file(&x, "results.csv"), text);
    free(text);

    char err[1024];
    size_t n;
    struct cl_cell *cells;
    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), 0);
    assert_true(cells[0].done);
    assert_false(cells[1].done); /* 2 of 3: goes on, keeping them */
    const int r123[] = {1, 2, 3}, r12[] = {1, 2};
    assert_reps(&cells[0], r123, 3);
    assert_reps(&cells[1], r12, 2);
    assert_int_equal(cells[1].status, CL_ST_FAILED); /* its repetition 2 */
    assert_string_equal(cells[1].detail, "task 3: \"boom\", then\nmore");

    /* the run goes on as cl_run does: the kept rows, then repetition 3 */
    struct cl_results *res = cl_results_open(x.dir, &x.spec, 0, cells, n, err,
                                             sizeof err);
    assert_non_null(res);
    struct cl_rep_row row = a_row(3, CL_ST_OK, 0.22);
    assert_int_equal(cl_results_rep(res, &cells[1], &row), 0);
    cl_cell_add_row(&cells[1], &row);
    cells[1].done = 1;
    assert_int_equal(cl_results_cell_done(res, cells, n), 0);
    cl_results_close(res);
    cl_cells_free(cells, n);

    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), 0);
    assert_string_equal(err, "");
    assert_true(cells[0].done && cells[1].done);
    assert_reps(&cells[0], r123, 3);
    assert_reps(&cells[1], r123, 3);
    assert_float_equal(cells[1].rows[2].wall_s, 0.22, 1e-12);
    cl_cells_free(cells, n);
    remove_dir(x.dir);
}

static void resume_drops_interrupted_rows(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);
    char *text = slurp(dir_file(&x, "results.csv"));
    char *t2 = replaced(text, 8, ",3,ok,", ",3,interrupted,");
    spit(dir_file(&x, "results.csv"), t2);
    char err[1024];
    size_t n;
    struct cl_cell *cells;
    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), 0);
    assert_true(cells[0].done);
    assert_false(cells[1].done);
    const int r12[] = {1, 2};
    assert_reps(&cells[1], r12, 2);
    assert_int_equal(cells[1].status, CL_ST_FAILED);
    cl_cells_free(cells, n);
    free(text);
    free(t2);
    remove_dir(x.dir);
}

/* results.csv (written by write_run: header, then cell 0's repetitions 1..3
 * on lines 2..4, cell 1's on lines 5, 6-7 (a detail of two lines), 8)
 * changed: `from` replaced by `to` on line `line`, or (append) in a copy of
 * line 2 added at the end.  Refused, saying `says`; with --force, `forced`
 * (-1: refused too), and then cell 0 done or not with n0 rows. */
struct bad_case {
    const char *what;
    int line;
    const char *from, *to;
    int append;
    const char *says;
    int forced, done0;
    size_t n0;
};

static const struct bad_case bad_cases[] = {
    {"header", 1, ",wall_s,", ",wall,", 0, "results.csv:1: not the header of this "
     "run's results.csv (column 13 is 'wall', this spec's is 'wall_s')", 0, 1, 3},
    {"unknown cell", 0, "sequential x", "bogus x", 1, "results.csv:9: cell "
     "'bogus x sleep(tasks=4)' is not in this spec", 0, 1, 3},
    {"status", 3, ",2,ok,", ",2,fine,", 0, "results.csv:3: cell 'sequential x "
     "sleep(tasks=4)': unknown status 'fine'", 0, 0, 2},
    {"twice", 0, ",1,", ",1,", 1, "results.csv:9: cell 'sequential x sleep(tasks=4)': "
     "repetition 1 is there twice", 0, 1, 3},
    {"range", 2, ",1,ok,", ",7,ok,", 0, "results.csv:2: cell 'sequential x "
     "sleep(tasks=4)': repetition '7' with status ok is not one of this spec's", 0, 0, 2},
    {"after the end", 3, ",2,ok,", ",2,timeout,", 0, "results.csv:4: cell 'sequential "
     "x sleep(tasks=4)': a row after the one that ended the cell (timeout)", 0, 1, 2},
};

static void try_bad(struct fixture *x, const char *text, const struct bad_case *b)
{
    spit(dir_file(x, "results.csv"), text);
    char err[1024];
    size_t n;
    struct cl_cell *cells;
    assert_int_equal(load(x, 0, &cells, &n, err, sizeof err), -1);
    if (!strstr(err, b->says))
        fail_msg("%s: '%s' does not say '%s'", b->what, err, b->says);
    cl_cells_free(cells, n);
    /* nothing was written */
    char *now = slurp(dir_file(x, "results.csv"));
    assert_string_equal(now, text);
    free(now);
    int rc = load(x, 1, &cells, &n, err, sizeof err);
    if (rc != b->forced)
        fail_msg("%s: --force gave %d (%s)", b->what, rc, err);
    if (rc == 0) {
        assert_int_equal(cells[0].done, b->done0);
        assert_int_equal(cells[0].n_rows, b->n0);
        assert_true(cells[1].done);
    }
    cl_cells_free(cells, n);
}

static void resume_refuses_a_results_csv_not_this_runs(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);
    char *text = slurp(dir_file(&x, "results.csv"));
    for (size_t i = 0; i < sizeof bad_cases / sizeof *bad_cases; i++) {
        const struct bad_case *b = &bad_cases[i];
        char *t;
        if (b->append) {
            char *l2 = line_of(text, 2), *row = replaced(l2, 1, b->from, b->to);
            t = malloc(strlen(text) + strlen(row) + 1);
            sprintf(t, "%s%s", text, row);
            free(l2);
            free(row);
        } else {
            t = replaced(text, b->line, b->from, b->to);
        }
        try_bad(&x, t, b);
        free(t);
    }

    /* random bytes: not taken for an empty file, even with --force */
    char noise[3000];
    srand(14);
    for (size_t i = 0; i < sizeof noise - 1; i++)
        noise[i] = (char)(1 + rand() % 255);
    noise[sizeof noise - 1] = 0;
    struct bad_case b = {"noise", 0, NULL, NULL, 0, "results.csv: no conlab header",
                         -1, 0, 0};
    try_bad(&x, noise, &b);

    /* a quote opened after the last row and never closed, then 20 kB:
     * far more than a write cut short leaves */
    size_t pad = 20000;
    char *t = malloc(strlen(text) + pad + 2);
    sprintf(t, "%s\"", text);
    size_t len = strlen(t);
    for (size_t i = 0; i < pad; i++)
        t[len + i] = i % 50 == 49 ? '\n' : 'x';
    t[len + pad] = 0;
    b = (struct bad_case){"open quote", 0, NULL, NULL, 0, "results.csv:9: a record "
                          "left open from here to the end of the file", -1, 0, 0};
    try_bad(&x, t, &b);
    free(t);
    free(text);
    remove_dir(x.dir);
}

static void resume_needs_run_yaml_and_results_csv(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);
    size_t n;
    struct cl_cell *cells;
    char err[1024], want[512];

    /* results.csv gone, summary.csv there: refused; --force starts over */
    unlink(dir_file(&x, "results.csv"));
    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "has a summary.csv but no results.csv"));
    cl_cells_free(cells, n);
    assert_int_equal(load(&x, 1, &cells, &n, err, sizeof err), 0);
    assert_true(!cells[0].done && !cells[1].done && !cells[0].n_rows);
    cl_cells_free(cells, n);
    /* neither: a run killed before its first row */
    unlink(dir_file(&x, "summary.csv"));
    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), 0);
    assert_true(!cells[0].done && !cells[1].done);
    cl_cells_free(cells, n);

    /* run.yaml not YAML, then gone */
    spit(dir_file(&x, "run.yaml"), "{{{ [\n");
    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), -1);
    assert_non_null(strstr(err, "which spec made"));
    cl_cells_free(cells, n);
    unlink(dir_file(&x, "run.yaml"));
    assert_int_equal(load(&x, 1, &cells, &n, err, sizeof err), -1);
    snprintf(want, sizeof want, "cannot resume %s: it has no run.yaml", x.dir);
    assert_non_null(strstr(err, want));
    snprintf(want, sizeof want, "`conlab run SPEC -o %s --force`", x.dir);
    assert_non_null(strstr(err, want));
    cl_cells_free(cells, n);
    remove_dir(x.dir);
}

/* summary.csv comes back byte for byte from results.csv alone: the run
 * summarises the numbers as written, not the ones it measured. */
static void summary_is_made_again_the_same(void **st)
{
    (void)st;
    struct fixture x;
    make_spec(&x);
    size_t n;
    struct cl_cell *cells = cl_cells_make(&x.spec, 0, 0, &n);
    char err[1024];
    struct cl_results *res = cl_results_open(x.dir, &x.spec, 0, cells, n, err,
                                             sizeof err);
    assert_non_null(res);
    /* 10 significant digits: written with 9, their sd changes */
    const double walls[] = {1.0000000049, 1.0000000051, 1.0, 0.5000000049,
                            0.5000000051, 0.5};
    for (size_t c = 0; c < n; c++) {
        for (int r = 0; r < 3; r++) {
            struct cl_rep_row row = a_row(r + 1, CL_ST_OK, walls[c * 3 + (size_t)r]);
            assert_int_equal(cl_results_rep(res, &cells[c], &row), 0);
            cl_cell_add_row(&cells[c], &row);
        }
        cl_cell_summarize(&cells[c]);
        cells[c].done = 1;
        assert_int_equal(cl_results_cell_done(res, cells, n), 0);
    }
    cl_results_close(res);
    cl_cells_free(cells, n);
    char *results = slurp(dir_file(&x, "results.csv"));
    char *summary = slurp(dir_file(&x, "summary.csv"));
    unlink(dir_file(&x, "summary.csv"));

    struct cl_meta meta = {0, NULL, 1700000000, 0, 2, "t", 0, 0, NULL, -1, NULL,
                           NULL, 0, NULL};
    assert_int_equal(cl_results_meta(x.dir, &x.spec, "running", &meta), 0);
    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), 0);
    for (size_t c = 0; c < n; c++)
        cl_cell_summarize(&cells[c]);
    res = cl_results_open(x.dir, &x.spec, 0, cells, n, err, sizeof err);
    assert_non_null(res);
    assert_int_equal(cl_results_cell_done(res, cells, n), 0);
    cl_results_close(res);
    char *results2 = slurp(dir_file(&x, "results.csv"));
    char *summary2 = slurp(dir_file(&x, "summary.csv"));
    assert_string_equal(results2, results);
    assert_string_equal(summary2, summary);
    free(results);
    free(summary);
    free(results2);
    free(summary2);
    cl_cells_free(cells, n);
    remove_dir(x.dir);
}

/* ---- a run directory of the layout before the tidy columns ---------------- */

/* Was column `col` written before the tidy layout? (results.csv and
 * summary.csv) */
static int pre_tidy(const char *col)
{
    static const char *const added[] = {
        "strategy_label", "workload_label", "seed", "startup_s", "span_s",
        "teardown_s", "speedup_ci95_lo", "speedup_ci95_hi", "baseline",
        "startup_median_s", "span_median_s", "teardown_median_s"};
    for (size_t i = 0; i < sizeof added / sizeof *added; i++)
        if (strcmp(col, added[i]) == 0)
            return 0;
    return strncmp(col, "counter.", 8) != 0 && strncmp(col, "counter_median.", 15) != 0;
}

/* Rewrite DIR/FILE as conlab wrote it before: labels in strategy and
 * workload, none of the columns added since. */
static void to_old_layout(struct fixture *x, const char *file)
{
    char *path = strdup(dir_file(x, file));
    struct cl_csv_in in;
    assert_int_equal(cl_csv_open(&in, path), 0);
    struct cl_csv_row hdr, row;
    assert_int_equal(cl_csv_next(&in, &hdr), 1);
    long sl = cl_csv_col(&hdr, "strategy_label"), wl = cl_csv_col(&hdr, "workload_label");
    long sc = cl_csv_col(&hdr, "strategy"), wc = cl_csv_col(&hdr, "workload");
    assert_true(sl >= 0 && wl >= 0 && sc >= 0 && wc >= 0);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    for (int first = 1;; first = 0) {
        struct cl_csv_row *r = first ? &hdr : &row;
        if (!first && cl_csv_next(&in, &row) != 1)
            break;
        int k = 0;
        for (size_t i = 0; i < r->n; i++) {
            if (!pre_tidy(hdr.f[i]))
                continue;
            const char *v = r->f[i];
            if (!first && (long)i == sc)
                v = r->f[sl];
            if (!first && (long)i == wc)
                v = r->f[wl];
            cl_csv_field(m, v, k++ == 0);
        }
        fputc('\n', m);
        if (!first)
            cl_csv_row_free(&row);
    }
    cl_csv_row_free(&hdr);
    cl_csv_close(&in);
    fclose(m);
    spit(path, buf);
    free(buf);
    free(path);
}

static void a_run_of_the_old_layout_still_reads(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);
    to_old_layout(&x, "results.csv");
    to_old_layout(&x, "summary.csv");
    char *text = slurp(dir_file(&x, "results.csv"));
    assert_non_null(strstr(text, "threads(workers=2) x sleep(tasks=4),threads(workers=2),"
                                 "sleep(tasks=4),1,ok,4,"));
    assert_null(strstr(text, "strategy_label"));
    free(text);

    /* the report: labels from strategy/workload, plugins from the labels,
     * the baseline by the old rule (the sequential variant) */
    struct cl_run_report *rep;
    char err[1024];
    assert_int_equal(cl_report_load(x.dir, &rep, err, sizeof err), 0);
    assert_int_equal(rep->n_cells, 2);
    assert_string_equal(rep->cells[1].cell.strategy->label, "threads(workers=2)");
    assert_string_equal(rep->cells[1].plugin, "threads");
    assert_string_equal(rep->cells[1].wplugin, "sleep");
    assert_false(rep->baseline_known);
    assert_string_equal(rep->baseline, "sequential");
    assert_float_equal(rep->cells[1].cell.speedup, 0.4 / 0.205, 1e-8);
    assert_false(rep->cells[1].cell.rows[0].seed_known);
    assert_true(isnan(rep->cells[1].startup));
    assert_int_equal(rep->cells[1].cell.rows[0].n_counters, 0);
    cl_report_free(rep);

    /* resume: the rows are taken, and results.csv is written again in the
     * new layout */
    size_t n;
    struct cl_cell *cells;
    assert_int_equal(load(&x, 0, &cells, &n, err, sizeof err), 0);
    assert_true(cells[0].done && cells[1].done);
    assert_int_equal(cells[1].n_rows, 3);
    struct cl_results *res = cl_results_open(x.dir, &x.spec, 0, cells, n, err, sizeof err);
    assert_non_null(res);
    cl_results_close(res);
    text = slurp(dir_file(&x, "results.csv"));
    assert_non_null(strstr(text, ",strategy_label,workload_label,"));
    assert_non_null(strstr(text, "threads(workers=2) x sleep(tasks=4),threads,sleep,"
                                 "threads(workers=2),sleep(tasks=4),1,ok,,4,"));
    free(text);
    cl_cells_free(cells, n);
    remove_dir(x.dir);
}

/* The tidy layout: plugin names, labels, seed, phases, counters. */
static void results_csv_is_tidy(void **st)
{
    (void)st;
    struct fixture x;
    written_run(&x);
    char *text = slurp(dir_file(&x, "results.csv"));
    char *hdr = line_of(text, 1);
    assert_string_equal(hdr, "experiment,cell,strategy,workload,strategy_label,"
                        "workload_label,repetition,status,seed,tasks,tasks_ok,"
                        "tasks_failed,wall_s,startup_s,span_s,teardown_s,user_s,sys_s,"
                        "throughput_per_s,lat_p50_s,lat_p99_s,lat_max_s,max_rss_kib,"
                        "vol_ctxsw,invol_ctxsw,strategy.workers,workload.tasks,pinning,"
                        "counter.steals,counter.parks,workers,tasks_missing,"
                        "tasks_duplicated,tasks_wrong,detail,failure_reasons\n");
    free(hdr);
    /* sequential has no counters: empty; threads has them */
    char *l2 = line_of(text, 2), *l5 = line_of(text, 5);
    assert_non_null(strstr(l2, "roundtrip,sequential x sleep(tasks=4),sequential,sleep,"
                               "sequential,sleep(tasks=4),1,ok,1001,4,4,0,0.4,0.1,0.2,0.1,"));
    assert_non_null(strstr(l2, ",1,4,none,,,2,"));
    assert_non_null(strstr(l5, ",threads,sleep,threads(workers=2),sleep(tasks=4),1,ok,1001,"));
    assert_non_null(strstr(l5, ",2,4,none,10,3,2,"));
    free(l2);
    free(l5);
    free(text);
    text = slurp(dir_file(&x, "summary.csv"));
    hdr = line_of(text, 1);
    assert_non_null(strstr(hdr, ",speedup,speedup_ci95_lo,speedup_ci95_hi,baseline,"
                                "startup_median_s,span_median_s,teardown_median_s,"));
    assert_non_null(strstr(hdr, ",counter_median.steals,counter_median.parks,detail\n"));
    l2 = line_of(text, 3);
    /* threads: median of its ok repetitions' counters (10, 30; 3, 3) */
    assert_non_null(strstr(l2, ",20,3,"));
    assert_non_null(strstr(l2, ",sequential,0.05125,0.1025,0.05125,"));
    free(l2);
    free(hdr);
    free(text);
    remove_dir(x.dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(written_run_reads_back),
        cmocka_unit_test(resume_refuses_another_spec),
        cmocka_unit_test(spec_hash_is_sha256_of_the_masked_text),
        cmocka_unit_test(resume_refuses_a_changed_plugin),
        cmocka_unit_test(statuses_by_name),
        cmocka_unit_test(a_row_with_an_unknown_status),
        cmocka_unit_test(rows_reader_says_where),
        cmocka_unit_test(summary_of_ok_repetitions),
        cmocka_unit_test(cells_of_a_shard),
        cmocka_unit_test(a_cell_state_comes_from_its_rows),
        cmocka_unit_test(resume_goes_on_with_a_partial_cell),
        cmocka_unit_test(resume_drops_interrupted_rows),
        cmocka_unit_test(resume_refuses_a_results_csv_not_this_runs),
        cmocka_unit_test(resume_needs_run_yaml_and_results_csv),
        cmocka_unit_test(summary_is_made_again_the_same),
        cmocka_unit_test(a_run_of_the_old_layout_still_reads),
        cmocka_unit_test(results_csv_is_tidy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}

/* runner.c — `conlab run`: every cell of a spec, every repetition.
 *
 * The cells come in a fixed order (a shard keeps every N-th); for each the
 * host maps the task records in shared memory and runs its repetitions one
 * by one (rep.h: each in a forked child of its own process group, judged
 * into a row), writes the rows as they come (results.h) and shows progress
 * (progress.h).  SIGINT/SIGTERM/SIGHUP stop the run after the running cell,
 * which they kill (signals.h). */
#include "runner.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "calibrate.h"
#include "dirlock.h"
#include "facts.h"
#include "job.h"
#include "neutral.h"
#include "pluginrec.h"
#include "progress.h"
#include "rep.h"
#include "report.h"
#include "results.h"
#include "resume.h"
#include "serve.h"
#include "signals.h"
#include "stats.h"
#include "topo.h"
#include "util.h"

static void print_dry_run(const struct cl_spec *spec, const struct cl_cell *cells,
                          size_t n_cells)
{
    for (size_t i = 0; i < n_cells; i++) {
        char *name = cl_neutral_term(cells[i].name); /* from the spec */
        printf("%zu\t%s\t%llu tasks\n", i + 1, name,
               (unsigned long long)cells[i].workload->tasks);
        free(name);
    }
    printf("%zu cells x (%d warmup + %d measured) repetitions\n", n_cells,
           spec->warmup, spec->repeat);
}

/* The built-in HTTP server runs in its own process, outside every cell's
 * process group: its CPU time is never counted in a cell.  NULL when the
 * spec does not use it or it could not start (said). */
static struct cl_server *start_server(const struct cl_spec *spec, int quiet)
{
    int needed = 0;
    for (size_t i = 0; i < spec->n_workloads; i++)
        needed |= cl_rep_needs_server(&spec->workloads[i]);
    if (!needed)
        return NULL;
    char err[1024];
    struct cl_server *server = NULL;
    char *exe = cl_exe_path();
    int bad = cl_server_spawn(&server, exe ? exe : "/proc/self/exe", spec->seed,
                              err, sizeof err);
    free(exe);
    if (bad) {
        cl_log(CONLAB_LOG_ERROR, NULL, "built-in server: %s", err);
        return NULL;
    }
    if (!quiet)
        fprintf(stderr, "conlab: built-in server at %s\n", cl_server_url(server));
    return server;
}

/* What the cells of one run share. */
struct run {
    const struct cl_spec *spec;
    const struct cl_topo *topo;
    const char *builtin_url;
    struct cl_results *res;
    int record_tasks;
    struct cl_progress prog;
};

/* Keep one repetition: its task records (measured ones, when asked), its
 * row in results.csv, then in the cell (as the file has it).  0, or -1 when
 * it could not be written. */
static int keep_rep(struct run *r, struct cl_cell *cell, struct cl_rep_row *row,
                    const struct cl_cellmem *mem)
{
    int rc = 0;
    if (row->repetition && mem && r->record_tasks &&
        cl_results_tasks(r->res, cell, row->repetition, mem) != 0)
        rc = -1;
    if (cl_results_rep(r->res, cell, row) != 0)
        rc = -1;
    cl_cell_add_row(cell, row);
    return rc;
}

/* Run the repetitions of one cell that it has no row for (a resumed cell
 * keeps its rows and goes on with the missing ones, after its warm-ups),
 * and write their rows; the cell's status is its worst repetition's.  A
 * repetition that could not even start (the records could not be mapped)
 * is a row with status error too.  0, or -1 when the results could not be
 * written. */
static int run_cell(struct run *r, struct cl_cell *cell)
{
    const struct cl_spec *spec = r->spec;
    int write_failed = 0;
    struct cl_cellmem mem;
    char no_mem[256] = "";
    if (cl_cellmem_map(&mem, cell->workload->tasks) != 0)
        snprintf(no_mem, sizeof no_mem, "cannot map records for %llu tasks: %s",
                 (unsigned long long)cell->workload->tasks, strerror(errno));
    struct cl_rep_ctx rc = {spec, r->builtin_url, r->topo, cell, &mem,
                            cl_now_ns() + (uint64_t)(spec->timeout_s * 1e9)};
    int total = spec->warmup + spec->repeat;
    for (int i = 0; i < total; i++) {
        int measured = i >= spec->warmup;
        struct cl_rep_row row;
        memset(&row, 0, sizeof row);
        row.repetition = measured ? i - spec->warmup + 1 : 0;
        if (measured && cl_cell_rep(cell, row.repetition))
            continue; /* measured before a resume */
        if (no_mem[0]) {
            row.status = CL_ST_ERROR;
            snprintf(row.detail, sizeof row.detail, "%s", no_mem);
        } else {
            sig_atomic_t before = cl_interrupts;
            cl_rep_run(&rc, &row);
            /* Ctrl-C kills the repetition's processes at once: if the wait
             * saw that death before the signal, it is still no crash of the
             * cell's, and a resume must run the repetition again */
            if (cl_interrupts != before && row.status == CL_ST_CRASHED) {
                char was[sizeof row.detail];
                snprintf(was, sizeof was, "%s", row.detail);
                row.status = CL_ST_INTERRUPTED;
                snprintf(row.detail, sizeof row.detail, "interrupted (%.480s)", was);
            }
        }
        cl_progress_rep(&r->prog, &row);
        if (measured || row.status != CL_ST_OK) {
            if (keep_rep(r, cell, &row, no_mem[0] ? NULL : &mem) != 0)
                write_failed = 1;
        } else {
            cell->workers = row.workers;
        }
        /* a repetition that did not finish (or was interrupted) ends the
         * cell; so does one that could not be written */
        if (row.status >= CL_ST_ERROR || write_failed)
            break;
    }
    if (!no_mem[0])
        cl_cellmem_unmap(&mem);
    return write_failed ? -1 : 0;
}

/* Own the run directory before reading or writing it: a second writer, or
 * -o into a directory holding files (unless --force moves them aside), is
 * refused with nothing touched; so is --resume of a directory whose
 * results.csv is not this run's, or one a changed plugin file made (unless
 * --force).  With --resume, the cells get what
 * results.csv holds.  CL_EXIT_OK, or the exit status (said on stderr). */
static int claim_dir(const struct cl_run_opts *o, const struct cl_spec *spec,
                     const char *dir, struct cl_cell *cells, size_t n_cells,
                     const struct cl_plugin_rec *plugins, size_t n_plugins,
                     struct cl_dirlock *lock)
{
    char err[2048], moved[4096] = "";
    int owned = o->resume
        ? cl_dirlock_acquire(dir, o->argc, o->argv, lock, err, sizeof err)
        : cl_outdir_prepare(dir, o->force, o->argc, o->argv, lock, moved,
                            sizeof moved, err, sizeof err);
    if (owned == CL_DIRLOCK_OK && o->resume &&
        (cl_resume_load(dir, spec, o->force, cells, n_cells, err, sizeof err) != 0 ||
         cl_resume_plugins(dir, plugins, n_plugins, o->force, err, sizeof err) != 0))
        owned = CL_DIRLOCK_REFUSED;
    if (owned != CL_DIRLOCK_OK) {
        fprintf(stderr, "conlab: %s\n", err);
        return owned == CL_DIRLOCK_REFUSED ? CL_EXIT_USAGE : CL_EXIT_INTERNAL;
    }
    if (moved[0] && !o->quiet)
        fprintf(stderr, "conlab: moved what %s held aside to %s/\n", dir, moved);
    return CL_EXIT_OK;
}

int cl_run(const struct cl_spec *spec, const struct cl_run_opts *o)
{
    char err[1024];
    int rc = CL_EXIT_OK;
    struct cl_topo *topo = NULL;
    struct cl_cell *cells = NULL;
    size_t n_cells = 0, n_plugins = 0;
    struct cl_plugin_rec *plugins = NULL;
    char *dir = NULL, *parent = NULL, *topo_summary = NULL;
    struct run run = {.spec = spec};
    struct cl_dirlock lock = {.fd = -1, .path = NULL};

    uint64_t nofile = cl_raise_nofile(); /* the cells' children inherit it */
    cl_log(CONLAB_LOG_DEBUG, NULL, "open files: up to %llu",
           (unsigned long long)nofile);
    if (cl_topo_open(&topo, NULL, err, sizeof err) != 0) {
        cl_log(CONLAB_LOG_ERROR, NULL, "topology: %s", err);
        rc = CL_EXIT_INTERNAL;
        goto out;
    }
    run.topo = topo;
    cells = cl_cells_make(spec, o->shard, o->shards, &n_cells);
    if (o->dry_run) {
        print_dry_run(spec, cells, n_cells);
        goto out;
    }

    dir = o->resume    ? cl_xstrdup(o->resume)
          : o->out_dir ? cl_xstrdup(o->out_dir)
                       : cl_default_out_dir(spec, &parent);
    run.record_tasks = o->record_tasks || spec->record_tasks;
    plugins = cl_plugin_recs(spec, &n_plugins);
    rc = claim_dir(o, spec, dir, cells, n_cells, plugins, n_plugins, &lock);
    if (rc != CL_EXIT_OK)
        goto out;
    size_t n_done = 0, n_partial = 0, n_kept = 0;
    for (size_t i = 0; i < n_cells; i++) {
        n_done += cells[i].done;
        n_partial += !cells[i].done && cells[i].n_rows;
        n_kept += cells[i].done ? 0 : cells[i].n_rows;
        cl_cell_summarize(&cells[i]);
    }

    /* run.yaml before anything is measured: a directory without one never
     * holds a measurement, and one with it can always be resumed */
    topo_summary = cl_topo_summary(topo);
    struct cl_host_facts facts;
    cl_host_facts_read("", &facts);
    const char *pin_note = NULL;
    int can_bind = cl_topo_can_bind(topo, &pin_note);
    struct cl_meta meta = {o->argc, o->argv, cl_wall_time(), 0, n_cells,
                           topo_summary, o->shard, o->shards, &facts,
                           spec->pinning.kind == CL_PIN_NONE ? -1 : can_bind,
                           spec->pinning.kind == CL_PIN_NONE ? NULL : pin_note,
                           plugins, n_plugins, NULL};
    struct cl_floors floors;
    if (o->calibrate || spec->calibrate) { /* before any cell, on a quiet machine */
        if (!o->quiet)
            fprintf(stderr, "conlab: measuring the machine's floors (conlab calibrate)\n");
        cl_calibrate(&floors, NULL); /* a floor that failed is recorded n/a */
        meta.floors = &floors;
    }
    if (cl_results_meta(dir, spec, "running", &meta) != 0) {
        cl_log(CONLAB_LOG_ERROR, NULL, "cannot write %s/run.yaml: %s; nothing "
               "was measured", dir, strerror(errno));
        rc = CL_EXIT_INTERNAL;
        goto out;
    }
    run.res = cl_results_open(dir, spec, run.record_tasks, cells, n_cells, err,
                              sizeof err);
    if (!run.res) {
        cl_log(CONLAB_LOG_ERROR, NULL, "%s; nothing was measured", err);
        rc = CL_EXIT_INTERNAL;
        goto out;
    }
    if (parent)
        cl_point_latest(parent, dir);
    if (!o->quiet)
        fprintf(stderr, "conlab: %s: %zu cells, %d warmup + %d measured "
                "repetitions each, pinning %s; results in %s/\n",
                spec->experiment, n_cells, spec->warmup, spec->repeat,
                cl_pinning_kind_name(spec->pinning.kind),
                dir);

    struct cl_server *server = start_server(spec, o->quiet);
    run.builtin_url = server ? cl_server_url(server) : NULL;
    cl_signals_catch();
    cl_progress_start(&run.prog, !o->quiet, cells, n_cells,
                      spec->warmup + spec->repeat);
    int write_failed = 0;
    if (o->resume && !o->quiet) {
        fprintf(stderr, "conlab: resuming: %zu of %zu cells already done", n_done,
                n_cells);
        if (n_partial)
            fprintf(stderr, "; %zu partly measured (%zu repetitions kept): "
                    "they go on after their warm-ups", n_partial, n_kept);
        fputc('\n', stderr);
    }
    for (size_t ci = 0; ci < n_cells && !cl_interrupts && !write_failed; ci++) {
        struct cl_cell *cell = &cells[ci];
        if (cell->done)
            continue;
        cl_progress_cell(&run.prog, cell, ci);
        write_failed = run_cell(&run, cell) != 0;
        cl_cell_summarize(cell);
        cell->done = 1;
        if (cl_results_cell_done(run.res, cells, n_cells) != 0)
            write_failed = 1;
        cl_progress_done(&run.prog, cell);
        if (write_failed)
            cl_log(CONLAB_LOG_ERROR, NULL, "cannot write results in %s: %s",
                   cl_results_dir(run.res), strerror(errno));
    }
    cl_progress_end(&run.prog);
    int interrupted = cl_interrupts > 0;
    cl_server_stop(server);
    cl_signals_release();

    if (cl_results_cell_done(run.res, cells, n_cells) != 0)
        write_failed = 1;
    meta.finished = cl_wall_time();
    const char *state = write_failed ? "failed"
                        : interrupted ? "interrupted" : "complete";
    if (cl_results_meta(dir, spec, state, &meta) != 0) {
        cl_log(CONLAB_LOG_ERROR, NULL, "cannot write %s/run.yaml: %s", dir,
               strerror(errno));
        write_failed = 1;
    }
    if (!o->quiet) {
        cl_report_print_dir(stdout, cl_results_dir(run.res));
        printf("results: %s/\n", cl_results_dir(run.res));
    }
    for (size_t i = 0; i < n_cells; i++)
        if (cells[i].done && cells[i].status != CL_ST_OK)
            rc = CL_EXIT_CELLS;
    if (interrupted)
        rc = CL_EXIT_INTERRUPTED;
    if (write_failed)
        rc = CL_EXIT_INTERNAL;

out:
    if (run.res)
        cl_results_close(run.res);
    cl_dirlock_release(&lock);
    cl_cells_free(cells, n_cells);
    free(plugins);
    free(topo_summary);
    free(dir);
    free(parent);
    cl_topo_close(topo);
    return rc;
}

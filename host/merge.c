/* merge.c — see merge.h.
 *
 * A sharded run is DIR/shard-0 ... DIR/shard-<N-1>, each an ordinary run
 * directory of `conlab run --shard I/N`.  Merging reads every shard back
 * with the same reader `--resume` uses (so exactly the cells a shard
 * finished count, with their measured rows), refuses shards of another spec,
 * names the cells no shard finished, and writes DIR/results.csv,
 * DIR/summary.csv and DIR/tasks.csv with the writers `conlab run` uses:
 * the summary (statistics, speedups against the baseline) is computed again
 * from the merged rows, never pasted from the shards' summaries. */
#include "merge.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "csv.h"
#include "dirlock.h"
#include "neutral.h"
#include "registry.h"
#include "report.h"
#include "results.h"
#include "resume.h"
#include "rundir.h"
#include "runyaml.h"
#include "shards.h"
#include "specload.h"
#include "util.h"

/* ---- merging ------------------------------------------------------------------- */

struct merge {
    const char *dir;
    struct cl_shard *shards;
    size_t n_shards;
    struct cl_spec *spec;
    char *spec_from;        /* where the spec came from, for messages */
    struct cl_cell *cells;  /* every cell of the spec, run order */
    size_t n_cells;
    long *src;              /* per cell: the shard it came from, or -1 */
    unsigned n_split;       /* N when every shard says the same I/N, else 0 */
    int quiet;
};

static const char merge_help[] =
    "usage: conlab merge DIR [--spec SPEC] [--set KEY=VALUE]... [--quiet]\n"
    "\n"
    "Merges the shards of one run: every DIR/shard-*/ that `conlab run --shard\n"
    "I/N -o DIR/shard-<I-1>` wrote, on this machine or as a Slurm array task\n"
    "(`conlab slurm` does it for you), into DIR/results.csv, DIR/summary.csv,\n"
    "DIR/run.yaml and DIR/tasks.csv (when the shards have them).  The summary\n"
    "is computed from the merged rows: speedups compare against the baseline\n"
    "of the same workload even when it ran in another shard.\n"
    "\n"
    "The cells come from DIR/spec.yaml (written by `conlab slurm`), or SPEC,\n"
    "or else the spec recorded in the shards' run.yaml.  Shards made from a\n"
    "different spec are refused, as is a cell finished by two shards.  Cells\n"
    "no shard finished are named, with the shard that should have run them;\n"
    "what there is gets merged all the same (run.yaml: state incomplete).\n"
    "Merging again after more shards finished replaces the merged files.\n"
    "\n"
    "  -s, --spec SPEC   the experiment the shards ran\n"
    "      --set KEY=VALUE  the overrides the shards ran with (conlab run --set)\n"
    "  -q, --quiet       no summary table\n"
    "\n"
    "Exit status: 0 every cell merged and ok; 1 some cell missing or not ok;\n"
    "2 bad command line, no shards, shards of different specs, a shard\n"
    "whose files are inconsistent (as `conlab report` checks them; every\n"
    "problem is named, FILE:LINE: cell 'NAME': why) or hold cells the spec\n"
    "has not, DIR being written by another conlab (DIR/.lock says who); 3 the\n"
    "merged files could not be written.\n";

/* Shards must all come from the spec; the message names every one that
 * does not. */
static int check_hashes(const struct merge *m)
{
    char want[CL_SPEC_HASH_MAX];
    cl_spec_hash(m->spec, want, sizeof want);
    int bad = 0;
    for (size_t i = 0; i < m->n_shards; i++) {
        const struct cl_shard *s = &m->shards[i];
        if (!s->has_run || (s->hash && cl_spec_hash_matches(m->spec, s->hash)))
            continue;
        if (!bad)
            fprintf(stderr, "conlab merge: refusing to mix runs of different "
                    "specs: %s is %s\n", m->spec_from, want);
        fprintf(stderr, "  %s/run.yaml: spec_hash %s%s\n", s->dir,
                s->hash ? s->hash : "(none)",
                s->run.spec_masked ? " (its recorded spec has URL passwords masked: give the "
                      "spec with --spec)" : "");
        bad = 1;
    }
    return bad ? -1 : 0;
}

/* Every shard is read as `conlab report` reads a run, and holds only cells
 * of the spec: a shard that is inconsistent is named, problem by problem
 * (FILE:LINE: cell 'NAME': why), and nothing is merged.  A shard without
 * results.csv yet is left to take_shard (its cells stay missing). */
static int check_shards(const struct merge *m)
{
    int bad = 0;
    for (size_t i = 0; i < m->n_shards; i++) {
        const struct cl_shard *s = &m->shards[i];
        struct cl_run_report *r = NULL;
        char err[4096];
        if (!s->has_run)
            continue;
        if (cl_report_load(s->dir, &r, err, sizeof err) != 0) {
            if (errno == EINVAL) {
                fprintf(stderr, "conlab merge: %s\n", err);
                bad = 1;
            }
            continue;
        }
        for (size_t k = 0; k < r->n_cells; k++)
            if (!cl_cell_find(m->cells, m->n_cells, r->cells[k].cell.name)) {
                char *name = cl_neutral_term(r->cells[k].cell.name);
                fprintf(stderr, "conlab merge: %s/results.csv: cell '%s': not a "
                        "cell of %s\n", s->dir, name, m->spec_from);
                free(name);
                bad = 1;
            }
        cl_report_free(r);
    }
    return bad ? -1 : 0;
}

/* The spec: --spec, DIR/spec.yaml, or the one the first shard recorded. */
static int load_merge_spec(struct merge *m, struct cl_registry *reg,
                           const char *spec_path, const struct cl_spec_opts *sets)
{
    char *in_dir = cl_xasprintf("%s/spec.yaml", m->dir);
    if (!spec_path && access(in_dir, F_OK) == 0)
        spec_path = in_dir;
    int rc;
    if (spec_path) {
        m->spec_from = cl_xstrdup(spec_path);
        rc = cl_spec_open_opts(reg, spec_path, sets, &m->spec);
        free(in_dir);
        return rc;
    }
    free(in_dir);
    for (size_t i = 0; i < m->n_shards; i++) {
        struct cl_shard *s = &m->shards[i];
        const char *text = s->has_run ? s->run.spec : NULL;
        if (!text)
            continue;
        const char *path = s->run.spec_path;
        const char *cwd = s->run.cwd;
        char *abs = path && path[0] != '/' && cwd ? cl_xasprintf("%s/%s", cwd, path)
                                                  : cl_xstrdup(path ? path : ".");
        char *slash = strrchr(abs, '/');
        char *spec_dir = slash ? strndup(abs, (size_t)(slash - abs)) : NULL;
        m->spec_from = cl_xasprintf("the spec recorded in %s/run.yaml", s->dir);
        rc = cl_spec_open_text_opts(reg, path ? path : "spec", text, strlen(text),
                                    spec_dir, sets, &m->spec);
        free(abs);
        free(spec_dir);
        return rc;
    }
    fprintf(stderr, "conlab merge: no spec: no %s/spec.yaml, no --spec, and no "
            "shard has a run.yaml to take it from\n", m->dir);
    return -1;
}

/* Every cell of the spec, named and ordered as cl_run does. */
static void make_cells(struct merge *m)
{
    m->cells = cl_cells_make(m->spec, 0, 0, &m->n_cells);
    m->src = cl_xcalloc(m->n_cells ? m->n_cells : 1, sizeof *m->src);
    for (size_t k = 0; k < m->n_cells; k++)
        m->src[k] = -1;
}

/* Take the cells shard `si` finished.  -1 when one was already taken from
 * another shard; 1 when the shard cannot be read (its cells stay missing). */
static int take_shard(struct merge *m, size_t si)
{
    struct cl_shard *s = &m->shards[si];
    struct cl_cell *tmp = cl_xcalloc(m->n_cells ? m->n_cells : 1, sizeof *tmp);
    for (size_t i = 0; i < m->n_cells; i++) {
        tmp[i] = m->cells[i];
        tmp[i].rows = NULL;
        tmp[i].n_rows = 0;
        tmp[i].done = 0;
    }
    char err[1024];
    int rc = 0;
    if (cl_resume_load(s->dir, m->spec, 1, tmp, m->n_cells, err, sizeof err) != 0) {
        fprintf(stderr, "conlab merge: skipping %s: %s\n", s->dir, err);
        rc = 1;
    }
    for (size_t i = 0; rc == 0 && i < m->n_cells; i++) {
        if (!tmp[i].done)
            continue;
        if (m->src[i] >= 0) {
            fprintf(stderr, "conlab merge: cell '%s' was run by both %s and %s: "
                    "refusing to pick one (remove one of them)\n", tmp[i].name,
                    m->shards[m->src[i]].dir, s->dir);
            rc = -1;
            break;
        }
        struct cl_cell *c = &m->cells[i];
        c->rows = tmp[i].rows;
        c->n_rows = tmp[i].n_rows;
        c->status = tmp[i].status;
        c->workers = tmp[i].workers;
        memcpy(c->detail, tmp[i].detail, sizeof c->detail);
        c->done = 1;
        tmp[i].rows = NULL;
        m->src[i] = (long)si;
    }
    for (size_t i = 0; i < m->n_cells; i++) {
        tmp[i].name = NULL; /* borrowed from m->cells */
        free(tmp[i].rows);
        tmp[i].rows = NULL;
    }
    cl_cells_free(tmp, m->n_cells);
    return rc;
}

/* If every shard names the same N, that N. */
static unsigned common_split(const struct merge *m)
{
    unsigned n = 0;
    for (size_t i = 0; i < m->n_shards; i++) {
        const struct cl_shard *s = &m->shards[i];
        if (!s->has_run)
            continue;
        if (!s->shards || (n && s->shards != n))
            return 0;
        n = s->shards;
    }
    return n;
}

/* The shard directory that ran (or should have run) shard I of n_split. */
static const struct cl_shard *shard_for(const struct merge *m, unsigned I)
{
    for (size_t i = 0; i < m->n_shards; i++)
        if (m->shards[i].has_run && m->shards[i].shard == I)
            return &m->shards[i];
    for (size_t i = 0; i < m->n_shards; i++)
        if (!m->shards[i].has_run && m->shards[i].number == (long)I - 1)
            return &m->shards[i];
    return NULL;
}

static size_t report_missing(const struct merge *m)
{
    size_t missing = 0;
    for (size_t i = 0; i < m->n_cells; i++)
        missing += !m->cells[i].done;
    if (!missing)
        return 0;
    fprintf(stderr, "conlab merge: %zu of %zu cells missing (no shard finished them):\n",
            missing, m->n_cells);
    for (size_t i = 0; i < m->n_cells; i++) {
        if (m->cells[i].done)
            continue;
        fprintf(stderr, "  %s", m->cells[i].name);
        if (m->n_split) {
            unsigned I = (unsigned)(i % m->n_split) + 1;
            const struct cl_shard *s = shard_for(m, I);
            fprintf(stderr, "  (shard %u/%u: ", I, m->n_split);
            if (!s)
                fprintf(stderr, "no directory for it)");
            else if (s->has_run)
                fprintf(stderr, "%s, state %s)", s->dir, s->state ? s->state : "?");
            else
                fprintf(stderr, "%s: %s)", s->dir, s->why);
        }
        fputc('\n', stderr);
    }
    return missing;
}

/* The rows of the cells taken from shard `si` in its tasks.csv (a cell's
 * rows come together: decided once per cell); the header once. */
static void copy_tasks(const struct merge *m, size_t si, FILE *out, int *header)
{
    char *in_path = cl_xasprintf("%s/tasks.csv", m->shards[si].dir);
    struct cl_csv_in in;
    int rc = cl_csv_open(&in, in_path);
    free(in_path);
    if (rc != 0)
        return;
    struct cl_csv_row row;
    int first = 1, last_keep = 0;
    char *last = NULL;
    while (cl_csv_next(&in, &row) == 1) {
        int keep = first ? !*header : 0;
        if (!first && row.n && last && strcmp(last, row.f[0]) == 0)
            keep = last_keep;
        else if (!first && row.n) {
            for (size_t c = 0; c < m->n_cells && !keep; c++)
                keep = m->src[c] == (long)si && strcmp(m->cells[c].name, row.f[0]) == 0;
            free(last);
            last = cl_xstrdup(row.f[0]);
            last_keep = keep;
        }
        if (keep)
            cl_csv_write_row(out, &row);
        *header |= first;
        first = 0;
        cl_csv_row_free(&row);
    }
    free(last);
    cl_csv_close(&in);
}

/* tasks.csv: every shard's task rows of the cells taken from it. */
static int write_tasks(const struct merge *m)
{
    int any = 0;
    for (size_t i = 0; i < m->n_shards && !any; i++) {
        char *p = cl_xasprintf("%s/tasks.csv", m->shards[i].dir);
        any = access(p, F_OK) == 0;
        free(p);
    }
    char *path = cl_xasprintf("%s/tasks.csv", m->dir), *tmp;
    if (!any) {
        unlink(path); /* a stale one from an earlier merge would mislead */
        free(path);
        return 0;
    }
    FILE *out = cl_atomic_open(path, &tmp);
    int header = 0;
    for (size_t si = 0; out && si < m->n_shards; si++)
        copy_tasks(m, si, out, &header);
    int rc = cl_atomic_commit(out, path, tmp);
    if (rc != 0)
        fprintf(stderr, "conlab merge: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    return rc;
}

/* 1 when every shard ran on the same host (name, CPU, topology). */
static int one_host(struct merge *m, struct cl_shard **first)
{
    static const char *const keys[] = {"hostname", "cpu", "topology"};
    *first = NULL;
    for (size_t i = 0; i < m->n_shards; i++) {
        struct cl_shard *s = &m->shards[i];
        if (!s->has_run)
            continue;
        if (!*first) {
            *first = s;
            continue;
        }
        yaml_node_t *a = cl_ydoc_get(&(*first)->run.doc, NULL, "host");
        yaml_node_t *b = cl_ydoc_get(&s->run.doc, NULL, "host");
        for (size_t k = 0; k < 3; k++) {
            const char *x = cl_ydoc_str(&(*first)->run.doc, a, keys[k]);
            const char *y = cl_ydoc_str(&s->run.doc, b, keys[k]);
            if (!x || !y || strcmp(x, y) != 0)
                return 0;
        }
    }
    return *first != NULL;
}

static void yout_shard(struct cl_yout *y, struct merge *m, struct cl_shard *s)
{
    static const char *const copy[] = {"state", "started", "finished", "elapsed_s",
                                       "cells", "shard", "conlab", "host",
                                       "command_line", "cwd"};
    cl_yout_map_start(y);
    const char *base = strrchr(s->dir, '/');
    cl_yout_kv(y, "dir", base ? base + 1 : s->dir);
    if (!s->has_run) {
        cl_yout_kv(y, "state", "missing");
        cl_yout_kv(y, "why", s->why);
    } else {
        size_t taken = 0;
        for (size_t i = 0; i < m->n_cells; i++)
            taken += m->src[i] >= 0 && &m->shards[m->src[i]] == s;
        for (size_t k = 0; k < sizeof copy / sizeof *copy; k++) {
            yaml_node_t *n = cl_ydoc_get(&s->run.doc, NULL, copy[k]);
            if (!n)
                continue;
            cl_yout_scalar(y, copy[k]);
            cl_yout_node(y, &s->run.doc, n);
        }
        cl_yout_kvf(y, "cells_merged", "%zu", taken);
    }
    cl_yout_map_end(y);
}

/* run.yaml of the whole run: what a run's says, with every shard's host,
 * times and command line listed. */
static int write_run_yaml(struct merge *m, size_t missing, int argc, char **argv)
{
    char *path = cl_xasprintf("%s/run.yaml", m->dir);
    struct cl_yout y;
    if (cl_yout_open(&y, path) != 0) {
        fprintf(stderr, "conlab merge: cannot write %s: %s\n", path, strerror(errno));
        free(path);
        return -1;
    }
    int all_complete = 1;
    double started = NAN, finished = NAN;
    for (size_t i = 0; i < m->n_shards; i++) {
        struct cl_shard *s = &m->shards[i];
        all_complete &= s->has_run && s->state && strcmp(s->state, "complete") == 0;
        double a = s->has_run ? cl_parse_iso(s->run.started) : NAN;
        double b = s->has_run ? cl_parse_iso(s->run.finished) : NAN;
        if (isfinite(a) && !(a >= started))
            started = a;
        if (isfinite(b) && !(b <= finished))
            finished = b;
    }
    char buf[64];
    cl_yout_kv(&y, "experiment", m->spec->experiment);
    cl_yout_kv(&y, "state", missing == 0 && all_complete ? "complete" : "incomplete");
    if (isfinite(started)) {
        cl_iso_time(started, buf, sizeof buf);
        cl_yout_kv(&y, "started", buf);
    }
    if (isfinite(finished) && all_complete) {
        cl_iso_time(finished, buf, sizeof buf);
        cl_yout_kv(&y, "finished", buf);
        if (isfinite(started)) /* first start to last end, to the second */
            cl_yout_kvf(&y, "elapsed_s", "%.0f", finished - started);
    }
    double busy = 0;
    for (size_t i = 0; i < m->n_shards; i++)
        if (m->shards[i].has_run && isfinite(m->shards[i].run.elapsed_s))
            busy += m->shards[i].run.elapsed_s;
    cl_yout_kvf(&y, "shards_elapsed_s", "%.3f", busy); /* the shards' time, summed */
    cl_iso_time(cl_wall_time(), buf, sizeof buf);
    cl_yout_kv(&y, "merged", buf);
    cl_yout_kvf(&y, "cells", "%zu", m->n_cells);
    cl_yout_kvf(&y, "cells_merged", "%zu", m->n_cells - missing);
    if (missing) {
        cl_yout_scalar(&y, "cells_missing");
        cl_yout_seq_start(&y, 0);
        for (size_t i = 0; i < m->n_cells; i++)
            if (!m->cells[i].done)
                cl_yout_scalar(&y, m->cells[i].name);
        cl_yout_seq_end(&y);
    }
    if (m->n_split)
        cl_yout_kvf(&y, "shards", "%u", m->n_split);

    cl_runyaml_conlab(&y, 0);
    struct cl_shard *first;
    if (one_host(m, &first)) {
        cl_yout_scalar(&y, "host");
        cl_yout_node(&y, &first->run.doc, cl_ydoc_get(&first->run.doc, NULL, "host"));
    }
    cl_runyaml_command(&y, "conlab", argc, argv);
    cl_runyaml_spec(&y, m->spec);

    cl_yout_scalar(&y, "shard_runs");
    cl_yout_seq_start(&y, 0);
    for (size_t i = 0; i < m->n_shards; i++)
        yout_shard(&y, m, &m->shards[i]);
    cl_yout_seq_end(&y);
    cl_runyaml_spec_text(&y, m->spec);
    int rc = cl_yout_close(&y);
    if (rc != 0)
        fprintf(stderr, "conlab merge: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    return rc;
}

static int write_merged(struct merge *m, size_t missing, int argc, char **argv)
{
    char err[1024];
    struct cl_results *res = cl_results_open(m->dir, m->spec, 0, m->cells,
                                             m->n_cells, err, sizeof err);
    if (!res) {
        fprintf(stderr, "conlab merge: %s\n", err);
        return -1;
    }
    int rc = cl_results_cell_done(res, m->cells, m->n_cells);
    if (rc != 0)
        fprintf(stderr, "conlab merge: cannot write %s/summary.csv: %s\n",
                m->dir, strerror(errno));
    cl_results_close(res);
    if (rc == 0)
        rc = write_tasks(m);
    if (rc == 0)
        rc = write_run_yaml(m, missing, argc, argv);
    return rc;
}

static void merge_free(struct merge *m, struct cl_registry *reg)
{
    for (size_t i = 0; i < m->n_shards; i++)
        cl_shard_free(&m->shards[i]);
    free(m->shards);
    cl_cells_free(m->cells, m->n_cells);
    free(m->src);
    free(m->spec_from);
    cl_spec_free(m->spec);
    cl_registry_free(reg);
}

int cl_cmd_merge(int argc, char **argv)
{
    static const struct option opts[] = {{"spec", required_argument, NULL, 's'},
                                         {"set", required_argument, NULL, 'S'},
                                         {"quiet", no_argument, NULL, 'q'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    /* for run.yaml, as typed (getopt permutes argv) */
    int argc0 = argc < 64 ? argc : 64;
    char *argv0[64];
    for (int i = 0; i < argc0; i++)
        argv0[i] = argv[i];
    struct merge m;
    memset(&m, 0, sizeof m);
    const char *spec_path = NULL;
    struct cl_spec_opts sets = {0};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "s:qh", opts, NULL)) != -1) {
        switch (c) {
        case 's': spec_path = optarg; break;
        case 'S': cl_spec_opts_add(&sets, optarg); break;
        case 'q': m.quiet = 1; break;
        case 'h': fputs(merge_help, stdout); cl_spec_opts_free(&sets); return 0;
        default:
            fputs("see 'conlab merge --help'\n", stderr);
            cl_spec_opts_free(&sets);
            return CL_EXIT_USAGE;
        }
    }
    if (argc - optind != 1) {
        fputs(merge_help, stderr);
        cl_spec_opts_free(&sets);
        return CL_EXIT_USAGE;
    }
    m.dir = argv[optind];
    struct cl_registry reg;
    cl_registry_init(&reg);
    char err[1024];
    int rc = CL_EXIT_USAGE;
    /* merge writes DIR: own it from the first read to the last
     * write, as run does (issue 14). */
    struct cl_dirlock lock;
    int owned = cl_dirlock_acquire(m.dir, argc0, argv0, &lock, err, sizeof err);
    if (owned != CL_DIRLOCK_OK) {
        fprintf(stderr, "conlab merge: %s\n", err);
        rc = owned == CL_DIRLOCK_REFUSED ? CL_EXIT_USAGE : CL_EXIT_INTERNAL;
        goto out;
    }
    if (cl_shards_scan(m.dir, &m.shards, &m.n_shards, err, sizeof err) != 0) {
        fprintf(stderr, "conlab merge: %s\n", err);
        goto out;
    }
    if (m.n_shards == 0) {
        fprintf(stderr, "conlab merge: no shard-*/ directories in %s (run "
                "`conlab run SPEC --shard I/N -o %s/shard-<I-1>`, or `conlab slurm`)\n",
                m.dir, m.dir);
        goto out;
    }
    int bad_spec = load_merge_spec(&m, &reg, spec_path, &sets) != 0;
    cl_spec_opts_free(&sets);
    if (bad_spec || check_hashes(&m) != 0)
        goto out;
    make_cells(&m);
    if (check_shards(&m) != 0)
        goto out;
    for (size_t i = 0; i < m.n_shards; i++)
        if (m.shards[i].has_run && take_shard(&m, i) < 0)
            goto out;
    m.n_split = common_split(&m);
    for (size_t i = 0; i < m.n_cells; i++)
        if (m.cells[i].done)
            cl_cell_summarize(&m.cells[i]);
    size_t missing = report_missing(&m);
    if (write_merged(&m, missing, argc0, argv0) != 0) {
        rc = CL_EXIT_INTERNAL;
        goto out;
    }
    rc = missing ? CL_EXIT_CELLS : CL_EXIT_OK;
    for (size_t i = 0; i < m.n_cells; i++)
        if (m.cells[i].done && m.cells[i].status != CL_ST_OK)
            rc = CL_EXIT_CELLS;
    if (!m.quiet)
        cl_print_summary(stdout, m.cells, m.n_cells);
    size_t with_run = 0;
    for (size_t i = 0; i < m.n_shards; i++)
        with_run += m.shards[i].has_run;
    printf("merged %zu of %zu cells from %zu shard director%s into %s/\n",
           m.n_cells - missing, m.n_cells, with_run, with_run == 1 ? "y" : "ies",
           m.dir);
out:
    cl_dirlock_release(&lock);
    merge_free(&m, &reg);
    return rc;
}

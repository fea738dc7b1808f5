/* slurm_dir.c — a Slurm run directory: DIR/slurm.yaml (settings and every
 * submission), the state of each shard, and `conlab status`.  See
 * slurm_internal.h. */
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

#include "neutral.h"
#include "shards.h"
#include "util.h"
#include "cli.h"
#include "yamlio.h"

/* ---- DIR/slurm.yaml ----------------------------------------------------------- */


int cl_slurm_dir_load(struct cl_slurm_dir *r, const char *dir, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    char *abs = realpath(dir, NULL);
    if (!abs) {
        snprintf(err, errlen, "%s: %s", dir, strerror(errno));
        return -1;
    }
    r->dir = abs;
    char *path = cl_xasprintf("%s/slurm.yaml", abs);
    int rc = cl_ydoc_load(&r->y, path, err, errlen);
    if (rc != 0 && errno == ENOENT)
        snprintf(err, errlen, "%s has no slurm.yaml: not a run `conlab slurm` made", dir);
    free(path);
    if (rc != 0)
        return -1;
    const char *n = cl_ydoc_str(&r->y, NULL, "shards");
    const char *c = cl_ydoc_str(&r->y, NULL, "cells");
    r->experiment = cl_ydoc_str(&r->y, NULL, "experiment");
    r->shards = n ? (unsigned)strtoul(n, NULL, 10) : 0;
    r->cells = c ? strtoul(c, NULL, 10) : 0;
    r->subs = cl_ydoc_get(&r->y, NULL, "submissions");
    if (r->subs && r->subs->type != YAML_SEQUENCE_NODE)
        r->subs = NULL;
    if (r->shards == 0 || r->cells == 0) {
        snprintf(err, errlen, "%s/slurm.yaml: no `shards` or `cells`", dir);
        return -1;
    }
    return 0;
}

void cl_slurm_dir_free(struct cl_slurm_dir *r)
{
    cl_ydoc_free(&r->y);
    free(r->dir);
}

/* The array job that last ran task i, or NULL. */
const char *cl_slurm_job_of_task(struct cl_slurm_dir *r, unsigned i)
{
    const char *job = NULL;
    for (yaml_node_item_t *it = r->subs ? r->subs->data.sequence.items.start : NULL;
         it && it < r->subs->data.sequence.items.top; it++) {
        yaml_node_t *s = yaml_document_get_node(&r->y.doc, *it);
        const char *id = cl_ydoc_str(&r->y, s, "array_job");
        const char *list = cl_ydoc_str(&r->y, s, "array");
        if (id && list && cl_slurm_ranges_has(list, i))
            job = id;
    }
    return job;
}

/* The newest submission's merge job, or NULL. */
static const char *last_merge_job(struct cl_slurm_dir *r)
{
    const char *job = NULL;
    for (yaml_node_item_t *it = r->subs ? r->subs->data.sequence.items.start : NULL;
         it && it < r->subs->data.sequence.items.top; it++) {
        const char *m = cl_ydoc_str(&r->y, yaml_document_get_node(&r->y.doc, *it),
                                    "merge_job");
        if (m && *m)
            job = m;
    }
    return job;
}


int cl_slurm_yaml_open(struct cl_yout *y, const char *dir, char **path)
{
    *path = cl_xasprintf("%s/slurm.yaml", dir);
    if (cl_yout_open(y, *path) == 0)
        return 0;
    fprintf(stderr, "conlab slurm: cannot write %s: %s\n", *path, strerror(errno));
    free(*path);
    *path = NULL;
    return -1;
}

int cl_slurm_yaml_close(struct cl_yout *y, char *path)
{
    int rc = cl_yout_close(y);
    if (rc != 0)
        fprintf(stderr, "conlab slurm: cannot write %s: %s\n", path, strerror(errno));
    free(path);
    return rc;
}

/* Rewrite DIR/slurm.yaml with one more submission. */
int cl_slurm_record(struct cl_slurm_dir *r, const struct cl_slurm_submission *s)
{
    char *path;
    struct cl_yout y;
    if (cl_slurm_yaml_open(&y, r->dir, &path) != 0)
        return -1;
    yaml_node_t *root = yaml_document_get_root_node(&r->y.doc);
    for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
         p < root->data.mapping.pairs.top; p++) {
        yaml_node_t *k = yaml_document_get_node(&r->y.doc, p->key);
        if (k->type == YAML_SCALAR_NODE &&
            strcmp((const char *)k->data.scalar.value, "submissions") == 0)
            continue;
        cl_yout_node(&y, &r->y, k);
        cl_yout_node(&y, &r->y, yaml_document_get_node(&r->y.doc, p->value));
    }
    cl_yout_scalar(&y, "submissions");
    cl_yout_seq_start(&y, 0);
    for (yaml_node_item_t *it = r->subs ? r->subs->data.sequence.items.start : NULL;
         it && it < r->subs->data.sequence.items.top; it++)
        cl_yout_node(&y, &r->y, yaml_document_get_node(&r->y.doc, *it));
    cl_yout_map_start(&y);
    char now[64];
    cl_iso_time(cl_wall_time(), now, sizeof now);
    cl_yout_kv(&y, "submitted", now);
    cl_yout_kv(&y, "array_job", s->array_job);
    cl_yout_kv(&y, "array", s->array);
    cl_yout_kv(&y, "merge_job", s->merge_job ? s->merge_job : "");
    cl_yout_kv(&y, "sbatch", s->sbatch);
    cl_yout_map_end(&y);
    cl_yout_seq_end(&y);
    return cl_slurm_yaml_close(&y, path);
}

/* ---- shard states (status, resume) -------------------------------------------- */



static size_t cells_in_shard(size_t cells, unsigned shards, unsigned i)
{
    return i < cells ? (cells - i + shards - 1) / shards : 0;
}

static void judge_shard(struct cl_shard_state *s, const struct cl_squeue *q,
                        const char *logdir, unsigned i)
{
    size_t done = s->sh.has_run ? s->sh.cells_done : 0;
    s->queued = s->job ? cl_squeue_state(q, s->job, (long)i) : NULL;
    if (s->queued) {
        s->v = CL_SV_QUEUED;
        snprintf(s->label, sizeof s->label, "%s", s->queued);
        if (s->sh.has_run && strcmp(s->queued, "pending") == 0)
            snprintf(s->note, sizeof s->note, "will resume");
        return;
    }
    if (s->sh.has_run && cl_shard_done(&s->sh) && done >= s->expect) {
        s->v = CL_SV_DONE;
        snprintf(s->label, sizeof s->label, "done");
        return;
    }
    char why[600];
    if (!s->sh.has_run)
        snprintf(why, sizeof why, "%s", s->sh.why);
    else if (s->sh.problem[0])
        snprintf(why, sizeof why, "%s", s->sh.problem);
    else if (s->sh.state && strcmp(s->sh.state, "complete") == 0)
        snprintf(why, sizeof why, "complete, but %zu of %zu cells finished",
                 done, s->expect);
    else
        snprintf(why, sizeof why, "run.yaml says %s", s->sh.state ? s->sh.state : "nothing");
    if (!s->job) {
        s->v = s->sh.has_run ? CL_SV_INCOMPLETE : CL_SV_NOT_SUBMITTED;
        snprintf(s->label, sizeof s->label, "%s",
                 s->sh.has_run ? "incomplete" : "not submitted");
        snprintf(s->note, sizeof s->note, "%s", why);
    } else if (!q->known) {
        s->v = CL_SV_INCOMPLETE;
        snprintf(s->label, sizeof s->label, "incomplete");
        snprintf(s->note, sizeof s->note, "%s; squeue unavailable: job state unknown", why);
    } else {
        s->v = CL_SV_FAILED;
        snprintf(s->label, sizeof s->label, "failed");
        snprintf(s->note, sizeof s->note, "%s and job %s_%u is gone; log: %s/shard-%u-%s.out",
                 why, s->job, i, logdir, i, s->job);
    }
}

struct cl_shard_state *cl_shard_states(struct cl_slurm_dir *r, const struct cl_squeue *q)
{
    struct cl_shard_state *v = cl_xcalloc(r->shards, sizeof *v);
    char *logdir = cl_xasprintf("%s/logs", r->dir);
    for (unsigned i = 0; i < r->shards; i++) {
        char *d = cl_xasprintf("%s/shard-%u", r->dir, i);
        cl_shard_read(&v[i].sh, d, (long)i);
        free(d);
        v[i].expect = cells_in_shard(r->cells, r->shards, i);
        v[i].job = cl_slurm_job_of_task(r, i);
        judge_shard(&v[i], q, logdir, i);
    }
    free(logdir);
    return v;
}

void cl_shard_states_free(struct cl_shard_state *v, unsigned n)
{
    for (unsigned i = 0; v && i < n; i++)
        cl_shard_free(&v[i].sh);
    free(v);
}

/* ---- conlab status ------------------------------------------------------------ */

static const char status_help[] =
    "usage: conlab status DIR\n"
    "\n"
    "Where a run made by `conlab slurm` stands: one line per shard (array\n"
    "task) with its state, its cells finished, and why it is not done:\n"
    "  done        run.yaml says complete and every cell of the shard finished\n"
    "  pending, running, ...   as squeue says (the job is still in the queue)\n"
    "  failed      the job is gone and the shard did not finish (no run.yaml,\n"
    "              or run.yaml says running or interrupted, or cells missing)\n"
    "  incomplete  not finished, and squeue cannot say whether a job runs it\n"
    "  not submitted\n"
    "then the merge job and the merged files.  `conlab slurm --resume DIR`\n"
    "submits again every shard that is failed or incomplete.\n"
    "\n"
    "A shard's finished cells are counted from its results.csv, as --resume\n"
    "counts them (all `repeat` repetitions of a cell, or a row that ended it;\n"
    "a torn last line is dropped), never from its summary.csv.  A shard whose\n"
    "results.csv is unreadable or not a run's (an unknown status, a\n"
    "repetition out of range or twice, more cells than run.yaml gives it) is\n"
    "not done, and its note names the problem: FILE:LINE: cell 'NAME': why.\n"
    "\n"
    "Exit status: 0 every shard done; 1 not yet (or failed); 2 DIR is not a\n"
    "`conlab slurm` run.\n";

int cl_cmd_status(int argc, char **argv)
{
    if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
        fputs(status_help, stdout);
        return 0;
    }
    if (argc != 2 || argv[1][0] == '-') {
        fputs(status_help, stderr);
        return CL_EXIT_USAGE;
    }
    struct cl_slurm_dir r;
    char err[1024];
    if (cl_slurm_dir_load(&r, argv[1], err, sizeof err) != 0) {
        fprintf(stderr, "conlab status: %s\n", err);
        cl_slurm_dir_free(&r);
        return CL_EXIT_USAGE;
    }
    struct cl_squeue q;
    cl_squeue_read(&q);
    struct cl_shard_state *v = cl_shard_states(&r, &q);
    char *exp = cl_neutral_term(r.experiment ? r.experiment : "?");
    printf("%s: experiment %s, %zu cells in %u shards%s\n", r.dir, exp, r.cells,
           r.shards, q.known ? "" : " (squeue unavailable: job states unknown)");
    free(exp);
    printf("  %-7s %-14s %-13s %-7s %s\n", "shard", "job", "state", "cells", "note");
    unsigned n_done = 0;
    for (unsigned i = 0; i < r.shards; i++) {
        char job[48] = "-", cells[32];
        if (v[i].job)
            snprintf(job, sizeof job, "%s_%u", v[i].job, i);
        snprintf(cells, sizeof cells, "%zu/%zu",
                 v[i].sh.has_run ? v[i].sh.cells_done : 0, v[i].expect);
        char shard[24];
        snprintf(shard, sizeof shard, "%u/%u", i + 1, r.shards);
        char *note = cl_neutral_term(v[i].note); /* names from the files */
        printf("  %-7s %-14s %-13s %-7s %s\n", shard, job, v[i].label, cells, note);
        free(note);
        n_done += v[i].v == CL_SV_DONE;
    }
    const char *mj = last_merge_job(&r);
    const char *ms = mj ? cl_squeue_state(&q, mj, -1) : NULL;
    if (mj)
        printf("merge job %s: %s\n", mj, ms ? ms : q.known ? "finished" : "unknown");
    struct cl_shard merged;
    cl_shard_read(&merged, r.dir, -1);
    if (merged.has_run)
    {
        const char *n = cl_ydoc_str(&merged.run.doc, NULL, "cells_merged");
        const char *at = cl_ydoc_str(&merged.run.doc, NULL, "merged");
        printf("merged: %s/results.csv (%s, %s of %zu cells, at %s)\n", r.dir,
               merged.state ? merged.state : "?", n ? n : "?", r.cells, at ? at : "?");
    }
    else
        printf("merged: not yet (conlab merge %s)\n", r.dir);
    printf("%u of %u shards done\n", n_done, r.shards);
    cl_shard_free(&merged);
    cl_shard_states_free(v, r.shards);
    free(q.v);
    cl_slurm_dir_free(&r);
    return n_done == r.shards ? CL_EXIT_OK : CL_EXIT_CELLS;
}


/* slurm.c — see slurm.h.
 *
 * A Slurm run is a directory DIR holding
 *   spec.yaml       the spec, copied byte for byte (its hash is the run's)
 *   conlab.sbatch   the array job: task i runs `conlab run --shard i+1/N`
 *                   into DIR/shard-<i>/, or resumes it there
 *   merge.sbatch    `conlab merge DIR`, submitted with afterany on the array
 *   slurm.yaml      the settings and every submission's job ids
 *   logs/           the jobs' output
 * and, as the jobs run, the shard directories DIR/shard-<i> (ordinary run
 * directories) and the merged results.csv, summary.csv, run.yaml, tasks.csv.
 *
 * conlab never talks to Slurm but through its commands (sbatch, squeue,
 * sinfo), found in PATH.
 *
 * Pinning: a shard plans its workers on the PUs this process may use (see
 * topo.h), so inside an allocation it binds only where Slurm let it run. */
#include "slurm.h"
#include "slurm_internal.h"

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

#include "cli.h"
#include "registry.h"
#include "rundir.h"
#include "spec.h"
#include "specload.h"
#include "util.h"
#include "yamlio.h"

enum { MAX_ARRAY_TASKS = 1000, DEFAULT_CPU_CAP = 64 };

/* ---- conlab slurm ------------------------------------------------------------- */

struct slurm_opts {
    const char *out_dir, *resume;
    unsigned shards;
    const char *partition, *time, *account, *merge_time;
    unsigned cpus;
    int exclusive, tasks, dry_run;
    const char **extra; /* --sbatch-option, each an #SBATCH line */
    size_t n_extra;
    struct cl_spec_opts sets; /* --set KEY=VALUE, passed on to run and merge */
};

/* " --set 'K=V'..." for the scripts' command lines.  Owned by the caller. */
static char *set_args(const struct slurm_opts *o)
{
    char *s = cl_xstrdup("");
    for (size_t i = 0; i < o->sets.n_sets; i++) {
        char *q = cl_sh_quote(o->sets.sets[i]);
        char *t = cl_xasprintf("%s --set %s", s, q);
        free(q);
        free(s);
        s = t;
    }
    return s;
}

static const char slurm_help[] =
    "usage: conlab slurm [SPEC] [-o DIR] [--shards N] [-p PARTITION] [-t TIME]\n"
    "                    [-c CPUS | --exclusive] [-A ACCOUNT] [--tasks]\n"
    "                    [--sbatch-option OPT]... [--merge-time TIME] [-n]\n"
    "                    [--set KEY=VALUE]...\n"
    "       conlab slurm --resume DIR [-p P] [-t T] [-c C | --exclusive] [-n]\n"
    "\n"
    "Runs an experiment on a Slurm cluster as a job array: the cells (strategy\n"
    "variant x workload variant) are split into N shards, array task i runs\n"
    "`conlab run SPEC --shard i+1/N -o DIR/shard-i` on whatever node Slurm\n"
    "gives it, and a merge job (dependency afterany on the array) runs\n"
    "`conlab merge DIR`: DIR/results.csv, summary.csv, run.yaml as one run.\n"
    "\n"
    "Writes DIR (default results/<experiment>/<timestamp>/): spec.yaml (a copy\n"
    "of SPEC), conlab.sbatch (the array job, readable, resubmittable by hand),\n"
    "merge.sbatch, slurm.yaml (settings and job ids), logs/.  Then runs\n"
    "  sbatch --parsable --array=0-<N-1> DIR/conlab.sbatch\n"
    "  sbatch --parsable --dependency=afterany:<array job> DIR/merge.sbatch\n"
    "The conlab binary and DIR are named by absolute paths, so both must be\n"
    "on storage the compute nodes share; jobs start in the current directory.\n"
    "\n"
    "  -o, --output DIR       the run directory (must not exist, or be empty)\n"
    "      --set KEY=VALUE    override a spec value (as `conlab run --set`);\n"
    "                         every shard's run and the merge get it too\n"
    "      --shards N         shards = array tasks (default: one per cell, at\n"
    "                         most 1000); cell k goes to shard k mod N + 1\n"
    "  -p, --partition P      sbatch --partition (default: the cluster's)\n"
    "  -t, --time T           sbatch --time for each shard (default: the\n"
    "                         partition's)\n"
    "  -c, --cpus-per-task C  CPUs per shard (default: the most workers any\n"
    "                         strategy variant starts, at most the CPUs of the\n"
    "                         biggest node sinfo lists, or 64)\n"
    "      --exclusive        a whole node per shard instead\n"
    "  -A, --account A        sbatch --account\n"
    "      --sbatch-option O  one more #SBATCH line, e.g. --sbatch-option=--mem=4G\n"
    "      --merge-time T     --time of the merge job (default 00:10:00)\n"
    "      --tasks            the shards write tasks.csv (conlab run --tasks)\n"
    "  -n, --dry-run          write DIR and the scripts, print the sbatch\n"
    "                         lines, submit nothing (`--resume DIR` submits)\n"
    "      --resume DIR       submit again the shards of DIR that are not done\n"
    "                         and not queued (each resumes its own directory,\n"
    "                         keeping the cells it finished), and a new merge\n"
    "                         job; -p -t -c -A --exclusive override the script\n"
    "\n"
    "Pinning: a shard plans its workers only on the PUs it may use, so each\n"
    "binds inside the CPUs Slurm allotted it (task/cgroup or task/affinity).\n"
    "\n"
    "Then: conlab status DIR (shards done, pending, running, failed), and\n"
    "conlab merge DIR (again, at any time).  Without Slurm the same holds:\n"
    "run `conlab run SPEC --shard I/N -o DIR/shard-<I-1>` anywhere, then\n"
    "`conlab merge DIR`.\n"
    "\n"
    "Exit status: 0 submitted (or written, with --dry-run); 1 nothing to\n"
    "resubmit but shards are not done; 2 bad command line or spec; 3 DIR\n"
    "could not be written or sbatch failed.\n";

/* Write `text` to `path` through a temporary file. */
static int write_file(const char *path, const char *text, size_t len, mode_t mode)
{
    char *tmp = cl_xasprintf("%s.tmp.%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    int ok = f && fwrite(text, 1, len, f) == len;
    if (f) {
        ok = fflush(f) == 0 && fsync(fileno(f)) == 0 && ok;
        ok = fclose(f) == 0 && ok;
    }
    ok = ok && chmod(tmp, mode) == 0 && rename(tmp, path) == 0;
    if (!ok) {
        int e = errno;
        fprintf(stderr, "conlab slurm: cannot write %s: %s\n", path, strerror(e));
        unlink(tmp);
    }
    free(tmp);
    return ok ? 0 : -1;
}

static int dir_empty_or_absent(const char *dir)
{
    int empty = 1;
    DIR *d = opendir(dir);
    if (!d)
        return errno == ENOENT;
    struct dirent *e;
    while (empty && (e = readdir(d)))
        empty = !strcmp(e->d_name, ".") || !strcmp(e->d_name, "..");
    closedir(d);
    return empty;
}

/* The most workers any cell's strategy variant starts. */
static unsigned max_workers(const struct cl_spec *spec)
{
    unsigned most = 1;
    for (size_t s = 0; s < spec->n_strategies; s++) {
        const struct cl_plugin *p = cl_plugin_of(spec->strategies[s].plugin);
        for (size_t w = 0; p && p->sops.workers && w < spec->n_workloads; w++) {
            unsigned n = 0;
            if (p->sops.workers(spec->strategies[s].config, spec->workloads[w].tasks,
                                &n) == CONLAB_OK && n > most)
                most = n;
        }
    }
    return most;
}

/* A spec's `plugin:` paths must still resolve once the spec is DIR/spec.yaml
 * and the jobs start in the current directory. */
static int check_plugin_paths(const struct cl_spec *spec)
{
    int bad = 0;
    for (int kind = 0; kind < 2; kind++) {
        size_t n = kind ? spec->n_workloads : spec->n_strategies;
        const struct cl_variant *v = kind ? spec->workloads : spec->strategies;
        for (size_t i = 0; i < n; i++) {
            const char *p = v[i].plugin_path;
            if (!p || p[0] == '/' || access(p, F_OK) == 0)
                continue;
            fprintf(stderr, "%s:%d:%d: error: plugin '%s' is found only next to "
                    "the spec; the jobs run a copy of it in the run directory: "
                    "give an absolute path, or one relative to the current "
                    "directory\n", spec->path, v[i].line, v[i].col, p);
            bad = 1;
        }
    }
    return bad ? -1 : 0;
}

static char *array_script(const struct cl_spec *spec, const struct slurm_opts *o,
                          const char *dir, const char *exe, const char *cwd,
                          unsigned shards, unsigned cpus, unsigned most)
{
    char now[64];
    cl_iso_time(cl_wall_time(), now, sizeof now);
    char *qexe = cl_sh_quote(exe), *qdir = cl_sh_quote(dir), *qcwd = cl_sh_quote(cwd);
    char *alloc = o->exclusive ? cl_xstrdup("#SBATCH --exclusive\n")
                  : o->cpus    ? cl_xasprintf("#SBATCH --cpus-per-task=%u\n", cpus)
                               : cl_xasprintf("#SBATCH --cpus-per-task=%u\n"
                                              "# (the most workers of any strategy "
                                              "variant: %u)\n", cpus, most);
    char *s = cl_xasprintf(
        "#!/bin/bash\n"
        "# conlab.sbatch: experiment '%s' as a Slurm job array, written by\n"
        "# `conlab slurm` on %s.\n"
        "#\n"
        "# Array task i (0..%u) runs shard i+1 of %u of the cells of spec.yaml (cell k\n"
        "# is in shard k mod %u + 1) into shard-<i>/, or resumes shard-<i>/ when it\n"
        "# has begun (a time limit, a failed node, scancel): resubmit the shards that\n"
        "# are not done with `conlab slurm --resume %s`, or by hand with e.g.\n"
        "# `sbatch --array=2,5 %s/conlab.sbatch`.  `conlab status %s` tells\n"
        "# which; merge.sbatch (`conlab merge`) runs after the array.\n"
        "#\n"
        "# conlab places workers only on the CPUs this job may use, so each shard\n"
        "# binds inside its allocation.\n"
        "#SBATCH --job-name=conlab-%s\n"
        "#SBATCH --array=0-%u\n"
        "#SBATCH --output=%s/logs/shard-%%a-%%A.out\n"
        "#SBATCH --ntasks=1\n"
        "%s",
        spec->experiment, now, shards - 1, shards, shards, dir, dir, dir,
        spec->experiment, shards - 1, dir, alloc);
    free(alloc);
    char *t;
    if (o->partition) {
        t = cl_xasprintf("%s#SBATCH --partition=%s\n", s, o->partition);
        free(s);
        s = t;
    }
    if (o->time) {
        t = cl_xasprintf("%s#SBATCH --time=%s\n", s, o->time);
        free(s);
        s = t;
    }
    if (o->account) {
        t = cl_xasprintf("%s#SBATCH --account=%s\n", s, o->account);
        free(s);
        s = t;
    }
    for (size_t i = 0; i < o->n_extra; i++) {
        t = cl_xasprintf("%s#SBATCH %s\n", s, o->extra[i]);
        free(s);
        s = t;
    }
    char *sets = set_args(o);
    char *tasks = cl_xasprintf("%s%s", o->tasks ? " --tasks" : "", sets);
    free(sets);
    t = cl_xasprintf(
        "%s\n"
        "set -eu\n"
        "conlab=%s\n"
        "dir=%s\n"
        "shards=%u\n"
        "i=${SLURM_ARRAY_TASK_ID:?not an array task: submit with sbatch --array=0-%u}\n"
        "shard=\"$((i + 1))/$shards\"\n"
        "out=\"$dir/shard-$i\"\n"
        "cd %s\n"
        "echo \"conlab: shard $shard of job ${SLURM_ARRAY_JOB_ID:-?}_$i (job ${SLURM_JOB_ID:-?})\" \\\n"
        "     \"on $(hostname), CPUs $(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' /proc/self/status)\"\n"
        "if [ -f \"$out/run.yaml\" ]; then\n"
        "    exec \"$conlab\" run --resume \"$out\" --shard \"$shard\"%s \"$dir/spec.yaml\"\n"
        "fi\n"
        "exec \"$conlab\" run --shard \"$shard\" -o \"$out\"%s \"$dir/spec.yaml\"\n",
        s, qexe, qdir, shards, shards - 1, qcwd, tasks, tasks);
    free(tasks);
    free(s);
    free(qexe);
    free(qdir);
    free(qcwd);
    return t;
}

static char *merge_script(const struct cl_spec *spec, const struct slurm_opts *o,
                          const char *dir, const char *exe, const char *cwd)
{
    char *qexe = cl_sh_quote(exe), *qdir = cl_sh_quote(dir), *qcwd = cl_sh_quote(cwd);
    char *sets = set_args(o);
    char *part = o->partition ? cl_xasprintf("#SBATCH --partition=%s\n", o->partition)
                              : cl_xstrdup("");
    char *acct = o->account ? cl_xasprintf("#SBATCH --account=%s\n", o->account)
                            : cl_xstrdup("");
    char *s = cl_xasprintf(
        "#!/bin/bash\n"
        "# merge.sbatch: merges the shards of experiment '%s' into\n"
        "# %s/results.csv, summary.csv, run.yaml (and tasks.csv).\n"
        "# `conlab slurm` submits it with --dependency=afterany:<array job>; by hand:\n"
        "# `conlab merge %s`, at any time.\n"
        "#SBATCH --job-name=conlab-%s-merge\n"
        "#SBATCH --output=%s/logs/merge-%%j.out\n"
        "#SBATCH --ntasks=1\n"
        "#SBATCH --cpus-per-task=1\n"
        "#SBATCH --time=%s\n"
        "%s%s"
        "\n"
        "cd %s\n"
        "exec %s merge%s %s\n",
        spec->experiment, dir, dir, spec->experiment, dir,
        o->merge_time ? o->merge_time : "00:10:00", part, acct, qcwd, qexe, sets,
        qdir);
    free(sets);
    free(part);
    free(acct);
    free(qexe);
    free(qdir);
    free(qcwd);
    return s;
}

/* slurm.yaml before any submission. */
static int write_slurm_yaml(const char *dir, const struct cl_spec *spec,
                            const char *exe, unsigned shards, size_t cells,
                            unsigned cpus, const struct slurm_opts *o)
{
    char *path;
    struct cl_yout y;
    if (cl_slurm_yaml_open(&y, dir, &path) != 0)
        return -1;
    char now[64];
    cl_iso_time(cl_wall_time(), now, sizeof now);
    cl_yout_kv(&y, "experiment", spec->experiment);
    cl_yout_kv(&y, "created", now);
    cl_yout_kv(&y, "spec_source", spec->path);
    cl_yout_kvf(&y, "spec", "%s/spec.yaml", dir);
    cl_yout_kv(&y, "conlab", exe);
    cl_yout_kvf(&y, "shards", "%u", shards);
    cl_yout_kvf(&y, "cells", "%zu", cells);
    if (o->exclusive)
        cl_yout_kv(&y, "exclusive", "true");
    else
        cl_yout_kvf(&y, "cpus_per_task", "%u", cpus);
    if (o->partition)
        cl_yout_kv(&y, "partition", o->partition);
    if (o->time)
        cl_yout_kv(&y, "time", o->time);
    if (o->account)
        cl_yout_kv(&y, "account", o->account);
    cl_yout_kvf(&y, "script", "%s/conlab.sbatch", dir);
    cl_yout_kvf(&y, "merge_script", "%s/merge.sbatch", dir);
    cl_yout_scalar(&y, "submissions");
    cl_yout_seq_start(&y, 1);
    cl_yout_seq_end(&y);
    return cl_slurm_yaml_close(&y, path);
}

/* The sbatch command lines: the array (tasks in `list`), then the merge job
 * after `deps` (colon-separated job ids). */
static void array_args(struct cl_args *a, const struct slurm_opts *o, const char *dir,
                       const char *list, int overrides)
{
    cl_args_add(a, "sbatch");
    cl_args_add(a, "--parsable");
    cl_args_addf(a, "--array=%s", list);
    if (overrides) { /* --resume: the command line beats the script's #SBATCH */
        if (o->partition)
            cl_args_addf(a, "--partition=%s", o->partition);
        if (o->time)
            cl_args_addf(a, "--time=%s", o->time);
        if (o->account)
            cl_args_addf(a, "--account=%s", o->account);
        if (o->cpus)
            cl_args_addf(a, "--cpus-per-task=%u", o->cpus);
        if (o->exclusive)
            cl_args_add(a, "--exclusive");
    }
    cl_args_addf(a, "%s/conlab.sbatch", dir);
}

static void merge_args(struct cl_args *a, const struct slurm_opts *o, const char *dir,
                       const char *deps, int overrides)
{
    cl_args_add(a, "sbatch");
    cl_args_add(a, "--parsable");
    cl_args_addf(a, "--dependency=afterany:%s", deps);
    if (overrides && o->partition)
        cl_args_addf(a, "--partition=%s", o->partition);
    if (overrides && o->account)
        cl_args_addf(a, "--account=%s", o->account);
    cl_args_addf(a, "%s/merge.sbatch", dir);
}

/* Submit the array tasks in `list` and a merge job after them (and after
 * `also`, array jobs of earlier submissions still queued); record both. */
static int submit(struct cl_slurm_dir *r, const struct slurm_opts *o, const char *list,
                  const char *also, int overrides)
{
    struct cl_args a = {NULL, 0}, m = {NULL, 0};
    array_args(&a, o, r->dir, list, overrides);
    char *line = cl_args_text(&a);
    if (o->dry_run) {
        merge_args(&m, o, r->dir, also && *also ? "<array job>:" : "<array job>", overrides);
        char *mline = cl_args_text(&m);
        printf("dry run: nothing submitted; to submit:\n  %s\n  %s%s\n", line, mline,
               also && *also ? also : "");
        if (!overrides) /* a new run: --resume submits every shard */
            printf("or: conlab slurm --resume %s\n", r->dir);
        free(mline);
        free(line);
        cl_args_free(&a);
        cl_args_free(&m);
        return CL_EXIT_OK;
    }
    char job[32], mjob[32] = "";
    if (cl_sbatch(&a, job, sizeof job) != 0) {
        free(line);
        cl_args_free(&a);
        return CL_EXIT_INTERNAL;
    }
    char *deps = also && *also ? cl_xasprintf("%s:%s", job, also) : cl_xstrdup(job);
    merge_args(&m, o, r->dir, deps, overrides);
    int merge_ok = cl_sbatch(&m, mjob, sizeof mjob) == 0;
    struct cl_slurm_submission sub = {job, list, merge_ok ? mjob : NULL, line};
    int rec = cl_slurm_record(r, &sub);
    printf("submitted array job %s (tasks %s)", job, list);
    if (merge_ok)
        printf(" and merge job %s (afterany:%s)\n", mjob, deps);
    else
        printf("; the merge job was not submitted: run `conlab merge %s` "
               "when the array is done\n", r->dir);
    printf("follow it with: conlab status %s\n", r->dir);
    free(deps);
    free(line);
    cl_args_free(&a);
    cl_args_free(&m);
    return merge_ok && rec == 0 ? CL_EXIT_OK : CL_EXIT_INTERNAL;
}

/* Is `tok` one of the colon-separated words of `list`? */
static int has_token(const char *list, const char *tok)
{
    size_t n = strlen(tok);
    for (const char *p = list; *p; p += strcspn(p, ":"), p += *p == ':')
        if (strncmp(p, tok, n) == 0 && (p[n] == ':' || p[n] == '\0'))
            return 1;
    return 0;
}

static int slurm_resume(const struct slurm_opts *o)
{
    struct cl_slurm_dir r;
    char err[1024];
    if (cl_slurm_dir_load(&r, o->resume, err, sizeof err) != 0) {
        fprintf(stderr, "conlab slurm: %s\n", err);
        cl_slurm_dir_free(&r);
        return CL_EXIT_USAGE;
    }
    struct cl_squeue q;
    cl_squeue_read(&q);
    int has_jobs = 0;
    for (unsigned i = 0; i < r.shards && !has_jobs; i++)
        has_jobs = cl_slurm_job_of_task(&r, i) != NULL;
    if (!q.known && has_jobs && !o->dry_run) {
        fprintf(stderr, "conlab slurm: squeue failed: cannot tell which shards are "
                "still queued, and a shard must never run twice at once\n");
        cl_slurm_dir_free(&r);
        return CL_EXIT_INTERNAL;
    }
    struct cl_shard_state *v = cl_shard_states(&r, &q);
    unsigned *todo = cl_xcalloc(r.shards, sizeof *todo);
    size_t n = 0, queued = 0;
    char *also = cl_xstrdup("");
    for (unsigned i = 0; i < r.shards; i++) {
        if (v[i].v == CL_SV_QUEUED) {
            queued++;
            if (!has_token(also, v[i].job)) { /* keep the merge after it too */
                char *t = cl_xasprintf("%s%s%s", also, *also ? ":" : "", v[i].job);
                free(also);
                also = t;
            }
        } else if (v[i].v != CL_SV_DONE) {
            todo[n++] = i;
            printf("shard %u/%u (%s): %s%s%s\n", i + 1, r.shards, v[i].label,
                   v[i].sh.has_run ? "resumes" : "starts",
                   v[i].note[0] ? ": " : "", v[i].note);
        }
    }
    int rc;
    if (n == 0) {
        printf("nothing to resubmit: %u shard%s done, %zu queued%s\n",
               (unsigned)(r.shards - queued), r.shards - queued == 1 ? "" : "s",
               queued, queued ? " (conlab status shows them)" : "");
        rc = queued ? CL_EXIT_CELLS : CL_EXIT_OK;
    } else {
        char *list = cl_slurm_ranges(todo, n);
        rc = submit(&r, o, list, also, 1);
        free(list);
    }
    free(also);
    free(todo);
    cl_shard_states_free(v, r.shards);
    free(q.v);
    cl_slurm_dir_free(&r);
    return rc;
}

/* DIR/spec.yaml, conlab.sbatch, merge.sbatch and slurm.yaml.  0 or -1. */
static int write_run_files(const struct cl_spec *spec, const struct slurm_opts *o,
                           const char *dir, const char *exe, const char *cwd,
                           unsigned shards, unsigned cpus, unsigned most)
{
    char *spec_copy = cl_xasprintf("%s/spec.yaml", dir);
    char *script = array_script(spec, o, dir, exe, cwd, shards, cpus, most);
    char *mscript = merge_script(spec, o, dir, exe, cwd);
    char *sp = cl_xasprintf("%s/conlab.sbatch", dir);
    char *mp = cl_xasprintf("%s/merge.sbatch", dir);
    size_t cells = spec->n_pairs;
    int bad = write_file(spec_copy, spec->text, spec->text_len, 0644) ||
              write_file(sp, script, strlen(script), 0755) ||
              write_file(mp, mscript, strlen(mscript), 0755) ||
              write_slurm_yaml(dir, spec, exe, shards, cells, cpus, o);
    free(spec_copy);
    free(script);
    free(mscript);
    free(sp);
    free(mp);
    return bad ? -1 : 0;
}

static void refuse_dir(const char *dir)
{
    fprintf(stderr, "conlab slurm: the run directory %s has a space, quote, '%%', "
            "'#' or backslash in its path, which #SBATCH lines cannot hold; choose "
            "another -o DIR\n", dir);
}

static int slurm_new(const struct slurm_opts *o, const char *spec_path)
{
    struct cl_registry reg;
    cl_registry_init(&reg);
    struct cl_spec *spec = NULL;
    char *dir = NULL, *parent = NULL, *abs = NULL, *exe = NULL, *cwd = NULL;
    int rc = CL_EXIT_USAGE;
    if (cl_spec_open_opts(&reg, spec_path, &o->sets, &spec) != 0) {
        fprintf(stderr, "conlab slurm: nothing was written or submitted\n");
        goto out;
    }
    if (check_plugin_paths(spec) != 0)
        goto out;
    size_t cells = spec->n_pairs;
    if (cells == 0) {
        fprintf(stderr, "conlab slurm: %s has no cells to run\n", spec->path);
        goto out;
    }
    unsigned shards = o->shards ? o->shards
                      : cells < MAX_ARRAY_TASKS ? (unsigned)cells : MAX_ARRAY_TASKS;
    if (shards > cells) {
        fprintf(stderr, "conlab slurm: %u shards for %zu cells: using %zu\n", shards,
                cells, cells);
        shards = (unsigned)cells;
    }
    unsigned most = max_workers(spec), cpus = o->cpus;
    if (!cpus && !o->exclusive) {
        unsigned cap = cl_node_cpus(o->partition);
        cpus = most < (cap ? cap : DEFAULT_CPU_CAP) ? most : (cap ? cap : DEFAULT_CPU_CAP);
    }
    dir = o->out_dir ? cl_xstrdup(o->out_dir) : cl_default_out_dir(spec, &parent);
    if (!dir_empty_or_absent(dir)) {
        char *y = cl_xasprintf("%s/slurm.yaml", dir);
        if (access(y, F_OK) == 0)
            fprintf(stderr, "conlab slurm: %s is a run already; `conlab slurm "
                    "--resume %s` submits what is not done\n", dir, dir);
        else
            fprintf(stderr, "conlab slurm: %s exists and is not empty; choose "
                    "another -o DIR\n", dir);
        free(y);
        goto out;
    }
    exe = cl_exe_path();
    cwd = getcwd(NULL, 0);
    if (!exe || !cwd) {
        fprintf(stderr, "conlab slurm: cannot tell %s: %s\n",
                exe ? "the current directory" : "this executable's path",
                strerror(errno));
        rc = CL_EXIT_INTERNAL;
        goto out;
    }
    char *joined = dir[0] == '/' ? cl_xstrdup(dir) : cl_xasprintf("%s/%s", cwd, dir);
    int safe = cl_sbatch_safe(joined);
    free(joined);
    if (!safe) {
        refuse_dir(dir);
        goto out;
    }
    rc = CL_EXIT_INTERNAL;
    char *logs = cl_xasprintf("%s/logs", dir);
    int made = cl_mkdirs(logs);
    free(logs);
    if (made != 0 || !(abs = realpath(dir, NULL))) {
        fprintf(stderr, "conlab slurm: cannot create %s: %s\n", dir, strerror(errno));
        goto out;
    }
    if (!cl_sbatch_safe(abs)) {
        refuse_dir(abs);
        rc = CL_EXIT_USAGE;
        goto out;
    }
    if (write_run_files(spec, o, abs, exe, cwd, shards, cpus, most) != 0)
        goto out;
    if (parent)
        cl_point_latest(parent, dir);
    printf("conlab slurm: experiment '%s': %zu cells in %u shard%s (array tasks 0-%u), ",
           spec->experiment, cells, shards, shards == 1 ? "" : "s", shards - 1);
    if (o->exclusive)
        printf("a whole node each\n");
    else
        printf("%u CPU%s each%s\n", cpus, cpus == 1 ? "" : "s",
               o->cpus ? "" : most > cpus ? " (capped: some variant starts more workers)"
                                          : " (the most workers of any variant)");
    printf("run directory: %s/ (batch script: conlab.sbatch)\n", abs);
    struct cl_slurm_dir r;
    char err[1024];
    if (cl_slurm_dir_load(&r, abs, err, sizeof err) != 0) {
        fprintf(stderr, "conlab slurm: %s\n", err);
        cl_slurm_dir_free(&r);
        goto out;
    }
    char *list = cl_xasprintf("0-%u", shards - 1);
    rc = submit(&r, o, list, NULL, 0);
    free(list);
    cl_slurm_dir_free(&r);
out:
    free(dir);
    free(parent);
    free(abs);
    free(exe);
    free(cwd);
    cl_spec_free(spec);
    cl_registry_free(&reg);
    return rc;
}

static int parse_unsigned(const char *s, unsigned max, unsigned *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || v < 1 || v > max || s[0] == '-')
        return -1;
    *out = (unsigned)v;
    return 0;
}

static int slurm_main(struct slurm_opts *o, int argc, char **argv);

int cl_cmd_slurm(int argc, char **argv)
{
    enum { O_SHARDS = 256, O_EXCLUSIVE, O_TASKS, O_EXTRA, O_MERGE_TIME, O_SET };
    static const struct option opts[] = {
        {"output", required_argument, NULL, 'o'},
        {"shards", required_argument, NULL, O_SHARDS},
        {"partition", required_argument, NULL, 'p'},
        {"time", required_argument, NULL, 't'},
        {"cpus-per-task", required_argument, NULL, 'c'},
        {"exclusive", no_argument, NULL, O_EXCLUSIVE},
        {"account", required_argument, NULL, 'A'},
        {"sbatch-option", required_argument, NULL, O_EXTRA},
        {"merge-time", required_argument, NULL, O_MERGE_TIME},
        {"tasks", no_argument, NULL, O_TASKS},
        {"dry-run", no_argument, NULL, 'n'},
        {"resume", required_argument, NULL, 'r'},
        {"set", required_argument, NULL, O_SET},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0}};
    struct slurm_opts o = {0};
    const char *extra[64];
    o.extra = extra;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:p:t:c:A:nh", opts, NULL)) != -1) {
        const char *bad = NULL;
        switch (c) {
        case 'o': o.out_dir = optarg; break;
        case 'r': o.resume = optarg; break;
        case 'n': o.dry_run = 1; break;
        case O_TASKS: o.tasks = 1; break;
        case O_EXCLUSIVE: o.exclusive = 1; break;
        case O_SHARDS:
            if (parse_unsigned(optarg, 1000000, &o.shards) != 0)
                bad = "--shards wants a number of shards >= 1";
            break;
        case 'c':
            if (parse_unsigned(optarg, 1u << 20, &o.cpus) != 0)
                bad = "--cpus-per-task wants a number of CPUs >= 1";
            break;
        case 'p': o.partition = optarg; bad = cl_sbatch_safe(optarg) ? NULL : "bad --partition"; break;
        case 't': o.time = optarg; bad = cl_sbatch_safe(optarg) ? NULL : "bad --time"; break;
        case 'A': o.account = optarg; bad = cl_sbatch_safe(optarg) ? NULL : "bad --account"; break;
        case O_MERGE_TIME:
            o.merge_time = optarg;
            bad = cl_sbatch_safe(optarg) ? NULL : "bad --merge-time";
            break;
        case O_EXTRA:
            if (strchr(optarg, '\n') || optarg[0] != '-')
                bad = "--sbatch-option wants one sbatch option, e.g. --mem=4G";
            else if (o.n_extra == sizeof extra / sizeof *extra)
                bad = "too many --sbatch-option";
            else
                extra[o.n_extra++] = optarg;
            break;
        case O_SET:
            if (strchr(optarg, '\n'))
                bad = "--set wants KEY=VALUE on one line";
            else
                cl_spec_opts_add(&o.sets, optarg);
            break;
        case 'h': fputs(slurm_help, stdout); cl_spec_opts_free(&o.sets); return 0;
        default:
            fputs("see 'conlab slurm --help'\n", stderr);
            cl_spec_opts_free(&o.sets);
            return CL_EXIT_USAGE;
        }
        if (bad) {
            fprintf(stderr, "conlab slurm: %s (got '%s'); see 'conlab slurm --help'\n",
                    bad, optarg);
            cl_spec_opts_free(&o.sets);
            return CL_EXIT_USAGE;
        }
    }
    int rc = slurm_main(&o, argc, argv);
    cl_spec_opts_free(&o.sets);
    return rc;
}

/* What cl_cmd_slurm does once its options are read. */
static int slurm_main(struct slurm_opts *o_, int argc, char **argv)
{
    struct slurm_opts o = *o_;
    if (o.exclusive && o.cpus) {
        fputs("conlab slurm: --cpus-per-task or --exclusive, not both\n", stderr);
        return CL_EXIT_USAGE;
    }
    if (o.resume) {
        if (optind < argc || o.out_dir || o.shards || o.n_extra || o.tasks || o.merge_time ||
            o.sets.n_sets) {
            fputs("conlab slurm: --resume DIR takes the spec, the run directory and "
                  "the shards from DIR (only -p -t -c -A --exclusive -n go with it)\n",
                  stderr);
            return CL_EXIT_USAGE;
        }
        return slurm_resume(&o);
    }
    if (argc - optind > 1) {
        fputs("conlab slurm: one spec at a time; see 'conlab slurm --help'\n", stderr);
        return CL_EXIT_USAGE;
    }
    return slurm_new(&o, optind < argc ? argv[optind] : NULL);
}


/* slurm_internal.h — what the files of `conlab slurm` and `conlab status`
 * share: running Slurm's commands (slurm_ctl.c) and the Slurm run directory
 * with its shards' states (slurm_dir.c).  Private to slurm*.c. */
#ifndef CONLAB_HOST_SLURM_INT_H
#define CONLAB_HOST_SLURM_INT_H

#include <stddef.h>

#include "shards.h"
#include "yamlio.h"

/* One argv grown as needed. */
struct cl_args {
    char **v;
    size_t n;
};

/* One job (or array task) in squeue's answer. */
struct cl_qentry {
    char job[32];
    long task;
    char state[32];
};

/* Our jobs Slurm still knows. */
struct cl_squeue {
    int known;       /* squeue answered */
    struct cl_qentry *v;
    size_t n;
};

/* A Slurm run directory as slurm.yaml describes it. */
struct cl_slurm_dir {
    char *dir;              /* absolute */
    struct cl_ydoc y;       /* slurm.yaml */
    unsigned shards;
    size_t cells;
    const char *experiment; /* borrowed from y */
    yaml_node_t *subs;      /* the submissions sequence, or NULL */
};

/* One submission recorded in slurm.yaml (borrowed strings). */
struct cl_slurm_submission {
    const char *array_job, *array, *merge_job, *sbatch;
};

enum cl_shard_verdict { CL_SV_DONE, CL_SV_QUEUED, CL_SV_FAILED, CL_SV_INCOMPLETE, CL_SV_NOT_SUBMITTED };

/* A shard of a Slurm run, as `conlab status` and `slurm --resume` see it. */
struct cl_shard_state {
    struct cl_shard sh;
    size_t expect;        /* cells in this shard */
    const char *job;      /* array job that ran it last, or NULL */
    const char *queued;   /* squeue's state ("pending", "running"), or NULL */
    enum cl_shard_verdict v;
    char label[32];
    char note[1200];
};

/* Append a copy of s to the argv (kept NULL-terminated). */
void cl_args_add(struct cl_args *a, const char *s);

/* Append a formatted argument. */
void cl_args_addf(struct cl_args *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Free every argument and the array; the argv is empty again. */
void cl_args_free(struct cl_args *a);

/* The argv as one sh-quoted command line.  Owned by the caller. */
char *cl_args_text(const struct cl_args *a);

/* Most CPUs of a node Slurm lists (in `partition`, if given), or 0. */
unsigned cl_node_cpus(const char *partition);

/* A value that goes on an #SBATCH line as it is. */
int cl_sbatch_safe(const char *s);

/* sbatch ARGS: the job id, or -1 with the reason told on stderr. */
int cl_sbatch(const struct cl_args *a, char *id, size_t len);

/* Our jobs Slurm still knows as pending, running, completing, ... */
void cl_squeue_read(struct cl_squeue *q);

/* squeue's state of the job (array task `task`, -1: not an array task),
 * borrowed from q, or NULL when Slurm no longer knows it. */
const char *cl_squeue_state(const struct cl_squeue *q, const char *job, long task);

/* Load DIR/slurm.yaml.  0, or -1 with a message in err (then free it all
 * the same with cl_slurm_dir_free). */
int cl_slurm_dir_load(struct cl_slurm_dir *r, const char *dir, char *err, size_t errlen);
void cl_slurm_dir_free(struct cl_slurm_dir *r);

/* The array job that last ran task i, or NULL. */
const char *cl_slurm_job_of_task(struct cl_slurm_dir *r, unsigned i);

/* Start (re)writing DIR/slurm.yaml: 0 with y open and *path set (pass it to
 * cl_slurm_yaml_close), or -1 with the reason told on stderr. */
int cl_slurm_yaml_open(struct cl_yout *y, const char *dir, char **path);

/* Finish what cl_slurm_yaml_open began and free path: 0, or -1 told on stderr. */
int cl_slurm_yaml_close(struct cl_yout *y, char *path);

/* Rewrite DIR/slurm.yaml with one more submission. */
int cl_slurm_record(struct cl_slurm_dir *r, const struct cl_slurm_submission *s);

/* The state of each of the r->shards shards, judged from their directories
 * and the queue q.  Owned by the caller: cl_shard_states_free. */
struct cl_shard_state *cl_shard_states(struct cl_slurm_dir *r, const struct cl_squeue *q);
void cl_shard_states_free(struct cl_shard_state *v, unsigned n);

#endif

/* slurm.h — `conlab slurm` (a run as a Slurm job array, one shard of cells
 * per array task, then a dependent merge job) and `conlab status` (which
 * shards are done, pending, running, failed).  Host-private. */
#ifndef CONLAB_HOST_SLURM_H
#define CONLAB_HOST_SLURM_H

#include <stddef.h>

int cl_cmd_slurm(int argc, char **argv);
int cl_cmd_status(int argc, char **argv);

/* ---- small pieces, public for the unit tests ------------------------------ */

/** Ascending indices as a Slurm --array list: {0,1,2,3,5,7,8} -> "0-3,5,7-8".
 *  Owned by the caller. */
char *cl_slurm_ranges(const unsigned *idx, size_t n);
/** 1 when the --array list ("0-3,5,7-8", maybe with a "%K" throttle or
 *  ":S" steps) holds index i, else 0. */
int cl_slurm_ranges_has(const char *list, unsigned i);
/** The job id in `sbatch --parsable` output ("1234\n" or "1234;cluster\n").
 *  0, or -1 when there is none. */
int cl_slurm_parse_jobid(const char *out, char *id, size_t len);
/** One line of `squeue -h -r -o %F|%K|%T`: the (array) job id, the array
 *  task (-1 for a job that is not an array task) and the state.  0 or -1. */
int cl_slurm_parse_squeue(const char *line, char *job, size_t joblen,
                          long *task, char *state, size_t statelen);
/** `s` quoted for sh: 'it'\''s'.  Owned by the caller. */
char *cl_sh_quote(const char *s);

#endif

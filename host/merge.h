/* merge.h — `conlab merge DIR`: one run out of the shard directories
 * DIR/shard-* that `conlab run --shard I/N` wrote (by hand or as a Slurm
 * job array).  Host-private. */
#ifndef CONLAB_HOST_MERGE_H
#define CONLAB_HOST_MERGE_H

int cl_cmd_merge(int argc, char **argv);

#endif

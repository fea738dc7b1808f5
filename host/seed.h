/* seed.h — the seed of one repetition: fresh random draws for every
 * repetition of every cell, reproducible from the spec's seed.
 * Host-private. */
#ifndef CONLAB_HOST_SEED_H
#define CONLAB_HOST_SEED_H

#include <stdint.h>

/** The seed repetition `repetition` (1-based; 0 for the warm-ups) of the
 *  cell named `cell_name` hands to its workload: splitmix64 steps over the
 *  spec's seed, the FNV-1a 64 hash of the cell's name and the repetition,
 *  so that each (spec seed, cell, repetition) gets its own stream and the
 *  same three always get the same one.  Pure; cell_name borrowed. */
uint64_t cl_seed_for(uint64_t spec_seed, const char *cell_name, int repetition);

#endif

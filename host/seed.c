/* seed.c — see seed.h. */
#include "seed.h"

#include <string.h>

#include "util.h"

/* splitmix64's finaliser (Steele, Lea, Flood 2014): a bijection that
 * spreads every input bit over the output. */
static uint64_t mix64(uint64_t z)
{
    z += UINT64_C(0x9e3779b97f4a7c15);
    z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
    z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
    return z ^ (z >> 31);
}

uint64_t cl_seed_for(uint64_t spec_seed, const char *cell_name, int repetition)
{
    uint64_t h = mix64(spec_seed);
    h = mix64(h ^ cl_fnv1a64(cell_name, strlen(cell_name)));
    return mix64(h ^ (uint64_t)(uint32_t)repetition);
}

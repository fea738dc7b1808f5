/*
 * mix.h — what the built-in seeded workloads (sleep, conformance) share:
 * splitmix64, one well-mixed 64-bit value per input, so that a (seed, task)
 * pair always draws the same number.  Private to plugins/workloads/, not part
 * of the SDK; header-only, so each plugin stays one .so linking only the SDK.
 */
#ifndef CONLAB_WORKLOADS_MIX_H
#define CONLAB_WORKLOADS_MIX_H

#include <stdint.h>

/* splitmix64's output function: returns the mixed value of x. */
static inline uint64_t wl_mix(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

#endif

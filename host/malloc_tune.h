/*
 * malloc_tune.h — `conlab run` gives the processes it measures a glibc
 * malloc that grows its heaps in transparent huge pages.
 *
 * Why: on a shadow-paged VM (the 2-vCPU KVM guests this project is measured
 * on) every fresh 4 KiB page costs ~9 us on its first touch, populated or not
 * (`conlab calibrate`: page_first_touch), and a thread's first allocations
 * land on fresh pages of a fresh malloc arena.  160 threads each starting a
 * libcurl request spent ~20% of their time in those faults.  With heaps
 * advised into huge pages and grown 16 MiB at a time, one fault maps 2 MiB:
 * `threads`(160) x 160 GETs went from ~100 to ~82 ms, peak RSS from 18 to
 * 42 MiB.
 *
 * How: glibc reads its tunables only at start-up, so `conlab run` execs
 * itself once with GLIBC_TUNABLES extended by CL_MALLOC_TUNABLES.  Not when
 * the user's GLIBC_TUNABLES already sets glibc.malloc.hugetlb (theirs
 * wins), nor with CONLAB_MALLOC=default, nor under valgrind (its malloc is
 * its own, and an exec would leave valgrind).  run.yaml records the
 * tunables the run had (host.glibc_tunables).
 */
#ifndef CONLAB_MALLOC_TUNE_H
#define CONLAB_MALLOC_TUNE_H

#define CL_MALLOC_TUNABLES "glibc.malloc.hugetlb=1:glibc.malloc.top_pad=16777216"

/* Exec argv again with CL_MALLOC_TUNABLES added, if it applies (see the
 * top); returns only when it does not apply or the exec failed. */
void cl_malloc_tune(char **argv);

#endif

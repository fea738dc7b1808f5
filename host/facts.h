/* facts.h — the machine at run time, as run.yaml records it: load, CPU
 * frequency governors, virtualisation, the CPU model.  Host-private. */
#ifndef CONLAB_HOST_FACTS_H
#define CONLAB_HOST_FACTS_H

struct cl_host_facts {
    double loadavg_1m;         /* /proc/loadavg; NAN if unreadable */
    char governor[128];        /* scaling governors of all CPUs, distinct ones
                                  joined by ","; "" without cpufreq */
    int virtualized;           /* 1, 0, or -1 unknown */
    char hypervisor[64];       /* "KVM", "QEMU", ... or "" */
};

/** Read the facts above from /proc and /sys (root = "" normally; tests
 *  point it at a fake tree). */
void cl_host_facts_read(const char *root, struct cl_host_facts *f);

/** The CPU model of /proc/cpuinfo ("unknown" if none).  Owned by the
 *  caller. */
char *cl_cpu_model(void);

#endif

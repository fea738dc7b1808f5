/* calibrate.h — machine floors: what the operating system charges for the
 * acts every strategy is built from (a thread, a fork, a page, a switch, a
 * sleep, a clock read, a wake-up on another CPU), measured in well under two
 * seconds.  A cell whose per-task time is near one of these measures the
 * machine, not the strategy.  Host-private. */
#ifndef CONLAB_HOST_CALIBRATE_H
#define CONLAB_HOST_CALIBRATE_H

#include <stddef.h>
#include <stdio.h>

/* The floors, in the order they are measured and printed. */
enum cl_floor_id {
    CL_FLOOR_CLOCK_READ,       /* clock_gettime(CLOCK_MONOTONIC) */
    CL_FLOOR_SYSCALL,          /* getppid(2), a system call doing nothing */
    CL_FLOOR_PAGE_TOUCH,       /* first write to an anonymous page */
    CL_FLOOR_THREAD_SPAWN,     /* pthread_create + pthread_join */
    CL_FLOOR_FORK_WAIT,        /* fork + _exit + waitpid */
    CL_FLOOR_SWITCH_THREADS,   /* pipe ping-pong, two threads, one CPU */
    CL_FLOOR_SWITCH_PROCESSES, /* pipe ping-pong, two processes, one CPU */
    CL_FLOOR_SLEEP_OVERSHOOT,  /* a 100 us clock_nanosleep, minus 100 us */
    CL_FLOOR_WAKE_CROSS_CPU,   /* pipe write to wake of a thread on another CPU */
    CL_FLOOR_COUNT
};

enum cl_floor_status {
    CL_FLOOR_OK,     /* measured */
    CL_FLOOR_NA,     /* cannot apply here (e.g. one usable CPU): reason says why */
    CL_FLOOR_FAILED  /* a system call failed: reason names it and errno */
};

/* One floor.  Times are nanoseconds per act; dispersion is over samples. */
struct cl_floor {
    const char *key;             /* stable name, e.g. "fork_wait" (static) */
    enum cl_floor_status status;
    char reason[112];            /* empty when status is CL_FLOOR_OK */
    size_t samples;              /* samples kept (after warm-up) */
    double median_ns, p10_ns, p90_ns;
};

struct cl_floors {
    struct cl_floor floor[CL_FLOOR_COUNT];
    int cpus;          /* CPUs in this thread's affinity mask */
    double elapsed_s;  /* wall time cl_calibrate took */
};

struct cl_calibrate_opts {
    int quick;              /* small budgets: about a fifth of the time */
    double probe_budget_ms; /* per probe; 0: 120 (quick: 20) */
    size_t max_samples;     /* per probe; 0: 1000 (quick: 100) */
};

/** Measure every floor into *out (all fields written).  o may be NULL (the
 *  defaults).  Each probe stops after max_samples samples or once its budget
 *  is spent, whichever comes first, and keeps at least 5 samples.  The
 *  calling thread's CPU affinity is changed during the switch and wake-up
 *  probes and restored before return.  Returns the number of floors whose
 *  status is CL_FLOOR_FAILED (0: every floor measured or not applicable). */
int cl_calibrate(struct cl_floors *out, const struct cl_calibrate_opts *o);

/** The floor's one-line description, e.g. "fork + waitpid of a child that
 *  exits at once" (static; NULL for an id out of range). */
const char *cl_floor_what(enum cl_floor_id id);

/** A table, one line per floor (median, p10, p90, samples, or why n/a). */
void cl_floors_print(FILE *out, const struct cl_floors *f);

/** Call kv(ctx, key, value, unit) for every value in f, for writers of other
 *  formats (run.yaml).  A measured floor K gives K (the median, "ns"),
 *  K.p10 and K.p90 ("ns") and K.samples ("count"); a floor that is n/a or
 *  failed gives K alone, value NAN, unit "n/a" (its reason is in f).  Keys
 *  are static strings or built in a buffer valid only during the call. */
void cl_floors_each(const struct cl_floors *f,
                    void (*kv)(void *ctx, const char *key, double value,
                               const char *unit),
                    void *ctx);

/** Every floor named, CL_FLOOR_NA with reason "not recorded", values NAN,
 *  cpus -1, elapsed_s NAN: the start of a reader filling f with
 *  cl_floors_set. */
void cl_floors_init(struct cl_floors *f);

/** The inverse of cl_floors_each: set in f the value `key` names, as
 *  cl_floors_each gives it (K: the median, and the floor is then
 *  CL_FLOOR_OK, or CL_FLOOR_NA when value is NAN; K.p10, K.p90,
 *  K.samples).  0, or -1 for a key it does not know (f unchanged). */
int cl_floors_set(struct cl_floors *f, const char *key, double value);

/** `conlab calibrate [--format text|json] [--quick]`; argv[0] is
 *  "calibrate".  Returns 0, 2 on a usage error, 3 when a floor failed to
 *  measure (printed anyway, with the reason). */
int cl_cmd_calibrate(int argc, char **argv);

#endif

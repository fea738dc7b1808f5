/* dirlock.h — owning a run directory while writing it: an advisory lock on
 * DIR/.lock that names its holder, and claiming a fresh output directory
 * (refusing one that holds files, or moving them aside).  Every command
 * that writes a run directory (run, run --resume, run --shard, merge)
 * holds its lock from before it reads the directory until it exits.
 * Host-private.
 *
 * The lock is an open-file-description lock (fcntl F_OFD_SETLK, write,
 * whole file) on DIR/.lock, opened O_CLOEXEC:
 *  - it belongs to the open file, not to the process, so nothing else in
 *    the host can drop it by opening and closing DIR/.lock (as a classic
 *    POSIX lock would), and F_OFD_GETLK can ask whether it is held without
 *    taking it;
 *  - the kernel drops it when the holder dies in any way (kill -9, power
 *    off on a local disk): a .lock left behind is only a file, and the next
 *    writer takes it over;
 *  - a forked child would share the open file description and keep the
 *    lock alive after the holder died (a hung repetition, a worker process
 *    of a plugin), so a pthread_atfork handler closes every held lock's
 *    descriptor in each child right after fork(): closing a descriptor
 *    never releases an OFD lock while another descriptor (the parent's)
 *    still refers to it, so the children neither hold nor release it.
 *    O_CLOEXEC covers what is started with exec or posix_spawn.
 *  - over NFS it is a POSIX byte-range lock (NLM or NFSv4), as a Slurm
 *    cluster's shared run directory needs.
 * The file is never unlinked while anyone may use it; after taking the lock
 * the holder checks that DIR/.lock is still the file it locked. */
#ifndef CONLAB_HOST_DIRLOCK_H
#define CONLAB_HOST_DIRLOCK_H

#include <stddef.h>

/* What the functions return. */
enum {
    CL_DIRLOCK_OK = 0,       /* the lock is held (and the directory ready) */
    CL_DIRLOCK_REFUSED = 1,  /* another writer holds it, or the directory
                                is not one / not empty: nothing was touched
                                (the caller exits CL_EXIT_USAGE) */
    CL_DIRLOCK_ERROR = -1    /* a system error (the caller exits
                                CL_EXIT_INTERNAL) */
};

struct cl_dirlock {
    int fd;      /* DIR/.lock, open and locked; -1 when not held */
    char *path;  /* DIR/.lock (owned), NULL when not held */
};

/** Take the lock of the existing directory `dir` without waiting, and
 *  record in DIR/.lock this process's PID, host name, start time and
 *  command line (argv[0..argc-1]).  CL_DIRLOCK_OK with *out held;
 *  CL_DIRLOCK_REFUSED when another process holds it ("DIR is being written
 *  by PID 1234 on HOST (conlab run ...) since TIME") or `dir` is not a
 *  directory; CL_DIRLOCK_ERROR (e.g. DIR not writable).  On failure err
 *  says why and *out is not held.  Call from one thread at a time. */
int cl_dirlock_acquire(const char *dir, int argc, char **argv,
                       struct cl_dirlock *out, char *err, size_t errlen);

/** Give the lock up and empty DIR/.lock (the file stays).  Accepts a lock
 *  not held (zeroed, or already released). */
void cl_dirlock_release(struct cl_dirlock *l);

/** Whether another open file holds the lock of `dir`, without taking it:
 *  1 with who = "PID 1234 on HOST (COMMAND) since TIME" (or what of it
 *  DIR/.lock says), 0 when nobody does (or there is no DIR/.lock), -1 when
 *  it cannot be told (who says why). */
int cl_dirlock_holder(const char *dir, char *who, size_t wholen);

/** Claim `dir` as the output directory of a new run: create it (and its
 *  parents) when missing, and take its lock into *out.  A directory that
 *  holds anything but .lock is refused (CL_DIRLOCK_REFUSED, nothing
 *  touched) unless `force`: then its content is moved aside, by renaming
 *  the directory to DIR.old-YYYYmmdd-HHMMSS[-k] (never deleting), and a
 *  new empty DIR is made; moved_to gets that path ("" when nothing was
 *  moved).  A directory another process is writing is refused even with
 *  `force`.  Emptiness is checked again once the lock is held, so two
 *  claims at once never both get the directory.  Returns as
 *  cl_dirlock_acquire, with err saying why on failure. */
int cl_outdir_prepare(const char *dir, int force, int argc, char **argv,
                      struct cl_dirlock *out, char *moved_to, size_t movedlen,
                      char *err, size_t errlen);

#endif

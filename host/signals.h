/* signals.h — SIGINT, SIGTERM and SIGHUP while cells run.  The first one
 * kills the running cell's process group at once and is counted, so the
 * run stops after that cell; a second one ends the host with status 130.
 * Host-private. */
#ifndef CONLAB_HOST_SIGNALS_H
#define CONLAB_HOST_SIGNALS_H

#include <signal.h>
#include <sys/types.h>

/** How many of those signals arrived since the process started.  Written
 *  only by the handler; read it, or hand its address to cl_child_wait. */
extern volatile sig_atomic_t cl_interrupts;

/** Catch SIGINT, SIGTERM and SIGHUP as described above. */
void cl_signals_catch(void);

/** SIGINT, SIGTERM and SIGHUP back to their default action. */
void cl_signals_release(void);

/** The process group the first signal kills (a running cell); 0: none. */
void cl_signals_watch(pid_t pgrp);

/** In a cell's freshly forked child: SIGINT, SIGTERM and SIGHUP at their
 *  default, SIGPIPE ignored (network workloads write to sockets the peer
 *  may have closed). */
void cl_signals_in_child(void);

#endif

/* signals.c — see signals.h. */
#include "signals.h"

#include <string.h>
#include <unistd.h>

#include "cli.h"

volatile sig_atomic_t cl_interrupts;
static volatile pid_t g_child; /* process group of the running cell */

static void on_signal(int sig)
{
    (void)sig;
    cl_interrupts++;
    pid_t c = g_child;
    if (c > 0)
        kill(-c, SIGKILL);
    if (cl_interrupts >= 2) {
        static const char msg[] = "\nconlab: interrupted twice: stopping now\n";
        (void)!write(2, msg, sizeof msg - 1);
        _exit(CL_EXIT_INTERRUPTED);
    }
}

/* SIGINT, SIGTERM and SIGHUP to `handler`. */
static void set_all(void (*handler)(int))
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
}

void cl_signals_catch(void)
{
    set_all(on_signal);
}

void cl_signals_release(void)
{
    set_all(SIG_DFL);
}

void cl_signals_watch(pid_t pgrp)
{
    g_child = pgrp;
}

void cl_signals_in_child(void)
{
    set_all(SIG_DFL);
    signal(SIGPIPE, SIG_IGN);
}

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * daemon.h - run --daemon and --pid-file, as nfcapd -D -P does: the
 * caller of a daemon waits until it is ready (the table open, the dump
 * writable) or gone, so a daemon that cannot start fails in its caller,
 * with its error on the caller's stderr and exit status 1.
 */
#ifndef __FLOWMON_DAEMON_H
#define __FLOWMON_DAEMON_H

#include <stdbool.h>
#include "opts.h"

/*
 * Before anything is opened. Refuses a pid file that names a running
 * tc_flowmon_user. --daemon: makes the paths absolute (the daemon runs in
 * /), forks; the caller gets the exit status to return (0 once the daemon
 * is ready, its status if it exited first), the daemon -1. Without
 * --daemon: -1 to go on, or 1 after an error.
 */
int daemon_start(struct flowmon_opts *o);
/* Ready: write the pid file, let the caller go, leave its terminal. 0 or -errno. */
int daemon_ready(const struct flowmon_opts *o);
/* Whether pid runs this program: not gone, not a zombie, not another program reusing it. */
bool daemon_runs_us(long pid);
/* Exit: remove the pid file written by this process. */
void daemon_exit(void);

#endif /* __FLOWMON_DAEMON_H */

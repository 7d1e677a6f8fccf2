/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * cmds.h - the commands of tc_flowmon_user, one function each, dispatched
 * from main.c's command table: run and replay (run.c), load, unload and
 * purge (manage.c), status (status.c). Each returns the exit status.
 */
#ifndef __FLOWMON_CMDS_H
#define __FLOWMON_CMDS_H

#include <stddef.h>
#include "loader.h"
#include "opts.h"

int cmd_run(const struct flowmon_opts *o);
int cmd_replay(const struct flowmon_opts *o);
int cmd_load(const struct flowmon_opts *o);
int cmd_unload(const struct flowmon_opts *o);
int cmd_purge(const struct flowmon_opts *o);
int cmd_status(const struct flowmon_opts *o);

/* Loader settings from the command line (no pinning, live clock). */
void cmd_loader_opts(const struct flowmon_opts *o, struct loader_opts *lo);
/* The pin folder and the table's name of -f PATH / -p NAME. */
void cmd_pin_dir(const struct flowmon_opts *o, char *dir, size_t len);
const char *cmd_table_name(const struct flowmon_opts *o);
/* The pinned table (checked) and its counters and ring buffer (-1 when absent). 0 or -errno. */
int cmd_open_pinned(const struct flowmon_opts *o, int *flows, int *counters, int *events);

#endif /* __FLOWMON_CMDS_H */

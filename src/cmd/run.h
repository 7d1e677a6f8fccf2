/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * run.h - the modes of tc_flowmon_user: live scanning of the pinned table,
 * a self-contained run on interfaces (-I), offline replay (-r), and the
 * attach/detach/status commands the management script uses.
 */
#ifndef __FLOWMON_RUN_H
#define __FLOWMON_RUN_H

#include "loader.h"
#include "opts.h"

/* Loader settings from the command line (no pinning, live clock). */
void run_loader_opts(const struct flowmon_opts *o, struct loader_opts *lo);

int run_live(const struct flowmon_opts *o);
int run_offline(const struct flowmon_opts *o);
int run_attach(const struct flowmon_opts *o);
int run_detach(const struct flowmon_opts *o);
int run_status(const struct flowmon_opts *o);
/* Occupancy of the pinned table and the kernel's counters. */
int run_table_status(const struct flowmon_opts *o);

#endif /* __FLOWMON_RUN_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * run.h - the modes of tc_flowmon_user: live scanning of the pinned table,
 * a self-contained run on interfaces (-I), offline replay (-r), and the
 * attach/detach/status commands the management script uses.
 */
#ifndef __FLOWMON_RUN_H
#define __FLOWMON_RUN_H

#include <stdbool.h>
#include <time.h>
#include "flowtable.h"
#include "loader.h"
#include "opts.h"

struct sink;

/* Loader settings from the command line (no pinning, live clock). */
void run_loader_opts(const struct flowmon_opts *o, struct loader_opts *lo);

int run_live(const struct flowmon_opts *o);
int run_offline(const struct flowmon_opts *o);
int run_attach(const struct flowmon_opts *o);
int run_detach(const struct flowmon_opts *o);
int run_status(const struct flowmon_opts *o);
/* What the live and offline modes share (run.c). */
void run_install_signals(void);
bool run_should_stop(void);
void run_ft_config(const struct flowmon_opts *o, struct ft_config *cfg, bool offline);
void run_set_meter(const struct flowmon_opts *o, const uint64_t cnt[CNT_MAX], struct sink *s);
void run_log_counters(const uint64_t cnt[CNT_MAX], time_t wall);

/* Occupancy of the pinned table and the kernel's counters. */
int run_table_status(const struct flowmon_opts *o);

#endif /* __FLOWMON_RUN_H */

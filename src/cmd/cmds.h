/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * cmds.h - the commands of tc_flowmon_user, one function each, dispatched
 * from main.c's command table: run (run.c), replay (offline.c), load, unload and
 * purge (manage.c), status (status.c), stop (daemon.c). Each returns the exit status.
 */
#ifndef __FLOWMON_CMDS_H
#define __FLOWMON_CMDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "flowmon.h"
#include "flowmon/plugin.h"
#include "loader.h"
#include "opts.h"

int cmd_run(const struct flowmon_opts *o);
int cmd_replay(const struct flowmon_opts *o);
int cmd_load(const struct flowmon_opts *o);
int cmd_unload(const struct flowmon_opts *o);
int cmd_purge(const struct flowmon_opts *o);
int cmd_status(const struct flowmon_opts *o);
int cmd_top(const struct flowmon_opts *o);
int cmd_plugin(const struct flowmon_opts *o);
int cmd_stop(const struct flowmon_opts *o);

/* --plugin FILE...: load each into the meter of h; the names of those loaded. 0 or -errno. */
struct plugin_host;
struct plugin_names {
	int n;
	char name[OPTS_MAX_PLUGINS][FLOWMON_PLUGIN_NAME_LEN];
};
int cmd_load_plugins(const struct flowmon_opts *o, const struct plugin_host *h,
		     struct plugin_names *loaded);
/* Unload them again (run on a pinned meter: its plugins are for the run). */
void cmd_unload_plugins(const struct plugin_host *h, const struct plugin_names *loaded);

/* Loader settings from the command line (no pinning, live clock). */
void cmd_loader_opts(const struct flowmon_opts *o, struct loader_opts *lo);
/* What to attach and how, from -I, -D, --hook, --xdp-mode, --tc-mech (not pinned). */
struct ifaces_cfg;
void cmd_ifaces_cfg(const struct flowmon_opts *o, const struct flowmon_bpf *fm,
		    struct ifaces_cfg *c);
/* The pin folder and the table's name of -f PATH / -p NAME. */
void cmd_pin_dir(const struct flowmon_opts *o, char *dir, size_t len);
const char *cmd_table_name(const struct flowmon_opts *o);
/*
 * The programs a command of the -p table touches (ifaces_keep_table): those
 * that use the table; when it is not pinned, for the default table the
 * orphans (programs that use none of the tables pinned beside it), for
 * another none.
 */
struct table_sel;
void cmd_table_sel(const struct flowmon_opts *o, struct table_sel *sel);
/* The pinned table (checked) and its counters and ring buffer (-1 when absent). 0 or -errno. */
int cmd_open_pinned(const struct flowmon_opts *o, int *flows, int *counters, int *events);

/* What run (run.c) and replay (offline.c) share. */
struct ft_config;
struct sink;
struct sink_cfg;

/* The maps and the sweeper of a loaded (or adopted) table. */
struct table_fds {
	int flows;
	int counters;	/* -1 when absent */
	int events;	/* -1 when absent */
	int sweep;	/* flowmon_sweep, -1 when not loaded */
	int plugin_reg;	/* flowmon_plugin_reg: the loaded plugins, -1 when absent */
};

void run_install_signals(void);
bool run_should_stop(void);
void run_ft_config(const struct flowmon_opts *o, struct ft_config *cfg, bool offline);
void run_sink_cfg(const struct flowmon_opts *o, struct sink_cfg *sc);
/* The record format: --format, else brief for -o - on a terminal, else text. */
const char *run_format_name(const struct flowmon_opts *o);
void run_set_meter(const struct flowmon_opts *o, const uint64_t cnt[CNT_MAX], struct sink *s);
void run_log_counters(const uint64_t cnt[CNT_MAX], time_t wall);
/* The last line of a run: records written to the dump, and lost if any. */
void run_log_stopped(const struct sink *s);
/* The plugins' results with every record the collector writes (reg_fd: the registry). */
struct collector;
void run_plugins_attach(struct collector *c, int reg_fd);
void run_plugins_detach(struct collector *c);

#endif /* __FLOWMON_CMDS_H */

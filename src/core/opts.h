/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * opts.h - command line of tc_flowmon_user: "tc_flowmon_user [COMMAND]
 * [OPTIONS]". One table holds every option with the commands that take it
 * and its help line; each command's help is generated from it. Without a
 * command the seed's single-command line works unchanged (run; -r is
 * replay; --attach, --detach and --status are load, unload and status).
 * Pure: parsing fills a struct and reports errors as one line; nothing is
 * opened here.
 */
#ifndef __FLOWMON_OPTS_H
#define __FLOWMON_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPTS_MAX_COLLECTORS 8
#define OPTS_MAX_PCAPS 256
#define OPTS_MAX_PLUGINS 8

enum flowmon_cmd {
	CMD_RUN = 0,	/* scan the pinned table (or -I interfaces), write flows */
	CMD_REPLAY,	/* replay FILE (-r): a pcap through the program */
	CMD_LOAD,	/* load, pin, attach on -I interfaces, exit */
	CMD_UNLOAD,	/* remove our filters from -I interfaces (or --all), exit */
	CMD_PURGE,	/* unload the table's hooks, remove the pinned maps, exit */
	CMD_STATUS,	/* attachments, occupancy, counters, exit */
	CMD_TOP,	/* live full-screen view of the open flows */
	CMD_PLUGIN,	/* plugin load FILE | unload NAME | list: BPF feature plugins */
	CMD_STOP,	/* stop the daemon of --pid-file */
	CMD_HELP,	/* help [COMMAND] */
	CMD_VERSION,	/* --version */
	CMD_MAX,
};

/* The seed's names of the commands (--attach, --detach, --status). */
#define CMD_ATTACH CMD_LOAD
#define CMD_DETACH CMD_UNLOAD

enum flowmon_hooks {
	HOOK_INGRESS = 1,
	HOOK_EGRESS = 2,
	HOOK_BOTH = 3,
};

struct flowmon_opts {
	enum flowmon_cmd cmd;
	const char *cmd_name;		/* as the user named it, for messages: "load", "--attach" */
	char map_path[4096];		/* -f PATH, or -p NAME under the pin folder */
	unsigned int interval;		/* -i SEC, 0: print current flows once and exit */
	const char *dump_dir;		/* -d DIR (default ".") */
	const char *log_file;		/* -l FILE (default stdout) */
	int verbose;			/* -q: 0, default 1, -v: 2 (-vv: 3, libbpf debug) */
	const char *format;		/* --format NAME (default "text"); -j: "json" */
	bool format_set;		/* --format or -j given (else run -o - on a terminal: brief) */
	bool json;			/* the format is "json" */
	const char *out_file;		/* -o FILE, "-" = stdout; NULL: dated dump files */
	const char *pcap;		/* replay FILE, -r FILE: the first of pcaps */
	const char *pcaps[OPTS_MAX_PCAPS];	/* replay FILE...: each in turn */
	int n_pcaps;
	unsigned int idle_sec;		/* --idle-timeout (15) */
	unsigned int active_sec;	/* --active-timeout (1800) */
	const char *collectors[OPTS_MAX_COLLECTORS];	/* -x HOST:PORT or tcp://HOST:PORT */
	int n_collectors;
	uint32_t odid;			/* --odid (IPFIX observation domain, default 0) */
	bool uniflow;			/* --uniflow: one IPFIX record per direction */
	uint32_t pen;			/* --pen: PEN of our IPFIX elements, 0: the default */
	const char *metrics;		/* --metrics [ADDR:]PORT: Prometheus endpoint */
	bool flows;			/* status --flows: the open flows too */
	const char *ifaces;		/* -I IF[,IF...]: attach there (run: for the run only) */
	int hooks;			/* -D ingress|egress|both (default both) */
	bool all;			/* unload --all: everywhere our filter is */
	uint32_t max_flows;		/* --max-flows N (default 65536) */
	const char *obj_path;		/* --obj FILE: load this object, not the built-in one */
	const char *help_cmd;		/* help COMMAND */
	bool kernel_engine;		/* --engine kernel: replay through BPF_PROG_TEST_RUN */
	int features;			/* --features: FLOWMON_F_*, -1: all (the default) */
	bool precise_clock;		/* --precise-clock: read the clock per packet */
	bool hooks_given;		/* -D was on the command line */
	bool xdp;			/* --hook xdp: ingress at the XDP hook */
	int xdp_mode;			/* --xdp-mode: enum xdp_mode (xdphook.h), 0 auto */
	int tc_mech;			/* --tc-mech: enum tc_mech (ifaces.h), 0 auto */
	const char *plugins[OPTS_MAX_PLUGINS];	/* --plugin FILE: BPF feature plugins */
	int n_plugins;
	uint32_t plugin_entries;	/* --plugin-entries N: results a plugin holds (0: its own) */
	const char *plugin_action;	/* plugin ACTION: load, unload, list */
	const char *plugin_arg;		/* its FILE or NAME */
	bool daemon;			/* run --daemon: in the background once ready */
	const char *pid_file;		/* run, stop --pid-file FILE */
	unsigned int stop_timeout;	/* stop --timeout SEC (10) */
	bool check;			/* --check: validate the command line, do nothing */
};

/*
 * Defaults, then argv. Returns 0, 1 if help was printed on stdout (exit 0),
 * -1 on error (err set to one line).
 */
int opts_parse(int argc, char **argv, struct flowmon_opts *o, char *err, size_t errlen);
/* Every command and every option, each option on one line. */
void opts_usage(FILE *f, const char *prog);
/* One command's usage, generated from the option table. -1 if cmd is unknown. */
int opts_cmd_usage(FILE *f, const char *prog, const char *cmd);
/* Name of a command ("run", "load", ...), NULL if out of range. */
const char *opts_cmd_str(enum flowmon_cmd cmd);
/* FLOWMON_F_* bits as --features names them ("iat,tcp"), or "none". */
const char *opts_features_str(uint8_t f, char *buf, size_t len);

#endif /* __FLOWMON_OPTS_H */

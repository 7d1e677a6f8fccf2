/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * opts.h - command line of tc_flowmon_user. Pure: parsing fills a struct
 * and reports errors as one line; nothing is opened here.
 */
#ifndef __FLOWMON_OPTS_H
#define __FLOWMON_OPTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OPTS_MAX_COLLECTORS 8

enum flowmon_cmd {
	CMD_RUN = 0,	/* scan the pinned table (or -r file) and write flows */
	CMD_ATTACH,	/* --attach: load, pin, attach on -I interfaces, exit */
	CMD_DETACH,	/* --detach: remove our filters from -I interfaces, exit */
	CMD_STATUS,	/* --status: attachments, occupancy, counters, exit */
};

enum flowmon_hooks {
	HOOK_INGRESS = 1,
	HOOK_EGRESS = 2,
	HOOK_BOTH = 3,
};

struct flowmon_opts {
	enum flowmon_cmd cmd;
	char map_path[4096];		/* -f PATH, or -p NAME under the pin folder */
	unsigned int interval;		/* -i SEC, 0: print current flows once and exit */
	const char *dump_dir;		/* -d DIR (default ".") */
	const char *log_file;		/* -l FILE (default stdout) */
	int verbose;			/* -q: 0, default 1, -v: 2 (-vv: 3, libbpf debug) */
	bool json;			/* -j */
	const char *out_file;		/* -o FILE, "-" = stdout; NULL: dated dump files */
	const char *pcap;		/* -r FILE: offline mode */
	unsigned int idle_sec;		/* --idle-timeout (15) */
	unsigned int active_sec;	/* --active-timeout (1800) */
	const char *collectors[OPTS_MAX_COLLECTORS];	/* -x HOST:PORT or tcp://HOST:PORT */
	int n_collectors;
	uint32_t odid;			/* --odid (IPFIX observation domain, default 0) */
	bool uniflow;			/* --uniflow: one IPFIX record per direction */
	const char *ifaces;		/* -I IF[,IF...]: attach there (run: for the run only) */
	int hooks;			/* -D ingress|egress|both (default both) */
	uint32_t max_flows;		/* --max-flows N (default 65536) */
	const char *obj_path;		/* --obj FILE: tc_flowmon_kern.o to load */
	bool kernel_engine;		/* --engine kernel: -r through BPF_PROG_TEST_RUN */
	int features;			/* --features: FLOWMON_F_*, -1: all (the default) */
	bool precise_clock;		/* --precise-clock: read the clock per packet */
};

/* Defaults, then argv. Returns 0, 1 if help was printed (exit 0), -1 on error (err set). */
int opts_parse(int argc, char **argv, struct flowmon_opts *o, char *err, size_t errlen);
void opts_usage(FILE *f, const char *prog);

#endif /* __FLOWMON_OPTS_H */

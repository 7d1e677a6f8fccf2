/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * selfstats.h - what the daemon says about itself, in the Prometheus text
 * exposition format (version 0.0.4): every kernel counter, the table's
 * occupancy and capacity, records read and written per sink, each IPFIX
 * collector's records sent and dropped and its send errors, scan
 * durations. run serves it on --metrics and writes it to
 * /run/bpfflowmon/TABLE.prom every period, where status reads it back
 * (selfstats_parse). Pure C: no sockets, no libbpf.
 */
#ifndef __FLOWMON_SELFSTATS_H
#define __FLOWMON_SELFSTATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flowmon.h"

#define SELFSTATS_MAX_COLLECTORS 8
#define SELFSTATS_RUN_DIR "/run/bpfflowmon"

struct selfstats_collector {
	char name[256];		/* as given: "127.0.0.1:4739", "tcp://[::1]:4739" */
	bool up;
	uint64_t records_sent;
	uint64_t records_dropped;	/* not sent: collector down, send error, queue full */
	uint64_t send_errors;
	uint64_t messages_sent;
	uint64_t bytes_sent;
	uint64_t connects;
};

struct selfstats {
	const char *version;
	int pid;
	double start_time;		/* Unix epoch seconds */
	char table[256];		/* the flow table's path or name */
	uint64_t entries;		/* table entries at the last scan */
	uint64_t capacity;
	bool have_counters;
	uint64_t cnt[CNT_MAX];		/* kernel counters, summed over CPUs */
	uint64_t records_read;		/* from the kernel's event ring */
	uint64_t records_written;	/* by the local sink */
	uint64_t write_errors;
	uint64_t records_held;		/* in memory while the dump cannot be written */
	uint64_t records_lost;		/* beyond what may be held */
	bool dump_failing;		/* the dump cannot be written now */
	char sink[16];			/* the local sink: "file" or "stdout" */
	uint64_t entries_purged;
	uint64_t scans;
	double scan_seconds_sum;
	double last_scan_seconds;
	int n_collectors;
	struct selfstats_collector col[SELFSTATS_MAX_COLLECTORS];
};

/* The exposition, one metric family after the other. 0, -1 on a write error. */
int selfstats_prometheus(const struct selfstats *s, FILE *out);
/*
 * Read an exposition written by selfstats_prometheus() back into s (the
 * families it knows; others are skipped). 0, -1 when nothing was ours.
 */
int selfstats_parse(FILE *in, struct selfstats *s);

#endif /* __FLOWMON_SELFSTATS_H */

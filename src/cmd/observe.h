/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * observe.h - run's reports about itself: the start line, sd_notify
 * (readiness after the first scan, reloads on SIGHUP, stopping), the
 * self-metrics (--metrics and /run/bpfflowmon/TABLE.prom for status), the
 * IPFIX records lost (sink_report).
 */
#ifndef __FLOWMON_OBSERVE_H
#define __FLOWMON_OBSERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "opts.h"

struct collector;
struct httpd;
struct sink;

struct observer {
	const struct flowmon_opts *o;
	struct httpd *http;		/* --metrics, NULL: off */
	char stats_path[4200];
	bool stats_file;		/* write stats_path (a pinned table's run) */
	bool stats_written;
	bool stats_warned;
	bool ready;			/* READY=1 sent */
	double start;
	uint64_t scans;
	double scan_sum;
};

/* The metrics server if asked for. 0, -1 after one error line. */
int observe_start(struct observer *ob, const struct flowmon_opts *o);
/* The start line (and where our filter is, for a pinned table). */
void observe_started(const struct observer *ob, const struct collector *c,
		     const struct sink *s);
/* After each scan: losses to the log, metrics, the stats file, READY=1 the first time. */
void observe_period(struct observer *ob, const struct collector *c, struct sink *s);
void observe_reloading(struct observer *ob);
void observe_reloaded(struct observer *ob);
/* STOPPING=1, last metrics, the stats file removed, the server stopped. */
void observe_stop(struct observer *ob, const struct collector *c, struct sink *s);
/* The stats file of the table of o ($FLOWMON_RUN_DIR, else /run/bpfflowmon). */
int observe_stats_path(const struct flowmon_opts *o, char *path, size_t len);

#endif /* __FLOWMON_OBSERVE_H */

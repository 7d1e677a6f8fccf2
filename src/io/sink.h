/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* sink.h - every record goes to the local writer and to the IPFIX collectors. */
#ifndef __FLOWMON_SINK_H
#define __FLOWMON_SINK_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include "writer.h"

struct ipfix_exporter;

/* Where records go: the local writer's file and format, the IPFIX collectors. */
struct sink_cfg {
	const char *dump_dir;		/* dated dump files under it, unless out_file */
	const char *out_file;		/* one file, "-" for stdout */
	const struct record_format *fmt;
	const char *const *collectors;	/* IPFIX, n_collectors of them */
	int n_collectors;
	uint32_t odid;
	uint32_t pen;			/* PEN of our own IPFIX elements, 0: the default */
	bool uniflow;
};

#define SINK_MAX_COLLECTORS 8

struct sink {
	struct writer w;
	struct ipfix_exporter *x;	/* NULL without -x */
	/* what sink_report() last said, per collector: records not sent, send errors */
	uint64_t told_dropped[SINK_MAX_COLLECTORS];
	uint64_t told_errors[SINK_MAX_COLLECTORS];
};

/* An interface's name by index, cached (if_indextoname is a syscall); NULL if gone. */
const char *sink_ifname(uint32_t ifindex, char *buf, size_t len);
int sink_open(struct sink *s, const struct sink_cfg *cfg, time_t now);
int sink_emit(void *ctx, struct flow_record *r);
void sink_flush(struct sink *s);
/* Kernel counters (CNT_*) and timeouts for the IPFIX options record. */
void sink_set_meter(struct sink *s, const uint64_t *cnt, size_t n, unsigned int idle_s,
		    unsigned int active_s);
/*
 * Log what the IPFIX collectors lost since the last call: one error line
 * per collector whose records were dropped or whose sends failed. final:
 * one line per collector with its totals (at exit).
 */
void sink_report(struct sink *s, bool final);
void sink_rotate(struct sink *s, time_t now);
void sink_maybe_rotate(struct sink *s, time_t now);
void sink_close(struct sink *s);

#endif /* __FLOWMON_SINK_H */

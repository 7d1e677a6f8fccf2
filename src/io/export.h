/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * export.h - IPFIX export of flow records to one or more collectors over
 * UDP (default) or TCP ("tcp://host:port"). Never blocks the caller: UDP
 * send errors and records that arrive while a TCP collector is down are
 * counted as dropped; TCP reconnects in the background with exponential
 * backoff (1 s .. 60 s). Messages are built by ipfix.c.
 */
#ifndef __FLOWMON_EXPORT_H
#define __FLOWMON_EXPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "flowrec.h"
#include "ipfix.h"

#define IPFIX_TEMPLATE_INTERVAL_S	30	/* UDP template refresh */
#define IPFIX_STATS_INTERVAL_S		300	/* statistics record (also at start and close) */
#define IPFIX_FLUSH_AGE_MS		1000	/* an open message is sent after this long */
#define IPFIX_BACKOFF_MIN_MS		1000
#define IPFIX_BACKOFF_MAX_MS		60000
#define IPFIX_TCP_QUEUE			(256 * 1024)	/* bytes a slow TCP collector may lag */
#define IPFIX_CLOSE_WAIT_MS		1000	/* at most this long to drain TCP at close */

struct ipfix_exporter;

/* Counters of one collector. */
struct ipfix_collector_stats {
	const char *name;		/* as given: "127.0.0.1:4739", "tcp://[::1]:4739" */
	bool tcp;
	bool up;			/* UDP: socket open; TCP: connected */
	uint64_t records_sent;		/* data records handed to the kernel (TCP: written) */
	uint64_t records_dropped;	/* collector down, send error, TCP queue full */
	uint64_t messages_sent;
	uint64_t octets_sent;
	uint64_t send_errors;		/* failed send()/connect() calls */
	uint64_t connects;		/* TCP connections established */
};

/*
 * Collector specs: "HOST:PORT", "[V6ADDR]:PORT", "udp://..." or
 * "tcp://..."; HOST alone means port 4739. Names are resolved here, once.
 * odid: observation domain id; uniflow: one record per direction (else
 * RFC 5103 biflows). Returns NULL with "failed to <verb> <object>: <reason>"
 * in err (no output of its own).
 */
struct ipfix_exporter *ipfix_exporter_new(const char *const *collectors, int n, uint32_t odid,
					  bool uniflow, char *err, size_t errlen);

/* Tuning (call before the first record): message size cap. */
int ipfix_exporter_set_max_msg(struct ipfix_exporter *e, size_t max_msg);

/*
 * Queue one record for every collector. now_ms: a monotonic clock in ms
 * (ipfix_now_ms()), used for template refresh, flush age and reconnects.
 * Returns the number of collectors that took the record (0 if all are down).
 */
int ipfix_exporter_add(struct ipfix_exporter *e, const struct flow_record *r, uint64_t now_ms);

/* Enterprise number of our own elements (default IPFIX_PEN_FLOWMON); before the first record. */
void ipfix_exporter_set_pen(struct ipfix_exporter *e, uint32_t pen);

/* Latest meter counters for the options record (kernel counters summed over CPUs). */
void ipfix_exporter_set_stats(struct ipfix_exporter *e, const struct ipfix_meter_stats *ms);

/*
 * Send what is pending, progress TCP (re)connects, refresh templates when
 * due. Call it after each scan and at least every few seconds. Returns the
 * number of collectors that are down (0: all up).
 */
int ipfix_exporter_flush(struct ipfix_exporter *e, uint64_t now_ms);

/*
 * Final statistics record, flush, drain TCP (at most IPFIX_CLOSE_WAIT_MS),
 * close the sockets; what could not be sent counts as dropped. The
 * counters stay readable until ipfix_exporter_free(), which closes first
 * if needed. NULL ok.
 */
void ipfix_exporter_close(struct ipfix_exporter *e);
void ipfix_exporter_free(struct ipfix_exporter *e);

int ipfix_exporter_count(const struct ipfix_exporter *e);
/* Counters of collector i (0 <= i < count); -EINVAL if out of range. */
int ipfix_exporter_stats(const struct ipfix_exporter *e, int i, struct ipfix_collector_stats *out);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t ipfix_now_ms(void);

#endif /* __FLOWMON_EXPORT_H */

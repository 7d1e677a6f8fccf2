/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * collect.h - the userland side of the flow table. Each scan runs the
 * kernel's sweeper (flowmon_sweep, src/datapath/sweep.h), which ends the
 * connections that are over inside the kernel and writes them to the event
 * ring with the records the packets ended themselves; the collector turns
 * each event into a merged record and hands it to an emit callback. It
 * holds no copy of the table.
 */
#ifndef __FLOWMON_COLLECT_H
#define __FLOWMON_COLLECT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include "flowmon.h"
#include "flowrec.h"
#include "flowtable.h"

typedef int (*emit_fn)(void *ctx, struct flow_record *r);

struct ring_buffer;

struct collector {
	int flows_fd;
	int counters_fd;	/* -1 when absent */
	int events_fd;		/* -1 when absent */
	int sweep_fd;		/* flowmon_sweep; -1: no sweeps (status) */
	uint32_t max_entries;
	struct ring_buffer *rb;
	struct ft_config cfg;
	emit_fn emit;
	void *emit_ctx;
	/* before emit: the plugins' results of the record (consume: take them out) */
	void (*attach)(void *ctx, struct flow_record *r, bool consume);
	void *attach_ctx;
	bool printing;		/* a listing (SWEEP_PRINT): nothing ends */
	int64_t wall_offset_ns;	/* kernel clock -> wall clock */
	uint64_t now;		/* time of the current scan (kernel clock) */
	/* per-scan and total statistics */
	uint64_t last_entries;	/* table entries the last scan visited */
	uint64_t last_ended;	/* connections it ended */
	uint64_t last_purged;	/* entries it deleted */
	uint64_t last_sweep_ns;	/* how long its sweeps took */
	uint64_t written;
	uint64_t purged;
	uint64_t events;	/* records read from the ring */
	uint64_t emit_errors;
};

/* A map of a flow table's shape: hash, flow_key, some profile's entries. */
struct bpf_map_info;
bool collector_is_flow_table(const struct bpf_map_info *info);
/*
 * Check that fd is a flow table of our shape; prints one line naming 'what'
 * and returns -EINVAL when it is not. *max_entries gets its capacity.
 */
int collector_check_map(int fd, const char *what, uint32_t *max_entries);

int collector_init(struct collector *c, int flows_fd, int counters_fd, int events_fd,
		   int sweep_fd, const struct ft_config *cfg, emit_fn emit, void *emit_ctx);
void collector_free(struct collector *c);

/* Entries in the table now (a walk over its keys), or -errno. */
ssize_t collector_count(struct collector *c);
/* One period: records the kernel ended, then a sweep of what is over. */
int collector_scan(struct collector *c, uint64_t now);
/* Only the records the kernel ended (the event ring). */
int collector_drain_events(struct collector *c, uint64_t now);
/* Write and delete every connection (SIGTERM, end of file): FLOW_END_FORCED. */
int collector_flush(struct collector *c, uint64_t now);
/* Write every current connection without deleting anything (-i 0). */
int collector_print(struct collector *c, uint64_t now);
/* Delete every entry of a hash map (the fragment table between replays). */
void collector_clear_map(int fd);
/* Sum of the per-CPU kernel counters (zeros when the map is absent). */
int collector_counters(const struct collector *c, uint64_t out[CNT_MAX]);

#endif /* __FLOWMON_COLLECT_H */

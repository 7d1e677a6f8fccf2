/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * collect.h - the userland side of the flow table: read it (batched, with
 * BPF_F_LOCK so every entry is a consistent copy), end connections with an
 * atomic lookup-and-delete per key, consume the records the kernel ended
 * itself, and hand merged records to an emit callback.
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
struct taken_slot;

struct collector {
	int flows_fd;
	int counters_fd;	/* -1 when absent */
	int events_fd;		/* -1 when absent */
	uint32_t max_entries;
	struct ring_buffer *rb;
	struct ft_config cfg;
	struct ft_pending *pending;
	emit_fn emit;
	void *emit_ctx;
	int64_t wall_offset_ns;	/* kernel clock -> wall clock */
	uint64_t now;		/* time of the current scan (kernel clock) */
	struct flow_key *keys;
	struct flow_metrics *vals;
	struct ft_end *ends;
	struct taken_slot *taken;	/* recently deleted halves (see collect.c) */
	uint32_t gen;			/* scan generation */
	bool batch_ok;		/* the kernel accepts BPF_MAP_LOOKUP_BATCH here */
	/* per-scan and total statistics */
	uint64_t last_entries;	/* table entries read by the last scan */
	uint64_t last_ended;	/* connections it ended */
	uint64_t last_purged;	/* entries it deleted */
	uint64_t written;
	uint64_t purged;
	uint64_t events;
	uint64_t emit_errors;
	uint64_t stale_events;	/* kernel records of entries already written */
};

/*
 * Check that fd is a flow table of our shape; prints one line naming 'what'
 * and returns -EINVAL when it is not. *max_entries gets its capacity.
 */
int collector_check_map(int fd, const char *what, uint32_t *max_entries);

int collector_init(struct collector *c, int flows_fd, int counters_fd, int events_fd,
		   const struct ft_config *cfg, emit_fn emit, void *emit_ctx);
void collector_free(struct collector *c);

/* Read every entry into c->keys/c->vals. Returns the count or -errno. */
ssize_t collector_read(struct collector *c);
/* One period: records ended by the kernel, then end what flowtable_plan says. */
int collector_scan(struct collector *c, uint64_t now);
/* Records ended by the kernel (ring buffer), paired with their reverse half. */
int collector_drain_events(struct collector *c, uint64_t now);
/* Write and delete every entry with 'reason' (SIGTERM, end of file). */
int collector_flush(struct collector *c, uint64_t now, uint8_t reason);
/* Write every current flow without deleting anything (-i 0). */
int collector_print(struct collector *c, uint64_t now);
/* Sum of the per-CPU kernel counters (zeros when the map is absent). */
int collector_counters(const struct collector *c, uint64_t out[CNT_MAX]);

#endif /* __FLOWMON_COLLECT_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowread.h - the flows that are open now, read from a flow table without
 * disturbing the daemon that meters it: batched lookups of keys and values
 * (no sweeper, no event ring, nothing deleted), each value decoded with
 * flow_side_decode() and the two directions of a connection paired with
 * fm_reverse_key(). A value being updated may be read half-way (the table
 * has no spin lock): good for a view, not for records. status --flows and
 * top use it.
 */
#ifndef __FLOWMON_FLOWREAD_H
#define __FLOWMON_FLOWREAD_H

#include <stddef.h>
#include <stdint.h>
#include "flowrec.h"

struct flowread {
	int fd;
	uint32_t max_entries;
	uint32_t value_size;		/* entries: their profile's blocks (flowmon.h) */
	struct flow_key *keys;		/* max_entries of each */
	struct flow_metrics *vals;
	uint32_t *slot;			/* hash index of keys, 2 * max_entries rounded up */
	uint32_t nslot;
	struct flow_record *recs;	/* the connections of the last snapshot */
	size_t n;			/* connections */
	size_t entries;			/* table entries read */
};

/* fd: a flow table (collector_check_map() it first). 0 or -errno. */
int flowread_init(struct flowread *fr, int fd, uint32_t max_entries);
/*
 * Read the table and pair its entries into fr->recs (end_reason 0,
 * wall_offset_ns applied to times: clock_wall_offset_ns() of now.h for the
 * live meter). 0 or -errno.
 */
int flowread_snapshot(struct flowread *fr, int64_t wall_offset_ns);
void flowread_free(struct flowread *fr);

#endif /* __FLOWMON_FLOWREAD_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtable.h - from the kernel's events to records: which direction is
 * forward, and the timeouts userland hands the sweeper. Pure C (no libbpf).
 * When a connection ends is decided in the datapath (src/datapath/sweep.h
 * and meter.h), in the kernel or in the offline engine.
 */
#ifndef __FLOWMON_FLOWTABLE_H
#define __FLOWMON_FLOWTABLE_H

#include <stddef.h>
#include <stdint.h>
#include "flowrec.h"

struct ft_config {
	uint64_t idle_ns;	/* idle timeout (default 15 s) */
	uint64_t active_ns;	/* active timeout (default 1800 s) */
	uint64_t linger_ns;	/* after FIN both ways or RST (default 2 s) */
	bool lazy_idle;		/* offline mode: idle connections end only when their
				 * next packet arrives (kernel split) or at end of file */
	bool pressure;		/* the table is nearly full: idle ends anyway */
};

/* ICMP/ICMPv6 types whose reply pairs with them (src/datapath/pairing.h). */
uint16_t flow_icmp_peer_type(uint8_t proto, uint16_t type);

/*
 * Reverse key: addresses swapped; TCP/UDP/SCTP/... ports swapped; ICMP
 * type replaced by its peer type, code kept. rev may alias k.
 */
void flow_reverse_key(const struct flow_key *k, struct flow_key *rev);

/*
 * true when b should be the forward direction instead of a: b sent a SYN
 * without ACK and a did not, else b was seen first.
 */
bool flow_b_is_forward(const struct flow_side *a, const struct flow_side *b);

/* Build a merged record from one or two directions (orientation decided inside). */
void flow_record_build(struct flow_record *r, const struct flow_key *ka,
		       const struct flow_metrics *a, const struct flow_metrics *b,
		       uint8_t reason, int64_t wall_offset_ns);

/*
 * The record of an event as the ring holds it, read in place: size bytes at
 * data (8-byte aligned), a half record when shorter than a flow_event; 0
 * when it holds no packet.
 */
int flow_record_from_bytes(struct flow_record *r, const void *data, size_t size,
			   int64_t wall_offset_ns);

/* The record of one kernel event (both halves); 0 when it holds no packet. */
int flow_record_from_event(struct flow_record *r, const struct flow_event *ev,
			   int64_t wall_offset_ns);

#endif /* __FLOWMON_FLOWTABLE_H */

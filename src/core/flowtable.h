/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowtable.h - flow life cycle in userland: pairing of the two directions,
 * end rules, timeouts. Pure C (no libbpf): the collector feeds it what it
 * read from the kernel and performs the deletions it asks for.
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
	uint64_t pair_wait_ns;	/* how long a kernel-ended half waits for its reverse */
	bool lazy_idle;		/* offline mode: idle flows end only when their next
				 * packet arrives (kernel split) or at end of file */
	bool end_all;		/* flush: every connection ends (FLOW_END_FORCED) */
};

/* ICMP/ICMPv6 types whose reply pairs with them (original.md 4.6). */
uint16_t flow_icmp_peer_type(uint8_t proto, uint16_t type);

/*
 * Reverse key: addresses swapped; TCP/UDP/SCTP/... ports swapped; ICMP
 * type replaced by its peer type, code kept.
 */
void flow_reverse_key(const struct flow_key *k, struct flow_key *rev);

/*
 * true when b should be the forward direction instead of a: b sent a SYN
 * without ACK and a did not, else b was seen first.
 */
bool flow_b_is_forward(const struct flow_metrics *a, const struct flow_metrics *b);

/*
 * Decision for one connection seen at scan time 'now' (kernel clock):
 * 0 (keep), FLOW_END_EOF (FIN seen both ways, or RST, and quiet for
 * linger_ns), FLOW_END_IDLE (quiet for idle_ns; never when lazy_idle).
 * rev may be NULL. Active timeouts are not decided here: the kernel ends
 * those records itself when their next packet arrives.
 */
uint8_t flow_end_reason(const struct ft_config *cfg, const struct flow_key *key,
			const struct flow_metrics *fwd, const struct flow_metrics *rev,
			uint64_t now);

/* Build a merged record from one or two directions (orientation decided inside). */
void flow_record_build(struct flow_record *r, const struct flow_key *ka,
		       const struct flow_metrics *a, const struct flow_metrics *b,
		       uint8_t reason, int64_t wall_offset_ns);

/*
 * Scan planning. Given every entry read from the kernel table, list the
 * connections to end now: each ft_end names the key of one direction and,
 * when present in the input, the key of the other. Each connection appears
 * once. Returns the number of ends written to 'out' (at most max_out).
 */
struct ft_end {
	struct flow_key a;
	struct flow_key b;
	bool has_b;
	uint8_t reason;
};

size_t flowtable_plan(const struct ft_config *cfg, const struct flow_key *keys,
		      const struct flow_metrics *vals, size_t n, uint64_t now,
		      struct ft_end *out, size_t max_out);

/*
 * Kernel-ended halves (struct flow_event from the ring buffer) wait here
 * for their reverse half (same reason) for up to pair_wait_ns, then are
 * written alone.
 */
struct ft_pending;

struct ft_pending *ft_pending_new(void);
void ft_pending_free(struct ft_pending *p);
/* Add one event; if its reverse is pending, *out gets the merged record: returns 1. */
int ft_pending_add(struct ft_pending *p, const struct flow_event *ev, uint64_t now,
		   int64_t wall_offset_ns, struct flow_record *out);
/* Pop one half that waited longer than wait_ns (all of them if wait_ns == 0): returns 1. */
int ft_pending_expire(struct ft_pending *p, uint64_t now, uint64_t wait_ns,
		      int64_t wall_offset_ns, struct flow_record *out);
size_t ft_pending_count(const struct ft_pending *p);

#endif /* __FLOWMON_FLOWTABLE_H */

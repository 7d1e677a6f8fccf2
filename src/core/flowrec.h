/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowrec.h - a merged (bidirectional) flow record, as userland writes it.
 *
 * Pure data: no libbpf here, so that the flow table, the formatters and the
 * IPFIX encoder are unit-testable without root. The record model does not
 * follow the kernel's table layout: flowrec.c decodes a kernel entry into a
 * struct flow_side in one place, so that the datapath can lay out its entry
 * for speed without touching any format.
 */
#ifndef __FLOWMON_FLOWREC_H
#define __FLOWMON_FLOWREC_H

#include <stdbool.h>
#include <stdint.h>
#include "flowmon.h"

/*
 * One direction of a flow as the kernel metered it. Times are nanoseconds
 * of the kernel's clock (see flowmon.h); wall-clock = time + the record's
 * wall_offset_ns. Minima hold their ceiling (len_min ~0U, ttl_min 0xff,
 * win_min ~0U, iat_min ~0ULL) until a packet set them; wscale is
 * FLOW_WSCALE_NONE without the option.
 */
struct flow_side {
	uint64_t first_seen;
	uint64_t last_seen;
	uint64_t packets;
	uint64_t bytes;		/* L3: IP header + payload */
	uint64_t arrivals;	/* skbs (a GSO aggregate is one arrival) */
	uint64_t iat_min;	/* ns between arrivals */
	uint64_t iat_max;
	uint64_t iat_sumsq;	/* sum of squared gaps, us^2 */
	uint64_t retr_pkts;
	uint64_t retr_bytes;
	uint64_t ooo_pkts;
	uint64_t ooo_bytes;
	uint32_t size_hist[FLOWMON_SIZE_BUCKETS];
	uint32_t ttl_hist[FLOWMON_TTL_BUCKETS];
	uint32_t len_min;
	uint32_t len_max;
	uint32_t win_min;	/* raw TCP window field, non-SYN segments */
	uint32_t win_max;
	uint32_t syn_win;
	uint32_t flow_label;
	uint32_t ifindex;
	uint16_t tcp_flags;
	uint16_t mss;
	uint16_t vlan_outer;	/* VLAN ID of the outer tag, 0 if untagged */
	uint16_t vlan_inner;	/* VLAN ID of the second tag, 0 if none */
	uint8_t smac[6];	/* MAC addresses of the first packet; zero on L3 devices */
	uint8_t dmac[6];
	uint8_t wscale;
	uint8_t tos;
	uint8_t ttl_min;
	uint8_t ttl_max;
	uint8_t dir;		/* enum flowmon_dir of the hook that counted it */
	uint8_t ipver;
	uint8_t state;		/* FLOW_ST_* */
	uint8_t has_l2;		/* smac/dmac are meaningful */
	uint8_t xdp;		/* counted at the XDP hook (dir is ingress) */
};

/*
 * One record: the forward direction is the initiator (the side that sent a
 * SYN without ACK, else the side seen first). rev is all zero when the
 * reverse direction was never seen (has_rev == false).
 *
 * Window fields hold the raw TCP window; flowrec_win_min/max() apply the
 * window scale option.
 */
struct plugin_values;

struct flow_record {
	struct flow_key key;		/* forward direction */
	struct flow_side fwd;
	struct flow_side rev;
	bool has_rev;
	uint8_t end_reason;		/* enum flowmon_end_reason */
	int64_t wall_offset_ns;		/* kernel clock -> Unix epoch (0 offline) */
	uint64_t flow_id;		/* per-process counter, set by the writer */
	const struct plugin_values *plug;	/* the plugins' results (plugins.h), NULL: none */
};

/* The one decoder of a kernel table entry into the record model. */
void flow_side_decode(const struct flow_metrics *m, struct flow_side *out);

#endif /* __FLOWMON_FLOWREC_H */

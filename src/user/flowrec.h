/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowrec.h - a merged (bidirectional) flow record, as userland writes it.
 *
 * Pure data: no libbpf here, so that the flow table, the formatters and the
 * IPFIX encoder are unit-testable without root.
 */
#ifndef __FLOWMON_FLOWREC_H
#define __FLOWMON_FLOWREC_H

#include <stdbool.h>
#include <stdint.h>
#include "flowmon.h"

/*
 * One record: the forward direction is the initiator (the side that sent a
 * SYN without ACK, else the side seen first). rev is all zero when the
 * reverse direction was never seen (has_rev == false).
 *
 * Times in fwd/rev are the kernel's clock (see flowmon.h); wall-clock
 * nanoseconds since the Unix epoch are kernel time + wall_offset_ns
 * (0 in offline mode, where the kernel clock already is pcap time).
 *
 * Window fields hold the raw TCP window; flowrec_win_min/max() apply the
 * window scale option.
 */
struct flow_record {
	struct flow_key key;		/* forward direction */
	struct flow_metrics fwd;
	struct flow_metrics rev;
	bool has_rev;
	uint8_t end_reason;		/* enum flowmon_end_reason */
	int64_t wall_offset_ns;
	uint64_t flow_id;		/* per-process counter, set by the writer */
};

/* Text column header and JSON keys live in output.c; IPFIX in ipfix.c. */

#endif /* __FLOWMON_FLOWREC_H */

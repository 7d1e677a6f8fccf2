/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* types.h - the datapath's private state types (not part of the ABI). */
#ifndef __FLOWMON_TYPES_H
#define __FLOWMON_TYPES_H

/* The last packet a CPU could not insert: counted once across hooks. */
struct full_miss {
	struct flow_key key;
	__u64 when;
	__u32 ifindex;
	__u8 dir;
	__u8 pad[3];
};

#endif /* __FLOWMON_TYPES_H */

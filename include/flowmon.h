/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowmon.h - the ABI between tc_flowmon_kern.o and tc_flowmon_user.
 *
 * This is the only header shared across the kernel/user boundary. Every
 * structure here is laid out with explicit padding so that the BPF and the
 * x86-64/arm64 userland compilers agree byte for byte; userland checks the
 * sizes with _Static_assert and against the map's shape at run time.
 */
#ifndef __FLOWMON_H
#define __FLOWMON_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Names users and scripts know: the original pinned its table here. */
#define FLOWMON_PIN_DIR		"/sys/fs/bpf/tc/globals"
#define FLOWMON_MAP_FLOWS	"flowmon_stats"
#define FLOWMON_MAP_COUNTERS	"flowmon_counters"
#define FLOWMON_MAP_EVENTS	"flowmon_events"
#define FLOWMON_SEC_INGRESS	"tc/ingress"
#define FLOWMON_SEC_EGRESS	"tc/egress"
#define FLOWMON_SEC_SWEEP	"tc/sweep"
#define FLOWMON_SEC_XDP		"xdp"
#define FLOWMON_PROG_INGRESS	"flowmon_ingress"
#define FLOWMON_PROG_EGRESS	"flowmon_egress"
#define FLOWMON_PROG_SWEEP	"flowmon_sweep"
#define FLOWMON_PROG_XDP	"flowmon_xdp"

#define FLOWMON_DEFAULT_MAX_FLOWS	65536
#define FLOWMON_FRAG_ENTRIES		8192
#define FLOWMON_EVENTS_BYTES		(4u << 20)
#define FLOWMON_DEFAULT_IDLE_SEC	15
#define FLOWMON_DEFAULT_ACTIVE_SEC	1800

#define FLOWMON_SIZE_BUCKETS	6
#define FLOWMON_TTL_BUCKETS	10

/* Hook where a flow was first seen (flow_metrics.dir). */
enum flowmon_dir {
	FLOW_DIR_INGRESS = 0,	/* same values as IPFIX flowDirection (IE 61) */
	FLOW_DIR_EGRESS = 1,
	FLOW_DIR_XDP = 2,	/* ingress, at the XDP hook (before TC ingress: its own hook) */
};

/*
 * Unidirectional flow key. Addresses are in network order; an IPv4 address
 * uses the first 4 bytes and leaves the rest zero. Ports are in host order.
 * For ICMP and ICMPv6, sport holds the type and dport the code. Protocols
 * without ports (GRE, ESP, non-first fragments whose first fragment was not
 * seen, ...) have both ports 0. The key is zeroed before it is filled: the
 * hash covers every byte, padding included.
 */
struct flow_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u16 sport;
	__u16 dport;
	__u8 proto;
	__u8 ipver;	/* 4 or 6 */
	__u8 pad[2];
};

/*
 * Feature profiles, chosen at load time (flowmon_config.features): each one
 * a block of per-packet work the verifier removes when it is off. The entry
 * records the profile it was metered with (flow_metrics.features), so that a
 * reader tells "not measured" from "zero".
 */
#define FLOWMON_F_IAT	0x01	/* inter-arrival min/max/sum of squares */
#define FLOWMON_F_HIST	0x02	/* packet size and TTL histograms */
#define FLOWMON_F_TCP	0x04	/* sequence analysis, windows, MSS, window scale */
#define FLOWMON_F_L2	0x08	/* MAC addresses and VLAN IDs of the first packet */
#define FLOWMON_F_ALL	0x0f

/* flow_metrics.state bits */
#define FLOW_ST_SEQ_VALID	0x01	/* next_seq holds a sequence number */
#define FLOW_ST_HOLE_VALID	0x02	/* hole_seq marks a sequence gap */
#define FLOW_ST_SYN_WIN		0x04	/* syn_win was set by a SYN */
#define FLOW_ST_INITIATOR	0x08	/* sent a SYN without ACK: opened the connection */
#define FLOW_ST_LEADER		0x10	/* seen first in its connection (kept across splits) */
#define FLOW_ST_WIN		0x20	/* win_min/win_max hold a non-SYN window */
#define FLOW_ST_L2		0x40	/* smac/dmac were read from an Ethernet header */
#define FLOW_WSCALE_NONE	0xff

/*
 * flow_metrics.owner: the low 31 bits are the fingerprint of the entry's
 * key (never 0), bit 31 is the entry's lock. 0 means "taken": the sweeper
 * wrote the record out and is deleting the entry. A packet locks an entry
 * with one compare-and-swap from "its fingerprint, unlocked" to "its
 * fingerprint, locked", so the lock also proves the memory still holds the
 * packet's flow (a hash map may hand freed memory to another flow at once).
 * 32 bits, not 64: the word is 4 bytes of every entry of a 1M-flow table.
 */
#define FLOW_OWNER_LOCK		0x80000000U
#define FLOW_OWNER_FP_MASK	0x7fffffffU

/*
 * Histogram buckets the entry stores. Every packet of a record falls in
 * exactly one size and one TTL bucket, so the buckets of each histogram
 * add up to packets: the entry leaves out the bucket most packets fall in
 * (sizes < 128: ACKs; TTLs 33-64: Linux senders) and userland derives it
 * as packets minus the others (flowrec.c), modulo 2^32 like a counter of
 * its own. Lossless, 8 bytes less per entry, and the commonest packets
 * skip the increment.
 */
#define FLOWMON_SIZE_DERIVED	0	/* the size bucket left out */
#define FLOWMON_TTL_DERIVED	3	/* the TTL bucket left out */
#define FLOWMON_SIZE_SLOTS	(FLOWMON_SIZE_BUCKETS - 1)
#define FLOWMON_TTL_SLOTS	(FLOWMON_TTL_BUCKETS - 1)

/*
 * Per-direction metrics: the value of flowmon_stats. The first 64 bytes are
 * what every packet touches; the blocks after them are touched only by the
 * features that use them, in this order: TCP, L2, IAT, HIST. A table's
 * entries end with the last block its profile meters (FLOWMON_ENTRY_SIZE:
 * 64 to 208 bytes), so a profile without histograms, say, takes 56 bytes
 * less per flow. No padding inside: at 1M flows every byte here is a MiB
 * of kernel memory.
 *
 * Times are nanoseconds of CLOCK_MONOTONIC (the clock of bpf_ktime_get_ns
 * and of the delivery time TCP stamps on its packets); userland converts
 * them to wall-clock time. In replay mode they are the packets' capture
 * times, nanoseconds since the Unix epoch. See docs/DESIGN.md "Time" for
 * the resolution of each field.
 *
 * bytes are L3 bytes (IP header + payload, like IPFIX octetDeltaCount). A
 * segmentation-offload aggregate counts as the gso_segs packets it stands
 * for, each with its own headers.
 */
struct flow_metrics {
	/* hot: every packet */
	__u32 owner;		/* key fingerprint | FLOW_OWNER_LOCK, see above */
	__u32 ifindex;		/* interface of the hook that counts the flow */
	__u64 first_seen;
	__u64 last_seen;
	__u64 packets;
	__u64 bytes;
	__u32 arrivals;		/* skbs: inter-arrival gaps = arrivals - 1 (saturates) */
	__u32 len_min;		/* IP length, per packet on the wire */
	__u32 len_max;
	__u16 tcp_flags;	/* OR of FIN..CWR (bits 0-7) and NS (bit 8) */
	__u8 dir;		/* enum flowmon_dir of that hook */
	__u8 state;		/* FLOW_ST_* */
	__u8 ttl_min;
	__u8 ttl_max;
	__u8 tos;		/* full TOS / traffic class byte of the first packet */
	__u8 features;		/* FLOWMON_F_* this record was metered with throughout */
	__u32 flow_label;	/* IPv6 flow label of the first packet (fills the line) */
	/* FLOWMON_F_TCP */
	__u32 next_seq;		/* highest TCP sequence end seen */
	__u32 hole_seq;		/* where the newest gap in the sequence starts */
	__u32 hole_end;		/* where that gap ends (the segment that opened it) */
	__u32 retr_pkts;	/* TCP segments carrying already-seen data */
	__u32 ooo_pkts;		/* TCP segments filling an earlier gap */
	__u16 win_min;		/* raw TCP window field, non-SYN segments (FLOW_ST_WIN) */
	__u16 win_max;
	__u16 syn_win;		/* window of the SYN (never scaled, RFC 7323 2.2) */
	__u16 mss;		/* MSS option of the SYN, 0 if none */
	__u8 wscale;		/* window scale option, FLOW_WSCALE_NONE if none */
	__u8 pad[3];
	__u64 retr_bytes;	/* payload bytes of retr_pkts */
	__u64 ooo_bytes;
	/* FLOWMON_F_L2 (and FLOW_ST_L2 for the addresses): the first packet's */
	__u8 smac[6];
	__u8 dmac[6];
	__u16 vlan_outer;	/* VLAN ID of the outer tag (0: none) */
	__u16 vlan_inner;	/* VLAN ID of the second tag (0: none) */
	/* FLOWMON_F_IAT */
	__u64 iat_min;		/* smallest gap between arrivals, ns */
	__u64 iat_max;		/* largest gap, ns */
	__u64 iat_sumsq;	/* sum of squared gaps, in us^2 (variance) */
	/* FLOWMON_F_HIST: every bucket but the derived one, in bucket order */
	__u32 size_hist[FLOWMON_SIZE_SLOTS];	/* <128 <256 <512 <1024 <1514 >=1514 */
	__u32 ttl_hist[FLOWMON_TTL_SLOTS];	/* 0-1 2-5 6-32 33-64 ... 225-255 */
};

/* Where each block ends: an entry of a profile is that long (see above). */
#define FLOWMON_END_HOT		__builtin_offsetof(struct flow_metrics, next_seq)
#define FLOWMON_END_TCP		__builtin_offsetof(struct flow_metrics, smac)
#define FLOWMON_END_L2		__builtin_offsetof(struct flow_metrics, iat_min)
#define FLOWMON_END_IAT		__builtin_offsetof(struct flow_metrics, size_hist)
#define FLOWMON_END_HIST	sizeof(struct flow_metrics)

/* The size of the entries of a table that meters features f. */
#define FLOWMON_ENTRY_SIZE(f)						\
	((f) & FLOWMON_F_HIST ? FLOWMON_END_HIST :			\
	 (f) & FLOWMON_F_IAT ? FLOWMON_END_IAT :			\
	 (f) & FLOWMON_F_L2 ? FLOWMON_END_L2 :				\
	 (f) & FLOWMON_F_TCP ? FLOWMON_END_TCP : FLOWMON_END_HOT)

/* Is n the length of some profile's entries? */
#define FLOWMON_ENTRY_SIZE_VALID(n)	(FLOWMON_ENTRY_SIZE(FLOWMON_ENTRY_FEATURES(n)) == (n))

/* The features a table whose entries are n bytes long can meter. */
#define FLOWMON_ENTRY_FEATURES(n)					\
	(((n) >= FLOWMON_END_TCP ? FLOWMON_F_TCP : 0) |			\
	 ((n) >= FLOWMON_END_L2 ? FLOWMON_F_L2 : 0) |			\
	 ((n) >= FLOWMON_END_IAT ? FLOWMON_F_IAT : 0) |			\
	 ((n) >= FLOWMON_END_HIST ? FLOWMON_F_HIST : 0))

/* Sweeper modes (struct flowmon_sweep.mode). */
enum flowmon_sweep_mode {
	SWEEP_SCAN = 0,		/* end connections that are over: idle, closed */
	SWEEP_FLUSH,		/* end every connection (FLOW_END_FORCED) */
	SWEEP_PRINT,		/* copy every connection out, delete nothing */
	SWEEP_PRESSURE,		/* SCAN, and idle ends regardless of lazy_idle */
};

/*
 * Load-time configuration: one const volatile variable (flowmon_cfg) in
 * the object's .rodata, set by the loader between open and load, frozen
 * after load so the verifier prunes what it turns off. iproute2 loads get
 * the compiled defaults.
 */
struct flowmon_config {
	__u64 idle_timeout_ns;	/* kernel ends a record when a packet comes after this */
	__u64 active_timeout_ns;	/* ... or when the record is older than this */
	__u8 replay_mode;	/* 1: time = skb->tstamp (BPF_PROG_TEST_RUN), else live clock */
	__u8 features;		/* FLOWMON_F_*: what is metered (default all) */
	__u8 precise_clock;	/* 1: read the clock on every packet (see DESIGN.md "Time") */
	__u8 table_features;	/* FLOWMON_ENTRY_FEATURES of the table: what a copy takes */
	__u8 pad[4];
};

/* IPFIX flowEndReason (IE 136) values. */
enum flowmon_end_reason {
	FLOW_END_IDLE = 1,
	FLOW_END_ACTIVE = 2,
	FLOW_END_EOF = 3,	/* end of flow detected: FIN/RST */
	FLOW_END_FORCED = 4,
	FLOW_END_RESOURCES = 5,	/* not produced: a full table refuses new flows, ends none */
};

/*
 * Ring buffer record: one connection's record, both directions. The kernel
 * ends records itself: when a packet arrives for a connection idle longer
 * than the idle timeout, whose record is older than the active timeout, or
 * (TCP) that opens a new connection on a key that saw FIN or RST; and when
 * the sweeper (flowmon_sweep, run by userland) finds a connection over.
 * Half b is the reverse direction of a. A connection seen one way only
 * (scans, most UDP) travels as a half record: FLOW_EVENT_HALF bytes, up to
 * key_b; has_b is 0 then.
 */
struct flow_event {
	__u8 reason;		/* enum flowmon_end_reason; 0: a copy (SWEEP_PRINT) */
	__u8 has_a;		/* a holds packets */
	__u8 has_b;		/* b holds packets (a whole record only) */
	__u8 pad[5];
	struct flow_key key_a;
	struct flow_metrics a;
	struct flow_key key_b;
	struct flow_metrics b;
};
#define FLOW_EVENT_HALF	(8 + sizeof(struct flow_key) + sizeof(struct flow_metrics))

/*
 * What userland passes to flowmon_sweep (BPF_PROG_TEST_RUN), in the
 * packet data after a 14-byte pseudo Ethernet header, and what it gets back
 * in data_out. The sweeper visits every entry once per run (the kernel's
 * bpf_for_each_map_elem); when the ring buffer fills it stops and says so
 * (more = 1): userland consumes the ring and runs it again.
 */
struct flowmon_sweep {
	__u64 now;		/* time of the scan, the table's clock */
	__u64 idle_ns;		/* connection idle this long: over */
	__u64 linger_ns;	/* after FIN both ways or RST, quiet this long: over */
	__u32 mode;		/* enum flowmon_sweep_mode */
	__u32 lazy_idle;	/* offline: idle connections wait for their next packet */
	/* out */
	__u32 visited;		/* entries seen */
	__u32 ended;		/* connections written to the ring */
	__u32 purged;		/* entries deleted */
	__u32 more;		/* stopped early: ring full */
};
#define FLOWMON_SWEEP_HDR	14	/* the pseudo Ethernet header before the args */

/* Per-CPU counters in flowmon_counters (index = enum value). */
enum flowmon_counter {
	CNT_OTHER_HOOK = 0,	/* seen again at a later hook: not counted twice */
	CNT_NON_IP,		/* ARP, LLDP, ...: not a flow */
	CNT_TABLE_FULL_PKTS,	/* packets of flows the full table could not take */
	CNT_TABLE_FULL_BYTES,
	CNT_EVENTS_LOST,	/* record split postponed: ring buffer full */
	CNT_FRAG_NO_FIRST,	/* non-first fragment counted without ports */
	CNT_ERR_L2,		/* Ethernet/VLAN header truncated, too many tags */
	CNT_ERR_IP4,		/* IPv4 header truncated, IHL < 5, length < IHL */
	CNT_ERR_IP6,		/* IPv6 header truncated or bad version */
	CNT_ERR_IP6_EXT,	/* extension header chain truncated or too long */
	CNT_ERR_L4,		/* TCP/UDP/ICMP/SCTP header truncated, TCP doff < 5 */
	CNT_RACE_LOST,		/* entry taken by the sweeper under a packet, twice */
	CNT_MAX,
};

#define FLOWMON_COUNTER_NAMES {						\
	"other_hook", "non_ip", "table_full_pkts",		\
	"table_full_bytes", "events_lost", "frag_no_first", "err_l2",	\
	"err_ip4", "err_ip6", "err_ip6_ext", "err_l4", "race_lost" }

/* Side table for IPv4/IPv6 fragments: first fragment -> its ports. */
struct frag_key {
	__u8 saddr[16];
	__u8 daddr[16];
	__u32 id;		/* IPv4 identification or IPv6 fragment id */
	__u8 proto;		/* IPv4 protocol (RFC 791); 0 for IPv6 (RFC 8200 4.5) */
	__u8 ipver;
	__u8 pad[2];
};

struct frag_ports {
	__u16 sport;
	__u16 dport;
	__u8 proto;		/* L4 protocol (IPv6: after any header behind the fragment header) */
	__u8 pad[3];
};

/* TCP flag bits as in tcpControlBits (RFC 7125). */
#define FLOW_TCPF_FIN 0x001
#define FLOW_TCPF_SYN 0x002
#define FLOW_TCPF_RST 0x004
#define FLOW_TCPF_PSH 0x008
#define FLOW_TCPF_ACK 0x010
#define FLOW_TCPF_URG 0x020
#define FLOW_TCPF_ECE 0x040
#define FLOW_TCPF_CWR 0x080
#define FLOW_TCPF_NS  0x100

#endif /* __FLOWMON_H */

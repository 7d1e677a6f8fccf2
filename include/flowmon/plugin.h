/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * flowmon/plugin.h - the ABI of bpfFlowMon's BPF feature plugins.
 *
 * A plugin is a BPF object that the running meter calls for every packet it
 * has counted (every direction, the first packet of a flow and the packets
 * that start a new record included): after the meter has added the packet
 * to its flow, the entry point writes a struct fm_plugin_ctx into a per-CPU
 * map and tail-calls slot 0 of a program array; each plugin tail-calls the
 * next filled slot when it is done. `tc_flowmon_user plugin load FILE` fills
 * a slot of a running meter, `plugin unload NAME` empties it; the meter is
 * never stopped and never counts a packet differently because of a plugin.
 *
 * A plugin keeps its results per record: in its own hash map, keyed by
 * struct fm_plugin_rec (the packet's flow key and the first_seen of the
 * record the meter counted the packet in). When the record ends, userland
 * takes the value out of that map (lookup and delete) and writes its fields
 * with the record. It learns the fields from the value type's BTF: every
 * member tagged with FM_JSON() is a field (integers: numbers, char arrays:
 * NUL-terminated strings), named by its tags in text, JSON and IPFIX.
 *
 * This header serves three readers: the plugins (the part under __bpf__,
 * outside FLOWMON_METER), the meter (tc_flowmon_kern.o) and userland (the
 * structures). docs/PLUGINS.md is the guide; plugins/ holds examples.
 */
#ifndef __FLOWMON_PLUGIN_H
#define __FLOWMON_PLUGIN_H

#include "flowmon.h"

#define FLOWMON_PLUGIN_ABI	1	/* bumped when anything below changes shape */
#define FLOWMON_PLUGIN_SLOTS	8	/* plugins loaded at once, per meter */
#define FLOWMON_PLUGIN_NAME_LEN	32

/* Maps of the meter that plugins and userland share (pinned beside the table). */
#define FLOWMON_MAP_PLUGIN_PROGS	"flowmon_plugins"	/* TC: PROG_ARRAY */
#define FLOWMON_MAP_PLUGIN_PROGS_XDP	"flowmon_plugins_xdp"	/* XDP: PROG_ARRAY */
#define FLOWMON_MAP_PLUGIN_CTX		"flowmon_plugin_ctx"	/* per-CPU fm_plugin_ctx */
#define FLOWMON_MAP_PLUGIN_REG		"flowmon_plugin_reg"	/* slot -> flowmon_plugin_slot */
#define FLOWMON_MAP_PLUGIN_ON		"flowmon_plugin_on"	/* the guard (a data section) */

/* Names a plugin object gives its own maps (userland finds them by name). */
#define FLOWMON_PLUGIN_RESULTS		"fm_results"
#define FLOWMON_PLUGIN_COUNTERS		"fm_counters"

/* fm_plugin_ctx.hook: the hook the packet was counted at. */
enum fm_plugin_hook {
	FM_PLUGIN_TC = 0,	/* struct __sk_buff: bpf_skb_load_bytes() */
	FM_PLUGIN_XDP = 1,	/* struct xdp_md: bpf_xdp_load_bytes() */
};

/*
 * What the meter hands a plugin, per CPU, for the packet it has just
 * counted. Offsets are from the start of the frame the hook sees (the
 * Ethernet header, or the IP header on L3 devices). A GSO/GRO aggregate is
 * one call: payload_len covers all of its segments, which lie one after the
 * other in the packet. Times are the meter's clock (flowmon.h): ns of
 * CLOCK_MONOTONIC live, capture time in replay.
 */
struct fm_plugin_ctx {
	struct flow_key key;	/* the packet's flow (its direction) */
	__u64 first_seen;	/* the record's identity, with key: see struct fm_plugin_rec */
	__u64 time;		/* the packet's time as the meter counted it */
	__u32 ifindex;		/* interface of the hook */
	__u32 l3_len;		/* IP length (header included; an aggregate: all of it) */
	__u32 payload_len;	/* L4 payload bytes (TCP/UDP; other protocols: after the IP header) */
	__u32 seq;		/* TCP sequence number */
	__u16 l3_off;		/* IP header */
	__u16 l4_off;		/* TCP/UDP/... header; 0: none (a non-first fragment) */
	__u16 payload_off;	/* first payload byte */
	__u16 tcp_flags;	/* FLOW_TCPF_* (flowmon.h), 0 if not TCP */
	__u8 dir;		/* enum flowmon_dir: hook where the flow is counted */
	__u8 hook;		/* enum fm_plugin_hook */
	__u8 frag;		/* 0 not a fragment, 1 first fragment, 2 a later one */
	__u8 time_exact;	/* time is a capture time or a kernel stamp (else the 1 ms tick) */
	__u8 replay;		/* a replay (BPF_PROG_TEST_RUN): never read the clock */
	__u8 next;		/* the next slot to try (fm_plugin_next); the meter's */
	__u8 pad[2];
};

/*
 * The key of a plugin's results: one record of one direction. A record of
 * the meter is identified by its flow key and its first packet's time, so
 * results never mix a record with the next one on the same key (the meter
 * starts a new record at an idle or active timeout, or a new connection).
 */
struct fm_plugin_rec {
	struct flow_key key;
	__u64 first_seen;
};

/* flowmon_plugin_reg: what is loaded in a slot (userland writes it, for userland). */
struct flowmon_plugin_slot {
	__u32 prog_id;		/* its TC program, 0: slot empty */
	__u32 xdp_prog_id;	/* its XDP program, 0: none */
	__u32 results_id;	/* its fm_results map */
	__u32 counters_id;	/* its fm_counters map, 0: none */
	__u64 loaded_ns;	/* CLOCK_REALTIME of the load */
	char name[FLOWMON_PLUGIN_NAME_LEN];
};

/* fm_counters: per-CPU counters every plugin keeps (index = enum value). */
enum fm_plugin_counter {
	FM_PC_PACKETS = 0,	/* packets the plugin was called for */
	FM_PC_PARSED,		/* packets of its protocol it parsed */
	FM_PC_UNPARSED,		/* packets of its protocol it could not parse (cut, split) */
	FM_PC_RESULTS,		/* records it created a result for */
	FM_PC_LOST,		/* results it could not store (its map full) */
	FM_PC_TRUNCATED,	/* values longer than their field, cut */
	FM_PC_MAX = 8,
};

#define FM_PLUGIN_COUNTER_NAMES { "packets", "parsed", "unparsed", "results", "lost", \
				  "truncated", NULL, NULL }

/*
 * Field tags (BTF declaration tags, clang 14 and later): on members of the
 * results value type, and on the type itself.
 *
 *	struct my_result {
 *		__u32 queries FM_JSON("MY_QUERIES") FM_TEXT("my_queries")
 *			FM_IPFIX(32473, 1001) FM_DOC("queries seen");
 *		char name[64] FM_JSON("MY_NAME") FM_WHEN("queries");
 *	} FM_PLUGIN("my", "what the plugin measures");
 *
 * FM_JSON(key)		the member is a field; its JSON key (required)
 * FM_TEXT(column)	its text column (default: the JSON key in lower case)
 * FM_IPFIX(pen, id)	its IPFIX element (pen 0: IANA); default: not exported
 * FM_DOC(text)		what it means
 * FM_WHEN(member)	present only when that member is not zero
 * FM_PLUGIN(name, doc)	on the type: the plugin's name and what it does
 * FM_PROTOS(list)	on the type: the IP protocols that may have results ("6,17")
 * FM_PORTS(list)	on the type: results only for records with one of these ports
 */
#define FM_TAG(k, v)		__attribute__((btf_decl_tag("flowmon." k "=" v)))
#define FM_JSON(key)		FM_TAG("json", key)
#define FM_TEXT(col)		FM_TAG("text", col)
#define FM_IPFIX(pen, id)	FM_TAG("ipfix", #pen ":" #id)
#define FM_DOC(text)		FM_TAG("doc", text)
#define FM_WHEN(member)		FM_TAG("when", member)
#define FM_PLUGIN(name, doc)	FM_TAG("plugin", name) FM_TAG("doc", doc)
#define FM_PROTOS(list)		FM_TAG("protos", list)
#define FM_PORTS(list)		FM_TAG("ports", list)

#if defined(__bpf__)
/*
 * The maps a plugin shares with the meter, declared once for both: the
 * meter's pinned (PIN: __uint(pinning, LIBBPF_PIN_BY_NAME)), a plugin's not
 * (userland replaces them with the running meter's, by name).
 * flowmon_plugins, flowmon_plugins_xdp: slot -> plugin program, for TC and
 * XDP (a program array serves one program type); flowmon_plugin_ctx: the
 * packet's context, per CPU.
 */
#define FM_PLUGIN_PROGS_MAP(name, PIN)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PROG_ARRAY);			\
		__uint(max_entries, FLOWMON_PLUGIN_SLOTS);		\
		__type(key, __u32);					\
		__type(value, __u32);					\
		PIN							\
	} name SEC(".maps")

#define FLOWMON_PLUGIN_MAPS(PIN)						\
	FM_PLUGIN_PROGS_MAP(flowmon_plugins, PIN);			\
	FM_PLUGIN_PROGS_MAP(flowmon_plugins_xdp, PIN);			\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, 1);					\
		__type(key, __u32);					\
		__type(value, struct fm_plugin_ctx);			\
		PIN							\
	} flowmon_plugin_ctx SEC(".maps")
#endif

#if defined(__bpf__) && !defined(FLOWMON_METER)
/* ---- for plugins: maps of the meter, reading the packet, chaining ---- */
#ifndef __VMLINUX_H__
#include <linux/bpf.h>
#endif
#include <bpf/bpf_helpers.h>

#ifndef TC_ACT_UNSPEC
#define TC_ACT_UNSPEC	(-1)
#endif

/* The meter's maps: userland replaces them with the running meter's (by name). */
FLOWMON_PLUGIN_MAPS();

/*
 * FM_RESULTS(value_type, entries): the plugin's results map (record ->
 * value_type, created as records get results: BPF_F_NO_PREALLOC), its
 * counters, and the helpers that use them:
 *
 *	fm_count(idx, n)	add n to counter idx (enum fm_plugin_counter)
 *	fm_result(c, zero)	the result of the packet's own record, created
 *				from *zero if it has none; NULL when the map is
 *				full (counted in FM_PC_LOST)
 *	fm_result_of(key, first_seen)	an existing result of another record
 *				(the reverse direction's, found through the
 *				plugin's own state); never created: that
 *				record may be over and written already
 *
 * `plugin load --plugin-entries N` (or --plugin-entries of run) resizes it.
 */
#define FM_RESULTS(value_type, entries)					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_HASH);			\
		__uint(max_entries, entries);				\
		__uint(map_flags, BPF_F_NO_PREALLOC);			\
		__type(key, struct fm_plugin_rec);			\
		__type(value, value_type);				\
	} fm_results SEC(".maps");					\
	struct {							\
		__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);		\
		__uint(max_entries, FM_PC_MAX);				\
		__type(key, __u32);					\
		__type(value, __u64);					\
	} fm_counters SEC(".maps");					\
									\
	static __always_inline __attribute__((unused)) void fm_count(__u32 idx, __u64 n) \
	{								\
		__u64 *cnt = bpf_map_lookup_elem(&fm_counters, &idx);	\
		if (cnt)						\
			*cnt += n;	/* per CPU: no atomic needed */	\
	}								\
									\
	static __always_inline __attribute__((unused)) value_type *	\
	fm_result(const struct fm_plugin_ctx *c, \
						     const value_type *zero) \
	{								\
		struct fm_plugin_rec k;					\
		value_type *v;						\
		__builtin_memcpy(&k.key, &c->key, sizeof(k.key));	\
		k.first_seen = c->first_seen;				\
		v = bpf_map_lookup_elem(&fm_results, &k);		\
		if (v)							\
			return v;					\
		/* another CPU may create it first: then use that one */ \
		if (!bpf_map_update_elem(&fm_results, &k, zero, BPF_NOEXIST)) \
			fm_count(FM_PC_RESULTS, 1);			\
		v = bpf_map_lookup_elem(&fm_results, &k);		\
		if (!v)							\
			fm_count(FM_PC_LOST, 1);			\
		return v;						\
	}								\
									\
	static __always_inline __attribute__((unused)) value_type *	\
	fm_result_of(const struct flow_key *key, \
							__u64 first_seen) \
	{								\
		struct fm_plugin_rec k;					\
		__builtin_memcpy(&k.key, key, sizeof(k.key));		\
		k.first_seen = first_seen;				\
		return bpf_map_lookup_elem(&fm_results, &k);		\
	}								\
	struct fm_results_defined__ { int unused; }

/*
 * A length the verifier can bound for a helper's size argument: v when it
 * is 1..max, else 0. The empty asm keeps the compiler from folding the
 * test into arithmetic the verifier cannot follow.
 */
static __always_inline __u32 fm_bound(__u32 v, __u32 max)
{
	__u64 n = v;

	asm volatile("" : "+r"(n));
	if (n == 0 || n > max)
		return 0;
	return (__u32)n;
}

/* The packet, for reading: the hook's context. */
struct fm_pkt_ref {
	void *ctx;
	__u8 hook;		/* enum fm_plugin_hook: a constant in each entry point */
};

/* Copy len bytes at offset off of the frame (packet data, paged parts too). 0 or < 0. */
static __always_inline long fm_load(const struct fm_pkt_ref *p, __u32 off, void *buf, __u32 len)
{
	if (p->hook == FM_PLUGIN_XDP)
		return bpf_xdp_load_bytes(p->ctx, off, buf, len);
	return bpf_skb_load_bytes(p->ctx, off, buf, len);
}

/* The packet's time: the meter's when exact, else the clock itself (live only). */
static __always_inline __u64 fm_time_exact(const struct fm_plugin_ctx *c)
{
	if (c->replay || c->time_exact)
		return c->time;
	return bpf_ktime_get_ns();
}

/*
 * The next filled slot after this one (a tail call never returns; when no
 * slot after this one is filled, it returns and the plugin's program ends).
 */
#define FM_NEXT(ctx, progs, c)						\
	do {								\
		__u32 __i;						\
		_Pragma("unroll")					\
		for (__i = 1; __i < FLOWMON_PLUGIN_SLOTS; __i++) {	\
			if (__i < (c)->next)				\
				continue;				\
			(c)->next = __i + 1;				\
			bpf_tail_call(ctx, &progs, __i);		\
		}							\
	} while (0)

/*
 * FLOWMON_PLUGIN(fn): the plugin's two programs (TC and XDP), which call
 *	static __always_inline void fn(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
 * for every counted packet, then hand the packet on to the next plugin.
 * They never change or drop a packet: TC_ACT_UNSPEC, XDP_PASS.
 */
#define FM_PLUGIN_PROG(fn, sfx, sec, ctx_t, hk, progs, pass)		\
	SEC(sec) int fn##sfx(ctx_t *ctx)				\
	{								\
		struct fm_pkt_ref p = { .ctx = ctx, .hook = hk };	\
		__u32 zero = 0;						\
		struct fm_plugin_ctx *c =				\
			bpf_map_lookup_elem(&flowmon_plugin_ctx, &zero); \
		if (!c)							\
			return pass;					\
		fm_count(FM_PC_PACKETS, 1);				\
		fn(c, &p);						\
		FM_NEXT(ctx, progs, c);					\
		return pass;						\
	}

#define FLOWMON_PLUGIN(fn)						\
	FM_PLUGIN_PROG(fn, _tc, "tc", struct __sk_buff, FM_PLUGIN_TC,	\
		       flowmon_plugins, TC_ACT_UNSPEC)			\
	FM_PLUGIN_PROG(fn, _xdp, "xdp", struct xdp_md, FM_PLUGIN_XDP,	\
		       flowmon_plugins_xdp, XDP_PASS)			\
	char LICENSE[] SEC("license") = "Dual BSD/GPL"

#endif /* __bpf__ && !FLOWMON_METER */

#endif /* __FLOWMON_PLUGIN_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* maps.bpf.h - every map of tc_flowmon_kern.o, pinned by name in bpffs. */
#ifndef __FLOWMON_MAPS_BPF_H
#define __FLOWMON_MAPS_BPF_H

/*
 * flowmon_stats: flow_key -> flow_stats, one entry per unidirectional flow,
 * shared by every interface and hook the program is attached to. The kernel
 * inserts (BPF_NOEXIST) and updates in place under the entry's spin lock;
 * only userland deletes, with an atomic lookup-and-delete. max_entries is
 * set by the loader (bpf_map__set_max_entries) without recompiling.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOWMON_DEFAULT_MAX_FLOWS);
	__type(key, struct flow_key);
	__type(value, struct flow_metrics);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flowmon_stats SEC(".maps");

/* flowmon_counters: per-CPU packets that were not (or not again) accounted. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flowmon_counters SEC(".maps");

/*
 * flowmon_events: records the kernel ended itself (idle, active timeout,
 * new TCP connection on a closed key); userland consumes them. When it is
 * full the kernel keeps accumulating in the entry instead: nothing is lost.
 */
struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, FLOWMON_EVENTS_BYTES);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flowmon_events SEC(".maps");

/*
 * flowmon_frags: first fragment (addresses, protocol, IP ID) -> its ports,
 * so that later fragments join the flow of their first fragment. LRU: old
 * fragment trains age out by themselves; nobody deletes.
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, FLOWMON_FRAG_ENTRIES);
	__type(key, struct frag_key);
	__type(value, struct frag_ports);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flowmon_frags SEC(".maps");

/*
 * Scratch space for a new entry: flow_metrics is too big for the stack
 * budget. Typed as plain words: a per-CPU map may not hold a spin lock.
 */
struct scratch {
	__u64 w[sizeof(struct flow_metrics) / 8];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct scratch);
} flowmon_scratch SEC(".maps");

/*
 * The last packet this CPU could not put in the full table, so that the
 * same packet passing a second hook (lo: egress, then ingress) is not
 * counted twice in the table-full counters.
 */
struct full_miss {
	struct flow_key key;
	__u64 when;
	__u32 ifindex;
	__u8 dir;
	__u8 pad[3];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct full_miss);
} flowmon_fullmiss SEC(".maps");

static __always_inline void count(__u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(&flowmon_counters, &idx);

	if (c)
		*c += n;	/* per-CPU slot: no atomic needed */
}

#endif /* __FLOWMON_MAPS_BPF_H */

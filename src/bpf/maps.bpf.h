/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* maps.bpf.h - every map of tc_flowmon_kern.o; the shared ones pinned by name in bpffs. */
#ifndef __FLOWMON_MAPS_BPF_H
#define __FLOWMON_MAPS_BPF_H

/* A map as the datapath's helpers take it (src/bpf/bcc.bpf.h: by fd under BCC). */
#define FM_MAP(name)	(&(name))

/*
 * flowmon_stats: flow_key -> flow_metrics, one entry per unidirectional
 * flow, shared by every interface and hook the program is attached to.
 * Packets insert (BPF_NOEXIST) and update in place under the entry's owner
 * lock (account.h); only the sweeper deletes (sweep.h). max_entries is set
 * by the loader without recompiling.
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
 * flowmon_events: connections' records ended in the kernel (record splits
 * on the packet path, and the sweeper); userland consumes them. When it is
 * full a split waits (the entry keeps accumulating) and the sweeper stops
 * until userland has read: nothing is lost.
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
 * flowmon_tick: the tick clock (clock.h). Pinned because the kernel runs
 * a map's timers only while a process or a pin holds the map.
 */
struct fm_tick {
	struct bpf_timer timer;
	__u64 now;		/* CLOCK_MONOTONIC at the last tick */
	__u64 last_use;		/* a packet read it (to FM_TICK_USE_NS) */
	__u64 armed;		/* FM_TICK_STOPPED, _RUNNING or _REFUSED (clock.h) */
	__u64 retry_at;		/* refused: when to try again */
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct fm_tick);
	__uint(pinning, LIBBPF_PIN_BY_NAME);
} flowmon_tick SEC(".maps");

/* Room for a new entry: flow_metrics is large for the BPF stack. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct flow_metrics);
} flowmon_scratch SEC(".maps");

/*
 * The last packet this CPU could not put in the full table, so that the
 * same packet passing a second hook (lo: egress, then ingress) is not
 * counted twice in the table-full counters.
 */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct full_miss);
} flowmon_fullmiss SEC(".maps");

#endif /* __FLOWMON_MAPS_BPF_H */

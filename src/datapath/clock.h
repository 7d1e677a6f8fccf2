/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * clock.h - the time of a packet, without reading the clock per packet.
 *
 * Reading CLOCK_MONOTONIC costs 35-50 ns per packet on the hosts we
 * measured: as much as the whole established-flow budget. So the program
 * reads time as follows (docs/DESIGN.md "Time" has the resolutions):
 *  1. replay (BPF_PROG_TEST_RUN, offline engine): the packet's capture time;
 *  2. a CLOCK_MONOTONIC stamp the kernel already put on the skb (TCP stamps
 *     its delivery time on every segment it sends, and veth keeps it), when
 *     it agrees with the tick below;
 *  3. the tick: a bpf_timer refreshes a CLOCK_MONOTONIC reading every
 *     FM_TICK_NS while packets flow, so a packet pays one memory load. The
 *     timer stops after a second without packets; the next packet reads the
 *     clock itself and starts it again.
 * precise_clock = 1 reads the clock on every packet instead of 2 and 3.
 */
#ifndef __FLOWMON_CLOCK_H
#define __FLOWMON_CLOCK_H

#define FM_TICK_NS		1000000ULL	/* the tick's period: 1 ms */
#define FM_TICK_IDLE_NS		1000000000ULL	/* no packet this long: the timer stops */
#define FM_TICK_USE_NS		100000000ULL	/* packets note their use this often */
#define FM_STAMP_AHEAD_NS	2000000LL	/* a stamp this far past the tick is pacing */
#define FM_STAMP_BEHIND_NS	10000000LL	/* ... this far before it, stale */
#define FM_TICK_RETRY_NS	1000000000ULL	/* a refused timer is tried again after */

#define FM_TICK_STOPPED	0
#define FM_TICK_RUNNING	1
#define FM_TICK_REFUSED	2	/* the kernel would not start it: retry_at */

#ifdef FM_NATIVE
/* The offline engine always runs on capture time. */
FM_INLINE __u64 fm_now(const struct fm_meta *m)
{
	return m->tstamp;
}

FM_INLINE __u64 fm_now_exact(const struct fm_meta *m, __u64 now)
{
	return now;	/* capture time: exact */
}
#elif defined(FM_BCC)
/*
 * BCC 0.26 cannot set a timer's callback (it compiles as address 0): no
 * tick, the clock read on every packet, as precise_clock = 1 does.
 */
FM_INLINE __u64 fm_now(const struct fm_meta *m)
{
	return FM_CFG.replay_mode ? m->tstamp : bpf_ktime_get_ns();
}

FM_INLINE __u64 fm_now_exact(const struct fm_meta *m, __u64 now)
{
	return now;	/* read for this packet already */
}
#else
#define FM_CLOCK_MONOTONIC	1

static int tick_fire(void *map, __u32 *key, struct fm_tick *t)
{
	__u64 now = bpf_ktime_get_ns();

	t->now = now;
	if (now - t->last_use > FM_TICK_IDLE_NS) {
		t->armed = FM_TICK_STOPPED;	/* nobody reads it: let the CPU sleep */
		return 0;
	}
	bpf_timer_start(&t->timer, FM_TICK_NS, 0);
	return 0;
}

/*
 * Start the tick. A map holding timers must be pinned or held by a process
 * (tc_flowmon_user pins flowmon_tick; `tc filter add ... obj` under
 * `ip netns exec` pins into a bpffs that vanishes with the command). Where
 * the kernel refuses, packets read the clock themselves, and try again a
 * second later: slower, never wrong, and no timer call on every packet.
 */
FM_INLINE void tick_arm(struct fm_tick *t, __u64 now)
{
	bpf_timer_init(&t->timer, &flowmon_tick, FM_CLOCK_MONOTONIC);	/* -EBUSY: done */
	bpf_timer_set_callback(&t->timer, tick_fire);
	t->last_use = now;
	t->now = now;
	if (!bpf_timer_start(&t->timer, FM_TICK_NS, 0)) {
		t->armed = FM_TICK_RUNNING;
	} else {
		t->retry_at = now + FM_TICK_RETRY_NS;
		t->armed = FM_TICK_REFUSED;
	}
}

FM_INLINE __u64 fm_now(const struct fm_meta *m)
{
	struct fm_tick *t;
	__u32 zero = 0;
	__u64 now;
	__s64 d;

	if (FM_CFG.replay_mode)
		return m->tstamp;
	if (FM_CFG.precise_clock)
		return bpf_ktime_get_ns();
	t = bpf_map_lookup_elem(&flowmon_tick, &zero);
	if (!t)
		return bpf_ktime_get_ns();
	now = t->now;
	if (t->armed != FM_TICK_RUNNING) {
		now = bpf_ktime_get_ns();
		if (t->armed == FM_TICK_STOPPED || (__s64)(now - t->retry_at) > 0)
			tick_arm(t, now);
	} else if (now - t->last_use > FM_TICK_USE_NS) {
		t->last_use = now;
	}
	if (!m->tstamp_mono || !m->tstamp)
		return now;
	d = (__s64)(m->tstamp - now);
	if (d > FM_STAMP_AHEAD_NS || d < -FM_STAMP_BEHIND_NS)
		return now;	/* paced into the future, or stamped long ago */
	return m->tstamp;
}

/*
 * The time of a flow's first packet: exact even between ticks, so that the
 * direction seen first is known when two directions start within a tick
 * (a ping on lo: request and reply in the same microsecond). New flows are
 * rare next to the packets of established ones: the clock read is theirs.
 * Not for a handshake's SYN or SYN-ACK: the SYN without ACK marks its side
 * as the opener (FLOW_ST_INITIATOR), which orients the record before any
 * time does, so they take the tick and save the read (40 ns here, a tenth
 * of what a new TCP flow costs beyond the floor).
 * now: what fm_now() gave for the packet.
 */
FM_INLINE __u64 fm_now_exact(const struct fm_meta *m, __u64 now)
{
	if (FM_CFG.replay_mode || FM_CFG.precise_clock || (m->tstamp_mono && m->tstamp == now))
		return now;
	if (m->is_tcp && (m->tcp_flags & FLOW_TCPF_SYN))
		return now;	/* a handshake orients its record by the SYN, not by time */
	return bpf_ktime_get_ns();
}
#endif

#endif /* __FLOWMON_CLOCK_H */

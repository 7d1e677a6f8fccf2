/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * platform.h - what the datapath needs from where it runs: the flow table,
 * the fragment table, counters, the event ring, atomics and the clock.
 *
 * The datapath (src/datapath) is one source compiled twice: with clang for
 * BPF (tc_flowmon_kern.o, where these are map helpers) and with gcc into
 * tc_flowmon_user's offline engine (FM_NATIVE, where they are plain C over
 * the tables of src/native). Everything above this header is the same code.
 */
#ifndef __FLOWMON_PLATFORM_H
#define __FLOWMON_PLATFORM_H

#define FM_EEXIST	17	/* errno values the datapath tests for */

/* A key read as 32-bit words: may alias the bytes it was written as. */
typedef __u32 __attribute__((may_alias)) fm_word;
#define FM_EAGAIN	11
#define FM_E2BIG	7

#ifdef FM_NATIVE
/* ---- userland: the offline engine (src/native/engine.c) --------------- */
#include <stdint.h>
#include <string.h>
#include <linux/types.h>
#include "flowmon.h"

#define FM_INLINE	static inline __attribute__((always_inline))
#define FM_NOINLINE	static __attribute__((noinline))
#define FM_SUBPROG	static __attribute__((noinline))
#define FM_UNROLL	_Pragma("GCC unroll 8")
#define fm_barrier_var(var)	((void)(var))
#define fm_memset	memset
#define fm_memcpy	memcpy
#define fm_ntohs(x)	__builtin_bswap16(x)
#define fm_ntohl(x)	__builtin_bswap32(x)
#define fm_htons(x)	__builtin_bswap16(x)

/* The engine's state lives in src/native/engine.c; one engine runs at a time. */
extern struct flowmon_config fm_cfg;
#define FM_CFG fm_cfg

struct flow_metrics *fm_flow_lookup(const struct flow_key *k);
long fm_flow_insert(const struct flow_key *k, const struct flow_metrics *v);
void fm_flow_delete(const struct flow_key *k);
struct frag_ports *fm_frag_lookup(const struct frag_key *k);
void fm_frag_update(const struct frag_key *k, const struct frag_ports *v);
void fm_count(__u32 idx, __u64 n);
struct flow_event *fm_event_reserve(int whole);
void fm_event_submit(struct flow_event *ev);
void fm_event_discard(struct flow_event *ev);
struct flow_metrics *fm_scratch_entry(void);
struct full_miss *fm_full_miss_slot(void);

/* One thread runs the engine: the lock can never be contended. */
FM_INLINE __u32 fm_cmpxchg(__u32 *p, __u32 old, __u32 new)
{
	__u32 cur = *p;

	if (cur == old)
		*p = new;
	return cur;
}

FM_INLINE void fm_release(__u32 *p, __u32 v)
{
	*p = v;
}

FM_INLINE int fm_spin(__u32 *p, __u32 old, __u32 new)
{
	return fm_cmpxchg(p, old, new) == old ? 0 : -1;
}

#else
/* ---- BPF: tc_flowmon_kern.o ---------------------------------------------- */
#define FM_INLINE	static __always_inline
#ifdef FM_BCC
/*
 * BCC 0.26 loads one function per program and no .text: no BPF-to-BPF
 * calls, so what libbpf builds verify once as global functions is inlined
 * into each program there (src/bpf/bcc.bpf.h).
 */
#define FM_NOINLINE	FM_INLINE
#define FM_GLOBAL	FM_INLINE
#define FM_SUBPROG	FM_INLINE
#else
#define FM_NOINLINE	__noinline
#define FM_GLOBAL	__noinline	/* a global function: verified once, for every caller */
/*
 * A static function: one copy of its code, verified at each call with the
 * caller's arguments (a global one sees only its arguments' types, and a
 * pointer to struct flow_metrics must then be a whole one).
 */
#define FM_SUBPROG	static __noinline
#endif
#define FM_UNROLL	_Pragma("unroll")
/* The compiler forgets what it knew of var (a bound): it must use the register it has. */
#define fm_barrier_var(var)	asm volatile("" : "+r"(var))
#define fm_memset	__builtin_memset
#define fm_memcpy	__builtin_memcpy
#define fm_ntohs	bpf_ntohs
#define fm_ntohl	bpf_ntohl
#define fm_htons	bpf_htons

FM_INLINE struct flow_metrics *fm_flow_lookup(const struct flow_key *k)
{
	return bpf_map_lookup_elem(FM_MAP(flowmon_stats), k);
}

FM_INLINE long fm_flow_insert(const struct flow_key *k, const struct flow_metrics *v)
{
	return bpf_map_update_elem(FM_MAP(flowmon_stats), k, v, BPF_NOEXIST);
}

FM_INLINE void fm_flow_delete(const struct flow_key *k)
{
	bpf_map_delete_elem(FM_MAP(flowmon_stats), k);
}

FM_INLINE struct frag_ports *fm_frag_lookup(const struct frag_key *k)
{
	return bpf_map_lookup_elem(FM_MAP(flowmon_frags), k);
}

FM_INLINE void fm_frag_update(const struct frag_key *k, const struct frag_ports *v)
{
	bpf_map_update_elem(FM_MAP(flowmon_frags), k, v, BPF_ANY);
}

FM_INLINE void fm_count(__u32 idx, __u64 n)
{
	__u64 *c = bpf_map_lookup_elem(FM_MAP(flowmon_counters), &idx);

	if (c)
		*c += n;	/* per-CPU slot: no atomic needed */
}

/* A whole record (both directions), or a half one (up to key_b). */
FM_INLINE struct flow_event *fm_event_reserve(int whole)
{
	if (whole)
		return bpf_ringbuf_reserve(FM_MAP(flowmon_events), sizeof(struct flow_event), 0);
	return bpf_ringbuf_reserve(FM_MAP(flowmon_events), FLOW_EVENT_HALF, 0);
}

/* Userland reads the ring on its own schedule: no wakeup, no irq_work per record. */
FM_INLINE void fm_event_submit(struct flow_event *ev)
{
	bpf_ringbuf_submit(ev, BPF_RB_NO_WAKEUP);
}

FM_INLINE void fm_event_discard(struct flow_event *ev)
{
	bpf_ringbuf_discard(ev, BPF_RB_NO_WAKEUP);
}

/* Per-CPU room for a new entry: flow_metrics is large for the BPF stack. */
FM_INLINE struct flow_metrics *fm_scratch_entry(void)
{
	__u32 zero = 0;

	return (struct flow_metrics *)bpf_map_lookup_elem(FM_MAP(flowmon_scratch), &zero);
}

/* Per-CPU: the last key a full table refused (meter.h full_miss_seen). */
FM_INLINE struct full_miss *fm_full_miss_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(FM_MAP(flowmon_fullmiss), &zero);
}

#ifdef FM_BCC
/*
 * BCC 0.26 has no -mcpu: it builds for BPF v1, which has 64-bit atomics
 * only. The owner word is the low half of the entry's first 8 bytes (value
 * offset 0, little endian), so a 64-bit CAS over it carries the other half
 * (ifindex) as read. When only that half changed meanwhile the word is
 * reported held, and the caller's spin tries again. Fully ordered too.
 */
_Static_assert(__builtin_offsetof(struct flow_metrics, owner) == 0 &&
	       __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "owner: the low half of word 0");

FM_INLINE __u32 fm_cmpxchg(__u32 *p, __u32 old, __u32 new)
{
	__u64 *w = (__u64 *)p;
	__u64 hi = *(volatile __u64 *)w & ~0xffffffffULL;
	__u64 cur = __sync_val_compare_and_swap(w, hi | old, hi | new);

	if ((__u32)cur == old && (cur & ~0xffffffffULL) != hi)
		return old | FLOW_OWNER_LOCK;
	return (__u32)cur;
}
#else
/* BPF atomics are fully ordered: a successful CAS is an acquire. 32 bits: -mcpu=v3. */
FM_INLINE __u32 fm_cmpxchg(__u32 *p, __u32 old, __u32 new)
{
	return __sync_val_compare_and_swap(p, old, new);
}
#endif

/*
 * Unlock with release semantics. On x86 (TSO) a plain store after a
 * compiler barrier is one: no store passes an earlier load or store. Other
 * architectures need a fully ordered exchange.
 */
FM_INLINE void fm_release(__u32 *p, __u32 v)
{
#if defined(__TARGET_ARCH_x86)
	asm volatile("" ::: "memory");
	*(volatile __u32 *)p = v;
#else
	__sync_lock_test_and_set(p, v);
#endif
}

#ifdef FM_BCC
/*
 * BCC 0.26 cannot pass a callback (bpf_loop's is compiled as address 0):
 * a bounded loop the verifier walks instead, so far fewer tries than the
 * 2^20 of bpf_loop. A holder can be held up (an interrupt on its CPU), so
 * each failed try waits: clock reads, one instruction each for the verifier
 * but tens of ns each on the CPU. 64 tries of 32 reads: two CPUs on one flow,
 * 1.2M packets by BPF_PROG_TEST_RUN, none lost in most runs (16 reads: 1,
 * 4: 6, none: 167), and the accounting program verifies in 421,000
 * instructions of the 1M. A hypervisor that stops the holder's vCPU longer
 * outlasts it: the accounting program then runs itself again (bcc_account).
 */
#ifndef FM_BCC_SPIN		/* a test builds a shorter spin to see the retry work */
#define FM_BCC_SPIN		64
#endif
#ifndef FM_BCC_PAUSE_READS
#define FM_BCC_PAUSE_READS	32
#endif

FM_INLINE void fm_bcc_pause(void)
{
	int i;

	FM_UNROLL
	for (i = 0; i < FM_BCC_PAUSE_READS; i++)
		bpf_ktime_get_ns();
}

FM_INLINE int fm_spin(__u32 *p, __u32 old, __u32 new)
{
	__u32 cur;
	int i;

	for (i = 0; i < FM_BCC_SPIN; i++) {
		cur = fm_cmpxchg(p, old, new);
		if (cur == old)
			return 0;
		if ((cur & FLOW_OWNER_FP_MASK) != (old & FLOW_OWNER_FP_MASK))
			return -1;
		fm_bcc_pause();
	}
	return -1;
}
#else
struct fm_spin_ctx {
	__u32 *p;
	__u32 old;
	__u32 new;
	int got;
};

static long fm_spin_once(__u32 i, struct fm_spin_ctx *c)
{
	__u32 cur = __sync_val_compare_and_swap(c->p, c->old, c->new);

	if (cur == c->old) {
		c->got = 1;
		return 1;
	}
	/* someone else's now (taken or reused): waiting is pointless */
	return (cur & FLOW_OWNER_FP_MASK) != (c->old & FLOW_OWNER_FP_MASK);
}

/*
 * The slow path of a lock: another CPU holds it. Holders run with bottom
 * halves disabled (TC, XDP, and BPF_PROG_TEST_RUN of the sweeper) for a
 * few dozen instructions, and never nest on one CPU, so a bounded spin
 * outlasts them, except that in a virtual machine the hypervisor may stop
 * the holder's vCPU for milliseconds inside them (steal time): 65,536
 * tries (about 0.5 ms) lost one packet to race_lost in a test of two CPUs
 * on one flow on a loaded 2-vCPU guest. 2^20 tries last 10-50 ms; a spin
 * that ends without the lock is counted in race_lost, never silent.
 * bpf_loop keeps the verifier from walking the iterations. 0, or -1.
 */
FM_INLINE int fm_spin(__u32 *p, __u32 old, __u32 new)
{
	struct fm_spin_ctx c = { .p = p, .old = old, .new = new };

	bpf_loop(1 << 20, fm_spin_once, &c, 0);
	return c.got ? 0 : -1;
}
#endif /* FM_BCC */
#endif /* FM_NATIVE */

/*
 * A packet fm_account() could not put in its entry twice in a row: counted
 * in race_lost, never silent (0: not counted in a record). BCC's spin is
 * short (above), so there the accounting program runs again first
 * (bcc_account, tc_flowmon_kern.c), and counts it when it cannot.
 */
#ifdef FM_BCC
#define fm_race_lost(pkts)	(-FM_EAGAIN)
#else
#define fm_race_lost(pkts)	(fm_count(CNT_RACE_LOST, (pkts)), 0)
#endif

#endif /* __FLOWMON_PLATFORM_H */

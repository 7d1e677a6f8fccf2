// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * tc_flowmon_kern.c - per-flow metering on the TC (clsact or tcx) and XDP
 * hooks.
 *
 * Thin entry points over the hook-agnostic datapath (src/datapath): each
 * fills the packet context from its hook's context and hands it on. The program never
 * drops or changes a packet and returns TC_ACT_UNSPEC, so filters after it
 * on the same hook still run.
 *
 * flowmon_sweep is not attached anywhere: userland runs it with
 * BPF_PROG_TEST_RUN once per scan period (sweep.h). A test run keeps bottom
 * halves off around the program, which the entry lock relies on.
 */
#ifdef FM_BCC
/* BCC's build profile (tc_flowmon.py): its headers, maps by fd, no callbacks */
#include "bcc.bpf.h"
#else
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowmon.h"
#define FLOWMON_METER	/* plugin.h: the structures, not the plugins' side */
#include "flowmon/plugin.h"
#include "types.h"
#include "config.bpf.h"
#include "maps.bpf.h"
#endif
#include "platform.h"
#include "pkt.h"
#include "pairing.h"
#include "parse.h"
#include "clock.h"
#include "account.h"
#include "meter.h"
#include "fast.h"
#ifndef FM_BCC
#include "sweep.h"
#include "plugins.bpf.h"
#endif

#define FM_SKB_CLOCK_MONOTONIC	1	/* skb->tstamp_type of a delivery time */

#ifdef FM_BCC
/* BCC 0.26 resolves no kfunc: the front end tells from the device type (bcc.bpf.h). */
#define skb_has_l2(skb)	FM_BCC_HAS_L2
#else
extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/*
 * L3 devices (tun, WireGuard, other VPNs) have no MAC header: the kernel
 * leaves mac_header equal to network_header there, and skb->data points
 * at the IP header.
 */
static __always_inline int skb_has_l2(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);

	return kskb->mac_header != kskb->network_header;
}
#endif

/*
 * Length of the whole frame, for IP length fields of 0 (TSO, BIG TCP) and
 * the check that a length field stays inside the frame. A replayed capture
 * passes its packet's original length in cb[0]: BPF_PROG_TEST_RUN carries
 * only about a page of it, and caps wire_len at 64 KiB.
 */
static __always_inline __u32 skb_frame_len(struct __sk_buff *skb)
{
	__u32 len = skb->len, wire;

	if (flowmon_cfg.replay_mode) {
		wire = skb->cb[0];
		if (wire > len)
			return wire;
	}
	return len;
}

/* Global: the verifier checks the parsers once for both hooks of TC. */
FM_GLOBAL int parse_skb(struct __sk_buff *skb, struct fm_meta *m)
{
	struct fm_pkt p = { .hook = FM_HOOK_SKB };

	if (!skb || !m)
		return PARSE_NON_IP;
	p.data = (void *)(long)skb->data;
	p.end = (void *)(long)skb->data_end;
	p.ctx = skb;
	p.has_l2 = skb_has_l2(skb);
	/* a replayed capture of another link type got a made-up Ethernet header */
	p.fake_l2 = flowmon_cfg.replay_mode && skb->cb[1];
	return fm_parse(&p, m);
}

/* Global: accounting is hook-agnostic and verified once for every hook. 1: counted. */
FM_GLOBAL int account_meta(struct fm_meta *m)
{
	return m ? fm_account(m) : 0;
}

/* The guard of the plugin hook: 0 while no plugin is loaded (and in builds without it). */
static __always_inline __u32 plugins_on(void)
{
#ifdef FLOWMON_NO_PLUGIN_HOOK
	return 0;
#else
	return flowmon_plugin_on;
#endif
}

/* What both paths know of the packet before parsing it. */
static __always_inline void meta_start(struct __sk_buff *skb, struct fm_meta *m, __u8 dir)
{
	m->wscale = FLOW_WSCALE_NONE;
	m->ifindex = skb->ifindex;
	m->dir = dir;
	m->tstamp = skb->tstamp;
	m->tstamp_mono = skb->tstamp_type == FM_SKB_CLOCK_MONOTONIC;
	m->frame_len = skb_frame_len(skb);
	m->gso_segs = skb->gso_segs;
	m->gso_size = skb->gso_size;
}

/* A tag the driver took out of the frame, into the skb's metadata: the outer one. */
static __always_inline void meta_vlan(struct __sk_buff *skb, struct fm_meta *m)
{
	m->vlan_outer = 0;
	m->vlan_meta = 0;
	if (skb->vlan_present) {
		m->vlan_outer = skb->vlan_tci & VLAN_VID_MASK;
		m->vlan_meta = 1;
	}
}

#ifdef FM_BCC
/*
 * BCC's profile has no global functions, and inlined into one program the
 * parsers and the accounting exceed what the verifier walks (1M
 * instructions). So its TC path is programs chained by tail calls
 * (tc_flowmon.py's entry points): the fast path; L2 and IP; L4; the
 * accounting. The packet's fm_meta, and where L4 starts, pass between them
 * in a per-CPU slot: a hook runs to its end on one CPU, and a tail call
 * does not return.
 */
enum { FM_BCC_GENERAL_IN, FM_BCC_GENERAL_EG, FM_BCC_L4, FM_BCC_ACCOUNT, FM_BCC_PROGS };

#define FM_BCC_L4_MAX	1024	/* L2 + IP + extension headers, at most (parse.h) */

struct bcc_slot {
	struct fm_meta m;
	__u32 l4_pos;		/* offset of the IP payload from the frame start */
};

_Static_assert(sizeof(struct bcc_slot) <= FM_BCC_META_BYTES, "the per-CPU slot");

static __always_inline struct bcc_slot *bcc_slot(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(FM_MAP(flowmon_bcc_meta), &zero);
}

/* The next program; with m, its fm_meta first. 0: not counted (not reached). */
static __always_inline int bcc_tail(struct __sk_buff *skb, const struct fm_meta *m, __u32 prog)
{
	struct bcc_slot *s;

	if (m) {
		s = bcc_slot();
		if (!s)
			return 0;
		__builtin_memcpy(&s->m, m, sizeof(*m));
	}
	bpf_tail_call(skb, FM_MAP(flowmon_bcc_progs), prog);
	return 0;
}
#endif

/* The accounting of a TC packet: 1: counted. */
static __always_inline int tc_account(struct __sk_buff *skb, struct fm_meta *m)
{
#ifdef FM_BCC
	return bcc_tail(skb, m, FM_BCC_ACCOUNT);
#else
	return account_meta(m);
#endif
}

/* The general path: every header the parsers know, every case of the table. 1: counted. */
static __always_inline int tc_general(struct __sk_buff *skb, struct fm_meta *m, __u8 dir)
{
	int err;

	__builtin_memset(m, 0, sizeof(*m));
	meta_start(skb, m, dir);
	meta_vlan(skb, m);
	err = parse_skb(skb, m);
	if (err) {
		fm_count(err == PARSE_NON_IP ? CNT_NON_IP : err, 1);
		return 0;
	}
	return tc_account(skb, m);
}

#ifdef FM_BCC
static __always_inline void bcc_pkt(struct __sk_buff *skb, struct fm_pkt *p)
{
	p->hook = FM_HOOK_SKB;
	p->data = (void *)(long)skb->data;
	p->end = (void *)(long)skb->data_end;
	p->ctx = skb;
	p->has_l2 = skb_has_l2(skb);
	p->fake_l2 = 0;		/* no replay under BCC */
}

/* The general path's first program: what tc_general does, to the IP payload. */
static __always_inline int bcc_general(struct __sk_buff *skb, __u8 dir)
{
	struct fm_pkt p = { .hook = FM_HOOK_SKB };
	struct bcc_slot *s = bcc_slot();
	struct hdr_cursor c;
	int err;

	if (!s)
		return TC_ACT_UNSPEC;
	__builtin_memset(&s->m, 0, sizeof(s->m));
	meta_start(skb, &s->m, dir);
	meta_vlan(skb, &s->m);
	bcc_pkt(skb, &p);
	c.pos = p.data;
	c.end = p.end;
	c.start = p.data;
	c.l4 = 0;
	err = fm_parse_l3(&p, &c, &s->m);
	if (err) {
		fm_count(err == PARSE_NON_IP ? CNT_NON_IP : err, 1);
		return TC_ACT_UNSPEC;
	}
	s->l4_pos = c.l4;
	bpf_tail_call(skb, FM_MAP(flowmon_bcc_progs), FM_BCC_L4);
	return TC_ACT_UNSPEC;
}

/* The second: L4, from where the first stopped. */
static __always_inline int bcc_l4(struct __sk_buff *skb)
{
	struct fm_pkt p = { .hook = FM_HOOK_SKB };
	struct bcc_slot *s = bcc_slot();
	struct hdr_cursor c;
	__u32 pos;
	int err;

	if (!s)
		return TC_ACT_UNSPEC;
	pos = s->l4_pos;
	if (pos > FM_BCC_L4_MAX)
		return TC_ACT_UNSPEC;	/* cannot be: parse.h stops before */
	bcc_pkt(skb, &p);
	c.pos = p.data + pos;
	c.end = p.end;
	c.start = p.data;
	c.l4 = pos;
	err = fm_parse_l4(&p, &c, &s->m);
	if (err) {
		fm_count(err == PARSE_NON_IP ? CNT_NON_IP : err, 1);
		return TC_ACT_UNSPEC;
	}
	bpf_tail_call(skb, FM_MAP(flowmon_bcc_progs), FM_BCC_ACCOUNT);
	return TC_ACT_UNSPEC;
}

/*
 * The last: the accounting of the slot's fm_meta. The spin of this profile
 * waits some 50 us (platform.h); a holder whose vCPU the hypervisor stopped
 * longer makes the accounting give up (-FM_EAGAIN). This program then runs
 * itself again on the same slot, as often as the kernel's limit of 33 tail
 * calls per packet allows (milliseconds), before it counts race_lost.
 */
static __always_inline int bcc_account(struct __sk_buff *skb)
{
	struct bcc_slot *s = bcc_slot();
	struct wire w;

	if (!s || account_meta(&s->m) != -FM_EAGAIN)
		return TC_ACT_UNSPEC;
#ifndef FM_BCC_NO_RETRY		/* (a test measures what the retry saves) */
	bpf_tail_call(skb, FM_MAP(flowmon_bcc_progs), FM_BCC_ACCOUNT);
#endif
	wire_fill(&s->m, &w);	/* out of tail calls */
	fm_count(CNT_RACE_LOST, w.pkts);
	return TC_ACT_UNSPEC;
}
#endif

static __always_inline int tc_meter(struct __sk_buff *skb, __u8 dir)
{
	struct fm_pkt p = { .hook = FM_HOOK_SKB };
	struct fm_meta m;
	int fast, counted = 1;

	/* the fast path (fast.h) reads only what it or meta_start sets */
	__builtin_memset(&m.key, 0, sizeof(m.key));
	m.is_tcp = 0;
	m.tcp_flags = 0;
	meta_start(skb, &m, dir);
	p.data = (void *)(long)skb->data;
	p.end = (void *)(long)skb->data_end;
	p.ctx = skb;
	p.has_l2 = skb_has_l2(skb);
	p.fake_l2 = flowmon_cfg.replay_mode && skb->cb[1];
	fast = fm_fast_parse(&p, &m) ? fm_fast_account(&m) : 0;
	if (fast < 0) {
		/* a new flow: what else its first packet gives, then create it */
		m.vlan_inner = 0;
		m.flow_label = 0;
		m.frag = FRAG_NONE;
		meta_vlan(skb, &m);
		fm_fast_first(&p, &m);
		m.missing = 1;
		counted = tc_account(skb, &m);
	} else if (fast == FM_FAST_OTHER_HOOK) {
		counted = 0;	/* counted where its flow is */
	} else if (!fast) {
#ifdef FM_BCC
		counted = bcc_tail(skb, NULL, dir == FLOW_DIR_INGRESS ? FM_BCC_GENERAL_IN :
								       FM_BCC_GENERAL_EG);
#else
		counted = tc_general(skb, &m, dir);
#endif
	}
	/* every packet counted in a record, whichever path counted it (plugins.bpf.h) */
	if (counted && plugins_on())
		plugins_run(skb, &flowmon_plugins, &m, fast);
	return TC_ACT_UNSPEC;
}

SEC(FLOWMON_SEC_INGRESS)
int flowmon_ingress(struct __sk_buff *skb)
{
	return tc_meter(skb, FLOW_DIR_INGRESS);
}

SEC(FLOWMON_SEC_EGRESS)
int flowmon_egress(struct __sk_buff *skb)
{
	return tc_meter(skb, FLOW_DIR_EGRESS);
}

#ifndef FM_BCC	/* tc_flowmon.py attaches to TC only */
/*
 * XDP: ingress only, before the stack (and GRO: every wire packet, no
 * aggregates), on interfaces with an Ethernet header. XDP_PASS always. Its
 * hook is FLOW_DIR_XDP, so TC ingress on the same interface does not count
 * a packet again (other_hook).
 */
FM_GLOBAL int parse_xdp(struct xdp_md *xdp, struct fm_meta *m)
{
	struct fm_pkt p = { .hook = FM_HOOK_XDP, .has_l2 = 1 };

	if (!xdp || !m)
		return PARSE_NON_IP;
	p.data = (void *)(long)xdp->data;
	p.end = (void *)(long)xdp->data_end;
	p.ctx = xdp;
	return fm_parse(&p, m);
}

/*
 * Replay (BPF_PROG_TEST_RUN, the test tier): XDP has no stamp of its own,
 * so the capture time travels in the frame's metadata, 8 bytes before it.
 */
static __always_inline __u64 xdp_replay_time(struct xdp_md *xdp)
{
	__u64 *ts = (void *)(long)xdp->data_meta;

	if (!flowmon_cfg.replay_mode || (void *)(ts + 1) > (void *)(long)xdp->data)
		return 0;
	return *ts;
}

SEC(FLOWMON_SEC_XDP)
int flowmon_xdp(struct xdp_md *xdp)
{
	struct fm_pkt p = { .hook = FM_HOOK_XDP, .has_l2 = 1 };
	struct fm_meta m;
	int fast, err, counted = 1;

	__builtin_memset(&m.key, 0, sizeof(m.key));
	m.is_tcp = 0;
	m.tcp_flags = 0;
	m.wscale = FLOW_WSCALE_NONE;
	m.ifindex = xdp->ingress_ifindex;
	m.dir = FLOW_DIR_XDP;
	m.tstamp = xdp_replay_time(xdp);
	m.tstamp_mono = 0;
	m.frame_len = bpf_xdp_get_buff_len(xdp);	/* multi-buffer frames too */
	m.gso_segs = 0;
	m.gso_size = 0;
	p.data = (void *)(long)xdp->data;
	p.end = (void *)(long)xdp->data_end;
	p.ctx = xdp;
	fast = fm_fast_parse(&p, &m) ? fm_fast_account(&m) : 0;
	if (fast < 0) {
		m.vlan_inner = 0;
		m.vlan_outer = 0;
		m.vlan_meta = 0;
		m.flow_label = 0;
		m.frag = FRAG_NONE;
		fm_fast_first(&p, &m);
		m.missing = 1;
		counted = account_meta(&m);
	} else if (fast == FM_FAST_OTHER_HOOK) {
		counted = 0;	/* counted where its flow is */
	} else if (!fast) {
		__u32 frame_len = m.frame_len, ifindex = m.ifindex;
		__u64 tstamp = m.tstamp;

		__builtin_memset(&m, 0, sizeof(m));
		m.wscale = FLOW_WSCALE_NONE;
		m.ifindex = ifindex;
		m.dir = FLOW_DIR_XDP;
		m.frame_len = frame_len;
		m.tstamp = tstamp;
		err = parse_xdp(xdp, &m);
		if (err)
			fm_count(err == PARSE_NON_IP ? CNT_NON_IP : err, 1);
		counted = err ? 0 : account_meta(&m);
	}
	if (counted && plugins_on())
		plugins_run(xdp, &flowmon_plugins_xdp, &m, fast);
	return XDP_PASS;
}
#endif /* !FM_BCC */

#ifndef FM_BCC
/* Not in BCC's profile: tc_flowmon_user loads its own over the pinned table. */
static long sweep_cb(struct bpf_map *map, struct flow_key *k, struct flow_metrics *s,
		     struct flowmon_sweep *a)
{
	return sweep_visit(k, s, a);
}

/* The arguments travel in the test run's packet, the results come back in it. */
SEC(FLOWMON_SEC_SWEEP)
int flowmon_sweep(struct __sk_buff *skb)
{
	struct flowmon_sweep a;

	if (bpf_skb_load_bytes(skb, FLOWMON_SWEEP_HDR, &a, sizeof(a)))
		return 1;
	a.visited = 0;
	a.ended = 0;
	a.purged = 0;
	a.more = 0;
	bpf_for_each_map_elem(&flowmon_stats, sweep_cb, &a, 0);
	bpf_skb_store_bytes(skb, FLOWMON_SWEEP_HDR, &a, sizeof(a), 0);
	return 0;
}
#endif

#ifdef FM_BCC
#define BPF_LICENSE Dual BSD/GPL	/* BCC's footer makes the license section of it */
#else
char LICENSE[] SEC("license") = "Dual BSD/GPL";
#endif

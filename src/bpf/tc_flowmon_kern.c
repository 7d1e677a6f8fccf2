// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * tc_flowmon_kern.c - per-flow metering on the TC (clsact) hook.
 *
 * Two thin entry points, one per hook direction, over one worker. The
 * program never drops or changes a packet and returns TC_ACT_UNSPEC, so
 * filters after it on the same hook still run.
 *
 * Counting rule: a packet is counted once per host, at the first hook that
 * saw its flow (the ifindex and direction stored in the entry). On lo with
 * both hooks a packet passes egress then ingress; a forwarded packet passes
 * ingress of one interface and egress of another: only the first counts.
 * A first hook that has not seen the flow for a second hands it over.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowmon.h"
#include "config.bpf.h"
#include "maps.bpf.h"
#include "parse.h"
#include "account.h"

extern void *bpf_cast_to_kern_ctx(void *obj) __ksym;

/*
 * L3 devices (tun, WireGuard, other VPNs) have no MAC header: the kernel
 * leaves mac_header equal to network_header there, and skb->data points
 * at the IP header.
 */
static __always_inline int has_l2(struct __sk_buff *skb)
{
	struct sk_buff *kskb = bpf_cast_to_kern_ctx(skb);

	return kskb->mac_header != kskb->network_header;
}

/*
 * Global (not inlined): the verifier checks the parsers once, instead of
 * once for every path through the accounting code that follows.
 */
__noinline int parse_packet(struct __sk_buff *skb, struct pkt_meta *m)
{
	struct hdr_cursor c = {
		.pos = (void *)(long)skb->data,
		.end = (void *)(long)skb->data_end,
		.start = (void *)(long)skb->data,
	};
	__u16 proto;
	int err;

	if (!m)
		return PARSE_NON_IP;
	m->frame_len = frame_len(skb);

	if (has_l2(skb)) {
		err = parse_eth(&c, &proto);
		if (err)
			return err;
	} else {
		__u8 *v = c.pos;

		if ((void *)(v + 1) > c.end)
			return CNT_ERR_L2;
		if ((*v >> 4) == 4)
			proto = ETH_P_IP;
		else if ((*v >> 4) == 6)
			proto = ETH_P_IPV6;
		else
			return PARSE_NON_IP;
	}
	if (proto == ETH_P_IP)
		err = parse_ipv4(skb, &c, m);
	else if (proto == ETH_P_IPV6)
		err = parse_ipv6(skb, &c, m);
	else
		return PARSE_NON_IP;
	if (err)
		return err;
	err = parse_l4(skb, &c, m);
	if (!err && m->frag == FRAG_FIRST)
		frag_remember(m);
	return err;
}

/*
 * The hook that first saw a flow counts it. If that hook has not seen the
 * flow for HOOK_SILENCE_NS while another one does (the route moved, the
 * first hook was detached), the other hook takes the flow over.
 */
static __always_inline int hook_take_over(struct flow_metrics *s, __u32 fp, __u32 ifindex,
					  __u8 dir, __u64 now)
{
	int taken = 0;

	if ((__s64)(now - s->last_seen) <= HOOK_SILENCE_NS)
		return 0;
	bpf_spin_lock(&s->lock);
	if (s->key_fp == fp && (__s64)(now - s->last_seen) > HOOK_SILENCE_NS) {
		s->ifindex = ifindex;
		s->dir = dir;
		taken = 1;
	}
	bpf_spin_unlock(&s->lock);
	return taken;
}

static __always_inline int flow_account(struct __sk_buff *skb, __u8 dir)
{
	struct pkt_meta m;
	struct flow_metrics *s;
	struct wire w;
	__u64 now;
	int err;

	__builtin_memset(&m, 0, sizeof(m));
	m.wscale = FLOW_WSCALE_NONE;
	err = parse_packet(skb, &m);
	if (err) {
		count(err == PARSE_NON_IP ? CNT_NON_IP : err, 1);
		return TC_ACT_UNSPEC;
	}
	now = flowmon_cfg.replay_mode ? skb->tstamp : bpf_ktime_get_boot_ns();
	wire_fill(skb, &m, &w);
	m.key_fp = key_fingerprint(&m.key);

	s = bpf_map_lookup_elem(&flowmon_stats, &m.key);
	if (!s) {
		if (flow_insert(skb, &m, &w, now, dir) != -EEXIST)
			return TC_ACT_UNSPEC;
		/* another CPU created it first: update that entry */
		s = bpf_map_lookup_elem(&flowmon_stats, &m.key);
		if (!s)
			return TC_ACT_UNSPEC;
	}
	/* memory another flow got after userland deleted ours: start afresh */
	if (s->key_fp != m.key_fp) {
		if (flow_insert(skb, &m, &w, now, dir) == -EEXIST)
			count(CNT_RACE_LOST, w.pkts);
		return TC_ACT_UNSPEC;
	}
	if ((s->ifindex != skb->ifindex || s->dir != dir) &&
	    !hook_take_over(s, m.key_fp, skb->ifindex, dir, now)) {
		count(CNT_OTHER_HOOK, w.pkts);	/* already counted at its first hook */
		return TC_ACT_UNSPEC;
	}
	if (flow_update(s, &m, &w, now) == -EAGAIN &&
	    flow_insert(skb, &m, &w, now, dir) == -EEXIST)
		count(CNT_RACE_LOST, w.pkts);	/* deleted, reused, re-created: give up */
	return TC_ACT_UNSPEC;
}

SEC("tc/ingress")
int flowmon_ingress(struct __sk_buff *skb)
{
	return flow_account(skb, FLOW_DIR_INGRESS);
}

SEC("tc/egress")
int flowmon_egress(struct __sk_buff *skb)
{
	return flow_account(skb, FLOW_DIR_EGRESS);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

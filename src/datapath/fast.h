/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * fast.h - the common case in one pass: a plain packet of a flow that is
 * already metered at this hook.
 *
 * Plain means: an Ethernet header with no tag in the frame, then IPv4
 * without options or fragmentation, or IPv6 with TCP or UDP right after
 * the fixed header; TCP or UDP; lengths consistent with the frame (a
 * GSO/GRO aggregate counts as its segments, as everywhere). A SYN's
 * options go through the general path's option parser (parse.h): a new
 * TCP connection is parsed once, not tried here and parsed again there,
 * which took 60 ns of its first packet's cost. When its flow exists, is
 * counted at this hook, holds a record and needs no split, the packet is
 * added under the entry's lock by the same stats_add() as always. When the
 * flow does not exist, the parse is complete for a first packet too, and
 * the general accounting creates the entry from it without parsing again.
 *
 * Anything else, or any doubt, returns 0 and the general path (parse.h,
 * meter.h) handles the packet from the start. The general path alone gives
 * the same records: the offline engine's tests replay every capture of the
 * corpus with and without this file and require identical output.
 */
#ifndef __FLOWMON_FAST_H
#define __FLOWMON_FAST_H


/*
 * A SYN's options, by the general path's parser, in a function of its
 * own per hook: inlined into the entry point, whose stack holds the
 * packet's fm_meta, the parser's 72-byte copy of the options would push
 * the deepest call chain past the 512-byte stack.
 */
FM_SUBPROG void fast_opts_skb(struct __sk_buff *skb, __u32 off, __u32 len, struct fm_meta *m)
{
	struct fm_pkt p = { .hook = FM_HOOK_SKB, .ctx = skb };

	parse_tcp_opts(&p, off, len, m);
}

#ifndef FM_BCC
FM_SUBPROG void fast_opts_xdp(struct xdp_md *xdp, __u32 off, __u32 len, struct fm_meta *m)
{
	struct fm_pkt p = { .hook = FM_HOOK_XDP, .ctx = xdp };

	parse_tcp_opts(&p, off, len, m);
}
#endif

FM_INLINE void fast_opts(const struct fm_pkt *p, __u32 off, __u32 len, struct fm_meta *m)
{
#ifndef FM_BCC
	if (p->hook == FM_HOOK_XDP) {
		fast_opts_xdp(p->ctx, off, len, m);
		return;
	}
#endif
	fast_opts_skb(p->ctx, off, len, m);
}

FM_INLINE int fast_tcp(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m,
		      __u32 l3_hdr)
{
	struct fm_tcp *th = c->pos;
	__u32 doff;

	if ((void *)(th + 1) > c->end)
		return 0;
	doff = (th->doff_res >> 4) * 4;
	if (doff < sizeof(*th) || l3_hdr + doff > m->l3_len)
		return 0;
	m->key.sport = fm_ntohs(th->source);
	m->key.dport = fm_ntohs(th->dest);
	m->tcp_flags = th->flags | ((th->doff_res & 1) << 8);
	m->seq = fm_ntohl(th->seq);
	m->window = fm_ntohs(th->window);
	m->is_tcp = 1;
	m->hdr_len = l3_hdr + doff;
	m->payload = m->l3_len - l3_hdr - doff;
	if (th->flags & FLOW_TCPF_SYN) {
		m->mss = 0;
		fast_opts(p, (char *)(th + 1) - (char *)c->start, doff - sizeof(*th), m);
	}
	return 1;
}

FM_INLINE int fast_udp(struct hdr_cursor *c, struct fm_meta *m, __u32 l3_hdr)
{
	__u16 *ports = c->pos;

	if ((void *)(ports + 4) > c->end || l3_hdr + 8 > m->l3_len)
		return 0;
	m->key.sport = fm_ntohs(ports[0]);
	m->key.dport = fm_ntohs(ports[1]);
	m->hdr_len = l3_hdr + 8;
	return 1;
}

FM_INLINE int fast_l4(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m,
		     __u32 l3_hdr)
{
	if (m->key.proto == FM_IPPROTO_TCP)
		return fast_tcp(p, c, m, l3_hdr);
	if (m->key.proto == FM_IPPROTO_UDP)
		return fast_udp(c, m, l3_hdr);
	return 0;
}

FM_INLINE int fast_ipv4(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m)
{
	struct fm_ip4 *ip = c->pos;

	if ((void *)(ip + 1) > c->end || ip->vhl != 0x45 ||
	    (ip->frag_off & fm_htons(IP_MF | IP_OFFSET)))
		return 0;
	m->l3_len = fm_ntohs(ip->tot_len);
	if (m->l3_len < sizeof(*ip) || m->l3_len > m->frame_len - ETH_HLEN)
		return 0;
	m->key.ipver = 4;
	m->key.proto = ip->protocol;
	fm_memcpy(m->key.saddr, &ip->saddr, 4);
	fm_memcpy(m->key.daddr, &ip->daddr, 4);
	m->l3_off = ETH_HLEN;
	m->ttl = ip->ttl;
	c->pos = ip + 1;
	return fast_l4(p, c, m, sizeof(*ip));
}

/*
 * An IPv6 address into the key by two 8-byte loads: a byte array at an
 * odd half-word offset otherwise becomes eight 2-byte loads and shifts
 * per address. BPF only (this file is): the verifier lets packet loads be
 * unaligned where the CPU handles them (x86-64, arm64).
 */
FM_INLINE void fast_addr6(__u8 *dst, const __u8 *src)
{
	((__u64 *)dst)[0] = ((const __u64 *)src)[0];
	((__u64 *)dst)[1] = ((const __u64 *)src)[1];
}

FM_INLINE int fast_ipv6(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m)
{
	struct fm_ip6 *ip6 = c->pos;
	__u32 plen;

	if ((void *)(ip6 + 1) > c->end || (ip6->vtc >> 4) != 6)
		return 0;
	plen = fm_ntohs(ip6->payload_len);
	m->l3_len = plen + sizeof(*ip6);
	if (!plen || m->l3_len > m->frame_len - ETH_HLEN)
		return 0;	/* 0: a jumbogram or BIG TCP */
	m->key.ipver = 6;
	m->key.proto = ip6->nexthdr;
	fast_addr6(m->key.saddr, ip6->saddr);
	fast_addr6(m->key.daddr, ip6->daddr);
	m->l3_off = ETH_HLEN;
	m->ttl = ip6->hop_limit;
	c->pos = ip6 + 1;
	return fast_l4(p, c, m, sizeof(*ip6));
}

/*
 * Parse a plain packet into m (key zeroed and frame_len, gso_segs set by
 * the caller). 1 if it is plain, 0 if the general path must parse it.
 */
FM_INLINE int fm_fast_parse(const struct fm_pkt *p, struct fm_meta *m)
{
	struct hdr_cursor c = { .pos = p->data, .end = p->end, .start = p->data };
	struct fm_eth *eth = c.pos;

	if (!p->has_l2 || (void *)(eth + 1) > c.end)
		return 0;
	c.pos = eth + 1;
	if (eth->proto == fm_htons(ETH_P_IP))
		return fast_ipv4(p, &c, m);
	if (eth->proto == fm_htons(ETH_P_IPV6))
		return fast_ipv6(p, &c, m);
	return 0;
}

/*
 * What a record keeps from its first packet, for a flow the fast path found
 * missing: p is the packet fm_fast_parse() accepted (plain, so the headers
 * are where it found them).
 */
FM_INLINE void fm_fast_first(const struct fm_pkt *p, struct fm_meta *m)
{
	struct fm_eth *eth = p->data;
	__u8 *l3 = (__u8 *)(eth + 1);

	if ((void *)(eth + 1) > p->end || l3 + 4 > (__u8 *)p->end)
		return;		/* the verifier's due: fm_fast_parse() checked more */
	m->has_l2 = !p->fake_l2;
	fm_memcpy(m->dmac, eth->dst, ETH_ALEN);
	fm_memcpy(m->smac, eth->src, ETH_ALEN);
	if (m->key.ipver == 4) {
		m->tos = ((struct fm_ip4 *)l3)->tos;
	} else {
		m->tos = ((l3[0] & 0x0f) << 4) | (l3[1] >> 4);
		m->flow_label = ((__u32)(l3[1] & 0x0f) << 16) | ((__u32)l3[2] << 8) | l3[3];
	}
}

#define FM_FAST_OTHER_HOOK	2

/*
 * Account a plain packet if its flow is established here: 1 when done;
 * FM_FAST_OTHER_HOOK when another hook counts its flow (other_hook counted:
 * nothing else to do); 0 when the general path must (it starts afresh:
 * nothing was changed); -1 when the flow is not in the table (m is
 * complete: create it from m).
 */
FM_INLINE int fm_fast_account(struct fm_meta *m)
{
	struct flow_metrics *s = fm_flow_lookup(&m->key);
	struct wire w;
	__u64 now;

	if (!s)
		return -1;
	now = fm_now(m);
	if (s->ifindex != m->ifindex || s->dir != m->dir) {
		/* fm_account()'s rule, without parsing the packet again */
		if ((__s64)(now - s->last_seen) > HOOK_SILENCE_NS)
			return 0;	/* a take-over: the general path does it */
		wire_fill(m, &w);
		fm_count(CNT_OTHER_HOOK, w.pkts);	/* counted at its first hook */
		return FM_FAST_OTHER_HOOK;
	}
	if (!s->arrivals || split_reason(s, m, now))
		return 0;
	m->key_fp = key_fingerprint(&m->key);
	if (entry_lock(s, m->key_fp))
		return 0;
	if (!s->arrivals) {	/* emptied by its reverse's split meanwhile */
		entry_unlock(s, m->key_fp);
		return 0;
	}
	wire_fill(m, &w);	/* a GSO/GRO aggregate: the packets it stands for */
	stats_add_inline(s, m, &w, now);
	m->rec_first = s->first_seen;	/* the record's identity, for plugins */
	m->when = now;
	entry_unlock(s, m->key_fp);
	return 1;
}

#endif /* __FLOWMON_FAST_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * parse.bpf.h - header parsers: each checks its header against data_end
 * before reading it, fills struct pkt_meta and returns 0, or returns the
 * CNT_ERR_* reason (>0) that the packet is counted under instead.
 */
#ifndef __FLOWMON_PARSE_BPF_H
#define __FLOWMON_PARSE_BPF_H

#define PARSE_NON_IP	(-1)

struct hdr_cursor {
	void *pos;
	void *end;
	void *start;	/* skb->data: offsets are taken from here */
};

/* What one skb contributes to its flow. */
struct pkt_meta {
	struct flow_key key;
	__u32 l3_len;		/* bytes from the IP header to the end of this skb's packet */
	__u32 l3_off;		/* offset of the IP header from skb->data */
	__u32 hdr_len;		/* IP (+ extension) + L4 header: repeated in every GSO segment */
	__u32 seq;
	__u32 payload;		/* TCP payload bytes */
	__u32 flow_label;
	__u32 frag_id;
	__u32 frame_len;	/* whole frame, for IP length fields of 0 */
	__u32 key_fp;		/* fingerprint of key (account.bpf.h) */
	__u16 tcp_flags;
	__u16 window;
	__u16 mss;
	__u8 wscale;
	__u8 ttl;
	__u8 tos;
	__u8 is_tcp;
	__u8 frag;		/* FRAG_NONE / FRAG_FIRST / FRAG_LATER */
	__u8 l4_off_ok;
};

enum { FRAG_NONE = 0, FRAG_FIRST, FRAG_LATER };

/*
 * Length of the whole frame, for IP length fields of 0 (TSO, BIG TCP). A
 * replayed capture passes the packet's original length in wire_len, since
 * BPF_PROG_TEST_RUN carries only about a page of it.
 */
static __always_inline __u32 frame_len(struct __sk_buff *skb)
{
	__u32 len = skb->len, wire;

	if (flowmon_cfg.replay_mode) {
		wire = skb->wire_len;
		/* keep two plain loads: a computed ctx offset is rejected */
		asm volatile("" : "+r"(wire));
		if (wire > len)
			return wire;
	}
	return len;
}

#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF

/* 802.1Q C-tag, 802.1ad S-tag, and the pre-standard QinQ S-tag 0x9100 */
static __always_inline int is_vlan(__be16 h_proto)
{
	return h_proto == bpf_htons(ETH_P_8021Q) || h_proto == bpf_htons(ETH_P_8021AD) ||
	       h_proto == bpf_htons(ETH_P_QINQ1);
}

/*
 * Does a header of len bytes at the cursor end inside the IP packet? The
 * frame may go on past it (Ethernet padding, trailers): those bytes are
 * not L4 header, whatever they look like.
 */
static __always_inline int in_packet(const struct hdr_cursor *c, const struct pkt_meta *m,
				     __u32 len)
{
	return (__u32)(c->pos - c->start) + len <= m->l3_off + m->l3_len;
}

/* Ethernet and stacked 802.1Q/802.1ad tags carried in the frame (IEEE 802.1Q). */
static __always_inline int parse_eth(struct hdr_cursor *c, __u16 *proto)
{
	struct ethhdr *eth = c->pos;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return CNT_ERR_L2;
	c->pos = eth + 1;
	h_proto = eth->h_proto;
#pragma unroll
	for (i = 0; i < VLAN_MAX_DEPTH; i++) {
		struct vlan_hdr *vh = c->pos;

		if (!is_vlan(h_proto))
			break;
		if ((void *)(vh + 1) > c->end)
			return CNT_ERR_L2;
		h_proto = vh->h_vlan_encapsulated_proto;
		c->pos = vh + 1;
	}
	if (is_vlan(h_proto))
		return CNT_ERR_L2;	/* deeper than VLAN_MAX_DEPTH */
	*proto = bpf_ntohs(h_proto);
	return 0;
}

/* Remember a first fragment's ports; look them up for the later ones. */
static __always_inline void frag_key_fill(struct frag_key *fk, const struct pkt_meta *m)
{
	__builtin_memset(fk, 0, sizeof(*fk));
	__builtin_memcpy(fk->saddr, m->key.saddr, 16);
	__builtin_memcpy(fk->daddr, m->key.daddr, 16);
	fk->id = m->frag_id;
	/* IPv6 identifies a packet's fragments by addresses and ID alone */
	fk->proto = m->key.ipver == 4 ? m->key.proto : 0;
	fk->ipver = m->key.ipver;
}

static __always_inline void frag_remember(const struct pkt_meta *m)
{
	struct frag_ports fp = {
		.sport = m->key.sport,
		.dport = m->key.dport,
		.proto = m->key.proto,
	};
	struct frag_key fk;

	frag_key_fill(&fk, m);
	bpf_map_update_elem(&flowmon_frags, &fk, &fp, BPF_ANY);
}

static __always_inline void frag_recall(struct pkt_meta *m)
{
	struct frag_ports *fp;
	struct frag_key fk;

	frag_key_fill(&fk, m);
	fp = bpf_map_lookup_elem(&flowmon_frags, &fk);
	if (!fp) {
		count(CNT_FRAG_NO_FIRST, 1);	/* ports stay 0: a portless flow */
		return;
	}
	m->key.sport = fp->sport;
	m->key.dport = fp->dport;
	m->key.proto = fp->proto;	/* IPv6: a header may follow the fragment header */
}

/* RFC 791. Returns 0 or a CNT_ERR_* reason. */
static __always_inline int parse_ipv4(struct __sk_buff *skb, struct hdr_cursor *c,
				      struct pkt_meta *m)
{
	struct iphdr *ip = c->pos;
	__u32 hlen, tot, off;
	__u16 frag;

	if ((void *)(ip + 1) > c->end)
		return CNT_ERR_IP4;
	if (ip->version != 4 || ip->ihl < 5)
		return CNT_ERR_IP4;
	hlen = ip->ihl * 4;
	if (c->pos + hlen > c->end)
		return CNT_ERR_IP4;
	off = c->pos - c->start;
	tot = bpf_ntohs(ip->tot_len);
	if (tot == 0 && m->frame_len > off)
		tot = m->frame_len - off;	/* TSO/BIG TCP: length 0 means "the whole skb" */
	/*
	 * TC ingress runs before ip_rcv() checks lengths: a length field that
	 * claims more than the frame holds would count bytes never sent.
	 */
	if (tot < hlen || tot > m->frame_len - off)
		return CNT_ERR_IP4;

	m->key.ipver = 4;
	m->key.proto = ip->protocol;
	__builtin_memcpy(m->key.saddr, &ip->saddr, 4);
	__builtin_memcpy(m->key.daddr, &ip->daddr, 4);
	m->l3_len = tot;
	m->l3_off = off;
	m->hdr_len = hlen;
	m->ttl = ip->ttl;
	m->tos = ip->tos;
	frag = bpf_ntohs(ip->frag_off);
	m->frag_id = bpf_ntohs(ip->id);
	if (frag & IP_OFFSET)
		m->frag = FRAG_LATER;	/* no L4 header here: never read ports from it */
	else if (frag & IP_MF)
		m->frag = FRAG_FIRST;
	c->pos += hlen;
	return 0;
}

/* State of an IPv6 extension-header walk (kept in memory: few verifier states). */
struct ip6_walk {
	__u32 off;		/* offset of the header to look at, from skb->data */
	__u32 ext_len;		/* extension bytes walked so far */
	__u32 frag_id;
	__u32 limit;		/* end of the IPv6 packet, from skb->data */
	__u8 nh;		/* next header to look at */
	__u8 frag;		/* FRAG_* */
	__u8 err;
	__u8 pad;
};

static __always_inline int ip6_is_ext(__u8 nh)
{
	return nh == IPPROTO_HOPOPTS || nh == IPPROTO_ROUTING || nh == IPPROTO_DSTOPTS ||
	       nh == IPPROTO_FRAGMENT || nh == IPPROTO_AH;
}

/*
 * RFC 8200 4: walk hop-by-hop, routing, destination options, fragment (4.5)
 * and AH (RFC 4302) headers, at most IPV6_EXT_MAX of them; the flow's
 * protocol is the last next-header. Global: verified once.
 */
__noinline int ipv6_walk_ext(struct __sk_buff *skb, struct ip6_walk *w)
{
	int i;

	if (!skb || !w)
		return 0;
	for (i = 0; i < IPV6_EXT_MAX && ip6_is_ext(w->nh); i++) {
		__u8 h[8];	/* next header, length, and a fragment header's rest */
		__u32 elen;
		__u16 fo;

		if (w->off + 2 > w->limit || bpf_skb_load_bytes(skb, w->off, h, sizeof(h)) < 0) {
			w->err = CNT_ERR_IP6_EXT;
			return 0;
		}
		if (w->nh == IPPROTO_FRAGMENT) {
			fo = ((__u16)h[2] << 8) | h[3];
			w->frag_id = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) |
				     ((__u32)h[6] << 8) | h[7];
			if (fo & ~7)
				w->frag = FRAG_LATER;
			else if (fo & 1)
				w->frag = FRAG_FIRST;	/* offset 0, M=0 is atomic (RFC 6946) */
			elen = 8;
		} else if (w->nh == IPPROTO_AH) {
			elen = ((__u32)h[1] + 2) * 4;
		} else {
			elen = ((__u32)h[1] + 1) * 8;
		}
		if (w->off + elen > w->limit) {
			w->err = CNT_ERR_IP6_EXT;	/* runs past the packet's end */
			return 0;
		}
		w->nh = h[0];
		w->off += elen;
		w->ext_len += elen;
		if (w->frag == FRAG_LATER)
			return 0;	/* the rest is payload of another packet's L4 */
	}
	if (ip6_is_ext(w->nh))
		w->err = CNT_ERR_IP6_EXT;	/* chain longer than IPV6_EXT_MAX */
	return 0;
}

/* RFC 8200 3. Returns 0 or a CNT_ERR_* reason. */
static __always_inline int parse_ipv6(struct __sk_buff *skb, struct hdr_cursor *c,
				      struct pkt_meta *m)
{
	struct ipv6hdr *ip6 = c->pos;
	struct ip6_walk w = {};
	__u32 plen, off;

	if ((void *)(ip6 + 1) > c->end)
		return CNT_ERR_IP6;
	if (ip6->version != 6)
		return CNT_ERR_IP6;
	off = c->pos - c->start;
	plen = bpf_ntohs(ip6->payload_len);
	/*
	 * A jumbogram (RFC 2675) says 0 and carries a hop-by-hop header; so does
	 * BIG TCP, which newer kernels send as a plain GSO skb without it.
	 */
	if (plen == 0 && (ip6->nexthdr == IPPROTO_HOPOPTS || skb->gso_size) &&
	    m->frame_len > off + sizeof(*ip6))
		m->l3_len = m->frame_len - off;
	else
		m->l3_len = plen + sizeof(*ip6);
	if (m->l3_len > m->frame_len - off)
		return CNT_ERR_IP6;	/* more than the frame holds (see parse_ipv4) */
	m->l3_off = off;
	m->key.ipver = 6;
	__builtin_memcpy(m->key.saddr, &ip6->saddr, 16);
	__builtin_memcpy(m->key.daddr, &ip6->daddr, 16);
	m->ttl = ip6->hop_limit;
	m->tos = (ip6->priority << 4) | (ip6->flow_lbl[0] >> 4);
	m->flow_label = ((__u32)(ip6->flow_lbl[0] & 0x0f) << 16) |
			((__u32)ip6->flow_lbl[1] << 8) | ip6->flow_lbl[2];
	w.off = off + sizeof(*ip6);
	w.limit = off + m->l3_len;
	w.nh = ip6->nexthdr;
	if (ip6_is_ext(w.nh)) {
		ipv6_walk_ext(skb, &w);
		if (w.err)
			return w.err;
		if (w.ext_len > 512)
			return CNT_ERR_IP6_EXT;
		c->pos = (void *)(ip6 + 1) + (w.ext_len & 0x3ff);
	} else {
		c->pos = ip6 + 1;
	}
	m->frag = w.frag;
	m->frag_id = w.frag_id;
	m->hdr_len = sizeof(*ip6) + w.ext_len;
	m->key.proto = w.nh;
	return 0;
}

/* TCP option bytes, copied out of the packet so one global function parses them. */
struct tcp_optbuf {
	__u8 b[64];
	__u32 len;
	__u16 mss;
	__u8 wscale;
	__u8 pad;
};

/*
 * TCP options (RFC 9293 3.1, RFC 7323): MSS (2) and window scale (3) on
 * SYNs. The whole 40-byte option space is walked; EOL ends it, NOP is one
 * byte, every other kind is skipped by its length. A global (not inlined)
 * function: the verifier checks it once, not once per path that reaches it.
 */
__noinline int parse_tcp_optbuf(struct tcp_optbuf *o)
{
	__u32 len, skip = 0, olen, p;

	if (!o)
		return 0;
	len = o->len;
	/* p walks every byte; skip (data-driven) only decides, never indexes */
	for (p = 0; p < TCP_OPT_SPACE; p++) {
		__u8 kind = o->b[p];

		if (p >= len)
			break;
		if (skip) {
			skip--;
			continue;
		}
		if (kind == 0)		/* end of option list */
			break;
		if (kind == 1)		/* no-operation */
			continue;
		olen = o->b[p + 1];
		if (olen < 2 || p + olen > len)
			break;		/* malformed: stop, keep what we have */
		if (kind == 2 && olen == 4)
			o->mss = ((__u16)o->b[p + 2] << 8) | o->b[p + 3];
		else if (kind == 3 && olen == 3)
			o->wscale = o->b[p + 2] > 14 ? 14 : o->b[p + 2];
		skip = olen - 1;
	}
	return 0;
}

static __always_inline void parse_tcp_opts(struct __sk_buff *skb, __u32 off, __u32 len,
					   struct pkt_meta *m)
{
	struct tcp_optbuf o = {};

	len &= 63;
	if (len == 0 || len > TCP_OPT_SPACE)
		return;
	if (bpf_skb_load_bytes(skb, off, o.b, len) < 0)
		return;
	o.len = len;
	o.wscale = FLOW_WSCALE_NONE;
	parse_tcp_optbuf(&o);
	m->mss = o.mss;
	m->wscale = o.wscale;
}

/*
 * An L4 header cut by the end of the IP packet is malformed, except in a
 * first fragment whose ports (the first 4 bytes) are inside it: RFC 1858's
 * tiny fragments split the TCP header across fragments. Such a packet
 * keeps its ports; nothing else of the header is read.
 */
static __always_inline int first_frag_ports(const struct hdr_cursor *c, struct pkt_meta *m)
{
	if (m->frag == FRAG_FIRST && in_packet(c, m, 4))
		return 0;
	m->key.sport = 0;
	m->key.dport = 0;
	return CNT_ERR_L4;
}

static __always_inline int parse_tcp(struct __sk_buff *skb, struct hdr_cursor *c,
				     struct pkt_meta *m, __u32 l3_hdr)
{
	struct tcphdr *th = c->pos;
	__be16 *ports = c->pos;
	__u8 *fl;
	__u32 doff;
	int opts_in;

	if ((void *)(ports + 2) > c->end)
		return CNT_ERR_L4;
	m->key.sport = bpf_ntohs(ports[0]);
	m->key.dport = bpf_ntohs(ports[1]);
	if ((void *)(th + 1) > c->end || !in_packet(c, m, sizeof(*th)))
		return first_frag_ports(c, m);
	doff = th->doff * 4;
	if (doff < sizeof(*th))
		return first_frag_ports(c, m);
	opts_in = in_packet(c, m, doff);
	if (!opts_in && m->frag != FRAG_FIRST)
		return first_frag_ports(c, m);	/* options cut: malformed */
	fl = (__u8 *)th + 12;	/* data offset + NS, then CWR..FIN */
	m->tcp_flags = fl[1] | ((fl[0] & 1) << 8);
	m->seq = bpf_ntohl(th->seq);
	m->window = bpf_ntohs(th->window);
	m->is_tcp = 1;
	m->hdr_len += doff;
	if (m->l3_len > l3_hdr + doff)
		m->payload = m->l3_len - l3_hdr - doff;
	/* a first fragment may end inside the options: the fixed header stands */
	if ((m->tcp_flags & FLOW_TCPF_SYN) && opts_in)
		parse_tcp_opts(skb, (void *)(th + 1) - c->start, doff - sizeof(*th), m);
	return 0;
}

/* Ports of UDP (RFC 768), UDP-Lite (RFC 3828), SCTP (RFC 9260), DCCP (RFC 4340). */
static __always_inline int parse_ports(struct hdr_cursor *c, struct pkt_meta *m, __u32 hlen)
{
	__be16 *p = c->pos;

	if ((void *)(p + 2) > c->end)
		return CNT_ERR_L4;
	m->key.sport = bpf_ntohs(p[0]);
	m->key.dport = bpf_ntohs(p[1]);
	if (c->pos + hlen > c->end || !in_packet(c, m, hlen))
		return first_frag_ports(c, m);
	m->hdr_len += hlen;
	return 0;
}

/* ICMP (RFC 792) and ICMPv6 (RFC 4443): type in sport, code in dport. */
static __always_inline int parse_icmp(struct hdr_cursor *c, struct pkt_meta *m)
{
	__u8 *h = c->pos;

	if ((void *)(h + 4) > c->end || !in_packet(c, m, 4))
		return CNT_ERR_L4;
	m->key.sport = h[0];
	m->key.dport = h[1];
	m->hdr_len += 8;
	return 0;
}

static __always_inline int parse_l4(struct __sk_buff *skb, struct hdr_cursor *c,
				    struct pkt_meta *m)
{
	__u32 l3_hdr = m->hdr_len;

	if (m->frag == FRAG_LATER) {
		frag_recall(m);
		return 0;
	}
	switch (m->key.proto) {
	case IPPROTO_TCP:
		return parse_tcp(skb, c, m, l3_hdr);
	case IPPROTO_UDP:
	case IPPROTO_UDPLITE:
		return parse_ports(c, m, 8);
	case IPPROTO_SCTP:
	case IPPROTO_DCCP:
		return parse_ports(c, m, 12);
	case IPPROTO_ICMP:
	case IPPROTO_ICMPV6:
		return parse_icmp(c, m);
	default:
		return 0;	/* GRE, ESP, ...: a flow with ports 0 */
	}
}

#endif /* __FLOWMON_PARSE_BPF_H */

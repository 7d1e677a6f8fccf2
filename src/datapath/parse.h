/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * parse.h - header parsers over the packet context (pkt.h): each checks its
 * header against the end of the data before reading it, fills struct
 * fm_meta and returns 0, or returns the CNT_ERR_* reason (> 0) that the
 * packet is counted under instead, or PARSE_NON_IP.
 */
#ifndef __FLOWMON_PARSE_H
#define __FLOWMON_PARSE_H

#define ETH_HLEN	14
#define ETH_ALEN	6
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_P_QINQ1	0x9100

#include "pairing.h"	/* FM_IPPROTO_ICMP, FM_IPPROTO_ICMPV6 */

/* IPv6 extension headers (RFC 8200 4.1) and protocols: uapi macros. */
#define FM_IPPROTO_HOPOPTS	0
#define FM_IPPROTO_TCP		6
#define FM_IPPROTO_UDP		17
#define FM_IPPROTO_DCCP		33
#define FM_IPPROTO_ROUTING	43
#define FM_IPPROTO_FRAGMENT	44
#define FM_IPPROTO_AH		51
#define FM_IPPROTO_DSTOPTS	60
#define FM_IPPROTO_SCTP		132
#define FM_IPPROTO_UDPLITE	136

#define VLAN_MAX_DEPTH	8	/* stacked 802.1Q/802.1ad tags walked in the frame */
#define VLAN_VID_MASK	0x0fff
#define IPV6_EXT_MAX	8	/* IPv6 extension headers walked before giving up */
#define IPV6_EXT_BYTES	512	/* ... or this many bytes of them */
#define TCP_OPT_SPACE	40	/* RFC 9293 3.1: data offset <= 15 words */

#define IP_MF		0x2000
#define IP_OFFSET	0x1FFF

/*
 * Fixed-layout headers, so that the native build needs no kernel headers.
 * Natively they are packed: a frame in a capture buffer puts the IP header
 * at any address (14 bytes of Ethernet after a 4-byte aligned record), and
 * C forbids reading a struct at an address its alignment does not allow
 * (UBSan: "misaligned address"). In BPF the packet is read through the
 * verifier's packet pointers, where the natural layout gives word loads.
 */
#ifdef FM_NATIVE
#define FM_HDR	__attribute__((packed))
#else
#define FM_HDR
#endif

struct fm_eth {
	__u8 dst[ETH_ALEN];
	__u8 src[ETH_ALEN];
	__u16 proto;
} FM_HDR;

struct fm_vlan {
	__u16 tci;
	__u16 proto;
} FM_HDR;

struct fm_ip4 {
	__u8 vhl;		/* version 4 bits, IHL 4 bits */
	__u8 tos;
	__u16 tot_len;
	__u16 id;
	__u16 frag_off;
	__u8 ttl;
	__u8 protocol;
	__u16 check;
	__u32 saddr;
	__u32 daddr;
} FM_HDR;

struct fm_ip6 {
	__u8 vtc;		/* version 4 bits, traffic class high 4 bits */
	__u8 flow[3];		/* traffic class low 4 bits, flow label 20 bits */
	__u16 payload_len;
	__u8 nexthdr;
	__u8 hop_limit;
	__u8 saddr[16];
	__u8 daddr[16];
} FM_HDR;

struct fm_tcp {
	__u16 source;
	__u16 dest;
	__u32 seq;
	__u32 ack_seq;
	__u8 doff_res;		/* data offset 4 bits, reserved 3, NS 1 */
	__u8 flags;		/* CWR ECE URG ACK PSH RST SYN FIN */
	__u16 window;
	__u16 check;
	__u16 urg_ptr;
} FM_HDR;

/* The ports at the start of TCP, UDP, UDP-Lite, SCTP and DCCP headers. */
struct fm_ports {
	__u16 source;
	__u16 dest;
} FM_HDR;

struct hdr_cursor {
	void *pos;
	void *end;
	void *start;	/* the frame's first byte: offsets are taken from here */
#ifdef FM_BCC
	__u32 l4;	/* offset of the IP payload (pos), as a number (below) */
#endif
};

/*
 * BCC's profile parses L4 in another program (tc_flowmon_kern.c), which
 * needs the payload's offset. Taken from the pointer after the parsers,
 * it keeps every path's packet offset alive where the paths meet, and the
 * verifier walks each to the end (over its 1M instructions): so each
 * parser notes it as a number where it moves pos there. Nothing elsewhere.
 */
#ifdef FM_BCC
#define FM_CURSOR_L4(c, off)	((c)->l4 = (off))
#else
#define FM_CURSOR_L4(c, off)	do { } while (0)
#endif

/* 802.1Q C-tag, 802.1ad S-tag, and the pre-standard QinQ S-tag 0x9100 */
FM_INLINE int is_vlan(__u16 h_proto)
{
	return h_proto == fm_htons(ETH_P_8021Q) || h_proto == fm_htons(ETH_P_8021AD) ||
	       h_proto == fm_htons(ETH_P_QINQ1);
}

/*
 * Does a header of len bytes at the cursor end inside the IP packet? The
 * frame may go on past it (Ethernet padding, trailers): those bytes are
 * not L4 header, whatever they look like.
 */
FM_INLINE int in_packet(const struct hdr_cursor *c, const struct fm_meta *m, __u32 len)
{
	return (__u32)((char *)c->pos - (char *)c->start) + len <= m->l3_off + m->l3_len;
}

/* A tag's VLAN ID into the first free of outer/inner (metadata tag first). */
FM_INLINE void vlan_note(struct fm_meta *m, __u16 tci_be)
{
	__u16 vid = fm_ntohs(tci_be) & VLAN_VID_MASK;

	if (!m->vlan_outer && !m->vlan_meta)
		m->vlan_outer = vid;
	else if (!m->vlan_inner)
		m->vlan_inner = vid;
}

/* Ethernet and stacked 802.1Q/802.1ad tags carried in the frame (IEEE 802.1Q). */
FM_INLINE int parse_eth(struct hdr_cursor *c, struct fm_meta *m, __u16 *proto)
{
	struct fm_eth *eth = c->pos;
	__u16 h_proto;
	int i;

	if ((void *)(eth + 1) > c->end)
		return CNT_ERR_L2;
	fm_memcpy(m->dmac, eth->dst, ETH_ALEN);
	fm_memcpy(m->smac, eth->src, ETH_ALEN);
	c->pos = eth + 1;
	h_proto = eth->proto;
	if (is_vlan(h_proto)) {
		FM_UNROLL
		for (i = 0; i < VLAN_MAX_DEPTH; i++) {
			struct fm_vlan *vh = c->pos;

			if (!is_vlan(h_proto))
				break;
			if ((void *)(vh + 1) > c->end)
				return CNT_ERR_L2;
			vlan_note(m, vh->tci);
			h_proto = vh->proto;
			c->pos = vh + 1;
		}
		if (is_vlan(h_proto))
			return CNT_ERR_L2;	/* deeper than VLAN_MAX_DEPTH */
	}
	*proto = fm_ntohs(h_proto);
	return 0;
}

/*
 * Fragments (RFC 791, RFC 8200 4.5). A first fragment stores its ports in
 * flowmon_frags under (addresses, protocol for IPv4, identification); later
 * fragments never read ports from their payload and join that flow.
 *
 * The first fragment wins: an offset-0 fragment that repeats a train's
 * identification with other ports while the train is open joins the first
 * one's flow (its own L4 header is not read), so that nobody can steer a
 * datagram's later fragments into a flow of their choosing by sending a
 * forged first fragment after the real one (the kernel's reassembly keeps
 * the first too, or drops the overlapping datagram). A train closes at its
 * last fragment (offset > 0, no More Fragments): an identification used
 * again after that (a 16-bit IPv4 ID wraps around) starts a new train with
 * its own ports. The closed state is an entry of the same table under the
 * train's key with FRAG_CLOSED set in its ipver: keys of real trains have 4
 * or 6 there.
 */
#define FRAG_CLOSED	0x80

FM_INLINE void frag_key_fill(struct frag_key *fk, const struct fm_meta *m)
{
	fm_memset(fk, 0, sizeof(*fk));
	fm_memcpy(fk->saddr, m->key.saddr, 16);
	fm_memcpy(fk->daddr, m->key.daddr, 16);
	fk->id = m->frag_id;
	/* IPv6 identifies a packet's fragments by addresses and ID alone */
	fk->proto = m->key.ipver == 4 ? m->key.proto : 0;
	fk->ipver = m->key.ipver;
}

/* Mark the train of m closed (its last fragment passed) or open again. */
FM_INLINE void frag_set_closed(const struct fm_meta *m, __u16 closed)
{
	struct frag_ports st = { .sport = closed };
	struct frag_key fk;

	frag_key_fill(&fk, m);
	fk.ipver |= FRAG_CLOSED;
	fm_frag_update(&fk, &st);
}

FM_INLINE int frag_is_closed(const struct frag_key *train)
{
	struct frag_key fk = *train;
	struct frag_ports *st;

	fk.ipver |= FRAG_CLOSED;
	st = fm_frag_lookup(&fk);
	return st && st->sport;
}

/* A first fragment that joins the train's first one: nothing of its L4 header counts. */
FM_INLINE void frag_join_first(struct fm_meta *m, const struct frag_ports *first, __u32 l3_hdr)
{
	m->key.sport = first->sport;
	m->key.dport = first->dport;
	m->key.proto = first->proto;
	m->is_tcp = 0;
	m->tcp_flags = 0;
	m->seq = 0;
	m->window = 0;
	m->payload = 0;
	m->mss = 0;
	m->wscale = FLOW_WSCALE_NONE;
	m->hdr_len = l3_hdr;
}

FM_INLINE void frag_first(struct fm_meta *m, __u32 l3_hdr)
{
	struct frag_ports fp = {
		.sport = m->key.sport,
		.dport = m->key.dport,
		.proto = m->key.proto,
	};
	struct frag_ports *old;
	struct frag_key fk;
	int closed;

	frag_key_fill(&fk, m);
	old = fm_frag_lookup(&fk);
	closed = old && frag_is_closed(&fk);
	if (old && !closed &&
	    (old->sport != fp.sport || old->dport != fp.dport || old->proto != fp.proto)) {
		frag_join_first(m, old, l3_hdr);
		return;
	}
	if (closed)
		frag_set_closed(m, 0);	/* the ID starts a new train */
	fm_frag_update(&fk, &fp);
}

FM_INLINE void frag_recall(struct fm_meta *m)
{
	struct frag_ports *fp;
	struct frag_key fk;

	frag_key_fill(&fk, m);
	fp = fm_frag_lookup(&fk);
	if (!fp) {
		fm_count(CNT_FRAG_NO_FIRST, 1);	/* ports stay 0: a portless flow */
		return;
	}
	m->key.sport = fp->sport;
	m->key.dport = fp->dport;
	m->key.proto = fp->proto;	/* IPv6: a header may follow the fragment header */
}

/* RFC 791. Returns 0 or a CNT_ERR_* reason. */
FM_INLINE int parse_ipv4(struct hdr_cursor *c, struct fm_meta *m)
{
	struct fm_ip4 *ip = c->pos;
	__u32 hlen, tot, off;
	__u16 frag;

	if ((void *)(ip + 1) > c->end)
		return CNT_ERR_IP4;
	if ((ip->vhl >> 4) != 4 || (ip->vhl & 0xf) < 5)
		return CNT_ERR_IP4;
	hlen = (ip->vhl & 0xf) * 4;
	if ((char *)c->pos + hlen > (char *)c->end)
		return CNT_ERR_IP4;
	off = (char *)c->pos - (char *)c->start;
	tot = fm_ntohs(ip->tot_len);
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
	fm_memcpy(m->key.saddr, &ip->saddr, 4);
	fm_memcpy(m->key.daddr, &ip->daddr, 4);
	m->l3_len = tot;
	m->l3_off = off;
	m->hdr_len = hlen;
	FM_CURSOR_L4(c, off + hlen);
	m->ttl = ip->ttl;
	m->tos = ip->tos;
	frag = fm_ntohs(ip->frag_off);
	m->frag_id = fm_ntohs(ip->id);
	if (frag & IP_OFFSET)
		m->frag = FRAG_LATER;	/* no L4 header here: never read ports from it */
	else if (frag & IP_MF)
		m->frag = FRAG_FIRST;
	if ((frag & IP_OFFSET) && !(frag & IP_MF))
		frag_set_closed(m, 1);	/* the train's last fragment */
	c->pos = (char *)c->pos + hlen;
	return 0;
}

/* State of an IPv6 extension-header walk. */
struct ip6_walk {
	__u32 off;		/* offset of the header to look at, from the frame start */
	__u32 ext_len;		/* extension bytes walked so far */
	__u32 frag_id;
	__u32 limit;		/* end of the IPv6 packet, from the frame start */
	__u32 jumbo_len;	/* RFC 2675 Jumbo Payload Length, 0 without the option */
	__u8 nh;		/* next header to look at */
	__u8 frag;		/* FRAG_* */
	__u8 err;
	__u8 jumbo;		/* the chain starts with an 8-byte hop-by-hop jumbo header */
	__u8 last_frag;		/* a fragment with offset > 0 and M=0: its train's last */
};

#define IPV6_TLV_JUMBO	0xC2	/* RFC 2675: Jumbo Payload option, 4 bytes of length */

FM_INLINE int ip6_is_ext(__u8 nh)
{
	return nh == FM_IPPROTO_HOPOPTS || nh == FM_IPPROTO_ROUTING ||
	       nh == FM_IPPROTO_DSTOPTS || nh == FM_IPPROTO_FRAGMENT || nh == FM_IPPROTO_AH;
}

/*
 * RFC 8200 4: walk hop-by-hop, routing, destination options, fragment (4.5)
 * and AH (RFC 4302) headers, at most IPV6_EXT_MAX of them; the flow's
 * protocol is the last next-header. The BPF build wraps it in one global
 * function per hook (verified once, not once per path that reaches it).
 */
FM_INLINE void ipv6_walk_ext_body(const struct fm_pkt *p, struct ip6_walk *w)
{
	int i;

	for (i = 0; i < IPV6_EXT_MAX && ip6_is_ext(w->nh); i++) {
		__u8 h[8];	/* next header, length, and a fragment header's rest */
		__u8 last;	/* the header's last byte: is it there? */
		__u32 elen;
		__u16 fo;

		if (w->off + 2 > w->limit || fm_load_bytes(p, w->off, h, sizeof(h)) < 0) {
			w->err = CNT_ERR_IP6_EXT;
			return;
		}
		/*
		 * RFC 2675 2: the Jumbo Payload option (4n+2 aligned) opens the
		 * hop-by-hop header, which must come first (RFC 8200 4.3)
		 */
		if (!i && w->nh == FM_IPPROTO_HOPOPTS && h[2] == IPV6_TLV_JUMBO && h[3] == 4) {
			w->jumbo = h[1] == 0;
			w->jumbo_len = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) |
				       ((__u32)h[6] << 8) | h[7];
		}
		if (w->nh == FM_IPPROTO_FRAGMENT) {
			fo = ((__u16)h[2] << 8) | h[3];
			w->frag_id = ((__u32)h[4] << 24) | ((__u32)h[5] << 16) |
				     ((__u32)h[6] << 8) | h[7];
			if (fo & ~7)
				w->frag = FRAG_LATER;
			else if (fo & 1)
				w->frag = FRAG_FIRST;	/* offset 0, M=0 is atomic (RFC 6946) */
			w->last_frag = (fo & ~7) && !(fo & 1);
			elen = 8;
		} else if (w->nh == FM_IPPROTO_AH) {
			elen = ((__u32)h[1] + 2) * 4;
		} else {
			elen = ((__u32)h[1] + 1) * 8;
		}
		/* past the packet's end, or past what the capture (or skb) holds */
		if (w->off + elen > w->limit ||
		    fm_load_bytes(p, w->off + elen - 1, &last, 1) < 0) {
			w->err = CNT_ERR_IP6_EXT;
			return;
		}
		w->nh = h[0];
		w->off += elen;
		w->ext_len += elen;
		if (w->frag == FRAG_LATER)
			return;	/* the rest is payload of another packet's L4 */
	}
	if (ip6_is_ext(w->nh))
		w->err = CNT_ERR_IP6_EXT;	/* chain longer than IPV6_EXT_MAX */
}

#ifdef FM_NATIVE
#define ipv6_walk_ext(p, w) ipv6_walk_ext_body(p, w)
#else
FM_GLOBAL int ipv6_walk_ext_skb(struct __sk_buff *skb, struct ip6_walk *w)
{
	struct fm_pkt p = { .ctx = skb, .hook = FM_HOOK_SKB };

	if (skb && w)
		ipv6_walk_ext_body(&p, w);
	return 0;
}

FM_GLOBAL int ipv6_walk_ext_xdp(struct xdp_md *xdp, struct ip6_walk *w)
{
	struct fm_pkt p = { .ctx = xdp, .hook = FM_HOOK_XDP };

	if (xdp && w)
		ipv6_walk_ext_body(&p, w);
	return 0;
}

FM_INLINE void ipv6_walk_ext(const struct fm_pkt *p, struct ip6_walk *w)
{
	if (p->hook == FM_HOOK_XDP)
		ipv6_walk_ext_xdp(p->ctx, w);
	else
		ipv6_walk_ext_skb(p->ctx, w);
}
#endif

/* RFC 8200 3. Returns 0 or a CNT_ERR_* reason. */
FM_INLINE int parse_ipv6(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m)
{
	struct fm_ip6 *ip6 = c->pos;
	struct ip6_walk w = {};
	__u32 plen, off;

	if ((void *)(ip6 + 1) > c->end)
		return CNT_ERR_IP6;
	if ((ip6->vtc >> 4) != 6)
		return CNT_ERR_IP6;
	off = (char *)c->pos - (char *)c->start;
	plen = fm_ntohs(ip6->payload_len);
	/*
	 * A jumbogram (RFC 2675) says 0 and carries a hop-by-hop header; so does
	 * BIG TCP, which newer kernels send as a plain GSO skb without it.
	 */
	if (plen == 0 && (ip6->nexthdr == FM_IPPROTO_HOPOPTS || m->gso_size) &&
	    m->frame_len > off + sizeof(*ip6))
		m->l3_len = m->frame_len - off;
	else
		m->l3_len = plen + sizeof(*ip6);
	if (m->l3_len > m->frame_len - off)
		return CNT_ERR_IP6;	/* more than the frame holds (see parse_ipv4) */
	m->l3_off = off;
	m->key.ipver = 6;
	fm_memcpy(m->key.saddr, ip6->saddr, 16);
	fm_memcpy(m->key.daddr, ip6->daddr, 16);
	m->ttl = ip6->hop_limit;
	m->tos = ((ip6->vtc & 0x0f) << 4) | (ip6->flow[0] >> 4);
	m->flow_label = ((__u32)(ip6->flow[0] & 0x0f) << 16) | ((__u32)ip6->flow[1] << 8) |
			ip6->flow[2];
	w.nh = ip6->nexthdr;
	if (ip6_is_ext(w.nh)) {
		w.off = off + sizeof(*ip6);
		w.limit = off + m->l3_len;
		ipv6_walk_ext(p, &w);
		if (w.err)
			return w.err;
		if (w.ext_len > IPV6_EXT_BYTES)
			return CNT_ERR_IP6_EXT;
		c->pos = (char *)(ip6 + 1) + (w.ext_len & (2 * IPV6_EXT_BYTES - 1));
	} else {
		c->pos = ip6 + 1;
	}
	/*
	 * RFC 2675 3: a jumbogram says 0 and its length is the option's, more
	 * than 65535; like any length field it must not claim more than the
	 * frame holds (the kernel drops both, ipv6_hop_jumbo()).
	 */
	if (!plen && w.jumbo_len) {
		if (w.jumbo_len <= 0xffff || w.jumbo_len > m->frame_len - off - sizeof(*ip6))
			return CNT_ERR_IP6;
		m->l3_len = w.jumbo_len + sizeof(*ip6);
	}
	m->frag = w.frag;
	m->frag_id = w.frag_id;
	m->hdr_len = sizeof(*ip6) + w.ext_len;
	FM_CURSOR_L4(c, off + m->hdr_len);	/* before the BIG TCP trim below: pos */
	m->key.proto = w.nh;
	if (w.last_frag)
		frag_set_closed(m, 1);	/* the train's last fragment */
	/*
	 * BIG TCP: an IPv6 GSO aggregate over 64 KiB carries a hop-by-hop jumbo
	 * header that none of its segments has on the wire (segmentation takes
	 * it out): neither the packet nor its repeated headers count it.
	 */
	if (!plen && w.jumbo && m->gso_segs > 1 && m->gso_size) {
		m->l3_len -= 8;
		m->hdr_len -= 8;
	}
	return 0;
}

/* TCP option bytes, copied out of the packet so that one function parses them. */
#define TCP_OPT_MASK	63	/* an index into tcp_optbuf.b: masked, the verifier sees it in bounds */
#define OPT_BYTE(o, i)	((o)->b[(i) & TCP_OPT_MASK])

struct tcp_optbuf {
	__u8 b[TCP_OPT_MASK + 1];
	__u32 len;
	__u16 mss;
	__u8 wscale;
	__u8 pad;
};

/*
 * TCP options (RFC 9293 3.1, RFC 7323): MSS (2) and window scale (3) on
 * SYNs. One option per round: EOL ends the list, NOP is one byte, every
 * other kind is skipped by its length, so a SYN's usual five options take
 * five rounds. A global (not inlined) function in BPF: the verifier checks
 * it once.
 */
FM_NOINLINE int parse_tcp_optbuf(struct tcp_optbuf *o)
{
	__u32 len, olen, p = 0, round;

	if (!o)
		return 0;
	len = o->len;
	/* every round moves on by a byte at least: TCP_OPT_SPACE rounds suffice */
	for (round = 0; round < TCP_OPT_SPACE; round++) {
		__u8 kind;

		if (p >= len || p >= TCP_OPT_SPACE)
			break;
		/* changes nothing, but bounds whichever register the compiler indexes with */
		fm_barrier_var(p);
		p &= TCP_OPT_MASK;
		kind = OPT_BYTE(o, p);
		if (kind == 0)		/* end of option list */
			break;
		if (kind == 1) {	/* no-operation */
			p++;
			continue;
		}
		olen = OPT_BYTE(o, p + 1);
		if (olen < 2 || p + olen > len)
			break;		/* malformed: stop, keep what we have */
		if (kind == 2 && olen == 4)
			o->mss = ((__u16)OPT_BYTE(o, p + 2) << 8) | OPT_BYTE(o, p + 3);
		else if (kind == 3 && olen == 3)
			o->wscale = OPT_BYTE(o, p + 2) > 14 ? 14 : OPT_BYTE(o, p + 2);
		p += olen;
	}
	return 0;
}

FM_INLINE void parse_tcp_opts(const struct fm_pkt *p, __u32 off, __u32 len, struct fm_meta *m)
{
	struct tcp_optbuf o = {};

	len &= 63;
	if (len == 0 || len > TCP_OPT_SPACE)
		return;
	if (fm_load_bytes(p, off, o.b, len) < 0)
		return;
	o.len = len;
	o.wscale = FLOW_WSCALE_NONE;
	parse_tcp_optbuf(&o);
	m->mss = o.mss;
	m->wscale = o.wscale;
}

/*
 * An L4 header cut short is malformed, in a first fragment as in a whole
 * packet: a first fragment must carry the transport header (RFC 1858 3.2:
 * a "tiny fragment" that splits the TCP header is an attack, dropped by
 * filters; RFC 7112 for IPv6). Its later fragments then find no ports
 * (frag_no_first). Only TCP options may end in the next fragment: the
 * fixed header is whole.
 */
FM_INLINE int l4_cut(struct fm_meta *m)
{
	m->key.sport = 0;
	m->key.dport = 0;
	return CNT_ERR_L4;
}

FM_INLINE int parse_tcp(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m,
			__u32 l3_hdr)
{
	struct fm_tcp *th = c->pos;
	struct fm_ports *ports = c->pos;
	__u32 doff;
	int opts_in;

	if ((void *)(ports + 1) > c->end)
		return CNT_ERR_L4;
	m->key.sport = fm_ntohs(ports->source);
	m->key.dport = fm_ntohs(ports->dest);
	if ((void *)(th + 1) > c->end || !in_packet(c, m, sizeof(*th)))
		return l4_cut(m);
	doff = (th->doff_res >> 4) * 4;
	if (doff < sizeof(*th))
		return l4_cut(m);
	opts_in = in_packet(c, m, doff);
	if (!opts_in && m->frag != FRAG_FIRST)
		return l4_cut(m);	/* options cut: malformed */
	m->tcp_flags = th->flags | ((th->doff_res & 1) << 8);
	m->seq = fm_ntohl(th->seq);
	m->window = fm_ntohs(th->window);
	m->is_tcp = 1;
	m->hdr_len += doff;
	if (m->l3_len > l3_hdr + doff)
		m->payload = m->l3_len - l3_hdr - doff;
	/* a first fragment may end inside the options: the fixed header stands */
	if ((m->tcp_flags & FLOW_TCPF_SYN) && opts_in)
		parse_tcp_opts(p, (char *)(th + 1) - (char *)c->start, doff - sizeof(*th), m);
	return 0;
}

/* Ports of UDP (RFC 768), UDP-Lite (RFC 3828), SCTP (RFC 9260), DCCP (RFC 4340). */
FM_INLINE int parse_ports(struct hdr_cursor *c, struct fm_meta *m, __u32 hlen)
{
	struct fm_ports *ports = c->pos;

	if ((void *)(ports + 1) > c->end)
		return CNT_ERR_L4;
	m->key.sport = fm_ntohs(ports->source);
	m->key.dport = fm_ntohs(ports->dest);
	if ((char *)c->pos + hlen > (char *)c->end || !in_packet(c, m, hlen))
		return l4_cut(m);
	m->hdr_len += hlen;
	return 0;
}

/* ICMP (RFC 792) and ICMPv6 (RFC 4443): type in sport, code in dport. */
FM_INLINE int parse_icmp(struct hdr_cursor *c, struct fm_meta *m)
{
	__u8 *h = c->pos;

	if ((void *)(h + 4) > c->end || !in_packet(c, m, 4))
		return CNT_ERR_L4;
	m->key.sport = h[0];
	m->key.dport = h[1];
	m->hdr_len += 8;
	return 0;
}

FM_INLINE int parse_l4(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m)
{
	__u32 l3_hdr = m->hdr_len;

	if (m->frag == FRAG_LATER) {
		frag_recall(m);
		return 0;
	}
	m->l4_off = (__u16)(m->l3_off + l3_hdr);	/* for plugins (plugin.h) */
	switch (m->key.proto) {
	case FM_IPPROTO_TCP:
		return parse_tcp(p, c, m, l3_hdr);
	case FM_IPPROTO_UDP:
	case FM_IPPROTO_UDPLITE:
		return parse_ports(c, m, 8);
	case FM_IPPROTO_SCTP:
	case FM_IPPROTO_DCCP:
		return parse_ports(c, m, 12);
	case FM_IPPROTO_ICMP:
	case FM_IPPROTO_ICMPV6:
		return parse_icmp(c, m);
	default:
		return 0;	/* GRE, ESP, ...: a flow with ports 0 */
	}
}

/* L2 and IP: 0 with the cursor at the IP payload, or an error as fm_parse's. */
FM_INLINE int fm_parse_l3(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m)
{
	__u16 proto;
	int err;

	m->has_l2 = p->has_l2 && !p->fake_l2;
	if (p->has_l2) {
		err = parse_eth(c, m, &proto);
		if (err)
			return err;
	} else {
		__u8 *v = c->pos;

		/* L3 devices (tun, WireGuard, ...): the frame starts with the IP header */
		if ((void *)(v + 1) > c->end)
			return CNT_ERR_L2;
		if ((*v >> 4) == 4)
			proto = ETH_P_IP;
		else if ((*v >> 4) == 6)
			proto = ETH_P_IPV6;
		else
			return PARSE_NON_IP;
	}
	if (proto == ETH_P_IP)
		return parse_ipv4(c, m);
	if (proto == ETH_P_IPV6)
		return parse_ipv6(p, c, m);
	return PARSE_NON_IP;
}

/* L4 at the cursor fm_parse_l3 left. */
FM_INLINE int fm_parse_l4(const struct fm_pkt *p, struct hdr_cursor *c, struct fm_meta *m)
{
	__u32 l3_hdr = m->hdr_len;
	int err;

	err = parse_l4(p, c, m);
	if (!err && m->frag == FRAG_FIRST)
		frag_first(m, l3_hdr);
	return err;
}

/*
 * The whole packet: L2 (when the hook has one), IP, L4. The caller has
 * zeroed the key and set frame_len, gso_* and the VLAN metadata tag. In
 * two halves: BCC's profile runs them in two programs (tc_flowmon_kern.c).
 */
FM_INLINE int fm_parse(const struct fm_pkt *p, struct fm_meta *m)
{
	struct hdr_cursor c = { .pos = p->data, .end = p->end, .start = p->data };
	int err;

	err = fm_parse_l3(p, &c, m);
	if (err)
		return err;
	return fm_parse_l4(p, &c, m);
}

#endif /* __FLOWMON_PARSE_H */

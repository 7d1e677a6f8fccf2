// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* pktgen.c - the packet builder of pktgen.h: headers pushed in wire order. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "pktgen.h"

static const uint8_t mac_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t mac_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

uint32_t ip4_addr(const char *s)
{
	struct in_addr a;

	if (!s || inet_pton(AF_INET, s, &a) != 1) {
		fprintf(stderr, "pktgen: bad IPv4 literal %s\n", s ? s : "(null)");
		abort();
	}
	return a.s_addr;
}

void ip6_addr(const char *s, uint8_t out[16])
{
	if (!s || inet_pton(AF_INET6, s, out) != 1) {
		fprintf(stderr, "pktgen: bad IPv6 literal %s\n", s ? s : "(null)");
		abort();
	}
}

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v & 0xff;
}

static void put32(uint8_t *b, uint32_t v)
{
	b[0] = v >> 24;
	b[1] = v >> 16;
	b[2] = v >> 8;
	b[3] = v;
}

/* Reserve n zeroed bytes at the end; NULL (and p->overflow) if they do not fit. */
static uint8_t *push(struct pkt *p, size_t n)
{
	uint8_t *h;

	if (p->overflow || p->len + n > sizeof(p->buf)) {
		p->overflow = 1;
		return NULL;
	}
	h = p->buf + p->len;
	memset(h, 0, n);
	p->len += n;
	return h;
}

void pkt_init(struct pkt *p)
{
	memset(p, 0, sizeof(*p));
	p->nh_off = -1;
	p->l3_off = -1;
	p->l4_off = -1;
}

static void set_next(struct pkt *p, uint16_t proto)
{
	if (p->nh_off < 0)
		return;
	if (p->nh_is_etype)
		put16(p->buf + p->nh_off, proto);
	else
		p->buf[p->nh_off] = (uint8_t)proto;
}

/* Link a new header of protocol proto (an EtherType or an IP protocol). */
static void link_next(struct pkt *p, uint16_t proto, int off, int is_etype)
{
	set_next(p, proto);
	p->nh_off = off;
	p->nh_is_etype = is_etype;
}

void pkt_next_proto(struct pkt *p, uint8_t proto)
{
	set_next(p, proto);
}

void pkt_eth(struct pkt *p)
{
	uint8_t *h = push(p, 14);

	if (!h)
		return;
	memcpy(h, mac_dst, 6);
	memcpy(h + 6, mac_src, 6);
	p->nh_off = 12;
	p->nh_is_etype = 1;
}

void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t vid)
{
	int off = (int)p->len;
	uint8_t *h = push(p, 4);

	if (!h)
		return;
	set_next(p, tpid);
	put16(h, vid & 0x0fff);
	p->nh_off = off + 2;
	p->nh_is_etype = 1;
}

void pkt_ethertype(struct pkt *p, uint16_t etype)
{
	set_next(p, etype);
	p->nh_off = -1;
}

void pkt_ipv4(struct pkt *p, const struct ip4_opts *o)
{
	size_t olen = (o->opts_len + 3) & ~(size_t)3;
	int off = (int)p->len;
	uint32_t a;
	uint16_t frag;
	uint8_t *h = push(p, 20 + olen);

	if (!h)
		return;
	set_next(p, ETH_P_IP_);
	h[0] = 0x40 | (uint8_t)((20 + olen) / 4);
	h[1] = o->tos;
	put16(h + 4, o->id);
	frag = (o->frag_off & 0x1fff) | (o->mf ? 0x2000 : 0) | (o->df ? 0x4000 : 0);
	put16(h + 6, frag);
	h[8] = o->ttl0 ? 0 : o->ttl ? o->ttl : 64;
	h[9] = o->proto;
	a = ip4_addr(o->saddr);
	memcpy(h + 12, &a, 4);
	a = ip4_addr(o->daddr);
	memcpy(h + 16, &a, 4);
	if (o->opts_len)
		memcpy(h + 20, o->opts, o->opts_len);	/* the rest stays 0: EOL */
	p->l3_off = off;
	p->ipver = 4;
	p->ip_hlen = (int)(20 + olen);
	p->nh_off = off + 9;
	p->nh_is_etype = 0;
}

void pkt_ipv6(struct pkt *p, const struct ip6_opts *o)
{
	int off = (int)p->len;
	uint8_t *h = push(p, 40);

	if (!h)
		return;
	set_next(p, ETH_P_IPV6_);
	put32(h, (6u << 28) | ((uint32_t)o->tclass << 20) | (o->flow_label & 0xfffff));
	h[6] = o->nexthdr;
	h[7] = o->hop0 ? 0 : o->hop_limit ? o->hop_limit : 64;
	ip6_addr(o->saddr, h + 8);
	ip6_addr(o->daddr, h + 24);
	p->l3_off = off;
	p->ipver = 6;
	p->ip_hlen = 40;
	p->nh_off = off + 6;
	p->nh_is_etype = 0;
}

void pkt_ip6_ext(struct pkt *p, uint8_t type, size_t len)
{
	int off = (int)p->len;
	uint8_t *h;

	if (len < 8 || len % 8 || len > 2048) {
		p->overflow = 1;
		return;
	}
	h = push(p, len);
	if (!h)
		return;
	link_next(p, type, off, 0);
	h[0] = PROTO_NONE;
	h[1] = (uint8_t)(len / 8 - 1);
	if (type == PROTO_ROUTING) {
		h[2] = 4;	/* segment routing header type, segments left 0 */
		h[3] = 0;
	} else {
		h[2] = 1;	/* PadN covering the rest of the header */
		h[3] = (uint8_t)(len - 4);
	}
}

void pkt_ip6_frag(struct pkt *p, uint16_t offset, bool mf, uint32_t id)
{
	int off = (int)p->len;
	uint8_t *h = push(p, 8);

	if (!h)
		return;
	link_next(p, PROTO_FRAGMENT, off, 0);
	h[0] = PROTO_NONE;
	put16(h + 2, (uint16_t)((offset << 3) | (mf ? 1 : 0)));
	put32(h + 4, id);
}

void pkt_ah(struct pkt *p, uint32_t spi, size_t icv_len)
{
	int off = (int)p->len;
	uint8_t *h;

	if (icv_len % 4) {
		p->overflow = 1;
		return;
	}
	h = push(p, 12 + icv_len);
	if (!h)
		return;
	link_next(p, PROTO_AH, off, 0);
	h[0] = PROTO_NONE;
	h[1] = (uint8_t)((12 + icv_len) / 4 - 2);	/* RFC 4302 2.2: 32-bit words minus 2 */
	put32(h + 4, spi);
	put32(h + 8, 1);
}

static uint8_t *push_l4(struct pkt *p, uint8_t proto, size_t n)
{
	int off = (int)p->len;
	uint8_t *h = push(p, n);

	if (!h)
		return NULL;
	set_next(p, proto);
	p->nh_off = -1;
	p->l4_off = off;
	p->l4_proto = proto;
	return h;
}

void pkt_tcp(struct pkt *p, const struct tcp_opts *o)
{
	size_t olen = o->opt ? (o->opt->len + 3) & ~(size_t)3 : 0;
	uint8_t *h = push_l4(p, PROTO_TCP, 20 + olen);

	if (!h)
		return;
	put16(h, o->sport);
	put16(h + 2, o->dport);
	put32(h + 4, o->seq);
	put32(h + 8, o->ack);
	h[12] = (uint8_t)(((20 + olen) / 4) << 4) | ((o->flags >> 8) & 1);
	h[13] = o->flags & 0xff;
	put16(h + 14, o->window);
	if (olen)
		memcpy(h + 20, o->opt->b, o->opt->len);	/* padding stays 0: EOL */
}

void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h = push_l4(p, PROTO_UDP, 8);

	if (!h)
		return;
	put16(h, sport);
	put16(h + 2, dport);
}

void pkt_udplite(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h = push_l4(p, PROTO_UDPLITE, 8);

	if (!h)
		return;
	put16(h, sport);
	put16(h + 2, dport);	/* checksum coverage 0: the whole datagram */
}

void pkt_sctp(struct pkt *p, uint16_t sport, uint16_t dport, uint32_t vtag)
{
	uint8_t *h = push_l4(p, PROTO_SCTP, 12);

	if (!h)
		return;
	put16(h, sport);
	put16(h + 2, dport);
	put32(h + 4, vtag);
}

void pkt_dccp(struct pkt *p, uint16_t sport, uint16_t dport)
{
	uint8_t *h = push_l4(p, PROTO_DCCP, 12);

	if (!h)
		return;
	put16(h, sport);
	put16(h + 2, dport);
	h[4] = 3;	/* data offset: 3 words */
}

void pkt_icmp4(struct pkt *p, uint8_t type, uint8_t code)
{
	uint8_t *h = push_l4(p, PROTO_ICMP, 8);

	if (!h)
		return;
	h[0] = type;
	h[1] = code;
	put16(h + 4, 0x1234);	/* identifier */
	put16(h + 6, 1);	/* sequence */
}

void pkt_icmp6(struct pkt *p, uint8_t type, uint8_t code)
{
	uint8_t *h = push_l4(p, PROTO_ICMPV6, 8);

	if (!h)
		return;
	h[0] = type;
	h[1] = code;
	put16(h + 4, 0x1234);
	put16(h + 6, 1);
}

void pkt_gre(struct pkt *p, uint16_t inner_etype)
{
	uint8_t *h = push_l4(p, PROTO_GRE, 4);

	if (!h)
		return;
	put16(h + 2, inner_etype);
}

void pkt_esp(struct pkt *p, uint32_t spi, uint32_t seq)
{
	uint8_t *h = push_l4(p, PROTO_ESP, 8);

	if (!h)
		return;
	put32(h, spi);
	put32(h + 4, seq);
}

void pkt_arp(struct pkt *p)
{
	uint8_t *h = push(p, 28);
	uint32_t a;

	if (!h)
		return;
	put16(h, 1);		/* Ethernet */
	put16(h + 2, ETH_P_IP_);
	h[4] = 6;
	h[5] = 4;
	put16(h + 6, 1);	/* request */
	memcpy(h + 8, mac_src, 6);
	a = ip4_addr("10.0.0.1");
	memcpy(h + 14, &a, 4);
	a = ip4_addr("10.0.0.2");
	memcpy(h + 24, &a, 4);
}

void pkt_payload(struct pkt *p, size_t n)
{
	uint8_t *h = push(p, n);
	size_t i;

	if (!h)
		return;
	for (i = 0; i < n; i++)
		h[i] = (uint8_t)(i * 7 + 1);
}

void pkt_bytes(struct pkt *p, const void *b, size_t n)
{
	uint8_t *h = push(p, n);

	if (h)
		memcpy(h, b, n);
}

static void ip4_csum(struct pkt *p)
{
	uint8_t *h = p->buf + p->l3_off;
	size_t hlen = (size_t)(h[0] & 0x0f) * 4, i;
	uint32_t sum = 0;

	if (hlen < 20)
		hlen = 20;
	if ((size_t)p->l3_off + hlen > p->len)
		return;
	h[10] = h[11] = 0;
	for (i = 0; i < hlen; i += 2)
		sum += ((uint32_t)h[i] << 8) | h[i + 1];
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	put16(h + 10, (uint16_t)~sum);
}

void pkt_finish(struct pkt *p)
{
	if (p->l3_off >= 0 && p->ipver == 4) {
		put16(p->buf + p->l3_off + 2, (uint16_t)(p->len - p->l3_off));
		ip4_csum(p);
	} else if (p->l3_off >= 0 && p->ipver == 6) {
		put16(p->buf + p->l3_off + 4, (uint16_t)(p->len - p->l3_off - 40));
	}
	if (p->l4_off >= 0 && p->l4_proto == PROTO_UDP)
		put16(p->buf + p->l4_off + 4, (uint16_t)(p->len - p->l4_off));
}

void pkt_cut_frame(struct pkt *p, size_t len)
{
	if (len < p->len)
		p->len = len;
}

void pkt_truncate(struct pkt *p, size_t len)
{
	size_t l3 = p->l3_off;

	pkt_cut_frame(p, len);
	if (p->l3_off < 0 || len < l3 + (p->ipver == 6 ? 40 : 20))
		return;		/* the IP header itself is cut: no length to fix */
	if (p->ipver == 4)
		pkt_set_ip4_tot_len(p, (uint16_t)(len - l3));
	else
		pkt_set_ip6_plen(p, (uint16_t)(len - l3 - 40));
}

void pkt_set_ip4_tot_len(struct pkt *p, uint16_t tot)
{
	put16(p->buf + p->l3_off + 2, tot);
	ip4_csum(p);
}

void pkt_set_ip4_ihl(struct pkt *p, uint8_t ihl)
{
	uint8_t *h = p->buf + p->l3_off;

	h[0] = (h[0] & 0xf0) | (ihl & 0x0f);
	ip4_csum(p);
}

void pkt_set_ip_version(struct pkt *p, uint8_t ver)
{
	uint8_t *h = p->buf + p->l3_off;

	h[0] = (uint8_t)(ver << 4) | (h[0] & 0x0f);
}

void pkt_set_ip6_plen(struct pkt *p, uint16_t plen)
{
	put16(p->buf + p->l3_off + 4, plen);
}

void pkt_set_tcp_doff(struct pkt *p, uint8_t doff)
{
	uint8_t *h = p->buf + p->l4_off;

	h[12] = (uint8_t)(doff << 4) | (h[12] & 0x0f);
}

void tcpopt_init(struct tcp_optbuf_b *o)
{
	memset(o, 0, sizeof(*o));
}

static uint8_t *opt_push(struct tcp_optbuf_b *o, size_t n)
{
	uint8_t *b;

	if (o->len + n > sizeof(o->b)) {
		o->overflow = 1;
		return NULL;
	}
	b = o->b + o->len;
	o->len += n;
	return b;
}

void tcpopt_eol(struct tcp_optbuf_b *o)
{
	uint8_t *b = opt_push(o, 1);

	if (b)
		b[0] = 0;
}

void tcpopt_nop(struct tcp_optbuf_b *o)
{
	uint8_t *b = opt_push(o, 1);

	if (b)
		b[0] = 1;
}

void tcpopt_mss(struct tcp_optbuf_b *o, uint16_t mss)
{
	uint8_t *b = opt_push(o, 4);

	if (!b)
		return;
	b[0] = 2;
	b[1] = 4;
	put16(b + 2, mss);
}

void tcpopt_ws(struct tcp_optbuf_b *o, uint8_t shift)
{
	uint8_t *b = opt_push(o, 3);

	if (!b)
		return;
	b[0] = 3;
	b[1] = 3;
	b[2] = shift;
}

void tcpopt_sackok(struct tcp_optbuf_b *o)
{
	uint8_t *b = opt_push(o, 2);

	if (!b)
		return;
	b[0] = 4;
	b[1] = 2;
}

void tcpopt_ts(struct tcp_optbuf_b *o, uint32_t val, uint32_t ecr)
{
	uint8_t *b = opt_push(o, 10);

	if (!b)
		return;
	b[0] = 8;
	b[1] = 10;
	put32(b + 2, val);
	put32(b + 6, ecr);
}

void tcpopt_kind(struct tcp_optbuf_b *o, uint8_t kind, uint8_t len)
{
	uint8_t *b;
	size_t i;

	if (len < 2) {
		b = opt_push(o, 2);
		if (!b)
			return;
		b[0] = kind;
		b[1] = len;
		return;
	}
	b = opt_push(o, len);
	if (!b)
		return;
	b[0] = kind;
	b[1] = len;
	/* data that looks like an MSS option (2, 4, 0xdead): a parser must skip it */
	for (i = 2; i < len; i++)
		b[i] = (const uint8_t[]){ 2, 4, 0xde, 0xad }[(i - 2) % 4];
}

void tcpopt_nops_to(struct tcp_optbuf_b *o, size_t n)
{
	while (o->len < n && !o->overflow)
		tcpopt_nop(o);
}

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * pktgen.h - a small packet builder for the BPF_PROG_TEST_RUN tests.
 *
 * Headers are pushed in wire order into one buffer:
 *
 *	struct pkt p;
 *
 *	pkt_init(&p);
 *	pkt_eth(&p);
 *	pkt_vlan(&p, ETH_P_8021AD, 100);
 *	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = "10.0.0.1", .daddr = "10.0.0.2" });
 *	pkt_tcp(&p, &(struct tcp_opts){ .sport = 1000, .dport = 80, .flags = TH_SYN });
 *	pkt_payload(&p, 100);
 *	pkt_finish(&p);
 *
 * Each push fills the "next protocol" slot left by the header before it
 * (EtherType, IPv4 protocol, IPv6 next header). pkt_finish() sets the IPv4
 * total length and header checksum, the IPv6 payload length and the UDP /
 * UDP-Lite length from what was pushed. Malformed packets are made after
 * pkt_finish() with the pkt_set_*() and pkt_truncate() helpers, or by not
 * calling pkt_finish() at all (lengths then stay as pushed: 0).
 *
 * Nothing here is checked against the BPF program: tests compute their
 * expectations from the arguments they gave the builder.
 */
#ifndef __FLOWMON_PKTGEN_H
#define __FLOWMON_PKTGEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

/* BPF_PROG_TEST_RUN takes at most a page less head- and tailroom */
#define PKT_MAX		3600

#define ETH_P_IP_	0x0800
#define ETH_P_ARP_	0x0806
#define ETH_P_IPV6_	0x86DD
#define ETH_P_8021Q_	0x8100
#define ETH_P_8021AD_	0x88A8
#define ETH_P_LLDP_	0x88CC

/* IP protocol / IPv6 next-header numbers (IANA). */
#define PROTO_HOPOPTS	0
#define PROTO_ICMP	1
#define PROTO_TCP	6
#define PROTO_DCCP	33
#define PROTO_UDP	17
#define PROTO_ROUTING	43
#define PROTO_FRAGMENT	44
#define PROTO_GRE	47
#define PROTO_ESP	50
#define PROTO_AH	51
#define PROTO_ICMPV6	58
#define PROTO_NONE	59
#define PROTO_DSTOPTS	60
#define PROTO_SCTP	132
#define PROTO_UDPLITE	136

/* TCP flags as the 9 low bits of header bytes 12-13 (RFC 3540 NS = 0x100). */
#define TH_FIN	0x001
#define TH_SYN	0x002
#define TH_RST	0x004
#define TH_PSH	0x008
#define TH_ACK	0x010
#define TH_URG	0x020
#define TH_ECE	0x040
#define TH_CWR	0x080
#define TH_NS	0x100

struct pkt {
	uint8_t buf[PKT_MAX];
	size_t len;		/* bytes in buf (the frame handed to the kernel) */
	int nh_off;		/* where the next pushed header writes its protocol, -1: none */
	int nh_is_etype;	/* nh_off is a 2-byte EtherType (else a 1-byte protocol) */
	int l3_off;		/* start of the IP header, -1: none yet */
	int ipver;
	int ip_hlen;		/* IPv4 header length as built (options included) */
	int l4_off;		/* start of the L4 header, -1: none */
	int l4_proto;
	int overflow;		/* a push did not fit: the packet is unusable */
};

struct ip4_opts {
	const char *saddr;	/* dotted quad */
	const char *daddr;
	uint8_t ttl;		/* 0 means 64; use ttl0 for a real 0 */
	bool ttl0;
	uint8_t tos;
	uint16_t id;
	bool df;
	bool mf;		/* more fragments */
	uint16_t frag_off;	/* fragment offset in 8-byte units */
	uint8_t proto;		/* initial protocol (for a packet without an L4 push) */
	const uint8_t *opts;	/* IP options, padded to 4 bytes with EOL */
	size_t opts_len;
};

struct ip6_opts {
	const char *saddr;	/* RFC 4291 text */
	const char *daddr;
	uint8_t hop_limit;	/* 0 means 64; use hop0 for a real 0 */
	bool hop0;
	uint8_t tclass;		/* full traffic class byte */
	uint32_t flow_label;	/* 20 bits */
	uint8_t nexthdr;	/* initial next header (for nothing pushed after) */
};

struct tcp_optbuf_b {
	uint8_t b[40];
	size_t len;
	int overflow;
};

struct tcp_opts {
	uint16_t sport;
	uint16_t dport;
	uint32_t seq;
	uint32_t ack;
	uint16_t flags;		/* TH_* incl. TH_NS */
	uint16_t window;
	const struct tcp_optbuf_b *opt;	/* options, padded to 4 bytes with EOL */
};

void pkt_init(struct pkt *p);

/* Ethernet II with fixed MACs; the EtherType is filled by the next push. */
void pkt_eth(struct pkt *p);
/* One 802.1Q (ETH_P_8021Q_) or 802.1ad (ETH_P_8021AD_) tag. */
void pkt_vlan(struct pkt *p, uint16_t tpid, uint16_t vid);
/* Set the pending EtherType (ARP, LLDP...): nothing more is linked. */
void pkt_ethertype(struct pkt *p, uint16_t etype);

void pkt_ipv4(struct pkt *p, const struct ip4_opts *o);
void pkt_ipv6(struct pkt *p, const struct ip6_opts *o);

/*
 * IPv6 extension headers. pkt_ip6_ext pushes hop-by-hop (0), routing (43)
 * or destination options (60) of len bytes (a multiple of 8, >= 8), filled
 * with PadN; routing gets type 4 with segments left 0.
 */
void pkt_ip6_ext(struct pkt *p, uint8_t type, size_t len);
/* RFC 8200 4.5: offset in 8-byte units, M flag, identification. */
void pkt_ip6_frag(struct pkt *p, uint16_t offset, bool mf, uint32_t id);
/* RFC 4302: AH with icv_len bytes of ICV (a multiple of 4; 12 for HMAC-96). */
void pkt_ah(struct pkt *p, uint32_t spi, size_t icv_len);

/* Write proto into the pending next-protocol slot (e.g. before a raw payload). */
void pkt_next_proto(struct pkt *p, uint8_t proto);

void pkt_tcp(struct pkt *p, const struct tcp_opts *o);
void pkt_udp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_udplite(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_sctp(struct pkt *p, uint16_t sport, uint16_t dport, uint32_t vtag);
void pkt_dccp(struct pkt *p, uint16_t sport, uint16_t dport);
void pkt_icmp4(struct pkt *p, uint8_t type, uint8_t code);
void pkt_icmp6(struct pkt *p, uint8_t type, uint8_t code);
/* GRE (RFC 2784, 4 bytes: no flags, inner protocol type) and ESP (SPI + sequence). */
void pkt_gre(struct pkt *p, uint16_t inner_etype);
void pkt_esp(struct pkt *p, uint32_t spi, uint32_t seq);
/* A raw ARP request body (28 bytes) after pkt_ethertype(ETH_P_ARP_). */
void pkt_arp(struct pkt *p);

/* n bytes of a counting pattern. */
void pkt_payload(struct pkt *p, size_t n);
/* Raw bytes. */
void pkt_bytes(struct pkt *p, const void *b, size_t n);

/* Fix IP / UDP lengths and the IPv4 header checksum. */
void pkt_finish(struct pkt *p);

/* Malformed packets: call after pkt_finish(). */
/*
 * pkt_truncate: the packet ends after len bytes of frame, and its IP length
 * field says so (a short packet, its last header cut). pkt_cut_frame: only
 * the frame is cut; the IP length still claims the rest.
 */
void pkt_truncate(struct pkt *p, size_t len);
void pkt_cut_frame(struct pkt *p, size_t len);
void pkt_set_ip4_tot_len(struct pkt *p, uint16_t tot);
void pkt_set_ip4_ihl(struct pkt *p, uint8_t ihl);
void pkt_set_ip_version(struct pkt *p, uint8_t ver);
void pkt_set_ip6_plen(struct pkt *p, uint16_t plen);
void pkt_set_tcp_doff(struct pkt *p, uint8_t doff);

/* TCP option builder. */
void tcpopt_init(struct tcp_optbuf_b *o);
void tcpopt_eol(struct tcp_optbuf_b *o);
void tcpopt_nop(struct tcp_optbuf_b *o);
void tcpopt_mss(struct tcp_optbuf_b *o, uint16_t mss);
void tcpopt_ws(struct tcp_optbuf_b *o, uint8_t shift);
void tcpopt_sackok(struct tcp_optbuf_b *o);
void tcpopt_ts(struct tcp_optbuf_b *o, uint32_t val, uint32_t ecr);
/* Any kind with len total bytes (kind, len, len - 2 data bytes); len 0/1 writes it raw. */
void tcpopt_kind(struct tcp_optbuf_b *o, uint8_t kind, uint8_t len);
/* Fill up to n bytes with NOPs. */
void tcpopt_nops_to(struct tcp_optbuf_b *o, size_t n);

/* Address helpers (abort on a bad literal: test bug). */
uint32_t ip4_addr(const char *s);	/* network order */
void ip6_addr(const char *s, uint8_t out[16]);

#endif /* __FLOWMON_PKTGEN_H */

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* linktype.c - turn a captured frame of any IP-carrying link type into an Ethernet frame. */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include "linktype.h"

/*
 * Link-layer header types, as numbered in capture files
 * (https://www.tcpdump.org/linktypes.html). Spelled out here so that this
 * file needs no libpcap header and stays pure.
 */
#define LT_NULL		0	/* BSD loopback: 4-byte AF_ value, capturing host's byte order */
#define LT_EN10MB	1	/* Ethernet (and 802.1Q/802.1ad in the frame) */
#define LT_PPP		9	/* PPP, RFC 1661: optional ff 03, then the PPP protocol */
#define LT_RAW_BSD	12	/* DLT_RAW on most BSDs: raw IPv4 or IPv6 */
#define LT_RAW_OBSD	14	/* DLT_RAW on OpenBSD */
#define LT_PPP_HDLC	50	/* PPP in HDLC-like framing (RFC 1662), or Cisco PPP (0x0f/0x8f) */
#define LT_RAW		101	/* raw IPv4 or IPv6, version from the first nibble */
#define LT_C_HDLC	104	/* Cisco HDLC: address, control, ethertype */
#define LT_LOOP		108	/* OpenBSD loopback: like LT_NULL, AF_ value in network order */
#define LT_LINUX_SLL	113	/* Linux cooked capture v1 */
#define LT_IPV4		228	/* raw IPv4 */
#define LT_IPV6		229	/* raw IPv6 */
#define LT_NFLOG	239	/* Linux netfilter NFLOG: header + netlink TLVs */
#define LT_LINUX_SLL2	276	/* Linux cooked capture v2 */

#define ETH_HDR_LEN	14
#define ETHERTYPE_IPV4	0x0800
#define ETHERTYPE_IPV6	0x86DD
#define ETHERTYPE_VLAN	0x8100
#define ETHERTYPE_QINQ	0x88A8

/* AF_INET is 2 everywhere; AF_INET6 differs between the BSDs (libpcap: LINKTYPE_NULL). */
#define BSD_AF_INET		2
#define BSD_AF_INET6_NETBSD	24	/* NetBSD, OpenBSD, BSD/OS */
#define BSD_AF_INET6_FREEBSD	28	/* FreeBSD, DragonFly BSD */
#define BSD_AF_INET6_DARWIN	30	/* macOS, iOS */

/* Linux values used by the cooked and NFLOG headers. */
#define LINUX_AF_INET		2
#define LINUX_AF_INET6		10
#define LINUX_NFPROTO_BRIDGE	7
#define ARPHRD_NETLINK		824	/* SLL protocol field is a netlink family there */

#define SLL_HDR_LEN	16
#define SLL2_HDR_LEN	20
#define NFLOG_HDR_LEN	4
#define NFLOG_TLV_LEN	4
#define NFULA_PACKET_HDR 1	/* hw_protocol (be16), hook, pad */
#define NFULA_PAYLOAD	9	/* the packet, from its network header */
#define NLA_TYPE_MASK	0x3fff	/* netlink attribute type without NESTED/BYTEORDER flags */

#define PPP_IPV4	0x0021
#define PPP_IPV6	0x0057

#define VLAN_TAG_LEN	4
#define VLAN_WALK_MAX	8	/* tags looked through to find the carried protocol */

/* Locally administered unicast addresses (IEEE 802 U/L bit set). */
static const uint8_t fake_dst[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x02 };
static const uint8_t fake_src[6] = { 0x02, 0x00, 0x00, 0x00, 0x00, 0x01 };

static uint16_t get_be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t get_le32(const uint8_t *p)
{
	return (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}

/* NFLOG TLVs are in the byte order of the host that reads them (libpcap swaps on read). */
static uint16_t get_he16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/*
 * Ethernet header with our addresses and ethertype, then the L3 bytes.
 * A frame longer than outsz is cut to outsz, as a snaplen would: the
 * program reads headers only and takes byte counts from the IP header.
 */
static int wrap_eth(uint16_t ethertype, const uint8_t *l3, uint32_t len, uint8_t *out,
		    uint32_t outsz)
{
	if (outsz < ETH_HDR_LEN)
		return -1;
	if (len > outsz - ETH_HDR_LEN)
		len = outsz - ETH_HDR_LEN;
	memcpy(out, fake_dst, 6);
	memcpy(out + 6, fake_src, 6);
	out[12] = ethertype >> 8;
	out[13] = ethertype & 0xff;
	memcpy(out + ETH_HDR_LEN, l3, len);
	return (int)(ETH_HDR_LEN + len);
}

static int is_vlan(uint16_t ethertype)
{
	return ethertype == ETHERTYPE_VLAN || ethertype == ETHERTYPE_QINQ;
}

/*
 * Whether an ethertype (and the VLAN tags after it, in p) leads to IP. A tag
 * stack cut short counts as IP: the program then sees and counts the
 * truncated header, as it would on the wire.
 */
static int carries_ip(uint16_t ethertype, const uint8_t *p, uint32_t len)
{
	int i;

	for (i = 0; i < VLAN_WALK_MAX && is_vlan(ethertype); i++) {
		if (len < VLAN_TAG_LEN)
			return 1;
		ethertype = get_be16(p + 2);
		p += VLAN_TAG_LEN;
		len -= VLAN_TAG_LEN;
	}
	return ethertype == ETHERTYPE_IPV4 || ethertype == ETHERTYPE_IPV6 || is_vlan(ethertype);
}

/* Ethertype of a raw IP packet, from its version nibble (0: not IP). */
static uint16_t ip_version_ethertype(uint8_t first)
{
	switch (first >> 4) {
	case 4:
		return ETHERTYPE_IPV4;
	case 6:
		return ETHERTYPE_IPV6;
	default:
		return 0;
	}
}

/* DLT_NULL / DLT_LOOP: the AF_ value is accepted in either byte order. */
static int from_null(const uint8_t *pkt, uint32_t caplen, uint8_t *out, uint32_t outsz)
{
	uint32_t be, le;
	int i;
	const uint32_t inet6[] = { BSD_AF_INET6_NETBSD, BSD_AF_INET6_FREEBSD,
				   BSD_AF_INET6_DARWIN };

	if (caplen < 4)
		return -1;
	be = get_be32(pkt);
	le = get_le32(pkt);
	if (be == BSD_AF_INET || le == BSD_AF_INET)
		return wrap_eth(ETHERTYPE_IPV4, pkt + 4, caplen - 4, out, outsz);
	for (i = 0; i < 3; i++) {
		if (be == inet6[i] || le == inet6[i])
			return wrap_eth(ETHERTYPE_IPV6, pkt + 4, caplen - 4, out, outsz);
	}
	return 0;
}

/* Linux cooked v1/v2: the protocol field is an ethertype unless ARPHRD says otherwise. */
static int from_sll(uint16_t proto, uint16_t hatype, const uint8_t *l3, uint32_t len,
		    uint8_t *out, uint32_t outsz)
{
	if (hatype == ARPHRD_NETLINK || !carries_ip(proto, l3, len))
		return 0;
	return wrap_eth(proto, l3, len, out, outsz);
}

/*
 * NFLOG (libpcap LINKTYPE_NFLOG, tcpdump print-nflog.c): family, version
 * and resource id, then TLVs (length includes the 4-byte TLV header, each
 * TLV padded to 4 bytes). The packet is the value of NFULA_PAYLOAD.
 */
static int from_nflog(const uint8_t *pkt, uint32_t caplen, uint8_t *out, uint32_t outsz)
{
	uint16_t ethertype = 0, hw_proto = 0;
	uint32_t off = NFLOG_HDR_LEN;

	if (caplen < NFLOG_HDR_LEN)
		return -1;
	if (pkt[0] == LINUX_AF_INET)
		ethertype = ETHERTYPE_IPV4;
	else if (pkt[0] == LINUX_AF_INET6)
		ethertype = ETHERTYPE_IPV6;
	else if (pkt[0] != LINUX_NFPROTO_BRIDGE)
		return 0;
	while (caplen - off >= NFLOG_TLV_LEN) {
		uint32_t tlen = get_he16(pkt + off);
		uint32_t type = get_he16(pkt + off + 2) & NLA_TYPE_MASK;
		uint32_t vlen;

		if (tlen < NFLOG_TLV_LEN)
			return -1;	/* malformed: the walk cannot go on */
		vlen = tlen - NFLOG_TLV_LEN;
		if (vlen > caplen - off - NFLOG_TLV_LEN)
			vlen = caplen - off - NFLOG_TLV_LEN;	/* cut by the snaplen */
		if (type == NFULA_PACKET_HDR && vlen >= 2)
			hw_proto = get_be16(pkt + off + NFLOG_TLV_LEN);
		if (type == NFULA_PAYLOAD) {
			/* bridge family: the packet header TLV comes first and names it */
			if (!ethertype)
				ethertype = hw_proto == ETHERTYPE_IPV4 || hw_proto == ETHERTYPE_IPV6 ?
					    hw_proto : 0;
			if (!ethertype)
				return 0;
			return wrap_eth(ethertype, pkt + off + NFLOG_TLV_LEN, vlen, out, outsz);
		}
		tlen = (tlen + 3) & ~3u;
		if (tlen > caplen - off)
			break;
		off += tlen;
	}
	return 0;	/* no payload attribute: nothing to count */
}

/* PPP protocol field (RFC 1661 2, protocol-field compression allowed). */
static int from_ppp(const uint8_t *pkt, uint32_t caplen, uint8_t *out, uint32_t outsz)
{
	uint32_t off = 0;
	uint16_t proto;

	if (caplen >= 2 && pkt[0] == 0xff && pkt[1] == 0x03)
		off = 2;	/* HDLC address and control */
	if (caplen < off + 1)
		return -1;
	if (pkt[off] & 1) {
		proto = pkt[off];
		off += 1;
	} else {
		if (caplen < off + 2)
			return -1;
		proto = get_be16(pkt + off);
		off += 2;
	}
	if (proto == PPP_IPV4)
		return wrap_eth(ETHERTYPE_IPV4, pkt + off, caplen - off, out, outsz);
	if (proto == PPP_IPV6)
		return wrap_eth(ETHERTYPE_IPV6, pkt + off, caplen - off, out, outsz);
	return 0;
}

/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, ethertype. */
static int from_chdlc(const uint8_t *pkt, uint32_t caplen, uint8_t *out, uint32_t outsz)
{
	uint16_t proto;

	if (caplen < 4)
		return -1;
	proto = get_be16(pkt + 2);
	if (proto != ETHERTYPE_IPV4 && proto != ETHERTYPE_IPV6)
		return 0;
	return wrap_eth(proto, pkt + 4, caplen - 4, out, outsz);
}

/* Bytes of link header before the IP header, at least; -1 for a link type we cannot read. */
static int link_header_min(int linktype)
{
	switch (linktype) {
	case LT_EN10MB:
		return ETH_HDR_LEN;
	case LT_RAW:
	case LT_RAW_BSD:
	case LT_RAW_OBSD:
	case LT_IPV4:
	case LT_IPV6:
		return 0;
	case LT_NULL:
	case LT_LOOP:
	case LT_C_HDLC:
		return 4;
	case LT_LINUX_SLL:
		return SLL_HDR_LEN;
	case LT_LINUX_SLL2:
		return SLL2_HDR_LEN;
	case LT_NFLOG:
		return NFLOG_HDR_LEN + NFLOG_TLV_LEN;
	case LT_PPP:
	case LT_PPP_HDLC:
		return 1;	/* a compressed protocol field (RFC 1661 6.5) */
	default:
		return -1;
	}
}

bool linktype_supported(int linktype)
{
	return link_header_min(linktype) >= 0;
}

/*
 * A capture cut shorter than the link header and a minimal IPv4 header (20
 * bytes, RFC 791) holds no flow at all: its snapshot length is refused.
 */
int linktype_min_snaplen(int linktype)
{
	int hdr = link_header_min(linktype);

	return hdr < 0 ? -1 : hdr + 20;
}

int frame_to_eth(int linktype, const uint8_t *pkt, uint32_t caplen, uint8_t *out,
		 uint32_t outsz)
{
	uint16_t ethertype;

	switch (linktype) {
	case LT_EN10MB:
		/* as it is: the program parses VLAN tags and counts non-IP itself */
		if (caplen < ETH_HDR_LEN || outsz < ETH_HDR_LEN)
			return -1;
		if (caplen > outsz)
			caplen = outsz;
		memcpy(out, pkt, caplen);
		return (int)caplen;
	case LT_RAW:
	case LT_RAW_BSD:
	case LT_RAW_OBSD:
		if (caplen < 1)
			return -1;
		ethertype = ip_version_ethertype(pkt[0]);
		return ethertype ? wrap_eth(ethertype, pkt, caplen, out, outsz) : 0;
	case LT_IPV4:
	case LT_IPV6:
		if (caplen < 1)
			return -1;
		ethertype = linktype == LT_IPV4 ? ETHERTYPE_IPV4 : ETHERTYPE_IPV6;
		return wrap_eth(ethertype, pkt, caplen, out, outsz);
	case LT_NULL:
	case LT_LOOP:
		return from_null(pkt, caplen, out, outsz);
	case LT_LINUX_SLL:
		if (caplen < SLL_HDR_LEN)
			return -1;
		return from_sll(get_be16(pkt + 14), get_be16(pkt + 2), pkt + SLL_HDR_LEN,
				caplen - SLL_HDR_LEN, out, outsz);
	case LT_LINUX_SLL2:
		if (caplen < SLL2_HDR_LEN)
			return -1;
		return from_sll(get_be16(pkt), get_be16(pkt + 8), pkt + SLL2_HDR_LEN,
				caplen - SLL2_HDR_LEN, out, outsz);
	case LT_NFLOG:
		return from_nflog(pkt, caplen, out, outsz);
	case LT_PPP:
		return from_ppp(pkt, caplen, out, outsz);
	case LT_PPP_HDLC:
		if (caplen >= 1 && (pkt[0] == 0x0f || pkt[0] == 0x8f))
			return from_chdlc(pkt, caplen, out, outsz);
		return from_ppp(pkt, caplen, out, outsz);
	case LT_C_HDLC:
		return from_chdlc(pkt, caplen, out, outsz);
	default:
		return 0;	/* no IP we know how to find */
	}
}

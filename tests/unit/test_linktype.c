// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_linktype.c - frame_to_eth() on hand-built frames of every link type it knows. */
#include <stdint.h>
#include <string.h>
#include "linktype.h"
#include "testlib.h"

/* A 20-byte IPv4 header (UDP, 10.0.0.1 -> 10.0.0.2) with 4 bytes of payload. */
static const uint8_t ip4[24] = {
	0x45, 0x00, 0x00, 0x18, 0x12, 0x34, 0x00, 0x00, 0x40, 0x11, 0x00, 0x00,
	10, 0, 0, 1, 10, 0, 0, 2, 0xde, 0xad, 0xbe, 0xef,
};

/* A 40-byte IPv6 header (no next header, ::1 -> ::2) with 4 bytes of payload. */
static const uint8_t ip6[44] = {
	0x60, 0x00, 0x00, 0x00, 0x00, 0x04, 0x3b, 0x40,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2,
	0xde, 0xad, 0xbe, 0xef,
};

static uint8_t in[512];
static uint8_t out[512];

/* in = hdr followed by body; returns the total length. */
static uint32_t build(const void *hdr, uint32_t hlen, const void *body, uint32_t blen)
{
	memcpy(in, hdr, hlen);
	if (blen)	/* body may be NULL then: memcpy(NULL, 0) is undefined */
		memcpy(in + hlen, body, blen);
	return hlen + blen;
}

/* out must be our Ethernet header with this ethertype, then exactly l3. */
static int eth_is(int len, uint16_t ethertype, const uint8_t *l3, uint32_t l3len)
{
	if (len != (int)(14 + l3len))
		return 0;
	if (out[0] & 1 || !(out[0] & 2) || out[6] & 1 || !(out[6] & 2))
		return 0;	/* unicast, locally administered */
	if (!memcmp(out, out + 6, 6))
		return 0;
	if (out[12] != ethertype >> 8 || out[13] != (ethertype & 0xff))
		return 0;
	return !memcmp(out + 14, l3, l3len);
}

static int conv(int linktype, uint32_t len)
{
	memset(out, 0xaa, sizeof(out));
	return frame_to_eth(linktype, in, len, out, sizeof(out));
}

TEST(linktype_en10mb_as_is)
{
	static const uint8_t eth[14] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0x08, 0x00 };
	uint32_t n = build(eth, sizeof(eth), ip4, sizeof(ip4));

	CHECK_EQ(conv(1, n), n);
	CHECK(!memcmp(out, in, n));
	/* ARP goes through too: the program counts non-IP frames itself */
	in[12] = 0x08;
	in[13] = 0x06;
	CHECK_EQ(conv(1, n), n);
	CHECK_EQ(conv(1, 13), -1);
	CHECK_EQ(conv(1, 0), -1);
}

TEST(linktype_raw_by_version)
{
	static const int raw[] = { 101, 12, 14 };
	uint32_t n;
	int i;

	for (i = 0; i < 3; i++) {
		n = build(ip4, sizeof(ip4), NULL, 0);
		CHECK(eth_is(conv(raw[i], n), 0x0800, ip4, sizeof(ip4)));
		n = build(ip6, sizeof(ip6), NULL, 0);
		CHECK(eth_is(conv(raw[i], n), 0x86dd, ip6, sizeof(ip6)));
		in[0] = 0x50;	/* version 5: not IP */
		CHECK_EQ(conv(raw[i], n), 0);
		CHECK_EQ(conv(raw[i], 0), -1);
	}
	/* one byte of IPv4 is enough to say what it is: the program counts the rest */
	n = build(ip4, 1, NULL, 0);
	CHECK(eth_is(conv(101, n), 0x0800, ip4, 1));
}

TEST(linktype_ipv4_ipv6_fixed)
{
	uint32_t n = build(ip4, sizeof(ip4), NULL, 0);

	CHECK(eth_is(conv(228, n), 0x0800, ip4, sizeof(ip4)));
	n = build(ip6, sizeof(ip6), NULL, 0);
	CHECK(eth_is(conv(229, n), 0x86dd, ip6, sizeof(ip6)));
	/* the link type decides, not the nibble: a bad version is the program's to count */
	CHECK(eth_is(conv(228, n), 0x0800, ip6, sizeof(ip6)));
	CHECK_EQ(conv(228, 0), -1);
	CHECK_EQ(conv(229, 0), -1);
}

TEST(linktype_null_loop_families)
{
	static const uint8_t v4_le[4] = { 2, 0, 0, 0 }, v4_be[4] = { 0, 0, 0, 2 };
	static const uint32_t af6[] = { 24, 28, 30 };
	static const int lt[] = { 0, 108 };
	uint8_t h[4];
	uint32_t n;
	int i, j;

	for (j = 0; j < 2; j++) {
		n = build(v4_le, 4, ip4, sizeof(ip4));
		CHECK(eth_is(conv(lt[j], n), 0x0800, ip4, sizeof(ip4)));
		n = build(v4_be, 4, ip4, sizeof(ip4));
		CHECK(eth_is(conv(lt[j], n), 0x0800, ip4, sizeof(ip4)));
		for (i = 0; i < 3; i++) {
			h[0] = af6[i];	/* little-endian capturing host */
			h[1] = h[2] = h[3] = 0;
			n = build(h, 4, ip6, sizeof(ip6));
			CHECK(eth_is(conv(lt[j], n), 0x86dd, ip6, sizeof(ip6)));
			h[3] = af6[i];	/* big-endian capturing host */
			h[0] = 0;
			n = build(h, 4, ip6, sizeof(ip6));
			CHECK(eth_is(conv(lt[j], n), 0x86dd, ip6, sizeof(ip6)));
		}
		h[0] = 10;	/* Linux AF_INET6: not a BSD value */
		h[1] = h[2] = h[3] = 0;
		n = build(h, 4, ip6, sizeof(ip6));
		CHECK_EQ(conv(lt[j], n), 0);
		h[0] = 7;	/* AF_OSI and friends */
		n = build(h, 4, ip4, sizeof(ip4));
		CHECK_EQ(conv(lt[j], n), 0);
		CHECK_EQ(conv(lt[j], 3), -1);
	}
	/* header only: an IPv4 frame with nothing in it, for the program to count */
	n = build(v4_le, 4, NULL, 0);
	CHECK_EQ(conv(0, n), 14);
}

/* Linux cooked v1: packet type, ARPHRD, address length, 8 address bytes, protocol. */
static uint32_t sll(uint16_t hatype, uint16_t proto, const void *body, uint32_t blen)
{
	uint8_t h[16] = { 0, 0, hatype >> 8, hatype & 0xff, 0, 6, 1, 2, 3, 4, 5, 6, 0, 0,
			  proto >> 8, proto & 0xff };

	return build(h, sizeof(h), body, blen);
}

/* Linux cooked v2: protocol, reserved, ifindex, ARPHRD, packet type, address length, address. */
static uint32_t sll2(uint16_t hatype, uint16_t proto, const void *body, uint32_t blen)
{
	uint8_t h[20] = { proto >> 8, proto & 0xff, 0, 0, 0, 0, 0, 3, hatype >> 8, hatype & 0xff,
			  4, 6, 1, 2, 3, 4, 5, 6, 0, 0 };

	return build(h, sizeof(h), body, blen);
}

TEST(linktype_sll)
{
	uint8_t tagged[4 + sizeof(ip4)] = { 0x00, 0x2a, 0x08, 0x00 };
	uint32_t n;

	n = sll(1, 0x0800, ip4, sizeof(ip4));
	CHECK(eth_is(conv(113, n), 0x0800, ip4, sizeof(ip4)));
	n = sll(772, 0x86dd, ip6, sizeof(ip6));	/* loopback */
	CHECK(eth_is(conv(113, n), 0x86dd, ip6, sizeof(ip6)));
	n = sll(1, 0x0806, ip4, 8);		/* ARP */
	CHECK_EQ(conv(113, n), 0);
	n = sll(1, 0x0004, ip4, 8);		/* 802.2 LLC */
	CHECK_EQ(conv(113, n), 0);
	n = sll(824, 0x0800, ip4, sizeof(ip4));	/* netlink: the field is not an ethertype */
	CHECK_EQ(conv(113, n), 0);
	/* a VLAN tag libpcap put back: the frame keeps it, the program walks it */
	memcpy(tagged + 4, ip4, sizeof(ip4));
	n = sll(1, 0x8100, tagged, sizeof(tagged));
	CHECK(eth_is(conv(113, n), 0x8100, tagged, sizeof(tagged)));
	tagged[2] = 0x08;
	tagged[3] = 0x06;
	n = sll(1, 0x8100, tagged, sizeof(tagged));
	CHECK_EQ(conv(113, n), 0);
	n = sll(1, 0x0800, NULL, 0);
	CHECK_EQ(conv(113, n), 14);
	CHECK_EQ(conv(113, 15), -1);
}

TEST(linktype_sll2)
{
	uint32_t n;

	n = sll2(1, 0x0800, ip4, sizeof(ip4));
	CHECK(eth_is(conv(276, n), 0x0800, ip4, sizeof(ip4)));
	n = sll2(1, 0x86dd, ip6, sizeof(ip6));
	CHECK(eth_is(conv(276, n), 0x86dd, ip6, sizeof(ip6)));
	n = sll2(1, 0x0806, ip4, 8);
	CHECK_EQ(conv(276, n), 0);
	n = sll2(824, 0x0800, ip4, sizeof(ip4));
	CHECK_EQ(conv(276, n), 0);
	CHECK_EQ(conv(276, 19), -1);
}

/* Append one NFLOG TLV (host byte order, padded to 4) at *off. */
static void tlv(uint32_t *off, uint16_t type, const void *v, uint16_t vlen)
{
	uint16_t len = 4 + vlen;

	memcpy(in + *off, &len, 2);
	memcpy(in + *off + 2, &type, 2);
	memcpy(in + *off + 4, v, vlen);
	memset(in + *off + 4 + vlen, 0, ((len + 3) & ~3) - len);
	*off += (len + 3) & ~3;
}

static uint32_t nflog_hdr(uint8_t family)
{
	in[0] = family;
	in[1] = 0;	/* version */
	in[2] = 0;
	in[3] = 5;	/* resource id (group), big endian */
	return 4;
}

TEST(linktype_nflog)
{
	static const uint8_t pkthdr_v4[4] = { 0x08, 0x00, 3, 0 };
	static const char prefix[] = "drop:";	/* 6 bytes with the NUL: padded */
	uint32_t mark = 7, n;

	/* packet header, prefix, mark, then the payload */
	n = nflog_hdr(2);
	tlv(&n, 1, pkthdr_v4, 4);
	tlv(&n, 10, prefix, sizeof(prefix));
	tlv(&n, 2, &mark, 4);
	tlv(&n, 9, ip4, sizeof(ip4));
	CHECK(eth_is(conv(239, n), 0x0800, ip4, sizeof(ip4)));
	/* payload cut by the snaplen: what was captured goes through */
	CHECK(eth_is(conv(239, n - 4), 0x0800, ip4, sizeof(ip4) - 4));

	n = nflog_hdr(10);
	tlv(&n, 10, prefix, sizeof(prefix));
	tlv(&n, 9 | 0x4000, ip6, sizeof(ip6));	/* NLA_F_NET_BYTEORDER: same attribute */
	CHECK(eth_is(conv(239, n), 0x86dd, ip6, sizeof(ip6)));

	/* bridge family: the packet header's hw_protocol names the payload */
	n = nflog_hdr(7);
	tlv(&n, 1, pkthdr_v4, 4);
	tlv(&n, 9, ip4, sizeof(ip4));
	CHECK(eth_is(conv(239, n), 0x0800, ip4, sizeof(ip4)));

	n = nflog_hdr(2);		/* no payload attribute */
	tlv(&n, 10, prefix, sizeof(prefix));
	CHECK_EQ(conv(239, n), 0);
	n = nflog_hdr(3);		/* AF_AX25: not IP */
	tlv(&n, 9, ip4, sizeof(ip4));
	CHECK_EQ(conv(239, n), 0);
	n = nflog_hdr(2);		/* a TLV shorter than its own header */
	tlv(&n, 10, prefix, sizeof(prefix));
	memset(in + n, 0, 4);
	n += 4;
	CHECK_EQ(conv(239, n), -1);
	CHECK_EQ(conv(239, 3), -1);
}

TEST(linktype_ppp_hdlc)
{
	static const uint8_t ppp_full[4] = { 0xff, 0x03, 0x00, 0x21 };
	static const uint8_t ppp_pfc[1] = { 0x21 };
	static const uint8_t ppp_v6[2] = { 0x00, 0x57 };
	static const uint8_t ppp_lcp[4] = { 0xff, 0x03, 0xc0, 0x21 };
	static const uint8_t chdlc_v6[4] = { 0x0f, 0x00, 0x86, 0xdd };
	static const uint8_t chdlc_cdp[4] = { 0x8f, 0x00, 0x20, 0x00 };
	uint32_t n;

	n = build(ppp_full, 4, ip4, sizeof(ip4));
	CHECK(eth_is(conv(9, n), 0x0800, ip4, sizeof(ip4)));
	CHECK(eth_is(conv(50, n), 0x0800, ip4, sizeof(ip4)));
	n = build(ppp_pfc, 1, ip4, sizeof(ip4));
	CHECK(eth_is(conv(9, n), 0x0800, ip4, sizeof(ip4)));
	n = build(ppp_v6, 2, ip6, sizeof(ip6));
	CHECK(eth_is(conv(9, n), 0x86dd, ip6, sizeof(ip6)));
	n = build(ppp_lcp, 4, ip4, 8);
	CHECK_EQ(conv(9, n), 0);
	n = build(chdlc_v6, 4, ip6, sizeof(ip6));
	CHECK(eth_is(conv(104, n), 0x86dd, ip6, sizeof(ip6)));
	CHECK(eth_is(conv(50, n), 0x86dd, ip6, sizeof(ip6)));
	n = build(chdlc_cdp, 4, ip4, 8);
	CHECK_EQ(conv(104, n), 0);
	CHECK_EQ(conv(104, 3), -1);
	n = build(ppp_full, 3, NULL, 0);
	CHECK_EQ(conv(9, n), -1);
}

TEST(linktype_unknown_and_sizes)
{
	uint32_t n = build(ip4, sizeof(ip4), NULL, 0);
	int len;

	CHECK_EQ(conv(105, n), 0);	/* 802.11: no IP we can find */
	CHECK_EQ(conv(147, n), 0);	/* a user link type */
	/* a frame longer than the buffer is cut to it, like a snaplen */
	len = frame_to_eth(101, in, n, out, 20);
	CHECK_EQ(len, 20);
	CHECK(!memcmp(out + 14, ip4, 6));
	CHECK_EQ(frame_to_eth(101, in, n, out, 13), -1);
	in[12] = 0x08;
	in[13] = 0x00;
	CHECK_EQ(frame_to_eth(1, in, 30, out, 20), 20);
	CHECK(!memcmp(out, in, 20));
}

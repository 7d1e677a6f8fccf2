// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_malformed.c - BPF_PROG_TEST_RUN: broken packets count as CNT_ERR_*, never as a flow. */
#include <errno.h>
#include "fixture.h"

#define A4 "10.2.0.1"
#define B4 "10.2.0.2"
#define A6 "2001:db8:2::1"
#define B6 "2001:db8:2::2"

/* Run the packet on both hooks: each is one error of kind cnt, and no entry appears. */
static void expect_error(void (*build)(struct pkt *p), int cnt)
{
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	build(&p);
	RUN(&f, &p, .ts = T0);
	RUN(&f, &p, .ts = T0 + 1, .egress = true);
	CHECK_EQ(fx_count_flows(&f), 0);
	{
		uint64_t exp[CNT_MAX] = { 0 };

		exp[cnt] = 2;
		fx_check_counters(&f, exp, __FILE__, __LINE__);
	}
	fx_close(&f);
}

#define MALFORMED(name, cnt)                                                \
	static void build_##name(struct pkt *p);                            \
	BPF_TEST_XDP(malformed_##name)                                        \
	{                                                                   \
		expect_error(build_##name, cnt);                            \
	}                                                                   \
	static void build_##name(struct pkt *p)

static void v4_udp(struct pkt *p, size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_udp(p, 1, 2);
	pkt_payload(p, payload);
	pkt_finish(p);
}

/* The frame ends before the IP length field says: counted as an IP error. */
MALFORMED(ipv4_length_beyond_frame, CNT_ERR_IP4)
{
	v4_udp(p, 100);
	pkt_cut_frame(p, 14 + 20 + 8 + 50);
}

MALFORMED(ipv6_length_beyond_frame, CNT_ERR_IP6)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_udp(p, 1, 2);
	pkt_payload(p, 100);
	pkt_finish(p);
	pkt_cut_frame(p, 14 + 40 + 8 + 50);
}

/* A VLAN tag announced by the EtherType but absent (a 14-byte frame). */
MALFORMED(vlan_tag_missing, CNT_ERR_L2)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ethertype(p, ETH_P_8021Q_);
}

/* Half a tag: 802.1ad, then the frame ends after 2 of its 4 bytes. */
MALFORMED(vlan_tag_truncated, CNT_ERR_L2)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_vlan(p, ETH_P_8021AD_, 10);
	pkt_vlan(p, ETH_P_8021Q_, 20);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_udp(p, 1, 2);
	pkt_finish(p);
	pkt_truncate(p, 14 + 4 + 2);
}

/*
 * BPF_PROG_TEST_RUN refuses (EINVAL) an untagged IPv4/IPv6 frame shorter
 * than the fixed IP header: the kernel checks it before the program runs.
 * Behind a VLAN tag the kernel sees EtherType 0x8100 and lets it through,
 * so that is how these cases reach the program's own checks.
 */
BPF_TEST(truncated_ip_header_refused_by_kernel)
{
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ethertype(&p, ETH_P_IP_);
	CHECK_EQ(fx_run_raw(&f, p.buf, p.len, &(struct fx_run){ .ts = T0 }, NULL), -EINVAL);
	v4_udp(&p, 0);
	pkt_truncate(&p, 14 + 19);
	CHECK_EQ(fx_run_raw(&f, p.buf, p.len, &(struct fx_run){ .ts = T0 }, NULL), -EINVAL);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_udp(&p, 1, 2);
	pkt_finish(&p);
	pkt_truncate(&p, 14 + 39);
	CHECK_EQ(fx_run_raw(&f, p.buf, p.len, &(struct fx_run){ .ts = T0 }, NULL), -EINVAL);
	CHECK_EQ(fx_count_flows(&f), 0);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* EtherType IPv4 (behind a tag) and nothing after it. */
MALFORMED(ipv4_missing, CNT_ERR_IP4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_vlan(p, ETH_P_8021Q_, 1);
	pkt_ethertype(p, ETH_P_IP_);
}

MALFORMED(ipv4_header_truncated, CNT_ERR_IP4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_vlan(p, ETH_P_8021Q_, 1);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_udp(p, 1, 2);
	pkt_finish(p);
	pkt_truncate(p, 14 + 4 + 19);
}

MALFORMED(ipv4_ihl_4, CNT_ERR_IP4)
{
	v4_udp(p, 20);
	pkt_set_ip4_ihl(p, 4);
}

MALFORMED(ipv4_ihl_0, CNT_ERR_IP4)
{
	v4_udp(p, 20);
	pkt_set_ip4_ihl(p, 0);
}

/* IHL 15 (60 bytes) but the frame holds 20 + 8 bytes of IP. */
MALFORMED(ipv4_options_truncated, CNT_ERR_IP4)
{
	v4_udp(p, 0);
	pkt_set_ip4_ihl(p, 15);
}

MALFORMED(ipv4_bad_version, CNT_ERR_IP4)
{
	v4_udp(p, 10);
	pkt_set_ip_version(p, 6);
}

/* Total length 19 < IHL * 4 = 20 (0 means TSO, so not 0). */
MALFORMED(ipv4_tot_len_below_ihl, CNT_ERR_IP4)
{
	v4_udp(p, 10);
	pkt_set_ip4_tot_len(p, 19);
}

/* IHL 6 (24 bytes of header) and total length 20. */
MALFORMED(ipv4_tot_len_below_options, CNT_ERR_IP4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4,
					.opts = (const uint8_t[]){ 1, 1, 1, 0 }, .opts_len = 4 });
	pkt_udp(p, 1, 2);
	pkt_finish(p);
	pkt_set_ip4_tot_len(p, 20);
}

MALFORMED(ipv6_missing, CNT_ERR_IP6)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_vlan(p, ETH_P_8021AD_, 1);
	pkt_ethertype(p, ETH_P_IPV6_);
}

MALFORMED(ipv6_header_truncated, CNT_ERR_IP6)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_vlan(p, ETH_P_8021AD_, 1);
	pkt_vlan(p, ETH_P_8021Q_, 2);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_udp(p, 1, 2);
	pkt_finish(p);
	pkt_truncate(p, 14 + 8 + 39);
}

MALFORMED(ipv6_bad_version, CNT_ERR_IP6)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_udp(p, 1, 2);
	pkt_finish(p);
	pkt_set_ip_version(p, 4);
}

/* Hop-by-hop header cut after 4 of its 8 bytes. */
MALFORMED(ipv6_ext_truncated, CNT_ERR_IP6_EXT)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(p, PROTO_HOPOPTS, 8);
	pkt_udp(p, 1, 2);
	pkt_finish(p);
	pkt_truncate(p, 14 + 40 + 4);
}

/* Fragment header cut after 6 of its 8 bytes. */
MALFORMED(ipv6_frag_header_truncated, CNT_ERR_IP6_EXT)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(p, PROTO_DSTOPTS, 16);
	pkt_ip6_frag(p, 0, true, 1);
	pkt_udp(p, 1, 2);
	pkt_finish(p);
	pkt_truncate(p, 14 + 40 + 16 + 6);
}

/* Nine extension headers: more than the walk takes. */
MALFORMED(ipv6_ext_chain_too_long, CNT_ERR_IP6_EXT)
{
	int i;

	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	for (i = 0; i < 9; i++)
		pkt_ip6_ext(p, i ? PROTO_DSTOPTS : PROTO_HOPOPTS, 8);
	pkt_tcp(p, &(struct tcp_opts){ .sport = 1, .dport = 2, .flags = TH_SYN });
	pkt_finish(p);
}

MALFORMED(ipv4_tcp_truncated, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_tcp(p, &(struct tcp_opts){ .sport = 1, .dport = 2, .flags = TH_ACK });
	pkt_finish(p);
	pkt_truncate(p, 14 + 20 + 19);
}

MALFORMED(ipv6_tcp_truncated, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(p, PROTO_HOPOPTS, 8);
	pkt_tcp(p, &(struct tcp_opts){ .sport = 1, .dport = 2, .flags = TH_ACK });
	pkt_finish(p);
	pkt_truncate(p, 14 + 40 + 8 + 12);
}

MALFORMED(tcp_doff_4, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_tcp(p, &(struct tcp_opts){ .sport = 1, .dport = 2, .flags = TH_ACK });
	pkt_payload(p, 20);
	pkt_finish(p);
	pkt_set_tcp_doff(p, 4);
}

MALFORMED(tcp_doff_0, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_tcp(p, &(struct tcp_opts){ .sport = 1, .dport = 2, .flags = TH_SYN });
	pkt_finish(p);
	pkt_set_tcp_doff(p, 0);
}

MALFORMED(ipv4_udp_truncated, CNT_ERR_L4)
{
	v4_udp(p, 0);
	pkt_truncate(p, 14 + 20 + 7);
}

MALFORMED(ipv6_udplite_truncated, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_udplite(p, 1, 2);
	pkt_finish(p);
	pkt_truncate(p, 14 + 40 + 7);
}

/* SCTP's common header is 12 bytes: 11 is short even though the ports are there. */
MALFORMED(ipv4_sctp_truncated, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_sctp(p, 1, 2, 3);
	pkt_finish(p);
	pkt_truncate(p, 14 + 20 + 11);
}

MALFORMED(ipv4_icmp_truncated, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_icmp4(p, 8, 0);
	pkt_finish(p);
	pkt_truncate(p, 14 + 20 + 3);
}

MALFORMED(ipv6_icmpv6_truncated, CNT_ERR_L4)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_icmp6(p, 128, 0);
	pkt_finish(p);
	pkt_truncate(p, 14 + 40 + 3);
}

/* After a mix of broken packets a good one is still counted, alone and exactly. */
BPF_TEST_XDP(malformed_then_good)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	v4_udp(&p, 10);
	pkt_set_ip4_ihl(&p, 3);
	RUN(&f, &p, .ts = T0);
	v4_udp(&p, 10);
	pkt_truncate(&p, 14 + 20 + 4);
	RUN(&f, &p, .ts = T0);
	v4_udp(&p, 10);
	RUN(&f, &p, .ts = T0);
	key_v4(&k, PROTO_UDP, A4, B4, 1, 2);
	CHECK_FLOW(&f, &k, 1, 38, NULL);
	CHECK_EQ(fx_count_flows(&f), 1);
	CHECK_COUNTERS(&f, [CNT_ERR_IP4] = 1, [CNT_ERR_L4] = 1);
	fx_close(&f);
}

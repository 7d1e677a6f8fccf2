// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_parse.c - BPF_PROG_TEST_RUN: L2/L3/L4 parsing cases and the per-packet IP metrics. */
#include <errno.h>
#include <stdlib.h>
#include "fixture.h"

#define A4 "10.1.0.1"
#define B4 "10.1.0.2"
#define A6 "2001:db8::1"
#define B6 "2001:db8::2"

static void check_ttl_hist(const struct flow_side *s, const uint32_t exp[FLOWMON_TTL_BUCKETS])
{
	int i;

	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		if (s->ttl_hist[i] != exp[i])
			FAILF("ttl_hist[%d] == %u, expected %u", i, s->ttl_hist[i], exp[i]);
}

static void check_size_hist(const struct flow_side *s,
			    const uint32_t exp[FLOWMON_SIZE_BUCKETS])
{
	int i;

	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		if (s->size_hist[i] != exp[i])
			FAILF("size_hist[%d] == %u, expected %u", i, s->size_hist[i], exp[i]);
}

/* Every field of a TCP flow, over two packets, on the hook dir. */
static void ipv4_tcp_every_metric(bool egress)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .ttl = 64, .tos = 0x28,
					 .id = 7 });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 40000, .dport = 443, .seq = 1000,
					.flags = TH_ACK | TH_PSH, .window = 512 });
	pkt_payload(&p, 100);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0, .egress = egress);

	key_v4(&k, PROTO_TCP, A4, B4, 40000, 443);
	CHECK_FLOW(&f, &k, 1, 20 + 20 + 100, &s);
	CHECK_EQ(s.first_seen, T0);
	CHECK_EQ(s.last_seen, T0);
	CHECK_EQ(s.arrivals, 1);
	CHECK_EQ(s.iat_min, UINT64_MAX);	/* no gap yet: the minimum at its ceiling */
	CHECK_EQ(s.iat_max, 0);
	CHECK_EQ(s.iat_sumsq, 0);
	check_size_hist(&s, (const uint32_t[]){ 0, 1, 0, 0, 0, 0 });
	CHECK_EQ(s.len_min, 140);
	CHECK_EQ(s.len_max, 140);
	check_ttl_hist(&s, (const uint32_t[]){ 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 });
	CHECK_EQ(s.ttl_min, 64);
	CHECK_EQ(s.ttl_max, 64);
	CHECK_EQ(s.tos, 0x28);
	CHECK_EQ(s.flow_label, 0);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_ACK | FLOW_TCPF_PSH);
	CHECK_EQ(s.mss, 0);
	CHECK_EQ(s.wscale, FLOW_WSCALE_NONE);
	CHECK_EQ(s.syn_win, 0);
	CHECK_EQ(s.win_min, 512);
	CHECK_EQ(s.win_max, 512);
	CHECK_EQ(fx_next_seq(&f, &k), 1000 + 100);
	CHECK_EQ(s.retr_pkts, 0);
	CHECK_EQ(s.retr_bytes, 0);
	CHECK_EQ(s.ooo_pkts, 0);
	CHECK_EQ(s.ooo_bytes, 0);
	CHECK_EQ(s.state & ~FLOW_ST_LEADER, FLOW_ST_SEQ_VALID);
	CHECK_EQ(s.ifindex, 1);
	CHECK_EQ(s.dir, egress ? FLOW_DIR_EGRESS : FLOW_DIR_INGRESS);
	CHECK_EQ(s.ipver, 4);

	/* second segment, 3 us later: TTL 63, TOS 0 (the first packet's TOS stays) */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .ttl = 63, .id = 8 });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 40000, .dport = 443, .seq = 1100,
					.flags = TH_ACK, .window = 1024 });
	pkt_payload(&p, 400);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 3000, .egress = egress);
	CHECK_FLOW(&f, &k, 2, 140 + 20 + 20 + 400, &s);
	CHECK_EQ(s.first_seen, T0);
	CHECK_EQ(s.last_seen, T0 + 3000);
	CHECK_EQ(s.arrivals, 2);
	CHECK_EQ(s.iat_min, 3000);
	CHECK_EQ(s.iat_max, 3000);
	CHECK_EQ(s.iat_sumsq, 3 * 3);
	check_size_hist(&s, (const uint32_t[]){ 0, 1, 1, 0, 0, 0 });
	CHECK_EQ(s.len_min, 140);
	CHECK_EQ(s.len_max, 440);
	check_ttl_hist(&s, (const uint32_t[]){ 0, 0, 0, 2, 0, 0, 0, 0, 0, 0 });
	CHECK_EQ(s.ttl_min, 63);
	CHECK_EQ(s.ttl_max, 64);
	CHECK_EQ(s.tos, 0x28);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_ACK | FLOW_TCPF_PSH);
	CHECK_EQ(s.win_min, 512);
	CHECK_EQ(s.win_max, 1024);
	CHECK_EQ(fx_next_seq(&f, &k), 1500);
	CHECK_EQ(s.retr_pkts + s.ooo_pkts, 0);
	CHECK_EQ(s.ifindex, 1);
	CHECK_EQ(s.dir, egress ? FLOW_DIR_EGRESS : FLOW_DIR_INGRESS);
	CHECK_EQ(fx_count_flows(&f), 1);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

BPF_TEST_XDP(ipv4_tcp_every_metric_ingress)
{
	ipv4_tcp_every_metric(false);
}

BPF_TEST(ipv4_tcp_every_metric_egress)
{
	ipv4_tcp_every_metric(true);
}

BPF_TEST_XDP(ipv6_udp_every_metric)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	/* traffic class 0xb9: DSCP 46 (EF) + ECN 01; both nibbles must survive */
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6, .hop_limit = 255,
					 .tclass = 0xb9, .flow_label = 0xabcde });
	pkt_udp(&p, 5353, 53);
	pkt_payload(&p, 50);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 10);

	key_v6(&k, PROTO_UDP, A6, B6, 5353, 53);
	CHECK_FLOW(&f, &k, 1, 40 + 8 + 50, &s);
	CHECK_EQ(s.first_seen, T0 + 10);
	CHECK_EQ(s.last_seen, T0 + 10);
	CHECK_EQ(s.arrivals, 1);
	CHECK_EQ(s.iat_min, UINT64_MAX);
	CHECK_EQ(s.iat_max, 0);
	CHECK_EQ(s.iat_sumsq, 0);
	check_size_hist(&s, (const uint32_t[]){ 1, 0, 0, 0, 0, 0 });
	CHECK_EQ(s.len_min, 98);
	CHECK_EQ(s.len_max, 98);
	check_ttl_hist(&s, (const uint32_t[]){ 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 });
	CHECK_EQ(s.ttl_min, 255);
	CHECK_EQ(s.ttl_max, 255);
	CHECK_EQ(s.tos, 0xb9);
	CHECK_EQ(s.flow_label, 0xabcde);
	CHECK_EQ(s.tcp_flags, 0);
	CHECK_EQ(s.mss, 0);
	CHECK_EQ(s.wscale, FLOW_WSCALE_NONE);
	CHECK_EQ(s.syn_win, 0);
	CHECK_EQ(s.win_min, UINT32_MAX);	/* no TCP window seen */
	CHECK_EQ(s.win_max, 0);
	CHECK_EQ(s.retr_pkts + s.retr_bytes + s.ooo_pkts + s.ooo_bytes, 0);
	CHECK_EQ(s.state & ~FLOW_ST_LEADER, 0);
	CHECK_EQ(s.ifindex, 1);
	CHECK_EQ(s.dir, FLOW_DIR_INGRESS);
	CHECK_EQ(s.ipver, 6);

	/* a later packet with another class and label: the first packet's stay */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6, .hop_limit = 1,
					 .tclass = 0x04, .flow_label = 0x12345 });
	pkt_udp(&p, 5353, 53);
	pkt_payload(&p, 200);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 10 + 2000000);
	CHECK_FLOW(&f, &k, 2, 98 + 40 + 8 + 200, &s);
	CHECK_EQ(s.tos, 0xb9);
	CHECK_EQ(s.flow_label, 0xabcde);
	CHECK_EQ(s.ttl_min, 1);
	CHECK_EQ(s.ttl_max, 255);
	check_ttl_hist(&s, (const uint32_t[]){ 1, 0, 0, 0, 0, 0, 0, 0, 0, 1 });
	check_size_hist(&s, (const uint32_t[]){ 1, 1, 0, 0, 0, 0 });	/* 98, 248 */
	CHECK_EQ(s.iat_min, 2000000);
	CHECK_EQ(s.iat_max, 2000000);
	CHECK_EQ(s.iat_sumsq, 2000ULL * 2000);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* TTL / hop limit: both ends of every histogram bucket, TTL 0 included. */
BPF_TEST_XDP(ttl_histogram_every_bucket)
{
	static const uint8_t ttls[] = { 0,   1,   2,   5,   6,   32,  33,  64,  65,  96,
					97,  128, 129, 160, 161, 192, 193, 224, 225, 255 };
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	size_t i;

	REQUIRE(fx_open(&f, NULL) == 0);
	for (i = 0; i < sizeof(ttls); i++) {
		pkt_init(&p);
		pkt_eth(&p);
		pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .ttl = ttls[i],
						 .ttl0 = ttls[i] == 0 });
		pkt_udp(&p, 1, 2);
		pkt_finish(&p);
		RUN(&f, &p, .ts = T0 + i * 1000);
	}
	key_v4(&k, PROTO_UDP, A4, B4, 1, 2);
	CHECK_FLOW(&f, &k, sizeof(ttls), sizeof(ttls) * 28, &s);
	/* 0-1 2-5 6-32 33-64 65-96 97-128 129-160 161-192 193-224 225-255: two each */
	check_ttl_hist(&s, (const uint32_t[]){ 2, 2, 2, 2, 2, 2, 2, 2, 2, 2 });
	CHECK_EQ(s.ttl_min, 0);
	CHECK_EQ(s.ttl_max, 255);

	/* IPv6 hop limit 0 */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6, .hop0 = true });
	pkt_udp(&p, 1, 2);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 1, 2);
	CHECK_FLOW(&f, &k, 1, 48, &s);
	check_ttl_hist(&s, (const uint32_t[]){ 1, 0, 0, 0, 0, 0, 0, 0, 0, 0 });
	CHECK_EQ(s.ttl_min, 0);
	CHECK_EQ(s.ttl_max, 0);
	fx_close(&f);
}

/* IP length buckets <128 <256 <512 <1024 <1514 >=1514, both sides of each edge. */
BPF_TEST_XDP(size_histogram_every_bucket)
{
	static const uint16_t l3[] = { 28, 127, 128, 255, 256, 511, 512, 1023, 1024, 1513,
				       1514, 3000 };
	struct flow_side s;
	struct flow_key k;
	uint64_t total = 0;
	struct pkt p;
	struct fx f;
	size_t i;

	REQUIRE(fx_open(&f, NULL) == 0);
	for (i = 0; i < sizeof(l3) / sizeof(l3[0]); i++) {
		mk_v4_udp(&p, A4, B4, 7, 9, l3[i] - 28);	/* IP 20 + UDP 8 + payload */
		RUN(&f, &p, .ts = T0 + i);
		total += l3[i];
	}
	key_v4(&k, PROTO_UDP, A4, B4, 7, 9);
	CHECK_FLOW(&f, &k, 12, total, &s);
	check_size_hist(&s, (const uint32_t[]){ 2, 2, 2, 2, 2, 2 });
	CHECK_EQ(s.len_min, 28);
	CHECK_EQ(s.len_max, 3000);
	fx_close(&f);
}

/* Inter-arrival gaps: min, max, sum of squares in us^2; a step back in time is a 0 gap. */
BPF_TEST_XDP(inter_arrival_times)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, A4, B4, 11, 12, 10);
	RUN(&f, &p, .ts = T0);
	RUN(&f, &p, .ts = T0 + 5000);		/* gap 5 us */
	RUN(&f, &p, .ts = T0 + 7000);		/* gap 2 us */
	RUN(&f, &p, .ts = T0 + 17000);		/* gap 10 us */
	key_v4(&k, PROTO_UDP, A4, B4, 11, 12);
	CHECK_FLOW(&f, &k, 4, 4 * 38, &s);
	CHECK_EQ(s.arrivals, 4);
	CHECK_EQ(s.first_seen, T0);
	CHECK_EQ(s.last_seen, T0 + 17000);
	CHECK_EQ(s.iat_min, 2000);
	CHECK_EQ(s.iat_max, 10000);
	CHECK_EQ(s.iat_sumsq, 5 * 5 + 2 * 2 + 10 * 10);

	/* a replayed capture stepping back: gap 0, last_seen does not go back */
	RUN(&f, &p, .ts = T0 + 16000);
	CHECK_FLOW(&f, &k, 5, 5 * 38, &s);
	CHECK_EQ(s.arrivals, 5);
	CHECK_EQ(s.last_seen, T0 + 17000);
	CHECK_EQ(s.iat_min, 0);
	CHECK_EQ(s.iat_max, 10000);
	CHECK_EQ(s.iat_sumsq, 129);
	fx_close(&f);
}

BPF_TEST_XDP(ipv4_tos_full_byte)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .tos = 0xb9 });
	pkt_udp(&p, 100, 200);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v4(&k, PROTO_UDP, A4, B4, 100, 200);
	CHECK_FLOW(&f, &k, 1, 28, &s);
	CHECK_EQ(s.tos, 0xb9);
	CHECK_EQ(s.flow_label, 0);
	fx_close(&f);
}

/* One case of the L4 table: what to push and the key it must land in. */
struct l4_case {
	const char *name;
	int ipver;
	uint8_t proto;
	uint16_t sport, dport;	/* expected key ports */
	size_t l4_len;		/* L4 header bytes the builder pushes */
};

static void push_l4(struct pkt *p, const struct l4_case *c)
{
	switch (c->proto) {
	case PROTO_TCP:
		pkt_tcp(p, &(struct tcp_opts){ .sport = c->sport, .dport = c->dport,
					       .flags = TH_ACK, .window = 100 });
		break;
	case PROTO_UDP:
		pkt_udp(p, c->sport, c->dport);
		break;
	case PROTO_UDPLITE:
		pkt_udplite(p, c->sport, c->dport);
		break;
	case PROTO_SCTP:
		pkt_sctp(p, c->sport, c->dport, 0xabcdef01);
		break;
	case PROTO_DCCP:
		pkt_dccp(p, c->sport, c->dport);
		break;
	case PROTO_ICMP:
		pkt_icmp4(p, (uint8_t)c->sport, (uint8_t)c->dport);
		break;
	case PROTO_ICMPV6:
		pkt_icmp6(p, (uint8_t)c->sport, (uint8_t)c->dport);
		break;
	case PROTO_GRE:
		pkt_gre(p, ETH_P_IP_);
		break;
	case PROTO_ESP:
		pkt_esp(p, 0x1001, 5);
		break;
	default:
		pkt_next_proto(p, c->proto);	/* No Next Header, unknown, ... */
		break;
	}
}

static void run_l4_cases(const struct l4_case *cases, size_t n)
{
	const size_t payload = 33;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	size_t i;

	REQUIRE(fx_open(&f, NULL) == 0);
	for (i = 0; i < n; i++) {
		const struct l4_case *c = &cases[i];
		size_t l3 = (c->ipver == 4 ? 20 : 40) + c->l4_len + payload;

		pkt_init(&p);
		pkt_eth(&p);
		if (c->ipver == 4)
			pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
		else
			pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
		push_l4(&p, c);
		pkt_payload(&p, payload);
		pkt_finish(&p);
		if (RUN(&f, &p, .ts = T0 + i))
			printf("#   case %s\n", c->name);
		if (c->ipver == 4)
			key_v4(&k, c->proto, A4, B4, c->sport, c->dport);
		else
			key_v6(&k, c->proto, A6, B6, c->sport, c->dport);
		if (CHECK_FLOW(&f, &k, 1, l3, &s))
			printf("#   case %s\n", c->name);
	}
	CHECK_EQ(fx_count_flows(&f), n);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

BPF_TEST_XDP(ipv4_l4_protocols)
{
	static const struct l4_case cases[] = {
		{ "tcp", 4, PROTO_TCP, 33000, 80, 20 },
		{ "udp", 4, PROTO_UDP, 33001, 53, 8 },
		{ "udplite", 4, PROTO_UDPLITE, 33002, 5004, 8 },
		{ "sctp", 4, PROTO_SCTP, 33003, 3868, 12 },
		{ "dccp", 4, PROTO_DCCP, 33004, 5001, 12 },
		{ "icmp echo request", 4, PROTO_ICMP, 8, 0, 8 },
		{ "icmp port unreachable", 4, PROTO_ICMP, 3, 3, 8 },
		{ "gre: no ports", 4, PROTO_GRE, 0, 0, 4 },
		{ "esp: no ports", 4, PROTO_ESP, 0, 0, 8 },
		{ "unknown protocol 253", 4, 253, 0, 0, 0 },
	};

	run_l4_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

BPF_TEST_XDP(ipv6_l4_protocols)
{
	static const struct l4_case cases[] = {
		{ "tcp", 6, PROTO_TCP, 34000, 443, 20 },
		{ "udp", 6, PROTO_UDP, 34001, 53, 8 },
		{ "udplite", 6, PROTO_UDPLITE, 34002, 5004, 8 },
		{ "sctp", 6, PROTO_SCTP, 34003, 38412, 12 },
		{ "icmpv6 echo request", 6, PROTO_ICMPV6, 128, 0, 8 },
		{ "icmpv6 neighbour solicitation", 6, PROTO_ICMPV6, 135, 0, 8 },
		{ "icmpv6 time exceeded, code 1", 6, PROTO_ICMPV6, 3, 1, 8 },
		{ "gre: no ports", 6, PROTO_GRE, 0, 0, 4 },
		{ "esp: no ports", 6, PROTO_ESP, 0, 0, 8 },
		{ "no next header (59)", 6, PROTO_NONE, 0, 0, 0 },
	};

	run_l4_cases(cases, sizeof(cases) / sizeof(cases[0]));
}

/* 0..8 stacked tags, 802.1ad and 802.1Q mixed: the flow and its L3 bytes never change. */
BPF_TEST_XDP(vlan_tags_0_to_8)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int n, i;

	REQUIRE(fx_open(&f, NULL) == 0);
	for (n = 0; n <= 8; n++) {
		pkt_init(&p);
		pkt_eth(&p);
		for (i = 0; i < n; i++)
			pkt_vlan(&p, i % 2 ? ETH_P_8021Q_ : ETH_P_8021AD_, (uint16_t)(100 + i));
		pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
		pkt_udp(&p, (uint16_t)(2000 + n), 53);
		pkt_payload(&p, 10);
		pkt_finish(&p);
		RUN(&f, &p, .ts = T0);
		key_v4(&k, PROTO_UDP, A4, B4, (uint16_t)(2000 + n), 53);
		if (CHECK_FLOW(&f, &k, 1, 20 + 8 + 10, NULL))
			printf("#   %d tags\n", n);
	}
	/* IPv6 behind 0x8100 then 0x88a8 (the reverse order) */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_vlan(&p, ETH_P_8021Q_, 1);
	pkt_vlan(&p, ETH_P_8021AD_, 2);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_udp(&p, 2100, 53);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 2100, 53);
	CHECK_FLOW(&f, &k, 1, 48, NULL);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* Deeper than the program walks (8): counted as an L2 error, no entry. */
BPF_TEST_XDP(vlan_9_tags_err_l2)
{
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	for (i = 0; i < 9; i++)
		pkt_vlan(&p, ETH_P_8021Q_, (uint16_t)i);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_udp(&p, 1, 2);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	CHECK_EQ(fx_count_flows(&f), 0);
	CHECK_COUNTERS(&f, [CNT_ERR_L2] = 1);
	fx_close(&f);
}

BPF_TEST_XDP(non_ip_arp_lldp)
{
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ethertype(&p, ETH_P_ARP_);
	pkt_arp(&p);
	RUN(&f, &p, .ts = T0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_vlan(&p, ETH_P_8021Q_, 5);
	pkt_ethertype(&p, ETH_P_ARP_);
	pkt_arp(&p);
	RUN(&f, &p, .ts = T0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ethertype(&p, ETH_P_LLDP_);
	pkt_payload(&p, 40);
	RUN(&f, &p, .ts = T0);
	CHECK_EQ(fx_count_flows(&f), 0);
	CHECK_COUNTERS(&f, [CNT_NON_IP] = 3);
	fx_close(&f);
}

/* IPv4 options (IHL 6 and 15): ports found after them, TCP payload computed past them. */
BPF_TEST_XDP(ipv4_options)
{
	static const uint8_t ra[4] = { 0x94, 0x04, 0x00, 0x00 };	/* router alert */
	uint8_t rr[40] = { 0x07, 39, 4 };	/* record route, 9 slots, then EOL */
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .opts = ra,
					 .opts_len = sizeof(ra) });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 7000, .dport = 7001, .seq = 5000,
					.flags = TH_ACK, .window = 10 });
	pkt_payload(&p, 77);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v4(&k, PROTO_TCP, A4, B4, 7000, 7001);
	CHECK_FLOW(&f, &k, 1, 24 + 20 + 77, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 5000 + 77);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .opts = rr,
					 .opts_len = sizeof(rr) });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 7002, .dport = 7003, .seq = 9,
					.flags = TH_ACK, .window = 10 });
	pkt_payload(&p, 123);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v4(&k, PROTO_TCP, A4, B4, 7002, 7003);
	CHECK_FLOW(&f, &k, 1, 60 + 20 + 123, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 9 + 123);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .opts = rr,
					 .opts_len = sizeof(rr) });
	pkt_udp(&p, 7004, 7005);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v4(&k, PROTO_UDP, A4, B4, 7004, 7005);
	CHECK_FLOW(&f, &k, 1, 60 + 8, NULL);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* An IP length of 0 is TSO / BIG TCP: the IP length is the rest of the skb. */
BPF_TEST_XDP(ipv4_tot_len_zero_is_whole_skb)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, A4, B4, 1, 2, 500);
	pkt_set_ip4_tot_len(&p, 0);
	RUN(&f, &p, .ts = T0);
	key_v4(&k, PROTO_UDP, A4, B4, 1, 2);
	CHECK_FLOW(&f, &k, 1, 20 + 8 + 500, NULL);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/*
 * A replayed capture gives the packet's original length in wire_len (the
 * test run carries at most a page of it): an IP length of 0 then means
 * the original frame, not the truncated data.
 */
BPF_TEST(ip_len_zero_uses_wire_len)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, A4, B4, 3, 4, 500);
	pkt_set_ip4_tot_len(&p, 0);
	RUN(&f, &p, .ts = T0, .wire_len = 14 + 9000);
	key_v4(&k, PROTO_UDP, A4, B4, 3, 4);
	CHECK_FLOW(&f, &k, 1, 9000, NULL);

	/* IPv6 payload length 0 with a hop-by-hop header: jumbogram / BIG TCP */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_udp(&p, 3, 4);
	pkt_payload(&p, 500);
	pkt_finish(&p);
	pkt_set_ip6_plen(&p, 0);
	RUN(&f, &p, .ts = T0);
	RUN(&f, &p, .ts = T0 + 1, .wire_len = 14 + 40 + 65000);
	key_v6(&k, PROTO_UDP, A6, B6, 3, 4);
	CHECK_FLOW(&f, &k, 2, (40 + 8 + 8 + 500) + (40 + 65000), NULL);

	/*
	 * Payload length 0 and no hop-by-hop header (nor GSO): not a jumbogram,
	 * the packet is its 40-byte header, and the UDP header lies outside it.
	 */
	mk_v6_udp(&p, A6, B6, 7, 8, 500);
	pkt_set_ip6_plen(&p, 0);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 7, 8);
	CHECK(fx_lookup(&f, &k, &s) == -ENOENT);

	/* a wire_len with a real IP length changes nothing */
	mk_v4_udp(&p, A4, B4, 5, 6, 100);
	RUN(&f, &p, .ts = T0, .wire_len = 2000);
	key_v4(&k, PROTO_UDP, A4, B4, 5, 6);
	CHECK_FLOW(&f, &k, 1, 128, NULL);
	CHECK_COUNTERS(&f, [CNT_ERR_L4] = 1);
	fx_close(&f);
}

/* Extension headers walked to the L4 header; their bytes are L3 bytes. */
BPF_TEST_XDP(ipv6_extension_chain)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	/* hop-by-hop 8 + routing 24 + destination options 16, then TCP */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_ip6_ext(&p, PROTO_ROUTING, 24);
	pkt_ip6_ext(&p, PROTO_DSTOPTS, 16);
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 8000, .dport = 8001, .seq = 70,
					.flags = TH_ACK, .window = 1 });
	pkt_payload(&p, 90);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_TCP, A6, B6, 8000, 8001);
	CHECK_FLOW(&f, &k, 1, 40 + 48 + 20 + 90, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 70 + 90);	/* payload = IP length - 40 - 48 - 20 */

	/* AH (RFC 4302, 12-byte ICV: 24 bytes) then UDP: the flow is UDP's */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ah(&p, 0x100, 12);
	pkt_udp(&p, 8002, 8003);
	pkt_payload(&p, 5);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 8002, 8003);
	CHECK_FLOW(&f, &k, 1, 40 + 24 + 8 + 5, NULL);

	/* hop-by-hop then AH then TCP */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_ah(&p, 0x100, 16);
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 8004, .dport = 8005, .seq = 1,
					.flags = TH_ACK, .window = 1 });
	pkt_payload(&p, 64);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_TCP, A6, B6, 8004, 8005);
	CHECK_FLOW(&f, &k, 1, 40 + 8 + 28 + 20 + 64, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 1 + 64);

	/* destination options then ESP: ports 0 */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_DSTOPTS, 8);
	pkt_esp(&p, 7, 7);
	pkt_payload(&p, 40);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_ESP, A6, B6, 0, 0);
	CHECK_FLOW(&f, &k, 1, 40 + 8 + 8 + 40, NULL);

	/* hop-by-hop then No Next Header */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_next_proto(&p, PROTO_NONE);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_NONE, A6, B6, 0, 0);
	CHECK_FLOW(&f, &k, 1, 48, NULL);

	/* a long (264-byte) hop-by-hop header */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 264);
	pkt_udp(&p, 8006, 8007);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 8006, 8007);
	CHECK_FLOW(&f, &k, 1, 40 + 264 + 8, NULL);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* The walk takes at most 8 extension headers: 8 parse, 9 are an error. */
BPF_TEST_XDP(ipv6_extension_chain_limit)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	for (i = 1; i < 8; i++)
		pkt_ip6_ext(&p, PROTO_DSTOPTS, 8);
	pkt_udp(&p, 9000, 9001);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 9000, 9001);
	CHECK_FLOW(&f, &k, 1, 40 + 64 + 8, NULL);
	CHECK_COUNTERS(&f, 0);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	for (i = 1; i < 9; i++)
		pkt_ip6_ext(&p, PROTO_DSTOPTS, 8);
	pkt_udp(&p, 9002, 9003);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	CHECK_EQ(fx_count_flows(&f), 1);
	CHECK_COUNTERS(&f, [CNT_ERR_IP6_EXT] = 1);
	fx_close(&f);
}

/* IPv4 fragments: later ones join the first fragment's flow through the side table. */
BPF_TEST_XDP(ipv4_fragments)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	/* first: TCP header + 1004 bytes (1024 bytes of fragment data), MF, ID 0x1234 */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x1234, .mf = true });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 5000, .dport = 80, .seq = 1,
					.flags = TH_ACK, .window = 9 });
	pkt_payload(&p, 1004);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	/* middle: offset 1024/8, MF */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x1234, .mf = true,
					 .frag_off = 1024 / 8, .proto = PROTO_TCP });
	pkt_payload(&p, 1000);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 1);
	/* last: offset 2024/8, no MF */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x1234,
					 .frag_off = 2024 / 8, .proto = PROTO_TCP });
	pkt_payload(&p, 300);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 2);
	key_v4(&k, PROTO_TCP, A4, B4, 5000, 80);
	CHECK_FLOW(&f, &k, 3, (20 + 20 + 1004) + (20 + 1000) + (20 + 300), &s);
	CHECK_EQ(s.retr_pkts + s.ooo_pkts, 0);	/* later fragments carry no TCP header */
	CHECK_EQ(fx_count_flows(&f), 1);
	CHECK_COUNTERS(&f, 0);

	/* UDP, first fragment with IP options */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x1234, .mf = true,
					 .opts = (const uint8_t[]){ 1, 1, 1, 1 }, .opts_len = 4 });
	pkt_udp(&p, 5001, 53);
	pkt_payload(&p, 1472);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	/* same ID but UDP: its own train (the key includes the protocol) */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x1234,
					 .frag_off = 1480 / 8, .proto = PROTO_UDP });
	pkt_payload(&p, 100);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 5);
	key_v4(&k, PROTO_UDP, A4, B4, 5001, 53);
	CHECK_FLOW(&f, &k, 2, 24 + 8 + 1472 + 20 + 100, NULL);
	CHECK_EQ(fx_count_flows(&f), 2);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* A later fragment whose first was never seen: a portless flow, counted as such. */
BPF_TEST_XDP(ipv4_fragment_without_first)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	/* a first fragment with another ID and another source must not lend its ports */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x4444, .mf = true });
	pkt_udp(&p, 6000, 6001);
	pkt_payload(&p, 200);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = "10.1.0.3", .daddr = B4, .id = 0x5555,
					 .mf = true });
	pkt_udp(&p, 6002, 6003);
	pkt_payload(&p, 200);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);

	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x5555,
					 .frag_off = 26, .proto = PROTO_UDP });
	pkt_payload(&p, 64);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 1);
	key_v4(&k, PROTO_UDP, A4, B4, 0, 0);
	CHECK_FLOW(&f, &k, 1, 20 + 64, NULL);
	key_v4(&k, PROTO_UDP, A4, B4, 6000, 6001);
	CHECK_FLOW(&f, &k, 1, 20 + 8 + 200, NULL);
	CHECK_EQ(fx_count_flows(&f), 3);
	CHECK_COUNTERS(&f, [CNT_FRAG_NO_FIRST] = 1);
	fx_close(&f);
}

/* IPv6 fragment header (RFC 8200 4.5): first, later, atomic, unknown. */
BPF_TEST_XDP(ipv6_fragments)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	/* first: offset 0, M=1: fragment header then UDP */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(&p, 0, true, 0xdeadbeef);
	pkt_udp(&p, 6000, 53);
	pkt_payload(&p, 200);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	/* later: offset 208/8, M=0 */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(&p, 208 / 8, false, 0xdeadbeef);
	pkt_next_proto(&p, PROTO_UDP);
	pkt_payload(&p, 100);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 1);
	key_v6(&k, PROTO_UDP, A6, B6, 6000, 53);
	CHECK_FLOW(&f, &k, 2, (40 + 8 + 8 + 200) + (40 + 8 + 100), NULL);

	/* hop-by-hop before the fragment header, TCP */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_ip6_frag(&p, 0, true, 77);
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 6100, .dport = 22, .seq = 10,
					.flags = TH_ACK, .window = 1 });
	pkt_payload(&p, 300);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_ip6_frag(&p, 320 / 8, false, 77);
	pkt_next_proto(&p, PROTO_TCP);
	pkt_payload(&p, 30);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 1);
	key_v6(&k, PROTO_TCP, A6, B6, 6100, 22);
	CHECK_FLOW(&f, &k, 2, (40 + 8 + 8 + 20 + 300) + (40 + 8 + 8 + 30), &s);
	CHECK_EQ(fx_next_seq(&f, &k), 10 + 300);

	/* atomic fragment (offset 0, M=0; RFC 6946): ports read directly */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(&p, 0, false, 0x1111);
	pkt_udp(&p, 6200, 6201);
	pkt_payload(&p, 10);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 6200, 6201);
	CHECK_FLOW(&f, &k, 1, 40 + 8 + 8 + 10, NULL);
	CHECK_COUNTERS(&f, 0);

	/* a later fragment whose first was not seen: ports 0 */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(&p, 100, false, 0x2222);
	pkt_next_proto(&p, PROTO_UDP);
	pkt_payload(&p, 10);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	key_v6(&k, PROTO_UDP, A6, B6, 0, 0);
	CHECK_FLOW(&f, &k, 1, 40 + 8 + 10, NULL);
	CHECK_EQ(fx_count_flows(&f), 4);
	CHECK_COUNTERS(&f, [CNT_FRAG_NO_FIRST] = 1);
	fx_close(&f);
}

/*
 * Headers after the fragment header belong to the fragmentable part (RFC
 * 8200 4.5): a first fragment Frag -> DstOpts -> TCP is followed by later
 * fragments whose fragment header says "next: DstOpts (60)". They belong to
 * the same TCP flow.
 */
BPF_TEST_XDP(ipv6_fragments_dstopts_after_fragment_header)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(&p, 0, true, 0xabc);
	pkt_ip6_ext(&p, PROTO_DSTOPTS, 8);
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 6300, .dport = 80, .seq = 1,
					.flags = TH_ACK, .window = 1 });
	pkt_payload(&p, 500);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(&p, 528 / 8, false, 0xabc);
	pkt_next_proto(&p, PROTO_DSTOPTS);
	pkt_payload(&p, 50);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0 + 1);
	key_v6(&k, PROTO_TCP, A6, B6, 6300, 80);
	CHECK_FLOW(&f, &k, 2, (40 + 8 + 8 + 20 + 500) + (40 + 8 + 50), NULL);
	CHECK_EQ(fx_count_flows(&f), 1);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* BPF_PROG_TEST_RUN itself refuses frames shorter than an Ethernet header. */
BPF_TEST_XDP(truncated_ethernet_refused_by_kernel)
{
	uint8_t b[13] = { 0 };
	struct fx f;
	int err;

	REQUIRE(fx_open(&f, NULL) == 0);
	err = fx_run_raw(&f, b, sizeof(b), &(struct fx_run){ .ts = T0 }, NULL);
	CHECK_EQ(err, -EINVAL);
	CHECK_EQ(fx_count_flows(&f), 0);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

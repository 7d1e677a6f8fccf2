// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_xdp.c - BPF_PROG_TEST_RUN of flowmon_xdp: its own hook (each packet
 * counted once per host next to TC), and what only XDP lets through. The
 * packet cases of test_parse.c and test_malformed.c also run at XDP
 * (BPF_TEST_XDP, their *_xdp tests).
 */
#include <errno.h>
#include "fixture.h"

#define A4 "10.9.0.1"
#define B4 "10.9.0.2"

static void v4_udp(struct pkt *p, uint16_t sport, size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_udp(p, sport, 53);
	pkt_payload(p, payload);
	pkt_finish(p);
}

/* The entry says XDP (decoded: ingress, xdp); TC ingress then counts it only as seen again. */
BPF_TEST(xdp_then_tc_ingress_counts_once)
{
	struct flow_metrics raw;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	fx_xdp = true;
	REQUIRE(fx_open(&f, NULL) == 0);
	fx_xdp = false;
	v4_udp(&p, 1000, 100);
	key_v4(&k, PROTO_UDP, A4, B4, 1000, 53);
	fx_xdp = true;
	RUN(&f, &p, .ts = T0);
	RUN(&f, &p, .ts = T0 + 10);
	fx_xdp = false;
	RUN(&f, &p, .ts = T0 + 10);	/* the same packet at TC ingress */
	RUN(&f, &p, .ts = T0 + 20);
	CHECK_FLOW(&f, &k, 2, 2 * (20 + 8 + 100), &s);
	CHECK_EQ(s.dir, FLOW_DIR_INGRESS);
	CHECK_EQ(s.xdp, 1);
	CHECK_EQ(s.last_seen, T0 + 10);
	REQUIRE(fx_lookup_raw(&f, &k, &raw) == 0);
	CHECK_EQ(raw.dir, FLOW_DIR_XDP);
	CHECK_EQ(raw.ifindex, 1);
	CHECK_EQ(fx_count_flows(&f), 1);
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 2);
	fx_close(&f);
}

/* The same at the fast path's other branch: a flow TC saw first is not counted by XDP again. */
BPF_TEST(tc_first_then_xdp_counts_once)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	fx_xdp = true;
	REQUIRE(fx_open(&f, NULL) == 0);
	fx_xdp = false;
	v4_udp(&p, 1001, 10);
	key_v4(&k, PROTO_UDP, A4, B4, 1001, 53);
	RUN(&f, &p, .ts = T0);
	fx_xdp = true;
	RUN(&f, &p, .ts = T0 + 5);
	fx_xdp = false;
	CHECK_FLOW(&f, &k, 1, 20 + 8 + 10, &s);
	CHECK_EQ(s.xdp, 0);
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 1);
	fx_close(&f);
}

/*
 * XDP runs before the kernel's own checks: an IPv4 or IPv6 frame shorter
 * than its fixed header (which BPF_PROG_TEST_RUN of TC refuses, see
 * test_malformed.c) reaches the program and counts as malformed.
 */
BPF_TEST(xdp_truncated_ip_header_is_malformed)
{
	struct pkt p;
	struct fx f;

	fx_xdp = true;
	REQUIRE(fx_open(&f, NULL) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ethertype(&p, ETH_P_IP_);
	RUN(&f, &p, .ts = T0);
	v4_udp(&p, 1, 0);
	pkt_truncate(&p, 14 + 19);
	RUN(&f, &p, .ts = T0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = "2001:db8:9::1", .daddr = "2001:db8:9::2" });
	pkt_udp(&p, 1, 2);
	pkt_finish(&p);
	pkt_truncate(&p, 14 + 39);
	RUN(&f, &p, .ts = T0);
	fx_xdp = false;
	CHECK_EQ(fx_count_flows(&f), 0);
	CHECK_COUNTERS(&f, [CNT_ERR_IP4] = 2, [CNT_ERR_IP6] = 1);
	fx_close(&f);
}

/* The interface is the receiving one (xdp_md.ingress_ifindex). */
BPF_TEST(xdp_ingress_ifindex)
{
	struct flow_side s;
	struct flow_key k;
	char name[32];
	uint32_t other = fx_other_ifindex(name, sizeof(name));
	struct pkt p;
	struct fx f;

	REQUIRE(other != 0);
	fx_xdp = true;
	REQUIRE(fx_open(&f, NULL) == 0);
	v4_udp(&p, 1002, 1);
	RUN(&f, &p, .ts = T0, .ifindex = other);
	fx_xdp = false;
	key_v4(&k, PROTO_UDP, A4, B4, 1002, 53);
	CHECK_FLOW(&f, &k, 1, 20 + 8 + 1, &s);
	CHECK_EQ(s.ifindex, other);
	fx_close(&f);
}

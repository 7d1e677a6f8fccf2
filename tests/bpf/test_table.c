// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_table.c - BPF_PROG_TEST_RUN: full table, one count per host (lo, forwarding), new entries */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "fixture.h"

#define A4 "10.5.0.1"
#define B4 "10.5.0.2"
#define A6 "2001:db8:5::1"
#define B6 "2001:db8:5::2"

/*
 * max_flows 8: eight flows fill the table; the packets of any new flow are
 * counted in CNT_TABLE_FULL_PKTS/BYTES and no entry appears, while the
 * flows already there keep counting.
 */
BPF_TEST(table_full)
{
	uint64_t full_bytes = 0;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .max_flows = 8 }) == 0);
	for (i = 0; i < 8; i++) {
		mk_v4_udp(&p, A4, B4, (uint16_t)(100 + i), 53, 10);	/* IP 38 */
		RUN(&f, &p, .ts = T0);
	}
	CHECK_EQ(fx_count_flows(&f), 8);
	CHECK_COUNTERS(&f, 0);

	for (i = 0; i < 3; i++) {
		mk_v4_udp(&p, A4, B4, (uint16_t)(200 + i), 53, (size_t)(100 * i));
		RUN(&f, &p, .ts = T0 + 1);
		full_bytes += 28 + 100 * i;
	}
	mk_v6_udp(&p, A6, B6, 300, 53, 0);			/* IP 48 */
	RUN(&f, &p, .ts = T0 + 2);
	RUN(&f, &p, .ts = T0 + 3000000, .egress = true);	/* 3 ms later: another packet */
	full_bytes += 2 * 48;
	/* one packet through both hooks of lo (egress, then ingress): counted once */
	mk_v6_udp(&p, A6, B6, 301, 53, 0);
	RUN(&f, &p, .ts = T0 + 4000000, .egress = true);
	RUN(&f, &p, .ts = T0 + 4001000);
	full_bytes += 48;
	CHECK_EQ(fx_count_flows(&f), 8);
	CHECK_COUNTERS(&f, [CNT_TABLE_FULL_PKTS] = 6, [CNT_TABLE_FULL_BYTES] = full_bytes);
	key_v4(&k, PROTO_UDP, A4, B4, 200, 53);
	CHECK_EQ(fx_lookup(&f, &k, &(struct flow_side){ 0 }), -ENOENT);

	/* existing flows still update */
	for (i = 0; i < 8; i++) {
		mk_v4_udp(&p, A4, B4, (uint16_t)(100 + i), 53, 10);
		RUN(&f, &p, .ts = T0 + 10);
		key_v4(&k, PROTO_UDP, A4, B4, (uint16_t)(100 + i), 53);
		CHECK_FLOW(&f, &k, 2, 76, NULL);
	}
	/* a GSO aggregate of a flow that does not fit: all of its segments */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 400, .dport = 80, .flags = TH_ACK });
	pkt_payload(&p, 3000);
	pkt_finish(&p);
	if (!RUN(&f, &p, .ts = T0 + 20, .gso_segs = 3, .gso_size = 1000))
		CHECK_COUNTERS(&f, [CNT_TABLE_FULL_PKTS] = 6 + 3,
			       [CNT_TABLE_FULL_BYTES] = full_bytes + 3040 + 2 * 40);
	CHECK_EQ(fx_count_flows(&f), 8);
	fx_close(&f);
}

/*
 * lo with both hooks: a packet passes egress, then ingress, both with
 * ifindex 1. It is counted once, at the hook that first saw the flow.
 */
BPF_TEST(lo_double_hook_counted_once)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, "127.0.0.1", "127.0.0.1", 50000, 9, 100);
	key_v4(&k, PROTO_UDP, "127.0.0.1", "127.0.0.1", 50000, 9);
	for (i = 0; i < 3; i++) {
		RUN(&f, &p, .ts = T0 + i * 1000, .egress = true, .ifindex = 1);
		RUN(&f, &p, .ts = T0 + i * 1000 + 10, .ifindex = 1);
	}
	CHECK_FLOW(&f, &k, 3, 3 * 128, &s);
	CHECK_EQ(s.dir, FLOW_DIR_EGRESS);
	CHECK_EQ(s.ifindex, 1);
	CHECK_EQ(s.arrivals, 3);
	CHECK_EQ(s.last_seen, T0 + 2000);	/* the ingress copies do not touch it */
	CHECK_EQ(s.iat_min, 1000);
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 3);

	/* IPv6 TCP on lo, with a GSO aggregate: the second hook's copy counts its segments */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = "::1", .daddr = "::1" });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 40000, .dport = 8080, .seq = 1,
					.flags = TH_ACK, .window = 10 });
	pkt_payload(&p, 2000);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0, .egress = true);
	RUN(&f, &p, .ts = T0 + 1);
	key_v6(&k, PROTO_TCP, "::1", "::1", 40000, 8080);
	CHECK_FLOW(&f, &k, 1, 2060, &s);
	CHECK_EQ(s.dir, FLOW_DIR_EGRESS);
	CHECK_EQ(s.retr_pkts, 0);	/* the ingress copy is no retransmission */
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 4);
	if (!RUN(&f, &p, .ts = T0 + 2, .gso_segs = 2, .gso_size = 1000))
		CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 6);
	CHECK_FLOW(&f, &k, 1, 2060, NULL);
	CHECK_EQ(fx_count_flows(&f), 2);
	fx_close(&f);
}

/* A flow first seen at ingress on lo: its egress copies are the ones not counted. */
BPF_TEST(lo_ingress_first)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, "127.0.0.2", "127.0.0.1", 50001, 9, 0);
	RUN(&f, &p, .ts = T0, .ifindex = 1);
	RUN(&f, &p, .ts = T0 + 1, .egress = true, .ifindex = 1);
	RUN(&f, &p, .ts = T0 + 2, .ifindex = 1);
	key_v4(&k, PROTO_UDP, "127.0.0.2", "127.0.0.1", 50001, 9);
	CHECK_FLOW(&f, &k, 2, 56, &s);
	CHECK_EQ(s.dir, FLOW_DIR_INGRESS);
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 1);
	fx_close(&f);
}

/*
 * Forwarding: ingress on interface A, then egress on interface B (lo).
 * Counted once, at A's ingress. A is an existing interface of this
 * network namespace; BPF_PROG_TEST_RUN only needs it to exist.
 */
BPF_TEST(forwarded_counted_once)
{
	struct flow_side s;
	struct flow_key k;
	uint32_t other;
	struct pkt p;
	struct fx f;
	char name[64];
	int i;

	other = fx_other_ifindex(name, sizeof(name));
	if (!other)
		SKIP("no interface besides lo in this network namespace");
	printf("# other interface: %s (ifindex %u)\n", name, other);
	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, "192.0.2.1", "198.51.100.1", 1234, 80, 500);
	key_v4(&k, PROTO_UDP, "192.0.2.1", "198.51.100.1", 1234, 80);
	for (i = 0; i < 4; i++) {
		RUN(&f, &p, .ts = T0 + i * 100, .ifindex = other);
		RUN(&f, &p, .ts = T0 + i * 100 + 5, .egress = true, .ifindex = 1);
	}
	CHECK_FLOW(&f, &k, 4, 4 * 528, &s);
	CHECK_EQ(s.ifindex, other);
	CHECK_EQ(s.dir, FLOW_DIR_INGRESS);
	CHECK_EQ(s.last_seen, T0 + 300);
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 4);

	/* the other way round: ingress on lo, egress on A; and the same hook on two interfaces */
	mk_v6_udp(&p, A6, B6, 1235, 80, 0);
	key_v6(&k, PROTO_UDP, A6, B6, 1235, 80);
	RUN(&f, &p, .ts = T0, .ifindex = 1);
	RUN(&f, &p, .ts = T0 + 1, .egress = true, .ifindex = other);
	RUN(&f, &p, .ts = T0 + 2, .ifindex = other);
	RUN(&f, &p, .ts = T0 + 3, .ifindex = 1);
	CHECK_FLOW(&f, &k, 2, 96, &s);
	CHECK_EQ(s.ifindex, 1);
	CHECK_EQ(s.dir, FLOW_DIR_INGRESS);
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 6);
	fx_close(&f);
}

/*
 * The first hook keeps a flow only while it sees it: when the route moves
 * (or that hook is detached) and another hook sees the flow after more than
 * a second of silence at the first one, the other hook takes it over; the
 * first hook's later packets are then the ones not counted again.
 */
BPF_TEST(first_hook_handed_over_after_silence)
{
	struct flow_side s;
	struct flow_key k;
	uint32_t other;
	struct pkt p;
	struct fx f;
	char name[64];

	other = fx_other_ifindex(name, sizeof(name));
	if (!other)
		SKIP("no interface besides lo in this network namespace");
	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, "192.0.2.7", "198.51.100.7", 4000, 53, 72);	/* IP 100 */
	key_v4(&k, PROTO_UDP, "192.0.2.7", "198.51.100.7", 4000, 53);
	RUN(&f, &p, .ts = T0, .ifindex = 1);
	RUN(&f, &p, .ts = T0 + 500000000ULL, .ifindex = other);	/* 0.5 s: not yet */
	RUN(&f, &p, .ts = T0 + 1000000000ULL, .ifindex = 1);
	RUN(&f, &p, .ts = T0 + 2500000000ULL, .ifindex = other);	/* lo quiet 1.5 s */
	RUN(&f, &p, .ts = T0 + 2500000001ULL, .ifindex = 1);		/* now lo repeats */
	RUN(&f, &p, .ts = T0 + 2600000000ULL, .ifindex = other);
	CHECK_FLOW(&f, &k, 4, 400, &s);
	CHECK_EQ(s.ifindex, other);
	CHECK_EQ(s.last_seen, T0 + 2600000000ULL);
	CHECK_COUNTERS(&f, [CNT_OTHER_HOOK] = 2);
	fx_close(&f);
}

/*
 * A new entry starts from nothing: no TCP sequence state of an earlier
 * flow created on the same CPU may show up in it (next_seq, hole_seq).
 */
BPF_TEST(new_entry_starts_clean)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	if (fx_pin_cpu(0)) {
		fx_close(&f);
		SKIP("cannot pin to CPU 0");
	}
	mk_v4_tcp(&p, A4, B4, &(struct tcp_opts){ .sport = 600, .dport = 80, .seq = 123456,
						   .flags = TH_ACK, .window = 1 }, 100);
	RUN(&f, &p, .ts = T0);
	mk_v4_udp(&p, A4, B4, 601, 80, 10);
	RUN(&f, &p, .ts = T0);
	mk_v4_tcp(&p, A4, B4, &(struct tcp_opts){ .sport = 602, .dport = 80, .seq = 5,
						   .flags = TH_ACK, .window = 1 }, 0);
	RUN(&f, &p, .ts = T0);
	fx_unpin();

	key_v4(&k, PROTO_TCP, A4, B4, 600, 80);
	CHECK_FLOW(&f, &k, 1, 140, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 123556);
	key_v4(&k, PROTO_UDP, A4, B4, 601, 80);
	CHECK_FLOW(&f, &k, 1, 38, &s);
	CHECK_EQ(s.state & ~FLOW_ST_LEADER, 0);
	CHECK_EQ(fx_next_seq(&f, &k), 0);
	CHECK_EQ(fx_hole_seq(&f, &k), 0);
	/* a pure ACK takes no sequence space: nothing to track yet */
	key_v4(&k, PROTO_TCP, A4, B4, 602, 80);
	CHECK_FLOW(&f, &k, 1, 40, &s);
	CHECK_EQ(s.state & ~FLOW_ST_LEADER, 0);
	CHECK_EQ(fx_next_seq(&f, &k), 0);
	CHECK_EQ(fx_hole_seq(&f, &k), 0);
	fx_close(&f);
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_connection.c - BPF_PROG_TEST_RUN: the two directions of a connection
 * (keys that are their own reverse, orientation kept across record splits)
 * and the table-full counters of a packet that passes two hooks.
 */
#include <errno.h>
#include <string.h>
#include <net/if.h>
#include "fixture.h"
#include "flowtable.h"

#define MS 1000000ULL

/* 127.0.0.1:7000 -> 127.0.0.1:7000 is its own reverse: one split, not two. */
BPF_TEST(split_self_reverse_key)
{
	struct fx_event ev[4];
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .idle_ns = NSEC_PER_SEC }) == 0);
	mk_v4_udp(&p, "127.0.0.1", "127.0.0.1", 7000, 7000, 10);
	key_v4(&k, PROTO_UDP, "127.0.0.1", "127.0.0.1", 7000, 7000);
	RUN(&f, &p, .ts = T0);
	RUN(&f, &p, .ts = T0 + 1 * MS);
	RUN(&f, &p, .ts = T0 + 5000 * MS);		/* idle: one split */
	CHECK_EQ(fx_events(&f, ev, 4), 1);
	CHECK_EQ(ev[0].stats.packets, 2);
	REQUIRE(fx_lookup(&f, &k, &s) == 0);
	CHECK_EQ(s.arrivals, 1);
	CHECK_EQ(s.packets, 1);
	fx_close(&f);
}

/*
 * The side seen first stays the forward side after a split, even when the
 * reply is the packet that ends the record (UDP: no SYN to tell).
 */
BPF_TEST(active_split_keeps_orientation)
{
	struct flow_side a, b;
	struct flow_key ka, kb;
	struct pkt pa, pb;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .active_ns = 10 * NSEC_PER_SEC }) == 0);
	mk_v4_udp(&pa, "10.7.0.1", "10.7.0.2", 5000, 53, 10);
	mk_v4_udp(&pb, "10.7.0.2", "10.7.0.1", 53, 5000, 10);
	key_v4(&ka, PROTO_UDP, "10.7.0.1", "10.7.0.2", 5000, 53);
	key_v4(&kb, PROTO_UDP, "10.7.0.2", "10.7.0.1", 53, 5000);
	RUN(&f, &pa, .ts = T0);
	RUN(&f, &pb, .ts = T0 + 1 * MS);
	REQUIRE(fx_lookup(&f, &ka, &a) == 0 && fx_lookup(&f, &kb, &b) == 0);
	CHECK_EQ(a.first_seen, T0);			/* record 1: A, seen first */
	CHECK_EQ(b.first_seen, T0 + 1 * MS);
	RUN(&f, &pb, .ts = T0 + 11000 * MS);		/* a reply triggers the active split */
	RUN(&f, &pa, .ts = T0 + 11001 * MS);
	REQUIRE(fx_lookup(&f, &ka, &a) == 0 && fx_lookup(&f, &kb, &b) == 0);
	/* record 2 starts with B's packet: only the mark says A came first */
	CHECK_EQ(b.first_seen, T0 + 11000 * MS);
	CHECK_EQ(a.first_seen, T0 + 11001 * MS);
	CHECK(a.state & FLOW_ST_LEADER);		/* marked at the first split */
	CHECK(!(b.state & FLOW_ST_LEADER));
	fx_close(&f);
}

/* Idle, but the reverse still talks: the record may still be past its active timeout. */
BPF_TEST(idle_cancelled_still_active_split)
{
	struct fx_event ev[4];
	struct pkt pa, pb;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .idle_ns = 2 * NSEC_PER_SEC,
					      .active_ns = 10 * NSEC_PER_SEC }) == 0);
	mk_v4_udp(&pa, "10.7.1.1", "10.7.1.2", 5000, 53, 10);
	mk_v4_udp(&pb, "10.7.1.2", "10.7.1.1", 53, 5000, 10);
	RUN(&f, &pa, .ts = T0);
	for (i = 1; i <= 12; i++)	/* b talks every second; a stays quiet */
		RUN(&f, &pb, .ts = T0 + i * 1000 * MS - 500 * MS);
	CHECK_EQ(fx_events(&f, ev, 4), 2);	/* b's record passed 10 s: both end */
	RUN(&f, &pa, .ts = T0 + 11800 * MS);	/* a: idle 11.8 s, b busy: nothing more */
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	fx_close(&f);
}

/* Two packets queued at egress, then both at ingress (lo): two, not three. */
BPF_TEST(table_full_queued_on_lo)
{
	struct pkt p;
	struct fx f;

	REQUIRE(fx_pin_cpu(0) == 0);
	REQUIRE(fx_open(&f, &(struct fx_cfg){ .max_flows = 1 }) == 0);
	mk_v4_udp(&p, "127.0.0.1", "127.0.0.1", 1, 9, 0);
	RUN(&f, &p, .ts = T0);				/* table full */
	mk_v4_udp(&p, "127.0.0.1", "127.0.0.2", 5000, 9, 0);	/* IP 28 */
	RUN(&f, &p, .ts = T0 + 10, .egress = true);
	RUN(&f, &p, .ts = T0 + 20, .egress = true);
	RUN(&f, &p, .ts = T0 + 30);
	RUN(&f, &p, .ts = T0 + 40);
	CHECK_COUNTERS(&f, [CNT_TABLE_FULL_PKTS] = 2, [CNT_TABLE_FULL_BYTES] = 56);
	fx_close(&f);
	fx_unpin();
}

/* A stream through both hooks of lo, packets 100 us apart: each counted once. */
BPF_TEST(table_full_stream_on_lo)
{
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_pin_cpu(0) == 0);
	REQUIRE(fx_open(&f, &(struct fx_cfg){ .max_flows = 1 }) == 0);
	mk_v4_udp(&p, "127.0.0.1", "127.0.0.1", 1, 9, 0);
	RUN(&f, &p, .ts = T0);
	mk_v4_udp(&p, "127.0.0.1", "127.0.0.2", 5000, 9, 0);
	for (i = 0; i < 5; i++) {
		RUN(&f, &p, .ts = T0 + 1000 + i * 100000ULL, .egress = true);
		RUN(&f, &p, .ts = T0 + 2000 + i * 100000ULL);
	}
	CHECK_COUNTERS(&f, [CNT_TABLE_FULL_PKTS] = 5, [CNT_TABLE_FULL_BYTES] = 5 * 28);
	fx_close(&f);
	fx_unpin();
}

/* The same for a forwarded stream (ingress of one interface, egress of another). */
BPF_TEST(table_full_stream_forwarded)
{
	char name[IF_NAMESIZE];
	uint32_t other = fx_other_ifindex(name, sizeof(name));
	struct pkt p;
	struct fx f;
	int i;

	if (!other)
		SKIP("no interface besides lo");
	REQUIRE(fx_pin_cpu(0) == 0);
	REQUIRE(fx_open(&f, &(struct fx_cfg){ .max_flows = 1 }) == 0);
	mk_v4_udp(&p, "10.9.0.1", "10.9.0.2", 1, 9, 0);
	RUN(&f, &p, .ts = T0);
	mk_v4_udp(&p, "10.9.0.1", "10.9.0.3", 5000, 9, 0);
	for (i = 0; i < 5; i++) {
		RUN(&f, &p, .ts = T0 + 1000 + i * 100000ULL, .ifindex = other);
		RUN(&f, &p, .ts = T0 + 2000 + i * 100000ULL, .egress = true, .ifindex = 1);
	}
	CHECK_COUNTERS(&f, [CNT_TABLE_FULL_PKTS] = 5, [CNT_TABLE_FULL_BYTES] = 5 * 28);
	fx_close(&f);
	fx_unpin();
}

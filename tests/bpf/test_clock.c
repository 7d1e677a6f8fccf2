// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_clock.c - the time of a packet on the live clock (clock.h), against
 * CLOCK_MONOTONIC read by the test around each run: a packet's time can
 * never lie outside the interval in which the program ran, except for the
 * tick's documented resolution (it is at most one tick period plus timer
 * latency behind, never ahead).
 */
#include <time.h>
#include "fixture.h"

/*
 * How far behind its run a tick time may be: one 1 ms period plus the
 * timer's latency (softirq), under 1 ms on an idle host; 50 ms leaves room
 * for a loaded VM and still fails a tick that stops: the packets below span
 * 100 ms.
 */
#define TICK_LAG_NS	50000000ULL

#define A4 "198.18.0.1"
#define B4 "198.18.0.2"

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC_PER_SEC + ts.tv_nsec;
}

/* One UDP packet through a live program; [*t0, *t1] brackets the run. */
static void run_live(struct fx *f, const struct pkt *p, uint64_t *t0, uint64_t *t1)
{
	*t0 = mono_ns();
	RUN(f, p, .ts = 0);
	*t1 = mono_ns();
}

/*
 * The first packet of a freshly loaded program finds the tick stopped: it
 * reads the clock itself, so its time lies inside the run, to the
 * nanosecond. The next ones, 10 ms apart, may read the tick: never later
 * than their run, never earlier than the previous packet, at most
 * TICK_LAG_NS before their run.
 */
BPF_TEST(clock_live_first_packet_exact_then_tick)
{
	uint64_t t0, t1, prev, u0, u1;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .live = true }) == 0);
	mk_v4_udp(&p, A4, B4, 4000, 53, 20);
	key_v4(&k, PROTO_UDP, A4, B4, 4000, 53);
	run_live(&f, &p, &t0, &t1);
	CHECK_FLOW(&f, &k, 1, 48, &s);
	CHECK(s.first_seen >= t0 && s.first_seen <= t1);
	CHECK_EQ(s.last_seen, s.first_seen);
	prev = s.last_seen;
	for (i = 0; i < 10; i++) {
		struct timespec gap = { 0, 10000000 };	/* let time pass: 10 ms */

		nanosleep(&gap, NULL);
		run_live(&f, &p, &u0, &u1);
		REQUIRE(fx_lookup(&f, &k, &s) == 0);
		CHECK(s.last_seen >= prev);	/* never back in time */
		CHECK(s.last_seen <= u1);	/* never in the future */
		CHECK(s.last_seen + TICK_LAG_NS >= u0);	/* the tick moves on */
		prev = s.last_seen;
	}
	CHECK_EQ(s.packets, 11);
	/* 100 ms of packets: the tick has moved on from the first packet */
	CHECK(s.last_seen > s.first_seen);
	fx_close(&f);
}

/* --precise-clock: every packet reads the clock, so every time is inside its run. */
BPF_TEST(clock_precise_every_packet_exact)
{
	uint64_t t0, t1;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .live = true, .precise_clock = true }) == 0);
	mk_v4_udp(&p, A4, B4, 4001, 53, 20);
	key_v4(&k, PROTO_UDP, A4, B4, 4001, 53);
	for (i = 0; i < 5; i++) {
		run_live(&f, &p, &t0, &t1);
		REQUIRE(fx_lookup(&f, &k, &s) == 0);
		CHECK(s.last_seen >= t0 && s.last_seen <= t1);
	}
	CHECK_EQ(s.packets, 5);
	fx_close(&f);
}

/*
 * A stamp the kernel put on the skb is used only when it is CLOCK_MONOTONIC
 * (BPF_PROG_TEST_RUN cannot set that type: its stamps are realtime), so a
 * realtime stamp of the year 2023 never becomes a flow's time.
 */
BPF_TEST(clock_realtime_stamp_ignored)
{
	uint64_t t0, t1;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .live = true }) == 0);
	mk_v4_udp(&p, A4, B4, 4002, 53, 20);
	key_v4(&k, PROTO_UDP, A4, B4, 4002, 53);
	t0 = mono_ns();
	RUN(&f, &p, .ts = T0);
	t1 = mono_ns();
	CHECK_FLOW(&f, &k, 1, 48, &s);
	CHECK(s.first_seen >= t0 && s.first_seen <= t1);
	fx_close(&f);
}

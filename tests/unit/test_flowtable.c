// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_flowtable.c - reverse keys, ICMP pairing, record orientation, and the end rules of the datapath. */
#include <netinet/in.h>
#include <stdlib.h>
#include <time.h>
#include "flowtable.h"
#include "testlib.h"

/* The datapath's end rules, compiled natively as in the offline engine. */
#define FM_NATIVE 1
#include "types.h"
#include "platform.h"
#include "pkt.h"
#include "pairing.h"
#include "parse.h"
#include "clock.h"
#include "account.h"
#include "meter.h"
#include "sweep.h"

#define SEC 1000000000ULL

static struct flow_key key4(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
			    uint8_t proto)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	src = htonl(src);
	dst = htonl(dst);
	memcpy(k.saddr, &src, 4);
	memcpy(k.daddr, &dst, 4);
	k.sport = sport;
	k.dport = dport;
	k.proto = proto;
	k.ipver = 4;
	return k;
}

/* 2001:db8::<last> */
static void addr6(uint8_t *a, uint8_t last)
{
	memset(a, 0, 16);
	a[0] = 0x20;
	a[1] = 0x01;
	a[2] = 0x0d;
	a[3] = 0xb8;
	a[15] = last;
}

static struct flow_key key6(uint8_t src, uint8_t dst, uint16_t sport, uint16_t dport,
			    uint8_t proto)
{
	struct flow_key k;

	memset(&k, 0, sizeof(k));
	addr6(k.saddr, src);
	addr6(k.daddr, dst);
	k.sport = sport;
	k.dport = dport;
	k.proto = proto;
	k.ipver = 6;
	return k;
}

/* A direction as the kernel leaves it after one packet at 'first'. */
static struct flow_metrics metrics(uint64_t first, uint64_t last)
{
	struct flow_metrics m;

	memset(&m, 0, sizeof(m));
	m.first_seen = first;
	m.last_seen = last;
	m.packets = 1;
	m.arrivals = 1;
	m.bytes = 60;
	m.iat_min = ~0ULL;
	m.len_min = ~0U;
	m.ttl_min = 0xff;
	m.wscale = FLOW_WSCALE_NONE;
	return m;
}

static const struct ft_config cfg_default = {
	.idle_ns = 15 * SEC,
	.active_ns = 1800 * SEC,
	.linger_ns = 2 * SEC,
	.lazy_idle = false,
};

static bool key_same(const struct flow_key *a, const struct flow_key *b)
{
	return !memcmp(a, b, sizeof(*a));
}

TEST(flowtable_icmp4_pairs_both_ways)
{
	static const uint16_t pairs[][2] = { { 8, 0 }, { 13, 14 }, { 15, 16 }, { 17, 18 } };
	static const uint16_t alone[] = { 3, 4, 5, 9, 10, 11, 12, 30, 255 };
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMP, pairs[i][0]), pairs[i][1]);
		CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMP, pairs[i][1]), pairs[i][0]);
	}
	for (i = 0; i < sizeof(alone) / sizeof(alone[0]); i++)
		CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMP, alone[i]), alone[i]);
	/* ICMPv4 numbers mean nothing for ICMPv6 or TCP */
	CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMPV6, 8), 8);
	CHECK_EQ(flow_icmp_peer_type(IPPROTO_TCP, 8), 8);
}

TEST(flowtable_icmp6_pairs_both_ways)
{
	static const uint16_t pairs[][2] = {
		{ 128, 129 }, { 130, 131 }, { 133, 134 }, { 135, 136 },
		{ 139, 140 }, { 144, 145 }, { 146, 147 },
	};
	static const uint16_t alone[] = { 1, 2, 3, 4, 132, 137, 138, 141, 143, 148 };
	size_t i;

	for (i = 0; i < sizeof(pairs) / sizeof(pairs[0]); i++) {
		CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMPV6, pairs[i][0]), pairs[i][1]);
		CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMPV6, pairs[i][1]), pairs[i][0]);
	}
	for (i = 0; i < sizeof(alone) / sizeof(alone[0]); i++)
		CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMPV6, alone[i]), alone[i]);
	CHECK_EQ(flow_icmp_peer_type(IPPROTO_ICMP, 128), 128);
}

TEST(flowtable_reverse_key_v4_tcp)
{
	struct flow_key k = key4(0x0a000001, 0x0a000002, 40000, 80, IPPROTO_TCP);
	struct flow_key want = key4(0x0a000002, 0x0a000001, 80, 40000, IPPROTO_TCP);
	struct flow_key r, rr;

	flow_reverse_key(&k, &r);
	CHECK(key_same(&r, &want));
	flow_reverse_key(&r, &rr);
	CHECK(key_same(&rr, &k));
	/* in place */
	flow_reverse_key(&k, &k);
	CHECK(key_same(&k, &want));
}

TEST(flowtable_reverse_key_v6_udp)
{
	struct flow_key k = key6(1, 2, 5353, 53, IPPROTO_UDP);
	struct flow_key r;

	flow_reverse_key(&k, &r);
	CHECK_EQ(r.saddr[15], 2);
	CHECK_EQ(r.daddr[15], 1);
	CHECK_EQ(r.saddr[0], 0x20);
	CHECK_EQ(r.daddr[3], 0xb8);
	CHECK_EQ(r.sport, 53);
	CHECK_EQ(r.dport, 5353);
	CHECK_EQ(r.proto, IPPROTO_UDP);
	CHECK_EQ(r.ipver, 6);
	CHECK_EQ(r.pad[0] | r.pad[1], 0);
}

TEST(flowtable_reverse_key_icmp_keeps_code)
{
	struct flow_key k = key4(0x0a000001, 0x0a000002, 8, 0, IPPROTO_ICMP);
	struct flow_key r;

	flow_reverse_key(&k, &r);
	CHECK_EQ(r.sport, 0);
	CHECK_EQ(r.dport, 0);
	CHECK_EQ(r.saddr[3], 2);
	/* destination unreachable (type 3, code 3) stays type 3, code 3 */
	k = key4(0x0a000001, 0x0a000002, 3, 3, IPPROTO_ICMP);
	flow_reverse_key(&k, &r);
	CHECK_EQ(r.sport, 3);
	CHECK_EQ(r.dport, 3);
	/* ICMPv6 neighbour solicitation -> advertisement, code kept */
	k = key6(1, 2, 135, 7, IPPROTO_ICMPV6);
	flow_reverse_key(&k, &r);
	CHECK_EQ(r.sport, 136);
	CHECK_EQ(r.dport, 7);
	CHECK_EQ(r.saddr[15], 2);
}

TEST(flowtable_reverse_key_zeroes_padding)
{
	struct flow_key k = key4(1, 2, 3, 4, IPPROTO_UDP);
	struct flow_key r;

	k.pad[0] = 0xaa;
	k.pad[1] = 0x55;
	flow_reverse_key(&k, &r);
	CHECK_EQ(r.pad[0], 0);
	CHECK_EQ(r.pad[1], 0);
}

TEST(flowtable_initiator_choice)
{
	struct flow_side a = { .first_seen = 1 * SEC, .last_seen = 2 * SEC, .packets = 1 };
	struct flow_side b = { .first_seen = 5 * SEC, .last_seen = 6 * SEC, .packets = 1 };

	/* no SYN anywhere: the one seen first */
	CHECK(!flow_b_is_forward(&a, &b));
	CHECK(flow_b_is_forward(&b, &a));
	/* b sent the SYN although a was seen first (e.g. a stale half) */
	b.state |= FLOW_ST_INITIATOR;
	CHECK(flow_b_is_forward(&a, &b));
	CHECK(!flow_b_is_forward(&b, &a));
	/* both sent a bare SYN (simultaneous open): first seen again */
	a.state |= FLOW_ST_INITIATOR;
	CHECK(!flow_b_is_forward(&a, &b));
	CHECK(flow_b_is_forward(&b, &a));
	/* a tie keeps a */
	b.first_seen = a.first_seen;
	CHECK(!flow_b_is_forward(&a, &b));
	CHECK(!flow_b_is_forward(&b, &a));
	CHECK(!flow_b_is_forward(&a, NULL));
}

TEST(flowtable_record_one_direction)
{
	struct flow_key k = key4(0x0a000001, 0x0a000002, 5000, 53, IPPROTO_UDP);
	struct flow_metrics a = metrics(3 * SEC, 4 * SEC);
	struct flow_side zero;
	struct flow_record r;

	memset(&zero, 0, sizeof(zero));
	a.packets = 7;
	flow_record_build(&r, &k, &a, NULL, FLOW_END_IDLE, 123);
	CHECK(!r.has_rev);
	CHECK(key_same(&r.key, &k));
	CHECK_EQ(r.fwd.packets, 7);
	CHECK_EQ(r.fwd.first_seen, 3 * SEC);
	CHECK(!memcmp(&r.rev, &zero, sizeof(zero)));
	CHECK_EQ(r.end_reason, FLOW_END_IDLE);
	CHECK_EQ(r.wall_offset_ns, 123);
	CHECK_EQ(r.flow_id, 0);
}

TEST(flowtable_record_syn_side_is_forward)
{
	/* ka is the server's half: seen first (its SYN-ACK raced), but b sent the SYN */
	struct flow_key ka = key4(0x0a000002, 0x0a000001, 80, 40000, IPPROTO_TCP);
	struct flow_key want = key4(0x0a000001, 0x0a000002, 40000, 80, IPPROTO_TCP);
	struct flow_metrics a = metrics(1 * SEC, 9 * SEC), b = metrics(2 * SEC, 8 * SEC);
	struct flow_record r;

	a.packets = 10;
	a.state = FLOW_ST_SYN_WIN;
	b.packets = 20;
	b.state = FLOW_ST_INITIATOR | FLOW_ST_SYN_WIN;
	flow_record_build(&r, &ka, &a, &b, FLOW_END_EOF, 0);
	CHECK(r.has_rev);
	CHECK(key_same(&r.key, &want));
	CHECK_EQ(r.fwd.packets, 20);
	CHECK_EQ(r.rev.packets, 10);
	CHECK_EQ(r.end_reason, FLOW_END_EOF);
}

TEST(flowtable_record_first_seen_is_forward)
{
	struct flow_key ka = key6(2, 1, 53, 5353, IPPROTO_UDP);
	struct flow_metrics a = metrics(5 * SEC, 6 * SEC), b = metrics(4 * SEC, 6 * SEC);
	struct flow_record r;

	a.packets = 1;
	b.packets = 2;
	flow_record_build(&r, &ka, &a, &b, FLOW_END_IDLE, 0);
	CHECK_EQ(r.key.saddr[15], 1);
	CHECK_EQ(r.key.sport, 5353);
	CHECK_EQ(r.fwd.packets, 2);
	CHECK_EQ(r.rev.packets, 1);
	/* same input, other order: same record */
	flow_record_build(&r, &r.key, &b, &a, FLOW_END_IDLE, 0);
	CHECK_EQ(r.key.saddr[15], 1);
	CHECK_EQ(r.fwd.packets, 2);
}

TEST(flowtable_record_icmp_echo_orientation)
{
	/* ka: the reply B->A (type 0); b: the request A->B, seen first */
	struct flow_key ka = key4(0x0a000002, 0x0a000001, 0, 0, IPPROTO_ICMP);
	struct flow_metrics a = metrics(2 * SEC, 3 * SEC), b = metrics(1 * SEC, 3 * SEC);
	struct flow_record r;

	flow_record_build(&r, &ka, &a, &b, FLOW_END_IDLE, 0);
	CHECK_EQ(r.key.sport, 8);
	CHECK_EQ(r.key.dport, 0);
	CHECK_EQ(r.key.saddr[3], 1);
	CHECK_EQ(r.key.daddr[3], 2);
}

/*
 * The sweeper's verdict on one connection (sweep.h), with userland's
 * timeouts; f may be NULL when only the reverse exists.
 */
static uint8_t flow_end_reason(const struct ft_config *cfg, const struct flow_key *k,
			       const struct flow_metrics *f, const struct flow_metrics *r,
			       uint64_t now)
{
	struct flowmon_sweep a = {
		.now = now,
		.idle_ns = cfg->idle_ns,
		.linger_ns = cfg->linger_ns,
		.mode = cfg->pressure ? SWEEP_PRESSURE : SWEEP_SCAN,
		.lazy_idle = cfg->lazy_idle,
	};

	if (!f) {
		f = r;
		r = NULL;
	}
	return connection_over(&a, k, f, r);
}

/* A TCP connection with last packets at 10 s (fwd) and 11 s (rev). */
static void tcp_pair(struct flow_metrics *f, struct flow_metrics *r, uint16_t ff, uint16_t rf)
{
	*f = metrics(1 * SEC, 10 * SEC);
	*r = metrics(1 * SEC + 1000, 11 * SEC);
	f->tcp_flags = ff;
	r->tcp_flags = rf;
}

TEST(flowtable_end_fin_both_ways_after_linger)
{
	struct flow_key k = key4(1, 2, 40000, 80, IPPROTO_TCP);
	struct flow_metrics f, r;
	const uint16_t fa = FLOW_TCPF_FIN | FLOW_TCPF_ACK;

	tcp_pair(&f, &r, fa | FLOW_TCPF_SYN, fa);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 11 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 12 * SEC + SEC / 2), 0);
	/* quiet for exactly linger_ns since the later last_seen */
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 13 * SEC), FLOW_END_EOF);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &r, &f, 13 * SEC), FLOW_END_EOF);
	/* EOF wins over idle when both hold */
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 100 * SEC), FLOW_END_EOF);
}

TEST(flowtable_end_fin_one_way_is_not_the_end)
{
	struct flow_key k = key4(1, 2, 40000, 80, IPPROTO_TCP);
	struct flow_metrics f, r;

	tcp_pair(&f, &r, FLOW_TCPF_FIN | FLOW_TCPF_ACK, FLOW_TCPF_ACK);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 14 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, NULL, 14 * SEC), 0);
	/* half-closed connections still end by idle */
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 26 * SEC + 1), FLOW_END_IDLE);
}

TEST(flowtable_end_rst_either_way)
{
	struct flow_key k = key4(1, 2, 40000, 80, IPPROTO_TCP);
	struct flow_metrics f, r;

	tcp_pair(&f, &r, FLOW_TCPF_SYN, FLOW_TCPF_RST | FLOW_TCPF_ACK);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 12 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 13 * SEC), FLOW_END_EOF);
	tcp_pair(&f, &r, FLOW_TCPF_RST, FLOW_TCPF_ACK);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 13 * SEC), FLOW_END_EOF);
	/* RST with no reverse direction at all */
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, NULL, 12 * SEC), FLOW_END_EOF);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, NULL, 11 * SEC), 0);
}

TEST(flowtable_end_flags_only_count_for_tcp)
{
	struct flow_key k = key4(1, 2, 5000, 53, IPPROTO_UDP);
	struct flow_metrics f = metrics(1 * SEC, 10 * SEC);

	f.tcp_flags = FLOW_TCPF_RST;	/* nonsense outside TCP */
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, NULL, 13 * SEC), 0);
}

TEST(flowtable_end_idle)
{
	struct flow_key k = key4(1, 2, 5000, 53, IPPROTO_UDP);
	struct flow_metrics f = metrics(0, 1 * SEC), r = metrics(2 * SEC, 10 * SEC);

	/* the later last_seen (10 s) counts: 15 s later it is not older yet */
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 20 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 25 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, &r, 25 * SEC + 1), FLOW_END_IDLE);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &r, &f, 25 * SEC + 1), FLOW_END_IDLE);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, &f, NULL, 16 * SEC + 1), FLOW_END_IDLE);
	CHECK_EQ(flow_end_reason(&cfg_default, &k, NULL, &f, 16 * SEC + 1), FLOW_END_IDLE);
}

TEST(flowtable_end_lazy_idle)
{
	struct ft_config cfg = cfg_default;
	struct flow_key k = key4(1, 2, 40000, 80, IPPROTO_TCP);
	struct flow_metrics f, r;

	cfg.lazy_idle = true;
	tcp_pair(&f, &r, FLOW_TCPF_ACK, FLOW_TCPF_ACK);
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, &r, 100000 * SEC), 0);
	/* FIN both ways still ends the connection in offline mode */
	tcp_pair(&f, &r, FLOW_TCPF_FIN, FLOW_TCPF_FIN);
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, &r, 13 * SEC), FLOW_END_EOF);
}

TEST(flowtable_end_time_going_backwards)
{
	struct flow_key k = key4(1, 2, 40000, 80, IPPROTO_TCP);
	struct ft_config cfg = cfg_default;
	struct flow_metrics f, r;

	cfg.linger_ns = 0;
	tcp_pair(&f, &r, FLOW_TCPF_RST, FLOW_TCPF_ACK);
	/* 'now' before last_seen: the unsigned difference would be huge */
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, &r, 5 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, &r, 10 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, &r, 11 * SEC), FLOW_END_EOF);
	tcp_pair(&f, &r, FLOW_TCPF_ACK, FLOW_TCPF_ACK);
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, &r, 0), 0);
	/* one direction ahead of 'now', the other long idle: still active */
	f.last_seen = 1 * SEC;
	r.last_seen = 100 * SEC;
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, &r, 50 * SEC), 0);
}

TEST(flowtable_end_pressure_overrides_lazy_idle)
{
	struct ft_config cfg = cfg_default;
	struct flow_key k = key4(1, 2, 5000, 53, IPPROTO_UDP);
	struct flow_metrics f = metrics(1 * SEC, 10 * SEC);

	cfg.lazy_idle = true;
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, NULL, 100 * SEC), 0);
	cfg.pressure = true;	/* a nearly full table cannot wait for the next packet */
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, NULL, 25 * SEC), 0);
	CHECK_EQ(flow_end_reason(&cfg, &k, &f, NULL, 25 * SEC + 1), FLOW_END_IDLE);
}

TEST(flowtable_end_flush_and_empty_halves)
{
	struct flowmon_sweep a = { .now = 11 * SEC, .mode = SWEEP_FLUSH };
	struct flow_key k = key4(1, 2, 5000, 53, IPPROTO_UDP);
	struct flow_metrics f = metrics(1 * SEC, 10 * SEC), e = metrics(0, 0);

	/* a flush ends active connections too */
	CHECK_EQ(connection_over(&a, &k, &f, NULL), FLOW_END_FORCED);
	/* halves emptied by a kernel split hold nothing: deleted, no record */
	e.arrivals = 0;
	e.packets = 0;
	CHECK_EQ(connection_over(&a, &k, &e, NULL), SWEEP_EMPTY);
	CHECK_EQ(connection_over(&a, &k, &e, &e), SWEEP_EMPTY);
	a.mode = SWEEP_SCAN;
	/* an empty half with a live reverse: the reverse decides */
	CHECK_EQ(connection_over(&a, &k, &e, &f), 0);
}

TEST(flowtable_record_from_event)
{
	struct flow_key ab = key4(1, 2, 1000, 80, IPPROTO_TCP);
	struct flow_key ba = key4(2, 1, 80, 1000, IPPROTO_TCP);
	struct flow_event ev;
	struct flow_record r;

	memset(&ev, 0, sizeof(ev));
	ev.key_a = ba;
	ev.key_b = ab;
	ev.a = metrics(2 * SEC, 3 * SEC);
	ev.b = metrics(1 * SEC, 3 * SEC);
	ev.b.packets = 5;
	ev.reason = FLOW_END_IDLE;
	/* neither half: nothing to write */
	CHECK_EQ(flow_record_from_event(&r, &ev, 0), 0);
	/* both: b was seen first, so it is forward */
	ev.has_a = 1;
	ev.has_b = 1;
	CHECK_EQ(flow_record_from_event(&r, &ev, 7), 1);
	CHECK(key_same(&r.key, &ab));
	CHECK(r.has_rev);
	CHECK_EQ(r.fwd.packets, 5);
	CHECK_EQ(r.rev.packets, 1);
	CHECK_EQ(r.end_reason, FLOW_END_IDLE);
	CHECK_EQ(r.wall_offset_ns, 7);
	/* only b */
	ev.has_a = 0;
	CHECK_EQ(flow_record_from_event(&r, &ev, 0), 1);
	CHECK(key_same(&r.key, &ab));
	CHECK(!r.has_rev);
	CHECK_EQ(r.fwd.packets, 5);
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_split.c - BPF_PROG_TEST_RUN: records the kernel ends itself (idle, active, EOF). */
#include <stdlib.h>
#include <string.h>
#include "fixture.h"

#define A4 "10.4.0.1"
#define B4 "10.4.0.2"
#define A6 "2001:db8:4::1"
#define B6 "2001:db8:4::2"

#define MS	1000000ULL

static void tcp_seg(struct pkt *p, uint16_t sport, uint32_t seq, uint16_t flags, uint16_t win,
		    const struct tcp_optbuf_b *o, size_t payload)
{
	mk_v4_tcp(p, A4, B4,
		  &(struct tcp_opts){ .sport = sport, .dport = 80, .seq = seq, .ack = 1,
				      .flags = flags, .window = win, .opt = o },
		  payload);
}

/* An entry that holds only the packet of (ts, l3) and nothing from before. */
static void check_restarted(const struct flow_side *s, uint64_t ts, uint32_t l3)
{
	CHECK_EQ(s->packets, 1);
	CHECK_EQ(s->bytes, l3);
	CHECK_EQ(s->arrivals, 1);
	CHECK_EQ(s->first_seen, ts);
	CHECK_EQ(s->last_seen, ts);
	CHECK_EQ(s->iat_min, UINT64_MAX);
	CHECK_EQ(s->iat_max, 0);
	CHECK_EQ(s->iat_sumsq, 0);
	CHECK_EQ(s->len_min, l3);
	CHECK_EQ(s->len_max, l3);
	CHECK_EQ(s->retr_pkts + s->retr_bytes + s->ooo_pkts + s->ooo_bytes, 0);
}

/* Idle timeout 1 s: a packet 1.5 s after the last one ends the record. */
BPF_TEST(split_idle)
{
	struct fx_event ev[4];
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .idle_ns = NSEC_PER_SEC }) == 0);
	key_v6(&k, PROTO_UDP, A6, B6, 4000, 53);
	mk_v6_udp(&p, A6, B6, 4000, 53, 52);		/* IP 100 */
	RUN(&f, &p, .ts = T0);
	RUN(&f, &p, .ts = T0 + 500 * MS);
	RUN(&f, &p, .ts = T0 + 1500 * MS);		/* exactly 1 s idle: not more */
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	CHECK_FLOW(&f, &k, 3, 300, NULL);

	mk_v6_udp(&p, A6, B6, 4000, 53, 252);		/* IP 300 */
	RUN(&f, &p, .ts = T0 + 3000 * MS);		/* 1.5 s idle */
	REQUIRE(fx_events(&f, ev, 4) == 1);
	CHECK_EQ(ev[0].reason, FLOW_END_IDLE);
	CHECK(!memcmp(&ev[0].key, &k, sizeof(k)));
	CHECK_EQ(ev[0].stats.packets, 3);
	CHECK_EQ(ev[0].stats.bytes, 300);
	CHECK_EQ(ev[0].stats.arrivals, 3);
	CHECK_EQ(ev[0].stats.first_seen, T0);
	CHECK_EQ(ev[0].stats.last_seen, T0 + 1500 * MS);
	CHECK_EQ(ev[0].stats.iat_min, 500 * MS);
	CHECK_EQ(ev[0].stats.iat_max, 1000 * MS);
	CHECK_EQ(ev[0].stats.iat_sumsq, 500000ULL * 500000 + 1000000ULL * 1000000);
	CHECK_EQ(ev[0].stats.len_min, 100);
	flow_side_decode(&ev[0].stats, &s);	/* the < 128 bucket is derived */
	CHECK_EQ(s.size_hist[0], 3);
	CHECK_EQ(ev[0].stats.ifindex, 1);
	CHECK_EQ(ev[0].stats.dir, FLOW_DIR_INGRESS);
	CHECK_EQ(ev[0].key.ipver, 6);

	CHECK_FLOW(&f, &k, 1, 300, &s);
	check_restarted(&s, T0 + 3000 * MS, 300);
	CHECK_EQ(s.size_hist[0], 0);
	CHECK_EQ(s.size_hist[2], 1);
	CHECK_EQ(s.ttl_hist[3], 1);
	CHECK_EQ(s.ifindex, 1);
	CHECK_EQ(s.dir, FLOW_DIR_INGRESS);
	CHECK_EQ(s.ipver, 6);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/*
 * Active timeout 10 s: a packet more than 10 s after the record began ends
 * it, although the flow never went idle. The TCP connection goes on, so its
 * SYN facts (MSS, window scale, initiator) stay in the entry.
 */
BPF_TEST(split_active)
{
	struct fx_event ev[4];
	struct tcp_optbuf_b o;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int i;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .active_ns = 10 * NSEC_PER_SEC }) == 0);
	key_v4(&k, PROTO_TCP, A4, B4, 4100, 80);
	tcpopt_init(&o);
	tcpopt_mss(&o, 1460);
	tcpopt_ws(&o, 7);
	tcp_seg(&p, 4100, 100, TH_SYN, 29200, &o, 0);	/* IP 48 */
	RUN(&f, &p, .ts = T0);
	for (i = 1; i <= 5; i++) {			/* 100 bytes every 2 s */
		tcp_seg(&p, 4100, 101 + (i - 1) * 100, TH_ACK, 500, NULL, 100);
		RUN(&f, &p, .ts = T0 + i * 2 * NSEC_PER_SEC);
	}
	CHECK_EQ(fx_events(&f, ev, 4), 0);		/* 10 s: not more than 10 */
	tcp_seg(&p, 4100, 601, TH_ACK, 700, NULL, 200);
	RUN(&f, &p, .ts = T0 + 11 * NSEC_PER_SEC);
	REQUIRE(fx_events(&f, ev, 4) == 1);
	CHECK_EQ(ev[0].reason, FLOW_END_ACTIVE);
	CHECK(!memcmp(&ev[0].key, &k, sizeof(k)));
	CHECK_EQ(ev[0].stats.packets, 6);
	CHECK_EQ(ev[0].stats.bytes, 48 + 5 * 140);
	CHECK_EQ(ev[0].stats.first_seen, T0);
	CHECK_EQ(ev[0].stats.last_seen, T0 + 10 * NSEC_PER_SEC);
	CHECK_EQ(ev[0].stats.mss, 1460);
	CHECK_EQ(ev[0].stats.wscale, 7);
	CHECK_EQ(ev[0].stats.syn_win, 29200);
	CHECK_EQ(ev[0].stats.win_min, 500);
	CHECK_EQ(ev[0].stats.tcp_flags, FLOW_TCPF_SYN | FLOW_TCPF_ACK);
	CHECK_EQ(ev[0].stats.next_seq, 601);

	CHECK_FLOW(&f, &k, 1, 240, &s);
	check_restarted(&s, T0 + 11 * NSEC_PER_SEC, 240);
	CHECK_EQ(s.mss, 1460);
	CHECK_EQ(s.wscale, 7);
	CHECK_EQ(s.state & (FLOW_ST_INITIATOR | FLOW_ST_SEQ_VALID),
		 FLOW_ST_INITIATOR | FLOW_ST_SEQ_VALID);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_ACK);
	CHECK_EQ(s.win_min, 700);
	CHECK_EQ(s.win_max, 700);
	CHECK_EQ(fx_next_seq(&f, &k), 801);

	/* the sequence tracking goes on across the split: this is a retransmission */
	tcp_seg(&p, 4100, 601, TH_ACK, 700, NULL, 200);
	RUN(&f, &p, .ts = T0 + 12 * NSEC_PER_SEC);
	CHECK_FLOW(&f, &k, 2, 480, &s);
	CHECK_EQ(s.retr_pkts, 1);
	CHECK_EQ(s.retr_bytes, 200);
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/*
 * FLOW_ST_SYN_WIN says "syn_win was set by a SYN": after an active split
 * that keeps the connection's SYN facts, the bit and the value must agree.
 */
BPF_TEST(split_active_syn_win_consistent)
{
	struct fx_event ev[2];
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .active_ns = NSEC_PER_SEC }) == 0);
	key_v4(&k, PROTO_TCP, A4, B4, 4150, 80);
	tcp_seg(&p, 4150, 1, TH_SYN, 29200, NULL, 0);
	RUN(&f, &p, .ts = T0);
	tcp_seg(&p, 4150, 2, TH_ACK, 500, NULL, 10);
	RUN(&f, &p, .ts = T0 + 2 * NSEC_PER_SEC);
	REQUIRE(fx_events(&f, ev, 2) == 1);
	CHECK_EQ(ev[0].reason, FLOW_END_ACTIVE);
	CHECK_FLOW(&f, &k, 1, 50, &s);
	/* an active split keeps the connection's TCP context (DESIGN.md) */
	CHECK(s.state & FLOW_ST_SYN_WIN);
	CHECK_EQ(s.syn_win, 29200);
	fx_close(&f);
}

/*
 * A SYN (no ACK) on a key that saw FIN or RST: a new connection reuses the
 * 5-tuple, so the old record ends (EOF) and the entry starts over.
 */
static void split_eof(uint16_t closing_flags, uint16_t sport)
{
	struct fx_event ev[4];
	struct tcp_optbuf_b o;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .idle_ns = 60 * NSEC_PER_SEC,
					       .active_ns = 600 * NSEC_PER_SEC }) == 0);
	key_v4(&k, PROTO_TCP, A4, B4, sport, 80);
	tcpopt_init(&o);
	tcpopt_mss(&o, 1460);
	tcpopt_ws(&o, 7);
	tcp_seg(&p, sport, 1000, TH_SYN, 29200, &o, 0);		/* IP 48 */
	RUN(&f, &p, .ts = T0);
	tcp_seg(&p, sport, 1001, TH_ACK | TH_PSH, 500, NULL, 60);	/* IP 100 */
	RUN(&f, &p, .ts = T0 + MS);
	tcp_seg(&p, sport, 1061, closing_flags, 500, NULL, 0);	/* IP 40 */
	RUN(&f, &p, .ts = T0 + 2 * MS);
	/* trailing ACKs after the close are no new connection */
	tcp_seg(&p, sport, 1062, TH_ACK, 500, NULL, 0);
	RUN(&f, &p, .ts = T0 + 3 * MS);
	RUN(&f, &p, .ts = T0 + 4 * MS);
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	CHECK_FLOW(&f, &k, 5, 48 + 100 + 40 + 40 + 40, NULL);

	/* the new connection: SYN without ACK, other options */
	tcpopt_init(&o);
	tcpopt_mss(&o, 1000);
	tcp_seg(&p, sport, 90000, TH_SYN, 64000, &o, 0);	/* IP 44 */
	RUN(&f, &p, .ts = T0 + 5 * MS);
	REQUIRE(fx_events(&f, ev, 4) == 1);
	CHECK_EQ(ev[0].reason, FLOW_END_EOF);
	CHECK(!memcmp(&ev[0].key, &k, sizeof(k)));
	CHECK_EQ(ev[0].stats.packets, 5);
	CHECK_EQ(ev[0].stats.bytes, 268);
	CHECK_EQ(ev[0].stats.first_seen, T0);
	CHECK_EQ(ev[0].stats.last_seen, T0 + 4 * MS);
	CHECK_EQ(ev[0].stats.tcp_flags,
		 FLOW_TCPF_SYN | FLOW_TCPF_ACK | FLOW_TCPF_PSH | closing_flags);
	CHECK_EQ(ev[0].stats.mss, 1460);
	CHECK_EQ(ev[0].stats.wscale, 7);

	CHECK_FLOW(&f, &k, 1, 44, &s);
	check_restarted(&s, T0 + 5 * MS, 44);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_SYN);
	CHECK_EQ(s.mss, 1000);
	CHECK_EQ(s.wscale, FLOW_WSCALE_NONE);		/* the new SYN had none */
	CHECK_EQ(s.syn_win, 64000);
	CHECK_EQ(s.win_min, UINT32_MAX);
	CHECK_EQ(s.win_max, 0);
	CHECK_EQ(s.state & ~FLOW_ST_LEADER, FLOW_ST_INITIATOR | FLOW_ST_SYN_WIN | FLOW_ST_SEQ_VALID);
	CHECK_EQ(fx_next_seq(&f, &k), 90001);

	/* a retransmitted SYN of the new connection does not split again */
	RUN(&f, &p, .ts = T0 + 6 * MS);
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	CHECK_FLOW(&f, &k, 2, 88, &s);
	CHECK_EQ(s.retr_pkts, 1);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

BPF_TEST(split_eof_after_fin)
{
	split_eof(TH_FIN | TH_ACK, 4200);
}

BPF_TEST(split_eof_after_rst)
{
	split_eof(TH_RST, 4201);
}

/*
 * The answering direction of a reused 5-tuple: its first packet of the new
 * connection is the SYN-ACK, which ends the record too (no INITIATOR bit).
 */
BPF_TEST(split_eof_syn_ack_after_fin)
{
	struct fx_event ev[2];
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	key_v4(&k, PROTO_TCP, A4, B4, 4202, 80);
	tcp_seg(&p, 4202, 500, TH_SYN | TH_ACK, 100, NULL, 0);
	RUN(&f, &p, .ts = T0);
	tcp_seg(&p, 4202, 501, TH_FIN | TH_ACK, 100, NULL, 0);
	RUN(&f, &p, .ts = T0 + 1);
	CHECK_EQ(fx_events(&f, ev, 2), 0);
	tcp_seg(&p, 4202, 7000, TH_SYN | TH_ACK, 200, NULL, 0);
	RUN(&f, &p, .ts = T0 + 2);
	REQUIRE(fx_events(&f, ev, 2) == 1);
	CHECK_EQ(ev[0].reason, FLOW_END_EOF);
	CHECK_EQ(ev[0].stats.packets, 2);
	CHECK_FLOW(&f, &k, 1, 40, &s);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_SYN | FLOW_TCPF_ACK);
	CHECK_EQ(s.syn_win, 200);
	CHECK_EQ(s.state & ~FLOW_ST_LEADER, FLOW_ST_SYN_WIN | FLOW_ST_SEQ_VALID);
	CHECK_EQ(fx_next_seq(&f, &k), 7001);
	fx_close(&f);
}

/* Without timeouts (0 = off) nothing splits, however far apart the packets are. */
BPF_TEST(split_off_without_timeouts)
{
	struct fx_event ev[2];
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	key_v4(&k, PROTO_UDP, A4, B4, 4300, 53);
	mk_v4_udp(&p, A4, B4, 4300, 53, 2);
	RUN(&f, &p, .ts = T0);
	RUN(&f, &p, .ts = T0 + 3600 * NSEC_PER_SEC);
	RUN(&f, &p, .ts = T0 + 86400 * NSEC_PER_SEC);
	CHECK_EQ(fx_events(&f, ev, 2), 0);
	CHECK_FLOW(&f, &k, 3, 90, NULL);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/*
 * Ring buffer full: the split is postponed (CNT_EVENTS_LOST) and the
 * entry keeps accumulating, so no packet is lost; once userland consumed
 * the ring the next split carries everything since the last one.
 */
BPF_TEST(split_ring_full_keeps_accumulating)
{
	const int cap = (int)(FLOWMON_EVENTS_BYTES / sizeof(struct fx_event)) + 16;
	const int max_pkts = 4 * cap;	/* the ring holds fewer records than cap */
	struct fx_event *ev = calloc((size_t)cap, sizeof(*ev));
	uint64_t sum_pkts = 0, lost;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	int i, n, pkts = 0, extra = 0;

	REQUIRE(ev);
	if (fx_open(&f, &(struct fx_cfg){ .idle_ns = 1000 })) {
		free(ev);
		REQUIRE(0);
	}
	key_v4(&k, PROTO_UDP, A4, B4, 4400, 53);
	mk_v4_udp(&p, A4, B4, 4400, 53, 12);		/* IP 40 */
	/* every packet 2 us after the last: each one ends the record before it */
	while (pkts < max_pkts && !fx_counter(&f, CNT_EVENTS_LOST)) {
		if (RUN(&f, &p, .ts = T0 + (uint64_t)pkts * 2000))
			break;
		pkts++;
	}
	REQUIRE(fx_counter(&f, CNT_EVENTS_LOST) == 1);
	for (i = 0; i < 9; i++, extra++)		/* 9 more splits that cannot happen */
		RUN(&f, &p, .ts = T0 + (uint64_t)(pkts + i) * 2000);
	pkts += extra;
	lost = fx_counter(&f, CNT_EVENTS_LOST);
	CHECK_EQ(lost, 10);
	CHECK_FLOW(&f, &k, 1 + lost, 40 * (1 + lost), &s);
	CHECK_EQ(s.arrivals, 1 + lost);

	n = fx_events(&f, ev, cap);
	printf("# %d records filled the ring buffer\n", n);
	CHECK(n < cap);
	CHECK_EQ((uint64_t)n + lost, (uint64_t)pkts - 1);
	for (i = 0; i < n && i < cap; i++) {
		sum_pkts += ev[i].stats.packets;
		if (ev[i].reason != FLOW_END_IDLE || ev[i].stats.packets != 1) {
			FAILF("event %d: reason %u packets %llu", i, ev[i].reason,
			      (unsigned long long)ev[i].stats.packets);
			break;
		}
	}
	CHECK_EQ(sum_pkts + 1 + lost, (uint64_t)pkts);

	/* room again: the next packet ends the accumulated record */
	RUN(&f, &p, .ts = T0 + (uint64_t)pkts * 2000);
	REQUIRE(fx_events(&f, ev, 2) == 1);
	CHECK_EQ(ev[0].reason, FLOW_END_IDLE);
	CHECK_EQ(ev[0].stats.packets, 1 + lost);
	CHECK_FLOW(&f, &k, 1, 40, NULL);
	CHECK_EQ(fx_counter(&f, CNT_EVENTS_LOST), lost);
	fx_close(&f);
	free(ev);
}

/*
 * Idle is a property of the connection: a direction quiet for longer than
 * the idle timeout is not ended while its reverse keeps talking; when the
 * connection was idle, the first packet ends the records of both directions
 * (one event each), and the reverse entry restarts with its next packet.
 */
BPF_TEST(split_idle_is_per_connection)
{
	struct fx_event ev[4];
	struct flow_side s;
	struct flow_key ka, kb;
	struct pkt pa, pb;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .idle_ns = NSEC_PER_SEC }) == 0);
	key_v4(&ka, PROTO_UDP, A4, B4, 42006, 6001);
	key_v4(&kb, PROTO_UDP, B4, A4, 6001, 42006);
	mk_v4_udp(&pa, A4, B4, 42006, 6001, 72);	/* IP 100 */
	mk_v4_udp(&pb, B4, A4, 6001, 42006, 172);	/* IP 200 */
	RUN(&f, &pa, .ts = T0);
	RUN(&f, &pb, .ts = T0 + 50 * MS);
	RUN(&f, &pa, .ts = T0 + 900 * MS);
	RUN(&f, &pb, .ts = T0 + 1200 * MS);	/* b quiet 1.15 s, but a spoke 0.3 s ago */
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	CHECK_FLOW(&f, &ka, 2, 200, NULL);
	CHECK_FLOW(&f, &kb, 2, 400, NULL);

	RUN(&f, &pa, .ts = T0 + 3000 * MS);	/* the whole connection idle 1.8 s */
	REQUIRE(fx_events(&f, ev, 4) == 2);
	CHECK_EQ(ev[0].reason, FLOW_END_IDLE);
	CHECK_EQ(ev[1].reason, FLOW_END_IDLE);
	CHECK(!memcmp(&ev[0].key, &ka, sizeof(ka)));
	CHECK(!memcmp(&ev[1].key, &kb, sizeof(kb)));
	CHECK_EQ(ev[0].stats.packets, 2);
	CHECK_EQ(ev[1].stats.packets, 2);
	CHECK_EQ(ev[1].stats.bytes, 400);
	CHECK_EQ(ev[1].stats.first_seen, T0 + 50 * MS);
	CHECK_FLOW(&f, &ka, 1, 100, &s);
	check_restarted(&s, T0 + 3000 * MS, 100);
	CHECK_FLOW(&f, &kb, 0, 0, &s);		/* emptied, kept for its next packet */
	CHECK_EQ(s.arrivals, 0);

	RUN(&f, &pb, .ts = T0 + 3100 * MS);	/* no split of an empty entry */
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	CHECK_FLOW(&f, &kb, 1, 200, &s);
	check_restarted(&s, T0 + 3100 * MS, 200);
	fx_close(&f);
}

static void icmp4(struct pkt *p, const char *s, const char *d, uint8_t type, size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = s, .daddr = d });
	pkt_icmp4(p, type, 0);		/* 8-byte header */
	pkt_payload(p, payload);
	pkt_finish(p);
}

/* An active-timeout split of one direction ends the reverse's record too. */
BPF_TEST(split_active_ends_both_directions)
{
	struct fx_event ev[4];
	struct flow_side s;
	struct flow_key ka, kb;
	struct pkt pa, pb;
	struct fx f;

	REQUIRE(fx_open(&f, &(struct fx_cfg){ .active_ns = 10 * NSEC_PER_SEC }) == 0);
	key_v4(&ka, PROTO_ICMP, A4, B4, 8, 0);
	key_v4(&kb, PROTO_ICMP, B4, A4, 0, 0);	/* echo reply pairs with request */
	icmp4(&pa, A4, B4, 8, 56);
	icmp4(&pb, B4, A4, 0, 56);
	RUN(&f, &pa, .ts = T0);
	RUN(&f, &pb, .ts = T0 + 1 * MS);
	RUN(&f, &pa, .ts = T0 + 6000 * MS);
	RUN(&f, &pb, .ts = T0 + 6001 * MS);
	RUN(&f, &pa, .ts = T0 + 11000 * MS);	/* a's record is 11 s old */
	REQUIRE(fx_events(&f, ev, 4) == 2);
	CHECK_EQ(ev[0].reason, FLOW_END_ACTIVE);
	CHECK_EQ(ev[1].reason, FLOW_END_ACTIVE);
	CHECK(!memcmp(&ev[1].key, &kb, sizeof(kb)));
	CHECK_EQ(ev[0].stats.packets, 2);
	CHECK_EQ(ev[1].stats.packets, 2);
	CHECK_FLOW(&f, &ka, 1, 84, NULL);
	CHECK_FLOW(&f, &kb, 0, 0, &s);
	RUN(&f, &pb, .ts = T0 + 11001 * MS);
	CHECK_EQ(fx_events(&f, ev, 4), 0);
	CHECK_FLOW(&f, &kb, 1, 84, &s);
	CHECK_EQ(s.first_seen, T0 + 11001 * MS);
	fx_close(&f);
}

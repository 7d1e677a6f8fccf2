// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_tcp.c - BPF_PROG_TEST_RUN: TCP flags, SYN options, windows, sequence tracking, GSO. */
#include <errno.h>
#include "fixture.h"

#define A4 "10.3.0.1"
#define B4 "10.3.0.2"
#define A6 "2001:db8:3::1"
#define B6 "2001:db8:3::2"

/* One TCP segment of flow (sport -> 80) over IPv4 or IPv6. */
static void seg(struct pkt *p, int ipver, uint16_t sport, uint32_t seq, uint16_t flags,
		uint16_t win, const struct tcp_optbuf_b *opt, size_t payload)
{
	struct tcp_opts t = { .sport = sport, .dport = 80, .seq = seq, .ack = 1, .flags = flags,
			      .window = win, .opt = opt };

	if (ipver == 6)
		mk_v6_tcp(p, A6, B6, &t, payload);
	else
		mk_v4_tcp(p, A4, B4, &t, payload);
}

static void key_tcp(struct flow_key *k, int ipver, uint16_t sport)
{
	if (ipver == 6)
		key_v6(k, PROTO_TCP, A6, B6, sport, 80);
	else
		key_v4(k, PROTO_TCP, A4, B4, sport, 80);
}

/* Every flag bit, NS (0x100), CWR and ECE included, ORed over the flow. */
BPF_TEST(tcp_flags_or_incl_ns)
{
	static const uint16_t flags[] = { TH_SYN, TH_ACK, TH_PSH | TH_ACK, TH_URG | TH_ACK,
					  TH_ECE | TH_ACK, TH_CWR | TH_ACK, TH_NS | TH_ACK,
					  TH_FIN | TH_ACK, TH_RST };
	struct flow_side s;
	struct flow_key k;
	uint16_t exp = 0;
	struct pkt p;
	struct fx f;
	size_t i;

	REQUIRE(fx_open(&f, NULL) == 0);
	for (i = 0; i < sizeof(flags) / sizeof(flags[0]); i++) {
		seg(&p, 4, 1000, 100, flags[i], 10, NULL, 0);
		RUN(&f, &p, .ts = T0 + i);
		exp |= flags[i];
		key_tcp(&k, 4, 1000);
		CHECK_FLOW(&f, &k, i + 1, (i + 1) * 40, &s);
		if (s.tcp_flags != exp)
			FAILF("after flags 0x%x: tcp_flags 0x%x, expected 0x%x", flags[i],
			      s.tcp_flags, exp);
	}
	CHECK_EQ(s.tcp_flags, 0x1ff);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_FIN | FLOW_TCPF_SYN | FLOW_TCPF_RST | FLOW_TCPF_PSH |
				      FLOW_TCPF_ACK | FLOW_TCPF_URG | FLOW_TCPF_ECE |
				      FLOW_TCPF_CWR | FLOW_TCPF_NS);

	/* NS alone on an IPv6 flow */
	seg(&p, 6, 1001, 1, TH_NS | TH_ACK, 10, NULL, 0);
	RUN(&f, &p, .ts = T0);
	key_tcp(&k, 6, 1001);
	CHECK_FLOW(&f, &k, 1, 60, &s);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_NS | FLOW_TCPF_ACK);
	fx_close(&f);
}

/* A SYN's option list and what must come out of it. */
struct opt_case {
	const char *name;
	void (*build)(struct tcp_optbuf_b *o);
	uint16_t mss;
	uint8_t wscale;
	uint16_t flags;
};

/* Linux's order: MSS, SACK permitted, timestamps, NOP, window scale. */
static void opts_linux(struct tcp_optbuf_b *o)
{
	tcpopt_mss(o, 1460);
	tcpopt_sackok(o);
	tcpopt_ts(o, 12345, 0);
	tcpopt_nop(o);
	tcpopt_ws(o, 7);
}

/* Unknown kinds first (MPTCP 30, TFO 34, experimental 253): skipped by their length. */
static void opts_unknown_first(struct tcp_optbuf_b *o)
{
	tcpopt_kind(o, 30, 12);	/* its data looks like MSS 0xdead */
	tcpopt_kind(o, 34, 10);
	tcpopt_kind(o, 253, 6);
	tcpopt_nop(o);
	tcpopt_mss(o, 1380);
	tcpopt_ws(o, 2);
}

/* MSS in the last 4 bytes of the 40-byte option space. */
static void opts_mss_at_end(struct tcp_optbuf_b *o)
{
	tcpopt_ws(o, 4);
	tcpopt_ts(o, 1, 2);
	tcpopt_kind(o, 254, 8);
	tcpopt_nops_to(o, 36);
	tcpopt_mss(o, 1200);
}

/* Window scale in the last 3 bytes, after 37 bytes of other options. */
static void opts_ws_at_end(struct tcp_optbuf_b *o)
{
	tcpopt_mss(o, 536);
	tcpopt_kind(o, 30, 20);
	tcpopt_sackok(o);
	tcpopt_nops_to(o, 37);
	tcpopt_ws(o, 9);
}

/* End of option list before MSS: nothing after EOL counts. */
static void opts_eol_first(struct tcp_optbuf_b *o)
{
	tcpopt_eol(o);
	tcpopt_mss(o, 1000);
	tcpopt_ws(o, 3);
}

/* RFC 7323 2.3: a shift above 14 is used as 14. */
static void opts_ws_15(struct tcp_optbuf_b *o)
{
	tcpopt_ws(o, 15);
}

/* A length of 1 is malformed: stop there, keep what came before. */
static void opts_bad_len(struct tcp_optbuf_b *o)
{
	tcpopt_mss(o, 1440);
	tcpopt_kind(o, 30, 1);
	tcpopt_ws(o, 5);
}

/* An option running past the option space: stop there, keep what came before. */
static void opts_overrun(struct tcp_optbuf_b *o)
{
	tcpopt_ws(o, 6);
	tcpopt_nops_to(o, 30);
	tcpopt_kind(o, 30, 2);	/* fine, 2 bytes */
	tcpopt_eol(o);		/* placeholder, overwritten below */
	o->b[32] = 30;		/* kind 30, length 20: ends past byte 40 */
	o->b[33] = 20;
	o->len = 40;
}

/* An MSS with a wrong length is not an MSS, but is skipped by its length. */
static void opts_mss_bad_len(struct tcp_optbuf_b *o)
{
	tcpopt_kind(o, 2, 6);
	tcpopt_ws(o, 3);
}

static void opts_none(struct tcp_optbuf_b *o)
{
}

static void run_opt_cases(int ipver)
{
	static const struct opt_case cases[] = {
		{ "linux syn", opts_linux, 1460, 7, TH_SYN },
		{ "unknown kinds first", opts_unknown_first, 1380, 2, TH_SYN },
		{ "mss at the end", opts_mss_at_end, 1200, 4, TH_SYN },
		{ "ws at the end", opts_ws_at_end, 536, 9, TH_SYN },
		{ "eol first", opts_eol_first, 0, FLOW_WSCALE_NONE, TH_SYN },
		{ "ws 15", opts_ws_15, 0, 14, TH_SYN },
		{ "bad length", opts_bad_len, 1440, FLOW_WSCALE_NONE, TH_SYN },
		{ "overrun", opts_overrun, 0, 6, TH_SYN },
		{ "mss with length 6", opts_mss_bad_len, 0, 3, TH_SYN },
		{ "no options", opts_none, 0, FLOW_WSCALE_NONE, TH_SYN },
		{ "syn-ack", opts_linux, 1460, 7, TH_SYN | TH_ACK },
		{ "syn with ecn setup", opts_unknown_first, 1380, 2, TH_SYN | TH_ECE | TH_CWR },
	};
	struct flow_side s;
	struct tcp_optbuf_b o;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	size_t i;

	REQUIRE(fx_open(&f, NULL) == 0);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct opt_case *c = &cases[i];
		uint16_t sport = (uint16_t)(2000 + i);
		size_t olen;

		tcpopt_init(&o);
		c->build(&o);
		REQUIRE(!o.overflow);
		olen = (o.len + 3) & ~(size_t)3;
		seg(&p, ipver, sport, 5000, c->flags, 29200, o.len ? &o : NULL, 0);
		RUN(&f, &p, .ts = T0);
		key_tcp(&k, ipver, sport);
		if (CHECK_FLOW(&f, &k, 1, (ipver == 6 ? 40 : 20) + 20 + olen, &s)) {
			printf("#   case %s\n", c->name);
			continue;
		}
		if (s.mss != c->mss || s.wscale != c->wscale)
			FAILF("case %s: mss %u wscale %u, expected %u and %u", c->name, s.mss,
			      s.wscale, c->mss, c->wscale);
		if (s.syn_win != 29200 || !(s.state & FLOW_ST_SYN_WIN))
			FAILF("case %s: syn_win %u state 0x%x", c->name, s.syn_win, s.state);
		if (!!(s.state & FLOW_ST_INITIATOR) != !(c->flags & TH_ACK))
			FAILF("case %s: state 0x%x: INITIATOR only for a SYN without ACK", c->name,
			      s.state);
		if (s.win_min != UINT32_MAX || s.win_max != 0)
			FAILF("case %s: a SYN's window went to win_min/max", c->name);
		if (fx_next_seq(&f, &k) != 5001)	/* the SYN takes one sequence number */
			FAILF("case %s: next_seq %u, expected 5001", c->name, fx_next_seq(&f, &k));
	}
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

BPF_TEST(tcp_syn_options_ipv4)
{
	run_opt_cases(4);
}

BPF_TEST(tcp_syn_options_ipv6)
{
	run_opt_cases(6);
}

/* Options of segments without SYN are not looked at; a later SYN's options are. */
BPF_TEST(tcp_options_only_on_syn)
{
	struct flow_side s;
	struct tcp_optbuf_b o;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	tcpopt_init(&o);
	tcpopt_mss(&o, 1400);
	tcpopt_ws(&o, 8);
	seg(&p, 4, 3000, 10, TH_ACK, 500, &o, 0);
	RUN(&f, &p, .ts = T0);
	key_tcp(&k, 4, 3000);
	CHECK_FLOW(&f, &k, 1, 20 + 28, &s);
	CHECK_EQ(s.mss, 0);
	CHECK_EQ(s.wscale, FLOW_WSCALE_NONE);
	CHECK_EQ(s.state & (FLOW_ST_SYN_WIN | FLOW_ST_INITIATOR), 0);
	CHECK_EQ(s.syn_win, 0);
	CHECK_EQ(s.win_min, 500);
	CHECK_EQ(s.win_max, 500);
	fx_close(&f);
}

/* syn_win from the SYN, win_min/max the raw field of the other segments (no scaling). */
BPF_TEST(tcp_windows_raw)
{
	static const uint16_t wins[] = { 501, 2000, 64, 65535, 700 };
	struct flow_side s;
	struct tcp_optbuf_b o;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	size_t i;

	REQUIRE(fx_open(&f, NULL) == 0);
	tcpopt_init(&o);
	tcpopt_ws(&o, 7);
	seg(&p, 6, 3100, 0, TH_SYN, 64240, &o, 0);
	RUN(&f, &p, .ts = T0);
	for (i = 0; i < sizeof(wins) / sizeof(wins[0]); i++) {
		seg(&p, 6, 3100, 1, TH_ACK, wins[i], NULL, 0);
		RUN(&f, &p, .ts = T0 + 1 + i);
	}
	key_tcp(&k, 6, 3100);
	CHECK_FLOW(&f, &k, 6, 64 + 5 * 60, &s);
	CHECK_EQ(s.syn_win, 64240);
	CHECK_EQ(s.wscale, 7);
	CHECK_EQ(s.win_min, 64);
	CHECK_EQ(s.win_max, 65535);
	CHECK_EQ(s.state & FLOW_ST_SYN_WIN, FLOW_ST_SYN_WIN);
	CHECK_EQ(fx_next_seq(&f, &k), 1);	/* pure ACKs take no sequence space */
	fx_close(&f);
}

/*
 * Retransmission and out-of-order around the 2^32 wrap. Segments of 100
 * bytes: SYN at ISN = 2^32 - 100, D1 starts at 2^32 - 99 and ends past 0.
 */
static void seq_wrap(int ipver)
{
	const uint32_t isn = 0xffffff9cu;	/* 2^32 - 100 */
	const uint32_t d1 = isn + 1, d2 = d1 + 100, d3 = d2 + 100, d4 = d3 + 100,
		       d5 = d4 + 100;		/* d2 = 1, d3 = 101, d4 = 201, d5 = 301 */
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	uint64_t l3 = (ipver == 6 ? 40 : 20) + 20;
	int n = 0;

	REQUIRE(fx_open(&f, NULL) == 0);
	key_tcp(&k, ipver, 4000);
	seg(&p, ipver, 4000, isn, TH_SYN, 1000, NULL, 0);
	RUN(&f, &p, .ts = T0 + n++);
	seg(&p, ipver, 4000, d1, TH_ACK, 1000, NULL, 100);
	RUN(&f, &p, .ts = T0 + n++);
	CHECK_FLOW(&f, &k, 2, 2 * l3 + 100, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 1);	/* wrapped */
	CHECK_EQ(s.retr_pkts + s.ooo_pkts, 0);
	seg(&p, ipver, 4000, d2, TH_ACK, 1000, NULL, 100);
	RUN(&f, &p, .ts = T0 + n++);
	/* d3 is lost: d4 opens a gap */
	seg(&p, ipver, 4000, d4, TH_ACK, 1000, NULL, 100);
	RUN(&f, &p, .ts = T0 + n++);
	CHECK_FLOW(&f, &k, 4, 4 * l3 + 300, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 301);
	CHECK_EQ(s.retr_pkts + s.ooo_pkts, 0);
	/* d3 arrives late: out of order */
	seg(&p, ipver, 4000, d3, TH_ACK, 1000, NULL, 100);
	RUN(&f, &p, .ts = T0 + n++);
	CHECK_FLOW(&f, &k, 5, 5 * l3 + 400, &s);
	CHECK_EQ(s.ooo_pkts, 1);
	CHECK_EQ(s.ooo_bytes, 100);
	CHECK_EQ(s.retr_pkts, 0);
	CHECK_EQ(fx_next_seq(&f, &k), 301);
	/* d1 again (before the wrap), then d2 again (after it): retransmissions */
	seg(&p, ipver, 4000, d1, TH_ACK, 1000, NULL, 100);
	RUN(&f, &p, .ts = T0 + n++);
	seg(&p, ipver, 4000, d2, TH_ACK, 1000, NULL, 100);
	RUN(&f, &p, .ts = T0 + n++);
	CHECK_FLOW(&f, &k, 7, 7 * l3 + 600, &s);
	CHECK_EQ(s.retr_pkts, 2);
	CHECK_EQ(s.retr_bytes, 200);
	CHECK_EQ(s.ooo_pkts, 1);
	CHECK_EQ(s.ooo_bytes, 100);
	/* a pure ACK with an old sequence number is neither */
	seg(&p, ipver, 4000, d1, TH_ACK, 1000, NULL, 0);
	RUN(&f, &p, .ts = T0 + n++);
	/* d5 in order, then FIN (one sequence number) */
	seg(&p, ipver, 4000, d5, TH_ACK, 1000, NULL, 100);
	RUN(&f, &p, .ts = T0 + n++);
	seg(&p, ipver, 4000, d5 + 100, TH_FIN | TH_ACK, 1000, NULL, 0);
	RUN(&f, &p, .ts = T0 + n++);
	CHECK_FLOW(&f, &k, 10, 10 * l3 + 700, &s);
	CHECK_EQ(fx_next_seq(&f, &k), 402);
	CHECK_EQ(s.retr_pkts, 2);
	CHECK_EQ(s.retr_bytes, 200);
	CHECK_EQ(s.ooo_pkts, 1);
	CHECK_EQ(s.ooo_bytes, 100);
	CHECK_EQ(s.state & (FLOW_ST_SEQ_VALID | FLOW_ST_INITIATOR),
		 FLOW_ST_SEQ_VALID | FLOW_ST_INITIATOR);
	CHECK_EQ(s.tcp_flags, FLOW_TCPF_SYN | FLOW_TCPF_ACK | FLOW_TCPF_FIN);
	fx_close(&f);
}

BPF_TEST(tcp_seq_wrap_ipv4)
{
	seq_wrap(4);
}

BPF_TEST(tcp_seq_wrap_ipv6)
{
	seq_wrap(6);
}

/* A segment that fills part of the gap, not at its start: out of order too. */
BPF_TEST(tcp_ooo_inside_gap)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	key_tcp(&k, 4, 4100);
	seg(&p, 4, 4100, 1000, TH_ACK, 1, NULL, 100);	/* [1000, 1100) */
	RUN(&f, &p, .ts = T0);
	seg(&p, 4, 4100, 1400, TH_ACK, 1, NULL, 100);	/* [1400, 1500): gap 1100-1400 */
	RUN(&f, &p, .ts = T0 + 1);
	seg(&p, 4, 4100, 1200, TH_ACK, 1, NULL, 100);	/* [1200, 1300): inside */
	RUN(&f, &p, .ts = T0 + 2);
	seg(&p, 4, 4100, 1100, TH_ACK, 1, NULL, 100);	/* [1100, 1200): at its start */
	RUN(&f, &p, .ts = T0 + 3);
	seg(&p, 4, 4100, 1000, TH_ACK, 1, NULL, 50);	/* before the gap: retransmission */
	RUN(&f, &p, .ts = T0 + 4);
	CHECK_FLOW(&f, &k, 5, 5 * 40 + 450, &s);
	CHECK_EQ(s.ooo_pkts, 2);
	CHECK_EQ(s.ooo_bytes, 200);
	CHECK_EQ(s.retr_pkts, 1);
	CHECK_EQ(s.retr_bytes, 50);
	CHECK_EQ(fx_next_seq(&f, &k), 1500);
	fx_close(&f);
}

/*
 * Once the gap is filled, a retransmission of the segment that opened it
 * carries data already seen: a retransmission, not out of order. So is a
 * retransmitted FIN after that.
 */
BPF_TEST(tcp_retransmission_after_gap_filled)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	key_tcp(&k, 4, 4200);
	seg(&p, 4, 4200, 1000, TH_ACK, 1, NULL, 100);	/* A [1000, 1100) */
	RUN(&f, &p, .ts = T0);
	seg(&p, 4, 4200, 1200, TH_ACK, 1, NULL, 100);	/* C [1200, 1300): gap */
	RUN(&f, &p, .ts = T0 + 1);
	seg(&p, 4, 4200, 1100, TH_ACK, 1, NULL, 100);	/* B fills it: out of order */
	RUN(&f, &p, .ts = T0 + 2);
	seg(&p, 4, 4200, 1200, TH_ACK, 1, NULL, 100);	/* C again */
	RUN(&f, &p, .ts = T0 + 3);
	CHECK_FLOW(&f, &k, 4, 4 * 140, &s);
	CHECK_EQ(s.ooo_pkts, 1);
	CHECK_EQ(s.ooo_bytes, 100);
	CHECK_EQ(s.retr_pkts, 1);
	CHECK_EQ(s.retr_bytes, 100);
	CHECK_EQ(fx_next_seq(&f, &k), 1300);
	seg(&p, 4, 4200, 1300, TH_FIN | TH_ACK, 1, NULL, 0);	/* FIN */
	RUN(&f, &p, .ts = T0 + 4);
	seg(&p, 4, 4200, 1300, TH_FIN | TH_ACK, 1, NULL, 0);	/* FIN again */
	RUN(&f, &p, .ts = T0 + 5);
	CHECK_FLOW(&f, &k, 6, 4 * 140 + 2 * 40, &s);
	CHECK_EQ(s.ooo_pkts, 1);
	CHECK_EQ(s.retr_pkts, 2);
	CHECK_EQ(s.retr_bytes, 100);
	CHECK_EQ(fx_next_seq(&f, &k), 1301);
	fx_close(&f);
}

/* GSO: first check that this kernel takes gso_segs/gso_size in ctx_in at all. */
static int gso_supported(struct fx *f, const struct pkt *p)
{
	int err = fx_run_raw(f, p->buf, p->len,
			     &(struct fx_run){ .ts = T0, .gso_segs = 2, .gso_size = 100,
					       .ifindex = 1 }, NULL);

	return err != -EINVAL;
}

/*
 * A TSO/GRO aggregate of N segments of S payload bytes: N packets, each
 * with its own IP + TCP header (options included); the last one shorter.
 */
BPF_TEST(gso_tcp_ipv4)
{
	struct flow_side s;
	struct tcp_optbuf_b o;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	const uint64_t hdr = 20 + 20 + 12, l3 = hdr + 2500;	/* timestamps: 12 option bytes */

	REQUIRE(fx_open(&f, NULL) == 0);
	tcpopt_init(&o);
	tcpopt_nop(&o);
	tcpopt_nop(&o);
	tcpopt_ts(&o, 1, 2);
	/* probe with another flow so the flow under test stays clean */
	seg(&p, 4, 4999, 0, TH_ACK, 1, NULL, 200);
	if (!gso_supported(&f, &p)) {
		fx_close(&f);
		SKIP("this kernel refuses gso_segs/gso_size in BPF_PROG_TEST_RUN ctx_in");
	}
	seg(&p, 4, 5000, 7000, TH_ACK | TH_PSH, 300, &o, 2500);
	RUN(&f, &p, .ts = T0, .gso_segs = 3, .gso_size = 1000);
	key_tcp(&k, 4, 5000);
	/* 3 segments: 1000 + 1000 + 500 payload bytes */
	CHECK_FLOW(&f, &k, 3, l3 + 2 * hdr, &s);
	CHECK_EQ(s.arrivals, 1);
	CHECK_EQ(s.len_min, hdr + 500);
	CHECK_EQ(s.len_max, hdr + 1000);
	CHECK_EQ(s.size_hist[3], 1);	/* 552 */
	CHECK_EQ(s.size_hist[4], 2);	/* 1052 */
	CHECK_EQ(s.size_hist[0] + s.size_hist[1] + s.size_hist[2] + s.size_hist[5], 0);
	CHECK_EQ(s.ttl_hist[3], 3);
	CHECK_EQ(fx_next_seq(&f, &k), 7000 + 2500);
	CHECK_EQ(s.win_min, 300);

	/* the whole aggregate retransmitted: 3 retransmitted packets */
	RUN(&f, &p, .ts = T0 + 1000, .gso_segs = 3, .gso_size = 1000);
	CHECK_FLOW(&f, &k, 6, 2 * (l3 + 2 * hdr), &s);
	CHECK_EQ(s.retr_pkts, 3);
	CHECK_EQ(s.retr_bytes, 2500);
	CHECK_EQ(s.arrivals, 2);
	CHECK_EQ(s.iat_min, 1000);

	/* gso_segs 1, or a size that does not fit the length: one packet as it is */
	seg(&p, 4, 5001, 1, TH_ACK, 1, NULL, 1000);
	RUN(&f, &p, .ts = T0, .gso_segs = 1, .gso_size = 500);
	RUN(&f, &p, .ts = T0 + 1, .gso_segs = 4, .gso_size = 400);	/* 3 * 400 >= 1040 */
	key_tcp(&k, 4, 5001);
	CHECK_FLOW(&f, &k, 2, 2 * 1040, &s);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

BPF_TEST(gso_tcp_ipv6_ext)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	const uint64_t hdr = 40 + 8 + 20, l3 = hdr + 4 * 700;	/* hop-by-hop repeats too */

	REQUIRE(fx_open(&f, NULL) == 0);
	seg(&p, 6, 5099, 0, TH_ACK, 1, NULL, 200);
	if (!gso_supported(&f, &p)) {
		fx_close(&f);
		SKIP("this kernel refuses gso_segs/gso_size in BPF_PROG_TEST_RUN ctx_in");
	}
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 5100, .dport = 80, .seq = 0xfffffe00u,
					.flags = TH_ACK, .window = 9 });
	pkt_payload(&p, 4 * 700);
	pkt_finish(&p);
	RUN(&f, &p, .ts = T0, .gso_segs = 4, .gso_size = 700);
	key_tcp(&k, 6, 5100);
	CHECK_FLOW(&f, &k, 4, l3 + 3 * hdr, &s);
	CHECK_EQ(s.size_hist[3], 4);	/* 4 x 768 */
	CHECK_EQ(s.len_min, hdr + 700);
	CHECK_EQ(s.len_max, hdr + 700);
	CHECK_EQ(fx_next_seq(&f, &k), 0xfffffe00u + 2800);	/* wraps to 0x8f0 */
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* UDP GSO (UDP_SEGMENT): each datagram has its own IP + UDP header. */
BPF_TEST(gso_udp)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	const uint64_t hdr = 20 + 8, l3 = hdr + 2000;

	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, A4, B4, 5200, 443, 2000);
	if (!gso_supported(&f, &p)) {
		fx_close(&f);
		SKIP("this kernel refuses gso_segs/gso_size in BPF_PROG_TEST_RUN ctx_in");
	}
	fx_close(&f);
	REQUIRE(fx_open(&f, NULL) == 0);
	RUN(&f, &p, .ts = T0, .gso_segs = 4, .gso_size = 500);
	key_v4(&k, PROTO_UDP, A4, B4, 5200, 443);
	CHECK_FLOW(&f, &k, 4, l3 + 3 * hdr, &s);
	CHECK_EQ(s.size_hist[3], 4);	/* 4 x 528 */
	CHECK_EQ(s.ttl_hist[3], 4);
	CHECK_EQ(s.arrivals, 1);
	fx_close(&f);
}

/*
 * gso_size GSO_BY_FRAGS (0xFFFF): SCTP and fraglist UDP aggregates, whose
 * segments have sizes of their own. Still gso_segs packets, each with its
 * own IP and L4 headers.
 */
BPF_TEST(gso_by_frags)
{
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	const uint64_t hdr = 20 + 8, l3 = hdr + 3000;

	REQUIRE(fx_open(&f, NULL) == 0);
	mk_v4_udp(&p, A4, B4, 5201, 443, 3000);
	if (!gso_supported(&f, &p)) {
		fx_close(&f);
		SKIP("this kernel refuses gso_segs/gso_size in BPF_PROG_TEST_RUN ctx_in");
	}
	fx_close(&f);
	REQUIRE(fx_open(&f, NULL) == 0);
	RUN(&f, &p, .ts = T0, .gso_segs = 3, .gso_size = 0xFFFF);
	key_v4(&k, PROTO_UDP, A4, B4, 5201, 443);
	CHECK_FLOW(&f, &k, 3, l3 + 2 * hdr, &s);
	CHECK_EQ(s.size_hist[4], 3);	/* 3 segments of (3028 + 56) / 3 = 1028 on average */
	fx_close(&f);
}

/*
 * IPv6 BIG TCP: an aggregate over 64 KiB has payload length 0 and a
 * hop-by-hop jumbo header (RFC 2675) that segmentation takes out: its two
 * segments go on the wire as 40 + 20 + 40000 bytes each. Counting the jumbo
 * header once per segment gave 8 bytes too many per packet over 32 KiB.
 */
BPF_TEST(gso_big_tcp_ipv6_jumbo_header_not_on_the_wire)
{
	const uint32_t gso = 40000, wire_seg = 40 + 20 + gso;
	struct flow_side s;
	struct flow_key k;
	struct pkt p;
	struct fx f;
	uint8_t *hbh;

	REQUIRE(fx_open(&f, NULL) == 0);
	seg(&p, 6, 5099, 0, TH_ACK, 1, NULL, 200);
	if (!gso_supported(&f, &p)) {
		fx_close(&f);
		SKIP("this kernel refuses gso_segs/gso_size in BPF_PROG_TEST_RUN ctx_in");
	}
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv6(&p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(&p, PROTO_HOPOPTS, 8);
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 5200, .dport = 80, .seq = 1,
					.flags = TH_ACK, .window = 9 });
	pkt_payload(&p, 300);	/* the rest lies beyond the test run's data */
	pkt_finish(&p);
	pkt_set_ip6_plen(&p, 0);
	hbh = p.buf + p.l3_off + 40;
	hbh[2] = 0xc2;		/* Jumbo Payload option, 4 bytes: the real length */
	hbh[3] = 4;
	hbh[4] = 0;
	hbh[5] = (uint8_t)((8 + 20 + 2 * gso) >> 16);
	hbh[6] = (uint8_t)((8 + 20 + 2 * gso) >> 8);
	hbh[7] = (uint8_t)(8 + 20 + 2 * gso);
	RUN(&f, &p, .ts = T0, .gso_segs = 2, .gso_size = gso,
	    .wire_len = 14 + 40 + 8 + 20 + 2 * gso);
	key_tcp(&k, 6, 5200);
	CHECK_FLOW(&f, &k, 2, 2 * wire_seg, &s);
	CHECK_EQ(s.len_min, wire_seg);
	CHECK_EQ(s.len_max, wire_seg);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

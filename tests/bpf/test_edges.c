// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_edges.c - packet edge cases of the general parser (issue 12, defect
 * 6), each run through both engines: the kernel's program with
 * BPF_PROG_TEST_RUN (fixture.h) and the same parser compiled natively
 * (src/native/engine.c), which must agree.
 *
 *  - A repeated offset-0 fragment with the same identification and other
 *    ports: the first fragment wins (it joins the first one's flow, the
 *    later fragments too). After the train's last fragment the
 *    identification may start a new train with its own ports.
 *  - An IPv6 jumbogram (RFC 2675) whose Jumbo Payload Length claims more
 *    than the frame holds, or not more than 65535, is an IP error (err_ip6)
 *    as an IPv4 length beyond the frame is; a consistent one counts its
 *    length.
 *  - A TCP header cut to 4 bytes is err_l4 in a first fragment as in a
 *    whole packet (RFC 1858 3.2); the later fragment then has no first.
 *
 * Expected packets and bytes are computed here from what the builder was
 * given.
 */
#include <errno.h>
#include <string.h>
#include "engine.h"
#include "fixture.h"
#include "pktgen.h"

#define A4 "10.12.0.1"
#define B4 "10.12.0.2"
#define EVIL4 "10.12.0.66"
#define A6 "2001:db8:12::1"
#define B6 "2001:db8:12::2"

/* ---- the native engine, with its records collected at a flush ---- */

#define NAT_MAX_EVENTS	64

struct nat {
	struct fm_native *e;
	struct flow_event ev[NAT_MAX_EVENTS];
	int n;
	uint64_t last_ts;
};

static struct nat nat;

static void nat_event(void *ctx, const struct flow_event *ev)
{
	struct nat *n = ctx;

	if (n->n < NAT_MAX_EVENTS)
		n->ev[n->n++] = *ev;
}

static int nat_open(void)
{
	memset(&nat, 0, sizeof(nat));
	nat.e = fm_native_new(&(struct fm_native_opts){
		.max_flows = 1024,
		.idle_ns = 15 * NSEC_PER_SEC,
		.active_ns = 1800 * NSEC_PER_SEC,
		.features = FLOWMON_F_ALL,
		.on_event = nat_event,
		.ctx = &nat,
	});
	return nat.e ? 0 : -ENOMEM;
}

static void nat_run(const struct pkt *p, uint64_t ts, uint32_t wire_len)
{
	fm_native_packet(nat.e, p->buf, (uint32_t)p->len, wire_len ? wire_len : (uint32_t)p->len,
			 ts, 0);
	nat.last_ts = ts;
}

/* Both engines, one packet. */
#define RUN2(f, p, at, wire)                                                  \
	do {                                                                  \
		RUN((f), (p), .ts = (at), .wire_len = (wire));                \
		nat_run((p), (at), (wire));                                   \
	} while (0)

/* End every record of the native table (its events land in nat.ev). */
static void nat_flush(void)
{
	struct flowmon_sweep a = {
		.now = nat.last_ts,
		.idle_ns = 15 * NSEC_PER_SEC,
		.linger_ns = 2 * NSEC_PER_SEC,
		.mode = SWEEP_FLUSH,
	};

	fm_native_sweep(nat.e, &a);
}

/* Packets and bytes of one direction key in the native records (0/0 when absent). */
static void nat_flow(const struct flow_key *k, uint64_t *pkts, uint64_t *bytes)
{
	int i;

	*pkts = *bytes = 0;
	for (i = 0; i < nat.n; i++) {
		const struct flow_event *ev = &nat.ev[i];

		if (ev->has_a && !memcmp(&ev->key_a, k, sizeof(*k))) {
			*pkts += ev->a.packets;
			*bytes += ev->a.bytes;
		}
		if (ev->has_b && !memcmp(&ev->key_b, k, sizeof(*k))) {
			*pkts += ev->b.packets;
			*bytes += ev->b.bytes;
		}
	}
}

static int nat_records(void)
{
	int i, n = 0;

	for (i = 0; i < nat.n; i++)
		n += nat.ev[i].has_a + nat.ev[i].has_b;
	return n;
}

static void nat_close(void)
{
	fm_native_free(nat.e);
	nat.e = NULL;
}

/*
 * The same flow in both engines: the kernel's entry (CHECK_FLOW, which
 * also fails on a missing key when pkts > 0) and the native records.
 */
#define CHECK_FLOW2(f, k, pkts, bytes)                                        \
	do {                                                                  \
		uint64_t _np, _nb;                                            \
		struct flow_side _s;                                          \
		if ((pkts))                                                   \
			CHECK_FLOW((f), (k), (pkts), (bytes), NULL);          \
		else                                                          \
			CHECK(fx_lookup((f), (k), &_s) == -ENOENT);           \
		nat_flow((k), &_np, &_nb);                                    \
		CHECK_EQ(_np, (pkts));                                        \
		CHECK_EQ(_nb, (bytes));                                       \
	} while (0)

/* The native counters equal exp (the kernel's are checked with CHECK_COUNTERS). */
static void nat_check_counters(const uint64_t exp[CNT_MAX], int line)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	uint64_t cnt[CNT_MAX];
	int i;

	fm_native_counters(nat.e, cnt);
	for (i = 0; i < CNT_MAX; i++)
		if (cnt[i] != exp[i])
			FAILF("line %d: native %s == %llu, expected %llu", line, names[i],
			      (unsigned long long)cnt[i], (unsigned long long)exp[i]);
}

#define CHECK_COUNTERS2(f, ...)                                               \
	do {                                                                  \
		const uint64_t _exp2[CNT_MAX] = { __VA_ARGS__ };              \
		CHECK_COUNTERS((f), __VA_ARGS__);                             \
		nat_check_counters(_exp2, __LINE__);                          \
	} while (0)

/* ---- packets ---- */

/* IPv4 first fragment (MF) of a UDP datagram: UDP header + payload bytes. */
static void v4_first(struct pkt *p, const char *src, uint16_t id, uint16_t sport, uint16_t dport,
		     size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = src, .daddr = B4, .id = id, .mf = true });
	pkt_udp(p, sport, dport);
	pkt_payload(p, payload);
	pkt_finish(p);
}

/* IPv4 later fragment at offset off8 (8-byte units), last unless mf. */
static void v4_later(struct pkt *p, const char *src, uint16_t id, uint16_t off8, bool mf,
		     size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv4(p, &(struct ip4_opts){ .saddr = src, .daddr = B4, .id = id, .mf = mf,
					.frag_off = off8, .proto = PROTO_UDP });
	pkt_payload(p, payload);
	pkt_finish(p);
}

static void v6_first(struct pkt *p, uint32_t id, uint16_t sport, uint16_t dport, size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(p, 0, true, id);
	pkt_udp(p, sport, dport);
	pkt_payload(p, payload);
	pkt_finish(p);
}

static void v6_later(struct pkt *p, uint32_t id, uint16_t off8, bool mf, size_t payload)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_frag(p, off8, mf, id);
	pkt_next_proto(p, PROTO_UDP);
	pkt_payload(p, payload);
	pkt_finish(p);
}

/*
 * IPv4: the real first fragment (7000 -> 53), a forged repeat with the
 * same ID and other ports, then the last fragment: one flow of 3 packets,
 * the forger's ports nowhere. Then the ID again, after the train's last
 * fragment: a new train with its own ports.
 */
BPF_TEST(edge_ipv4_repeated_first_fragment_first_wins)
{
	const uint32_t first = 20 + 8 + 200, forged = 20 + 8 + 64, last = 20 + 100;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	REQUIRE(nat_open() == 0);
	v4_first(&p, A4, 0x77, 7000, 53, 200);
	RUN2(&f, &p, T0, 0);
	v4_first(&p, A4, 0x77, 6666, 6666, 64);		/* same ID, other ports */
	RUN2(&f, &p, T0 + 1, 0);
	v4_later(&p, A4, 0x77, 208 / 8, false, 100);	/* last fragment */
	RUN2(&f, &p, T0 + 2, 0);
	nat_flush();
	key_v4(&k, PROTO_UDP, A4, B4, 7000, 53);
	CHECK_FLOW2(&f, &k, 3, first + forged + last);
	key_v4(&k, PROTO_UDP, A4, B4, 6666, 6666);
	CHECK_FLOW2(&f, &k, 0, 0);
	CHECK_EQ(nat_records(), 1);
	CHECK_COUNTERS2(&f, 0);
	nat_close();
	fx_close(&f);

	/* a closed train: the same ID starts a new one (IPv4 IDs wrap around) */
	REQUIRE(fx_open(&f, NULL) == 0);
	REQUIRE(nat_open() == 0);
	v4_first(&p, A4, 0x78, 7001, 53, 200);
	RUN2(&f, &p, T0, 0);
	v4_later(&p, A4, 0x78, 208 / 8, false, 100);
	RUN2(&f, &p, T0 + 1, 0);
	v4_first(&p, A4, 0x78, 8000, 53, 300);
	RUN2(&f, &p, T0 + 2, 0);
	v4_later(&p, A4, 0x78, 308 / 8, false, 50);
	RUN2(&f, &p, T0 + 3, 0);
	nat_flush();
	key_v4(&k, PROTO_UDP, A4, B4, 7001, 53);
	CHECK_FLOW2(&f, &k, 2, first + last);
	key_v4(&k, PROTO_UDP, A4, B4, 8000, 53);
	CHECK_FLOW2(&f, &k, 2, (20 + 8 + 300) + (20 + 50));
	CHECK_COUNTERS2(&f, 0);
	nat_close();
	fx_close(&f);
}

/* The same ID from another source is another train (the key holds the addresses). */
BPF_TEST(edge_ipv4_same_id_other_source_is_another_train)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	REQUIRE(nat_open() == 0);
	v4_first(&p, A4, 0x99, 7000, 53, 200);
	RUN2(&f, &p, T0, 0);
	v4_first(&p, EVIL4, 0x99, 6666, 53, 200);
	RUN2(&f, &p, T0 + 1, 0);
	v4_later(&p, A4, 0x99, 208 / 8, false, 100);
	RUN2(&f, &p, T0 + 2, 0);
	nat_flush();
	key_v4(&k, PROTO_UDP, A4, B4, 7000, 53);
	CHECK_FLOW2(&f, &k, 2, (20 + 8 + 200) + (20 + 100));
	key_v4(&k, PROTO_UDP, EVIL4, B4, 6666, 53);
	CHECK_FLOW2(&f, &k, 1, 20 + 8 + 200);
	CHECK_COUNTERS2(&f, 0);
	nat_close();
	fx_close(&f);
}

/* IPv6 (RFC 8200 4.5): the same rule on the fragment header's identification. */
BPF_TEST(edge_ipv6_repeated_first_fragment_first_wins)
{
	const uint32_t first = 40 + 8 + 8 + 200, forged = 40 + 8 + 8 + 64, last = 40 + 8 + 100;
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	REQUIRE(nat_open() == 0);
	v6_first(&p, 0xabcdef01, 7000, 53, 200);
	RUN2(&f, &p, T0, 0);
	v6_first(&p, 0xabcdef01, 6666, 6666, 64);
	RUN2(&f, &p, T0 + 1, 0);
	v6_later(&p, 0xabcdef01, 208 / 8, false, 100);
	RUN2(&f, &p, T0 + 2, 0);
	v6_first(&p, 0xabcdef01, 8000, 53, 200);	/* after the last: a new train */
	RUN2(&f, &p, T0 + 3, 0);
	nat_flush();
	key_v6(&k, PROTO_UDP, A6, B6, 7000, 53);
	CHECK_FLOW2(&f, &k, 3, first + forged + last);
	key_v6(&k, PROTO_UDP, A6, B6, 6666, 6666);
	CHECK_FLOW2(&f, &k, 0, 0);
	key_v6(&k, PROTO_UDP, A6, B6, 8000, 53);
	CHECK_FLOW2(&f, &k, 1, first);
	CHECK_COUNTERS2(&f, 0);
	nat_close();
	fx_close(&f);
}

/* IPv6, payload length 0, a hop-by-hop header with a Jumbo Payload option of jumbo. */
static void jumbogram(struct pkt *p, uint32_t jumbo)
{
	uint8_t *hbh;

	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_ip6_ext(p, PROTO_HOPOPTS, 8);
	pkt_udp(p, 4000, 4001);
	pkt_payload(p, 100);
	pkt_finish(p);
	pkt_set_ip6_plen(p, 0);
	hbh = p->buf + p->l3_off + 40;
	hbh[2] = 0xc2;		/* RFC 2675 2: option type, length 4, then the length */
	hbh[3] = 4;
	hbh[4] = (uint8_t)(jumbo >> 24);
	hbh[5] = (uint8_t)(jumbo >> 16);
	hbh[6] = (uint8_t)(jumbo >> 8);
	hbh[7] = (uint8_t)jumbo;
}

BPF_TEST(edge_ipv6_jumbogram_length_checked)
{
	const uint32_t frame = 14 + 40 + 8 + 8 + 100;	/* 170 bytes */
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	REQUIRE(nat_open() == 0);
	key_v6(&k, PROTO_UDP, A6, B6, 4000, 4001);
	/* 100000 bytes claimed in a 170-byte frame: an IP error, like IPv4's */
	jumbogram(&p, 100000);
	REQUIRE(p.len == frame);
	RUN2(&f, &p, T0, 0);
	/* a jumbo length of 65535 or less is no jumbogram (RFC 2675 3) */
	jumbogram(&p, 8 + 8 + 100);
	RUN2(&f, &p, T0 + 1, 0);
	CHECK_EQ(fx_count_flows(&f), 0);
	/* consistent: the frame was 40 + 100000 bytes long on the wire (the capture cut it) */
	jumbogram(&p, 100000);
	RUN2(&f, &p, T0 + 2, 14 + 40 + 100000);
	nat_flush();
	CHECK_FLOW2(&f, &k, 1, 40 + 100000);
	CHECK_COUNTERS2(&f, [CNT_ERR_IP6] = 2);
	nat_close();
	fx_close(&f);
}

/* A TCP header of 4 bytes: err_l4 whether the packet is a first fragment or whole. */
BPF_TEST(edge_tcp_header_cut_to_4_bytes_fragment_or_not)
{
	struct flow_key k;
	struct pkt p;
	struct fx f;

	REQUIRE(fx_open(&f, NULL) == 0);
	REQUIRE(nat_open() == 0);
	/* a first fragment of 24 bytes: IP header and the ports only (RFC 1858 3.2) */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x55, .mf = true });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 5555, .dport = 80, .flags = TH_SYN });
	pkt_finish(&p);
	pkt_truncate(&p, 14 + 20 + 4);
	RUN2(&f, &p, T0, 0);
	/* the rest of that datagram: no first fragment to join */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x55,
					 .frag_off = 1, .proto = PROTO_TCP });
	pkt_payload(&p, 16);
	pkt_finish(&p);
	RUN2(&f, &p, T0 + 1, 0);
	/* the same 4 bytes of TCP header in a whole packet */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 0x56 });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 5556, .dport = 80, .flags = TH_SYN });
	pkt_finish(&p);
	pkt_truncate(&p, 14 + 20 + 4);
	RUN2(&f, &p, T0 + 2, 0);
	nat_flush();
	key_v4(&k, PROTO_TCP, A4, B4, 5555, 80);
	CHECK_FLOW2(&f, &k, 0, 0);
	key_v4(&k, PROTO_TCP, A4, B4, 5556, 80);
	CHECK_FLOW2(&f, &k, 0, 0);
	key_v4(&k, PROTO_TCP, A4, B4, 0, 0);
	CHECK_FLOW2(&f, &k, 1, 20 + 16);	/* the later fragment, portless */
	CHECK_COUNTERS2(&f, [CNT_ERR_L4] = 2, [CNT_FRAG_NO_FIRST] = 1);
	nat_close();
	fx_close(&f);
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_plugins.c - BPF_PROG_TEST_RUN: the plugin hook (include/flowmon/plugin.h).
 *
 * A probe plugin (plugin_probe.bpf.c) records per record what the hook
 * hands it; its results are compared with the packets the test built and
 * with the meter's own records: every counted packet reaches it (the first
 * of a flow, the fast path, the general path, both directions, the packet
 * that starts a new record) under the identity of the record that counted
 * it, and no packet the meter does not count. Then the shipped plugins on
 * hand-built DNS, TCP and TLS packets whose answers are known.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "fixture.h"
#include "loader.h"
#include "plugin_host.h"
#include "flowtable.h"

#define A4 "10.13.0.1"
#define B4 "10.13.0.2"
#define A6 "2001:db8:13::1"
#define B6 "2001:db8:13::2"
#define MS 1000000ULL

/* The probe's value (plugin_probe.bpf.c), as the kernel lays it out. */
struct probe_result {
	uint64_t packets, l3_bytes, payload, first_time, last_time;
	uint32_t seq;
	uint16_t l3_off, l4_off, payload_off, tcp_flags;
	uint8_t dirs, hooks, frag, exact;
	char label[16];
};

/* An object built next to test_bpf (.output/tests) or in the tree (plugins/). */
static const char *built(const char *rel, char *buf, size_t len)
{
	char exe[PATH_MAX], *slash;
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (n <= 0)
		return rel;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (slash)
		*slash = '\0';
	snprintf(buf, len, "%.3000s/%s", exe, rel);
	return buf;
}

struct px {
	struct fx f;
	struct plugin_host h;
	int results;		/* the first plugin's results map */
};

static int px_open(struct px *x, const struct fx_cfg *cfg, const char *const *objs)
{
	char path[PATH_MAX], name[FLOWMON_PLUGIN_NAME_LEN];
	struct flowmon_plugin_slot e;
	__u32 key;
	int i, slot;

	memset(x, 0, sizeof(*x));
	x->results = -1;
	if (fx_open(&x->f, cfg))
		return -1;
	if (plugin_host_from_object(loader_object(x->f.fm), &x->h))
		return -1;
	for (i = 0; objs[i]; i++) {
		slot = plugin_load(&x->h, built(objs[i], path, sizeof(path)), 0, name,
				   sizeof(name));
		if (slot < 0)
			return -1;
		if (i == 0) {
			key = slot;
			if (bpf_map_lookup_elem(x->h.reg, &key, &e))
				return -1;
			x->results = bpf_map_get_fd_by_id(e.results_id);
		}
	}
	return 0;
}

static void px_close(struct px *x)
{
	if (x->results >= 0)
		close(x->results);
	fx_close(&x->f);
}

/* The probe's result of record (k, first_seen); 0 or -1. */
static int probe_of(int fd, const struct flow_key *k, uint64_t first_seen, struct probe_result *r)
{
	struct fm_plugin_rec rec;

	memset(&rec, 0, sizeof(rec));
	rec.key = *k;
	rec.first_seen = first_seen;
	memset(r, 0, sizeof(*r));
	return bpf_map_lookup_elem(fd, &rec, r) ? -1 : 0;
}

static int map_entries(int fd)
{
	struct fm_plugin_rec k[2];
	int n = 0, cur = 0;

	if (bpf_map_get_next_key(fd, NULL, &k[cur]))
		return 0;
	do {
		n++;
		cur ^= 1;
	} while (n < 100000 && !bpf_map_get_next_key(fd, &k[cur ^ 1], &k[cur]));
	return n;
}

/* The meter's record of k and the probe's result for it agree: packets, bytes, identity. */
static void check_probe(struct px *x, const struct flow_key *k, uint64_t pkts, uint64_t bytes,
			struct probe_result *out, const char *file, int line)
{
	struct flow_metrics m;
	struct probe_result r;

	if (fx_lookup_raw(&x->f, k, &m)) {
		printf("#   %s:%d: no entry for %s\n", file, line, fx_key_str(k));
		testlib_failed = 1;
		return;
	}
	if (probe_of(x->results, k, m.first_seen, &r)) {
		printf("#   %s:%d: no probe result for %s first_seen %llu\n", file, line,
		       fx_key_str(k), (unsigned long long)m.first_seen);
		testlib_failed = 1;
		return;
	}
	if (r.packets != pkts || m.packets != pkts || r.l3_bytes != bytes || m.bytes != bytes) {
		printf("#   %s:%d: %s: probe %llu packets %llu bytes, meter %llu/%llu, sent %llu/%llu\n",
		       file, line, fx_key_str(k), (unsigned long long)r.packets,
		       (unsigned long long)r.l3_bytes, (unsigned long long)m.packets,
		       (unsigned long long)m.bytes, (unsigned long long)pkts,
		       (unsigned long long)bytes);
		testlib_failed = 1;
	}
	if (out)
		*out = r;
}
#define CHECK_PROBE(x, k, pkts, bytes, out) check_probe((x), (k), (pkts), (bytes), (out), __FILE__, __LINE__)

static void tcp4(struct pkt *p, const char *s, const char *d, uint16_t sp, uint16_t dp,
		 uint32_t seq, uint32_t ack, uint16_t flags, size_t payload)
{
	mk_v4_tcp(p, s, d, &(struct tcp_opts){ .sport = sp, .dport = dp, .seq = seq, .ack = ack,
					       .flags = flags, .window = 1000 }, payload);
}

static const char *const probe_only[] = { "plugin_probe.bpf.o", NULL };

/*
 * A TCP connection through every path: SYN and SYN-ACK (general path: SYN),
 * the first ACK (fast path, new entry? no: the flow exists), data both ways
 * (fast path), a UDP flow's first packet (fast path's new flow), a VLAN-tagged
 * packet (general path). The probe saw exactly what the meter counted.
 */
BPF_TEST(plugin_sees_every_counted_packet)
{
	struct probe_result r;
	struct flow_key ab, ba, u;
	struct px x;
	struct pkt p;
	int i;

	REQUIRE(px_open(&x, NULL, probe_only) == 0);
	key_v4(&ab, PROTO_TCP, A4, B4, 40000, 443);
	key_v4(&ba, PROTO_TCP, B4, A4, 443, 40000);
	tcp4(&p, A4, B4, 40000, 443, 100, 0, TH_SYN, 0);		/* 40 B */
	RUN(&x.f, &p, .ts = T0, .egress = true);
	tcp4(&p, B4, A4, 443, 40000, 900, 101, TH_SYN | TH_ACK, 0);
	RUN(&x.f, &p, .ts = T0 + 1 * MS);
	tcp4(&p, A4, B4, 40000, 443, 101, 901, TH_ACK, 0);
	RUN(&x.f, &p, .ts = T0 + 2 * MS, .egress = true);
	for (i = 0; i < 5; i++) {
		tcp4(&p, A4, B4, 40000, 443, 101 + i * 100, 901, TH_ACK | TH_PSH, 100);	/* 140 B */
		RUN(&x.f, &p, .ts = T0 + (3 + i) * MS, .egress = true);
		tcp4(&p, B4, A4, 443, 40000, 901, 201 + i * 100, TH_ACK, 0);
		RUN(&x.f, &p, .ts = T0 + (3 + i) * MS + 100);
	}
	CHECK_PROBE(&x, &ab, 7, 40 + 40 + 5 * 140, &r);
	CHECK_EQ(r.tcp_flags, TH_SYN | TH_ACK | TH_PSH);
	CHECK_EQ(r.dirs, 1 << FLOW_DIR_EGRESS);
	CHECK_EQ(r.hooks, 1 << FM_PLUGIN_TC);
	CHECK_EQ(r.payload, 500);
	CHECK_EQ(r.first_time, T0);
	CHECK_EQ(r.last_time, T0 + 7 * MS);
	CHECK_EQ(r.exact, 3);			/* replay: capture time, exact */
	CHECK_STR(r.label, "probe");
	CHECK_PROBE(&x, &ba, 6, 6 * 40, &r);
	CHECK_EQ(r.dirs, 1 << FLOW_DIR_INGRESS);

	/* a new UDP flow (the fast path creates it), then a VLAN-tagged packet of it */
	key_v4(&u, PROTO_UDP, A4, B4, 5353, 53);
	mk_v4_udp(&p, A4, B4, 5353, 53, 30);				/* 58 B */
	RUN(&x.f, &p, .ts = T0 + 10 * MS);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_vlan(&p, ETH_P_8021Q_, 7);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4 });
	pkt_udp(&p, 5353, 53);
	pkt_payload(&p, 30);
	pkt_finish(&p);
	RUN(&x.f, &p, .ts = T0 + 11 * MS);
	CHECK_PROBE(&x, &u, 2, 2 * 58, &r);
	CHECK_EQ(r.l3_off, 18);			/* the tagged one was last */
	CHECK_EQ(r.l4_off, 18 + 20);
	CHECK_EQ(r.payload_off, 18 + 28);
	CHECK_EQ(r.payload, 60);
	CHECK_EQ(map_entries(x.results), 3);
	px_close(&x);
}

/* Offsets of IPv4 with options and IPv6 (general and fast path); a later fragment has no L4. */
BPF_TEST(plugin_context_offsets)
{
	static const uint8_t ipopt[4] = { 1, 1, 1, 0 };	/* NOP NOP NOP EOL */
	struct probe_result r;
	struct flow_key k;
	struct px x;
	struct pkt p;

	REQUIRE(px_open(&x, NULL, probe_only) == 0);
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .opts = ipopt,
					 .opts_len = sizeof(ipopt) });
	pkt_tcp(&p, &(struct tcp_opts){ .sport = 1, .dport = 2, .seq = 77, .flags = TH_ACK });
	pkt_payload(&p, 10);
	pkt_finish(&p);
	RUN(&x.f, &p, .ts = T0);
	key_v4(&k, PROTO_TCP, A4, B4, 1, 2);
	CHECK_PROBE(&x, &k, 1, 24 + 20 + 10, &r);
	CHECK_EQ(r.l3_off, 14);
	CHECK_EQ(r.l4_off, 14 + 24);
	CHECK_EQ(r.payload_off, 14 + 24 + 20);
	CHECK_EQ(r.payload, 10);
	CHECK_EQ(r.seq, 77);

	mk_v6_udp(&p, A6, B6, 3000, 4000, 16);
	RUN(&x.f, &p, .ts = T0 + 1);
	RUN(&x.f, &p, .ts = T0 + 2);		/* the fast path's established packet */
	key_v6(&k, PROTO_UDP, A6, B6, 3000, 4000);
	CHECK_PROBE(&x, &k, 2, 2 * (40 + 8 + 16), &r);
	CHECK_EQ(r.l4_off, 14 + 40);
	CHECK_EQ(r.payload_off, 14 + 48);
	CHECK_EQ(r.payload, 32);
	CHECK_EQ(r.frag, 0);

	/* a later fragment whose first was not seen: a portless flow, no L4 header */
	pkt_init(&p);
	pkt_eth(&p);
	pkt_ipv4(&p, &(struct ip4_opts){ .saddr = A4, .daddr = B4, .id = 9, .frag_off = 10,
					 .proto = PROTO_UDP });
	pkt_payload(&p, 40);
	pkt_finish(&p);
	RUN(&x.f, &p, .ts = T0 + 3);
	key_v4(&k, PROTO_UDP, A4, B4, 0, 0);
	CHECK_PROBE(&x, &k, 1, 60, &r);
	CHECK_EQ(r.l4_off, 0);
	CHECK_EQ(r.frag, 2);			/* a later fragment (plugin.h) */
	CHECK_EQ(r.payload, 40);
	px_close(&x);
}

/*
 * Records the kernel splits: the packets before an idle split belong to the
 * old record's identity, the packet that starts the new one to the new.
 */
BPF_TEST(plugin_results_follow_record_splits)
{
	struct fx_event ev[4];
	struct probe_result r;
	struct flow_key k;
	struct px x;
	struct pkt p;

	REQUIRE(px_open(&x, &(struct fx_cfg){ .idle_ns = NSEC_PER_SEC }, probe_only) == 0);
	key_v4(&k, PROTO_UDP, A4, B4, 7000, 53);
	mk_v4_udp(&p, A4, B4, 7000, 53, 72);			/* 100 B */
	RUN(&x.f, &p, .ts = T0);
	RUN(&x.f, &p, .ts = T0 + 500 * MS);
	RUN(&x.f, &p, .ts = T0 + 3000 * MS);			/* idle 2.5 s: a new record */
	RUN(&x.f, &p, .ts = T0 + 3100 * MS);
	REQUIRE(fx_events(&x.f, ev, 4) == 1);
	CHECK_EQ(ev[0].stats.first_seen, T0);
	REQUIRE(probe_of(x.results, &k, T0, &r) == 0);
	CHECK_EQ(r.packets, ev[0].stats.packets);
	CHECK_EQ(r.packets, 2);
	CHECK_EQ(r.last_time, T0 + 500 * MS);
	CHECK_PROBE(&x, &k, 2, 200, &r);			/* the new record */
	CHECK_EQ(r.first_time, T0 + 3000 * MS);
	CHECK_EQ(map_entries(x.results), 2);
	px_close(&x);
}

/* A packet seen again at another hook (lo: egress, then ingress) reaches no plugin again. */
BPF_TEST(plugin_not_called_for_other_hook)
{
	struct flow_key k;
	struct px x;
	struct pkt p;
	int i;

	REQUIRE(px_open(&x, NULL, probe_only) == 0);
	mk_v6_udp(&p, A6, B6, 1111, 2222, 100);
	for (i = 0; i < 4; i++) {
		RUN(&x.f, &p, .ts = T0 + i * 1000, .egress = true);
		RUN(&x.f, &p, .ts = T0 + i * 1000 + 10);
	}
	key_v6(&k, PROTO_UDP, A6, B6, 1111, 2222);
	CHECK_PROBE(&x, &k, 4, 4 * 148, NULL);
	CHECK_EQ(fx_counter(&x.f, CNT_OTHER_HOOK), 4);
	px_close(&x);
}

/* The guard: the number of plugins loaded (0: the hook costs one load and a branch). */
static uint32_t guard(const struct plugin_host *h)
{
	uint32_t zero = 0, v = ~0U;

	bpf_map_lookup_elem(h->on, &zero, &v);
	return v;
}

/* Two plugins in a row both see every packet; unloading the first leaves the second. */
BPF_TEST(plugin_chain_and_unload)
{
	static const char *const two[] = { "plugin_probe.bpf.o", "plugin_probe2.bpf.o", NULL };
	struct flowmon_plugin_slot e;
	struct probe_result r;
	struct flow_metrics m;
	struct flow_key k;
	struct px x;
	struct pkt p;
	int fd2;
	__u32 key = 1;

	REQUIRE(px_open(&x, NULL, two) == 0);
	CHECK_EQ(guard(&x.h), 2);
	REQUIRE(bpf_map_lookup_elem(x.h.reg, &key, &e) == 0);
	CHECK_STR(e.name, "probe2");
	fd2 = bpf_map_get_fd_by_id(e.results_id);
	REQUIRE(fd2 >= 0);
	key_v4(&k, PROTO_UDP, A4, B4, 9, 10);
	mk_v4_udp(&p, A4, B4, 9, 10, 0);			/* 28 B */
	RUN(&x.f, &p, .ts = T0);
	RUN(&x.f, &p, .ts = T0 + 1);
	REQUIRE(fx_lookup_raw(&x.f, &k, &m) == 0);
	REQUIRE(probe_of(fd2, &k, m.first_seen, &r) == 0);
	CHECK_EQ(r.packets, 2);
	CHECK_STR(r.label, "probe2");
	CHECK_PROBE(&x, &k, 2, 56, NULL);

	CHECK_EQ(plugin_unload(&x.h, "probe"), 0);
	CHECK_EQ(guard(&x.h), 1);
	CHECK(!plugin_loaded(&x.h, "probe") && plugin_loaded(&x.h, "probe2"));
	RUN(&x.f, &p, .ts = T0 + 2);
	REQUIRE(probe_of(fd2, &k, m.first_seen, &r) == 0);
	CHECK_EQ(r.packets, 3);					/* slot 0 empty: slot 1 still runs */
	REQUIRE(probe_of(x.results, &k, m.first_seen, &r) == 0);
	CHECK_EQ(r.packets, 2);					/* unloaded: no more */
	CHECK_EQ(plugin_unload(&x.h, "probe"), -ENOENT);
	CHECK_EQ(plugin_unload(&x.h, "probe2"), 0);
	CHECK_EQ(guard(&x.h), 0);
	RUN(&x.f, &p, .ts = T0 + 3);
	CHECK_FLOW(&x.f, &k, 4, 112, NULL);			/* the meter never stopped */
	close(fd2);
	px_close(&x);
}

/* The reader takes a record's results out of the map and hands them to the formats. */
BPF_TEST(plugin_reader_attaches_and_consumes)
{
	static struct plugin_reader rd;
	struct flow_record rec;
	struct fx_event ev[4];
	struct flow_key k;
	struct px x;
	struct pkt p;
	const struct probe_result *r;
	int n;

	REQUIRE(px_open(&x, &(struct fx_cfg){ .idle_ns = NSEC_PER_SEC }, probe_only) == 0);
	memset(&rd, 0, sizeof(rd));
	REQUIRE(plugin_reader_refresh(&rd, x.h.reg) == 1);
	CHECK_EQ(rd.n, 1);
	CHECK_STR(rd.desc[0].name, "probe");
	CHECK_EQ(plugin_reader_refresh(&rd, x.h.reg), 0);	/* nothing changed */
	key_v4(&k, PROTO_UDP, A4, B4, 1234, 53);
	mk_v4_udp(&p, A4, B4, 1234, 53, 0);
	RUN(&x.f, &p, .ts = T0);
	mk_v4_udp(&p, B4, A4, 53, 1234, 0);
	RUN(&x.f, &p, .ts = T0 + 1);
	RUN(&x.f, &p, .ts = T0 + 2);
	mk_v4_udp(&p, A4, B4, 1234, 53, 0);
	RUN(&x.f, &p, .ts = T0 + 3 * NSEC_PER_SEC);		/* idle: the connection's record ends */
	n = fx_events(&x.f, ev, 4);
	REQUIRE(n == 2);
	flow_record_build(&rec, &ev[0].key, &ev[0].stats, &ev[1].stats, ev[0].reason, 0);
	plugin_reader_attach(&rd, &rec, true);
	REQUIRE(rec.plug && rec.plug->val[0]);
	r = (const struct probe_result *)rec.plug->val[0];
	CHECK_EQ(r->packets, 1);				/* the forward half's result */
	CHECK_EQ(rd.p[0].delivered, 1);
	CHECK_EQ(map_entries(x.results), 1);			/* only the new record's is left */
	plugin_reader_attach(&rd, &rec, true);
	CHECK(!rec.plug->val[0]);				/* taken out before */
	plugin_reader_free(&rd);
	px_close(&x);
}

/* ---- the shipped plugins ------------------------------------------------------ */

static const char *const dns_only[] = { "../../plugins/dns.bpf.o", NULL };
static const char *const rtt_only[] = { "../../plugins/rtt.bpf.o", NULL };
static const char *const tls_only[] = { "../../plugins/tls.bpf.o", NULL };

struct dns_result {
	char query[256];
	uint16_t qtype, query_id, answers;
	uint8_t rcode, answered;
	uint64_t latency_ns;
	uint32_t queries, responses;
};

/* A DNS message (RFC 1035 4.1): header, then the question "\3www\7example\4test\0" type t. */
static void dns_msg(struct pkt *p, bool v6, bool response, uint16_t id, uint16_t qtype,
		    uint8_t rcode, uint16_t ancount)
{
	static const uint8_t name[] = "\3www\7example\4test";
	uint8_t h[12] = { id >> 8, id & 0xff, response ? 0x81 : 0x01, response ? 0x80 | rcode : 0,
			  0, 1, ancount >> 8, ancount & 0xff, 0, 0, 0, 0 };
	uint8_t tail[4] = { qtype >> 8, qtype & 0xff, 0, 1 };

	pkt_init(p);
	pkt_eth(p);
	if (v6)
		pkt_ipv6(p, &(struct ip6_opts){ .saddr = response ? B6 : A6, .daddr = response ? A6 : B6 });
	else
		pkt_ipv4(p, &(struct ip4_opts){ .saddr = response ? B4 : A4, .daddr = response ? A4 : B4 });
	pkt_udp(p, response ? 53 : 33333, response ? 33333 : 53);
	pkt_bytes(p, h, sizeof(h));
	pkt_bytes(p, name, sizeof(name));	/* with the root label's 0 */
	pkt_bytes(p, tail, sizeof(tail));
	if (response)
		pkt_payload(p, 16 * ancount);	/* answers: not read */
	pkt_finish(p);
}

BPF_TEST(plugin_dns_query_and_response)
{
	struct dns_result d;
	struct flow_metrics m;
	struct flow_key k;
	struct px x;
	struct pkt p;

	REQUIRE(px_open(&x, NULL, dns_only) == 0);
	dns_msg(&p, true, false, 0xbeef, 28, 0, 0);
	RUN(&x.f, &p, .ts = T0, .egress = true);
	dns_msg(&p, true, true, 0xbeef, 28, 3, 0);		/* NXDOMAIN */
	RUN(&x.f, &p, .ts = T0 + 1234567);
	key_v6(&k, PROTO_UDP, A6, B6, 33333, 53);
	REQUIRE(fx_lookup_raw(&x.f, &k, &m) == 0);
	{
		struct fm_plugin_rec rec = { .key = k, .first_seen = m.first_seen };

		REQUIRE(bpf_map_lookup_elem(x.results, &rec, &d) == 0);
	}
	CHECK_STR(d.query, "www.example.test");
	CHECK_EQ(d.qtype, 28);
	CHECK_EQ(d.query_id, 0xbeef);
	CHECK_EQ(d.rcode, 3);
	CHECK_EQ(d.answers, 0);
	CHECK_EQ(d.answered, 1);
	CHECK_EQ(d.latency_ns, 1234567);
	CHECK_EQ(d.queries, 1);
	CHECK_EQ(d.responses, 1);
	/* a response with another ID answers nothing */
	dns_msg(&p, true, false, 1, 1, 0, 0);
	RUN(&x.f, &p, .ts = T0 + 2 * MS, .egress = true);
	dns_msg(&p, true, true, 2, 1, 0, 2);
	RUN(&x.f, &p, .ts = T0 + 3 * MS);
	{
		struct fm_plugin_rec rec = { .key = k, .first_seen = m.first_seen };

		REQUIRE(bpf_map_lookup_elem(x.results, &rec, &d) == 0);
	}
	CHECK_EQ(d.queries, 2);
	CHECK_EQ(d.responses, 1);
	CHECK_EQ(d.rcode, 3);					/* still the first query's answer */
	px_close(&x);
}

struct rtt_result {
	uint64_t server_ns, client_ns;
	uint32_t syns;
	uint8_t have_server, have_client;
};

/* SYN at 0, SYN-ACK 12.3456 ms later, ACK 7.6543 ms after that: exact on capture time. */
BPF_TEST(plugin_rtt_handshake)
{
	struct fm_plugin_rec rec;
	struct rtt_result r;
	struct flow_metrics m;
	struct px x;
	struct pkt p;

	REQUIRE(px_open(&x, NULL, rtt_only) == 0);
	tcp4(&p, A4, B4, 50000, 80, 1000, 0, TH_SYN, 0);
	RUN(&x.f, &p, .ts = T0, .egress = true);
	tcp4(&p, A4, B4, 50000, 80, 1000, 0, TH_SYN, 0);		/* sent again */
	RUN(&x.f, &p, .ts = T0 + 1000 * MS, .egress = true);
	tcp4(&p, B4, A4, 80, 50000, 7000, 999, TH_SYN | TH_ACK, 0);	/* acks nothing sent */
	RUN(&x.f, &p, .ts = T0 + 1005 * MS);
	tcp4(&p, B4, A4, 80, 50000, 7000, 1001, TH_SYN | TH_ACK, 0);
	RUN(&x.f, &p, .ts = T0 + 1000 * MS + 12345600);
	tcp4(&p, A4, B4, 50000, 80, 1001, 7001, TH_ACK, 0);
	RUN(&x.f, &p, .ts = T0 + 1000 * MS + 12345600 + 7654300, .egress = true);
	memset(&rec, 0, sizeof(rec));
	key_v4(&rec.key, PROTO_TCP, A4, B4, 50000, 80);
	REQUIRE(fx_lookup_raw(&x.f, &rec.key, &m) == 0);
	rec.first_seen = m.first_seen;
	REQUIRE(bpf_map_lookup_elem(x.results, &rec, &r) == 0);
	CHECK_EQ(r.server_ns, 12345600);
	CHECK_EQ(r.client_ns, 7654300);
	CHECK_EQ(r.syns, 2);
	CHECK_EQ(r.have_server, 1);
	CHECK_EQ(r.have_client, 1);
	px_close(&x);
}

struct tls_result {
	char sni[256], alpn[64], versions[48], ja4[40];
	uint16_t version, hellos;
	uint8_t split;
};

static void put16(uint8_t *b, size_t *n, uint16_t v)
{
	b[(*n)++] = v >> 8;
	b[(*n)++] = v & 0xff;
}

/*
 * A ClientHello (RFC 8446 4.1.2) with GREASE (RFC 8701) in the cipher
 * suites and extensions: TLS_AES_128_GCM_SHA256, TLS_AES_256_GCM_SHA384,
 * ECDHE-ECDSA-AES128-GCM-SHA256; SNI "ex.test", ALPN "h2", supported_versions
 * 1.3 and 1.2, signature_algorithms 0x0403 0x0804, supported_groups x25519.
 * Its JA4, computed with Python's hashlib from these lists:
 * t13d0305h2_5559582ccdc4_fbabbea27ee8.
 */
static size_t client_hello(uint8_t *b)
{
	size_t n = 0, ext_len_at, hs_len_at, rec_len_at, e;
	int i;

	b[n++] = 22;				/* handshake record */
	put16(b, &n, 0x0301);
	rec_len_at = n;
	n += 2;
	b[n++] = 1;				/* client_hello */
	hs_len_at = n;
	n += 3;
	put16(b, &n, 0x0303);			/* legacy_version */
	for (i = 0; i < 32; i++)
		b[n++] = i;			/* random */
	b[n++] = 0;				/* no session id */
	put16(b, &n, 8);
	put16(b, &n, 0x0a0a);			/* GREASE */
	put16(b, &n, 0x1301);
	put16(b, &n, 0xc02b);
	put16(b, &n, 0x1302);
	b[n++] = 1;
	b[n++] = 0;				/* null compression */
	ext_len_at = n;
	n += 2;
	e = n;
	put16(b, &n, 0x1a1a);			/* GREASE, empty */
	put16(b, &n, 0);
	put16(b, &n, 0);			/* server_name */
	put16(b, &n, 12);
	put16(b, &n, 10);
	b[n++] = 0;
	put16(b, &n, 7);
	memcpy(b + n, "ex.test", 7);
	n += 7;
	put16(b, &n, 16);			/* ALPN */
	put16(b, &n, 5);
	put16(b, &n, 3);
	b[n++] = 2;
	memcpy(b + n, "h2", 2);
	n += 2;
	put16(b, &n, 43);			/* supported_versions */
	put16(b, &n, 5);
	b[n++] = 4;
	put16(b, &n, 0x0304);
	put16(b, &n, 0x0303);
	put16(b, &n, 13);			/* signature_algorithms */
	put16(b, &n, 6);
	put16(b, &n, 4);
	put16(b, &n, 0x0403);
	put16(b, &n, 0x0804);
	put16(b, &n, 10);			/* supported_groups */
	put16(b, &n, 4);
	put16(b, &n, 2);
	put16(b, &n, 0x001d);
	b[ext_len_at] = (n - e) >> 8;
	b[ext_len_at + 1] = (n - e) & 0xff;
	b[hs_len_at] = 0;
	b[hs_len_at + 1] = (n - hs_len_at - 3) >> 8;
	b[hs_len_at + 2] = (n - hs_len_at - 3) & 0xff;
	b[rec_len_at] = (n - rec_len_at - 2) >> 8;
	b[rec_len_at + 1] = (n - rec_len_at - 2) & 0xff;
	return n;
}

static void tls_pkt(struct pkt *p, const uint8_t *b, size_t n, uint16_t sport)
{
	pkt_init(p);
	pkt_eth(p);
	pkt_ipv6(p, &(struct ip6_opts){ .saddr = A6, .daddr = B6 });
	pkt_tcp(p, &(struct tcp_opts){ .sport = sport, .dport = 443, .seq = 1, .ack = 1,
				       .flags = TH_ACK | TH_PSH, .window = 500 });
	pkt_bytes(p, b, n);
	pkt_finish(p);
}

BPF_TEST(plugin_tls_client_hello)
{
	struct fm_plugin_rec rec;
	struct tls_result t;
	struct flow_metrics m;
	uint8_t hello[512];
	struct px x;
	struct pkt p;
	size_t n = client_hello(hello);

	REQUIRE(px_open(&x, NULL, tls_only) == 0);
	tls_pkt(&p, hello, n, 44444);
	RUN(&x.f, &p, .ts = T0, .egress = true);
	memset(&rec, 0, sizeof(rec));
	key_v6(&rec.key, PROTO_TCP, A6, B6, 44444, 443);
	REQUIRE(fx_lookup_raw(&x.f, &rec.key, &m) == 0);
	rec.first_seen = m.first_seen;
	REQUIRE(bpf_map_lookup_elem(x.results, &rec, &t) == 0);
	CHECK_STR(t.sni, "ex.test");
	CHECK_STR(t.alpn, "h2");
	CHECK_STR(t.versions, "1.3,1.2");
	CHECK_EQ(t.version, 0x0304);
	CHECK_STR(t.ja4, "t13d0305h2_5559582ccdc4_fbabbea27ee8");
	CHECK_EQ(t.hellos, 1);
	CHECK_EQ(t.split, 0);

	/* the same ClientHello cut after 100 bytes: its record goes on in the next segment */
	tls_pkt(&p, hello, 100, 44445);
	RUN(&x.f, &p, .ts = T0 + 1, .egress = true);
	key_v6(&rec.key, PROTO_TCP, A6, B6, 44445, 443);
	REQUIRE(fx_lookup_raw(&x.f, &rec.key, &m) == 0);
	rec.first_seen = m.first_seen;
	REQUIRE(bpf_map_lookup_elem(x.results, &rec, &t) == 0);
	CHECK_EQ(t.split, 1);
	CHECK_EQ(t.hellos, 0);
	CHECK_STR(t.ja4, "");
	px_close(&x);
}

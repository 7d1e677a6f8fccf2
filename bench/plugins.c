// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * plugins.c - `bench plugins`: what each shipped plugin adds to flowmon_ingress,
 * on packets it parses and on packets it skips. Two meters (default
 * profile, live knobs) run the same packets, trials interleaved: one
 * without plugin, one with the plugin loaded; the difference is the
 * plugin's cost, the tail call included.
 *
 * Established packets run in a repeat loop on one flow; the packets a
 * plugin parses once per record (a TLS ClientHello with its JA4, a SYN) run
 * once each on distinct new flows, and the meter's own insert is in both
 * figures.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bench.h"
#include "flowmon.h"
#include "loader.h"
#include "plugin_host.h"

#define P_REPEAT	200000		/* runs per established trial */
#define P_FLOWS		4096		/* new flows per trial */

struct meter {
	struct flowmon_bpf *fm;
	int prog;
	int flows;
};

static int meter_open(const struct bench_opts *o, const char *plugin, struct meter *m)
{
	struct loader_opts lo = {
		.obj_path = o->obj,
		.max_flows = FLOWMON_DEFAULT_MAX_FLOWS,
		.idle_ns = FLOWMON_DEFAULT_IDLE_SEC * NSEC_PER_SEC,
		.active_ns = FLOWMON_DEFAULT_ACTIVE_SEC * NSEC_PER_SEC,
	};
	char path[PATH_MAX], name[FLOWMON_PLUGIN_NAME_LEN];
	struct plugin_host h;
	int err;

	memset(m, 0, sizeof(*m));
	err = loader_open(&lo, &m->fm);
	if (err)
		return err;
	m->prog = loader_prog_fd(m->fm, true);
	m->flows = loader_flows_fd(m->fm);
	if (!plugin)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", o->plugins, plugin);
	err = plugin_host_from_object(loader_object(m->fm), &h);
	if (!err && plugin_load(&h, path, 0, name, sizeof(name)) < 0)
		err = -EINVAL;
	if (err)
		fprintf(stderr, "failed to load plugin %s: %s\n", path, bench_verifier_error());
	return err;
}

/* A payload into a UDP or TCP template (lengths follow it). */
static void with_payload(struct bench_pkt *p, int ipver, enum bench_l4 kind, uint16_t dport,
			 const uint8_t *pl, uint32_t n)
{
	bench_pkt_build(p, ipver, kind, n);
	memcpy(p->buf + p->len - n, pl, n);
	p->buf[p->l4 + 2] = dport >> 8;
	p->buf[p->l4 + 3] = dport & 0xff;
}

/* RFC 1035 4.1: a query of www.example.com, type A. */
static void dns_query(struct bench_pkt *p)
{
	static const uint8_t q[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
				   "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01";

	with_payload(p, 4, BL4_UDP, 53, q, sizeof(q) - 1);
}

static void put16(uint8_t *b, size_t *n, uint16_t v)
{
	b[(*n)++] = v >> 8;
	b[(*n)++] = v & 0xff;
}

/* A TLS 1.3 ClientHello like a browser's (RFC 8446 4.1.2): 16 suites, 9 extensions. */
static void client_hello(struct bench_pkt *p)
{
	static const uint16_t cs[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
				       0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f,
				       0x0035, 0x000a };
	static const uint16_t ext[] = { 10, 11, 23, 35, 51, 45, 13 };
	uint8_t b[200];
	size_t n = 0, rec, hs, el, e, i;

	b[n++] = 22;
	put16(b, &n, 0x0301);
	rec = n;
	n += 2;
	b[n++] = 1;
	hs = n;
	n += 3;
	put16(b, &n, 0x0303);
	for (i = 0; i < 32; i++)
		b[n++] = i;
	b[n++] = 0;
	put16(b, &n, sizeof(cs));
	for (i = 0; i < sizeof(cs) / 2; i++)
		put16(b, &n, cs[i]);
	b[n++] = 1;
	b[n++] = 0;
	el = n;
	n += 2;
	e = n;
	put16(b, &n, 0);			/* server_name */
	put16(b, &n, 16);
	put16(b, &n, 14);
	b[n++] = 0;
	put16(b, &n, 11);
	memcpy(b + n, "example.com", 11);
	n += 11;
	put16(b, &n, 16);			/* ALPN h2 */
	put16(b, &n, 5);
	put16(b, &n, 3);
	b[n++] = 2;
	b[n++] = 'h';
	b[n++] = '2';
	put16(b, &n, 43);			/* supported_versions */
	put16(b, &n, 5);
	b[n++] = 4;
	put16(b, &n, 0x0304);
	put16(b, &n, 0x0303);
	for (i = 0; i < sizeof(ext) / 2; i++) {
		put16(b, &n, ext[i]);
		put16(b, &n, ext[i] == 13 ? 6 : 0);
		if (ext[i] == 13) {
			put16(b, &n, 4);
			put16(b, &n, 0x0403);
			put16(b, &n, 0x0804);
		}
	}
	b[el] = (n - e) >> 8;
	b[el + 1] = (n - e) & 0xff;
	b[hs] = 0;
	b[hs + 1] = (n - hs - 3) >> 8;
	b[hs + 2] = (n - hs - 3) & 0xff;
	b[rec] = (n - rec - 2) >> 8;
	b[rec + 1] = (n - rec - 2) & 0xff;
	with_payload(p, 4, BL4_TCP_ACK, 443, b, n);
}

struct shape {
	const char *what;
	bool established;	/* repeat loop on one flow; else distinct new flows */
	void (*build)(struct bench_pkt *p);
};

static void tcp_data(struct bench_pkt *p)
{
	bench_pkt_build(p, 4, BL4_TCP_ACK, 100);
}

static void tcp_syn(struct bench_pkt *p)
{
	bench_pkt_build(p, 4, BL4_TCP_SYN, 0);
}

static const struct {
	const char *file;
	struct shape parsed, skipped;
} plugins[] = {
	{ "dns.bpf.o", { "DNS query (established UDP/IPv4 flow)", true, dns_query },
	  { "TCP/IPv4 ACK|PSH + 100 B (established)", true, tcp_data } },
	{ "tls.bpf.o", { "ClientHello with JA4 (new TCP/IPv4 flows)", false, client_hello },
	  { "TCP/IPv4 ACK|PSH + 100 B (established)", true, tcp_data } },
	{ "rtt.bpf.o", { "SYN (new TCP/IPv4 flows)", false, tcp_syn },
	  { "TCP/IPv4 ACK|PSH + 100 B (established)", true, tcp_data } },
};

/* One trial of one meter: ns per packet. */
static int trial(const struct meter *m, const struct shape *s, struct bench_pkt *p, int t,
		 double *v)
{
	uint64_t sum = 0;
	uint32_t ns, i;
	int err = 0;

	if (s->established) {
		err = bench_test_run(m->prog, p, BENCH_T0, P_REPEAT, &ns);
		*v = ns;
		return err;
	}
	bench_map_clear(m->flows);
	for (i = 0; i < P_FLOWS && !err; i++) {
		bench_pkt_set_flow(p, t * P_FLOWS + i);
		err = bench_test_run(m->prog, p, BENCH_T0 + i, 1, &ns);
		sum += ns;
	}
	*v = (double)sum / P_FLOWS;
	return err;
}

static int measure(const struct bench_opts *o, struct meter m[2], const struct shape *s)
{
	int n = o->trials < 64 ? o->trials : 64, t, i, err = 0;
	struct bench_pkt p[2];
	double v[2][64], med[2];

	for (i = 0; i < 2; i++) {
		s->build(&p[i]);
		if (s->established) {
			bench_map_clear(m[i].flows);
			err = err ? err : bench_test_run(m[i].prog, &p[i], BENCH_T0, 1, NULL);
		}
	}
	for (t = 0; t < n && !err; t++)
		for (i = 0; i < 2 && !err; i++)
			err = trial(&m[i], s, &p[i], t, &v[i][t]);
	if (err) {
		fprintf(stderr, "failed to measure %s: %s\n", s->what, strerror(-err));
		return err;
	}
	med[0] = bench_median(v[0], n);
	med[1] = bench_median(v[1], n);
	printf("    %-44s %8.1f %8.1f %+8.1f\n", s->what, med[0], med[1], med[1] - med[0]);
	return 0;
}

int bench_plugins(const struct bench_opts *o, int argc, char **argv)
{
	struct meter m[2];
	size_t i;
	int err = 0;

	printf("each plugin on flowmon_ingress (default profile, live knobs), BPF_PROG_TEST_RUN,\n"
	       "ns/packet, median of %d trials interleaved; established: %d runs per trial,\n"
	       "new flows: %d distinct flows per trial (the meter's insert in both columns)\n",
	       o->trials, P_REPEAT, P_FLOWS);
	printf("    %-44s %8s %8s %8s\n", "", "meter", "+plugin", "plugin");
	for (i = 0; i < sizeof(plugins) / sizeof(plugins[0]) && !err; i++) {
		memset(m, 0, sizeof(m));
		err = meter_open(o, NULL, &m[0]);
		if (!err)
			err = meter_open(o, plugins[i].file, &m[1]);
		if (!err) {
			printf("  %s\n", plugins[i].file);
			err = measure(o, m, &plugins[i].parsed);
			if (!err)
				err = measure(o, m, &plugins[i].skipped);
		}
		loader_close(m[0].fm);
		loader_close(m[1].fm);
	}
	return err ? 1 : 0;
}

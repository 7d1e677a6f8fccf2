// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* pkt.c - packet templates of the benchmark, and the many-flow pcap writer. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "bench.h"

#define ETH_LEN		14
#define IP4_LEN		20
#define IP6_LEN		40
#define TCP_LEN		20
#define UDP_LEN		8
#define SYN_OPT_LEN	20

static const uint8_t v4_src[4] = { 10, 0, 0, 1 };
static const uint8_t v4_dst[4] = { 192, 0, 2, 10 };
static const uint8_t v6_src[16] = { 0x20, 0x01, 0x0d, 0xb8, [15] = 1 };
static const uint8_t v6_dst[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 0x10 };

static void put16(uint8_t *b, uint16_t v)
{
	b[0] = v >> 8;
	b[1] = v;
}

static void put32(uint8_t *b, uint32_t v)
{
	put16(b, v >> 16);
	put16(b + 2, v);
}

/* MSS 1460, SACK permitted, timestamps, NOP, window scale 7: a Linux SYN. */
static void syn_options(uint8_t *o)
{
	static const uint8_t opt[SYN_OPT_LEN] = {
		2, 4, 0x05, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7,
	};

	memcpy(o, opt, sizeof(opt));
}

static uint32_t l4_build(uint8_t *h, enum bench_l4 kind, uint32_t payload)
{
	uint32_t hl = kind == BL4_UDP ? UDP_LEN : TCP_LEN + (kind == BL4_TCP_SYN ? SYN_OPT_LEN : 0);

	put16(h, 40000);
	put16(h + 2, 443);
	if (kind == BL4_UDP) {
		put16(h + 4, UDP_LEN + payload);
		return hl;
	}
	put32(h + 4, 1000000);				/* seq */
	put32(h + 8, kind == BL4_TCP_SYN ? 0 : 2000000);	/* ack */
	h[12] = (hl / 4) << 4;
	h[13] = kind == BL4_TCP_SYN ? 0x02 : 0x18;	/* SYN, or PSH|ACK */
	put16(h + 14, 502);
	if (kind == BL4_TCP_SYN)
		syn_options(h + TCP_LEN);
	return hl;
}

void bench_pkt_build(struct bench_pkt *p, int ipver, enum bench_l4 kind, uint32_t payload)
{
	uint8_t *b = p->buf, proto = kind == BL4_UDP ? 17 : 6;
	uint32_t l4len, i;

	memset(p, 0, sizeof(*p));
	p->ipver = ipver;
	p->l3 = ETH_LEN;
	p->l4 = ETH_LEN + (ipver == 4 ? IP4_LEN : IP6_LEN);
	memcpy(b, "\x02\0\0\0\0\x02\x02\0\0\0\0\x01", 12);
	put16(b + 12, ipver == 4 ? 0x0800 : 0x86dd);
	l4len = l4_build(b + p->l4, kind, payload);
	for (i = 0; i < payload && p->l4 + l4len + i < BENCH_PKT_MAX; i++)
		b[p->l4 + l4len + i] = i;
	p->len = p->l4 + l4len + i;
	if (ipver == 4) {
		b[p->l3] = 0x45;
		put16(b + p->l3 + 2, IP4_LEN + l4len + payload);
		put16(b + p->l3 + 6, 0x4000);	/* DF */
		b[p->l3 + 8] = 64;
		b[p->l3 + 9] = proto;
		memcpy(b + p->l3 + 12, v4_src, 4);
		memcpy(b + p->l3 + 16, v4_dst, 4);
	} else {
		put32(b + p->l3, 0x60000000);
		put16(b + p->l3 + 4, l4len + payload);
		b[p->l3 + 6] = proto;
		b[p->l3 + 7] = 64;
		memcpy(b + p->l3 + 8, v6_src, 16);
		memcpy(b + p->l3 + 24, v6_dst, 16);
	}
}

void bench_pkt_set_flow(struct bench_pkt *p, uint32_t i)
{
	/* v4: 10.x.y.z from the low 24 bits; v6: the last 32 bits of 2001:db8::/64 */
	if (p->ipver == 4) {
		p->buf[p->l3 + 13] = i >> 16;
		p->buf[p->l3 + 14] = i >> 8;
		p->buf[p->l3 + 15] = i;
	} else {
		put32(p->buf + p->l3 + 20, i);
	}
	put16(p->buf + p->l4, 1024 + (i >> 24));	/* source port: more than 2^24 flows */
}

static void swap(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t[16];

	memcpy(t, a, n);
	memcpy(a, b, n);
	memcpy(b, t, n);
}

void bench_pkt_reverse(struct bench_pkt *p)
{
	if (p->ipver == 4)
		swap(p->buf + p->l3 + 12, p->buf + p->l3 + 16, 4);
	else
		swap(p->buf + p->l3 + 8, p->buf + p->l3 + 24, 16);
	swap(p->buf + p->l4, p->buf + p->l4 + 2, 2);
}

/* Classic pcap, nanosecond timestamps (magic a1b23c4d), Ethernet, native order. */
static int pcap_header(FILE *f)
{
	struct {
		uint32_t magic;
		uint16_t major, minor;
		int32_t zone;
		uint32_t sigfigs, snaplen, linktype;
	} h = { 0xa1b23c4d, 2, 4, 0, 0, 65535, 1 };

	return fwrite(&h, sizeof(h), 1, f) == 1 ? 0 : -EIO;
}

static int pcap_record(FILE *f, const struct bench_pkt *p, uint64_t ts)
{
	uint32_t r[4] = { ts / NSEC_PER_SEC, ts % NSEC_PER_SEC, p->len, p->len };

	if (fwrite(r, sizeof(r), 1, f) != 1 || fwrite(p->buf, p->len, 1, f) != 1)
		return -EIO;
	return 0;
}

/*
 * genpcap FILE N: N table entries as the scan benchmark makes them (half
 * in two-way pairs), 500 ns apart so the whole file spans under a second.
 */
int bench_genpcap(const struct bench_opts *o, int argc, char **argv)
{
	struct bench_pkt p;
	uint32_t n, i;
	FILE *f;
	int err;

	if (argc < 3)
		return 2;
	n = strtoul(argv[2], NULL, 10);
	f = fopen(argv[1], "w");
	if (!f) {
		fprintf(stderr, "failed to create %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	err = pcap_header(f);
	for (i = 0; i < n && !err; i++) {
		bench_fill_pkt(&p, i, n);
		err = pcap_record(f, &p, BENCH_T0 + (uint64_t)i * 500);
	}
	if (fclose(f) || err) {
		fprintf(stderr, "failed to write %s\n", argv[1]);
		return 1;
	}
	return 0;
}

/*
 * Entry j of an n-entry table: the first half are two-way pairs (entry 2k
 * and 2k+1 are the two directions of connection k), the rest one-way.
 */
void bench_fill_pkt(struct bench_pkt *p, uint32_t j, uint32_t n)
{
	uint32_t half = n / 2 & ~1u;

	bench_pkt_build(p, 4, BL4_TCP_ACK, 64);
	if (j < half) {
		bench_pkt_set_flow(p, j / 2);
		if (j & 1)
			bench_pkt_reverse(p);
	} else {
		bench_pkt_set_flow(p, (1u << 23) + j);	/* away from the pairs' addresses */
	}
}

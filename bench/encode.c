// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * encode.c - userland ns per record of each record format and of the IPFIX
 * encoder, on one TCP/IPv6 record with both directions and every metric
 * set: what a daemon pays per ended connection after the scan.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "format.h"
#include "ipfix.h"
#include "bench.h"

#define ENCODE_RECORDS	200000	/* per trial */
#define ENCODE_MAX_TRIALS 64

static void side_fill(struct flow_side *s, uint64_t t0, int rev)
{
	int i;

	s->first_seen = t0 + rev * 41000;
	s->last_seen = t0 + 2500000000ULL;
	s->packets = rev ? 900 : 1500;
	s->bytes = rev ? 52000 : 2100000;
	s->arrivals = s->packets;
	s->iat_min = 1200;
	s->iat_max = 90000000;
	s->iat_sumsq = 123456789;
	s->retr_pkts = 3;
	s->retr_bytes = 4200;
	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		s->size_hist[i] = i * 10;
	s->ttl_hist[3] = (uint32_t)s->packets;
	s->len_min = 60;
	s->len_max = 1500;
	s->win_min = 500;
	s->win_max = 64000;
	s->syn_win = 64240;
	s->ifindex = 2;
	s->tcp_flags = 0x1b;
	s->mss = 1460;
	s->wscale = 7;
	s->ttl_min = 64;
	s->ttl_max = 64;
	s->dir = rev;
	s->ipver = 6;
	s->state = FLOW_ST_SEQ_VALID | (rev ? 0 : FLOW_ST_INITIATOR);
}

static void record_fill(struct flow_record *r)
{
	static const uint8_t a[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };
	static const uint8_t b[16] = { 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

	memset(r, 0, sizeof(*r));
	memcpy(r->key.saddr, a, 16);
	memcpy(r->key.daddr, b, 16);
	r->key.sport = 40000;
	r->key.dport = 443;
	r->key.proto = 6;
	r->key.ipver = 6;
	side_fill(&r->fwd, BENCH_T0, 0);
	side_fill(&r->rev, BENCH_T0, 1);
	r->has_rev = true;
	r->end_reason = FLOW_END_EOF;
}

/* One trial: ns per record of fmt (NULL: IPFIX; uniflow: two records each). */
static double trial(const struct record_format *fmt, bool uniflow, const struct flow_record *r)
{
	static uint8_t buf[65536];
	struct ipfix_msg m;
	uint64_t t0 = bench_now_ns();
	int i;

	ipfix_msg_init(&m, buf, 1400, 0, 0);
	for (i = 0; i < ENCODE_RECORDS; i++) {
		if (fmt) {
			if (fmt->record(r, NULL, (char *)buf, sizeof(buf)) < 0)
				return -1;
		} else if (ipfix_msg_add_flow(&m, r, uniflow) < 0) {
			ipfix_msg_init(&m, buf, 1400, 0, (uint32_t)i);	/* message full */
			if (ipfix_msg_add_flow(&m, r, uniflow) < 0)
				return -1;
		}
	}
	return (double)(bench_now_ns() - t0) / ENCODE_RECORDS;
}

int bench_encode(const struct bench_opts *o, int argc, char **argv)
{
	double t[5][ENCODE_MAX_TRIALS];
	const char *names[5] = { "text", "json", "brief", "IPFIX biflow",
				 "IPFIX uniflow (2 records)" };
	int n = o->trials > ENCODE_MAX_TRIALS ? ENCODE_MAX_TRIALS : o->trials, i, k;
	struct flow_record r;

	record_fill(&r);
	printf("record encoding (userland, CPU %d): one TCP/IPv6 record, both directions,\n"
	       "every metric set; %d records per trial, %d trials interleaved, medians\n",
	       o->cpu, ENCODE_RECORDS, n);
	for (i = 0; i < n; i++) {
		for (k = 0; k < 5; k++) {
			t[k][i] = trial(k < 3 ? format_find(names[k]) : NULL, k == 4, &r);
			if (t[k][i] < 0) {
				fprintf(stderr, "failed to encode a record as %s\n", names[k]);
				return 1;
			}
		}
	}
	printf("  %-28s %10s\n", "format", "ns/record");
	for (k = 0; k < 5; k++)
		printf("  %-28s %10.1f\n", names[k], bench_median(t[k], n));
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * test_brief.c - the brief format (a line per flow for a terminal) and the
 * self-metrics exposition (selfstats.c): values against hand-made records
 * and counters, and the exposition read back.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "format.h"
#include "selfstats.h"
#include "testlib.h"

static void side(struct flow_side *s, uint64_t first_ms, uint64_t last_ms, uint64_t pkts,
		 uint64_t bytes)
{
	memset(s, 0, sizeof(*s));
	s->first_seen = first_ms * 1000000ULL;
	s->last_seen = last_ms * 1000000ULL;
	s->packets = pkts;
	s->bytes = bytes;
	s->arrivals = pkts;
	s->len_min = ~0U;
	s->ttl_min = 0xff;
	s->win_min = ~0U;
	s->wscale = FLOW_WSCALE_NONE;
}

static void udp4(struct flow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->key.ipver = 4;
	r->key.proto = 17;
	r->key.sport = 43000;
	r->key.dport = 53;
	inet_pton(AF_INET, "198.18.0.1", r->key.saddr);
	inet_pton(AF_INET, "198.18.0.2", r->key.daddr);
	side(&r->fwd, 1000, 3500, 7, 896);
	side(&r->rev, 1001, 3501, 2500000, 3000000000ULL);
	r->fwd.ipver = r->rev.ipver = 4;
	r->has_rev = true;
	r->end_reason = FLOW_END_IDLE;
}

static const struct record_format *brief(void)
{
	return format_find("brief");
}

TEST(brief_registered)
{
	REQUIRE(brief() != NULL);
	CHECK(strstr(FORMAT_NAMES, "brief") != NULL);
}

/* FORMAT_NAMES (help and errors, a string the option table needs at build time) is the table's. */
TEST(format_names_are_the_table)
{
	const struct record_format *f;
	char names[256] = "";
	int i;

	for (i = 0; (f = format_at(i)); i++)
		snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s",
			 i ? ", " : "", f->name);
	CHECK_STR(names, FORMAT_NAMES);
}

/* Every column at its place, exact counts below a million, units above. */
TEST(brief_udp4_line)
{
	char line[512], want[512];
	struct flow_record r;
	int n;

	udp4(&r);
	/* the end time is local time: the last packet, 3.501 s after the epoch, in UTC+5 */
	tl_tz_set("XST-5");
	n = brief()->record(&r, NULL, line, sizeof(line));
	tl_tz_restore();
	REQUIRE(n > 0);
	snprintf(want, sizeof(want), "05:00:03 UDP   198.18.0.1:43000        198.18.0.2:53"
		 "                 7     896    2.5M    3.0G   2.501s idle\n");
	CHECK_STR(line, want);
	CHECK(n <= 120);
}

TEST(brief_icmp_and_v6)
{
	char line[512];
	struct flow_record r;

	udp4(&r);
	r.key.proto = 1;
	r.key.sport = 8;
	r.key.dport = 0;
	r.has_rev = false;
	memset(&r.rev, 0, sizeof(r.rev));
	REQUIRE(brief()->record(&r, NULL, line, sizeof(line)) > 0);
	CHECK(strstr(line, " ICMP  198.18.0.1              198.18.0.2 8/0 ") != NULL);
	CHECK(strstr(line, "       0       0 ") != NULL);	/* no reverse direction */
	udp4(&r);
	r.key.ipver = 6;
	r.key.proto = 6;
	inet_pton(AF_INET6, "fd00::1", r.key.saddr);
	inet_pton(AF_INET6, "fd00::2", r.key.daddr);
	REQUIRE(brief()->record(&r, NULL, line, sizeof(line)) > 0);
	CHECK(strstr(line, " TCP   [fd00::1]:43000         [fd00::2]:53 ") != NULL);
}

TEST(brief_header_and_units)
{
	char buf[256];

	REQUIRE(brief()->header(buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, "END      PROTO SOURCE", 21));
	CHECK_STR(brief_count(999999, buf, sizeof(buf)), "999999");
	CHECK_STR(brief_count(1000000, buf, sizeof(buf)), "1.0M");
	CHECK_STR(brief_count(123456789, buf, sizeof(buf)), "123M");
	CHECK_STR(brief_duration(65000, buf, sizeof(buf)), "1m05s");
	CHECK_STR(brief_duration(7200000, buf, sizeof(buf)), "2h00m");
	CHECK_STR(brief_reason(FLOW_END_FORCED), "forced");
	CHECK_STR(brief_reason(0), "open");
	/* a buffer too small is refused, not truncated */
	CHECK_EQ(brief()->header(buf, 10), -1);
}

/* ---- self-metrics ---- */

static void stats(struct selfstats *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->version = "9.9";
	s->pid = 42;
	s->entries = 12;
	s->capacity = 65536;
	s->have_counters = true;
	for (i = 0; i < CNT_MAX; i++)
		s->cnt[i] = 100 + i;
	s->records_written = 7;
	snprintf(s->sink, sizeof(s->sink), "stdout");
	s->scans = 3;
	s->scan_seconds_sum = 0.25;
	s->n_collectors = 2;
	snprintf(s->col[0].name, sizeof(s->col[0].name), "tcp://[::1]:4739");
	s->col[0].records_dropped = 5;
	s->col[0].send_errors = 2;
	snprintf(s->col[1].name, sizeof(s->col[1].name), "say \"hi\"\\:1");
	s->col[1].up = true;
	s->col[1].records_sent = 9;
}

static char *render(const struct selfstats *s)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	if (!f)
		return NULL;
	selfstats_prometheus(s, f);
	fclose(f);
	return text;
}

TEST(selfstats_exposition)
{
	struct selfstats s;
	char *t, *p;

	stats(&s);
	t = render(&s);
	REQUIRE(t != NULL);
	CHECK(strstr(t, "# TYPE bpfflowmon_kernel_ring_events_lost_total counter\n"
		      "bpfflowmon_kernel_ring_events_lost_total 104\n") != NULL);
	CHECK(strstr(t, "bpfflowmon_kernel_malformed_packets_total{layer=\"ip6_ext\"} 109\n"));
	/* one HELP and TYPE per family, labelled series under it */
	p = strstr(t, "# TYPE bpfflowmon_kernel_malformed_packets_total ");
	REQUIRE(p != NULL);
	CHECK(strstr(p + 1, "# TYPE bpfflowmon_kernel_malformed_packets_total ") == NULL);
	p = strstr(t, "# HELP bpfflowmon_kernel_malformed_packets_total ");
	REQUIRE(p != NULL);
	CHECK(strstr(p + 1, "# HELP bpfflowmon_kernel_malformed_packets_total ") == NULL);
	CHECK(strstr(t, "bpfflowmon_table_capacity_entries 65536\n"));
	CHECK(strstr(t, "bpfflowmon_records_written_total{sink=\"stdout\"} 7\n"));
	CHECK(strstr(t, "bpfflowmon_ipfix_records_dropped_total{collector=\"tcp://[::1]:4739\"} 5\n"));
	CHECK(strstr(t, "bpfflowmon_ipfix_collector_up{collector=\"say \\\"hi\\\"\\\\:1\"} 1\n"));
	CHECK(strstr(t, "bpfflowmon_scan_duration_seconds_count 3\n"));
	free(t);
}

/* status reads back what run wrote, escapes included. */
TEST(selfstats_read_back)
{
	struct selfstats s, b;
	char *t;
	FILE *f;

	stats(&s);
	t = render(&s);
	REQUIRE(t != NULL);
	f = fmemopen(t, strlen(t), "r");
	REQUIRE(f != NULL);
	CHECK_EQ(selfstats_parse(f, &b), 0);
	fclose(f);
	free(t);
	CHECK_EQ(b.pid, 42);
	CHECK_EQ(b.entries, 12);
	CHECK_EQ(b.records_written, 7);
	CHECK_EQ(b.scans, 3);
	REQUIRE(b.n_collectors == 2);
	CHECK_STR(b.col[0].name, "tcp://[::1]:4739");
	CHECK_EQ(b.col[0].records_dropped, 5);
	CHECK_EQ(b.col[0].send_errors, 2);
	CHECK(!b.col[0].up);
	CHECK_STR(b.col[1].name, "say \"hi\"\\:1");
	CHECK_EQ(b.col[1].records_sent, 9);
	CHECK(b.col[1].up);
}

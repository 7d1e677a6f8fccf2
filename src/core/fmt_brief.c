// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fmt_brief.c - the "brief" format: one line per flow that a person reads
 * in a terminal (about 120 columns): end time, protocol, source and
 * destination with ports, packets and bytes each way, duration, end
 * reason. run -o - uses it when stdout is a terminal and no format was
 * asked for; top draws its lines with the same helpers.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "fields.h"
#include "format.h"
#include "sbuf.h"

#define BRIEF_HDR_FMT "%-8s %-5s %-23s %-23s %7s %7s %7s %7s %8s %s\n"

const char *brief_proto(uint8_t proto, char *buf, size_t len)
{
	static const struct {
		uint8_t num;
		const char *name;
	} names[] = { { 1, "ICMP" }, { 2, "IGMP" }, { 6, "TCP" }, { 17, "UDP" },
		      { 33, "DCCP" }, { 47, "GRE" }, { 50, "ESP" }, { 51, "AH" },
		      { 58, "ICMP6" }, { 132, "SCTP" }, { 136, "UDPL" } };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].num == proto)
			return names[i].name;
	snprintf(buf, len, "%u", proto);
	return buf;
}

/* Exact below a million, else three significant digits and a unit: 12.3M. */
const char *brief_count(uint64_t v, char *buf, size_t len)
{
	static const char units[] = "KMGTPE";
	double d = (double)v;
	int u = -1;

	if (v < 1000000) {
		snprintf(buf, len, "%" PRIu64, v);
		return buf;
	}
	while (d >= 999.95 && u < 5) {
		d /= 1000;
		u++;
	}
	snprintf(buf, len, d < 99.95 ? "%.1f%c" : "%.0f%c", d, units[u]);
	return buf;
}

/* 0.123s, 12.3s, 5m07s, 3h05m, 2d04h */
const char *brief_duration(int64_t ms, char *buf, size_t len)
{
	int64_t s = ms / 1000;

	if (ms < 0)
		ms = 0;
	if (ms < 10000)
		snprintf(buf, len, "%" PRId64 ".%03" PRId64 "s", ms / 1000, ms % 1000);
	else if (s < 60)
		snprintf(buf, len, "%" PRId64 ".%01" PRId64 "s", s, ms % 1000 / 100);
	else if (s < 3600)
		snprintf(buf, len, "%" PRId64 "m%02" PRId64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, len, "%" PRId64 "h%02" PRId64 "m", s / 3600, s % 3600 / 60);
	else
		snprintf(buf, len, "%" PRId64 "d%02" PRId64 "h", s / 86400, s % 86400 / 3600);
	return buf;
}

const char *brief_reason(uint8_t reason)
{
	static const char *const names[] = { "open", "idle", "active", "end", "forced",
					     "resources" };

	return reason < sizeof(names) / sizeof(names[0]) ? names[reason] : "?";
}

/*
 * "addr:port", "[v6addr]:port"; ICMP has no ports: the source is the
 * address, the destination "addr type/code".
 */
const char *brief_endpoint(const struct flow_view *v, bool dst, char *buf, size_t len)
{
	const struct flow_key *k = &v->r->key;
	const char *a = dst ? v->daddr : v->saddr;

	if (v->icmp && !dst)
		snprintf(buf, len, "%s", a);
	else if (v->icmp)
		snprintf(buf, len, "%s %u/%u", a, k->sport, k->dport);
	else if (k->ipver == 6)
		snprintf(buf, len, "[%s]:%u", a, dst ? k->dport : k->sport);
	else
		snprintf(buf, len, "%s:%u", a, dst ? k->dport : k->sport);
	return buf;
}

static int brief_header(char *buf, size_t len)
{
	int n = snprintf(buf, len, BRIEF_HDR_FMT, "END", "PROTO", "SOURCE", "DESTINATION",
			 ">PKTS", ">BYTES", "<PKTS", "<BYTES", "DURATION", "REASON");

	return n < 0 || (size_t)n >= len ? -1 : n;
}

static int brief_record(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len)
{
	char when[16], proto[8], src[64], dst[80], n[4][16], dur[16];
	const struct side_view *f, *b;
	struct flow_view v;
	time_t end;
	struct tm tm;
	int ret;

	flow_view_init(&v, r, ifname);
	f = &v.side[0];
	b = &v.side[1];
	end = (time_t)(v.end_ms / 1000);
	if (!localtime_r(&end, &tm) || !strftime(when, sizeof(when), "%H:%M:%S", &tm))
		snprintf(when, sizeof(when), "?");
	ret = snprintf(buf, len, BRIEF_HDR_FMT, when, brief_proto(r->key.proto, proto, sizeof(proto)),
		       brief_endpoint(&v, false, src, sizeof(src)),
		       brief_endpoint(&v, true, dst, sizeof(dst)),
		       brief_count(f->s->packets, n[0], sizeof(n[0])),
		       brief_count(f->s->bytes, n[1], sizeof(n[1])),
		       brief_count(b->on ? b->s->packets : 0, n[2], sizeof(n[2])),
		       brief_count(b->on ? b->s->bytes : 0, n[3], sizeof(n[3])),
		       brief_duration(v.end_ms - v.start_ms, dur, sizeof(dur)),
		       brief_reason(r->end_reason));
	return ret < 0 || (size_t)ret >= len ? -1 : ret;
}

const struct record_format fmt_brief = {
	.name = "brief",
	.help = "one short line per flow for a terminal (about 120 columns)",
	.header = brief_header,
	.record = brief_record,
};

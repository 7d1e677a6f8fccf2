// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* output.c - flow records as the original's tab-separated text and as JSON lines. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>
#include "format.h"
#include "output.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NS_PER_MS 1000000LL

/*
 * A bounded writer: the first piece that does not fit marks the buffer
 * full, and the caller gets -1 instead of a truncated record.
 */
struct sbuf {
	char *buf;
	size_t len;
	size_t pos;
	bool full;
	unsigned int items;	/* columns or JSON members written so far */
};

static void sb_init(struct sbuf *b, char *buf, size_t len)
{
	b->buf = buf;
	b->len = buf ? len : 0;
	b->pos = 0;
	b->full = !b->len;
	b->items = 0;
	if (b->len)
		buf[0] = '\0';
}

__attribute__((format(printf, 2, 3)))
static void sb_printf(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (b->full)
		return;
	va_start(ap, fmt);
	n = vsnprintf(b->buf + b->pos, b->len - b->pos, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= b->len - b->pos) {
		b->full = true;
		return;
	}
	b->pos += n;
}

static void sb_write(struct sbuf *b, const char *s, size_t n)
{
	if (b->full)
		return;
	if (n >= b->len - b->pos) {
		b->full = true;
		return;
	}
	memcpy(b->buf + b->pos, s, n);
	b->pos += n;
	b->buf[b->pos] = '\0';
}

/* Decimal digits without printf: a record has about 200 numbers. */
static void sb_u64(struct sbuf *b, uint64_t v)
{
	char tmp[20];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	sb_write(b, tmp + i, sizeof(tmp) - i);
}

static void sb_i64(struct sbuf *b, int64_t v)
{
	if (v < 0) {
		sb_write(b, "-", 1);
		sb_u64(b, -(uint64_t)v);
		return;
	}
	sb_u64(b, (uint64_t)v);
}

static void sb_puts(struct sbuf *b, const char *s)
{
	sb_write(b, s, strlen(s));
}

static int sb_finish(struct sbuf *b)
{
	if (b->full) {
		if (b->len)
			b->buf[0] = '\0';	/* no half record for a careless caller */
		return -1;
	}
	return (int)b->pos;
}

/* Per-direction values; 'on' is false for a direction that was never seen. */

static uint32_t len_min_of(const struct flow_side *s, bool on)
{
	return on && s->len_min <= s->len_max ? s->len_min : 0;
}

static uint32_t len_max_of(const struct flow_side *s, bool on)
{
	return on && s->len_min <= s->len_max ? s->len_max : 0;
}

static uint8_t ttl_min_of(const struct flow_side *s, bool on)
{
	return on && s->ttl_min <= s->ttl_max ? s->ttl_min : 0;
}

static uint8_t ttl_max_of(const struct flow_side *s, bool on)
{
	return on && s->ttl_min <= s->ttl_max ? s->ttl_max : 0;
}

static uint64_t iat_min_of(const struct flow_side *s, bool on)
{
	return on && s->arrivals >= 2 ? s->iat_min : 0;
}

static uint64_t iat_max_of(const struct flow_side *s, bool on)
{
	return on && s->arrivals >= 2 ? s->iat_max : 0;
}

/* The mean gap telescopes: the sum of the gaps is last_seen - first_seen. */
static uint64_t iat_mean_of(const struct flow_side *s, bool on)
{
	if (!on || s->arrivals < 2 || s->last_seen < s->first_seen)
		return 0;
	return (s->last_seen - s->first_seen) / (s->arrivals - 1);
}

/* sqrt(E[g^2] - E[g]^2); the kernel sums squares in us^2 so they cannot wrap. */
static uint64_t iat_stddev_of(const struct flow_side *s, bool on)
{
	double n, mean_us, var;

	if (!on || s->arrivals < 2 || s->last_seen < s->first_seen)
		return 0;
	n = (double)(s->arrivals - 1);
	mean_us = (double)(s->last_seen - s->first_seen) / 1000.0 / n;
	var = (double)s->iat_sumsq / n - mean_us * mean_us;
	if (var <= 0)
		return 0;	/* rounding of the per-gap microseconds */
	return (uint64_t)llround(sqrt(var) * 1000.0);
}

/* The option's shift, or 0 without one (no scaling, as in the original). */
static uint8_t wscale_of(const struct flow_side *s, bool on)
{
	return on && s->wscale != FLOW_WSCALE_NONE ? s->wscale : 0;
}

/*
 * RFC 7323 2.2: windows are scaled only when both SYNs carried the option;
 * when the peer's SYN was seen without it, scaling is off. (With the peer
 * unseen, the direction's own option is trusted.)
 */
static unsigned int win_shift(const struct flow_side *s, const struct flow_side *peer)
{
	if (s->wscale == FLOW_WSCALE_NONE)
		return 0;
	if (peer && (peer->state & FLOW_ST_SYN_WIN) && peer->wscale == FLOW_WSCALE_NONE)
		return 0;
	return s->wscale > 14 ? 14 : s->wscale;	/* RFC 7323 2.3: larger means 14 */
}

/* win_min starts at ~0U, win_max at 0: min <= max once a segment was seen. */
uint64_t flowrec_win_min(const struct flow_side *s, const struct flow_side *peer)
{
	uint64_t v = UINT64_MAX;

	if (s->win_min <= s->win_max)
		v = (uint64_t)s->win_min << win_shift(s, peer);
	if ((s->state & FLOW_ST_SYN_WIN) && s->syn_win < v)
		v = s->syn_win;
	return v == UINT64_MAX ? 0 : v;
}

uint64_t flowrec_win_max(const struct flow_side *s, const struct flow_side *peer)
{
	uint64_t v = 0;

	if (s->win_min <= s->win_max)
		v = (uint64_t)s->win_max << win_shift(s, peer);
	if ((s->state & FLOW_ST_SYN_WIN) && s->syn_win > v)
		v = s->syn_win;
	return v;
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	return (a % b && (a < 0) != (b < 0)) ? q - 1 : q;
}

/* Record start/end: earliest first_seen, latest last_seen, as epoch ms. */
static int64_t rec_start_ms(const struct flow_record *r)
{
	uint64_t t = r->fwd.first_seen;

	if (r->has_rev && r->rev.first_seen < t)
		t = r->rev.first_seen;
	return floor_div((int64_t)t + r->wall_offset_ns, NS_PER_MS);
}

static int64_t rec_end_ms(const struct flow_record *r)
{
	uint64_t t = r->fwd.last_seen;

	if (r->has_rev && r->rev.last_seen > t)
		t = r->rev.last_seen;
	return floor_div((int64_t)t + r->wall_offset_ns, NS_PER_MS);
}

static void addr_str(const struct flow_key *k, const uint8_t *a, char *out, size_t len)
{
	int af = k->ipver == 6 ? AF_INET6 : AF_INET;

	if (!inet_ntop(af, a, out, (socklen_t)len))
		snprintf(out, len, "?");
}

static const char *ifname_of(ifname_fn fn, const struct flow_side *s, bool on, char *buf,
			     size_t len)
{
	const char *name = on && fn ? fn(s->ifindex, buf, len) : NULL;

	return name ? name : "UNKNOWN";
}

static const char *dir_name(const struct flow_side *s, bool on)
{
	if (!on)
		return "UNKNOWN";
	return s->dir == FLOW_DIR_EGRESS ? "egress" : "ingress";
}

/* ---- tab-separated text ------------------------------------------------ */

#define PAIR(n) n "_f", n "_b"
#define SIZE_COLS(d)                                                                       \
	"len_lt128" d, "len_128_255" d, "len_256_511" d, "len_512_1023" d,                 \
	"len_1024_1513" d, "len_ge1514" d
#define TTL_COLS(d)                                                                        \
	"ttl_0_1" d, "ttl_2_5" d, "ttl_6_32" d, "ttl_33_64" d, "ttl_65_96" d,              \
	"ttl_97_128" d, "ttl_129_160" d, "ttl_161_192" d, "ttl_193_224" d, "ttl_225_255" d

/* Columns 1-81 in the order of original.md 4.4, then the new ones. */
static const char *const text_cols[] = {
	"src_addr", "dst_addr", "proto", "sport", "dport",
	PAIR("ifname"), PAIR("first_seen"), PAIR("last_seen"), PAIR("iat_mean_ns"),
	PAIR("pkts"), PAIR("ipver"), PAIR("flow_label"), PAIR("tos"), PAIR("bytes"),
	PAIR("min_len"), PAIR("max_len"), SIZE_COLS("_f"), SIZE_COLS("_b"),
	PAIR("min_ttl"), PAIR("max_ttl"), TTL_COLS("_f"), TTL_COLS("_b"),
	PAIR("tcp_flags"), PAIR("retr_pkts"), PAIR("retr_bytes"), PAIR("ooo_pkts"),
	PAIR("ooo_bytes"), PAIR("min_win"), PAIR("max_win"), PAIR("mss"), PAIR("wscale"),
	/* appended */
	"end_reason", "flow_start_ms", "flow_end_ms", "duration_ms",
	PAIR("iat_min_ns"), PAIR("iat_max_ns"), PAIR("iat_stddev_ns"),
	PAIR("ifindex"), PAIR("direction"), "flow_id",
};

_Static_assert(ARRAY_SIZE(text_cols) == 81 + 15, "text columns: 81 original + 15 new");

/* Start a column: a tab before every column but the first (no trailing tab). */
static void tx_sep(struct sbuf *b)
{
	if (b->items++)
		sb_write(b, "\t", 1);
}

static void tx_u64(struct sbuf *b, uint64_t v)
{
	tx_sep(b);
	sb_u64(b, v);
}

static void tx_i64(struct sbuf *b, int64_t v)
{
	tx_sep(b);
	sb_i64(b, v);
}

static void tx_pair(struct sbuf *b, uint64_t f, uint64_t r)
{
	tx_u64(b, f);
	tx_u64(b, r);
}

/* A name from outside (interface): a tab or newline in it would shift columns. */
static void tx_str(struct sbuf *b, const char *s)
{
	tx_sep(b);
	for (; *s; s++) {
		char c = (unsigned char)*s < 0x20 || *s == 0x7f ? '?' : *s;

		sb_write(b, &c, 1);
	}
}

int output_text_header(char *buf, size_t len)
{
	struct sbuf b;
	size_t i;

	sb_init(&b, buf, len);
	for (i = 0; i < ARRAY_SIZE(text_cols); i++)
		tx_str(&b, text_cols[i]);
	sb_write(&b, "\n", 1);
	return sb_finish(&b);
}

/* Columns 1-27: key, interfaces, times, counts, IP fields, lengths. */
static void text_head(struct sbuf *b, const struct flow_record *r, ifname_fn fn)
{
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;
	char a[INET6_ADDRSTRLEN], nb[64];

	addr_str(&r->key, r->key.saddr, a, sizeof(a));
	tx_str(b, a);
	addr_str(&r->key, r->key.daddr, a, sizeof(a));
	tx_str(b, a);
	tx_u64(b, r->key.proto);
	tx_u64(b, r->key.sport);
	tx_u64(b, r->key.dport);
	tx_str(b, ifname_of(fn, f, true, nb, sizeof(nb)));
	tx_str(b, ifname_of(fn, v, on, nb, sizeof(nb)));
	tx_pair(b, f->first_seen, on ? v->first_seen : 0);
	tx_pair(b, f->last_seen, on ? v->last_seen : 0);
	tx_pair(b, iat_mean_of(f, true), iat_mean_of(v, on));
	tx_pair(b, f->packets, on ? v->packets : 0);
	tx_pair(b, f->ipver, on ? v->ipver : 0);
	tx_pair(b, f->flow_label, on ? v->flow_label : 0);
	tx_pair(b, f->tos, on ? v->tos : 0);
	tx_pair(b, f->bytes, on ? v->bytes : 0);
	tx_pair(b, len_min_of(f, true), len_min_of(v, on));
	tx_pair(b, len_max_of(f, true), len_max_of(v, on));
}

/* Columns 28-63: size histograms, TTL range, TTL histograms. */
static void text_hists(struct sbuf *b, const struct flow_record *r)
{
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;
	int i;

	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		tx_u64(b, f->size_hist[i]);
	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		tx_u64(b, on ? v->size_hist[i] : 0);
	tx_pair(b, ttl_min_of(f, true), ttl_min_of(v, on));
	tx_pair(b, ttl_max_of(f, true), ttl_max_of(v, on));
	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		tx_u64(b, f->ttl_hist[i]);
	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		tx_u64(b, on ? v->ttl_hist[i] : 0);
}

/* Columns 64-81: TCP. */
static void text_tcp(struct sbuf *b, const struct flow_record *r)
{
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;

	tx_sep(b);
	sb_printf(b, "%08x", f->tcp_flags);
	tx_sep(b);
	sb_printf(b, "%08x", on ? v->tcp_flags : 0);
	tx_pair(b, f->retr_pkts, on ? v->retr_pkts : 0);
	tx_pair(b, f->retr_bytes, on ? v->retr_bytes : 0);
	tx_pair(b, f->ooo_pkts, on ? v->ooo_pkts : 0);
	tx_pair(b, f->ooo_bytes, on ? v->ooo_bytes : 0);
	tx_pair(b, flowrec_win_min(f, on ? v : NULL), on ? flowrec_win_min(v, f) : 0);
	tx_pair(b, flowrec_win_max(f, on ? v : NULL), on ? flowrec_win_max(v, f) : 0);
	tx_pair(b, f->mss, on ? v->mss : 0);
	tx_pair(b, wscale_of(f, true), wscale_of(v, on));
}

/* Columns 82-96: what the original did not have. */
static void text_extra(struct sbuf *b, const struct flow_record *r)
{
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;
	int64_t start = rec_start_ms(r), end = rec_end_ms(r);

	tx_u64(b, r->end_reason);
	tx_i64(b, start);
	tx_i64(b, end);
	tx_i64(b, end - start);
	tx_pair(b, iat_min_of(f, true), iat_min_of(v, on));
	tx_pair(b, iat_max_of(f, true), iat_max_of(v, on));
	tx_pair(b, iat_stddev_of(f, true), iat_stddev_of(v, on));
	tx_pair(b, f->ifindex, on ? v->ifindex : 0);
	tx_str(b, dir_name(f, true));
	tx_str(b, dir_name(v, on));
	tx_u64(b, r->flow_id);
}

int output_text(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	text_head(&b, r, ifname);
	text_hists(&b, r);
	text_tcp(&b, r);
	text_extra(&b, r);
	sb_write(&b, "\n", 1);
	return sb_finish(&b);
}

/* ---- JSON lines ---------------------------------------------------------- */

/* Length of the valid UTF-8 sequence at s (RFC 3629 table), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;	/* overlong */
	else if (c == 0xed)
		hi = 0x9f;	/* surrogates */
	else if (c == 0xf0)
		lo = 0x90;	/* overlong */
	else if (c == 0xf4)
		hi = 0x8f;	/* beyond U+10FFFF */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

/* A JSON string: quotes, backslashes and controls escaped, bad UTF-8 as U+FFFD. */
static void js_string(struct sbuf *b, const char *str)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n;

	sb_write(b, "\"", 1);
	while (*s) {
		if (*s == '"' || *s == '\\') {
			sb_printf(b, "\\%c", *s++);
		} else if (*s < 0x20 || *s == 0x7f) {
			sb_printf(b, "\\u%04x", *s++);
		} else if (*s < 0x80) {
			sb_write(b, (const char *)s++, 1);
		} else if ((n = utf8_len(s))) {
			sb_write(b, (const char *)s, n);
			s += n;
		} else {
			sb_write(b, "\\ufffd", 6);
			s++;
		}
	}
	sb_write(b, "\"", 1);
}

/* Member names are our own ASCII constants: no escaping needed. */
static void js_key(struct sbuf *b, const char *pre, const char *name)
{
	if (b->items++)
		sb_write(b, ",", 1);
	sb_write(b, "\"", 1);
	sb_puts(b, pre);
	sb_puts(b, name);
	sb_write(b, "\":", 2);
}

static void js_u64(struct sbuf *b, const char *name, uint64_t v)
{
	js_key(b, "", name);
	sb_u64(b, v);
}

static void js_pu64(struct sbuf *b, const char *pre, const char *name, uint64_t v)
{
	js_key(b, pre, name);
	sb_u64(b, v);
}

static void js_i64(struct sbuf *b, const char *name, int64_t v)
{
	js_key(b, "", name);
	sb_i64(b, v);
}

static void js_str(struct sbuf *b, const char *name, const char *s)
{
	js_key(b, "", name);
	js_string(b, s);
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

/* 1 (initiator) when a SYN without ACK chose the forward side (RFC 5103 6.3). */
static unsigned int biflow_direction(const struct flow_record *r)
{
	bool fi = r->fwd.state & FLOW_ST_INITIATOR;
	bool ri = r->has_rev && (r->rev.state & FLOW_ST_INITIATOR);

	return fi && !ri ? 1 : 0;
}

static void json_key_fields(struct sbuf *b, const struct flow_record *r)
{
	const char *src = r->key.ipver == 6 ? "IPV6_SRC_ADDR" : "IPV4_SRC_ADDR";
	const char *dst = r->key.ipver == 6 ? "IPV6_DST_ADDR" : "IPV4_DST_ADDR";
	char a[INET6_ADDRSTRLEN];

	js_u64(b, "FLOW_ID", r->flow_id);
	js_u64(b, "IP_PROTOCOL_VERSION", r->key.ipver);
	addr_str(&r->key, r->key.saddr, a, sizeof(a));
	js_str(b, src, a);
	addr_str(&r->key, r->key.daddr, a, sizeof(a));
	js_str(b, dst, a);
	js_u64(b, "PROTOCOL", r->key.proto);
	js_u64(b, "L4_SRC_PORT", r->key.sport);
	js_u64(b, "L4_DST_PORT", r->key.dport);
	if (is_icmp(r->key.proto))	/* nProbe/IPFIX convention: type * 256 + code */
		js_u64(b, "ICMP_TYPE", r->key.sport * 256u + r->key.dport);
	js_u64(b, "BIFLOW_DIRECTION", biflow_direction(r));
}

static void json_volume(struct sbuf *b, const struct flow_record *r, ifname_fn fn)
{
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;
	int64_t start = rec_start_ms(r), end = rec_end_ms(r);
	char nb[64];

	js_u64(b, "IN_PKTS", f->packets);
	js_u64(b, "IN_BYTES", f->bytes);
	js_u64(b, "OUT_PKTS", on ? v->packets : 0);
	js_u64(b, "OUT_BYTES", on ? v->bytes : 0);
	js_i64(b, "FLOW_START_MILLISECONDS", start);
	js_i64(b, "FLOW_END_MILLISECONDS", end);
	js_i64(b, "FLOW_DURATION_MILLISECONDS", end - start);
	js_u64(b, "FLOW_END_REASON", r->end_reason);
	js_u64(b, "INPUT_SNMP", f->ifindex);
	js_str(b, "INTERFACE_NAME", ifname_of(fn, f, true, nb, sizeof(nb)));
	js_u64(b, "DIRECTION", f->dir);
	if (on) {
		/* the reverse was possibly first seen at another hook */
		js_u64(b, "DST_INPUT_SNMP", v->ifindex);
		js_str(b, "DST_INTERFACE_NAME", ifname_of(fn, v, true, nb, sizeof(nb)));
		js_u64(b, "DST_DIRECTION", v->dir);
	}
	js_u64(b, "SRC_TOS", f->tos);
	js_u64(b, "DST_TOS", on ? v->tos : 0);
	js_u64(b, "SRC_FLOWLABEL", f->flow_label);
	js_u64(b, "DST_FLOWLABEL", on ? v->flow_label : 0);
}

/* Minimum over the directions that were seen: an absent one must not give 0. */
static uint64_t min_present(uint64_t f, uint64_t v, bool on)
{
	return on && v < f ? v : f;
}

static uint64_t max_u64(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

static void json_lengths(struct sbuf *b, const struct flow_record *r)
{
	static const char *const names[FLOWMON_SIZE_BUCKETS] = {
		"UP_TO_128_BYTES", "128_TO_256_BYTES", "256_TO_512_BYTES",
		"512_TO_1024_BYTES", "1024_TO_1514_BYTES", "OVER_1514_BYTES",
	};
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;
	int i;

	js_u64(b, "MIN_IP_PKT_LEN", min_present(len_min_of(f, true), len_min_of(v, on), on));
	js_u64(b, "MAX_IP_PKT_LEN", max_u64(len_max_of(f, true), len_max_of(v, on)));
	js_u64(b, "SRC_MIN_IP_PKT_LEN", len_min_of(f, true));
	js_u64(b, "SRC_MAX_IP_PKT_LEN", len_max_of(f, true));
	js_u64(b, "DST_MIN_IP_PKT_LEN", len_min_of(v, on));
	js_u64(b, "DST_MAX_IP_PKT_LEN", len_max_of(v, on));
	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		js_pu64(b, "NUM_PKTS_", names[i],
			(uint64_t)f->size_hist[i] + (on ? v->size_hist[i] : 0));
	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		js_pu64(b, "SRC_NUM_PKTS_", names[i], f->size_hist[i]);
	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		js_pu64(b, "DST_NUM_PKTS_", names[i], on ? v->size_hist[i] : 0);
}

static void json_ttl(struct sbuf *b, const struct flow_record *r)
{
	/* the original's names, but bucket 2 (6-32) is no longer "TTL_5" */
	static const char *const names[FLOWMON_TTL_BUCKETS] = {
		"EQ_1", "2_5", "5_32", "32_64", "64_96",
		"96_128", "128_160", "160_192", "192_224", "224_255",
	};
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;
	int i;

	js_u64(b, "MIN_TTL", min_present(ttl_min_of(f, true), ttl_min_of(v, on), on));
	js_u64(b, "MAX_TTL", max_u64(ttl_max_of(f, true), ttl_max_of(v, on)));
	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		js_pu64(b, "NUM_PKTS_TTL_", names[i],
			(uint64_t)f->ttl_hist[i] + (on ? v->ttl_hist[i] : 0));
	js_u64(b, "SRC_MIN_TTL", ttl_min_of(f, true));
	js_u64(b, "SRC_MAX_TTL", ttl_max_of(f, true));
	js_u64(b, "DST_MIN_TTL", ttl_min_of(v, on));
	js_u64(b, "DST_MAX_TTL", ttl_max_of(v, on));
	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		js_pu64(b, "SRC_NUM_PKTS_TTL_", names[i], f->ttl_hist[i]);
	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		js_pu64(b, "DST_NUM_PKTS_TTL_", names[i], on ? v->ttl_hist[i] : 0);
}

static void json_tcp(struct sbuf *b, const struct flow_record *r)
{
	const struct flow_side *f = &r->fwd, *v = &r->rev;
	bool on = r->has_rev;

	js_u64(b, "TCP_FLAGS", f->tcp_flags | (on ? v->tcp_flags : 0));
	js_u64(b, "CLIENT_TCP_FLAGS", f->tcp_flags);
	js_u64(b, "SERVER_TCP_FLAGS", on ? v->tcp_flags : 0);
	js_u64(b, "RETRANSMITTED_IN_PKTS", f->retr_pkts);
	js_u64(b, "RETRANSMITTED_OUT_PKTS", on ? v->retr_pkts : 0);
	js_u64(b, "RETRANSMITTED_IN_BYTES", f->retr_bytes);
	js_u64(b, "RETRANSMITTED_OUT_BYTES", on ? v->retr_bytes : 0);
	js_u64(b, "OOORDER_IN_PKTS", f->ooo_pkts);
	js_u64(b, "OOORDER_OUT_PKTS", on ? v->ooo_pkts : 0);
	js_u64(b, "OOORDER_IN_BYTES", f->ooo_bytes);
	js_u64(b, "OOORDER_OUT_BYTES", on ? v->ooo_bytes : 0);
	js_u64(b, "TCP_WIN_MIN_IN", flowrec_win_min(f, on ? v : NULL));
	js_u64(b, "TCP_WIN_MAX_IN", flowrec_win_max(f, on ? v : NULL));
	js_u64(b, "TCP_WIN_MSS_IN", f->mss);
	js_u64(b, "TCP_WIN_SCALE_IN", wscale_of(f, true));
	js_u64(b, "TCP_WIN_MIN_OUT", on ? flowrec_win_min(v, f) : 0);
	js_u64(b, "TCP_WIN_MAX_OUT", on ? flowrec_win_max(v, f) : 0);
	js_u64(b, "TCP_WIN_MSS_OUT", on ? v->mss : 0);
	js_u64(b, "TCP_WIN_SCALE_OUT", wscale_of(v, on));
}

static void json_iat(struct sbuf *b, const char *pre, const struct flow_side *s, bool on)
{
	js_pu64(b, pre, "IAT_MIN_NS", iat_min_of(s, on));
	js_pu64(b, pre, "IAT_MAX_NS", iat_max_of(s, on));
	js_pu64(b, pre, "IAT_AVG_NS", iat_mean_of(s, on));
	js_pu64(b, pre, "IAT_STDDEV_NS", iat_stddev_of(s, on));
}

int output_json(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len)
{
	struct sbuf b;

	sb_init(&b, buf, len);
	sb_write(&b, "{", 1);
	json_key_fields(&b, r);
	json_volume(&b, r, ifname);
	json_lengths(&b, r);
	json_ttl(&b, r);
	json_tcp(&b, r);
	json_iat(&b, "SRC_", &r->fwd, true);
	json_iat(&b, "DST_", &r->rev, r->has_rev);
	sb_write(&b, "}\n", 2);
	return sb_finish(&b);
}

const struct record_format fmt_text = {
	.name = "text",
	.help = "tab-separated columns, one header line per file",
	.header = output_text_header,
	.record = output_text,
};

const struct record_format fmt_json = {
	.name = "json",
	.help = "one JSON object per line (nProbe key names)",
	.record = output_json,
};

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* fields.c - the record view (every derived value, once) and the field table. */
#include <arpa/inet.h>
#include <math.h>
#include <netinet/in.h>
#include <string.h>
#include "fields.h"
#include "pairing.h"

#define NS_PER_MS 1000000LL

/* ---- derived values ------------------------------------------------------ */

/* The mean gap telescopes: the sum of the gaps is last_seen - first_seen. */
static uint64_t iat_mean(const struct flow_side *s)
{
	if (s->arrivals < 2 || s->last_seen < s->first_seen)
		return 0;
	return (s->last_seen - s->first_seen) / (s->arrivals - 1);
}

/* sqrt(E[g^2] - E[g]^2); the kernel sums squares in us^2 so they cannot wrap. */
static uint64_t iat_stddev(const struct flow_side *s)
{
	double n, mean_us, var;

	if (s->arrivals < 2 || s->last_seen < s->first_seen)
		return 0;
	n = (double)(s->arrivals - 1);
	mean_us = (double)(s->last_seen - s->first_seen) / 1000.0 / n;
	var = (double)s->iat_sumsq / n - mean_us * mean_us;
	if (var <= 0)
		return 0;	/* rounding of the per-gap microseconds */
	return (uint64_t)llround(sqrt(var) * 1000.0);
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

static int64_t wall_ms(uint64_t t, int64_t off)
{
	return floor_div((int64_t)t + off, NS_PER_MS);
}

static void side_init(struct side_view *sv, const struct flow_record *r, bool rev,
		      ifname_fn fn)
{
	const struct flow_side *s = rev ? &r->rev : &r->fwd, *peer = rev ? &r->fwd : &r->rev;
	const char *name;

	memset(sv, 0, sizeof(*sv));
	sv->s = s;
	sv->on = !rev || r->has_rev;
	sv->seen = sv->on && s->packets;
	sv->ifname = "UNKNOWN";
	if (!sv->on)
		return;
	if (s->len_min <= s->len_max) {
		sv->len_min = s->len_min;
		sv->len_max = s->len_max;
	}
	if (s->ttl_min <= s->ttl_max) {
		sv->ttl_min = s->ttl_min;
		sv->ttl_max = s->ttl_max;
	}
	if (s->arrivals >= 2 && s->iat_min <= s->iat_max) {	/* else not metered (iat) */
		sv->iat_min = s->iat_min;
		sv->iat_max = s->iat_max;
	}
	sv->iat_mean = iat_mean(s);
	sv->iat_stddev = iat_stddev(s);
	sv->win_min = flowrec_win_min(s, rev || r->has_rev ? peer : NULL);
	sv->win_max = flowrec_win_max(s, rev || r->has_rev ? peer : NULL);
	sv->win_min_raw = s->win_min == ~0U ? 0 : s->win_min;
	sv->win_max_raw = s->win_max;
	sv->wscale = s->wscale == FLOW_WSCALE_NONE ? 0 : s->wscale;
	if (sv->seen) {
		sv->first_ms = wall_ms(s->first_seen, r->wall_offset_ns);
		sv->last_ms = wall_ms(s->last_seen, r->wall_offset_ns);
	}
	name = fn ? fn(s->ifindex, sv->ifbuf, sizeof(sv->ifbuf)) : NULL;
	if (name)
		sv->ifname = name;
}

static void addr_str(const struct flow_key *k, const uint8_t *a, char *out, size_t len)
{
	if (!inet_ntop(k->ipver == 6 ? AF_INET6 : AF_INET, a, out, (socklen_t)len))
		snprintf(out, len, "?");
}

void flow_view_init_binary(struct flow_view *v, const struct flow_record *r, ifname_fn ifname)
{
	const struct flow_key *k = &r->key;
	uint64_t first = r->fwd.first_seen, last = r->fwd.last_seen;
	bool fi = r->fwd.state & FLOW_ST_INITIATOR;

	v->r = r;
	side_init(&v->side[0], r, false, ifname);
	side_init(&v->side[1], r, true, ifname);
	v->icmp = fm_is_icmp(k->proto);	/* as the parsers key it: type and code */
	v->icmp_type_code = (uint16_t)(k->sport << 8 | (k->dport & 0xff));
	if (r->has_rev && r->rev.first_seen < first)
		first = r->rev.first_seen;
	if (r->has_rev && r->rev.last_seen > last)
		last = r->rev.last_seen;
	v->start_ms = wall_ms(first, r->wall_offset_ns);
	v->end_ms = wall_ms(last, r->wall_offset_ns);
	/* 1 (initiator) when a SYN without ACK chose the forward side (RFC 5103 6.3) */
	v->biflow_dir = fi && !(r->has_rev && (r->rev.state & FLOW_ST_INITIATOR));
	v->saddr[0] = '\0';
	v->daddr[0] = '\0';
}

void flow_view_init(struct flow_view *v, const struct flow_record *r, ifname_fn ifname)
{
	flow_view_init_binary(v, r, ifname);
	addr_str(&r->key, r->key.saddr, v->saddr, sizeof(v->saddr));
	addr_str(&r->key, r->key.daddr, v->daddr, sizeof(v->daddr));
}

/* ---- getters ------------------------------------------------------------- */

#define GETTER(fn) \
	static bool fn(const struct field *f, const struct flow_view *v, int d, struct fval *o)

/* A record value, always present. */
#define REC_GETTER(fn, expr)                                                      \
	GETTER(fn)                                                                \
	{                                                                         \
		const struct flow_record *r = v->r;                               \
		(void)f; (void)d; (void)r;                                        \
		o->u = (expr);                                                    \
		return true;                                                      \
	}

/* A direction's value: 0 and absent for a direction that is not in the record. */
#define SIDE_GETTER(fn, expr)                                                     \
	GETTER(fn)                                                                \
	{                                                                         \
		const struct side_view *sv = view_side(v, d);                     \
		const struct flow_side *s = sv->s;                                \
		(void)f; (void)s;                                                 \
		o->u = sv->on ? (uint64_t)(expr) : 0;                             \
		o->i = (int64_t)o->u;                                             \
		return sv->on;                                                    \
	}

/* Per direction, with a record form: the sum of both directions. */
#define SUM_GETTER(fn, expr)                                                      \
	SIDE_GETTER(fn##_side, expr)                                              \
	GETTER(fn)                                                                \
	{                                                                         \
		struct fval rv;                                                   \
		if (d != FD_REC)                                                  \
			return fn##_side(f, v, d, o);                             \
		fn##_side(f, v, FD_FWD, o);                                       \
		fn##_side(f, v, FD_REV, &rv);                                     \
		o->u += rv.u;                                                     \
		return true;                                                      \
	}

/* Per direction, with a record form: the minimum (max_form: maximum) of the seen ones. */
#define MINMAX_GETTER(fn, expr, max_form)                                         \
	SIDE_GETTER(fn##_side, expr)                                              \
	GETTER(fn)                                                                \
	{                                                                         \
		struct fval rv;                                                   \
		bool on;                                                          \
		if (d != FD_REC)                                                  \
			return fn##_side(f, v, d, o);                             \
		fn##_side(f, v, FD_FWD, o);                                       \
		on = fn##_side(f, v, FD_REV, &rv);                                \
		if (on && ((max_form) ? rv.u > o->u : rv.u < o->u))              \
			o->u = rv.u;                                              \
		return true;                                                      \
	}

GETTER(get_saddr)
{
	o->s = v->saddr;
	o->b = v->r->key.saddr;
	return true;
}

GETTER(get_daddr)
{
	o->s = v->daddr;
	o->b = v->r->key.daddr;
	return true;
}

REC_GETTER(get_proto, r->key.proto)
REC_GETTER(get_sport, r->key.sport)
REC_GETTER(get_dport, r->key.dport)
REC_GETTER(get_tsport, v->icmp ? 0 : r->key.sport)
REC_GETTER(get_tdport, v->icmp ? v->icmp_type_code : r->key.dport)
REC_GETTER(get_end_reason, r->end_reason)
REC_GETTER(get_flow_id, r->flow_id)
REC_GETTER(get_biflow_dir, v->biflow_dir)

GETTER(get_icmp)
{
	o->u = v->icmp ? v->icmp_type_code : 0;
	return v->icmp;
}

SIDE_GETTER(get_ipver_side, s->ipver)

GETTER(get_ipver)
{
	if (d != FD_REC)
		return get_ipver_side(f, v, d, o);
	o->u = v->r->key.ipver;
	return true;
}

GETTER(get_ifname)
{
	const struct side_view *sv = view_side(v, d);

	o->s = sv->ifname;
	return sv->on;
}

GETTER(get_time_ms)
{
	o->i = f == &flow_fields[F_START_MS] ? v->start_ms : f == &flow_fields[F_END_MS] ?
	       v->end_ms : v->end_ms - v->start_ms;
	return true;
}

SIDE_GETTER(get_first_seen, s->first_seen)
SIDE_GETTER(get_last_seen, s->last_seen)
SIDE_GETTER(get_first_ms, sv->first_ms)
SIDE_GETTER(get_last_ms, sv->last_ms)
SIDE_GETTER(get_iat_mean, sv->iat_mean)
SIDE_GETTER(get_iat_min, sv->iat_min)
SIDE_GETTER(get_iat_max, sv->iat_max)
SIDE_GETTER(get_iat_stddev, sv->iat_stddev)
SIDE_GETTER(get_pkts, s->packets)
SIDE_GETTER(get_bytes, s->bytes)
SIDE_GETTER(get_flow_label, s->flow_label & 0xfffff)
SIDE_GETTER(get_tos, s->tos)
SIDE_GETTER(get_retr_pkts, s->retr_pkts)
SIDE_GETTER(get_retr_bytes, s->retr_bytes)
SIDE_GETTER(get_ooo_pkts, s->ooo_pkts)
SIDE_GETTER(get_ooo_bytes, s->ooo_bytes)
SIDE_GETTER(get_win_min, sv->win_min)
SIDE_GETTER(get_win_max, sv->win_max)
SIDE_GETTER(get_win_min_raw, sv->win_min_raw)
SIDE_GETTER(get_win_max_raw, sv->win_max_raw)
SIDE_GETTER(get_mss, s->mss)
SIDE_GETTER(get_wscale, sv->wscale)
SIDE_GETTER(get_ifindex, s->ifindex)
SIDE_GETTER(get_direction, s->dir)
SUM_GETTER(get_size, s->size_hist[f->arg])
SUM_GETTER(get_ttlh, s->ttl_hist[f->arg])
MINMAX_GETTER(get_len_min, sv->len_min, false)
MINMAX_GETTER(get_len_max, sv->len_max, true)
MINMAX_GETTER(get_ttl_min, sv->ttl_min, false)
MINMAX_GETTER(get_ttl_max, sv->ttl_max, true)

SIDE_GETTER(get_tcp_flags_side, s->tcp_flags)

GETTER(get_tcp_flags)
{
	struct fval rv;

	if (d != FD_REC)
		return get_tcp_flags_side(f, v, d, o);
	get_tcp_flags_side(f, v, FD_FWD, o);
	get_tcp_flags_side(f, v, FD_REV, &rv);
	o->u |= rv.u;
	return true;
}

/* Layer 2: absent where the interface has no MAC addresses (L3 devices, tunnels). */
GETTER(get_l2)
{
	const struct side_view *sv = view_side(v, d);
	const struct flow_side *s = sv->s;
	bool on = sv->on && s->has_l2;

	o->u = !on ? 0 : f->arg == 0 ? s->vlan_outer : s->vlan_inner;
	o->b = f->arg == 2 ? s->smac : s->dmac;
	return on;
}

/* ---- the table ----------------------------------------------------------- */

#define IE(i, l, n)		{ .id = i, .id6 = i, .len = l, .len6 = l, .name = n }
#define NTOP 35632
#define D3(a, b, c)		{ a, b, c }

#define SIZE_FIELD(n, col, key, lo_hi)                                                    \
	[F_SIZE_0 + n] = { "size_" col, FT_U64, FF_DIR, "len_" col,                       \
		D3("NUM_PKTS_" key, "SRC_NUM_PKTS_" key, "DST_NUM_PKTS_" key), NULL,       \
		{ .id = 88 + n, .id6 = 88 + n, .len = 4, .len6 = 4, .pen = NTOP,           \
		  .name = "NUM_PKTS_" key }, n, get_size,                                  \
		"packets with an IP length of " lo_hi " (record form: both directions)" }

#define TTL_FIELD(n, col, key, ie, lo_hi)                                                 \
	[F_TTLH_0 + n] = { "ttl_" col, FT_U64, FF_DIR, "ttl_" col,                        \
		D3("NUM_PKTS_TTL_" key, "SRC_NUM_PKTS_TTL_" key, "DST_NUM_PKTS_TTL_" key), \
		NULL, { .id = ie, .id6 = ie, .len = 4, .len6 = 4, .pen = NTOP,             \
			.name = "NUM_PKTS_TTL_" key }, n, get_ttlh,                        \
		"packets with a TTL or hop limit of " lo_hi " (record form: both directions)" }

const struct field flow_fields[F_MAX] = {
	[F_SADDR] = { "src_addr", FT_ADDR, 0, "src_addr", D3("IPV4_SRC_ADDR", NULL, NULL),
		"IPV6_SRC_ADDR", { .id = 8, .id6 = 27, .len = 4, .len6 = 16,
		.name = "sourceIPv4Address/sourceIPv6Address" }, 0, get_saddr,
		"source address of the forward direction (the initiator, else the side seen "
		"first)" },
	[F_DADDR] = { "dst_addr", FT_ADDR, 0, "dst_addr", D3("IPV4_DST_ADDR", NULL, NULL),
		"IPV6_DST_ADDR", { .id = 12, .id6 = 28, .len = 4, .len6 = 16,
		.name = "destinationIPv4Address/destinationIPv6Address" }, 0, get_daddr,
		"destination address of the forward direction" },
	[F_PROTO] = { "proto", FT_U64, 0, "proto", D3("PROTOCOL", NULL, NULL), NULL,
		{ .id = 4, .id6 = 4, .len = 1, .len6 = 1, .name = "protocolIdentifier" }, 0,
		get_proto, "IP protocol (IPv6: the last next header)" },
	[F_SPORT] = { "sport", FT_U64, 0, "sport", D3("L4_SRC_PORT", NULL, NULL), NULL, {}, 0,
		get_sport, "source port; ICMP: the type" },
	[F_DPORT] = { "dport", FT_U64, 0, "dport", D3("L4_DST_PORT", NULL, NULL), NULL, {}, 0,
		get_dport, "destination port; ICMP: the code" },
	[F_IPVER] = { "ipver", FT_U64, FF_DIR, "ipver", D3("IP_PROTOCOL_VERSION", NULL, NULL),
		NULL, { .id = 60, .id6 = 60, .len = 1, .len6 = 1, .name = "ipVersion" }, 0,
		get_ipver, "IP version, 4 or 6" },
	[F_ICMP] = { "icmp_type_code", FT_U64, FF_OPT, NULL, D3("ICMP_TYPE", NULL, NULL), NULL,
		{ .id = 32, .id6 = 139, .len = 2, .len6 = 2,
		  .name = "icmpTypeCodeIPv4/icmpTypeCodeIPv6" }, 0, get_icmp,
		"ICMP type * 256 + code (IPFIX: 0 for other protocols; JSON: ICMP only)" },
	[F_TSPORT] = { "transport_sport", FT_U64, 0, NULL, D3(NULL, NULL, NULL), NULL,
		{ .id = 7, .id6 = 7, .len = 2, .len6 = 2, .name = "sourceTransportPort" }, 0,
		get_tsport, "source port, 0 for ICMP" },
	[F_TDPORT] = { "transport_dport", FT_U64, 0, NULL, D3(NULL, NULL, NULL), NULL,
		{ .id = 11, .id6 = 11, .len = 2, .len6 = 2, .name = "destinationTransportPort" },
		0, get_tdport, "destination port; ICMP: type * 256 + code" },
	[F_IFNAME] = { "ifname", FT_STR, FF_DIR | FF_OPT, "ifname",
		D3(NULL, "INTERFACE_NAME", "DST_INTERFACE_NAME"), NULL, {}, 0, get_ifname,
		"name of the interface that first saw the direction, UNKNOWN if gone" },
	[F_FIRST_SEEN] = { "first_seen", FT_U64, FF_DIR, "first_seen", D3(NULL, NULL, NULL),
		NULL, {}, 0, get_first_seen, "first packet, ns of the kernel clock" },
	[F_LAST_SEEN] = { "last_seen", FT_U64, FF_DIR, "last_seen", D3(NULL, NULL, NULL), NULL,
		{}, 0, get_last_seen, "last packet, ns of the kernel clock" },
	[F_IAT_MEAN] = { "iat_mean_ns", FT_U64, FF_DIR, "iat_mean_ns",
		D3(NULL, "SRC_IAT_AVG_NS", "DST_IAT_AVG_NS"), NULL, {}, 0, get_iat_mean,
		"mean gap between arrivals, ns" },
	[F_PKTS] = { "pkts", FT_U64, FF_DIR, "pkts", D3(NULL, "IN_PKTS", "OUT_PKTS"), NULL,
		IE(2, 8, "packetDeltaCount"), 0, get_pkts,
		"packets (a GSO aggregate counts as its segments)" },
	[F_FLOW_LABEL] = { "flow_label", FT_U64, FF_DIR, "flow_label",
		D3(NULL, "SRC_FLOWLABEL", "DST_FLOWLABEL"), NULL,
		{ .id6 = 31, .len6 = 4, .name = "flowLabelIPv6" }, 0, get_flow_label,
		"IPv6 flow label of the first packet" },
	[F_TOS] = { "tos", FT_U64, FF_DIR, "tos", D3(NULL, "SRC_TOS", "DST_TOS"), NULL,
		IE(5, 1, "ipClassOfService"), 0, get_tos,
		"TOS / traffic class of the first packet" },
	[F_BYTES] = { "bytes", FT_U64, FF_DIR, "bytes", D3(NULL, "IN_BYTES", "OUT_BYTES"), NULL,
		IE(1, 8, "octetDeltaCount"), 0, get_bytes, "L3 bytes: IP header and payload" },
	[F_LEN_MIN] = { "min_len", FT_U64, FF_DIR, "min_len",
		D3("MIN_IP_PKT_LEN", "SRC_MIN_IP_PKT_LEN", "DST_MIN_IP_PKT_LEN"), NULL, {}, 0,
		get_len_min, "smallest IP length" },
	[F_LEN_MAX] = { "max_len", FT_U64, FF_DIR, "max_len",
		D3("MAX_IP_PKT_LEN", "SRC_MAX_IP_PKT_LEN", "DST_MAX_IP_PKT_LEN"), NULL, {}, 0,
		get_len_max, "largest IP length" },
	SIZE_FIELD(0, "lt128", "UP_TO_128_BYTES", "0-127"),
	SIZE_FIELD(1, "128_255", "128_TO_256_BYTES", "128-255"),
	SIZE_FIELD(2, "256_511", "256_TO_512_BYTES", "256-511"),
	SIZE_FIELD(3, "512_1023", "512_TO_1024_BYTES", "512-1023"),
	SIZE_FIELD(4, "1024_1513", "1024_TO_1514_BYTES", "1024-1513"),
	SIZE_FIELD(5, "ge1514", "OVER_1514_BYTES", "1514 or more"),
	[F_TTL_MIN] = { "min_ttl", FT_U64, FF_DIR, "min_ttl",
		D3("MIN_TTL", "SRC_MIN_TTL", "DST_MIN_TTL"), NULL, IE(52, 1, "minimumTTL"), 0,
		get_ttl_min,
		"smallest TTL / hop limit" },
	[F_TTL_MAX] = { "max_ttl", FT_U64, FF_DIR, "max_ttl",
		D3("MAX_TTL", "SRC_MAX_TTL", "DST_MAX_TTL"), NULL, IE(53, 1, "maximumTTL"), 0,
		get_ttl_max,
		"largest TTL / hop limit" },
	TTL_FIELD(0, "0_1", "EQ_1", 347, "0-1"),
	TTL_FIELD(1, "2_5", "2_5", 346, "2-5"),
	TTL_FIELD(2, "6_32", "5_32", 334, "6-32"),
	TTL_FIELD(3, "33_64", "32_64", 335, "33-64"),
	TTL_FIELD(4, "65_96", "64_96", 336, "65-96"),
	TTL_FIELD(5, "97_128", "96_128", 337, "97-128"),
	TTL_FIELD(6, "129_160", "128_160", 338, "129-160"),
	TTL_FIELD(7, "161_192", "160_192", 339, "161-192"),
	TTL_FIELD(8, "193_224", "192_224", 340, "193-224"),
	TTL_FIELD(9, "225_255", "224_255", 341, "225-255"),
	[F_TCP_FLAGS] = { "tcp_flags", FT_U64, FF_DIR | FF_HEX, "tcp_flags",
		D3("TCP_FLAGS", "CLIENT_TCP_FLAGS", "SERVER_TCP_FLAGS"), NULL,
		IE(6, 2, "tcpControlBits"), 0,
		get_tcp_flags, "OR of the TCP flags: FIN 0x01 .. CWR 0x80, NS 0x100 (RFC 7125)" },
	[F_RETR_PKTS] = { "retr_pkts", FT_U64, FF_DIR, "retr_pkts",
		D3(NULL, "RETRANSMITTED_IN_PKTS", "RETRANSMITTED_OUT_PKTS"), NULL,
		{ .id = 109, .id6 = 109, .rev_id = 110, .len = 4, .len6 = 4, .pen = NTOP,
		  .name = "RETRANSMITTED_IN_PKTS" }, 0, get_retr_pkts,
		"TCP segments carrying already-seen data" },
	[F_RETR_BYTES] = { "retr_bytes", FT_U64, FF_DIR, "retr_bytes",
		D3(NULL, "RETRANSMITTED_IN_BYTES", "RETRANSMITTED_OUT_BYTES"), NULL,
		{ .id = 127, .id6 = 127, .rev_id = 128, .len = 4, .len6 = 4, .pen = NTOP,
		  .name = "RETRANSMITTED_IN_BYTES" }, 0, get_retr_bytes, "their payload bytes" },
	[F_OOO_PKTS] = { "ooo_pkts", FT_U64, FF_DIR, "ooo_pkts",
		D3(NULL, "OOORDER_IN_PKTS", "OOORDER_OUT_PKTS"), NULL,
		{ .id = 111, .id6 = 111, .rev_id = 112, .len = 4, .len6 = 4, .pen = NTOP,
		  .name = "OOORDER_IN_PKTS" }, 0, get_ooo_pkts,
		"TCP segments that filled a sequence gap" },
	[F_OOO_BYTES] = { "ooo_bytes", FT_U64, FF_DIR, "ooo_bytes",
		D3(NULL, "OOORDER_IN_BYTES", "OOORDER_OUT_BYTES"), NULL, {}, 0, get_ooo_bytes,
		"their payload bytes" },
	[F_WIN_MIN] = { "min_win", FT_U64, FF_DIR, "min_win",
		D3(NULL, "TCP_WIN_MIN_IN", "TCP_WIN_MIN_OUT"), NULL, {}, 0, get_win_min,
		"smallest TCP window, scaled when both SYNs had the option (the SYN's unscaled)" },
	[F_WIN_MAX] = { "max_win", FT_U64, FF_DIR, "max_win",
		D3(NULL, "TCP_WIN_MAX_IN", "TCP_WIN_MAX_OUT"), NULL, {}, 0, get_win_max,
		"largest TCP window, scaled likewise" },
	[F_MSS] = { "mss", FT_U64, FF_DIR, "mss", D3(NULL, "TCP_WIN_MSS_IN", "TCP_WIN_MSS_OUT"),
		NULL, { .id = 417, .id6 = 417, .rev_id = 421, .len = 2, .len6 = 2, .pen = NTOP,
		.name = "TCP_WIN_MSS_IN" }, 0, get_mss, "MSS option of the SYN, 0 if none" },
	[F_WSCALE] = { "wscale", FT_U64, FF_DIR, "wscale",
		D3(NULL, "TCP_WIN_SCALE_IN", "TCP_WIN_SCALE_OUT"), NULL,
		{ .id = 418, .id6 = 418, .rev_id = 422, .len = 1, .len6 = 1, .pen = NTOP,
		  .name = "TCP_WIN_SCALE_IN" }, 0, get_wscale,
		"window scale option of the SYN, 0 if none" },
	[F_END_REASON] = { "end_reason", FT_U64, 0, "end_reason",
		D3("FLOW_END_REASON", NULL, NULL), NULL, { .id = 136, .id6 = 136, .len = 1,
		.len6 = 1, .name = "flowEndReason" }, 0, get_end_reason,
		"1 idle, 2 active timeout, 3 end of flow (FIN/RST), 4 forced end, "
		"never 5 (lack of resources): a full table refuses new flows instead" },
	[F_START_MS] = { "flow_start_ms", FT_I64, 0, "flow_start_ms",
		D3("FLOW_START_MILLISECONDS", NULL, NULL), NULL, { .id = 152, .id6 = 152,
		.len = 8, .len6 = 8, .name = "flowStartMilliseconds" }, 0, get_time_ms,
		"first packet of either direction, Unix epoch ms" },
	[F_END_MS] = { "flow_end_ms", FT_I64, 0, "flow_end_ms",
		D3("FLOW_END_MILLISECONDS", NULL, NULL), NULL, { .id = 153, .id6 = 153,
		.len = 8, .len6 = 8, .name = "flowEndMilliseconds" }, 0, get_time_ms,
		"last packet of either direction, Unix epoch ms" },
	[F_DURATION_MS] = { "duration_ms", FT_I64, 0, "duration_ms",
		D3("FLOW_DURATION_MILLISECONDS", NULL, NULL), NULL, {}, 0, get_time_ms,
		"flow_end_ms - flow_start_ms" },
	[F_IAT_MIN] = { "iat_min_ns", FT_U64, FF_DIR, "iat_min_ns",
		D3(NULL, "SRC_IAT_MIN_NS", "DST_IAT_MIN_NS"), NULL, {}, 0, get_iat_min,
		"smallest gap between arrivals, ns" },
	[F_IAT_MAX] = { "iat_max_ns", FT_U64, FF_DIR, "iat_max_ns",
		D3(NULL, "SRC_IAT_MAX_NS", "DST_IAT_MAX_NS"), NULL, {}, 0, get_iat_max,
		"largest gap between arrivals, ns" },
	[F_IAT_STDDEV] = { "iat_stddev_ns", FT_U64, FF_DIR, "iat_stddev_ns",
		D3(NULL, "SRC_IAT_STDDEV_NS", "DST_IAT_STDDEV_NS"), NULL, {}, 0, get_iat_stddev,
		"standard deviation of the gaps, ns" },
	[F_IFINDEX] = { "ifindex", FT_U64, FF_DIR | FF_OPT, "ifindex",
		D3(NULL, "INPUT_SNMP", "DST_INPUT_SNMP"), NULL, { .id = 10, .id6 = 10, .id_eg = 14,
		.len = 4, .len6 = 4, .name = "ingressInterface (egress: egressInterface)" }, 0,
		get_ifindex, "ifindex of the hook that first saw the direction" },
	[F_DIRECTION] = { "direction", FT_U64, FF_DIR | FF_DIRNAME | FF_OPT, "direction",
		D3(NULL, "DIRECTION", "DST_DIRECTION"), NULL, { .id = 61, .id6 = 61, .len = 1,
		.len6 = 1, .name = "flowDirection" }, 0, get_direction,
		"that hook: 0 ingress, 1 egress (text: the name)" },
	[F_FLOW_ID] = { "flow_id", FT_U64, 0, "flow_id", D3("FLOW_ID", NULL, NULL), NULL,
		{ .id = 148, .id6 = 148, .len = 8, .len6 = 8, .name = "flowId" }, 0, get_flow_id,
		"record number of this process, the same in every output" },
	[F_BIFLOW_DIR] = { "biflow_direction", FT_U64, 0, NULL,
		D3("BIFLOW_DIRECTION", NULL, NULL), NULL, { .id = 239, .id6 = 239, .len = 1,
		.len6 = 1, .flags = IE_BI, .name = "biflowDirection" }, 0, get_biflow_dir,
		"1 initiator: only the forward side sent a SYN without ACK; else 0 arbitrary" },
	[F_FIRST_MS] = { "first_ms", FT_I64, FF_DIR, NULL, D3(NULL, NULL, NULL), NULL,
		{ .id = 152, .id6 = 152, .len = 8, .len6 = 8, .flags = IE_REVONLY,
		  .name = "flowStartMilliseconds" }, 0, get_first_ms,
		"first packet of the direction, epoch ms; 0 if none" },
	[F_LAST_MS] = { "last_ms", FT_I64, FF_DIR, NULL, D3(NULL, NULL, NULL), NULL,
		{ .id = 153, .id6 = 153, .len = 8, .len6 = 8, .flags = IE_REVONLY,
		  .name = "flowEndMilliseconds" }, 0, get_last_ms,
		"last packet of the direction, epoch ms" },
	[F_WIN_MIN_RAW] = { "min_win_raw", FT_U64, FF_DIR, NULL, D3(NULL, NULL, NULL), NULL,
		{ .id = 415, .id6 = 415, .rev_id = 419, .len = 2, .len6 = 2, .pen = NTOP,
		  .name = "TCP_WIN_MIN_IN" }, 0, get_win_min_raw,
		"smallest raw window field (segments without SYN), 0 if none" },
	[F_WIN_MAX_RAW] = { "max_win_raw", FT_U64, FF_DIR, NULL, D3(NULL, NULL, NULL), NULL,
		{ .id = 416, .id6 = 416, .rev_id = 420, .len = 2, .len6 = 2, .pen = NTOP,
		  .name = "TCP_WIN_MAX_IN" }, 0, get_win_max_raw, "largest raw window field" },
	[F_VLAN] = { "vlan", FT_U64, FF_DIR | FF_OPT, "vlan", D3(NULL, "SRC_VLAN", "DST_VLAN"),
		NULL, { .id = 58, .id6 = 58, .len = 2, .len6 = 2, .flags = IE_L2,
		.name = "vlanId" }, 0, get_l2,
		"VLAN ID of the outer 802.1Q/802.1ad tag of the first packet, 0 if untagged" },
	[F_VLAN_INNER] = { "vlan_inner", FT_U64, FF_DIR | FF_OPT, "vlan_inner",
		D3(NULL, "SRC_INNER_VLAN", "DST_INNER_VLAN"), NULL, { .id = 245, .id6 = 245,
		.len = 2, .len6 = 2, .flags = IE_L2, .name = "dot1qCustomerVlanId" }, 1, get_l2,
		"VLAN ID of the second (inner) tag, 0 if none" },
	[F_SMAC] = { "smac", FT_MAC, FF_DIR | FF_OPT, "smac",
		D3(NULL, "IN_SRC_MAC", "OUT_SRC_MAC"), NULL, { .id = 56, .id6 = 56, .len = 6,
		.len6 = 6, .flags = IE_L2, .name = "sourceMacAddress" }, 2, get_l2,
		"source MAC address of the first packet" },
	[F_DMAC] = { "dmac", FT_MAC, FF_DIR | FF_OPT, "dmac",
		D3(NULL, "IN_DST_MAC", "OUT_DST_MAC"), NULL, { .id = 80, .id6 = 80, .len = 6,
		.len6 = 6, .flags = IE_L2, .name = "destinationMacAddress" }, 3, get_l2,
		"destination MAC address of the first packet" },
};

static struct field dyn_fields[FIELDS_DYN_MAX];
static unsigned int dyn_count, dyn_gen;

const struct field *field_by_name(const char *name)
{
	unsigned int i;

	for (i = 0; i < field_count(); i++)
		if (!strcmp(field_at(i)->name, name))
			return field_at(i);
	return NULL;
}

const struct field *field_at(unsigned int id)
{
	if (id < F_MAX)
		return &flow_fields[id];
	return id - F_MAX < dyn_count ? &dyn_fields[id - F_MAX] : NULL;
}

unsigned int field_count(void)
{
	return F_MAX + dyn_count;
}

unsigned int fields_generation(void)
{
	return dyn_gen;
}

int fields_set_dynamic(const struct field *f, unsigned int n)
{
	if (n > FIELDS_DYN_MAX)
		return -1;
	if (n)
		memcpy(dyn_fields, f, n * sizeof(*f));
	dyn_count = n;
	dyn_gen++;
	return 0;
}

const char *field_json_key(const struct field *f, int d, int ipver)
{
	if (d == FD_REC && ipver == 6 && f->json6)
		return f->json6;
	return f->json[d];
}

/* ---- documentation ------------------------------------------------------- */

/* man(7) text: a '-' is a minus sign unless escaped, a leading '.' a request. */
static void man_text(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '-' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
}

static void man_names(FILE *out, const char *what, const char *a, const char *b,
		      const char *c, bool *first)
{
	const char *n[3] = { a, b, c };
	int i, k = 0;

	for (i = 0; i < 3; i++) {
		if (!n[i])
			continue;
		fprintf(out, "%s%s \\fB", k ? ", " : *first ? "" : "; ", k ? "" : what);
		man_text(out, n[i]);
		fprintf(out, "\\fR");
		k++;
	}
	if (k)
		*first = false;
}

/* The FIELDS list of tc_flowmon_user(8): one entry per field of the table. */
static void doc_man(FILE *out)
{
	char tf[64], tb[64], ie[96];
	const struct field *f;
	bool first;
	int i;

	for (i = 0; i < F_MAX; i++) {
		f = &flow_fields[i];
		first = true;
		fprintf(out, ".TP\n.B ");
		man_text(out, f->name);
		fprintf(out, "\n");
		if (f->text && (f->flags & FF_DIR)) {
			snprintf(tf, sizeof(tf), "%s_f", f->text);
			snprintf(tb, sizeof(tb), "%s_b", f->text);
			man_names(out, "text", tf, tb, NULL, &first);
		} else {
			man_names(out, "text", f->text, NULL, NULL, &first);
		}
		/* json6 is the IPv6 name of a record key: no direction forms then */
		man_names(out, "JSON", f->json[0], f->json6 ? f->json6 : f->json[1], f->json[2],
			  &first);
		if (f->ie.id || f->ie.id6) {
			if (f->ie.pen)
				snprintf(ie, sizeof(ie), "%s (%u, PEN %u)", f->ie.name,
					 f->ie.id ? f->ie.id : f->ie.id6, f->ie.pen);
			else
				snprintf(ie, sizeof(ie), "%s (%u)", f->ie.name,
					 f->ie.id ? f->ie.id : f->ie.id6);
			man_names(out, "IPFIX", ie, NULL, NULL, &first);
		}
		fprintf(out, "%s\n", first ? "" : ":");
		man_text(out, f->doc);
		fprintf(out, ".\n");
	}
}

int fields_doc(FILE *out, const char *kind)
{
	if (!strcmp(kind, "man")) {
		doc_man(out);
		return 0;
	}
	return -1;
}

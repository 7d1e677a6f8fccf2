// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* ipfix.c - IPFIX (RFC 7011/5103) templates, records and message building. */
#include <errno.h>
#include <string.h>
#include "flowtable.h"
#include "ipfix.h"

/*
 * A template is built from tables of field specifications. Each field takes
 * its value from a vector of numbers filled once per record (enum rec_val),
 * so that the encoder is one loop over the template.
 */

/* Per-direction values: the forward ones at V_FWD + D_x, the reverse at V_REV + D_x. */
enum dir_val {
	D_OCTETS,
	D_PKTS,
	D_FLAGS,
	D_TOS,
	D_TTL_MIN,
	D_TTL_MAX,
	D_LABEL,
	D_START,
	D_END,
	D_RETR_PKTS,
	D_RETR_BYTES,
	D_OOO_PKTS,
	D_WIN_MIN,
	D_WIN_MAX,
	D_MSS,
	D_WSCALE,
	D_SIZE,						/* size histogram */
	D_TTL = D_SIZE + FLOWMON_SIZE_BUCKETS,		/* TTL histogram */
	D_MAX = D_TTL + FLOWMON_TTL_BUCKETS,
};

enum rec_val {
	V_SADDR,	/* addresses are copied from the key, not from the vector */
	V_DADDR,
	V_SPORT,
	V_DPORT,
	V_PROTO,
	V_IPVER,
	V_ICMP,
	V_START,
	V_END,
	V_REASON,
	V_DIR,
	V_IFINDEX,
	V_FLOWID,
	V_BIDIR,
	V_SIZE,						/* histograms of the record */
	V_TTL = V_SIZE + FLOWMON_SIZE_BUCKETS,
	V_FWD = V_TTL + FLOWMON_TTL_BUCKETS,
	V_REV = V_FWD + D_MAX,
	V_MAX = V_REV + D_MAX,
};

enum stats_val {
	S_ODID,
	S_SAMPLING,
	S_IGN_PKTS,
	S_IGN_OCTETS,
	S_TBL_FULL,
	S_PARSE_ERR,
	S_REC_SENT,
	S_REC_DROP,
	S_MSG_SENT,
	S_OCT_SENT,
	S_ACTIVE,
	S_IDLE,
	S_MAX,
};

/* Field specification flags: which templates a field belongs to. */
#define F_V4		0x01	/* IPv4 templates only */
#define F_V6		0x02	/* IPv6 templates only */
#define F_ADDR		0x04	/* address: bytes of the key */
#define F_ING		0x08	/* ingress templates only */
#define F_EGR		0x10	/* egress templates only */
#define F_BI		0x20	/* biflow templates only */
#define F_REVONLY	0x40	/* per-direction field sent for the reverse direction only */

struct field_spec {
	uint16_t id;		/* IE number, enterprise bit not included */
	uint16_t len;		/* encoded length (reduced-size encoding where < type size) */
	uint32_t pen;		/* 0: IANA */
	uint16_t val;		/* enum rec_val, dir_val (per-direction) or stats_val */
	uint16_t rev_id;	/* vendor IE of the other direction (ntop *_OUT), 0: RFC 5103 rule */
	uint8_t flags;
};

#define PEN_NTOP IPFIX_PEN_NTOP
#define PEN_FM IPFIX_PEN_FLOWMON

/* Flow key and identification. */
static const struct field_spec key_fields[] = {
	{ 8, 4, 0, V_SADDR, 0, F_V4 | F_ADDR },		/* sourceIPv4Address */
	{ 12, 4, 0, V_DADDR, 0, F_V4 | F_ADDR },	/* destinationIPv4Address */
	{ 27, 16, 0, V_SADDR, 0, F_V6 | F_ADDR },	/* sourceIPv6Address */
	{ 28, 16, 0, V_DADDR, 0, F_V6 | F_ADDR },	/* destinationIPv6Address */
	/* before the ports: nfdump 1.7.1 writes it over the destination port of SCTP & co */
	{ 32, 2, 0, V_ICMP, 0, F_V4 },			/* icmpTypeCodeIPv4 */
	{ 139, 2, 0, V_ICMP, 0, F_V6 },			/* icmpTypeCodeIPv6 */
	{ 7, 2, 0, V_SPORT, 0, 0 },			/* sourceTransportPort */
	{ 11, 2, 0, V_DPORT, 0, 0 },			/* destinationTransportPort */
	{ 4, 1, 0, V_PROTO, 0, 0 },			/* protocolIdentifier */
	{ 60, 1, 0, V_IPVER, 0, 0 },			/* ipVersion */
};

/* Whole-record information (after the reverse block, see build_data()). */
static const struct field_spec info_fields[] = {
	{ 152, 8, 0, V_START, 0, 0 },			/* flowStartMilliseconds */
	{ 153, 8, 0, V_END, 0, 0 },			/* flowEndMilliseconds */
	{ 136, 1, 0, V_REASON, 0, 0 },			/* flowEndReason */
	{ 61, 1, 0, V_DIR, 0, 0 },			/* flowDirection */
	{ 10, 4, 0, V_IFINDEX, 0, F_ING },		/* ingressInterface */
	{ 14, 4, 0, V_IFINDEX, 0, F_EGR },		/* egressInterface */
	{ 148, 8, 0, V_FLOWID, 0, 0 },			/* flowId */
	{ 239, 1, 0, V_BIDIR, 0, F_BI },		/* biflowDirection */
};

/* Per-direction metrics, forward form (val is an enum dir_val). */
static const struct field_spec dir_fields[] = {
	{ 1, 8, 0, D_OCTETS, 0, 0 },			/* octetDeltaCount */
	{ 2, 8, 0, D_PKTS, 0, 0 },			/* packetDeltaCount */
	{ 6, 2, 0, D_FLAGS, 0, 0 },			/* tcpControlBits */
	{ 5, 1, 0, D_TOS, 0, 0 },			/* ipClassOfService */
	{ 52, 1, 0, D_TTL_MIN, 0, 0 },			/* minimumTTL */
	{ 53, 1, 0, D_TTL_MAX, 0, 0 },			/* maximumTTL */
	{ 31, 4, 0, D_LABEL, 0, F_V6 },			/* flowLabelIPv6 */
	{ 152, 8, 0, D_START, 0, F_REVONLY },		/* reverse flowStartMilliseconds */
	{ 153, 8, 0, D_END, 0, F_REVONLY },		/* reverse flowEndMilliseconds */
	{ 109, 4, PEN_NTOP, D_RETR_PKTS, 110, 0 },	/* RETRANSMITTED_IN/OUT_PKTS */
	{ 127, 4, PEN_NTOP, D_RETR_BYTES, 128, 0 },	/* RETRANSMITTED_IN/OUT_BYTES */
	{ 111, 4, PEN_NTOP, D_OOO_PKTS, 112, 0 },	/* OOORDER_IN/OUT_PKTS */
	{ 415, 2, PEN_NTOP, D_WIN_MIN, 419, 0 },	/* TCP_WIN_MIN_IN/OUT */
	{ 416, 2, PEN_NTOP, D_WIN_MAX, 420, 0 },	/* TCP_WIN_MAX_IN/OUT */
	{ 417, 2, PEN_NTOP, D_MSS, 421, 0 },		/* TCP_WIN_MSS_IN/OUT */
	{ 418, 1, PEN_NTOP, D_WSCALE, 422, 0 },		/* TCP_WIN_SCALE_IN/OUT */
};

/*
 * Packet size and TTL histograms of the record, as nProbe defines them:
 * for the whole flow, so a biflow record carries the sum of both directions
 * (a uniflow record: its own direction).
 */
static const struct field_spec hist_fields[] = {
	{ 88, 4, PEN_NTOP, V_SIZE + 0, 0, 0 },		/* NUM_PKTS_UP_TO_128_BYTES */
	{ 89, 4, PEN_NTOP, V_SIZE + 1, 0, 0 },		/* NUM_PKTS_128_TO_256_BYTES */
	{ 90, 4, PEN_NTOP, V_SIZE + 2, 0, 0 },		/* NUM_PKTS_256_TO_512_BYTES */
	{ 91, 4, PEN_NTOP, V_SIZE + 3, 0, 0 },		/* NUM_PKTS_512_TO_1024_BYTES */
	{ 92, 4, PEN_NTOP, V_SIZE + 4, 0, 0 },		/* NUM_PKTS_1024_TO_1514_BYTES */
	{ 93, 4, PEN_NTOP, V_SIZE + 5, 0, 0 },		/* NUM_PKTS_OVER_1514_BYTES */
	{ 347, 4, PEN_NTOP, V_TTL + 0, 0, 0 },		/* NUM_PKTS_TTL_EQ_1 */
	{ 346, 4, PEN_NTOP, V_TTL + 1, 0, 0 },		/* NUM_PKTS_TTL_2_5 */
	{ 334, 4, PEN_NTOP, V_TTL + 2, 0, 0 },		/* NUM_PKTS_TTL_5_32 */
	{ 335, 4, PEN_NTOP, V_TTL + 3, 0, 0 },		/* NUM_PKTS_TTL_32_64 */
	{ 336, 4, PEN_NTOP, V_TTL + 4, 0, 0 },		/* NUM_PKTS_TTL_64_96 */
	{ 337, 4, PEN_NTOP, V_TTL + 5, 0, 0 },		/* NUM_PKTS_TTL_96_128 */
	{ 338, 4, PEN_NTOP, V_TTL + 6, 0, 0 },		/* NUM_PKTS_TTL_128_160 */
	{ 339, 4, PEN_NTOP, V_TTL + 7, 0, 0 },		/* NUM_PKTS_TTL_160_192 */
	{ 340, 4, PEN_NTOP, V_TTL + 8, 0, 0 },		/* NUM_PKTS_TTL_192_224 */
	{ 341, 4, PEN_NTOP, V_TTL + 9, 0, 0 },		/* NUM_PKTS_TTL_224_255 */
};

/* Options record: the first field is the scope. */
static const struct field_spec stats_fields[] = {
	{ 149, 4, 0, S_ODID, 0, 0 },			/* observationDomainId (scope) */
	{ 34, 4, 0, S_SAMPLING, 0, 0 },			/* samplingInterval */
	{ 164, 8, 0, S_IGN_PKTS, 0, 0 },		/* ignoredPacketTotalCount */
	{ 165, 8, 0, S_IGN_OCTETS, 0, 0 },		/* ignoredOctetTotalCount */
	{ 1, 8, PEN_FM, S_TBL_FULL, 0, 0 },		/* tableFullPacketTotalCount */
	{ 2, 8, PEN_FM, S_PARSE_ERR, 0, 0 },		/* parseErrorPacketTotalCount */
	{ 42, 8, 0, S_REC_SENT, 0, 0 },			/* exportedFlowRecordTotalCount */
	{ 166, 8, 0, S_REC_DROP, 0, 0 },		/* notSentFlowTotalCount */
	{ 41, 8, 0, S_MSG_SENT, 0, 0 },			/* exportedMessageTotalCount */
	{ 40, 8, 0, S_OCT_SENT, 0, 0 },			/* exportedOctetTotalCount */
	{ 36, 2, 0, S_ACTIVE, 0, 0 },			/* flowActiveTimeout */
	{ 37, 2, 0, S_IDLE, 0, 0 },			/* flowIdleTimeout */
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FIELDS 128

/* A field as it goes on the wire. */
struct wire_field {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
	uint16_t val;
	bool addr;
};

struct tmpl {
	uint16_t tid;
	uint16_t nfields;
	uint16_t nscope;	/* options template: scope field count */
	struct wire_field f[MAX_FIELDS];
};

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = v >> 8;
	p[1] = v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, v >> 16);
	put16(p + 2, v);
}

/* Big-endian in len octets; reduced-size encoding saturates instead of wrapping. */
static void put_uint(uint8_t *p, uint64_t v, unsigned int len)
{
	if (len < 8 && v >> (len * 8))
		v = (1ULL << (len * 8)) - 1;
	while (len--) {
		p[len] = v & 0xff;
		v >>= 8;
	}
}

static bool spec_selected(const struct field_spec *s, unsigned int tf)
{
	bool v6 = tf & IPFIX_TF_V6, egress = tf & IPFIX_TF_EGRESS;

	if ((s->flags & F_V4 && v6) || (s->flags & F_V6 && !v6))
		return false;
	if ((s->flags & F_ING && egress) || (s->flags & F_EGR && !egress))
		return false;
	return !(s->flags & F_BI && tf & IPFIX_TF_UNI);
}

static void tmpl_push(struct tmpl *t, uint16_t id, uint16_t len, uint32_t pen, uint16_t val,
		      bool addr)
{
	if (t->nfields < MAX_FIELDS)
		t->f[t->nfields++] = (struct wire_field){ id, len, pen, val, addr };
}

static void push_specs(struct tmpl *t, const struct field_spec *s, size_t n, unsigned int tf)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (spec_selected(&s[i], tf))
			tmpl_push(t, s[i].id, s[i].len, s[i].pen, s[i].val, s[i].flags & F_ADDR);
}

/*
 * One direction's metrics. The reverse form follows RFC 5103: IANA elements
 * under PEN 29305, vendor elements with the reverse bit, except the ntop
 * elements that come in IN/OUT pairs, which use their OUT twin.
 */
static void push_dir(struct tmpl *t, unsigned int tf, bool rev)
{
	const struct field_spec *s;
	uint16_t id, base = rev ? V_REV : V_FWD;
	uint32_t pen;
	size_t i;

	for (i = 0; i < ARRAY_LEN(dir_fields); i++) {
		s = &dir_fields[i];
		if (!spec_selected(s, tf) || (s->flags & F_REVONLY && !rev))
			continue;
		id = s->id;
		pen = s->pen;
		if (rev && s->rev_id)
			id = s->rev_id;
		else if (rev && !pen)
			pen = IPFIX_PEN_REVERSE;
		else if (rev)
			id |= IPFIX_REVERSE_BIT;
		tmpl_push(t, id, s->len, pen, base + s->val, false);
	}
}

/*
 * Data template layout: key, then (biflow) the reverse metrics, then the
 * record information and the forward metrics. nfdump 1.7.1 ignores the PEN
 * of a reverse element other than the counters and stores it over the
 * forward value; with the reverse block first, the forward value wins.
 */
static void build_data(struct tmpl *t, unsigned int tf)
{
	push_specs(t, key_fields, ARRAY_LEN(key_fields), tf);
	if (!(tf & IPFIX_TF_UNI))
		push_dir(t, tf, true);
	push_specs(t, info_fields, ARRAY_LEN(info_fields), tf);
	push_dir(t, tf, false);
	push_specs(t, hist_fields, ARRAY_LEN(hist_fields), tf);
}

/* Fill t for template id tid; false if tid is not one of ours. */
static bool tmpl_build(struct tmpl *t, uint16_t tid)
{
	memset(t, 0, sizeof(*t));
	t->tid = tid;
	if (tid == IPFIX_TID_STATS) {
		push_specs(t, stats_fields, ARRAY_LEN(stats_fields), 0);
		t->nscope = 1;
		return true;
	}
	if (tid < IPFIX_TID_DATA || tid >= IPFIX_TID_DATA + 8)
		return false;
	build_data(t, tid - IPFIX_TID_DATA);
	return true;
}

static size_t tmpl_rec_len(const struct tmpl *t)
{
	size_t n = t->nscope ? 6 : 4;
	int i;

	for (i = 0; i < t->nfields; i++)
		n += t->f[i].pen ? 8 : 4;
	return n;
}

static size_t tmpl_data_len(const struct tmpl *t)
{
	size_t n = 0;
	int i;

	for (i = 0; i < t->nfields; i++)
		n += t->f[i].len;
	return n;
}

size_t ipfix_template_rec_len(uint16_t tid)
{
	struct tmpl t;

	return tmpl_build(&t, tid) ? tmpl_rec_len(&t) : 0;
}

size_t ipfix_data_rec_len(uint16_t tid)
{
	struct tmpl t;

	return tmpl_build(&t, tid) ? tmpl_data_len(&t) : 0;
}

int ipfix_session_templates(bool uniflow, uint16_t *out, int max)
{
	static const unsigned int variants[] = { 0, IPFIX_TF_V6, IPFIX_TF_EGRESS,
						 IPFIX_TF_EGRESS | IPFIX_TF_V6 };
	int i, n = 0;

	for (i = 0; i < (int)ARRAY_LEN(variants); i++, n++)
		if (n < max)
			out[n] = IPFIX_TID_DATA + variants[i] + (uniflow ? IPFIX_TF_UNI : 0);
	if (n < max)
		out[n] = IPFIX_TID_STATS;
	return n + 1;
}

uint16_t ipfix_flow_tid(const struct flow_record *r, bool uniflow, bool rev)
{
	const struct flow_side *m = uniflow && rev ? &r->rev : &r->fwd;
	unsigned int tf = 0;

	if (r->key.ipver == 6)
		tf |= IPFIX_TF_V6;
	if (uniflow)
		tf |= IPFIX_TF_UNI;
	if (m->dir == FLOW_DIR_EGRESS)
		tf |= IPFIX_TF_EGRESS;
	return IPFIX_TID_DATA + tf;
}

void ipfix_meter_from_counters(struct ipfix_meter_stats *ms, const uint64_t *cnt, size_t n)
{
	size_t i;

	ms->table_full_pkts = n > CNT_TABLE_FULL_PKTS ? cnt[CNT_TABLE_FULL_PKTS] : 0;
	ms->table_full_bytes = n > CNT_TABLE_FULL_BYTES ? cnt[CNT_TABLE_FULL_BYTES] : 0;
	ms->parse_errors = 0;
	for (i = CNT_ERR_L2; i <= CNT_ERR_L4 && i < n; i++)
		ms->parse_errors += cnt[i];
}

/* ---- message building ---- */

void ipfix_msg_init(struct ipfix_msg *m, uint8_t *buf, size_t cap, uint32_t odid, uint32_t seq)
{
	memset(m, 0, sizeof(*m));
	m->buf = buf;
	m->cap = cap > IPFIX_MAX_MSG ? IPFIX_MAX_MSG : cap;
	m->len = IPFIX_HDR_LEN;
	m->odid = odid;
	m->seq = seq;
}

static size_t pad4(size_t n)
{
	return (4 - n % 4) % 4;
}

/* Pad the open set to 4 octets and write its length. */
static void set_close(struct ipfix_msg *m)
{
	size_t pad;

	if (!m->set_off)
		return;
	pad = pad4(m->len - m->set_off);
	memset(m->buf + m->len, 0, pad);
	m->len += pad;
	put16(m->buf + m->set_off + 2, m->len - m->set_off);
	m->set_off = 0;
	m->set_id = 0;
}

/*
 * Room for n octets in a set of set_id (the open one, or a new one). The
 * space check includes the set's final padding. NULL when it does not fit.
 */
static uint8_t *set_reserve(struct ipfix_msg *m, uint16_t set_id, size_t n)
{
	size_t start, end;
	uint8_t *p;

	if (m->set_off && m->set_id == set_id) {
		start = m->set_off;
		end = m->len + n;
	} else {
		start = m->len + (m->set_off ? pad4(m->len - m->set_off) : 0);
		end = start + IPFIX_SET_HDR_LEN + n;
	}
	if (start + (end - start) + pad4(end - start) > m->cap)
		return NULL;
	if (!m->set_off || m->set_id != set_id) {
		set_close(m);
		m->set_off = m->len;
		m->set_id = set_id;
		put16(m->buf + m->len, set_id);
		put16(m->buf + m->len + 2, 0);
		m->len += IPFIX_SET_HDR_LEN;
	}
	p = m->buf + m->len;
	m->len += n;
	return p;
}

static void encode_template(uint8_t *p, const struct tmpl *t)
{
	int i;

	put16(p, t->tid);
	put16(p + 2, t->nfields);
	p += 4;
	if (t->nscope) {
		put16(p, t->nscope);
		p += 2;
	}
	for (i = 0; i < t->nfields; i++, p += 4) {
		put16(p, t->f[i].id | (t->f[i].pen ? 0x8000 : 0));
		put16(p + 2, t->f[i].len);
		if (t->f[i].pen) {
			put32(p + 4, t->f[i].pen);
			p += 4;
		}
	}
}

int ipfix_msg_add_template(struct ipfix_msg *m, uint16_t tid)
{
	struct tmpl t;
	uint8_t *p;

	if (!tmpl_build(&t, tid))
		return -EINVAL;
	p = set_reserve(m, t.nscope ? IPFIX_SET_OPTIONS : IPFIX_SET_TEMPLATE, tmpl_rec_len(&t));
	if (!p)
		return -ENOSPC;
	encode_template(p, &t);
	return 0;
}

/* Values of one record and the addresses they go with. */
struct rec_values {
	uint64_t v[V_MAX];
	const uint8_t *saddr;
	const uint8_t *daddr;
};

static void encode_values(uint8_t *p, const struct tmpl *t, const struct rec_values *rv)
{
	const struct wire_field *f;
	int i;

	for (i = 0; i < t->nfields; i++) {
		f = &t->f[i];
		if (f->addr)
			memcpy(p, f->val == V_SADDR ? rv->saddr : rv->daddr, f->len);
		else
			put_uint(p, rv->v[f->val], f->len);
		p += f->len;
	}
}

static int add_values(struct ipfix_msg *m, uint16_t tid, const struct rec_values *rv)
{
	struct tmpl t;
	uint8_t *p;

	if (!tmpl_build(&t, tid))
		return -EINVAL;
	p = set_reserve(m, tid, tmpl_data_len(&t));
	if (!p)
		return -ENOSPC;
	encode_values(p, &t, rv);
	m->nrec++;
	return 1;
}

/* ---- record values ---- */

/* Kernel-clock ns + offset -> epoch ms (dateTimeMilliseconds). */
static uint64_t wall_ms(uint64_t t, int64_t off)
{
	int64_t ns = (int64_t)t + off;

	return ns > 0 ? (uint64_t)ns / 1000000 : 0;
}

static void fill_tcp(uint64_t *d, const struct flow_side *s)
{
	d[D_RETR_PKTS] = s->retr_pkts;
	d[D_RETR_BYTES] = s->retr_bytes;
	d[D_OOO_PKTS] = s->ooo_pkts;
	/* raw window fields of segments without SYN; the kernel keeps ~0 until one */
	d[D_WIN_MIN] = s->win_min == ~0U ? 0 : s->win_min;
	d[D_WIN_MAX] = s->win_max;
	d[D_MSS] = s->mss;
	d[D_WSCALE] = s->wscale == FLOW_WSCALE_NONE ? 0 : s->wscale;	/* as JSON: 0 = none */
}

/* One direction's values into d (all zero for a direction never seen). */
static void fill_dir(uint64_t *d, const struct flow_side *s, int64_t off)
{
	int i;

	memset(d, 0, D_MAX * sizeof(*d));
	if (!s || !s->packets)
		return;
	d[D_OCTETS] = s->bytes;
	d[D_PKTS] = s->packets;
	d[D_FLAGS] = s->tcp_flags & 0x1ff;
	d[D_TOS] = s->tos;
	d[D_TTL_MIN] = s->ttl_min;
	d[D_TTL_MAX] = s->ttl_max;
	d[D_LABEL] = s->flow_label & 0xfffff;
	d[D_START] = wall_ms(s->first_seen, off);
	d[D_END] = wall_ms(s->last_seen, off);
	fill_tcp(d, s);
	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		d[D_SIZE + i] = s->size_hist[i];
	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		d[D_TTL + i] = s->ttl_hist[i];
}

static bool is_icmp(const struct flow_key *k)
{
	return (k->ipver == 4 && k->proto == 1) || (k->ipver == 6 && k->proto == 58);
}

/* Key values; ICMP: sport 0, dport = icmpTypeCode = type * 256 + code. */
static void fill_key(struct rec_values *rv, const struct flow_key *k)
{
	uint64_t *v = rv->v;

	rv->saddr = k->saddr;
	rv->daddr = k->daddr;
	v[V_PROTO] = k->proto;
	v[V_IPVER] = k->ipver;
	if (is_icmp(k)) {
		v[V_ICMP] = (uint16_t)(k->sport << 8 | (k->dport & 0xff));
		v[V_SPORT] = 0;
		v[V_DPORT] = v[V_ICMP];
	} else {
		v[V_ICMP] = 0;
		v[V_SPORT] = k->sport;
		v[V_DPORT] = k->dport;
	}
}

/* Record-level values from the forward metrics m; times span both directions of a biflow. */
static void fill_info(struct rec_values *rv, const struct flow_record *r,
		      const struct flow_side *m, bool bi)
{
	uint64_t *v = rv->v, *f = v + V_FWD, *b = v + V_REV;
	int i;

	v[V_START] = f[D_START];
	v[V_END] = f[D_END];
	if (bi && b[D_PKTS]) {
		if (!f[D_PKTS] || b[D_START] < v[V_START])
			v[V_START] = b[D_START];
		if (b[D_END] > v[V_END])
			v[V_END] = b[D_END];
	}
	v[V_REASON] = r->end_reason;
	v[V_DIR] = m->dir;
	v[V_IFINDEX] = m->ifindex;
	v[V_FLOWID] = r->flow_id;
	/* RFC 5103 biflowDirection: 1 when only the forward side opened (SYN), else 0 arbitrary */
	v[V_BIDIR] = m->state & FLOW_ST_INITIATOR &&
		     !(bi && r->has_rev && r->rev.state & FLOW_ST_INITIATOR);
	for (i = 0; i < FLOWMON_SIZE_BUCKETS; i++)
		v[V_SIZE + i] = f[D_SIZE + i] + b[D_SIZE + i];
	for (i = 0; i < FLOWMON_TTL_BUCKETS; i++)
		v[V_TTL + i] = f[D_TTL + i] + b[D_TTL + i];
}

static int add_biflow(struct ipfix_msg *m, const struct flow_record *r)
{
	struct rec_values rv;

	fill_key(&rv, &r->key);
	fill_dir(rv.v + V_FWD, &r->fwd, r->wall_offset_ns);
	fill_dir(rv.v + V_REV, r->has_rev ? &r->rev : NULL, r->wall_offset_ns);
	fill_info(&rv, r, &r->fwd, true);
	return add_values(m, ipfix_flow_tid(r, false, false), &rv);
}

static int add_uniflow(struct ipfix_msg *m, const struct flow_record *r, bool rev)
{
	const struct flow_side *s = rev ? &r->rev : &r->fwd;
	struct flow_key rkey;
	struct rec_values rv;

	if (rev) {
		flow_reverse_key(&r->key, &rkey);
		fill_key(&rv, &rkey);
	} else {
		fill_key(&rv, &r->key);
	}
	fill_dir(rv.v + V_FWD, s, r->wall_offset_ns);
	fill_dir(rv.v + V_REV, NULL, 0);
	fill_info(&rv, r, s, false);
	return add_values(m, ipfix_flow_tid(r, true, rev), &rv);
}

int ipfix_msg_add_flow(struct ipfix_msg *m, const struct flow_record *r, bool uniflow)
{
	struct ipfix_msg saved = *m;
	int err;

	if (!uniflow)
		return add_biflow(m, r);
	err = add_uniflow(m, r, false);
	if (err < 0 || !r->has_rev)
		return err;
	err = add_uniflow(m, r, true);
	if (err < 0) {
		*m = saved;	/* both directions or neither: set headers are written at close */
		return err;
	}
	return 2;
}

int ipfix_msg_add_stats(struct ipfix_msg *m, const struct ipfix_stats *st)
{
	struct rec_values rv;
	uint64_t *v = rv.v;

	memset(&rv, 0, sizeof(rv));
	v[S_ODID] = m->odid;
	v[S_SAMPLING] = 1;	/* every packet is accounted */
	v[S_IGN_PKTS] = st->meter.table_full_pkts + st->meter.parse_errors;
	v[S_IGN_OCTETS] = st->meter.table_full_bytes;
	v[S_TBL_FULL] = st->meter.table_full_pkts;
	v[S_PARSE_ERR] = st->meter.parse_errors;
	v[S_REC_SENT] = st->records_sent;
	v[S_REC_DROP] = st->records_dropped;
	v[S_MSG_SENT] = st->messages_sent;
	v[S_OCT_SENT] = st->octets_sent;
	v[S_ACTIVE] = st->meter.active_timeout_s;
	v[S_IDLE] = st->meter.idle_timeout_s;
	return add_values(m, IPFIX_TID_STATS, &rv);
}

size_t ipfix_msg_finish(struct ipfix_msg *m, uint32_t export_time)
{
	set_close(m);
	put16(m->buf, IPFIX_VERSION);
	put16(m->buf + 2, m->len);
	put32(m->buf + 4, export_time);
	put32(m->buf + 8, m->seq);
	put32(m->buf + 12, m->odid);
	return m->len;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* ipfix.c - IPFIX (RFC 7011/5103) templates, records and message building. */
#include <errno.h>
#include <string.h>
#include "fields.h"
#include "fmt_layout.h"
#include "flowtable.h"
#include "ipfix.h"
#include "plugins.h"

/*
 * Data templates are built from the field table (fields.h): the layouts
 * below say which fields go into which part of a template; each field
 * brings its element, length and getter. The options template (exporter
 * statistics) has its own small table.
 */

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

/* The options template's fields (val is an enum stats_val). */
struct field_spec {
	uint16_t id;		/* IE number, enterprise bit not included */
	uint16_t len;		/* encoded length (reduced-size encoding where < type size) */
	uint32_t pen;		/* 0: IANA */
	uint16_t val;
};

#define PEN_FM IPFIX_PEN_FLOWMON

/* The flow key. icmpTypeCode before the ports: nfdump 1.7.1 writes it over the
 * destination port of SCTP & co when it comes after. */
static const struct field_ref key_layout[] = {
	L_REC(F_SADDR), L_REC(F_DADDR), L_REC(F_ICMP), L_REC(F_TSPORT), L_REC(F_TDPORT),
	L_REC(F_PROTO), L_REC(F_IPVER),
};

/* Per-direction metrics, in each direction's block (forward or reverse form). */
static const uint16_t dir_layout[] = {
	F_BYTES, F_PKTS, F_TCP_FLAGS, F_TOS, F_TTL_MIN, F_TTL_MAX, F_FLOW_LABEL, F_FIRST_MS,
	F_LAST_MS, F_RETR_PKTS, F_RETR_BYTES, F_OOO_PKTS, F_WIN_MIN_RAW, F_WIN_MAX_RAW, F_MSS,
	F_WSCALE,
};

/* Whole-record information, after the reverse block (see build_data()). */
static const struct field_ref info_layout[] = {
	L_REC(F_START_MS), L_REC(F_END_MS), L_REC(F_END_REASON), L_FWD(F_DIRECTION),
	L_FWD(F_IFINDEX), L_REC(F_FLOW_ID), L_REC(F_BIFLOW_DIR),
};

/*
 * Packet size and TTL histograms of the record, as nProbe defines them:
 * for the whole flow, so a biflow record carries the sum of both directions
 * (a uniflow record: its own direction). Then layer 2 (L2 templates).
 */
static const struct field_ref tail_layout[] = {
	L_REC(F_SIZE_0), L_REC(F_SIZE_0 + 1), L_REC(F_SIZE_0 + 2), L_REC(F_SIZE_0 + 3),
	L_REC(F_SIZE_0 + 4), L_REC(F_SIZE_0 + 5),
	L_REC(F_TTLH_0), L_REC(F_TTLH_0 + 1), L_REC(F_TTLH_0 + 2), L_REC(F_TTLH_0 + 3),
	L_REC(F_TTLH_0 + 4), L_REC(F_TTLH_0 + 5), L_REC(F_TTLH_0 + 6), L_REC(F_TTLH_0 + 7),
	L_REC(F_TTLH_0 + 8), L_REC(F_TTLH_0 + 9),
	L_FWD(F_VLAN), L_FWD(F_VLAN_INNER), L_FWD(F_SMAC), L_FWD(F_DMAC),
};

/* Options record: the first field is the scope. */
static const struct field_spec stats_fields[] = {
	{ 149, 4, 0, S_ODID },			/* observationDomainId (scope) */
	{ 34, 4, 0, S_SAMPLING },		/* samplingInterval */
	{ 164, 8, 0, S_IGN_PKTS },		/* ignoredPacketTotalCount */
	{ 165, 8, 0, S_IGN_OCTETS },		/* ignoredOctetTotalCount */
	{ 1, 8, PEN_FM, S_TBL_FULL },		/* tableFullPacketTotalCount */
	{ 2, 8, PEN_FM, S_PARSE_ERR },		/* parseErrorPacketTotalCount */
	{ 42, 8, 0, S_REC_SENT },		/* exportedFlowRecordTotalCount */
	{ 166, 8, 0, S_REC_DROP },		/* notSentFlowTotalCount */
	{ 41, 8, 0, S_MSG_SENT },		/* exportedMessageTotalCount */
	{ 40, 8, 0, S_OCT_SENT },		/* exportedOctetTotalCount */
	{ 36, 2, 0, S_ACTIVE },			/* flowActiveTimeout */
	{ 37, 2, 0, S_IDLE },			/* flowIdleTimeout */
};

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_FIELDS 256

/* A field as it goes on the wire. */
struct wire_field {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
	uint16_t val;		/* enum field_id, or enum stats_val (options template) */
	uint8_t dir;		/* enum fdir of a flow field */
};

struct tmpl {
	uint16_t tid;
	uint16_t nfields;
	uint16_t nscope;	/* options template: scope field count */
	unsigned int tf;	/* IPFIX_TF_* of a data template */
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

static void tmpl_push(struct tmpl *t, uint16_t id, uint16_t len, uint32_t pen, uint16_t val,
		      uint8_t dir)
{
	if (t->nfields < MAX_FIELDS)
		t->f[t->nfields++] = (struct wire_field){ id, len, pen, val, dir };
}

/*
 * The element of form d of a field in template variant tf, 0 if the
 * template has none. The reverse form follows RFC 5103: IANA elements under
 * PEN 29305, vendor elements with the reverse bit, except the ntop elements
 * that come in IN/OUT pairs, which use their OUT twin.
 */
static uint16_t field_elem(const struct field_ie *ie, unsigned int tf, int d, uint32_t *pen,
			   uint16_t *len)
{
	bool v6 = tf & IPFIX_TF_V6, rev = d == FD_REV;
	uint16_t id = v6 ? ie->id6 : ie->id;

	if (!id || (ie->flags & IE_BI && tf & IPFIX_TF_UNI) ||
	    (ie->flags & IE_L2 && !(tf & IPFIX_TF_L2)) || (ie->flags & IE_REVONLY && !rev) ||
	    (ie->flags & IE_PLUGIN && !(tf & IPFIX_TF_PLUGIN)))
		return 0;
	if (tf & IPFIX_TF_EGRESS && ie->id_eg)
		id = ie->id_eg;
	*len = v6 ? ie->len6 : ie->len;
	if (ie->flags & IE_PLUGIN && !*len)
		*len = IPFIX_VARLEN;
	*pen = ie->pen;
	if (rev && ie->rev_id)
		id = ie->rev_id;
	else if (rev && !ie->pen)
		*pen = IPFIX_PEN_REVERSE;
	else if (rev)
		id |= IPFIX_REVERSE_BIT;
	return id;
}

static void push_ref(struct tmpl *t, uint16_t field, int d)
{
	uint16_t id, len = 0;
	uint32_t pen = 0;

	id = field_elem(&field_at(field)->ie, t->tf, d, &pen, &len);
	if (id)
		tmpl_push(t, id, len, pen, field, d);
}

static void push_layout(struct tmpl *t, const struct field_ref *l, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		push_ref(t, l[i].field, l[i].dir);
}

static void push_dir(struct tmpl *t, int d)
{
	size_t i;

	for (i = 0; i < ARRAY_LEN(dir_layout); i++)
		push_ref(t, dir_layout[i], d);
}

/*
 * Data template layout: key, then (biflow) the reverse metrics, then the
 * record information and the forward metrics. nfdump 1.7.1 ignores the PEN
 * of a reverse element other than the counters and stores it over the
 * forward value; with the reverse block first, the forward value wins.
 */
static void build_data(struct tmpl *t)
{
	push_layout(t, key_layout, ARRAY_LEN(key_layout));
	if (!(t->tf & IPFIX_TF_UNI))
		push_dir(t, FD_REV);
	push_layout(t, info_layout, ARRAY_LEN(info_layout));
	push_dir(t, FD_FWD);
	push_layout(t, tail_layout, ARRAY_LEN(tail_layout));
	if (t->tf & IPFIX_TF_PLUGIN) {
		unsigned int f;

		for (f = F_MAX; f < field_count(); f++)
			push_ref(t, f, FD_REC);
	}
}

uint16_t ipfix_plugin_tid_base(void)
{
	return IPFIX_TID_PLUGIN + 16 * (fields_generation() % 64);
}

/* Fill t for template id tid; false if tid is not one of ours. */
static bool tmpl_build(struct tmpl *t, uint16_t tid)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	t->tid = tid;
	if (tid == IPFIX_TID_STATS) {
		for (i = 0; i < ARRAY_LEN(stats_fields); i++)
			tmpl_push(t, stats_fields[i].id, stats_fields[i].len, stats_fields[i].pen,
				  stats_fields[i].val, 0);
		t->nscope = 1;
		return true;
	}
	if (tid >= IPFIX_TID_DATA && tid < IPFIX_TID_DATA + 8)
		t->tf = tid - IPFIX_TID_DATA;
	else if (tid >= IPFIX_TID_L2 && tid < IPFIX_TID_L2 + 8)
		t->tf = (tid - IPFIX_TID_L2) | IPFIX_TF_L2;
	else if (tid >= ipfix_plugin_tid_base() && tid < ipfix_plugin_tid_base() + 16)
		t->tf = ((tid - IPFIX_TID_PLUGIN) & 7) | ((tid & 8) ? IPFIX_TF_L2 : 0) |
			IPFIX_TF_PLUGIN;
	else
		return false;
	build_data(t);
	return true;
}

/* Cache slot of a template id: the options template, 8 data, 8 L2, 16 plugin. */
#define TMPL_SLOTS	33

static int tmpl_slot(uint16_t tid)
{
	uint16_t plug = ipfix_plugin_tid_base();

	if (tid == IPFIX_TID_STATS)
		return 0;
	if (tid >= IPFIX_TID_DATA && tid < IPFIX_TID_DATA + 8)
		return 1 + tid - IPFIX_TID_DATA;
	if (tid >= IPFIX_TID_L2 && tid < IPFIX_TID_L2 + 8)
		return 9 + tid - IPFIX_TID_L2;
	if (tid >= plug && tid < plug + 16)
		return 17 + tid - plug;
	return -1;
}

/*
 * The template of tid, or NULL if tid is not one of ours. Building one
 * walks the field table (1 us, more than encoding a record), and every
 * record of a tid has the same: each is built once per fields generation
 * (plugins add fields). One thread emits records at a time (collect.c), as
 * for fmt_json.c's cache.
 */
static const struct tmpl *tmpl_get(uint16_t tid)
{
	static struct tmpl cache[TMPL_SLOTS];
	static unsigned int built[TMPL_SLOTS];	/* fields_generation() + 1; 0: none */
	int slot = tmpl_slot(tid);

	if (slot < 0)
		return NULL;
	if (built[slot] != fields_generation() + 1 || cache[slot].tid != tid) {
		if (!tmpl_build(&cache[slot], tid))
			return NULL;
		built[slot] = fields_generation() + 1;
	}
	return &cache[slot];
}

static size_t tmpl_rec_len(const struct tmpl *t)
{
	size_t n = t->nscope ? 6 : 4;
	int i;

	for (i = 0; i < t->nfields; i++)
		n += t->f[i].pen ? 8 : 4;
	return n;
}

/* Fixed-length part of a data record; a variable-length element counts its length octet. */
static size_t tmpl_data_len(const struct tmpl *t)
{
	size_t n = 0;
	int i;

	for (i = 0; i < t->nfields; i++)
		n += t->f[i].len == IPFIX_VARLEN ? 1 : t->f[i].len;
	return n;
}

size_t ipfix_template_rec_len(uint16_t tid)
{
	const struct tmpl *t = tmpl_get(tid);

	return t ? tmpl_rec_len(t) : 0;
}

int ipfix_template_fields(uint16_t tid)
{
	const struct tmpl *t = tmpl_get(tid);

	return t ? t->nfields : 0;
}

size_t ipfix_data_rec_len(uint16_t tid)
{
	const struct tmpl *t = tmpl_get(tid);

	return t ? tmpl_data_len(t) : 0;
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
	if (plugin_values_any(r))
		return ipfix_plugin_tid_base() + tf + (m->has_l2 ? 8 : 0);
	return (m->has_l2 ? IPFIX_TID_L2 : IPFIX_TID_DATA) + tf;
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
	m->pen = IPFIX_PEN_FLOWMON;
}

/*
 * Close the open set: write its length. Sets are not padded: RFC 7011
 * 3.3.1 allows padding but does not require it, and some collectors
 * (python3-ipfix) read the padding of an options template set as a
 * template of id 0.
 */
static void set_close(struct ipfix_msg *m)
{
	if (!m->set_off)
		return;
	put16(m->buf + m->set_off + 2, m->len - m->set_off);
	m->set_off = 0;
	m->set_id = 0;
}

/* Room for n octets in a set of set_id (the open one, or a new one). NULL when it does not fit. */
static uint8_t *set_reserve(struct ipfix_msg *m, uint16_t set_id, size_t n)
{
	bool same = m->set_off && m->set_id == set_id;
	uint8_t *p;

	if (m->len + n + (same ? 0 : IPFIX_SET_HDR_LEN) > m->cap)
		return NULL;
	if (!same) {
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

/* Our own elements carry the message's PEN (--pen), the others their owner's. */
static void encode_template(uint8_t *p, const struct tmpl *t, uint32_t pen_fm)
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
			put32(p + 4, t->f[i].pen == IPFIX_PEN_FLOWMON ? pen_fm : t->f[i].pen);
			p += 4;
		}
	}
}

int ipfix_msg_add_template(struct ipfix_msg *m, uint16_t tid)
{
	const struct tmpl *t = tmpl_get(tid);
	uint8_t *p;

	if (!t)
		return -EINVAL;
	p = set_reserve(m, t->nscope ? IPFIX_SET_OPTIONS : IPFIX_SET_TEMPLATE, tmpl_rec_len(t));
	if (!p)
		return -ENOSPC;
	encode_template(p, t, m->pen);
	return 0;
}

/* Stats values of the options record (enum stats_val). */
struct stats_values {
	uint64_t v[S_MAX];
};

/*
 * A variable-length string (RFC 7011 7): one length octet, or 255 and two
 * octets. The value is at most PLUGIN_MAX_VALUE bytes.
 */
static size_t varlen_size(const char *s)
{
	size_t n = s ? strlen(s) : 0;

	return n < 255 ? 1 + n : 3 + n;
}

static size_t put_varlen(uint8_t *p, const char *s)
{
	size_t n = s ? strlen(s) : 0;

	if (n < 255) {
		p[0] = (uint8_t)n;
		memcpy(p + 1, s, n);
		return 1 + n;
	}
	p[0] = 255;
	put16(p + 1, (uint16_t)n);
	memcpy(p + 3, s, n);
	return 3 + n;
}

/* The value of a flow field in form w->dir; absent values are zeros (strings: empty). */
static void field_value(const struct wire_field *w, const struct flow_view *v, struct fval *val)
{
	const struct field *f = field_at(w->val);

	memset(val, 0, sizeof(*val));
	if (!f->get(f, v, w->dir, val) && w->len == IPFIX_VARLEN)
		val->s = NULL;
}

/* Encoded size of one field of this record. */
static size_t field_size(const struct wire_field *w, const struct flow_view *v)
{
	struct fval val;

	if (w->len != IPFIX_VARLEN)
		return w->len;
	field_value(w, v, &val);
	return varlen_size(val.s);
}

/* One flow field's value, zeros for a direction without packets. Returns its size. */
static size_t encode_field(uint8_t *p, const struct wire_field *w, const struct flow_view *v)
{
	const struct field *f = field_at(w->val);
	struct fval val;

	field_value(w, v, &val);
	if (w->len == IPFIX_VARLEN)
		return put_varlen(p, val.s);
	if (w->dir != FD_REC && !view_side(v, w->dir)->seen) {
		memset(p, 0, w->len);
		return w->len;
	}
	switch (f->type) {
	case FT_ADDR:
	case FT_MAC:
		memcpy(p, val.b, w->len);
		break;
	case FT_I64:
		put_uint(p, val.i > 0 ? (uint64_t)val.i : 0, w->len);	/* dateTime: no sign */
		break;
	default:
		put_uint(p, val.u, w->len);
		break;
	}
	return w->len;
}

/* Append one data record (flow view v) or the options record (stats st). */
static int add_record(struct ipfix_msg *m, uint16_t tid, const struct flow_view *v,
		      const struct stats_values *st)
{
	const struct tmpl *t = tmpl_get(tid);
	size_t len = 0;
	uint8_t *p;
	int i;

	if (!t)
		return -EINVAL;
	for (i = 0; i < t->nfields; i++)
		len += st ? t->f[i].len : field_size(&t->f[i], v);
	p = set_reserve(m, tid, len);
	if (!p)
		return -ENOSPC;
	for (i = 0; i < t->nfields; i++) {
		if (st) {
			put_uint(p, st->v[t->f[i].val], t->f[i].len);
			p += t->f[i].len;
		} else {
			p += encode_field(p, &t->f[i], v);
		}
	}
	m->nrec++;
	return 1;
}

static int add_biflow(struct ipfix_msg *m, const struct flow_record *r)
{
	struct flow_view v;

	flow_view_init_binary(&v, r, NULL);
	return add_record(m, ipfix_flow_tid(r, false, false), &v, NULL);
}

/* One direction as a record of its own: the reverse one under the reverse key. */
static int add_uniflow(struct ipfix_msg *m, const struct flow_record *r, bool rev)
{
	struct flow_record u = *r;
	struct flow_view v;

	if (rev) {
		flow_reverse_key(&r->key, &u.key);
		u.fwd = r->rev;
	}
	u.has_rev = false;
	memset(&u.rev, 0, sizeof(u.rev));
	flow_view_init_binary(&v, &u, NULL);
	return add_record(m, ipfix_flow_tid(r, true, rev), &v, NULL);
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
		*m = saved;	/* both directions or neither: set headers come at close */
		return err;
	}
	return 2;
}

int ipfix_msg_add_stats(struct ipfix_msg *m, const struct ipfix_stats *st)
{
	struct stats_values sv;
	uint64_t *v = sv.v;

	memset(&sv, 0, sizeof(sv));
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
	return add_record(m, IPFIX_TID_STATS, NULL, &sv);
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

/* ---- documentation ---- */

/* The element's name in form d: "reverse" + Name (RFC 5103), the ntop OUT twin. */
static void elem_name(const struct field *f, int d, bool v6, char *out, size_t len)
{
	const char *n = f->ie.name, *slash = strchr(n, '/'), *in;
	char base[64];

	/* "sourceIPv4Address/sourceIPv6Address": the one of the template */
	if (slash && v6)
		snprintf(base, sizeof(base), "%s", slash + 1);
	else
		snprintf(base, sizeof(base), "%.*s", slash ? (int)(slash - n) : (int)strlen(n), n);
	in = strstr(base, "_IN");
	if (d == FD_REV && f->ie.rev_id && in)
		snprintf(out, len, "%.*s_OUT%s", (int)(in - base), base, in + 3);
	else if (d == FD_REV)
		snprintf(out, len, "reverse%c%s", base[0] & ~0x20, base + 1);
	else
		snprintf(out, len, "%s", base);
}

int ipfix_doc_template(FILE *out, uint16_t tid)
{
	const struct tmpl *t = tmpl_get(tid);
	char name[96];
	int i;

	if (!t || t->nscope)
		return -EINVAL;
	fprintf(out, "| # | IE | PEN | len | name | value |\n");
	fprintf(out, "| --- | --- | --- | --- | --- | --- |\n");
	for (i = 0; i < t->nfields; i++) {
		const struct wire_field *w = &t->f[i];
		const struct field *f = field_at(w->val);

		elem_name(f, w->dir, t->tf & IPFIX_TF_V6, name, sizeof(name));
		fprintf(out, "| %d | %u | %u | %u | %s | %s%s |\n", i + 1, w->id & 0x7fff, w->pen,
			w->len, name, w->dir == FD_REV ? "reverse direction: " :
			w->dir == FD_FWD && f->flags & FF_DIR ? "forward direction: " : "", f->doc);
	}
	return t->nfields;
}

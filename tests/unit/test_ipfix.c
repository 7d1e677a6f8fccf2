// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_ipfix.c - IPFIX encoder and exporter, checked by an independent decoder. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include "export.h"
#include "ipfix.h"
#include "testlib.h"

/*
 * A minimal RFC 7011 decoder, written from the RFC and not from ipfix.c:
 * it learns templates from Template/Options Template Sets and splits Data
 * Sets into records by the template's field lengths.
 */
#define D_MAX_FIELDS	128
#define D_MAX_TMPL	16
#define D_MAX_REC	128
#define D_MAX_SETS	64

struct dfield {
	uint16_t id;
	uint16_t len;
	uint32_t pen;
};

struct dtmpl {
	uint16_t tid;
	int n, nscope;
	struct dfield f[D_MAX_FIELDS];
};

struct drec {
	const struct dtmpl *t;
	const uint8_t *p[D_MAX_FIELDS];		/* value of field i */
};

struct dsession {
	int ntmpl;
	struct dtmpl tmpl[D_MAX_TMPL];
};

struct dmsg {
	uint16_t version, len;
	uint32_t export_time, seq, odid;
	int ntmpl_added;		/* template records in this message */
	int nrec;
	struct drec rec[D_MAX_REC];
	int nsets;
	uint16_t set_id[D_MAX_SETS], set_len[D_MAX_SETS];
	size_t min_pad_left;		/* padding seen after the last record of a data set */
	int bad_pad;			/* padding >= record size or not zero */
};

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

static uint64_t rdn(const uint8_t *p, int len)
{
	uint64_t v = 0;

	while (len--)
		v = v << 8 | *p++;
	return v;
}

static struct dtmpl *dsess_tmpl(struct dsession *s, uint16_t tid, bool create)
{
	int i;

	for (i = 0; i < s->ntmpl; i++)
		if (s->tmpl[i].tid == tid)
			return &s->tmpl[i];
	if (!create || s->ntmpl == D_MAX_TMPL)
		return NULL;
	s->tmpl[s->ntmpl].tid = tid;
	return &s->tmpl[s->ntmpl++];
}

/* One template record at p (end: set end). Returns its length or -1. */
static int decode_template(struct dsession *s, const uint8_t *p, const uint8_t *end, bool opts)
{
	const uint8_t *q = p + (opts ? 6 : 4);
	struct dtmpl *t;
	int i, n;

	if (end - p < (opts ? 6 : 4))
		return -1;
	n = rd16(p + 2);
	t = dsess_tmpl(s, rd16(p), true);
	if (!t || n > D_MAX_FIELDS)
		return -1;
	t->n = n;
	t->nscope = opts ? rd16(p + 4) : 0;
	for (i = 0; i < n; i++) {
		if (end - q < 4)
			return -1;
		t->f[i] = (struct dfield){ rd16(q) & 0x7fff, rd16(q + 2), 0 };
		if (rd16(q) & 0x8000) {
			if (end - q < 8)
				return -1;
			t->f[i].pen = rd32(q + 4);
			q += 4;
		}
		q += 4;
	}
	return q - p;
}

static int dtmpl_rec_len(const struct dtmpl *t)
{
	int i, n = 0;

	for (i = 0; i < t->n; i++)
		n += t->f[i].len;
	return n;
}

static int decode_data(struct dmsg *m, const struct dtmpl *t, const uint8_t *p, const uint8_t *end)
{
	int i, rl = dtmpl_rec_len(t);
	struct drec *r;

	while (end - p >= rl && rl > 0) {
		if (m->nrec == D_MAX_REC)
			return -1;
		r = &m->rec[m->nrec++];
		r->t = t;
		for (i = 0; i < t->n; i++) {
			r->p[i] = p;
			p += t->f[i].len;
		}
	}
	if (end - p >= rl)
		m->bad_pad++;
	for (; p < end; p++)
		if (*p)
			m->bad_pad++;
	return 0;
}

/* Template records of a Template (2) or Options Template (3) Set. */
static int decode_tmpl_set(struct dsession *s, struct dmsg *m, const uint8_t *p,
			   const uint8_t *end, bool opts)
{
	int n;

	while (end - p >= 4) {
		n = decode_template(s, p, end, opts);
		if (n < 0)
			return -1;
		m->ntmpl_added++;
		p += n;
	}
	return 0;
}

static int decode_msg(struct dsession *s, const uint8_t *b, size_t len, struct dmsg *m)
{
	const uint8_t *p = b + 16, *end = b + len;
	struct dtmpl *t;
	uint16_t id, sl;

	memset(m, 0, sizeof(*m));
	if (len < 16 || rd16(b + 2) != len)
		return -1;
	m->version = rd16(b);
	m->len = rd16(b + 2);
	m->export_time = rd32(b + 4);
	m->seq = rd32(b + 8);
	m->odid = rd32(b + 12);
	while (end - p >= 4 && m->nsets < D_MAX_SETS) {
		id = rd16(p);
		sl = rd16(p + 2);
		if (sl < 4 || sl > end - p)
			return -1;
		m->set_id[m->nsets] = id;
		m->set_len[m->nsets++] = sl;
		if ((id == 2 || id == 3) && decode_tmpl_set(s, m, p + 4, p + sl, id == 3))
			return -1;
		t = id >= 256 ? dsess_tmpl(s, id, false) : NULL;
		if (id >= 256 && (!t || decode_data(m, t, p + 4, p + sl)))
			return -1;
		p += sl;
	}
	return p == end ? 0 : -1;
}

/* Value of element (pen, id) in record r; *found tells whether it is there. */
static uint64_t dget(const struct drec *r, uint32_t pen, uint16_t id, bool *found)
{
	int i;

	for (i = 0; i < r->t->n; i++) {
		if (r->t->f[i].id == id && r->t->f[i].pen == pen) {
			if (found)
				*found = true;
			return rdn(r->p[i], r->t->f[i].len);
		}
	}
	if (found)
		*found = false;
	return 0;
}

static const uint8_t *dget_bytes(const struct drec *r, uint16_t id)
{
	int i;

	for (i = 0; i < r->t->n; i++)
		if (r->t->f[i].id == id && !r->t->f[i].pen)
			return r->p[i];
	return NULL;
}

static bool dhas(const struct drec *r, uint32_t pen, uint16_t id)
{
	bool found;

	dget(r, pen, id, &found);
	return found;
}

/* ---- records built by hand ---- */

#define T0_MS 1700000001000ULL

static void metrics(struct flow_side *m, uint64_t first_ms, uint64_t last_ms, uint64_t pkts,
		    uint64_t bytes)
{
	memset(m, 0, sizeof(*m));
	m->first_seen = first_ms * 1000000ULL;
	m->last_seen = last_ms * 1000000ULL + 999999;	/* ms are truncated */
	m->packets = pkts;
	m->bytes = bytes;
	m->ifindex = 3;
	m->win_min = ~0U;
	m->wscale = FLOW_WSCALE_NONE;
	m->ttl_min = 64;
	m->ttl_max = 64;
	m->size_hist[0] = pkts;
	m->ttl_hist[3] = pkts;
}

/* TCP 10.0.0.1:40001 -> 10.0.0.2:80, 6/340 forward, 4/1160 reverse. */
static void tcp_record(struct flow_record *r)
{
	memset(r, 0, sizeof(*r));
	r->key.ipver = 4;
	r->key.proto = 6;
	inet_pton(AF_INET, "10.0.0.1", r->key.saddr);
	inet_pton(AF_INET, "10.0.0.2", r->key.daddr);
	r->key.sport = 40001;
	r->key.dport = 80;
	metrics(&r->fwd, T0_MS, T0_MS + 90, 6, 340);
	r->fwd.tcp_flags = 0x11b;	/* FIN SYN PSH ACK NS */
	r->fwd.tos = 0xb8;
	r->fwd.state = FLOW_ST_INITIATOR;
	r->fwd.mss = 1460;
	r->fwd.wscale = 7;
	r->fwd.win_min = 500;
	r->fwd.win_max = 64000;
	r->fwd.retr_pkts = 1;
	r->fwd.retr_bytes = 100;
	metrics(&r->rev, T0_MS + 10, T0_MS + 95, 4, 1160);
	r->rev.tcp_flags = 0x12;
	r->rev.ttl_min = 60;
	r->rev.ttl_max = 63;
	r->has_rev = true;
	r->end_reason = FLOW_END_EOF;
	r->flow_id = 42;
}

/* ICMP echo v4 (type 8) or ICMPv6 echo (128), with its reply. */
static void icmp_record(struct flow_record *r, bool v6)
{
	memset(r, 0, sizeof(*r));
	r->key.ipver = v6 ? 6 : 4;
	r->key.proto = v6 ? 58 : 1;
	inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00::1" : "10.0.0.1", r->key.saddr);
	inet_pton(v6 ? AF_INET6 : AF_INET, v6 ? "fd00::2" : "10.0.0.3", r->key.daddr);
	r->key.sport = v6 ? 128 : 8;	/* type */
	r->key.dport = 0;		/* code */
	metrics(&r->fwd, T0_MS + 3000, T0_MS + 5000, 3, 252);
	metrics(&r->rev, T0_MS + 3001, T0_MS + 5001, 3, 252);
	r->rev.dir = FLOW_DIR_EGRESS;
	r->rev.flow_label = 0xabcde;
	r->has_rev = true;
	r->end_reason = FLOW_END_IDLE;
}

static int encode_one(const struct flow_record *r, bool uni, uint8_t *buf, size_t cap,
		      struct dsession *s, struct dmsg *m)
{
	struct ipfix_msg msg;
	uint16_t tid[2];
	int i, n = 0;

	ipfix_msg_init(&msg, buf, cap, 7, 0);
	tid[n++] = ipfix_flow_tid(r, uni, false);
	if (uni && r->has_rev)
		tid[n++] = ipfix_flow_tid(r, uni, true);
	for (i = 0; i < n; i++)
		if ((!i || tid[i] != tid[0]) && ipfix_msg_add_template(&msg, tid[i]))
			return -1;
	if (ipfix_msg_add_flow(&msg, r, uni) < 0)
		return -1;
	return decode_msg(s, buf, ipfix_msg_finish(&msg, 1700000100), m);
}

/* ---- encoder tests ---- */

/* Header, Options Template Set and one options Data Record, byte by byte. */
/* Header, Options Template Set and one options record, computed by hand. */
static const uint8_t stats_msg[] = {
	0x00, 0x0a, 0x00, 0xa2,		/* version 10, length 162 */
	0x5f, 0x5e, 0x10, 0x00,		/* export time 1600000000 */
	0x00, 0x00, 0x00, 0x05,		/* sequence 5 */
	0x01, 0x02, 0x03, 0x04,		/* observation domain */
	0x00, 0x03, 0x00, 0x42,		/* Options Template Set, 66 octets, no padding */
	0x01, 0x08, 0x00, 0x0c, 0x00, 0x01,	/* template 264, 12 fields, 1 scope */
	0x00, 0x95, 0x00, 0x04,		/* observationDomainId */
	0x00, 0x22, 0x00, 0x04,		/* samplingInterval */
	0x00, 0xa4, 0x00, 0x08,		/* ignoredPacketTotalCount */
	0x00, 0xa5, 0x00, 0x08,		/* ignoredOctetTotalCount */
	0x80, 0x01, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,	/* 32473/1 table full */
	0x80, 0x02, 0x00, 0x08, 0x00, 0x00, 0x7e, 0xd9,	/* 32473/2 parse errors */
	0x00, 0x2a, 0x00, 0x08,		/* exportedFlowRecordTotalCount */
	0x00, 0xa6, 0x00, 0x08,		/* notSentFlowTotalCount */
	0x00, 0x29, 0x00, 0x08,		/* exportedMessageTotalCount */
	0x00, 0x28, 0x00, 0x08,		/* exportedOctetTotalCount */
	0x00, 0x24, 0x00, 0x02,		/* flowActiveTimeout */
	0x00, 0x25, 0x00, 0x02,		/* flowIdleTimeout */
	0x01, 0x08, 0x00, 0x50,		/* Data Set 264, 80 octets */
	0x01, 0x02, 0x03, 0x04,
	0x00, 0x00, 0x00, 0x01,
	0, 0, 0, 0, 0, 0, 0, 5,		/* 3 table full + 2 parse errors */
	0, 0, 0, 0, 0, 0, 0x01, 0x2c,	/* 300 octets */
	0, 0, 0, 0, 0, 0, 0, 3,
	0, 0, 0, 0, 0, 0, 0, 2,
	0, 0, 0, 0, 0, 0, 0, 10,
	0, 0, 0, 0, 0, 0, 0, 1,
	0, 0, 0, 0, 0, 0, 0, 4,
	0, 0, 0, 0, 0, 0, 0x12, 0x34,
	0x07, 0x08,			/* 1800 s */
	0x00, 0x0f,			/* 15 s */
};

TEST(ipfix_stats_message_bytes)
{
	struct ipfix_stats st = { { 3, 300, 2, 1800, 15 }, 10, 1, 4, 0x1234 };
	struct ipfix_msg m;
	uint8_t buf[512];
	size_t len;

	memset(buf, 0xee, sizeof(buf));
	ipfix_msg_init(&m, buf, sizeof(buf), 0x01020304, 5);
	REQUIRE(ipfix_msg_add_template(&m, IPFIX_TID_STATS) == 0);
	CHECK_EQ(ipfix_msg_add_stats(&m, &st), 1);
	len = ipfix_msg_finish(&m, 1600000000);
	CHECK_EQ(len, sizeof(stats_msg));
	CHECK(!memcmp(buf, stats_msg, sizeof(stats_msg)));
	CHECK_EQ(m.nrec, 1);
}

/* Template 258 (uniflow IPv4, ingress) as documented in docs/IPFIX.md. */
static const struct dfield uni4_layout[] = {
	{ 8, 4, 0 }, { 12, 4, 0 }, { 32, 2, 0 }, { 7, 2, 0 }, { 11, 2, 0 }, { 4, 1, 0 },
	{ 60, 1, 0 }, { 152, 8, 0 }, { 153, 8, 0 }, { 136, 1, 0 }, { 61, 1, 0 }, { 10, 4, 0 },
	{ 148, 8, 0 }, { 1, 8, 0 }, { 2, 8, 0 }, { 6, 2, 0 }, { 5, 1, 0 }, { 52, 1, 0 },
	{ 53, 1, 0 }, { 109, 4, 35632 }, { 127, 4, 35632 }, { 111, 4, 35632 },
	{ 415, 2, 35632 }, { 416, 2, 35632 }, { 417, 2, 35632 }, { 418, 1, 35632 },
	{ 88, 4, 35632 }, { 89, 4, 35632 }, { 90, 4, 35632 }, { 91, 4, 35632 },
	{ 92, 4, 35632 }, { 93, 4, 35632 }, { 347, 4, 35632 }, { 346, 4, 35632 },
	{ 334, 4, 35632 }, { 335, 4, 35632 }, { 336, 4, 35632 }, { 337, 4, 35632 },
	{ 338, 4, 35632 }, { 339, 4, 35632 }, { 340, 4, 35632 }, { 341, 4, 35632 },
};

/* The first octets of tcp_record()'s forward record in template 258. */
static const uint8_t uni4_key_bytes[] = {
	10, 0, 0, 1, 10, 0, 0, 2,		/* addresses */
	0x00, 0x00,				/* icmpTypeCodeIPv4 0 */
	0x9c, 0x41, 0x00, 0x50,			/* 40001 -> 80 */
	6, 4,					/* TCP, IPv4 */
	0, 0, 0x01, 0x8b, 0xcf, 0xe5, 0x6b, 0xe8,	/* start 1700000001000 */
};

TEST(ipfix_uniflow_v4_template_and_record)
{
	static struct dsession s;
	static struct dmsg m;
	struct flow_record r;
	const struct drec *d;
	uint8_t buf[2048];
	size_t i;

	memset(&s, 0, sizeof(s));
	tcp_record(&r);
	r.has_rev = false;
	REQUIRE(encode_one(&r, true, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(s.ntmpl == 1 && m.nrec == 1);
	CHECK_EQ(s.tmpl[0].tid, 258);
	REQUIRE(s.tmpl[0].n == (int)(sizeof(uni4_layout) / sizeof(uni4_layout[0])));
	for (i = 0; i < sizeof(uni4_layout) / sizeof(uni4_layout[0]); i++) {
		CHECK_EQ(s.tmpl[0].f[i].id, uni4_layout[i].id);
		CHECK_EQ(s.tmpl[0].f[i].len, uni4_layout[i].len);
		CHECK_EQ(s.tmpl[0].f[i].pen, uni4_layout[i].pen);
	}
	d = &m.rec[0];
	CHECK(!memcmp(d->p[0], uni4_key_bytes, sizeof(uni4_key_bytes)));
	CHECK_EQ(dget(d, 0, 153, NULL), T0_MS + 90);
	CHECK_EQ(dget(d, 0, 6, NULL), 0x11b);		/* NS kept: 2-octet tcpControlBits */
	CHECK_EQ(dget(d, 0, 5, NULL), 0xb8);
	CHECK_EQ(dget(d, 0, 136, NULL), FLOW_END_EOF);
	CHECK_EQ(dget(d, 0, 148, NULL), 42);
	CHECK_EQ(dget(d, 0, 10, NULL), 3);
	CHECK_EQ(dget(d, 35632, 417, NULL), 1460);
	CHECK_EQ(dget(d, 35632, 418, NULL), 7);
	CHECK_EQ(dget(d, 35632, 415, NULL), 500);
	CHECK_EQ(dget(d, 35632, 109, NULL), 1);
	CHECK_EQ(dget(d, 35632, 127, NULL), 100);
	CHECK_EQ(dget(d, 35632, 88, NULL), 6);
	CHECK_EQ(dget(d, 35632, 335, NULL), 6);		/* TTL 33-64 bucket */
	CHECK(!dhas(d, 29305, 1));
}

TEST(ipfix_biflow_reverse_elements)
{
	static struct dsession s;
	static struct dmsg m;
	struct flow_record r;
	const struct drec *d;
	uint8_t buf[2048];

	memset(&s, 0, sizeof(s));
	tcp_record(&r);
	REQUIRE(encode_one(&r, false, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(m.nrec == 1);
	d = &m.rec[0];
	CHECK_EQ(d->t->tid, 256);
	CHECK_EQ(dget(d, 0, 1, NULL), 340);
	CHECK_EQ(dget(d, 0, 2, NULL), 6);
	CHECK_EQ(dget(d, 29305, 1, NULL), 1160);
	CHECK_EQ(dget(d, 29305, 2, NULL), 4);
	CHECK_EQ(dget(d, 29305, 6, NULL), 0x12);
	CHECK_EQ(dget(d, 29305, 52, NULL), 60);
	CHECK_EQ(dget(d, 29305, 53, NULL), 63);
	/* the record spans both directions; the reverse keeps its own times */
	CHECK_EQ(dget(d, 0, 152, NULL), T0_MS);
	CHECK_EQ(dget(d, 0, 153, NULL), T0_MS + 95);
	CHECK_EQ(dget(d, 29305, 152, NULL), T0_MS + 10);
	CHECK_EQ(dget(d, 29305, 153, NULL), T0_MS + 95);
	CHECK_EQ(dget(d, 0, 239, NULL), 1);			/* initiator */
	CHECK_EQ(dget(d, 35632, 110, NULL), 0);			/* RETRANSMITTED_OUT_PKTS */
	CHECK_EQ(dget(d, 35632, 421, NULL), 0);			/* TCP_WIN_MSS_OUT */
	CHECK_EQ(dget(d, 35632, 88, NULL), 10);			/* histograms: both ways */
	CHECK_EQ(dget(d, 35632, 335, NULL), 10);
	/* no window seen: 0, not the kernel's ~0 */
	CHECK_EQ(dget(d, 35632, 419, NULL), 0);
	/* nfdump 1.7.1 keeps the last of two same-id elements: reverse first */
	CHECK(d->t->f[7].pen == 29305);
	CHECK(d->t->n <= 60);
}

TEST(ipfix_biflow_one_way_has_zero_reverse)
{
	static struct dsession s;
	static struct dmsg m;
	struct flow_record r;
	uint8_t buf[2048];

	memset(&s, 0, sizeof(s));
	tcp_record(&r);
	r.has_rev = false;
	memset(&r.rev, 0, sizeof(r.rev));
	REQUIRE(encode_one(&r, false, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(m.nrec == 1);
	CHECK_EQ(dget(&m.rec[0], 29305, 2, NULL), 0);
	CHECK_EQ(dget(&m.rec[0], 29305, 152, NULL), 0);
	CHECK_EQ(dget(&m.rec[0], 0, 153, NULL), T0_MS + 90);
}

TEST(ipfix_icmp_type_code)
{
	static struct dsession s;
	static struct dmsg m;
	struct flow_record r;
	uint8_t buf[2048];

	memset(&s, 0, sizeof(s));
	icmp_record(&r, false);
	REQUIRE(encode_one(&r, false, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(m.nrec == 1);
	CHECK_EQ(dget(&m.rec[0], 0, 7, NULL), 0);
	CHECK_EQ(dget(&m.rec[0], 0, 11, NULL), 0x0800);
	CHECK_EQ(dget(&m.rec[0], 0, 32, NULL), 0x0800);
	CHECK(!dhas(&m.rec[0], 0, 139));

	icmp_record(&r, true);
	r.key.dport = 3;	/* any code */
	REQUIRE(encode_one(&r, false, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(m.nrec == 1);
	CHECK_EQ(dget(&m.rec[0], 0, 11, NULL), 128 * 256 + 3);
	CHECK_EQ(dget(&m.rec[0], 0, 139, NULL), 128 * 256 + 3);
	CHECK(!dhas(&m.rec[0], 0, 32));
	CHECK_EQ(dget(&m.rec[0], 29305, 31, NULL), 0xabcde);	/* reverse flowLabelIPv6 */
}

/* --uniflow: one record per direction, the reverse one with the reverse key. */
TEST(ipfix_uniflow_pair)
{
	static struct dsession s;
	static struct dmsg m;
	struct flow_record r;
	const struct drec *a, *b;
	uint8_t buf[2048];

	memset(&s, 0, sizeof(s));
	icmp_record(&r, true);
	REQUIRE(encode_one(&r, true, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(m.nrec == 2);
	a = &m.rec[0];
	b = &m.rec[1];
	CHECK_EQ(a->t->tid, 256 + IPFIX_TF_V6 + IPFIX_TF_UNI);
	CHECK_EQ(b->t->tid, 256 + IPFIX_TF_V6 + IPFIX_TF_UNI + IPFIX_TF_EGRESS);
	CHECK(!memcmp(dget_bytes(a, 27), r.key.saddr, 16));
	CHECK(!memcmp(dget_bytes(b, 27), r.key.daddr, 16));
	CHECK_EQ(dget(a, 0, 11, NULL), 128 * 256);	/* echo request */
	CHECK_EQ(dget(b, 0, 11, NULL), 129 * 256);	/* echo reply */
	CHECK_EQ(dget(a, 0, 61, NULL), 0);
	CHECK_EQ(dget(b, 0, 61, NULL), 1);
	CHECK(dhas(a, 0, 10) && !dhas(a, 0, 14));
	CHECK(dhas(b, 0, 14) && !dhas(b, 0, 10));
	CHECK_EQ(dget(b, 0, 14, NULL), 3);
	CHECK_EQ(dget(b, 0, 152, NULL), T0_MS + 3001);
	CHECK_EQ(dget(b, 0, 31, NULL), 0xabcde);
	CHECK_EQ(dget(b, 35632, 88, NULL), 3);		/* own direction only */
}

/* Fill messages to the cap: records never split, sets padded, length right. */
TEST(ipfix_size_cap)
{
	static const uint16_t tids[] = { 258, 259, 263 };
	static struct dsession s;
	static struct dmsg m;
	static uint8_t buf[IPFIX_MAX_MSG];
	size_t caps[] = { 1024, 1400, 1500, 9000 }, len, i, j;
	struct flow_record r[2];
	struct ipfix_msg msg;
	int k, n, added;

	tcp_record(&r[0]);
	icmp_record(&r[1], true);
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]); i++) {
		memset(&s, 0, sizeof(s));
		ipfix_msg_init(&msg, buf, caps[i], 1, 100);
		for (j = 0; j < sizeof(tids) / sizeof(tids[0]); j++)
			REQUIRE(ipfix_msg_add_template(&msg, tids[j]) == 0);
		for (added = 0, k = 0; (n = ipfix_msg_add_flow(&msg, &r[k % 2], true)) > 0; k++)
			added += n;
		CHECK_EQ(n, -ENOSPC);
		len = ipfix_msg_finish(&msg, 1);
		CHECK(len <= caps[i]);
		/* full: the next pair (2 records, up to 2 set headers) did not fit */
		CHECK(len + 2 * ipfix_data_rec_len(259) + 2 * 4 > caps[i]);
		REQUIRE(decode_msg(&s, buf, len, &m) == 0);
		CHECK_EQ(m.nrec, added);
		CHECK_EQ(msg.nrec, added);
		CHECK_EQ(m.seq, 100);
		CHECK_EQ(m.bad_pad, 0);
	}
}

/*
 * Sets are not padded (python3-ipfix reads an options template set's
 * padding as a template of id 0): each set is its header plus its records.
 */
TEST(ipfix_sets_unpadded)
{
	static struct dsession s;
	static struct dmsg m;
	uint8_t buf[2048];
	struct flow_record r;
	struct ipfix_msg msg;
	uint16_t tids[IPFIX_N_TEMPLATES];
	size_t len, sum = 16;
	int i, n, opt_sets;

	memset(&s, 0, sizeof(s));
	icmp_record(&r, false);
	ipfix_msg_init(&msg, buf, sizeof(buf), 1, 0);
	n = ipfix_session_templates(true, tids, IPFIX_N_TEMPLATES);
	for (i = 0; i < n; i++)
		REQUIRE(ipfix_msg_add_template(&msg, tids[i]) == 0);
	REQUIRE(ipfix_msg_add_flow(&msg, &r, true) == 2);
	len = ipfix_msg_finish(&msg, 1);
	REQUIRE(decode_msg(&s, buf, len, &m) == 0);
	CHECK_EQ(m.nrec, 2);
	CHECK_EQ(m.bad_pad, 0);
	CHECK_EQ(m.ntmpl_added, n);
	/* the 150-octet uniflow IPv4 record would have needed 2 octets of padding */
	CHECK_EQ(ipfix_data_rec_len(258) % 4, 2);
	REQUIRE(m.nsets >= 3);
	CHECK_EQ(m.set_len[m.nsets - 1] - 4, ipfix_data_rec_len(m.set_id[m.nsets - 1]));
	for (i = 0; i < m.nsets; i++)
		sum += m.set_len[i];
	CHECK_EQ(sum, len);
	/* one options template set, with its one template record */
	for (i = 0, opt_sets = 0; i < m.nsets; i++) {
		if (m.set_id[i] != 3)
			continue;
		opt_sets++;
		CHECK_EQ(m.set_len[i], 4 + ipfix_template_rec_len(IPFIX_TID_STATS));
	}
	CHECK_EQ(opt_sets, 1);
}

/* --pen: our own elements carry the configured enterprise number. */
TEST(ipfix_pen_configurable)
{
	uint8_t buf[2048];
	struct ipfix_msg msg;
	size_t len, i;
	int def = 0, mine = 0;

	ipfix_msg_init(&msg, buf, sizeof(buf), 1, 0);
	CHECK_EQ(msg.pen, IPFIX_PEN_FLOWMON);
	msg.pen = 4242;
	REQUIRE(ipfix_msg_add_template(&msg, IPFIX_TID_STATS) == 0);
	len = ipfix_msg_finish(&msg, 1);
	for (i = 16; i + 4 <= len; i++) {
		def += rd32(buf + i) == IPFIX_PEN_FLOWMON;
		mine += rd32(buf + i) == 4242;
	}
	CHECK_EQ(def, 0);
	CHECK_EQ(mine, 2);	/* tableFullPacketTotalCount, parseErrorPacketTotalCount */
}

/* Every template fits a minimal message and tshark's default 60-field limit. */
/*
 * Fields of l2 that data lacks (matched by element, length and PEN): the
 * product of their element ids, 0 if one is not a 6-byte MAC or 2-byte
 * VLAN element of IANA's, or if data has a field l2 lacks.
 */
static long l2_extra(const struct dtmpl *data, const struct dtmpl *l2)
{
	bool used[D_MAX_FIELDS] = { false };
	long prod = 1;
	int i, j;

	for (i = 0; i < l2->n; i++) {
		const struct dfield *f = &l2->f[i];

		for (j = 0; j < data->n; j++)
			if (!used[j] && data->f[j].id == f->id && data->f[j].len == f->len &&
			    data->f[j].pen == f->pen)
				break;
		if (j < data->n) {
			used[j] = true;
			continue;
		}
		if (f->pen || f->len != (f->id == 56 || f->id == 80 ? 6 : 2))
			return 0;
		prod *= f->id;
	}
	for (j = 0; j < data->n; j++)
		if (!used[j])
			return 0;
	return prod;
}

TEST(ipfix_template_limits)
{
	static struct dsession s;
	static struct dmsg m;
	uint8_t buf[IPFIX_MIN_MAX_MSG];
	struct ipfix_msg msg;
	uint16_t tid;

	for (tid = IPFIX_TID_DATA; tid <= IPFIX_TID_STATS; tid++) {
		memset(&s, 0, sizeof(s));
		ipfix_msg_init(&msg, buf, sizeof(buf), 0, 0);
		REQUIRE(ipfix_msg_add_template(&msg, tid) == 0);
		REQUIRE(decode_msg(&s, buf, ipfix_msg_finish(&msg, 1), &m) == 0);
		CHECK(s.tmpl[0].n <= 60);
		CHECK_EQ(dtmpl_rec_len(&s.tmpl[0]), ipfix_data_rec_len(tid));
		CHECK(16 + 4 + ipfix_data_rec_len(tid) + 3 <= IPFIX_MIN_MAX_MSG);
	}
	/*
	 * L2 templates: the data template's fields and exactly four more, the
	 * IANA elements sourceMacAddress (56), destinationMacAddress (80),
	 * vlanId (58) and dot1qCustomerVlanId (245); the biflow ones pass 60
	 * (docs/IPFIX.md)
	 */
	for (tid = IPFIX_TID_L2; tid < IPFIX_TID_L2 + 8; tid++) {
		memset(&s, 0, sizeof(s));
		ipfix_msg_init(&msg, buf, sizeof(buf), 0, 0);
		REQUIRE(ipfix_msg_add_template(&msg, tid - IPFIX_TID_L2 + IPFIX_TID_DATA) == 0);
		REQUIRE(ipfix_msg_add_template(&msg, tid) == 0);
		REQUIRE(decode_msg(&s, buf, ipfix_msg_finish(&msg, 1), &m) == 0);
		REQUIRE(s.ntmpl == 2);
		CHECK_EQ(l2_extra(&s.tmpl[0], &s.tmpl[1]), 56 * 80 * 58 * 245);
		CHECK(s.tmpl[0].n <= (tid & IPFIX_TF_UNI ? 60 : 64));
		CHECK(16 + 4 + ipfix_data_rec_len(tid) + 3 <= IPFIX_MIN_MAX_MSG);
	}
	CHECK_EQ(ipfix_msg_add_template(&msg, 255), -EINVAL);
	CHECK_EQ(ipfix_msg_add_template(&msg, IPFIX_TID_STATS + 1), -EINVAL);
}

/* A record of an Ethernet interface: VLAN IDs and MAC addresses in the L2 templates. */
static void l2_record(struct flow_record *r)
{
	static const uint8_t a[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01 };
	static const uint8_t b[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x02 };

	tcp_record(r);
	r->fwd.has_l2 = r->rev.has_l2 = 1;
	r->fwd.vlan_outer = r->rev.vlan_outer = 100;
	r->fwd.vlan_inner = r->rev.vlan_inner = 4094;
	memcpy(r->fwd.smac, a, 6);
	memcpy(r->fwd.dmac, b, 6);
	memcpy(r->rev.smac, b, 6);
	memcpy(r->rev.dmac, a, 6);
}

TEST(ipfix_l2_biflow_and_uniflow)
{
	static struct dsession s;
	static struct dmsg m;
	struct flow_record r;
	const struct drec *d;
	uint8_t buf[2048];

	memset(&s, 0, sizeof(s));
	l2_record(&r);
	REQUIRE(encode_one(&r, false, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(m.nrec == 1);
	d = &m.rec[0];
	CHECK_EQ(d->t->tid, IPFIX_TID_L2);
	CHECK_EQ(dget(d, 0, 58, NULL), 100);		/* vlanId: the outer tag */
	CHECK_EQ(dget(d, 0, 245, NULL), 4094);		/* dot1qCustomerVlanId: the inner */
	CHECK_EQ(dget(d, 0, 56, NULL), 0x0200c6120001ULL);	/* sourceMacAddress */
	CHECK_EQ(dget(d, 0, 80, NULL), 0x0200c6120002ULL);	/* destinationMacAddress */
	CHECK(!dhas(d, 29305, 56));			/* the first packet's, forward only */
	CHECK_EQ(dget(d, 0, 1, NULL), 340);		/* the rest as in template 256 */
	CHECK_EQ(dget(d, 29305, 1, NULL), 1160);
	/* uniflow: each direction with its own first packet's addresses */
	memset(&s, 0, sizeof(s));
	REQUIRE(encode_one(&r, true, buf, sizeof(buf), &s, &m) == 0);
	REQUIRE(m.nrec == 2);
	CHECK_EQ(m.rec[0].t->tid, IPFIX_TID_L2 + IPFIX_TF_UNI);
	CHECK_EQ(dget(&m.rec[0], 0, 56, NULL), 0x0200c6120001ULL);
	CHECK_EQ(dget(&m.rec[1], 0, 56, NULL), 0x0200c6120002ULL);
	CHECK_EQ(dget(&m.rec[1], 0, 80, NULL), 0x0200c6120001ULL);
	/* an L3 device (tun, wireguard): no L2 elements at all */
	r.fwd.has_l2 = r.rev.has_l2 = 0;
	memset(&s, 0, sizeof(s));
	REQUIRE(encode_one(&r, false, buf, sizeof(buf), &s, &m) == 0);
	CHECK_EQ(m.rec[0].t->tid, IPFIX_TID_DATA);
	CHECK(!dhas(&m.rec[0], 0, 58) && !dhas(&m.rec[0], 0, 56));
}

TEST(ipfix_meter_from_counters)
{
	uint64_t cnt[CNT_MAX];
	struct ipfix_meter_stats ms = { 0 };
	int i;

	for (i = 0; i < CNT_MAX; i++)
		cnt[i] = 1ULL << i;
	ipfix_meter_from_counters(&ms, cnt, CNT_MAX);
	CHECK_EQ(ms.table_full_pkts, 1ULL << CNT_TABLE_FULL_PKTS);
	CHECK_EQ(ms.table_full_bytes, 1ULL << CNT_TABLE_FULL_BYTES);
	CHECK_EQ(ms.parse_errors, (1ULL << CNT_ERR_L2) + (1ULL << CNT_ERR_IP4) +
				  (1ULL << CNT_ERR_IP6) + (1ULL << CNT_ERR_IP6_EXT) +
				  (1ULL << CNT_ERR_L4));
}

/* ---- exporter tests (loopback sockets) ---- */

static int udp_listener(uint16_t port, uint16_t *bound)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &len)) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (bound)
		*bound = ntohs(sa.sin_port);
	return fd;
}

/* A port nobody listens on (bound, then released). */
static uint16_t free_port(void)
{
	uint16_t port = 0;
	int fd = udp_listener(0, &port);

	if (fd >= 0)
		close(fd);
	return port;
}

struct rx_summary {
	int msgs, flows, stats, bad;
	uint32_t next_seq;
	bool mixed;		/* a statistics record shared a message with flows */
	size_t max_len;
	uint64_t last_sent, last_dropped;
};

/* Decode one message of a session, check its sequence number, count records. */
static void rx_message(struct dsession *s, const uint8_t *b, size_t len, struct rx_summary *rx)
{
	static struct dmsg m;
	int i, flows = 0, stats = 0;

	if (decode_msg(s, b, len, &m) || m.version != 10 || m.odid != 9 ||
	    (rx->msgs && m.seq != rx->next_seq)) {
		rx->bad++;
		return;
	}
	for (i = 0; i < m.nrec; i++) {
		if (m.rec[i].t->tid != IPFIX_TID_STATS) {
			flows++;
			continue;
		}
		stats++;
		rx->last_sent = dget(&m.rec[i], 0, 42, NULL);
		rx->last_dropped = dget(&m.rec[i], 0, 166, NULL);
	}
	rx->mixed |= stats && flows;
	rx->flows += flows;
	rx->stats += stats;
	rx->next_seq = m.seq + m.nrec;
	rx->msgs++;
	if (len > rx->max_len)
		rx->max_len = len;
}

static void rx_udp(int fd, struct dsession *s, struct rx_summary *rx)
{
	static uint8_t buf[IPFIX_MAX_MSG];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	ssize_t n;

	while (poll(&pfd, 1, 200) > 0) {
		n = recv(fd, buf, sizeof(buf), 0);
		if (n <= 0)
			break;
		rx_message(s, buf, n, rx);
	}
}

static struct ipfix_exporter *exporter_for(const char *spec, bool uni)
{
	const char *specs[] = { spec };
	char err[256];

	return ipfix_exporter_new(specs, 1, 9, uni, err, sizeof(err));
}

TEST(ipfix_export_udp_sequence)
{
	static struct dsession s;
	struct ipfix_collector_stats st;
	struct rx_summary rx = { 0 };
	struct ipfix_exporter *e;
	struct flow_record r[2];
	char spec[64];
	uint16_t port;
	int fd, i;

	memset(&s, 0, sizeof(s));
	fd = udp_listener(0, &port);
	REQUIRE(fd >= 0);
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
	e = exporter_for(spec, false);
	REQUIRE(e);
	CHECK_EQ(ipfix_exporter_set_max_msg(e, 1000), -EINVAL);
	CHECK_EQ(ipfix_exporter_set_max_msg(e, IPFIX_MIN_MAX_MSG), 0);
	tcp_record(&r[0]);
	icmp_record(&r[1], true);
	for (i = 0; i < 30; i++)
		CHECK_EQ(ipfix_exporter_add(e, &r[i % 2], ipfix_now_ms()), 1);
	CHECK_EQ(ipfix_exporter_flush(e, ipfix_now_ms()), 0);
	ipfix_exporter_stats(e, 0, &st);
	CHECK_EQ(st.records_sent, 30);
	CHECK_EQ(st.records_dropped, 0);
	ipfix_exporter_free(e);
	rx_udp(fd, &s, &rx);
	close(fd);
	CHECK_EQ(rx.bad, 0);
	CHECK_EQ(rx.flows, 30);
	CHECK_EQ(rx.stats, 2);			/* at start and at close */
	CHECK(!rx.mixed);
	CHECK_EQ(rx.last_sent, 30);
	CHECK(rx.max_len <= IPFIX_MIN_MAX_MSG);
	CHECK(rx.msgs > 5);
}

/* Nobody listens: no block, errors counted; then the collector comes up. */
TEST(ipfix_export_udp_down_then_up)
{
	static struct dsession s;
	struct ipfix_collector_stats st;
	struct rx_summary rx = { 0 };
	struct ipfix_exporter *e;
	struct flow_record r;
	uint16_t port = free_port();
	uint64_t t0;
	char spec[64];
	int fd, i;

	memset(&s, 0, sizeof(s));
	snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
	e = exporter_for(spec, true);
	REQUIRE(e);
	tcp_record(&r);
	t0 = ipfix_now_ms();
	for (i = 0; i < 5; i++) {
		ipfix_exporter_add(e, &r, ipfix_now_ms());
		ipfix_exporter_flush(e, ipfix_now_ms());
	}
	CHECK(ipfix_now_ms() - t0 < 500);
	ipfix_exporter_stats(e, 0, &st);
	CHECK(st.send_errors >= 1);
	CHECK(st.records_dropped >= 2);
	CHECK_EQ(st.records_sent + st.records_dropped, 10);
	fd = udp_listener(port, NULL);
	REQUIRE(fd >= 0);
	for (i = 0; i < 3; i++) {
		ipfix_exporter_add(e, &r, ipfix_now_ms());
		ipfix_exporter_flush(e, ipfix_now_ms());
	}
	ipfix_exporter_free(e);
	rx_udp(fd, &s, &rx);
	close(fd);
	/* what arrives decodes from scratch: templates came again first */
	CHECK_EQ(rx.bad, 0);
	CHECK(rx.flows >= 4);
	CHECK(rx.stats >= 1);
}

static int tcp_listener(uint16_t port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons(port) };
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) || listen(fd, 4)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Read a TCP stream to EOF and split it into messages by their length field. */
static void rx_tcp(int fd, struct dsession *s, struct rx_summary *rx)
{
	static uint8_t buf[1 << 20];
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	size_t have = 0, off = 0;
	ssize_t n;

	while (have < sizeof(buf) && poll(&pfd, 1, 2000) > 0) {
		n = recv(fd, buf + have, sizeof(buf) - have, 0);
		if (n <= 0)
			break;
		have += n;
	}
	while (have - off >= 16 && rd16(buf + off + 2) >= 16 && rd16(buf + off + 2) <= have - off) {
		rx_message(s, buf + off, rd16(buf + off + 2), rx);
		off += rd16(buf + off + 2);
	}
	if (off != have)
		rx->bad++;
}

/* Flush until the TCP collector is connected (at most 0.5 s). */
static void wait_connected(struct ipfix_exporter *e, uint64_t now, struct ipfix_collector_stats *st)
{
	int i;

	for (i = 0; i < 50 && ipfix_exporter_flush(e, now); i++)
		usleep(10000);
	ipfix_exporter_stats(e, 0, st);
}

/* Down at start: records dropped, nothing blocks; reconnect after the backoff. */
TEST(ipfix_export_tcp_reconnect)
{
	static struct dsession s;
	struct ipfix_collector_stats st;
	struct rx_summary rx = { 0 };
	struct ipfix_exporter *e;
	struct flow_record r;
	uint16_t port = free_port();
	uint64_t now, t0;
	char spec[64];
	int lfd, cfd, i;

	memset(&s, 0, sizeof(s));
	snprintf(spec, sizeof(spec), "tcp://127.0.0.1:%u", port);
	e = exporter_for(spec, false);
	REQUIRE(e);
	tcp_record(&r);
	t0 = now = ipfix_now_ms();
	for (i = 0; i < 3; i++)
		CHECK_EQ(ipfix_exporter_add(e, &r, now), 0);
	CHECK_EQ(ipfix_exporter_flush(e, now), 1);
	CHECK(ipfix_now_ms() - t0 < 500);
	lfd = tcp_listener(port);
	REQUIRE(lfd >= 0);
	/* still inside the 1 s backoff: no attempt yet */
	CHECK_EQ(ipfix_exporter_add(e, &r, now + 10), 0);
	wait_connected(e, now + 2000, &st);
	CHECK(st.up);
	CHECK_EQ(st.connects, 1);
	CHECK_EQ(st.records_dropped, 4);
	cfd = accept(lfd, NULL, NULL);
	REQUIRE(cfd >= 0);
	for (i = 0; i < 5; i++)
		CHECK_EQ(ipfix_exporter_add(e, &r, now + 2000), 1);
	ipfix_exporter_free(e);
	rx_tcp(cfd, &s, &rx);
	close(cfd);
	close(lfd);
	CHECK_EQ(rx.bad, 0);
	CHECK_EQ(rx.flows, 5);
	CHECK_EQ(rx.stats, 2);
	CHECK_EQ(rx.last_dropped, 4);
}

TEST(ipfix_export_collector_specs)
{
	static const char *const bad[] = {
		"127.0.0.1:", "127.0.0.1:0", "127.0.0.1:70000", "127.0.0.1:x", "[::1",
		"[::1]x", "[::1]:", "tcp://", ":4739", "",
	};
	static const char *const good[] = {
		"127.0.0.1", "udp://127.0.0.1:9", "tcp://127.0.0.1:9", "localhost:4739",
	};
	struct ipfix_collector_stats st;
	struct ipfix_exporter *e;
	char err[256];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = 0;
		e = ipfix_exporter_new(&bad[i], 1, 0, false, err, sizeof(err));
		CHECK(!e);
		CHECK(!strncmp(err, "failed to ", 10));
		ipfix_exporter_free(e);
	}
	e = ipfix_exporter_new(good, 4, 0, false, err, sizeof(err));
	REQUIRE(e);
	CHECK_EQ(ipfix_exporter_count(e), 4);
	REQUIRE(ipfix_exporter_stats(e, 2, &st) == 0);
	CHECK(st.tcp);
	CHECK_STR(st.name, "tcp://127.0.0.1:9");
	CHECK_EQ(ipfix_exporter_stats(e, 4, &st), -EINVAL);
	ipfix_exporter_free(e);
	CHECK(!ipfix_exporter_new(good, 0, 0, false, err, sizeof(err)));
}

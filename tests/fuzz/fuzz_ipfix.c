// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fuzz_ipfix.c - the IPFIX encoder (src/core/ipfix.c, RFC 7011 and RFC
 * 5103) on a fuzzed record, then back through a decoder written here from
 * the RFC (not from ipfix.c): the message must be well formed (header
 * length, set lengths, templates before their data, padding shorter than
 * a record and zero, RFC 7011 3.3.1) and the record must come back with
 * its key, counters, end reason and flow id.
 *
 * Input: [u8 mode][u16 message size][struct flow_record bytes]. Mode bit
 * 0: uniflow. Times are kept below 2^62 ns and the wall-clock offset within
 * +-2^61 ns, as a kernel clock and a real offset are.
 */
#include <string.h>
#include "fuzz.h"
#include "ipfix.h"

#define D_MAX_FIELDS	128
#define D_MAX_TMPL	16
#define D_MAX_REC	8

struct dfield {
	uint16_t id, len;
	uint32_t pen;
};

struct dtmpl {
	uint16_t tid;
	int n;
	struct dfield f[D_MAX_FIELDS];
};

struct drec {
	const struct dtmpl *t;
	const uint8_t *v[D_MAX_FIELDS];
};

struct dmsg {
	int ntmpl, nrec;
	struct dtmpl tmpl[D_MAX_TMPL];
	struct drec rec[D_MAX_REC];
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

/* Template records of a Template Set (RFC 7011 3.4.1); options sets are skipped. */
static void d_templates(struct dmsg *m, const uint8_t *p, const uint8_t *end)
{
	while (end - p >= 4) {
		struct dtmpl *t;
		int i;

		fuzz_check(m->ntmpl < D_MAX_TMPL);
		t = &m->tmpl[m->ntmpl++];
		t->tid = rd16(p);
		t->n = rd16(p + 2);
		fuzz_check(t->tid >= 256 && t->n > 0 && t->n <= D_MAX_FIELDS);
		p += 4;
		for (i = 0; i < t->n; i++) {
			fuzz_check(end - p >= 4);
			t->f[i] = (struct dfield){ rd16(p) & 0x7fff, rd16(p + 2), 0 };
			if (rd16(p) & 0x8000) {
				fuzz_check(end - p >= 8);
				t->f[i].pen = rd32(p + 4);
				p += 4;
			}
			p += 4;
		}
	}
	fuzz_check(p == end);	/* template sets are not padded here */
}

static const struct dtmpl *d_find(const struct dmsg *m, uint16_t tid)
{
	int i;

	for (i = 0; i < m->ntmpl; i++)
		if (m->tmpl[i].tid == tid)
			return &m->tmpl[i];
	return NULL;
}

static void d_data(struct dmsg *m, const struct dtmpl *t, const uint8_t *p, const uint8_t *end)
{
	int i, rl = 0;

	for (i = 0; i < t->n; i++)
		rl += t->f[i].len;
	fuzz_check(rl > 0);
	while (end - p >= rl) {
		fuzz_check(m->nrec < D_MAX_REC);
		m->rec[m->nrec].t = t;
		for (i = 0; i < t->n; i++) {
			m->rec[m->nrec].v[i] = p;
			p += t->f[i].len;
		}
		m->nrec++;
	}
	for (; p < end; p++)
		fuzz_check(*p == 0);	/* padding: zeros, shorter than a record */
}

static void d_msg(struct dmsg *m, const uint8_t *b, size_t len, uint32_t odid)
{
	const uint8_t *p = b + IPFIX_HDR_LEN, *end = b + len;

	memset(m, 0, sizeof(*m));
	fuzz_check(len >= IPFIX_HDR_LEN && rd16(b) == IPFIX_VERSION && rd16(b + 2) == len);
	fuzz_check(rd32(b + 12) == odid);
	while (end - p >= 4) {
		uint16_t id = rd16(p), sl = rd16(p + 2);

		fuzz_check(sl >= 4 && sl <= end - p);
		if (id == IPFIX_SET_TEMPLATE) {
			d_templates(m, p + 4, p + sl);
		} else if (id >= 256) {
			const struct dtmpl *t = d_find(m, id);

			fuzz_check(t != NULL);	/* a template comes before its data */
			d_data(m, t, p + 4, p + sl);
		}
		p += sl;
	}
	fuzz_check(p == end);
}

/* Value of (pen, id) in the record; fails if absent. */
static uint64_t d_get(const struct drec *r, uint32_t pen, uint16_t id)
{
	int i;

	for (i = 0; i < r->t->n; i++)
		if (r->t->f[i].id == id && r->t->f[i].pen == pen)
			return rdn(r->v[i], r->t->f[i].len);
	fuzz_fail(__FILE__, __LINE__, "element missing");
}

static const uint8_t *d_bytes(const struct drec *r, uint16_t id, uint16_t len)
{
	int i;

	for (i = 0; i < r->t->n; i++)
		if (r->t->f[i].id == id && !r->t->f[i].pen && r->t->f[i].len == len)
			return r->v[i];
	fuzz_fail(__FILE__, __LINE__, "address missing");
}

/* A record as the kernel and userland could make it, from the fuzzer's bytes. */
static void make_record(struct fuzz_in *in, struct flow_record *r)
{
	const uint64_t tmask = (1ULL << 62) - 1;
	uint8_t b;

	fuzz_bytes(in, r, sizeof(*r));
	memcpy(&b, &r->has_rev, 1);	/* a bool holds 0 or 1 only */
	r->has_rev = b & 1;
	r->key.ipver = r->key.ipver & 1 ? 6 : 4;
	if (r->key.ipver == 4) {
		memset(r->key.saddr + 4, 0, 12);
		memset(r->key.daddr + 4, 0, 12);
	}
	r->fwd.first_seen &= tmask;
	r->fwd.last_seen &= tmask;
	r->rev.first_seen &= tmask;
	r->rev.last_seen &= tmask;
	r->wall_offset_ns %= 1LL << 61;
	if (!r->has_rev)
		memset(&r->rev, 0, sizeof(r->rev));
}

static void check_forward(const struct drec *d, const struct flow_record *r, bool uniflow)
{
	bool v6 = r->key.ipver == 6;
	int alen = v6 ? 16 : 4;

	fuzz_check(!memcmp(d_bytes(d, v6 ? 27 : 8, alen), r->key.saddr, alen));
	fuzz_check(!memcmp(d_bytes(d, v6 ? 28 : 12, alen), r->key.daddr, alen));
	fuzz_check(d_get(d, 0, 4) == r->key.proto);
	fuzz_check(d_get(d, 0, 60) == r->key.ipver);
	/* a direction without packets goes out as zeros (ipfix.c) */
	fuzz_check(d_get(d, 0, 2) == r->fwd.packets);
	fuzz_check(d_get(d, 0, 1) == (r->fwd.packets ? r->fwd.bytes : 0));
	fuzz_check(d_get(d, 0, 136) == r->end_reason);
	fuzz_check(d_get(d, 0, 148) == r->flow_id);
	if (r->key.proto == 6 || r->key.proto == 17) {
		fuzz_check(d_get(d, 0, 7) == r->key.sport);
		fuzz_check(d_get(d, 0, 11) == r->key.dport);
	}
	if (!uniflow) {
		bool rev = r->has_rev && r->rev.packets;

		fuzz_check(d_get(d, IPFIX_PEN_REVERSE, 2) == (rev ? r->rev.packets : 0));
		fuzz_check(d_get(d, IPFIX_PEN_REVERSE, 1) == (rev ? r->rev.bytes : 0));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[IPFIX_MAX_MSG];
	static struct dmsg dm;
	struct fuzz_in in = { data, size };
	uint8_t mode = fuzz_u8(&in);
	size_t cap = IPFIX_MIN_MAX_MSG + fuzz_u16(&in) % (IPFIX_MAX_MSG - IPFIX_MIN_MAX_MSG + 1);
	bool uniflow = mode & 1;
	struct ipfix_msg m;
	struct flow_record r;
	uint16_t tid[2];
	int n, i;
	size_t len;

	fuzz_quiet();
	make_record(&in, &r);
	ipfix_msg_init(&m, buf, cap, 7, 0);
	tid[0] = ipfix_flow_tid(&r, uniflow, false);
	tid[1] = ipfix_flow_tid(&r, uniflow, true);
	for (i = 0; i < (uniflow && tid[1] != tid[0] ? 2 : 1); i++)
		fuzz_check(ipfix_msg_add_template(&m, tid[i]) == 0);
	n = ipfix_msg_add_flow(&m, &r, uniflow);
	fuzz_check(n == 1 || (uniflow && n == 2));
	len = ipfix_msg_finish(&m, 1700000000);
	fuzz_check(len <= cap && len == m.len);
	d_msg(&dm, buf, len, 7);
	fuzz_check(dm.nrec == n);
	check_forward(&dm.rec[0], &r, uniflow);
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * fmt_json.c - the "json" format: one object per record and line, nProbe's
 * key names, numbers as numbers. The keys come in the order users know,
 * then every other field with a JSON key (a key whose value is absent,
 * like DST_INPUT_SNMP of a one-way flow, is left out when the field says so).
 */
#include <stdio.h>
#include <string.h>
#include "fmt_layout.h"
#include "format.h"
#include "sbuf.h"

#define DIR4(f1, f2) L_FWD(f1), L_FWD(f2), L_REV(f1), L_REV(f2)

static const struct field_ref json_refs[] = {
	L_REC(F_FLOW_ID), L_REC(F_IPVER), L_REC(F_SADDR), L_REC(F_DADDR), L_REC(F_PROTO),
	L_REC(F_SPORT), L_REC(F_DPORT), L_REC(F_ICMP), L_REC(F_BIFLOW_DIR),
	DIR4(F_PKTS, F_BYTES),
	L_REC(F_START_MS), L_REC(F_END_MS), L_REC(F_DURATION_MS), L_REC(F_END_REASON),
	L_FWD(F_IFINDEX), L_FWD(F_IFNAME), L_FWD(F_DIRECTION),
	L_REV(F_IFINDEX), L_REV(F_IFNAME), L_REV(F_DIRECTION),
	L_PAIR(F_TOS), L_PAIR(F_FLOW_LABEL),
	L_REC(F_LEN_MIN), L_REC(F_LEN_MAX), DIR4(F_LEN_MIN, F_LEN_MAX),
	SIZES(L_REC), SIZES(L_FWD), SIZES(L_REV),
	L_REC(F_TTL_MIN), L_REC(F_TTL_MAX), TTLS(L_REC), DIR4(F_TTL_MIN, F_TTL_MAX),
	TTLS(L_FWD), TTLS(L_REV),
	L_REC(F_TCP_FLAGS), L_PAIR(F_TCP_FLAGS), L_PAIR(F_RETR_PKTS), L_PAIR(F_RETR_BYTES),
	L_PAIR(F_OOO_PKTS), L_PAIR(F_OOO_BYTES),
	L_FWD(F_WIN_MIN), L_FWD(F_WIN_MAX), L_FWD(F_MSS), L_FWD(F_WSCALE),
	L_REV(F_WIN_MIN), L_REV(F_WIN_MAX), L_REV(F_MSS), L_REV(F_WSCALE),
	L_FWD(F_IAT_MIN), L_FWD(F_IAT_MAX), L_FWD(F_IAT_MEAN), L_FWD(F_IAT_STDDEV),
	L_REV(F_IAT_MIN), L_REV(F_IAT_MAX), L_REV(F_IAT_MEAN), L_REV(F_IAT_STDDEV),
};

static struct layout json_layout = { .refs = json_refs,
				     .n = sizeof(json_refs) / sizeof(json_refs[0]) };

static bool has_key(const struct field *f, int d)
{
	return f->json[d] != NULL;
}

static void js_value(struct sbuf *b, const struct field *f, const struct fval *v)
{
	switch (f->type) {
	case FT_U64:
		sb_u64(b, v->u);
		break;
	case FT_I64:
		sb_i64(b, v->i);
		break;
	case FT_STR:
	case FT_ADDR:
		sb_json_str(b, v->s ? v->s : "");
		break;
	case FT_MAC:
		sb_write(b, "\"", 1);
		sb_mac(b, v->b);
		sb_write(b, "\"", 1);
		break;
	}
}

/*
 * ',"KEY":' of each field of the layout, for IPv4 and IPv6 records (the
 * address keys differ), built on first use and again when the plugins'
 * fields change: one copy per field written. A key is at most 63 bytes
 * (a plugin's FM_JSON, plugins.h; ours are shorter).
 */
struct json_member {
	char s[72];
	unsigned char n;
};

static const struct json_member *members(const struct field_ref *k, unsigned int n, int v6)
{
	static struct json_member m[2][3 * (F_MAX + FIELDS_DYN_MAX)];
	static unsigned int built[2];	/* fields_generation() + 1 of the cache; 0: none */
	unsigned int i;

	if (built[v6] == fields_generation() + 1)
		return m[v6];
	for (i = 0; i < n && i < 3 * (F_MAX + FIELDS_DYN_MAX); i++) {
		const char *key = field_json_key(field_at(k[i].field), k[i].dir, v6 ? 6 : 4);

		m[v6][i].n = (unsigned char)snprintf(m[v6][i].s, sizeof(m[v6][i].s), ",\"%s\":",
						     key ? key : "");
	}
	built[v6] = fields_generation() + 1;
	return m[v6];
}

int output_json(const struct flow_record *r, ifname_fn ifname, char *buf, size_t len)
{
	const struct field_ref *k;
	const struct field *f;
	struct flow_view v;
	unsigned int i, n;
	struct fval val;
	struct sbuf b;

	const struct json_member *m;
	int first;

	flow_view_init(&v, r, ifname);
	sb_init(&b, buf, len);
	sb_write(&b, "{", 1);
	k = layout_walk(&json_layout, has_key, &n);
	m = members(k, n, r->key.ipver == 6);
	for (i = 0; i < n; i++) {
		f = field_at(k[i].field);
		memset(&val, 0, sizeof(val));
		if (!f->get(f, &v, k[i].dir, &val) && (f->flags & FF_OPT))
			continue;
		/* member names are our own ASCII constants: no escaping needed */
		first = !b.items++;
		sb_write(&b, m[i].s + first, m[i].n - first);	/* no comma first */
		js_value(&b, f, &val);
	}
	sb_write(&b, "}\n", 2);
	return sb_finish(&b);
}

const struct record_format fmt_json = {
	.name = "json",
	.help = "one JSON object per line (nProbe key names)",
	.record = output_json,
};

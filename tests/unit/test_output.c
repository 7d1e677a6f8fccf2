// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_output.c - text columns and JSON lines against hand-computed records. */
#include <netinet/in.h>
#include <stdbool.h>
#include <stdlib.h>
#include "output.h"
#include "testlib.h"

#define NCOLS (81 + 15 + 8)	/* the original 81, 15 added, 8 of layer 2 */

static const char *ifn(uint32_t idx, char *buf, size_t len)
{
	if (idx == 99)
		return NULL;	/* an interface that went away */
	snprintf(buf, len, "if%u", idx);
	return buf;
}

static void v4(uint8_t *a, uint32_t addr)
{
	addr = htonl(addr);
	memcpy(a, &addr, 4);
}

/* The fields a record starts every direction with (src/datapath/account.h record_restart). */
static void fresh(struct flow_side *m)
{
	memset(m, 0, sizeof(*m));
	m->iat_min = ~0ULL;
	m->len_min = ~0U;
	m->win_min = ~0U;
	m->ttl_min = 0xff;
	m->wscale = FLOW_WSCALE_NONE;
}

/*
 * A TCP connection 10.0.0.1:40000 -> 10.0.0.2:80 whose every output value
 * is worked out by hand in the tables below.
 *  fwd: 3 packets of 60 bytes at 1.000 s, 1.001 s, 1.004 s (gaps 1 and 3 ms:
 *       mean 2 ms, sum of squares 1000^2 + 3000^2 us^2, stddev 1 ms);
 *       TTL 64, SYN window 64240, later windows 501..502 scaled by 2^7.
 *  rev: 2 packets (40 and 1500 bytes) at 1.001 s and 1.005 s, TTL 63,
 *       SYN window 65160, window 509 unscaled (no option), 1 retransmission.
 */
static void sample_fwd(struct flow_side *f)
{
	fresh(f);
	f->ifindex = 2;
	f->dir = FLOW_DIR_EGRESS;
	f->ipver = 4;
	f->tos = 0x10;
	f->first_seen = 1000000000;
	f->last_seen = 1004000000;
	f->arrivals = 3;
	f->packets = 3;
	f->bytes = 180;
	f->iat_min = 1000000;
	f->iat_max = 3000000;
	f->iat_sumsq = 1000ULL * 1000 + 3000ULL * 3000;
	f->len_min = 60;
	f->len_max = 60;
	f->size_hist[0] = 3;
	f->ttl_min = 64;
	f->ttl_max = 64;
	f->ttl_hist[3] = 3;
	f->tcp_flags = FLOW_TCPF_SYN | FLOW_TCPF_ACK | FLOW_TCPF_FIN;
	f->state = FLOW_ST_INITIATOR | FLOW_ST_SYN_WIN | FLOW_ST_SEQ_VALID;
	f->syn_win = 64240;
	f->win_min = 501;
	f->win_max = 502;
	f->wscale = 7;
	f->mss = 1460;
}

static void sample_rev(struct flow_side *b)
{
	fresh(b);
	b->ifindex = 3;
	b->dir = FLOW_DIR_INGRESS;
	b->ipver = 4;
	b->first_seen = 1001000000;
	b->last_seen = 1005000000;
	b->arrivals = 2;
	b->packets = 2;
	b->bytes = 1540;
	b->iat_min = 4000000;
	b->iat_max = 4000000;
	b->iat_sumsq = 4000ULL * 4000;
	b->len_min = 40;
	b->len_max = 1500;
	b->size_hist[0] = 1;
	b->size_hist[4] = 1;
	b->ttl_min = 63;
	b->ttl_max = 63;
	b->ttl_hist[3] = 2;
	b->tcp_flags = FLOW_TCPF_SYN | FLOW_TCPF_ACK | FLOW_TCPF_FIN | FLOW_TCPF_PSH;
	b->state = FLOW_ST_SYN_WIN;
	b->syn_win = 65160;
	b->win_min = 509;
	b->win_max = 509;
	b->mss = 1400;
	b->retr_pkts = 1;
	b->retr_bytes = 100;
	b->ooo_pkts = 2;
	b->ooo_bytes = 200;
}

static void sample(struct flow_record *r)
{
	memset(r, 0, sizeof(*r));
	v4(r->key.saddr, 0x0a000001);
	v4(r->key.daddr, 0x0a000002);
	r->key.sport = 40000;
	r->key.dport = 80;
	r->key.proto = IPPROTO_TCP;
	r->key.ipver = 4;
	r->has_rev = true;
	r->end_reason = FLOW_END_EOF;
	r->wall_offset_ns = 1699999999000000000LL;
	r->flow_id = 42;
	sample_fwd(&r->fwd);
	sample_rev(&r->rev);
}

/* A UDP flow seen in one direction only: 10.1.1.1:5000 -> 10.2.2.2:53. */
static void sample_uni(struct flow_record *r)
{
	memset(r, 0, sizeof(*r));
	v4(r->key.saddr, 0x0a010101);
	v4(r->key.daddr, 0x0a020202);
	r->key.sport = 5000;
	r->key.dport = 53;
	r->key.proto = IPPROTO_UDP;
	r->key.ipver = 4;
	r->end_reason = FLOW_END_IDLE;
	fresh(&r->fwd);
	r->fwd.ifindex = 7;
	r->fwd.ipver = 4;
	r->fwd.first_seen = 5000000;
	r->fwd.last_seen = 5000000;
	r->fwd.arrivals = 2;
	r->fwd.packets = 2;
	r->fwd.bytes = 300;
	r->fwd.iat_min = 0;
	r->fwd.iat_max = 0;
	r->fwd.len_min = 100;
	r->fwd.len_max = 200;
	r->fwd.size_hist[0] = 1;
	r->fwd.size_hist[1] = 1;
	r->fwd.ttl_min = 50;
	r->fwd.ttl_max = 60;
	r->fwd.ttl_hist[3] = 2;
}

/* Split s at sep into at most max fields (in place); returns the count. */
static int split(char *s, char sep, char **f, int max)
{
	int n = 0;

	f[n++] = s;
	for (; *s; s++) {
		if (*s != sep)
			continue;
		*s = '\0';
		if (n == max)
			return max + 1;
		f[n++] = s + 1;
	}
	return n;
}

/* ---- text --------------------------------------------------------------- */

TEST(output_text_header_columns)
{
	char buf[4096], *col[128];
	int n = output_text_header(buf, sizeof(buf));

	REQUIRE(n > 0);
	CHECK_EQ(n, strlen(buf));
	REQUIRE(buf[n - 1] == '\n');
	CHECK(buf[n - 2] != '\t');
	CHECK(!strncmp(buf, "src_addr\tdst_addr\tproto\tsport\tdport\tifname_f\tifname_b\t", 54));
	buf[n - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	CHECK_STR(col[11], "iat_mean_ns_f");
	CHECK_STR(col[27], "len_lt128_f");
	CHECK_STR(col[43], "ttl_0_1_f");
	CHECK_STR(col[63], "tcp_flags_f");
	CHECK_STR(col[80], "wscale_b");
	CHECK_STR(col[81], "end_reason");
	CHECK_STR(col[95], "flow_id");
	CHECK_STR(col[96], "vlan_f");
	CHECK_STR(col[97], "vlan_b");
	CHECK_STR(col[98], "vlan_inner_f");
	CHECK_STR(col[100], "smac_f");
	CHECK_STR(col[103], "dmac_b");
}

/* Columns 1-96 of sample(), worked out by hand. */
static const char *const want_text[NCOLS] = {
	"10.0.0.1", "10.0.0.2", "6", "40000", "80",			/* 1-5 */
	"if2", "if3",							/* 6-7 */
	"1000000000", "1001000000", "1004000000", "1005000000",		/* 8-11 */
	"2000000", "4000000",						/* 12-13 mean gap */
	"3", "2", "4", "4", "0", "0", "16", "0", "180", "1540",		/* 14-23 */
	"60", "40", "60", "1500",					/* 24-27 */
	"3", "0", "0", "0", "0", "0", "1", "0", "0", "0", "1", "0",	/* 28-39 */
	"64", "63", "64", "63",						/* 40-43 */
	"0", "0", "0", "3", "0", "0", "0", "0", "0", "0",		/* 44-53 */
	"0", "0", "0", "2", "0", "0", "0", "0", "0", "0",		/* 54-63 */
	"00000013", "0000001b",						/* 64-65 */
	"0", "1", "0", "100", "0", "2", "0", "200",			/* 66-73 */
	/* 74-77 windows: the SYN-ACK had no window scale, so no scaling (RFC 7323 2.2) */
	"501", "509", "64240", "65160",
	"1460", "1400", "7", "0",					/* 78-81 */
	"3", "1700000000000", "1700000000005", "5",			/* 82-85 */
	"1000000", "4000000", "3000000", "4000000",			/* 86-89 */
	"1000000", "0",							/* 90-91 stddev */
	"2", "3", "egress", "ingress", "42",				/* 92-96 */
	/* 97-104: VLANs and MAC addresses, absent on this L3 record */
	"0", "0", "0", "0", "-", "-", "-", "-",
};

TEST(output_text_values)
{
	struct flow_record r;
	char buf[4096], *col[128];
	int n, i;

	sample(&r);
	n = output_text(&r, ifn, buf, sizeof(buf));
	REQUIRE(n > 0);
	CHECK_EQ(n, strlen(buf));
	REQUIRE(buf[n - 1] == '\n');
	CHECK(buf[n - 2] != '\t');
	CHECK(!strchr(buf, '\n') || strchr(buf, '\n') == buf + n - 1);
	buf[n - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	for (i = 0; i < NCOLS; i++)
		if (strcmp(col[i], want_text[i]))
			FAILF("column %d: '%s', expected '%s'", i + 1, col[i], want_text[i]);
}

TEST(output_text_one_direction)
{
	struct flow_record r;
	char buf[4096], *col[128];
	int n;

	sample_uni(&r);
	r.fwd.ifindex = 99;	/* the callback fails: UNKNOWN */
	n = output_text(&r, ifn, buf, sizeof(buf));
	REQUIRE(n > 0);
	buf[n - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	CHECK_STR(col[5], "UNKNOWN");
	CHECK_STR(col[6], "UNKNOWN");
	CHECK_STR(col[8], "0");		/* first_seen_b */
	CHECK_STR(col[11], "0");	/* same-instant arrivals: mean gap 0 */
	CHECK_STR(col[23], "100");	/* min_len_f */
	CHECK_STR(col[24], "0");	/* min_len_b: absent, not 4294967295 */
	CHECK_STR(col[39], "50");	/* min_ttl_f */
	CHECK_STR(col[40], "0");	/* min_ttl_b: absent, not 255 */
	CHECK_STR(col[63], "00000000");
	CHECK_STR(col[73], "0");	/* min_win_f of UDP: 0, not 65535 */
	CHECK_STR(col[79], "0");	/* wscale_f: no option */
	CHECK_STR(col[82], "5");	/* flow_start_ms, wall offset 0 */
	CHECK_STR(col[85], "0");	/* iat_min_ns_f */
	CHECK_STR(col[93], "ingress");
	CHECK_STR(col[94], "UNKNOWN");
}

TEST(output_text_without_ifname_callback)
{
	struct flow_record r;
	char buf[4096], *col[128];
	int n;

	sample(&r);
	n = output_text(&r, NULL, buf, sizeof(buf));
	REQUIRE(n > 0);
	buf[n - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	CHECK_STR(col[5], "UNKNOWN");
	CHECK_STR(col[6], "UNKNOWN");
}

static const char *weird_ifn(uint32_t idx, char *buf, size_t len)
{
	return "we\"i\trd\\\n\x01\xc3\xa9\xff";
}

TEST(output_text_name_cannot_break_columns)
{
	struct flow_record r;
	char buf[4096], *col[128];
	int n;

	sample(&r);
	n = output_text(&r, weird_ifn, buf, sizeof(buf));
	REQUIRE(n > 0);
	buf[n - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	CHECK_STR(col[5], "we\"i?rd\\??\xc3\xa9\xff");
}

TEST(output_text_ipv6_addresses)
{
	struct flow_record r;
	char buf[4096], *col[128];
	int n;

	sample(&r);
	memset(r.key.saddr, 0, 16);
	memset(r.key.daddr, 0, 16);
	r.key.saddr[0] = 0x20;
	r.key.saddr[1] = 0x01;
	r.key.saddr[2] = 0x0d;
	r.key.saddr[3] = 0xb8;
	r.key.saddr[15] = 1;
	r.key.daddr[15] = 1;
	r.key.ipver = 6;
	n = output_text(&r, ifn, buf, sizeof(buf));
	REQUIRE(n > 0);
	buf[n - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	CHECK_STR(col[0], "2001:db8::1");
	CHECK_STR(col[1], "::1");
}

/* Every size below what the line needs fails with -1; no partial record. */
TEST(output_buffer_too_small)
{
	struct flow_record r;
	char full[4096], buf[4096];
	int n, len, bad = 0;

	sample(&r);
	n = output_text(&r, ifn, full, sizeof(full));
	REQUIRE(n > 0);
	for (len = 0; len <= n; len++) {
		memset(buf, 'x', sizeof(buf));
		if (output_text(&r, ifn, buf, len) != -1 || (len && buf[0]))
			bad++;
	}
	CHECK_EQ(bad, 0);
	CHECK_EQ(output_text(&r, ifn, buf, n + 1), n);
	CHECK(!strcmp(buf, full));

	n = output_json(&r, ifn, full, sizeof(full));
	REQUIRE(n > 0);
	for (len = 0; len <= n; len++)
		bad += output_json(&r, ifn, buf, len) != -1;
	CHECK_EQ(bad, 0);
	CHECK_EQ(output_json(&r, ifn, buf, n + 1), n);

	n = output_text_header(full, sizeof(full));
	REQUIRE(n > 0);
	CHECK_EQ(output_text_header(buf, n), -1);
	CHECK_EQ(output_text_header(buf, n + 1), n);
	CHECK_EQ(output_text_header(NULL, 0), -1);
}

/* ---- JSON --------------------------------------------------------------- */

struct jmember {
	char key[64];
	char val[256];		/* decoded string, or the number's digits */
	bool is_str;
};

struct jobj {
	struct jmember m[256];
	int n;
};

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Append code point cp as UTF-8. */
static size_t put_utf8(char *o, unsigned int cp)
{
	if (cp < 0x80) {
		o[0] = cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = 0xc0 | cp >> 6;
		o[1] = 0x80 | (cp & 0x3f);
		return 2;
	}
	o[0] = 0xe0 | cp >> 12;
	o[1] = 0x80 | ((cp >> 6) & 0x3f);
	o[2] = 0x80 | (cp & 0x3f);
	return 3;
}

/* A JSON string at *p (on the opening quote): decoded into out. */
static int jstring(const char **p, char *out, size_t len)
{
	const char *s = *p + 1;
	size_t o = 0;
	unsigned int cp;
	int i, h;

	for (; *s != '"'; s++) {
		if (!*s || (unsigned char)*s < 0x20 || o + 4 >= len)
			return -1;
		if (*s != '\\') {
			out[o++] = *s;
			continue;
		}
		s++;
		switch (*s) {
		case '"': case '\\': case '/':
			out[o++] = *s;
			break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u':
			for (cp = 0, i = 1; i <= 4; i++) {
				h = hexval(s[i]);
				if (h < 0)
					return -1;
				cp = cp * 16 + h;
			}
			s += 4;
			o += put_utf8(out + o, cp);
			break;
		default:
			return -1;
		}
	}
	out[o] = '\0';
	*p = s + 1;
	return 0;
}

/* An integer: JSON syntax (no leading zeros, no quotes). */
static int jnumber(const char **p, char *out, size_t len)
{
	const char *s = *p;
	size_t n = 0;

	if (*s == '-')
		out[n++] = *s++;
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	while (*s >= '0' && *s <= '9' && n + 1 < len)
		out[n++] = *s++;
	out[n] = '\0';
	*p = s;
	return 0;
}

/* One flat object on one line ending in "\n" and nothing after. */
static int jparse(const char *s, struct jobj *o)
{
	struct jmember *m;

	o->n = 0;
	if (*s++ != '{')
		return -1;
	while (*s != '}') {
		if (o->n == 256 || (o->n && *s++ != ','))
			return -1;
		m = &o->m[o->n++];
		if (*s != '"' || jstring(&s, m->key, sizeof(m->key)) || *s++ != ':')
			return -1;
		m->is_str = *s == '"';
		if (m->is_str ? jstring(&s, m->val, sizeof(m->val)) :
				jnumber(&s, m->val, sizeof(m->val)))
			return -1;
	}
	return strcmp(s, "}\n") ? -1 : 0;
}

static const struct jmember *jget(const struct jobj *o, const char *key)
{
	int i;

	for (i = 0; i < o->n; i++)
		if (!strcmp(o->m[i].key, key))
			return &o->m[i];
	return NULL;
}

static int jdups(const struct jobj *o)
{
	int i, j, d = 0;

	for (i = 0; i < o->n; i++)
		for (j = i + 1; j < o->n; j++)
			d += !strcmp(o->m[i].key, o->m[j].key);
	return d;
}

/* Check "KEY=123" (number) or "KEY=\"str\"" (string). */
static void jcheck(const struct jobj *o, const char *spec)
{
	const char *eq = strchr(spec, '=');
	const struct jmember *m;
	char key[64], want[256];
	bool str;

	snprintf(key, sizeof(key), "%.*s", (int)(eq - spec), spec);
	str = eq[1] == '"';
	snprintf(want, sizeof(want), "%.*s", (int)strlen(eq + 1) - (str ? 2 : 0), eq + 1 + str);
	m = jget(o, key);
	if (!m) {
		FAILF("key %s missing", key);
		return;
	}
	if (m->is_str != str || strcmp(m->val, want))
		FAILF("%s = %s%s%s, expected %s", key, m->is_str ? "\"" : "", m->val,
		      m->is_str ? "\"" : "", eq + 1);
}

static const char *const required_keys[] = {
	"IP_PROTOCOL_VERSION", "PROTOCOL", "L4_SRC_PORT", "L4_DST_PORT",
	"IN_PKTS", "IN_BYTES", "OUT_PKTS", "OUT_BYTES",
	"FLOW_START_MILLISECONDS", "FLOW_END_MILLISECONDS", "FLOW_END_REASON",
	"TCP_FLAGS", "CLIENT_TCP_FLAGS", "SERVER_TCP_FLAGS", "MIN_TTL", "MAX_TTL",
	"INPUT_SNMP", "INTERFACE_NAME",
};

static void check_required(const struct jobj *o, int ipver)
{
	const char *src = ipver == 6 ? "IPV6_SRC_ADDR" : "IPV4_SRC_ADDR";
	const char *dst = ipver == 6 ? "IPV6_DST_ADDR" : "IPV4_DST_ADDR";
	size_t i;

	for (i = 0; i < sizeof(required_keys) / sizeof(required_keys[0]); i++)
		if (!jget(o, required_keys[i]))
			FAILF("required key %s missing", required_keys[i]);
	CHECK(jget(o, src) && jget(o, src)->is_str);
	CHECK(jget(o, dst) && jget(o, dst)->is_str);
	CHECK(!jget(o, ipver == 6 ? "IPV4_SRC_ADDR" : "IPV6_SRC_ADDR"));
	CHECK(jget(o, "INTERFACE_NAME") && jget(o, "INTERFACE_NAME")->is_str);
	CHECK(jget(o, "TCP_FLAGS") && !jget(o, "TCP_FLAGS")->is_str);
	CHECK_EQ(jdups(o), 0);
}

/* Every member of sample() in output order, worked out by hand. */
static const char *const want_json[] = {
	"FLOW_ID=42", "IP_PROTOCOL_VERSION=4", "IPV4_SRC_ADDR=\"10.0.0.1\"",
	"IPV4_DST_ADDR=\"10.0.0.2\"", "PROTOCOL=6", "L4_SRC_PORT=40000", "L4_DST_PORT=80",
	"BIFLOW_DIRECTION=1",
	"IN_PKTS=3", "IN_BYTES=180", "OUT_PKTS=2", "OUT_BYTES=1540",
	"FLOW_START_MILLISECONDS=1700000000000", "FLOW_END_MILLISECONDS=1700000000005",
	"FLOW_DURATION_MILLISECONDS=5", "FLOW_END_REASON=3",
	"INPUT_SNMP=2", "INTERFACE_NAME=\"if2\"", "DIRECTION=1",
	"DST_INPUT_SNMP=3", "DST_INTERFACE_NAME=\"if3\"", "DST_DIRECTION=0",
	"SRC_TOS=16", "DST_TOS=0", "SRC_FLOWLABEL=0", "DST_FLOWLABEL=0",
	"MIN_IP_PKT_LEN=40", "MAX_IP_PKT_LEN=1500",
	"SRC_MIN_IP_PKT_LEN=60", "SRC_MAX_IP_PKT_LEN=60",
	"DST_MIN_IP_PKT_LEN=40", "DST_MAX_IP_PKT_LEN=1500",
	"NUM_PKTS_UP_TO_128_BYTES=4", "NUM_PKTS_128_TO_256_BYTES=0",
	"NUM_PKTS_256_TO_512_BYTES=0", "NUM_PKTS_512_TO_1024_BYTES=0",
	"NUM_PKTS_1024_TO_1514_BYTES=1", "NUM_PKTS_OVER_1514_BYTES=0",
	"SRC_NUM_PKTS_UP_TO_128_BYTES=3", "SRC_NUM_PKTS_128_TO_256_BYTES=0",
	"SRC_NUM_PKTS_256_TO_512_BYTES=0", "SRC_NUM_PKTS_512_TO_1024_BYTES=0",
	"SRC_NUM_PKTS_1024_TO_1514_BYTES=0", "SRC_NUM_PKTS_OVER_1514_BYTES=0",
	"DST_NUM_PKTS_UP_TO_128_BYTES=1", "DST_NUM_PKTS_128_TO_256_BYTES=0",
	"DST_NUM_PKTS_256_TO_512_BYTES=0", "DST_NUM_PKTS_512_TO_1024_BYTES=0",
	"DST_NUM_PKTS_1024_TO_1514_BYTES=1", "DST_NUM_PKTS_OVER_1514_BYTES=0",
	"MIN_TTL=63", "MAX_TTL=64",
	"NUM_PKTS_TTL_EQ_1=0", "NUM_PKTS_TTL_2_5=0", "NUM_PKTS_TTL_5_32=0",
	"NUM_PKTS_TTL_32_64=5", "NUM_PKTS_TTL_64_96=0", "NUM_PKTS_TTL_96_128=0",
	"NUM_PKTS_TTL_128_160=0", "NUM_PKTS_TTL_160_192=0", "NUM_PKTS_TTL_192_224=0",
	"NUM_PKTS_TTL_224_255=0",
	"SRC_MIN_TTL=64", "SRC_MAX_TTL=64", "DST_MIN_TTL=63", "DST_MAX_TTL=63",
	"SRC_NUM_PKTS_TTL_EQ_1=0", "SRC_NUM_PKTS_TTL_2_5=0", "SRC_NUM_PKTS_TTL_5_32=0",
	"SRC_NUM_PKTS_TTL_32_64=3", "SRC_NUM_PKTS_TTL_64_96=0", "SRC_NUM_PKTS_TTL_96_128=0",
	"SRC_NUM_PKTS_TTL_128_160=0", "SRC_NUM_PKTS_TTL_160_192=0",
	"SRC_NUM_PKTS_TTL_192_224=0", "SRC_NUM_PKTS_TTL_224_255=0",
	"DST_NUM_PKTS_TTL_EQ_1=0", "DST_NUM_PKTS_TTL_2_5=0", "DST_NUM_PKTS_TTL_5_32=0",
	"DST_NUM_PKTS_TTL_32_64=2", "DST_NUM_PKTS_TTL_64_96=0", "DST_NUM_PKTS_TTL_96_128=0",
	"DST_NUM_PKTS_TTL_128_160=0", "DST_NUM_PKTS_TTL_160_192=0",
	"DST_NUM_PKTS_TTL_192_224=0", "DST_NUM_PKTS_TTL_224_255=0",
	"TCP_FLAGS=27", "CLIENT_TCP_FLAGS=19", "SERVER_TCP_FLAGS=27",
	"RETRANSMITTED_IN_PKTS=0", "RETRANSMITTED_OUT_PKTS=1",
	"RETRANSMITTED_IN_BYTES=0", "RETRANSMITTED_OUT_BYTES=100",
	"OOORDER_IN_PKTS=0", "OOORDER_OUT_PKTS=2", "OOORDER_IN_BYTES=0", "OOORDER_OUT_BYTES=200",
	"TCP_WIN_MIN_IN=501", "TCP_WIN_MAX_IN=64240", "TCP_WIN_MSS_IN=1460",
	"TCP_WIN_SCALE_IN=7",
	"TCP_WIN_MIN_OUT=509", "TCP_WIN_MAX_OUT=65160", "TCP_WIN_MSS_OUT=1400",
	"TCP_WIN_SCALE_OUT=0",
	"SRC_IAT_MIN_NS=1000000", "SRC_IAT_MAX_NS=3000000", "SRC_IAT_AVG_NS=2000000",
	"SRC_IAT_STDDEV_NS=1000000",
	"DST_IAT_MIN_NS=4000000", "DST_IAT_MAX_NS=4000000", "DST_IAT_AVG_NS=4000000",
	"DST_IAT_STDDEV_NS=0",
};

TEST(output_json_all_members)
{
	const size_t nwant = sizeof(want_json) / sizeof(want_json[0]);
	static struct jobj o;
	struct flow_record r;
	char buf[8192];
	size_t i;
	int n;

	sample(&r);
	n = output_json(&r, ifn, buf, sizeof(buf));
	REQUIRE(n > 0);
	CHECK_EQ(n, strlen(buf));
	REQUIRE(jparse(buf, &o) == 0);
	check_required(&o, 4);
	CHECK_EQ(o.n, nwant);
	for (i = 0; i < nwant; i++)
		jcheck(&o, want_json[i]);
	/* and in this order */
	for (i = 0; i < nwant && i < (size_t)o.n; i++)
		if (strncmp(want_json[i], o.m[i].key, strlen(o.m[i].key)) ||
		    want_json[i][strlen(o.m[i].key)] != '=')
			FAILF("member %zu is %s, expected %s", i, o.m[i].key, want_json[i]);
}

TEST(output_json_exact_head)
{
	static const char head[] = "{\"FLOW_ID\":42,\"IP_PROTOCOL_VERSION\":4,"
		"\"IPV4_SRC_ADDR\":\"10.0.0.1\",\"IPV4_DST_ADDR\":\"10.0.0.2\","
		"\"PROTOCOL\":6,\"L4_SRC_PORT\":40000,\"L4_DST_PORT\":80,";
	struct flow_record r;
	char buf[8192];

	sample(&r);
	REQUIRE(output_json(&r, ifn, buf, sizeof(buf)) > 0);
	CHECK(!strncmp(buf, head, strlen(head)));
	CHECK(strstr(buf, ",\"DST_IAT_STDDEV_NS\":0}\n") != NULL);
}

TEST(output_json_one_direction_min_ttl)
{
	static struct jobj o;
	struct flow_record r;
	char buf[8192];

	sample_uni(&r);
	REQUIRE(output_json(&r, ifn, buf, sizeof(buf)) > 0);
	REQUIRE(jparse(buf, &o) == 0);
	check_required(&o, 4);
	/* the original printed 0 here: the empty reverse pulled the minima down */
	jcheck(&o, "MIN_TTL=50");
	jcheck(&o, "MAX_TTL=60");
	jcheck(&o, "MIN_IP_PKT_LEN=100");
	jcheck(&o, "MAX_IP_PKT_LEN=200");
	jcheck(&o, "DST_MIN_TTL=0");
	jcheck(&o, "DST_MIN_IP_PKT_LEN=0");
	jcheck(&o, "OUT_PKTS=0");
	jcheck(&o, "OUT_BYTES=0");
	jcheck(&o, "IN_PKTS=2");
	jcheck(&o, "FLOW_START_MILLISECONDS=5");
	jcheck(&o, "FLOW_END_MILLISECONDS=5");
	jcheck(&o, "FLOW_END_REASON=1");
	jcheck(&o, "TCP_FLAGS=0");
	jcheck(&o, "TCP_WIN_MIN_IN=0");
	jcheck(&o, "TCP_WIN_SCALE_IN=0");
	jcheck(&o, "BIFLOW_DIRECTION=0");
	jcheck(&o, "NUM_PKTS_UP_TO_128_BYTES=1");
	jcheck(&o, "NUM_PKTS_128_TO_256_BYTES=1");
	jcheck(&o, "INTERFACE_NAME=\"if7\"");
	CHECK(!jget(&o, "DST_INPUT_SNMP"));
	CHECK(!jget(&o, "ICMP_TYPE"));
	CHECK_EQ(o.n, sizeof(want_json) / sizeof(want_json[0]) - 3);
}

TEST(output_json_ipv6_icmp)
{
	static struct jobj o;
	struct flow_record r;
	char buf[8192];

	sample_uni(&r);
	memset(r.key.saddr, 0, 16);
	memset(r.key.daddr, 0, 16);
	r.key.saddr[0] = 0x20;
	r.key.saddr[1] = 0x01;
	r.key.saddr[2] = 0x0d;
	r.key.saddr[3] = 0xb8;
	r.key.saddr[15] = 1;
	memcpy(r.key.daddr, r.key.saddr, 16);
	r.key.daddr[15] = 2;
	r.key.ipver = 6;
	r.key.proto = IPPROTO_ICMPV6;
	r.key.sport = 128;
	r.key.dport = 0;
	r.fwd.ipver = 6;
	r.fwd.flow_label = 0x12345;
	REQUIRE(output_json(&r, ifn, buf, sizeof(buf)) > 0);
	REQUIRE(jparse(buf, &o) == 0);
	check_required(&o, 6);
	jcheck(&o, "IP_PROTOCOL_VERSION=6");
	jcheck(&o, "IPV6_SRC_ADDR=\"2001:db8::1\"");
	jcheck(&o, "IPV6_DST_ADDR=\"2001:db8::2\"");
	jcheck(&o, "PROTOCOL=58");
	jcheck(&o, "L4_SRC_PORT=128");
	jcheck(&o, "L4_DST_PORT=0");
	jcheck(&o, "ICMP_TYPE=32768");
	jcheck(&o, "SRC_FLOWLABEL=74565");
}

/* VLAN IDs and MAC addresses of each direction's first packet (Ethernet interfaces). */
TEST(output_layer2_text_and_json)
{
	static const uint8_t a[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0x01 };
	static const uint8_t b[6] = { 0x02, 0x00, 0xc6, 0x12, 0x00, 0xab };
	static struct jobj o;
	struct flow_record r;
	char buf[8192], *col[128];

	sample(&r);
	r.fwd.has_l2 = r.rev.has_l2 = 1;
	r.fwd.vlan_outer = 100;
	r.fwd.vlan_inner = 7;
	r.rev.vlan_outer = 100;
	memcpy(r.fwd.smac, a, 6);
	memcpy(r.fwd.dmac, b, 6);
	memcpy(r.rev.smac, b, 6);
	memcpy(r.rev.dmac, a, 6);
	REQUIRE(output_text(&r, ifn, buf, sizeof(buf)) > 0);
	buf[strlen(buf) - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	CHECK_STR(col[95], "42");		/* the columns before are unchanged */
	CHECK_STR(col[96], "100");
	CHECK_STR(col[97], "100");
	CHECK_STR(col[98], "7");
	CHECK_STR(col[99], "0");
	CHECK_STR(col[100], "02:00:c6:12:00:01");
	CHECK_STR(col[101], "02:00:c6:12:00:ab");
	CHECK_STR(col[102], "02:00:c6:12:00:ab");
	CHECK_STR(col[103], "02:00:c6:12:00:01");
	REQUIRE(output_json(&r, ifn, buf, sizeof(buf)) > 0);
	REQUIRE(jparse(buf, &o) == 0);
	jcheck(&o, "SRC_VLAN=100");
	jcheck(&o, "DST_VLAN=100");
	jcheck(&o, "SRC_INNER_VLAN=7");
	jcheck(&o, "DST_INNER_VLAN=0");
	jcheck(&o, "IN_SRC_MAC=\"02:00:c6:12:00:01\"");
	jcheck(&o, "IN_DST_MAC=\"02:00:c6:12:00:ab\"");
	jcheck(&o, "OUT_SRC_MAC=\"02:00:c6:12:00:ab\"");
	jcheck(&o, "OUT_DST_MAC=\"02:00:c6:12:00:01\"");
	CHECK_EQ(jdups(&o), 0);
	/* the reverse direction on an L3 device: its keys are left out */
	r.rev.has_l2 = 0;
	REQUIRE(output_json(&r, ifn, buf, sizeof(buf)) > 0);
	REQUIRE(jparse(buf, &o) == 0);
	CHECK(jget(&o, "IN_SRC_MAC") && !jget(&o, "OUT_SRC_MAC") && !jget(&o, "DST_VLAN"));
}

TEST(output_json_escapes_strings)
{
	static struct jobj o;
	struct flow_record r;
	char buf[8192];

	sample(&r);
	REQUIRE(output_json(&r, weird_ifn, buf, sizeof(buf)) > 0);
	CHECK(strstr(buf, "\"INTERFACE_NAME\":\"we\\\"i\\u0009rd\\\\\\u000a\\u0001"
		      "\xc3\xa9\\ufffd\",") != NULL);
	REQUIRE(jparse(buf, &o) == 0);
	jcheck(&o, "INTERFACE_NAME=\"we\"i\trd\\\n\x01\xc3\xa9\xef\xbf\xbd\"");
	CHECK_EQ(jdups(&o), 0);
}

TEST(output_window_scaling)
{
	struct flow_side m;

	fresh(&m);	/* not TCP: no window at all */
	CHECK_EQ(flowrec_win_min(&m, NULL), 0);
	CHECK_EQ(flowrec_win_max(&m, NULL), 0);
	m.state = FLOW_ST_SYN_WIN;	/* only the SYN: its window, never scaled */
	m.syn_win = 29200;
	m.wscale = 7;
	CHECK_EQ(flowrec_win_min(&m, NULL), 29200);
	CHECK_EQ(flowrec_win_max(&m, NULL), 29200);
	m.win_min = 100;	/* 100 << 7 = 12800, 300 << 7 = 38400 */
	m.win_max = 300;
	CHECK_EQ(flowrec_win_min(&m, NULL), 12800);
	CHECK_EQ(flowrec_win_max(&m, NULL), 38400);
	m.wscale = 15;		/* RFC 7323: taken as 14 */
	CHECK_EQ(flowrec_win_max(&m, NULL), 300u << 14);
	m.wscale = FLOW_WSCALE_NONE;
	m.state = 0;
	CHECK_EQ(flowrec_win_min(&m, NULL), 100);
	CHECK_EQ(flowrec_win_max(&m, NULL), 300);
	m.win_min = 0;		/* a zero window is a window */
	CHECK_EQ(flowrec_win_min(&m, NULL), 0);
	CHECK_EQ(flowrec_win_max(&m, NULL), 300);

	/* RFC 7323 2.2: the peer's SYN came without the option: no scaling */
	{
		struct flow_side peer;

		fresh(&peer);
		m.win_min = 100;
		m.wscale = 7;
		peer.state = FLOW_ST_SYN_WIN;
		peer.wscale = FLOW_WSCALE_NONE;
		CHECK_EQ(flowrec_win_min(&m, &peer), 100);
		CHECK_EQ(flowrec_win_max(&m, &peer), 300);
		peer.wscale = 0;	/* with the option, even a shift of 0, we scale */
		CHECK_EQ(flowrec_win_min(&m, &peer), 12800);
		peer.state = 0;		/* peer's SYN not seen: trust our own option */
		peer.wscale = FLOW_WSCALE_NONE;
		CHECK_EQ(flowrec_win_max(&m, &peer), 38400);
	}
}

TEST(output_json_and_text_agree_on_counts)
{
	static struct jobj o;
	struct flow_record r;
	char buf[8192], *col[128];
	int n;

	sample(&r);
	r.has_rev = false;
	memset(&r.rev, 0, sizeof(r.rev));
	REQUIRE(output_json(&r, ifn, buf, sizeof(buf)) > 0);
	REQUIRE(jparse(buf, &o) == 0);
	check_required(&o, 4);
	jcheck(&o, "MIN_TTL=64");
	jcheck(&o, "MIN_IP_PKT_LEN=60");
	jcheck(&o, "FLOW_END_MILLISECONDS=1700000000004");
	jcheck(&o, "BIFLOW_DIRECTION=1");
	n = output_text(&r, ifn, buf, sizeof(buf));
	REQUIRE(n > 0);
	buf[n - 1] = '\0';
	REQUIRE(split(buf, '\t', col, 128) == NCOLS);
	CHECK_STR(col[83], "1700000000004");
	CHECK_STR(col[84], "4");
}

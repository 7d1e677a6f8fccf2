// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * dns.bpf.c - DNS queries and responses per flow (RFC 1035), on port 53 over
 * UDP and TCP.
 *
 * A query (QR 0) gives its record the name and type of its first question
 * (RFC 1035 4.1.2), its ID, and counts; the response (QR 1) with the same
 * ID on the reverse flow gives the response code (RCODE, 4.1.1), the
 * number of answers (ANCOUNT) and the time between query and response at
 * the hook. Everything goes into the result of the query's record, so one
 * record carries the question and its answer; only the first query of a
 * record is kept (DNS_QUERIES counts them all). A response matches its
 * query through a small table of pending queries (flow key and ID).
 *
 * DNS over TCP (RFC 1035 4.2.2): each message has a 2-byte length first;
 * a segment is parsed when it holds a whole header and question.
 *
 * The JSON keys and IPFIX elements are nProbe's (PEN 35632) where they
 * mean the same: DNS_QUERY 205, DNS_QUERY_ID 206, DNS_QUERY_TYPE 207,
 * DNS_RET_CODE 208, DNS_NUM_ANSWERS 209.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowmon/plugin.h"

#define DNS_PORT	53
#define DNS_HDR_LEN	12
#define DNS_NAME_MAX	255	/* RFC 1035 2.3.4: a name is at most 255 octets on the wire */
#define DNS_QUESTION	(DNS_NAME_MAX + 4)	/* the name, QTYPE and QCLASS */
#define DNS_PENDING	16384

struct dns_result {
	char query[DNS_NAME_MAX + 1] FM_JSON("DNS_QUERY") FM_IPFIX(35632, 205)
		FM_DOC("name asked by the first query, dotted (RFC 1035 4.1.2)");
	__u16 qtype FM_JSON("DNS_QUERY_TYPE") FM_IPFIX(35632, 207)
		FM_DOC("its QTYPE: 1 A, 28 AAAA, 15 MX, 16 TXT, ...") FM_WHEN("queries");
	__u16 query_id FM_JSON("DNS_QUERY_ID") FM_IPFIX(35632, 206)
		FM_DOC("its ID") FM_WHEN("queries");
	__u16 answers FM_JSON("DNS_NUM_ANSWERS") FM_IPFIX(35632, 209)
		FM_DOC("ANCOUNT of the response to it") FM_WHEN("answered");
	__u8 rcode FM_JSON("DNS_RET_CODE") FM_IPFIX(35632, 208)
		FM_DOC("RCODE of the response to it: 0 NOERROR, 2 SERVFAIL, 3 NXDOMAIN, ...")
		FM_WHEN("answered");
	__u8 answered;
	__u64 latency_ns FM_JSON("DNS_LATENCY_NS") FM_IPFIX(32473, 2101)
		FM_DOC("query to response at the hook, ns") FM_WHEN("answered");
	__u32 queries FM_JSON("DNS_QUERIES") FM_IPFIX(32473, 2102)
		FM_DOC("queries in the record");
	__u32 responses FM_JSON("DNS_RESPONSES") FM_IPFIX(32473, 2103)
		FM_DOC("responses to them seen on the reverse flow");
} FM_PLUGIN("dns", "DNS query name, type, response code, answers, latency (RFC 1035)")
	FM_PROTOS("6,17") FM_PORTS("53");

FM_RESULTS(struct dns_result, 65536);

static const struct dns_result zero_result;

/* A query waiting for its response: the client's flow and the ID. */
struct dns_pending_key {
	struct flow_key key;
	__u16 id;
	__u8 pad[6];
};

struct dns_pending {
	__u64 time;		/* of the query */
	__u64 first_seen;	/* the query's record */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, DNS_PENDING);
	__type(key, struct dns_pending_key);
	__type(value, struct dns_pending);
} dns_pending SEC(".maps");

/* The header (RFC 1035 4.1.1), and room for the question after it. */
struct dns_scratch {
	__u8 hdr[DNS_HDR_LEN];
	__u8 q[DNS_QUESTION + 1];
	char name[DNS_NAME_MAX + 1];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct dns_scratch);
} dns_scratch SEC(".maps");

/* Labels to dots: "\3www\7example\3com\0" -> "www.example.com". */
struct name_walk {
	struct dns_scratch *s;
	__u32 len;		/* question bytes read */
	__u32 next;		/* offset of the next length octet */
	__u32 end;		/* offset of the root label (the 0 octet) */
	int found;		/* ... once it was found */
	int bad;
};

static long name_step(__u32 i, struct name_walk *w)
{
	struct dns_scratch *s = w->s;
	__u8 c;

	i &= 0x1ff;
	if (i >= w->len || i > DNS_NAME_MAX) {
		w->bad = 1;	/* cut, or longer than a name may be */
		return 1;
	}
	c = s->q[i];
	if (i != w->next) {
		if (i > 0)
			s->name[(i - 1) & 0xff] = c;
		return 0;
	}
	if (c == 0) {
		w->end = i;
		w->found = 1;
		if (i > 0)
			s->name[(i - 1) & 0xff] = '\0';
		return 1;
	}
	if (c & 0xc0) {		/* a compression pointer (4.1.4): not in a question we parse */
		w->bad = 1;
		return 1;
	}
	if (i > 0)
		s->name[(i - 1) & 0xff] = '.';
	w->next = i + 1 + c;
	return 0;
}

static __always_inline __u16 get16(const __u8 *p)
{
	return (__u16)p[0] << 8 | p[1];
}

/*
 * Where the message starts: the UDP payload; over TCP after its 2-byte
 * length (RFC 1035 4.2.2), whose header and question must be in this segment.
 */
static __always_inline int message_off(const struct fm_plugin_ctx *c, const struct fm_pkt_ref *p,
				       __u32 *off, __u32 *len)
{
	__u8 l[2];

	*off = c->payload_off;
	*len = c->payload_len;
	if (c->key.proto == IPPROTO_UDP)
		return 0;
	if (*len < 2 || fm_load(p, *off, l, 2) || get16(l) < DNS_HDR_LEN + 5)
		return -1;
	*off += 2;
	*len -= 2;
	if (get16(l) < *len)
		*len = get16(l);	/* another message follows: this one only */
	return 0;
}

static __always_inline void on_query(struct fm_plugin_ctx *c, struct dns_scratch *s,
				     const struct name_walk *w, __u16 id)
{
	struct dns_pending_key pk = { .id = id };
	struct dns_pending pv = { .time = fm_time_exact(c), .first_seen = c->first_seen };
	struct dns_result *r = fm_result(c, &zero_result);
	__u32 e = w->end & 0x1ff;

	__builtin_memcpy(&pk.key, &c->key, sizeof(pk.key));
	bpf_map_update_elem(&dns_pending, &pk, &pv, BPF_ANY);
	if (!r)
		return;
	if (!r->queries++) {
		__builtin_memcpy(r->query, s->name, sizeof(r->query));
		if (e + 2 < sizeof(s->q))
			r->qtype = get16(&s->q[e + 1]);
		r->query_id = id;
	}
}

static __always_inline void on_response(struct fm_plugin_ctx *c, const struct dns_scratch *s,
					__u16 id)
{
	struct dns_pending_key pk = { .id = id };
	struct dns_pending *pv;
	struct dns_result *r;

	/* the query came the other way: the reverse of this packet's key */
	__builtin_memcpy(&pk.key, &c->key, sizeof(pk.key));
	__builtin_memcpy(pk.key.saddr, c->key.daddr, sizeof(pk.key.saddr));
	__builtin_memcpy(pk.key.daddr, c->key.saddr, sizeof(pk.key.daddr));
	pk.key.sport = c->key.dport;
	pk.key.dport = c->key.sport;
	pv = bpf_map_lookup_elem(&dns_pending, &pk);
	if (!pv)
		return;
	r = fm_result_of(&pk.key, pv->first_seen);
	if (r) {
		r->responses++;
		if (!r->answered && r->query_id == id) {
			r->rcode = s->hdr[3] & 0x0f;
			r->answers = get16(&s->hdr[6]);
			r->latency_ns = fm_time_exact(c) - pv->time;
			r->answered = 1;
		}
	}
	bpf_map_delete_elem(&dns_pending, &pk);
}

static __always_inline void dns(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	struct name_walk w = { 0 };
	struct dns_scratch *s;
	__u32 off, len, zero = 0;
	__u16 id;

	if ((c->key.sport != DNS_PORT && c->key.dport != DNS_PORT) || !c->l4_off ||
	    (c->key.proto != IPPROTO_UDP && c->key.proto != IPPROTO_TCP) || !c->payload_len)
		return;
	s = bpf_map_lookup_elem(&dns_scratch, &zero);
	if (!s)
		return;
	if (message_off(c, p, &off, &len) || len < DNS_HDR_LEN + 5 ||
	    fm_load(p, off, s->hdr, DNS_HDR_LEN))
		goto unparsed;
	/* one question (every resolver asks one), standard query opcode 0 */
	if (get16(&s->hdr[4]) != 1 || (s->hdr[2] & 0x78))
		goto unparsed;
	id = get16(&s->hdr[0]);
	if (s->hdr[2] & 0x80) {		/* QR: a response */
		on_response(c, s, id);
		fm_count(FM_PC_PARSED, 1);
		return;
	}
	len = fm_bound(len - DNS_HDR_LEN > DNS_QUESTION ? DNS_QUESTION : len - DNS_HDR_LEN,
		       DNS_QUESTION);
	if (!len || fm_load(p, off + DNS_HDR_LEN, s->q, len))
		goto unparsed;
	w.s = s;
	w.len = len;
	__builtin_memset(s->name, 0, sizeof(s->name));
	bpf_loop(DNS_NAME_MAX + 1, name_step, &w, 0);
	/* the name, then QTYPE and QCLASS (4.1.2) */
	if (w.bad || !w.found || w.end + 5 > len)
		goto unparsed;
	on_query(c, s, &w, id);
	fm_count(FM_PC_PARSED, 1);
	return;
unparsed:
	fm_count(FM_PC_UNPARSED, 1);
}

FLOWMON_PLUGIN(dns);

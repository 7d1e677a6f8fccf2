/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * fields.h - the one record model every output walks.
 *
 * flow_view_init() derives each value of a merged record once (record
 * start and end in ms, ICMP-ness, inter-arrival mean and deviation, scaled
 * windows, names, ...). The field table then says, per field: its text
 * column, its JSON key(s), its IPFIX element, and how to get its value from
 * the view. The text and JSON formats (fmt_text.c, fmt_json.c) and the IPFIX
 * encoder (ipfix.c) lay fields out in their own order; the docs' field
 * lists are generated from this table (fields_doc()) and a unit test checks
 * that they match.
 *
 * A field is per record (FD_REC) or per direction: FD_FWD is the forward
 * direction (the initiator), FD_REV the reverse. A per-direction field may
 * also have a record form (FD_REC: sum, minimum or OR of both directions).
 */
#ifndef __FLOWMON_FIELDS_H
#define __FLOWMON_FIELDS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "flowrec.h"
#include "output.h"

enum fdir { FD_REC = 0, FD_FWD = 1, FD_REV = 2 };

/* One direction of the record, derived once. */
struct side_view {
	const struct flow_side *s;
	bool on;		/* part of the record: forward always, reverse when seen */
	bool seen;		/* it has packets (IPFIX sends a direction without as zeros) */
	uint64_t len_min, len_max, ttl_min, ttl_max;	/* 0 when never set */
	uint64_t iat_min, iat_max, iat_mean, iat_stddev;	/* ns, 0 below 2 arrivals */
	uint64_t win_min, win_max;	/* scaled by the window scale option (RFC 7323) */
	uint64_t win_min_raw, win_max_raw;	/* the raw 16-bit field, 0 if no segment */
	uint64_t wscale;		/* the option's shift, 0 without one */
	int64_t first_ms, last_ms;	/* epoch ms, 0 when not seen */
	const char *ifname;		/* "UNKNOWN" when not known */
	char ifbuf[64];
};

struct flow_view {
	const struct flow_record *r;
	struct side_view side[2];	/* [0] forward, [1] reverse */
	bool icmp;			/* ICMP or ICMPv6: sport is the type, dport the code */
	uint16_t icmp_type_code;	/* type * 256 + code */
	int64_t start_ms, end_ms;	/* first and last packet of either direction, epoch ms */
	uint64_t biflow_dir;		/* RFC 5103: 1 when only the forward side opened */
	char saddr[48], daddr[48];
};

void flow_view_init(struct flow_view *v, const struct flow_record *r, ifname_fn ifname);
/*
 * The same without the addresses' text forms (saddr, daddr empty), for
 * encoders that write their bytes (fval.b): inet_ntop twice was 15% of
 * encoding an IPFIX record.
 */
void flow_view_init_binary(struct flow_view *v, const struct flow_record *r, ifname_fn ifname);

/* The side of a per-direction form. */
static inline const struct side_view *view_side(const struct flow_view *v, int d)
{
	return &v->side[d == FD_REV];
}

enum ftype {
	FT_U64,
	FT_I64,
	FT_STR,		/* text: control characters as '?'; JSON: escaped */
	FT_ADDR,	/* an IP address of the key: text/JSON as a string, IPFIX as bytes */
	FT_MAC,		/* 6 bytes: text/JSON "aa:bb:cc:dd:ee:ff" */
};

struct fval {
	uint64_t u;
	int64_t i;
	const char *s;
	const uint8_t *b;	/* FT_ADDR, FT_MAC */
};

/* Field flags */
#define FF_DIR		0x01	/* per direction: text <text>_f and <text>_b */
#define FF_HEX		0x02	/* text: %08x */
#define FF_DIRNAME	0x04	/* text: "ingress"/"egress" (JSON: the number) */
#define FF_OPT		0x08	/* JSON: left out when absent */

/* IPFIX element flags: which data templates carry it */
#define IE_BI		0x01	/* biflow templates only */
#define IE_REVONLY	0x02	/* per direction, sent for the reverse only */
#define IE_L2		0x04	/* L2 templates only (interfaces with MAC addresses) */
#define IE_PLUGIN	0x08	/* plugin templates only; len 0: variable length (a string) */

struct field_ie {
	uint16_t id;		/* in IPv4 templates (0: not there) */
	uint16_t id6;		/* in IPv6 templates (0: not there) */
	uint16_t id_eg;		/* in egress templates instead of id (0: the same) */
	uint16_t rev_id;	/* reverse: the vendor's OUT twin (0: RFC 5103 rule) */
	uint8_t len, len6;	/* encoded length (reduced-size where < the type's) */
	uint8_t flags;		/* IE_* */
	uint32_t pen;		/* 0: IANA */
	const char *name;	/* information element name, for the docs */
};

struct field {
	const char *name;	/* unique, for the docs and the tests */
	enum ftype type;
	uint8_t flags;		/* FF_* */
	const char *text;	/* text column (FF_DIR: its stem), NULL: none */
	const char *json[3];	/* JSON key per enum fdir form, NULL: none */
	const char *json6;	/* the FD_REC key of IPv6 records, when it differs */
	struct field_ie ie;	/* id 0 and id6 0: not exported */
	int arg;		/* for the getter: a histogram bucket */
	/* The value of form d; false when it is absent (out still holds a default). */
	bool (*get)(const struct field *f, const struct flow_view *v, int d, struct fval *out);
	const char *doc;	/* what it means, for the docs */
};

enum field_id {
	/* the flow key */
	F_SADDR, F_DADDR, F_PROTO, F_SPORT, F_DPORT, F_IPVER, F_ICMP, F_TSPORT, F_TDPORT,
	/* volume and time */
	F_IFNAME, F_FIRST_SEEN, F_LAST_SEEN, F_IAT_MEAN, F_PKTS, F_FLOW_LABEL, F_TOS, F_BYTES,
	F_LEN_MIN, F_LEN_MAX,
	F_SIZE_0, F_SIZE_LAST = F_SIZE_0 + FLOWMON_SIZE_BUCKETS - 1,
	F_TTL_MIN, F_TTL_MAX,
	F_TTLH_0, F_TTLH_LAST = F_TTLH_0 + FLOWMON_TTL_BUCKETS - 1,
	/* TCP */
	F_TCP_FLAGS, F_RETR_PKTS, F_RETR_BYTES, F_OOO_PKTS, F_OOO_BYTES, F_WIN_MIN, F_WIN_MAX,
	F_MSS, F_WSCALE,
	/* after the seed's 81 text columns */
	F_END_REASON, F_START_MS, F_END_MS, F_DURATION_MS, F_IAT_MIN, F_IAT_MAX, F_IAT_STDDEV,
	F_IFINDEX, F_DIRECTION, F_FLOW_ID,
	/* JSON and IPFIX only */
	F_BIFLOW_DIR, F_FIRST_MS, F_LAST_MS, F_WIN_MIN_RAW, F_WIN_MAX_RAW,
	/* layer 2: interfaces with MAC addresses only */
	F_VLAN, F_VLAN_INNER, F_SMAC, F_DMAC,
	F_MAX,
};

/* A field in a format's layout: which field, which form. */
struct field_ref {
	uint16_t field;		/* enum field_id */
	uint8_t dir;		/* enum fdir */
};

extern const struct field flow_fields[F_MAX];
const struct field *field_by_name(const char *name);

/*
 * The whole table: flow_fields, then the dynamic fields (the loaded
 * plugins', plugins.h) with ids from F_MAX on. A format walks ids up to
 * field_count(); the generation changes whenever the dynamic part does, so
 * that a format rebuilds what it derived (its order, a text header, IPFIX
 * templates).
 */
#define FIELDS_DYN_MAX	192
const struct field *field_at(unsigned int id);
unsigned int field_count(void);
unsigned int fields_generation(void);
/* Replace the dynamic fields (copied; their strings must outlive them). 0 or -1. */
int fields_set_dynamic(const struct field *f, unsigned int n);

/* JSON key of form d of f for the record's IP version; NULL: none. */
const char *field_json_key(const struct field *f, int d, int ipver);

/*
 * Write the documentation of the table to out: kind "man" (the FIELDS
 * lists of tc_flowmon_user(8)), "ipfix" (docs/IPFIX.md's element table).
 */
int fields_doc(FILE *out, const char *kind);

#endif /* __FLOWMON_FIELDS_H */

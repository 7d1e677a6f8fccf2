/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * ipfix.h - a pure IPFIX (RFC 7011) message encoder for merged flow records:
 * fixed templates (IPv4/IPv6, RFC 5103 biflow or uniflow), an options
 * record with exporter statistics, and a message builder that packs records
 * up to a size cap. No sockets here (export.c sends what this builds).
 *
 * Layout of every template: docs/IPFIX.md.
 */
#ifndef __FLOWMON_IPFIX_H
#define __FLOWMON_IPFIX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "flowrec.h"

#define IPFIX_VERSION		10
#define IPFIX_PORT		4739
#define IPFIX_HDR_LEN		16
#define IPFIX_SET_HDR_LEN	4
#define IPFIX_SET_TEMPLATE	2
#define IPFIX_SET_OPTIONS	3
#define IPFIX_DEFAULT_MAX_MSG	1400	/* fits a 1500-byte path MTU over UDP/IPv6 */
#define IPFIX_MIN_MAX_MSG	1024	/* the largest template must fit in one message */
#define IPFIX_MAX_MSG		65535

/* Private Enterprise Numbers used in the templates. */
#define IPFIX_PEN_REVERSE	29305	/* RFC 5103 reverse information elements */
#define IPFIX_PEN_NTOP		35632	/* ntop (nProbe) information elements */
#ifndef IPFIX_PEN_FLOWMON
/*
 * Our own elements, by default. Placeholder until bpfFlowMon registers a
 * PEN: 32473 is the IANA number reserved for documentation (RFC 5612),
 * which no vendor owns. --pen N sends another at run time (struct
 * ipfix_msg.pen); -DIPFIX_PEN_FLOWMON=N changes the default.
 */
#define IPFIX_PEN_FLOWMON	32473
#endif
/* Reverse of an enterprise-specific element: same PEN, this bit set (RFC 5103 6.2). */
#define IPFIX_REVERSE_BIT	0x4000

/*
 * Template IDs: IPFIX_TID_DATA + a combination of the flags below, so 256..263
 * for flow records; the options template (exporter statistics) is 264. The
 * records of interfaces with MAC addresses (flow_side.has_l2) use the L2
 * templates 272..279: the same plus VLAN IDs and MAC addresses.
 */
#define IPFIX_TID_DATA		256
#define IPFIX_TID_L2		272
#define IPFIX_TF_V6		0x1	/* IPv6 addresses, icmpTypeCodeIPv6, flowLabelIPv6 */
#define IPFIX_TF_UNI		0x2	/* uniflow: no reverse elements */
#define IPFIX_TF_EGRESS		0x4	/* seen at an egress hook: egressInterface, not ingress */
#define IPFIX_TF_L2		0x8	/* (not part of the id) vlanId, dot1qCustomerVlanId, MACs */
#define IPFIX_TF_PLUGIN		0x10	/* (not part of the id) the loaded plugins' fields */
#define IPFIX_TID_STATS		264
/*
 * Records that carry plugin results (flow_record.plug) use the plugin
 * templates: the data or L2 template plus every loaded plugin's exported
 * fields, id IPFIX_TID_PLUGIN + 16 * (field generation % 64) + tf (+ 8 for
 * L2). A new plugin set gets new ids, so a collector never sees an id
 * change its meaning within a session; they are announced when first used.
 */
#define IPFIX_TID_PLUGIN	1024
#define IPFIX_TID_PLUGIN_END	(IPFIX_TID_PLUGIN + 64 * 16)
#define IPFIX_VARLEN		65535	/* template length of a variable-length element */
#define IPFIX_N_TEMPLATES	9	/* announced at a session's start; L2 ones when first used */

/* Metering process counters for the options record (kernel counters, summed over CPUs). */
struct ipfix_meter_stats {
	uint64_t table_full_pkts;	/* packets of flows the full table could not take */
	uint64_t table_full_bytes;
	uint64_t parse_errors;		/* packets dropped from accounting: bad/truncated headers */
	uint16_t active_timeout_s;	/* 0: not announced */
	uint16_t idle_timeout_s;
};

/* Everything in one options record: meter counters plus one collector's export counters. */
struct ipfix_stats {
	struct ipfix_meter_stats meter;
	uint64_t records_sent;		/* data records handed to the transport */
	uint64_t records_dropped;	/* data records lost: collector down, send error, queue full */
	uint64_t messages_sent;
	uint64_t octets_sent;
};

/*
 * One message being built in a caller's buffer. Fill with ipfix_msg_init(),
 * add templates and records, then ipfix_msg_finish() writes the header.
 * Sets are not padded (RFC 7011 3.3.1 allows, does not require it).
 * pen: the enterprise number of our own elements (IPFIX_PEN_FLOWMON
 * unless the caller sets another after ipfix_msg_init()).
 */
struct ipfix_msg {
	uint8_t *buf;
	size_t cap;		/* max message length, <= IPFIX_MAX_MSG */
	size_t len;		/* bytes used, header included */
	size_t set_off;		/* offset of the open set's header, 0: none open */
	uint16_t set_id;
	uint32_t odid;		/* observation domain id */
	uint32_t seq;		/* data records sent before this message (header field) */
	uint32_t nrec;		/* data records in this message (options records included) */
	uint32_t pen;		/* PEN of our own elements (--pen) */
};

void ipfix_msg_init(struct ipfix_msg *m, uint8_t *buf, size_t cap, uint32_t odid, uint32_t seq);
static inline bool ipfix_msg_empty(const struct ipfix_msg *m)
{
	return m->len <= IPFIX_HDR_LEN;
}

/*
 * Append the template record tid (a data template, in a Template Set, or
 * IPFIX_TID_STATS, in an Options Template Set). Returns 0, -ENOSPC when the
 * message has no room (nothing written), -EINVAL for an unknown id.
 */
int ipfix_msg_add_template(struct ipfix_msg *m, uint16_t tid);

/*
 * Append one flow: one biflow record, or with uniflow one record per
 * direction seen (never split across messages). Returns the number of data
 * records added (1 or 2) or -ENOSPC (nothing written).
 */
int ipfix_msg_add_flow(struct ipfix_msg *m, const struct flow_record *r, bool uniflow);

/* Append the options record (scope: observationDomainId). 1 or -ENOSPC. */
int ipfix_msg_add_stats(struct ipfix_msg *m, const struct ipfix_stats *st);

/* Close the open set and write the header. Returns the message length. */
size_t ipfix_msg_finish(struct ipfix_msg *m, uint32_t export_time);

/*
 * The templates a session announces: the data templates of the mode
 * (uniflow or biflow: IPv4/IPv6 x ingress/egress) and the options template.
 * Writes up to max ids to out, returns how many there are.
 */
int ipfix_session_templates(bool uniflow, uint16_t *out, int max);

/* Encoded length of template tid's record and of its data records; 0 if unknown. */
size_t ipfix_template_rec_len(uint16_t tid);
size_t ipfix_data_rec_len(uint16_t tid);
/* Fields of template tid; 0 if unknown. */
int ipfix_template_fields(uint16_t tid);

/* Template id that encodes r's forward direction (uniflow: also the reverse, with rev). */
uint16_t ipfix_flow_tid(const struct flow_record *r, bool uniflow, bool rev);
/* The plugin templates of the current field generation start here (16 ids). */
uint16_t ipfix_plugin_tid_base(void);

/* Template tid as a Markdown table (docs/IPFIX.md). Returns its field count or -EINVAL. */
int ipfix_doc_template(FILE *out, uint16_t tid);

/* Meter counters from the kernel's per-CPU-summed flowmon_counters array (CNT_*). */
void ipfix_meter_from_counters(struct ipfix_meter_stats *ms, const uint64_t *cnt, size_t n);

#endif /* __FLOWMON_IPFIX_H */

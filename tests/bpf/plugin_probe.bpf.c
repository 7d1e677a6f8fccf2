// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * plugin_probe.bpf.c - a test plugin (tests/bpf/test_plugins.c): records,
 * per record, what the hook handed it, so that a test compares it with the
 * meter's own record and with the packets it sent. Built twice (PROBE_NAME)
 * to test two plugins in a row.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "flowmon/plugin.h"

#ifndef PROBE_NAME
#define PROBE_NAME "probe"
#endif

struct probe_result {
	__u64 packets FM_JSON("PROBE_PACKETS") FM_IPFIX(32473, 3001)
		FM_DOC("calls for the record");
	__u64 l3_bytes FM_JSON("PROBE_L3_BYTES") FM_DOC("sum of l3_len");
	__u64 payload FM_JSON("PROBE_PAYLOAD") FM_DOC("sum of payload_len");
	__u64 first_time FM_JSON("PROBE_FIRST_TIME") FM_DOC("time of the first call");
	__u64 last_time FM_JSON("PROBE_LAST_TIME") FM_DOC("time of the last call");
	__u32 seq FM_JSON("PROBE_SEQ") FM_DOC("last TCP sequence number");
	__u16 l3_off FM_JSON("PROBE_L3_OFF") FM_DOC("last l3_off");
	__u16 l4_off FM_JSON("PROBE_L4_OFF") FM_DOC("last l4_off");
	__u16 payload_off FM_JSON("PROBE_PAYLOAD_OFF") FM_DOC("last payload_off");
	__u16 tcp_flags FM_JSON("PROBE_TCP_FLAGS") FM_DOC("OR of tcp_flags");
	__u8 dirs FM_JSON("PROBE_DIRS") FM_DOC("bit per dir seen");
	__u8 hooks FM_JSON("PROBE_HOOKS") FM_DOC("bit per hook seen");
	__u8 frag FM_JSON("PROBE_FRAG") FM_DOC("last frag");
	__u8 exact FM_JSON("PROBE_EXACT") FM_DOC("last time_exact | replay << 1");
	char label[16] FM_JSON("PROBE_LABEL") FM_IPFIX(32473, 3002) FM_DOC("the plugin's name");
} FM_PLUGIN(PROBE_NAME, "test plugin: what the hook hands a plugin");

FM_RESULTS(struct probe_result, 4096);

const struct probe_result zero_result = { .label = PROBE_NAME };

static __always_inline void probe(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	struct probe_result *r = fm_result(c, &zero_result);

	if (!r)
		return;
	if (!r->packets)
		r->first_time = c->time;
	r->packets++;
	r->l3_bytes += c->l3_len;
	r->payload += c->payload_len;
	r->last_time = c->time;
	r->seq = c->seq;
	r->l3_off = c->l3_off;
	r->l4_off = c->l4_off;
	r->payload_off = c->payload_off;
	r->tcp_flags |= c->tcp_flags;
	r->dirs |= 1 << (c->dir & 7);
	r->hooks |= 1 << (c->hook & 7);
	r->frag = c->frag;
	r->exact = c->time_exact | c->replay << 1;
	fm_count(FM_PC_PARSED, 1);
}

FLOWMON_PLUGIN(probe);

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * count.bpf.c - a small bpfFlowMon plugin, built outside the tree against the
 * installed header (docs/PLUGINS.md): per record, the packets that carry a
 * payload, their payload bytes, and the first bytes of the first payload as
 * text (what a protocol says first: "GET /", "SSH-2.0", ...).
 *
 *	make			# PREFIX=/usr/local by default: where flowmon/plugin.h is
 *	tc_flowmon_user plugin load count.bpf.o
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "flowmon/plugin.h"

#define FIRST_BYTES 16

struct count_result {
	__u64 data_packets FM_JSON("PAYLOAD_PACKETS") FM_IPFIX(32473, 9001)
		FM_DOC("packets with a payload");
	__u64 data_bytes FM_JSON("PAYLOAD_BYTES") FM_IPFIX(32473, 9002)
		FM_DOC("their payload bytes");
	char first[FIRST_BYTES + 1] FM_JSON("PAYLOAD_FIRST") FM_TEXT("payload_first")
		FM_DOC("the first bytes of the first payload, printable ones only");
} FM_PLUGIN("count", "payload packets and bytes, and how the payload starts") FM_PROTOS("6,17");

FM_RESULTS(struct count_result, 65536);

const struct count_result zero_result = {};

static __always_inline void count(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	struct count_result *r;
	__u32 n, i;

	if (!c->l4_off || !c->payload_len)
		return;			/* no payload, or a later fragment */
	r = fm_result(c, &zero_result);
	if (!r)
		return;
	if (!r->data_packets++) {
		n = fm_bound(c->payload_len < FIRST_BYTES ? c->payload_len : FIRST_BYTES,
			     FIRST_BYTES);
		if (n && !fm_load(p, c->payload_off, r->first, n)) {
			for (i = 0; i < FIRST_BYTES; i++)
				if (r->first[i] && (r->first[i] < 0x20 || r->first[i] > 0x7e))
					r->first[i] = '.';
		}
	}
	r->data_bytes += c->payload_len;
	fm_count(FM_PC_PARSED, 1);
}

FLOWMON_PLUGIN(count);

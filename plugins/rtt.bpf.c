// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * rtt.bpf.c - TCP handshake round-trip times, as seen at the meter's hook.
 *
 * The three-way handshake (RFC 9293 3.5): SYN from the client, SYN-ACK from
 * the server acknowledging the client's ISN + 1, ACK from the client
 * acknowledging the server's ISN + 1. At the hook, SYN -> SYN-ACK is the
 * round trip between the hook and the server (TCP_RTT_SERVER_NS), SYN-ACK
 * -> ACK the round trip between the hook and the client (TCP_RTT_CLIENT_NS):
 * a meter next to the client measures the whole path in the first, one next
 * to the server in the second. Both directions must pass the meter (-D both).
 *
 * A SYN sent again restarts the measurement from the last SYN (the one the
 * SYN-ACK most likely answers; Karn's rule would discard the sample, the
 * record says how many SYNs there were). The results belong to the client's
 * record (the SYN's direction), so both values are in one record.
 *
 * Times: the meter's when it is exact (a replayed capture, a kernel stamp),
 * else the clock read here, for these three packets only. Packets of a
 * connection later than RTT_WINDOW_NS after its record started are not
 * looked at: an established flow costs one comparison.
 */
#include <linux/bpf.h>
#include <linux/in.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowmon/plugin.h"

#define RTT_WINDOW_NS	(75ULL * 1000000000ULL)	/* SYN retries span ~63 s on Linux */
#define RTT_PENDING	16384			/* handshakes in progress */

struct rtt_result {
	__u64 server_ns FM_JSON("TCP_RTT_SERVER_NS") FM_IPFIX(32473, 2001)
		FM_DOC("SYN to SYN-ACK at the hook, ns: the round trip hook - server")
		FM_WHEN("have_server");
	__u64 client_ns FM_JSON("TCP_RTT_CLIENT_NS") FM_IPFIX(32473, 2002)
		FM_DOC("SYN-ACK to ACK at the hook, ns: the round trip hook - client")
		FM_WHEN("have_client");
	__u32 syns FM_JSON("TCP_HANDSHAKE_SYNS") FM_IPFIX(32473, 2003)
		FM_DOC("SYNs the client sent (more than 1: retransmitted)");
	__u8 have_server;
	__u8 have_client;
	__u8 pad[2];
} FM_PLUGIN("rtt", "TCP handshake round-trip times at the hook") FM_PROTOS("6");

/* A handshake in progress, under the client's key (the SYN's direction). */
struct handshake {
	__u64 syn_ns;		/* the last SYN */
	__u64 synack_ns;	/* the SYN-ACK that acknowledged it, 0 before */
	__u64 first_seen;	/* the client's record */
	__u32 syn_seq;		/* the client's ISN */
	__u32 synack_seq;	/* the server's ISN */
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, RTT_PENDING);
	__type(key, struct flow_key);
	__type(value, struct handshake);
} rtt_pending SEC(".maps");

FM_RESULTS(struct rtt_result, 65536);

static const struct rtt_result zero_result;

/* The TCP header fields we need: sequence and acknowledgment numbers (RFC 9293 3.1). */
struct tcp_nums {
	__u32 seq;
	__u32 ack;
};

static __always_inline void reverse_key(const struct flow_key *k, struct flow_key *r)
{
	__builtin_memcpy(r, k, sizeof(*r));
	__builtin_memcpy(r->saddr, k->daddr, sizeof(r->saddr));
	__builtin_memcpy(r->daddr, k->saddr, sizeof(r->daddr));
	r->sport = k->dport;
	r->dport = k->sport;
}

/* The sequence and acknowledgment numbers of the packet's TCP header. */
static __always_inline int tcp_nums(const struct fm_plugin_ctx *c, const struct fm_pkt_ref *p,
				    struct tcp_nums *t)
{
	if (fm_load(p, c->l4_off + 4, t, sizeof(*t))) {
		fm_count(FM_PC_UNPARSED, 1);
		return -1;
	}
	t->seq = bpf_ntohl(t->seq);
	t->ack = bpf_ntohl(t->ack);
	return 0;
}

static __always_inline void on_syn(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	struct handshake h = {
		.syn_ns = fm_time_exact(c),
		.first_seen = c->first_seen,
	};
	struct rtt_result *r;
	struct tcp_nums t;

	if (tcp_nums(c, p, &t))
		return;
	h.syn_seq = t.seq;
	r = fm_result(c, &zero_result);
	if (r)
		r->syns++;
	bpf_map_update_elem(&rtt_pending, &c->key, &h, BPF_ANY);
	fm_count(FM_PC_PARSED, 1);
}

/* The server's SYN-ACK must acknowledge the client's ISN + 1. */
static __always_inline void on_synack(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	struct flow_key client;
	struct handshake *h;
	struct rtt_result *r;
	struct tcp_nums t;
	__u64 now;

	reverse_key(&c->key, &client);
	h = bpf_map_lookup_elem(&rtt_pending, &client);
	if (!h || h->synack_ns || tcp_nums(c, p, &t) || t.ack != h->syn_seq + 1)
		return;
	now = fm_time_exact(c);
	h->synack_ns = now;
	h->synack_seq = t.seq;
	fm_count(FM_PC_PARSED, 1);
	/* the client's record: look it up, never create it (it may be over) */
	r = fm_result_of(&client, h->first_seen);
	if (!r)
		return;
	r->server_ns = now - h->syn_ns;
	r->have_server = 1;
}

/* The client's ACK must acknowledge the server's ISN + 1. */
static __always_inline void on_ack(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	struct handshake *h = bpf_map_lookup_elem(&rtt_pending, &c->key);
	struct rtt_result *r;
	struct tcp_nums t;
	__u64 now;

	if (!h || !h->synack_ns || tcp_nums(c, p, &t) || t.ack != h->synack_seq + 1)
		return;
	now = fm_time_exact(c);
	r = fm_result_of(&c->key, h->first_seen);
	if (r) {
		r->client_ns = now - h->synack_ns;
		r->have_client = 1;
	}
	bpf_map_delete_elem(&rtt_pending, &c->key);
	fm_count(FM_PC_PARSED, 1);
}

/*
 * The handshake's three packets by their flags; the numbers are read only
 * for a packet that may belong to a handshake in progress.
 */
static __always_inline void rtt(struct fm_plugin_ctx *c, const struct fm_pkt_ref *p)
{
	__u16 f = c->tcp_flags & (FLOW_TCPF_SYN | FLOW_TCPF_ACK | FLOW_TCPF_RST);

	if (c->key.proto != IPPROTO_TCP || !c->l4_off)
		return;
	if (f == FLOW_TCPF_SYN)
		on_syn(c, p);
	else if (f == (FLOW_TCPF_SYN | FLOW_TCPF_ACK))
		on_synack(c, p);
	else if (f == FLOW_TCPF_ACK && c->time - c->first_seen <= RTT_WINDOW_NS)
		on_ack(c, p);	/* later than that, long past its handshake */
}

FLOWMON_PLUGIN(rtt);

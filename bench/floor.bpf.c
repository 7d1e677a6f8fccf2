// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * floor.bpf.c - the benchmark's baseline: the least a TC flow counter can
 * do (Ethernet, IPv4/IPv6, TCP/UDP ports into the same 40-byte flow_key,
 * one hash lookup, two atomic adds, BPF_NOEXIST insert on a miss).
 *
 * Built by the Makefile's $(OUTPUT)/%.bpf.o rule with clang -target bpf.
 * The bench link rule globs every bench C file, so gcc sees this one too: outside
 * the BPF target it compiles to nothing.
 */
#if defined(__bpf__)
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>
#include "flowmon.h"

#define TC_ACT_UNSPEC	(-1)
#define EEXIST		17
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD

struct floor_val {
	__u64 packets;
	__u64 bytes;
};

/* key: the same struct flow_key as flowmon_stats (same hash cost); nobody deletes */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, FLOWMON_DEFAULT_MAX_FLOWS);	/* the harness sets it */
	__type(key, struct flow_key);
	__type(value, struct floor_val);
} floor_flows SEC(".maps");

/* IPv4 or IPv6 header into k, *len = IP length; the L4 header, or NULL. */
static __always_inline void *floor_l3(struct ethhdr *eth, void *end, struct flow_key *k,
				      __u32 *len)
{
	if (eth->h_proto == bpf_htons(ETH_P_IP)) {
		struct iphdr *ip = (void *)(eth + 1);

		if ((void *)(ip + 1) > end || ip->ihl < 5)
			return NULL;
		k->ipver = 4;
		k->proto = ip->protocol;
		__builtin_memcpy(k->saddr, &ip->saddr, 4);
		__builtin_memcpy(k->daddr, &ip->daddr, 4);
		*len = bpf_ntohs(ip->tot_len);
		return (void *)ip + ip->ihl * 4;
	}
	if (eth->h_proto == bpf_htons(ETH_P_IPV6)) {
		struct ipv6hdr *ip6 = (void *)(eth + 1);

		if ((void *)(ip6 + 1) > end)
			return NULL;
		k->ipver = 6;
		k->proto = ip6->nexthdr;
		__builtin_memcpy(k->saddr, &ip6->saddr, 16);
		__builtin_memcpy(k->daddr, &ip6->daddr, 16);
		*len = bpf_ntohs(ip6->payload_len) + sizeof(*ip6);
		return ip6 + 1;
	}
	return NULL;
}

/* Ethernet, IP and TCP/UDP ports into k. 0, or -1 for anything else. */
static __always_inline int floor_parse(struct __sk_buff *skb, struct flow_key *k, __u32 *len)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	__be16 *ports;

	if ((void *)(eth + 1) > end)
		return -1;
	ports = floor_l3(eth, end, k, len);
	if (!ports)
		return -1;
	if (k->proto != IPPROTO_TCP && k->proto != IPPROTO_UDP)
		return 0;	/* a flow without ports */
	if ((void *)(ports + 2) > end)
		return -1;
	k->sport = bpf_ntohs(ports[0]);
	k->dport = bpf_ntohs(ports[1]);
	return 0;
}

SEC("tc")
int floor_count(struct __sk_buff *skb)
{
	struct floor_val *v, nv;
	struct flow_key k;
	__u32 len;

	__builtin_memset(&k, 0, sizeof(k));
	if (floor_parse(skb, &k, &len))
		return TC_ACT_UNSPEC;
	v = bpf_map_lookup_elem(&floor_flows, &k);
	if (!v) {
		nv.packets = 1;
		nv.bytes = len;
		if (bpf_map_update_elem(&floor_flows, &k, &nv, BPF_NOEXIST) != -EEXIST)
			return TC_ACT_UNSPEC;
		v = bpf_map_lookup_elem(&floor_flows, &k);	/* lost a race: add to it */
		if (!v)
			return TC_ACT_UNSPEC;
	}
	__sync_fetch_and_add(&v->packets, 1);
	__sync_fetch_and_add(&v->bytes, len);
	return TC_ACT_UNSPEC;
}

/* Calibration: what BPF_PROG_TEST_RUN itself costs per run. */
SEC("tc")
int floor_nop(struct __sk_buff *skb)
{
	return TC_ACT_UNSPEC;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
#endif /* __bpf__ */

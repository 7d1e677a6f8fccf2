// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * other.bpf.c - two programs of another party for the tcx ordering test:
 * each counts the IPv4 UDP datagrams to port 7777 it sees and lets every
 * packet go on (TCX_NEXT).
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#define TCX_NEXT	(-1)
#define PORT		7777

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u64);
} other_counts SEC(".maps");

static __always_inline int count(struct __sk_buff *skb, __u32 slot)
{
	void *data = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct udphdr *udp = (void *)(ip + 1);
	__u64 *c;

	if ((void *)(udp + 1) > end || eth->h_proto != bpf_htons(0x0800) || ip->ihl != 5 ||
	    ip->protocol != 17 || udp->dest != bpf_htons(PORT))
		return TCX_NEXT;
	c = bpf_map_lookup_elem(&other_counts, &slot);
	if (c)
		__sync_fetch_and_add(c, 1);
	return TCX_NEXT;
}

SEC("tc")
int other_a(struct __sk_buff *skb)
{
	return count(skb, 0);
}

SEC("tc")
int other_b(struct __sk_buff *skb)
{
	return count(skb, 1);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";

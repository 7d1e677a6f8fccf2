/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * pkt.h - the packet context: what a hook hands the datapath.
 *
 * A thin entry point (TC's skb, XDP's xdp_md, the offline engine's buffer)
 * fills a struct fm_pkt; the parsers read the packet through it and fill a
 * struct fm_meta; accounting works on the fm_meta alone. So a new hook is
 * one more entry point, as Cilium's ctx layer makes it for skb and xdp.
 */
#ifndef __FLOWMON_PKT_H
#define __FLOWMON_PKT_H

enum fm_hook {
	FM_HOOK_SKB = 0,	/* TC (clsact/tcx): struct __sk_buff */
	FM_HOOK_XDP = 1,	/* XDP: struct xdp_md */
	FM_HOOK_NATIVE = 2,	/* offline engine: a frame in memory */
};

struct fm_pkt {
	void *data;		/* first byte the hook lets us read directly */
	void *end;		/* one past the last */
	void *ctx;		/* the hook's context, for fm_load_bytes() */
	__u32 frame_len;	/* whole frame on the wire (may exceed end - data) */
	__u8 hook;		/* enum fm_hook: a constant in each entry point */
	__u8 has_l2;		/* an Ethernet header precedes the IP header */
	__u8 fake_l2;		/* ... made up by a capture converter: no real MACs */
	__u8 pad;
};

/* What one packet (or one GSO/GRO aggregate) contributes to its flow. */
struct fm_meta {
	struct flow_key key;
	__u64 tstamp;		/* a time the kernel stamped on the packet, or 0 */
	__u64 when;		/* out: the time the packet was counted at */
	__u64 rec_first;	/* out: first_seen of the record it was counted in (plugins) */
	__u32 l3_len;		/* bytes from the IP header to the end of this packet */
	__u32 l3_off;		/* offset of the IP header from the frame start */
	__u32 hdr_len;		/* IP (+ extension) + L4 header: repeated in every GSO segment */
	__u32 seq;
	__u32 payload;		/* TCP payload bytes */
	__u32 flow_label;
	__u32 frag_id;
	__u32 frame_len;	/* whole frame, for IP length fields of 0 */
	__u32 key_fp;		/* fingerprint of key (account.h) */
	__u32 ifindex;		/* interface of the hook */
	__u32 gso_segs;		/* segments of a GSO/GRO aggregate (0 or 1: a packet) */
	__u32 gso_size;
	__u16 tcp_flags;
	__u16 window;
	__u16 mss;
	__u16 vlan_outer;	/* VLAN IDs (12 bits), 0 when untagged */
	__u16 vlan_inner;
	__u8 smac[6];
	__u8 dmac[6];
	__u8 wscale;
	__u8 ttl;
	__u8 tos;
	__u8 is_tcp;
	__u8 frag;		/* FRAG_NONE / FRAG_FIRST / FRAG_LATER */
	__u8 dir;		/* enum flowmon_dir of the hook */
	__u8 has_l2;
	__u8 tstamp_mono;	/* tstamp is CLOCK_MONOTONIC (a TCP delivery time) */
	__u8 vlan_meta;		/* the outer tag came from skb metadata, not the frame */
	__u8 missing;		/* the fast path found no entry: create it, no lookup */
	__u16 l4_off;		/* general path: offset of the L4 header, 0 if none */
};

enum { FRAG_NONE = 0, FRAG_FIRST, FRAG_LATER };

#define PARSE_NON_IP	(-1)

/* Copy len bytes at offset off of the packet (past end too, where the hook can). */
FM_INLINE long fm_load_bytes(const struct fm_pkt *p, __u32 off, void *buf, __u32 len)
{
#ifdef FM_NATIVE
	if (off + len < off || off + len > (__u32)((char *)p->end - (char *)p->data))
		return -1;
	memcpy(buf, (char *)p->data + off, len);
	return 0;
#else
	if (p->hook == FM_HOOK_XDP)
		return bpf_xdp_load_bytes(p->ctx, off, buf, len);
	return bpf_skb_load_bytes(p->ctx, off, buf, len);
#endif
}

#endif /* __FLOWMON_PKT_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* config.bpf.h - load-time knobs and the constants vmlinux.h lacks (macros). */
#ifndef __FLOWMON_CONFIG_BPF_H
#define __FLOWMON_CONFIG_BPF_H

#define TC_ACT_UNSPEC	(-1)	/* "continue": later filters on the hook still run */

#define EEXIST		17	/* errno, for BPF_NOEXIST races */
#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_IPV6	0x86DD
#define ETH_P_8021Q	0x8100
#define ETH_P_8021AD	0x88A8
#define ETH_P_QINQ1	0x9100

/* IPv6 extension headers (RFC 8200 4.1): uapi macros, not in vmlinux.h */
#define IPPROTO_HOPOPTS		0
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
#define IPPROTO_DSTOPTS		60
#define IPPROTO_ICMPV6		58

#define HOOK_SILENCE_NS	1000000000LL	/* a first hook this quiet hands its flow over */
#define EAGAIN		11
#define GSO_BY_FRAGS	0xFFFF	/* gso_size of skbs segmented along their frag list */

#define VLAN_MAX_DEPTH	8	/* stacked 802.1Q/802.1ad tags walked in the frame */
#define IPV6_EXT_MAX	8	/* IPv6 extension headers walked before giving up */
#define TCP_OPT_SPACE	40	/* RFC 9293 3.1: data offset <= 15 words */

/* Load-time knobs (see struct flowmon_config); defaults for iproute2 loads. */
const volatile struct flowmon_config flowmon_cfg = {
	.idle_timeout_ns = FLOWMON_DEFAULT_IDLE_SEC * 1000000000ULL,
	.active_timeout_ns = FLOWMON_DEFAULT_ACTIVE_SEC * 1000000000ULL,
	.replay_mode = 0,
};

#endif /* __FLOWMON_CONFIG_BPF_H */

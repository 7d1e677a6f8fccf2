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

/* IPv6 extension headers (RFC 8200 4.1): uapi macros, not in vmlinux.h */
#define IPPROTO_HOPOPTS		0
#define IPPROTO_ROUTING		43
#define IPPROTO_FRAGMENT	44
#define IPPROTO_DSTOPTS		60
#define IPPROTO_ICMPV6		58

#define VLAN_MAX_DEPTH	8	/* stacked 802.1Q/802.1ad tags walked in the frame */
#define IPV6_EXT_MAX	8	/* IPv6 extension headers walked before giving up */
#define TCP_OPT_SPACE	40	/* RFC 9293 3.1: data offset <= 15 words */

/*
 * Knobs set by the loader between open and load (.rodata, frozen after
 * load, so the verifier prunes what a knob turns off). The defaults are
 * what iproute2 gets when it loads the object itself.
 */
const volatile __u8 replay_mode = 0;	/* 1: time = skb->tstamp (BPF_PROG_TEST_RUN) */
const volatile __u64 idle_timeout_ns = 15ULL * 1000000000ULL;
const volatile __u64 active_timeout_ns = 1800ULL * 1000000000ULL;

#endif /* __FLOWMON_CONFIG_BPF_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * pairing.h - which two unidirectional flows make one connection. The BPF
 * program (record splits, the sweeper) and userland (records, tests) both
 * include this one header, so that they can never disagree.
 */
#ifndef __FLOWMON_PAIRING_H
#define __FLOWMON_PAIRING_H

#ifndef FM_INLINE
#include <linux/types.h>
#include "flowmon.h"
#define FM_INLINE static inline __attribute__((always_inline))
#endif

/* ICMP (RFC 792) and ICMPv6 (RFC 4443): the parsers key them by type and code */
#define FM_IPPROTO_ICMP		1
#define FM_IPPROTO_ICMPV6	58

FM_INLINE int fm_is_icmp(__u8 proto)
{
	return proto == FM_IPPROTO_ICMP || proto == FM_IPPROTO_ICMPV6;
}

/*
 * ICMP/ICMPv6 type of the answer to this type: request and reply are one
 * connection. Any other type pairs with itself.
 */
FM_INLINE __u16 fm_icmp_peer(__u8 proto, __u16 type)
{
	if (proto == FM_IPPROTO_ICMP) {
		switch (type) {
		case 0: return 8;	/* echo (RFC 792) */
		case 8: return 0;
		case 13: return 14;	/* timestamp */
		case 14: return 13;
		case 15: return 16;	/* information */
		case 16: return 15;
		case 17: return 18;	/* address mask (RFC 950) */
		case 18: return 17;
		}
	} else if (proto == FM_IPPROTO_ICMPV6) {
		switch (type) {
		case 128: return 129;	/* echo (RFC 4443) */
		case 129: return 128;
		case 130: return 131;	/* MLD query / report (RFC 2710) */
		case 131: return 130;
		case 133: return 134;	/* router solicitation / advertisement (RFC 4861) */
		case 134: return 133;
		case 135: return 136;	/* neighbour solicitation / advertisement */
		case 136: return 135;
		case 139: return 140;	/* node information query / reply (RFC 4620) */
		case 140: return 139;
		case 144: return 145;	/* home agent address discovery (RFC 6275) */
		case 145: return 144;
		case 146: return 147;	/* mobile prefix solicitation / advertisement */
		case 147: return 146;
		}
	}
	return type;
}

/*
 * The other direction of a connection: addresses swapped; ports swapped;
 * for ICMP the type replaced by its peer type, the code kept. r may not
 * alias k.
 */
FM_INLINE void fm_reverse_key(const struct flow_key *k, struct flow_key *r)
{
	int i;

	for (i = 0; i < 16; i++) {
		r->saddr[i] = k->daddr[i];
		r->daddr[i] = k->saddr[i];
	}
	r->proto = k->proto;
	r->ipver = k->ipver;
	r->pad[0] = 0;
	r->pad[1] = 0;
	if (fm_is_icmp(k->proto)) {
		r->sport = fm_icmp_peer(k->proto, k->sport);
		r->dport = k->dport;
	} else {
		r->sport = k->dport;
		r->dport = k->sport;
	}
}

#endif /* __FLOWMON_PAIRING_H */

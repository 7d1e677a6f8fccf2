/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* linktype.h - captured frames of any IP-carrying link type as Ethernet frames (pure). */
#ifndef __FLOWMON_LINKTYPE_H
#define __FLOWMON_LINKTYPE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Turn a captured frame of any IP-carrying link type (Ethernet, raw IP,
 * IPv4, IPv6, Linux cooked v1/v2, BSD loopback, NFLOG, ...) into an Ethernet
 * frame the TC program can parse. Pure. Returns the frame
 * length, 0 when the frame carries no IP (skipped), -1 when it is too short.
 */
int frame_to_eth(int linktype, const uint8_t *pkt, uint32_t caplen, uint8_t *out,
		 uint32_t outsz);
/* Does frame_to_eth() know the link type? */
bool linktype_supported(int linktype);
/* The shortest snapshot that holds its link header and an IPv4 header; -1 if unsupported. */
int linktype_min_snaplen(int linktype);

#endif /* __FLOWMON_LINKTYPE_H */

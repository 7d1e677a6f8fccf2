// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* flowrec.c - decode a kernel table entry into the record model. */
#include <string.h>
#include "flowrec.h"

/*
 * A histogram from the entry's stored buckets: the one left out (flowmon.h)
 * is packets minus the others, modulo 2^32 like the stored counters.
 */
static void hist_decode(const __u32 *stored, uint32_t *out, int buckets, int derived,
			const struct flow_metrics *m)
{
	uint32_t rest = (uint32_t)m->packets;
	int i, j;

	if (!(m->features & FLOWMON_F_HIST))
		return;		/* not metered: all zero */
	for (i = 0, j = 0; i < buckets; i++) {
		if (i == derived)
			continue;
		out[i] = stored[j++];
		rest -= out[i];
	}
	out[derived] = rest;
}

/*
 * The entry as the record's features left it: a table of a smaller profile
 * has shorter entries (flowmon.h), and what lies beyond them in an event is
 * not the record's. A block not metered reads as a record starts it
 * (account.h record_restart, tcp_forget).
 */
static void side_mask(struct flow_metrics *m)
{
	if (!(m->features & FLOWMON_F_TCP)) {
		memset((char *)m + FLOWMON_END_HOT, 0, FLOWMON_END_TCP - FLOWMON_END_HOT);
		m->wscale = FLOW_WSCALE_NONE;
		m->state &= ~(FLOW_ST_SEQ_VALID | FLOW_ST_HOLE_VALID | FLOW_ST_SYN_WIN |
			      FLOW_ST_WIN);
	}
	if (!(m->features & FLOWMON_F_L2)) {
		memset((char *)m + FLOWMON_END_TCP, 0, FLOWMON_END_L2 - FLOWMON_END_TCP);
		m->state &= ~FLOW_ST_L2;
	}
	if (!(m->features & FLOWMON_F_IAT)) {
		m->iat_min = ~0ULL;
		m->iat_max = 0;
		m->iat_sumsq = 0;
	}
	if (!(m->features & FLOWMON_F_HIST))
		memset((char *)m + FLOWMON_END_IAT, 0, FLOWMON_END_HIST - FLOWMON_END_IAT);
}

void flow_side_decode(const struct flow_metrics *entry, struct flow_side *o)
{
	struct flow_metrics mm = *entry, *m = &mm;

	side_mask(m);
	memset(o, 0, sizeof(*o));
	/* the record's IP version is its key's; flow_record_build sets it */
	o->first_seen = m->first_seen;
	o->last_seen = m->last_seen;
	o->packets = m->packets;
	o->bytes = m->bytes;
	o->arrivals = m->arrivals;
	o->iat_min = m->iat_min;
	o->iat_max = m->iat_max;
	o->iat_sumsq = m->iat_sumsq;
	o->retr_pkts = m->retr_pkts;
	o->retr_bytes = m->retr_bytes;
	o->ooo_pkts = m->ooo_pkts;
	o->ooo_bytes = m->ooo_bytes;
	hist_decode(m->size_hist, o->size_hist, FLOWMON_SIZE_BUCKETS, FLOWMON_SIZE_DERIVED, m);
	hist_decode(m->ttl_hist, o->ttl_hist, FLOWMON_TTL_BUCKETS, FLOWMON_TTL_DERIVED, m);
	o->len_min = m->len_min;
	o->len_max = m->len_max;
	o->win_min = (m->state & FLOW_ST_WIN) ? m->win_min : ~0U;	/* none: min > max */
	o->win_max = (m->state & FLOW_ST_WIN) ? m->win_max : 0;
	o->syn_win = m->syn_win;
	o->flow_label = m->flow_label;
	o->ifindex = m->ifindex;
	o->tcp_flags = m->tcp_flags;
	o->mss = m->mss;
	o->wscale = m->wscale;
	o->tos = m->tos;
	o->ttl_min = m->ttl_min;
	o->ttl_max = m->ttl_max;
	/* XDP meters ingress: the record says ingress (IPFIX flowDirection 0) */
	o->dir = m->dir == FLOW_DIR_XDP ? FLOW_DIR_INGRESS : m->dir;
	o->xdp = m->dir == FLOW_DIR_XDP;
	o->state = m->state & ~(FLOW_ST_WIN | FLOW_ST_L2);	/* these two are decoded here */
	o->vlan_outer = m->vlan_outer;
	o->vlan_inner = m->vlan_inner;
	o->has_l2 = !!(m->state & FLOW_ST_L2);
	if (o->has_l2) {
		memcpy(o->smac, m->smac, sizeof(o->smac));
		memcpy(o->dmac, m->dmac, sizeof(o->dmac));
	}
}

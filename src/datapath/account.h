/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * account.h - add one packet (struct fm_meta) to its flow entry.
 *
 * Concurrency. An entry is created with BPF_NOEXIST (a racing creator gets
 * -EEXIST and updates the winner's entry instead) and changed only while
 * its owner word is locked (flowmon.h: one compare-and-swap that also
 * proves the memory still holds this flow). Holders run with bottom halves
 * off for a few dozen instructions and call no helper, so the lock is
 * cheaper than bpf_spin_lock (a helper call that saves and restores
 * interrupts) and as exact: every field, counters and the ordered views
 * (TCP sequence analysis, minima, inter-arrival gaps), sees the packets of
 * a flow one at a time even when several CPUs carry them.
 */
#ifndef __FLOWMON_ACCOUNT_H
#define __FLOWMON_ACCOUNT_H

#define HOOK_SILENCE_NS	1000000000LL	/* a first hook this quiet hands its flow over */
#define GSO_BY_FRAGS	0xFFFF	/* gso_size of skbs segmented along their frag list */

#define FEAT(f)		(FM_CFG.features & (f))		/* metered */
#define TABLE(f)	(FM_CFG.table_features & (f))	/* held by the table's entries */

/* What the packet stands for on the wire (GSO/GRO aggregates included). */
struct wire {
	__u64 pkts;
	__u64 bytes;
	__u32 seg_len;		/* IP length of every segment but the last */
	__u32 last_len;		/* IP length of the last (or only) segment */
};

FM_INLINE void wire_fill(const struct fm_meta *m, struct wire *w)
{
	__u32 segs = m->gso_segs, gso = m->gso_size;

	w->pkts = 1;
	w->bytes = m->l3_len;
	w->seg_len = m->l3_len;
	w->last_len = m->l3_len;
	if (segs > 1 && gso == GSO_BY_FRAGS) {
		/* SCTP, fraglist UDP: segments of their own sizes, headers each */
		w->pkts = segs;
		w->bytes = m->l3_len + (__u64)(segs - 1) * m->hdr_len;
		w->seg_len = (__u32)(w->bytes / segs);
		w->last_len = w->seg_len;
	} else if (segs > 1 && gso && m->l3_len > (segs - 1) * gso) {
		/* each segment carries its own IP and L4 headers */
		w->pkts = segs;
		w->bytes = m->l3_len + (__u64)(segs - 1) * m->hdr_len;
		w->seg_len = m->hdr_len + gso;
		w->last_len = m->l3_len - (segs - 1) * gso;
	}
}

/*
 * Histogram slots: where a bucket lives in the entry (flowmon.h; the
 * derived bucket has none: FM_NO_SLOT), with a branch or two, no chain of
 * compares. Below 1514 bytes, size buckets change only at multiples of 128:
 * the slot of len >> 7 (0-11) is a nibble of one constant (1408-1513 share
 * step 11 with the rest of the < 1514 bucket).
 */
#define FM_NO_SLOT	0xf
#define FM_SIZE_TOP	1514			/* from here on: the last bucket */
#define FM_SIZE_NIBBLES	0x33332222110FULL	/* steps 0-11: -, 0, 1, 1, 2 x4, 3 x4 */

FM_INLINE __u32 size_slot(__u32 len)
{
	if (len >= FM_SIZE_TOP)
		return FLOWMON_SIZE_SLOTS - 1;
	return (FM_SIZE_NIBBLES >> ((len >> 7) << 2)) & 0xf;
}

/* 0-1, 2-5, 6-32, 33-64 (derived), 65-96, ..., 193-224, 225-255 */
FM_INLINE __u32 ttl_slot(__u32 ttl)
{
	if (ttl - 33 < 32)
		return FM_NO_SLOT;	/* 33-64 */
	if (ttl > 64)
		return ((ttl - 1) >> 5) + 1;	/* 65-96 -> 3, ..., 225-255 -> 8 */
	if (ttl > 5)
		return 2;
	return ttl > 1;
}

/* RFC 1982 serial number arithmetic: survives sequence wrap-around. */
FM_INLINE int seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/*
 * Retransmission / out-of-order: next_seq is the highest sequence end seen.
 * A segment beyond it opens a gap (hole_seq). A segment that starts below
 * next_seq fills the gap if it starts inside it (out of order), otherwise
 * it carries data already seen (retransmission).
 */
FM_INLINE void tcp_seq_update(struct flow_metrics *s, const struct fm_meta *m,
			      const struct wire *w)
{
	__u32 len = m->payload + !!(m->tcp_flags & FLOW_TCPF_SYN) +
		    !!(m->tcp_flags & FLOW_TCPF_FIN);
	__u32 end = m->seq + len;

	if (!len)
		return;		/* pure ACK: no sequence space */
	if (!(s->state & FLOW_ST_SEQ_VALID) || m->seq == s->next_seq) {
		s->state |= FLOW_ST_SEQ_VALID;
		s->next_seq = end;
		return;
	}
	if (seq_before(s->next_seq, m->seq)) {
		s->hole_seq = s->next_seq;	/* data in [next_seq, seq) is missing */
		s->hole_end = m->seq;
		s->state |= FLOW_ST_HOLE_VALID;
		s->next_seq = end;
		return;
	}
	if ((s->state & FLOW_ST_HOLE_VALID) && !seq_before(m->seq, s->hole_seq) &&
	    seq_before(m->seq, s->hole_end)) {
		s->ooo_pkts += w->pkts;
		s->ooo_bytes += m->payload;
		if (m->seq == s->hole_seq)
			s->hole_seq = end;	/* the gap shrinks from its start */
		if (!seq_before(s->hole_seq, s->hole_end))
			s->state &= ~FLOW_ST_HOLE_VALID;
	} else {
		s->retr_pkts += w->pkts;
		s->retr_bytes += m->payload;
	}
	if (seq_before(s->next_seq, end))
		s->next_seq = end;
}

/* Options and windows (FLOWMON_F_TCP). */
FM_INLINE void tcp_update(struct flow_metrics *s, const struct fm_meta *m, const struct wire *w)
{
	if (m->tcp_flags & FLOW_TCPF_SYN) {
		s->syn_win = m->window;
		s->state |= FLOW_ST_SYN_WIN;
		if (m->mss)
			s->mss = m->mss;
		if (m->wscale != FLOW_WSCALE_NONE)
			s->wscale = m->wscale;
	} else if (!(m->tcp_flags & FLOW_TCPF_RST)) {
		/* a RST's window (usually 0) says nothing about the receiver */
		if (!(s->state & FLOW_ST_WIN)) {
			s->state |= FLOW_ST_WIN;
			s->win_min = m->window;
			s->win_max = m->window;
		} else if (m->window < s->win_min) {
			s->win_min = m->window;
		} else if (m->window > s->win_max) {
			s->win_max = m->window;
		}
	}
	tcp_seq_update(s, m, w);
}

/*
 * hist[slot] += n if slot < slots (FM_NO_SLOT: the derived bucket). The
 * histograms end the entry, so the verifier must see the check on the
 * register that indexes: after the barrier the compiler knows nothing of
 * slot, and cannot index with a copy it checked elsewhere.
 */
FM_INLINE void hist_add(__u32 *hist, __u32 slot, __u32 slots, __u32 n)
{
	fm_barrier_var(slot);
	if (slot < slots)
		hist[slot] += n;
}

FM_INLINE void len_update(struct flow_metrics *s, __u32 len, __u32 n)
{
	if (len < s->len_min)
		s->len_min = len;
	if (len > s->len_max)
		s->len_max = len;
	if (!FEAT(FLOWMON_F_HIST))
		return;
	hist_add(s->size_hist, size_slot(len), FLOWMON_SIZE_SLOTS, n);
}

/* The first packet of a record: what a record keeps from it. */
FM_INLINE void first_packet(struct flow_metrics *s, const struct fm_meta *m, __u64 now)
{
	s->first_seen = now;
	s->last_seen = now;
	s->tos = m->tos;
	s->flow_label = m->flow_label;
	if (FEAT(FLOWMON_F_L2)) {
		s->vlan_outer = m->vlan_outer;
		s->vlan_inner = m->vlan_inner;
		fm_memcpy(s->smac, m->smac, 6);
		fm_memcpy(s->dmac, m->dmac, 6);
		if (m->has_l2)
			s->state |= FLOW_ST_L2;
	}
}

/*
 * gap: time since the previous arrival, 0 if not later. Packets of one
 * tick (or burst) have gap 0: then only the minimum can change.
 */
FM_INLINE void iat_update(struct flow_metrics *s, __u64 gap)
{
	__u64 us, sq, sum;

	if (!gap) {
		s->iat_min = 0;
		return;
	}
	if (gap < s->iat_min)
		s->iat_min = gap;
	if (gap > s->iat_max)
		s->iat_max = gap;
	/* gap / 1000 by multiply and shift (exact below 2^32): a divide costs 10 ns */
	us = gap < (1ULL << 32) ? (gap * 274877907ULL) >> 38 : gap / 1000;
	if (us > 0xffffffffULL)
		us = 0xffffffffULL;	/* a gap over 71 min: saturate, never wrap */
	sq = us * us;
	sum = s->iat_sumsq + sq;
	s->iat_sumsq = sum < sq ? ~0ULL : sum;
}

FM_INLINE void ttl_update(struct flow_metrics *s, __u8 ttl, __u32 n)
{
	if (ttl < s->ttl_min)
		s->ttl_min = ttl;
	if (ttl > s->ttl_max)
		s->ttl_max = ttl;
	if (!FEAT(FLOWMON_F_HIST))
		return;
	hist_add(s->ttl_hist, ttl_slot(ttl), FLOWMON_TTL_SLOTS, n);
}

/* Add the packet; s is either locked map memory or a private new entry. */
FM_INLINE void stats_add_inline(struct flow_metrics *s, const struct fm_meta *m,
				const struct wire *w, __u64 now)
{
	__s64 d = now - s->last_seen;	/* signed: replayed captures can step back */

	if (!s->arrivals)
		first_packet(s, m, now);	/* also of an entry emptied by its reverse */
	else if (FEAT(FLOWMON_F_IAT))
		iat_update(s, d > 0 ? d : 0);
	if (d > 0)
		s->last_seen = now;
	/*
	 * A table adopted from a load with other features: the record says
	 * what it was metered with throughout (the derived histogram buckets
	 * count on it).
	 */
	if (s->features & ~FM_CFG.features)
		s->features &= FM_CFG.features;
	if (s->arrivals != ~0U)
		s->arrivals++;
	s->packets += w->pkts;
	s->bytes += w->bytes;
	if (w->pkts > 1)
		len_update(s, w->seg_len, w->pkts - 1);
	len_update(s, w->last_len, 1);
	ttl_update(s, m->ttl, w->pkts);
	if (m->is_tcp) {
		s->tcp_flags |= m->tcp_flags;
		/* orientation needs the opener in every profile */
		if ((m->tcp_flags & (FLOW_TCPF_SYN | FLOW_TCPF_ACK)) == FLOW_TCPF_SYN)
			s->state |= FLOW_ST_INITIATOR;
		if (FEAT(FLOWMON_F_TCP))
			tcp_update(s, m, w);
	}
}

/*
 * The same as a function of its own in BPF, for the general path: one copy
 * of its code. Static, not global: a table of a smaller profile has entries
 * shorter than the struct (flowmon.h), which only the caller's view of the
 * pointer knows.
 */
FM_SUBPROG int stats_add(struct flow_metrics *s, const struct fm_meta *m, const struct wire *w,
			  __u64 now)
{
	if (s && m && w)
		stats_add_inline(s, m, w, now);
	return 0;
}

/*
 * Fingerprint of a key (31 bits, never 0), kept in its entry's owner word. The sweeper
 * may take an entry while a CPU holds a pointer to it, and the hash map may
 * hand that memory to a new flow at once: a lock attempt with a fingerprint
 * that no longer matches fails, and the packet is accounted afresh.
 */
FM_INLINE __u32 key_fingerprint(const struct flow_key *k)
{
	const fm_word *w = (const fm_word *)k;

	/*
	 * The words where addresses differ (an IPv4 address fills word 0, an
	 * IPv6 one mostly differs in word 3), each side its own multiplier so
	 * that A -> B and B -> A differ, then ports, protocol and version.
	 */
	return ((((w[0] ^ w[3]) * 0x9e3779b1) ^ ((w[4] ^ w[7]) * 0x85ebca6b) ^
		 (w[8] * 0xc2b2ae35) ^ w[9]) & FLOW_OWNER_FP_MASK) | 1;
}

/* Lock s if it still holds the flow of fingerprint fp: 0, or -FM_EAGAIN. */
FM_INLINE int entry_lock(struct flow_metrics *s, __u32 fp)
{
	__u32 cur = fm_cmpxchg(&s->owner, fp, fp | FLOW_OWNER_LOCK);

	if (cur == fp)
		return 0;
	if (cur != (fp | FLOW_OWNER_LOCK))
		return -FM_EAGAIN;	/* taken by the sweeper, or another flow's now */
	return fm_spin(&s->owner, fp, fp | FLOW_OWNER_LOCK) ? -FM_EAGAIN : 0;
}

FM_INLINE void entry_unlock(struct flow_metrics *s, __u32 fp)
{
	fm_release(&s->owner, fp);
}

/* A fresh record: counters zero, minima at their ceiling; identity kept. */
FM_INLINE void record_restart(struct flow_metrics *s)
{
	s->first_seen = 0;
	s->last_seen = 0;
	s->packets = 0;
	s->bytes = 0;
	s->arrivals = 0;
	s->len_min = ~0U;
	s->len_max = 0;
	s->tcp_flags = 0;
	s->ttl_min = 0xff;
	s->ttl_max = 0;
	s->features = FM_CFG.features;
	s->state &= ~(FLOW_ST_WIN | FLOW_ST_L2);	/* per record; the opener stays */
	/* the blocks the entries hold: a table's entries end with its profile's last */
	if (TABLE(FLOWMON_F_IAT)) {
		s->iat_min = ~0ULL;
		s->iat_max = 0;
		s->iat_sumsq = 0;
	}
	if (TABLE(FLOWMON_F_HIST)) {
		fm_memset(s->size_hist, 0, sizeof(s->size_hist));
		fm_memset(s->ttl_hist, 0, sizeof(s->ttl_hist));
	}
	if (TABLE(FLOWMON_F_TCP)) {
		s->retr_pkts = 0;
		s->ooo_pkts = 0;
		s->retr_bytes = 0;
		s->ooo_bytes = 0;
		s->win_min = 0;
		s->win_max = 0;
	}
}

/* TCP context of a connection: kept across idle and active splits only. */
FM_INLINE void tcp_forget(struct flow_metrics *s)
{
	s->state &= FLOW_ST_LEADER;	/* who was seen first stays known */
	if (!TABLE(FLOWMON_F_TCP))
		return;
	s->mss = 0;
	s->wscale = FLOW_WSCALE_NONE;
	s->syn_win = 0;
	s->next_seq = 0;
	s->hole_seq = 0;
	s->hole_end = 0;
}

FM_INLINE int key_equal(const struct flow_key *a, const struct flow_key *b)
{
	const fm_word *x = (const fm_word *)a, *y = (const fm_word *)b;
	__u32 diff = 0;
	int i;

	FM_UNROLL
	for (i = 0; i < (int)(sizeof(*a) / 4); i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/* The length of the table's entries: the blocks of its profile (flowmon.h). */
#define FM_ENTRY_SIZE	FLOWMON_ENTRY_SIZE(TABLE(FLOWMON_F_ALL))

#define ENTRY_COPY(dst, src, n)						\
	fm_memcpy((char *)(dst) + sizeof((src)->owner),			\
		  (const char *)(src) + sizeof((src)->owner), (n) - sizeof((src)->owner))

/*
 * Copy a locked entry into an event half: everything but the owner word,
 * as far as the table's entries go. What lies beyond is not the record's:
 * userland reads only the blocks of the record's features (flowrec.c).
 * One constant-size copy per entry size: the verifier sees the table's.
 */
FM_INLINE void entry_copy(struct flow_metrics *dst, const struct flow_metrics *src)
{
	if (FM_ENTRY_SIZE == FLOWMON_END_HIST)
		ENTRY_COPY(dst, src, FLOWMON_END_HIST);
	else if (FM_ENTRY_SIZE == FLOWMON_END_IAT)
		ENTRY_COPY(dst, src, FLOWMON_END_IAT);
	else if (FM_ENTRY_SIZE == FLOWMON_END_L2)
		ENTRY_COPY(dst, src, FLOWMON_END_L2);
	else if (FM_ENTRY_SIZE == FLOWMON_END_TCP)
		ENTRY_COPY(dst, src, FLOWMON_END_TCP);
	else
		ENTRY_COPY(dst, src, FLOWMON_END_HOT);
	dst->owner = 0;
}

#endif /* __FLOWMON_ACCOUNT_H */

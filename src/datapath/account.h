/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * account.bpf.h - add one skb to its flow entry.
 *
 * Concurrency: an entry is created with BPF_NOEXIST (a racing creator gets
 * -EEXIST and updates the winner's entry instead) and changed only under
 * its bpf_spin_lock, so counts are exact when several CPUs hit one flow.
 * Nothing in the kernel deletes entries, so a packet can never bring back a
 * record that userland already wrote out (the original's "resurrection").
 */
#ifndef __FLOWMON_ACCOUNT_BPF_H
#define __FLOWMON_ACCOUNT_BPF_H

/* What the skb stands for on the wire (GSO/GRO aggregates included). */
struct wire {
	__u64 pkts;
	__u64 bytes;
	__u32 seg_len;		/* IP length of every segment but the last */
	__u32 last_len;		/* IP length of the last (or only) segment */
};

static __always_inline void wire_fill(struct __sk_buff *skb, const struct pkt_meta *m,
				      struct wire *w)
{
	__u32 segs = skb->gso_segs, gso = skb->gso_size;

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

static __always_inline __u32 size_bucket(__u32 len)
{
	return len < 128 ? 0 : len < 256 ? 1 : len < 512 ? 2 : len < 1024 ? 3 : len < 1514 ? 4 : 5;
}

/* 0-1, 2-5, 6-32, 33-64, 65-96, 97-128, 129-160, 161-192, 193-224, 225-255 */
static __always_inline __u32 ttl_bucket(__u8 ttl)
{
	if (ttl <= 1)
		return 0;
	if (ttl <= 5)
		return 1;
	if (ttl <= 32)
		return 2;
	if (ttl >= 225)
		return 9;
	return ((ttl - 1) >> 5) + 2;	/* 33-64 -> 3, ..., 193-224 -> 8 */
}

/* RFC 1982 serial number arithmetic: survives sequence wrap-around. */
static __always_inline int seq_before(__u32 a, __u32 b)
{
	return (__s32)(a - b) < 0;
}

/*
 * Retransmission / out-of-order: next_seq is the highest sequence end seen.
 * A segment beyond it opens a gap (hole_seq). A segment that starts below
 * next_seq fills the gap if it starts inside it (out of order), otherwise
 * it carries data already seen (retransmission).
 */
static __always_inline void tcp_seq_update(struct flow_metrics *s, const struct pkt_meta *m,
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

static __always_inline void tcp_update(struct flow_metrics *s, const struct pkt_meta *m,
				       const struct wire *w)
{
	s->tcp_flags |= m->tcp_flags;
	if (m->tcp_flags & FLOW_TCPF_SYN) {
		if (!(m->tcp_flags & FLOW_TCPF_ACK))
			s->state |= FLOW_ST_INITIATOR;
		s->syn_win = m->window;
		s->state |= FLOW_ST_SYN_WIN;
		if (m->mss)
			s->mss = m->mss;
		if (m->wscale != FLOW_WSCALE_NONE)
			s->wscale = m->wscale;
	} else if (!(m->tcp_flags & FLOW_TCPF_RST)) {
		/* a RST's window (usually 0) says nothing about the receiver */
		if (m->window < s->win_min)
			s->win_min = m->window;
		if (m->window > s->win_max)
			s->win_max = m->window;
	}
	tcp_seq_update(s, m, w);
}

static __always_inline void len_update(struct flow_metrics *s, __u32 len, __u64 n)
{
	if (len < s->len_min)
		s->len_min = len;
	if (len > s->len_max)
		s->len_max = len;
	s->size_hist[size_bucket(len)] += n;
}

/* Add the packet; s is either locked map memory or a private new entry. */
static __always_inline void stats_add(struct flow_metrics *s, const struct pkt_meta *m,
				      const struct wire *w, __u64 now)
{
	if (s->arrivals) {
		__u64 gap = now > s->last_seen ? now - s->last_seen : 0;
		__u64 us = gap / 1000, sq;

		if (gap < s->iat_min)
			s->iat_min = gap;
		if (gap > s->iat_max)
			s->iat_max = gap;
		if (us > 0xffffffffULL)
			us = 0xffffffffULL;	/* a gap over 71 min: saturate, never wrap */
		sq = us * us;
		s->iat_sumsq = s->iat_sumsq + sq < sq ? ~0ULL : s->iat_sumsq + sq;
	} else {
		/* first packet of the record (also of an entry emptied by its reverse) */
		s->first_seen = now;
		s->last_seen = now;
		s->tos = m->tos;
		s->flow_label = m->flow_label;
	}
	if (now > s->last_seen)
		s->last_seen = now;
	s->arrivals++;
	s->packets += w->pkts;
	s->bytes += w->bytes;
	if (w->pkts > 1)
		len_update(s, w->seg_len, w->pkts - 1);
	len_update(s, w->last_len, 1);
	if (m->ttl < s->ttl_min)
		s->ttl_min = m->ttl;
	if (m->ttl > s->ttl_max)
		s->ttl_max = m->ttl;
	s->ttl_hist[ttl_bucket(m->ttl)] += w->pkts;
	if (m->is_tcp)
		tcp_update(s, m, w);
}

/*
 * Fingerprint of a key, kept in its entry. Userland may delete an entry
 * while a CPU holds a pointer to it, and the hash map may hand that memory
 * to a new flow at once: under the lock, a fingerprint that does not match
 * says the memory is no longer ours, and the packet is accounted afresh.
 */
static __always_inline __u32 key_fingerprint(const struct flow_key *k)
{
	const __u32 *w = (const __u32 *)k;
	__u32 fp = 0;
	int i;

	/* rotate-xor keeps word positions apart (a -> b differs from b -> a) */
#pragma unroll
	for (i = 0; i < (int)(sizeof(*k) / 4); i++)
		fp = ((fp << 7) | (fp >> 25)) ^ w[i];
	return (fp * 0x9e3779b1) | 1;	/* never 0: an all-zero entry cannot match */
}

/* A fresh record: counters zero, minima at their ceiling. */
static __always_inline void stats_reset(struct flow_metrics *s, const struct pkt_meta *m, __u64 now)
{
	s->first_seen = now;
	s->last_seen = now;
	s->packets = 0;
	s->bytes = 0;
	s->arrivals = 0;
	s->iat_min = ~0ULL;
	s->iat_max = 0;
	s->iat_sumsq = 0;
	s->retr_pkts = 0;
	s->retr_bytes = 0;
	s->ooo_pkts = 0;
	s->ooo_bytes = 0;
	__builtin_memset(s->size_hist, 0, sizeof(s->size_hist));
	__builtin_memset(s->ttl_hist, 0, sizeof(s->ttl_hist));
	s->len_min = ~0U;
	s->len_max = 0;
	s->win_min = ~0U;
	s->win_max = 0;
	s->tcp_flags = 0;
	s->ttl_min = 0xff;
	s->ttl_max = 0;
	s->tos = m ? m->tos : 0;
	s->flow_label = m ? m->flow_label : 0;
}

/* TCP context of a connection: kept across an active-timeout split only. */
static __always_inline void tcp_forget(struct flow_metrics *s)
{
	s->state &= FLOW_ST_LEADER;	/* who was seen first stays known */
	s->mss = 0;
	s->wscale = FLOW_WSCALE_NONE;
	s->syn_win = 0;
	s->next_seq = 0;
	s->hole_seq = 0;
	s->hole_end = 0;
}

static __always_inline int key_equal(const struct flow_key *a, const struct flow_key *b)
{
	const __u32 *x = (const __u32 *)a, *y = (const __u32 *)b;
	__u32 diff = 0;
	int i;

#pragma unroll
	for (i = 0; i < (int)(sizeof(*a) / 4); i++)
		diff |= x[i] ^ y[i];
	return !diff;
}

/* The record is older than the active timeout (0: no active timeout). */
static __always_inline int active_due(const struct flow_metrics *s, __u64 now)
{
	__s64 active = flowmon_cfg.active_timeout_ns;

	return active && s->arrivals && (__s64)(now - s->first_seen) > active;
}

/* ICMP/ICMPv6 type of the answer to this type (echo, timestamp, ND, ...). */
static __always_inline __u16 icmp_peer(__u8 proto, __u16 type)
{
	if (proto == IPPROTO_ICMP) {
		switch (type) {
		case 0: return 8;
		case 8: return 0;
		case 13: return 14;
		case 14: return 13;
		case 15: return 16;
		case 16: return 15;
		case 17: return 18;
		case 18: return 17;
		}
	} else if (proto == IPPROTO_ICMPV6) {
		switch (type) {
		case 128: return 129;
		case 129: return 128;
		case 130: return 131;
		case 131: return 130;
		case 133: return 134;
		case 134: return 133;
		case 135: return 136;
		case 136: return 135;
		case 139: return 140;
		case 140: return 139;
		case 144: return 145;
		case 145: return 144;
		case 146: return 147;
		case 147: return 146;
		}
	}
	return type;
}

/* The other direction of the connection (the same pairing as userland's). */
static __always_inline void reverse_key(const struct flow_key *k, struct flow_key *r)
{
	__builtin_memcpy(r->saddr, k->daddr, 16);
	__builtin_memcpy(r->daddr, k->saddr, 16);
	r->proto = k->proto;
	r->ipver = k->ipver;
	r->pad[0] = 0;
	r->pad[1] = 0;
	if (k->proto == IPPROTO_ICMP || k->proto == IPPROTO_ICMPV6) {
		r->sport = icmp_peer(k->proto, k->sport);
		r->dport = k->dport;
	} else {
		r->sport = k->dport;
		r->dport = k->sport;
	}
}

/*
 * Why a packet must close the entry's current record first (0: it need
 * not). An entry emptied by its reverse's split (arrivals 0) never splits.
 */
static __always_inline __u8 split_reason(const struct flow_metrics *s, const struct pkt_meta *m,
					 __u64 now)
{
	__s64 idle = flowmon_cfg.idle_timeout_ns;

	if (!s->arrivals)
		return 0;
	/* signed: replayed captures can step back in time */
	if (idle && (__s64)(now - s->last_seen) > idle)
		return FLOW_END_IDLE;
	if (active_due(s, now))
		return FLOW_END_ACTIVE;
	/* a SYN (or the SYN-ACK answering it) reuses a 5-tuple that saw FIN/RST */
	if (m->is_tcp && (m->tcp_flags & FLOW_TCPF_SYN) &&
	    (s->tcp_flags & (FLOW_TCPF_FIN | FLOW_TCPF_RST)))
		return FLOW_END_EOF;
	return 0;
}

static __always_inline void copy_stats(struct flow_metrics *dst, const struct flow_metrics *src)
{
	/* everything but the lock word, which BPF may not read */
	__builtin_memcpy((void *)dst + sizeof(struct bpf_spin_lock),
			 (const void *)src + sizeof(struct bpf_spin_lock),
			 sizeof(*src) - sizeof(struct bpf_spin_lock));
}

static __always_inline void event_submit(struct flow_event *ev, const struct flow_key *k,
					 __u8 reason)
{
	__builtin_memcpy(&ev->key, k, sizeof(ev->key));
	*(__u32 *)&ev->stats.lock = 0;	/* ring memory is reused: no stale bytes */
	__builtin_memset(ev->pad, 0, sizeof(ev->pad));
	ev->reason = reason;
	bpf_ringbuf_submit(ev, 0);
}

/*
 * A connection's records end together: when one direction's record ends,
 * the other direction's ends too (same reason), and that entry stays, empty,
 * until its next packet. Userland then pairs the two halves.
 */
static __always_inline void split_reverse(const struct flow_key *rk, struct flow_metrics *r,
					  __u8 reason, int r_leads)
{
	struct flow_event *ev;
	__u32 fp;

	if (!r || !r->arrivals)
		return;
	fp = key_fingerprint(rk);
	ev = bpf_ringbuf_reserve(&flowmon_events, sizeof(*ev), 0);
	if (!ev) {
		count(CNT_EVENTS_LOST, 1);
		return;
	}
	bpf_spin_lock(&r->lock);
	if (r->key_fp != fp) {
		bpf_spin_unlock(&r->lock);	/* reused by another flow meanwhile */
		bpf_ringbuf_discard(ev, 0);
		return;
	}
	copy_stats(&ev->stats, r);
	stats_reset(r, NULL, 0);
	r->arrivals = 0;
	if (r_leads)
		r->state |= FLOW_ST_LEADER;
	if (reason == FLOW_END_EOF)
		tcp_forget(r);
	bpf_spin_unlock(&r->lock);
	if (!ev->stats.arrivals) {
		bpf_ringbuf_discard(ev, 0);	/* emptied meanwhile by another CPU */
		return;
	}
	event_submit(ev, rk, reason);
}

/*
 * At a connection's first split, remember which direction was seen first
 * (FLOW_ST_LEADER), since the next records' first_seen no longer says:
 * 1 this entry, 2 the reverse, 0 already known. Userland orients records
 * by it after the TCP initiator.
 */
static __always_inline int first_leader(const struct flow_metrics *s,
					const struct flow_metrics *r)
{
	if ((s->state & FLOW_ST_LEADER) || (r && (r->state & FLOW_ST_LEADER)))
		return 0;
	if (!r || !r->arrivals || (__s64)(s->first_seen - r->first_seen) <= 0)
		return 1;
	return 2;
}

/*
 * Idle means the connection is idle: a direction quiet for longer than the
 * idle timeout does not end while the other direction is still talking.
 */
static __always_inline int reverse_busy(const struct flow_metrics *r, __u64 now)
{
	return r && r->arrivals &&
	       (__s64)(now - r->last_seen) <= (__s64)flowmon_cfg.idle_timeout_ns;
}

/*
 * Update an existing entry, ending its record first if split_reason says
 * so. Returns 0, or -EAGAIN when the entry turned out to be another flow's
 * (deleted by userland and reused meanwhile): nothing was changed then.
 */
static __always_inline int flow_update(struct flow_metrics *s, const struct pkt_meta *m,
				       const struct wire *w, __u64 now)
{
	__u8 reason = split_reason(s, m, now);	/* unlocked hint, checked again below */
	struct flow_metrics *r = NULL;
	struct flow_event *ev = NULL;
	struct flow_key rk;
	int leader = 0;

	if (reason) {
		/* rare path: only here is the other direction looked up */
		reverse_key(&m->key, &rk);
		if (!key_equal(&rk, &m->key))	/* a key can be its own reverse */
			r = bpf_map_lookup_elem(&flowmon_stats, &rk);
		if (reason == FLOW_END_IDLE && reverse_busy(r, now))
			reason = active_due(s, now) ? FLOW_END_ACTIVE : 0;
		leader = first_leader(s, r);
	}
	if (reason) {
		ev = bpf_ringbuf_reserve(&flowmon_events, sizeof(*ev), 0);
		if (!ev)
			count(CNT_EVENTS_LOST, 1);	/* keep accumulating instead */
	}
	bpf_spin_lock(&s->lock);
	if (s->key_fp != m->key_fp) {
		bpf_spin_unlock(&s->lock);
		if (ev)
			bpf_ringbuf_discard(ev, 0);
		return -EAGAIN;
	}
	if (ev && split_reason(s, m, now) == reason) {
		if (leader == 1)
			s->state |= FLOW_ST_LEADER;
		copy_stats(&ev->stats, s);
		stats_reset(s, m, now);
		if (reason == FLOW_END_EOF)
			tcp_forget(s);	/* a new connection: nothing carries over */
	} else if (ev) {
		reason = 0;
	}
	stats_add(s, m, w, now);
	bpf_spin_unlock(&s->lock);
	if (!ev)
		return 0;
	if (!reason) {
		bpf_ringbuf_discard(ev, 0);
		return 0;
	}
	event_submit(ev, &m->key, reason);
	split_reverse(&rk, r, reason, leader == 2);
	return 0;
}

/* Was this the packet this CPU just failed to insert at another hook? */
static __always_inline int full_miss_seen(__u32 ifindex, __u8 dir, const struct pkt_meta *m,
					  __u64 now)
{
	struct full_miss *f;
	__u32 zero = 0;
	int seen;

	f = bpf_map_lookup_elem(&flowmon_fullmiss, &zero);
	if (!f)
		return 0;
	seen = (f->ifindex != ifindex || f->dir != dir) && (__s64)(now - f->when) < 1000000 &&
	       key_equal(&f->key, &m->key);
	if (seen)
		return 1;	/* keep the hook that counted it, for the next packet */
	__builtin_memcpy(&f->key, &m->key, sizeof(f->key));
	f->when = now;
	f->ifindex = ifindex;
	f->dir = dir;
	return seen;
}

/* Create the entry. Returns 0, or -EEXIST when another CPU created it first. */
static __always_inline long flow_insert(struct __sk_buff *skb, const struct pkt_meta *m,
					const struct wire *w, __u64 now, __u8 dir)
{
	struct flow_metrics *s;
	__u32 zero = 0;
	long err;

	s = (struct flow_metrics *)bpf_map_lookup_elem(&flowmon_scratch, &zero);
	if (!s)
		return 0;
	/* per-CPU scratch holds the previous new flow: start from zero */
	__builtin_memset(s, 0, sizeof(*s));
	stats_reset(s, m, now);
	s->ifindex = skb->ifindex;
	s->dir = dir;
	s->ipver = m->key.ipver;
	s->key_fp = m->key_fp;
	tcp_forget(s);
	stats_add(s, m, w, now);
	err = bpf_map_update_elem(&flowmon_stats, &m->key, s, BPF_NOEXIST);
	if (err && err != -EEXIST && !full_miss_seen(skb->ifindex, dir, m, now)) {
		count(CNT_TABLE_FULL_PKTS, w->pkts);
		count(CNT_TABLE_FULL_BYTES, w->bytes);
	}
	return err;
}

#endif /* __FLOWMON_ACCOUNT_BPF_H */

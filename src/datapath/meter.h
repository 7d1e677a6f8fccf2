/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * meter.h - the per-packet path: find or create the flow entry, end its
 * record first when the packet starts a new one, add the packet.
 *
 * Counting rule: a packet is counted once per host, at the first hook that
 * saw its flow (the ifindex and direction stored in the entry). On lo with
 * both hooks a packet passes egress then ingress; a forwarded packet passes
 * ingress of one interface and egress of another: only the first counts.
 * A first hook that has not seen the flow for a second hands it over.
 *
 * Nothing here deletes entries: only the sweeper does (sweep.h), so a
 * packet can never bring back a record that was already written out.
 */
#ifndef __FLOWMON_METER_H
#define __FLOWMON_METER_H

/* The record is older than the active timeout (0: no active timeout). */
FM_INLINE int active_due(const struct flow_metrics *s, __u64 now)
{
	__s64 active = FM_CFG.active_timeout_ns;

	return active && s->arrivals && (__s64)(now - s->first_seen) > active;
}

/*
 * Why a packet must close the entry's current record first (0: it need
 * not). An entry emptied by its reverse's split (arrivals 0) never splits.
 */
FM_INLINE __u8 split_reason(const struct flow_metrics *s, const struct fm_meta *m, __u64 now)
{
	__s64 idle = FM_CFG.idle_timeout_ns;

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

/*
 * Idle means the connection is idle: a direction quiet for longer than the
 * idle timeout does not end while the other direction is still talking.
 */
FM_INLINE int reverse_busy(const struct flow_metrics *r, __u64 now)
{
	return r && r->arrivals &&
	       (__s64)(now - r->last_seen) <= (__s64)FM_CFG.idle_timeout_ns;
}

/*
 * At a connection's first split, remember which direction was seen first
 * (FLOW_ST_LEADER), since the next records' first_seen no longer says:
 * 1 this entry, 2 the reverse, 0 already known. Userland orients records
 * by it after the TCP initiator.
 */
FM_INLINE int first_leader(const struct flow_metrics *s, const struct flow_metrics *r)
{
	if ((s->state & FLOW_ST_LEADER) || (r && (r->state & FLOW_ST_LEADER)))
		return 0;
	if (!r || !r->arrivals || (__s64)(s->first_seen - r->first_seen) <= 0)
		return 1;
	return 2;
}

/* End a locked entry's record into an event half and start a new one. */
FM_INLINE void take_half(struct flow_metrics *dst, struct flow_metrics *s, __u8 reason)
{
	entry_copy(dst, s);
	record_restart(s);
	if (reason == FLOW_END_EOF)
		tcp_forget(s);	/* a new connection: nothing carries over */
}

/* The reverse direction's record ends with its connection's (same reason). */
FM_INLINE void split_reverse(struct flow_event *ev, const struct flow_key *rk,
			     struct flow_metrics *r, int r_leads)
{
	__u32 fp;

	fm_memset(&ev->b, 0, sizeof(ev->b));	/* ring memory is reused: no stale bytes */
	if (!r || !r->arrivals)
		return;
	fp = key_fingerprint(rk);
	if (entry_lock(r, fp))
		return;		/* taken by the sweeper meanwhile: written there */
	if (r->arrivals) {
		if (r_leads)
			r->state |= FLOW_ST_LEADER;
		take_half(&ev->b, r, ev->reason);
		ev->has_b = 1;
	}
	entry_unlock(r, fp);
}

FM_INLINE void event_head(struct flow_event *ev, const struct flow_key *ka, __u8 reason)
{
	ev->key_a = *ka;
	ev->reason = reason;
	ev->has_a = 0;
	ev->has_b = 0;
	fm_memset(ev->pad, 0, sizeof(ev->pad));
}

/* The rare path of an update: is a split due, and with which reverse? */
struct split_plan {
	struct flow_key rk;
	struct flow_metrics *r;
	struct flow_event *ev;
	__u8 reason;
	__u8 leader;
	__u8 whole;	/* the reverse holds a record too: both directions travel */
};

FM_INLINE void split_prepare(struct split_plan *p, const struct flow_metrics *s,
			     const struct fm_meta *m, __u64 now)
{
	fm_reverse_key(&m->key, &p->rk);
	if (!key_equal(&p->rk, &m->key))	/* a key can be its own reverse */
		p->r = fm_flow_lookup(&p->rk);
	if (p->reason == FLOW_END_IDLE && reverse_busy(p->r, now))
		p->reason = active_due(s, now) ? FLOW_END_ACTIVE : 0;
	p->leader = first_leader(s, p->r);
	if (!p->reason)
		return;
	p->whole = p->r && p->r->arrivals;
	p->ev = fm_event_reserve(p->whole);	/* none: events_lost, once locked */
}

/*
 * Update an existing entry, ending its record first if split_reason says
 * so. Returns 1 when the packet was counted (m->rec_first and m->when then
 * say in which record and at what time), 0 when its first hook counts it,
 * or -FM_EAGAIN when the entry was taken by the sweeper or holds another
 * flow now: nothing was changed then.
 */
FM_INLINE int flow_update(struct flow_metrics *s, struct fm_meta *m, const struct wire *w,
			  __u64 now, int takeover)
{
	struct split_plan p = { .reason = split_reason(s, m, now) };	/* a hint */

	if (p.reason)
		split_prepare(&p, s, m, now);
	if (entry_lock(s, m->key_fp)) {
		if (p.ev)
			fm_event_discard(p.ev);
		return -FM_EAGAIN;
	}
	if (takeover && (__s64)(now - s->last_seen) <= HOOK_SILENCE_NS) {
		entry_unlock(s, m->key_fp);	/* the first hook spoke meanwhile */
		if (p.ev)
			fm_event_discard(p.ev);
		fm_count(CNT_OTHER_HOOK, w->pkts);
		return 0;
	}
	if (takeover) {
		s->ifindex = m->ifindex;
		s->dir = m->dir;
	}
	if (p.ev && split_reason(s, m, now) == p.reason) {
		event_head(p.ev, &m->key, p.reason);
		if (p.leader == 1)
			s->state |= FLOW_ST_LEADER;
		take_half(&p.ev->a, s, p.reason);
		p.ev->has_a = 1;
	} else if (p.ev) {
		p.reason = 0;
	} else if (p.reason && split_reason(s, m, now) == p.reason) {
		fm_count(CNT_EVENTS_LOST, 1);	/* no room in the ring: keep accumulating */
	}
	stats_add(s, m, w, now);
	m->rec_first = s->first_seen;
	m->when = now;
	entry_unlock(s, m->key_fp);
	if (!p.ev)
		return 1;
	if (!p.reason) {
		fm_event_discard(p.ev);
		return 1;
	}
	if (p.whole) {
		p.ev->key_b = p.rk;
		split_reverse(p.ev, &p.rk, p.r, p.leader == 2);
	}
	fm_event_submit(p.ev);
	return 1;
}

/* Was this the packet this CPU just failed to insert at another hook? */
FM_INLINE int full_miss_seen(const struct fm_meta *m, __u64 now)
{
	struct full_miss *f = fm_full_miss_slot();
	int seen;

	if (!f)
		return 0;
	seen = (f->ifindex != m->ifindex || f->dir != m->dir) &&
	       (__s64)(now - f->when) < 1000000 && key_equal(&f->key, &m->key);
	if (seen)
		return 1;	/* keep the hook that counted it, for the next packet */
	f->key = m->key;
	f->when = now;
	f->ifindex = m->ifindex;
	f->dir = m->dir;
	return 0;
}

/*
 * Create the entry (tick: fm_now() of the packet). Returns 0 (m->rec_first
 * and m->when set), -FM_EEXIST when another CPU created it first, or
 * another error (table full).
 */
FM_INLINE long flow_insert(struct fm_meta *m, const struct wire *w, __u64 tick)
{
	struct flow_metrics *s = fm_scratch_entry();
	__u64 now = fm_now_exact(m, tick);
	long err;

	if (!s)
		return 0;
	/* per-CPU scratch holds the previous new flow: start from zero */
	fm_memset(s, 0, sizeof(*s));
	s->owner = m->key_fp;	/* unlocked: nobody else can see it yet */
	s->ifindex = m->ifindex;
	s->dir = m->dir;
	record_restart(s);
	tcp_forget(s);
	stats_add(s, m, w, now);
	m->rec_first = s->first_seen;
	m->when = now;
	err = fm_flow_insert(&m->key, s);
	if (err && err != -FM_EEXIST && !full_miss_seen(m, now)) {
		fm_count(CNT_TABLE_FULL_PKTS, w->pkts);
		fm_count(CNT_TABLE_FULL_BYTES, w->bytes);
	}
	return err;
}

/*
 * Account one parsed packet. Two rounds at most: a packet that finds its
 * entry created by another CPU, or taken by the sweeper under it, looks
 * again once; twice in a row is counted in race_lost (fm_race_lost;
 * under FM_BCC it returns -FM_EAGAIN instead: bcc_account runs the
 * accounting again, then counts it). Returns 1 when the
 * packet was counted in a record (m->rec_first, m->when set: the plugin
 * hook runs for it), 0 when not (another hook counts it, full table, race).
 */
FM_INLINE int fm_account(struct fm_meta *m)
{
	struct flow_metrics *s;
	struct wire w;
	__u64 now;
	long err;
	int i, takeover;

	now = fm_now(m);
	wire_fill(m, &w);
	m->key_fp = key_fingerprint(&m->key);
	for (i = 0; i < 2; i++) {
		s = i || !m->missing ? fm_flow_lookup(&m->key) : NULL;
		if (!s) {
			err = flow_insert(m, &w, now);
			if (err != -FM_EEXIST)
				return !err;
			continue;	/* another CPU created it: update that entry */
		}
		takeover = s->ifindex != m->ifindex || s->dir != m->dir;
		if (takeover && (__s64)(now - s->last_seen) <= HOOK_SILENCE_NS) {
			fm_count(CNT_OTHER_HOOK, w.pkts);	/* counted at its first hook */
			return 0;
		}
		err = flow_update(s, m, &w, now, takeover);
		if (err != -FM_EAGAIN)
			return err > 0;
	}
	return fm_race_lost(w.pkts);
}

#endif /* __FLOWMON_METER_H */

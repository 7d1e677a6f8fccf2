/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * sweep.h - end the connections that are over, inside the kernel.
 *
 * Userland runs the sweeper (flowmon_sweep) once per scan period. It visits
 * every entry where it lies, and for a connection that is over (idle, or
 * closed by FIN both ways or RST and quiet for a linger time) it writes both
 * directions as one record to the event ring and deletes both entries. So
 * userland never copies the table, never pairs directions itself, and holds
 * no memory per flow: a scan of a million flows costs one pass over the
 * table inside the kernel.
 *
 * Exactness: the two entries are locked (in key order, so that two
 * sweepers cannot deadlock) while the decision is checked again, copied
 * and marked taken (owner 0); a packet that meets a taken entry looks it up
 * again and starts a new record once the entry is gone (meter.h).
 */
#ifndef __FLOWMON_SWEEP_H
#define __FLOWMON_SWEEP_H

FM_INLINE int key_less(const struct flow_key *a, const struct flow_key *b)
{
	const fm_word *x = (const fm_word *)a, *y = (const fm_word *)b;
	int i;

	FM_UNROLL
	for (i = 0; i < (int)(sizeof(*a) / 4); i++) {
		if (x[i] != y[i])
			return x[i] < y[i];
	}
	return 0;
}

/* Signed: in a capture the clock can step back ("just active", not "ages"). */
FM_INLINE __s64 quiet_ns(const struct flow_metrics *s, __u64 now)
{
	return (__s64)(now - s->last_seen);
}

FM_INLINE int tcp_finished(const struct flow_metrics *a, const struct flow_metrics *b)
{
	__u16 fa = a->arrivals ? a->tcp_flags : 0;
	__u16 fb = b && b->arrivals ? b->tcp_flags : 0;

	if ((fa | fb) & FLOW_TCPF_RST)
		return 1;
	return (fa & FLOW_TCPF_FIN) && (fb & FLOW_TCPF_FIN);
}

FM_INLINE int idle_applies(const struct flowmon_sweep *a)
{
	return a->idle_ns && (!a->lazy_idle || a->mode == SWEEP_PRESSURE);
}

/* Could this half's connection be over? A cheap test on one entry. */
FM_INLINE int half_may_end(const struct flowmon_sweep *a, const struct flow_key *k,
			   const struct flow_metrics *s)
{
	__s64 quiet = quiet_ns(s, a->now);

	if (a->mode == SWEEP_FLUSH || a->mode == SWEEP_PRINT || !s->arrivals)
		return 1;
	if (quiet < 0)
		return 0;
	if (k->proto == FM_IPPROTO_TCP && (s->tcp_flags & (FLOW_TCPF_FIN | FLOW_TCPF_RST)) &&
	    (__u64)quiet >= a->linger_ns)
		return 1;
	return idle_applies(a) && (__u64)quiet > a->idle_ns;
}

/*
 * The connection's verdict: an end reason, FLOW_END_FORCED for a flush,
 * 0xff for two empty halves (deleted without a record), 0 to keep it.
 */
#define SWEEP_EMPTY	0xff

FM_INLINE __u8 connection_over(const struct flowmon_sweep *a, const struct flow_key *k,
			       const struct flow_metrics *s, const struct flow_metrics *r)
{
	int has_s = s->arrivals != 0, has_r = r && r->arrivals;
	__s64 quiet = 0x7fffffffffffffffLL;

	if (!has_s && !has_r)
		return SWEEP_EMPTY;
	if (a->mode == SWEEP_FLUSH)
		return FLOW_END_FORCED;
	/* the least quiet direction decides */
	if (has_s)
		quiet = quiet_ns(s, a->now);
	if (has_r && quiet_ns(r, a->now) < quiet)
		quiet = quiet_ns(r, a->now);
	if (quiet < 0)
		return 0;
	if (k->proto == FM_IPPROTO_TCP && tcp_finished(s, r) && (__u64)quiet >= a->linger_ns)
		return FLOW_END_EOF;
	if (idle_applies(a) && (__u64)quiet > a->idle_ns)
		return FLOW_END_IDLE;
	return 0;
}

/* Lock one or two entries in key order; 0, or -1 (nothing held). */
FM_INLINE int lock_pair(const struct flow_key *k, struct flow_metrics *s, __u32 fs,
			const struct flow_key *rk, struct flow_metrics *r, __u32 fr)
{
	if (!r)
		return entry_lock(s, fs);
	if (key_less(k, rk)) {
		if (entry_lock(s, fs))
			return -1;
		if (!entry_lock(r, fr))
			return 0;
		entry_unlock(s, fs);
		return -1;
	}
	if (entry_lock(r, fr))
		return -1;
	if (!entry_lock(s, fs))
		return 0;
	entry_unlock(r, fr);
	return -1;
}

/* Copy a locked half out; taken halves are marked and unlocked by the caller. */
FM_INLINE int half_out(struct flow_metrics *dst, const struct flow_metrics *s)
{
	if (!s || !s->arrivals) {
		fm_memset(dst, 0, sizeof(*dst));
		return 0;
	}
	entry_copy(dst, s);
	return 1;
}

/* Release a locked entry: taken (owner 0, then deleted) or as it was. */
FM_INLINE void half_release(const struct flow_key *k, struct flow_metrics *s, __u32 fp, int take,
			    struct flowmon_sweep *a)
{
	if (!take) {
		entry_unlock(s, fp);
		return;
	}
	fm_release(&s->owner, 0);
	fm_flow_delete(k);
	a->purged++;
}

/*
 * Start the cache misses of an entry's cold lines (all but the first, which
 * the walk's test read) without waiting for them: the CPU then waits for
 * them together with the reverse lookup's, not one by one in the copy. A
 * purge of a million connections is mostly such misses (and TLB misses: the
 * table is vmalloc'ed in 4 KiB pages).
 */
FM_INLINE void entry_touch(const struct flow_metrics *s)
{
	const volatile __u64 *w = (const volatile __u64 *)s;
	int i;

	FM_UNROLL
	for (i = 8; i < (int)(sizeof(*s) / 8); i += 8)
		if (i < (int)(FM_ENTRY_SIZE / 8))
			(void)w[i];
	(void)w[FM_ENTRY_SIZE / 8 - 1];
}

struct sweep_pair {
	struct flow_key rk;
	struct flow_metrics *r;
	__u32 fs;
	__u32 fr;
};

/* Which halves hold a record: bit 0 this entry, bit 1 its reverse. */
FM_INLINE int halves_of(const struct flow_metrics *s, const struct flow_metrics *r)
{
	return (s->arrivals ? 1 : 0) | (r && r->arrivals ? 2 : 0);
}

/*
 * Lock the pair, check the verdict again, copy it out, release. A whole
 * record carries both halves; a half record the one that holds packets
 * (the reverse's, under its own key, when this entry is the empty one).
 * Returns 1 if ev holds a record to submit, 0 if not (ev to discard).
 */
FM_INLINE int sweep_take(const struct flow_key *k, struct flow_metrics *s, struct sweep_pair *p,
			 struct flowmon_sweep *a, struct flow_event *ev, int halves)
{
	int take = a->mode != SWEEP_PRINT, now;
	__u8 reason;

	if (lock_pair(k, s, p->fs, &p->rk, p->r, p->fr))
		return 0;	/* taken or reused meanwhile */
	reason = connection_over(a, k, s, p->r);
	now = halves_of(s, p->r);
	if ((!reason && take) || (now == 3) != (halves == 3)) {
		entry_unlock(s, p->fs);
		if (p->r)
			entry_unlock(p->r, p->fr);
		return 0;	/* a packet came meanwhile: next time */
	}
	event_head(ev, now == 2 ? &p->rk : k, take && reason != SWEEP_EMPTY ? reason : 0);
	if (now == 3) {
		ev->key_b = p->rk;
		ev->has_a = half_out(&ev->a, s);
		ev->has_b = half_out(&ev->b, p->r);
	} else if (now) {
		ev->has_a = half_out(&ev->a, now == 2 ? p->r : s);
	}
	half_release(k, s, p->fs, take, a);
	if (p->r)
		half_release(&p->rk, p->r, p->fr, take, a);
	return ev->has_a;
}

/* One entry of the table; 1 stops the walk (the event ring is full). */
FM_INLINE long sweep_visit(const struct flow_key *k, struct flow_metrics *s,
			   struct flowmon_sweep *a)
{
	struct sweep_pair p = { .r = NULL };
	struct flow_event *ev;
	int halves;

	a->visited++;
	if (!(s->owner & FLOW_OWNER_FP_MASK) || !half_may_end(a, k, s))
		return 0;	/* being taken, or live: most entries stop here */
	entry_touch(s);
	fm_reverse_key(k, &p.rk);
	if (!key_equal(&p.rk, k))
		p.r = fm_flow_lookup(&p.rk);
	if (p.r)
		entry_touch(p.r);
	if (p.r && !(p.r->owner & FLOW_OWNER_FP_MASK))
		p.r = NULL;
	/* a listing shows each connection once: from its lower key */
	if (a->mode == SWEEP_PRINT && p.r && key_less(&p.rk, k))
		return 0;
	if (a->mode != SWEEP_PRINT && !connection_over(a, k, s, p.r))
		return 0;
	halves = halves_of(s, p.r);
	ev = fm_event_reserve(halves == 3);
	if (!ev) {
		a->more = 1;
		return 1;
	}
	p.fs = key_fingerprint(k);
	p.fr = key_fingerprint(&p.rk);
	if (sweep_take(k, s, &p, a, ev, halves)) {
		fm_event_submit(ev);
		a->ended++;
	} else {
		fm_event_discard(ev);
	}
	return 0;
}

#endif /* __FLOWMON_SWEEP_H */

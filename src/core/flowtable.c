// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* flowtable.c - pairing of the two directions, end rules, pending kernel-ended halves. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "flowtable.h"

/* Key bytes that identify a flow: everything but the trailing padding. */
#define KEY_ID_LEN offsetof(struct flow_key, pad)

struct icmp_pair {
	uint8_t a, b;
};

/* Request/reply types (original.md 4.6); any other type pairs with itself. */
static const struct icmp_pair icmp4_pairs[] = {
	{ 8, 0 },	/* echo */
	{ 13, 14 },	/* timestamp */
	{ 15, 16 },	/* information */
	{ 17, 18 },	/* address mask */
};

static const struct icmp_pair icmp6_pairs[] = {
	{ 128, 129 },	/* echo */
	{ 130, 131 },	/* MLD query / report */
	{ 133, 134 },	/* router solicitation / advertisement */
	{ 135, 136 },	/* neighbour solicitation / advertisement */
	{ 139, 140 },	/* node information query / reply */
	{ 144, 145 },	/* home agent address discovery */
	{ 146, 147 },	/* mobile prefix solicitation / advertisement */
};

static uint16_t pair_lookup(const struct icmp_pair *p, size_t n, uint16_t type)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (p[i].a == type)
			return p[i].b;
		if (p[i].b == type)
			return p[i].a;
	}
	return type;
}

static bool is_icmp(uint8_t proto)
{
	return proto == IPPROTO_ICMP || proto == IPPROTO_ICMPV6;
}

uint16_t flow_icmp_peer_type(uint8_t proto, uint16_t type)
{
	if (proto == IPPROTO_ICMP)
		return pair_lookup(icmp4_pairs, sizeof(icmp4_pairs) / sizeof(icmp4_pairs[0]), type);
	if (proto == IPPROTO_ICMPV6)
		return pair_lookup(icmp6_pairs, sizeof(icmp6_pairs) / sizeof(icmp6_pairs[0]), type);
	return type;
}

void flow_reverse_key(const struct flow_key *k, struct flow_key *rev)
{
	struct flow_key r;

	/* via a local copy: rev may alias k */
	memset(&r, 0, sizeof(r));
	memcpy(r.saddr, k->daddr, sizeof(r.saddr));
	memcpy(r.daddr, k->saddr, sizeof(r.daddr));
	r.proto = k->proto;
	r.ipver = k->ipver;
	if (is_icmp(k->proto)) {
		r.sport = flow_icmp_peer_type(k->proto, k->sport);
		r.dport = k->dport;	/* the code is kept */
	} else {
		r.sport = k->dport;
		r.dport = k->sport;
	}
	*rev = r;
}

static bool key_eq(const struct flow_key *a, const struct flow_key *b)
{
	return !memcmp(a, b, KEY_ID_LEN);
}

/* Multiply-xorshift over the identifying bytes: cheap and well mixed. */
static uint64_t key_hash(const struct flow_key *k)
{
	uint64_t w[(KEY_ID_LEN + 7) / 8] = { 0 };
	uint64_t h = 0x9e3779b97f4a7c15ULL;
	size_t i;

	memcpy(w, k, KEY_ID_LEN);
	for (i = 0; i < sizeof(w) / sizeof(w[0]); i++) {
		h ^= w[i];
		h *= 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	return h;
}

bool flow_b_is_forward(const struct flow_metrics *a, const struct flow_metrics *b)
{
	bool ai, bi;

	if (!b)
		return false;
	if (!a)
		return true;
	ai = a->state & FLOW_ST_INITIATOR;
	bi = b->state & FLOW_ST_INITIATOR;
	if (ai != bi)
		return bi;
	/* the side seen first, as the kernel recorded it: survives record splits */
	ai = a->state & FLOW_ST_LEADER;
	bi = b->state & FLOW_ST_LEADER;
	if (ai != bi)
		return bi;
	return b->first_seen < a->first_seen;	/* a tie keeps a */
}

/*
 * Signed: in a pcap the clock can step back, and a scan time before
 * last_seen must read as "just active", not as an enormous quiet time.
 */
static int64_t quiet_ns(const struct flow_metrics *s, uint64_t now)
{
	return (int64_t)(now - s->last_seen);
}

static bool tcp_finished(const struct flow_metrics *fwd, const struct flow_metrics *rev)
{
	uint16_t all = fwd->tcp_flags | (rev ? rev->tcp_flags : 0);

	if (all & FLOW_TCPF_RST)
		return true;
	return rev && (fwd->tcp_flags & FLOW_TCPF_FIN) && (rev->tcp_flags & FLOW_TCPF_FIN);
}

uint8_t flow_end_reason(const struct ft_config *cfg, const struct flow_key *key,
			const struct flow_metrics *fwd, const struct flow_metrics *rev,
			uint64_t now)
{
	int64_t quiet;

	if (!fwd) {
		fwd = rev;
		rev = NULL;
	}
	if (!fwd)
		return 0;
	if (cfg->end_all)
		return FLOW_END_FORCED;
	/* the least quiet direction: the latest last_seen decides */
	quiet = quiet_ns(fwd, now);
	if (rev && quiet_ns(rev, now) < quiet)
		quiet = quiet_ns(rev, now);
	if (quiet < 0)
		return 0;
	if ((!key || key->proto == IPPROTO_TCP) && tcp_finished(fwd, rev) &&
	    (uint64_t)quiet >= cfg->linger_ns)
		return FLOW_END_EOF;
	/* idle_ns == 0 disables the idle rule, as the kernel's knob does */
	if (!cfg->lazy_idle && cfg->idle_ns && (uint64_t)quiet > cfg->idle_ns)
		return FLOW_END_IDLE;
	return 0;
}

/* Copy the two directions into r, either of them possibly inside r already. */
static void set_dirs(struct flow_record *r, const struct flow_metrics *fwd,
		     const struct flow_metrics *rev)
{
	struct flow_side f, v;

	memset(&f, 0, sizeof(f));
	memset(&v, 0, sizeof(v));
	if (fwd)
		flow_side_decode(fwd, &f);
	if (rev)
		flow_side_decode(rev, &v);
	memset(r, 0, sizeof(*r));
	r->fwd = f;
	r->rev = v;
}

void flow_record_build(struct flow_record *r, const struct flow_key *ka,
		       const struct flow_metrics *a, const struct flow_metrics *b,
		       uint8_t reason, int64_t wall_offset_ns)
{
	struct flow_key k;

	/* copies first: ka, a or b may point into *r */
	memset(&k, 0, sizeof(k));
	memcpy(&k, ka, KEY_ID_LEN);
	if (!a || flow_b_is_forward(a, b)) {
		/* b leads: the record's key is b's, i.e. the reverse of ka */
		flow_reverse_key(&k, &k);
		set_dirs(r, b, a);
	} else {
		set_dirs(r, a, b);
	}
	r->key = k;
	r->has_rev = a && b;
	r->end_reason = reason;
	r->wall_offset_ns = wall_offset_ns;
}

/*
 * Scan planning: an open-addressing index (linear probing, load <= 1/2)
 * from key to its first position in the input, so that pairing is O(n).
 * Each slot keeps 32 more bits of the hash: a probe that does not match
 * then costs no access to the (large, randomly visited) key array.
 */
struct key_slot {
	uint32_t pos;		/* input position + 1; 0 = empty */
	uint32_t tag;		/* high half of the key's hash */
};

struct key_index {
	struct key_slot *slot;
	size_t mask;
	bool dups;		/* some key appears more than once in the input */
};

#define NOT_FOUND SIZE_MAX

static size_t index_find(const struct key_index *t, const struct flow_key *keys,
			 const struct flow_key *k)
{
	uint64_t h = key_hash(k);
	size_t i = h & t->mask;
	const struct key_slot *s;

	for (;; i = (i + 1) & t->mask) {
		s = &t->slot[i];
		if (!s->pos)
			return NOT_FOUND;
		if (s->tag == (uint32_t)(h >> 32) && key_eq(&keys[s->pos - 1], k))
			return s->pos - 1;
	}
}

static int index_build(struct key_index *t, const struct flow_key *keys, size_t n)
{
	size_t size = 16, i;

	while (size < 2 * n)
		size <<= 1;
	t->slot = calloc(size, sizeof(*t->slot));
	if (!t->slot)
		return -1;
	t->mask = size - 1;
	t->dups = false;
	for (i = 0; i < n; i++) {
		uint64_t h = key_hash(&keys[i]);
		size_t j = h & t->mask;
		struct key_slot *s;

		for (s = &t->slot[j]; s->pos; s = &t->slot[j = (j + 1) & t->mask]) {
			if (s->tag == (uint32_t)(h >> 32) && key_eq(&keys[s->pos - 1], &keys[i]))
				break;	/* a duplicate: the first one stands */
		}
		t->dups |= s->pos != 0;
		if (!s->pos) {
			s->pos = (uint32_t)(i + 1);	/* n < UINT32_MAX */
			s->tag = (uint32_t)(h >> 32);
		}
	}
	return 0;
}

/* Position of i's reverse, NOT_FOUND if none; *skip when i is not the one to list. */
static size_t partner_of(const struct key_index *t, const struct flow_key *keys, size_t i,
			 bool *skip)
{
	struct flow_key rev;
	size_t j;

	/* a repeated key (read twice during the scan) is listed at its first position */
	*skip = t->dups && index_find(t, keys, &keys[i]) != i;
	flow_reverse_key(&keys[i], &rev);
	j = index_find(t, keys, &rev);
	if (j == i)
		return NOT_FOUND;	/* its own reverse (e.g. ICMP error to self) */
	/* the reverse relation is symmetric: list the pair at its lower position */
	if (j != NOT_FOUND && j < i)
		*skip = true;
	return j;
}

size_t flowtable_plan(const struct ft_config *cfg, const struct flow_key *keys,
		      const struct flow_metrics *vals, size_t n, uint64_t now,
		      struct ft_end *out, size_t max_out)
{
	struct key_index t;
	size_t i, j, cnt = 0;
	uint8_t reason;
	bool skip;

	if (!n || !max_out || n >= UINT32_MAX)
		return 0;
	/* out of memory: end nothing this scan, the entries stay in the kernel */
	if (index_build(&t, keys, n))
		return 0;
	for (i = 0; i < n && cnt < max_out; i++) {
		j = partner_of(&t, keys, i, &skip);
		if (skip)
			continue;
		reason = flow_end_reason(cfg, &keys[i], &vals[i],
					 j == NOT_FOUND ? NULL : &vals[j], now);
		if (!reason)
			continue;
		memset(&out[cnt], 0, sizeof(out[cnt]));
		out[cnt].a = keys[i];
		if (j != NOT_FOUND)
			out[cnt].b = keys[j];
		out[cnt].has_b = j != NOT_FOUND;
		out[cnt].reason = reason;
		cnt++;
	}
	free(t.slot);
	return cnt;
}

/*
 * Pending halves: a chained hash (several halves of one key may wait, e.g.
 * two active-timeout splits) plus a list in arrival order for expiry.
 */
struct pend {
	struct flow_event ev;
	uint64_t added;
	struct pend *hnext;		/* bucket chain, newest first */
	struct pend *prev, *next;	/* arrival order, oldest at head */
};

struct ft_pending {
	struct pend **bucket;
	size_t mask;
	size_t count;
	struct pend *head, *tail;
};

#define PEND_MIN_BUCKETS 64

struct ft_pending *ft_pending_new(void)
{
	struct ft_pending *p = calloc(1, sizeof(*p));

	if (!p)
		return NULL;
	p->bucket = calloc(PEND_MIN_BUCKETS, sizeof(*p->bucket));
	if (!p->bucket) {
		free(p);
		return NULL;
	}
	p->mask = PEND_MIN_BUCKETS - 1;
	return p;
}

void ft_pending_free(struct ft_pending *p)
{
	struct pend *e, *next;

	if (!p)
		return;
	for (e = p->head; e; e = next) {
		next = e->next;
		free(e);
	}
	free(p->bucket);
	free(p);
}

size_t ft_pending_count(const struct ft_pending *p)
{
	return p ? p->count : 0;
}

/* Double the buckets when chains grow long; on failure keep the old ones. */
static void pend_grow(struct ft_pending *p)
{
	size_t size = (p->mask + 1) * 2, i;
	struct pend **nb, *e, *next;

	nb = calloc(size, sizeof(*nb));
	if (!nb)
		return;
	for (i = 0; i <= p->mask; i++) {
		for (e = p->bucket[i]; e; e = next) {
			size_t h = key_hash(&e->ev.key) & (size - 1);

			next = e->hnext;
			e->hnext = nb[h];
			nb[h] = e;
		}
	}
	free(p->bucket);
	p->bucket = nb;
	p->mask = size - 1;
}

/* The oldest waiting half with this key and reason. */
static struct pend *pend_find(const struct ft_pending *p, const struct flow_key *k,
			      uint8_t reason)
{
	struct pend *e, *found = NULL;

	for (e = p->bucket[key_hash(k) & p->mask]; e; e = e->hnext)
		if (e->ev.reason == reason && key_eq(&e->ev.key, k))
			found = e;	/* chains are newest first: keep the last */
	return found;
}

static void pend_insert(struct ft_pending *p, struct pend *e)
{
	size_t h;

	if (p->count >= p->mask + 1)
		pend_grow(p);
	h = key_hash(&e->ev.key) & p->mask;
	e->hnext = p->bucket[h];
	p->bucket[h] = e;
	e->next = NULL;
	e->prev = p->tail;
	if (p->tail)
		p->tail->next = e;
	else
		p->head = e;
	p->tail = e;
	p->count++;
}

static void pend_unlink(struct ft_pending *p, struct pend *e)
{
	struct pend **pp = &p->bucket[key_hash(&e->ev.key) & p->mask];

	while (*pp != e)
		pp = &(*pp)->hnext;
	*pp = e->hnext;
	if (e->prev)
		e->prev->next = e->next;
	else
		p->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		p->tail = e->prev;
	p->count--;
}

int ft_pending_add(struct ft_pending *p, const struct flow_event *ev, uint64_t now,
		   int64_t wall_offset_ns, struct flow_record *out)
{
	struct flow_key rev;
	struct pend *e;

	flow_reverse_key(&ev->key, &rev);
	/* a key that is its own reverse has no other half to wait for */
	if (p && !key_eq(&rev, &ev->key)) {
		e = pend_find(p, &rev, ev->reason);
		if (e) {
			flow_record_build(out, &e->ev.key, &e->ev.stats, &ev->stats,
					  ev->reason, wall_offset_ns);
			pend_unlink(p, e);
			free(e);
			return 1;
		}
		e = malloc(sizeof(*e));
		if (e) {
			e->ev = *ev;
			e->added = now;
			pend_insert(p, e);
			return 0;
		}
	}
	/* nothing to wait for, or no memory to wait in: write it alone, never drop it */
	flow_record_build(out, &ev->key, &ev->stats, NULL, ev->reason, wall_offset_ns);
	return 1;
}

int ft_pending_expire(struct ft_pending *p, uint64_t now, uint64_t wait_ns,
		      int64_t wall_offset_ns, struct flow_record *out)
{
	struct pend *e = p ? p->head : NULL;
	int64_t waited;

	/*
	 * Only the oldest arrival is checked: if the clock stepped back, a
	 * younger entry may look older, and then simply waits for its turn.
	 */
	if (!e)
		return 0;
	waited = (int64_t)(now - e->added);
	if (wait_ns && (waited < 0 || (uint64_t)waited <= wait_ns))
		return 0;
	flow_record_build(out, &e->ev.key, &e->ev.stats, NULL, e->ev.reason, wall_offset_ns);
	pend_unlink(p, e);
	free(e);
	return 1;
}

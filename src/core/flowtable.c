// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* flowtable.c - records from the kernel's events: pairing and orientation. */
#include <netinet/in.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "flowtable.h"
#include "pairing.h"

/* Key bytes that identify a flow: everything but the trailing padding. */
#define KEY_ID_LEN offsetof(struct flow_key, pad)

uint16_t flow_icmp_peer_type(uint8_t proto, uint16_t type)
{
	return fm_icmp_peer(proto, type);
}

void flow_reverse_key(const struct flow_key *k, struct flow_key *rev)
{
	struct flow_key r;

	/* via a local copy: rev may alias k */
	fm_reverse_key(k, &r);
	*rev = r;
}

/*
 * The orientation rule, on the two fields it reads: so that a record can be
 * built from the kernel's entries without decoding them twice.
 */
static bool b_leads(uint8_t as, uint64_t af, uint8_t bs, uint64_t bf)
{
	bool ai = as & FLOW_ST_INITIATOR, bi = bs & FLOW_ST_INITIATOR;

	if (ai != bi)
		return bi;
	/* the side seen first, as the kernel recorded it: survives record splits */
	ai = as & FLOW_ST_LEADER;
	bi = bs & FLOW_ST_LEADER;
	if (ai != bi)
		return bi;
	return bf < af;	/* a tie keeps a */
}

bool flow_b_is_forward(const struct flow_side *a, const struct flow_side *b)
{
	if (!b)
		return false;
	if (!a)
		return true;
	return b_leads(a->state, a->first_seen, b->state, b->first_seen);
}

static bool points_into(const void *p, const struct flow_record *r)
{
	return (const char *)p >= (const char *)r && (const char *)p < (const char *)(r + 1);
}

/*
 * Decoding straight into the record saves two copies of a side per record
 * (the collector builds one per ended connection); inputs that point into
 * the record itself go through copies.
 */
void flow_record_build(struct flow_record *r, const struct flow_key *ka,
		       const struct flow_metrics *a, const struct flow_metrics *b,
		       uint8_t reason, int64_t wall_offset_ns)
{
	const struct flow_metrics *t;
	struct flow_metrics ca, cb;
	struct flow_key k;
	bool b_fwd;

	memset(&k, 0, sizeof(k));
	memcpy(&k, ka, KEY_ID_LEN);
	if (a && points_into(a, r))
		a = memcpy(&ca, a, sizeof(ca));
	if (b && points_into(b, r))
		b = memcpy(&cb, b, sizeof(cb));
	b_fwd = !a || (b && b_leads(a->state, a->first_seen, b->state, b->first_seen));
	if (b_fwd) {
		/* b leads: the record's key is b's, i.e. the reverse of ka */
		flow_reverse_key(&k, &k);
		t = a;
		a = b;
		b = t;
	}
	/* now a is forward; b is missing in a half record */
	if (a)
		flow_side_decode(a, &r->fwd);
	else
		memset(&r->fwd, 0, sizeof(r->fwd));
	if (b)
		flow_side_decode(b, &r->rev);
	else
		memset(&r->rev, 0, sizeof(r->rev));
	r->key = k;
	r->has_rev = a && b;
	r->fwd.ipver = k.ipver;
	if (r->has_rev)
		r->rev.ipver = k.ipver;
	r->end_reason = reason;
	r->wall_offset_ns = wall_offset_ns;
	r->flow_id = 0;
}

int flow_record_from_bytes(struct flow_record *r, const void *data, size_t size,
			   int64_t wall_offset_ns)
{
	const struct flow_event *ev = data;
	const struct flow_metrics *b = NULL;

	if (size < FLOW_EVENT_HALF)
		return 0;
	/* a half record (one direction) stops at key_b */
	if (size >= sizeof(*ev) && ev->has_b)
		b = &ev->b;
	if (ev->has_a)
		flow_record_build(r, &ev->key_a, &ev->a, b, ev->reason, wall_offset_ns);
	else if (b)
		flow_record_build(r, &ev->key_b, b, NULL, ev->reason, wall_offset_ns);
	else
		return 0;
	return 1;
}

int flow_record_from_event(struct flow_record *r, const struct flow_event *ev,
			   int64_t wall_offset_ns)
{
	return flow_record_from_bytes(r, ev, sizeof(*ev), wall_offset_ns);
}

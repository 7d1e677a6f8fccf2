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

bool flow_b_is_forward(const struct flow_side *a, const struct flow_side *b)
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

void flow_record_build(struct flow_record *r, const struct flow_key *ka,
		       const struct flow_metrics *a, const struct flow_metrics *b,
		       uint8_t reason, int64_t wall_offset_ns)
{
	struct flow_side sa, sb;
	struct flow_key k;

	/* copies first: ka, a or b may point into *r */
	memset(&k, 0, sizeof(k));
	memcpy(&k, ka, KEY_ID_LEN);
	memset(&sa, 0, sizeof(sa));
	memset(&sb, 0, sizeof(sb));
	if (a)
		flow_side_decode(a, &sa);
	if (b)
		flow_side_decode(b, &sb);
	memset(r, 0, sizeof(*r));
	if (!a || flow_b_is_forward(&sa, b ? &sb : NULL)) {
		/* b leads: the record's key is b's, i.e. the reverse of ka */
		flow_reverse_key(&k, &k);
		r->fwd = sb;
		r->rev = sa;
	} else {
		r->fwd = sa;
		r->rev = sb;
	}
	r->key = k;
	r->has_rev = a && b;
	r->fwd.ipver = k.ipver;
	if (r->has_rev)
		r->rev.ipver = k.ipver;
	r->end_reason = reason;
	r->wall_offset_ns = wall_offset_ns;
}

int flow_record_from_event(struct flow_record *r, const struct flow_event *ev,
			   int64_t wall_offset_ns)
{
	if (ev->has_a)
		flow_record_build(r, &ev->key_a, &ev->a, ev->has_b ? &ev->b : NULL, ev->reason,
				  wall_offset_ns);
	else if (ev->has_b)
		flow_record_build(r, &ev->key_b, &ev->b, NULL, ev->reason, wall_offset_ns);
	else
		return 0;
	return 1;
}

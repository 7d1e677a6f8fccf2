// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * engine.c - the offline engine: src/datapath compiled with FM_NATIVE over
 * tables in process memory (platform.h says what the datapath needs).
 *
 * The flow table behaves as the kernel's BPF hash map does for the
 * datapath: a capacity (insert fails with -E2BIG when full), -EEXIST for a
 * present key, entries stable in memory until deleted, and an iteration
 * that tolerates deletions of the visited and other entries. Iteration is
 * in slot order, so a replay is deterministic.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "engine.h"

#define FM_NATIVE 1
#include "types.h"
#include "platform.h"
#include "pkt.h"
#include "pairing.h"
#include "parse.h"
#include "clock.h"
#include "account.h"
#include "meter.h"
#include "sweep.h"

struct flow_node {
	uint32_t next;		/* next slot + 1 in the bucket's chain, 0 = end */
	uint32_t used;
	struct flow_key key;
	struct flow_metrics val;
};

struct frag_node {
	uint32_t next;
	uint32_t used;
	struct frag_key key;
	struct frag_ports val;
};

struct fm_native {
	/* flow table */
	uint32_t *buckets;	/* slot + 1 of a chain's head, 0 = empty */
	uint32_t mask;
	struct flow_node *nodes;
	uint32_t cap;		/* slots allocated */
	uint32_t max;		/* capacity */
	uint32_t hwm;		/* slots ever used */
	uint32_t count;
	uint32_t free_head;	/* slot + 1 of a free slot (chained through next) */
	/* fragment table: FIFO eviction when full (the kernel's is LRU) */
	uint32_t frag_buckets[FLOWMON_FRAG_ENTRIES * 2];
	struct frag_node frags[FLOWMON_FRAG_ENTRIES];
	uint32_t frag_count;
	uint32_t frag_oldest;
	/* per-CPU state of the kernel; one CPU here */
	uint64_t counters[CNT_MAX];
	struct flow_metrics scratch;
	struct full_miss full_miss;
	struct flow_event ev;
	bool ev_busy;
	fm_event_fn on_event;
	void *ctx;
};

struct flowmon_config fm_cfg;
static struct fm_native *fm_engine;

static uint64_t key_hash(const void *k, size_t len)
{
	const uint8_t *p = k;
	uint64_t h = 0x9e3779b97f4a7c15ULL, w;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&w, p + i, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdULL;
		h ^= h >> 32;
	}
	for (; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h ^ (h >> 29);
}

static uint32_t *chain_of(struct fm_native *e, const struct flow_key *k)
{
	return &e->buckets[key_hash(k, sizeof(*k)) & e->mask];
}

struct flow_metrics *fm_flow_lookup(const struct flow_key *k)
{
	uint32_t i = *chain_of(fm_engine, k);

	while (i) {
		struct flow_node *n = &fm_engine->nodes[i - 1];

		if (!memcmp(&n->key, k, sizeof(*k)))
			return &n->val;
		i = n->next;
	}
	return NULL;
}

/* A free slot: one deleted before, or a new one (the array grows by doubling). */
static long take_slot(struct fm_native *e, uint32_t *slot)
{
	struct flow_node *nodes;
	uint32_t cap;

	if (e->free_head) {
		*slot = e->free_head - 1;
		e->free_head = e->nodes[*slot].next;
		return 0;
	}
	if (e->hwm == e->cap) {
		cap = e->cap ? e->cap * 2 : 1024;
		if (cap > e->max)
			cap = e->max;
		nodes = realloc(e->nodes, (size_t)cap * sizeof(*nodes));
		if (!nodes)
			return -ENOMEM;
		e->nodes = nodes;
		e->cap = cap;
	}
	*slot = e->hwm++;
	return 0;
}

long fm_flow_insert(const struct flow_key *k, const struct flow_metrics *v)
{
	struct fm_native *e = fm_engine;
	uint32_t *head, slot;
	long err;

	if (fm_flow_lookup(k))
		return -FM_EEXIST;
	if (e->count >= e->max)
		return -FM_E2BIG;
	err = take_slot(e, &slot);
	if (err)
		return err;
	head = chain_of(e, k);
	e->nodes[slot].key = *k;
	e->nodes[slot].val = *v;
	e->nodes[slot].used = 1;
	e->nodes[slot].next = *head;
	*head = slot + 1;
	e->count++;
	return 0;
}

void fm_flow_delete(const struct flow_key *k)
{
	struct fm_native *e = fm_engine;
	uint32_t *link = chain_of(e, k);

	while (*link) {
		struct flow_node *n = &e->nodes[*link - 1];
		uint32_t slot = *link - 1;

		if (!memcmp(&n->key, k, sizeof(*k))) {
			*link = n->next;
			n->used = 0;
			n->next = e->free_head;
			e->free_head = slot + 1;
			e->count--;
			return;
		}
		link = &n->next;
	}
}

static uint32_t *frag_chain(struct fm_native *e, const struct frag_key *k)
{
	return &e->frag_buckets[key_hash(k, sizeof(*k)) % (FLOWMON_FRAG_ENTRIES * 2)];
}

struct frag_ports *fm_frag_lookup(const struct frag_key *k)
{
	uint32_t i = *frag_chain(fm_engine, k);

	while (i) {
		struct frag_node *n = &fm_engine->frags[i - 1];

		if (!memcmp(&n->key, k, sizeof(*k)))
			return &n->val;
		i = n->next;
	}
	return NULL;
}

static void frag_unlink(struct fm_native *e, uint32_t slot)
{
	uint32_t *link = frag_chain(e, &e->frags[slot].key);

	while (*link && *link != slot + 1)
		link = &e->frags[*link - 1].next;
	if (*link)
		*link = e->frags[slot].next;
	e->frags[slot].used = 0;
}

void fm_frag_update(const struct frag_key *k, const struct frag_ports *v)
{
	struct fm_native *e = fm_engine;
	struct frag_ports *old = fm_frag_lookup(k);
	uint32_t slot, *head;

	if (old) {
		*old = *v;
		return;
	}
	if (e->frag_count < FLOWMON_FRAG_ENTRIES) {
		slot = e->frag_count++;
	} else {
		slot = e->frag_oldest;	/* full: the oldest train goes */
		e->frag_oldest = (e->frag_oldest + 1) % FLOWMON_FRAG_ENTRIES;
		frag_unlink(e, slot);
	}
	head = frag_chain(e, k);
	e->frags[slot] = (struct frag_node){ .next = *head, .used = 1, .key = *k, .val = *v };
	*head = slot + 1;
}

void fm_count(__u32 idx, __u64 n)
{
	if (idx < CNT_MAX)
		fm_engine->counters[idx] += n;
}

struct flow_event *fm_event_reserve(int whole)
{
	if (fm_engine->ev_busy)
		return NULL;
	fm_engine->ev_busy = true;
	fm_engine->ev.has_b = 0;	/* a half record has no b */
	return &fm_engine->ev;
}

void fm_event_submit(struct flow_event *ev)
{
	fm_engine->ev_busy = false;
	if (fm_engine->on_event)
		fm_engine->on_event(fm_engine->ctx, ev);
}

void fm_event_discard(struct flow_event *ev)
{
	fm_engine->ev_busy = false;
}

struct flow_metrics *fm_scratch_entry(void)
{
	return &fm_engine->scratch;
}

struct full_miss *fm_full_miss_slot(void)
{
	return &fm_engine->full_miss;
}

struct fm_native *fm_native_new(const struct fm_native_opts *o)
{
	struct fm_native *e;
	uint32_t nb = 1;

	if (fm_engine)
		return NULL;
	e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->max = o->max_flows ? o->max_flows : FLOWMON_DEFAULT_MAX_FLOWS;
	while (nb < e->max && nb < (1u << 31))
		nb <<= 1;	/* load factor at most 1, as the kernel's buckets */
	e->buckets = calloc(nb, sizeof(*e->buckets));
	if (!e->buckets) {
		free(e);
		return NULL;
	}
	e->mask = nb - 1;
	e->on_event = o->on_event;
	e->ctx = o->ctx;
	memset(&fm_cfg, 0, sizeof(fm_cfg));
	fm_cfg.idle_timeout_ns = o->idle_ns;
	fm_cfg.active_timeout_ns = o->active_ns;
	fm_cfg.replay_mode = 1;
	fm_cfg.features = o->features;
	fm_cfg.table_features = FLOWMON_F_ALL;	/* entries in process memory: whole */
	fm_engine = e;
	return e;
}

void fm_native_free(struct fm_native *e)
{
	if (!e)
		return;
	if (fm_engine == e)
		fm_engine = NULL;
	free(e->buckets);
	free(e->nodes);
	free(e);
}

/* The same steps as tc_flowmon_kern.c's tc_meter() in replay mode. */
void fm_native_packet(struct fm_native *e, const uint8_t *frame, uint32_t caplen,
		      uint32_t wire_len, uint64_t ts_ns, int fake_l2)
{
	struct fm_pkt p = {
		.data = (void *)frame,
		.end = (void *)(frame + caplen),
		.hook = FM_HOOK_NATIVE,
		.has_l2 = 1,
		.fake_l2 = !!fake_l2,
	};
	struct fm_meta m;
	int err;

	memset(&m, 0, sizeof(m));
	m.wscale = FLOW_WSCALE_NONE;
	m.ifindex = 1;
	m.dir = FLOW_DIR_INGRESS;
	m.tstamp = ts_ns;
	m.frame_len = wire_len > caplen ? wire_len : caplen;
	err = fm_parse(&p, &m);
	if (err) {
		fm_count(err == PARSE_NON_IP ? CNT_NON_IP : (uint32_t)err, 1);
		return;
	}
	fm_account(&m);
	(void)e;
}

void fm_native_sweep(struct fm_native *e, struct flowmon_sweep *a)
{
	uint32_t i;

	a->visited = 0;
	a->ended = 0;
	a->purged = 0;
	a->more = 0;
	for (i = 0; i < e->hwm; i++) {
		struct flow_node *n = &e->nodes[i];

		if (n->used && sweep_visit(&n->key, &n->val, a))
			break;
	}
}

void fm_native_counters(const struct fm_native *e, uint64_t out[CNT_MAX])
{
	memcpy(out, e->counters, sizeof(e->counters));
}

uint32_t fm_native_flows(const struct fm_native *e)
{
	return e->count;
}

uint32_t fm_native_max_flows(const struct fm_native *e)
{
	return e->max;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* flowread.c - open flows from a flow table: batched lookups, pairing, no change. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include "flowread.h"
#include "flowtable.h"
#include "pairing.h"

#define SLOT_EMPTY UINT32_MAX
#define KEY_ID_LEN offsetof(struct flow_key, pad)

int flowread_init(struct flowread *fr, int fd, uint32_t max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	memset(fr, 0, sizeof(*fr));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (!FLOWMON_ENTRY_SIZE_VALID(info.value_size))
		return -EINVAL;
	fr->value_size = info.value_size;
	fr->fd = fd;
	fr->max_entries = max_entries;
	for (fr->nslot = 64; fr->nslot < 2 * max_entries; fr->nslot <<= 1)
		;
	fr->keys = calloc(max_entries, sizeof(*fr->keys));
	fr->vals = calloc(max_entries, sizeof(*fr->vals));
	fr->slot = calloc(fr->nslot, sizeof(*fr->slot));
	fr->recs = calloc(max_entries, sizeof(*fr->recs));
	if (!fr->keys || !fr->vals || !fr->slot || !fr->recs) {
		flowread_free(fr);
		return -ENOMEM;
	}
	return 0;
}

void flowread_free(struct flowread *fr)
{
	free(fr->keys);
	free(fr->vals);
	free(fr->slot);
	free(fr->recs);
	memset(fr, 0, sizeof(*fr));
	fr->fd = -1;
}

/*
 * Entries of a table with shorter values (a smaller profile) were read
 * value_size apart: spread them to whole structs, from the last down (each
 * lands at or above where it was read), the rest zero.
 */
static void expand(struct flowread *fr)
{
	size_t i, vs = fr->value_size;

	if (vs == sizeof(struct flow_metrics))
		return;
	for (i = fr->entries; i-- > 0;) {
		memmove(&fr->vals[i], (char *)fr->vals + i * vs, vs);
		memset((char *)&fr->vals[i] + vs, 0, sizeof(struct flow_metrics) - vs);
	}
}

/* Every entry, in batches; a table that grows meanwhile is read up to its capacity. */
static int read_all(struct flowread *fr)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts);
	uint32_t batch, count, n = 0, tries;
	bool first = true;
	int err = 0;

	for (tries = 0; n < fr->max_entries && tries < fr->max_entries + 2; tries++) {
		count = fr->max_entries - n;
		err = bpf_map_lookup_batch(fr->fd, first ? NULL : &batch, &batch, fr->keys + n,
					   (char *)fr->vals + (size_t)n * fr->value_size, &count,
					   &opts);
		err = err ? -errno : 0;
		first = false;
		n += count;
		if (err)
			break;
	}
	fr->entries = n;
	expand(fr);
	/* ENOENT: the end; ENOSPC: a last bucket larger than the room left (a full table) */
	return err == -ENOENT || err == -ENOSPC ? 0 : err;
}

static uint32_t key_hash(const struct flow_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < KEY_ID_LEN; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void index_keys(struct flowread *fr)
{
	uint32_t i, s;

	memset(fr->slot, 0xff, fr->nslot * sizeof(*fr->slot));
	for (i = 0; i < fr->entries; i++) {
		for (s = key_hash(&fr->keys[i]) & (fr->nslot - 1); fr->slot[s] != SLOT_EMPTY;
		     s = (s + 1) & (fr->nslot - 1))
			;
		fr->slot[s] = i;
	}
}

static uint32_t find_key(const struct flowread *fr, const struct flow_key *k)
{
	uint32_t s, i;

	for (s = key_hash(k) & (fr->nslot - 1); (i = fr->slot[s]) != SLOT_EMPTY;
	     s = (s + 1) & (fr->nslot - 1))
		if (!memcmp(&fr->keys[i], k, KEY_ID_LEN))
			return i;
	return SLOT_EMPTY;
}

int flowread_snapshot(struct flowread *fr, int64_t wall_offset_ns)
{
	struct flow_metrics *a, *b;
	struct flow_key rk;
	uint32_t i, j;
	int err;

	fr->n = 0;
	err = read_all(fr);
	if (err)
		return err;
	index_keys(fr);
	for (i = 0; i < fr->entries; i++) {
		a = &fr->vals[i];
		if (!a->owner)	/* taken: the sweeper is writing it out */
			continue;
		memset(&rk, 0, sizeof(rk));
		fm_reverse_key(&fr->keys[i], &rk);
		j = find_key(fr, &rk);
		b = j != SLOT_EMPTY && j != i && fr->vals[j].owner ? &fr->vals[j] : NULL;
		if (b && j < i)
			continue;	/* the pair was made at j */
		flow_record_build(&fr->recs[fr->n++], &fr->keys[i], a, b, 0, wall_offset_ns);
	}
	return 0;
}

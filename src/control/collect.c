// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* collect.c - read, end, purge and write flows of the kernel table. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "collect.h"
#include "log.h"

_Static_assert(sizeof(struct flow_key) == 40, "flow_key ABI");
_Static_assert(sizeof(struct flow_metrics) == 224, "flow_metrics ABI");
_Static_assert(sizeof(struct flow_event) == 272, "flow_event ABI");

int collector_check_map(int fd, const char *what, uint32_t *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		pr_err("failed to inspect map %s: %s\n", what, strerror(-err));
		return err;
	}
	if (info.type != BPF_MAP_TYPE_HASH || info.key_size != sizeof(struct flow_key) ||
	    info.value_size != sizeof(struct flow_metrics)) {
		pr_err("failed to use map %s: wrong shape (type %u, key %u B, value %u B; "
		       "expected hash, key %zu B, value %zu B)\n",
		       what, info.type, info.key_size, info.value_size,
		       sizeof(struct flow_key), sizeof(struct flow_metrics));
		return -EINVAL;
	}
	if (max_entries)
		*max_entries = info.max_entries;
	return 0;
}

/*
 * A packet may hold a pointer to an entry that userland deletes; if the
 * kernel then ends the record in that freed entry, its event repeats what
 * was already written. Halves deleted in the last scans are remembered
 * (a lossy cache: a collision only forgets) and such events are dropped.
 */
#define TAKEN_SLOTS (1u << 16)

struct taken_slot {
	struct flow_key key;
	uint64_t first_seen;
	uint32_t gen;
};

static uint32_t taken_hash(const struct flow_key *k)
{
	const uint32_t *w = (const uint32_t *)k;
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < sizeof(*k) / 4; i++)
		h = (h ^ w[i]) * 16777619u;
	return h & (TAKEN_SLOTS - 1);
}

static void taken_note(struct collector *c, const struct flow_key *k, uint64_t first_seen)
{
	struct taken_slot *t = &c->taken[taken_hash(k)];

	t->key = *k;
	t->first_seen = first_seen;
	t->gen = c->gen;
}

/* A half that went back into the table is live again: forget it. */
static void taken_forget(struct collector *c, const struct flow_key *k)
{
	c->taken[taken_hash(k)].gen = 0;
}

static bool taken_recently(const struct collector *c, const struct flow_event *ev)
{
	const struct taken_slot *t = &c->taken[taken_hash(&ev->key)];

	return c->gen - t->gen <= 2 && t->first_seen == ev->stats.first_seen &&
	       !memcmp(&t->key, &ev->key, sizeof(t->key));
}

static int emit(struct collector *c, struct flow_record *r)
{
	int err = c->emit ? c->emit(c->emit_ctx, r) : 0;

	if (err)
		c->emit_errors++;
	else
		c->written++;
	return err;
}

static int on_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	struct flow_record r;

	if (size < sizeof(struct flow_event))
		return 0;
	if (taken_recently(c, data)) {
		c->stale_events++;
		return 0;
	}
	c->events++;
	if (ft_pending_add(c->pending, data, c->now, c->wall_offset_ns, &r) == 1)
		emit(c, &r);
	return 0;
}

int collector_init(struct collector *c, int flows_fd, int counters_fd, int events_fd,
		   const struct ft_config *cfg, emit_fn fn, void *emit_ctx)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->flows_fd = flows_fd;
	c->counters_fd = counters_fd;
	c->events_fd = events_fd;
	c->cfg = *cfg;
	c->emit = fn;
	c->emit_ctx = emit_ctx;
	c->batch_ok = true;
	err = collector_check_map(flows_fd, "flow table", &c->max_entries);
	if (err)
		return err;
	c->keys = calloc(c->max_entries, sizeof(*c->keys));
	c->vals = calloc(c->max_entries, sizeof(*c->vals));
	c->ends = calloc(c->max_entries, sizeof(*c->ends));
	c->taken = calloc(TAKEN_SLOTS, sizeof(*c->taken));
	c->gen = 3;	/* slots start at gen 0: "long ago" */
	c->pending = ft_pending_new();
	if (!c->keys || !c->vals || !c->ends || !c->pending || !c->taken)
		goto nomem;
	if (events_fd >= 0) {
		c->rb = ring_buffer__new(events_fd, on_event, c, NULL);
		if (!c->rb) {
			err = -errno;
			pr_err("failed to open ring buffer: %s\n", strerror(errno));
			collector_free(c);
			return err;
		}
	}
	return 0;
nomem:
	pr_err("failed to allocate scan buffers for %u flows\n", c->max_entries);
	collector_free(c);
	return -ENOMEM;
}

void collector_free(struct collector *c)
{
	ring_buffer__free(c->rb);
	ft_pending_free(c->pending);
	free(c->keys);
	free(c->vals);
	free(c->ends);
	free(c->taken);
	c->taken = NULL;
	c->rb = NULL;
	c->pending = NULL;
	c->keys = NULL;
	c->vals = NULL;
	c->ends = NULL;
}

/* Fallback for kernels without batch ops: walk the keys one by one. */
static ssize_t read_by_key(struct collector *c)
{
	struct flow_key *prev = NULL;
	size_t n = 0;

	while (n < c->max_entries && !bpf_map_get_next_key(c->flows_fd, prev, &c->keys[n])) {
		prev = &c->keys[n];
		if (bpf_map_lookup_elem_flags(c->flows_fd, &c->keys[n], &c->vals[n], BPF_F_LOCK))
			continue;	/* deleted meanwhile */
		n++;
	}
	return n;
}

ssize_t collector_read(struct collector *c)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = BPF_F_LOCK);
	__u64 token = 0;
	size_t n = 0;
	void *in = NULL;
	int err;

	if (!c->batch_ok)
		return read_by_key(c);
	while (n < c->max_entries) {
		__u32 cnt = c->max_entries - n;

		err = bpf_map_lookup_batch(c->flows_fd, in, &token, c->keys + n, c->vals + n,
					   &cnt, &opts);
		n += cnt;
		if (err) {
			if (errno == ENOENT)
				break;	/* walked every bucket */
			if (n == 0 && (errno == EINVAL || errno == EOPNOTSUPP)) {
				c->batch_ok = false;
				return read_by_key(c);
			}
			return -errno;
		}
		in = &token;
	}
	return n;
}

/* Atomically take one direction out of the table (0, or -ENOENT if gone). */
static int take(struct collector *c, const struct flow_key *k, struct flow_metrics *v)
{
	if (bpf_map_lookup_and_delete_elem_flags(c->flows_fd, k, v, BPF_F_LOCK))
		return -errno;
	c->purged++;
	if (v->arrivals)
		taken_note(c, k, v->first_seen);
	return 0;
}

/* End one connection: delete both halves, then write what they held. */
/*
 * The plan was made on a snapshot: if the kernel began a new connection on
 * the key since (a SYN after FIN/RST ends the old record in the kernel), the
 * copies just taken no longer end. Put them back (only if the kernel has
 * not re-created the entry meanwhile); the halves that could not go back
 * are written. Returns whether anything is left to write.
 */
static bool put_back_live(struct collector *c, const struct ft_end *e, struct flow_metrics *a,
			  bool *has_a, struct flow_metrics *b, bool *has_b)
{
	if (flow_end_reason(&c->cfg, *has_a ? &e->a : &e->b, *has_a ? a : b,
			    *has_a && *has_b ? b : NULL, c->now))
		return true;
	if (*has_a && !bpf_map_update_elem(c->flows_fd, &e->a, a, BPF_NOEXIST)) {
		*has_a = false;
		c->purged--;
		taken_forget(c, &e->a);
	}
	if (*has_b && !bpf_map_update_elem(c->flows_fd, &e->b, b, BPF_NOEXIST)) {
		*has_b = false;
		c->purged--;
		taken_forget(c, &e->b);
	}
	return *has_a || *has_b;
}

static void end_connection(struct collector *c, const struct ft_end *e, bool recheck)
{
	struct flow_metrics a, b;
	struct flow_record r;
	bool has_a, has_b;

	/* an entry emptied by its reverse's kernel split holds nothing to write */
	has_a = take(c, &e->a, &a) == 0 && a.arrivals;
	has_b = e->has_b && take(c, &e->b, &b) == 0 && b.arrivals;
	if (!has_a && !has_b)
		return;
	if (recheck && !put_back_live(c, e, &a, &has_a, &b, &has_b))
		return;
	if (has_a)
		flow_record_build(&r, &e->a, &a, has_b ? &b : NULL, e->reason, c->wall_offset_ns);
	else
		flow_record_build(&r, &e->b, &b, NULL, e->reason, c->wall_offset_ns);
	emit(c, &r);
}

int collector_drain_events(struct collector *c, uint64_t now)
{
	struct flow_record r;

	c->now = now;
	if (c->rb)
		ring_buffer__consume(c->rb);
	while (ft_pending_expire(c->pending, now, c->cfg.pair_wait_ns, c->wall_offset_ns, &r))
		emit(c, &r);
	return 0;
}

int collector_scan(struct collector *c, uint64_t now)
{
	ssize_t n;
	size_t i, m;

	uint64_t purged = c->purged;

	c->gen++;
	collector_drain_events(c, now);
	n = collector_read(c);
	if (n < 0)
		return n;
	c->last_entries = n;
	m = flowtable_plan(&c->cfg, c->keys, c->vals, n, now, c->ends, c->max_entries);
	for (i = 0; i < m; i++)
		end_connection(c, &c->ends[i], true);
	c->last_ended = m;
	c->last_purged = c->purged - purged;
	return 0;
}

static int write_all(struct collector *c, uint64_t now, uint8_t reason, bool purge)
{
	struct ft_config all = c->cfg;
	ssize_t n;
	size_t i, m;

	collector_drain_events(c, now);
	n = collector_read(c);
	if (n < 0)
		return n;
	all.end_all = true;	/* every connection, each listed once */
	m = flowtable_plan(&all, c->keys, c->vals, n, now, c->ends, c->max_entries);
	for (i = 0; i < m; i++) {
		struct ft_end *e = &c->ends[i];
		struct flow_metrics a, b;
		struct flow_record r;
		bool has_a, has_b;

		e->reason = reason;
		if (purge) {
			end_connection(c, e, false);
			continue;
		}
		/* -i 0: a fresh locked copy of each half, nothing deleted */
		has_a = !bpf_map_lookup_elem_flags(c->flows_fd, &e->a, &a, BPF_F_LOCK) &&
			a.arrivals;
		has_b = e->has_b &&
			!bpf_map_lookup_elem_flags(c->flows_fd, &e->b, &b, BPF_F_LOCK) &&
			b.arrivals;
		if (has_a || has_b) {
			flow_record_build(&r, has_a ? &e->a : &e->b, has_a ? &a : &b,
					  has_a && has_b ? &b : NULL, 0, c->wall_offset_ns);
			emit(c, &r);
		}
	}
	return 0;
}

int collector_flush(struct collector *c, uint64_t now, uint8_t reason)
{
	struct flow_record r;
	int err = write_all(c, now, reason, true);

	while (ft_pending_expire(c->pending, now, 0, c->wall_offset_ns, &r))
		emit(c, &r);
	return err;
}

int collector_print(struct collector *c, uint64_t now)
{
	return write_all(c, now, 0, false);
}

int collector_counters(const struct collector *c, uint64_t out[CNT_MAX])
{
	int ncpu = libbpf_num_possible_cpus(), i, cpu;
	__u64 *vals;

	memset(out, 0, sizeof(uint64_t) * CNT_MAX);
	if (c->counters_fd < 0 || ncpu <= 0)
		return 0;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < CNT_MAX; i++) {
		__u32 key = i;

		if (bpf_map_lookup_elem(c->counters_fd, &key, vals))
			continue;
		for (cpu = 0; cpu < ncpu; cpu++)
			out[i] += vals[cpu];
	}
	free(vals);
	return 0;
}

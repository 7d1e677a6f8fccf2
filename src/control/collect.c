// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* collect.c - run the kernel's sweeper and turn its events into records. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "now.h"
#include "collect.h"
#include "mapwalk.h"
#include "log.h"

_Static_assert(sizeof(struct flow_key) == 40, "flow_key ABI");
_Static_assert(sizeof(struct flow_metrics) == 208, "flow_metrics ABI");
_Static_assert(sizeof(struct flow_event) == 504, "flow_event ABI");
_Static_assert(FLOW_EVENT_HALF == 256, "flow_event ABI");
_Static_assert(sizeof(struct flowmon_sweep) == 48, "flowmon_sweep ABI");

/* Sweeps per scan at most: each one ends what fits in the ring, then we read. */
#define SWEEP_ROUNDS	1024

bool collector_is_flow_table(const struct bpf_map_info *info)
{
	/* entries as long as a profile's blocks (flowmon.h): 64 to 208 bytes */
	return info->type == BPF_MAP_TYPE_HASH && info->key_size == sizeof(struct flow_key) &&
	       FLOWMON_ENTRY_SIZE_VALID(info->value_size);
}

int collector_check_map(int fd, const char *what, uint32_t *max_entries)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		int err = -errno;

		pr_err("failed to inspect map %s: %s\n", what, strerror(-err));
		return err;
	}
	if (!collector_is_flow_table(&info)) {
		pr_err("failed to use map %s: wrong shape (type %u, key %u B, value %u B; "
		       "expected hash, key %zu B, value %u-%zu B)\n",
		       what, info.type, info.key_size, info.value_size, sizeof(struct flow_key),
		       (unsigned int)FLOWMON_END_HOT, sizeof(struct flow_metrics));
		return -EINVAL;
	}
	if (max_entries)
		*max_entries = info.max_entries;
	return 0;
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

/* Built in place from the ring's memory (ours until we return): no copy first. */
static int on_event(void *ctx, void *data, size_t size)
{
	struct collector *c = ctx;
	struct flow_record r;

	if (size < FLOW_EVENT_HALF)
		return 0;
	c->events++;
	if (!flow_record_from_bytes(&r, data, size, c->wall_offset_ns))
		return 0;
	if (c->attach)
		c->attach(c->attach_ctx, &r, !c->printing);
	emit(c, &r);
	return 0;
}

int collector_init(struct collector *c, int flows_fd, int counters_fd, int events_fd,
		   int sweep_fd, const struct ft_config *cfg, emit_fn fn, void *emit_ctx)
{
	int err;

	memset(c, 0, sizeof(*c));
	c->flows_fd = flows_fd;
	c->counters_fd = counters_fd;
	c->events_fd = events_fd;
	c->sweep_fd = sweep_fd;
	c->cfg = *cfg;
	c->emit = fn;
	c->emit_ctx = emit_ctx;
	err = collector_check_map(flows_fd, "flow table", &c->max_entries);
	if (err)
		return err;
	if (events_fd >= 0) {
		c->rb = ring_buffer__new(events_fd, on_event, c, NULL);
		if (!c->rb) {
			err = -errno;
			pr_err("failed to open ring buffer: %s\n", strerror(-err));
			return err;
		}
	}
	return 0;
}

void collector_free(struct collector *c)
{
	ring_buffer__free(c->rb);
	c->rb = NULL;
}

ssize_t collector_count(struct collector *c)
{
	return map_count_keys(c->flows_fd, (long)c->max_entries + 1);
}

/* One run of the sweeper: the arguments and results travel in the packet. */
static int sweep_once(struct collector *c, struct flowmon_sweep *a)
{
	unsigned char in[FLOWMON_SWEEP_HDR + sizeof(*a)] = { 0 };
	unsigned char out[sizeof(in) + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = sizeof(in),
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	memcpy(in + FLOWMON_SWEEP_HDR, a, sizeof(*a));
	if (bpf_prog_test_run_opts(c->sweep_fd, &opts))
		return -errno;
	if (opts.retval || opts.data_size_out < sizeof(in))
		return -EINVAL;
	memcpy(a, out + FLOWMON_SWEEP_HDR, sizeof(*a));
	return 0;
}

/*
 * While the sweeper runs (in this thread, inside BPF_PROG_TEST_RUN) a second
 * thread reads its records as they come, so that the ring rarely fills: a
 * full ring stops the walk, and each further round walks the table again.
 * Only that thread emits records until it is joined.
 */
struct ring_reader {
	struct ring_buffer *rb;
	volatile int stop;
};

static void *ring_reader_run(void *arg)
{
	struct ring_reader *r = arg;

	struct timespec pause = { 0, 100000 };

	/* the sweeper wakes nobody (BPF_RB_NO_WAKEUP): read, or pause 0.1 ms */
	while (!r->stop) {
		if (ring_buffer__consume(r->rb) <= 0)
			nanosleep(&pause, NULL);
	}
	return NULL;
}

static int sweep_rounds(struct collector *c, struct flowmon_sweep *a)
{
	struct ring_reader reader = { .rb = c->rb };
	pthread_t tid;
	bool threaded;
	int i, err = 0;

	for (i = 0; i < SWEEP_ROUNDS && c->sweep_fd >= 0; i++) {
		reader.stop = 0;
		threaded = c->rb && !pthread_create(&tid, NULL, ring_reader_run, &reader);
		err = sweep_once(c, a);
		if (threaded) {
			reader.stop = 1;
			pthread_join(tid, NULL);
		}
		if (err)
			break;
		if (i == 0)
			c->last_entries = a->visited;
		c->last_ended += a->ended;
		c->last_purged += a->purged;
		c->purged += a->purged;
		if (c->rb)
			ring_buffer__consume(c->rb);
		if (!a->more)
			break;
	}
	return err;
}

/* Sweep until the table is through. */
static int sweep(struct collector *c, uint32_t mode, uint64_t now)
{
	struct flowmon_sweep a = {
		.now = now,
		.idle_ns = c->cfg.idle_ns,
		.linger_ns = c->cfg.linger_ns,
		.mode = mode,
		.lazy_idle = c->cfg.lazy_idle,
	};
	uint64_t t0 = clock_ns(CLOCK_MONOTONIC);
	int err;

	c->now = now;
	c->last_ended = 0;
	c->last_purged = 0;
	c->printing = mode == SWEEP_PRINT;
	err = sweep_rounds(c, &a);
	c->printing = false;
	c->last_sweep_ns = clock_ns(CLOCK_MONOTONIC) - t0;
	return err;
}

int collector_drain_events(struct collector *c, uint64_t now)
{
	c->now = now;
	if (c->rb)
		ring_buffer__consume(c->rb);
	return 0;
}

int collector_scan(struct collector *c, uint64_t now)
{
	collector_drain_events(c, now);
	return sweep(c, c->cfg.pressure ? SWEEP_PRESSURE : SWEEP_SCAN, now);
}

int collector_flush(struct collector *c, uint64_t now)
{
	collector_drain_events(c, now);
	return sweep(c, SWEEP_FLUSH, now);
}

int collector_print(struct collector *c, uint64_t now)
{
	collector_drain_events(c, now);
	return sweep(c, SWEEP_PRINT, now);
}

void collector_clear_map(int fd)
{
	unsigned char key[256];
	int i;

	/* always the first key: deleting it moves the walk on; bounded */
	for (i = 0; i < (1 << 24) && !bpf_map_get_next_key(fd, NULL, key); i++) {
		if (bpf_map_delete_elem(fd, key))
			break;
	}
}

int collector_counters(const struct collector *c, uint64_t out[CNT_MAX])
{
	if (c->counters_fd < 0) {
		memset(out, 0, sizeof(uint64_t) * CNT_MAX);
		return 0;
	}
	return map_sum_percpu(c->counters_fd, CNT_MAX, out);
}

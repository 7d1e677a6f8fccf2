// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* test_concurrency.c - BPF_PROG_TEST_RUN from two threads pinned to two CPUs: exact totals. */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "fixture.h"

#define A4 "10.6.0.1"
#define B4 "10.6.0.2"

#define REPEAT		200000	/* program runs per BPF_PROG_TEST_RUN call */
#define CALLS		3	/* calls per thread */
#define RACE_FLOWS	2048	/* distinct new flows both threads create at once */
#define RACE_REPEAT	3

struct worker {
	struct fx *f;
	int cpu;
	pthread_barrier_t *start;
	int err;		/* first failure, reported by the main thread */
	char msg[160];
};

/* Both CPUs must be usable, or the test proves nothing. */
static int two_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof(set), &set))
		return 0;
	return CPU_ISSET(0, &set) && CPU_ISSET(1, &set);
}

static int pin(struct worker *w)
{
	int err = fx_pin_cpu(w->cpu);

	if (err) {
		w->err = err;
		snprintf(w->msg, sizeof(w->msg), "cannot pin to CPU %d: %s", w->cpu,
			 strerror(-err));
	}
	return err;
}

static int run_quiet(struct worker *w, const struct pkt *p, uint32_t repeat)
{
	uint32_t retval = 0;
	int err = fx_run_raw(w->f, p->buf, p->len,
			     &(struct fx_run){ .ts = T0, .repeat = repeat }, &retval);

	if (!err && retval != TC_ACT_UNSPEC_U)
		err = -EPROTO;
	if (err && !w->err) {
		w->err = err;
		snprintf(w->msg, sizeof(w->msg), "CPU %d: BPF_PROG_TEST_RUN: %s (retval %d)",
			 w->cpu, strerror(-err), (int)retval);
	}
	return err;
}

/* The flow both threads hammer: TCP, so every copy after the first is a retransmission. */
static void same_flow_pkt(struct pkt *p)
{
	mk_v4_tcp(p, A4, B4, &(struct tcp_opts){ .sport = 7000, .dport = 80, .seq = 1000,
						  .flags = TH_ACK, .window = 100 }, 100);
}

static void *same_flow_worker(void *arg)
{
	struct worker *w = arg;
	struct pkt p;
	int i, pinned = !pin(w);

	same_flow_pkt(&p);
	pthread_barrier_wait(w->start);
	for (i = 0; pinned && i < CALLS; i++)
		if (run_quiet(w, &p, REPEAT))
			break;
	fx_unpin();
	return NULL;
}

/*
 * One flow from CPU 0 and CPU 1 at once, 2 x 3 x 200000 packets: every
 * packet counted (the entry's spin lock), the first one creating the entry
 * whichever CPU wins the insert.
 */
BPF_TEST(same_flow_two_cpus_exact)
{
	const uint64_t total = 2ULL * CALLS * REPEAT;
	pthread_barrier_t start;
	struct worker w[2];
	struct flow_side s;
	struct flow_key k;
	pthread_t th[2];
	struct fx f;
	int i;

	if (!two_cpus())
		SKIP("CPUs 0 and 1 are not both available");
	REQUIRE(fx_open(&f, NULL) == 0);
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		w[i] = (struct worker){ .f = &f, .cpu = i, .start = &start };
		if (pthread_create(&th[i], NULL, same_flow_worker, &w[i])) {
			printf("Bail out! pthread_create failed\n");
			exit(1);	/* a started worker would wait for its partner forever */
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < 2; i++)
		if (w[i].err)
			FAILF("%s", w[i].msg);

	key_v4(&k, PROTO_TCP, A4, B4, 7000, 80);
	CHECK_FLOW(&f, &k, total, total * 140, &s);
	CHECK_EQ(s.arrivals, total);
	CHECK_EQ(s.size_hist[1], total);
	CHECK_EQ(s.ttl_hist[3], total);
	CHECK_EQ(s.retr_pkts, total - 1);
	CHECK_EQ(s.retr_bytes, (total - 1) * 100);
	CHECK_EQ(fx_next_seq(&f, &k), 1100);
	CHECK_EQ(s.first_seen, T0);
	CHECK_EQ(s.last_seen, T0);
	CHECK_EQ(fx_count_flows(&f), 1);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

/* A two-party spin barrier: cheap enough to meet before every flow. */
struct spin_barrier {
	atomic_uint count;
	atomic_uint gen;
};

static void spin_wait(struct spin_barrier *b)
{
	unsigned int gen = atomic_load(&b->gen);

	if (atomic_fetch_add(&b->count, 1) == 1) {
		atomic_store(&b->count, 0);
		atomic_fetch_add(&b->gen, 1);
		return;
	}
	while (atomic_load(&b->gen) == gen)
		;
}

struct race_worker {
	struct worker w;
	struct spin_barrier *meet;
};

static void race_pkt(struct pkt *p, int i)
{
	char src[32];

	snprintf(src, sizeof(src), "10.7.%d.%d", i / 250, i % 250 + 1);
	mk_v4_udp(p, src, B4, (uint16_t)(10000 + i), 53, (size_t)(i % 64));
}

static void *race_worker(void *arg)
{
	struct race_worker *r = arg;
	struct pkt p;
	int i, pinned = !pin(&r->w);

	pthread_barrier_wait(r->w.start);
	for (i = 0; i < RACE_FLOWS; i++) {
		race_pkt(&p, i);
		spin_wait(r->meet);	/* both threads insert flow i at the same moment */
		if (pinned && !r->w.err)
			run_quiet(&r->w, &p, RACE_REPEAT);
	}
	fx_unpin();
	return NULL;
}

/*
 * 2048 new flows, each created by both CPUs at the same time: one insert
 * wins, the other updates the winner's entry, nothing is lost or doubled.
 */
BPF_TEST(concurrent_insert_race_exact)
{
	struct spin_barrier meet = { 0 };
	pthread_barrier_t start;
	struct race_worker r[2];
	struct flow_side s;
	struct flow_key k;
	pthread_t th[2];
	struct pkt p;
	struct fx f;
	char src[32];
	int i, bad = 0;

	if (!two_cpus())
		SKIP("CPUs 0 and 1 are not both available");
	REQUIRE(fx_open(&f, &(struct fx_cfg){ .max_flows = 4096 }) == 0);
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		r[i] = (struct race_worker){ .w = { .f = &f, .cpu = i, .start = &start },
					     .meet = &meet };
		if (pthread_create(&th[i], NULL, race_worker, &r[i])) {
			printf("Bail out! pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < 2; i++)
		if (r[i].w.err)
			FAILF("%s", r[i].w.msg);

	CHECK_EQ(fx_count_flows(&f), RACE_FLOWS);
	for (i = 0; i < RACE_FLOWS && bad < 5; i++) {
		uint64_t l3 = 28 + i % 64;

		race_pkt(&p, i);
		snprintf(src, sizeof(src), "10.7.%d.%d", i / 250, i % 250 + 1);
		key_v4(&k, PROTO_UDP, src, B4, (uint16_t)(10000 + i), 53);
		if (CHECK_FLOW(&f, &k, 2 * RACE_REPEAT, 2 * RACE_REPEAT * l3, &s)) {
			bad++;
			continue;
		}
		if (s.arrivals != 2 * RACE_REPEAT || s.size_hist[0] != 2 * RACE_REPEAT) {
			FAILF("flow %d: arrivals %llu size_hist[0] %u", i,
			      (unsigned long long)s.arrivals, s.size_hist[0]);
			bad++;
		}
	}
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

#define SPLIT_STEPS	2000

struct split_worker {
	struct worker w;
	struct spin_barrier *meet;
};

static void *split_worker(void *arg)
{
	struct split_worker *r = arg;
	struct pkt p;
	uint32_t retval;
	int i, err, pinned = !pin(&r->w);

	mk_v4_udp(&p, A4, B4, 7100, 53, 10);
	pthread_barrier_wait(r->w.start);
	for (i = 0; i <= SPLIT_STEPS; i++) {
		spin_wait(r->meet);	/* both CPUs send step i's packet at once */
		if (!pinned || r->w.err)
			continue;
		err = fx_run_raw(r->w.f, p.buf, p.len,
				 &(struct fx_run){ .ts = T0 + (uint64_t)i * 10000 }, &retval);
		if (err || retval != TC_ACT_UNSPEC_U) {
			r->w.err = err ? err : -EPROTO;
			snprintf(r->w.msg, sizeof(r->w.msg), "CPU %d: step %d: %s", r->w.cpu, i,
				 strerror(-r->w.err));
		}
	}
	fx_unpin();
	return NULL;
}

/*
 * Idle timeout 1 us, one packet per CPU every 10 us, both at once: each
 * step ends the record exactly once (the CPU that comes second re-checks
 * under the lock and finds nothing to end), so there are exactly
 * SPLIT_STEPS records of 2 packets and the entry holds the last 2.
 */
BPF_TEST(concurrent_idle_split_exact)
{
	static struct fx_event ev[SPLIT_STEPS + 16];
	struct spin_barrier meet = { 0 };
	pthread_barrier_t start;
	struct split_worker r[2];
	struct flow_side s;
	struct flow_key k;
	pthread_t th[2];
	struct fx f;
	int i, n, bad = 0;

	if (!two_cpus())
		SKIP("CPUs 0 and 1 are not both available");
	REQUIRE(fx_open(&f, &(struct fx_cfg){ .idle_ns = 1000 }) == 0);
	pthread_barrier_init(&start, NULL, 2);
	for (i = 0; i < 2; i++) {
		r[i] = (struct split_worker){ .w = { .f = &f, .cpu = i, .start = &start },
					      .meet = &meet };
		if (pthread_create(&th[i], NULL, split_worker, &r[i])) {
			printf("Bail out! pthread_create failed\n");
			exit(1);
		}
	}
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	pthread_barrier_destroy(&start);
	for (i = 0; i < 2; i++)
		if (r[i].w.err)
			FAILF("%s", r[i].w.msg);

	n = fx_events(&f, ev, SPLIT_STEPS + 16);
	CHECK_EQ(n, SPLIT_STEPS);
	for (i = 0; i < n && i < SPLIT_STEPS + 16 && bad < 5; i++) {
		if (ev[i].reason == FLOW_END_IDLE && ev[i].stats.packets == 2 &&
		    ev[i].stats.first_seen == T0 + (uint64_t)i * 10000)
			continue;
		FAILF("record %d: reason %u packets %llu first_seen T0%+lld", i, ev[i].reason,
		      (unsigned long long)ev[i].stats.packets,
		      (long long)(ev[i].stats.first_seen - T0));
		bad++;
	}
	key_v4(&k, PROTO_UDP, A4, B4, 7100, 53);
	CHECK_FLOW(&f, &k, 2, 76, &s);
	CHECK_EQ(s.first_seen, T0 + (uint64_t)SPLIT_STEPS * 10000);
	CHECK_COUNTERS(&f, 0);
	fx_close(&f);
}

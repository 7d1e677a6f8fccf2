// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* run.c - scan loop of tc_flowmon_user: live (pinned table or -I) and offline (-r). */
#include <errno.h>
#include <libgen.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "collect.h"
#include "ifaces.h"
#include "loader.h"
#include "log.h"
#include "replay.h"
#include "run.h"
#include "sink.h"

#define NSEC 1000000000ULL

static volatile sig_atomic_t stop_requested, rotate_requested;

static void on_signal(int sig)
{
	if (sig == SIGHUP)
		rotate_requested = 1;
	else
		stop_requested = 1;
}

void run_install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

bool run_should_stop(void)
{
	return stop_requested;
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

void run_ft_config(const struct flowmon_opts *o, struct ft_config *cfg, bool offline)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->idle_ns = (uint64_t)o->idle_sec * NSEC;
	cfg->active_ns = (uint64_t)o->active_sec * NSEC;
	/* long enough for the last ACK of a FIN exchange, short against reuse */
	cfg->linger_ns = 2 * NSEC;
	cfg->lazy_idle = offline;
}

/* The kernel's counters in one verbose line. */
void run_log_counters(const uint64_t cnt[CNT_MAX], time_t wall)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	char when[32];
	int i;

	if (log_level() < LOG_VERBOSE)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&wall));
	pr_verbose("%s kernel:", when);
	for (i = 0; i < CNT_MAX; i++)
		pr_verbose(" %s %llu", names[i], (unsigned long long)cnt[i]);
	pr_verbose("\n");
}

/* One verbose block per period: the original's statistics, and the kernel's. */
static void log_period(const struct collector *c, time_t wall)
{
	uint64_t cnt[CNT_MAX];
	char when[32];

	if (log_level() < LOG_VERBOSE)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&wall));
	collector_counters(c, cnt);
	pr_verbose("%s flows: active %llu ended %llu written %llu purged %llu "
		   "(table %llu/%u entries, %llu kernel records, sweep %llu us)\n", when,
		   (unsigned long long)(c->last_entries - c->last_purged),
		   (unsigned long long)c->last_ended, (unsigned long long)c->written,
		   (unsigned long long)c->purged, (unsigned long long)c->last_entries,
		   c->max_entries, (unsigned long long)c->events,
		   (unsigned long long)(c->last_sweep_ns / 1000));
	run_log_counters(cnt, wall);
}

/* Sleep one period in short steps, so that signals are seen at once. */
static void sleep_period(unsigned int sec)
{
	unsigned int i;

	for (i = 0; i < sec * 10 && !stop_requested && !rotate_requested; i++)
		usleep(100000);
}

/* The kernel's counters travel in the IPFIX options record. */
void run_set_meter(const struct flowmon_opts *o, const uint64_t cnt[CNT_MAX], struct sink *s)
{
	if (s->x)
		sink_set_meter(s, cnt, CNT_MAX, o->idle_sec, o->active_sec);
}

static void set_meter(const struct flowmon_opts *o, const struct collector *c, struct sink *s)
{
	uint64_t cnt[CNT_MAX];

	collector_counters(c, cnt);
	run_set_meter(o, cnt, s);
}

/* Now on the kernel's live clock; also refreshes the offset to wall-clock time. */
static uint64_t live_now(struct collector *c)
{
	uint64_t now = clock_ns(CLOCK_MONOTONIC);

	c->wall_offset_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - now);
	return now;
}

static int scan_loop(const struct flowmon_opts *o, struct collector *c, struct sink *s)
{
	uint64_t now;
	int err;

	while (!stop_requested) {
		now = live_now(c);
		err = collector_scan(c, now);
		if (err)
			pr_err("failed to scan flow table: %s\n", strerror(-err));
		set_meter(o, c, s);
		sink_flush(s);
		if (rotate_requested) {
			rotate_requested = 0;
			sink_rotate(s, time(NULL));
		}
		sink_maybe_rotate(s, time(NULL));
		log_period(c, time(NULL));
		sleep_period(o->interval);
	}
	/* SIGINT/SIGTERM: every remaining flow is written, nothing is lost */
	err = collector_flush(c, live_now(c));
	set_meter(o, c, s);
	pr_info("stopped: %llu records written\n", (unsigned long long)c->written);
	return err;
}

static int print_once(struct collector *c)
{
	return collector_print(c, live_now(c));
}

/* Close what open_pinned opened. */
static void close_pinned(struct table_fds *t, struct flowmon_bpf *fm)
{
	loader_close(fm);	/* the sweeper and its maps (pins stay) */
	if (t->flows >= 0)
		close(t->flows);
	t->flows = -1;
}

/*
 * The pinned table of a loaded program (tc_flowmon.sh load, load): the
 * flow table by path, and the sweeper loaded over it with the ring and
 * counters pinned beside it.
 */
static int open_pinned(const struct flowmon_opts *o, struct table_fds *t,
		       struct flowmon_bpf **fm)
{
	struct loader_opts lo;
	char dir[4096];
	int err;

	*fm = NULL;
	t->flows = bpf_obj_get(o->map_path);
	if (t->flows < 0) {
		err = -errno;
		pr_err("failed to open pinned map %s: %s\n", o->map_path, strerror(-err));
		return err;
	}
	if (collector_check_map(t->flows, o->map_path, NULL)) {
		close(t->flows);
		return -EINVAL;
	}
	snprintf(dir, sizeof(dir), "%s", o->map_path);
	run_loader_opts(o, &lo);
	lo.pin_dir = dirname(dir);
	lo.sweep_only = true;
	lo.flows_fd = t->flows;
	err = loader_open(&lo, fm);
	if (err) {
		close(t->flows);
		return err;
	}
	t->counters = loader_counters_fd(*fm);
	t->events = loader_events_fd(*fm);
	t->sweep = loader_sweep_fd(*fm);
	return 0;
}

static int run_collector(const struct flowmon_opts *o, const struct table_fds *t)
{
	struct ft_config cfg;
	struct collector c;
	struct sink s;
	int err;

	run_ft_config(o, &cfg, false);
	/* check the table before creating any dump file */
	err = collector_init(&c, t->flows, t->counters, t->events, t->sweep, &cfg, sink_emit, &s);
	if (err)
		return 1;
	err = sink_open(&s, o, time(NULL));
	if (err) {
		collector_free(&c);
		return 1;
	}
	run_install_signals();
	err = o->interval ? scan_loop(o, &c, &s) : print_once(&c);
	collector_free(&c);
	sink_close(&s);
	return err ? 1 : 0;
}

int run_live(const struct flowmon_opts *o)
{
	struct flowmon_bpf *fm;
	struct table_fds t;
	int rc;

	if (o->ifaces)
		return ifaces_run(o, run_collector);
	if (open_pinned(o, &t, &fm))
		return 1;
	rc = run_collector(o, &t);
	close_pinned(&t, fm);
	return rc;
}

void run_loader_opts(const struct flowmon_opts *o, struct loader_opts *lo)
{
	memset(lo, 0, sizeof(*lo));
	lo->obj_path = o->obj_path;
	lo->max_flows = o->max_flows;
	lo->idle_ns = (uint64_t)o->idle_sec * NSEC;
	lo->active_ns = (uint64_t)o->active_sec * NSEC;
	lo->features_set = o->features >= 0;
	lo->features = o->features >= 0 ? (uint8_t)o->features : FLOWMON_F_ALL;
	lo->precise_clock = o->precise_clock;
}

int run_table_status(const struct flowmon_opts *o)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	struct ft_config cfg = { 0 };
	struct flowmon_bpf *fm;
	uint64_t cnt[CNT_MAX];
	struct table_fds t;
	struct collector c;
	ssize_t n;
	int i;

	if (open_pinned(o, &t, &fm))
		return 1;
	if (collector_init(&c, t.flows, t.counters, -1, -1, &cfg, NULL, NULL)) {
		close_pinned(&t, fm);
		return 1;
	}
	n = collector_count(&c);
	printf("table %s: %zd of %u entries\n", o->map_path, n, c.max_entries);
	collector_counters(&c, cnt);
	for (i = 0; i < CNT_MAX; i++)
		printf("  %s %llu\n", names[i], (unsigned long long)cnt[i]);
	collector_free(&c);
	close_pinned(&t, fm);
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* run.c - the run and replay commands: the scan loop, live (pinned table or -I) and offline. */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cmds.h"
#include "collect.h"
#include "format.h"
#include "ifaces.h"
#include "loader.h"
#include "log.h"
#include "pinname.h"
#include "replay.h"
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

static void install_signals(void)
{
	struct sigaction sa = { .sa_handler = on_signal };

	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * NSEC + ts.tv_nsec;
}

static void ft_config_from(const struct flowmon_opts *o, struct ft_config *cfg, bool offline)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->idle_ns = (uint64_t)o->idle_sec * NSEC;
	cfg->active_ns = (uint64_t)o->active_sec * NSEC;
	/* long enough for the last ACK of a FIN exchange, short against reuse */
	cfg->linger_ns = 2 * NSEC;
	cfg->pair_wait_ns = 2 * NSEC + (uint64_t)o->interval * NSEC;
	cfg->lazy_idle = offline;
}

/* One verbose block per period: the original's statistics, and the kernel's. */
static void log_period(const struct collector *c, time_t wall)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	uint64_t cnt[CNT_MAX];
	char when[32];
	int i;

	if (log_level() < LOG_VERBOSE)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&wall));
	collector_counters(c, cnt);
	pr_verbose("%s flows: active %llu ended %llu written %llu purged %llu "
		   "(table %llu/%u entries, %llu kernel-ended records, %llu stale)\n", when,
		   (unsigned long long)(c->last_entries - c->last_purged),
		   (unsigned long long)c->last_ended, (unsigned long long)c->written,
		   (unsigned long long)c->purged, (unsigned long long)c->last_entries,
		   c->max_entries, (unsigned long long)c->events,
		   (unsigned long long)c->stale_events);
	pr_verbose("%s kernel:", when);
	for (i = 0; i < CNT_MAX; i++)
		pr_verbose(" %s %llu", names[i], (unsigned long long)cnt[i]);
	pr_verbose("\n");
}

/* Sleep one period in short steps, so that signals are seen at once. */
static void sleep_period(unsigned int sec)
{
	unsigned int i;

	for (i = 0; i < sec * 10 && !stop_requested && !rotate_requested; i++)
		usleep(100000);
}

/* The kernel's counters travel in the IPFIX options record. */
static void set_meter(const struct flowmon_opts *o, const struct collector *c, struct sink *s)
{
	uint64_t cnt[CNT_MAX];

	if (!s->x)
		return;
	collector_counters(c, cnt);
	sink_set_meter(s, cnt, CNT_MAX, o->idle_sec, o->active_sec);
}

/* Now on the kernel's live clock; also refreshes the offset to wall-clock time. */
static uint64_t live_now(struct collector *c)
{
	uint64_t now = clock_ns(CLOCK_BOOTTIME);

	c->wall_offset_ns = (int64_t)(clock_ns(CLOCK_REALTIME) - now);
	return now;
}

/* What the daemon reads and where its records go: the first line of its log. */
static void log_started(const struct flowmon_opts *o, const struct sink *s)
{
	char from[4200];

	if (o->ifaces)
		snprintf(from, sizeof(from), "interfaces %s", o->ifaces);
	else
		snprintf(from, sizeof(from), "table %s", o->map_path);
	pr_info("started: pid %d, flows from %s every %u s, %s records to %s%s%s\n",
		(int)getpid(), from, o->interval, o->format,
		o->out_file ? s->w.path : o->dump_dir, o->out_file ? "" : "/DATE/TIME.txt",
		s->x ? ", IPFIX export on" : "");
}

static int scan_loop(const struct flowmon_opts *o, struct collector *c, struct sink *s)
{
	uint64_t now;
	int err;

	log_started(o, s);
	while (!stop_requested) {
		now = live_now(c);
		err = collector_scan(c, now);
		if (err)
			pr_err("failed to scan flow table: %s\n", strerror(-err));
		set_meter(o, c, s);
		sink_flush(s);
		if (rotate_requested) {
			/* SIGHUP: new dump file, and the -l file again (logrotate) */
			rotate_requested = 0;
			log_reopen();
			sink_rotate(s, time(NULL));
		}
		sink_maybe_rotate(s, time(NULL));
		log_period(c, time(NULL));
		sleep_period(o->interval);
	}
	/* SIGINT/SIGTERM: every remaining flow is written, nothing is lost */
	err = collector_flush(c, live_now(c), FLOW_END_FORCED);
	set_meter(o, c, s);
	pr_info("stopped: %llu records written\n", (unsigned long long)c->written);
	return err;
}

static int print_once(struct collector *c)
{
	return collector_print(c, live_now(c));
}

/* The pinned table of a loaded program (tc_flowmon.sh load / --attach). */
static void close_fds(int flows, int counters, int events)
{
	if (flows >= 0)
		close(flows);
	if (counters >= 0)
		close(counters);
	if (events >= 0)
		close(events);
}

static void sink_cfg_from(const struct flowmon_opts *o, struct sink_cfg *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->dump_dir = o->dump_dir;
	sc->out_file = o->out_file;
	sc->fmt = format_find(o->format);
	sc->collectors = o->collectors;
	sc->n_collectors = o->n_collectors;
	sc->odid = o->odid;
	sc->uniflow = o->uniflow;
}

int cmd_open_pinned(const struct flowmon_opts *o, int *flows, int *counters, int *events)
{
	char path[4200];

	*counters = *events = -1;
	*flows = bpf_obj_get(o->map_path);
	if (*flows < 0) {
		int err = -errno;

		pr_err("failed to open pinned map %s: %s\n", o->map_path, strerror(-err));
		return err;
	}
	if (collector_check_map(*flows, o->map_path, NULL)) {
		close(*flows);
		return -EINVAL;
	}
	/* the instance's other maps sit next to its table (pinname.h) */
	if (!pin_sibling_path(o->map_path, FLOWMON_MAP_COUNTERS, path, sizeof(path)))
		*counters = bpf_obj_get(path);
	if (!pin_sibling_path(o->map_path, FLOWMON_MAP_EVENTS, path, sizeof(path)))
		*events = bpf_obj_get(path);
	if (*events < 0)
		pr_verbose("no ring buffer at %s: kernel-ended records are not read\n", path);
	return 0;
}

static int run_collector(const struct flowmon_opts *o, int flows, int counters, int events)
{
	struct sink_cfg sc;
	struct ft_config cfg;
	struct collector c;
	struct sink s;
	int err;

	ft_config_from(o, &cfg, false);
	/* check the table before creating any dump file */
	err = collector_init(&c, flows, counters, events, &cfg, sink_emit, &s);
	if (err)
		return 1;
	sink_cfg_from(o, &sc);
	err = sink_open(&s, &sc, time(NULL));
	if (err) {
		collector_free(&c);
		return 1;
	}
	install_signals();
	err = o->interval ? scan_loop(o, &c, &s) : print_once(&c);
	collector_free(&c);
	sink_close(&s);
	return err ? 1 : 0;
}

/* -I: load unpinned, attach, collect until a signal, detach: leaves nothing behind. */
static int run_self_contained(const struct flowmon_opts *o)
{
	static struct iface_list l;
	struct loader_opts lo;
	struct flowmon_bpf *fm;
	int rc;

	if (ifaces_parse(o->ifaces, &l) || ifaces_check_free(&l, o->hooks))
		return 1;
	cmd_loader_opts(o, &lo);
	if (loader_open(&lo, &fm))
		return 1;
	if (ifaces_attach(loader_prog_fd(fm, true), loader_prog_fd(fm, false), &l, o->hooks)) {
		loader_close(fm);
		return 1;
	}
	rc = run_collector(o, loader_flows_fd(fm), loader_counters_fd(fm), loader_events_fd(fm));
	/* a clsact qdisc is removed only when this run made it and it is empty */
	ifaces_detach(&l, o->hooks, true);
	loader_close(fm);
	return rc;
}

int cmd_run(const struct flowmon_opts *o)
{
	int flows, counters, events, rc;

	if (o->pcap)
		return cmd_replay(o);
	if (o->ifaces)
		return run_self_contained(o);
	if (cmd_open_pinned(o, &flows, &counters, &events))
		return 1;
	rc = run_collector(o, flows, counters, events);
	close_fds(flows, counters, events);
	return rc;
}

struct offline {
	struct collector *c;
	uint64_t next_scan;
	uint64_t last_ts;
};

/* Timeouts on packet time: before each packet, as the clock passes a second. */
static int offline_tick(void *ctx, uint64_t ts)
{
	struct offline *off = ctx;
	struct collector *c = off->c;

	if (ts > off->last_ts)
		off->last_ts = ts;
	collector_drain_events(c, off->last_ts);
	if (off->last_ts < off->next_scan)
		return stop_requested;
	/* lazy idle keeps the oracle's semantics; a nearly full table cannot wait */
	c->cfg.lazy_idle = c->last_entries * 4 < (uint64_t)c->max_entries * 3;
	collector_scan(c, off->last_ts);
	off->next_scan = off->last_ts + NSEC;
	return stop_requested;
}

static int offline_replay(const struct flowmon_opts *o, struct flowmon_bpf *fm, struct sink *s)
{
	struct offline off = { 0 };
	struct replay_stats st;
	struct ft_config cfg;
	struct collector c;
	int err, rc;

	ft_config_from(o, &cfg, true);
	err = collector_init(&c, loader_flows_fd(fm), loader_counters_fd(fm),
			     loader_events_fd(fm), &cfg, sink_emit, s);
	if (err)
		return 1;
	off.c = &c;
	install_signals();
	rc = replay_file(o->pcap, loader_prog_fd(fm, true), offline_tick, &off, &st);
	if (st.failed)	/* e.g. frames shorter than Ethernet + IP: the kernel refuses them */
		pr_err("failed to replay %llu packets of %s (first: packet %llu: %s)\n",
		       (unsigned long long)st.failed, o->pcap,
		       (unsigned long long)st.first_failed, strerror(-st.first_err));
	/* at end of file: closed TCP connections end (3), the rest is forced (4) */
	c.cfg.lazy_idle = true;
	collector_scan(&c, off.last_ts + c.cfg.linger_ns + 1);
	collector_flush(&c, off.last_ts, FLOW_END_FORCED);
	set_meter(o, &c, s);
	pr_verbose("%s: %llu packets, %llu replayed, %llu skipped, %llu records\n", o->pcap,
		   (unsigned long long)st.packets, (unsigned long long)st.replayed,
		   (unsigned long long)st.skipped, (unsigned long long)c.written);
	log_period(&c, time(NULL));
	collector_free(&c);
	return rc ? 1 : 0;
}

void cmd_pin_dir(const struct flowmon_opts *o, char *dir, size_t len)
{
	const char *slash = strrchr(o->map_path, '/');

	snprintf(dir, len, "%.*s", slash ? (int)(slash - o->map_path) : 1,
		 slash ? o->map_path : ".");
	if (!dir[0])
		snprintf(dir, len, "/");
}

const char *cmd_table_name(const struct flowmon_opts *o)
{
	const char *slash = strrchr(o->map_path, '/');

	return slash ? slash + 1 : o->map_path;
}

void cmd_loader_opts(const struct flowmon_opts *o, struct loader_opts *lo)
{
	memset(lo, 0, sizeof(*lo));
	lo->obj_path = o->obj_path;
	lo->max_flows = o->max_flows;
	lo->idle_ns = (uint64_t)o->idle_sec * NSEC;
	lo->active_ns = (uint64_t)o->active_sec * NSEC;
}

int cmd_replay(const struct flowmon_opts *o)
{
	struct loader_opts lo;
	struct flowmon_bpf *fm;
	struct sink_cfg sc;
	struct sink s;
	int rc;

	cmd_loader_opts(o, &lo);
	lo.replay = true;	/* pcap time; and nothing pinned (pin_dir NULL) */

	/* a file that cannot be read leaves no empty dump file behind */
	if (replay_check(o->pcap))
		return 1;
	if (loader_open(&lo, &fm))
		return 1;
	sink_cfg_from(o, &sc);
	if (sink_open(&s, &sc, time(NULL))) {
		loader_close(fm);
		return 1;
	}
	rc = offline_replay(o, fm, &s);
	sink_close(&s);
	loader_close(fm);
	return rc;
}

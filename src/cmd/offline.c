// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * offline.c - `tc_flowmon_user replay FILE...` (-r FILE): replay captures
 * through the datapath on capture time, natively (the default) or in the
 * kernel (--engine kernel, BPF_PROG_TEST_RUN of tc_flowmon_kern.o). Both run
 * the same source, with the same expiry policy, and write the same records.
 * Several files are replayed in turn, each from empty tables.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "collect.h"
#include "engine.h"
#include "log.h"
#include "cmds.h"
#include "plugin_host.h"
#include "replay.h"
#include "sink.h"


/*
 * Offline, idle connections end when their next packet comes (the
 * datapath's split) or at the end of the file, as the reference meters do.
 * Every OFFLINE_SWEEP_PKTS packets a sweep ends closed connections, and
 * idle ones too while the table is three quarters full. A sweep visits the
 * table once, so its cost per packet is the table's size over this number,
 * whatever the capture's duration.
 */
#define OFFLINE_SWEEP_PKTS	65536

struct offline {
	const struct flowmon_opts *o;
	struct capture *cap;
	const char *name;	/* the capture's, for messages */
	struct sink *s;
	struct ft_config cfg;
	struct collector *c;	/* kernel engine */
	struct fm_native *n;	/* native engine */
	uint32_t max_flows;
	uint64_t packets;
	uint64_t last_ts;
	uint64_t entries;	/* table entries the last sweep visited */
	uint64_t written;	/* native engine's records */
	uint64_t emit_errors;
};

static void native_event(void *ctx, const struct flow_event *ev)
{
	struct offline *off = ctx;
	struct flow_record r;

	if (!flow_record_from_event(&r, ev, 0))
		return;
	if (sink_emit(off->s, &r))
		off->emit_errors++;
	else
		off->written++;
}

static void sweep(struct offline *off, uint32_t mode, uint64_t now)
{
	struct flowmon_sweep a = {
		.now = now,
		.idle_ns = off->cfg.idle_ns,
		.linger_ns = off->cfg.linger_ns,
		.mode = mode,
		.lazy_idle = 1,
	};

	if (off->c) {
		off->c->cfg.pressure = mode == SWEEP_PRESSURE;
		if (mode == SWEEP_FLUSH)
			collector_flush(off->c, now);
		else
			collector_scan(off->c, now);
		off->entries = off->c->last_entries;
		return;
	}
	fm_native_sweep(off->n, &a);
	off->entries = a.visited;
}

/* Timeouts on packet time, before each packet. */
static int offline_tick(void *ctx, uint64_t ts)
{
	struct offline *off = ctx;

	if (ts > off->last_ts)
		off->last_ts = ts;
	if (off->c)
		collector_drain_events(off->c, off->last_ts);
	if (++off->packets % OFFLINE_SWEEP_PKTS == 0)
		sweep(off, off->entries * 4 >= (uint64_t)off->max_flows * 3 ? SWEEP_PRESSURE :
									   SWEEP_SCAN,
		      off->last_ts);
	return run_should_stop();
}

/* At the end of the file: closed TCP connections end (3), the rest is forced (4). */
static void offline_finish(struct offline *off)
{
	sweep(off, SWEEP_SCAN, off->last_ts + off->cfg.linger_ns + 1);
	sweep(off, SWEEP_FLUSH, off->last_ts);
}

/* Frames that no engine can meter, or that only count as malformed: say how many. */
static void report_short(const struct offline *off, const struct replay_stats *st)
{
	if (st->short_link)
		pr_info("%s: %llu frames shorter than their link header: not metered\n",
			off->name, (unsigned long long)st->short_link);
	if (st->short_ip4 + st->short_ip6)
		pr_info("%s: %llu frames shorter than their IPv4 or IPv6 header: counted as "
			"err_ip4 (%llu) and err_ip6 (%llu)\n", off->name,
			(unsigned long long)(st->short_ip4 + st->short_ip6),
			(unsigned long long)st->short_ip4, (unsigned long long)st->short_ip6);
}

static void offline_use(struct offline *off, struct capture *cap)
{
	off->cap = cap;
	off->name = replay_name(cap);
}

/* Each capture starts from empty tables: the flush emptied the flow table. */
static void offline_reset(struct offline *off, struct flowmon_bpf *fm)
{
	off->packets = 0;
	off->last_ts = 0;
	off->entries = 0;
	if (fm)
		collector_clear_map(loader_frags_fd(fm));	/* no fragment joins across files */
}

static void offline_report(struct offline *off, const struct replay_stats *st)
{
	uint64_t cnt[CNT_MAX];

	if (off->c) {
		collector_counters(off->c, cnt);
		/* the frames the kernel's test run refuses (replay.h), as the datapath counts them */
		cnt[CNT_ERR_IP4] += st->short_ip4;
		cnt[CNT_ERR_IP6] += st->short_ip6;
	} else {
		fm_native_counters(off->n, cnt);
	}
	run_set_meter(off->o, cnt, off->s);
	report_short(off, st);
	if (st->failed)
		pr_err("failed to replay %llu packets of %s (first: packet %llu: %s)\n",
		       (unsigned long long)st->failed, off->name,
		       (unsigned long long)st->first_failed, strerror(-st->first_err));
	pr_verbose("%s: %llu packets, %llu replayed, %llu skipped, %llu records\n", off->name,
		   (unsigned long long)st->packets, (unsigned long long)st->replayed,
		   (unsigned long long)(st->skipped + st->short_link),
		   (unsigned long long)(off->c ? off->c->written : off->written));
	run_log_counters(cnt, time(NULL));
}

static int replay_with(struct offline *off, const struct replay_target *t)
{
	struct replay_stats st;
	int rc;

	run_install_signals();
	rc = replay_run(off->cap, t, offline_tick, off, &st);
	offline_finish(off);
	offline_report(off, &st);
	/* packets the program could not be run on: the records are not the whole file's */
	return rc || st.failed ? 1 : 0;
}

static int offline_kernel(struct offline *off, struct capture **caps, int n)
{
	struct replay_target t = { .prog_fd = -1 };
	struct flowmon_bpf *fm;
	struct plugin_host h;
	struct loader_opts lo;
	struct collector c;
	int i, rc = 1;

	cmd_loader_opts(off->o, &lo);
	lo.progs = (const char *const[]){ FLOWMON_PROG_SWEEP, NULL };
	lo.replay = true;	/* pcap time; and nothing pinned (pin_dir NULL) */
	lo.ingress_only = true;	/* a replay runs flowmon_ingress only */
	if (loader_open(&lo, &fm))
		return 1;
	if (collector_init(&c, loader_flows_fd(fm), loader_counters_fd(fm), loader_events_fd(fm),
			   loader_sweep_fd(fm), &off->cfg, sink_emit, off->s))
		goto cleanup;
	/* --plugin: the plugins run in the kernel engine too, on capture time */
	if (off->o->n_plugins && (plugin_host_from_object(loader_object(fm), &h) ||
				  cmd_load_plugins(off->o, &h, NULL))) {
		collector_free(&c);
		goto cleanup;
	}
	if (off->o->n_plugins)
		run_plugins_attach(&c, h.reg);
	off->c = &c;
	off->max_flows = c.max_entries;
	t.prog_fd = loader_prog_fd(fm, true);
	/* a damaged file is reported; the next ones still replay */
	for (i = 0, rc = 0; i < n && !run_should_stop(); i++) {
		offline_use(off, caps[i]);
		offline_reset(off, i ? fm : NULL);
		rc |= replay_with(off, &t);
	}
	if (off->o->n_plugins)
		run_plugins_detach(&c);
	collector_free(&c);
cleanup:
	loader_close(fm);
	return rc;
}

static int offline_native_one(struct offline *off)
{
	struct fm_native_opts no = {
		.max_flows = off->o->max_flows,
		.idle_ns = off->cfg.idle_ns,
		.active_ns = off->cfg.active_ns,
		.features = off->o->features >= 0 ? (uint8_t)off->o->features : FLOWMON_F_ALL,
		.on_event = native_event,
		.ctx = off,
	};
	struct replay_target t = { .prog_fd = -1 };
	int rc;

	t.native = fm_native_new(&no);
	if (!t.native) {
		pr_err("failed to create offline engine: out of memory\n");
		return 1;
	}
	off->n = t.native;
	off->max_flows = fm_native_max_flows(t.native);
	rc = replay_with(off, &t);
	fm_native_free(t.native);
	return rc;
}

static int offline_native(struct offline *off, struct capture **caps, int n)
{
	int i, rc = 0;

	for (i = 0; i < n && !run_should_stop(); i++) {
		offline_use(off, caps[i]);
		offline_reset(off, NULL);
		rc |= offline_native_one(off);
	}
	return rc;
}

int cmd_replay(const struct flowmon_opts *o)
{
	const char *const *files = o->n_pcaps ? o->pcaps : &o->pcap;
	int i, m = 0, n = o->n_pcaps ? o->n_pcaps : 1;
	struct offline off = { .o = o };
	struct capture **caps;
	struct sink_cfg sc;
	struct sink s;
	int rc = 1;

	/*
	 * Opened once, before anything else: a pipe is read once, and a file
	 * that cannot be read is said at once (and replays nothing: the others
	 * do, the exit status is 1); none readable leaves no empty dump file.
	 */
	caps = calloc(n, sizeof(*caps));
	if (!caps) {
		pr_err("failed to replay captures: out of memory\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		caps[m] = replay_open(files[i]);
		if (caps[m] && !replay_check_snaplen(caps[m]))
			m++;
		else
			replay_close(caps[m]);
	}
	if (!m)
		goto cleanup;
	run_ft_config(o, &off.cfg, true);
	run_sink_cfg(o, &sc);
	if (sink_open(&s, &sc, time(NULL)))
		goto cleanup;
	off.s = &s;
	/* --obj names a BPF object to replay through, --plugin one to run with it: the
	 * kernel engine runs them (plugins are BPF programs: the native engine has none) */
	rc = o->kernel_engine || o->obj_path || o->n_plugins ? offline_kernel(&off, caps, m) :
							       offline_native(&off, caps, m);
	sink_close(&s);
	if (s.w.lost || m < n)	/* writer_close said why: the records are not all there */
		rc = 1;
cleanup:
	for (i = 0; i < m; i++)
		replay_close(caps[i]);
	free(caps);
	return rc;
}

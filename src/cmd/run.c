// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* run.c - the run and replay commands: the scan loop, live (pinned table or -I) and offline. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "now.h"
#include "cmds.h"
#include "collect.h"
#include "daemon.h"
#include "format.h"
#include "ifaces.h"
#include "loader.h"
#include "log.h"
#include "observe.h"
#include "pinname.h"
#include "plugin_host.h"
#include "replay.h"
#include "sink.h"
#include "xdphook.h"

#define NSEC 1000000000ULL

/* The commands that read a table load the sweeper (src/datapath/sweep.h). */
static const char *const sweep_prog[] = { FLOWMON_PROG_SWEEP, NULL };
static const char *const sweep_xdp_progs[] = { FLOWMON_PROG_SWEEP, FLOWMON_PROG_XDP, NULL };

_Static_assert(TC_MECH_CLSACT == 1 && TC_MECH_TCX == 2 && XDP_MODE_NATIVE == 1 &&
	       XDP_MODE_GENERIC == 2, "--tc-mech and --xdp-mode values (opts.c)");

void cmd_ifaces_cfg(const struct flowmon_opts *o, const struct flowmon_bpf *fm,
		    struct ifaces_cfg *c)
{
	memset(c, 0, sizeof(*c));
	c->prog_in = loader_prog_fd(fm, true);
	c->prog_eg = loader_prog_fd(fm, false);
	c->prog_xdp = o->xdp ? loader_xdp_fd(fm) : -1;
	c->hooks = o->xdp ? o->hooks & ~HOOK_INGRESS : o->hooks;
	c->xdp = o->xdp;
	c->xdp_mode = o->xdp_mode;
	c->mech = o->tc_mech;
}

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

/*
 * One verbose block per period: the original's statistics, what the dump
 * holds (records written to it, held in memory while it cannot be written,
 * lost), and the kernel's counters.
 */
static void log_period(const struct collector *c, const struct sink *s, time_t wall)
{
	uint64_t cnt[CNT_MAX];
	char when[32];

	if (log_level() < LOG_VERBOSE)
		return;
	strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", localtime(&wall));
	collector_counters(c, cnt);
	pr_verbose("%s flows: active %llu ended %llu written %llu held %llu lost %llu purged %llu "
		   "(table %llu/%u entries, %llu kernel records, sweep %llu us)\n", when,
		   (unsigned long long)(c->last_entries - c->last_purged),
		   (unsigned long long)c->last_ended, (unsigned long long)s->w.written,
		   (unsigned long long)s->w.held, (unsigned long long)s->w.lost,
		   (unsigned long long)c->purged, (unsigned long long)c->last_entries,
		   c->max_entries, (unsigned long long)c->events,
		   (unsigned long long)(c->last_sweep_ns / 1000));
	run_log_counters(cnt, wall);
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
	c->wall_offset_ns = clock_wall_offset_ns();
	return clock_ns(CLOCK_MONOTONIC);
}

/*
 * Sleep one period in short steps, so that signals are seen at once. Each
 * step reads the records packets ended meanwhile (idle and active splits,
 * a new connection on a closed 5-tuple) from the ring: it is sized for a
 * sweep's rounds (4 bytes per entry), not for a whole period of them.
 */
static void sleep_period(struct collector *c, unsigned int sec)
{
	unsigned int i;

	for (i = 0; i < sec * 10 && !stop_requested && !rotate_requested; i++) {
		usleep(100000);
		collector_drain_events(c, live_now(c));
	}
}

/* The plugins' results travel with the records (plugin_host.h). */
static struct plugin_reader plugins;

static void attach_plugins(void *ctx, struct flow_record *r, bool consume)
{
	plugin_reader_attach(ctx, r, consume);
}

void run_plugins_attach(struct collector *c, int reg_fd)
{
	memset(&plugins, 0, sizeof(plugins));
	if (reg_fd < 0)
		return;
	c->attach = attach_plugins;
	c->attach_ctx = &plugins;
	plugin_reader_refresh(&plugins, reg_fd);
}

void run_plugins_detach(struct collector *c)
{
	c->attach = NULL;
	plugin_reader_free(&plugins);
}

static int scan_loop(const struct flowmon_opts *o, struct collector *c, struct sink *s,
		     struct observer *ob, int reg)
{
	uint64_t now;
	int err;

	/* the table, the dump and the metrics are open: a daemon's caller may go */
	err = daemon_ready(o);
	if (err) {
		observe_stop(ob, c, s);
		return err;
	}
	observe_started(ob, c, s);
	while (!stop_requested) {
		now = live_now(c);
		/* plugins loaded or unloaded since the last period: their fields */
		plugin_reader_refresh(&plugins, reg);
		err = collector_scan(c, now);
		if (err)
			pr_err("failed to scan flow table: %s\n", strerror(-err));
		set_meter(o, c, s);
		sink_flush(s);
		observe_period(ob, c, s);
		if (rotate_requested) {
			/* SIGHUP: new dump file, and the -l file again (logrotate) */
			rotate_requested = 0;
			observe_reloading(ob);
			log_reopen();
			sink_rotate(s, time(NULL));
			observe_reloaded(ob);
		}
		sink_maybe_rotate(s, time(NULL));
		log_period(c, s, time(NULL));
		sleep_period(c, o->interval);
	}
	/* SIGINT/SIGTERM: every remaining flow is written, nothing is lost */
	err = collector_flush(c, live_now(c));
	set_meter(o, c, s);
	observe_stop(ob, c, s);
	return err;
}

void run_log_stopped(const struct sink *s)
{
	if (s->w.lost)
		pr_info("stopped: %llu records written, %llu lost (the dump could not be "
			"written)\n", (unsigned long long)s->w.written,
			(unsigned long long)s->w.lost);
	else
		pr_info("stopped: %llu records written\n", (unsigned long long)s->w.written);
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

/* Records on a terminal are for a person: brief, unless a format was asked for. */
const char *run_format_name(const struct flowmon_opts *o)
{
	if (!o->format_set && o->out_file && !strcmp(o->out_file, "-") && isatty(STDOUT_FILENO))
		return "brief";
	return o->format;
}

void run_sink_cfg(const struct flowmon_opts *o, struct sink_cfg *sc)
{
	memset(sc, 0, sizeof(*sc));
	sc->dump_dir = o->dump_dir;
	sc->out_file = o->out_file;
	sc->fmt = format_find(run_format_name(o));
	sc->collectors = o->collectors;
	sc->n_collectors = o->n_collectors;
	sc->odid = o->odid;
	sc->pen = o->pen;
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

static int run_collector(const struct flowmon_opts *o, const struct table_fds *t)
{
	struct observer ob;
	struct sink_cfg sc;
	struct ft_config cfg;
	struct collector c;
	struct sink s;
	int err;

	run_ft_config(o, &cfg, false);
	/* check the table before creating any dump file */
	err = collector_init(&c, t->flows, t->counters, t->events, t->sweep, &cfg, sink_emit, &s);
	if (err)
		return 1;
	run_sink_cfg(o, &sc);
	err = sink_open(&s, &sc, time(NULL));
	if (err) {
		collector_free(&c);
		return 1;
	}
	if (o->interval && observe_start(&ob, o)) {
		collector_free(&c);
		sink_close(&s);
		return 1;
	}
	run_install_signals();
	run_plugins_attach(&c, t->plugin_reg);
	err = o->interval ? scan_loop(o, &c, &s, &ob, t->plugin_reg) : print_once(&c);
	run_plugins_detach(&c);
	collector_free(&c);
	sink_close(&s);
	/* after the last write: the count is what the files hold */
	if (o->interval)
		run_log_stopped(&s);
	return err || s.w.lost ? 1 : 0;
}

/* -I: load unpinned, attach, collect until a signal, detach: leaves nothing behind. */
static int run_self_contained(const struct flowmon_opts *o)
{
	static struct iface_list l;
	struct plugin_host h;
	struct loader_opts lo;
	struct ifaces_cfg ic;
	struct flowmon_bpf *fm;
	int rc;

	if (ifaces_parse(o->ifaces, &l) || ifaces_check_free(&l, o->hooks))
		return 1;
	cmd_loader_opts(o, &lo);
	lo.progs = o->xdp ? sweep_xdp_progs : sweep_prog;
	if (loader_open(&lo, &fm))
		return 1;
	/* plugins before the hooks: they see the first packet too; the links are
	 * held by this process only: they go with it, even on SIGKILL */
	cmd_ifaces_cfg(o, fm, &ic);
	if (plugin_host_from_object(loader_object(fm), &h) ||
	    cmd_load_plugins(o, &h, NULL) ||
	    ifaces_attach_cfg(&l, &ic)) {
		loader_close(fm);
		return 1;
	}
	ifaces_report(&l, "attached to");
	rc = run_collector(o, &(struct table_fds){ loader_flows_fd(fm), loader_counters_fd(fm),
						   loader_events_fd(fm), loader_sweep_fd(fm),
						   h.reg });
	/* a clsact qdisc is removed only when this run made it and it is empty */
	ifaces_detach(&l, o->hooks, true);
	loader_close(fm);
	return rc;
}

/*
 * A pinned table (load, tc_flowmon.sh load, iproute2): the sweeper loaded
 * over it, with the instance's ring and counters pinned beside it.
 */
static int open_reader(const struct flowmon_opts *o, struct table_fds *t,
		       struct flowmon_bpf **fm)
{
	struct loader_opts lo;
	char dir[4096];
	int err;

	err = cmd_open_pinned(o, &t->flows, &t->counters, &t->events);
	if (err)
		return err;
	close_fds(-1, t->counters, t->events);
	cmd_pin_dir(o, dir, sizeof(dir));
	cmd_loader_opts(o, &lo);
	lo.pin_dir = dir;
	lo.table_name = cmd_table_name(o);
	lo.progs = sweep_prog;
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

int cmd_run(const struct flowmon_opts *o)
{
	struct plugin_names mine = { 0 };
	struct plugin_host h;
	struct flowmon_bpf *fm;
	struct table_fds t;
	int rc = 1;

	if (o->pcap)
		return cmd_replay(o);
	if (o->ifaces)
		return run_self_contained(o);
	if (open_reader(o, &t, &fm))
		return 1;
	/* a meter loaded without the plugin maps (an older one, iproute2) has no plugins */
	if (plugin_host_pinned(o->map_path, &h, o->n_plugins > 0) && o->n_plugins)
		goto cleanup;
	t.plugin_reg = h.reg;
	/* --plugin: for this run; they go again when it ends */
	if (cmd_load_plugins(o, &h, &mine) == 0)
		rc = run_collector(o, &t);
	cmd_unload_plugins(&h, &mine);
	plugin_host_close(&h);
cleanup:
	loader_close(fm);
	close(t.flows);
	return rc;
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

/* The pinned flow table at path: its id, 0 if there is none. */
static uint32_t flow_table_id(const char *path)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int fd = bpf_obj_get(path);
	bool table;

	if (fd < 0)
		return 0;
	table = !bpf_obj_get_info_by_fd(fd, &info, &len) && collector_is_flow_table(&info);
	close(fd);
	return table ? info.id : 0;
}

void cmd_table_sel(const struct flowmon_opts *o, struct table_sel *sel)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *e;
	DIR *d;

	memset(sel, 0, sizeof(*sel));
	sel->id = flow_table_id(o->map_path);
	if (sel->id)
		return;
	if (strcmp(cmd_table_name(o), FLOWMON_MAP_FLOWS)) {
		sel->id = UINT32_MAX;	/* no program uses it: none */
		return;
	}
	cmd_pin_dir(o, dir, sizeof(dir));
	d = opendir(dir);
	while (d && (e = readdir(d)) && sel->n_others < TABLE_SEL_MAX) {
		if (e->d_name[0] == '.' ||
		    snprintf(path, sizeof(path), "%s/%s", dir, e->d_name) >= (int)sizeof(path))
			continue;
		sel->others[sel->n_others] = flow_table_id(path);
		sel->n_others += !!sel->others[sel->n_others];
	}
	if (d)
		closedir(d);
}

void cmd_loader_opts(const struct flowmon_opts *o, struct loader_opts *lo)
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

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * status.c - the status command: where the -p table's programs are attached
 * (from the kernel), the pinned table's occupancy and the kernel's counters (from
 * bpffs), as text or as one JSON object (-j).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "now.h"
#include "cmds.h"
#include "collect.h"
#include "daemon.h"
#include "flowread.h"
#include "format.h"
#include "ifaces.h"
#include "log.h"
#include "observe.h"
#include "selfstats.h"
#include "sbuf.h"
#include "sink.h"
#include "xdphook.h"

struct table_state {
	bool loaded;
	ssize_t entries;
	uint32_t max_entries;
	uint64_t cnt[CNT_MAX];
	bool daemon;			/* a run of this table reports in its stats file */
	struct selfstats run;
	struct flowread fr;		/* --flows */
	bool have_flows;
};

/* The run that meters this table, from the stats file it rewrites every period. */
static void read_daemon(const struct flowmon_opts *o, struct table_state *st)
{
	char path[4300];
	FILE *f;

	if (observe_stats_path(o, path, sizeof(path)))
		return;
	f = fopen(path, "r");
	if (!f)
		return;
	st->daemon = !selfstats_parse(f, &st->run) && st->run.pid > 0 &&
		     daemon_runs_us(st->run.pid);	/* a daemon killed hard leaves its file */
	fclose(f);
}

/* --flows: the connections open in the table now, read without changing it. */
static int read_flows(struct table_state *st, int flows)
{
	int err = flowread_init(&st->fr, flows, st->max_entries);

	if (!err)
		err = flowread_snapshot(&st->fr, clock_wall_offset_ns());
	if (err) {
		pr_err("failed to read open flows: %s\n", strerror(-err));
		flowread_free(&st->fr);
		return 1;
	}
	st->have_flows = true;
	return 0;
}

/* 0 with st filled (loaded false when nothing is pinned there), 1 on error. */
static int read_table(const struct flowmon_opts *o, struct table_state *st)
{
	struct ft_config cfg = { 0 };
	int flows, counters, events;
	struct collector c;
	int rc = 0;

	memset(st, 0, sizeof(*st));
	if (access(o->map_path, F_OK) && errno == ENOENT)
		return 0;
	if (cmd_open_pinned(o, &flows, &counters, &events))
		return 1;
	if (collector_init(&c, flows, counters, -1, -1, &cfg, NULL, NULL)) {
		close(flows);
		return 1;
	}
	st->loaded = true;
	st->entries = collector_count(&c);
	st->max_entries = c.max_entries;
	collector_counters(&c, st->cnt);
	collector_free(&c);
	read_daemon(o, st);
	if (o->flows && read_flows(st, flows))
		rc = 1;
	close(flows);
	if (counters >= 0)
		close(counters);
	if (events >= 0)
		close(events);
	return rc;
}

static void print_daemon_text(const struct table_state *st)
{
	const struct selfstats *r = &st->run;
	const struct selfstats_collector *c;
	int i;

	if (!st->daemon) {
		printf("daemon: none reports for this table\n");
		return;
	}
	printf("daemon: pid %d, up %.0f s, %llu scans, %llu records written (%llu write "
	       "errors), %llu held, %llu lost%s\n", r->pid,
	       r->start_time ? (double)time(NULL) - r->start_time : 0.0,
	       (unsigned long long)r->scans, (unsigned long long)r->records_written,
	       (unsigned long long)r->write_errors, (unsigned long long)r->records_held,
	       (unsigned long long)r->records_lost,
	       r->dump_failing ? " (the dump cannot be written: records held in memory)" : "");
	for (i = 0; i < r->n_collectors; i++) {
		c = &r->col[i];
		printf("  IPFIX %s: %s, %llu records sent, %llu not sent, %llu send errors\n",
		       c->name, c->up ? "up" : "down", (unsigned long long)c->records_sent,
		       (unsigned long long)c->records_dropped, (unsigned long long)c->send_errors);
	}
}

/* The open flows in the chosen format (brief unless one was asked for). */
static void print_flows_text(const struct flowmon_opts *o, struct table_state *st)
{
	const struct record_format *fmt = format_find(o->format_set ? o->format : "brief");
	static char line[65536];
	size_t i;

	printf("open flows: %zu connections in %zu entries\n", st->fr.n, st->fr.entries);
	if (fmt->header && fmt->header(line, sizeof(line)) > 0)
		fputs(line, stdout);
	for (i = 0; i < st->fr.n; i++)
		if (fmt->record(&st->fr.recs[i], sink_ifname, line, sizeof(line)) > 0)
			fputs(line, stdout);
}

/* How each hook is attached: one line per hook, under the interface's. */
static void print_how(const struct iface_list *l, int i)
{
	int h;

	if (l->xdp[i])
		printf("    xdp: %s mode, program %u\n", xdphook_mode_str(l->xdp_mode[i]),
		       l->xdp_prog_id[i]);
	for (h = 0; h < 2; h++)
		if (l->attached[i][h])
			printf("    %s: %s, program %u\n", ifaces_hook_name(h),
			       ifaces_mech_str(l->mech[i][h]), l->prog_id[i][h]);
}

static void print_text(const struct flowmon_opts *o, const struct iface_list *l,
		       const struct table_state *st)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	int i;

	printf("attached:\n");
	for (i = 0; i < l->n; i++) {
		printf("  %s%s%s%s\n", l->name[i], l->xdp[i] ? " xdp" : "",
		       l->attached[i][0] ? " ingress" : "", l->attached[i][1] ? " egress" : "");
		print_how(l, i);
	}
	if (!st->loaded) {
		printf("table %s: not loaded\n", o->map_path);
		return;
	}
	printf("table %s: %zd of %u entries\n", o->map_path, st->entries, st->max_entries);
	for (i = 0; i < CNT_MAX; i++)
		printf("  %s %llu\n", names[i], (unsigned long long)st->cnt[i]);
}

/* Interface names and paths, as JSON strings (sbuf.h's escaping). */
static void json_str(const char *s)
{
	static char out[6 * 4096 + 3];
	struct sbuf b;

	sb_init(&b, out, sizeof(out));
	sb_json_str(&b, s);
	if (sb_finish(&b) >= 0)
		fputs(out, stdout);
	else
		fputs("\"\"", stdout);
}

static void print_daemon_json(const struct table_state *st)
{
	const struct selfstats *r = &st->run;
	const struct selfstats_collector *c;
	int i;

	if (!st->daemon) {
		printf(",\"daemon\":null");
		return;
	}
	printf(",\"daemon\":{\"pid\":%d,\"start_time\":%.3f,\"scans\":%llu,"
	       "\"records_written\":%llu,\"write_errors\":%llu,\"records_held\":%llu,"
	       "\"records_lost\":%llu,\"dump_failing\":%s,\"ipfix\":[", r->pid,
	       r->start_time, (unsigned long long)r->scans,
	       (unsigned long long)r->records_written, (unsigned long long)r->write_errors,
	       (unsigned long long)r->records_held, (unsigned long long)r->records_lost,
	       r->dump_failing ? "true" : "false");
	for (i = 0; i < r->n_collectors; i++) {
		c = &r->col[i];
		printf("%s{\"collector\":", i ? "," : "");
		json_str(c->name);
		printf(",\"up\":%s,\"records_sent\":%llu,\"records_dropped\":%llu,"
		       "\"send_errors\":%llu}", c->up ? "true" : "false",
		       (unsigned long long)c->records_sent, (unsigned long long)c->records_dropped,
		       (unsigned long long)c->send_errors);
	}
	printf("]}");
}

/* "flows": the JSON records of the open connections (status -j --flows). */
static void print_flows_json(const struct table_state *st)
{
	static char line[65536];
	size_t i;
	int n;

	if (!st->have_flows)
		return;
	printf(",\"flows\":[");
	for (i = 0; i < st->fr.n; i++) {
		n = format_find("json")->record(&st->fr.recs[i], sink_ifname, line, sizeof(line));
		if (n <= 0)
			continue;
		if (line[n - 1] == '\n')
			line[n - 1] = '\0';
		printf("%s%s", i ? "," : "", line);
	}
	printf("]");
}

static void print_json(const struct flowmon_opts *o, const struct iface_list *l,
		       const struct table_state *st)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	int i;

	printf("{\"attached\":[");
	for (i = 0; i < l->n; i++) {
		printf("%s{\"ifname\":", i ? "," : "");
		json_str(l->name[i]);
		printf(",\"ifindex\":%d,\"ingress\":%s,\"egress\":%s,\"ingress_prog_id\":%u,"
		       "\"egress_prog_id\":%u", l->index[i], l->attached[i][0] ? "true" : "false",
		       l->attached[i][1] ? "true" : "false", l->prog_id[i][0], l->prog_id[i][1]);
		printf(",\"ingress_mech\":\"%s\",\"egress_mech\":\"%s\",\"xdp\":%s",
		       l->attached[i][0] ? ifaces_mech_str(l->mech[i][0]) : "",
		       l->attached[i][1] ? ifaces_mech_str(l->mech[i][1]) : "",
		       l->xdp[i] ? "true" : "false");
		if (l->xdp[i])
			printf(",\"xdp_mode\":\"%s\",\"xdp_prog_id\":%u",
			       xdphook_mode_str(l->xdp_mode[i]), l->xdp_prog_id[i]);
		printf("}");
	}
	printf("],\"table\":{\"path\":");
	json_str(o->map_path);
	printf(",\"loaded\":%s", st->loaded ? "true" : "false");
	if (st->loaded)
		printf(",\"entries\":%zd,\"max_entries\":%u", st->entries, st->max_entries);
	printf("},\"counters\":{");
	for (i = 0; st->loaded && i < CNT_MAX; i++)
		printf("%s\"%s\":%llu", i ? "," : "", names[i], (unsigned long long)st->cnt[i]);
	printf("}");
	print_daemon_json(st);
	print_flows_json(st);
	printf("}\n");
}

int cmd_status(const struct flowmon_opts *o)
{
	static struct iface_list l;
	static struct table_sel sel;
	struct table_state st;
	int err;

	err = ifaces_attached(&l);
	if (err) {
		pr_err("failed to list interfaces: %s\n", strerror(-err));
		return 1;
	}
	cmd_table_sel(o, &sel);
	ifaces_keep_table(&l, &sel);	/* where this table's programs are */
	if (read_table(o, &st))
		return 1;
	if (o->json) {
		print_json(o, &l, &st);
	} else {
		print_text(o, &l, &st);
		if (st.loaded)
			print_daemon_text(&st);
		if (st.have_flows)
			print_flows_text(o, &st);
	}
	flowread_free(&st.fr);
	fflush(stdout);
	return 0;
}

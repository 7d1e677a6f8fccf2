// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * observe.c - what run tells the world about itself: the start line,
 * readiness and reloads for systemd (sd_notify), the self-metrics on
 * --metrics and in /run/bpfflowmon/TABLE.prom (read by status), and the
 * IPFIX records lost, in the log. run.c calls it once per period.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "now.h"
#include "cmds.h"
#include "collect.h"
#include "export.h"
#include "httpd.h"
#include "ifaces.h"
#include "log.h"
#include "observe.h"
#include "selfstats.h"
#include "sink.h"

#ifndef FLOWMON_VERSION
#define FLOWMON_VERSION "unknown"
#endif

/* Where status finds a pinned table's daemon: /run/bpfflowmon/TABLE.prom. */
int observe_stats_path(const struct flowmon_opts *o, char *path, size_t len)
{
	const char *dir = getenv("FLOWMON_RUN_DIR");
	int n = snprintf(path, len, "%s/%s.prom", dir && *dir ? dir : SELFSTATS_RUN_DIR,
			 cmd_table_name(o));

	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

int observe_start(struct observer *ob, const struct flowmon_opts *o)
{
	char err[256];

	memset(ob, 0, sizeof(*ob));
	ob->o = o;
	ob->start = clock_ns(CLOCK_REALTIME) / 1e9;
	/* a run of its own (-I) has no pinned table for status to name: no file */
	if (!o->ifaces && !observe_stats_path(o, ob->stats_path, sizeof(ob->stats_path)))
		ob->stats_file = true;
	if (!o->metrics)
		return 0;
	ob->http = httpd_start(o->metrics, err, sizeof(err));
	if (!ob->http) {
		pr_err("%s\n", err);
		return -1;
	}
	return 0;
}

static void fill_collectors(struct selfstats *st, const struct sink *s)
{
	struct ipfix_collector_stats cs;
	struct selfstats_collector *c;
	int i;

	for (i = 0; s->x && i < ipfix_exporter_count(s->x) && i < SELFSTATS_MAX_COLLECTORS; i++) {
		if (ipfix_exporter_stats(s->x, i, &cs))
			break;
		c = &st->col[st->n_collectors++];
		snprintf(c->name, sizeof(c->name), "%s", cs.name);
		c->up = cs.up;
		c->records_sent = cs.records_sent;
		c->records_dropped = cs.records_dropped;
		c->send_errors = cs.send_errors;
		c->messages_sent = cs.messages_sent;
		c->bytes_sent = cs.octets_sent;
		c->connects = cs.connects;
	}
}

static void fill(struct observer *ob, struct selfstats *st, const struct collector *c,
		 const struct sink *s)
{
	const struct flowmon_opts *o = ob->o;

	memset(st, 0, sizeof(*st));
	st->version = FLOWMON_VERSION;
	st->pid = (int)getpid();
	st->start_time = ob->start;
	snprintf(st->table, sizeof(st->table), "%.255s", o->ifaces ? "-" : o->map_path);
	st->entries = c->last_entries;
	st->capacity = c->max_entries;
	st->have_counters = c->counters_fd >= 0;
	collector_counters(c, st->cnt);
	st->records_read = c->events;
	st->records_written = s->w.written;	/* what the files hold */
	st->write_errors = c->emit_errors;
	st->records_held = s->w.held;
	st->records_lost = s->w.lost;
	st->dump_failing = s->w.failing;
	snprintf(st->sink, sizeof(st->sink), "%s",
		 o->out_file && !strcmp(o->out_file, "-") ? "stdout" : "file");
	st->entries_purged = c->purged;
	st->scans = ob->scans;
	st->scan_seconds_sum = ob->scan_sum;
	st->last_scan_seconds = c->last_sweep_ns / 1e9;
	fill_collectors(st, s);
}

/* The exposition to a temp file renamed over the old one: readers see all or nothing. */
static void write_stats_file(struct observer *ob, const char *text, size_t len)
{
	char tmp[sizeof(ob->stats_path) + 16];
	FILE *f;
	char *slash;

	snprintf(tmp, sizeof(tmp), "%s", ob->stats_path);
	slash = strrchr(tmp, '/');
	if (slash) {
		*slash = '\0';
		if (mkdir(tmp, 0755) && errno != EEXIST)
			goto fail;
	}
	snprintf(tmp, sizeof(tmp), "%s.tmp", ob->stats_path);
	f = fopen(tmp, "w");
	if (!f)
		goto fail;
	if (fwrite(text, 1, len, f) != len) {
		fclose(f);
		goto fail;
	}
	if (fclose(f) || rename(tmp, ob->stats_path))
		goto fail;
	ob->stats_written = true;
	return;
fail:
	if (!ob->stats_warned)
		pr_verbose("failed to write %s: %s (status will not show this run)\n",
			   ob->stats_path, strerror(errno));
	ob->stats_warned = true;
	unlink(tmp);
}

static void publish(struct observer *ob, const struct collector *c, const struct sink *s)
{
	struct selfstats st;
	char *text = NULL;
	size_t len = 0;
	FILE *f;

	if (!ob->http && !ob->stats_file)
		return;
	fill(ob, &st, c, s);
	f = open_memstream(&text, &len);
	if (!f)
		return;
	selfstats_prometheus(&st, f);
	if (fclose(f)) {
		free(text);
		return;
	}
	if (ob->http && httpd_publish(ob->http, text, len))
		pr_err("failed to publish metrics: %s\n", strerror(ENOMEM));
	if (ob->stats_file)
		write_stats_file(ob, text, len);
	free(text);
}

void observe_period(struct observer *ob, const struct collector *c, struct sink *s)
{
	ob->scans++;
	ob->scan_sum += c->last_sweep_ns / 1e9;
	sink_report(s, false);
	publish(ob, c, s);
	if (!ob->ready) {
		/* attached (or the pinned table open) and the first scan done */
		sd_notifyf(0, "READY=1\nSTATUS=metering, %llu records written\nMAINPID=%d",
			   (unsigned long long)c->written, (int)getpid());
		ob->ready = true;
	} else {
		sd_notifyf(0, "STATUS=metering, %llu records written",
			   (unsigned long long)c->written);
	}
}

void observe_reloading(struct observer *ob)
{
	(void)ob;
	sd_notify(0, "RELOADING=1");
}

void observe_reloaded(struct observer *ob)
{
	(void)ob;
	sd_notify(0, "READY=1");
}

void observe_stop(struct observer *ob, const struct collector *c, struct sink *s)
{
	sd_notify(0, "STOPPING=1");
	publish(ob, c, s);
	if (ob->stats_written)
		unlink(ob->stats_path);
	httpd_stop(ob->http);
	ob->http = NULL;
}

/* "lo (ingress, egress), eth0 (ingress)" from the kernel; "nowhere" when none. */
static void where_attached(char *buf, size_t len)
{
	static struct iface_list l;
	size_t pos = 0;
	int i, n;

	snprintf(buf, len, "nowhere");
	if (ifaces_attached(&l))
		return;
	for (i = 0; i < l.n && pos < len; i++) {
		n = snprintf(buf + pos, len - pos, "%s%s (%s%s%s)", i ? ", " : "", l.name[i],
			     l.attached[i][0] ? "ingress" : "",
			     l.attached[i][0] && l.attached[i][1] ? ", " : "",
			     l.attached[i][1] ? "egress" : "");
		if (n < 0)
			return;
		pos += (size_t)n;
	}
}

void observe_started(const struct observer *ob, const struct collector *c, const struct sink *s)
{
	const struct flowmon_opts *o = ob->o;
	char where[4400], to[4200];

	if (o->out_file && !strcmp(o->out_file, "-"))
		snprintf(to, sizeof(to), "stdout");
	else if (o->out_file)
		snprintf(to, sizeof(to), "%s", s->w.path);
	else
		snprintf(to, sizeof(to), "%s/DATE/TIME.txt", o->dump_dir);
	if (o->ifaces)
		snprintf(where, sizeof(where), "attached to %s (%s) for this run, table",
			 o->ifaces, ifaces_hooks_str(o->hooks));
	else
		snprintf(where, sizeof(where), "table %s", o->map_path);
	pr_info("started: pid %d, %s of %u entries, %s records to %s every %u s%s%s%s; "
		"%s stops\n", (int)getpid(), where, c->max_entries,
		s->w.fmt ? s->w.fmt->name : "text", to, o->interval,
		s->x ? ", IPFIX export on" : "", o->metrics ? ", metrics on " : "",
		o->metrics ? o->metrics : "", isatty(STDIN_FILENO) ? "Ctrl-C" : "SIGTERM");
	if (!o->ifaces) {
		where_attached(where, sizeof(where));
		pr_info("our filter is attached to %s\n", where);
	}
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * status.c - the status command: where our filter is attached (from the
 * kernel), the pinned table's occupancy and the kernel's counters (from
 * bpffs), as text or as one JSON object (-j).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "collect.h"
#include "ifaces.h"
#include "log.h"
#include "runstate.h"

struct table_state {
	bool loaded;
	ssize_t entries;
	uint32_t max_entries;
	uint64_t cnt[CNT_MAX];
	bool has_daemon;		/* a daemon ran on this table */
	struct flowmon_runstate daemon;	/* its records: written, held, lost */
};

/* 0 with st filled (loaded false when nothing is pinned there), 1 on error. */
static int read_table(const struct flowmon_opts *o, struct table_state *st)
{
	struct ft_config cfg = { 0 };
	int flows, counters, events;
	struct collector c;

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
	st->has_daemon = !runstate_read(o->map_path, &st->daemon);
	/* a daemon killed without its last word: not running any more */
	if (st->has_daemon && st->daemon.pid && kill((pid_t)st->daemon.pid, 0) && errno == ESRCH)
		st->daemon.pid = 0;
	st->entries = collector_count(&c);
	st->max_entries = c.max_entries;
	collector_counters(&c, st->cnt);
	collector_free(&c);
	close(flows);
	if (counters >= 0)
		close(counters);
	if (events >= 0)
		close(events);
	return 0;
}

/* The records of the daemon on this table: written, held (dump not writable), lost. */
static void print_daemon_text(const struct table_state *st)
{
	const struct flowmon_runstate *d = &st->daemon;

	if (!st->has_daemon)
		return;
	if (d->pid)
		printf("daemon: pid %llu, ", (unsigned long long)d->pid);
	else
		printf("daemon: stopped, ");
	printf("records written %llu, held %llu, lost %llu%s\n", (unsigned long long)d->written,
	       (unsigned long long)d->held, (unsigned long long)d->lost,
	       d->pid && d->failing ? " (the dump cannot be written: records held in memory)" :
				      "");
}

static void print_text(const struct flowmon_opts *o, const struct iface_list *l,
		       const struct table_state *st)
{
	static const char *names[] = FLOWMON_COUNTER_NAMES;
	int i;

	printf("attached:\n");
	for (i = 0; i < l->n; i++)
		printf("  %s%s%s\n", l->name[i], l->attached[i][0] ? " ingress" : "",
		       l->attached[i][1] ? " egress" : "");
	if (!st->loaded) {
		printf("table %s: not loaded\n", o->map_path);
		return;
	}
	printf("table %s: %zd of %u entries\n", o->map_path, st->entries, st->max_entries);
	for (i = 0; i < CNT_MAX; i++)
		printf("  %s %llu\n", names[i], (unsigned long long)st->cnt[i]);
	print_daemon_text(st);
}

/* Names are interface names and our own paths: escape " and \ all the same. */
static void json_str(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			putchar('\\');
		if ((unsigned char)*s < 0x20)
			printf("\\u%04x", *s);
		else
			putchar(*s);
	}
	putchar('"');
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
		       "\"egress_prog_id\":%u}", l->index[i], l->attached[i][0] ? "true" : "false",
		       l->attached[i][1] ? "true" : "false", l->prog_id[i][0], l->prog_id[i][1]);
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
	if (st->has_daemon)
		printf(",\"daemon\":{\"pid\":%llu,\"running\":%s,\"records_written\":%llu,"
		       "\"records_held\":%llu,\"records_lost\":%llu,\"dump_failing\":%s}",
		       (unsigned long long)st->daemon.pid, st->daemon.pid ? "true" : "false",
		       (unsigned long long)st->daemon.written, (unsigned long long)st->daemon.held,
		       (unsigned long long)st->daemon.lost,
		       st->daemon.pid && st->daemon.failing ? "true" : "false");
	printf("}\n");
}

int cmd_status(const struct flowmon_opts *o)
{
	static struct iface_list l;
	struct table_state st;
	int err;

	err = ifaces_attached(&l);
	if (err) {
		pr_err("failed to list interfaces: %s\n", strerror(-err));
		return 1;
	}
	if (read_table(o, &st))
		return 1;
	if (o->json)
		print_json(o, &l, &st);
	else
		print_text(o, &l, &st);
	fflush(stdout);
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* selfstats.c - the daemon's self-metrics as Prometheus text, and back. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "selfstats.h"

#define P "bpfflowmon_"

/* Each kernel counter (enum flowmon_counter): its family, label and help. */
static const struct {
	const char *name;
	const char *label;	/* reason="..." within the family, NULL: none */
	const char *help;
} kernel_metrics[] = {
	[CNT_OTHER_HOOK] = { P "kernel_other_hook_packets_total", NULL,
			     "Packets seen again at a later hook of their flow, not counted twice." },
	[CNT_NON_IP] = { P "kernel_non_ip_packets_total", NULL,
			 "Packets that are not IP (ARP, LLDP, ...): no flow." },
	[CNT_TABLE_FULL_PKTS] = { P "kernel_table_full_packets_total", NULL,
				  "Packets of flows the full flow table could not take." },
	[CNT_TABLE_FULL_BYTES] = { P "kernel_table_full_bytes_total", NULL,
				   "L3 bytes of flows the full flow table could not take." },
	[CNT_EVENTS_LOST] = { P "kernel_ring_events_lost_total", NULL,
			      "Record splits postponed because the event ring buffer was full." },
	[CNT_FRAG_NO_FIRST] = { P "kernel_fragments_without_first_packets_total", NULL,
				"Non-first fragments counted without ports (first fragment unseen)." },
	[CNT_ERR_L2] = { P "kernel_malformed_packets_total", "l2",
			 "Packets not accounted: a header was truncated or invalid, by layer." },
	[CNT_ERR_IP4] = { P "kernel_malformed_packets_total", "ip4", NULL },
	[CNT_ERR_IP6] = { P "kernel_malformed_packets_total", "ip6", NULL },
	[CNT_ERR_IP6_EXT] = { P "kernel_malformed_packets_total", "ip6_ext", NULL },
	[CNT_ERR_L4] = { P "kernel_malformed_packets_total", "l4", NULL },
	[CNT_RACE_LOST] = { P "kernel_race_lost_packets_total", NULL,
			    "Packets that met an entry being deleted by the sweeper, twice." },
};

/* A new kernel counter needs its metric here: every counter is exported. */
_Static_assert(sizeof(kernel_metrics) / sizeof(kernel_metrics[0]) == CNT_MAX,
	       "every kernel counter has a metric");

/* Per collector: the family, its type and help, and the value. */
enum col_val { CV_UP, CV_SENT, CV_DROPPED, CV_ERRORS, CV_MESSAGES, CV_BYTES, CV_CONNECTS, CV_MAX };

static const struct {
	const char *name;
	const char *type;
	const char *help;
} col_metrics[CV_MAX] = {
	[CV_UP] = { P "ipfix_collector_up", "gauge",
		    "1 when the IPFIX collector's socket is open (TCP: connected)." },
	[CV_SENT] = { P "ipfix_records_sent_total", "counter",
		      "Flow records handed to the IPFIX collector's transport." },
	[CV_DROPPED] = { P "ipfix_records_dropped_total", "counter",
			 "Flow records not sent: collector down, send error or queue full." },
	[CV_ERRORS] = { P "ipfix_send_errors_total", "counter",
			"Failed sends and connection attempts to the IPFIX collector." },
	[CV_MESSAGES] = { P "ipfix_messages_sent_total", "counter",
			  "IPFIX messages sent to the collector." },
	[CV_BYTES] = { P "ipfix_sent_bytes_total", "counter",
		       "IPFIX message bytes sent to the collector." },
	[CV_CONNECTS] = { P "ipfix_connections_total", "counter",
			  "TCP connections established to the collector." },
};

static uint64_t col_value(const struct selfstats_collector *c, int v)
{
	switch (v) {
	case CV_UP:
		return c->up;
	case CV_SENT:
		return c->records_sent;
	case CV_DROPPED:
		return c->records_dropped;
	case CV_ERRORS:
		return c->send_errors;
	case CV_MESSAGES:
		return c->messages_sent;
	case CV_BYTES:
		return c->bytes_sent;
	}
	return c->connects;
}

static void head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value: backslash, double quote and newline escaped. */
static void label_value(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n')
			fputs("\\n", out);
		else
			fputc(*s, out);
	}
}

static void kernel_counters(const struct selfstats *s, FILE *out)
{
	const char *last = NULL;
	int i;

	for (i = 0; s->have_counters && i < CNT_MAX; i++) {
		if (!last || strcmp(last, kernel_metrics[i].name))
			head(out, kernel_metrics[i].name, "counter", kernel_metrics[i].help);
		last = kernel_metrics[i].name;
		if (kernel_metrics[i].label)
			fprintf(out, "%s{layer=\"%s\"} %" PRIu64 "\n", last, kernel_metrics[i].label,
				s->cnt[i]);
		else
			fprintf(out, "%s %" PRIu64 "\n", last, s->cnt[i]);
	}
}

static void collectors(const struct selfstats *s, FILE *out)
{
	int v, i;

	for (v = 0; s->n_collectors && v < CV_MAX; v++) {
		head(out, col_metrics[v].name, col_metrics[v].type, col_metrics[v].help);
		for (i = 0; i < s->n_collectors; i++) {
			fprintf(out, "%s{collector=\"", col_metrics[v].name);
			label_value(out, s->col[i].name);
			fprintf(out, "\"} %" PRIu64 "\n", col_value(&s->col[i], v));
		}
	}
}

static void process(const struct selfstats *s, FILE *out)
{
	head(out, P "build_info", "gauge", "Version of the running bpfFlowMon, always 1.");
	fprintf(out, P "build_info{version=\"");
	label_value(out, s->version ? s->version : "unknown");
	fprintf(out, "\"} 1\n");
	head(out, P "start_time_seconds", "gauge", "When the meter started, Unix time.");
	fprintf(out, P "start_time_seconds %.3f\n", s->start_time);
	head(out, P "process_id", "gauge", "Process id of the meter.");
	fprintf(out, P "process_id %d\n", s->pid);
}

static void table(const struct selfstats *s, FILE *out)
{
	head(out, P "table_entries", "gauge", "Flow table entries (one per direction) at the "
	     "last scan.");
	fprintf(out, P "table_entries %" PRIu64 "\n", s->entries);
	head(out, P "table_capacity_entries", "gauge", "Flow table capacity.");
	fprintf(out, P "table_capacity_entries %" PRIu64 "\n", s->capacity);
	head(out, P "table_entries_purged_total", "counter", "Flow table entries the sweeper "
	     "deleted.");
	fprintf(out, P "table_entries_purged_total %" PRIu64 "\n", s->entries_purged);
	head(out, P "scan_duration_seconds", "summary", "Time the sweeps of a scan took.");
	fprintf(out, P "scan_duration_seconds_sum %.6f\n", s->scan_seconds_sum);
	fprintf(out, P "scan_duration_seconds_count %" PRIu64 "\n", s->scans);
	head(out, P "last_scan_duration_seconds", "gauge", "Time the sweeps of the last scan "
	     "took.");
	fprintf(out, P "last_scan_duration_seconds %.6f\n", s->last_scan_seconds);
}

static void records(const struct selfstats *s, FILE *out)
{
	head(out, P "records_read_total", "counter", "Flow records read from the kernel's "
	     "event ring.");
	fprintf(out, P "records_read_total %" PRIu64 "\n", s->records_read);
	head(out, P "records_written_total", "counter", "Flow records written, per sink "
	     "(IPFIX: bpfflowmon_ipfix_records_sent_total).");
	fprintf(out, P "records_written_total{sink=\"%s\"} %" PRIu64 "\n",
		s->sink[0] ? s->sink : "file", s->records_written);
	head(out, P "record_write_errors_total", "counter", "Flow records the local sink "
	     "failed to write.");
	fprintf(out, P "record_write_errors_total{sink=\"%s\"} %" PRIu64 "\n",
		s->sink[0] ? s->sink : "file", s->write_errors);
	head(out, P "records_held", "gauge", "Flow records held in memory while the dump "
	     "cannot be written (written in order once it can).");
	fprintf(out, P "records_held %" PRIu64 "\n", s->records_held);
	head(out, P "records_lost_total", "counter", "Flow records lost: the dump could not "
	     "be written and the memory for held records was full.");
	fprintf(out, P "records_lost_total %" PRIu64 "\n", s->records_lost);
	head(out, P "dump_failing", "gauge", "1 while the dump cannot be written.");
	fprintf(out, P "dump_failing %d\n", s->dump_failing ? 1 : 0);
}

int selfstats_prometheus(const struct selfstats *s, FILE *out)
{
	process(s, out);
	table(s, out);
	records(s, out);
	kernel_counters(s, out);
	collectors(s, out);
	return ferror(out) ? -1 : 0;
}

/* ---- reading it back (status) ---- */

/* "name{label=\"value\"} number": name, the first label's value (unescaped), number. */
static bool split_line(char *line, char **name, char *label, size_t llen, double *v)
{
	char *p = line, *end;
	size_t n = 0;

	*name = p;
	p += strcspn(p, "{ ");
	label[0] = '\0';
	if (*p == '{') {
		*p++ = '\0';
		p = strchr(p, '"');
		if (!p)
			return false;
		for (p++; *p && *p != '"'; p++) {
			if (*p == '\\' && p[1])
				p++;
			if (n + 1 < llen)
				label[n++] = *p == 'n' && p[-1] == '\\' ? '\n' : *p;
		}
		label[n] = '\0';
		p = strchr(p, '}');
		if (!p)
			return false;
	}
	*p++ = '\0';
	*v = strtod(p, &end);
	return end != p;
}

static struct selfstats_collector *col_named(struct selfstats *s, const char *name)
{
	int i;

	for (i = 0; i < s->n_collectors; i++)
		if (!strcmp(s->col[i].name, name))
			return &s->col[i];
	if (s->n_collectors == SELFSTATS_MAX_COLLECTORS)
		return NULL;
	snprintf(s->col[s->n_collectors].name, sizeof(s->col[0].name), "%s", name);
	return &s->col[s->n_collectors++];
}

static bool parse_collector(struct selfstats *s, const char *name, const char *label, double v)
{
	struct selfstats_collector *c;
	int i;

	for (i = 0; i < CV_MAX && strcmp(name, col_metrics[i].name); i++)
		;
	if (i == CV_MAX || !(c = col_named(s, label)))
		return false;
	switch (i) {
	case CV_UP: c->up = v != 0; break;
	case CV_SENT: c->records_sent = (uint64_t)v; break;
	case CV_DROPPED: c->records_dropped = (uint64_t)v; break;
	case CV_ERRORS: c->send_errors = (uint64_t)v; break;
	case CV_MESSAGES: c->messages_sent = (uint64_t)v; break;
	case CV_BYTES: c->bytes_sent = (uint64_t)v; break;
	default: c->connects = (uint64_t)v; break;
	}
	return true;
}

static bool parse_one(struct selfstats *s, const char *name, const char *label, double v)
{
	static const struct {
		const char *name;
		size_t off;
	} u64s[] = {
		{ P "table_entries", offsetof(struct selfstats, entries) },
		{ P "table_capacity_entries", offsetof(struct selfstats, capacity) },
		{ P "table_entries_purged_total", offsetof(struct selfstats, entries_purged) },
		{ P "scan_duration_seconds_count", offsetof(struct selfstats, scans) },
		{ P "records_read_total", offsetof(struct selfstats, records_read) },
		{ P "records_written_total", offsetof(struct selfstats, records_written) },
		{ P "record_write_errors_total", offsetof(struct selfstats, write_errors) },
		{ P "records_held", offsetof(struct selfstats, records_held) },
		{ P "records_lost_total", offsetof(struct selfstats, records_lost) },
	};
	size_t i;

	for (i = 0; i < sizeof(u64s) / sizeof(u64s[0]); i++) {
		if (!strcmp(name, u64s[i].name)) {
			*(uint64_t *)((char *)s + u64s[i].off) = (uint64_t)v;
			return true;
		}
	}
	if (!strcmp(name, P "process_id"))
		s->pid = (int)v;
	else if (!strcmp(name, P "start_time_seconds"))
		s->start_time = v;
	else if (!strcmp(name, P "last_scan_duration_seconds"))
		s->last_scan_seconds = v;
	else if (!strcmp(name, P "dump_failing"))
		s->dump_failing = v != 0;
	else
		return parse_collector(s, name, label, v);
	return true;
}

int selfstats_parse(FILE *in, struct selfstats *s)
{
	char line[1024], label[256], *name;
	int ours = 0;
	double v;

	memset(s, 0, sizeof(*s));
	while (fgets(line, sizeof(line), in)) {
		line[strcspn(line, "\n")] = '\0';
		if (line[0] == '#' || !line[0])
			continue;
		if (split_line(line, &name, label, sizeof(label), &v))
			ours += parse_one(s, name, label, v);
	}
	return ours ? 0 : -1;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* sink.c - fan a record out to the local dump and the IPFIX exporter. */
#include <net/if.h>
#include <string.h>
#include "export.h"
#include "log.h"
#include "sink.h"

/*
 * if_indextoname() is a syscall: cache the last few answers, forgotten at
 * every flush (once a period), so that a renamed interface shows up soon.
 */
#define IFNAME_CACHE 16

static struct {
	uint32_t ifindex;
	char name[IF_NAMESIZE];
} ifcache[IFNAME_CACHE];

const char *sink_ifname(uint32_t ifindex, char *buf, size_t len)
{
	unsigned int slot = ifindex % IFNAME_CACHE;

	if (!ifindex)
		return NULL;
	if (ifcache[slot].ifindex != ifindex) {
		if (!if_indextoname(ifindex, ifcache[slot].name))
			return NULL;
		ifcache[slot].ifindex = ifindex;
	}
	snprintf(buf, len, "%s", ifcache[slot].name);
	return buf;
}

int sink_open(struct sink *s, const struct sink_cfg *cfg, time_t now)
{
	char err[256];

	memset(s, 0, sizeof(*s));
	s->w.dir = cfg->dump_dir;
	s->w.file = cfg->out_file;
	s->w.fmt = cfg->fmt;
	s->w.ifname = sink_ifname;
	if (cfg->n_collectors) {
		s->x = ipfix_exporter_new(cfg->collectors, cfg->n_collectors, cfg->odid,
					  cfg->uniflow, err, sizeof(err));
		if (!s->x) {
			pr_err("%s\n", err);
			return -1;
		}
		if (cfg->pen)
			ipfix_exporter_set_pen(s->x, cfg->pen);
	}
	if (writer_open(&s->w, now)) {
		ipfix_exporter_free(s->x);
		s->x = NULL;
		return -1;
	}
	return 0;
}

int sink_emit(void *ctx, struct flow_record *r)
{
	struct sink *s = ctx;
	int err;

	/* the local dump first (it sets FLOW_ID): a collector that is down must not cost it */
	err = writer_write(&s->w, r);
	if (s->x)
		ipfix_exporter_add(s->x, r, ipfix_now_ms());
	return err;
}

void sink_set_meter(struct sink *s, const uint64_t *cnt, size_t n, unsigned int idle_s,
		    unsigned int active_s)
{
	struct ipfix_meter_stats ms;

	if (!s->x)
		return;
	ipfix_meter_from_counters(&ms, cnt, n);
	ms.idle_timeout_s = idle_s > 0xffff ? 0xffff : idle_s;
	ms.active_timeout_s = active_s > 0xffff ? 0xffff : active_s;
	ipfix_exporter_set_stats(s->x, &ms);
}

void sink_flush(struct sink *s)
{
	memset(ifcache, 0, sizeof(ifcache));
	writer_flush(&s->w);
	if (s->x)
		ipfix_exporter_flush(s->x, ipfix_now_ms());
}

static void report_one(struct sink *s, int i, bool final)
{
	struct ipfix_collector_stats st;
	uint64_t drop, errs;

	if (i >= SINK_MAX_COLLECTORS || ipfix_exporter_stats(s->x, i, &st))
		return;
	drop = st.records_dropped - s->told_dropped[i];
	errs = st.send_errors - s->told_errors[i];
	if (drop || errs)
		pr_err("IPFIX collector %s: %llu records not sent, %llu send errors (%s; "
		       "%llu not sent in all)\n", st.name, (unsigned long long)drop,
		       (unsigned long long)errs, st.up ? "up" : "down",
		       (unsigned long long)st.records_dropped);
	s->told_dropped[i] = st.records_dropped;
	s->told_errors[i] = st.send_errors;
	if (final)
		pr_info("IPFIX collector %s: %llu records sent, %llu not sent, %llu send errors\n",
			st.name, (unsigned long long)st.records_sent,
			(unsigned long long)st.records_dropped,
			(unsigned long long)st.send_errors);
}

void sink_report(struct sink *s, bool final)
{
	int i;

	for (i = 0; s->x && i < ipfix_exporter_count(s->x); i++)
		report_one(s, i, final);
}

void sink_rotate(struct sink *s, time_t now)
{
	/* writer_rotate says why; until a file opens, records are held (writer.h) */
	writer_rotate(&s->w, now);
}

void sink_maybe_rotate(struct sink *s, time_t now)
{
	writer_maybe_rotate(&s->w, now);
}

void sink_close(struct sink *s)
{
	writer_close(&s->w);
	/* final statistics, drain, close: then what could not be sent is known */
	ipfix_exporter_close(s->x);
	sink_report(s, true);
	ipfix_exporter_free(s->x);
	s->x = NULL;
}

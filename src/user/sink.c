// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* sink.c - fan a record out to the local dump and the IPFIX exporter. */
#include <net/if.h>
#include <string.h>
#include "log.h"
#include "sink.h"

static const char *ifname(uint32_t ifindex, char *buf, size_t len)
{
	char name[IF_NAMESIZE];

	if (!ifindex || !if_indextoname(ifindex, name))
		return NULL;
	snprintf(buf, len, "%s", name);
	return buf;
}

int sink_open(struct sink *s, const struct flowmon_opts *o, time_t now)
{
	memset(s, 0, sizeof(*s));
	s->w.dir = o->dump_dir;
	s->w.file = o->out_file;
	s->w.json = o->json;
	s->w.ifname = ifname;
	return writer_open(&s->w, now);
}

int sink_emit(void *ctx, struct flow_record *r)
{
	struct sink *s = ctx;

	/* the local dump first: a collector that is down must not cost it */
	return writer_write(&s->w, r);
}

void sink_flush(struct sink *s)
{
	writer_flush(&s->w);
}

void sink_rotate(struct sink *s, time_t now)
{
	if (writer_rotate(&s->w, now))
		pr_err("failed to rotate dump file %s\n", s->w.path);
}

void sink_maybe_rotate(struct sink *s, time_t now)
{
	if (writer_maybe_rotate(&s->w, now))
		pr_err("failed to rotate dump file %s\n", s->w.path);
}

void sink_close(struct sink *s)
{
	writer_close(&s->w);
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* replay.c - read pcap/pcapng files (libpcap) and feed every packet to the program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>
#include "engine.h"
#include "log.h"
#include "replay.h"

/* nanoseconds since the epoch of a packet (the file is opened with ns precision) */
static uint64_t pkt_time_ns(const struct pcap_pkthdr *h)
{
	return (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
}

#define LINKTYPE_ETHERNET 1

static int replay_one(pcap_t *p, const struct pcap_pkthdr *h, const uint8_t *data,
		      const struct replay_target *t, struct replay_stats *st)
{
	static uint8_t frame[262144 + 64];	/* libpcap's largest snapshot, and a header */
	int lt = pcap_datalink(p), len, err = 0;
	const uint8_t *eth = frame;
	uint32_t wire;

	if (t->native && lt == LINKTYPE_ETHERNET && h->caplen >= 14) {
		eth = data;	/* as it is: no copy */
		len = (int)h->caplen;
	} else {
		len = frame_to_eth(lt, data, h->caplen, frame, sizeof(frame));
	}
	if (len <= 0) {
		st->skipped++;
		return 0;
	}
	/*
	 * The capture may hold less than the packet (snaplen): keep the wire
	 * length, give or take what the link header conversion changed.
	 */
	wire = (uint32_t)len + (h->len > h->caplen ? h->len - h->caplen : 0);
	if (t->native)
		fm_native_packet(t->native, eth, (uint32_t)len, wire, pkt_time_ns(h),
				 lt != LINKTYPE_ETHERNET);
	else
		err = replay_frame(t->prog_fd, eth, (uint32_t)len, wire, pkt_time_ns(h),
				   lt != LINKTYPE_ETHERNET);
	if (err) {
		if (!st->failed++) {
			st->first_failed = st->packets;
			st->first_err = err;
		}
		return 0;
	}
	st->replayed++;
	return 0;
}

int replay_check(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	pcap_t *p = pcap_open_offline(path, errbuf);

	if (!p) {
		pr_err("failed to open capture file %s: %s\n", path, errbuf);
		return -1;
	}
	pcap_close(p);
	return 0;
}

int replay_file(const char *path, const struct replay_target *t, replay_tick_fn tick, void *ctx,
		struct replay_stats *st)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;
	int rc;

	memset(st, 0, sizeof(*st));
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!p) {
		pr_err("failed to open capture file %s: %s\n", path, errbuf);
		return -1;
	}
	while ((rc = pcap_next_ex(p, &h, &data)) == 1) {
		st->packets++;
		if (tick && tick(ctx, pkt_time_ns(h)))
			break;
		replay_one(p, h, data, t, st);
	}
	if (rc == PCAP_ERROR) {
		pr_err("failed to read %s: packet %llu: %s\n", path,
			(unsigned long long)st->packets + 1, pcap_geterr(p));
		pcap_close(p);
		return -1;
	}
	pcap_close(p);
	return 0;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* replay.c - read pcap/pcapng files (libpcap) and feed every packet to the program. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <pcap/pcap.h>
#include "log.h"
#include "replay.h"

/* nanoseconds since the epoch of a packet (the file is opened with ns precision) */
static uint64_t pkt_time_ns(const struct pcap_pkthdr *h)
{
	return (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
}

static int replay_one(pcap_t *p, const struct pcap_pkthdr *h, const uint8_t *data, int prog_fd,
		      struct replay_stats *st)
{
	static uint8_t frame[65536 + 64];
	uint32_t wire;
	int len, err;

	len = frame_to_eth(pcap_datalink(p), data, h->caplen, frame, sizeof(frame));
	if (len <= 0) {
		st->skipped++;
		return 0;
	}
	/* the capture may hold less than the packet (snaplen): keep the wire length */
	wire = (uint32_t)len + (h->len > h->caplen ? h->len - h->caplen : 0);
	err = replay_frame(prog_fd, frame, (uint32_t)len, wire, pkt_time_ns(h));
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

int replay_file(const char *path, int prog_fd, replay_tick_fn tick, void *ctx,
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
		replay_one(p, h, data, prog_fd, st);
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

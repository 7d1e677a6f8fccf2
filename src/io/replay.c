// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * replay.c - read pcap/pcapng captures (libpcap) and feed every packet to
 * the program. A capture is opened once and read once from its start, so
 * that standard input, /dev/stdin and FIFOs work as well as files.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pcap/pcap.h>
#include "engine.h"
#include "log.h"
#include "replay.h"

#define LINKTYPE_ETHERNET	1
#define ETH_HDR_LEN		14
#define ETH_P_IP		0x0800
#define ETH_P_IPV6		0x86DD
#define IPV4_HDR_MIN		20	/* RFC 791 */
#define IPV6_HDR_LEN		40	/* RFC 8200 */

struct capture {
	pcap_t *p;
	char name[4096];
	int linktype;
};

/* nanoseconds since the epoch of a packet (the file is opened with ns precision) */
static uint64_t pkt_time_ns(const struct pcap_pkthdr *h)
{
	return (uint64_t)h->ts.tv_sec * 1000000000ULL + (uint64_t)h->ts.tv_usec;
}

/*
 * BPF_PROG_TEST_RUN refuses (EINVAL) a frame shorter than the IP header its
 * ethertype announces; the datapath counts such a frame as err_ip4/err_ip6.
 * Both engines must agree, so this says which frames the kernel cannot run:
 * 1 (IPv4), 2 (IPv6) or 0.
 */
static int short_ip_frame(const uint8_t *eth, uint32_t len)
{
	uint16_t proto;

	if (len < ETH_HDR_LEN)
		return 0;
	proto = (uint16_t)(eth[12] << 8 | eth[13]);
	if (proto == ETH_P_IP && len < ETH_HDR_LEN + IPV4_HDR_MIN)
		return 1;
	if (proto == ETH_P_IPV6 && len < ETH_HDR_LEN + IPV6_HDR_LEN)
		return 2;
	return 0;
}

static void note_failed(struct replay_stats *st, int err)
{
	if (!st->failed++) {
		st->first_failed = st->packets;
		st->first_err = err;
	}
}

/* One frame, already Ethernet, to the target. */
static void run_frame(const uint8_t *eth, uint32_t len, uint32_t wire, uint64_t ts, int fake_l2,
		      const struct replay_target *t, struct replay_stats *st)
{
	int err, sh = short_ip_frame(eth, len);

	if (sh) {
		/* counted by the datapath natively, here for the kernel engine */
		if (sh == 1)
			st->short_ip4++;
		else
			st->short_ip6++;
		if (!t->native)
			return;
	}
	if (t->native) {
		fm_native_packet(t->native, eth, len, wire, ts, fake_l2);
		st->replayed++;
		return;
	}
	err = replay_frame(t->prog_fd, eth, len, wire, ts, fake_l2);
	if (err) {
		note_failed(st, err);
		return;
	}
	st->replayed++;
}

static void replay_one(struct capture *c, const struct pcap_pkthdr *h, const uint8_t *data,
		       const struct replay_target *t, struct replay_stats *st)
{
	static uint8_t frame[262144 + 64];	/* libpcap's largest snapshot, and a header */
	const uint8_t *eth = frame;
	uint32_t wire;
	int len;

	if (t->native && c->linktype == LINKTYPE_ETHERNET && h->caplen >= ETH_HDR_LEN) {
		eth = data;	/* as it is: no copy */
		len = (int)h->caplen;
	} else {
		len = frame_to_eth(c->linktype, data, h->caplen, frame, sizeof(frame));
	}
	if (len < 0) {
		st->short_link++;	/* shorter than its link header: nothing to read */
		return;
	}
	if (len == 0) {
		st->skipped++;
		return;
	}
	/*
	 * The capture may hold less than the packet (snaplen): keep the wire
	 * length, give or take what the link header conversion changed.
	 */
	wire = (uint32_t)len + (h->len > h->caplen ? h->len - h->caplen : 0);
	run_frame(eth, (uint32_t)len, wire, pkt_time_ns(h), c->linktype != LINKTYPE_ETHERNET, t, st);
}

/* The link type as the file's header has it (libpcap keeps the upper bits apart). */
static unsigned int file_linktype(pcap_t *p)
{
	return (unsigned int)pcap_datalink(p) | (unsigned int)pcap_datalink_ext(p);
}

/* A link type we read. */
static int check_capture(struct capture *c)
{
	const char *lname = pcap_datalink_val_to_name(c->linktype);

	if (!linktype_supported(c->linktype)) {
		pr_err("failed to replay %s: unsupported link type %u (%s): no IP to find in it\n",
		       c->name, file_linktype(c->p), lname ? lname : "unknown");
		return -EPROTONOSUPPORT;
	}
	return 0;
}

int replay_check_snaplen(const struct capture *c)
{
	const char *lname = pcap_datalink_val_to_name(c->linktype);
	int snap = pcap_snapshot(c->p), need = linktype_min_snaplen(c->linktype);

	if (snap < need) {
		pr_err("failed to replay %s: snapshot length %d is too short: link type %d (%s) "
		       "needs %d bytes for its header and an IPv4 header\n", c->name, snap,
		       c->linktype, lname ? lname : "unknown", need);
		return -EINVAL;
	}
	return 0;
}

static struct capture *capture_new(const char *name)
{
	struct capture *c = calloc(1, sizeof(*c));

	if (!c) {
		pr_err("failed to open capture file %s: %s\n", name, strerror(ENOMEM));
		return NULL;
	}
	snprintf(c->name, sizeof(c->name), "%s", name);
	return c;
}

/* The rest of opening: link type and snapshot length checked. */
static struct capture *capture_ready(struct capture *c)
{
	c->linktype = pcap_datalink(c->p);
	if (check_capture(c)) {
		replay_close(c);
		return NULL;
	}
	return c;
}

struct capture *replay_open(const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct capture *c = capture_new(!strcmp(path, "-") ? "standard input" : path);

	if (!c)
		return NULL;
	/* "-" is standard input to libpcap; a FIFO is opened once, like any file */
	c->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!c->p) {
		pr_err("failed to open capture file %s: %s\n", c->name, errbuf);
		free(c);
		return NULL;
	}
	return capture_ready(c);
}

struct capture *replay_fopen(FILE *f, const char *name)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct capture *c = capture_new(name);

	if (!c) {
		fclose(f);
		return NULL;
	}
	c->p = pcap_fopen_offline_with_tstamp_precision(f, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!c->p) {
		pr_err("failed to open capture file %s: %s\n", c->name, errbuf);
		fclose(f);
		free(c);
		return NULL;
	}
	return capture_ready(c);
}

const char *replay_name(const struct capture *c)
{
	return c->name;
}

void replay_close(struct capture *c)
{
	if (!c)
		return;
	if (c->p)
		pcap_close(c->p);
	free(c);
}

int replay_run(struct capture *c, const struct replay_target *t, replay_tick_fn tick, void *ctx,
	       struct replay_stats *st)
{
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc;

	memset(st, 0, sizeof(*st));
	while ((rc = pcap_next_ex(c->p, &h, &data)) == 1) {
		st->packets++;
		if (tick && tick(ctx, pkt_time_ns(h)))
			break;
		replay_one(c, h, data, t, st);
	}
	if (rc == PCAP_ERROR) {
		pr_err("failed to read %s: packet %llu: %s\n", c->name,
		       (unsigned long long)st->packets + 1, pcap_geterr(c->p));
		return -1;
	}
	return 0;
}

int replay_file(const char *path, const struct replay_target *t, replay_tick_fn tick, void *ctx,
		struct replay_stats *st)
{
	struct capture *c = replay_open(path);
	int rc;

	memset(st, 0, sizeof(*st));
	if (!c)
		return -1;
	rc = replay_run(c, t, tick, ctx, st);
	replay_close(c);
	return rc;
}

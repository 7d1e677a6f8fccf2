/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * replay.h - offline mode: pcap/pcapng packets through the datapath, each
 * with its own timestamp: natively compiled (src/native), or the kernel's
 * tc_flowmon_kern.o with BPF_PROG_TEST_RUN.
 */
#ifndef __FLOWMON_REPLAY_H
#define __FLOWMON_REPLAY_H

#include <stdint.h>
#include <stddef.h>

/*
 * Turn a captured frame of any IP-carrying link type (Ethernet, raw IP,
 * IPv4, IPv6, Linux cooked v1/v2, BSD loopback, NFLOG, ...) into an Ethernet
 * frame the TC program can parse. Pure (linktype.c). Returns the frame
 * length, 0 when the frame carries no IP (skipped), -1 when it is too short.
 */
int frame_to_eth(int linktype, const uint8_t *pkt, uint32_t caplen, uint8_t *out,
		 uint32_t outsz);

/* Run one Ethernet frame through prog_fd at time ts_ns (epoch ns). 0 or -errno. */
int replay_packet(int prog_fd, const uint8_t *eth, uint32_t len, uint64_t ts_ns);
/*
 * The same, for a frame whose packet was wire_len bytes long before capture
 * cut it; fake_l2: its Ethernet header was made up (another link type).
 */
int replay_frame(int prog_fd, const uint8_t *eth, uint32_t len, uint32_t wire_len,
		 uint64_t ts_ns, int fake_l2);

struct fm_native;

/* Where replayed frames go: the kernel's program, or the native engine. */
struct replay_target {
	int prog_fd;			/* >= 0: BPF_PROG_TEST_RUN of this program */
	struct fm_native *native;	/* else: this engine */
};

struct replay_stats {
	uint64_t packets;	/* read from the file */
	uint64_t replayed;	/* run through the program */
	uint64_t skipped;	/* no IP, too short, unsupported link type */
	uint64_t failed;	/* BPF_PROG_TEST_RUN refused them */
	uint64_t first_failed;	/* packet number of the first of those */
	int first_err;		/* and its -errno */
};

/*
 * Called before every packet with its time, so that the caller can run
 * timeouts on packet time; non-zero stops the replay.
 */
typedef int (*replay_tick_fn)(void *ctx, uint64_t ts_ns);

/* Can path be opened as a capture file? 0, or -1 after one error line. */
int replay_check(const char *path);

/*
 * Replay a whole file. Returns 0 at end of file, or -1 after printing one
 * line "failed to read <file>: packet <n>: <reason>" (packets before it are
 * accounted). Stats are filled in both cases.
 */
int replay_file(const char *path, const struct replay_target *t, replay_tick_fn tick, void *ctx,
		struct replay_stats *st);

#endif /* __FLOWMON_REPLAY_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * replay.h - offline mode: pcap/pcapng packets through the datapath, each
 * with its own timestamp: natively compiled (src/native), or the kernel's
 * tc_flowmon_kern.o with BPF_PROG_TEST_RUN.
 */
#ifndef __FLOWMON_REPLAY_H
#define __FLOWMON_REPLAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "linktype.h"
#include "testrun.h"


struct fm_native;

/* Where replayed frames go: the kernel's program, or the native engine. */
struct replay_target {
	int prog_fd;			/* >= 0: BPF_PROG_TEST_RUN of this program */
	struct fm_native *native;	/* else: this engine */
};

struct replay_stats {
	uint64_t packets;	/* read from the file */
	uint64_t replayed;	/* run through the program */
	uint64_t skipped;	/* a link type's frames that carry no IP (ARP of cooked captures, ...) */
	uint64_t short_link;	/* shorter than their link header: nothing read from them */
	/*
	 * Shorter than the IPv4/IPv6 header their ethertype announces: the
	 * datapath counts them as err_ip4/err_ip6. The kernel's test run refuses
	 * them, so the kernel engine does not run them and its caller adds them
	 * to those counters: both engines report the same.
	 */
	uint64_t short_ip4;
	uint64_t short_ip6;
	uint64_t failed;	/* BPF_PROG_TEST_RUN refused them */
	uint64_t first_failed;	/* packet number of the first of those */
	int first_err;		/* and its -errno */
};

/*
 * Called before every packet with its time, so that the caller can run
 * timeouts on packet time; non-zero stops the replay.
 */
typedef int (*replay_tick_fn)(void *ctx, uint64_t ts_ns);

struct capture;

/*
 * Open a capture once: path, or "-" for standard input (a FIFO or
 * /dev/stdin are opened as files; nothing is opened twice, so a pipe is
 * read once from its start). Its link type must be one frame_to_eth()
 * converts. NULL after one error line naming the file (and the link type).
 */
struct capture *replay_open(const char *path);
/* The same on an open stream, which it takes over; name is for messages. */
struct capture *replay_fopen(FILE *f, const char *name);
/*
 * Does the capture's snapshot length (its header's) leave room for the link
 * header and an IPv4 header? 0, or -EINVAL after one error line: such a
 * capture holds no flow. (Its packets are not checked: a few writers put
 * a wrong snapshot length in the header.)
 */
int replay_check_snaplen(const struct capture *c);
/* The capture's name in messages ("standard input" for "-"). */
const char *replay_name(const struct capture *c);
void replay_close(struct capture *c);

/*
 * Replay the whole capture. Returns 0 at end of file, or -1 after printing
 * one line "failed to read <file>: packet <n>: <reason>" (packets before it
 * are accounted). Stats are filled in both cases.
 */
int replay_run(struct capture *c, const struct replay_target *t, replay_tick_fn tick, void *ctx,
	       struct replay_stats *st);
/* replay_open(), replay_run(), replay_close(). */
int replay_file(const char *path, const struct replay_target *t, replay_tick_fn tick, void *ctx,
		struct replay_stats *st);

#endif /* __FLOWMON_REPLAY_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * bench.h - shared pieces of the `make bench` harness: timing, statistics,
 * CPU pinning, packet templates and BPF_PROG_TEST_RUN wrappers.
 *
 * Nothing here is part of tc_flowmon_user; the harness links the real
 * userland objects (loader, collector, flow table) and measures them.
 */
#ifndef __FLOWMON_BENCH_H
#define __FLOWMON_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>

#define NSEC_PER_SEC	1000000000ULL
#define BENCH_T0	1700000000000000000ULL	/* replay clock: ns since the epoch */
#define BENCH_PKT_MAX	256

/* Common options of every subcommand. */
struct bench_opts {
	int cpu;		/* CPU the harness pins itself (and its children) to */
	int trials;		/* measurements per figure; the median is reported */
	const char *obj;	/* tc_flowmon_kern.o */
	const char *floor;	/* floor.bpf.o */
	const char *nohook;	/* tc_flowmon_kern_nohook.o: built without the plugin hook */
	const char *plugins;	/* folder of the plugins (dns.bpf.o, tls.bpf.o, rtt.bpf.o) */
};

/* CLOCK_MONOTONIC in ns. */
uint64_t bench_now_ns(void);
/* Median of n values (sorts v in place); 0 for n == 0. */
double bench_median(double *v, size_t n);
/* Pin the calling thread (and what it forks) to one CPU: 0 or -errno. */
int bench_pin(int cpu);
/* Current and peak resident set of this process, KiB (from /proc/self/status). */
long bench_rss_kib(const char *field);
/* "memlock:" of an fd from /proc/self/fdinfo, bytes (-1 if absent). */
long long bench_fd_memlock(int fd);

/*
 * Packet templates (Ethernet II, no VLAN): the harness edits addresses and
 * ports in place to make distinct flows. Offsets are into the frame.
 */
struct bench_pkt {
	uint8_t buf[BENCH_PKT_MAX];
	uint32_t len;
	uint32_t l3;		/* IP header offset */
	uint32_t l4;		/* TCP/UDP header offset */
	int ipver;
};

enum bench_l4 {
	BL4_TCP_ACK,		/* ACK|PSH with payload: an established flow */
	BL4_TCP_SYN,		/* SYN with MSS, SACK-permitted, timestamps, window scale */
	BL4_UDP,
};

/* Build one packet of ipver 4 or 6, kind, payload bytes of data. */
void bench_pkt_build(struct bench_pkt *p, int ipver, enum bench_l4 kind, uint32_t payload);
/* Make it flow number i: source address (and source port) derived from i. */
void bench_pkt_set_flow(struct bench_pkt *p, uint32_t i);
/* Swap source and destination (address and port): the reverse direction. */
void bench_pkt_reverse(struct bench_pkt *p);
/*
 * Packet of entry j in an n-entry table (IPv4 TCP ACK with payload): the
 * first half of the entries are the two directions of n/4 connections,
 * the second half one-way flows, so that merging has work.
 */
void bench_fill_pkt(struct bench_pkt *p, uint32_t j, uint32_t n);

/*
 * One BPF_PROG_TEST_RUN of prog_fd over p, repeat times, skb->tstamp = ts
 * (ifindex 1, as replay does). *ns gets the kernel's average per run.
 * Returns 0 or -errno (also when the program did not return TC_ACT_UNSPEC).
 */
int bench_test_run(int prog_fd, const struct bench_pkt *p, uint64_t ts, uint32_t repeat,
		   uint32_t *ns);

struct bpf_object;
/* Open and load floor.bpf.o with max entries in its table; close *obj even on error. */
int bench_open_floor(const char *path, uint32_t max, struct bpf_object **obj);

/* Delete every entry of a hash map (batched): the number deleted, or -errno. */
long bench_map_clear(int fd);
/* Number of entries of a hash map (key walk). */
long bench_map_count(int fd);

/* The last verifier verdict libbpf reported ("" if none): why a load failed. */
const char *bench_verifier_error(void);

/* Subcommands. */
int bench_kern(const struct bench_opts *o, int argc, char **argv);
int bench_scan(const struct bench_opts *o, int argc, char **argv);
int bench_mem(const struct bench_opts *o, int argc, char **argv);
int bench_exec(const struct bench_opts *o, int argc, char **argv);
int bench_genpcap(const struct bench_opts *o, int argc, char **argv);
int bench_plugins(const struct bench_opts *o, int argc, char **argv);
int bench_encode(const struct bench_opts *o, int argc, char **argv);

#endif /* __FLOWMON_BENCH_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * fixture.h - load the real tc_flowmon_kern.o (unpinned, replay time) and
 * push pktgen packets through it with BPF_PROG_TEST_RUN.
 *
 *	BPF_TEST(name) {
 *		struct fx f;
 *
 *		REQUIRE(fx_open(&f, &(struct fx_cfg){ .max_flows = 64 }) == 0);
 *		RUN(&f, &p, .ts = T0);
 *		...
 *		fx_close(&f);
 *	}
 *
 * RUN() checks the return code (TC_ACT_UNSPEC) and that the packet came
 * back unchanged, and fails the test at the caller's line otherwise.
 */
#ifndef __FLOWMON_FIXTURE_H
#define __FLOWMON_FIXTURE_H

#include <stdbool.h>
#include <stdint.h>
#include <unistd.h>
#include "flowmon.h"
#include "flowrec.h"
#include "pktgen.h"
#include "testlib.h"

struct flowmon_bpf;

/* A test that needs root (BPF_PROG_TEST_RUN): "# SKIP not root" otherwise. */
#define BPF_TEST(name)                                                      \
	static void body_##name(void);                                      \
	TEST(name)                                                          \
	{                                                                   \
		if (geteuid() != 0)                                         \
			SKIP("not root");                                   \
		body_##name();                                              \
	}                                                                   \
	static void body_##name(void)

/*
 * The same packet cases at the XDP hook: BPF_TEST_XDP(name) registers the
 * body twice, as name (TC) and name_xdp, where fx_xdp is set: fx_open then
 * loads flowmon_xdp too, and every ingress run goes through it instead of
 * flowmon_ingress (egress runs stay on TC egress: XDP has no egress). The
 * replay time travels in 8 bytes of XDP metadata. A run with GSO or a
 * replayed wire length fails there: XDP never sees aggregates.
 */
extern bool fx_xdp;

#define BPF_TEST_XDP(name)                                                  \
	static void body_##name(void);                                      \
	TEST(name)                                                          \
	{                                                                   \
		if (geteuid() != 0)                                         \
			SKIP("not root");                                   \
		body_##name();                                              \
	}                                                                   \
	TEST(name##_xdp)                                                    \
	{                                                                   \
		if (geteuid() != 0)                                         \
			SKIP("not root");                                   \
		fx_xdp = true;                                              \
		body_##name();                                              \
		fx_xdp = false;                                             \
	}                                                                   \
	static void body_##name(void)

struct fx {
	struct flowmon_bpf *fm;
	int prog_xdp;		/* flowmon_xdp when fx_xdp, else -1 */
	int prog_in;
	int prog_eg;
	int flows_fd;
	int cnt_fd;
	int ev_fd;
	int ncpus;
	struct ring_buffer *rb;
};

struct fx_cfg {
	uint32_t max_flows;	/* 0: 1024 (small and fast to allocate) */
	uint64_t idle_ns;	/* 0: no idle split */
	uint64_t active_ns;	/* 0: no active split */
	bool live;		/* live clock knobs (default: replay, time = ctx tstamp) */
	bool precise_clock;	/* live: read the clock on every packet */
	bool features_set;	/* features below (default: all) */
	uint8_t features;
};

int fx_open(struct fx *f, const struct fx_cfg *cfg);
/* The object fx_open loads (the build tree's tc_flowmon_kern.o). */
const char *fx_obj_path(void);
void fx_close(struct fx *f);

struct fx_run {
	uint64_t ts;		/* skb->tstamp: the program's clock in replay mode */
	bool egress;		/* run flowmon_egress instead of flowmon_ingress */
	uint32_t ifindex;	/* 0: 1 (lo) */
	uint32_t gso_segs;
	uint32_t gso_size;
	uint32_t wire_len;	/* 0: the data length; a replayed capture's original length */
	uint32_t repeat;	/* 0/1: once */
};

/*
 * Run one packet; fails the test (at file:line) when the syscall fails, the
 * program returns anything but TC_ACT_UNSPEC, or the data came back changed.
 * Returns 0 or -1.
 */
int fx_run_at(struct fx *f, const struct pkt *p, const struct fx_run *r, const char *file,
	      int line);
#define RUN(f, p, ...) fx_run_at((f), (p), &(struct fx_run){ __VA_ARGS__ }, __FILE__, __LINE__)

/* The raw syscall result (for tests of what the kernel itself accepts). */
int fx_run_raw(struct fx *f, const void *data, size_t len, const struct fx_run *r,
	       uint32_t *retval);

/* Lookup, decoded as userland reads it: 0, or -ENOENT. */
int fx_lookup(struct fx *f, const struct flow_key *k, struct flow_side *out);
/* The entry as the kernel holds it. */
int fx_lookup_raw(struct fx *f, const struct flow_key *k, struct flow_metrics *out);
/*
 * The entry of k exists with these packets and bytes (fails the test at the
 * caller's line otherwise); its metrics are copied to *out when out != NULL.
 */
#define CHECK_FLOW(f, k, pkts, bytes, out)                                  \
	fx_check_flow((f), (k), (pkts), (bytes), (out), __FILE__, __LINE__)
int fx_check_flow(struct fx *f, const struct flow_key *k, uint64_t pkts, uint64_t bytes,
		  struct flow_side *out, const char *file, int line);
/* Printable key (static buffer). */
const char *fx_key_str(const struct flow_key *k);
/* Number of entries in flowmon_stats. */
int fx_count_flows(struct fx *f);
/* A flowmon_counters slot summed over all possible CPUs. */
uint64_t fx_counter(struct fx *f, int idx);
/* Every counter, summed over CPUs. */
void fx_counters(struct fx *f, uint64_t out[CNT_MAX]);

/*
 * Every flowmon_counters slot equals the expected one, given as designated
 * initializers (the others 0): CHECK_COUNTERS(&f, [CNT_ERR_L4] = 1).
 */
#define CHECK_COUNTERS(f, ...)                                              \
	do {                                                                \
		const uint64_t _exp[CNT_MAX] = { __VA_ARGS__ };             \
		fx_check_counters((f), _exp, __FILE__, __LINE__);           \
	} while (0)
void fx_check_counters(struct fx *f, const uint64_t exp[CNT_MAX], const char *file, int line);

/*
 * One direction of a record the kernel ended (a ring buffer record holds a
 * connection: both directions, a first, then b when present).
 */
struct fx_event {
	struct flow_key key;
	struct flow_metrics stats;
	uint8_t reason;
};

/* Consume every pending ring buffer record into ev[] (at most max halves); returns the number. */
int fx_events(struct fx *f, struct fx_event *ev, int max);
/* The TCP sequence tracker of an entry (kernel state, not in records). */
uint32_t fx_next_seq(struct fx *f, const struct flow_key *k);
uint32_t fx_hole_seq(struct fx *f, const struct flow_key *k);

/* Keys, filled by hand: zeroed, addresses in network order, ports in host order. */
void key_v4(struct flow_key *k, uint8_t proto, const char *s, const char *d, uint16_t sport,
	    uint16_t dport);
void key_v6(struct flow_key *k, uint8_t proto, const char *s, const char *d, uint16_t sport,
	    uint16_t dport);

/* Pin the calling thread to one CPU (0 or -errno); fx_unpin restores its old set. */
int fx_pin_cpu(int cpu);
void fx_unpin(void);
/* An existing interface other than lo (0 if none): the "other" ifindex. */
uint32_t fx_other_ifindex(char *name, size_t len);

/* Common packets: Ethernet, IP (TTL 64, TOS 0), L4, payload bytes; lengths fixed. */
void mk_v4_udp(struct pkt *p, const char *s, const char *d, uint16_t sport, uint16_t dport,
	       size_t payload);
void mk_v6_udp(struct pkt *p, const char *s, const char *d, uint16_t sport, uint16_t dport,
	       size_t payload);
void mk_v4_tcp(struct pkt *p, const char *s, const char *d, const struct tcp_opts *t,
	       size_t payload);
void mk_v6_tcp(struct pkt *p, const char *s, const char *d, const struct tcp_opts *t,
	       size_t payload);

#define T0		1700000000000000000ULL	/* 2023-11-14, ns since the epoch */
#define NSEC_PER_SEC	1000000000ULL
#define TC_ACT_UNSPEC_U	0xffffffffu	/* TC_ACT_UNSPEC (-1) as the test run's retval */
#define FX_XDP_PASS	2u		/* XDP_PASS */
#define FX_XDP_META	8		/* metadata bytes before an XDP frame: the replay time */

#endif /* __FLOWMON_FIXTURE_H */

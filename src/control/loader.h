/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * loader.h - load tc_flowmon_kern.o with libbpf, set its load-time knobs,
 * pin (or not) its maps, attach/detach it on the TC hooks.
 */
#ifndef __FLOWMON_LOADER_H
#define __FLOWMON_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowmon_bpf;

struct loader_opts {
	const char *obj_path;	/* NULL: search (next to the binary, then LIBDIR) */
	bool replay;		/* time from skb->tstamp (BPF_PROG_TEST_RUN) */
	uint32_t max_flows;	/* 0: FLOWMON_DEFAULT_MAX_FLOWS */
	uint64_t idle_ns;	/* kernel-side record split on idle (0: off) */
	uint64_t active_ns;	/* kernel-side record split on active timeout (0: off) */
	const char *pin_dir;	/* NULL: no pinning (replay, tests); else reuse/create pins */
	bool features_set;	/* features below, else FLOWMON_F_ALL */
	uint8_t features;	/* FLOWMON_F_*: the profile */
	bool precise_clock;	/* read the clock on every packet */
	bool sweep_only;	/* load only flowmon_sweep; pins reused, never created */
	int flows_fd;		/* > 0: use this flow table (a pinned one opened by path) */
};

/* Open, configure and load. Returns 0 or -errno; prints one error line. */
int loader_open(const struct loader_opts *o, struct flowmon_bpf **out);
void loader_close(struct flowmon_bpf *fm);

int loader_prog_fd(const struct flowmon_bpf *fm, bool ingress);
int loader_sweep_fd(const struct flowmon_bpf *fm);
int loader_flows_fd(const struct flowmon_bpf *fm);
int loader_counters_fd(const struct flowmon_bpf *fm);
int loader_events_fd(const struct flowmon_bpf *fm);

/* Find tc_flowmon_kern.o: argument, next to the executable, ../lib/flowmon, LIBDIR. */
int loader_find_obj(const char *hint, char *out, size_t len);

/*
 * TC attach with our own handle and priority, BPF_TC_F_REPLACE (so a
 * second attach replaces, never doubles). The clsact qdisc is created if
 * missing. Detach removes only our filter; the qdisc is removed only when
 * we created it (marker in the pin dir) and no filter is left on it.
 */
#define FLOWMON_TC_HANDLE	0x464d	/* "FM" */
#define FLOWMON_TC_PRIO		1
int loader_attach(struct flowmon_bpf *fm, int ifindex, bool ingress, bool *created_qdisc);
int loader_detach(int ifindex, bool ingress);
/* 1 if our filter is attached there (prog id in *prog_id), 0 if not, -errno on error. */
int loader_is_attached(int ifindex, bool ingress, uint32_t *prog_id);
/* Filters on a clsact hook (0 when none, or no qdisc), or -errno. */
int loader_count_filters(int ifindex, bool ingress);
/* Remove the clsact qdisc (only call it when we created it and it is empty). */
int loader_remove_qdisc(int ifindex);
/* Mount bpffs on /sys/fs/bpf if it is not, and create dir (mkdir -p). */
int loader_prepare_pin_dir(const char *dir);

#endif /* __FLOWMON_LOADER_H */

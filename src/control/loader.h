/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * loader.h - tc_flowmon_kern.o through its libbpf skeleton: open, set the
 * load-time knobs in skel->rodata, load, pin (or not) the maps. The object
 * is built into tc_flowmon_user (bpftool gen skeleton), so the tool never
 * loads an object that does not match it; --obj FILE loads a file instead,
 * refused unless it has the skeleton's programs, maps and knobs.
 */
#ifndef __FLOWMON_LOADER_H
#define __FLOWMON_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct flowmon_bpf;

struct loader_opts {
	const char *obj_path;	/* NULL: the object built into this binary */
	bool replay;		/* time from skb->tstamp (BPF_PROG_TEST_RUN) */
	uint32_t max_flows;	/* 0: FLOWMON_DEFAULT_MAX_FLOWS (a pinned table keeps its own) */
	uint64_t idle_ns;	/* kernel-side record split on idle (0: off) */
	uint64_t active_ns;	/* kernel-side record split on active timeout (0: off) */
	const char *pin_dir;	/* NULL: no pinning (replay, tests); else reuse/create pins */
	const char *table_name;	/* pin name of the table (NULL: flowmon_stats), pinname.h */
	/*
	 * Programs to load besides flowmon_ingress/flowmon_egress (NULL-
	 * terminated names, NULL: none). Every other program of the object
	 * keeps autoload off, so a new program never breaks a command that
	 * does not use it.
	 */
	const char *const *progs;
	bool features_set;	/* features below, else FLOWMON_F_ALL */
	uint8_t features;	/* FLOWMON_F_*: the metering profile */
	bool precise_clock;	/* read the clock on every packet */
	/*
	 * A reader of a table loaded elsewhere: only flowmon_sweep loads (list
	 * it in progs), over the table flows_fd (> 0); its other maps come from
	 * pins that exist in pin_dir, none is created.
	 */
	bool sweep_only;
	int flows_fd;
	bool ingress_only;	/* flowmon_egress stays unloaded (replay runs ingress) */
};

/* Open, configure and load. Returns 0 or -errno; logs one error line. */
int loader_open(const struct loader_opts *o, struct flowmon_bpf **out);
void loader_close(struct flowmon_bpf *fm);

int loader_prog_fd(const struct flowmon_bpf *fm, bool ingress);
int loader_flows_fd(const struct flowmon_bpf *fm);
int loader_counters_fd(const struct flowmon_bpf *fm);
int loader_events_fd(const struct flowmon_bpf *fm);
int loader_frags_fd(const struct flowmon_bpf *fm);
/* flowmon_xdp, -1 when it was not loaded (loader_opts.progs). */
int loader_xdp_fd(const struct flowmon_bpf *fm);
/* flowmon_sweep, -1 when it was not loaded (loader_opts.progs). */
int loader_sweep_fd(const struct flowmon_bpf *fm);
/* The bpf_object, for what the accessors above do not cover (NULL-safe). */
struct bpf_object *loader_object(const struct flowmon_bpf *fm);

/*
 * Names of the maps the object pins (LIBBPF_PIN_BY_NAME), from the
 * skeleton (opened, never loaded: no privileges needed). Writes up to max
 * names, returns how many there are, or -errno.
 */
#define LOADER_NAME_LEN 64
int loader_pinned_maps(char (*names)[LOADER_NAME_LEN], int max);

/* Mount bpffs on /sys/fs/bpf if it is not, and create dir (mkdir -p). */
int loader_prepare_pin_dir(const char *dir);

#endif /* __FLOWMON_LOADER_H */

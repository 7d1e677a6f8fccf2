/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * bcc.bpf.h - the BCC build profile of tc_flowmon_kern.c (FM_BCC), for
 * tc_flowmon.py and BCC 0.26 (Debian 12's python3-bpfcc). It stands in for
 * vmlinux.h, libbpf's headers, config.bpf.h and maps.bpf.h; the datapath
 * (src/datapath) is the same source. What differs, and why (docs/BCC.md):
 *  - maps: BCC 0.26 has no BTF-defined maps, and rewrites its own table
 *    syntax only in the main file, not in these headers. The front end
 *    creates the maps (same types, key and value sizes, max_entries and pin
 *    names as maps.bpf.h) and passes their fds as FM_FD_<name>: the
 *    datapath's helpers take them through bpf_pseudo_fd, as BCC's own
 *    table calls compile;
 *  - no callbacks (bpf_loop, timer callbacks, bpf_for_each_map_elem compile
 *    as address 0): a bounded spin for the owner lock (platform.h), the
 *    clock read per packet (clock.h), no sweeper program (tc_flowmon_user
 *    loads its own over the pinned table, as for an iproute2 load);
 *  - no BPF-to-BPF calls (BCC loads one function per program): the global
 *    functions are inlined (FM_GLOBAL, platform.h), and the TC path is
 *    split in three programs by tail calls (tc_flowmon_kern.c) so that
 *    each stays within what the verifier walks; two more maps for that,
 *    flowmon_bcc_progs and flowmon_bcc_meta, not pinned;
 *  - no kfuncs: whether the device has a MAC header comes from its type
 *    (FM_BCC_HAS_L2, set by the front end from /sys/class/net/IF/type);
 *  - no global data: the knobs are compile-time constants (FM_BCC_*);
 *  - no plugin hook (plugins are loaded into a meter tc_flowmon_user loaded),
 *    no XDP program (the front end attaches to TC).
 * BCC's own prelude has already included the kernel's uapi linux/bpf.h
 * and its helper declarations.
 */
#ifndef __FLOWMON_BCC_BPF_H
#define __FLOWMON_BCC_BPF_H

#include "flowmon.h"
#define FLOWMON_METER	/* plugin.h: the structures, not the plugins' side */
#include "flowmon/plugin.h"
#include "types.h"

#if !defined(FM_FD_flowmon_stats) || !defined(FM_FD_flowmon_counters) ||	\
	!defined(FM_FD_flowmon_events) || !defined(FM_FD_flowmon_frags) ||	\
	!defined(FM_FD_flowmon_scratch) || !defined(FM_FD_flowmon_fullmiss) ||	\
	!defined(FM_FD_flowmon_bcc_meta) || !defined(FM_FD_flowmon_bcc_progs) ||	\
	!defined(FM_BCC_META_BYTES) || !defined(FM_BCC_HAS_L2)
#error "the BCC profile needs the maps' fds and FM_BCC_HAS_L2 (tc_flowmon.py passes them)"
#endif

/*
 * BCC loads only functions of its main file (tc_flowmon.py's text), each
 * from a section of its own name: there, small entry points call these.
 * So in this profile SEC() makes the programs of tc_flowmon_kern.c inline
 * functions (the license section is BCC's own, from BPF_LICENSE).
 */
#define SEC(name)	static __always_inline

#define TC_ACT_UNSPEC	(-1)	/* "continue": later filters on the hook still run */
#define XDP_PASS	2

/* libbpf's bpf_endian.h: packet fields are big endian, the target little */
#define bpf_ntohs(x)	__builtin_bswap16(x)
#define bpf_ntohl(x)	__builtin_bswap32(x)
#define bpf_htons(x)	__builtin_bswap16(x)

#ifndef FM_BCC_IDLE_SEC
#define FM_BCC_IDLE_SEC		FLOWMON_DEFAULT_IDLE_SEC
#endif
#ifndef FM_BCC_ACTIVE_SEC
#define FM_BCC_ACTIVE_SEC	FLOWMON_DEFAULT_ACTIVE_SEC
#endif
#ifndef FM_BCC_FEATURES
#define FM_BCC_FEATURES		FLOWMON_F_ALL
#endif

/* Static const: clang folds every read, as the verifier does for libbpf's .rodata. */
static const struct flowmon_config flowmon_cfg = {
	.idle_timeout_ns = FM_BCC_IDLE_SEC * 1000000000ULL,
	.active_timeout_ns = FM_BCC_ACTIVE_SEC * 1000000000ULL,
	.replay_mode = 0,
	.features = FM_BCC_FEATURES,
	.precise_clock = 1,
	.table_features = FLOWMON_F_ALL,	/* tc_flowmon.py's map: the whole struct */
};

#define FM_CFG flowmon_cfg
#define FLOWMON_NO_PLUGIN_HOOK
#define plugins_run(ctx, progs, m, fast)	do { } while (0)

/* A map by the fd the front end created it with (BCC's own table calls compile so). */
#define FM_MAP(name)	((void *)bpf_pseudo_fd(1, FM_FD_##name))

/* BCC declares the tail call with the map as a u64 fd */
#define bpf_tail_call(ctx, map, index)	bpf_tail_call_((__u64)(map), ctx, index)

#endif /* __FLOWMON_BCC_BPF_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* config.bpf.h - load-time knobs and the constants vmlinux.h lacks (macros). */
#ifndef __FLOWMON_CONFIG_BPF_H
#define __FLOWMON_CONFIG_BPF_H

#define TC_ACT_UNSPEC	(-1)	/* "continue": later filters on the hook still run */

/*
 * Load-time knobs (struct flowmon_config): set by the loader between open
 * and load, frozen after, so the verifier removes the features turned off.
 * iproute2 loads get these defaults.
 */
const volatile struct flowmon_config flowmon_cfg = {
	.idle_timeout_ns = FLOWMON_DEFAULT_IDLE_SEC * 1000000000ULL,
	.active_timeout_ns = FLOWMON_DEFAULT_ACTIVE_SEC * 1000000000ULL,
	.replay_mode = 0,
	.features = FLOWMON_F_ALL,
	.precise_clock = 0,
	.table_features = FLOWMON_F_ALL,	/* the map's value: the whole struct */
};

#define FM_CFG flowmon_cfg

#endif /* __FLOWMON_CONFIG_BPF_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * mapwalk.h - the two reads of a BPF map that several commands make: how
 * many keys a hash map holds now, and the per-CPU u64 counters of an
 * array summed over the CPUs.
 */
#ifndef __FLOWMON_MAPWALK_H
#define __FLOWMON_MAPWALK_H

#include <stdint.h>

/*
 * Keys in the map of fd, walked with BPF_MAP_GET_NEXT_KEY (a table that
 * changes meanwhile gives an estimate); stops at max. -errno on failure.
 */
long map_count_keys(int fd, long max);

/* out[i] = the sum over CPUs of index i of the per-CPU u64 array fd, i < n. 0 or -errno. */
int map_sum_percpu(int fd, uint32_t n, uint64_t *out);

#endif /* __FLOWMON_MAPWALK_H */

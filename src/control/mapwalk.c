// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* mapwalk.c - counting a hash map's keys; summing a per-CPU counter array. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "mapwalk.h"

#define MAPWALK_KEY_MAX 256	/* our largest key is a plugin's record key */

long map_count_keys(int fd, long max)
{
	unsigned char k[2][MAPWALK_KEY_MAX];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	long n = 0;
	int cur = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -errno;
	if (info.key_size > MAPWALK_KEY_MAX)
		return -E2BIG;
	if (bpf_map_get_next_key(fd, NULL, k[cur]))
		return errno == ENOENT ? 0 : -errno;
	do {
		n++;
		cur ^= 1;
	} while (n < max && !bpf_map_get_next_key(fd, k[cur ^ 1], k[cur]));
	return n;
}

int map_sum_percpu(int fd, uint32_t n, uint64_t *out)
{
	int ncpu = libbpf_num_possible_cpus(), cpu;
	__u64 *vals;
	__u32 i;

	memset(out, 0, sizeof(*out) * n);
	if (ncpu <= 0)
		return ncpu ? ncpu : -EINVAL;
	vals = calloc(ncpu, sizeof(*vals));
	if (!vals)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		if (bpf_map_lookup_elem(fd, &i, vals))
			continue;	/* an index the map does not have: 0 */
		for (cpu = 0; cpu < ncpu; cpu++)
			out[i] += vals[cpu];
	}
	free(vals);
	return 0;
}

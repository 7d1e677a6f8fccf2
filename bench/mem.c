// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* mem.c - kernel memory (fdinfo memlock) of the flow table at two capacities. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "flowmon.h"
#include "loader.h"
#include "bench.h"

#define MEM_MAX_MAPS 16

static const char *map_type(__u32 t)
{
	switch (t) {
	case BPF_MAP_TYPE_HASH: return "hash";
	case BPF_MAP_TYPE_LRU_HASH: return "lru_hash";
	case BPF_MAP_TYPE_ARRAY: return "array";
	case BPF_MAP_TYPE_PERCPU_ARRAY: return "percpu_array";
	case BPF_MAP_TYPE_RINGBUF: return "ringbuf";
	default: return "other";
	}
}

/* One line for the map with this fd (none if out is NULL); returns its memlock in bytes. */
static long long map_line(FILE *out, int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	long long ml = bench_fd_memlock(fd);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return 0;
	if (!out)
		return ml;
	fprintf(out, "  %-18s %-12s %9u %4u+%-4u %10.2f", info.name, map_type(info.type),
		info.max_entries, info.key_size, info.value_size, ml / 1048576.0);
	if (info.type == BPF_MAP_TYPE_HASH || info.type == BPF_MAP_TYPE_LRU_HASH)
		fprintf(out, " %9.1f", (double)ml / info.max_entries);
	fprintf(out, "\n");
	return ml;
}

/* Every map the program uses, then the two programs (lines to out, if any); the total. */
static long long object_lines(FILE *out, struct flowmon_bpf *fm)
{
	struct bpf_prog_info info = {};
	__u32 ids[MEM_MAX_MAPS], len = sizeof(info), i;
	long long total = 0, prog;
	int fd;

	info.nr_map_ids = MEM_MAX_MAPS;
	info.map_ids = (__u64)(unsigned long)ids;
	if (bpf_obj_get_info_by_fd(loader_prog_fd(fm, true), &info, &len))
		return 0;
	for (i = 0; i < info.nr_map_ids && i < MEM_MAX_MAPS; i++) {
		fd = bpf_map_get_fd_by_id(ids[i]);
		if (fd < 0)
			continue;
		total += map_line(out, fd);
		close(fd);
	}
	prog = bench_fd_memlock(loader_prog_fd(fm, true)) +
	       bench_fd_memlock(loader_prog_fd(fm, false));
	if (out)
		fprintf(out, "  %-18s %-12s %9s %9s %10.2f\n", "2 programs", "", "", "",
			prog / 1048576.0);
	return total + prog;
}

static int mem_ours(const char *obj, uint32_t max)
{
	struct loader_opts lo = { .obj_path = obj, .max_flows = max };	/* live knobs */
	struct flowmon_bpf *fm;
	long long total;

	if (loader_open(&lo, &fm))
		return -EINVAL;
	printf("tc_flowmon_kern.o, max_flows %u:\n", max);
	total = object_lines(stdout, fm);
	printf("  %-18s %-12s %9s %9s %10.2f\n", "total", "", "", "", total / 1048576.0);
	loader_close(fm);
	return 0;
}

static int mem_floor(const char *path, uint32_t max)
{
	struct bpf_object *obj;
	int err = bench_open_floor(path, max, &obj);

	if (!err) {
		printf("floor.bpf.o, same capacity:\n");
		map_line(stdout, bpf_map__fd(bpf_object__find_map_by_name(obj, "floor_flows")));
	}
	bpf_object__close(obj);
	return err;
}

/* Each --features profile at 1M entries: the table's entries follow it (flowmon.h). */
static int mem_profiles(const char *obj)
{
	static const struct {
		const char *name;
		uint8_t f;
	} profs[] = { { "none", 0 }, { "tcp", FLOWMON_F_TCP },
		      { "tcp,l2", FLOWMON_F_TCP | FLOWMON_F_L2 },
		      { "tcp,l2,iat", FLOWMON_F_TCP | FLOWMON_F_L2 | FLOWMON_F_IAT },
		      { "all (default)", FLOWMON_F_ALL } };
	const uint32_t max = 1u << 20;
	struct flowmon_bpf *fm;
	size_t i;

	printf("by --features profile, max_flows %u:\n  %-18s %6s %12s\n", max, "profile",
	       "entry", "kernel B/flow");
	for (i = 0; i < sizeof(profs) / sizeof(profs[0]); i++) {
		struct loader_opts lo = { .obj_path = obj, .max_flows = max,
					  .features_set = true, .features = profs[i].f };

		if (loader_open(&lo, &fm))
			return -EINVAL;
		printf("  %-18s %4u B %12.1f\n", profs[i].name,
		       (unsigned int)FLOWMON_ENTRY_SIZE(profs[i].f),
		       (double)object_lines(NULL, fm) / max);
		loader_close(fm);
	}
	return 0;
}

int bench_mem(const struct bench_opts *o, int argc, char **argv)
{
	static const uint32_t caps[] = { FLOWMON_DEFAULT_MAX_FLOWS, 1u << 20 };
	size_t i;
	int err = 0;

	printf("memory: kernel memlock from /proc/self/fdinfo (hash tables are preallocated)\n");
	printf("  %-18s %-12s %9s %9s %10s %9s\n", "map", "type", "entries", "key+val",
	       "memlock MiB", "B/entry");
	for (i = 0; i < sizeof(caps) / sizeof(caps[0]) && !err; i++) {
		err = mem_ours(o->obj, caps[i]);
		if (!err)
			err = mem_floor(o->floor, caps[i]);
	}
	if (!err)
		err = mem_profiles(o->obj);
	return err ? 1 : 0;
}

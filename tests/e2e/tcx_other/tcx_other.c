// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * tcx_other.c - another party's programs on a tcx hook, for test_tcx.sh:
 * "tcx_other OBJ DEV ingress|egress READY OUT" attaches other_a, then
 * other_b after it (appended: BPF_TCX_* with no flags), writes READY,
 * and on SIGTERM writes "A B" (the UDP datagrams to port 7777 each one
 * counted) to OUT and exits; its links go with it. It uses the kernel's
 * values itself (BPF_TCX_INGRESS 46, BPF_TCX_EGRESS 47): nothing of
 * tc_flowmon_user.
 */
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	stop = 1;
}

static int attach(struct bpf_object *obj, const char *name, int ifindex, int type)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, name);
	int fd = p ? bpf_link_create(bpf_program__fd(p), ifindex, type, NULL) : -ENOENT;

	if (fd < 0)
		fprintf(stderr, "failed to attach %s: %s\n", name, strerror(errno));
	return fd;
}

int main(int argc, char **argv)
{
	struct bpf_object *obj;
	__u64 a = 0, b = 0;
	__u32 k0 = 0, k1 = 1;
	int ifindex, type, map, la, lb, i;
	FILE *f;

	if (argc != 6) {
		fprintf(stderr, "usage: %s OBJ DEV ingress|egress READY OUT\n", argv[0]);
		return 2;
	}
	ifindex = if_nametoindex(argv[2]);
	type = !strcmp(argv[3], "ingress") ? 46 : 47;
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj || bpf_object__load(obj)) {
		fprintf(stderr, "failed to load %s\n", argv[1]);
		return 1;
	}
	la = attach(obj, "other_a", ifindex, type);
	lb = attach(obj, "other_b", ifindex, type);
	if (la < 0 || lb < 0)
		return 1;
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	f = fopen(argv[4], "w");
	if (f)
		fclose(f);
	for (i = 0; i < 6000 && !stop; i++)	/* at most 10 minutes */
		usleep(100000);
	map = bpf_object__find_map_fd_by_name(obj, "other_counts");
	bpf_map_lookup_elem(map, &k0, &a);
	bpf_map_lookup_elem(map, &k1, &b);
	f = fopen(argv[5], "w");
	if (!f)
		return 1;
	fprintf(f, "%llu %llu\n", (unsigned long long)a, (unsigned long long)b);
	fclose(f);
	bpf_object__close(obj);
	return 0;
}

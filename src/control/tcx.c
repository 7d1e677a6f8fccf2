// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* tcx.c - attach, list and detach our tcx links (kernel 6.6+). */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/syscall.h>
#include <bpf/bpf.h>
#include "bpfcompat.h"
#include "links.h"
#include "tcx.h"

static __u32 attach_type(bool ingress)
{
	return ingress ? FM_BPF_TCX_INGRESS : FM_BPF_TCX_EGRESS;
}

/* BPF_PROG_QUERY with the 6.6 fields libbpf 1.1 does not pass (link ids). */
static int query(int ifindex, bool ingress, uint32_t *prog_ids, uint32_t *link_ids,
		 uint32_t *count)
{
	union {
		struct fm_prog_query_attr q;
		union bpf_attr pad;
	} attr;

	memset(&attr, 0, sizeof(attr));
	attr.q.target_ifindex = ifindex;
	attr.q.attach_type = attach_type(ingress);
	attr.q.prog_ids = (__u64)(unsigned long)prog_ids;
	attr.q.link_ids = (__u64)(unsigned long)link_ids;
	attr.q.count = *count;
	if (syscall(__NR_bpf, BPF_PROG_QUERY, &attr, sizeof(attr)) < 0)
		return -errno;
	*count = attr.q.count;
	return 0;
}

bool tcx_supported(void)
{
	static int known = -1;
	uint32_t count = 0;

	if (known < 0)
		known = query(1, true, NULL, NULL, &count) == 0;
	return known;
}

int tcx_attach(int prog_fd, int ifindex, bool ingress)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = BPF_F_BEFORE);
	int fd = bpf_link_create(prog_fd, ifindex, attach_type(ingress), &opts);

	return fd < 0 ? -errno : fd;
}

int tcx_list(int ifindex, bool ingress, uint32_t *prog_ids, uint32_t *link_ids, int max)
{
	uint32_t count = max;
	int err = query(ifindex, ingress, prog_ids, link_ids, &count);

	if (err)
		return err;
	return count < (uint32_t)max ? (int)count : max;
}

int tcx_find_ours(int ifindex, bool ingress, uint32_t *prog_id, uint32_t *link_id)
{
	uint32_t progs[TCX_MAX_PROGS], links[TCX_MAX_PROGS];
	int i, n = tcx_list(ifindex, ingress, progs, links, TCX_MAX_PROGS);

	if (n == -EINVAL || n == -ENODEV)
		return 0;	/* no tcx in this kernel, or no such device */
	for (i = 0; i < n; i++) {
		if (!links[i] || !links_prog_is_ours(progs[i]))
			continue;
		if (prog_id)
			*prog_id = progs[i];
		if (link_id)
			*link_id = links[i];
		return 1;
	}
	return n < 0 ? n : 0;
}

int tcx_detach_ours(int ifindex, bool ingress)
{
	uint32_t link_id;
	int i, n = 0, err;

	/* bounded: one of ours at a time, at most a hook's worth */
	for (i = 0; i < TCX_MAX_PROGS; i++) {
		err = tcx_find_ours(ifindex, ingress, NULL, &link_id);
		if (err <= 0)
			return err < 0 ? err : n;
		err = links_detach_id(link_id);
		if (err)
			return err;
		n++;
	}
	return n;
}

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * bpfcompat.h - what Debian 12's libbpf 1.1.2 and its 6.1 UAPI headers lack
 * for tcx links (kernel 6.6+), in one place, with the kernel's values
 * (include/uapi/linux/bpf.h). A newer header that has them wins: every
 * definition is guarded or carries a name of its own.
 */
#ifndef __FLOWMON_BPFCOMPAT_H
#define __FLOWMON_BPFCOMPAT_H

#include <linux/bpf.h>
#include <linux/types.h>

/* enum bpf_attach_type (6.6) */
#define FM_BPF_TCX_INGRESS	46
#define FM_BPF_TCX_EGRESS	47

/* enum bpf_link_type (6.6) */
#define FM_BPF_LINK_TYPE_TCX	11

/* BPF_LINK_CREATE / BPF_PROG_ATTACH flags of multi-program hooks (6.6) */
#ifndef BPF_F_BEFORE
#define BPF_F_BEFORE		(1U << 3)
#endif
#ifndef BPF_F_AFTER
#define BPF_F_AFTER		(1U << 4)
#endif

/* The BPF_PROG_QUERY attribute as 6.6 has it: the link ids of a tcx hook, in order. */
struct fm_prog_query_attr {
	__u32 target_ifindex;
	__u32 attach_type;
	__u32 query_flags;
	__u32 attach_flags;
	__aligned_u64 prog_ids;
	__u32 count;
	__u32 pad;
	__aligned_u64 prog_attach_flags;
	__aligned_u64 link_ids;
	__aligned_u64 link_attach_flags;
	__u64 revision;
};

/* struct bpf_link_info up to its tcx/xdp member (the union starts at byte 16). */
struct fm_link_info {
	__u32 type;
	__u32 id;
	__u32 prog_id;
	__u32 pad;
	__u32 ifindex;		/* tcx.ifindex, xdp.ifindex; 0 once detached */
	__u32 attach_type;	/* tcx.attach_type */
	__u8 rest[64];		/* the rest of the union, unread */
};

#endif /* __FLOWMON_BPFCOMPAT_H */

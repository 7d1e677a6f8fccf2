/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * tchook.h - our filter on the TC (clsact) hooks, through libbpf's TC API.
 *
 * Our filter is the one with handle FLOWMON_TC_HANDLE and priority
 * FLOWMON_TC_PRIO on a hook that runs one of our programs (by name,
 * links_name_is_ours()): one per hook, a second attach replaces it
 * (BPF_TC_F_REPLACE), never doubles it. Anybody else's filter in that slot
 * (another BPF program, a classic BPF or any other classifier) is never
 * replaced or removed: attaching or detaching there fails with -EEXIST.
 * A classifier of another kind at our priority (any handle) takes the whole
 * priority from bpf filters: attaching fails with -EEXIST, detaching finds
 * nothing of ours. The kernel is the only record of
 * where it is attached: no state file. The clsact qdisc is created when
 * missing; it is removed only when no filter at all is left on it, ours or
 * anybody's (an empty clsact qdisc does nothing), so another user's filters
 * never lose their qdisc.
 */
#ifndef __FLOWMON_TCHOOK_H
#define __FLOWMON_TCHOOK_H

#include <stdbool.h>
#include <stdint.h>

#define FLOWMON_TC_HANDLE	0x464d	/* "FM" */
#define FLOWMON_TC_PRIO		1

enum tchook_slot_state {
	TCHOOK_FREE = 0,	/* nothing at our priority and handle */
	TCHOOK_OURS = 1,	/* our program */
	TCHOOK_FOREIGN = 2,	/* somebody else's filter */
};

/* What holds the slot. */
struct tchook_holder {
	char kind[16];		/* "bpf", "u32", "matchall", ... */
	char prog_name[16];	/* a BPF program's name, "" for classic BPF */
	uint32_t prog_id;	/* 0 for classic BPF and other classifiers */
	uint32_t handle;	/* ours, or another at our priority (another kind takes it all) */
	bool name_unknown;	/* no CAP_SYS_ADMIN to read prog_name: handle alone decides */
};

/* Who holds our slot on a hook (holder filled, may be NULL): TCHOOK_*, or -errno. */
int tchook_slot(int ifindex, bool ingress, struct tchook_holder *holder);
/* "a bpf filter of BPF program 'x' (id 42)", "a u32 filter": for messages. */
void tchook_describe(const struct tchook_holder *h, char *out, size_t len);
/*
 * Attach prog_fd; *created_qdisc tells whether the clsact qdisc was made
 * here. 0, -EEXIST when another filter holds the slot (holder says what), or
 * -errno.
 */
int tchook_attach(int prog_fd, int ifindex, bool ingress, bool *created_qdisc,
		  struct tchook_holder *holder);
/* Remove our filter (0 also when it was not there), -EEXIST if another holds the slot. */
int tchook_detach(int ifindex, bool ingress, struct tchook_holder *holder);
/* 1 if our filter is attached there (prog id in *prog_id), 0 if not, -errno on error. */
int tchook_query(int ifindex, bool ingress, uint32_t *prog_id);
/* Filters on a clsact hook (0 when none, or no qdisc), or -errno. */
int tchook_count_filters(int ifindex, bool ingress);
/* Remove the clsact qdisc if no filter is left on either hook: 1 removed, 0 kept, -errno. */
int tchook_release_qdisc(int ifindex);

#endif /* __FLOWMON_TCHOOK_H */

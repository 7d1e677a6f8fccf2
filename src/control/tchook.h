/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * tchook.h - our filter on the TC (clsact) hooks, through libbpf's TC API.
 *
 * Our filter is the one with handle FLOWMON_TC_HANDLE and priority
 * FLOWMON_TC_PRIO on a hook: one per hook, a second attach replaces it
 * (BPF_TC_F_REPLACE), never doubles it. The kernel is the only record of
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

/* Attach prog_fd; *created_qdisc tells whether the clsact qdisc was made here. 0 or -errno. */
int tchook_attach(int prog_fd, int ifindex, bool ingress, bool *created_qdisc);
/* Remove our filter (0 also when it was not there), or -errno. */
int tchook_detach(int ifindex, bool ingress);
/* 1 if our filter is attached there (prog id in *prog_id), 0 if not, -errno on error. */
int tchook_query(int ifindex, bool ingress, uint32_t *prog_id);
/* Filters on a clsact hook (0 when none, or no qdisc), or -errno. */
int tchook_count_filters(int ifindex, bool ingress);
/* Remove the clsact qdisc if no filter is left on either hook: 1 removed, 0 kept, -errno. */
int tchook_release_qdisc(int ifindex);

#endif /* __FLOWMON_TCHOOK_H */

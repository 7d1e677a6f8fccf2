/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * tcx.h - our programs on the TC hooks as tcx links (kernel 6.6+): several
 * programs per hook in an order the kernel keeps, each attachment a BPF
 * link (bpf_link_create with BPF_TCX_INGRESS/EGRESS, bpfcompat.h). Ours is
 * put first on its hook (BPF_F_BEFORE, no anchor), as priority 1 is on
 * clsact, so no program before it can hide a packet from it; the programs
 * already there keep their order and go on running after it (it returns
 * TCX_NEXT). Ours are recognised by program name (links.h). The kernel is
 * the record: nothing is written down but the pins of a load.
 */
#ifndef __FLOWMON_TCX_H
#define __FLOWMON_TCX_H

#include <stdbool.h>
#include <stdint.h>

#define TCX_MAX_PROGS 64

/* The kernel has tcx (a query of lo's tcx ingress is understood). */
bool tcx_supported(void);
/* Attach prog_fd first on the hook: the link's fd, or -errno. */
int tcx_attach(int prog_fd, int ifindex, bool ingress);
/* Program and link ids on a tcx hook, in run order: how many, or -errno. */
int tcx_list(int ifindex, bool ingress, uint32_t *prog_ids, uint32_t *link_ids, int max);
/* 1 if one of ours is there (ids in *prog_id, *link_id; NULL-safe), 0 if not, -errno. */
int tcx_find_ours(int ifindex, bool ingress, uint32_t *prog_id, uint32_t *link_id);
/* Detach every link of ours on the hook: how many, or -errno. */
int tcx_detach_ours(int ifindex, bool ingress);

#endif /* __FLOWMON_TCX_H */

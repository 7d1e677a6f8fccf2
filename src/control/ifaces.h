/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * ifaces.h - our filter on lists of interfaces: attach on every one or on
 * none, detach, and find where it is attached. The kernel is the record:
 * nothing is written down (see tchook.h for the clsact qdisc rule).
 */
#ifndef __FLOWMON_IFACES_H
#define __FLOWMON_IFACES_H

#include <stdbool.h>
#include <stdint.h>

#define IFACES_MAX 256

/* enum flowmon_hooks bits (opts.h): 1 ingress, 2 egress */
#define IFACES_INGRESS 1
#define IFACES_EGRESS 2

struct iface_list {
	int n;
	int index[IFACES_MAX];
	char name[IFACES_MAX][16];
	bool attached[IFACES_MAX][2];	/* [ingress, egress]: our filter is there */
	uint32_t prog_id[IFACES_MAX][2];	/* its program (ifaces_attached) */
	bool created[IFACES_MAX];	/* clsact qdisc created by this process */
};

/*
 * "eth0,veth0@if5,lo" -> indexes. Every name is checked before anything is
 * attached: an unknown one is a one-line error naming it (-ENODEV).
 */
int ifaces_parse(const char *list, struct iface_list *out);
/* Every interface where our filter is on a hook (from the kernel). 0 or -errno. */
int ifaces_attached(struct iface_list *out);
/* -EBUSY (one line) when our filter already is on one of these hooks. */
int ifaces_check_free(const struct iface_list *l, int hooks);
/* Attach on every interface and hook of hooks, or on none (rolled back). 0 or -errno. */
int ifaces_attach(int prog_in, int prog_eg, struct iface_list *l, int hooks);
/*
 * Remove our filter from the hooks of every interface, then each clsact
 * qdisc left without any filter (only_created: only the ones this process
 * made). Returns the number of failures, 0 when all went.
 */
int ifaces_detach(struct iface_list *l, int hooks, bool only_created);

#endif /* __FLOWMON_IFACES_H */

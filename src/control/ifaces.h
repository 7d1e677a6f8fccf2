/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/* ifaces.h - attach/detach on interface lists; the self-contained -I run. */
#ifndef __FLOWMON_IFACES_H
#define __FLOWMON_IFACES_H

#include <stdbool.h>
#include "opts.h"

#define IFACES_MAX 256
#define FLOWMON_RUN_DIR "/run/bpfflowmon"

struct iface_list {
	int n;
	int index[IFACES_MAX];
	char name[IFACES_MAX][16];
	bool attached[IFACES_MAX][2];	/* [ingress, egress] attached by this run */
	bool created[IFACES_MAX];	/* clsact qdisc created by this run */
};

/*
 * "eth0,veth0@if5,lo" -> indexes. Every name is checked before anything is
 * attached: an unknown one is a one-line error naming it (-ENODEV).
 */
int ifaces_parse(const char *list, struct iface_list *out);

/* The maps and the sweeper of a loaded (or adopted) table. */
struct table_fds {
	int flows;
	int counters;	/* -1 when absent */
	int events;	/* -1 when absent */
	int sweep;	/* flowmon_sweep, -1 when not loaded */
};

typedef int (*collect_fn)(const struct flowmon_opts *o, const struct table_fds *t);

/* Load unpinned, attach on -I, collect until a signal, detach: leaves nothing behind. */
int ifaces_run(const struct flowmon_opts *o, collect_fn collect);

#endif /* __FLOWMON_IFACES_H */

/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * ifaces.h - our programs on lists of interfaces: attach on every one or on
 * none, detach, and find where they are attached. The TC hooks take a tcx
 * link where the kernel has tcx (tcx.h), else our clsact filter (tchook.h,
 * for the clsact qdisc rule); ingress may be the XDP hook instead
 * (xdphook.h). The kernel is the record: nothing is written down but the
 * pins of a load's links (links.h).
 */
#ifndef __FLOWMON_IFACES_H
#define __FLOWMON_IFACES_H

#include <stdbool.h>
#include <stdint.h>

#define IFACES_MAX 256


/* How a TC hook is attached (iface_list.mech, ifaces_cfg.mech). */
enum tc_mech {
	TC_MECH_AUTO = 0,	/* tcx where the kernel has it, else clsact */
	TC_MECH_CLSACT,		/* our filter on the clsact qdisc (netlink, iproute2's way) */
	TC_MECH_TCX,		/* a tcx link (kernel 6.6+) */
};

const char *ifaces_mech_str(int mech);
/* A hook's name as users see it and as its link is pinned: slot 0 ingress, 1 egress, 2 xdp. */
const char *ifaces_hook_name(int slot);
/* The TC hooks of a HOOK_* mask: "ingress", "egress" or "ingress, egress". */
const char *ifaces_hooks_str(int hooks);

struct iface_list {
	int n;
	int index[IFACES_MAX];
	char name[IFACES_MAX][16];
	bool attached[IFACES_MAX][2];	/* [ingress, egress]: our filter or link is there */
	uint32_t prog_id[IFACES_MAX][2];	/* its program (ifaces_attached) */
	uint8_t mech[IFACES_MAX][2];	/* enum tc_mech of each attached TC hook */
	bool created[IFACES_MAX];	/* clsact qdisc created by this process */
	bool xdp[IFACES_MAX];		/* ours on the XDP hook */
	uint8_t xdp_mode[IFACES_MAX];	/* enum xdp_mode used there */
	uint32_t xdp_prog_id[IFACES_MAX];
	int link_fd[IFACES_MAX][3];	/* links this process holds [ingress, egress, xdp], 0: none */
	bool only_marked;	/* ifaces_keep_table: detach only the hooks marked attached */
};

/*
 * The programs of one table (one instance): those that use the map id, or
 * with id 0 the orphans, which use none of the tables in others[] (the
 * default table is not pinned: its programs may be left without it).
 */
#define TABLE_SEL_MAX	64
struct table_sel {
	uint32_t id;
	uint32_t others[TABLE_SEL_MAX];
	int n_others;
};

/* What to attach, and how (ifaces_attach_cfg). */
struct ifaces_cfg {
	int prog_in, prog_eg;	/* the TC programs */
	int prog_xdp;		/* flowmon_xdp, when xdp */
	int hooks;		/* HOOK_INGRESS | HOOK_EGRESS (opts.h) */
	bool xdp;		/* ingress at the XDP hook instead of TC */
	int xdp_mode;		/* enum xdp_mode */
	int mech;		/* enum tc_mech */
	const char *pin_dir;	/* pin the links there (load); NULL: this process holds them */
	const char *table;	/* the instance's table name (pin names) */
};

/*
 * "eth0,veth0@if5,lo" -> indexes. Every name is checked before anything is
 * attached: an unknown one is a one-line error naming it (-ENODEV).
 */
int ifaces_parse(const char *list, struct iface_list *out);
/* Every interface where our filter is on a hook (from the kernel). 0 or -errno. */
int ifaces_attached(struct iface_list *out);
/*
 * Keep in l (from ifaces_attached) the hooks where a program of the table
 * sel is attached, and the interfaces that have one: several instances
 * (tables) may meter different interfaces or hooks. ifaces_detach then
 * touches those hooks only.
 */
void ifaces_keep_table(struct iface_list *l, const struct table_sel *sel);
/* -EBUSY (one line) when our filter already is on one of these hooks. */
int ifaces_check_free(const struct iface_list *l, int hooks);
/* Attach on every interface and hook of hooks, or on none (rolled back). 0 or -errno. */
int ifaces_attach_cfg(struct iface_list *l, const struct ifaces_cfg *c);
/* One line per interface: what is attached where, and how (log, pr_info). */
void ifaces_report(const struct iface_list *l, const char *what);
/*
 * Remove ours from the hooks of every interface (tcx links, filters, the
 * XDP link with ingress), then each clsact qdisc left without any filter
 * (only_created: only the ones this process made), and the links this
 * process holds. Returns the number of failures, 0 when all went.
 */
int ifaces_detach(struct iface_list *l, int hooks, bool only_created);

#endif /* __FLOWMON_IFACES_H */

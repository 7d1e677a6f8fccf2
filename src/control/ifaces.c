// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* ifaces.c - attach, detach and status of the TC hooks, for lists of interfaces. */
#include <errno.h>
#include <libgen.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>
#include "flowmon.h"
#include "ifaces.h"
#include "loader.h"
#include "log.h"
#include "run.h"

int ifaces_parse(const char *list, struct iface_list *out)
{
	char buf[4096], *tok, *save = NULL, *at;

	memset(out, 0, sizeof(*out));
	if (!list || snprintf(buf, sizeof(buf), "%s", list) >= (int)sizeof(buf))
		return -EINVAL;
	for (tok = strtok_r(buf, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save)) {
		at = strchr(tok, '@');	/* "veth0@if5" as `ip link` prints it */
		if (at)
			*at = '\0';
		if (out->n == IFACES_MAX || strlen(tok) >= sizeof(out->name[0])) {
			pr_err("failed to use interface %s: too many or name too long\n", tok);
			return -EINVAL;
		}
		out->index[out->n] = if_nametoindex(tok);
		if (!out->index[out->n]) {
			pr_err("failed to find interface %s: %s\n", tok, strerror(errno));
			return -ENODEV;
		}
		snprintf(out->name[out->n], sizeof(out->name[0]), "%s", tok);
		out->n++;
	}
	return out->n ? 0 : -EINVAL;
}

static void marker_path(const char *ifname, char *out, size_t len)
{
	snprintf(out, len, "%s/clsact.%s", FLOWMON_RUN_DIR, ifname);
}

/* Remember that we created the clsact qdisc, so only we remove it. */
static void mark_qdisc(const char *ifname)
{
	char path[256];
	FILE *f;

	mkdir(FLOWMON_RUN_DIR, 0755);
	marker_path(ifname, path, sizeof(path));
	f = fopen(path, "w");
	if (f)
		fclose(f);
}

/* Remove what this run attached, and the qdisc if it made it and it is empty. */
static void detach_all(struct iface_list *l)
{
	int i, h;

	for (i = 0; i < l->n; i++) {
		for (h = 0; h < 2; h++) {
			if (l->attached[i][h])
				loader_detach(l->index[i], h == 0);
			l->attached[i][h] = false;
		}
		if (l->created[i] && loader_count_filters(l->index[i], true) == 0 &&
		    loader_count_filters(l->index[i], false) == 0)
			loader_remove_qdisc(l->index[i]);
		l->created[i] = false;
	}
}

/* A self-contained run must not take over a filter that tc_flowmon.sh loaded. */
static int check_free(const struct iface_list *l, int hooks)
{
	int i, h;

	for (i = 0; i < l->n; i++) {
		for (h = 0; h < 2; h++) {
			if (!(hooks & (h ? HOOK_EGRESS : HOOK_INGRESS)) ||
			    loader_is_attached(l->index[i], h == 0, NULL) != 1)
				continue;
			pr_err("failed to attach to %s: bpfFlowMon is already attached there "
			       "(tc_flowmon.sh load); read its table with -f instead\n",
			       l->name[i]);
			return -EBUSY;
		}
	}
	return 0;
}

/* Attach on every interface and hook, or on none (rolls back on failure). */
static int attach_all(struct flowmon_bpf *fm, struct iface_list *l, int hooks)
{
	int i, h, err = 0;

	for (i = 0; i < l->n && !err; i++) {
		for (h = 0; h < 2 && !err; h++) {
			bool created = false;

			if (!(hooks & (h ? HOOK_EGRESS : HOOK_INGRESS)))
				continue;
			err = loader_attach(fm, l->index[i], h == 0, &created);
			l->attached[i][h] = !err;
			l->created[i] |= created;
		}
		if (err)
			pr_err("failed to attach to %s: %s\n", l->name[i], strerror(-err));
	}
	if (err)
		detach_all(l);
	return err;
}

int ifaces_run(const struct flowmon_opts *o, collect_fn collect)
{
	struct loader_opts lo;
	static struct iface_list l;
	struct flowmon_bpf *fm;
	int rc;

	if (ifaces_parse(o->ifaces, &l) || check_free(&l, o->hooks))
		return 1;
	run_loader_opts(o, &lo);
	if (loader_open(&lo, &fm))
		return 1;
	if (attach_all(fm, &l, o->hooks)) {
		loader_close(fm);
		return 1;
	}
	struct table_fds t = {
		.flows = loader_flows_fd(fm),
		.counters = loader_counters_fd(fm),
		.events = loader_events_fd(fm),
		.sweep = loader_sweep_fd(fm),
	};

	rc = collect(o, &t);
	detach_all(&l);
	loader_close(fm);
	return rc;
}

static void pin_dir_of(const struct flowmon_opts *o, char *dir, size_t len)
{
	snprintf(dir, len, "%s", o->map_path);
	dirname(dir);
}

int run_attach(const struct flowmon_opts *o)
{
	struct loader_opts lo;
	static struct iface_list l;
	struct flowmon_bpf *fm;
	char dir[4096];
	int i, err;

	if (ifaces_parse(o->ifaces, &l))
		return 1;
	run_loader_opts(o, &lo);
	pin_dir_of(o, dir, sizeof(dir));
	lo.pin_dir = dir;
	if (loader_open(&lo, &fm))
		return 1;
	err = attach_all(fm, &l, o->hooks);
	for (i = 0; !err && i < l.n; i++) {
		if (l.created[i])
			mark_qdisc(l.name[i]);
		pr_info("attached to %s%s%s\n", l.name[i],
			o->hooks & HOOK_INGRESS ? " ingress" : "",
			o->hooks & HOOK_EGRESS ? " egress" : "");
	}
	loader_close(fm);	/* the filters keep the program, the pins keep the maps */
	return err ? 1 : 0;
}

int run_detach(const struct flowmon_opts *o)
{
	static struct iface_list l;
	char path[256];
	int i;

	if (ifaces_parse(o->ifaces, &l))
		return 1;
	for (i = 0; i < l.n; i++) {
		if (o->hooks & HOOK_INGRESS)
			loader_detach(l.index[i], true);
		if (o->hooks & HOOK_EGRESS)
			loader_detach(l.index[i], false);
		marker_path(l.name[i], path, sizeof(path));
		/* the script removes the qdisc only if we made it and it is empty */
		pr_info("detached from %s%s\n", l.name[i],
			access(path, F_OK) == 0 ? " (clsact qdisc created by us)" : "");
	}
	return 0;
}

/* Interfaces where our filter is attached, then the table and the counters. */
int run_status(const struct flowmon_opts *o)
{
	struct if_nameindex *ifs = if_nameindex(), *p;
	uint32_t id;

	printf("attached:\n");
	for (p = ifs; p && p->if_index; p++) {
		int in = loader_is_attached(p->if_index, true, &id) == 1;
		int eg = loader_is_attached(p->if_index, false, &id) == 1;

		if (in || eg)
			printf("  %s%s%s\n", p->if_name, in ? " ingress" : "", eg ? " egress" : "");
	}
	if (ifs)
		if_freenameindex(ifs);
	return run_table_status(o);
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * manage.c - the load, unload and purge commands. What is attached is read
 * from the kernel and what is loaded from bpffs: nothing else is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include "cmds.h"
#include "collect.h"
#include "flowmon.h"
#include "ifaces.h"
#include "links.h"
#include "loader.h"
#include "log.h"
#include "pinname.h"
#include "plugin_host.h"

#define BPFFS_ROOT "/sys/fs/bpf"

int cmd_load(const struct flowmon_opts *o)
{
	static const char *const xdp_prog[] = { FLOWMON_PROG_XDP, NULL };
	static struct iface_list l;
	struct plugin_host h;
	struct loader_opts lo;
	struct ifaces_cfg ic;
	struct flowmon_bpf *fm;
	char dir[4096], what[4200];
	int err;

	if (ifaces_parse(o->ifaces, &l))
		return 1;
	cmd_loader_opts(o, &lo);
	cmd_pin_dir(o, dir, sizeof(dir));
	lo.pin_dir = dir;
	lo.table_name = cmd_table_name(o);
	lo.progs = o->xdp ? xdp_prog : NULL;
	if (loader_open(&lo, &fm))
		return 1;
	/* --plugin: loaded before the hooks, so they see the first packet too */
	err = o->n_plugins && (plugin_host_from_object(loader_object(fm), &h) ||
			       cmd_load_plugins(o, &h, NULL));
	if (!err) {
		/* links are pinned beside the table: they outlive this command */
		cmd_ifaces_cfg(o, fm, &ic);
		ic.pin_dir = dir;
		ic.table = lo.table_name;
		err = ifaces_attach_cfg(&l, &ic);
	}
	snprintf(what, sizeof(what), "table %s, attached to", o->map_path);
	if (!err)
		ifaces_report(&l, what);
	loader_close(fm);	/* links and filters keep the programs, the pins keep the maps */
	return err ? 1 : 0;
}

/*
 * This instance's pinned links first, through their pins: finding ours by
 * program id takes CAP_SYS_ADMIN, which the systemd unit does not grant.
 */
static void unpin_links(const struct iface_list *l, int hooks, const char *dir,
			const char *table)
{
	int i, h, err;

	for (i = 0; i < l->n; i++)
		for (h = 0; h < 3; h++) {
			if (!(hooks & (h == 1 ? HOOK_EGRESS : HOOK_INGRESS)))
				continue;
			err = links_detach_pinned(dir, table, l->name[i], ifaces_hook_name(h));
			if (err < 0)
				pr_err("failed to detach the pinned %s link of %s: %s\n",
				       ifaces_hook_name(h), l->name[i], strerror(-err));
		}
}

/* What of ours was on iface before the unload, among the hooks asked for. */
static void say_detached(const struct iface_list *before, const char *iface, int hooks)
{
	char buf[64] = "";
	int j, n = 0;

	if (before->n < 0) {
		pr_info("detached from %s %s\n", iface, ifaces_hooks_str(hooks));
		return;
	}
	for (j = 0; j < before->n && strcmp(before->name[j], iface); j++)
		;
	if (j < before->n && (hooks & HOOK_INGRESS)) {
		if (before->xdp[j])
			n += snprintf(buf + n, sizeof(buf) - n, " xdp");
		if (before->attached[j][0])
			n += snprintf(buf + n, sizeof(buf) - n, " ingress");
	}
	if (j < before->n && (hooks & HOOK_EGRESS) && before->attached[j][1])
		n += snprintf(buf + n, sizeof(buf) - n, " egress");
	if (n)
		pr_info("detached from %s:%s\n", iface, buf);
	else
		pr_info("not attached to %s %s: nothing to detach\n", iface,
			ifaces_hooks_str(hooks));
}

/* Our filters on -I (or everywhere with --all), then every clsact qdisc left empty. */
static int unload(const struct flowmon_opts *o, bool all)
{
	static struct iface_list l, before;
	static struct table_sel sel;
	int i, failed, hooks = all ? HOOK_BOTH : o->hooks;
	char dir[4096];

	if (all ? ifaces_attached(&l) : ifaces_parse(o->ifaces, &l))
		return 1;
	if (all) {	/* this table's hooks: another may meter others */
		cmd_table_sel(o, &sel);
		ifaces_keep_table(&l, &sel);
	}
	/* what to say was detached (ifaces_detach clears l's); -1: not known */
	if (ifaces_attached(&before))
		before.n = -1;
	else if (all)
		ifaces_keep_table(&before, &sel);
	cmd_pin_dir(o, dir, sizeof(dir));
	unpin_links(&l, hooks, dir, cmd_table_name(o));
	failed = ifaces_detach(&l, hooks, false);
	/* the pins of the links just detached (this instance's) */
	links_unpin_detached(dir, cmd_table_name(o));
	if (failed)
		return 1;
	for (i = 0; i < l.n; i++)
		say_detached(&before, l.name[i], hooks);
	if (all && !l.n)
		pr_info("not attached anywhere\n");
	return 0;
}

int cmd_unload(const struct flowmon_opts *o)
{
	return unload(o, o->all);
}

/* rmdir the pin folder and its parents up to bpffs, each only if empty. */
static void remove_empty_dirs(char *dir)
{
	char *slash;
	int i;

	for (i = 0; i < 8 && strncmp(dir, BPFFS_ROOT "/", sizeof(BPFFS_ROOT)) == 0; i++) {
		if (rmdir(dir))
			return;
		slash = strrchr(dir, '/');
		if (!slash)
			return;
		*slash = '\0';
	}
}

/* Unpin the instance's maps: its table and the object's other pinned maps beside it. */
static int unpin_all(const struct flowmon_opts *o)
{
	char names[16][LOADER_NAME_LEN], path[4200];
	int i, n, failed = 0;

	n = loader_pinned_maps(names, 16);
	if (n < 0) {
		pr_err("failed to list the object's maps: %s\n", strerror(-n));
		return 1;
	}
	for (i = 0; i < n && i < 16; i++) {
		if (pin_sibling_path(o->map_path, names[i], path, sizeof(path)))
			continue;
		if (unlink(path) == 0)
			pr_info("removed %s\n", path);
		else if (errno != ENOENT && ++failed)
			pr_err("failed to remove %s: %s\n", path, strerror(errno));
	}
	return failed ? 1 : 0;
}

/* A pin at the -p/-f path that is not a flow table: 1 after one line (purge removes nothing). */
static int not_a_table(const struct flowmon_opts *o)
{
	int fd = bpf_obj_get(o->map_path), err;

	if (fd < 0)
		return 0;	/* nothing pinned there: the folder's leftovers go */
	err = collector_check_map(fd, o->map_path, NULL);
	close(fd);
	return err ? 1 : 0;
}

int cmd_purge(const struct flowmon_opts *o)
{
	char dir[4096];
	int rc;

	if (not_a_table(o))
		return 1;
	rc = unload(o, true);
	rc |= unpin_all(o);
	cmd_pin_dir(o, dir, sizeof(dir));
	remove_empty_dirs(dir);
	return rc;
}

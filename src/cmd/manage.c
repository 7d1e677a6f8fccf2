// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * manage.c - the load, unload and purge commands. What is attached is read
 * from the kernel and what is loaded from bpffs: nothing else is kept.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "cmds.h"
#include "flowmon.h"
#include "ifaces.h"
#include "loader.h"
#include "log.h"
#include "pinname.h"
#include "plugin_host.h"

#define BPFFS_ROOT "/sys/fs/bpf"

static const char *hooks_str(int hooks)
{
	return hooks == HOOK_BOTH ? "ingress egress" : hooks == HOOK_INGRESS ? "ingress" : "egress";
}

int cmd_load(const struct flowmon_opts *o)
{
	static struct iface_list l;
	struct plugin_host h;
	struct loader_opts lo;
	struct flowmon_bpf *fm;
	char dir[4096];
	int i, err;

	if (ifaces_parse(o->ifaces, &l))
		return 1;
	cmd_loader_opts(o, &lo);
	cmd_pin_dir(o, dir, sizeof(dir));
	lo.pin_dir = dir;
	lo.table_name = cmd_table_name(o);
	if (loader_open(&lo, &fm))
		return 1;
	/* --plugin: loaded before the filters, so they see the first packet too */
	err = o->n_plugins && (plugin_host_from_object(loader_object(fm), &h) ||
			       cmd_load_plugins(o, &h, NULL));
	if (!err)
		err = ifaces_attach(loader_prog_fd(fm, true), loader_prog_fd(fm, false), &l,
				    o->hooks);
	for (i = 0; !err && i < l.n; i++)
		pr_info("attached to %s %s, table %s\n", l.name[i], hooks_str(o->hooks),
			o->map_path);
	loader_close(fm);	/* the filters keep the program, the pins keep the maps */
	return err ? 1 : 0;
}

/* Our filters on -I (or everywhere with --all), then every clsact qdisc left empty. */
static int unload(const struct flowmon_opts *o, bool all)
{
	static struct iface_list l;
	int i, hooks = all ? HOOK_BOTH : o->hooks;

	if (all ? ifaces_attached(&l) : ifaces_parse(o->ifaces, &l))
		return 1;
	if (ifaces_detach(&l, hooks, false))
		return 1;
	for (i = 0; i < l.n; i++)
		pr_info("detached from %s %s\n", l.name[i], hooks_str(hooks));
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

int cmd_purge(const struct flowmon_opts *o)
{
	char dir[4096];
	int rc;

	rc = unload(o, true);
	rc |= unpin_all(o);
	cmd_pin_dir(o, dir, sizeof(dir));
	remove_empty_dirs(dir);
	return rc;
}

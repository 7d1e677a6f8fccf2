// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/*
 * plugin.c - `tc_flowmon_user plugin load FILE | unload NAME | list` on the
 * meter pinned at -f/-p, and --plugin FILE of run, load and replay
 * (include/flowmon/plugin.h, docs/PLUGINS.md).
 */
#include <stdio.h>
#include <string.h>
#include "cmds.h"
#include "log.h"
#include "plugin_host.h"

int cmd_load_plugins(const struct flowmon_opts *o, const struct plugin_host *h,
		     struct plugin_names *loaded)
{
	char name[FLOWMON_PLUGIN_NAME_LEN];
	int i, slot;

	if (loaded)
		loaded->n = 0;
	for (i = 0; i < o->n_plugins; i++) {
		slot = plugin_load(h, o->plugins[i], o->plugin_entries, name, sizeof(name));
		if (slot < 0)
			return slot;
		pr_info("plugin %s loaded from %s (slot %d)\n", name, o->plugins[i], slot);
		if (loaded)
			snprintf(loaded->name[loaded->n++], sizeof(loaded->name[0]), "%s", name);
	}
	return 0;
}

void cmd_unload_plugins(const struct plugin_host *h, const struct plugin_names *loaded)
{
	int i;

	for (i = loaded->n - 1; i >= 0; i--)
		if (!plugin_unload(h, loaded->name[i]))
			pr_info("plugin %s unloaded\n", loaded->name[i]);
}

int cmd_plugin(const struct flowmon_opts *o)
{
	char name[FLOWMON_PLUGIN_NAME_LEN];
	struct plugin_host h;
	int rc;

	if (plugin_host_pinned(o->map_path, &h, true))
		return 1;
	if (!strcmp(o->plugin_action, "load")) {
		rc = plugin_load(&h, o->plugin_arg, o->plugin_entries, name, sizeof(name));
		if (rc >= 0)
			pr_info("plugin %s loaded from %s (slot %d)\n", name, o->plugin_arg, rc);
	} else if (!strcmp(o->plugin_action, "unload")) {
		rc = plugin_unload(&h, o->plugin_arg);
		if (!rc)
			pr_info("plugin %s unloaded\n", o->plugin_arg);
	} else {
		rc = plugin_list(&h, stdout, o->json);
	}
	plugin_host_close(&h);
	return rc < 0 ? 1 : 0;
}

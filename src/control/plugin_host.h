/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * plugin_host.h - BPF feature plugins on a running meter (include/flowmon/plugin.h,
 * docs/PLUGINS.md): load one into a free slot of the meter's program arrays,
 * unload it, list them; and the reader's side, which learns the loaded
 * plugins' fields from their results maps' BTF and takes each record's
 * results out of those maps when the record is written.
 *
 * The meter's record of what is loaded is its flowmon_plugin_reg map (one
 * entry per slot: program and map ids, name); nothing else is kept. A
 * loaded plugin needs no pin: the program array holds its programs, which
 * hold its maps, and readers open the maps by id.
 */
#ifndef __FLOWMON_PLUGIN_HOST_H
#define __FLOWMON_PLUGIN_HOST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "flowrec.h"
#include "plugins.h"

struct bpf_object;
struct btf;

/* The meter's plugin maps: file descriptors, -1 when absent. */
struct plugin_host {
	int progs;		/* flowmon_plugins (TC) */
	int progs_xdp;		/* flowmon_plugins_xdp */
	int ctx;		/* flowmon_plugin_ctx */
	int reg;		/* flowmon_plugin_reg */
	int on;			/* flowmon_plugin_on (the guard) */
	bool owned;		/* the descriptors are ours to close */
};

/* The maps of a loaded meter object (not owned: they close with the object). */
int plugin_host_from_object(struct bpf_object *obj, struct plugin_host *h);
/*
 * The maps pinned beside the table at table_path (pinname.h). 0 or -errno;
 * one error line when required (a meter without them has no plugins).
 */
int plugin_host_pinned(const char *table_path, struct plugin_host *h, bool required);
void plugin_host_close(struct plugin_host *h);

/*
 * Load the plugin object at path into the first free slot. max_entries:
 * its results map's capacity (0: as compiled). The name is the plugin's
 * (FM_PLUGIN, else the file's name without .bpf.o); a name already loaded
 * is refused. Returns the slot, or -errno after one line
 * "failed to load plugin PATH: reason".
 */
int plugin_load(const struct plugin_host *h, const char *path, uint32_t max_entries,
		char *name, size_t name_len);
/* Empty the slot of plugin name. 0, -ENOENT (not loaded), or -errno; one line on error. */
int plugin_unload(const struct plugin_host *h, const char *name);
/* Is a plugin of this name loaded? */
bool plugin_loaded(const struct plugin_host *h, const char *name);
/* The loaded plugins, their fields and counters: text, or one JSON object. */
int plugin_list(const struct plugin_host *h, FILE *out, bool json);

/* A plugin's fields from the BTF of its results value type. 0 or -1 (err). */
int plugin_desc_from_btf(const struct btf *btf, uint32_t type_id, struct plugin_desc *d,
			 char *err, size_t errlen);

/*
 * The reader: the plugins loaded now, their results maps, and the values
 * of the record being written (one at a time).
 */
struct plugin_reader {
	int n;
	struct {
		int slot;
		uint32_t results_id;
		int results_fd;
		uint64_t delivered;	/* records written with a result of it */
	} p[PLUGIN_MAX];
	struct plugin_desc desc[PLUGIN_MAX];
	struct plugin_values vals;
	uint8_t buf[PLUGIN_MAX][2][PLUGIN_MAX_VALUE];
};

/*
 * Read the meter's registry (reg_fd): when the loaded plugins changed, open
 * their results maps and install their fields (plugins_install()). 1 when
 * the set changed, 0 when not, -errno.
 */
int plugin_reader_refresh(struct plugin_reader *r, int reg_fd);
/*
 * The results of record rec (both halves): taken out of the maps (consume),
 * or only read (a listing that ends nothing). Sets rec->plug.
 */
void plugin_reader_attach(struct plugin_reader *r, struct flow_record *rec, bool consume);
void plugin_reader_free(struct plugin_reader *r);

#endif /* __FLOWMON_PLUGIN_HOST_H */

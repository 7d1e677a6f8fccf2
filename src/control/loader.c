// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* loader.c - the skeleton life cycle: open, knobs in rodata, load, pin. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "flowmon.h"
#include "flowmon/plugin.h"
#include "loader.h"
#include "log.h"
#include "opts.h"
#include "pinname.h"
#include "tc_flowmon_kern.skel.h"

#define MAX_OBJ_BYTES (64u << 20)

struct flowmon_bpf {
	struct tc_flowmon_kern *skel;
	void *file;		/* --obj: the file's bytes, alive as long as the object */
	char guard_pin[PATH_MAX];	/* pin the plugin guard here after load ("": no) */
	bool created_table;	/* a short table made here: unpinned if the load fails */
};

/* The whole file in memory: libbpf keeps pointing into it until load. */
static int read_file(const char *path, void **buf, size_t *len)
{
	struct stat st;
	ssize_t n;
	int fd, err = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) || !S_ISREG(st.st_mode) || st.st_size > MAX_OBJ_BYTES) {
		err = errno ? -errno : -EINVAL;
		goto cleanup;
	}
	*buf = malloc(st.st_size ? st.st_size : 1);
	if (!*buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	n = read(fd, *buf, st.st_size);
	if (n != st.st_size)
		err = n < 0 ? -errno : -EIO;
	*len = st.st_size;
cleanup:
	close(fd);
	return err;
}

#define EM_BPF_MACHINE	247	/* ELF e_machine of BPF (elf.h EM_BPF) */
#define ENOTBPF		4096	/* not an error number: "not a BPF object" */

/*
 * An ELF file for the BPF machine (the ELF header: magic at 0, e_machine
 * at 18 in the file's byte order, given by byte 5)? libbpf would only say
 * "Unknown error 4001" of /etc/passwd.
 */
static bool is_bpf_elf(const uint8_t *b, size_t len)
{
	uint16_t machine;

	if (len < 20 || memcmp(b, "\x7f" "ELF", 4))
		return false;
	machine = b[5] == 2 ? (uint16_t)(b[18] << 8 | b[19]) : (uint16_t)(b[19] << 8 | b[18]);
	return machine == EM_BPF_MACHINE;
}

/*
 * The skeleton, with the built-in object or the bytes of --obj FILE. A file
 * must have the skeleton's maps and programs (libbpf checks the names) and
 * its knobs (the rodata size is checked here).
 */
static int skel_open(struct flowmon_bpf *fm, const char *path)
{
	LIBBPF_OPTS(bpf_object_open_opts, oo, .object_name = "tc_flowmon_kern");
	struct tc_flowmon_kern *skel;
	size_t len = 0;
	int err;

	skel = calloc(1, sizeof(*skel));
	if (!skel)
		return -ENOMEM;
	fm->skel = skel;
	err = tc_flowmon_kern__create_skeleton(skel);
	if (err)
		return err;
	if (path) {
		err = read_file(path, &fm->file, &len);
		if (err)
			return err;
		if (!is_bpf_elf(fm->file, len))
			return -ENOTBPF;
		skel->skeleton->data = fm->file;
		skel->skeleton->data_sz = len;
	}
	err = bpf_object__open_skeleton(skel->skeleton, &oo);
	if (err)
		return err;
	if (!skel->rodata || bpf_map__value_size(skel->maps.rodata) != sizeof(*skel->rodata))
		return -EPROTO;
	/* an object older than entries by profile has 0 here, and the old layout */
	if (skel->rodata->flowmon_cfg.table_features != FLOWMON_F_ALL)
		return -EPROTO;
	return 0;
}

/*
 * The table the load adopts (flows_fd, or pinned), whose capacity and
 * entries it keeps: its shape; all zero if none.
 */
static void table_info(const struct loader_opts *o, const char *table, struct bpf_map_info *info)
{
	__u32 ilen = sizeof(*info);
	char path[PATH_MAX];
	int fd = -1;

	memset(info, 0, sizeof(*info));
	if (o->flows_fd > 0)
		fd = dup(o->flows_fd);
	else if (o->pin_dir && snprintf(path, sizeof(path), "%s/%s", o->pin_dir, table) <
					   (int)sizeof(path))
		fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (bpf_obj_get_info_by_fd(fd, info, &ilen))
		memset(info, 0, sizeof(*info));
	close(fd);
}

#define ERR_SAID	(-ECANCELED)	/* failed, and the line that says why is out */

/*
 * Was the table created with this layout? A table with BTF names its value's
 * members: the blocks' order changed once (TCP first since entries follow
 * the profile), and an older one reads as garbage. Tables without BTF are
 * the short ones this version creates.
 */
static bool layout_ours(const struct bpf_map_info *have)
{
	const struct btf_member *m;
	const struct btf_type *t;
	struct btf *btf;
	bool ours = false;
	int i;

	if (!have->btf_id || !have->btf_value_type_id)
		return true;
	btf = btf__load_from_kernel_by_id(have->btf_id);
	if (!btf)
		return true;	/* cannot tell: the shape check stays */
	t = btf__type_by_id(btf, have->btf_value_type_id);
	for (i = 0, m = t && btf_is_struct(t) ? btf_members(t) : NULL; m && i < btf_vlen(t);
	     i++, m++)
		if (!strcmp(btf__name_by_offset(btf, m->name_off), "next_seq"))
			ours = btf_member_bit_offset(t, i) == FLOWMON_END_HOT * 8;
	btf__free(btf);
	return ours;
}

/*
 * The profile: what is metered (features), and how long the table's entries
 * are (flowmon.h: up to the last block of its profile). A new table gets the
 * entries of its features; an adopted one keeps its own, and the features
 * it has room for (a reader or a default profile adopts them; features asked
 * for that it cannot hold are an error). A new table with entries shorter
 * than the struct is created here, without BTF: the object's BTF type is the
 * whole struct, which the kernel would not take for a shorter value.
 */
static int set_profile(struct flowmon_bpf *fm, const struct loader_opts *o,
		       const char *table, const struct bpf_map_info *have, uint32_t max)
{
	struct tc_flowmon_kern *skel = fm->skel;
	uint8_t want = o->features_set ? o->features : FLOWMON_F_ALL, holds;
	uint32_t size = have->value_size ? have->value_size : FLOWMON_ENTRY_SIZE(want);
	char a[32], b[32];
	int fd, err;

	holds = FLOWMON_ENTRY_FEATURES(size);
	if (!FLOWMON_ENTRY_SIZE_VALID(size))
		return 0;	/* not a flow table: collector_check_map says so */
	if (have->value_size && !layout_ours(have)) {
		pr_err("failed to adopt table %s: an older version created it (its entries are "
		       "laid out otherwise); purge it first\n", table);
		return ERR_SAID;
	}
	if ((want & ~holds) && o->features_set && !o->sweep_only) {
		pr_err("failed to configure table %s: its %u-byte entries hold %s; --features %s "
		       "needs a new table (purge it first)\n", table, size,
		       opts_features_str(holds, a, sizeof(a)), opts_features_str(want, b, sizeof(b)));
		return ERR_SAID;
	}
	if ((want & ~holds) && !o->sweep_only)
		pr_info("table %s holds %s (its %u-byte entries): metering those; purge it "
			"for more\n", table, opts_features_str(holds, a, sizeof(a)), size);
	skel->rodata->flowmon_cfg.features = want & holds;
	skel->rodata->flowmon_cfg.table_features = holds;
	if (o->flows_fd > 0)	/* bpf_map__reuse_fd took the table's shape */
		return 0;
	if (have->value_size)	/* libbpf reuses a pinned map of the object's shape only */
		return bpf_map__set_value_size(skel->maps.flowmon_stats, size);
	if (size == sizeof(struct flow_metrics))
		return 0;
	fd = bpf_map_create(BPF_MAP_TYPE_HASH, FLOWMON_MAP_FLOWS, sizeof(struct flow_key), size,
			    max, NULL);
	if (fd < 0)
		return -errno;
	err = bpf_map__reuse_fd(skel->maps.flowmon_stats, fd);
	close(fd);
	fm->created_table = !err;
	return err;
}

static bool listed(const char *const *names, const char *name)
{
	for (; names && *names; names++)
		if (!strcmp(*names, name))
			return true;
	return false;
}

/* The TC pair always loads; any other program only when the caller asks for it. */
static int set_programs(struct bpf_object *obj, const struct loader_opts *o)
{
	struct bpf_program *p;
	const char *name;
	int err;

	bpf_object__for_each_program(p, obj) {
		name = bpf_program__name(p);
		/* libbpf 1.1 does not know the "tc/ingress" section names (1.3+ does) */
		err = strcmp(name, FLOWMON_PROG_XDP) ?
			      bpf_program__set_type(p, BPF_PROG_TYPE_SCHED_CLS) : 0;
		if (err)
			return err;
		if (!strcmp(name, FLOWMON_PROG_INGRESS))
			err = o->sweep_only ? bpf_program__set_autoload(p, false) : 0;
		else if (!strcmp(name, FLOWMON_PROG_EGRESS))
			err = o->sweep_only || o->ingress_only ? bpf_program__set_autoload(p, false) : 0;
		else
			err = bpf_program__set_autoload(p, listed(o->progs, name));
		if (err)
			return err;
	}
	return 0;
}

/* Maps declared LIBBPF_PIN_BY_NAME are pinned under the instance's names. */
static int set_pins(struct bpf_object *obj, const struct loader_opts *o, const char *table)
{
	char name[NAME_MAX + 1], path[PATH_MAX];
	struct bpf_map *map;
	int err;

	bpf_object__for_each_map(map, obj) {
		if (!o->pin_dir || !bpf_map__pin_path(map) ||
		    (o->flows_fd > 0 && !strcmp(bpf_map__name(map), FLOWMON_MAP_FLOWS))) {
			err = bpf_map__set_pin_path(map, NULL);
		} else {
			err = pin_name(table, bpf_map__name(map), name, sizeof(name));
			if (!err && snprintf(path, sizeof(path), "%s/%s", o->pin_dir, name) >=
				    (int)sizeof(path))
				err = -ENAMETOOLONG;
			/* a reader adopts the pins it finds and creates none */
			if (!err && o->sweep_only && access(path, F_OK))
				err = bpf_map__set_pin_path(map, NULL);
			else if (!err)
				err = bpf_map__set_pin_path(map, path);
		}
		if (err)
			return err;
	}
	return 0;
}

/*
 * The event ring grows with the table: a sweep that ends many connections
 * stops when the ring is full and walks the table again after userland has
 * read it. The reader drains the ring in a thread while the sweep runs, and
 * ended entries are deleted, so a round restarts at the next due entry: a
 * 1M-flow flush takes as long with 4 MiB as with 16 (make bench, scan).
 * Between scans the records packets end (splits) are read every 0.1 s
 * (run.c sleep_period). 4 bytes per entry (a 1M-flow table: 4 MiB, 8,000
 * whole records a round), at least FLOWMON_EVENTS_BYTES, at most 64 MiB:
 * at 1M flows every byte per entry is a MiB of kernel memory.
 */
static uint32_t ring_bytes(uint32_t max_flows)
{
	uint64_t want = (uint64_t)max_flows * 4;
	uint32_t b = FLOWMON_EVENTS_BYTES;

	while (b < want && b < (64u << 20))
		b <<= 1;
	return b;
}

/*
 * The plugin hook's guard (plugins.bpf.h) is a global in its own data
 * section: libbpf does not pin those, so it is pinned here as
 * <prefix>_plugin_on beside the other maps, and adopted by a later load of
 * the same instance (the plugins loaded into its program arrays keep running).
 */
static int guard_pin(struct flowmon_bpf *fm, const struct loader_opts *o, const char *table)
{
	char name[NAME_MAX + 1];
	int fd, err;

	fm->guard_pin[0] = '\0';
	if (!o->pin_dir)
		return 0;
	err = pin_name(table, FLOWMON_MAP_PLUGIN_ON, name, sizeof(name));
	if (err || snprintf(fm->guard_pin, sizeof(fm->guard_pin), "%s/%s", o->pin_dir, name) >=
			   (int)sizeof(fm->guard_pin))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(fm->guard_pin);
	if (fd < 0) {
		if (o->sweep_only)
			fm->guard_pin[0] = '\0';	/* a reader creates no pin */
		return 0;
	}
	err = bpf_map__reuse_fd(fm->skel->maps.data_plugins, fd);
	close(fd);
	fm->guard_pin[0] = '\0';
	return err;
}

static int configure(struct flowmon_bpf *fm, const struct loader_opts *o)
{
	struct tc_flowmon_kern *skel = fm->skel;
	const char *table = o->table_name ? o->table_name : FLOWMON_MAP_FLOWS;
	uint32_t max = o->max_flows ? o->max_flows : FLOWMON_DEFAULT_MAX_FLOWS;
	struct bpf_map_info have;
	uint32_t pinned;
	int err;

	table_info(o, table, &have);
	pinned = have.max_entries;
	err = set_programs(skel->obj, o);
	if (!err)
		err = bpf_map__set_max_entries(skel->maps.flowmon_stats, pinned ? pinned : max);
	if (!err && !o->sweep_only)
		err = bpf_map__set_max_entries(skel->maps.flowmon_events,
					       ring_bytes(pinned ? pinned : max));
	if (!err && o->flows_fd > 0)
		err = bpf_map__reuse_fd(skel->maps.flowmon_stats, o->flows_fd);
	if (!err)
		err = set_profile(fm, o, table, &have, pinned ? pinned : max);
	if (!err)
		err = set_pins(skel->obj, o, table);
	if (!err)
		err = guard_pin(fm, o, table);
	if (err)
		return err;
	/* knobs: frozen at load, so the verifier prunes what they turn off */
	skel->rodata->flowmon_cfg.idle_timeout_ns = o->idle_ns;
	skel->rodata->flowmon_cfg.active_timeout_ns = o->active_ns;
	skel->rodata->flowmon_cfg.replay_mode = o->replay;
	skel->rodata->flowmon_cfg.precise_clock = o->precise_clock;
	return 0;
}

/* strerror() for -errno, and libbpf's own errors (4000 and up) by their names. */
static const char *loader_strerror(int err)
{
	static char buf[128];

	if (-err >= __LIBBPF_ERRNO__START && !libbpf_strerror(err, buf, sizeof(buf)))
		return buf;
	return strerror(-err);
}

int loader_open(const struct loader_opts *o, struct flowmon_bpf **out)
{
	const char *what = o->obj_path ? o->obj_path : "tc_flowmon_kern (built in)";
	struct flowmon_bpf *fm;
	int err;

	fm = calloc(1, sizeof(*fm));
	if (!fm)
		return -ENOMEM;
	err = skel_open(fm, o->obj_path);
	if (err == -EPROTO) {
		pr_err("failed to open BPF object %s: its knobs do not match this "
		       "tc_flowmon_user (build both from one tree)\n", what);
		goto cleanup;
	}
	if (err == -ENOTBPF) {
		pr_err("failed to open BPF object %s: not a BPF object (an ELF file for "
		       "machine BPF expected)\n", what);
		goto cleanup;
	}
	if (err) {
		pr_err("failed to open BPF object %s: %s\n", what, loader_strerror(err));
		goto cleanup;
	}
	err = configure(fm, o);
	if (err) {
		if (err != ERR_SAID)
			pr_err("failed to configure BPF object %s: %s\n", what,
			       loader_strerror(err));
		goto cleanup;
	}
	if (o->pin_dir) {
		err = loader_prepare_pin_dir(o->pin_dir);
		if (err) {
			pr_err("failed to prepare pin folder %s: %s\n", o->pin_dir, strerror(-err));
			goto cleanup;
		}
	}
	err = tc_flowmon_kern__load(fm->skel);
	if (err) {
		pr_err("failed to load BPF object %s: %s\n", what, loader_strerror(err));
		/* libbpf unpins what it created, not a table made here and reused */
		if (fm->created_table)
			bpf_map__unpin(fm->skel->maps.flowmon_stats, NULL);
		goto cleanup;
	}
	if (fm->guard_pin[0] && bpf_map__pin(fm->skel->maps.data_plugins, fm->guard_pin)) {
		err = -errno;
		pr_err("failed to pin map %s: %s\n", fm->guard_pin, strerror(-err));
		goto cleanup;
	}
	*out = fm;
	return 0;
cleanup:
	loader_close(fm);
	return err;
}

void loader_close(struct flowmon_bpf *fm)
{
	if (!fm)
		return;
	tc_flowmon_kern__destroy(fm->skel);
	free(fm->file);
	free(fm);
}

int loader_prog_fd(const struct flowmon_bpf *fm, bool ingress)
{
	return bpf_program__fd(ingress ? fm->skel->progs.flowmon_ingress :
					 fm->skel->progs.flowmon_egress);
}

int loader_flows_fd(const struct flowmon_bpf *fm)
{
	return bpf_map__fd(fm->skel->maps.flowmon_stats);
}

int loader_counters_fd(const struct flowmon_bpf *fm)
{
	return bpf_map__fd(fm->skel->maps.flowmon_counters);
}

int loader_events_fd(const struct flowmon_bpf *fm)
{
	return bpf_map__fd(fm->skel->maps.flowmon_events);
}

int loader_frags_fd(const struct flowmon_bpf *fm)
{
	return bpf_map__fd(fm->skel->maps.flowmon_frags);
}

int loader_xdp_fd(const struct flowmon_bpf *fm)
{
	return bpf_program__fd(fm->skel->progs.flowmon_xdp);
}

int loader_sweep_fd(const struct flowmon_bpf *fm)
{
	return bpf_program__fd(fm->skel->progs.flowmon_sweep);
}

struct bpf_object *loader_object(const struct flowmon_bpf *fm)
{
	return fm && fm->skel ? fm->skel->obj : NULL;
}

int loader_pinned_maps(char (*names)[LOADER_NAME_LEN], int max)
{
	struct flowmon_bpf fm = { 0 };
	struct bpf_map *map;
	libbpf_print_fn_t old;
	int n = 0, err;

	old = libbpf_set_print(NULL);
	err = skel_open(&fm, NULL);
	libbpf_set_print(old);
	if (!err) {
		bpf_object__for_each_map(map, fm.skel->obj) {
			if (!bpf_map__pin_path(map))
				continue;
			if (n < max)
				snprintf(names[n], LOADER_NAME_LEN, "%s", bpf_map__name(map));
			n++;
		}
		/* the plugin guard, pinned by the loader (guard_pin) */
		if (n < max)
			snprintf(names[n], LOADER_NAME_LEN, "%s", FLOWMON_MAP_PLUGIN_ON);
		n++;
	}
	tc_flowmon_kern__destroy(fm.skel);
	return err ? err : n;
}

#define BPF_FS_MAGIC 0xcafe4a11

int loader_prepare_pin_dir(const char *dir)
{
	char path[PATH_MAX], *p, c;
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type != BPF_FS_MAGIC &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		c = *p;
		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

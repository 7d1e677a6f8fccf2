// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* plugin_host.c - load, unload and list plugins of a meter; read their results. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "now.h"
#include "flowtable.h"
#include "log.h"
#include "pinname.h"
#include "mapwalk.h"
#include "plugin_host.h"
#include "sbuf.h"

/* ---- the meter's maps ------------------------------------------------------ */

static void host_init(struct plugin_host *h)
{
	h->progs = h->progs_xdp = h->ctx = h->reg = h->on = -1;
	h->owned = false;
}

int plugin_host_from_object(struct bpf_object *obj, struct plugin_host *h)
{
	struct bpf_map *m;
	const char *n;

	host_init(h);
	bpf_object__for_each_map(m, obj) {
		n = bpf_map__name(m);
		if (!strcmp(n, FLOWMON_MAP_PLUGIN_PROGS))
			h->progs = bpf_map__fd(m);
		else if (!strcmp(n, FLOWMON_MAP_PLUGIN_PROGS_XDP))
			h->progs_xdp = bpf_map__fd(m);
		else if (!strcmp(n, FLOWMON_MAP_PLUGIN_CTX))
			h->ctx = bpf_map__fd(m);
		else if (!strcmp(n, FLOWMON_MAP_PLUGIN_REG))
			h->reg = bpf_map__fd(m);
		else if (strstr(n, ".data.plugins") || strstr(n, ".data.plug"))
			h->on = bpf_map__fd(m);	/* internal map names are cut to 15 bytes */
	}
	if (h->progs < 0 || h->ctx < 0 || h->reg < 0 || h->on < 0) {
		pr_err("failed to find the plugin maps of the meter: object without the plugin "
		       "hook\n");
		return -ENOENT;
	}
	return 0;
}

static int pinned_fd(const char *table_path, const char *map, bool required)
{
	char path[PATH_MAX];
	int fd, err;

	if (pin_sibling_path(table_path, map, path, sizeof(path)))
		return -ENAMETOOLONG;
	fd = bpf_obj_get(path);
	if (fd < 0 && required) {
		err = -errno;
		pr_err("failed to open pinned map %s: %s (a meter loaded with plugin support?)\n",
		       path, strerror(-err));
		return err;
	}
	return fd < 0 ? -1 : fd;
}

int plugin_host_pinned(const char *table_path, struct plugin_host *h, bool required)
{
	host_init(h);
	h->owned = true;
	if ((h->progs = pinned_fd(table_path, FLOWMON_MAP_PLUGIN_PROGS, required)) < 0 ||
	    (h->ctx = pinned_fd(table_path, FLOWMON_MAP_PLUGIN_CTX, required)) < 0 ||
	    (h->reg = pinned_fd(table_path, FLOWMON_MAP_PLUGIN_REG, required)) < 0 ||
	    (h->on = pinned_fd(table_path, FLOWMON_MAP_PLUGIN_ON, required)) < 0) {
		int err = -EINVAL;

		plugin_host_close(h);
		return err;
	}
	h->progs_xdp = pinned_fd(table_path, FLOWMON_MAP_PLUGIN_PROGS_XDP, false);
	return 0;
}

void plugin_host_close(struct plugin_host *h)
{
	int *fds[] = { &h->progs, &h->progs_xdp, &h->ctx, &h->reg, &h->on };
	size_t i;

	for (i = 0; i < sizeof(fds) / sizeof(fds[0]); i++) {
		if (h->owned && *fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* ---- the registry --------------------------------------------------------- */

static int reg_read(const struct plugin_host *h, struct flowmon_plugin_slot *slots)
{
	__u32 i;

	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++)
		if (bpf_map_lookup_elem(h->reg, &i, &slots[i]))
			return -errno;
	return 0;
}

static int reg_find(const struct flowmon_plugin_slot *slots, const char *name)
{
	int i;

	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++)
		if (slots[i].prog_id && !strncmp(slots[i].name, name, sizeof(slots[i].name)))
			return i;
	return -1;
}

/* The guard: how many slots are filled (0 turns the hook off). */
static int guard_set(const struct plugin_host *h, const struct flowmon_plugin_slot *slots)
{
	__u32 zero = 0, n = 0;
	int i;

	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++)
		n += slots[i].prog_id != 0;
	return bpf_map_update_elem(h->on, &zero, &n, BPF_ANY) ? -errno : 0;
}

bool plugin_loaded(const struct plugin_host *h, const char *name)
{
	struct flowmon_plugin_slot slots[FLOWMON_PLUGIN_SLOTS];

	return !reg_read(h, slots) && reg_find(slots, name) >= 0;
}

/* ---- a plugin's fields from BTF ------------------------------------------- */

static const struct btf_type *resolved(const struct btf *btf, __u32 id, __u32 *out)
{
	const struct btf_type *t = btf__type_by_id(btf, id);

	while (t && (btf_is_typedef(t) || btf_is_const(t) || btf_is_volatile(t) ||
		     btf_is_restrict(t) || btf_is_type_tag(t))) {
		id = t->type;
		t = btf__type_by_id(btf, id);
	}
	if (out)
		*out = id;
	return t;
}

/* The type of member m: an integer (number) or an array of 1-byte integers (string). */
static int member_type(const struct btf *btf, const struct btf_member *m, struct plugin_field *f,
		       char *err, size_t len)
{
	const struct btf_type *t = resolved(btf, m->type, NULL), *e;

	if (t && btf_is_int(t)) {
		f->type = (btf_int_encoding(t) & BTF_INT_SIGNED) ? PF_INT : PF_UINT;
		f->size = t->size;
		return 0;
	}
	if (t && btf_is_enum(t)) {
		f->type = PF_UINT;
		f->size = t->size;
		return 0;
	}
	if (t && btf_is_array(t)) {
		e = resolved(btf, btf_array(t)->type, NULL);
		if (e && btf_is_int(e) && e->size == 1) {
			f->type = PF_STR;
			f->size = btf_array(t)->nelems;
			return 0;
		}
	}
	snprintf(err, len, "member %s: a field is an integer or a char array", f->member);
	return -1;
}

/* Tags on the type (component -1) and on its members, in BTF order. */
static int apply_tags(const struct btf *btf, __u32 type_id, struct plugin_desc *d,
		      const int *member_field, int vlen, char *err, size_t len)
{
	const struct btf_type *t;
	struct plugin_field *f;
	__u32 i, n = btf__type_cnt(btf);
	int idx, rc;

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(btf, i);
		if (!btf_is_decl_tag(t) || t->type != type_id)
			continue;
		idx = btf_decl_tag(t)->component_idx;
		if (idx >= vlen)
			continue;
		if (idx >= 0 && member_field[idx] < 0)
			continue;
		f = idx < 0 ? NULL : &d->f[member_field[idx]];
		rc = plugin_tag(d, f, btf__name_by_offset(btf, t->name_off), err, len);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Does member idx of the type carry any flowmon tag? */
static bool member_tagged(const struct btf *btf, __u32 type_id, int idx)
{
	const struct btf_type *t;
	__u32 i, n = btf__type_cnt(btf);

	for (i = 1; i < n; i++) {
		t = btf__type_by_id(btf, i);
		if (btf_is_decl_tag(t) && t->type == type_id &&
		    btf_decl_tag(t)->component_idx == idx &&
		    plugin_is_tag(btf__name_by_offset(btf, t->name_off)))
			return true;
	}
	return false;
}

int plugin_desc_from_btf(const struct btf *btf, uint32_t type_id, struct plugin_desc *d,
			 char *err, size_t errlen)
{
	int member_field[256], i, vlen;
	const struct btf_member *m;
	const struct btf_type *t;
	struct plugin_field *f;
	__u32 id;

	memset(d, 0, sizeof(*d));
	t = resolved(btf, type_id, &id);
	if (!t || !btf_is_struct(t)) {
		snprintf(err, errlen, "its results value is not a struct");
		return -1;
	}
	if (t->size > PLUGIN_MAX_VALUE) {
		snprintf(err, errlen, "its results value has %u bytes, more than %d", t->size,
			 PLUGIN_MAX_VALUE);
		return -1;
	}
	d->value_size = t->size;
	vlen = btf_vlen(t);
	m = btf_members(t);
	for (i = 0; i < vlen && i < 256; i++, m++) {
		member_field[i] = -1;
		if (!member_tagged(btf, id, i))
			continue;
		if (d->n_fields == PLUGIN_MAX_FIELDS) {
			snprintf(err, errlen, "more than %d tagged members", PLUGIN_MAX_FIELDS);
			return -1;
		}
		f = &d->f[d->n_fields];
		snprintf(f->member, sizeof(f->member), "%s", btf__name_by_offset(btf, m->name_off));
		if (btf_member_bitfield_size(t, i) || btf_member_bit_offset(t, i) % 8) {
			snprintf(err, errlen, "member %s: bit fields are not fields", f->member);
			return -1;
		}
		f->off = btf_member_bit_offset(t, i) / 8;
		if (member_type(btf, m, f, err, errlen))
			return -1;
		member_field[i] = d->n_fields++;
	}
	if (apply_tags(btf, id, d, member_field, vlen, err, errlen))
		return -1;
	/* FM_WHEN may name a member without tags of its own: add it as a gate */
	for (i = 0; i < d->n_fields; i++) {
		const char *w = d->f[i].when;
		int k;

		if (!w[0] || plugin_field_of(d, w))
			continue;
		m = btf_members(t);
		for (k = 0; k < vlen && strcmp(btf__name_by_offset(btf, m[k].name_off), w); k++)
			;
		if (k == vlen || d->n_fields == PLUGIN_MAX_FIELDS)
			continue;	/* plugin_desc_finish says what is wrong */
		f = &d->f[d->n_fields];
		snprintf(f->member, sizeof(f->member), "%s", w);
		f->off = btf_member_bit_offset(t, k) / 8;
		if (member_type(btf, &m[k], f, err, errlen))
			return -1;
		d->n_fields++;
	}
	return plugin_desc_finish(d, err, errlen);
}

/*
 * Open one plugin's results map by id and learn its fields from the map's
 * BTF into d. The map's fd, or -1 after one error line.
 */
static int slot_desc(const struct flowmon_plugin_slot *e, struct plugin_desc *d)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct btf *btf = NULL;
	char err[256];
	int fd;

	fd = bpf_map_get_fd_by_id(e->results_id);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &info, &len) || !info.btf_id) {
		pr_err("failed to open results of plugin %s: %s\n", e->name,
		       fd < 0 ? strerror(errno) : "no BTF");
		goto fail;
	}
	btf = btf__load_from_kernel_by_id(info.btf_id);
	if (!btf) {
		pr_err("failed to read BTF of plugin %s: %s\n", e->name, strerror(errno));
		goto fail;
	}
	if (plugin_desc_from_btf(btf, info.btf_value_type_id, d, err, sizeof(err))) {
		pr_err("failed to read fields of plugin %s: %s\n", e->name, err);
		goto fail;
	}
	if (info.value_size > PLUGIN_MAX_VALUE || info.key_size != sizeof(struct fm_plugin_rec)) {
		pr_err("failed to read results of plugin %s: unexpected map shape\n", e->name);
		goto fail;
	}
	snprintf(d->name, sizeof(d->name), "%s", e->name);
	btf__free(btf);
	return fd;
fail:
	btf__free(btf);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* The JSON keys of d's fields (members only named by FM_WHEN are not fields). */
static int desc_keys(const struct plugin_desc *d, char *buf, size_t len, const char *sep,
		     bool quote)
{
	int i, n = 0;
	size_t at = 0;

	buf[0] = '\0';
	for (i = 0; i < d->n_fields; i++) {
		if (!d->f[i].json[0])
			continue;
		at += snprintf(buf + at, at < len ? len - at : 0, "%s%s%s%s", n ? sep : "",
			       quote ? "\"" : "", d->f[i].json, quote ? "\"" : "");
		n++;
	}
	return n;
}

/* ---- load and unload -------------------------------------------------------- */

/* "dir/dns.bpf.o" -> "dns" */
static void name_from_path(const char *path, char *out, size_t len)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	n = strcspn(base, ".");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), base);
}

/* The object's maps: the meter's (reused by fd), its own results map sized. */
static int prepare_maps(struct bpf_object *obj, const struct plugin_host *h,
			uint32_t max_entries, struct bpf_map **results)
{
	struct bpf_map *m;
	const char *n;
	int err = 0, fd;

	*results = NULL;
	bpf_object__for_each_map(m, obj) {
		n = bpf_map__name(m);
		bpf_map__set_pin_path(m, NULL);
		fd = -1;
		if (!strcmp(n, FLOWMON_MAP_PLUGIN_PROGS))
			fd = h->progs;
		else if (!strcmp(n, FLOWMON_MAP_PLUGIN_PROGS_XDP))
			fd = h->progs_xdp;
		else if (!strcmp(n, FLOWMON_MAP_PLUGIN_CTX))
			fd = h->ctx;
		else if (!strcmp(n, FLOWMON_PLUGIN_RESULTS))
			*results = m;
		if (fd >= 0)
			err = bpf_map__reuse_fd(m, fd);
		else if (!strcmp(n, FLOWMON_PLUGIN_RESULTS) && max_entries)
			err = bpf_map__set_max_entries(m, max_entries);
		if (err)
			return err;
	}
	return *results ? 0 : -ENOENT;
}

/* Its programs: SEC("tc") for TC, SEC("xdp") for XDP (FLOWMON_PLUGIN makes both). */
static int find_progs(struct bpf_object *obj, struct bpf_program **tc, struct bpf_program **xdp)
{
	struct bpf_program *p;
	const char *sec;

	*tc = *xdp = NULL;
	bpf_object__for_each_program(p, obj) {
		sec = bpf_program__section_name(p);
		if (!strcmp(sec, "xdp")) {
			*xdp = p;
		} else if (!strcmp(sec, "tc") || !strcmp(sec, "classifier")) {
			bpf_program__set_type(p, BPF_PROG_TYPE_SCHED_CLS);
			*tc = p;
		} else {
			bpf_program__set_autoload(p, false);
		}
	}
	return *tc ? 0 : -ENOENT;
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return fd >= 0 && !bpf_obj_get_info_by_fd(fd, &info, &len) ? info.id : 0;
}

static int free_slot(const struct flowmon_plugin_slot *slots)
{
	int i;

	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++)
		if (!slots[i].prog_id)
			return i;
	return -1;
}

/* Fill slot s: XDP first, then TC, then the registry and the guard. */
static int install(const struct plugin_host *h, struct flowmon_plugin_slot *slots, int s,
		   int tc_fd, int xdp_fd, int results_fd, int counters_fd, const char *name)
{
	struct flowmon_plugin_slot e = { 0 };
	__u32 key = s;

	if (xdp_fd >= 0 && h->progs_xdp >= 0 && bpf_map_update_elem(h->progs_xdp, &key, &xdp_fd, 0))
		return -errno;
	if (bpf_map_update_elem(h->progs, &key, &tc_fd, 0))
		return -errno;
	e.prog_id = prog_id(tc_fd);
	e.xdp_prog_id = xdp_fd >= 0 && h->progs_xdp >= 0 ? prog_id(xdp_fd) : 0;
	e.results_id = map_id(results_fd);
	e.counters_id = map_id(counters_fd);
	e.loaded_ns = clock_ns(CLOCK_REALTIME);
	snprintf(e.name, sizeof(e.name), "%s", name);
	if (bpf_map_update_elem(h->reg, &key, &e, 0))
		return -errno;
	slots[s] = e;
	return guard_set(h, slots);
}

static int load_object(const struct plugin_host *h, const char *path, uint32_t max_entries,
		       char *name, size_t name_len, struct bpf_object **objp)
{
	struct flowmon_plugin_slot slots[FLOWMON_PLUGIN_SLOTS];
	struct bpf_program *tc, *xdp;
	struct plugin_desc d;
	struct bpf_map *results;
	struct bpf_object *obj;
	struct btf *btf;
	char err[256];
	int rc, s;

	*objp = obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		rc = -errno;
		pr_err("failed to load plugin %s: %s\n", path, strerror(-rc));
		return rc;
	}
	rc = prepare_maps(obj, h, max_entries, &results);
	if (rc == -ENOENT) {
		pr_err("failed to load plugin %s: no %s map (FM_RESULTS)\n", path,
		       FLOWMON_PLUGIN_RESULTS);
		return rc;
	}
	if (!rc && (rc = find_progs(obj, &tc, &xdp)) == -ENOENT) {
		pr_err("failed to load plugin %s: no SEC(\"tc\") program (FLOWMON_PLUGIN)\n", path);
		return rc;
	}
	if (rc) {
		pr_err("failed to load plugin %s: %s\n", path, strerror(-rc));
		return rc;
	}
	btf = bpf_object__btf(obj);
	if (!btf || plugin_desc_from_btf(btf, bpf_map__btf_value_type_id(results), &d, err,
					 sizeof(err))) {
		pr_err("failed to load plugin %s: %s\n", path, btf ? err : "no BTF (build with -g)");
		return -EINVAL;
	}
	if (!d.name[0])
		name_from_path(path, d.name, sizeof(d.name));
	snprintf(name, name_len, "%s", d.name);
	rc = reg_read(h, slots);
	if (!rc && reg_find(slots, d.name) >= 0) {
		pr_err("failed to load plugin %s: a plugin named %s is loaded\n", path, d.name);
		return -EEXIST;
	}
	s = rc ? -1 : free_slot(slots);
	if (s < 0) {
		pr_err("failed to load plugin %s: %s\n", path,
		       rc ? strerror(-rc) : "every slot is taken (8 plugins)");
		return rc ? rc : -ENOSPC;
	}
	rc = bpf_object__load(obj);
	if (rc) {
		pr_err("failed to load plugin %s: the kernel refused it: %s (-vv shows the "
		       "verifier's log)\n", path, strerror(-rc));
		return rc;
	}
	rc = install(h, slots, s, bpf_program__fd(tc), xdp ? bpf_program__fd(xdp) : -1,
		     bpf_map__fd(results),
		     bpf_object__find_map_fd_by_name(obj, FLOWMON_PLUGIN_COUNTERS), d.name);
	if (rc) {
		pr_err("failed to load plugin %s: slot %d: %s\n", path, s, strerror(-rc));
		return rc;
	}
	return s;
}

int plugin_load(const struct plugin_host *h, const char *path, uint32_t max_entries,
		char *name, size_t name_len)
{
	struct bpf_object *obj = NULL;
	int rc;

	rc = load_object(h, path, max_entries, name, name_len, &obj);
	/* the program arrays hold the programs, the programs their maps */
	bpf_object__close(obj);
	return rc;
}

int plugin_unload(const struct plugin_host *h, const char *name)
{
	struct flowmon_plugin_slot slots[FLOWMON_PLUGIN_SLOTS];
	__u32 key;
	int s, rc;

	rc = reg_read(h, slots);
	s = rc ? -1 : reg_find(slots, name);
	if (s < 0) {
		if (!rc)
			pr_err("failed to unload plugin %s: not loaded\n", name);
		else
			pr_err("failed to unload plugin %s: %s\n", name, strerror(-rc));
		return rc ? rc : -ENOENT;
	}
	key = s;
	/* the programs first: from here on no packet reaches it */
	bpf_map_delete_elem(h->progs, &key);
	if (h->progs_xdp >= 0)
		bpf_map_delete_elem(h->progs_xdp, &key);
	memset(&slots[s], 0, sizeof(slots[s]));
	rc = guard_set(h, slots);
	if (!rc && bpf_map_update_elem(h->reg, &key, &slots[s], 0))
		rc = -errno;
	if (rc)
		pr_err("failed to unload plugin %s: %s\n", name, strerror(-rc));
	return rc;
}

/* ---- list ------------------------------------------------------------------ */

static void counters_of(__u32 id, __u64 out[FM_PC_MAX])
{
	int fd = id ? bpf_map_get_fd_by_id(id) : -1;

	memset(out, 0, sizeof(__u64) * FM_PC_MAX);
	if (fd < 0)
		return;
	map_sum_percpu(fd, FM_PC_MAX, (uint64_t *)out);
	close(fd);
}

/* Entries in a results map now (records with a result not yet written); -1 if unknown. */
static long results_count(__u32 id)
{
	int fd = id ? bpf_map_get_fd_by_id(id) : -1;
	long n;

	if (fd < 0)
		return -1;
	n = map_count_keys(fd, 1L << 26);
	close(fd);
	return n < 0 ? -1 : n;
}

/* The fields a loaded plugin gives each record, from its results map's BTF. */
static void list_fields(const struct flowmon_plugin_slot *e, FILE *out, bool json)
{
	static struct plugin_desc d;
	char keys[2048];
	int fd = slot_desc(e, &d);

	if (fd < 0)
		return;
	close(fd);
	desc_keys(&d, keys, sizeof(keys), json ? "," : " ", json);
	if (json)
		fprintf(out, ",\"fields\":[%s]", keys);
	else
		fprintf(out, "  fields: %s\n", keys);
}

int plugin_list(const struct plugin_host *h, FILE *out, bool json)
{
	static const char *const cnames[FM_PC_MAX] = FM_PLUGIN_COUNTER_NAMES;
	struct flowmon_plugin_slot slots[FLOWMON_PLUGIN_SLOTS];
	__u64 cnt[FM_PC_MAX];
	int i, j, k = 0, rc;

	rc = reg_read(h, slots);
	if (rc) {
		pr_err("failed to read plugin registry: %s\n", strerror(-rc));
		return rc;
	}
	if (json)
		fprintf(out, "{\"plugins\":[");
	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++) {
		if (!slots[i].prog_id)
			continue;
		counters_of(slots[i].counters_id, cnt);
		if (json) {
			char name[6 * FLOWMON_PLUGIN_NAME_LEN + 3];
			struct sbuf b;

			/* the name may come from a file name: escaped */
			sb_init(&b, name, sizeof(name));
			sb_json_str(&b, slots[i].name);
			sb_finish(&b);
			fprintf(out, "%s{\"slot\":%d,\"name\":%s,\"prog_id\":%u,\"xdp_prog_id\":%u,"
				"\"results_id\":%u,\"pending\":%ld", k++ ? "," : "", i, name,
				slots[i].prog_id, slots[i].xdp_prog_id, slots[i].results_id,
				results_count(slots[i].results_id));
			for (j = 0; j < FM_PC_MAX; j++)
				if (cnames[j])
					fprintf(out, ",\"%s\":%llu", cnames[j],
						(unsigned long long)cnt[j]);
			list_fields(&slots[i], out, true);
			fprintf(out, "}");
			continue;
		}
		fprintf(out, "slot %d: %s (program %u, XDP %u, results map %u: %ld pending)\n", i,
			slots[i].name, slots[i].prog_id, slots[i].xdp_prog_id,
			slots[i].results_id, results_count(slots[i].results_id));
		fprintf(out, " ");
		for (j = 0; j < FM_PC_MAX; j++)
			if (cnames[j])
				fprintf(out, " %s %llu", cnames[j], (unsigned long long)cnt[j]);
		fprintf(out, "\n");
		list_fields(&slots[i], out, false);
		k++;
	}
	if (json)
		fprintf(out, "]}\n");
	else if (!k)
		fprintf(out, "no plugin loaded\n");
	return 0;
}

/* ---- the reader ---------------------------------------------------------- */

static void reader_close(struct plugin_reader *r)
{
	int i;

	for (i = 0; i < r->n; i++)
		if (r->p[i].results_fd >= 0)
			close(r->p[i].results_fd);
	r->n = 0;
}

void plugin_reader_free(struct plugin_reader *r)
{
	reader_close(r);
	if (plugins_installed())
		plugins_install(NULL, 0);
}

/* Same plugins in the same slots as the reader has? */
static bool reader_same(const struct plugin_reader *r, const struct flowmon_plugin_slot *slots)
{
	int i, k = 0;

	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++) {
		if (!slots[i].prog_id)
			continue;
		if (k >= r->n || r->p[k].slot != i || r->p[k].results_id != slots[i].results_id)
			return false;
		k++;
	}
	return k == r->n;
}

static int reader_add(struct plugin_reader *r, int slot, const struct flowmon_plugin_slot *e)
{
	int k = r->n, fd = slot_desc(e, &r->desc[k]);

	if (fd < 0)
		return -1;
	r->p[k].slot = slot;
	r->p[k].results_id = e->results_id;
	r->p[k].results_fd = fd;
	r->p[k].delivered = 0;
	r->n++;
	return 0;
}

int plugin_reader_refresh(struct plugin_reader *r, int reg_fd)
{
	struct flowmon_plugin_slot slots[FLOWMON_PLUGIN_SLOTS];
	struct plugin_host h = { .reg = reg_fd };
	int i, rc;

	if (reg_fd < 0)
		return 0;
	rc = reg_read(&h, slots);
	if (rc)
		return rc;
	if (reader_same(r, slots))
		return 0;
	reader_close(r);
	for (i = 0; i < FLOWMON_PLUGIN_SLOTS; i++)
		if (slots[i].prog_id)
			reader_add(r, i, &slots[i]);
	if (plugins_install(r->desc, r->n))
		pr_err("failed to add the fields of %d plugins: too many fields\n", r->n);
	for (i = 0; i < r->n; i++) {
		char keys[2048];
		int n = desc_keys(&r->desc[i], keys, sizeof(keys), " ", false);

		pr_info("plugin %s (slot %d): %d fields: %s\n", r->desc[i].name, r->p[i].slot,
			n, keys);
	}
	return 1;
}

/* One half's result: the record (key, first_seen), taken out or read. */
static bool take(int fd, const struct flow_key *k, __u64 first_seen, void *buf, bool consume)
{
	struct fm_plugin_rec key;

	memset(&key, 0, sizeof(key));
	key.key = *k;
	key.first_seen = first_seen;
	if (consume)
		return !bpf_map_lookup_and_delete_elem(fd, &key, buf);
	return !bpf_map_lookup_elem(fd, &key, buf);
}

void plugin_reader_attach(struct plugin_reader *r, struct flow_record *rec, bool consume)
{
	struct flow_key rk;
	bool f, b;
	int i;

	rec->plug = NULL;
	if (!r || !r->n)
		return;
	flow_reverse_key(&rec->key, &rk);
	for (i = 0; i < r->n; i++) {
		r->vals.val[i] = NULL;
		if (!plugin_wants(&r->desc[i], &rec->key))
			continue;
		f = rec->fwd.packets &&
		    take(r->p[i].results_fd, &rec->key, rec->fwd.first_seen, r->buf[i][0], consume);
		b = rec->has_rev && rec->rev.packets &&
		    take(r->p[i].results_fd, &rk, rec->rev.first_seen, r->buf[i][1], consume);
		r->vals.val[i] = f ? r->buf[i][0] : b ? r->buf[i][1] : NULL;
		r->p[i].delivered += f || b;
	}
	rec->plug = &r->vals;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* loader.c - open, configure, load, pin and attach tc_flowmon_kern.o. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "flowmon.h"
#include "loader.h"

#ifndef FLOWMON_LIBDIR
#define FLOWMON_LIBDIR "/usr/local/lib/flowmon"
#endif

struct flowmon_bpf {
	struct bpf_object *obj;
	struct bpf_program *prog_in;
	struct bpf_program *prog_eg;
	struct bpf_program *prog_sweep;
	struct bpf_map *flows;
	struct bpf_map *counters;
	struct bpf_map *events;
};

static int file_exists(const char *p)
{
	struct stat st;

	return stat(p, &st) == 0 && S_ISREG(st.st_mode);
}

int loader_find_obj(const char *hint, char *out, size_t len)
{
	char exe[PATH_MAX], *slash;
	const char *rel[] = { "", "/../lib/flowmon" };
	ssize_t n;
	size_t i;

	if (hint) {
		if (!file_exists(hint))
			return -ENOENT;
		snprintf(out, len, "%s", hint);
		return 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash)
			*slash = '\0';
		for (i = 0; i < sizeof(rel) / sizeof(rel[0]); i++) {
			if (snprintf(out, len, "%s%s/tc_flowmon_kern.o", exe, rel[i]) < (int)len &&
			    file_exists(out))
				return 0;
		}
	}
	snprintf(out, len, "%s/tc_flowmon_kern.o", FLOWMON_LIBDIR);
	return file_exists(out) ? 0 : -ENOENT;
}

/* Offset of variable 'name' in the object's .rodata, from its BTF. */
static int rodata_offset(struct bpf_object *obj, const char *name)
{
	struct btf *btf = bpf_object__btf(obj);
	const struct btf_var_secinfo *vs;
	const struct btf_type *sec;
	int id, i;

	id = btf ? btf__find_by_name_kind(btf, ".rodata", BTF_KIND_DATASEC) : -ENOENT;
	if (id < 0)
		return id;
	sec = btf__type_by_id(btf, id);
	vs = btf_var_secinfos(sec);
	for (i = 0; i < btf_vlen(sec); i++, vs++) {
		const struct btf_type *var = btf__type_by_id(btf, vs->type);

		if (!strcmp(btf__name_by_offset(btf, var->name_off), name))
			return vs->offset;
	}
	return -ENOENT;
}

static int set_knobs(struct bpf_object *obj, const struct loader_opts *o)
{
	struct flowmon_config cfg = {
		.idle_timeout_ns = o->idle_ns,
		.active_timeout_ns = o->active_ns,
		.replay_mode = o->replay,
		.features = o->features_set ? o->features : FLOWMON_F_ALL,
		.precise_clock = o->precise_clock,
	};
	struct bpf_map *map;
	const void *init;
	size_t sz = 0;
	char *data;
	int off, err;

	bpf_object__for_each_map(map, obj) {
		if (strstr(bpf_map__name(map), ".rodata"))
			break;
	}
	off = rodata_offset(obj, "flowmon_cfg");
	init = map ? bpf_map__initial_value(map, &sz) : NULL;
	if (!init || off < 0 || off + sizeof(cfg) > sz)
		return -ENOENT;
	data = malloc(sz);
	if (!data)
		return -ENOMEM;
	memcpy(data, init, sz);
	memcpy(data + off, &cfg, sizeof(cfg));
	err = bpf_map__set_initial_value(map, data, sz);
	free(data);
	return err;
}

/* A pinned table from an earlier load keeps its capacity: adopt it. */
static uint32_t pinned_max_entries(const char *pin_dir)
{
	struct bpf_map_info info = {};
	__u32 ilen = sizeof(info);
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", pin_dir, FLOWMON_MAP_FLOWS);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return 0;
	if (bpf_obj_get_info_by_fd(fd, &info, &ilen))
		info.max_entries = 0;
	close(fd);
	return info.max_entries;
}

static int configure(struct flowmon_bpf *fm, const struct loader_opts *o)
{
	struct bpf_map *map;
	uint32_t max = o->max_flows ? o->max_flows : FLOWMON_DEFAULT_MAX_FLOWS;
	uint32_t pinned = o->pin_dir ? pinned_max_entries(o->pin_dir) : 0;
	int err;

	if (pinned)
		max = pinned;
	fm->prog_in = bpf_object__find_program_by_name(fm->obj, FLOWMON_PROG_INGRESS);
	fm->prog_eg = bpf_object__find_program_by_name(fm->obj, FLOWMON_PROG_EGRESS);
	fm->prog_sweep = bpf_object__find_program_by_name(fm->obj, FLOWMON_PROG_SWEEP);
	fm->flows = bpf_object__find_map_by_name(fm->obj, FLOWMON_MAP_FLOWS);
	fm->counters = bpf_object__find_map_by_name(fm->obj, FLOWMON_MAP_COUNTERS);
	fm->events = bpf_object__find_map_by_name(fm->obj, FLOWMON_MAP_EVENTS);
	if (!fm->prog_in || !fm->prog_eg || !fm->prog_sweep || !fm->flows || !fm->counters ||
	    !fm->events)
		return -ENOENT;
	/* libbpf 1.1 does not know the "tc/ingress" section names (1.3+ does) */
	bpf_program__set_type(fm->prog_in, BPF_PROG_TYPE_SCHED_CLS);
	bpf_program__set_type(fm->prog_eg, BPF_PROG_TYPE_SCHED_CLS);
	bpf_program__set_type(fm->prog_sweep, BPF_PROG_TYPE_SCHED_CLS);
	err = bpf_map__set_max_entries(fm->flows, max);
	if (err)
		return err;
	if (o->sweep_only) {
		/* a reader of a table loaded elsewhere: no packet program of its own */
		bpf_program__set_autoload(fm->prog_in, false);
		bpf_program__set_autoload(fm->prog_eg, false);
	}
	if (o->flows_fd > 0) {
		err = bpf_map__reuse_fd(fm->flows, o->flows_fd);
		if (err)
			return err;
	}
	bpf_object__for_each_map(map, fm->obj) {
		char path[PATH_MAX];

		snprintf(path, sizeof(path), "%s/%s", o->pin_dir ? o->pin_dir : "",
			 bpf_map__name(map));
		if (!o->pin_dir || bpf_map__pin_path(map) == NULL ||
		    (map == fm->flows && o->flows_fd > 0) ||
		    (o->sweep_only && access(path, F_OK)))
			err = bpf_map__set_pin_path(map, NULL);	/* private to this process */
		else
			err = bpf_map__set_pin_path(map, path);
		if (err)
			return err;
	}
	return set_knobs(fm->obj, o);
}

int loader_open(const struct loader_opts *o, struct flowmon_bpf **out)
{
	struct flowmon_bpf *fm;
	char path[PATH_MAX];
	int err;

	err = loader_find_obj(o->obj_path, path, sizeof(path));
	if (err) {
		fprintf(stderr, "failed to find BPF object %s: %s\n",
			o->obj_path ? o->obj_path : "tc_flowmon_kern.o", strerror(-err));
		return err;
	}
	fm = calloc(1, sizeof(*fm));
	if (!fm)
		return -ENOMEM;
	fm->obj = bpf_object__open_file(path, NULL);
	err = libbpf_get_error(fm->obj);
	if (err) {
		fm->obj = NULL;
		fprintf(stderr, "failed to open BPF object %s: %s\n", path, strerror(-err));
		goto cleanup;
	}
	err = configure(fm, o);
	if (err) {
		fprintf(stderr, "failed to configure BPF object %s: %s\n", path, strerror(-err));
		goto cleanup;
	}
	if (o->pin_dir) {
		err = loader_prepare_pin_dir(o->pin_dir);
		if (err) {
			fprintf(stderr, "failed to prepare pin folder %s: %s\n", o->pin_dir,
				strerror(-err));
			goto cleanup;
		}
	}
	err = bpf_object__load(fm->obj);
	if (err) {
		fprintf(stderr, "failed to load BPF object %s: %s\n", path, strerror(-err));
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
	bpf_object__close(fm->obj);
	free(fm);
}

int loader_prog_fd(const struct flowmon_bpf *fm, bool ingress)
{
	return bpf_program__fd(ingress ? fm->prog_in : fm->prog_eg);
}

int loader_sweep_fd(const struct flowmon_bpf *fm)
{
	return bpf_program__fd(fm->prog_sweep);
}

int loader_flows_fd(const struct flowmon_bpf *fm)
{
	return bpf_map__fd(fm->flows);
}

int loader_counters_fd(const struct flowmon_bpf *fm)
{
	return bpf_map__fd(fm->counters);
}

int loader_events_fd(const struct flowmon_bpf *fm)
{
	return bpf_map__fd(fm->events);
}

#define BPF_FS_MAGIC 0xcafe4a11

int loader_prepare_pin_dir(const char *dir)
{
	char path[PATH_MAX], *p;
	struct statfs sfs;

	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type != BPF_FS_MAGIC &&
	    mount("bpf", "/sys/fs/bpf", "bpf", 0, "mode=0700"))
		return -errno;
	if (snprintf(path, sizeof(path), "%s", dir) >= (int)sizeof(path))
		return -ENAMETOOLONG;
	for (p = path + 1; ; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		char c = *p;

		*p = '\0';
		if (mkdir(path, 0700) && errno != EEXIST)
			return -errno;
		*p = c;
		if (!c)
			break;
	}
	return 0;
}

static void tc_hook_init(struct bpf_tc_hook *h, int ifindex, bool ingress)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

int loader_attach(struct flowmon_bpf *fm, int ifindex, bool ingress, bool *created_qdisc)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWMON_TC_HANDLE, .priority = FLOWMON_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE);
	struct bpf_tc_hook hook;
	int err;

	libbpf_print_fn_t old_print;

	tc_hook_init(&hook, ifindex, ingress);
	/* an existing clsact qdisc is fine: keep libbpf from calling it an error */
	old_print = libbpf_set_print(NULL);
	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(old_print);
	if (created_qdisc)
		*created_qdisc = err == 0;
	if (err && err != -EEXIST)
		return err;
	opts.prog_fd = loader_prog_fd(fm, ingress);
	return bpf_tc_attach(&hook, &opts);
}

int loader_detach(int ifindex, bool ingress)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWMON_TC_HANDLE, .priority = FLOWMON_TC_PRIO);
	struct bpf_tc_hook hook;

	tc_hook_init(&hook, ifindex, ingress);
	return bpf_tc_detach(&hook, &opts);
}

int loader_is_attached(int ifindex, bool ingress, uint32_t *prog_id)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWMON_TC_HANDLE, .priority = FLOWMON_TC_PRIO);
	libbpf_print_fn_t old_print;
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex, ingress);
	/* "no qdisc" or "no filter" are answers here, not errors to print */
	old_print = libbpf_set_print(NULL);
	err = bpf_tc_query(&hook, &opts);
	libbpf_set_print(old_print);
	if (err == -ENOENT || err == -EINVAL)
		return 0;
	if (err)
		return err;
	if (prog_id)
		*prog_id = opts.prog_id;
	return 1;
}

int loader_remove_qdisc(int ifindex)
{
	struct bpf_tc_hook hook;

	tc_hook_init(&hook, ifindex, true);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;	/* the whole clsact qdisc */
	return bpf_tc_hook_destroy(&hook);
}

/* One RTM_GETTFILTER dump request on an rtnetlink socket (rtnetlink(7)). */
static int filter_dump_request(int fd, int ifindex, bool ingress)
{
	struct {
		struct nlmsghdr nh;
		struct tcmsg tc;
	} req = {
		.nh = {
			.nlmsg_len = sizeof(req),
			.nlmsg_type = RTM_GETTFILTER,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.tc = {
			.tcm_family = AF_UNSPEC,
			.tcm_ifindex = ifindex,
			.tcm_parent = TC_H_MAKE(TC_H_CLSACT, ingress ? TC_H_MIN_INGRESS :
								       TC_H_MIN_EGRESS),
		},
	};

	return send(fd, &req, sizeof(req), 0) < 0 ? -errno : 0;
}

int loader_count_filters(int ifindex, bool ingress)
{
	char buf[16384];
	int fd, n = 0, err;
	ssize_t len;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
	if (fd < 0)
		return -errno;
	err = filter_dump_request(fd, ifindex, ingress);
	while (!err && (len = recv(fd, buf, sizeof(buf), 0)) > 0) {
		struct nlmsghdr *nh = (struct nlmsghdr *)buf;

		for (; NLMSG_OK(nh, (size_t)len); nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE)
				goto out;
			if (nh->nlmsg_type == NLMSG_ERROR) {
				err = ((struct nlmsgerr *)NLMSG_DATA(nh))->error;
				goto out;
			}
			n++;	/* one message per filter (and per chain head) */
		}
	}
	if (!err && len < 0)
		err = -errno;
out:
	close(fd);
	return err ? err : n;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* tchook.c - attach, detach and query our filter on the clsact hooks. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_cls.h>
#include <linux/pkt_sched.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "links.h"
#include "tchook.h"

static void tc_hook_init(struct bpf_tc_hook *h, int ifindex, bool ingress)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

int tchook_attach(int prog_fd, int ifindex, bool ingress, bool *created_qdisc,
		  struct tchook_holder *holder)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWMON_TC_HANDLE, .priority = FLOWMON_TC_PRIO);
	libbpf_print_fn_t old_print;
	struct bpf_tc_hook hook;
	int err, slot;

	tc_hook_init(&hook, ifindex, ingress);
	/* an existing clsact qdisc is fine: keep libbpf from calling it an error */
	old_print = libbpf_set_print(NULL);
	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(old_print);
	if (created_qdisc)
		*created_qdisc = err == 0;
	if (err && err != -EEXIST)
		return err;
	slot = tchook_slot(ifindex, ingress, holder);
	if (slot < 0)
		return slot;
	if (slot == TCHOOK_FOREIGN)
		return -EEXIST;		/* never replaced */
	/* ours is replaced in place; a free slot is taken only if still free (EXCL) */
	opts.flags = slot == TCHOOK_OURS ? BPF_TC_F_REPLACE : 0;
	opts.prog_fd = prog_fd;
	err = bpf_tc_attach(&hook, &opts);
	if (err == -EEXIST && holder)
		tchook_slot(ifindex, ingress, holder);
	return err;
}

int tchook_detach(int ifindex, bool ingress, struct tchook_holder *holder)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWMON_TC_HANDLE, .priority = FLOWMON_TC_PRIO);
	libbpf_print_fn_t old_print;
	struct tchook_holder tmp, *h = holder ? holder : &tmp;
	struct bpf_tc_hook hook;
	int err, slot;

	slot = tchook_slot(ifindex, ingress, h);
	/* not attached there is the state we want, not an error */
	if (slot == TCHOOK_FREE || (slot == TCHOOK_FOREIGN && h->handle != FLOWMON_TC_HANDLE))
		return 0;
	if (slot == TCHOOK_FOREIGN)
		return -EEXIST;	/* never removed */
	if (slot < 0)
		return slot;
	tc_hook_init(&hook, ifindex, ingress);
	old_print = libbpf_set_print(NULL);
	err = bpf_tc_detach(&hook, &opts);
	libbpf_set_print(old_print);
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int tchook_query(int ifindex, bool ingress, uint32_t *prog_id)
{
	struct tchook_holder h;
	int slot = tchook_slot(ifindex, ingress, &h);

	if (slot < 0)
		return slot;
	if (slot != TCHOOK_OURS)
		return 0;
	if (prog_id)
		*prog_id = h.prog_id;
	return 1;
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

/*
 * The program's name, by id (the kernel's; a classic BPF filter has none).
 * False when the kernel would not say: a program by id takes CAP_SYS_ADMIN,
 * which the systemd unit's capability set leaves out.
 */
static bool prog_name(uint32_t id, char *out, size_t len)
{
	struct bpf_prog_info info = {};
	__u32 ilen = sizeof(info);
	int fd = bpf_prog_get_fd_by_id(id);

	out[0] = '\0';
	if (fd < 0)
		return errno != EPERM;
	if (!bpf_obj_get_info_by_fd(fd, &info, &ilen))
		snprintf(out, len, "%s", info.name);
	close(fd);
	return true;
}

/* A filter message of the dump at our priority: what is it? */
static bool holder_of(struct nlmsghdr *nh, struct tchook_holder *h)
{
	struct tcmsg *tc = NLMSG_DATA(nh);
	int len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*tc));
	struct rtattr *a, *o;
	int olen;

	/* the chain's head (handle 0) comes first; every filter has a handle */
	if (nh->nlmsg_type != RTM_NEWTFILTER || len < 0 || !tc->tcm_handle ||
	    TC_H_MAJ(tc->tcm_info) >> 16 != FLOWMON_TC_PRIO)
		return false;
	memset(h, 0, sizeof(*h));
	h->handle = tc->tcm_handle;
	for (a = TCA_RTA(tc); RTA_OK(a, len); a = RTA_NEXT(a, len)) {
		if (a->rta_type == TCA_KIND)
			snprintf(h->kind, sizeof(h->kind), "%.*s", (int)RTA_PAYLOAD(a),
				 (char *)RTA_DATA(a));
		if (a->rta_type != TCA_OPTIONS)
			continue;
		olen = RTA_PAYLOAD(a);
		for (o = RTA_DATA(a); RTA_OK(o, olen); o = RTA_NEXT(o, olen))
			if (o->rta_type == TCA_BPF_ID && RTA_PAYLOAD(o) >= sizeof(__u32))
				memcpy(&h->prog_id, RTA_DATA(o), sizeof(__u32));
	}
	if (h->prog_id)
		h->name_unknown = !prog_name(h->prog_id, h->prog_name, sizeof(h->prog_name));
	return true;
}

/* Walk one RTM_GETTFILTER dump; fn sees every message. 0 or -errno. */
static int filter_dump(int ifindex, bool ingress, bool (*fn)(struct nlmsghdr *, void *),
		       void *ctx)
{
	char buf[16384];
	int fd, err;
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
			fn(nh, ctx);
		}
	}
	if (!err && len < 0)
		err = -errno;
out:
	close(fd);
	return err;
}

struct slot_ctx {
	struct tchook_holder *h;
	struct tchook_holder other;	/* another handle at our priority */
	bool found;
	bool other_kind;		/* ... of a kind other than bpf: the priority is taken */
};

static bool slot_msg(struct nlmsghdr *nh, void *ctx)
{
	struct slot_ctx *s = ctx;
	struct tchook_holder h;

	if (s->found || !holder_of(nh, &h))
		return true;
	if (h.handle == FLOWMON_TC_HANDLE) {
		*s->h = h;
		s->found = true;
	} else if (strcmp(h.kind, "bpf") && !s->other_kind) {
		s->other = h;
		s->other_kind = true;
	}
	return true;
}

int tchook_slot(int ifindex, bool ingress, struct tchook_holder *holder)
{
	struct tchook_holder tmp;
	struct slot_ctx s = { .h = holder ? holder : &tmp };
	int err;

	err = filter_dump(ifindex, ingress, slot_msg, &s);
	/* no clsact qdisc there: nobody holds the slot */
	if (err == -EINVAL || err == -ENOENT)
		return TCHOOK_FREE;
	if (err)
		return err;
	if (!s.found && s.other_kind) {
		/* one priority holds one kind of classifier: ours cannot go there */
		*s.h = s.other;
		return TCHOOK_FOREIGN;
	}
	if (!s.found)
		return TCHOOK_FREE;
	if (strcmp(s.h->kind, "bpf"))
		return TCHOOK_FOREIGN;
	/* a name we may not read: our handle is the only mark left (the unit's case) */
	/* the slot is fixed, so anybody may have put a filter there first: ours by name */
	return links_name_is_ours(s.h->prog_name) || s.h->name_unknown ? TCHOOK_OURS :
	       TCHOOK_FOREIGN;
}

void tchook_describe(const struct tchook_holder *h, char *out, size_t len)
{
	if (h->prog_id)
		snprintf(out, len, "a %s filter of BPF program '%s' (id %u, handle 0x%x)", h->kind,
			 h->prog_name, h->prog_id, h->handle);
	else if (!strcmp(h->kind, "bpf"))
		snprintf(out, len, "a classic BPF filter (handle 0x%x)", h->handle);
	else
		snprintf(out, len, "a %s filter (handle 0x%x)", h->kind[0] ? h->kind : "classifier",
			 h->handle);
}

static bool count_msg(struct nlmsghdr *nh, void *ctx)
{
	(*(int *)ctx)++;	/* one message per filter (and per chain head) */
	return true;
}

int tchook_count_filters(int ifindex, bool ingress)
{
	int n = 0, err = filter_dump(ifindex, ingress, count_msg, &n);

	return err ? err : n;
}

int tchook_release_qdisc(int ifindex)
{
	struct bpf_tc_hook hook;
	int in, eg, err;

	in = tchook_count_filters(ifindex, true);
	eg = tchook_count_filters(ifindex, false);
	if (in || eg)	/* filters left, or no qdisc to count them on */
		return 0;
	tc_hook_init(&hook, ifindex, true);
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS;	/* the whole clsact qdisc */
	err = bpf_tc_hook_destroy(&hook);
	return err == -ENOENT || err == -EINVAL ? 0 : err ? err : 1;
}

// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* tchook.c - attach, detach and query our filter on the clsact hooks. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/pkt_sched.h>
#include <bpf/libbpf.h>
#include "tchook.h"

static void tc_hook_init(struct bpf_tc_hook *h, int ifindex, bool ingress)
{
	memset(h, 0, sizeof(*h));
	h->sz = sizeof(*h);
	h->ifindex = ifindex;
	h->attach_point = ingress ? BPF_TC_INGRESS : BPF_TC_EGRESS;
}

int tchook_attach(int prog_fd, int ifindex, bool ingress, bool *created_qdisc)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWMON_TC_HANDLE, .priority = FLOWMON_TC_PRIO,
		    .flags = BPF_TC_F_REPLACE);
	libbpf_print_fn_t old_print;
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex, ingress);
	/* an existing clsact qdisc is fine: keep libbpf from calling it an error */
	old_print = libbpf_set_print(NULL);
	err = bpf_tc_hook_create(&hook);
	libbpf_set_print(old_print);
	if (created_qdisc)
		*created_qdisc = err == 0;
	if (err && err != -EEXIST)
		return err;
	opts.prog_fd = prog_fd;
	return bpf_tc_attach(&hook, &opts);
}

int tchook_detach(int ifindex, bool ingress)
{
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = FLOWMON_TC_HANDLE, .priority = FLOWMON_TC_PRIO);
	libbpf_print_fn_t old_print;
	struct bpf_tc_hook hook;
	int err;

	tc_hook_init(&hook, ifindex, ingress);
	/* not attached there (no filter, no qdisc) is the state we want, not an error */
	old_print = libbpf_set_print(NULL);
	err = bpf_tc_detach(&hook, &opts);
	libbpf_set_print(old_print);
	return err == -ENOENT || err == -EINVAL ? 0 : err;
}

int tchook_query(int ifindex, bool ingress, uint32_t *prog_id)
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

int tchook_count_filters(int ifindex, bool ingress)
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

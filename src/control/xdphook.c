// SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause)
/* xdphook.c - attach, query and detach flowmon_xdp as an XDP link. */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <linux/if_arp.h>
#include <linux/if_link.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "bpfcompat.h"
#include "links.h"
#include "xdphook.h"

#define MAX_LINK_IDS 65536	/* a walk over every link of the host is bounded */

const char *xdphook_mode_str(int mode)
{
	return mode == XDP_MODE_NATIVE ? "native" : mode == XDP_MODE_GENERIC ? "generic" : "auto";
}

int xdphook_check_l2(int ifindex)
{
	struct ifreq ifr = { 0 };
	int fd, err = 0;

	if (!if_indextoname(ifindex, ifr.ifr_name))
		return -errno;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (ioctl(fd, SIOCGIFHWADDR, &ifr))
		err = -errno;
	else if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER &&
		 ifr.ifr_hwaddr.sa_family != ARPHRD_LOOPBACK)
		err = -EPFNOSUPPORT;
	close(fd);
	return err;
}

static int link_create(int prog_fd, int ifindex, __u32 flags)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, ifindex, BPF_XDP, &opts);

	return fd < 0 ? -errno : fd;
}

int xdphook_attach(int prog_fd, int ifindex, int mode, int *used)
{
	int fd = -EOPNOTSUPP;

	if (mode != XDP_MODE_GENERIC) {
		fd = link_create(prog_fd, ifindex, XDP_FLAGS_DRV_MODE);
		*used = XDP_MODE_NATIVE;
		/* no native XDP in this driver: generic, unless native was asked for */
		if (fd >= 0 || mode == XDP_MODE_NATIVE || (fd != -EOPNOTSUPP && fd != -EINVAL))
			return fd;
	}
	*used = XDP_MODE_GENERIC;
	return link_create(prog_fd, ifindex, XDP_FLAGS_SKB_MODE);
}

int xdphook_query(int ifindex, uint32_t *prog_id, int *mode)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);
	libbpf_print_fn_t old = libbpf_set_print(NULL);
	uint32_t id;
	int err;

	err = bpf_xdp_query(ifindex, 0, &q);
	libbpf_set_print(old);
	if (err)
		return err == -ENODEV ? 0 : err;
	id = q.drv_prog_id ? q.drv_prog_id : q.skb_prog_id;
	if (!id || !links_prog_is_ours(id))
		return 0;
	if (prog_id)
		*prog_id = id;
	if (mode)
		*mode = q.drv_prog_id == id ? XDP_MODE_NATIVE : XDP_MODE_GENERIC;
	return 1;
}

/* The XDP link on ifindex, found among every link of the host: its id, or 0. */
static uint32_t find_link(int ifindex)
{
	struct fm_link_info info;
	__u32 len, id = 0;
	int i, fd;

	for (i = 0; i < MAX_LINK_IDS && !bpf_link_get_next_id(id, &id); i++) {
		fd = bpf_link_get_fd_by_id(id);
		if (fd < 0)
			continue;
		len = sizeof(info);
		memset(&info, 0, sizeof(info));
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && info.type == BPF_LINK_TYPE_XDP &&
		    (int)info.ifindex == ifindex) {
			close(fd);
			return id;
		}
		close(fd);
	}
	return 0;
}

int xdphook_detach_ours(int ifindex)
{
	uint32_t id;
	int err = xdphook_query(ifindex, NULL, NULL);

	if (err <= 0)
		return err;
	id = find_link(ifindex);
	if (!id)
		return -EBUSY;	/* ours, but attached without a link (ip link set xdp) */
	err = links_detach_id(id);
	return err ? err : 1;
}

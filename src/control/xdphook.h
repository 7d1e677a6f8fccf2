/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * xdphook.h - flowmon_xdp on an interface's XDP hook, as a BPF link:
 * native (in the driver) where the driver has it, generic (in the stack,
 * on the skb) otherwise or when asked. XDP sees ingress only, and frames
 * only with an Ethernet header: a device without one (tun, WireGuard) is
 * refused. Ours is recognised by program name (links.h).
 */
#ifndef __FLOWMON_XDPHOOK_H
#define __FLOWMON_XDPHOOK_H

#include <stdint.h>

enum xdp_mode {
	XDP_MODE_AUTO = 0,	/* native, else generic */
	XDP_MODE_NATIVE,
	XDP_MODE_GENERIC,
};

const char *xdphook_mode_str(int mode);
/* 0 when the device's frames start with an Ethernet header, else -EPFNOSUPPORT. */
int xdphook_check_l2(int ifindex);
/* Attach: the link's fd, the mode used in *used; or -errno. */
int xdphook_attach(int prog_fd, int ifindex, int mode, int *used);
/* 1 if ours is on the interface (its program id and mode), 0 if not, -errno. */
int xdphook_query(int ifindex, uint32_t *prog_id, int *mode);
/* Detach our XDP link there, whoever holds it: 1 detached, 0 none, -errno. */
int xdphook_detach_ours(int ifindex);

#endif /* __FLOWMON_XDPHOOK_H */

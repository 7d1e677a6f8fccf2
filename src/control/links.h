/* SPDX-License-Identifier: (GPL-2.0 OR BSD-2-Clause) */
/*
 * links.h - BPF links of ours (tcx, XDP): which program is ours (by name,
 * as the kernel reports it), and the pins of links for the daemon. A load
 * pins its links in the folder flowmon_links beside the table's folder,
 * under the instance's prefix (pinname.h: /sys/fs/bpf/tc/flowmon_links/
 * flowmon_link_eth0_ingress for the table /sys/fs/bpf/tc/globals/
 * flowmon_stats, mytable_link_eth0_xdp for mytable), so they outlive the
 * command and the table's folder keeps only maps; a self-contained run
 * holds them by file descriptor only, so they go with the process, even
 * when it is killed.
 */
#ifndef __FLOWMON_LINKS_H
#define __FLOWMON_LINKS_H

#include <stdbool.h>
#include <stdint.h>

/* Our program by the name the kernel has for it: flowmon_ingress, _egress, _xdp. */
bool links_prog_is_ours(uint32_t prog_id);
/* The ids of the maps program prog_id uses (at most max): how many, or -errno. */
int links_prog_map_ids(uint32_t prog_id, uint32_t *ids, uint32_t max);
/* Is a program of this name (as the kernel keeps it, 15 characters) one of ours? */
bool links_name_is_ours(const char *prog_name);
/* Detach a link by id, whoever holds it (BPF_LINK_DETACH). 0 or -errno. */
int links_detach_id(uint32_t link_id);
/*
 * Pin link fd as <pin_dir>/../flowmon_links/<prefix>_link_<ifname>_<hook>
 * (a pin left by an earlier load there is replaced). 0 or -errno.
 */
int links_pin(int fd, const char *pin_dir, const char *table, const char *ifname,
	      const char *hook);
/*
 * Detach the link an instance pinned for ifname's hook (ingress, egress,
 * xdp) and remove its pin: the way that needs no CAP_SYS_ADMIN (finding
 * ours by program id does), as under the systemd unit's capability set.
 * 1 detached, 0 no such pin, -errno.
 */
int links_detach_pinned(const char *pin_dir, const char *table, const char *ifname,
			const char *hook);
/*
 * Remove the instance's link pins whose link is detached (or gone), and the
 * links folder once empty. Returns how many.
 */
int links_unpin_detached(const char *pin_dir, const char *table);

#endif /* __FLOWMON_LINKS_H */
